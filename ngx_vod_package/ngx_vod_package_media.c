/*
 * ngx_vod_package_media.c: one rendition file: open it, get its sample
 * index from the shared cache (or parse the moov and cache the result) and
 * copy out the track and segment views a request needs.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"
#include "vod_text.h"


static void *ngx_vod_env_alloc(vod_env_t *env, size_t size);
static void ngx_vod_env_log(vod_env_t *env, const char *fmt, ...);
static ssize_t ngx_vod_env_read(vod_env_t *env, u_char *buf, size_t size,
    off_t offset);
static ngx_int_t ngx_vod_media_build(ngx_http_request_t *r,
    ngx_vod_media_t *media, uint32_t segment_ms, ngx_vod_file_id_t *id,
    u_char **index, size_t *len, void **node);
static u_char *ngx_vod_media_reserve(void *data, size_t size);
static ngx_vod_built_t *ngx_vod_ctx_find_index(ngx_vod_ctx_t *ctx,
    ngx_str_t *path);
static ngx_int_t ngx_vod_media_track(vod_env_t *env, u_char *index,
    int track, vod_track_info_t **info);
static ngx_int_t ngx_vod_media_all_audio(ngx_vod_media_t *media,
    u_char *index);
static ngx_int_t ngx_vod_media_text(ngx_vod_media_t *media, u_char *index);
static ngx_int_t ngx_vod_media_iframes(ngx_vod_media_t *media,
    u_char *index);
static ngx_int_t ngx_vod_media_extract(ngx_vod_media_t *media,
    u_char *index, ngx_uint_t want, uint32_t segment, vod_segment_t *video,
    vod_segment_t *audio);


void
ngx_vod_env_init(ngx_vod_env_t *venv, ngx_http_request_t *r,
    ngx_str_t *path, ngx_fd_t fd)
{
    venv->env.alloc = ngx_vod_env_alloc;
    venv->env.log = ngx_vod_env_log;
    venv->env.read = ngx_vod_env_read;
    venv->env.data = NULL;
    venv->request = r;
    venv->path = path;
    venv->fd = fd;
    venv->nowait = 0;
    venv->blocked = 0;
    venv->quiet = 0;
}


static void *
ngx_vod_env_alloc(vod_env_t *env, size_t size)
{
    ngx_vod_env_t  *venv = (ngx_vod_env_t *) env;

    return ngx_palloc(venv->request->pool, size);
}


static void
ngx_vod_env_log(vod_env_t *env, const char *fmt, ...)
{
    ngx_vod_env_t  *venv = (ngx_vod_env_t *) env;

    char     msg[NGX_MAX_ERROR_STR];
    va_list  args;

    if (venv->blocked || venv->quiet) {
        /* not an error: the work goes to a thread, which says what is;
         * or the glue has said it */
        return;
    }

    va_start(args, fmt);
    vsnprintf(msg, sizeof(msg), fmt, args);
    va_end(args);

    ngx_log_error(NGX_LOG_ERR, venv->request->connection->log, 0,
                  "vod: \"%V\": %s", venv->path, msg);
}


static ssize_t
ngx_vod_env_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    ngx_vod_env_t  *venv = (ngx_vod_env_t *) env;

    ssize_t  n;

    n = ngx_vod_pread(venv->fd, buf, size, offset, venv->nowait);

    if (n == (ssize_t) size) {
        return n;
    }

    if (venv->nowait) {
        venv->blocked = 1;
        return -1;
    }

    if (n == -1) {
        ngx_log_error(NGX_LOG_ERR, venv->request->connection->log,
                      ngx_errno, "vod: pread() \"%V\" failed", venv->path);
        return -1;
    }

    ngx_log_error(NGX_LOG_ERR, venv->request->connection->log, 0,
                  "vod: \"%V\": unexpected end of file at %O",
                  venv->path, offset + n);
    return -1;
}


/* where vod_index_build_to() puts a new index: a cache node, or the pool
 * when the cache has no room for it */
typedef struct {
    ngx_shm_zone_t       *zone;
    ngx_str_t            *path;
    ngx_vod_file_id_t    *id;
    ngx_http_request_t   *request;
    uint32_t              segment_ms;
    void                 *node;
    ngx_vod_env_t        *venv;
    unsigned              refused:1;
} ngx_vod_reserve_t;


