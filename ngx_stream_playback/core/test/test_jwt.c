/*
 * test_jwt.c: pb_jwt over JWS vectors computed independently of the C code
 * (mkvectors.py, Python's hmac and base64, with the key of RFC 7515,
 * appendix A.1), RFC 4648 base64url, path normalisation, CIDR matching and
 * minting.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include "pb_base64url.h"
#include "pb_jwt_flat.h"
#include "pb_jwt.h"
#include "pb_vectors.h"


#define TEST_NOW  1700000000

#define TEST_K1                                                              \
    "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4h"   \
    "cgUuTwjAzZr1Z9CAow"

/* RFC 7515, appendix A.1: HS256 without a kid */
#define TEST_RFC7515_A1                                                      \
    "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9"                               \
    ".eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"      \
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ"                                         \
    ".dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


typedef struct test_block_s  test_block_t;

struct test_block_s {
    test_block_t  *next;
    long double    data[];            /* max_align_t before C11 */
};


static void *test_alloc(vod_env_t *env, size_t size);
static void test_log(vod_env_t *env, const char *fmt, ...);
static void test_free_all(void);
static int test_setup(void **state);
static int test_verify_keys(const char *token, int64_t now, size_t nkeys,
    pb_jwt_claims_t *claims);
static int test_str_eq(vod_str_t *s, const char *c);
static void test_tamper(void **state);
static int test_verify(const char *token, int64_t now,
    pb_jwt_claims_t *claims);
static void test_base64url(void **state);
static void test_good(void **state);
static void test_refusals(void **state);
static void test_rotation(void **state);
static void test_time(void **state);
static void test_length(void **state);
static void test_mint(void **state);
static void test_path(void **state);
static void test_check_path(void **state);
static void test_ip(void **state);
static void test_key_decode(void **state);
static void test_verify_flat(void **state);
static void test_prepared_keys(void **state);
static void test_profiles(void **state);
static void test_audience(void **state);


static test_block_t  *test_blocks;
static u_char         test_k1[64];
static u_char         test_k2[32];
static pb_jwt_key_t   test_keys[2];


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


static void
test_free_all(void)
{
    test_block_t  *b;

    while (test_blocks != NULL) {
        b = test_blocks;
        test_blocks = b->next;
        free(b);
    }
}


static int
test_setup(void **state)
{
    size_t  i;
    ssize_t n;

    n = pb_base64url_decode(test_k1, (u_char *) TEST_K1,
                            sizeof(TEST_K1) - 1);
    if (n != 64) {
        return -1;
    }

    for (i = 0; i < 32; i++) {
        test_k2[i] = (u_char) i;
    }

    test_keys[0].kid.data = (u_char *) "k1";
    test_keys[0].kid.len = 2;
    test_keys[0].secret.data = test_k1;
    test_keys[0].secret.len = 64;
    test_keys[1].kid.data = (u_char *) "k2";
    test_keys[1].kid.len = 2;
    test_keys[1].secret.data = test_k2;
    test_keys[1].secret.len = 32;

    return 0;
}


static int
test_verify_keys(const char *token, int64_t now, size_t nkeys,
    pb_jwt_claims_t *claims)
{
    int               rc;
    char             *copy;
    size_t            len;
    vod_env_t         env;
    pb_jwt_verify_t   v;

    env.alloc = test_alloc;
    env.log = test_log;
    env.read = NULL;
    env.data = NULL;

    memset(&v, 0, sizeof(pb_jwt_verify_t));
    v.keys = test_keys;
    v.nkeys = nkeys;
    v.now = now;
    v.leeway = 30;

    /* an exact-size copy: ASan catches a read past the end */

    len = strlen(token);
    copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, token, len);

    rc = pb_jwt_verify(&env, &v, (u_char *) copy, len, claims);

    if (rc != PB_JWT_OK) {
        assert_non_null(v.err);
    }

    free(copy);

    return rc;
}


static int
test_verify(const char *token, int64_t now, pb_jwt_claims_t *claims)
{
    return test_verify_keys(token, now, 2, claims);
}


static int
test_str_eq(vod_str_t *s, const char *c)
{
    return s->data != NULL && s->len == strlen(c)
           && memcmp(s->data, c, s->len) == 0;
}


