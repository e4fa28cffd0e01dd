/*
 * vod_index_query.c: reading a built index, wherever it lives (a worker's
 * pool or the shared cache): the header check, the tracks, a track's
 * description and segment times, and one segment's samples, walked from
 * the segment's cursor.
 */

#include "vod_index_int.h"


static void vod_idx_segment_sizes(const vod_idx_track_t *it,
    const u_char *sizes, uint32_t first, uint32_t n, vod_sample_t *out);


int
vod_index_check(const u_char *index, size_t len)
{
    uint32_t                 i;
    const vod_idx_track_t   *it;
    const vod_idx_header_t  *hdr;

    if (index == NULL || len < sizeof(vod_idx_header_t)
        || ((uintptr_t) index & 7) != 0)
    {
        return VOD_BAD_DATA;
    }

    hdr = (const vod_idx_header_t *) index;

    if (hdr->magic != VOD_IDX_MAGIC || hdr->version != VOD_IDX_VERSION
        || hdr->len != len || hdr->track_count == 0
        || hdr->track_count > VOD_MAX_TRACKS)
    {
        return VOD_BAD_DATA;
    }

    for (i = 0; i < hdr->track_count; i++) {
        if (hdr->track[i] < sizeof(vod_idx_header_t)
            || (uint64_t) hdr->track[i] + sizeof(vod_idx_track_t) > len
            || (hdr->track[i] & 7) != 0)
        {
            return VOD_BAD_DATA;
        }

        it = (const vod_idx_track_t *) (index + hdr->track[i]);

        if (it->cursors > len
            || (uint64_t) (it->segment_count + 1) * sizeof(vod_idx_cursor_t)
               > len - it->cursors)
        {
            return VOD_BAD_DATA;
        }
    }

    return VOD_OK;
}


uint32_t
vod_index_track_count(const u_char *index)
{
    return ((const vod_idx_header_t *) index)->track_count;
}


int
vod_index_find_track(const u_char *index, uint32_t type)
{
    uint32_t                 i;
    const vod_idx_track_t   *it;
    const vod_idx_header_t  *hdr;

    hdr = (const vod_idx_header_t *) index;

    for (i = 0; i < hdr->track_count; i++) {
        it = (const vod_idx_track_t *) (index + hdr->track[i]);

        if (it->type == type) {
            return (int) i;
        }
    }

    return -1;
}


uint32_t
vod_index_track_type(const u_char *index, uint32_t track)
{
    const vod_idx_track_t   *it;
    const vod_idx_header_t  *hdr;

    hdr = (const vod_idx_header_t *) index;

    if (track >= hdr->track_count) {
        return 0;
    }

    it = (const vod_idx_track_t *) (index + hdr->track[track]);

    return it->type;
}


int
vod_index_find_track_id(const u_char *index, uint32_t type,
    uint32_t track_id)
{
    uint32_t                 i;
    const vod_idx_track_t   *it;
    const vod_idx_header_t  *hdr;

    hdr = (const vod_idx_header_t *) index;

    for (i = 0; i < hdr->track_count; i++) {
        it = (const vod_idx_track_t *) (index + hdr->track[i]);

        if (it->type == type && it->track_id == track_id) {
            return (int) i;
        }
    }

    return -1;
}


