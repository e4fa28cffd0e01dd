/*
 * ngx_stream_playback_presence.c: the edge claims the titles it serves
 * (playback_report presence=), so that steering sends a title's clients
 * to the caches that hold it.
 *
 * A main request answered 200 or 206 whose title is known (the path
 * component after playback_title_from, as the licensing takes it) and
 * valid (A-Z a-z 0-9 . _ -, 1 to 128 bytes, not starting with a dot)
 * claims its title for presence= time: one script in Redis (PRESENCE,
 * ngx_stream_playback_scripts.c) adds the cache id to the sorted set
 * content:<title>:caches with the claim's expiry as its score, trims
 * the claims already lapsed and keeps the key alive as long as the
 * claim.  ngx_steering reads the members whose score is still ahead.
 *
 * The request path stays cheap and bounded: each worker keeps a table of
 * the titles it claimed (NGX_PLAYBACK_PRESENCE_SLOTS, 4-way by a hash of
 * the title, the oldest claim making room) with when it wrote each, and
 * writes a title again only when its claim is past half its life; it
 * writes at most presence_max claims per interval, the titles beyond
 * that waiting for a later request (logged once, until an interval goes
 * by without any).  While Redis is down nothing is sent: the titles are
 * claimed by the requests after it is back.  Nothing waits: the reply
 * only says whether a claim went through.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"


#define NGX_PLAYBACK_PRESENCE_WAYS    4
#define NGX_PLAYBACK_PRESENCE_BITS    10
#define NGX_PLAYBACK_PRESENCE_SLOTS   (1 << NGX_PLAYBACK_PRESENCE_BITS)

#define NGX_PLAYBACK_PRESENCE_PREFIX  "content:"
#define NGX_PLAYBACK_PRESENCE_SUFFIX  ":caches"


typedef struct {
    ngx_msec_t                 sent;       /* when it was claimed */
    uintptr_t                  tag;        /* of the write, for its reply */
    uint32_t                   hash;
    u_char                     len;        /* 0: a free slot */
    unsigned                   retry:1;    /* the write failed: due */
    u_char                     title[NGX_PLAYBACK_API_ID_MAX];
} ngx_stream_playback_claim_t;


/* the worker's */
typedef struct {
    ngx_stream_playback_presence_conf_t  *conf;
    ngx_stream_playback_main_conf_t      *pmcf;
    ngx_log_t                            *log;
    ngx_msec_t                            window;   /* the bound's */
    ngx_uint_t                            written;  /* in the window */
    ngx_uint_t                            dropped;  /* in the window */
    uintptr_t                             writes;   /* tags */
    unsigned                              drop_logged:1;
    unsigned                              failing:1;
    unsigned                              refused_logged:1;
    ngx_stream_playback_claim_t           claims[NGX_PLAYBACK_PRESENCE_SLOTS];
} ngx_stream_playback_presence_t;


static ngx_int_t ngx_stream_playback_presence_due(
    ngx_stream_playback_presence_t *p, ngx_msec_t now);
static ngx_int_t ngx_stream_playback_presence_send(
    ngx_stream_playback_presence_t *p, ngx_stream_playback_claim_t *c,
    ngx_uint_t eval);
static void ngx_stream_playback_presence_sent(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);


static ngx_stream_playback_presence_t  *ngx_stream_playback_presence;


ngx_int_t
ngx_stream_playback_presence_init_process(ngx_cycle_t *cycle,
    ngx_stream_playback_main_conf_t *pmcf,
    ngx_stream_playback_presence_conf_t *conf)
{
    ngx_stream_playback_presence_t  *p;

    ngx_stream_playback_presence = NULL;

    if (ngx_process != NGX_PROCESS_WORKER
        && ngx_process != NGX_PROCESS_SINGLE)
    {
        return NGX_OK;
    }

    /* lives until the cycle's pool goes, after exit_process has dropped
     * the Redis client (whose pending replies come here) */

    p = ngx_pcalloc(cycle->pool, sizeof(ngx_stream_playback_presence_t));
    if (p == NULL) {
        return NGX_ERROR;
    }

    p->conf = conf;
    p->pmcf = pmcf;
    p->log = cycle->log;
    p->window = ngx_current_msec;

    ngx_stream_playback_presence = p;

    return NGX_OK;
}


