/*
 * ngx_vod_package_shm.c: what the packager's shared memory zones (the
 * index cache, vod_index_cache, and the key cache,
 * vod_encryption_key_cache) have in common: entries in an rbtree and an
 * LRU queue at the head of the slab, made once and found again by every
 * worker and after a reload.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


/*
 * The zone's head for *sh: the old cycle's on a reload (old), the one the
 * slab holds when the zone exists, or a new one whose tree inserts with
 * insert.  The slab's error lines name the zone and its directive; a
 * full slab is not logged, the zones evict instead.
 */

ngx_int_t
ngx_vod_shm_init(ngx_shm_zone_t *shm_zone, ngx_vod_shm_t *shm,
    ngx_vod_shm_t *old, ngx_rbtree_insert_pt insert, const char *directive)
{
    size_t  len;

    if (old != NULL) {
        shm->sh = old->sh;
        shm->shpool = old->shpool;
        return NGX_OK;
    }

    shm->shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (shm_zone->shm.exists) {
        shm->sh = shm->shpool->data;
        return NGX_OK;
    }

    shm->sh = ngx_slab_alloc(shm->shpool, sizeof(ngx_vod_shm_sh_t));
    if (shm->sh == NULL) {
        return NGX_ERROR;
    }

    shm->shpool->data = shm->sh;

    ngx_rbtree_init(&shm->sh->rbtree, &shm->sh->sentinel, insert);
    ngx_queue_init(&shm->sh->lru);

    len = sizeof(" in  zone \"\"") + ngx_strlen(directive)
          + shm_zone->shm.name.len;

    shm->shpool->log_ctx = ngx_slab_alloc(shm->shpool, len);
    if (shm->shpool->log_ctx == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(shm->shpool->log_ctx, " in %s zone \"%V\"%Z", directive,
                &shm_zone->shm.name);

    shm->shpool->log_nomem = 0;

    return NGX_OK;
}
