/*
 * test_drm.c: pb_drm: the names devices give DRM systems, short and EME,
 * in any case, and what is not one (a prefix without its dot, a longer
 * word, an empty string).
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "pb_drm.h"


static int
test_system(const char *name)
{
    return pb_drm_system((const u_char *) name, strlen(name));
}


static void
test_names(void **state)
{
    assert_int_equal(test_system("widevine"), PB_DRM_WIDEVINE);
    assert_int_equal(test_system("Widevine"), PB_DRM_WIDEVINE);
    assert_int_equal(test_system("com.widevine.alpha"), PB_DRM_WIDEVINE);
    assert_int_equal(test_system("playready"), PB_DRM_PLAYREADY);
    assert_int_equal(test_system("com.microsoft.playready"),
                     PB_DRM_PLAYREADY);
    assert_int_equal(test_system("com.microsoft.playready.recommendation"),
                     PB_DRM_PLAYREADY);
    assert_int_equal(test_system("FairPlay"), PB_DRM_FAIRPLAY);
    assert_int_equal(test_system("com.apple.fps"), PB_DRM_FAIRPLAY);
    assert_int_equal(test_system("com.apple.fps.1_0"), PB_DRM_FAIRPLAY);
    assert_int_equal(test_system("clearkey"), PB_DRM_CLEARKEY);
    assert_int_equal(test_system("org.w3.clearkey"), PB_DRM_CLEARKEY);

    assert_string_equal(pb_drm_name(PB_DRM_WIDEVINE), "widevine");
    assert_string_equal(pb_drm_name(PB_DRM_CLEARKEY), "clearkey");
    assert_null(pb_drm_name(PB_DRM_NONE));
    assert_null(pb_drm_name(99));
}


static void
test_not_names(void **state)
{
    assert_int_equal(test_system(""), PB_DRM_NONE);
    assert_int_equal(test_system("widevin"), PB_DRM_NONE);
    assert_int_equal(test_system("widevine2"), PB_DRM_NONE);
    assert_int_equal(test_system("com.apple.fpsx"), PB_DRM_NONE);
    assert_int_equal(test_system("com.apple.fps."), PB_DRM_NONE);
    assert_int_equal(test_system("com.widevine.alpha.x"), PB_DRM_NONE);
    assert_int_equal(test_system("org.w3.clearkey2"), PB_DRM_NONE);
    assert_int_equal(test_system("primetime"), PB_DRM_NONE);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_names),
        cmocka_unit_test(test_not_names),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
