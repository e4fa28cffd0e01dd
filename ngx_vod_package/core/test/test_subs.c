/*
 * test_subs.c: subtitles: WebVTT and SRT parsing and the SRT conversion
 * (vod_vtt.c), WebVTT segments, sidecar names, language tags, display
 * names, the manifests' subtitle lines (vod_subs.c) and title.json's
 * "subtitles".
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "vod_subs.h"
#include "vod_title.h"
#include "vod_vtt.h"


typedef struct {
    const char   *what;
    unsigned      srt;
    const char   *text;
    const char   *log;            /* expected in the log line */
} test_subs_bad_t;


static int test_subs_parse(vod_env_t *env, const char *text, unsigned srt,
    vod_vtt_t *vtt);
static char *test_subs_write(vod_env_t *env, vod_vtt_t *vtt, uint64_t from,
    uint64_t to, uint64_t mpegts);
static void test_subs_vtt(void **state);
static void test_subs_srt(void **state);
static void test_subs_bad(void **state);
static void test_subs_segments(void **state);
static void test_subs_names(void **state);
static void test_subs_lang(void **state);
static void test_subs_renditions(void **state);
static void test_subs_hls(void **state);
static void test_subs_dash(void **state);
static void test_subs_json(void **state);


static test_subs_bad_t  test_subs_bad_cases[] = {
    { "no signature", 0, "00:00.000 --> 00:01.000\nx\n",
      "no \"WEBVTT\" signature at line 1" },
    { "WEBVTTX", 0, "WEBVTTX\n\n00:00.000 --> 00:01.000\nx\n",
      "no \"WEBVTT\" signature" },
    { "one-digit seconds", 0, "WEBVTT\n\n00:00:1.000 --> 00:00:02.000\nx\n",
      "bad start time at line 3" },
    { "one-digit hours in WebVTT", 0,
      "WEBVTT\n\n0:00:01.000 --> 00:00:02.000\nx\n", "bad start time" },
    { "minutes over 59", 0, "WEBVTT\n\n00:60.000 --> 01:02.000\nx\n",
      "bad start time" },
    { "four-digit milliseconds", 0,
      "WEBVTT\n\n00:01.0000 --> 00:02.000\nx\n", "bad start time" },
    { "end before start", 0, "WEBVTT\n\n00:05.000 --> 00:02.000\nx\n",
      "end time before the start time at line 3" },
    { "no arrow", 0, "WEBVTT\n\nid\n00:01.000 00:02.000\nx\n",
      "a block without cue timing at line 4" },
    { "a text block", 0, "WEBVTT\n\njust text\n", "a block without cue" },
    { "arrow in text", 0,
      "WEBVTT\n\n00:01.000 --> 00:02.000\nx\n00:03.000 --> 00:04.000\ny\n",
      "\"-->\" in cue text" },
    { "garbage after the end time", 0,
      "WEBVTT\n\n00:01.000 --> 00:02.000x\nx\n", "bad end time" },
    { "Latin-1", 0, "WEBVTT\n\n00:01.000 --> 00:02.000\ncaf\xe9\n",
      "not UTF-8 text at byte 35" },
    { "overlong UTF-8", 1, "1\n00:00:01,000 --> 00:00:02,000\n\xc0\xaf\n",
      "not UTF-8" },
    { "a NUL", 0, "WEBVTT\n\n00:01.000 --> 00:02.000\na\0b\n", "not UTF-8" },
    { "SRT without cues", 1, "", "no cues" },
    { "SRT text block", 1, "1\nhello\n", "a block without cue timing" },
    { "SRT without hours", 1, "1\n00:01,000 --> 00:02,000\nx\n",
      "bad start time at line 2" },
};


static int
test_subs_parse(vod_env_t *env, const char *text, unsigned srt,
    vod_vtt_t *vtt)
{
    size_t   len;
    u_char  *buf;

    len = strlen(text);
    buf = env->alloc(env, len + 1);
    assert_non_null(buf);
    memcpy(buf, text, len);

    return vod_vtt_parse(env, buf, len, srt, vtt);
}


