/*
 * ngx_vod_package_decode.c: a thumbnail's or a tile sheet's pixels, in a
 * pool thread.  For each run the samples from a key frame to the last
 * frame shown are read from the file (as the segment paths read them:
 * pread() of the ranges the index locates), decoded with libavcodec (one
 * decoder for the picture, flushed between runs), skipping frames nothing
 * decoded after them refers to (vod_thumb_nal.c); each frame presented at
 * a time asked goes into its place in the picture (_place.c: scaled, in a
 * JPEG's range and matrix, turned as shown, an HDR video's tone mapped),
 * and the picture is encoded by libjpeg-turbo where the build found it
 * (_jpeg.c), else by the mjpeg encoder (or libwebp's, the picture then in
 * the limited range WebP has).  Every FFmpeg object is freed on every
 * path but the picture, which the task's pool cleanup frees.
 * It touches nothing of nginx's but pread().
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_thumb.h"
#include "ngx_vod_package_decode.h"
#include "vod_thumb.h"
#include "vod_thumb_refs.h"


#if (NGX_VOD_THUMBNAILS)

#include <stdio.h>
#include <libavutil/frame.h>
#include <libavutil/log.h>
#include <libavutil/opt.h>


/* WebP: libwebp's quality and method (see ngx_vod_decode_encode()) */
#define NGX_VOD_WEBP_QUALITY  90
#define NGX_VOD_WEBP_METHOD   2

/* the bytes of a sample the reference model reads: its SEI, AUD and
 * parameter sets, then its first slice headers (x264's SEI alone is some
 * 700 bytes on a key frame) */
#define NGX_VOD_REFS_HEADER   4096


static int ngx_vod_decode_open(ngx_vod_decode_t *d, ngx_vod_av_t *av);
static int ngx_vod_decode_run(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_run_t *run);
static void ngx_vod_decode_strictness(ngx_vod_decode_t *d,
    ngx_vod_av_t *av, ngx_vod_decode_run_t *run);
static int ngx_vod_decode_shown(ngx_vod_decode_run_t *run, uint32_t i);
static u_char *ngx_vod_decode_needed(ngx_vod_decode_t *d,
    ngx_vod_decode_run_t *run);
static int ngx_vod_decode_read(ngx_vod_decode_t *d, vod_sample_t *s,
    uint64_t offset, AVPacket *pkt);
static int ngx_vod_decode_receive(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_run_t *run, uint32_t *left);
static const AVCodec *ngx_vod_decode_find_decoder(uint32_t codec);
static const AVCodec *ngx_vod_decode_find_encoder(uint32_t image);
static int ngx_vod_decode_encode(ngx_vod_decode_t *d, ngx_vod_av_t *av);


void
ngx_vod_decode_picture(ngx_vod_decode_t *d)
{
    int           rc;
    uint64_t      total;
    uint32_t      i;
    ngx_vod_av_t  av;

    ngx_memzero(&av, sizeof(ngx_vod_av_t));

    /* a JPEG's YCbCr is full range; WebP's (VP8's) is limited, as video */
    av.full = (d->image == VOD_IMAGE_JPEG);

    /* FFmpeg writes its messages to stderr, nginx's error log before a
     * worker starts: quiet; failures are said in the task's one line */
    av_log_set_level(AV_LOG_QUIET);

    d->rc = VOD_ERROR;
    d->decoded = 0;
    d->toned = 0;
    d->again = 0;

    /* where each run starts (an intra refresh's may be earlier), every
     * run's before any is decoded: more samples asked for waste none */

    for (total = 0, i = 0; i < d->nruns; i++) {
        rc = ngx_vod_decode_refresh(d, &d->runs[i]);

        if (rc == VOD_NOT_FOUND) {
            /* d->again: the other runs may want more too */
            continue;
        }

        if (rc != VOD_OK) {
            d->again = 0;
            goto done;
        }

        total += d->runs[i].count;
    }

    if (d->again) {
        d->rc = VOD_NOT_FOUND;
        goto done;
    }

    /* a thumbnail's one run is within max_frames already: a sheet's
     * runs from the recovery points before their frames may add up */
    if (total > d->max_total) {
        ngx_vod_decode_error(d, VOD_BAD_DATA, "the tile sheet needs %llu "
                             "frames decoded from the recovery points "
                             "before its frames, over "
                             "vod_thumbnail_tile_max_frames %u",
                             (unsigned long long) total, d->max_total);
        goto done;
    }

    if (ngx_vod_decode_open(d, &av) != VOD_OK) {
        goto done;
    }

    for (i = 0; i < d->nruns; i++) {
        if (ngx_vod_decode_run(d, &av, &d->runs[i]) != VOD_OK) {
            goto done;
        }

        /* the next run starts at its own key frame */
        avcodec_flush_buffers(av.dec);
    }

    d->rc = ngx_vod_decode_encode(d, &av);

done:

    sws_freeContext(av.sws);
    free(av.tone);
    av_frame_free(&av.deep);
    av_frame_free(&av.turn);
    av_frame_free(&av.pic);
    av_frame_free(&av.frame);
    av_packet_free(&av.pkt);
    avcodec_free_context(&av.enc);
    avcodec_free_context(&av.dec);
}


