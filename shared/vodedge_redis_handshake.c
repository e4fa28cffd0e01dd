/*
 * vodedge_redis_handshake.c: a Redis connection's first commands, sent
 * before any of a request's (hiredis keeps the order): with Sentinel, the
 * sentinel's connection asks where the master is; a server's gets AUTH
 * and, with Sentinel, ROLE.  See vodedge_redis.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_redis_int.h"


static void vodedge_redis_auth_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void vodedge_redis_role_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void vodedge_redis_sentinel_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static ngx_int_t vodedge_redis_master_addr(vodedge_redis_client_t *client,
    redisReply *reply);
static void vodedge_redis_handshake_done(vodedge_redis_client_t *client);


/*
 * The first commands of a connection: a sentinel is asked for the master;
 * a server gets AUTH (with a password) and ROLE (with Sentinel: is it
 * still the master?).  Each answer that is not the expected one refuses
 * the connection.
 */

ngx_int_t
vodedge_redis_handshake(vodedge_redis_client_t *client)
{
    int                    argc, rc;
    size_t                 argvlen[3];
    const char            *argv[3];
    vodedge_redis_conf_t  *conf;

    conf = client->conf;
    client->handshake = 0;

    if (client->asking && client->watched != NULL) {
        return vodedge_redis_watch_subscribe(client);
    }

    if (client->asking) {
        rc = redisAsyncCommand(client->ac, vodedge_redis_sentinel_reply,
                               client, "SENTINEL get-master-addr-by-name %b",
                               conf->master.data, conf->master.len);

        return (rc == REDIS_OK) ? NGX_OK : NGX_ERROR;
    }

    if (conf->password.len) {
        argc = 0;
        argv[argc] = "AUTH";
        argvlen[argc++] = sizeof("AUTH") - 1;

        if (conf->user.len) {
            argv[argc] = (const char *) conf->user.data;
            argvlen[argc++] = conf->user.len;
        }

        argv[argc] = (const char *) conf->password.data;
        argvlen[argc++] = conf->password.len;

        if (redisAsyncCommandArgv(client->ac, vodedge_redis_auth_reply,
                                  client, argc, argv, argvlen)
            != REDIS_OK)
        {
            return NGX_ERROR;
        }

        client->handshake++;
    }

    if (conf->sentinels != NULL) {
        if (redisAsyncCommand(client->ac, vodedge_redis_role_reply, client,
                              "ROLE")
            != REDIS_OK)
        {
            return NGX_ERROR;
        }

        client->handshake++;
    }

    return NGX_OK;
}


/* from within hiredis: a refused handshake ends the connection through
 * redisAsyncDisconnect(), which lets the commands queued behind it be
 * answered (they fail) and then runs the cleanup hook, which logs the
 * reason and schedules the next attempt */

static void
vodedge_redis_auth_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    redisReply  *reply = r;

    if (reply == NULL) {
        return;
    }

    client->replies++;

    if (reply->type == REDIS_REPLY_STATUS) {
        vodedge_redis_handshake_done(client);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        vodedge_redis_refuse(client, ac, "AUTH refused: %*s",
                             reply->len, reply->str);
        return;
    }

    vodedge_redis_refuse(client, ac, "AUTH answered with a reply of type %d",
                         reply->type);
}


static void
vodedge_redis_role_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    redisReply  *reply = r, *role;

    if (reply == NULL) {
        return;
    }

    client->replies++;

    if (reply->type == REDIS_REPLY_ARRAY && reply->elements > 0) {
        role = reply->element[0];

        if (role->type == REDIS_REPLY_STRING && role->len == 6
            && ngx_strncmp(role->str, "master", 6) == 0)
        {
            vodedge_redis_handshake_done(client);
            return;
        }

        if (role->type == REDIS_REPLY_STRING) {
            vodedge_redis_refuse(client, ac, "%V is a %*s, not the master",
                                 &client->target->name, role->len,
                                 role->str);
            return;
        }
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        vodedge_redis_refuse(client, ac, "ROLE failed on %V: %*s",
                             &client->target->name, reply->len, reply->str);
        return;
    }

    vodedge_redis_refuse(client, ac, "ROLE answered %V with no role",
                         &client->target->name);
}


