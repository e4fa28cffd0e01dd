/*
 * ngx_vod_package_plan.c: the plan step of a media playlist, an init
 * segment and a media segment: the body, or what makes it, and the send
 * method (ngx_vod_send_e) in the context's output.  Manifests plan in
 * _manifest.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/crypto.h>

#include "ngx_vod_package_module.h"
#include "ngx_vod_package_thumb.h"
#include "vod_fmp4.h"
#include "vod_ts.h"
#include "vod_manifest.h"


static ngx_int_t ngx_vod_plan_playlist(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);
static ngx_int_t ngx_vod_plan_init(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);
static ngx_int_t ngx_vod_plan_cmaf(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);
static ngx_int_t ngx_vod_plan_cmaf_copy(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx, u_char *header, size_t header_len,
    vod_range_t *ranges, uint32_t count);
static ngx_int_t ngx_vod_copy_ranges(ngx_http_request_t *r,
    vod_range_t *ranges, uint32_t count, size_t header_len, off_t file_size,
    size_t *size);
static ngx_int_t ngx_vod_plan_ts(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
static ssize_t ngx_vod_ts_produce(void *data, u_char *buf, size_t size,
    ngx_vod_readahead_t *ra);


static ngx_str_t  ngx_vod_type_m3u8 =
    ngx_string("application/vnd.apple.mpegurl");
static ngx_str_t  ngx_vod_type_video = ngx_string("video/mp4");
static ngx_str_t  ngx_vod_type_audio = ngx_string("audio/mp4");
static ngx_str_t  ngx_vod_type_ts = ngx_string("video/mp2t");


ngx_int_t
ngx_vod_package_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    if (ctx->url.stream == VOD_STREAM_SUB
        || ctx->url.stream == VOD_STREAM_SUB_TS)
    {
        /* a subtitle playlist, segment or file (_subs.c) */
        return ngx_vod_subs_plan(r, ctx);
    }

    switch (ctx->url.kind) {

    case VOD_URL_MASTER:
    case VOD_URL_MASTER_TS:
    case VOD_URL_MPD:
    case VOD_URL_TRACKS:
        return ngx_vod_manifest_plan(r, ctx);

    case VOD_URL_PLAYLIST:
        return ngx_vod_plan_playlist(r, ctx);

    case VOD_URL_INIT:
        return ngx_vod_plan_init(r, ctx);

    case VOD_URL_IFRAMES:
        return ngx_vod_iframe_plan(r, ctx);

    case VOD_URL_THUMB:
        return ngx_vod_thumb_plan(r, ctx);

    case VOD_URL_TILES:
    case VOD_URL_TILES_VTT:
    case VOD_URL_IMAGES:
        return ngx_vod_tiles_plan(r, ctx);

    default: /* VOD_URL_SEGMENT */

        if (vod_url_stream_ts(ctx->url.stream)) {
            return ngx_vod_plan_ts(r, ctx);
        }

        return ngx_vod_plan_cmaf(r, ctx);
    }
}


