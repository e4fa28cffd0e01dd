/*
 * ngx_vod_package_module.h: what the glue's files share.  The glue maps
 * requests onto the nginx-free core in core/ and owns everything nginx:
 * configuration, files, shared memory and output.
 */

#ifndef _NGX_VOD_PACKAGE_MODULE_H_INCLUDED_
#define _NGX_VOD_PACKAGE_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_frag.h"
#include "vod_title.h"
#include "vod_url.h"
#include "vod_subs.h"
#include "vod_mp4text.h"
#include "vod_protect.h"
#include "vod_keys.h"
#include "vod_iframe.h"
#include "vod_ts_saes.h"
#include "vodedge_metrics.h"


/* heap faulted in at a worker's start: a two-hour title's moov is 5 MB */
#define NGX_VOD_PREFAULT_HEAP   (8 * 1024 * 1024)
/* a transparent huge page: a moov this large or larger is aligned to it */
#define NGX_VOD_HUGE_PAGE       ((uintptr_t) 2 * 1024 * 1024)

/* vod_thumbnail_manifests: which manifests name the tile sheets */
#define NGX_VOD_IMAGES_OFF      0x0002
#define NGX_VOD_IMAGES_DASH     0x0004
#define NGX_VOD_IMAGES_HLS      0x0008


typedef struct {
    ngx_shm_zone_t     *index_cache;      /* NULL: parse on every request */
    vodedge_metrics_t  *metrics;          /* NULL: no vodedge_metrics */
    ngx_uint_t          used;             /* a vod_package location */
    ngx_int_t           thumbnail_nice;   /* vod_thumbnail_thread_nice */
} ngx_vod_package_main_conf_t;


/* vod_thumbnail_thread_nice idle: SCHED_IDLE, past any nice value */
#define NGX_VOD_THUMB_NICE_IDLE  20


/* the packager's metric families (ngx_vod_package_metrics.c) and their
 * labels' value indexes */
enum {
    NGX_VOD_M_REQUESTS = 0,           /* kind x status class */
    NGX_VOD_M_SENT,                   /* kind */
    NGX_VOD_M_CACHE_HITS,
    NGX_VOD_M_CACHE_MISSES,
    NGX_VOD_M_CACHE_EVICTIONS,
    NGX_VOD_M_THREAD_TASKS            /* task x result */
};

#define NGX_VOD_M_TASK_INDEX     0
#define NGX_VOD_M_TASK_TS        1
#define NGX_VOD_M_TASK_READ      2
#define NGX_VOD_M_TASK_POSTED    0
#define NGX_VOD_M_TASK_REFUSED   1
#define NGX_VOD_M_TASK_RESULTS   2


typedef struct {
    ngx_flag_t          enable;
    ngx_msec_t          segment_duration;
    size_t              max_moov_size;
    size_t              sendfile_min_range;   /* 0: always sendfile */
    size_t              stream_buffer_size;
    ngx_str_t           playlist_cache_control;
    ngx_str_t           segment_cache_control;
    ngx_str_t           cors_origin;      /* empty: no CORS headers */
    ngx_http_complex_value_t  *steering_uri;   /* NULL: no steering */
    ngx_str_t           steering_pathway;
    ngx_flag_t          thumbnails;       /* thumb-*.jpg (_thumb.c) */
    ngx_uint_t          thumbnail_max_width;
    ngx_uint_t          thumbnail_max_height;
    ngx_uint_t          thumbnail_max_frames;
    ngx_uint_t          thumbnail_quality;
    ngx_flag_t          thumbnail_tone_map;  /* HDR made SDR (vod_tone.h) */
    void               *thumbnail_pool;   /* ngx_thread_pool_t; NULL: the
                                             location's "aio threads" */
    ngx_uint_t          tile_cols;        /* tiles-*.jpg (_tiles.c) */
    ngx_uint_t          tile_rows;
    ngx_msec_t          tile_interval;
    ngx_uint_t          tile_width;
    ngx_uint_t          tile_max_frames;
    ngx_uint_t          thumbnail_manifests;  /* NGX_VOD_IMAGES_* */
    ngx_uint_t          iframe_playlists;     /* NGX_VOD_IMAGES_* too */
    ngx_uint_t          encryption;       /* VOD_CENC_SCHEME_*, 0: clear */
    ngx_str_t           encryption_secret;    /* the key file's bytes */
    ngx_uint_t          encryption_systems;   /* VOD_PROTECT_* */
    ngx_flag_t          encryption_clearkey;  /* serve clearkey licences */
    ngx_uint_t          encryption_ts;    /* NGX_VOD_TS_*: MPEG-TS method */
    u_char              encryption_tag[8];    /* the key file in ETags */
    ngx_msec_t          encryption_clear_lead;    /* 0: none */
    ngx_str_t           key_service;      /* its location's URI; empty:
                                             keys from the key file */
    ngx_shm_zone_t     *key_cache;        /* NULL: every request asks */
    time_t              key_cache_ttl;
} ngx_vod_package_loc_conf_t;


