/*
 * fuzz_mp4.c: libFuzzer target for the MP4 parser, the sample index and
 * the segmenters.
 *
 * The input is a whole file: find the moov, build the index, then read
 * every track's description and every segment, and package them all:
 * init segments, CMAF segment headers and data ranges, MPEG-TS segments,
 * HLS playlists and the DASH MPD.  Besides the sanitizers it
 * traps on a broken contract: an error without exactly one log line, a
 * success with any, memory beyond a bound proportional to the input, a
 * segment whose samples lie outside the file, or an MPEG-TS segment that
 * does not parse back into exactly its samples (ts_oracle.h), or MPEG-TS
 * segments of one track whose DTS are moved by different amounts.  Text
 * tracks' samples are made cues (vod_mp4text.c), under the same log
 * contract.  Fresh
 * allocations are poisoned, not zeroed, as nginx's pool memory: a field
 * read before it is set changes the output the oracle checks.
 */

#include <stdio.h>
#include <stdlib.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_fmp4.h"
#include "vod_ts.h"
#include "vod_manifest.h"
#include "vod_mp4text.h"
#include "ts_oracle.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_run(vod_env_t *env, fuzz_ctx_t *ctx, uint32_t segment_ms);
static void fuzz_package(vod_env_t *env, u_char *index, uint32_t segment_ms);
static void fuzz_text(vod_env_t *env, fuzz_ctx_t *ctx, u_char *index);


static void
fuzz_run(vod_env_t *env, fuzz_ctx_t *ctx, uint32_t segment_ms)
{
    int               rc;
    size_t            index_len;
    u_char           *moov, *index;
    uint32_t          i, s, j, n;
    uint64_t          moov_offset, moov_size, bytes, next_dts;
    vod_segment_t     seg;
    vod_track_info_t  info;

    ctx->log_lines = 0;

    rc = vod_mp4_find_moov(env, ctx->len, &moov_offset, &moov_size);
    if (rc != VOD_OK) {
        if (ctx->log_lines != 1) {
            __builtin_trap();
        }

        return;
    }

    moov = fuzz_alloc(env, moov_size);
    if (moov == NULL || fuzz_read(env, moov, moov_size, moov_offset) < 0) {
        __builtin_trap();
    }

    rc = vod_index_build(env, moov, moov_size, ctx->len, segment_ms, &index,
                         &index_len);

    if (rc != VOD_OK) {
        if (ctx->log_lines != 1) {
            __builtin_trap();
        }

        return;
    }

    /* a built index logs nothing, or the one line naming the tracks it
     * left out */
    if (ctx->log_lines > 1 || vod_index_check(index, index_len) != VOD_OK) {
        __builtin_trap();
    }

    n = vod_index_track_count(index);

    for (i = 0; i < n; i++) {
        if (vod_index_track_info(env, index, i, &info) != VOD_OK
            || info.seg_time[0] != 0
            || info.seg_time[info.segment_count] != info.duration)
        {
            __builtin_trap();
        }

        bytes = 0;
        next_dts = 0;

        for (s = 0; s < info.segment_count; s++) {
            /* decode times run on; the manifests' boundaries increase */
            /* (a text track may have none in a segment) */
            if (vod_index_segment(env, index, i, &info, s, &seg) != VOD_OK
                || (seg.count == 0 && info.type != VOD_TRACK_TEXT)
                || seg.start_dts != next_dts
                || info.seg_time[s + 1] < info.seg_time[s])
            {
                __builtin_trap();
            }

            next_dts = seg.start_dts + seg.duration;

            for (j = 0; j < seg.count; j++) {
                if (seg.samples[j].offset > ctx->len
                    || seg.samples[j].size
                       > ctx->len - seg.samples[j].offset)
                {
                    __builtin_trap();
                }
            }

            bytes += seg.data_size;
        }

        if (bytes != info.total_bytes
            || vod_index_segment(env, index, i, &info, s, &seg)
               != VOD_NOT_FOUND)
        {
            __builtin_trap();
        }
    }

    fuzz_package(env, index, segment_ms);
    fuzz_text(env, ctx, index);
}


/* every text track's samples, read from the input, made cues
 * (vod_mp4text.c): a refusal with exactly one log line, cues in order */

