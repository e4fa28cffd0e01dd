/*
 * vodedge_redis_int.h: what the files of the Redis client share (the
 * client's state); not for the modules, which use vodedge_redis.h.
 *
 *   vodedge_redis.c            connections on nginx's event loop, commands,
 *                              timeouts, reconnects
 *   vodedge_redis_conf.c       the directive's arguments
 *   vodedge_redis_handshake.c  a connection's first commands: Sentinel's
 *                              master, AUTH, ROLE
 *   vodedge_redis_watch.c      with Sentinel, a second connection that
 *                              hears of a failover (+switch-master)
 *   vodedge_redis_cluster.c    Redis Cluster: the slot map, a connection
 *                              per node, MOVED and ASK
 */

#ifndef _VODEDGE_REDIS_INT_H_INCLUDED_
#define _VODEDGE_REDIS_INT_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/async.h>

#include "vodedge_redis.h"


#define VODEDGE_REDIS_CONNECT_TIMEOUT   1000
#define VODEDGE_REDIS_COMMAND_TIMEOUT   500
#define VODEDGE_REDIS_BACKOFF_MIN       100
#define VODEDGE_REDIS_BACKOFF_MAX       5000
#define VODEDGE_REDIS_PASSWORD_MAX      1024
#define VODEDGE_REDIS_DROP_LEN          160
#define VODEDGE_REDIS_NODES_MAX         128   /* Cluster nodes known */
#define VODEDGE_REDIS_REDIRECTS         3     /* MOVED, ASK per command */
#define VODEDGE_REDIS_REFRESH_MIN       500   /* ms between slot maps */
#define VODEDGE_REDIS_WATCH_PING        1000  /* ms between a watch's PINGs */
#define VODEDGE_REDIS_WATCH_MISSES      3     /* silent PINGs: it is gone */


typedef struct vodedge_redis_cluster_s  vodedge_redis_cluster_t;


struct vodedge_redis_cmd_s {
    vodedge_redis_client_t    *client;
    vodedge_redis_handler_pt   handler;     /* NULL: answered, cancelled */
    void                      *data;
    ngx_event_t                timer;
    uint64_t                   replies;     /* client's count when sent */
    vodedge_redis_cmd_t       *next;        /* in the free list */

    /* with Cluster, the modules' command: the node's in flight, and the
     * command's bytes, sent again on a redirection */
    vodedge_redis_cmd_t       *sub;
    u_char                    *buf;         /* kept in the free list */
    size_t                     size;
    size_t                     len;
    ngx_msec_t                 timeout;
    ngx_uint_t                 redirects;

    uint64_t                   sent_us;     /* with metrics: when sent */
    unsigned                   counted:1;   /* its result is counted */
};


struct vodedge_redis_client_s {
    vodedge_redis_conf_t      *conf;
    ngx_log_t                 *log;
    ngx_pool_t                *pool;
    redisAsyncContext         *ac;
    ngx_connection_t          *conn;
    ngx_event_t                connect_timer;
    ngx_event_t                retry;
    ngx_msec_t                 backoff;     /* the next wait */
    ngx_uint_t                 state;
    ngx_uint_t                 failures;    /* attempts failed in a row */
    uint64_t                   replies;     /* answers received */
    uint64_t                   reads;       /* read events handled */
    const char                *drop;        /* why this file dropped it */
    char                       drop_text[VODEDGE_REDIS_DROP_LEN];
    vodedge_redis_cmd_t       *free;
    u_char                    *resp;        /* a command being formatted */
    size_t                     resp_size;
    vodedge_redis_connect_pt   on_connect;
    void                      *data;
    vodedge_redis_cluster_t   *cluster;     /* with Cluster: its nodes */
    vodedge_redis_addr_t      *target;      /* what ac connects to */
    vodedge_redis_addr_t       master;      /* as a sentinel said */
    u_char                     master_text[2 * NGX_INET6_ADDRSTRLEN + 16];
    ngx_uint_t                 sentinel;    /* the next one to ask */
    ngx_uint_t                 tried;       /* sentinels failed, this round */
    ngx_uint_t                 handshake;   /* replies awaited before up */
    vodedge_redis_client_t    *watch;       /* with Sentinel: its watch */
    vodedge_redis_client_t    *watched;     /* a watch: whose master */
    ngx_event_t                ping;        /* a watch's keepalive */
    uint64_t                   ping_reads;  /* reads at its last PING */
    ngx_uint_t                 unanswered;  /* PINGs met by silence */
    unsigned                   destroyed:1;
    unsigned                   was_up:1;    /* the lost one had connected */
    unsigned                   asking:1;    /* ac is a sentinel's */
    unsigned                   found:1;     /* master holds an address */
};