/* the sentinel's answer ends its connection either way: with the master
 * found, the cleanup hook connects to it at once */

static void
vodedge_redis_sentinel_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    redisReply  *reply = r;

    if (reply == NULL) {
        return;
    }

    client->replies++;

    if (reply->type == REDIS_REPLY_ARRAY
        && vodedge_redis_master_addr(client, reply) == NGX_OK)
    {
        client->found = 1;
        client->drop = "master found";
        redisAsyncDisconnect(ac);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        vodedge_redis_refuse(client, ac, "sentinel %V: %*s",
                             &client->target->name, reply->len, reply->str);
        return;
    }

    if (reply->type == REDIS_REPLY_ARRAY) {
        vodedge_redis_refuse(client, ac, "sentinel %V names the master at "
                             "no numeric address", &client->target->name);
        return;
    }

    vodedge_redis_refuse(client, ac, "sentinel %V knows no master \"%V\"",
                         &client->target->name, &client->conf->master);
}


/* ["ip", "port"] */

static ngx_int_t
vodedge_redis_master_addr(vodedge_redis_client_t *client, redisReply *reply)
{
    ngx_int_t    port;
    redisReply  *host, *ps;

    if (reply->elements != 2) {
        return NGX_ERROR;
    }

    host = reply->element[0];
    ps = reply->element[1];

    if (host->type != REDIS_REPLY_STRING || ps->type != REDIS_REPLY_STRING) {
        return NGX_ERROR;
    }

    port = ngx_atoi((u_char *) ps->str, ps->len);

    return vodedge_redis_master_set(client, (u_char *) host->str, host->len,
                                    port);
}


/* only a numeric address, as hiredis' connect would resolve a name with a
 * blocking getaddrinfo() */

ngx_int_t
vodedge_redis_master_set(vodedge_redis_client_t *client, u_char *host,
    size_t len, ngx_int_t port)
{
    u_char                *p;
    vodedge_redis_addr_t  *m;
#if (NGX_HAVE_INET6)
    struct in6_addr        in6;
#endif

    if (len == 0 || len > NGX_INET6_ADDRSTRLEN || port < 1 || port > 65535) {
        return NGX_ERROR;
    }

    if (ngx_inet_addr(host, len) == INADDR_NONE) {
#if (NGX_HAVE_INET6)
        if (ngx_inet6_addr(host, len, in6.s6_addr) != NGX_OK) {
            return NGX_ERROR;
        }
#else
        return NGX_ERROR;
#endif
    }

    m = &client->master;

    /* "host\0host:port": the connect's and the log's */

    p = ngx_cpymem(client->master_text, host, len);
    *p++ = '\0';

    m->host.data = client->master_text;
    m->host.len = len;
    m->port = port;

    m->name.data = p;
    p = ngx_sprintf(p, "%*s:%i", len, host, port);
    m->name.len = p - m->name.data;

    return NGX_OK;
}


void
vodedge_redis_refuse(vodedge_redis_client_t *client, redisAsyncContext *ac,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;

    va_start(args, fmt);
    p = ngx_vslprintf((u_char *) client->drop_text,
                      (u_char *) client->drop_text
                      + VODEDGE_REDIS_DROP_LEN - 1, fmt, args);
    va_end(args);

    *p = '\0';

    client->drop = client->drop_text;
    redisAsyncDisconnect(ac);
}


ngx_uint_t
vodedge_redis_readonly(redisReply *reply)
{
    return reply->type == REDIS_REPLY_ERROR && reply->len >= 8
           && ngx_strncmp(reply->str, "READONLY", 8) == 0;
}


static void
vodedge_redis_handshake_done(vodedge_redis_client_t *client)
{
    if (--client->handshake == 0) {
        vodedge_redis_ready(client);
    }
}
