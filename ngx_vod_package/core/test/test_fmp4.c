/*
 * test_fmp4.c: CMAF init and media segment headers (vod_fmp4.c), checked
 * box by box and by decoding init + segments of every fixture with ffmpeg.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "vod_fmp4.h"


typedef struct {
    const char  *file;
    uint32_t     type;
} test_fixture_t;


static const u_char *test_find_box(const u_char *p, size_t len,
    const char *type, size_t *box_len);
static const u_char *test_find_path(const u_char *p, size_t len,
    const char *path, size_t *box_len);
static void test_media_path(char *buf, size_t size, const char *file);
static void test_init_boxes(void **state);
static void test_segment_header(void **state);
static void test_fixtures(void **state);
static void test_ranges(void **state);
static void test_bounds(void **state);
static void test_largesize(void **state);


static const test_fixture_t  test_fixtures_list[] = {
    { "demo/360p.mp4",   VOD_TRACK_VIDEO },
    { "demo/360p.mp4",   VOD_TRACK_AUDIO },
    { "demo/1080p.mp4",  VOD_TRACK_VIDEO },
    { "hevc/360p.mp4",   VOD_TRACK_VIDEO },
    { "hevc/360p.mp4",   VOD_TRACK_AUDIO },
    { "ntsc/360p.mp4",   VOD_TRACK_VIDEO },
    { "ntsc/360p.mp4",   VOD_TRACK_AUDIO },
    { "audio/audio.mp4", VOD_TRACK_AUDIO },
    { "video/360p.mp4",  VOD_TRACK_VIDEO },
};


static const u_char *
test_find_box(const u_char *p, size_t len, const char *type,
    size_t *box_len)
{
    size_t  size;

    while (len >= 8) {
        size = vod_r32(p);
        assert_true(size >= 8 && size <= len);

        if (memcmp(p + 4, type, 4) == 0) {
            *box_len = size;
            return p;
        }

        p += size;
        len -= size;
    }

    assert_int_equal(len, 0);

    return NULL;
}


/* path like "moov/trak/mdia"; full boxes' headers are skipped by the
 * caller's offsets, so only container boxes may be walked through */
static const u_char *
test_find_path(const u_char *p, size_t len, const char *path,
    size_t *box_len)
{
    char  type[5];

    for ( ;; ) {
        memcpy(type, path, 4);
        type[4] = '\0';

        p = test_find_box(p, len, type, box_len);
        if (p == NULL || path[4] == '\0') {
            return p;
        }

        len = *box_len - 8;
        p += 8;
        path += 5;
    }
}


static void
test_media_path(char *buf, size_t size, const char *file)
{
    const char  *dir;

    dir = getenv("VOD_MEDIA");
    snprintf(buf, size, "%s/%s", dir != NULL ? dir : "build/media", file);
}


static void
test_init_boxes(void **state)
{
    int                  rc;
    char                 path[512];
    size_t               len, blen;
    u_char              *out;
    vod_env_t            env;
    const u_char        *b;
    av_oracle_track_t    t;
    av_oracle_env_ctx_t  ctx;

    test_media_path(path, sizeof(path), "demo/360p.mp4");
    assert_int_equal(av_oracle_env_init(&env, &ctx, NULL), 0);
    assert_int_equal(av_oracle_load(&env, path, VOD_TRACK_VIDEO, &t), 0);

    memcpy(t.info.lang, "fra", 4);

    rc = vod_fmp4_init(&env, &t.info, &out, &len);
    assert_int_equal(rc, VOD_OK);

    /* ftyp first, then moov, nothing else */
    assert_memory_equal(out + 4, "ftypiso6", 8);
    b = test_find_box(out, len, "moov", &blen);
    assert_non_null(b);
    assert_int_equal(vod_r32(out) + blen, len);

    b = test_find_path(out, len, "moov/mvhd", &blen);
    assert_non_null(b);
    assert_int_equal(vod_r32(b + 20), t.info.timescale);

    b = test_find_path(out, len, "moov/trak/tkhd", &blen);
    assert_non_null(b);
    assert_int_equal(vod_r32(b + 8) & 0xffffff, 3);
    assert_int_equal(vod_r32(b + 20), t.info.track_id);
    assert_int_equal(vod_r32(b + 84), 640 << 16);
    assert_int_equal(vod_r32(b + 88), 360 << 16);

    b = test_find_path(out, len, "moov/trak/mdia/mdhd", &blen);
    assert_non_null(b);
    assert_int_equal(vod_r32(b + 20), t.info.timescale);
    assert_int_equal(vod_r16(b + 28),
                     (('f' - 0x60) << 10) | (('r' - 0x60) << 5)
                     | ('a' - 0x60));

    b = test_find_path(out, len, "moov/trak/mdia/hdlr", &blen);
    assert_non_null(b);
    assert_memory_equal(b + 16, "vide", 4);

    b = test_find_path(out, len, "moov/trak/mdia/minf/vmhd", &blen);
    assert_non_null(b);

    b = test_find_path(out, len, "moov/trak/mdia/minf/stbl/stsd", &blen);
    assert_non_null(b);
    assert_int_equal(vod_r32(b + 12), 1);
    assert_int_equal(blen, 16 + t.info.sample_entry_len);
    assert_memory_equal(b + 16, t.info.sample_entry,
                        t.info.sample_entry_len);

    b = test_find_path(out, len, "moov/mvex/trex", &blen);
    assert_non_null(b);
    assert_int_equal(vod_r32(b + 12), t.info.track_id);
    assert_int_equal(vod_r32(b + 16), 1);

    /* a sample entry whose size field disagrees is refused */
    t.info.sample_entry_len--;
    assert_int_equal(vod_fmp4_init(&env, &t.info, &out, &len), VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);

    av_oracle_track_free(&t);
    av_oracle_env_free(&env);
}