static void
fuzz_text(vod_env_t *env, fuzz_ctx_t *ctx, u_char *index)
{
    int                    rc;
    uint32_t               i, s, j, n, count;
    vod_vtt_t              vtt;
    vod_segment_t          seg;
    vod_track_info_t       info;
    vod_mp4text_sample_t  *t;

    n = vod_index_track_count(index);

    for (i = 0; i < n; i++) {
        if (vod_index_track_type(index, i) != VOD_TRACK_TEXT
            || vod_index_track_info(env, index, i, &info) != VOD_OK)
        {
            continue;
        }

        t = fuzz_alloc(env, (size_t) info.sample_count * sizeof(*t) + 1);
        if (t == NULL) {
            return;
        }

        count = 0;

        for (s = 0; s < info.segment_count; s++) {
            if (vod_index_segment(env, index, i, &info, s, &seg) != VOD_OK) {
                __builtin_trap();
            }

            for (j = 0; j < seg.count && count < info.sample_count; j++) {
                t[count].start = seg.start_dts;
                t[count].end = seg.start_dts + seg.samples[j].duration;
                seg.start_dts += seg.samples[j].duration;
                t[count].data = ctx->buf + seg.samples[j].offset;
                t[count].size = seg.samples[j].size;
                count++;
            }
        }

        ctx->log_lines = 0;

        rc = vod_mp4text_cues(env, info.codec, t, count, &vtt);

        if ((rc != VOD_OK && ctx->log_lines != 1)
            || (rc == VOD_OK && ctx->log_lines != 0))
        {
            __builtin_trap();
        }

        for (j = 1; rc == VOD_OK && j < vtt.count; j++) {
            if (vtt.cues[j].start < vtt.cues[j - 1].start
                || vtt.cues[j].end < vtt.cues[j].start)
            {
                __builtin_trap();
            }
        }
    }
}


/* the writers may refuse what the index accepted (a NAL length past its
 * sample, say), but never crash, and what they make adds up */

