/*
 * ngx_vod_package_decode.c: a thumbnail's pixels, in a pool thread.  The
 * samples from a key frame to the frame shown are read from the file (as
 * the segment paths read them: pread() of the ranges the index locates),
 * decoded with libavcodec, skipping H.264 frames nothing refers to, the
 * frame presented at the time asked scaled by libswscale to full-range
 * YUV 4:2:0 (a JPEG's range: limited-range video is expanded, not merely
 * relabelled) and encoded by the mjpeg encoder.  Every FFmpeg object is
 * freed on every path but the JPEG, which the task's pool cleanup frees.
 * It touches nothing of nginx's but pread().
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_thumb.h"
#include "vod_thumb.h"


#if (NGX_VOD_THUMBNAILS)

#include <stdio.h>
#include <libavcodec/avcodec.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>
#include <libswscale/swscale.h>


typedef struct {
    AVCodecContext       *dec;
    AVCodecContext       *enc;
    AVPacket             *pkt;
    AVFrame              *frame;
    AVFrame              *pic;
    struct SwsContext    *sws;
} ngx_vod_av_t;


static int ngx_vod_decode_open(ngx_vod_decode_t *d, ngx_vod_av_t *av);
static int ngx_vod_decode_read(ngx_vod_decode_t *d, vod_sample_t *s,
    uint64_t offset, AVPacket *pkt);
static int ngx_vod_decode_receive(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    int64_t pts);
static int ngx_vod_decode_encode(ngx_vod_decode_t *d, ngx_vod_av_t *av);
static int ngx_vod_decode_error(ngx_vod_decode_t *d, int rc,
    const char *fmt, ...);


void
ngx_vod_decode_thumb(ngx_vod_decode_t *d)
{
    int            rc;
    int64_t        pts, target;
    uint32_t       i;
    uint64_t       dts;
    vod_sample_t  *s;
    ngx_vod_av_t   av;

    ngx_memzero(&av, sizeof(ngx_vod_av_t));

    /* FFmpeg writes its messages to stderr, nginx's error log before a
     * worker starts: quiet; failures are said in the task's one line */
    av_log_set_level(AV_LOG_QUIET);

    d->rc = VOD_ERROR;
    d->decoded = 0;

    if (ngx_vod_decode_open(d, &av) != VOD_OK) {
        goto done;
    }

    /* the frame shown is the last sample: its presentation time names it
     * among the frames the decoder returns in presentation order */

    for (dts = d->start_dts, i = 0; i + 1 < d->count; i++) {
        dts += d->samples[i].duration;
    }

    target = (int64_t) dts + d->samples[d->count - 1].pts_delay;

    for (dts = d->start_dts, i = 0; i < d->count; i++) {
        s = &d->samples[i];
        pts = (int64_t) dts + s->pts_delay;
        dts += s->duration;

        if (ngx_vod_decode_read(d, s, s->offset, av.pkt) != VOD_OK) {
            goto done;
        }

        if (i + 1 < d->count && !s->sync && d->codec == VOD_CODEC_AVC
            && vod_thumb_avc_disposable(av.pkt->data, av.pkt->size,
                                        d->nal_length_size))
        {
            /* no frame up to the one shown refers to it */
            av_packet_unref(av.pkt);
            continue;
        }

        av.pkt->pts = pts;
        av.pkt->dts = (int64_t) dts - s->duration;
        av.pkt->flags = s->sync ? AV_PKT_FLAG_KEY : 0;

        rc = avcodec_send_packet(av.dec, av.pkt);
        av_packet_unref(av.pkt);

        if (rc < 0) {
            ngx_vod_decode_error(d, VOD_BAD_DATA,
                                 "sample at offset %llu does not decode "
                                 "(%d)", (unsigned long long) s->offset, rc);
            goto done;
        }

        d->decoded++;

        rc = ngx_vod_decode_receive(d, &av, target);
        if (rc == VOD_OK) {
            goto found;
        }

        if (rc != VOD_NOT_FOUND) {
            goto done;
        }
    }

    /* the frames the decoder holds back for reordering */

    if (avcodec_send_packet(av.dec, NULL) < 0) {
        ngx_vod_decode_error(d, VOD_ERROR, "decoder flush failed");
        goto done;
    }

    rc = ngx_vod_decode_receive(d, &av, target);
    if (rc == VOD_NOT_FOUND) {
        ngx_vod_decode_error(d, VOD_BAD_DATA,
                             "the frame presented at %lld (timescale %u) did "
                             "not decode", (long long) target, d->timescale);
        goto done;
    }

    if (rc != VOD_OK) {
        goto done;
    }

