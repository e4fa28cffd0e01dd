/*
 * vodedge_watch.h: cheap change detection of a file reloaded in service
 * (GeoIP databases, the rights table): at most one stat() per interval
 * per worker, compared on mtime, size and inode so that a file replaced
 * by rename within the same second is seen too.  A file that failed to
 * load is remembered, so that it is retried and logged once, not on every
 * check, until it changes again.
 */

#ifndef _VODEDGE_WATCH_H_INCLUDED_
#define _VODEDGE_WATCH_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>


typedef struct {
    time_t            mtime;
    off_t             size;
    ngx_file_uniq_t   uniq;
} vodedge_watch_id_t;


typedef struct {
    u_char               *name;        /* NUL-terminated full path */
    time_t                checked;     /* ngx_time() of the last stat() */
    vodedge_watch_id_t    current;     /* the file in service */
    vodedge_watch_id_t    failed;      /* the last file that failed */
    vodedge_watch_id_t    next;        /* what check() found */
    unsigned              missing:1;   /* the last stat() failed, logged */
} vodedge_watch_t;


/* Records the file in service (call after loading it). */
ngx_int_t vodedge_watch_init(vodedge_watch_t *w, u_char *name,
    ngx_fd_t fd);

/* NGX_OK when the file changed since the one in service and differs from
 * the last one that failed: the caller loads it, then calls done().
 * NGX_DECLINED otherwise.  interval 0 stats on every call; a negative one
 * never does. */
ngx_int_t vodedge_watch_check(vodedge_watch_t *w, time_t interval,
    ngx_log_t *log, const char *what);

/* After check() returned NGX_OK: the new file is in service (ok), or it
 * failed and is not retried until it changes again. */
void vodedge_watch_done(vodedge_watch_t *w, ngx_uint_t ok);


#endif /* _VODEDGE_WATCH_H_INCLUDED_ */
