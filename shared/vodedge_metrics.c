/*
 * vodedge_metrics.c: the metrics zones of the modules and the endpoint
 * that renders them (vodedge_metrics.h says how they fit).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "vodedge_metrics.h"


/* a slot is updated with nginx's atomics */
typedef char  vodedge_metrics_slot_is_atomic[
    (sizeof(vod_metric_slot_t) == sizeof(ngx_atomic_uint_t)) ? 1 : -1];


/* tries at rendering into a buffer that counters growing meanwhile
 * outgrew */
#define VODEDGE_METRICS_TRIES  4


static ngx_int_t vodedge_metrics_init_zone(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t vodedge_metrics_init_marker(ngx_shm_zone_t *zone,
    void *data);
static ngx_int_t vodedge_metrics_handler(ngx_http_request_t *r);
static size_t vodedge_metrics_render(u_char *out, size_t size);
static u_char *vodedge_metrics_block(ngx_shm_zone_t *zone, size_t *size);


/* the marker's tag: this .so's, as only this .so handles the directive */
static ngx_uint_t  vodedge_metrics_marker_tag;


char *
vodedge_metrics_endpoint(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t                  name;
    ngx_shm_zone_t            *zone;
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = vodedge_metrics_handler;

    ngx_str_set(&name, VODEDGE_METRICS_MARKER);

    zone = ngx_shared_memory_add(cf, &name, 8 * ngx_pagesize,
                                 &vodedge_metrics_marker_tag);
    if (zone == NULL) {
        return NGX_CONF_ERROR;
    }

    zone->init = vodedge_metrics_init_marker;

    return NGX_CONF_OK;
}


static ngx_int_t
vodedge_metrics_init_marker(ngx_shm_zone_t *zone, void *data)
{
    return NGX_OK;
}


ngx_uint_t
vodedge_metrics_enabled(ngx_conf_t *cf)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_shm_zone_t   *zone;

    part = &cf->cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return 0;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].shm.name.len == sizeof(VODEDGE_METRICS_MARKER) - 1
            && ngx_strncmp(zone[i].shm.name.data, VODEDGE_METRICS_MARKER,
                           sizeof(VODEDGE_METRICS_MARKER) - 1)
               == 0)
        {
            return 1;
        }
    }
}


vodedge_metrics_t *
vodedge_metrics_add(ngx_conf_t *cf, const char *prefix,
    const vod_metric_family_t *families, ngx_uint_t n, void *tag)
{
    size_t                 size;
    ngx_str_t              name;
    ngx_uint_t             i;
    ngx_shm_zone_t        *zone;
    vodedge_metrics_t     *m;
    vod_metrics_header_t  *h;

    m = ngx_pcalloc(cf->pool, sizeof(vodedge_metrics_t));
    if (m == NULL) {
        return NULL;
    }

    m->families = families;
    m->n = n;

    m->base = ngx_pcalloc(cf->pool, n * sizeof(uint32_t));
    if (m->base == NULL) {
        return NULL;
    }

    m->names = ngx_pcalloc(cf->pool, n * sizeof(uint32_t));
    if (m->names == NULL) {
        return NULL;
    }

    for (i = 1; i < n; i++) {
        m->names[i] = m->names[i - 1] + families[i - 1].series;
    }

    m->size = vod_metrics_build(prefix, families, n, NULL, 0, NULL);
    if (m->size == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "vodedge metrics \"%s\": invalid table", prefix);
        return NULL;
    }

    m->image = ngx_pcalloc(cf->pool, m->size);
    if (m->image == NULL) {
        return NULL;
    }

    if (vod_metrics_build(prefix, families, n, m->image, m->size, m->base)
        != m->size)
    {
        return NULL;
    }

    h = (vod_metrics_header_t *) m->image;

    /* the layout's hash in the name: a reload keeps the zone of the same
     * layout only */

    name.len = sizeof(VODEDGE_METRICS_PREFIX) - 1 + ngx_strlen(prefix)
               + 1 + 8;
    name.data = ngx_pnalloc(cf->pool, name.len);
    if (name.data == NULL) {
        return NULL;
    }

    ngx_sprintf(name.data, VODEDGE_METRICS_PREFIX "%s:%08xD", prefix,
                h->hash);

    /* the slab pool's own pages, then the block in whole pages */
    size = ngx_align(m->size, ngx_pagesize) + 8 * ngx_pagesize;

    zone = ngx_shared_memory_add(cf, &name, size, tag);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", &name);
        return NULL;
    }

    zone->init = vodedge_metrics_init_zone;
    zone->data = m;
    m->zone = zone;

    return m;
}


/*
 * The block is allocated from the zone's slab pool and named by the
 * pool's data.  A zone kept over a reload has its block: it is reused
 * when it is this one's layout, byte for byte, so the counts go on.
 */

