/*
 * vod_matrix.h: a picture's YCbCr from the matrix of its video (ISO/IEC
 * 23091-2 MatrixCoefficients: BT.709 for HD, BT.2020 for UHD and HDR) to
 * BT.601's, the one a JPEG's YCbCr has (JFIF) and a WebP's (VP8), so
 * that a browser's or an image decoder's RGB is the video's RGB.  Without
 * it a BT.709 frame's colours shift (a red's green grows, the PSNR of a
 * colourful picture against the video's own RGB falls to some 24 dB).
 *
 * The same linear map of (Y, Cb - 128, Cr - 128) holds in both ranges
 * (the luma's share scaled by 219/224 on video levels); chroma needs
 * only the chroma, and luma its chroma sample's, so a picture (4:2:0,
 * 4:2:2, 4:4:4) is converted in place, a chroma sample and its luma
 * block at a time.
 */

#ifndef _VOD_MATRIX_H_INCLUDED_
#define _VOD_MATRIX_H_INCLUDED_


#include "vod_core.h"


typedef struct {
    int32_t       y_cb;               /* Q14: added to each luma sample */
    int32_t       y_cr;
    int32_t       cb_cb;              /* Q14: the new Cb - 128 */
    int32_t       cb_cr;
    int32_t       cr_cb;              /* Q14: the new Cr - 128 */
    int32_t       cr_cr;
    unsigned      identity:1;         /* BT.601 already, or a matrix
                                         not known: left as it is */
} vod_matrix_t;


/*
 * The map from matrix (BT.709 1, FCC 4, SMPTE 240M 7, BT.2020 9 and 10)
 * to BT.601 (5 and 6), for full-range samples (full) or video levels.
 * Any other value (2, unspecified, among them) is taken as BT.601, as
 * FFmpeg takes it: identity.
 */
void vod_matrix_init(vod_matrix_t *m, uint32_t matrix, int full);

/* a matrix's luma weights Kr and Kb (ITU-T H.273 table 4); VOD_NOT_FOUND
 * for one taken as BT.601 (those are then BT.601's) */
int vod_matrix_weights(uint32_t matrix, double *kr, double *kb);

/* a width x height picture's planes (pitch: bytes a row), in place;
 * its chroma a sample per 2^cx luma samples across and 2^cy down (4:2:0
 * 1 and 1, 4:2:2 1 and 0, 4:4:4 0 and 0; each 0 or 1) */
void vod_matrix_apply(const vod_matrix_t *m, u_char *plane[3],
    const size_t pitch[3], size_t width, size_t height, uint32_t cx,
    uint32_t cy);


#endif /* _VOD_MATRIX_H_INCLUDED_ */