static char *
test_subs_write(vod_env_t *env, vod_vtt_t *vtt, uint64_t from, uint64_t to,
    uint64_t mpegts)
{
    char    *s;
    u_char  *out, *blob;
    size_t   len, blob_len;

    assert_int_equal(vod_vtt_pack(env, vtt, &blob, &blob_len), VOD_OK);
    assert_int_equal(vod_vtt_write(env, blob, blob_len, from, to, mpegts,
                                   &out, &len),
                     VOD_OK);

    s = env->alloc(env, len + 1);
    assert_non_null(s);
    memcpy(s, out, len);
    s[len] = '\0';

    return s;
}


static void
test_subs_vtt(void **state)
{
    vod_env_t  *env;
    vod_vtt_t   vtt;

    env = *state;

    /* a BOM, CRLF, a header, NOTE and STYLE blocks, ids and settings,
     * cues out of order, a cue without text, non-ASCII text kept */

    assert_int_equal(test_subs_parse(env,
        "\xef\xbb\xbfWEBVTT - a title\r\nKind: captions\r\n\r\n"
        "STYLE\r\n::cue { color: yellow }\r\n\r\n"
        "NOTE a comment\r\nover two lines\r\n\r\n"
        "c2\r\n00:00:03.000 --> 00:00:04.000 align:start line:10%  \r\n"
        "Ça va\r\n<i>très</i> bien 日本\r\n\r\n"
        "01:00.000 --> 01:01.500\r\n\r\n"
        "00:00:01.000 --> 00:00:02.000\r\nfirst\r\n", 0, &vtt), VOD_OK);

    assert_int_equal(vtt.count, 3);
    assert_int_equal(vtt.cues[0].start, 1000);
    assert_int_equal(vtt.cues[1].start, 3000);
    assert_int_equal(vtt.cues[1].end, 4000);
    assert_int_equal(vtt.cues[2].start, 60000);
    assert_int_equal(vtt.cues[2].end, 61500);
    assert_int_equal(vtt.cues[2].text.len, 0);

    assert_string_equal(test_subs_write(env, &vtt, 0, (uint64_t) -1,
                                        VOD_VTT_NO_MAP),
        "WEBVTT\n"
        "\n00:00:01.000 --> 00:00:02.000\nfirst\n"
        "\nc2\n00:00:03.000 --> 00:00:04.000 align:start line:10%\n"
        "Ça va\n<i>très</i> bien 日本\n"
        "\n00:01:00.000 --> 00:01:01.500\n");

    /* an empty file with its signature; CR alone ends lines too; hours
     * past 99 */

    assert_int_equal(test_subs_parse(env, "WEBVTT", 0, &vtt), VOD_OK);
    assert_int_equal(vtt.count, 0);

    assert_int_equal(test_subs_parse(env,
        "WEBVTT\r\r123:00:00.000 --> 123:00:01.000\rx\r", 0, &vtt), VOD_OK);
    assert_int_equal(vtt.count, 1);
    assert_int_equal(vtt.cues[0].start, 123ULL * 3600000);

    assert_string_equal(test_subs_write(env, &vtt, 0, (uint64_t) -1,
                                        VOD_VTT_NO_MAP),
        "WEBVTT\n\n123:00:00.000 --> 123:00:01.000\nx\n");
}


