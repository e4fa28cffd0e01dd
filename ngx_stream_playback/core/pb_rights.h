/*
 * pb_rights.h: the nginx-free core of GeoIP licensing: the rights table
 * (a JSON file naming, per title, the countries where it is licensed or
 * excluded and an optional availability window) and the decision for one
 * title, country and time.
 *
 *   {"titles": {
 *       "demo":  {"allow": ["US", "CA"],
 *                 "from": "2026-01-01T00:00:00Z",
 *                 "until": "2027-01-01T00:00:00Z"},
 *       "other": {"deny": ["DE"]}
 *   }}
 *
 * "allow" and "deny" exclude each other; a title with neither is licensed
 * everywhere (within its window).  Country codes are ISO 3166-1 alpha-2 in
 * capitals.  Times are RFC 3339 in UTC ("Z", no fraction, no offset); the
 * window is from <= now < until, either end optional.  Unknown members are
 * errors, so that a misspelt "alow" does not license a title everywhere.
 */

#ifndef _PB_RIGHTS_H_INCLUDED_
#define _PB_RIGHTS_H_INCLUDED_


#include "vod_core.h"


/* pb_rights_check() results; pb_rights_reason() names each */
#define PB_RIGHTS_OK               0
#define PB_RIGHTS_UNKNOWN_TITLE    1   /* not in the table: the default */
#define PB_RIGHTS_UNKNOWN_COUNTRY  2   /* has a list, no country known */
#define PB_RIGHTS_NOT_LICENSED     3   /* country excluded or not allowed */
#define PB_RIGHTS_NOT_YET          4   /* before "from" */
#define PB_RIGHTS_EXPIRED          5   /* at or after "until" */

#define PB_RIGHTS_NO_TIME          INT64_MIN
#define PB_RIGHTS_TITLE_MAX        1024
#define PB_RIGHTS_ERR_LEN          192


typedef struct {
    vod_str_t        name;
    uint16_t        *countries;        /* 'U' << 8 | 'S', sorted */
    uint32_t         ncountries;
    unsigned         deny:1;           /* countries are excluded */
    unsigned         has_list:1;
    int64_t          from;             /* PB_RIGHTS_NO_TIME: none */
    int64_t          until;
} pb_rights_title_t;


typedef struct {
    pb_rights_title_t  *titles;        /* sorted by name */
    uint32_t            ntitles;
} pb_rights_t;


/* Parse a rights file.  VOD_OK with *out set; VOD_BAD_DATA with a
 * message in err (one line, names the title or JSON position); VOD_ERROR
 * when env->alloc fails.  Everything is allocated through env->alloc,
 * strings included: the input may be freed afterwards. */
int pb_rights_parse(vod_env_t *env, const u_char *buf, size_t len,
    pb_rights_t **out, char err[PB_RIGHTS_ERR_LEN]);

/* The decision for a title; country is two capitals or NULL when the
 * client's country is unknown.  *entry is set to the title's entry or
 * NULL. */
int pb_rights_check(const pb_rights_t *rights, const u_char *title,
    size_t len, const u_char *country, int64_t now,
    const pb_rights_title_t **entry);

/* RFC 3339 UTC "YYYY-MM-DDTHH:MM:SSZ" to Unix seconds; -1 when malformed
 * (times before 1970 are refused). */
int64_t pb_rights_parse_time(const u_char *p, size_t len);

/* "licensed", "unknown-title", "unknown-country", "not-licensed",
 * "not-yet-available", "expired" */
const char *pb_rights_reason(int rc);


#endif /* _PB_RIGHTS_H_INCLUDED_ */
