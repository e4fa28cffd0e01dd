/*
 * test_url.c: vod_url_parse() over every name of vod_url.h and the ways
 * a request name can be wrong.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "vod_url.h"
#include "vod_title.h"


typedef struct {
    const char   *name;
    int           rc;
    uint32_t      kind;
    uint32_t      stream;
    const char   *id;
    uint32_t      segment;
} test_url_case_t;


static int test_url_parse_str(const char *name, vod_url_t *url);
static void test_url_run(test_url_case_t *cases, size_t n);
static void test_url_good(void **state);
static void test_url_not_ours(void **state);
static void test_url_bad(void **state);
static void test_url_id_limits(void **state);
static void test_url_segment_limits(void **state);
static void test_url_audio_track(void **state);
static void test_url_thumb(void **state);
static void test_url_tiles(void **state);


static test_url_case_t  test_url_good_cases[] = {
    { "master.m3u8", VOD_OK, VOD_URL_MASTER, 0, NULL, 0 },
    { "master-ts.m3u8", VOD_OK, VOD_URL_MASTER_TS, 0, NULL, 0 },
    { "manifest.mpd", VOD_OK, VOD_URL_MPD, 0, NULL, 0 },
    { "tracks.json", VOD_OK, VOD_URL_TRACKS, 0, NULL, 0 },
    { "video-1080p.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_VIDEO,
      "1080p", 0 },
    { "audio-1080p.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_AUDIO,
      "1080p", 0 },
    { "ts-720p.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_TS, "720p", 0 },
    { "video-1080p-init.mp4", VOD_OK, VOD_URL_INIT, VOD_STREAM_VIDEO,
      "1080p", 0 },
    { "audio-a.b_c-init.mp4", VOD_OK, VOD_URL_INIT, VOD_STREAM_AUDIO,
      "a.b_c", 0 },
    { "video-1080p-1.m4s", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_VIDEO,
      "1080p", 0 },
    { "audio-1080p-30.m4s", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_AUDIO,
      "1080p", 29 },
    { "ts-360p-7.ts", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_TS, "360p", 6 },
    { "videots-360p.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_VIDEO_TS,
      "360p", 0 },
    { "videots-360p-2.ts", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_VIDEO_TS,
      "360p", 1 },
    { "audiots-a-b.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_AUDIO_TS,
      "a-b", 0 },
    { "audiots-a-b-3.ts", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_AUDIO_TS,
      "a-b", 2 },
    /* ids may contain '-': the last one separates the number */
    { "video-hd-high-3.m4s", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_VIDEO,
      "hd-high", 2 },
    { "video-hd-high.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_VIDEO,
      "hd-high", 0 },
    { "video-hd-high-init.mp4", VOD_OK, VOD_URL_INIT, VOD_STREAM_VIDEO,
      "hd-high", 0 },
    { "video-x-init-init.mp4", VOD_OK, VOD_URL_INIT, VOD_STREAM_VIDEO,
      "x-init", 0 },
    { "video-v1.0-12.m4s", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_VIDEO,
      "v1.0", 11 },
    { "video-a--3.m4s", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_VIDEO,
      "a-", 2 },
    { "video-a-2147483648.m4s", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_VIDEO,
      "a", 2147483647 },
    /* subtitles: ids are sidecar names, with '.' and '-' (es-419) */
    { "sub-movie.en.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_SUB,
      "movie.en", 0 },
    { "subts-movie.en.m3u8", VOD_OK, VOD_URL_PLAYLIST, VOD_STREAM_SUB_TS,
      "movie.en", 0 },
    { "sub-movie.en.sdh-3.vtt", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_SUB,
      "movie.en.sdh", 2 },
    { "subts-movie.es-419-1.vtt", VOD_OK, VOD_URL_SEGMENT,
      VOD_STREAM_SUB_TS, "movie.es-419", 0 },
    { "sub-movie.es-419-full.vtt", VOD_OK, VOD_URL_FULL, VOD_STREAM_SUB,
      "movie.es-419", 0 },
    { "sub-x-full-full.vtt", VOD_OK, VOD_URL_FULL, VOD_STREAM_SUB,
      "x-full", 0 },
    { "sub-x-full-2.vtt", VOD_OK, VOD_URL_SEGMENT, VOD_STREAM_SUB,
      "x-full", 1 },
};