/* maps a core return code to an HTTP status */

ngx_int_t
ngx_vod_status(ngx_int_t rc)
{
    switch (rc) {

    case VOD_OK:
        return NGX_OK;

    case VOD_BAD_DATA:
        return NGX_HTTP_BAD_GATEWAY;

    case VOD_UNSUPPORTED:
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;

    case VOD_NOT_FOUND:
        return NGX_HTTP_NOT_FOUND;

    case VOD_BAD_REQUEST:
        return NGX_HTTP_BAD_REQUEST;

    default:
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }
}


ngx_int_t
ngx_vod_media_open(ngx_http_request_t *r, ngx_str_t *dir,
    vod_rendition_spec_t *spec, ngx_vod_media_t *media)
{
    u_char                    *p;
    ngx_uint_t                 level;
    ngx_http_core_loc_conf_t  *clcf;

    media->id.data = spec->id.data;
    media->id.len = spec->id.len;
    media->video = NULL;
    media->audio = NULL;
    media->video_track = -1;
    media->audio_track = -1;
    media->audio_id = 0;
    media->audios = NULL;
    media->audio_count = 0;
    media->texts = NULL;
    media->text_count = 0;
    media->text_id = 0;
    media->text = NULL;
    media->text_samples = NULL;
    media->text_times = NULL;
    media->text_count_samples = 0;
    media->all_audio = 0;
    media->iframes = 0;
    media->left_out = 0;
    media->first_excluded = 0;

    media->path.len = dir->len + 1 + spec->file.len;
    media->path.data = ngx_pnalloc(r->pool, media->path.len + 1);
    if (media->path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(media->path.data, dir->data, dir->len);
    *p++ = '/';
    p = ngx_cpymem(p, spec->file.data, spec->file.len);
    *p = '\0';

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_memzero(&media->of, sizeof(ngx_open_file_info_t));

    media->of.read_ahead = clcf->read_ahead;
    media->of.directio = NGX_MAX_OFF_T_VALUE;
    media->of.valid = clcf->open_file_cache_valid;
    media->of.min_uses = clcf->open_file_cache_min_uses;
    media->of.errors = clcf->open_file_cache_errors;
    media->of.events = clcf->open_file_cache_events;

    if (ngx_http_set_disable_symlinks(r, clcf, &media->path, &media->of)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ngx_open_cached_file(clcf->open_file_cache, &media->path, &media->of,
                             r->pool)
        != NGX_OK)
    {
        switch (media->of.err) {

        case 0:
            return NGX_HTTP_INTERNAL_SERVER_ERROR;

        case NGX_ENOENT:
        case NGX_ENOTDIR:
        case NGX_ENAMETOOLONG:
            level = NGX_LOG_INFO;
            break;

        default:
            level = NGX_LOG_ERR;
            break;
        }

        ngx_log_error(level, r->connection->log, media->of.err,
                      "vod: %s \"%V\" failed", media->of.failed,
                      &media->path);

        return (level == NGX_LOG_INFO) ? NGX_HTTP_NOT_FOUND
                                       : NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!media->of.is_file) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\" is not a file", &media->path);
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_vod_env_init(&media->venv, r, &media->path, media->of.fd);

    return NGX_OK;
}


/*
 * Gets the file's index and copies out track views, plus the segment
 * views "want" names (NGX_VOD_WANT_VIDEO and/or NGX_VOD_WANT_AUDIO; with
 * both, as for MPEG-TS, a missing track yields an empty view).
 */

