/*
 * ngx_vod_package_module.c: the module's definition and the request
 * driver.  A request runs through named steps (ngx_vod_step_e): resolve
 * the title and open its files (_resolve.c, _manifest.c), load their
 * indexes, plan the body and its send method (_plan.c, _manifest.c), and
 * send it (_output.c, _stream.c).  A step that waits for a thread task
 * returns NGX_DONE; when the task ends, ngx_vod_package_resume() runs the
 * same step again, which finds the task's result in the context.  The
 * directives are in ngx_vod_package_conf.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"
#include <malloc.h>


static ngx_int_t ngx_vod_package_options(ngx_http_request_t *r);
static ngx_int_t ngx_vod_package_run(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);
static void ngx_vod_package_resume(ngx_http_request_t *r);
static ngx_int_t ngx_vod_package_send(ngx_http_request_t *r,
    ngx_vod_output_t *out);
static ngx_int_t ngx_vod_package_init_process(ngx_cycle_t *cycle);
#if (NGX_LINUX)
static void ngx_vod_package_prefault_heap(ngx_log_t *log);
#endif


static ngx_http_module_t  ngx_vod_package_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_vod_package_metrics_init,          /* postconfiguration */

    ngx_vod_package_create_main_conf,      /* create main configuration */
    ngx_vod_package_init_main_conf,        /* init main configuration */

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


ngx_int_t
ngx_vod_package_handler(ngx_http_request_t *r)
{
    ngx_int_t       rc;
    ngx_vod_ctx_t  *ctx;

    /* first: the metrics count every request the packager answered by
     * its context */
    ctx = ngx_vod_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (r->method == NGX_HTTP_OPTIONS) {
        return ngx_vod_package_options(r);
    }

    /* the title's keys, when a key service has them: before any path
     * (licences too) can need them; a wait runs this handler again */
    rc = ngx_vod_keys_wait(r, ctx);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_vod_license_handler(r);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    return ngx_vod_package_run(r, ctx);
}


/*
 * Runs the request's steps from the one it is at.  Returns what the send
 * step returns, NGX_DONE while a step waits for a thread task, or the
 * status a step failed with.
 */

static ngx_int_t
ngx_vod_package_run(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    ngx_int_t  rc;

    for ( ;; ) {

        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod: step %ui", (ngx_uint_t) ctx->step);

        switch (ctx->step) {

        case NGX_VOD_STEP_RESOLVE:
            rc = ngx_vod_package_resolve(r, ctx);
            break;

        case NGX_VOD_STEP_LOAD:
            rc = ngx_vod_package_load(r, ctx);
            break;

        case NGX_VOD_STEP_PLAN:
            rc = ngx_vod_package_plan(r, ctx);
            break;

        default: /* NGX_VOD_STEP_SEND */
            return ngx_vod_package_send(r, &ctx->out);
        }

        if (rc == NGX_DONE) {
            /* a thread task was posted: its end runs this step again */
            r->write_event_handler = ngx_vod_package_resume;
            return NGX_DONE;
        }

        if (rc != NGX_OK) {
            return rc;
        }

        ctx->step++;
    }
}


/*
 * A thread task of the step the request is at has ended, or the
 * connection had a write event while it is out.  nginx calls the write
 * handler on any event of a socket whose write event is active (epoll
 * reports EPOLLOUT with the EPOLLIN of a next request's bytes or of the
 * peer's FIN): run then, the step would post a second task, or finish
 * the request and free it while the first task is out, whose end then
 * wrote into freed memory (the origin's crash in the fleet tests).  The
 * task's end clears r->aio before it calls this.
 */

static void
ngx_vod_package_resume(ngx_http_request_t *r)
{
    ngx_vod_ctx_t  *ctx;

    if (r->aio) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod: write event while a thread task is out");
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);

    ngx_http_finalize_request(r, (ctx != NULL) ? ngx_vod_package_run(r, ctx)
                                               : NGX_ERROR);
}


static ngx_int_t
ngx_vod_package_send(ngx_http_request_t *r, ngx_vod_output_t *out)
{
    switch (out->method) {

    case NGX_VOD_SEND_FILE:
        return ngx_vod_send_file_ranges(r, out);

    case NGX_VOD_SEND_STREAM:
        return ngx_vod_send_stream(r, out);

    default: /* NGX_VOD_SEND_MEMORY */
        return ngx_vod_send_memory(r, out);
    }
}


ngx_vod_ctx_t *
ngx_vod_ctx(ngx_http_request_t *r)
{
    ngx_vod_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);
    if (ctx != NULL) {
        return ctx;
    }

    /* step: NGX_VOD_STEP_RESOLVE */
    ctx = ngx_pcalloc(r->pool, sizeof(ngx_vod_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    if (ngx_array_init(&ctx->built, r->pool, 1, sizeof(ngx_vod_built_t))
        != NGX_OK)
    {
        return NULL;
    }

    ngx_http_set_ctx(r, ctx, ngx_vod_package_module);

    return ctx;
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
    ngx_str_set(&h->value, "GET, HEAD, POST, OPTIONS");

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Access-Control-Allow-Headers");
    /* Content-Type: a ClearKey licence request's (_license.c) */
    ngx_str_set(&h->value, "Range, Content-Type");

    r->headers_out.status = NGX_HTTP_NO_CONTENT;
    r->header_only = 1;
    r->headers_out.content_length_n = 0;

    return ngx_http_send_header(r);
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
 * that cost to the worker's start.  Its whole 2 MB pages are asked to be
 * transparent huge pages first (where the kernel's THP setting is
 * "madvise" or "always"): a long title's moov, allocated on a 2 MB
 * boundary (ngx_vod_media_build()), is then read and parsed through a
 * TLB entry per 2 MB rather than per 4 KB.
 */

static void
ngx_vod_package_prefault_heap(ngx_log_t *log)
{
    size_t            size, i;
    volatile u_char  *p;        /* stores the compiler may not drop */
#ifdef MADV_HUGEPAGE
    uintptr_t         start, end;
#endif

    size = NGX_VOD_PREFAULT_HEAP;

    p = malloc(size);
    if (p == NULL) {
        return;
    }

#ifdef MADV_HUGEPAGE
    start = (uintptr_t) ngx_align_ptr(p, NGX_VOD_HUGE_PAGE);
    end = ((uintptr_t) p + size) & ~(NGX_VOD_HUGE_PAGE - 1);

    if (end > start
        && madvise((void *) start, end - start, MADV_HUGEPAGE) != 0)
    {
        ngx_log_error(NGX_LOG_INFO, log, ngx_errno,
                      "vod: madvise(MADV_HUGEPAGE) failed");
    }
#endif

    for (i = 0; i < size; i += ngx_pagesize) {
        p[i] = 0;
    }

    free((void *) p);
}

#endif
