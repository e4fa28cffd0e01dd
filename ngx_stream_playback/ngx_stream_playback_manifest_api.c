/*
 * ngx_stream_playback_manifest_api.c: POST /api/v1/playback/manifest, what
 * a player needs to start: a new playback session holding a stream slot
 * of the account, HLS and DASH URLs signed with a short-lived media token
 * (aud media; account, tier, session, the title's path) on
 * playback_api_base_url, for a title licensed to the client's country,
 * the resume position, the tier's limits and, with playback_api_tracks,
 * the title's tracks as the origin lists them for the tier.  The stream
 * slot and the position are asked of Redis and the tracks of the origin
 * at once; the answer goes when the last of them is in.  Without Redis
 * the answer still comes (unless playback_streams_fail is closed),
 * position 0, and without the tracks it comes with "available_tracks"
 * null: a "degraded" list names what was skipped.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"

#include <openssl/rand.h>


typedef struct {
    ngx_str_t                     video;
    ngx_str_t                     profile;
    ngx_str_t                     session;
    ngx_str_t                     device;
    ngx_stream_playback_tier_t   *tier;
    int64_t                       position;
    ngx_int_t                     slot;        /* 1 held, 0 refused, -1 ? */
    ngx_buf_t                    *refusal;
    ngx_stream_playback_tracks_t  tracks;
    vod_json_t                   *drm_caps;    /* checked, or NULL */
    ngx_stream_playback_drm_t    *drm;         /* chosen, or NULL */
    unsigned                      resume_failed:1;
    unsigned                      streams_failed:1;
    unsigned                      tracks_wanted:1;
    unsigned                      answered:1;
} ngx_stream_playback_manifest_t;


static ngx_int_t ngx_stream_playback_manifest_body(ngx_http_request_t *r);
static ngx_int_t ngx_stream_playback_manifest_device(ngx_http_request_t *r,
    vod_json_t *body, ngx_stream_playback_manifest_t *m, const char **err);
