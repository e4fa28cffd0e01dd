/*
 * ngx_stream_playback_rights.c: the rights table file (format in
 * core/pb_rights.h): read at configuration time, where a bad file is an
 * `nginx -t` error, and re-read in service when it changes; a bad new
 * file leaves the table in service and is logged once.
 */

#include "ngx_stream_playback_module.h"


#define NGX_PLAYBACK_RIGHTS_MAX  (16 * 1024 * 1024)


static ngx_int_t ngx_stream_playback_rights_load(u_char *name,
    ngx_log_t *log, ngx_pool_t **pool, pb_rights_t **table, ngx_fd_t *fdp,
    char *err, ngx_err_t *errp);
static void *ngx_stream_playback_rights_alloc(vod_env_t *env, size_t size);
static void ngx_stream_playback_rights_log(vod_env_t *env,
    const char *fmt, ...);
static void ngx_stream_playback_rights_cleanup(void *data);


char *
ngx_stream_playback_rights(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    ngx_fd_t                       fd;
    ngx_err_t                      e;
    ngx_str_t                     *value, name;
    ngx_pool_cleanup_t            *cln;
    ngx_stream_playback_rights_t  *rights;
    char                           err[PB_RIGHTS_ERR_LEN];

    if (pmcf->rights != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    rights = ngx_pcalloc(cf->pool, sizeof(ngx_stream_playback_rights_t));
    if (rights == NULL) {
        return NGX_CONF_ERROR;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NGX_CONF_ERROR;
    }

    if (ngx_stream_playback_rights_load(name.data, cf->log, &rights->pool,
                                        &rights->table, &fd, err, &e)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, e,
                           "playback rights file \"%s\" %s", name.data, err);
        return NGX_CONF_ERROR;
    }

    cln->handler = ngx_stream_playback_rights_cleanup;
    cln->data = rights;

    if (vodedge_watch_init(&rights->watch, name.data, fd) != NGX_OK) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_fd_info_n " \"%s\" failed", name.data);
        (void) ngx_close_file(fd);
        return NGX_CONF_ERROR;
    }

    (void) ngx_close_file(fd);

    pmcf->rights = rights;

    return NGX_CONF_OK;
}


void
ngx_stream_playback_rights_refresh(ngx_stream_playback_rights_t *rights,
    time_t interval, ngx_log_t *log)
{
    ngx_fd_t      fd;
    ngx_err_t     e;
    ngx_pool_t   *pool;
    pb_rights_t  *table;
    char          err[PB_RIGHTS_ERR_LEN];

    if (vodedge_watch_check(&rights->watch, interval, log,
                            "playback rights file")
        != NGX_OK)
    {
        return;
    }

    if (ngx_stream_playback_rights_load(rights->watch.name, log, &pool,
                                        &table, &fd, err, &e)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, e,
                      "playback rights file \"%s\" %s, the table loaded "
                      "before stays in service", rights->watch.name, err);
        vodedge_watch_done(&rights->watch, 0);
        return;
    }

    (void) ngx_close_file(fd);

    /* the pool outlives this request, whose log it was made with: it is
     * destroyed by a later reload or at exit, logging through pool->log */
    pool->log = ngx_cycle->log;

    ngx_destroy_pool(rights->pool);

    rights->pool = pool;
    rights->table = table;
    vodedge_watch_done(&rights->watch, 1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "playback rights file \"%s\" reloaded: %uD titles",
                  rights->watch.name, table->ntitles);
}


/* Reads and parses name into a new pool; on success the file stays open
 * in *fdp, so that the caller records what it read.  err says why not. */

static ngx_int_t
ngx_stream_playback_rights_load(u_char *name, ngx_log_t *log,
    ngx_pool_t **poolp, pb_rights_t **table, ngx_fd_t *fdp, char *err,
    ngx_err_t *errp)
{
    int               rc;
    off_t             size;
    u_char           *buf;
    ssize_t           n;
    ngx_fd_t          fd;
    vod_env_t         env;
    ngx_pool_t       *pool;
    ngx_file_info_t   fi;
    char              msg[PB_RIGHTS_ERR_LEN];

    *errp = 0;

    fd = ngx_open_file(name, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        *errp = ngx_errno;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be opened",
                    PB_RIGHTS_ERR_LEN);
        return NGX_ERROR;
    }

    pool = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        *errp = ngx_errno;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be read",
                    PB_RIGHTS_ERR_LEN);
        goto failed;
    }

    size = ngx_file_size(&fi);

    if (size > NGX_PLAYBACK_RIGHTS_MAX) {
        ngx_snprintf((u_char *) err, PB_RIGHTS_ERR_LEN - 1,
                     "is larger than %d bytes%Z", NGX_PLAYBACK_RIGHTS_MAX);
        goto failed;
    }

    pool = ngx_create_pool(NGX_DEFAULT_POOL_SIZE, log);
    if (pool == NULL) {
        ngx_snprintf((u_char *) err, PB_RIGHTS_ERR_LEN - 1,
                     "cannot be loaded: out of memory%Z");
        goto failed;
    }

    /* the text is parsed then dropped: the table copies what it keeps */

    buf = ngx_alloc(size ? size : 1, log);
    if (buf == NULL) {
        ngx_snprintf((u_char *) err, PB_RIGHTS_ERR_LEN - 1,
                     "cannot be loaded: out of memory%Z");
        goto failed;
    }

    n = ngx_read_fd(fd, buf, size);

    if (n != size) {
        ngx_free(buf);
        *errp = n < 0 ? ngx_errno : 0;
        ngx_cpystrn((u_char *) err, (u_char *) "cannot be read",
                    PB_RIGHTS_ERR_LEN);
        goto failed;
    }

    env.alloc = ngx_stream_playback_rights_alloc;
    env.log = ngx_stream_playback_rights_log;
    env.read = NULL;
    env.data = pool;

    rc = pb_rights_parse(&env, buf, size, table, msg);

    ngx_free(buf);

    if (rc == VOD_ERROR) {
        ngx_snprintf((u_char *) err, PB_RIGHTS_ERR_LEN - 1,
                     "cannot be loaded: out of memory%Z");
        goto failed;
    }

    if (rc != VOD_OK) {
        ngx_snprintf((u_char *) err, PB_RIGHTS_ERR_LEN - 1,
                     "is invalid: %s%Z", msg);
        goto failed;
    }

    *poolp = pool;
    *fdp = fd;

    return NGX_OK;

failed:

    err[PB_RIGHTS_ERR_LEN - 1] = '\0';

    if (pool != NULL) {
        ngx_destroy_pool(pool);
    }

    (void) ngx_close_file(fd);

    return NGX_ERROR;
}


static void *
ngx_stream_playback_rights_alloc(vod_env_t *env, size_t size)
{
    return ngx_palloc(env->data, size);
}


static void
ngx_stream_playback_rights_log(vod_env_t *env, const char *fmt, ...)
{
}


static void
ngx_stream_playback_rights_cleanup(void *data)
{
    ngx_stream_playback_rights_t  *rights = data;

    if (rights->pool != NULL) {
        ngx_destroy_pool(rights->pool);
        rights->pool = NULL;
    }
}
