/*
 * ngx_vod_package_iframe.c: the I-frame playlists of vod_iframe_playlists
 * (vod_iframe.h): their lines in the multivariant playlists, the
 * playlists themselves, and the key frame an I-frame segment picks out of
 * the media segment the load step read.  The segments then take the
 * video segments' own path (CMAF or MPEG-TS, threads included).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "vod_ts.h"


static ngx_str_t  ngx_vod_type_m3u8 =
    ngx_string("application/vnd.apple.mpegurl");


/*
 * Whether the manifests of kind (NGX_VOD_IMAGES_HLS, _DASH) name the
 * I-frame streams.  Whatever vod_encryption says: under Common
 * Encryption an I-frame segment is its key frame as the media segment
 * protects it (vod_segment_t's first keeps the sample's IV), under
 * SAMPLE-AES its NAL units as the media segment's (one IV for the
 * title), and under HLS AES-128 it is encrypted whole with its own media
 * sequence number, its place in the I-frame playlist (vod_segment_t's
 * sequence).
 */

ngx_uint_t
ngx_vod_iframes_on(ngx_http_request_t *r, ngx_uint_t kind)
{
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    return (vlcf->iframe_playlists & kind) != 0;
}


/* an I-frame URL where no manifest names it is not ours: the playlists
 * and the MPEG-TS segments are HLS's, the CMAF segments HLS's and the
 * MPD's */

ngx_int_t
ngx_vod_iframe_check(ngx_http_request_t *r, vod_url_t *url)
{
    ngx_uint_t  kind;

    if (url->kind != VOD_URL_IFRAMES && url->key == 0) {
        return NGX_OK;
    }

    kind = (url->kind == VOD_URL_SEGMENT && url->stream == VOD_STREAM_VIDEO)
           ? NGX_VOD_IMAGES_HLS|NGX_VOD_IMAGES_DASH : NGX_VOD_IMAGES_HLS;

    if (ngx_vod_iframes_on(r, kind)) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "vod: I-frame playlists are off here "
                  "(vod_iframe_playlists)");

    return NGX_HTTP_NOT_FOUND;
}


/* the I-frame segment: key frame url->key of the segment loaded */

ngx_int_t
ngx_vod_iframe_narrow(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    int             rc;
    vod_sample_t   *sample;
    vod_segment_t   seg;

    sample = ngx_palloc(r->pool, sizeof(vod_sample_t));
    if (sample == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->video.track != NULL && ctx->video.track->refresh_key != 0) {
        /* its key frames are recovery points: no I-frame playlist lists
         * them (vod_index_iframes()) */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\" has no I-frame playlist: its sync "
                      "sample %uD does not decode alone",
                      &ctx->media.id, ctx->video.track->refresh_key);
        return NGX_HTTP_NOT_FOUND;
    }

    rc = vod_iframe_pick(&ctx->video, ctx->url.key, &seg, sample);

    if (rc == VOD_NOT_FOUND) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: segment %uD of \"%V\" has no key frame %uD",
                      ctx->url.segment + 1, &ctx->media.id, ctx->url.key);
        return NGX_HTTP_NOT_FOUND;
    }

    if (rc != VOD_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: key frame %uD of segment %uD of \"%V\" lasts "
                      "over 2^32 ticks", ctx->url.key, ctx->url.segment + 1,
                      &ctx->media.id);
        return NGX_HTTP_BAD_GATEWAY;
    }

    ctx->video = seg;

    return NGX_OK;
}


/* iframe-{id}.m3u8, iframets-{id}.m3u8 */

ngx_int_t
ngx_vod_iframe_load(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    ctx->media.iframes = 1;

    return ngx_vod_media_load(r, &ctx->media, NGX_VOD_WANT_INFO, 0, NULL,
                              NULL);
}


ngx_int_t
ngx_vod_iframe_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *out;
    size_t                       len;
    unsigned                     ts;
    ngx_int_t                    rc;
    vod_str_t                    id;
    vod_title_t                  title;
    ngx_vod_media_t             *media;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    media = &ctx->media;
    ts = (ctx->url.stream == VOD_STREAM_VIDEO_TS);

    if (media->video == NULL || media->video->iframes == NULL
        || (ts && !vod_ts_supported(media->video)))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\" has no I-frame playlist%s", &media->id,
                      ts ? " in MPEG-TS" : "");
        return NGX_HTTP_NOT_FOUND;
    }

    id.data = media->id.data;
    id.len = media->id.len;

    /* the media playlist's keys */
    ngx_memzero(&title, sizeof(vod_title_t));

    rc = ngx_vod_protect_title_keys(r, &ctx->dir, &title);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = vod_iframe_playlist(&media->venv.env, &id, media->video, &title, ts,
                             &out, &len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.etag = ngx_vod_url_etag(r, &ctx->url, media);

    if (ngx_vod_package_rendition_header(r, media->video) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.type = &ngx_vod_type_m3u8;
    ctx->out.cache_control = &vlcf->playlist_cache_control;
    ctx->out.mtime = media->of.mtime;
    ctx->out.data = out;
    ctx->out.len = len;

    return NGX_OK;
}


/* the I-frame streams added to a multivariant playlist or an MPD
 * written */

ngx_int_t
ngx_vod_iframe_master(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_t *title, vod_env_t *env, u_char **out, size_t *len)
{
    int  rc;

    if (ctx->url.kind == VOD_URL_MPD) {
        if (!ngx_vod_iframes_on(r, NGX_VOD_IMAGES_DASH)) {
            return NGX_OK;
        }

        rc = vod_iframe_dash(env, *out, *len, title, out, len);

    } else {
        if (!ngx_vod_iframes_on(r, NGX_VOD_IMAGES_HLS)) {
            return NGX_OK;
        }

        rc = vod_iframe_hls_master(env, *out, *len, title,
                                   ctx->url.kind == VOD_URL_MASTER_TS, out,
                                   len);
    }

    return (rc == VOD_OK) ? NGX_OK : ngx_vod_status(rc);
}


/* what of the configuration the multivariant playlists' I-frame lines
 * depend on: a reload changing it is a new ETag */

uint64_t
ngx_vod_iframe_etag(ngx_http_request_t *r, uint64_t etag)
{
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    return ngx_vod_etag_add(etag, &vlcf->iframe_playlists,
                            sizeof(vlcf->iframe_playlists));
}
