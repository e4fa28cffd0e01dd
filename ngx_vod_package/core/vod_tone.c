/*
 * vod_tone.c: HDR frames made SDR pictures (vod_tone.h).
 *
 * The transfers (ITU-R BT.2100): PQ's EOTF gives absolute light, 10000
 * cd/m2 at its top, here relative to 100 cd/m2 (zscale's npl=100); HLG's
 * inverse OETF gives scene light in [0, 1], which an OOTF for a 1000
 * cd/m2 display makes display light, 10 E^1.2 (relative to 100 cd/m2 too)
 * on each component, as zimg applies it (BT.2100's applies the gamma to
 * the luminance, which zimg does not).  Both as FFmpeg's zscale (zimg)
 * computes them: a grey ramp and a pure green through it give its values
 * to four digits.  A code value over 1 (a superwhite) is taken as 1.
 */

#include <math.h>

#include "vod_matrix.h"
#include "vod_tone.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define VOD_TONE_PQ          16
#define VOD_TONE_HLG         18

/* 1000 cd/m2 over 100: the peak of a signal that says none, as FFmpeg's
 * tonemap filter takes it after zscale (its input then "linear") */
#define VOD_TONE_PEAK        10.0

/* pixels of a row made at a time (even: a 4:2:x chroma sample's luma
 * samples in one run) */
#define VOD_TONE_RUN         64

/* BT.1886's display gamma: zimg makes display light BT.709 video by its
 * inverse (a grey ramp through the recipe gives its values) */
#define VOD_TONE_GAMMA       2.4


static double vod_tone_pq_eotf(double e);
static double vod_tone_hlg_display(double e);
static float vod_tone_hable(float v);
static void vod_tone_gamut(uint32_t primaries, float out[3][3]);
static void vod_tone_to_xyz(const double xy[4][2], double m[3][3]);
static void vod_tone_invert(const double a[3][3], double out[3][3]);
static void vod_tone_row(const vod_tone_t *t, const uint16_t *ys,
    const uint16_t *us, const uint16_t *vs, size_t n, u_char *y, float *cb,
    float *cr);
static void vod_tone_pixel(const vod_tone_t *t, float rgb[3], float ycc[3]);
static float vod_tone_lut(const float *lut, float v, float k);
#if defined(__SSE2__)
static size_t vod_tone_row_simd(const vod_tone_t *t, const uint16_t *ys,
    const uint16_t *us, const uint16_t *vs, size_t n, u_char *y, float *cb,
    float *cr);
static __m128 vod_tone_lut4(const float *lut, __m128 v, float k);
#endif
static u_char vod_tone_u8(float v);