/*
 * One pass from a run's key frame: every sample to the last one shown is
 * given to the decoder but those no frame up to it refers to; each frame
 * the decoder returns (in presentation order) whose time a tile names is
 * scaled into its place.  It ends when every tile of the run has its
 * frame.
 */

static int
ngx_vod_decode_run(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_run_t *run)
{
    int            rc;
    u_char        *need;
    int64_t        pts, lead;
    uint32_t       i, t, left;
    uint64_t       dts;
    vod_sample_t  *s;

    /* the tiles' frames by their presentation times */

    for (t = 0; t < run->ntiles; t++) {
        dts = run->start_dts;

        for (i = 0; i < run->tiles[t].sample; i++) {
            dts += run->samples[i].duration;
        }

        run->tiles[t].pts = (int64_t) dts
                            + run->samples[run->tiles[t].sample].pts_delay;
        run->tiles[t].done = 0;
    }

    left = run->ntiles;

    /* NULL: no proof, or not H.264 */
    need = ngx_vod_decode_needed(d, run);

    lead = (int64_t) run->start_dts + run->samples[0].pts_delay;

    for (dts = run->start_dts, i = 0; i < run->count && left > 0; i++) {
        s = &run->samples[i];
        pts = (int64_t) dts + s->pts_delay;
        dts += s->duration;

        if (need != NULL && !need[i]) {
            /* neither shown nor in any list of a frame needed */
            continue;
        }

        if (pts < lead && d->codec == VOD_CODEC_HEVC
            && !ngx_vod_decode_shown(run, i))
        {
            /*
             * A leading picture of the run's key frame (a CRA's RASL,
             * x265's default): it may refer to the GOP before, which this
             * decode does not have, and no picture presented after the
             * key frame may refer to it (H.265 8.3.2); libavcodec drops
             * it too.  A frame shown there starts its run a GOP earlier
             * (vod_thumb_pick()).  Not H.264: a skipped reference leaves
             * a frame_num gap whose stand-ins change later lists.
             */
            continue;
        }

        if (ngx_vod_decode_read(d, s, s->offset, av->pkt) != VOD_OK) {
            free(need);
            return d->rc;
        }

        if (i == 0) {
            ngx_vod_decode_strictness(d, av, run);
        }

        if (need == NULL && !s->sync && !ngx_vod_decode_shown(run, i)
            && vod_thumb_nal_disposable(&d->nal, av->pkt->data,
                                        av->pkt->size))
        {
            /* no frame up to the last one shown refers to it */
            av_packet_unref(av->pkt);
            continue;
        }

        av->pkt->pts = pts;
        av->pkt->dts = (int64_t) dts - s->duration;
        av->pkt->flags = s->sync ? AV_PKT_FLAG_KEY : 0;

        rc = avcodec_send_packet(av->dec, av->pkt);
        av_packet_unref(av->pkt);

        if (rc < 0) {
            free(need);
            return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                        "sample at offset %llu does not "
                                        "decode (%d)",
                                        (unsigned long long) s->offset, rc);
        }

        d->decoded++;

        rc = ngx_vod_decode_receive(d, av, run, &left);
        if (rc != VOD_OK) {
            free(need);
            return rc;
        }
    }

    free(need);

    if (left == 0) {
        return VOD_OK;
    }

    /* the frames the decoder holds back for reordering */

    if (avcodec_send_packet(av->dec, NULL) < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR, "decoder flush failed");
    }

    rc = ngx_vod_decode_receive(d, av, run, &left);
    if (rc != VOD_OK) {
        return rc;
    }

    for (t = 0; t < run->ntiles; t++) {
        if (!run->tiles[t].done) {
            return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                        "the frame presented at %lld "
                                        "(timescale %u) did not decode",
                                        (long long) run->tiles[t].pts,
                                        d->timescale);
        }
    }

    return VOD_OK;
}