static void
test_base64url(void **state)
{
    size_t         i, n;
    u_char         out[16];
    ssize_t        d;

    /* RFC 4648, section 10, in the URL-safe alphabet without padding */
    static const char  *vectors[][2] = {
        { "", "" }, { "f", "Zg" }, { "fo", "Zm8" }, { "foo", "Zm9v" },
        { "foob", "Zm9vYg" }, { "fooba", "Zm9vYmE" },
        { "foobar", "Zm9vYmFy" }, { "\xfb\xff", "-_8" },
    };

    for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
        n = pb_base64url_encode(out, (u_char *) vectors[i][0],
                                strlen(vectors[i][0]));
        assert_int_equal(n, strlen(vectors[i][1]));
        assert_memory_equal(out, vectors[i][1], n);

        d = pb_base64url_decode(out, (u_char *) vectors[i][1],
                                strlen(vectors[i][1]));
        assert_int_equal(d, strlen(vectors[i][0]));
        assert_memory_equal(out, vectors[i][0], d);
    }

    /* padding, the standard alphabet, impossible lengths, loose bits */
    assert_int_equal(pb_base64url_decode(out, (u_char *) "Zg==", 4), -1);
    assert_int_equal(pb_base64url_decode(out, (u_char *) "+/8", 3), -1);
    assert_int_equal(pb_base64url_decode(out, (u_char *) "Zm9vY", 5), -1);
    assert_int_equal(pb_base64url_decode(out, (u_char *) "Zh", 2), -1);
    assert_int_equal(pb_base64url_decode(out, (u_char *) "Zm8", 3), 2);
    assert_int_equal(pb_base64url_decode(out, (u_char *) "Zm9", 3), -1);
    assert_int_equal(pb_base64url_decode(out, (u_char *) "Zm-", 3), -1);
}


static void
test_good(void **state)
{
    pb_jwt_claims_t  c;

    assert_int_equal(test_verify(TV_GOOD, TEST_NOW, &c), PB_JWT_OK);
    assert_true(test_str_eq(&c.kid, "k1"));
    assert_true(test_str_eq(&c.sub, "acct-42"));
    assert_true(test_str_eq(&c.path, "/vod/title1/"));
    assert_true(test_str_eq(&c.tier, "basic"));
    assert_true(test_str_eq(&c.sid, "s-1"));
    assert_true(test_str_eq(&c.ip, "203.0.113.0/24"));
    assert_int_equal(c.exp, TEST_NOW + 3600);
    assert_false(c.has_nbf);
    assert_int_equal(c.cidr.family, 4);
    assert_int_equal(c.cidr.bits, 24);

    /* members in any order, whitespace, unknown claims */
    assert_int_equal(test_verify(TV_REORDERED, TEST_NOW, &c), PB_JWT_OK);
    assert_true(test_str_eq(&c.path, "/vod/t/"));
    assert_null(c.sub.data);

    /* JSON escapes in a claim are decoded */
    assert_int_equal(test_verify(TV_ESCAPED_SUB, TEST_NOW, &c), PB_JWT_OK);
    assert_true(test_str_eq(&c.sub, "a\"b\xc3\xa9"));
}


static void
test_refusals(void **state)
{
    size_t           i;
    pb_jwt_claims_t  c;

    static const struct {
        const char  *token;
        int          rc;
    } cases[] = {
        { TV_ALG_NONE, PB_JWT_BAD_SIGNATURE },
        { TV_ALG_HS512, PB_JWT_BAD_SIGNATURE },
        { TV_DUP_ALG, PB_JWT_MALFORMED },
        { TV_NO_KID, PB_JWT_UNKNOWN_KID },
        { TEST_RFC7515_A1, PB_JWT_UNKNOWN_KID },
        { TV_KID_UNKNOWN, PB_JWT_UNKNOWN_KID },
        { TV_KID_NUMBER, PB_JWT_MALFORMED },
        { TV_K2_WITH_K1_KEY, PB_JWT_BAD_SIGNATURE },
        { TV_NO_EXP, PB_JWT_MALFORMED },
        { TV_EXP_STRING, PB_JWT_MALFORMED },
        { TV_EXP_FLOAT, PB_JWT_MALFORMED },
        { TV_DUP_EXP, PB_JWT_MALFORMED },
        { TV_CRIT, PB_JWT_MALFORMED },
        { TV_TYP_OTHER, PB_JWT_MALFORMED },
        { TV_PAYLOAD_ARRAY, PB_JWT_MALFORMED },
        { TV_PAYLOAD_NOTJSON, PB_JWT_MALFORMED },
        { TV_IP_BAD, PB_JWT_MALFORMED },
        { TV_PATH_RELATIVE, PB_JWT_MALFORMED },
        { TV_SUB_NUL, PB_JWT_MALFORMED },
        { "", PB_JWT_MISSING },
        { "abc", PB_JWT_MALFORMED },
        { "a.b", PB_JWT_MALFORMED },
        { "a..c", PB_JWT_MALFORMED },
        { "a.b.c.d", PB_JWT_MALFORMED },
        { "!!!.eyJ9.x", PB_JWT_MALFORMED },
        { "e30.e30.", PB_JWT_MALFORMED },
        { "eyJhbGciOiJIUzI1NiIsImtpZCI6ImsxIn0.e30.", PB_JWT_BAD_SIGNATURE },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (test_verify(cases[i].token, TEST_NOW, &c) != cases[i].rc) {
            fail_msg("case %zu: %s", i, cases[i].token);
        }
    }

    test_free_all();
}


