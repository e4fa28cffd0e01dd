/*
 * test_hdr.c: the colour readers (colr, H.264 and H.265 SPS VUI, AV1
 * sequence header), the AV1 codecs string and the dac3 / dec3 readers, on
 * records taken from files ffmpeg 5.1 wrote (libx264, libx265, SVT-AV1,
 * its AC-3 and E-AC-3 encoders) and on hand-made ones from the specs.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "vod_core.h"
#include "vod_codec.h"
#include "vod_hdr.h"
#include "vod_mp4.h"


static void test_colr(void **state);
static void test_avc_vui(void **state);
static void test_hevc_vui(void **state);
static void test_av1(void **state);
static void test_track(void **state);
static void test_sar(void **state);
static void test_dolby(void **state);
static size_t hvcc_with_sps(u_char *out, const u_char *sps, size_t len);


/* libx265, -x265-params colorprim=bt2020:transfer=arib-std-b67:
 * colormatrix=bt2020nc, Main 10 */
static const u_char  hlg_sps[] = {
    0x42, 0x01, 0x01, 0x02, 0x20, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01, 0x71, 0xf2,
    0xb6, 0x59, 0x59, 0x52, 0x93, 0x0b, 0xc0, 0x5a, 0x84, 0x89, 0x04, 0x82,
    0x00, 0x00, 0x03, 0x00, 0x02, 0x00, 0x00, 0x03, 0x00, 0x32, 0x10
};

/* libx265, BT.709 throughout, Main */
static const u_char  sdr_sps[] = {
    0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x03, 0x00, 0x3f, 0xa0, 0x05, 0x02, 0x01, 0x71, 0xf2,
    0xe5, 0x95, 0x95, 0x29, 0x30, 0xbc, 0x05, 0xa8, 0x08, 0x08, 0x08, 0x20,
    0x00, 0x00, 0x03, 0x00, 0x20, 0x00, 0x00, 0x03, 0x03, 0x21
};

/* libx264 High, -color_primaries bt2020 -color_trc arib-std-b67
 * -colorspace bt2020nc */
static const u_char  hlg_avcc[] = {
    0x01, 0x64, 0x00, 0x0a, 0xff, 0xe1, 0x00, 0x1b, 0x67, 0x64, 0x00, 0x0a,
    0xac, 0xd9, 0x44, 0x26, 0xc0, 0x5a, 0x84, 0x89, 0x04, 0xa0, 0x00, 0x00,
    0x03, 0x00, 0x20, 0x00, 0x00, 0x06, 0x41, 0xe2, 0x44, 0xb2, 0xc0, 0x01,
    0x00, 0x06, 0x68, 0xeb, 0xe3, 0xcb, 0x22, 0xc0, 0xfd, 0xf8, 0xf8, 0x00
};

/* libx264 High, no colour given: a VUI without colour description */
static const u_char  plain_avcc[] = {
    0x01, 0x64, 0x00, 0x1e, 0xff, 0xe1, 0x00, 0x1a, 0x67, 0x64, 0x00, 0x1e,
    0xac, 0xd9, 0x40, 0xa0, 0x2f, 0xf9, 0x70, 0x11, 0x00, 0x00, 0x03, 0x00,
    0x01, 0x00, 0x00, 0x03, 0x00, 0x32, 0x0f, 0x16, 0x2d, 0x96, 0x01, 0x00,
    0x04, 0x68, 0xef, 0xbc, 0xb0, 0xfd, 0xf8, 0xf8, 0x00
};

/* SVT-AV1, 10-bit, -color_primaries bt2020 -color_trc smpte2084
 * -colorspace bt2020nc: the sequence header says it */
static const u_char  pq_av1c[] = {
    0x81, 0x00, 0x4c, 0x00, 0x0a, 0x0d, 0x00, 0x00, 0x00, 0x02, 0xaf, 0xff,
    0x80, 0x5f, 0x0a, 0x12, 0x20, 0x12, 0x08
};

/* SVT-AV1, 8-bit, no colour given */
static const u_char  plain_av1c[] = {
    0x81, 0x00, 0x0c, 0x00, 0x0a, 0x0b, 0x00, 0x00, 0x00, 0x04, 0x3c, 0xfe,
    0xcc, 0x02, 0xf8, 0x00, 0x40
};