ngx_int_t
ngx_vod_media_load(ngx_http_request_t *r, ngx_vod_media_t *media,
    ngx_uint_t want, uint32_t segment, vod_segment_t *video,
    vod_segment_t *audio)
{
    u_char                       *index;
    size_t                        len;
    uint32_t                      segment_ms;
    ngx_int_t                     rc;
    void                         *node;
    ngx_vod_ctx_t                *ctx;
    ngx_vod_built_t              *built;
    ngx_vod_file_id_t             id;
#if (NGX_THREADS)
    ngx_thread_pool_t            *tp;
#endif
    ngx_vod_package_loc_conf_t   *vlcf;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);
    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    segment_ms = (uint32_t) vlcf->segment_duration;

    ngx_memzero(&id, sizeof(ngx_vod_file_id_t));
    id.uniq = media->of.uniq;
    id.size = media->of.size;
    id.mtime = media->of.mtime;

    if (vmcf->index_cache != NULL) {
        index = ngx_vod_cache_lock(vmcf->index_cache, &media->path,
                                   segment_ms, &id, &len);
        if (index != NULL) {
            rc = ngx_vod_media_extract(media, index, want, segment, video,
                                       audio);
            ngx_vod_cache_unlock(vmcf->index_cache);
            return rc;
        }
    }

    ctx = ngx_vod_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    built = ngx_vod_ctx_find_index(ctx, &media->path);

    if (built != NULL) {
        /* a thread parsed it during this request */
        if (built->rc != VOD_OK) {
            return ngx_vod_status(built->rc);
        }

        index = built->index;
        len = built->len;

        if (built->cached) {
            goto extract;
        }

        built->cached = 1;

        if (vmcf->index_cache != NULL
            && ngx_vod_cache_refuse(vmcf->index_cache, &media->path, len,
                                    r->connection->log)
               != NGX_OK)
        {
            built->rc = VOD_BAD_DATA;
            return NGX_HTTP_BAD_GATEWAY;
        }

    } else {

#if (NGX_THREADS)
        /*
         * Under "aio threads" the moov is read with RWF_NOWAIT: from the
         * page cache it is parsed here, straight into the shared cache as
         * without threads; one that would wait for the disk is read and
         * parsed in a thread.  (In a thread the moov and the index take
         * fresh pages of the thread's own malloc arena, not the worker's
         * prefaulted heap, and the index a copy into the cache: a cold
         * first request cost three times the worker CPU.)
         */
        tp = ngx_vod_thread_pool(r);
        media->venv.nowait = (tp != NULL);
#endif

        rc = ngx_vod_media_build(r, media, segment_ms, &id, &index, &len,
                                 &node);

#if (NGX_THREADS)
        media->venv.nowait = 0;

        if (media->venv.blocked) {
            media->venv.blocked = 0;
            return ngx_vod_thread_build_index(r, tp, media, segment_ms,
                                              vlcf->max_moov_size);
        }
#endif

        if (rc != NGX_OK) {
            return rc;
        }

        if (node != NULL) {
            /* built in shared memory, still private to this worker: copy
             * the views out without the lock, then publish it */
            rc = ngx_vod_media_extract(media, index, want, segment, video,
                                       audio);
            ngx_vod_cache_commit(vmcf->index_cache, node);
            return rc;
        }

        goto extract;
    }

    if (vmcf->index_cache != NULL) {
        (void) ngx_vod_cache_insert(vmcf->index_cache, &media->path,
                                    segment_ms, &id, index, len,
                                    r->connection->log);
    }

extract:

    return ngx_vod_media_extract(media, index, want, segment, video, audio);
}


void
ngx_vod_ctx_add_index(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    ngx_str_t *path, int rc, u_char *index, size_t len)
{
    ngx_vod_built_t  *built;

    built = ngx_array_push(&ctx->built);
    if (built == NULL) {
        return;
    }

    built->path = *path;
    built->rc = (rc == VOD_OK && index == NULL) ? VOD_ERROR : rc;
    built->index = index;
    built->len = len;
    built->cached = 0;
}


static ngx_vod_built_t *
ngx_vod_ctx_find_index(ngx_vod_ctx_t *ctx, ngx_str_t *path)
{
    ngx_uint_t        i;
    ngx_vod_built_t  *built;

    built = ctx->built.elts;

    for (i = 0; i < ctx->built.nelts; i++) {
        if (built[i].path.len == path->len
            && ngx_memcmp(built[i].path.data, path->data, path->len) == 0)
        {
            return &built[i];
        }
    }

    return NULL;
}


