/*
 * vodedge_load.h: a data file the configuration names (the rights table,
 * the steering fleet) read whole and handed to its nginx-free parser,
 * whose result lives in a pool of its own, so that a reload swaps pools.
 * At configuration time and in service alike: the loading step of the
 * reloadable data file type (vodedge_file.h).
 */

#ifndef _VODEDGE_LOAD_H_INCLUDED_
#define _VODEDGE_LOAD_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "vod_core.h"


#define VODEDGE_LOAD_ERR_LEN   192


/* the parser: VOD_OK with *out set, VOD_ERROR when out of memory, any
 * other status with the reason in msg (VODEDGE_LOAD_ERR_LEN bytes) */
typedef int (*vodedge_load_parse_pt)(vod_env_t *env, const u_char *buf,
    size_t len, void **out, char *msg);


/* Reads name (at most max bytes) and parses it into a new pool: NGX_OK
 * with the pool in *poolp, the result in *out and the file still open in
 * *fdp, so that the caller records what it read (vodedge_watch_init() or
 * _done()) and closes it; NGX_ERROR with why in err
 * (VODEDGE_LOAD_ERR_LEN bytes: "cannot be opened", "is invalid: ...")
 * and the errno, if any, in *errp.  The pool logs through log as long as
 * it lives: in service, the cycle's log, not a request's. */
ngx_int_t vodedge_load(u_char *name, size_t max, ngx_log_t *log,
    vodedge_load_parse_pt parse, void **out, ngx_pool_t **poolp,
    ngx_fd_t *fdp, char *err, ngx_err_t *errp);


#endif /* _VODEDGE_LOAD_H_INCLUDED_ */
