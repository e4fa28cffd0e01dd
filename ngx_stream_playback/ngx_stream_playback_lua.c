/*
 * ngx_stream_playback_lua.c: the public C API of ngx_stream_playback_lua.h
 * over the token core (pb_jwt.h): its flat structs are copied to and from
 * the core's, so that the core's layout is free to change.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_stream_playback_module.h"
#include "ngx_stream_playback_lua.h"
#include "pb_jwt_flat.h"


#define ngx_pb_lua_struct(t)                                                 \
    { #t, NULL, 0, sizeof(t) }

#define ngx_pb_lua_field(t, f)                                               \
    { #t, #f, offsetof(t, f), sizeof(((t *) 0)->f) }


static void ngx_stream_playback_lua_mint_in(pb_jwt_mint_t *pm,
    const ngx_stream_playback_lua_mint_t *m);
static void ngx_stream_playback_lua_str_in(vod_str_t *dst,
    const ngx_stream_playback_lua_str_t *src);
static void ngx_stream_playback_lua_str_out(
    ngx_stream_playback_lua_str_t *dst, const vod_str_t *src);


static const ngx_stream_playback_lua_layout_t  ngx_pb_lua_rows[] = {
    ngx_pb_lua_struct(ngx_stream_playback_lua_str_t),
    ngx_pb_lua_field(ngx_stream_playback_lua_str_t, data),
    ngx_pb_lua_field(ngx_stream_playback_lua_str_t, len),

    ngx_pb_lua_struct(ngx_stream_playback_lua_key_t),
    ngx_pb_lua_field(ngx_stream_playback_lua_key_t, kid),
    ngx_pb_lua_field(ngx_stream_playback_lua_key_t, secret),

    ngx_pb_lua_struct(ngx_stream_playback_lua_claims_t),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, kid),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, sub),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, path),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, tier),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, sid),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, ip),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, exp),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, nbf),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, has_nbf),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, has_path),
    ngx_pb_lua_field(ngx_stream_playback_lua_claims_t, aud),

    ngx_pb_lua_struct(ngx_stream_playback_lua_mint_t),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, kid),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, secret),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, exp),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, nbf),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, sub),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, path),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, tier),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, sid),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, ip),
    ngx_pb_lua_field(ngx_stream_playback_lua_mint_t, aud),

    ngx_pb_lua_struct(ngx_stream_playback_lua_layout_t),
    ngx_pb_lua_field(ngx_stream_playback_lua_layout_t, type),
    ngx_pb_lua_field(ngx_stream_playback_lua_layout_t, field),
    ngx_pb_lua_field(ngx_stream_playback_lua_layout_t, offset),
    ngx_pb_lua_field(ngx_stream_playback_lua_layout_t, size),

    { NULL, NULL, 0, 0 }
};


int
ngx_stream_playback_lua_version(void)
{
    return NGX_STREAM_PLAYBACK_LUA_VERSION;
}


const ngx_stream_playback_lua_layout_t *
ngx_stream_playback_lua_layout(void)
{
    return ngx_pb_lua_rows;
}


ssize_t
ngx_stream_playback_lua_key_decode(unsigned char *key,
    const unsigned char *text, size_t len)
{
    return pb_key_decode(key, text, len);
}


size_t
ngx_stream_playback_lua_mint_size(const ngx_stream_playback_lua_mint_t *m)
{
    pb_jwt_mint_t  pm;

    ngx_stream_playback_lua_mint_in(&pm, m);

    return pb_jwt_mint_size(&pm);
}


int
ngx_stream_playback_lua_mint(const ngx_stream_playback_lua_mint_t *m,
    unsigned char *out, size_t size, size_t *len)
{
    pb_jwt_mint_t  pm;

    ngx_stream_playback_lua_mint_in(&pm, m);

    return pb_jwt_mint(&pm, out, size, len);
}


size_t
ngx_stream_playback_lua_scratch_size(size_t len, size_t nkeys)
{
    /* the core's keys first, aligned, then the verifier's own scratch */
    return NGX_ALIGNMENT + nkeys * sizeof(pb_jwt_key_t)
           + pb_jwt_flat_scratch(len);
}


