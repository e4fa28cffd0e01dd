/*
 * vodedge_redis_metrics.c: the Redis client's metrics (README.md,
 * "Metrics"): commands by result, connection errors, and the time from
 * sending a command to its answer.  They count in the zone of the module
 * whose configuration the client has (vodedge_redis_conf_t's metrics);
 * without one, every hook returns at once.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_redis_int.h"


#define VODEDGE_REDIS_M_COMMANDS   0
#define VODEDGE_REDIS_M_DOWN       1
#define VODEDGE_REDIS_M_LATENCY    2

#define VODEDGE_REDIS_R_OK         0
#define VODEDGE_REDIS_R_ERROR      1
#define VODEDGE_REDIS_R_TIMEOUT    2
#define VODEDGE_REDIS_R_LOST       3
#define VODEDGE_REDIS_R_UNSENT     4


static uint64_t vodedge_redis_metrics_now(void);


static const char *const  vodedge_redis_m_results[] = {
    "ok", "error", "timeout", "lost", "unsent", NULL
};

static const char *const  vodedge_redis_m_down[] = {
    "connect", "lost", NULL
};

/* microseconds */
static const uint64_t  vodedge_redis_m_bounds[] = {
    100, 250, 500, 1000, 2500, 5000, 10000, 25000, 50000, 100000, 250000,
    500000, 1000000, 0
};


const vod_metric_family_t
    vodedge_redis_metric_families[VODEDGE_REDIS_M_FAMILIES] =
{
    { "redis_commands_total",
      "Commands to Redis by result (ok: an answer; error: an error "
      "answer; timeout: none within the command timeout; lost: the "
      "connection ended first; unsent: no connection to send it on).",
      VOD_METRIC_COUNTER, { "result", NULL },
      { vodedge_redis_m_results, NULL }, NULL, 0, 0 },

    { "redis_connection_errors_total",
      "Connections to Redis that could not be made (connect) or ended "
      "(lost); each starts a wait before the next attempt.",
      VOD_METRIC_COUNTER, { "error", NULL },
      { vodedge_redis_m_down, NULL }, NULL, 0, 0 },

    { "redis_command_duration_seconds",
      "Time from sending a command to Redis to its answer, answered "
      "commands only.",
      VOD_METRIC_HISTOGRAM, { NULL, NULL }, { NULL, NULL },
      vodedge_redis_m_bounds, 1000000, 0 },
};


void
vodedge_redis_metrics_sent(vodedge_redis_cmd_t *cmd)
{
    if (cmd->client->conf->metrics != NULL) {
        cmd->sent_us = vodedge_redis_metrics_now();
    }
}


void
vodedge_redis_metrics_reply(vodedge_redis_cmd_t *cmd, redisReply *reply)
{
    uint64_t               now;
    ngx_uint_t             result;
    vodedge_redis_conf_t  *conf;

    conf = cmd->client->conf;

    if (conf->metrics == NULL || cmd->counted) {
        return;
    }

    cmd->counted = 1;

    if (reply == NULL) {
        result = VODEDGE_REDIS_R_LOST;

    } else {
        result = (reply->type == REDIS_REPLY_ERROR) ? VODEDGE_REDIS_R_ERROR
                                                    : VODEDGE_REDIS_R_OK;

        now = vodedge_redis_metrics_now();

        vodedge_metrics_observe(conf->metrics,
                                conf->metrics_first + VODEDGE_REDIS_M_LATENCY,
                                0, (now > cmd->sent_us) ? now - cmd->sent_us
                                                        : 0);
    }

    vodedge_metrics_inc(conf->metrics,
                        conf->metrics_first + VODEDGE_REDIS_M_COMMANDS,
                        result);
}


void
vodedge_redis_metrics_timeout(vodedge_redis_cmd_t *cmd)
{
    vodedge_redis_conf_t  *conf;

    conf = cmd->client->conf;

    if (conf->metrics == NULL || cmd->counted) {
        return;
    }

    cmd->counted = 1;

    vodedge_metrics_inc(conf->metrics,
                        conf->metrics_first + VODEDGE_REDIS_M_COMMANDS,
                        VODEDGE_REDIS_R_TIMEOUT);
}


void
vodedge_redis_metrics_unsent(vodedge_redis_client_t *client)
{
    vodedge_redis_conf_t  *conf;

    conf = client->conf;

    vodedge_metrics_inc(conf->metrics,
                        conf->metrics_first + VODEDGE_REDIS_M_COMMANDS,
                        VODEDGE_REDIS_R_UNSENT);
}


void
vodedge_redis_metrics_down(vodedge_redis_client_t *client)
{
    vodedge_redis_conf_t  *conf;

    conf = client->conf;

    vodedge_metrics_inc(conf->metrics,
                        conf->metrics_first + VODEDGE_REDIS_M_DOWN,
                        client->was_up ? 1 : 0);
}


static uint64_t
vodedge_redis_metrics_now(void)
{
    struct timeval  tv;

    ngx_gettimeofday(&tv);

    return (uint64_t) tv.tv_sec * 1000000 + tv.tv_usec;
}
