/*
 * ngx_vod_package_manifest_cache.c: multivariant playlists, MPDs and
 * tracks.json remembered per worker, one per title, location, kind and
 * tier ceiling (the key).  A manifest's ETag hashes everything it is made
 * from (its kind, title.json, each file's identity and the segment
 * duration, the ceiling): while a request finds the ETag it was made with,
 * its text is not written again.  Finding the ETag means looking at every
 * file of the title (title.json, the directory, a dozen renditions and
 * sidecars: more work than a static file's whole request), so under
 * open_file_cache an entry whose files were looked at in the current
 * second is served as it is (_manifest.c).  Small and direct-mapped.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


#define NGX_VOD_MANIFEST_ENTRIES  64
#define NGX_VOD_MANIFEST_MAX      (64 * 1024)    /* larger: not kept */


typedef struct {
    uint64_t      key;
    uint64_t      etag;
    time_t        mtime;
    time_t        checked;        /* when its files last gave this ETag */
    u_char       *dir;            /* malloc()ed, with the body after it */
    size_t        dir_len;
    u_char       *body;
    size_t        len;
} ngx_vod_manifest_entry_t;


static ngx_vod_manifest_entry_t *ngx_vod_manifest_find(ngx_str_t *dir,
    uint64_t key);
static u_char *ngx_vod_manifest_copy(ngx_http_request_t *r,
    ngx_vod_manifest_entry_t *e, size_t *len);


static ngx_vod_manifest_entry_t  *ngx_vod_manifests;


/* the entry whose files were looked at this second: its ETag, mtime and a
 * copy of its text; NULL when there is none */

u_char *
ngx_vod_manifest_cache_fresh(ngx_http_request_t *r, ngx_str_t *dir,
    uint64_t key, uint64_t *etag, time_t *mtime, size_t *len)
{
    ngx_vod_manifest_entry_t  *e;

    e = ngx_vod_manifest_find(dir, key);
    if (e == NULL || e->checked != ngx_time()) {
        return NULL;
    }

    *etag = e->etag;
    *mtime = e->mtime;

    return ngx_vod_manifest_copy(r, e, len);
}


/* the text made with this ETag, its files just looked at */

u_char *
ngx_vod_manifest_cache_get(ngx_http_request_t *r, ngx_str_t *dir,
    uint64_t key, uint64_t etag, size_t *len)
{
    ngx_vod_manifest_entry_t  *e;

    e = ngx_vod_manifest_find(dir, key);
    if (e == NULL || e->etag != etag) {
        return NULL;
    }

    e->checked = ngx_time();

    return ngx_vod_manifest_copy(r, e, len);
}


void
ngx_vod_manifest_cache_put(ngx_str_t *dir, uint64_t key, uint64_t etag,
    time_t mtime, u_char *body, size_t len, ngx_log_t *log)
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

    e = &ngx_vod_manifests[key % NGX_VOD_MANIFEST_ENTRIES];

    p = ngx_alloc(dir->len + len, log);
    if (p == NULL) {
        return;
    }

    if (e->dir != NULL) {
        ngx_free(e->dir);
    }

    e->key = key;
    e->etag = etag;
    e->mtime = mtime;
    e->checked = ngx_time();
    e->dir = p;
    e->dir_len = dir->len;
    e->body = ngx_cpymem(p, dir->data, dir->len);
    e->len = len;
    ngx_memcpy(e->body, body, len);
}


static ngx_vod_manifest_entry_t *
ngx_vod_manifest_find(ngx_str_t *dir, uint64_t key)
{
    ngx_vod_manifest_entry_t  *e;

    if (ngx_vod_manifests == NULL) {
        return NULL;
    }

    e = &ngx_vod_manifests[key % NGX_VOD_MANIFEST_ENTRIES];

    if (e->dir == NULL || e->key != key || e->dir_len != dir->len
        || ngx_memcmp(e->dir, dir->data, dir->len) != 0)
    {
        return NULL;
    }

    return e;
}


/* a copy in the request's pool: the entry may be replaced meanwhile */

static u_char *
ngx_vod_manifest_copy(ngx_http_request_t *r, ngx_vod_manifest_entry_t *e,
    size_t *len)
{
    u_char  *p;

    p = ngx_pnalloc(r->pool, e->len);
    if (p == NULL) {
        return NULL;
    }

    ngx_memcpy(p, e->body, e->len);
    *len = e->len;

    return p;
}
