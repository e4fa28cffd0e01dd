/*
 * test_ts.c: MPEG-TS segments (vod_ts.c), checked packet by packet (sync
 * bytes, continuity counters, PSI CRCs, PES timestamps against the source,
 * AUD and SPS/PPS, ADTS) and by decoding the concatenated segments of
 * every H.264/AAC fixture with ffmpeg.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "../fuzz/ts_oracle.h"
#include "vod_fmp4.h"
#include "vod_ts.h"


#define TEST_PID_VIDEO  0x100
#define TEST_PID_AUDIO  0x101
#define TEST_MAX_PES    4096


typedef struct {
    uint32_t     pid;
    int64_t      pts;
    int64_t      dts;
    int          rai;
    int          pcr;
    u_char      *es;
    size_t       es_len;
} test_pes_t;


typedef struct {
    test_pes_t   pes[TEST_MAX_PES];
    uint32_t     count;
} test_ts_t;


typedef struct {
    const char  *file;
    int          video;
    int          audio;
} test_fixture_t;


static void test_media_path(char *buf, size_t size, const char *file);
static uint32_t test_crc32(const u_char *p, size_t len);
static int64_t test_read_ts(const u_char *p);
static int64_t test_90k(int64_t t, uint32_t timescale);
static void test_parse(const u_char *buf, size_t len, test_ts_t *ts);
static void test_ts_free(test_ts_t *ts);
static void test_check_video(test_ts_t *ts, av_oracle_track_t *v,
    uint32_t *next);
static void test_check_audio(test_ts_t *ts, av_oracle_track_t *a,
    uint32_t *next);
static void test_oracle_segment(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *out, size_t len,
    const char *what);
static void test_fixtures(void **state);
static void test_bad_nal(void **state);
static void test_dolby(void **state);
static void test_unsupported(void **state);
static void test_bounds(void **state);
static size_t test_nal(u_char *p, uint32_t nls, uint32_t type, size_t len,
    uint32_t seed);
static void test_crafted_env(vod_env_t *env, av_oracle_env_ctx_t *ctx,
    char *tmp, const u_char *data, size_t len);
static void test_crafted_video(vod_track_info_t *info, vod_segment_t *seg,
    vod_sample_t *s, uint32_t n, uint32_t nls);
static void test_oracle(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const char *what);
static void test_nal_forms(void **state);
static void test_overlap(void **state);
static void test_oracle_rejects(void **state);
static void test_composition_offsets(void **state);
static void test_refused(vod_env_t *env, av_oracle_env_ctx_t *ctx,
    const vod_segment_t *video, const vod_segment_t *audio,
    const char *what);


static const test_fixture_t  test_fixtures_list[] = {
    { "demo/360p.mp4",   1, 1 },
    { "demo/1080p.mp4",  1, 1 },
    { "demo/720p.mp4",   1, 1 },
    { "ntsc/360p.mp4",   1, 1 },
    { "video/360p.mp4",  1, 0 },
    { "audio/audio.mp4", 0, 1 },
    { "aud/720p.mp4",    1, 1 },
};


/* avcC: High profile level 3.1, one SPS, one PPS; byte 4 is set to the
 * NAL length size of each test */
static const u_char  test_avcc[] = {
    0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00,
    0x1f, 0x01, 0x00, 0x02, 0x68, 0xee
};


static void
test_media_path(char *buf, size_t size, const char *file)
{
    const char  *dir;

    dir = getenv("VOD_MEDIA");
    snprintf(buf, size, "%s/%s", dir != NULL ? dir : "build/media", file);
}


/* the test's own CRC-32/MPEG-2; a section followed by its CRC sums to 0 */
static uint32_t
test_crc32(const u_char *p, size_t len)
{
    int       b;
    uint32_t  crc;

    crc = 0xffffffff;

    while (len--) {
        for (b = 7; b >= 0; b--) {
            if (((crc >> 31) ^ (*p >> b)) & 1) {
                crc = (crc << 1) ^ 0x04c11db7;

            } else {
                crc <<= 1;
            }
        }

        p++;
    }

    return crc;
}


static int64_t
test_read_ts(const u_char *p)
{
    assert_int_equal(p[0] & 1, 1);
    assert_int_equal(p[2] & 1, 1);
    assert_int_equal(p[4] & 1, 1);

    return ((int64_t) (p[0] & 0x0e) << 29) | ((int64_t) p[1] << 22)
           | ((int64_t) (p[2] >> 1) << 15) | ((int64_t) p[3] << 7)
           | (p[4] >> 1);
}


static int64_t
test_90k(int64_t t, uint32_t timescale)
{
    /* floor, for the small values of the fixtures */
    if (t >= 0) {
        return t * 90000 / timescale;
    }

    return -((-t * 90000 + timescale - 1) / timescale);
}


