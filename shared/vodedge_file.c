/*
 * vodedge_file.c: see vodedge_file.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_file.h"


static void vodedge_file_cleanup(void *data);


char *
vodedge_file_conf(ngx_conf_t *cf, vodedge_file_t *f, ngx_str_t *name,
    void **out)
{
    ngx_fd_t             fd;
    ngx_err_t            e;
    ngx_str_t            full;
    ngx_pool_cleanup_t  *cln;
    char                 err[VODEDGE_LOAD_ERR_LEN];

    full = *name;

    if (ngx_conf_full_name(cf->cycle, &full, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    if (vodedge_load(full.data, f->type->max, cf->log, f->type->parse, out,
                     &f->pool, &fd, err, &e)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, e, "%s \"%s\" %s",
                           f->type->what, full.data, err);
        return NGX_CONF_ERROR;
    }

    /*
     * the pool outlives this configuration pass: cf->log is the old
     * cycle's log on a reload, which the master frees before it starts
     * the new workers, and a worker that replaces the result logs through
     * the pool when it destroys it (the steering fleet's did, and
     * crashed in ngx_destroy_pool()'s debug logging); the new cycle's own
     * log lives as long as the pool
     */
    f->pool->log = &cf->cycle->new_log;

    cln->handler = vodedge_file_cleanup;
    cln->data = f;

    if (vodedge_watch_init(&f->watch, full.data, fd) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", full.data);
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    (void) ngx_close_file(fd);

    return NGX_CONF_OK;
}


ngx_int_t
vodedge_file_check(vodedge_file_t *f, time_t interval, ngx_log_t *log,
    void **out, ngx_pool_t **poolp)
{
    ngx_fd_t   fd;
    ngx_err_t  e;
    char       err[VODEDGE_LOAD_ERR_LEN];

    if (vodedge_watch_check(&f->watch, interval, log, f->type->what)
        != NGX_OK)
    {
        return NGX_DECLINED;
    }

    /* the pool outlives this request: the cycle's log, not the request's */

    if (vodedge_load(f->watch.name, f->type->max, ngx_cycle->log,
                     f->type->parse, out, poolp, &fd, err, &e)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, e,
                      "%s \"%s\" %s, %s stays in service", f->type->what,
                      f->watch.name, err, f->type->kept);
        vodedge_watch_done(&f->watch, 0);
        return NGX_DECLINED;
    }

    (void) ngx_close_file(fd);

    return NGX_OK;
}


void
vodedge_file_swap(vodedge_file_t *f, ngx_pool_t *pool)
{
    ngx_destroy_pool(f->pool);

    f->pool = pool;
    vodedge_watch_done(&f->watch, 1);
}


void
vodedge_file_refuse(vodedge_file_t *f, ngx_pool_t *pool)
{
    ngx_destroy_pool(pool);
    vodedge_watch_done(&f->watch, 0);
}


static void
vodedge_file_cleanup(void *data)
{
    vodedge_file_t  *f = data;

    if (f->pool != NULL) {
        ngx_destroy_pool(f->pool);
        f->pool = NULL;
    }
}
