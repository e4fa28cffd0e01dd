/*
 * ngx_stream_playback_api.c: the playback API's plumbing: its directives,
 * the worker's Redis client, routing under /api/v1/, Bearer tokens,
 * request bodies, JSON answers and errors, and Redis calls tied to a
 * request (cancelled if the request goes away first).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"
#include "vodedge_body.h"
#include "vodedge_env.h"
#include "vodedge_reply.h"


static ngx_int_t ngx_stream_playback_api_handler(ngx_http_request_t *r);
static ngx_int_t ngx_stream_playback_api_route(ngx_http_request_t *r,
    ngx_stream_playback_api_ctx_t *ctx);
static ngx_int_t ngx_stream_playback_api_auth(ngx_http_request_t *r,
    ngx_stream_playback_api_ctx_t *ctx, ngx_int_t *rc);
static ngx_int_t ngx_stream_playback_api_not_allowed(ngx_http_request_t *r,
    const char *allow);
static void ngx_stream_playback_api_body_handler(ngx_http_request_t *r);
static ngx_int_t ngx_stream_playback_api_parse_body(ngx_http_request_t *r,
    ngx_stream_playback_api_ctx_t *ctx, const char **err);
static void ngx_stream_playback_api_cleanup(void *data);
static ngx_int_t ngx_stream_playback_api_headers(ngx_http_request_t *r);
static void ngx_stream_playback_api_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);


/* playback_redis host:port [connect_timeout=T] [command_timeout=T]
 *     [backoff=T] */

char *
ngx_stream_playback_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    if (pmcf->redis != NULL) {
        return "is duplicate";
    }

    pmcf->redis = ngx_pcalloc(cf->pool, sizeof(vodedge_redis_conf_t));
    if (pmcf->redis == NULL) {
        return NGX_CONF_ERROR;
    }

    return vodedge_redis_parse(cf, cf->args->elts, 1, cf->args->nelts,
                               pmcf->redis);
}


char *
ngx_stream_playback_api(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    char                      *rv;
    ngx_http_core_loc_conf_t  *clcf;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if (plcf->api) {
        clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
        clcf->handler = ngx_stream_playback_api_handler;
    }

    return NGX_CONF_OK;
}


char *
ngx_stream_playback_streams_fail(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ngx_str_t  *value;

    if (plcf->streams_fail != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "open") == 0) {
        plcf->streams_fail = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "closed") == 0) {
        plcf->streams_fail = 0;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"playback_streams_fail\" must be \"open\" (playback "
                       "starts when Redis is down) or \"closed\", not "
                       "\"%V\"", &value[1]);

    return NGX_CONF_ERROR;
}


