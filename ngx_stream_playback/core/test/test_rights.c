/*
 * test_rights.c: pb_rights: the rights file format, its errors, the
 * decision per title, country and time, and RFC 3339 times checked
 * against values computed by date(1) (GNU coreutils).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pb_rights.h"


typedef struct test_block_s  test_block_t;

struct test_block_s {
    test_block_t  *next;
    long double    data[];            /* max_align_t before C11 */
};


static void *test_alloc(vod_env_t *env, size_t size);
static void test_log(vod_env_t *env, const char *fmt, ...);
static int test_teardown(void **state);
static int test_parse(const char *json, pb_rights_t **rights, char *err);
static int test_check(pb_rights_t *rights, const char *title,
    const char *country, int64_t now);
static void test_time(void **state);
static void test_decisions(void **state);
static void test_window(void **state);
static void test_errors(void **state);
static void test_empty(void **state);


static test_block_t  *test_blocks;


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
test_parse(const char *json, pb_rights_t **rights, char *err)
{
    vod_env_t  env;

    env.alloc = test_alloc;
    env.log = test_log;
    env.read = NULL;
    env.data = NULL;

    err[0] = '\0';

    return pb_rights_parse(&env, (const u_char *) json, strlen(json), rights,
                           err);
}


static int
test_check(pb_rights_t *rights, const char *title, const char *country,
    int64_t now)
{
    const pb_rights_title_t  *entry;

    return pb_rights_check(rights, (const u_char *) title, strlen(title),
                           (const u_char *) country, now, &entry);
}


static void
test_time(void **state)
{
    /* date -u -d 2026-01-01T00:00:00Z +%s and friends */

    assert_int_equal(pb_rights_parse_time((u_char *)
                         "1970-01-01T00:00:00Z", 20), 0);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-01-01T00:00:00Z", 20), 1767225600);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2024-02-29T12:34:56Z", 20), 1709210096);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2000-03-01T00:00:00Z", 20), 951868800);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2100-12-31T23:59:59Z", 20), 4133980799);

    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2025-02-29T00:00:00Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2100-02-29T00:00:00Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-04-31T00:00:00Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-13-01T00:00:00Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-01-01T24:00:00Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "1969-12-31T23:59:59Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-01-01 00:00:00Z", 20), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-01-01T00:00:00+01:00", 25), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-01-01T00:00:00.5Z", 22), -1);
    assert_int_equal(pb_rights_parse_time((u_char *)
                         "2026-01-01T00:00:0Z", 19), -1);
}


static void
test_decisions(void **state)
{
    pb_rights_t  *r;
    char          err[PB_RIGHTS_ERR_LEN];

    assert_int_equal(test_parse(
        "{\"titles\": {"
        " \"us\": {\"allow\": [\"US\", \"CA\", \"US\"]},"
        " \"notde\": {\"deny\": [\"DE\", \"AT\"]},"
        " \"free\": {},"
        " \"nowhere\": {\"allow\": []},"
        " \"a\\u00e9\": {\"allow\": [\"FR\"]},"
        " \"b\": {}, \"c\": {}, \"d\": {}, \"e\": {}"
        "}}", &r, err), VOD_OK);

    assert_int_equal(r->ntitles, 9);

    assert_int_equal(test_check(r, "us", "US", 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "us", "CA", 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "us", "DE", 0), PB_RIGHTS_NOT_LICENSED);
    assert_int_equal(test_check(r, "us", NULL, 0),
                     PB_RIGHTS_UNKNOWN_COUNTRY);

    assert_int_equal(test_check(r, "notde", "US", 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "notde", "DE", 0),
                     PB_RIGHTS_NOT_LICENSED);
    assert_int_equal(test_check(r, "notde", "AT", 0),
                     PB_RIGHTS_NOT_LICENSED);
    assert_int_equal(test_check(r, "notde", NULL, 0),
                     PB_RIGHTS_UNKNOWN_COUNTRY);

    assert_int_equal(test_check(r, "free", "DE", 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "free", NULL, 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "nowhere", "US", 0),
                     PB_RIGHTS_NOT_LICENSED);

    /* names are bytes: an escaped key matches its UTF-8 form */
    assert_int_equal(test_check(r, "a\xc3\xa9", "FR", 0), PB_RIGHTS_OK);

    assert_int_equal(test_check(r, "u", "US", 0), PB_RIGHTS_UNKNOWN_TITLE);
    assert_int_equal(test_check(r, "usa", "US", 0),
                     PB_RIGHTS_UNKNOWN_TITLE);
    assert_int_equal(test_check(r, "", "US", 0), PB_RIGHTS_UNKNOWN_TITLE);
    assert_int_equal(test_check(r, "e", "US", 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(NULL, "us", "US", 0),
                     PB_RIGHTS_UNKNOWN_TITLE);

    assert_string_equal(pb_rights_reason(PB_RIGHTS_NOT_LICENSED),
                        "not-licensed");
}


static void
test_window(void **state)
{
    pb_rights_t  *r;
    char          err[PB_RIGHTS_ERR_LEN];

    assert_int_equal(test_parse(
        "{\"titles\": {"
        " \"w\": {\"allow\": [\"US\"], \"from\": \"2026-01-01T00:00:00Z\","
        "        \"until\": \"2026-02-01T00:00:00Z\"},"
        " \"f\": {\"from\": \"2026-01-01T00:00:00Z\"},"
        " \"u\": {\"until\": \"2026-01-01T00:00:00Z\"}"
        "}}", &r, err), VOD_OK);

    assert_int_equal(test_check(r, "w", "US", 1767225599),
                     PB_RIGHTS_NOT_YET);
    assert_int_equal(test_check(r, "w", "US", 1767225600), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "w", "DE", 1767225600),
                     PB_RIGHTS_NOT_LICENSED);
    assert_int_equal(test_check(r, "w", "US", 1769903999), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "w", "US", 1769904000),
                     PB_RIGHTS_EXPIRED);

    /* the window comes before the country */
    assert_int_equal(test_check(r, "w", "DE", 1769904000),
                     PB_RIGHTS_EXPIRED);

    assert_int_equal(test_check(r, "f", NULL, 1767225599),
                     PB_RIGHTS_NOT_YET);
    assert_int_equal(test_check(r, "f", NULL, 4000000000), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "u", NULL, 0), PB_RIGHTS_OK);
    assert_int_equal(test_check(r, "u", NULL, 1767225600),
                     PB_RIGHTS_EXPIRED);
}


