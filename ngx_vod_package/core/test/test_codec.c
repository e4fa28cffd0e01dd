/*
 * test_codec.c: RFC 6381 codec strings and the AAC configuration parser,
 * on hand-made records whose expected strings come from the specs'
 * examples (ISO/IEC 14496-15 Annex E, RFC 6381 section 3.3).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_codec.h"
#include "vod_mp4.h"


static void test_avc(void **state);
static void test_hevc(void **state);
static void test_esds(void **state);
static void test_aac_config(void **state);
static void test_key_alone(void **state);


static void
test_avc(void **state)
{
    char      str[VOD_CODEC_STR_LEN];
    uint32_t  nls;

    /* High profile, level 3.1, 4-byte NAL lengths */
    static const u_char  high31[] = { 1, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0 };
    /* Constrained Baseline, level 3.0, 2-byte NAL lengths */
    static const u_char  base30[] = { 1, 0x42, 0xc0, 0x1e, 0xfd, 0xe1, 0 };
    static const u_char  three[] = { 1, 0x42, 0xc0, 0x1e, 0xfe, 0xe1, 0 };
    static const u_char  version2[] = { 2, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0 };

    assert_int_equal(vod_codec_avc(high31, sizeof(high31),
                                   vod_mp4_tag('a', 'v', 'c', '1'), str,
                                   &nls), VOD_OK);
    assert_string_equal(str, "avc1.64001f");
    assert_int_equal(nls, 4);

    assert_int_equal(vod_codec_avc(base30, sizeof(base30),
                                   vod_mp4_tag('a', 'v', 'c', '3'), str,
                                   &nls), VOD_OK);
    assert_string_equal(str, "avc3.42c01e");
    assert_int_equal(nls, 2);

    /* a 3-byte NAL length does not exist */
    assert_int_equal(vod_codec_avc(three, sizeof(three),
                                   vod_mp4_tag('a', 'v', 'c', '1'), str,
                                   &nls), VOD_BAD_DATA);
    assert_int_equal(vod_codec_avc(version2, sizeof(version2),
                                   vod_mp4_tag('a', 'v', 'c', '1'), str,
                                   &nls), VOD_BAD_DATA);
    assert_int_equal(vod_codec_avc(high31, 6,
                                   vod_mp4_tag('a', 'v', 'c', '1'), str,
                                   &nls), VOD_BAD_DATA);
}


static void
test_hevc(void **state)
{
    char      str[VOD_CODEC_STR_LEN];
    u_char    rec[23];
    uint32_t  nls;

    /* Annex E: "hev1.1.6.L93.B0": Main profile, compatibility flags 1 and
     * 2 (0x60000000, reversed 0x6), Main tier, level 3.1 (93),
     * progressive_source + frame_only constraint flags (0xB0) */

    memset(rec, 0, sizeof(rec));
    rec[0] = 1;
    rec[1] = 0x01;
    rec[2] = 0x60;
    rec[6] = 0xb0;
    rec[12] = 93;
    rec[21] = 0x0f;

    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'e', 'v', '1'), str,
                                    &nls), VOD_OK);
    assert_string_equal(str, "hev1.1.6.L93.B0");
    assert_int_equal(nls, 4);

    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'v', 'c', '1'), str,
                                    &nls), VOD_OK);
    assert_string_equal(str, "hvc1.1.6.L93.B0");

    /* Annex E: "hev1.A4.41.H120.B0.23": profile space 1, profile 4,
     * compatibility flags reversing to 0x41, High tier, level 4 (120),
     * two constraint bytes, the four trailing zero bytes dropped */

    memset(rec, 0, sizeof(rec));
    rec[0] = 1;
    rec[1] = 0x40 | 0x20 | 4;
    rec[2] = 0x82;
    rec[6] = 0xb0;
    rec[7] = 0x23;
    rec[12] = 120;
    rec[21] = 0x0d;

    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'e', 'v', '1'), str,
                                    &nls), VOD_OK);
    assert_string_equal(str, "hev1.A4.41.H120.B0.23");
    assert_int_equal(nls, 2);

    /* Main 10, no constraint flags at all: nothing after the level; a
     * zero byte between non-zero ones is kept */

    memset(rec, 0, sizeof(rec));
    rec[0] = 1;
    rec[1] = 2;
    rec[2] = 0x20;
    rec[12] = 150;
    rec[21] = 0x03;

    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'v', 'c', '1'), str,
                                    &nls), VOD_OK);
    assert_string_equal(str, "hvc1.2.4.L150");

    rec[6] = 0x90;
    rec[8] = 0x01;

    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'v', 'c', '1'), str,
                                    &nls), VOD_OK);
    assert_string_equal(str, "hvc1.2.4.L150.90.00.01");

    /* every flag, every constraint byte: still fits the buffer */

    memset(rec, 0xff, sizeof(rec));
    rec[0] = 1;

    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'v', 'c', '1'), str,
                                    &nls), VOD_OK);
    assert_string_equal(str, "hvc1.C31.FFFFFFFF.H255.FF.FF.FF.FF.FF.FF");

    /* short, bad version, 3-byte NAL lengths */

    assert_int_equal(vod_codec_hevc(rec, 22, vod_mp4_tag('h', 'v', 'c', '1'),
                                    str, &nls), VOD_BAD_DATA);
    rec[0] = 0;
    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'v', 'c', '1'), str,
                                    &nls), VOD_BAD_DATA);
    rec[0] = 1;
    rec[21] = 0x02;
    assert_int_equal(vod_codec_hevc(rec, sizeof(rec),
                                    vod_mp4_tag('h', 'v', 'c', '1'), str,
                                    &nls), VOD_BAD_DATA);
}


