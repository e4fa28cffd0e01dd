/*
 * test_tiles.c: the layout of thumbnail tile sheets (how many tiles and
 * sheets a duration makes, a tile's place) and their WebVTT track: read
 * back, its cues tile [0, duration) with no gap and no overlap, each
 * naming the sheet and the place of its tile within the sheet's size.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include "av_oracle.h"
#include "vod_tiles.h"


static void test_tiles_count(void **state);
static void test_tiles_sheet(void **state);
static void test_tiles_place(void **state);
static void test_tiles_vtt(void **state);
static void test_tiles_vtt_check(vod_env_t *env, const vod_tiles_t *t,
    uint64_t duration);
static void test_tiles_vtt_bounds(void **state);
static int test_tiles_stamp(const char *s, uint64_t *ms);


/* 5 x 5 tiles of 240 x 136, one every 10 s */
static const vod_tiles_t  test_tiles_grid = { 5, 5, 10000, 240, 136 };


static void
test_tiles_count(void **state)
{
    const vod_tiles_t  *t = &test_tiles_grid;

    assert_int_equal(vod_tiles_count(t, 0), 0);
    assert_int_equal(vod_tiles_count(t, 1), 1);
    assert_int_equal(vod_tiles_count(t, 10000), 1);
    assert_int_equal(vod_tiles_count(t, 10001), 2);
    assert_int_equal(vod_tiles_count(t, 250000), 25);
    assert_int_equal(vod_tiles_count(t, 250001), 26);
}


static void
test_tiles_sheet(void **state)
{
    uint32_t            count;
    uint64_t            first;
    const vod_tiles_t  *t = &test_tiles_grid;

    /* a short title: one sheet of 2 tiles, the rest black */
    assert_int_equal(vod_tiles_sheet(t, 10001, 0, &first, &count), VOD_OK);
    assert_int_equal(first, 0);
    assert_int_equal(count, 2);
    assert_int_equal(vod_tiles_sheet(t, 10001, 1, &first, &count),
                     VOD_NOT_FOUND);

    /* exactly one full sheet */
    assert_int_equal(vod_tiles_sheet(t, 250000, 0, &first, &count), VOD_OK);
    assert_int_equal(count, 25);
    assert_int_equal(vod_tiles_sheet(t, 250000, 1, &first, &count),
                     VOD_NOT_FOUND);

    /* one tile more: a second sheet of one */
    assert_int_equal(vod_tiles_sheet(t, 250001, 1, &first, &count), VOD_OK);
    assert_int_equal(first, 25);
    assert_int_equal(count, 1);

    assert_int_equal(vod_tiles_sheet(t, 0, 0, &first, &count),
                     VOD_NOT_FOUND);
    assert_int_equal(vod_tiles_sheet(t, 250001, 0xffffffff, &first, &count),
                     VOD_NOT_FOUND);
}


static void
test_tiles_place(void **state)
{
    uint32_t            x, y;
    const vod_tiles_t  *t = &test_tiles_grid;

    vod_tiles_place(t, 0, &x, &y);
    assert_int_equal(x, 0);
    assert_int_equal(y, 0);

    vod_tiles_place(t, 4, &x, &y);
    assert_int_equal(x, 4 * 240);
    assert_int_equal(y, 0);

    vod_tiles_place(t, 5, &x, &y);
    assert_int_equal(x, 0);
    assert_int_equal(y, 136);

    vod_tiles_place(t, 24, &x, &y);
    assert_int_equal(x, 4 * 240);
    assert_int_equal(y, 4 * 136);
}


static void
test_tiles_vtt(void **state)
{
    vod_env_t  *env = *state;

    static const vod_tiles_t  wide = { 7, 2, 1000, 320, 180 };
    static const vod_tiles_t  one = { 1, 1, 2000, 16, 16 };

    /* a sheet and a bit; durations on and off the interval; hours */
    test_tiles_vtt_check(env, &test_tiles_grid, 8008);
    test_tiles_vtt_check(env, &test_tiles_grid, 250000);
    test_tiles_vtt_check(env, &test_tiles_grid, 250001);
    test_tiles_vtt_check(env, &test_tiles_grid, 7384567);
    test_tiles_vtt_check(env, &wide, 60000);
    test_tiles_vtt_check(env, &wide, 1);
    test_tiles_vtt_check(env, &one, 5999);
}


