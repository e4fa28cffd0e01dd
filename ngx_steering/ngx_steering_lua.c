/*
 * ngx_steering_lua.c: the public C API of ngx_steering_lua.h, through
 * which a Lua policy (lua/vodedge_steering.lua) reorders or vetoes a
 * request's candidates.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"
#include "ngx_steering_lua.h"


#define ngx_steering_lua_struct(t)                                           \
    { #t, NULL, 0, sizeof(t) }

#define ngx_steering_lua_field(t, f)                                         \
    { #t, #f, offsetof(t, f), sizeof(((t *) 0)->f) }


static const ngx_steering_lua_layout_t  ngx_steering_lua_rows[] = {
    ngx_steering_lua_struct(ngx_steering_candidate_t),
    ngx_steering_lua_field(ngx_steering_candidate_t, id),
    ngx_steering_lua_field(ngx_steering_candidate_t, id_len),
    ngx_steering_lua_field(ngx_steering_candidate_t, url),
    ngx_steering_lua_field(ngx_steering_candidate_t, url_len),
    ngx_steering_lua_field(ngx_steering_candidate_t, tier),
    ngx_steering_lua_field(ngx_steering_candidate_t, score),

    ngx_steering_lua_struct(ngx_steering_lua_layout_t),
    ngx_steering_lua_field(ngx_steering_lua_layout_t, type),
    ngx_steering_lua_field(ngx_steering_lua_layout_t, field),
    ngx_steering_lua_field(ngx_steering_lua_layout_t, offset),
    ngx_steering_lua_field(ngx_steering_lua_layout_t, size),

    { NULL, NULL, 0, 0 }
};


int
ngx_steering_lua_version(void)
{
    return NGX_STEERING_LUA_VERSION;
}


const ngx_steering_lua_layout_t *
ngx_steering_lua_layout(void)
{
    return ngx_steering_lua_rows;
}


int
ngx_steering_candidates(ngx_http_request_t *r,
    ngx_steering_candidate_t *out, int max, ngx_str_t *title,
    const char **err)
{
    ngx_uint_t            i;
    ngx_steering_ctx_t   *ctx;
    ngx_steering_pick_t  *pick;

    ctx = ngx_steering_decide(r);

    if (ctx == NULL) {
        *err = "no steering decision here (no steering_fleet, or out of "
               "memory)";
        return NGX_ERROR;
    }

    if (ctx->status != NGX_OK) {
        *err = "no valid title";
        return NGX_ERROR;
    }

    *title = ctx->title;

    for (i = 0; i < ctx->n && i < (ngx_uint_t) max; i++) {
        pick = &ctx->rank[i];

        out[i].id = pick->id.data;
        out[i].id_len = pick->id.len;
        out[i].url = pick->url.data;
        out[i].url_len = pick->url.len;
        out[i].tier = pick->tier;
        out[i].score = pick->score;
    }

    return (int) i;
}


int
ngx_steering_set_order(ngx_http_request_t *r, const int *order, int n,
    const char **err)
{
    int                        i;
    u_char                     seen[ST_RANK_MAX];
    ngx_uint_t                 k;
    ngx_steering_ctx_t        *ctx;
    ngx_steering_pick_t        rank[ST_RANK_MAX];
    ngx_steering_main_conf_t  *smcf;

    ctx = ngx_http_get_module_ctx(r, ngx_steering_module);

    if (ctx == NULL || ctx->status != NGX_OK) {
        *err = "no candidates to order: call candidates() first";
        return NGX_ERROR;
    }

    if (n < 1) {
        *err = "the order keeps no candidate: at least one is needed";
        return NGX_ERROR;
    }

    if (n > (int) ctx->n) {
        *err = "the order has more entries than there are candidates";
        return NGX_ERROR;
    }

    ngx_memzero(seen, sizeof(seen));

    for (i = 0; i < n; i++) {
        if (order[i] < 0 || order[i] >= (int) ctx->n) {
            *err = "the order names a position out of range";
            return NGX_ERROR;
        }

        if (seen[order[i]]) {
            *err = "the order names a candidate twice";
            return NGX_ERROR;
        }

        seen[order[i]] = 1;
        rank[i] = ctx->rank[order[i]];
    }

    if (rank[0].id.len != ctx->rank[0].id.len
        || ngx_strncmp(rank[0].id.data, ctx->rank[0].id.data,
                       rank[0].id.len)
           != 0)
    {
        ctx->reason = ST_REASON_POLICY;
    }

    ngx_memcpy(ctx->rank, rank, n * sizeof(ngx_steering_pick_t));
    ctx->n = n;

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);

    ctx->tier = ctx->rank[0].tier;
    ctx->ttl = smcf->ttl[ctx->tier];

    for (k = 1; k < ctx->n && ctx->rank[k].tier == ctx->tier; k++) {
        /* void */
    }

    ctx->primary_count = k;

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "steering \"%V\": policy order, %V first, %ui kept",
                   &ctx->title, &ctx->rank[0].id, ctx->n);

    return NGX_OK;
}
