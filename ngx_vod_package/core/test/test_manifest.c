/*
 * test_manifest.c: HLS playlists and the DASH MPD of a small synthetic
 * title, compared as whole texts, plus the error paths, an xmllint check
 * and a micro benchmark (printed, not asserted).
 */

#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <time.h>

#include "av_oracle.h"
#include "vod_manifest.h"
#include "vod_ts.h"
#include "vod_url.h"
#include "vod_text.h"


#define test_find(out, len, s)  memmem(out, len, s, sizeof(s) - 1)


typedef struct {
    vod_track_info_t   v1080, a1080, v720, a720, v540;
    vod_rendition_t    r[3];
    vod_title_t        title;
} test_manifest_title_t;


typedef struct {
    u_char            *buf;
    size_t             size;
} test_manifest_bench_ctx_t;


int vod_ts_supported(const vod_track_info_t *track)
    __attribute__((weak));

static void test_manifest_video(vod_track_info_t *t, uint32_t codec,
    const char *codec_str, uint32_t w, uint32_t h, uint32_t fps_num,
    uint32_t fps_den, uint32_t timescale, uint64_t *seg_time, uint32_t n,
    uint64_t avg, uint64_t peak);
static void test_manifest_audio(vod_track_info_t *t, const char *lang,
    uint64_t *seg_time, uint32_t n, uint64_t avg, uint64_t peak);
static void test_manifest_build(test_manifest_title_t *t);
static void test_manifest_expect_tail(int rc, u_char *out, size_t len,
    const char *expected);
static void test_manifest_expect(int rc, u_char *out, size_t len,
    const char *expected);
static void test_hls_master(void **state);
static void test_text_uint(void **state);
static void test_hls_master_ts(void **state);
static void test_hls_master_edge(void **state);
static void test_hls_media(void **state);
static void test_hls_media_ts_audio(void **state);
static void test_hls_media_errors(void **state);
static void test_hls_target_duration(void **state);
static void test_dash_mpd(void **state);
static void test_dash_timeline(void **state);
static void test_dash_xml(void **state);
static void *test_manifest_bench_alloc(vod_env_t *env, size_t size);
static void test_manifest_bench(void **state);
static void test_manifest_audio_renditions(void **state);
static void test_tracks_json(void **state);
static void test_manifest_audio_overrides(void **state);


/* times of the 29.97 fps renditions: three 4.004 s segments and a short
 * 1.001 s one; the audio is cut at the same times */
static uint64_t  test_t30[] = { 0, 120120, 240240, 360360, 390390 };
static uint64_t  test_t48[] = { 0, 192192, 384384, 576576, 624624 };
/* 25 fps at 12800: 4 s segments and a 1.2 s one */
static uint64_t  test_t25[] = { 0, 51200, 102400, 153600, 168960 };

static u_char  test_avcc[] = { 1, 0x64, 0, 0x28, 0xff, 0xe0, 0 };
static u_char  test_asc[] = { 0x11, 0x90 };


