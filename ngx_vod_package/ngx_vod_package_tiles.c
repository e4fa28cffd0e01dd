/*
 * ngx_vod_package_tiles.c: thumbnail tile sheets, tiles-{id}-{n}.jpg, and
 * their WebVTT track, tiles-{id}.vtt (the layout: vod_tiles.c).  A sheet's
 * load step finds each tile's frame as a thumbnail's does
 * (ngx_vod_thumb_find()); its plan step checks the work against the
 * location's bounds, makes one decode run per GOP (tiles whose frames
 * follow the same key frame share its pass) and gives the picture to the
 * thumbnails' thread pool (ngx_vod_picture_post()), never to the event
 * loop.  The track needs no decode: it is made in the plan step, as is
 * the HLS image playlist over the sheets, images-{id}.m3u8 (vod_images.h),
 * and the manifests' image track (ngx_vod_tiles_images()).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "ngx_vod_package_thumb.h"
#include "vod_thumb.h"
#include "vod_tiles.h"
#include "vod_images.h"


/* a tile's frame: its segment's samples and where decoding starts */
typedef struct {
    uint32_t              seg;
    vod_segment_t         segment;
    vod_thumb_pick_t      pick;
} ngx_vod_tile_frame_t;


typedef struct {
    ngx_vod_picture_t      pic;
    vod_tiles_t            layout;
    uint64_t               first;         /* the sheet's first tile */
    uint32_t               count;         /* its tiles that show a frame */
    ngx_vod_tile_frame_t  *frames;
} ngx_vod_tiles_t;


static void ngx_vod_tiles_layout(ngx_vod_package_loc_conf_t *vlcf,
    vod_tiles_t *t);
static uint64_t ngx_vod_tiles_duration(vod_track_info_t *info);
static uint64_t ngx_vod_tiles_etag(ngx_http_request_t *r, vod_url_t *url,
    ngx_vod_media_t *media, vod_tiles_t *t, uint32_t quality);
static ngx_int_t ngx_vod_tiles_vtt(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);
static ngx_int_t ngx_vod_tiles_size(ngx_http_request_t *r,
    vod_track_info_t *info, vod_tiles_t *t);
static ngx_int_t ngx_vod_tiles_runs(ngx_http_request_t *r,
    ngx_vod_tiles_t *ts, ngx_vod_decode_t *d);


static ngx_str_t  ngx_vod_type_vtt = ngx_string("text/vtt; charset=utf-8");
static ngx_str_t  ngx_vod_type_m3u8 =
    ngx_string("application/vnd.apple.mpegurl");


