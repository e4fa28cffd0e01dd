/*
 * ngx_steering_metrics.c: steering's metrics (README.md, "Metrics"):
 * decisions by the primary's tier and the reason, counted once per
 * request in the log phase, whatever the Lua policy made of them; and the
 * Redis client's families after them; and each cache's state as steering
 * sees it (gauges, one series per slot of the steering zone, named by the
 * cache's id), set where a report changes it and where a decision reads
 * it.  The zone is made only when the configuration has a vodedge_metrics
 * location and a fleet.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_steering_module.h"


static ngx_int_t ngx_steering_metrics_log(ngx_http_request_t *r);


/* st_tier_name()'s and st_reason_name()'s words, in their order */

static const char *const  ngx_st_m_tiers[] = {
    "isp", "ixp", "origin", NULL
};

static const char *const  ngx_st_m_reasons[] = {
    "asn-match", "no-asn", "no-isp-cache", "isp-unavailable", "no-edge",
    "none-healthy", "policy", NULL
};

#define NGX_ST_M_TIERS    3
#define NGX_ST_M_REASONS  7


static const vod_metric_family_t  ngx_st_m_families[] = {

    { "decisions_total",
      "Steering decisions (a redirect, a steering manifest or a JSON "
      "answer), by the primary's tier and the reason for it.",
      VOD_METRIC_COUNTER, { "tier", "reason" },
      { ngx_st_m_tiers, ngx_st_m_reasons }, NULL, 0, 0 },

    { "cache_healthy",
      "1 when steering counts the cache as healthy: reported healthy and "
      "not older than steering_state_max_age (with that off, a cache never "
      "reported counts as healthy); as of its last report or decision.",
      VOD_METRIC_GAUGE, { "cache", NULL }, { NULL, NULL }, NULL, 0,
      ST_MAX_CACHES },

    { "cache_load",
      "The cache's load as last reported, 0 to 1 (0: never reported).",
      VOD_METRIC_GAUGE, { "cache", NULL }, { NULL, NULL }, NULL,
      NGX_STEERING_LOAD_ONE, ST_MAX_CACHES },

    { "cache_report_timestamp_seconds",
      "When the cache's state was last reported, Unix time (0: never).",
      VOD_METRIC_GAUGE, { "cache", NULL }, { NULL, NULL }, NULL, 0,
      ST_MAX_CACHES },
};


#define NGX_ST_M_OWN  (sizeof(ngx_st_m_families) / sizeof(ngx_st_m_families[0]))


ngx_int_t
ngx_steering_metrics_init(ngx_conf_t *cf)
{
    ngx_uint_t                 n;
    ngx_http_handler_pt       *h;
    vod_metric_family_t       *f;
    ngx_steering_main_conf_t  *smcf;
    ngx_http_core_main_conf_t *cmcf;

    smcf = ngx_http_conf_get_module_main_conf(cf, ngx_steering_module);

    if (smcf->fleet == NULL || !vodedge_metrics_enabled(cf)) {
        return NGX_OK;
    }

    /* steering's families, then the Redis client's */

    n = NGX_ST_M_OWN + VODEDGE_REDIS_M_FAMILIES;

    f = ngx_palloc(cf->pool, n * sizeof(vod_metric_family_t));
    if (f == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(f, ngx_st_m_families, sizeof(ngx_st_m_families));
    ngx_memcpy(&f[NGX_ST_M_REDIS], vodedge_redis_metric_families,
               sizeof(vodedge_redis_metric_families));

    smcf->metrics = vodedge_metrics_add(cf, "vodedge_steering_", f, n,
                                        &ngx_steering_module);
    if (smcf->metrics == NULL) {
        return NGX_ERROR;
    }

    if (smcf->redis != NULL) {
        smcf->redis->metrics = smcf->metrics;
        smcf->redis->metrics_first = NGX_ST_M_REDIS;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_steering_metrics_log;

    return NGX_OK;
}


/* a request that was decided has its context with a ranking */

static ngx_int_t
ngx_steering_metrics_log(ngx_http_request_t *r)
{
    ngx_steering_ctx_t        *ctx;
    ngx_steering_main_conf_t  *smcf;

    ctx = ngx_http_get_module_ctx(r, ngx_steering_module);

    if (ctx == NULL || ctx->status != NGX_OK || ctx->n == 0
        || ctx->tier >= NGX_ST_M_TIERS || ctx->reason >= NGX_ST_M_REASONS)
    {
        return NGX_OK;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);

    vodedge_metrics_inc(smcf->metrics, NGX_ST_M_DECISIONS,
                        ctx->tier * NGX_ST_M_REASONS + ctx->reason);

    return NGX_OK;
}


void
ngx_steering_metrics_cache(ngx_steering_main_conf_t *smcf, ngx_uint_t slot,
    uint64_t word, time_t now)
{
    time_t              updated;
    ngx_uint_t          healthy;
    vodedge_metrics_t  *m;

    m = smcf->metrics;

    if (m == NULL || slot >= ST_MAX_CACHES) {
        return;
    }

    if (!(word & NGX_STEERING_REPORTED)) {
        vodedge_metrics_set(m, NGX_ST_M_HEALTHY, slot, smcf->max_age < 0);
        vodedge_metrics_set(m, NGX_ST_M_LOAD, slot, 0);
        vodedge_metrics_set(m, NGX_ST_M_REPORTED, slot, 0);
        return;
    }

    updated = (time_t) (word >> 32);

    /* as ngx_steering_live() judges it */
    healthy = (word & NGX_STEERING_HEALTHY)
              && (smcf->max_age < 0 || now - updated <= smcf->max_age);

    vodedge_metrics_set(m, NGX_ST_M_HEALTHY, slot, healthy);
    vodedge_metrics_set(m, NGX_ST_M_LOAD, slot, word & 0xffff);
    vodedge_metrics_set(m, NGX_ST_M_REPORTED, slot, updated);
}


/*
 * Slots are only added to the steering zone, under its lock, an id once
 * given for the zone's life: names read without the lock are whole ones
 * up to nslots.  Series past them (a metrics zone kept over a reload
 * whose steering zone is new) are unnamed.
 */

void
ngx_steering_metrics_names(ngx_steering_main_conf_t *smcf)
{
    ngx_uint_t            i, n, f;
    ngx_steering_slot_t  *s;

    /* the master at configuration: the metrics zone may not be made yet */
    if (smcf->metrics == NULL || smcf->metrics->block == NULL
        || smcf->sh == NULL)
    {
        return;
    }

    n = smcf->sh->nslots;

    for (f = NGX_ST_M_HEALTHY; f <= NGX_ST_M_REPORTED; f++) {
        for (i = 0; i < ST_MAX_CACHES; i++) {
            s = &smcf->sh->slots[i];

            if (i < n) {
                vodedge_metrics_name(smcf->metrics, f, i, s->id, s->id_len);

            } else {
                vodedge_metrics_name(smcf->metrics, f, i, NULL, 0);
            }
        }
    }

    for (i = 0; i < n; i++) {
        ngx_steering_metrics_cache(smcf, i, smcf->sh->slots[i].word,
                                   ngx_time());
    }
}
