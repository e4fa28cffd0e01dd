/*
 * ngx_stream_playback_module.c: directives, configuration, variables and
 * phase handler registration of the edge module.  The token checks are in
 * ngx_stream_playback_token.c, the JWT core in core/pb_jwt.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"
#include "pb_base64url.h"
#include "vodedge_secret.h"


static ngx_int_t ngx_stream_playback_add_variables(ngx_conf_t *cf);
static ngx_int_t ngx_stream_playback_init(ngx_conf_t *cf);
static void *ngx_stream_playback_create_main_conf(ngx_conf_t *cf);
static char *ngx_stream_playback_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_stream_playback_create_loc_conf(ngx_conf_t *cf);
static char *ngx_stream_playback_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_stream_playback_key(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stream_playback_sources(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stream_playback_log_level(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_stream_playback_max_length(ngx_conf_t *cf, void *post,
    void *data);
static char *ngx_stream_playback_allow_deny(ngx_conf_t *cf,
    ngx_command_t *cmd, void *conf);
static ngx_int_t ngx_stream_playback_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static void ngx_stream_playback_ctx_keep(void *data);


#define NGX_PLAYBACK_VAR_STATUS    0
#define NGX_PLAYBACK_VAR_ACCOUNT   1
#define NGX_PLAYBACK_VAR_TIER      2
#define NGX_PLAYBACK_VAR_SESSION   3


static ngx_conf_post_handler_pt  ngx_stream_playback_max_length_p =
    ngx_stream_playback_max_length;


static ngx_str_t  ngx_stream_playback_log_levels[] = {
    ngx_string("emerg"),
    ngx_string("alert"),
    ngx_string("crit"),
    ngx_string("error"),
    ngx_string("warn"),
    ngx_string("notice"),
    ngx_string("info"),
    ngx_null_string
};


static ngx_command_t  ngx_stream_playback_commands[] = {

    { ngx_string("playback_token"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, enable),
      NULL },

    { ngx_string("playback_token_key"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE2,
      ngx_stream_playback_key,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_token_leeway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, leeway),
      NULL },

    { ngx_string("playback_token_max_length"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_size_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, max_length),
      &ngx_stream_playback_max_length_p },

    { ngx_string("playback_token_sources"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stream_playback_sources,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_token_log_level"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_log_level,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_geoip_country"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_geoip,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stream_playback_main_conf_t, country),
      NULL },

    { ngx_string("playback_geoip_asn"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_geoip,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stream_playback_main_conf_t, asn),
      NULL },

    { ngx_string("playback_geoip_anonymous"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_geoip,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_stream_playback_main_conf_t, anonymous),
      NULL },

    { ngx_string("playback_geoip_reload"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_geoip_reload,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_rights"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_rights,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_licensing"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, licensing),
      NULL },

    { ngx_string("playback_rights_default"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_allow_deny,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, rights_default),
      NULL },

    { ngx_string("playback_unknown_country"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_allow_deny,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, unknown_country),
      NULL },

    { ngx_string("playback_anonymous_deny"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stream_playback_anonymous,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_tier"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_2MORE,
      ngx_stream_playback_tier,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_tiers"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, tiers),
      NULL },

    { ngx_string("playback_title_from"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, title_from),
      NULL },

    { ngx_string("playback_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_stream_playback_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_report"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_stream_playback_report,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_api"),
      NGX_HTTP_LOC_CONF|NGX_CONF_FLAG,
      ngx_stream_playback_api,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, api),
      NULL },

    { ngx_string("playback_stream_grace"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, stream_grace),
      NULL },

    { ngx_string("playback_streams_fail"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_stream_playback_streams_fail,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, streams_fail),
      NULL },

    { ngx_string("playback_resume_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, resume_ttl),
      NULL },

    { ngx_string("playback_media_token_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, media_token_ttl),
      NULL },

    { ngx_string("playback_api_base_url"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, api_base_url),
      NULL },

    { ngx_string("playback_api_tracks"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_str_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_stream_playback_loc_conf_t, api_tracks),
      NULL },

    { ngx_string("playback_api_drm"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_1MORE,
      ngx_stream_playback_api_drm,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("playback_session_check"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE12,
      ngx_stream_playback_session_check,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    /* the one metrics endpoint of every module (vodedge_metrics.h) */
    VODEDGE_METRICS_COMMAND,

      ngx_null_command
};