int
vod_index_track_info(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info)
{
    u_char                    *p;
    uint32_t                   i, n;
    const vod_idx_track_t     *it;
    const vod_idx_header_t    *hdr;
    const vod_idx_cursor_t    *cur;

    hdr = (const vod_idx_header_t *) index;

    if (track >= hdr->track_count) {
        return VOD_NOT_FOUND;
    }

    it = (const vod_idx_track_t *) (index + hdr->track[track]);
    n = it->segment_count;

    memset(info, 0, sizeof(vod_track_info_t));

    info->type = it->type;
    info->codec = it->codec;
    info->track_id = it->track_id;
    info->timescale = it->timescale;
    info->duration = it->duration;
    info->sample_count = it->sample_count;
    info->width = it->width;
    info->height = it->height;
    info->orient = it->orient;
    info->fps_num = it->fps_num;
    info->fps_den = it->fps_den;
    info->nal_length_size = it->nal_length_size;
    info->sample_rate = it->sample_rate;
    info->channels = it->channels;
    info->aac_object_type = it->aac_object_type;
    info->avg_bitrate = it->avg_bitrate;
    info->peak_bitrate = it->peak_bitrate;
    info->total_bytes = it->total_bytes;
    info->min_pts_delay = it->ctts_min;
    info->max_pts_delay = it->ctts_max;
    memcpy(info->codec_str, it->codec_str, sizeof(info->codec_str));
    memcpy(info->lang, it->lang, sizeof(info->lang));

    p = env->alloc(env, vod_idx_align(it->sample_entry_len)
                        + vod_idx_align(it->dec_config_len)
                        + (size_t) (n + 1) * sizeof(uint64_t));
    if (p == NULL) {
        env->log(env, "track info allocation failed");
        return VOD_ERROR;
    }

    info->seg_time = (uint64_t *) p;
    info->segment_count = n;
    info->shortest_segment = it->shortest;
    info->refresh_key = it->refresh_key;

    cur = (const vod_idx_cursor_t *) (index + it->cursors);

    for (i = 0; i <= n; i++) {
        info->seg_time[i] = cur[i].time;
    }

    p += (size_t) (n + 1) * sizeof(uint64_t);

    info->sample_entry = p;
    info->sample_entry_len = it->sample_entry_len;
    memcpy(p, index + it->sample_entry, it->sample_entry_len);
    p += vod_idx_align(it->sample_entry_len);

    info->dec_config = p;
    info->dec_config_len = it->dec_config_len;
    memcpy(p, index + it->dec_config, it->dec_config_len);

    return VOD_OK;
}


