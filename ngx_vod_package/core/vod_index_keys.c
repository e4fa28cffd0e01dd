/*
 * vod_index_keys.c: a video track's key frames read straight from the
 * index (vod_index_iframes()), for the I-frame playlists (vod_iframe.h).
 *
 * One forward pass over the sync sample table, the stts runs and the
 * segment cursors: its work is their sizes, never the sample count, so
 * a two-hour title's playlist costs its key frames, not its frames.
 *
 * And the build's look at a few of those key frames' bytes
 * (vod_idx_probe_keys()), which may find that they are not I-frames.
 */

#include "vod_index_int.h"
#include "vod_iframe.h"
#include "vod_codec.h"


/* what of a key frame vod_idx_probe_keys() reads: its parameter sets,
 * SEI and first slice header, past x264's version string */
#define VOD_IDX_KEY_PROBE  2048


int
vod_index_iframes(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info)
{
    int64_t                    start, prev;
    uint32_t                   i, n, s, seg, key, pos, run, left, size;
    uint32_t                   cpos, crun, cleft;
    uint64_t                   dts, end;
    const u_char              *sizes;
    const uint32_t            *stss;
    vod_iframe_t              *out;
    const vod_idx_stts_t      *stts;
    const vod_idx_ctts_t      *ctts;
    const vod_idx_track_t     *it;
    const vod_idx_cursor_t    *cur;
    const vod_idx_header_t    *hdr;

    hdr = (const vod_idx_header_t *) index;

    if (track >= hdr->track_count) {
        return VOD_NOT_FOUND;
    }

    it = (const vod_idx_track_t *) (index + hdr->track[track]);

    if (it->type != VOD_TRACK_VIDEO || it->segment_count == 0) {
        return VOD_NOT_FOUND;
    }

    /* without stss every sample is a key frame: the video itself is
     * I-frames only, and a list of them would cost 32 bytes a sample
     * that a few bytes of moov (one stts run, a constant size) claim;
     * with stss each entry costs the moov 4 bytes, the memory bound's
     * factor of 8 (vod_index.h) */
    if (!it->has_stss) {
        env->log(env, "iframes: no sync sample table, every frame is one");
        return VOD_UNSUPPORTED;
    }

    if (it->refresh_key != 0) {
        env->log(env, "iframes: sync sample %u is not a picture that "
                 "decodes alone (an intra refresh's recovery point): no "
                 "I-frame playlist", it->refresh_key);
        return VOD_UNSUPPORTED;
    }

    n = it->stss_count;

    if (n > VOD_IFRAME_MAX) {
        env->log(env, "iframes: %u key frames, more than %u", n,
                 (uint32_t) VOD_IFRAME_MAX);
        return VOD_UNSUPPORTED;
    }

    out = env->alloc(env, (size_t) n * sizeof(vod_iframe_t) + 1);
    if (out == NULL) {
        env->log(env, "iframes: allocation of %u key frames failed", n);
        return VOD_ERROR;
    }

    stts = (const vod_idx_stts_t *) (index + it->stts);
    stss = (const uint32_t *) (index + it->stss);
    sizes = it->sizes ? index + it->sizes : NULL;
    cur = (const vod_idx_cursor_t *) (index + it->cursors);

    /* the decode state of sample pos: its time, its stts run and the
     * samples left in the run, pos's own included; its ctts run alike,
     * from sample cpos */
    pos = cur[0].sample;
    dts = cur[0].dts;
    run = cur[0].stts_run;
    left = cur[0].stts_left;
    ctts = (const vod_idx_ctts_t *) (index + it->ctts);
    cpos = cur[0].sample;
    crun = cur[0].ctts_run;
    cleft = cur[0].ctts_left;
    prev = 0;

    seg = 0;
    key = 0;

    for (i = 0; i < n; i++) {
        s = stss[i];

        if (s < pos || s >= cur[it->segment_count].sample) {
            /* the build sorted and bounded stss: a blob that says
             * otherwise is not one it made */
            env->log(env, "iframes: sync sample %u out of order", s);
            return VOD_BAD_DATA;
        }

        while (s - pos >= left) {
            dts += (uint64_t) left * stts[run].delta;
            pos += left;

            if (++run >= it->stts_count) {
                env->log(env, "iframes: sync sample %u past stts", s);
                return VOD_BAD_DATA;
            }

            left = stts[run].count;
        }

        dts += (uint64_t) (s - pos) * stts[run].delta;
        left -= s - pos;
        pos = s;

        while (cur[seg + 1].sample <= s) {
            seg++;
            key = 0;
        }

        size = vod_idx_sample_size(it, sizes, s);

        /* when it is presented, as the segments' boundaries time it
         * (vod_idx_boundaries()): the first of a segment when the
         * segment starts, the first of all reaching back to the title's
         * start; whatever a hostile ctts says, in order */

        if (++key == 1) {
            start = (int64_t) cur[seg].time;

        } else if (it->ctts_flat) {
            start = (int64_t) dts + ((const int32_t *) ctts)[s];

        } else if (it->ctts_count == 0) {
            start = (int64_t) dts;

        } else {
            while (s - cpos >= cleft) {
                cpos += cleft;

                if (++crun >= it->ctts_count) {
                    env->log(env, "iframes: sync sample %u past ctts", s);
                    return VOD_BAD_DATA;
                }

                cleft = ctts[crun].count;
            }

            cleft -= s - cpos;
            cpos = s;
            start = (int64_t) dts + ctts[crun].offset;
        }

        start = (start < prev) ? prev : start;
        prev = start;

        out[i].time = (uint64_t) start;
        out[i].segment = seg;
        out[i].key = key;
        out[i].size = size;
    }

    /* each key frame lasts to the next one of its segment, the last of a
     * segment to the segment's end: the I-frame segment of
     * vod_iframe_pick() holds the same frames */

    for (i = 0; i < n; i++) {
        end = (i + 1 < n && out[i + 1].segment == out[i].segment)
              ? out[i + 1].time : cur[out[i].segment + 1].time;

        out[i].duration = (end > out[i].time) ? end - out[i].time : 0;
    }

    info->iframes = out;
    info->iframe_count = n;

    return VOD_OK;
}


