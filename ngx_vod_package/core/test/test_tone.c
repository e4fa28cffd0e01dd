/*
 * test_tone.c: HDR frames made SDR pictures (vod_tone.h): SDR transfers
 * are left alone; a grey ramp of PQ and of HLG gives the values FFmpeg's
 * recipe gives (zscale, tonemap=hable:desat=0, zscale; its 8-bit output
 * below, measured with FFmpeg 5.1 and zimg 3.0); white stays white
 * through each gamut; the signal's peak moves the curve; video levels for
 * a WebP; each chroma layout writes exactly its picture's samples, its
 * chroma the mean of its luma samples' colours; and the SIMD path (four
 * pixels at a time) gives the scalar path's values, byte for byte.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_tone.h"


#define TEST_PQ    16
#define TEST_HLG   18
#define TEST_2020  9

/* the ramp's 10-bit limited-range luma codes 64 + 100 k, k 1 to 8 */
#define TEST_STEPS  8


/* the recipe's Y' (video levels) for the ramp (chroma 512), from
 *   ffmpeg -f rawvideo -pix_fmt yuv444p10le -s 877x1 -i ramp -vf
 *   setparams=color_trc=T:colorspace=bt2020nc:color_primaries=bt2020:
 *   range=tv,zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,
 *   tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv444p */
static const int  test_pq_ramp[TEST_STEPS] = {
    32, 54, 86, 129, 177, 218, 243, 255
};
static const int  test_hlg_ramp[TEST_STEPS] = {
    42, 67, 92, 115, 137, 165, 194, 220
};


static void test_tone_sdr(void **state);
static void test_tone_ramps(void **state);
static void test_tone_white(void **state);
static void test_tone_peak(void **state);
static void test_tone_video_levels(void **state);
static void test_tone_layouts(void **state);
static void test_tone_simd_scalar(void **state);
static void test_grey(const vod_tone_t *t, uint32_t code, u_char out[3]);


static void
test_tone_sdr(void **state)
{
    size_t       i;
    vod_tone_t  *t;
    uint32_t     sdr[] = { 0, 1, 2, 6, 8, 13, 14, 15, 17, 255 };

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    assert_non_null(t);

    for (i = 0; i < sizeof(sdr) / sizeof(sdr[0]); i++) {
        assert_int_equal(vod_tone_init(t, sdr[i], TEST_2020, TEST_2020, 0,
                                       1, 0),
                         VOD_NOT_FOUND);
    }

    assert_int_equal(vod_tone_init(t, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   0),
                     VOD_OK);
    assert_int_equal(vod_tone_init(t, TEST_HLG, TEST_2020, TEST_2020, 0, 1,
                                   0),
                     VOD_OK);

    free(t);
}


/* the ramp's greys, as a JPEG's full-range Y', within a level of the
 * recipe's (its video levels made full range; over 255 clipped as a
 * picture is) */

static void
test_tone_ramps(void **state)
{
    int          want, k, pass;
    u_char       out[3];
    vod_tone_t  *t;

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    assert_non_null(t);

    for (pass = 0; pass < 2; pass++) {
        assert_int_equal(vod_tone_init(t, pass ? TEST_HLG : TEST_PQ,
                                       TEST_2020, TEST_2020, 0, 1, 0),
                         VOD_OK);

        for (k = 0; k < TEST_STEPS; k++) {
            want = pass ? test_hlg_ramp[k] : test_pq_ramp[k];
            want = ((want - 16) * 255 + 109) / 219;
            want = (want > 255) ? 255 : want;

            test_grey(t, 64 + 100 * (k + 1), out);

            assert_in_range(out[0], want > 0 ? want - 1 : 0, want + 1);

            /* a grey has no colour */
            assert_in_range(out[1], 127, 129);
            assert_in_range(out[2], 127, 129);
        }
    }

    free(t);
}