static void
test_tamper(void **state)
{
    char             tok[sizeof(TV_GOOD)];
    size_t           i;
    pb_jwt_claims_t  c;

    /* every single-character change anywhere is refused */

    for (i = 0; i < sizeof(TV_GOOD) - 1; i++) {
        memcpy(tok, TV_GOOD, sizeof(TV_GOOD));

        if (tok[i] == '.') {
            continue;
        }

        tok[i] = tok[i] == 'A' ? 'B' : 'A';

        if (test_verify(tok, TEST_NOW, &c) == PB_JWT_OK) {
            fail_msg("changed byte %zu accepted", i);
        }
    }

    test_free_all();
}


static void
test_rotation(void **state)
{
    pb_jwt_claims_t  c;

    assert_int_equal(test_verify(TV_K2, TEST_NOW, &c), PB_JWT_OK);
    assert_true(test_str_eq(&c.kid, "k2"));
    assert_int_equal(test_verify(TV_GOOD, TEST_NOW, &c), PB_JWT_OK);

    /* k2 dropped */
    assert_int_equal(test_verify_keys(TV_K2, TEST_NOW, 1, &c),
                     PB_JWT_UNKNOWN_KID);
    assert_int_equal(test_verify_keys(TV_GOOD, TEST_NOW, 1, &c), PB_JWT_OK);

    test_free_all();
}


static void
test_time(void **state)
{
    pb_jwt_claims_t  c;

    /* leeway 30 s: exp valid while now < exp + 30 */
    assert_int_equal(test_verify(TV_EXP_PAST, TEST_NOW, &c), PB_JWT_EXPIRED);
    assert_int_equal(test_verify(TV_EXP_EDGE, TEST_NOW, &c), PB_JWT_EXPIRED);
    assert_int_equal(test_verify(TV_EXP_LEEWAY, TEST_NOW, &c), PB_JWT_OK);
    assert_int_equal(test_verify(TV_GOOD, TEST_NOW + 3629, &c), PB_JWT_OK);
    assert_int_equal(test_verify(TV_GOOD, TEST_NOW + 3630, &c),
                     PB_JWT_EXPIRED);

    /* nbf valid from nbf - 30 */
    assert_int_equal(test_verify(TV_NBF_FUTURE, TEST_NOW, &c),
                     PB_JWT_NOT_YET_VALID);
    assert_int_equal(test_verify(TV_NBF_LEEWAY, TEST_NOW, &c), PB_JWT_OK);
    assert_true(c.has_nbf);
    assert_int_equal(c.nbf, TEST_NOW + 30);
    assert_int_equal(test_verify(TV_NBF_FUTURE, TEST_NOW + 1, &c),
                     PB_JWT_OK);

    test_free_all();
}


static void
test_length(void **state)
{
    char             *big;
    size_t            len;
    vod_env_t         env;
    pb_jwt_verify_t   v;
    pb_jwt_claims_t   c;

    /* over the bound: refused before anything is allocated */

    len = 4097;
    big = malloc(len);
    assert_non_null(big);
    memset(big, 'A', len);

    env.alloc = NULL;
    env.log = test_log;

    memset(&v, 0, sizeof(pb_jwt_verify_t));
    v.keys = test_keys;
    v.nkeys = 2;
    v.now = TEST_NOW;

    assert_int_equal(pb_jwt_verify(&env, &v, (u_char *) big, len, &c),
                     PB_JWT_MALFORMED);

    v.max_length = sizeof(TV_GOOD) - 2;
    assert_int_equal(pb_jwt_verify(&env, &v, (u_char *) TV_GOOD,
                                   sizeof(TV_GOOD) - 1, &c),
                     PB_JWT_MALFORMED);

    free(big);
}


