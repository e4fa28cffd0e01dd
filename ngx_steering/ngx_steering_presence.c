/*
 * ngx_steering_presence.c: which caches hold a title, from Redis keys
 * content:{title}:caches, polled into the shared zone; never a Redis
 * round trip per request.  A key is a set of cache ids (an operator's
 * SADD), or a sorted set of cache ids scored by the Unix time their
 * claim lapses (an edge's playback_report presence=): the members whose
 * score is still ahead of Redis' clock count.
 *
 * Every worker has a Redis client (shared/vodedge_redis.c) and a timer
 * of steering_presence_interval.  The first worker whose timer fires
 * when a poll is due takes a lease in the zone and polls; the others
 * leave it alone.  A poll is one SCAN cycle over content:*:caches, one
 * round trip per batch of NGX_STEERING_PRESENCE_BATCH keys: a script
 * scans a batch and returns each key's members with it, so Redis does a
 * bounded piece of work per call and the worker never waits.  With a
 * Redis Cluster, whose SCAN covers one node, the cycle is one per master
 * in turn, the script reading the keys of the node it runs on.  Each
 * batch is written into the zone's tree of titles (a bit per cache
 * slot); when the cycle is complete, the titles it did not see are
 * dropped and the poll's time is recorded.
 *
 * A decision uses a title's presence when the last complete poll is no
 * older than steering_presence_max_age and Redis had a set for the
 * title; otherwise the title gets rendezvous subsets.  A Redis that is
 * down stops the polls, so its data ages out; that is logged once, and
 * once more when a poll completes again.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"
#include "vodedge_reply.h"


#define NGX_STEERING_PRESENCE_BATCH   500
#define NGX_STEERING_PRESENCE_LEASE   1000     /* ms beyond a timeout */
#define NGX_STEERING_CURSOR_MAX       32

#define NGX_STEERING_PRESENCE_PREFIX  "content:"
#define NGX_STEERING_PRESENCE_SUFFIX  ":caches"


typedef struct {
    ngx_steering_main_conf_t  *smcf;
    vodedge_redis_client_t    *client;
    ngx_event_t                timer;
    ngx_uint_t                 gen;          /* of the poll in progress */
    ngx_uint_t                 titles;       /* seen by it */
    ngx_uint_t                 batches;
    ngx_uint_t                 shard;        /* the server being scanned */
    ngx_uint_t                 shards;       /* 1, or a Cluster's masters */
    ngx_msec_t                 started;
    u_char                     cursor[NGX_STEERING_CURSOR_MAX];
    unsigned                   polling:1;
    unsigned                   full_logged:1;
} ngx_steering_poller_t;


static void ngx_steering_presence_connected(vodedge_redis_client_t *client,
    void *data);
static void ngx_steering_presence_tick(ngx_event_t *ev);
static void ngx_steering_presence_check_age(ngx_steering_poller_t *p);
static ngx_int_t ngx_steering_presence_begin(ngx_steering_poller_t *p);
static void ngx_steering_presence_send(ngx_steering_poller_t *p);
static void ngx_steering_presence_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);
static ngx_int_t ngx_steering_presence_batch(ngx_steering_poller_t *p,
    redisReply *reply);
static ngx_int_t ngx_steering_presence_store(ngx_steering_poller_t *p,
    ngx_str_t *title, uint64_t *bits);
static void ngx_steering_presence_complete(ngx_steering_poller_t *p);
static void ngx_steering_presence_end(ngx_steering_poller_t *p);
static ngx_steering_presence_t *ngx_steering_presence_lookup(
    ngx_steering_shctx_t *sh, ngx_rbtree_key_t key, ngx_str_t *title,
    ngx_uint_t *collision);


/* SCAN one batch, and the members of each key found: {cursor, key,
 * {members}, key, {members}, ...}: a set's members, a sorted set's
 * members scored after Redis' now (claims not lapsed); a key of another
 * type, or whose claims have all lapsed, is skipped */

