/*
 * test_index_build.c: the blob (vod_index_build.c): ctts kept as runs
 * when that is smaller, the chunk walk over many stsc runs, a blob that
 * holds nothing but what the file says, and the build's memory bound over
 * crafted files and a long title.
 */

#include "index_util.h"


static void test_ctts_runs(void **state);
static void test_deterministic(void **state);
static void test_rechunked(void **state);
static void test_bound_tracks(void **state);
static void test_bound_one_chunk(void **state);
static void test_bound_counts(void **state);
static void test_bound_long_title(void **state);
static void test_within_moov(void **state);


static void
test_ctts_runs(void **state)
{
    size_t            len;
    u_char           *file, *b, *q;
    int32_t           mt;
    t_ctx_t           c1, c2;
    uint32_t          k, n, count;
    uint64_t          off, msize;
    vod_env_t         e1, e2;
    t_built_t         b1, b2;
    vod_sample_t     *all1, *all2;
    vod_segment_t     s1;
    vod_track_info_t  i1, i2;

    file = t_load("ntsc/360p.mp4", &len);
    t_env_init(&e1, &c1, file, len);
    assert_int_equal(t_build(&e1, T_SEGMENT_MS, &b1), VOD_OK);
    assert_int_equal(vod_mp4_find_moov(&e1, len, &off, &msize), VOD_OK);
    assert_int_equal(vod_index_track_info(&e1, b1.index, 0, &i1), VOD_OK);

    /* the original's media_time: pts_delay of sample 0 minus its ctts */
    b = t_find(file + off, msize, "moov/trak/mdia/minf/stbl/ctts");
    assert_non_null(b);
    assert_int_equal(vod_index_segment(&e1, b1.index, 0, &i1, 0, &s1),
                     VOD_OK);
    mt = (int32_t) vod_r32(b + 20) - s1.samples[0].pts_delay;

    /* two runs: 70 samples at 3003, the rest at 1001 */
    count = vod_r32(b + 12);
    assert_true(count > 2);
    n = i1.sample_count;

    q = b + 12;
    vod_w32(q, 2);
    vod_w32(q, 70);
    vod_w32(q, 3003);
    vod_w32(q, n - 70);
    vod_w32(q, 1001);

    t_env_init(&e2, &c2, file, len);
    assert_int_equal(t_build(&e2, T_SEGMENT_MS, &b2), VOD_OK);
    assert_int_equal(vod_index_track_info(&e2, b2.index, 0, &i2), VOD_OK);
    assert_true(b2.index_len < b1.index_len);

    /* new composition offsets may move the boundaries (they follow the
     * key frames' presentation times), so compare the whole tracks */
    all1 = t_all_samples(&e1, b1.index, &i1);
    all2 = t_all_samples(&e2, b2.index, &i2);
    assert_int_equal(i1.sample_count, i2.sample_count);

    assert_int_equal(i2.min_pts_delay, 1001 - mt);
    assert_int_equal(i2.max_pts_delay, 3003 - mt);

    for (k = 0; k < n; k++) {
        assert_int_equal(all2[k].pts_delay, (k < 70 ? 3003 : 1001) - mt);
        all2[k].pts_delay = all1[k].pts_delay;
    }

    assert_memory_equal(all1, all2, n * sizeof(vod_sample_t));
    free(all1);
    free(all2);

    assert_int_equal(k, n);

    t_env_free(&c1);
    t_env_free(&c2);
    free(file);
}


/* the blob holds nothing but what the file says: memory handed out full
 * of zeros or full of garbage gives the same bytes */

static void
test_deterministic(void **state)
{
    size_t        i, len;
    u_char       *file;
    t_ctx_t       c1, c2;
    vod_env_t     e1, e2;
    t_built_t     b1, b2;

    static const char  *files[] = {
        "demo/1080p.mp4", "hevc/360p.mp4", "ntsc/360p.mp4",
        "audio/audio.mp4", "video/360p.mp4"
    };

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        file = t_load(files[i], &len);

        t_env_init(&e1, &c1, file, len);
        c1.fill = 0x00;
        assert_int_equal(t_build(&e1, T_SEGMENT_MS, &b1), VOD_OK);

        t_env_init(&e2, &c2, file, len);
        c2.fill = 0xa5;
        assert_int_equal(t_build(&e2, T_SEGMENT_MS, &b2), VOD_OK);

        assert_int_equal(b1.index_len, b2.index_len);
        assert_memory_equal(b1.index, b2.index, b1.index_len);

        t_env_free(&c1);
        t_env_free(&c2);
        free(file);
    }
}


/* the chunk walk over many stsc runs of 0 to 8 samples per chunk,
 * segments starting inside chunks, and a short last chunk */

