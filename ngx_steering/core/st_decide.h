/*
 * st_decide.h: the steering decision for one client and one title, free
 * of nginx: tiers, scores, great-circle distance and rendezvous hashing.
 *
 * ISP caches that serve the client's ASN, are usable (healthy, fresh,
 * below the load limit) and hold the title come first; then usable IXP
 * caches; then origin.  Within a tier a cache scores
 *
 *     (1 - load) * 40 + min(capacity_gbps / 100, 1) * 20 + proximity
 *
 * where proximity is 40 * (1 - distance / range), at least 0, when both
 * the client's and the cache's locations are known, and a flat 40
 * otherwise.  Scores are compared in thousandths of a point; equal ones
 * break by the title's rendezvous hash with each cache, never at random.
 *
 * Without presence data for a title, the ISP caches a title may use are
 * the `subset` of the client's usable ISP caches with the highest
 * rendezvous hash for that title, so that one title's requests
 * concentrate where it is cached.
 *
 * The ranking is the primary, up to two fallbacks of the same tier, the
 * best cache of the next tier that has a usable one, and origin last
 * when no origin cache is in the ranking yet.  With no usable cache at
 * all the ranking is the origins by score: never empty.
 */

#ifndef _ST_DECIDE_H_INCLUDED_
#define _ST_DECIDE_H_INCLUDED_


#include "st_fleet.h"


#define ST_RANK_MAX        5

/* reasons */
#define ST_REASON_ASN_MATCH        0   /* an ISP cache of the client's ASN */
#define ST_REASON_NO_ASN           1   /* the client's ASN is unknown */
#define ST_REASON_NO_ISP_CACHE     2   /* no ISP cache serves the ASN */
#define ST_REASON_ISP_UNAVAILABLE  3   /* they are unhealthy, overloaded
                                          or do not hold the title */
#define ST_REASON_NO_EDGE          4   /* no usable ISP or IXP cache */
#define ST_REASON_NONE_HEALTHY     5   /* not even an origin is healthy */
#define ST_REASON_POLICY           6   /* a policy (the Lua hook) chose
                                          another primary */


/* live state of one cache, index-aligned with the fleet */
typedef struct {
    double           load;             /* 0 to 1 */
    unsigned         usable:1;         /* healthy, fresh, below max load */
    unsigned         healthy:1;        /* healthy and fresh */
    unsigned         present:1;        /* holds the title (with presence) */
} st_live_t;


typedef struct {
    uint32_t         asn;
    double           latitude;
    double           longitude;
    u_char           country[2];
    unsigned         has_asn:1;
    unsigned         has_country:1;
    unsigned         has_location:1;
} st_client_t;


typedef struct {
    uint32_t         subset;           /* ISP caches per title, 0: all */
    double           range_km;         /* proximity reaches 0 there */
    uint32_t         ttl[ST_TIERS];    /* seconds */
    unsigned         has_presence:1;   /* live[].present is meaningful */
} st_params_t;


typedef struct {
    uint32_t         rank[ST_RANK_MAX];    /* fleet indexes */
    uint32_t         score[ST_RANK_MAX];   /* thousandths */
    uint32_t         n;
    uint32_t         primary_count;        /* of the primary's tier */
    uint32_t         tier;                 /* the primary's */
    uint32_t         ttl;
    uint32_t         reason;               /* ST_REASON_* */
} st_decision_t;


/* Decide for a title (fleet->ncaches <= ST_MAX_CACHES). */
void st_decide(const st_fleet_t *fleet, const st_live_t *live,
    const st_client_t *client, const u_char *title, size_t title_len,
    const st_params_t *params, st_decision_t *d);

/* Score of one cache for a client, in thousandths of a point. */
uint32_t st_score(const st_cache_t *cache, double load,
    const st_client_t *client, double range_km);

/* Great-circle distance in kilometres (haversine, mean Earth radius). */
double st_distance_km(double lat1, double lon1, double lat2, double lon2);

/* 64-bit FNV-1a, the id hash of st_cache_t */
uint64_t st_hash(const u_char *p, size_t len);

/* Rendezvous (highest random weight) hash of a title with a cache. */
uint64_t st_rendezvous(uint64_t id_hash, const u_char *title, size_t len);

/* "asn-match", "no-asn", "no-isp-cache", "isp-unavailable", "no-edge",
 * "none-healthy", "policy" */
const char *st_reason_name(uint32_t reason);


#endif /* _ST_DECIDE_H_INCLUDED_ */
