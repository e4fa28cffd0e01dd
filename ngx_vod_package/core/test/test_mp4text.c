/*
 * test_mp4text.c: text tracks' samples to WebVTT cues (vod_mp4text.c):
 * tx3g (UTF-8, UTF-16 either way, modifier boxes skipped, escaping,
 * gaps), wvtt (vttc with iden, sttg and payl, vtte gaps, several cues in
 * a sample, a cue split across samples joined), what is refused with one
 * log line, the read ranges, text rendition ids and specs; every output
 * goes through vod_vtt_write() and must parse back as WebVTT.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "vod_mp4text.h"
#include "vod_vtt.h"


static void test_w32(u_char *p, uint32_t v);
static size_t test_box(u_char *p, const char *type, const void *data,
    size_t len);
static size_t test_tx3g(u_char *p, const void *text, size_t len);
static char *test_mp4text_vtt(vod_env_t *env, uint32_t codec,
    vod_mp4text_sample_t *s, uint32_t n);
static void test_mp4text_tx3g(void **state);
static void test_mp4text_utf16(void **state);
static void test_mp4text_wvtt(void **state);
static void test_mp4text_bad(void **state);
static void test_mp4text_ranges(void **state);
static void test_mp4text_ids(void **state);


static void
test_w32(u_char *p, uint32_t v)
{
    vod_w32(p, v);
}


static size_t
test_box(u_char *p, const char *type, const void *data, size_t len)
{
    test_w32(p, (uint32_t) (len + 8));
    memcpy(p + 4, type, 4);
    memcpy(p + 8, data, len);

    return len + 8;
}


static size_t
test_tx3g(u_char *p, const void *text, size_t len)
{
    p[0] = (u_char) (len >> 8);
    p[1] = (u_char) len;
    memcpy(p + 2, text, len);

    return len + 2;
}


/* the cues written whole by vod_vtt_write(), checked to parse back with
 * as many cues */

static char *
test_mp4text_vtt(vod_env_t *env, uint32_t codec, vod_mp4text_sample_t *s,
    uint32_t n)
{
    u_char     *blob, *out;
    char       *str;
    size_t      blob_len, len;
    vod_vtt_t   vtt, back;

    assert_int_equal(vod_mp4text_cues(env, codec, s, n, &vtt), VOD_OK);
    assert_int_equal(vod_vtt_pack(env, &vtt, &blob, &blob_len), VOD_OK);
    assert_int_equal(vod_vtt_write(env, blob, blob_len, 0, (uint64_t) -1,
                                   VOD_VTT_NO_MAP, &out, &len), VOD_OK);

    assert_int_equal(vod_vtt_parse(env, out, len, 0, &back), VOD_OK);
    assert_int_equal(back.count, vtt.count);

    str = env->alloc(env, len + 1);
    memcpy(str, out, len);
    str[len] = '\0';

    return str;
}


static void
test_mp4text_tx3g(void **state)
{
    u_char                 a[64], b[64], c[64], d[64], e[2];
    vod_env_t             *env;
    vod_mp4text_sample_t   s[5];

    env = *state;

    /* text, then a style box that is skipped */
    s[0].data = a;
    s[0].size = (uint32_t) test_tx3g(a, "Gr\xc3\xbc\xc3\x9f" "e & <Tsch\xc3"
                                        "\xbc" "ss>", 20);
    s[0].size += (uint32_t) test_box(a + s[0].size, "styl", "\0\0", 2);
    s[0].start = 500;
    s[0].end = 1500;

    /* a gap */
    s[1].data = e;
    s[1].size = (uint32_t) test_tx3g(e, "", 0);
    s[1].start = 1500;
    s[1].end = 2000;

    /* two lines, CRLF and an empty line between */
    s[2].data = b;
    s[2].size = (uint32_t) test_tx3g(b, "\xe6\x97\xa5\xe6\x9c\xac\r\n\r\n"
                                        "two -->\n", 18);
    s[2].start = 2000;
    s[2].end = 3000;

    /* not UTF-8, a NUL */
    s[3].data = c;
    s[3].size = (uint32_t) test_tx3g(c, "a\xff" "b\0c", 5);
    s[3].start = 3000;
    s[3].end = 3000;

    /* only line breaks: nothing to show, no cue */
    s[4].data = d;
    s[4].size = (uint32_t) test_tx3g(d, "\n\n", 2);
    s[4].start = 4000;
    s[4].end = 5000;

    assert_string_equal(test_mp4text_vtt(env, VOD_CODEC_TX3G, s, 5),
        "WEBVTT\n\n"
        "00:00:00.500 --> 00:00:01.500\n"
        "Gr\xc3\xbc\xc3\x9f" "e &amp; &lt;Tsch\xc3\xbcss&gt;\n\n"
        "00:00:02.000 --> 00:00:03.000\n"
        "\xe6\x97\xa5\xe6\x9c\xac\ntwo --&gt;\n\n"
        "00:00:03.000 --> 00:00:03.000\n"
        "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\n");
}


