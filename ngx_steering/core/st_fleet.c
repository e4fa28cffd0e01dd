/*
 * st_fleet.c: the fleet file (format in st_fleet.h), parsed with the
 * shared kit's JSON parser (shared/core/vod_json.c).
 */

#include <stdio.h>
#include <stdlib.h>

#include "st_decide.h"
#include "vod_json.h"


static int st_fleet_cache(vod_env_t *env, vod_json_t *node, st_cache_t *c,
    char *err);
static int st_fleet_url(vod_env_t *env, vod_json_t *v, st_cache_t *c,
    char *err);
static int st_fleet_asns(vod_env_t *env, vod_json_t *list, st_cache_t *c,
    char *err);
static int st_fleet_number(vod_json_t *v, double *out);
static vod_str_t *st_fleet_copy(vod_env_t *env, vod_str_t *dst,
    const vod_str_t *src);
static int st_fleet_cmp_asn(const void *a, const void *b);


#define st_key_is(node, name)                                                \
    ((node)->key.len == sizeof(name) - 1                                     \
     && memcmp((node)->key.data, name, sizeof(name) - 1) == 0)

#define st_short(s)  (int) ((s).len > 64 ? 64 : (s).len), (s).data


int
st_fleet_parse(vod_env_t *env, const u_char *buf, size_t len,
    st_fleet_t **out, char err[ST_FLEET_ERR_LEN])
{
    int                 rc;
    uint32_t            i, j;
    vod_json_t         *root, *caches, *node;
    st_fleet_t         *fleet;
    vod_json_limits_t   limits;

    memset(&limits, 0, sizeof(vod_json_limits_t));

    rc = vod_json_parse(env, buf, len, &limits, &root);

    if (rc == VOD_ERROR) {
        return VOD_ERROR;
    }

    if (rc != VOD_OK) {
        snprintf(err, ST_FLEET_ERR_LEN, "invalid JSON at byte %zu: %s",
                 limits.err_pos, limits.err);
        return VOD_BAD_DATA;
    }

    if (root->type != VOD_JSON_OBJECT) {
        snprintf(err, ST_FLEET_ERR_LEN, "not a JSON object");
        return VOD_BAD_DATA;
    }

    for (node = root->child; node != NULL; node = node->next) {
        if (!st_key_is(node, "caches")) {
            snprintf(err, ST_FLEET_ERR_LEN, "unknown member \"%.*s\"",
                     st_short(node->key));
            return VOD_BAD_DATA;
        }
    }

    caches = vod_json_get(root, "caches");

    if (caches == NULL || caches->type != VOD_JSON_ARRAY
        || vod_json_key_count(root, "caches") != 1)
    {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "\"caches\" is missing, repeated or not an array");
        return VOD_BAD_DATA;
    }

    if (caches->count == 0 || caches->count > ST_MAX_CACHES) {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "\"caches\" must list 1 to %d caches", ST_MAX_CACHES);
        return VOD_BAD_DATA;
    }

    fleet = env->alloc(env, sizeof(st_fleet_t));
    if (fleet == NULL) {
        return VOD_ERROR;
    }

    memset(fleet, 0, sizeof(st_fleet_t));

    fleet->caches = env->alloc(env, caches->count * sizeof(st_cache_t));
    if (fleet->caches == NULL) {
        return VOD_ERROR;
    }

    for (node = caches->child; node != NULL; node = node->next) {
        i = fleet->ncaches;

        rc = st_fleet_cache(env, node, &fleet->caches[i], err);
        if (rc != VOD_OK) {
            if (rc == VOD_BAD_DATA && strncmp(err, "cache", 5) != 0) {
                /* name the entry: "cache 3: ..." */
                char  msg[ST_FLEET_ERR_LEN];

                memcpy(msg, err, ST_FLEET_ERR_LEN);
                snprintf(err, ST_FLEET_ERR_LEN, "cache %u: %.160s", i + 1,
                         msg);
            }

            return rc;
        }

        for (j = 0; j < i; j++) {
            if (fleet->caches[j].id.len == fleet->caches[i].id.len
                && memcmp(fleet->caches[j].id.data, fleet->caches[i].id.data,
                          fleet->caches[i].id.len)
                   == 0)
            {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "cache \"%.*s\" is repeated",
                         st_short(fleet->caches[i].id));
                return VOD_BAD_DATA;
            }
        }

        fleet->ntier[fleet->caches[i].tier]++;
        fleet->ncaches++;
    }

    if (fleet->ntier[ST_TIER_ORIGIN] == 0) {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "no cache has \"tier\": \"origin\", the last resort");
        return VOD_BAD_DATA;
    }

    *out = fleet;

    return VOD_OK;
}


