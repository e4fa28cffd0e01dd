/*
 * ngx_vod_package_thumb.c: the load and plan steps of a thumbnail,
 * thumb-{id}-{ms}[-w{W}][-h{H}].jpg.  Load finds the frame presented at
 * the time (vod_thumb.c: the segment, then the sample and the key frame
 * before it, composition offsets and the edit list applied as the
 * segments apply them); plan checks the work against the location's
 * bounds and gives the decode (_decode.c) to the location's thread pool,
 * never to the event loop; when the task ends plan runs again and the
 * JPEG is the body.  Without "aio threads" the request is refused (503,
 * one line): a decode takes milliseconds of CPU that would stall every
 * other request of the worker.  The frame's search (ngx_vod_thumb_find())
 * and the picture's task (ngx_vod_picture_*()) are the tile sheets' too
 * (_tiles.c).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "ngx_vod_package_thumb.h"
#include "vod_thumb.h"


/* the segments an intra refresh's decode may join before a frame's, at
 * most: a refresh takes a second or two, a segment at least one */
#define NGX_VOD_REFRESH_MAX_JOINS  4


typedef struct {
    ngx_vod_picture_t      pic;
    uint32_t               seg;
    vod_segment_t          segment;
    vod_thumb_pick_t       pick;
    ngx_vod_decode_run_t   run;
    ngx_vod_decode_tile_t  tile;
} ngx_vod_thumb_t;


static ngx_int_t ngx_vod_thumb_first_after(ngx_http_request_t *r,
    ngx_vod_media_t *media, uint64_t *time, uint64_t ms);
static ngx_int_t ngx_vod_thumb_join(ngx_http_request_t *r,
    ngx_vod_media_t *media, uint64_t time, uint32_t *seg,
    vod_segment_t *segment, vod_thumb_pick_t *pick);
static ngx_int_t ngx_vod_thumb_next(ngx_http_request_t *r,
    ngx_vod_media_t *media, uint64_t time, uint32_t *seg,
    vod_segment_t *segment, vod_thumb_pick_t *pick);
#if (NGX_VOD_THUMBNAILS && NGX_THREADS)
static void ngx_vod_picture_cleanup(void *data);
static void ngx_vod_picture_nice(ngx_int_t nice, ngx_log_t *log);
static void ngx_vod_picture_thread(void *data, ngx_log_t *log);
static void ngx_vod_picture_event(ngx_event_t *ev);
#endif


static ngx_str_t  ngx_vod_type_jpeg = ngx_string("image/jpeg");
static ngx_str_t  ngx_vod_type_webp = ngx_string("image/webp");


ngx_int_t
ngx_vod_thumb_load(ngx_http_request_t *r, void *data)
{
    ngx_vod_ctx_t  *ctx = data;

    ngx_int_t                    rc;
    vod_url_t                   *url;
    ngx_vod_thumb_t             *th;
    ngx_vod_media_t             *media;
    vod_track_info_t            *info;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;

    if (!vlcf->thumbnails) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (url->width > vlcf->thumbnail_max_width
        || url->height > vlcf->thumbnail_max_height)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: thumbnail of %uDx%uD over "
                      "vod_thumbnail_max_width/height %ui x %ui",
                      url->width, url->height, vlcf->thumbnail_max_width,
                      vlcf->thumbnail_max_height);
        return NGX_HTTP_BAD_REQUEST;
    }

    rc = ngx_vod_media_load(r, media, NGX_VOD_WANT_INFO, 0, NULL, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    info = media->video;
    if (info == NULL || info->timescale == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    th = ctx->thumb;

    if (th == NULL) {
        th = ngx_pcalloc(r->pool, sizeof(ngx_vod_thumb_t));
        if (th == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        th->pic.request = r;
        th->pic.path = &media->path;
        ctx->thumb = th;
    }

    rc = ngx_vod_thumb_find(r, media, url->thumb_ms, th->pic.back, &th->seg,
                            &th->segment, &th->pick);

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\": thumbnail at %uD ms is past the end",
                      &media->path, url->thumb_ms);
        return NGX_HTTP_NOT_FOUND;
    }

    return rc;
}


