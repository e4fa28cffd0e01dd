/*
 * ngx_stream_playback_metrics.c: the edge's metrics (README.md,
 * "Metrics"): refusals by reason (tokens and sessions, licensing, tiers,
 * stream limits), and the Redis client's families after them.  The zone
 * is made only when the configuration has a vodedge_metrics location and
 * a location where the edge checks something.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_stream_playback_module.h"


/* pb_jwt_reason()'s words, the path check's and the session check's; the
 * last of each list counts what no other names */

static const char *const  ngx_pb_m_token[] = {
    "missing", "malformed", "bad-signature", "unknown-kid", "expired",
    "not-yet-valid", "wrong-path", "wrong-ip", "wrong-audience", "bad-path",
    "no-session", "session-ended", "session-unknown", "error", NULL
};

/* pb_rights_reason()'s refusals and the anonymous-network check's */

static const char *const  ngx_pb_m_licensing[] = {
    "unknown-title", "unknown-country", "not-licensed", "not-yet-available",
    "expired", "anonymous-ip", "other", NULL
};

static const char *const  ngx_pb_m_tier[] = {
    "above-tier", "unknown-tier", NULL
};

static const char *const  ngx_pb_m_streams[] = {
    "limit", "unavailable", NULL
};


static const vod_metric_family_t  ngx_pb_m_families[] = {

    { "token_refusals_total",
      "Requests refused for their signed URL or session, by reason (the "
      "reason of the error body).",
      VOD_METRIC_COUNTER, { "reason", NULL }, { ngx_pb_m_token, NULL },
      NULL, 0, 0 },

    { "licensing_refusals_total",
      "Requests refused by GeoIP licensing (451), by reason.",
      VOD_METRIC_COUNTER, { "reason", NULL }, { ngx_pb_m_licensing, NULL },
      NULL, 0, 0 },

    { "tier_refusals_total",
      "Requests refused by the subscription tier (403): a rendition above "
      "the viewer's tier, or a tier not configured here.",
      VOD_METRIC_COUNTER, { "reason", NULL }, { ngx_pb_m_tier, NULL },
      NULL, 0, 0 },

    { "stream_limit_refusals_total",
      "Playback starts refused by the account's stream limit (limit: 429) "
      "or because the limit could not be checked (unavailable: 503, "
      "playback_streams_fail closed).",
      VOD_METRIC_COUNTER, { "reason", NULL }, { ngx_pb_m_streams, NULL },
      NULL, 0, 0 },
};


static const char *const  *ngx_pb_m_values[] = {
    ngx_pb_m_token, ngx_pb_m_licensing, ngx_pb_m_tier, ngx_pb_m_streams
};


#define NGX_PB_M_OWN  (sizeof(ngx_pb_m_families) / sizeof(ngx_pb_m_families[0]))


ngx_int_t
ngx_stream_playback_metrics_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf)
{
    ngx_uint_t            n;
    vod_metric_family_t  *f;

    if (!pmcf->used || !vodedge_metrics_enabled(cf)) {
        return NGX_OK;
    }

    /* the edge's families, then the Redis client's */

    n = NGX_PB_M_OWN + VODEDGE_REDIS_M_FAMILIES;

    f = ngx_palloc(cf->pool, n * sizeof(vod_metric_family_t));
    if (f == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(f, ngx_pb_m_families, sizeof(ngx_pb_m_families));
    ngx_memcpy(&f[NGX_PB_M_REDIS], vodedge_redis_metric_families,
               sizeof(vodedge_redis_metric_families));

    pmcf->metrics = vodedge_metrics_add(cf, "vodedge_edge_", f, n,
                                        &ngx_stream_playback_module);
    if (pmcf->metrics == NULL) {
        return NGX_ERROR;
    }

    if (pmcf->redis != NULL) {
        pmcf->redis->metrics = pmcf->metrics;
        pmcf->redis->metrics_first = NGX_PB_M_REDIS;
    }

    return NGX_OK;
}


void
ngx_stream_playback_count(ngx_http_request_t *r, ngx_uint_t family,
    const char *reason)
{
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    if (pmcf->metrics == NULL) {
        return;
    }

    vodedge_metrics_inc(pmcf->metrics, family,
                        vodedge_metrics_label(ngx_pb_m_values[family],
                                              reason));
}