static int
st_fleet_cache(vod_env_t *env, vod_json_t *obj, st_cache_t *c, char *err)
{
    int          rc, has_lat, has_lon;
    vod_json_t  *v, *w, *id;

    memset(c, 0, sizeof(st_cache_t));

    if (obj->type != VOD_JSON_OBJECT) {
        snprintf(err, ST_FLEET_ERR_LEN, "not an object");
        return VOD_BAD_DATA;
    }

    id = vod_json_get(obj, "id");

    if (id == NULL || id->type != VOD_JSON_STRING
        || !st_id_valid(id->str.data, id->str.len))
    {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "\"id\" is missing or not 1 to %d of [A-Za-z0-9._-]",
                 ST_ID_MAX);
        return VOD_BAD_DATA;
    }

    if (st_fleet_copy(env, &c->id, &id->str) == NULL) {
        return VOD_ERROR;
    }

    c->id_hash = st_hash(c->id.data, c->id.len);
    c->tier = ST_TIERS;
    has_lat = 0;
    has_lon = 0;

    for (v = obj->child; v != NULL; v = v->next) {

        for (w = v->next; w != NULL; w = w->next) {
            if (w->key.len == v->key.len
                && memcmp(w->key.data, v->key.data, v->key.len) == 0)
            {
                snprintf(err, ST_FLEET_ERR_LEN, "\"%.*s\" is repeated",
                         st_short(v->key));
                rc = VOD_BAD_DATA;
                goto named;
            }
        }

        if (st_key_is(v, "id")) {
            continue;
        }

        if (st_key_is(v, "url")) {
            rc = st_fleet_url(env, v, c, err);
            if (rc != VOD_OK) {
                goto named;
            }

        } else if (st_key_is(v, "tier")) {
            if (v->type == VOD_JSON_STRING && v->str.len == 3
                && memcmp(v->str.data, "isp", 3) == 0)
            {
                c->tier = ST_TIER_ISP;

            } else if (v->type == VOD_JSON_STRING && v->str.len == 3
                       && memcmp(v->str.data, "ixp", 3) == 0)
            {
                c->tier = ST_TIER_IXP;

            } else if (v->type == VOD_JSON_STRING && v->str.len == 6
                       && memcmp(v->str.data, "origin", 6) == 0)
            {
                c->tier = ST_TIER_ORIGIN;

            } else {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "\"tier\" is not \"isp\", \"ixp\" or \"origin\"");
                rc = VOD_BAD_DATA;
                goto named;
            }

        } else if (st_key_is(v, "asns")) {
            rc = st_fleet_asns(env, v, c, err);
            if (rc != VOD_OK) {
                goto named;
            }

        } else if (st_key_is(v, "country")) {
            if (v->type != VOD_JSON_STRING || v->str.len != 2
                || v->str.data[0] < 'A' || v->str.data[0] > 'Z'
                || v->str.data[1] < 'A' || v->str.data[1] > 'Z')
            {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "\"country\" is not two capital letters");
                rc = VOD_BAD_DATA;
                goto named;
            }

            c->country[0] = v->str.data[0];
            c->country[1] = v->str.data[1];
            c->has_country = 1;

        } else if (st_key_is(v, "region")) {
            if (v->type != VOD_JSON_STRING || v->str.len > ST_ID_MAX) {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "\"region\" is not a string of at most %d bytes",
                         ST_ID_MAX);
                rc = VOD_BAD_DATA;
                goto named;
            }

            if (st_fleet_copy(env, &c->region, &v->str) == NULL) {
                return VOD_ERROR;
            }

        } else if (st_key_is(v, "latitude")) {
            if (st_fleet_number(v, &c->latitude) != VOD_OK
                || c->latitude < -90 || c->latitude > 90)
            {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "\"latitude\" is not a number from -90 to 90");
                rc = VOD_BAD_DATA;
                goto named;
            }

            has_lat = 1;

        } else if (st_key_is(v, "longitude")) {
            if (st_fleet_number(v, &c->longitude) != VOD_OK
                || c->longitude < -180 || c->longitude > 180)
            {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "\"longitude\" is not a number from -180 to 180");
                rc = VOD_BAD_DATA;
                goto named;
            }

            has_lon = 1;

        } else if (st_key_is(v, "capacity_gbps")) {
            if (st_fleet_number(v, &c->capacity_gbps) != VOD_OK
                || c->capacity_gbps < 0 || c->capacity_gbps > 1e9)
            {
                snprintf(err, ST_FLEET_ERR_LEN,
                         "\"capacity_gbps\" is not a number >= 0");
                rc = VOD_BAD_DATA;
                goto named;
            }

        } else {
            snprintf(err, ST_FLEET_ERR_LEN, "unknown member \"%.*s\"",
                     st_short(v->key));
            rc = VOD_BAD_DATA;
            goto named;
        }
    }

    if (c->url.len == 0) {
        snprintf(err, ST_FLEET_ERR_LEN, "\"url\" is missing");
        rc = VOD_BAD_DATA;
        goto named;
    }

    if (c->tier == ST_TIERS) {
        snprintf(err, ST_FLEET_ERR_LEN, "\"tier\" is missing");
        rc = VOD_BAD_DATA;
        goto named;
    }

    if (c->tier == ST_TIER_ISP && c->nasns == 0) {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "an ISP cache needs \"asns\", the networks it serves");
        rc = VOD_BAD_DATA;
        goto named;
    }

    if (has_lat != has_lon) {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "\"latitude\" and \"longitude\" go together");
        rc = VOD_BAD_DATA;
        goto named;
    }

    c->has_location = has_lat;

    return VOD_OK;

