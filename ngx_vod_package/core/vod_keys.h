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
 *              ttl caps it; 0: not cached);
 *   "pssh"     optional, an object of systems: a member per system,
 *              named "widevine" or "playready" or by the system's UUID
 *              (8-4-4-4-12 hex digits, either case), whose value is the
 *              base64 (RFC 4648 4, padded, no line breaks) of the
 *              Data of that system's pssh box (PlayReady's: the
 *              PlayReady Object, whose own length field must say its
 *              length); at most VOD_KEYS_MAX_WIDEVINE and
 *              VOD_KEYS_MAX_PLAYREADY bytes, VOD_KEYS_MAX_PSSH in all.
 *              An object rather than a list of {system_id, data}: a
 *              system has one box, so a member name is the natural key
 *              and a system named twice (also by name and UUID) is an
 *              error.  The common system ("cenc", 1077efec-...) is
 *              refused: its box is the KIDs alone.
 *
 * Hex digits are either case.  Other members are ignored, so that a
 * service may answer more than this packager reads; a member of the six
 * above given twice, of the wrong type or length, is an error, as is a
 * system the packager does not know (the service meant something).
 */

#ifndef _VOD_KEYS_H_INCLUDED_
#define _VOD_KEYS_H_INCLUDED_


#include "vod_core.h"
#include "vod_cenc.h"
#include "vod_protect.h"


/* the pssh data's base64 and the keys' hex, with room to spare */
#define VOD_KEYS_MAX_BODY       8192
#define VOD_KEYS_MAX_TTL        (7 * 24 * 3600)

/* a Widevine pssh's protobuf is tens of bytes (a few KIDs, a provider,
 * a content id); a PlayReady Object with LA_URL, LUI_URL and custom
 * attributes is UTF-16 XML of one or two KB */
#define VOD_KEYS_MAX_WIDEVINE   1024
#define VOD_KEYS_MAX_PLAYREADY  VOD_PROTECT_MAX_DATA
#define VOD_KEYS_MAX_PSSH       VOD_PROTECT_MAX_DATA


typedef struct {
    u_char        kid[16];
    u_char        key[VOD_CENC_KEY_SIZE];
    u_char        iv[VOD_CENC_IV_SIZE];
    u_char        hls_key[VOD_CENC_KEY_SIZE];
    int64_t       ttl;                /* seconds; -1: the answer set none */
    vod_str_t     widevine;           /* pssh data, env->alloc'ed; */
    vod_str_t     playready;          /* len 0: the answer gave none */
    unsigned      has_hls_key:1;
} vod_keys_t;


/* VOD_OK with keys filled (its pssh data in env->alloc'ed memory), or
 * VOD_BAD_DATA with one line through env->log naming what is wrong
 * (never a key's bytes) and keys zeroed; VOD_ERROR when env->alloc
 * fails. */
int vod_keys_parse(vod_env_t *env, const u_char *buf, size_t len,
    vod_keys_t *keys);


#endif /* _VOD_KEYS_H_INCLUDED_ */
