/*
 * vod_thumb.c: the frame a thumbnail shows and its size (vod_thumb.h).
 */

#include "vod_thumb.h"
#include "vod_hdr.h"
#include "vod_orient.h"


int
vod_thumb_segment(vod_track_info_t *info, uint64_t time, uint32_t *seg)
{
    uint32_t  lo, hi, mid;
    uint64_t  t;

    if (info->segment_count == 0 || time >= info->duration) {
        return VOD_NOT_FOUND;
    }

    /* a sample presented at or before time was decoded at or before
     * time - min_pts_delay: a later segment starts decoding after that,
     * so presents its frames after time */

    if (info->min_pts_delay >= 0) {
        t = (time >= (uint64_t) info->min_pts_delay)
            ? time - (uint64_t) info->min_pts_delay : 0;

    } else {
        t = time + (uint64_t) -(int64_t) info->min_pts_delay;
    }

    /* the last segment starting at or before t */

    lo = 0;
    hi = info->segment_count;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (info->seg_time[mid] <= t) {
            lo = mid;

        } else {
            hi = mid;
        }
    }

    *seg = lo;

    return VOD_OK;
}


int
vod_thumb_pick(vod_segment_t *segment, uint64_t time, int first,
    vod_thumb_pick_t *pick)
{
    int64_t    pts, best, least;
    uint32_t   i, found, earliest, key;
    uint64_t   dts;

    found = segment->count;
    earliest = segment->count;
    best = 0;
    least = 0;
    dts = segment->start_dts;

    for (i = 0; i < segment->count; i++) {
        pts = (int64_t) dts + segment->samples[i].pts_delay;

        if (pts <= (int64_t) time && (found == segment->count || pts > best))
        {
            found = i;
            best = pts;
        }

        if (earliest == segment->count || pts < least) {
            earliest = i;
            least = pts;
        }

        dts += segment->samples[i].duration;
    }

    if (found == segment->count) {
        if (!first || earliest == segment->count) {
            return VOD_NOT_FOUND;
        }

        found = earliest;
        best = least;
    }

    pick->target = found;
    pick->pts = (best > 0) ? (uint64_t) best : 0;
    pick->lead = 0;

    for (i = found + 1; i > 0; i--) {
        if (segment->samples[i - 1].sync) {
            break;
        }
    }

    if (i == 0) {
        return VOD_BAD_DATA;
    }

    key = i - 1;

    /* the key frame's presentation time: a leading picture comes before
     * it */

    dts = segment->start_dts;

    for (i = 0; i < key; i++) {
        dts += segment->samples[i].duration;
    }

    if (best < (int64_t) dts + segment->samples[key].pts_delay) {
        for (i = key; i > 0; i--) {
            if (segment->samples[i - 1].sync) {
                break;
            }
        }

        if (i > 0) {
            key = i - 1;

        } else {
            pick->lead = 1;
        }
    }

    pick->key = key;

    return VOD_OK;
}


uint64_t
vod_thumb_ticks(uint64_t ms, uint32_t timescale, int up)
{
    uint64_t  part;

    /* not ms * timescale / 1000: it would wrap near 2^64 */
    part = ms % 1000 * timescale;

    return ms / 1000 * timescale + part / 1000 + (up && part % 1000 != 0);
}


int
vod_thumb_first_after(const vod_segment_t *segment, uint64_t time,
    uint64_t *pts)
{
    int64_t   p, best;
    uint32_t  i;
    uint64_t  dts;

    best = -1;
    dts = segment->start_dts;

    for (i = 0; i < segment->count; i++) {
        p = (int64_t) dts + segment->samples[i].pts_delay;

        if (p >= 0 && (uint64_t) p >= time && (best < 0 || p < best)) {
            best = p;
        }

        dts += segment->samples[i].duration;
    }

    if (best < 0) {
        return VOD_NOT_FOUND;
    }

    *pts = (uint64_t) best;

    return VOD_OK;
}