char *
ngx_stream_playback_api_merge(ngx_conf_t *cf,
    ngx_stream_playback_loc_conf_t *prev, ngx_stream_playback_loc_conf_t *conf)
{
    ngx_str_t                          v;
    ngx_http_compile_complex_value_t   ccv;
    ngx_stream_playback_main_conf_t   *pmcf;

    ngx_conf_merge_value(conf->api, prev->api, 0);
    ngx_conf_merge_msec_value(conf->stream_grace, prev->stream_grace, 30000);
    ngx_conf_merge_uint_value(conf->streams_fail, prev->streams_fail, 1);
    ngx_conf_merge_sec_value(conf->resume_ttl, prev->resume_ttl,
                             30 * 86400);
    ngx_conf_merge_sec_value(conf->media_token_ttl, prev->media_token_ttl,
                             4 * 3600);
    ngx_conf_merge_ptr_value(conf->api_base_url, prev->api_base_url, NULL);
    ngx_conf_merge_ptr_value(conf->api_drm, prev->api_drm, NULL);

    if (!conf->api) {
        return NGX_CONF_OK;
    }

    pmcf = ngx_http_conf_get_module_main_conf(cf, ngx_stream_playback_module);

    if (pmcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api\" is on but no \"playback_redis\" "
                           "is configured in the http block");
        return NGX_CONF_ERROR;
    }

    if (conf->keys == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api\" is on but no "
                           "\"playback_token_key\" is configured to verify "
                           "Bearer tokens and sign media URLs");
        return NGX_CONF_ERROR;
    }

    if (conf->stream_grace < 1000) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_stream_grace\" must be at least 1s");
        return NGX_CONF_ERROR;
    }

    if (conf->resume_ttl < 1 || conf->media_token_ttl < 1) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_resume_ttl\" and "
                           "\"playback_media_token_ttl\" must be at least 1s");
        return NGX_CONF_ERROR;
    }

    if (conf->api_base_url == NULL) {
        conf->api_base_url = ngx_palloc(cf->pool,
                                        sizeof(ngx_http_complex_value_t));
        if (conf->api_base_url == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_str_set(&v, "$scheme://$http_host");

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &v;
        ccv.complex_value = conf->api_base_url;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


ngx_int_t
ngx_stream_playback_api_init_main(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf)
{
    if (pmcf->redis == NULL) {
        return NGX_OK;
    }

    return ngx_stream_playback_scripts_init(cf, pmcf);
}


ngx_int_t
ngx_stream_playback_init_process(ngx_cycle_t *cycle)
{
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_stream_playback_module);

    if (pmcf == NULL || pmcf->redis == NULL) {
        return NGX_OK;
    }

    pmcf->redis_client = vodedge_redis_create(cycle, pmcf->redis,
                                              ngx_stream_playback_scripts_load,
                                              pmcf);
    if (pmcf->redis_client == NULL) {
        return NGX_ERROR;
    }

    if (ngx_stream_playback_session_init_process(cycle, pmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_stream_playback_report_init_process(cycle, pmcf);
}


void
ngx_stream_playback_exit_process(ngx_cycle_t *cycle)
{
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(cycle,
                                               ngx_stream_playback_module);

    if (pmcf != NULL && pmcf->redis_client != NULL) {
        vodedge_redis_destroy(pmcf->redis_client);
        pmcf->redis_client = NULL;
    }
}


/* $playback_redis: "up", "connecting" or "down" */

ngx_int_t
ngx_stream_playback_redis_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    char                             *s;
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    if (pmcf->redis_client == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (vodedge_redis_state(pmcf->redis_client)) {

    case VODEDGE_REDIS_CONNECTED:
        s = "up";
        break;

    case VODEDGE_REDIS_CONNECTING:
        s = "connecting";
        break;

    default:
        s = "down";
        break;
    }

    v->data = (u_char *) s;
    v->len = ngx_strlen(s);
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_stream_playback_api_handler(ngx_http_request_t *r)
{
    ngx_http_cleanup_t             *cln;
    ngx_stream_playback_ctx_t      *pctx;
    ngx_stream_playback_api_ctx_t  *ctx;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    pctx = ngx_stream_playback_get_ctx(r);
    if (pctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_stream_playback_api_ctx_t));
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_stream_playback_api_cleanup;
    cln->data = ctx;

    pctx->api = ctx;

    return ngx_stream_playback_api_route(r, ctx);
}


static ngx_int_t
ngx_stream_playback_api_route(ngx_http_request_t *r,
    ngx_stream_playback_api_ctx_t *ctx)
{
    u_char     *p, *last, *s[3];
    size_t      n[3];
    ngx_int_t   rc;
    ngx_uint_t  i, nseg;

    static const char  prefix[] = "/api/v1/";

    if (r->uri.len < sizeof(prefix) - 1
        || ngx_strncmp(r->uri.data, prefix, sizeof(prefix) - 1) != 0)
    {
        goto not_found;
    }

    /* up to three segments after /api/v1/ */

    p = r->uri.data + sizeof(prefix) - 1;
    last = r->uri.data + r->uri.len;
    nseg = 0;

    while (p < last) {
        if (nseg == 3) {
            goto not_found;
        }

        s[nseg] = p;

        while (p < last && *p != '/') {
            p++;
        }

        n[nseg] = p - s[nseg];

        if (n[nseg] == 0) {
            goto not_found;
        }

        nseg++;

        if (p < last) {
            p++;

            if (p == last) {
                goto not_found;         /* a trailing '/' */
            }
        }
    }

    if (nseg == 0) {
        goto not_found;
    }

    for (i = 1; i < nseg; i++) {
        if (i == 1) {
            ctx->id1.data = s[1];
            ctx->id1.len = n[1];

        } else {
            ctx->id2.data = s[2];
            ctx->id2.len = n[2];
        }
    }

#define ngx_playback_seg(i, lit)                                             \
    (n[i] == sizeof(lit) - 1 && ngx_strncmp(s[i], lit, n[i]) == 0)

    if (ngx_playback_seg(0, "resume") && nseg == 3) {

        if (r->method != NGX_HTTP_PUT && r->method != NGX_HTTP_GET
            && r->method != NGX_HTTP_DELETE)
        {
            return ngx_stream_playback_api_not_allowed(r,
                                                       "GET, PUT, DELETE");
        }

        if (ngx_stream_playback_api_auth(r, ctx, &rc) != NGX_OK) {
            return rc;
        }

        if (ngx_stream_playback_api_valid_id(&ctx->id1) != NGX_OK
            || ngx_stream_playback_api_valid_id(&ctx->id2) != NGX_OK)
        {
            return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                       "bad_request", "a profile or title is not 1 to 128 "
                       "characters of A-Z a-z 0-9 . _ -");
        }

        if (!pb_jwt_has_profile(&ctx->claims, ctx->id1.data, ctx->id1.len))
        {
            return ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                       "forbidden", "the profile is not one of the token's");
        }

        switch (r->method) {

        case NGX_HTTP_PUT:
            return ngx_stream_playback_resume_put(r);

        case NGX_HTTP_GET:
            return ngx_stream_playback_resume_get(r);

        default:
            return ngx_stream_playback_resume_delete(r);
        }
    }

    if (ngx_playback_seg(0, "continue-watching") && nseg == 2) {

        if (r->method != NGX_HTTP_GET) {
            return ngx_stream_playback_api_not_allowed(r, "GET");
        }

        if (ngx_stream_playback_api_auth(r, ctx, &rc) != NGX_OK) {
            return rc;
        }

        if (ngx_stream_playback_api_valid_id(&ctx->id1) != NGX_OK) {
            return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                       "bad_request", "the profile is not 1 to 128 "
                       "characters of A-Z a-z 0-9 . _ -");
        }

        if (!pb_jwt_has_profile(&ctx->claims, ctx->id1.data, ctx->id1.len))
        {
            return ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                       "forbidden", "the profile is not one of the token's");
        }

        return ngx_stream_playback_continue_get(r);
    }

    if (ngx_playback_seg(0, "playback") && nseg == 2
        && ngx_playback_seg(1, "manifest"))
    {
        if (r->method != NGX_HTTP_POST) {
            return ngx_stream_playback_api_not_allowed(r, "POST");
        }

        if (ngx_stream_playback_api_auth(r, ctx, &rc) != NGX_OK) {
            return rc;
        }

        return ngx_stream_playback_manifest_post(r);
    }

    if (ngx_playback_seg(0, "playback") && nseg == 3
        && ngx_playback_seg(1, "sessions"))
    {
        if (r->method != NGX_HTTP_DELETE) {
            return ngx_stream_playback_api_not_allowed(r, "DELETE");
        }

        if (ngx_stream_playback_api_auth(r, ctx, &rc) != NGX_OK) {
            return rc;
        }

        if (ngx_stream_playback_api_valid_id(&ctx->id2) != NGX_OK) {
            return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                       "bad_request", "the session id is not 1 to 128 "
                       "characters of A-Z a-z 0-9 . _ -");
        }

        return ngx_stream_playback_streams_delete(r);
    }

