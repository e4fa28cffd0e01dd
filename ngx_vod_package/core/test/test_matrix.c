/*
 * test_matrix.c: YCbCr from a video's matrix to BT.601's (vod_matrix.h):
 * colours made from R'G'B' with each source matrix come back, through
 * BT.601, as the same R'G'B' within rounding (full range and video
 * levels); BT.601 and unknown matrices are left alone; and the SSE2 path
 * gives the scalar path's values at every width and height, nothing
 * written past the picture.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_matrix.h"


/* a matrix's luma weights (ITU-T H.273 table 4) */
typedef struct {
    uint32_t  matrix;
    double    kr;
    double    kb;
} test_weights_t;


static const test_weights_t  test_matrices[] = {
    { 1, 0.2126, 0.0722 },
    { 4, 0.30, 0.11 },
    { 7, 0.212, 0.087 },
    { 9, 0.2627, 0.0593 },
    { 10, 0.2627, 0.0593 },
};


static void test_matrix_identity(void **state);
static void test_matrix_colours(void **state);
static void test_matrix_simd_scalar(void **state);
static void test_matrix_layouts(void **state);
static u_char test_round(double v, int full, int chroma);
static void test_encode(const test_weights_t *w, int full, const int rgb[3],
    u_char ycc[3]);
static void test_decode601(int full, const u_char ycc[3], double rgb[3]);


static void
test_matrix_identity(void **state)
{
    size_t        i, pitch[3] = { 6, 3, 3 };
    u_char        y[24], cb[6], cr[6], ref[36], *plane[3];
    vod_matrix_t  m;
    uint32_t      none[] = { 0, 2, 5, 6, 8, 11, 14, 255, 65535 };

    (void) state;

    for (i = 0; i < sizeof(none) / sizeof(none[0]); i++) {
        vod_matrix_init(&m, none[i], 1);
        assert_true(m.identity);

        memset(y, 200, sizeof(y));
        memset(cb, 20, sizeof(cb));
        memset(cr, 230, sizeof(cr));
        memcpy(ref, y, 24);
        memcpy(ref + 24, cb, 6);
        memcpy(ref + 30, cr, 6);

        plane[0] = y;
        plane[1] = cb;
        plane[2] = cr;
        vod_matrix_apply(&m, plane, pitch, 6, 4, 1, 1);

        assert_memory_equal(ref, y, 24);
        assert_memory_equal(ref + 24, cb, 6);
        assert_memory_equal(ref + 30, cr, 6);
    }

    vod_matrix_init(&m, 1, 1);
    assert_false(m.identity);
}


/* R'G'B' corners, greys and mixes: each made with the source matrix into
 * a 2x2 block (one chroma sample), converted, and read back as BT.601
 * gives the R'G'B' it was made from, within 3 levels in full range and
 * 3.5 on video levels: BT.601's own round trip is off by up to 1.4 and
 * 1.6 (its rounding to codes), and the conversion rounds chroma once
 * more, a code being up to 1.8 levels of B */