/* the head of a packager's shared memory zone: entries in an rbtree and
 * an LRU queue (ngx_vod_package_shm.c) */
typedef struct {
    ngx_rbtree_t          rbtree;
    ngx_rbtree_node_t     sentinel;
    ngx_queue_t           lru;
} ngx_vod_shm_sh_t;


typedef struct {
    ngx_vod_shm_sh_t     *sh;
    ngx_slab_pool_t      *shpool;
} ngx_vod_shm_t;


/* a request's keys from the key service (_keys.c) */
typedef struct ngx_vod_keys_req_s  ngx_vod_keys_req_t;

struct ngx_vod_keys_req_s {
    vod_keys_t          keys;
    ngx_str_t           title;
    ngx_str_t           args;             /* title=<escaped title> */
    ngx_str_t           cache_key;        /* <service URI>?<args> */
    ngx_int_t           rc;               /* NGX_AGAIN while asked, NGX_OK
                                             with keys, NGX_DECLINED to ask
                                             again, or a status */
    ngx_http_request_t *request;          /* the main request */
    ngx_vod_keys_req_t *owner;            /* a waiter: whose fetch */
    ngx_queue_t         fetch;            /* an owner: in the worker's
                                             fetches in flight */
    ngx_queue_t         waiters;          /* an owner: who waits on it */
    ngx_queue_t         wait;             /* a waiter: in its waiters */
    ngx_uint_t          orphaned;         /* times its owner went away */
};


/* what ngx_vod_protect_keys() gives */
#define NGX_VOD_KEYS_KID    0             /* the KID alone: manifests */
#define NGX_VOD_KEYS_ALL    1             /* the keys there are */
#define NGX_VOD_TS_AES128       1     /* the whole segment, AES-128 */
#define NGX_VOD_TS_SAMPLE_AES   2     /* H.264 slices and AAC frames */

#define NGX_VOD_KEYS_HLS    2             /* and the HLS AES-128 key, which
                                             a key service may not give */


/* a vod_env_t bound to one request and one source file */
typedef struct {
    vod_env_t             env;
    ngx_http_request_t   *request;
    ngx_str_t            *path;
    ngx_fd_t              fd;
    /* nowait: a read that would wait for the disk fails, logging nothing,
     * and sets blocked; the caller then gives the work to a thread */
    unsigned              nowait:1;
    unsigned              blocked:1;
    /* quiet: the glue has logged why the core's call fails; the core's
     * own line would be a second one */
    unsigned              quiet:1;
} ngx_vod_env_t;


/* identity of a source file: a changed file misses the cache */
typedef struct {
    ngx_file_uniq_t       uniq;
    off_t                 size;
    time_t                mtime;
} ngx_vod_file_id_t;


