/*
 * vodedge_json.c: see vodedge_json.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_json.h"


ngx_int_t
vodedge_json_send(ngx_http_request_t *r, ngx_uint_t status, ngx_buf_t *b)
{
    ngx_int_t    rc;
    ngx_chain_t  out;

    r->headers_out.status = status;

    if (b == NULL) {
        r->headers_out.content_length_n = 0;
        r->header_only = 1;

    } else {
        r->headers_out.content_length_n = b->last - b->pos;
        ngx_str_set(&r->headers_out.content_type, "application/json");
        r->headers_out.content_type_len = r->headers_out.content_type.len;
        r->headers_out.content_type_lowcase = NULL;

        b->last_buf = (r == r->main) ? 1 : 0;
        b->last_in_chain = 1;
    }

    if (r->method == NGX_HTTP_HEAD) {
        r->header_only = 1;
    }

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
vodedge_json_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *reason)
{
    size_t      len;
    ngx_buf_t  *b;

    len = ngx_strlen(reason);

    b = ngx_create_temp_buf(r->pool,
                            sizeof("{\"error\":\"\",\"reason\":\"\"}\n") - 1
                            + ngx_strlen(error) + len
                            + ngx_escape_json(NULL, (u_char *) reason, len));
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"error\":\"%s\",\"reason\":\"", error);
    b->last = (u_char *) ngx_escape_json(b->last, (u_char *) reason, len);
    b->last = ngx_cpymem(b->last, "\"}\n", 3);

    return vodedge_json_send(r, status, b);
}
