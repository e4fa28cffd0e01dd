/*
 * vodedge_redis_cluster.c: Redis Cluster.  See vodedge_redis.h.
 *
 * The modules' client holds no connection of its own: each node it uses
 * has a client of vodedge_redis.c (its own connection, AUTH, timeouts,
 * backoff and log lines), made for the seed nodes at once and for every
 * other master when the slot map or a redirection first names it.  The
 * slot map (16384 slots, each a node's index) comes from CLUSTER SLOTS,
 * asked of a node that is connected when the first one connects, and
 * again after a MOVED answer, a lost connection or a command that found
 * its node down, at most once per VODEDGE_REDIS_REFRESH_MIN; the map is
 * kept per worker, never blocking it: each question is one more command
 * on the event loop.
 *
 * A command goes to the master of its key's slot (vod_slot.c): the first
 * key of EVAL and EVALSHA, the first argument of the other commands;
 * SCRIPT, PING and commands without an argument have no key.  Its bytes
 * are kept until its answer, so that a redirection sends them again:
 * MOVED updates the slot's node and goes there; ASK sends ASKING and then
 * the command to the node named, once, the map unchanged.  At most
 * VODEDGE_REDIS_REDIRECTS redirections per command; a node that is not
 * connected, too many redirections, CLUSTERDOWN or TRYAGAIN answer the
 * command's handler as a lost connection (the modules then answer 503),
 * with one error line until a command is answered again.
 *
 * A command that walks the keys (SCAN) is sent to each master in turn by
 * its index among the map's masters (vodedge_redis_command_shard()).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_event.h>

#include <hiredis/async.h>

#include "vodedge_redis.h"
#include "vodedge_redis_int.h"
#include "vod_slot.h"


typedef struct {
    vodedge_redis_conf_t       conf;        /* the cluster's; this server */
    vodedge_redis_client_t    *client;
    vodedge_redis_cluster_t   *cluster;
    ngx_uint_t                 index;       /* in the slot map: index + 1 */
    unsigned                   master:1;    /* the map names it */
    u_char                     text[2 * NGX_INET6_ADDRSTRLEN + 16];
} vodedge_redis_node_t;


struct vodedge_redis_cluster_s {
    vodedge_redis_client_t    *client;      /* the modules' */
    ngx_cycle_t               *cycle;
    vodedge_redis_node_t      *nodes[VODEDGE_REDIS_NODES_MAX];
    ngx_uint_t                 nnodes;
    ngx_uint_t                 next;        /* the next node to ask */
    vodedge_redis_node_t      *current;     /* on_connect is running */
    ngx_event_t                refresh;
    ngx_msec_t                 asked;       /* when the map was asked for */
    unsigned                   loaded:1;    /* a map arrived */
    unsigned                   pending:1;   /* CLUSTER SLOTS in flight */
    unsigned                   stale:1;     /* ask again when allowed */
    unsigned                   failing:1;   /* logged; quiet until OK */
    unsigned                   full:1;      /* NODES_MAX logged */
    uint16_t                   slots[VOD_SLOTS];
};


static vodedge_redis_node_t *vodedge_redis_cluster_node(
    vodedge_redis_cluster_t *cluster, u_char *host, size_t len,
    ngx_int_t port);
static void vodedge_redis_cluster_connected(vodedge_redis_client_t *nc,
    void *data);
static void vodedge_redis_cluster_ask(vodedge_redis_cluster_t *cluster);
static void vodedge_redis_cluster_refresh_handler(ngx_event_t *ev);
static void vodedge_redis_cluster_slots(vodedge_redis_client_t *nc,
    ngx_int_t status, redisReply *reply, void *data);
static ngx_int_t vodedge_redis_cluster_map(vodedge_redis_cluster_t *cluster,
    vodedge_redis_node_t *from, redisReply *reply, ngx_uint_t apply);
static ngx_uint_t vodedge_redis_cluster_numeric(u_char *host, size_t len);
static ngx_int_t vodedge_redis_cluster_key(const u_char *p, size_t len,
    ngx_str_t *key);
