/*
 * test_thumb_nal.c: the frames a thumbnail's decode skips
 * (vod_thumb_nal.c): H.264 slices of nal_ref_idc 0, HEVC sub-layer
 * non-reference pictures of the highest sub-layer, in length-prefixed
 * samples; and every case where it must not skip.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vod_thumb_nal.h"


static void test_thumb_nal_avc(void **state);
static void test_thumb_nal_hevc(void **state);
static void test_thumb_nal_hevc_layers(void **state);
static void test_thumb_nal_open_key(void **state);
static void hvcc(u_char *c, uint32_t layers);


static void
test_thumb_nal_avc(void **state)
{
    vod_thumb_nal_t  nal;

    /* 4-byte lengths: SEI (6), then a non-reference P/B slice */
    static const u_char  b[] = { 0, 0, 0, 2, 0x06, 0x80,
                                 0, 0, 0, 3, 0x01, 0x9a, 0x00 };
    /* a referenced slice (nal_ref_idc 2) */
    static const u_char  p[] = { 0, 0, 0, 3, 0x41, 0x9a, 0x00 };
    /* an IDR slice */
    static const u_char  i[] = { 0, 0, 0, 3, 0x65, 0x88, 0x00 };
    /* a length past the end */
    static const u_char  bad[] = { 0, 0, 0, 9, 0x01, 0x9a, 0x00 };
    /* two slices, the second referenced */
    static const u_char  two[] = { 0, 2, 0x01, 0x9a, 0, 2, 0x21, 0x9a };
    /* no slice at all */
    static const u_char  sei[] = { 0, 0, 0, 2, 0x06, 0x80 };

    vod_thumb_nal_init(&nal, VOD_CODEC_AVC, NULL, 0, 4);

    assert_int_equal(vod_thumb_nal_disposable(&nal, b, sizeof(b)), 1);
    assert_int_equal(vod_thumb_nal_disposable(&nal, p, sizeof(p)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, i, sizeof(i)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, bad, sizeof(bad)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, sei, sizeof(sei)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, b, 0), 0);

    vod_thumb_nal_init(&nal, VOD_CODEC_AVC, NULL, 0, 2);

    assert_int_equal(vod_thumb_nal_disposable(&nal, two, sizeof(two)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, two, 4), 1);

    /* a length size avcC cannot have: nothing is skipped */
    vod_thumb_nal_init(&nal, VOD_CODEC_AVC, NULL, 0, 3);

    assert_int_equal(vod_thumb_nal_disposable(&nal, b, sizeof(b)), 0);
}


