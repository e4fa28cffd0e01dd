/*
 * vodedge_geo.c: see vodedge_geo.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "vodedge_geo.h"


static MMDB_s *vodedge_geo_load(u_char *name, ngx_log_t *log,
    const char *what, const char *then);
static void vodedge_geo_cleanup(void *data);
static ngx_int_t vodedge_geo_lookup(vodedge_geo_db_t *db,
    struct sockaddr *sa, MMDB_entry_s *entry, ngx_log_t *log);


static struct {
    const char  *name;
    ngx_uint_t   flag;
} vodedge_geo_anonymous_fields[] = {
    { "is_anonymous", VODEDGE_GEO_ANONYMOUS },
    { "is_anonymous_vpn", VODEDGE_GEO_ANONYMOUS_VPN },
    { "is_hosting_provider", VODEDGE_GEO_HOSTING },
    { "is_public_proxy", VODEDGE_GEO_PUBLIC_PROXY },
    { "is_tor_exit_node", VODEDGE_GEO_TOR_EXIT },
    { NULL, 0 }
};


vodedge_geo_db_t *
vodedge_geo_open(ngx_conf_t *cf, ngx_str_t *file, const char *what)
{
    ngx_str_t            name;
    vodedge_geo_db_t    *db;
    ngx_pool_cleanup_t  *cln;

    name = *file;

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NULL;
    }

    db = ngx_pcalloc(cf->pool, sizeof(vodedge_geo_db_t));
    if (db == NULL) {
        return NULL;
    }

    cln = ngx_pool_cleanup_add(cf->pool, 0);
    if (cln == NULL) {
        return NULL;
    }

    db->what = what;
    db->mmdb = vodedge_geo_load(name.data, cf->log, what, NULL);

    if (db->mmdb == NULL) {
        return NULL;
    }

    cln->handler = vodedge_geo_cleanup;
    cln->data = db;

    if (vodedge_watch_init(&db->watch, name.data, NGX_INVALID_FILE)
        != NGX_OK)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           ngx_file_info_n " \"%s\" failed", name.data);
        return NULL;
    }

    return db;
}


void
vodedge_geo_refresh(vodedge_geo_db_t *db, time_t interval, ngx_log_t *log)
{
    MMDB_s  *mmdb;

    if (vodedge_watch_check(&db->watch, interval, log, db->what) != NGX_OK) {
        return;
    }

    mmdb = vodedge_geo_load(db->watch.name, log, db->what,
                            ", the one loaded before stays in service");

    if (mmdb == NULL) {
        vodedge_watch_done(&db->watch, 0);
        return;
    }

    MMDB_close(db->mmdb);
    ngx_free(db->mmdb);

    db->mmdb = mmdb;
    vodedge_watch_done(&db->watch, 1);

    ngx_log_error(NGX_LOG_NOTICE, log, 0, "%s \"%s\" reloaded",
                  db->what, db->watch.name);
}


ngx_int_t
vodedge_geo_country(vodedge_geo_db_t *db, struct sockaddr *sa, u_char *code,
    ngx_log_t *log)
{
    int                    rc;
    ngx_uint_t             i;
    MMDB_entry_s           entry;
    MMDB_entry_data_s      data;
    static const char     *top[] = { "country", "registered_country" };

    if (vodedge_geo_lookup(db, sa, &entry, log) != NGX_OK) {
        return NGX_DECLINED;
    }

    for (i = 0; i < 2; i++) {
        rc = MMDB_get_value(&entry, &data, top[i], "iso_code", NULL);

        if (rc == MMDB_SUCCESS && data.has_data
            && data.type == MMDB_DATA_TYPE_UTF8_STRING
            && data.data_size == 2)
        {
            code[0] = ngx_toupper(data.utf8_string[0]);
            code[1] = ngx_toupper(data.utf8_string[1]);

            if (code[0] >= 'A' && code[0] <= 'Z'
                && code[1] >= 'A' && code[1] <= 'Z')
            {
                return NGX_OK;
            }
        }
    }

    return NGX_DECLINED;
}


ngx_int_t
vodedge_geo_asn(vodedge_geo_db_t *db, struct sockaddr *sa, uint32_t *asn,
    ngx_str_t *org, ngx_pool_t *pool, ngx_log_t *log)
{
    MMDB_entry_s       entry;
    MMDB_entry_data_s  data;

    if (vodedge_geo_lookup(db, sa, &entry, log) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (MMDB_get_value(&entry, &data, "autonomous_system_number", NULL)
        != MMDB_SUCCESS
        || !data.has_data)
    {
        return NGX_DECLINED;
    }

    switch (data.type) {

    case MMDB_DATA_TYPE_UINT32:
        *asn = data.uint32;
        break;

    case MMDB_DATA_TYPE_UINT16:
        *asn = data.uint16;
        break;

    default:
        return NGX_DECLINED;
    }

    if (org == NULL) {
        return NGX_OK;
    }

    ngx_str_null(org);

    /* the string lives in the mapped file, which a reload unmaps: copy */

    if (MMDB_get_value(&entry, &data, "autonomous_system_organization",
                       NULL)
        == MMDB_SUCCESS
        && data.has_data && data.type == MMDB_DATA_TYPE_UTF8_STRING
        && data.data_size > 0)
    {
        org->data = ngx_pnalloc(pool, data.data_size);
        if (org->data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(org->data, data.utf8_string, data.data_size);
        org->len = data.data_size;
    }

    return NGX_OK;
}


