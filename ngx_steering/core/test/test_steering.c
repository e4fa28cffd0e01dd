/*
 * test_steering.c: the steering core: the fleet file and its errors,
 * great-circle distance against known city pairs, scores, each tier's
 * path, health and load, presence, rendezvous subsets and tie-breaking.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "st_decide.h"


typedef struct test_block_s  test_block_t;

struct test_block_s {
    test_block_t  *next;
    long double    data[];            /* max_align_t before C11 */
};


static void *test_alloc(vod_env_t *env, size_t size);
static void test_log(vod_env_t *env, const char *fmt, ...);
static int test_teardown(void **state);
static int test_parse(const char *json, st_fleet_t **fleet, char *err);
static void test_live(st_fleet_t *fleet, st_live_t *live);
static void test_params(st_params_t *p);
static const char *test_id(st_fleet_t *fleet, st_decision_t *d,
    uint32_t i);
static void test_fleet(void **state);
static void test_fleet_errors(void **state);
static void test_distance(void **state);
static void test_score(void **state);
static void test_tiers(void **state);
static void test_health_load(void **state);
static void test_presence(void **state);
static void test_rendezvous(void **state);
static void test_ties(void **state);


#define ST_EARTH_KM_PER_DEG  (6371.0088 * 3.14159265358979 / 180)


static test_block_t  *test_blocks;


/* Comcast (AS7922) has two caches in New York and one in Chicago; an IXP
 * in New York and one in Frankfurt; one origin */
static const char  *test_fleet_json =
    "{\"caches\": ["
    "{\"id\": \"isp-ny-1\", \"url\": \"http://ny1.isp.example:8081/\","
    " \"tier\": \"isp\", \"asns\": [7922, 7015], \"country\": \"US\","
    " \"latitude\": 40.71, \"longitude\": -74.01, \"capacity_gbps\": 100},"
    "{\"id\": \"isp-ny-2\", \"url\": \"http://ny2.isp.example\","
    " \"tier\": \"isp\", \"asns\": [7922], \"country\": \"US\","
    " \"latitude\": 40.71, \"longitude\": -74.01, \"capacity_gbps\": 100},"
    "{\"id\": \"isp-chi\", \"url\": \"https://chi.isp.example/edge\","
    " \"tier\": \"isp\", \"asns\": [7922], \"region\": \"us-central\","
    " \"latitude\": 41.88, \"longitude\": -87.63, \"capacity_gbps\": 100},"
    "{\"id\": \"ixp-nyc\", \"url\": \"http://nyc.ixp.example\","
    " \"tier\": \"ixp\", \"latitude\": 40.7, \"longitude\": -74.0,"
    " \"capacity_gbps\": 400},"
    "{\"id\": \"ixp-fra\", \"url\": \"http://fra.ixp.example\","
    " \"tier\": \"ixp\", \"latitude\": 50.11, \"longitude\": 8.68,"
    " \"capacity_gbps\": 400},"
    "{\"id\": \"origin\", \"url\": \"http://origin.example\","
    " \"tier\": \"origin\"}"
    "]}";