static void
test_mp4text_utf16(void **state)
{
    u_char                 a[64], b[64];
    vod_env_t             *env;
    vod_mp4text_sample_t   s[2];

    /* "Ä&" and U+1F600 in UTF-16BE, "ja" in UTF-16LE */
    static const u_char  be[] = { 0xfe, 0xff, 0x00, 0xc4, 0x00, '&',
                                  0xd8, 0x3d, 0xde, 0x00 };
    static const u_char  le[] = { 0xff, 0xfe, 'j', 0, 'a', 0, 0x00, 0xd8 };

    env = *state;

    s[0].data = a;
    s[0].size = (uint32_t) test_tx3g(a, be, sizeof(be));
    s[0].start = 0;
    s[0].end = 1000;

    /* an unpaired surrogate at the end */
    s[1].data = b;
    s[1].size = (uint32_t) test_tx3g(b, le, sizeof(le));
    s[1].start = 1000;
    s[1].end = 2000;

    assert_string_equal(test_mp4text_vtt(env, VOD_CODEC_TX3G, s, 2),
        "WEBVTT\n\n"
        "00:00:00.000 --> 00:00:01.000\n"
        "\xc3\x84&amp;\xf0\x9f\x98\x80\n\n"
        "00:00:01.000 --> 00:00:02.000\n"
        "ja\xef\xbf\xbd\n");
}


static void
test_mp4text_wvtt(void **state)
{
    u_char                 a[256], b[256], c[256], d[64], cue[128];
    size_t                 n;
    vod_env_t             *env;
    vod_mp4text_sample_t   s[4];

    env = *state;

    /* sample 0: a cue with id and settings, and one without */
    n = test_box(cue, "iden", "c1", 2);
    n += test_box(cue + n, "sttg", "line:0", 6);
    n += test_box(cue + n, "payl", "<i>Hallo</i> &amp; \xc3\xa4", 21);
    s[0].size = (uint32_t) test_box(a, "vttc", cue, n);

    n = test_box(cue, "payl", "second", 6);
    s[0].size += (uint32_t) test_box(a + s[0].size, "vttc", cue, n);
    s[0].size += (uint32_t) test_box(a + s[0].size, "vtta", "note", 4);
    s[0].data = a;
    s[0].start = 1000;
    s[0].end = 2000;

    /* sample 1: the second cue goes on (joined), a new one with "-->"
     * and an id that cannot be one */
    n = test_box(cue, "payl", "second", 6);
    s[1].size = (uint32_t) test_box(b, "vttc", cue, n);
    n = test_box(cue, "iden", "x-->y", 5);
    n += test_box(cue + n, "payl", "a --> b\n\nc", 10);
    s[1].size += (uint32_t) test_box(b + s[1].size, "vttc", cue, n);
    s[1].data = b;
    s[1].start = 2000;
    s[1].end = 2500;

    /* sample 2: a gap */
    s[2].size = (uint32_t) test_box(c, "vtte", "", 0);
    s[2].data = c;
    s[2].start = 2500;
    s[2].end = 4000;

    /* sample 3: "second" again, after a gap: a cue of its own */
    n = test_box(cue, "payl", "second", 6);
    s[3].size = (uint32_t) test_box(d, "vttc", cue, n);
    s[3].data = d;
    s[3].start = 4000;
    s[3].end = 5000;

    assert_string_equal(test_mp4text_vtt(env, VOD_CODEC_WVTT, s, 4),
        "WEBVTT\n\n"
        "c1\n"
        "00:00:01.000 --> 00:00:02.000 line:0\n"
        "<i>Hallo</i> &amp; \xc3\xa4\n\n"
        "00:00:01.000 --> 00:00:02.500\n"
        "second\n\n"
        "00:00:02.000 --> 00:00:02.500\n"
        "a --&gt; b\nc\n\n"
        "00:00:04.000 --> 00:00:05.000\n"
        "second\n");
}


static void
test_mp4text_bad(void **state)
{
    u_char                 a[64], cue[32];
    size_t                 n;
    vod_env_t             *env;
    vod_vtt_t              vtt;
    vod_mp4text_sample_t   s;
    av_oracle_env_ctx_t   *ctx;

    env = *state;
    ctx = env->data;

    s.data = a;
    s.start = 0;
    s.end = 1000;

    /* tx3g: a text length past the sample */
    test_tx3g(a, "abc", 3);
    s.size = 4;
    ctx->log_lines = 0;
    assert_int_equal(vod_mp4text_cues(env, VOD_CODEC_TX3G, &s, 1, &vtt),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);
    assert_non_null(strstr(ctx->last_log, "text of 3 bytes past"));

    /* tx3g: no length */
    s.size = 1;
    ctx->log_lines = 0;
    assert_int_equal(vod_mp4text_cues(env, VOD_CODEC_TX3G, &s, 1, &vtt),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);

    /* wvtt: a box past the sample */
    s.size = (uint32_t) test_box(a, "vttc", "", 0);
    test_w32(a, 9);
    ctx->log_lines = 0;
    assert_int_equal(vod_mp4text_cues(env, VOD_CODEC_WVTT, &s, 1, &vtt),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);
    assert_non_null(strstr(ctx->last_log, "wvtt sample 0"));

    /* wvtt: a payl past its vttc */
    n = test_box(cue, "payl", "abc", 3);
    test_w32(cue, 20);
    s.size = (uint32_t) test_box(a, "vttc", cue, n);
    ctx->log_lines = 0;
    assert_int_equal(vod_mp4text_cues(env, VOD_CODEC_WVTT, &s, 1, &vtt),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);

    /* an end before the start */
    s.size = (uint32_t) test_tx3g(a, "abc", 3);
    s.end = 0;
    s.start = 10;
    ctx->log_lines = 0;
    assert_int_equal(vod_mp4text_cues(env, VOD_CODEC_TX3G, &s, 1, &vtt),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);
}


