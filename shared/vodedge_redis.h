/*
 * vodedge_redis.h: Redis from nginx workers, for every vodedge module that
 * needs it: hiredis' asynchronous API driven by nginx's event loop.
 *
 * The address is parsed (and a host name resolved) at configuration time
 * by vodedge_redis_parse(); each worker creates its client in
 * init_process with vodedge_redis_create() and frees it in exit_process
 * with vodedge_redis_destroy().  A client holds one connection; the
 * commands of every request of the worker are pipelined on it.
 *
 * With Sentinel, a connection is made in two steps: a sentinel (the
 * configured ones in turn) is asked for the master's address, then the
 * master is connected to and must say it is one (ROLE).  Every new
 * connection asks again, so a failover is followed at the first error:
 * a lost connection, a stuck one, or a READONLY answer (the old master,
 * now a replica), which drops the connection.  Commands fail at once
 * while a sentinel is being asked.
 *
 * With Cluster, the client is one connection per node it uses, the
 * commands of a request each sent to the master of its first key's hash
 * slot (vodedge_redis_cluster.c says how the map is learnt, and what a
 * MOVED or ASK answer does).  A command without a key (SCRIPT LOAD in
 * on_connect) goes to the node that just connected, else to any node.
 *
 * With a password, each connection's first command is AUTH (with the ACL
 * user, if any): it goes out before any other, and the connection counts
 * as made only when Redis accepts it.  A refused AUTH is logged with
 * Redis' own error text (never the password) and the connection is made
 * again with backoff, as when Redis is down.
 *
 * Every command has a timeout (the client's command_timeout unless given):
 * its handler is called exactly once, with the reply, or with a timeout or
 * a lost connection, unless vodedge_redis_cancel() was called first.  A
 * Redis that does not answer within the timeout is taken as stuck: the
 * connection is dropped and made again with backoff; while there is none,
 * vodedge_redis_command() fails at once, so requests get a quick answer
 * rather than a wait.
 */

#ifndef _VODEDGE_REDIS_H_INCLUDED_
#define _VODEDGE_REDIS_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <hiredis/hiredis.h>

#include "vodedge_metrics.h"


/* vodedge_redis_state() */
#define VODEDGE_REDIS_DOWN         0     /* waiting to connect again */
#define VODEDGE_REDIS_CONNECTING   1
#define VODEDGE_REDIS_CONNECTED    2

/* the status a handler gets */
#define VODEDGE_REDIS_OK           0     /* reply is the answer */
#define VODEDGE_REDIS_TIMEOUT      1     /* no answer in time */
#define VODEDGE_REDIS_LOST         2     /* the connection went away */


typedef struct vodedge_redis_client_s  vodedge_redis_client_t;
typedef struct vodedge_redis_cmd_s     vodedge_redis_cmd_t;

/* reply is NULL unless status is VODEDGE_REDIS_OK; it belongs to hiredis
 * and lives until the handler returns */
typedef void (*vodedge_redis_handler_pt)(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);

/* called each time a connection is made, before any command of a request
 * is sent on it: where a module loads its scripts (SCRIPT LOAD) */
typedef void (*vodedge_redis_connect_pt)(vodedge_redis_client_t *client,
    void *data);


typedef struct {
    ngx_str_t                  name;             /* "host:port" as given */
    ngx_str_t                  host;             /* numeric, or unix path */
    ngx_int_t                  port;             /* 0: a unix socket */
} vodedge_redis_addr_t;


typedef struct {
    ngx_str_t                  name;             /* the first argument */
    vodedge_redis_addr_t       server;           /* without Sentinel */
    ngx_str_t                  master;           /* Sentinel's master name */
    ngx_array_t               *sentinels;        /* vodedge_redis_addr_t */
    ngx_array_t               *seeds;            /* Cluster's nodes given */
    ngx_msec_t                 connect_timeout;
    ngx_msec_t                 command_timeout;
    ngx_msec_t                 backoff_min;
    ngx_msec_t                 backoff_max;
    ngx_str_t                  user;             /* an ACL user, or empty */
    ngx_str_t                  password;         /* empty: no AUTH */
    vodedge_metrics_t         *metrics;          /* NULL: not counted */
    ngx_uint_t                 metrics_first;    /* the Redis families */
} vodedge_redis_conf_t;