static void *
test_alloc(vod_env_t *env, size_t size)
{
    test_block_t  *b;

    b = malloc(sizeof(test_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = test_blocks;
    test_blocks = b;

    return b->data;
}


static void
test_log(vod_env_t *env, const char *fmt, ...)
{
}


static int
test_teardown(void **state)
{
    test_block_t  *b;

    while (test_blocks != NULL) {
        b = test_blocks;
        test_blocks = b->next;
        free(b);
    }

    return 0;
}


static int
test_parse(const char *json, st_fleet_t **fleet, char *err)
{
    vod_env_t  env;

    env.alloc = test_alloc;
    env.log = test_log;
    env.read = NULL;
    env.data = NULL;

    err[0] = '\0';

    return st_fleet_parse(&env, (const u_char *) json, strlen(json), fleet,
                          err);
}


static void
test_live(st_fleet_t *fleet, st_live_t *live)
{
    uint32_t  i;

    for (i = 0; i < fleet->ncaches; i++) {
        live[i].load = 0;
        live[i].usable = 1;
        live[i].healthy = 1;
        live[i].present = 0;
    }
}


static void
test_params(st_params_t *p)
{
    memset(p, 0, sizeof(st_params_t));
    p->subset = 0;
    p->range_km = 2000;
    p->ttl[ST_TIER_ISP] = 300;
    p->ttl[ST_TIER_IXP] = 60;
    p->ttl[ST_TIER_ORIGIN] = 30;
}


static const char *
test_id(st_fleet_t *fleet, st_decision_t *d, uint32_t i)
{
    static char  buf[ST_ID_MAX + 1];
    st_cache_t  *c;

    if (i >= d->n) {
        return "-";
    }

    c = &fleet->caches[d->rank[i]];
    memcpy(buf, c->id.data, c->id.len);
    buf[c->id.len] = '\0';

    return buf;
}


static void
test_fleet(void **state)
{
    st_fleet_t  *fleet;
    st_cache_t  *c;
    char         err[ST_FLEET_ERR_LEN];

    assert_int_equal(test_parse(test_fleet_json, &fleet, err), VOD_OK);
    assert_int_equal(fleet->ncaches, 6);
    assert_int_equal(fleet->ntier[ST_TIER_ISP], 3);
    assert_int_equal(fleet->ntier[ST_TIER_IXP], 2);
    assert_int_equal(fleet->ntier[ST_TIER_ORIGIN], 1);

    c = st_fleet_find(fleet, (u_char *) "isp-ny-1", 8);
    assert_non_null(c);
    assert_int_equal(c->url.len, strlen("http://ny1.isp.example:8081"));
    assert_memory_equal(c->url.data, "http://ny1.isp.example:8081",
                        c->url.len);
    assert_int_equal(c->host.len, strlen("ny1.isp.example"));
    assert_memory_equal(c->host.data, "ny1.isp.example", c->host.len);
    assert_int_equal(c->nasns, 2);
    assert_int_equal(c->asns[0], 7015);
    assert_true(st_cache_serves(c, 7922));
    assert_true(st_cache_serves(c, 7015));
    assert_false(st_cache_serves(c, 7018));
    assert_true(c->has_location);
    assert_true(c->has_country);

    c = st_fleet_find(fleet, (u_char *) "isp-chi", 7);
    assert_non_null(c);
    assert_memory_equal(c->host.data, "chi.isp.example", c->host.len);
    assert_memory_equal(c->region.data, "us-central", c->region.len);
    assert_false(c->has_country);

    c = st_fleet_find(fleet, (u_char *) "origin", 6);
    assert_non_null(c);
    assert_false(c->has_location);
    assert_true(c->capacity_gbps == 0);

    assert_null(st_fleet_find(fleet, (u_char *) "nope", 4));
}


static void
test_fleet_errors(void **state)
{
    st_fleet_t  *fleet;
    char         err[ST_FLEET_ERR_LEN];
    size_t       i;

    static const struct {
        const char  *json;
        const char  *err;
    } bad[] = {
        { "[]", "not a JSON object" },
        { "{\"caches\": [}", "invalid JSON at byte" },
        { "{\"cache\": []}", "unknown member \"cache\"" },
        { "{\"caches\": []}", "\"caches\" must list 1 to" },
        { "{\"caches\": [{\"id\": \"a b\", \"url\": \"http://x\","
          " \"tier\": \"origin\"}]}", "cache 1: \"id\" is missing" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"ftp://x\","
          " \"tier\": \"origin\"}]}", "cache \"o\": \"url\" is not" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://\","
          " \"tier\": \"origin\"}]}", "cache \"o\": \"url\" is not" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"cdn\"}]}", "cache \"o\": \"tier\" is not" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\"}]}",
          "cache \"o\": \"tier\" is missing" },
        { "{\"caches\": [{\"id\": \"o\", \"tier\": \"origin\"}]}",
          "cache \"o\": \"url\" is missing" },
        { "{\"caches\": [{\"id\": \"i\", \"url\": \"http://x\","
          " \"tier\": \"isp\"}, {\"id\": \"o\", \"url\": \"http://o\","
          " \"tier\": \"origin\"}]}", "cache \"i\": an ISP cache needs" },
        { "{\"caches\": [{\"id\": \"i\", \"url\": \"http://x\","
          " \"tier\": \"isp\", \"asns\": [\"7922\"]}]}",
          "cache \"i\": \"asns\" has an entry" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\", \"asn\": [1]}]}",
          "cache \"o\": unknown member \"asn\"" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\", \"latitude\": 91, \"longitude\": 0}]}",
          "cache \"o\": \"latitude\" is not" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\", \"latitude\": 9}]}",
          "cache \"o\": \"latitude\" and \"longitude\" go together" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\", \"country\": \"us\"}]}",
          "cache \"o\": \"country\" is not" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\", \"tier\": \"origin\"}]}",
          "cache \"o\": \"tier\" is repeated" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\"}, {\"id\": \"o\", \"url\": \"http://y\","
          " \"tier\": \"origin\"}]}", "cache \"o\" is repeated" },
        { "{\"caches\": [{\"id\": \"x\", \"url\": \"http://x\","
          " \"tier\": \"ixp\"}]}", "no cache has \"tier\": \"origin\"" },
        { "{\"caches\": [{\"id\": \"o\", \"url\": \"http://x\","
          " \"tier\": \"origin\", \"capacity_gbps\": -1}]}",
          "cache \"o\": \"capacity_gbps\" is not" },
    };

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(test_parse(bad[i].json, &fleet, err), VOD_BAD_DATA);

        if (strstr(err, bad[i].err) == NULL) {
            fail_msg("%s: \"%s\" lacks \"%s\"", bad[i].json, err, bad[i].err);
        }
    }
}


static void
test_distance(void **state)
{
    double  km;

    /* New York - London 5570 km, Paris - Berlin 878 km, along the
     * haversine on a sphere of 6371 km (published great-circle figures) */

    km = st_distance_km(40.7128, -74.0060, 51.5074, -0.1278);
    assert_true(km > 5560 && km < 5580);

    km = st_distance_km(48.8566, 2.3522, 52.5200, 13.4050);
    assert_true(km > 872 && km < 884);

    assert_true(st_distance_km(10, 20, 10, 20) < 1e-9);

    /* antipodes: half the circumference */
    km = st_distance_km(0, 0, 0, 180);
    assert_true(km > 20015 && km < 20016);
}


static void
test_score(void **state)
{
    st_cache_t   c;
    st_client_t  cl;

    memset(&c, 0, sizeof(c));
    memset(&cl, 0, sizeof(cl));

    /* unknown locations: the platform's flat 40 */
    c.capacity_gbps = 100;
    assert_int_equal(st_score(&c, 0, &cl, 2000), 100000);
    assert_int_equal(st_score(&c, 0.5, &cl, 2000), 80000);
    assert_int_equal(st_score(&c, 1, &cl, 2000), 60000);

    /* capacity counts up to 100 Gbps */
    c.capacity_gbps = 50;
    assert_int_equal(st_score(&c, 0, &cl, 2000), 90000);
    c.capacity_gbps = 400;
    assert_int_equal(st_score(&c, 0, &cl, 2000), 100000);

    /* distance: 0 km is 40, half the range 20, beyond it 0 */
    c.has_location = 1;
    c.latitude = 0;
    c.longitude = 0;
    cl.has_location = 1;
    cl.latitude = 0;
    cl.longitude = 0;
    assert_int_equal(st_score(&c, 0, &cl, 2000), 100000);

    cl.longitude = 1000 / (ST_EARTH_KM_PER_DEG);
    assert_true(abs((int) st_score(&c, 0, &cl, 2000) - 80000) < 10);

    cl.longitude = 40;
    assert_int_equal(st_score(&c, 0, &cl, 2000), 60000);

    /* range 0: distance is ignored */
    assert_int_equal(st_score(&c, 0, &cl, 0), 100000);
}


static void
test_tiers(void **state)
{
    st_fleet_t     *fleet;
    st_live_t       live[8];
    st_params_t     p;
    st_client_t     cl;
    st_decision_t   d;
    char            err[ST_FLEET_ERR_LEN];

    assert_int_equal(test_parse(test_fleet_json, &fleet, err), VOD_OK);
    test_live(fleet, live);
    test_params(&p);

    /* a Comcast client in New York: its ISP caches, nearest first, then
     * the best IXP, then origin */
    memset(&cl, 0, sizeof(cl));
    cl.has_asn = 1;
    cl.asn = 7922;
    cl.has_location = 1;
    cl.latitude = 40.73;
    cl.longitude = -73.99;

    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);

    assert_int_equal(d.tier, ST_TIER_ISP);
    assert_int_equal(d.ttl, 300);
    assert_int_equal(d.reason, ST_REASON_ASN_MATCH);
    assert_int_equal(d.primary_count, 3);
    assert_int_equal(d.n, 5);
    assert_string_equal(test_id(fleet, &d, 2), "isp-chi");
    assert_string_equal(test_id(fleet, &d, 3), "ixp-nyc");
    assert_string_equal(test_id(fleet, &d, 4), "origin");

    /* another network: IXPs, the nearer first, then origin */
    cl.asn = 3320;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);

    assert_int_equal(d.tier, ST_TIER_IXP);
    assert_int_equal(d.ttl, 60);
    assert_int_equal(d.reason, ST_REASON_NO_ISP_CACHE);
    assert_int_equal(d.primary_count, 2);
    assert_string_equal(test_id(fleet, &d, 0), "ixp-nyc");
    assert_string_equal(test_id(fleet, &d, 1), "ixp-fra");
    assert_string_equal(test_id(fleet, &d, 2), "origin");
    assert_int_equal(d.n, 3);

    /* a client in Frankfurt prefers Frankfurt */
    cl.latitude = 50.0;
    cl.longitude = 8.5;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_string_equal(test_id(fleet, &d, 0), "ixp-fra");

    /* no ASN known */
    cl.has_asn = 0;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.reason, ST_REASON_NO_ASN);
    assert_int_equal(d.tier, ST_TIER_IXP);

    /* no IXP usable: origin */
    live[3].usable = 0;
    live[4].usable = 0;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.tier, ST_TIER_ORIGIN);
    assert_int_equal(d.reason, ST_REASON_NO_EDGE);
    assert_int_equal(d.ttl, 30);
    assert_int_equal(d.n, 1);
    assert_string_equal(test_id(fleet, &d, 0), "origin");

    /* not even origin is healthy: origin all the same */
    live[5].usable = 0;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.reason, ST_REASON_NONE_HEALTHY);
    assert_int_equal(d.n, 1);
    assert_string_equal(test_id(fleet, &d, 0), "origin");
}


