/*
 * vodedge_watch.c: see vodedge_watch.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "vodedge_watch.h"


static void vodedge_watch_id(vodedge_watch_id_t *id, ngx_file_info_t *fi);
static ngx_uint_t vodedge_watch_same(vodedge_watch_id_t *a,
    vodedge_watch_id_t *b);


ngx_int_t
vodedge_watch_init(vodedge_watch_t *w, u_char *name, ngx_fd_t fd)
{
    ngx_file_info_t  fi;

    ngx_memzero(w, sizeof(vodedge_watch_t));

    w->name = name;
    w->checked = ngx_time();

    if (fd != NGX_INVALID_FILE) {
        if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
            return NGX_ERROR;
        }

    } else if (ngx_file_info(name, &fi) == NGX_FILE_ERROR) {
        return NGX_ERROR;
    }

    vodedge_watch_id(&w->current, &fi);

    return NGX_OK;
}


ngx_int_t
vodedge_watch_check(vodedge_watch_t *w, time_t interval, ngx_log_t *log,
    const char *what)
{
    time_t           now;
    ngx_file_info_t  fi;

    if (interval < 0) {
        return NGX_DECLINED;
    }

    now = ngx_time();

    if (interval > 0 && now - w->checked < interval) {
        return NGX_DECLINED;
    }

    w->checked = now;

    if (ngx_file_info(w->name, &fi) == NGX_FILE_ERROR) {
        if (!w->missing) {
            ngx_log_error(NGX_LOG_ERR, log, ngx_errno,
                          "%s \"%s\" cannot be read, the one loaded "
                          "before stays in service", what, w->name);
            w->missing = 1;
        }

        return NGX_DECLINED;
    }

    w->missing = 0;

    vodedge_watch_id(&w->next, &fi);

    if (vodedge_watch_same(&w->next, &w->current)
        || vodedge_watch_same(&w->next, &w->failed))
    {
        return NGX_DECLINED;
    }

    return NGX_OK;
}


void
vodedge_watch_done(vodedge_watch_t *w, ngx_uint_t ok)
{
    if (ok) {
        w->current = w->next;
        ngx_memzero(&w->failed, sizeof(vodedge_watch_id_t));

    } else {
        w->failed = w->next;
    }
}


static void
vodedge_watch_id(vodedge_watch_id_t *id, ngx_file_info_t *fi)
{
    id->mtime = ngx_file_mtime(fi);
    id->size = ngx_file_size(fi);
    id->uniq = ngx_file_uniq(fi);
}


static ngx_uint_t
vodedge_watch_same(vodedge_watch_id_t *a, vodedge_watch_id_t *b)
{
    return a->mtime == b->mtime && a->size == b->size && a->uniq == b->uniq;
}