static const u_char *vodedge_redis_cluster_bulk(const u_char *p,
    const u_char *end, ngx_str_t *arg);
static vodedge_redis_node_t *vodedge_redis_cluster_route(
    vodedge_redis_cluster_t *cluster, const u_char *resp, size_t len);
static vodedge_redis_cmd_t *vodedge_redis_cluster_send_to(
    vodedge_redis_client_t *client, vodedge_redis_node_t *node,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const u_char *resp, size_t len);
static void vodedge_redis_cluster_reply(vodedge_redis_client_t *nc,
    ngx_int_t status, redisReply *reply, void *data);
static ngx_int_t vodedge_redis_cluster_redirect(vodedge_redis_cmd_t *cmd,
    vodedge_redis_node_t *from, redisReply *reply);
static void vodedge_redis_cluster_fail(vodedge_redis_cluster_t *cluster,
    const char *fmt, ...);
static void vodedge_redis_cluster_put(vodedge_redis_cmd_t *cmd);


ngx_int_t
vodedge_redis_cluster_init(vodedge_redis_client_t *client,
    ngx_cycle_t *cycle)
{
    ngx_uint_t                i;
    vodedge_redis_addr_t     *seed;
    vodedge_redis_cluster_t  *cluster;

    cluster = ngx_pcalloc(cycle->pool, sizeof(vodedge_redis_cluster_t));
    if (cluster == NULL) {
        return NGX_ERROR;
    }

    cluster->client = client;
    cluster->cycle = cycle;

    cluster->refresh.handler = vodedge_redis_cluster_refresh_handler;
    cluster->refresh.data = cluster;
    cluster->refresh.log = cycle->log;
    cluster->refresh.cancelable = 1;

    client->cluster = cluster;
    client->state = VODEDGE_REDIS_CONNECTING;

    seed = client->conf->seeds->elts;

    for (i = 0; i < client->conf->seeds->nelts; i++) {
        if (vodedge_redis_cluster_node(cluster, seed[i].host.data,
                                       seed[i].host.len, seed[i].port)
            == NULL)
        {
            return NGX_ERROR;
        }
    }

    return NGX_OK;
}


void
vodedge_redis_cluster_destroy(vodedge_redis_client_t *client)
{
    ngx_uint_t                i;
    vodedge_redis_cmd_t      *cmd;
    vodedge_redis_cluster_t  *cluster;

    cluster = client->cluster;

    if (cluster->refresh.timer_set) {
        ngx_del_timer(&cluster->refresh);
    }

    /* every pending command's node answers it as lost, and returns it
     * to the free list */

    for (i = 0; i < cluster->nnodes; i++) {
        vodedge_redis_destroy(cluster->nodes[i]->client);
    }

    for (cmd = client->free; cmd != NULL; cmd = cmd->next) {
        if (cmd->buf != NULL) {
            ngx_free(cmd->buf);
            cmd->buf = NULL;
            cmd->size = 0;
        }
    }
}


ngx_uint_t
vodedge_redis_cluster_state(vodedge_redis_client_t *client)
{
    ngx_uint_t                i, state, up;
    vodedge_redis_node_t     *node;
    vodedge_redis_cluster_t  *cluster;

    cluster = client->cluster;
    up = VODEDGE_REDIS_DOWN;

    /* connected: a map, and a master of it connected */

    for (i = 0; i < cluster->nnodes; i++) {
        node = cluster->nodes[i];
        state = vodedge_redis_state(node->client);

        if (state == VODEDGE_REDIS_CONNECTED && cluster->loaded
            && node->master)
        {
            return VODEDGE_REDIS_CONNECTED;
        }

        if (state != VODEDGE_REDIS_DOWN) {
            up = VODEDGE_REDIS_CONNECTING;
        }
    }

    return up;
}


/* a node by its numeric address, its client made at the first mention */

