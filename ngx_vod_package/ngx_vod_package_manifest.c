/*
 * ngx_vod_package_manifest.c: the steps of a multivariant playlist
 * (master.m3u8, master-ts.m3u8), an MPD or the title's tracks.json.
 * Resolve takes a manifest whose files this worker looked at in the
 * current second from its cache (_manifest_cache.c) as it is; else it
 * opens every file of the title, enough for the ETag, and a manifest made
 * before with that ETag comes from the cache, the indexes not loaded;
 * else load gets every rendition's index and plan writes the text.
 * Content Steering is added to the playlists and the MPD, and so is the
 * image track of the tile sheets where vod_thumbnail_manifests says so.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "ngx_vod_package_thumb.h"
#include "vod_manifest.h"
#include "vod_ts.h"


static ngx_int_t ngx_vod_package_open_title(ngx_http_request_t *r,
    ngx_str_t *dir, ngx_vod_title_files_t *files, uint64_t *etag,
    time_t *mtime);
static ngx_int_t ngx_vod_package_title(ngx_http_request_t *r,
    ngx_str_t *dir, ngx_vod_title_files_t *files, vod_title_t *title);
static void ngx_vod_package_ts_left_out(ngx_http_request_t *r,
    ngx_str_t *dir, vod_title_t *title);
static void ngx_vod_package_sparse_keys(ngx_http_request_t *r,
    ngx_str_t *dir, vod_title_t *title);
static ngx_uint_t ngx_vod_package_within(ngx_http_request_t *r,
    ngx_str_t *dir, vod_title_t *title, uint32_t max_height,
    uint64_t max_bitrate);
static ngx_int_t ngx_vod_package_steering(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url, ngx_vod_env_t *venv, u_char **out,
    size_t *len);
static ngx_int_t ngx_vod_package_subs_of(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx, vod_title_t *title, vod_subs_t **subs);
static ngx_int_t ngx_vod_package_subtitles(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx, vod_title_t *title, ngx_vod_env_t *venv,
    u_char **out, size_t *len);
static ngx_int_t ngx_vod_package_images(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx, vod_title_t *title, ngx_vod_env_t *venv,
    u_char **out, size_t *len);
static uint64_t ngx_vod_package_images_etag(ngx_http_request_t *r,
    uint64_t etag);
static int ngx_libc_cdecl ngx_vod_package_rendition_cmp(const void *one,
    const void *two);


static ngx_str_t  ngx_vod_type_m3u8 =
    ngx_string("application/vnd.apple.mpegurl");
static ngx_str_t  ngx_vod_type_mpd = ngx_string("application/dash+xml");
static ngx_str_t  ngx_vod_type_json = ngx_string("application/json");


ngx_int_t
ngx_vod_manifest_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    size_t                       len;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_vod_package_loc_conf_t  *vlcf;

    url = &ctx->url;

    rc = ngx_vod_package_request_limits(r, &ctx->max_height,
                                        &ctx->max_bitrate);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the same manifest: the title under the same location's settings,
     * of the same kind and ceiling (the cache compares ctx->dir too) */
    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    ctx->manifest_key = ngx_vod_etag_add(0, ctx->dir.data, ctx->dir.len);
    ctx->manifest_key = ngx_vod_etag_add(ctx->manifest_key, &vlcf,
                                         sizeof(vlcf));
    ctx->manifest_key = ngx_vod_etag_add(ctx->manifest_key, &url->kind,
                                         sizeof(url->kind));
    ctx->manifest_key = ngx_vod_etag_add(ctx->manifest_key, &ctx->max_height,
                                         sizeof(ctx->max_height));
    ctx->manifest_key = ngx_vod_etag_add(ctx->manifest_key,
                                         &ctx->max_bitrate,
                                         sizeof(ctx->max_bitrate));
    /* a key service's KID: a rotated key is another manifest at once */
    ctx->manifest_key = ngx_vod_protect_etag(r, ctx->manifest_key);

    /* with open_file_cache a change shows only once the files' entries
     * are checked again anyway (open_file_cache_valid): a second more is
     * what saves looking at every file on every request; without it, a
     * change shows at once, as a static file's does */
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->open_file_cache != NULL) {
        ctx->out.data = ngx_vod_manifest_cache_fresh(r, &ctx->dir,
                                                     ctx->manifest_key,
                                                     &ctx->etag, &ctx->mtime,
                                                     &len);
        if (ctx->out.data != NULL) {
            ctx->out.len = len;
            ctx->made = 1;
            return NGX_OK;
        }
    }

    ctx->etag = ngx_vod_etag_add(0, &url->kind, sizeof(url->kind));
    ctx->etag = ngx_vod_protect_etag(r, ctx->etag);
    ctx->etag = ngx_vod_package_images_etag(r, ctx->etag);
    ctx->etag = ngx_vod_iframe_etag(r, ctx->etag);

    rc = ngx_vod_package_open_title(r, &ctx->dir, &ctx->files, &ctx->etag,
                                    &ctx->mtime);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->max_height != 0 || ctx->max_bitrate != 0) {
        ctx->etag = ngx_vod_etag_add(ctx->etag, &ctx->max_height,
                                     sizeof(ctx->max_height));
        ctx->etag = ngx_vod_etag_add(ctx->etag, &ctx->max_bitrate,
                                     sizeof(ctx->max_bitrate));
    }

    /* made before with this ETag: the indexes need not be looked at */
    ctx->out.data = ngx_vod_manifest_cache_get(r, &ctx->dir,
                                               ctx->manifest_key, ctx->etag,
                                               &len);
    if (ctx->out.data != NULL) {
        ctx->out.len = len;
        ctx->made = 1;
    }

    return NGX_OK;
}


