/*
 * test_metrics.c: the metrics block: its layout (slots per family), the
 * Prometheus text rendered from it (counters, labels, a histogram's
 * cumulative buckets, sum and count), tables refused for bad syntax,
 * blocks refused when corrupt, and rendering into a short buffer.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vod_metrics.h"


static const char *const  test_kinds[] = { "manifest", "segment", NULL };
static const char *const  test_status[] = { "2xx", "4xx", NULL };
static const uint64_t  test_bounds[] = { 500, 1000, 250000, 0 };


static const vod_metric_family_t  test_families[] = {

    { "requests_total", "Requests by kind and status.", VOD_METRIC_COUNTER,
      { "kind", "status" }, { test_kinds, test_status }, NULL, 0, 0 },

    { "evictions_total", "Evictions.", VOD_METRIC_COUNTER,
      { NULL, NULL }, { NULL, NULL }, NULL, 0, 0 },

    { "state", "A gauge.", VOD_METRIC_GAUGE,
      { "kind", NULL }, { test_kinds, NULL }, NULL, 0, 0 },

    { "latency_seconds", "Latency.", VOD_METRIC_HISTOGRAM,
      { NULL, NULL }, { NULL, NULL }, test_bounds, 1000000, 0 },
};

#define TEST_N  (sizeof(test_families) / sizeof(test_families[0]))


static u_char *
test_block(size_t *size, uint32_t *base)
{
    u_char  *block;

    *size = vod_metrics_build("vodedge_test_", test_families, TEST_N, NULL,
                              0, NULL);
    assert_true(*size > 0);

    block = aligned_alloc(8, (*size + 7) & ~(size_t) 7);
    assert_non_null(block);

    assert_int_equal(vod_metrics_build("vodedge_test_", test_families,
                                       TEST_N, block, *size, base),
                     *size);

    return block;
}


static void
test_metrics_layout(void **state)
{
    size_t                 size;
    u_char                *block;
    uint32_t               base[TEST_N];
    vod_metrics_header_t  *h;

    block = test_block(&size, base);
    h = (vod_metrics_header_t *) block;

    /* 2x2 counters, 1, 2 gauges, 3 buckets + Inf + sum */
    assert_int_equal(h->nnames, 0);
    assert_int_equal(base[0], 0);
    assert_int_equal(base[1], 4);
    assert_int_equal(base[2], 5);
    assert_int_equal(base[3], 7);
    assert_int_equal(h->nslots, 12);
    assert_int_equal(h->slots_off % 8, 0);
    assert_int_equal(vod_metrics_check(block, size), size);
    assert_int_equal(vod_metrics_check(block, size - 1), 0);

    free(block);
}


