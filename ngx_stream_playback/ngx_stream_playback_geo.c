/*
 * ngx_stream_playback_geo.c: the edge's GeoIP: the playback_geoip_*
 * directives, one lookup per request in each configured database (shared
 * code in shared/vodedge_geo.c), and the $playback_country, $playback_asn,
 * $playback_asn_org and $playback_licensing variables.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


char *
ngx_stream_playback_geoip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t          *value;
    const char         *what;
    vodedge_geo_db_t  **db;

    db = (vodedge_geo_db_t **) (p + cmd->offset);

    if (*db != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    switch (cmd->name.data[sizeof("playback_geoip_") - 1]) {

    case 'c':
        what = "GeoIP country database";
        break;

    case 'a':
        what = cmd->name.len == sizeof("playback_geoip_asn") - 1
               ? "GeoIP ASN database" : "GeoIP anonymous-IP database";
        break;

    default:
        what = "GeoIP database";
        break;
    }

    *db = vodedge_geo_open(cf, &value[1], what);

    return *db != NULL ? NGX_CONF_OK : NGX_CONF_ERROR;
}


char *
ngx_stream_playback_geoip_reload(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    ngx_str_t  *value;

    if (pmcf->reload_set) {
        return "is duplicate";
    }

    pmcf->reload_set = 1;
    value = cf->args->elts;

    if (value[1].len == 3 && ngx_strncmp(value[1].data, "off", 3) == 0) {
        pmcf->reload = -1;
        return NGX_CONF_OK;
    }

    pmcf->reload = ngx_parse_time(&value[1], 1);

    if (pmcf->reload == (time_t) NGX_ERROR) {
        return "has an invalid time: expected \"off\" or a time such as 60s";
    }

    return NGX_CONF_OK;
}


/* Looks the client address up once per request: changed files are
 * swapped in first, at most once per playback_geoip_reload interval. */

ngx_int_t
ngx_stream_playback_geo(ngx_http_request_t *r, ngx_stream_playback_ctx_t *ctx)
{
    struct sockaddr                  *sa;
    ngx_stream_playback_main_conf_t  *pmcf;

    if (ctx->geo_done) {
        return NGX_OK;
    }

    ctx->geo_done = 1;

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);
    sa = r->connection->sockaddr;

    if (pmcf->country != NULL) {
        vodedge_geo_refresh(pmcf->country, pmcf->reload, r->connection->log);

        if (vodedge_geo_country(pmcf->country, sa, ctx->country,
                                r->connection->log)
            == NGX_OK)
        {
            ctx->has_country = 1;
        }
    }

    if (pmcf->asn != NULL) {
        vodedge_geo_refresh(pmcf->asn, pmcf->reload, r->connection->log);

        switch (vodedge_geo_asn(pmcf->asn, sa, &ctx->asn, &ctx->asn_org,
                                r->pool, r->connection->log))
        {
        case NGX_OK:
            ctx->has_asn = 1;
            break;

        case NGX_ERROR:
            return NGX_ERROR;
        }
    }

    if (pmcf->anonymous != NULL) {
        vodedge_geo_refresh(pmcf->anonymous, pmcf->reload,
                            r->connection->log);

        ctx->anonymous = vodedge_geo_anonymous(pmcf->anonymous, sa,
                                               r->connection->log);
    }

    return NGX_OK;
}


ngx_int_t
ngx_stream_playback_geo_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    u_char                     *p;
    ngx_stream_playback_ctx_t  *ctx;

    ctx = ngx_stream_playback_get_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    if (data != NGX_PLAYBACK_VAR_LICENSING
        && ngx_stream_playback_geo(r, ctx) != NGX_OK)
    {
        return NGX_ERROR;
    }

    v->not_found = 1;

    switch (data) {

    case NGX_PLAYBACK_VAR_COUNTRY:
        if (ctx->has_country) {
            v->data = ctx->country;
            v->len = 2;
            v->not_found = 0;
        }
        break;

    case NGX_PLAYBACK_VAR_ASN:
        if (ctx->has_asn) {
            p = ngx_pnalloc(r->pool, NGX_INT32_LEN);
            if (p == NULL) {
                return NGX_ERROR;
            }

            v->data = p;
            v->len = ngx_sprintf(p, "%uD", ctx->asn) - p;
            v->not_found = 0;
        }
        break;

    case NGX_PLAYBACK_VAR_ASN_ORG:
        if (ctx->has_asn && ctx->asn_org.len) {
            v->data = ctx->asn_org.data;
            v->len = ctx->asn_org.len;
            v->not_found = 0;
        }
        break;

    default: /* NGX_PLAYBACK_VAR_LICENSING */
        if (ctx->licensing != NULL) {
            v->data = (u_char *) ctx->licensing;
            v->len = ngx_strlen(ctx->licensing);
            v->not_found = 0;
        }
        break;
    }

    if (!v->not_found) {
        v->valid = 1;
        v->no_cacheable = 0;
    }

    return NGX_OK;
}