#undef ngx_playback_seg

not_found:

    return ngx_stream_playback_api_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                         "no such endpoint");
}


static ngx_int_t
ngx_stream_playback_api_not_allowed(ngx_http_request_t *r, const char *allow)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Allow");
    h->value.data = (u_char *) allow;
    h->value.len = ngx_strlen(allow);

    return ngx_stream_playback_api_error(r, NGX_HTTP_NOT_ALLOWED,
                                         "method_not_allowed", allow);
}


/* Authorization: Bearer <JWT>, verified with the location's keys; the
 * token must be meant for the API (aud) and name an account (sub).
 * NGX_OK, or NGX_DECLINED when the refusal was sent: *out is then what
 * the content handler returns */

static ngx_int_t
ngx_stream_playback_api_auth(ngx_http_request_t *r,
    ngx_stream_playback_api_ctx_t *ctx, ngx_int_t *out)
{
    int                              rc;
    u_char                          *p, *last;
    ngx_str_t                        token;
    vod_env_t                        env;
    pb_jwt_verify_t                  v;
    ngx_table_elt_t                 *h;
    ngx_stream_playback_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (r->headers_in.authorization == NULL) {
        goto missing;
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;

    if (last - p < 7 || ngx_strncasecmp(p, (u_char *) "Bearer ", 7) != 0) {
        goto missing;
    }

    p += 7;

    while (p < last && *p == ' ') {
        p++;
    }

    while (last > p && last[-1] == ' ') {
        last--;
    }

    token.data = p;
    token.len = last - p;

    vodedge_env_init(&env, r->pool);

    ngx_memzero(&v, sizeof(pb_jwt_verify_t));
    v.keys = plcf->keys->elts;
    v.nkeys = plcf->keys->nelts;
    v.now = ngx_time();
    v.leeway = plcf->leeway;
    v.max_length = plcf->max_length;

    /* a device sends the same token with every heartbeat */

    switch (ngx_stream_playback_tc_get(r, plcf, &token, &ctx->claims)) {

    case NGX_OK:
        rc = PB_JWT_OK;
        break;

    case NGX_ERROR:
        rc = PB_JWT_ERROR;
        break;

    default:
        rc = pb_jwt_verify(&env, &v, token.data, token.len, &ctx->claims);

        if (rc == PB_JWT_OK) {
            ngx_stream_playback_tc_put(plcf, &token, &ctx->claims);
        }
    }

    if (rc == PB_JWT_ERROR) {
        *out = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    /* only a token minted for the API (aud "api"): a media token, with
     * or without aud, is refused, so a leaked media URL cannot end its
     * owner's sessions */

    if (rc == PB_JWT_OK
        && pb_jwt_check_audience(&ctx->claims, PB_JWT_AUD_API) != PB_JWT_OK)
    {
        rc = PB_JWT_WRONG_AUDIENCE;
        v.err = "aud does not name api";
    }

    if (rc != PB_JWT_OK) {
        ngx_log_error(plcf->log_level, r->connection->log, 0,
                      "playback api: Bearer token refused: %s (%s)",
                      pb_jwt_reason(rc), v.err ? v.err : "-");

        h = ngx_list_push(&r->headers_out.headers);
        if (h == NULL) {
            *out = NGX_HTTP_INTERNAL_SERVER_ERROR;
            return NGX_DECLINED;
        }

        h->hash = 1;
        ngx_str_set(&h->key, "WWW-Authenticate");
        ngx_str_set(&h->value, "Bearer error=\"invalid_token\"");

        *out = ngx_stream_playback_api_error(r, NGX_HTTP_UNAUTHORIZED,
                                             "unauthorized",
                                             pb_jwt_reason(rc));
        return NGX_DECLINED;
    }

    if (ctx->claims.sub.data == NULL || ctx->claims.sub.len == 0) {
        *out = ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                                             "forbidden",
                                             "the token names no account "
                                             "(sub)");
        return NGX_DECLINED;
    }

    ctx->account.data = ctx->claims.sub.data;
    ctx->account.len = ctx->claims.sub.len;

    if (ngx_stream_playback_scope(r->pool, &ctx->account, &ctx->scope)
        != NGX_OK)
    {
        *out = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    return NGX_OK;

missing:

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        *out = NGX_HTTP_INTERNAL_SERVER_ERROR;
        return NGX_DECLINED;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    ngx_str_set(&h->value, "Bearer");

    *out = ngx_stream_playback_api_error(r, NGX_HTTP_UNAUTHORIZED,
                                         "unauthorized",
                                         "no Authorization: Bearer token");
    return NGX_DECLINED;
}


ngx_int_t
ngx_stream_playback_api_valid_id(ngx_str_t *s)
{
    size_t  i;
    u_char  c;

    if (s->len == 0 || s->len > NGX_PLAYBACK_API_ID_MAX) {
        return NGX_ERROR;
    }

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-')
        {
            continue;
        }

        return NGX_ERROR;
    }

    if (s->data[0] == '.') {
        return NGX_ERROR;                /* no "." or ".." as a title */
    }

    return NGX_OK;
}


/* the body, at most NGX_PLAYBACK_API_BODY_MAX bytes of a JSON object,
 * then handler; what the content handler returns */

ngx_int_t
ngx_stream_playback_api_read_body(ngx_http_request_t *r,
    ngx_int_t (*handler)(ngx_http_request_t *r))
{
    ngx_int_t                       rc;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);
    ctx->body_handler = handler;

    if (r->headers_in.content_length_n > NGX_PLAYBACK_API_BODY_MAX) {
        return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                                             "bad_request",
                                             "body larger than 4096 bytes");
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r,
                                        ngx_stream_playback_api_body_handler);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_stream_playback_api_body_handler(ngx_http_request_t *r)
{
    ngx_int_t                       rc;
    const char                     *err;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);

    err = NULL;
    rc = ngx_stream_playback_api_parse_body(r, ctx, &err);

    if (rc == NGX_ERROR) {
        rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    } else if (rc != NGX_OK) {
        rc = ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                                           "bad_request", err);

    } else {
        rc = ctx->body_handler(r);
    }

    /* NGX_DONE: Redis answers later; this ends the body's reference */

    ngx_http_finalize_request(r, rc);
}


