/*
 * test_thumb.c: the choice of a thumbnail's frame (a time to a segment,
 * then to the sample presented at it and the key frame decoding starts
 * at) and picture sizes (the frames a decode skips: test_thumb_nal.c).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vod_thumb.h"


static void test_thumb_pick_bframes(void **state);
static void test_thumb_pick_edges(void **state);
static void test_thumb_pick_open_gop(void **state);
static void test_thumb_join(void **state);
static void test_thumb_three_segments(vod_track_info_t *info);
static void test_thumb_segment(void **state);
static void test_thumb_next_may_hold(void **state);
static void test_thumb_first_after(void **state);
static void test_thumb_ticks(void **state);
static void test_thumb_size(void **state);


/*
 * A GOP I P B B P B B in decode order at 1 tick a frame, two frames of
 * composition delay (ffmpeg's x264 with B-frames, the edit list applied
 * as the index does: the first frame presented at 0):
 *
 *   decode order   I0  P3  B1  B2  P6  B4  B5
 *   dts            0   1   2   3   4   5   6
 *   pts            0   3   1   2   6   4   5
 */

static vod_sample_t  test_thumb_gop[] = {
    { 0, 10, 1, 0, 1 },
    { 0, 10, 1, 2, 0 },
    { 0, 10, 1, -1, 0 },
    { 0, 10, 1, -1, 0 },
    { 0, 10, 1, 2, 0 },
    { 0, 10, 1, -1, 0 },
    { 0, 10, 1, -1, 0 },
};