/* libx264 High, 64x64, -vf setsar=4/3: aspect_ratio_idc 14 */
static const u_char  sar43_avcc[] = {
    0x01, 0x64, 0x00, 0x0a, 0xff, 0xe1, 0x00, 0x18, 0x67, 0x64, 0x00, 0x0a,
    0xac, 0xd9, 0x44, 0x26, 0xc3, 0x84, 0x00, 0x00, 0x03, 0x00, 0x04, 0x00,
    0x00, 0x03, 0x00, 0xc8, 0x3c, 0x48, 0x96, 0x58, 0x01, 0x00, 0x04, 0x68,
    0xef, 0x8f, 0xcb, 0xfd, 0xf8, 0xf8, 0x00
};

/* the same with setsar=5/3: Extended_SAR (255), 5, 3 */
static const u_char  sar53_avcc[] = {
    0x01, 0x64, 0x00, 0x0a, 0xff, 0xe1, 0x00, 0x1c, 0x67, 0x64, 0x00, 0x0a,
    0xac, 0xd9, 0x44, 0x26, 0xff, 0xc0, 0x01, 0x40, 0x00, 0xc4, 0x00, 0x00,
    0x03, 0x00, 0x04, 0x00, 0x00, 0x03, 0x00, 0xc8, 0x3c, 0x48, 0x96, 0x58,
    0x01, 0x00, 0x04, 0x68, 0xef, 0x8f, 0xcb, 0xfd, 0xf8, 0xf8, 0x00
};

/* libx265 Main, 64x64, -vf setsar=4/3 */
static const u_char  sar43_sps[] = {
    0x42, 0x01, 0x01, 0x01, 0x60, 0x00, 0x00, 0x03, 0x00, 0x90, 0x00, 0x00,
    0x03, 0x00, 0x00, 0x03, 0x00, 0x1e, 0xa0, 0x20, 0x81, 0x05, 0x96, 0x56,
    0x54, 0xa4, 0xc2, 0xf0, 0xe6, 0x80, 0x80, 0x00, 0x00, 0x03, 0x00, 0x80,
    0x00, 0x00, 0x0c, 0x84
};


static size_t
hvcc_with_sps(u_char *out, const u_char *sps, size_t len)
{
    memset(out, 0, 23);
    out[0] = 1;
    out[21] = 0x0f;                       /* 4-byte NAL lengths */
    out[22] = 1;                          /* one array */
    out[23] = 0x80 | 33;                  /* complete, SPS */
    out[24] = 0;
    out[25] = 1;
    out[26] = (u_char) (len >> 8);
    out[27] = (u_char) len;
    memcpy(out + 28, sps, len);

    return 28 + len;
}


static void
test_colr(void **state)
{
    vod_colour_t  c;

    static const u_char  nclx[] = {
        'n', 'c', 'l', 'x', 0, 9, 0, 16, 0, 9, 0x80
    };
    static const u_char  nclc[] = {
        'n', 'c', 'l', 'c', 0, 9, 0, 18, 0, 9
    };
    static const u_char  icc[] = { 'p', 'r', 'o', 'f', 1, 2, 3, 4 };

    assert_int_equal(vod_hdr_colr(nclx, sizeof(nclx), &c), VOD_OK);
    assert_int_equal(c.primaries, 9);
    assert_int_equal(c.transfer, 16);
    assert_int_equal(c.matrix, 9);
    assert_int_equal(c.full_range, 1);
    assert_int_equal(vod_hdr_range(&c), VOD_RANGE_PQ);

    assert_int_equal(vod_hdr_colr(nclc, sizeof(nclc), &c), VOD_OK);
    assert_int_equal(c.transfer, 18);
    assert_int_equal(c.full_range, 0);
    assert_int_equal(vod_hdr_range(&c), VOD_RANGE_HLG);

    assert_int_equal(vod_hdr_colr(icc, sizeof(icc), &c), VOD_NOT_FOUND);

    /* nclx needs its range byte */
    assert_int_equal(vod_hdr_colr(nclx, sizeof(nclx) - 1, &c),
                     VOD_BAD_DATA);
    assert_int_equal(vod_hdr_colr(nclx, 3, &c), VOD_BAD_DATA);

    c.transfer = 1;
    assert_int_equal(vod_hdr_range(&c), VOD_RANGE_SDR);
    assert_string_equal(vod_hdr_range_name(VOD_RANGE_SDR), "SDR");
    assert_string_equal(vod_hdr_range_name(VOD_RANGE_PQ), "PQ");
    assert_string_equal(vod_hdr_range_name(VOD_RANGE_HLG), "HLG");
}


