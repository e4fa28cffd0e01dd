/*
 * pb_base64url.c: base64url (RFC 4648, section 5) without padding.
 */

#include "pb_base64url.h"


static const u_char  pb_base64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


size_t
pb_base64url_encode(u_char *dst, const u_char *src, size_t len)
{
    u_char  *d;

    d = dst;

    while (len >= 3) {
        *d++ = pb_base64url_alphabet[src[0] >> 2];
        *d++ = pb_base64url_alphabet[((src[0] & 0x03) << 4) | (src[1] >> 4)];
        *d++ = pb_base64url_alphabet[((src[1] & 0x0f) << 2) | (src[2] >> 6)];
        *d++ = pb_base64url_alphabet[src[2] & 0x3f];
        src += 3;
        len -= 3;
    }

    if (len > 0) {
        *d++ = pb_base64url_alphabet[src[0] >> 2];

        if (len == 1) {
            *d++ = pb_base64url_alphabet[(src[0] & 0x03) << 4];

        } else {
            *d++ = pb_base64url_alphabet[((src[0] & 0x03) << 4)
                                         | (src[1] >> 4)];
            *d++ = pb_base64url_alphabet[(src[1] & 0x0f) << 2];
        }
    }

    return d - dst;
}


static int
pb_base64url_value(u_char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    if (c == '-') {
        return 62;
    }

    if (c == '_') {
        return 63;
    }

    return -1;
}


ssize_t
pb_base64url_decode(u_char *dst, const u_char *src, size_t len)
{
    int       v;
    size_t    i, n;
    u_char   *d;
    uint32_t  acc;

    if (len % 4 == 1) {
        return -1;
    }

    d = dst;
    acc = 0;
    n = 0;

    for (i = 0; i < len; i++) {
        v = pb_base64url_value(src[i]);
        if (v < 0) {
            return -1;
        }

        acc = (acc << 6) | (uint32_t) v;

        if (++n == 4) {
            *d++ = (u_char) (acc >> 16);
            *d++ = (u_char) (acc >> 8);
            *d++ = (u_char) acc;
            acc = 0;
            n = 0;
        }
    }

    if (n == 2) {
        if (acc & 0x0f) {
            return -1;
        }

        *d++ = (u_char) (acc >> 4);

    } else if (n == 3) {
        if (acc & 0x03) {
            return -1;
        }

        *d++ = (u_char) (acc >> 10);
        *d++ = (u_char) (acc >> 2);
    }

    return d - dst;
}
