/*
 * pb_jwt_flat.h: token verification for hosts without a vod_env_t, such
 * as the edge's public C API for LuaJIT's FFI (ngx_stream_playback_lua.c).
 * Memory comes from a buffer the caller owns; the claims point into it and
 * into the token.
 */

#ifndef _PB_JWT_FLAT_H_INCLUDED_
#define _PB_JWT_FLAT_H_INCLUDED_


#include "pb_jwt.h"


/* Enough scratch for any token of len bytes. */
#define pb_jwt_flat_scratch(len)  (16 * (len) + 4096)

/* pb_jwt_verify() with the keys, clock and leeway given flat; returns a
 * PB_JWT_* status, and *err a static detail on refusal (may be NULL). */
int pb_jwt_verify_flat(const u_char *token, size_t len,
    const pb_jwt_key_t *keys, size_t nkeys, int64_t now, int64_t leeway,
    u_char *scratch, size_t scratch_size, pb_jwt_claims_t *claims,
    const char **err);


#endif /* _PB_JWT_FLAT_H_INCLUDED_ */
