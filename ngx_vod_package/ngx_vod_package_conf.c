/*
 * ngx_vod_package_conf.c: the packager's directives, their checks, and
 * the creation and merging of its main and location configurations.  The
 * module's definition (ngx_vod_package_module.c) points at the commands
 * array and the conf callbacks here.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"


static char *ngx_vod_package(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_vod_package_index_cache(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_vod_package_cors_origin(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_vod_package_segment_duration(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_vod_package_stream_buffer_size(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_vod_package_content_steering(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_vod_package_thumbnails(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_vod_package_thumbnail_pool(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_vod_package_thumbnail_nice(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_vod_package_merge_thumbnails(ngx_conf_t *cf,
    ngx_vod_package_loc_conf_t *prev, ngx_vod_package_loc_conf_t *conf);
static char *ngx_vod_package_manifests_set(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static char *ngx_vod_package_thumbnail_tiles(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);


static ngx_conf_post_handler_pt  ngx_vod_package_segment_duration_p =
    ngx_vod_package_segment_duration;
static ngx_conf_post_handler_pt  ngx_vod_package_stream_buffer_size_p =
    ngx_vod_package_stream_buffer_size;

/* a number's bounds, with the error that names them (nginx's own
 * ngx_conf_check_num_bounds() does not name the directive) */
typedef struct {
    ngx_conf_post_handler_pt  post_handler;
    ngx_uint_t                low;
    ngx_uint_t                high;
    char                     *error;
} ngx_vod_package_bounds_t;

static char *ngx_vod_package_check_bounds(ngx_conf_t *cf, void *post,
    void *data);

/* a thumbnail's side: 16 to 7680 pixels (8K UHD) */
static ngx_vod_package_bounds_t  ngx_vod_package_thumbnail_side_bounds = {
    ngx_vod_package_check_bounds, 16, 7680,
    "must be between 16 and 7680"
};

/* frames decoded for one thumbnail: 1 (key frames only) to 10 minutes of
 * 60 fps video */
static ngx_vod_package_bounds_t  ngx_vod_package_thumbnail_frames_bounds = {
    ngx_vod_package_check_bounds, 1, 36000,
    "must be between 1 and 36000"
};

/* the mjpeg encoder's quantiser scale: 1 (best) to 31 */
static ngx_vod_package_bounds_t  ngx_vod_package_thumbnail_quality_bounds = {
    ngx_vod_package_check_bounds, 1, 31,
    "must be between 1 and 31"
};

/* a tile sheet's interval: 1 s (a WebVTT track of a long title stays
 * small) to an hour */
static ngx_vod_package_bounds_t  ngx_vod_package_tile_interval_bounds = {
    ngx_vod_package_check_bounds, 1000, 3600000,
    "must be between 1s and 1h"
};

/* a tile's width: 16 to 1920 pixels */
static ngx_vod_package_bounds_t  ngx_vod_package_tile_width_bounds = {
    ngx_vod_package_check_bounds, 16, 1920,
    "must be between 16 and 1920"
};

/* frames decoded for one sheet, its tiles together */
static ngx_vod_package_bounds_t  ngx_vod_package_tile_frames_bounds = {
    ngx_vod_package_check_bounds, 1, 100000,
    "must be between 1 and 100000"
};

/* vod_thumbnail_manifests off | [dash] [hls] */
static ngx_conf_bitmask_t  ngx_vod_package_thumbnail_manifests[] = {
    { ngx_string("off"), NGX_VOD_IMAGES_OFF },
    { ngx_string("dash"), NGX_VOD_IMAGES_DASH },
    { ngx_string("hls"), NGX_VOD_IMAGES_HLS },
    { ngx_null_string, 0 }
};


/* the most columns and rows of a sheet: 100 tiles at most */
#define NGX_VOD_TILES_MAX_SIDE  10

/* the widest sheet: the mjpeg encoder's and a browser's comfort */
#define NGX_VOD_TILES_MAX_WIDTH  7680