static const char  test_master[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:7\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\",LANGUAGE=\"en\","
    "DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\",URI=\"audio-1080p.m3u8\"\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=5142256,AVERAGE-BANDWIDTH=4640256,"
    "CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,"
    "FRAME-RATE=29.970,AUDIO=\"aud\"\n"
    "video-1080p.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=3142256,AVERAGE-BANDWIDTH=2940256,"
    "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,"
    "FRAME-RATE=29.970,AUDIO=\"aud\"\n"
    "video-720p.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=1641616,AVERAGE-BANDWIDTH=1339616,"
    "CODECS=\"hvc1.1.6.L93.B0,mp4a.40.2\",RESOLUTION=960x540,"
    "FRAME-RATE=25.000,AUDIO=\"aud\"\n"
    "video-540p.m3u8\n";


static const char  test_master_ts[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:3\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=5292544,AVERAGE-BANDWIDTH=4779632,"
    "CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,"
    "FRAME-RATE=29.970\n"
    "ts-1080p.m3u8\n"
    "#EXT-X-STREAM-INF:BANDWIDTH=3215344,AVERAGE-BANDWIDTH=3009976,"
    "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,"
    "FRAME-RATE=29.970\n"
    "ts-720p.m3u8\n";


static const char  test_media_1080p[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:7\n"
    "#EXT-X-TARGETDURATION:4\n"
    "#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-MAP:URI=\"video-1080p-init.mp4\"\n"
    "#EXTINF:4.004,\n"
    "video-1080p-1.m4s\n"
    "#EXTINF:4.004,\n"
    "video-1080p-2.m4s\n"
    "#EXTINF:4.004,\n"
    "video-1080p-3.m4s\n"
    "#EXTINF:1.001,\n"
    "video-1080p-4.m4s\n"
    "#EXT-X-ENDLIST\n";


static const char  test_media_540p[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:7\n"
    "#EXT-X-TARGETDURATION:4\n"
    "#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-MAP:URI=\"video-540p-init.mp4\"\n"
    "#EXTINF:4.000,\n"
    "video-540p-1.m4s\n"
    "#EXTINF:4.000,\n"
    "video-540p-2.m4s\n"
    "#EXTINF:4.000,\n"
    "video-540p-3.m4s\n"
    "#EXTINF:1.200,\n"
    "video-540p-4.m4s\n"
    "#EXT-X-ENDLIST\n";


static const char  test_media_audio[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:7\n"
    "#EXT-X-TARGETDURATION:4\n"
    "#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXT-X-MAP:URI=\"audio-1080p-init.mp4\"\n"
    "#EXTINF:4.004,\n"
    "audio-1080p-1.m4s\n"
    "#EXTINF:4.004,\n"
    "audio-1080p-2.m4s\n"
    "#EXTINF:4.004,\n"
    "audio-1080p-3.m4s\n"
    "#EXTINF:1.001,\n"
    "audio-1080p-4.m4s\n"
    "#EXT-X-ENDLIST\n";


static const char  test_media_ts[] =
    "#EXTM3U\n"
    "#EXT-X-VERSION:3\n"
    "#EXT-X-TARGETDURATION:4\n"
    "#EXT-X-MEDIA-SEQUENCE:0\n"
    "#EXT-X-PLAYLIST-TYPE:VOD\n"
    "#EXT-X-INDEPENDENT-SEGMENTS\n"
    "#EXTINF:4.004,\n"
    "ts-720p-1.ts\n"
    "#EXTINF:4.004,\n"
    "ts-720p-2.ts\n"
    "#EXTINF:4.004,\n"
    "ts-720p-3.ts\n"
    "#EXTINF:1.001,\n"
    "ts-720p-4.ts\n"
    "#EXT-X-ENDLIST\n";


#define TEST_TEMPLATE(type)                                                  \
    "        <SegmentTemplate timescale=\"" type "\" "                       \
    "initialization=\"$RepresentationID$-init.mp4\" "                        \
    "media=\"$RepresentationID$-$Number$.m4s\" startNumber=\"1\">\n"         \
    "          <SegmentTimeline>\n"

#define TEST_TEMPLATE_END                                                    \
    "          </SegmentTimeline>\n"                                         \
    "        </SegmentTemplate>\n"                                           \
    "      </Representation>\n"

static const char  test_mpd[] =
    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
    "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "
    "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" type=\"static\" "
    "mediaPresentationDuration=\"PT13.200S\" minBufferTime=\"PT4.004S\">\n"
    "  <Period id=\"0\" start=\"PT0S\">\n"
    "    <AdaptationSet id=\"0\" contentType=\"video\" mimeType=\"video/mp4\""
    " segmentAlignment=\"true\" startWithSAP=\"1\" maxWidth=\"1920\""
    " maxHeight=\"1080\" par=\"16:9\" maxFrameRate=\"30000/1001\">\n"
    "      <Representation id=\"video-1080p\" bandwidth=\"5005040\""
    " codecs=\"avc1.640028\" width=\"1920\" height=\"1080\""
    " frameRate=\"30000/1001\" sar=\"1:1\">\n"
    TEST_TEMPLATE("30000")
    "            <S t=\"0\" d=\"120120\" r=\"2\"/>\n"
    "            <S d=\"30030\"/>\n"
    TEST_TEMPLATE_END
    "      <Representation id=\"video-720p\" bandwidth=\"3005040\""
    " codecs=\"avc1.64001f\" width=\"1280\" height=\"720\""
    " frameRate=\"30000/1001\" sar=\"1:1\">\n"
    TEST_TEMPLATE("30000")
    "            <S t=\"0\" d=\"120120\" r=\"2\"/>\n"
    "            <S d=\"30030\"/>\n"
    TEST_TEMPLATE_END
    "      <Representation id=\"video-540p\" bandwidth=\"1504400\""
    " codecs=\"hvc1.1.6.L93.B0\" width=\"960\" height=\"540\""
    " frameRate=\"25\" sar=\"1:1\">\n"
    TEST_TEMPLATE("12800")
    "            <S t=\"0\" d=\"51200\" r=\"2\"/>\n"
    "            <S d=\"15360\"/>\n"
    TEST_TEMPLATE_END
    "    </AdaptationSet>\n"
    "    <AdaptationSet id=\"1\" contentType=\"audio\" mimeType=\"audio/mp4\""
    " lang=\"en\" segmentAlignment=\"true\" startWithSAP=\"1\">\n"
    "      <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:23003:3:"
    "audio_channel_configuration:2011\" value=\"2\"/>\n"
    "      <Representation id=\"audio-1080p\" bandwidth=\"137216\""
    " codecs=\"mp4a.40.2\" audioSamplingRate=\"48000\">\n"
    TEST_TEMPLATE("48000")
    "            <S t=\"0\" d=\"192192\" r=\"2\"/>\n"
    "            <S d=\"48048\"/>\n"
    TEST_TEMPLATE_END
    "    </AdaptationSet>\n"
    "  </Period>\n"
    "</MPD>\n";


/* stands in for vod_ts.c when a test binary is built without it; the real
 * one wins when linked */

int
vod_ts_supported(const vod_track_info_t *track)
{
    return track->codec == VOD_CODEC_AVC || track->codec == VOD_CODEC_AAC;
}


static void
test_manifest_video(vod_track_info_t *t, uint32_t codec,
    const char *codec_str, uint32_t w, uint32_t h, uint32_t fps_num,
    uint32_t fps_den, uint32_t timescale, uint64_t *seg_time, uint32_t n,
    uint64_t avg, uint64_t peak)
{
    memset(t, 0, sizeof(vod_track_info_t));

    t->type = VOD_TRACK_VIDEO;
    t->codec = codec;
    t->track_id = 1;
    t->timescale = timescale;
    t->duration = seg_time[n];
    t->width = w;
    t->height = h;
    t->fps_num = fps_num;
    t->fps_den = fps_den;
    t->sample_count = (uint32_t) ((uint64_t) seg_time[n] * fps_num
                                  / fps_den / timescale);
    t->nal_length_size = 4;
    t->avg_bitrate = avg;
    t->peak_bitrate = peak;
    t->total_bytes = avg / 8 * seg_time[n] / timescale;
    strcpy(t->codec_str, codec_str);
    strcpy(t->lang, "und");
    t->dec_config = test_avcc;
    t->dec_config_len = sizeof(test_avcc);
    t->segment_count = n;
    t->seg_time = seg_time;
}


static void
test_manifest_audio(vod_track_info_t *t, const char *lang,
    uint64_t *seg_time, uint32_t n, uint64_t avg, uint64_t peak)
{
    memset(t, 0, sizeof(vod_track_info_t));

    t->type = VOD_TRACK_AUDIO;
    t->codec = VOD_CODEC_AAC;
    t->track_id = 2;
    t->timescale = 48000;
    t->duration = seg_time[n];
    t->sample_count = (uint32_t) (seg_time[n] / 1024);
    t->sample_rate = 48000;
    t->channels = 2;
    t->aac_object_type = 2;
    t->avg_bitrate = avg;
    t->peak_bitrate = peak;
    t->total_bytes = avg / 8 * seg_time[n] / 48000;
    strcpy(t->codec_str, "mp4a.40.2");
    strcpy(t->lang, lang);
    t->dec_config = test_asc;
    t->dec_config_len = sizeof(test_asc);
    t->segment_count = n;
    t->seg_time = seg_time;
}


/* 1080p and 720p: H.264 29.97 fps with their own audio; 540p: HEVC 25 fps
 * without audio */

static void
test_manifest_build(test_manifest_title_t *t)
{
    memset(t, 0, sizeof(test_manifest_title_t));

    test_manifest_video(&t->v1080, VOD_CODEC_AVC, "avc1.640028", 1920, 1080,
                        30000, 1001, 30000, test_t30, 4, 4500000, 5000000);
    test_manifest_audio(&t->a1080, "eng", test_t48, 4, 128000, 130000);
    test_manifest_video(&t->v720, VOD_CODEC_AVC, "avc1.64001f", 1280, 720,
                        30000, 1001, 30000, test_t30, 4, 2800000, 3000000);
    test_manifest_audio(&t->a720, "eng", test_t48, 4, 96000, 97000);
    test_manifest_video(&t->v540, VOD_CODEC_HEVC, "hvc1.1.6.L93.B0", 960,
                        540, 25, 1, 12800, test_t25, 4, 1200000, 1500000);

    t->r[0].id.data = (u_char *) "1080p";
    t->r[0].id.len = 5;
    t->r[0].video = &t->v1080;
    t->r[0].audio = &t->a1080;

    t->r[1].id.data = (u_char *) "720p";
    t->r[1].id.len = 4;
    t->r[1].video = &t->v720;
    t->r[1].audio = &t->a720;

    t->r[2].id.data = (u_char *) "540p";
    t->r[2].id.len = 4;
    t->r[2].video = &t->v540;

    t->title.renditions = t->r;
    t->title.count = 3;
    t->title.segment_ms = 4000;

    vod_title_pick_audio(&t->title);
}


static void
test_manifest_expect(int rc, u_char *out, size_t len, const char *expected)
{
    assert_int_equal(rc, VOD_OK);

    if (len != strlen(expected) || memcmp(out, expected, len) != 0) {
        fail_msg("got:\n%.*s\nexpected:\n%s", (int) len, out, expected);
    }
}


/* out ends with expected */

static void
test_manifest_expect_tail(int rc, u_char *out, size_t len,
    const char *expected)
{
    size_t  n;

    assert_int_equal(rc, VOD_OK);

    n = strlen(expected);

    if (len < n || memcmp(out + len - n, expected, n) != 0) {
        fail_msg("got:\n%.*s\nexpected the end:\n%s", (int) len, out,
                 expected);
    }
}


static void
test_hls_master(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    test_manifest_expect(rc, out, len, test_master);
}


static void
test_hls_master_ts(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    /* 540p is HEVC: no TS variant */
    rc = vod_hls_master(env, &t.title, 1, &out, &len);
    test_manifest_expect(rc, out, len, test_master_ts);

    /* no TS-capable rendition at all */
    t.title.renditions = &t.r[2];
    t.title.count = 1;
    vod_title_pick_audio(&t.title);

    assert_int_equal(vod_hls_master(env, &t.title, 1, &out, &len),
                     VOD_NOT_FOUND);
}


static void
test_hls_master_edge(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;

    /* audio only: one variant that is the audio playlist */

    test_manifest_build(&t);
    t.r[0].video = NULL;
    t.title.count = 1;
    vod_title_pick_audio(&t.title);

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    test_manifest_expect(rc, out, len,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=137216,AVERAGE-BANDWIDTH=135216,"
        "CODECS=\"mp4a.40.2\"\n"
        "audio-1080p.m3u8\n");

    rc = vod_hls_master(env, &t.title, 1, &out, &len);
    test_manifest_expect(rc, out, len,
        "#EXTM3U\n"
        "#EXT-X-VERSION:3\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=148584,AVERAGE-BANDWIDTH=146536,"
        "CODECS=\"mp4a.40.2\"\n"
        "ts-1080p.m3u8\n");

    /* video without any audio; an undetermined language is not named */

    test_manifest_build(&t);
    t.title.renditions = &t.r[2];
    t.title.count = 1;
    vod_title_pick_audio(&t.title);

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    test_manifest_expect(rc, out, len,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1504400,AVERAGE-BANDWIDTH=1204400,"
        "CODECS=\"hvc1.1.6.L93.B0\",RESOLUTION=960x540,FRAME-RATE=25.000\n"
        "video-540p.m3u8\n");

    test_manifest_build(&t);
    strcpy(t.a1080.lang, "und");
    t.a1080.channels = 6;
    t.title.count = 1;
    vod_title_pick_audio(&t.title);

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    test_manifest_expect(rc, out, len,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"audio 5.1\","
        "DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"6\","
        "URI=\"audio-1080p.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=5142256,AVERAGE-BANDWIDTH=4640256,"
        "CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,"
        "FRAME-RATE=29.970,AUDIO=\"aud\"\n"
        "video-1080p.m3u8\n");

    /* nothing to play */

    t.title.count = 0;
    vod_title_pick_audio(&t.title);
    assert_int_equal(vod_hls_master(env, &t.title, 0, &out, &len),
                     VOD_NOT_FOUND);
    assert_int_equal(vod_dash_mpd(env, &t.title, &out, &len),
                     VOD_NOT_FOUND);

    /* a codec string that cannot go between quotes */

    test_manifest_build(&t);
    strcpy(t.v720.codec_str, "avc1\",X=\"");
    assert_int_equal(vod_hls_master(env, &t.title, 0, &out, &len),
                     VOD_BAD_DATA);
}


static void
test_hls_media(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    rc = vod_hls_media(env, &t.title, &t.r[0], VOD_STREAM_VIDEO, &out, &len);
    test_manifest_expect(rc, out, len, test_media_1080p);

    rc = vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_VIDEO, &out, &len);
    test_manifest_expect(rc, out, len, test_media_540p);

    rc = vod_hls_media(env, &t.title, &t.r[0], VOD_STREAM_AUDIO, &out, &len);
    test_manifest_expect(rc, out, len, test_media_audio);
}


static void
test_hls_media_ts_audio(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    /* TS follows the video times; version 3, no EXT-X-MAP */
    rc = vod_hls_media(env, &t.title, &t.r[1], VOD_STREAM_TS, &out, &len);
    test_manifest_expect(rc, out, len, test_media_ts);
}


static void
test_hls_media_errors(void **state)
{
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    /* 540p has no audio, and HEVC cannot go into TS */
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_AUDIO,
                                   &out, &len), VOD_NOT_FOUND);
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_TS,
                                   &out, &len), VOD_NOT_FOUND);
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[0], 99, &out, &len),
                     VOD_NOT_FOUND);

    /* a 720p whose audio is not TS-capable has no TS playlist */
    t.a720.codec = 99;
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[1], VOD_STREAM_TS,
                                   &out, &len), VOD_NOT_FOUND);

    t.v1080.timescale = 0;
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[0], VOD_STREAM_VIDEO,
                                   &out, &len), VOD_BAD_DATA);
}