static void
test_avc_vui(void **state)
{
    size_t        len;
    u_char        copy[sizeof(hlg_avcc)];
    vod_colour_t  c;

    assert_int_equal(vod_hdr_avc(hlg_avcc, sizeof(hlg_avcc), &c), VOD_OK);
    assert_int_equal(c.primaries, 9);
    assert_int_equal(c.transfer, 18);
    assert_int_equal(c.matrix, 9);
    assert_int_equal(c.full_range, 0);

    assert_int_equal(vod_hdr_avc(plain_avcc, sizeof(plain_avcc), &c),
                     VOD_NOT_FOUND);

    /* every truncation of the SPS: no read past it, and the colour
     * either read right (it comes before the cut) or not at all */
    for (len = 9; len < 8 + 0x1b; len++) {
        memcpy(copy, hlg_avcc, sizeof(hlg_avcc));
        copy[6] = 0;
        copy[7] = (u_char) (len - 8);
        c.transfer = 0;

        if (vod_hdr_avc(copy, len, &c) == VOD_OK) {
            assert_int_equal(c.transfer, 18);
        }
    }

    /* cut right after the VUI flag: no colour */
    memcpy(copy, hlg_avcc, sizeof(hlg_avcc));
    copy[7] = 12;
    assert_int_not_equal(vod_hdr_avc(copy, 8 + 12, &c), VOD_OK);

    /* a length past the record */
    memcpy(copy, hlg_avcc, sizeof(hlg_avcc));
    copy[7] = 0xff;
    assert_int_equal(vod_hdr_avc(copy, sizeof(copy), &c), VOD_BAD_DATA);
}


static void
test_hevc_vui(void **state)
{
    size_t        len, n;
    u_char        hvcc[128];
    vod_colour_t  c;

    len = hvcc_with_sps(hvcc, hlg_sps, sizeof(hlg_sps));
    assert_int_equal(vod_hdr_hevc(hvcc, len, &c), VOD_OK);
    assert_int_equal(c.primaries, 9);
    assert_int_equal(c.transfer, 18);
    assert_int_equal(c.matrix, 9);
    assert_int_equal(vod_hdr_range(&c), VOD_RANGE_HLG);

    len = hvcc_with_sps(hvcc, sdr_sps, sizeof(sdr_sps));
    assert_int_equal(vod_hdr_hevc(hvcc, len, &c), VOD_OK);
    assert_int_equal(c.primaries, 1);
    assert_int_equal(c.transfer, 1);
    assert_int_equal(c.matrix, 1);
    assert_int_equal(vod_hdr_range(&c), VOD_RANGE_SDR);

    /* no SPS among the arrays */
    len = hvcc_with_sps(hvcc, sdr_sps, sizeof(sdr_sps));
    hvcc[23] = 0x80 | 34;
    assert_int_equal(vod_hdr_hevc(hvcc, len, &c), VOD_NOT_FOUND);

    /* the SPS cut anywhere: never a read past it, and the colour read
     * right or not at all; cut before the VUI (byte 30), not at all */
    for (n = 0; n < sizeof(hlg_sps) - 1; n++) {
        len = hvcc_with_sps(hvcc, hlg_sps, n);
        c.transfer = 0;

        if (vod_hdr_hevc(hvcc, len, &c) == VOD_OK) {
            assert_int_equal(c.transfer, 18);
            assert_true(n > 30);
        }
    }

    /* a NAL length past the record */
    len = hvcc_with_sps(hvcc, hlg_sps, sizeof(hlg_sps));
    assert_int_equal(vod_hdr_hevc(hvcc, len - 1, &c), VOD_BAD_DATA);
}


static void
test_av1(void **state)
{
    char          str[VOD_CODEC_STR_LEN];
    size_t        len;
    vod_colour_t  c;

    assert_int_equal(vod_hdr_av1(pq_av1c, sizeof(pq_av1c), &c), VOD_OK);
    assert_int_equal(c.primaries, 9);
    assert_int_equal(c.transfer, 16);
    assert_int_equal(c.matrix, 9);
    assert_int_equal(c.full_range, 0);

    /* HDR: every optional field (AV1-ISOBMFF, Codecs Parameter String) */
    assert_int_equal(vod_codec_av1(pq_av1c, sizeof(pq_av1c), &c, str),
                     VOD_OK);
    assert_string_equal(str, "av01.0.00M.10.0.110.09.16.09.0");

    /* no colour description: the short form */
    assert_int_equal(vod_hdr_av1(plain_av1c, sizeof(plain_av1c), &c),
                     VOD_NOT_FOUND);
    c.primaries = VOD_CICP_UNSPECIFIED;
    c.transfer = VOD_CICP_UNSPECIFIED;
    c.matrix = VOD_CICP_UNSPECIFIED;
    c.full_range = 0;
    assert_int_equal(vod_codec_av1(plain_av1c, sizeof(plain_av1c), &c, str),
                     VOD_OK);
    assert_string_equal(str, "av01.0.00M.08");

    /* the specification's example: main profile, level 3.0 (4), high
     * tier, 10 bits; BT.709 is the default, so short */
    {
        static const u_char  hi[] = { 0x81, 0x04, 0xcc, 0x00 };

        c.primaries = 1;
        c.transfer = 1;
        c.matrix = 1;
        assert_int_equal(vod_codec_av1(hi, sizeof(hi), &c, str), VOD_OK);
        assert_string_equal(str, "av01.0.04H.10");
    }

    /* cut short anywhere: an error, no read past the end */
    for (len = 0; len < sizeof(pq_av1c) - 1; len++) {
        u_char  copy[sizeof(pq_av1c)];

        memcpy(copy, pq_av1c, len);
        assert_int_not_equal(vod_hdr_av1(copy, len, &c), VOD_OK);
    }

    assert_int_equal(vod_codec_av1(pq_av1c, 3, &c, str), VOD_BAD_DATA);
}