static void
test_mint(void **state)
{
    u_char           *out;
    size_t            len;
    pb_jwt_mint_t     m;
    pb_jwt_claims_t   c;

    memset(&m, 0, sizeof(pb_jwt_mint_t));
    m.kid.data = (u_char *) "k1";
    m.kid.len = 2;
    m.secret.data = test_k1;
    m.secret.len = 64;
    m.exp = TEST_NOW + 3600;
    m.sub.data = (u_char *) "acct-42";
    m.sub.len = 7;
    m.path.data = (u_char *) "/vod/title1/";
    m.path.len = 12;
    m.tier.data = (u_char *) "basic";
    m.tier.len = 5;
    m.sid.data = (u_char *) "s-1";
    m.sid.len = 3;
    m.ip.data = (u_char *) "203.0.113.0/24";
    m.ip.len = 14;

    out = malloc(pb_jwt_mint_size(&m));
    assert_non_null(out);

    /* byte for byte what Python's hmac computed */
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_OK);
    assert_int_equal(len, sizeof(TV_GOOD) - 1);
    assert_memory_equal(out, TV_GOOD, len);

    /* too small a buffer, too short a key */
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m) - 1, &len),
                     PB_JWT_ERROR);
    m.secret.len = 31;
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_ERROR);
    free(out);

    /* strings that need escaping round-trip, nbf included */
    m.secret.len = 64;
    m.sub.data = (u_char *) "q\"\\\x01\x7f";
    m.sub.len = 5;
    m.nbf = TEST_NOW - 5;
    m.ip.data = NULL;
    m.ip.len = 0;

    out = malloc(pb_jwt_mint_size(&m));
    assert_non_null(out);
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_OK);
    out[len] = '\0';
    /* control characters are escaped but refused when verified */
    assert_int_equal(test_verify((char *) out, TEST_NOW, &c),
                     PB_JWT_MALFORMED);
    free(out);

    m.sub.data = (u_char *) "q\"\\x";
    m.sub.len = 4;
    out = malloc(pb_jwt_mint_size(&m) + 1);
    assert_non_null(out);
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_OK);
    out[len] = '\0';
    assert_int_equal(test_verify((char *) out, TEST_NOW, &c), PB_JWT_OK);
    assert_true(test_str_eq(&c.sub, "q\"\\x"));
    assert_true(c.has_nbf);
    assert_int_equal(c.nbf, TEST_NOW - 5);
    assert_int_equal(c.cidr.family, 0);
    free(out);

    test_free_all();
}


static void
test_path(void **state)
{
    int      rc;
    size_t   i, len;
    u_char   out[256];

    static const struct {
        const char  *in;
        int          decode;
        const char  *out;                  /* NULL: wrong-path */
    } cases[] = {
        { "/vod/t/master.m3u8", 1, "/vod/t/master.m3u8" },
        { "/vod/t/", 1, "/vod/t/" },
        { "/", 1, "/" },
        { "//vod//t///x", 1, "/vod/t/x" },
        { "/vod/./t/./x", 1, "/vod/t/x" },
        { "/vod/a/../t/x", 1, "/vod/t/x" },
        { "/vod/t//../u/x", 1, "/vod/u/x" },
        { "/vod/t/.//../u", 1, "/vod/u" },
        { "/vod/t/x/..", 1, "/vod/t/" },
        { "/vod/t/x/.", 1, "/vod/t/x/" },
        { "/vod/t/%2e%2e/u/x", 1, "/vod/u/x" },
        { "/vod/t/%2E./u", 1, "/vod/u" },
        { "/vod/t/%41%62c", 1, "/vod/t/Abc" },
        { "/vod/t/%41", 0, "/vod/t/%41" },
        { "/vod/t/%2e%2e", 0, "/vod/t/%2e%2e" },
        { "/vod/t/%2f..", 0, "/vod/t/%2f.." },
        { "/..", 1, NULL },
        { "/vod/../../x", 1, NULL },
        { "/%2e%2e/x", 1, NULL },
        { "/vod/t%2fx", 1, NULL },
        { "/vod/t%2Fx", 1, NULL },
        { "/vod/t%5cx", 1, NULL },
        { "/vod/t\\x", 1, NULL },
        { "/vod/t\\x", 0, NULL },
        { "/vod/t%00x", 1, NULL },
        { "/vod/t%0", 1, NULL },
        { "/vod/t%zz", 1, NULL },
        { "vod/t", 1, NULL },
        { "", 1, NULL },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rc = pb_jwt_normalize_path((u_char *) cases[i].in,
                                   strlen(cases[i].in), cases[i].decode,
                                   out, &len);

        if (cases[i].out == NULL) {
            if (rc != PB_JWT_WRONG_PATH) {
                fail_msg("case %zu: %s accepted", i, cases[i].in);
            }

            continue;
        }

        if (rc != PB_JWT_OK || len != strlen(cases[i].out)
            || memcmp(out, cases[i].out, len) != 0)
        {
            fail_msg("case %zu: %s: rc %d, \"%.*s\"", i, cases[i].in, rc,
                     (int) len, out);
        }
    }

    /* a raw NUL inside the length */
    assert_int_equal(pb_jwt_normalize_path((u_char *) "/a\0b", 4, 1, out,
                                           &len),
                     PB_JWT_WRONG_PATH);
}


