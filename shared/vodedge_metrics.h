/*
 * vodedge_metrics.h: metric counters in shared memory and the one
 * endpoint that shows every module's (README.md, "Metrics").
 *
 * Each module keeps its counters in a zone of its own, made only when the
 * configuration has a `vodedge_metrics` location (the directive leaves a
 * marker zone, VODEDGE_METRICS_MARKER, that a module's postconfiguration
 * looks for).  The zone holds one self-describing block
 * (shared/core/vod_metrics.h) and is named after the block's prefix and
 * the hash of its description, so a reload with the same layout keeps
 * the zone and its counts, and a changed layout gets a new zone.
 *
 * Every module defines the `vodedge_metrics` directive (VODEDGE_METRICS_
 * COMMAND); nginx gives it to the first module loaded.  Its handler walks
 * the cycle's zones for blocks by the name prefix and the block's magic
 * and version, and renders them all, whichever modules made them.
 *
 * Updates are one atomic add on a slot: no lock, no allocation.
 */

#ifndef _VODEDGE_METRICS_H_INCLUDED_
#define _VODEDGE_METRICS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "vod_metrics.h"


#define VODEDGE_METRICS_MARKER  "vodedge_metrics"
#define VODEDGE_METRICS_PREFIX  "vodedge_metrics:"


typedef struct {
    ngx_shm_zone_t               *zone;
    u_char                       *block;      /* set by the zone's init */
    vod_metric_slot_t            *slots;
    uint32_t                     *base;       /* each family's first slot */
    uint32_t                     *names;      /* its first named series */
    const vod_metric_family_t    *families;
    ngx_uint_t                    n;
    u_char                       *image;      /* the block as built */
    size_t                        size;
} vodedge_metrics_t;


#define VODEDGE_METRICS_COMMAND                                              \
    { ngx_string("vodedge_metrics"),                                         \
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,                                     \
      vodedge_metrics_endpoint,                                              \
      NGX_HTTP_LOC_CONF_OFFSET,                                              \
      0,                                                                     \
      NULL }


/* the `vodedge_metrics` directive: the location's content handler */
char *vodedge_metrics_endpoint(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

/* whether a `vodedge_metrics` location was configured (call from a
 * postconfiguration: the whole http block has been read then) */
ngx_uint_t vodedge_metrics_enabled(ngx_conf_t *cf);

/* the zone of the families (names after prefix); NULL on error, logged */
vodedge_metrics_t *vodedge_metrics_add(ngx_conf_t *cf, const char *prefix,
    const vod_metric_family_t *families, ngx_uint_t n, void *tag);

/* the index of value v in values (NULL-terminated), or of the last one
 * when v is not there */
ngx_uint_t vodedge_metrics_label(const char *const *values, const char *v);

/* names series i of a family whose first label is named at run time
 * (len 0: unnamed, not shown) */
void vodedge_metrics_name(vodedge_metrics_t *m, ngx_uint_t family,
    ngx_uint_t i, u_char *name, size_t len);

/* histograms: one observation of v (the family's unit) in combination
 * combo */
void vodedge_metrics_observe(vodedge_metrics_t *m, ngx_uint_t family,
    ngx_uint_t combo, uint64_t v);


/* counters: adds n to slot i of family (m NULL: metrics are off) */

static ngx_inline void
vodedge_metrics_add_to(vodedge_metrics_t *m, ngx_uint_t family,
    ngx_uint_t i, ngx_atomic_int_t n)
{
    if (m != NULL) {
        (void) ngx_atomic_fetch_add(
            (ngx_atomic_t *) &m->slots[m->base[family] + i], n);
    }
}


#define vodedge_metrics_inc(m, family, i)                                    \
    vodedge_metrics_add_to(m, family, i, 1)


/* gauges: sets slot i of family; a value that did not change is not
 * written (the cache line stays shared between the workers) */

static ngx_inline void
vodedge_metrics_set(vodedge_metrics_t *m, ngx_uint_t family, ngx_uint_t i,
    ngx_atomic_int_t v)
{
    ngx_atomic_t  *slot;

    if (m != NULL) {
        slot = (ngx_atomic_t *) &m->slots[m->base[family] + i];

        if (*slot != (ngx_atomic_uint_t) v) {
            *slot = (ngx_atomic_uint_t) v;
        }
    }
}


/* the status class label index of a status: 1xx .. 5xx as 0 .. 4, and 5
 * ("other") for none (a connection closed before a response) */
#define VODEDGE_METRICS_STATUS_VALUES                                        \
    { "1xx", "2xx", "3xx", "4xx", "5xx", "other", NULL }

#define vodedge_metrics_status(status)                                       \
    (((status) >= 100 && (status) < 600) ? (status) / 100 - 1 : 5)


#endif /* _VODEDGE_METRICS_H_INCLUDED_ */