static void
test_segment_header(void **state)
{
    char                 path[512];
    size_t               len, blen, moof_len;
    u_char              *out;
    uint32_t             i, type, flags, sample_len;
    vod_env_t            env;
    const u_char        *moof, *b, *s;
    vod_segment_t        seg;
    av_oracle_track_t    t;
    av_oracle_env_ctx_t  ctx;

    test_media_path(path, sizeof(path), "demo/360p.mp4");

    for (type = VOD_TRACK_VIDEO; type <= VOD_TRACK_AUDIO; type++) {
        assert_int_equal(av_oracle_env_init(&env, &ctx, NULL), 0);
        assert_int_equal(av_oracle_load(&env, path, type, &t), 0);
        assert_true(t.info.segment_count >= 2);
        assert_int_equal(av_oracle_segment(&t, 1, &seg), 0);

        assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                         VOD_OK);

        assert_memory_equal(out + 4, "styp", 4);
        moof = test_find_box(out, len - 8, "moof", &moof_len);
        assert_non_null(moof);

        /* the header ends with the mdat header, whose size covers the
         * segment's data exactly */
        assert_int_equal(moof + moof_len + 8, out + len);
        assert_memory_equal(out + len - 4, "mdat", 4);
        assert_int_equal(vod_r32(out + len - 8), seg.data_size + 8);

        b = test_find_path(moof + 8, moof_len - 8, "mfhd", &blen);
        assert_int_equal(vod_r32(b + 12), 2);

        b = test_find_path(moof + 8, moof_len - 8, "traf/tfhd", &blen);
        assert_int_equal(vod_r32(b + 8) & 0x020000, 0x020000);
        assert_int_equal(vod_r32(b + 12), t.info.track_id);

        b = test_find_path(moof + 8, moof_len - 8, "traf/tfdt", &blen);
        assert_int_equal(b[8], 1);
        assert_int_equal(vod_r64(b + 12), seg.start_dts);
        assert_int_equal(seg.start_dts, t.info.seg_time[1]);

        b = test_find_path(moof + 8, moof_len - 8, "traf/trun", &blen);
        assert_int_equal(b[8], 1);
        flags = vod_r32(b + 8) & 0xffffff;
        assert_int_equal(vod_r32(b + 12), seg.count);
        assert_int_equal(vod_r32(b + 16), moof_len + 8);

        if (type == VOD_TRACK_VIDEO) {
            assert_int_equal(flags, 0xf01);

        } else {
            /* audio: no per-sample flags; cts only for the AAC priming
             * offset the edit list applied */
            assert_int_equal(flags & 0x400, 0);
        }

        sample_len = 8 + ((flags & 0x400) ? 4 : 0) + ((flags & 0x800) ? 4 : 0);
        assert_int_equal(blen, 20 + seg.count * sample_len);

        for (i = 0; i < seg.count; i++) {
            s = b + 20 + i * sample_len;
            assert_int_equal(vod_r32(s), seg.samples[i].duration);
            assert_int_equal(vod_r32(s + 4), seg.samples[i].size);

            if (flags & 0x400) {
                assert_int_equal(vod_r32(s + 8),
                                 seg.samples[i].sync ? 0x02000000
                                                     : 0x01010000);
            }

            if (flags & 0x800) {
                assert_int_equal((int32_t) vod_r32(s + sample_len - 4),
                                 seg.samples[i].pts_delay);
            }
        }

        assert_int_equal(ctx.log_lines, 0);
        av_oracle_track_free(&t);
        av_oracle_env_free(&env);
    }
}


