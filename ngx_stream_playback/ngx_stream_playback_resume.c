/*
 * ngx_stream_playback_resume.c: resume positions and continue watching.
 *
 *   PUT    /api/v1/resume/{profile}/{title}   a heartbeat: 204
 *   GET    /api/v1/resume/{profile}/{title}   the position, 0 if none
 *   DELETE /api/v1/resume/{profile}/{title}   204
 *   GET    /api/v1/continue-watching/{profile}
 *
 * The route, the token and the profile were checked by the caller.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"


#define NGX_PLAYBACK_CONTINUE_MAX  50        /* titles listed */


static ngx_int_t ngx_stream_playback_resume_put_body(ngx_http_request_t *r);
static void ngx_stream_playback_resume_put_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static void ngx_stream_playback_resume_get_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static void ngx_stream_playback_resume_delete_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static void ngx_stream_playback_continue_titles(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static void ngx_stream_playback_continue_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static ngx_int_t ngx_stream_playback_resume_bad(ngx_http_request_t *r,
    const char *field, const char *what);
static void ngx_stream_playback_reply_str(redisReply *reply, ngx_str_t *s);


ngx_int_t
ngx_stream_playback_resume_put(ngx_http_request_t *r)
{
    return ngx_stream_playback_api_read_body(r,
                                        ngx_stream_playback_resume_put_body);
}


static ngx_int_t
ngx_stream_playback_resume_put_body(ngx_http_request_t *r)
{
    int64_t                          position, duration, updated;
    ngx_int_t                        rc;
    ngx_str_t                        session, device;
    const char                      *err;
    ngx_stream_playback_call_t      *call;
    ngx_stream_playback_api_ctx_t   *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    ctx = ngx_stream_playback_api_get_ctx(r);
    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (ngx_stream_playback_api_body_int(ctx->body, "position_ms", 1,
                                         &position, &err)
        != NGX_OK
        || ngx_stream_playback_api_body_int(ctx->body, "duration_ms", 1,
                                            &duration, &err)
           != NGX_OK
        || ngx_stream_playback_api_body_int(ctx->body, "updated_at", 1,
                                            &updated, &err)
           != NGX_OK)
    {
        return ngx_stream_playback_resume_bad(r, err,
                   "is missing or not a non-negative integer");
    }

    if (duration == 0) {
        return ngx_stream_playback_resume_bad(r, "duration_ms",
                                              "must be positive");
    }

    if (position > duration) {
        return ngx_stream_playback_resume_bad(r, "position_ms",
                                              "is beyond duration_ms");
    }

    rc = ngx_stream_playback_api_body_str(ctx->body, "session_id",
                                          NGX_PLAYBACK_API_ID_MAX, &session,
                                          &err);
    if (rc == NGX_DECLINED
        || (rc == NGX_OK
            && ngx_stream_playback_api_valid_id(&session) != NGX_OK))
    {
        return ngx_stream_playback_resume_bad(r, "session_id",
                   "is not 1 to 128 characters of A-Z a-z 0-9 . _ -");
    }

    rc = ngx_stream_playback_api_body_str(ctx->body, "device",
                                          NGX_PLAYBACK_API_DEVICE_MAX,
                                          &device, &err);
    if (rc == NGX_DECLINED) {
        return ngx_stream_playback_resume_bad(r, "device",
                   "is not a string of at most 256 bytes without control "
                   "characters");
    }

    call = ngx_stream_playback_api_call_init(r,
                                        ngx_stream_playback_resume_put_done,
                                        NGX_PLAYBACK_SCRIPT_RESUME_SET, 4);
    if (call == NULL
        || ngx_stream_playback_api_arg_key(r, call, "playback", &ctx->id1,
                                           &ctx->id2)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "continue_watching",
                                           &ctx->id1, NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "streams", NULL, NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "session",
                                           session.len ? &session : NULL,
                                           NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_int(r, call, position) != NGX_OK
        || ngx_stream_playback_api_arg_int(r, call, duration) != NGX_OK
        || ngx_stream_playback_api_arg_int(r, call, updated) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, session.data ? session.data
                                                   : (u_char *) "",
                                session.len);
    ngx_stream_playback_api_arg(call, device.data ? device.data
                                                  : (u_char *) "",
                                device.len);

    if (ngx_stream_playback_api_arg_int(r, call, plcf->resume_ttl) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, ctx->id2.data, ctx->id2.len);

    if (ngx_stream_playback_api_arg_int(r, call, plcf->stream_grace)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_stream_playback_api_start(call);
}


static void
ngx_stream_playback_resume_put_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    ngx_int_t  rc;

    if (status != VODEDGE_REDIS_OK) {
        rc = ngx_stream_playback_api_unavailable(r, status);

    } else {
        /* 0, an older heartbeat than the stored one, is no error: the
         * newer position stays, as its writer meant */
        rc = ngx_stream_playback_api_send(r, NGX_HTTP_NO_CONTENT, NULL);
    }

    ngx_stream_playback_api_done(r, rc);
}


ngx_int_t
ngx_stream_playback_resume_get(ngx_http_request_t *r)
{
    ngx_stream_playback_call_t     *call;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);

    call = ngx_stream_playback_api_call_init(r,
                                        ngx_stream_playback_resume_get_done,
                                        -1, 0);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, (u_char *) "HMGET", 5);

    if (ngx_stream_playback_api_arg_key(r, call, "playback", &ctx->id1,
                                        &ctx->id2)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, (u_char *) "position", 8);
    ngx_stream_playback_api_arg(call, (u_char *) "duration", 8);
    ngx_stream_playback_api_arg(call, (u_char *) "last_updated", 12);
    ngx_stream_playback_api_arg(call, (u_char *) "device", 6);

    return ngx_stream_playback_api_start(call);
}