static const char  ngx_steering_presence_script[] =
    "local r = redis.call('SCAN', ARGV[1], 'MATCH', ARGV[2], "
    "'COUNT', ARGV[3]) "
    "local out = {r[1]} "
    "local now "
    "for _, k in ipairs(r[2]) do "
    "local t = redis.call('TYPE', k).ok "
    "local m "
    "if t == 'set' then "
    "m = redis.call('SMEMBERS', k) "
    "elseif t == 'zset' then "
    "if now == nil then "
    "now = redis.call('TIME') "
    "now = now[1] + now[2] / 1000000 "
    "end "
    "m = redis.call('ZRANGEBYSCORE', k, '(' .. now, '+inf') "
    "end "
    "if m ~= nil and #m > 0 then "
    "out[#out + 1] = k "
    "out[#out + 1] = m "
    "end "
    "end "
    "return out";


static ngx_steering_poller_t  *ngx_steering_poller;


char *
ngx_steering_redis(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    ngx_str_t  *value;

    if (smcf->redis != NULL) {
        return "is duplicate";
    }

    smcf->redis = ngx_pcalloc(cf->pool, sizeof(vodedge_redis_conf_t));
    if (smcf->redis == NULL) {
        return NGX_CONF_ERROR;
    }

    value = cf->args->elts;

    return vodedge_redis_parse(cf, value, 1, cf->args->nelts, smcf->redis);
}


ngx_int_t
ngx_steering_presence_init_process(ngx_cycle_t *cycle)
{
    ngx_steering_poller_t     *p;
    ngx_steering_main_conf_t  *smcf;

    ngx_steering_poller = NULL;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    smcf = ngx_http_cycle_get_module_main_conf(cycle, ngx_steering_module);

    if (smcf == NULL || smcf->redis == NULL || smcf->fleet == NULL
        || smcf->sh == NULL)
    {
        return NGX_OK;
    }

    p = ngx_pcalloc(cycle->pool, sizeof(ngx_steering_poller_t));
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->smcf = smcf;

    p->timer.handler = ngx_steering_presence_tick;
    p->timer.data = p;
    p->timer.log = cycle->log;
    p->timer.cancelable = 1;

    p->client = vodedge_redis_create(cycle, smcf->redis,
                                     ngx_steering_presence_connected, p);
    if (p->client == NULL) {
        return NGX_ERROR;
    }

    ngx_steering_poller = p;

    ngx_add_timer(&p->timer, smcf->presence_interval);

    return NGX_OK;
}


void
ngx_steering_presence_exit_process(ngx_cycle_t *cycle)
{
    ngx_steering_poller_t  *p;

    p = ngx_steering_poller;

    if (p == NULL) {
        return;
    }

    if (p->timer.timer_set) {
        ngx_del_timer(&p->timer);
    }

    /* a poll in progress gets "lost" and gives its lease back */
    vodedge_redis_destroy(p->client);

    ngx_steering_poller = NULL;
}


/*
 * The presence of a title for a decision: live[i].present for each cache
 * of the fleet, and 1; or 0 when there is no fresh data for the title.
 */

ngx_uint_t
ngx_steering_presence(ngx_steering_main_conf_t *smcf, ngx_str_t *title,
    st_live_t *live)
{
    time_t                    polled;
    uint64_t                  bits[ST_MAX_CACHES / 64];
    ngx_uint_t                i, s, found, collision;
    ngx_steering_shctx_t     *sh;
    ngx_steering_presence_t  *node;

    if (smcf->redis == NULL) {
        return 0;
    }

    sh = smcf->sh;

    polled = sh->presence_polled;

    if (polled == 0
        || (smcf->presence_max_age >= 0
            && ngx_time() - polled > smcf->presence_max_age))
    {
        return 0;
    }

    found = 0;

    ngx_shmtx_lock(&smcf->shpool->mutex);

    node = ngx_steering_presence_lookup(sh, st_hash(title->data, title->len),
                                        title, &collision);

    if (node != NULL) {
        ngx_memcpy(bits, node->caches, sizeof(bits));
        found = 1;
    }

    ngx_shmtx_unlock(&smcf->shpool->mutex);

    if (!found) {
        return 0;
    }

    for (i = 0; i < smcf->fleet->fleet->ncaches; i++) {
        s = smcf->fleet->slot[i];
        live[i].present = (bits[s / 64] >> (s % 64)) & 1;
    }

    return 1;
}