static void ngx_stream_playback_manifest_slot(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static void ngx_stream_playback_manifest_position(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply);
static void ngx_stream_playback_manifest_wake(ngx_http_request_t *r);
static void ngx_stream_playback_manifest_finish(ngx_http_request_t *r);
static ngx_int_t ngx_stream_playback_manifest_answer(ngx_http_request_t *r);


ngx_int_t
ngx_stream_playback_manifest_post(ngx_http_request_t *r)
{
    return ngx_stream_playback_api_read_body(r,
                                         ngx_stream_playback_manifest_body);
}


static ngx_int_t
ngx_stream_playback_manifest_body(ngx_http_request_t *r)
{
    u_char                           *p;
    ngx_int_t                         rc;
    ngx_str_t                         tier;
    ngx_uint_t                        issued, unknown;
    const char                       *err;
    ngx_stream_playback_ctx_t        *pctx;
    ngx_stream_playback_call_t       *call;
    ngx_stream_playback_api_ctx_t    *ctx;
    ngx_stream_playback_manifest_t   *m;
    ngx_stream_playback_loc_conf_t   *plcf;
    ngx_stream_playback_main_conf_t  *pmcf;
    u_char                            rnd[16];

    ctx = ngx_stream_playback_api_get_ctx(r);
    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);
    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    m = ngx_pcalloc(r->pool, sizeof(ngx_stream_playback_manifest_t));
    if (m == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->data = m;
    m->slot = -1;

    err = NULL;

    if (ngx_stream_playback_api_body_str(ctx->body, "video_id",
                                         NGX_PLAYBACK_API_ID_MAX, &m->video,
                                         &err)
        != NGX_OK
        || ngx_stream_playback_api_valid_id(&m->video) != NGX_OK)
    {
        return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                   "bad_request", "video_id is missing or not 1 to 128 "
                   "characters of A-Z a-z 0-9 . _ -");
    }

    if (ngx_stream_playback_api_body_str(ctx->body, "profile_id",
                                         NGX_PLAYBACK_API_ID_MAX,
                                         &m->profile, &err)
        != NGX_OK
        || ngx_stream_playback_api_valid_id(&m->profile) != NGX_OK)
    {
        return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                   "bad_request", "profile_id is missing or not 1 to 128 "
                   "characters of A-Z a-z 0-9 . _ -");
    }

    rc = ngx_stream_playback_manifest_device(r, ctx->body, m, &err);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc != NGX_OK) {
        return ngx_stream_playback_api_error(r, NGX_HTTP_BAD_REQUEST,
                                             "bad_request", err);
    }

    if (!pb_jwt_has_profile(&ctx->claims, m->profile.data, m->profile.len)) {
        return ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", "profile_id is not one of the token's");
    }

    if (ctx->claims.tier.data == NULL) {
        return ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", "the token names no tier");
    }

    tier.data = ctx->claims.tier.data;
    tier.len = ctx->claims.tier.len;

    m->tier = ngx_stream_playback_tier_find(pmcf, &tier);
    if (m->tier == NULL) {
        return ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                   "forbidden", "the token's tier is not configured");
    }

    /* a title the client may play here, before any slot is taken: the
     * licensing of the media path (451), and 404 for a title the rights
     * table does not know when it is to deny those */

    if (plcf->licensing) {
        pctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

        rc = ngx_stream_playback_license(r, plcf, pctx, &m->video, &unknown);

        if (rc == NGX_ERROR) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (rc != NGX_OK && unknown) {
            return ngx_stream_playback_api_error(r, NGX_HTTP_NOT_FOUND,
                       "not_found", "no such title");
        }

        if (rc != NGX_OK) {
            ngx_str_set(&r->headers_out.status_line,
                        "451 Unavailable For Legal Reasons");

            return ngx_stream_playback_api_error(r, 451,
                       "unavailable_for_legal_reasons", pctx->licensing);
        }
    }

    /* a DRM system of the location's the device has, before any slot is
     * taken: a title protected for those systems alone would not play */

    if (ngx_stream_playback_drm_choose(plcf->api_drm, m->drm_caps, &m->drm)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "playback api: device \"%V\" of account \"%V\" "
                      "offers none of the location's DRM systems, "
                      "answering 403", &m->device, &ctx->account);

        return ngx_stream_playback_api_error(r, NGX_HTTP_FORBIDDEN,
                   "drm_unsupported",
                   ngx_stream_playback_drm_refusal(r, plcf->api_drm));
    }

    /* a session id nobody can guess: 128 random bits */

    p = ngx_pnalloc(r->pool, 2 * sizeof(rnd));
    if (p == NULL || RAND_bytes(rnd, sizeof(rnd)) != 1) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    m->session.data = p;
    m->session.len = ngx_hex_dump(p, rnd, sizeof(rnd)) - p;

    /* the tracks from the origin, the slot and the position from Redis,
     * all at once */

    rc = ngx_stream_playback_tracks_start(r, &m->video, m->tier, &m->tracks,
                                          ngx_stream_playback_manifest_wake);
    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    m->tracks_wanted = (rc == NGX_OK);

    issued = 0;

    if (ngx_stream_playback_streams_acquire(r, &m->session, &m->device,
                                            m->tier->streams,
                                         ngx_stream_playback_manifest_slot)
        == NGX_OK)
    {
        issued++;

    } else {
        m->streams_failed = 1;
    }

    call = ngx_stream_playback_api_call_init(r,
                                      ngx_stream_playback_manifest_position,
                                      -1, 0);
    if (call == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, (u_char *) "HGET", 4);

    if (ngx_stream_playback_api_arg_key(r, call, "playback", &m->profile,
                                        &m->video)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_stream_playback_api_arg(call, (u_char *) "position", 8);

    if (ngx_stream_playback_api_call(call) == NGX_OK) {
        issued++;

    } else {
        m->resume_failed = 1;
    }

    if (ctx->pending == 0) {
        m->answered = 1;
        return ngx_stream_playback_manifest_answer(r);
    }

    r->main->count++;

    return NGX_DONE;
}


