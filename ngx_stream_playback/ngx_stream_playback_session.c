/*
 * ngx_stream_playback_session.c: media requests bound to their playback
 * session.  The manifest call signs its media URLs with the session's id
 * (sid) and takes a stream slot; the slot ends with DELETE
 * /api/v1/playback/sessions/{id} or when heartbeats stop for
 * playback_stream_grace.  A media request whose token names a session is
 * served only while that session lives: Redis holds
 * session:{account}:{sid} exactly as long (see the scripts).
 *
 * Asking Redis for every segment would cost what the edge is for, so each
 * worker keeps what it learnt (alive or ended, or that Redis did not
 * answer) for playback_session_check's ttl.  A request that finds its
 * session here is decided at once; once the entry is older than the ttl
 * the request is still decided by it while one EXISTS goes to Redis in
 * the background and refreshes it, so a session that ended is refused
 * within the ttl plus one Redis answer.  Only the first request of a
 * session on this worker (no entry) waits for Redis, suspended in the
 * access phase, at most the command timeout.  An ended session never
 * lives again (its id is random and new per manifest), so an entry that
 * says "ended" stays so while Redis is away; "unknown" follows
 * playback_streams_fail.
 *
 * Keys of every family carry the account as "{account}" (escaped: no ':',
 * '{', '}', '%' or bytes outside 0x21-0x7e remain), which is also a
 * Redis Cluster hash tag: an account's keys share a slot, as its scripts
 * need.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"


#define NGX_PLAYBACK_SC_ENTRIES   4096          /* a power of two */
#define NGX_PLAYBACK_SC_KEY       192           /* longest key cached */
#define NGX_PLAYBACK_SC_GEN_MASK  0xfffff       /* 20 bits beside 12 */

#define NGX_PLAYBACK_SC_ALIVE     1
#define NGX_PLAYBACK_SC_ENDED     2
#define NGX_PLAYBACK_SC_UNKNOWN   3             /* Redis did not answer */


/* an entry is keyed by the token's own claims, "sub NUL sid" (claims hold
 * no control characters): a hit costs a hash of the sid and a compare,
 * the Redis key is built only when Redis is asked */
typedef struct {
    ngx_msec_t           expires;
    ngx_msec_t           ttl;
    uint32_t             hash;
    uint32_t             gen;           /* bumped when the key changes */
    u_char               state;         /* 0: empty */
    u_char               refreshing;
    u_char               sub_len;
    u_char               key_len;
    u_char               key[NGX_PLAYBACK_SC_KEY];
} ngx_stream_playback_sc_entry_t;


/* the first request of a session on this worker, waiting for Redis */
typedef struct {
    ngx_http_request_t  *request;
    vodedge_redis_cmd_t *cmd;
    ngx_str_t            sub;
    ngx_str_t            sid;
} ngx_stream_playback_sc_wait_t;


static ngx_int_t ngx_stream_playback_session_decide(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_uint_t state);
static ngx_int_t ngx_stream_playback_session_refuse(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_uint_t status, const char *reason);
static ngx_stream_playback_sc_entry_t *ngx_stream_playback_sc_find(
    ngx_stream_playback_main_conf_t *pmcf, ngx_str_t *sub, ngx_str_t *sid,
    uint32_t hash);
static void ngx_stream_playback_sc_store(
    ngx_stream_playback_main_conf_t *pmcf, ngx_str_t *sub, ngx_str_t *sid,
    ngx_uint_t state, ngx_msec_t ttl);
static u_char *ngx_stream_playback_session_key(u_char *p, ngx_str_t *sub,
    ngx_str_t *sid);
static void ngx_stream_playback_sc_refresh(
    ngx_stream_playback_main_conf_t *pmcf,
    ngx_stream_playback_sc_entry_t *e);
static void ngx_stream_playback_sc_refresh_done(
    vodedge_redis_client_t *client, ngx_int_t status, redisReply *reply,
    void *data);
static void ngx_stream_playback_sc_wait_done(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);
static void ngx_stream_playback_sc_wait_cleanup(void *data);
static ngx_uint_t ngx_stream_playback_sc_state(ngx_int_t status,
    redisReply *reply);
static u_char *ngx_stream_playback_key_escape(u_char *p, ngx_str_t *s);


/* playback_session_check off | on | required [ttl=time] */

