/*
 * ngx_stream_playback_token.c: signed URLs.  A token in the path prefix
 * (/t/{token}/vod/...) is verified in the rewrite phase, which then strips
 * the prefix and lets nginx find the location of what remains; a token in
 * a query argument or a cookie is verified in the access phase.
 *
 * One path: the path checked against the token's path claim is r->uri,
 * nginx's own parse of the request line (escapes decoded, "." and ".."
 * resolved, "//" merged, ended at '?' or '#'), the path nginx routes,
 * caches ($uri) and, once ngx_stream_playback_scrub() has run, proxies.
 * The request line is never parsed a second time here: two parsers
 * disagree on some byte, and the gap is a bypass.  A path nginx did not
 * leave canonical (merge_slashes off, a rewrite) is refused with 400.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"
#include "vodedge_env.h"


static ngx_int_t ngx_stream_playback_verify(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_str_t *token, ngx_str_t *path);
static ngx_int_t ngx_stream_playback_refuse(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx);
static ngx_uint_t ngx_stream_playback_dot_params(u_char *path, size_t len);


ngx_int_t
ngx_stream_playback_rewrite_handler(ngx_http_request_t *r)
{
    u_char                          *p, *last;
    ngx_int_t                        rc;
    ngx_str_t                        token, path;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    /* subrequests are the configuration's; a rewrite or an internal
     * redirect is not a reason to skip (see ngx_stream_playback_get_ctx) */

    if (r != r->main) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (!plcf->enable || !(plcf->sources & NGX_PLAYBACK_SOURCE_PREFIX)) {
        return NGX_DECLINED;
    }

    if (r->uri.len < 3 || ngx_strncmp(r->uri.data, "/t/", 3) != 0) {
        return NGX_DECLINED;
    }

    ctx = ngx_stream_playback_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->token_done) {
        /* checked already: this "/t/" is a path like any other */
        return NGX_DECLINED;
    }

    ctx->token_done = 1;
    ctx->source = "prefix";

    p = r->uri.data + 3;
    last = r->uri.data + r->uri.len;

    token.data = p;

    while (p < last && *p != '/') {
        p++;
    }

    token.len = p - token.data;

    /* the rest of nginx's path; "/t/{token}" alone is the root */

    if (p < last) {
        path.data = p;
        path.len = last - p;

    } else {
        ngx_str_set(&path, "/");
    }

    /* from here on $uri is the rest, also in the log of a refusal: the
     * token is a credential, even when refused */

    r->uri = path;

    rc = ngx_stream_playback_verify(r, plcf, ctx, &token, &path);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->status != PB_JWT_OK) {
        return ngx_stream_playback_refuse(r, plcf, ctx);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "playback token: continues as \"%V\"", &r->uri);

    /* as "rewrite ... last" does: the next location is found for the
     * rest, and upstreams get it rather than the request line */

    r->uri_changed = 1;
    ngx_http_set_exten(r);

    if (ngx_stream_playback_scrub(r, plcf, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* nothing else of this location's rewrite phase runs (a "return" or
     * "set" of the rewrite module, rewrite_by_lua...): it was found for
     * the path with the token; straight on to the location of the rest */

    cmcf = ngx_http_get_module_main_conf(r, ngx_http_core_module);
    r->phase_handler = cmcf->phase_engine.handlers[r->phase_handler].next - 1;

    return NGX_DECLINED;
}