static void
test_thumb_pick_bframes(void **state)
{
    uint32_t          t;
    vod_segment_t     seg;
    vod_thumb_pick_t  pick;

    /* presentation time -> the sample (decode order) presented then */
    static const uint32_t  want[] = { 0, 2, 3, 1, 5, 6, 4 };

    memset(&seg, 0, sizeof(seg));
    seg.start_dts = 100;
    seg.count = 7;
    seg.samples = test_thumb_gop;

    for (t = 0; t < 7; t++) {
        assert_int_equal(vod_thumb_pick(&seg, 100 + t, 0, &pick), VOD_OK);
        assert_int_equal(pick.target, want[t]);
        assert_int_equal(pick.key, 0);
        assert_int_equal(pick.pts, 100 + t);
    }

    /* the B-frame at 1 is shown until 2, not the P-frame decoded before
     * it, nor the one after */
    assert_int_equal(vod_thumb_pick(&seg, 101, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 2);

    /* past the last presented frame: still the last one */
    assert_int_equal(vod_thumb_pick(&seg, 1000, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 4);
}


static void
test_thumb_pick_edges(void **state)
{
    vod_sample_t      s[4];
    vod_segment_t     seg;
    vod_thumb_pick_t  pick;

    memset(&seg, 0, sizeof(seg));
    seg.start_dts = 100;
    seg.count = 7;
    seg.samples = test_thumb_gop;

    /* before the segment's first presented frame: the segment before;
     * unless it is the first */
    assert_int_equal(vod_thumb_pick(&seg, 99, 0, &pick), VOD_NOT_FOUND);
    assert_int_equal(vod_thumb_pick(&seg, 99, 1, &pick), VOD_OK);
    assert_int_equal(pick.target, 0);
    assert_int_equal(pick.pts, 100);

    /* a second key frame inside the segment: decoding starts there */
    memset(s, 0, sizeof(s));
    s[0].duration = s[1].duration = s[2].duration = s[3].duration = 10;
    s[0].sync = 1;
    s[2].sync = 1;
    seg.start_dts = 0;
    seg.count = 4;
    seg.samples = s;

    assert_int_equal(vod_thumb_pick(&seg, 35, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 3);
    assert_int_equal(pick.key, 2);

    assert_int_equal(vod_thumb_pick(&seg, 19, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 1);
    assert_int_equal(pick.key, 0);

    /* no key frame before the target */
    s[0].sync = 0;
    assert_int_equal(vod_thumb_pick(&seg, 15, 0, &pick), VOD_BAD_DATA);

    /* an empty segment */
    seg.count = 0;
    assert_int_equal(vod_thumb_pick(&seg, 0, 1, &pick), VOD_NOT_FOUND);
}


/*
 * An open GOP: an IDR, a P, then a key frame that is not an IDR (a CRA)
 * with a leading picture, decoded after it and presented before it, at
 * 10 ticks a frame:
 *
 *   decode order   I0  P1  K4  L3  P5
 *   dts            0   10  20  30  40
 *   pts            0   10  40  30  50
 */

static vod_sample_t  test_thumb_open[] = {
    { 0, 10, 10, 0, 1 },
    { 0, 10, 10, 0, 0 },
    { 0, 10, 10, 20, 1 },
    { 0, 10, 10, 0, 0 },
    { 0, 10, 10, 10, 0 },
};


static void
test_thumb_pick_open_gop(void **state)
{
    vod_segment_t     seg;
    vod_thumb_pick_t  pick;

    memset(&seg, 0, sizeof(seg));
    seg.count = 5;
    seg.samples = test_thumb_open;

    /* the leading picture: from the key frame before its own */
    assert_int_equal(vod_thumb_pick(&seg, 35, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 3);
    assert_int_equal(pick.key, 0);
    assert_int_equal(pick.lead, 0);

    /* the key frame itself and what follows it: from it */
    assert_int_equal(vod_thumb_pick(&seg, 45, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 2);
    assert_int_equal(pick.key, 2);
    assert_int_equal(vod_thumb_pick(&seg, 55, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 4);
    assert_int_equal(pick.key, 2);
    assert_int_equal(pick.lead, 0);

    /* a segment starting at the CRA: the key frame before is in the
     * segment before */
    seg.start_dts = 20;
    seg.count = 3;
    seg.samples = &test_thumb_open[2];

    assert_int_equal(vod_thumb_pick(&seg, 35, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 1);
    assert_int_equal(pick.key, 0);
    assert_int_equal(pick.lead, 1);

    assert_int_equal(vod_thumb_pick(&seg, 55, 0, &pick), VOD_OK);
    assert_int_equal(pick.lead, 0);
}


static void *
test_thumb_alloc(vod_env_t *env, size_t size)
{
    static u_char  pool[4096];

    return (size <= sizeof(pool)) ? pool : NULL;
}


static void *
test_thumb_no_alloc(vod_env_t *env, size_t size)
{
    return NULL;
}


static void
test_thumb_join(void **state)
{
    vod_env_t         env;
    vod_segment_t     prev, seg;
    vod_thumb_pick_t  pick;

    memset(&env, 0, sizeof(env));
    env.alloc = test_thumb_alloc;

    memset(&prev, 0, sizeof(prev));
    prev.index = 4;
    prev.count = 2;
    prev.duration = 20;
    prev.data_size = 20;
    prev.samples = test_thumb_open;

    memset(&seg, 0, sizeof(seg));
    seg.index = 5;
    seg.start_dts = 20;
    seg.count = 3;
    seg.duration = 30;
    seg.data_size = 30;
    seg.samples = &test_thumb_open[2];

    assert_int_equal(vod_thumb_join(&env, &prev, &seg), VOD_OK);
    assert_int_equal(seg.index, 4);
    assert_int_equal(seg.start_dts, 0);
    assert_int_equal(seg.count, 5);
    assert_int_equal(seg.duration, 50);
    assert_int_equal(seg.data_size, 50);
    assert_memory_equal(seg.samples, test_thumb_open,
                        sizeof(test_thumb_open));

    /* joined, the leading picture finds the key frame before */
    assert_int_equal(vod_thumb_pick(&seg, 35, 0, &pick), VOD_OK);
    assert_int_equal(pick.target, 3);
    assert_int_equal(pick.key, 0);
    assert_int_equal(pick.lead, 0);

    /* segments that do not meet: refused, the segment unchanged */
    seg.index = 5;
    seg.start_dts = 30;
    seg.count = 3;
    seg.samples = &test_thumb_open[2];

    assert_int_equal(vod_thumb_join(&env, &prev, &seg), VOD_BAD_DATA);
    assert_int_equal(seg.count, 3);
    assert_int_equal(seg.start_dts, 30);

    /* no memory */
    seg.start_dts = 20;
    env.alloc = test_thumb_no_alloc;

    assert_int_equal(vod_thumb_join(&env, &prev, &seg), VOD_ERROR);
    assert_int_equal(seg.count, 3);
}


/* a 300-tick track of three segments starting at 0, 100 and 200 */

static void
test_thumb_three_segments(vod_track_info_t *info)
{
    static uint64_t  times[] = { 0, 100, 200, 300 };

    memset(info, 0, sizeof(vod_track_info_t));
    info->duration = 300;
    info->segment_count = 3;
    info->seg_time = times;
}


static void
test_thumb_segment(void **state)
{
    uint32_t          seg;
    vod_track_info_t  info;

    test_thumb_three_segments(&info);

    assert_int_equal(vod_thumb_segment(&info, 0, &seg), VOD_OK);
    assert_int_equal(seg, 0);
    assert_int_equal(vod_thumb_segment(&info, 99, &seg), VOD_OK);
    assert_int_equal(seg, 0);
    assert_int_equal(vod_thumb_segment(&info, 100, &seg), VOD_OK);
    assert_int_equal(seg, 1);
    assert_int_equal(vod_thumb_segment(&info, 299, &seg), VOD_OK);
    assert_int_equal(seg, 2);

    /* the end and past it */
    assert_int_equal(vod_thumb_segment(&info, 300, &seg), VOD_NOT_FOUND);
    assert_int_equal(vod_thumb_segment(&info, 1ULL << 40, &seg),
                     VOD_NOT_FOUND);

    /* B-frames presented before their decode time (pts_delay < 0): the
     * frame at 95 may be decoded at 105, in segment 1 */
    info.min_pts_delay = -10;
    assert_int_equal(vod_thumb_segment(&info, 95, &seg), VOD_OK);
    assert_int_equal(seg, 1);

    /* a track without an edit list presents its first frame late */
    info.min_pts_delay = 20;
    assert_int_equal(vod_thumb_segment(&info, 110, &seg), VOD_OK);
    assert_int_equal(seg, 0);
    assert_int_equal(vod_thumb_segment(&info, 10, &seg), VOD_OK);
    assert_int_equal(seg, 0);

    info.segment_count = 0;
    assert_int_equal(vod_thumb_segment(&info, 0, &seg), VOD_NOT_FOUND);
}


static void
test_thumb_ticks(void **state)
{
    /* exact: both ways the same */
    assert_int_equal(vod_thumb_ticks(1000, 30000, 0), 30000);
    assert_int_equal(vod_thumb_ticks(1000, 30000, 1), 30000);
    assert_int_equal(vod_thumb_ticks(1001, 24000, 1), 24024);

    /* 12288 ticks a second (ffmpeg's for 24 fps): 42 ms is 516.096 */
    assert_int_equal(vod_thumb_ticks(42, 12288, 0), 516);
    assert_int_equal(vod_thumb_ticks(42, 12288, 1), 517);

    /* a second and a part: the seconds exact, the part rounded */
    assert_int_equal(vod_thumb_ticks(5042, 12288, 0), 5 * 12288 + 516);
    assert_int_equal(vod_thumb_ticks(5042, 12288, 1), 5 * 12288 + 517);

    /* the largest ms a URL holds at the largest timescale: no wrap */
    assert_int_equal(vod_thumb_ticks(0xffffffff, 0xffffffff, 0),
                     (uint64_t) 4294967 * 0xffffffff
                     + (uint64_t) 295 * 0xffffffff / 1000);
}


static void
test_thumb_first_after(void **state)
{
    uint32_t       t;
    uint64_t       pts;
    vod_segment_t  seg;

    memset(&seg, 0, sizeof(seg));
    seg.start_dts = 100;
    seg.count = 7;
    seg.samples = test_thumb_gop;

    /* on a frame's time: that frame's */
    for (t = 0; t < 7; t++) {
        assert_int_equal(vod_thumb_first_after(&seg, 100 + t, &pts), VOD_OK);
        assert_int_equal(pts, 100 + t);
    }

    /* before the first presented: the first; past the last: none (a
     * B-frame decoded last is not the last presented) */
    assert_int_equal(vod_thumb_first_after(&seg, 0, &pts), VOD_OK);
    assert_int_equal(pts, 100);
    assert_int_equal(vod_thumb_first_after(&seg, 107, &pts), VOD_NOT_FOUND);

    /* between frames, at 10 ticks a frame: the next one presented, a
     * B-frame decoded after the P-frame presented later */
    seg.start_dts = 0;
    seg.samples = test_thumb_open;
    seg.count = 5;

    assert_int_equal(vod_thumb_first_after(&seg, 11, &pts), VOD_OK);
    assert_int_equal(pts, 30);
    assert_int_equal(vod_thumb_first_after(&seg, 31, &pts), VOD_OK);
    assert_int_equal(pts, 40);
    assert_int_equal(vod_thumb_first_after(&seg, 51, &pts), VOD_NOT_FOUND);
}


static void
test_thumb_next_may_hold(void **state)
{
    vod_segment_t     seg;
    vod_track_info_t  info;

    test_thumb_three_segments(&info);

    /* segment 0 decodes 0..96 (its key frames presented from 0 and 100) */
    memset(&seg, 0, sizeof(seg));
    seg.start_dts = 0;
    seg.duration = 96;

    /* no B-frames: segment 1's frames are presented from 96 on */
    assert_int_equal(vod_thumb_next_may_hold(&info, 0, &seg, 95), 0);
    assert_int_equal(vod_thumb_next_may_hold(&info, 0, &seg, 96), 1);

    /* B-frames shifted 8 earlier by an edit list: a leading picture
     * decoded at 96 is presented at 88 */
    info.min_pts_delay = -8;
    assert_int_equal(vod_thumb_next_may_hold(&info, 0, &seg, 87), 0);
    assert_int_equal(vod_thumb_next_may_hold(&info, 0, &seg, 88), 1);

    /* presented late (no edit list): not before 104 */
    info.min_pts_delay = 8;
    assert_int_equal(vod_thumb_next_may_hold(&info, 0, &seg, 103), 0);
    assert_int_equal(vod_thumb_next_may_hold(&info, 0, &seg, 104), 1);

    /* the last segment has none after it */
    seg.start_dts = 192;
    info.min_pts_delay = -8;
    assert_int_equal(vod_thumb_next_may_hold(&info, 2, &seg, 299), 0);
}


static void
test_thumb_size(void **state)
{
    uint32_t  w, h;

    /* the source's own */
    assert_int_equal(vod_thumb_size(1920, 1080, 0, 0, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1080);

    /* a width, aspect kept, even */
    assert_int_equal(vod_thumb_size(1920, 1080, 320, 0, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(w, 320);
    assert_int_equal(h, 180);

    assert_int_equal(vod_thumb_size(1920, 1080, 100, 0, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(w, 100);
    assert_int_equal(h, 56);

    /* a height */
    assert_int_equal(vod_thumb_size(640, 360, 0, 90, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(w, 160);
    assert_int_equal(h, 90 & ~1);

    /* both: fits within the box */
    assert_int_equal(vod_thumb_size(1920, 1080, 320, 320, 1920, 1920, &w,
                                    &h),
                     VOD_OK);
    assert_int_equal(w, 320);
    assert_int_equal(h, 180);

    assert_int_equal(vod_thumb_size(1920, 1080, 1000, 90, 1920, 1920, &w,
                                    &h),
                     VOD_OK);
    assert_int_equal(w, 160);
    assert_int_equal(h, 90 & ~1);

    /* a source over the maxima is scaled down to fit */
    assert_int_equal(vod_thumb_size(3840, 2160, 0, 0, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(w, 1920);
    assert_int_equal(h, 1080);

    /* a size asked over the maxima, or one an extreme aspect makes */
    assert_int_equal(vod_thumb_size(1920, 1080, 1921, 0, 1920, 1920, &w,
                                    &h),
                     VOD_BAD_REQUEST);
    assert_int_equal(vod_thumb_size(1920, 1080, 0, 4000000000U, 1920, 1920,
                                    &w, &h),
                     VOD_BAD_REQUEST);
    assert_int_equal(vod_thumb_size(16, 1080, 0, 1920, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(vod_thumb_size(16000, 90, 0, 1000, 1920, 1920, &w, &h),
                     VOD_BAD_REQUEST);

    /* tiny: at least 2 x 2 */
    assert_int_equal(vod_thumb_size(1920, 1080, 1, 0, 1920, 1920, &w, &h),
                     VOD_OK);
    assert_int_equal(w, 2);
    assert_int_equal(h, 2);

    assert_int_equal(vod_thumb_size(0, 1080, 1, 0, 1920, 1920, &w, &h),
                     VOD_BAD_DATA);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_thumb_pick_bframes),
        cmocka_unit_test(test_thumb_pick_edges),
        cmocka_unit_test(test_thumb_pick_open_gop),
        cmocka_unit_test(test_thumb_join),
        cmocka_unit_test(test_thumb_segment),
        cmocka_unit_test(test_thumb_next_may_hold),
        cmocka_unit_test(test_thumb_first_after),
        cmocka_unit_test(test_thumb_ticks),
        cmocka_unit_test(test_thumb_size),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
