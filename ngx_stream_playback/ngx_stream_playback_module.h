/*
 * ngx_stream_playback_module.h: the edge module's shared definitions.  An
 * HTTP module despite its name: signed URLs now; tiers, GeoIP licensing
 * and the playback API later, each a ngx_stream_playback_*.c file of its
 * own behind this header.
 */

#ifndef _NGX_STREAM_PLAYBACK_MODULE_H_INCLUDED_
#define _NGX_STREAM_PLAYBACK_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "pb_jwt.h"
#include "pb_rights.h"
#include "vodedge_file.h"
#include "vodedge_geo.h"
#include "vodedge_json.h"
#include "vodedge_metrics.h"
#include "vodedge_redis.h"


#define NGX_PLAYBACK_SOURCE_PREFIX   0x01
#define NGX_PLAYBACK_SOURCE_QUERY    0x02
#define NGX_PLAYBACK_SOURCE_COOKIE   0x04

#define NGX_PLAYBACK_VAR_COUNTRY     0
#define NGX_PLAYBACK_VAR_ASN         1
#define NGX_PLAYBACK_VAR_ASN_ORG     2
#define NGX_PLAYBACK_VAR_LICENSING   3

/* playback_session_check */
#define NGX_PLAYBACK_SESSION_OFF       0
#define NGX_PLAYBACK_SESSION_ON        1
#define NGX_PLAYBACK_SESSION_REQUIRED  2

#define NGX_PLAYBACK_VAR_TIER_HEIGHT   0
#define NGX_PLAYBACK_VAR_TIER_BITRATE  1
#define NGX_PLAYBACK_VAR_TIER_STREAMS  2


/* the rights table in service and the file it came from */
typedef struct {
    pb_rights_t         *table;
    vodedge_file_t       file;           /* its pool holds table */
} ngx_stream_playback_rights_t;


/* a subscription tier: playback_tier, or the platform's defaults */
typedef struct {
    ngx_str_t            name;
    ngx_uint_t           max_height;      /* pixels */
    uint64_t             max_bitrate;     /* average video bits/s */
    ngx_uint_t           streams;         /* concurrent playbacks */
    ngx_str_t            height_text;     /* the three as variables */
    ngx_str_t            bitrate_text;
    ngx_str_t            streams_text;
} ngx_stream_playback_tier_t;


/* playback_report presence=: the titles the edge serves, claimed in
 * Redis (ngx_stream_playback_presence.c) */
typedef struct {
    ngx_str_t            id;             /* the cache id: the claim */
    ngx_msec_t           ttl;            /* a claim's life */
    ngx_msec_t           interval;       /* of the bound, the report's */
    ngx_uint_t           max;            /* claims written per interval,
                                          * per worker */
} ngx_stream_playback_presence_conf_t;


/* a server-side Lua script of the playback API, called by SHA-1 */
typedef struct {
    ngx_str_t            text;
    u_char               sha[40];        /* hex */
} ngx_stream_playback_script_t;


typedef struct {
    ngx_array_t                   *tiers;    /* ngx_stream_playback_tier_t */
    vodedge_geo_db_t              *country;
    vodedge_geo_db_t              *asn;
    vodedge_geo_db_t              *anonymous;
    ngx_stream_playback_rights_t  *rights;
    time_t                         reload;   /* NGX_CONF_UNSET: off */
    ngx_flag_t                     reload_set;

    vodedge_redis_conf_t          *redis;    /* playback_redis */
    vodedge_redis_client_t        *redis_client;    /* the worker's */
    ngx_stream_playback_script_t  *scripts;
    void                          *sessions; /* the worker's liveness cache */
    void                          *report;   /* playback_report, or NULL */
    vodedge_metrics_t             *metrics;  /* NULL: no vodedge_metrics */
    ngx_uint_t                     used;     /* a location checks */
} ngx_stream_playback_main_conf_t;


/* the edge's metric families (ngx_stream_playback_metrics.c); the Redis
 * client's follow them, from NGX_PB_M_REDIS */
enum {
    NGX_PB_M_TOKEN = 0,               /* reason */
    NGX_PB_M_LICENSING,               /* reason */
    NGX_PB_M_TIER,                    /* reason */
    NGX_PB_M_STREAMS,                 /* reason */
    NGX_PB_M_REDIS
};


typedef struct {
    ngx_flag_t           enable;
    ngx_array_t         *keys;           /* pb_jwt_key_t */
    time_t               leeway;
    size_t               max_length;
    ngx_uint_t           sources;        /* NGX_PLAYBACK_SOURCE_* */
    ngx_str_t            query_arg;
    ngx_str_t            cookie_name;
    ngx_uint_t           log_level;

    ngx_flag_t           licensing;
    ngx_uint_t           rights_default;    /* 1: allow */
    ngx_uint_t           unknown_country;   /* 1: allow */
    ngx_uint_t           anonymous_deny;    /* VODEDGE_GEO_* */
    ngx_str_t            title_from;

    ngx_flag_t           tiers;

    ngx_flag_t           api;                /* the playback API */
    ngx_msec_t           stream_grace;
    ngx_uint_t           streams_fail;       /* 1: open */
    time_t               resume_ttl;
    time_t               media_token_ttl;
    ngx_http_complex_value_t  *api_base_url;
    ngx_str_t            api_tracks;         /* "": off */
    ngx_array_t         *api_drm;            /* ngx_stream_playback_drm_t */

    ngx_uint_t           session_check;      /* NGX_PLAYBACK_SESSION_* */
    ngx_msec_t           session_ttl;
} ngx_stream_playback_loc_conf_t;


