/*
 * ngx_vod_package_cache.c: parsed sample indexes in shared memory.
 *
 * One node per (file path, segment duration): an rbtree finds it, an LRU
 * queue evicts the least recently used when the slab is full, and the file
 * identity (inode, size, mtime) stored with it invalidates it when the file
 * changes.  Readers copy the views they need while holding the zone's
 * mutex, so no node is ever freed under a reader and no reference counts
 * are left behind by a worker that dies.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


typedef struct {
    ngx_rbtree_node_t     node;           /* key: hash of path */
    ngx_queue_t           lru;
    ngx_vod_file_id_t     id;
    uint32_t              segment_ms;
    uint32_t              path_len;
    size_t                index_len;
    u_char                data[1];        /* path, then the index blob,
                                             aligned to 8 */
} ngx_vod_cache_node_t;


typedef struct {
    ngx_vod_shm_t         shm;           /* first: the zone's head */
    vodedge_metrics_t    *metrics;        /* NULL: not counted */
} ngx_vod_cache_t;


static ngx_int_t ngx_vod_cache_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);
static ngx_int_t ngx_vod_cache_populate(ngx_shm_zone_t *zone);
static ngx_vod_cache_node_t *ngx_vod_cache_lookup(ngx_vod_cache_t *cache,
    ngx_str_t *path, uint32_t segment_ms, uint32_t hash);
static void ngx_vod_cache_delete(ngx_vod_cache_t *cache,
    ngx_vod_cache_node_t *cn);
static u_char *ngx_vod_cache_blob(ngx_vod_cache_node_t *cn);
static ngx_int_t ngx_vod_cache_cmp(ngx_vod_cache_node_t *cn, u_char *path,
    size_t len, uint32_t segment_ms);
static void ngx_vod_cache_insert_value(ngx_rbtree_node_t *temp,
    ngx_rbtree_node_t *node, ngx_rbtree_node_t *sentinel);


/*
 * A page of shared memory is mapped into a worker on its first touch, and a
 * long title's index spans a thousand pages: their faults doubled the time
 * of its first request.  Each worker maps the whole zone when it starts.
 */

void
ngx_vod_cache_init_worker(ngx_shm_zone_t *zone, ngx_log_t *log)
{
    if (ngx_vod_cache_populate(zone) != NGX_OK) {
        ngx_log_error(NGX_LOG_INFO, log, ngx_errno,
                      "vod: madvise(MADV_POPULATE_WRITE) failed, "
                      "vod_index_cache \"%V\" pages are mapped on first use",
                      &zone->shm.name);
    }
}


/* the packager's metrics count this zone's hits, misses and evictions */

void
ngx_vod_cache_metrics(ngx_shm_zone_t *zone, vodedge_metrics_t *m)
{
    ngx_vod_cache_t  *cache;

    cache = zone->data;
    cache->metrics = m;
}


static ngx_int_t
ngx_vod_cache_populate(ngx_shm_zone_t *zone)
{
#if (NGX_LINUX)

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE  23
#endif

    if (madvise(zone->shm.addr, zone->shm.size, MADV_POPULATE_WRITE) == 0) {
        return NGX_OK;
    }

#endif

    return NGX_ERROR;
}


ngx_shm_zone_t *
ngx_vod_cache_add(ngx_conf_t *cf, ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t  *zone;

    zone = ngx_shared_memory_add(cf, name, size, &ngx_vod_package_module);
    if (zone == NULL) {
        return NULL;
    }

    if (zone->data != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate zone \"%V\"", name);
        return NULL;
    }

    zone->init = ngx_vod_cache_init_zone;

    zone->data = ngx_pcalloc(cf->pool, sizeof(ngx_vod_cache_t));
    if (zone->data == NULL) {
        return NULL;
    }

    return zone;
}


static ngx_int_t
ngx_vod_cache_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_vod_shm_t  *old = data;

    return ngx_vod_shm_init(shm_zone, shm_zone->data, old,
                            ngx_vod_cache_insert_value, "vod_index_cache");
}


/*
 * Returns the cached index with the zone locked, or NULL with it unlocked.
 * The caller copies what it needs and calls ngx_vod_cache_unlock().
 */

