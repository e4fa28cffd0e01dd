/*
 * test_orient.c: a video's orientation from its tkhd matrix
 * (vod_orient.h): the matrices phones and FFmpeg write, every one of the
 * eight through the matrix we write and back, the matrices that are not
 * an orientation; and each plane turned where the matrix puts each
 * sample, at odd sizes, nothing written past the picture.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_orient.h"


#define ONE  0x00010000


static void test_orient_known(void **state);
static void test_orient_not(void **state);
static void test_orient_round_trip(void **state);
static void test_orient_size(void **state);
static void test_orient_plane(void **state);
static void test_matrix(u_char *m, int32_t a, int32_t b, int32_t c,
    int32_t d, int32_t x, int32_t y);


static void
test_matrix(u_char *m, int32_t a, int32_t b, int32_t c, int32_t d,
    int32_t x, int32_t y)
{
    u_char  *p;

    p = m;
    vod_w32(p, a);
    vod_w32(p, b);
    vod_w32(p, 0);
    vod_w32(p, c);
    vod_w32(p, d);
    vod_w32(p, 0);
    vod_w32(p, x);
    vod_w32(p, y);
    vod_w32(p, 0x40000000);
}


/* the matrices real files carry */

static void
test_orient_known(void **state)
{
    u_char  m[VOD_ORIENT_MATRIX_LEN];

    (void) state;

    /* identity */
    test_matrix(m, ONE, 0, 0, ONE, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), 0);

    /* a phone held upright: a quarter clockwise, moved back by the
     * stored height (1080 << 16) */
    test_matrix(m, 0, ONE, -ONE, 0, 1080 << 16, 0);
    assert_int_equal(vod_orient_from_matrix(m),
                     VOD_ORIENT_TRANSPOSE | VOD_ORIENT_FLIP_X);
    assert_string_equal(vod_orient_name(vod_orient_from_matrix(m)),
                        "a quarter turn clockwise");

    /* FFmpeg 5.1's -metadata rotate=90: no translation, a quarter
     * counter-clockwise (its frame is transpose=cclock's) */
    test_matrix(m, 0, -ONE, ONE, 0, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m),
                     VOD_ORIENT_TRANSPOSE | VOD_ORIENT_FLIP_Y);
    assert_string_equal(vod_orient_name(vod_orient_from_matrix(m)),
                        "a quarter turn counter-clockwise");

    /* upside down */
    test_matrix(m, -ONE, 0, 0, -ONE, 1920 << 16, 1080 << 16);
    assert_int_equal(vod_orient_from_matrix(m),
                     VOD_ORIENT_FLIP_X | VOD_ORIENT_FLIP_Y);
    assert_string_equal(vod_orient_name(vod_orient_from_matrix(m)),
                        "a half turn");

    /* a mirror (a selfie camera's) */
    test_matrix(m, -ONE, 0, 0, ONE, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), VOD_ORIENT_FLIP_X);
    assert_string_equal(vod_orient_name(VOD_ORIENT_FLIP_X),
                        "mirrored left to right");
    assert_string_equal(vod_orient_name(0), "as stored");

    /* transposed alone */
    test_matrix(m, 0, ONE, ONE, 0, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), VOD_ORIENT_TRANSPOSE);
}


/* what is no orientation is shown as stored */

static void
test_orient_not(void **state)
{
    u_char  m[VOD_ORIENT_MATRIX_LEN];

    (void) state;

    /* nothing at all */
    memset(m, 0, sizeof(m));
    assert_int_equal(vod_orient_from_matrix(m), 0);

    /* 45 degrees */
    test_matrix(m, 46341, 46341, -46341, 46341, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), 0);

    /* twice as wide; a quarter turn that also scales */
    test_matrix(m, 2 * ONE, 0, 0, ONE, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), 0);
    test_matrix(m, 0, 2 * ONE, -ONE, 0, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), 0);

    /* a shear */
    test_matrix(m, ONE, ONE, 0, ONE, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), 0);

    /* singular: both axes onto one */
    test_matrix(m, 0, ONE, 0, ONE, 0, 0);
    assert_int_equal(vod_orient_from_matrix(m), 0);

    /* a projection (u) */
    test_matrix(m, 0, ONE, -ONE, 0, 0, 0);
    m[8] = 0x01;
    assert_int_equal(vod_orient_from_matrix(m), 0);
}


/* each orientation's matrix reads back as itself; its translation keeps
 * the shown picture's corner at (0, 0) */