static void
test_check_path(void **state)
{
    size_t           i;
    pb_jwt_claims_t  c;

    static const struct {
        const char  *claim;
        const char  *path;
        int          rc;
    } cases[] = {
        { "/vod/title1/", "/vod/title1/master.m3u8", PB_JWT_OK },
        { "/vod/title1/", "/vod/title1/", PB_JWT_OK },
        { "/vod/title1/", "/vod/title1", PB_JWT_WRONG_PATH },
        { "/vod/title1/", "/vod/title10/x", PB_JWT_WRONG_PATH },
        { "/vod/title1/", "/vod/", PB_JWT_WRONG_PATH },
        { "/vod/title1", "/vod/title1/x", PB_JWT_OK },
        { "/vod/title1", "/vod/title1", PB_JWT_OK },
        { "/vod/title1", "/vod/title10/x", PB_JWT_WRONG_PATH },
        { "/", "/anything", PB_JWT_OK },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&c, 0, sizeof(pb_jwt_claims_t));
        c.has_path = 1;
        c.path.data = (u_char *) cases[i].claim;
        c.path.len = strlen(cases[i].claim);

        if (pb_jwt_check_path(&c, (u_char *) cases[i].path,
                              strlen(cases[i].path))
            != cases[i].rc)
        {
            fail_msg("case %zu: %s under %s", i, cases[i].path,
                     cases[i].claim);
        }
    }

    /* no path claim grants nothing */
    memset(&c, 0, sizeof(pb_jwt_claims_t));
    assert_int_equal(pb_jwt_check_path(&c, (u_char *) "/vod/x", 6),
                     PB_JWT_WRONG_PATH);
}


static void
test_ip(void **state)
{
    size_t           i;
    u_char           addr[16];
    pb_jwt_claims_t  c;

    static const struct {
        const char  *claim;
        const char  *client;
        int          rc;                   /* -1: claim malformed */
    } cases[] = {
        { "203.0.113.7", "203.0.113.7", PB_JWT_OK },
        { "203.0.113.7", "203.0.113.8", PB_JWT_WRONG_IP },
        { "203.0.113.0/24", "203.0.113.200", PB_JWT_OK },
        { "203.0.113.0/24", "203.0.114.1", PB_JWT_WRONG_IP },
        { "203.0.113.77/25", "203.0.113.1", PB_JWT_OK },
        { "203.0.113.77/25", "203.0.113.129", PB_JWT_WRONG_IP },
        { "10.0.0.0/8", "10.255.1.2", PB_JWT_OK },
        { "0.0.0.0/0", "192.0.2.1", PB_JWT_OK },
        { "0.0.0.0/0", "2001:db8::1", PB_JWT_WRONG_IP },
        { "203.0.113.7", "::ffff:203.0.113.7", PB_JWT_OK },
        { "2001:db8::/32", "2001:db8:1::5", PB_JWT_OK },
        { "2001:db8::/32", "2001:db9::5", PB_JWT_WRONG_IP },
        { "2001:db8::1", "2001:db8::1", PB_JWT_OK },
        { "2001:db8::1", "2001:db8::2", PB_JWT_WRONG_IP },
        { "2001:db8::/33", "2001:db8:8000::1", PB_JWT_WRONG_IP },
        { "2001:db8::1", "203.0.113.7", PB_JWT_WRONG_IP },
        { "203.0.113.7/33", NULL, -1 },
        { "2001:db8::/129", NULL, -1 },
        { "203.0.113.7/", NULL, -1 },
        { "203.0.113.7/2x", NULL, -1 },
        { "203.0.113", NULL, -1 },
        { "/24", NULL, -1 },
        { "example.com", NULL, -1 },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&c, 0, sizeof(pb_jwt_claims_t));

        if (pb_jwt_parse_cidr((u_char *) cases[i].claim,
                              strlen(cases[i].claim), &c.cidr)
            != 0)
        {
            if (cases[i].rc != -1) {
                fail_msg("case %zu: %s refused", i, cases[i].claim);
            }

            continue;
        }

        if (cases[i].rc == -1) {
            fail_msg("case %zu: %s accepted", i, cases[i].claim);
        }

        if (strchr(cases[i].client, ':') != NULL) {
            assert_int_equal(inet_pton(AF_INET6, cases[i].client, addr), 1);
            if (pb_jwt_check_ip(&c, 6, addr) != cases[i].rc) {
                fail_msg("case %zu", i);
            }

        } else {
            assert_int_equal(inet_pton(AF_INET, cases[i].client, addr), 1);
            if (pb_jwt_check_ip(&c, 4, addr) != cases[i].rc) {
                fail_msg("case %zu", i);
            }
        }
    }

    /* no ip claim: any address */
    memset(&c, 0, sizeof(pb_jwt_claims_t));
    assert_int_equal(pb_jwt_check_ip(&c, 4, addr), PB_JWT_OK);
    assert_string_equal(pb_jwt_reason(PB_JWT_WRONG_IP), "wrong-ip");
    assert_string_equal(pb_jwt_reason(PB_JWT_OK), "OK");
}


