/*
 * ngx_steering_fleet.c: the fleet file (format in core/st_fleet.h): read
 * at configuration time, where a bad file is an `nginx -t` error naming
 * it, and re-read in service when it changes (at most one stat() per
 * steering_reload interval per worker); a bad new file leaves the fleet
 * in service and is logged once.
 */

#include "ngx_steering_module.h"


#define NGX_STEERING_FLEET_MAX  (16 * 1024 * 1024)


static ngx_int_t ngx_steering_fleet_load(u_char *name, ngx_log_t *log,
    ngx_pool_t **poolp, st_fleet_t **fleetp, ngx_fd_t *fdp, char *err,
    ngx_err_t *errp);
static void *ngx_steering_fleet_alloc(vod_env_t *env, size_t size);
static void ngx_steering_fleet_log(vod_env_t *env, const char *fmt, ...);
static void ngx_steering_fleet_cleanup(void *data);


char *
ngx_steering_fleet(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_main_conf_t *smcf = conf;

    ngx_fd_t               fd;
    ngx_err_t              e;
    ngx_str_t             *value, name;
    ngx_pool_cleanup_t    *cln;
    ngx_steering_fleet_t  *f;
    char                   err[ST_FLEET_ERR_LEN];

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

    if (ngx_steering_fleet_load(name.data, cf->log, &f->pool, &f->fleet, &fd,
                                err, &e)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, e,
                           "steering fleet file \"%s\" %s", name.data, err);
        return NGX_CONF_ERROR;
    }

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
    ngx_fd_t               fd;
    ngx_err_t              e;
    ngx_uint_t            *slot;
    ngx_pool_t            *pool;
    st_fleet_t            *fleet;
    ngx_steering_fleet_t  *f;
    char                   err[ST_FLEET_ERR_LEN];

    f = smcf->fleet;

    if (vodedge_watch_check(&f->watch, smcf->reload, log,
                            "steering fleet file")
        != NGX_OK)
    {
        return;
    }

    if (ngx_steering_fleet_load(f->watch.name, log, &pool, &fleet, &fd, err,
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

    /* the pool outlives this request, whose log it was made with */
    pool->log = ngx_cycle->log;

    slot = ngx_pcalloc(pool, fleet->ncaches * sizeof(ngx_uint_t));
    if (slot == NULL) {
        ngx_destroy_pool(pool);
        vodedge_watch_done(&f->watch, 0);
        return;
    }

    ngx_destroy_pool(f->pool);

    f->pool = pool;
    f->fleet = fleet;
    f->slot = slot;
    f->resolved = 0;
    vodedge_watch_done(&f->watch, 1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "steering fleet file \"%s\" reloaded: %uD caches "
                  "(%uD isp, %uD ixp, %uD origin)", f->watch.name,
                  fleet->ncaches, fleet->ntier[ST_TIER_ISP],
                  fleet->ntier[ST_TIER_IXP], fleet->ntier[ST_TIER_ORIGIN]);
}


/* Reads and parses name into a new pool; on success the file stays open
 * in *fdp, so that the caller records what it read.  err says why not. */

static ngx_int_t
ngx_steering_fleet_load(u_char *name, ngx_log_t *log, ngx_pool_t **poolp,
    st_fleet_t **fleetp, ngx_fd_t *fdp, char *err, ngx_err_t *errp)
{
    int               rc;
    off_t             size;
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    vod_env_t         env;
    ngx_pool_t       *pool;
    ngx_file_info_t   fi;
    char              msg[ST_FLEET_ERR_LEN];

    *errp = 0;

    fd = ngx_open_file(name, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        *errp = ngx_errno;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be opened",
                    ST_FLEET_ERR_LEN);
        return NGX_ERROR;
    }

    pool = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        *errp = ngx_errno;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be read",
                    ST_FLEET_ERR_LEN);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size > NGX_STEERING_FLEET_MAX) {
        ngx_snprintf((u_char *) err, ST_FLEET_ERR_LEN - 1,
                     "is larger than %d bytes%Z", NGX_STEERING_FLEET_MAX);
        goto failed;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, log);
    if (pool == NULL) {
        ngx_snprintf((u_char *) err, ST_FLEET_ERR_LEN - 1,
                     "cannot be loaded: out of memory%Z");
        goto failed;
    }

    /* the text is parsed then dropped: the fleet copies what it keeps */

    buf = ngx_alloc(size ? size : 1, log);
    if (buf == NULL) {
        ngx_snprintf((u_char *) err, ST_FLEET_ERR_LEN - 1,
                     "cannot be loaded: out of memory%Z");
        goto failed;
    }

    n = ngx_read_fd(fd, buf, size);

    if (n != size) {
        ngx_free(buf);
        *errp = n < 0 ? ngx_errno : 0;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be read",
                    ST_FLEET_ERR_LEN);
        goto failed;
    }

    env.alloc = ngx_steering_fleet_alloc;
    env.log = ngx_steering_fleet_log;
    env.read = NULL;
    env.data = pool;

    rc = st_fleet_parse(&env, buf, size, fleetp, msg);

    ngx_free(buf);

    if (rc == VOD_ERROR) {
        ngx_snprintf((u_char *) err, ST_FLEET_ERR_LEN - 1,
                     "cannot be loaded: out of memory%Z");
        goto failed;
    }

    if (rc != VOD_OK) {
        ngx_snprintf((u_char *) err, ST_FLEET_ERR_LEN - 1,
                     "is invalid: %s%Z", msg);
        goto failed;
    }

    *poolp = pool;
    *fdp = fd;

    return NGX_OK;

failed:

    err[ST_FLEET_ERR_LEN - 1] = '\0';

    if (pool != NULL) {
        ngx_destroy_pool(pool);
    }

    (void) ngx_close_file(fd);

    return NGX_ERROR;
}


static void *
ngx_steering_fleet_alloc(vod_env_t *env, size_t size)
{
    return ngx_palloc(env->data, size);
}


static void
ngx_steering_fleet_log(vod_env_t *env, const char *fmt, ...)
{
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
