/*
 * vod_manifest.h: HLS playlists (RFC 8216) and the DASH MPD
 * (ISO/IEC 23009-1, static, isoff-live profile, SegmentTimeline).
 * All URIs inside are relative names from vod_url.h.
 */

#ifndef _VOD_MANIFEST_H_INCLUDED_
#define _VOD_MANIFEST_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_title.h"


/* Multivariant playlist, EXT-X-VERSION 7.  ts == 0: CMAF, audio as an
 * EXT-X-MEDIA TYPE=AUDIO group; ts == 1: MPEG-TS variants with their own
 * muxed audio, listing only renditions vod_ts_supported() accepts. */
int vod_hls_master(vod_env_t *env, const vod_title_t *title, int ts,
    u_char **out, size_t *len);

/* Media playlist (VOD, EXT-X-ENDLIST, EXT-X-TARGETDURATION, exact EXTINF)
 * of one stream of one rendition (stream: VOD_STREAM_* of vod_url.h). */
int vod_hls_media(vod_env_t *env, const vod_title_t *title,
    const vod_rendition_t *rendition, uint32_t stream, u_char **out,
    size_t *len);

/* Static MPD: a video AdaptationSet with one Representation per rendition
 * and an audio AdaptationSet from title->audio_source. */
int vod_dash_mpd(vod_env_t *env, const vod_title_t *title, u_char **out,
    size_t *len);


#endif /* _VOD_MANIFEST_H_INCLUDED_ */