static void
test_subs_srt(void **state)
{
    vod_env_t  *env;
    vod_vtt_t   vtt;

    env = *state;

    /* counters, CRLF, trailing spaces on blank lines, coordinates, tags
     * kept and dropped (a line left blank goes: it would end the cue), &
     * < > escaped, a cue without counter, no blank line at the end */

    assert_int_equal(test_subs_parse(env,
        "1\r\n00:00:01,000 --> 00:00:02,500\r\n"
        "<I>¿Dónde</I> <font color=\"red\">está</font>?\r\n"
        "{\\an8}Tom & Jerry <3 -> ñ\r\n \r\n"
        "2\r\n0:00:03.000 --> 0:00:04,000  X1:1 X2:2 Y1:3 Y2:4\r\n"
        "<b>bold</b> <u>u</u> <x>\r\n<font x=\"1\"> </font>\r\n\r\n"
        "00:00:05,000 --> 00:00:06,000\r\nlast", 1, &vtt), VOD_OK);

    assert_int_equal(vtt.count, 3);
    assert_int_equal(vtt.cues[0].end, 2500);
    assert_int_equal(vtt.cues[1].settings.len, 0);

    assert_string_equal(test_subs_write(env, &vtt, 0, (uint64_t) -1,
                                        VOD_VTT_NO_MAP),
        "WEBVTT\n"
        "\n00:00:01.000 --> 00:00:02.500\n"
        "<i>¿Dónde</i> está?\nTom &amp; Jerry &lt;3 -&gt; ñ\n"
        "\n00:00:03.000 --> 00:00:04.000\n"
        "<b>bold</b> <u>u</u> &lt;x&gt;\n"
        "\n00:00:05.000 --> 00:00:06.000\nlast\n");
}


static void
test_subs_bad(void **state)
{
    size_t                i;
    vod_env_t            *env;
    vod_vtt_t             vtt;
    av_oracle_env_ctx_t  *ctx;

    env = *state;
    ctx = env->data;

    for (i = 0; i < sizeof(test_subs_bad_cases) / sizeof(test_subs_bad_t);
         i++)
    {
        ctx->last_log[0] = '\0';
        ctx->log_lines = 0;

        /* the NUL case is one byte longer than strlen() says */
        if (strcmp(test_subs_bad_cases[i].what, "a NUL") == 0) {
            assert_int_equal(vod_vtt_parse(env,
                (const u_char *) test_subs_bad_cases[i].text, 39, 0, &vtt),
                VOD_BAD_DATA);

        } else if (test_subs_parse(env, test_subs_bad_cases[i].text,
                                   test_subs_bad_cases[i].srt, &vtt)
                   != VOD_BAD_DATA)
        {
            fail_msg("%s: not refused", test_subs_bad_cases[i].what);
        }

        if (ctx->log_lines != 1
            || strstr(ctx->last_log, test_subs_bad_cases[i].log) == NULL)
        {
            fail_msg("%s: logged \"%s\" (%u lines), expected \"%s\"",
                     test_subs_bad_cases[i].what, ctx->last_log,
                     ctx->log_lines, test_subs_bad_cases[i].log);
        }
    }

    /* over the size bound: refused before being looked at */

    ctx->log_lines = 0;
    assert_int_equal(vod_vtt_parse(env, (const u_char *) "WEBVTT",
                                   VOD_VTT_MAX_FILE + 1, 0, &vtt),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);
}