char *
ngx_stream_playback_session_check(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ngx_str_t   *value, s;
    ngx_msec_t   ttl;

    if (plcf->session_check != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (ngx_strcmp(value[1].data, "off") == 0) {
        plcf->session_check = NGX_PLAYBACK_SESSION_OFF;

    } else if (ngx_strcmp(value[1].data, "on") == 0) {
        plcf->session_check = NGX_PLAYBACK_SESSION_ON;

    } else if (ngx_strcmp(value[1].data, "required") == 0) {
        plcf->session_check = NGX_PLAYBACK_SESSION_REQUIRED;

    } else {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_session_check\" must be \"off\", "
                           "\"on\" or \"required\", not \"%V\"", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (cf->args->nelts == 3) {
        if (ngx_strncmp(value[2].data, "ttl=", 4) != 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid parameter \"%V\"", &value[2]);
            return NGX_CONF_ERROR;
        }

        s.data = value[2].data + 4;
        s.len = value[2].len - 4;

        ttl = ngx_parse_time(&s, 0);

        /* the ttl plus a Redis answer is how late an end is seen */

        if (ttl == (ngx_msec_t) NGX_ERROR || ttl < 100 || ttl > 5000) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"playback_session_check\" ttl must be a "
                               "time from 100ms to 5s, not \"%V\"", &s);
            return NGX_CONF_ERROR;
        }

        plcf->session_ttl = ttl;
    }

    return NGX_CONF_OK;
}


