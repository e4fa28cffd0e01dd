/*
 * ngx_stream_playback_tier.c: subscription tiers.  A tier is a ceiling
 * (the tallest video and the highest average video bit rate a plan may
 * play) and a number of concurrent streams (enforced with the playback
 * state in Redis).  With "playback_tiers on", a verified token must name
 * a configured tier; the variables below give its ceiling to the origin
 * (X-Vod-Max-Height, X-Vod-Max-Bitrate), which then lists only the
 * renditions under it, and ngx_stream_playback_filter.c refuses a
 * rendition above it, cached or not.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


static ngx_int_t ngx_stream_playback_add_tier(ngx_conf_t *cf,
    ngx_array_t *tiers, ngx_str_t *name, ngx_uint_t max_height,
    uint64_t max_bitrate, ngx_uint_t streams);


/* the platform's plans, in force when no playback_tier is configured */
static struct {
    char        *name;
    ngx_uint_t   max_height;
    uint64_t     max_bitrate;
    ngx_uint_t   streams;
} ngx_stream_playback_default_tiers[] = {
    { "basic",     480,  2500000, 1 },
    { "standard", 1080,  8000000, 2 },
    { "premium",  2160, 25000000, 4 },
};


/* playback_tier name max_height=N max_bitrate=B streams=N */