static void
test_hls_target_duration(void **state)
{
    size_t                  len;
    u_char                 *out, *p;
    vod_env_t              *env;
    test_manifest_title_t   t;

    static uint64_t  t1[] = { 0, 4499, 8000 };
    static uint64_t  t2[] = { 0, 4500, 8000 };
    static uint64_t  t3[] = { 0, 300 };
    static uint64_t  t4[] = { 0, 6006, 12012, 18018, 24024, 30030, 36036 };

    env = *state;
    test_manifest_build(&t);

    /* 4.499 rounds to 4, 4.500 to 5; a tiny title still says 1 */

    test_manifest_video(&t.v540, VOD_CODEC_AVC, "avc1.64001f", 640, 360, 25,
                        1, 1000, t1, 2, 1, 1);
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_VIDEO,
                                   &out, &len), VOD_OK);
    assert_non_null(test_find(out, len, "#EXT-X-TARGETDURATION:4\n"));
    assert_non_null(test_find(out, len, "#EXTINF:4.499,\n"));
    assert_non_null(test_find(out, len, "#EXTINF:3.501,\n"));

    test_manifest_video(&t.v540, VOD_CODEC_AVC, "avc1.64001f", 640, 360, 25,
                        1, 1000, t2, 2, 1, 1);
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_VIDEO,
                                   &out, &len), VOD_OK);
    assert_non_null(test_find(out, len, "#EXT-X-TARGETDURATION:5\n"));

    test_manifest_video(&t.v540, VOD_CODEC_AVC, "avc1.64001f", 640, 360, 25,
                        1, 1000, t3, 1, 1, 1);
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_VIDEO,
                                   &out, &len), VOD_OK);
    assert_non_null(test_find(out, len, "#EXT-X-TARGETDURATION:1\n"));
    assert_non_null(test_find(out, len, "#EXTINF:0.300,\n"));

    /* 6006 at 1000 Hz: 6.006 s, shown exactly; and segment numbers past 9 */

    test_manifest_video(&t.v540, VOD_CODEC_AVC, "avc1.64001f", 640, 360, 25,
                        1, 1000, t4, 6, 1, 1);
    assert_int_equal(vod_hls_media(env, &t.title, &t.r[2], VOD_STREAM_VIDEO,
                                   &out, &len), VOD_OK);
    assert_non_null(test_find(out, len, "#EXT-X-TARGETDURATION:6\n"));

    for (p = out; (p = memmem(p, out + len - p, "#EXTINF:", 8)) != NULL;
         p++)
    {
        assert_memory_equal(p, "#EXTINF:6.006,\n", 15);
    }

    assert_non_null(test_find(out, len, "video-540p-6.m4s\n#EXT-X-ENDLIST\n"));
}