static ngx_int_t
ngx_stream_playback_api_parse_body(ngx_http_request_t *r,
    ngx_stream_playback_api_ctx_t *ctx, const char **err)
{
    int                 rc;
    u_char             *buf;
    size_t              len;
    vod_env_t           env;
    vod_json_t         *a, *b;
    vod_json_limits_t   limits;

    rc = vodedge_body_read(r, NGX_PLAYBACK_API_BODY_MAX, &buf, &len);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        *err = "body larger than 4096 bytes";
        return NGX_DECLINED;
    }

    if (len == 0) {
        *err = "no body: a JSON object is expected";
        return NGX_DECLINED;
    }

    vodedge_env_init(&env, r->pool);

    ngx_memzero(&limits, sizeof(vod_json_limits_t));
    limits.max_depth = 4;
    limits.max_nodes = 64;

    rc = vod_json_parse(&env, buf, len, &limits, &ctx->body);

    if (rc == VOD_ERROR) {
        return NGX_ERROR;
    }

    if (rc != VOD_OK) {
        *err = "body is not JSON (or nests deeper than 4, or has more than "
               "64 values)";
        return NGX_DECLINED;
    }

    if (ctx->body->type != VOD_JSON_OBJECT) {
        *err = "body is not a JSON object";
        return NGX_DECLINED;
    }

    for (a = ctx->body->child; a != NULL; a = a->next) {
        for (b = a->next; b != NULL; b = b->next) {
            if (a->key.len == b->key.len
                && ngx_memcmp(a->key.data, b->key.data, a->key.len) == 0)
            {
                *err = "body has a duplicate field";
                return NGX_DECLINED;
            }
        }
    }

    return NGX_OK;
}