ngx_int_t
ngx_vod_thumb_find(ngx_http_request_t *r, void *data, uint64_t ms,
    ngx_uint_t back, uint32_t *seg, vod_segment_t *segment,
    vod_thumb_pick_t *pick)
{
    ngx_vod_media_t  *media = data;

    uint64_t                     time;
    ngx_int_t                    rc;
    ngx_uint_t                   joins;
    ngx_vod_package_loc_conf_t  *vlcf;

    time = vod_thumb_ticks(ms, media->video->timescale, 0);

    rc = ngx_vod_thumb_first_after(r, media, &time, ms);
    if (rc != NGX_OK) {
        return rc;
    }

    if (vod_thumb_segment(media->video, time, seg) != VOD_OK) {
        return NGX_DECLINED;
    }

    /* the segment whose decode span holds the time, or the one before
     * when all its frames are presented after it */

    for ( ;; ) {
        rc = ngx_vod_media_load(r, media, NGX_VOD_WANT_VIDEO, *seg, segment,
                                NULL);
        if (rc != NGX_OK) {
            return rc;
        }

        rc = vod_thumb_pick(segment, time, *seg == 0, pick);

        if (rc == VOD_NOT_FOUND && *seg > 0) {
            (*seg)--;
            continue;
        }

        if (rc != VOD_OK) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: \"%V\": no key frame before the frame at "
                          "%uL ms", &media->path, ms);
            return ngx_vod_status(rc);
        }

        if (vod_thumb_next_may_hold(media->video, *seg, segment, time)) {
            rc = ngx_vod_thumb_next(r, media, time, seg, segment, pick);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        if (pick->lead && *seg > 0) {
            rc = ngx_vod_thumb_join(r, media, time, seg, segment, pick);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        if (!back) {
            return NGX_OK;
        }

        /* an intra refresh's decode starts before the key frame: the
         * segments before joined, up to vod_thumbnail_max_frames
         * samples before the frame (_refresh.c) */

        vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

        for (joins = 0; joins < NGX_VOD_REFRESH_MAX_JOINS && *seg > 0
                        && pick->target < vlcf->thumbnail_max_frames;
             joins++)
        {
            rc = ngx_vod_thumb_join(r, media, time, seg, segment, pick);
            if (rc != NGX_OK) {
                return rc;
            }
        }

        return NGX_OK;
    }
}


/*
 * The time moved to the first frame presented at or after it, as ffmpeg
 * finds its frame at a time (-ss): a time between two frames gives the
 * later one, where a player showed the earlier (a 23.976 or 29.97 fps
 * title's frames are on a whole second once in 1001 s).  time is ms in
 * the track's timescale rounded down, the frame's at or after ms rounded
 * up.  The frame is among the segments around the one that holds time: a
 * B-frame decoded before a segment's key frame may be presented after
 * time, a leading picture after it before.  None (time within the last
 * frame, or past the frames before the end of an edit) keeps the time:
 * the frame presented then, the title's last.
 */

static ngx_int_t
ngx_vod_thumb_first_after(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t *time, uint64_t ms)
{
    uint32_t           s, seg, last;
    uint64_t           t, pts, best;
    ngx_int_t          rc;
    ngx_uint_t         found;
    vod_segment_t      segment;
    vod_track_info_t  *info;

    info = media->video;

    if (vod_thumb_segment(info, *time, &seg) != VOD_OK) {
        return NGX_OK;
    }

    t = vod_thumb_ticks(ms, info->timescale, 1);

    s = (seg > 0) ? seg - 1 : 0;
    last = ngx_min(seg + 1, info->segment_count - 1);
    found = 0;
    best = 0;

    for ( /* void */ ; s <= last; s++) {
        rc = ngx_vod_media_load(r, media, NGX_VOD_WANT_VIDEO, s, &segment,
                                NULL);
        if (rc != NGX_OK) {
            return rc;
        }

        if (vod_thumb_first_after(&segment, t, &pts) == VOD_OK
            && (!found || pts < best))
        {
            found = 1;
            best = pts;
        }

        /* a long segment's samples are a large block of the pool: given
         * back, so a tile sheet holds one such copy at a time here */
        ngx_pfree(r->pool, segment.samples);
    }

    if (found && best < info->duration) {
        *time = best;
    }

    return NGX_OK;
}


