/*
 * ngx_stream_playback_scrub.c: what leaves the edge.  Once a location with
 * tokens has taken a request, no credential and no client policy goes any
 * further, whatever the configuration proxies or logs:
 *
 * - the token argument (query=) is removed from r->args ($args,
 *   $arg_token, what proxy_pass sends) and the token cookie (cookie=)
 *   from the Cookie headers ($http_cookie, $cookie_*, what is proxied);
 * - client headers named X-Vod-* (the origin's policy headers, which
 *   only the edge may set) are dropped;
 * - the URI upstreams get becomes the path that was checked (r->uri,
 *   escaped) with the remaining arguments: r->valid_unparsed_uri is
 *   cleared, so proxy_pass never replays the client's raw request line,
 *   and $request_uri shows that same URI;
 * - $request (and the "request:" of error lines) keeps the client's
 *   method and protocol around that URI; a prefix token shows as "***"
 *   after "/t/", a query token as "name=***".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


static ngx_int_t ngx_stream_playback_scrub_args(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *masked);
static void ngx_stream_playback_scrub_cookie(ngx_http_request_t *r,
    ngx_table_elt_t *h, ngx_str_t *name);
static ngx_uint_t ngx_stream_playback_scrub_is_vod(ngx_table_elt_t *h);
static ngx_uint_t ngx_stream_playback_scrub_is_cookie(ngx_table_elt_t *h);
static ngx_int_t ngx_stream_playback_scrub_headers(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf);
static ngx_int_t ngx_stream_playback_scrub_uri(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx, ngx_str_t *masked);


ngx_int_t
ngx_stream_playback_scrub(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx)
{
    ngx_str_t  masked;

    masked = r->args;

    if ((plcf->sources & NGX_PLAYBACK_SOURCE_QUERY)
        && ngx_stream_playback_scrub_args(r, &plcf->query_arg, &masked)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_stream_playback_scrub_headers(r, plcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_stream_playback_scrub_uri(r, ctx, &masked);
}


/* "&"-separated pairs whose name is the token argument's (compared as
 * ngx_http_arg() does: without case) leave r->args; masked gets the
 * arguments with their value as "***" */

static ngx_int_t
ngx_stream_playback_scrub_args(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *masked)
{
    u_char      *p, *last, *pair, *eq, *clean, *mask, *c, *m;
    ngx_uint_t   found;

    if (r->args.len == 0 || name->len == 0) {
        return NGX_OK;
    }

    /* a pair "name=v" masked as "name=***" grows by 2 bytes at most,
     * never by more than its own length */

    clean = ngx_pnalloc(r->pool, r->args.len);
    mask = ngx_pnalloc(r->pool, 2 * r->args.len);
    if (clean == NULL || mask == NULL) {
        return NGX_ERROR;
    }

    c = clean;
    m = mask;
    found = 0;

    p = r->args.data;
    last = p + r->args.len;

    while (p < last) {
        pair = p;

        while (p < last && *p != '&') {
            p++;
        }

        eq = ngx_strlchr(pair, p, '=');

        if ((size_t) ((eq ? eq : p) - pair) == name->len
            && ngx_strncasecmp(pair, name->data, name->len) == 0)
        {
            found = 1;

            if (m != mask) {
                *m++ = '&';
            }

            m = ngx_cpymem(m, pair, name->len);

            if (eq != NULL) {
                m = ngx_cpymem(m, "=***", (p - eq > 1) ? 4 : 1);
            }

        } else {
            if (c != clean) {
                *c++ = '&';
            }

            c = ngx_cpymem(c, pair, p - pair);

            if (m != mask) {
                *m++ = '&';
            }

            m = ngx_cpymem(m, pair, p - pair);
        }

        if (p < last) {
            p++;                        /* '&' */
        }
    }

    if (!found) {
        return NGX_OK;
    }

    r->args.data = clean;
    r->args.len = c - clean;

    masked->data = mask;
    masked->len = m - mask;

    return NGX_OK;
}


/*
 * Cuts the pairs named name out of a Cookie header's value, the way
 * nginx before 1.29.6 finds them (ngx_http_parse_multi_header_lines()):
 * a pair starts at the start of the value or after ';' or ',' and spaces,
 * its name is compared without case and may be followed by spaces before
 * '=', and its value runs to the next ';'.  nginx 1.29.6 and later
 * (ngx_http_parse_cookie_lines()) start a pair after ';' only: what they
 * find is cut too.  A value left empty is dropped with its header.
 */

static void
ngx_stream_playback_scrub_cookie(ngx_http_request_t *r, ngx_table_elt_t *h,
    ngx_str_t *name)
{
    u_char  *start, *end, *p, *out, *o;

    start = h->value.data;
    end = start + h->value.len;

    if (name->len == 0 || h->value.len < name->len) {
        return;
    }

    out = ngx_pnalloc(r->pool, h->value.len);
    if (out == NULL) {
        /* cannot rewrite: the header goes, not the token */
        h->value.len = 0;
        return;
    }

    o = out;

    while (start < end) {
        p = start;

        if ((size_t) (end - p) >= name->len
            && ngx_strncasecmp(p, name->data, name->len) == 0)
        {
            for (p += name->len; p < end && *p == ' '; p++) { /* void */ }

            if (p < end && *p == '=') {
                /* the token's pair: up to and past the next ';' */

                while (p < end && *p != ';') {
                    p++;
                }

                start = (p < end) ? p + 1 : p;

                while (start < end && *start == ' ') {
                    start++;
                }

                continue;
            }

            p = start;
        }

        /* another pair: kept up to and with its ';' or ',' */

        while (p < end) {
            if (*p == ';' || *p == ',') {
                p++;
                break;
            }

            p++;
        }

        if (o != out && o[-1] != ' ') {
            *o++ = ' ';
        }

        o = ngx_cpymem(o, start, p - start);

        for (start = p; start < end && *start == ' '; start++) {
            /* void */
        }
    }

    /* no trailing separator where the token's pair was the last */

    while (o > out && (o[-1] == ' ' || o[-1] == ';' || o[-1] == ',')) {
        o--;
    }

    h->value.data = out;
    h->value.len = o - out;
}


