/*
 * vod_images.h: a title's thumbnail tile sheets (vod_tiles.h) named in its
 * manifests as an image track.
 *
 * DASH (DASH-IF IOP v4.3, 6.2.6, "thumbnail tiles"): an AdaptationSet
 * contentType="image" mimeType="image/jpeg" with one Representation of
 * the sheet's size, an EssentialProperty of the DASH-IF scheme
 * "thumbnail_tile" whose value is COLSxROWS, and a SegmentTemplate of
 * timescale 1000 naming tiles-{id}-$Number$.jpg, each sheet
 * cols * rows * interval milliseconds long, from number 1.
 *
 * HLS (the image media playlists of Roku's trick mode support and of the
 * Disney / WarnerMedia "HLS Image Playlist" specification): an
 * #EXT-X-IMAGE-STREAM-INF in the multivariant playlist naming
 * images-{id}.m3u8, whose sheets each get #EXT-X-TILES (a tile's size,
 * the layout, a tile's duration) and #EXTINF (the sheet's).
 */

#ifndef _VOD_IMAGES_H_INCLUDED_
#define _VOD_IMAGES_H_INCLUDED_


#include "vod_core.h"
#include "vod_tiles.h"


typedef struct {
    vod_tiles_t   tiles;              /* width, height: a tile's, known */
    vod_str_t     id;                 /* the rendition the sheets are of */
    uint64_t      duration;           /* its video's, milliseconds */
} vod_images_t;


/* The bandwidth the manifests state: an estimate (the sheets are made on
 * request), one bit a pixel of a sheet over the time a sheet covers, at
 * least 1. */
uint64_t vod_images_bandwidth(const vod_images_t *im);

/* The sheets of the title: as many as vod_tiles_sheet() answers. */
uint64_t vod_images_sheets(const vod_images_t *im);

/* A copy of an MPD of vod_dash_mpd() with the image AdaptationSet before
 * its "  </Period>", its id one past the highest AdaptationSet id there.
 * VOD_ERROR when in has no Period's end. */
int vod_images_dash(vod_env_t *env, const u_char *in, size_t len,
    const vod_images_t *im, u_char **out, size_t *out_len);

/* A copy of a multivariant playlist with one line appended:
 * #EXT-X-IMAGE-STREAM-INF:BANDWIDTH=b,RESOLUTION=WxH,CODECS="jpeg",
 * URI="images-{id}.m3u8" (W x H: a tile's, as EXT-X-TILES' RESOLUTION:
 * what the image playlist specification and Shaka Player read). */
int vod_images_hls_master(vod_env_t *env, const u_char *in, size_t len,
    const vod_images_t *im, u_char **out, size_t *out_len);

/* The image media playlist images-{id}.m3u8: EXT-X-VERSION 7, VOD,
 * EXT-X-IMAGES-ONLY, per sheet EXT-X-TILES and EXTINF (the last sheet's
 * to the end of the video), EXT-X-ENDLIST.  VOD_NOT_FOUND for a duration
 * of 0, VOD_BAD_DATA over VOD_TILES_MAX_CUES tiles (one log line). */
int vod_images_playlist(vod_env_t *env, const vod_images_t *im,
    u_char **out, size_t *len);


#endif /* _VOD_IMAGES_H_INCLUDED_ */
