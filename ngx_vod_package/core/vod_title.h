/*
 * vod_title.h: a title is a directory of MP4 renditions, optionally
 * described by a title.json beside them.
 */

#ifndef _VOD_TITLE_H_INCLUDED_
#define _VOD_TITLE_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_lang.h"
#include "vod_subs.h"


#define VOD_MAX_RENDITIONS  32
#define VOD_MAX_ID_LEN      64

/* audio renditions of one title; the tracks beyond are left out */
#define VOD_MAX_AUDIO       32
/* a rendition's display name: a language name, " 5.1", " (2)" */
#define VOD_AUDIO_NAME_LEN  48
/* title.json's HLS CHARACTERISTICS of an audio rendition */
#define VOD_AUDIO_CHAR_LEN  128


/* what title.json (or the directory listing) says */
typedef struct {
    vod_str_t     id;                 /* used in URLs: [A-Za-z0-9_] and '.' */
    vod_str_t     file;               /* file name inside the title dir */
} vod_rendition_spec_t;

/* what title.json's "audio" says of one audio rendition */
typedef struct {
    vod_str_t     track;              /* "audio-720p", "audio2-720p" */
    vod_str_t     id;                 /* its rendition id: "720p" */
    uint32_t      track_id;           /* T of audio{T}-, 0 for audio- */
    char          lang[VOD_SUB_LANG_LEN];    /* "" when not given */
    vod_str_t     name;               /* len 0 when not given */
    vod_str_t     characteristics;    /* len 0 when not given */
    unsigned      is_default:2;       /* 1 true, 0 false, 2 not given */
    unsigned      exclude:1;
} vod_audio_spec_t;

typedef struct {
    vod_rendition_spec_t   renditions[VOD_MAX_RENDITIONS];
    uint32_t               count;
    /* sidecar subtitle files, in title.json's order or by id */
    vod_subtitle_spec_t    subtitles[VOD_MAX_SUBTITLES];
    uint32_t               subtitle_count;
    /* title.json's audio overrides, in its order */
    vod_audio_spec_t       audio[VOD_MAX_AUDIO];
    uint32_t               audio_count;
} vod_title_spec_t;


/* a rendition (one file) with its parsed tracks, as the manifests need
 * it */
typedef struct {
    vod_str_t           id;
    vod_track_info_t   *video;        /* NULL when the file has no video */
    vod_track_info_t   *audio;        /* the file's first audio track (the
                                         one ts- muxes), NULL when none */
    /* every audio track of the file, in file order, audios[0] == audio;
     * NULL with audio_count 0 means audio alone */
    vod_track_info_t  **audios;
    uint32_t            audio_count;
    /* the tkhd track_ID in the URL of audio (audio{T}-{id}), or 0 for
     * the file's first audio track (audio-{id}); media playlists only */
    uint32_t            audio_id;
} vod_rendition_t;

/* an audio rendition: one distinct audio track of the title, packaged
 * from the first file (in title order) that carries it */
typedef struct {
    const vod_rendition_t  *source;
    vod_track_info_t       *track;
    uint32_t                url_id;   /* 0: audio-{id}, else audio{T}-{id} */
    uint32_t                group;    /* 0-based codec group, by codec_str */
    char                    lang[VOD_SUB_LANG_LEN];   /* BCP 47, "und" */
    char                    name[VOD_AUDIO_NAME_LEN];
    /* title.json's HLS CHARACTERISTICS, len 0 when none */
    vod_str_t               characteristics;
    unsigned                named:1;  /* name from title.json */
} vod_audio_t;

typedef struct {
    vod_rendition_t    *renditions;
    uint32_t            count;
    /* the audio renditions, set by vod_title_pick_audio(); audio[0] is
     * the default */
    vod_audio_t         audio[VOD_MAX_AUDIO];
    uint32_t            audio_count;
    uint32_t            group_count;
    uint32_t            segment_ms;
    /* Common Encryption of the CMAF segments (vod_protect.h), NULL:
     * clear; clearkey: the title's "clearkey" licence URL is signalled */
    const struct vod_protect_s  *protect;
    unsigned            clearkey:1;
    unsigned            ts_sample_aes:1;  /* MPEG-TS: SAMPLE-AES, not
                                             AES-128 */
    /* vod_title_audio_apply() left renditions out: a file's first audio
     * track may be one of them */
    unsigned            audio_excluded:1;
} vod_title_t;


