/*
 * test_title.c: title.json, ids from file names, the audio renditions
 * and their languages (the JSON parser under title.json is tested with
 * the shared kit: shared/core/test/test_json.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "vod_title.h"
#include "vod_lang.h"


typedef struct {
    const char   *what;
    const char   *json;
    const char   *log;            /* expected in the log line */
} test_title_bad_t;


static int test_title_parse_str(vod_env_t *env, const char *json,
    vod_title_spec_t *spec);
static void *test_title_malloc(size_t size);
static char *test_title_nested(const char *open, const char *close,
    size_t depth);
static void test_title_good(void **state);
static void test_title_escapes(void **state);
static void test_title_bad(void **state);
static void test_title_limits(void **state);
static void test_title_id_from_file(void **state);
static void test_title_pick_audio(void **state);
static void test_title_track(vod_track_info_t *t, uint32_t id,
    const char *lang, const char *codec, uint32_t channels);
static void test_title_audio_renditions(void **state);
static void test_title_lang(void **state);
static void test_title_limit(void **state);
static void test_title_audio_json(void **state);
static void test_title_audio_apply(void **state);


static test_title_bad_t  test_title_bad_cases[] = {
    { "not JSON", "hello", "unexpected character at byte 0" },
    { "empty input", "", "unexpected end of input at byte 0" },
    { "only spaces", "   ", "unexpected end of input at byte 3" },
    { "trailing garbage",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"}]} x",
      "trailing data after the value at byte 43" },
    { "two values", "{} {}", "trailing data" },
    { "top level array", "[{\"id\":\"a\",\"file\":\"a.mp4\"}]",
      "top level is not an object" },
    { "top level string", "\"renditions\"", "top level is not an object" },
    { "missing renditions", "{\"rendition\":[]}",
      "unknown member \"rendition\" at byte 13" },
    { "unknown top-level member",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"}],"
      "\"chapters\":[]}",
      "unknown member \"chapters\" at byte 53" },
    { "unknown rendition member",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\","
      "\"language\":\"en\"}]}",
      "unknown member \"language\"" },
    { "unknown member with a line break in its name",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"}],"
      "\"a\\nb\":1}",
      "unknown member at byte" },
    { "empty object", "{}", "no \"renditions\"" },
    { "renditions not an array", "{\"renditions\":{}}",
      "\"renditions\" is not an array" },
    { "renditions null", "{\"renditions\":null}",
      "\"renditions\" is not an array" },
    { "empty renditions", "{\"renditions\":[]}", "\"renditions\" is empty" },
    { "duplicate renditions",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"}],"
      "\"renditions\":[{\"id\":\"b\",\"file\":\"b.mp4\"}]}",
      "duplicate \"renditions\"" },
    { "rendition not an object", "{\"renditions\":[\"a.mp4\"]}",
      "rendition is not an object" },
    { "missing id", "{\"renditions\":[{\"file\":\"a.mp4\"}]}",
      "rendition without \"id\"" },
    { "missing file", "{\"renditions\":[{\"id\":\"a\"}]}",
      "rendition without \"file\"" },
    { "id not a string", "{\"renditions\":[{\"id\":1,\"file\":\"a.mp4\"}]}",
      "\"id\" is number, not a string" },
    { "file not a string",
      "{\"renditions\":[{\"id\":\"a\",\"file\":[\"a.mp4\"]}]}",
      "\"file\" is array, not a string" },
    { "duplicate id key",
      "{\"renditions\":[{\"id\":\"a\",\"id\":\"b\",\"file\":\"a.mp4\"}]}",
      "duplicate \"id\"" },
    { "duplicate ids",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"},"
      "{\"id\":\"a\",\"file\":\"b.mp4\"}]}",
      "duplicate rendition id at byte 47" },
    { "id with '/'", "{\"renditions\":[{\"id\":\"a/b\",\"file\":\"a.mp4\"}]}",
      "bad rendition id at byte 21" },
    { "id with escaped '/'",
      "{\"renditions\":[{\"id\":\"a\\/b\",\"file\":\"a.mp4\"}]}",
      "bad rendition id" },
    { "id with space", "{\"renditions\":[{\"id\":\"a b\",\"file\":\"a.mp4\"}]}",
      "bad rendition id" },
    { "id with non-ASCII",
      "{\"renditions\":[{\"id\":\"\xc3\xa9\",\"file\":\"a.mp4\"}]}",
      "bad rendition id" },
    { "empty id", "{\"renditions\":[{\"id\":\"\",\"file\":\"a.mp4\"}]}",
      "bad rendition id" },
    { "id with leading dot",
      "{\"renditions\":[{\"id\":\".a\",\"file\":\"a.mp4\"}]}",
      "bad rendition id" },
    { "id too long",
      "{\"renditions\":[{\"id\":\"0123456789012345678901234567890123456789"
      "0123456789012345678901234\",\"file\":\"a.mp4\"}]}",
      "bad rendition id" },
    { "file with '/'",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"../etc/passwd\"}]}",
      "bad rendition file name" },
    { "file in a subdirectory",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"sub/a.mp4\"}]}",
      "bad rendition file name" },
    { "file \"..\"", "{\"renditions\":[{\"id\":\"a\",\"file\":\"..\"}]}",
      "bad rendition file name" },
    { "file \".\"", "{\"renditions\":[{\"id\":\"a\",\"file\":\".\"}]}",
      "bad rendition file name" },
    { "empty file", "{\"renditions\":[{\"id\":\"a\",\"file\":\"\"}]}",
      "bad rendition file name" },
    { "file with NUL",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\\u0000.txt\"}]}",
      "bad rendition file name" },
    { "file with backslash",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"..\\\\a.mp4\"}]}",
      "bad rendition file name" },
    { "trailing comma",
      "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"},]}",
      "unexpected character" },
    { "single quotes", "{'renditions':[]}", "expected a member name" },
    { "unterminated", "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4",
      "unterminated string" },
    { "unclosed", "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"}]",
      "unexpected end of input" },
    { "comment", "{/* x */\"renditions\":[]}", "expected a member name" },

    /* "audio" */
    { "audio not an array", "%s\"audio\":{}}",
      "\"audio\" is object, not array" },
    { "audio entry not an object", "%s\"audio\":[\"audio-a\"]}",
      "audio entry is not an object" },
    { "unknown audio member",
      "%s\"audio\":[{\"track\":\"audio-a\",\"lang\":\"en\"}]}",
      "unknown member \"lang\"" },
    { "audio without track", "%s\"audio\":[{\"name\":\"x\"}]}",
      "audio entry without \"track\"" },
    { "audio track not a string", "%s\"audio\":[{\"track\":2}]}",
      "\"track\" is number, not string" },
    { "audio track not audio-", "%s\"audio\":[{\"track\":\"video-a\"}]}",
      "not audio-{id} or audio{T}-{id}" },
    { "audio track without id", "%s\"audio\":[{\"track\":\"audio2-\"}]}",
      "not audio-{id} or audio{T}-{id}" },
    { "audio track 0", "%s\"audio\":[{\"track\":\"audio0-a\"}]}",
      "not audio-{id} or audio{T}-{id}" },
    { "audio track leading zero",
      "%s\"audio\":[{\"track\":\"audio02-a\"}]}",
      "not audio-{id} or audio{T}-{id}" },
    { "audio track past 32 bits",
      "%s\"audio\":[{\"track\":\"audio4294967296-a\"}]}",
      "not audio-{id} or audio{T}-{id}" },
    { "audio track of no rendition",
      "%s\"audio\":[{\"track\":\"audio-b\"}]}",
      "of a rendition id \"renditions\" does not have" },
    { "audio track twice",
      "%s\"audio\":[{\"track\":\"audio2-a\"},{\"track\":\"audio2-a\"}]}",
      "a second audio entry for one \"track\"" },
    { "audio bad language",
      "%s\"audio\":[{\"track\":\"audio-a\",\"language\":\"e n\"}]}",
      "bad audio language tag" },
    { "audio empty name",
      "%s\"audio\":[{\"track\":\"audio-a\",\"name\":\"\"}]}",
      "audio name empty or too long" },
    { "audio name too long",
      "%s\"audio\":[{\"track\":\"audio-a\",\"name\":"
      "\"0123456789012345678901234567890123456789012345678\"}]}",
      "audio name empty or too long" },
    { "audio name with a quote",
      "%s\"audio\":[{\"track\":\"audio-a\",\"name\":\"a\\\"b\"}]}",
      "audio name with a quote or a control character" },
    { "audio name with a line break",
      "%s\"audio\":[{\"track\":\"audio-a\",\"name\":\"a\\nb\"}]}",
      "audio name with a quote or a control character" },
    { "audio characteristics with a quote",
      "%s\"audio\":[{\"track\":\"audio-a\","
      "\"characteristics\":\"public.x\\\"\"}]}",
      "bad audio characteristics" },
    { "audio characteristics empty item",
      "%s\"audio\":[{\"track\":\"audio-a\","
      "\"characteristics\":\"public.a,\"}]}",
      "bad audio characteristics" },
    { "audio default not a flag",
      "%s\"audio\":[{\"track\":\"audio-a\",\"default\":1}]}",
      "\"default\" is not one true or false" },
    { "two audio defaults",
      "%s\"audio\":[{\"track\":\"audio-a\",\"default\":true},"
      "{\"track\":\"audio3-a\",\"default\":true}]}",
      "a second audio \"default\": true" },
    { "excluded with a name",
      "%s\"audio\":[{\"track\":\"audio-a\",\"exclude\":true,"
      "\"name\":\"x\"}]}",
      "an excluded audio track with other members" },
    { "exclude not a flag",
      "%s\"audio\":[{\"track\":\"audio-a\",\"exclude\":\"yes\"}]}",
      "\"exclude\" is not one true or false" },
};