/* the log phase of a main request (ngx_stream_playback_report.c) */

void
ngx_stream_playback_presence_served(ngx_http_request_t *r)
{
    uint32_t                          hash;
    ngx_str_t                         title;
    ngx_uint_t                        i, status;
    ngx_msec_t                        now;
    ngx_stream_playback_claim_t      *bucket, *c, *victim;
    ngx_stream_playback_presence_t   *p;
    ngx_stream_playback_loc_conf_t   *plcf;

    p = ngx_stream_playback_presence;

    if (p == NULL || ngx_exiting) {
        return;
    }

    status = r->headers_out.status;

    if (status != NGX_HTTP_OK && status != NGX_HTTP_PARTIAL_CONTENT) {
        return;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    ngx_stream_playback_title(r, plcf, &title);

    if (title.len == 0) {
        return;
    }

    /* a path component the client chose: only what a key may hold */

    if (ngx_stream_playback_api_valid_id(&title) != NGX_OK) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "playback presence: title \"%V\" not claimed",
                       &title);
        return;
    }

    now = ngx_current_msec;
    hash = ngx_crc32_short(title.data, title.len);

    bucket = &p->claims[(hash & (NGX_PLAYBACK_PRESENCE_SLOTS - 1))
                        & ~(NGX_PLAYBACK_PRESENCE_WAYS - 1)];
    victim = NULL;

    for (i = 0; i < NGX_PLAYBACK_PRESENCE_WAYS; i++) {
        c = &bucket[i];

        if (c->len == title.len && c->hash == hash
            && ngx_memcmp(c->title, title.data, title.len) == 0)
        {
            if (!c->retry
                && now - c->sent < p->conf->ttl / 2)
            {
                return;             /* claimed, and not past half life */
            }

            victim = c;
            break;
        }

        /* room: a free slot, else the oldest claim */

        if (victim == NULL
            || (victim->len != 0
                && (c->len == 0
                    || (ngx_msec_int_t) (c->sent - victim->sent) < 0)))
        {
            victim = c;
        }
    }

    if (vodedge_redis_state(p->pmcf->redis_client)
        != VODEDGE_REDIS_CONNECTED)
    {
        return;                     /* claimed once Redis is back */
    }

    if (ngx_stream_playback_presence_due(p, now) != NGX_OK) {
        return;
    }

    c = victim;

    if (c->len != title.len || c->hash != hash
        || ngx_memcmp(c->title, title.data, title.len) != 0)
    {
        c->hash = hash;
        c->len = (u_char) title.len;
        ngx_memcpy(c->title, title.data, title.len);
    }

    c->sent = now;
    c->retry = 0;

    if (ngx_stream_playback_presence_send(p, c, 0) != NGX_OK) {
        c->retry = 1;
        return;
    }

    p->written++;
}


/* The bound: NGX_OK when one more claim may be written in this interval;
 * else the title waits for a later request. */

static ngx_int_t
ngx_stream_playback_presence_due(ngx_stream_playback_presence_t *p,
    ngx_msec_t now)
{
    if (now - p->window >= p->conf->interval) {

        /* a quiet interval: the next overflow is logged again */

        if (p->dropped == 0) {
            p->drop_logged = 0;
        }

        p->window = now;
        p->written = 0;
        p->dropped = 0;
    }

    if (p->written < p->conf->max) {
        return NGX_OK;
    }

    p->dropped++;

    if (!p->drop_logged) {
        p->drop_logged = 1;

        ngx_log_error(NGX_LOG_WARN, p->log, 0,
                      "playback presence: more than %ui titles to claim "
                      "in %M ms (presence_max=): the others wait for a "
                      "later request", p->conf->max, p->conf->interval);
    }

    return NGX_DECLINED;
}


/* EVALSHA PRESENCE 1 content:<title>:caches <id> <life ms>, or EVAL */