static void
ngx_steering_presence_connected(vodedge_redis_client_t *client, void *data)
{
    ngx_steering_poller_t  *p = data;

    /* poll soon after a (re)connection rather than an interval later */

    if (!p->polling && !ngx_exiting && !ngx_terminate) {
        if (p->timer.timer_set) {
            ngx_del_timer(&p->timer);
        }

        ngx_add_timer(&p->timer, 1);
    }
}


static void
ngx_steering_presence_tick(ngx_event_t *ev)
{
    ngx_steering_poller_t  *p = ev->data;

    if (ngx_exiting || ngx_terminate) {
        return;
    }

    ngx_add_timer(&p->timer, p->smcf->presence_interval);

    ngx_steering_presence_check_age(p);

    if (p->polling
        || vodedge_redis_state(p->client) != VODEDGE_REDIS_CONNECTED
        || vodedge_redis_shards(p->client) == 0)
    {
        return;
    }

    if (ngx_steering_presence_begin(p) != NGX_OK) {
        return;
    }

    /* the lease covers the caches' state too: one poller of both */
    ngx_steering_redis_state_poll(p->smcf, p->client, p->timer.log);

    ngx_steering_presence_send(p);
}


/* "logged once": the first worker to see the data age out says so */

static void
ngx_steering_presence_check_age(ngx_steering_poller_t *p)
{
    time_t                     last;
    ngx_steering_shctx_t      *sh;
    ngx_steering_main_conf_t  *smcf;

    smcf = p->smcf;
    sh = smcf->sh;

    if (smcf->presence_max_age < 0) {
        return;
    }

    last = sh->presence_polled ? sh->presence_polled : sh->presence_since;

    if (ngx_time() - last <= smcf->presence_max_age) {
        return;
    }

    if (!ngx_atomic_cmp_set(&sh->presence_stale, 0, 1)) {
        return;
    }

    if (sh->presence_polled) {
        ngx_log_error(NGX_LOG_WARN, p->timer.log, 0,
                      "steering presence from redis %V is older than %T s "
                      "(redis %s): titles use rendezvous subsets until a "
                      "poll completes", &smcf->redis->name,
                      smcf->presence_max_age,
                      vodedge_redis_state(p->client)
                      == VODEDGE_REDIS_CONNECTED ? "answers late"
                                                 : "is down");

    } else {
        ngx_log_error(NGX_LOG_WARN, p->timer.log, 0,
                      "steering presence: no poll of redis %V completed "
                      "in %T s (redis %s): titles use rendezvous subsets "
                      "until one does", &smcf->redis->name,
                      smcf->presence_max_age,
                      vodedge_redis_state(p->client)
                      == VODEDGE_REDIS_CONNECTED ? "answers late"
                                                 : "is down");
    }
}


/* Takes the lease of a due poll: NGX_OK, or NGX_DECLINED when it is not
 * due or another worker holds it. */

