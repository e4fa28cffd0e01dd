/*
 * ngx_vod_package_thumb.h: thumbnails (thumb-{id}-{ms}.jpg) and tile
 * sheets (tiles-{id}-{n}.jpg): the load and plan steps of each (_thumb.c,
 * _tiles.c), the task they share (_thumb.c) and the decode a pool thread
 * runs (_decode.c, _place.c, FFmpeg: libavcodec, libswscale, libavutil).
 * Without FFmpeg's development files at build time NGX_VOD_THUMBNAILS is
 * not defined and the "vod_thumbnails" directive refuses "on".
 */

#ifndef _NGX_VOD_PACKAGE_THUMB_H_INCLUDED_
#define _NGX_VOD_PACKAGE_THUMB_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_thumb.h"
#include "vod_thumb_nal.h"
#include "vod_url.h"
#include "vod_title.h"
#include "vod_images.h"
#include "vod_hdr.h"


/* FFmpeg's decoder never makes a picture over this many pixels (8K UHD),
 * whatever the stream's parameter sets claim */
#define NGX_VOD_THUMB_MAX_PIXELS  (7680 * 4320)
/* how pictures are made, in their ETags: raised when the same request's
 * picture changes (2: the video's matrix converted to BT.601's, the
 * displayed aspect of anamorphic video; 3: a time between two frames
 * gives the later, ffmpeg's) */
#define NGX_VOD_PICTURE_VERSION   3

/* a WebP picture's largest width and height (its VP8 header's 14 bits) */
#define NGX_VOD_WEBP_MAX_SIDE     16383


/* a frame a picture shows: set by the worker (sample, x, y), the rest by
 * the decode */
typedef struct {
    uint32_t              sample;         /* among its run's samples */
    uint32_t              x;              /* its place in the picture */
    uint32_t              y;
    int64_t               pts;
    unsigned              done:1;
} ngx_vod_decode_tile_t;


/* samples decoded in one pass, from a key frame to the last frame shown
 * (decode order): the frames of one GOP share the pass */
typedef struct {
    vod_sample_t           *samples;      /* the key frame first */
    uint32_t                count;
    uint64_t                start_dts;    /* the key frame's decode time */
    ngx_vod_decode_tile_t  *tiles;        /* what it shows */
    uint32_t                ntiles;
    uint32_t                back;         /* samples before the key frame
                                             that samples[-back] on has
                                             (its segment's and those
                                             joined): where an intra
                                             refresh's decode may start
                                             (_refresh.c) */
    unsigned                more:1;       /* segments before those */
    unsigned                refresh:1;    /* set by the decode: starts at
                                             a recovery point */
} ngx_vod_decode_run_t;


/* one picture (a thumbnail: one frame; a tile sheet: a grid of them, the
 * places no frame fills black): what a pool thread reads (set by the
 * worker before the task) and writes (read by the worker after it) */
typedef struct {
    ngx_fd_t                fd;
    uint32_t                codec;        /* VOD_CODEC_AVC, _HEVC, _AV1 */
    u_char                 *config;       /* avcC, hvcC, av1C payload */
    size_t                  config_len;
    vod_thumb_nal_t         nal;          /* which samples it may skip */
    vod_colour_t            colour;       /* the sample entry's, or its
                                             configuration's */
    uint32_t                timescale;
    uint32_t                orient;       /* how it is turned to be shown
                                             (VOD_ORIENT_*): the tiles'
                                             sizes are the turned ones */
    ngx_vod_decode_run_t   *runs;
    uint32_t                nruns;
    uint32_t                tile_width;   /* each frame scaled to */
    uint32_t                tile_height;
    uint32_t                width;        /* the picture's size */
    uint32_t                height;
    uint32_t                max_frames;   /* a frame's, from its start
                                             (vod_thumbnail_max_frames) */
    uint32_t                max_total;    /* the picture's, all runs */
    uint32_t                quality;      /* JPEG quantiser scale, 1-31 */
    uint32_t                image;        /* VOD_IMAGE_JPEG or _WEBP */
    unsigned                tone_map:1;   /* an HDR video's frames made
                                             SDR (vod_tone.h) */

    u_char                 *jpeg;         /* the picture, JPEG or WebP:
                                             malloc()ed; the task's */
    size_t                  len;          /* pool cleanup frees it */
    uint32_t                decoded;      /* packets the decoder took */
    unsigned                toned:1;      /* its frames were tone mapped */
    unsigned                again:1;      /* an intra refresh's start is
                                             before the samples given:
                                             the worker joins the
                                             segment before and posts
                                             the decode again */
    int                     rc;           /* VOD_OK or VOD_* */
    ngx_err_t               err;
    char                    error[256];   /* why not, for one log line */
} ngx_vod_decode_t;