static void
test_dash_mpd(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    rc = vod_dash_mpd(env, &t.title, &out, &len);
    test_manifest_expect(rc, out, len, test_mpd);

    /* renditions of different aspect ratios: no @par */

    t.v540.width = 720;
    t.v540.height = 576;

    assert_int_equal(vod_dash_mpd(env, &t.title, &out, &len), VOD_OK);
    assert_null(test_find(out, len, " par="));
    assert_non_null(test_find(out, len, " maxHeight=\"1080\" "
                                        "maxFrameRate=\"30000/1001\">"));
}


static void
test_dash_timeline(void **state)
{
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    static uint64_t  tl[] = { 0, 100, 200, 300, 350, 400, 450, 600, 750,
                              900, 950 };

    env = *state;
    test_manifest_build(&t);

    /* runs of equal durations become one S with r = repeats */

    test_manifest_video(&t.v540, VOD_CODEC_AVC, "avc1.64001f", 640, 360, 25,
                        1, 100, tl, 10, 1, 1);
    t.title.renditions = &t.r[2];
    t.title.count = 1;
    vod_title_pick_audio(&t.title);

    assert_int_equal(vod_dash_mpd(env, &t.title, &out, &len), VOD_OK);
    assert_non_null(test_find(out, len,
        "          <SegmentTimeline>\n"
        "            <S t=\"0\" d=\"100\" r=\"2\"/>\n"
        "            <S d=\"50\" r=\"2\"/>\n"
        "            <S d=\"150\" r=\"2\"/>\n"
        "            <S d=\"50\"/>\n"
        "          </SegmentTimeline>\n"));
    assert_non_null(test_find(out, len,
                              "mediaPresentationDuration=\"PT9.500S\""));
    assert_non_null(test_find(out, len, "minBufferTime=\"PT1.500S\""));
    assert_null(test_find(out, len, "contentType=\"audio\""));

    /* every duration different: no r at all */

    tl[2] = 201;
    assert_int_equal(vod_dash_mpd(env, &t.title, &out, &len), VOD_OK);
    assert_non_null(test_find(out, len,
        "            <S t=\"0\" d=\"100\"/>\n"
        "            <S d=\"101\"/>\n"
        "            <S d=\"99\"/>\n"));
    tl[2] = 200;
}


