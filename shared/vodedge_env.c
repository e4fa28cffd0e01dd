/*
 * vodedge_env.c: see vodedge_env.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_env.h"


static void *vodedge_env_alloc(vod_env_t *env, size_t size);
static void vodedge_env_log(vod_env_t *env, const char *fmt, ...);


void
vodedge_env_init(vod_env_t *env, ngx_pool_t *pool)
{
    env->alloc = vodedge_env_alloc;
    env->log = vodedge_env_log;
    env->read = NULL;
    env->data = pool;
}


static void *
vodedge_env_alloc(vod_env_t *env, size_t size)
{
    return ngx_palloc(env->data, size);
}


/* the core's reason comes back to the caller; nothing else to say */

static void
vodedge_env_log(vod_env_t *env, const char *fmt, ...)
{
}