static void
test_esds(void **state)
{
    size_t          len;
    uint32_t        oti;
    const u_char   *asc;

    /* as ffmpeg writes it: 4-byte descriptor lengths */
    static const u_char  esds[] = {
        0, 0, 0, 0,
        0x03, 0x80, 0x80, 0x80, 0x22, 0x00, 0x01, 0x00,
        0x04, 0x80, 0x80, 0x80, 0x14, 0x40, 0x15, 0x00, 0x00, 0x00,
        0x00, 0x01, 0xf4, 0x00, 0x00, 0x01, 0xf4, 0x00,
        0x05, 0x80, 0x80, 0x80, 0x02, 0x11, 0x90,
        0x06, 0x80, 0x80, 0x80, 0x01, 0x02
    };

    /* short lengths, a URL and a dependency before the config */
    static const u_char  flags[] = {
        0, 0, 0, 0,
        0x03, 0x1f, 0x00, 0x01, 0xc0, 0x00, 0x02, 0x03, 'a', 'b', 'c',
        0x04, 0x11, 0x67, 0x15, 0x00, 0x00, 0x00,
        0x00, 0x01, 0xf4, 0x00, 0x00, 0x01, 0xf4, 0x00,
        0x05, 0x02, 0x12, 0x10,
        0x06, 0x01, 0x02
    };

    assert_int_equal(vod_codec_esds(esds, sizeof(esds), &oti, &asc, &len),
                     VOD_OK);
    assert_int_equal(oti, 0x40);
    assert_int_equal(len, 2);
    assert_int_equal(asc[0], 0x11);
    assert_int_equal(asc[1], 0x90);

    assert_int_equal(vod_codec_esds(flags, sizeof(flags), &oti, &asc, &len),
                     VOD_OK);
    assert_int_equal(oti, 0x67);
    assert_int_equal(len, 2);
    assert_int_equal(asc[0], 0x12);

    /* every truncation fails cleanly (ASan watches the reads) */
    for (len = 0; len < 34; len++) {
        u_char          copy[64];
        size_t          n;
        const u_char   *a;

        memcpy(copy, esds, len);
        assert_int_equal(vod_codec_esds(copy, len, &oti, &a, &n),
                         VOD_BAD_DATA);
    }

    /* a descriptor length longer than its parent */
    {
        u_char  bad[sizeof(esds)];

        memcpy(bad, esds, sizeof(esds));
        bad[8] = 0x7f;
        assert_int_equal(vod_codec_esds(bad, sizeof(bad), &oti, &asc, &len),
                         VOD_BAD_DATA);
    }
}


