/*
 * test_keys.c: a key service's answer (vod_keys.h): the good answers give
 * exactly the bytes written, every bad one is refused with one log line
 * that names the member and never carries a key's digits.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

#include "vod_keys.h"


typedef struct {
    const char   *what;
    const char   *json;
    const char   *log;            /* expected in the log line */
} test_keys_bad_t;


static void *test_keys_alloc(vod_env_t *env, size_t size);
static void test_keys_log(vod_env_t *env, const char *fmt, ...);
static int test_keys_parse(const char *json, vod_keys_t *keys);
static void test_keys_free(void);
static void test_keys_good(void **state);
static void test_keys_optional(void **state);
static void test_keys_bad(void **state);
static void test_keys_size(void **state);
static void test_keys_pssh(void **state);
static void test_keys_pssh_size(void **state);


#define TEST_KID  "00112233445566778899aabbccddeeff"
#define TEST_KEY  "0F1E2D3C4B5A69788796A5B4C3D2E1F0"
#define TEST_IV   "ffeeddccbbaa99887766554433221100"
#define TEST_HLS  "1234567890abcdef1234567890abcdef"
#define TEST_ANSWER(pssh)                                                    \
    "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\",\"pssh\":" pssh "}"

/* a PlayReady Object of 12 bytes: its length, one record of 2 bytes */
#define TEST_PRO  "DAAAAAEAAQACAEhp"


static test_keys_bad_t  test_keys_bad_cases[] = {
    { "not JSON", "hello", "unexpected character at byte 0" },
    { "empty", "", "unexpected end of input" },
    { "array", "[\"" TEST_KID "\"]", "not an object" },
    { "no kid", "{\"key\":\"" TEST_KEY "\"}", "\"kid\" is missing" },
    { "no key", "{\"kid\":\"" TEST_KID "\"}", "\"key\" is missing" },
    { "short key", "{\"kid\":\"" TEST_KID "\",\"key\":\"0f1e2d3c4b5a6978"
      "8796a5b4c3d2e1f\"}", "\"key\" is not 32 hex digits" },
    { "long kid", "{\"kid\":\"" TEST_KID "0\",\"key\":\"" TEST_KEY "\"}",
      "\"kid\" is not 32 hex digits" },
    { "non-hex key", "{\"kid\":\"" TEST_KID "\",\"key\":\"0f1e2d3c4b5a6978"
      "8796a5b4c3d2e1fg\"}", "\"key\" is not 32 hex digits" },
    { "spaced key", "{\"kid\":\"" TEST_KID "\",\"key\":\" 0f1e2d3c4b5a697"
      "88796a5b4c3d2e1f\"}", "\"key\" is not 32 hex digits" },
    { "key a number", "{\"kid\":\"" TEST_KID "\",\"key\":1}",
      "\"key\" is not a string" },
    { "key twice", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"key\":\"" TEST_KEY "\"}", "\"key\" is given twice" },
    { "short iv", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"iv\":\"00\"}", "\"iv\" is not 32 hex digits" },
    { "hls_key null", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"hls_key\":null}", "\"hls_key\" is not a string" },
    { "negative ttl", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"ttl\":-1}", "\"ttl\" is not seconds" },
    { "fractional ttl", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"ttl\":1.5}", "\"ttl\" is not seconds" },
    { "huge ttl", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"ttl\":604801}", "\"ttl\" is not seconds" },
    { "trailing", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\"} x",
      "trailing data" },
    { "pssh a string", TEST_ANSWER("\"AAAA\""),
      "\"pssh\" is not an object" },
    { "pssh twice", "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\","
      "\"pssh\":{},\"pssh\":{}}", "\"pssh\" is given twice" },
    { "unknown system", TEST_ANSWER("{\"fairplay\":\"AAAA\"}"),
      "names a system other than widevine and playready" },
    { "unknown uuid", TEST_ANSWER("{\"edef8ba9-79d6-4ace-a3c8-27dcd51d21ee\":"
      "\"AAAA\"}"), "names a system other than" },
    { "uuid, control bytes", TEST_ANSWER("{\"\\u0005def8ba9-79d6-4ace-a3c8-"
      "27dcd51d21ed\":\"AAAA\"}"), "names a system other than" },
    { "common system", TEST_ANSWER("{\"cenc\":\"AAAA\"}"),
      "gives the common system data" },
    { "system twice", TEST_ANSWER("{\"widevine\":\"AAAA\",\"EDEF8BA9-79D6-"
      "4ACE-A3C8-27DCD51D21ED\":\"AAAA\"}"), "names a system twice" },
    { "data a number", TEST_ANSWER("{\"widevine\":1}"),
      "data not a string" },
    { "data empty", TEST_ANSWER("{\"widevine\":\"\"}"),
      "data empty or too large" },
    { "data unpadded", TEST_ANSWER("{\"widevine\":\"AAA\"}"),
      "data not in base64" },
    { "data url-safe", TEST_ANSWER("{\"widevine\":\"AA-_\"}"),
      "data not in base64" },
    { "data spaced", TEST_ANSWER("{\"widevine\":\"AA AA\\nAA\"}"),
      "data not in base64" },
    { "data padding inside", TEST_ANSWER("{\"widevine\":\"AA==AAAA\"}"),
      "data not in base64" },
    { "data three pads", TEST_ANSWER("{\"widevine\":\"A===\"}"),
      "data not in base64" },
    { "data stray bits", TEST_ANSWER("{\"widevine\":\"AB==\"}"),
      "data not in base64" },
    { "data stray bits, one pad", TEST_ANSWER("{\"widevine\":\"AAB=\"}"),
      "data not in base64" },
    { "not a PRO", TEST_ANSWER("{\"playready\":\"PFdSTUhFQURFUj4=\"}"),
      "not a PlayReady Object" },
    { "short PRO", TEST_ANSWER("{\"playready\":\"BAAAAA==\"}"),
      "not a PlayReady Object" },
    { "nested", "{\"a\":[[[[[1]]]]],\"kid\":\"" TEST_KID "\",\"key\":\""
      TEST_KEY "\"}", "" }
};