/*
 * How strict the decoder is for a run, from its key frame (just read).
 * Strict (the decoder's open): a broken slice is an error, not a
 * concealed picture.  An H.264 run from an open GOP's key frame (an
 * I-frame that is not an IDR: x264 --open-gop) cannot be: the pictures
 * after it carry memory management commands for pictures of the GOP
 * before, which this decode lacks and which strict libavcodec refuses;
 * and libavcodec does not output the pictures it decodes before it has
 * output the key frame (it does not count them as recovered).  Both are
 * harmless here: every picture presented from the key frame on is whole
 * (its recovery point), and a leading picture's run starts a GOP earlier
 * (vod_thumb_pick()).  The price: in such a run libavcodec reports no
 * damage (no decode_error_flags), so a damaged frame is served as it
 * conceals it, as ffmpeg shows it, where a run from an IDR answers 502
 * for the damaged frame itself.
 */

static void
ngx_vod_decode_strictness(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_run_t *run)
{
    /* a run from an intra refresh's recovery point (_refresh.c) is as
     * lenient: its first pictures lack references, and libavcodec counts
     * a picture recovered only from the one its recovery point names on
     * in output order; every frame it shows comes after that point */

    if (run->refresh
        || vod_thumb_nal_open_key(&d->nal, av->pkt->data, av->pkt->size))
    {
        av->dec->err_recognition = 0;
        av->dec->flags2 |= AV_CODEC_FLAG2_SHOW_ALL;

    } else {
        av->dec->err_recognition = AV_EF_EXPLODE;
        av->dec->flags2 &= ~AV_CODEC_FLAG2_SHOW_ALL;
    }
}


/* 1 when a tile of the run shows sample i */

static int
ngx_vod_decode_shown(ngx_vod_decode_run_t *run, uint32_t i)
{
    uint32_t  t;

    for (t = 0; t < run->ntiles; t++) {
        if (run->tiles[t].sample == i) {
            return 1;
        }
    }

    return 0;
}


/*
 * H.264: the samples a run's decode needs (vod_thumb_refs.c), a byte a
 * sample of the run (1: needed), malloc()ed; NULL where the
 * model has no proof (or memory), the decode then skipping only the
 * disposable frames.  Its pass reads the first NGX_VOD_REFS_HEADER bytes
 * of each sample, not the whole GOP twice: the decode reads only the
 * samples needed.
 */

static u_char *
ngx_vod_decode_needed(ngx_vod_decode_t *d, ngx_vod_decode_run_t *run)
{
    size_t             len;
    u_char            *need, buf[NGX_VOD_REFS_HEADER];
    ssize_t            n;
    uint32_t           i, t, last;
    vod_refs_pic_t    *pics;
    vod_thumb_refs_t  *refs;

    if (d->codec != VOD_CODEC_AVC || !d->nal.skip || run->ntiles == 0) {
        return NULL;
    }

    for (last = 0, t = 0; t < run->ntiles; t++) {
        if (run->tiles[t].sample > last) {
            last = run->tiles[t].sample;
        }
    }

    if (last >= run->count || last >= VOD_REFS_MAX_RUN) {
        return NULL;
    }

    refs = malloc(sizeof(vod_thumb_refs_t));
    pics = malloc((last + 1) * sizeof(vod_refs_pic_t));
    need = calloc(run->count, 1);         /* none past the last shown */

    if (refs == NULL || pics == NULL || need == NULL) {
        goto failed;
    }

    vod_thumb_refs_init(refs, d->config, d->config_len,
                        d->nal.nal_length_size, pics, last + 1);

    for (i = 0; i <= last && !refs->failed; i++) {
        len = ngx_min(run->samples[i].size, NGX_VOD_REFS_HEADER);

        do {
            n = pread(d->fd, buf, len, (off_t) run->samples[i].offset);
        } while (n == -1 && ngx_errno == NGX_EINTR);

        if (n <= 0) {
            /* the decode's own read says why */
            goto failed;
        }

        vod_thumb_refs_add(refs, buf, (size_t) n);
    }

    for (t = 0; t < run->ntiles; t++) {
        need[run->tiles[t].sample] = 1;
    }

    if (vod_thumb_refs_needed(refs, need) != VOD_OK) {
        goto failed;
    }

    free(pics);
    free(refs);

    return need;

failed:

    free(need);
    free(pics);
    free(refs);

    return NULL;
}