/* the renditions the "audio" cases above name ("%s" in them) */
#define TEST_TITLE_A  "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\"}],"


/* the parsers get a copy of exactly the text, without its NUL, in an
 * allocation of that size, so ASan sees any read past the end */

static int
test_title_parse_str(vod_env_t *env, const char *json, vod_title_spec_t *spec)
{
    size_t   len;
    u_char  *buf;

    len = strlen(json);
    buf = env->alloc(env, len);
    assert_non_null(buf);
    memcpy(buf, json, len);

    return vod_title_json_parse(env, buf, len, spec);
}


static void *
test_title_malloc(size_t size)
{
    void  *p;

    p = malloc(size);
    if (p == NULL) {
        abort();
    }

    return p;
}


static char *
test_title_nested(const char *open, const char *close, size_t depth)
{
    char    *s, *p;
    size_t   i;

    s = test_title_malloc(depth * 2 + 64);

    p = s;
    p += sprintf(p, "{\"renditions\":[{\"id\":\"a\",\"file\":\"a.mp4\","
                    "\"x\":");

    for (i = 0; i < depth; i++) {
        *p++ = *open;
    }

    for (i = 0; i < depth; i++) {
        *p++ = *close;
    }

    strcpy(p, "}]}");

    return s;
}


static void
test_title_good(void **state)
{
    vod_env_t         *env;
    vod_title_spec_t   spec;

    env = *state;

    /* members it does not know are refused, not ignored: "chapters"
     * would otherwise be a feature silently missing */

    assert_int_equal(test_title_parse_str(env,
        "\xef\xbb\xbf {\n"
        "  \"version\": 1,\n"
        "  \"renditions\": [\n"
        "    {\"id\": \"1080p\", \"file\": \"1080p.mp4\", \"note\": null},\n"
        "    {\"file\": \"movie 720.mp4\", \"id\": \"720p\",\n"
        "     \"rights\": {\"countries\": [\"US\", \"CA\"], \"until\": 1e9}},\n"
        "    {\"id\": \"a-b.c_d\", \"file\": \"x..y.mp4\", \"hdr\": false}\n"
        "  ],\n"
        "  \"chapters\": [{\"lang\": \"fr\", \"default\": true}]\n"
        "}\n", &spec), VOD_BAD_DATA);

    assert_int_equal(test_title_parse_str(env,
        "\xef\xbb\xbf {\n"
        "  \"renditions\": [\n"
        "    {\"id\": \"1080p\", \"file\": \"1080p.mp4\"},\n"
        "    {\"file\": \"movie 720.mp4\", \"id\": \"720p\"},\n"
        "    {\"id\": \"a-b.c_d\", \"file\": \"x..y.mp4\"}\n"
        "  ]\n"
        "}\n", &spec), VOD_OK);

    assert_int_equal(spec.count, 3);
    assert_int_equal(spec.renditions[0].id.len, 5);
    assert_memory_equal(spec.renditions[0].id.data, "1080p", 5);
    assert_int_equal(spec.renditions[0].file.len, 9);
    assert_memory_equal(spec.renditions[0].file.data, "1080p.mp4", 9);
    assert_int_equal(spec.renditions[1].id.len, 4);
    assert_memory_equal(spec.renditions[1].id.data, "720p", 4);
    assert_int_equal(spec.renditions[1].file.len, 13);
    assert_memory_equal(spec.renditions[1].file.data, "movie 720.mp4", 13);
    assert_int_equal(spec.renditions[2].id.len, 7);
    assert_memory_equal(spec.renditions[2].id.data, "a-b.c_d", 7);
}


