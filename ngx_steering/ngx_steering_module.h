/*
 * ngx_steering_module.h: what the steering module's files share.  The
 * decision itself is nginx-free (core/st_decide.c); the glue owns the
 * fleet file, GeoIP, the live state in shared memory and the output.
 */

#ifndef _NGX_STEERING_MODULE_H_INCLUDED_
#define _NGX_STEERING_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "st_decide.h"
#include "vodedge_file.h"
#include "vodedge_geo.h"
#include "vodedge_json.h"
#include "vodedge_metrics.h"
#include "vodedge_redis.h"


#define NGX_STEERING_OFF           0
#define NGX_STEERING_DECIDE        1   /* /steer/{title}[/hls|/dash] */
#define NGX_STEERING_STATE         2   /* /steering/caches/[{id}] */
#define NGX_STEERING_REDIRECT      3   /* 302 to the primary */

#define NGX_STEERING_FORMAT_JSON   0
#define NGX_STEERING_FORMAT_HLS    1
#define NGX_STEERING_FORMAT_DASH   2

#define NGX_STEERING_TITLE_MAX     255

/* a time directive set to "off" (NGX_CONF_UNSET is -1) */
#define NGX_STEERING_TIME_OFF      ((time_t) -2)

/* the packed live state word of a cache in shared memory */
#define NGX_STEERING_LOAD_ONE      10000
#define NGX_STEERING_HEALTHY       0x10000
#define NGX_STEERING_REPORTED      0x20000


/* one cache's live state in shared memory, found by id */
typedef struct {
    ngx_atomic_t         word;         /* updated << 32 | flags | load */
    u_char               id_len;
    u_char               id[ST_ID_MAX];
} ngx_steering_slot_t;


/* titles' presence sets polled from Redis (ngx_steering_presence.c) */
typedef struct {
    ngx_rbtree_node_t    node;         /* key: st_hash() of the title */
    ngx_uint_t           gen;          /* the poll that last saw it */
    uint64_t             caches[ST_MAX_CACHES / 64];   /* slot bits */
    u_short              len;
    u_char               title[1];
} ngx_steering_presence_t;


typedef struct {
    ngx_uint_t           nslots;
    ngx_steering_slot_t  slots[ST_MAX_CACHES];
    ngx_rbtree_t         presence;
    ngx_rbtree_node_t    sentinel;
    ngx_uint_t           presence_titles;   /* nodes in the tree */
    ngx_uint_t           presence_gen;      /* of the latest poll begun */
    time_t               presence_since;    /* the zone's creation */
    time_t               presence_polled;   /* last complete poll, 0 */
    ngx_msec_t           presence_lock;     /* a worker's poll until */
    ngx_msec_t           presence_next;     /* the next poll is due */
    ngx_pid_t            presence_owner;    /* the polling worker */
    ngx_atomic_t         presence_stale;    /* logged as stale */
    ngx_rbtree_t         replay;       /* state requests' signatures */
    ngx_rbtree_node_t    replay_sentinel;
    ngx_queue_t          replay_queue;      /* in the order accepted */
} ngx_steering_shctx_t;


/* the fleet in service, the file it came from, and where each cache's
 * state lives in the zone: slot[i] is the zone's slot of caches[i]'s id,
 * resolved before the fleet is put in service (at the zone's init for
 * the configuration's fleet, before the swap for a reloaded one), so the
 * two always go together */
typedef struct {
    st_fleet_t          *fleet;
    ngx_uint_t          *slot;           /* per cache */
    vodedge_file_t       file;           /* its pool holds fleet and slot */
} ngx_steering_fleet_t;


/* a worker's cache of GeoIP lookups by client address (direct-mapped),
 * valid for the databases it was filled from */
#define NGX_STEERING_CLIENTS       1024

typedef struct {
    u_char               family;       /* 0: empty */
    u_char               addr[16];
    st_client_t          client;
} ngx_steering_client_t;


typedef struct {
    MMDB_s                *asn;
    MMDB_s                *country;
    MMDB_s                *city;
    ngx_steering_client_t  entries[NGX_STEERING_CLIENTS];
} ngx_steering_clients_t;


typedef struct {
    ngx_steering_fleet_t  *fleet;
    vodedge_geo_db_t      *asn;
    vodedge_geo_db_t      *country;
    vodedge_geo_db_t      *city;
    time_t                 reload;         /* < 0: off */
    ngx_shm_zone_t        *zone;
    ngx_steering_shctx_t  *sh;
    ngx_slab_pool_t       *shpool;
    time_t                 max_age;        /* < 0: off */
    ngx_uint_t             max_load;       /* of NGX_STEERING_LOAD_ONE */
    ngx_uint_t             subset;
    ngx_uint_t             range_km;
    ngx_uint_t             ttl[ST_TIERS];
    ngx_uint_t             ttl_set;
    vodedge_redis_conf_t  *redis;          /* presence; NULL: none */
    ngx_msec_t             presence_interval;
    time_t                 presence_max_age;    /* < 0: off */
    ngx_flag_t             redis_state;    /* caches' state from Redis */
    ngx_steering_clients_t  *clients;      /* this worker's, lazily */
    vodedge_metrics_t     *metrics;        /* NULL: no vodedge_metrics */
} ngx_steering_main_conf_t;