static char      test_keys_line[512];
static unsigned  test_keys_lines;
static void     *test_keys_blocks[1024];
static unsigned  test_keys_nblocks;


/* each allocation its own block, poisoned as nginx's pool memory is */

static void *
test_keys_alloc(vod_env_t *env, size_t size)
{
    void  *p;

    if (test_keys_nblocks == 1024) {
        return NULL;
    }

    p = malloc(size);
    if (p != NULL) {
        memset(p, 0xa5, size);
        test_keys_blocks[test_keys_nblocks++] = p;
    }

    return p;
}


static void
test_keys_log(vod_env_t *env, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    vsnprintf(test_keys_line, sizeof(test_keys_line), fmt, args);
    va_end(args);

    test_keys_lines++;
}


static int
test_keys_parse(const char *json, vod_keys_t *keys)
{
    int          rc;
    u_char      *buf;
    size_t       len;
    vod_env_t    env;

    test_keys_free();

    len = strlen(json);
    memset(&env, 0, sizeof(vod_env_t));
    env.alloc = test_keys_alloc;
    env.log = test_keys_log;

    test_keys_line[0] = '\0';
    test_keys_lines = 0;

    /* a block of exactly the answer's size: ASan sees a read past it */
    buf = test_keys_alloc(&env, len);
    assert_non_null(buf);
    memcpy(buf, json, len);

    rc = vod_keys_parse(&env, buf, len, keys);

    return rc;
}


/* the last answer's blocks (its pssh data) live until the next parse */

static void
test_keys_free(void)
{
    while (test_keys_nblocks > 0) {
        free(test_keys_blocks[--test_keys_nblocks]);
    }
}


