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
#include "vodedge_secret.h"


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
    unsigned                   destroyed:1;
    unsigned                   was_up:1;    /* the lost one had connected */
};


static void vodedge_redis_connect(vodedge_redis_client_t *client);
static void vodedge_redis_schedule(vodedge_redis_client_t *client);
static void vodedge_redis_drop(vodedge_redis_client_t *client,
    const char *why);
static void vodedge_redis_retry_handler(ngx_event_t *ev);
static void vodedge_redis_connect_timeout(ngx_event_t *ev);
static void vodedge_redis_command_timeout(ngx_event_t *ev);
static void vodedge_redis_read_handler(ngx_event_t *ev);
static void vodedge_redis_write_handler(ngx_event_t *ev);
static void vodedge_redis_on_connect(const redisAsyncContext *ac,
    int status);
static ngx_int_t vodedge_redis_auth(vodedge_redis_client_t *client);
static void vodedge_redis_auth_reply(redisAsyncContext *ac, void *r,
    void *privdata);
static void vodedge_redis_ready(vodedge_redis_client_t *client);
static char *vodedge_redis_password(ngx_conf_t *cf, ngx_str_t *name,
    vodedge_redis_conf_t *conf);
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


char *
vodedge_redis_parse(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t first,
    ngx_uint_t nargs, vodedge_redis_conf_t *conf)
{
    u_char      *p;
    ngx_int_t    ms;
    ngx_str_t    s;
    ngx_url_t    u;
    ngx_uint_t   i;

    conf->name = args[first];
    conf->connect_timeout = VODEDGE_REDIS_CONNECT_TIMEOUT;
    conf->command_timeout = VODEDGE_REDIS_COMMAND_TIMEOUT;
    conf->backoff_min = VODEDGE_REDIS_BACKOFF_MIN;
    conf->backoff_max = VODEDGE_REDIS_BACKOFF_MAX;

    if (args[first].len > 5
        && ngx_strncmp(args[first].data, "unix:", 5) == 0)
    {
        conf->host.len = args[first].len - 5;
        conf->host.data = ngx_pnalloc(cf->pool, conf->host.len + 1);
        if (conf->host.data == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(conf->host.data, args[first].data + 5, conf->host.len);
        conf->host.data[conf->host.len] = '\0';
        conf->port = 0;

    } else {
        ngx_memzero(&u, sizeof(ngx_url_t));

        u.url = args[first];
        u.default_port = 6379;

        /* resolved here, at configuration time: never in a worker */

        if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Redis address \"%V\": %s",
                               &args[first],
                               u.err ? u.err : "no address found");
            return NGX_CONF_ERROR;
        }

        if (u.no_port && u.family == AF_UNIX) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid Redis address \"%V\"", &args[first]);
            return NGX_CONF_ERROR;
        }

        p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
        if (p == NULL) {
            return NGX_CONF_ERROR;
        }

        conf->host.data = p;
        conf->host.len = ngx_sock_ntop(u.addrs[0].sockaddr,
                                       u.addrs[0].socklen, p,
                                       NGX_SOCKADDR_STRLEN, 0);
        p[conf->host.len] = '\0';
        conf->port = ngx_inet_get_port(u.addrs[0].sockaddr);
    }

    for (i = first + 1; i < nargs; i++) {

        if (args[i].len > 16
            && ngx_strncmp(args[i].data, "connect_timeout=", 16) == 0)
        {
            s.data = args[i].data + 16;
            s.len = args[i].len - 16;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            conf->connect_timeout = ms;
            continue;
        }

        if (args[i].len > 16
            && ngx_strncmp(args[i].data, "command_timeout=", 16) == 0)
        {
            s.data = args[i].data + 16;
            s.len = args[i].len - 16;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            conf->command_timeout = ms;
            continue;
        }

        if (args[i].len > 5 && ngx_strncmp(args[i].data, "user=", 5) == 0) {
            conf->user.data = args[i].data + 5;
            conf->user.len = args[i].len - 5;
            continue;
        }

        if (args[i].len > 14
            && ngx_strncmp(args[i].data, "password_file=", 14) == 0)
        {
            s.data = args[i].data + 14;
            s.len = args[i].len - 14;

            if (vodedge_redis_password(cf, &s, conf) != NGX_CONF_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (args[i].len > 8
            && ngx_strncmp(args[i].data, "backoff=", 8) == 0)
        {
            s.data = args[i].data + 8;
            s.len = args[i].len - 8;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms < VODEDGE_REDIS_BACKOFF_MIN) {
                goto invalid;
            }

            conf->backoff_max = ms;
            continue;
        }

        goto invalid;
    }

    if (conf->user.len && conf->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis \"user=%V\" needs a \"password_file=\"",
                           &conf->user);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid Redis parameter \"%V\": expected "
                       "connect_timeout=<time>, command_timeout=<time>, "
                       "backoff=<time of at least 100ms>, user=<name> or "
                       "password_file=<path>", &args[i]);
    return NGX_CONF_ERROR;
}