ngx_int_t
ngx_stream_playback_access_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        token, name;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (!plcf->enable) {
        return NGX_DECLINED;
    }

    ctx = ngx_stream_playback_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->token_done) {
        /* checked already: by the prefix, or in an earlier pass */
        goto checked;
    }

    ctx->token_done = 1;

    ngx_str_null(&token);

    if ((plcf->sources & NGX_PLAYBACK_SOURCE_QUERY)
        && ngx_http_arg(r, plcf->query_arg.data, plcf->query_arg.len,
                        &token)
           == NGX_OK)
    {
        ctx->source = "query";
    }

    if (token.len == 0 && (plcf->sources & NGX_PLAYBACK_SOURCE_COOKIE)) {
        name = plcf->cookie_name;

        /*
         * nginx 1.23 linked the Cookie headers in a list; 1.29.6 gave
         * cookies a parser of their own, which splits pairs at ';' only:
         * the general one now splits at ',' only and would miss a token
         * after "a=b; ".
         */

#if (nginx_version >= 1029006)
        if (ngx_http_parse_cookie_lines(r, r->headers_in.cookie, &name,
                                        &token)
            != NULL)
#elif (nginx_version >= 1023000)
        if (ngx_http_parse_multi_header_lines(r, r->headers_in.cookie, &name,
                                              &token)
            != NULL)
#else
        if (ngx_http_parse_multi_header_lines(&r->headers_in.cookies, &name,
                                              &token)
            != NGX_DECLINED)
#endif
        {
            ctx->source = "cookie";
        }
    }

    if (token.len == 0) {
        ctx->source = "none";
        ctx->status = PB_JWT_MISSING;
        ctx->err = "no token in the request";
        return ngx_stream_playback_refuse(r, plcf, ctx);
    }

    /* nginx's path, the one this location was found for */

    rc = ngx_stream_playback_verify(r, plcf, ctx, &token, &r->uri);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