/* Check every packet of one segment and collect its PES. */
static void
test_parse(const u_char *buf, size_t len, test_ts_t *ts)
{
    int            cc[0x2000], pusi, afc, pcr_seen;
    size_t         off, plen, seclen;
    uint32_t       pid, pmt_pid;
    test_pes_t    *pes;
    const u_char  *p, *pl;

    assert_int_equal(len % 188, 0);
    assert_true(len >= 2 * 188);

    memset(cc, 0xff, sizeof(cc));
    pes = NULL;
    pmt_pid = 0;
    pcr_seen = 0;

    for (off = 0; off < len; off += 188) {
        p = buf + off;
        assert_int_equal(p[0], 0x47);

        pusi = (p[1] >> 6) & 1;
        pid = ((p[1] & 0x1f) << 8) | p[2];
        afc = (p[3] >> 4) & 3;
        assert_true(afc != 0);

        /* continuity: +1 per packet with payload, unchanged without */
        if (cc[pid] != -1) {
            assert_int_equal(p[3] & 0x0f,
                             (afc & 1) ? (cc[pid] + 1) & 0x0f : cc[pid]);
        }

        cc[pid] = p[3] & 0x0f;

        pl = p + 4;
        plen = 184;

        if (afc & 2) {
            assert_true(p[4] <= 183);

            if (p[4] > 0 && (p[5] & 0x10)) {
                if (pid == TEST_PID_VIDEO || pid == TEST_PID_AUDIO) {
                    pcr_seen = 1;
                }
            }

            pl += 1 + p[4];
            plen -= 1 + p[4];
            assert_true((afc & 1) || plen == 0);
        }

        /* PAT first, PMT second */
        if (off == 0) {
            assert_int_equal(pid, 0);
            assert_true(pusi);
            assert_int_equal(pl[0], 0);
            assert_int_equal(pl[1], 0x00);
            seclen = ((pl[2] & 0x0f) << 8) | pl[3];
            assert_int_equal(seclen, 13);
            assert_int_equal(test_crc32(pl + 1, 3 + seclen), 0);
            pmt_pid = ((pl[11] & 0x1f) << 8) | pl[12];
            continue;
        }

        if (off == 188) {
            assert_int_equal(pid, pmt_pid);
            assert_int_equal(pl[1], 0x02);
            seclen = ((pl[2] & 0x0f) << 8) | pl[3];
            assert_int_equal(test_crc32(pl + 1, 3 + seclen), 0);
            continue;
        }

        assert_true(pid == TEST_PID_VIDEO || pid == TEST_PID_AUDIO);

        if (plen == 0) {
            continue;
        }

        if (pusi) {
            /* every PES starts after a PCR has been sent */
            assert_true(pcr_seen);
            assert_true(ts->count < TEST_MAX_PES);
            pes = &ts->pes[ts->count++];
            memset(pes, 0, sizeof(test_pes_t));
            pes->pid = pid;
            pes->rai = (afc & 2) && p[4] > 0 && (p[5] & 0x40);
            pes->pcr = (afc & 2) && p[4] > 0 && (p[5] & 0x10);

            assert_int_equal(pl[0], 0);
            assert_int_equal(pl[1], 0);
            assert_int_equal(pl[2], 1);
            assert_int_equal(pl[3], pid == TEST_PID_VIDEO ? 0xe0 : 0xc0);
            assert_int_equal(pl[6] & 0xc0, 0x80);

            if ((pl[7] & 0xc0) == 0xc0) {
                assert_int_equal(pl[8], 10);
                assert_int_equal(pl[9] >> 4, 3);
                assert_int_equal(pl[14] >> 4, 1);
                pes->pts = test_read_ts(pl + 9);
                pes->dts = test_read_ts(pl + 14);

            } else {
                assert_int_equal(pl[7] & 0xc0, 0x80);
                assert_int_equal(pl[8], 5);
                assert_int_equal(pl[9] >> 4, 2);
                pes->pts = test_read_ts(pl + 9);
                pes->dts = pes->pts;
            }

            pl += 9 + pl[8];
            plen = p + 188 - pl;
        }

        assert_non_null(pes);
        assert_int_equal(pes->pid, pid);

        pes->es = realloc(pes->es, pes->es_len + plen);
        memcpy(pes->es + pes->es_len, pl, plen);
        pes->es_len += plen;
    }
}


static void
test_ts_free(test_ts_t *ts)
{
    uint32_t  i;

    for (i = 0; i < ts->count; i++) {
        free(ts->pes[i].es);
    }

    ts->count = 0;
}


/* Video PES of one segment against the source samples from *next on. */
static void
test_check_video(test_ts_t *ts, av_oracle_track_t *v, uint32_t *next)
{
    int            sps, pps, idr;
    size_t         pos;
    uint32_t       i, timescale;
    test_pes_t    *pes;
    vod_sample_t  *s;

    timescale = v->info.timescale;

    for (i = 0; i < ts->count; i++) {
        pes = &ts->pes[i];

        if (pes->pid != TEST_PID_VIDEO) {
            continue;
        }

        assert_true(*next < v->count);
        s = &v->samples[*next];

        /* one timeline: the same formula in every segment */
        assert_int_equal(pes->pts,
                         test_90k((int64_t) v->dts[*next] + s->pts_delay,
                                  timescale)
                         + 900000);
        assert_int_equal(pes->dts,
                         test_90k(v->dts[*next], timescale) + 900000 - 9000);
        assert_true(pes->dts <= pes->pts);
        assert_int_equal(pes->rai, s->sync);
        assert_true(pes->pcr);

        /* AUD first; SPS and PPS before every key frame */
        assert_true(pes->es_len >= 6);
        assert_memory_equal(pes->es, "\0\0\0\1\x09", 5);

        sps = 0;
        pps = 0;
        idr = 0;

        for (pos = 0; pos + 4 < pes->es_len; pos++) {
            if (pes->es[pos] == 0 && pes->es[pos + 1] == 0
                && pes->es[pos + 2] == 1)
            {
                switch (pes->es[pos + 3] & 0x1f) {
                case 7:
                    sps = 1;
                    break;
                case 8:
                    pps = 1;
                    break;
                case 5:
                    idr = 1;
                    assert_true(sps && pps);
                    break;
                }
            }
        }

        assert_int_equal(idr, s->sync);

        if (s->sync) {
            assert_true(sps && pps);
        }

        (*next)++;
    }
}


/* Audio PES of one segment: ADTS frames matching the source samples. */
static void
test_check_audio(test_ts_t *ts, av_oracle_track_t *a, uint32_t *next)
{
    size_t         pos, flen;
    uint32_t       i, frames;
    test_pes_t    *pes;
    const u_char  *asc, *h;

    asc = a->info.dec_config;

    for (i = 0; i < ts->count; i++) {
        pes = &ts->pes[i];

        if (pes->pid != TEST_PID_AUDIO) {
            continue;
        }

        assert_true(*next < a->count);
        assert_int_equal(pes->pts,
                         test_90k((int64_t) a->dts[*next]
                                  + a->samples[*next].pts_delay,
                                  a->info.timescale)
                         + 900000);

        frames = 0;

        for (pos = 0; pos < pes->es_len; pos += flen) {
            h = pes->es + pos;
            assert_true(pes->es_len - pos >= 7);
            assert_int_equal(h[0], 0xff);
            assert_int_equal(h[1], 0xf1);
            /* profile, sampling frequency index, channels from the ASC */
            assert_int_equal(h[2] >> 6, (asc[0] >> 3) - 1);
            assert_int_equal((h[2] >> 2) & 0x0f,
                             ((asc[0] & 7) << 1) | (asc[1] >> 7));
            assert_int_equal(((h[2] & 1) << 2) | (h[3] >> 6),
                             (asc[1] >> 3) & 0x0f);
            flen = ((h[3] & 3) << 11) | (h[4] << 3) | (h[5] >> 5);
            assert_int_equal(flen, 7 + a->samples[*next].size);
            assert_true(pes->es_len - pos >= flen);
            (*next)++;
            frames++;
        }

        assert_true(frames >= 1 && frames <= 5);
    }
}