static void
test_health_load(void **state)
{
    st_fleet_t     *fleet;
    st_live_t       live[8];
    st_params_t     p;
    st_client_t     cl;
    st_decision_t   d;
    char            err[ST_FLEET_ERR_LEN];

    assert_int_equal(test_parse(test_fleet_json, &fleet, err), VOD_OK);
    test_live(fleet, live);
    test_params(&p);

    memset(&cl, 0, sizeof(cl));
    cl.has_asn = 1;
    cl.asn = 7922;

    /* without locations the two New York caches tie with Chicago; load
     * decides: the least loaded is primary */
    live[0].load = 0.5;
    live[1].load = 0.1;
    live[2].load = 0.3;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_string_equal(test_id(fleet, &d, 0), "isp-ny-2");
    assert_string_equal(test_id(fleet, &d, 1), "isp-chi");
    assert_string_equal(test_id(fleet, &d, 2), "isp-ny-1");
    assert_int_equal(d.score[0], 96000);

    /* an unhealthy cache drops out of the ranking */
    live[1].usable = 0;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.primary_count, 2);
    assert_string_equal(test_id(fleet, &d, 0), "isp-chi");
    assert_string_equal(test_id(fleet, &d, 1), "isp-ny-1");
    assert_int_equal(fleet->caches[d.rank[2]].tier, ST_TIER_IXP);

    /* all of the ASN's caches down: IXP, reason says why */
    live[0].usable = 0;
    live[2].usable = 0;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.tier, ST_TIER_IXP);
    assert_int_equal(d.reason, ST_REASON_ISP_UNAVAILABLE);
}


