/*
 * st_decide.c: see st_decide.h.  A decision scans the fleet a few times
 * (its size is bounded by ST_MAX_CACHES) and keeps at most ST_RANK_MAX
 * caches: no sorting, no allocation.
 */

#include <math.h>

#include "st_decide.h"


#define ST_EARTH_RADIUS_KM  6371.0088
#define ST_NONE             ((uint32_t) -1)


typedef struct {
    const st_fleet_t    *fleet;
    const st_live_t     *live;
    const st_client_t   *client;
    const st_params_t   *params;
    const u_char        *title;
    size_t               title_len;
    uint64_t             hash[ST_MAX_CACHES];
    uint32_t             score[ST_MAX_CACHES];
    u_char               eligible[ST_MAX_CACHES];
    u_char               taken[ST_MAX_CACHES];
    u_char               scored[ST_MAX_CACHES];
} st_ctx_t;


static uint32_t st_tier_candidates(st_ctx_t *ctx, uint32_t tier,
    unsigned any);
static void st_subset(st_ctx_t *ctx, uint32_t n, uint32_t keep);
static uint32_t st_take(st_ctx_t *ctx, st_decision_t *d, uint32_t max);
static uint64_t st_mix(uint64_t h);


void
st_decide(const st_fleet_t *fleet, const st_live_t *live,
    const st_client_t *client, const u_char *title, size_t title_len,
    const st_params_t *params, st_decision_t *d)
{
    uint32_t   i, n, next, serving;
    st_ctx_t   ctx;

    ctx.fleet = fleet;
    ctx.live = live;
    ctx.client = client;
    ctx.params = params;
    ctx.title = title;
    ctx.title_len = title_len;

    memset(ctx.taken, 0, fleet->ncaches);
    memset(ctx.scored, 0, fleet->ncaches);
    memset(d, 0, sizeof(st_decision_t));

    /* ISP caches of the client's network */

    n = st_tier_candidates(&ctx, ST_TIER_ISP, 0);

    if (n > 0 && !params->has_presence && params->subset > 0
        && n > params->subset)
    {
        st_subset(&ctx, n, params->subset);
    }

    if (n > 0) {
        d->tier = ST_TIER_ISP;
        d->reason = ST_REASON_ASN_MATCH;
        d->primary_count = st_take(&ctx, d, 3);
        next = ST_TIER_IXP;

    } else {
        if (!client->has_asn) {
            d->reason = ST_REASON_NO_ASN;

        } else {
            serving = 0;

            for (i = 0; i < fleet->ncaches; i++) {
                if (fleet->caches[i].tier == ST_TIER_ISP
                    && st_cache_serves(&fleet->caches[i], client->asn))
                {
                    serving = 1;
                    break;
                }
            }

            d->reason = serving ? ST_REASON_ISP_UNAVAILABLE
                                : ST_REASON_NO_ISP_CACHE;
        }

        if (st_tier_candidates(&ctx, ST_TIER_IXP, 0) > 0) {
            d->tier = ST_TIER_IXP;
            d->primary_count = st_take(&ctx, d, 3);
            next = ST_TIER_ORIGIN;

        } else {
            d->tier = ST_TIER_ORIGIN;
            d->reason = ST_REASON_NO_EDGE;

            if (st_tier_candidates(&ctx, ST_TIER_ORIGIN, 0) == 0) {
                d->reason = ST_REASON_NONE_HEALTHY;
                (void) st_tier_candidates(&ctx, ST_TIER_ORIGIN, 1);
            }

            d->primary_count = st_take(&ctx, d, 3);
            next = ST_TIERS;
        }
    }

    d->ttl = params->ttl[d->tier];

    /* the best of the next tier that has a usable cache */

    for ( /* void */ ; next < ST_TIERS; next++) {
        if (st_tier_candidates(&ctx, next, 0) > 0) {
            (void) st_take(&ctx, d, 1);
            break;
        }
    }

    /* origin last, always: a player's last resort */

    for (i = 0; i < d->n; i++) {
        if (fleet->caches[d->rank[i]].tier == ST_TIER_ORIGIN) {
            return;
        }
    }

    if (st_tier_candidates(&ctx, ST_TIER_ORIGIN, 0) == 0) {
        (void) st_tier_candidates(&ctx, ST_TIER_ORIGIN, 1);
    }

    (void) st_take(&ctx, d, 1);
}


/* Marks the caches of a tier a client may use; any: every cache of the
 * tier, usable or not (the origins when none is healthy). */