/* vod_ts_open() and vod_ts_write() in the smallest buffer that always
 * takes a PES give, in steps, what vod_ts_segment() gave in one */
static void
test_steps(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *whole, size_t whole_len)
{
    size_t         len, min, n, done;
    u_char        *buf;
    vod_ts_mux_t  *mux;

    assert_int_equal(vod_ts_open(env, video, audio, &mux, &len), VOD_OK);
    assert_int_equal(len, whole_len);

    min = vod_ts_write_min(mux);
    assert_true(min >= 3 * 188 && min % 188 == 0 && min <= len);

    /* no room for a PES: nothing written, nothing lost */
    buf = malloc(min);
    assert_int_equal(vod_ts_write(mux, buf, 187), 0);

    for (done = 0; done < len; done += n) {
        n = vod_ts_write(mux, buf, min);
        assert_true(n > 0 && n % 188 == 0 && n <= len - done);
        assert_memory_equal(buf, whole + done, n);
    }

    assert_int_equal(vod_ts_write(mux, buf, min), 0);
    free(buf);
}


static void
test_fixtures(void **state)
{
    int                  fd, has_v, has_a;
    char                 path[512], tmp[64];
    size_t               len;
    u_char              *out;
    uint32_t             f, i, nseg, vnext, anext;
    vod_env_t            env;
    test_ts_t           *ts;
    vod_segment_t        vseg, aseg;
    av_oracle_track_t    v, a;
    av_oracle_env_ctx_t  ctx;

    ts = calloc(1, sizeof(test_ts_t));

    for (f = 0; f < sizeof(test_fixtures_list) / sizeof(test_fixture_t);
         f++)
    {
        has_v = test_fixtures_list[f].video;
        has_a = test_fixtures_list[f].audio;
        test_media_path(path, sizeof(path), test_fixtures_list[f].file);
        assert_int_equal(av_oracle_env_init(&env, &ctx, path), 0);

        /* 2 s segments, for more boundaries to check */
        if (has_v) {
            assert_int_equal(av_oracle_load(&env, path, VOD_TRACK_VIDEO,
                                            &v), 0);
            av_oracle_cut(&env, &v, 2);
            assert_true(vod_ts_supported(&v.info));
        }

        if (has_a) {
            assert_int_equal(av_oracle_load(&env, path, VOD_TRACK_AUDIO,
                                            &a), 0);
            if (has_v) {
                av_oracle_cut_like(&env, &a, &v);

            } else {
                av_oracle_cut(&env, &a, 2);
            }

            assert_true(vod_ts_supported(&a.info));
        }

        nseg = has_v ? v.info.segment_count : a.info.segment_count;

        if (has_v && has_a) {
            assert_int_equal(a.info.segment_count, nseg);
        }

        snprintf(tmp, sizeof(tmp), "/tmp/test_ts_XXXXXX");
        fd = mkstemp(tmp);
        assert_true(fd != -1);
        close(fd);

        vnext = 0;
        anext = 0;

        for (i = 0; i < nseg; i++) {
            if (has_v) {
                assert_int_equal(av_oracle_segment(&v, i, &vseg), 0);
            }

            if (has_a) {
                assert_int_equal(av_oracle_segment(&a, i, &aseg), 0);
            }

            assert_int_equal(vod_ts_segment(&env, has_v ? &vseg : NULL,
                                            has_a ? &aseg : NULL,
                                            &out, &len), VOD_OK);

            test_parse(out, len, ts);
            test_oracle_segment(&env, has_v ? &vseg : NULL,
                                has_a ? &aseg : NULL, out, len,
                                test_fixtures_list[f].file);

            if (has_v) {
                test_check_video(ts, &v, &vnext);
                assert_int_equal(vnext, vseg.samples - v.samples
                                        + vseg.count);
            }

            if (has_a) {
                test_check_audio(ts, &a, &anext);
                assert_int_equal(anext, aseg.samples - a.samples
                                        + aseg.count);
            }

            test_ts_free(ts);
            assert_int_equal(av_oracle_write_file(tmp, out, len, 1), 0);

            test_steps(&env, has_v ? &vseg : NULL, has_a ? &aseg : NULL,
                       out, len);
        }

        print_message("%s: %u segments\n", test_fixtures_list[f].file, nseg);

        if (av_oracle_decode_clean(tmp) != 0) {
            fail_msg("%s does not decode cleanly: %s",
                     test_fixtures_list[f].file, tmp);
        }

        /* every sample decodes (AAC priming frames included: TS has no
         * edit list) */
        if (has_v) {
            assert_int_equal(vnext, v.count);
            assert_int_equal(av_oracle_count_frames(tmp, "v"), v.count);
            assert_int_equal(av_oracle_count_frames(path, "v"), v.count);
            av_oracle_track_free(&v);
        }

        if (has_a) {
            assert_int_equal(anext, a.count);
            assert_int_equal(av_oracle_count_frames(tmp, "a"), a.count);
            av_oracle_track_free(&a);
        }

        unlink(tmp);
        assert_int_equal(ctx.log_lines, 0);
        av_oracle_env_free(&env);
    }

    free(ts);
}


/* A NAL length past the end of its sample: VOD_BAD_DATA, one log line,
 * no read outside the sample (ASan watches). */
/*
 * AC-3 and E-AC-3 alone (the audiots- segments): the PMT's stream type
 * (0x81, 0x87) with its registration descriptor ("AC-3", "EAC3") and,
 * once named, the language; one private_stream_1 PES whose payload is
 * the samples' syncframes as they are, no header added.
 */