int
vod_index_segment(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info, uint32_t seg, vod_segment_t *segment)
{
    uint32_t                   i, n, stts_left, ctts_left, chunk_left;
    uint32_t                   stts_run, ctts_run, stsc_run, chunk, sample;
    uint32_t                   stss_pos, size, lo, hi, mid;
    uint64_t                   pos, bytes;
    vod_sample_t              *out;
    const int32_t             *flat;
    const u_char              *sizes;
    const uint32_t            *stss, *co32;
    const uint64_t            *co64;
    const vod_idx_ctts_t      *ctts;
    const vod_idx_stts_t      *stts;
    const vod_idx_stsc_t      *stsc;
    const vod_idx_track_t     *it;
    const vod_idx_cursor_t    *cur;
    const vod_idx_header_t    *hdr;

    hdr = (const vod_idx_header_t *) index;

    if (track >= hdr->track_count) {
        return VOD_NOT_FOUND;
    }

    it = (const vod_idx_track_t *) (index + hdr->track[track]);

    if (seg >= it->segment_count) {
        return VOD_NOT_FOUND;
    }

    cur = (const vod_idx_cursor_t *) (index + it->cursors) + seg;
    n = cur[1].sample - cur[0].sample;

    out = env->alloc(env, (size_t) n * sizeof(vod_sample_t) + 1);
    if (out == NULL) {
        env->log(env, "segment allocation of %u samples failed", n);
        return VOD_ERROR;
    }

    stts = (const vod_idx_stts_t *) (index + it->stts);
    ctts = (const vod_idx_ctts_t *) (index + it->ctts);
    flat = (const int32_t *) (index + it->ctts);
    stsc = (const vod_idx_stsc_t *) (index + it->stsc);
    stss = (const uint32_t *) (index + it->stss);
    sizes = it->sizes ? index + it->sizes : NULL;
    co32 = (const uint32_t *) (index + it->chunks);
    co64 = (const uint64_t *) (index + it->chunks);

    sample = cur->sample;
    stts_run = cur->stts_run;
    stts_left = cur->stts_left;
    ctts_run = cur->ctts_run;
    ctts_left = cur->ctts_left;
    chunk = cur->chunk;
    chunk_left = cur->chunk_left;
    pos = (it->co64 ? co64[chunk] : co32[chunk]) + cur->chunk_pos;
    bytes = 0;

    /* the stsc run of the chunk: the last with first_chunk <= chunk */

    lo = 0;
    hi = it->stsc_count;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (stsc[mid].first_chunk <= chunk) {
            lo = mid;

        } else {
            hi = mid;
        }
    }

    stsc_run = lo;

    /* the first sync sample at or after the segment's first sample */

    lo = 0;
    hi = it->stss_count;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (stss[mid] < sample) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    stss_pos = lo;

    /* so many key frames come before it (without stss, every sample is
     * one): an I-frame segment's number in its playlist counts from it */
    segment->keys_before = it->has_stss ? stss_pos : sample;

    vod_idx_segment_sizes(it, sizes, sample, n, out);

    for (i = 0; i < n; i++, sample++) {
        size = out[i].size;

        out[i].offset = pos;
        out[i].duration = stts[stts_run].delta;
        if (it->ctts_flat) {
            out[i].pts_delay = flat[sample];

        } else {
            out[i].pts_delay = it->ctts_count ? ctts[ctts_run].offset : 0;
        }

        if (!it->has_stss) {
            out[i].sync = 1;

        } else if (stss_pos < it->stss_count && stss[stss_pos] == sample) {
            out[i].sync = 1;
            stss_pos++;

        } else {
            out[i].sync = 0;
        }

        bytes += size;

        if (i + 1 == n) {
            break;
        }

        /* step to the next sample */

        if (--stts_left == 0 && ++stts_run < it->stts_count) {
            stts_left = stts[stts_run].count;
        }

        if (it->ctts_count && !it->ctts_flat && --ctts_left == 0
            && ++ctts_run < it->ctts_count)
        {
            ctts_left = ctts[ctts_run].count;
        }

        pos += size;

        if (--chunk_left != 0) {
            continue;
        }

        /* the next chunk that has samples (the build checked there is) */

        do {
            if (++chunk >= it->chunk_count) {
                chunk_left = 1;
                break;
            }

            if (stsc_run + 1 < it->stsc_count
                && stsc[stsc_run + 1].first_chunk == chunk)
            {
                stsc_run++;
            }

            chunk_left = stsc[stsc_run].samples;
            pos = it->co64 ? co64[chunk] : co32[chunk];

        } while (chunk_left == 0);
    }

    segment->track = info;
    segment->index = seg;
    segment->start_dts = cur[0].dts;
    segment->duration = cur[1].dts - cur[0].dts;
    segment->data_size = bytes;
    segment->count = n;
    segment->samples = out;
    segment->first = 0;
    segment->sequence = seg;

    return VOD_OK;
}


/* the sizes of n samples from first, in a loop of their width's own (one
 * test per sample in the segment's loop cost it a third of its time) */

static void
vod_idx_segment_sizes(const vod_idx_track_t *it, const u_char *sizes,
    uint32_t first, uint32_t n, vod_sample_t *out)
{
    uint32_t         i;
    const uint16_t  *s16;
    const uint32_t  *s32;

    if (sizes == NULL) {
        for (i = 0; i < n; i++) {
            out[i].size = it->const_size;
        }

        return;
    }

    switch (it->size_width) {

    case 1:
        sizes += first;

        for (i = 0; i < n; i++) {
            out[i].size = sizes[i];
        }

        break;

    case 2:
        s16 = (const uint16_t *) sizes + first;

        for (i = 0; i < n; i++) {
            out[i].size = s16[i];
        }

        break;

    default:
        s32 = (const uint32_t *) sizes + first;

        for (i = 0; i < n; i++) {
            out[i].size = s32[i];
        }
    }
}