static vodedge_redis_node_t *
vodedge_redis_cluster_node(vodedge_redis_cluster_t *cluster, u_char *host,
    size_t len, ngx_int_t port)
{
    u_char                *p;
    ngx_uint_t             i;
    vodedge_redis_node_t  *node;

    for (i = 0; i < cluster->nnodes; i++) {
        node = cluster->nodes[i];

        if (node->conf.server.port == port
            && node->conf.server.host.len == len
            && ngx_strncmp(node->conf.server.host.data, host, len) == 0)
        {
            return node;
        }
    }

    if (cluster->nnodes == VODEDGE_REDIS_NODES_MAX
        || len == 0 || len > NGX_INET6_ADDRSTRLEN)
    {
        if (!cluster->full) {
            cluster->full = 1;
            ngx_log_error(NGX_LOG_ERR, cluster->cycle->log, 0,
                          "redis %V: more than %d nodes, or a node at no "
                          "address: ignored", &cluster->client->conf->name,
                          VODEDGE_REDIS_NODES_MAX);
        }

        return NULL;
    }

    node = ngx_pcalloc(cluster->cycle->pool, sizeof(vodedge_redis_node_t));
    if (node == NULL) {
        return NULL;
    }

    node->conf = *cluster->client->conf;
    node->conf.seeds = NULL;
    node->conf.sentinels = NULL;
    node->cluster = cluster;
    node->index = cluster->nnodes;

    /* "host\0host:port" ("[host]:port" for IPv6): the connect's, the
     * log's */

    p = ngx_cpymem(node->text, host, len);
    *p++ = '\0';

    node->conf.server.host.data = node->text;
    node->conf.server.host.len = len;
    node->conf.server.port = port;

    node->conf.server.name.data = p;

    if (ngx_strlchr(host, host + len, ':') != NULL) {
        p = ngx_sprintf(p, "[%*s]:%i", len, host, port);

    } else {
        p = ngx_sprintf(p, "%*s:%i", len, host, port);
    }

    node->conf.server.name.len = p - node->conf.server.name.data;
    node->conf.name = node->conf.server.name;

    cluster->nodes[cluster->nnodes++] = node;

    node->client = vodedge_redis_create(cluster->cycle, &node->conf,
                                        vodedge_redis_cluster_connected,
                                        node);
    if (node->client == NULL) {
        cluster->nnodes--;
        return NULL;
    }

    return node;
}


/* a node's connection is made: the map, if one is wanted, and the
 * module's on_connect, whose commands without a key go to this node */

static void
vodedge_redis_cluster_connected(vodedge_redis_client_t *nc, void *data)
{
    vodedge_redis_node_t *node = data;

    vodedge_redis_client_t   *client;
    vodedge_redis_cluster_t  *cluster;

    cluster = node->cluster;
    client = cluster->client;

    if (!cluster->loaded || cluster->stale) {
        vodedge_redis_cluster_ask(cluster);
    }

    if (client->on_connect != NULL) {
        cluster->current = node;
        client->on_connect(client, client->data);
        cluster->current = NULL;
    }
}


/* CLUSTER SLOTS of a connected node, each in turn, a master of the map
 * first (a seed that is a replica, or a node that left the cluster, only
 * when none is connected); at most one in flight and one per
 * VODEDGE_REDIS_REFRESH_MIN */

static void
vodedge_redis_cluster_ask(vodedge_redis_cluster_t *cluster)
{
    ngx_uint_t             i, any;
    ngx_msec_int_t         wait;
    vodedge_redis_node_t  *node;

    cluster->stale = 1;

    if (cluster->pending || cluster->client->destroyed || ngx_exiting
        || ngx_terminate)
    {
        return;
    }

    if (cluster->asked) {
        wait = (ngx_msec_int_t) (cluster->asked + VODEDGE_REDIS_REFRESH_MIN
                                 - ngx_current_msec);

        if (wait > 0) {
            if (!cluster->refresh.timer_set) {
                ngx_add_timer(&cluster->refresh, (ngx_msec_t) wait);
            }

            return;
        }
    }

    /* the masters, then (the second round) any node */

    for (i = 0; i < 2 * cluster->nnodes; i++) {
        node = cluster->nodes[(cluster->next + i) % cluster->nnodes];
        any = (i >= cluster->nnodes);

        if ((!any && !node->master)
            || vodedge_redis_state(node->client) != VODEDGE_REDIS_CONNECTED)
        {
            continue;
        }

        if (vodedge_redis_command(node->client, vodedge_redis_cluster_slots,
                                  node, 0, "CLUSTER SLOTS")
            == NULL)
        {
            continue;
        }

        cluster->next = (node->index + 1) % cluster->nnodes;
        cluster->pending = 1;
        cluster->stale = 0;
        cluster->asked = ngx_current_msec;

        if (cluster->asked == 0) {
            cluster->asked = 1;
        }

        return;
    }

    /* none connected: the next node to connect asks */
}


