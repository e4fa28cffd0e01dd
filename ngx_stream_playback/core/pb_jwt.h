/*
 * pb_jwt.h: the nginx-free core of the edge's signed URLs: JWTs (RFC 7519)
 * in JWS compact serialisation (RFC 7515) signed with HS256 only, their
 * claims, the request path and client address checks, and minting.
 *
 * Nothing here includes nginx headers: memory comes from a vod_env_t (the
 * request pool in nginx, a tracked heap in tests and fuzzers), and every
 * allocation is bounded by the token length, which is checked against
 * max_length before anything is allocated.
 */

#ifndef _PB_JWT_H_INCLUDED_
#define _PB_JWT_H_INCLUDED_


#include "vod_core.h"


/* verification status; pb_jwt_reason() names each for logs and bodies */
#define PB_JWT_OK              0
#define PB_JWT_MISSING         1
#define PB_JWT_MALFORMED       2
#define PB_JWT_BAD_SIGNATURE   3
#define PB_JWT_UNKNOWN_KID     4
#define PB_JWT_EXPIRED         5
#define PB_JWT_NOT_YET_VALID   6
#define PB_JWT_WRONG_PATH      7
#define PB_JWT_WRONG_IP        8
#define PB_JWT_ERROR           9      /* allocation failure: 500 */
#define PB_JWT_WRONG_AUDIENCE  10     /* aud does not name this use */

/* the audiences of the aud claim, as bits of pb_jwt_claims_t.aud */
#define PB_JWT_AUD_MEDIA       0x01   /* signed URLs */
#define PB_JWT_AUD_API         0x02   /* the playback API's Bearer tokens */
#define PB_JWT_AUD_OTHER       0x04   /* a value named neither */

#define PB_JWT_MAX_LENGTH      4096   /* default bound of a token */
#define PB_JWT_MAX_LENGTH_LIMIT  65536
#define PB_JWT_KEY_MIN         32     /* RFC 7518, 3.2: >= the hash size */
#define PB_JWT_KEY_MAX         1024


/* what pb_key_decode() may write: the decoder's bound for the longest key */
#define PB_KEY_BUF             (PB_JWT_KEY_MAX + 2)

/* pb_key_decode() failures */
#define PB_KEY_EMPTY           -1
#define PB_KEY_NOT_BASE64URL   -2
#define PB_KEY_BAD_SIZE        -3
#define PB_JWT_KID_MAX         128
#define PB_JWT_PROFILES_MAX    64     /* strings in a profiles claim */
#define PB_JWT_MAC_LEN         32


typedef struct {
    vod_str_t       kid;
    vod_str_t       secret;           /* raw key bytes */
    void           *mac;              /* pb_jwt_key_prepare(), or NULL */
} pb_jwt_key_t;


typedef struct {
    u_char          family;           /* 4 or 6; 0: none */
    u_char          bits;             /* prefix length */
    u_char          addr[16];         /* network byte order, masked */
} pb_jwt_cidr_t;


typedef struct {
    vod_str_t       kid;
    vod_str_t       sub;              /* account id */
    vod_str_t       path;             /* path prefix granted */
    vod_str_t       tier;
    vod_str_t       sid;              /* playback session id */
    vod_str_t       ip;               /* address or CIDR as written */
    int64_t         exp;
    int64_t         nbf;
    unsigned        has_nbf:1;
    unsigned        has_path:1;
    pb_jwt_cidr_t   cidr;             /* family 0 without an ip claim */
    vod_str_t      *profiles;         /* NULL without a profiles claim */
    size_t          nprofiles;
    unsigned        aud;              /* PB_JWT_AUD_*; 0: no aud claim */
} pb_jwt_claims_t;


typedef struct {
    const pb_jwt_key_t  *keys;
    size_t               nkeys;
    int64_t              now;         /* seconds since the epoch */
    int64_t              leeway;      /* seconds of clock skew allowed */
    size_t               max_length;  /* 0: PB_JWT_MAX_LENGTH */
    const char          *err;         /* set on refusal: static detail */
} pb_jwt_verify_t;


typedef struct {
    vod_str_t       kid;
    vod_str_t       secret;
    int64_t         exp;
    int64_t         nbf;              /* 0: no nbf claim */
    vod_str_t       sub;              /* data NULL: claim left out */
    vod_str_t       path;
    vod_str_t       tier;
    vod_str_t       sid;
    vod_str_t       ip;
    const vod_str_t *profiles;        /* NULL: claim left out */
    size_t          nprofiles;
    unsigned        aud;              /* PB_JWT_AUD_MEDIA and/or _API;
                                         0: claim left out */
} pb_jwt_mint_t;