/* one opened rendition file with the views a request asked for */
typedef struct {
    ngx_str_t             path;           /* null-terminated */
    ngx_str_t             id;
    ngx_open_file_info_t  of;
    ngx_vod_env_t         venv;
    vod_track_info_t     *video;
    vod_track_info_t     *audio;
    int                   video_track;    /* index track numbers, or -1 */
    int                   audio_track;
    /* the audio track asked for: its tkhd track_ID, 0 for the first */
    uint32_t              audio_id;
    /* manifests: every audio track's view, audios[0] == audio */
    vod_track_info_t    **audios;
    uint32_t              audio_count;
    /* manifests: every text track's view */
    vod_track_info_t    **texts;
    uint32_t              text_count;
    /* NGX_VOD_WANT_TEXT: the text track asked for (tkhd track_ID), its
     * view and every sample of it, with its times */
    uint32_t              text_id;
    vod_track_info_t     *text;
    vod_sample_t         *text_samples;
    vod_mp4text_sample_t *text_times;
    uint32_t              text_count_samples;
    unsigned              all_audio:1;    /* fill audios and texts */
    unsigned              iframes:1;      /* the video's key frames too */
    unsigned              left_out:1;     /* manifests: unusable file */
    /* title.json excludes the file's first audio track (audio-{id}) */
    unsigned              first_excluded:1;
} ngx_vod_media_t;


/* a title's rendition files, opened for a manifest */
typedef struct {
    vod_title_spec_t     *spec;
    ngx_vod_media_t      *media;          /* spec->count of them */
    ngx_vod_media_t      *subs;           /* spec->subtitle_count sidecars,
                                             or NULL */
    time_t                json_mtime;     /* 0: no title.json */
    ngx_int_t             left_out;       /* the status of the first file
                                             left out, or NGX_OK */
} ngx_vod_title_files_t;


/* an index parsed by a thread task during this request */
typedef struct {
    ngx_str_t             path;
    u_char               *index;
    size_t                len;
    int                   rc;
    unsigned              cached:1;
} ngx_vod_built_t;


typedef struct ngx_vod_stream_s  ngx_vod_stream_t;

/* a span of a file a streamed body waits for (not in the page cache) */
typedef struct {
    ngx_fd_t              fd;
    off_t                 offset;
    size_t                len;
} ngx_vod_readahead_t;

/*
 * Fills buf with up to size bytes of a streamed body.  Returns how many,
 * 0 when it failed (having logged why), or, only when ra is not NULL,
 * NGX_AGAIN when the bytes it needs are not in the page cache: it then has
 * consumed nothing and names in *ra the file span to read ahead.  With ra
 * NULL its reads may block.
 */
typedef ssize_t (*ngx_vod_produce_pt)(void *data, u_char *buf, size_t size,
    ngx_vod_readahead_t *ra);


/*
 * The steps of a request, run in this order by ngx_vod_package_run().  A
 * step that waits (a thread task) returns NGX_DONE; when the wait ends the
 * same step runs again and finds what the task left in the context.
 */
typedef enum {
    NGX_VOD_STEP_RESOLVE = 0,   /* the URL to a title and its files, open */
    NGX_VOD_STEP_LOAD,          /* the files' sample indexes */
    NGX_VOD_STEP_PLAN,          /* the body and how it is sent */
    NGX_VOD_STEP_SEND
} ngx_vod_step_e;


/* how a body is sent */
typedef enum {
    NGX_VOD_SEND_MEMORY = 0,    /* one buffer in memory (data, len) */
    NGX_VOD_SEND_FILE,          /* a header in memory (data, len), then
                                   file ranges of media, by sendfile */
    NGX_VOD_SEND_STREAM         /* length bytes made by produce() while
                                   they are sent, ngx_vod_send_stream() */
} ngx_vod_send_e;


/* what the plan step decided: the response */
typedef struct {
    ngx_vod_send_e        method;
    ngx_str_t            *type;
    ngx_str_t            *cache_control;
    uint64_t              etag;
    time_t                mtime;

    u_char               *data;
    size_t                len;

    /* NGX_VOD_SEND_FILE */
    ngx_vod_media_t      *media;
    vod_range_t          *ranges;
    uint32_t              count;

    /* NGX_VOD_SEND_STREAM: at least min bytes of buffer per call */
    off_t                 length;
    ngx_vod_produce_pt    produce;
    void                 *produce_data;
    size_t                min;
} ngx_vod_output_t;