int
vod_thumb_next_may_hold(const vod_track_info_t *info, uint32_t seg,
    const vod_segment_t *segment, uint64_t time)
{
    int64_t  end;

    if (seg + 1 >= info->segment_count) {
        return 0;
    }

    end = (int64_t) (segment->start_dts + segment->duration);

    return (int64_t) time >= end + info->min_pts_delay;
}


int
vod_thumb_join(vod_env_t *env, const vod_segment_t *prev,
    vod_segment_t *segment)
{
    uint32_t       i;
    uint64_t       end;
    vod_sample_t  *samples;

    end = prev->start_dts;

    for (i = 0; i < prev->count; i++) {
        end += prev->samples[i].duration;
    }

    if (end != segment->start_dts
        || prev->count > VOD_MAX_SEGMENT_SAMPLES
        || segment->count > VOD_MAX_SEGMENT_SAMPLES)
    {
        return VOD_BAD_DATA;
    }

    samples = env->alloc(env, ((size_t) prev->count + segment->count)
                              * sizeof(vod_sample_t));
    if (samples == NULL) {
        return VOD_ERROR;
    }

    if (prev->count > 0) {
        memcpy(samples, prev->samples, prev->count * sizeof(vod_sample_t));
    }

    if (segment->count > 0) {
        memcpy(samples + prev->count, segment->samples,
               segment->count * sizeof(vod_sample_t));
    }

    segment->index = prev->index;
    segment->first = prev->first;
    segment->sequence = prev->sequence;
    segment->keys_before = prev->keys_before;
    segment->start_dts = prev->start_dts;
    segment->duration += prev->duration;
    segment->data_size += prev->data_size;
    segment->count += prev->count;
    segment->samples = samples;

    return VOD_OK;
}


int
vod_thumb_size(uint32_t src_w, uint32_t src_h, uint32_t w, uint32_t h,
    uint32_t max_w, uint32_t max_h, uint32_t *out_w, uint32_t *out_h)
{
    uint64_t  ow, oh;

    if (src_w == 0 || src_h == 0) {
        return VOD_BAD_DATA;
    }

    if (w > max_w || h > max_h) {
        return VOD_BAD_REQUEST;
    }

    if (w == 0 && h == 0) {
        /* the source's own size, within the maxima */
        w = max_w;
        h = max_h;

        if (src_w <= w && src_h <= h) {
            w = src_w;
            h = src_h;
        }
    }

    if (w != 0 && h != 0) {
        /* the largest size of the source's aspect within w x h */
        if ((uint64_t) w * src_h <= (uint64_t) h * src_w) {
            h = 0;

        } else {
            w = 0;
        }
    }

    if (w != 0) {
        ow = w;
        oh = ((uint64_t) w * src_h + src_w / 2) / src_w;

    } else {
        oh = h;
        ow = ((uint64_t) h * src_w + src_h / 2) / src_h;
    }

    /* the computed side of an extreme aspect may pass its maximum */
    if (ow > max_w || oh > max_h) {
        return VOD_BAD_REQUEST;
    }

    ow &= ~(uint64_t) 1;
    oh &= ~(uint64_t) 1;

    *out_w = (uint32_t) ((ow < VOD_THUMB_MIN_SIDE) ? VOD_THUMB_MIN_SIDE : ow);
    *out_h = (uint32_t) ((oh < VOD_THUMB_MIN_SIDE) ? VOD_THUMB_MIN_SIDE : oh);

    return VOD_OK;
}


int
vod_thumb_track_size(const vod_track_info_t *info, uint32_t w, uint32_t h,
    uint32_t max_w, uint32_t max_h, uint32_t *out_w, uint32_t *out_h)
{
    uint32_t  dw, dh;

    vod_hdr_track_display(info, &dw, &dh);
    vod_orient_size(info->orient, &dw, &dh);

    return vod_thumb_size(dw, dh, w, h, max_w, max_h, out_w, out_h);
}
