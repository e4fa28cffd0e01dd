/*
 * test_index_query.c: every fixture built and read back
 * (vod_index_query.c): each segment's samples, times, sizes, offsets and
 * key frames against libavformat as an independent demuxer, track
 * descriptions, and the API's bounds and header check.
 */

#include "index_util.h"


static void test_demo_1080p(void **state);
static void test_demo_720p(void **state);
static void test_demo_360p(void **state);
static void test_hevc(void **state);
static void test_ntsc(void **state);
static void test_audio_only(void **state);
static void test_video_only(void **state);
static void test_api_bounds(void **state);


static void
test_demo_1080p(void **state)
{
    t_check_file("demo/1080p.mp4", T_SEGMENT_MS);
}


static void
test_demo_720p(void **state)
{
    t_check_file("demo/720p.mp4", T_SEGMENT_MS);
}


static void
test_demo_360p(void **state)
{
    t_check_file("demo/360p.mp4", T_SEGMENT_MS);
}


static void
test_hevc(void **state)
{
    t_check_file("hevc/360p.mp4", T_SEGMENT_MS);
}


static void
test_ntsc(void **state)
{
    int               v;
    size_t            len;
    u_char           *file;
    t_ctx_t           ctx;
    vod_env_t         env;
    t_built_t         b;
    vod_track_info_t  info;

    t_check_file("ntsc/360p.mp4", T_SEGMENT_MS);

    /* moov after mdat, 29.97 fps */

    file = t_load("ntsc/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);

    assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
    assert_true(b.moov_offset > len / 2);

    v = vod_index_find_track(b.index, VOD_TRACK_VIDEO);
    assert_true(v >= 0);
    assert_int_equal(vod_index_track_info(&env, b.index, v, &info), VOD_OK);
    assert_int_equal(info.fps_num, 30000);
    assert_int_equal(info.fps_den, 1001);
    assert_int_equal(info.width, 640);
    assert_int_equal(info.height, 360);

    t_env_free(&ctx);
    free(file);
}


static void
test_audio_only(void **state)
{
    size_t            len;
    u_char           *file;
    uint32_t          s;
    uint64_t          dts;
    t_ctx_t           ctx;
    vod_env_t         env;
    t_built_t         b;
    vod_track_info_t  info;

    t_check_file("audio/audio.mp4", T_SEGMENT_MS);

    /* no video: cut at the multiples of segment_ms */

    file = t_load("audio/audio.mp4", &len);
    t_env_init(&env, &ctx, file, len);

    assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
    assert_int_equal(vod_index_track_count(b.index), 1);
    assert_int_equal(vod_index_find_track(b.index, VOD_TRACK_VIDEO), -1);
    assert_int_equal(vod_index_find_track(b.index, VOD_TRACK_AUDIO), 0);
    assert_int_equal(vod_index_track_info(&env, b.index, 0, &info), VOD_OK);

    /* every frame presented its priming (the edit's 1024 samples)
     * before it is decoded */
    assert_int_equal(info.min_pts_delay, -1024);
    assert_int_equal(info.max_pts_delay, -1024);

    for (s = 1; s < info.segment_count; s++) {
        /* the first sample decoded at or after s * 2 s: less than one
         * 1024-sample frame after it; its boundary is when it is
         * presented */
        dts = info.seg_time[s] + 1024;
        assert_true(dts * 1000
                    >= (uint64_t) s * T_SEGMENT_MS * info.timescale);
        assert_true(dts * 1000
                    < (uint64_t) s * T_SEGMENT_MS * info.timescale
                      + 1024 * 1000);
    }

    assert_int_equal(info.seg_time[info.segment_count], info.duration);

    assert_int_equal(info.sample_rate, 48000);
    assert_int_equal(info.channels, 2);

    t_env_free(&ctx);
    free(file);
}


static void
test_video_only(void **state)
{
    t_check_file("video/360p.mp4", T_SEGMENT_MS);
}


static void
test_api_bounds(void **state)
{
    size_t            len;
    u_char           *file, *copy;
    t_ctx_t           ctx;
    vod_env_t         env;
    t_built_t         b;
    vod_segment_t     seg;
    vod_track_info_t  info;

    file = t_load("demo/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);

    assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
    assert_int_equal(vod_index_track_count(b.index), 2);
    assert_int_equal(vod_index_find_track(b.index, VOD_TRACK_VIDEO), 0);
    assert_int_equal(vod_index_find_track(b.index, VOD_TRACK_AUDIO), 1);
    assert_int_equal(vod_index_find_track(b.index, 7), -1);

    assert_int_equal(vod_index_track_info(&env, b.index, 0, &info), VOD_OK);
    assert_int_equal(vod_index_segment(&env, b.index, 0, &info,
                                       info.segment_count, &seg),
                     VOD_NOT_FOUND);
    assert_int_equal(vod_index_segment(&env, b.index, 0, &info, 0xffffffff,
                                       &seg), VOD_NOT_FOUND);
    assert_int_equal(vod_index_segment(&env, b.index, 2, &info, 0, &seg),
                     VOD_NOT_FOUND);
    assert_int_equal(vod_index_track_info(&env, b.index, 2, &info),
                     VOD_NOT_FOUND);

    /* the first video segment starts with a key frame at offset > 0 */
    assert_int_equal(vod_index_track_info(&env, b.index, 0, &info), VOD_OK);
    assert_int_equal(vod_index_segment(&env, b.index, 0, &info, 0, &seg),
                     VOD_OK);
    assert_int_equal(seg.samples[0].sync, 1);
    assert_int_equal(seg.samples[0].pts_delay, 0);

    /* a relocated copy (shared memory) reads the same */
    copy = t_alloc(&env, b.index_len);
    memcpy(copy, b.index, b.index_len);
    memset(b.index, 0, b.index_len);
    assert_int_equal(vod_index_check(copy, b.index_len), VOD_OK);
    assert_int_equal(vod_index_segment(&env, copy, 0, &info, 1, &seg),
                     VOD_OK);
    assert_int_equal(seg.samples[0].sync, 1);

    /* the header check */
    assert_int_equal(vod_index_check(copy, b.index_len - 8), VOD_BAD_DATA);
    assert_int_equal(vod_index_check(copy, 16), VOD_BAD_DATA);
    copy[0] ^= 1;
    assert_int_equal(vod_index_check(copy, b.index_len), VOD_BAD_DATA);
    copy[0] ^= 1;
    copy[4] ^= 1;
    assert_int_equal(vod_index_check(copy, b.index_len), VOD_BAD_DATA);

    /* segment_ms 0 is a caller bug */
    ctx.log_lines = 0;
    assert_int_equal(vod_index_build(&env, file, len, len, 0, &b.index,
                                     &b.index_len), VOD_ERROR);
    assert_int_equal(ctx.log_lines, 1);

    t_env_free(&ctx);
    free(file);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_demo_1080p),
        cmocka_unit_test(test_demo_720p),
        cmocka_unit_test(test_demo_360p),
        cmocka_unit_test(test_hevc),
        cmocka_unit_test(test_ntsc),
        cmocka_unit_test(test_audio_only),
        cmocka_unit_test(test_video_only),
        cmocka_unit_test(test_api_bounds),
    };

    t_media = getenv("VOD_MEDIA");
    if (t_media == NULL) {
        t_media = "build/media";
    }

    av_log_set_level(AV_LOG_QUIET);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
