/*
 * vodedge_redis.c: hiredis' asynchronous API on nginx's event loop.  See
 * vodedge_redis.h.
 *
 * hiredis 0.14 has five adapter hooks (addRead, delRead, addWrite,
 * delWrite, cleanup) and no timers: connect and command timeouts are
 * nginx timers of this file.  Events are level-triggered, as hiredis
 * reads at most one buffer per redisAsyncHandleRead().
 *
 * hiredis frees a context itself when the connection fails (from within
 * redisAsyncHandleRead/Write, after running every pending callback with a
 * NULL reply); the cleanup hook is then the one place that learns of it:
 * it forgets the context, releases the nginx connection (hiredis closes
 * the socket) and schedules the next attempt with a timer, never a
 * connect from within hiredis.  This file frees a context only from its
 * own timers and from vodedge_redis_destroy(), never from a callback.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/async.h>

#include "vodedge_redis.h"
#include "vodedge_redis_int.h"


static void vodedge_redis_schedule(vodedge_redis_client_t *client);
static void vodedge_redis_next(vodedge_redis_client_t *client);
static ngx_msec_t vodedge_redis_next_wait(vodedge_redis_client_t *client);
static void vodedge_redis_retry_handler(ngx_event_t *ev);
static void vodedge_redis_connect_timeout(ngx_event_t *ev);
static void vodedge_redis_command_timeout(ngx_event_t *ev);
static void vodedge_redis_read_handler(ngx_event_t *ev);
static void vodedge_redis_write_handler(ngx_event_t *ev);
static void vodedge_redis_on_connect(const redisAsyncContext *ac,
    int status);
static void vodedge_redis_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void vodedge_redis_add_read(void *privdata);
static void vodedge_redis_del_read(void *privdata);
static void vodedge_redis_add_write(void *privdata);
static void vodedge_redis_del_write(void *privdata);
static void vodedge_redis_cleanup(void *privdata);
static vodedge_redis_cmd_t *vodedge_redis_cmd_get(
    vodedge_redis_client_t *client, vodedge_redis_handler_pt handler,
    void *data);
static void vodedge_redis_cmd_sent(vodedge_redis_cmd_t *cmd,
    ngx_msec_t timeout);
static void vodedge_redis_cmd_put(vodedge_redis_cmd_t *cmd);


vodedge_redis_client_t *
vodedge_redis_create(ngx_cycle_t *cycle, vodedge_redis_conf_t *conf,
    vodedge_redis_connect_pt on_connect, void *data)
{
    vodedge_redis_client_t  *client;

    client = vodedge_redis_alloc(cycle, conf, on_connect, data);
    if (client == NULL) {
        return NULL;
    }

    /* with Cluster, the nodes' clients connect; this one never does */

    if (conf->seeds != NULL) {
        if (vodedge_redis_cluster_init(client, cycle) != NGX_OK) {
            return NULL;
        }

        return client;
    }

    /* with Sentinel, a failover is heard of at once, not only when the
     * deposed master refuses a write: until the sentinels demote it
     * (seconds later) it takes writes that its demotion then loses */

    if (conf->sentinels != NULL) {
        client->watch = vodedge_redis_watch(cycle, client);
        if (client->watch == NULL) {
            return NULL;
        }
    }

    vodedge_redis_connect(client);

    return client;
}


vodedge_redis_client_t *
vodedge_redis_alloc(ngx_cycle_t *cycle, vodedge_redis_conf_t *conf,
    vodedge_redis_connect_pt on_connect, void *data)
{
    vodedge_redis_client_t  *client;

    client = ngx_pcalloc(cycle->pool, sizeof(vodedge_redis_client_t));
    if (client == NULL) {
        return NULL;
    }

    client->conf = conf;
    client->log = cycle->log;
    client->pool = cycle->pool;
    client->on_connect = on_connect;
    client->data = data;
    client->backoff = conf->backoff_min;

    client->retry.handler = vodedge_redis_retry_handler;
    client->retry.data = client;
    client->retry.log = cycle->log;
    client->retry.cancelable = 1;

    client->connect_timer.handler = vodedge_redis_connect_timeout;
    client->connect_timer.data = client;
    client->connect_timer.log = cycle->log;
    client->connect_timer.cancelable = 1;

    return client;
}


