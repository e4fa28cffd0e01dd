/*
 * ngx_stream_playback_report.c: the edge reports itself to steering
 * (playback_report).  Every interval one worker (worker 0) writes the
 * hash steering:cache:{id} that ngx_steering reads with
 * steering_redis_state on: its load (0 to 1: the larger of its active
 * connections against max_connections and the bandwidth it sent over the
 * interval against max_bandwidth), healthy 1 and the report's time, so
 * that steering follows the real fleet and an edge that stops reporting
 * (dead, or cut off from Redis) ages out of it.
 *
 * The bytes sent come from every worker: a log phase handler adds each
 * main request's bytes to a counter in shared memory, which the reporting
 * worker reads; so a response counts when it ends (a segment download of
 * a few seconds is spread over the next interval's figure).  With
 * presence=, the same handler has every worker claim the titles it
 * serves (ngx_stream_playback_presence.c).
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_stream_playback_module.h"


#define NGX_PLAYBACK_REPORT_INTERVAL   5000
#define NGX_PLAYBACK_REPORT_MIN        100
#define NGX_PLAYBACK_REPORT_TTL_MIN    60       /* seconds */
#define NGX_PLAYBACK_PRESENCE_MIN      1000     /* ms */
#define NGX_PLAYBACK_PRESENCE_MAX      100      /* claims per interval */


typedef struct {
    ngx_str_t                  id;
    ngx_str_t                  key;             /* steering:cache:{id} */
    ngx_msec_t                 interval;
    ngx_uint_t                 max_conns;       /* 0: not in the load */
    uint64_t                   max_bps;         /* 0: not in the load */
    ngx_shm_zone_t            *zone;            /* the bytes sent */
    ngx_stream_playback_presence_conf_t  *presence;  /* NULL: off */
} ngx_stream_playback_report_conf_t;


/* the reporting worker's */
typedef struct {
    ngx_stream_playback_report_conf_t  *conf;
    ngx_stream_playback_main_conf_t    *pmcf;
    ngx_event_t                         timer;
    ngx_msec_t                          last;
    ngx_atomic_uint_t                   last_bytes;
    ngx_uint_t                          failing;   /* logged once */
} ngx_stream_playback_reporter_t;


static ngx_int_t ngx_stream_playback_report_zone_init(
    ngx_shm_zone_t *zone, void *data);
static ngx_int_t ngx_stream_playback_report_log(ngx_http_request_t *r);
static void ngx_stream_playback_report_timer(ngx_event_t *ev);
static void ngx_stream_playback_report_sent(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data);


static ngx_str_t  ngx_stream_playback_report_zone_name =
    ngx_string("playback_report");


char *
ngx_stream_playback_report(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    ngx_int_t                             n;
    ngx_str_t                            *value, v;
    ngx_uint_t                            i, max;
    ngx_msec_t                            ttl;
    ngx_stream_playback_report_conf_t    *rc;
    ngx_stream_playback_presence_conf_t  *pc;

    if (pmcf->report != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rc = ngx_pcalloc(cf->pool, sizeof(ngx_stream_playback_report_conf_t));
    if (rc == NULL) {
        return NGX_CONF_ERROR;
    }

    rc->id = value[1];
    rc->interval = NGX_PLAYBACK_REPORT_INTERVAL;

    ttl = 0;
    max = 0;

    if (rc->id.len == 0 || rc->id.len > 128) {
        return "needs a cache id of 1 to 128 bytes";
    }

    for (i = 2; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "interval=", 9) == 0) {
            v.data = value[i].data + 9;
            v.len = value[i].len - 9;

            n = ngx_parse_time(&v, 0);
            if (n == NGX_ERROR || n < NGX_PLAYBACK_REPORT_MIN) {
                goto invalid;
            }

            rc->interval = (ngx_msec_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "max_connections=", 16) == 0) {
#if (NGX_STAT_STUB)
            n = ngx_atoi(value[i].data + 16, value[i].len - 16);
            if (n == NGX_ERROR || n == 0) {
                goto invalid;
            }

            rc->max_conns = (ngx_uint_t) n;
            continue;
#else
            return "max_connections= needs nginx built with "
                   "http_stub_status_module (its connection counters)";
#endif
        }

        if (ngx_strncmp(value[i].data, "max_bandwidth=", 14) == 0) {
            v.data = value[i].data + 14;
            v.len = value[i].len - 14;

            if (ngx_stream_playback_parse_bitrate(&v, &rc->max_bps)
                != NGX_OK)
            {
                goto invalid;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "presence=", 9) == 0) {
            v.data = value[i].data + 9;
            v.len = value[i].len - 9;

            if (v.len == 3 && ngx_strncmp(v.data, "off", 3) == 0) {
                ttl = 0;
                continue;
            }

            n = ngx_parse_time(&v, 0);
            if (n == NGX_ERROR || n < NGX_PLAYBACK_PRESENCE_MIN) {
                goto invalid;
            }

            ttl = (ngx_msec_t) n;
            continue;
        }

        if (ngx_strncmp(value[i].data, "presence_max=", 13) == 0) {
            n = ngx_atoi(value[i].data + 13, value[i].len - 13);
            if (n == NGX_ERROR || n == 0) {
                goto invalid;
            }

            max = (ngx_uint_t) n;
            continue;
        }

        goto invalid;
    }

    if (rc->max_conns == 0 && rc->max_bps == 0) {
        return "needs max_connections= or max_bandwidth= (or both): the "
               "load is measured against them";
    }

    rc->key.len = sizeof("steering:cache:") - 1 + rc->id.len;
    rc->key.data = ngx_pnalloc(cf->pool, rc->key.len);
    if (rc->key.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_sprintf(rc->key.data, "steering:cache:%V", &rc->id);

    rc->zone = ngx_shared_memory_add(cf,
                                     &ngx_stream_playback_report_zone_name,
                                     8 * ngx_pagesize,
                                     &ngx_stream_playback_module);
    if (rc->zone == NULL) {
        return NGX_CONF_ERROR;
    }

    rc->zone->init = ngx_stream_playback_report_zone_init;

    if (max && !ttl) {
        return "has presence_max= without presence=";
    }

    if (ttl) {
        pc = ngx_pcalloc(cf->pool,
                         sizeof(ngx_stream_playback_presence_conf_t));
        if (pc == NULL) {
            return NGX_CONF_ERROR;
        }

        pc->id = rc->id;
        pc->ttl = ttl;
        pc->interval = rc->interval;
        pc->max = max ? max : NGX_PLAYBACK_PRESENCE_MAX;

        rc->presence = pc;
    }

    pmcf->report = rc;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\": expected "
                       "interval=<time of at least 100ms>, "
                       "max_connections=<number>, "
                       "max_bandwidth=<bits/s, as 10g>, "
                       "presence=<time of at least 1s, or off> or "
                       "presence_max=<number>", &value[i]);
    return NGX_CONF_ERROR;
}