static void
test_dolby(void **state)
{
    int                  fd, k;
    char                 tmp[64];
    size_t               len, af, es;
    u_char              *out, *pmt, *pes;
    vod_env_t            env;
    vod_ts_mux_t        *mux;
    vod_sample_t         s[2];
    vod_ts_saes_t        saes;
    vod_segment_t        seg;
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    /* a dac3 and a dec3 box's fields (ETSI TS 102 366 F.4, F.6) */
    static u_char        *setup[2] = {
        (u_char *) "\x10\x3d\xe0",
        (u_char *) "\x06\x00\x20\x0f\x00"
    };

    /* two "syncframes" (only their sync word is real: the muxer does
     * not look inside) */
    static const u_char  data[] = {
        0x0b, 0x77, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
        0x0b, 0x77, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18
    };

    snprintf(tmp, sizeof(tmp), "/tmp/test_ts_XXXXXX");
    fd = mkstemp(tmp);
    assert_true(fd != -1);
    assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
    close(fd);

    assert_int_equal(av_oracle_env_init(&env, &ctx, tmp), 0);

    memset(&info, 0, sizeof(info));
    info.type = VOD_TRACK_AUDIO;
    info.timescale = 48000;
    info.sample_rate = 48000;

    memset(s, 0, sizeof(s));
    s[0].size = 10;
    s[0].duration = 1536;
    s[0].sync = 1;
    s[1].offset = 10;
    s[1].size = 10;
    s[1].duration = 1536;
    s[1].sync = 1;

    memset(&seg, 0, sizeof(seg));
    seg.track = &info;
    seg.samples = s;
    seg.count = 2;
    seg.data_size = 20;
    seg.duration = 3072;

    for (k = 0; k < 2; k++) {
        info.codec = k ? VOD_CODEC_EAC3 : VOD_CODEC_AC3;

        /* a variant with muxed audio does not take it; audio alone does */
        assert_false(vod_ts_supported(&info));
        assert_true(vod_ts_audio_supported(&info));

        assert_int_equal(vod_ts_open(&env, NULL, &seg, &mux, &len), VOD_OK);
        assert_int_equal(len, 4 * 188);

        vod_ts_language(mux, k ? "ger" : "eng");

        out = malloc(len);
        assert_non_null(out);
        assert_int_equal(vod_ts_write(mux, out, len), len);

        /* PMT: one stream, ES_info of the two descriptors */
        pmt = out + 188 + 5;
        assert_int_equal(pmt[12], k ? 0x87 : 0x81);
        assert_int_equal(((pmt[15] & 0x0f) << 8) | pmt[16], 12);
        assert_memory_equal(pmt + 17, k ? "\x05\x04" "EAC3"
                                        : "\x05\x04" "AC-3", 6);
        assert_memory_equal(pmt + 23, k ? "\x0a\x04" "ger"
                                        : "\x0a\x04" "eng", 5);
        assert_int_equal(pmt[28], 0);

        /* the PES: after the PCR packet, its adaptation field first */
        pes = out + 3 * 188;
        assert_int_equal(pes[1] & 0x40, 0x40);
        assert_int_equal(((pes[1] & 0x1f) << 8) | pes[2], TEST_PID_AUDIO);
        af = (pes[3] & 0x20) ? 1 + pes[4] : 0;
        pes += 4 + af;
        assert_memory_equal(pes, "\x00\x00\x01\xbd", 4);
        assert_int_equal((pes[4] << 8) | pes[5], 3 + 5 + sizeof(data));
        es = 9 + pes[8];
        assert_int_equal(es, 14);
        assert_memory_equal(pes + es, data, sizeof(data));

        free(out);

        /* SAMPLE-AES (Apple's format, 3.0): stream type 0xc1 or 0xc2,
         * private_data_indicator 'ac3d' or 'ec3d', registration 'apad'
         * with 'zac3' or 'zec3', priming and version 0 and the dac3 or
         * dec3 fields; no "AC-3" registration; the language after.  The
         * syncframes' bytes: test_ts_saes.c */
        info.dec_config = setup[k];
        info.dec_config_len = k ? 5 : 3;
        memset(&saes, 0, sizeof(saes));
        assert_int_equal(vod_ts_open_saes(&env, NULL, &seg, &saes, &mux,
                                          &len), VOD_OK);
        vod_ts_language(mux, k ? "ger" : "eng");
        out = malloc(len);
        assert_non_null(out);
        assert_int_equal(vod_ts_write(mux, out, len), len);

        pmt = out + 188 + 5;
        assert_int_equal(pmt[12], k ? 0xc2 : 0xc1);
        assert_int_equal(((pmt[15] & 0x0f) << 8) | pmt[16],
                         6 + 2 + 12 + info.dec_config_len + 6);
        assert_memory_equal(pmt + 17, k ? "\x0f\x04" "ec3d"
                                        : "\x0f\x04" "ac3d", 6);
        assert_int_equal(pmt[23], 0x05);
        assert_int_equal(pmt[24], 12 + info.dec_config_len);
        assert_memory_equal(pmt + 25, k ? "apadzec3" : "apadzac3", 8);
        assert_memory_equal(pmt + 33, "\x00\x00\x00", 3);
        assert_int_equal(pmt[36], info.dec_config_len);
        assert_memory_equal(pmt + 37, setup[k], info.dec_config_len);
        assert_memory_equal(pmt + 37 + info.dec_config_len,
                            k ? "\x0a\x04" "ger" : "\x0a\x04" "eng", 5);
        free(out);

        info.dec_config = NULL;
        info.dec_config_len = 0;
        assert_int_equal(ctx.log_lines, 0);
    }

    /* no language named: no descriptor; a code that is not three
     * lowercase letters is none */
    assert_int_equal(vod_ts_open(&env, NULL, &seg, &mux, &len), VOD_OK);
    vod_ts_language(mux, "EN");
    out = malloc(len);
    assert_non_null(out);
    assert_int_equal(vod_ts_write(mux, out, len), len);
    pmt = out + 188 + 5;
    assert_int_equal(((pmt[15] & 0x0f) << 8) | pmt[16], 6);
    free(out);

    assert_int_equal(ctx.log_lines, 0);

    /* an empty sample is no syncframe: refused, with one line */
    s[1].size = 0;
    seg.data_size = 10;
    assert_int_equal(vod_ts_open(&env, NULL, &seg, &mux, &len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);

    av_oracle_env_free(&env);
    unlink(tmp);
}


static void
test_bad_nal(void **state)
{
    int                  fd;
    char                 tmp[64];
    size_t               len;
    u_char              *out;
    vod_env_t            env;
    vod_sample_t         s[2];
    vod_segment_t        seg;
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    static const u_char  avcc[] = {
        0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67, 0x64, 0x00,
        0x1f, 0x01, 0x00, 0x02, 0x68, 0xee
    };

    static const u_char  data[] = {
        /* a good key frame: one 3-byte IDR NAL */
        0x00, 0x00, 0x00, 0x03, 0x65, 0x88, 0x84,
        /* a bad one: says 16 bytes, has 3 */
        0x00, 0x00, 0x00, 0x10, 0x41, 0x9a, 0x00
    };

    snprintf(tmp, sizeof(tmp), "/tmp/test_ts_XXXXXX");
    fd = mkstemp(tmp);
    assert_true(fd != -1);
    assert_int_equal(write(fd, data, sizeof(data)), sizeof(data));
    close(fd);

    assert_int_equal(av_oracle_env_init(&env, &ctx, tmp), 0);

    memset(&info, 0, sizeof(info));
    info.type = VOD_TRACK_VIDEO;
    info.codec = VOD_CODEC_AVC;
    info.timescale = 90000;
    info.nal_length_size = 4;
    info.dec_config = (u_char *) avcc;
    info.dec_config_len = sizeof(avcc);

    memset(s, 0, sizeof(s));
    s[0].offset = 0;
    s[0].size = 7;
    s[0].duration = 3600;
    s[0].sync = 1;
    s[1].offset = 7;
    s[1].size = 7;
    s[1].duration = 3600;

    memset(&seg, 0, sizeof(seg));
    seg.track = &info;
    seg.samples = s;
    seg.count = 1;
    seg.data_size = 7;
    seg.duration = 3600;

    /* the good one alone muxes, with SPS/PPS added before the IDR */
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len), VOD_OK);
    assert_int_equal(len, 4 * 188);
    assert_int_equal(ctx.log_lines, 0);

    seg.count = 2;
    seg.data_size = 14;
    seg.duration = 7200;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);
    print_message("logged: %s\n", ctx.last_log);

    /* a truncated length field */
    s[1].size = 2;
    seg.data_size = 9;
    ctx.log_lines = 0;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);

    /* an avcC cut short */
    seg.count = 1;
    seg.data_size = 7;
    info.dec_config_len = sizeof(avcc) - 1;
    ctx.log_lines = 0;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);

    av_oracle_env_free(&env);
    unlink(tmp);
}