/*
 * The next segment's frame for time instead of the one found, when it
 * has one presented later (a leading picture of its first key frame):
 * the frame on screen at time is the latest presented at or before it,
 * whichever segment decodes it.
 */

static ngx_int_t
ngx_vod_thumb_next(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t time, uint32_t *seg, vod_segment_t *segment,
    vod_thumb_pick_t *pick)
{
    int               rc;
    ngx_int_t         nrc;
    vod_segment_t     next;
    vod_thumb_pick_t  np;

    nrc = ngx_vod_media_load(r, media, NGX_VOD_WANT_VIDEO, *seg + 1, &next,
                             NULL);
    if (nrc != NGX_OK) {
        return nrc;
    }

    rc = vod_thumb_pick(&next, time, 0, &np);

    if (rc == VOD_NOT_FOUND || (rc == VOD_OK && np.pts <= pick->pts)) {
        return NGX_OK;
    }

    if (rc != VOD_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": no key frame before the leading "
                      "picture of segment %uD", &media->path, *seg + 2);
        return ngx_vod_status(rc);
    }

    (*seg)++;
    *segment = next;
    *pick = np;

    return NGX_OK;
}


/*
 * The segment before joined to the frame's, which is then numbered as
 * that one: for a leading picture of the segment's first key frame,
 * decoding starts at the last key frame of the segment before, over both
 * (an open GOP's leading pictures may refer to the GOP before theirs);
 * for an intra refresh, at a recovery point before the key frame.
 */

static ngx_int_t
ngx_vod_thumb_join(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t time, uint32_t *seg, vod_segment_t *segment,
    vod_thumb_pick_t *pick)
{
    int            rc;
    uint32_t       n;
    ngx_int_t      nrc;
    vod_segment_t  prev;

    /* the segment's number from 1 is its index + 1: n and n + 1 are the
     * two segments' numbers */
    n = *seg;

    nrc = ngx_vod_media_load(r, media, NGX_VOD_WANT_VIDEO, n - 1, &prev,
                             NULL);
    if (nrc != NGX_OK) {
        return nrc;
    }

    rc = vod_thumb_join(&media->venv.env, &prev, segment);

    if (rc == VOD_OK) {
        (*seg)--;
        rc = vod_thumb_pick(segment, time, *seg == 0, pick);
    }

    if (rc != VOD_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": segments %uD and %uD do not join",
                      &media->path, n, n + 1);
        return ngx_vod_status(rc);
    }

    return NGX_OK;
}


