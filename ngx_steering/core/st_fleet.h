/*
 * st_fleet.h: the nginx-free core of steering: the fleet file, a JSON
 * list of the caches a client may be sent to.
 *
 *   {"caches": [
 *       {"id": "isp-comcast-1", "url": "https://c1.comcast.example",
 *        "tier": "isp", "asns": [7922, 7015], "country": "US",
 *        "region": "us-east", "latitude": 40.71, "longitude": -74.0,
 *        "capacity_gbps": 100},
 *       {"id": "ixp-nyc", "url": "https://nyc.ixp.example", "tier": "ixp",
 *        "latitude": 40.7, "longitude": -74.0, "capacity_gbps": 400},
 *       {"id": "origin", "url": "https://origin.example", "tier": "origin"}
 *   ]}
 *
 * "id" (a Pathway ID: [A-Za-z0-9._-], at most ST_ID_MAX bytes, unique),
 * "url" (http or https, scheme and host, optionally a port and a path)
 * and "tier" ("isp", "ixp" or "origin") are required.  An ISP cache needs
 * "asns", the networks it serves.  "country" (ISO 3166-1 alpha-2),
 * "region" (free text), "latitude" and "longitude" (degrees, both or
 * neither) and "capacity_gbps" (default 0) are optional.  A fleet needs
 * at least one origin.  Unknown members are errors, so that a misspelt
 * "asn" does not silently serve nobody.
 */

#ifndef _ST_FLEET_H_INCLUDED_
#define _ST_FLEET_H_INCLUDED_


#include "vod_core.h"


#define ST_TIER_ISP        0
#define ST_TIER_IXP        1
#define ST_TIER_ORIGIN     2
#define ST_TIERS           3

#define ST_ID_MAX          64
#define ST_URL_MAX         1024
#define ST_MAX_CACHES      1024
#define ST_MAX_ASNS        4096
#define ST_FLEET_ERR_LEN   192


typedef struct {
    vod_str_t        id;
    vod_str_t        url;              /* without a trailing '/' */
    vod_str_t        host;             /* host name of url, no port */
    vod_str_t        region;
    uint32_t         tier;             /* ST_TIER_* */
    uint32_t        *asns;             /* sorted */
    uint32_t         nasns;
    double           latitude;
    double           longitude;
    double           capacity_gbps;
    uint64_t         id_hash;          /* st_hash() of id */
    u_char           country[2];
    unsigned         has_country:1;
    unsigned         has_location:1;
} st_cache_t;


typedef struct {
    st_cache_t      *caches;           /* in file order */
    uint32_t         ncaches;
    uint32_t         ntier[ST_TIERS];
} st_fleet_t;


/* Parse a fleet file.  VOD_OK with *out set; VOD_BAD_DATA with a message
 * in err (one line naming the cache or the JSON position); VOD_ERROR when
 * env->alloc fails.  Everything is allocated through env->alloc: the
 * input may be freed afterwards. */
int st_fleet_parse(vod_env_t *env, const u_char *buf, size_t len,
    st_fleet_t **out, char err[ST_FLEET_ERR_LEN]);

/* The cache named id, or NULL. */
st_cache_t *st_fleet_find(const st_fleet_t *fleet, const u_char *id,
    size_t len);

/* Whether cache serves asn. */
int st_cache_serves(const st_cache_t *cache, uint32_t asn);

/* Whether p[0 .. len - 1] is a valid cache id (and HLS Pathway ID). */
int st_id_valid(const u_char *p, size_t len);

/* "isp", "ixp", "origin" */
const char *st_tier_name(uint32_t tier);


#endif /* _ST_FLEET_H_INCLUDED_ */