static void
test_metrics_render(void **state)
{
    size_t              size, len;
    u_char             *block;
    uint32_t            base[TEST_N];
    char                out[4096];
    vod_metric_slot_t  *slots;
    vod_metrics_header_t  *h;

    static const char  expect[] =
        "# HELP vodedge_test_requests_total Requests by kind and status.\n"
        "# TYPE vodedge_test_requests_total counter\n"
        "vodedge_test_requests_total{kind=\"manifest\",status=\"2xx\"} 0\n"
        "vodedge_test_requests_total{kind=\"manifest\",status=\"4xx\"} 3\n"
        "vodedge_test_requests_total{kind=\"segment\",status=\"2xx\"} 7\n"
        "vodedge_test_requests_total{kind=\"segment\",status=\"4xx\"} 0\n"
        "# HELP vodedge_test_evictions_total Evictions.\n"
        "# TYPE vodedge_test_evictions_total counter\n"
        "vodedge_test_evictions_total 18446744073709551615\n"
        "# HELP vodedge_test_state A gauge.\n"
        "# TYPE vodedge_test_state gauge\n"
        "vodedge_test_state{kind=\"manifest\"} -2\n"
        "vodedge_test_state{kind=\"segment\"} 1\n"
        "# HELP vodedge_test_latency_seconds Latency.\n"
        "# TYPE vodedge_test_latency_seconds histogram\n"
        "vodedge_test_latency_seconds_bucket{le=\"0.0005\"} 1\n"
        "vodedge_test_latency_seconds_bucket{le=\"0.001\"} 1\n"
        "vodedge_test_latency_seconds_bucket{le=\"0.25\"} 3\n"
        "vodedge_test_latency_seconds_bucket{le=\"+Inf\"} 4\n"
        "vodedge_test_latency_seconds_sum 2.5003\n"
        "vodedge_test_latency_seconds_count 4\n";

    block = test_block(&size, base);
    h = (vod_metrics_header_t *) block;
    slots = (vod_metric_slot_t *) (block + h->slots_off);

    slots[base[0] + 1] = 3;                 /* manifest, 4xx */
    slots[base[0] + 2] = 7;                 /* segment, 2xx */
    slots[base[1]] = (vod_metric_slot_t) -1;
    slots[base[2]] = (vod_metric_slot_t) -2;
    slots[base[2] + 1] = 1;
    slots[base[3]] = 1;                     /* 300 us */
    slots[base[3] + 2] = 2;                 /* 100 ms each */
    slots[base[3] + 3] = 1;                 /* 2.3 s */
    slots[base[3] + 4] = 300 + 200000 + 2300000;

    len = vod_metrics_render(block, (u_char *) out, sizeof(out));
    assert_int_equal(len, sizeof(expect) - 1);
    assert_memory_equal(out, expect, len);

    /* short: the length needed, nothing past the buffer */
    memset(out, 'x', sizeof(out));
    assert_int_equal(vod_metrics_render(block, (u_char *) out, 10), len);
    assert_int_equal(out[10], 'x');
    assert_int_equal(vod_metrics_render(block, NULL, 0), len);

    free(block);
}


/* a gauge whose series are named at run time, rendered with its scale */

static void
test_metrics_named(void **state)
{
    size_t                 size, len;
    u_char                *block;
    uint32_t               base[2];
    char                   out[1024];
    vod_metric_slot_t     *slots;
    vod_metrics_header_t  *h;
    vod_metric_family_t    f[2];

    static const char  expect[] =
        "# HELP p_evictions_total Evictions.\n"
        "# TYPE p_evictions_total counter\n"
        "p_evictions_total 0\n"
        "# HELP p_load Load.\n"
        "# TYPE p_load gauge\n"
        "p_load{cache=\"isp-ny-1\",kind=\"manifest\"} 0.25\n"
        "p_load{cache=\"isp-ny-1\",kind=\"segment\"} 1\n"
        "p_load{cache=\"c\",kind=\"manifest\"} 0\n"
        "p_load{cache=\"c\",kind=\"segment\"} 0.0001\n";

    f[0] = test_families[1];
    memset(&f[1], 0, sizeof(vod_metric_family_t));
    f[1].name = "load";
    f[1].help = "Load.";
    f[1].type = VOD_METRIC_GAUGE;
    f[1].label[0] = "cache";
    f[1].label[1] = "kind";
    f[1].values[1] = test_kinds;
    f[1].scale = 10000;
    f[1].series = 3;

    size = vod_metrics_build("p_", f, 2, NULL, 0, NULL);
    assert_true(size > 0);
    block = aligned_alloc(8, (size + 7) & ~(size_t) 7);
    assert_non_null(block);
    assert_int_equal(vod_metrics_build("p_", f, 2, block, size, base), size);
    assert_int_equal(vod_metrics_check(block, size), size);

    h = (vod_metrics_header_t *) block;
    slots = (vod_metric_slot_t *) (block + h->slots_off);
    assert_int_equal(h->nnames, 3);
    assert_int_equal(h->nslots, 1 + 3 * 2);

    slots[base[1] + 0] = 2500;
    slots[base[1] + 1] = 10000;
    slots[base[1] + 3] = 7;             /* series 1: no name, not shown */
    slots[base[1] + 5] = 1;

    assert_int_equal(vod_metrics_name(block, 0, (u_char *) "isp-ny-1", 8),
                     0);
    assert_int_equal(vod_metrics_name(block, 2, (u_char *) "c", 1), 0);

    /* not a valid label value, out of bounds: refused, nothing written */
    assert_int_equal(vod_metrics_name(block, 1, (u_char *) "a\"b", 3), -1);
    assert_int_equal(vod_metrics_name(block, 3, (u_char *) "d", 1), -1);

    len = vod_metrics_render(block, (u_char *) out, sizeof(out));
    assert_int_equal(len, sizeof(expect) - 1);
    assert_memory_equal(out, expect, len);

    /* unnamed again */
    assert_int_equal(vod_metrics_name(block, 2, (u_char *) "", 0), 0);
    len = vod_metrics_render(block, (u_char *) out, sizeof(out));
    assert_int_equal(len, sizeof(expect) - 1 - 2 * 38);

    free(block);
}