static void
test_rechunked(void **state)
{
    size_t           len, n;
    u_char          *file, *out, *b;
    t_ctx_t          ctx;
    uint32_t         i, v;
    uint64_t         moov_off, moov_size;
    vod_env_t        env;

    static const char      *files[] = {
        "audio/audio.mp4", "video/360p.mp4", "ntsc/360p.mp4"
    };
    static const uint32_t   variants[] = {
        T_RW_CHUNKS, T_RW_CHUNKS | T_RW_CO64
    };

    for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
        file = t_load(files[i], &len);
        t_env_init(&env, &ctx, file, len);
        assert_int_equal(vod_mp4_find_moov(&env, len, &moov_off, &moov_size),
                         VOD_OK);

        /* the moov at the end: a longer one keeps every offset valid */
        assert_int_equal(moov_off + moov_size, len);

        for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
            out = malloc(len * 2 + 65536);
            assert_non_null(out);
            memcpy(out, file, moov_off);

            n = t_rewrite(file + moov_off, moov_size, out + moov_off,
                          variants[v]);

            b = t_find(out + moov_off, n, "moov/trak/mdia/minf/stbl/stsc");
            assert_non_null(b);
            assert_true(vod_r32(b + 12) > 20);

            t_samples_equal(files[i], file, len, out, moov_off + n, 0);
            free(out);
        }

        t_env_free(&ctx);
        free(file);
    }
}


/* 16 tracks, constant sample size, 200k samples of 10 s each in a moov of
 * 6 KB: a segment per sample.  It took 218 MB (cut arrays sized by the
 * sample count for every track, cursors and tables per segment and
 * track); now it is refused before going over the bound. */

static void
test_bound_tracks(void **state)
{
    double     t;
    size_t     moov_len;
    t_ctx_t    ctx;
    t_craft_t  c = { 16, 200000, 10000, 1, 1, 0, 200000 };

    assert_int_equal(t_craft_build(&c, 2000, &ctx, &moov_len, NULL),
                     VOD_BAD_DATA);
    assert_true(moov_len < 6 * 1024);
    assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));
    assert_non_null(strstr(ctx.last_log, "index needs over"));

    /* the same tables at 2 ms a sample: 400 s, 200 segments, indexed in
     * a few KB, tables kept compact */

    c.delta = 2;
    assert_int_equal(t_craft_build(&c, 2000, &ctx, &moov_len, NULL),
                     VOD_OK);
    assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));
    assert_true(ctx.allocated < 256 * 1024);

    /* two tracks of 16M samples of 1 ms in one chunk each, 60 s
     * segments: indexed in the bound (the cut arrays took 128 MB), and
     * no pass walks the samples one by one */

    c.tracks = 2;
    c.samples = VOD_MAX_SAMPLES;
    c.delta = 1;
    c.mdat = VOD_MAX_SAMPLES;
    assert_int_equal(t_craft_build(&c, 60000, &ctx, &moov_len, &t),
                     VOD_OK);
    assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));
    assert_true(t < 0.5);

    (void) state;
}


/* 400k samples of one byte in one chunk, a 2 MB file: the cursors were
 * filled by summing the sizes from the chunk start for every segment
 * start (quadratic).  CPU time must grow linearly: 4 times the samples
 * may cost 4 times the time, not 16 (best of 3 of each, so a busy
 * machine does not decide) */

static void
test_bound_one_chunk(void **state)
{
    int        i;
    double     t, small, large;
    size_t     moov_len;
    t_ctx_t    ctx;
    t_craft_t  c = { 1, 100000, 21, 0, 1, 0, 400000 };

    small = 1e9;
    large = 1e9;

    for (i = 0; i < 3; i++) {
        c.samples = 100000;
        assert_int_equal(t_craft_build(&c, 2000, &ctx, &moov_len, &t),
                         VOD_OK);
        assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));
        small = (t < small) ? t : small;

        c.samples = 400000;
        assert_int_equal(t_craft_build(&c, 2000, &ctx, &moov_len, &t),
                         VOD_OK);
        assert_true(moov_len + 400008 < 2 * 1024 * 1024 + 4096);
        assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));
        large = (t < large) ? t : large;
    }

    print_message("    100k samples %.4f s, 400k samples %.4f s\n", small,
                  large);

    assert_true(large < 8 * small + 0.02);
    assert_true(large < 1.0);

    (void) state;
}


/* counts claiming more than their box holds: refused in one log line,
 * with no allocation sized by the claim */

static void
test_bound_counts(void **state)
{
    size_t     moov_len;
    t_ctx_t    ctx;
    t_craft_t  c = { 4, 1000, 20, 1, 1, 0x10000000, 1000 };

    assert_int_equal(t_craft_build(&c, 2000, &ctx, &moov_len, NULL),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "overruns the box"));
    assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));

    /* a constant-size stsz claiming more samples than the file has
     * bytes */

    c.stts_claim = 0;
    c.samples = 1000 * 1000;
    assert_int_equal(t_craft_build(&c, 2000, &ctx, &moov_len, NULL),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "exceeds the file size"));
    assert_true(ctx.allocated <= vod_index_mem_bound(moov_len));

    (void) state;
}