/* a non-negative integer field; NGX_DECLINED with *err when it is absent
 * but required, or not such a number */

ngx_int_t
ngx_stream_playback_api_body_int(vod_json_t *body, const char *name,
    ngx_uint_t required, int64_t *n, const char **err)
{
    vod_json_t  *node;

    node = vod_json_get(body, name);

    if (node == NULL) {
        if (required) {
            *err = name;
            return NGX_DECLINED;
        }

        return NGX_DONE;
    }

    if (node->type != VOD_JSON_NUMBER || !node->is_integer
        || node->integer < 0 || node->integer > (1LL << 53))
    {
        *err = name;
        return NGX_DECLINED;
    }

    *n = node->integer;

    return NGX_OK;
}


/* an optional string field without control characters, at most max
 * bytes: NGX_OK, NGX_DONE when absent or null, NGX_DECLINED when bad */

ngx_int_t
ngx_stream_playback_api_body_str(vod_json_t *body, const char *name,
    size_t max, ngx_str_t *s, const char **err)
{
    size_t       i;
    vod_json_t  *node;

    ngx_str_null(s);

    node = vod_json_get(body, name);

    if (node == NULL || node->type == VOD_JSON_NULL) {
        return NGX_DONE;
    }

    if (node->type != VOD_JSON_STRING || node->str.len > max) {
        *err = name;
        return NGX_DECLINED;
    }

    for (i = 0; i < node->str.len; i++) {
        if (node->str.data[i] < 0x20 || node->str.data[i] == 0x7f) {
            *err = name;
            return NGX_DECLINED;
        }
    }

    s->data = node->str.data ? node->str.data : (u_char *) "";
    s->len = node->str.len;

    return NGX_OK;
}


