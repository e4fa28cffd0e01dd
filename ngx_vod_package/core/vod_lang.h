/*
 * vod_lang.h: language tags as manifests give them.  MP4's mdhd holds an
 * ISO 639-2/T code ("eng"); HLS (RFC 8216 4.3.4.1, LANGUAGE) and DASH
 * (@lang) want BCP 47 (RFC 5646), whose shortest form of a language with
 * an ISO 639-1 code is that two-letter code ("en").
 */

#ifndef _VOD_LANG_H_INCLUDED_
#define _VOD_LANG_H_INCLUDED_


#include "vod_core.h"


/* a BCP 47 primary language subtag and its NUL: "en", "haw", "und" */
#define VOD_LANG_LEN  4


/* The BCP 47 tag of an ISO 639 code of two or three lowercase letters (a
 * 639-2/B code such as "ger" too): the 639-1 code when the language has
 * one ("eng" -> "en", "deu" and "ger" -> "de"), else the three letters as
 * they are ("haw"); "und" for anything else (empty, "und", uppercase,
 * digits).  len is the code's length (at most 3 bytes are looked at).
 * out receives a NUL-terminated tag of 2 or 3 letters. */
void vod_lang_bcp47(const char *code, size_t len, char out[VOD_LANG_LEN]);

/* The English name of a language by its BCP 47 tag from vod_lang_bcp47(),
 * or NULL when the table does not have it ("und" included). */
const char *vod_lang_name(const char *tag);


#endif /* _VOD_LANG_H_INCLUDED_ */
