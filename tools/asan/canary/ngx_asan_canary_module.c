/*
 * ngx_asan_canary_module: a module with two deliberate bugs, built only by
 * `make asan` (into modules-asan/, never shipped), so that tools/asan/run.sh
 * proves on every run that a sanitizer report fails a suite: ASan, the
 * runtimes preloaded into the stock nginx, the report files and the
 * runner's check together.  tools/asan/canary.t expects to fail.
 *
 *     location /canary { asan_canary; }
 *
 * GET /canary?heap reads one byte past a 16-byte ngx_pnalloc() (caught only
 * because tools/asan/palloc.h gives it a malloc of its own: in one of
 * nginx's pool blocks the byte would be the next allocation's); GET
 * /canary?int overflows a signed int (UBSan).  Any other request answers
 * "canary".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


static char *ngx_asan_canary(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_asan_canary_handler(ngx_http_request_t *r);


static ngx_command_t  ngx_asan_canary_commands[] = {

    { ngx_string("asan_canary"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_asan_canary,
      0,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_asan_canary_module_ctx = {
    NULL,                                  /* preconfiguration */
    NULL,                                  /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_asan_canary_module = {
    NGX_MODULE_V1,
    &ngx_asan_canary_module_ctx,           /* module context */
    ngx_asan_canary_commands,              /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_int_t
ngx_asan_canary_handler(ngx_http_request_t *r)
{
    u_char            *p;
    ngx_int_t          rc;
    ngx_buf_t         *b;
    ngx_chain_t        out;
    volatile int       n;
    volatile size_t    len;

    len = 16;
    n = NGX_MAX_INT32_VALUE;

    b = ngx_create_temp_buf(r->pool, 16);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, "canary ", 7);

    if (r->args.len == 4 && ngx_strncmp(r->args.data, "heap", 4) == 0) {
        p = ngx_pnalloc(r->pool, len);
        if (p == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memset(p, 'x', len);

        /* the bug: one byte past the allocation */
        *b->last++ = p[len];

    } else if (r->args.len == 3
               && ngx_strncmp(r->args.data, "int", 3) == 0)
    {
        /* the bug: INT_MAX + 1 */
        n = n + 1;
        *b->last++ = (u_char) ('0' + (n & 7));
    }

    *b->last++ = LF;
    b->last_buf = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static char *
ngx_asan_canary(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t  *clcf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_asan_canary_handler;

    return NGX_CONF_OK;
}