/* BT.2020's, P3's and BT.709's white is BT.709's: each row of the
 * matrix adds up to 1; BT.709 to itself is the identity */

static void
test_tone_white(void **state)
{
    int          i, j, p;
    float        sum;
    vod_tone_t  *t;
    uint32_t     primaries[] = { 9, 12, 1, 2 };

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    assert_non_null(t);

    for (p = 0; p < 4; p++) {
        assert_int_equal(vod_tone_init(t, TEST_PQ, primaries[p], TEST_2020,
                                       0, 1, 0),
                         VOD_OK);

        for (i = 0; i < 3; i++) {
            sum = 0.0f;

            for (j = 0; j < 3; j++) {
                sum += t->gamut[i][j];

                if (primaries[p] == 1) {
                    assert_true(t->gamut[i][j] > (i == j ? 0.9999f : -1e-4f)
                                && t->gamut[i][j]
                                   < (i == j ? 1.0001f : 1e-4f));
                }
            }

            assert_true(sum > 0.9999f && sum < 1.0001f);
        }
    }

    /* BT.2020's red is redder than BT.709's: out of its gamut */
    assert_int_equal(vod_tone_init(t, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   0),
                     VOD_OK);
    assert_true(t->gamut[0][0] > 1.6f && t->gamut[0][0] < 1.7f);
    assert_true(t->gamut[1][0] < 0.0f && t->gamut[2][0] < 0.0f);

    free(t);
}


/* a lower peak (MaxCLL 400 cd/m2, not 1000) brightens every grey */

static void
test_tone_peak(void **state)
{
    int          k;
    u_char       a[3], b[3];
    vod_tone_t  *t, *u;

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    u = malloc(sizeof(vod_tone_t));
    assert_non_null(t);
    assert_non_null(u);

    assert_int_equal(vod_tone_init(t, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   0),
                     VOD_OK);
    assert_int_equal(vod_tone_init(u, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   400.0),
                     VOD_OK);

    for (k = 1; k < 5; k++) {
        test_grey(t, 64 + 100 * k, a);
        test_grey(u, 64 + 100 * k, b);
        assert_true(b[0] > a[0] + 2);
    }

    /* absurd peaks a stream may say (0.001 cd/m2, 1e12) are taken as 10
     * and 10000 cd/m2: greys still grow with the signal */
    assert_int_equal(vod_tone_init(t, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   0.001),
                     VOD_OK);
    assert_int_equal(vod_tone_init(u, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   1e12),
                     VOD_OK);

    for (k = 1; k < 8; k++) {
        test_grey(t, 64 + 100 * k, a);
        test_grey(t, 64 + 100 * (k + 1), b);
        assert_true(b[0] >= a[0]);

        test_grey(u, 64 + 100 * k, a);
        test_grey(u, 64 + 100 * (k + 1), b);
        assert_true(b[0] > a[0]);
    }

    free(u);
    free(t);
}


/* a WebP's picture is on video levels: black 16, the brightest 235 */

static void
test_tone_video_levels(void **state)
{
    u_char       out[3];
    vod_tone_t  *t;

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    assert_non_null(t);

    assert_int_equal(vod_tone_init(t, TEST_HLG, TEST_2020, TEST_2020, 0, 0,
                                   0),
                     VOD_OK);

    test_grey(t, 64, out);
    assert_int_equal(out[0], 16);

    test_grey(t, 940, out);
    assert_in_range(out[0], 225, 235);

    test_grey(t, 500, out);
    assert_in_range(out[0], 17, 234);

    free(t);
}


/* each layout, at odd sizes: every sample of the picture written, none
 * past it (rows padded with a marker), a chroma sample the mean of its
 * luma samples' colours (a block of one colour: that colour's) */