/* every rendition's index; after a wait, from the one that waited */

ngx_int_t
ngx_vod_manifest_load(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    ngx_int_t         rc;
    ngx_vod_media_t  *media;

    if (ctx->made) {
        return NGX_OK;
    }

    while (ctx->loaded < ctx->files.spec->count) {
        media = &ctx->files.media[ctx->loaded];
        media->all_audio = 1;
        media->iframes = ngx_vod_iframes_on(r,
                                            (ctx->url.kind == VOD_URL_MPD)
                                            ? NGX_VOD_IMAGES_DASH
                                            : (ctx->url.kind
                                               == VOD_URL_TRACKS)
                                              ? 0 : NGX_VOD_IMAGES_HLS);

        rc = ngx_vod_media_load(r, media, NGX_VOD_WANT_INFO, 0, NULL, NULL);

        if (rc == NGX_HTTP_UNSUPPORTED_MEDIA_TYPE) {
            /* a file with nothing we package (an E-AC-3 audio file, an
             * encrypted one): the title goes on without it, the line
             * saying why is the index build's.  A broken file still fails
             * the title (502): it is a rendition gone wrong, not one
             * never meant for us. */
            media->left_out = 1;
            media->video = NULL;
            media->audio = NULL;
            media->audio_count = 0;

            if (ctx->files.left_out == NGX_OK) {
                ctx->files.left_out = rc;
            }

        } else if (rc != NGX_OK) {
            return (rc == NGX_HTTP_NOT_FOUND) ? NGX_HTTP_BAD_GATEWAY : rc;
        }

        ctx->loaded++;
    }

    return NGX_OK;
}


