/*
 * ngx_stream_playback_lua.h: the edge module's public C API, for LuaJIT's
 * FFI (lua/vodedge_token.lua) and sibling modules: key files, minting and
 * verifying playback tokens with the module's own code.
 *
 * Everything here has fixed layout and plain types (no bitfields, none of
 * the core's structs), and the module exports these functions and nothing
 * else of its code.  NGX_STREAM_PLAYBACK_LUA_VERSION changes whenever a
 * declaration here does; a caller checks ngx_stream_playback_lua_version()
 * against the version it was written for.  The cdef of
 * lua/vodedge_token.lua declares the same, checked by t/125-lua-api.t
 * against ngx_stream_playback_lua_layout().
 */

#ifndef _NGX_STREAM_PLAYBACK_LUA_H_INCLUDED_
#define _NGX_STREAM_PLAYBACK_LUA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


#define NGX_STREAM_PLAYBACK_LUA_VERSION  1

/* statuses: 0 is success, others are named by ..._lua_reason() */
#define NGX_STREAM_PLAYBACK_LUA_OK       0

/* the aud claim's bits */
#define NGX_STREAM_PLAYBACK_LUA_AUD_MEDIA  0x01  /* signed URLs */
#define NGX_STREAM_PLAYBACK_LUA_AUD_API    0x02  /* the playback API */
#define NGX_STREAM_PLAYBACK_LUA_AUD_OTHER  0x04  /* a value named neither */

/* what ngx_stream_playback_lua_key_decode() may write */
#define NGX_STREAM_PLAYBACK_LUA_KEY_BUF  (1024 + 2)


typedef struct {
    const unsigned char  *data;      /* NULL: absent */
    size_t                len;
} ngx_stream_playback_lua_str_t;


typedef struct {
    ngx_stream_playback_lua_str_t  kid;
    ngx_stream_playback_lua_str_t  secret;    /* raw key bytes */
} ngx_stream_playback_lua_key_t;


/* what a verified token claims; the strings point into the token and the
 * caller's scratch buffer */
typedef struct {
    ngx_stream_playback_lua_str_t  kid;
    ngx_stream_playback_lua_str_t  sub;       /* account id */
    ngx_stream_playback_lua_str_t  path;      /* path prefix granted */
    ngx_stream_playback_lua_str_t  tier;
    ngx_stream_playback_lua_str_t  sid;       /* playback session id */
    ngx_stream_playback_lua_str_t  ip;        /* address or CIDR */
    int64_t                        exp;
    int64_t                        nbf;
    uint32_t                       has_nbf;   /* 1 with an nbf claim */
    uint32_t                       has_path;  /* 1 with a path claim */
    uint32_t                       aud;       /* ..._AUD_*; 0: no claim */
} ngx_stream_playback_lua_claims_t;


/* a token to mint: strings with data NULL and aud 0 are left out, and so
 * is nbf 0 */
typedef struct {
    ngx_stream_playback_lua_str_t  kid;
    ngx_stream_playback_lua_str_t  secret;
    int64_t                        exp;
    int64_t                        nbf;
    ngx_stream_playback_lua_str_t  sub;
    ngx_stream_playback_lua_str_t  path;
    ngx_stream_playback_lua_str_t  tier;
    ngx_stream_playback_lua_str_t  sid;
    ngx_stream_playback_lua_str_t  ip;
    uint32_t                       aud;       /* AUD_MEDIA and/or AUD_API */
} ngx_stream_playback_lua_mint_t;


/* one row of ngx_stream_playback_lua_layout(): a struct (field NULL, size
 * its sizeof) or one of its fields, in declaration order */
typedef struct {
    const char  *type;
    const char  *field;
    size_t       offset;
    size_t       size;
} ngx_stream_playback_lua_layout_t;


/* NGX_STREAM_PLAYBACK_LUA_VERSION as the module was built */
int ngx_stream_playback_lua_version(void);

/* The layout of every struct above as the module was compiled, ended by
 * a row with type NULL. */
const ngx_stream_playback_lua_layout_t *ngx_stream_playback_lua_layout(
    void);

/* A key file's text, as playback_token_key reads it (base64url, padding
 * and surrounding whitespace ignored), decoded into key (..._KEY_BUF
 * bytes).  Returns the secret's length, or a negative value when it is
 * not base64url of 32 to 1024 bytes. */
ssize_t ngx_stream_playback_lua_key_decode(unsigned char *key,
    const unsigned char *text, size_t len);

/* The space ngx_stream_playback_lua_mint() needs at most, and the minting:
 * the token into out (no NUL), its length into *len.  Returns 0, or not 0
 * for a short buffer, a key out of bounds or an HMAC failure. */
size_t ngx_stream_playback_lua_mint_size(
    const ngx_stream_playback_lua_mint_t *m);
int ngx_stream_playback_lua_mint(const ngx_stream_playback_lua_mint_t *m,
    unsigned char *out, size_t size, size_t *len);

/* The scratch ngx_stream_playback_lua_verify() needs for a token of len
 * bytes checked against nkeys keys. */
size_t ngx_stream_playback_lua_scratch_size(size_t len, size_t nkeys);

/* Verifies a token as playback_token does (signature, kid, exp and nbf
 * with leeway seconds either side of now, the claims' types) and fills
 * claims on success.  Returns 0 or the refusal's status. */
int ngx_stream_playback_lua_verify(const unsigned char *token, size_t len,
    const ngx_stream_playback_lua_key_t *keys, size_t nkeys, int64_t now,
    int64_t leeway, unsigned char *scratch, size_t scratch_size,
    ngx_stream_playback_lua_claims_t *claims);

/* 0 when the token is meant for use (AUD_MEDIA or AUD_API): its aud claim
 * names it, or, for AUD_MEDIA only, it has no aud claim; the status of
 * "wrong-audience" otherwise. */
int ngx_stream_playback_lua_check_audience(
    const ngx_stream_playback_lua_claims_t *claims, uint32_t use);

/* 0 when the normalised path lies under the path claim, the status of
 * "wrong-path" otherwise or without a claim. */
int ngx_stream_playback_lua_check_path(
    const ngx_stream_playback_lua_claims_t *claims,
    const unsigned char *path, size_t len);

/* Normalises an absolute request path into out (len + 1 bytes), decoding
 * %XX escapes with decode (an encoded '/', '\' or NUL refused): resolves
 * "." and "..", collapses "//", refuses a raw '\' or NUL, a bad escape
 * and a ".." above the root.  Returns 0 or the status of "wrong-path". */
int ngx_stream_playback_lua_normalize_path(const unsigned char *in,
    size_t len, int decode, unsigned char *out, size_t *out_len);

/* A status's name, as the module logs it: "OK", "missing", "malformed",
 * "bad-signature", "unknown-kid", "expired", "not-yet-valid",
 * "wrong-path", "wrong-ip", "error", "wrong-audience". */
const char *ngx_stream_playback_lua_reason(int status);


#endif /* _NGX_STREAM_PLAYBACK_LUA_H_INCLUDED_ */