ngx_int_t
ngx_vod_tiles_load(ngx_http_request_t *r, void *data)
{
    ngx_vod_ctx_t  *ctx = data;

    uint32_t                     i;
    uint64_t                     ms, duration;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    ngx_vod_tiles_t             *ts;
    ngx_vod_media_t             *media;
    vod_track_info_t            *info;
    ngx_vod_tile_frame_t        *f;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;

    if (!vlcf->thumbnails
        || (url->kind == VOD_URL_IMAGES
            && !(vlcf->thumbnail_manifests & NGX_VOD_IMAGES_HLS)))
    {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = ngx_vod_media_load(r, media, NGX_VOD_WANT_INFO, 0, NULL, NULL);
    if (rc != NGX_OK) {
        return rc;
    }

    info = media->video;
    if (info == NULL || info->timescale == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (url->kind == VOD_URL_TILES_VTT || url->kind == VOD_URL_IMAGES) {
        return NGX_OK;
    }

    /* ctx->thumb: a sheet's state, as a thumbnail's (one or the other) */

    ts = ctx->thumb;

    if (ts == NULL) {
        ts = ngx_pcalloc(r->pool, sizeof(ngx_vod_tiles_t));
        if (ts == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ts->pic.request = r;
        ts->pic.path = &media->path;
        ngx_vod_tiles_layout(vlcf, &ts->layout);
        ctx->thumb = ts;
    }

    duration = ngx_vod_tiles_duration(info);

    if (vod_tiles_sheet(&ts->layout, duration, url->segment, &ts->first,
                        &ts->count)
        != VOD_OK)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\": tile sheet %uD is past the end",
                      &media->path, url->segment + 1);
        return NGX_HTTP_NOT_FOUND;
    }

    if (ts->frames == NULL) {
        ts->frames = ngx_pcalloc(r->pool,
                                 ts->count * sizeof(ngx_vod_tile_frame_t));
        if (ts->frames == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* after a thread built the index this step runs again from the
     * first tile: what a run found is found again from the cache */

    for (i = 0; i < ts->count; i++) {
        f = &ts->frames[i];

        ms = (ts->first + i) * ts->layout.interval;

        rc = ngx_vod_thumb_find(r, media, ms, ts->pic.back, &f->seg,
                                &f->segment, &f->pick);

        if (rc == NGX_DECLINED) {
            /* within the duration in milliseconds, past it in the
             * track's own timescale: not a frame to show */
            ts->count = i;
            break;
        }

        if (rc != NGX_OK) {
            return rc;
        }
    }

    if (ts->count == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    return NGX_OK;
}


ngx_int_t
ngx_vod_tiles_plan(ngx_http_request_t *r, void *data)
{
    ngx_vod_ctx_t  *ctx = data;

    uint32_t                     w, h;
    uint64_t                     etag;
    ngx_int_t                    rc;
    ngx_vod_tiles_t             *ts;
    ngx_vod_media_t             *media;
    ngx_vod_decode_t            *d;
    vod_track_info_t            *info;
    ngx_vod_package_loc_conf_t  *vlcf;

    if (ctx->url.kind == VOD_URL_TILES_VTT
        || ctx->url.kind == VOD_URL_IMAGES)
    {
        return ngx_vod_tiles_vtt(r, ctx);
    }

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    media = &ctx->media;
    info = media->video;
    ts = ctx->thumb;
    d = &ts->pic.decode;

    rc = ngx_vod_picture_again(r, &ts->pic, ngx_vod_tiles_load, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    if (ts->pic.posted) {
        if (!ts->pic.done) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        if (d->rc != VOD_OK) {
            /* the task's line said why */
            return ngx_vod_status(d->rc);
        }

        etag = ngx_vod_tiles_etag(r, &ctx->url, media, &ts->layout,
                                  d->quality);
        ngx_vod_picture_out(r, ctx, &ts->pic, etag);

        return NGX_OK;
    }

    /* a tile's size: the video's aspect at the tile's width */

    rc = vod_thumb_track_size(info, ts->layout.width, 0,
                              (uint32_t) vlcf->thumbnail_max_width,
                              (uint32_t) vlcf->thumbnail_max_height, &w, &h);

    if (rc == VOD_BAD_REQUEST
        || (uint64_t) w * ts->layout.cols * h * ts->layout.rows
           > NGX_VOD_THUMB_MAX_PIXELS)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": tiles of a %uDx%uD video at "
                      "vod_thumbnail_tile_width %uD are over "
                      "vod_thumbnail_max_height or 8K UHD a sheet",
                      &media->path, info->width, info->height,
                      ts->layout.width);
        return NGX_HTTP_BAD_GATEWAY;
    }

    if (rc != VOD_OK) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": the video's sample entry has no size",
                      &media->path);
        return NGX_HTTP_BAD_GATEWAY;
    }

    /* WebP has 14 bits a side: a sheet that would be taller (its width
     * is bounded at nginx -t, its height follows the video's aspect) has
     * no WebP, only the JPEG; refused before anything is decoded */
    if (ctx->url.image == VOD_IMAGE_WEBP
        && ((uint64_t) w * ts->layout.cols > NGX_VOD_WEBP_MAX_SIDE
            || (uint64_t) h * ts->layout.rows > NGX_VOD_WEBP_MAX_SIDE))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": a sheet of %uD x %uD tiles of %uDx%uD "
                      "is %uDx%uD, over WebP's %d pixels a side: its .jpg "
                      "serves it, or a grid of fewer rows",
                      &media->path, ts->layout.cols, ts->layout.rows, w, h,
                      w * ts->layout.cols, h * ts->layout.rows,
                      NGX_VOD_WEBP_MAX_SIDE);
        return NGX_HTTP_NOT_FOUND;
    }

    ts->layout.height = h;

    rc = ngx_vod_picture_source(r, media, &ts->pic, info);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_vod_tiles_runs(r, ts, d);
    if (rc != NGX_OK) {
        return rc;
    }

    d->tile_width = w;
    d->tile_height = h;
    d->width = w * ts->layout.cols;
    d->height = h * ts->layout.rows;
    d->quality = (uint32_t) vlcf->thumbnail_quality;
    d->image = ctx->url.image;
    d->max_frames = (uint32_t) vlcf->thumbnail_max_frames;
    d->max_total = (uint32_t) vlcf->tile_max_frames;

    return ngx_vod_picture_post(r, &ts->pic);
}


