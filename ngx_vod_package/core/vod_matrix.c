/*
 * vod_matrix.c: YCbCr from a video's matrix to BT.601's (vod_matrix.h).
 *
 * With Kr and Kb the source's luma weights, a sample's R'G'B' is
 *
 *     R = Y + 2 (1 - Kr) Pr,  B = Y + 2 (1 - Kb) Pb,
 *     G = Y - (2 Kb (1 - Kb) Pb + 2 Kr (1 - Kr) Pr) / Kg
 *
 * (ITU-T H.273 8.3), and BT.601's Y' = Kr' R + Kg' G + Kb' B is Y plus a
 * sum of Pb and Pr (the weights add up to 1), Pb' = (B - Y') / (2 (1 -
 * Kb')) and Pr' = (R - Y') / (2 (1 - Kr')) sums of Pb and Pr alone.
 */

#include "vod_matrix.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define VOD_MATRIX_ONE  (1 << 14)


static int32_t vod_matrix_q14(double v);
static size_t vod_matrix_simd(const vod_matrix_t *m, u_char *luma[2],
    size_t rows, u_char *pb, u_char *pr, size_t cw, size_t width);
static u_char vod_matrix_clip(int32_t v);


void
vod_matrix_init(vod_matrix_t *m, uint32_t matrix, int full)
{
    double  kr, kb, kg, dr, db, dg, ycb, ycr, luma;

    /* BT.601's weights */
    dr = 0.299;
    db = 0.114;
    dg = 1.0 - dr - db;

    if (vod_matrix_weights(matrix, &kr, &kb) != VOD_OK) {
        memset(m, 0, sizeof(vod_matrix_t));
        m->identity = 1;
        return;
    }

    kg = 1.0 - kr - kb;

    ycb = 2.0 * db * (1.0 - kb) - dg * 2.0 * kb * (1.0 - kb) / kg;
    ycr = 2.0 * dr * (1.0 - kr) - dg * 2.0 * kr * (1.0 - kr) / kg;

    /* on video levels chroma spans 224 levels and luma 219 */
    luma = full ? 1.0 : 219.0 / 224.0;

    m->y_cb = vod_matrix_q14(ycb * luma);
    m->y_cr = vod_matrix_q14(ycr * luma);
    m->cb_cb = vod_matrix_q14((2.0 * (1.0 - kb) - ycb) / (2.0 * (1.0 - db)));
    m->cb_cr = vod_matrix_q14(-ycr / (2.0 * (1.0 - db)));
    m->cr_cb = vod_matrix_q14(-ycb / (2.0 * (1.0 - dr)));
    m->cr_cr = vod_matrix_q14((2.0 * (1.0 - kr) - ycr) / (2.0 * (1.0 - dr)));
    m->identity = 0;
}


int
vod_matrix_weights(uint32_t matrix, double *kr, double *kb)
{
    switch (matrix) {

    case 1:                                 /* BT.709 */
        *kr = 0.2126;
        *kb = 0.0722;
        return VOD_OK;

    case 4:                                 /* FCC (47 CFR 73.682) */
        *kr = 0.30;
        *kb = 0.11;
        return VOD_OK;

    case 7:                                 /* SMPTE 240M */
        *kr = 0.212;
        *kb = 0.087;
        return VOD_OK;

    case 9:                                 /* BT.2020, non-constant */
    case 10:                                /* and constant luminance,
                                               taken as the former */
        *kr = 0.2627;
        *kb = 0.0593;
        return VOD_OK;

    default:
        *kr = 0.299;
        *kb = 0.114;
        return VOD_NOT_FOUND;
    }
}


void
vod_matrix_apply(const vod_matrix_t *m, u_char *plane[3],
    const size_t pitch[3], size_t width, size_t height, uint32_t cx,
    uint32_t cy)
{
    size_t   x, y, cw, ch, rows, r, j, lx;
    int32_t  cb, cr, dy;
    u_char  *luma[2], *pb, *pr;

    if (m->identity) {
        return;
    }

    cw = (width + (1u << cx) - 1) >> cx;
    ch = (height + (1u << cy) - 1) >> cy;

    for (y = 0; y < ch; y++) {
        luma[0] = plane[0] + (y << cy) * pitch[0];
        luma[1] = luma[0] + pitch[0];
        rows = (cy == 1 && 2 * y + 1 < height) ? 2 : 1;

        pb = plane[1] + y * pitch[1];
        pr = plane[2] + y * pitch[2];

        /* the SIMD path pairs a chroma sample with two luma samples of
         * each row: 4:2:0 and 4:2:2 */
        x = (cx == 1) ? vod_matrix_simd(m, luma, rows, pb, pr, cw, width)
                      : 0;

        for ( /* void */ ; x < cw; x++) {
            cb = (int32_t) pb[x] - 128;
            cr = (int32_t) pr[x] - 128;

            /* rounded to nearest: the shifts floor */
            dy = (m->y_cb * cb + m->y_cr * cr + VOD_MATRIX_ONE / 2) >> 14;

            pb[x] = vod_matrix_clip(128 + ((m->cb_cb * cb + m->cb_cr * cr
                                            + VOD_MATRIX_ONE / 2) >> 14));
            pr[x] = vod_matrix_clip(128 + ((m->cr_cb * cb + m->cr_cr * cr
                                            + VOD_MATRIX_ONE / 2) >> 14));

            for (r = 0; r < rows; r++) {
                for (j = 0; j < (1u << cx); j++) {
                    lx = (x << cx) + j;

                    if (lx < width) {
                        luma[r][lx] = vod_matrix_clip(luma[r][lx] + dy);
                    }
                }
            }
        }
    }
}