/* key files: whitespace and padding ignored, size limits exact */

static void
test_key_decode(void **state)
{
    size_t   n, len;
    u_char   raw[PB_JWT_KEY_MAX + 1], text[2 * PB_JWT_KEY_MAX + 8];
    u_char   key[PB_KEY_BUF];

    memset(raw, 0xa5, sizeof(raw));

    assert_int_equal(pb_key_decode(key, (u_char *) "", 0), PB_KEY_EMPTY);
    assert_int_equal(pb_key_decode(key, (u_char *) " \n=\n", 4),
                     PB_KEY_EMPTY);
    assert_int_equal(pb_key_decode(key, (u_char *) "abc$def", 7),
                     PB_KEY_NOT_BASE64URL);

    for (n = PB_JWT_KEY_MIN - 1; n <= PB_JWT_KEY_MAX + 1;
         n += (n == PB_JWT_KEY_MIN) ? PB_JWT_KEY_MAX - PB_JWT_KEY_MIN - 1 : 1)
    {
        /* "  <base64url>=\n" */
        text[0] = ' ';
        text[1] = ' ';
        len = 2 + pb_base64url_encode(text + 2, raw, n);
        text[len++] = '=';
        text[len++] = '\n';

        if (n < PB_JWT_KEY_MIN || n > PB_JWT_KEY_MAX) {
            assert_int_equal(pb_key_decode(key, text, len), PB_KEY_BAD_SIZE);
            continue;
        }

        assert_int_equal(pb_key_decode(key, text, len), (ssize_t) n);
        assert_memory_equal(key, raw, n);
    }
}


/* the flat entry point of the Lua API: a caller's buffer, no vod_env_t */

static void
test_verify_flat(void **state)
{
    u_char            out[1024], scratch[8192];
    size_t            len;
    const char       *err;
    pb_jwt_key_t      key;
    pb_jwt_mint_t     m;
    pb_jwt_claims_t   claims;

    static u_char  secret[] = "0123456789abcdef0123456789abcdef";

    memset(&m, 0, sizeof(pb_jwt_mint_t));
    m.kid.data = (u_char *) "k1";
    m.kid.len = 2;
    m.secret.data = secret;
    m.secret.len = 32;
    m.exp = 2000000000;
    m.sub.data = (u_char *) "acct";
    m.sub.len = 4;
    m.path.data = (u_char *) "/vod/t/";
    m.path.len = 7;

    assert_true(pb_jwt_mint_size(&m) <= sizeof(out));
    assert_int_equal(pb_jwt_mint(&m, out, sizeof(out), &len), PB_JWT_OK);

    key.kid = m.kid;
    key.secret = m.secret;
    key.mac = NULL;

    assert_true(pb_jwt_flat_scratch(len) <= sizeof(scratch));
    assert_int_equal(pb_jwt_verify_flat(out, len, &key, 1, 1900000000, 30,
                                        scratch, sizeof(scratch), &claims,
                                        &err),
                     PB_JWT_OK);
    assert_int_equal(claims.sub.len, 4);
    assert_memory_equal(claims.sub.data, "acct", 4);
    assert_int_equal(claims.exp, 2000000000);

    assert_int_equal(pb_jwt_verify_flat(out, len, &key, 1, 2000000031, 30,
                                        scratch, sizeof(scratch), &claims,
                                        &err),
                     PB_JWT_EXPIRED);

    /* too little scratch is an error, never an overflow (ASan watches) */
    assert_int_equal(pb_jwt_verify_flat(out, len, &key, 1, 1900000000, 30,
                                        scratch, 16, &claims, &err),
                     PB_JWT_ERROR);
}


