/*
 * test_index_parse.c: reading the moov (vod_index_parse.c and the checks
 * of vod_index_build.c): rewritten fixtures (co64, 64-bit box sizes, stz2,
 * ctts v1, empty edits) index to the same samples (an empty edit's
 * delaying them), and hostile inputs
 * (truncations, corrupt sizes, huge counts, unsupported tracks, random
 * mutations) fail cleanly with one log line.
 */

#include "index_util.h"


static void test_rewritten(void **state);
static void test_truncated(void **state);
static void test_box_sizes(void **state);
static void test_counts(void **state);
static void test_unsupported(void **state);
static void test_mutations(void **state);
static void test_lang_handler(void **state);


static void
test_rewritten(void **state)
{
    size_t    len, moov_len, n;
    u_char   *file, *out;
    uint64_t  moov_off, moov_size;
    t_ctx_t   ctx;
    vod_env_t env;

    static const uint32_t  variants[] = {
        T_RW_CO64, T_RW_LARGE, T_RW_STZ2, T_RW_CTTS1, T_RW_EMPTY,
        T_RW_CO64 | T_RW_LARGE | T_RW_STZ2 | T_RW_CTTS1 | T_RW_EMPTY
    };
    uint32_t               i;

    /* the ntsc file has its moov at the end, so rewriting the moov keeps
     * every chunk offset valid */

    file = t_load("ntsc/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(vod_mp4_find_moov(&env, len, &moov_off, &moov_size),
                     VOD_OK);
    assert_int_equal(moov_off + moov_size, len);

    moov_len = moov_size;

    for (i = 0; i < sizeof(variants) / sizeof(variants[0]); i++) {
        out = malloc(len * 2 + 65536);
        assert_non_null(out);
        memcpy(out, file, moov_off);

        n = t_rewrite(file + moov_off, moov_len, out + moov_off,
                      variants[i]);

        if (variants[i] & T_RW_CO64) {
            assert_true(n > moov_len);
            assert_non_null(t_find(out + moov_off, n,
                                   "moov/trak/mdia/minf/stbl/co64"));
        }

        if (variants[i] & T_RW_STZ2) {
            assert_non_null(t_find(out + moov_off, n,
                                   "moov/trak[1]/mdia/minf/stbl/stz2"));
        }

        /* T_RW_EMPTY: 1000 ticks of the movie's clock, every track */
        t_samples_equal("rewritten", file, len, out, moov_off + n,
                        (variants[i] & T_RW_EMPTY) ? 1000 : 0);
        free(out);
    }

    t_env_free(&ctx);
    free(file);
}


static void
test_truncated(void **state)
{
    int        rc;
    size_t     len, l, step;
    u_char    *file;
    t_ctx_t    ctx;
    uint32_t   i;

    static const char  *names[] = {
        "demo/360p.mp4", "ntsc/360p.mp4", "audio/audio.mp4"
    };

    for (i = 0; i < 3; i++) {
        file = t_load(names[i], &len);

        /* every length through the first 16 KB (the faststart moov), then
         * a few hundred lengths across the rest */

        step = len / 300 + 1;

        for (l = 0; l < len; l += (l < 16384 ? 1 : step)) {
            rc = t_build_buf(file, l, T_SEGMENT_MS, &ctx);

            if (rc == VOD_OK) {
                fail_msg("%s cut to %zu of %zu bytes built", names[i], l,
                         len);
            }
        }

        /* the last sample's data is the file's last byte or the moov's */
        assert_int_not_equal(t_build_buf(file, len - 1, T_SEGMENT_MS, &ctx),
                             VOD_OK);
        assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx), VOD_OK);

        free(file);
    }
}


static void
test_box_sizes(void **state)
{
    size_t          len;
    u_char         *file, *p, save[16];
    uint32_t        i, k, size;
    uint64_t        off, msize;
    t_ctx_t         ctx;
    vod_env_t       env;

    static const uint32_t  sizes[] = {
        0, 1, 2, 7, 8, 9, 15, 16, 0x7fffffff, 0xffffffff
    };

    file = t_load("demo/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(vod_mp4_find_moov(&env, len, &off, &msize), VOD_OK);

    /* every 4-byte position in the moov gets a box size's worth of havoc:
     * that hits every box header and every table count */

    for (i = 0; i + 4 <= msize; i += 4) {
        p = file + off + i;
        memcpy(save, p, 4);

        for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
            size = sizes[k];
            p[0] = size >> 24; p[1] = size >> 16; p[2] = size >> 8;
            p[3] = size;
            t_hostile(file, len, "size");
        }

        /* off by one of the original */
        size = vod_r32(save) + 1;
        p[0] = size >> 24; p[1] = size >> 16; p[2] = size >> 8; p[3] = size;
        t_hostile(file, len, "size+1");

        size = vod_r32(save) - 1;
        p[0] = size >> 24; p[1] = size >> 16; p[2] = size >> 8; p[3] = size;
        t_hostile(file, len, "size-1");

        memcpy(p, save, 4);
    }

    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx), VOD_OK);

    t_env_free(&ctx);
    free(file);
}