ngx_command_t  ngx_vod_package_commands[] = {

    { ngx_string("vod_package"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_vod_package,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_segment_duration"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, segment_duration),
      &ngx_vod_package_segment_duration_p },

    /* the same, under a name Kaltura's nginx-vod-module leaves free: in
     * one nginx with it, its module takes vod_segment_duration */

    { ngx_string("vod_package_segment_duration"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, segment_duration),
      &ngx_vod_package_segment_duration_p },

    { ngx_string("vod_max_moov_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, max_moov_size),
      NULL },

    { ngx_string("vod_sendfile_min_range"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, sendfile_min_range),
      NULL },

    { ngx_string("vod_stream_buffer_size"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, stream_buffer_size),
      &ngx_vod_package_stream_buffer_size_p },

    { ngx_string("vod_playlist_cache_control"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, playlist_cache_control),
      NULL },

    { ngx_string("vod_segment_cache_control"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, segment_cache_control),
      NULL },

    { ngx_string("vod_cors_origin"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_package_cors_origin,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_content_steering"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_vod_package_content_steering,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_thumbnails"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_vod_package_thumbnails,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnails),
      NULL },

    { ngx_string("vod_thumbnail_max_width"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnail_max_width),
      &ngx_vod_package_thumbnail_side_bounds },

    { ngx_string("vod_thumbnail_max_height"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnail_max_height),
      &ngx_vod_package_thumbnail_side_bounds },

    { ngx_string("vod_thumbnail_max_frames"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnail_max_frames),
      &ngx_vod_package_thumbnail_frames_bounds },

    { ngx_string("vod_thumbnail_quality"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnail_quality),
      &ngx_vod_package_thumbnail_quality_bounds },

    { ngx_string("vod_thumbnail_tone_map"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnail_tone_map),
      NULL },

    { ngx_string("vod_thumbnail_thread_pool"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_package_thumbnail_pool,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_thumbnail_thread_nice"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_vod_package_thumbnail_nice,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_thumbnail_tiles"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_package_thumbnail_tiles,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_thumbnail_tile_interval"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, tile_interval),
      &ngx_vod_package_tile_interval_bounds },

    { ngx_string("vod_thumbnail_tile_width"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, tile_width),
      &ngx_vod_package_tile_width_bounds },

    { ngx_string("vod_thumbnail_tile_max_frames"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, tile_max_frames),
      &ngx_vod_package_tile_frames_bounds },

    { ngx_string("vod_thumbnail_manifests"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_vod_package_manifests_set,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, thumbnail_manifests),
      &ngx_vod_package_thumbnail_manifests },

    /* the same words as vod_thumbnail_manifests: which manifests name
     * the I-frame streams (vod_iframe.h) */
    { ngx_string("vod_iframe_playlists"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_vod_package_manifests_set,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, iframe_playlists),
      &ngx_vod_package_thumbnail_manifests },

    { ngx_string("vod_encryption"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_protect_scheme,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, encryption),
      NULL },

    { ngx_string("vod_encryption_ts"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_protect_ts,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, encryption_ts),
      NULL },

    { ngx_string("vod_encryption_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_protect_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_encryption_key_service"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_vod_keys_service,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_encryption_key_cache"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_vod_keys_cache,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("vod_encryption_systems"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_vod_protect_systems,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, encryption_systems),
      NULL },

    { ngx_string("vod_encryption_clearkey"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, encryption_clearkey),
      NULL },

    { ngx_string("vod_encryption_clear_lead"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_vod_package_loc_conf_t, encryption_clear_lead),
      NULL },

    { ngx_string("vod_index_cache"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_vod_package_index_cache,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    /* the one metrics endpoint of every module (vodedge_metrics.h) */
    VODEDGE_METRICS_COMMAND,

      ngx_null_command
};


void *
ngx_vod_package_create_main_conf(ngx_conf_t *cf)
{
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_pcalloc(cf->pool, sizeof(ngx_vod_package_main_conf_t));
    if (vmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     vmcf->index_cache = NULL;
     *     vmcf->metrics = NULL;
     *     vmcf->used = 0;
     */

    vmcf->thumbnail_nice = NGX_CONF_UNSET;

    return vmcf;
}


/*
 * Thumbnails decoded in a pool of their own (vod_thumbnail_thread_pool)
 * are background work next to the segments the event loop serves: by
 * default their threads run at nice 10, so that on a busy machine the
 * worker's own thread is scheduled first (ngx_vod_picture_thread()).
 */

char *
ngx_vod_package_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_vod_package_main_conf_t  *vmcf = conf;

    ngx_conf_init_value(vmcf->thumbnail_nice, 10);

    return NGX_CONF_OK;
}


void *
ngx_vod_package_create_loc_conf(ngx_conf_t *cf)
{
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_pcalloc(cf->pool, sizeof(ngx_vod_package_loc_conf_t));
    if (vlcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     vlcf->playlist_cache_control = { 0, NULL };
     *     vlcf->segment_cache_control = { 0, NULL };
     *     vlcf->cors_origin = { 0, NULL };
     *     vlcf->encryption_secret = { 0, NULL };
     *     vlcf->encryption_systems = 0;
     *     vlcf->key_service = { 0, NULL };
     */

    vlcf->enable = NGX_CONF_UNSET;
    vlcf->segment_duration = NGX_CONF_UNSET_MSEC;
    vlcf->max_moov_size = NGX_CONF_UNSET_SIZE;
    vlcf->sendfile_min_range = NGX_CONF_UNSET_SIZE;
    vlcf->stream_buffer_size = NGX_CONF_UNSET_SIZE;
    vlcf->cors_origin.len = NGX_CONF_UNSET_SIZE;
    vlcf->steering_uri = NGX_CONF_UNSET_PTR;
    vlcf->thumbnails = NGX_CONF_UNSET;
    vlcf->thumbnail_max_width = NGX_CONF_UNSET_UINT;
    vlcf->thumbnail_max_height = NGX_CONF_UNSET_UINT;
    vlcf->thumbnail_max_frames = NGX_CONF_UNSET_UINT;
    vlcf->thumbnail_quality = NGX_CONF_UNSET_UINT;
    vlcf->thumbnail_tone_map = NGX_CONF_UNSET;
    vlcf->thumbnail_pool = NGX_CONF_UNSET_PTR;
    vlcf->tile_cols = NGX_CONF_UNSET_UINT;
    vlcf->tile_rows = NGX_CONF_UNSET_UINT;
    vlcf->tile_interval = NGX_CONF_UNSET_MSEC;
    vlcf->tile_width = NGX_CONF_UNSET_UINT;
    vlcf->tile_max_frames = NGX_CONF_UNSET_UINT;
    vlcf->thumbnail_manifests = 0;
    vlcf->iframe_playlists = 0;
    vlcf->encryption = NGX_CONF_UNSET_UINT;
    vlcf->encryption_clearkey = NGX_CONF_UNSET;
    vlcf->encryption_ts = NGX_CONF_UNSET_UINT;
    vlcf->encryption_clear_lead = NGX_CONF_UNSET_MSEC;
    vlcf->key_cache = NGX_CONF_UNSET_PTR;
    vlcf->key_cache_ttl = NGX_CONF_UNSET;

    return vlcf;
}


char *
ngx_vod_package_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_vod_package_loc_conf_t *prev = parent;
    ngx_vod_package_loc_conf_t *conf = child;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_msec_value(conf->segment_duration,
                              prev->segment_duration, 4000);
    ngx_conf_merge_size_value(conf->max_moov_size, prev->max_moov_size,
                              64 * 1024 * 1024);
    ngx_conf_merge_size_value(conf->sendfile_min_range,
                              prev->sendfile_min_range, 128 * 1024);
    ngx_conf_merge_size_value(conf->stream_buffer_size,
                              prev->stream_buffer_size, 512 * 1024);
    ngx_conf_merge_str_value(conf->playlist_cache_control,
                             prev->playlist_cache_control,
                             "public, max-age=60");
    ngx_conf_merge_str_value(conf->segment_cache_control,
                             prev->segment_cache_control,
                             "public, max-age=31536000, immutable");

    if (conf->cors_origin.len == NGX_CONF_UNSET_SIZE) {
        conf->cors_origin = (prev->cors_origin.len == NGX_CONF_UNSET_SIZE)
                            ? (ngx_str_t) ngx_null_string : prev->cors_origin;
    }

    ngx_conf_merge_ptr_value(conf->steering_uri, prev->steering_uri, NULL);

    if (conf->steering_pathway.data == NULL) {
        conf->steering_pathway = prev->steering_pathway;
    }

    if (ngx_vod_protect_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_vod_package_merge_thumbnails(cf, prev, conf);
}


/*
 * A location that packages with thumbnails on must give their decodes to
 * a thread pool (vod_thumbnail_thread_pool, or else "aio threads"):
 * checked here, where the core module's configuration of the location is
 * merged already.  A pool named by a variable that names none is refused
 * per request (_thumb.c).
 */

static char *
ngx_vod_package_merge_thumbnails(ngx_conf_t *cf,
    ngx_vod_package_loc_conf_t *prev, ngx_vod_package_loc_conf_t *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    ngx_conf_merge_value(conf->thumbnails, prev->thumbnails, 0);
    ngx_conf_merge_uint_value(conf->thumbnail_max_width,
                              prev->thumbnail_max_width, 1920);
    ngx_conf_merge_uint_value(conf->thumbnail_max_height,
                              prev->thumbnail_max_height, 1920);
    ngx_conf_merge_uint_value(conf->thumbnail_max_frames,
                              prev->thumbnail_max_frames, 300);
    ngx_conf_merge_uint_value(conf->thumbnail_quality,
                              prev->thumbnail_quality, 2);
    ngx_conf_merge_value(conf->thumbnail_tone_map, prev->thumbnail_tone_map,
                         0);
    ngx_conf_merge_ptr_value(conf->thumbnail_pool, prev->thumbnail_pool,
                             NULL);

    if (conf->tile_cols == NGX_CONF_UNSET_UINT) {
        conf->tile_cols = (prev->tile_cols == NGX_CONF_UNSET_UINT)
                          ? 5 : prev->tile_cols;
        conf->tile_rows = (prev->tile_rows == NGX_CONF_UNSET_UINT)
                          ? 5 : prev->tile_rows;
    }

    ngx_conf_merge_msec_value(conf->tile_interval, prev->tile_interval,
                              10000);
    ngx_conf_merge_uint_value(conf->tile_width, prev->tile_width, 240);
    ngx_conf_merge_uint_value(conf->tile_max_frames, prev->tile_max_frames,
                              1500);

    /* the MPD names the sheets by default, the HLS playlists only when
     * asked: a player that does not know image playlists may trip on
     * one */
    ngx_conf_merge_bitmask_value(conf->thumbnail_manifests,
                                 prev->thumbnail_manifests,
                                 (NGX_CONF_BITMASK_SET
                                  |NGX_VOD_IMAGES_DASH));

    /* off unless asked: every multivariant playlist made then reads each
     * rendition's key frames, and each key frame is a URL more for the
     * caches in front */
    ngx_conf_merge_bitmask_value(conf->iframe_playlists,
                                 prev->iframe_playlists,
                                 (NGX_CONF_BITMASK_SET|NGX_VOD_IMAGES_OFF));

    /* the sheet's height depends on the video's aspect: checked per
     * request against vod_thumbnail_max_height per tile */

    if (conf->tile_cols * conf->tile_width > NGX_VOD_TILES_MAX_WIDTH) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_thumbnail_tiles %uix%ui\" of "
                           "\"vod_thumbnail_tile_width %ui\" make sheets "
                           "%ui pixels wide, over %d", conf->tile_cols,
                           conf->tile_rows, conf->tile_width,
                           conf->tile_cols * conf->tile_width,
                           NGX_VOD_TILES_MAX_WIDTH);
        return NGX_CONF_ERROR;
    }

    if (conf->tile_width > conf->thumbnail_max_width) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_thumbnail_tile_width %ui\" is over "
                           "\"vod_thumbnail_max_width %ui\"",
                           conf->tile_width, conf->thumbnail_max_width);
        return NGX_CONF_ERROR;
    }

    if (!conf->enable || !conf->thumbnails || conf->thumbnail_pool != NULL) {
        return NGX_CONF_OK;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

#if (NGX_THREADS)
    if (clcf->aio == NGX_HTTP_AIO_THREADS) {
        return NGX_CONF_OK;
    }
#endif

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"vod_thumbnails on\" in location \"%V\" needs "
                       "\"aio threads\" there or "
                       "\"vod_thumbnail_thread_pool\": thumbnails are "
                       "decoded in a thread pool", &clcf->name);

    return NGX_CONF_ERROR;
}


static char *
ngx_vod_package_check_bounds(ngx_conf_t *cf, void *post, void *data)
{
    ngx_vod_package_bounds_t  *b = post;
    ngx_uint_t                *np = data;

    if (*np < b->low || *np > b->high) {
        return b->error;
    }

    return NGX_CONF_OK;
}


/*
 * vod_thumbnail_thread_nice 0..19 | idle: a nice value an unprivileged
 * worker may take (only ever raised), or "idle", Linux's SCHED_IDLE
 * policy (NGX_VOD_THUMB_NICE_IDLE)
 */

static char *
ngx_vod_package_thumbnail_nice(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_vod_package_main_conf_t *vmcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (vmcf->thumbnail_nice != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "idle") == 0) {
        vmcf->thumbnail_nice = NGX_VOD_THUMB_NICE_IDLE;
        return NGX_CONF_OK;
    }

    n = ngx_atoi(value[1].data, value[1].len);

    if (n == NGX_ERROR || n > 19) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" wants a nice value from 0 to 19 or "
                           "\"idle\", not \"%V\"", &cmd->name, &value[1]);
        return NGX_CONF_ERROR;
    }

    vmcf->thumbnail_nice = n;

    return NGX_CONF_OK;
}