/* Verifies a compact JWS: its header (alg HS256, a known kid, typ JWT if
 * any, no crit), its HMAC-SHA256 compared in constant time, then its
 * claims (exp required, nbf, leeway, the types of sub, path, tier, sid,
 * aud a string or an array of strings, the syntax of ip, profiles an
 * array of at most PB_JWT_PROFILES_MAX non-empty strings).  Returns a
 * PB_JWT_* status; claims are filled on PB_JWT_OK and as far as parsed
 * otherwise, with strings in env memory. */
int pb_jwt_verify(vod_env_t *env, pb_jwt_verify_t *v, const u_char *token,
    size_t len, pb_jwt_claims_t *claims);

/* The time claims against now, with leeway both ways: PB_JWT_OK,
 * PB_JWT_EXPIRED or PB_JWT_NOT_YET_VALID (err says which). */
int pb_jwt_check_time(const pb_jwt_claims_t *claims, int64_t now,
    int64_t leeway, const char **err);

/* Keys the HMAC once (an OpenSSL EVP_MAC_CTX in key->mac), so that each
 * verification only hashes the token: the one-shot HMAC() looks the
 * algorithm up and keys it again on every call, most of a verification's
 * cost.  Not thread-safe per key.  Returns 0, or -1 (key->mac NULL: the
 * one-shot path is used). */
int pb_jwt_key_prepare(pb_jwt_key_t *key);
/* frees what pb_jwt_key_prepare() left in key->mac (NULL is fine) */
void pb_jwt_mac_free(void *mac);

/* PB_JWT_OK when the token is meant for use (PB_JWT_AUD_MEDIA or
 * PB_JWT_AUD_API): its aud claim names it, or, for PB_JWT_AUD_MEDIA only,
 * it has no aud claim (signed URLs minted before audiences existed);
 * PB_JWT_WRONG_AUDIENCE otherwise. */
int pb_jwt_check_audience(const pb_jwt_claims_t *claims, unsigned use);

/* PB_JWT_OK when the normalised path lies under the path claim (a claim
 * ending in '/' covers what starts with it; one without covers itself and
 * what lies below it), PB_JWT_WRONG_PATH otherwise or without a claim. */
int pb_jwt_check_path(const pb_jwt_claims_t *claims, const u_char *path,
    size_t len);

/* 1 when the profiles claim lists the profile, 0 otherwise or without a
 * claim. */
int pb_jwt_has_profile(const pb_jwt_claims_t *claims, const u_char *profile,
    size_t len);

/* PB_JWT_OK when there is no ip claim or the client address (family 4
 * with 4 bytes or 6 with 16; IPv4-mapped IPv6 counts as IPv4) lies in it,
 * PB_JWT_WRONG_IP otherwise. */
int pb_jwt_check_ip(const pb_jwt_claims_t *claims, int family,
    const u_char *addr);

/* Parses "address" or "address/bits", IPv4 or IPv6; -1 when malformed. */
int pb_jwt_parse_cidr(const u_char *text, size_t len, pb_jwt_cidr_t *cidr);

/* Normalises an absolute request path into out (len + 1 bytes): with
 * decode, %XX escapes are decoded and an encoded '/', '\' or NUL refused;
 * a raw '\' or NUL, a bad escape, and a ".." above the root are refused;
 * "." and ".." are resolved and "//" collapsed; a trailing '/' is kept.
 * Returns PB_JWT_OK or PB_JWT_WRONG_PATH. */
int pb_jwt_normalize_path(const u_char *in, size_t len, int decode,
    u_char *out, size_t *out_len);

/* Space pb_jwt_mint() needs at most, and the minting itself: writes the
 * token to out (no NUL) and its length to *len.  Returns PB_JWT_OK, or
 * PB_JWT_ERROR for a short buffer, a key out of bounds or an HMAC
 * failure. */
size_t pb_jwt_mint_size(const pb_jwt_mint_t *m);
int pb_jwt_mint(const pb_jwt_mint_t *m, u_char *out, size_t size,
    size_t *len);

/* "OK", "missing", "malformed", "bad-signature", "unknown-kid",
 * "expired", "not-yet-valid", "wrong-path", "wrong-ip", "error",
 * "wrong-audience". */
const char *pb_jwt_reason(int status);


/* A key file's text: the secret in base64url, padding and surrounding
 * whitespace ignored.  Decodes into key (PB_KEY_BUF bytes) and returns
 * the secret's length, or a PB_KEY_* failure; the module and
 * bin/vodedge-token read key files through this one function. */
ssize_t pb_key_decode(u_char *key, const u_char *text, size_t len);


#endif /* _PB_JWT_H_INCLUDED_ */
