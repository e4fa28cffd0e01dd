/*
 * ngx_steering_redis_state.c: the caches' live state from Redis, beside
 * PUT /steering/caches/{id}.  With "steering_redis_state on", the worker
 * that polls presence also reads, each interval, the hash
 * steering:cache:{id} of every cache of the fleet (fields load, 0 to 1;
 * healthy, 1/0 or true/false; updated, the report's Unix time), one HMGET
 * per cache pipelined on the connection (each key its own command, so
 * that a Redis Cluster routes each to the master of its slot), and writes
 * each into the cache's state word when it is newer than what the word
 * holds (a PUT since wins).  The state's age is the report's own time,
 * so a reporter that died ages out as a silent PUT client would.
 *
 * A reply is applied to the zone's slot of the id it was asked for,
 * kept with the command: a slot is its id's for the zone's life, so a
 * fleet reloaded (reordered) while the poll is in flight changes nothing.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"
#include "vodedge_reply.h"


typedef struct ngx_steering_rstate_s  ngx_steering_rstate_t;

/* one cache's HMGET */
typedef struct {
    ngx_steering_rstate_t     *rs;
    ngx_uint_t                 slot;         /* in the zone */
} ngx_steering_rstate_one_t;


/* a poll in flight: its commands follow it in the same allocation; freed
 * when the last is answered */
struct ngx_steering_rstate_s {
    ngx_steering_main_conf_t  *smcf;
    ngx_uint_t                 pending;      /* commands not answered */
    ngx_uint_t                 applied;
    ngx_uint_t                 bad;
    ngx_int_t                  lost;         /* a status, 0: none */
    ngx_log_t                 *log;
    ngx_steering_rstate_one_t  one[1];
};


static void ngx_steering_redis_state_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);
static void ngx_steering_redis_state_done(vodedge_redis_client_t *client,
    ngx_steering_rstate_t *rs);
static ngx_int_t ngx_steering_redis_state_apply(ngx_steering_main_conf_t *smcf,
    ngx_uint_t slot, redisReply *fields);


static time_t  ngx_steering_redis_state_logged;


void
ngx_steering_redis_state_poll(ngx_steering_main_conf_t *smcf,
    vodedge_redis_client_t *client, ngx_log_t *log)
{
    u_char                 *p;
    size_t                  lens[5];
    ngx_uint_t              i;
    st_fleet_t             *fleet;
    const char             *argv[5];
    ngx_steering_rstate_t  *rs;
    u_char                  key[sizeof("steering:cache:") + ST_ID_MAX];

    if (!smcf->redis_state || smcf->fleet == NULL) {
        return;
    }

    fleet = smcf->fleet->fleet;

    if (fleet->ncaches == 0) {
        return;
    }

    /* freed by the last reply handler (each is called exactly once), or
     * here when no command went out */

    rs = ngx_alloc(sizeof(ngx_steering_rstate_t)
                   + (fleet->ncaches - 1) * sizeof(ngx_steering_rstate_one_t),
                   log);
    if (rs == NULL) {
        return;
    }

    rs->smcf = smcf;
    rs->pending = 1;                /* this function's own, until the end */
    rs->applied = 0;
    rs->bad = 0;
    rs->lost = 0;
    rs->log = log;

    argv[0] = "HMGET";
    lens[0] = 5;
    argv[2] = "load";
    lens[2] = 4;
    argv[3] = "healthy";
    lens[3] = 7;
    argv[4] = "updated";
    lens[4] = 7;

    for (i = 0; i < fleet->ncaches; i++) {
        if (fleet->caches[i].id.len > ST_ID_MAX) {
            continue;
        }

        rs->one[i].rs = rs;
        rs->one[i].slot = smcf->fleet->slot[i];

        /* a core's string (vod_str_t), not an ngx_str_t: no %V */

        p = ngx_cpymem(key, "steering:cache:", sizeof("steering:cache:") - 1);
        p = ngx_cpymem(p, fleet->caches[i].id.data, fleet->caches[i].id.len);

        argv[1] = (const char *) key;
        lens[1] = p - key;

        /* the command's bytes are copied as it is sent */

        if (vodedge_redis_command_argv(client, ngx_steering_redis_state_reply,
                                       &rs->one[i], 0, 5, argv, lens)
            == NULL)
        {
            /* not connected (now, or to this key's node) */
            continue;
        }

        rs->pending++;
    }

    ngx_steering_redis_state_done(client, rs);
}