static ngx_int_t
ngx_steering_presence_begin(ngx_steering_poller_t *p)
{
    ngx_msec_t                 now;
    ngx_steering_shctx_t      *sh;
    ngx_steering_main_conf_t  *smcf;

    smcf = p->smcf;
    sh = smcf->sh;
    now = ngx_current_msec;

    ngx_shmtx_lock(&smcf->shpool->mutex);

    if ((ngx_msec_int_t) (sh->presence_next - now) > 0
        || (sh->presence_owner != 0
            && (ngx_msec_int_t) (sh->presence_lock - now) > 0))
    {
        ngx_shmtx_unlock(&smcf->shpool->mutex);
        return NGX_DECLINED;
    }

    /* due again three quarters of an interval on: with the workers'
     * timers out of step, about one poll per interval */

    sh->presence_next = now + smcf->presence_interval * 3 / 4;
    sh->presence_lock = now + smcf->redis->command_timeout
                        + NGX_STEERING_PRESENCE_LEASE;
    sh->presence_owner = ngx_pid;
    p->gen = ++sh->presence_gen;

    ngx_shmtx_unlock(&smcf->shpool->mutex);

    p->polling = 1;
    p->titles = 0;
    p->batches = 0;
    p->shard = 0;
    p->shards = vodedge_redis_shards(p->client);
    p->started = now;
    p->cursor[0] = '0';
    p->cursor[1] = '\0';

    return NGX_OK;
}


static void
ngx_steering_presence_send(ngx_steering_poller_t *p)
{
    u_char                    count[NGX_INT_T_LEN + 1];
    vodedge_redis_cmd_t      *cmd;

    ngx_sprintf(count, "%d%Z", NGX_STEERING_PRESENCE_BATCH);

    cmd = vodedge_redis_command_shard(p->client, p->shard,
                                      ngx_steering_presence_reply, p, 0,
                                      "EVAL %s 0 %s %s %s",
                                      ngx_steering_presence_script,
                                      p->cursor,
                                      NGX_STEERING_PRESENCE_PREFIX "*"
                                      NGX_STEERING_PRESENCE_SUFFIX, count);

    if (cmd == NULL) {
        /* no connection now: the client logged why */
        ngx_steering_presence_end(p);
    }
}


static void
ngx_steering_presence_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    ngx_steering_poller_t  *p = data;

    size_t       clen;
    const char  *cstr;

    if (status != VODEDGE_REDIS_OK) {
        ngx_log_error(NGX_LOG_INFO, p->timer.log, 0,
                      "steering presence poll of redis %V stopped: %s",
                      &p->smcf->redis->name,
                      vodedge_redis_status_text(status));
        ngx_steering_presence_end(p);
        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        ngx_log_error(NGX_LOG_ERR, p->timer.log, 0,
                      "steering presence poll of redis %V failed: %*s",
                      &p->smcf->redis->name, (size_t) reply->len,
                      reply->str);
        ngx_steering_presence_end(p);
        return;
    }

    if (vodedge_reply_cursor(reply, NGX_STEERING_CURSOR_MAX, &cstr, &clen)
        != VODEDGE_REPLY_OK)
    {
        ngx_log_error(NGX_LOG_ERR, p->timer.log, 0,
                      "steering presence poll of redis %V failed: "
                      "an unexpected reply", &p->smcf->redis->name);
        ngx_steering_presence_end(p);
        return;
    }

    if (ngx_steering_presence_batch(p, reply) != NGX_OK) {
        /* another worker took over, or the worker is exiting */
        ngx_steering_presence_end(p);
        return;
    }

    p->batches++;

    /* a server scanned: the next one from its start (cursor "0"), or
     * the cycle is complete */

    if (clen == 1 && cstr[0] == '0' && ++p->shard == p->shards) {
        ngx_steering_presence_complete(p);
        ngx_steering_presence_end(p);
        return;
    }

    ngx_memcpy(p->cursor, cstr, clen);
    p->cursor[clen] = '\0';

    ngx_steering_presence_send(p);
}


/* Stores one batch: {cursor, key, {members}, ...}. */