void
ngx_vod_decode_free(ngx_vod_decode_t *d)
{
    free(d->jpeg);
    d->jpeg = NULL;
}


static int
ngx_vod_decode_open(ngx_vod_decode_t *d, ngx_vod_av_t *av)
{
    int             rc;
    const AVCodec  *codec;

    codec = ngx_vod_decode_find_decoder(d->codec);
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

    /* the sample entry's colour, as FFmpeg's demuxer gives it to its
     * decoder: the frames say the bitstream's where it has one, this
     * where it has none (a colr box on an untagged stream) */
    if (d->colour.matrix < AVCOL_SPC_NB) {
        av->dec->colorspace = (enum AVColorSpace) d->colour.matrix;
    }

    if (d->colour.transfer < AVCOL_TRC_NB) {
        av->dec->color_trc = (enum AVColorTransferCharacteristic)
                             d->colour.transfer;
    }

    if (d->colour.primaries < AVCOL_PRI_NB) {
        av->dec->color_primaries = (enum AVColorPrimaries)
                                   d->colour.primaries;
    }

    av->dec->color_range = d->colour.full_range ? AVCOL_RANGE_JPEG
                                                : AVCOL_RANGE_MPEG;

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


/* every frame the decoder has ready: those a tile of the run shows are
 * placed, the others dropped; VOD_OK when it has no more for now */

static int
ngx_vod_decode_receive(ngx_vod_decode_t *d, ngx_vod_av_t *av,
    ngx_vod_decode_run_t *run, uint32_t *left)
{
    int                     rc;
    uint32_t                t;
    ngx_vod_decode_tile_t  *tile;

    for ( ;; ) {
        rc = avcodec_receive_frame(av->dec, av->frame);

        if (rc == AVERROR(EAGAIN) || rc == AVERROR_EOF) {
            return VOD_OK;
        }

        if (rc < 0) {
            return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                        "frame does not decode (%d)", rc);
        }

        /* a frame shown longer than the interval may fill two tiles */

        for (t = 0; t < run->ntiles; t++) {
            tile = &run->tiles[t];

            if (tile->done || av->frame->pts != tile->pts) {
                continue;
            }

            /* a run from a recovery point: libavcodec flags the frames
             * it counts as not yet recovered, which are whole where the
             * recovery point is reached at or before them */
            if (av->frame->decode_error_flags != 0
                || ((av->frame->flags & AV_FRAME_FLAG_CORRUPT)
                    && !run->refresh))
            {
                av_frame_unref(av->frame);
                return ngx_vod_decode_error(d, VOD_BAD_DATA,
                                            "the frame presented at %lld "
                                            "decodes with errors",
                                            (long long) tile->pts);
            }

            if (ngx_vod_decode_place(d, av, tile) != VOD_OK) {
                av_frame_unref(av->frame);
                return d->rc;
            }

            tile->done = 1;
            (*left)--;
        }

        av_frame_unref(av->frame);
    }
}


/*
 * The decoder of a codec: FFmpeg's own for H.264 and H.265; for AV1 a
 * library's, dav1d's before libaom's, as FFmpeg's own AV1 decoder decodes
 * only through a hardware accelerator.
 */

static const AVCodec *
ngx_vod_decode_find_decoder(uint32_t codec)
{
    const AVCodec  *c;

    switch (codec) {

    case VOD_CODEC_AVC:
        return avcodec_find_decoder(AV_CODEC_ID_H264);

    case VOD_CODEC_HEVC:
        return avcodec_find_decoder(AV_CODEC_ID_HEVC);

    case VOD_CODEC_AV1:
        c = avcodec_find_decoder_by_name("libdav1d");
        return (c != NULL) ? c : avcodec_find_decoder_by_name("libaom-av1");

    default:
        return NULL;
    }
}