static ngx_int_t
ngx_vod_media_build(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint32_t segment_ms, ngx_vod_file_id_t *id, u_char **index, size_t *len,
    void **node)
{
    u_char                       *moov;
    size_t                        src_len;
    uint64_t                      moov_offset, moov_size;
    ngx_int_t                     rc;
    const u_char                 *src;
    vod_env_t                    *env;
    ngx_vod_reserve_t             rv;
    ngx_vod_package_loc_conf_t   *vlcf;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);
    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    env = &media->venv.env;

    *node = NULL;

    rc = vod_mp4_find_moov(env, (uint64_t) media->of.size, &moov_offset,
                           &moov_size);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    if (moov_size > vlcf->max_moov_size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": moov box of %uL bytes exceeds "
                      "vod_max_moov_size", &media->path, moov_size);
        return NGX_HTTP_BAD_GATEWAY;
    }

    /*
     * The moov of a long title is megabytes: not worth keeping in the
     * pool.  One of 2 MB or more starts on a 2 MB boundary, where the heap
     * a worker faulted in at its start has transparent huge pages
     * (ngx_vod_package_prefault_heap()): the read and the parse then take
     * a TLB entry per 2 MB of it, not per 4 KB.
     */
    moov = (moov_size >= NGX_VOD_HUGE_PAGE)
           ? ngx_memalign(NGX_VOD_HUGE_PAGE, (size_t) moov_size,
                          r->connection->log)
           : ngx_alloc((size_t) moov_size, r->connection->log);
    if (moov == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (env->read(env, moov, (size_t) moov_size, (off_t) moov_offset)
        != (ssize_t) moov_size)
    {
        ngx_free(moov);
        return NGX_HTTP_BAD_GATEWAY;
    }

    /* a fragmented file's moof boxes make a moov (in the pool) that lists
     * their samples; its reads are as the moov's, so a file not in the
     * page cache goes to a thread as a whole */

    rc = vod_frag_moov(env, moov, (size_t) moov_size, moov_offset,
                       (uint64_t) media->of.size, vlcf->max_moov_size, &src,
                       &src_len);
    if (rc != VOD_OK) {
        ngx_free(moov);
        return ngx_vod_status(rc);
    }

    if (vmcf->index_cache == NULL) {
        rc = vod_index_build(env, src, src_len,
                             (uint64_t) media->of.size, segment_ms, index,
                             len);
        ngx_free(moov);
        return ngx_vod_status(rc);
    }

    /* straight into the cache: no copy of a long title's index */

    rv.zone = vmcf->index_cache;
    rv.path = &media->path;
    rv.id = id;
    rv.request = r;
    rv.segment_ms = segment_ms;
    rv.node = NULL;
    rv.venv = &media->venv;
    rv.refused = 0;

    rc = vod_index_build_to(env, src, src_len,
                            (uint64_t) media->of.size, segment_ms,
                            ngx_vod_media_reserve, &rv, index, len);

    ngx_free(moov);
    media->venv.quiet = 0;

    /* built, but a read of its key frames would have waited (it is
     * built again in a thread): the node goes back unpublished */

    if (rc != VOD_OK || media->venv.blocked) {
        if (rv.node != NULL) {
            ngx_vod_cache_cancel(vmcf->index_cache, rv.node);
        }

        return rv.refused ? NGX_HTTP_BAD_GATEWAY : ngx_vod_status(rc);
    }

    *node = rv.node;

    return NGX_OK;
}


static u_char *
ngx_vod_media_reserve(void *data, size_t size)
{
    ngx_vod_reserve_t  *rv = data;

    u_char  *p;

    if (ngx_vod_cache_refuse(rv->zone, rv->path, size,
                             rv->request->connection->log)
        != NGX_OK)
    {
        /* the build fails on this NULL; its line would be a second one */
        rv->refused = 1;
        rv->venv->quiet = 1;
        return NULL;
    }

    p = ngx_vod_cache_reserve(rv->zone, rv->path, rv->segment_ms, rv->id,
                              size, rv->request->connection->log, &rv->node);
    if (p != NULL) {
        return p;
    }

    rv->node = NULL;

    return ngx_palloc(rv->request->pool, size);
}