static void
test_counts(void **state)
{
    size_t     len;
    u_char    *file, *moov, *b, *q;
    t_ctx_t    ctx;
    vod_env_t  env;
    uint64_t   off, msize;
    uint32_t   v, w;

    file = t_load("demo/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(vod_mp4_find_moov(&env, len, &off, &msize), VOD_OK);
    moov = file + off;

    /* stts says one sample more than stsz */
    b = t_find(moov, msize, "moov/trak/mdia/minf/stbl/stts");
    assert_non_null(b);
    v = vod_r32(b + 16);
    q = b + 16;
    vod_w32(q, v + 1);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_string_equal(ctx.last_log,
                        "track 1: stsz sample count 200 differs from stts "
                        "total over 201");
    q = b + 16;
    vod_w32(q, v);

    /* a huge stsz count */
    b = t_find(moov, msize, "moov/trak/mdia/minf/stbl/stsz");
    assert_non_null(b);
    v = vod_r32(b + 16);
    q = b + 16;
    vod_w32(q, 0x7fffffff);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "overruns"));

    /* a huge constant-size sample count: over the limit */
    q = b + 12;
    vod_w32(q, 100);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "over the limit"));

    /* constant size, right count: then the data runs past the file */
    q = b + 12;
    vod_w32(q, 0x100000);
    q = b + 16;
    vod_w32(q, v);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "beyond the end of the file"));

    /* a sample over VOD_MAX_SAMPLE_SIZE */
    q = b + 12;
    vod_w32(q, 0);
    v = vod_r32(b + 20);
    q = b + 20;
    vod_w32(q, 0x7fffffff);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "size 2147483647 over the limit"));
    q = b + 20;
    vod_w32(q, v);

    /* a chunk offset past the end */
    b = t_find(moov, msize, "moov/trak/mdia/minf/stbl/stco");
    assert_non_null(b);
    v = vod_r32(b + 16);
    q = b + 16;
    vod_w32(q, 0xfffffff0);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "beyond the end of the file"));
    q = b + 16;
    vod_w32(q, v);

    /* stsc first chunk out of order */
    b = t_find(moov, msize, "moov/trak/mdia/minf/stbl/stsc");
    assert_non_null(b);
    v = vod_r32(b + 16);
    q = b + 16;
    vod_w32(q, 2);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "stsc entry 0"));
    q = b + 16;
    vod_w32(q, v);

    /* stss out of order */
    b = t_find(moov, msize, "moov/trak/mdia/minf/stbl/stss");
    assert_non_null(b);
    v = vod_r32(b + 16);
    q = b + 16;
    vod_w32(q, 1000);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "stss entry 0"));
    q = b + 16;
    vod_w32(q, v);

    /* a ctts that covers fewer samples */
    b = t_find(moov, msize, "moov/trak/mdia/minf/stbl/ctts");
    assert_non_null(b);
    v = vod_r32(b + 12);
    q = b + 12;
    vod_w32(q, v - 1);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "ctts total"));
    q = b + 12;
    vod_w32(q, v);

    /* two offsets out of range once the edit list's 1024 is taken off:
     * the first named, though the second is the least */
    v = vod_r32(b + 28);
    w = vod_r32(b + 36);
    q = b + 28;
    vod_w32(q, 0x80000001);
    q = b + 36;
    vod_w32(q, 0x80000000);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_string_equal(ctx.last_log, "track 1: composition offset "
                        "-2147484671 out of range");
    q = b + 28;
    vod_w32(q, v);
    q = b + 36;
    vod_w32(q, w);

    /* mdhd timescale 0 */
    b = t_find(moov, msize, "moov/trak[1]/mdia/mdhd");
    assert_non_null(b);
    v = vod_r32(b + 20);
    q = b + 20;
    vod_w32(q, 0);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "timescale is 0"));
    q = b + 20;
    vod_w32(q, v);

    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx), VOD_OK);

    t_env_free(&ctx);
    free(file);
}


