/*
 * ngx_vod_package_limits.c: subscription tiers, the origin's half.  The
 * edge knows a viewer's tier and passes its ceiling on a manifest request
 * (X-Vod-Max-Height, X-Vod-Max-Bitrate); the origin lists only the
 * renditions under it.  Every response of one video rendition says what
 * that rendition is (X-Vod-Rendition), so that the edge can refuse it to
 * a lower tier even when it serves it from its cache.  Both sides compare
 * the same two numbers: the video's height and its average bit rate.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


static ngx_int_t ngx_vod_limit_header(ngx_http_request_t *r, char *name,
    size_t len, uint64_t *value);


ngx_int_t
ngx_vod_package_request_limits(ngx_http_request_t *r, uint32_t *max_height,
    uint64_t *max_bitrate)
{
    uint64_t  height;

    if (ngx_vod_limit_header(r, "X-Vod-Max-Height",
                             sizeof("X-Vod-Max-Height") - 1, &height)
        != NGX_OK
        || ngx_vod_limit_header(r, "X-Vod-Max-Bitrate",
                                sizeof("X-Vod-Max-Bitrate") - 1, max_bitrate)
           != NGX_OK)
    {
        return NGX_HTTP_BAD_REQUEST;
    }

    if (height > NGX_MAX_UINT32_VALUE) {
        height = NGX_MAX_UINT32_VALUE;
    }

    *max_height = (uint32_t) height;

    return NGX_OK;
}


/* 0 when absent; NGX_ERROR (logged) when not a decimal number */

static ngx_int_t
ngx_vod_limit_header(ngx_http_request_t *r, char *name, size_t len,
    uint64_t *value)
{
    off_t             n;
    ngx_uint_t        i;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h;

    *value = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NGX_OK;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].key.len != len
            || ngx_strncasecmp(h[i].key.data, (u_char *) name, len) != 0)
        {
            continue;
        }

        n = ngx_atoof(h[i].value.data, h[i].value.len);

        if (n == NGX_ERROR) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod_package: %s \"%V\" is not a number",
                          name, &h[i].value);
            return NGX_ERROR;
        }

        *value = (uint64_t) n;

        return NGX_OK;
    }
}


ngx_int_t
ngx_vod_package_rendition_header(ngx_http_request_t *r,
    vod_track_info_t *video)
{
    u_char           *p;
    ngx_table_elt_t  *h;

    if (video == NULL) {
        return NGX_OK;
    }

    p = ngx_pnalloc(r->pool, sizeof("height=, bitrate=") - 1
                             + NGX_INT32_LEN + NGX_INT64_LEN);
    if (p == NULL) {
        return NGX_ERROR;
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "X-Vod-Rendition");
    h->value.data = p;
    h->value.len = ngx_sprintf(p, "height=%uD, bitrate=%uL",
                               video->height, video->avg_bitrate)
                   - p;

    return NGX_OK;
}