void
vodedge_redis_destroy(vodedge_redis_client_t *client)
{
    client->destroyed = 1;

    if (client->watch != NULL) {
        vodedge_redis_destroy(client->watch);
        client->watch = NULL;
    }

    if (client->cluster != NULL) {
        vodedge_redis_cluster_destroy(client);
    }

    if (client->retry.timer_set) {
        ngx_del_timer(&client->retry);
    }

    if (client->connect_timer.timer_set) {
        ngx_del_timer(&client->connect_timer);
    }

    if (client->ping.timer_set) {
        ngx_del_timer(&client->ping);
    }

    if (client->ac != NULL) {
        client->drop = "worker exiting";
        redisAsyncFree(client->ac);
    }

    if (client->resp != NULL) {
        ngx_free(client->resp);
        client->resp = NULL;
    }
}


ngx_uint_t
vodedge_redis_state(vodedge_redis_client_t *client)
{
    if (client->cluster != NULL) {
        return vodedge_redis_cluster_state(client);
    }

    return client->state;
}


ngx_str_t *
vodedge_redis_name(vodedge_redis_client_t *client)
{
    return &client->conf->name;
}


const char *
vodedge_redis_status_text(ngx_int_t status)
{
    switch (status) {

    case VODEDGE_REDIS_OK:
        return "ok";

    case VODEDGE_REDIS_TIMEOUT:
        return "timeout";

    default:
        return "connection lost";
    }
}


void
vodedge_redis_connect(vodedge_redis_client_t *client)
{
    ngx_uint_t             level;
    ngx_connection_t      *c;
    redisAsyncContext     *ac;
    vodedge_redis_addr_t  *addr;
    vodedge_redis_conf_t  *conf;

    conf = client->conf;

    /* with Sentinel: a sentinel first, unless one just named the master */

    client->asking = 0;
    addr = &conf->server;

    if (conf->sentinels != NULL) {

        if (client->found) {
            addr = &client->master;
            client->found = 0;

        } else {
            addr = conf->sentinels->elts;
            addr = &addr[client->sentinel];
            client->asking = 1;
        }
    }

    client->target = addr;

    /* a numeric address: hiredis' getaddrinfo() does not block on it */

    if (addr->port) {
        ac = redisAsyncConnect((char *) addr->host.data, (int) addr->port);

    } else {
        ac = redisAsyncConnectUnix((char *) addr->host.data);
    }

    if (ac == NULL) {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "redis %V: cannot allocate a connection",
                      &conf->name);
        goto failed;
    }

    if (ac->err) {
        level = client->failures ? NGX_LOG_INFO : NGX_LOG_ERR;

        ngx_log_error(level, client->log, 0,
                      "redis %V: cannot connect to %V: %s",
                      &conf->name, &addr->name, ac->errstr);
        redisAsyncFree(ac);
        goto failed;
    }

    c = ngx_get_connection(ac->c.fd, client->log);
    if (c == NULL) {
        redisAsyncFree(ac);
        goto failed;
    }

    c->data = client;
    c->read->handler = vodedge_redis_read_handler;
    c->write->handler = vodedge_redis_write_handler;
    c->read->log = client->log;
    c->write->log = client->log;

    client->ac = ac;
    client->conn = c;
    client->state = VODEDGE_REDIS_CONNECTING;
    client->drop = NULL;
    client->was_up = 0;

    ac->data = client;
    ac->ev.data = client;
    ac->ev.addRead = vodedge_redis_add_read;
    ac->ev.delRead = vodedge_redis_del_read;
    ac->ev.addWrite = vodedge_redis_add_write;
    ac->ev.delWrite = vodedge_redis_del_write;
    ac->ev.cleanup = vodedge_redis_cleanup;

    /* after the hooks: this waits for the socket to become writable */

    (void) redisAsyncSetConnectCallback(ac, vodedge_redis_on_connect);

    /* queued before any command can be: the handshake goes out first */

    if (vodedge_redis_handshake(client) != NGX_OK) {
        client->drop = "cannot queue the handshake";
        redisAsyncFree(ac);
        return;
    }

    ngx_add_timer(&client->connect_timer, conf->connect_timeout);

    return;

failed:

    client->failures++;
    vodedge_redis_next(client);
}


/* with Sentinel, each of them in turn without a wait; the backoff is
 * between rounds */