ngx_int_t
vodedge_geo_location(vodedge_geo_db_t *db, struct sockaddr *sa,
    double *latitude, double *longitude, ngx_log_t *log)
{
    MMDB_entry_s       entry;
    MMDB_entry_data_s  lat, lon;

    if (vodedge_geo_lookup(db, sa, &entry, log) != NGX_OK) {
        return NGX_DECLINED;
    }

    if (MMDB_get_value(&entry, &lat, "location", "latitude", NULL)
        != MMDB_SUCCESS
        || !lat.has_data || lat.type != MMDB_DATA_TYPE_DOUBLE
        || MMDB_get_value(&entry, &lon, "location", "longitude", NULL)
           != MMDB_SUCCESS
        || !lon.has_data || lon.type != MMDB_DATA_TYPE_DOUBLE)
    {
        return NGX_DECLINED;
    }

    if (lat.double_value < -90 || lat.double_value > 90
        || lon.double_value < -180 || lon.double_value > 180)
    {
        return NGX_DECLINED;
    }

    *latitude = lat.double_value;
    *longitude = lon.double_value;

    return NGX_OK;
}


ngx_uint_t
vodedge_geo_anonymous(vodedge_geo_db_t *db, struct sockaddr *sa,
    ngx_log_t *log)
{
    ngx_uint_t         i, flags;
    MMDB_entry_s       entry;
    MMDB_entry_data_s  data;

    if (vodedge_geo_lookup(db, sa, &entry, log) != NGX_OK) {
        return 0;
    }

    flags = 0;

    for (i = 0; vodedge_geo_anonymous_fields[i].name != NULL; i++) {
        if (MMDB_get_value(&entry, &data, vodedge_geo_anonymous_fields[i].name,
                           NULL)
            == MMDB_SUCCESS
            && data.has_data && data.type == MMDB_DATA_TYPE_BOOLEAN
            && data.boolean)
        {
            flags |= vodedge_geo_anonymous_fields[i].flag;
        }
    }

    return flags;
}


static ngx_int_t
vodedge_geo_lookup(vodedge_geo_db_t *db, struct sockaddr *sa,
    MMDB_entry_s *entry, ngx_log_t *log)
{
    int                   mmdb_error;
    MMDB_lookup_result_s  res;

    if (sa->sa_family != AF_INET
#if (NGX_HAVE_INET6)
        && sa->sa_family != AF_INET6
#endif
       )
    {
        return NGX_DECLINED;
    }

    res = MMDB_lookup_sockaddr(db->mmdb, sa, &mmdb_error);

    if (mmdb_error != MMDB_SUCCESS) {
        /* an IPv6 address in an IPv4-only database, or a corrupt tree */
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, log, 0,
                       "%s lookup failed: %s", db->what,
                       MMDB_strerror(mmdb_error));
        return NGX_DECLINED;
    }

    if (!res.found_entry) {
        return NGX_DECLINED;
    }

    *entry = res.entry;

    return NGX_OK;
}


static MMDB_s *
vodedge_geo_load(u_char *name, ngx_log_t *log, const char *what,
    const char *then)
{
    int          rc;
    MMDB_s      *mmdb;
    ngx_uint_t   level;

    mmdb = ngx_alloc(sizeof(MMDB_s), log);
    if (mmdb == NULL) {
        return NULL;
    }

    rc = MMDB_open((char *) name, MMDB_MODE_MMAP, mmdb);

    if (rc != MMDB_SUCCESS) {
        level = (then != NULL) ? NGX_LOG_ERR : NGX_LOG_EMERG;

        ngx_log_error(level, log,
                      rc == MMDB_IO_ERROR ? ngx_errno : 0,
                      "%s \"%s\" cannot be opened: %s%s", what, name,
                      MMDB_strerror(rc), then ? then : "");
        ngx_free(mmdb);
        return NULL;
    }

    return mmdb;
}


static void
vodedge_geo_cleanup(void *data)
{
    vodedge_geo_db_t  *db = data;

    if (db->mmdb != NULL) {
        MMDB_close(db->mmdb);
        ngx_free(db->mmdb);
        db->mmdb = NULL;
    }
}