static ngx_int_t
vodedge_metrics_init_zone(ngx_shm_zone_t *zone, void *data)
{
    size_t                 size;
    u_char                *block;
    ngx_slab_pool_t       *sp;
    vodedge_metrics_t     *m;
    vod_metrics_header_t  *h;

    m = zone->data;
    sp = (ngx_slab_pool_t *) zone->shm.addr;
    h = (vod_metrics_header_t *) m->image;

    if (data != NULL || zone->shm.exists) {
        block = vodedge_metrics_block(zone, &size);

        if (block != NULL && size == m->size
            && ngx_memcmp(block, m->image, h->names_off) == 0)
        {
            m->block = block;
            m->slots = (vod_metric_slot_t *) (block + h->slots_off);
            return NGX_OK;
        }

        if (sp->data != NULL) {
            ngx_slab_free(sp, sp->data);
            sp->data = NULL;
        }
    }

    block = ngx_slab_alloc(sp, m->size);
    if (block == NULL) {
        ngx_log_error(NGX_LOG_EMERG, ngx_cycle->log, 0,
                      "vodedge metrics: zone \"%V\" too small",
                      &zone->shm.name);
        return NGX_ERROR;
    }

    ngx_memcpy(block, m->image, m->size);

    sp->data = block;
    m->block = block;
    m->slots = (vod_metric_slot_t *) (block + h->slots_off);

    return NGX_OK;
}


/* a zone's block when it is a valid one inside the zone, else NULL */

static u_char *
vodedge_metrics_block(ngx_shm_zone_t *zone, size_t *size)
{
    u_char           *block, *end;
    ngx_slab_pool_t  *sp;

    sp = (ngx_slab_pool_t *) zone->shm.addr;
    block = sp->data;
    end = zone->shm.addr + zone->shm.size;

    if (block == NULL || block < zone->shm.addr || block >= end) {
        return NULL;
    }

    *size = vod_metrics_check(block, end - block);

    return (*size != 0) ? block : NULL;
}


void
vodedge_metrics_name(vodedge_metrics_t *m, ngx_uint_t family, ngx_uint_t i,
    u_char *name, size_t len)
{
    if (m != NULL && m->block != NULL) {
        (void) vod_metrics_name(m->block, m->names[family] + i, name, len);
    }
}


ngx_uint_t
vodedge_metrics_label(const char *const *values, const char *v)
{
    ngx_uint_t  i;

    for (i = 0; values[i + 1] != NULL; i++) {
        if (ngx_strcmp(values[i], v) == 0) {
            break;
        }
    }

    return i;
}


void
vodedge_metrics_observe(vodedge_metrics_t *m, ngx_uint_t family,
    ngx_uint_t combo, uint64_t v)
{
    ngx_uint_t                  b, per;
    ngx_atomic_t               *slot;
    const vod_metric_family_t  *f;

    if (m == NULL) {
        return;
    }

    f = &m->families[family];

    for (b = 0; f->bounds[b] != 0 && v > f->bounds[b]; b++) { /* void */ }

    for (per = b; f->bounds[per] != 0; per++) { /* void */ }

    /* the buckets, +Inf, the sum */
    per += 2;

    slot = (ngx_atomic_t *) &m->slots[m->base[family] + combo * per];

    (void) ngx_atomic_fetch_add(&slot[b], 1);
    (void) ngx_atomic_fetch_add(&slot[per - 1], (ngx_atomic_int_t) v);
}


static ngx_int_t
vodedge_metrics_handler(ngx_http_request_t *r)
{
    size_t        size, len;
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_uint_t    try;
    ngx_chain_t   out;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    /* counters that grow between measuring and rendering lengthen the
     * text by a few digits: room for that, and a new try if it was not */

    size = vodedge_metrics_render(NULL, 0);

    for (try = 0; /* void */ ; try++) {
        size += size / 8 + 64;

        b = ngx_create_temp_buf(r->pool, size);
        if (b == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        len = vodedge_metrics_render(b->pos, size);

        if (len <= size) {
            break;
        }

        if (try == VODEDGE_METRICS_TRIES) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vodedge metrics: counters grew faster than "
                          "they were rendered");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        size = len;
    }

    b->last = b->pos + len;
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = len;
    ngx_str_set(&r->headers_out.content_type,
                "text/plain; version=0.0.4; charset=utf-8");
    r->headers_out.content_type_len = sizeof("text/plain") - 1;
    r->headers_out.content_type_lowcase = NULL;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


/* every module's block of this cycle into out (NULL: measured only);
 * returns the whole text's length */

static size_t
vodedge_metrics_render(u_char *out, size_t size)
{
    size_t            len, n, bsize;
    u_char           *block;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_shm_zone_t   *zone;

    len = 0;

    part = (ngx_list_part_t *) &ngx_cycle->shared_memory.part;
    zone = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            zone = part->elts;
            i = 0;
        }

        if (zone[i].shm.name.len < sizeof(VODEDGE_METRICS_PREFIX) - 1
            || ngx_strncmp(zone[i].shm.name.data, VODEDGE_METRICS_PREFIX,
                           sizeof(VODEDGE_METRICS_PREFIX) - 1)
               != 0)
        {
            continue;
        }

        block = vodedge_metrics_block(&zone[i], &bsize);
        if (block == NULL) {
            continue;
        }

        n = vod_metrics_render(block, (out != NULL && len < size)
                                      ? out + len : NULL,
                               (len < size) ? size - len : 0);
        len += n;
    }

    return len;
}
