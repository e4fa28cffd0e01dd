/*
 * test_json.c: the kit's JSON parser: values, strings and escapes, every
 * error with its reason and byte offset, the depth and node limits.  The
 * env is the fuzzers' (fuzz/fuzz_env.h): each allocation its own poisoned
 * block, so ASan sees a read past what the parser allocated.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vod_json.h"
#include "fuzz/fuzz_env.h"


typedef struct {
    vod_env_t     env;
    fuzz_ctx_t    ctx;
} test_json_state_t;


static int test_json_setup(void **state);
static int test_json_teardown(void **state);
static int test_json_parse_str(vod_env_t *env, const char *json,
    vod_json_limits_t *limits, vod_json_t **root);
static void test_json_values(void **state);
static void test_json_strings(void **state);
static void test_json_errors(void **state);
static void test_json_limits(void **state);


static int
test_json_setup(void **state)
{
    test_json_state_t  *st;

    st = calloc(1, sizeof(test_json_state_t));
    if (st == NULL) {
        return -1;
    }

    fuzz_env_init(&st->env, &st->ctx, NULL, 0);

    /* env is the first member: the tests take *state as the env, the
     * teardown as the whole */
    *state = &st->env;

    return 0;
}


static int
test_json_teardown(void **state)
{
    test_json_state_t  *st;

    st = *state;

    fuzz_env_free(&st->ctx);
    free(st);

    return 0;
}


/* the parser gets a copy of exactly the text, without its NUL, in an
 * allocation of that size, so ASan sees any read past the end */

static int
test_json_parse_str(vod_env_t *env, const char *json,
    vod_json_limits_t *limits, vod_json_t **root)
{
    size_t   len;
    u_char  *buf;

    len = strlen(json);
    buf = env->alloc(env, len);
    assert_non_null(buf);
    memcpy(buf, json, len);

    return vod_json_parse(env, buf, len, limits, root);
}


static void
test_json_values(void **state)
{
    vod_env_t          *env;
    vod_json_t         *root, *n;
    vod_json_limits_t   limits;

    env = *state;
    memset(&limits, 0, sizeof(vod_json_limits_t));

    assert_int_equal(test_json_parse_str(env,
        "{\"a\":[0,-0,1,-1,9223372036854775807,-9223372036854775808,"
        "9223372036854775808,1.5,2e3,-1.25E-2,true,false,null,\"s\",{},[]],"
        "\"b\":{\"c\":{}}}", &limits, &root), VOD_OK);

    assert_int_equal(root->type, VOD_JSON_OBJECT);
    assert_int_equal(root->count, 2);

    n = vod_json_get(root, "a");
    assert_non_null(n);
    assert_int_equal(n->type, VOD_JSON_ARRAY);
    assert_int_equal(n->count, 16);
    assert_int_equal(n->pos, 5);

    n = n->child;
    assert_true(n->is_integer && n->integer == 0);
    n = n->next;
    assert_true(n->is_integer && n->integer == 0);
    n = n->next;
    assert_true(n->is_integer && n->integer == 1);
    n = n->next;
    assert_true(n->is_integer && n->integer == -1);
    n = n->next;
    assert_true(n->is_integer && n->integer == INT64_MAX);
    n = n->next;
    assert_true(n->is_integer && n->integer == INT64_MIN);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_NUMBER);
    assert_false(n->is_integer);
    assert_int_equal(n->str.len, 19);
    n = n->next;
    assert_false(n->is_integer);
    assert_memory_equal(n->str.data, "1.5", 3);
    n = n->next;
    assert_false(n->is_integer);
    n = n->next;
    assert_false(n->is_integer);
    assert_int_equal(n->str.len, 8);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_TRUE);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_FALSE);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_NULL);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_STRING);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_OBJECT);
    assert_int_equal(n->count, 0);
    assert_null(n->child);
    n = n->next;
    assert_int_equal(n->type, VOD_JSON_ARRAY);
    assert_null(n->next);

    n = vod_json_get(vod_json_get(root, "b"), "c");
    assert_non_null(n);
    assert_int_equal(n->type, VOD_JSON_OBJECT);
    assert_null(vod_json_get(root, "z"));
    assert_null(vod_json_get(n, "a"));

    assert_int_equal(test_json_parse_str(env, " 42 ", &limits, &root),
                     VOD_OK);
    assert_true(root->is_integer && root->integer == 42);
}


static void
test_json_strings(void **state)
{
    vod_env_t          *env;
    vod_json_t         *root;
    vod_json_limits_t   limits;

    env = *state;
    memset(&limits, 0, sizeof(vod_json_limits_t));

    assert_int_equal(test_json_parse_str(env,
        "\"a\\\"b\\\\c\\/d\\b\\f\\n\\r\\t\\u0041\\u00e9\\u20ac"
        "\\uD834\\uDD1E\"", &limits, &root), VOD_OK);
    assert_int_equal(root->str.len, 22);
    assert_memory_equal(root->str.data,
                        "a\"b\\c/d\b\f\n\r\tA\xc3\xa9\xe2\x82\xac"
                        "\xf0\x9d\x84\x9e", 22);

    /* raw UTF-8 passes through, pointing into the input */
    assert_int_equal(test_json_parse_str(env, "\"\xc3\xa9\xe2\x82\xac\"",
                                         &limits, &root), VOD_OK);
    assert_int_equal(root->str.len, 5);

    /* \u0000 is a character like any other */
    assert_int_equal(test_json_parse_str(env, "\"a\\u0000b\"", &limits,
                                         &root), VOD_OK);
    assert_int_equal(root->str.len, 3);
    assert_memory_equal(root->str.data, "a\0b", 3);
}


