/*
 * test_slot.c: Redis Cluster's hash slots: CRC16 (XMODEM) against its
 * check value, slots of keys whose answers Redis itself gives (CLUSTER
 * KEYSLOT of redis-server 7.0), and the hash tag's rules from the Cluster
 * specification.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vod_slot.h"


#define test_slot_of(s)  vod_slot((const u_char *) s, sizeof(s) - 1)


static void test_slot_crc16(void **state);
static void test_slot_keys(void **state);
static void test_slot_tags(void **state);


static void
test_slot_crc16(void **state)
{
    /* the CRC-16/XMODEM check value, as the specification quotes it */
    assert_int_equal(vod_crc16((const u_char *) "123456789", 9), 0x31c3);
    assert_int_equal(vod_crc16((const u_char *) "", 0), 0);
}


static void
test_slot_keys(void **state)
{
    /* CLUSTER KEYSLOT of redis-server 7.0 */
    assert_int_equal(test_slot_of("foo"), 12182);
    assert_int_equal(test_slot_of("bar"), 5061);
    assert_int_equal(test_slot_of("hello"), 866);
    assert_int_equal(test_slot_of(""), 0);
    assert_int_equal(test_slot_of("playback:{acct-1}:p1:t1"),
                     test_slot_of("acct-1"));
}


static void
test_slot_tags(void **state)
{
    /* one tag: the keys share a slot */
    assert_int_equal(test_slot_of("{user1000}.following"),
                     test_slot_of("{user1000}.followers"));
    assert_int_equal(test_slot_of("{user1000}.following"),
                     test_slot_of("user1000"));

    /* the first '{' and the first '}' after it */
    assert_int_equal(test_slot_of("foo{{bar}}zap"), test_slot_of("{bar"));
    assert_int_equal(test_slot_of("foo{bar}{zap}"), test_slot_of("bar"));

    /* an empty tag, or no '}' after the '{': the whole key */
    assert_int_equal(test_slot_of("foo{}{bar}"),
                     vod_crc16((const u_char *) "foo{}{bar}", 10) & 16383);
    assert_int_equal(test_slot_of("foo{bar"),
                     vod_crc16((const u_char *) "foo{bar", 7) & 16383);
    assert_int_equal(test_slot_of("}foo{"),
                     vod_crc16((const u_char *) "}foo{", 5) & 16383);
    assert_int_not_equal(test_slot_of("foo{}{bar}"), test_slot_of("bar"));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_slot_crc16),
        cmocka_unit_test(test_slot_keys),
        cmocka_unit_test(test_slot_tags),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