static ngx_int_t
ngx_vod_plan_playlist(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *out;
    size_t                       len;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    vod_title_t                  title;
    vod_rendition_t              rendition;
    ngx_vod_media_t             *media;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;

    ngx_memzero(&rendition, sizeof(vod_rendition_t));
    rendition.id.data = media->id.data;
    rendition.id.len = media->id.len;
    rendition.video = media->video;
    rendition.audio = media->audio;
    rendition.audio_id = url->track_id;

    ngx_memzero(&title, sizeof(vod_title_t));
    title.renditions = &rendition;
    title.count = 1;
    title.segment_ms = (uint32_t) vlcf->segment_duration;

    rc = ngx_vod_protect_title_keys(r, &ctx->dir, &title);
    if (rc != NGX_OK) {
        return rc;
    }

    if (url->stream == VOD_STREAM_TS
        && ((media->video != NULL && !vod_ts_supported(media->video))
            || (media->audio != NULL && !vod_ts_supported(media->audio))))
    {
        return NGX_HTTP_NOT_FOUND;
    }

    rc = vod_hls_media(&media->venv.env, &title, &rendition, url->stream,
                       &out, &len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.etag = ngx_vod_url_etag(r, url, media);

    if (url->stream != VOD_STREAM_AUDIO
        && url->stream != VOD_STREAM_AUDIO_TS
        && ngx_vod_package_rendition_header(r, media->video) != NGX_OK)
    {
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


static ngx_int_t
ngx_vod_plan_init(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *out;
    size_t                       len;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    ngx_vod_media_t             *media;
    vod_track_info_t            *track;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;

    track = (url->stream == VOD_STREAM_VIDEO) ? media->video : media->audio;
    if (track == NULL) {
        return NGX_HTTP_NOT_FOUND;
    }

    /* under HLS AES-128 the init segment is clear: the playlists' key
     * comes after EXT-X-MAP, so applies to the media segments alone */
    if (vlcf->encryption != 0
        && vlcf->encryption != VOD_PROTECT_SCHEME_AES128)
    {
        rc = ngx_vod_protect_plan_init(r, ctx, track);
        if (rc != NGX_OK) {
            return rc;
        }

        goto done;
    }

    rc = vod_fmp4_init(&media->venv.env, track, &out, &len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.type = (url->stream == VOD_STREAM_VIDEO) ? &ngx_vod_type_video
                                                      : &ngx_vod_type_audio;
    ctx->out.cache_control = &vlcf->segment_cache_control;
    ctx->out.mtime = media->of.mtime;
    ctx->out.data = out;
    ctx->out.len = len;

done:

    ctx->out.etag = ngx_vod_url_etag(r, url, media);

    /* a turned video's init segment says the turn since it is read: a
     * cache that revalidates gets it; the others keep their tags */
    if (url->stream == VOD_STREAM_VIDEO && track->orient != 0) {
        ctx->out.etag = ngx_vod_etag_add(ctx->out.etag, &track->orient,
                                         sizeof(uint32_t));
    }

    if (url->stream == VOD_STREAM_VIDEO
        && ngx_vod_package_rendition_header(r, media->video) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* a CMAF segment: its header in memory, its samples as ranges of the
 * file */

static ngx_int_t
ngx_vod_plan_cmaf(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    u_char                      *header;
    size_t                       header_len;
    uint32_t                     count;
    ngx_int_t                    rc;
    vod_url_t                   *url;
    vod_range_t                 *ranges;
    vod_segment_t               *segment;
    ngx_vod_media_t             *media;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    url = &ctx->url;
    media = &ctx->media;

    segment = (url->stream == VOD_STREAM_VIDEO) ? &ctx->video : &ctx->audio;

    if (vlcf->encryption != 0) {
        /* read and encrypted whole (_protect.c) */
        rc = ngx_vod_protect_plan_segment(r, ctx, segment);
        if (rc != NGX_OK) {
            return rc;
        }

        ctx->out.etag = ngx_vod_url_etag(r, url, media);

        if (url->stream == VOD_STREAM_VIDEO
            && ngx_vod_package_rendition_header(r, media->video) != NGX_OK)
        {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        return NGX_OK;
    }

    rc = vod_fmp4_segment_header(&media->venv.env, segment, &header,
                                 &header_len);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    rc = vod_segment_ranges(&media->venv.env, segment, &ranges, &count);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.etag = ngx_vod_url_etag(r, url, media);

    if (url->stream == VOD_STREAM_VIDEO
        && ngx_vod_package_rendition_header(r, media->video) != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->out.type = (url->stream == VOD_STREAM_VIDEO) ? &ngx_vod_type_video
                                                      : &ngx_vod_type_audio;
    ctx->out.cache_control = &vlcf->segment_cache_control;
    ctx->out.mtime = media->of.mtime;

    return ngx_vod_plan_cmaf_copy(r, ctx, header, header_len, ranges,
                                  count);
}


/*
 * How the samples are sent: by sendfile, unless ngx_vod_copy_ranges()
 * says to copy them; then read a buffer at a time as the body is sent
 * (under "aio threads" what the page cache lacks is read ahead in a
 * thread first, _stream.c).
 */

static ngx_int_t
ngx_vod_plan_cmaf_copy(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    u_char *header, size_t header_len, vod_range_t *ranges, uint32_t count)
{
    off_t             length;
    size_t            size;
    uint32_t          i;
    ngx_vod_media_t  *media;

    media = &ctx->media;

    if (ngx_vod_copy_ranges(r, ranges, count, header_len, media->of.size,
                            &size)
        != NGX_OK)
    {
        ctx->out.method = NGX_VOD_SEND_FILE;
        ctx->out.data = header;
        ctx->out.len = header_len;
        ctx->out.media = media;
        ctx->out.ranges = ranges;
        ctx->out.count = count;

        return NGX_OK;
    }

    /* into the stream's buffer, a part at a time (t/006 counts these) */
    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod: \"%V\": %uD sample ranges read into memory, "
                   "%uz bytes", &media->path, count, size);

    length = header_len;

    for (i = 0; i < count; i++) {
        length += ranges[i].size;
    }

    ctx->out.method = NGX_VOD_SEND_STREAM;
    ctx->out.length = length;
    ctx->out.produce = ngx_vod_range_stream_produce;
    ctx->out.min = 1;
    ctx->out.produce_data = ngx_vod_range_stream_create(r, media, header,
                                                        header_len, ranges,
                                                        count);
    if (ctx->out.produce_data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/*
 * ffmpeg interleaves audio between every video frame, so one CMAF
 * segment's samples are about a hundred separate file ranges: a hundred
 * sendfile() calls, and TCP corking that can no longer fill its segments.
 * When the ranges average under vod_sendfile_min_range and lie in order,
 * it is cheaper to read their whole span with one pread() and send one
 * buffer (the audio read along is a few percent more bytes).  Returns
 * NGX_OK with the buffer size (header, then the span) in *size, or
 * NGX_DECLINED for sendfile.
 */

static ngx_int_t
ngx_vod_copy_ranges(ngx_http_request_t *r, vod_range_t *ranges,
    uint32_t count, size_t header_len, off_t file_size, size_t *size)
{
    uint32_t                     i;
    uint64_t                     data, span;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->sendfile_min_range == 0 || count < 2
        || r->method == NGX_HTTP_HEAD)
    {
        return NGX_DECLINED;
    }

    data = ranges[0].size;

    for (i = 1; i < count; i++) {
        if (ranges[i].offset < ranges[i - 1].offset + ranges[i - 1].size) {
            return NGX_DECLINED;        /* out of order: compaction needs it */
        }

        data += ranges[i].size;
    }

    if (ranges[count - 1].offset + ranges[count - 1].size
        > (uint64_t) file_size)
    {
        return NGX_DECLINED;        /* sendfile's check says what is wrong */
    }

    span = ranges[count - 1].offset + ranges[count - 1].size
           - ranges[0].offset;

    /* sparse spans (other tracks in between) and huge ones: sendfile */

    if (data / count >= vlcf->sendfile_min_range
        || span > 2 * data + 256 * 1024 || span > 64 * 1024 * 1024)
    {
        return NGX_DECLINED;
    }

    *size = header_len + (size_t) span;

    return NGX_OK;
}


/*
 * An MPEG-TS segment: its samples read and planned into packets
 * (vod_ts_open()), then written into the stream's buffer as it is sent:
 * ts- muxes the file's video and first audio track (H.264, AAC),
 * videots- the video alone, audiots- one audio track alone (AAC, AC-3,
 * E-AC-3).
 * Under "aio threads" the samples are read in the worker when the page
 * cache has them, else a thread reads and plans them (a wait, after which
 * this step runs again and takes what the thread made).
 */

static ngx_int_t
ngx_vod_plan_ts(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    int                          rc;
    size_t                       len;
    vod_ts_mux_t                *mux;
    vod_ts_saes_t               *saes;
    vod_segment_t               *video, *audio;
    ngx_vod_media_t             *media;
    ngx_vod_package_loc_conf_t  *vlcf;
#if (NGX_THREADS)
    ngx_thread_pool_t           *tp;
#endif

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    media = &ctx->media;
    video = &ctx->video;
    audio = &ctx->audio;

    switch (ctx->url.stream) {

    case VOD_STREAM_VIDEO_TS:
        if (!vod_ts_supported(media->video)) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_memzero(audio, sizeof(vod_segment_t));
        break;

    case VOD_STREAM_AUDIO_TS:
        if (!vod_ts_audio_supported(media->audio)) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_memzero(video, sizeof(vod_segment_t));
        break;

    default: /* VOD_STREAM_TS */

        if ((media->video != NULL && !vod_ts_supported(media->video))
            || (media->audio != NULL && !vod_ts_supported(media->audio)))
        {
            return NGX_HTTP_NOT_FOUND;
        }
    }

    if (ctx->seg_done) {
        rc = ctx->seg_rc;
        mux = ctx->ts;
        len = ctx->seg_len;

    } else {

        /* SAMPLE-AES encrypts as it plans: the key first */
        rc = ngx_vod_protect_ts_key(r, ctx, &saes);
        if (rc != NGX_OK) {
            return rc;
        }

#if (NGX_THREADS)
        /* from the page cache, here; from the disk, in a thread */
        tp = ngx_vod_thread_pool(r);
        media->venv.nowait = (tp != NULL);
#endif

        rc = vod_ts_open_saes(&media->venv.env,
                              (video->track != NULL) ? video : NULL,
                              (audio->track != NULL) ? audio : NULL,
                              saes, &mux, &len);

#if (NGX_THREADS)
        if (media->venv.blocked) {
            return ngx_vod_thread_ts(r, tp, media, video, audio, saes);
        }
#endif

        if (saes != NULL) {
            OPENSSL_cleanse(saes, sizeof(vod_ts_saes_t));
        }
    }

    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    if (ctx->url.stream == VOD_STREAM_AUDIO_TS) {
        /* an audio rendition alone: its language in the PMT, as the
         * multivariant playlist's LANGUAGE says it */
        vod_ts_language(mux, media->audio->lang);
    }

    ctx->out.etag = ngx_vod_url_etag(r, &ctx->url, media);

    if (ngx_vod_package_rendition_header(r, media->video) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ctx->out.type = &ngx_vod_type_ts;
    ctx->out.cache_control = &vlcf->segment_cache_control;
    ctx->out.mtime = media->of.mtime;

    if (vlcf->encryption != 0 && vlcf->encryption_ts == NGX_VOD_TS_AES128) {
        /* HLS AES-128 (_protect.c); SAMPLE-AES is in the mux already */
        rc = ngx_vod_protect_plan_ts(r, ctx, mux, len);
        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    ctx->out.method = NGX_VOD_SEND_STREAM;
    ctx->out.length = len;
    ctx->out.produce = ngx_vod_ts_produce;
    ctx->out.produce_data = mux;
    ctx->out.min = vod_ts_write_min(mux);

    return NGX_OK;
}


/* the samples are in memory: nothing to wait for */

static ssize_t
ngx_vod_ts_produce(void *data, u_char *buf, size_t size,
    ngx_vod_readahead_t *ra)
{
    return (ssize_t) vod_ts_write(data, buf, size);
}