static void
test_thumb_nal_hevc(void **state)
{
    u_char           c[23];
    vod_thumb_nal_t  nal;

    /* NAL header: type << 1, then nuh_temporal_id_plus1 1 */

    /* SEI prefix (39), then TRAIL_N (0): disposable */
    static const u_char  trail_n[] = { 0, 0, 0, 3, 39 << 1, 0x01, 0x05,
                                       0, 0, 0, 3, 0 << 1, 0x01, 0xaf };
    /* TRAIL_R (1): referred to */
    static const u_char  trail_r[] = { 0, 0, 0, 3, 1 << 1, 0x01, 0xaf };
    /* TSA_N, STSA_N, RADL_N, RASL_N, RSV_VCL_N10, N12, N14 */
    static const u_char  n_types[] = { 2, 4, 6, 8, 10, 12, 14 };
    /* IDR_W_RADL (19), CRA (21), RSV_VCL_N14's neighbour 15 */
    static const u_char  r_types[] = { 19, 21, 15, 16, 3, 9 };
    /* a TRAIL_N of layer 1 (nuh_layer_id 1) */
    static const u_char  layer1[] = { 0, 0, 0, 3, 0 << 1, 0x09, 0xaf };
    /* a TRAIL_N whose nuh_temporal_id_plus1 is 0 (forbidden) */
    static const u_char  tid0[] = { 0, 0, 0, 3, 0 << 1, 0x00, 0xaf };
    /* two slices of one picture, the second TRAIL_R */
    static const u_char  two[] = { 0, 0, 0, 3, 0 << 1, 0x01, 0xaf,
                                   0, 0, 0, 3, 1 << 1, 0x01, 0x2f };
    /* a slice NAL unit of one byte: no header to read */
    static const u_char  shortnal[] = { 0, 0, 0, 1, 0 << 1 };
    /* VPS (32) only */
    static const u_char  vps[] = { 0, 0, 0, 3, 32 << 1, 0x01, 0x0c };

    u_char    s[7];
    uint32_t  k;

    hvcc(c, 1);
    vod_thumb_nal_init(&nal, VOD_CODEC_HEVC, c, sizeof(c), 4);

    assert_int_equal(vod_thumb_nal_disposable(&nal, trail_n,
                                              sizeof(trail_n)), 1);
    assert_int_equal(vod_thumb_nal_disposable(&nal, trail_r,
                                              sizeof(trail_r)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, layer1,
                                              sizeof(layer1)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, tid0, sizeof(tid0)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, two, sizeof(two)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, two, 7), 1);
    assert_int_equal(vod_thumb_nal_disposable(&nal, shortnal,
                                              sizeof(shortnal)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, vps, sizeof(vps)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, trail_n, 10), 0);

    memcpy(s, trail_r, sizeof(s));

    for (k = 0; k < sizeof(n_types); k++) {
        s[4] = (u_char) (n_types[k] << 1);
        assert_int_equal(vod_thumb_nal_disposable(&nal, s, sizeof(s)), 1);
    }

    for (k = 0; k < sizeof(r_types); k++) {
        s[4] = (u_char) (r_types[k] << 1);
        assert_int_equal(vod_thumb_nal_disposable(&nal, s, sizeof(s)), 0);
    }

    /* the same samples read as H.264 would be other NAL types: the codec
     * decides */
    vod_thumb_nal_init(&nal, VOD_CODEC_AVC, c, sizeof(c), 4);
    assert_int_equal(vod_thumb_nal_disposable(&nal, trail_r,
                                              sizeof(trail_r)), 1);
}


/* hvcC's numTemporalLayers: only the highest sub-layer's non-reference
 * pictures are skipped, none when it says "unknown" or is too short */

static void
test_thumb_nal_hevc_layers(void **state)
{
    u_char           c[23];
    vod_thumb_nal_t  nal;

    /* TRAIL_N at TemporalId 0 and at 1 */
    static const u_char  t0[] = { 0, 0, 0, 3, 0 << 1, 0x01, 0xaf };
    static const u_char  t1[] = { 0, 0, 0, 3, 0 << 1, 0x02, 0xaf };

    hvcc(c, 2);
    vod_thumb_nal_init(&nal, VOD_CODEC_HEVC, c, sizeof(c), 4);

    assert_int_equal(vod_thumb_nal_disposable(&nal, t0, sizeof(t0)), 0);
    assert_int_equal(vod_thumb_nal_disposable(&nal, t1, sizeof(t1)), 1);

    hvcc(c, 0);
    vod_thumb_nal_init(&nal, VOD_CODEC_HEVC, c, sizeof(c), 4);

    assert_int_equal(vod_thumb_nal_disposable(&nal, t0, sizeof(t0)), 0);

    hvcc(c, 1);
    vod_thumb_nal_init(&nal, VOD_CODEC_HEVC, c, sizeof(c) - 1, 4);

    assert_int_equal(vod_thumb_nal_disposable(&nal, t0, sizeof(t0)), 0);

    /* another codec: nothing skipped */
    vod_thumb_nal_init(&nal, VOD_CODEC_AV1, c, sizeof(c), 4);

    assert_int_equal(vod_thumb_nal_disposable(&nal, t0, sizeof(t0)), 0);
}