static void
test_keys_good(void **state)
{
    vod_keys_t  keys;

    static const u_char  kid[16] = {
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
        0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff
    };
    static const u_char  key[16] = {
        0x0f, 0x1e, 0x2d, 0x3c, 0x4b, 0x5a, 0x69, 0x78,
        0x87, 0x96, 0xa5, 0xb4, 0xc3, 0xd2, 0xe1, 0xf0
    };
    static const u_char  iv[16] = {
        0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88,
        0x77, 0x66, 0x55, 0x44, 0x33, 0x22, 0x11, 0x00
    };
    static const u_char  hls[16] = {
        0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef,
        0x12, 0x34, 0x56, 0x78, 0x90, 0xab, 0xcd, 0xef
    };

    assert_int_equal(test_keys_parse(" {\"kid\":\"" TEST_KID "\",\"key\":\""
                                     TEST_KEY "\",\"iv\":\"" TEST_IV "\","
                                     "\"hls_key\":\"" TEST_HLS "\","
                                     "\"ttl\":30,\"pssh\":{\"widevine\":"
                                     "\"AAAA\"}}\n", &keys),
                     VOD_OK);

    assert_memory_equal(keys.kid, kid, 16);
    assert_memory_equal(keys.key, key, 16);
    assert_memory_equal(keys.iv, iv, 16);
    assert_memory_equal(keys.hls_key, hls, 16);
    assert_true(keys.has_hls_key);
    assert_int_equal(keys.ttl, 30);
    assert_int_equal(keys.widevine.len, 3);
    assert_int_equal(keys.playready.len, 0);
    assert_int_equal(test_keys_lines, 0);
}


/* each system's data, by name or UUID: the bytes its base64 says */

static void
test_keys_pssh(void **state)
{
    vod_keys_t  keys;

    static const u_char  wv[] = { 0x12, 0x10, 0xfb, 0xff, 0x00 };
    static const u_char  pro[] = {
        12, 0, 0, 0, 1, 0, 1, 0, 2, 0, 'H', 'i'
    };

    assert_int_equal(test_keys_parse(TEST_ANSWER("{\"widevine\":\"EhD7/wA=\","
                                                 "\"playready\":\"" TEST_PRO
                                                 "\"}"), &keys),
                     VOD_OK);
    assert_int_equal(keys.widevine.len, sizeof(wv));
    assert_memory_equal(keys.widevine.data, wv, sizeof(wv));
    assert_int_equal(keys.playready.len, sizeof(pro));
    assert_memory_equal(keys.playready.data, pro, sizeof(pro));

    /* UUIDs in either case; one character short of a pad */
    assert_int_equal(test_keys_parse(TEST_ANSWER("{\"9A04F079-9840-4286-"
                                                 "ab92-e65be0885f95\":\""
                                                 TEST_PRO "\","
                                                 "\"edef8ba9-79d6-4ace-a3c8-"
                                                 "27dcd51d21ed\":\"EhA=\"}"),
                                     &keys),
                     VOD_OK);
    assert_int_equal(keys.playready.len, sizeof(pro));
    assert_int_equal(keys.widevine.len, 2);
    assert_memory_equal(keys.widevine.data, wv, 2);

    /* an empty object: nothing */
    assert_int_equal(test_keys_parse(TEST_ANSWER("{}"), &keys), VOD_OK);
    assert_int_equal(keys.widevine.len + keys.playready.len, 0);
}


/* the bounds: Widevine's, PlayReady's, the sum */

static void
test_keys_pssh_size(void **state)
{
    char        *json, *p;
    size_t       n;
    vod_keys_t   keys;

    json = malloc(VOD_KEYS_MAX_BODY);
    assert_non_null(json);

    /* Widevine: 1024 bytes (1368 characters, 1 pad) pass, 1025 not */
    for (n = VOD_KEYS_MAX_WIDEVINE; n <= VOD_KEYS_MAX_WIDEVINE + 1; n++) {
        p = json + sprintf(json, "{\"kid\":\"" TEST_KID "\",\"key\":\""
                           TEST_KEY "\",\"pssh\":{\"widevine\":\"");
        memset(p, 'A', (n + 2) / 3 * 4);
        p += (n + 2) / 3 * 4;

        if (n % 3 != 0) {
            /* 'A's are zero bits: the last group padded as base64 is */
            memset(p - (3 - n % 3), '=', 3 - n % 3);
        }

        strcpy(p, "\"}}");

        if (n == VOD_KEYS_MAX_WIDEVINE) {
            assert_int_equal(test_keys_parse(json, &keys), VOD_OK);
            assert_int_equal(keys.widevine.len, n);

        } else {
            assert_int_equal(test_keys_parse(json, &keys), VOD_BAD_DATA);
            assert_non_null(strstr(test_keys_line, "too large"));
        }
    }

    /* PlayReady: a PRO of 3072 bytes passes, with 3 bytes of Widevine
     * data it is over the sum */
    for (n = 0; n < 2; n++) {
        p = json + sprintf(json, "{\"kid\":\"" TEST_KID "\",\"key\":\""
                           TEST_KEY "\",\"pssh\":{%s\"playready\":\"",
                           n ? "\"widevine\":\"AAAA\"," : "");
        /* 0x000c00 LE is 3072: "AAwAAA", then zeros */
        memcpy(p, "AAwAAA", 6);
        memset(p + 6, 'A', 4096 - 6);
        strcpy(p + 4096, "\"}}");

        if (n == 0) {
            assert_int_equal(test_keys_parse(json, &keys), VOD_OK);
            assert_int_equal(keys.playready.len, VOD_KEYS_MAX_PLAYREADY);

        } else {
            assert_int_equal(test_keys_parse(json, &keys), VOD_BAD_DATA);
            assert_non_null(strstr(test_keys_line, "over 3072 bytes in all"));
        }
    }

    free(json);
}