/* a request's state: the step it is at and what the steps made */
typedef struct {
    ngx_vod_step_e        step;
    vod_url_t             url;
    ngx_str_t             dir;            /* the title, null-terminated */

    /* resolve: the manifests' renditions, or the one file of the others */
    ngx_vod_title_files_t files;
    ngx_vod_media_t       media;
    /* sub-, subts-: the sidecar (media then is the grid's rendition) */
    ngx_vod_media_t       sub;
    vod_subtitle_spec_t  *sub_spec;
    uint64_t              etag;           /* manifests: of their files */
    time_t                mtime;
    uint32_t              max_height;     /* manifests: the tier's ceiling */
    uint64_t              max_bitrate;
    uint64_t              manifest_key;   /* in the per-worker cache */

    /* load: renditions whose index is loaded, and the segment's views */
    uint32_t              loaded;
    vod_segment_t         video;
    vod_segment_t         audio;

    /* plan */
    ngx_vod_output_t      out;
    unsigned              made:1;         /* manifest: the per-worker cache
                                             had it */

    /* what thread tasks left: indexes, and a TS segment a thread read and
     * planned or a protected segment it read and encrypted */
    ngx_array_t           built;          /* ngx_vod_built_t */
    size_t                seg_len;
    int                   seg_rc;
    unsigned              seg_done:1;
    void                 *ts;
    u_char               *seg_data;

    /* a thumbnail's state (_thumb.c) */
    void                 *thumb;

    /* send: the body being sent, ngx_vod_send_stream() */
    ngx_vod_stream_t     *stream;

    /* the title's keys from the key service, before any step (_keys.c) */
    ngx_vod_keys_req_t   *keys;
} ngx_vod_ctx_t;


/* which segment views ngx_vod_media_load() extracts */
#define NGX_VOD_WANT_INFO    0
#define NGX_VOD_WANT_VIDEO   1
#define NGX_VOD_WANT_AUDIO   2
#define NGX_VOD_WANT_TEXT    4    /* media->text_id's samples, alone */


extern ngx_module_t  ngx_vod_package_module;
extern ngx_command_t  ngx_vod_package_commands[];


ngx_int_t ngx_vod_package_metrics_init(ngx_conf_t *cf);
void *ngx_vod_package_create_main_conf(ngx_conf_t *cf);
char *ngx_vod_package_init_main_conf(ngx_conf_t *cf, void *conf);
void *ngx_vod_package_create_loc_conf(ngx_conf_t *cf);
char *ngx_vod_package_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);


ngx_int_t ngx_vod_package_handler(ngx_http_request_t *r);
ngx_vod_ctx_t *ngx_vod_ctx(ngx_http_request_t *r);