int
ngx_vod_decode_decoder(uint32_t codec)
{
    return ngx_vod_decode_find_decoder(codec) != NULL;
}


/*
 * The encoders by name: FFmpeg may register several for one codec id
 * (libwebp_anim before libwebp, hardware MJPEG ones), and only these take
 * one still picture in software.
 */

static const AVCodec *
ngx_vod_decode_find_encoder(uint32_t image)
{
    return avcodec_find_encoder_by_name((image == VOD_IMAGE_WEBP)
                                        ? "libwebp" : "mjpeg");
}


int
ngx_vod_decode_encoder(uint32_t image)
{
    return ngx_vod_decode_find_encoder(image) != NULL;
}


static int
ngx_vod_decode_encode(ngx_vod_decode_t *d, ngx_vod_av_t *av)
{
    int             rc;
    const AVCodec  *codec;
#if (NGX_VOD_LIBJPEG)
    char            error[sizeof(d->error)];
#endif

    if (av->pic == NULL) {
        /* every run places a frame or fails: not a picture of none */
        return ngx_vod_decode_error(d, VOD_ERROR, "no frame was placed");
    }

#if (NGX_VOD_LIBJPEG)

    if (d->image == VOD_IMAGE_JPEG
        && ngx_vod_jpeg_padded(av->pic->linesize, d->width, av->cx))
    {
        if (ngx_vod_jpeg_encode(av->pic->data, av->pic->linesize, d->width,
                                d->height, av->cx, av->cy, d->quality,
                                &d->jpeg, &d->len, error, sizeof(error))
            != VOD_OK)
        {
            return ngx_vod_decode_error(d, VOD_ERROR, "%s", error);
        }

        return VOD_OK;
    }
#endif

    codec = ngx_vod_decode_find_encoder(d->image);
    if (codec == NULL) {
        return ngx_vod_decode_error(d, VOD_UNSUPPORTED,
                                    "FFmpeg has no %s encoder",
                                    (d->image == VOD_IMAGE_WEBP)
                                    ? "libwebp" : "mjpeg");
    }

    av->enc = avcodec_alloc_context3(codec);
    if (av->enc == NULL) {
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    av->enc->width = (int) d->width;
    av->enc->height = (int) d->height;
    av->enc->pix_fmt = av->pic->format;
    av->enc->color_range = av->pic->color_range;
    av->enc->time_base = (AVRational) { 1, 25 };
    av->enc->thread_count = 1;

    if (d->image == VOD_IMAGE_WEBP) {
        /* libwebp's quality 0-100 and its method (speed against size,
         * 0-6, default 4): a third of the default's CPU at 1080p for
         * 10% more bytes */
        av->enc->global_quality = FF_QP2LAMBDA * NGX_VOD_WEBP_QUALITY;
        av->enc->compression_level = NGX_VOD_WEBP_METHOD;

    } else {
        av->enc->flags |= AV_CODEC_FLAG_QSCALE;
        av->enc->global_quality = FF_QP2LAMBDA * (int) d->quality;
    }

    rc = avcodec_open2(av->enc, codec, NULL);
    if (rc < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR,
                                    "%s encoder does not open (%d)",
                                    codec->name, rc);
    }

    av->pic->quality = av->enc->global_quality;
    av->pic->pts = 0;

    rc = avcodec_send_frame(av->enc, av->pic);
    if (rc >= 0) {
        rc = avcodec_receive_packet(av->enc, av->pkt);
    }

    if (rc < 0) {
        return ngx_vod_decode_error(d, VOD_ERROR, "%s encoding failed (%d)",
                                    codec->name, rc);
    }

    d->jpeg = malloc(av->pkt->size);
    if (d->jpeg == NULL) {
        av_packet_unref(av->pkt);
        return ngx_vod_decode_error(d, VOD_ERROR, "FFmpeg out of memory");
    }

    ngx_memcpy(d->jpeg, av->pkt->data, av->pkt->size);
    d->len = (size_t) av->pkt->size;

    av_packet_unref(av->pkt);

    return VOD_OK;
}


int
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
