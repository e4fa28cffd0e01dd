/*
 * vod_orient.h: how a video is turned to be shown.  A phone films its
 * sensor's landscape and says in the track header's matrix (tkhd, ISO/IEC
 * 14496-12 8.3.2) that a portrait video is turned a quarter; players
 * turn it (QuickTime, AVPlayer, Chrome, ExoPlayer read the matrix of an
 * fMP4's init segment as of a file's), and so does ffmpeg's own frame.
 *
 * An orientation is one of the eight a matrix of right angles makes:
 * the picture transposed (its rows made columns) or not, then mirrored
 * left to right, top to bottom, or both.  A point (p, q) of the stored
 * picture is shown at (a p + c q + x, b p + d q + y), so for a, b, c, d
 * each 0 or +-1:
 *
 *     b = c = 0:  not transposed; mirrored in x when a < 0, in y when d < 0
 *     a = d = 0:  transposed;     mirrored in x when c < 0, in y when b < 0
 *
 * (a quarter turn clockwise, as a phone held upright writes it, is
 * b = 1, c = -1, and a quarter turn back b = -1, c = 1.)  Any
 * other matrix (a turn of another angle, a scale, a shear) is shown as
 * stored: orientation 0, as are a matrix of zeros and a short tkhd.
 */

#ifndef _VOD_ORIENT_H_INCLUDED_
#define _VOD_ORIENT_H_INCLUDED_


#include "vod_core.h"


#define VOD_ORIENT_TRANSPOSE  1       /* rows shown as columns */
#define VOD_ORIENT_FLIP_X     2       /* then mirrored left to right */
#define VOD_ORIENT_FLIP_Y     4       /* and top to bottom */

#define VOD_ORIENT_MATRIX_LEN 36      /* nine 32-bit values */


/* the orientation of a tkhd's matrix (36 bytes, big-endian, as stored:
 * a, b, u, c, d, v, x, y, w) */
uint32_t vod_orient_from_matrix(const u_char *matrix);

/* the matrix of an orientation, for a picture width x height as stored
 * (the tkhd's size), into p; the translation keeps it at (0, 0) as
 * Apple's encoders write it.  Returns p past it. */
u_char *vod_orient_write_matrix(u_char *p, uint32_t orient, uint32_t width,
    uint32_t height);

/* what an orientation does, in words, for a log line or bin/vodpkg:
 * "as stored", "a quarter turn clockwise", "mirrored left to right"... */
const char *vod_orient_name(uint32_t orient);

/* a stored picture's size turned: swapped when transposed */
void vod_orient_size(uint32_t orient, uint32_t *width, uint32_t *height);

/* one plane of width x height samples (src_pitch bytes a row) turned
 * into dst (dst_pitch bytes a row, vod_orient_size()'s size); the two
 * do not overlap */
void vod_orient_plane(uint32_t orient, const u_char *src, size_t src_pitch,
    uint32_t width, uint32_t height, u_char *dst, size_t dst_pitch);


#endif /* _VOD_ORIENT_H_INCLUDED_ */
