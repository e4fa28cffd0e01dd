/*
 * ngx_stream_playback_token_cache.c: verified tokens, remembered per
 * worker.  A viewer sends the same token with every playlist and segment
 * request for as long as it plays; checking its HMAC and parsing its JSON
 * each time is most of what the edge's checks cost.  A token that
 * verified is kept here, keyed by its exact bytes and by the key set that
 * verified it; a later request with the same bytes under the same keys
 * takes its claims from here, after checking exp and nbf against the
 * clock again (the path and address checks run per request anyway).
 * Media URLs and the playback API's Bearer tokens alike.  Direct-mapped:
 * a colliding token replaces the older one.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


#define NGX_PLAYBACK_TC_ENTRIES   1024           /* a power of two */
#define NGX_PLAYBACK_TC_TOKEN     768            /* longest token kept */
#define NGX_PLAYBACK_TC_DATA      512            /* its claims' strings */


typedef struct {
    void              *keys;          /* the key set that verified it */
    uint32_t           hash;
    uint32_t           token_len;     /* 0: empty entry */
    uint32_t           data_len;
    pb_jwt_claims_t    claims;        /* strings as offsets into data */
    u_char             token[NGX_PLAYBACK_TC_TOKEN];
    /* pointer-aligned: token[] starts so and is a multiple of 8 long */
    u_char             data[NGX_PLAYBACK_TC_DATA];
} ngx_stream_playback_tc_entry_t;


static ngx_int_t ngx_stream_playback_tc_table(void);
static ngx_uint_t ngx_stream_playback_tc_copy_str(vod_str_t *dst,
    const vod_str_t *src, u_char *base, u_char **p, u_char *last);


/* per worker: made on first use, dropped with the process */
static ngx_stream_playback_tc_entry_t  *ngx_stream_playback_tc;
static ngx_cycle_t                     *ngx_stream_playback_tc_cycle;


static ngx_int_t
ngx_stream_playback_tc_table(void)
{
    size_t  size;

    size = NGX_PLAYBACK_TC_ENTRIES * sizeof(ngx_stream_playback_tc_entry_t);

    if (ngx_stream_playback_tc == NULL) {
        ngx_stream_playback_tc = ngx_alloc(size, ngx_cycle->log);
        if (ngx_stream_playback_tc == NULL) {
            return NGX_ERROR;
        }

        ngx_stream_playback_tc_cycle = NULL;
    }

    if (ngx_stream_playback_tc_cycle != (ngx_cycle_t *) ngx_cycle) {
        /* a new configuration (single-process reload): keys may differ,
         * even at the same addresses */
        ngx_memzero(ngx_stream_playback_tc, size);
        ngx_stream_playback_tc_cycle = (ngx_cycle_t *) ngx_cycle;
    }

    return NGX_OK;
}


/* NGX_OK with claims (strings in the request's pool) when the token
 * verified here before and its time claims still hold */

