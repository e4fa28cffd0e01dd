/*
 * ngx_vod_package_place.c: a decoded frame into its place in the picture,
 * in a pool thread (_decode.c decodes it).  The picture is made at the
 * first frame, in that frame's chroma layout where a JPEG can carry it
 * (ngx_vod_decode_canvas()); each frame is scaled by libswscale into its
 * tile (or only expanded, by a table, at its own size), in a JPEG's full
 * range (WebP's limited) and BT.601's matrix (vod_matrix.h), turned as it
 * is shown (vod_orient.h), an HDR video's tone mapped to SDR
 * (vod_tone.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_decode.h"
#include "vod_levels.h"
#include "vod_matrix.h"
#include "vod_orient.h"


#if (NGX_VOD_THUMBNAILS)

#include <libavutil/frame.h>
#include <libavutil/mastering_display_metadata.h>
#include <libavutil/opt.h>
#include <libavutil/pixdesc.h>


static int ngx_vod_decode_canvas(ngx_vod_decode_t *d, ngx_vod_av_t *av);
static int ngx_vod_decode_turned(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    uint8_t **dst);
static int ngx_vod_decode_fill(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    uint8_t **dst, int *linesize, uint32_t w, uint32_t h, uint32_t cx,
    uint32_t cy);
static int ngx_vod_decode_scale(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    uint8_t **dst, int *linesize, uint32_t w, uint32_t h,
    enum AVPixelFormat format, int full);
static int ngx_vod_decode_tone_init(ngx_vod_decode_t *d, ngx_vod_av_t *av);
static int ngx_vod_decode_tone(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    uint8_t **dst, int *linesize, uint32_t w, uint32_t h, uint32_t cx,
    uint32_t cy);
static double ngx_vod_decode_peak(const AVFrame *f);
static int ngx_vod_decode_expand(ngx_vod_av_t *av, uint8_t **dst,
    int *linesize, uint32_t cx, uint32_t cy);
static void ngx_vod_decode_matrix(ngx_vod_av_t *av, uint8_t **dst,
    int *linesize, uint32_t w, uint32_t h, uint32_t cx, uint32_t cy);
static int ngx_vod_decode_transposed(uint32_t orient);
static enum AVPixelFormat ngx_vod_decode_format(uint32_t cx, uint32_t cy);


/*
 * The picture, made when its first frame is decoded, black: in the range
 * of its format, its chroma as the frame's is laid out where a JPEG can
 * carry it (4:2:2 and 4:4:4 kept, as ffmpeg's own JPEG of such a frame
 * keeps them: 4:2:0 made a 4:4:4 frame's colour edges 33 dB from its
 * RGB), as turned (a quarter turn of 4:2:2 is 4:4:0, made 4:4:4);
 * 4:2:0 for anything else (monochrome, a WebP: VP8 has only 4:2:0).
 */