size_t
ngx_stream_playback_api_json_len(ngx_str_t *s)
{
    return 2 + 6 * s->len;
}


/* s as a JSON string, quotes included */

u_char *
ngx_stream_playback_api_json_str(u_char *p, ngx_str_t *s)
{
    size_t  i;
    u_char  c;

    static const u_char  hex[] = "0123456789abcdef";

    *p++ = '"';

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;

        } else if (c < 0x20 || c == 0x7f) {
            p = ngx_cpymem(p, "\\u00", 4);
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];

        } else {
            *p++ = c;
        }
    }

    *p++ = '"';

    return p;
}


/* an integer reply, or a bulk string of digits; NGX_DECLINED for nil */

ngx_int_t
ngx_stream_playback_api_reply_int(redisReply *reply, int64_t *n)
{
    switch (vodedge_reply_int(reply, n)) {
    case VODEDGE_REPLY_OK:
        return NGX_OK;
    case VODEDGE_REPLY_NONE:
        return NGX_DECLINED;
    default:
        return NGX_ERROR;
    }
}


/* the playback API's answers are the shared JSON responses
 * (vodedge_json.h) with the request body discarded and
 * "Cache-Control: no-store": a player's state is never cached */

static ngx_int_t
ngx_stream_playback_api_headers(ngx_http_request_t *r)
{
    ngx_table_elt_t  *h;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    return NGX_OK;
}


/* sends status with b (NULL: no body) as JSON; what to finalize with */

