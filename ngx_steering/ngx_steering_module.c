/*
 * ngx_steering_module.c: directives, configuration, variables and the
 * content handler of the steering module.  The fleet file is read in
 * ngx_steering_fleet.c, live state kept in ngx_steering_state.c, the
 * decision made in ngx_steering_decide.c (core/st_decide.c) and written
 * out in ngx_steering_output.c.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"


#define NGX_STEERING_VAR_PRIMARY      0
#define NGX_STEERING_VAR_PRIMARY_URL  1
#define NGX_STEERING_VAR_FALLBACKS    2
#define NGX_STEERING_VAR_TIER         3
#define NGX_STEERING_VAR_REASON       4
#define NGX_STEERING_VAR_TTL          5
#define NGX_STEERING_VAR_ASN          6
#define NGX_STEERING_VAR_COUNTRY      7
#define NGX_STEERING_VAR_PRESENCE     8


static ngx_int_t ngx_steering_add_variables(ngx_conf_t *cf);
static void *ngx_steering_create_main_conf(ngx_conf_t *cf);
static char *ngx_steering_init_main_conf(ngx_conf_t *cf, void *conf);
static void *ngx_steering_create_loc_conf(ngx_conf_t *cf);
static char *ngx_steering_merge_loc_conf(ngx_conf_t *cf, void *parent,
    void *child);
static char *ngx_steering(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
static char *ngx_steering_geoip(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_steering_time_off(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_steering_zone(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_steering_max_load(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_steering_ttl(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_steering_pathway(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_steering_handler(ngx_http_request_t *r);
static ngx_int_t ngx_steering_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
static ngx_int_t ngx_steering_init_process(ngx_cycle_t *cycle);
static void ngx_steering_exit_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_steering_commands[] = {

    { ngx_string("steering"),
      NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_steering,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_title"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_http_set_complex_value_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_steering_loc_conf_t, title),
      NULL },

    { ngx_string("steering_pathway"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_steering_pathway,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_steering_loc_conf_t, pathway),
      NULL },

    { ngx_string("steering_state_key_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_steering_key_file,
      NGX_HTTP_LOC_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_state_max_skew"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_HTTP_LOC_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_LOC_CONF_OFFSET,
      offsetof(ngx_steering_loc_conf_t, max_skew),
      NULL },

    { ngx_string("steering_fleet"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_fleet,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_geoip_asn"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_geoip,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, asn),
      "steering ASN database" },

    { ngx_string("steering_geoip_country"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_geoip,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, country),
      "steering country database" },

    { ngx_string("steering_geoip_city"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_geoip,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, city),
      "steering city database" },

    { ngx_string("steering_reload"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_time_off,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, reload),
      NULL },

    { ngx_string("steering_zone"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_zone,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_state_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_time_off,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, max_age),
      NULL },

    { ngx_string("steering_max_load"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_max_load,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_subset"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, subset),
      NULL },

    { ngx_string("steering_proximity_range"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_num_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, range_km),
      NULL },

    { ngx_string("steering_ttl"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE3,
      ngx_steering_ttl,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_redis"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_1MORE,
      ngx_steering_redis,
      NGX_HTTP_MAIN_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("steering_presence_interval"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_msec_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, presence_interval),
      NULL },

    { ngx_string("steering_redis_state"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_FLAG,
      ngx_conf_set_flag_slot,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, redis_state),
      NULL },

    { ngx_string("steering_presence_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_CONF_TAKE1,
      ngx_steering_time_off,
      NGX_HTTP_MAIN_CONF_OFFSET,
      offsetof(ngx_steering_main_conf_t, presence_max_age),
      NULL },

    /* the one metrics endpoint of every module (vodedge_metrics.h) */
    VODEDGE_METRICS_COMMAND,

      ngx_null_command
};


static ngx_http_module_t  ngx_steering_module_ctx = {
    ngx_steering_add_variables,            /* preconfiguration */
    ngx_steering_metrics_init,             /* postconfiguration */

    ngx_steering_create_main_conf,         /* create main configuration */
    ngx_steering_init_main_conf,           /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    ngx_steering_create_loc_conf,          /* create location configuration */
    ngx_steering_merge_loc_conf            /* merge location configuration */
};


