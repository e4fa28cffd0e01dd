/*
 * vodedge_redis_int.h: what the files of the Redis client share (the
 * client's state); not for the modules, which use vodedge_redis.h.
 *
 *   vodedge_redis.c            connections on nginx's event loop, commands,
 *                              timeouts, reconnects
 *   vodedge_redis_conf.c       the directive's arguments
 *   vodedge_redis_handshake.c  a connection's first commands: Sentinel's
 *                              master, AUTH, ROLE
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


struct vodedge_redis_cmd_s {
    vodedge_redis_client_t    *client;
    vodedge_redis_handler_pt   handler;     /* NULL: answered, cancelled */
    void                      *data;
    ngx_event_t                timer;
    uint64_t                   replies;     /* client's count when sent */
    vodedge_redis_cmd_t       *next;        /* in the free list */
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
    const char                *drop;        /* why this file dropped it */
    char                       drop_text[VODEDGE_REDIS_DROP_LEN];
    vodedge_redis_cmd_t       *free;
    u_char                    *resp;        /* a command being formatted */
    size_t                     resp_size;
    vodedge_redis_connect_pt   on_connect;
    void                      *data;
    vodedge_redis_addr_t      *target;      /* what ac connects to */
    vodedge_redis_addr_t       master;      /* as a sentinel said */
    u_char                     master_text[2 * NGX_INET6_ADDRSTRLEN + 16];
    ngx_uint_t                 sentinel;    /* the next one to ask */
    ngx_uint_t                 tried;       /* sentinels failed, this round */
    ngx_uint_t                 handshake;   /* replies awaited before up */
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
