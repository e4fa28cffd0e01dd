/*
 * vod_levels.h: 8-bit samples from video levels (limited range: Y 16..235,
 * Cb and Cr 16..240) to full range (0..255), as a JPEG holds them: each
 * stretched around 0 (luma) or 128 (chroma), rounded half away from zero,
 * clipped.  A row at a time, with SSE2 where the compiler has it (every
 * x86-64) and the same values everywhere: a 1080p picture is three
 * million samples, which a table lookup a sample took 1.2 ms of a
 * key-frame thumbnail's 11.
 */

#ifndef _VOD_LEVELS_H_INCLUDED_
#define _VOD_LEVELS_H_INCLUDED_


#include "vod_core.h"


u_char vod_levels_luma(u_char y);
u_char vod_levels_chroma(u_char c);

/* n samples of src to dst (which may be src), luma or chroma ones */
void vod_levels_expand(u_char *dst, const u_char *src, size_t n,
    int chroma);


#endif /* _VOD_LEVELS_H_INCLUDED_ */