/* a track's colour: colr first, the decoder config's bitstream else */

static void
test_track(void **state)
{
    u_char            entry[200];
    vod_track_info_t  t;

    static const u_char  colr[] = {
        0, 0, 0, 19, 'c', 'o', 'l', 'r', 'n', 'c', 'l', 'x',
        0, 9, 0, 16, 0, 9, 0
    };

    memset(&t, 0, sizeof(t));
    memset(entry, 0, sizeof(entry));
    t.type = VOD_TRACK_VIDEO;
    t.codec = VOD_CODEC_AVC;
    t.dec_config = (u_char *) hlg_avcc;
    t.dec_config_len = sizeof(hlg_avcc);

    /* a bare sample entry: the SPS says HLG */
    entry[3] = 86;
    t.sample_entry = entry;
    t.sample_entry_len = 86;
    assert_int_equal(vod_hdr_track_range(&t), VOD_RANGE_HLG);

    /* a colr box says PQ: it wins */
    memcpy(entry + 86, colr, sizeof(colr));
    entry[3] = 86 + sizeof(colr);
    t.sample_entry_len = 86 + sizeof(colr);
    assert_int_equal(vod_hdr_track_range(&t), VOD_RANGE_PQ);

    /* a child box overrunning the entry stops the walk */
    entry[89] = 100;
    assert_int_equal(vod_hdr_track_range(&t), VOD_RANGE_HLG);

    /* audio is SDR, as is a video track with nothing said */
    t.dec_config = (u_char *) plain_avcc;
    t.dec_config_len = sizeof(plain_avcc);
    assert_int_equal(vod_hdr_track_range(&t), VOD_RANGE_SDR);
    t.type = VOD_TRACK_AUDIO;
    assert_int_equal(vod_hdr_track_range(&t), VOD_RANGE_SDR);
    assert_int_equal(vod_hdr_track_range(NULL), VOD_RANGE_SDR);
}


/* the sample aspect ratio: pasp, else the VUI, else 1:1; reduced; and
 * the display size it makes */

static void
test_sar(void **state)
{
    u_char            entry[120], hvcc[100];
    uint32_t          w, h;
    vod_track_info_t  t;

    static const u_char  pasp[] = {
        0, 0, 0, 16, 'p', 'a', 's', 'p', 0, 0, 0, 64, 0, 0, 0, 54
    };

    memset(&t, 0, sizeof(t));
    memset(entry, 0, sizeof(entry));
    entry[3] = 86;
    t.type = VOD_TRACK_VIDEO;
    t.codec = VOD_CODEC_AVC;
    t.width = 720;
    t.height = 480;
    t.sample_entry = entry;
    t.sample_entry_len = 86;

    /* the VUI's table entry, its Extended_SAR, and neither */
    t.dec_config = (u_char *) sar43_avcc;
    t.dec_config_len = sizeof(sar43_avcc);
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 4);
    assert_int_equal(h, 3);
    vod_hdr_track_display(&t, &w, &h);
    assert_int_equal(w, 960);
    assert_int_equal(h, 480);

    t.dec_config = (u_char *) sar53_avcc;
    t.dec_config_len = sizeof(sar53_avcc);
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 5);
    assert_int_equal(h, 3);

    t.dec_config = (u_char *) plain_avcc;
    t.dec_config_len = sizeof(plain_avcc);
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
    vod_hdr_track_display(&t, &w, &h);
    assert_int_equal(w, 720);

    /* H.265's VUI */
    t.codec = VOD_CODEC_HEVC;
    t.dec_config = hvcc;
    t.dec_config_len = hvcc_with_sps(hvcc, sar43_sps, sizeof(sar43_sps));
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 4);
    assert_int_equal(h, 3);

    /* a pasp box wins over the VUI, reduced: 64:54 is NTSC's 32:27 */
    memcpy(entry + 86, pasp, sizeof(pasp));
    entry[3] = 86 + sizeof(pasp);
    t.sample_entry_len = 86 + sizeof(pasp);
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 32);
    assert_int_equal(h, 27);
    vod_hdr_track_display(&t, &w, &h);
    assert_int_equal(w, 853);

    /* a pasp of 0 says nothing: the VUI's */
    entry[86 + 11] = 0;
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 4);
    assert_int_equal(h, 3);

    /* a hostile one: 1:4294967295 makes no width of 0 */
    memset(entry + 86 + 8, 0, 8);
    entry[86 + 11] = 1;
    memset(entry + 86 + 12, 0xff, 4);
    vod_hdr_track_display(&t, &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 480);

    /* audio, and no track, are 1:1 */
    t.type = VOD_TRACK_AUDIO;
    vod_hdr_track_sar(&t, &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
    vod_hdr_track_sar(NULL, &w, &h);
    assert_int_equal(w, 1);
    assert_int_equal(h, 1);
}


