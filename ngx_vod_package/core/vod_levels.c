/*
 * vod_levels.c: limited to full range (vod_levels.h).
 *
 * The SSE2 path computes, per 16-bit lane, x = s << 7 (s = y - 16 floored
 * at 0, or c - 128), then (x + mulhi(x, K) + 64) >> 7, mulhi giving the
 * top 16 bits of the signed product: x * (1 + K / 65536) / 128, rounded.
 * K is 36/219 (luma: 255/219 - 1) or 31/224 (chroma) in 16 bits, and the
 * two constants are the ones that give every one of the 256 inputs the
 * scalar formula's value (test_levels.c checks all of them); packing
 * with unsigned saturation does the clipping.  Luma's sum reaches 35683,
 * past a signed lane, which is harmless: luma is never negative, so its
 * lanes are shifted as unsigned; chroma's (-18588 to 18569) as signed.
 */

#include "vod_levels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif


#define VOD_LEVELS_LUMA_K     10771
#define VOD_LEVELS_CHROMA_K   9070


u_char
vod_levels_luma(u_char y)
{
    int  v;

    v = ((int) y - 16) * 255;
    v = (v < 0) ? 0 : (v + 219 / 2) / 219;

    return (u_char) ((v > 255) ? 255 : v);
}


u_char
vod_levels_chroma(u_char c)
{
    int  v;

    v = ((int) c - 128) * 255;
    v = ((v < 0) ? (v - 224 / 2) : (v + 224 / 2)) / 224 + 128;

    return (u_char) ((v < 0) ? 0 : (v > 255) ? 255 : v);
}


void
vod_levels_expand(u_char *dst, const u_char *src, size_t n, int chroma)
{
    size_t   i;
#if defined(__SSE2__)
    __m128i  in, lo, hi, k, round, zero, bias;

    zero = _mm_setzero_si128();
    round = _mm_set1_epi16(64);

    if (chroma) {
        k = _mm_set1_epi16(VOD_LEVELS_CHROMA_K);
        bias = _mm_set1_epi16(128);

    } else {
        k = _mm_set1_epi16(VOD_LEVELS_LUMA_K);
        bias = _mm_set1_epi16(16);
    }

    for (i = 0; i + 16 <= n; i += 16) {
        in = _mm_loadu_si128((const __m128i *) (src + i));

        if (chroma) {
            lo = _mm_sub_epi16(_mm_unpacklo_epi8(in, zero), bias);
            hi = _mm_sub_epi16(_mm_unpackhi_epi8(in, zero), bias);

        } else {
            /* below 16 is black: saturated to 0 before the stretch */
            in = _mm_subs_epu8(in, _mm_set1_epi8(16));
            lo = _mm_unpacklo_epi8(in, zero);
            hi = _mm_unpackhi_epi8(in, zero);
        }

        lo = _mm_slli_epi16(lo, 7);
        hi = _mm_slli_epi16(hi, 7);

        lo = _mm_add_epi16(_mm_add_epi16(lo, _mm_mulhi_epi16(lo, k)), round);
        hi = _mm_add_epi16(_mm_add_epi16(hi, _mm_mulhi_epi16(hi, k)), round);

        if (chroma) {
            lo = _mm_add_epi16(_mm_srai_epi16(lo, 7), bias);
            hi = _mm_add_epi16(_mm_srai_epi16(hi, 7), bias);

        } else {
            lo = _mm_srli_epi16(lo, 7);
            hi = _mm_srli_epi16(hi, 7);
        }

        _mm_storeu_si128((__m128i *) (dst + i), _mm_packus_epi16(lo, hi));
    }
#else
    i = 0;
#endif

    for ( /* void */ ; i < n; i++) {
        dst[i] = chroma ? vod_levels_chroma(src[i]) : vod_levels_luma(src[i]);
    }
}