ngx_module_t  ngx_steering_module = {
    NGX_MODULE_V1,
    &ngx_steering_module_ctx,              /* module context */
    ngx_steering_commands,                 /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_steering_init_process,             /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    ngx_steering_exit_process,             /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_variable_t  ngx_steering_vars[] = {

    { ngx_string("steering_primary"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_PRIMARY,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_primary_url"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_PRIMARY_URL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_fallbacks"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_FALLBACKS,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_tier"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_TIER,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_reason"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_REASON,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_ttl"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_TTL,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_asn"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_ASN,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_country"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_COUNTRY,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

    { ngx_string("steering_presence"), NULL,
      ngx_steering_variable, NGX_STEERING_VAR_PRESENCE,
      NGX_HTTP_VAR_NOCACHEABLE, 0 },

      ngx_http_null_variable
};


static ngx_int_t
ngx_steering_add_variables(ngx_conf_t *cf)
{
    ngx_http_variable_t  *var, *v;

    for (v = ngx_steering_vars; v->name.len; v++) {
        var = ngx_http_add_variable(cf, &v->name, v->flags);
        if (var == NULL) {
            return NGX_ERROR;
        }

        var->get_handler = v->get_handler;
        var->data = v->data;
    }

    return NGX_OK;
}


static void *
ngx_steering_create_main_conf(ngx_conf_t *cf)
{
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_pcalloc(cf->pool, sizeof(ngx_steering_main_conf_t));
    if (smcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     smcf->fleet = NULL;
     *     smcf->asn = NULL; smcf->country = NULL; smcf->city = NULL;
     *     smcf->zone = NULL;
     *     smcf->ttl_set = 0;
     *     smcf->redis = NULL;
     */

    smcf->reload = NGX_CONF_UNSET;
    smcf->max_age = NGX_CONF_UNSET;
    smcf->max_load = NGX_CONF_UNSET_UINT;
    smcf->subset = NGX_CONF_UNSET_UINT;
    smcf->range_km = NGX_CONF_UNSET_UINT;
    smcf->presence_interval = NGX_CONF_UNSET_MSEC;
    smcf->presence_max_age = NGX_CONF_UNSET;
    smcf->redis_state = NGX_CONF_UNSET;

    return smcf;
}


static char *
ngx_steering_init_main_conf(ngx_conf_t *cf, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    ngx_str_t  name = ngx_string("steering");

    ngx_conf_init_value(smcf->reload, 5);
    ngx_conf_init_value(smcf->max_age, 30);
    ngx_conf_init_uint_value(smcf->max_load, NGX_STEERING_LOAD_ONE * 9 / 10);
    ngx_conf_init_uint_value(smcf->subset, 2);
    ngx_conf_init_uint_value(smcf->range_km, 2000);
    ngx_conf_init_msec_value(smcf->presence_interval, 5000);
    ngx_conf_init_value(smcf->presence_max_age, 30);
    ngx_conf_init_value(smcf->redis_state, 0);

    if (smcf->redis_state && smcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"steering_redis_state\" is on but no "
                           "\"steering_redis\" is configured");
        return NGX_CONF_ERROR;
    }

    if (smcf->presence_interval < 100) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering_presence_interval is too short: at "
                           "least 100ms");
        return NGX_CONF_ERROR;
    }

    if (smcf->presence_max_age >= 0
        && (ngx_msec_t) smcf->presence_max_age * 1000
           <= smcf->presence_interval)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering_presence_max_age must be longer than "
                           "steering_presence_interval");
        return NGX_CONF_ERROR;
    }

    if (!smcf->ttl_set) {
        smcf->ttl[ST_TIER_ISP] = 300;
        smcf->ttl[ST_TIER_IXP] = 60;
        smcf->ttl[ST_TIER_ORIGIN] = 30;
    }

    if (smcf->fleet != NULL && smcf->zone == NULL) {
        if (ngx_steering_zone_add(cf, smcf, &name, 1024 * 1024) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static void *
ngx_steering_create_loc_conf(ngx_conf_t *cf)
{
    ngx_steering_loc_conf_t  *slcf;

    slcf = ngx_pcalloc(cf->pool, sizeof(ngx_steering_loc_conf_t));
    if (slcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     slcf->mode = NGX_STEERING_OFF;
     *     slcf->pathway = { 0, NULL };
     */

    slcf->title = NGX_CONF_UNSET_PTR;
    slcf->keys = NGX_CONF_UNSET_PTR;
    slcf->max_skew = NGX_CONF_UNSET;

    return slcf;
}


static char *
ngx_steering_merge_loc_conf(ngx_conf_t *cf, void *parent, void *child)
{
    ngx_steering_loc_conf_t *prev = parent;
    ngx_steering_loc_conf_t *conf = child;

    ngx_steering_main_conf_t  *smcf;

    ngx_conf_merge_ptr_value(conf->title, prev->title, NULL);
    ngx_conf_merge_str_value(conf->pathway, prev->pathway, "origin");
    ngx_conf_merge_ptr_value(conf->keys, prev->keys, NULL);
    ngx_conf_merge_sec_value(conf->max_skew, prev->max_skew, 30);

    if (conf->max_skew < 1 || conf->max_skew > 3600) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering_state_max_skew must be 1s to 1h");
        return NGX_CONF_ERROR;
    }

    /* the state API is never open: no key, no configuration */

    if (conf->mode == NGX_STEERING_STATE && conf->keys == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"steering state\" needs keys: add "
                           "\"steering_state_key_file FILE;\" (an address "
                           "is not an identity behind a proxy)");
        return NGX_CONF_ERROR;
    }

    if (conf->mode != NGX_STEERING_OFF) {
        smcf = ngx_http_conf_get_module_main_conf(cf, ngx_steering_module);

        if (smcf->fleet == NULL) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"steering\" needs a fleet: add "
                               "\"steering_fleet FILE;\" to the http block");
            return NGX_CONF_ERROR;
        }
    }

    return NGX_CONF_OK;
}


