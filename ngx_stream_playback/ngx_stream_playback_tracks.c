/*
 * ngx_stream_playback_tracks.c: the manifest call's available_tracks.
 * The origin knows a title's tracks (its tracks.json, under the tier's
 * ceiling); the edge asks for it with a subrequest to the location that
 * playback_api_tracks names, in memory, beside the Redis calls, so that
 * the answer waits for the slower of the two and never blocks.  The
 * subrequest carries nothing of the viewer's request: no body, no
 * Authorization, no cookies; only the tier's ceiling as the X-Vod-Max-*
 * headers the origin reads.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"
#include "vodedge_env.h"


/* what the origin writes for 32 video, 32 audio and many subtitle tracks
 * fits; more is not a title but a mistake */
#define NGX_PLAYBACK_TRACKS_NODES  4096


static ngx_int_t ngx_stream_playback_tracks_done(ngx_http_request_t *sr,
    void *data, ngx_int_t rc);
static ngx_int_t ngx_stream_playback_tracks_headers(ngx_http_request_t *sr,
    ngx_stream_playback_tier_t *tier);
static ngx_int_t ngx_stream_playback_tracks_header(ngx_http_request_t *sr,
    char *name, uint64_t value);
static ngx_int_t ngx_stream_playback_tracks_check(ngx_http_request_t *r,
    u_char *p, size_t len, const char **err);


/* starts the subrequest for video's tracks.json; NGX_DECLINED when none
 * is configured, NGX_ERROR when it cannot start (the answer then goes
 * without), else NGX_OK and wake becomes r's write handler: nginx calls
 * it once the subrequest is done */