static void
test_errors(void **state)
{
    size_t        i;
    pb_rights_t  *r;
    char          err[PB_RIGHTS_ERR_LEN];

    static const struct {
        const char  *json;
        const char  *err;
    } cases[] = {
        { "", "invalid JSON at byte 0" },
        { "{\"titles\": {\"a\": {}}", "invalid JSON" },
        { "[]", "not a JSON object" },
        { "{}", "\"titles\" is missing" },
        { "{\"titles\": []}", "\"titles\" is missing" },
        { "{\"titles\": {}, \"titles\": {}}", "\"titles\" is missing" },
        { "{\"titles\": {}, \"x\": 1}", "unknown member \"x\"" },
        { "{\"titles\": {\"a\": 1}}", "title \"a\" is not an object" },
        { "{\"titles\": {\"\": {}}}", "title \"\" is empty" },
        { "{\"titles\": {\"a/b\": {}}}", "has '/'" },
        { "{\"titles\": {\"a\": {}, \"a\": {}}}", "title \"a\" is repeated" },
        { "{\"titles\": {\"a\": {\"alow\": [\"US\"]}}}",
          "title \"a\" has an unknown member \"alow\"" },
        { "{\"titles\": {\"a\": {\"allow\": [\"US\"], \"deny\": [\"DE\"]}}}",
          "more than one of \"allow\" and \"deny\"" },
        { "{\"titles\": {\"a\": {\"allow\": [\"us\"]}}}",
          "\"allow\" is not an array of country codes" },
        { "{\"titles\": {\"a\": {\"deny\": [\"USA\"]}}}",
          "\"deny\" is not an array of country codes" },
        { "{\"titles\": {\"a\": {\"deny\": \"US\"}}}",
          "\"deny\" is not an array" },
        { "{\"titles\": {\"a\": {\"allow\": [1]}}}", "country codes" },
        { "{\"titles\": {\"a\": {\"from\": 1767225600}}}",
          "\"from\" is not a time" },
        { "{\"titles\": {\"a\": {\"until\": \"tomorrow\"}}}",
          "\"until\" is not a time" },
        { "{\"titles\": {\"a\": {\"from\": \"2026-01-01T00:00:00Z\","
          " \"from\": \"2026-01-01T00:00:00Z\"}}}", "repeats \"from\"" },
        { "{\"titles\": {\"a\": {\"from\": \"2026-01-01T00:00:00Z\","
          " \"until\": \"2026-01-01T00:00:00Z\"}}}",
          "\"from\" is not before \"until\"" },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        assert_int_equal(test_parse(cases[i].json, &r, err), VOD_BAD_DATA);

        if (strstr(err, cases[i].err) == NULL) {
            fail_msg("case %zu: \"%s\" lacks \"%s\"", i, err, cases[i].err);
        }
    }
}


static void
test_empty(void **state)
{
    pb_rights_t  *r;
    char          err[PB_RIGHTS_ERR_LEN];

    assert_int_equal(test_parse("\xef\xbb\xbf {\"titles\": {}} \n", &r, err),
                     VOD_OK);
    assert_int_equal(r->ntitles, 0);
    assert_int_equal(test_check(r, "x", "US", 0), PB_RIGHTS_UNKNOWN_TITLE);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_teardown(test_time, test_teardown),
        cmocka_unit_test_teardown(test_decisions, test_teardown),
        cmocka_unit_test_teardown(test_window, test_teardown),
        cmocka_unit_test_teardown(test_errors, test_teardown),
        cmocka_unit_test_teardown(test_empty, test_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