/*
 * The decode's runs: a tile whose frame follows the key frame of the
 * tile before it (same segment, same key frame) joins that tile's run,
 * which then goes on to the later of their frames; any other starts one.
 * Each tile's frames from its key frame are bounded by
 * vod_thumbnail_max_frames, as a thumbnail's, and the samples every run
 * decodes together by vod_thumbnail_tile_max_frames.
 */

static ngx_int_t
ngx_vod_tiles_runs(ngx_http_request_t *r, ngx_vod_tiles_t *ts,
    ngx_vod_decode_t *d)
{
    uint32_t                     i, frames, total, x, y;
    ngx_vod_tile_frame_t        *f, *head;
    ngx_vod_decode_run_t        *run;
    ngx_vod_decode_tile_t       *tiles;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    d->runs = ngx_pcalloc(r->pool, ts->count * sizeof(ngx_vod_decode_run_t));
    tiles = ngx_pcalloc(r->pool, ts->count * sizeof(ngx_vod_decode_tile_t));

    if (d->runs == NULL || tiles == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    d->nruns = 0;
    run = NULL;
    head = NULL;
    total = 0;

    for (i = 0; i < ts->count; i++) {
        f = &ts->frames[i];

        frames = f->pick.target - f->pick.key + 1;

        if (frames > vlcf->thumbnail_max_frames) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: \"%V\": the frame at %uL ms needs %uD "
                          "frames decoded, over vod_thumbnail_max_frames "
                          "%ui", ts->pic.path,
                          (ts->first + i) * ts->layout.interval, frames,
                          vlcf->thumbnail_max_frames);
            return NGX_HTTP_BAD_GATEWAY;
        }

        if (run == NULL || f->seg != head->seg
            || f->pick.key != head->pick.key)
        {
            run = &d->runs[d->nruns++];
            head = f;

            run->samples = &f->segment.samples[f->pick.key];
            run->back = f->pick.key;
            run->more = (!ts->pic.back && f->seg > 0);
            run->start_dts = f->segment.start_dts;
            run->tiles = &tiles[i];

            for (x = 0; x < f->pick.key; x++) {
                run->start_dts += f->segment.samples[x].duration;
            }

        }

        if (frames > run->count) {
            total += frames - run->count;
            run->count = frames;

            /* a leading picture's samples joined with the segment before
             * (ngx_vod_thumb_find()): the same samples as the head's
             * where both have them, and the only ones that go on */
            run->samples = &f->segment.samples[f->pick.key];
        }

        vod_tiles_place(&ts->layout, i, &x, &y);

        tiles[i].sample = frames - 1;
        tiles[i].x = x;
        tiles[i].y = y;
        run->ntiles++;
    }

    if (total > vlcf->tile_max_frames) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\": tile sheet %uD needs %uD frames "
                      "decoded, over vod_thumbnail_tile_max_frames %ui",
                      ts->pic.path, (uint32_t) (ts->first
                                                / (ts->layout.cols
                                                   * ts->layout.rows)) + 1,
                      total, vlcf->tile_max_frames);
        return NGX_HTTP_BAD_GATEWAY;
    }

    return NGX_OK;
}


/* the WebVTT thumbnail track or the image playlist: no decode, made
 * here */

static ngx_int_t
ngx_vod_tiles_vtt(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *out;
    size_t                       len;
    ngx_int_t                    rc;
    vod_str_t                    id;
    vod_images_t                 im;
    ngx_vod_media_t             *media;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    media = &ctx->media;

    ngx_vod_tiles_layout(vlcf, &im.tiles);

    rc = ngx_vod_tiles_size(r, media->video, &im.tiles);
    if (rc != NGX_OK) {
        return rc;
    }

    id.data = media->id.data;
    id.len = media->id.len;

    if (ctx->url.kind == VOD_URL_IMAGES) {
        im.id = id;
        im.duration = ngx_vod_tiles_duration(media->video);

        rc = vod_images_playlist(&media->venv.env, &im, &out, &len);
        ctx->out.type = &ngx_vod_type_m3u8;

    } else {
        rc = vod_tiles_vtt(&media->venv.env, &im.tiles,
                           ngx_vod_tiles_duration(media->video), &id, &out,
                           &len);
        ctx->out.type = &ngx_vod_type_vtt;
    }

    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.cache_control = &vlcf->playlist_cache_control;
    ctx->out.mtime = media->of.mtime;
    ctx->out.etag = ngx_vod_tiles_etag(r, &ctx->url, media, &im.tiles, 0);
    ctx->out.data = out;
    ctx->out.len = len;

    return NGX_OK;
}