static char *
ngx_steering(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_loc_conf_t *slcf = conf;

    ngx_str_t                 *value;
    ngx_http_core_loc_conf_t  *clcf;

    if (slcf->mode != NGX_STEERING_OFF) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "decide") == 0) {
        slcf->mode = NGX_STEERING_DECIDE;

    } else if (ngx_strcmp(value[1].data, "state") == 0) {
        slcf->mode = NGX_STEERING_STATE;

    } else if (ngx_strcmp(value[1].data, "redirect") == 0) {
        slcf->mode = NGX_STEERING_REDIRECT;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid value \"%V\": expected \"decide\", "
                           "\"state\" or \"redirect\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);
    clcf->handler = ngx_steering_handler;

    return NGX_CONF_OK;
}


static char *
ngx_steering_geoip(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    ngx_str_t          *value;
    vodedge_geo_db_t  **db;

    db = (vodedge_geo_db_t **) (p + cmd->offset);

    if (*db != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    *db = vodedge_geo_open(cf, &value[1], cmd->post);

    return *db != NULL ? NGX_CONF_OK : NGX_CONF_ERROR;
}


static char *
ngx_steering_time_off(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    char  *p = conf;

    time_t     *t;
    ngx_str_t  *value;

    t = (time_t *) (p + cmd->offset);

    if (*t != NGX_CONF_UNSET) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        *t = NGX_STEERING_TIME_OFF;
        return NGX_CONF_OK;
    }

    *t = ngx_parse_time(&value[1], 1);

    if (*t == (time_t) NGX_ERROR) {
        return "has an invalid time: expected \"off\" or a time such as 30s";
    }

    return NGX_CONF_OK;
}