/* a picture's task: the decode and what the worker knows of it */
typedef struct {
    ngx_http_request_t     *request;
    ngx_str_t              *path;
    ngx_vod_decode_t        decode;
    ngx_int_t               nice;         /* the thread's at least; 0: as
                                             it is (a shared pool) */
    unsigned                back:1;       /* the segments before each
                                             frame's joined (the decode
                                             asked: again) */
    unsigned                reload:1;     /* its frames to be found
                                             again so, by the plan step */
    unsigned                posted:1;
    unsigned                done:1;
} ngx_vod_picture_t;


ngx_int_t ngx_vod_thumb_load(ngx_http_request_t *r, void *ctx);
ngx_int_t ngx_vod_thumb_plan(ngx_http_request_t *r, void *ctx);

/*
 * The frame of media's video at ms milliseconds, the first presented at
 * or after it as ffmpeg's -ss finds it: the segment seg whose samples
 * segment has it, and the samples a decode takes; with back, the
 * segments before joined to it (an intra refresh's decode starts before
 * its key frame).  NGX_DECLINED
 * at or past the end (the caller says so), NGX_DONE while a thread
 * builds the index, or a status.
 */
ngx_int_t ngx_vod_thumb_find(ngx_http_request_t *r, void *media,
    uint64_t ms, ngx_uint_t back, uint32_t *seg, vod_segment_t *segment,
    vod_thumb_pick_t *pick);

/* tile sheets and their WebVTT track (_tiles.c) */
ngx_int_t ngx_vod_tiles_load(ngx_http_request_t *r, void *ctx);
ngx_int_t ngx_vod_tiles_plan(ngx_http_request_t *r, void *ctx);
/* the image track a manifest of kind (NGX_VOD_IMAGES_DASH, _HLS) names:
 * NGX_DECLINED for none */
ngx_int_t ngx_vod_tiles_images(ngx_http_request_t *r, vod_title_t *title,
    ngx_uint_t kind, vod_images_t *im);

/* the video a picture decodes: 415 and one line for a codec it cannot */
ngx_int_t ngx_vod_picture_source(ngx_http_request_t *r, void *media,
    ngx_vod_picture_t *pic, vod_track_info_t *info);

/* 1 when this build decodes pictures of the track's codec (H.264 and
 * H.265 with FFmpeg; AV1 where FFmpeg has dav1d or libaom) */
ngx_uint_t ngx_vod_picture_decodes(vod_track_info_t *info);

/*
 * At the top of a picture's plan step: when its decode asked for the
 * samples before its frames (d->again: an intra refresh), its frames are
 * found again by load (its load step) with the segments before joined,
 * and the step goes on to post the decode again.  NGX_OK, or what load
 * returned (NGX_DONE while a thread builds an index).
 */
typedef ngx_int_t (*ngx_vod_picture_load_pt)(ngx_http_request_t *r,
    void *ctx);

ngx_int_t ngx_vod_picture_again(ngx_http_request_t *r,
    ngx_vod_picture_t *pic, ngx_vod_picture_load_pt load, void *ctx);

/* the decode to the location's thumbnail pool: NGX_DONE, or a status */
ngx_int_t ngx_vod_picture_post(ngx_http_request_t *r,
    ngx_vod_picture_t *pic);
/* the JPEG as the response, with a segment's caching headers */
void ngx_vod_picture_out(ngx_http_request_t *r, void *ctx,
    ngx_vod_picture_t *pic, uint64_t etag);

#if (NGX_VOD_THUMBNAILS)
/* 1 when this libavcodec has the encoder of image (VOD_IMAGE_*), the
 * decoder of codec (VOD_CODEC_*) */
int ngx_vod_decode_encoder(uint32_t image);
int ngx_vod_decode_decoder(uint32_t codec);
#if (NGX_VOD_LIBJPEG)
/*
 * The JPEG of a full-range YUV picture by libjpeg-turbo, at the
 * quantiser scale of FFmpeg's mjpeg encoder (_jpeg.c); *out malloc()ed.
 * Its chroma a sample per 2^cx luma samples across, 2^cy down (4:2:0,
 * 4:2:2, 4:4:4).  It writes the columns past the width up to a whole
 * 8x8 block of each plane, which ngx_vod_jpeg_padded() says the lines
 * have room for.
 */
int ngx_vod_jpeg_padded(int *linesize, uint32_t width, uint32_t cx);
int ngx_vod_jpeg_encode(uint8_t **data, int *linesize, uint32_t width,
    uint32_t height, uint32_t cx, uint32_t cy, uint32_t quality,
    u_char **out, size_t *len, char *error, size_t error_len);
#endif

void ngx_vod_decode_picture(ngx_vod_decode_t *d);
void ngx_vod_decode_free(ngx_vod_decode_t *d);
#endif


#endif /* _NGX_VOD_PACKAGE_THUMB_H_INCLUDED_ */