static void
test_title_escapes(void **state)
{
    vod_env_t         *env;
    vod_title_spec_t   spec;

    env = *state;

    /* escapes are decoded before the checks */
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\":[{\"id\":\"1080\\u0070\",\"file\":"
        "\"caf\\u00e9 \\ud83d\\ude00.mp4\"}]}", &spec), VOD_OK);

    assert_int_equal(spec.count, 1);
    assert_int_equal(spec.renditions[0].id.len, 5);
    assert_memory_equal(spec.renditions[0].id.data, "1080p", 5);
    assert_int_equal(spec.renditions[0].file.len, 14);
    assert_memory_equal(spec.renditions[0].file.data,
                        "caf\xc3\xa9 \xf0\x9f\x98\x80.mp4", 14);
}


static void
test_title_bad(void **state)
{
    int                   rc;
    char                  json[512];
    size_t                i;
    vod_env_t            *env;
    vod_title_spec_t      spec;
    av_oracle_env_ctx_t  *ctx;

    env = *state;
    ctx = env->data;

    for (i = 0;
         i < sizeof(test_title_bad_cases) / sizeof(test_title_bad_t);
         i++)
    {
        ctx->last_log[0] = '\0';
        ctx->log_lines = 0;

        snprintf(json, sizeof(json), test_title_bad_cases[i].json,
                 TEST_TITLE_A);

        rc = test_title_parse_str(env, json, &spec);

        if (rc != VOD_BAD_DATA) {
            fail_msg("%s: rc %d", test_title_bad_cases[i].what, rc);
        }

        if (ctx->log_lines != 1
            || strstr(ctx->last_log, test_title_bad_cases[i].log) == NULL)
        {
            fail_msg("%s: logged \"%s\" (%u lines), expected \"%s\"",
                     test_title_bad_cases[i].what, ctx->last_log,
                     ctx->log_lines, test_title_bad_cases[i].log);
        }

        if (strncmp(ctx->last_log, "title.json: ", 12) != 0) {
            fail_msg("%s: log \"%s\"", test_title_bad_cases[i].what,
                     ctx->last_log);
        }
    }
}