/* an X-Vod-* header: the origin's word, never a client's */

static ngx_uint_t
ngx_stream_playback_scrub_is_vod(ngx_table_elt_t *h)
{
    return h->key.len > sizeof("x-vod-") - 1
           && ngx_strncasecmp(h->key.data, (u_char *) "x-vod-",
                              sizeof("x-vod-") - 1)
              == 0;
}


static ngx_uint_t
ngx_stream_playback_scrub_is_cookie(ngx_table_elt_t *h)
{
    return h->key.len == sizeof("cookie") - 1
           && ngx_strncasecmp(h->key.data, (u_char *) "cookie",
                              sizeof("cookie") - 1)
              == 0;
}


/* the cookie pairs and the X-Vod-* headers out of r->headers_in */

static ngx_int_t
ngx_stream_playback_scrub_headers(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf)
{
    ngx_uint_t        i, n, drop;
    ngx_list_t        headers;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *nh;
#if (nginx_version >= 1023000)
    ngx_table_elt_t **ph;
#else
    ngx_uint_t        j;
    ngx_table_elt_t **cookies;
#endif

    drop = 0;
    n = 0;

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_stream_playback_header_next(&part, &i)) != NULL) {
        n++;

        if (ngx_stream_playback_scrub_is_vod(h)) {
            h->value.len = 0;
            drop++;
            continue;
        }

        if ((plcf->sources & NGX_PLAYBACK_SOURCE_COOKIE)
            && ngx_stream_playback_scrub_is_cookie(h))
        {
            ngx_stream_playback_scrub_cookie(r, h, &plcf->cookie_name);

            if (h->value.len == 0) {
                drop++;
            }
        }
    }

    if (drop == 0) {
        return NGX_OK;
    }

    /*
     * A new list without them.  Pointers into the old one (host, the
     * cookies) stay valid: its memory belongs to the request's pool.
     */

    if (ngx_list_init(&headers, r->pool, n > drop ? n - drop : 1,
                      sizeof(ngx_table_elt_t))
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    part = &r->headers_in.headers.part;
    i = 0;

    while ((h = ngx_stream_playback_header_next(&part, &i)) != NULL) {
        if (h->value.len == 0
            && (ngx_stream_playback_scrub_is_vod(h)
                || ngx_stream_playback_scrub_is_cookie(h)))
        {
            continue;
        }

        nh = ngx_list_push(&headers);
        if (nh == NULL) {
            return NGX_ERROR;
        }

        *nh = *h;
    }

    r->headers_in.headers = headers;

    /* nginx's own view of the cookies ($http_cookie, $cookie_*) */

#if (nginx_version >= 1023000)
    for (ph = &r->headers_in.cookie; *ph != NULL; /* void */) {
        if ((*ph)->value.len == 0) {
            *ph = (*ph)->next;

        } else {
            ph = &(*ph)->next;
        }
    }
#else
    cookies = r->headers_in.cookies.elts;

    for (i = 0, j = 0; i < r->headers_in.cookies.nelts; i++) {
        if (cookies[i]->value.len != 0) {
            cookies[j++] = cookies[i];
        }
    }

    r->headers_in.cookies.nelts = j;
#endif

    return NGX_OK;
}


/* $request_uri and what upstreams get: the checked path, escaped, and the
 * remaining arguments; $request: the same with the credentials masked */

static ngx_int_t
ngx_stream_playback_scrub_uri(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx, ngx_str_t *masked)
{
    size_t      len, escape, prefix;
    u_char     *p;
    ngx_str_t   uri;

    escape = 2 * ngx_escape_uri(NULL, r->uri.data, r->uri.len,
                                NGX_ESCAPE_URI);

    len = r->uri.len + escape + 1 + r->args.len;

    uri.data = ngx_pnalloc(r->pool, len);
    if (uri.data == NULL) {
        return NGX_ERROR;
    }

    p = uri.data;

    if (escape) {
        ngx_escape_uri(p, r->uri.data, r->uri.len, NGX_ESCAPE_URI);
        p += r->uri.len + escape;

    } else {
        p = ngx_cpymem(p, r->uri.data, r->uri.len);
    }

    uri.len = p - uri.data;

    if (r->args.len) {
        *p++ = '?';
        p = ngx_cpymem(p, r->args.data, r->args.len);
    }

    r->unparsed_uri.data = uri.data;
    r->unparsed_uri.len = p - uri.data;
    r->valid_unparsed_uri = 0;

    prefix = (ctx->source != NULL && ngx_strcmp(ctx->source, "prefix") == 0)
             ? sizeof("/t/***") - 1 : 0;

    len = r->method_name.len + 1 + prefix + uri.len + 1 + masked->len
          + 1 + r->http_protocol.len;

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    r->request_line.data = p;

    p = ngx_cpymem(p, r->method_name.data, r->method_name.len);
    *p++ = ' ';

    if (prefix) {
        p = ngx_cpymem(p, "/t/***", prefix);
    }

    p = ngx_cpymem(p, uri.data, uri.len);

    if (masked->len) {
        *p++ = '?';
        p = ngx_cpymem(p, masked->data, masked->len);
    }

    if (r->http_protocol.len) {
        *p++ = ' ';
        p = ngx_cpymem(p, r->http_protocol.data, r->http_protocol.len);
    }

    r->request_line.len = p - r->request_line.data;

    return NGX_OK;
}