static void
test_dolby(void **state)
{
    size_t              len;
    vod_track_info_t    t;
    vod_dolby_config_t  cfg;

    /* ffmpeg's, 5.1 at 48 kHz */
    static const u_char  dac3[] = { 0x10, 0x3d, 0x40 };
    static const u_char  dec3[] = { 0x06, 0x00, 0x20, 0x0f, 0x00 };
    /* the same with the JOC extension, complexity index 16 */
    static const u_char  joc[] = {
        0x06, 0x00, 0x20, 0x0f, 0x00, 0x01, 0x10
    };
    /* 2/0 at 44.1 kHz without LFE */
    static const u_char  stereo[] = { 0x50, 0x10, 0x00 };
    /* 7.1: 3/2 + LFE, one dependent substream with Lrs/Rrs (chan_loc
     * bit 1) */
    static const u_char  s71[] = { 0x06, 0x00, 0x20, 0x0f, 0x02, 0x02 };

    assert_int_equal(vod_codec_ac3(dac3, sizeof(dac3), &cfg), VOD_OK);
    assert_int_equal(cfg.channels, 6);
    assert_int_equal(cfg.chan_map, 0xf801);
    assert_int_equal(cfg.sample_rate, 48000);
    assert_int_equal(cfg.joc, 0);

    assert_int_equal(vod_codec_ac3(stereo, sizeof(stereo), &cfg), VOD_OK);
    assert_int_equal(cfg.channels, 2);
    assert_int_equal(cfg.chan_map, 0xa000);
    assert_int_equal(cfg.sample_rate, 44100);

    assert_int_equal(vod_codec_eac3(dec3, sizeof(dec3), &cfg), VOD_OK);
    assert_int_equal(cfg.channels, 6);
    assert_int_equal(cfg.chan_map, 0xf801);
    assert_int_equal(cfg.joc, 0);

    assert_int_equal(vod_codec_eac3(joc, sizeof(joc), &cfg), VOD_OK);
    assert_int_equal(cfg.channels, 6);
    assert_int_equal(cfg.joc, 16);

    assert_int_equal(vod_codec_eac3(s71, sizeof(s71), &cfg), VOD_OK);
    assert_int_equal(cfg.channels, 8);
    assert_int_equal(cfg.chan_map, 0xfa01);

    for (len = 0; len < 2; len++) {
        assert_int_equal(vod_codec_ac3(dac3, len, &cfg), VOD_BAD_DATA);
    }

    for (len = 0; len < 4; len++) {
        assert_int_equal(vod_codec_eac3(dec3, len, &cfg), VOD_BAD_DATA);
    }

    /* by track: only AC-3 and E-AC-3 */
    memset(&t, 0, sizeof(t));
    t.codec = VOD_CODEC_EAC3;
    t.dec_config = (u_char *) joc;
    t.dec_config_len = sizeof(joc);
    assert_int_equal(vod_codec_dolby(&t, &cfg), VOD_OK);
    assert_int_equal(cfg.joc, 16);
    t.codec = VOD_CODEC_AAC;
    assert_int_equal(vod_codec_dolby(&t, &cfg), VOD_NOT_FOUND);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_colr),
        cmocka_unit_test(test_avc_vui),
        cmocka_unit_test(test_hevc_vui),
        cmocka_unit_test(test_av1),
        cmocka_unit_test(test_track),
        cmocka_unit_test(test_sar),
        cmocka_unit_test(test_dolby),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