static void
test_unsupported(void **state)
{
    char                 path[512];
    size_t               len;
    u_char              *out;
    vod_env_t            env;
    vod_segment_t        seg, aseg;
    av_oracle_track_t    v, a;
    av_oracle_env_ctx_t  ctx;

    test_media_path(path, sizeof(path), "hevc/360p.mp4");
    assert_int_equal(av_oracle_env_init(&env, &ctx, path), 0);
    assert_int_equal(av_oracle_load(&env, path, VOD_TRACK_VIDEO, &v), 0);
    assert_int_equal(av_oracle_load(&env, path, VOD_TRACK_AUDIO, &a), 0);

    assert_false(vod_ts_supported(&v.info));
    assert_true(vod_ts_supported(&a.info));

    assert_int_equal(av_oracle_segment(&v, 0, &seg), 0);
    assert_int_equal(av_oracle_segment(&a, 0, &aseg), 0);
    assert_int_equal(vod_ts_segment(&env, &seg, &aseg, &out, &len),
                     VOD_UNSUPPORTED);

    /* the audio of an HEVC title still muxes alone */
    assert_int_equal(vod_ts_segment(&env, NULL, &aseg, &out, &len), VOD_OK);

    assert_int_equal(vod_ts_segment(&env, NULL, NULL, &out, &len),
                     VOD_ERROR);

    av_oracle_track_free(&v);
    av_oracle_track_free(&a);
    av_oracle_env_free(&env);
}


static void
test_bounds(void **state)
{
    char                 path[512];
    size_t               len;
    u_char              *out;
    uint32_t             count;
    vod_env_t            env;
    vod_segment_t        seg, aseg;
    vod_track_info_t     ainfo;
    av_oracle_track_t    v;
    av_oracle_env_ctx_t  ctx;

    test_media_path(path, sizeof(path), "video/360p.mp4");
    assert_int_equal(av_oracle_env_init(&env, &ctx, path), 0);
    assert_int_equal(av_oracle_load(&env, path, VOD_TRACK_VIDEO, &v), 0);
    assert_int_equal(av_oracle_segment(&v, 0, &seg), 0);

    count = seg.count;

    seg.count = VOD_MAX_SEGMENT_SAMPLES + 1;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_BAD_DATA);

    seg.count = count;
    seg.data_size++;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_BAD_DATA);

    seg.data_size--;
    seg.start_dts = (uint64_t) 1 << 62;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_BAD_DATA);

    /* an audio segment that claims samples it does not have, beside a
     * good video one: refused before anything walks its samples */
    seg.start_dts = 0;
    memset(&ainfo, 0, sizeof(vod_track_info_t));
    ainfo.type = VOD_TRACK_AUDIO;
    ainfo.codec = VOD_CODEC_AAC;
    ainfo.timescale = 48000;
    ainfo.dec_config = (u_char *) "\x12\x10";
    ainfo.dec_config_len = 2;
    memset(&aseg, 0, sizeof(vod_segment_t));
    aseg.track = &ainfo;
    aseg.count = 3;
    aseg.data_size = 0;
    assert_int_equal(vod_ts_segment(&env, &seg, &aseg, &out, &len),
                     VOD_BAD_DATA);

    /* a read error is an error, not a crash */
    seg.samples[0].offset = (uint64_t) 1 << 40;
    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len),
                     VOD_ERROR);

    av_oracle_track_free(&v);
    av_oracle_env_free(&env);
}


/* The oracle's reading of one muxed segment. */
static void
test_oracle_segment(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *out, size_t len,
    const char *what)
{
    char  err[256];

    if (ts_oracle_check(env, video, audio, out, len, err, sizeof(err)) != 0)
    {
        fail_msg("%s segment %u: %s", what,
                 (video != NULL ? video : audio)->index + 1, err);
    }
}


/* One NAL unit behind an nls-byte length: a header byte of the type, then
 * len - 1 bytes that vary with seed (none of them makes a start code). */