static void
vodedge_redis_next(vodedge_redis_client_t *client)
{
    if (client->asking) {
        client->sentinel = (client->sentinel + 1)
                           % client->conf->sentinels->nelts;

        if (++client->tried < client->conf->sentinels->nelts) {
            client->state = VODEDGE_REDIS_DOWN;

            if (!client->destroyed && !ngx_exiting && !ngx_terminate
                && !client->retry.timer_set)
            {
                ngx_add_timer(&client->retry, 1);
            }

            return;
        }

        client->tried = 0;
    }

    vodedge_redis_schedule(client);
}


static ngx_msec_t
vodedge_redis_next_wait(vodedge_redis_client_t *client)
{
    if (client->asking
        && client->tried + 1 < client->conf->sentinels->nelts)
    {
        return 0;
    }

    return client->backoff;
}


static void
vodedge_redis_schedule(vodedge_redis_client_t *client)
{
    client->state = VODEDGE_REDIS_DOWN;

    if (client->destroyed || ngx_exiting || ngx_terminate) {
        return;
    }

    if (!client->retry.timer_set) {
        ngx_add_timer(&client->retry, client->backoff);
    }

    client->backoff *= 2;

    if (client->backoff > client->conf->backoff_max) {
        client->backoff = client->conf->backoff_max;
    }
}


/* never from within this client's own hiredis callbacks */

void
vodedge_redis_drop(vodedge_redis_client_t *client, const char *why)
{
    if (client->ac == NULL) {
        return;
    }

    client->drop = why;
    redisAsyncFree(client->ac);
}


static void
vodedge_redis_retry_handler(ngx_event_t *ev)
{
    vodedge_redis_client_t  *client = ev->data;

    if (client->ac == NULL && !client->destroyed) {
        vodedge_redis_connect(client);
    }
}


static void
vodedge_redis_connect_timeout(ngx_event_t *ev)
{
    vodedge_redis_client_t  *client = ev->data;

    if (client->state == VODEDGE_REDIS_CONNECTING) {
        vodedge_redis_drop(client, "connect timed out");
    }
}


static void
vodedge_redis_on_connect(const redisAsyncContext *ac, int status)
{
    vodedge_redis_client_t  *client = ac->data;

    if (status != REDIS_OK) {
        /* hiredis frees the context next: the cleanup hook logs it */
        return;
    }

    /* with a handshake, made when its answers are in; the connect timer
     * covers them too */

    if (!client->asking && client->handshake == 0) {
        vodedge_redis_ready(client);
    }
}


/* from the handshake (vodedge_redis_handshake.c) or the connect itself */

void
vodedge_redis_ready(vodedge_redis_client_t *client)
{
    if (client->connect_timer.timer_set) {
        ngx_del_timer(&client->connect_timer);
    }

    client->state = VODEDGE_REDIS_CONNECTED;
    client->was_up = 1;

    if (client->failures) {
        ngx_log_error(NGX_LOG_NOTICE, client->log, 0,
                      "redis %V: connected again, service restored",
                      &client->conf->name);

    } else {
        ngx_log_debug1(NGX_LOG_DEBUG_EVENT, client->log, 0,
                       "redis %V: connected", &client->conf->name);
    }

    client->failures = 0;

    if (client->on_connect != NULL) {
        client->on_connect(client, client->data);
    }
}


static void
vodedge_redis_read_handler(ngx_event_t *ev)
{
    ngx_connection_t        *c = ev->data;
    vodedge_redis_client_t  *client = c->data;

    /* the context, and c with it, may be gone when this returns */

    if (client->ac != NULL) {
        client->reads++;
        redisAsyncHandleRead(client->ac);
    }
}


static void
vodedge_redis_write_handler(ngx_event_t *ev)
{
    ngx_connection_t        *c = ev->data;
    vodedge_redis_client_t  *client = c->data;

    if (client->ac != NULL) {
        redisAsyncHandleWrite(client->ac);
    }
}


static void
vodedge_redis_add_read(void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    ngx_event_t  *rev;

    rev = client->conn->read;

    if (!rev->active
        && ngx_add_event(rev, NGX_READ_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, client->log, 0,
                      "redis %V: cannot add a read event",
                      &client->conf->name);
    }
}