ngx_int_t
ngx_stream_playback_tracks_start(ngx_http_request_t *r, ngx_str_t *video,
    ngx_stream_playback_tier_t *tier, ngx_stream_playback_tracks_t *tracks,
    ngx_http_event_handler_pt wake)
{
    u_char                          *p;
    ngx_str_t                        uri;
    ngx_http_request_t              *sr;
    ngx_http_post_subrequest_t      *ps;
    ngx_stream_playback_api_ctx_t   *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (plcf->api_tracks.len == 0) {
        return NGX_DECLINED;
    }

    ctx = ngx_stream_playback_api_get_ctx(r);

    uri.len = plcf->api_tracks.len + video->len + sizeof("/tracks.json") - 1;
    uri.data = ngx_pnalloc(r->pool, uri.len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    /* the title is A-Z a-z 0-9 . _ - and not "." or "..": a path segment
     * as it is */
    p = ngx_cpymem(uri.data, plcf->api_tracks.data, plcf->api_tracks.len);
    p = ngx_cpymem(p, video->data, video->len);
    ngx_memcpy(p, "/tracks.json", sizeof("/tracks.json") - 1);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_ERROR;
    }

    ps->handler = ngx_stream_playback_tracks_done;
    ps->data = tracks;

    if (ngx_http_subrequest(r, &uri, NULL, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_stream_playback_tracks_headers(sr, tier) != NGX_OK) {
        return NGX_ERROR;
    }

    tracks->uri = uri;
    tracks->pending = 1;
    ctx->pending++;

    r->write_event_handler = wake;

    return NGX_OK;
}


/* the subrequest's own headers: the viewer's (the API token among them)
 * stay at the edge, and no body goes with a GET */

static ngx_int_t
ngx_stream_playback_tracks_headers(ngx_http_request_t *sr,
    ngx_stream_playback_tier_t *tier)
{
    if (ngx_list_init(&sr->headers_in.headers, sr->pool, 4,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    sr->request_body = NULL;
    sr->headers_in.content_length = NULL;
    sr->headers_in.content_length_n = -1;
    sr->headers_in.transfer_encoding = NULL;
    sr->headers_in.chunked = 0;
    sr->headers_in.authorization = NULL;
    sr->headers_in.if_none_match = NULL;
    sr->headers_in.if_modified_since = NULL;
    sr->headers_in.range = NULL;
    sr->headers_in.if_range = NULL;
#if (NGX_HTTP_GZIP || NGX_HTTP_HEADERS)
    sr->headers_in.accept_encoding = NULL;
#endif

    if (tier->max_height != 0
        && ngx_stream_playback_tracks_header(sr, "X-Vod-Max-Height",
                                             tier->max_height)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (tier->max_bitrate != 0
        && ngx_stream_playback_tracks_header(sr, "X-Vod-Max-Bitrate",
                                             tier->max_bitrate)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_stream_playback_tracks_header(ngx_http_request_t *sr, char *name,
    uint64_t value)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    h = ngx_list_push(&sr->headers_in.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    p = ngx_pnalloc(sr->pool, NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h->key.data = (u_char *) name;
    h->key.len = ngx_strlen(name);
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "%uL", value) - p;

    h->lowcase_key = ngx_pnalloc(sr->pool, h->key.len);
    if (h->lowcase_key == NULL) {
        return NGX_ERROR;
    }

    h->hash = ngx_hash_strlow(h->lowcase_key, h->key.data, h->key.len);
#if (nginx_version >= 1023000)
    h->next = NULL;
#endif

    return NGX_OK;
}


/* in the subrequest's finalization: keep a JSON object of the three
 * lists, or say why not (one line); the parent answers once woken */

static ngx_int_t
ngx_stream_playback_tracks_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc)
{
    ngx_stream_playback_tracks_t  *tracks = data;

    size_t                          len;
    ngx_buf_t                      *b;
    const char                     *err;
    ngx_http_request_t             *r;
    ngx_stream_playback_api_ctx_t  *ctx;

    r = sr->parent;

    if (!tracks->pending) {
        return rc;
    }

    tracks->pending = 0;

    ctx = ngx_stream_playback_api_get_ctx(r);
    ctx->pending--;

    err = NULL;
    b = (sr->out != NULL) ? sr->out->buf : NULL;

    if (rc != NGX_OK && rc != NGX_DONE) {
        err = "the subrequest failed";

    } else if (sr->headers_out.status != NGX_HTTP_OK) {
        err = "not 200";

    } else if (b == NULL || b->last == b->pos) {
        err = "an empty body";

    } else {
        len = b->last - b->pos;

        if (ngx_stream_playback_tracks_check(r, b->pos, len, &err)
            == NGX_OK)
        {
            /* what goes into the answer as it is: a checked object */
            while (len > 0 && (b->pos[len - 1] == '\n'
                               || b->pos[len - 1] == ' '))
            {
                len--;
            }

            tracks->json.data = b->pos;
            tracks->json.len = len;
        }
    }

    if (err != NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "playback api: available_tracks from \"%V\": %s "
                      "(status %ui), answering without them",
                      &tracks->uri, err, sr->headers_out.status);
    }

    return rc;
}


/* {"video":[...],"audio":[...],"subtitles":[...]} and nothing else:
 * whatever the origin sent is parsed before it is copied into an answer */

static ngx_int_t
ngx_stream_playback_tracks_check(ngx_http_request_t *r, u_char *p,
    size_t len, const char **err)
{
    int                 rc;
    vod_env_t           env;
    ngx_uint_t          n;
    vod_json_t         *root, *m;
    vod_json_limits_t   limits;

    vodedge_env_init(&env, r->pool);

    ngx_memzero(&limits, sizeof(vod_json_limits_t));
    limits.max_depth = 4;
    limits.max_nodes = NGX_PLAYBACK_TRACKS_NODES;

    rc = vod_json_parse(&env, p, len, &limits, &root);

    if (rc != VOD_OK) {
        *err = (rc == VOD_ERROR) ? "out of memory" : "not JSON";
        return NGX_DECLINED;
    }

    if (root->type != VOD_JSON_OBJECT) {
        *err = "not a JSON object";
        return NGX_DECLINED;
    }

    n = 0;

    for (m = root->child; m != NULL; m = m->next) {
        n += (m->type == VOD_JSON_ARRAY);
    }

    if (n != 3 || root->count != 3
        || vod_json_key_count(root, "video") != 1
        || vod_json_key_count(root, "audio") != 1
        || vod_json_key_count(root, "subtitles") != 1)
    {
        *err = "not an object of the arrays video, audio and subtitles";
        return NGX_DECLINED;
    }

    return NGX_OK;
}
