/*
 * vod_bits.c: the core's bit reader (vod_bits.h).
 */

#include "vod_bits.h"


void
vod_bits_init(vod_bits_t *br, const u_char *p, size_t len)
{
    br->pos = p;
    br->end = p + len;
    br->bit = 0;
    br->error = 0;
}


uint32_t
vod_bits_u(vod_bits_t *br, uint32_t n)
{
    uint32_t  v;

    v = 0;

    while (n-- > 0) {
        if (br->pos >= br->end) {
            br->error = 1;
            return 0;
        }

        v = (v << 1) | ((*br->pos >> (7 - br->bit)) & 1);

        if (++br->bit == 8) {
            br->bit = 0;
            br->pos++;
        }
    }

    return v;
}


/* Exp-Golomb ue(v), 9.1: up to 31 leading zeros, at most 32 bits of
 * value; more is an error */

uint32_t
vod_bits_ue(vod_bits_t *br)
{
    uint32_t  zeros;

    for (zeros = 0; vod_bits_u(br, 1) == 0; zeros++) {
        if (br->error || zeros == 31) {
            br->error = 1;
            return 0;
        }
    }

    return (uint32_t) ((1ULL << zeros) - 1 + vod_bits_u(br, zeros));
}


/* se(v), 9.1.1: codeNum k is (-1)^(k+1) * Ceil(k / 2) */

int32_t
vod_bits_se(vod_bits_t *br)
{
    uint32_t  v;

    v = vod_bits_ue(br);

    return (v & 1) ? (int32_t) ((v + 1) / 2) : -(int32_t) (v / 2);
}


void
vod_bits_skip_ue(vod_bits_t *br, uint32_t n)
{
    while (n-- > 0 && !br->error) {
        (void) vod_bits_ue(br);
    }
}


/* 7.4.1: a 0x03 after two zeros is emulation prevention, dropped */

size_t
vod_bits_rbsp(const u_char *nal, size_t len, u_char *out, size_t max)
{
    size_t    i, n;
    uint32_t  zeros;

    n = 0;
    zeros = 0;

    for (i = 0; i < len && n < max; i++) {
        if (zeros >= 2 && nal[i] == 0x03) {
            zeros = 0;
            continue;
        }

        zeros = (nal[i] == 0) ? zeros + 1 : 0;
        out[n++] = nal[i];
    }

    return n;
}