static size_t
test_nal(u_char *p, uint32_t nls, uint32_t type, size_t len, uint32_t seed)
{
    size_t    i;
    uint32_t  k;

    for (i = 0; i < nls; i++) {
        p[i] = (u_char) (len >> (8 * (nls - 1 - i)));
    }

    p += nls;

    if (len > 0) {
        p[0] = (u_char) (0x60 | type);
    }

    for (i = 1; i < len; i++) {
        k = seed * 2654435761u + (uint32_t) i * 40503u;
        p[i] = (u_char) ((k >> 13) | 0x10);
    }

    return nls + len;
}


static void
test_crafted_env(vod_env_t *env, av_oracle_env_ctx_t *ctx, char *tmp,
    const u_char *data, size_t len)
{
    int  fd;

    snprintf(tmp, 64, "/tmp/test_ts_XXXXXX");
    fd = mkstemp(tmp);
    assert_true(fd != -1);
    assert_int_equal(write(fd, data, len), (ssize_t) len);
    close(fd);

    assert_int_equal(av_oracle_env_init(env, ctx, tmp), 0);
}


/* a 25 fps video track of n samples already placed in s[] */
static void
test_crafted_video(vod_track_info_t *info, vod_segment_t *seg,
    vod_sample_t *s, uint32_t n, uint32_t nls)
{
    static u_char  avcc[sizeof(test_avcc)];
    uint32_t       i;

    memcpy(avcc, test_avcc, sizeof(test_avcc));
    avcc[4] = (u_char) (0xfc | (nls - 1));

    memset(info, 0, sizeof(vod_track_info_t));
    info->type = VOD_TRACK_VIDEO;
    info->codec = VOD_CODEC_AVC;
    info->track_id = 1;
    info->timescale = 90000;
    info->nal_length_size = nls;
    info->dec_config = avcc;
    info->dec_config_len = sizeof(avcc);

    memset(seg, 0, sizeof(vod_segment_t));
    seg->track = info;
    seg->samples = s;
    seg->count = n;

    for (i = 0; i < n; i++) {
        s[i].duration = 3600;
        s[i].pts_delay = 0;
        seg->duration += s[i].duration;
        seg->data_size += s[i].size;
    }
}


static void
test_oracle(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const char *what)
{
    size_t   len;
    u_char  *out;

    if (vod_ts_segment(env, video, audio, &out, &len) != VOD_OK) {
        fail_msg("%s: not muxed: %s", what,
                 ((av_oracle_env_ctx_t *) env->data)->last_log);
    }

    test_oracle_segment(env, video, audio, out, len, what);
    test_steps(env, video, audio, out, len);
}


/*
 * Access units in every form the muxer must rewrite: NAL length sizes 1,
 * 2 and 4, with the sample's own delimiter, with empty NAL units, with
 * parameter sets of their own.  Each must come out as the sample's units
 * in Annex B, its own delimiter replaced, and nothing else: with pool
 * memory poisoned (av_oracle_alloc), an unset per-frame flag once sent
 * some of these down the in-place path, which copied past its buffer.
 */
static void
test_nal_forms(void **state)
{
    char                 tmp[64], what[64];
    u_char               data[16384], *p;
    uint32_t             nls, form, i;
    vod_env_t            env;
    vod_sample_t         s[4];
    vod_segment_t        seg;
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    static const uint32_t  sizes[] = { 1, 2, 4 };
    static const char     *forms[] = {
        "plain", "delimiter", "empty units", "delimiter and empty units",
        "own SPS/PPS"
    };

    for (nls = 0; nls < 3; nls++) {
        for (form = 0; form < 5; form++) {
            p = data;

            for (i = 0; i < 4; i++) {
                s[i].offset = p - data;
                s[i].sync = (i == 0);

                if (form == 1 || form == 3) {
                    p += test_nal(p, sizes[nls], 9, 2, 0);
                    p[-1] = 0xf0;
                }

                if (form == 2 || form == 3) {
                    p += test_nal(p, sizes[nls], 0, 0, 0);
                }

                if (form == 4 && i == 0) {
                    p += test_nal(p, sizes[nls], 7, 4, 1);
                    p += test_nal(p, sizes[nls], 8, 2, 2);
                }

                p += test_nal(p, sizes[nls], 6, 7, i);
                p += test_nal(p, sizes[nls], i == 0 ? 5 : 1,
                              sizes[nls] == 1 ? 250 : 700 + 97 * i, i);

                if (form == 2 || form == 3) {
                    p += test_nal(p, sizes[nls], 0, 0, 0);
                }

                p += test_nal(p, sizes[nls], 1, sizes[nls] == 1 ? 200 : 333,
                              i + 7);

                s[i].size = (p - data) - s[i].offset;
            }

            assert_true((size_t) (p - data) <= sizeof(data));

            test_crafted_env(&env, &ctx, tmp, data, p - data);
            test_crafted_video(&info, &seg, s, 4, sizes[nls]);

            snprintf(what, sizeof(what), "NAL length size %u, %s",
                     sizes[nls], forms[form]);
            test_oracle(&env, &seg, NULL, what);
            assert_int_equal(ctx.log_lines, 0);

            av_oracle_env_free(&env);
            unlink(tmp);
        }
    }
}


/*
 * Samples whose byte ranges overlap (the index accepts overlapping
 * chunks): a key frame with a delimiter of its own, then a frame that
 * starts at the key frame's IDR and an audio frame inside that IDR.  Read
 * as one span, the second frame's in-place rewrite once changed the first
 * frame's NAL lengths between the pass that sized it and the one that
 * wrote it: a heap overflow write in vod_ts_avc_write.  Every sample must
 * come out as its own bytes.
 */