static void
test_subs_segments(void **state)
{
    uint64_t           from, to, seg[4] = { 0, 25600, 51200, 64000 };
    vod_env_t         *env;
    vod_vtt_t          vtt;
    vod_track_info_t   grid;

    env = *state;

    assert_int_equal(test_subs_parse(env,
        "WEBVTT\n\n"
        "00:00.500 --> 00:01.400\na\n\n"
        "00:01.500 --> 00:02.500\nacross\n\n"
        "00:02.000 --> 00:02.000\nzero\n\n"
        "00:04.000 --> 00:09.000\nlate\n", 0, &vtt), VOD_OK);

    memset(&grid, 0, sizeof(vod_track_info_t));
    grid.timescale = 12800;
    grid.segment_count = 3;
    grid.seg_time = seg;

    assert_int_equal(vod_subs_segment_span(&grid, 0, &from, &to), VOD_OK);
    assert_int_equal(from, 0);
    assert_int_equal(to, 2000);

    assert_string_equal(test_subs_write(env, &vtt, from, to,
                                        vod_subs_mpegts(0)),
        "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n"
        "\n00:00:00.500 --> 00:00:01.400\na\n"
        "\n00:00:01.500 --> 00:00:02.500\nacross\n");

    /* the cue across the boundary again; the one of no duration here */

    assert_int_equal(vod_subs_segment_span(&grid, 1, &from, &to), VOD_OK);
    assert_string_equal(test_subs_write(env, &vtt, from, to,
                                        vod_subs_mpegts(1)),
        "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:900000,LOCAL:00:00:00.000\n"
        "\n00:00:01.500 --> 00:00:02.500\nacross\n"
        "\n00:00:02.000 --> 00:00:02.000\nzero\n");

    /* the last segment takes what runs past the media's end */

    assert_int_equal(vod_subs_segment_span(&grid, 2, &from, &to), VOD_OK);
    assert_int_equal(from, 4000);
    assert_string_equal(test_subs_write(env, &vtt, from, to,
                                        vod_subs_mpegts(0)),
        "WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:0,LOCAL:00:00:00.000\n"
        "\n00:00:04.000 --> 00:00:09.000\nlate\n");

    assert_int_equal(vod_subs_segment_span(&grid, 3, &from, &to),
                     VOD_NOT_FOUND);

    /* a long cue among short ones is found from far past its start (the
     * search goes back by the longest duration), and what starts after
     * the span is left */

    assert_int_equal(test_subs_parse(env,
        "WEBVTT\n\n"
        "00:00.000 --> 00:01.000\na\n\n"
        "00:01.000 --> 01:00.000\nlong\n\n"
        "00:02.000 --> 00:03.000\nb\n\n"
        "00:50.000 --> 00:51.000\nc\n\n"
        "00:58.000 --> 00:59.000\nd\n", 0, &vtt), VOD_OK);

    assert_string_equal(test_subs_write(env, &vtt, 50000, 52000,
                                        VOD_VTT_NO_MAP),
        "WEBVTT\n"
        "\n00:00:01.000 --> 00:01:00.000\nlong\n"
        "\n00:00:50.000 --> 00:00:51.000\nc\n");
}


static void
test_subs_names(void **state)
{
    vod_str_t            file;
    vod_subtitle_spec_t  s;

#define test_subs_file(name)                                                 \
    (file.data = (u_char *) name, file.len = sizeof(name) - 1,              \
     vod_subs_from_file(&file, &s))

    assert_int_equal(test_subs_file("movie.en.vtt"), VOD_OK);
    assert_int_equal(s.id.len, 8);
    assert_memory_equal(s.id.data, "movie.en", 8);
    assert_int_equal(s.lang.len, 2);
    assert_false(s.srt || s.forced || s.sdh);

    assert_int_equal(test_subs_file("movie.pt-BR.sdh.forced.srt"), VOD_OK);
    assert_true(s.srt && s.forced && s.sdh);
    assert_int_equal(s.lang.len, 5);
    assert_memory_equal(s.lang.data, "pt-BR", 5);
    assert_int_equal(s.id.len, 22);

    assert_int_equal(test_subs_file("movie.es-419.forced.vtt"), VOD_OK);
    assert_true(s.forced && !s.sdh);
    assert_memory_equal(s.lang.data, "es-419", 6);

    /* no language: und; a word that is no language is part of NAME */
    assert_int_equal(test_subs_file("movie.vtt"), VOD_OK);
    assert_int_equal(s.lang.len, 0);
    assert_int_equal(test_subs_file("movie.director.sdh.vtt"), VOD_OK);
    assert_int_equal(s.lang.len, 0);
    assert_true(s.sdh);
    assert_int_equal(test_subs_file("eng.vtt"), VOD_OK);
    assert_int_equal(s.lang.len, 3);

    /* any three letters may be an ISO 639-2 code */
    assert_int_equal(test_subs_file("movie.sdh.sdh.vtt"), VOD_OK);
    assert_int_equal(s.lang.len, 3);

    assert_int_equal(test_subs_file("movie.en.mp4"), VOD_NOT_FOUND);
    assert_int_equal(test_subs_file(".vtt"), VOD_NOT_FOUND);
    assert_int_equal(test_subs_file(".hidden.en.vtt"), VOD_NOT_FOUND);
    assert_int_equal(test_subs_file("movie.en.VTT"), VOD_NOT_FOUND);
    assert_int_equal(test_subs_file("my movie.en.vtt"), VOD_BAD_REQUEST);

#undef test_subs_file
}