/* keys keyed once (as the module does) verify and refuse exactly as the
 * one-shot HMAC does: the same vectors again */

static void
test_prepared_keys(void **state)
{
    assert_int_equal(pb_jwt_key_prepare(&test_keys[0]), 0);
    assert_int_equal(pb_jwt_key_prepare(&test_keys[1]), 0);
    assert_non_null(test_keys[0].mac);
    assert_non_null(test_keys[1].mac);

    test_good(state);
    test_refusals(state);
    test_tamper(state);
    test_rotation(state);

    /* twice in a row on one context: the key survives a verification */
    test_good(state);

    pb_jwt_mac_free(test_keys[0].mac);
    pb_jwt_mac_free(test_keys[1].mac);
    test_keys[0].mac = NULL;
    test_keys[1].mac = NULL;
}


/* the profiles claim: an array of non-empty strings, at most 64 */

static void
test_profiles(void **state)
{
    u_char           *out;
    size_t            len;
    vod_str_t         profiles[3];
    pb_jwt_mint_t     m;
    pb_jwt_claims_t   c;

    assert_int_equal(test_verify(TV_PROFILES, TEST_NOW, &c), PB_JWT_OK);
    assert_int_equal(c.nprofiles, 2);
    assert_true(test_str_eq(&c.profiles[0], "kids"));
    assert_true(test_str_eq(&c.profiles[1], "p-2"));
    assert_true(pb_jwt_has_profile(&c, (u_char *) "kids", 4));
    assert_true(pb_jwt_has_profile(&c, (u_char *) "p-2", 3));
    assert_false(pb_jwt_has_profile(&c, (u_char *) "kid", 3));
    assert_false(pb_jwt_has_profile(&c, (u_char *) "p-2x", 4));

    assert_int_equal(test_verify(TV_PROFILES_EMPTY, TEST_NOW, &c),
                     PB_JWT_OK);
    assert_non_null(c.profiles);
    assert_int_equal(c.nprofiles, 0);
    assert_false(pb_jwt_has_profile(&c, (u_char *) "kids", 4));

    /* no claim: no profile at all */
    assert_int_equal(test_verify(TV_GOOD, TEST_NOW, &c), PB_JWT_OK);
    assert_null(c.profiles);
    assert_false(pb_jwt_has_profile(&c, (u_char *) "kids", 4));

    assert_int_equal(test_verify(TV_PROFILES_STRING, TEST_NOW, &c),
                     PB_JWT_MALFORMED);
    assert_int_equal(test_verify(TV_PROFILES_NUMBER, TEST_NOW, &c),
                     PB_JWT_MALFORMED);
    assert_int_equal(test_verify(TV_PROFILES_BLANK, TEST_NOW, &c),
                     PB_JWT_MALFORMED);
    assert_int_equal(test_verify(TV_PROFILES_CTL, TEST_NOW, &c),
                     PB_JWT_MALFORMED);
    assert_int_equal(test_verify(TV_PROFILES_65, TEST_NOW, &c),
                     PB_JWT_MALFORMED);
    assert_int_equal(test_verify(TV_PROFILES_64, TEST_NOW, &c), PB_JWT_OK);
    assert_int_equal(c.nprofiles, 64);
    assert_true(pb_jwt_has_profile(&c, (u_char *) "p63", 3));

    /* minted byte for byte as Python made TV_PROFILES */

    memset(&m, 0, sizeof(pb_jwt_mint_t));
    m.kid.data = (u_char *) "k1";
    m.kid.len = 2;
    m.secret.data = test_k1;
    m.secret.len = 64;
    m.exp = TEST_NOW + 10;
    m.sub.data = (u_char *) "acct-7";
    m.sub.len = 6;
    profiles[0].data = (u_char *) "kids";
    profiles[0].len = 4;
    profiles[1].data = (u_char *) "p-2";
    profiles[1].len = 3;
    m.profiles = profiles;
    m.nprofiles = 2;

    out = malloc(pb_jwt_mint_size(&m));
    assert_non_null(out);
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_OK);
    assert_int_equal(len, sizeof(TV_PROFILES) - 1);
    assert_memory_equal(out, TV_PROFILES, len);
    free(out);

    /* escaping round-trips; an empty list is minted as [] */

    profiles[2].data = (u_char *) "q\"\\x";
    profiles[2].len = 4;
    m.profiles = &profiles[2];
    m.nprofiles = 1;

    out = malloc(pb_jwt_mint_size(&m) + 1);
    assert_non_null(out);
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_OK);
    out[len] = '\0';
    assert_int_equal(test_verify((char *) out, TEST_NOW, &c), PB_JWT_OK);
    assert_int_equal(c.nprofiles, 1);
    assert_true(test_str_eq(&c.profiles[0], "q\"\\x"));
    free(out);

    m.nprofiles = 0;
    out = malloc(pb_jwt_mint_size(&m) + 1);
    assert_non_null(out);
    assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                     PB_JWT_OK);
    out[len] = '\0';
    assert_int_equal(test_verify((char *) out, TEST_NOW, &c), PB_JWT_OK);
    assert_non_null(c.profiles);
    assert_int_equal(c.nprofiles, 0);
    free(out);

    test_free_all();
}