static void
test_matrix_colours(void **state)
{
    int           full, r, g, b, c, rgb[3];
    size_t        i, k, pitch[3] = { 2, 1, 1 };
    u_char        ycc[3], y[4], cb, cr, *plane[3], back[3];
    double        out[3], d, tolerance;
    vod_matrix_t  m;

    (void) state;

    for (i = 0; i < sizeof(test_matrices) / sizeof(test_matrices[0]); i++) {
        for (full = 0; full < 2; full++) {
            vod_matrix_init(&m, test_matrices[i].matrix, full);
            assert_false(m.identity);

            tolerance = full ? 3.0 : 3.5;

            for (r = 0; r <= 255; r += 17) {
                for (g = 0; g <= 255; g += 17) {
                    for (b = 0; b <= 255; b += 17) {
                        rgb[0] = r;
                        rgb[1] = g;
                        rgb[2] = b;

                        test_encode(&test_matrices[i], full, rgb, ycc);

                        memset(y, ycc[0], sizeof(y));
                        cb = ycc[1];
                        cr = ycc[2];
                        plane[0] = y;
                        plane[1] = &cb;
                        plane[2] = &cr;

                        vod_matrix_apply(&m, plane, pitch, 2, 2, 1, 1);

                        /* the block's four luma samples alike */
                        for (k = 1; k < 4; k++) {
                            assert_int_equal(y[k], y[0]);
                        }

                        back[0] = y[0];
                        back[1] = cb;
                        back[2] = cr;
                        test_decode601(full, back, out);

                        for (c = 0; c < 3; c++) {
                            d = out[c] - rgb[c];
                            if (d < -tolerance || d > tolerance) {
                                fail_msg("matrix %u full %d rgb %d,%d,%d: "
                                         "channel %d came back %.2f",
                                         test_matrices[i].matrix, full,
                                         r, g, b, c, out[c]);
                            }
                        }
                    }
                }
            }
        }
    }
}


/* a picture converted whole (SSE2 where the compiler has it) equals the
 * same picture converted in strips too narrow for a vector (the scalar
 * path), at widths and heights odd and even; the lines' padding is
 * never written */

static void
test_matrix_simd_scalar(void **state)
{
    size_t        w, h, x, i, pitch[3], cw, ch, cx, cy;
    u_char       *a[3], *b[3], *strip[3];
    vod_matrix_t  m;

    (void) state;

    vod_matrix_init(&m, 1, 1);

    /* 4:2:0 and 4:2:2, the two the vectors take */
    for (cy = 0; cy < 2; cy++) {
        for (w = 1; w <= 70; w += (w < 20) ? 1 : 7) {
            for (h = 1; h <= 5; h++) {
                cw = (w + 1) / 2;
                ch = cy ? (h + 1) / 2 : h;
                pitch[0] = w + 16;
                pitch[1] = cw + 8;
                pitch[2] = cw + 8;

                for (i = 0; i < 3; i++) {
                    a[i] = malloc(pitch[i] * ((i == 0) ? h : ch));
                    b[i] = malloc(pitch[i] * ((i == 0) ? h : ch));
                    assert_non_null(a[i]);
                    assert_non_null(b[i]);

                    for (x = 0; x < pitch[i] * ((i == 0) ? h : ch); x++) {
                        a[i][x] = (u_char) (rand() & 0xff);
                    }

                    memcpy(b[i], a[i], pitch[i] * ((i == 0) ? h : ch));
                }

                vod_matrix_apply(&m, a, pitch, w, h, 1, cy);

                /* strips of 6 luma columns (3 chroma): no vector fits */
                for (cx = 0; cx < cw; cx += 3) {
                    strip[0] = b[0] + 2 * cx;
                    strip[1] = b[1] + cx;
                    strip[2] = b[2] + cx;
                    vod_matrix_apply(&m, strip, pitch,
                                     (w - 2 * cx < 6) ? w - 2 * cx : 6, h, 1,
                                     cy);
                }

                for (i = 0; i < 3; i++) {
                    assert_memory_equal(a[i], b[i],
                                        pitch[i] * ((i == 0) ? h : ch));
                    free(a[i]);
                    free(b[i]);
                }
            }
        }
    }
}


/* each layout's chroma sample moves the luma samples it covers, and only
 * them: 4:2:0's 2x2, 4:2:2's 2x1, 4:4:4's one; the rest of a chroma
 * plane's samples stay grey (no change to any luma) */