static void
test_json_errors(void **state)
{
    size_t              i;
    vod_env_t          *env;
    vod_json_t         *root;
    vod_json_limits_t   limits;

    static const struct {
        const char  *json;
        const char  *err;
        size_t       pos;
    } cases[] = {
        { "01", "leading zero in a number", 1 },
        { "-", "expected a digit", 1 },
        { "-a", "expected a digit", 1 },
        { "1.", "expected a digit after '.'", 2 },
        { "1.e5", "expected a digit after '.'", 2 },
        { "1e", "expected a digit in the exponent", 2 },
        { "1e+", "expected a digit in the exponent", 3 },
        { "+1", "unexpected character", 0 },
        { ".5", "unexpected character", 0 },
        { "NaN", "unexpected character", 0 },
        { "tru", "invalid literal", 0 },
        { "nul", "invalid literal", 0 },
        { "True", "unexpected character", 0 },
        { "[1 2]", "expected ',' or ']'", 3 },
        { "{\"a\" 1}", "expected ':'", 5 },
        { "{\"a\":1 \"b\":2}", "expected ',' or '}'", 7 },
        { "{1:2}", "expected a member name", 1 },
        { "[1,]", "unexpected character", 3 },
        { "[", "unexpected end of input", 1 },
        { "\"abc", "unterminated string", 0 },
        { "\"a\\", "unterminated string", 0 },
        { "\"a\tb\"", "control character in a string", 2 },
        { "\"a\nb\"", "control character in a string", 2 },
        { "\"\\x\"", "bad escape", 1 },
        { "\"\\u12\"", "bad \\u escape", 1 },
        { "\"\\u12g4\"", "bad \\u escape", 1 },
        { "\"\\ud800\"", "lone high surrogate", 1 },
        { "\"\\ud800\\u0041\"", "lone high surrogate", 1 },
        { "\"\\udc00\"", "lone low surrogate", 1 },
        { "\"\xff\"", "invalid UTF-8", 1 },
        { "\"\xc0\xaf\"", "invalid UTF-8", 1 },
        { "\"\xe0\x80\xaf\"", "invalid UTF-8", 1 },
        { "\"\xed\xa0\x80\"", "invalid UTF-8", 1 },
        { "\"\xf4\x90\x80\x80\"", "invalid UTF-8", 1 },
        { "\"\xe2\x82\"", "invalid UTF-8", 1 },
        { "\"\x80\"", "invalid UTF-8", 1 },
        { "[] x", "trailing data after the value", 3 },
    };

    env = *state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        memset(&limits, 0, sizeof(vod_json_limits_t));

        if (test_json_parse_str(env, cases[i].json, &limits, &root)
            != VOD_BAD_DATA
            || limits.err == NULL
            || strcmp(limits.err, cases[i].err) != 0
            || limits.err_pos != cases[i].pos)
        {
            fail_msg("'%s': err \"%s\" at %zu, expected \"%s\" at %zu",
                     cases[i].json, limits.err ? limits.err : "(none)",
                     limits.err_pos, cases[i].err, cases[i].pos);
        }
    }
}


static void
test_json_limits(void **state)
{
    vod_env_t          *env;
    vod_json_t         *root;
    vod_json_limits_t   limits;

    env = *state;

    /* depth: max_depth containers nest, one more does not */

    memset(&limits, 0, sizeof(vod_json_limits_t));
    limits.max_depth = 3;
    assert_int_equal(test_json_parse_str(env, "[[{\"a\":1}]]", &limits,
                                         &root), VOD_OK);

    memset(&limits, 0, sizeof(vod_json_limits_t));
    limits.max_depth = 3;
    assert_int_equal(test_json_parse_str(env, "[[[[]]]]", &limits, &root),
                     VOD_BAD_DATA);
    assert_string_equal(limits.err, "nesting too deep");
    assert_int_equal(limits.err_pos, 3);

    /* nodes: every value counts */

    memset(&limits, 0, sizeof(vod_json_limits_t));
    limits.max_nodes = 4;
    assert_int_equal(test_json_parse_str(env, "[1,2,3]", &limits, &root),
                     VOD_OK);

    memset(&limits, 0, sizeof(vod_json_limits_t));
    limits.max_nodes = 4;
    assert_int_equal(test_json_parse_str(env, "[1,2,3,4]", &limits, &root),
                     VOD_BAD_DATA);
    assert_string_equal(limits.err, "too many values");
    assert_int_equal(limits.err_pos, 7);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_json_values, test_json_setup,
                                        test_json_teardown),
        cmocka_unit_test_setup_teardown(test_json_strings, test_json_setup,
                                        test_json_teardown),
        cmocka_unit_test_setup_teardown(test_json_errors, test_json_setup,
                                        test_json_teardown),
        cmocka_unit_test_setup_teardown(test_json_limits, test_json_setup,
                                        test_json_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