static void
vodedge_redis_cluster_refresh_handler(ngx_event_t *ev)
{
    vodedge_redis_cluster_t  *cluster = ev->data;

    if (cluster->stale) {
        vodedge_redis_cluster_ask(cluster);
    }
}


static void
vodedge_redis_cluster_slots(vodedge_redis_client_t *nc, ngx_int_t status,
    redisReply *reply, void *data)
{
    vodedge_redis_node_t *node = data;

    vodedge_redis_cluster_t  *cluster;

    cluster = node->cluster;
    cluster->pending = 0;

    if (cluster->client->destroyed) {
        return;
    }

    if (status != VODEDGE_REDIS_OK) {
        /* the node's client logged it */
        vodedge_redis_cluster_ask(cluster);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, cluster->cycle->log, 0,
                      "redis %V: CLUSTER SLOTS on %V failed: %*s",
                      &cluster->client->conf->name, &node->conf.name,
                      (size_t) reply->len, reply->str);
        vodedge_redis_cluster_ask(cluster);
        return;
    }

    /* checked whole before the map changes */

    if (vodedge_redis_cluster_map(cluster, node, reply, 0) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, cluster->cycle->log, 0,
                      "redis %V: CLUSTER SLOTS on %V answered a map this "
                      "client cannot use (a node at no numeric address?)",
                      &cluster->client->conf->name, &node->conf.name);
        vodedge_redis_cluster_ask(cluster);
        return;
    }

    (void) vodedge_redis_cluster_map(cluster, node, reply, 1);

    if (!cluster->loaded) {
        ngx_log_error(NGX_LOG_NOTICE, cluster->cycle->log, 0,
                      "redis %V: slot map from %V",
                      &cluster->client->conf->name, &node->conf.name);
    }

    cluster->loaded = 1;

    if (cluster->stale) {
        vodedge_redis_cluster_ask(cluster);
    }
}


/*
 * CLUSTER SLOTS: {{start, end, {host, port, id, ...}, replicas...}, ...}.
 * An empty host is the answering node's.  apply 0: only checks; 1: the
 * map becomes the answer's (slots it does not cover: none).
 */

static ngx_int_t
vodedge_redis_cluster_map(vodedge_redis_cluster_t *cluster,
    vodedge_redis_node_t *from, redisReply *reply, ngx_uint_t apply)
{
    u_char                *host;
    size_t                 len;
    ngx_int_t              port;
    ngx_uint_t             i, s;
    redisReply            *range, *m;
    vodedge_redis_node_t  *node;

    if (reply->type != REDIS_REPLY_ARRAY) {
        return NGX_ERROR;
    }

    if (apply) {
        ngx_memzero(cluster->slots, sizeof(cluster->slots));

        /* the masters are the answer's: a master turned replica is not */

        for (i = 0; i < cluster->nnodes; i++) {
            cluster->nodes[i]->master = 0;
        }
    }

    for (i = 0; i < reply->elements; i++) {
        range = reply->element[i];

        if (range->type != REDIS_REPLY_ARRAY || range->elements < 3
            || range->element[0]->type != REDIS_REPLY_INTEGER
            || range->element[1]->type != REDIS_REPLY_INTEGER
            || range->element[2]->type != REDIS_REPLY_ARRAY
            || range->element[2]->elements < 2)
        {
            return NGX_ERROR;
        }

        if (range->element[0]->integer < 0
            || range->element[1]->integer < range->element[0]->integer
            || range->element[1]->integer >= VOD_SLOTS)
        {
            return NGX_ERROR;
        }

        m = range->element[2];

        if (m->element[0]->type != REDIS_REPLY_STRING
            || m->element[1]->type != REDIS_REPLY_INTEGER
            || m->element[1]->integer < 1 || m->element[1]->integer > 65535)
        {
            return NGX_ERROR;
        }

        host = (u_char *) m->element[0]->str;
        len = m->element[0]->len;
        port = (ngx_int_t) m->element[1]->integer;

        if (len == 0) {
            host = from->conf.server.host.data;
            len = from->conf.server.host.len;
        }

        if (!vodedge_redis_cluster_numeric(host, len)) {
            return NGX_ERROR;
        }

        if (!apply) {
            continue;
        }

        node = vodedge_redis_cluster_node(cluster, host, len, port);
        if (node == NULL) {
            continue;
        }

        node->master = 1;

        for (s = (ngx_uint_t) range->element[0]->integer;
             s <= (ngx_uint_t) range->element[1]->integer;
             s++)
        {
            cluster->slots[s] = (uint16_t) (node->index + 1);
        }
    }

    return NGX_OK;
}


