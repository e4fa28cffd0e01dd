/*
 * vod_text.c: number and escaping writers for manifests.
 */

#include "vod_text.h"


/* two digits at a time, in 32 bits when the number fits: manifests are
 * mostly numbers, and this was a tenth of an MPD's cost */

static const char  vod_text_digits[] =
    "0001020304050607080910111213141516171819"
    "2021222324252627282930313233343536373839"
    "4041424344454647484950515253545556575859"
    "6061626364656667686970717273747576777879"
    "8081828384858687888990919293949596979899";


u_char *
vod_text_uint(u_char *p, uint64_t v)
{
    u_char    *d, tmp[VOD_TEXT_UINT_LEN];
    uint32_t   v32, r;

    d = tmp + VOD_TEXT_UINT_LEN;

    while (v > 0xffffffff) {
        r = (uint32_t) (v % 100);
        v /= 100;
        *--d = (u_char) vod_text_digits[2 * r + 1];
        *--d = (u_char) vod_text_digits[2 * r];
    }

    v32 = (uint32_t) v;

    while (v32 >= 100) {
        r = v32 % 100;
        v32 /= 100;
        *--d = (u_char) vod_text_digits[2 * r + 1];
        *--d = (u_char) vod_text_digits[2 * r];
    }

    if (v32 >= 10) {
        *--d = (u_char) vod_text_digits[2 * v32 + 1];
        *--d = (u_char) vod_text_digits[2 * v32];

    } else {
        *--d = (u_char) ('0' + v32);
    }

    return vod_text_cpymem(p, d, (size_t) (tmp + VOD_TEXT_UINT_LEN - d));
}


u_char *
vod_text_ms(u_char *p, uint64_t ms)
{
    uint32_t  frac;

    p = vod_text_uint(p, ms / 1000);

    frac = (uint32_t) (ms % 1000);

    *p++ = '.';
    *p++ = (u_char) ('0' + frac / 100);
    *p++ = (u_char) ('0' + frac / 10 % 10);
    *p++ = (u_char) ('0' + frac % 10);

    return p;
}


uint64_t
vod_text_to_ms(uint64_t duration, uint32_t timescale)
{
    uint64_t  sec, rem;

    sec = duration / timescale;
    rem = duration % timescale;

    /* rem < 2^32, so rem * 1000 cannot overflow */
    return sec * 1000 + (rem * 1000 + timescale / 2) / timescale;
}


size_t
vod_text_field_len(const char *s, size_t size)
{
    size_t  n;

    for (n = 0; n < size && s[n] != '\0'; n++) {
        /* void */
    }

    return n;
}


int
vod_text_token(const u_char *s, size_t len)
{
    u_char  c;
    size_t  i;

    for (i = 0; i < len; i++) {
        c = s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


size_t
vod_text_xml_len(const u_char *s, size_t len)
{
    size_t  i, n;

    n = len;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            n += sizeof("&amp;") - 2;
            break;
        case '<':
        case '>':
            n += sizeof("&lt;") - 2;
            break;
        case '"':
        case '\'':
            n += sizeof("&quot;") - 2;
            break;
        }
    }

    return n;
}


u_char *
vod_text_xml(u_char *p, const u_char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        switch (s[i]) {
        case '&':
            p = vod_text_cpy(p, "&amp;");
            break;
        case '<':
            p = vod_text_cpy(p, "&lt;");
            break;
        case '>':
            p = vod_text_cpy(p, "&gt;");
            break;
        case '"':
            p = vod_text_cpy(p, "&quot;");
            break;
        case '\'':
            p = vod_text_cpy(p, "&apos;");
            break;
        default:
            /* XML 1.0 has no other control characters */
            *p++ = (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n'
                    && s[i] != '\r') ? '?' : s[i];
        }
    }

    return p;
}