ngx_int_t
ngx_vod_manifest_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *out;
    size_t                       len;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    vod_subs_t                  *subs;
    vod_title_t                  title;
    ngx_vod_env_t                venv;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;

    ngx_vod_env_init(&venv, r, &ctx->dir, NGX_INVALID_FILE);

    out = ctx->out.data;
    len = ctx->out.len;

    if (!ctx->made) {
        rc = ngx_vod_package_title(r, &ctx->dir, &ctx->files, &title);
        if (rc != NGX_OK) {
            return rc;
        }

        if ((ctx->max_height != 0 || ctx->max_bitrate != 0)
            && !ngx_vod_package_within(r, &ctx->dir, &title, ctx->max_height,
                                       ctx->max_bitrate))
        {
            return NGX_HTTP_FORBIDDEN;
        }

        if (url->kind != VOD_URL_TRACKS) {
            ngx_vod_package_sparse_keys(r, &ctx->dir, &title);
        }

        rc = ngx_vod_protect_title_keys(r, &ctx->dir, &title);
        if (rc != NGX_OK) {
            return rc;
        }

        if (url->kind == VOD_URL_MPD && title.protect != NULL
            && title.protect->scheme == VOD_PROTECT_SCHEME_AES128)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod: no MPD under \"vod_encryption aes-128\", "
                          "which HLS alone carries");
            return NGX_HTTP_NOT_FOUND;
        }

        if (url->kind == VOD_URL_MPD) {
            rc = vod_dash_mpd(&venv.env, &title, &out, &len);

        } else if (url->kind == VOD_URL_TRACKS) {
            rc = ngx_vod_package_subs_of(r, ctx, &title, &subs);
            if (rc != NGX_OK) {
                return rc;
            }

            rc = vod_tracks_json(&venv.env, &title, subs, &out, &len);

        } else {
            if (url->kind == VOD_URL_MASTER_TS) {
                ngx_vod_package_ts_left_out(r, &ctx->dir, &title);
            }

            rc = vod_hls_master(&venv.env, &title,
                                url->kind == VOD_URL_MASTER_TS, &out, &len);
        }

        if (rc != VOD_OK) {
            return ngx_vod_status(rc);
        }

        if (url->kind != VOD_URL_TRACKS) {
            rc = ngx_vod_package_subtitles(r, ctx, &title, &venv, &out,
                                           &len);
            if (rc != NGX_OK) {
                return rc;
            }

            rc = ngx_vod_package_images(r, ctx, &title, &venv, &out, &len);
            if (rc != NGX_OK) {
                return rc;
            }

            rc = ngx_vod_iframe_master(r, ctx, &title, &venv.env, &out,
                                       &len);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        /* files changed in the last seconds may change again within the
         * same second, unseen by the ETag's mtimes: not kept yet */

        if (ngx_time() - ctx->mtime >= 2) {
            ngx_vod_manifest_cache_put(&ctx->dir, ctx->manifest_key,
                                       ctx->etag, ctx->mtime, out, len,
                                       r->connection->log);
        }
    }

    if (vlcf->steering_uri != NULL && url->kind != VOD_URL_TRACKS) {
        rc = ngx_vod_package_steering(r, &ctx->dir, url, &venv, &out, &len);
        if (rc != NGX_OK) {
            return rc;
        }

        /* the steering server URI may vary per request */
        ctx->etag = ngx_vod_etag_add(ctx->etag, out, len);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.type = (url->kind == VOD_URL_MPD) ? &ngx_vod_type_mpd
                    : (url->kind == VOD_URL_TRACKS) ? &ngx_vod_type_json
                                                    : &ngx_vod_type_m3u8;
    ctx->out.cache_control = &vlcf->playlist_cache_control;
    ctx->out.etag = ctx->etag;
    ctx->out.mtime = ctx->mtime;
    ctx->out.data = out;
    ctx->out.len = len;

    return NGX_OK;
}



/*
 * A title's rendition files, opened (through open_file_cache): enough for
 * the manifests' ETag, which hashes title.json's and each file's identity.
 * Their indexes are loaded only when the manifest has to be written.
 */