static void
test_dash_xml(void **state)
{
    int                     rc;
    char                    path[64], cmd[128];
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    /* text that needs escaping is escaped */

    strcpy(t.v540.codec_str, "a&b<c>\"'");
    strcpy(t.a1080.lang, "e<n");
    vod_title_pick_audio(&t.title);

    rc = vod_dash_mpd(env, &t.title, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len,
                           "codecs=\"a&amp;b&lt;c&gt;&quot;&apos;\""));

    /* a language that is no ISO 639 code is "und", which goes out as no
     * lang at all: nothing of it reaches the XML */
    assert_null(test_find(out, len, "e<n"));
    assert_non_null(test_find(out, len,
        "<AdaptationSet id=\"1\" contentType=\"audio\" "
        "mimeType=\"audio/mp4\" segmentAlignment=\"true\""));

    if (system("command -v xmllint > /dev/null 2>&1") != 0) {
        print_message("xmllint not installed: well-formedness not checked\n");
        return;
    }

    snprintf(path, sizeof(path), "/tmp/test_manifest_%d.mpd", (int) getpid());
    assert_int_equal(av_oracle_write_file(path, out, len, 0), 0);
    snprintf(cmd, sizeof(cmd), "xmllint --noout %s", path);
    assert_int_equal(system(cmd), 0);

    test_manifest_build(&t);
    assert_int_equal(vod_dash_mpd(env, &t.title, &out, &len), VOD_OK);
    assert_int_equal(av_oracle_write_file(path, out, len, 0), 0);
    assert_int_equal(system(cmd), 0);

    unlink(path);
}


/* the benchmark reuses one buffer so that it measures the writer */

/* several audio tracks in a file: 1080p.mp4 carries English, German and
 * a Japanese HE-AAC track, 720p.mp4 a copy of the English one */