found:

    d->rc = ngx_vod_decode_encode(d, &av);

done:

    sws_freeContext(av.sws);
    av_frame_free(&av.pic);
    av_frame_free(&av.frame);
    av_packet_free(&av.pkt);
    avcodec_free_context(&av.enc);
    avcodec_free_context(&av.dec);
}


void
ngx_vod_decode_free(ngx_vod_decode_t *d)
{
    av_freep(&d->jpeg);
}


static int
ngx_vod_decode_open(ngx_vod_decode_t *d, ngx_vod_av_t *av)
{
    int             rc;
    const AVCodec  *codec;

    codec = avcodec_find_decoder((d->codec == VOD_CODEC_HEVC)
                                 ? AV_CODEC_ID_HEVC : AV_CODEC_ID_H264);
    if (codec == NULL) {
        return ngx_vod_decode_error(d, VOD_UNSUPPORTED,
                                    "FFmpeg has no decoder for the codec");
    }

    av->dec = avcodec_alloc_context3(codec);
    av->pkt = av_packet_alloc();
    av->frame = av_frame_alloc();

    if (av->dec == NULL || av->pkt == NULL || av->frame == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    /* avcC / hvcC as they are: the decoder reads length-prefixed NALs */
    av->dec->extradata = av_mallocz(d->config_len
                                    + AV_INPUT_BUFFER_PADDING_SIZE);
    if (av->dec->extradata == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    ngx_memcpy(av->dec->extradata, d->config, d->config_len);
    av->dec->extradata_size = (int) d->config_len;

    /* one thread: the task is already one of the pool's; a broken slice
     * is an error, not a concealed picture */
    av->dec->thread_count = 1;
    av->dec->err_recognition = AV_EF_EXPLODE;
    av->dec->max_pixels = NGX_VOD_THUMB_MAX_PIXELS;
    av->dec->pkt_timebase = (AVRational) { 1, (int) d->timescale };

    rc = avcodec_open2(av->dec, codec, NULL);
    if (rc < 0) {
        return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                    "decoder does not open on the "
                                    "sample entry's configuration (%d)", rc);
    }

    return VOD_OK;
}


static int
ngx_vod_decode_read(ngx_vod_decode_t *d, vod_sample_t *s, uint64_t offset,
    AVPacket *pkt)
{
    ssize_t   n;
    uint32_t  got;

    if (av_new_packet(pkt, (int) s->size) < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    for (got = 0; got < s->size; got += (uint32_t) n) {
        n = pread(d->fd, pkt->data + got, s->size - got,
                  (off_t) (offset + got));

        if (n <= 0) {
            if (n == -1 && ngx_errno == NGX_EINTR) {
                n = 0;
                continue;
            }

            d->err = (n == -1) ? ngx_errno : 0;
            av_packet_unref(pkt);

            return ngx_vod_decode_error(d, VOD_BAD_DATA, "%s at offset %llu",
                                        (n == -1) ? "pread() failed"
                                                  : "unexpected end of file",
                                        (unsigned long long) offset + got);
        }
    }

    return VOD_OK;
}


/* VOD_OK with the frame presented at pts in av->frame, VOD_NOT_FOUND when
 * the decoder has not returned it yet */

static int
ngx_vod_decode_receive(ngx_vod_decode_t *d, ngx_vod_av_t *av, int64_t pts)
{
    int  rc;

    for ( ;; ) {
        rc = avcodec_receive_frame(av->dec, av->frame);

        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            return VOD_NOT_FOUND;
        }

        if (rc < 0) {
            return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                        "frame does not decode (%d)", rc);
        }

        if (av->frame->pts == pts) {
            break;
        }

        av_frame_unref(av->frame);
    }

    if (av->frame->decode_error_flags != 0
        || (av->frame->flags & AV_FRAME_FLAG_CORRUPT))
    {
        return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                    "the frame presented at %lld decodes "
                                    "with errors", (long long) pts);
    }

    return VOD_OK;
}