static void
vodedge_redis_del_read(void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    ngx_event_t  *rev;

    rev = client->conn->read;

    if (rev->active) {
        (void) ngx_del_event(rev, NGX_READ_EVENT, 0);
    }
}


static void
vodedge_redis_add_write(void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    ngx_event_t  *wev;

    wev = client->conn->write;

    if (!wev->active
        && ngx_add_event(wev, NGX_WRITE_EVENT, NGX_LEVEL_EVENT) != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ALERT, client->log, 0,
                      "redis %V: cannot add a write event",
                      &client->conf->name);
    }
}


static void
vodedge_redis_del_write(void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    ngx_event_t  *wev;

    wev = client->conn->write;

    if (wev->active) {
        (void) ngx_del_event(wev, NGX_WRITE_EVENT, 0);
    }
}


/*
 * hiredis is about to free the context and close its socket, after every
 * pending callback ran: forget both, and try again later.
 */

static void
vodedge_redis_cleanup(void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    ngx_str_t          at;
    const char        *why;
    ngx_uint_t         level;
    ngx_connection_t  *c;

    c = client->conn;

    if (c != NULL) {
        if (c->read->active) {
            (void) ngx_del_event(c->read, NGX_READ_EVENT, 0);
        }

        if (c->write->active) {
            (void) ngx_del_event(c->write, NGX_WRITE_EVENT, 0);
        }

        if (c->read->posted) {
            ngx_delete_posted_event(c->read);
        }

        if (c->write->posted) {
            ngx_delete_posted_event(c->write);
        }

        /* hiredis closes the socket: stale events see fd -1 */

        ngx_free_connection(c);
        c->fd = (ngx_socket_t) -1;
    }

    if (client->connect_timer.timer_set) {
        ngx_del_timer(&client->connect_timer);
    }

    why = client->drop;

    if (why == NULL) {
        why = client->ac->err ? client->ac->errstr : "closed by the server";
    }

    client->ac = NULL;
    client->conn = NULL;

    if (client->destroyed) {
        client->state = VODEDGE_REDIS_DOWN;
        return;
    }

    /* a sentinel named the master: on to it at once, from a timer (never
     * a connect from within hiredis) */

    if (client->found) {
        client->tried = 0;

        ngx_log_debug3(NGX_LOG_DEBUG_EVENT, client->log, 0,
                       "redis %V: sentinel %V names the master %V",
                       &client->conf->name, &client->target->name,
                       &client->master.name);

        if (!ngx_exiting && !ngx_terminate) {
            ngx_add_timer(&client->retry, 1);
        }

        return;
    }

    /* one error line when service stops, quieter lines while it stays
     * down; "connected after N failed attempts" when it is back */

    level = NGX_LOG_INFO;

    if (client->was_up || client->failures == 0) {
        level = NGX_LOG_ERR;
    }

    /* a sentinel that fails while others may answer is a warning; the
     * error is a whole round of them failing */

    if (client->asking && !client->was_up) {
        if (client->tried + 1 == client->conf->sentinels->nelts
            && client->failures < client->conf->sentinels->nelts)
        {
            level = NGX_LOG_ERR;

        } else if (client->failures == 0) {
            level = NGX_LOG_WARN;

        } else {
            level = NGX_LOG_INFO;
        }
    }

    if (!client->was_up) {
        client->failures++;

    } else {
        client->backoff = client->conf->backoff_min;
        client->failures = 1;
    }

    /* with Sentinel, which server it was */

    ngx_str_null(&at);

    if (client->conf->sentinels != NULL) {
        at = client->target->name;
    }

    /* a watch's loss costs no command, only a failover heard of later
     * (on the data connection's errors): a warning */

    if (client->watched != NULL && level == NGX_LOG_ERR) {
        level = NGX_LOG_WARN;
    }

    vodedge_redis_metrics_down(client);

    ngx_log_error(level, client->log, 0,
                  "redis %V: %s%s%V: %s; %s until it is back, "
                  "next attempt in %M ms",
                  &client->conf->name,
                  client->was_up ? "connection lost" : "cannot connect",
                  at.len ? " to " : "", &at, why,
                  client->watched ? "a failover is noticed on errors only"
                                  : "commands fail",
                  vodedge_redis_next_wait(client));

    vodedge_redis_next(client);
}


