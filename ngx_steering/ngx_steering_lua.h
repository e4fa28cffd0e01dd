/*
 * ngx_steering_lua.h: the steering module's public C API, for LuaJIT's
 * FFI (lua/vodedge_steering.lua) and sibling modules: a request's ranked
 * candidates, and a policy's new order of them.
 *
 * Call them before the response is made (rewrite or access phase): the
 * decision is made once per request, and the steering handler, the
 * redirect and the $steering_* variables all use the order set here.
 *
 * The module exports these functions and nothing else of its code.
 * NGX_STEERING_LUA_VERSION changes whenever a declaration here does; a
 * caller checks ngx_steering_lua_version() against the version it was
 * written for.  The cdef of lua/vodedge_steering.lua declares the same,
 * checked by t/125-lua-api.t against ngx_steering_lua_layout().
 */

#ifndef _NGX_STEERING_LUA_H_INCLUDED_
#define _NGX_STEERING_LUA_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


#define NGX_STEERING_LUA_VERSION  1


typedef struct {
    const u_char  *id;
    size_t         id_len;
    const u_char  *url;
    size_t         url_len;
    uint32_t       tier;             /* 0 isp, 1 ixp, 2 origin */
    uint32_t       score;            /* thousandths of a point */
} ngx_steering_candidate_t;


/* one row of ngx_steering_lua_layout(): a struct (field NULL, size its
 * sizeof) or one of its fields, in declaration order */
typedef struct {
    const char  *type;
    const char  *field;
    size_t       offset;
    size_t       size;
} ngx_steering_lua_layout_t;


/* NGX_STEERING_LUA_VERSION as the module was built */
int ngx_steering_lua_version(void);

/* The layout of every struct above as the module was compiled, ended by
 * a row with type NULL. */
const ngx_steering_lua_layout_t *ngx_steering_lua_layout(void);


/* The request's ranking, best first (decided now if not yet): up to max
 * candidates into out, the title into *title.  Returns how many (at
 * least 1), or NGX_ERROR with *err saying why (no steering here, an
 * invalid title, out of memory).  The strings live as long as the
 * request. */
int ngx_steering_candidates(ngx_http_request_t *r,
    ngx_steering_candidate_t *out, int max, ngx_str_t *title,
    const char **err);

/* Keeps the candidates at positions order[0 .. n - 1] (0-based, of the
 * ranking ngx_steering_candidates() returned) in that order; those left
 * out are vetoed.  The tier and TTL become the new primary's, and the
 * reason "policy" when the primary changed.  NGX_OK, or NGX_ERROR with
 * *err (n < 1, a position out of range or repeated) and the ranking
 * unchanged. */
int ngx_steering_set_order(ngx_http_request_t *r, const int *order, int n,
    const char **err);


#endif /* _NGX_STEERING_LUA_H_INCLUDED_ */