typedef struct {
    ngx_int_t            status;         /* PB_JWT_* */
    const char          *err;            /* detail of a refusal */
    const char          *source;         /* "prefix", "query", "cookie" */
    pb_jwt_claims_t      claims;         /* set once the MAC verified */

    /* GeoIP, looked up once per request by ngx_stream_playback_geo() */
    uint32_t             asn;
    ngx_str_t            asn_org;
    ngx_uint_t           anonymous;      /* VODEDGE_GEO_* */
    const char          *licensing;      /* pb_rights_reason() or NULL */

    ngx_stream_playback_tier_t  *tier;   /* of the token, once looked up */
    ngx_buf_t           *refusal;        /* a response turned into 403 */
    void                *api;            /* the playback API's request */
    u_char               country[2];
    unsigned             token_done:1;   /* the token was checked */
    unsigned             bad_path:1;     /* not nginx's canonical path */
    unsigned             geo_done:1;
    unsigned             has_country:1;
    unsigned             has_asn:1;
    unsigned             session_wait:1; /* asking Redis of the session */
    unsigned             session_done:1; /* Redis answered: session_state */
    unsigned             session_state:2;
} ngx_stream_playback_ctx_t;


ngx_int_t ngx_stream_playback_refusal_done(ngx_http_request_t *r,
    ngx_int_t rc);
ngx_int_t ngx_stream_playback_rewrite_handler(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_access_handler(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_scrub(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx);

ngx_stream_playback_ctx_t *ngx_stream_playback_get_ctx(ngx_http_request_t *r);
ngx_stream_playback_ctx_t *ngx_stream_playback_find_ctx(
    ngx_http_request_t *r);
ngx_table_elt_t *ngx_stream_playback_header_next(ngx_list_part_t **part,
    ngx_uint_t *i);
ngx_int_t ngx_stream_playback_geo(ngx_http_request_t *r,
    ngx_stream_playback_ctx_t *ctx);
ngx_int_t ngx_stream_playback_licensing_handler(ngx_http_request_t *r);
void ngx_stream_playback_title(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_str_t *title);
ngx_int_t ngx_stream_playback_license(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf,
    ngx_stream_playback_ctx_t *ctx, ngx_str_t *title, ngx_uint_t *unknown);
char *ngx_stream_playback_geoip(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stream_playback_rights(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
void ngx_stream_playback_rights_refresh(ngx_stream_playback_rights_t *rights,
    time_t interval, ngx_log_t *log);
char *ngx_stream_playback_geoip_reload(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_stream_playback_geo_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);
char *ngx_stream_playback_anonymous(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);

ngx_int_t ngx_stream_playback_tc_get(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_str_t *token,
    pb_jwt_claims_t *claims);
void ngx_stream_playback_tc_put(ngx_stream_playback_loc_conf_t *plcf,
    ngx_str_t *token, const pb_jwt_claims_t *claims);

char *ngx_stream_playback_tier(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
ngx_int_t ngx_stream_playback_parse_bitrate(ngx_str_t *s, uint64_t *bps);
ngx_int_t ngx_stream_playback_tiers_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf);
ngx_stream_playback_tier_t *ngx_stream_playback_tier_find(
    ngx_stream_playback_main_conf_t *pmcf, ngx_str_t *name);
ngx_stream_playback_tier_t *ngx_stream_playback_request_tier(
    ngx_http_request_t *r, ngx_stream_playback_ctx_t *ctx);
ngx_int_t ngx_stream_playback_tier_handler(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_tier_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

char *ngx_stream_playback_redis(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stream_playback_api(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stream_playback_api_drm(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stream_playback_streams_fail(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stream_playback_api_merge(ngx_conf_t *cf,
    ngx_stream_playback_loc_conf_t *prev,
    ngx_stream_playback_loc_conf_t *conf);
ngx_int_t ngx_stream_playback_api_init_main(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf);
ngx_int_t ngx_stream_playback_init_process(ngx_cycle_t *cycle);
void ngx_stream_playback_exit_process(ngx_cycle_t *cycle);
ngx_int_t ngx_stream_playback_redis_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data);

char *ngx_stream_playback_session_check(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
char *ngx_stream_playback_session_merge(ngx_conf_t *cf,
    ngx_stream_playback_loc_conf_t *prev,
    ngx_stream_playback_loc_conf_t *conf);
ngx_int_t ngx_stream_playback_session_init_process(ngx_cycle_t *cycle,
    ngx_stream_playback_main_conf_t *pmcf);
ngx_int_t ngx_stream_playback_session_handler(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_scope(ngx_pool_t *pool, ngx_str_t *account,
    ngx_str_t *out);

char *ngx_stream_playback_report(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
/* metrics: the zone when configured (postconfiguration), and a refusal
 * of family counted by its reason (a value of the family's label) */
ngx_int_t ngx_stream_playback_metrics_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf);
void ngx_stream_playback_count(ngx_http_request_t *r, ngx_uint_t family,
    const char *reason);

ngx_int_t ngx_stream_playback_report_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf);
ngx_int_t ngx_stream_playback_report_init_process(ngx_cycle_t *cycle,
    ngx_stream_playback_main_conf_t *pmcf);

ngx_int_t ngx_stream_playback_presence_init_process(ngx_cycle_t *cycle,
    ngx_stream_playback_main_conf_t *pmcf,
    ngx_stream_playback_presence_conf_t *conf);
void ngx_stream_playback_presence_served(ngx_http_request_t *r);


extern ngx_module_t  ngx_stream_playback_module;


#endif /* _NGX_STREAM_PLAYBACK_MODULE_H_INCLUDED_ */