static ngx_http_module_t  ngx_stream_playback_module_ctx = {
    ngx_stream_playback_add_variables,     /* preconfiguration */
    ngx_stream_playback_init,              /* postconfiguration */

    ngx_stream_playback_create_main_conf,  /* create main configuration */
    ngx_stream_playback_init_main_conf,    /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_stream_playback_create_loc_conf,   /* create location configuration */
    ngx_stream_playback_merge_loc_conf     /* merge location configuration */
};


ngx_module_t  ngx_stream_playback_module = {
    NGX_MODULE_V1,
    &ngx_stream_playback_module_ctx,       /* module context */
    ngx_stream_playback_commands,          /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_stream_playback_init_process,      /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_stream_playback_exit_process,      /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_stream_playback_vars[] = {

    { ngx_string("playback_token_status"), NULL,
      ngx_stream_playback_variable, NGX_PLAYBACK_VAR_STATUS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_account"), NULL,
      ngx_stream_playback_variable, NGX_PLAYBACK_VAR_ACCOUNT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_tier"), NULL,
      ngx_stream_playback_variable, NGX_PLAYBACK_VAR_TIER,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_session"), NULL,
      ngx_stream_playback_variable, NGX_PLAYBACK_VAR_SESSION,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_country"), NULL,
      ngx_stream_playback_geo_variable, NGX_PLAYBACK_VAR_COUNTRY,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_asn"), NULL,
      ngx_stream_playback_geo_variable, NGX_PLAYBACK_VAR_ASN,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_asn_org"), NULL,
      ngx_stream_playback_geo_variable, NGX_PLAYBACK_VAR_ASN_ORG,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_licensing"), NULL,
      ngx_stream_playback_geo_variable, NGX_PLAYBACK_VAR_LICENSING,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_tier_max_height"), NULL,
      ngx_stream_playback_tier_variable, NGX_PLAYBACK_VAR_TIER_HEIGHT,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_tier_max_bitrate"), NULL,
      ngx_stream_playback_tier_variable, NGX_PLAYBACK_VAR_TIER_BITRATE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_tier_streams"), NULL,
      ngx_stream_playback_tier_variable, NGX_PLAYBACK_VAR_TIER_STREAMS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("playback_redis"), NULL,
      ngx_stream_playback_redis_variable, 0,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_stream_playback_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_stream_playback_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_stream_playback_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    const char                 *s;
    vod_str_t                  *str;
    ngx_stream_playback_ctx_t  *ctx;

    ctx = ngx_stream_playback_find_ctx(r);

    if (ctx == NULL || !ctx->token_done) {
        v->not_found = 1;
        return NGX_OK;
    }

    if (data == NGX_PLAYBACK_VAR_STATUS) {
        s = pb_jwt_reason(ctx->status);

        v->data = (u_char *) s;
        v->len = ngx_strlen(s);

    } else {
        switch (data) {

        case NGX_PLAYBACK_VAR_ACCOUNT:
            str = &ctx->claims.sub;
            break;

        case NGX_PLAYBACK_VAR_TIER:
            str = &ctx->claims.tier;
            break;

        default: /* NGX_PLAYBACK_VAR_SESSION */
            str = &ctx->claims.sid;
            break;
        }

        if (str->data == NULL) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->data = str->data;
        v->len = str->len;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_stream_playback_init(ngx_conf_t *cf)
{
    ngx_http_handler_pt              *h;
    ngx_http_core_main_conf_t        *cmcf;
    ngx_stream_playback_main_conf_t  *pmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    /* a phase runs its handlers last pushed first: the tier and licensing
     * checks are pushed before the token check so that they run after it,
     * and the session check, which may ask Redis, before them all */

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stream_playback_session_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stream_playback_tier_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stream_playback_licensing_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_REWRITE_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stream_playback_rewrite_handler;

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_ACCESS_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stream_playback_access_handler;

    pmcf = ngx_http_conf_get_module_main_conf(cf, ngx_stream_playback_module);

    if (ngx_stream_playback_metrics_init(cf, pmcf) != NGX_OK) {
        return NGX_ERROR;
    }

    return ngx_stream_playback_report_init(cf, pmcf);
}


/*
 * The request's context, created on first use: by the token check, the
 * licensing check or a GeoIP variable, whichever comes first.  A main
 * request's context outlives internal redirects (error_page, try_files,
 * X-Accel-Redirect), which clear every module's context: it is found
 * again through a cleanup of the request's pool that holds it.  So a
 * request checked once is not checked again after a redirect, and one
 * that was not (a rewrite, which nginx marks internal, or a redirect
 * from a location without tokens) is checked where it ends.
 */

ngx_stream_playback_ctx_t *
ngx_stream_playback_get_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t         *cln;
    ngx_stream_playback_ctx_t  *ctx;

    ctx = ngx_stream_playback_find_ctx(r);

    if (ctx != NULL) {
        return ctx;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_stream_playback_ctx_t));
    if (ctx == NULL) {
        return NULL;
    }

    if (r == r->main) {
        cln = ngx_pool_cleanup_add(r->pool, 0);
        if (cln == NULL) {
            return NULL;
        }

        cln->handler = ngx_stream_playback_ctx_keep;
        cln->data = ctx;
    }

    ngx_http_set_ctx(r, ctx, ngx_stream_playback_module);

    return ctx;
}


/* The request's context if it has one, found again after an internal
 * redirect; NULL before anything made one.  Variables read it this way:
 * in the rewrite phase of the location a redirect ends in, no check has
 * run yet to find it. */

ngx_stream_playback_ctx_t *
ngx_stream_playback_find_ctx(ngx_http_request_t *r)
{
    ngx_pool_cleanup_t         *cln;
    ngx_stream_playback_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

    if (ctx != NULL || r != r->main) {
        return ctx;
    }

    for (cln = r->pool->cleanup; cln != NULL; cln = cln->next) {
        if (cln->handler == ngx_stream_playback_ctx_keep) {
            ctx = cln->data;
            ngx_http_set_ctx(r, ctx, ngx_stream_playback_module);
            return ctx;
        }
    }

    return NULL;
}


/*
 * The walk of a list of headers (the request's or the response's): the
 * next element, or NULL past the last; *part and *i keep the place,
 * starting at the list's first part and 0.
 */

ngx_table_elt_t *
ngx_stream_playback_header_next(ngx_list_part_t **part, ngx_uint_t *i)
{
    ngx_table_elt_t  *h;

    while (*i >= (*part)->nelts) {
        if ((*part)->next == NULL) {
            return NULL;
        }

        *part = (*part)->next;
        *i = 0;
    }

    h = (*part)->elts;

    return &h[(*i)++];
}


/* marks the cleanup that keeps a context: nothing to free */

static void
ngx_stream_playback_ctx_keep(void *data)
{
}


static void *
ngx_stream_playback_create_main_conf(ngx_conf_t *cf)
{
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_pcalloc(cf->pool, sizeof(ngx_stream_playback_main_conf_t));
    if (pmcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     pmcf->country = NULL;
     *     pmcf->asn = NULL;
     *     pmcf->anonymous = NULL;
     *     pmcf->rights = NULL;
     *     pmcf->tiers = NULL;
     *     pmcf->reload_set = 0;
     */

    return pmcf;
}


static char *
ngx_stream_playback_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    if (!pmcf->reload_set) {
        pmcf->reload = 60;
    }

    if (ngx_stream_playback_tiers_init(cf, pmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    if (ngx_stream_playback_api_init_main(cf, pmcf) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static void *
ngx_stream_playback_create_loc_conf(ngx_conf_t *cf)
{
    ngx_stream_playback_loc_conf_t  *conf;

    conf = ngx_pcalloc(cf->pool, sizeof(ngx_stream_playback_loc_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     conf->query_arg = { 0, NULL };
     *     conf->cookie_name = { 0, NULL };
     *     conf->title_from = { 0, NULL };
     */

    conf->enable = NGX_CONF_UNSET;
    conf->keys = NGX_CONF_UNSET_PTR;
    conf->leeway = NGX_CONF_UNSET;
    conf->max_length = NGX_CONF_UNSET_SIZE;
    conf->sources = NGX_CONF_UNSET_UINT;
    conf->log_level = NGX_CONF_UNSET_UINT;
    conf->licensing = NGX_CONF_UNSET;
    conf->rights_default = NGX_CONF_UNSET_UINT;
    conf->unknown_country = NGX_CONF_UNSET_UINT;
    conf->anonymous_deny = NGX_CONF_UNSET_UINT;
    conf->tiers = NGX_CONF_UNSET;
    conf->api = NGX_CONF_UNSET;
    conf->stream_grace = NGX_CONF_UNSET_MSEC;
    conf->streams_fail = NGX_CONF_UNSET_UINT;
    conf->resume_ttl = NGX_CONF_UNSET;
    conf->media_token_ttl = NGX_CONF_UNSET;
    conf->api_base_url = NGX_CONF_UNSET_PTR;
    conf->api_drm = NGX_CONF_UNSET_PTR;
    conf->session_check = NGX_CONF_UNSET_UINT;
    conf->session_ttl = NGX_CONF_UNSET_MSEC;

    return conf;
}


static char *
ngx_stream_playback_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_stream_playback_loc_conf_t  *prev = parent;
    ngx_stream_playback_loc_conf_t  *conf = child;

    ngx_stream_playback_main_conf_t  *pmcf;

    ngx_conf_merge_value(conf->enable, prev->enable, 0);
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_value(conf->leeway, prev->leeway, 30);
    ngx_conf_merge_size_value(conf->max_length, prev->max_length,
                              PB_JWT_MAX_LENGTH);
    ngx_conf_merge_uint_value(conf->log_level, prev->log_level, NGX_LOG_WARN);

    /* licensing fails closed unless the configuration says otherwise */

    ngx_conf_merge_value(conf->licensing, prev->licensing, 0);
    ngx_conf_merge_uint_value(conf->rights_default, prev->rights_default, 0);
    ngx_conf_merge_uint_value(conf->unknown_country, prev->unknown_country,
                              0);
    ngx_conf_merge_uint_value(conf->anonymous_deny, prev->anonymous_deny,
                              VODEDGE_GEO_ANONYMOUS
                              | VODEDGE_GEO_ANONYMOUS_VPN
                              | VODEDGE_GEO_HOSTING
                              | VODEDGE_GEO_PUBLIC_PROXY
                              | VODEDGE_GEO_TOR_EXIT);
    ngx_conf_merge_str_value(conf->title_from, prev->title_from, "/vod/");
    ngx_conf_merge_value(conf->tiers, prev->tiers, 0);

    /* the edge's metrics zone is made where a location checks */
    if (conf->enable == 1 || conf->licensing == 1 || conf->tiers == 1
        || conf->api == 1)
    {
        pmcf = ngx_http_conf_get_module_main_conf(cf,
                                                  ngx_stream_playback_module);
        pmcf->used = 1;
    }

    if (conf->title_from.len == 0 || conf->title_from.data[0] != '/'
        || conf->title_from.data[conf->title_from.len - 1] != '/')
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_title_from\" must start and end "
                           "with \"/\", as in \"/vod/\"");
        return NGX_CONF_ERROR;
    }

    /* "off", or the prefix of an internal location to the origin */
    ngx_conf_merge_str_value(conf->api_tracks, prev->api_tracks, "off");

    if (conf->api_tracks.len == 3
        && ngx_strncmp(conf->api_tracks.data, "off", 3) == 0)
    {
        ngx_str_null(&conf->api_tracks);

    } else if (conf->api_tracks.len < 2 || conf->api_tracks.data[0] != '/'
               || conf->api_tracks.data[conf->api_tracks.len - 1] != '/'
               || ngx_strlchr(conf->api_tracks.data,
                              conf->api_tracks.data + conf->api_tracks.len,
                              '?')
                  != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api_tracks\" must be \"off\" or a "
                           "location prefix that starts and ends with "
                           "\"/\", as in \"/_tracks/\", not \"%V\"",
                           &conf->api_tracks);
        return NGX_CONF_ERROR;
    }

    if (conf->sources == NGX_CONF_UNSET_UINT) {
        conf->sources = prev->sources;
        conf->query_arg = prev->query_arg;
        conf->cookie_name = prev->cookie_name;
    }

    if (conf->sources == NGX_CONF_UNSET_UINT) {
        conf->sources = NGX_PLAYBACK_SOURCE_PREFIX;
    }

    if (conf->enable && conf->keys == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_token\" is on but no "
                           "\"playback_token_key\" is configured");
        return NGX_CONF_ERROR;
    }

    if (ngx_stream_playback_session_merge(cf, prev, conf) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    return ngx_stream_playback_api_merge(cf, prev, conf);
}


static char *
ngx_stream_playback_key(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ssize_t              n, len;
    ngx_str_t           *value, file;
    ngx_uint_t           i;
    pb_jwt_key_t        *key, *k;
    ngx_pool_cleanup_t  *cln;
    u_char               buf[4 * PB_JWT_KEY_MAX];
    u_char               secret[PB_KEY_BUF];

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > PB_JWT_KID_MAX) {
        return "has an empty or over-long kid";
    }

    if (plcf->keys == NGX_CONF_UNSET_PTR) {
        plcf->keys = ngx_array_create(cf->pool, 2, sizeof(pb_jwt_key_t));
        if (plcf->keys == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    k = plcf->keys->elts;

    for (i = 0; i < plcf->keys->nelts; i++) {
        if (k[i].kid.len == value[1].len
            && ngx_memcmp(k[i].kid.data, value[1].data, value[1].len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "duplicate playback token kid \"%V\"",
                               &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    /* the secret: base64url (padding and surrounding whitespace allowed),
     * read at configuration time, relative to the configuration prefix */

    file = value[2];

    n = vodedge_secret_read(cf, "playback token key file", &file, buf,
                            sizeof(buf));
    if (n == NGX_ERROR) {
        goto failed;
    }

    len = pb_key_decode(secret, buf, (size_t) n);

    switch (len) {

    case PB_KEY_EMPTY:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "playback token key file \"%s\" is empty",
                           file.data);
        goto failed;

    case PB_KEY_NOT_BASE64URL:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "playback token key file \"%s\" is not base64url",
                           file.data);
        goto failed;

    case PB_KEY_BAD_SIZE:
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "playback token key in \"%s\" is not %d to %d "
                           "bytes", file.data, PB_JWT_KEY_MIN,
                           PB_JWT_KEY_MAX);
        goto failed;
    }

    key = ngx_array_push(plcf->keys);
    if (key == NULL) {
        goto failed;
    }

    key->secret.data = ngx_pnalloc(cf->pool, len);
    if (key->secret.data == NULL) {
        plcf->keys->nelts--;
        goto failed;
    }

    ngx_memcpy(key->secret.data, secret, len);
    key->secret.len = len;
    key->kid.data = value[1].data;
    key->kid.len = value[1].len;

    /* keyed once here, freed with the configuration */

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        goto failed;
    }

    if (pb_jwt_key_prepare(key) == 0) {
        cln->handler = pb_jwt_mac_free;
        cln->data = key->mac;

    } else {
        ngx_conf_log_error(NGX_LOG_WARN, cf, 0,
                           "OpenSSL could not key HMAC-SHA256 once for kid "
                           "\"%V\": every verification keys it again",
                           &key->kid);
    }

    ngx_explicit_memzero(buf, sizeof(buf));
    ngx_explicit_memzero(secret, sizeof(secret));

    return NGX_CONF_OK;

failed:

    ngx_explicit_memzero(buf, sizeof(buf));
    ngx_explicit_memzero(secret, sizeof(secret));

    return NGX_CONF_ERROR;
}


static char *
ngx_stream_playback_sources(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (plcf->sources != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    plcf->sources = 0;
    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (value[i].len == 6
            && ngx_strncmp(value[i].data, "prefix", 6) == 0)
        {
            plcf->sources |= NGX_PLAYBACK_SOURCE_PREFIX;
            continue;
        }

        if (value[i].len > 6
            && ngx_strncmp(value[i].data, "query=", 6) == 0)
        {
            plcf->sources |= NGX_PLAYBACK_SOURCE_QUERY;
            plcf->query_arg.data = value[i].data + 6;
            plcf->query_arg.len = value[i].len - 6;
            continue;
        }

        if (value[i].len > 7
            && ngx_strncmp(value[i].data, "cookie=", 7) == 0)
        {
            plcf->sources |= NGX_PLAYBACK_SOURCE_COOKIE;
            plcf->cookie_name.data = value[i].data + 7;
            plcf->cookie_name.len = value[i].len - 7;
            continue;
        }

        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid token source \"%V\": expected "
                           "\"prefix\", \"query=<arg>\" or "
                           "\"cookie=<name>\"", &value[i]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_stream_playback_log_level(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (plcf->log_level != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; ngx_stream_playback_log_levels[i].len; i++) {
        if (value[1].len == ngx_stream_playback_log_levels[i].len
            && ngx_strncmp(value[1].data,
                           ngx_stream_playback_log_levels[i].data,
                           value[1].len) == 0)
        {
            plcf->log_level = NGX_LOG_EMERG + i;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid log level \"%V\"", &value[1]);

    return NGX_CONF_ERROR;
}


static char *
ngx_stream_playback_max_length(ngx_conf_t *cf, void *post, void *data)
{
    size_t  *sp = data;

    if (*sp < 64 || *sp > PB_JWT_MAX_LENGTH_LIMIT) {
        return "must be between 64 and 64k";
    }

    return NGX_CONF_OK;
}


static char *
ngx_stream_playback_allow_deny(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    char  *p = conf;

    ngx_str_t   *value;
    ngx_uint_t  *np;

    np = (ngx_uint_t *) (p + cmd->offset);

    if (*np != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "allow") == 0) {
        *np = 1;
        return NGX_CONF_OK;
    }

    if (ngx_strcmp(value[1].data, "deny") == 0) {
        *np = 0;
        return NGX_CONF_OK;
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "\"%V\" must be \"allow\" or \"deny\", not \"%V\"",
                       &cmd->name, &value[1]);

    return NGX_CONF_ERROR;
}


/*
 * A refusal from a phase handler, where NGX_OK would mean "allowed": rc is
 * what vodedge_json_send() or vodedge_json_error() returned for the
 * response they sent; the request is finalized with it here, and the
 * caller returns the NGX_DONE this gives.
 */

ngx_int_t
ngx_stream_playback_refusal_done(ngx_http_request_t *r, ngx_int_t rc)
{
    ngx_http_finalize_request(r, rc);

    return NGX_DONE;
}