static void
test_overlap(void **state)
{
    char                 tmp[64];
    u_char               data[8192], *p;
    vod_env_t            env;
    vod_sample_t         s[3], as[1];
    vod_segment_t        seg, aseg;
    vod_track_info_t     info, ainfo;
    av_oracle_env_ctx_t  ctx;

    static const u_char  asc[] = { 0x12, 0x10 };

    p = data;
    s[0].offset = 0;
    s[0].sync = 1;
    p += test_nal(p, 4, 9, 2, 0);
    p[-1] = 0xf0;
    s[1].offset = p - data;
    s[1].sync = 0;
    p += test_nal(p, 4, 5, 1500, 1);
    p += test_nal(p, 4, 1, 900, 2);
    s[0].size = p - data;
    s[1].size = (p - data) - s[1].offset;

    /* a third frame of its own, after them */
    s[2].offset = p - data;
    s[2].sync = 0;
    p += test_nal(p, 4, 1, 600, 3);
    s[2].size = (p - data) - s[2].offset;

    test_crafted_env(&env, &ctx, tmp, data, p - data);
    test_crafted_video(&info, &seg, s, 3, 4);

    memset(&ainfo, 0, sizeof(vod_track_info_t));
    ainfo.type = VOD_TRACK_AUDIO;
    ainfo.codec = VOD_CODEC_AAC;
    ainfo.track_id = 2;
    ainfo.timescale = 48000;
    ainfo.dec_config = (u_char *) asc;
    ainfo.dec_config_len = sizeof(asc);

    as[0].offset = s[1].offset + 2;
    as[0].size = 300;
    as[0].duration = 1024;
    as[0].pts_delay = 0;
    as[0].sync = 1;

    memset(&aseg, 0, sizeof(vod_segment_t));
    aseg.track = &ainfo;
    aseg.samples = as;
    aseg.count = 1;
    aseg.duration = 1024;
    aseg.data_size = 300;

    test_oracle(&env, &seg, NULL, "overlapping video samples");
    test_oracle(&env, &seg, &aseg, "audio inside a video sample");

    /* the same frames twice over: two samples at one offset */
    s[1] = s[0];
    s[1].sync = 0;
    test_crafted_video(&info, &seg, s, 3, 4);
    test_oracle(&env, &seg, &aseg, "one range in two samples");

    assert_int_equal(ctx.log_lines, 0);
    av_oracle_env_free(&env);
    unlink(tmp);
}


/* The oracle is no rubber stamp: a good segment with one packet's sync
 * byte, one continuity counter, one payload byte, one timestamp or its
 * last packet changed is refused. */
static void
test_oracle_rejects(void **state)
{
    char                 tmp[64], err[256];
    u_char               data[4096], *p, *out, *bad;
    size_t               len, i, j, k;
    vod_env_t            env;
    vod_sample_t         s[2];
    vod_segment_t        seg;
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    p = data;

    for (i = 0; i < 2; i++) {
        s[i].offset = p - data;
        s[i].sync = (i == 0);
        p += test_nal(p, 4, i == 0 ? 5 : 1, 500, i);
        s[i].size = (p - data) - s[i].offset;
    }

    test_crafted_env(&env, &ctx, tmp, data, p - data);
    test_crafted_video(&info, &seg, s, 2, 4);

    assert_int_equal(vod_ts_segment(&env, &seg, NULL, &out, &len), VOD_OK);
    assert_int_equal(ts_oracle_check(&env, &seg, NULL, out, len, err,
                                     sizeof(err)), 0);

    bad = malloc(len);

    for (i = 0; i < 6; i++) {
        memcpy(bad, out, len);

        switch (i) {
        case 0:
            bad[3 * 188] = 0x46;
            break;
        case 1:
            bad[4 * 188 + 3] ^= 0x01;
            break;
        case 2:
            bad[len - 1] ^= 0xff;
            break;
        case 3:
            /* the first PES's PTS, in the packet after the PCR packet */
            bad[3 * 188 + 4 + 8 + 9 + 4] ^= 0x02;
            break;
        case 4:
            /* the second PES's delimiter made a slice */
            for (k = 0, j = 4 * 188; j + 4 < len; j++) {
                if (memcmp(bad + j, "\0\0\1\xe0", 4) == 0) {
                    k = j + 9 + bad[j + 8] + 4;
                    break;
                }
            }

            assert_true(k > 0 && bad[k] == 0x09);
            bad[k] = 0x01;
            break;
        }

        if (ts_oracle_check(&env, &seg, NULL, bad, i == 5 ? len - 188 : len,
                            err, sizeof(err))
            == 0)
        {
            fail_msg("mutation %zu passed the oracle", i);
        }

        print_message("mutation %zu: %s\n", i, err);
    }

    free(bad);
    av_oracle_env_free(&env);
    unlink(tmp);
}


/* A segment the muxer must refuse: an error and one log line, never a
 * segment the oracle would refuse. */
static void
test_refused(vod_env_t *env, av_oracle_env_ctx_t *ctx,
    const vod_segment_t *video, const vod_segment_t *audio,
    const char *what)
{
    int      rc;
    char     err[256];
    size_t   len;
    u_char  *out;

    ctx->log_lines = 0;
    rc = vod_ts_segment(env, video, audio, &out, &len);

    if (rc == VOD_OK) {
        if (ts_oracle_check(env, video, audio, out, len, err, sizeof(err))
            != 0)
        {
            fail_msg("%s: muxed into invalid MPEG-TS: %s", what, err);
        }

        fail_msg("%s: muxed", what);
    }

    assert_int_equal(rc, VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);
    print_message("%s: %s\n", what, ctx->last_log);
}


/*
 * Composition offsets, as the index gives them with the edit list applied
 * (a version 1 ctts may make them negative; 14496-12 8.6.1.3):
 *
 *   - a track whose offsets go down to -0.5 s, but only in its second
 *     segment: every segment's DTS must be moved back by the same amount,
 *     or the second segment's first DTS comes before the first segment's
 *     last (the muxer once moved each segment by what it needed);
 *   - an offset of 46 hours (a fuzzed ctts): its PTS lies more than 2^32
 *     ticks past its DTS, which a reader of 33-bit timestamps takes for a
 *     DTS after its PTS; no DTS timeline can carry it, so every segment
 *     of the track is refused, not only the one holding the sample (the
 *     muxer once wrote it); likewise offsets so far below zero that the
 *     move itself is that far;
 *   - audio, whose PES carry no DTS: a constant offset (the edit list's
 *     priming) is fine, varying ones would send the PTS back and are
 *     refused;
 *   - a sample outside the range its track claims is refused.
 */