static void
test_matrix_layouts(void **state)
{
    size_t        i, x, y, pitch[3], cw, ch;
    u_char        luma[16], cb[16], cr[16], *plane[3];
    uint32_t      cx, cy;
    vod_matrix_t  m;

    static const uint32_t  layouts[][2] = { { 1, 1 }, { 1, 0 }, { 0, 0 } };

    (void) state;

    vod_matrix_init(&m, 1, 1);

    for (i = 0; i < sizeof(layouts) / sizeof(layouts[0]); i++) {
        cx = layouts[i][0];
        cy = layouts[i][1];
        cw = 4 >> cx;
        ch = 4 >> cy;

        /* a 4x4 picture: one saturated chroma sample, at (1, 1) */
        memset(luma, 100, sizeof(luma));
        memset(cb, 128, sizeof(cb));
        memset(cr, 128, sizeof(cr));
        cb[1 * cw + 1] = 40;
        cr[1 * cw + 1] = 220;

        pitch[0] = 4;
        pitch[1] = cw;
        pitch[2] = cw;
        plane[0] = luma;
        plane[1] = cb;
        plane[2] = cr;

        vod_matrix_apply(&m, plane, pitch, 4, 4, cx, cy);

        for (y = 0; y < 4; y++) {
            for (x = 0; x < 4; x++) {
                if ((x >> cx) == 1 && (y >> cy) == 1) {
                    assert_int_not_equal(luma[y * 4 + x], 100);
                    assert_int_equal(luma[y * 4 + x],
                                     luma[(1 << cy) * 4 + (1 << cx)]);

                } else {
                    assert_int_equal(luma[y * 4 + x], 100);
                }
            }
        }

        for (y = 0; y < ch; y++) {
            for (x = 0; x < cw; x++) {
                if (x != 1 || y != 1) {
                    assert_int_equal(cb[y * cw + x], 128);
                    assert_int_equal(cr[y * cw + x], 128);
                }
            }
        }
    }
}


static u_char
test_round(double v, int full, int chroma)
{
    double  s;

    /* v: luma 0..1 or chroma -0.5..0.5 */
    if (full) {
        s = chroma ? 128.0 + 255.0 * v : 255.0 * v;

    } else {
        s = chroma ? 128.0 + 224.0 * v : 16.0 + 219.0 * v;
    }

    s += 0.5;

    return (u_char) ((s < 0) ? 0 : (s > 255) ? 255 : (int) s);
}


static void
test_encode(const test_weights_t *w, int full, const int rgb[3],
    u_char ycc[3])
{
    double  r, g, b, y;

    r = rgb[0] / 255.0;
    g = rgb[1] / 255.0;
    b = rgb[2] / 255.0;

    y = w->kr * r + (1.0 - w->kr - w->kb) * g + w->kb * b;

    ycc[0] = test_round(y, full, 0);
    ycc[1] = test_round((b - y) / (2.0 * (1.0 - w->kb)), full, 1);
    ycc[2] = test_round((r - y) / (2.0 * (1.0 - w->kr)), full, 1);
}


static void
test_decode601(int full, const u_char ycc[3], double rgb[3])
{
    int     i;
    double  y, pb, pr;

    if (full) {
        y = ycc[0] / 255.0;
        pb = (ycc[1] - 128.0) / 255.0;
        pr = (ycc[2] - 128.0) / 255.0;

    } else {
        y = (ycc[0] - 16.0) / 219.0;
        pb = (ycc[1] - 128.0) / 224.0;
        pr = (ycc[2] - 128.0) / 224.0;
    }

    rgb[0] = 255.0 * (y + 2.0 * (1.0 - 0.299) * pr);
    rgb[2] = 255.0 * (y + 2.0 * (1.0 - 0.114) * pb);
    rgb[1] = 255.0 * (y - 0.299 * 2.0 * (1.0 - 0.299) * pr / 0.587
                      - 0.114 * 2.0 * (1.0 - 0.114) * pb / 0.587);

    /* clipped, as a decoder's RGB is */
    for (i = 0; i < 3; i++) {
        rgb[i] = (rgb[i] < 0) ? 0 : (rgb[i] > 255) ? 255 : rgb[i];
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_matrix_identity),
        cmocka_unit_test(test_matrix_colours),
        cmocka_unit_test(test_matrix_simd_scalar),
        cmocka_unit_test(test_matrix_layouts),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