/* numeric only: hiredis would resolve a name with a blocking
 * getaddrinfo() */

static ngx_uint_t
vodedge_redis_cluster_numeric(u_char *host, size_t len)
{
#if (NGX_HAVE_INET6)
    struct in6_addr  in6;
#endif

    if (len == 0 || len > NGX_INET6_ADDRSTRLEN) {
        return 0;
    }

    if (ngx_inet_addr(host, len) != INADDR_NONE) {
        return 1;
    }

#if (NGX_HAVE_INET6)
    if (ngx_inet6_addr(host, len, in6.s6_addr) == NGX_OK) {
        return 1;
    }
#endif

    return 0;
}


vodedge_redis_cmd_t *
vodedge_redis_cluster_send(vodedge_redis_client_t *client,
    vodedge_redis_handler_pt handler, void *data, ngx_msec_t timeout,
    const u_char *resp, size_t len)
{
    vodedge_redis_node_t  *node;

    if (client->destroyed) {
        return NULL;
    }

    node = vodedge_redis_cluster_route(client->cluster, resp, len);

    return vodedge_redis_cluster_send_to(client, node, handler, data,
                                         timeout, resp, len);
}


vodedge_redis_cmd_t *
vodedge_redis_cluster_send_shard(vodedge_redis_client_t *client,
    ngx_uint_t shard, vodedge_redis_handler_pt handler, void *data,
    ngx_msec_t timeout, const u_char *resp, size_t len)
{
    ngx_uint_t                i;
    vodedge_redis_node_t     *node;
    vodedge_redis_cluster_t  *cluster;

    cluster = client->cluster;

    if (client->destroyed) {
        return NULL;
    }

    node = NULL;

    for (i = 0; i < cluster->nnodes; i++) {
        if (cluster->nodes[i]->master && shard-- == 0) {
            node = cluster->nodes[i];
            break;
        }
    }

    return vodedge_redis_cluster_send_to(client, node, handler, data,
                                         timeout, resp, len);
}


/* the masters of the map, in the order of the nodes */

ngx_uint_t
vodedge_redis_cluster_shards(vodedge_redis_client_t *client)
{
    ngx_uint_t                i, n;
    vodedge_redis_cluster_t  *cluster;

    cluster = client->cluster;
    n = 0;

    for (i = 0; cluster->loaded && i < cluster->nnodes; i++) {
        n += cluster->nodes[i]->master;
    }

    return n;
}