static void
test_composition_offsets(void **state)
{
    char                 tmp[64], what[64];
    size_t               len;
    u_char               data[8192], *p, *out;
    int64_t              shift[2], last_dts;
    uint32_t             i, k;
    vod_env_t            env;
    test_ts_t           *ts;
    vod_sample_t         s[8], as[4];
    vod_segment_t        seg[2], aseg;
    vod_track_info_t     info, ainfo;
    av_oracle_env_ctx_t  ctx;

    static const int32_t  delays[8] = {
        7200, 14400, 0, 3600,        /* a B-frame pattern, all >= 0 */
        0, -45000, 7200, 3600        /* one at -0.5 s */
    };

    static const u_char   asc[] = { 0x12, 0x10 };

    p = data;

    for (i = 0; i < 8; i++) {
        s[i].offset = p - data;
        s[i].sync = (i % 4 == 0);
        p += test_nal(p, 4, (i % 4 == 0) ? 5 : 1, 300, i);
        s[i].size = (p - data) - s[i].offset;
    }

    for (i = 0; i < 4; i++) {
        as[i].offset = i * 200;
        as[i].size = 200;
        as[i].duration = 1024;
        as[i].pts_delay = -2048;
        as[i].sync = 1;
    }

    test_crafted_env(&env, &ctx, tmp, data, p - data);
    ts = calloc(1, sizeof(test_ts_t));
    assert_non_null(ts);

    /* two segments of four, one track: its range spans both */
    for (k = 0; k < 2; k++) {
        test_crafted_video(&info, &seg[k], s + 4 * k, 4, 4);
        seg[k].index = k;
        seg[k].start_dts = 4 * 3600 * k;

        for (i = 0; i < 4; i++) {
            s[4 * k + i].pts_delay = delays[4 * k + i];
        }
    }

    info.min_pts_delay = -45000;
    info.max_pts_delay = 14400;
    last_dts = -1;

    for (k = 0; k < 2; k++) {
        snprintf(what, sizeof(what), "negative offsets, segment %u", k + 1);
        test_oracle(&env, &seg[k], NULL, what);

        assert_int_equal(vod_ts_segment(&env, &seg[k], NULL, &out, &len),
                         VOD_OK);
        ts->count = 0;
        test_parse(out, len, ts);

        assert_int_equal(ts->count, 4);

        /* DTS: the decode time less one move for the whole track, and
         * never after the PTS; on across the join */
        shift[k] = test_90k(seg[k].start_dts, 90000) + 900000
                   - ts->pes[0].dts;

        for (i = 0; i < 4; i++) {
            assert_true(ts->pes[i].dts <= ts->pes[i].pts);
            assert_true(ts->pes[i].dts > last_dts);
            last_dts = ts->pes[i].dts;
        }

        test_ts_free(ts);
    }

    if (shift[0] != shift[1]) {
        fail_msg("DTS moved by %lld in segment 1, by %lld in segment 2",
                 (long long) shift[0], (long long) shift[1]);
    }

    assert_int_equal(shift[0], 45000);

    /* a sample out of the track's claimed range */
    info.min_pts_delay = -3600;
    test_refused(&env, &ctx, &seg[1], NULL, "an offset below the range");
    info.min_pts_delay = -45000;

    /* 46 hours at 12800 Hz, as the fuzzer found: both segments refused */
    info.timescale = 12800;
    s[1].pts_delay = 2113929728;
    info.max_pts_delay = 2113929728;

    for (k = 0; k < 2; k++) {
        seg[k].start_dts = 4 * 512 * k;

        for (i = 0; i < 4; i++) {
            s[4 * k + i].duration = 512;
        }

        snprintf(what, sizeof(what), "an offset of 46 hours, segment %u",
                 k + 1);
        test_refused(&env, &ctx, &seg[k], NULL, what);
    }

    /* offsets so far below zero that no move under 2^32 ticks helps */
    s[1].pts_delay = 0;
    s[5].pts_delay = INT32_MIN;
    info.min_pts_delay = INT32_MIN;
    info.max_pts_delay = 14400;
    test_refused(&env, &ctx, &seg[1], NULL, "an offset of -46 hours");

    /* at the bound: at 45 kHz an offset of (2^32 - 9002) / 2 puts the PTS
     * 2^32 - 2 ticks past the DTS moved back by 100 ms, and muxes; one
     * tick more at 45 kHz is two at 90 kHz, and is refused */
    test_crafted_video(&info, &seg[0], s, 4, 4);
    info.timescale = 45000;
    seg[0].duration = 0;

    for (i = 0; i < 4; i++) {
        s[i].duration = 1800;
        s[i].pts_delay = 0;
        seg[0].duration += 1800;
    }

    s[1].pts_delay = (int32_t) ((((int64_t) 1 << 32) - 9002) / 2);
    info.min_pts_delay = 0;
    info.max_pts_delay = s[1].pts_delay;
    test_oracle(&env, &seg[0], NULL, "an offset of 2^32 - 2 ticks in all");

    s[1].pts_delay++;
    info.max_pts_delay++;
    test_refused(&env, &ctx, &seg[0], NULL, "an offset of 2^32 in all");

    /* audio: a constant offset muxes, varying ones are refused */
    memset(&ainfo, 0, sizeof(vod_track_info_t));
    ainfo.type = VOD_TRACK_AUDIO;
    ainfo.codec = VOD_CODEC_AAC;
    ainfo.track_id = 2;
    ainfo.timescale = 48000;
    ainfo.dec_config = (u_char *) asc;
    ainfo.dec_config_len = sizeof(asc);
    ainfo.min_pts_delay = -2048;
    ainfo.max_pts_delay = -2048;

    memset(&aseg, 0, sizeof(vod_segment_t));
    aseg.track = &ainfo;
    aseg.samples = as;
    aseg.count = 4;
    aseg.duration = 4 * 1024;
    aseg.data_size = 4 * 200;

    test_oracle(&env, NULL, &aseg, "audio with a constant offset");

    as[2].pts_delay = -4096;
    ainfo.min_pts_delay = -4096;
    test_refused(&env, &ctx, NULL, &aseg, "audio with varying offsets");

    free(ts);
    av_oracle_env_free(&env);
    unlink(tmp);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_bad_nal),
        cmocka_unit_test(test_dolby),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_nal_forms),
        cmocka_unit_test(test_overlap),
        cmocka_unit_test(test_oracle_rejects),
        cmocka_unit_test(test_composition_offsets),
        cmocka_unit_test(test_fixtures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