int
vod_tone_init(vod_tone_t *t, uint32_t transfer, uint32_t primaries,
    uint32_t matrix, int full_in, int full_out, double peak)
{
    double    kr, kb, kg, v;
    uint32_t  i;

    if (transfer != VOD_TONE_PQ && transfer != VOD_TONE_HLG) {
        return VOD_NOT_FOUND;
    }

    /* BT.2100 has no matrix but BT.2020's: one not said is that */
    if (vod_matrix_weights(matrix, &kr, &kb) != VOD_OK) {
        kr = 0.2627;
        kb = 0.0593;
    }

    kg = 1.0 - kr - kb;

    t->rv = (float) (2.0 * (1.0 - kr));
    t->bu = (float) (2.0 * (1.0 - kb));
    t->gu = (float) (2.0 * kb * (1.0 - kb) / kg);
    t->gv = (float) (2.0 * kr * (1.0 - kr) / kg);

    /* libswscale's 16-bit samples: video levels at 256 times 8 bits' */
    if (full_in) {
        t->y_black = 0.0f;
        t->y_scale = 1.0f / 65535.0f;
        t->c_scale = 1.0f / 65535.0f;

    } else {
        t->y_black = 16.0f * 256.0f;
        t->y_scale = 1.0f / (219.0f * 256.0f);
        t->c_scale = 1.0f / (224.0f * 256.0f);
    }

    /* a peak said (MaxCLL, a mastering display's) within 10 to 10000
     * cd/m2, PQ's top: a stream's absurd one moves the curve that far */
    v = (peak > 0.0) ? peak / 100.0 : VOD_TONE_PEAK;
    v = (v < 0.1) ? 0.1 : (v > 100.0) ? 100.0 : v;
    t->hable_peak = 1.0f / vod_tone_hable((float) v);

    /* the curve's output reaches hable(infinity) / hable(peak), 1 - e / f
     * over hable(peak): over 1 for a peak under some 1100 cd/m2, which
     * the picture then clips */
    t->gamma_top = (1.0f - 0.02f / 0.30f) * t->hable_peak;

    if (t->gamma_top < 1.0f) {
        t->gamma_top = 1.0f;
    }

    for (i = 0; i <= VOD_TONE_LUT; i++) {
        v = (double) i / VOD_TONE_LUT;

        t->to_linear[i] = (float) ((transfer == VOD_TONE_PQ)
                                   ? vod_tone_pq_eotf(v)
                                   : vod_tone_hlg_display(v));
        t->to_gamma[i] = (float) pow(v * t->gamma_top, 1.0 / VOD_TONE_GAMMA);
    }

    /* a linear value to the table's intervals */
    t->gamma_k = (1.0f / t->gamma_top) * VOD_TONE_LUT;

    vod_tone_gamut(primaries, t->gamut);

    t->full = full_out ? 1 : 0;

    return VOD_OK;
}


void
vod_tone_apply(const vod_tone_t *t, uint16_t *const src[3],
    const size_t src_pitch[3], size_t width, size_t height, uint32_t cx,
    uint32_t cy, u_char *const dst[3], const size_t dst_pitch[3])
{
    float   n, sum, run_c[2][2][VOD_TONE_RUN];
    size_t  x0, run, y, ly, j, rows, x, i, lx, c, ch;

    ch = (height + (1u << cy) - 1) >> cy;

    for (y = 0; y < ch; y++) {
        rows = (cy == 1 && 2 * y + 1 < height) ? 2 : 1;

        /* a run of each row of the chroma sample's luma rows, then the
         * run's chroma samples (a run is even: no block straddles two) */
        for (x0 = 0; x0 < width; x0 += VOD_TONE_RUN) {
            run = (width - x0 < VOD_TONE_RUN) ? width - x0 : VOD_TONE_RUN;

            for (j = 0; j < rows; j++) {
                ly = (y << cy) + j;

                vod_tone_row(t, &src[0][ly * src_pitch[0] + x0],
                             &src[1][ly * src_pitch[1] + x0],
                             &src[2][ly * src_pitch[2] + x0], run,
                             &dst[0][ly * dst_pitch[0] + x0],
                             run_c[j][0], run_c[j][1]);
            }

            for (x = 0; x < (run + (1u << cx) - 1) >> cx; x++) {
                for (c = 0; c < 2; c++) {
                    sum = 0.0f;
                    n = 0.0f;

                    for (j = 0; j < rows; j++) {
                        for (i = 0; i < (1u << cx); i++) {
                            lx = (x << cx) + i;

                            if (lx < run) {
                                sum += run_c[j][c][lx];
                                n += 1.0f;
                            }
                        }
                    }

                    /* the chroma of the samples' colours, as a
                     * subsampling filter's box takes it */
                    dst[1 + c][y * dst_pitch[1 + c] + (x0 >> cx) + x] =
                        vod_tone_u8(128.0f + sum / n
                                             * (t->full ? 255.0f : 224.0f));
                }
            }
        }
    }
}


/*
 * n pixels of a row: their luma into y, their Cb and Cr (in [-0.5,
 * 0.5]) into cb and cr.  SSE2 four at a time where the compiler has it
 * (every x86-64): its operations are the scalar path's, in its order, so
 * the two give the same values (test_tone checks).
 */

