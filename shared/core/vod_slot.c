/*
 * vod_slot.c: Redis Cluster's hash slot of a key.  See vod_slot.h.
 */

#include "vod_slot.h"


uint16_t
vod_crc16(const u_char *p, size_t len)
{
    size_t    i;
    uint16_t  crc;
    unsigned  bit;

    crc = 0;

    for (i = 0; i < len; i++) {
        crc ^= (uint16_t) (p[i] << 8);

        for (bit = 0; bit < 8; bit++) {
            crc = (crc & 0x8000) ? (uint16_t) ((crc << 1) ^ 0x1021)
                                 : (uint16_t) (crc << 1);
        }
    }

    return crc;
}


uint16_t
vod_slot(const u_char *key, size_t len)
{
    const u_char  *open, *close;

    /* the first '{', then the first '}' after it; an empty tag ("{}")
     * or none at all: the whole key */

    open = memchr(key, '{', len);

    if (open != NULL) {
        close = memchr(open + 1, '}', len - (open + 1 - key));

        if (close != NULL && close > open + 1) {
            key = open + 1;
            len = close - key;
        }
    }

    return vod_crc16(key, len) & (VOD_SLOTS - 1);
}