u_char *
ngx_vod_cache_lock(ngx_shm_zone_t *zone, ngx_str_t *path,
    uint32_t segment_ms, ngx_vod_file_id_t *id, size_t *len)
{
    uint32_t               hash;
    ngx_vod_cache_t       *cache;
    ngx_vod_cache_node_t  *cn;

    cache = zone->data;
    hash = ngx_crc32_short(path->data, path->len);

    ngx_shmtx_lock(&cache->shm.shpool->mutex);

    cn = ngx_vod_cache_lookup(cache, path, segment_ms, hash);

    if (cn == NULL) {
        ngx_shmtx_unlock(&cache->shm.shpool->mutex);
        vodedge_metrics_inc(cache->metrics, NGX_VOD_M_CACHE_MISSES, 0);
        return NULL;
    }

    if (cn->id.uniq != id->uniq || cn->id.size != id->size
        || cn->id.mtime != id->mtime)
    {
        /* the file changed since it was indexed */
        ngx_vod_cache_delete(cache, cn);
        ngx_shmtx_unlock(&cache->shm.shpool->mutex);
        vodedge_metrics_inc(cache->metrics, NGX_VOD_M_CACHE_MISSES, 0);
        return NULL;
    }

    vodedge_metrics_inc(cache->metrics, NGX_VOD_M_CACHE_HITS, 0);

    ngx_queue_remove(&cn->lru);
    ngx_queue_insert_head(&cache->shm.sh->lru, &cn->lru);

    *len = cn->index_len;

    return ngx_vod_cache_blob(cn);
}


void
ngx_vod_cache_unlock(ngx_shm_zone_t *zone)
{
    ngx_vod_cache_t  *cache;

    cache = zone->data;

    ngx_shmtx_unlock(&cache->shm.shpool->mutex);
}


/*
 * An index over half of the zone is refused (NGX_DECLINED, one error line
 * naming the zone and its size) before anything is evicted for it: made
 * room for, it would empty the cache of every other title, and served
 * uncached it would be rebuilt on every request.  The operator sizes the
 * zone to the titles.
 */

ngx_int_t
ngx_vod_cache_refuse(ngx_shm_zone_t *zone, ngx_str_t *path, size_t len,
    ngx_log_t *log)
{
    if (len <= zone->shm.size / 2) {
        return NGX_OK;
    }

    ngx_log_error(NGX_LOG_ERR, log, 0,
                  "vod: \"%V\": index of %uz bytes is over half of "
                  "vod_index_cache \"%V\" of %uz bytes, refused",
                  path, len, &zone->shm.name, zone->shm.size);

    return NGX_DECLINED;
}


/*
 * Allocates a node for an index of len bytes, evicting the least recently
 * used as needed.  The node stays invisible to other workers until
 * ngx_vod_cache_commit(), so its owner fills it without the lock.
 */

u_char *
ngx_vod_cache_reserve(ngx_shm_zone_t *zone, ngx_str_t *path,
    uint32_t segment_ms, ngx_vod_file_id_t *id, size_t len, ngx_log_t *log,
    void **node)
{
    size_t                 size;
    ngx_queue_t           *q;
    ngx_vod_cache_t       *cache;
    ngx_vod_cache_node_t  *cn;

    cache = zone->data;

    size = offsetof(ngx_vod_cache_node_t, data)
           + ngx_align(path->len, 8) + len;

    ngx_shmtx_lock(&cache->shm.shpool->mutex);

    for ( ;; ) {
        cn = ngx_slab_alloc_locked(cache->shm.shpool, size);
        if (cn != NULL) {
            break;
        }

        if (ngx_queue_empty(&cache->shm.sh->lru)) {
            ngx_shmtx_unlock(&cache->shm.shpool->mutex);
            ngx_log_error(NGX_LOG_WARN, log, 0,
                          "vod: index of \"%V\" (%uz bytes) does not fit in "
                          "vod_index_cache \"%V\", served uncached",
                          path, len, &zone->shm.name);
            return NULL;
        }

        q = ngx_queue_last(&cache->shm.sh->lru);
        ngx_vod_cache_delete(cache,
                             ngx_queue_data(q, ngx_vod_cache_node_t, lru));

        vodedge_metrics_inc(cache->metrics, NGX_VOD_M_CACHE_EVICTIONS, 0);
    }

    ngx_shmtx_unlock(&cache->shm.shpool->mutex);

    cn->node.key = ngx_crc32_short(path->data, path->len);
    cn->id = *id;
    cn->segment_ms = segment_ms;
    cn->path_len = path->len;
    cn->index_len = len;
    ngx_memcpy(cn->data, path->data, path->len);

    *node = cn;

    return ngx_vod_cache_blob(cn);
}


/* makes a reserved node visible, replacing an older one of the same key */