static void
vod_tone_row(const vod_tone_t *t, const uint16_t *ys, const uint16_t *us,
    const uint16_t *vs, size_t n, u_char *y, float *cb, float *cr)
{
    size_t  x;
    float   yv, u, v, rgb[3], ycc[3];

    x = 0;

#if defined(__SSE2__)
    x = vod_tone_row_simd(t, ys, us, vs, n, y, cb, cr);
#endif

    for ( /* void */ ; x < n; x++) {
        yv = ((float) ys[x] - t->y_black) * t->y_scale;
        u = ((float) us[x] - 32768.0f) * t->c_scale;
        v = ((float) vs[x] - 32768.0f) * t->c_scale;

        rgb[0] = yv + t->rv * v;
        rgb[1] = yv - t->gu * u - t->gv * v;
        rgb[2] = yv + t->bu * u;

        vod_tone_pixel(t, rgb, ycc);

        y[x] = vod_tone_u8(t->full ? ycc[0] * 255.0f
                                   : 16.0f + ycc[0] * 219.0f);
        cb[x] = ycc[1];
        cr[x] = ycc[2];
    }
}


/*
 * One pixel's R'G'B' (the source's, each in [0, 1] or about) to the
 * picture's Y'CbCr (BT.601's, Y' in [0, 1], Cb and Cr in [-0.5, 0.5]).
 */

static void
vod_tone_pixel(const vod_tone_t *t, float rgb[3], float ycc[3])
{
    int    c;
    float  lin[3], out[3], sig, scale;

    for (c = 0; c < 3; c++) {
        lin[c] = vod_tone_lut(t->to_linear, rgb[c], (float) VOD_TONE_LUT);
    }

    for (c = 0; c < 3; c++) {
        out[c] = t->gamut[c][0] * lin[0] + t->gamut[c][1] * lin[1]
                 + t->gamut[c][2] * lin[2];
    }

    /* the brightest component through the curve, the others scaled by
     * as much: the hue stays */
    sig = out[0];

    if (out[1] > sig) {
        sig = out[1];
    }

    if (out[2] > sig) {
        sig = out[2];
    }

    if (sig < 1e-6f) {
        sig = 1e-6f;
    }

    scale = vod_tone_hable(sig) * t->hable_peak / sig;

    for (c = 0; c < 3; c++) {
        out[c] *= scale;

        /* to BT.1886's gamma; the colours BT.709 has not (below 0
         * here) clipped to its gamut's edge, as zimg clips them; above
         * the peak (the curve normalised there) left to the picture's
         * clipping, as zimg leaves it */
        out[c] = vod_tone_lut(t->to_gamma, out[c], t->gamma_k);
    }

    ycc[0] = 0.299f * out[0] + 0.587f * out[1] + 0.114f * out[2];
    ycc[1] = (out[2] - ycc[0]) * (1.0f / 1.772f);
    ycc[2] = (out[0] - ycc[0]) * (1.0f / 1.402f);
}


/* a table's value at v (times k: v's range to the table's intervals),
 * outside [0, 1] its end's, interpolated; without branches, which the
 * colours of a picture make unpredictable */

static float
vod_tone_lut(const float *lut, float v, float k)
{
    float    f;
    int32_t  i;

    f = v * k;
    f = (f > 0.0f) ? f : 0.0f;                  /* NaN too */
    f = (f < VOD_TONE_LUT) ? f : VOD_TONE_LUT;

    /* the top is the last interval's end */
    i = (int32_t) ((f < VOD_TONE_LUT - 1) ? f : VOD_TONE_LUT - 1);
    f -= (float) i;

    return lut[i] + f * (lut[i + 1] - lut[i]);
}


#if defined(__SSE2__)

/* vod_tone_row()'s four pixels at a time; returns the pixels done */