static void
test_manifest_audio_renditions(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    vod_track_info_t        de, ja, *audios[3];
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    test_manifest_audio(&de, "ger", test_t48, 4, 128000, 150000);
    de.track_id = 3;
    test_manifest_audio(&ja, "jpn", test_t48, 4, 48000, 50000);
    ja.track_id = 4;
    ja.aac_object_type = 5;
    strcpy(ja.codec_str, "mp4a.40.5");

    audios[0] = &t.a1080;
    audios[1] = &de;
    audios[2] = &ja;
    t.r[0].audios = audios;
    t.r[0].audio_count = 3;

    vod_title_pick_audio(&t.title);
    assert_int_equal(t.title.audio_count, 3);

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    test_manifest_expect(rc, out, len,
        "#EXTM3U\n"
        "#EXT-X-VERSION:7\n"
        "#EXT-X-INDEPENDENT-SEGMENTS\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"English\","
        "LANGUAGE=\"en\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\","
        "URI=\"audio-1080p.m3u8\"\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"German\","
        "LANGUAGE=\"de\",DEFAULT=NO,AUTOSELECT=YES,CHANNELS=\"2\","
        "URI=\"audio3-1080p.m3u8\"\n"
        "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud2\",NAME=\"Japanese\","
        "LANGUAGE=\"ja\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"2\","
        "URI=\"audio4-1080p.m3u8\"\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=5162256,AVERAGE-BANDWIDTH=4640256,"
        "CODECS=\"avc1.640028,mp4a.40.2\",RESOLUTION=1920x1080,"
        "FRAME-RATE=29.970,AUDIO=\"aud\"\n"
        "video-1080p.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=3162256,AVERAGE-BANDWIDTH=2940256,"
        "CODECS=\"avc1.64001f,mp4a.40.2\",RESOLUTION=1280x720,"
        "FRAME-RATE=29.970,AUDIO=\"aud\"\n"
        "video-720p.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1661616,AVERAGE-BANDWIDTH=1339616,"
        "CODECS=\"hvc1.1.6.L93.B0,mp4a.40.2\",RESOLUTION=960x540,"
        "FRAME-RATE=25.000,AUDIO=\"aud\"\n"
        "video-540p.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=5062256,AVERAGE-BANDWIDTH=4560256,"
        "CODECS=\"avc1.640028,mp4a.40.5\",RESOLUTION=1920x1080,"
        "FRAME-RATE=29.970,AUDIO=\"aud2\"\n"
        "video-1080p.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=3062256,AVERAGE-BANDWIDTH=2860256,"
        "CODECS=\"avc1.64001f,mp4a.40.5\",RESOLUTION=1280x720,"
        "FRAME-RATE=29.970,AUDIO=\"aud2\"\n"
        "video-720p.m3u8\n"
        "#EXT-X-STREAM-INF:BANDWIDTH=1561616,AVERAGE-BANDWIDTH=1259616,"
        "CODECS=\"hvc1.1.6.L93.B0,mp4a.40.5\",RESOLUTION=960x540,"
        "FRAME-RATE=25.000,AUDIO=\"aud2\"\n"
        "video-540p.m3u8\n");

    /* a media playlist of a further track names its segments by it */

    t.r[0].audio = &de;
    t.r[0].audio_id = 3;
    rc = vod_hls_media(env, &t.title, &t.r[0], VOD_STREAM_AUDIO, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len,
                              "#EXT-X-MAP:URI=\"audio3-1080p-init.mp4\"\n"));
    assert_non_null(test_find(out, len, "\naudio3-1080p-4.m4s\n"));
    assert_null(test_find(out, len, "audio-"));
    t.r[0].audio = &t.a1080;
    t.r[0].audio_id = 0;

    /* DASH: a set per language and codec, Role main on the default's */

    rc = vod_dash_mpd(env, &t.title, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len,
        "    <AdaptationSet id=\"1\" contentType=\"audio\" "
        "mimeType=\"audio/mp4\" lang=\"en\" segmentAlignment=\"true\" "
        "startWithSAP=\"1\">\n"
        "      <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"
        "23003:3:audio_channel_configuration:2011\" value=\"2\"/>\n"
        "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "
        "value=\"main\"/>\n"
        "      <Representation id=\"audio-1080p\" "));
    assert_non_null(test_find(out, len,
        "    <AdaptationSet id=\"2\" contentType=\"audio\" "
        "mimeType=\"audio/mp4\" lang=\"de\" segmentAlignment=\"true\" "
        "startWithSAP=\"1\">\n"
        "      <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"
        "23003:3:audio_channel_configuration:2011\" value=\"2\"/>\n"
        "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "
        "value=\"alternate\"/>\n"
        "      <Representation id=\"audio3-1080p\" "));
    assert_non_null(test_find(out, len,
        "lang=\"ja\" segmentAlignment=\"true\" startWithSAP=\"1\">\n"));
    assert_non_null(test_find(out, len, "<Representation id=\"audio4-1080p\" "
                                        "bandwidth="));
    assert_null(test_find(out, len, "audio-720p"));
    assert_null(test_find(out, len, "<AdaptationSet id=\"4\""));

    /* an English 5.1 track joins the English set, the channels then on
     * each Representation */

    de.channels = 6;
    strcpy(de.lang, "eng");
    vod_title_pick_audio(&t.title);
    assert_string_equal(t.title.audio[1].name, "English 5.1");

    rc = vod_dash_mpd(env, &t.title, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len,
        "value=\"main\"/>\n"
        "      <Representation id=\"audio-1080p\" bandwidth=\"137216\" "
        "codecs=\"mp4a.40.2\" audioSamplingRate=\"48000\">\n"
        "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"
        "23003:3:audio_channel_configuration:2011\" value=\"2\"/>\n"));
    assert_non_null(test_find(out, len,
        "      <Representation id=\"audio3-1080p\" bandwidth=\"157216\" "
        "codecs=\"mp4a.40.2\" audioSamplingRate=\"48000\">\n"
        "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"
        "23003:3:audio_channel_configuration:2011\" value=\"6\"/>\n"));
    assert_null(test_find(out, len, "<AdaptationSet id=\"3\""));

    /* audio only with several renditions: one variant per group, the
     * group's default */

    t.r[0].video = NULL;
    t.title.count = 1;
    vod_title_pick_audio(&t.title);

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len,
        "CODECS=\"mp4a.40.2\",AUDIO=\"aud\"\naudio-1080p.m3u8\n"));
    assert_non_null(test_find(out, len,
        "CODECS=\"mp4a.40.5\",AUDIO=\"aud2\"\naudio4-1080p.m3u8\n"));
}


static void *
test_manifest_bench_alloc(vod_env_t *env, size_t size)
{
    test_manifest_bench_ctx_t  *ctx;

    ctx = env->data;

    if (size > ctx->size) {
        free(ctx->buf);
        ctx->buf = malloc(size);
        ctx->size = ctx->buf != NULL ? size : 0;
    }

    return ctx->buf;
}


