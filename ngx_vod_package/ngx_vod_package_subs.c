/*
 * ngx_vod_package_subs.c: sidecar subtitle files (vod_subs.h, vod_vtt.h).
 * The manifests open and parse every sidecar of the title, leaving out
 * those that fail with the parser's one log line; the subtitle playlists
 * and segments (sub-, subts-) follow the segment grid of the title's
 * first rendition, whose index is loaded as a media playlist's is.  A
 * sidecar is small (VOD_VTT_MAX_FILE at most) and read whole with one
 * pread(), as title.json is; parsed, its cues go into vod_index_cache
 * (vod_vtt_pack(), keyed by the file's path and identity), so a segment
 * is written from there without reading or parsing the file again.  A
 * file that does not parse is not kept: each request that needs it logs
 * why once.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "vod_subs.h"
#include "vod_vtt.h"


static ngx_int_t ngx_vod_subs_cues(ngx_http_request_t *r,
    ngx_vod_media_t *media, unsigned srt, uint64_t from, uint64_t to,
    uint64_t mpegts, u_char **out, size_t *len);
static ngx_int_t ngx_vod_subs_parse(ngx_http_request_t *r,
    ngx_vod_media_t *media, unsigned srt, u_char **blob, size_t *len);
static void ngx_vod_subs_file_id(ngx_vod_media_t *media,
    ngx_vod_file_id_t *id);


static ngx_str_t  ngx_vod_type_m3u8 =
    ngx_string("application/vnd.apple.mpegurl");
static ngx_str_t  ngx_vod_type_vtt = ngx_string("text/vtt; charset=utf-8");


/* a manifest's sidecars, opened for the ETag; one that cannot be opened
 * is left out */

ngx_int_t
ngx_vod_subs_open(ngx_http_request_t *r, ngx_str_t *dir,
    ngx_vod_title_files_t *files, uint64_t *etag, time_t *mtime)
{
    uint32_t               i;
    ngx_vod_media_t       *media;
    vod_title_spec_t      *spec;
    vod_rendition_spec_t   rs;

    spec = files->spec;
    files->subs = NULL;

    if (spec->subtitle_count == 0) {
        return NGX_OK;
    }

    files->subs = ngx_palloc(r->pool,
                             spec->subtitle_count * sizeof(ngx_vod_media_t));
    if (files->subs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < spec->subtitle_count; i++) {
        media = &files->subs[i];

        rs.id = spec->subtitles[i].id;
        rs.file = spec->subtitles[i].file;

        if (ngx_vod_media_open(r, dir, &rs, media) != NGX_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: subtitle file \"%V\" left out: cannot be "
                          "opened", &media->path);
            media->left_out = 1;
            continue;
        }

        *etag = ngx_vod_media_etag(r, media, *etag);

        if (media->of.mtime > *mtime) {
            *mtime = media->of.mtime;
        }
    }

    return NGX_OK;
}


/* the manifests' subtitle renditions: the sidecars that parse */

ngx_int_t
ngx_vod_subs_collect(ngx_http_request_t *r, ngx_vod_title_files_t *files,
    vod_subs_t *subs)
{
    uint32_t               i;
    ngx_int_t              rc;
    ngx_vod_media_t       *media;
    vod_subtitle_spec_t   *s;

    subs->count = 0;

    for (i = 0; i < files->spec->subtitle_count; i++) {
        media = &files->subs[i];
        s = &files->spec->subtitles[i];

        if (media->left_out) {
            continue;
        }

        /* parsed, or found parsed: whether it is usable */
        rc = ngx_vod_subs_cues(r, media, s->srt, 0, 0, VOD_VTT_NO_MAP, NULL,
                               NULL);

        if (rc == NGX_HTTP_BAD_GATEWAY) {
            /* the parser's line said why */
            media->left_out = 1;
            continue;
        }

        if (rc != NGX_OK) {
            return rc;
        }

        if (!vod_subs_add(subs, s)) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod: subtitle file \"%V\" left out: more than "
                          "%d subtitles", &media->path, VOD_MAX_SUBTITLES);
        }
    }

    return NGX_OK;
}