static ngx_int_t
ngx_stream_playback_presence_send(ngx_stream_playback_presence_t *p,
    ngx_stream_playback_claim_t *c, ngx_uint_t eval)
{
    u_char                        *k;
    uintptr_t                      tag;
    vodedge_redis_cmd_t           *cmd;
    ngx_stream_playback_script_t  *script;
    size_t                         len[6];
    const char                    *argv[6];
    u_char                         ttl[NGX_INT_T_LEN];
    u_char                         key[sizeof(NGX_PLAYBACK_PRESENCE_PREFIX)
                                       + NGX_PLAYBACK_API_ID_MAX
                                       + sizeof(NGX_PLAYBACK_PRESENCE_SUFFIX)];

    script = &p->pmcf->scripts[NGX_PLAYBACK_SCRIPT_PRESENCE];

    if (eval) {
        argv[0] = "EVAL";
        len[0] = 4;
        argv[1] = (const char *) script->text.data;
        len[1] = script->text.len;

    } else {
        argv[0] = "EVALSHA";
        len[0] = 7;
        argv[1] = (const char *) script->sha;
        len[1] = 40;
    }

    argv[2] = "1";
    len[2] = 1;

    k = ngx_cpymem(key, NGX_PLAYBACK_PRESENCE_PREFIX,
                   sizeof(NGX_PLAYBACK_PRESENCE_PREFIX) - 1);
    k = ngx_cpymem(k, c->title, c->len);
    k = ngx_cpymem(k, NGX_PLAYBACK_PRESENCE_SUFFIX,
                   sizeof(NGX_PLAYBACK_PRESENCE_SUFFIX) - 1);

    argv[3] = (const char *) key;
    len[3] = k - key;

    argv[4] = (const char *) p->conf->id.data;
    len[4] = p->conf->id.len;

    argv[5] = (const char *) ttl;
    len[5] = ngx_sprintf(ttl, "%M", p->conf->ttl) - ttl;

    /* the reply finds its slot by the tag, if the slot still holds this
     * write: its index, and a count of the worker's writes */

    tag = (++p->writes << NGX_PLAYBACK_PRESENCE_BITS)
          | (uintptr_t) (c - p->claims);

    cmd = vodedge_redis_command_argv(p->pmcf->redis_client,
                                     ngx_stream_playback_presence_sent,
                                     (void *) tag, 0, 6, argv, len);
    if (cmd == NULL) {
        return NGX_ERROR;
    }

    c->tag = tag;

    return NGX_OK;
}


static void
ngx_stream_playback_presence_sent(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    uintptr_t                        tag;
    ngx_stream_playback_claim_t     *c;
    ngx_stream_playback_presence_t  *p;

    p = ngx_stream_playback_presence;

    if (p == NULL) {
        return;
    }

    tag = (uintptr_t) data;
    c = &p->claims[tag & (NGX_PLAYBACK_PRESENCE_SLOTS - 1)];

    if (c->tag != tag || c->len == 0) {
        c = NULL;                   /* the slot holds another write now */
    }

    /* a timeout or a lost connection: the next request claims again
     * (the client logged why) */

    if (status != VODEDGE_REDIS_OK) {
        if (c != NULL) {
            c->retry = 1;
        }

        return;
    }

    if (reply->type == REDIS_REPLY_ERROR) {

        /* a Redis that restarted or flushed its scripts: send the text */

        if (c != NULL && reply->len >= 8
            && ngx_strncmp(reply->str, "NOSCRIPT", 8) == 0)
        {
            if (ngx_stream_playback_presence_send(p, c, 1) != NGX_OK) {
                c->retry = 1;
            }

            return;
        }

        if (!p->failing) {
            p->failing = 1;

            ngx_log_error(NGX_LOG_ERR, p->log, 0,
                          "playback presence: redis %V refused a claim: "
                          "%*s", vodedge_redis_name(client),
                          (size_t) reply->len, reply->str);
        }

        return;
    }

    p->failing = 0;

    if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0
        && !p->refused_logged)
    {
        p->refused_logged = 1;

        ngx_log_error(NGX_LOG_NOTICE, p->log, 0,
                      "playback presence: %s%*s%s is not a sorted set "
                      "(an operator's set?): the edge's claims leave it "
                      "alone (logged once)", NGX_PLAYBACK_PRESENCE_PREFIX,
                      c != NULL ? (size_t) c->len : (size_t) 1,
                      c != NULL ? c->title : (u_char *) "?",
                      NGX_PLAYBACK_PRESENCE_SUFFIX);
    }
}