static size_t
vod_tone_row_simd(const vod_tone_t *t, const uint16_t *ys,
    const uint16_t *us, const uint16_t *vs, size_t n, u_char *y, float *cb,
    float *cr)
{
    int      c, k;
    size_t   x;
    __m128   yv, u, v, rgb[3], lin[3], out[3], sig, h, scale, luma;
    __m128i  zero, q;

    zero = _mm_setzero_si128();

#define vod_tone_load(p)                                                      \
    _mm_cvtepi32_ps(_mm_unpacklo_epi16(                                      \
        _mm_loadl_epi64((const __m128i *) (p)), zero))
#define vod_tone_k(f)  _mm_set1_ps(f)

    for (x = 0; x + 4 <= n; x += 4) {
        yv = _mm_mul_ps(_mm_sub_ps(vod_tone_load(ys + x),
                                   vod_tone_k(t->y_black)),
                        vod_tone_k(t->y_scale));
        u = _mm_mul_ps(_mm_sub_ps(vod_tone_load(us + x),
                                  vod_tone_k(32768.0f)),
                       vod_tone_k(t->c_scale));
        v = _mm_mul_ps(_mm_sub_ps(vod_tone_load(vs + x),
                                  vod_tone_k(32768.0f)),
                       vod_tone_k(t->c_scale));

        rgb[0] = _mm_add_ps(yv, _mm_mul_ps(vod_tone_k(t->rv), v));
        rgb[1] = _mm_sub_ps(_mm_sub_ps(yv, _mm_mul_ps(vod_tone_k(t->gu), u)),
                            _mm_mul_ps(vod_tone_k(t->gv), v));
        rgb[2] = _mm_add_ps(yv, _mm_mul_ps(vod_tone_k(t->bu), u));

        for (c = 0; c < 3; c++) {
            lin[c] = vod_tone_lut4(t->to_linear, rgb[c],
                                   (float) VOD_TONE_LUT);
        }

        for (c = 0; c < 3; c++) {
            out[c] = _mm_add_ps(_mm_add_ps(
                         _mm_mul_ps(vod_tone_k(t->gamut[c][0]), lin[0]),
                         _mm_mul_ps(vod_tone_k(t->gamut[c][1]), lin[1])),
                         _mm_mul_ps(vod_tone_k(t->gamut[c][2]), lin[2]));
        }

        sig = _mm_max_ps(_mm_max_ps(out[0], out[1]), out[2]);
        sig = _mm_max_ps(sig, vod_tone_k(1e-6f));

        /* vod_tone_hable() */
        h = _mm_sub_ps(
                _mm_div_ps(
                    _mm_add_ps(_mm_mul_ps(sig, _mm_add_ps(
                        _mm_mul_ps(sig, vod_tone_k(0.15f)),
                        vod_tone_k(0.10f * 0.50f))),
                        vod_tone_k(0.20f * 0.02f)),
                    _mm_add_ps(_mm_mul_ps(sig, _mm_add_ps(
                        _mm_mul_ps(sig, vod_tone_k(0.15f)),
                        vod_tone_k(0.50f))),
                        vod_tone_k(0.20f * 0.30f))),
                vod_tone_k(0.02f / 0.30f));

        scale = _mm_div_ps(_mm_mul_ps(h, vod_tone_k(t->hable_peak)), sig);

        for (c = 0; c < 3; c++) {
            out[c] = vod_tone_lut4(t->to_gamma, _mm_mul_ps(out[c], scale),
                                   t->gamma_k);
        }

        luma = _mm_add_ps(_mm_add_ps(_mm_mul_ps(vod_tone_k(0.299f), out[0]),
                                     _mm_mul_ps(vod_tone_k(0.587f), out[1])),
                          _mm_mul_ps(vod_tone_k(0.114f), out[2]));

        _mm_storeu_ps(cb + x, _mm_mul_ps(_mm_sub_ps(out[2], luma),
                                         vod_tone_k(1.0f / 1.772f)));
        _mm_storeu_ps(cr + x, _mm_mul_ps(_mm_sub_ps(out[0], luma),
                                         vod_tone_k(1.0f / 1.402f)));

        luma = t->full ? _mm_mul_ps(luma, vod_tone_k(255.0f))
                       : _mm_add_ps(vod_tone_k(16.0f),
                                    _mm_mul_ps(luma, vod_tone_k(219.0f)));

        /* vod_tone_u8() */
        luma = _mm_add_ps(luma, vod_tone_k(0.5f));
        luma = _mm_min_ps(_mm_max_ps(luma, _mm_setzero_ps()),
                          vod_tone_k(255.0f));
        q = _mm_cvttps_epi32(luma);
        q = _mm_packus_epi16(_mm_packs_epi32(q, zero), zero);

        k = _mm_cvtsi128_si32(q);
        memcpy(y + x, &k, 4);
    }

#undef vod_tone_load
#undef vod_tone_k

    return x;
}