int
ngx_stream_playback_lua_verify(const unsigned char *token, size_t len,
    const ngx_stream_playback_lua_key_t *keys, size_t nkeys, int64_t now,
    int64_t leeway, unsigned char *scratch, size_t scratch_size,
    ngx_stream_playback_lua_claims_t *claims)
{
    int               rc;
    size_t            i, room;
    u_char           *p, *last;
    pb_jwt_key_t     *k;
    pb_jwt_claims_t   c;

    ngx_memzero(claims, sizeof(ngx_stream_playback_lua_claims_t));

    p = ngx_align_ptr(scratch, NGX_ALIGNMENT);
    last = scratch + scratch_size;

    if (p > last) {
        return PB_JWT_ERROR;
    }

    room = last - p;

    if (nkeys > room / sizeof(pb_jwt_key_t)) {
        return PB_JWT_ERROR;
    }

    k = (pb_jwt_key_t *) p;

    for (i = 0; i < nkeys; i++) {
        ngx_stream_playback_lua_str_in(&k[i].kid, &keys[i].kid);
        ngx_stream_playback_lua_str_in(&k[i].secret, &keys[i].secret);
        k[i].mac = NULL;
    }

    p += nkeys * sizeof(pb_jwt_key_t);

    ngx_memzero(&c, sizeof(pb_jwt_claims_t));

    rc = pb_jwt_verify_flat(token, len, k, nkeys, now, leeway, p, last - p,
                            &c, NULL);

    if (rc != PB_JWT_OK) {
        return rc;
    }

    ngx_stream_playback_lua_str_out(&claims->kid, &c.kid);
    ngx_stream_playback_lua_str_out(&claims->sub, &c.sub);
    ngx_stream_playback_lua_str_out(&claims->path, &c.path);
    ngx_stream_playback_lua_str_out(&claims->tier, &c.tier);
    ngx_stream_playback_lua_str_out(&claims->sid, &c.sid);
    ngx_stream_playback_lua_str_out(&claims->ip, &c.ip);
    claims->exp = c.exp;
    claims->nbf = c.nbf;
    claims->has_nbf = c.has_nbf;
    claims->has_path = c.has_path;
    claims->aud = c.aud;

    return PB_JWT_OK;
}


int
ngx_stream_playback_lua_check_audience(
    const ngx_stream_playback_lua_claims_t *claims, uint32_t use)
{
    pb_jwt_claims_t  c;

    ngx_memzero(&c, sizeof(pb_jwt_claims_t));
    c.aud = claims->aud;

    return pb_jwt_check_audience(&c, use);
}


int
ngx_stream_playback_lua_check_path(
    const ngx_stream_playback_lua_claims_t *claims,
    const unsigned char *path, size_t len)
{
    pb_jwt_claims_t  c;

    ngx_memzero(&c, sizeof(pb_jwt_claims_t));
    c.has_path = claims->has_path ? 1 : 0;
    ngx_stream_playback_lua_str_in(&c.path, &claims->path);

    return pb_jwt_check_path(&c, path, len);
}


int
ngx_stream_playback_lua_normalize_path(const unsigned char *in,
    size_t len, int decode, unsigned char *out, size_t *out_len)
{
    return pb_jwt_normalize_path(in, len, decode, out, out_len);
}


const char *
ngx_stream_playback_lua_reason(int status)
{
    return pb_jwt_reason(status);
}


static void
ngx_stream_playback_lua_mint_in(pb_jwt_mint_t *pm,
    const ngx_stream_playback_lua_mint_t *m)
{
    /* profiles are left out: the API does not mint them */
    ngx_memzero(pm, sizeof(pb_jwt_mint_t));

    ngx_stream_playback_lua_str_in(&pm->kid, &m->kid);
    ngx_stream_playback_lua_str_in(&pm->secret, &m->secret);
    pm->exp = m->exp;
    pm->nbf = m->nbf;
    ngx_stream_playback_lua_str_in(&pm->sub, &m->sub);
    ngx_stream_playback_lua_str_in(&pm->path, &m->path);
    ngx_stream_playback_lua_str_in(&pm->tier, &m->tier);
    ngx_stream_playback_lua_str_in(&pm->sid, &m->sid);
    ngx_stream_playback_lua_str_in(&pm->ip, &m->ip);
    pm->aud = m->aud;
}


static void
ngx_stream_playback_lua_str_in(vod_str_t *dst,
    const ngx_stream_playback_lua_str_t *src)
{
    /* the core reads these strings only */
    dst->data = (u_char *) src->data;
    dst->len = src->len;
}


static void
ngx_stream_playback_lua_str_out(ngx_stream_playback_lua_str_t *dst,
    const vod_str_t *src)
{
    dst->data = src->data;
    dst->len = src->len;
}
