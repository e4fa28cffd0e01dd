/*
 * ngx_steering_fleet.c: the fleet file (format in core/st_fleet.h): read
 * at configuration time, where a bad file is an `nginx -t` error naming
 * it, and re-read in service when it changes (at most one stat() per
 * steering_reload interval per worker); a bad new file leaves the fleet
 * in service and is logged once (shared/vodedge_file.c does the three).
 * A reloaded fleet goes in service only with its caches' slots in the
 * zone resolved.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"


#define NGX_STEERING_FLEET_MAX  (16 * 1024 * 1024)


static int ngx_steering_fleet_parse(vod_env_t *env, const u_char *buf,
    size_t len, void **out, char *msg);


static vodedge_file_type_t  ngx_steering_fleet_type = {
    "steering fleet file",
    "the fleet loaded before",
    NGX_STEERING_FLEET_MAX,
    ngx_steering_fleet_parse
};


char *
ngx_steering_fleet(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    void                  *fleet;
    ngx_str_t             *value;
    ngx_steering_fleet_t  *f;

    if (smcf->fleet != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    f = ngx_pcalloc(cf->pool, sizeof(ngx_steering_fleet_t));
    if (f == NULL) {
        return NGX_CONF_ERROR;
    }

    f->file.type = &ngx_steering_fleet_type;

    if (vodedge_file_conf(cf, &f->file, &value[1], &fleet) != NGX_CONF_OK) {
        return NGX_CONF_ERROR;
    }

    f->fleet = fleet;

    f->slot = ngx_pcalloc(f->file.pool,
                          f->fleet->ncaches * sizeof(ngx_uint_t));
    if (f->slot == NULL) {
        return NGX_CONF_ERROR;
    }

    smcf->fleet = f;

    return NGX_CONF_OK;
}


void
ngx_steering_fleet_refresh(ngx_steering_main_conf_t *smcf, ngx_log_t *log)
{
    void                  *result;
    ngx_uint_t            *slot;
    ngx_pool_t            *pool;
    st_fleet_t            *fleet;
    ngx_steering_fleet_t  *f;

    f = smcf->fleet;

    if (vodedge_file_check(&f->file, smcf->reload, log, &result, &pool)
        != NGX_OK)
    {
        return;
    }

    fleet = result;

    slot = ngx_pcalloc(pool, fleet->ncaches * sizeof(ngx_uint_t));
    if (slot == NULL) {
        vodedge_file_refuse(&f->file, pool);
        return;
    }

    /* the new fleet's slots, by id, before it is in service: a state
     * update or a poll never sees it without them */

    if (ngx_steering_resolve_slots(smcf, fleet, slot, log) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "steering fleet file \"%s\" not taken in service, "
                      "the fleet loaded before stays", f->file.watch.name);
        vodedge_file_refuse(&f->file, pool);
        return;
    }

    vodedge_file_swap(&f->file, pool);

    f->fleet = fleet;
    f->slot = slot;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "steering fleet file \"%s\" reloaded: %uD caches "
                  "(%uD isp, %uD ixp, %uD origin)", f->file.watch.name,
                  fleet->ncaches, fleet->ntier[ST_TIER_ISP],
                  fleet->ntier[ST_TIER_IXP], fleet->ntier[ST_TIER_ORIGIN]);
}


/* the data file's parser: the fleet's, with a void * result */

static int
ngx_steering_fleet_parse(vod_env_t *env, const u_char *buf, size_t len,
    void **out, char *msg)
{
    int          rc;
    st_fleet_t  *fleet;

    rc = st_fleet_parse(env, buf, len, &fleet, msg);

    if (rc == VOD_OK) {
        *out = fleet;
    }

    return rc;
}