static void
test_metrics_refused(void **state)
{
    vod_metric_family_t  f;

    static const char *const  bad_value[] = { "a b", NULL };
    static const char *const  quote[] = { "a\"", NULL };
    static const uint64_t  descending[] = { 10, 5, 0 };

    f = test_families[0];
    f.name = "9lives";
    assert_int_equal(vod_metrics_build("p_", &f, 1, NULL, 0, NULL), 0);

    f = test_families[0];
    f.help = "a\\b";
    assert_int_equal(vod_metrics_build("p_", &f, 1, NULL, 0, NULL), 0);

    f = test_families[0];
    f.values[0] = bad_value;
    assert_int_equal(vod_metrics_build("p_", &f, 1, NULL, 0, NULL), 0);

    f.values[0] = quote;
    assert_int_equal(vod_metrics_build("p_", &f, 1, NULL, 0, NULL), 0);

    f = test_families[0];
    f.label[1] = "le";
    assert_int_equal(vod_metrics_build("p_", &f, 1, NULL, 0, NULL), 0);

    f = test_families[3];
    f.bounds = descending;
    assert_int_equal(vod_metrics_build("p_", &f, 1, (u_char *) &f,
                                       0, NULL), 0);

    f = test_families[0];
    assert_int_equal(vod_metrics_build("bad prefix", &f, 1, NULL, 0, NULL),
                     0);
}


static void
test_metrics_corrupt(void **state)
{
    size_t                 size;
    u_char                *block;
    vod_metrics_header_t  *h;

    block = test_block(&size, NULL);
    h = (vod_metrics_header_t *) block;

    h->magic++;
    assert_int_equal(vod_metrics_check(block, size), 0);
    h->magic--;

    h->version++;
    assert_int_equal(vod_metrics_check(block, size), 0);
    h->version--;

    /* a changed description no longer matches its hash */
    block[sizeof(vod_metrics_header_t) + 3]++;
    assert_int_equal(vod_metrics_check(block, size), 0);
    block[sizeof(vod_metrics_header_t) + 3]--;

    h->nslots += 1000;
    assert_int_equal(vod_metrics_check(block, size), 0);
    h->nslots -= 1000;

    /* fewer slots than the description needs: not rendered */
    h->nslots -= 1;
    assert_int_equal(vod_metrics_render(block, NULL, 0), 0);
    h->nslots += 1;

    assert_int_equal(vod_metrics_check(block, size), size);
    assert_true(vod_metrics_render(block, NULL, 0) > 0);

    free(block);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_metrics_layout),
        cmocka_unit_test(test_metrics_render),
        cmocka_unit_test(test_metrics_named),
        cmocka_unit_test(test_metrics_refused),
        cmocka_unit_test(test_metrics_corrupt),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