static void
test_manifest_bench(void **state)
{
    size_t                      len;
    u_char                     *out;
    uint32_t                    i, n;
    uint64_t                    seg[31];
    vod_env_t                   env;
    struct timespec             t0, t1;
    test_manifest_title_t       t;
    test_manifest_bench_ctx_t   ctx;

    test_manifest_build(&t);

    for (i = 0; i <= 30; i++) {
        seg[i] = (uint64_t) i * 120120;
    }

    seg[30] -= 50050;

    t.v1080.seg_time = seg;
    t.v1080.segment_count = 30;

    memset(&ctx, 0, sizeof(ctx));
    env = *(vod_env_t *) *state;
    env.alloc = test_manifest_bench_alloc;
    env.data = &ctx;

    n = 200000;

    assert_int_equal(vod_hls_media(&env, &t.title, &t.r[0], VOD_STREAM_VIDEO,
                                   &out, &len), VOD_OK);

    clock_gettime(CLOCK_MONOTONIC, &t0);

    for (i = 0; i < n; i++) {
        (void) vod_hls_media(&env, &t.title, &t.r[0], VOD_STREAM_VIDEO,
                             &out, &len);
    }

    clock_gettime(CLOCK_MONOTONIC, &t1);

    print_message("bench: 30-segment media playlist, %zu bytes: %.0f ns "
                  "each (this build's flags; sanitizers inflate it)\n", len,
                  ((t1.tv_sec - t0.tv_sec) * 1e9
                   + (t1.tv_nsec - t0.tv_nsec)) / n);

    free(ctx.buf);
}


/* the number writer of every manifest, against snprintf */

static void
test_text_uint(void **state)
{
    char       buf[32], ref[32];
    u_char    *e;
    uint64_t   v, i;

    static const uint64_t  edges[] = {
        0, 9, 10, 99, 100, 101, 999, 1000, 65535, 4294967295ULL,
        4294967296ULL, 9999999999ULL, 18446744073709551615ULL
    };

    for (i = 0; i < sizeof(edges) / sizeof(edges[0]); i++) {
        e = vod_text_uint((u_char *) buf, edges[i]);
        *e = '\0';
        snprintf(ref, sizeof(ref), "%llu", (unsigned long long) edges[i]);
        assert_string_equal(buf, ref);
    }

    for (v = 1; v < 18446744073709551615ULL / 3; v = v * 3 + 1) {
        e = vod_text_uint((u_char *) buf, v);
        *e = '\0';
        snprintf(ref, sizeof(ref), "%llu", (unsigned long long) v);
        assert_string_equal(buf, ref);
    }
}



/* tracks.json of the synthetic title: every field, a hidden rendition
 * left out, a name with characters JSON must escape, a second audio track
 * named by its track_ID */

static void
test_tracks_json(void **state)
{
    int                     rc;
    size_t                  len;
    u_char                 *out;
    vod_env_t              *env;
    vod_subs_t              subs;
    vod_track_info_t        de, *audios[2];
    vod_subtitle_spec_t     specs[2];
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    test_manifest_audio(&de, "ger", test_t48, 4, 128000, 150000);
    de.track_id = 3;
    de.channels = 6;
    audios[0] = &t.a1080;
    audios[1] = &de;
    t.r[0].audios = audios;
    t.r[0].audio_count = 2;

    vod_title_pick_audio(&t.title);
    assert_int_equal(t.title.audio_count, 2);
    strcpy(t.title.audio[1].name, "Deutsch \"5.1\"\\\x01");

    assert_int_equal(vod_title_limit(&t.title, 720, 0), 2);

    rc = vod_tracks_json(env, &t.title, NULL, &out, &len);
    test_manifest_expect(rc, out, len,
        "{\"video\":["
        "{\"id\":\"720p\",\"format\":\"h264\",\"codecs\":\"avc1.64001f\","
        "\"width\":1280,\"height\":720,\"frame_rate\":29.970,"
        "\"bitrate\":2800000,\"peak_bitrate\":3000000,"
        "\"video_range\":\"SDR\"},"
        "{\"id\":\"540p\",\"format\":\"hevc\","
        "\"codecs\":\"hvc1.1.6.L93.B0\",\"width\":960,\"height\":540,"
        "\"frame_rate\":25.000,\"bitrate\":1200000,"
        "\"peak_bitrate\":1500000,\"video_range\":\"SDR\"}],"
        "\"audio\":["
        "{\"id\":\"audio-1080p\",\"format\":\"aac\","
        "\"codecs\":\"mp4a.40.2\",\"language\":\"en\",\"name\":\"English\","
        "\"channels\":2,\"bitrate\":128000,\"default\":true},"
        "{\"id\":\"audio3-1080p\",\"format\":\"aac\","
        "\"codecs\":\"mp4a.40.2\",\"language\":\"de\","
        "\"name\":\"Deutsch \\\"5.1\\\"\\\\\\u0001\","
        "\"channels\":6,\"bitrate\":128000,\"default\":false}],"
        "\"subtitles\":[]}\n");

    /* subtitles: the manifests' names and flags, the default title.json's
     * (none marked: every one false) */
    t.title.audio_count = 1;
    memset(&subs, 0, sizeof(subs));
    memset(specs, 0, sizeof(specs));
    specs[0].id = (vod_str_t) vod_string("movie.en.sdh");
    specs[0].lang = (vod_str_t) vod_string("en");
    specs[0].sdh = 1;
    specs[1].id = (vod_str_t) vod_string("pt");
    specs[1].lang = (vod_str_t) vod_string("por-br");
    specs[1].name = (vod_str_t) vod_string("Portugu\xc3\xaas \"BR\"");
    specs[1].forced = 1;
    assert_int_equal(vod_subs_add(&subs, &specs[0]), 1);
    assert_int_equal(vod_subs_add(&subs, &specs[1]), 1);

    rc = vod_tracks_json(env, &t.title, &subs, &out, &len);
    test_manifest_expect_tail(rc, out, len,
        "\"subtitles\":["
        "{\"id\":\"sub-movie.en.sdh\",\"format\":\"webvtt\","
        "\"language\":\"en\",\"name\":\"English SDH\",\"forced\":false,"
        "\"sdh\":true,\"default\":false},"
        "{\"id\":\"sub-pt\",\"format\":\"webvtt\",\"language\":\"pt-BR\","
        "\"name\":\"Portugu\xc3\xaas \\\"BR\\\"\",\"forced\":true,"
        "\"sdh\":false,\"default\":false}]}\n");

    specs[1].is_default = 1;
    rc = vod_tracks_json(env, &t.title, &subs, &out, &len);
    test_manifest_expect_tail(rc, out, len,
        "\"sdh\":false,\"default\":true}]}\n");
}

