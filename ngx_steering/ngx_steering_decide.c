/*
 * ngx_steering_decide.c: one decision per request: the title, the
 * client's ASN, country and location (shared/vodedge_geo.c), every
 * cache's live state and, with presence data, which caches hold the
 * title; then core/st_decide.c ranks the caches and the ranking is
 * copied into the request.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"


static void ngx_steering_client(ngx_http_request_t *r,
    ngx_steering_main_conf_t *smcf, st_client_t *client);
static void ngx_steering_client_lookup(ngx_http_request_t *r,
    ngx_steering_main_conf_t *smcf, st_client_t *client);


ngx_steering_ctx_t *
ngx_steering_decide(ngx_http_request_t *r)
{
    ngx_str_t                  rest;
    ngx_uint_t                 i;
    st_cache_t                *c;
    st_params_t                params;
    st_decision_t              d;
    ngx_steering_ctx_t        *ctx;
    ngx_steering_pick_t       *pick;
    ngx_steering_loc_conf_t   *slcf;
    ngx_steering_main_conf_t  *smcf;
    st_live_t                  live[ST_MAX_CACHES];

    ctx = ngx_http_get_module_ctx(r, ngx_steering_module);

    if (ctx != NULL) {
        return ctx;
    }

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);
    slcf = ngx_http_get_module_loc_conf(r, ngx_steering_module);

    if (smcf->fleet == NULL || smcf->sh == NULL) {
        return NULL;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_steering_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    ngx_http_set_ctx(r, ctx, ngx_steering_module);

    ctx->done = 1;

    if (slcf->title != NULL) {
        if (ngx_http_complex_value(r, slcf->title, &ctx->title) != NGX_OK) {
            return NULL;
        }

    } else {
        (void) ngx_steering_title_default(r, &r->uri, &ctx->title, &rest);
    }

    if (ngx_steering_title_valid(&ctx->title) != NGX_OK) {
        ctx->status = NGX_HTTP_BAD_REQUEST;
        return ctx;
    }

    ngx_steering_fleet_refresh(smcf, r->connection->log);

    ngx_steering_client(r, smcf, &ctx->client);

    ngx_steering_live(smcf, live);

    ngx_memzero(&params, sizeof(st_params_t));
    params.subset = smcf->subset;
    params.range_km = (double) smcf->range_km;
    params.ttl[ST_TIER_ISP] = smcf->ttl[ST_TIER_ISP];
    params.ttl[ST_TIER_IXP] = smcf->ttl[ST_TIER_IXP];
    params.ttl[ST_TIER_ORIGIN] = smcf->ttl[ST_TIER_ORIGIN];
    params.has_presence = ngx_steering_presence(smcf, &ctx->title, live);

    ctx->has_presence = params.has_presence;

    st_decide(smcf->fleet->fleet, live, &ctx->client, ctx->title.data,
              ctx->title.len, &params, &d);

    /* copy: a fleet reload may free these strings before the log phase */

    for (i = 0; i < d.n; i++) {
        c = &smcf->fleet->fleet->caches[d.rank[i]];
        pick = &ctx->rank[i];

        pick->id.data = ngx_pnalloc(r->pool, c->id.len + c->url.len);
        if (pick->id.data == NULL) {
            return NULL;
        }

        pick->id.len = c->id.len;
        ngx_memcpy(pick->id.data, c->id.data, c->id.len);

        pick->url.data = pick->id.data + c->id.len;
        pick->url.len = c->url.len;
        ngx_memcpy(pick->url.data, c->url.data, c->url.len);

        pick->host.data = pick->url.data + (c->host.data - c->url.data);
        pick->host.len = c->host.len;

        pick->tier = c->tier;
        pick->score = d.score[i];
    }

    ctx->n = d.n;
    ctx->primary_count = d.primary_count;
    ctx->tier = d.tier;
    ctx->ttl = d.ttl;
    ctx->reason = d.reason;

    ngx_log_debug5(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "steering \"%V\": %V (%s, %s), %ui ranked",
                   &ctx->title, &ctx->rank[0].id, st_tier_name(d.tier),
                   st_reason_name(d.reason), ctx->n);

    return ctx;
}


/*
 * The client's ASN, country and location: from this worker's cache of
 * lookups by address when the databases are the ones it was filled from,
 * else looked up and kept (an entry per slot of the address's hash).
 */