/* the counter survives a reload: the new cycle's zone is the old one */

static ngx_int_t
ngx_stream_playback_report_zone_init(ngx_shm_zone_t *zone, void *data)
{
    ngx_slab_pool_t  *shpool;

    if (data != NULL) {
        zone->data = data;
        return NGX_OK;
    }

    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    zone->data = ngx_slab_calloc(shpool, sizeof(ngx_atomic_t));
    if (zone->data == NULL) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


ngx_int_t
ngx_stream_playback_report_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf)
{
    ngx_http_handler_pt        *h;
    ngx_http_core_main_conf_t  *cmcf;

    if (pmcf->report == NULL) {
        return NGX_OK;
    }

    if (pmcf->redis == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_report\" needs \"playback_redis\": "
                           "the report goes to Redis");
        return NGX_ERROR;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);

    h = ngx_array_push(&cmcf->phases[NGX_HTTP_LOG_PHASE].handlers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    *h = ngx_stream_playback_report_log;

    return NGX_OK;
}


static ngx_int_t
ngx_stream_playback_report_log(ngx_http_request_t *r)
{
    ngx_atomic_t                       *bytes;
    ngx_stream_playback_main_conf_t    *pmcf;
    ngx_stream_playback_report_conf_t  *rc;

    if (r != r->main) {
        return NGX_OK;
    }

    pmcf = ngx_http_get_module_main_conf(r, ngx_stream_playback_module);
    rc = pmcf->report;

    /* what this request sent: nginx resets the count per request of a
     * kept-alive connection */

    bytes = rc->zone->data;
    (void) ngx_atomic_fetch_add(bytes, (ngx_atomic_int_t) r->connection->sent);

    if (rc->presence != NULL) {
        ngx_stream_playback_presence_served(r);
    }

    return NGX_OK;
}