/* "device": {"type": "tv", "esn": "...", "drm_capabilities": ["..."]}:
 * kept as "type" or "type:esn" beside the stream slot */

static ngx_int_t
ngx_stream_playback_manifest_device(ngx_http_request_t *r, vod_json_t *body,
    ngx_stream_playback_manifest_t *m, const char **err)
{
    u_char      *p;
    ngx_str_t    type, esn;
    vod_json_t  *device, *drm, *item;

    device = vod_json_get(body, "device");

    if (device == NULL || device->type != VOD_JSON_OBJECT) {
        *err = "device is missing or not an object";
        return NGX_DECLINED;
    }

    if (ngx_stream_playback_api_body_str(device, "type", 64, &type, err)
        != NGX_OK
        || type.len == 0)
    {
        *err = "device.type is missing or not a string of 1 to 64 bytes";
        return NGX_DECLINED;
    }

    if (ngx_stream_playback_api_body_str(device, "esn", 128, &esn, err)
        == NGX_DECLINED)
    {
        *err = "device.esn is not a string of at most 128 bytes";
        return NGX_DECLINED;
    }

    drm = vod_json_get(device, "drm_capabilities");

    if (drm != NULL) {
        if (drm->type != VOD_JSON_ARRAY) {
            *err = "device.drm_capabilities is not an array of strings";
            return NGX_DECLINED;
        }

        for (item = drm->child; item != NULL; item = item->next) {
            if (item->type != VOD_JSON_STRING) {
                *err = "device.drm_capabilities is not an array of strings";
                return NGX_DECLINED;
            }
        }

        m->drm_caps = drm;
    }

    p = ngx_pnalloc(r->pool, type.len + 1 + esn.len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    m->device.data = p;
    p = ngx_cpymem(p, type.data, type.len);

    if (esn.len) {
        *p++ = ':';
        p = ngx_cpymem(p, esn.data, esn.len);
    }

    m->device.len = p - m->device.data;

    return NGX_OK;
}


static void
ngx_stream_playback_manifest_slot(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    ngx_stream_playback_api_ctx_t   *ctx;
    ngx_stream_playback_manifest_t  *m;

    ctx = ngx_stream_playback_api_get_ctx(r);
    m = ctx->data;

    if (status != VODEDGE_REDIS_OK || reply->type != REDIS_REPLY_ARRAY
        || reply->elements == 0
        || reply->element[0]->type != REDIS_REPLY_INTEGER)
    {
        m->streams_failed = 1;

    } else if (reply->element[0]->integer == 1) {
        m->slot = 1;

    } else {
        m->slot = 0;
        m->refusal = ngx_stream_playback_streams_refusal(r, reply,
                                                         m->tier->streams);
    }

    ngx_stream_playback_manifest_finish(r);
}


static void
ngx_stream_playback_manifest_position(ngx_http_request_t *r,
    ngx_stream_playback_call_t *call, ngx_int_t status, redisReply *reply)
{
    ngx_stream_playback_api_ctx_t   *ctx;
    ngx_stream_playback_manifest_t  *m;

    ctx = ngx_stream_playback_api_get_ctx(r);
    m = ctx->data;

    if (status != VODEDGE_REDIS_OK) {
        m->resume_failed = 1;

    } else if (ngx_stream_playback_api_reply_int(reply, &m->position)
               != NGX_OK)
    {
        m->position = 0;
    }

    ngx_stream_playback_manifest_finish(r);
}


/* r's write handler while the tracks subrequest runs: nginx calls it
 * when that is done (and may at other times) */

static void
ngx_stream_playback_manifest_wake(ngx_http_request_t *r)
{
    ngx_stream_playback_manifest_finish(r);
}


/* the answer once the last of the Redis calls and the subrequest is in */

static void
ngx_stream_playback_manifest_finish(ngx_http_request_t *r)
{
    ngx_stream_playback_api_ctx_t   *ctx;
    ngx_stream_playback_manifest_t  *m;

    ctx = ngx_stream_playback_api_get_ctx(r);
    m = ctx->data;

    if (ctx->pending != 0 || m->answered) {
        return;
    }

    m->answered = 1;

    ngx_stream_playback_api_done(r, ngx_stream_playback_manifest_answer(r));
}


static ngx_int_t
ngx_stream_playback_manifest_answer(ngx_http_request_t *r)
{
    u_char                          *p, *token;
    size_t                           len, tlen;
    time_t                           exp;
    ngx_str_t                        base, media, drm, *prefix;
    ngx_buf_t                       *b;
    ngx_uint_t                       n;
    pb_jwt_key_t                    *key;
    pb_jwt_mint_t                    mint;
    ngx_stream_playback_api_ctx_t   *ctx;
    ngx_stream_playback_manifest_t  *m;
    ngx_stream_playback_loc_conf_t  *plcf;

    ctx = ngx_stream_playback_api_get_ctx(r);
    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);
    m = ctx->data;

    if (m->slot == 0) {
        if (m->refusal == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_stream_playback_count(r, NGX_PB_M_STREAMS, "limit");

        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "playback api: account \"%V\" at its limit of %ui "
                      "streams, answering 429",
                      &ctx->account, m->tier->streams);

        return ngx_stream_playback_api_send(r, NGX_HTTP_TOO_MANY_REQUESTS,
                                            m->refusal);
    }

    if (m->streams_failed && !plcf->streams_fail) {
        ngx_stream_playback_count(r, NGX_PB_M_STREAMS, "unavailable");
        return ngx_stream_playback_api_unavailable(r, -1);
    }

    /* the media token: the title's path, the session, the tier */

    key = plcf->keys->elts;
    exp = ngx_time() + plcf->media_token_ttl;

    /* the title's path: of the origin location that packages for the
     * chosen DRM system, if it names one */

    prefix = (m->drm != NULL && m->drm->path.len) ? &m->drm->path
                                                  : &plcf->title_from;

    p = ngx_pnalloc(r->pool, prefix->len + m->video.len + 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memzero(&mint, sizeof(pb_jwt_mint_t));
    mint.kid.data = key->kid.data;
    mint.kid.len = key->kid.len;
    mint.secret.data = key->secret.data;
    mint.secret.len = key->secret.len;
    mint.exp = exp;
    mint.sub.data = ctx->account.data;
    mint.sub.len = ctx->account.len;
    mint.tier.data = m->tier->name.data;
    mint.tier.len = m->tier->name.len;
    mint.aud = PB_JWT_AUD_MEDIA;

    /* bound to the session, whose end the media path sees
     * (ngx_stream_playback_session.c); a session Redis could not record
     * (failing open) would be refused there: such a token has no sid */

    if (m->slot == 1) {
        mint.sid.data = m->session.data;
        mint.sid.len = m->session.len;
    }

    mint.path.data = p;
    mint.path.len = ngx_sprintf(p, "%V%V/", prefix, &m->video) - p;

    tlen = pb_jwt_mint_size(&mint);

    token = ngx_pnalloc(r->pool, tlen);
    if (token == NULL
        || pb_jwt_mint(&mint, token, tlen, &tlen) != PB_JWT_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_http_complex_value(r, plcf->api_base_url, &base) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    while (base.len > 0 && base.data[base.len - 1] == '/') {
        base.len--;
    }

    /* the title's signed URL prefix; the base URL comes from the
     * configuration (variables included), token, path and title are
     * URL-safe by construction */

    media.len = base.len + sizeof("/t/") - 1 + tlen + mint.path.len;
    media.data = ngx_pnalloc(r->pool, media.len);
    if (media.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_sprintf(media.data, "%V/t/%*s%*s", &base, tlen, token,
                mint.path.len, mint.path.data);

    ngx_str_null(&drm);

    if (m->drm != NULL
        && ngx_stream_playback_drm_json(r, m->drm, &media, &drm) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("{\"playback_session_id\":\"\",\"video_id\":,"
                 "\"profile_id\":,\"manifests\":{\"hls\":,\"dash\":},"
                 "\"media_token_expires_at\":,"
                 "\"bookmarks\":{\"resume_position_ms\":},"
                 "\"limits\":{\"tier\":,\"max_streams\":,\"max_height\":,"
                 "\"max_bitrate\":},\"available_tracks\":null,"
                 "\"degraded\":[\"stream_limits\",\"resume_position\","
                 "\"available_tracks\"]}\n")
          + m->tracks.json.len
          + m->session.len
          + ngx_stream_playback_api_json_len(&m->video)
          + ngx_stream_playback_api_json_len(&m->profile)
          + 2 * (ngx_stream_playback_api_json_len(&media)
                 + sizeof("manifest.mpd"))
          + drm.len
          + 3 * NGX_INT64_LEN + 2 * NGX_INT_T_LEN
          + ngx_stream_playback_api_json_len(&m->tier->name);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"playback_session_id\":\"%V\","
                          "\"video_id\":", &m->session);
    b->last = ngx_stream_playback_api_json_str(b->last, &m->video);
    b->last = ngx_cpymem(b->last, ",\"profile_id\":", 14);
    b->last = ngx_stream_playback_api_json_str(b->last, &m->profile);

    b->last = ngx_cpymem(b->last, ",\"manifests\":{\"hls\":", 20);
    b->last = ngx_stream_playback_api_json_str(b->last, &media);
    b->last = ngx_cpymem(b->last - 1, "master.m3u8\"", 12);
    b->last = ngx_cpymem(b->last, ",\"dash\":", 8);
    b->last = ngx_stream_playback_api_json_str(b->last, &media);
    b->last = ngx_cpymem(b->last - 1, "manifest.mpd\"}", 14);

    if (drm.len) {
        b->last = ngx_cpymem(b->last, drm.data, drm.len);
    }

    b->last = ngx_sprintf(b->last, ",\"media_token_expires_at\":%T,"
                          "\"bookmarks\":{\"resume_position_ms\":%L},"
                          "\"limits\":{\"tier\":",
                          exp, m->resume_failed ? 0 : m->position);
    b->last = ngx_stream_playback_api_json_str(b->last, &m->tier->name);
    b->last = ngx_sprintf(b->last, ",\"max_streams\":%ui,\"max_height\":%ui,"
                          "\"max_bitrate\":%uL}",
                          m->tier->streams, m->tier->max_height,
                          m->tier->max_bitrate);

    if (m->tracks.json.len) {
        b->last = ngx_cpymem(b->last, ",\"available_tracks\":", 20);
        b->last = ngx_cpymem(b->last, m->tracks.json.data,
                             m->tracks.json.len);

    } else if (m->tracks_wanted) {
        b->last = ngx_cpymem(b->last, ",\"available_tracks\":null", 24);
    }

    b->last = ngx_cpymem(b->last, ",\"degraded\":[", 13);

    n = 0;

    if (m->streams_failed) {
        b->last = ngx_cpymem(b->last, "\"stream_limits\"", 15);
        n++;
    }

    if (m->resume_failed) {
        if (n++) {
            *b->last++ = ',';
        }

        b->last = ngx_cpymem(b->last, "\"resume_position\"", 17);
    }

    if (m->tracks_wanted && m->tracks.json.len == 0) {
        if (n) {
            *b->last++ = ',';
        }

        b->last = ngx_cpymem(b->last, "\"available_tracks\"", 18);
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);

    if (m->streams_failed || m->resume_failed) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "playback api: manifest for account \"%V\" answered "
                      "without Redis:%s%s",
                      &ctx->account,
                      m->streams_failed ? " stream limits not enforced" : "",
                      m->resume_failed ? " resume position 0" : "");
    }

    return ngx_stream_playback_api_send(r, NGX_HTTP_OK, b);
}
