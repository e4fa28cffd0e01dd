/*
 * test_bits.c: the core's bit reader (vod_bits.h) against hand-made
 * codes from ISO/IEC 14496-10 9.1 (Exp-Golomb) and 7.4.1 (emulation
 * prevention), with the edges its callers rely on: a read past the end,
 * the longest ue(v) and the RBSP's output bound.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_bits.h"


static void test_u(void **state);
static void test_ue_se(void **state);
static void test_ue_longest(void **state);
static void test_rbsp(void **state);


static void
test_u(void **state)
{
    vod_bits_t           br;
    static const u_char  p[] = { 0xa5, 0x0f };

    vod_bits_init(&br, p, sizeof(p));

    assert_int_equal(vod_bits_u(&br, 1), 1);
    assert_int_equal(vod_bits_u(&br, 3), 2);
    assert_int_equal(vod_bits_u(&br, 8), 0x50);    /* across the bytes */
    assert_int_equal(vod_bits_u(&br, 4), 0xf);
    assert_int_equal(br.error, 0);

    /* past the end: 0 and error, which stays */
    assert_int_equal(vod_bits_u(&br, 1), 0);
    assert_int_equal(br.error, 1);

    vod_bits_init(&br, p, sizeof(p));
    assert_int_equal(vod_bits_u(&br, 17), 0);
    assert_int_equal(br.error, 1);

    vod_bits_init(&br, (const u_char *) "\xde\xad\xbe\xef", 4);
    assert_int_equal(vod_bits_u(&br, 32), 0xdeadbeef);
    assert_int_equal(br.error, 0);
}


static void
test_ue_se(void **state)
{
    vod_bits_t           br;

    /* 1 010 011 00100 00101 0001000 1: codeNums 0 1 2 3 4 7 0 */
    static const u_char  p[] = { 0xa6, 0x42, 0x88, 0x80 };

    vod_bits_init(&br, p, sizeof(p));

    assert_int_equal(vod_bits_ue(&br), 0);
    assert_int_equal(vod_bits_ue(&br), 1);
    assert_int_equal(vod_bits_se(&br), -1);        /* codeNum 2 */
    assert_int_equal(vod_bits_se(&br), 2);         /* codeNum 3 */
    assert_int_equal(vod_bits_se(&br), -2);        /* codeNum 4 */
    assert_int_equal(vod_bits_ue(&br), 7);
    assert_int_equal(vod_bits_ue(&br), 0);
    assert_int_equal(br.error, 0);

    /* 0 0 ... 1 cut short */
    vod_bits_init(&br, (const u_char *) "\x00", 1);
    assert_int_equal(vod_bits_ue(&br), 0);
    assert_int_equal(br.error, 1);

    /* skip_ue: three codes, then a fourth would run past the end */
    vod_bits_init(&br, p, 1);
    vod_bits_skip_ue(&br, 3);
    assert_int_equal(br.error, 0);
    assert_int_equal(vod_bits_u(&br, 1), 0);       /* 00100's first */
    vod_bits_init(&br, p, 1);
    vod_bits_skip_ue(&br, 5);
    assert_int_equal(br.error, 1);
}


static void
test_ue_longest(void **state)
{
    u_char      p[9];
    vod_bits_t  br;

    /* 31 zeros, a one, 31 ones: 2^31 - 1 + 2^31 - 1, the largest value */
    memset(p, 0, sizeof(p));
    p[3] = 0x01;
    memset(&p[4], 0xff, 4);
    p[8] = 0xfe;

    vod_bits_init(&br, p, sizeof(p));
    assert_int_equal(vod_bits_ue(&br), 0xfffffffe);
    assert_int_equal(br.error, 0);

    /* 32 zeros: the value would not fit 32 bits */
    p[3] = 0x00;
    p[4] = 0x80;
    vod_bits_init(&br, p, sizeof(p));
    assert_int_equal(vod_bits_ue(&br), 0);
    assert_int_equal(br.error, 1);
}


static void
test_rbsp(void **state)
{
    size_t               n;
    u_char               out[16];
    static const u_char  nal[] = {
        0x00, 0x00, 0x03, 0x01, 0x00, 0x03, 0x00, 0x00, 0x03, 0x03, 0x07
    };

    /* 00 00 03 loses its 03, 00 03 keeps it, and so does the 03 after
     * an emulation prevention byte */
    n = vod_bits_rbsp(nal, sizeof(nal), out, sizeof(out));
    assert_int_equal(n, 9);
    assert_memory_equal(out, "\x00\x00\x01\x00\x03\x00\x00\x03\x07", 9);

    /* the bound is on the output */
    memset(out, 0xee, sizeof(out));
    n = vod_bits_rbsp(nal, sizeof(nal), out, 3);
    assert_int_equal(n, 3);
    assert_memory_equal(out, "\x00\x00\x01\xee", 4);

    n = vod_bits_rbsp(nal, sizeof(nal), out, 0);
    assert_int_equal(n, 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_u),
        cmocka_unit_test(test_ue_se),
        cmocka_unit_test(test_ue_longest),
        cmocka_unit_test(test_rbsp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
