/*
 * ngx_vod_package_header.c: what every response of the packager carries,
 * whichever way its body is sent: the ETag (a hash of the virtual file's
 * name and its sources' identities), Cache-Control, CORS and the length.
 * Ranges, HEAD and conditional requests are left to nginx's own filters.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"




/* FNV-1a: stable across workers and restarts, unlike pointers or pids */

uint64_t
ngx_vod_etag_add(uint64_t hash, const void *data, size_t len)
{
    const u_char  *p, *last;

    if (hash == 0) {
        hash = 0xcbf29ce484222325ULL;
    }

    for (p = data, last = p + len; p < last; p++) {
        hash ^= *p;
        hash *= 0x100000001b3ULL;
    }

    return hash;
}


/* a source file's identity and the segment duration, added to hash */

uint64_t
ngx_vod_media_etag(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t hash)
{
    uint32_t                     ms;
    ngx_vod_file_id_t            id;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    ngx_memzero(&id, sizeof(ngx_vod_file_id_t));
    id.uniq = media->of.uniq;
    id.size = media->of.size;
    id.mtime = media->of.mtime;
    ms = (uint32_t) vlcf->segment_duration;

    hash = ngx_vod_etag_add(hash, media->id.data, media->id.len);
    hash = ngx_vod_etag_add(hash, &id, sizeof(ngx_vod_file_id_t));

    return ngx_vod_etag_add(hash, &ms, sizeof(ms));
}


/* the virtual file's name, then the source file's identity */

uint64_t
ngx_vod_url_etag(ngx_http_request_t *r, vod_url_t *url,
    ngx_vod_media_t *media)
{
    uint64_t  hash;

    hash = ngx_vod_etag_add(0, &url->kind, sizeof(url->kind));
    hash = ngx_vod_etag_add(hash, &url->stream, sizeof(url->stream));

    if (url->kind == VOD_URL_SEGMENT) {
        hash = ngx_vod_etag_add(hash, &url->segment, sizeof(url->segment));
        hash = ngx_vod_etag_add(hash, &url->key, sizeof(url->key));
    }

    if (url->track_id != 0) {
        hash = ngx_vod_etag_add(hash, &url->track_id, sizeof(url->track_id));
    }

    hash = ngx_vod_protect_etag(r, hash);

    return ngx_vod_media_etag(r, media, hash);
}


ngx_int_t
ngx_vod_send_header(ngx_http_request_t *r, ngx_vod_output_t *out,
    off_t length)
{
    u_char                      *p;
    ngx_str_t                    value;
    ngx_table_elt_t             *elt;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = length;
    r->headers_out.last_modified_time = out->mtime;
    r->headers_out.content_type = *out->type;
    r->headers_out.content_type_len = out->type->len;
    r->allow_ranges = 1;

    p = ngx_pnalloc(r->pool, sizeof("\"0123456789abcdef\"") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, "\"%016uxL\"", out->etag) - p;

    if (ngx_vod_add_header(r, "ETag", &value, &elt) != NGX_OK) {
        return NGX_ERROR;
    }

    r->headers_out.etag = elt;

    if (out->cache_control->len > 0
        && ngx_vod_add_header(r, "Cache-Control", out->cache_control, &elt)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (vlcf->cors_origin.len > 0
        && ngx_vod_add_header(r, "Access-Control-Allow-Origin",
                              &vlcf->cors_origin, &elt)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_send_header(r);
}


ngx_int_t
ngx_vod_add_header(ngx_http_request_t *r, char *key, ngx_str_t *value,
    ngx_table_elt_t **elt)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    *elt = h;

    return NGX_OK;
}