/* vod_thumbnail_thread_pool name: a "thread_pool" of the main context
 * ("default" needs none); nginx -t names one that is not declared */

static char *
ngx_vod_package_thumbnail_pool(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_str_t  *value;

    if (vlcf->thumbnail_pool != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

#if (NGX_THREADS)
    vlcf->thumbnail_pool = ngx_thread_pool_add(cf, &value[1]);
    if (vlcf->thumbnail_pool == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
#else
    return "needs nginx built with threads";
#endif
}


/* vod_thumbnail_tiles COLSxROWS: 1 to NGX_VOD_TILES_MAX_SIDE each */

static char *
ngx_vod_package_thumbnail_tiles(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    u_char     *x;
    ngx_int_t   cols, rows;
    ngx_str_t  *value;

    if (vlcf->tile_cols != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    x = ngx_strlchr(value[1].data, value[1].data + value[1].len, 'x');

    if (x == NULL) {
        goto invalid;
    }

    cols = ngx_atoi(value[1].data, x - value[1].data);
    rows = ngx_atoi(x + 1, value[1].data + value[1].len - x - 1);

    if (cols < 1 || cols > NGX_VOD_TILES_MAX_SIDE
        || rows < 1 || rows > NGX_VOD_TILES_MAX_SIDE)
    {
        goto invalid;
    }

    vlcf->tile_cols = (ngx_uint_t) cols;
    vlcf->tile_rows = (ngx_uint_t) rows;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"vod_thumbnail_tiles\" wants COLSxROWS, each 1 "
                       "to %d, not \"%V\"", NGX_VOD_TILES_MAX_SIDE,
                       &value[1]);

    return NGX_CONF_ERROR;
}


/* vod_thumbnail_manifests, vod_iframe_playlists off | [dash] [hls]: once,
 * "off" alone */

static char *
ngx_vod_package_manifests_set(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char        *rv;
    ngx_uint_t  *np;

    np = (ngx_uint_t *) ((char *) conf + cmd->offset);

    if (*np != 0) {
        return "is duplicate";
    }

    rv = ngx_conf_set_bitmask_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    if ((*np & NGX_VOD_IMAGES_OFF)
        && (*np & (NGX_VOD_IMAGES_DASH|NGX_VOD_IMAGES_HLS)))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0, "\"%V off\" goes alone",
                           &cmd->name);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* vod_thumbnails on | off: "on" only in a build with FFmpeg */

static char *
ngx_vod_package_thumbnails(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *rv;

    rv = ngx_conf_set_flag_slot(cf, cmd, conf);

#if !(NGX_VOD_THUMBNAILS)
    if (rv == NGX_CONF_OK
        && ((ngx_vod_package_loc_conf_t *) conf)->thumbnails)
    {
        return "is \"on\" in a build without FFmpeg's development files "
               "(libavcodec, libavutil, libswscale): thumbnails are "
               "compiled out";
    }
#endif

    return rv;
}


/* vod_content_steering off | URI [pathway=ID] */

static char *
ngx_vod_package_content_steering(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    u_char                            *p;
    ngx_str_t                         *value;
    ngx_uint_t                         i;
    ngx_http_compile_complex_value_t   ccv;

    if (vlcf->steering_uri != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        vlcf->steering_uri = NULL;
        return NGX_CONF_OK;
    }

    ngx_str_set(&vlcf->steering_pathway, "origin");

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "pathway=", 8) != 0
            || value[2].len == 8 || value[2].len > 8 + 64)
        {
            return "has an invalid parameter: expected pathway=ID";
        }

        for (p = value[2].data + 8; p < value[2].data + value[2].len; p++) {
            if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')
                  || (*p >= '0' && *p <= '9')
                  || *p == '.' || *p == '-' || *p == '_'))
            {
                return "has an invalid Pathway ID: expected 1 to 64 of "
                       "[A-Za-z0-9._-]";
            }
        }

        vlcf->steering_pathway.data = value[2].data + 8;
        vlcf->steering_pathway.len = value[2].len - 8;
    }

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] == '"' || value[1].data[i] < ' ') {
            return "has an invalid URI: no quotes or control characters";
        }
    }

    vlcf->steering_uri = ngx_palloc(cf->pool,
                                    sizeof(ngx_http_complex_value_t));
    if (vlcf->steering_uri == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));

    ccv.cf = cf;
    ccv.value = &value[1];
    ccv.complex_value = vlcf->steering_uri;

    if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_vod_package(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_http_core_loc_conf_t     *clcf;
    ngx_vod_package_main_conf_t  *vmcf;

    if (vlcf->enable != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    vlcf->enable = 1;

    vmcf = ngx_http_conf_get_module_main_conf(cf, ngx_vod_package_module);
    vmcf->used = 1;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_vod_package_handler;

    return NGX_CONF_OK;
}


static char *
ngx_vod_package_cors_origin(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_str_t  *value;

    if (vlcf->cors_origin.len != NGX_CONF_UNSET_SIZE) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        ngx_str_null(&vlcf->cors_origin);
        return NGX_CONF_OK;
    }

    vlcf->cors_origin = value[1];

    return NGX_CONF_OK;
}


