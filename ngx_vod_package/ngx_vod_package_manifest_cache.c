/*
 * ngx_vod_package_manifest_cache.c: multivariant playlists and MPDs
 * remembered per worker.  A manifest's ETag already hashes everything it
 * is made from (its kind, title.json, each rendition file's identity and
 * the segment duration, a tier's ceiling), so a manifest generated once
 * serves every later request with that ETag and directory: the title is
 * still looked at on every request (that is how the ETag is known), only
 * writing the text again is saved.  Small and direct-mapped.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


#define NGX_VOD_MANIFEST_ENTRIES  64
#define NGX_VOD_MANIFEST_MAX      (64 * 1024)    /* larger: not kept */


typedef struct {
    uint64_t      etag;
    u_char       *dir;            /* malloc()ed, with the body after it */
    size_t        dir_len;
    u_char       *body;
    size_t        len;
} ngx_vod_manifest_entry_t;


static ngx_vod_manifest_entry_t  *ngx_vod_manifests;


/* a copy in the request's pool: the entry may be replaced meanwhile */

u_char *
ngx_vod_manifest_cache_get(ngx_http_request_t *r, ngx_str_t *dir,
    uint64_t etag, size_t *len)
{
    u_char                    *p;
    ngx_vod_manifest_entry_t  *e;

    if (ngx_vod_manifests == NULL) {
        return NULL;
    }

    e = &ngx_vod_manifests[etag % NGX_VOD_MANIFEST_ENTRIES];

    if (e->dir == NULL || e->etag != etag || e->dir_len != dir->len
        || ngx_memcmp(e->dir, dir->data, dir->len) != 0)
    {
        return NULL;
    }

    p = ngx_pnalloc(r->pool, e->len);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, e->body, e->len);
    *len = e->len;

    return p;
}


void
ngx_vod_manifest_cache_put(ngx_str_t *dir, uint64_t etag, u_char *body,
    size_t len, ngx_log_t *log)
{
    u_char                    *p;
    ngx_vod_manifest_entry_t  *e;

    if (len > NGX_VOD_MANIFEST_MAX) {
        return;
    }

    if (ngx_vod_manifests == NULL) {
        ngx_vod_manifests = ngx_calloc(NGX_VOD_MANIFEST_ENTRIES
                                       * sizeof(ngx_vod_manifest_entry_t),
                                       log);
        if (ngx_vod_manifests == NULL) {
            return;
        }
    }

    e = &ngx_vod_manifests[etag % NGX_VOD_MANIFEST_ENTRIES];

    p = ngx_alloc(dir->len + len, log);
    if (p == NULL) {
        return;
    }

    if (e->dir != NULL) {
        ngx_free(e->dir);
    }

    e->etag = etag;
    e->dir = p;
    e->dir_len = dir->len;
    e->body = ngx_cpymem(p, dir->data, dir->len);
    e->len = len;
    ngx_memcpy(e->body, body, len);
}
