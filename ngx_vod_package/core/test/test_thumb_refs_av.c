/*
 * test_thumb_refs_av.c: the proof that skipping the reference frames
 * vod_thumb_refs.c leaves out changes no pixel.  Each encoding below is
 * made by ffmpeg (x264) into a temporary folder; for every frame of every
 * GOP (5 s, 2 s GOPs: the first two and the last) it is decoded by
 * libavcodec twice: with every frame of its GOP, and with only the
 * frames the model says the frame needs (as ngx_vod_package_decode.c
 * feeds them); the md5 of the planes must be equal.  The interlaced
 * encoding must get no proof (fallback).  Skipped if ffmpeg is missing.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include <libavformat/avformat.h>
#include <libavcodec/avcodec.h>
#include <libavutil/md5.h>

#include "vod_thumb_refs.h"


#define REFS_AV_MAX_PKTS  512


typedef struct {
    const char   *name;
    const char   *args;
    int           skips;              /* reference frames must be skipped */
    int           fallback;           /* no run may get a proof */
} refs_av_enc_t;


typedef struct {
    AVPacket     *pkts[REFS_AV_MAX_PKTS];
    int           npkts;
    uint8_t      *extradata;
    int           extradata_size;
    AVRational    time_base;
} refs_av_media_t;


typedef struct {
    unsigned      frames;             /* frames compared */
    unsigned      proved;             /* runs with a proof */
    unsigned      fallback;           /* runs without */
    unsigned      ref_skipped;        /* reference frames left out */
    unsigned      decoded;            /* frames given with the proof */
    unsigned      decoded_before;     /* ... and without (disposable) */
} refs_av_stats_t;


static const refs_av_enc_t  encs[] = {
    { "ultrafast", "-preset ultrafast", 0, 0 },
    { "veryfast", "-preset veryfast -bf 2", 1, 0 },
    { "medium", "-preset medium", 0, 0 },
    { "slow", "-preset slow", 0, 0 },
    { "pyramid-none", "-preset veryfast -x264-params b-pyramid=none", 0, 0 },
    { "pyramid-strict", "-preset veryfast -x264-params b-pyramid=strict",
      1, 0 },
    { "bf3", "-preset veryfast -bf 3", 1, 0 },
    { "bf5", "-preset veryfast -bf 5", 0, 0 },
    { "slices4", "-preset veryfast -x264-params slices=4", 1, 0 },
    { "open-gop", "-preset veryfast -x264-params open-gop=1", 0, 0 },
    { "weightb", "-preset medium -x264-params weightb=1", 0, 0 },
    { "ref5-bf3", "-preset veryfast -refs 5 -bf 3", 0, 0 },
    { "baseline", "-preset veryfast -profile:v baseline", 0, 0 },
    { "interlaced", "-preset veryfast -flags +ildct+ilme", 0, 1 },
};


static char  dir[] = "/tmp/test_thumb_refs_XXXXXX";