static void
test_title_limits(void **state)
{
    char                 *s, *p;
    size_t                i;
    vod_env_t            *env;
    vod_title_spec_t      spec;
    av_oracle_env_ctx_t  *ctx;

    env = *state;
    ctx = env->data;

    /* VOD_MAX_RENDITIONS is accepted, one more is not */

    s = test_title_malloc(64 * (VOD_MAX_RENDITIONS + 2));

    p = s + sprintf(s, "{\"renditions\":[");

    for (i = 0; i < VOD_MAX_RENDITIONS; i++) {
        p += sprintf(p, "%s{\"id\":\"r%zu\",\"file\":\"r%zu.mp4\"}",
                     i ? "," : "", i, i);
    }

    strcpy(p, "]}");
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_OK);
    assert_int_equal(spec.count, VOD_MAX_RENDITIONS);

    sprintf(p, ",{\"id\":\"more\",\"file\":\"more.mp4\"}]}");
    ctx->last_log[0] = '\0';
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "too many renditions"));

    free(s);

    /* nesting: the parser takes a few levels, then the unknown member
     * holding them is refused; deeper, the parser refuses first */

    s = test_title_nested("[", "]", 8);
    ctx->last_log[0] = '\0';
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "unknown member \"x\""));
    free(s);

    s = test_title_nested("[", "]", 100);
    ctx->last_log[0] = '\0';
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "nesting too deep"));
    free(s);

    s = test_title_nested("[", "]", 100000);
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "nesting too deep"));
    free(s);

    /* too many values */

    s = test_title_malloc(20 * 10000 + 64);

    p = s + sprintf(s, "{\"renditions\":[{\"id\":\"a\",\"file\":\"a\"}],"
                       "\"x\":[0");

    for (i = 1; i < 10000; i++) {
        p += sprintf(p, ",%zu", i);
    }

    strcpy(p, "]}");
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "too many values"));
    free(s);

    /* size */

    s = test_title_malloc(2 * 1024 * 1024);
    memset(s, ' ', 2 * 1024 * 1024 - 1);
    s[2 * 1024 * 1024 - 1] = '\0';
    memcpy(s, "{\"renditions\":[{\"id\":\"a\",\"file\":\"a\"}]}", 38);
    assert_int_equal(test_title_parse_str(env, s, &spec), VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "file too large"));
    free(s);
}


static void
test_title_id_from_file(void **state)
{
    size_t     i;
    vod_str_t  file, id;

    static const struct {
        const char  *file;
        int          rc;
        const char  *id;
    } cases[] = {
        { "720p.mp4", VOD_OK, "720p" },
        { "1080p", VOD_OK, "1080p" },
        { "a.b.mp4", VOD_OK, "a.b" },
        { "hd-high_2.mp4", VOD_OK, "hd-high_2" },
        { "x.", VOD_OK, "x" },
        { ".mp4", VOD_BAD_REQUEST, NULL },
        { "", VOD_BAD_REQUEST, NULL },
        { "movie 720.mp4", VOD_BAD_REQUEST, NULL },
        { "caf\xc3\xa9.mp4", VOD_BAD_REQUEST, NULL },
        { "a/b.mp4", VOD_BAD_REQUEST, NULL },
        { "..mp4", VOD_BAD_REQUEST, NULL },
        { "0123456789012345678901234567890123456789"
          "012345678901234567890123.mp4", VOD_OK,
          "0123456789012345678901234567890123456789"
          "012345678901234567890123" },
        { "0123456789012345678901234567890123456789"
          "0123456789012345678901234.mp4", VOD_BAD_REQUEST, NULL },
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        file.data = (u_char *) cases[i].file;
        file.len = strlen(cases[i].file);

        if (vod_title_id_from_file(&file, &id) != cases[i].rc) {
            fail_msg("\"%s\": unexpected rc", cases[i].file);
        }

        if (cases[i].rc == VOD_OK) {
            assert_int_equal(id.len, strlen(cases[i].id));
            assert_memory_equal(id.data, cases[i].id, id.len);
        }
    }
}


static void
test_title_pick_audio(void **state)
{
    vod_title_t        title;
    vod_rendition_t    r[3];
    vod_track_info_t   v, a;

    memset(r, 0, sizeof(r));
    memset(&v, 0, sizeof(v));
    memset(&a, 0, sizeof(a));

    r[0].video = &v;
    r[1].video = &v;
    r[1].audio = &a;
    r[2].audio = &a;

    title.renditions = r;
    title.count = 3;
    title.audio_count = 7;

    /* the same track in two files: one rendition, from the first */
    vod_title_pick_audio(&title);
    assert_int_equal(title.audio_count, 1);
    assert_ptr_equal(title.audio[0].source, &r[1]);

    r[1].audio = NULL;
    vod_title_pick_audio(&title);
    assert_int_equal(title.audio_count, 1);
    assert_ptr_equal(title.audio[0].source, &r[2]);

    r[2].audio = NULL;
    vod_title_pick_audio(&title);
    assert_int_equal(title.audio_count, 0);

    title.count = 0;
    vod_title_pick_audio(&title);
    assert_int_equal(title.audio_count, 0);
}