static void
test_presence(void **state)
{
    st_fleet_t     *fleet;
    st_live_t       live[8];
    st_params_t     p;
    st_client_t     cl;
    st_decision_t   d;
    char            err[ST_FLEET_ERR_LEN];

    assert_int_equal(test_parse(test_fleet_json, &fleet, err), VOD_OK);
    test_live(fleet, live);
    test_params(&p);

    memset(&cl, 0, sizeof(cl));
    cl.has_asn = 1;
    cl.asn = 7922;

    /* only Chicago holds the title */
    p.has_presence = 1;
    live[2].present = 1;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.primary_count, 1);
    assert_string_equal(test_id(fleet, &d, 0), "isp-chi");
    assert_int_equal(fleet->caches[d.rank[1]].tier, ST_TIER_IXP);

    /* nobody holds it: IXP */
    live[2].present = 0;
    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.tier, ST_TIER_IXP);
    assert_int_equal(d.reason, ST_REASON_ISP_UNAVAILABLE);
}


static void
test_rendezvous(void **state)
{
    st_fleet_t     *fleet;
    st_live_t       live[8];
    st_params_t     p;
    st_client_t     cl;
    st_decision_t   d, d2;
    char            title[32], err[ST_FLEET_ERR_LEN];
    uint32_t        i, k, counts[3], moved;
    int             n;

    assert_int_equal(test_parse(test_fleet_json, &fleet, err), VOD_OK);
    test_live(fleet, live);
    test_params(&p);

    memset(&cl, 0, sizeof(cl));
    cl.has_asn = 1;
    cl.asn = 7922;

    /* a subset of one: each title has one ISP cache, the same every
     * time, and titles spread over the three */
    p.subset = 1;
    memset(counts, 0, sizeof(counts));

    for (i = 0; i < 300; i++) {
        n = snprintf(title, sizeof(title), "title-%u", i);

        st_decide(fleet, live, &cl, (u_char *) title, n, &p, &d);
        assert_int_equal(d.primary_count, 1);
        assert_true(d.rank[0] < 3);
        counts[d.rank[0]]++;

        st_decide(fleet, live, &cl, (u_char *) title, n, &p, &d2);
        assert_int_equal(d.rank[0], d2.rank[0]);
    }

    for (k = 0; k < 3; k++) {
        assert_true(counts[k] > 60);
    }

    /* a cache going down moves only its own titles */
    moved = 0;

    for (i = 0; i < 300; i++) {
        n = snprintf(title, sizeof(title), "title-%u", i);

        live[0].usable = 1;
        st_decide(fleet, live, &cl, (u_char *) title, n, &p, &d);
        live[0].usable = 0;
        st_decide(fleet, live, &cl, (u_char *) title, n, &p, &d2);

        if (d.rank[0] != d2.rank[0]) {
            assert_int_equal(d.rank[0], 0);
            moved++;
        }
    }

    assert_int_equal(moved, counts[0]);
}