static void
test_subs_lang(void **state)
{
    size_t   i;
    char     out[VOD_SUB_LANG_LEN];

    static const char  *good[][2] = {
        { "en", "en" }, { "EN", "en" }, { "eng", "en" }, { "ger", "de" },
        { "es-419", "es-419" }, { "pt-br", "pt-BR" },
        { "zh-hant-tw", "zh-Hant-TW" }, { "haw", "haw" }, { "und", "und" },
        { "sr-Latn-RS", "sr-Latn-RS" }
    };

    static const char  *bad[] = {
        "", "e", "engl", "xx", "e1", "en-", "en--us", "en_US", "1a",
        "en-abcdefghi", "en-a-b-c-d-e-f-g-h-i-j-k-l-m-n-o-p-q-r"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (!vod_subs_lang((const u_char *) good[i][0], strlen(good[i][0]),
                           out)
            || strcmp(out, good[i][1]) != 0)
        {
            fail_msg("\"%s\": not \"%s\"", good[i][0], good[i][1]);
        }
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (vod_subs_lang((const u_char *) bad[i], strlen(bad[i]), out)) {
            fail_msg("\"%s\" taken for a language tag", bad[i]);
        }
    }
}


static void
test_subs_renditions(void **state)
{
    vod_subs_t           subs;
    vod_subtitle_spec_t  specs[5];

    memset(specs, 0, sizeof(specs));
    subs.count = 0;

    specs[0].lang.data = (u_char *) "eng";
    specs[0].lang.len = 3;
    specs[1] = specs[0];
    specs[1].sdh = 1;
    specs[2] = specs[0];
    specs[3].lang.data = (u_char *) "es-419";
    specs[3].lang.len = 6;
    specs[3].forced = 1;
    specs[4].name.data = (u_char *) "Commentary";
    specs[4].name.len = 10;

    assert_true(vod_subs_add(&subs, &specs[0]));
    assert_true(vod_subs_add(&subs, &specs[1]));
    assert_true(vod_subs_add(&subs, &specs[2]));
    assert_true(vod_subs_add(&subs, &specs[3]));
    assert_true(vod_subs_add(&subs, &specs[4]));

    assert_string_equal(subs.items[0].lang, "en");
    assert_string_equal(subs.items[0].name, "English");
    assert_string_equal(subs.items[1].name, "English SDH");
    assert_string_equal(subs.items[2].name, "English (2)");
    assert_string_equal(subs.items[3].lang, "es-419");
    assert_string_equal(subs.items[3].name, "Spanish (419) (forced)");
    assert_string_equal(subs.items[4].lang, "und");
    assert_string_equal(subs.items[4].name, "Commentary");

    while (subs.count < VOD_MAX_SUBTITLES) {
        assert_true(vod_subs_add(&subs, &specs[0]));
    }

    assert_false(vod_subs_add(&subs, &specs[0]));
}


