/*
 * ngx_steering_output.c: a decision written out:
 *
 *   GET /steer/{title}        {"title", "primary", "fallbacks", "ttl",
 *                              "tier", "reason", "client"}
 *   GET /steer/{title}/hls    an HLS Content Steering manifest: VERSION,
 *                             TTL, RELOAD-URI, PATHWAY-PRIORITY and
 *                             PATHWAY-CLONES that copy the base Pathway
 *                             (steering_pathway) with URI-REPLACEMENT HOST
 *   GET /steer/{title}/dash   the same for DASH, with
 *                             SERVICE-LOCATION-PRIORITY for older players
 *   redirect mode             302 to the primary, same path and query
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"


static u_char *ngx_steering_pick_json(u_char *p, ngx_steering_pick_t *pick);
static u_char *ngx_steering_priority(u_char *p, ngx_steering_ctx_t *ctx,
    const char *name);


ngx_int_t
ngx_steering_output(ngx_http_request_t *r, ngx_steering_ctx_t *ctx,
    ngx_uint_t format)
{
    size_t                    size, uri;
    ngx_buf_t                *b;
    ngx_uint_t                i, clones;
    ngx_table_elt_t          *h;
    ngx_steering_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_steering_module);

    uri = r->unparsed_uri.len
          + ngx_escape_json(NULL, r->unparsed_uri.data, r->unparsed_uri.len);

    size = sizeof("{\"title\":\"\",\"primary\":,\"fallbacks\":[],"
                  "\"ttl\":,\"tier\":\"origin\",\"reason\":\"\","
                  "\"client\":{\"asn\":,\"country\":\"\"}}\n")
           + NGX_STEERING_TITLE_MAX + 2 * NGX_INT_T_LEN + 32
           + sizeof("{\"VERSION\":1,\"TTL\":,\"RELOAD-URI\":\"\","
                    "\"SERVICE-LOCATION-PRIORITY\":[],"
                    "\"PATHWAY-PRIORITY\":[],\"PATHWAY-CLONES\":[]}\n")
           + uri + slcf->pathway.len
           + ST_RANK_MAX * (sizeof("{\"id\":\"\",\"url\":\"\","
                                   "\"tier\":\"origin\",\"score\":.000},")
                            + 2 * (ST_ID_MAX + 3) + NGX_INT_T_LEN
                            + sizeof("{\"BASE-ID\":\"\",\"ID\":\"\","
                                     "\"URI-REPLACEMENT\":{\"HOST\":\"\"}},")
                            + 2 * ST_ID_MAX + 7 * ST_URL_MAX);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (format == NGX_STEERING_FORMAT_JSON) {
        b->last = ngx_sprintf(b->last, "{\"title\":\"%V\",\"primary\":",
                              &ctx->title);
        b->last = ngx_steering_pick_json(b->last, &ctx->rank[0]);
        b->last = ngx_cpymem(b->last, ",\"fallbacks\":[", 14);

        for (i = 1; i < ctx->n; i++) {
            if (i > 1) {
                *b->last++ = ',';
            }

            b->last = ngx_steering_pick_json(b->last, &ctx->rank[i]);
        }

        b->last = ngx_sprintf(b->last,
                              "],\"ttl\":%uD,\"tier\":\"%s\","
                              "\"reason\":\"%s\",\"client\":{\"asn\":",
                              ctx->ttl, st_tier_name(ctx->tier),
                              st_reason_name(ctx->reason));

        if (ctx->client.has_asn) {
            b->last = ngx_sprintf(b->last, "%uD", ctx->client.asn);

        } else {
            b->last = ngx_cpymem(b->last, "null", 4);
        }

        if (ctx->client.has_country) {
            b->last = ngx_sprintf(b->last, ",\"country\":\"%c%c\"}}\n",
                                  ctx->client.country[0],
                                  ctx->client.country[1]);

        } else {
            b->last = ngx_cpymem(b->last, ",\"country\":null}}\n", 18);
        }

        goto send;
    }

    /* a Content Steering manifest */

    b->last = ngx_sprintf(b->last,
                          "{\"VERSION\":1,\"TTL\":%uD,\"RELOAD-URI\":\"",
                          ctx->ttl);
    b->last = (u_char *) ngx_escape_json(b->last, r->unparsed_uri.data,
                                         r->unparsed_uri.len);
    *b->last++ = '"';

    if (format == NGX_STEERING_FORMAT_DASH) {
        b->last = ngx_steering_priority(b->last, ctx,
                                        "SERVICE-LOCATION-PRIORITY");
    }

    b->last = ngx_steering_priority(b->last, ctx, "PATHWAY-PRIORITY");

    b->last = ngx_cpymem(b->last, ",\"PATHWAY-CLONES\":[", 19);

    clones = 0;

    for (i = 0; i < ctx->n; i++) {
        if (ctx->rank[i].id.len == slcf->pathway.len
            && ngx_strncmp(ctx->rank[i].id.data, slcf->pathway.data,
                           slcf->pathway.len)
               == 0)
        {
            /* the base Pathway itself, served where the manifest was */
            continue;
        }

        if (clones++) {
            *b->last++ = ',';
        }

        b->last = ngx_sprintf(b->last,
                              "{\"BASE-ID\":\"%V\",\"ID\":\"%V\","
                              "\"URI-REPLACEMENT\":{\"HOST\":\"",
                              &slcf->pathway, &ctx->rank[i].id);
        b->last = (u_char *) ngx_escape_json(b->last, ctx->rank[i].host.data,
                                             ctx->rank[i].host.len);
        b->last = ngx_cpymem(b->last, "\"}}", 3);
    }

    b->last = ngx_cpymem(b->last, "]}\n", 3);

send:

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the players reload after TTL; nothing in between should keep it */
    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    return vodedge_json_send(r, NGX_HTTP_OK, b);
}


ngx_int_t
ngx_steering_redirect(ngx_http_request_t *r, ngx_steering_ctx_t *ctx)
{
    u_char               *p;
    size_t                len;
    ngx_table_elt_t      *h;
    ngx_steering_pick_t  *pick;

    pick = &ctx->rank[0];

    len = pick->url.len + r->unparsed_uri.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_http_clear_location(r);

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Location");
    h->value.data = p;

    p = ngx_cpymem(p, pick->url.data, pick->url.len);
    p = ngx_cpymem(p, r->unparsed_uri.data, r->unparsed_uri.len);

    h->value.len = p - h->value.data;
    r->headers_out.location = h;

    return NGX_HTTP_MOVED_TEMPORARILY;
}


static u_char *
ngx_steering_pick_json(u_char *p, ngx_steering_pick_t *pick)
{
    p = ngx_sprintf(p, "{\"id\":\"%V\",\"url\":\"", &pick->id);
    p = (u_char *) ngx_escape_json(p, pick->url.data, pick->url.len);

    return ngx_sprintf(p, "\",\"tier\":\"%s\",\"score\":%uD.%03uD}",
                       st_tier_name(pick->tier), pick->score / 1000,
                       pick->score % 1000);
}


static u_char *
ngx_steering_priority(u_char *p, ngx_steering_ctx_t *ctx, const char *name)
{
    ngx_uint_t  i;

    p = ngx_sprintf(p, ",\"%s\":[", name);

    for (i = 0; i < ctx->n; i++) {
        if (i > 0) {
            *p++ = ',';
        }

        p = ngx_sprintf(p, "\"%V\"", &ctx->rank[i].id);
    }

    *p++ = ']';

    return p;
}