/*
 * The build's look at the key frames of the title's video, the first
 * video track, which segments are cut at: the first samples of the
 * second segment, of two between and of the last one (up to four), all
 * sync samples, read from the file.
 * A muxer may mark an intra refresh's recovery points as sync samples
 * (FFmpeg's mov muxer does, of x264 --intra-refresh): segments start and
 * play there, but one alone is a picture half refreshed, not what an
 * I-frame playlist lists.  Four reads of 2 KB at most, whatever the
 * title's length; what the bytes cannot tell, or a read that fails (in
 * the event loop, one that would wait: the build is done again in a
 * thread), leaves the track as it was.  The probe never fails a build.
 */

void
vod_idx_probe_keys(vod_idx_ctx_t *ctx, u_char *blob)
{
    u_char                   buf[VOD_IDX_KEY_PROBE];
    size_t                   n;
    uint32_t                 i, k, seg, prev, chunk;
    uint64_t                 off;
    vod_env_t               *env;
    const u_char            *sizes;
    const uint32_t          *co32;
    const uint64_t          *co64;
    vod_idx_track_t         *it;
    vod_idx_header_t        *hdr;
    const vod_idx_cursor_t  *cur;

    env = ctx->env;
    hdr = (vod_idx_header_t *) blob;

    if (env->read == NULL) {
        return;
    }

    for (i = 0; i < ctx->track_count; i++) {
        if (ctx->tracks[i].type == VOD_TRACK_VIDEO) {
            break;
        }
    }

    if (i == ctx->track_count) {
        return;
    }

    it = (vod_idx_track_t *) (blob + hdr->track[i]);

    if ((it->codec != VOD_CODEC_AVC && it->codec != VOD_CODEC_HEVC)
        || !it->has_stss || it->stss_count < 2 || it->segment_count < 2)
    {
        return;
    }

    cur = (const vod_idx_cursor_t *) (blob + it->cursors);
    sizes = it->sizes ? blob + it->sizes : NULL;
    co32 = (const uint32_t *) (blob + it->chunks);
    co64 = (const uint64_t *) (blob + it->chunks);

    for (prev = 0, k = 0; k < 4; k++) {
        seg = (k == 0) ? 1
              : (k == 3) ? it->segment_count - 1
              : it->segment_count * k / 3;

        if (seg <= prev) {
            continue;
        }

        prev = seg;

        chunk = cur[seg].chunk;

        if (chunk >= it->chunk_count) {
            return;
        }

        off = (it->co64 ? co64[chunk] : co32[chunk]) + cur[seg].chunk_pos;
        n = vod_idx_sample_size(it, sizes, cur[seg].sample);

        if (n > sizeof(buf)) {
            n = sizeof(buf);
        }

        if (n == 0 || env->read(env, buf, n, (off_t) off) != (ssize_t) n) {
            return;
        }

        if (vod_codec_key_alone(it->codec, it->nal_length_size, buf, n)
            == 0)
        {
            it->refresh_key = cur[seg].sample + 1;
            return;
        }
    }
}
