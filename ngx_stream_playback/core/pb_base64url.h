/*
 * pb_base64url.h: base64url (RFC 4648, section 5) without padding, as JWS
 * compact serialisation uses it (RFC 7515, section 2).
 */

#ifndef _PB_BASE64URL_H_INCLUDED_
#define _PB_BASE64URL_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>


/* bytes needed to encode len bytes, and at most decoded from len chars */
#define pb_base64url_encoded_len(len)                                        \
    (((len) / 3) * 4 + ((len) % 3 ? (len) % 3 + 1 : 0))
#define pb_base64url_decoded_len(len)  (((len) / 4) * 3 + 2)


/* Writes the unpadded encoding of src to dst; returns its length. */
size_t pb_base64url_encode(u_char *dst, const u_char *src, size_t len);

/* Decodes len characters of the URL-safe alphabet, no padding, into dst
 * (pb_base64url_decoded_len(len) bytes); -1 for a character outside the
 * alphabet, an impossible length (len % 4 == 1) or non-zero trailing bits
 * (a non-canonical encoding).  Returns the decoded length. */
ssize_t pb_base64url_decode(u_char *dst, const u_char *src, size_t len);


#endif /* _PB_BASE64URL_H_INCLUDED_ */