static void
test_aac_config(void **state)
{
    char              str[VOD_CODEC_STR_LEN];
    vod_aac_config_t  cfg;

    /* AAC-LC, 48 kHz, stereo */
    static const u_char  lc48[] = { 0x11, 0x90 };
    /* AAC-LC, 44.1 kHz, mono */
    static const u_char  lc44[] = { 0x12, 0x08 };
    /* explicit rate: LC, index 0xf, 22222 Hz (0x0056ce), 2 channels:
     * 00010 1111 000000000101011011001110 0010 */
    static const u_char  explicit[] = { 0x17, 0x80, 0x2b, 0x67, 0x11, 0x00 };
    /* escaped object type 31 + 11 = 42 (USAC), 48 kHz, 2 channels:
     * 11111 001010 0011 0010 */
    static const u_char  escaped[] = { 0xf9, 0x46, 0x40 };
    /* HE-AAC explicit: SBR (5), 24 kHz, stereo, extension 48 kHz, then
     * AAC-LC: 00101 0110 0010 0011 00010 */
    static const u_char  he[] = { 0x2b, 0x11, 0x88 };
    /* a reserved frequency index (13) */
    static const u_char  reserved[] = { 0x16, 0x90 };
    /* object type 0 */
    static const u_char  null[] = { 0x01, 0x90 };

    assert_int_equal(vod_codec_aac_config(lc48, 2, &cfg), VOD_OK);
    assert_int_equal(cfg.object_type, 2);
    assert_int_equal(cfg.sample_rate, 48000);
    assert_int_equal(cfg.channels, 2);
    vod_codec_aac(cfg.object_type, str);
    assert_string_equal(str, "mp4a.40.2");

    assert_int_equal(vod_codec_aac_config(lc44, 2, &cfg), VOD_OK);
    assert_int_equal(cfg.sample_rate, 44100);
    assert_int_equal(cfg.channels, 1);

    assert_int_equal(vod_codec_aac_config(explicit, sizeof(explicit), &cfg),
                     VOD_OK);
    assert_int_equal(cfg.object_type, 2);
    assert_int_equal(cfg.sample_rate, 22222);
    assert_int_equal(cfg.channels, 2);

    assert_int_equal(vod_codec_aac_config(escaped, sizeof(escaped), &cfg),
                     VOD_OK);
    assert_int_equal(cfg.object_type, 42);
    assert_int_equal(cfg.sample_rate, 48000);
    assert_int_equal(cfg.channels, 2);
    vod_codec_aac(cfg.object_type, str);
    assert_string_equal(str, "mp4a.40.42");

    assert_int_equal(vod_codec_aac_config(he, sizeof(he), &cfg), VOD_OK);
    assert_int_equal(cfg.object_type, 5);
    assert_int_equal(cfg.sample_rate, 48000);
    assert_int_equal(cfg.channels, 2);
    vod_codec_aac(cfg.object_type, str);
    assert_string_equal(str, "mp4a.40.5");

    assert_int_equal(vod_codec_aac_config(reserved, 2, &cfg), VOD_BAD_DATA);
    assert_int_equal(vod_codec_aac_config(null, 2, &cfg), VOD_BAD_DATA);
    assert_int_equal(vod_codec_aac_config(lc48, 1, &cfg), VOD_BAD_DATA);
    assert_int_equal(vod_codec_aac_config(explicit, 3, &cfg), VOD_BAD_DATA);
}


/* sync samples' first bytes: first_mb_in_slice 0 ("1"), then slice_type
 * in ue(v): 5 P "00110", 6 B "00111", 7 I "0001000", 9 SI "0001010" */

static void
test_key_alone(void **state)
{
    static const u_char  idr[] = { 0, 0, 0, 2, 0x65, 0x88 };
    static const u_char  idr2[] = { 0, 2, 0x65, 0x88 };
    /* an SEI, then a P slice: an intra refresh's recovery point */
    static const u_char  sei_p[] = { 0, 0, 0, 3, 0x06, 0x06, 0x01,
                                     0, 0, 0, 2, 0x41, 0x98 };
    static const u_char  open_i[] = { 0, 0, 0, 2, 0x41, 0x88 };
    static const u_char  b[] = { 0, 0, 0, 2, 0x01, 0x9c };
    static const u_char  si[] = { 0, 0, 0, 2, 0x41, 0x8a };
    /* a P slice whose length runs past what was read: its header
     * counts */
    static const u_char  cut_p[] = { 0, 0, 0x10, 0, 0x41, 0x98, 0x12 };
    /* an SEI cut short: no slice within the bytes */
    static const u_char  cut_sei[] = { 0, 0, 0x10, 0, 0x06, 0x05, 0x10 };
    static const u_char  zero[] = { 0, 0, 0, 0, 0x65, 0x88 };
    /* HEVC: IDR_W_RADL (19), CRA (21), a VPS (32) then TRAIL_R (1) */
    static const u_char  h_idr[] = { 0, 0, 0, 3, 0x26, 0x01, 0xaf };
    static const u_char  h_cra[] = { 0, 0, 0, 3, 0x2a, 0x01, 0xaf };
    static const u_char  h_trail[] = { 0, 0, 0, 3, 0x40, 0x01, 0x0c,
                                       0, 0, 0, 3, 0x02, 0x01, 0xd0 };

    (void) state;

    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, idr,
                                         sizeof(idr)), 1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 2, idr2,
                                         sizeof(idr2)), 1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, sei_p,
                                         sizeof(sei_p)), 0);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, open_i,
                                         sizeof(open_i)), 1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, b, sizeof(b)),
                     0);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, si, sizeof(si)),
                     1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, cut_p,
                                         sizeof(cut_p)), 0);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, cut_sei,
                                         sizeof(cut_sei)), -1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, zero,
                                         sizeof(zero)), -1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 4, idr, 4), -1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AVC, 3, idr,
                                         sizeof(idr)), -1);

    assert_int_equal(vod_codec_key_alone(VOD_CODEC_HEVC, 4, h_idr,
                                         sizeof(h_idr)), 1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_HEVC, 4, h_cra,
                                         sizeof(h_cra)), 1);
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_HEVC, 4, h_trail,
                                         sizeof(h_trail)), 0);

    /* AV1's key frames are not looked at */
    assert_int_equal(vod_codec_key_alone(VOD_CODEC_AV1, 4, idr,
                                         sizeof(idr)), -1);
}

int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_avc),
        cmocka_unit_test(test_hevc),
        cmocka_unit_test(test_esds),
        cmocka_unit_test(test_aac_config),
        cmocka_unit_test(test_key_alone),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