static ngx_int_t
ngx_steering_presence_batch(ngx_steering_poller_t *p, redisReply *reply)
{
    size_t                     pre, suf;
    uint64_t                   bits[ST_MAX_CACHES / 64];
    ngx_str_t                  title;
    ngx_uint_t                 i, j, s;
    redisReply                *key, *members, *m;
    st_cache_t                *c;
    ngx_steering_main_conf_t  *smcf;

    smcf = p->smcf;

    if (ngx_exiting || ngx_terminate) {
        return NGX_DECLINED;
    }

    /* the ids of the fleet in service, and their slots */

    ngx_steering_fleet_refresh(smcf, p->timer.log);

    pre = sizeof(NGX_STEERING_PRESENCE_PREFIX) - 1;
    suf = sizeof(NGX_STEERING_PRESENCE_SUFFIX) - 1;

    for (i = 1; i + 1 < reply->elements; i += 2) {
        key = reply->element[i];
        members = reply->element[i + 1];

        if (key->type != REDIS_REPLY_STRING
            || members->type != REDIS_REPLY_ARRAY
            || key->len <= pre + suf)
        {
            continue;
        }

        title.data = (u_char *) key->str + pre;
        title.len = key->len - pre - suf;

        if (ngx_steering_title_valid(&title) != NGX_OK) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP, p->timer.log, 0,
                           "steering presence: key \"%s\" skipped",
                           key->str);
            continue;
        }

        ngx_memzero(bits, sizeof(bits));

        for (j = 0; j < members->elements; j++) {
            m = members->element[j];

            if (m->type != REDIS_REPLY_STRING) {
                continue;
            }

            /* ids of caches not in the fleet are left out */

            c = st_fleet_find(smcf->fleet->fleet, (u_char *) m->str,
                              m->len);
            if (c == NULL) {
                continue;
            }

            s = smcf->fleet->slot[c - smcf->fleet->fleet->caches];
            bits[s / 64] |= (uint64_t) 1 << (s % 64);
        }

        if (ngx_steering_presence_store(p, &title, bits) != NGX_OK) {
            return NGX_DECLINED;
        }

        p->titles++;
    }

    return NGX_OK;
}


/* One title's caches into the tree, under the lease: NGX_DECLINED when
 * the lease is another worker's now. */

static ngx_int_t
ngx_steering_presence_store(ngx_steering_poller_t *p, ngx_str_t *title,
    uint64_t *bits)
{
    ngx_uint_t                 collision;
    ngx_rbtree_key_t           key;
    ngx_slab_pool_t           *shpool;
    ngx_steering_shctx_t      *sh;
    ngx_steering_presence_t   *node;
    ngx_steering_main_conf_t  *smcf;

    smcf = p->smcf;
    sh = smcf->sh;
    shpool = smcf->shpool;

    key = st_hash(title->data, title->len);

    ngx_shmtx_lock(&shpool->mutex);

    if (sh->presence_owner != ngx_pid || sh->presence_gen != p->gen) {
        ngx_shmtx_unlock(&shpool->mutex);
        return NGX_DECLINED;
    }

    sh->presence_lock = ngx_current_msec + smcf->redis->command_timeout
                        + NGX_STEERING_PRESENCE_LEASE;

    node = ngx_steering_presence_lookup(sh, key, title, &collision);

    if (node == NULL && !collision) {
        node = ngx_slab_alloc_locked(shpool,
                                     offsetof(ngx_steering_presence_t, title)
                                     + title->len);

        if (node == NULL) {
            ngx_shmtx_unlock(&shpool->mutex);

            if (!p->full_logged) {
                p->full_logged = 1;
                ngx_log_error(NGX_LOG_ERR, p->timer.log, 0,
                              "steering zone is full: titles beyond those "
                              "stored use rendezvous subsets; make "
                              "steering_zone larger");
            }

            return NGX_OK;
        }

        node->node.key = key;
        node->len = (u_short) title->len;
        ngx_memcpy(node->title, title->data, title->len);

        ngx_rbtree_insert(&sh->presence, &node->node);
        sh->presence_titles++;
    }

    if (node != NULL) {
        ngx_memcpy(node->caches, bits, sizeof(node->caches));
        node->gen = p->gen;
    }

    ngx_shmtx_unlock(&shpool->mutex);

    if (collision) {
        ngx_log_error(NGX_LOG_INFO, p->timer.log, 0,
                      "steering presence: title \"%V\" has the hash of "
                      "another, it uses rendezvous subsets", title);
    }

    return NGX_OK;
}


