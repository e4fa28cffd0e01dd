/*
 * ngx_vod_package_module.c: the module's definition and the content
 * handler that maps a title directory's virtual files (vod_url.h) onto the
 * packaging core.  The directives are in ngx_vod_package_conf.c.
 */

#include "ngx_vod_package_module.h"
#include <malloc.h>
#include "vod_fmp4.h"
#include "vod_ts.h"
#include "vod_manifest.h"


static ngx_int_t ngx_vod_package_options(ngx_http_request_t *r);
static ngx_int_t ngx_vod_package_manifest(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url);
static ngx_int_t ngx_vod_package_playlist(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url);
static ngx_int_t ngx_vod_package_init_segment(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url);
static ngx_int_t ngx_vod_package_cmaf_segment(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url);
static ngx_int_t ngx_vod_package_cmaf_copy(ngx_http_request_t *r,
    ngx_vod_media_t *media, u_char *header, size_t header_len,
    vod_range_t *ranges, uint32_t count, u_char **body, size_t *len);
static size_t ngx_vod_package_ts_write(void *data, u_char *buf,
    size_t size);
static ngx_int_t ngx_vod_package_ts_segment(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url);
static ngx_int_t ngx_vod_package_open_title(ngx_http_request_t *r,
    ngx_str_t *dir, ngx_vod_title_files_t *files, uint64_t *etag,
    time_t *mtime);
static ngx_int_t ngx_vod_package_load_title(ngx_http_request_t *r,
    ngx_vod_title_files_t *files, vod_title_t *title);
static ngx_uint_t ngx_vod_package_within(ngx_http_request_t *r,
    ngx_str_t *dir, vod_title_t *title, uint32_t max_height,
    uint64_t max_bitrate);
static ngx_int_t ngx_vod_package_open_one(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url, ngx_vod_media_t *media);
static uint64_t ngx_vod_package_url_etag(ngx_http_request_t *r,
    vod_url_t *url, ngx_vod_media_t *media);
static uint64_t ngx_vod_package_etag(ngx_http_request_t *r,
    ngx_vod_media_t *media, uint64_t hash);
static int ngx_libc_cdecl ngx_vod_package_rendition_cmp(const void *one,
    const void *two);

static ngx_int_t ngx_vod_package_init_process(ngx_cycle_t *cycle);
#if (NGX_LINUX)
static void ngx_vod_package_prefault_heap(ngx_log_t *log);
#endif
static ngx_int_t ngx_vod_package_steering(ngx_http_request_t *r,
    ngx_str_t *dir, vod_url_t *url, ngx_vod_env_t *venv, u_char **out,
    size_t *len);


static ngx_http_module_t  ngx_vod_package_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    ngx_vod_package_create_main_conf,      /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_vod_package_create_loc_conf,       /* create location configuration */
    ngx_vod_package_merge_loc_conf         /* merge location configuration */
};


ngx_module_t  ngx_vod_package_module = {
    NGX_MODULE_V1,
    &ngx_vod_package_module_ctx,           /* module context */
    ngx_vod_package_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_vod_package_init_process,          /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_vod_type_m3u8 =
    ngx_string("application/vnd.apple.mpegurl");
static ngx_str_t  ngx_vod_type_mpd = ngx_string("application/dash+xml");
static ngx_str_t  ngx_vod_type_video = ngx_string("video/mp4");
static ngx_str_t  ngx_vod_type_audio = ngx_string("audio/mp4");
static ngx_str_t  ngx_vod_type_ts = ngx_string("video/mp2t");


ngx_int_t
ngx_vod_package_handler(ngx_http_request_t *r)
{
    u_char     *last, *slash;
    size_t      root;
    ngx_int_t   rc;
    ngx_str_t   path, dir;
    vod_url_t   url;

    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_vod_package_options(r);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

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

    rc = vod_url_parse(slash + 1, last - slash - 1, &url);

    if (rc != VOD_OK) {
        if (rc == VOD_BAD_REQUEST) {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod: malformed name \"%*s\"", last - slash - 1,
                          slash + 1);
        }

        return ngx_vod_status(rc);
    }

    /* the title directory, null-terminated for ngx_open_dir() */
    *slash = '\0';
    dir.data = path.data;
    dir.len = slash - path.data;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod: title \"%V\", kind %ui", &dir, (ngx_uint_t) url.kind);

    switch (url.kind) {

    case VOD_URL_MASTER:
    case VOD_URL_MASTER_TS:
    case VOD_URL_MPD:
        return ngx_vod_package_manifest(r, &dir, &url);

    case VOD_URL_PLAYLIST:
        return ngx_vod_package_playlist(r, &dir, &url);

    case VOD_URL_INIT:
        return ngx_vod_package_init_segment(r, &dir, &url);

    default: /* VOD_URL_SEGMENT */

        if (url.stream == VOD_STREAM_TS) {
            return ngx_vod_package_ts_segment(r, &dir, &url);
        }

        return ngx_vod_package_cmaf_segment(r, &dir, &url);
    }
}


