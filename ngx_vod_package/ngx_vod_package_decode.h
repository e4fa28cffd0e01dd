/*
 * ngx_vod_package_decode.h: what the decode of a picture's frames
 * (_decode.c) and their placing into it (_place.c) share, in a pool
 * thread: the picture's FFmpeg state.
 */

#ifndef _NGX_VOD_PACKAGE_DECODE_H_INCLUDED_
#define _NGX_VOD_PACKAGE_DECODE_H_INCLUDED_


#include "ngx_vod_package_thumb.h"


#if (NGX_VOD_THUMBNAILS)

#include <libavcodec/avcodec.h>
#include <libswscale/swscale.h>

#include "vod_tone.h"


typedef struct {
    AVCodecContext       *dec;
    AVCodecContext       *enc;
    AVPacket             *pkt;
    AVFrame              *frame;
    AVFrame              *pic;
    AVFrame              *turn;           /* a turned video's frame as
                                             stored, before it is turned
                                             into its place */
    vod_tone_t           *tone;           /* an HDR video's frames made
                                             SDR (malloc()ed); NULL:
                                             SDR, or not asked */
    AVFrame              *deep;           /* a tone-mapped tile's 16-bit
                                             samples, before it is */
    struct SwsContext    *sws;
    int                   sws_w;          /* the source the scaler is */
    int                   sws_h;          /* for, and its output's */
    int                   sws_format;     /* format */
    int                   sws_range;
    int                   sws_out;
    int                   full;           /* the picture's range: JPEG's
                                             full, WebP's limited */
    uint32_t              cx;             /* the picture's chroma: a */
    uint32_t              cy;             /* sample per 2^cx luma
                                             samples across, 2^cy down
                                             (ngx_vod_decode_canvas()) */
} ngx_vod_av_t;


/* the frame in av->frame (presented at the tile's time) into the tile's
 * place in the picture, which its first frame makes (_place.c) */
int ngx_vod_decode_place(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_tile_t *tile);

/* where each run of an intra-refreshed H.264 video starts, before any
 * decode: VOD_OK (the run may start earlier, run->refresh set when at a
 * recovery point), d->again set (the samples before are too few), or a
 * failure (_refresh.c) */
int ngx_vod_decode_refresh(ngx_vod_decode_t *d, ngx_vod_decode_run_t *run);

/* d->rc set to rc, and the first failure's words, for the task's one log
 * line; returns rc (_decode.c) */
int ngx_vod_decode_error(ngx_vod_decode_t *d, int rc, const char *fmt, ...);

#endif /* NGX_VOD_THUMBNAILS */


#endif /* _NGX_VOD_PACKAGE_DECODE_H_INCLUDED_ */