ngx_int_t
ngx_stream_playback_api_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b)
{
    if (ngx_stream_playback_api_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return vodedge_json_send(r, status, b);
}


/* the error body {"error":"<error>","reason":"<reason>"} */

ngx_int_t
ngx_stream_playback_api_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *reason)
{
    if (ngx_stream_playback_api_headers(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return vodedge_json_error(r, status, error, reason);
}


/* 503 for a request that needs Redis while it does not answer */

ngx_int_t
ngx_stream_playback_api_unavailable(ngx_http_request_t *r, ngx_int_t status)
{
    const char                       *reason;
    ngx_table_elt_t                  *h;
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    reason = (status == VODEDGE_REDIS_TIMEOUT)
             ? "playback state store did not answer in time"
             : "playback state store unavailable";

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "playback api: redis %V: %s, answering 503",
                  vodedge_redis_name(pmcf->redis_client),
                  status < 0 ? "not connected"
                             : vodedge_redis_status_text(status));

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Retry-After");
    ngx_str_set(&h->value, "1");

    return ngx_stream_playback_api_error(r, NGX_HTTP_SERVICE_UNAVAILABLE,
                                         "unavailable", reason);
}


/* the end of a request whose answer came from Redis */

void
ngx_stream_playback_api_done(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_finalize_request(r, rc);
}


/* a call of the request: a script (its keys and arguments follow with
 * ngx_stream_playback_api_arg*), or with script -1 a plain command */

ngx_stream_playback_call_t *
ngx_stream_playback_api_call_init(ngx_http_request_t *r,
    ngx_stream_playback_call_pt handler, ngx_int_t script, ngx_uint_t nkeys)
{
    u_char                           *p;
    ngx_stream_playback_call_t       *call;
    ngx_stream_playback_api_ctx_t    *ctx;
    ngx_stream_playback_main_conf_t  *pmcf;

    ctx = ngx_stream_playback_api_get_ctx(r);
    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    if (ctx->ncalls == NGX_PLAYBACK_API_CALLS_MAX) {
        return NULL;
    }

    call = &ctx->calls[ctx->ncalls++];

    call->request = r;
    call->handler = handler;
    call->script = script;
    call->argc = 0;
    call->nargs = NGX_PLAYBACK_API_ARGS_MAX;
    call->argv = call->args;
    call->argvlen = call->lens;

    if (script >= 0) {
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NULL;
        }

        ngx_stream_playback_api_arg(call, (u_char *) "EVALSHA", 7);
        ngx_stream_playback_api_arg(call, pmcf->scripts[script].sha, 40);
        ngx_stream_playback_api_arg(call, p,
                                    ngx_sprintf(p, "%ui", nkeys) - p);
    }

    return call;
}


/* room for n arguments in all, beyond the call's own: from the pool */

ngx_int_t
ngx_stream_playback_api_args(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_uint_t n)
{
    size_t       *lens;
    const char  **argv;

    if (n <= (ngx_uint_t) call->nargs) {
        return NGX_OK;
    }

    argv = ngx_palloc(r->pool, n * (sizeof(char *) + sizeof(size_t)));
    if (argv == NULL) {
        return NGX_ERROR;
    }

    lens = (size_t *) (argv + n);

    ngx_memcpy(argv, call->argv, call->argc * sizeof(char *));
    ngx_memcpy(lens, call->argvlen, call->argc * sizeof(size_t));

    call->argv = argv;
    call->argvlen = lens;
    call->nargs = (int) n;

    return NGX_OK;
}


void
ngx_stream_playback_api_arg(ngx_stream_playback_call_t *call, u_char *data,
    size_t len)
{
    if (call->argc < call->nargs) {
        call->argv[call->argc] = (const char *) data;
        call->argvlen[call->argc] = len;
        call->argc++;
    }
}


/* "family:{account}", "family:{account}:a" or "family:{account}:a:b":
 * every key is the account's (ctx->scope, see the auth), then the
 * profile's or the session's; a and b are ids (no ':') */

ngx_int_t
ngx_stream_playback_api_arg_key(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, const char *family, ngx_str_t *a,
    ngx_str_t *b)
{
    u_char                         *p, *key;
    size_t                          len;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);

    len = ngx_strlen(family) + 1 + ctx->scope.len + (a ? 1 + a->len : 0)
          + (b ? 1 + b->len : 0);

    key = ngx_pnalloc(r->pool, len);
    if (key == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(key, "%s:%V", family, &ctx->scope);

    if (a != NULL) {
        p = ngx_sprintf(p, ":%V", a);
    }

    if (b != NULL) {
        p = ngx_sprintf(p, ":%V", b);
    }

    ngx_stream_playback_api_arg(call, key, p - key);

    return NGX_OK;
}