vodedge_redis_cmd_t *
vodedge_redis_command(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const char *fmt, ...)
{
    int                   rc;
    char                 *resp;
    va_list               args;
    vodedge_redis_cmd_t  *cmd;

    if (client->cluster != NULL) {
        va_start(args, fmt);
        rc = redisvFormatCommand(&resp, fmt, args);
        va_end(args);

        if (rc < 0) {
            return NULL;
        }

        cmd = vodedge_redis_cluster_send(client, handler, data, timeout,
                                         (u_char *) resp, (size_t) rc);
        redisFreeCommand(resp);

        return cmd;
    }

    cmd = vodedge_redis_cmd_get(client, handler, data);
    if (cmd == NULL) {
        return NULL;
    }

    va_start(args, fmt);
    rc = redisvAsyncCommand(client->ac, vodedge_redis_reply, cmd, fmt, args);
    va_end(args);

    if (rc != REDIS_OK) {
        vodedge_redis_cmd_put(cmd);
        return NULL;
    }

    vodedge_redis_cmd_sent(cmd, timeout);

    return cmd;
}


ngx_uint_t
vodedge_redis_shards(vodedge_redis_client_t *client)
{
    if (client->cluster != NULL) {
        return vodedge_redis_cluster_shards(client);
    }

    return 1;
}


vodedge_redis_cmd_t *
vodedge_redis_command_shard(vodedge_redis_client_t *client,
    ngx_uint_t shard, vodedge_redis_handler_pt handler, void *data,
    ngx_msec_t timeout, const char *fmt, ...)
{
    int                   rc;
    char                 *resp;
    va_list               args;
    vodedge_redis_cmd_t  *cmd;

    if (client->cluster == NULL && shard != 0) {
        return NULL;
    }

    va_start(args, fmt);
    rc = redisvFormatCommand(&resp, fmt, args);
    va_end(args);

    if (rc < 0) {
        return NULL;
    }

    if (client->cluster != NULL) {
        cmd = vodedge_redis_cluster_send_shard(client, shard, handler, data,
                                               timeout, (u_char *) resp,
                                               (size_t) rc);

    } else {
        cmd = vodedge_redis_formatted(client, handler, data, timeout,
                                      (u_char *) resp, (size_t) rc);
    }

    redisFreeCommand(resp);

    return cmd;
}


vodedge_redis_cmd_t *
vodedge_redis_command_argv(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    int argc, const char **argv, const size_t *argvlen)
{
    u_char               *p;
    size_t                size;
    ngx_int_t             i;

    if (client->cluster == NULL
        && (client->ac == NULL || client->state == VODEDGE_REDIS_DOWN
            || client->asking))
    {
        vodedge_redis_metrics_unsent(client);
        return NULL;
    }

    /* RESP written here: hiredis' own formatting (sds, a printf per
     * argument) was a quarter of a playback API request's cost */

    size = sizeof("*\r\n") - 1 + NGX_INT_T_LEN;

    for (i = 0; i < argc; i++) {
        size += sizeof("$\r\n\r\n") - 1 + NGX_SIZE_T_LEN + argvlen[i];
    }

    if (size > client->resp_size) {
        p = ngx_alloc(size, client->log);
        if (p == NULL) {
            return NULL;
        }

        if (client->resp != NULL) {
            ngx_free(client->resp);
        }

        client->resp = p;
        client->resp_size = size;
    }

    p = ngx_sprintf(client->resp, "*%i\r\n", (ngx_int_t) argc);

    for (i = 0; i < argc; i++) {
        p = ngx_sprintf(p, "$%uz\r\n", argvlen[i]);
        p = ngx_cpymem(p, argv[i], argvlen[i]);
        *p++ = '\r';
        *p++ = '\n';
    }

    if (client->cluster != NULL) {
        return vodedge_redis_cluster_send(client, handler, data, timeout,
                                          client->resp, p - client->resp);
    }

    return vodedge_redis_formatted(client, handler, data, timeout,
                                   client->resp, p - client->resp);
}


vodedge_redis_cmd_t *
vodedge_redis_formatted(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const u_char *resp, size_t len)
{
    vodedge_redis_cmd_t  *cmd;

    cmd = vodedge_redis_cmd_get(client, handler, data);
    if (cmd == NULL) {
        return NULL;
    }

    /* hiredis copies it into its output buffer at once */

    if (redisAsyncFormattedCommand(client->ac, vodedge_redis_reply, cmd,
                                   (const char *) resp, len)
        != REDIS_OK)
    {
        vodedge_redis_cmd_put(cmd);
        return NULL;
    }

    vodedge_redis_cmd_sent(cmd, timeout);

    return cmd;
}


