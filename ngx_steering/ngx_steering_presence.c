/*
 * ngx_steering_presence.c: which caches hold a title, from Redis sets
 * content:{title}:caches polled into the shared zone; never a Redis round
 * trip per request.
 *
 * Not implemented yet: no title has presence data, so every decision
 * uses rendezvous subsets (steering_subset).  The zone already has the
 * per-title tree (ngx_steering_presence_t) the poller is to fill.
 */

#include "ngx_steering_module.h"


ngx_int_t
ngx_steering_presence_init_process(ngx_cycle_t *cycle)
{
    return NGX_OK;
}


void
ngx_steering_presence_exit_process(ngx_cycle_t *cycle)
{
}


ngx_uint_t
ngx_steering_presence(ngx_steering_main_conf_t *smcf, ngx_str_t *title,
    st_live_t *live)
{
    return 0;
}
