/*
 * ngx_steering_metrics.c: steering's metrics (README.md, "Metrics"):
 * decisions by the primary's tier and the reason, counted once per
 * request in the log phase, whatever the Lua policy made of them; and the
 * Redis client's families after them.  The zone is made only when the
 * configuration has a vodedge_metrics location and a fleet.
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
      { ngx_st_m_tiers, ngx_st_m_reasons }, NULL, 0 },
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