static char *
ngx_steering_zone(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    u_char     *colon;
    ssize_t     size;
    ngx_str_t  *value, name, s;

    if (smcf->zone != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    colon = (u_char *) ngx_strchr(value[1].data, ':');

    if (colon == NULL || colon == value[1].data) {
        return "has an invalid value: expected NAME:SIZE";
    }

    name.data = value[1].data;
    name.len = colon - value[1].data;

    s.data = colon + 1;
    s.len = value[1].data + value[1].len - s.data;

    size = ngx_parse_size(&s);

    if (size == NGX_ERROR
        || size < (ssize_t) (sizeof(ngx_steering_shctx_t) + 64 * 1024))
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering zone \"%V\" is too small or its size "
                           "is invalid: at least %uzk", &name,
                           (sizeof(ngx_steering_shctx_t) + 64 * 1024) / 1024
                           + 1);
        return NGX_CONF_ERROR;
    }

    if (ngx_steering_zone_add(cf, smcf, &name, size) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


static char *
ngx_steering_max_load(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    ngx_int_t   n;
    ngx_str_t  *value;

    if (smcf->max_load != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    n = ngx_atofp(value[1].data, value[1].len, 4);

    if (n <= 0 || n > NGX_STEERING_LOAD_ONE) {
        return "has an invalid value: expected a number above 0, at most 1";
    }

    smcf->max_load = n;

    return NGX_CONF_OK;
}


static char *
ngx_steering_ttl(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    time_t      t;
    ngx_str_t  *value;
    ngx_uint_t  i;

    if (smcf->ttl_set) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (i = 0; i < ST_TIERS; i++) {
        t = ngx_parse_time(&value[i + 1], 1);

        if (t == (time_t) NGX_ERROR || t < 1 || t > 86400) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid %s TTL \"%V\": expected 1s to 1d",
                               st_tier_name(i), &value[i + 1]);
            return NGX_CONF_ERROR;
        }

        smcf->ttl[i] = t;
    }

    smcf->ttl_set = 1;

    return NGX_CONF_OK;
}


static char *
ngx_steering_pathway(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_str_t  *value;
    char       *rv;

    rv = ngx_conf_set_str_slot(cf, cmd, conf);
    if (rv != NGX_CONF_OK) {
        return rv;
    }

    value = cf->args->elts;

    if (!st_id_valid(value[1].data, value[1].len)) {
        return "has an invalid Pathway ID: expected 1 to 64 of "
               "[A-Za-z0-9._-]";
    }

    return NGX_CONF_OK;
}


static ngx_int_t
ngx_steering_handler(ngx_http_request_t *r)
{
    ngx_int_t                 rc;
    ngx_str_t                 title, rest;
    ngx_uint_t                format;
    ngx_steering_ctx_t       *ctx;
    ngx_steering_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_steering_module);

    if (slcf->mode == NGX_STEERING_STATE) {
        return ngx_steering_state_handler(r);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);
    if (rc != NGX_OK) {
        return rc;
    }

    format = NGX_STEERING_FORMAT_JSON;

    if (slcf->mode == NGX_STEERING_DECIDE && slcf->title == NULL) {
        /* /steer/{title}, /steer/{title}/hls, /steer/{title}/dash */

        if (ngx_steering_title_default(r, &r->uri, &title, &rest)
            != NGX_OK)
        {
            return vodedge_json_error(r, NGX_HTTP_BAD_REQUEST,
                                      "bad_request",
                                      "no valid title in the URL");
        }

        if (rest.len == 4 && ngx_strncmp(rest.data, "/hls", 4) == 0) {
            format = NGX_STEERING_FORMAT_HLS;

        } else if (rest.len == 5 && ngx_strncmp(rest.data, "/dash", 5) == 0) {
            format = NGX_STEERING_FORMAT_DASH;

        } else if (rest.len > 0 && !(rest.len == 1 && rest.data[0] == '/')) {
            return vodedge_json_error(r, NGX_HTTP_NOT_FOUND,
                                      "not_found",
                                      "expected /{title}, /{title}/hls "
                                      "or /{title}/dash");
        }

    } else if (slcf->mode == NGX_STEERING_DECIDE) {
        if (r->args.len) {
            /* a title from a variable: the format from ?format= */
            if (ngx_http_arg(r, (u_char *) "format", 6, &rest) == NGX_OK) {
                if (rest.len == 3 && ngx_strncmp(rest.data, "hls", 3) == 0) {
                    format = NGX_STEERING_FORMAT_HLS;

                } else if (rest.len == 4
                           && ngx_strncmp(rest.data, "dash", 4) == 0)
                {
                    format = NGX_STEERING_FORMAT_DASH;
                }
            }
        }
    }

    ctx = ngx_steering_decide(r);

    if (ctx == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (ctx->status != NGX_OK) {
        return vodedge_json_error(r, ctx->status, "bad_request",
                                  "no valid title");
    }

    if (slcf->mode == NGX_STEERING_REDIRECT) {
        return ngx_steering_redirect(r, ctx);
    }

    return ngx_steering_output(r, ctx, format);
}