/* the file's content without one trailing newline: a password with a
 * line break, a NUL or nothing in it is refused, as it is surely a wrong
 * file */

static char *
vodedge_redis_password(ngx_conf_t *cf, ngx_str_t *name,
    vodedge_redis_conf_t *conf)
{
    char     *rc;
    size_t    len;
    ssize_t   n;
    u_char    buf[VODEDGE_REDIS_PASSWORD_MAX];

    rc = NGX_CONF_ERROR;

    n = vodedge_secret_read(cf, "Redis password file", name, buf,
                            sizeof(buf));
    if (n == NGX_ERROR) {
        goto done;
    }

    len = (size_t) n;

    if (len && buf[len - 1] == '\n') {
        len--;

        if (len && buf[len - 1] == '\r') {
            len--;
        }
    }

    if (len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis password file \"%s\" is empty",
                           name->data);
        goto done;
    }

    if (ngx_strlchr(buf, buf + len, '\n') != NULL
        || ngx_strlchr(buf, buf + len, '\r') != NULL
        || ngx_strlchr(buf, buf + len, '\0') != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis password file \"%s\" holds more than "
                           "one line", name->data);
        goto done;
    }

    conf->password.data = ngx_pnalloc(cf->pool, len);
    if (conf->password.data == NULL) {
        goto done;
    }

    ngx_memcpy(conf->password.data, buf, len);
    conf->password.len = len;

    rc = NGX_CONF_OK;

done:

    ngx_explicit_memzero(buf, sizeof(buf));

    return rc;
}


vodedge_redis_client_t *
vodedge_redis_create(ngx_cycle_t *cycle, vodedge_redis_conf_t *conf,
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

    vodedge_redis_connect(client);

    return client;
}


