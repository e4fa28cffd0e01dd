/*
 * vodedge_file.h: a data file the configuration names and the workers
 * reload in service (the edge's rights table, the steering fleet): the
 * one type behind both.
 *
 *   - load: at configuration time, read whole and parsed by the module's
 *     nginx-free parser into a pool of its own (vodedge_load()); a bad
 *     file is an `nginx -t` error naming it;
 *   - watch: in service, at most one stat() per interval per worker
 *     (vodedge_watch.h); a changed file is parsed into a new pool;
 *   - swap: the caller takes the new result (the old pool is destroyed),
 *     or refuses it; a bad new file leaves the one loaded before in
 *     service, is logged once and not retried until it changes again.
 *
 * The file keeps the pool and what it knows of the file; the module keeps
 * its typed pointers into the pool and sets them when it swaps.
 */

#ifndef _VODEDGE_FILE_H_INCLUDED_
#define _VODEDGE_FILE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_load.h"
#include "vodedge_watch.h"


/* a kind of data file, one static descriptor per module */
typedef struct {
    const char             *what;      /* "steering fleet file" */
    const char             *kept;      /* "the fleet loaded before" */
    size_t                  max;       /* bytes a file may have */
    vodedge_load_parse_pt   parse;
} vodedge_file_type_t;


typedef struct {
    const vodedge_file_type_t  *type;
    ngx_pool_t                 *pool;  /* holds the result in service */
    vodedge_watch_t             watch; /* watch.name: the full path */
} vodedge_file_t;


/* At configuration time: loads name (relative to the prefix) as a file
 * of f->type, and ties f->pool to cf->pool's cleanup.  NGX_CONF_OK with
 * the parser's result in *out; NGX_CONF_ERROR with the error logged
 * ("<what> \"<name>\" is invalid: ..."). */
char *vodedge_file_conf(ngx_conf_t *cf, vodedge_file_t *f, ngx_str_t *name,
    void **out);

/* In service: NGX_OK when the file changed and parsed: the result is in
 * *out, in the new pool *poolp, not yet in service: the caller swaps it
 * in with vodedge_file_swap() or refuses it with vodedge_file_refuse().
 * NGX_DECLINED when nothing is to be done: no change, not time to look
 * yet, or a bad new file (logged at error on log: "<what> \"<name>\"
 * <why>, <kept> stays in service"). */
ngx_int_t vodedge_file_check(vodedge_file_t *f, time_t interval,
    ngx_log_t *log, void **out, ngx_pool_t **poolp);

/* The new pool is in service; the old one is destroyed. */
void vodedge_file_swap(vodedge_file_t *f, ngx_pool_t *pool);

/* The new pool is destroyed; the file is not retried until it changes. */
void vodedge_file_refuse(vodedge_file_t *f, ngx_pool_t *pool);


#endif /* _VODEDGE_FILE_H_INCLUDED_ */
