/*
 * vodedge_body.c: a small request body in one buffer (vodedge_body.h).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_body.h"


ngx_int_t
vodedge_body_read(ngx_http_request_t *r, size_t max, u_char **data,
    size_t *len)
{
    u_char       *p;
    size_t        n;
    ngx_chain_t  *cl;

    *data = NULL;
    *len = 0;

    if (r->request_body == NULL) {
        return NGX_OK;
    }

    if (r->request_body->temp_file != NULL) {
        return NGX_DECLINED;
    }

    n = 0;

    for (cl = r->request_body->bufs; cl != NULL; cl = cl->next) {
        if (cl->buf->in_file) {
            return NGX_DECLINED;
        }

        n += cl->buf->last - cl->buf->pos;
    }

    if (n > max) {
        return NGX_DECLINED;
    }

    if (n == 0) {
        return NGX_OK;
    }

    *data = ngx_pnalloc(r->pool, n);
    if (*data == NULL) {
        return NGX_ERROR;
    }

    p = *data;

    for (cl = r->request_body->bufs; cl != NULL; cl = cl->next) {
        p = ngx_cpymem(p, cl->buf->pos, cl->buf->last - cl->buf->pos);
    }

    *len = n;

    return NGX_OK;
}