static void
test_subs_hls(void **state)
{
    char                 *s;
    u_char               *out;
    size_t                len;
    uint64_t              seg[3] = { 0, 25600, 38400 };
    vod_env_t            *env;
    vod_str_t             id;
    vod_subs_t            subs;
    vod_track_info_t      grid;
    vod_subtitle_spec_t   specs[2];

    static const char  master[] =
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\","
        "URI=\"audio-a.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"aud\"\nvideo-a.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2,AUDIO=\"aud\"\nvideo-b.m3u8\n";

    env = *state;

    memset(specs, 0, sizeof(specs));
    subs.count = 0;

    /* no subtitles: the same bytes */
    assert_int_equal(vod_subs_hls_master(env, (const u_char *) master,
                                         sizeof(master) - 1, &subs, 0,
                                         &out, &len), VOD_OK);
    assert_int_equal(len, sizeof(master) - 1);
    assert_memory_equal(out, master, len);

    specs[0].id.data = (u_char *) "movie.en.sdh";
    specs[0].id.len = 12;
    specs[0].lang.data = (u_char *) "en";
    specs[0].lang.len = 2;
    specs[0].sdh = 1;
    specs[1].id.data = (u_char *) "f";
    specs[1].id.len = 1;
    specs[1].forced = 1;
    specs[1].is_default = 1;

    vod_subs_add(&subs, &specs[0]);
    vod_subs_add(&subs, &specs[1]);

    assert_int_equal(vod_subs_hls_master(env, (const u_char *) master,
                                         sizeof(master) - 1, &subs, 1,
                                         &out, &len), VOD_OK);

    s = env->alloc(env, len + 1);
    memcpy(s, out, len);
    s[len] = '\0';

    assert_string_equal(s,
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\","
        "URI=\"audio-a.m3u8\"\n"
        "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\",NAME=\"English SDH\","
        "LANGUAGE=\"en\",DEFAULT=NO,AUTOSELECT=YES,FORCED=NO,"
        "CHARACTERISTICS=\"public.accessibility.transcribes-spoken-dialog,"
        "public.accessibility.describes-music-and-sound\","
        "URI=\"subts-movie.en.sdh.m3u8\"\n"
        "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"subs\","
        "NAME=\"Subtitles (forced)\",DEFAULT=YES,AUTOSELECT=YES,FORCED=YES,"
        "URI=\"subts-f.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1,AUDIO=\"aud\",SUBTITLES=\"subs\"\n"
        "video-a.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=2,AUDIO=\"aud\",SUBTITLES=\"subs\"\n"
        "video-b.m3u8\n");

    /* the media playlist on the grid */

    memset(&grid, 0, sizeof(vod_track_info_t));
    grid.timescale = 12800;
    grid.segment_count = 2;
    grid.seg_time = seg;
    id.data = (u_char *) "movie.en";
    id.len = 8;

    assert_int_equal(vod_subs_hls_media(env, &id, 0, &grid, &out, &len),
                     VOD_OK);

    s = env->alloc(env, len + 1);
    memcpy(s, out, len);
    s[len] = '\0';

    assert_string_equal(s,
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXTINF:2.000,\nsub-movie.en-1.vtt\n"
        "#EXTINF:1.000,\nsub-movie.en-2.vtt\n"
        "#EXT-X-ENDLIST\n");

    grid.segment_count = 0;
    assert_int_equal(vod_subs_hls_media(env, &id, 0, &grid, &out, &len),
                     VOD_UNSUPPORTED);
}


static void
test_subs_dash(void **state)
{
    char                 *s;
    u_char               *out;
    size_t                len;
    vod_env_t            *env;
    vod_subs_t            subs;
    vod_subtitle_spec_t   spec;

    static const char  mpd[] =
        "<MPD>\n  <Period id=\"0\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\">\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"3\" contentType=\"audio\">\n"
        "    </AdaptationSet>\n"
        "  </Period>\n</MPD>\n";

    env = *state;

    memset(&spec, 0, sizeof(spec));
    subs.count = 0;

    spec.id.data = (u_char *) "movie.pt-BR";
    spec.id.len = 11;
    spec.lang.data = (u_char *) "pt-br";
    spec.lang.len = 5;
    spec.name.data = (u_char *) "Português <BR> & co";
    spec.name.len = strlen((char *) spec.name.data);

    vod_subs_add(&subs, &spec);

    assert_int_equal(vod_subs_dash(env, (const u_char *) mpd,
                                   sizeof(mpd) - 1, &subs, &out, &len),
                     VOD_OK);

    s = env->alloc(env, len + 1);
    memcpy(s, out, len);
    s[len] = '\0';

    assert_string_equal(s,
        "<MPD>\n  <Period id=\"0\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\">\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"3\" contentType=\"audio\">\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"4\" contentType=\"text\" "
        "mimeType=\"text/vtt\" lang=\"pt-BR\">\n"
        "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "
        "value=\"subtitle\"/>\n"
        "      <Label>Português &lt;BR&gt; &amp; co</Label>\n"
        "      <Representation id=\"sub-movie.pt-BR\" bandwidth=\"256\">\n"
        "        <BaseURL>sub-movie.pt-BR-full.vtt</BaseURL>\n"
        "      </Representation>\n"
        "    </AdaptationSet>\n"
        "  </Period>\n</MPD>\n");
}