static ngx_int_t
ngx_vod_media_extract(ngx_vod_media_t *media, u_char *index,
    ngx_uint_t want, uint32_t segment, vod_segment_t *video,
    vod_segment_t *audio)
{
    int         rc;
    vod_env_t  *env;

    env = &media->venv.env;

    if (want == NGX_VOD_WANT_TEXT) {
        return ngx_vod_media_text(media, index);
    }

    media->video_track = vod_index_find_track(index, VOD_TRACK_VIDEO);

    if (media->audio_id != 0) {
        media->audio_track = vod_index_find_track_id(index, VOD_TRACK_AUDIO,
                                                     media->audio_id);

        if (media->first_excluded && media->audio_track >= 0
            && media->audio_track
               == vod_index_find_track(index, VOD_TRACK_AUDIO))
        {
            return NGX_HTTP_NOT_FOUND;
        }

    } else {
        media->audio_track = vod_index_find_track(index, VOD_TRACK_AUDIO);
    }

    if (media->all_audio && want == NGX_VOD_WANT_INFO) {
        rc = ngx_vod_media_all_audio(media, index);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_vod_media_iframes(media, index);
    }

    /* a CMAF segment needs only its own track's description */

    if (want != NGX_VOD_WANT_AUDIO) {
        rc = ngx_vod_media_track(env, index, media->video_track,
                                 &media->video);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (want != NGX_VOD_WANT_VIDEO) {
        rc = ngx_vod_media_track(env, index, media->audio_track,
                                 &media->audio);
        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (want == NGX_VOD_WANT_INFO) {
        return ngx_vod_media_iframes(media, index);
    }

    if (want == (NGX_VOD_WANT_VIDEO|NGX_VOD_WANT_AUDIO)) {
        /* MPEG-TS: video with its own audio, or either alone */
        if (media->video == NULL && media->audio == NULL) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_memzero(video, sizeof(vod_segment_t));
        ngx_memzero(audio, sizeof(vod_segment_t));

    } else if ((want & NGX_VOD_WANT_VIDEO) && media->video == NULL) {
        return NGX_HTTP_NOT_FOUND;

    } else if ((want & NGX_VOD_WANT_AUDIO) && media->audio == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    if ((want & NGX_VOD_WANT_VIDEO) && media->video != NULL) {
        rc = vod_index_segment(env, index, media->video_track, media->video,
                               segment, video);
        if (rc != VOD_OK) {
            return ngx_vod_status(rc);
        }
    }

    if ((want & NGX_VOD_WANT_AUDIO) && media->audio != NULL) {
        rc = vod_index_segment(env, index, media->audio_track, media->audio,
                               segment, audio);
        if (rc != VOD_OK) {
            return ngx_vod_status(rc);
        }
    }

    return NGX_OK;
}


/* with media->iframes, the video's key frames (vod_iframe.h): a video
 * with more than the playlists list gets none, and the line saying so is
 * the core's */

static ngx_int_t
ngx_vod_media_iframes(ngx_vod_media_t *media, u_char *index)
{
    int  rc;

    if (!media->iframes || media->video == NULL) {
        return NGX_OK;
    }

    if (media->video->refresh_key != 0) {
        /* a property of the file, not a failure: said at warn, where
         * the core would say it as an error */
        ngx_log_error(NGX_LOG_WARN, media->venv.request->connection->log, 0,
                      "vod: \"%V\": no I-frame playlist: its sync sample %uD "
                      "is not a picture that decodes alone (an intra "
                      "refresh's recovery point)",
                      &media->path, media->video->refresh_key);
        return NGX_OK;
    }

    rc = vod_index_iframes(&media->venv.env, index,
                           (uint32_t) media->video_track, media->video);

    return (rc == VOD_OK || rc == VOD_UNSUPPORTED) ? NGX_OK
                                                   : ngx_vod_status(rc);
}


/* a track's description, or none when the file has no such track */

static ngx_int_t
ngx_vod_media_track(vod_env_t *env, u_char *index, int track,
    vod_track_info_t **info)
{
    int  rc;

    if (track < 0) {
        return NGX_OK;
    }

    *info = env->alloc(env, sizeof(vod_track_info_t));
    if (*info == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = vod_index_track_info(env, index, track, *info);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    return NGX_OK;
}


/* every audio track's view, in file order, for the manifests */

static ngx_int_t
ngx_vod_media_all_audio(ngx_vod_media_t *media, u_char *index)
{
    uint32_t           i, n;
    ngx_int_t          rc;
    vod_env_t         *env;

    env = &media->venv.env;
    n = vod_index_track_count(index);

    rc = ngx_vod_media_track(env, index, media->video_track, &media->video);
    if (rc != NGX_OK) {
        return rc;
    }

    media->audios = env->alloc(env, n * sizeof(vod_track_info_t *));
    if (media->audios == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    media->audio_count = 0;

    for (i = 0; i < n; i++) {
        if (vod_index_track_type(index, i) != VOD_TRACK_AUDIO) {
            continue;
        }

        rc = ngx_vod_media_track(env, index, (int) i,
                                 &media->audios[media->audio_count]);
        if (rc != NGX_OK) {
            return rc;
        }

        media->audio_count++;
    }

    media->audio = (media->audio_count != 0) ? media->audios[0] : NULL;

    /* and the text tracks (vod_mp4text.h), in file order */

    media->texts = env->alloc(env, n * sizeof(vod_track_info_t *));
    if (media->texts == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    media->text_count = 0;

    for (i = 0; i < n; i++) {
        if (vod_index_track_type(index, i) != VOD_TRACK_TEXT) {
            continue;
        }

        rc = ngx_vod_media_track(env, index, (int) i,
                                 &media->texts[media->text_count]);
        if (rc != NGX_OK) {
            return rc;
        }

        media->text_count++;
    }

    return NGX_OK;
}


/*
 * A text track's view and all its samples, each segment's copied out in
 * turn, with their presentation times in milliseconds (vod_mp4text_cues()
 * wants them); NGX_HTTP_NOT_FOUND without such a track, and a track of
 * more than VOD_MP4TEXT_MAX_SAMPLES samples is refused with one line.
 */

static ngx_int_t
ngx_vod_media_text(ngx_vod_media_t *media, u_char *index)
{
    int                    track, rc;
    int64_t                pts;
    uint32_t               seg, i, n;
    uint64_t               dts;
    vod_env_t             *env;
    vod_sample_t          *s;
    vod_segment_t          segment;
    vod_track_info_t      *info;
    vod_mp4text_sample_t  *t;

    env = &media->venv.env;

    track = vod_index_find_track_id(index, VOD_TRACK_TEXT, media->text_id);
    if (track < 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = ngx_vod_media_track(env, index, track, &media->text);
    if (rc != NGX_OK) {
        return rc;
    }

    info = media->text;

    if (info->sample_count > VOD_MP4TEXT_MAX_SAMPLES
        || info->timescale == 0)
    {
        env->log(env, "text track %u: %u samples, timescale %u: over %d "
                 "samples or no timescale", info->track_id,
                 info->sample_count, info->timescale,
                 VOD_MP4TEXT_MAX_SAMPLES);
        return NGX_HTTP_BAD_GATEWAY;
    }

    media->text_samples = env->alloc(env, (size_t) info->sample_count
                                          * sizeof(vod_sample_t) + 1);
    media->text_times = env->alloc(env, (size_t) info->sample_count
                                        * sizeof(vod_mp4text_sample_t) + 1);
    if (media->text_samples == NULL || media->text_times == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = 0;

    for (seg = 0; seg < info->segment_count; seg++) {
        rc = vod_index_segment(env, index, (uint32_t) track, info, seg,
                               &segment);
        if (rc != VOD_OK) {
            return ngx_vod_status(rc);
        }

        dts = segment.start_dts;

        for (i = 0; i < segment.count && n < info->sample_count; i++) {
            s = &segment.samples[i];
            t = &media->text_times[n];

            pts = (int64_t) dts + s->pts_delay;
            if (pts < 0) {
                pts = 0;
            }

            t->start = vod_text_to_ms((uint64_t) pts, info->timescale);
            t->end = vod_text_to_ms((uint64_t) pts + s->duration,
                                    info->timescale);
            t->data = NULL;
            t->size = s->size;

            media->text_samples[n++] = *s;
            dts += s->duration;
        }
    }

    media->text_count_samples = n;

    return NGX_OK;
}