static void
ngx_stream_playback_resume_get_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    int64_t                         n[3];
    ngx_int_t                       rc;
    ngx_str_t                       device;
    ngx_buf_t                      *b;
    ngx_uint_t                      i;
    ngx_stream_playback_api_ctx_t  *ctx;

    if (status != VODEDGE_REDIS_OK) {
        ngx_stream_playback_api_done(r,
                         ngx_stream_playback_api_unavailable(r, status));
        return;
    }

    ctx = ngx_stream_playback_api_get_ctx(r);

    n[0] = 0;
    n[1] = 0;
    n[2] = 0;
    ngx_str_null(&device);

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements == 4
        && reply->element[0]->type == REDIS_REPLY_STRING)
    {
        for (i = 0; i < 3; i++) {
            if (ngx_stream_playback_api_reply_int(reply->element[i], &n[i])
                != NGX_OK)
            {
                n[i] = 0;
            }
        }

        ngx_stream_playback_reply_str(reply->element[3], &device);
    }

    b = ngx_create_temp_buf(r->pool,
                   sizeof("{\"profile\":,\"title\":,\"position_ms\":,"
                          "\"duration_ms\":,\"updated_at\":,"
                          "\"device\":null}\n")
                   + ngx_stream_playback_api_json_len(&ctx->id1)
                   + ngx_stream_playback_api_json_len(&ctx->id2)
                   + 3 * NGX_INT64_LEN
                   + ngx_stream_playback_api_json_len(&device));
    if (b == NULL) {
        ngx_stream_playback_api_done(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    b->last = ngx_cpymem(b->last, "{\"profile\":", 11);
    b->last = ngx_stream_playback_api_json_str(b->last, &ctx->id1);
    b->last = ngx_cpymem(b->last, ",\"title\":", 9);
    b->last = ngx_stream_playback_api_json_str(b->last, &ctx->id2);
    b->last = ngx_sprintf(b->last, ",\"position_ms\":%L,\"duration_ms\":%L,"
                          "\"updated_at\":%L,\"device\":", n[0], n[1], n[2]);

    if (device.data != NULL && device.len > 0) {
        b->last = ngx_stream_playback_api_json_str(b->last, &device);

    } else {
        b->last = ngx_cpymem(b->last, "null", 4);
    }

    b->last = ngx_cpymem(b->last, "}\n", 2);

    rc = ngx_stream_playback_api_send(r, NGX_HTTP_OK, b);

    ngx_stream_playback_api_done(r, rc);
}


ngx_int_t
ngx_stream_playback_resume_delete(ngx_http_request_t *r)
{
    ngx_stream_playback_call_t     *call;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);

    call = ngx_stream_playback_api_call_init(r,
                                    ngx_stream_playback_resume_delete_done,
                                    NGX_PLAYBACK_SCRIPT_RESUME_DEL, 2);
    if (call == NULL
        || ngx_stream_playback_api_arg_key(r, call, "playback", &ctx->id1,
                                           &ctx->id2)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "continue_watching",
                                           &ctx->id1, NULL)
           != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, ctx->id2.data, ctx->id2.len);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_stream_playback_api_start(call);
}