static int
ngx_vod_decode_encode(ngx_vod_decode_t *d, ngx_vod_av_t *av)
{
    int             rc, src_range;
    AVFrame        *f;
    const AVCodec  *codec;

    f = av->frame;

    /* the source's range as the stream says (H.264 and HEVC default to
     * limited), to the full range of a JPEG's YCbCr; given before the
     * scaler's init, which otherwise picks a plain copy for a picture of
     * the source's size and format */

    src_range = (f->color_range == AVCOL_RANGE_JPEG
                 || f->format == AV_PIX_FMT_YUVJ420P
                 || f->format == AV_PIX_FMT_YUVJ422P
                 || f->format == AV_PIX_FMT_YUVJ444P);

    av->sws = sws_alloc_context();
    if (av->sws == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    if (av_opt_set_int(av->sws, "srcw", f->width, 0) < 0
        || av_opt_set_int(av->sws, "srch", f->height, 0) < 0
        || av_opt_set_int(av->sws, "src_format", f->format, 0) < 0
        || av_opt_set_int(av->sws, "src_range", src_range, 0) < 0
        || av_opt_set_int(av->sws, "dstw", d->width, 0) < 0
        || av_opt_set_int(av->sws, "dsth", d->height, 0) < 0
        || av_opt_set_int(av->sws, "dst_format", AV_PIX_FMT_YUV420P, 0) < 0
        || av_opt_set_int(av->sws, "dst_range", 1, 0) < 0
        || av_opt_set_int(av->sws, "sws_flags", SWS_BICUBIC, 0) < 0
        || sws_init_context(av->sws, NULL, NULL) < 0)
    {
        return ngx_vod_decode_error(d, VOD_UNSUPPORTED,
                                    "no scaler from pixel format %d to "
                                    "%ux%u", f->format, d->width, d->height);
    }

    av->pic = av_frame_alloc();
    if (av->pic == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    av->pic->format = AV_PIX_FMT_YUV420P;
    av->pic->width = (int) d->width;
    av->pic->height = (int) d->height;
    av->pic->color_range = AVCOL_RANGE_JPEG;

    if (av_frame_get_buffer(av->pic, 0) < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    if (sws_scale(av->sws, (const uint8_t * const *) f->data, f->linesize,
                  0, f->height, av->pic->data, av->pic->linesize)
        != (int) d->height)
    {
        return ngx_vod_decode_error(d, VOD_ERROR, "sws_scale() failed");
    }

    codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
    if (codec == NULL) {
        return ngx_vod_decode_error(d, VOD_UNSUPPORTED,
                                    "FFmpeg has no mjpeg encoder");
    }

    av->enc = avcodec_alloc_context3(codec);
    if (av->enc == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    av->enc->width = (int) d->width;
    av->enc->height = (int) d->height;
    av->enc->pix_fmt = AV_PIX_FMT_YUV420P;
    av->enc->color_range = AVCOL_RANGE_JPEG;
    av->enc->time_base = (AVRational) { 1, 25 };
    av->enc->thread_count = 1;
    av->enc->flags |= AV_CODEC_FLAG_QSCALE;
    av->enc->global_quality = FF_QP2LAMBDA * (int) d->quality;

    rc = avcodec_open2(av->enc, codec, NULL);
    if (rc < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR,
                                    "mjpeg encoder does not open (%d)", rc);
    }

    av->pic->quality = av->enc->global_quality;
    av->pic->pts = 0;

    rc = avcodec_send_frame(av->enc, av->pic);
    if (rc >= 0) {
        rc = avcodec_receive_packet(av->enc, av->pkt);
    }

    if (rc < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR, "mjpeg encoding failed (%d)",
                                    rc);
    }

    d->jpeg = av_malloc(av->pkt->size);
    if (d->jpeg == NULL) {
        av_packet_unref(av->pkt);
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    ngx_memcpy(d->jpeg, av->pkt->data, av->pkt->size);
    d->len = (size_t) av->pkt->size;

    av_packet_unref(av->pkt);

    return VOD_OK;
}


static int
ngx_vod_decode_error(ngx_vod_decode_t *d, int rc, const char *fmt, ...)
{
    va_list  args;

    if (d->error[0] == '\0') {
        va_start(args, fmt);
        vsnprintf(d->error, sizeof(d->error), fmt, args);
        va_end(args);
    }

    d->rc = rc;

    return rc;
}

#endif /* NGX_VOD_THUMBNAILS */