/* no iv: one made from the key, the same each time and per key; no
 * hls_key: none; no ttl: -1 */

static void
test_keys_optional(void **state)
{
    vod_keys_t  one, two, other;

    assert_int_equal(test_keys_parse("{\"key\":\"" TEST_KEY "\",\"kid\":\""
                                     TEST_KID "\"}", &one), VOD_OK);
    assert_int_equal(test_keys_parse("{\"kid\":\"" TEST_KID "\",\"key\":\""
                                     TEST_KEY "\"}", &two), VOD_OK);
    assert_int_equal(test_keys_parse("{\"kid\":\"" TEST_KID "\",\"key\":\""
                                     TEST_HLS "\"}", &other), VOD_OK);

    assert_false(one.has_hls_key);
    assert_int_equal(one.ttl, -1);
    assert_memory_equal(one.iv, two.iv, 16);
    assert_memory_not_equal(one.iv, other.iv, 16);
    assert_memory_not_equal(one.iv, one.key, 16);
}


static void
test_keys_bad(void **state)
{
    size_t            i;
    vod_keys_t        keys, zero;
    test_keys_bad_t  *c;

    memset(&zero, 0, sizeof(vod_keys_t));

    for (i = 0; i < sizeof(test_keys_bad_cases)
                    / sizeof(test_keys_bad_cases[0]); i++)
    {
        c = &test_keys_bad_cases[i];

        if (test_keys_parse(c->json, &keys) != VOD_BAD_DATA) {
            fail_msg("%s: accepted", c->what);
        }

        if (test_keys_lines != 1 || strstr(test_keys_line, c->log) == NULL) {
            fail_msg("%s: %u lines, last \"%s\"", c->what, test_keys_lines,
                     test_keys_line);
        }

        /* nothing half-parsed is left to encrypt with, nor logged */
        assert_memory_equal(&keys, &zero, sizeof(vod_keys_t));
        assert_null(strstr(test_keys_line, "0f1e2d3c"));
        assert_null(strstr(test_keys_line, "0F1E2D3C"));
    }
}


static void
test_keys_size(void **state)
{
    char        *json;
    size_t       len;
    vod_keys_t   keys;

    /* a good answer padded with spaces past the bound */
    len = VOD_KEYS_MAX_BODY + 1;
    json = malloc(len + 1);
    assert_non_null(json);

    memset(json, ' ', len);
    memcpy(json, "{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\"}",
           sizeof("{\"kid\":\"" TEST_KID "\",\"key\":\"" TEST_KEY "\"}") - 1);
    json[len] = '\0';

    assert_int_equal(test_keys_parse(json, &keys), VOD_BAD_DATA);
    assert_non_null(strstr(test_keys_line, "over 8192 bytes"));

    json[len - 1] = '\0';
    assert_int_equal(test_keys_parse(json, &keys), VOD_OK);

    free(json);
}


int
main(void)
{
    int                      rc;
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_keys_good),
        cmocka_unit_test(test_keys_optional),
        cmocka_unit_test(test_keys_bad),
        cmocka_unit_test(test_keys_size),
        cmocka_unit_test(test_keys_pssh),
        cmocka_unit_test(test_keys_pssh_size),
    };

    rc = cmocka_run_group_tests(tests, NULL, NULL);
    test_keys_free();

    return rc;
}
