/*
 * test_images.c: the tile sheets as the manifests' image track: the DASH
 * AdaptationSet put before the Period's end (its attributes, template and
 * id), the multivariant playlist's EXT-X-IMAGE-STREAM-INF, and the image
 * media playlist read back (one entry per sheet, EXT-X-TILES of the
 * layout, EXTINF summing to the duration, the names of the sheets).  The
 * env allocates each buffer at its exact size under ASan: a size bound
 * too small is an overflow reported here.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "vod_images.h"


static void test_images_sheets(void **state);
static void test_images_dash(void **state);
static void test_images_master(void **state);
static void test_images_playlist(void **state);
static void test_images_playlist_check(vod_env_t *env,
    const vod_images_t *im);
static void test_images_bounds(void **state);
static void test_images_set(vod_images_t *im, const char *id,
    const vod_tiles_t *t, uint64_t duration);


/* 5 x 5 tiles of 240 x 136, one every 10 s */
static const vod_tiles_t  test_images_grid = { 5, 5, 10000, 240, 136 };


static void
test_images_set(vod_images_t *im, const char *id, const vod_tiles_t *t,
    uint64_t duration)
{
    im->tiles = *t;
    im->id.data = (u_char *) id;
    im->id.len = strlen(id);
    im->duration = duration;
}


static void
test_images_sheets(void **state)
{
    uint32_t      sheet, count;
    uint64_t      d, first;
    vod_images_t  im;

    static const uint64_t  durations[] = {
        1, 8008, 249999, 250000, 250001, 500000, 7384567
    };

    /* as many as vod_tiles_sheet() answers, the last one's next is
     * past the end */
    for (d = 0; d < sizeof(durations) / sizeof(durations[0]); d++) {
        test_images_set(&im, "a", &test_images_grid, durations[d]);

        sheet = (uint32_t) vod_images_sheets(&im);
        assert_true(sheet >= 1);

        assert_int_equal(vod_tiles_sheet(&im.tiles, im.duration, sheet - 1,
                                         &first, &count), VOD_OK);
        assert_int_equal(vod_tiles_sheet(&im.tiles, im.duration, sheet,
                                         &first, &count), VOD_NOT_FOUND);
    }

    test_images_set(&im, "a", &test_images_grid, 0);
    assert_int_equal(vod_images_sheets(&im), 0);

    /* 1200 x 680 pixels a sheet, 250 s a sheet: 3264 bits/s */
    test_images_set(&im, "a", &test_images_grid, 8008);
    assert_int_equal(vod_images_bandwidth(&im), 3264);
}


static void
test_images_dash(void **state)
{
    u_char        *out;
    size_t         len;
    vod_env_t     *env = *state;
    vod_images_t   im;

    static const char  mpd[] =
        "<MPD>\n  <Period id=\"0\" start=\"PT0S\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\">\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"4\" contentType=\"text\">\n"
        "    </AdaptationSet>\n"
        "  </Period>\n</MPD>\n";

    static const char  want[] =
        "<MPD>\n  <Period id=\"0\" start=\"PT0S\">\n"
        "    <AdaptationSet id=\"0\" contentType=\"video\">\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"4\" contentType=\"text\">\n"
        "    </AdaptationSet>\n"
        "    <AdaptationSet id=\"5\" contentType=\"image\" "
        "mimeType=\"image/jpeg\">\n"
        "      <SegmentTemplate timescale=\"1000\" "
        "media=\"tiles-360p-$Number$.jpg\" duration=\"250000\" "
        "startNumber=\"1\"/>\n"
        "      <Representation id=\"tiles-360p\" bandwidth=\"3264\" "
        "width=\"1200\" height=\"680\">\n"
        "        <EssentialProperty schemeIdUri=\"http://dashif.org/"
        "thumbnail_tile\" value=\"5x5\"/>\n"
        "      </Representation>\n"
        "    </AdaptationSet>\n"
        "  </Period>\n</MPD>\n";

    test_images_set(&im, "360p", &test_images_grid, 8008);

    assert_int_equal(vod_images_dash(env, (u_char *) mpd, sizeof(mpd) - 1,
                                     &im, &out, &len), VOD_OK);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);

    /* no Period's end: not an MPD of ours */
    assert_int_equal(vod_images_dash(env, (u_char *) mpd, 20, &im, &out,
                                     &len), VOD_ERROR);
}


static void
test_images_master(void **state)
{
    u_char        *out;
    size_t         len;
    vod_env_t     *env = *state;
    vod_images_t   im;

    static const char  m3u8[] = "#EXTM3U\n#EXT-X-VERSION:7\n";
    static const char  want[] =
        "#EXTM3U\n#EXT-X-VERSION:7\n"
        "#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=3264,RESOLUTION=240x136,"
        "CODECS=\"jpeg\",URI=\"images-hd-high.m3u8\"\n";

    test_images_set(&im, "hd-high", &test_images_grid, 8008);

    assert_int_equal(vod_images_hls_master(env, (u_char *) m3u8,
                                           sizeof(m3u8) - 1, &im, &out,
                                           &len), VOD_OK);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);
}