static void
test_title_track(vod_track_info_t *t, uint32_t id, const char *lang,
    const char *codec, uint32_t channels)
{
    memset(t, 0, sizeof(vod_track_info_t));

    t->type = VOD_TRACK_AUDIO;
    t->track_id = id;
    t->channels = channels;
    strcpy(t->lang, lang);
    strcpy(t->codec_str, codec);
}


/* several audio tracks per file: renditions, copies, names, groups and
 * the track numbers of their URLs */

static void
test_title_audio_renditions(void **state)
{
    vod_title_t         title;
    vod_rendition_t     r[3];
    vod_track_info_t    v, en, de, en51, com, en2, de2, heaac, xx;
    vod_track_info_t   *f0[4], *f1[3], *f2[2];

    memset(r, 0, sizeof(r));
    memset(&v, 0, sizeof(v));

    test_title_track(&en, 2, "eng", "mp4a.40.2", 2);
    test_title_track(&de, 3, "ger", "mp4a.40.2", 2);
    test_title_track(&en51, 4, "eng", "mp4a.40.2", 6);
    test_title_track(&com, 5, "eng", "mp4a.40.2", 2);     /* commentary */
    test_title_track(&en2, 7, "eng", "mp4a.40.2", 2);
    test_title_track(&de2, 8, "deu", "mp4a.40.2", 2);
    test_title_track(&heaac, 9, "jpn", "mp4a.40.5", 2);
    test_title_track(&xx, 3, "qaa", "mp4a.40.2", 2);

    /* 1080p: en, de, en 5.1, a second English stereo track */
    f0[0] = &en;
    f0[1] = &de;
    f0[2] = &en51;
    f0[3] = &com;
    r[0].id.data = (u_char *) "1080p";
    r[0].id.len = 5;
    r[0].video = &v;
    r[0].audio = &en;
    r[0].audios = f0;
    r[0].audio_count = 4;

    /* 720p carries copies of en and de (other track ids) and an HE-AAC
     * Japanese track */
    f1[0] = &en2;
    f1[1] = &de2;
    f1[2] = &heaac;
    r[1].id.data = (u_char *) "720p";
    r[1].id.len = 4;
    r[1].video = &v;
    r[1].audio = &en2;
    r[1].audios = f1;
    r[1].audio_count = 3;

    /* an audio file: a language outside the table, and en again */
    f2[0] = &xx;
    f2[1] = &en;
    r[2].id.data = (u_char *) "extra";
    r[2].id.len = 5;
    r[2].audio = &xx;
    r[2].audios = f2;
    r[2].audio_count = 2;

    title.renditions = r;
    title.count = 3;

    vod_title_pick_audio(&title);

    assert_int_equal(title.audio_count, 6);
    assert_int_equal(title.group_count, 2);

    assert_ptr_equal(title.audio[0].track, &en);
    assert_int_equal(title.audio[0].url_id, 0);
    assert_string_equal(title.audio[0].lang, "en");
    assert_string_equal(title.audio[0].name, "English");
    assert_int_equal(title.audio[0].group, 0);

    assert_ptr_equal(title.audio[1].track, &de);
    assert_int_equal(title.audio[1].url_id, 3);
    assert_string_equal(title.audio[1].lang, "de");
    assert_string_equal(title.audio[1].name, "German");

    assert_ptr_equal(title.audio[2].track, &en51);
    assert_int_equal(title.audio[2].url_id, 4);
    assert_string_equal(title.audio[2].name, "English 5.1");

    /* a second track like one of its own file is a rendition of its own,
     * with a name of its own */
    assert_ptr_equal(title.audio[3].track, &com);
    assert_int_equal(title.audio[3].url_id, 5);
    assert_string_equal(title.audio[3].name, "English (2)");

    /* 720p's en and de are copies ("deu" and "ger" alike); its HE-AAC
     * track opens a second group */
    assert_ptr_equal(title.audio[4].track, &heaac);
    assert_ptr_equal(title.audio[4].source, &r[1]);
    assert_int_equal(title.audio[4].url_id, 9);
    assert_string_equal(title.audio[4].lang, "ja");
    assert_string_equal(title.audio[4].name, "Japanese");
    assert_int_equal(title.audio[4].group, 1);

    /* the audio file's first track, a language without a 639-1 code */
    assert_ptr_equal(title.audio[5].track, &xx);
    assert_ptr_equal(title.audio[5].source, &r[2]);
    assert_int_equal(title.audio[5].url_id, 0);
    assert_string_equal(title.audio[5].lang, "qaa");
    assert_string_equal(title.audio[5].name, "qaa");
}


/* E-AC-3 5.1 with Atmos (JOC) and without, one language, in files of
 * their own: two renditions, the Atmos one named so; a copy of the Atmos
 * track in a third file is not a third */