/* Parse title.json:
 *   {"renditions": [{"id": "1080p", "file": "1080p.mp4"}, ...],
 *    "subtitles": [{"file": "movie.en.sdh.vtt", "id": "en-sdh",
 *                   "language": "en", "name": "English SDH",
 *                   "forced": false, "sdh": true, "default": false}],
 *    "audio": [{"track": "audio2-1080p", "language": "en",
 *               "name": "English (AD)", "default": false,
 *               "characteristics": "public.accessibility.describes-video"},
 *              {"track": "audio3-1080p", "exclude": true}]}
 * "subtitles" is optional, each entry's "file" (a .vtt or .srt name)
 * required; what its file name says (vod_subs_from_file(): id, language,
 * forced, SDH) is overridden by the members given.  "audio" is optional,
 * each entry's "track" required: an audio rendition's playlist name
 * without ".m3u8", of a file "renditions" names, at most once; at most
 * one entry says "default": true; an entry with "exclude": true has no
 * other member.  Whether the track exists is vod_title_audio_apply()'s
 * question.  A member it does not
 * know (at the top, in a rendition or a subtitle) is VOD_BAD_DATA, as is
 * anything else malformed (bad JSON, missing or duplicate id, bad
 * characters, a file name with '/', a bad language tag, a name with '"'
 * or control bytes, a flag that is not true or false, over
 * VOD_MAX_RENDITIONS or VOD_MAX_SUBTITLES), with the reason and byte
 * position logged.  Strings point into buf or env memory. */
int vod_title_json_parse(vod_env_t *env, u_char *buf, size_t len,
    vod_title_spec_t *spec);

/* Rendition id from a file name: "720p.mp4" -> "720p"; VOD_BAD_REQUEST
 * when the stem has characters an id may not have. */
int vod_title_id_from_file(const vod_str_t *file, vod_str_t *id);

/* Whether p[0 .. len - 1] may be a rendition id: [A-Za-z0-9_.-],
 * 1 to VOD_MAX_ID_LEN bytes, not starting with '.'. */
int vod_title_id_valid(const u_char *p, size_t len);

/* The title's audio renditions from its renditions' audio tracks, in
 * title order and then file order.  A track is a rendition of its own
 * unless an earlier file carries one like it: the same language, codec
 * string and channel count (the k-th such track of a file matches the
 * k-th of the earlier files, so two English stereo tracks of one file,
 * a main and a commentary, stay two).  Each gets its BCP 47 language, a
 * display name unique within its codec group (the language's English
 * name, "audio" when undetermined, " 5.1"/" 7.1"/" N ch" past stereo,
 * then " (2)", " (3)" on a repeat) and its group, numbered by first
 * appearance.  The first is the default.  Tracks past VOD_MAX_AUDIO are
 * left out.  (master-ts.m3u8's variants mux each file's own first
 * audio when the title has one AAC rendition, vod_hls_ts_demux().) */
void vod_title_pick_audio(vod_title_t *title);

/* title.json's "audio" applied to the renditions vod_title_pick_audio()
 * picked: excluded ones leave (the groups numbered again), languages and
 * names replaced (the names not given made again from the languages,
 * unique within their groups), characteristics set, and the default (the
 * one marked true, else the first not marked false) moved first.  An
 * entry naming a file not in the title (left out as unusable) is passed
 * over.  VOD_BAD_DATA, with one line naming it, when an entry names no
 * audio rendition of a file in the title (a copy of an earlier file's
 * track included), when two renditions of a group get one name, or when
 * every rendition left is marked "default": false.  Nothing is done
 * without entries, so titles without them come out as before. */
int vod_title_audio_apply(vod_env_t *env, vod_title_t *title,
    const vod_title_spec_t *spec);

/* Whether title.json excludes the audio track of file id named by
 * track_id (0: the file's first audio track, as in audio-{id}). */
int vod_title_audio_excluded(const vod_title_spec_t *spec,
    const vod_str_t *id, uint32_t track_id);

/* A subscription tier's ceiling (the edge asks for it): hides the video
 * of every rendition taller than max_height or whose video track averages
 * more than max_bitrate bits/s (0: no limit), so that the manifest
 * writers list only the others; call after vod_title_pick_audio(), whose
 * choices stay, so the audio renditions are the same in every tier.
 * Returns how many renditions with video are left. */
uint32_t vod_title_limit(vod_title_t *title, uint32_t max_height,
    uint64_t max_bitrate);


#endif /* _VOD_TITLE_H_INCLUDED_ */
