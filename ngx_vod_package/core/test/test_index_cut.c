/*
 * test_index_cut.c: the segment boundaries (vod_index_cut.c): renditions
 * of one title cut alike, and every segment duration gives an index whose
 * every segment extracts.  The cutting rule itself is checked against
 * libavformat's packets by t_check_file() (index_util.h), which
 * test_index_query.c runs on every fixture.
 */

#include "index_util.h"


static void test_aligned_renditions(void **state);
static void test_segment_ms(void **state);


static void
test_aligned_renditions(void **state)
{
    int               i, v;
    size_t            len;
    u_char           *file;
    t_ctx_t           ctx[3];
    uint32_t          s;
    vod_env_t         env[3];
    t_built_t         b[3];
    vod_track_info_t  info[3];

    static const char  *names[3] = {
        "demo/1080p.mp4", "demo/720p.mp4", "demo/360p.mp4"
    };

    for (i = 0; i < 3; i++) {
        file = t_load(names[i], &len);
        t_env_init(&env[i], &ctx[i], file, len);
        assert_int_equal(t_build(&env[i], T_SEGMENT_MS, &b[i]), VOD_OK);

        v = vod_index_find_track(b[i].index, VOD_TRACK_VIDEO);
        assert_true(v >= 0);
        assert_int_equal(vod_index_track_info(&env[i], b[i].index, v,
                                              &info[i]), VOD_OK);
    }

    /* 8 s of 2 s GOPs in 2 s segments */
    assert_int_equal(info[0].segment_count, 4);

    for (i = 1; i < 3; i++) {
        assert_int_equal(info[i].segment_count, info[0].segment_count);
        assert_int_equal(info[i].timescale, info[0].timescale);

        for (s = 0; s <= info[0].segment_count; s++) {
            assert_int_equal(info[i].seg_time[s], info[0].seg_time[s]);
        }
    }

    for (i = 0; i < 3; i++) {
        free((void *) ctx[i].file);
        t_env_free(&ctx[i]);
    }
}


static void
test_segment_ms(void **state)
{
    size_t    len;
    u_char   *file;
    t_ctx_t   ctx;

    static const uint32_t  ms[] = { 1, 40, 999, 2000, 3000, 4000, 7999,
                                    100000 };
    uint32_t               i;

    /* every segment duration gives a valid index whose every segment
     * extracts (t_build_buf checks that) */

    file = t_load("demo/360p.mp4", &len);

    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        assert_int_equal(t_build_buf(file, len, ms[i], &ctx), VOD_OK);
    }

    free(file);

    file = t_load("audio/audio.mp4", &len);

    for (i = 0; i < sizeof(ms) / sizeof(ms[0]); i++) {
        assert_int_equal(t_build_buf(file, len, ms[i], &ctx), VOD_OK);
    }

    free(file);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_aligned_renditions),
        cmocka_unit_test(test_segment_ms),
    };

    t_media = getenv("VOD_MEDIA");
    if (t_media == NULL) {
        t_media = "build/media";
    }

    av_log_set_level(AV_LOG_QUIET);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
