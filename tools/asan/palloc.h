/*
 * palloc.h: read first by every file of the modules' ASan build (make asan
 * passes -include).
 *
 * nginx's pools carve small allocations out of one malloc'd block, so ASan
 * sees no boundary between two of them: a write past a small allocation
 * lands in its neighbour unnoticed, and fresh memory holds what the pool
 * held before.  Here the modules' ngx_palloc(), ngx_pnalloc() and
 * ngx_pcalloc() become ngx_pmemalign(), which gives each allocation a
 * malloc of its own (freed with the pool, as nginx's large allocations
 * are): each gets redzones, and ASan fills it (malloc_fill_byte) instead of
 * leaving old data in it.  nginx's own code in the stock binary
 * (ngx_array_create(), ngx_create_temp_buf(), ...) keeps its pools.
 *
 * The macros are object-like, so that ngx_palloc.h's prototypes, read
 * later, declare these static functions again instead of nginx's.  The
 * nginx-free cores never see a pool: the names are unused there.
 */

#ifndef _VODEDGE_ASAN_PALLOC_H_INCLUDED_
#define _VODEDGE_ASAN_PALLOC_H_INCLUDED_


#include <stddef.h>


struct ngx_pool_s;

void *ngx_pmemalign(struct ngx_pool_s *pool, size_t size, size_t alignment);


static inline void *
vodedge_asan_palloc(struct ngx_pool_s *pool, size_t size)
{
    /* malloc's alignment: nginx's NGX_ALIGNMENT is smaller */
    return ngx_pmemalign(pool, size, 16);
}


static inline void *
vodedge_asan_pcalloc(struct ngx_pool_s *pool, size_t size)
{
    void  *p;

    p = ngx_pmemalign(pool, size, 16);

    if (p != NULL) {
        __builtin_memset(p, 0, size);
    }

    return p;
}


#define ngx_palloc   vodedge_asan_palloc
#define ngx_pnalloc  vodedge_asan_palloc
#define ngx_pcalloc  vodedge_asan_pcalloc


#endif /* _VODEDGE_ASAN_PALLOC_H_INCLUDED_ */