void
ngx_vod_cache_commit(ngx_shm_zone_t *zone, void *node)
{
    ngx_str_t              path;
    ngx_vod_cache_t       *cache;
    ngx_vod_cache_node_t  *cn, *old;

    cache = zone->data;
    cn = node;

    path.data = cn->data;
    path.len = cn->path_len;

    ngx_shmtx_lock(&cache->shm.shpool->mutex);

    /* another worker may have indexed the same file meanwhile */
    old = ngx_vod_cache_lookup(cache, &path, cn->segment_ms, cn->node.key);
    if (old != NULL) {
        ngx_vod_cache_delete(cache, old);
    }

    ngx_rbtree_insert(&cache->shm.sh->rbtree, &cn->node);
    ngx_queue_insert_head(&cache->shm.sh->lru, &cn->lru);

    ngx_shmtx_unlock(&cache->shm.shpool->mutex);
}


void
ngx_vod_cache_cancel(ngx_shm_zone_t *zone, void *node)
{
    ngx_vod_cache_t  *cache;

    cache = zone->data;

    ngx_shmtx_lock(&cache->shm.shpool->mutex);
    ngx_slab_free_locked(cache->shm.shpool, node);
    ngx_shmtx_unlock(&cache->shm.shpool->mutex);
}


ngx_int_t
ngx_vod_cache_insert(ngx_shm_zone_t *zone, ngx_str_t *path,
    uint32_t segment_ms, ngx_vod_file_id_t *id, u_char *index, size_t len,
    ngx_log_t *log)
{
    u_char  *blob;
    void    *node;

    blob = ngx_vod_cache_reserve(zone, path, segment_ms, id, len, log, &node);
    if (blob == NULL) {
        return NGX_DECLINED;
    }

    ngx_memcpy(blob, index, len);
    ngx_vod_cache_commit(zone, node);

    return NGX_OK;
}


static ngx_vod_cache_node_t *
ngx_vod_cache_lookup(ngx_vod_cache_t *cache, ngx_str_t *path,
    uint32_t segment_ms, uint32_t hash)
{
    ngx_int_t              rc;
    ngx_rbtree_node_t     *node, *sentinel;
    ngx_vod_cache_node_t  *cn;

    node = cache->shm.sh->rbtree.root;
    sentinel = cache->shm.sh->rbtree.sentinel;

    while (node != sentinel) {

        if (hash != node->key) {
            node = (hash < node->key) ? node->left : node->right;
            continue;
        }

        cn = (ngx_vod_cache_node_t *) node;

        rc = ngx_vod_cache_cmp(cn, path->data, path->len, segment_ms);

        if (rc == 0) {
            return cn;
        }

        node = (rc < 0) ? node->left : node->right;
    }

    return NULL;
}


/* orders nodes of equal hash, so lookups and inserts agree */

static ngx_int_t
ngx_vod_cache_cmp(ngx_vod_cache_node_t *cn, u_char *path, size_t len,
    uint32_t segment_ms)
{
    ngx_int_t  rc;

    rc = ngx_memn2cmp(path, cn->data, len, cn->path_len);
    if (rc != 0) {
        return rc;
    }

    if (segment_ms != cn->segment_ms) {
        return (segment_ms < cn->segment_ms) ? -1 : 1;
    }

    return 0;
}


static void
ngx_vod_cache_insert_value(ngx_rbtree_node_t *temp, ngx_rbtree_node_t *node,
    ngx_rbtree_node_t *sentinel)
{
    ngx_rbtree_node_t     **p;
    ngx_vod_cache_node_t   *cn;

    cn = (ngx_vod_cache_node_t *) node;

    for ( ;; ) {

        if (node->key != temp->key) {
            p = (node->key < temp->key) ? &temp->left : &temp->right;

        } else {
            p = (ngx_vod_cache_cmp((ngx_vod_cache_node_t *) temp, cn->data,
                                   cn->path_len, cn->segment_ms) < 0)
                ? &temp->left : &temp->right;
        }

        if (*p == sentinel) {
            break;
        }

        temp = *p;
    }

    *p = node;
    node->parent = temp;
    node->left = sentinel;
    node->right = sentinel;
    ngx_rbt_red(node);
}


static void
ngx_vod_cache_delete(ngx_vod_cache_t *cache, ngx_vod_cache_node_t *cn)
{
    ngx_queue_remove(&cn->lru);
    ngx_rbtree_delete(&cache->shm.sh->rbtree, &cn->node);
    ngx_slab_free_locked(cache->shm.shpool, cn);
}


static u_char *
ngx_vod_cache_blob(ngx_vod_cache_node_t *cn)
{
    return cn->data + ngx_align(cn->path_len, 8);
}