static void
ngx_stream_playback_resume_delete_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    ngx_int_t  rc;

    if (status != VODEDGE_REDIS_OK) {
        rc = ngx_stream_playback_api_unavailable(r, status);

    } else {
        rc = ngx_stream_playback_api_send(r, NGX_HTTP_NO_CONTENT, NULL);
    }

    ngx_stream_playback_api_done(r, rc);
}


ngx_int_t
ngx_stream_playback_continue_get(ngx_http_request_t *r)
{
    ngx_stream_playback_call_t     *call;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);

    /* two round trips, as a script declares every key it reads (Redis
     * Cluster routes and checks by them): the titles, then the script
     * over their playback hashes */

    call = ngx_stream_playback_api_call_init(r,
                                        ngx_stream_playback_continue_titles,
                                        -1, 0);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, (u_char *) "ZREVRANGE", 9);

    if (ngx_stream_playback_api_arg_key(r, call, "continue_watching",
                                        &ctx->id1, NULL)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, (u_char *) "0", 1);
    ngx_stream_playback_api_arg(call, (u_char *) "49", 2);

    return ngx_stream_playback_api_start(call);
}


/* the 50 most recent titles: the script reads their hashes, each a
 * declared key (CONTINUE in ngx_stream_playback_scripts.c) */

static void
ngx_stream_playback_continue_titles(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    ngx_str_t                       titles[NGX_PLAYBACK_CONTINUE_MAX];
    ngx_uint_t                      i, n;
    redisReply                     *t;
    ngx_stream_playback_api_ctx_t  *ctx;

    if (status != VODEDGE_REDIS_OK) {
        ngx_stream_playback_api_done(r,
                         ngx_stream_playback_api_unavailable(r, status));
        return;
    }

    ctx = ngx_stream_playback_api_get_ctx(r);

    /* the titles as the API wrote them; anything else in the set is
     * left to the script of a later write */

    n = 0;

    for (i = 0;
         reply->type == REDIS_REPLY_ARRAY && i < reply->elements
         && n < NGX_PLAYBACK_CONTINUE_MAX;
         i++)
    {
        t = reply->element[i];

        titles[n].data = (u_char *) t->str;
        titles[n].len = t->len;

        if (t->type == REDIS_REPLY_STRING
            && t->len <= NGX_PLAYBACK_API_ID_MAX
            && ngx_stream_playback_api_valid_id(&titles[n]) == NGX_OK)
        {
            n++;
        }
    }

    if (n == 0) {
        ngx_stream_playback_continue_done(r, call, status, NULL);
        return;
    }

    call = ngx_stream_playback_api_call_init(r,
                                        ngx_stream_playback_continue_done,
                                        NGX_PLAYBACK_SCRIPT_CONTINUE, 1 + n);
    if (call == NULL
        || ngx_stream_playback_api_args(r, call, 4 + 2 * n + 1) != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "continue_watching",
                                           &ctx->id1, NULL)
           != NGX_OK)
    {
        goto failed;
    }

    /* the keys are built in the pool; the titles, hiredis' until this
     * returns, are copied there too */

    for (i = 0; i < n; i++) {
        if (ngx_stream_playback_api_arg_key(r, call, "playback", &ctx->id1,
                                            &titles[i])
            != NGX_OK)
        {
            goto failed;
        }
    }

    for (i = 0; i < n; i++) {
        ngx_stream_playback_api_arg(call, ngx_pstrdup(r->pool, &titles[i]),
                                    titles[i].len);

        if (call->argv[call->argc - 1] == NULL) {
            goto failed;
        }
    }

    if (ngx_stream_playback_api_call(call) == NGX_OK) {
        return;
    }

    ngx_stream_playback_api_done(r,
                                 ngx_stream_playback_api_unavailable(r, -1));
    return;