/*
 * The chroma samples of a row pair from the first, 8 at a time, and their
 * 16 luma samples of each row, with SSE2 where the compiler has it (every
 * x86-64): a 1080p picture is some 4 ms a sample at a time.  Each lane
 * pair (Cb - 128, Cr - 128) times a pair of coefficients, summed in 32
 * bits (madd), rounded and shifted as the scalar path does, so the two
 * give the same values.  Returns the chroma samples done.
 */

static size_t
vod_matrix_simd(const vod_matrix_t *m, u_char *luma[2], size_t rows,
    u_char *pb, u_char *pr, size_t cw, size_t width)
{
    size_t   x;
#if defined(__SSE2__)
    size_t   r;
    __m128i  zero, bias, round, ky, kb, kr, cb, cr, lo, hi, dy, y, out;

    zero = _mm_setzero_si128();
    bias = _mm_set1_epi16(128);
    round = _mm_set1_epi32(VOD_MATRIX_ONE / 2);

    /* (Cb, Cr) lane pairs meet (coefficient of Cb, of Cr) pairs */
    ky = _mm_set1_epi32((int32_t) ((uint32_t) (m->y_cr & 0xffff) << 16
                                   | (uint32_t) (m->y_cb & 0xffff)));
    kb = _mm_set1_epi32((int32_t) ((uint32_t) (m->cb_cr & 0xffff) << 16
                                   | (uint32_t) (m->cb_cb & 0xffff)));
    kr = _mm_set1_epi32((int32_t) ((uint32_t) (m->cr_cr & 0xffff) << 16
                                   | (uint32_t) (m->cr_cb & 0xffff)));

    for (x = 0; x + 8 <= cw && 2 * x + 16 <= width; x += 8) {
        cb = _mm_sub_epi16(_mm_unpacklo_epi8(
                 _mm_loadl_epi64((const __m128i *) (pb + x)), zero), bias);
        cr = _mm_sub_epi16(_mm_unpacklo_epi8(
                 _mm_loadl_epi64((const __m128i *) (pr + x)), zero), bias);

        lo = _mm_unpacklo_epi16(cb, cr);
        hi = _mm_unpackhi_epi16(cb, cr);

#define vod_matrix_dot(k)                                                     \
        _mm_packs_epi32(                                                      \
            _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(lo, k), round), 14),  \
            _mm_srai_epi32(_mm_add_epi32(_mm_madd_epi16(hi, k), round), 14))

        out = _mm_packus_epi16(_mm_add_epi16(vod_matrix_dot(kb), bias), zero);
        _mm_storel_epi64((__m128i *) (pb + x), out);

        out = _mm_packus_epi16(_mm_add_epi16(vod_matrix_dot(kr), bias), zero);
        _mm_storel_epi64((__m128i *) (pr + x), out);

        dy = vod_matrix_dot(ky);

#undef vod_matrix_dot

        for (r = 0; r < rows; r++) {
            y = _mm_loadu_si128((const __m128i *) (luma[r] + 2 * x));

            lo = _mm_add_epi16(_mm_unpacklo_epi8(y, zero),
                               _mm_unpacklo_epi16(dy, dy));
            hi = _mm_add_epi16(_mm_unpackhi_epi8(y, zero),
                               _mm_unpackhi_epi16(dy, dy));

            _mm_storeu_si128((__m128i *) (luma[r] + 2 * x),
                             _mm_packus_epi16(lo, hi));
        }
    }
#else
    x = 0;
#endif

    return x;
}


/* v in 14 fractional bits, rounded half away from zero */

static int32_t
vod_matrix_q14(double v)
{
    return (v < 0) ? -(int32_t) (-v * VOD_MATRIX_ONE + 0.5)
                   : (int32_t) (v * VOD_MATRIX_ONE + 0.5);
}


static u_char
vod_matrix_clip(int32_t v)
{
    return (u_char) ((v < 0) ? 0 : (v > 255) ? 255 : v);
}