/* title.json's audio overrides at their largest (a name all quotes,
 * which XML escapes six-fold, the longest tag, both characteristics DASH
 * signals) in every rendition: each writer writes them all, in memory of
 * the size it asked for, where ASan sees an overrun */

static void
test_manifest_audio_overrides(void **state)
{
    int                     rc;
    char                    c[VOD_AUDIO_CHAR_LEN + 1];
    size_t                  len, n;
    u_char                 *out;
    uint32_t                i;
    vod_env_t              *env;
    vod_audio_t            *a;
    vod_track_info_t        tr[VOD_MAX_AUDIO], *audios[VOD_MAX_AUDIO];
    test_manifest_title_t   t;

    env = *state;
    test_manifest_build(&t);

    for (i = 0; i < VOD_MAX_AUDIO; i++) {
        test_manifest_audio(&tr[i], "eng", test_t48, 4, 96000, 97000);
        tr[i].track_id = i + 2;
        tr[i].channels = i + 1;
        audios[i] = &tr[i];
    }

    t.r[0].audios = audios;
    t.r[0].audio_count = VOD_MAX_AUDIO;
    vod_title_pick_audio(&t.title);
    assert_int_equal(t.title.audio_count, VOD_MAX_AUDIO);

    n = snprintf(c, sizeof(c), "public.accessibility.describes-video,"
                 "public.accessibility.enhances-speech-intelligibility,");
    memset(c + n, 'x', VOD_AUDIO_CHAR_LEN - n);
    c[VOD_AUDIO_CHAR_LEN] = '\0';

    for (i = 0; i < VOD_MAX_AUDIO; i++) {
        a = &t.title.audio[i];
        memset(a->name, '\'', VOD_AUDIO_NAME_LEN - 1);
        a->name[VOD_AUDIO_NAME_LEN - 1] = '\0';
        a->name[0] = 'A' + i;
        a->named = 1;
        snprintf(a->lang, sizeof(a->lang), "zh-Hant-CN-%c-abcdefgh-"
                 "ijklmnop", 'a' + i % 26);
        a->characteristics.data = (u_char *) c;
        a->characteristics.len = VOD_AUDIO_CHAR_LEN;
    }

    rc = vod_hls_master(env, &t.title, 0, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len, ",CHARACTERISTICS=\"public."
                              "accessibility.describes-video,"));
    assert_non_null(test_find(out, len, "LANGUAGE=\"zh-Hant-CN-a-abcdefgh-"
                              "ijklmnop\""));

    rc = vod_dash_mpd(env, &t.title, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len, "<Label>B&apos;&apos;"));
    assert_non_null(test_find(out, len, "value=\"description\"/>\n"
                              "      <Role schemeIdUri=\"urn:mpeg:dash:"
                              "role:2011\" value=\"enhanced-audio-"
                              "intelligibility\"/>"));
    assert_non_null(test_find(out, len, "<Accessibility schemeIdUri=\""
                              "urn:tva:metadata:cs:AudioPurposeCS:2007\" "
                              "value=\"1\"/>"));

    rc = vod_tracks_json(env, &t.title, NULL, &out, &len);
    assert_int_equal(rc, VOD_OK);
    assert_non_null(test_find(out, len, "\"characteristics\":\"public."));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_hls_master),
        cmocka_unit_test(test_text_uint),
        cmocka_unit_test(test_hls_master_ts),
        cmocka_unit_test(test_hls_master_edge),
        cmocka_unit_test(test_hls_media),
        cmocka_unit_test(test_hls_media_ts_audio),
        cmocka_unit_test(test_hls_media_errors),
        cmocka_unit_test(test_hls_target_duration),
        cmocka_unit_test(test_dash_mpd),
        cmocka_unit_test(test_dash_timeline),
        cmocka_unit_test(test_dash_xml),
        cmocka_unit_test(test_manifest_audio_renditions),
        cmocka_unit_test(test_tracks_json),
        cmocka_unit_test(test_manifest_audio_overrides),
        cmocka_unit_test(test_manifest_bench),
    };

    return cmocka_run_group_tests(tests, av_oracle_setup,
                                  av_oracle_teardown);
}