static void
test_title_audio_atmos(void **state)
{
    size_t              i;
    vod_title_t         title;
    vod_rendition_t     r[3];
    vod_track_info_t    v, atmos, plain, atmos2;
    vod_track_info_t   *f[3];

    /* dec3 of a 5.1 program (ffmpeg's), and with the JOC extension */
    static u_char  dec3[] = { 0x06, 0x00, 0x20, 0x0f, 0x00 };
    static u_char  joc[] = { 0x06, 0x00, 0x20, 0x0f, 0x00, 0x01, 0x10 };

    memset(r, 0, sizeof(r));
    memset(&v, 0, sizeof(v));

    test_title_track(&atmos, 2, "fra", "ec-3", 6);
    atmos.codec = VOD_CODEC_EAC3;
    atmos.dec_config = joc;
    atmos.dec_config_len = sizeof(joc);

    test_title_track(&plain, 2, "fra", "ec-3", 6);
    plain.codec = VOD_CODEC_EAC3;
    plain.dec_config = dec3;
    plain.dec_config_len = sizeof(dec3);

    atmos2 = atmos;

    f[0] = &atmos;
    f[1] = &plain;
    f[2] = &atmos2;

    r[0].id.data = (u_char *) "1080p";
    r[0].id.len = 5;
    r[1].id.data = (u_char *) "720p";
    r[1].id.len = 4;
    r[2].id.data = (u_char *) "360p";
    r[2].id.len = 4;

    for (i = 0; i < 3; i++) {
        r[i].video = &v;
        r[i].audio = f[i];
        r[i].audios = &f[i];
        r[i].audio_count = 1;
    }

    title.renditions = r;
    title.count = 3;

    vod_title_pick_audio(&title);

    assert_int_equal(title.audio_count, 2);
    assert_ptr_equal(title.audio[0].track, &atmos);
    assert_string_equal(title.audio[0].name, "French Atmos");
    assert_ptr_equal(title.audio[1].track, &plain);
    assert_ptr_equal(title.audio[1].source, &r[1]);
    assert_string_equal(title.audio[1].name, "French 5.1");
    assert_int_equal(title.audio[0].group, title.audio[1].group);
}


/* mdhd's ISO 639-2 codes to BCP 47 */

static void
test_title_lang(void **state)
{
    size_t   i;
    char     out[VOD_LANG_LEN];

    static const char  *cases[][2] = {
        { "eng", "en" }, { "deu", "de" }, { "ger", "de" }, { "fra", "fr" },
        { "fre", "fr" }, { "spa", "es" }, { "jpn", "ja" }, { "zho", "zh" },
        { "chi", "zh" }, { "por", "pt" }, { "nob", "nb" }, { "zul", "zu" },
        { "aar", "aa" }, { "cym", "cy" }, { "wel", "cy" }, { "slo", "sk" },
        /* two letters stay when ISO 639-1 has them */
        { "en", "en" }, { "de", "de" }, { "xx", "und" },
        /* no 639-1 code: the three letters */
        { "haw", "haw" }, { "yue", "yue" }, { "mul", "mul" },
        /* undetermined, or not a code */
        { "und", "und" }, { "", "und" }, { "ENG", "und" }, { "e1g", "und" },
        { "e<n", "und" }, { "engl", "und" }, { "e", "und" }
    };

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        vod_lang_bcp47(cases[i][0], strlen(cases[i][0]), out);

        if (strcmp(out, cases[i][1]) != 0) {
            fail_msg("\"%s\": got \"%s\", expected \"%s\"", cases[i][0],
                     out, cases[i][1]);
        }
    }

    /* the length given is what is looked at */
    vod_lang_bcp47("engxyz", 3, out);
    assert_string_equal(out, "en");

    assert_string_equal(vod_lang_name("en"), "English");
    assert_string_equal(vod_lang_name("de"), "German");
    assert_string_equal(vod_lang_name("zu"), "Zulu");
    assert_null(vod_lang_name("und"));
    assert_null(vod_lang_name("haw"));
    assert_null(vod_lang_name(""));
}


static void
test_title_limit(void **state)
{
    vod_title_t        title;
    vod_rendition_t    r[4];
    vod_track_info_t   v1080, v720, v480, a;

    memset(r, 0, sizeof(r));
    memset(&v1080, 0, sizeof(v1080));
    memset(&v720, 0, sizeof(v720));
    memset(&v480, 0, sizeof(v480));
    memset(&a, 0, sizeof(a));

    v1080.height = 1080;
    v1080.avg_bitrate = 5000000;
    v720.height = 720;
    v720.avg_bitrate = 2800000;
    v480.height = 480;
    v480.avg_bitrate = 1400000;

    r[0].video = &v1080;
    r[0].audio = &a;
    r[1].video = &v720;
    r[1].audio = &a;
    r[2].video = &v480;
    r[2].audio = &a;
    r[3].audio = &a;                      /* audio only: never hidden */

    title.renditions = r;
    title.count = 4;
    vod_title_pick_audio(&title);

    /* no limits: all stay */
    assert_int_equal(vod_title_limit(&title, 0, 0), 3);

    /* by height, at the limit included */
    assert_int_equal(vod_title_limit(&title, 720, 0), 2);
    assert_null(r[0].video);
    assert_ptr_equal(r[1].video, &v720);
    assert_ptr_equal(r[2].video, &v480);

    /* the audio stays, and so does the choice of its rendition */
    assert_ptr_equal(r[0].audio, &a);
    assert_int_equal(title.audio_count, 1);
    assert_ptr_equal(title.audio[0].source, &r[0]);

    /* by bit rate: 720p averages over 2.5 Mbps */
    assert_int_equal(vod_title_limit(&title, 0, 2500000), 1);
    assert_null(r[1].video);
    assert_ptr_equal(r[2].video, &v480);

    /* nothing left */
    assert_int_equal(vod_title_limit(&title, 360, 0), 0);
    assert_null(r[2].video);
    assert_ptr_equal(r[3].audio, &a);
}


