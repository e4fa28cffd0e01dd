/*
 * ngx_vod_package_metrics.c: the packager's metrics (README.md,
 * "Metrics"): requests by kind and status class and bytes sent, counted
 * in the log phase from the request's context; the index cache's hits,
 * misses and evictions (_cache.c); thread-pool tasks (_thread.c).  The
 * zone is made only when the configuration has a vodedge_metrics
 * location and a vod_package one.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"


static ngx_int_t ngx_vod_package_metrics_log(ngx_http_request_t *r);


/* by VOD_URL_* (vod_url.h), 0 for none */
#define NGX_VOD_M_KINDS  9

static const char *const  ngx_vod_metrics_kinds[] = {
    "other", "master", "master_ts", "mpd", "playlist", "init", "segment",
    "thumb", "tracks", NULL
};

static const char *const  ngx_vod_metrics_status[] =
    VODEDGE_METRICS_STATUS_VALUES;

static const char *const  ngx_vod_metrics_tasks[] = {
    "index", "ts", "read", NULL
};

static const char *const  ngx_vod_metrics_results[] = {
    "posted", "refused", NULL
};


/* in the order of NGX_VOD_M_* */

static const vod_metric_family_t  ngx_vod_metrics_families[] = {

    { "requests_total",
      "Requests the packager answered, by object kind (other: a malformed "
      "URL, a refused method, a CORS preflight) and status class.",
      VOD_METRIC_COUNTER, { "kind", "status" },
      { ngx_vod_metrics_kinds, ngx_vod_metrics_status }, NULL, 0, 0 },

    { "sent_bytes_total",
      "Bytes sent for the packager's requests (headers and body), by "
      "object kind.",
      VOD_METRIC_COUNTER, { "kind", NULL },
      { ngx_vod_metrics_kinds, NULL }, NULL, 0, 0 },

    { "index_cache_hits_total",
      "Lookups of vod_index_cache that found the index (or title.json).",
      VOD_METRIC_COUNTER, { NULL, NULL }, { NULL, NULL }, NULL, 0, 0 },

    { "index_cache_misses_total",
      "Lookups of vod_index_cache that did not (absent, or its file "
      "changed).",
      VOD_METRIC_COUNTER, { NULL, NULL }, { NULL, NULL }, NULL, 0, 0 },

    { "index_cache_evictions_total",
      "Indexes evicted from vod_index_cache, least recently used first, "
      "to make room.",
      VOD_METRIC_COUNTER, { NULL, NULL }, { NULL, NULL }, NULL, 0, 0 },

    { "thread_tasks_total",
      "Tasks given to the thread pool, by task (index: parse a moov, ts: "
      "read and mux a TS segment, read: read ahead what a segment sends) "
      "and result (refused: the pool's queue was full).",
      VOD_METRIC_COUNTER, { "task", "result" },
      { ngx_vod_metrics_tasks, ngx_vod_metrics_results }, NULL, 0, 0 },
};


ngx_int_t
ngx_vod_package_metrics_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt          *h;
    ngx_http_core_main_conf_t    *cmcf;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_conf_get_module_main_conf(cf, ngx_vod_package_module);

    if (!vmcf->used || !vodedge_metrics_enabled(cf)) {
        return NGX_OK;
    }

    vmcf->metrics = vodedge_metrics_add(cf, "vodedge_packager_",
                        ngx_vod_metrics_families,
                        sizeof(ngx_vod_metrics_families)
                        / sizeof(ngx_vod_metrics_families[0]),
                        &ngx_vod_package_module);
    if (vmcf->metrics == NULL) {
        return NGX_ERROR;
    }

    if (vmcf->index_cache != NULL) {
        ngx_vod_cache_metrics(vmcf->index_cache, vmcf->metrics);
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_vod_package_metrics_log;

    return NGX_OK;
}


/* a request the packager's handler took has its context */

static ngx_int_t
ngx_vod_package_metrics_log(ngx_http_request_t *r)
{
    ngx_uint_t                    kind, status;
    ngx_vod_ctx_t                *ctx;
    ngx_vod_package_main_conf_t  *vmcf;

    ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);
    if (ctx == NULL) {
        return NGX_OK;
    }

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);

    kind = (ctx->url.kind < NGX_VOD_M_KINDS) ? ctx->url.kind : 0;

    /* tile sheets and their track are thumbnails' work: one kind */
    if (ctx->url.kind == VOD_URL_TILES || ctx->url.kind == VOD_URL_TILES_VTT
        || ctx->url.kind == VOD_URL_IMAGES)
    {
        kind = VOD_URL_THUMB;
    }

    status = r->err_status ? r->err_status : r->headers_out.status;

    vodedge_metrics_inc(vmcf->metrics, NGX_VOD_M_REQUESTS,
                        kind * 6 + vodedge_metrics_status(status));
    vodedge_metrics_add_to(vmcf->metrics, NGX_VOD_M_SENT, kind,
                           r->connection->sent);

    return NGX_OK;
}