/* the client's metric families (vodedge_redis_metrics.c): a module puts
 * them in its table at metrics_first and sets metrics */
#define VODEDGE_REDIS_M_FAMILIES   3

extern const vod_metric_family_t
    vodedge_redis_metric_families[VODEDGE_REDIS_M_FAMILIES];


/* Parses "host:port", "unix:/path", "sentinel:NAME" followed by the
 * sentinels' addresses, or "cluster" followed by the addresses of some
 * of a Redis Cluster's nodes, and the optional parameters
 * "connect_timeout=T", "command_timeout=T" and "backoff=MAX" (nginx
 * times), "user=NAME" and "password_file=PATH" of a directive's arguments
 * args[first..nargs).  A host name is resolved here, at configuration
 * time; the first address is used.  The password is read here too (by the
 * master, relative to the configuration prefix): its file's content
 * without one trailing newline.  Returns NGX_CONF_OK, or NGX_CONF_ERROR
 * after logging what is wrong. */
char *vodedge_redis_parse(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t first,
    ngx_uint_t nargs, vodedge_redis_conf_t *conf);

/* A worker's client, allocated from cycle->pool; connecting starts at
 * once.  on_connect may be NULL. */
vodedge_redis_client_t *vodedge_redis_create(ngx_cycle_t *cycle,
    vodedge_redis_conf_t *conf, vodedge_redis_connect_pt on_connect,
    void *data);

/* Drops the connection (pending handlers get VODEDGE_REDIS_LOST) and
 * stops reconnecting; for exit_process. */
void vodedge_redis_destroy(vodedge_redis_client_t *client);

/* Sends a command (hiredis' format: %s, %b, %d...) with a timeout in ms
 * (0: the client's command_timeout).  Returns a handle for
 * vodedge_redis_cancel(), or NULL when it cannot be sent now (no
 * connection, or out of memory): then the handler is never called. */
vodedge_redis_cmd_t *vodedge_redis_command(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const char *fmt, ...);

/* How many servers hold a share of the keys, for a command that walks
 * them all (SCAN): 1, or with Cluster the masters of the slot map (0
 * before it is known).  A shard's index can change when the map does. */
ngx_uint_t vodedge_redis_shards(vodedge_redis_client_t *client);

/* vodedge_redis_command() on the shard'th of them (0 without Cluster),
 * whatever the command's keys */
vodedge_redis_cmd_t *vodedge_redis_command_shard(
    vodedge_redis_client_t *client, ngx_uint_t shard,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const char *fmt, ...);

/* The same with the arguments as an array, for binary-safe values. */
vodedge_redis_cmd_t *vodedge_redis_command_argv(
    vodedge_redis_client_t *client, vodedge_redis_handler_pt handler,
    void *data, ngx_msec_t timeout, int argc, const char **argv,
    const size_t *argvlen);

/* The handler of cmd will not be called: for a request that goes away
 * before its answer (call it from the request's cleanup). */
void vodedge_redis_cancel(vodedge_redis_cmd_t *cmd);

/* VODEDGE_REDIS_DOWN, _CONNECTING or _CONNECTED */
ngx_uint_t vodedge_redis_state(vodedge_redis_client_t *client);

/* "host:port" as configured, for log lines */
ngx_str_t *vodedge_redis_name(vodedge_redis_client_t *client);

/* "ok", "timeout" or "connection lost", for log lines */
const char *vodedge_redis_status_text(ngx_int_t status);


#endif /* _VODEDGE_REDIS_H_INCLUDED_ */