static void
fuzz_package(vod_env_t *env, u_char *index, uint32_t segment_ms)
{
    int                vt, at;
    char               err[256];
    int64_t            shift, first_shift;
    u_char            *out;
    size_t             len, step, done, wrote;
    uint32_t           i, s, n, count;
    vod_range_t       *ranges;
    vod_ts_mux_t      *mux;
    vod_title_t        title;
    vod_segment_t      seg, vseg, aseg;
    vod_rendition_t    rendition;
    vod_track_info_t   info[VOD_MAX_TRACKS], *v, *a;
    vod_track_info_t  *audios[VOD_MAX_TRACKS];

    n = vod_index_track_count(index);

    for (i = 0; i < n && i < VOD_MAX_TRACKS; i++) {
        if (vod_index_track_info(env, index, i, &info[i]) != VOD_OK) {
            __builtin_trap();
        }

        (void) vod_fmp4_init(env, &info[i], &out, &len);

        for (s = 0; s < info[i].segment_count; s++) {
            if (vod_index_segment(env, index, i, &info[i], s, &seg)
                != VOD_OK)
            {
                __builtin_trap();
            }

            if (vod_fmp4_segment_header(env, &seg, &out, &len) == VOD_OK
                && vod_r32(out + len - 8) != 8 + seg.data_size
                && vod_r32(out + len - 8) != 1)
            {
                __builtin_trap();
            }

            (void) vod_segment_ranges(env, &seg, &ranges, &count);
        }
    }

    vt = vod_index_find_track(index, VOD_TRACK_VIDEO);
    at = vod_index_find_track(index, VOD_TRACK_AUDIO);
    v = (vt >= 0) ? &info[vt] : NULL;
    a = (at >= 0) ? &info[at] : NULL;

    if ((v == NULL || vod_ts_supported(v))
        && (a == NULL || vod_ts_supported(a)))
    {
        count = (v != NULL) ? v->segment_count : a->segment_count;
        first_shift = -1;

        for (s = 0; s < count; s++) {
            if ((v != NULL
                 && vod_index_segment(env, index, vt, v, s, &vseg) != VOD_OK)
                || (a != NULL
                    && vod_index_segment(env, index, at, a, s, &aseg)
                       != VOD_OK))
            {
                __builtin_trap();
            }

            /* written in the smallest steps a server may use, the
             * segment comes to exactly the length announced, and parses
             * back into exactly the samples (ts_oracle.h) */
            if (vod_ts_open(env, (v != NULL) ? &vseg : NULL,
                            (a != NULL) ? &aseg : NULL, &mux, &len)
                == VOD_OK)
            {
                step = vod_ts_write_min(mux);
                out = malloc(len > 0 ? len : 1);

                if (len == 0 || len % 188 != 0 || out == NULL) {
                    __builtin_trap();
                }

                for (done = 0; done < len; done += wrote) {
                    wrote = vod_ts_write(mux, out + done,
                                         step < len - done
                                         ? step : len - done);

                    if (wrote == 0 || wrote % 188 != 0
                        || wrote > len - done)
                    {
                        __builtin_trap();
                    }
                }

                if (vod_ts_write(mux, out, len) != 0
                    || ts_oracle_check_shift(env, (v != NULL) ? &vseg : NULL,
                                             (a != NULL) ? &aseg : NULL,
                                             out, len, err, sizeof(err),
                                             &shift)
                       != 0)
                {
                    fprintf(stderr, "ts oracle, segment %u: %s\n", s + 1,
                            err);
                    __builtin_trap();
                }

                /* the segments join: one DTS timeline for the track */
                if (shift != -1 && first_shift != -1
                    && shift != first_shift)
                {
                    fprintf(stderr, "ts oracle, segment %u: DTS moved by "
                            "%lld, by %lld in an earlier segment\n", s + 1,
                            (long long) shift, (long long) first_shift);
                    __builtin_trap();
                }

                if (first_shift == -1) {
                    first_shift = shift;
                }

                free(out);
            }
        }
    }

    /* an AC-3 or E-AC-3 track alone, as audiots- segments carry it */

    if (a != NULL && vod_ts_audio_supported(a) && !vod_ts_supported(a)) {
        for (s = 0; s < a->segment_count; s++) {
            if (vod_index_segment(env, index, at, a, s, &aseg) != VOD_OK) {
                __builtin_trap();
            }

            if (vod_ts_segment(env, NULL, &aseg, &out, &len) == VOD_OK
                && ts_oracle_check_shift(env, NULL, &aseg, out, len, err,
                                         sizeof(err), &shift)
                   != 0)
            {
                fprintf(stderr, "ts oracle, audio segment %u: %s\n", s + 1,
                        err);
                __builtin_trap();
            }
        }
    }

    /* every audio track of the file, as the manifests take them */

    for (i = 0, count = 0; i < n && i < VOD_MAX_TRACKS; i++) {
        if (info[i].type == VOD_TRACK_AUDIO) {
            audios[count++] = &info[i];
        }
    }

    memset(&rendition, 0, sizeof(vod_rendition_t));
    rendition.id.data = (u_char *) "r";
    rendition.id.len = 1;
    rendition.video = v;
    rendition.audio = a;
    rendition.audios = audios;
    rendition.audio_count = count;

    memset(&title, 0, sizeof(vod_title_t));
    title.renditions = &rendition;
    title.count = 1;
    title.segment_ms = segment_ms;
    vod_title_pick_audio(&title);

    (void) vod_hls_master(env, &title, 0, &out, &len);
    (void) vod_hls_master(env, &title, 1, &out, &len);
    (void) vod_hls_media(env, &title, &rendition, 1, &out, &len);
    (void) vod_hls_media(env, &title, &rendition, 2, &out, &len);
    (void) vod_hls_media(env, &title, &rendition, 3, &out, &len);
    (void) vod_dash_mpd(env, &title, &out, &len);

    /* a further audio track's playlist */

    if (count > 1) {
        rendition.audio = audios[1];
        rendition.audio_id = audios[1]->track_id;
        (void) vod_hls_media(env, &title, &rendition, 2, &out, &len);
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    vod_env_t   env;
    fuzz_ctx_t  ctx;

    fuzz_env_init(&env, &ctx, data, size);

    /* every allocation is bounded by the input */
    ctx.limit = 64 * (uint64_t) size + 1024 * 1024;

    /* a long and a very short segment duration: the second makes a
     * boundary at nearly every key frame */
    fuzz_run(&env, &ctx, 4000);
    fuzz_run(&env, &ctx, 1 + (size & 0xff));

    fuzz_env_free(&ctx);

    return 0;
}