static test_url_case_t  test_url_not_ours_cases[] = {
    { "", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "foo.txt", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "1080p.mp4", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "title.json", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "Master.m3u8", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "master.m3u8x", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "manifest.mpd ", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "tracks.jsonx", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "Tracks.json", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "video", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "video-a.mp4", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "video-a-1.mp4", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "subs-a.m3u8", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "video-init.mp4", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "video-a-1.vtt", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "sub", VOD_NOT_FOUND, 0, 0, NULL, 0 },
    { "subtitles.vtt", VOD_NOT_FOUND, 0, 0, NULL, 0 },
};


static test_url_case_t  test_url_bad_cases[] = {
    { "video--3.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a-0.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a-01.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "ts-a-init.mp4", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a-3.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audio-a-3.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "ts-a-3.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "videots-a-init.mp4", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "videots-a-3.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audiots-a-init.mp4", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audiots-a-3.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audiots-a-0.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audiots-a.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a-x.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audio-a-99999999999.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audio-a-2147483649.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "audio-a-4294967297.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a-.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a-+3.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-.m3u8", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-.hidden.m3u8", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a b.m3u8", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-a%2f..m3u8", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video-../x.m3u8", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "video--init.mp4", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "ts-a.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "ts--1.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-a.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-a-0.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-a-01.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub--1.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub--full.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-a-1.m4s", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-a-init.mp4", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-a-1.ts", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "subts-a-full.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-../a-1.vtt", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
    { "sub-.a.m3u8", VOD_BAD_REQUEST, 0, 0, NULL, 0 },
};


static int
test_url_parse_str(const char *name, vod_url_t *url)
{
    return vod_url_parse((const u_char *) name, strlen(name), url);
}


static void
test_url_run(test_url_case_t *cases, size_t n)
{
    int         rc;
    size_t      i;
    vod_url_t   url;

    for (i = 0; i < n; i++) {
        rc = test_url_parse_str(cases[i].name, &url);

        if (rc != cases[i].rc) {
            fail_msg("\"%s\": rc %d, expected %d", cases[i].name, rc,
                     cases[i].rc);
        }

        if (rc != VOD_OK) {
            continue;
        }

        assert_int_equal(url.kind, cases[i].kind);
        assert_int_equal(url.stream, cases[i].stream);
        assert_int_equal(url.segment, cases[i].segment);

        if (cases[i].id == NULL) {
            assert_int_equal(url.id.len, 0);

        } else {
            assert_int_equal(url.id.len, strlen(cases[i].id));
            assert_memory_equal(url.id.data, cases[i].id, url.id.len);

            /* the id points into the name */
            assert_true(url.id.data >= (u_char *) cases[i].name
                        && url.id.data + url.id.len
                           <= (u_char *) cases[i].name
                              + strlen(cases[i].name));
        }
    }
}


static void
test_url_good(void **state)
{
    test_url_run(test_url_good_cases,
                 sizeof(test_url_good_cases) / sizeof(test_url_case_t));
}


static void
test_url_not_ours(void **state)
{
    test_url_run(test_url_not_ours_cases,
                 sizeof(test_url_not_ours_cases) / sizeof(test_url_case_t));
}


static void
test_url_bad(void **state)
{
    test_url_run(test_url_bad_cases,
                 sizeof(test_url_bad_cases) / sizeof(test_url_case_t));
}


static void
test_url_id_limits(void **state)
{
    char       name[128];
    vod_url_t  url;

    /* VOD_MAX_ID_LEN is accepted, one more is not */

    memcpy(name, "video-", 6);
    memset(name + 6, 'x', VOD_MAX_ID_LEN);
    memcpy(name + 6 + VOD_MAX_ID_LEN, ".m3u8", 6);

    assert_int_equal(test_url_parse_str(name, &url), VOD_OK);
    assert_int_equal(url.id.len, VOD_MAX_ID_LEN);

    memset(name + 6, 'x', VOD_MAX_ID_LEN + 1);
    memcpy(name + 7 + VOD_MAX_ID_LEN, ".m3u8", 6);

    assert_int_equal(test_url_parse_str(name, &url), VOD_BAD_REQUEST);

    /* a NUL inside the name is a bad character, not an end */

    assert_int_equal(vod_url_parse((const u_char *) "video-a\0b.m3u8", 14,
                                   &url),
                     VOD_BAD_REQUEST);

    /* the length is honoured: no reading past it */

    assert_int_equal(vod_url_parse((const u_char *) "master.m3u8", 6, &url),
                     VOD_NOT_FOUND);
}


static void
test_url_segment_limits(void **state)
{
    char       name[64];
    uint32_t   n;
    vod_url_t  url;

    static const uint32_t  nums[] = { 1, 9, 10, 99, 100, 65536, 1000000,
                                      2147483647 };

    for (n = 0; n < sizeof(nums) / sizeof(nums[0]); n++) {
        snprintf(name, sizeof(name), "ts-a-%u.ts", nums[n]);
        assert_int_equal(test_url_parse_str(name, &url), VOD_OK);
        assert_int_equal(url.segment, nums[n] - 1);
    }
}


/* audio{T}-{id}: a file's audio track by its track_ID */

static void
test_url_audio_track(void **state)
{
    size_t      i;
    vod_url_t   url;

    static const char  *bad[] = {
        "audio0-main.m3u8", "audio01-main.m3u8", "audio4294967296-main.m3u8",
        "audio12345678901-main.m3u8", "audio2x-main.m3u8", "audio2-.m3u8",
        "audio2-main-0.m4s", "audio2-main.ts", "audio2-main-1.ts",
        "audiots0-main.m3u8", "audiots01-main.m3u8", "audiots2-.m3u8",
        "audiots4294967296-main.m3u8", "audiots2-main-1.m4s",
        "audiots2-main-init.mp4", "audiots2-main-01.ts"
    };

    assert_int_equal(test_url_parse_str("audio3-main.m3u8", &url), VOD_OK);
    assert_int_equal(url.kind, VOD_URL_PLAYLIST);
    assert_int_equal(url.stream, VOD_STREAM_AUDIO);
    assert_int_equal(url.track_id, 3);
    assert_int_equal(url.id.len, 4);
    assert_memory_equal(url.id.data, "main", 4);

    assert_int_equal(test_url_parse_str("audio12-hd-x-init.mp4", &url),
                     VOD_OK);
    assert_int_equal(url.kind, VOD_URL_INIT);
    assert_int_equal(url.stream, VOD_STREAM_AUDIO);
    assert_int_equal(url.track_id, 12);
    assert_int_equal(url.id.len, 4);
    assert_memory_equal(url.id.data, "hd-x", 4);

    assert_int_equal(test_url_parse_str("audio4294967295-a.b-7.m4s", &url),
                     VOD_OK);
    assert_int_equal(url.kind, VOD_URL_SEGMENT);
    assert_int_equal(url.track_id, 4294967295U);
    assert_int_equal(url.segment, 6);
    assert_int_equal(url.id.len, 3);

    /* MPEG-TS: the same forms */
    assert_int_equal(test_url_parse_str("audiots3-main.m3u8", &url), VOD_OK);
    assert_int_equal(url.kind, VOD_URL_PLAYLIST);
    assert_int_equal(url.stream, VOD_STREAM_AUDIO_TS);
    assert_int_equal(url.track_id, 3);
    assert_memory_equal(url.id.data, "main", 4);

    assert_int_equal(test_url_parse_str("audiots12-hd-x-5.ts", &url),
                     VOD_OK);
    assert_int_equal(url.kind, VOD_URL_SEGMENT);
    assert_int_equal(url.stream, VOD_STREAM_AUDIO_TS);
    assert_int_equal(url.track_id, 12);
    assert_int_equal(url.segment, 4);
    assert_int_equal(url.id.len, 4);
    assert_memory_equal(url.id.data, "hd-x", 4);

    /* the first audio track's names have none */
    assert_int_equal(test_url_parse_str("audio-main-2.m4s", &url), VOD_OK);
    assert_int_equal(url.track_id, 0);

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (test_url_parse_str(bad[i], &url) != VOD_BAD_REQUEST) {
            fail_msg("\"%s\" is not VOD_BAD_REQUEST", bad[i]);
        }
    }

    /* not ours */
    assert_int_equal(test_url_parse_str("audiox-main.m3u8", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("audio", &url), VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("audio3", &url), VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("audiotsx-main.m3u8", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("audiots3", &url), VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("audiots", &url), VOD_NOT_FOUND);
}


/* thumb-{id}-{ms}[-w{W}][-h{H}].jpg */

static void
test_url_thumb(void **state)
{
    size_t      i;
    vod_url_t   url;

    static const struct {
        const char  *name;
        const char  *id;
        uint32_t     ms;
        uint32_t     w;
        uint32_t     h;
        uint32_t     image;
    } good[] = {
        { "thumb-1080p-0.jpg", "1080p", 0, 0, 0, VOD_IMAGE_JPEG },
        { "thumb-1080p-12345.jpg", "1080p", 12345, 0, 0, VOD_IMAGE_JPEG },
        { "thumb-hd-high-7-w320.jpg", "hd-high", 7, 320, 0, VOD_IMAGE_JPEG },
        { "thumb-a-4294967295-h90.jpg", "a", 4294967295U, 0, 90,
          VOD_IMAGE_JPEG },
        { "thumb-a-1-w320-h180.jpg", "a", 1, 320, 180, VOD_IMAGE_JPEG },
        /* an id that looks like a size is an id */
        { "thumb-w3-h4-10.jpg", "w3-h4", 10, 0, 0, VOD_IMAGE_JPEG },
        { "thumb-1080p-120.webp", "1080p", 120, 0, 0, VOD_IMAGE_WEBP },
        { "thumb-a-1-w320-h180.webp", "a", 1, 320, 180, VOD_IMAGE_WEBP },
    };

    static const char  *bad[] = {
        "thumb-a.jpg", "thumb--5.jpg", "thumb-a-01.jpg", "thumb-a-x.jpg",
        "thumb-a-4294967296.jpg", "thumb-a-.jpg", "thumb-a-5-w0.jpg",
        "thumb-a-5-w010.jpg", "thumb-a-5-w.jpg", "thumb-a-5-h10-w10.jpg",
        "thumb-a-5-w4294967296.jpg", "thumb-a-5-w10-w10.jpg",
        "thumb-a-w10.jpg", "thumb-a-5-x10.jpg", "thumb-.jpg", "thumb-a/b-1.jpg",
        "thumb-a-01.webp", "thumb-a.webp", "thumb-.webp"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (test_url_parse_str(good[i].name, &url) != VOD_OK) {
            fail_msg("\"%s\" is not VOD_OK", good[i].name);
        }

        assert_int_equal(url.kind, VOD_URL_THUMB);
        assert_int_equal(url.stream, VOD_STREAM_VIDEO);
        assert_int_equal(url.id.len, strlen(good[i].id));
        assert_memory_equal(url.id.data, good[i].id, url.id.len);
        assert_int_equal(url.thumb_ms, good[i].ms);
        assert_int_equal(url.width, good[i].w);
        assert_int_equal(url.height, good[i].h);
        assert_int_equal(url.image, good[i].image);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (test_url_parse_str(bad[i], &url) != VOD_BAD_REQUEST) {
            fail_msg("\"%s\" is not VOD_BAD_REQUEST", bad[i]);
        }
    }

    /* not ours */
    assert_int_equal(test_url_parse_str("thumb-a-1.png", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("thumb", &url), VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("thumb-a-1.webp.jpg.gz", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("thumb-a-1.wbp", &url),
                     VOD_NOT_FOUND);
}


/* tiles-{id}-{n}.jpg, tiles-{id}.vtt */

static void
test_url_tiles(void **state)
{
    size_t      i;
    vod_url_t   url;

    static const struct {
        const char  *name;
        uint32_t     kind;
        const char  *id;
        uint32_t     sheet;
        uint32_t     image;
    } good[] = {
        { "tiles-1080p-1.jpg", VOD_URL_TILES, "1080p", 0, VOD_IMAGE_JPEG },
        { "tiles-hd-high-12.jpg", VOD_URL_TILES, "hd-high", 11,
          VOD_IMAGE_JPEG },
        { "tiles-a-2147483648.jpg", VOD_URL_TILES, "a", 2147483647U,
          VOD_IMAGE_JPEG },
        { "tiles-1080p.vtt", VOD_URL_TILES_VTT, "1080p", 0, VOD_IMAGE_JPEG },
        /* the number of a track's name is its id's */
        { "tiles-a-3.vtt", VOD_URL_TILES_VTT, "a-3", 0, VOD_IMAGE_JPEG },
        { "tiles-1080p-2.webp", VOD_URL_TILES, "1080p", 1, VOD_IMAGE_WEBP },
    };

    static const char  *bad[] = {
        "tiles-a.jpg", "tiles--1.jpg", "tiles-a-0.jpg", "tiles-a-01.jpg",
        "tiles-a-x.jpg", "tiles-a-.jpg", "tiles-a-2147483649.jpg",
        "tiles-a-99999999999.jpg", "tiles-.jpg", "tiles-.vtt",
        "tiles-a/b.vtt", "tiles-a/b-1.jpg", "tiles-a-1-w320.jpg",
        "tiles-a-0.webp", "tiles-a.webp"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (test_url_parse_str(good[i].name, &url) != VOD_OK) {
            fail_msg("\"%s\" is not VOD_OK", good[i].name);
        }

        assert_int_equal(url.kind, good[i].kind);
        assert_int_equal(url.stream, VOD_STREAM_VIDEO);
        assert_int_equal(url.id.len, strlen(good[i].id));
        assert_memory_equal(url.id.data, good[i].id, url.id.len);
        assert_int_equal(url.segment, good[i].sheet);
        assert_int_equal(url.image, good[i].image);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (test_url_parse_str(bad[i], &url) != VOD_BAD_REQUEST) {
            fail_msg("\"%s\" is not VOD_BAD_REQUEST", bad[i]);
        }
    }

    /* not ours */
    assert_int_equal(test_url_parse_str("tiles-a-1.png", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("tiles-a-1.vtt.gz", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("tiles", &url), VOD_NOT_FOUND);
}


/* images-{id}.m3u8 */

static void
test_url_images(void **state)
{
    size_t      i;
    vod_url_t   url;

    static const struct {
        const char  *name;
        const char  *id;
    } good[] = {
        { "images-1080p.m3u8", "1080p" },
        { "images-hd-high.m3u8", "hd-high" },
        { "images-a.b.m3u8", "a.b" },
    };

    static const char  *bad[] = {
        "images-.m3u8", "images-a/b.m3u8", "images-.a.m3u8",
        "images-a b.m3u8"
    };

    for (i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
        if (test_url_parse_str(good[i].name, &url) != VOD_OK) {
            fail_msg("\"%s\" is not VOD_OK", good[i].name);
        }

        assert_int_equal(url.kind, VOD_URL_IMAGES);
        assert_int_equal(url.stream, VOD_STREAM_VIDEO);
        assert_int_equal(url.id.len, strlen(good[i].id));
        assert_memory_equal(url.id.data, good[i].id, url.id.len);
    }

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (test_url_parse_str(bad[i], &url) != VOD_BAD_REQUEST) {
            fail_msg("\"%s\" is not VOD_BAD_REQUEST", bad[i]);
        }
    }

    /* not ours */
    assert_int_equal(test_url_parse_str("images-a.m3u", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("images-a-1.jpg", &url),
                     VOD_NOT_FOUND);
    assert_int_equal(test_url_parse_str("images", &url), VOD_NOT_FOUND);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_url_good),
        cmocka_unit_test(test_url_not_ours),
        cmocka_unit_test(test_url_bad),
        cmocka_unit_test(test_url_id_limits),
        cmocka_unit_test(test_url_segment_limits),
        cmocka_unit_test(test_url_audio_track),
        cmocka_unit_test(test_url_thumb),
        cmocka_unit_test(test_url_tiles),
        cmocka_unit_test(test_url_images),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
