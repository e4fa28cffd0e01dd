/*
 * ngx_stream_playback_licensing.c: GeoIP licensing in the access phase,
 * after the token check: the title (the path component after
 * playback_title_from), the client's country and anonymous-IP flags
 * (ngx_stream_playback_geo.c) and the rights table
 * (ngx_stream_playback_rights.c, core/pb_rights.c) decide; a refusal is
 * 451 with a JSON body naming the title and country, and one log line.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


#define NGX_PLAYBACK_ANONYMOUS_IP  "anonymous-ip"


static ngx_int_t ngx_stream_playback_unavailable(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx, ngx_str_t *title);


static struct {
    ngx_str_t    name;
    ngx_uint_t   flag;
} ngx_stream_playback_anonymous_flags[] = {
    { ngx_string("anonymous"), VODEDGE_GEO_ANONYMOUS },
    { ngx_string("vpn"), VODEDGE_GEO_ANONYMOUS_VPN },
    { ngx_string("hosting"), VODEDGE_GEO_HOSTING },
    { ngx_string("proxy"), VODEDGE_GEO_PUBLIC_PROXY },
    { ngx_string("tor"), VODEDGE_GEO_TOR_EXIT },
    { ngx_null_string, 0 }
};


ngx_int_t
ngx_stream_playback_licensing_handler(ngx_http_request_t *r)
{
    ngx_int_t                        rc;
    ngx_str_t                        title;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    /* the playback API checks the title of a manifest call itself */

    if (!plcf->licensing || plcf->api) {
        return NGX_DECLINED;
    }

    ctx = ngx_stream_playback_get_ctx(r);
    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->licensing != NULL) {
        /* decided before an internal redirect (a refusal finalized the
         * request): a rewrite before any decision is decided here */
        return NGX_DECLINED;
    }

    ngx_stream_playback_title(r, plcf, &title);

    rc = ngx_stream_playback_license(r, plcf, ctx, &title, NULL);

    if (rc == NGX_ERROR) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (rc == NGX_OK) {
        return NGX_DECLINED;
    }

    return ngx_stream_playback_unavailable(r, ctx, &title);
}


/* The licensing decision for title and the client (its country and
 * anonymous-IP flags): NGX_OK to play, NGX_DECLINED with ctx->licensing
 * the reason (logged here), NGX_ERROR.  *unknown (if given) is set when
 * the rights table does not list the title. */

ngx_int_t
ngx_stream_playback_license(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_str_t *title, ngx_uint_t *unknown)
{
    int                               rc;
    ngx_str_t                         country;
    ngx_uint_t                        allow;
    const pb_rights_title_t          *entry;
    ngx_stream_playback_main_conf_t  *pmcf;

    if (unknown != NULL) {
        *unknown = 0;
    }

    if (ngx_stream_playback_geo(r, ctx) != NGX_OK) {
        return NGX_ERROR;
    }

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    if (ctx->anonymous & plcf->anonymous_deny) {
        ctx->licensing = NGX_PLAYBACK_ANONYMOUS_IP;
        goto refused;
    }

    if (!ctx->has_country && !plcf->unknown_country) {
        ctx->licensing = pb_rights_reason(PB_RIGHTS_UNKNOWN_COUNTRY);
        goto refused;
    }

    if (pmcf->rights != NULL) {
        ngx_stream_playback_rights_refresh(pmcf->rights, pmcf->reload,
                                           r->connection->log);
    }

    rc = pb_rights_check(pmcf->rights != NULL ? pmcf->rights->table : NULL,
                         title->data, title->len,
                         ctx->has_country ? ctx->country : NULL,
                         ngx_time(), &entry);

    switch (rc) {

    case PB_RIGHTS_OK:
        allow = 1;
        break;

    case PB_RIGHTS_UNKNOWN_TITLE:
        allow = plcf->rights_default;

        if (unknown != NULL) {
            *unknown = 1;
        }

        break;

    case PB_RIGHTS_UNKNOWN_COUNTRY:
        allow = plcf->unknown_country;
        break;

    default:
        allow = 0;
        break;
    }

    ctx->licensing = pb_rights_reason(allow ? PB_RIGHTS_OK : rc);

    ngx_log_debug3(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "playback licensing: title \"%V\": %s, %s",
                   title, pb_rights_reason(rc), ctx->licensing);

    if (allow) {
        return NGX_OK;
    }

refused:

    ngx_stream_playback_count(r, NGX_PB_M_LICENSING, ctx->licensing);

    country.data = ctx->country;
    country.len = ctx->has_country ? 2 : 0;

    ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                  "playback licensing refused: %s, title \"%V\", "
                  "country \"%V\", anonymous 0x%02xi",
                  ctx->licensing, title, &country, ctx->anonymous);

    return NGX_DECLINED;
}


