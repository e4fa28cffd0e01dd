/*
 * ngx_stream_playback_token.c: signed URLs.  A token in the path prefix
 * (/t/{token}/vod/...) is verified in the rewrite phase, which then strips
 * the prefix and lets nginx find the location of what remains; a token in
 * a query argument or a cookie is verified in the access phase.  Either
 * way the path checked against the token's path claim is the request's
 * own, normalised by pb_jwt_normalize_path(), and the path nginx goes on
 * with is that same normalised one.
 */

#include "ngx_stream_playback_module.h"


static ngx_int_t ngx_stream_playback_verify(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_str_t *token, u_char *path, size_t len, int decode, ngx_str_t *out);
static ngx_int_t ngx_stream_playback_refuse(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx);
static void *ngx_stream_playback_alloc(vod_env_t *env, size_t size);
static void ngx_stream_playback_log(vod_env_t *env, const char *fmt, ...);
static void ngx_stream_playback_raw_path(ngx_http_request_t *r,
    ngx_str_t *path);
static void ngx_stream_playback_redact(ngx_http_request_t *r,
    ngx_str_t *token);


ngx_int_t
ngx_stream_playback_rewrite_handler(ngx_http_request_t *r)
{
    int                              decode;
    u_char                          *p, *last;
    ngx_int_t                        rc;
    ngx_str_t                        raw, token, uri;
    ngx_http_core_main_conf_t       *cmcf;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    if (r != r->main || r->internal) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (!plcf->enable || !(plcf->sources & NGX_PLAYBACK_SOURCE_PREFIX)) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

    if (ctx != NULL && ctx->token_done) {
        /* the prefix was stripped: this is the location of the rest */
        return NGX_DECLINED;
    }

    /* a URI a server-level rewrite made is decoded already */

    decode = r->valid_unparsed_uri;
    ngx_stream_playback_raw_path(r, &raw);

    if (raw.len < 3 || ngx_strncmp(raw.data, "/t/", 3) != 0) {
        return NGX_DECLINED;
    }

    ctx = ngx_stream_playback_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->token_done = 1;
    ctx->source = "prefix";

    p = raw.data + 3;
    last = raw.data + raw.len;

    token.data = p;

    while (p < last && *p != '/') {
        p++;
    }

    token.len = p - token.data;

    /* "/t/{token}" alone is the root, under no path claim but "/" */

    rc = ngx_stream_playback_verify(r, plcf, ctx, &token,
                                    p < last ? p : (u_char *) "/",
                                    p < last ? (size_t) (last - p) : 1,
                                    decode, &uri);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->status != PB_JWT_OK) {
        return ngx_stream_playback_refuse(r, plcf, ctx);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "playback token: \"%V\" continues as \"%V\"",
                   &r->uri, &uri);

    /* as "rewrite ... last" does: the next location is found for the
     * normalised path, and upstreams get it rather than the request line */

    r->uri = uri;
    r->valid_unparsed_uri = 0;
    r->uri_changed = 1;
    ngx_http_set_exten(r);

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
    ngx_str_t                        token, path, uri, name;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    if (r != r->main || r->internal) {
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
        return ctx->status == PB_JWT_OK ? NGX_DECLINED
                                        : ngx_stream_playback_refuse(r, plcf,
                                                                     ctx);
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

#if (nginx_version >= 1023000)
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

    /* the path as the client sent it, or as the configuration made it */

    if (r->valid_unparsed_uri) {
        ngx_stream_playback_raw_path(r, &path);
        rc = ngx_stream_playback_verify(r, plcf, ctx, &token, path.data,
                                        path.len, 1, &uri);

    } else {
        rc = ngx_stream_playback_verify(r, plcf, ctx, &token, r->uri.data,
                                        r->uri.len, 0, &uri);
    }

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->status != PB_JWT_OK) {
        return ngx_stream_playback_refuse(r, plcf, ctx);
    }

    return NGX_DECLINED;
}


