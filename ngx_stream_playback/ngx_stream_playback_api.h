/*
 * ngx_stream_playback_api.h: the playback API (resume positions, continue
 * watching, stream limits, the manifest call), which keeps its state in
 * Redis through shared/vodedge_redis.  Routing, Bearer tokens, bodies,
 * JSON errors and Redis calls are in ngx_stream_playback_api.c; each
 * endpoint family has a file of its own.
 */

#ifndef _NGX_STREAM_PLAYBACK_API_H_INCLUDED_
#define _NGX_STREAM_PLAYBACK_API_H_INCLUDED_


#include "ngx_stream_playback_module.h"
#include "vod_json.h"


#define NGX_PLAYBACK_API_BODY_MAX     4096
#define NGX_PLAYBACK_API_ID_MAX       128     /* profile, title, session */
#define NGX_PLAYBACK_API_DEVICE_MAX   256

/* the server-side scripts: ngx_stream_playback_scripts.c */
#define NGX_PLAYBACK_SCRIPT_RESUME_SET      0
#define NGX_PLAYBACK_SCRIPT_RESUME_DEL      1
#define NGX_PLAYBACK_SCRIPT_CONTINUE        2
#define NGX_PLAYBACK_SCRIPT_STREAM_ACQUIRE  3
#define NGX_PLAYBACK_SCRIPT_STREAM_RELEASE  4
#define NGX_PLAYBACK_SCRIPT_PRESENCE        5
#define NGX_PLAYBACK_SCRIPTS                6

#define NGX_PLAYBACK_API_CALLS_MAX    2       /* in flight per request */
#define NGX_PLAYBACK_API_ARGS_MAX     16


typedef struct ngx_stream_playback_call_s  ngx_stream_playback_call_t;

typedef void (*ngx_stream_playback_call_pt)(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);


/* one Redis command of a request; a script call goes as EVALSHA and once
 * more as EVAL after NOSCRIPT */
struct ngx_stream_playback_call_s {
    ngx_http_request_t            *request;
    vodedge_redis_cmd_t           *cmd;        /* NULL: not in flight */
    ngx_stream_playback_call_pt    handler;
    ngx_int_t                      script;     /* -1: a plain command */
    int                            argc;
    int                            nargs;      /* room in argv */
    const char                   **argv;       /* args, or the pool's */
    size_t                        *argvlen;
    const char                    *args[NGX_PLAYBACK_API_ARGS_MAX];
    size_t                         lens[NGX_PLAYBACK_API_ARGS_MAX];
    unsigned                       retried:1;
};


typedef struct {
    ngx_str_t                      account;    /* the token's sub */
    ngx_str_t                      scope;      /* "{account}" in keys */
    pb_jwt_claims_t                claims;
    ngx_str_t                      id1;        /* path segments */
    ngx_str_t                      id2;
    vod_json_t                    *body;       /* a parsed JSON object */
    ngx_stream_playback_call_t     calls[NGX_PLAYBACK_API_CALLS_MAX];
    ngx_uint_t                     pending;
    ngx_uint_t                     ncalls;
    void                          *data;       /* the endpoint's own */
    ngx_int_t                    (*body_handler)(ngx_http_request_t *r);
} ngx_stream_playback_api_ctx_t;


/* the manifest call's available_tracks: ngx_stream_playback_tracks.c */
typedef struct {
    ngx_str_t                      uri;        /* of the subrequest */
    ngx_str_t                      json;       /* checked; empty: none */
    unsigned                       pending:1;
} ngx_stream_playback_tracks_t;


/* a DRM system of the manifest call: ngx_stream_playback_drm.c */
typedef struct {
    ngx_int_t                      system;     /* PB_DRM_* */
    ngx_http_complex_value_t      *license;    /* NULL: the title's own */
    ngx_http_complex_value_t      *certificate;   /* FairPlay's */
    ngx_str_t                      path;       /* "": playback_title_from */
    ngx_uint_t                     hls;        /* else DASH */
} ngx_stream_playback_drm_t;


#define ngx_stream_playback_api_get_ctx(r)                                   \
    ((ngx_stream_playback_api_ctx_t *)                                       \
     ((ngx_stream_playback_ctx_t *)                                          \
      ngx_http_get_module_ctx(r, ngx_stream_playback_module))->api)