/* an hvcC's first 23 bytes: version 1, numTemporalLayers, 4-byte
 * lengths */

static void
test_thumb_nal_open_key(void **state)
{
    vod_thumb_nal_t  nal;

    /* slice headers after the NAL header: first_mb_in_slice ue(0) "1",
     * then slice_type: ue(7) (I, all slices) "0001000", ue(2) (I) "011",
     * ue(5) (P, all slices) "00110", ue(9) (SI, all) "0001010" */
    static const u_char  i7[] = { 0, 0, 0, 3, 0x21, 0x88, 0x80 };
    static const u_char  i2[] = { 0, 0, 0, 2, 0x01, 0xb0 };
    static const u_char  p5[] = { 0, 0, 0, 3, 0x21, 0x98, 0x80 };
    static const u_char  si[] = { 0, 0, 0, 3, 0x21, 0x8a, 0x80 };
    /* SEI (6) first, then the non-IDR I slice */
    static const u_char  sei_i[] = { 0, 0, 0, 2, 0x06, 0x80,
                                     0, 0, 0, 3, 0x21, 0x88, 0x80 };
    /* an IDR slice (5), the same header */
    static const u_char  idr[] = { 0, 0, 0, 3, 0x65, 0x88, 0x80 };
    /* a length past the end; a slice with no header; no slice */
    static const u_char  bad[] = { 0, 0, 0, 9, 0x21, 0x88, 0x80 };
    static const u_char  bare[] = { 0, 0, 0, 1, 0x21 };
    static const u_char  sei[] = { 0, 0, 0, 2, 0x06, 0x80 };
    /* 2-byte lengths */
    static const u_char  i7s[] = { 0, 3, 0x21, 0x88, 0x80 };

    (void) state;

    vod_thumb_nal_init(&nal, VOD_CODEC_AVC, NULL, 0, 4);

    assert_int_equal(vod_thumb_nal_open_key(&nal, i7, sizeof(i7)), 1);
    assert_int_equal(vod_thumb_nal_open_key(&nal, i2, sizeof(i2)), 1);
    assert_int_equal(vod_thumb_nal_open_key(&nal, si, sizeof(si)), 1);
    assert_int_equal(vod_thumb_nal_open_key(&nal, sei_i, sizeof(sei_i)), 1);
    assert_int_equal(vod_thumb_nal_open_key(&nal, p5, sizeof(p5)), 0);
    assert_int_equal(vod_thumb_nal_open_key(&nal, idr, sizeof(idr)), 0);
    assert_int_equal(vod_thumb_nal_open_key(&nal, bad, sizeof(bad)), 0);
    assert_int_equal(vod_thumb_nal_open_key(&nal, bare, sizeof(bare)), 0);
    assert_int_equal(vod_thumb_nal_open_key(&nal, sei, sizeof(sei)), 0);
    assert_int_equal(vod_thumb_nal_open_key(&nal, i7, 0), 0);

    vod_thumb_nal_init(&nal, VOD_CODEC_AVC, NULL, 0, 2);
    assert_int_equal(vod_thumb_nal_open_key(&nal, i7s, sizeof(i7s)), 1);

    /* HEVC's CRA is told by the decoder itself */
    vod_thumb_nal_init(&nal, VOD_CODEC_HEVC, NULL, 0, 4);
    assert_int_equal(vod_thumb_nal_open_key(&nal, i7, sizeof(i7)), 0);
}


static void
hvcc(u_char *c, uint32_t layers)
{
    memset(c, 0, 23);

    c[0] = 1;
    c[21] = (u_char) ((layers << 3) | 0x03);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_thumb_nal_avc),
        cmocka_unit_test(test_thumb_nal_hevc),
        cmocka_unit_test(test_thumb_nal_hevc_layers),
        cmocka_unit_test(test_thumb_nal_open_key),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
