/*
 * test_levels.c: limited to full range (vod_levels.h): the scalar
 * formulas at the levels' ends, and the row expansion (SSE2 on x86-64)
 * giving the scalar value for every input, at every position of a
 * vector and in the tail after the last whole one, in place too.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_levels.h"


static void test_levels_scalar(void **state);
static void test_levels_rows(void **state);
static void test_levels_in_place(void **state);


static void
test_levels_scalar(void **state)
{
    int                  i;
    /* an input, its luma, its chroma: the levels' ends, black, the
     * middle, white */
    static const u_char  ends[][3] = {
        { 0, 0, 0 }, { 16, 0, 0 }, { 17, 1, 2 }, { 126, 128, 126 },
        { 127, 129, 127 }, { 128, 130, 128 }, { 129, 132, 129 },
        { 235, 255, 250 }, { 240, 255, 255 }, { 255, 255, 255 }
    };

    (void) state;

    for (i = 0; i < (int) (sizeof(ends) / sizeof(ends[0])); i++) {
        assert_int_equal(vod_levels_luma(ends[i][0]), ends[i][1]);
        assert_int_equal(vod_levels_chroma(ends[i][0]), ends[i][2]);
    }

    /* both keep the order of their inputs */
    for (i = 1; i < 256; i++) {
        assert_true(vod_levels_luma(i) >= vod_levels_luma(i - 1));
        assert_true(vod_levels_chroma(i) >= vod_levels_chroma(i - 1));
    }

    /* chroma is symmetric about 128 within its levels: -x maps to -f(x)
     * (240 would be 256, clipped to 255; 16 is 0) */
    for (i = 1; i < 112; i++) {
        assert_int_equal(vod_levels_chroma(128 + i) - 128,
                         128 - vod_levels_chroma(128 - i));
    }
}


static void
test_levels_rows(void **state)
{
    int     chroma;
    size_t  n, off, i;
    u_char  src[300], dst[300];

    (void) state;

    for (chroma = 0; chroma < 2; chroma++) {
        for (off = 0; off < 16; off++) {
            /* 256 values shifted by off: each value in every lane */
            for (i = 0; i < 256; i++) {
                src[i] = (u_char) (i + off);
            }

            vod_levels_expand(dst, src, 256, chroma);

            for (i = 0; i < 256; i++) {
                assert_int_equal(dst[i], chroma
                                 ? vod_levels_chroma(src[i])
                                 : vod_levels_luma(src[i]));
            }
        }

        /* every length up to three vectors and a tail; nothing written
         * past n */
        for (n = 0; n <= 49; n++) {
            for (i = 0; i < n; i++) {
                src[i] = (u_char) (i * 37 + 5);
            }

            memset(dst, 0xa5, sizeof(dst));
            vod_levels_expand(dst, src, n, chroma);

            for (i = 0; i < n; i++) {
                assert_int_equal(dst[i], chroma
                                 ? vod_levels_chroma(src[i])
                                 : vod_levels_luma(src[i]));
            }

            for (i = n; i < sizeof(dst); i++) {
                assert_int_equal(dst[i], 0xa5);
            }
        }
    }
}


static void
test_levels_in_place(void **state)
{
    size_t  i;
    u_char  buf[37];

    (void) state;

    for (i = 0; i < sizeof(buf); i++) {
        buf[i] = (u_char) (i * 7);
    }

    vod_levels_expand(buf, buf, sizeof(buf), 0);

    for (i = 0; i < sizeof(buf); i++) {
        assert_int_equal(buf[i], vod_levels_luma((u_char) (i * 7)));
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_levels_scalar),
        cmocka_unit_test(test_levels_rows),
        cmocka_unit_test(test_levels_in_place),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