static ngx_int_t
ngx_steering_variable(ngx_http_request_t *r, ngx_http_variable_value_t *v,
    uintptr_t data)
{
    u_char              *p;
    size_t               len;
    ngx_uint_t           i;
    const char          *s;
    ngx_steering_ctx_t  *ctx;

    ctx = ngx_steering_decide(r);

    if (ctx == NULL || ctx->status != NGX_OK) {
        v->not_found = 1;
        return NGX_OK;
    }

    switch (data) {

    case NGX_STEERING_VAR_PRIMARY:
        v->data = ctx->rank[0].id.data;
        v->len = ctx->rank[0].id.len;
        break;

    case NGX_STEERING_VAR_PRIMARY_URL:
        v->data = ctx->rank[0].url.data;
        v->len = ctx->rank[0].url.len;
        break;

    case NGX_STEERING_VAR_FALLBACKS:
        len = 0;

        for (i = 1; i < ctx->n; i++) {
            len += ctx->rank[i].id.len + 1;
        }

        p = ngx_pnalloc(r->pool, len + 1);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;

        for (i = 1; i < ctx->n; i++) {
            if (i > 1) {
                *p++ = ',';
            }

            p = ngx_cpymem(p, ctx->rank[i].id.data, ctx->rank[i].id.len);
        }

        v->len = p - v->data;
        break;

    case NGX_STEERING_VAR_TIER:
    case NGX_STEERING_VAR_REASON:
        s = data == NGX_STEERING_VAR_TIER ? st_tier_name(ctx->tier)
                                          : st_reason_name(ctx->reason);
        v->data = (u_char *) s;
        v->len = ngx_strlen(s);
        break;

    case NGX_STEERING_VAR_TTL:
        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = ngx_sprintf(p, "%uD", ctx->ttl) - p;
        break;

    case NGX_STEERING_VAR_ASN:
        if (!ctx->client.has_asn) {
            v->not_found = 1;
            return NGX_OK;
        }

        p = ngx_pnalloc(r->pool, NGX_INT_T_LEN);
        if (p == NULL) {
            return NGX_ERROR;
        }

        v->data = p;
        v->len = ngx_sprintf(p, "%uD", ctx->client.asn) - p;
        break;

    case NGX_STEERING_VAR_PRESENCE:
        v->data = (u_char *) (ctx->has_presence ? "1" : "0");
        v->len = 1;
        break;

    default: /* NGX_STEERING_VAR_COUNTRY */
        if (!ctx->client.has_country) {
            v->not_found = 1;
            return NGX_OK;
        }

        v->data = ctx->client.country;
        v->len = 2;
        break;
    }

    v->valid = 1;
    v->no_cacheable = 0;
    v->not_found = 0;

    return NGX_OK;
}


static ngx_int_t
ngx_steering_init_process(ngx_cycle_t *cycle)
{
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_steering_module);

    if (smcf != NULL) {
        ngx_steering_metrics_names(smcf);
    }

    return ngx_steering_presence_init_process(cycle);
}


static void
ngx_steering_exit_process(ngx_cycle_t *cycle)
{
    ngx_steering_presence_exit_process(cycle);
}