/* ngx_stream_playback_api.c */
ngx_int_t ngx_stream_playback_api_read_body(ngx_http_request_t *r,
    ngx_int_t (*handler)(ngx_http_request_t *r));
ngx_int_t ngx_stream_playback_api_unavailable(ngx_http_request_t *r,
    ngx_int_t status);
ngx_int_t ngx_stream_playback_api_send(ngx_http_request_t *r,
    ngx_uint_t status, ngx_buf_t *b);
ngx_int_t ngx_stream_playback_api_error(ngx_http_request_t *r,
    ngx_uint_t status, const char *error, const char *reason);
void ngx_stream_playback_api_done(ngx_http_request_t *r, ngx_int_t rc);
ngx_stream_playback_call_t *ngx_stream_playback_api_call_init(
    ngx_http_request_t *r, ngx_stream_playback_call_pt handler,
    ngx_int_t script, ngx_uint_t nkeys);
ngx_int_t ngx_stream_playback_api_args(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_uint_t n);
void ngx_stream_playback_api_arg(ngx_stream_playback_call_t *call,
    u_char *data, size_t len);
ngx_int_t ngx_stream_playback_api_arg_key(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, const char *family, ngx_str_t *a,
    ngx_str_t *b);
ngx_int_t ngx_stream_playback_api_arg_int(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, int64_t n);
ngx_int_t ngx_stream_playback_api_call(ngx_stream_playback_call_t *call);
ngx_int_t ngx_stream_playback_api_start(ngx_stream_playback_call_t *call);
ngx_int_t ngx_stream_playback_api_valid_id(ngx_str_t *s);
ngx_int_t ngx_stream_playback_api_body_int(vod_json_t *body,
    const char *name, ngx_uint_t required, int64_t *n, const char **err);
ngx_int_t ngx_stream_playback_api_body_str(vod_json_t *body,
    const char *name, size_t max, ngx_str_t *s, const char **err);
u_char *ngx_stream_playback_api_json_str(u_char *p, ngx_str_t *s);
size_t ngx_stream_playback_api_json_len(ngx_str_t *s);
ngx_int_t ngx_stream_playback_api_reply_int(redisReply *reply, int64_t *n);

/* the endpoints: ngx_stream_playback_resume.c, _streams.c,
 * _manifest_api.c; each returns what the content handler returns */
ngx_int_t ngx_stream_playback_resume_put(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_resume_get(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_resume_delete(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_continue_get(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_streams_delete(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_manifest_post(ngx_http_request_t *r);

/* ngx_stream_playback_streams.c: the stream slot of a new session, for
 * the manifest call; handler as a call's */
ngx_int_t ngx_stream_playback_streams_acquire(ngx_http_request_t *r,
    ngx_str_t *session, ngx_str_t *device, ngx_uint_t limit,
    ngx_stream_playback_call_pt handler);
ngx_buf_t *ngx_stream_playback_streams_refusal(ngx_http_request_t *r,
    redisReply *reply, ngx_uint_t limit);

/* ngx_stream_playback_drm.c */
ngx_int_t ngx_stream_playback_drm_choose(ngx_array_t *drm, vod_json_t *caps,
    ngx_stream_playback_drm_t **chosen);
const char *ngx_stream_playback_drm_refusal(ngx_http_request_t *r,
    ngx_array_t *drm);
ngx_int_t ngx_stream_playback_drm_json(ngx_http_request_t *r,
    ngx_stream_playback_drm_t *drm, ngx_str_t *media, ngx_str_t *out);

/* ngx_stream_playback_tracks.c */
ngx_int_t ngx_stream_playback_tracks_start(ngx_http_request_t *r,
    ngx_str_t *video, ngx_stream_playback_tier_t *tier,
    ngx_stream_playback_tracks_t *tracks, ngx_http_event_handler_pt wake);

/* ngx_stream_playback_scripts.c */
ngx_int_t ngx_stream_playback_scripts_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf);
void ngx_stream_playback_scripts_load(vodedge_redis_client_t *client,
    void *data);


#endif /* _NGX_STREAM_PLAYBACK_API_H_INCLUDED_ */