static void
test_subs_json(void **state)
{
    size_t             len;
    u_char            *buf;
    vod_env_t         *env;
    vod_title_spec_t   spec;
    av_oracle_env_ctx_t  *ctx;

    static const char  good[] =
        "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],\n"
        " \"subtitles\": [\n"
        "  {\"file\": \"movie.en.sdh.vtt\"},\n"
        "  {\"file\": \"x.srt\", \"id\": \"es\", \"language\": \"es-419\",\n"
        "   \"name\": \"Español\", \"forced\": true, \"default\": true},\n"
        "  {\"file\": \"movie.fr.forced.vtt\", \"forced\": false,"
        " \"sdh\": true}]}";

    static const char  *bad[][2] = {
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"a.vtt\", \"lang\": \"fr\"}]}",
          "unknown member \"lang\"" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"a.txt\"}]}",
          "not .vtt or .srt" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"../a.vtt\"}]}",
          "bad subtitle file name" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"a.vtt\", \"language\": \"xx\"}]}",
          "bad subtitle language tag" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"a.vtt\", \"name\": \"a\\\"b\"}]}",
          "subtitle name with a quote" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"a.vtt\", \"forced\": 1}]}",
          "\"forced\" is not one true or false" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"a.vtt\"}, {\"file\": \"a.srt\"}]}",
          "duplicate subtitle id" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": {\"file\": \"a.vtt\"}}",
          "\"subtitles\" is object, not array" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [\"a.vtt\"]}",
          "subtitle is not an object" },
        { "{\"renditions\": [{\"id\": \"a\", \"file\": \"a.mp4\"}],"
          "\"subtitles\": [{\"file\": \"my file.vtt\"}]}",
          "not a valid id, and no \"id\"" },
    };

    size_t  i;

    env = *state;
    ctx = env->data;

    len = sizeof(good) - 1;
    buf = env->alloc(env, len);
    memcpy(buf, good, len);

    assert_int_equal(vod_title_json_parse(env, buf, len, &spec), VOD_OK);
    assert_int_equal(spec.subtitle_count, 3);

    assert_int_equal(spec.subtitles[0].id.len, 12);
    assert_true(spec.subtitles[0].sdh && !spec.subtitles[0].forced);
    assert_false(spec.subtitles[0].is_default);

    assert_int_equal(spec.subtitles[1].id.len, 2);
    assert_memory_equal(spec.subtitles[1].id.data, "es", 2);
    assert_memory_equal(spec.subtitles[1].lang.data, "es-419", 6);
    assert_int_equal(spec.subtitles[1].name.len, 8);
    assert_true(spec.subtitles[1].srt && spec.subtitles[1].forced
                && spec.subtitles[1].is_default);

    /* members override what the file name says */
    assert_true(!spec.subtitles[2].forced && spec.subtitles[2].sdh);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        ctx->last_log[0] = '\0';
        ctx->log_lines = 0;

        len = strlen(bad[i][0]);
        buf = env->alloc(env, len);
        memcpy(buf, bad[i][0], len);

        if (vod_title_json_parse(env, buf, len, &spec) != VOD_BAD_DATA
            || ctx->log_lines != 1
            || strstr(ctx->last_log, bad[i][1]) == NULL)
        {
            fail_msg("case %zu: logged \"%s\", expected \"%s\"", i,
                     ctx->last_log, bad[i][1]);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_subs_vtt),
        cmocka_unit_test(test_subs_srt),
        cmocka_unit_test(test_subs_bad),
        cmocka_unit_test(test_subs_segments),
        cmocka_unit_test(test_subs_names),
        cmocka_unit_test(test_subs_lang),
        cmocka_unit_test(test_subs_renditions),
        cmocka_unit_test(test_subs_hls),
        cmocka_unit_test(test_subs_dash),
        cmocka_unit_test(test_subs_json),
    };

    return cmocka_run_group_tests(tests, av_oracle_setup, av_oracle_teardown);
}
