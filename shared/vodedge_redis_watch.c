/*
 * vodedge_redis_watch.c: with Sentinel, each worker's client keeps a
 * second connection, to one sentinel at a time, subscribed to the
 * "+switch-master" channel.  A failover the sentinels make while the old
 * master is still up (SENTINEL FAILOVER, a maintenance switch) gives the
 * data connection no error: the deposed master goes on taking writes
 * until the sentinels next look at it and demote it (up to ten seconds),
 * and its demotion drops them, though each was answered as written.  On
 * the message, the client leaves the old master at once for the new one
 * (its ROLE checked as on every connection).
 *
 * The watch is a client of its own (vodedge_redis.c: connects, backs
 * off, goes through the sentinels in turn), whose handshake is the
 * SUBSCRIBE; it is up once the subscription is confirmed.
 *
 * A subscribed connection is silent until a failover, so a sentinel that
 * hangs (stopped, its host gone, a half-open TCP connection) would leave
 * the watch deaf without an error.  Once a second it sends PING, which a
 * subscribed server answers ["pong", ""]; three seconds without a byte
 * back and the watch leaves that sentinel for the next.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_redis_int.h"


#define VODEDGE_REDIS_SWITCH  "+switch-master"


static void vodedge_redis_watch_message(redisAsyncContext *ac, void *r,
    void *privdata);
static void vodedge_redis_watch_switch(vodedge_redis_client_t *watch,
    redisReply *text);
static void vodedge_redis_watch_ping(ngx_event_t *ev);


vodedge_redis_client_t *
vodedge_redis_watch(ngx_cycle_t *cycle, vodedge_redis_client_t *watched)
{
    u_char                  *p;
    size_t                   len;
    vodedge_redis_conf_t    *conf;
    vodedge_redis_client_t  *watch;

    conf = ngx_palloc(cycle->pool, sizeof(vodedge_redis_conf_t));
    if (conf == NULL) {
        return NULL;
    }

    *conf = *watched->conf;

    /* the metrics count the commands' connections, not this one */
    conf->metrics = NULL;

    /* its log lines say which connection it is */

    len = conf->name.len + sizeof(" " VODEDGE_REDIS_SWITCH) - 1;

    p = ngx_pnalloc(cycle->pool, len);
    if (p == NULL) {
        return NULL;
    }

    conf->name.data = p;
    conf->name.len = ngx_sprintf(p, "%V " VODEDGE_REDIS_SWITCH,
                                 &watched->conf->name) - p;

    watch = vodedge_redis_alloc(cycle, conf, NULL, NULL);
    if (watch == NULL) {
        return NULL;
    }

    watch->watched = watched;

    watch->ping.handler = vodedge_redis_watch_ping;
    watch->ping.data = watch;
    watch->ping.log = cycle->log;
    watch->ping.cancelable = 1;

    vodedge_redis_connect(watch);

    return watch;
}


ngx_int_t
vodedge_redis_watch_subscribe(vodedge_redis_client_t *watch)
{
    int  rc;

    rc = redisAsyncCommand(watch->ac, vodedge_redis_watch_message, watch,
                           "SUBSCRIBE " VODEDGE_REDIS_SWITCH);

    return (rc == REDIS_OK) ? NGX_OK : NGX_ERROR;
}


/* every reply of the subscription: its confirmation, then the messages;
 * NULL when the connection ends */

static void
vodedge_redis_watch_message(redisAsyncContext *ac, void *r, void *privdata)
{
    vodedge_redis_client_t  *watch = privdata;

    redisReply  *reply = r, *kind;

    if (reply == NULL) {
        return;
    }

    watch->replies++;

    if (reply->type == REDIS_REPLY_ERROR) {
        vodedge_redis_refuse(watch, ac, "sentinel %V: %*s",
                             &watch->target->name, reply->len, reply->str);
        return;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 3
        || reply->element[0]->type != REDIS_REPLY_STRING)
    {
        return;
    }

    kind = reply->element[0];

    if (kind->len == sizeof("subscribe") - 1
        && ngx_strncmp(kind->str, "subscribe", kind->len) == 0)
    {
        vodedge_redis_ready(watch);

        watch->unanswered = 0;
        watch->ping_reads = watch->reads;

        if (!watch->ping.timer_set) {
            ngx_add_timer(&watch->ping, VODEDGE_REDIS_WATCH_PING);
        }

        return;
    }

    if (kind->len == sizeof("message") - 1
        && ngx_strncmp(kind->str, "message", kind->len) == 0
        && reply->element[2]->type == REDIS_REPLY_STRING)
    {
        vodedge_redis_watch_switch(watch, reply->element[2]);
    }
}


