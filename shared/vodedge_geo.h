/*
 * vodedge_geo.h: MaxMind-format databases (GeoIP2/GeoLite2 Country or
 * City, ASN, Anonymous-IP) through libmaxminddb, for every vodedge module
 * that needs a client's country or network: compiled into each of them
 * from this one place.
 *
 * A database is opened at configuration time (a failure is an `nginx -t`
 * error naming the file) and closed by the cycle pool's cleanup.  In
 * service, vodedge_geo_refresh() stats the file at most once per interval
 * per worker; a changed file is opened, swapped in and the old one
 * closed; a bad new file leaves the old one in service and is logged once.
 */

#ifndef _VODEDGE_GEO_H_INCLUDED_
#define _VODEDGE_GEO_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>

#include <maxminddb.h>

#include "vodedge_watch.h"


/* GeoIP2 Anonymous-IP flags */
#define VODEDGE_GEO_ANONYMOUS      0x01
#define VODEDGE_GEO_ANONYMOUS_VPN  0x02
#define VODEDGE_GEO_HOSTING        0x04
#define VODEDGE_GEO_PUBLIC_PROXY   0x08
#define VODEDGE_GEO_TOR_EXIT       0x10


typedef struct {
    MMDB_s           *mmdb;            /* in service */
    vodedge_watch_t   watch;
    const char       *what;            /* "GeoIP country database", ... */
} vodedge_geo_db_t;


/* Opens file (relative to the configuration prefix) at configuration
 * time; NULL after logging an emerg naming the file. */
vodedge_geo_db_t *vodedge_geo_open(ngx_conf_t *cf, ngx_str_t *file,
    const char *what);

/* Swaps in a changed file; interval as vodedge_watch_check(). */
void vodedge_geo_refresh(vodedge_geo_db_t *db, time_t interval,
    ngx_log_t *log);

/* The ISO 3166-1 code of "country" (or "registered_country"): NGX_OK
 * with two bytes in code, NGX_DECLINED when the address is not found or
 * has none. */
ngx_int_t vodedge_geo_country(vodedge_geo_db_t *db, struct sockaddr *sa,
    u_char *code, ngx_log_t *log);

/* autonomous_system_number and, when org is not NULL, a copy in pool of
 * autonomous_system_organization (empty when absent) */
ngx_int_t vodedge_geo_asn(vodedge_geo_db_t *db, struct sockaddr *sa,
    uint32_t *asn, ngx_str_t *org, ngx_pool_t *pool, ngx_log_t *log);

/* location.latitude and location.longitude of a City database: NGX_OK
 * with both set, NGX_DECLINED when the address or either is absent */
ngx_int_t vodedge_geo_location(vodedge_geo_db_t *db, struct sockaddr *sa,
    double *latitude, double *longitude, ngx_log_t *log);

/* VODEDGE_GEO_* flags that are true for the address; 0 when not found */
ngx_uint_t vodedge_geo_anonymous(vodedge_geo_db_t *db, struct sockaddr *sa,
    ngx_log_t *log);


#endif /* _VODEDGE_GEO_H_INCLUDED_ */
