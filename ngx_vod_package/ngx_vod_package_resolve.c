/*
 * ngx_vod_package_resolve.c: the first two steps of a request.  Resolve
 * maps the URI onto a title directory and a virtual file (vod_url.h) and
 * opens the rendition files it needs; load gets their sample indexes (from
 * the shared cache, or parsed: in a thread under "aio threads" when the
 * moov is not in the page cache).  Manifests do both in
 * _manifest.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "ngx_vod_package_thumb.h"


ngx_int_t
ngx_vod_package_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                *last, *slash;
    size_t                 root;
    ngx_int_t              rc;
    ngx_str_t              path, id;
    vod_url_t             *url;
    vod_title_spec_t      *spec;
    vod_rendition_spec_t  *found;

    url = &ctx->url;

    last = ngx_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    path.len = last - path.data;

    slash = ngx_strlchr(path.data + root, last, '/');
    if (slash == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    for (slash = last - 1; *slash != '/'; slash--) { /* void */ }

    if (slash + 1 == last || slash == path.data) {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = vod_url_parse(slash + 1, last - slash - 1, url);

    if (rc != VOD_OK) {
        if (rc == VOD_BAD_REQUEST) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod: malformed name \"%*s\"", last - slash - 1,
                          slash + 1);
        }

        return ngx_vod_status(rc);
    }

    rc = ngx_vod_iframe_check(r, url);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the title directory, null-terminated for ngx_open_dir() */
    *slash = '\0';
    ctx->dir.data = path.data;
    ctx->dir.len = slash - path.data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod: title \"%V\", kind %ui", &ctx->dir,
                   (ngx_uint_t) url->kind);

    if (vod_url_is_title(url->kind)) {
        return ngx_vod_manifest_resolve(r, ctx);
    }

    if (url->stream == VOD_STREAM_SUB || url->stream == VOD_STREAM_SUB_TS) {
        return ngx_vod_subs_resolve(r, ctx);
    }

    /* a media playlist, an init segment or a segment: one rendition */

    spec = ngx_palloc(r->pool, sizeof(vod_title_spec_t));
    if (spec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    id.data = url->id.data;
    id.len = url->id.len;

    rc = ngx_vod_title_find(r, &ctx->dir, spec, &id, &found);
    if (rc != NGX_OK) {
        return rc;
    }

    /* an audio track title.json excludes is in no manifest: its files
     * are not there either */

    if ((url->stream == VOD_STREAM_AUDIO
         || url->stream == VOD_STREAM_AUDIO_TS)
        && spec->audio_count != 0
        && vod_title_audio_excluded(spec, &url->id, url->track_id))
    {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = ngx_vod_media_open(r, &ctx->dir, found, &ctx->media);

    /* audio{T}-{id}: that track of the file; when it is the first one
     * and audio-{id} is excluded, it is excluded too */
    ctx->media.audio_id = url->track_id;
    ctx->media.first_excluded = url->track_id != 0
                                && vod_title_audio_excluded(spec, &url->id,
                                                            0);

    return rc;
}


ngx_int_t
ngx_vod_package_load(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    ngx_int_t    rc;
    ngx_uint_t   want;
    vod_url_t   *url;

    url = &ctx->url;

    switch (url->kind) {

    case VOD_URL_MASTER:
    case VOD_URL_MASTER_TS:
    case VOD_URL_MPD:
    case VOD_URL_TRACKS:
        return ngx_vod_manifest_load(r, ctx);

    case VOD_URL_FULL:
        return NGX_OK;

    case VOD_URL_PLAYLIST:
    case VOD_URL_INIT:
        return ngx_vod_media_load(r, &ctx->media, NGX_VOD_WANT_INFO, 0,
                                  NULL, NULL);

    case VOD_URL_IFRAMES:
        return ngx_vod_iframe_load(r, ctx);

    case VOD_URL_THUMB:
        return ngx_vod_thumb_load(r, ctx);

    case VOD_URL_TILES:
    case VOD_URL_TILES_VTT:
    case VOD_URL_IMAGES:
        return ngx_vod_tiles_load(r, ctx);

    default: /* VOD_URL_SEGMENT */

        if (url->stream == VOD_STREAM_SUB
            || url->stream == VOD_STREAM_SUB_TS)
        {
            /* the grid's segment times */
            return ngx_vod_media_load(r, &ctx->media, NGX_VOD_WANT_INFO, 0,
                                      NULL, NULL);
        }

        if (url->stream == VOD_STREAM_TS) {
            /* MPEG-TS: the video and its audio */
            want = NGX_VOD_WANT_VIDEO|NGX_VOD_WANT_AUDIO;

        } else {
            /* CMAF, or MPEG-TS of the video or of one audio track alone */
            want = (url->stream == VOD_STREAM_VIDEO
                    || url->stream == VOD_STREAM_VIDEO_TS)
                   ? NGX_VOD_WANT_VIDEO : NGX_VOD_WANT_AUDIO;
        }

        rc = ngx_vod_media_load(r, &ctx->media, want, url->segment,
                                &ctx->video, &ctx->audio);

        if (rc != NGX_OK || url->key == 0) {
            if (rc == NGX_HTTP_NOT_FOUND && url->key != 0) {
                /* the I-frame playlists name no such segment: a client
                 * guessing, or a playlist older than the file */
                ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                              "vod: \"%*s\" has no video segment %uD",
                              url->id.len, url->id.data, url->segment + 1);
            }

            return rc;
        }

        /* iframe-, iframets-: one key frame of the segment */
        return ngx_vod_iframe_narrow(r, ctx);
    }
}
