/*
 * ngx_vod_package_thread.c: work that would wait for the disk (parsing a
 * moov, reading a TS segment's samples, reading ahead what a streamed CMAF
 * segment needs next) runs in an nginx thread pool when the location has
 * "aio threads", so a cold file never stalls the worker.
 *
 * A task gets its own malloc arena as its vod_env_t, because a request
 * pool is not thread-safe; the arena is freed with the request.  When the
 * task is done its result goes into the request context and the request's
 * write event handler runs: the driver's ngx_vod_package_resume(), which
 * runs the step that posted the task again.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"
#include <openssl/crypto.h>

#include "vod_ts.h"


#if (NGX_THREADS)

typedef struct ngx_vod_block_s  ngx_vod_block_t;

struct ngx_vod_block_s {
    ngx_vod_block_t      *next;
};


typedef struct {
    vod_env_t             env;            /* first: the core's view */
    ngx_fd_t              fd;
    ngx_vod_block_t      *blocks;
    ngx_err_t             err;
    char                  error[256];     /* the first error logged */
} ngx_vod_arena_t;


#define NGX_VOD_TASK_INDEX   1
#define NGX_VOD_TASK_TS      2
#define NGX_VOD_TASK_AHEAD   3
#define NGX_VOD_TASK_PROTECT 4


typedef struct {
    ngx_uint_t            type;
    ngx_http_request_t   *request;
    ngx_vod_arena_t      *arena;
    ngx_str_t             path;

    /* NGX_VOD_TASK_INDEX */
    uint64_t              file_size;
    uint32_t              segment_ms;
    size_t                max_moov_size;

    /* NGX_VOD_TASK_TS: read and planned, to be written by the worker */
    vod_segment_t        *video;
    vod_segment_t        *audio;
    vod_ts_mux_t         *ts;
    vod_ts_saes_t        *saes;       /* SAMPLE-AES; NULL: clear */

    /* NGX_VOD_TASK_PROTECT: video is the segment, read and encrypted
     * into out */
    vod_protect_t        *prot;
    uint64_t              stream;

    /* NGX_VOD_TASK_AHEAD: a span read, out_len bytes at a time into out,
     * for the page cache */
    off_t                 offset;
    size_t                len;

    u_char               *out;
    size_t                out_len;
    int                   rc;
} ngx_vod_task_ctx_t;


static ngx_vod_arena_t *ngx_vod_arena_create(ngx_http_request_t *r,
    ngx_fd_t fd);
static void ngx_vod_arena_cleanup(void *data);
static void *ngx_vod_arena_alloc(vod_env_t *env, size_t size);
static void ngx_vod_arena_log(vod_env_t *env, const char *fmt, ...);
static ssize_t ngx_vod_arena_read(vod_env_t *env, u_char *buf, size_t size,
    off_t offset);
static ngx_int_t ngx_vod_thread_post(ngx_http_request_t *r,
    ngx_thread_pool_t *tp, ngx_vod_task_ctx_t *tctx);
static void ngx_vod_thread_handler(void *data, ngx_log_t *log);
static void ngx_vod_thread_event_handler(ngx_event_t *ev);


ngx_thread_pool_t *
ngx_vod_thread_pool(ngx_http_request_t *r)
{
    ngx_str_t                  name;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (clcf->aio != NGX_HTTP_AIO_THREADS) {
        return NULL;
    }

    if (clcf->thread_pool_value == NULL) {
        return clcf->thread_pool;
    }

    if (ngx_http_complex_value(r, clcf->thread_pool_value, &name)
        != NGX_OK)
    {
        return NULL;
    }

    return ngx_thread_pool_get((ngx_cycle_t *) ngx_cycle, &name);
}


/*
 * Parses a rendition's moov in a thread.  Returns NGX_DONE when the task
 * is posted; the load step then runs again and ngx_vod_media_load() finds
 * the index in the context.
 */