/* The SCAN cycle is complete: titles it did not see are gone from
 * Redis. */

static void
ngx_steering_presence_complete(ngx_steering_poller_t *p)
{
    ngx_uint_t                 titles;
    ngx_slab_pool_t           *shpool;
    ngx_rbtree_node_t         *n, *next, *root, *sentinel;
    ngx_steering_shctx_t      *sh;
    ngx_steering_presence_t   *node;

    sh = p->smcf->sh;
    shpool = p->smcf->shpool;

    ngx_shmtx_lock(&shpool->mutex);

    if (sh->presence_owner != ngx_pid || sh->presence_gen != p->gen) {
        ngx_shmtx_unlock(&shpool->mutex);
        return;
    }

    root = sh->presence.root;
    sentinel = sh->presence.sentinel;

    if (root != sentinel) {
        n = ngx_rbtree_min(root, sentinel);

        while (n != NULL) {
            next = ngx_rbtree_next(&sh->presence, n);

            node = (ngx_steering_presence_t *) n;

            if (node->gen != p->gen) {
                ngx_rbtree_delete(&sh->presence, n);
                ngx_slab_free_locked(shpool, node);
                sh->presence_titles--;
            }

            n = next;
        }
    }

    titles = sh->presence_titles;
    sh->presence_polled = ngx_time();

    ngx_shmtx_unlock(&shpool->mutex);

    p->full_logged = 0;

    if (ngx_atomic_cmp_set(&sh->presence_stale, 1, 0)) {
        ngx_log_error(NGX_LOG_NOTICE, p->timer.log, 0,
                      "steering presence from redis %V is fresh again, "
                      "titles: %ui", &p->smcf->redis->name, titles);
    }

    ngx_log_debug4(NGX_LOG_DEBUG_HTTP, p->timer.log, 0,
                   "steering presence poll: %ui titles seen, %ui kept, "
                   "%ui round trips, %M ms", p->titles, titles, p->batches,
                   ngx_current_msec - p->started);
}


/* Gives the lease back, complete or not. */

static void
ngx_steering_presence_end(ngx_steering_poller_t *p)
{
    ngx_steering_shctx_t  *sh;

    sh = p->smcf->sh;

    p->polling = 0;

    ngx_shmtx_lock(&p->smcf->shpool->mutex);

    if (sh->presence_owner == ngx_pid && sh->presence_gen == p->gen) {
        sh->presence_owner = 0;
        sh->presence_lock = 0;
    }

    ngx_shmtx_unlock(&p->smcf->shpool->mutex);
}


/* The title's node, under the zone's lock.  Hashes are unique in the
 * tree: a title whose hash another holds is not stored (*collision). */

static ngx_steering_presence_t *
ngx_steering_presence_lookup(ngx_steering_shctx_t *sh, ngx_rbtree_key_t key,
    ngx_str_t *title, ngx_uint_t *collision)
{
    ngx_rbtree_node_t        *n, *sentinel;
    ngx_steering_presence_t  *node;

    *collision = 0;

    n = sh->presence.root;
    sentinel = sh->presence.sentinel;

    while (n != sentinel) {

        if (key < n->key) {
            n = n->left;
            continue;
        }

        if (key > n->key) {
            n = n->right;
            continue;
        }

        node = (ngx_steering_presence_t *) n;

        if (node->len == title->len
            && ngx_memcmp(node->title, title->data, title->len) == 0)
        {
            return node;
        }

        *collision = 1;
        return NULL;
    }

    return NULL;
}