char *
ngx_stream_playback_tier(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    u_char      *eq;
    uint64_t     max_bitrate;
    ngx_int_t    n;
    ngx_str_t   *value, key, val;
    ngx_uint_t   i, max_height, streams;

    value = cf->args->elts;

    if (pmcf->tiers == NULL) {
        pmcf->tiers = ngx_array_create(cf->pool, 4,
                                       sizeof(ngx_stream_playback_tier_t));
        if (pmcf->tiers == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    max_height = 0;
    max_bitrate = 0;
    streams = 0;

    for (i = 2; i < cf->args->nelts; i++) {
        eq = ngx_strlchr(value[i].data, value[i].data + value[i].len, '=');
        if (eq == NULL) {
            goto invalid;
        }

        key.data = value[i].data;
        key.len = eq - value[i].data;
        val.data = eq + 1;
        val.len = value[i].data + value[i].len - val.data;

        if (key.len == sizeof("max_height") - 1
            && ngx_strncmp(key.data, "max_height", key.len) == 0)
        {
            n = ngx_atoi(val.data, val.len);
            if (n <= 0 || n > 65535) {
                goto invalid;
            }

            max_height = n;

        } else if (key.len == sizeof("max_bitrate") - 1
                   && ngx_strncmp(key.data, "max_bitrate", key.len) == 0)
        {
            if (ngx_stream_playback_parse_bitrate(&val, &max_bitrate)
                != NGX_OK)
            {
                goto invalid;
            }

        } else if (key.len == sizeof("streams") - 1
                   && ngx_strncmp(key.data, "streams", key.len) == 0)
        {
            n = ngx_atoi(val.data, val.len);
            if (n <= 0 || n > 1000) {
                goto invalid;
            }

            streams = n;

        } else {
            goto invalid;
        }
    }

    if (max_height == 0 || max_bitrate == 0 || streams == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "tier \"%V\" needs max_height=, max_bitrate= and "
                           "streams=", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_stream_playback_tier_find(pmcf, &value[1]) != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "duplicate tier \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (ngx_stream_playback_add_tier(cf, pmcf->tiers, &value[1], max_height,
                                     max_bitrate, streams)
        != NGX_OK)
    {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" of tier \"%V\": expected "
                       "max_height=1..65535, max_bitrate=bits/s (suffix k, "
                       "m or g: 2.5m), streams=1..1000",
                       &value[i], &value[1]);
    return NGX_CONF_ERROR;
}


/* "2500000", "2500k", "2.5m": decimal units, as bit rates are quoted (a
 * tier's ceiling, the edge's capacity) */

ngx_int_t
ngx_stream_playback_parse_bitrate(ngx_str_t *s, uint64_t *bps)
{
    u_char     *p, *last;
    uint64_t    n, unit, frac, scale;
    ngx_uint_t  digits;

    p = s->data;
    last = p + s->len;
    n = 0;
    frac = 0;
    scale = 1;
    unit = 1;
    digits = 0;

    if (p < last) {
        switch (last[-1]) {
        case 'k': case 'K': unit = 1000; last--; break;
        case 'm': case 'M': unit = 1000000; last--; break;
        case 'g': case 'G': unit = 1000000000; last--; break;
        }
    }

    for ( /* void */ ; p < last && *p >= '0' && *p <= '9'; p++) {
        if (++digits > 12) {
            return NGX_ERROR;
        }

        n = n * 10 + (*p - '0');
    }

    if (digits == 0) {
        return NGX_ERROR;
    }

    if (p < last && *p == '.') {
        for (p++; p < last && *p >= '0' && *p <= '9'; p++) {
            if (scale >= unit) {
                return NGX_ERROR;       /* finer than one bit/s */
            }

            frac = frac * 10 + (*p - '0');
            scale *= 10;
        }
    }

    if (p != last) {
        return NGX_ERROR;
    }

    *bps = n * unit + frac * (unit / scale);

    return (*bps > 0) ? NGX_OK : NGX_ERROR;
}


static ngx_int_t
ngx_stream_playback_add_tier(ngx_conf_t *cf, ngx_array_t *tiers,
    ngx_str_t *name, ngx_uint_t max_height, uint64_t max_bitrate,
    ngx_uint_t streams)
{
    ngx_stream_playback_tier_t  *t;

    t = ngx_array_push(tiers);
    if (t == NULL) {
        return NGX_ERROR;
    }

    t->name = *name;
    t->max_height = max_height;
    t->max_bitrate = max_bitrate;
    t->streams = streams;

    t->height_text.data = ngx_pnalloc(cf->pool, NGX_INT_T_LEN);
    t->bitrate_text.data = ngx_pnalloc(cf->pool, NGX_INT64_LEN);
    t->streams_text.data = ngx_pnalloc(cf->pool, NGX_INT_T_LEN);

    if (t->height_text.data == NULL || t->bitrate_text.data == NULL
        || t->streams_text.data == NULL)
    {
        return NGX_ERROR;
    }

    t->height_text.len = ngx_sprintf(t->height_text.data, "%ui", max_height)
                         - t->height_text.data;
    t->bitrate_text.len = ngx_sprintf(t->bitrate_text.data, "%uL",
                                      max_bitrate)
                          - t->bitrate_text.data;
    t->streams_text.len = ngx_sprintf(t->streams_text.data, "%ui", streams)
                          - t->streams_text.data;

    return NGX_OK;
}


/* at the end of the http block: the defaults unless tiers were given */

ngx_int_t
ngx_stream_playback_tiers_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf)
{
    ngx_str_t   name;
    ngx_uint_t  i;

    if (pmcf->tiers != NULL) {
        return NGX_OK;
    }

    pmcf->tiers = ngx_array_create(cf->pool, 3,
                                   sizeof(ngx_stream_playback_tier_t));
    if (pmcf->tiers == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < sizeof(ngx_stream_playback_default_tiers)
                    / sizeof(ngx_stream_playback_default_tiers[0]); i++)
    {
        name.data = (u_char *) ngx_stream_playback_default_tiers[i].name;
        name.len = ngx_strlen(name.data);

        if (ngx_stream_playback_add_tier(cf, pmcf->tiers, &name,
                ngx_stream_playback_default_tiers[i].max_height,
                ngx_stream_playback_default_tiers[i].max_bitrate,
                ngx_stream_playback_default_tiers[i].streams)
            != NGX_OK)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


ngx_stream_playback_tier_t *
ngx_stream_playback_tier_find(ngx_stream_playback_main_conf_t *pmcf,
    ngx_str_t *name)
{
    ngx_uint_t                   i;
    ngx_stream_playback_tier_t  *t;

    if (pmcf->tiers == NULL || name->len == 0) {
        return NULL;
    }

    t = pmcf->tiers->elts;

    for (i = 0; i < pmcf->tiers->nelts; i++) {
        if (t[i].name.len == name->len
            && ngx_strncmp(t[i].name.data, name->data, name->len) == 0)
        {
            return &t[i];
        }
    }

    return NULL;
}


/* the tier of the request's verified token, or NULL */

ngx_stream_playback_tier_t *
ngx_stream_playback_request_tier(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx)
{
    ngx_str_t                         name;
    ngx_stream_playback_main_conf_t  *pmcf;

    if (ctx == NULL || !ctx->token_done || ctx->status != PB_JWT_OK) {
        return NULL;
    }

    if (ctx->tier == NULL) {
        pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

        name.data = ctx->claims.tier.data;
        name.len = ctx->claims.tier.len;

        ctx->tier = ngx_stream_playback_tier_find(pmcf, &name);
    }

    return ctx->tier;
}


/* access phase, after the token check: the token's tier must exist, or
 * 403 with {"error":"forbidden","reason":"unknown-tier"} */


ngx_int_t
ngx_stream_playback_tier_handler(ngx_http_request_t *r)
{
    ngx_str_t                        name;
    ngx_stream_playback_ctx_t       *ctx;
    ngx_stream_playback_loc_conf_t  *plcf;

    if (r != r->main) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (!plcf->tiers || !plcf->enable) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

    if (ctx == NULL || !ctx->token_done || ctx->status != PB_JWT_OK
        || ngx_stream_playback_request_tier(r, ctx) != NULL)
    {
        return NGX_DECLINED;
    }

    name.data = ctx->claims.tier.data;
    name.len = ctx->claims.tier.len;

    ngx_stream_playback_count(r, NGX_PB_M_TIER, "unknown-tier");

    ngx_log_error(plcf->log_level, r->connection->log, 0,
                  "playback tier refused: unknown-tier (tier \"%V\" is "
                  "not configured)", &name);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_stream_playback_refusal_done(r,
               vodedge_json_error(r, NGX_HTTP_FORBIDDEN, "forbidden",
                                  "unknown-tier"));
}


/* $playback_tier_max_height, $playback_tier_max_bitrate,
 * $playback_tier_streams: empty without a known tier */

ngx_int_t
ngx_stream_playback_tier_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                   *text;
    ngx_stream_playback_tier_t  *t;

    t = ngx_stream_playback_request_tier(r, ngx_stream_playback_find_ctx(r));

    if (t == NULL) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {
    case NGX_PLAYBACK_VAR_TIER_HEIGHT:
        text = &t->height_text;
        break;
    case NGX_PLAYBACK_VAR_TIER_BITRATE:
        text = &t->bitrate_text;
        break;
    default:
        text = &t->streams_text;
        break;
    }

    v->data = text->data;
    v->len = text->len;
    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}
