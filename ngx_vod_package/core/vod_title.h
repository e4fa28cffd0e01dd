/*
 * vod_title.h: a title is a directory of MP4 renditions, optionally
 * described by a title.json beside them.
 */

#ifndef _VOD_TITLE_H_INCLUDED_
#define _VOD_TITLE_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"


#define VOD_MAX_RENDITIONS  32
#define VOD_MAX_ID_LEN      64


/* what title.json (or the directory listing) says */
typedef struct {
    vod_str_t     id;                 /* used in URLs: [A-Za-z0-9_] and '.' */
    vod_str_t     file;               /* file name inside the title dir */
} vod_rendition_spec_t;

typedef struct {
    vod_rendition_spec_t   renditions[VOD_MAX_RENDITIONS];
    uint32_t               count;
} vod_title_spec_t;


/* a rendition with its parsed tracks, as the manifests need it */
typedef struct {
    vod_str_t           id;
    vod_track_info_t   *video;        /* NULL when the file has no video */
    vod_track_info_t   *audio;        /* NULL when the file has no audio */
} vod_rendition_t;

typedef struct {
    vod_rendition_t    *renditions;
    uint32_t            count;
    /* rendition whose audio track is packaged as the CMAF/DASH audio
     * rendition, or -1; set by vod_title_pick_audio() */
    int32_t             audio_source;
    uint32_t            segment_ms;
} vod_title_t;


/* Parse title.json:
 *   {"renditions": [{"id": "1080p", "file": "1080p.mp4"}, ...]}
 * Unknown keys are ignored (later features add their own); anything else
 * malformed (bad JSON, missing or duplicate id, bad characters, a file name
 * with '/', over VOD_MAX_RENDITIONS) is VOD_BAD_DATA with the reason and
 * byte position logged.  Strings point into buf or env memory. */
int vod_title_json_parse(vod_env_t *env, u_char *buf, size_t len,
    vod_title_spec_t *spec);

/* Rendition id from a file name: "720p.mp4" -> "720p"; VOD_BAD_REQUEST
 * when the stem has characters an id may not have. */
int vod_title_id_from_file(const vod_str_t *file, vod_str_t *id);

/* Whether p[0 .. len - 1] may be a rendition id: [A-Za-z0-9_.-],
 * 1 to VOD_MAX_ID_LEN bytes, not starting with '.'. */
int vod_title_id_valid(const u_char *p, size_t len);

/* Choose the rendition whose audio serves every rendition: the first one
 * with an audio track.  (Renditions whose audio differs from it are still
 * served with that one audio in CMAF; TS muxes each file's own audio.) */
void vod_title_pick_audio(vod_title_t *title);

/* A subscription tier's ceiling (the edge asks for it): hides the video
 * of every rendition taller than max_height or whose video track averages
 * more than max_bitrate bits/s (0: no limit), so that the manifest
 * writers list only the others; call after vod_title_pick_audio(), whose
 * choice stays, so the audio rendition is the same in every tier.
 * Returns how many renditions with video are left. */
uint32_t vod_title_limit(vod_title_t *title, uint32_t max_height,
    uint64_t max_bitrate);


#endif /* _VOD_TITLE_H_INCLUDED_ */
