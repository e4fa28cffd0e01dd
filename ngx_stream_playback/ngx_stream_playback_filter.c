/*
 * ngx_stream_playback_filter.c: the edge's last word on a response.  The
 * origin marks each response of a video rendition with X-Vod-Rendition
 * (its height and average bit rate), and proxy_cache keeps that header
 * with the object; here, after the upstream or the cache produced the
 * response, a rendition above the viewer's tier is turned into a 403 with
 * a JSON body and the upstream's body is dropped.  The header never
 * reaches viewers.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


static ngx_int_t ngx_stream_playback_filter_init(ngx_conf_t *cf);
static ngx_int_t ngx_stream_playback_header_filter(ngx_http_request_t *r);
static ngx_int_t ngx_stream_playback_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_table_elt_t *ngx_stream_playback_rendition(ngx_http_request_t *r);
static ngx_int_t ngx_stream_playback_parse_rendition(ngx_str_t *value,
    ngx_uint_t *height, uint64_t *bitrate);
static ngx_int_t ngx_stream_playback_tier_refuse(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx);


static ngx_http_module_t  ngx_stream_playback_filter_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_stream_playback_filter_init,       /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_stream_playback_filter_module = {
    NGX_MODULE_V1,
    &ngx_stream_playback_filter_module_ctx, /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_output_header_filter_pt  ngx_http_next_header_filter;
static ngx_http_output_body_filter_pt    ngx_http_next_body_filter;


static ngx_int_t
ngx_stream_playback_filter_init(ngx_conf_t *cf)
{
    ngx_http_next_header_filter = ngx_http_top_header_filter;
    ngx_http_top_header_filter = ngx_stream_playback_header_filter;

    ngx_http_next_body_filter = ngx_http_top_body_filter;
    ngx_http_top_body_filter = ngx_stream_playback_body_filter;

    return NGX_OK;
}


static ngx_int_t
ngx_stream_playback_header_filter(ngx_http_request_t *r)
{
    uint64_t                         bitrate;
    ngx_uint_t                       height;
    ngx_table_elt_t                 *h;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_tier_t      *tier;
    ngx_stream_playback_loc_conf_t  *plcf;

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (!plcf->enable || r != r->main) {
        return ngx_http_next_header_filter(r);
    }

    h = ngx_stream_playback_rendition(r);
    if (h == NULL) {
        return ngx_http_next_header_filter(r);
    }

    h->hash = 0;

    if (!plcf->tiers) {
        return ngx_http_next_header_filter(r);
    }

    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);
    tier = ngx_stream_playback_request_tier(r, ctx);

    if (tier == NULL) {
        /* no verified token got here: the access phase refused already */
        return ngx_http_next_header_filter(r);
    }

    if (ngx_stream_playback_parse_rendition(&h->value, &height, &bitrate)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "playback: malformed X-Vod-Rendition \"%V\" from "
                      "upstream, refused", &h->value);
        height = NGX_MAX_INT_T_VALUE;
        bitrate = 0;
    }

    if (height <= tier->max_height && bitrate <= tier->max_bitrate) {
        return ngx_http_next_header_filter(r);
    }

    ngx_stream_playback_count(r, NGX_PB_M_TIER, "above-tier");

    ngx_log_error(plcf->log_level, r->connection->log, 0,
                  "playback tier refused: tier \"%V\" allows %ui lines at "
                  "%uL bit/s, the rendition has %ui at %uL",
                  &tier->name, tier->max_height, tier->max_bitrate, height,
                  bitrate);

    return ngx_stream_playback_tier_refuse(r, ctx);
}


/* everything the upstream said goes, but the status and a JSON body */