ngx_int_t
ngx_stream_playback_tc_get(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_str_t *token,
    pb_jwt_claims_t *claims)
{
    u_char                          *data;
    uint32_t                         hash;
    ngx_uint_t                       i;
    const char                      *err;
    ngx_stream_playback_tc_entry_t  *e;

    if (token->len > NGX_PLAYBACK_TC_TOKEN || token->len > plcf->max_length
        || ngx_stream_playback_tc_table() != NGX_OK)
    {
        return NGX_DECLINED;
    }

    hash = ngx_murmur_hash2(token->data, token->len);
    e = &ngx_stream_playback_tc[hash & (NGX_PLAYBACK_TC_ENTRIES - 1)];

    if (e->token_len != token->len || e->hash != hash
        || e->keys != plcf->keys
        || ngx_memcmp(e->token, token->data, token->len) != 0)
    {
        return NGX_DECLINED;
    }

    if (pb_jwt_check_time(&e->claims, ngx_time(), plcf->leeway, &err)
        != PB_JWT_OK)
    {
        return NGX_DECLINED;        /* verified again, for the reason */
    }

    /* the entry may be replaced while this request still uses them */

    data = ngx_palloc(r->pool, e->data_len ? e->data_len : 1);
    if (data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(data, e->data, e->data_len);

    *claims = e->claims;
    claims->kid.data = data + (size_t) e->claims.kid.data;
    claims->sub.data = data + (size_t) e->claims.sub.data;
    claims->path.data = data + (size_t) e->claims.path.data;
    claims->tier.data = data + (size_t) e->claims.tier.data;
    claims->sid.data = data + (size_t) e->claims.sid.data;
    claims->ip.data = data + (size_t) e->claims.ip.data;

    if (e->claims.profiles != NULL) {
        /* the array sits at the start of data, its strings as offsets */
        claims->profiles = (vod_str_t *) data;

        for (i = 0; i < claims->nprofiles; i++) {
            claims->profiles[i].data = data
                                       + (size_t) claims->profiles[i].data;
        }
    }

    return NGX_OK;
}


void
ngx_stream_playback_tc_put(ngx_stream_playback_loc_conf_t *plcf,
    ngx_str_t *token, const pb_jwt_claims_t *claims)
{
    u_char                          *p, *last;
    uint32_t                         hash;
    vod_str_t                       *prof;
    ngx_uint_t                       i, ok;
    ngx_stream_playback_tc_entry_t  *e;

    if (token->len > NGX_PLAYBACK_TC_TOKEN
        || claims->nprofiles * sizeof(vod_str_t) > NGX_PLAYBACK_TC_DATA
        || ngx_stream_playback_tc_table() != NGX_OK)
    {
        return;
    }

    hash = ngx_murmur_hash2(token->data, token->len);
    e = &ngx_stream_playback_tc[hash & (NGX_PLAYBACK_TC_ENTRIES - 1)];

    e->token_len = 0;
    e->claims = *claims;

    p = e->data;
    last = e->data + NGX_PLAYBACK_TC_DATA;

    /* a profiles claim (API tokens): the array first, aligned, then the
     * strings; offsets in both */

    ok = 1;

    if (claims->profiles != NULL) {
        prof = (vod_str_t *) p;
        p += claims->nprofiles * sizeof(vod_str_t);

        for (i = 0; ok && i < claims->nprofiles; i++) {
            ok = ngx_stream_playback_tc_copy_str(&prof[i],
                                                 &claims->profiles[i],
                                                 e->data, &p, last);
        }

        e->claims.profiles = (vod_str_t *) (uintptr_t) 1;   /* non-NULL */
    }

    ok = ok && ngx_stream_playback_tc_copy_str(&e->claims.kid, &claims->kid,
                                         e->data, &p, last)
         && ngx_stream_playback_tc_copy_str(&e->claims.sub, &claims->sub,
                                            e->data, &p, last)
         && ngx_stream_playback_tc_copy_str(&e->claims.path, &claims->path,
                                            e->data, &p, last)
         && ngx_stream_playback_tc_copy_str(&e->claims.tier, &claims->tier,
                                            e->data, &p, last)
         && ngx_stream_playback_tc_copy_str(&e->claims.sid, &claims->sid,
                                            e->data, &p, last)
         && ngx_stream_playback_tc_copy_str(&e->claims.ip, &claims->ip,
                                            e->data, &p, last);

    if (!ok) {
        return;                     /* too long to keep: verified each time */
    }

    ngx_memcpy(e->token, token->data, token->len);
    e->keys = plcf->keys;
    e->hash = hash;
    e->data_len = p - e->data;
    e->token_len = token->len;
}


/* the string at offset (p - base), as a pointer-sized number */

static ngx_uint_t
ngx_stream_playback_tc_copy_str(vod_str_t *dst, const vod_str_t *src,
    u_char *base, u_char **p, u_char *last)
{
    if ((size_t) (last - *p) < src->len) {
        return 0;
    }

    if (src->len) {
        ngx_memcpy(*p, src->data, src->len);
    }

    dst->data = (u_char *) (uintptr_t) (*p - base);
    dst->len = src->len;
    *p += src->len;

    return 1;
}