ngx_int_t
ngx_vod_thumb_plan(ngx_http_request_t *r, void *data)
{
    ngx_vod_ctx_t  *ctx = data;

    uint32_t                     frames, w, h, quality;
    uint64_t                     etag;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    ngx_vod_thumb_t             *th;
    ngx_vod_media_t             *media;
    ngx_vod_decode_t            *d;
    vod_track_info_t            *info;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;
    th = ctx->thumb;
    d = &th->pic.decode;
    info = media->video;

    rc = ngx_vod_picture_again(r, &th->pic, ngx_vod_thumb_load, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (th->pic.posted) {
        if (!th->pic.done) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (d->rc != VOD_OK) {
            /* the task's line said why */
            return ngx_vod_status(d->rc);
        }

        quality = (uint32_t) vlcf->thumbnail_quality;

        etag = ngx_vod_url_etag(r, url, media);
        etag = ngx_vod_etag_add(etag, &url->thumb_ms, sizeof(uint32_t));
        etag = ngx_vod_etag_add(etag, &d->width, sizeof(uint32_t));
        etag = ngx_vod_etag_add(etag, &d->height, sizeof(uint32_t));
        etag = ngx_vod_etag_add(etag, &quality, sizeof(uint32_t));
        etag = ngx_vod_etag_add(etag, &d->image, sizeof(uint32_t));

        ngx_vod_picture_out(r, ctx, &th->pic, etag);

        return NGX_OK;
    }

    frames = th->pick.target - th->pick.key + 1;

    if (frames > vlcf->thumbnail_max_frames) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": the frame at %uD ms needs %uD frames "
                      "decoded, over vod_thumbnail_max_frames %ui",
                      &media->path, url->thumb_ms, frames,
                      vlcf->thumbnail_max_frames);
        return NGX_HTTP_BAD_GATEWAY;
    }

    rc = vod_thumb_track_size(info, url->width, url->height,
                              (uint32_t) vlcf->thumbnail_max_width,
                              (uint32_t) vlcf->thumbnail_max_height, &w, &h);

    if (rc == VOD_BAD_REQUEST) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\": a %uDx%uD picture at %uDx%uD is over "
                      "vod_thumbnail_max_width/height", &media->path,
                      info->width, info->height, url->width, url->height);
        return NGX_HTTP_BAD_REQUEST;
    }

    if (rc != VOD_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": the video's sample entry has no size",
                      &media->path);
        return NGX_HTTP_BAD_GATEWAY;
    }

    rc = ngx_vod_picture_source(r, media, &th->pic, info);
    if (rc != NGX_OK) {
        return rc;
    }

    /* one run from the key frame to the frame shown, filling the picture */

    th->run.samples = &th->segment.samples[th->pick.key];
    th->run.count = frames;
    th->run.start_dts = th->segment.start_dts;
    th->run.tiles = &th->tile;
    th->run.ntiles = 1;
    th->run.back = th->pick.key;
    th->run.more = (!th->pic.back && th->seg > 0);
    th->run.refresh = 0;

    for (frames = 0; frames < th->pick.key; frames++) {
        th->run.start_dts += th->segment.samples[frames].duration;
    }

    th->tile.sample = th->run.count - 1;
    th->tile.x = 0;
    th->tile.y = 0;

    d->runs = &th->run;
    d->nruns = 1;
    d->tile_width = w;
    d->tile_height = h;
    d->width = w;
    d->height = h;
    d->quality = (uint32_t) vlcf->thumbnail_quality;
    d->image = url->image;
    d->max_frames = (uint32_t) vlcf->thumbnail_max_frames;
    d->max_total = d->max_frames;

    return ngx_vod_picture_post(r, &th->pic);
}


ngx_int_t
ngx_vod_picture_source(ngx_http_request_t *r, void *data,
    ngx_vod_picture_t *pic, vod_track_info_t *info)
{
    ngx_vod_media_t  *media = data;

    ngx_vod_decode_t            *d;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (!ngx_vod_picture_decodes(info)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": no picture of its video: this "
                      "build's FFmpeg has no decoder for its codec (AV1 "
                      "takes FFmpeg with dav1d or libaom)", &media->path);
        return NGX_HTTP_UNSUPPORTED_MEDIA_TYPE;
    }

    d = &pic->decode;

    d->fd = media->of.fd;
    d->codec = info->codec;
    d->config = info->dec_config;
    d->config_len = info->dec_config_len;
    vod_thumb_nal_init(&d->nal, info->codec, info->dec_config,
                       info->dec_config_len, info->nal_length_size);
    d->timescale = info->timescale;
    vod_hdr_track(info, &d->colour);
    d->orient = info->orient;
    d->tone_map = vlcf->thumbnail_tone_map;

    return NGX_OK;
}