void
vodedge_redis_destroy(vodedge_redis_client_t *client)
{
    client->destroyed = 1;

    if (client->retry.timer_set) {
        ngx_del_timer(&client->retry);
    }

    if (client->connect_timer.timer_set) {
        ngx_del_timer(&client->connect_timer);
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


static void
vodedge_redis_connect(vodedge_redis_client_t *client)
{
    ngx_uint_t             level;
    ngx_connection_t      *c;
    redisAsyncContext     *ac;
    vodedge_redis_conf_t  *conf;

    conf = client->conf;

    /* a numeric address: hiredis' getaddrinfo() does not block on it */

    if (conf->port) {
        ac = redisAsyncConnect((char *) conf->host.data, (int) conf->port);

    } else {
        ac = redisAsyncConnectUnix((char *) conf->host.data);
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
                      "redis %V: cannot connect: %s",
                      &conf->name, ac->errstr);
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

    /* queued before any command can be: AUTH goes out first */

    if (conf->password.len && vodedge_redis_auth(client) != NGX_OK) {
        client->drop = "cannot queue AUTH";
        redisAsyncFree(ac);
        return;
    }

    ngx_add_timer(&client->connect_timer, conf->connect_timeout);

    return;

failed:

    client->failures++;
    vodedge_redis_schedule(client);
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


/* from this file's timers only: hiredis is not running */

static void
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

    /* with a password, made when AUTH is accepted; the connect timer
     * covers its answer too */

    if (client->conf->password.len == 0) {
        vodedge_redis_ready(client);
    }
}


static ngx_int_t
vodedge_redis_auth(vodedge_redis_client_t *client)
{
    int                    argc;
    size_t                 argvlen[3];
    const char            *argv[3];
    vodedge_redis_conf_t  *conf;

    conf = client->conf;

    argc = 0;
    argv[argc] = "AUTH";
    argvlen[argc++] = sizeof("AUTH") - 1;

    if (conf->user.len) {
        argv[argc] = (const char *) conf->user.data;
        argvlen[argc++] = conf->user.len;
    }

    argv[argc] = (const char *) conf->password.data;
    argvlen[argc++] = conf->password.len;

    if (redisAsyncCommandArgv(client->ac, vodedge_redis_auth_reply, client,
                              argc, argv, argvlen)
        != REDIS_OK)
    {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* from within hiredis: a refused AUTH ends the connection through
 * redisAsyncDisconnect(), which lets the commands queued behind it be
 * answered (they fail) and then runs the cleanup hook, which logs the
 * reason and schedules the next attempt */

static void
vodedge_redis_auth_reply(redisAsyncContext *ac, void *r, void *privdata)
{
    vodedge_redis_client_t  *client = privdata;

    u_char      *p;
    redisReply  *reply = r;

    if (reply == NULL) {
        return;
    }

    client->replies++;

    if (reply->type == REDIS_REPLY_STATUS) {
        vodedge_redis_ready(client);
        return;
    }

    p = (u_char *) client->drop_text;

    if (reply->type == REDIS_REPLY_ERROR) {
        p = ngx_snprintf(p, VODEDGE_REDIS_DROP_LEN - 1, "AUTH refused: %*s",
                         reply->len, reply->str);

    } else {
        p = ngx_snprintf(p, VODEDGE_REDIS_DROP_LEN - 1,
                         "AUTH answered with a reply of type %d",
                         reply->type);
    }

    *p = '\0';

    client->drop = client->drop_text;
    redisAsyncDisconnect(ac);
}


static void
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

    /* one error line when service stops, quieter lines while it stays
     * down; "connected after N failed attempts" when it is back */

    level = NGX_LOG_INFO;

    if (client->was_up || client->failures == 0) {
        level = NGX_LOG_ERR;
    }

    if (!client->was_up) {
        client->failures++;

    } else {
        client->backoff = client->conf->backoff_min;
        client->failures = 1;
    }

    ngx_log_error(level, client->log, 0,
                  "redis %V: %s: %s; commands fail until it is back, "
                  "next attempt in %M ms",
                  &client->conf->name,
                  client->was_up ? "connection lost" : "cannot connect",
                  why, client->backoff);

    vodedge_redis_schedule(client);
}


vodedge_redis_cmd_t *
vodedge_redis_command(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const char *fmt, ...)
{
    int                   rc;
    va_list               args;
    vodedge_redis_cmd_t  *cmd;

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


vodedge_redis_cmd_t *
vodedge_redis_command_argv(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    int argc, const char **argv, const size_t *argvlen)
{
    u_char               *p;
    size_t                size;
    ngx_int_t             i;
    vodedge_redis_cmd_t  *cmd;

    cmd = vodedge_redis_cmd_get(client, handler, data);
    if (cmd == NULL) {
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
            vodedge_redis_cmd_put(cmd);
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

    /* hiredis copies it into its output buffer at once */

    if (redisAsyncFormattedCommand(client->ac, vodedge_redis_reply, cmd,
                                   (char *) client->resp,
                                   p - client->resp)
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

    if (client->ac == NULL || client->state == VODEDGE_REDIS_DOWN) {
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

    vodedge_redis_cmd_put(cmd);

    if (r != NULL) {
        client->replies++;
        client->backoff = client->conf->backoff_min;
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