static void
ngx_steering_client(ngx_http_request_t *r, ngx_steering_main_conf_t *smcf,
    st_client_t *client)
{
    u_char                   family, *addr;
    size_t                   len;
    MMDB_s                  *asn, *country, *city;
    uint32_t                 h;
    struct sockaddr         *sa;
    ngx_steering_client_t   *e;
    ngx_steering_clients_t  *cache;

    if (smcf->asn != NULL) {
        vodedge_geo_refresh(smcf->asn, smcf->reload, r->connection->log);
    }

    if (smcf->country != NULL) {
        vodedge_geo_refresh(smcf->country, smcf->reload, r->connection->log);
    }

    if (smcf->city != NULL) {
        vodedge_geo_refresh(smcf->city, smcf->reload, r->connection->log);
    }

    sa = r->connection->sockaddr;

    switch (sa->sa_family) {

    case AF_INET:
        addr = (u_char *) &((struct sockaddr_in *) sa)->sin_addr;
        len = 4;
        break;

#if (NGX_HAVE_INET6)
    case AF_INET6:
        addr = (u_char *) &((struct sockaddr_in6 *) sa)->sin6_addr;
        len = 16;
        break;
#endif

    default:
        ngx_steering_client_lookup(r, smcf, client);
        return;
    }

    family = (u_char) sa->sa_family;

    cache = smcf->clients;

    if (cache == NULL) {
        /* a worker's own, from its cycle's pool */
        cache = ngx_pcalloc(ngx_cycle->pool, sizeof(ngx_steering_clients_t));
        if (cache == NULL) {
            ngx_steering_client_lookup(r, smcf, client);
            return;
        }

        smcf->clients = cache;
    }

    asn = smcf->asn ? smcf->asn->mmdb : NULL;
    country = smcf->country ? smcf->country->mmdb : NULL;
    city = smcf->city ? smcf->city->mmdb : NULL;

    if (cache->asn != asn || cache->country != country || cache->city != city)
    {
        /* a database was reloaded: what was looked up in the old one
         * goes */
        ngx_memzero(cache->entries, sizeof(cache->entries));
        cache->asn = asn;
        cache->country = country;
        cache->city = city;
    }

    h = ngx_murmur_hash2(addr, len);
    e = &cache->entries[h % NGX_STEERING_CLIENTS];

    if (e->family == family && ngx_memcmp(e->addr, addr, len) == 0) {
        *client = e->client;
        return;
    }

    ngx_steering_client_lookup(r, smcf, client);

    e->family = family;
    ngx_memcpy(e->addr, addr, len);
    e->client = *client;
}


static void
ngx_steering_client_lookup(ngx_http_request_t *r,
    ngx_steering_main_conf_t *smcf, st_client_t *client)
{
    struct sockaddr  *sa;

    ngx_memzero(client, sizeof(st_client_t));

    sa = r->connection->sockaddr;

    if (smcf->asn != NULL) {
        if (vodedge_geo_asn(smcf->asn, sa, &client->asn, NULL, NULL,
                            r->connection->log)
            == NGX_OK)
        {
            client->has_asn = 1;
        }
    }

    if (smcf->country != NULL) {
        if (vodedge_geo_country(smcf->country, sa, client->country,
                                r->connection->log)
            == NGX_OK)
        {
            client->has_country = 1;
        }
    }

    if (smcf->city != NULL) {
        if (!client->has_country
            && vodedge_geo_country(smcf->city, sa, client->country,
                                   r->connection->log)
               == NGX_OK)
        {
            client->has_country = 1;
        }

        if (vodedge_geo_location(smcf->city, sa, &client->latitude,
                                 &client->longitude, r->connection->log)
            == NGX_OK)
        {
            client->has_location = 1;
        }
    }
}


/* The first path segment of uri after the location's prefix, and what
 * follows it; NGX_DECLINED when there is none or it is not a title. */

ngx_int_t
ngx_steering_title_default(ngx_http_request_t *r, ngx_str_t *uri,
    ngx_str_t *title, ngx_str_t *rest)
{
    u_char                    *p, *end, *q;
    ngx_http_core_loc_conf_t  *clcf;

    ngx_str_null(title);
    ngx_str_null(rest);

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    end = uri->data + uri->len;

#if (NGX_PCRE)
    if (clcf->regex != NULL) {
        /* no prefix to strip: the last segment */
        for (p = end; p > uri->data && p[-1] != '/'; p--) { /* void */ }

        title->data = p;
        title->len = end - p;

        return ngx_steering_title_valid(title);
    }
#endif

    if (uri->len < clcf->name.len
        || ngx_strncmp(uri->data, clcf->name.data, clcf->name.len) != 0)
    {
        return NGX_DECLINED;
    }

    p = uri->data + clcf->name.len;

    if (p < end && *p == '/') {
        p++;
    }

    for (q = p; q < end && *q != '/'; q++) { /* void */ }

    title->data = p;
    title->len = q - p;
    rest->data = q;
    rest->len = end - q;

    return ngx_steering_title_valid(title);
}


/* [A-Za-z0-9._-], 1 to NGX_STEERING_TITLE_MAX bytes, not starting with a
 * dot: what the packager accepts as a directory name in a URL */

ngx_int_t
ngx_steering_title_valid(ngx_str_t *title)
{
    u_char      c;
    ngx_uint_t  i;

    if (title->len == 0 || title->len > NGX_STEERING_TITLE_MAX
        || title->data[0] == '.')
    {
        return NGX_DECLINED;
    }

    for (i = 0; i < title->len; i++) {
        c = title->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_'))
        {
            return NGX_DECLINED;
        }
    }

    return NGX_OK;
}