static void
test_tone_layouts(void **state)
{
    int          l;
    size_t       x, y, w, h, cw, ch, i, pitch[3], spitch[3];
    u_char      *dst[3], one[3];
    uint16_t    *src[3];
    uint32_t     cx, cy;
    vod_tone_t  *t;

    static const uint32_t  layouts[3][2] = { { 1, 1 }, { 1, 0 }, { 0, 0 } };

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    assert_non_null(t);

    assert_int_equal(vod_tone_init(t, TEST_PQ, TEST_2020, TEST_2020, 0, 1,
                                   0),
                     VOD_OK);

    /* one colour, a pixel's worth */
    {
        uint16_t   py = 400 << 6, pb = 600 << 6, pr = 450 << 6;
        uint16_t  *ps[3] = { &py, &pb, &pr };
        u_char    *pd[3] = { &one[0], &one[1], &one[2] };
        size_t     pp[3] = { 1, 1, 1 };

        vod_tone_apply(t, ps, pp, 1, 1, 0, 0, pd, pp);
    }

    for (l = 0; l < 3; l++) {
        cx = layouts[l][0];
        cy = layouts[l][1];

        for (w = 1; w <= 7; w += 3) {
            for (h = 1; h <= 5; h += 2) {
                cw = (w + (1u << cx) - 1) >> cx;
                ch = (h + (1u << cy) - 1) >> cy;

                for (i = 0; i < 3; i++) {
                    spitch[i] = w + 3;
                    src[i] = malloc(spitch[i] * h * sizeof(uint16_t));
                    assert_non_null(src[i]);

                    pitch[i] = (i == 0 ? w : cw) + 4;
                    dst[i] = malloc(pitch[i] * (i == 0 ? h : ch));
                    assert_non_null(dst[i]);
                    memset(dst[i], 0xa5, pitch[i] * (i == 0 ? h : ch));

                    for (x = 0; x < spitch[i] * h; x++) {
                        src[i][x] = (i == 0) ? 400 << 6
                                    : (i == 1) ? 600 << 6 : 450 << 6;
                    }
                }

                vod_tone_apply(t, src, spitch, w, h, cx, cy, dst, pitch);

                for (y = 0; y < h; y++) {
                    for (x = 0; x < pitch[0]; x++) {
                        if (x < w) {
                            assert_int_equal(dst[0][y * pitch[0] + x],
                                             one[0]);
                        } else {
                            assert_int_equal(dst[0][y * pitch[0] + x],
                                             0xa5);
                        }
                    }
                }

                for (i = 1; i < 3; i++) {
                    for (y = 0; y < ch; y++) {
                        for (x = 0; x < pitch[i]; x++) {
                            if (x < cw) {
                                assert_in_range(dst[i][y * pitch[i] + x],
                                                one[i] - 1, one[i] + 1);
                            } else {
                                assert_int_equal(dst[i][y * pitch[i] + x],
                                                 0xa5);
                            }
                        }
                    }
                }

                for (i = 0; i < 3; i++) {
                    free(src[i]);
                    free(dst[i]);
                }
            }
        }
    }

    /* two colours side by side in one 4:2:2 chroma sample (colours
     * BT.709 has, whose chroma no picture clips): its chroma is the mean
     * of theirs */
    {
        uint16_t   sy[2] = { 450 << 6, 550 << 6 };
        uint16_t   sb[2] = { 560 << 6, 470 << 6 };
        uint16_t   sr[2] = { 480 << 6, 540 << 6 };
        uint16_t  *ps[3] = { sy, sb, sr };
        u_char     oy[2], ob[1], orr[1], a[3], b[3];
        u_char    *pd[3] = { oy, ob, orr };
        size_t     sp[3] = { 2, 2, 2 }, dp[3] = { 2, 1, 1 };
        uint16_t  *qa[3] = { &sy[0], &sb[0], &sr[0] };
        uint16_t  *qb[3] = { &sy[1], &sb[1], &sr[1] };
        u_char    *da[3] = { &a[0], &a[1], &a[2] };
        u_char    *db[3] = { &b[0], &b[1], &b[2] };
        size_t     one_pitch[3] = { 1, 1, 1 };

        vod_tone_apply(t, ps, sp, 2, 1, 1, 0, pd, dp);
        vod_tone_apply(t, qa, one_pitch, 1, 1, 0, 0, da, one_pitch);
        vod_tone_apply(t, qb, one_pitch, 1, 1, 0, 0, db, one_pitch);

        assert_int_equal(oy[0], a[0]);
        assert_int_equal(oy[1], b[0]);
        assert_in_range(ob[0], (a[1] + b[1]) / 2 - 1, (a[1] + b[1]) / 2 + 1);
        assert_in_range(orr[0], (a[2] + b[2]) / 2 - 1,
                        (a[2] + b[2]) / 2 + 1);
    }

    free(t);
}