static ngx_int_t
ngx_vod_package_open_title(ngx_http_request_t *r, ngx_str_t *dir,
    ngx_vod_title_files_t *files, uint64_t *etag, time_t *mtime)
{
    uint32_t           i;
    ngx_int_t          rc;
    ngx_vod_media_t   *media;
    vod_title_spec_t  *spec;

    spec = ngx_palloc(r->pool, sizeof(vod_title_spec_t));
    if (spec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_vod_title_spec(r, dir, spec, &files->json_mtime);
    if (rc != NGX_OK) {
        return rc;
    }

    files->spec = spec;
    files->left_out = NGX_OK;
    files->media = ngx_palloc(r->pool, spec->count * sizeof(ngx_vod_media_t));
    if (files->media == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *etag = ngx_vod_etag_add(*etag, &files->json_mtime,
                             sizeof(files->json_mtime));
    *mtime = files->json_mtime;

    for (i = 0; i < spec->count; i++) {
        media = &files->media[i];

        rc = ngx_vod_media_open(r, dir, &spec->renditions[i], media);
        if (rc != NGX_OK) {
            /* one bad rendition makes the whole manifest wrong */
            return (rc == NGX_HTTP_NOT_FOUND) ? NGX_HTTP_BAD_GATEWAY : rc;
        }

        *etag = ngx_vod_media_etag(r, media, *etag);

        if (media->of.mtime > *mtime) {
            *mtime = media->of.mtime;
        }
    }

    return ngx_vod_subs_open(r, dir, files, etag, mtime);
}


/* the title's subtitle renditions, sidecars then the files' text tracks;
 * NULL when it has none */

static ngx_int_t
ngx_vod_package_subs_of(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_t *title, vod_subs_t **subs)
{
    ngx_int_t    rc;
    vod_subs_t  *s;

    *subs = NULL;

    s = ngx_palloc(r->pool, sizeof(vod_subs_t));
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    s->count = 0;

    if (ctx->files.spec->subtitle_count != 0) {
        rc = ngx_vod_subs_collect(r, &ctx->files, s);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    /* _text.c */
    rc = ngx_vod_text_collect(r, &ctx->files, title, s);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ctx->files.spec->subtitle_count != 0 || s->count != 0) {
        *subs = s;
    }

    return NGX_OK;
}


/* the title's subtitles added to the manifest written */

static ngx_int_t
ngx_vod_package_subtitles(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_t *title, ngx_vod_env_t *venv, u_char **out, size_t *len)
{
    int          rc;
    ngx_int_t    grc;
    vod_subs_t  *subs;

    grc = ngx_vod_package_subs_of(r, ctx, title, &subs);
    if (grc != NGX_OK || subs == NULL) {
        return grc;
    }

    if (ctx->url.kind == VOD_URL_MPD) {
        rc = vod_subs_dash(&venv->env, *out, *len, subs, out, len);

    } else {
        rc = vod_subs_hls_master(&venv->env, *out, *len, subs,
                                 ctx->url.kind == VOD_URL_MASTER_TS, out,
                                 len);
    }

    return (rc == VOD_OK) ? NGX_OK : ngx_vod_status(rc);
}


/* the tile sheets' image track added to the manifest written */

static ngx_int_t
ngx_vod_package_images(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_t *title, ngx_vod_env_t *venv, u_char **out, size_t *len)
{
    int           rc;
    ngx_int_t     grc;
    ngx_uint_t    kind;
    vod_images_t  im;

    kind = (ctx->url.kind == VOD_URL_MPD) ? NGX_VOD_IMAGES_DASH
                                          : NGX_VOD_IMAGES_HLS;

    grc = ngx_vod_tiles_images(r, title, kind, &im);
    if (grc != NGX_OK) {
        return (grc == NGX_DECLINED) ? NGX_OK : grc;
    }

    if (ctx->url.kind == VOD_URL_MPD) {
        rc = vod_images_dash(&venv->env, *out, *len, &im, out, len);

    } else {
        rc = vod_images_hls_master(&venv->env, *out, *len, &im, out, len);
    }

    return (rc == VOD_OK) ? NGX_OK : ngx_vod_status(rc);
}


/* what of the location's configuration the image track depends on: a
 * change of it (a reload) is a new ETag */

static uint64_t
ngx_vod_package_images_etag(ngx_http_request_t *r, uint64_t etag)
{
    uint32_t                     v[7];
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (!vlcf->thumbnails) {
        return etag;
    }

    v[0] = (uint32_t) vlcf->thumbnail_manifests;
    v[1] = (uint32_t) vlcf->tile_cols;
    v[2] = (uint32_t) vlcf->tile_rows;
    v[3] = (uint32_t) vlcf->tile_interval;
    v[4] = (uint32_t) vlcf->tile_width;
    v[5] = (uint32_t) vlcf->thumbnail_max_width;
    v[6] = (uint32_t) vlcf->thumbnail_max_height;

    return ngx_vod_etag_add(etag, v, sizeof(v));
}


/* the loaded renditions with their track views, as the core's title */

static ngx_int_t
ngx_vod_package_title(ngx_http_request_t *r, ngx_str_t *dir,
    ngx_vod_title_files_t *files, vod_title_t *title)
{
    u_char                      *p;
    uint32_t                     i;
    ngx_str_t                    path;
    ngx_vod_env_t                venv;
    ngx_vod_media_t             *media;
    vod_rendition_t             *rd;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    ngx_memzero(title, sizeof(vod_title_t));

    title->renditions = ngx_palloc(r->pool, files->spec->count
                                            * sizeof(vod_rendition_t));
    if (title->renditions == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    title->segment_ms = (uint32_t) vlcf->segment_duration;

    for (i = 0; i < files->spec->count; i++) {
        media = &files->media[i];

        if (media->left_out) {
            continue;
        }

        rd = &title->renditions[title->count++];
        ngx_memzero(rd, sizeof(vod_rendition_t));
        rd->id.data = media->id.data;
        rd->id.len = media->id.len;
        rd->video = media->video;
        rd->audio = media->audio;
        rd->audios = media->audios;
        rd->audio_count = media->audio_count;
    }

    if (title->count == 0) {
        /* not one file it can use: the first reason */
        return files->left_out;
    }

    if (files->json_mtime == 0) {
        /* no title.json to give the order: highest bitrate first */
        ngx_qsort(title->renditions, title->count, sizeof(vod_rendition_t),
                  ngx_vod_package_rendition_cmp);
    }

    vod_title_pick_audio(title);

    if (files->spec->audio_count == 0) {
        return NGX_OK;
    }

    /* title.json's "audio": the line saying what is wrong is the core's,
     * naming title.json */

    path.len = dir->len + sizeof("/title.json") - 1;
    path.data = ngx_pnalloc(r->pool, path.len);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(path.data, dir->data, dir->len);
    ngx_memcpy(p, "/title.json", sizeof("/title.json") - 1);

    ngx_vod_env_init(&venv, r, &path, NGX_INVALID_FILE);

    if (vod_title_audio_apply(&venv.env, title, files->spec) != VOD_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* the renditions MPEG-TS cannot carry (HEVC, AV1: the TS muxer has H.264,
 * AAC, AC-3 and E-AC-3; a variant with muxed audio, only AAC) leave
 * master-ts.m3u8 with one line when it is made (it is cached after) */

static void
ngx_vod_package_ts_left_out(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_t *title)
{
    uint32_t           i;
    ngx_str_t          id;
    ngx_uint_t         has_video, demux;
    vod_rendition_t   *rd;
    vod_track_info_t  *t;

    demux = vod_hls_ts_demux(title);
    has_video = 0;

    for (i = 0; i < title->count; i++) {
        has_video |= (title->renditions[i].video != NULL);
    }

    for (i = 0; i < title->count; i++) {
        rd = &title->renditions[i];

        /* what vod_hls_master() would list, were the codecs muxable */

        if (has_video && rd->video == NULL) {
            continue;
        }

        if (rd->video != NULL && !vod_ts_supported(rd->video)) {
            t = rd->video;

        } else if (rd->audio != NULL
                   && !(demux ? vod_ts_audio_supported(rd->audio)
                              : vod_ts_supported(rd->audio)))
        {
            t = rd->audio;

        } else {
            continue;
        }

        id.data = rd->id.data;
        id.len = rd->id.len;

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod_package: \"%V\": rendition \"%V\" (%s) left out "
                      "of master-ts.m3u8: MPEG-TS carries H.264, AAC, "
                      "AC-3 and E-AC-3",
                      dir, &id, t->codec_str);
    }
}


/*
 * A segment starts at a video key frame where every track of the file
 * still has samples: a video whose key frames are far apart, or an audio
 * track that ends long before the video, makes segments as long, which
 * nothing else shows the operator (EXTINF and the target duration just
 * follow).  Players start, seek and switch renditions only at segments,
 * and each such segment is one response of that many seconds' bytes.
 * Said where a manifest is made (a manifest cache keeps it from
 * repeating), of each rendition whose longest segment is over twice the
 * target.
 */

static void
ngx_vod_package_sparse_keys(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_t *title)
{
    uint32_t           i, j, which, target;
    uint64_t           ms, end, ended;
    ngx_str_t          id;
    vod_track_info_t  *t, *a, *first;
    vod_rendition_t   *rd;

    target = title->segment_ms;

    for (i = 0; i < title->count; i++) {
        rd = &title->renditions[i];
        t = rd->video;

        if (t == NULL || t->timescale == 0) {
            continue;
        }

        ms = vod_track_longest_segment(t, &which) * 1000 / t->timescale;

        if (ms <= 2 * (uint64_t) target) {
            continue;
        }

        id.data = rd->id.data;
        id.len = rd->id.len;

        /* the last one, after an audio track's end: no cut past it */

        first = NULL;
        ended = 0;
        end = t->duration * 1000 / t->timescale;

        for (j = 0; which + 1 == t->segment_count && j < rd->audio_count;
             j++)
        {
            a = rd->audios[j];

            if (a->timescale != 0
                && a->duration * 1000 / a->timescale + target < end
                && (first == NULL
                    || a->duration * 1000 / a->timescale < ended))
            {
                first = a;
                ended = a->duration * 1000 / a->timescale;
            }
        }

        if (first != NULL) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod_package: \"%V\": rendition \"%V\": its last "
                          "segment (%uD) lasts %uL.%03uL s, over twice "
                          "vod_segment_duration (%uD ms), because audio "
                          "track %uD ends at %uL.%03uL s, before the video: "
                          "no segment starts where a track has no sample "
                          "left; make the tracks the same length",
                          dir, &id, which + 1, ms / 1000, ms % 1000, target,
                          first->track_id, ended / 1000, ended % 1000);
            continue;
        }

        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod_package: \"%V\": rendition \"%V\": segment %uD "
                      "lasts %uL.%03uL s, over twice vod_segment_duration "
                      "(%uD ms), because its video has no key frame "
                      "between; players start, seek and switch only at "
                      "key frames: encode with one at least every %uD ms",
                      dir, &id, which + 1, ms / 1000, ms % 1000, target,
                      target);
    }
}


/* a tier's ceiling: the renditions above it leave the title; none left
 * (of a title with video) is a refusal */

static ngx_uint_t
ngx_vod_package_within(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_t *title, uint32_t max_height, uint64_t max_bitrate)
{
    uint32_t  i, videos;

    for (videos = 0, i = 0; i < title->count; i++) {
        videos += (title->renditions[i].video != NULL);
    }

    if (vod_title_limit(title, max_height, max_bitrate) == 0 && videos > 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod_package: no rendition of \"%V\" is within "
                      "height %uD and bit rate %uL", dir, max_height,
                      max_bitrate);
        return 0;
    }

    return 1;
}



