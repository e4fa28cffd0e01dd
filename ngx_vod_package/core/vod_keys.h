/*
 * vod_keys.h: a key service's answer (vod_encryption_key_service), parsed
 * strictly: what the glue then encrypts with must be exactly what the
 * service said, or nothing.
 *
 * The answer is one JSON object (at most VOD_KEYS_MAX_BODY bytes):
 *
 *   "kid"      required, 32 hex digits: the KID the manifests and init
 *              segments carry;
 *   "key"      required, 32 hex digits: the CENC/cbcs content key;
 *   "iv"       optional, 32 hex digits: the title's IV ('cbcs' constant
 *              IV; 'cenc' segment IVs are made from it, vod_protect.h);
 *              without it the IV is the first 16 bytes of
 *              HMAC-SHA256(key, "vodedge-cenc-iv"): unique per key and
 *              the same on every packager, which caches need;
 *   "hls_key"  optional, 32 hex digits: the HLS AES-128 key of MPEG-TS
 *              output and aes.key; without it the title has no AES-128
 *              key (the CENC key is never reused under another cipher
 *              mode) and those requests fail;
 *   "ttl"      optional, an integer of seconds 0 to VOD_KEYS_MAX_TTL:
 *              how long the answer may be cached (the location's cache
 *              ttl caps it; 0: not cached).
 *
 * Hex digits are either case.  Other members are ignored, so that a
 * service may answer more than this packager reads (per-system "pssh"
 * data, for one: the boxes are still made from the KID, vod_protect.h);
 * a member of the five above given twice, of the wrong type or length,
 * is an error.
 */

#ifndef _VOD_KEYS_H_INCLUDED_
#define _VOD_KEYS_H_INCLUDED_


#include "vod_core.h"
#include "vod_cenc.h"


#define VOD_KEYS_MAX_BODY   4096
#define VOD_KEYS_MAX_TTL    (7 * 24 * 3600)


typedef struct {
    u_char        kid[16];
    u_char        key[VOD_CENC_KEY_SIZE];
    u_char        iv[VOD_CENC_IV_SIZE];
    u_char        hls_key[VOD_CENC_KEY_SIZE];
    int64_t       ttl;                /* seconds; -1: the answer set none */
    unsigned      has_hls_key:1;
} vod_keys_t;


/* VOD_OK with keys filled, or VOD_BAD_DATA with one line through
 * env->log naming what is wrong (never a key's bytes) and keys zeroed;
 * VOD_ERROR when env->alloc fails. */
int vod_keys_parse(vod_env_t *env, const u_char *buf, size_t len,
    vod_keys_t *keys);


#endif /* _VOD_KEYS_H_INCLUDED_ */