static void
test_fixtures(void **state)
{
    int                  fd;
    char                 path[512], tmp[64];
    size_t               len;
    u_char              *out;
    uint32_t             i, f, nranges;
    vod_env_t            env;
    vod_range_t         *ranges;
    vod_segment_t        seg;
    av_oracle_track_t    t;
    av_oracle_env_ctx_t  ctx;
    const char          *kind;

    for (f = 0; f < sizeof(test_fixtures_list) / sizeof(test_fixture_t);
         f++)
    {
        test_media_path(path, sizeof(path), test_fixtures_list[f].file);
        kind = test_fixtures_list[f].type == VOD_TRACK_VIDEO ? "v" : "a";

        assert_int_equal(av_oracle_env_init(&env, &ctx, path), 0);
        assert_int_equal(av_oracle_load(&env, path, test_fixtures_list[f].type,
                                        &t), 0);

        snprintf(tmp, sizeof(tmp), "/tmp/test_fmp4_XXXXXX");
        fd = mkstemp(tmp);
        assert_true(fd != -1);
        close(fd);

        assert_int_equal(vod_fmp4_init(&env, &t.info, &out, &len), VOD_OK);
        assert_int_equal(av_oracle_write_file(tmp, out, len, 0), 0);

        for (i = 0; i < t.info.segment_count; i++) {
            assert_int_equal(av_oracle_segment(&t, i, &seg), 0);
            assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                             VOD_OK);
            assert_int_equal(av_oracle_write_file(tmp, out, len, 1), 0);

            assert_int_equal(vod_segment_ranges(&env, &seg, &ranges,
                                                &nranges), VOD_OK);
            assert_true(nranges >= 1 && nranges <= seg.count);
            assert_int_equal(av_oracle_append_ranges(&env, tmp, ranges,
                                                     nranges), 0);
        }

        print_message("%s %s: %u segments\n", test_fixtures_list[f].file,
                      kind, t.info.segment_count);

        if (av_oracle_decode_clean(tmp) != 0) {
            fail_msg("%s (%s) does not decode cleanly: %s",
                     test_fixtures_list[f].file, kind, tmp);
        }

        /* every sample decodes; the source's own decode drops AAC
         * priming frames its edit list cuts, which fMP4 without an edit
         * list keeps (at negative presentation times) */
        assert_int_equal(av_oracle_count_frames(tmp, kind), t.count);

        if (test_fixtures_list[f].type == VOD_TRACK_VIDEO) {
            assert_int_equal(av_oracle_count_frames(path, kind), t.count);
        }

        unlink(tmp);
        assert_int_equal(ctx.log_lines, 0);
        av_oracle_track_free(&t);
        av_oracle_env_free(&env);
    }
}


static void
test_ranges(void **state)
{
    uint32_t             n;
    vod_env_t            env;
    vod_range_t         *r;
    vod_segment_t        seg;
    vod_sample_t         s[6];
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    assert_int_equal(av_oracle_env_init(&env, &ctx, NULL), 0);
    memset(&info, 0, sizeof(info));
    memset(&seg, 0, sizeof(seg));
    memset(s, 0, sizeof(s));

    s[0].offset = 100;
    s[0].size = 10;
    s[1].offset = 110;
    s[1].size = 5;
    s[2].offset = 200;          /* gap */
    s[2].size = 1;
    s[3].offset = 201;
    s[3].size = 0;              /* empty: no range */
    s[4].offset = 201;
    s[4].size = 7;
    s[5].offset = 50;           /* going back: new range */
    s[5].size = 3;

    seg.track = &info;
    seg.samples = s;
    seg.count = 6;

    assert_int_equal(vod_segment_ranges(&env, &seg, &r, &n), VOD_OK);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].offset, 100);
    assert_int_equal(r[0].size, 15);
    assert_int_equal(r[1].offset, 200);
    assert_int_equal(r[1].size, 8);
    assert_int_equal(r[2].offset, 50);
    assert_int_equal(r[2].size, 3);

    seg.count = 0;
    assert_int_equal(vod_segment_ranges(&env, &seg, &r, &n), VOD_OK);
    assert_int_equal(n, 0);

    s[0].offset = UINT64_MAX - 5;
    seg.count = 1;
    assert_int_equal(vod_segment_ranges(&env, &seg, &r, &n), VOD_BAD_DATA);

    seg.count = VOD_MAX_SEGMENT_SAMPLES + 1;
    assert_int_equal(vod_segment_ranges(&env, &seg, &r, &n), VOD_BAD_DATA);

    av_oracle_env_free(&env);
}