static int
ngx_vod_decode_canvas(ngx_vod_decode_t *d, ngx_vod_av_t *av)
{
    int                        i;
    const AVPixFmtDescriptor  *desc;

    av->cx = 1;
    av->cy = 1;

    desc = av_pix_fmt_desc_get((enum AVPixelFormat) av->frame->format);

    if (av->full && desc != NULL && desc->nb_components >= 3
        && !(desc->flags & AV_PIX_FMT_FLAG_RGB)
        && desc->log2_chroma_w <= 1 && desc->log2_chroma_h <= 1)
    {
        av->cx = desc->log2_chroma_w;
        av->cy = desc->log2_chroma_h;

        /* a transposed picture's chroma: its sides swapped */
        if (ngx_vod_decode_transposed(d->orient)) {
            av->cx = desc->log2_chroma_h;
            av->cy = desc->log2_chroma_w;
        }

        if (av->cx < av->cy) {
            av->cy = 0;
        }
    }

    if (d->tone_map && ngx_vod_decode_tone_init(d, av) != VOD_OK) {
        return d->rc;
    }

    av->pic = av_frame_alloc();
    if (av->pic == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    av->pic->format = ngx_vod_decode_format(av->cx, av->cy);
    av->pic->width = (int) d->width;
    av->pic->height = (int) d->height;
    av->pic->color_range = av->full ? AVCOL_RANGE_JPEG : AVCOL_RANGE_MPEG;

    if (av_frame_get_buffer(av->pic, 0) < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    /* a thumbnail's one frame covers it all */

    if (d->tile_width == d->width && d->tile_height == d->height) {
        return VOD_OK;
    }

    for (i = 0; i < 3; i++) {
        ngx_memset(av->pic->data[i], (i > 0) ? 128 : av->full ? 0 : 16,
                   (size_t) av->pic->linesize[i]
                   * ((i == 0) ? d->height
                               : (d->height + (1u << av->cy) - 1) >> av->cy));
    }

    return VOD_OK;
}


/* 1 when an orientation shows the stored rows as columns */

static int
ngx_vod_decode_transposed(uint32_t orient)
{
    uint32_t  w, h;

    w = 2;
    h = 1;
    vod_orient_size(orient, &w, &h);

    return w == 1;
}


/* the planar 8-bit format of a chroma layout */

static enum AVPixelFormat
ngx_vod_decode_format(uint32_t cx, uint32_t cy)
{
    if (cx == 0) {
        return AV_PIX_FMT_YUV444P;
    }

    return (cy == 0) ? AV_PIX_FMT_YUV422P : AV_PIX_FMT_YUV420P;
}


/*
 * The frame in av->frame scaled into a tile's place; a turned video's
 * (vod_orient.h) scaled as it is stored, then turned into it.
 */

int
ngx_vod_decode_place(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_tile_t *tile)
{
    int       i;
    uint8_t  *dst[4];

    if (av->pic == NULL && ngx_vod_decode_canvas(d, av) != VOD_OK) {
        return d->rc;
    }

    /* the tile's corner in each plane: x and y are even, as 4:2:0's
     * and 4:2:2's chroma need */

    for (i = 0; i < 3; i++) {
        dst[i] = av->pic->data[i]
                 + (size_t) ((i == 0) ? tile->y : tile->y >> av->cy)
                   * av->pic->linesize[i]
                 + ((i == 0) ? tile->x : tile->x >> av->cx);
    }

    dst[3] = NULL;

    if (d->orient != 0) {
        return ngx_vod_decode_turned(d, av, dst);
    }

    return ngx_vod_decode_fill(d, av, dst, av->pic->linesize, d->tile_width,
                               d->tile_height, av->cx, av->cy);
}


/* a turned video's frame: the tile's size as stored (its sides swapped
 * back when transposed) in av->turn, then each plane turned into dst */

static int
ngx_vod_decode_turned(ngx_vod_decode_t *d, ngx_vod_av_t *av, uint8_t **dst)
{
    int       i, rc;
    uint32_t  w, h, cx, cy;

    w = d->tile_width;
    h = d->tile_height;
    vod_orient_size(d->orient, &w, &h);

    /* the chroma as stored: the picture's, its sides swapped back */
    cx = av->cx;
    cy = av->cy;

    if (ngx_vod_decode_transposed(d->orient)) {
        cx = av->cy;
        cy = av->cx;
    }

    if (av->turn == NULL) {
        av->turn = av_frame_alloc();
        if (av->turn == NULL) {
            return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
        }

        av->turn->format = ngx_vod_decode_format(cx, cy);
        av->turn->width = (int) w;
        av->turn->height = (int) h;

        if (av_frame_get_buffer(av->turn, 0) < 0) {
            /* no frame without its planes for the next tile to find */
            av_frame_free(&av->turn);
            return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
        }
    }

    rc = ngx_vod_decode_fill(d, av, av->turn->data, av->turn->linesize, w, h,
                             cx, cy);
    if (rc != VOD_OK) {
        return rc;
    }

    for (i = 0; i < 3; i++) {
        vod_orient_plane(d->orient, av->turn->data[i],
                         (size_t) av->turn->linesize[i],
                         (i == 0) ? w : (w + (1u << cx) - 1) >> cx,
                         (i == 0) ? h : (h + (1u << cy) - 1) >> cy,
                         dst[i], (size_t) av->pic->linesize[i]);
    }

    return VOD_OK;
}


/*
 * The frame in av->frame scaled to w x h at dst, its chroma laid out as
 * cx and cy say (ngx_vod_decode_canvas()), in the picture's range and
 * BT.601's matrix; an HDR video's tone mapped (ngx_vod_decode_tone()).
 */

static int
ngx_vod_decode_fill(ngx_vod_decode_t *d, ngx_vod_av_t *av, uint8_t **dst,
    int *linesize, uint32_t w, uint32_t h, uint32_t cx, uint32_t cy)
{
    AVFrame  *f;

    f = av->frame;

    if (av->tone != NULL) {
        return ngx_vod_decode_tone(d, av, dst, linesize, w, h, cx, cy);
    }

    if ((uint32_t) f->width != w || (uint32_t) f->height != h
        || ngx_vod_decode_expand(av, dst, linesize, cx, cy) != VOD_OK)
    {
        if (ngx_vod_decode_scale(d, av, dst, linesize, w, h,
                                 ngx_vod_decode_format(cx, cy), av->full)
            != VOD_OK)
        {
            return d->rc;
        }
    }

    ngx_vod_decode_matrix(av, dst, linesize, w, h, cx, cy);

    return VOD_OK;
}


/*
 * The frame in av->frame scaled by libswscale to w x h at dst, in format
 * and range (full).  The source's range as the stream says (H.264 and
 * HEVC default to limited), given before the scaler's init, which
 * otherwise picks a plain copy for a picture of the source's size and
 * format.  The scaler is made again only when the source or the output's
 * format changes (every tile of a picture has one size).
 */

static int
ngx_vod_decode_scale(ngx_vod_decode_t *d, ngx_vod_av_t *av, uint8_t **dst,
    int *linesize, uint32_t w, uint32_t h, enum AVPixelFormat format,
    int full)
{
    int       src_range;
    AVFrame  *f;

    f = av->frame;

    src_range = (f->color_range == AVCOL_RANGE_JPEG
                 || f->format == AV_PIX_FMT_YUVJ420P
                 || f->format == AV_PIX_FMT_YUVJ422P
                 || f->format == AV_PIX_FMT_YUVJ444P);

    if (full < 0) {
        /* the source's own */
        full = src_range;
    }

    if (av->sws != NULL
        && (av->sws_w != f->width || av->sws_h != f->height
            || av->sws_format != f->format || av->sws_range != src_range
            || av->sws_out != (int) format))
    {
        sws_freeContext(av->sws);
        av->sws = NULL;
    }

    if (av->sws == NULL) {
        av->sws = sws_alloc_context();
        if (av->sws == NULL) {
            return ngx_vod_decode_error(d, VOD_ERROR,
                                        "FFmpeg out of memory");
        }

        if (av_opt_set_int(av->sws, "srcw", f->width, 0) < 0
            || av_opt_set_int(av->sws, "srch", f->height, 0) < 0
            || av_opt_set_int(av->sws, "src_format", f->format, 0) < 0
            || av_opt_set_int(av->sws, "src_range", src_range, 0) < 0
            || av_opt_set_int(av->sws, "dstw", w, 0) < 0
            || av_opt_set_int(av->sws, "dsth", h, 0) < 0
            || av_opt_set_int(av->sws, "dst_format", format, 0) < 0
            || av_opt_set_int(av->sws, "dst_range", full, 0) < 0
            || av_opt_set_int(av->sws, "sws_flags", SWS_BICUBIC, 0) < 0
            || sws_init_context(av->sws, NULL, NULL) < 0)
        {
            return ngx_vod_decode_error(d, VOD_UNSUPPORTED,
                                        "no scaler from pixel format %d to "
                                        "%ux%u", f->format, w, h);
        }

        av->sws_w = f->width;
        av->sws_h = f->height;
        av->sws_format = f->format;
        av->sws_range = src_range;
        av->sws_out = (int) format;
    }

    if (sws_scale(av->sws, (const uint8_t * const *) f->data, f->linesize,
                  0, f->height, dst, linesize)
        != (int) h)
    {
        return ngx_vod_decode_error(d, VOD_ERROR, "sws_scale() failed");
    }

    return VOD_OK;
}


/*
 * At the first frame, whether the picture is tone mapped: a frame of PQ
 * or HLG (its own transfer, else its sample entry's) is, unless
 * "vod_thumbnail_tone_map off" (d->tone_map).
 */

static int
ngx_vod_decode_tone_init(ngx_vod_decode_t *d, ngx_vod_av_t *av)
{
    int       rc;
    AVFrame  *f;

    f = av->frame;

    av->tone = malloc(sizeof(vod_tone_t));
    if (av->tone == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "out of memory");
    }

    rc = vod_tone_init(av->tone, (uint32_t) f->color_trc,
                       (uint32_t) f->color_primaries,
                       (uint32_t) f->colorspace,
                       f->color_range == AVCOL_RANGE_JPEG, av->full,
                       ngx_vod_decode_peak(f));

    if (rc != VOD_OK) {
        /* SDR */
        free(av->tone);
        av->tone = NULL;
        return VOD_OK;
    }

    d->toned = 1;

    return VOD_OK;
}


/*
 * An HDR frame scaled to w x h in 16 bits a sample, 4:4:4 (its own range
 * and matrix), then made the picture's SDR samples (vod_tone.h).
 */

static int
ngx_vod_decode_tone(ngx_vod_decode_t *d, ngx_vod_av_t *av, uint8_t **dst,
    int *linesize, uint32_t w, uint32_t h, uint32_t cx, uint32_t cy)
{
    int        i;
    size_t     src_pitch[3], dst_pitch[3];
    uint16_t  *src[3];
    u_char    *out[3];

    if (av->deep != NULL
        && ((uint32_t) av->deep->width != w
            || (uint32_t) av->deep->height != h
            || av->deep->format != AV_PIX_FMT_YUV444P16))
    {
        av_frame_free(&av->deep);
    }

    if (av->deep == NULL) {
        av->deep = av_frame_alloc();
        if (av->deep == NULL) {
            return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
        }

        av->deep->format = AV_PIX_FMT_YUV444P16;
        av->deep->width = (int) w;
        av->deep->height = (int) h;

        if (av_frame_get_buffer(av->deep, 0) < 0) {
            av_frame_free(&av->deep);
            return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
        }
    }

    if (ngx_vod_decode_scale(d, av, av->deep->data, av->deep->linesize, w, h,
                             (enum AVPixelFormat) av->deep->format, -1)
        != VOD_OK)
    {
        return d->rc;
    }

    for (i = 0; i < 3; i++) {
        src[i] = (uint16_t *) av->deep->data[i];
        src_pitch[i] = (size_t) av->deep->linesize[i] / sizeof(uint16_t);
        out[i] = dst[i];
        dst_pitch[i] = (size_t) linesize[i];
    }

    vod_tone_apply(av->tone, src, src_pitch, w, h, cx, cy, out, dst_pitch);

    return VOD_OK;
}


/* the signal's peak in cd/m2 as FFmpeg's tonemap finds it: the stream's
 * MaxCLL, else its mastering display's peak; 0: neither said */

static double
ngx_vod_decode_peak(const AVFrame *f)
{
    AVFrameSideData             *sd;
    AVContentLightMetadata      *cll;
    AVMasteringDisplayMetadata  *md;

    sd = av_frame_get_side_data(f, AV_FRAME_DATA_CONTENT_LIGHT_LEVEL);

    if (sd != NULL) {
        cll = (AVContentLightMetadata *) sd->data;

        if (cll->MaxCLL > 0) {
            return cll->MaxCLL;
        }
    }

    sd = av_frame_get_side_data(f, AV_FRAME_DATA_MASTERING_DISPLAY_METADATA);

    if (sd != NULL) {
        md = (AVMasteringDisplayMetadata *) sd->data;

        if (md->has_luminance && md->max_luminance.den != 0) {
            return av_q2d(md->max_luminance);
        }
    }

    return 0.0;
}


/*
 * The placed frame's YCbCr to BT.601's, the one a JPEG's and a WebP's
 * decoder assume (vod_matrix.h): libswscale converts the range of YUV to
 * YUV, never the matrix, so a BT.709 frame kept its own and its colours
 * came out shifted.  The frame's own matrix, as FFmpeg's RGB of it takes:
 * none is BT.601's.
 */

static void
ngx_vod_decode_matrix(ngx_vod_av_t *av, uint8_t **dst, int *linesize,
    uint32_t w, uint32_t h, uint32_t cx, uint32_t cy)
{
    int           i;
    size_t        pitch[3];
    vod_matrix_t  m;

    vod_matrix_init(&m, (uint32_t) av->frame->colorspace, av->full);

    for (i = 0; i < 3; i++) {
        pitch[i] = (size_t) linesize[i];
    }

    vod_matrix_apply(&m, dst, pitch, w, h, cx, cy);
}


/*
 * An 8-bit frame of the tile's own size and chroma layout needs no
 * scaling, only its range: a copy when it has the picture's, or, limited
 * to full, each row stretched (vod_levels.h).  It costs less than
 * swscale's generic path, which a range conversion takes even at the
 * same size.  VOD_UNSUPPORTED for any other format or conversion.
 */

static int
ngx_vod_decode_expand(ngx_vod_av_t *av, uint8_t **dst, int *linesize,
    uint32_t cx, uint32_t cy)
{
    int                        i, full, copy;
    size_t                     w, h, y;
    AVFrame                   *f;
    uint8_t                   *s, *o;
    const AVPixFmtDescriptor  *desc;

    f = av->frame;
    desc = av_pix_fmt_desc_get((enum AVPixelFormat) f->format);

    if (desc == NULL || desc->nb_components != 3
        || (desc->flags & (AV_PIX_FMT_FLAG_RGB | AV_PIX_FMT_FLAG_BE
                           | AV_PIX_FMT_FLAG_PAL | AV_PIX_FMT_FLAG_HWACCEL))
        || !(desc->flags & AV_PIX_FMT_FLAG_PLANAR)
        || desc->comp[0].depth != 8 || desc->comp[1].depth != 8
        || desc->comp[0].step != 1 || desc->comp[1].step != 1
        || desc->log2_chroma_w != cx || desc->log2_chroma_h != cy)
    {
        return VOD_UNSUPPORTED;
    }

    full = (f->color_range == AVCOL_RANGE_JPEG
            || f->format == AV_PIX_FMT_YUVJ420P
            || f->format == AV_PIX_FMT_YUVJ422P
            || f->format == AV_PIX_FMT_YUVJ444P);

    if (full && !av->full) {
        return VOD_UNSUPPORTED;
    }

    copy = (full == av->full);

    for (i = 0; i < 3; i++) {
        w = (i == 0) ? (size_t) f->width
                     : ((size_t) f->width + (1u << cx) - 1) >> cx;
        h = (i == 0) ? (size_t) f->height
                     : ((size_t) f->height + (1u << cy) - 1) >> cy;

        for (y = 0; y < h; y++) {
            s = f->data[i] + y * f->linesize[i];
            o = dst[i] + y * linesize[i];

            if (copy) {
                ngx_memcpy(o, s, w);

            } else {
                vod_levels_expand(o, s, w, i > 0);
            }
        }
    }

    return VOD_OK;
}

#endif /* NGX_VOD_THUMBNAILS */