static vodedge_redis_cmd_t *
vodedge_redis_cluster_send_to(vodedge_redis_client_t *client,
    vodedge_redis_node_t *node, vodedge_redis_handler_pt handler,
    void *data, ngx_msec_t timeout, const u_char *resp, size_t len)
{
    u_char               *p;
    vodedge_redis_cmd_t  *cmd;

    if (node == NULL
        || vodedge_redis_state(node->client) != VODEDGE_REDIS_CONNECTED)
    {
        /* the map may be out of date: a failover, a node gone */
        vodedge_redis_cluster_ask(client->cluster);
        vodedge_redis_metrics_unsent(client);
        return NULL;
    }

    cmd = client->free;

    if (cmd != NULL) {
        client->free = cmd->next;

    } else {
        cmd = ngx_pcalloc(client->pool, sizeof(vodedge_redis_cmd_t));
        if (cmd == NULL) {
            return NULL;
        }
    }

    /* the bytes, for a redirection: a buffer kept with the command */

    if (len > cmd->size) {
        p = ngx_alloc(len, client->log);
        if (p == NULL) {
            cmd->next = client->free;
            client->free = cmd;
            return NULL;
        }

        if (cmd->buf != NULL) {
            ngx_free(cmd->buf);
        }

        cmd->buf = p;
        cmd->size = len;
    }

    ngx_memcpy(cmd->buf, resp, len);

    cmd->client = client;
    cmd->handler = handler;
    cmd->data = data;
    cmd->len = len;
    cmd->timeout = timeout;
    cmd->redirects = 0;
    cmd->next = NULL;

    cmd->sub = vodedge_redis_formatted(node->client,
                                       vodedge_redis_cluster_reply, cmd,
                                       timeout, cmd->buf, len);
    if (cmd->sub == NULL) {
        vodedge_redis_cluster_put(cmd);
        return NULL;
    }

    return cmd;
}


void
vodedge_redis_cluster_cancel(vodedge_redis_cmd_t *cmd)
{
    /* the node's command is answered into nothing */

    if (cmd->sub != NULL) {
        vodedge_redis_cancel(cmd->sub);
        cmd->sub = NULL;
    }

    vodedge_redis_cluster_put(cmd);
}


static void
vodedge_redis_cluster_put(vodedge_redis_cmd_t *cmd)
{
    vodedge_redis_client_t  *client;

    client = cmd->client;

    cmd->handler = NULL;
    cmd->sub = NULL;
    cmd->next = client->free;
    client->free = cmd;
}


/* the node of the command's key; of a command without one, the node
 * connecting now, else a master that is connected */

static vodedge_redis_node_t *
vodedge_redis_cluster_route(vodedge_redis_cluster_t *cluster,
    const u_char *resp, size_t len)
{
    uint16_t               i;
    ngx_int_t              rc;
    ngx_str_t              key;
    vodedge_redis_node_t  *node;

    rc = vodedge_redis_cluster_key(resp, len, &key);

    if (rc == NGX_ERROR) {
        return NULL;
    }

    if (rc == NGX_OK) {
        i = cluster->slots[vod_slot(key.data, key.len)];
        return i ? cluster->nodes[i - 1] : NULL;
    }

    if (cluster->current != NULL) {
        return cluster->current;
    }

    for (i = 0; i < cluster->nnodes; i++) {
        node = cluster->nodes[i];

        if (node->master
            && vodedge_redis_state(node->client) == VODEDGE_REDIS_CONNECTED)
        {
            return node;
        }
    }

    return NULL;
}


/* NGX_OK: the key; NGX_DECLINED: the command has none; NGX_ERROR: not a
 * command this file wrote */

static ngx_int_t
vodedge_redis_cluster_key(const u_char *p, size_t len, ngx_str_t *key)
{
    ngx_int_t      argc, numkeys, i;
    ngx_str_t      arg[4];
    const u_char  *end, *q;

    end = p + len;

    if (len < 4 || *p != '*') {
        return NGX_ERROR;
    }

    q = ngx_strlchr((u_char *) p, (u_char *) end, '\r');
    if (q == NULL || q + 1 >= end || q[1] != '\n') {
        return NGX_ERROR;
    }

    argc = ngx_atoi((u_char *) p + 1, q - p - 1);
    if (argc < 1) {
        return NGX_ERROR;
    }

    p = q + 2;

    for (i = 0; i < argc && i < 4; i++) {
        p = vodedge_redis_cluster_bulk(p, end, &arg[i]);
        if (p == NULL) {
            return NGX_ERROR;
        }
    }

    if ((arg[0].len == 4
         && ngx_strncasecmp(arg[0].data, (u_char *) "EVAL", 4) == 0)
        || (arg[0].len == 7
            && ngx_strncasecmp(arg[0].data, (u_char *) "EVALSHA", 7) == 0))
    {
        if (argc < 4) {
            return NGX_DECLINED;
        }

        numkeys = ngx_atoi(arg[2].data, arg[2].len);
        if (numkeys < 1) {
            return NGX_DECLINED;
        }

        *key = arg[3];
        return NGX_OK;
    }

    if (argc < 2
        || (arg[0].len == 6
            && ngx_strncasecmp(arg[0].data, (u_char *) "SCRIPT", 6) == 0)
        || (arg[0].len == 4
            && ngx_strncasecmp(arg[0].data, (u_char *) "PING", 4) == 0))
    {
        return NGX_DECLINED;
    }

    *key = arg[1];

    return NGX_OK;
}


