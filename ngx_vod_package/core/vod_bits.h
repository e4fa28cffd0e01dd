/*
 * vod_bits.h: the bit reader the core's bitstream parsers share: u(n),
 * ue(v) and se(v) of ISO/IEC 14496-10 7.2 and 9.1 (ISO/IEC 23008-2 reads
 * the same way), and the RBSP of a NAL unit (7.4.1: emulation prevention
 * removed).
 *
 * A read past the end sets error and returns 0; so does a ue(v) of 32 or
 * more leading zeros (its value would not fit 32 bits).  The reader never
 * reads past its end, so a caller may read on and test error once.
 */

#ifndef _VOD_BITS_H_INCLUDED_
#define _VOD_BITS_H_INCLUDED_


#include "vod_core.h"


typedef struct {
    const u_char  *pos;
    const u_char  *end;
    uint32_t       bit;               /* bits used of *pos */
    uint32_t       error;
} vod_bits_t;


void vod_bits_init(vod_bits_t *br, const u_char *p, size_t len);
uint32_t vod_bits_u(vod_bits_t *br, uint32_t n);
uint32_t vod_bits_ue(vod_bits_t *br);
int32_t vod_bits_se(vod_bits_t *br);
void vod_bits_skip_ue(vod_bits_t *br, uint32_t n);

/* the first max bytes at most of the RBSP of nal's len bytes, into out */
size_t vod_bits_rbsp(const u_char *nal, size_t len, u_char *out,
    size_t max);


#endif /* _VOD_BITS_H_INCLUDED_ */