/*
 * WebVTT of a sidecar's cues shown in [from, to) (vod_vtt_write()), into
 * *out; with out NULL only whether the file parses.  From the cache when
 * it has the file's cues, else parsed and put there.
 * NGX_HTTP_BAD_GATEWAY when it is not a subtitle file (logged once).
 */

static ngx_int_t
ngx_vod_subs_cues(ngx_http_request_t *r, ngx_vod_media_t *media,
    unsigned srt, uint64_t from, uint64_t to, uint64_t mpegts, u_char **out,
    size_t *len)
{
    int                           rc;
    u_char                       *blob;
    size_t                        blob_len;
    ngx_int_t                     grc;
    ngx_vod_file_id_t             id;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);

    ngx_vod_subs_file_id(media, &id);

    if (vmcf->index_cache != NULL) {
        blob = ngx_vod_cache_lock(vmcf->index_cache, &media->path, 0, &id,
                                  &blob_len);
        if (blob != NULL) {
            rc = VOD_OK;

            if (out != NULL) {
                rc = vod_vtt_write(&media->venv.env, blob, blob_len, from,
                                   to, mpegts, out, len);
            }

            ngx_vod_cache_unlock(vmcf->index_cache);

            return ngx_vod_status(rc);
        }
    }

    grc = ngx_vod_subs_parse(r, media, srt, &blob, &blob_len);
    if (grc != NGX_OK) {
        return grc;
    }

    if (vmcf->index_cache != NULL) {
        (void) ngx_vod_cache_insert(vmcf->index_cache, &media->path, 0, &id,
                                    blob, blob_len, r->connection->log);
    }

    if (out == NULL) {
        return NGX_OK;
    }

    return ngx_vod_status(vod_vtt_write(&media->venv.env, blob, blob_len,
                                        from, to, mpegts, out, len));
}


static void
ngx_vod_subs_file_id(ngx_vod_media_t *media, ngx_vod_file_id_t *id)
{
    ngx_memzero(id, sizeof(ngx_vod_file_id_t));
    id->uniq = media->of.uniq;
    id->size = media->of.size;
    id->mtime = media->of.mtime;
}


/* the whole file read, parsed and packed; NGX_HTTP_BAD_GATEWAY when it is
 * not a subtitle file (logged once) */

static ngx_int_t
ngx_vod_subs_parse(ngx_http_request_t *r, ngx_vod_media_t *media,
    unsigned srt, u_char **blob, size_t *len)
{
    int        rc;
    u_char    *buf;
    ssize_t    n;
    size_t     size;
    vod_vtt_t  vtt;

    if (media->of.size > VOD_VTT_MAX_FILE) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": subtitles: file larger than %d bytes",
                      &media->path, VOD_VTT_MAX_FILE);
        return NGX_HTTP_BAD_GATEWAY;
    }

    size = (size_t) media->of.size;

    buf = ngx_pnalloc(r->pool, size + 1);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = (size > 0) ? ngx_vod_pread(media->of.fd, buf, size, 0, 0) : 0;

    if (n != (ssize_t) size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "vod: pread() \"%V\" failed", &media->path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = vod_vtt_parse(&media->venv.env, buf, size, srt, &vtt);

    if (rc == VOD_OK) {
        rc = vod_vtt_pack(&media->venv.env, &vtt, blob, len);
    }

    return ngx_vod_status(rc);
}


/* sub-{id}.m3u8, sub-{id}-N.vtt, subts-...: the sidecar by id (else a
 * text track, _text.c), and the title's first rendition for the segment
 * grid (not for sub-{id}-full.vtt) */