static void
test_mp4text_ranges(void **state)
{
    uint32_t       n;
    uint64_t       total;
    vod_env_t     *env;
    vod_range_t   *r;
    vod_sample_t   s[4];

    env = *state;
    memset(s, 0, sizeof(s));

    s[0].offset = 100;
    s[0].size = 10;
    s[1].offset = 110;
    s[1].size = 5;
    s[2].offset = 200;
    s[2].size = 0;
    s[3].offset = 300;
    s[3].size = 7;

    assert_int_equal(vod_mp4text_ranges(env, s, 4, &r, &n, &total), VOD_OK);
    assert_int_equal(n, 2);
    assert_int_equal(total, 22);
    assert_int_equal(r[0].offset, 100);
    assert_int_equal(r[0].size, 15);
    assert_int_equal(r[1].offset, 300);
    assert_int_equal(r[1].size, 7);

    s[3].size = VOD_MP4TEXT_MAX_BYTES;
    assert_int_equal(vod_mp4text_ranges(env, s, 4, &r, &n, &total),
                     VOD_BAD_DATA);
    assert_int_equal(vod_mp4text_ranges(env, s, VOD_MP4TEXT_MAX_SAMPLES + 1,
                                        &r, &n, &total), VOD_BAD_DATA);
}


static void
test_mp4text_ids(void **state)
{
    u_char                buf[VOD_MP4TEXT_ID_LEN], entry[24];
    char                  lang[VOD_SUB_LANG_LEN];
    uint32_t              t;
    vod_str_t             id, rid, file;
    vod_track_info_t      track;
    vod_subtitle_spec_t   spec;

    memset(&track, 0, sizeof(track));
    memset(entry, 0, sizeof(entry));
    track.track_id = 3;
    track.codec = VOD_CODEC_TX3G;
    memcpy(track.lang, "ger", 4);
    track.sample_entry = entry;
    track.sample_entry_len = sizeof(entry);

    rid.data = (u_char *) "720p";
    rid.len = 4;
    file.data = (u_char *) "720p.mp4";
    file.len = 8;

    assert_int_equal(vod_mp4text_spec(&track, &rid, &file, buf, lang, &spec),
                     VOD_OK);
    assert_int_equal(spec.id.len, 10);
    assert_memory_equal(spec.id.data, "text3-720p", 10);
    assert_string_equal(lang, "de");
    assert_int_equal(spec.track_id, 3);
    assert_int_equal(spec.forced, 0);

    /* displayFlags: all samples forced */
    entry[16] = 0x80;
    assert_int_equal(vod_mp4text_spec(&track, &rid, &file, buf, lang, &spec),
                     VOD_OK);
    assert_int_equal(spec.forced, 1);

    track.codec = VOD_CODEC_WVTT;
    assert_int_equal(vod_mp4text_forced(&track), 0);

    /* an id too long for a URL */
    rid.data = (u_char *) "0123456789012345678901234567890123456789"
                          "0123456789012345678901";
    rid.len = 62;
    assert_int_equal(vod_mp4text_spec(&track, &rid, &file, buf, lang, &spec),
                     VOD_BAD_REQUEST);

    id.data = (u_char *) "text12-1080p-hdr";
    id.len = 16;
    assert_true(vod_mp4text_id_parse(&id, &t, &rid));
    assert_int_equal(t, 12);
    assert_int_equal(rid.len, 9);
    assert_memory_equal(rid.data, "1080p-hdr", 9);

    id.data = (u_char *) "text0-a";
    id.len = 7;
    assert_false(vod_mp4text_id_parse(&id, &t, &rid));
    id.data = (u_char *) "text1-";
    id.len = 6;
    assert_false(vod_mp4text_id_parse(&id, &t, &rid));
    id.data = (u_char *) "text99999999999-a";
    id.len = 17;
    assert_false(vod_mp4text_id_parse(&id, &t, &rid));
    id.data = (u_char *) "movie.en";
    id.len = 8;
    assert_false(vod_mp4text_id_parse(&id, &t, &rid));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_mp4text_tx3g),
        cmocka_unit_test(test_mp4text_utf16),
        cmocka_unit_test(test_mp4text_wvtt),
        cmocka_unit_test(test_mp4text_bad),
        cmocka_unit_test(test_mp4text_ranges),
        cmocka_unit_test(test_mp4text_ids),
    };

    return cmocka_run_group_tests(tests, av_oracle_setup,
                                  av_oracle_teardown);
}
