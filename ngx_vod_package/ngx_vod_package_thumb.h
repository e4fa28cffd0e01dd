/*
 * ngx_vod_package_thumb.h: thumbnails (thumb-{id}-{ms}.jpg): the load and
 * plan steps of one (_thumb.c) and the decode a pool thread runs
 * (_decode.c, FFmpeg: libavcodec, libswscale, libavutil).  Without
 * FFmpeg's development files at build time NGX_VOD_THUMBNAILS is not
 * defined and the "vod_thumbnails" directive refuses "on".
 */

#ifndef _NGX_VOD_PACKAGE_THUMB_H_INCLUDED_
#define _NGX_VOD_PACKAGE_THUMB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "vod_core.h"
#include "vod_media.h"


/* FFmpeg's decoder never makes a picture over this many pixels (8K UHD),
 * whatever the stream's parameter sets claim */
#define NGX_VOD_THUMB_MAX_PIXELS  (7680 * 4320)


/* one decode, from the key frame to the frame shown: what a pool thread
 * reads (set by the worker before the task) and writes (read by the
 * worker after it) */
typedef struct {
    ngx_fd_t              fd;
    uint32_t              codec;          /* VOD_CODEC_AVC or _HEVC */
    u_char               *config;         /* avcC / hvcC payload */
    size_t                config_len;
    uint32_t              nal_length_size;
    uint32_t              timescale;
    vod_sample_t         *samples;        /* the key frame first, the */
    uint32_t              count;          /* frame shown last */
    uint64_t              start_dts;      /* the key frame's decode time */
    uint32_t              width;          /* the picture's size */
    uint32_t              height;
    uint32_t              quality;        /* JPEG quantiser scale, 1-31 */

    u_char               *jpeg;           /* av_malloc()ed; the task's */
    size_t                len;            /* pool cleanup frees it */
    uint32_t              decoded;        /* packets the decoder took */
    int                   rc;             /* VOD_OK or VOD_* */
    ngx_err_t             err;
    char                  error[256];     /* why not, for one log line */
} ngx_vod_decode_t;


ngx_int_t ngx_vod_thumb_load(ngx_http_request_t *r, void *ctx);
ngx_int_t ngx_vod_thumb_plan(ngx_http_request_t *r, void *ctx);

#if (NGX_VOD_THUMBNAILS)
void ngx_vod_decode_thumb(ngx_vod_decode_t *d);
void ngx_vod_decode_free(ngx_vod_decode_t *d);
#endif


#endif /* _NGX_VOD_PACKAGE_THUMB_H_INCLUDED_ */