/* random colours (and the ends of the range), a row of them against each
 * alone: a one-pixel picture takes the scalar path */

static void
test_tone_simd_scalar(void **state)
{
    int          pass, full;
    size_t       x, w, pitch[3], one[3] = { 1, 1, 1 };
    u_char       row[3][67], px[3], *dst[3], *pd[3];
    uint16_t     src[3][67], *ps[3], *pp[3];
    vod_tone_t  *t;

    (void) state;

    t = malloc(sizeof(vod_tone_t));
    assert_non_null(t);

    srand(7);

    for (pass = 0; pass < 4; pass++) {
        full = pass & 1;

        assert_int_equal(vod_tone_init(t, (pass & 2) ? TEST_HLG : TEST_PQ,
                                       TEST_2020, TEST_2020, 0, full,
                                       (pass & 2) ? 0 : 600.0),
                         VOD_OK);

        for (w = 1; w <= 67; w += 11) {
            for (x = 0; x < w; x++) {
                src[0][x] = (x == 0) ? 0 : (x == 1) ? 65535
                            : (uint16_t) (rand() & 0xffff);
                src[1][x] = (x == 2) ? 0 : (uint16_t) (rand() & 0xffff);
                src[2][x] = (x == 2) ? 65535 : (uint16_t) (rand() & 0xffff);
            }

            ps[0] = src[0];
            ps[1] = src[1];
            ps[2] = src[2];
            dst[0] = row[0];
            dst[1] = row[1];
            dst[2] = row[2];
            pitch[0] = pitch[1] = pitch[2] = w;

            vod_tone_apply(t, ps, pitch, w, 1, 0, 0, dst, pitch);

            for (x = 0; x < w; x++) {
                pp[0] = &src[0][x];
                pp[1] = &src[1][x];
                pp[2] = &src[2][x];
                pd[0] = &px[0];
                pd[1] = &px[1];
                pd[2] = &px[2];

                vod_tone_apply(t, pp, one, 1, 1, 0, 0, pd, one);

                assert_int_equal(row[0][x], px[0]);
                assert_int_equal(row[1][x], px[1]);
                assert_int_equal(row[2][x], px[2]);
            }
        }
    }

    free(t);
}


/* a grey of a 10-bit code (chroma 512), through a one-pixel picture */

static void
test_grey(const vod_tone_t *t, uint32_t code, u_char out[3])
{
    u_char    *dst[3];
    size_t     pitch[3] = { 1, 1, 1 };
    uint16_t   y, c, *src[3];

    y = (uint16_t) (code << 6);
    c = 512 << 6;

    src[0] = &y;
    src[1] = &c;
    src[2] = &c;

    dst[0] = &out[0];
    dst[1] = &out[1];
    dst[2] = &out[2];

    vod_tone_apply(t, src, pitch, 1, 1, 0, 0, dst, pitch);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_tone_sdr),
        cmocka_unit_test(test_tone_ramps),
        cmocka_unit_test(test_tone_white),
        cmocka_unit_test(test_tone_peak),
        cmocka_unit_test(test_tone_video_levels),
        cmocka_unit_test(test_tone_layouts),
        cmocka_unit_test(test_tone_simd_scalar),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