/* "audio": what each entry says, the track names taken apart */

static void
test_title_audio_json(void **state)
{
    vod_env_t         *env;
    vod_title_spec_t   spec;

    env = *state;

    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"},"
        " {\"id\": \"my-file\", \"file\": \"b.mp4\"}],"
        " \"audio\": ["
        "  {\"track\": \"audio-hd\", \"language\": \"PT-br\","
        "   \"name\": \"Portugu\\u00eas <BR> & co\", \"default\": true},"
        "  {\"track\": \"audio4294967295-my-file\", \"default\": false,"
        "   \"characteristics\": \"public.accessibility.describes-video,"
        "public.x-1\"},"
        "  {\"track\": \"audio3-hd\", \"exclude\": true},"
        "  {\"track\": \"audio-my-file\", \"language\": \"ger\","
        "   \"exclude\": false}]}", &spec), VOD_OK);

    assert_int_equal(spec.audio_count, 4);

    assert_int_equal(spec.audio[0].id.len, 2);
    assert_memory_equal(spec.audio[0].id.data, "hd", 2);
    assert_int_equal(spec.audio[0].track_id, 0);
    assert_string_equal(spec.audio[0].lang, "pt-BR");
    assert_int_equal(spec.audio[0].name.len, 20);
    assert_memory_equal(spec.audio[0].name.data,
                        "Portugu\xc3\xaas <BR> & co", 20);
    assert_int_equal(spec.audio[0].is_default, 1);
    assert_int_equal(spec.audio[0].exclude, 0);
    assert_int_equal(spec.audio[0].characteristics.len, 0);

    /* the id after the first '-' past the digits, '-' in it or not */
    assert_int_equal(spec.audio[1].id.len, 7);
    assert_memory_equal(spec.audio[1].id.data, "my-file", 7);
    assert_int_equal(spec.audio[1].track_id, 4294967295U);
    assert_int_equal(spec.audio[1].is_default, 0);
    assert_string_equal(spec.audio[1].lang, "");
    assert_int_equal(spec.audio[1].name.len, 0);
    assert_int_equal(spec.audio[1].characteristics.len, 47);

    assert_int_equal(spec.audio[2].track_id, 3);
    assert_int_equal(spec.audio[2].exclude, 1);
    assert_int_equal(spec.audio[2].is_default, 2);

    assert_string_equal(spec.audio[3].lang, "de");
    assert_int_equal(spec.audio[3].exclude, 0);

    /* without "audio", none */
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"}]}",
        &spec), VOD_OK);
    assert_int_equal(spec.audio_count, 0);
}


/* the overrides applied to the picked renditions: exclusion and the
 * groups again, languages, names, the default first; and what names no
 * rendition */