/* aud: minted as asked, read back as bits; media takes media or no aud,
 * the API takes api only */

static void
test_audience(void **state)
{
    size_t            i, len;
    u_char           *out;
    pb_jwt_mint_t     m;
    pb_jwt_claims_t   c;

    static const struct {
        unsigned  aud;
        int       media;
        int       api;
    } cases[] = {
        { 0, PB_JWT_OK, PB_JWT_WRONG_AUDIENCE },
        { PB_JWT_AUD_MEDIA, PB_JWT_OK, PB_JWT_WRONG_AUDIENCE },
        { PB_JWT_AUD_API, PB_JWT_WRONG_AUDIENCE, PB_JWT_OK },
        { PB_JWT_AUD_MEDIA | PB_JWT_AUD_API, PB_JWT_OK, PB_JWT_OK },
    };

    memset(&m, 0, sizeof(pb_jwt_mint_t));
    m.kid.data = (u_char *) "k1";
    m.kid.len = 2;
    m.secret.data = test_k1;
    m.secret.len = 64;
    m.exp = TEST_NOW + 3600;
    m.path.data = (u_char *) "/vod/";
    m.path.len = 5;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        m.aud = cases[i].aud;

        out = malloc(pb_jwt_mint_size(&m) + 1);
        assert_non_null(out);
        assert_int_equal(pb_jwt_mint(&m, out, pb_jwt_mint_size(&m), &len),
                         PB_JWT_OK);
        out[len] = '\0';

        assert_int_equal(test_verify((char *) out, TEST_NOW, &c), PB_JWT_OK);
        assert_int_equal(c.aud, cases[i].aud);
        assert_int_equal(pb_jwt_check_audience(&c, PB_JWT_AUD_MEDIA),
                         cases[i].media);
        assert_int_equal(pb_jwt_check_audience(&c, PB_JWT_AUD_API),
                         cases[i].api);
        free(out);
    }

    /* an audience we do not serve opens neither */
    memset(&c, 0, sizeof(pb_jwt_claims_t));
    c.aud = PB_JWT_AUD_OTHER;
    assert_int_equal(pb_jwt_check_audience(&c, PB_JWT_AUD_MEDIA),
                     PB_JWT_WRONG_AUDIENCE);
    assert_int_equal(pb_jwt_check_audience(&c, PB_JWT_AUD_API),
                     PB_JWT_WRONG_AUDIENCE);
    assert_string_equal(pb_jwt_reason(PB_JWT_WRONG_AUDIENCE),
                        "wrong-audience");
    assert_string_equal(pb_jwt_reason(PB_JWT_WRONG_AUDIENCE + 1), "error");

    test_free_all();
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_good),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_tamper),
        cmocka_unit_test(test_rotation),
        cmocka_unit_test(test_time),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_mint),
        cmocka_unit_test(test_path),
        cmocka_unit_test(test_check_path),
        cmocka_unit_test(test_ip),
        cmocka_unit_test(test_key_decode),
        cmocka_unit_test(test_verify_flat),
        cmocka_unit_test(test_prepared_keys),
        cmocka_unit_test(test_profiles),
        cmocka_unit_test(test_audience),
    };

    return cmocka_run_group_tests(tests, test_setup, NULL);
}