void
vodedge_redis_cancel(vodedge_redis_cmd_t *cmd)
{
    if (cmd->client->cluster != NULL) {
        vodedge_redis_cluster_cancel(cmd);
        return;
    }

    /* the reply, if it comes, returns cmd to the free list */

    cmd->handler = NULL;

    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }
}


static vodedge_redis_cmd_t *
vodedge_redis_cmd_get(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data)
{
    vodedge_redis_cmd_t  *cmd;

    /* nor on a sentinel's connection */

    if (client->ac == NULL || client->state == VODEDGE_REDIS_DOWN
        || client->asking)
    {
        vodedge_redis_metrics_unsent(client);
        return NULL;
    }

    cmd = client->free;

    if (cmd != NULL) {
        client->free = cmd->next;

    } else {
        cmd = ngx_palloc(client->pool, sizeof(vodedge_redis_cmd_t));
        if (cmd == NULL) {
            return NULL;
        }
    }

    ngx_memzero(cmd, sizeof(vodedge_redis_cmd_t));

    cmd->client = client;
    cmd->handler = handler;
    cmd->data = data;
    cmd->timer.handler = vodedge_redis_command_timeout;
    cmd->timer.data = cmd;
    cmd->timer.log = client->log;

    return cmd;
}


static void
vodedge_redis_cmd_sent(vodedge_redis_cmd_t *cmd, ngx_msec_t timeout)
{
    cmd->replies = cmd->client->replies;

    vodedge_redis_metrics_sent(cmd);

    ngx_add_timer(&cmd->timer,
                  timeout ? timeout : cmd->client->conf->command_timeout);
}


static void
vodedge_redis_cmd_put(vodedge_redis_cmd_t *cmd)
{
    if (cmd->timer.timer_set) {
        ngx_del_timer(&cmd->timer);
    }

    cmd->handler = NULL;
    cmd->next = cmd->client->free;
    cmd->client->free = cmd;
}


static void
vodedge_redis_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    vodedge_redis_cmd_t  *cmd = privdata;

    void                      *data;
    vodedge_redis_client_t    *client;
    vodedge_redis_handler_pt   handler;

    client = cmd->client;
    handler = cmd->handler;
    data = cmd->data;

    vodedge_redis_metrics_reply(cmd, r);
    vodedge_redis_cmd_put(cmd);

    if (r != NULL) {
        client->replies++;
        client->backoff = client->conf->backoff_min;

        /* the old master, made a replica by a failover: ask again */

        if (client->conf->sentinels != NULL
            && vodedge_redis_readonly(r)
            && !(ac->c.flags & REDIS_DISCONNECTING))
        {
            vodedge_redis_refuse(client, ac, "%V turned replica (READONLY)",
                                 &client->target->name);
        }
    }

    if (handler != NULL) {
        handler(client, r != NULL ? VODEDGE_REDIS_OK : VODEDGE_REDIS_LOST,
                r, data);
    }
}


static void
vodedge_redis_command_timeout(ngx_event_t *ev)
{
    vodedge_redis_cmd_t  *cmd = ev->data;

    void                      *data;
    vodedge_redis_client_t    *client;
    vodedge_redis_handler_pt   handler;

    client = cmd->client;
    handler = cmd->handler;
    data = cmd->data;

    /* hiredis still holds cmd: its reply or the connection's end frees
     * it; the handler is told now */

    cmd->handler = NULL;
    vodedge_redis_metrics_timeout(cmd);

    if (handler != NULL) {
        handler(client, VODEDGE_REDIS_TIMEOUT, NULL, data);
    }

    /* nothing at all answered since this command was sent: Redis is
     * stuck (stopped, or a network that drops packets), and every command
     * queued behind would wait as long; start again */

    if (client->ac != NULL && client->replies == cmd->replies) {
        ngx_log_error(NGX_LOG_ERR, client->log, 0,
                      "redis %V: no answer within %M ms",
                      &client->conf->name, client->conf->command_timeout);

        vodedge_redis_drop(client, "no answer in time");
    }
}
