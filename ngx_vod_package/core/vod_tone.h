/*
 * vod_tone.h: an HDR frame (SMPTE ST 2084 "PQ" or ARIB STD-B67 "HLG",
 * BT.2100) made an SDR picture, as a JPEG or a WebP is shown: a
 * browser takes a picture's samples as BT.709-like gamma on BT.709
 * primaries, so an HDR frame's own YCbCr, as libswscale gives it, shows
 * flat and dull (its PQ code values read as gamma), its BT.2020 colours
 * desaturated.
 *
 * What is done is what FFmpeg's widely used recipe does,
 *
 *     zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,
 *     tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv
 *
 * so that a picture can be checked against it: the signal to linear
 * light relative to 100 cd/m2 (HLG's for a 1000 cd/m2 display), its
 * primaries to BT.709's, the brightest of each pixel's R,
 * G and B through Hable's filmic curve normalised at the signal's peak
 * (the stream's MaxCLL, else its mastering display's, else 1000 cd/m2)
 * and the pixel scaled by as much (its hue kept), then BT.1886's gamma
 * and BT.601's YCbCr (the one a JPEG's decoder and a WebP's assume).
 */

#ifndef _VOD_TONE_H_INCLUDED_
#define _VOD_TONE_H_INCLUDED_


#include "vod_core.h"


/* intervals of the transfer tables (each interpolated linearly) */
#define VOD_TONE_LUT  4096


typedef struct {
    float         rv;                 /* R' = Y' + rv Cr */
    float         gu;                 /* G' = Y' - gu Cb - gv Cr */
    float         gv;
    float         bu;                 /* B' = Y' + bu Cb */
    float         y_black;            /* a 16-bit sample's Y' and C */
    float         y_scale;
    float         c_scale;
    float         gamut[3][3];        /* linear R G B to BT.709's */
    float         hable_peak;         /* 1 / hable(peak) */
    float         gamma_top;          /* to_gamma's range: [0, this] */
    float         gamma_k;            /* VOD_TONE_LUT / gamma_top */
    float         to_linear[VOD_TONE_LUT + 1];
    float         to_gamma[VOD_TONE_LUT + 1];
    unsigned      full:1;             /* the picture's range: JPEG's
                                         full, WebP's limited */
} vod_tone_t;


/*
 * For a frame of this transfer (ISO/IEC 23091-2: 16 PQ, 18 HLG),
 * primaries (9 BT.2020, 12 P3 D65, 1 BT.709; others taken as
 * BT.2020's), matrix (as vod_matrix_init() takes it), range of its
 * samples (full_in) and of the picture (full_out) and signal peak in
 * cd/m2 (0: not known).  VOD_NOT_FOUND for an SDR transfer: nothing
 * to do.
 */
int vod_tone_init(vod_tone_t *t, uint32_t transfer, uint32_t primaries,
    uint32_t matrix, int full_in, int full_out, double peak);

/*
 * A width x height frame's 16-bit 4:4:4 planes (src, pitch in samples) to
 * the 8-bit picture's (dst, pitch in bytes), its chroma a sample per 2^cx
 * luma samples across and 2^cy down (each 0 or 1), the mean of its luma
 * samples' (each pixel is tone mapped with its own colour: an edge's
 * pixels differ).
 */
void vod_tone_apply(const vod_tone_t *t, uint16_t *const src[3],
    const size_t src_pitch[3], size_t width, size_t height, uint32_t cx,
    uint32_t cy, u_char *const dst[3], const size_t dst_pitch[3]);


#endif /* _VOD_TONE_H_INCLUDED_ */
