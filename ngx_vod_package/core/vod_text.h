/*
 * vod_text.h: small text writers shared by the playlist and MPD
 * generators.  Each writes at p, which the caller sized, and returns the
 * position after what it wrote.
 */

#ifndef _VOD_TEXT_H_INCLUDED_
#define _VOD_TEXT_H_INCLUDED_


#include "vod_core.h"


/* the most bytes vod_text_uint() and vod_text_ms() write */
#define VOD_TEXT_UINT_LEN   20
#define VOD_TEXT_MS_LEN     (VOD_TEXT_UINT_LEN + 4)


#define vod_text_cpy(p, s)                                                   \
    (memcpy(p, s, sizeof(s) - 1), (p) + sizeof(s) - 1)

#define vod_text_cpymem(p, s, n)                                             \
    (memcpy(p, s, n), (p) + (n))


u_char *vod_text_uint(u_char *p, uint64_t v);

/* milliseconds as "S.mmm" */
u_char *vod_text_ms(u_char *p, uint64_t ms);

/* duration in timescale units to milliseconds, rounded to nearest */
uint64_t vod_text_to_ms(uint64_t duration, uint32_t timescale);

/* length of a NUL-terminated fixed-size field (codec_str, lang) */
size_t vod_text_field_len(const char *s, size_t size);

/* whether s is made only of [A-Za-z0-9._-], as a codec string or a
 * language code must be to go between quotes unescaped */
int vod_text_token(const u_char *s, size_t len);

/* bytes vod_text_xml() writes for s */
size_t vod_text_xml_len(const u_char *s, size_t len);

/* s with & < > " ' escaped for XML text and attribute values */
u_char *vod_text_xml(u_char *p, const u_char *s, size_t len);


#endif /* _VOD_TEXT_H_INCLUDED_ */