/* Verifies token, then path (normalised into out) and the client address;
 * ctx->status says how.  NGX_ERROR only for an allocation failure. */

static ngx_int_t
ngx_stream_playback_verify(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_str_t *token, u_char *path, size_t len, int decode, ngx_str_t *out)
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

    ngx_stream_playback_redact(r, token);

    env.alloc = ngx_stream_playback_alloc;
    env.log = ngx_stream_playback_log;
    env.read = NULL;
    env.data = r;

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

    buf = ngx_pnalloc(r->pool, len + 1);
    if (buf == NULL) {
        return NGX_ERROR;
    }

    if (pb_jwt_normalize_path(path, len, decode, buf, &n) != PB_JWT_OK) {
        ctx->status = PB_JWT_WRONG_PATH;
        ctx->err = "path escapes or has an encoded '/', '\\' or NUL";
        return NGX_OK;
    }

    out->data = buf;
    out->len = n;

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


/* 403 with {"error":"forbidden","reason":"..."} and one log line; the
 * request is finalized, the phase handler returns NGX_DONE */

static ngx_int_t
ngx_stream_playback_refuse(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx)
{
    size_t        len;
    ngx_buf_t    *b;
    ngx_str_t     kid, sub;
    const char   *reason;

    reason = pb_jwt_reason(ctx->status);

    /* vod_str_t and ngx_str_t order their fields differently */

    kid.data = ctx->claims.kid.data;
    kid.len = ctx->claims.kid.len;
    sub.data = ctx->claims.sub.data;
    sub.len = ctx->claims.sub.len;

    ngx_log_error(plcf->log_level, r->connection->log, 0,
                  "playback token refused: %s (%s), source %s, "
                  "kid \"%V\", sub \"%V\"",
                  reason, ctx->err ? ctx->err : "-", ctx->source,
                  &kid, &sub);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("{\"error\":\"forbidden\",\"reason\":\"\"}\n") - 1
          + ngx_strlen(reason);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last,
                          "{\"error\":\"forbidden\",\"reason\":\"%s\"}\n",
                          reason);
    return ngx_stream_playback_send_json(r, NGX_HTTP_FORBIDDEN, NULL, b);
}


/* A token is a credential: logs get the request line without it (the
 * "request:" of error lines, $request), with "***" for the token. */

static void
ngx_stream_playback_redact(ngx_http_request_t *r, ngx_str_t *token)
{
    u_char  *line, *p;
    size_t   before;

    if (token->len == 0 || token->data < r->request_line.data
        || token->data + token->len
           > r->request_line.data + r->request_line.len)
    {
        return;                          /* a cookie: not in the line */
    }

    line = ngx_pnalloc(r->pool, r->request_line.len - token->len + 3);
    if (line == NULL) {
        return;
    }

    before = token->data - r->request_line.data;

    p = ngx_cpymem(line, r->request_line.data, before);
    p = ngx_cpymem(p, "***", 3);
    p = ngx_cpymem(p, token->data + token->len,
                   r->request_line.len - before - token->len);

    r->request_line.data = line;
    r->request_line.len = p - line;
}


/* the request line's path: the URI up to its arguments */

static void
ngx_stream_playback_raw_path(ngx_http_request_t *r, ngx_str_t *path)
{
    u_char  *q;

    if (!r->valid_unparsed_uri) {
        *path = r->uri;
        return;
    }

    path->data = r->unparsed_uri.data;
    path->len = r->unparsed_uri.len;

    q = ngx_strlchr(path->data, path->data + path->len, '?');
    if (q != NULL) {
        path->len = q - path->data;
    }
}


static void *
ngx_stream_playback_alloc(vod_env_t *env, size_t size)
{
    ngx_http_request_t  *r = env->data;

    return ngx_palloc(r->pool, size);
}


static void
ngx_stream_playback_log(vod_env_t *env, const char *fmt, ...)
{
}