static void
test_ties(void **state)
{
    st_fleet_t     *fleet;
    st_live_t       live[8];
    st_params_t     p;
    st_client_t     cl;
    st_decision_t   d;
    char            err[ST_FLEET_ERR_LEN];
    uint64_t        h0, h1;
    uint32_t        first;

    assert_int_equal(test_parse(test_fleet_json, &fleet, err), VOD_OK);
    test_live(fleet, live);
    test_params(&p);

    memset(&cl, 0, sizeof(cl));
    cl.has_asn = 1;
    cl.asn = 7922;
    cl.has_location = 1;
    cl.latitude = 40.71;
    cl.longitude = -74.01;

    /* the two New York caches score the same: the title's rendezvous
     * hash decides, the same way every time */
    h0 = st_rendezvous(fleet->caches[0].id_hash, (u_char *) "demo", 4);
    h1 = st_rendezvous(fleet->caches[1].id_hash, (u_char *) "demo", 4);
    assert_true(h0 != h1);

    st_decide(fleet, live, &cl, (u_char *) "demo", 4, &p, &d);
    assert_int_equal(d.score[0], d.score[1]);
    first = h0 > h1 ? 0 : 1;
    assert_int_equal(d.rank[0], first);
    assert_int_equal(d.rank[1], 1 - first);

    /* a function of the title: some title picks the other one first */
    {
        char      title[32];
        uint32_t  i, other;
        int       n;

        other = 0;

        for (i = 0; i < 64; i++) {
            n = snprintf(title, sizeof(title), "t%u", i);
            st_decide(fleet, live, &cl, (u_char *) title, n, &p, &d);

            if (d.rank[0] != first) {
                other++;
            }
        }

        assert_true(other > 10 && other < 54);
    }

    assert_string_equal(st_reason_name(ST_REASON_NO_EDGE), "no-edge");
    assert_string_equal(st_tier_name(ST_TIER_IXP), "ixp");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_fleet, test_teardown),
        cmocka_unit_test_teardown(test_fleet_errors, test_teardown),
        cmocka_unit_test_teardown(test_distance, test_teardown),
        cmocka_unit_test_teardown(test_score, test_teardown),
        cmocka_unit_test_teardown(test_tiers, test_teardown),
        cmocka_unit_test_teardown(test_health_load, test_teardown),
        cmocka_unit_test_teardown(test_presence, test_teardown),
        cmocka_unit_test_teardown(test_rendezvous, test_teardown),
        cmocka_unit_test_teardown(test_ties, test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
