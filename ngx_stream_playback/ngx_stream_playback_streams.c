/*
 * ngx_stream_playback_streams.c: concurrent streams per account.  A
 * playback session holds a slot in streams:{account} from the manifest
 * call on; its heartbeats (PUT /api/v1/resume with its session_id) keep
 * it; silent for longer than playback_stream_grace it is freed; ending
 * playback frees it at once:
 *
 *   DELETE /api/v1/playback/sessions/{session_id}   204, 404 if not held
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"


static void ngx_stream_playback_streams_delete_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);


static ngx_str_t  ngx_stream_playback_devices = ngx_string("devices");


ngx_int_t
ngx_stream_playback_streams_acquire(ngx_http_request_t *r,
    ngx_str_t *session, ngx_str_t *device, ngx_uint_t limit,
    ngx_stream_playback_call_pt handler)
{
    ngx_stream_playback_call_t      *call;
    ngx_stream_playback_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    call = ngx_stream_playback_api_call_init(r, handler,
                                       NGX_PLAYBACK_SCRIPT_STREAM_ACQUIRE, 3);
    if (call == NULL
        || ngx_stream_playback_api_arg_key(r, call, "streams", NULL, NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "streams",
                                           &ngx_stream_playback_devices, NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "session", session, NULL)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    ngx_stream_playback_api_arg(call, session->data, session->len);
    ngx_stream_playback_api_arg(call, device->data, device->len);

    if (ngx_stream_playback_api_arg_int(r, call, limit) != NGX_OK
        || ngx_stream_playback_api_arg_int(r, call, plcf->stream_grace)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_stream_playback_api_call(call);
}


/* 429: {"error":"too_many_streams","reason":"...","max_streams":N,
 * "active":[{"session_id":..,"device":..,"last_heartbeat":ms},...]} */

ngx_buf_t *
ngx_stream_playback_streams_refusal(ngx_http_request_t *r, redisReply *reply,
    ngx_uint_t limit)
{
    size_t       len;
    ngx_str_t    s;
    ngx_buf_t   *b;
    ngx_uint_t   i, n;
    redisReply  *e;

    len = sizeof("{\"error\":\"too_many_streams\",\"reason\":\"the account "
                 "plays on as many devices as its plan allows\","
                 "\"max_streams\":,\"active\":[]}\n")
          + NGX_INT_T_LEN;

    for (i = 1; i < reply->elements; i++) {
        len += sizeof("{\"session_id\":,\"device\":,\"last_heartbeat\":},")
               + 6 * reply->element[i]->len + 2;
    }

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_sprintf(b->last, "{\"error\":\"too_many_streams\","
                          "\"reason\":\"the account plays on as many "
                          "devices as its plan allows\",\"max_streams\":%ui,"
                          "\"active\":[", limit);

    n = 0;

    for (i = 1; i + 2 < reply->elements; i += 3) {
        /* session, device, last heartbeat (ms, Redis' clock) */

        if (n++) {
            *b->last++ = ',';
        }

        e = reply->element[i];
        s.data = (u_char *) (e->type == REDIS_REPLY_STRING ? e->str : "");
        s.len = (e->type == REDIS_REPLY_STRING) ? e->len : 0;

        b->last = ngx_cpymem(b->last, "{\"session_id\":", 14);
        b->last = ngx_stream_playback_api_json_str(b->last, &s);

        e = reply->element[i + 1];
        s.data = (u_char *) (e->type == REDIS_REPLY_STRING ? e->str : "");
        s.len = (e->type == REDIS_REPLY_STRING) ? e->len : 0;

        b->last = ngx_cpymem(b->last, ",\"device\":", 10);
        b->last = ngx_stream_playback_api_json_str(b->last, &s);

        e = reply->element[i + 2];

        b->last = ngx_cpymem(b->last, ",\"last_heartbeat\":", 18);

        if (e->type == REDIS_REPLY_STRING && e->len > 0 && e->len < 20) {
            b->last = ngx_cpymem(b->last, e->str, e->len);

        } else {
            *b->last++ = '0';
        }

        *b->last++ = '}';
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);

    return b;
}


ngx_int_t
ngx_stream_playback_streams_delete(ngx_http_request_t *r)
{
    ngx_stream_playback_call_t     *call;
    ngx_stream_playback_api_ctx_t  *ctx;

    ctx = ngx_stream_playback_api_get_ctx(r);

    call = ngx_stream_playback_api_call_init(r,
                                    ngx_stream_playback_streams_delete_done,
                                    NGX_PLAYBACK_SCRIPT_STREAM_RELEASE, 3);
    if (call == NULL
        || ngx_stream_playback_api_arg_key(r, call, "streams", NULL, NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "streams",
                                           &ngx_stream_playback_devices, NULL)
           != NGX_OK
        || ngx_stream_playback_api_arg_key(r, call, "session", &ctx->id2,
                                           NULL)
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
ngx_stream_playback_streams_delete_done(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    ngx_int_t  rc;

    if (status != VODEDGE_REDIS_OK) {
        rc = ngx_stream_playback_api_unavailable(r, status);

    } else if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) {
        rc = ngx_stream_playback_api_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                           "the account holds no such "
                                           "session");

    } else {
        rc = ngx_stream_playback_api_send(r, NGX_HTTP_NO_CONTENT, NULL);
    }

    ngx_stream_playback_api_done(r, rc);
}