ngx_int_t
ngx_stream_playback_report_init_process(ngx_cycle_t *cycle,
    ngx_stream_playback_main_conf_t *pmcf)
{
    ngx_atomic_t                       *bytes;
    ngx_stream_playback_reporter_t     *rp;
    ngx_stream_playback_report_conf_t  *rc;

    rc = pmcf->report;

    if (rc == NULL) {
        return NGX_OK;
    }

    /* every worker claims the titles it serves */

    if (rc->presence != NULL
        && ngx_stream_playback_presence_init_process(cycle, pmcf,
                                                     rc->presence)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (ngx_process != NGX_PROCESS_WORKER || ngx_worker != 0) {
        return NGX_OK;
    }

    rp = ngx_pcalloc(cycle->pool, sizeof(ngx_stream_playback_reporter_t));
    if (rp == NULL) {
        return NGX_ERROR;
    }

    rp->conf = pmcf->report;
    rp->pmcf = pmcf;

    bytes = rp->conf->zone->data;
    rp->last_bytes = *bytes;
    rp->last = ngx_current_msec;

    rp->timer.handler = ngx_stream_playback_report_timer;
    rp->timer.data = rp;
    rp->timer.log = cycle->log;
    rp->timer.cancelable = 1;

    /* the first report once the Redis connection had a moment */

    ngx_add_timer(&rp->timer, NGX_PLAYBACK_REPORT_MIN);

    return NGX_OK;
}


static void
ngx_stream_playback_report_timer(ngx_event_t *ev)
{
    ngx_stream_playback_reporter_t *rp = ev->data;

    u_char                             *p;
    double                              load, l;
    uint64_t                            bps;
    ngx_msec_t                          now, elapsed, ttl;
    ngx_uint_t                          conns, i;
    ngx_atomic_t                       *bytes;
    ngx_atomic_uint_t                   sent;
    ngx_stream_playback_report_conf_t  *rc;
    size_t                              len[13];
    const char                         *argv[13];
    u_char                              buf[5][NGX_INT64_LEN + 8];

    if (ngx_exiting || ngx_terminate || ngx_quit) {
        return;
    }

    rc = rp->conf;

    now = ngx_current_msec;
    elapsed = now - rp->last;

    if (elapsed == 0) {
        elapsed = 1;
    }

    bytes = rc->zone->data;
    sent = *bytes;

    bps = (uint64_t) (sent - rp->last_bytes) * 8 * 1000 / elapsed;

    rp->last = now;
    rp->last_bytes = sent;

    conns = 0;

#if (NGX_STAT_STUB)
    conns = *ngx_stat_active;
#endif

    load = 0;

    if (rc->max_conns) {
        load = (double) conns / rc->max_conns;
    }

    if (rc->max_bps) {
        l = (double) bps / rc->max_bps;
        load = ngx_max(load, l);
    }

    load = ngx_min(load, 1.0);

    i = 0;
    argv[i] = "HSET";
    len[i++] = 4;
    argv[i] = (const char *) rc->key.data;
    len[i++] = rc->key.len;

    argv[i] = "load";
    len[i++] = 4;
    p = ngx_sprintf(buf[0], "%.4f", load);
    argv[i] = (const char *) buf[0];
    len[i++] = p - buf[0];

    argv[i] = "healthy";
    len[i++] = 7;
    argv[i] = "1";
    len[i++] = 1;

    argv[i] = "updated";
    len[i++] = 7;
    p = ngx_sprintf(buf[1], "%T", ngx_time());
    argv[i] = (const char *) buf[1];
    len[i++] = p - buf[1];

    argv[i] = "connections";
    len[i++] = 11;
    p = ngx_sprintf(buf[2], "%ui", conns);
    argv[i] = (const char *) buf[2];
    len[i++] = p - buf[2];

    argv[i] = "bandwidth";
    len[i++] = 9;
    p = ngx_sprintf(buf[3], "%uL", bps);
    argv[i] = (const char *) buf[3];
    len[i++] = p - buf[3];

    if (rp->pmcf->redis_client != NULL) {
        (void) vodedge_redis_command_argv(rp->pmcf->redis_client,
                                          ngx_stream_playback_report_sent,
                                          rp, 0, (int) i, argv, len);

        /* a report outlives its edge for a while only: steering judges
         * its age by "updated"; the expiry keeps Redis clean */

        ttl = ngx_max((ngx_msec_t) NGX_PLAYBACK_REPORT_TTL_MIN,
                      10 * rc->interval / 1000);
        p = ngx_sprintf(buf[4], "%M", ttl);

        argv[0] = "EXPIRE";
        len[0] = 6;
        argv[2] = (const char *) buf[4];
        len[2] = p - buf[4];

        (void) vodedge_redis_command_argv(rp->pmcf->redis_client,
                                          ngx_stream_playback_report_sent,
                                          rp, 0, 3, argv, len);
    }

    ngx_add_timer(&rp->timer, rc->interval);
}


/* Redis down is logged by the client; an error answer (the key holds
 * something else) once, until a report goes through */

static void
ngx_stream_playback_report_sent(vodedge_redis_client_t *client,
    ngx_int_t status, redisReply *reply, void *data)
{
    ngx_stream_playback_reporter_t *rp = data;

    if (status != VODEDGE_REDIS_OK) {
        return;
    }

    if (reply->type != REDIS_REPLY_ERROR) {
        rp->failing = 0;
        return;
    }

    if (!rp->failing) {
        ngx_log_error(NGX_LOG_ERR, rp->timer.log, 0,
                      "playback report: redis %V refused \"%V\": %*s",
                      vodedge_redis_name(client), &rp->conf->key,
                      (size_t) reply->len, reply->str);
    }

    rp->failing = 1;
}
