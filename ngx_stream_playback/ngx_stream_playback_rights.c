/*
 * ngx_stream_playback_rights.c: the rights table file (format in
 * core/pb_rights.h): read at configuration time, where a bad file is an
 * `nginx -t` error, and re-read in service when it changes; a bad new
 * file leaves the table in service and is logged once (shared/
 * vodedge_file.c does the three).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_module.h"


#define NGX_PLAYBACK_RIGHTS_MAX  (16 * 1024 * 1024)


static int ngx_stream_playback_rights_parse(vod_env_t *env,
    const u_char *buf, size_t len, void **out, char *msg);


static vodedge_file_type_t  ngx_stream_playback_rights_type = {
    "playback rights file",
    "the table loaded before",
    NGX_PLAYBACK_RIGHTS_MAX,
    ngx_stream_playback_rights_parse
};


char *
ngx_stream_playback_rights(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_main_conf_t *pmcf = conf;

    void                          *table;
    ngx_str_t                     *value;
    ngx_stream_playback_rights_t  *rights;

    if (pmcf->rights != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    rights = ngx_pcalloc(cf->pool, sizeof(ngx_stream_playback_rights_t));
    if (rights == NULL) {
        return NGX_CONF_ERROR;
    }

    rights->file.type = &ngx_stream_playback_rights_type;

    if (vodedge_file_conf(cf, &rights->file, &value[1], &table)
        != NGX_CONF_OK)
    {
        return NGX_CONF_ERROR;
    }

    rights->table = table;

    pmcf->rights = rights;

    return NGX_CONF_OK;
}


void
ngx_stream_playback_rights_refresh(ngx_stream_playback_rights_t *rights,
    time_t interval, ngx_log_t *log)
{
    void        *table;
    ngx_pool_t  *pool;

    if (vodedge_file_check(&rights->file, interval, log, &table, &pool)
        != NGX_OK)
    {
        return;
    }

    vodedge_file_swap(&rights->file, pool);

    rights->table = table;

    ngx_log_error(NGX_LOG_NOTICE, log, 0,
                  "playback rights file \"%s\" reloaded: %uD titles",
                  rights->file.watch.name, rights->table->ntitles);
}


/* the data file's parser: the rights table's, with a void * result */

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