/* the path component after playback_title_from; empty when the URI does
 * not start with it (the licensing's title, and presence's) */

void
ngx_stream_playback_title(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_str_t *title)
{
    u_char  *p, *last;

    title->data = r->uri.data;
    title->len = 0;

    if (r->uri.len < plcf->title_from.len
        || ngx_strncmp(r->uri.data, plcf->title_from.data,
                       plcf->title_from.len)
           != 0)
    {
        return;
    }

    p = r->uri.data + plcf->title_from.len;
    last = r->uri.data + r->uri.len;

    title->data = p;

    while (p < last && *p != '/') {
        p++;
    }

    title->len = p - title->data;
}


/* 451 with {"error":"unavailable_for_legal_reasons","title":"...",
 * "country":"...","reason":"..."}: the error body with the title and the
 * country added (the log line is the decision's); the request is
 * finalized, the phase handler returns NGX_DONE */

static ngx_int_t
ngx_stream_playback_unavailable(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx, ngx_str_t *title)
{
    size_t       len;
    ngx_buf_t   *b;
    ngx_str_t    country;

    country.data = ctx->country;
    country.len = ctx->has_country ? 2 : 0;

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    len = sizeof("{\"error\":\"unavailable_for_legal_reasons\",\"title\":\"\","
                 "\"country\":\"\",\"reason\":\"\"}\n") - 1
          + ngx_escape_json(NULL, title->data, title->len)
          + title->len + country.len + ngx_strlen(ctx->licensing);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last,
                         "{\"error\":\"unavailable_for_legal_reasons\","
                         "\"title\":\"",
                         sizeof("{\"error\":\"unavailable_for_legal_reasons\","
                                "\"title\":\"") - 1);
    b->last = (u_char *) ngx_escape_json(b->last, title->data, title->len);
    b->last = ngx_sprintf(b->last, "\",\"country\":\"%V\",\"reason\":\"%s\"}\n",
                          &country, ctx->licensing);
    ngx_str_set(&r->headers_out.status_line,
                "451 Unavailable For Legal Reasons");

    return ngx_stream_playback_refusal_done(r, vodedge_json_send(r, 451, b));
}


char *
ngx_stream_playback_anonymous(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i, j;

    if (plcf->anonymous_deny != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;
    plcf->anonymous_deny = 0;

    if (cf->args->nelts == 2) {
        if (ngx_strcmp(value[1].data, "off") == 0) {
            return NGX_CONF_OK;
        }

        if (ngx_strcmp(value[1].data, "all") == 0) {
            plcf->anonymous_deny = VODEDGE_GEO_ANONYMOUS
                                   | VODEDGE_GEO_ANONYMOUS_VPN
                                   | VODEDGE_GEO_HOSTING
                                   | VODEDGE_GEO_PUBLIC_PROXY
                                   | VODEDGE_GEO_TOR_EXIT;
            return NGX_CONF_OK;
        }
    }

    for (i = 1; i < cf->args->nelts; i++) {
        for (j = 0; ngx_stream_playback_anonymous_flags[j].name.len; j++) {
            if (value[i].len == ngx_stream_playback_anonymous_flags[j].name.len
                && ngx_strncmp(value[i].data,
                               ngx_stream_playback_anonymous_flags[j].name.data,
                               value[i].len)
                   == 0)
            {
                plcf->anonymous_deny |=
                                  ngx_stream_playback_anonymous_flags[j].flag;
                break;
            }
        }

        if (ngx_stream_playback_anonymous_flags[j].name.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid anonymous-IP flag \"%V\": expected "
                               "\"off\", \"all\" or any of \"anonymous\", "
                               "\"vpn\", \"hosting\", \"proxy\", \"tor\"",
                               &value[i]);
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}