named:

    if (rc == VOD_BAD_DATA) {
        char  msg[ST_FLEET_ERR_LEN];

        memcpy(msg, err, ST_FLEET_ERR_LEN);
        snprintf(err, ST_FLEET_ERR_LEN, "cache \"%.*s\": %.110s",
                 st_short(c->id), msg);
    }

    return rc;
}


/* "http[s]://host[:port][/path]": host is kept for HLS Pathway clones
 * (URI-REPLACEMENT HOST replaces the host name only) */

static int
st_fleet_url(vod_env_t *env, vod_json_t *v, st_cache_t *c, char *err)
{
    u_char     *p, *end, *host;
    size_t      skip;
    vod_str_t   url;

    if (v->type != VOD_JSON_STRING || v->str.len > ST_URL_MAX) {
        goto bad;
    }

    url = v->str;

    while (url.len > 0 && url.data[url.len - 1] == '/') {
        url.len--;
    }

    if (url.len > 7 && memcmp(url.data, "http://", 7) == 0) {
        skip = 7;

    } else if (url.len > 8 && memcmp(url.data, "https://", 8) == 0) {
        skip = 8;

    } else {
        goto bad;
    }

    for (p = url.data; p < url.data + url.len; p++) {
        if (*p <= ' ' || *p >= 0x7f || *p == '"' || *p == '\\') {
            goto bad;
        }
    }

    host = url.data + skip;
    end = url.data + url.len;

    if (*host == '[') {
        for (p = host; p < end && *p != ']'; p++) { /* void */ }

        if (p == end) {
            goto bad;
        }

        p++;

    } else {
        for (p = host; p < end && *p != ':' && *p != '/' && *p != '?'
                       && *p != '#' && *p != '@';
             p++)
        {
            /* void */
        }

        if (p < end && (*p == '?' || *p == '#' || *p == '@')) {
            goto bad;
        }
    }

    if (p == host) {
        goto bad;
    }

    if (st_fleet_copy(env, &c->url, &url) == NULL) {
        return VOD_ERROR;
    }

    c->host.data = c->url.data + (host - url.data);
    c->host.len = p - host;

    return VOD_OK;

bad:

    snprintf(err, ST_FLEET_ERR_LEN,
             "\"url\" is not an http:// or https:// URL with a host");

    return VOD_BAD_DATA;
}