static uint32_t
st_tier_candidates(st_ctx_t *ctx, uint32_t tier, unsigned any)
{
    uint32_t            i, n;
    const st_cache_t   *c;
    const st_live_t    *l;

    n = 0;

    for (i = 0; i < ctx->fleet->ncaches; i++) {
        c = &ctx->fleet->caches[i];
        l = &ctx->live[i];

        ctx->eligible[i] = 0;

        if (c->tier != tier || ctx->taken[i]) {
            continue;
        }

        if (!any && !l->usable) {
            continue;
        }

        if (tier == ST_TIER_ISP) {
            if (!ctx->client->has_asn
                || !st_cache_serves(c, ctx->client->asn))
            {
                continue;
            }

            if (ctx->params->has_presence && !l->present) {
                continue;
            }
        }

        ctx->eligible[i] = 1;
        n++;

        if (ctx->scored[i]) {
            continue;
        }

        /* once per cache and decision: a tier may be scanned twice */
        ctx->scored[i] = 1;
        ctx->hash[i] = st_rendezvous(c->id_hash, ctx->title,
                                     ctx->title_len);
        ctx->score[i] = st_score(c, l->load, ctx->client,
                                 ctx->params->range_km);
    }

    return n;
}


/* Keeps the `keep` eligible caches with the highest rendezvous hash. */

static void
st_subset(st_ctx_t *ctx, uint32_t n, uint32_t keep)
{
    uint32_t  i, k, best;
    u_char    kept[ST_MAX_CACHES];

    memset(kept, 0, ctx->fleet->ncaches);

    for (k = 0; k < keep && k < n; k++) {
        best = ST_NONE;

        for (i = 0; i < ctx->fleet->ncaches; i++) {
            if (ctx->eligible[i] && !kept[i]
                && (best == ST_NONE || ctx->hash[i] > ctx->hash[best]))
            {
                best = i;
            }
        }

        kept[best] = 1;
    }

    for (i = 0; i < ctx->fleet->ncaches; i++) {
        ctx->eligible[i] = kept[i];
    }
}


/* Appends up to max eligible caches, best score first, ties by hash. */

static uint32_t
st_take(st_ctx_t *ctx, st_decision_t *d, uint32_t max)
{
    uint32_t  i, k, best;

    for (k = 0; k < max && d->n < ST_RANK_MAX; k++) {
        best = ST_NONE;

        for (i = 0; i < ctx->fleet->ncaches; i++) {
            if (!ctx->eligible[i] || ctx->taken[i]) {
                continue;
            }

            if (best == ST_NONE
                || ctx->score[i] > ctx->score[best]
                || (ctx->score[i] == ctx->score[best]
                    && ctx->hash[i] > ctx->hash[best]))
            {
                best = i;
            }
        }

        if (best == ST_NONE) {
            break;
        }

        ctx->taken[best] = 1;
        d->rank[d->n] = best;
        d->score[d->n] = ctx->score[best];
        d->n++;
    }

    return k;
}


uint32_t
st_score(const st_cache_t *cache, double load, const st_client_t *client,
    double range_km)
{
    double  s, cap, proximity, km;

    if (!(load >= 0)) {
        load = 0;

    } else if (load > 1) {
        load = 1;
    }

    cap = cache->capacity_gbps / 100;

    if (cap > 1) {
        cap = 1;
    }

    proximity = 40;

    if (client->has_location && cache->has_location && range_km > 0) {
        km = st_distance_km(client->latitude, client->longitude,
                            cache->latitude, cache->longitude);

        proximity = km >= range_km ? 0 : 40 * (1 - km / range_km);
    }

    s = (1 - load) * 40 + cap * 20 + proximity;

    return (uint32_t) (s * 1000 + 0.5);
}


double
st_distance_km(double lat1, double lon1, double lat2, double lon2)
{
    double  p1, p2, dp, dl, a;

    p1 = lat1 * M_PI / 180;
    p2 = lat2 * M_PI / 180;
    dp = (lat2 - lat1) * M_PI / 180;
    dl = (lon2 - lon1) * M_PI / 180;

    a = sin(dp / 2) * sin(dp / 2)
        + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);

    if (a > 1) {
        a = 1;
    }

    return 2 * ST_EARTH_RADIUS_KM * asin(sqrt(a));
}


uint64_t
st_hash(const u_char *p, size_t len)
{
    size_t    i;
    uint64_t  h;

    h = 0xcbf29ce484222325ULL;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 0x100000001b3ULL;
    }

    return h;
}


uint64_t
st_rendezvous(uint64_t id_hash, const u_char *title, size_t len)
{
    return st_mix(st_mix(id_hash) ^ st_hash(title, len));
}


/* the splitmix64 finalizer: every input bit moves every output bit */

static uint64_t
st_mix(uint64_t h)
{
    h ^= h >> 30;
    h *= 0xbf58476d1ce4e5b9ULL;
    h ^= h >> 27;
    h *= 0x94d049bb133111ebULL;
    h ^= h >> 31;

    return h;
}


const char *
st_reason_name(uint32_t reason)
{
    static const char  *names[] = {
        "asn-match", "no-asn", "no-isp-cache", "isp-unavailable",
        "no-edge", "none-healthy", "policy"
    };

    return reason < sizeof(names) / sizeof(names[0]) ? names[reason]
                                                      : "unknown";
}
