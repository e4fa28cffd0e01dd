/*
 * vodedge_secret.c: a small secret file read at configuration time.  See
 * vodedge_secret.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_secret.h"


ssize_t
vodedge_secret_read(ngx_conf_t *cf, const char *what, ngx_str_t *name,
    u_char *buf, size_t size)
{
    ssize_t          n;
    ngx_fd_t         fd;
    ngx_file_info_t  fi;

    if (ngx_conf_full_name(cf->cycle, name, 1) != NGX_OK) {
        return NGX_ERROR;
    }

    fd = ngx_open_file(name->data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%s\" cannot be opened", what, name->data);
        return NGX_ERROR;
    }

    n = -1;

    if (ngx_fd_info(fd, &fi) != NGX_FILE_ERROR
        && ngx_file_size(&fi) <= (off_t) size)
    {
        n = ngx_read_fd(fd, buf, size);
    }

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_ALERT, cf, ngx_errno,
                           ngx_close_file_n " \"%s\" failed", name->data);
    }

    if (n < 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "%s \"%s\" cannot be read or is larger than "
                           "%uz bytes", what, name->data, size);
        return NGX_ERROR;
    }

    return n;
}
