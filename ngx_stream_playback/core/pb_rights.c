/*
 * pb_rights.c: the rights table: parsed with the shared kit's JSON parser
 * (shared/core/vod_json.c), then checked per request
 * with a binary search over titles and over each title's countries.
 */

#include <stdio.h>
#include <stdlib.h>

#include "pb_rights.h"
#include "vod_json.h"


static int pb_rights_title(vod_env_t *env, vod_json_t *node,
    pb_rights_title_t *t, char *err);
static int pb_rights_countries(vod_env_t *env, vod_json_t *list,
    pb_rights_title_t *t, char *err);
static int pb_rights_cmp_title(const void *a, const void *b);
static int pb_rights_cmp_country(const void *a, const void *b);
static int pb_rights_name_cmp(const u_char *a, size_t alen, const u_char *b,
    size_t blen);


int
pb_rights_parse(vod_env_t *env, const u_char *buf, size_t len,
    pb_rights_t **out, char err[PB_RIGHTS_ERR_LEN])
{
    int                 rc;
    uint32_t            i;
    vod_json_t         *root, *titles, *node;
    pb_rights_t        *rights;
    vod_json_limits_t   limits;

    memset(&limits, 0, sizeof(vod_json_limits_t));

    rc = vod_json_parse(env, buf, len, &limits, &root);

    if (rc == VOD_ERROR) {
        return VOD_ERROR;
    }

    if (rc != VOD_OK) {
        snprintf(err, PB_RIGHTS_ERR_LEN, "invalid JSON at byte %zu: %s",
                 limits.err_pos, limits.err);
        return VOD_BAD_DATA;
    }

    if (root->type != VOD_JSON_OBJECT) {
        snprintf(err, PB_RIGHTS_ERR_LEN, "not a JSON object");
        return VOD_BAD_DATA;
    }

    for (node = root->child; node != NULL; node = node->next) {
        if (node->key.len != 6 || memcmp(node->key.data, "titles", 6) != 0) {
            snprintf(err, PB_RIGHTS_ERR_LEN, "unknown member \"%.*s\"",
                     (int) (node->key.len > 64 ? 64 : node->key.len),
                     node->key.data);
            return VOD_BAD_DATA;
        }
    }

    titles = vod_json_get(root, "titles");

    if (titles == NULL || titles->type != VOD_JSON_OBJECT
        || vod_json_key_count(root, "titles") != 1)
    {
        snprintf(err, PB_RIGHTS_ERR_LEN,
                 "\"titles\" is missing, repeated or not an object");
        return VOD_BAD_DATA;
    }

    rights = env->alloc(env, sizeof(pb_rights_t));
    if (rights == NULL) {
        return VOD_ERROR;
    }

    rights->ntitles = titles->count;
    rights->titles = NULL;

    if (titles->count) {
        rights->titles = env->alloc(env,
                                  titles->count * sizeof(pb_rights_title_t));
        if (rights->titles == NULL) {
            return VOD_ERROR;
        }
    }

    i = 0;

    for (node = titles->child; node != NULL; node = node->next) {
        rc = pb_rights_title(env, node, &rights->titles[i++], err);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    if (rights->ntitles > 1) {
        qsort(rights->titles, rights->ntitles, sizeof(pb_rights_title_t),
              pb_rights_cmp_title);
    }

    for (i = 1; i < rights->ntitles; i++) {
        if (pb_rights_cmp_title(&rights->titles[i - 1], &rights->titles[i])
            == 0)
        {
            snprintf(err, PB_RIGHTS_ERR_LEN, "title \"%.*s\" is repeated",
                     (int) (rights->titles[i].name.len > 64
                            ? 64 : rights->titles[i].name.len),
                     rights->titles[i].name.data);
            return VOD_BAD_DATA;
        }
    }

    *out = rights;

    return VOD_OK;
}


static int
pb_rights_title(vod_env_t *env, vod_json_t *node, pb_rights_title_t *t,
    char *err)
{
    int          rc, nlen;
    int64_t     *tp;
    vod_json_t  *m;

    nlen = (int) (node->key.len > 64 ? 64 : node->key.len);

    memset(t, 0, sizeof(pb_rights_title_t));
    t->from = PB_RIGHTS_NO_TIME;
    t->until = PB_RIGHTS_NO_TIME;

    if (node->key.len == 0 || node->key.len > PB_RIGHTS_TITLE_MAX
        || memchr(node->key.data, '/', node->key.len) != NULL
        || memchr(node->key.data, '\0', node->key.len) != NULL)
    {
        snprintf(err, PB_RIGHTS_ERR_LEN,
                 "title \"%.*s\" is empty, too long or has '/' or NUL",
                 nlen, node->key.data);
        return VOD_BAD_DATA;
    }

    t->name.data = env->alloc(env, node->key.len);
    if (t->name.data == NULL) {
        return VOD_ERROR;
    }

    memcpy(t->name.data, node->key.data, node->key.len);
    t->name.len = node->key.len;

    if (node->type != VOD_JSON_OBJECT) {
        snprintf(err, PB_RIGHTS_ERR_LEN, "title \"%.*s\" is not an object",
                 nlen, node->key.data);
        return VOD_BAD_DATA;
    }

    for (m = node->child; m != NULL; m = m->next) {

        if ((m->key.len == 5 && memcmp(m->key.data, "allow", 5) == 0)
            || (m->key.len == 4 && memcmp(m->key.data, "deny", 4) == 0))
        {
            if (t->has_list) {
                snprintf(err, PB_RIGHTS_ERR_LEN, "title \"%.*s\" has more "
                         "than one of \"allow\" and \"deny\"",
                         nlen, node->key.data);
                return VOD_BAD_DATA;
            }

            t->has_list = 1;
            t->deny = (m->key.len == 4);

            rc = pb_rights_countries(env, m, t, err);
            if (rc != VOD_OK) {
                if (rc == VOD_BAD_DATA) {
                    snprintf(err, PB_RIGHTS_ERR_LEN, "title \"%.*s\": "
                             "\"%s\" is not an array of country codes "
                             "such as \"US\"",
                             nlen, node->key.data,
                             t->deny ? "deny" : "allow");
                }
                return rc;
            }

            continue;
        }

        if (m->key.len == 4 && memcmp(m->key.data, "from", 4) == 0) {
            tp = &t->from;

        } else if (m->key.len == 5 && memcmp(m->key.data, "until", 5) == 0) {
            tp = &t->until;

        } else {
            snprintf(err, PB_RIGHTS_ERR_LEN,
                     "title \"%.*s\" has an unknown member \"%.*s\"",
                     nlen, node->key.data,
                     (int) (m->key.len > 32 ? 32 : m->key.len), m->key.data);
            return VOD_BAD_DATA;
        }

        if (*tp != PB_RIGHTS_NO_TIME) {
            snprintf(err, PB_RIGHTS_ERR_LEN, "title \"%.*s\" repeats \"%.*s\"",
                     nlen, node->key.data, (int) m->key.len, m->key.data);
            return VOD_BAD_DATA;
        }

        if (m->type == VOD_JSON_STRING) {
            *tp = pb_rights_parse_time(m->str.data, m->str.len);
        } else {
            *tp = -1;
        }

        if (*tp < 0) {
            snprintf(err, PB_RIGHTS_ERR_LEN, "title \"%.*s\": \"%.*s\" is "
                     "not a time such as \"2026-01-31T00:00:00Z\"",
                     nlen, node->key.data, (int) m->key.len, m->key.data);
            return VOD_BAD_DATA;
        }
    }

    if (t->from != PB_RIGHTS_NO_TIME && t->until != PB_RIGHTS_NO_TIME
        && t->from >= t->until)
    {
        snprintf(err, PB_RIGHTS_ERR_LEN,
                 "title \"%.*s\": \"from\" is not before \"until\"",
                 nlen, node->key.data);
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


static int
pb_rights_countries(vod_env_t *env, vod_json_t *list, pb_rights_title_t *t,
    char *err)
{
    uint32_t     i, n;
    vod_json_t  *c;

    if (list->type != VOD_JSON_ARRAY) {
        return VOD_BAD_DATA;
    }

    if (list->count) {
        t->countries = env->alloc(env, list->count * sizeof(uint16_t));
        if (t->countries == NULL) {
            return VOD_ERROR;
        }
    }

    n = 0;

    for (c = list->child; c != NULL; c = c->next) {
        if (c->type != VOD_JSON_STRING || c->str.len != 2
            || c->str.data[0] < 'A' || c->str.data[0] > 'Z'
            || c->str.data[1] < 'A' || c->str.data[1] > 'Z')
        {
            return VOD_BAD_DATA;
        }

        t->countries[n++] = (uint16_t) (c->str.data[0] << 8
                                        | c->str.data[1]);
    }

    if (n > 1) {
        qsort(t->countries, n, sizeof(uint16_t), pb_rights_cmp_country);
    }

    /* a repeated code is harmless: keep one */

    t->ncountries = n ? 1 : 0;

    for (i = 1; i < n; i++) {
        if (t->countries[i] != t->countries[t->ncountries - 1]) {
            t->countries[t->ncountries++] = t->countries[i];
        }
    }

    return VOD_OK;
}


int
pb_rights_check(const pb_rights_t *rights, const u_char *title, size_t len,
    const u_char *country, int64_t now, const pb_rights_title_t **entry)
{
    int                       c, listed;
    uint16_t                  code;
    uint32_t                  lo, hi, mid;
    const pb_rights_title_t  *t;

    *entry = NULL;
    t = NULL;

    lo = 0;
    hi = rights != NULL ? rights->ntitles : 0;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;
        c = pb_rights_name_cmp(title, len, rights->titles[mid].name.data,
                               rights->titles[mid].name.len);
        if (c == 0) {
            t = &rights->titles[mid];
            break;
        }

        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    if (t == NULL) {
        return PB_RIGHTS_UNKNOWN_TITLE;
    }

    *entry = t;

    if (t->from != PB_RIGHTS_NO_TIME && now < t->from) {
        return PB_RIGHTS_NOT_YET;
    }

    if (t->until != PB_RIGHTS_NO_TIME && now >= t->until) {
        return PB_RIGHTS_EXPIRED;
    }

    if (!t->has_list) {
        return PB_RIGHTS_OK;
    }

    if (country == NULL) {
        return PB_RIGHTS_UNKNOWN_COUNTRY;
    }

    code = (uint16_t) (country[0] << 8 | country[1]);

    listed = 0;
    lo = 0;
    hi = t->ncountries;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (t->countries[mid] == code) {
            listed = 1;
            break;
        }

        if (code < t->countries[mid]) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }

    return listed != t->deny ? PB_RIGHTS_OK : PB_RIGHTS_NOT_LICENSED;
}


int64_t
pb_rights_parse_time(const u_char *p, size_t len)
{
    int64_t     y, m, d, hh, mm, ss, era, yoe, doy, doe, days;
    size_t      i;
    const char  *fmt = "dddd-dd-ddTdd:dd:ddZ";

    if (len != 20) {
        return -1;
    }

    for (i = 0; i < len; i++) {
        if (fmt[i] == 'd' ? (p[i] < '0' || p[i] > '9') : p[i] != fmt[i]) {
            return -1;
        }
    }

#define pb_rights_num(o, n)                                                   \
    ((n) == 2 ? (p[o] - '0') * 10 + (p[o + 1] - '0')                          \
              : (p[o] - '0') * 1000 + (p[o + 1] - '0') * 100                  \
                + (p[o + 2] - '0') * 10 + (p[o + 3] - '0'))

    y = pb_rights_num(0, 4);
    m = pb_rights_num(5, 2);
    d = pb_rights_num(8, 2);
    hh = pb_rights_num(11, 2);
    mm = pb_rights_num(14, 2);
    ss = pb_rights_num(17, 2);

#undef pb_rights_num

    if (y < 1970 || m < 1 || m > 12 || d < 1 || hh > 23 || mm > 59
        || ss > 60)
    {
        return -1;
    }

    /* the days of each month, February of leap years included */

    if (d > (m == 2 ? ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0
                       ? 29 : 28)
             : (m == 4 || m == 6 || m == 9 || m == 11) ? 30 : 31))
    {
        return -1;
    }

    /* days from 1970-01-01 of a proleptic Gregorian date: the year is
     * counted from March, so that February's length comes last */

    y -= m <= 2;
    era = y / 400;
    yoe = y - era * 400;
    doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    days = era * 146097 + doe - 719468;

    /* a leap second counts as the next second's start */

    return days * 86400 + hh * 3600 + mm * 60 + ss;
}


const char *
pb_rights_reason(int rc)
{
    switch (rc) {

    case PB_RIGHTS_OK:
        return "licensed";

    case PB_RIGHTS_UNKNOWN_TITLE:
        return "unknown-title";

    case PB_RIGHTS_UNKNOWN_COUNTRY:
        return "unknown-country";

    case PB_RIGHTS_NOT_LICENSED:
        return "not-licensed";

    case PB_RIGHTS_NOT_YET:
        return "not-yet-available";

    default:
        return "expired";
    }
}


static int
pb_rights_cmp_title(const void *a, const void *b)
{
    const pb_rights_title_t  *ta = a, *tb = b;

    return pb_rights_name_cmp(ta->name.data, ta->name.len, tb->name.data,
                              tb->name.len);
}


static int
pb_rights_cmp_country(const void *a, const void *b)
{
    return (int) *(const uint16_t *) a - (int) *(const uint16_t *) b;
}


static int
pb_rights_name_cmp(const u_char *a, size_t alen, const u_char *b,
    size_t blen)
{
    int     c;
    size_t  n;

    n = alen < blen ? alen : blen;
    c = n ? memcmp(a, b, n) : 0;

    if (c != 0) {
        return c;
    }

    return alen < blen ? -1 : alen > blen;
}