/* reads the track back: a cue per tile, from 0 to duration without a gap,
 * each naming the sheet of its tile and its place */

static void
test_tiles_vtt_check(vod_env_t *env, const vod_tiles_t *t,
    uint64_t duration)
{
    char       *s, *line, *save, a[32], b[32], id[64];
    u_char     *out;
    size_t      len;
    uint32_t    x, y, w, h, ex, ey;
    uint64_t    k, start, end, prev;
    vod_str_t   name = vod_string("720p-a");

    assert_int_equal(vod_tiles_vtt(env, t, duration, &name, &out, &len),
                     VOD_OK);

    s = malloc(len + 1);
    assert_non_null(s);
    memcpy(s, out, len);
    s[len] = '\0';

    line = strtok_r(s, "\n", &save);
    assert_non_null(line);
    assert_string_equal(line, "WEBVTT");

    prev = 0;

    for (k = 0; ; k++) {
        line = strtok_r(NULL, "\n", &save);
        if (line == NULL) {
            break;
        }

        assert_int_equal(sscanf(line, "%31s --> %31s", a, b), 2);
        assert_int_equal(test_tiles_stamp(a, &start), 0);
        assert_int_equal(test_tiles_stamp(b, &end), 0);

        /* contiguous, each cue from its tile's time */
        assert_int_equal(start, prev);
        assert_int_equal(start, k * t->interval);
        assert_true(end > start);
        prev = end;

        line = strtok_r(NULL, "\n", &save);
        assert_non_null(line);
        assert_int_equal(sscanf(line, "tiles-%63[^#]#xywh=%u,%u,%u,%u", id,
                                &x, &y, &w, &h), 5);

        /* the sheet's name, and the tile's place within the sheet */
        snprintf(a, sizeof(a), "720p-a-%u.jpg",
                 (unsigned) (k / (t->cols * t->rows) + 1));
        assert_string_equal(id, a);

        vod_tiles_place(t, (uint32_t) (k % (t->cols * t->rows)), &ex, &ey);
        assert_int_equal(x, ex);
        assert_int_equal(y, ey);
        assert_int_equal(w, t->width);
        assert_int_equal(h, t->height);
        assert_true(x + w <= t->cols * t->width);
        assert_true(y + h <= t->rows * t->height);
    }

    assert_int_equal(k, vod_tiles_count(t, duration));
    assert_int_equal(prev, duration);

    free(s);
}


static void
test_tiles_vtt_bounds(void **state)
{
    u_char     *out;
    size_t      len;
    vod_env_t  *env = *state;
    vod_str_t   name = vod_string("x");

    static const vod_tiles_t  fine = { 10, 10, 1000, 16, 16 };

    assert_int_equal(vod_tiles_vtt(env, &fine, 0, &name, &out, &len),
                     VOD_NOT_FOUND);

    /* a duration a hostile file claims: refused, not a 1 GB body */
    assert_int_equal(vod_tiles_vtt(env, &fine,
                                   (uint64_t) VOD_TILES_MAX_CUES * 1000 + 1,
                                   &name, &out, &len),
                     VOD_BAD_DATA);
    assert_int_equal(vod_tiles_vtt(env, &fine, UINT64_MAX, &name, &out,
                                   &len),
                     VOD_BAD_DATA);

    assert_int_equal(vod_tiles_vtt(env, &fine,
                                   (uint64_t) VOD_TILES_MAX_CUES * 1000,
                                   &name, &out, &len),
                     VOD_OK);
}


/* "HH:MM:SS.mmm" (hours of two digits or more) to milliseconds */

static int
test_tiles_stamp(const char *s, uint64_t *ms)
{
    unsigned long long  h;
    unsigned            m, sec, f;
    int                 n;

    n = 0;

    if (sscanf(s, "%llu:%2u:%2u.%3u%n", &h, &m, &sec, &f, &n) != 4
        || s[n] != '\0' || n < 12 || m > 59 || sec > 59)
    {
        return -1;
    }

    *ms = ((h * 60 + m) * 60 + sec) * 1000 + f;

    return 0;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_tiles_count),
        cmocka_unit_test(test_tiles_sheet),
        cmocka_unit_test(test_tiles_place),
        cmocka_unit_test(test_tiles_vtt),
        cmocka_unit_test(test_tiles_vtt_bounds),
    };

    return cmocka_run_group_tests(tests, av_oracle_setup,
                                  av_oracle_teardown);
}