static int
refs_av_load(const char *path, refs_av_media_t *m)
{
    int               vi;
    AVPacket         *pkt;
    AVFormatContext  *fmt;

    memset(m, 0, sizeof(refs_av_media_t));
    fmt = NULL;

    if (avformat_open_input(&fmt, path, NULL, NULL) < 0
        || avformat_find_stream_info(fmt, NULL) < 0)
    {
        return -1;
    }

    vi = av_find_best_stream(fmt, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
    assert_true(vi >= 0);

    m->time_base = fmt->streams[vi]->time_base;
    m->extradata_size = fmt->streams[vi]->codecpar->extradata_size;
    m->extradata = malloc(m->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
    assert_non_null(m->extradata);
    memset(m->extradata, 0, m->extradata_size + AV_INPUT_BUFFER_PADDING_SIZE);
    memcpy(m->extradata, fmt->streams[vi]->codecpar->extradata,
           m->extradata_size);

    for ( ;; ) {
        pkt = av_packet_alloc();
        assert_non_null(pkt);

        if (av_read_frame(fmt, pkt) < 0) {
            av_packet_free(&pkt);
            break;
        }

        if (pkt->stream_index != vi || m->npkts == REFS_AV_MAX_PKTS) {
            av_packet_free(&pkt);
            continue;
        }

        m->pkts[m->npkts++] = pkt;
    }

    avformat_close_input(&fmt);

    return 0;
}


static AVCodecContext *
refs_av_decoder(refs_av_media_t *m)
{
    const AVCodec   *codec;
    AVCodecContext  *dec;

    codec = avcodec_find_decoder(AV_CODEC_ID_H264);
    assert_non_null(codec);

    dec = avcodec_alloc_context3(codec);
    assert_non_null(dec);

    dec->extradata = av_mallocz(m->extradata_size
                                + AV_INPUT_BUFFER_PADDING_SIZE);
    memcpy(dec->extradata, m->extradata, m->extradata_size);
    dec->extradata_size = m->extradata_size;

    /* as the module's decoder is set up */
    dec->thread_count = 1;
    dec->err_recognition = AV_EF_EXPLODE;
    dec->pkt_timebase = m->time_base;

    assert_true(avcodec_open2(dec, codec, NULL) >= 0);

    return dec;
}


static void
refs_av_md5(AVFrame *f, uint8_t *md5)
{
    int          i, y, w, h;
    struct AVMD5 *ctx;

    ctx = av_md5_alloc();
    assert_non_null(ctx);
    av_md5_init(ctx);

    for (i = 0; i < 3; i++) {
        w = (i == 0) ? f->width : (f->width + 1) / 2;
        h = (i == 0) ? f->height : (f->height + 1) / 2;

        for (y = 0; y < h; y++) {
            av_md5_update(ctx, f->data[i] + (size_t) y * f->linesize[i], w);
        }
    }

    av_md5_final(ctx, md5);
    av_free(ctx);
}


/* receive every frame ready; the one presented at pts has its md5 in
 * md5 (found set); every frame's md5 in all[] by decode-order index of
 * its packet when all != NULL */

static void
refs_av_receive(AVCodecContext *dec, refs_av_media_t *m, int first,
    int last, int64_t pts, uint8_t *md5, int *found, uint8_t (*all)[16])
{
    int       i;
    AVFrame  *f;

    f = av_frame_alloc();
    assert_non_null(f);

    while (avcodec_receive_frame(dec, f) >= 0) {
        assert_int_equal(f->decode_error_flags, 0);

        if (f->pts == pts && md5 != NULL) {
            refs_av_md5(f, md5);
            *found = 1;
        }

        if (all != NULL) {
            for (i = first; i <= last; i++) {
                if (m->pkts[i]->pts == f->pts) {
                    refs_av_md5(f, all[i]);
                }
            }
        }

        av_frame_unref(f);
    }

    av_frame_free(&f);
}


/* decode packets first..last whose give[] is set (all when give is NULL) */

static void
refs_av_decode(AVCodecContext *dec, refs_av_media_t *m, int first,
    int last, const u_char *give, int64_t pts, uint8_t *md5, int *found,
    uint8_t (*all)[16])
{
    int  i;

    avcodec_flush_buffers(dec);

    for (i = first; i <= last; i++) {
        if (give != NULL && !give[i - first]) {
            continue;
        }

        assert_true(avcodec_send_packet(dec, m->pkts[i]) >= 0);
        refs_av_receive(dec, m, first, last, pts, md5, found, all);
    }

    assert_true(avcodec_send_packet(dec, NULL) >= 0);
    refs_av_receive(dec, m, first, last, pts, md5, found, all);
}


static int
refs_av_disposable(const u_char *p, int len, uint32_t nls)
{
    uint32_t  n, i, slices;

    /* nal_ref_idc 0 in every slice, as vod_thumb_nal.c tells it */
    slices = 0;

    while (len > (int) nls) {
        for (n = 0, i = 0; i < nls; i++) {
            n = (n << 8) | p[i];
        }

        p += nls;
        len -= nls;

        if ((p[0] & 0x1f) == 5 || (((p[0] & 0x1f) == 1)
                                   && (p[0] & 0x60) != 0))
        {
            return 0;
        }

        if ((p[0] & 0x1f) == 1) {
            slices++;
        }

        p += n;
        len -= n;
    }

    return slices > 0;
}


static void
refs_av_gop(AVCodecContext *dec, refs_av_media_t *m, int key, int end,
    refs_av_stats_t *st)
{
    int                i, t, found, have_full;
    u_char             need[REFS_AV_MAX_PKTS];
    uint8_t            md5[16];
    uint8_t            full[REFS_AV_MAX_PKTS][16];
    uint32_t           nls;
    vod_refs_pic_t    *pics;
    vod_thumb_refs_t  *r;

    have_full = 0;
    nls = (m->extradata[4] & 3) + 1;
    r = malloc(sizeof(vod_thumb_refs_t));
    pics = malloc(sizeof(vod_refs_pic_t) * REFS_AV_MAX_PKTS);
    assert_non_null(r);
    assert_non_null(pics);

    for (t = key; t <= end; t++) {
        /* the run: the key frame to the frame shown, in decode order */
        vod_thumb_refs_init(r, m->extradata, m->extradata_size, nls, pics,
                            REFS_AV_MAX_PKTS);

        for (i = key; i <= t; i++) {
            vod_thumb_refs_add(r, m->pkts[i]->data, m->pkts[i]->size);
        }

        memset(need, 0, sizeof(need));
        need[t - key] = 1;

        if (vod_thumb_refs_needed(r, need) != VOD_OK) {
            st->fallback++;
            continue;
        }

        st->proved++;

        if (!have_full) {
            /* the reference: the whole GOP decoded (only where a run has
             * a proof: a GOP of an open-GOP encoding does not decode
             * alone, and gets none) */
            memset(full, 0, sizeof(full));
            refs_av_decode(dec, m, key, end, NULL, AV_NOPTS_VALUE, NULL,
                           NULL, full);
            have_full = 1;
        }

        for (i = key; i <= t; i++) {
            if (need[i - key]) {
                st->decoded++;

            } else if (!refs_av_disposable(m->pkts[i]->data,
                                           m->pkts[i]->size, nls))
            {
                st->ref_skipped++;
            }

            if (i == t || i == key
                || !refs_av_disposable(m->pkts[i]->data, m->pkts[i]->size,
                                       nls))
            {
                st->decoded_before++;
            }
        }

        found = 0;
        refs_av_decode(dec, m, key, t, need, m->pkts[t]->pts, md5, &found,
                       NULL);

        if (!found || memcmp(md5, full[t], 16) != 0) {
            print_error("frame %d of the GOP at %d: %s\n", t - key, key,
                        found ? "pixels differ" : "not output");
            fail();
        }

        st->frames++;
    }

    free(pics);
    free(r);
}


static void
test_thumb_refs_av(void **state)
{
    int                   i, k, gop, start[16], ngops, last;
    char                  cmd[1024], path[256];
    AVCodecContext       *dec;
    refs_av_media_t       m;
    refs_av_stats_t       st;
    const refs_av_enc_t  *e;

    e = *state;

    snprintf(path, sizeof(path), "%s/%s.mp4", dir, e->name);
    snprintf(cmd, sizeof(cmd),
             "ffmpeg -hide_banner -loglevel error -y -f lavfi -i "
             "testsrc2=size=320x180:rate=24:duration=5 "
             "-vf noise=alls=12:allf=t -c:v libx264 %s -g 48 "
             "-keyint_min 48 -sc_threshold 0 -pix_fmt yuv420p %s",
             e->args, path);

    assert_int_equal(system(cmd), 0);
    assert_int_equal(refs_av_load(path, &m), 0);
    assert_true(m.npkts > 48);

    ngops = 0;

    for (i = 0; i < m.npkts && ngops < 16; i++) {
        if (m.pkts[i]->flags & AV_PKT_FLAG_KEY) {
            start[ngops++] = i;
        }
    }

    dec = refs_av_decoder(&m);
    memset(&st, 0, sizeof(st));

    for (gop = 0; gop < ngops; gop++) {
        last = (gop + 1 < ngops) ? start[gop + 1] - 1 : m.npkts - 1;
        refs_av_gop(dec, &m, start[gop], last, &st);
    }

    print_message("%-15s %u frames identical, %u runs proved, %u fell "
                  "back; frames given %u (%u before), %u reference "
                  "frames skipped\n", e->name, st.frames, st.proved,
                  st.fallback, st.decoded, st.decoded_before,
                  st.ref_skipped);

    if (e->fallback) {
        assert_int_equal(st.proved, 0);

    } else {
        assert_true(st.proved > 0);
    }

    if (e->skips) {
        assert_true(st.ref_skipped > 0);
    }

    avcodec_free_context(&dec);

    for (k = 0; k < m.npkts; k++) {
        av_packet_free(&m.pkts[k]);
    }

    free(m.extradata);
    unlink(path);
}


int
main(void)
{
    size_t                   i;
    int                      rc;
    struct CMUnitTest        tests[sizeof(encs) / sizeof(encs[0])];

    if (system("ffmpeg -hide_banner -loglevel error -f lavfi -i "
               "testsrc2=size=64x64:duration=0.1 -c:v libx264 -f null - "
               ">/dev/null 2>&1") != 0)
    {
        printf("ffmpeg with libx264 missing: skipped\n");
        return 0;
    }

    if (mkdtemp(dir) == NULL) {
        return 1;
    }

    for (i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
        tests[i].name = encs[i].name;
        tests[i].test_func = test_thumb_refs_av;
        tests[i].setup_func = NULL;
        tests[i].teardown_func = NULL;
        tests[i].initial_state = (void *) &encs[i];
    }

    rc = _cmocka_run_group_tests("thumb_refs_av", tests,
                                 sizeof(encs) / sizeof(encs[0]), NULL, NULL);

    rmdir(dir);

    return rc;
}
