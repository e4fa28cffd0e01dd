/*
 * fuzz_steering.c: libFuzzer target for the steering core: the fleet file
 * parser, then the decision and scoring over the fleet it gave.
 *
 * The input is a fleet file followed by 24 bytes that set the client
 * (ASN, country, location), the parameters (subset, range, presence) and,
 * cycled over the caches, each cache's load, health and presence.  An
 * input shorter than that is a fleet file alone.  Every allocation is
 * freed after each input, so ASan sees reads past what the parser
 * allocated; the decision is checked against what st_decide() promises.
 */

#include <stdlib.h>
#include <string.h>

#include "st_fleet.h"
#include "st_decide.h"
#include "fuzz/fuzz_env.h"


#define FUZZ_ST_KNOBS  24


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_st_decide(const st_fleet_t *fleet, const uint8_t *k);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char              err[ST_FLEET_ERR_LEN];
    u_char           *buf;
    size_t            len;
    uint32_t          i;
    vod_env_t         env;
    fuzz_ctx_t        ctx;
    st_fleet_t       *fleet;
    const uint8_t    *knobs;

    fuzz_env_init(&env, &ctx, data, size);

    knobs = NULL;
    len = size;

    if (size >= FUZZ_ST_KNOBS) {
        len = size - FUZZ_ST_KNOBS;
        knobs = data + len;
    }

    /* an exact-size copy: ASan catches a read past the end */

    buf = fuzz_alloc(&env, len);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, len);

    err[0] = '\0';

    if (st_fleet_parse(&env, buf, len, &fleet, err) != VOD_OK) {
        if (memchr(err, '\0', sizeof(err)) == NULL) {
            abort();
        }

        fuzz_env_free(&ctx);
        return 0;
    }

    if (fleet->ncaches == 0 || fleet->ncaches > ST_MAX_CACHES
        || fleet->ntier[0] + fleet->ntier[1] + fleet->ntier[2]
           != fleet->ncaches)
    {
        abort();
    }

    for (i = 0; i < fleet->ncaches; i++) {
        const st_cache_t  *c = &fleet->caches[i];

        if (c->tier >= ST_TIERS || c->id.len == 0 || c->id.len > ST_ID_MAX
            || c->url.len == 0 || c->url.len > ST_URL_MAX
            || !st_id_valid(c->id.data, c->id.len)
            || st_fleet_find(fleet, c->id.data, c->id.len) != c)
        {
            abort();
        }

        if (c->nasns > 0) {
            (void) st_cache_serves(c, c->asns[c->nasns - 1]);
        }
    }

    if (knobs != NULL) {
        fuzz_st_decide(fleet, knobs);
    }

    fuzz_env_free(&ctx);

    return 0;
}


static void
fuzz_st_decide(const st_fleet_t *fleet, const uint8_t *k)
{
    uint32_t        i, j;
    st_live_t      *live;
    st_params_t     params;
    st_client_t     client;
    st_decision_t   d;

    memset(&client, 0, sizeof(client));
    memset(&params, 0, sizeof(params));

    client.asn = (uint32_t) k[0] << 24 | (uint32_t) k[1] << 16
                 | (uint32_t) k[2] << 8 | k[3];
    client.has_asn = k[4] & 1;
    client.has_country = (k[4] >> 1) & 1;
    client.has_location = (k[4] >> 2) & 1;
    params.has_presence = (k[4] >> 3) & 1;
    client.country[0] = k[5];
    client.country[1] = k[6];

    /* the whole range and past it: -200..+200 degrees */
    client.latitude = ((int) (k[7] << 8 | k[8]) - 32768) / 163.84;
    client.longitude = ((int) (k[9] << 8 | k[10]) - 32768) / 163.84;

    params.subset = k[11] % 8;
    params.range_km = (k[12] << 8 | k[13]) * 0.5;
    params.ttl[0] = k[14];
    params.ttl[1] = k[15];
    params.ttl[2] = k[16];

    live = malloc(fleet->ncaches * sizeof(st_live_t));
    if (live == NULL) {
        return;
    }

    for (i = 0; i < fleet->ncaches; i++) {
        uint8_t  b = k[17 + i % 4];

        live[i].load = (b >> 3) / 31.0 * 1.2;
        live[i].usable = b & 1;
        live[i].healthy = (b >> 1) & 1;
        live[i].present = (b >> 2) & 1;
    }

    st_decide(fleet, live, &client, k + 21, 3, &params, &d);

    if (d.n > ST_RANK_MAX || d.tier >= ST_TIERS
        || d.reason > ST_REASON_POLICY)
    {
        abort();
    }

    /* every cache ranked is one of the fleet, once */

    for (i = 0; i < d.n; i++) {
        if (d.rank[i] >= fleet->ncaches) {
            abort();
        }

        for (j = 0; j < i; j++) {
            if (d.rank[j] == d.rank[i]) {
                abort();
            }
        }

        (void) st_score(&fleet->caches[d.rank[i]], live[d.rank[i]].load,
                        &client, params.range_km);
    }

    free(live);
}