static void
test_images_playlist(void **state)
{
    u_char        *out;
    size_t         len;
    vod_env_t     *env = *state;
    vod_images_t   im;

    static const vod_tiles_t  wide = { 7, 2, 1000, 320, 180 };
    static const vod_tiles_t  one = { 1, 1, 2000, 16, 16 };

    static const char  want[] =
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:14\n"
        "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
        "#EXT-X-IMAGES-ONLY\n"
        "#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=7x2,DURATION=1.000\n"
        "#EXTINF:14.000,\ntiles-a-1.jpg\n"
        "#EXT-X-TILES:RESOLUTION=320x180,LAYOUT=7x2,DURATION=1.000\n"
        "#EXTINF:1.500,\ntiles-a-2.jpg\n"
        "#EXT-X-ENDLIST\n";

    test_images_set(&im, "a", &wide, 15500);

    assert_int_equal(vod_images_playlist(env, &im, &out, &len), VOD_OK);
    assert_int_equal(len, sizeof(want) - 1);
    assert_memory_equal(out, want, len);

    test_images_set(&im, "1080p", &test_images_grid, 8008);
    test_images_playlist_check(env, &im);
    test_images_set(&im, "1080p", &test_images_grid, 250000);
    test_images_playlist_check(env, &im);
    test_images_set(&im, "1080p", &test_images_grid, 250001);
    test_images_playlist_check(env, &im);
    test_images_set(&im, "1080p", &test_images_grid, 7384567);
    test_images_playlist_check(env, &im);
    test_images_set(&im, "x", &one, 5999);
    test_images_playlist_check(env, &im);
    test_images_set(&im, "x", &wide, 1);
    test_images_playlist_check(env, &im);
}


/* read back: the entries name sheets 1, 2, ... as many as
 * vod_images_sheets(), every EXTINF within the target and their sum the
 * duration (to the millisecond), each after an EXT-X-TILES of the
 * layout */

static void
test_images_playlist_check(vod_env_t *env, const vod_images_t *im)
{
    char        *s, *line, *next, name[128], tiles[128];
    u_char      *out;
    size_t       len;
    uint64_t     sheets, sum, target, sec, ms;
    unsigned     after_tiles, after_inf, ended;

    assert_int_equal(vod_images_playlist(env, im, &out, &len), VOD_OK);

    s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, out, len);
    s[len] = '\0';

    snprintf(tiles, sizeof(tiles),
             "#EXT-X-TILES:RESOLUTION=%ux%u,LAYOUT=%ux%u,DURATION=%u.%03u",
             im->tiles.width, im->tiles.height, im->tiles.cols,
             im->tiles.rows, im->tiles.interval / 1000,
             im->tiles.interval % 1000);

    assert_true(strncmp(s, "#EXTM3U\n#EXT-X-VERSION:7\n", 25) == 0);
    assert_non_null(strstr(s, "\n#EXT-X-IMAGES-ONLY\n"));
    assert_non_null(strstr(s, "\n#EXT-X-PLAYLIST-TYPE:VOD\n"));

    target = 0;
    sheets = 0;
    sum = 0;
    after_tiles = 0;
    after_inf = 0;
    ended = 0;

    for (line = s; *line != '\0'; line = next) {
        next = strchr(line, '\n');
        assert_non_null(next);
        *next++ = '\0';

        assert_false(ended);

        if (sscanf(line, "#EXT-X-TARGETDURATION:%lu", &target) == 1) {
            continue;
        }

        if (strncmp(line, "#EXT-X-TILES:", 13) == 0) {
            assert_string_equal(line, tiles);
            after_tiles = 1;
            continue;
        }

        if (strncmp(line, "#EXTINF:", 8) == 0) {
            assert_true(after_tiles);
            assert_int_equal(sscanf(line, "#EXTINF:%lu.%3lu,", &sec, &ms),
                             2);
            assert_true(sec * 1000 + ms > 0);
            assert_true(sec * 1000 + ms <= target * 1000);
            sum += sec * 1000 + ms;
            after_inf = 1;
            after_tiles = 0;
            continue;
        }

        if (strcmp(line, "#EXT-X-ENDLIST") == 0) {
            ended = 1;
            continue;
        }

        if (line[0] != '#') {
            assert_true(after_inf);
            after_inf = 0;
            sheets++;
            snprintf(name, sizeof(name), "tiles-%.*s-%lu.jpg",
                     (int) im->id.len, im->id.data, sheets);
            assert_string_equal(line, name);
        }
    }

    assert_true(ended);
    assert_true(target >= 1);
    assert_int_equal(sheets, vod_images_sheets(im));
    assert_int_equal(sum, im->duration);

    free(s);
}


static void
test_images_bounds(void **state)
{
    u_char        *out;
    size_t         len;
    vod_env_t     *env = *state;
    vod_images_t   im;

    static const char  id[] =
        "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuvwxyzabcdefghijkl";

    static const vod_tiles_t  big = {
        0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff
    };
    static const vod_tiles_t  fine = { 1, 1, 1, 4294967295U, 4294967295U };

    /* the longest id and numbers: the sized buffers hold them (ASan) */
    test_images_set(&im, id, &big, 0xffffffffffffffffULL);
    assert_int_equal(vod_images_dash(env, (u_char *) "  </Period>\n", 12,
                                     &im, &out, &len), VOD_OK);
    assert_int_equal(vod_images_hls_master(env, (u_char *) "", 0, &im, &out,
                                           &len), VOD_OK);

    /* nothing to list, too much to list */
    test_images_set(&im, id, &test_images_grid, 0);
    assert_int_equal(vod_images_playlist(env, &im, &out, &len),
                     VOD_NOT_FOUND);

    test_images_set(&im, id, &fine, VOD_TILES_MAX_CUES + 1);
    assert_int_equal(vod_images_playlist(env, &im, &out, &len),
                     VOD_BAD_DATA);

    /* at the bound: every tile a sheet of its own */
    test_images_set(&im, id, &fine, VOD_TILES_MAX_CUES);
    assert_int_equal(vod_images_playlist(env, &im, &out, &len), VOD_OK);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_images_sheets),
        cmocka_unit_test(test_images_dash),
        cmocka_unit_test(test_images_master),
        cmocka_unit_test(test_images_playlist),
        cmocka_unit_test(test_images_bounds),
    };

    return cmocka_run_group_tests(tests, av_oracle_setup,
                                  av_oracle_teardown);
}
