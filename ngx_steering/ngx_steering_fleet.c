/*
 * ngx_steering_fleet.c: the fleet file (format in core/st_fleet.h): read
 * at configuration time, where a bad file is an `nginx -t` error naming
 * it, and re-read in service when it changes (at most one stat() per
 * steering_reload interval per worker); a bad new file leaves the fleet
 * in service and is logged once.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"
#include "vodedge_load.h"


#define NGX_STEERING_FLEET_MAX  (16 * 1024 * 1024)


static int ngx_steering_fleet_parse(vod_env_t *env, const u_char *buf,
    size_t len, void **out, char *msg);
static void ngx_steering_fleet_cleanup(void *data);


char *
ngx_steering_fleet(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    void                  *fleet;
    ngx_fd_t               fd;
    ngx_err_t              e;
    ngx_str_t             *value, name;
    ngx_pool_cleanup_t    *cln;
    ngx_steering_fleet_t  *f;
    char                   err[VODEDGE_LOAD_ERR_LEN];

    if (smcf->fleet != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    f = ngx_pcalloc(cf->pool, sizeof(ngx_steering_fleet_t));
    if (f == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    if (vodedge_load(name.data, NGX_STEERING_FLEET_MAX, cf->log,
                     ngx_steering_fleet_parse, &fleet, &f->pool, &fd, err,
                     &e)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, e,
                           "steering fleet file \"%s\" %s", name.data, err);
        return NGX_CONF_ERROR;
    }

    f->fleet = fleet;

    /*
     * the pool outlives this configuration pass: cf->log is the old
     * cycle's log on a reload, which the master frees before it starts
     * the new workers (a worker that replaced this fleet crashed in
     * ngx_destroy_pool()'s debug logging); the new cycle's own log lives
     * as long as the pool
     */
    f->pool->log = &cf->cycle->new_log;

    cln->handler = ngx_steering_fleet_cleanup;
    cln->data = f;

    if (vodedge_watch_init(&f->watch, name.data, fd) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name.data);
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    (void) ngx_close_file(fd);

    f->slot = ngx_pcalloc(f->pool, f->fleet->ncaches * sizeof(ngx_uint_t));
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
    ngx_fd_t               fd;
    ngx_err_t              e;
    ngx_uint_t            *slot;
    ngx_pool_t            *pool;
    st_fleet_t            *fleet;
    ngx_steering_fleet_t  *f;
    char                   err[VODEDGE_LOAD_ERR_LEN];

    f = smcf->fleet;

    if (vodedge_watch_check(&f->watch, smcf->reload, log,
                            "steering fleet file")
        != NGX_OK)
    {
        return;
    }

    /* the pool outlives this request: the cycle's log, not the request's */

    if (vodedge_load(f->watch.name, NGX_STEERING_FLEET_MAX, ngx_cycle->log,
                     ngx_steering_fleet_parse, &result, &pool, &fd, err,
                     &e)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, e,
                      "steering fleet file \"%s\" %s, the fleet loaded "
                      "before stays in service", f->watch.name, err);
        vodedge_watch_done(&f->watch, 0);
        return;
    }

    (void) ngx_close_file(fd);

    fleet = result;

    slot = ngx_pcalloc(pool, fleet->ncaches * sizeof(ngx_uint_t));
    if (slot == NULL) {
        ngx_destroy_pool(pool);
        vodedge_watch_done(&f->watch, 0);
        return;
    }

    /* the new fleet's slots, by id, before it is in service: a state
     * update or a poll never sees it without them */

    if (ngx_steering_resolve_slots(smcf, fleet, slot, log) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, log, 0,
                      "steering fleet file \"%s\" not taken in service, "
                      "the fleet loaded before stays", f->watch.name);
        ngx_destroy_pool(pool);
        vodedge_watch_done(&f->watch, 0);
        return;
    }

    ngx_destroy_pool(f->pool);

    f->pool = pool;
    f->fleet = fleet;
    f->slot = slot;
    vodedge_watch_done(&f->watch, 1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "steering fleet file \"%s\" reloaded: %uD caches "
                  "(%uD isp, %uD ixp, %uD origin)", f->watch.name,
                  fleet->ncaches, fleet->ntier[ST_TIER_ISP],
                  fleet->ntier[ST_TIER_IXP], fleet->ntier[ST_TIER_ORIGIN]);
}


/* vodedge_load()'s parser: the fleet's, with a void * result */

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


static void
ngx_steering_fleet_cleanup(void *data)
{
    ngx_steering_fleet_t  *f = data;

    if (f->pool != NULL) {
        ngx_destroy_pool(f->pool);
        f->pool = NULL;
    }
}