static void
test_bounds(void **state)
{
    size_t               len;
    u_char              *out;
    vod_env_t            env;
    vod_segment_t        seg;
    vod_sample_t         s[2];
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    assert_int_equal(av_oracle_env_init(&env, &ctx, NULL), 0);
    memset(&info, 0, sizeof(info));
    memset(&seg, 0, sizeof(seg));
    memset(s, 0, sizeof(s));

    info.type = VOD_TRACK_VIDEO;
    seg.track = &info;
    seg.samples = s;

    /* counts are checked before any size is computed from them */
    seg.count = VOD_MAX_SEGMENT_SAMPLES + 1;
    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_BAD_DATA);
    seg.count = UINT32_MAX;
    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_BAD_DATA);

    s[0].size = VOD_MAX_SAMPLE_SIZE + 1;
    seg.count = 1;
    seg.data_size = s[0].size;
    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_BAD_DATA);

    /* data_size must be the samples' sum */
    s[0].size = 10;
    s[1].size = 20;
    seg.count = 2;
    seg.data_size = 29;
    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_ERROR);

    /* an empty segment is still a well-formed header */
    seg.count = 0;
    seg.data_size = 0;
    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_OK);
    assert_int_equal(vod_r32(out + len - 8), 8);

    /* init: missing or oversized sample entries */
    info.timescale = 90000;
    assert_int_equal(vod_fmp4_init(&env, &info, &out, &len), VOD_BAD_DATA);

    av_oracle_env_free(&env);
}


static void
test_largesize(void **state)
{
    size_t               len;
    u_char              *out;
    uint32_t             i, n;
    uint64_t             total;
    vod_env_t            env;
    vod_sample_t        *s;
    vod_segment_t        seg;
    vod_track_info_t     info;
    av_oracle_env_ctx_t  ctx;

    assert_int_equal(av_oracle_env_init(&env, &ctx, NULL), 0);
    memset(&info, 0, sizeof(info));
    memset(&seg, 0, sizeof(seg));

    /* 4 GiB - 9 of payload still fits a 32-bit mdat size ... */
    n = 64;
    s = calloc(n + 1, sizeof(vod_sample_t));
    total = 0;

    for (i = 0; i < n; i++) {
        s[i].size = VOD_MAX_SAMPLE_SIZE;
        s[i].duration = 1024;
        s[i].sync = 1;
        total += s[i].size;
    }

    s[n - 1].size -= 9;
    total -= 9;

    info.type = VOD_TRACK_AUDIO;
    info.track_id = 2;
    seg.track = &info;
    seg.samples = s;
    seg.count = n;
    seg.data_size = total;

    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_OK);
    assert_int_equal(vod_r32(out + len - 8), 0xffffffffU);

    /* ... one byte more needs the 64-bit largesize */
    s[n - 1].size++;
    seg.data_size++;
    assert_int_equal(vod_fmp4_segment_header(&env, &seg, &out, &len),
                     VOD_OK);
    assert_int_equal(vod_r32(out + len - 16), 1);
    assert_memory_equal(out + len - 12, "mdat", 4);
    assert_int_equal(vod_r64(out + len - 8), seg.data_size + 16);

    free(s);
    av_oracle_env_free(&env);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_init_boxes),
        cmocka_unit_test(test_segment_header),
        cmocka_unit_test(test_ranges),
        cmocka_unit_test(test_bounds),
        cmocka_unit_test(test_largesize),
        cmocka_unit_test(test_fixtures),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