ngx_int_t
ngx_vod_picture_again(ngx_http_request_t *r, ngx_vod_picture_t *pic,
    ngx_vod_picture_load_pt load, void *ctx)
{
    ngx_int_t  rc;

    if (pic->posted && pic->done && pic->decode.again) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod: intra refresh: the segments before joined");

        pic->back = 1;
        pic->reload = 1;
        pic->posted = 0;
        pic->done = 0;
        pic->decode.again = 0;
        pic->decode.rc = VOD_ERROR;
        pic->decode.error[0] = '\0';
    }

    /* its load step may wait for an index task: this runs again then */

    if (pic->reload) {
        rc = load(r, ctx);
        if (rc != NGX_OK) {
            return rc;
        }

        pic->reload = 0;
    }

    return NGX_OK;
}


void
ngx_vod_picture_out(ngx_http_request_t *r, void *data,
    ngx_vod_picture_t *pic, uint64_t etag)
{
    ngx_vod_ctx_t  *ctx = data;

    uint32_t                     version;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    /* a picture made another way for the same request is another
     * entity: a cache that revalidates gets the new one */
    version = NGX_VOD_PICTURE_VERSION;
    etag = ngx_vod_etag_add(etag, &version, sizeof(uint32_t));

    /* so is a turned video's picture since it is turned; the others keep
     * their tags */
    if (pic->decode.orient != 0) {
        etag = ngx_vod_etag_add(etag, &pic->decode.orient, sizeof(uint32_t));
    }

    /* and an HDR video's since it is tone mapped (vod_tone.h) */
    if (pic->decode.toned) {
        etag = ngx_vod_etag_add(etag, "hable", sizeof("hable") - 1);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.type = (pic->decode.image == VOD_IMAGE_WEBP) ? &ngx_vod_type_webp
                                                          : &ngx_vod_type_jpeg;
    ctx->out.cache_control = &vlcf->segment_cache_control;
    ctx->out.mtime = ctx->media.of.mtime;
    ctx->out.etag = etag;
    ctx->out.data = pic->decode.jpeg;
    ctx->out.len = pic->decode.len;
}


#if !(NGX_VOD_THUMBNAILS && NGX_THREADS)

ngx_int_t
ngx_vod_picture_post(ngx_http_request_t *r, ngx_vod_picture_t *pic)
{
    return NGX_HTTP_NOT_FOUND;
}


ngx_uint_t
ngx_vod_picture_decodes(vod_track_info_t *info)
{
    return 0;
}

#else


ngx_uint_t
ngx_vod_picture_decodes(vod_track_info_t *info)
{
    return ngx_vod_decode_decoder(info->codec) ? 1 : 0;
}


ngx_int_t
ngx_vod_picture_post(ngx_http_request_t *r, ngx_vod_picture_t *pic)
{
    ngx_int_t                     rc;
    ngx_thread_task_t            *task;
    ngx_thread_pool_t            *tp;
    ngx_pool_cleanup_t           *cln;
    ngx_vod_package_loc_conf_t   *vlcf;
    ngx_vod_package_main_conf_t  *vmcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);

    if (!ngx_vod_decode_encoder(pic->decode.image)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: WebP pictures need FFmpeg's libwebp encoder, "
                      "which this libavcodec lacks");
        return NGX_HTTP_NOT_IMPLEMENTED;
    }

    tp = (vlcf->thumbnail_pool != NULL) ? vlcf->thumbnail_pool
                                        : ngx_vod_thread_pool(r);

    /* the threads of "aio threads" read segments too: left as they are */
    pic->nice = (vlcf->thumbnail_pool != NULL) ? vmcf->thumbnail_nice : 0;

    if (tp == NULL) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: thumbnails need \"aio threads\" and a thread "
                      "pool, refused");
        return NGX_HTTP_SERVICE_UNAVAILABLE;
    }

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_vod_picture_cleanup;
    cln->data = &pic->decode;

    task = ngx_thread_task_alloc(r->pool, 0);
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    task->ctx = pic;
    task->handler = ngx_vod_picture_thread;
    task->event.data = pic;
    task->event.handler = ngx_vod_picture_event;

    rc = ngx_vod_thread_start(r, tp, task);

    if (rc != NGX_OK) {
        return (rc == NGX_DECLINED) ? NGX_HTTP_SERVICE_UNAVAILABLE : rc;
    }

    pic->posted = 1;

    return NGX_DONE;
}