/* vod_tone_lut() of four values */

static __m128
vod_tone_lut4(const float *lut, __m128 v, float k)
{
    __m128   f, lo, hi;
    __m128i  i;
    int32_t  at[4];

    f = _mm_mul_ps(v, _mm_set1_ps(k));
    f = _mm_max_ps(f, _mm_setzero_ps());                /* NaN too */
    f = _mm_min_ps(f, _mm_set1_ps((float) VOD_TONE_LUT));

    i = _mm_cvttps_epi32(_mm_min_ps(f, _mm_set1_ps(VOD_TONE_LUT - 1)));
    f = _mm_sub_ps(f, _mm_cvtepi32_ps(i));

    _mm_storeu_si128((__m128i *) at, i);

    lo = _mm_set_ps(lut[at[3]], lut[at[2]], lut[at[1]], lut[at[0]]);
    hi = _mm_set_ps(lut[at[3] + 1], lut[at[2] + 1], lut[at[1] + 1],
                    lut[at[0] + 1]);

    return _mm_add_ps(lo, _mm_mul_ps(f, _mm_sub_ps(hi, lo)));
}

#endif


static u_char
vod_tone_u8(float v)
{
    v += 0.5f;

    /* NaN: 0, as the SIMD path's clamp makes it */
    return (v > 0.0f) ? ((v < 255.0f) ? (u_char) v : 255) : 0;
}


/* SMPTE ST 2084: a code value to cd/m2 over 100 */

static double
vod_tone_pq_eotf(double e)
{
    double  p, m1, m2, c1, c2, c3;

    m1 = 2610.0 / 16384;
    m2 = 2523.0 / 4096 * 128;
    c1 = 3424.0 / 4096;
    c2 = 2413.0 / 4096 * 32;
    c3 = 2392.0 / 4096 * 32;

    p = pow(e, 1.0 / m2);

    return pow((p > c1 ? p - c1 : 0.0) / (c2 - c3 * p), 1.0 / m1) * 100.0;
}


/* ARIB STD-B67 (BT.2100 HLG): a code value to scene light in [0, 1],
 * then to a 1000 cd/m2 display's over 100 */

static double
vod_tone_hlg_display(double e)
{
    double  a, b, c, s;

    a = 0.17883277;
    b = 1.0 - 4.0 * a;
    c = 0.5 - a * log(4.0 * a);

    s = (e <= 0.5) ? e * e / 3.0 : (exp((e - c) / a) + b) / 12.0;

    return VOD_TONE_PEAK * pow(s, 1.2);
}


/* John Hable's filmic curve (Uncharted 2), as FFmpeg's tonemap has it */

static float
vod_tone_hable(float v)
{
    float  a, b, c, d, e, f;

    a = 0.15f;
    b = 0.50f;
    c = 0.10f;
    d = 0.20f;
    e = 0.02f;
    f = 0.30f;

    return (v * (v * a + c * b) + d * e) / (v * (v * a + b) + d * f) - e / f;
}