static int
st_fleet_asns(vod_env_t *env, vod_json_t *list, st_cache_t *c, char *err)
{
    uint32_t     i;
    vod_json_t  *v;

    if (list->type != VOD_JSON_ARRAY || list->count > ST_MAX_ASNS) {
        snprintf(err, ST_FLEET_ERR_LEN,
                 "\"asns\" is not an array of at most %d numbers",
                 ST_MAX_ASNS);
        return VOD_BAD_DATA;
    }

    if (list->count == 0) {
        return VOD_OK;
    }

    c->asns = env->alloc(env, list->count * sizeof(uint32_t));
    if (c->asns == NULL) {
        return VOD_ERROR;
    }

    i = 0;

    for (v = list->child; v != NULL; v = v->next) {
        if (v->type != VOD_JSON_NUMBER || !v->is_integer
            || v->integer < 1 || v->integer > 0xffffffffLL)
        {
            snprintf(err, ST_FLEET_ERR_LEN,
                     "\"asns\" has an entry that is not an AS number");
            return VOD_BAD_DATA;
        }

        c->asns[i++] = (uint32_t) v->integer;
    }

    qsort(c->asns, i, sizeof(uint32_t), st_fleet_cmp_asn);

    c->nasns = i;

    return VOD_OK;
}


static int
st_fleet_number(vod_json_t *v, double *out)
{
    char   buf[64], *end;

    if (v->type != VOD_JSON_NUMBER) {
        return VOD_BAD_DATA;
    }

    if (v->is_integer) {
        *out = (double) v->integer;
        return VOD_OK;
    }

    if (v->str.len >= sizeof(buf)) {
        return VOD_BAD_DATA;
    }

    memcpy(buf, v->str.data, v->str.len);
    buf[v->str.len] = '\0';

    *out = strtod(buf, &end);

    if (end != buf + v->str.len || *out != *out) {
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


static vod_str_t *
st_fleet_copy(vod_env_t *env, vod_str_t *dst, const vod_str_t *src)
{
    dst->data = env->alloc(env, src->len ? src->len : 1);
    if (dst->data == NULL) {
        return NULL;
    }

    memcpy(dst->data, src->data, src->len);
    dst->len = src->len;

    return dst;
}


st_cache_t *
st_fleet_find(const st_fleet_t *fleet, const u_char *id, size_t len)
{
    uint32_t     i;
    st_cache_t  *c;

    for (i = 0; i < fleet->ncaches; i++) {
        c = &fleet->caches[i];

        if (c->id.len == len && memcmp(c->id.data, id, len) == 0) {
            return c;
        }
    }

    return NULL;
}


int
st_cache_serves(const st_cache_t *cache, uint32_t asn)
{
    uint32_t  lo, hi, mid;

    lo = 0;
    hi = cache->nasns;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (cache->asns[mid] == asn) {
            return 1;
        }

        if (cache->asns[mid] < asn) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    return 0;
}


int
st_id_valid(const u_char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > ST_ID_MAX) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (!((p[i] >= 'a' && p[i] <= 'z') || (p[i] >= 'A' && p[i] <= 'Z')
              || (p[i] >= '0' && p[i] <= '9')
              || p[i] == '.' || p[i] == '-' || p[i] == '_'))
        {
            return 0;
        }
    }

    return 1;
}


const char *
st_tier_name(uint32_t tier)
{
    static const char  *names[] = { "isp", "ixp", "origin" };

    return tier < ST_TIERS ? names[tier] : "unknown";
}


static int
st_fleet_cmp_asn(const void *a, const void *b)
{
    uint32_t  x = *(const uint32_t *) a, y = *(const uint32_t *) b;

    return x < y ? -1 : x > y;
}