/* queues the handshake on a new connection: NGX_ERROR if it cannot */
ngx_int_t vodedge_redis_handshake(vodedge_redis_client_t *client);

/* a READONLY error: the server is a replica now */
ngx_uint_t vodedge_redis_readonly(redisReply *reply);

/* ends the connection from within a hiredis callback, the reason (a
 * format) kept for the cleanup hook's log line */
void vodedge_redis_refuse(vodedge_redis_client_t *client,
    redisAsyncContext *ac, const char *fmt, ...);

/* the connection is up: commands go out, the module's on_connect runs */
void vodedge_redis_ready(vodedge_redis_client_t *client);

/* a client's fields and timers, not yet connecting */
vodedge_redis_client_t *vodedge_redis_alloc(ngx_cycle_t *cycle,
    vodedge_redis_conf_t *conf, vodedge_redis_connect_pt on_connect,
    void *data);

/* the next connection attempt, at once */
void vodedge_redis_connect(vodedge_redis_client_t *client);

/* ends the connection from outside hiredis (a timer, another client's
 * callback), the reason kept for the cleanup hook */
void vodedge_redis_drop(vodedge_redis_client_t *client, const char *why);

/* the master's numeric address (NGX_ERROR: not one) */
ngx_int_t vodedge_redis_master_set(vodedge_redis_client_t *client,
    u_char *host, size_t len, ngx_int_t port);

/* the watch of a Sentinel client, connecting (NULL: no memory) */
vodedge_redis_client_t *vodedge_redis_watch(ngx_cycle_t *cycle,
    vodedge_redis_client_t *watched);

/* a watch's handshake: SUBSCRIBE +switch-master on a sentinel */
ngx_int_t vodedge_redis_watch_subscribe(vodedge_redis_client_t *watch);

/* a command already in RESP, on this client's connection */
vodedge_redis_cmd_t *vodedge_redis_formatted(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const u_char *resp, size_t len);

/* Cluster (vodedge_redis_cluster.c): a client whose commands go to the
 * nodes' clients */
ngx_int_t vodedge_redis_cluster_init(vodedge_redis_client_t *client,
    ngx_cycle_t *cycle);
void vodedge_redis_cluster_destroy(vodedge_redis_client_t *client);
vodedge_redis_cmd_t *vodedge_redis_cluster_send(
    vodedge_redis_client_t *client, vodedge_redis_handler_pt handler,
    void *data, ngx_msec_t timeout, const u_char *resp, size_t len);
vodedge_redis_cmd_t *vodedge_redis_cluster_send_shard(
    vodedge_redis_client_t *client, ngx_uint_t shard,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const u_char *resp, size_t len);
ngx_uint_t vodedge_redis_cluster_shards(vodedge_redis_client_t *client);
void vodedge_redis_cluster_cancel(vodedge_redis_cmd_t *cmd);
ngx_uint_t vodedge_redis_cluster_state(vodedge_redis_client_t *client);

/* the metrics' hooks (vodedge_redis_metrics.c): a command sent, its end
 * (reply NULL: the connection's), its timeout, one that could not be
 * sent; a connection that failed or ended */
void vodedge_redis_metrics_sent(vodedge_redis_cmd_t *cmd);
void vodedge_redis_metrics_reply(vodedge_redis_cmd_t *cmd,
    redisReply *reply);
void vodedge_redis_metrics_timeout(vodedge_redis_cmd_t *cmd);
void vodedge_redis_metrics_unsent(vodedge_redis_client_t *client);
void vodedge_redis_metrics_down(vodedge_redis_client_t *client);


#endif /* _VODEDGE_REDIS_INT_H_INCLUDED_ */