checked:

    if (ctx->status != PB_JWT_OK) {
        return ngx_stream_playback_refuse(r, plcf, ctx);
    }

    /* nothing of the credential nor of client policy goes on: done again
     * after a prefix, for this location's sources */

    if (ngx_stream_playback_scrub(r, plcf, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_DECLINED;
}


/* Verifies token, then nginx's path and the client address; ctx->status
 * says how.  NGX_ERROR only for an allocation failure. */

static ngx_int_t
ngx_stream_playback_verify(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_str_t *token, ngx_str_t *path)
{
    int                   rc;
    size_t                n;
    u_char               *buf;
    vod_env_t             env;
    pb_jwt_verify_t       v;
    struct sockaddr_in   *sin;
#if (NGX_HAVE_INET6)
    struct sockaddr_in6  *sin6;
#endif

    vodedge_env_init(&env, r->pool);

    ngx_memzero(&v, sizeof(pb_jwt_verify_t));

    v.keys = plcf->keys->elts;
    v.nkeys = plcf->keys->nelts;
    v.now = ngx_time();
    v.leeway = plcf->leeway;
    v.max_length = plcf->max_length;

    switch (ngx_stream_playback_tc_get(r, plcf, token, &ctx->claims)) {

    case NGX_OK:
        rc = PB_JWT_OK;
        break;

    case NGX_ERROR:
        return NGX_ERROR;

    default:
        rc = pb_jwt_verify(&env, &v, token->data, token->len, &ctx->claims);

        if (rc == PB_JWT_OK) {
            ngx_stream_playback_tc_put(plcf, token, &ctx->claims);
        }
    }

    ctx->status = rc;
    ctx->err = v.err;

    if (rc == PB_JWT_ERROR) {
        return NGX_ERROR;
    }

    if (rc != PB_JWT_OK) {
        return NGX_OK;
    }

    /* a Bearer token of the playback API opens no media: a leaked media
     * URL and a leaked API token are different powers */

    if (pb_jwt_check_audience(&ctx->claims, PB_JWT_AUD_MEDIA) != PB_JWT_OK) {
        ctx->status = PB_JWT_WRONG_AUDIENCE;
        ctx->err = "aud does not name media";
        return NGX_OK;
    }

    /*
     * nginx decoded and resolved the path already: normalising it again
     * without decoding changes nothing but for what nginx leaves alone (a
     * '\\', "//" under merge_slashes off, what a rewrite made).  What it
     * refuses is outside any claim; what it would change is not the path
     * nginx goes on with, so it is refused rather than checked.
     */

    buf = ngx_pnalloc(r->pool, path->len + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    if (pb_jwt_normalize_path(path->data, path->len, 0, buf, &n)
        != PB_JWT_OK)
    {
        ctx->status = PB_JWT_WRONG_PATH;
        ctx->err = "path escapes the root or has a '\\' or NUL";
        return NGX_OK;
    }

    if (n != path->len || ngx_memcmp(buf, path->data, n) != 0) {
        ctx->status = PB_JWT_WRONG_PATH;
        ctx->err = "path is not canonical";
        ctx->bad_path = 1;
        return NGX_OK;
    }

    if (ngx_stream_playback_dot_params(buf, n)) {
        ctx->status = PB_JWT_WRONG_PATH;
        ctx->err = "path has a \".\" or \"..\" segment with parameters";
        return NGX_OK;
    }

    if (pb_jwt_check_path(&ctx->claims, buf, n) != PB_JWT_OK) {
        ctx->status = PB_JWT_WRONG_PATH;
        ctx->err = ctx->claims.has_path ? "path outside the path claim"
                                        : "no path claim";
        return NGX_OK;
    }

    switch (r->connection->sockaddr->sa_family) {

    case AF_INET:
        sin = (struct sockaddr_in *) r->connection->sockaddr;
        rc = pb_jwt_check_ip(&ctx->claims, 4, (u_char *) &sin->sin_addr);
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        sin6 = (struct sockaddr_in6 *) r->connection->sockaddr;
        rc = pb_jwt_check_ip(&ctx->claims, 6, sin6->sin6_addr.s6_addr);
        break;
#endif

    default:
        /* a unix socket: an ip claim cannot hold */
        rc = ctx->claims.cidr.family ? PB_JWT_WRONG_IP : PB_JWT_OK;
        break;
    }

    if (rc != PB_JWT_OK) {
        ctx->status = PB_JWT_WRONG_IP;
        ctx->err = "client address outside the ip claim";
    }

    return NGX_OK;
}


/* 403 with {"error":"forbidden","reason":"..."} (400 and "bad-path" for a
 * path nginx did not leave canonical) and one log line; the request is
 * finalized, the phase handler returns NGX_DONE */

static ngx_int_t
ngx_stream_playback_refuse(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx)
{
    ngx_str_t     kid, sub;
    ngx_uint_t    status;
    const char   *reason, *error;

    if (ctx->bad_path) {
        status = NGX_HTTP_BAD_REQUEST;
        error = "bad_request";
        reason = "bad-path";

    } else {
        status = NGX_HTTP_FORBIDDEN;
        error = "forbidden";
        reason = pb_jwt_reason(ctx->status);
    }

    /* the log line's "request:" and the access log without the token */

    if (ngx_stream_playback_scrub(r, plcf, ctx) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* vod_str_t and ngx_str_t order their fields differently */

    kid.data = ctx->claims.kid.data;
    kid.len = ctx->claims.kid.len;
    sub.data = ctx->claims.sub.data;
    sub.len = ctx->claims.sub.len;

    ngx_stream_playback_count(r, NGX_PB_M_TOKEN, reason);

    ngx_log_error(plcf->log_level, r->connection->log, 0,
                  "playback token refused: %s (%s), source %s, "
                  "kid \"%V\", sub \"%V\"",
                  reason, ctx->err ? ctx->err : "-", ctx->source,
                  &kid, &sub);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_stream_playback_refusal_done(r,
               vodedge_json_error(r, status, error, reason));
}


/*
 * 1 when a segment is "." or ".." with path parameters (";x"): nginx and
 * our origin read "..;" as a name, but an origin that knows RFC 2396
 * parameters (Java servlet containers, some object stores' gateways)
 * reads it as "..", a path the claim was never checked against.
 */

static ngx_uint_t
ngx_stream_playback_dot_params(u_char *path, size_t len)
{
    u_char  *p, *last;

    p = path;
    last = path + len;

    while (p < last) {
        if (*p++ != '/') {
            continue;
        }

        if (p < last && *p == '.') {
            if (p + 1 < last && p[1] == ';') {
                return 1;
            }

            if (p + 2 < last && p[1] == '.' && p[2] == ';') {
                return 1;
            }
        }
    }

    return 0;
}