ngx_int_t
ngx_vod_subs_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    time_t                 mtime;
    uint32_t               i;
    ngx_int_t              rc;
    vod_url_t             *url;
    vod_title_spec_t      *spec;
    vod_rendition_spec_t   rs;

    url = &ctx->url;

    spec = ngx_palloc(r->pool, sizeof(vod_title_spec_t));
    if (spec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_vod_title_spec(r, &ctx->dir, spec, &mtime);
    if (rc != NGX_OK) {
        return rc;
    }

    for (i = 0; i < spec->subtitle_count; i++) {
        if (spec->subtitles[i].id.len == url->id.len
            && ngx_memcmp(spec->subtitles[i].id.data, url->id.data,
                          url->id.len)
               == 0)
        {
            break;
        }
    }

    if (i == spec->subtitle_count) {
        /* text{T}-{id}: a text track (_text.c) */
        return ngx_vod_text_resolve(r, ctx, spec);
    }

    ctx->sub_spec = &spec->subtitles[i];

    rs.id = ctx->sub_spec->id;
    rs.file = ctx->sub_spec->file;

    rc = ngx_vod_media_open(r, &ctx->dir, &rs, &ctx->sub);
    if (rc != NGX_OK) {
        return rc;
    }

    if (url->kind == VOD_URL_FULL) {
        return NGX_OK;
    }

    return ngx_vod_media_open(r, &ctx->dir, &spec->renditions[0],
                              &ctx->media);
}


ngx_int_t
ngx_vod_subs_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *out;
    size_t                       len;
    uint64_t                     from, to, hash, mpegts;
    ngx_int_t                    rc;
    unsigned                     ts;
    vod_url_t                   *url;
    ngx_vod_media_t             *media;
    vod_track_info_t            *grid;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;
    ts = (url->stream == VOD_STREAM_SUB_TS);

    hash = ngx_vod_etag_add(0, &url->kind, sizeof(url->kind));
    hash = ngx_vod_etag_add(hash, &url->stream, sizeof(url->stream));
    hash = ngx_vod_etag_add(hash, &url->segment, sizeof(url->segment));
    hash = ngx_vod_media_etag(r, &ctx->sub, hash);

    if (ctx->sub_spec->track_id != 0) {
        /* one file, several text tracks */
        hash = ngx_vod_etag_add(hash, url->id.data, url->id.len);
    }

    ctx->out.mtime = ctx->sub.of.mtime;

    grid = NULL;

    if (url->kind != VOD_URL_FULL) {
        grid = (media->video != NULL) ? media->video : media->audio;

        if (grid == NULL) {
            return NGX_HTTP_NOT_FOUND;
        }

        hash = ngx_vod_media_etag(r, media, hash);

        if (media->of.mtime > ctx->out.mtime) {
            ctx->out.mtime = media->of.mtime;
        }
    }

    if (url->kind == VOD_URL_PLAYLIST) {
        if (ctx->sub_spec->track_id != 0) {
            /* a playlist only for a text track that is there and
             * converts */
            rc = ngx_vod_text_cues(r, &ctx->sub, 0, 0, VOD_VTT_NO_MAP, NULL,
                                   NULL);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        rc = vod_subs_hls_media(&ctx->sub.venv.env, &url->id, ts, grid,
                                &out, &len);
        if (rc != VOD_OK) {
            return ngx_vod_status(rc);
        }

        ctx->out.type = &ngx_vod_type_m3u8;
        ctx->out.cache_control = &vlcf->playlist_cache_control;
        goto done;
    }

    if (url->kind == VOD_URL_SEGMENT) {
        if (vod_subs_segment_span(grid, url->segment, &from, &to)
            != VOD_OK)
        {
            return NGX_HTTP_NOT_FOUND;
        }

    } else {
        from = 0;
        to = (uint64_t) -1;
    }

    mpegts = (url->kind == VOD_URL_SEGMENT) ? vod_subs_mpegts(ts)
                                            : VOD_VTT_NO_MAP;

    if (ctx->sub_spec->track_id != 0) {
        rc = ngx_vod_text_cues(r, &ctx->sub, from, to, mpegts, &out, &len);

    } else {
        rc = ngx_vod_subs_cues(r, &ctx->sub, ctx->sub_spec->srt, from, to,
                               mpegts, &out, &len);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    ctx->out.type = &ngx_vod_type_vtt;
    ctx->out.cache_control = &vlcf->segment_cache_control;

done:

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.etag = hash;
    ctx->out.data = out;
    ctx->out.len = len;

    return NGX_OK;
}