/* CORS preflight: players send Range, which may need one */

static ngx_int_t
ngx_vod_package_options(ngx_http_request_t *r)
{
    ngx_table_elt_t             *h;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->cors_origin.len == 0) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Allow-Origin");
    h->value = vlcf->cors_origin;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Allow-Methods");
    ngx_str_set(&h->value, "GET, HEAD, OPTIONS");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Allow-Headers");
    ngx_str_set(&h->value, "Range");

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->header_only = 1;
    r->headers_out.content_length_n = 0;

    return ngx_http_send_header(r);
}


static ngx_int_t
ngx_vod_package_manifest(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url)
{
    u_char                      *out;
    size_t                       len;
    time_t                       mtime;
    uint32_t                     max_height;
    uint64_t                     etag, max_bitrate;
    ngx_int_t                    rc;
    ngx_str_t                   *type;
    vod_title_t                  title;
    ngx_vod_env_t                venv;
    ngx_vod_title_files_t        files;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    etag = ngx_vod_etag_add(0, &url->kind, sizeof(url->kind));

    rc = ngx_vod_package_request_limits(r, &max_height, &max_bitrate);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_vod_package_open_title(r, dir, &files, &etag, &mtime);
    if (rc != NGX_OK) {
        return rc;
    }

    if (max_height != 0 || max_bitrate != 0) {
        etag = ngx_vod_etag_add(etag, &max_height, sizeof(max_height));
        etag = ngx_vod_etag_add(etag, &max_bitrate, sizeof(max_bitrate));
    }

    ngx_vod_env_init(&venv, r, dir, NGX_INVALID_FILE);

    type = (url->kind == VOD_URL_MPD) ? &ngx_vod_type_mpd
                                      : &ngx_vod_type_m3u8;

    /* made before with this ETag: the indexes need not be looked at */
    out = ngx_vod_manifest_cache_get(r, dir, etag, &len);

    if (out == NULL) {
        rc = ngx_vod_package_load_title(r, &files, &title);
        if (rc != NGX_OK) {
            return rc;
        }

        if ((max_height != 0 || max_bitrate != 0)
            && !ngx_vod_package_within(r, dir, &title, max_height,
                                       max_bitrate))
        {
            return NGX_HTTP_FORBIDDEN;
        }

        if (url->kind == VOD_URL_MPD) {
            rc = vod_dash_mpd(&venv.env, &title, &out, &len);

        } else {
            rc = vod_hls_master(&venv.env, &title,
                                url->kind == VOD_URL_MASTER_TS, &out, &len);
        }

        if (rc != VOD_OK) {
            return ngx_vod_status(rc);
        }

        /* files changed in the last seconds may change again within the
         * same second, unseen by the ETag's mtimes: not kept yet */

        if (ngx_time() - mtime >= 2) {
            ngx_vod_manifest_cache_put(dir, etag, out, len,
                                       r->connection->log);
        }
    }

    if (vlcf->steering_uri != NULL) {
        rc = ngx_vod_package_steering(r, dir, url, &venv, &out, &len);
        if (rc != NGX_OK) {
            return rc;
        }

        /* the steering server URI may vary per request */
        etag = ngx_vod_etag_add(etag, out, len);
    }

    return ngx_vod_send_memory(r, type, out, len,
                               &vlcf->playlist_cache_control, etag, mtime);
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


static ngx_int_t
ngx_vod_package_playlist(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url)
{
    u_char                      *out;
    size_t                       len;
    uint64_t                     etag;
    ngx_int_t                    rc;
    vod_title_t                  title;
    vod_rendition_t              rendition;
    ngx_vod_media_t              media;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    rc = ngx_vod_package_open_one(r, dir, url, &media);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_vod_media_load(r, &media, NGX_VOD_WANT_INFO, 0, NULL, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    rendition.id.data = media.id.data;
    rendition.id.len = media.id.len;
    rendition.video = media.video;
    rendition.audio = media.audio;

    ngx_memzero(&title, sizeof(vod_title_t));
    title.renditions = &rendition;
    title.count = 1;
    title.segment_ms = (uint32_t) vlcf->segment_duration;
    vod_title_pick_audio(&title);

    if (url->stream == VOD_STREAM_TS
        && ((media.video != NULL && !vod_ts_supported(media.video))
            || (media.audio != NULL && !vod_ts_supported(media.audio))))
    {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = vod_hls_media(&media.venv.env, &title, &rendition, url->stream,
                       &out, &len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    etag = ngx_vod_package_url_etag(r, url, &media);

    if (url->stream != VOD_STREAM_AUDIO
        && ngx_vod_package_rendition_header(r, media.video) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_send_memory(r, &ngx_vod_type_m3u8, out, len,
                               &vlcf->playlist_cache_control, etag,
                               media.of.mtime);
}


static ngx_int_t
ngx_vod_package_init_segment(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url)
{
    u_char                      *out;
    size_t                       len;
    uint64_t                     etag;
    ngx_int_t                    rc;
    vod_track_info_t            *track;
    ngx_vod_media_t              media;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    rc = ngx_vod_package_open_one(r, dir, url, &media);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_vod_media_load(r, &media, NGX_VOD_WANT_INFO, 0, NULL, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    track = (url->stream == VOD_STREAM_VIDEO) ? media.video : media.audio;
    if (track == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = vod_fmp4_init(&media.venv.env, track, &out, &len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    etag = ngx_vod_package_url_etag(r, url, &media);

    if (url->stream == VOD_STREAM_VIDEO
        && ngx_vod_package_rendition_header(r, media.video) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_send_memory(r, (url->stream == VOD_STREAM_VIDEO)
                                  ? &ngx_vod_type_video : &ngx_vod_type_audio,
                               out, len, &vlcf->segment_cache_control, etag,
                               media.of.mtime);
}


static ngx_int_t
ngx_vod_package_cmaf_segment(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url)
{
    u_char                      *header, *body;
    size_t                       header_len, body_len;
    uint32_t                     count;
    uint64_t                     etag;
    ngx_int_t                    rc;
    ngx_str_t                   *type;
    ngx_uint_t                   want;
    vod_range_t                 *ranges;
    vod_segment_t                video, audio, *segment;
    ngx_vod_media_t              media;
    ngx_vod_package_loc_conf_t  *vlcf;

    rc = ngx_vod_package_open_one(r, dir, url, &media);
    if (rc != NGX_OK) {
        return rc;
    }

    want = (url->stream == VOD_STREAM_VIDEO) ? NGX_VOD_WANT_VIDEO
                                              : NGX_VOD_WANT_AUDIO;

    rc = ngx_vod_media_load(r, &media, want, url->segment, &video, &audio);
    if (rc != NGX_OK) {
        return rc;
    }

    segment = (url->stream == VOD_STREAM_VIDEO) ? &video : &audio;

    rc = vod_fmp4_segment_header(&media.venv.env, segment, &header,
                                 &header_len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    rc = vod_segment_ranges(&media.venv.env, segment, &ranges, &count);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    etag = ngx_vod_package_url_etag(r, url, &media);

    if (url->stream == VOD_STREAM_VIDEO
        && ngx_vod_package_rendition_header(r, media.video) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    type = (url->stream == VOD_STREAM_VIDEO) ? &ngx_vod_type_video
                                             : &ngx_vod_type_audio;

    body = NULL;
    body_len = 0;

    rc = ngx_vod_package_cmaf_copy(r, &media, header, header_len, ranges,
                                   count, &body, &body_len);

    if (rc == NGX_DECLINED) {
        return ngx_vod_send_file_ranges(r, type, header, header_len, &media,
                                        ranges, count, etag);
    }

    if (rc == NGX_AGAIN) {
        return ngx_vod_send_ranges_streamed(r, type, header, header_len,
                                            &media, ranges, count, etag);
    }

    if (rc != NGX_OK) {
        return rc;
    }

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    return ngx_vod_send_memory(r, type, body, body_len,
                               &vlcf->segment_cache_control, etag,
                               media.of.mtime);
}


/*
 * The segment read into memory, when ngx_vod_copy_ranges() says so.  With
 * "aio threads": at once, in the worker when the page cache has it, else
 * in the thread pool (NGX_DONE, and the handler runs again to find it in
 * the context); NGX_OK with the body (header and samples) in *body and
 * *len.  Without: NGX_AGAIN, to be read as it is sent.  NGX_DECLINED for
 * sendfile, or an HTTP status.
 */

static ngx_int_t
ngx_vod_package_cmaf_copy(ngx_http_request_t *r, ngx_vod_media_t *media,
    u_char *header, size_t header_len, vod_range_t *ranges, uint32_t count,
    u_char **body, size_t *len)
{
    size_t               size;
#if (NGX_THREADS)
    u_char              *buf;
    ssize_t              n;
    ngx_vod_ctx_t       *ctx;
    ngx_thread_pool_t   *tp;
#endif

    if (ngx_vod_copy_ranges(r, ranges, count, header_len, media->of.size,
                            &size)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod: \"%V\": %uD sample ranges read into memory, "
                   "%uz bytes", &media->path, count, size);

#if (NGX_THREADS)
    tp = ngx_vod_thread_pool(r);

    if (tp == NULL) {
        return NGX_AGAIN;
    }

    ctx = ngx_vod_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->seg_done) {
        if (ctx->seg_rc != VOD_OK) {
            return ngx_vod_status(ctx->seg_rc);
        }

        *body = ctx->seg;
        *len = ctx->seg_len;

        return NGX_OK;
    }

    buf = ngx_palloc(r->pool, size);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* from the page cache, here; from the disk, in a thread */
    n = ngx_vod_read_ranges(media->of.fd, buf, header, header_len, ranges,
                            count, 1);
    if (n < 0) {
        return ngx_vod_thread_read(r, tp, media, buf, header, header_len,
                                   ranges, count);
    }

    *body = buf;
    *len = (size_t) n;

    return NGX_OK;

#else

    return NGX_AGAIN;

#endif
}


static ngx_int_t
ngx_vod_package_ts_segment(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url)
{
    size_t                       len;
    uint64_t                     etag;
    ngx_int_t                    rc;
    ngx_vod_ctx_t               *ctx;
    vod_ts_mux_t                *mux;
    vod_segment_t               *video, *audio;
    ngx_vod_media_t              media;
    ngx_vod_package_loc_conf_t  *vlcf;
#if (NGX_THREADS)
    ngx_thread_pool_t           *tp;
#endif

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    rc = ngx_vod_package_open_one(r, dir, url, &media);
    if (rc != NGX_OK) {
        return rc;
    }

    /* in the pool: a thread task may read them after this returns */
    video = ngx_palloc(r->pool, 2 * sizeof(vod_segment_t));
    if (video == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    audio = video + 1;

    rc = ngx_vod_media_load(r, &media,
                            NGX_VOD_WANT_VIDEO|NGX_VOD_WANT_AUDIO,
                            url->segment, video, audio);
    if (rc != NGX_OK) {
        return rc;
    }

    if ((media.video != NULL && !vod_ts_supported(media.video))
        || (media.audio != NULL && !vod_ts_supported(media.audio)))
    {
        return NGX_HTTP_NOT_FOUND;
    }

    ctx = ngx_vod_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->seg_done) {
        rc = ctx->seg_rc;
        mux = ctx->ts;
        len = ctx->seg_len;

    } else {

#if (NGX_THREADS)
        /* from the page cache, here; from the disk, in a thread */
        tp = ngx_vod_thread_pool(r);
        media.venv.nowait = (tp != NULL);
#endif

        rc = vod_ts_open(&media.venv.env,
                         (video->track != NULL) ? video : NULL,
                         (audio->track != NULL) ? audio : NULL,
                         &mux, &len);

#if (NGX_THREADS)
        if (media.venv.blocked) {
            return ngx_vod_thread_ts(r, tp, &media, video, audio);
        }
#endif
    }

    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    etag = ngx_vod_package_url_etag(r, url, &media);

    if (ngx_vod_package_rendition_header(r, media.video) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_send_stream(r, &ngx_vod_type_ts, len,
                               ngx_vod_package_ts_write, mux,
                               vod_ts_write_min(mux),
                               &vlcf->segment_cache_control, etag,
                               media.of.mtime);
}


static size_t
ngx_vod_package_ts_write(void *data, u_char *buf, size_t size)
{
    return vod_ts_write(data, buf, size);
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

        *etag = ngx_vod_package_etag(r, media, *etag);

        if (media->of.mtime > *mtime) {
            *mtime = media->of.mtime;
        }
    }

    return NGX_OK;
}


/* every rendition of an opened title with its track views */

static ngx_int_t
ngx_vod_package_load_title(ngx_http_request_t *r,
    ngx_vod_title_files_t *files, vod_title_t *title)
{
    uint32_t                     i;
    ngx_int_t                    rc;
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

        rc = ngx_vod_media_load(r, media, NGX_VOD_WANT_INFO, 0, NULL, NULL);
        if (rc != NGX_OK) {
            return (rc == NGX_HTTP_NOT_FOUND) ? NGX_HTTP_BAD_GATEWAY : rc;
        }

        rd = &title->renditions[title->count++];
        rd->id.data = media->id.data;
        rd->id.len = media->id.len;
        rd->video = media->video;
        rd->audio = media->audio;
    }

    if (files->json_mtime == 0) {
        /* no title.json to give the order: highest bitrate first */
        ngx_qsort(title->renditions, title->count, sizeof(vod_rendition_t),
                  ngx_vod_package_rendition_cmp);
    }

    vod_title_pick_audio(title);

    return NGX_OK;
}


static ngx_int_t
ngx_vod_package_open_one(ngx_http_request_t *r, ngx_str_t *dir,
    vod_url_t *url, ngx_vod_media_t *media)
{
    ngx_int_t              rc;
    ngx_str_t              id;
    vod_title_spec_t      *spec;
    vod_rendition_spec_t  *found;

    spec = ngx_palloc(r->pool, sizeof(vod_title_spec_t));
    if (spec == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    id.data = url->id.data;
    id.len = url->id.len;

    rc = ngx_vod_title_find(r, dir, spec, &id, &found);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_vod_media_open(r, dir, found, media);
}


/* the virtual file's name, then the source file's identity */

static uint64_t
ngx_vod_package_url_etag(ngx_http_request_t *r, vod_url_t *url,
    ngx_vod_media_t *media)
{
    uint64_t  hash;

    hash = ngx_vod_etag_add(0, &url->kind, sizeof(url->kind));
    hash = ngx_vod_etag_add(hash, &url->stream, sizeof(url->stream));

    if (url->kind == VOD_URL_SEGMENT) {
        hash = ngx_vod_etag_add(hash, &url->segment, sizeof(url->segment));
    }

    return ngx_vod_package_etag(r, media, hash);
}


static uint64_t
ngx_vod_package_etag(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t hash)
{
    uint32_t                     ms;
    ngx_vod_file_id_t            id;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    ngx_memzero(&id, sizeof(ngx_vod_file_id_t));
    id.uniq = media->of.uniq;
    id.size = media->of.size;
    id.mtime = media->of.mtime;
    ms = (uint32_t) vlcf->segment_duration;

    hash = ngx_vod_etag_add(hash, media->id.data, media->id.len);
    hash = ngx_vod_etag_add(hash, &id, sizeof(ngx_vod_file_id_t));

    return ngx_vod_etag_add(hash, &ms, sizeof(ms));
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


/*
 * A TS segment or a long title's index takes megabytes per request.  glibc
 * serves such sizes with fresh mmap()s, and faulting in those zeroed pages
 * cost a quarter of the CPU of a TS segment; keeping them on the heap lets
 * the next request reuse memory that is already mapped.
 */

static ngx_int_t
ngx_vod_package_init_process(ngx_cycle_t *cycle)
{
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_vod_package_module);

    if (vmcf != NULL && vmcf->index_cache != NULL) {
        ngx_vod_cache_init_worker(vmcf->index_cache, cycle->log);
    }

#if (NGX_LINUX)
    if (mallopt(M_MMAP_THRESHOLD, 64 * 1024 * 1024) != 1
        || mallopt(M_TRIM_THRESHOLD, 256 * 1024 * 1024) != 1)
    {
        ngx_log_error(NGX_LOG_WARN, cycle->log, 0,
                      "vod: mallopt() failed, large buffers stay mmap()ed");

    } else {
        ngx_vod_package_prefault_heap(cycle->log);
    }
#endif

    return NGX_OK;
}


#if (NGX_LINUX)

/*
 * The first moov a new worker reads (megabytes for a long title) would
 * fault in every page of the heap it grows into, a millisecond or two on
 * that first request.  Growing the heap here, touching it and giving it
 * back to malloc (which keeps it: the trim threshold is above it) moves
 * that cost to the worker's start.
 */

static void
ngx_vod_package_prefault_heap(ngx_log_t *log)
{
    size_t            size, i;
    volatile u_char  *p;        /* stores the compiler may not drop */

    size = NGX_VOD_PREFAULT_HEAP;

    p = malloc(size);
    if (p == NULL) {
        return;
    }

    for (i = 0; i < size; i += ngx_pagesize) {
        p[i] = 0;
    }

    free((void *) p);
}

#endif