/* Content Steering: the server URI, with "{title}/hls" or "{title}/dash"
 * appended when it ends with '/', goes into the manifest */

static ngx_int_t
ngx_vod_package_steering(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url, ngx_vod_env_t *venv, u_char **out, size_t *len)
{
    int                          rc;
    u_char                      *p, *title;
    ngx_str_t                    value;
    vod_str_t                    uri, pathway;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (ngx_http_complex_value(r, vlcf->steering_uri, &value) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    uri.data = value.data;
    uri.len = value.len;

    if (value.len > 0 && value.data[value.len - 1] == '/') {
        for (title = dir->data + dir->len;
             title > dir->data && title[-1] != '/';
             title--)
        {
            /* void */
        }

        uri.data = ngx_pnalloc(r->pool, value.len + dir->len + 5);
        if (uri.data == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        p = ngx_cpymem(uri.data, value.data, value.len);
        p = ngx_cpymem(p, title, dir->data + dir->len - title);

        if (url->kind == VOD_URL_MPD) {
            p = ngx_cpymem(p, "/dash", 5);

        } else {
            p = ngx_cpymem(p, "/hls", 4);
        }

        uri.len = p - uri.data;
    }

    pathway.data = vlcf->steering_pathway.data;
    pathway.len = vlcf->steering_pathway.len;

    if (url->kind == VOD_URL_MPD) {
        rc = vod_dash_steering(&venv->env, *out, *len, &uri, &pathway, out,
                               len);

    } else {
        rc = vod_hls_steering(&venv->env, *out, *len, &uri, &pathway, out,
                              len);
    }

    if (rc == VOD_BAD_REQUEST) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod_content_steering URI \"%*s\" has a quote or a "
                      "line break", uri.len, uri.data);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return rc == VOD_OK ? NGX_OK : ngx_vod_status(rc);
}


static int ngx_libc_cdecl
ngx_vod_package_rendition_cmp(const void *one, const void *two)
{
    const vod_rendition_t  *a = one;
    const vod_rendition_t  *b = two;

    uint64_t  ra, rb;

    ra = (a->video != NULL) ? a->video->peak_bitrate : 0;
    rb = (b->video != NULL) ? b->video->peak_bitrate : 0;

    if (ra != rb) {
        return (ra > rb) ? -1 : 1;
    }

    return ngx_memn2cmp(a->id.data, b->id.data, a->id.len, b->id.len);
}