/* "<name> <old-ip> <old-port> <new-ip> <new-port>": when it is our master
 * and the data connection is elsewhere, off to the new one */

static void
vodedge_redis_watch_switch(vodedge_redis_client_t *watch, redisReply *text)
{
    u_char                  *p, *end, *f[5];
    size_t                   len[5];
    ngx_int_t                port;
    ngx_uint_t               n;
    vodedge_redis_client_t  *client;

    client = watch->watched;

    p = (u_char *) text->str;
    end = p + text->len;

    for (n = 0; n < 5; n++) {
        f[n] = p;

        while (p < end && *p != ' ') {
            p++;
        }

        len[n] = p - f[n];

        if (len[n] == 0 || (n < 4 && p == end)) {
            return;
        }

        p++;
    }

    if (len[0] != client->conf->master.len
        || ngx_strncmp(f[0], client->conf->master.data, len[0]) != 0)
    {
        return;
    }

    port = ngx_atoi(f[4], len[4]);

    if (client->destroyed || ngx_exiting || ngx_terminate) {
        return;
    }

    /* the data connection is on the master as a sentinel named it
     * (client->target is client->master); a connection still asking a
     * sentinel, or none, finds the new master by itself */

    if (client->ac == NULL || client->asking) {
        return;
    }

    if (client->master.host.len == len[3] && client->master.port == port
        && ngx_strncmp(client->master.host.data, f[3], len[3]) == 0)
    {
        return;
    }

    if (vodedge_redis_master_set(client, f[3], len[3], port) != NGX_OK) {
        return;
    }

    ngx_log_error(NGX_LOG_NOTICE, client->log, 0,
                  "redis %V: the sentinels switched master \"%V\" to %V: "
                  "moving to it", &client->conf->name, &client->conf->master,
                  &client->master.name);

    /* straight to the new master, without asking a sentinel first (the
     * cleanup hook connects at once); commands in flight on the old one
     * fail, so none is answered as written there */

    client->found = 1;
    vodedge_redis_drop(client, "the sentinels switched the master");
}


/* the keepalive; armed again when the watch is subscribed again */

static void
vodedge_redis_watch_ping(ngx_event_t *ev)
{
    vodedge_redis_client_t  *watch = ev->data;

    redisAsyncContext  *ac;

    ac = watch->ac;

    if (ac == NULL || watch->destroyed
        || watch->state != VODEDGE_REDIS_CONNECTED
        || ngx_exiting || ngx_terminate)
    {
        return;
    }

    if (watch->reads != watch->ping_reads) {
        watch->unanswered = 0;

    } else if (++watch->unanswered >= VODEDGE_REDIS_WATCH_MISSES) {
        vodedge_redis_drop(watch, "the sentinel answered no PING in 3 s");
        return;
    }

    watch->ping_reads = watch->reads;

    /* appended raw, with no callback: hiredis 0.14 (Debian's) would keep
     * a callback given to a command on a subscribed connection for the
     * connection's life, and it matches the pong to no channel and frees
     * it; only the read it makes counts */

    if (redisAppendFormattedCommand(&ac->c, "*1\r\n$4\r\nPING\r\n", 14)
        != REDIS_OK)
    {
        vodedge_redis_drop(watch, "PING could not be queued");
        return;
    }

    if (ac->ev.addWrite != NULL) {
        ac->ev.addWrite(ac->ev.data);
    }

    ngx_add_timer(ev, VODEDGE_REDIS_WATCH_PING);
}