ngx_int_t
ngx_stream_playback_api_arg_int(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, int64_t n)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    ngx_stream_playback_api_arg(call, p, ngx_sprintf(p, "%L", n) - p);

    return NGX_OK;
}


/* NGX_OK: the handler is called later; NGX_ERROR: Redis is not there */

ngx_int_t
ngx_stream_playback_api_call(ngx_stream_playback_call_t *call)
{
    ngx_http_request_t               *r;
    ngx_stream_playback_api_ctx_t    *ctx;
    ngx_stream_playback_main_conf_t  *pmcf;

    r = call->request;
    ctx = ngx_stream_playback_api_get_ctx(r);
    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    /* a full argv may have dropped an argument */

    if (pmcf->redis_client == NULL || call->argc == call->nargs) {
        return NGX_ERROR;
    }

    call->cmd = vodedge_redis_command_argv(pmcf->redis_client,
                                           ngx_stream_playback_api_reply,
                                           call, 0, call->argc, call->argv,
                                           call->argvlen);
    if (call->cmd == NULL) {
        return NGX_ERROR;
    }

    ctx->pending++;

    return NGX_OK;
}


/* a handler's one Redis call: NGX_DONE (its reply finishes the request),
 * or the 503 when it cannot be sent */

ngx_int_t
ngx_stream_playback_api_start(ngx_stream_playback_call_t *call)
{
    ngx_http_request_t  *r;

    r = call->request;

    if (ngx_stream_playback_api_call(call) != NGX_OK) {
        return ngx_stream_playback_api_unavailable(r, -1);
    }

    r->main->count++;

    return NGX_DONE;
}


static void
ngx_stream_playback_api_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    ngx_stream_playback_call_t  *call = data;

    ngx_http_request_t               *r;
    ngx_connection_t                 *c;
    ngx_stream_playback_script_t     *script;
    ngx_stream_playback_api_ctx_t    *ctx;
    ngx_stream_playback_main_conf_t  *pmcf;

    r = call->request;
    c = r->connection;
    ctx = ngx_stream_playback_api_get_ctx(r);

    call->cmd = NULL;
    ctx->pending--;

    if (status == VODEDGE_REDIS_OK && reply->type == REDIS_REPLY_ERROR) {

        /* a Redis that restarted or flushed its scripts: send the text */

        if (call->script >= 0 && !call->retried && reply->len >= 8
            && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
        {
            pmcf = ngx_http_get_module_main_conf(r,
                                                 ngx_stream_playback_module);

            script = &pmcf->scripts[call->script];

            call->retried = 1;
            call->argv[0] = "EVAL";
            call->argvlen[0] = 4;
            call->argv[1] = (const char *) script->text.data;
            call->argvlen[1] = script->text.len;

            if (ngx_stream_playback_api_call(call) == NGX_OK) {
                return;
            }

            status = VODEDGE_REDIS_LOST;

        } else {
            ngx_log_error(NGX_LOG_ERR, c->log, 0,
                          "playback api: redis %V answered an error: %*s",
                          vodedge_redis_name(client),
                          (size_t) reply->len, reply->str);

            status = VODEDGE_REDIS_LOST;
        }

        reply = NULL;
    }

    call->handler(r, call, status, status == VODEDGE_REDIS_OK ? reply : NULL);

    ngx_http_run_posted_requests(c);
}


static void
ngx_stream_playback_api_cleanup(void *data)
{
    ngx_stream_playback_api_ctx_t  *ctx = data;

    ngx_uint_t  i;

    for (i = 0; i < ctx->ncalls; i++) {
        if (ctx->calls[i].cmd != NULL) {
            vodedge_redis_cancel(ctx->calls[i].cmd);
            ctx->calls[i].cmd = NULL;
        }
    }
}