/* vod_index_cache name:size | off */

static char *
ngx_vod_package_index_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_main_conf_t *vmcf = conf;

    u_char     *p;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (vmcf->index_cache != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        return NGX_CONF_OK;
    }

    p = (u_char *) ngx_strchr(value[1].data, ':');

    if (p == NULL || p == value[1].data) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid vod_index_cache \"%V\", expected "
                           "\"name:size\" or \"off\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    name.data = value[1].data;
    name.len = p - name.data;

    s.data = p + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid vod_index_cache size \"%V\"", &s);
        return NGX_CONF_ERROR;
    }

    if (size < (ssize_t) (8 * ngx_pagesize)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "vod_index_cache \"%V\" is too small, "
                           "at least %uz bytes are needed",
                           &value[1], 8 * ngx_pagesize);
        return NGX_CONF_ERROR;
    }

    vmcf->index_cache = ngx_vod_cache_add(cf, &name, size);
    if (vmcf->index_cache == NULL) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_vod_package_segment_duration(ngx_conf_t *cf, void *post, void *data)
{
    ngx_msec_t  *ms = data;

    if (*ms < 1000 || *ms > 60000) {
        return "must be between 1s and 60s";
    }

    return NGX_CONF_OK;
}


static char *
ngx_vod_package_stream_buffer_size(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *size = data;

    if (*size < 1024 || *size > 64 * 1024 * 1024) {
        return "must be between 1k and 64m";
    }

    return NGX_CONF_OK;
}