/*
 * Linear R G B on a video's primaries to BT.709's: through CIE XYZ,
 * each set's matrix made from its chromaticities and D65 white (ITU-T
 * H.273 table 2).
 */

static void
vod_tone_gamut(uint32_t primaries, float out[3][3])
{
    int     i, j, k;
    double  src[3][3], dst[3][3], inv[3][3], v;

    static const double  bt709[4][2] = {
        { 0.640, 0.330 }, { 0.300, 0.600 }, { 0.150, 0.060 },
        { 0.3127, 0.3290 }
    };
    static const double  bt2020[4][2] = {
        { 0.708, 0.292 }, { 0.170, 0.797 }, { 0.131, 0.046 },
        { 0.3127, 0.3290 }
    };
    static const double  p3d65[4][2] = {
        { 0.680, 0.320 }, { 0.265, 0.690 }, { 0.150, 0.060 },
        { 0.3127, 0.3290 }
    };

    /* HDR not said to be on BT.709's or P3's is on BT.2020's */
    vod_tone_to_xyz((primaries == 1) ? bt709
                    : (primaries == 12) ? p3d65 : bt2020, src);
    vod_tone_to_xyz(bt709, dst);
    vod_tone_invert(dst, inv);

    for (i = 0; i < 3; i++) {
        for (j = 0; j < 3; j++) {
            v = 0.0;

            for (k = 0; k < 3; k++) {
                v += inv[i][k] * src[k][j];
            }

            out[i][j] = (float) v;
        }
    }
}


/* R G B to XYZ: the primaries' XYZ, each scaled so that they add up to
 * the white's (Y 1) */

static void
vod_tone_to_xyz(const double xy[4][2], double m[3][3])
{
    int     i, j;
    double  p[3][3], inv[3][3], w[3], s;

    for (j = 0; j < 3; j++) {
        p[0][j] = xy[j][0] / xy[j][1];
        p[1][j] = 1.0;
        p[2][j] = (1.0 - xy[j][0] - xy[j][1]) / xy[j][1];
    }

    w[0] = xy[3][0] / xy[3][1];
    w[1] = 1.0;
    w[2] = (1.0 - xy[3][0] - xy[3][1]) / xy[3][1];

    vod_tone_invert(p, inv);

    for (j = 0; j < 3; j++) {
        s = inv[j][0] * w[0] + inv[j][1] * w[1] + inv[j][2] * w[2];

        for (i = 0; i < 3; i++) {
            m[i][j] = p[i][j] * s;
        }
    }
}


/* by cofactors: the matrices here are fixed and far from singular */

static void
vod_tone_invert(const double a[3][3], double out[3][3])
{
    int     i, j;
    double  det;

    out[0][0] = a[1][1] * a[2][2] - a[1][2] * a[2][1];
    out[0][1] = a[0][2] * a[2][1] - a[0][1] * a[2][2];
    out[0][2] = a[0][1] * a[1][2] - a[0][2] * a[1][1];
    out[1][0] = a[1][2] * a[2][0] - a[1][0] * a[2][2];
    out[1][1] = a[0][0] * a[2][2] - a[0][2] * a[2][0];
    out[1][2] = a[0][2] * a[1][0] - a[0][0] * a[1][2];
    out[2][0] = a[1][0] * a[2][1] - a[1][1] * a[2][0];
    out[2][1] = a[0][1] * a[2][0] - a[0][0] * a[2][1];
    out[2][2] = a[0][0] * a[1][1] - a[0][1] * a[1][0];

    det = a[0][0] * out[0][0] + a[0][1] * out[1][0] + a[0][2] * out[2][0];

    for (i = 0; i < 3; i++) {
        for (j = 0; j < 3; j++) {
            out[i][j] /= det;
        }
    }
}
