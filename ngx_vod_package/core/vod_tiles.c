/*
 * vod_tiles.c: thumbnail tile sheets and their WebVTT track (vod_tiles.h).
 */

#include "vod_tiles.h"
#include "vod_text.h"
#include "vod_vtt.h"


uint64_t
vod_tiles_count(const vod_tiles_t *t, uint64_t duration)
{
    /* not (duration + interval - 1) / interval: a claimed duration near
     * 2^64 would wrap */
    return duration / t->interval + (duration % t->interval != 0);
}


int
vod_tiles_sheet(const vod_tiles_t *t, uint64_t duration, uint32_t sheet,
    uint64_t *first, uint32_t *count)
{
    uint64_t  tiles, per, left;

    tiles = vod_tiles_count(t, duration);
    per = (uint64_t) t->cols * t->rows;

    if ((uint64_t) sheet * per >= tiles) {
        return VOD_NOT_FOUND;
    }

    *first = (uint64_t) sheet * per;

    left = tiles - *first;
    *count = (uint32_t) ((left < per) ? left : per);

    return VOD_OK;
}


void
vod_tiles_place(const vod_tiles_t *t, uint32_t i, uint32_t *x, uint32_t *y)
{
    *x = (i % t->cols) * t->width;
    *y = (i / t->cols) * t->height;
}


int
vod_tiles_vtt(vod_env_t *env, const vod_tiles_t *t, uint64_t duration,
    const vod_str_t *id, u_char **out, size_t *len)
{
    u_char    *p, *buf;
    size_t     size;
    uint32_t   i, per, x, y;
    uint64_t   tiles, k, start, end;

    tiles = vod_tiles_count(t, duration);

    if (tiles == 0) {
        return VOD_NOT_FOUND;
    }

    if (tiles > VOD_TILES_MAX_CUES) {
        env->log(env, "a thumbnail track of %llu cues is over %u",
                 (unsigned long long) tiles, VOD_TILES_MAX_CUES);
        return VOD_BAD_DATA;
    }

    /* per cue: the timing line, then the sheet's name and the fragment
     * of four numbers; the numbers at their longest */

    size = sizeof("WEBVTT\n\n")
           + tiles * (2 * VOD_VTT_TIME_LEN + sizeof(" --> \n")
                      + sizeof("tiles--.jpg#xywh=,,,\n\n") + id->len
                      + 5 * VOD_TEXT_UINT_LEN);

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "WEBVTT\n\n");

    per = t->cols * t->rows;

    for (k = 0; k < tiles; k++) {
        start = k * t->interval;
        end = start + t->interval;

        /* the last cue ends with the title: no gap, no overhang */
        if (end > duration) {
            end = duration;
        }

        i = (uint32_t) (k % per);
        vod_tiles_place(t, i, &x, &y);

        p = vod_vtt_stamp(p, start);
        p = vod_text_cpy(p, " --> ");
        p = vod_vtt_stamp(p, end);
        *p++ = '\n';

        p = vod_text_cpy(p, "tiles-");
        p = vod_text_cpymem(p, id->data, id->len);
        *p++ = '-';
        p = vod_text_uint(p, k / per + 1);
        p = vod_text_cpy(p, ".jpg#xywh=");
        p = vod_text_uint(p, x);
        *p++ = ',';
        p = vod_text_uint(p, y);
        *p++ = ',';
        p = vod_text_uint(p, t->width);
        *p++ = ',';
        p = vod_text_uint(p, t->height);
        p = vod_text_cpy(p, "\n\n");
    }

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}