char *
ngx_stream_playback_session_merge(ngx_conf_t *cf,
    ngx_stream_playback_loc_conf_t *prev, ngx_stream_playback_loc_conf_t *conf)
{
    ngx_stream_playback_main_conf_t  *pmcf;

    ngx_conf_merge_uint_value(conf->session_check, prev->session_check,
                              NGX_PLAYBACK_SESSION_ON);
    ngx_conf_merge_msec_value(conf->session_ttl, prev->session_ttl, 5000);

    if (conf->session_check != NGX_PLAYBACK_SESSION_REQUIRED) {
        return NGX_CONF_OK;
    }

    pmcf = ngx_http_conf_get_module_main_conf(cf, ngx_stream_playback_module);

    if (pmcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_session_check required\" needs "
                           "\"playback_redis\" in the http block");
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* the worker's cache, with its Redis client (init_process) */

ngx_int_t
ngx_stream_playback_session_init_process(ngx_cycle_t *cycle,
    ngx_stream_playback_main_conf_t *pmcf)
{
    pmcf->sessions = ngx_pcalloc(cycle->pool,
                                 NGX_PLAYBACK_SC_ENTRIES
                                 * sizeof(ngx_stream_playback_sc_entry_t));
    if (pmcf->sessions == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* "{account}": see the top of this file; out in pool */

ngx_int_t
ngx_stream_playback_scope(ngx_pool_t *pool, ngx_str_t *account,
    ngx_str_t *out)
{
    u_char  *p;

    p = ngx_pnalloc(pool, 2 + 3 * account->len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    *p++ = '{';
    p = ngx_stream_playback_key_escape(p, account);
    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}


static u_char *
ngx_stream_playback_key_escape(u_char *p, ngx_str_t *s)
{
    size_t  i;
    u_char  c;

    static const u_char  hex[] = "0123456789ABCDEF";

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c > 0x20 && c < 0x7f && c != '%' && c != ':' && c != '{'
            && c != '}')
        {
            *p++ = c;
            continue;
        }

        *p++ = '%';
        *p++ = hex[c >> 4];
        *p++ = hex[c & 0x0f];
    }

    return p;
}


/* the access phase, after the token, licensing and tier checks */

ngx_int_t
ngx_stream_playback_session_handler(ngx_http_request_t *r)
{
    u_char                           *p;
    size_t                            argvlen[2];
    uint32_t                          hash;
    ngx_str_t                         sub, sid;
    const char                       *argv[2];
    ngx_http_cleanup_t               *cln;
    ngx_stream_playback_ctx_t        *ctx;
    ngx_stream_playback_sc_wait_t    *w;
    ngx_stream_playback_sc_entry_t   *e;
    ngx_stream_playback_loc_conf_t   *plcf;
    ngx_stream_playback_main_conf_t  *pmcf;

    if (r != r->main || r->internal) {
        return NGX_DECLINED;
    }

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);

    if (!plcf->enable || plcf->session_check == NGX_PLAYBACK_SESSION_OFF) {
        return NGX_DECLINED;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

    if (ctx == NULL || !ctx->token_done || ctx->status != PB_JWT_OK) {
        return NGX_DECLINED;
    }

    if (ctx->session_wait) {
        /* woken before Redis answered (a write event): wait on */
        return NGX_AGAIN;
    }

    if (ctx->session_done) {
        return ngx_stream_playback_session_decide(r, plcf, ctx,
                                                  ctx->session_state);
    }

    if (ctx->claims.sid.len == 0) {
        if (plcf->session_check == NGX_PLAYBACK_SESSION_REQUIRED) {
            return ngx_stream_playback_session_refuse(r, plcf, ctx,
                                                      NGX_HTTP_FORBIDDEN,
                                                      "no-session");
        }

        /* a plain signed URL (vodedge-token): no session to look at */
        return NGX_DECLINED;
    }

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);

    if (pmcf->redis == NULL) {
        /* no playback API here: no session can be known */
        return NGX_DECLINED;
    }

    if (pmcf->redis_client == NULL || pmcf->sessions == NULL) {
        return ngx_stream_playback_session_decide(r, plcf, ctx,
                                                  NGX_PLAYBACK_SC_UNKNOWN);
    }

    sub.data = ctx->claims.sub.data ? ctx->claims.sub.data : (u_char *) "";
    sub.len = ctx->claims.sub.len;
    sid.data = ctx->claims.sid.data;
    sid.len = ctx->claims.sid.len;

    /* session ids are random: the sid alone spreads the entries */

    hash = ngx_murmur_hash2(sid.data, sid.len);

    e = ngx_stream_playback_sc_find(pmcf, &sub, &sid, hash);

    if (e != NULL) {
        if ((ngx_msec_int_t) (e->expires - ngx_current_msec) <= 0
            && !e->refreshing)
        {
            ngx_stream_playback_sc_refresh(pmcf, e);
        }

        /* while the refresh is under way, what was known decides */

        return ngx_stream_playback_session_decide(r, plcf, ctx, e->state);
    }

    /* nothing known here yet: ask, and wait */

    w = ngx_palloc(r->pool, sizeof(ngx_stream_playback_sc_wait_t));
    if (w == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    w->request = r;
    w->sub = sub;
    w->sid = sid;
    w->cmd = NULL;

    cln = ngx_http_cleanup_add(r, 0);
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    cln->handler = ngx_stream_playback_sc_wait_cleanup;
    cln->data = w;

    p = ngx_pnalloc(r->pool, sizeof("session:{}:") - 1
                             + 3 * (sub.len + sid.len));
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    argv[0] = "EXISTS";
    argvlen[0] = 6;
    argv[1] = (const char *) p;
    argvlen[1] = ngx_stream_playback_session_key(p, &sub, &sid) - p;

    w->cmd = vodedge_redis_command_argv(pmcf->redis_client,
                                        ngx_stream_playback_sc_wait_done, w,
                                        0, 2, argv, argvlen);
    if (w->cmd == NULL) {
        ngx_stream_playback_sc_store(pmcf, &sub, &sid,
                                     NGX_PLAYBACK_SC_UNKNOWN,
                                     plcf->session_ttl);
        return ngx_stream_playback_session_decide(r, plcf, ctx,
                                                  NGX_PLAYBACK_SC_UNKNOWN);
    }

    ctx->session_wait = 1;

    return NGX_DONE;
}


/* session:{account}:{sid}, escaped as every key (see the top) */

static u_char *
ngx_stream_playback_session_key(u_char *p, ngx_str_t *sub, ngx_str_t *sid)
{
    p = ngx_cpymem(p, "session:{", 9);
    p = ngx_stream_playback_key_escape(p, sub);
    p = ngx_cpymem(p, "}:", 2);

    return ngx_stream_playback_key_escape(p, sid);
}


static void
ngx_stream_playback_sc_wait_done(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    ngx_stream_playback_sc_wait_t *w = data;

    ngx_uint_t                        state;
    ngx_connection_t                 *c;
    ngx_http_request_t               *r;
    ngx_stream_playback_ctx_t        *ctx;
    ngx_stream_playback_loc_conf_t   *plcf;
    ngx_stream_playback_main_conf_t  *pmcf;

    w->cmd = NULL;
    r = w->request;
    c = r->connection;

    plcf = ngx_http_get_module_loc_conf(r, ngx_stream_playback_module);
    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);
    ctx = ngx_http_get_module_ctx(r, ngx_stream_playback_module);

    state = ngx_stream_playback_sc_state(status, reply);

    ngx_stream_playback_sc_store(pmcf, &w->sub, &w->sid, state,
                                 plcf->session_ttl);

    ctx->session_wait = 0;
    ctx->session_done = 1;
    ctx->session_state = state;

    /* on with the phases: the handler decides by session_state */

    ngx_http_core_run_phases(r);
    ngx_http_run_posted_requests(c);
}


static void
ngx_stream_playback_sc_wait_cleanup(void *data)
{
    ngx_stream_playback_sc_wait_t *w = data;

    if (w->cmd != NULL) {
        vodedge_redis_cancel(w->cmd);
        w->cmd = NULL;
    }
}


static ngx_uint_t
ngx_stream_playback_sc_state(ngx_int_t status, redisReply *reply)
{
    if (status != VODEDGE_REDIS_OK || reply == NULL
        || reply->type != REDIS_REPLY_INTEGER)
    {
        return NGX_PLAYBACK_SC_UNKNOWN;
    }

    return reply->integer > 0 ? NGX_PLAYBACK_SC_ALIVE
                              : NGX_PLAYBACK_SC_ENDED;
}


static ngx_int_t
ngx_stream_playback_session_decide(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_uint_t state)
{
    switch (state) {

    case NGX_PLAYBACK_SC_ALIVE:
        return NGX_DECLINED;

    case NGX_PLAYBACK_SC_ENDED:
        return ngx_stream_playback_session_refuse(r, plcf, ctx,
                                                  NGX_HTTP_FORBIDDEN,
                                                  "session-ended");

    default:
        if (plcf->streams_fail) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "playback session unknown: failing open");
            return NGX_DECLINED;
        }

        return ngx_stream_playback_session_refuse(r, plcf, ctx,
                                                  NGX_HTTP_SERVICE_UNAVAILABLE,
                                                  "session-unknown");
    }
}