static void
test_unsupported(void **state)
{
    size_t     len;
    u_char    *file, *moov, *v, *a;
    t_ctx_t    ctx;
    vod_env_t  env;
    uint64_t   off, msize;

    file = t_load("demo/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(vod_mp4_find_moov(&env, len, &off, &msize), VOD_OK);
    moov = file + off;

    v = t_find(moov, msize, "moov/trak/mdia/minf/stbl/stsd/avc1");
    a = t_find(moov, msize, "moov/trak[1]/mdia/minf/stbl/stsd/mp4a");
    assert_non_null(v);
    assert_non_null(a);

    /* encrypted */
    memcpy(v + 4, "encv", 4);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_UNSUPPORTED);
    assert_non_null(strstr(ctx.last_log, "encrypted"));

    /* an unknown video codec is skipped with one line, the audio
     * remains */
    memcpy(v + 4, "mp4v", 4);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx), VOD_OK);
    assert_int_equal(ctx.log_lines, 1);
    assert_non_null(strstr(ctx.last_log, "(mp4v) left out"));

    /* nothing left (ac-3 is packaged now: Opus is not) */
    memcpy(a + 4, "Opus", 4);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_UNSUPPORTED);
    assert_non_null(strstr(ctx.last_log, "no H.264"));

    /* avc3 is AVC as well, the codec string keeps the type */
    memcpy(v + 4, "avc3", 4);
    memcpy(a + 4, "mp4a", 4);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx), VOD_OK);

    t_env_init(&env, &ctx, file, len);
    {
        t_built_t         b;
        vod_track_info_t  info;

        assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
        assert_int_equal(vod_index_track_info(&env, b.index, 0, &info),
                         VOD_OK);
        assert_memory_equal(info.codec_str, "avc3.64", 7);
    }
    t_env_free(&ctx);

    /* no moov at all */
    memcpy(moov + 4, "free", 4);
    assert_int_equal(t_build_buf(file, len, T_SEGMENT_MS, &ctx),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx.last_log, "no moov"));

    free(file);
}


static void
test_mutations(void **state)
{
    size_t     len, i, k, n;
    u_char    *file, *copy;
    t_ctx_t    ctx;
    uint32_t   seed;
    vod_env_t  env;
    uint64_t   off, msize;

    static const char  *names[] = {
        "demo/360p.mp4", "hevc/360p.mp4", "audio/audio.mp4"
    };

    seed = 12345;

    for (k = 0; k < 3; k++) {
        file = t_load(names[k], &len);
        t_env_init(&env, &ctx, file, len);
        assert_int_equal(vod_mp4_find_moov(&env, len, &off, &msize),
                         VOD_OK);

        copy = malloc(len);
        assert_non_null(copy);

        for (i = 0; i < 1500; i++) {
            memcpy(copy, file, len);

            /* a few random bytes of the moov */
            for (n = 0; n < 1 + i % 4; n++) {
                seed = seed * 1103515245 + 12345;
                copy[off + (seed >> 8) % msize] = (u_char) (seed >> 3);
            }

            t_hostile(copy, len, "mutation");
        }

        free(copy);
        free(file);
    }
}


static void
test_lang_handler(void **state)
{
    size_t            len;
    u_char           *file, *moov, *b, *q;
    t_ctx_t           ctx;
    uint64_t          off, msize;
    vod_env_t         env;
    t_built_t         ix;
    vod_track_info_t  info;

    file = t_load("ntsc/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(vod_mp4_find_moov(&env, len, &off, &msize), VOD_OK);
    moov = file + off;

    /* mdhd language "eng": packed 5-bit letters minus 0x60 */
    b = t_find(moov, msize, "moov/trak[1]/mdia/mdhd");
    assert_non_null(b);
    assert_int_equal(b[8], 0);
    q = b + 28;
    vod_w16(q, (5 << 10) | (14 << 5) | 7);

    /* the video's handler says timecode: the track is skipped */
    b = t_find(moov, msize, "moov/trak/mdia/hdlr");
    assert_non_null(b);
    memcpy(b + 16, "tmcd", 4);

    assert_int_equal(t_build(&env, T_SEGMENT_MS, &ix), VOD_OK);
    assert_int_equal(vod_index_track_count(ix.index), 1);
    assert_int_equal(vod_index_track_info(&env, ix.index, 0, &info), VOD_OK);
    assert_int_equal(info.type, VOD_TRACK_AUDIO);
    assert_string_equal(info.lang, "eng");

    /* the moov is the last box: size 0 means "to the end of the file" */
    moov[0] = 0; moov[1] = 0; moov[2] = 0; moov[3] = 0;
    assert_int_equal(t_build(&env, T_SEGMENT_MS, &ix), VOD_OK);
    assert_int_equal(ix.moov_size, msize);

    t_env_free(&ctx);
    free(file);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_rewritten),
        cmocka_unit_test(test_truncated),
        cmocka_unit_test(test_box_sizes),
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_unsupported),
        cmocka_unit_test(test_mutations),
        cmocka_unit_test(test_lang_handler),
    };

    t_media = getenv("VOD_MEDIA");
    if (t_media == NULL) {
        t_media = "build/media";
    }

    av_log_set_level(AV_LOG_QUIET);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