static void
ngx_vod_picture_cleanup(void *data)
{
    ngx_vod_decode_t  *d = data;

    ngx_vod_decode_free(d);
}


/* runs in a pool thread: touches only the decode's own fields */

static void
ngx_vod_picture_thread(void *data, ngx_log_t *log)
{
    ngx_vod_picture_t  *pic = data;

    if (pic->nice > 0) {
        ngx_vod_picture_nice(pic->nice, log);
    }

    ngx_vod_decode_picture(&pic->decode);
}


/*
 * The pool thread's nice raised to at least nice (vod_thumbnail_thread_
 * nice), once: Linux keeps a nice value per thread, so the worker's own
 * thread, which runs the event loop, keeps its own.  Never lowered: an
 * unprivileged worker could not, and a higher worker_priority stands.
 * NGX_VOD_THUMB_NICE_IDLE: the SCHED_IDLE policy instead, which any
 * thread may take (leaving it needs a privilege): the thread runs only
 * when a CPU has nothing else to run, and a waking event loop takes the
 * CPU from it at once, where a nice value only shortens its turns.
 */

static void
ngx_vod_picture_nice(ngx_int_t nice, ngx_log_t *log)
{
#if (NGX_LINUX)
    int                 cur;
    id_t                tid;
    struct sched_param  sp;

    if (nice == NGX_VOD_THUMB_NICE_IDLE) {
        /* pid 0: the calling thread, not the process */
        if (sched_getscheduler(0) == SCHED_IDLE) {
            return;
        }

        ngx_memzero(&sp, sizeof(struct sched_param));

        if (sched_setscheduler(0, SCHED_IDLE, &sp) == -1) {
            ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                          "vod: sched_setscheduler(SCHED_IDLE) of a "
                          "thumbnail thread failed");
        }

        return;
    }

    tid = (id_t) ngx_thread_tid();

    errno = 0;
    cur = getpriority(PRIO_PROCESS, tid);

    if ((cur == -1 && errno != 0) || cur >= nice) {
        return;
    }

    if (setpriority(PRIO_PROCESS, tid, (int) nice) == -1) {
        ngx_log_error(NGX_LOG_WARN, log, ngx_errno,
                      "vod: setpriority(%i) of a thumbnail thread failed",
                      nice);
    }
#endif
}


static void
ngx_vod_picture_event(ngx_event_t *ev)
{
    ngx_vod_picture_t  *pic = ev->data;

    ngx_connection_t    *c;
    ngx_http_request_t  *r;

    r = pic->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_vod_thread_ended(r);
    pic->done = 1;

    /* what the decode cost, for tests and an operator's debug log */
    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, c->log, 0,
                   "vod: picture: %uD frames decoded",
                   pic->decode.decoded);

    /* a decode that asked for the samples before (an intra refresh) is
     * posted again by the plan step: not a failure */
    if (pic->decode.rc != VOD_OK && !pic->decode.again) {
        ngx_log_error(NGX_LOG_ERR, c->log, pic->decode.err,
                      "vod: \"%V\": thumbnail: %s", pic->path,
                      pic->decode.error[0] ? pic->decode.error : "failed");
    }

    if (r->done) {
        c->write->handler(c->write);

    } else {
        r->write_event_handler(r);
        ngx_http_run_posted_requests(c);
    }
}

#endif