/* {"error":"forbidden","reason":"session-ended"} (403), or
 * {"error":"unavailable","reason":"session-unknown"} (503) */

static ngx_int_t
ngx_stream_playback_session_refuse(ngx_http_request_t *r,
    ngx_stream_playback_loc_conf_t *plcf, ngx_stream_playback_ctx_t *ctx,
    ngx_uint_t status, const char *reason)
{
    ngx_str_t    sub, sid;
    const char  *error;

    sub.data = ctx->claims.sub.data;
    sub.len = ctx->claims.sub.len;
    sid.data = ctx->claims.sid.data;
    sid.len = ctx->claims.sid.len;

    ngx_stream_playback_count(r, NGX_PB_M_TOKEN, reason);

    ngx_log_error(plcf->log_level, r->connection->log, 0,
                  "playback session refused: %s, sub \"%V\", sid \"%V\"",
                  reason, &sub, &sid);

    if (ngx_http_discard_request_body(r) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    error = (status == NGX_HTTP_FORBIDDEN) ? "forbidden" : "unavailable";

    return ngx_stream_playback_refusal_done(r,
               vodedge_json_error(r, status, error, reason));
}


static ngx_stream_playback_sc_entry_t *
ngx_stream_playback_sc_find(ngx_stream_playback_main_conf_t *pmcf,
    ngx_str_t *sub, ngx_str_t *sid, uint32_t hash)
{
    ngx_stream_playback_sc_entry_t  *e;

    e = (ngx_stream_playback_sc_entry_t *) pmcf->sessions
        + (hash & (NGX_PLAYBACK_SC_ENTRIES - 1));

    if (e->state == 0 || e->hash != hash || e->sub_len != sub->len
        || e->key_len != sub->len + 1 + sid->len
        || ngx_memcmp(e->key, sub->data, sub->len) != 0
        || ngx_memcmp(e->key + sub->len + 1, sid->data, sid->len) != 0)
    {
        return NULL;
    }

    return e;
}


/* a session whose sub and sid do not fit an entry is not kept: its
 * requests all ask Redis */

static void
ngx_stream_playback_sc_store(ngx_stream_playback_main_conf_t *pmcf,
    ngx_str_t *sub, ngx_str_t *sid, ngx_uint_t state, ngx_msec_t ttl)
{
    u_char                          *p;
    uint32_t                         hash;
    ngx_stream_playback_sc_entry_t  *e;

    if (pmcf->sessions == NULL
        || sub->len + 1 + sid->len > NGX_PLAYBACK_SC_KEY)
    {
        return;
    }

    hash = ngx_murmur_hash2(sid->data, sid->len);

    e = ngx_stream_playback_sc_find(pmcf, sub, sid, hash);

    if (e == NULL) {
        /* a new key, or another one in its place */

        e = (ngx_stream_playback_sc_entry_t *) pmcf->sessions
            + (hash & (NGX_PLAYBACK_SC_ENTRIES - 1));

        e->gen = (e->gen + 1) & NGX_PLAYBACK_SC_GEN_MASK;
        e->hash = hash;
        e->sub_len = (u_char) sub->len;
        e->key_len = (u_char) (sub->len + 1 + sid->len);

        p = ngx_cpymem(e->key, sub->data, sub->len);
        *p++ = '\0';
        ngx_memcpy(p, sid->data, sid->len);

        e->refreshing = 0;

    } else if (e->state == NGX_PLAYBACK_SC_ENDED) {
        state = NGX_PLAYBACK_SC_ENDED;       /* an end is final */
    }

    e->state = (u_char) state;
    e->ttl = ttl;
    e->expires = ngx_current_msec + ttl;
}


/* one EXISTS in the background; the entry keeps deciding meanwhile */

static void
ngx_stream_playback_sc_refresh(ngx_stream_playback_main_conf_t *pmcf,
    ngx_stream_playback_sc_entry_t *e)
{
    size_t        argvlen[2];
    uintptr_t     data;
    ngx_str_t     sub, sid;
    const char   *argv[2];
    u_char        key[sizeof("session:{}:") + 3 * NGX_PLAYBACK_SC_KEY];

    sub.data = e->key;
    sub.len = e->sub_len;
    sid.data = e->key + e->sub_len + 1;
    sid.len = e->key_len - e->sub_len - 1;

    argv[0] = "EXISTS";
    argvlen[0] = 6;
    argv[1] = (const char *) key;
    argvlen[1] = ngx_stream_playback_session_key(key, &sub, &sid) - key;

    /* the entry's index and generation: a reply for a key since
     * replaced is dropped */

    data = ((uintptr_t) e->gen << 12)
           | (uintptr_t) (e - (ngx_stream_playback_sc_entry_t *)
                              pmcf->sessions);

    e->refreshing = 1;

    if (vodedge_redis_command_argv(pmcf->redis_client,
                                   ngx_stream_playback_sc_refresh_done,
                                   (void *) data, 0, 2, argv, argvlen)
        == NULL)
    {
        e->refreshing = 0;

        if (e->state != NGX_PLAYBACK_SC_ENDED) {
            e->state = NGX_PLAYBACK_SC_UNKNOWN;
        }

        e->expires = ngx_current_msec + e->ttl;
    }
}


static void
ngx_stream_playback_sc_refresh_done(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    uintptr_t                         d;
    ngx_uint_t                        state;
    ngx_stream_playback_sc_entry_t   *e;
    ngx_stream_playback_main_conf_t  *pmcf;

    pmcf = ngx_http_cycle_get_module_main_conf(ngx_cycle,
                                               ngx_stream_playback_module);
    if (pmcf == NULL || pmcf->sessions == NULL) {
        return;
    }

    d = (uintptr_t) data;

    e = (ngx_stream_playback_sc_entry_t *) pmcf->sessions
        + (d & (NGX_PLAYBACK_SC_ENTRIES - 1));

    if (e->gen != (d >> 12) || e->state == 0) {
        return;
    }

    e->refreshing = 0;

    state = ngx_stream_playback_sc_state(status, reply);

    if (e->state != NGX_PLAYBACK_SC_ENDED) {
        e->state = (u_char) state;
    }

    e->expires = ngx_current_msec + e->ttl;
}