static void
test_orient_round_trip(void **state)
{
    u_char    m[VOD_ORIENT_MATRIX_LEN], *p;
    int64_t   a, b, c, d, x, y, min_x, min_y, px, py;
    uint32_t  o, w, h, i;

    (void) state;

    w = 640;
    h = 360;

    for (o = 0; o < 8; o++) {
        p = vod_orient_write_matrix(m, o, w, h);
        assert_ptr_equal(p, m + VOD_ORIENT_MATRIX_LEN);
        assert_int_equal(vod_orient_from_matrix(m), o);
        assert_int_equal(vod_r32(m + 32), 0x40000000);

        a = (int32_t) vod_r32(m) / ONE;
        b = (int32_t) vod_r32(m + 4) / ONE;
        c = (int32_t) vod_r32(m + 12) / ONE;
        d = (int32_t) vod_r32(m + 16) / ONE;
        x = vod_r32(m + 24) >> 16;
        y = vod_r32(m + 28) >> 16;

        /* the stored picture's four corners, shown */
        min_x = INT64_MAX;
        min_y = INT64_MAX;

        for (i = 0; i < 4; i++) {
            px = a * ((i & 1) ? w : 0) + c * ((i & 2) ? h : 0) + x;
            py = b * ((i & 1) ? w : 0) + d * ((i & 2) ? h : 0) + y;
            min_x = px < min_x ? px : min_x;
            min_y = py < min_y ? py : min_y;
        }

        assert_int_equal(min_x, 0);
        assert_int_equal(min_y, 0);
    }
}


static void
test_orient_size(void **state)
{
    uint32_t  o, w, h;

    (void) state;

    for (o = 0; o < 8; o++) {
        w = 640;
        h = 360;
        vod_orient_size(o, &w, &h);
        assert_int_equal(w, (o & VOD_ORIENT_TRANSPOSE) ? 360 : 640);
        assert_int_equal(h, (o & VOD_ORIENT_TRANSPOSE) ? 640 : 360);
    }
}


/*
 * Every sample lands where the orientation's matrix shows its centre:
 * (p + 1/2, q + 1/2) taken through the matrix falls in the sample
 * (X, Y) of the turned plane.  Odd and even sizes, under and over a
 * block; the bytes around the picture in dst stay as they were.
 */

static void
test_orient_plane(void **state)
{
    u_char    m[VOD_ORIENT_MATRIX_LEN], *src, *dst;
    size_t    sp, dp, rows, n;
    int64_t   a, b, c, d, x, y, sx, sy;
    uint32_t  o, w, h, p, q, ow, oh, i;

    static const uint32_t  sizes[][2] = {
        { 1, 1 }, { 3, 5 }, { 16, 16 }, { 17, 9 }, { 40, 33 }, { 7, 64 }
    };

    (void) state;

    for (i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
        w = sizes[i][0];
        h = sizes[i][1];
        sp = w + 3;

        src = malloc(sp * h);
        assert_non_null(src);

        for (n = 0; n < sp * h; n++) {
            src[n] = (u_char) (n * 7 + 1);
        }

        for (o = 0; o < 8; o++) {
            ow = w;
            oh = h;
            vod_orient_size(o, &ow, &oh);

            /* a margin of a row above and below, and 5 columns right */
            dp = ow + 5;
            rows = oh + 2;
            dst = malloc(dp * rows);
            assert_non_null(dst);
            memset(dst, 0xee, dp * rows);

            vod_orient_plane(o, src, sp, w, h, dst + dp, dp);

            vod_orient_write_matrix(m, o, w, h);
            a = (int32_t) vod_r32(m);
            b = (int32_t) vod_r32(m + 4);
            c = (int32_t) vod_r32(m + 12);
            d = (int32_t) vod_r32(m + 16);
            x = (int64_t) vod_r32(m + 24);
            y = (int64_t) vod_r32(m + 28);

            for (q = 0; q < h; q++) {
                for (p = 0; p < w; p++) {
                    /* in 16.16, times 2 for the half sample: a value
                     * of one is 2 * ONE */
                    sx = (a * (2 * p + 1) + c * (2 * q + 1)) / 2 + x;
                    sy = (b * (2 * p + 1) + d * (2 * q + 1)) / 2 + y;
                    assert_true(sx > 0 && sy > 0);

                    assert_int_equal(dst[dp * (1 + (sy >> 16))
                                         + (sx >> 16)],
                                     src[q * sp + p]);
                }
            }

            for (n = 0; n < dp; n++) {
                assert_int_equal(dst[n], 0xee);
                assert_int_equal(dst[dp * (rows - 1) + n], 0xee);
            }

            for (n = 1; n < rows - 1; n++) {
                assert_int_equal(dst[dp * n + ow], 0xee);
                assert_int_equal(dst[dp * n + ow + 4], 0xee);
            }

            free(dst);
        }

        free(src);
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_orient_known),
        cmocka_unit_test(test_orient_not),
        cmocka_unit_test(test_orient_round_trip),
        cmocka_unit_test(test_orient_size),
        cmocka_unit_test(test_orient_plane),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