static void
test_title_audio_apply(void **state)
{
    vod_env_t             *env;
    vod_title_t            title;
    vod_rendition_t        r[2];
    vod_track_info_t       v, en, de, ac3, en51, cp;
    vod_track_info_t      *f0[4], *f1[1];
    vod_title_spec_t       spec;
    av_oracle_env_ctx_t   *ctx;

    env = *state;
    ctx = env->data;

    memset(r, 0, sizeof(r));
    memset(&v, 0, sizeof(v));

    test_title_track(&en, 2, "eng", "mp4a.40.2", 2);
    test_title_track(&ac3, 3, "eng", "ac-3", 6);
    test_title_track(&de, 4, "ger", "mp4a.40.2", 2);
    test_title_track(&en51, 5, "eng", "mp4a.40.2", 6);
    test_title_track(&cp, 2, "eng", "mp4a.40.2", 2);

    f0[0] = &en;
    f0[1] = &ac3;
    f0[2] = &de;
    f0[3] = &en51;
    r[0].id.data = (u_char *) "hd";
    r[0].id.len = 2;
    r[0].video = &v;
    r[0].audio = &en;
    r[0].audios = f0;
    r[0].audio_count = 4;

    f1[0] = &cp;                          /* a copy of hd's English */
    r[1].id.data = (u_char *) "sd";
    r[1].id.len = 2;
    r[1].video = &v;
    r[1].audio = &cp;
    r[1].audios = f1;
    r[1].audio_count = 1;

    title.renditions = r;
    title.count = 2;

    /* no entries: what vod_title_pick_audio() made */
    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"},"
        " {\"id\": \"sd\", \"file\": \"sd.mp4\"}]}", &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec), VOD_OK);
    assert_int_equal(title.audio_count, 4);
    assert_int_equal(title.group_count, 2);
    assert_ptr_equal(title.audio[0].track, &en);
    assert_int_equal(title.audio[1].group, 1);
    assert_string_equal(title.audio[3].name, "English 5.1");

    /* the AC-3 track out (its group goes, German's group is 0), German
     * the default with a tag and a name, 5.1 relabelled Spanish */
    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"},"
        " {\"id\": \"sd\", \"file\": \"sd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio3-hd\", \"exclude\": true},"
        " {\"track\": \"audio4-hd\", \"language\": \"de-AT\","
        "  \"name\": \"English\", \"default\": true},"
        " {\"track\": \"audio5-hd\", \"language\": \"es-419\"},"
        " {\"track\": \"audio-hd\","
        "  \"characteristics\": \"public.accessibility.describes-video\"}"
        "]}", &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec), VOD_OK);

    assert_int_equal(title.audio_count, 3);
    assert_int_equal(title.group_count, 1);

    assert_ptr_equal(title.audio[0].track, &de);
    assert_string_equal(title.audio[0].lang, "de-AT");
    assert_string_equal(title.audio[0].name, "English");
    assert_int_equal(title.audio[0].named, 1);
    assert_int_equal(title.audio[0].characteristics.len, 0);

    /* the name made from the language steps aside for the one given */
    assert_ptr_equal(title.audio[1].track, &en);
    assert_string_equal(title.audio[1].lang, "en");
    assert_string_equal(title.audio[1].name, "English (2)");
    assert_int_equal(title.audio[1].named, 0);
    assert_int_equal(title.audio[1].characteristics.len, 36);
    assert_int_equal(title.audio[1].group, 0);

    assert_ptr_equal(title.audio[2].track, &en51);
    assert_string_equal(title.audio[2].lang, "es-419");
    assert_string_equal(title.audio[2].name, "Spanish (419) 5.1");

    /* a track of a file left out of the title is passed over */
    title.count = 1;
    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"},"
        " {\"id\": \"sd\", \"file\": \"sd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio-sd\", \"name\": \"x\"}]}",
        &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec), VOD_OK);
    assert_int_equal(title.audio_count, 4);
    title.count = 2;

    /* sd's English is a copy of hd's: no rendition of its own */
    vod_title_pick_audio(&title);
    ctx->last_log[0] = '\0';
    ctx->log_lines = 0;
    assert_int_equal(vod_title_audio_apply(env, &title, &spec),
                     VOD_BAD_DATA);
    assert_int_equal(ctx->log_lines, 1);
    assert_non_null(strstr(ctx->last_log, "title.json: \"audio\" names "
                           "\"audio-sd\", which is no audio rendition"));

    /* a track the file does not have */
    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio9-hd\", \"name\": \"x\"}]}",
        &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "\"audio9-hd\""));

    /* two given names alike in a group; but not in two groups */
    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio-hd\", \"name\": \"Main\"},"
        " {\"track\": \"audio3-hd\", \"name\": \"Main\"}]}",
        &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec), VOD_OK);

    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio-hd\", \"name\": \"Main\"},"
        " {\"track\": \"audio4-hd\", \"name\": \"Main\"}]}",
        &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "named \"Main\""));

    /* "default": false: the first not so marked; all marked, refused */
    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio-hd\", \"default\": false}]}",
        &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec), VOD_OK);
    assert_ptr_equal(title.audio[0].track, &ac3);
    assert_ptr_equal(title.audio[1].track, &en);
    assert_int_equal(title.audio[0].group, 0);
    assert_int_equal(title.audio[1].group, 1);

    vod_title_pick_audio(&title);
    assert_int_equal(test_title_parse_str(env,
        "{\"renditions\": [{\"id\": \"hd\", \"file\": \"hd.mp4\"}],"
        " \"audio\": [{\"track\": \"audio-hd\", \"default\": false},"
        " {\"track\": \"audio3-hd\", \"default\": false},"
        " {\"track\": \"audio4-hd\", \"exclude\": true},"
        " {\"track\": \"audio5-hd\", \"default\": false}]}",
        &spec), VOD_OK);
    assert_int_equal(vod_title_audio_apply(env, &title, &spec),
                     VOD_BAD_DATA);
    assert_non_null(strstr(ctx->last_log, "\"default\": false"));

    /* vod_title_audio_excluded(): by file and track */
    assert_int_equal(vod_title_audio_excluded(&spec, &r[0].id, 4), 1);
    assert_int_equal(vod_title_audio_excluded(&spec, &r[0].id, 5), 0);
    assert_int_equal(vod_title_audio_excluded(&spec, &r[1].id, 4), 0);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test_setup_teardown(test_title_good, av_oracle_setup,
                                        av_oracle_teardown),
        cmocka_unit_test_setup_teardown(test_title_escapes, av_oracle_setup,
                                        av_oracle_teardown),
        cmocka_unit_test_setup_teardown(test_title_bad, av_oracle_setup,
                                        av_oracle_teardown),
        cmocka_unit_test_setup_teardown(test_title_limits, av_oracle_setup,
                                        av_oracle_teardown),
        cmocka_unit_test(test_title_id_from_file),
        cmocka_unit_test(test_title_pick_audio),
        cmocka_unit_test(test_title_audio_renditions),
        cmocka_unit_test(test_title_audio_atmos),
        cmocka_unit_test(test_title_lang),
        cmocka_unit_test(test_title_limit),
        cmocka_unit_test_setup_teardown(test_title_audio_json,
                                        av_oracle_setup,
                                        av_oracle_teardown),
        cmocka_unit_test_setup_teardown(test_title_audio_apply,
                                        av_oracle_setup,
                                        av_oracle_teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