/* "$len\r\nbytes\r\n": what follows it, or NULL */

static const u_char *
vodedge_redis_cluster_bulk(const u_char *p, const u_char *end,
    ngx_str_t *arg)
{
    ngx_int_t      n;
    const u_char  *q;

    if (p >= end || *p != '$') {
        return NULL;
    }

    q = ngx_strlchr((u_char *) p, (u_char *) end, '\r');
    if (q == NULL) {
        return NULL;
    }

    n = ngx_atoi((u_char *) p + 1, q - p - 1);
    if (n < 0 || end - (q + 2) < n + 2) {
        return NULL;
    }

    arg->data = (u_char *) q + 2;
    arg->len = (size_t) n;

    return q + 2 + n + 2;
}


static void
vodedge_redis_cluster_reply(vodedge_redis_client_t *nc, ngx_int_t status,
    redisReply *reply, void *data)
{
    vodedge_redis_cmd_t *cmd = data;

    void                      *hdata;
    vodedge_redis_node_t      *from;
    vodedge_redis_client_t    *client;
    vodedge_redis_cluster_t   *cluster;
    vodedge_redis_handler_pt   handler;

    client = cmd->client;
    cluster = client->cluster;
    cmd->sub = NULL;

    /* a node's client has its node as its on_connect's data */

    from = nc->data;

    if (status == VODEDGE_REDIS_OK && reply->type == REDIS_REPLY_ERROR) {
        if ((reply->len > 6 && ngx_strncmp(reply->str, "MOVED ", 6) == 0)
            || (reply->len > 4 && ngx_strncmp(reply->str, "ASK ", 4) == 0))
        {
            if (vodedge_redis_cluster_redirect(cmd, from, reply) == NGX_OK) {
                return;
            }

            status = VODEDGE_REDIS_LOST;

        } else if ((reply->len >= 11
                    && ngx_strncmp(reply->str, "CLUSTERDOWN", 11) == 0)
                   || (reply->len >= 8
                       && ngx_strncmp(reply->str, "TRYAGAIN", 8) == 0))
        {
            vodedge_redis_cluster_fail(cluster, "%V answered %*s",
                                       &from->conf.name, (size_t) reply->len,
                                       reply->str);
            vodedge_redis_cluster_ask(cluster);
            status = VODEDGE_REDIS_LOST;
        }

    } else if (status != VODEDGE_REDIS_OK && !client->destroyed) {
        /* the node's client logged it; the map may have changed */
        vodedge_redis_cluster_ask(cluster);
    }

    if (status == VODEDGE_REDIS_OK && cluster->failing) {
        cluster->failing = 0;

        ngx_log_error(NGX_LOG_NOTICE, cluster->cycle->log, 0,
                      "redis %V: answers again", &client->conf->name);
    }

    handler = cmd->handler;
    hdata = cmd->data;

    vodedge_redis_cluster_put(cmd);

    if (handler != NULL) {
        handler(client, status, status == VODEDGE_REDIS_OK ? reply : NULL,
                hdata);
    }
}


/* "MOVED slot host:port" or "ASK slot host:port" (an empty host: the
 * node that answered): NGX_OK when the command went there */