static ngx_int_t
ngx_stream_playback_tier_refuse(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx)
{
    size_t            len;
    ngx_buf_t        *b;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    len = sizeof("{\"error\":\"forbidden\",\"reason\":\"tier\","
                 "\"tier\":\"\"}\n")
          - 1 + ctx->tier->name.len;

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_ERROR;
    }

    /* tier names come from the configuration: no escaping needed */
    b->last = ngx_sprintf(b->last,
                          "{\"error\":\"forbidden\",\"reason\":\"tier\","
                          "\"tier\":\"%V\"}\n", &ctx->tier->name);
    b->last_buf = 1;
    b->last_in_chain = 1;

    ctx->refusal = b;

    part = &r->headers_out.headers.part;
    i = 0;

    while ((h = ngx_stream_playback_header_next(&part, &i)) != NULL) {
        h->hash = 0;
    }

    r->headers_out.status = NGX_HTTP_FORBIDDEN;
    r->headers_out.status_line.len = 0;
    r->headers_out.content_length = NULL;
    r->headers_out.content_length_n = len;
    r->headers_out.content_encoding = NULL;
    r->headers_out.content_range = NULL;
    r->headers_out.location = NULL;
    r->headers_out.last_modified = NULL;
    r->headers_out.last_modified_time = -1;
    r->headers_out.etag = NULL;
    r->headers_out.expires = NULL;
    r->allow_ranges = 0;

    ngx_str_set(&r->headers_out.content_type, "application/json");
    r->headers_out.content_type_len = r->headers_out.content_type.len;
    r->headers_out.content_type_lowcase = NULL;
    r->headers_out.charset.len = 0;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "Cache-Control");
    ngx_str_set(&h->value, "no-store");

    return ngx_http_next_header_filter(r);
}


static ngx_int_t
ngx_stream_playback_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_buf_t                  *b;
    ngx_chain_t                *cl, out;
    ngx_stream_playback_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

    if (ctx == NULL || ctx->refusal == NULL || r != r->main) {
        return ngx_http_next_body_filter(r, in);
    }

    /* the upstream's body is consumed unseen (the cache still keeps it) */

    for (cl = in; cl != NULL; cl = cl->next) {
        b = cl->buf;

        if (ngx_buf_in_memory(b)) {
            b->pos = b->last;
        }

        if (b->in_file) {
            b->file_pos = b->file_last;
        }
    }

    if (ctx->refusal->last_buf == 0 || r->header_only) {
        return NGX_OK;
    }

    out.buf = ctx->refusal;
    out.next = NULL;

    /* sent once: the flag stays set in the copy that goes out */
    ctx->refusal = ngx_calloc_buf(r->pool);
    if (ctx->refusal == NULL) {
        return NGX_ERROR;
    }

    return ngx_http_next_body_filter(r, &out);
}


static ngx_table_elt_t *
ngx_stream_playback_rendition(ngx_http_request_t *r)
{
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    part = &r->headers_out.headers.part;
    i = 0;

    while ((h = ngx_stream_playback_header_next(&part, &i)) != NULL) {
        if (h->hash != 0
            && h->key.len == sizeof("X-Vod-Rendition") - 1
            && ngx_strncasecmp(h->key.data, (u_char *) "X-Vod-Rendition",
                               h->key.len)
               == 0)
        {
            return h;
        }
    }

    return NULL;
}


/* "height=720, bitrate=2800000", as ngx_vod_package_limits.c writes it */

static ngx_int_t
ngx_stream_playback_parse_rendition(ngx_str_t *value, ngx_uint_t *height,
    uint64_t *bitrate)
{
    u_char  *p, *last, *start;
    off_t    n;

    p = value->data;
    last = p + value->len;

    if (last - p < 7 || ngx_strncmp(p, "height=", 7) != 0) {
        return NGX_ERROR;
    }

    for (start = p += 7; p < last && *p != ','; p++) { /* void */ }

    n = ngx_atoof(start, p - start);
    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *height = (ngx_uint_t) n;

    if (last - p < 10 || ngx_strncmp(p, ", bitrate=", 10) != 0) {
        return NGX_ERROR;
    }

    p += 10;

    n = ngx_atoof(p, last - p);
    if (n == NGX_ERROR) {
        return NGX_ERROR;
    }

    *bitrate = (uint64_t) n;

    return NGX_OK;
}
