/*
 * vodedge_load.c: see vodedge_load.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "vodedge_load.h"
#include "vodedge_env.h"


ngx_int_t
vodedge_load(u_char *name, size_t max, ngx_log_t *log,
    vodedge_load_parse_pt parse, void **out, ngx_pool_t **poolp,
    ngx_fd_t *fdp, char *err, ngx_err_t *errp)
{
    int               rc;
    off_t             size;
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    vod_env_t         env;
    ngx_pool_t       *pool;
    ngx_file_info_t   fi;
    char              msg[VODEDGE_LOAD_ERR_LEN];

    *errp = 0;

    fd = ngx_open_file(name, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        *errp = ngx_errno;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be opened",
                    VODEDGE_LOAD_ERR_LEN);
        return NGX_ERROR;
    }

    pool = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        *errp = ngx_errno;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be read",
                    VODEDGE_LOAD_ERR_LEN);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size > (off_t) max) {
        ngx_snprintf((u_char *) err, VODEDGE_LOAD_ERR_LEN - 1,
                     "is larger than %uz bytes%Z", max);
        goto failed;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, log);
    if (pool == NULL) {
        goto nomem;
    }

    /* the text is parsed then dropped: the result copies what it keeps */

    buf = ngx_alloc(size ? size : 1, log);
    if (buf == NULL) {
        goto nomem;
    }

    n = ngx_read_fd(fd, buf, size);

    if (n != size) {
        ngx_free(buf);
        *errp = n < 0 ? ngx_errno : 0;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be read",
                    VODEDGE_LOAD_ERR_LEN);
        goto failed;
    }

    vodedge_env_init(&env, pool);

    msg[0] = '\0';

    rc = parse(&env, buf, size, out, msg);

    ngx_free(buf);

    if (rc == VOD_ERROR) {
        goto nomem;
    }

    if (rc != VOD_OK) {
        msg[VODEDGE_LOAD_ERR_LEN - 1] = '\0';
        ngx_snprintf((u_char *) err, VODEDGE_LOAD_ERR_LEN - 1,
                     "is invalid: %s%Z", msg);
        goto failed;
    }

    *poolp = pool;
    *fdp = fd;

    return NGX_OK;

nomem:

    ngx_snprintf((u_char *) err, VODEDGE_LOAD_ERR_LEN - 1,
                 "cannot be loaded: out of memory%Z");

failed:

    err[VODEDGE_LOAD_ERR_LEN - 1] = '\0';

    if (pool != NULL) {
        ngx_destroy_pool(pool);
    }

    (void) ngx_close_file(fd);

    return NGX_ERROR;
}