failed:

    ngx_stream_playback_api_done(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
}


static void
ngx_stream_playback_continue_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    size_t                          len;
    int64_t                         n[3], permille;
    ngx_int_t                       rc;
    ngx_str_t                       title, device;
    ngx_buf_t                      *b;
    ngx_uint_t                      i, j, count;
    redisReply                     *item;
    ngx_stream_playback_api_ctx_t  *ctx;

    if (status != VODEDGE_REDIS_OK) {
        ngx_stream_playback_api_done(r,
                         ngx_stream_playback_api_unavailable(r, status));
        return;
    }

    ctx = ngx_stream_playback_api_get_ctx(r);

    len = sizeof("{\"profile\":,\"items\":[]}\n")
          + ngx_stream_playback_api_json_len(&ctx->id1);

    if (reply != NULL && reply->type == REDIS_REPLY_ARRAY) {
        for (i = 0; i < reply->elements; i++) {
            item = reply->element[i];

            if (item->type != REDIS_REPLY_ARRAY || item->elements != 5) {
                continue;
            }

            len += sizeof("{\"title\":,\"position_ms\":,\"duration_ms\":,"
                          "\"completion\":0.000,\"updated_at\":,"
                          "\"device\":null},")
                   + 3 * NGX_INT64_LEN
                   + 6 * (item->element[0]->len + item->element[4]->len + 2);
        }
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        ngx_stream_playback_api_done(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    b->last = ngx_cpymem(b->last, "{\"profile\":", 11);
    b->last = ngx_stream_playback_api_json_str(b->last, &ctx->id1);
    b->last = ngx_cpymem(b->last, ",\"items\":[", 10);

    count = 0;

    for (i = 0;
         reply != NULL && reply->type == REDIS_REPLY_ARRAY
         && i < reply->elements;
         i++)
    {
        item = reply->element[i];

        if (item->type != REDIS_REPLY_ARRAY || item->elements != 5) {
            continue;
        }

        for (j = 0; j < 3; j++) {
            if (ngx_stream_playback_api_reply_int(item->element[j + 1], &n[j])
                != NGX_OK)
            {
                n[j] = 0;
            }
        }

        ngx_stream_playback_reply_str(item->element[0], &title);
        ngx_stream_playback_reply_str(item->element[4], &device);

        permille = (n[1] > 0) ? n[0] * 1000 / n[1] : 0;

        if (permille > 1000) {
            permille = 1000;
        }

        if (count++) {
            *b->last++ = ',';
        }

        b->last = ngx_cpymem(b->last, "{\"title\":", 9);
        b->last = ngx_stream_playback_api_json_str(b->last, &title);
        b->last = ngx_sprintf(b->last, ",\"position_ms\":%L,"
                              "\"duration_ms\":%L,\"completion\":%L.%03L,"
                              "\"updated_at\":%L,\"device\":",
                              n[0], n[1], permille / 1000, permille % 1000,
                              n[2]);

        if (device.len > 0) {
            b->last = ngx_stream_playback_api_json_str(b->last, &device);

        } else {
            b->last = ngx_cpymem(b->last, "null", 4);
        }

        *b->last++ = '}';
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);

    rc = ngx_stream_playback_api_send(r, NGX_HTTP_OK, b);

    ngx_stream_playback_api_done(r, rc);
}


static ngx_int_t
ngx_stream_playback_resume_bad(ngx_http_request_t *r, const char *field,
    const char *what)
{
    u_char  *p;
    size_t   len;

    len = ngx_strlen(field) + 1 + ngx_strlen(what) + 1;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    (void) ngx_sprintf(p, "%s %s%Z", field, what);

    return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                                         "bad_request", (char *) p);
}


static void
ngx_stream_playback_reply_str(redisReply *reply, ngx_str_t *s)
{
    if (reply->type == REDIS_REPLY_STRING) {
        s->data = (u_char *) reply->str;
        s->len = reply->len;

    } else {
        s->data = (u_char *) "";
        s->len = 0;
    }
}
