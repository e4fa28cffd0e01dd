/*
 * vod_subs.h: a title's subtitle renditions (sidecar WebVTT and SRT files)
 * and their place in the manifests.  The manifest writers of vod_hls.c
 * and vod_dash.c know nothing of subtitles: the functions here add them
 * to what those wrote, so a title without subtitles is served byte for
 * byte as before.
 */

#ifndef _VOD_SUBS_H_INCLUDED_
#define _VOD_SUBS_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"


/* subtitle renditions of one title; the files beyond are left out */
#define VOD_MAX_SUBTITLES   32
/* a BCP 47 tag as accepted here (language and up to a few subtags) and
 * its NUL */
#define VOD_SUB_LANG_LEN    36
/* a display name and its NUL */
#define VOD_SUB_NAME_LEN    64


/* what title.json or a sidecar's file name says of one subtitle file */
typedef struct {
    vod_str_t     id;                 /* in URLs: the file name without
                                         its extension by default */
    vod_str_t     file;               /* NAME.LANG[.forced][.sdh].vtt|.srt */
    vod_str_t     lang;               /* as given; empty: "und" */
    vod_str_t     name;               /* display name; empty: from lang */
    unsigned      srt:1;              /* SRT, converted to WebVTT */
    unsigned      forced:1;
    unsigned      sdh:1;
    unsigned      is_default:1;
    /* a text track of a rendition file (vod_mp4text.h), file its name;
     * 0 for a sidecar */
    uint32_t      track_id;           /* its tkhd track_ID */
    uint32_t      codec;              /* VOD_CODEC_TX3G or VOD_CODEC_WVTT */
} vod_subtitle_spec_t;

/* a subtitle rendition as the manifests give it */
typedef struct {
    const vod_subtitle_spec_t  *spec;
    char                        lang[VOD_SUB_LANG_LEN];   /* or "und" */
    char                        name[VOD_SUB_NAME_LEN];
} vod_subtitle_t;

typedef struct {
    vod_subtitle_t  items[VOD_MAX_SUBTITLES];
    uint32_t        count;
} vod_subs_t;


/*
 * A sidecar from its file name: NAME.vtt or NAME.srt, NAME ending in
 * ".LANG" (a BCP 47 tag, vod_subs_lang()) and then ".forced" and/or
 * ".sdh" in either order; the id is the name without its extension.
 * VOD_NOT_FOUND when the name is not a subtitle file's, VOD_BAD_REQUEST
 * when its id could not be a URL's (vod_title_id_valid()).  The strings
 * point into file.
 */
int vod_subs_from_file(const vod_str_t *file, vod_subtitle_spec_t *spec);

/* Whether s is a language tag: a 2 or 3 letter ISO 639 code (3 letter
 * ones with a 2 letter equivalent become it: "eng" -> "en") and subtags
 * of 1 to 8 letters or digits ("es-419", "pt-BR", "zh-Hant"), in any
 * case.  Writes its canonical form (region upper case, script title case,
 * the rest lower case) into out. */
int vod_subs_lang(const u_char *s, size_t len, char out[VOD_SUB_LANG_LEN]);

/* Adds a rendition for spec (up to VOD_MAX_SUBTITLES; 0 when full): its
 * language in canonical form ("und" without a valid one), its name
 * (spec's, else the language's English name and region, "Subtitles" when
 * undetermined, then " SDH", " (forced)"), made unique with " (2)", " (3)"
 * as audio names are. */
int vod_subs_add(vod_subs_t *subs, const vod_subtitle_spec_t *spec);

/* The rendition shown unless the viewer says otherwise: the first
 * title.json marks default, else none (VOD_MAX_SUBTITLES). */
uint32_t vod_subs_default(const vod_subs_t *subs);

/*
 * A multivariant playlist of vod_hls_master() with the subtitles: one
 * EXT-X-MEDIA TYPE=SUBTITLES per rendition in group "subs" before the
 * first EXT-X-STREAM-INF (URI sub-{id}.m3u8, or subts-{id}.m3u8 when ts:
 * their segments' X-TIMESTAMP-MAP differs), SUBTITLES="subs" on every
 * EXT-X-STREAM-INF.  DEFAULT=YES for the first rendition title.json marks
 * default, FORCED=YES for forced ones, CHARACTERISTICS of transcribed
 * dialog and described sound for SDH.
 */
int vod_subs_hls_master(vod_env_t *env, const u_char *in, size_t len,
    const vod_subs_t *subs, unsigned ts, u_char **out, size_t *out_len);

/* The media playlist of a subtitle rendition: one WebVTT segment per
 * segment of grid (the title's first rendition's track), of the same
 * durations, named sub-{id}-N.vtt (subts- when ts). */
int vod_subs_hls_media(vod_env_t *env, const vod_str_t *id, unsigned ts,
    const vod_track_info_t *grid, u_char **out, size_t *len);

/* Segment n's span of grid in milliseconds; VOD_NOT_FOUND past its
 * last. */
int vod_subs_segment_span(const vod_track_info_t *grid, uint32_t n,
    uint64_t *from, uint64_t *to);

/* The X-TIMESTAMP-MAP MPEGTS value of a subtitle segment: the 90 kHz
 * presentation time of the media's zero, 0 in CMAF (tfdt from 0), 900000
 * in MPEG-TS (vod_ts.c's offset). */
uint64_t vod_subs_mpegts(unsigned ts);

/*
 * An MPD of vod_dash_mpd() with the subtitles: before the end of the
 * Period, per rendition an AdaptationSet contentType="text"
 * mimeType="text/vtt" with its lang, a Role (urn:mpeg:dash:role:2011)
 * "subtitle", "caption" for SDH or "forced-subtitle", a Label and one
 * Representation "sub-{id}" whose BaseURL is the whole file as WebVTT,
 * sub-{id}-full.vtt.  Set ids follow the largest in the MPD.
 */
int vod_subs_dash(vod_env_t *env, const u_char *in, size_t len,
    const vod_subs_t *subs, u_char **out, size_t *out_len);


#endif /* _VOD_SUBS_H_INCLUDED_ */