/* steering's metric families (ngx_steering_metrics.c); the Redis
 * client's follow them, from NGX_ST_M_REDIS */
enum {
    NGX_ST_M_DECISIONS = 0,           /* tier x reason */
    NGX_ST_M_HEALTHY,                 /* cache (named by slot) */
    NGX_ST_M_LOAD,                    /* cache */
    NGX_ST_M_REPORTED,                /* cache */
    NGX_ST_M_REDIS
};


/* a key of steering_state_key_file */
typedef struct {
    ngx_str_t            kid;
    ngx_str_t            secret;
} ngx_steering_key_t;


/* a state request's credential (ngx_steering_auth.c) */
typedef struct {
    ngx_steering_key_t  *key;          /* NULL: none known */
    time_t               ts;
    time_t               expires;      /* when ts is out of the skew */
    ngx_str_t            ts_text;      /* as sent, as signed */
    ngx_str_t            nonce;
    u_char               sig[32];
    const char          *reason;       /* why it is refused */
} ngx_steering_auth_t;


typedef struct {
    ngx_uint_t                  mode;          /* NGX_STEERING_* */
    ngx_http_complex_value_t   *title;
    ngx_str_t                   pathway;       /* base Pathway ID */
    ngx_array_t                *keys;          /* of ngx_steering_key_t */
    time_t                      max_skew;
} ngx_steering_loc_conf_t;


/* a ranked cache, copied out of the fleet: a fleet reload may free it
 * while the request still logs */
typedef struct {
    ngx_str_t            id;
    ngx_str_t            url;
    ngx_str_t            host;
    uint32_t             tier;
    uint32_t             score;
} ngx_steering_pick_t;


typedef struct {
    ngx_str_t             title;
    st_client_t           client;
    ngx_steering_pick_t   rank[ST_RANK_MAX];
    ngx_uint_t            n;
    ngx_uint_t            primary_count;
    uint32_t              tier;
    uint32_t              ttl;
    uint32_t              reason;
    ngx_int_t             status;          /* NGX_OK or an HTTP error */
    unsigned              done:1;
    unsigned              has_presence:1;
} ngx_steering_ctx_t;


extern ngx_module_t  ngx_steering_module;


/* ngx_steering_fleet.c */
char *ngx_steering_fleet(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
void ngx_steering_fleet_refresh(ngx_steering_main_conf_t *smcf,
    ngx_log_t *log);

/* ngx_steering_state.c */
ngx_int_t ngx_steering_zone_add(ngx_conf_t *cf,
    ngx_steering_main_conf_t *smcf, ngx_str_t *name, size_t size);
ngx_int_t ngx_steering_resolve_slots(ngx_steering_main_conf_t *smcf,
    st_fleet_t *fleet, ngx_uint_t *slot, ngx_log_t *log);
void ngx_steering_live(ngx_steering_main_conf_t *smcf, st_live_t *live);

/* the metrics zone when configured (postconfiguration); a cache's state
 * word of slot as steering sees it now, into the gauges; the gauges'
 * names from the zone's slots (a worker's start, a fleet's slots) */
ngx_int_t ngx_steering_metrics_init(ngx_conf_t *cf);
void ngx_steering_metrics_cache(ngx_steering_main_conf_t *smcf,
    ngx_uint_t slot, uint64_t word, time_t now);
void ngx_steering_metrics_names(ngx_steering_main_conf_t *smcf);
ngx_int_t ngx_steering_state_handler(ngx_http_request_t *r);

/* ngx_steering_auth.c */
char *ngx_steering_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_steering_auth_header(ngx_http_request_t *r,
    ngx_steering_auth_t *a);
ngx_int_t ngx_steering_auth_verify(ngx_http_request_t *r,
    ngx_steering_auth_t *a, u_char *body, size_t len);
ngx_int_t ngx_steering_auth_refuse(ngx_http_request_t *r,
    ngx_steering_auth_t *a);
void ngx_steering_auth_zone_init(ngx_steering_shctx_t *sh);

/* ngx_steering_decide.c */
ngx_steering_ctx_t *ngx_steering_decide(ngx_http_request_t *r);
ngx_int_t ngx_steering_title_default(ngx_http_request_t *r, ngx_str_t *uri,
    ngx_str_t *title, ngx_str_t *rest);
ngx_int_t ngx_steering_title_valid(ngx_str_t *title);

/* ngx_steering_output.c */
ngx_int_t ngx_steering_output(ngx_http_request_t *r, ngx_steering_ctx_t *ctx,
    ngx_uint_t format);
ngx_int_t ngx_steering_redirect(ngx_http_request_t *r,
    ngx_steering_ctx_t *ctx);

/* ngx_steering_presence.c */
char *ngx_steering_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf);
ngx_int_t ngx_steering_presence_init_process(ngx_cycle_t *cycle);
void ngx_steering_presence_exit_process(ngx_cycle_t *cycle);
ngx_uint_t ngx_steering_presence(ngx_steering_main_conf_t *smcf,
    ngx_str_t *title, st_live_t *live);

/* ngx_steering_redis_state.c */
void ngx_steering_redis_state_poll(ngx_steering_main_conf_t *smcf,
    vodedge_redis_client_t *client, ngx_log_t *log);


#endif /* _NGX_STEERING_MODULE_H_INCLUDED_ */