/* a real title within the bound: every fixture, and a long title when
 * VOD_LONG_TITLE names one (bench/mktitles.sh's two-hour title) */

static void
test_bound_long_title(void **state)
{
    size_t       i, len;
    u_char      *file;
    t_ctx_t      ctx;
    vod_env_t    env;
    t_built_t    b;
    const char  *long_title, *media;

    static const char  *names[] = {
        "demo/1080p.mp4", "demo/360p.mp4", "hevc/360p.mp4",
        "ntsc/360p.mp4", "audio/audio.mp4", "video/360p.mp4"
    };

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        file = t_load(names[i], &len);
        t_env_init(&env, &ctx, file, len);
        assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
        assert_true(ctx.allocated <= vod_index_mem_bound(b.moov_size));
        t_env_free(&ctx);
        free(file);
    }

    long_title = getenv("VOD_LONG_TITLE");
    if (long_title == NULL) {
        return;
    }

    media = t_media;
    t_media = "";
    file = t_load(long_title, &len);
    t_media = media;
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
    print_message("    %s: moov %llu bytes, build %zu bytes, index %zu "
                  "bytes\n", long_title, (unsigned long long) b.moov_size,
                  ctx.allocated, b.index_len);
    assert_true(ctx.allocated <= vod_index_mem_bound(b.moov_size));
    assert_true(b.index_len <= b.moov_size);
    t_env_free(&ctx);
    free(file);

    (void) state;
}


/*
 * The index is no larger than the moov it was built from, over the shapes
 * of real titles: every fixture as it is (constant frame durations, ctts,
 * audio only, video only, H.264 and HEVC), and the ones whose moov is at
 * the end rewritten with a duration of its own for every sample, without
 * ctts, both, or in many small chunks (t_rechunk() copies stts and ctts
 * as they are), at 1, 2 and 4 s segments.
 */

static void
test_within_moov(void **state)
{
    size_t     len, n, v, f, k;
    u_char    *file, *out;
    t_ctx_t    ctx;
    uint64_t   moov_off, moov_size;
    vod_env_t  env;
    t_built_t  b;

    static const char      *names[] = {
        "demo/1080p.mp4", "demo/720p.mp4", "demo/360p.mp4",
        "hevc/360p.mp4", "ntsc/360p.mp4", "audio/audio.mp4",
        "video/360p.mp4"
    };
    static const uint32_t   variants[] = {
        0, T_RW_VFR, T_RW_NOCTTS, T_RW_VFR | T_RW_NOCTTS, T_RW_CHUNKS
    };
    static const uint32_t   ms[] = { 1000, 2000, 4000 };

    for (f = 0; f < sizeof(names) / sizeof(names[0]); f++) {
        file = t_load(names[f], &len);
        t_env_init(&env, &ctx, file, len);
        assert_int_equal(vod_mp4_find_moov(&env, len, &moov_off, &moov_size),
                         VOD_OK);
        t_env_free(&ctx);

        for (v = 0; v < sizeof(variants) / sizeof(variants[0]); v++) {
            if (variants[v] != 0 && moov_off + moov_size != len) {
                /* a moov before the media: a longer one would move it */
                continue;
            }

            out = malloc(len * 2 + 65536);
            assert_non_null(out);
            memcpy(out, file, moov_off);
            n = t_rewrite(file + moov_off, moov_size, out + moov_off,
                          variants[v]);

            if (variants[v] & T_RW_NOCTTS) {
                assert_null(t_find(out + moov_off, n,
                                   "moov/trak/mdia/minf/stbl/ctts"));
            }

            for (k = 0; k < sizeof(ms) / sizeof(ms[0]); k++) {
                t_env_init(&env, &ctx, out,
                           variants[v] ? moov_off + n : len);
                assert_int_equal(t_build(&env, ms[k], &b), VOD_OK);

                if (b.index_len > b.moov_size) {
                    print_error("%s, variant 0x%x, %u ms: index %zu bytes, "
                                "moov %llu\n", names[f], variants[v], ms[k],
                                b.index_len,
                                (unsigned long long) b.moov_size);
                }

                assert_true(b.index_len <= b.moov_size);
                t_env_free(&ctx);
            }

            free(out);
        }

        free(file);
    }

    (void) state;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ctts_runs),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_rechunked),
        cmocka_unit_test(test_bound_tracks),
        cmocka_unit_test(test_bound_one_chunk),
        cmocka_unit_test(test_bound_counts),
        cmocka_unit_test(test_bound_long_title),
        cmocka_unit_test(test_within_moov),
    };

    t_media = getenv("VOD_MEDIA");
    if (t_media == NULL) {
        t_media = "build/media";
    }

    av_log_set_level(AV_LOG_QUIET);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