static ngx_int_t
vodedge_redis_cluster_redirect(vodedge_redis_cmd_t *cmd,
    vodedge_redis_node_t *from, redisReply *reply)
{
    u_char                   *p, *end, *slot, *host, *colon;
    ngx_int_t                 s, port;
    ngx_uint_t                ask;
    vodedge_redis_node_t     *node;
    vodedge_redis_cluster_t  *cluster;

    cluster = cmd->client->cluster;

    p = (u_char *) reply->str;
    end = p + reply->len;
    ask = (*p == 'A');

    slot = ngx_strlchr(p, end, ' ') + 1;
    host = ngx_strlchr(slot, end, ' ');

    if (host == NULL) {
        goto invalid;
    }

    s = ngx_atoi(slot, host - slot);
    host++;

    /* the last ':' splits host from port: an IPv6 host has some */

    for (colon = end - 1; colon > host && *colon != ':'; colon--) {
        /* void */
    }

    if (*colon != ':' || s < 0 || s >= VOD_SLOTS) {
        goto invalid;
    }

    port = ngx_atoi(colon + 1, end - colon - 1);
    if (port < 1 || port > 65535) {
        goto invalid;
    }

    if (++cmd->redirects > VODEDGE_REDIS_REDIRECTS) {
        vodedge_redis_cluster_fail(cluster, "more than %d redirections for "
                                   "slot %i, the last %*s",
                                   VODEDGE_REDIS_REDIRECTS, s,
                                   (size_t) reply->len, reply->str);
        vodedge_redis_cluster_ask(cluster);
        return NGX_ERROR;
    }

    if (colon == host) {
        node = vodedge_redis_cluster_node(cluster,
                                          from->conf.server.host.data,
                                          from->conf.server.host.len, port);

    } else {
        node = NULL;

        if (vodedge_redis_cluster_numeric(host, colon - host)) {
            node = vodedge_redis_cluster_node(cluster, host, colon - host,
                                              port);
        }
    }

    if (node == NULL) {
        goto invalid;
    }

    if (!ask) {
        cluster->slots[s] = (uint16_t) (node->index + 1);
        node->master = 1;
        vodedge_redis_cluster_ask(cluster);
    }

    ngx_log_debug3(NGX_LOG_DEBUG_EVENT, cluster->cycle->log, 0,
                   "redis %V: %s to %V", &cmd->client->conf->name,
                   ask ? "ASK" : "MOVED", &node->conf.name);

    /* a node just named is still connecting: this command fails, the
     * next finds it */

    if (vodedge_redis_state(node->client) != VODEDGE_REDIS_CONNECTED) {
        vodedge_redis_cluster_fail(cluster, "slot %i moved to %V, not "
                                   "connected yet", s, &node->conf.name);
        return NGX_ERROR;
    }

    if (ask
        && vodedge_redis_command(node->client, NULL, NULL, 0, "ASKING")
           == NULL)
    {
        return NGX_ERROR;
    }

    cmd->sub = vodedge_redis_formatted(node->client,
                                       vodedge_redis_cluster_reply, cmd,
                                       cmd->timeout, cmd->buf, cmd->len);

    return (cmd->sub != NULL) ? NGX_OK : NGX_ERROR;

invalid:

    vodedge_redis_cluster_fail(cluster, "%V answered \"%*s\": no node "
                               "there to follow", &from->conf.name,
                               (size_t) reply->len, reply->str);
    return NGX_ERROR;
}


/* one error line until a command is answered again */

static void
vodedge_redis_cluster_fail(vodedge_redis_cluster_t *cluster,
    const char *fmt, ...)
{
    u_char   *p;
    va_list   args;
    u_char    text[NGX_MAX_ERROR_STR];

    if (cluster->failing) {
        return;
    }

    cluster->failing = 1;

    va_start(args, fmt);
    p = ngx_vslprintf(text, text + sizeof(text), fmt, args);
    va_end(args);

    ngx_log_error(NGX_LOG_ERR, cluster->cycle->log, 0,
                  "redis %V: %*s; commands fail until it answers",
                  &cluster->client->conf->name, p - text, text);
}