ngx_int_t
ngx_vod_thread_build_index(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_vod_media_t *media, uint32_t segment_ms, size_t max_moov_size)
{
    ngx_vod_task_ctx_t  *tctx;

    tctx = ngx_pcalloc(r->pool, sizeof(ngx_vod_task_ctx_t));
    if (tctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tctx->type = NGX_VOD_TASK_INDEX;
    tctx->path = media->path;
    tctx->file_size = media->of.size;
    tctx->segment_ms = segment_ms;
    tctx->max_moov_size = max_moov_size;

    tctx->arena = ngx_vod_arena_create(r, media->of.fd);
    if (tctx->arena == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_thread_post(r, tp, tctx);
}


ngx_int_t
ngx_vod_thread_ts(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_vod_media_t *media, vod_segment_t *video, vod_segment_t *audio,
    vod_ts_saes_t *saes)
{
    ngx_vod_task_ctx_t  *tctx;

    tctx = ngx_pcalloc(r->pool, sizeof(ngx_vod_task_ctx_t));
    if (tctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tctx->type = NGX_VOD_TASK_TS;
    tctx->path = media->path;
    tctx->video = video;
    tctx->audio = audio;
    tctx->saes = saes;

    tctx->arena = ngx_vod_arena_create(r, media->of.fd);
    if (tctx->arena == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_thread_post(r, tp, tctx);
}


ngx_int_t
ngx_vod_thread_protect(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_vod_media_t *media, vod_segment_t *segment, vod_protect_t *prot,
    uint64_t stream)
{
    ngx_vod_task_ctx_t  *tctx;

    tctx = ngx_pcalloc(r->pool, sizeof(ngx_vod_task_ctx_t));
    if (tctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tctx->type = NGX_VOD_TASK_PROTECT;
    tctx->path = media->path;
    tctx->video = segment;
    tctx->prot = prot;
    tctx->stream = stream;

    tctx->arena = ngx_vod_arena_create(r, media->of.fd);
    if (tctx->arena == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_thread_post(r, tp, tctx);
}


/*
 * Reads a span of a file that a streamed body needs, size bytes at a time
 * into buf (the stream's, free while it waits), so that the worker's
 * reads that follow find it in the page cache.  What the reads return
 * does not matter: the worker's own read says what is wrong.
 */

ngx_int_t
ngx_vod_thread_readahead(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_vod_readahead_t *ra, u_char *buf, size_t size)
{
    ngx_vod_task_ctx_t  *tctx;

    tctx = ngx_pcalloc(r->pool, sizeof(ngx_vod_task_ctx_t));
    if (tctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tctx->type = NGX_VOD_TASK_AHEAD;
    ngx_str_set(&tctx->path, "");
    tctx->out = buf;
    tctx->offset = ra->offset;
    tctx->len = ra->len;
    tctx->out_len = size;

    tctx->arena = ngx_vod_arena_create(r, ra->fd);
    if (tctx->arena == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_thread_post(r, tp, tctx);
}


static ngx_int_t
ngx_vod_thread_post(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_vod_task_ctx_t *tctx)
{
    ngx_int_t                     rc;
    ngx_uint_t                    kind;
    ngx_thread_task_t            *task;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);

    kind = (tctx->type == NGX_VOD_TASK_INDEX) ? NGX_VOD_M_TASK_INDEX
           : (tctx->type == NGX_VOD_TASK_TS) ? NGX_VOD_M_TASK_TS
           : NGX_VOD_M_TASK_READ;

    task = ngx_thread_task_alloc(r->pool, 0);
    if (task == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    tctx->request = r;

    task->ctx = tctx;
    task->handler = ngx_vod_thread_handler;
    task->event.data = tctx;
    task->event.handler = ngx_vod_thread_event_handler;

    rc = ngx_vod_thread_start(r, tp, task);

    if (rc == NGX_ERROR) {
        return NGX_ERROR;
    }

    if (rc == NGX_DECLINED) {
        vodedge_metrics_inc(vmcf->metrics, NGX_VOD_M_THREAD_TASKS,
                            kind * NGX_VOD_M_TASK_RESULTS
                            + NGX_VOD_M_TASK_REFUSED);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    vodedge_metrics_inc(vmcf->metrics, NGX_VOD_M_THREAD_TASKS,
                        kind * NGX_VOD_M_TASK_RESULTS + NGX_VOD_M_TASK_POSTED);

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod: \"%V\": %s task posted to the thread pool",
                   &tctx->path,
                   (tctx->type == NGX_VOD_TASK_INDEX) ? "index"
                   : (tctx->type == NGX_VOD_TASK_TS) ? "ts" : "read");

    return NGX_DONE;
}


/*
 * Posts a request's task and holds the request until the task's event
 * handler has run ngx_vod_thread_ended(): a request nginx finalized on
 * the way would be freed, and the task's end would write into its pool.
 * A request has one task out at most; the write handlers that run its
 * steps return at once while r->aio is set (ngx_vod_package_resume()).
 * NGX_OK, NGX_DECLINED when the pool's queue is full, NGX_ERROR (nginx
 * then terminates the request once the task out has ended).
 */

ngx_int_t
ngx_vod_thread_start(ngx_http_request_t *r, ngx_thread_pool_t *tp,
    ngx_thread_task_t *task)
{
    if (r->aio) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "vod: a request posted a thread task while one of "
                      "its tasks was out");
        return NGX_ERROR;
    }

    if (ngx_thread_task_post(tp, task) != NGX_OK) {
        return NGX_DECLINED;
    }

    r->main->blocked++;
    r->main->count++;
    r->aio = 1;

    return NGX_OK;
}


/* the request's task has ended: its event handler runs the request on */

void
ngx_vod_thread_ended(ngx_http_request_t *r)
{
    r->main->blocked--;
    r->aio = 0;
}


/* runs in a pool thread: touches only the task and its arena */

static void
ngx_vod_thread_handler(void *data, ngx_log_t *log)
{
    ngx_vod_task_ctx_t  *tctx = data;

    off_t          offset;
    size_t         left, src_len;
    u_char        *moov;
    ssize_t        n;
    uint64_t       moov_offset, moov_size;
    vod_env_t     *env;
    const u_char  *src;

    env = &tctx->arena->env;

    if (tctx->type == NGX_VOD_TASK_AHEAD) {
        for (offset = tctx->offset, left = tctx->len; left > 0; /* void */) {
            n = ngx_vod_pread(tctx->arena->fd, tctx->out,
                              ngx_min(left, tctx->out_len), offset, 0);
            if (n <= 0) {
                break;
            }

            offset += n;
            left -= n;
        }

        return;
    }

    if (tctx->type == NGX_VOD_TASK_TS) {
        tctx->rc = vod_ts_open_saes(env,
                                    (tctx->video->track != NULL)
                                    ? tctx->video : NULL,
                                    (tctx->audio->track != NULL)
                                    ? tctx->audio : NULL,
                                    tctx->saes, &tctx->ts, &tctx->out_len);

        if (tctx->saes != NULL) {
            OPENSSL_cleanse(tctx->saes, sizeof(vod_ts_saes_t));
        }

        return;
    }

    if (tctx->type == NGX_VOD_TASK_PROTECT) {
        tctx->rc = vod_protect_segment(env, tctx->video, tctx->prot,
                                       tctx->stream, &tctx->out,
                                       &tctx->out_len);
        OPENSSL_cleanse(tctx->prot, sizeof(vod_protect_t));
        return;
    }

    tctx->rc = vod_mp4_find_moov(env, tctx->file_size, &moov_offset,
                                 &moov_size);
    if (tctx->rc != VOD_OK) {
        return;
    }

    if (moov_size > tctx->max_moov_size) {
        env->log(env, "moov box of %llu bytes exceeds vod_max_moov_size",
                 (unsigned long long) moov_size);
        tctx->rc = VOD_BAD_DATA;
        return;
    }

    moov = env->alloc(env, (size_t) moov_size);
    if (moov == NULL) {
        tctx->rc = VOD_ERROR;
        return;
    }

    if (env->read(env, moov, (size_t) moov_size, (off_t) moov_offset)
        != (ssize_t) moov_size)
    {
        tctx->rc = VOD_BAD_DATA;
        return;
    }

    tctx->rc = vod_frag_moov(env, moov, (size_t) moov_size, moov_offset,
                             tctx->file_size, tctx->max_moov_size, &src,
                             &src_len);
    if (tctx->rc != VOD_OK) {
        return;
    }

    tctx->rc = vod_index_build(env, src, src_len, tctx->file_size,
                               tctx->segment_ms, &tctx->out, &tctx->out_len);
}


static void
ngx_vod_thread_event_handler(ngx_event_t *ev)
{
    ngx_vod_task_ctx_t  *tctx = ev->data;

    ngx_connection_t    *c;
    ngx_vod_ctx_t       *ctx;
    ngx_http_request_t  *r;

    r = tctx->request;
    c = r->connection;

    ngx_http_set_log_request(c->log, r);

    ngx_vod_thread_ended(r);

    if (tctx->arena->error[0] != '\0') {
        ngx_log_error(NGX_LOG_ERR, c->log, tctx->arena->err,
                      "vod: \"%V\": %s", &tctx->path, tctx->arena->error);
    }

    ctx = ngx_vod_ctx(r);

    if (ctx != NULL && tctx->type != NGX_VOD_TASK_AHEAD) {
        if (tctx->type == NGX_VOD_TASK_TS) {
            ctx->seg_done = 1;
            ctx->seg_rc = tctx->rc;
            ctx->seg_len = tctx->out_len;
            ctx->ts = tctx->ts;

        } else if (tctx->type == NGX_VOD_TASK_PROTECT) {
            ctx->seg_done = 1;
            ctx->seg_rc = tctx->rc;
            ctx->seg_len = tctx->out_len;
            ctx->seg_data = tctx->out;

        } else {
            ngx_vod_ctx_add_index(r, ctx, &tctx->path, tctx->rc, tctx->out,
                                  tctx->out_len);
        }
    }

    if (r->done) {
        c->write->handler(c->write);

    } else {
        r->write_event_handler(r);
        ngx_http_run_posted_requests(c);
    }
}


static ngx_vod_arena_t *
ngx_vod_arena_create(ngx_http_request_t *r, ngx_fd_t fd)
{
    ngx_vod_arena_t     *arena;
    ngx_pool_cleanup_t  *cln;

    cln = ngx_pool_cleanup_add(r->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    arena = ngx_pcalloc(r->pool, sizeof(ngx_vod_arena_t));
    if (arena == NULL) {
        return NULL;
    }

    arena->env.alloc = ngx_vod_arena_alloc;
    arena->env.log = ngx_vod_arena_log;
    arena->env.read = ngx_vod_arena_read;
    arena->fd = fd;

    cln->handler = ngx_vod_arena_cleanup;
    cln->data = arena;

    return arena;
}


static void
ngx_vod_arena_cleanup(void *data)
{
    ngx_vod_arena_t  *arena = data;

    ngx_vod_block_t  *b, *next;

    for (b = arena->blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    arena->blocks = NULL;
}


static void *
ngx_vod_arena_alloc(vod_env_t *env, size_t size)
{
    ngx_vod_arena_t  *arena = (ngx_vod_arena_t *) env;

    ngx_vod_block_t  *b;

    if (size > (size_t) -1 - 16) {
        return NULL;
    }

    /* 16 bytes ahead keep the caller's memory aligned for any type */
    b = malloc(16 + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = arena->blocks;
    arena->blocks = b;

    return (u_char *) b + 16;
}


static void
ngx_vod_arena_log(vod_env_t *env, const char *fmt, ...)
{
    ngx_vod_arena_t  *arena = (ngx_vod_arena_t *) env;

    va_list  args;

    if (arena->error[0] != '\0') {
        return;
    }

    va_start(args, fmt);
    vsnprintf(arena->error, sizeof(arena->error), fmt, args);
    va_end(args);
}


static ssize_t
ngx_vod_arena_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    ngx_vod_arena_t  *arena = (ngx_vod_arena_t *) env;

    ssize_t  n;

    n = ngx_vod_pread(arena->fd, buf, size, offset, 0);

    if (n == (ssize_t) size) {
        return n;
    }

    if (arena->error[0] == '\0') {
        arena->err = (n == -1) ? errno : 0;
        snprintf(arena->error, sizeof(arena->error), "%s at offset %lld",
                 (n == -1) ? "pread() failed" : "unexpected end of file",
                 (long long) offset + (n > 0 ? n : 0));
    }

    return -1;
}

#endif /* NGX_THREADS */
