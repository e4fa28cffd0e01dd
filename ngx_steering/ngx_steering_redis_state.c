/*
 * ngx_steering_redis_state.c: the caches' live state from Redis, beside
 * PUT /steering/caches/{id}.  With "steering_redis_state on", the worker
 * that polls presence also reads, each interval, the hash
 * steering:cache:{id} of every cache of the fleet (fields load, 0 to 1;
 * healthy, 1/0 or true/false; updated, the report's Unix time) in one
 * script call, and writes each into the cache's state word when it is
 * newer than what the word holds (a PUT since wins).  The state's age is
 * the report's own time, so a reporter that died ages out as a silent
 * PUT client would.
 *
 * A reply is applied to the zone's slots of the ids it was asked for,
 * kept with the call: a slot is its id's for the zone's life, so a fleet
 * reloaded (reordered) while the call is in flight changes nothing.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"
#include "vodedge_reply.h"


/* a call in flight; the slots of the ids asked for, argv and lens
 * follow it in the same allocation */
typedef struct {
    ngx_steering_main_conf_t  *smcf;
    ngx_uint_t                 n;            /* ids asked for */
    ngx_uint_t                *slot;         /* their slots in the zone */
    ngx_log_t                 *log;
} ngx_steering_rstate_t;


static void ngx_steering_redis_state_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);
static ngx_int_t ngx_steering_redis_state_apply(ngx_steering_main_conf_t *smcf,
    ngx_uint_t slot, redisReply *fields);


static time_t  ngx_steering_redis_state_logged;


static const char  ngx_steering_redis_state_script[] =
    "local out = {} "
    "for i, id in ipairs(ARGV) do "
    "out[i] = redis.call('HMGET', 'steering:cache:' .. id, "
    "'load', 'healthy', 'updated') "
    "end "
    "return out";


void
ngx_steering_redis_state_poll(ngx_steering_main_conf_t *smcf,
    vodedge_redis_client_t *client, ngx_log_t *log)
{
    size_t                  *lens;
    ngx_uint_t               i, argc;
    st_fleet_t              *fleet;
    const char             **argv;
    ngx_steering_rstate_t   *rs;

    if (!smcf->redis_state || smcf->fleet == NULL) {
        return;
    }

    fleet = smcf->fleet->fleet;
    argc = 3 + fleet->ncaches;

    /* freed by the reply handler, which is called exactly once, or here */

    rs = ngx_alloc(sizeof(ngx_steering_rstate_t)
                   + fleet->ncaches * sizeof(ngx_uint_t)
                   + argc * (sizeof(char *) + sizeof(size_t)), log);
    if (rs == NULL) {
        return;
    }

    rs->smcf = smcf;
    rs->n = fleet->ncaches;
    rs->slot = (ngx_uint_t *) (rs + 1);
    rs->log = log;

    ngx_memcpy(rs->slot, smcf->fleet->slot,
               fleet->ncaches * sizeof(ngx_uint_t));

    argv = (const char **) (rs->slot + rs->n);
    lens = (size_t *) (argv + argc);

    argv[0] = "EVAL";
    lens[0] = 4;
    argv[1] = ngx_steering_redis_state_script;
    lens[1] = sizeof(ngx_steering_redis_state_script) - 1;
    argv[2] = "0";
    lens[2] = 1;

    for (i = 0; i < fleet->ncaches; i++) {
        argv[3 + i] = (const char *) fleet->caches[i].id.data;
        lens[3 + i] = fleet->caches[i].id.len;
    }

    if (vodedge_redis_command_argv(client, ngx_steering_redis_state_reply,
                                   rs, 0, (int) argc, argv, lens)
        == NULL)
    {
        ngx_free(rs);
    }
}


static void
ngx_steering_redis_state_reply(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    ngx_steering_rstate_t *rs = data;

    ngx_uint_t                 i, applied, bad;
    ngx_steering_main_conf_t  *smcf;

    smcf = rs->smcf;

    if (status != VODEDGE_REDIS_OK) {
        ngx_log_error(NGX_LOG_INFO, rs->log, 0,
                      "steering state from redis %V: %s",
                      vodedge_redis_name(client),
                      vodedge_redis_status_text(status));
        goto done;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != rs->n) {
        goto done;
    }

    applied = 0;
    bad = 0;

    for (i = 0; i < reply->elements; i++) {
        switch (ngx_steering_redis_state_apply(smcf, rs->slot[i],
                                               reply->element[i]))
        {
        case NGX_OK:
            applied++;
            break;
        case NGX_ERROR:
            bad++;
            break;
        default:
            break;
        }
    }

    /* at most once a minute per worker: the poll runs every interval */

    if (bad && ngx_time() - ngx_steering_redis_state_logged >= 60) {
        ngx_steering_redis_state_logged = ngx_time();

        ngx_log_error(NGX_LOG_WARN, rs->log, 0,
                      "steering state from redis %V: %ui of the "
                      "steering:cache:{id} hashes are malformed (need load "
                      "0..1, healthy 1/0/true/false, updated Unix time), "
                      "ignored", vodedge_redis_name(client), bad);
    }

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, rs->log, 0,
                   "steering state from redis: %ui caches updated", applied);

done:

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