/* the steps: NGX_OK to go on, NGX_DONE while a thread works, or a status */
ngx_int_t ngx_vod_package_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_package_load(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_package_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_manifest_resolve(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_manifest_load(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_manifest_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);

void ngx_vod_ctx_add_index(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    ngx_str_t *path, int rc, u_char *index, size_t len);

void ngx_vod_env_init(ngx_vod_env_t *venv, ngx_http_request_t *r,
    ngx_str_t *path, ngx_fd_t fd);
ngx_int_t ngx_vod_status(ngx_int_t rc);

ngx_int_t ngx_vod_shm_init(ngx_shm_zone_t *shm_zone, ngx_vod_shm_t *shm,
    ngx_vod_shm_t *old, ngx_rbtree_insert_pt insert, const char *directive);
ngx_shm_zone_t *ngx_vod_cache_add(ngx_conf_t *cf, ngx_str_t *name,
    size_t size);
void ngx_vod_cache_init_worker(ngx_shm_zone_t *zone, ngx_log_t *log);
void ngx_vod_cache_metrics(ngx_shm_zone_t *zone, vodedge_metrics_t *m);
u_char *ngx_vod_cache_lock(ngx_shm_zone_t *zone, ngx_str_t *path,
    uint32_t segment_ms, ngx_vod_file_id_t *id, size_t *len);
void ngx_vod_cache_unlock(ngx_shm_zone_t *zone);
u_char *ngx_vod_cache_reserve(ngx_shm_zone_t *zone, ngx_str_t *path,
    uint32_t segment_ms, ngx_vod_file_id_t *id, size_t len, ngx_log_t *log,
    void **node);
void ngx_vod_cache_commit(ngx_shm_zone_t *zone, void *node);
void ngx_vod_cache_cancel(ngx_shm_zone_t *zone, void *node);
ngx_int_t ngx_vod_cache_insert(ngx_shm_zone_t *zone, ngx_str_t *path,
    uint32_t segment_ms, ngx_vod_file_id_t *id, u_char *index, size_t len,
    ngx_log_t *log);
ngx_int_t ngx_vod_cache_refuse(ngx_shm_zone_t *zone, ngx_str_t *path,
    size_t len, ngx_log_t *log);

ngx_int_t ngx_vod_media_open(ngx_http_request_t *r, ngx_str_t *dir,
    vod_rendition_spec_t *spec, ngx_vod_media_t *media);
ngx_int_t ngx_vod_media_load(ngx_http_request_t *r, ngx_vod_media_t *media,
    ngx_uint_t want, uint32_t segment, vod_segment_t *video,
    vod_segment_t *audio);

ngx_int_t ngx_vod_title_spec(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, time_t *mtime);
ngx_int_t ngx_vod_title_find(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, ngx_str_t *id, vod_rendition_spec_t **found);

/* sidecar subtitles (_subs.c) */
ngx_int_t ngx_vod_subs_open(ngx_http_request_t *r, ngx_str_t *dir,
    ngx_vod_title_files_t *files, uint64_t *etag, time_t *mtime);
ngx_int_t ngx_vod_subs_collect(ngx_http_request_t *r,
    ngx_vod_title_files_t *files, vod_subs_t *subs);
ngx_int_t ngx_vod_subs_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_subs_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
/* text tracks as subtitles (_text.c) */
ngx_int_t ngx_vod_text_collect(ngx_http_request_t *r,
    ngx_vod_title_files_t *files, vod_title_t *title, vod_subs_t *subs);
ngx_int_t ngx_vod_text_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_spec_t *spec);
ngx_int_t ngx_vod_text_cues(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t from, uint64_t to, uint64_t mpegts, u_char **out, size_t *len);

/* Common Encryption (_protect.c) and ClearKey licences (_license.c) */
char *ngx_vod_protect_scheme(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_vod_protect_systems(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_vod_protect_ts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_vod_protect_ts_key(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_ts_saes_t **saes);
char *ngx_vod_protect_key_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_vod_protect_merge(ngx_conf_t *cf, ngx_vod_package_loc_conf_t *prev,
    ngx_vod_package_loc_conf_t *conf);
void ngx_vod_protect_title(ngx_str_t *dir, ngx_str_t *title);
ngx_int_t ngx_vod_protect_keys(ngx_http_request_t *r, ngx_str_t *dir,
    vod_protect_t *prot, ngx_uint_t keys);
ngx_int_t ngx_vod_protect_title_keys(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_t *title);
uint64_t ngx_vod_protect_etag(ngx_http_request_t *r, uint64_t hash);
ngx_int_t ngx_vod_protect_plan_init(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx, vod_track_info_t *track);
ngx_int_t ngx_vod_protect_plan_segment(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx, vod_segment_t *segment);
ngx_int_t ngx_vod_protect_plan_ts(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    void *mux, size_t len);
ngx_int_t ngx_vod_license_handler(ngx_http_request_t *r);

/* keys from a key service, cached in shared memory (_keys.c) */
char *ngx_vod_keys_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
char *ngx_vod_keys_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_vod_keys_wait(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);

/* response headers and ETags (_header.c) */
uint64_t ngx_vod_etag_add(uint64_t hash, const void *data, size_t len);
uint64_t ngx_vod_media_etag(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t hash);
uint64_t ngx_vod_url_etag(ngx_http_request_t *r, vod_url_t *url,
    ngx_vod_media_t *media);
ngx_int_t ngx_vod_send_header(ngx_http_request_t *r, ngx_vod_output_t *out,
    off_t length);
ngx_int_t ngx_vod_add_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value, ngx_table_elt_t **elt);

/* the send step's methods: _output.c and _stream.c */
ngx_int_t ngx_vod_send_memory(ngx_http_request_t *r, ngx_vod_output_t *out);
ngx_int_t ngx_vod_send_file_ranges(ngx_http_request_t *r,
    ngx_vod_output_t *out);
ngx_int_t ngx_vod_send_stream(ngx_http_request_t *r, ngx_vod_output_t *out);

/* reading a rendition's bytes (_read.c): a CMAF segment's header and
 * sample ranges as a streamed body */
void *ngx_vod_range_stream_create(ngx_http_request_t *r,
    ngx_vod_media_t *media, u_char *header, size_t header_len,
    vod_range_t *ranges, uint32_t count);
ssize_t ngx_vod_range_stream_produce(void *data, u_char *buf, size_t size,
    ngx_vod_readahead_t *ra);
ssize_t ngx_vod_pread(ngx_fd_t fd, u_char *buf, size_t size, off_t offset,
    ngx_uint_t nowait);
#if (NGX_THREADS)
ngx_thread_pool_t *ngx_vod_thread_pool(ngx_http_request_t *r);
ngx_int_t ngx_vod_thread_start(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_thread_task_t *task);
void ngx_vod_thread_ended(ngx_http_request_t *r);
ngx_int_t ngx_vod_thread_build_index(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_vod_media_t *media, uint32_t segment_ms,
    size_t max_moov_size);
ngx_int_t ngx_vod_thread_ts(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_vod_media_t *media, vod_segment_t *video, vod_segment_t *audio,
    vod_ts_saes_t *saes);
ngx_int_t ngx_vod_thread_protect(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_vod_media_t *media, vod_segment_t *segment,
    vod_protect_t *prot, uint64_t stream);
ngx_int_t ngx_vod_thread_readahead(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_vod_readahead_t *ra, u_char *buf,
    size_t size);
#endif

/* generated manifests per worker, by key (title, location, kind, tier
 * ceiling) and directory, with the ETag they were made with */
u_char *ngx_vod_manifest_cache_fresh(ngx_http_request_t *r, ngx_str_t *dir,
    uint64_t key, uint64_t *etag, time_t *mtime, size_t *len);
u_char *ngx_vod_manifest_cache_get(ngx_http_request_t *r, ngx_str_t *dir,
    uint64_t key, uint64_t etag, size_t *len);
void ngx_vod_manifest_cache_put(ngx_str_t *dir, uint64_t key, uint64_t etag,
    time_t mtime, u_char *body, size_t len, ngx_log_t *log);

/* subscription tiers: the ceiling the edge asks for (0: none; 400 when
 * malformed) and the header naming a video rendition's height and bit
 * rate */
ngx_int_t ngx_vod_package_request_limits(ngx_http_request_t *r,
    uint32_t *max_height, uint64_t *max_bitrate);
ngx_int_t ngx_vod_package_rendition_header(ngx_http_request_t *r,
    vod_track_info_t *video);

/* I-frame playlists (_iframe.c) */
ngx_uint_t ngx_vod_iframes_on(ngx_http_request_t *r, ngx_uint_t kind);
ngx_int_t ngx_vod_iframe_check(ngx_http_request_t *r, vod_url_t *url);
ngx_int_t ngx_vod_iframe_narrow(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_iframe_load(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_iframe_plan(ngx_http_request_t *r, ngx_vod_ctx_t *ctx);
ngx_int_t ngx_vod_iframe_master(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_t *title, vod_env_t *env, u_char **out, size_t *len);
uint64_t ngx_vod_iframe_etag(ngx_http_request_t *r, uint64_t etag);


#endif /* _NGX_VOD_PACKAGE_MODULE_H_INCLUDED_ */
