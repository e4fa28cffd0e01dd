/*
 * vodedge_env.h: the vod_env_t that the nginx glue of the edge and the
 * steering module (and shared/'s data files) give an nginx-free core to
 * parse with: memory from an nginx pool (a request's, or a data file's
 * own), no file reads, and no log lines: every core returns its reason
 * to the caller, which logs it as the caller's context needs.
 *
 * The packager's env is not this one: it reads a media file and logs
 * through the request (ngx_vod_package_media.c).
 */

#ifndef _VODEDGE_ENV_H_INCLUDED_
#define _VODEDGE_ENV_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "vod_core.h"


/* env allocates from pool as long as env lives (it keeps the pointer) */
void vodedge_env_init(vod_env_t *env, ngx_pool_t *pool);


#endif /* _VODEDGE_ENV_H_INCLUDED_ */