/*
 * The manifests' image track of a title: the tile sheets of its video
 * rendition of the fewest pixels (the cheapest to decode; every
 * rendition's sheets have the same size), of those the tier left.
 * NGX_DECLINED when the location names none in this kind of manifest
 * (vod_thumbnails off, vod_thumbnail_manifests), the title has no video
 * or its tiles have no size.
 */

ngx_int_t
ngx_vod_tiles_images(ngx_http_request_t *r, vod_title_t *title,
    ngx_uint_t kind, vod_images_t *im)
{
    uint32_t                     i;
    ngx_int_t                    rc;
    vod_rendition_t             *rd, *pick;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (!vlcf->thumbnails || !(vlcf->thumbnail_manifests & kind)) {
        return NGX_DECLINED;
    }

    pick = NULL;

    for (i = 0; i < title->count; i++) {
        rd = &title->renditions[i];

        /* a video whose sheets could not be made is not named */
        if (rd->video == NULL || rd->video->timescale == 0
            || !ngx_vod_picture_decodes(rd->video))
        {
            continue;
        }

        if (pick == NULL
            || (uint64_t) rd->video->width * rd->video->height
               < (uint64_t) pick->video->width * pick->video->height)
        {
            pick = rd;
        }
    }

    if (pick == NULL) {
        return NGX_DECLINED;
    }

    ngx_vod_tiles_layout(vlcf, &im->tiles);

    /* a video the sheets cannot be sized for (its line says why) leaves
     * the manifest without the track, not the manifest failed */
    rc = ngx_vod_tiles_size(r, pick->video, &im->tiles);
    if (rc != NGX_OK) {
        return NGX_DECLINED;
    }

    im->id = pick->id;
    im->duration = ngx_vod_tiles_duration(pick->video);

    return (im->duration == 0) ? NGX_DECLINED : NGX_OK;
}


/* a tile's height: the video's aspect at the tile's width */

static ngx_int_t
ngx_vod_tiles_size(ngx_http_request_t *r, vod_track_info_t *info,
    vod_tiles_t *t)
{
    uint32_t                     w, h;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vod_thumb_track_size(info, t->width, 0,
                             (uint32_t) vlcf->thumbnail_max_width,
                             (uint32_t) vlcf->thumbnail_max_height, &w, &h)
        != VOD_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: no tile size for a %uDx%uD video at "
                      "vod_thumbnail_tile_width %uD", info->width,
                      info->height, t->width);
        return NGX_HTTP_BAD_GATEWAY;
    }

    t->width = w;
    t->height = h;

    return NGX_OK;
}


static void
ngx_vod_tiles_layout(ngx_vod_package_loc_conf_t *vlcf, vod_tiles_t *t)
{
    t->cols = (uint32_t) vlcf->tile_cols;
    t->rows = (uint32_t) vlcf->tile_rows;
    t->interval = (uint32_t) vlcf->tile_interval;
    t->width = (uint32_t) vlcf->tile_width;
    t->height = 0;
}


/* the video track's duration in whole milliseconds: every tile's time is
 * then before its end */

static uint64_t
ngx_vod_tiles_duration(vod_track_info_t *info)
{
    if (info->duration / info->timescale > NGX_MAX_UINT32_VALUE) {
        /* over 136 years: a hostile claim, refused by the track's bound
         * on cues without wrapping around */
        return (uint64_t) NGX_MAX_UINT32_VALUE * 1000;
    }

    return info->duration / info->timescale * 1000
           + info->duration % info->timescale * 1000 / info->timescale;
}


/* the name, the file, and what the configuration makes of them */

static uint64_t
ngx_vod_tiles_etag(ngx_http_request_t *r, vod_url_t *url,
    ngx_vod_media_t *media, vod_tiles_t *t, uint32_t quality)
{
    uint64_t  etag;

    etag = ngx_vod_url_etag(r, url, media);
    etag = ngx_vod_etag_add(etag, &url->segment, sizeof(uint32_t));
    etag = ngx_vod_etag_add(etag, &url->image, sizeof(uint32_t));
    etag = ngx_vod_etag_add(etag, t, sizeof(vod_tiles_t));

    return ngx_vod_etag_add(etag, &quality, sizeof(uint32_t));
}