static void
ngx_steering_redis_state_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    ngx_steering_rstate_one_t *one = data;

    ngx_steering_rstate_t  *rs;

    rs = one->rs;

    if (status != VODEDGE_REDIS_OK) {
        rs->lost = status;

    } else {
        switch (ngx_steering_redis_state_apply(rs->smcf, one->slot, reply)) {
        case NGX_OK:
            rs->applied++;
            break;
        case NGX_ERROR:
            rs->bad++;
            break;
        default:
            break;
        }
    }

    ngx_steering_redis_state_done(client, rs);
}


/* one command answered (or the poll's own count given back): the last
 * one logs what the poll found, and frees it */

static void
ngx_steering_redis_state_done(vodedge_redis_client_t *client,
    ngx_steering_rstate_t *rs)
{
    if (--rs->pending) {
        return;
    }

    /* Redis going away is the client's to log; this says the poll
     * missed some */

    if (rs->lost) {
        ngx_log_error(NGX_LOG_INFO, rs->log, 0,
                      "steering state from redis %V: %s",
                      vodedge_redis_name(client),
                      vodedge_redis_status_text(rs->lost));
    }

    /* at most once a minute per worker: the poll runs every interval */

    if (rs->bad && ngx_time() - ngx_steering_redis_state_logged >= 60) {
        ngx_steering_redis_state_logged = ngx_time();

        ngx_log_error(NGX_LOG_WARN, rs->log, 0,
                      "steering state from redis %V: %ui of the "
                      "steering:cache:{id} hashes are malformed (need load "
                      "0..1, healthy 1/0/true/false, updated Unix time), "
                      "ignored", vodedge_redis_name(client), rs->bad);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rs->log, 0,
                   "steering state from redis: %ui caches updated",
                   rs->applied);

    ngx_free(rs);
}


/* NGX_OK: applied; NGX_DECLINED: no hash, or not newer; NGX_ERROR: bad */

static ngx_int_t
ngx_steering_redis_state_apply(ngx_steering_main_conf_t *smcf,
    ngx_uint_t slot, redisReply *fields)
{
    time_t                  updated;
    uint64_t                old, w, healthy;
    ngx_int_t               load;
    ngx_atomic_t           *word;
    vodedge_reply_state_t   st;

    switch (vodedge_reply_state(fields, &st)) {
    case VODEDGE_REPLY_OK:
        break;
    case VODEDGE_REPLY_NONE:
        /* no hash for this cache: nothing reported through Redis */
        return NGX_DECLINED;
    default:
        return NGX_ERROR;
    }

    load = ngx_atofp((u_char *) st.load, st.load_len, 4);
    if (load == NGX_ERROR || load > NGX_STEERING_LOAD_ONE) {
        return NGX_ERROR;
    }

    healthy = st.healthy;

    updated = ngx_atotm((u_char *) st.updated, st.updated_len);
    if (updated == NGX_ERROR || updated > ngx_time() + 60) {
        return NGX_ERROR;               /* not a time, or from the future */
    }

    word = &smcf->sh->slots[slot].word;

    do {
        old = *word;

        if ((old & NGX_STEERING_REPORTED)
            && (time_t) (old >> 32) >= updated)
        {
            return NGX_DECLINED;        /* what the word holds is newer */
        }

        w = ((uint64_t) updated << 32) | NGX_STEERING_REPORTED
            | (healthy ? NGX_STEERING_HEALTHY : 0) | (uint64_t) load;

    } while (!ngx_atomic_cmp_set(word, old, w));

    ngx_steering_metrics_cache(smcf, slot, w, ngx_time());

    return NGX_OK;
}
