/*
 * ngx_stream_playback_rights.c: the rights table file (format in
 * core/pb_rights.h): read at configuration time, where a bad file is an
 * `nginx -t` error, and re-read in service when it changes; a bad new
 * file leaves the table in service and is logged once.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"
#include "vodedge_load.h"


#define NGX_PLAYBACK_RIGHTS_MAX  (16 * 1024 * 1024)


static int ngx_stream_playback_rights_parse(vod_env_t *env,
    const u_char *buf, size_t len, void **out, char *msg);
static void ngx_stream_playback_rights_cleanup(void *data);


char *
ngx_stream_playback_rights(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    void                          *table;
    ngx_fd_t                       fd;
    ngx_err_t                      e;
    ngx_str_t                     *value, name;
    ngx_pool_cleanup_t            *cln;
    ngx_stream_playback_rights_t  *rights;
    char                           err[VODEDGE_LOAD_ERR_LEN];

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

    if (vodedge_load(name.data, NGX_PLAYBACK_RIGHTS_MAX, cf->log,
                     ngx_stream_playback_rights_parse, &table,
                     &rights->pool, &fd, err, &e)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, e,
                           "playback rights file \"%s\" %s", name.data, err);
        return NGX_CONF_ERROR;
    }

    rights->table = table;

    /*
     * the pool outlives this configuration pass: cf->log is the old
     * cycle's log on a reload, freed by the master before the new workers
     * start, and a worker that replaces this table logs through the pool
     * when it destroys it (as the steering fleet's did, and crashed)
     */
    rights->pool->log = &cf->cycle->new_log;

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
    void         *table;
    ngx_fd_t      fd;
    ngx_err_t     e;
    ngx_pool_t   *pool;
    char          err[VODEDGE_LOAD_ERR_LEN];

    if (vodedge_watch_check(&rights->watch, interval, log,
                            "playback rights file")
        != NGX_OK)
    {
        return;
    }

    /* the pool outlives this request: the cycle's log, not the request's */

    if (vodedge_load(rights->watch.name, NGX_PLAYBACK_RIGHTS_MAX,
                     ngx_cycle->log,
                     ngx_stream_playback_rights_parse, &table, &pool, &fd,
                     err, &e)
        != NGX_OK)
    {
        ngx_log_error(NGX_LOG_ERR, log, e,
                      "playback rights file \"%s\" %s, the table loaded "
                      "before stays in service", rights->watch.name, err);
        vodedge_watch_done(&rights->watch, 0);
        return;
    }

    (void) ngx_close_file(fd);

    ngx_destroy_pool(rights->pool);

    rights->pool = pool;
    rights->table = table;
    vodedge_watch_done(&rights->watch, 1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "playback rights file \"%s\" reloaded: %uD titles",
                  rights->watch.name, rights->table->ntitles);
}


/* vodedge_load()'s parser: the rights table's, with a void * result */

static int
ngx_stream_playback_rights_parse(vod_env_t *env, const u_char *buf,
    size_t len, void **out, char *msg)
{
    int           rc;
    pb_rights_t  *table;

    rc = pb_rights_parse(env, buf, len, &table, msg);

    if (rc == VOD_OK) {
        *out = table;
    }

    return rc;
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
