/*
 * index_util.h: what the index's unit tests share (test_index_parse.c,
 * test_index_cut.c, test_index_build.c, test_index_query.c): a poisoning
 * env over a file in memory, builds that extract every segment, the
 * comparison with libavformat as an independent demuxer, the rewriting of
 * a fixture's moov (co64, 64-bit sizes, stz2, ctts v1, rechunked), and
 * crafted files for the memory bound.  Static functions: each test file
 * uses some of them.
 *
 * VOD_MEDIA names the directory tools/mkmedia.sh filled.
 */

#ifndef _INDEX_UTIL_H_INCLUDED_
#define _INDEX_UTIL_H_INCLUDED_


#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <cmocka.h>

#include <libavformat/avformat.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_mp4.h"


#define T_SEGMENT_MS  2000


typedef struct t_block_s  t_block_t;

struct t_block_s {
    t_block_t          *next;
    uint64_t            data[];
};


typedef struct {
    t_block_t          *blocks;
    const u_char       *file;         /* the file, in memory */
    size_t              file_len;
    size_t              allocated;
    unsigned            log_lines;
    int                 fill;         /* poison allocations, or -1 */
    char                last_log[512];
} t_ctx_t;


typedef struct {
    u_char             *index;
    size_t              index_len;
    uint64_t            moov_offset;
    uint64_t            moov_size;
} t_built_t;


/* one packet as libavformat sees it */
typedef struct {
    int64_t             pos;
    int64_t             dts;
    int64_t             pts;
    int64_t             duration;
    int                 size;
    int                 key;
} t_pkt_t;


typedef struct {
    int                 stream_id;
    uint32_t            count;
    t_pkt_t            *pkts;
    AVCodecParameters  *par;
} t_av_track_t;


typedef struct {
    AVFormatContext    *fmt;
    uint32_t            n;
    t_av_track_t        tracks[VOD_MAX_TRACKS];
} t_av_t;


static void *t_alloc(vod_env_t *env, size_t size);
static void t_log(vod_env_t *env, const char *fmt, ...);
static ssize_t t_read(vod_env_t *env, u_char *buf, size_t size,
    off_t offset);
static void t_env_init(vod_env_t *env, t_ctx_t *ctx, const u_char *file,
    size_t len);
static void t_env_free(t_ctx_t *ctx);
static u_char *t_load(const char *name, size_t *len);
static int t_build(vod_env_t *env, uint32_t segment_ms, t_built_t *b);
static int t_build_buf(const u_char *file, size_t len, uint32_t segment_ms,
    t_ctx_t *ctx);
static void t_av_open(const char *path, t_av_t *av);
static void t_av_close(t_av_t *av);
static t_av_track_t *t_av_track(t_av_t *av, uint32_t track_id);
static void t_check_file(const char *name, uint32_t segment_ms);
static void t_check_track(vod_env_t *env, t_built_t *b, uint32_t track,
    t_av_track_t *avt, vod_track_info_t *primary);
static void t_expect_cuts(vod_track_info_t *info, vod_segment_t *segs,
    t_av_track_t *avt, vod_track_info_t *primary, uint32_t segment_ms);
static u_char *t_find(u_char *moov, size_t len, const char *path);
static size_t t_rewrite(const u_char *p, size_t len, u_char *out,
    uint32_t flags);
static void t_hostile(const u_char *file, size_t len, const char *what);
static size_t t_rechunk(const u_char *p, size_t len, u_char *out,
    uint32_t flags);
static void t_samples_equal(const char *a_name, const u_char *a,
    size_t a_len, const u_char *b, size_t b_len, uint32_t empty);


static const char  *t_media;


static void *
t_alloc(vod_env_t *env, size_t size)
{
    t_ctx_t    *ctx;
    t_block_t  *b;

    ctx = env->data;

    b = malloc(sizeof(t_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = ctx->blocks;
    ctx->blocks = b;
    ctx->allocated += size;

    if (ctx->fill >= 0) {
        memset(b->data, ctx->fill, size);
    }

    return b->data;
}


static void
t_log(vod_env_t *env, const char *fmt, ...)
{
    va_list   args;
    t_ctx_t  *ctx;

    ctx = env->data;
    ctx->log_lines++;

    va_start(args, fmt);
    vsnprintf(ctx->last_log, sizeof(ctx->last_log), fmt, args);
    va_end(args);
}


static ssize_t
t_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    t_ctx_t  *ctx;

    ctx = env->data;

    if (offset < 0 || (size_t) offset > ctx->file_len
        || size > ctx->file_len - offset)
    {
        return -1;
    }

    memcpy(buf, ctx->file + offset, size);

    return (ssize_t) size;
}


static void
t_env_init(vod_env_t *env, t_ctx_t *ctx, const u_char *file, size_t len)
{
    memset(ctx, 0, sizeof(t_ctx_t));
    ctx->fill = -1;
    ctx->file = file;
    ctx->file_len = len;

    env->alloc = t_alloc;
    env->log = t_log;
    env->read = t_read;
    env->data = ctx;
}


static void
t_env_free(t_ctx_t *ctx)
{
    t_block_t  *b, *next;

    for (b = ctx->blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    ctx->blocks = NULL;
}


static u_char *
t_load(const char *name, size_t *len)
{
    long     n;
    FILE    *f;
    char     path[1024];
    u_char  *buf;

    snprintf(path, sizeof(path), "%s/%s", t_media, name);

    f = fopen(path, "rb");
    if (f == NULL) {
        fail_msg("cannot open %s", path);
    }

    fseek(f, 0, SEEK_END);
    n = ftell(f);
    fseek(f, 0, SEEK_SET);

    buf = malloc(n + 1);
    assert_non_null(buf);
    assert_int_equal(fread(buf, 1, n, f), n);
    fclose(f);

    *len = n;

    return buf;
}


static int
t_build(vod_env_t *env, uint32_t segment_ms, t_built_t *b)
{
    int       rc;
    u_char   *moov;
    t_ctx_t  *ctx;

    ctx = env->data;

    rc = vod_mp4_find_moov(env, ctx->file_len, &b->moov_offset,
                           &b->moov_size);
    if (rc != VOD_OK) {
        return rc;
    }

    moov = t_alloc(env, b->moov_size);
    assert_non_null(moov);

    if (env->read(env, moov, b->moov_size, b->moov_offset)
        != (ssize_t) b->moov_size)
    {
        return VOD_ERROR;
    }

    rc = vod_index_build(env, moov, b->moov_size, ctx->file_len, segment_ms,
                         &b->index, &b->index_len);
    if (rc != VOD_OK) {
        return rc;
    }

    assert_int_equal(vod_index_check(b->index, b->index_len), VOD_OK);

    return VOD_OK;
}


/* build, and on success extract every track and segment; check the log
 * discipline: exactly one line on failure, none on success, and
 * allocations bounded by the input */

static int
t_build_buf(const u_char *file, size_t len, uint32_t segment_ms,
    t_ctx_t *ctx)
{
    int               rc;
    uint32_t          i, s, n;
    vod_env_t         env;
    t_built_t         b;
    vod_segment_t     seg;
    vod_track_info_t  info;

    t_env_init(&env, ctx, file, len);

    rc = t_build(&env, segment_ms, &b);

    if (rc != VOD_OK) {
        if (ctx->log_lines != 1) {
            fail_msg("rc %d with %u log lines, last \"%s\"", rc,
                     ctx->log_lines, ctx->last_log);
        }

        t_env_free(ctx);
        return rc;
    }

    /* a built index logs nothing, or the one line naming the video and
     * audio tracks it left out */
    assert_true(ctx->log_lines <= 1);

    n = vod_index_track_count(b.index);

    for (i = 0; i < n; i++) {
        assert_int_equal(vod_index_track_info(&env, b.index, i, &info),
                         VOD_OK);

        for (s = 0; s < info.segment_count; s++) {
            assert_int_equal(vod_index_segment(&env, b.index, i, &info, s,
                                               &seg), VOD_OK);
            assert_true(seg.count > 0);
        }
    }

    assert_true(ctx->allocated <= 64 * len + 65536);

    t_env_free(ctx);

    return rc;
}


static void
t_av_open(const char *path, t_av_t *av)
{
    int            i;
    AVPacket      *pkt;
    t_av_track_t  *t;

    memset(av, 0, sizeof(t_av_t));

    assert_int_equal(avformat_open_input(&av->fmt, path, NULL, NULL), 0);
    assert_true(avformat_find_stream_info(av->fmt, NULL) >= 0);
    assert_true(av->fmt->nb_streams <= VOD_MAX_TRACKS);

    for (i = 0; i < (int) av->fmt->nb_streams; i++) {
        t = &av->tracks[i];
        t->stream_id = av->fmt->streams[i]->id;
        t->par = av->fmt->streams[i]->codecpar;
        t->pkts = calloc(av->fmt->streams[i]->nb_frames + 16,
                         sizeof(t_pkt_t));
        assert_non_null(t->pkts);
    }

    av->n = av->fmt->nb_streams;

    pkt = av_packet_alloc();
    assert_non_null(pkt);

    while (av_read_frame(av->fmt, pkt) >= 0) {
        t = &av->tracks[pkt->stream_index];

        assert_true(t->count
                    < av->fmt->streams[pkt->stream_index]->nb_frames + 16);

        t->pkts[t->count].pos = pkt->pos;
        t->pkts[t->count].dts = pkt->dts;
        t->pkts[t->count].pts = pkt->pts;
        t->pkts[t->count].duration = pkt->duration;
        t->pkts[t->count].size = pkt->size;
        t->pkts[t->count].key = (pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0;
        t->count++;

        av_packet_unref(pkt);
    }

    av_packet_free(&pkt);
}


static void
t_av_close(t_av_t *av)
{
    uint32_t  i;

    for (i = 0; i < av->n; i++) {
        free(av->tracks[i].pkts);
    }

    avformat_close_input(&av->fmt);
}


static t_av_track_t *
t_av_track(t_av_t *av, uint32_t track_id)
{
    uint32_t  i;

    for (i = 0; i < av->n; i++) {
        if ((uint32_t) av->tracks[i].stream_id == track_id) {
            return &av->tracks[i];
        }
    }

    fail_msg("libavformat has no stream with track id %u", track_id);

    return NULL;
}


static void
t_check_file(const char *name, uint32_t segment_ms)
{
    int               v;
    char              path[1024];
    size_t            len;
    u_char           *file;
    t_av_t            av;
    t_ctx_t           ctx;
    uint32_t          i, n;
    vod_env_t         env;
    t_built_t         b;
    vod_track_info_t  primary;

    snprintf(path, sizeof(path), "%s/%s", t_media, name);

    file = t_load(name, &len);
    t_env_init(&env, &ctx, file, len);

    assert_int_equal(t_build(&env, segment_ms, &b), VOD_OK);
    assert_int_equal(ctx.log_lines, 0);

    /* the goal: the index is no larger than the moov it was built from,
     * give or take its fixed header for tiny files */
    assert_true(b.index_len <= b.moov_size + 512);

    t_av_open(path, &av);

    n = vod_index_track_count(b.index);
    assert_true(n >= 1);

    v = vod_index_find_track(b.index, VOD_TRACK_VIDEO);
    assert_int_equal(vod_index_track_info(&env, b.index,
                                          v >= 0 ? (uint32_t) v : 0,
                                          &primary), VOD_OK);

    for (i = 0; i < n; i++) {
        t_check_track(&env, &b, i, NULL, &primary);
    }

    for (i = 0; i < n; i++) {
        vod_track_info_t  info;

        assert_int_equal(vod_index_track_info(&env, b.index, i, &info),
                         VOD_OK);
        t_check_track(&env, &b, i, t_av_track(&av, info.track_id),
                      &primary);
    }

    t_av_close(&av);
    t_env_free(&ctx);
    free(file);
}


static void
t_check_track(vod_env_t *env, t_built_t *b, uint32_t track,
    t_av_track_t *avt, vod_track_info_t *primary)
{
    int64_t           pts, dts_shift, pts_shift, min_pts;
    uint32_t          s, i, k, level;
    uint64_t          dts, bytes, peak, rate;
    t_ctx_t          *ctx;
    vod_sample_t     *sm;
    vod_segment_t    *segs;
    vod_track_info_t  info;

    ctx = env->data;

    assert_int_equal(vod_index_track_info(env, b->index, track, &info),
                     VOD_OK);

    if (avt == NULL) {
        return;
    }

    assert_int_equal(info.segment_count, primary->segment_count);
    assert_true(info.segment_count >= 1);
    assert_int_equal(info.seg_time[0], 0);
    assert_int_equal(info.seg_time[info.segment_count], info.duration);

    segs = calloc(info.segment_count, sizeof(vod_segment_t));
    assert_non_null(segs);

    /* every sample, segment after segment, against libavformat's packets */

    k = 0;
    dts = 0;
    bytes = 0;
    peak = 0;
    min_pts = INT64_MAX;
    dts_shift = 0;
    pts_shift = 0;

    for (s = 0; s < info.segment_count; s++) {
        assert_int_equal(vod_index_segment(env, b->index, track, &info, s,
                                           &segs[s]), VOD_OK);

        assert_ptr_equal(segs[s].track, &info);
        assert_int_equal(segs[s].index, s);
        assert_true(segs[s].count > 0);

        /* decode times run on from segment to segment; the boundaries
         * the manifests give are when each segment's first sample (a
         * video's key frame) is presented, the first one's 0: see
         * vod_idx_boundaries() */

        assert_int_equal(segs[s].start_dts,
                         s == 0 ? 0 : segs[s - 1].start_dts
                                      + segs[s - 1].duration);

        if (s == 0) {
            assert_int_equal(info.seg_time[s], 0);

        } else {
            assert_true(info.type != VOD_TRACK_VIDEO
                        || segs[s].samples[0].sync);
            assert_int_equal(info.seg_time[s],
                             (int64_t) segs[s].start_dts
                             + segs[s].samples[0].pts_delay);
        }

        /* the peak over the durations the manifests give */
        rate = segs[s].data_size * 8 * info.timescale
               / (info.seg_time[s + 1] - info.seg_time[s]);
        peak = rate > peak ? rate : peak;

        for (i = 0; i < segs[s].count; i++, k++) {
            sm = &segs[s].samples[i];

            assert_true(k < avt->count);

            if (sm->offset != (uint64_t) avt->pkts[k].pos
                || sm->size != (uint32_t) avt->pkts[k].size
                || sm->sync != (uint32_t) avt->pkts[k].key
                || sm->duration != avt->pkts[k].duration)
            {
                fail_msg("track %u sample %u: offset %llu/%lld size %u/%d "
                         "sync %u/%d duration %u/%lld", info.track_id, k,
                         (unsigned long long) sm->offset,
                         (long long) avt->pkts[k].pos, sm->size,
                         avt->pkts[k].size, sm->sync, avt->pkts[k].key,
                         sm->duration, (long long) avt->pkts[k].duration);
            }

            /* libavformat shifts timestamps by the edit list; the
             * differences from ours must be the same for every sample */

            pts = (int64_t) dts + sm->pts_delay;

            if (k == 0) {
                dts_shift = avt->pkts[k].dts - (int64_t) dts;
                pts_shift = avt->pkts[k].pts - pts;
            }

            assert_int_equal(avt->pkts[k].dts - (int64_t) dts, dts_shift);
            assert_int_equal(avt->pkts[k].pts - pts, pts_shift);

            if (i == 0) {
                assert_int_equal(dts, segs[s].start_dts);
            }

            min_pts = (pts >= 0 && pts < min_pts) ? pts : min_pts;
            dts += sm->duration;
            bytes += sm->size;
        }
    }

    assert_int_equal(k, avt->count);
    assert_int_equal(k, info.sample_count);
    /* the track ends its samples' durations after its first sample is
     * presented: AAC's priming (presented before 0) not counted */
    assert_int_equal(info.duration,
                     (int64_t) dts + segs[0].samples[0].pts_delay);
    assert_int_equal(bytes, info.total_bytes);
    assert_int_equal(peak, info.peak_bitrate);
    assert_int_equal(info.avg_bitrate,
                     bytes * 8 * info.timescale / info.duration);
    assert_true(info.avg_bitrate <= info.peak_bitrate);

    /* the edit list applied: the first presented sample is at pts 0 */
    assert_int_equal(min_pts, 0);

    /* libavformat presents the same first sample at its own 0 */
    assert_int_equal(pts_shift, 0);

    /* the description */

    if (info.type == VOD_TRACK_VIDEO) {
        assert_int_equal(info.width, avt->par->width);
        assert_int_equal(info.height, avt->par->height);
        assert_int_equal(info.nal_length_size, 4);

        if (info.codec == VOD_CODEC_AVC) {
            char  expect[48];

            assert_int_equal(avt->par->codec_id, AV_CODEC_ID_H264);
            snprintf(expect, sizeof(expect), "avc1.%02x%02x%02x",
                     avt->par->extradata[1], avt->par->extradata[2],
                     avt->par->extradata[3]);
            assert_string_equal(info.codec_str, expect);
            assert_int_equal(avt->par->profile, 100);
            assert_memory_equal(info.codec_str, "avc1.64", 7);

        } else {
            assert_int_equal(avt->par->codec_id, AV_CODEC_ID_HEVC);
            assert_int_equal(avt->par->profile, 1);
            assert_memory_equal(info.codec_str, "hvc1.1.6.L", 10);
            level = (uint32_t) atoi(info.codec_str + 10);
            assert_int_equal(level, avt->par->level);
        }

        assert_int_equal(info.dec_config_len, avt->par->extradata_size);
        assert_memory_equal(info.dec_config, avt->par->extradata,
                            info.dec_config_len);

    } else {
        assert_int_equal(avt->par->codec_id, AV_CODEC_ID_AAC);
        assert_int_equal(info.sample_rate, avt->par->sample_rate);
        assert_int_equal(info.channels,
                         avt->par->ch_layout.nb_channels);
        assert_int_equal(info.aac_object_type, avt->par->profile + 1);
        assert_string_equal(info.codec_str, "mp4a.40.2");
        assert_int_equal(info.dec_config_len, avt->par->extradata_size);
        assert_memory_equal(info.dec_config, avt->par->extradata,
                            info.dec_config_len);
    }

    assert_string_equal(info.lang, "und");
    assert_true(info.sample_entry_len > 8);
    assert_int_equal(vod_r32(info.sample_entry), info.sample_entry_len);

    t_expect_cuts(&info, segs, avt, primary, T_SEGMENT_MS);

    free(segs);
    (void) ctx;
}


/* the segmentation rule, recomputed from libavformat's packets; the
 * primary track comes first and leaves its boundary times here */

#define T_MAX_CUTS  4096

static int64_t  t_primary_at[T_MAX_CUTS];


static void
t_expect_cuts(vod_track_info_t *info, vod_segment_t *segs, t_av_track_t *avt,
    vod_track_info_t *primary, uint32_t segment_ms)
{
    int64_t   d, t, at, first, prev, unit, k;
    uint32_t  s, j, prev_j;

    if (segment_ms != T_SEGMENT_MS) {
        return;
    }

    first = avt->pkts[0].dts;
    unit = (int64_t) segment_ms * info->timescale;
    prev = 0;
    prev_j = 0;
    j = 0;

    for (s = 0; s < info->segment_count; s++) {
        /* the packet where segment s starts */
        while (j < avt->count
               && (uint64_t) (avt->pkts[j].dts - first) < segs[s].start_dts)
        {
            j++;
        }

        assert_true(j < avt->count);
        d = avt->pkts[j].dts - first;
        assert_int_equal(d, segs[s].start_dts);

        if (s == 0) {
            continue;
        }

        if (info->track_id == primary->track_id) {
            /* the first key frame presented at or after the next multiple
             * of segment_ms after the previous boundary; our pts are
             * libavformat's, which applies the edit list the same way */
            k = prev * 1000 / unit + 1;
            at = (info->type == VOD_TRACK_VIDEO) ? avt->pkts[j].pts : d;

            assert_true(avt->pkts[j].key);
            assert_true(at * 1000 >= k * unit);

            /* no earlier key frame of this segment presented at or after
             * that multiple */
            for (t = (int64_t) j - 1; t > (int64_t) prev_j; t--) {
                if (avt->pkts[t].key) {
                    assert_true(avt->pkts[t].pts * 1000 < k * unit);
                }
            }

            prev = at;
            prev_j = j;
            assert_true(s < T_MAX_CUTS);
            t_primary_at[s] = prev;

        } else {
            /* other tracks: the first sample at or after the primary's
             * boundary time, its key frame's presentation time */
            assert_true(s < T_MAX_CUTS);
            t = t_primary_at[s];

            assert_true(d * (int64_t) primary->timescale
                        >= t * (int64_t) info->timescale);
            assert_true((avt->pkts[j - 1].dts - first)
                        * (int64_t) primary->timescale
                        < t * (int64_t) info->timescale);
        }
    }
}


/* the moov of a path like "moov/trak[1]/mdia/minf/stbl/stsz", payload */

static u_char *
t_find(u_char *moov, size_t len, const char *path)
{
    int             nth;
    char            name[5];
    t_ctx_t         ctx;
    vod_env_t       env;
    const char     *p;
    const u_char   *pos, *end;
    vod_mp4_box_t   box;

    t_env_init(&env, &ctx, NULL, 0);

    pos = moov;
    end = moov + len;
    p = path;

    for ( ;; ) {
        memcpy(name, p, 4);
        name[4] = '\0';
        p += 4;
        nth = 0;

        if (*p == '[') {
            nth = atoi(p + 1);
            p = strchr(p, ']') + 1;
        }

        for ( ;; ) {
            if (vod_mp4_next_box(&env, &pos, end, &box) != VOD_OK) {
                return NULL;
            }

            if (box.type == vod_r32((u_char *) name) && nth-- == 0) {
                break;
            }
        }

        if (*p == '\0') {
            return (u_char *) box.start;
        }

        p++;

        pos = box.data;
        end = box.data + box.size;

        if (box.type == vod_mp4_tag('s', 't', 's', 'd')) {
            pos += 8;
        }
    }
}


#define T_RW_CO64     0x01            /* stco -> co64 */
#define T_RW_LARGE    0x02            /* 64-bit sizes on containers */
#define T_RW_STZ2     0x04            /* stsz -> stz2 16-bit if it fits */
#define T_RW_CTTS1    0x08            /* ctts v1 minus media_time, elst 0 */
#define T_RW_EMPTY    0x10            /* an empty edit before the first */
#define T_RW_CHUNKS   0x20            /* stsc and stco, see t_rechunk() */
#define T_RW_VFR      0x40            /* stts: every sample's own duration,
                                         one tick short, one over, ... */
#define T_RW_NOCTTS   0x80            /* the ctts dropped */

/* rewrite a box list; returns the bytes written */

static size_t
t_rewrite(const u_char *p, size_t len, u_char *out, uint32_t flags)
{
    size_t          n, i, cnt, hl;
    u_char         *o, *q;
    uint32_t        type, size, shift, v;
    const u_char   *end, *d;

    static uint32_t  media_time, has_ctts;

    o = out;
    end = p + len;

    while (p < end) {
        size = vod_r32(p);
        type = vod_r32(p + 4);
        assert_true(size >= 8);
        d = p + 8;
        n = size - 8;
        q = o;

        switch (type) {

        case vod_mp4_tag('m', 'o', 'o', 'v'):
        case vod_mp4_tag('t', 'r', 'a', 'k'):
        case vod_mp4_tag('m', 'd', 'i', 'a'):
        case vod_mp4_tag('m', 'i', 'n', 'f'):
        case vod_mp4_tag('s', 't', 'b', 'l'):
        case vod_mp4_tag('e', 'd', 't', 's'):
            hl = (flags & T_RW_LARGE) ? 16 : 8;
            memcpy(o + 4, p + 4, 4);

            if (type == vod_mp4_tag('t', 'r', 'a', 'k')) {
                media_time = 0;
                has_ctts = (memmem(d, n, "ctts", 4) != NULL);
            }

            if (type == vod_mp4_tag('s', 't', 'b', 'l')
                && (flags & T_RW_CHUNKS))
            {
                n = t_rechunk(d, n, o + hl, flags) + hl;

            } else {
                n = t_rewrite(d, n, o + hl, flags) + hl;
            }

            if (hl == 16) {
                o[0] = 0; o[1] = 0; o[2] = 0; o[3] = 1;
                q = o + 8;
                vod_w64(q, n);

            } else {
                q = o;
                vod_w32(q, n);
            }

            o += n;
            break;

        case vod_mp4_tag('e', 'l', 's', 't'):
            memcpy(o, p, size);
            media_time = vod_r32(d + 12);

            if ((flags & T_RW_CTTS1) && has_ctts) {
                q = o + 20;
                vod_w32(q, 0);
            }

            if (flags & T_RW_EMPTY) {
                /* v0 entry: 1000 ticks of nothing, then the edit */
                memcpy(o + 16 + 12, o + 16, 12);
                q = o + 16;
                vod_w32(q, 1000);
                vod_w32(q, 0xffffffff);
                vod_w32(q, 0x00010000);
                q = o + 12;
                vod_w32(q, vod_r32(d + 4) + 1);
                q = o;
                vod_w32(q, size + 12);
                o += size + 12;
                break;
            }

            o += size;
            break;

        case vod_mp4_tag('s', 't', 't', 's'):
            if (!(flags & T_RW_VFR)) {
                memcpy(o, p, size);
                o += size;
                break;
            }

            /* each run of delta > 1 becomes one entry per sample, delta
             * - 1 and delta + 1 in turn (an odd run ends on delta) */

            q = o + 16;
            v = 0;

            for (i = 0; i < vod_r32(d + 4); i++) {
                cnt = vod_r32(d + 8 + 8 * i);
                shift = vod_r32(d + 12 + 8 * i);

                if (shift < 2) {
                    vod_w32(q, cnt);
                    vod_w32(q, shift);
                    v++;
                    continue;
                }

                for (n = 0; n < cnt; n++) {
                    vod_w32(q, 1);
                    vod_w32(q, (n + 1 == cnt && (cnt & 1)) ? shift
                               : ((n & 1) ? shift + 1 : shift - 1));
                    v++;
                }
            }

            n = q - o;
            q = o;
            vod_w32(q, n);
            vod_wtag(q, "stts");
            vod_w32(q, 0);
            vod_w32(q, v);
            o += n;
            break;

        case vod_mp4_tag('c', 't', 't', 's'):
            if (flags & T_RW_NOCTTS) {
                break;
            }

            memcpy(o, p, size);

            if (flags & T_RW_CTTS1) {
                o[8] = 1;
                cnt = vod_r32(d + 4);

                for (i = 0; i < cnt; i++) {
                    q = o + 16 + 8 * i + 4;
                    vod_w32(q, (int32_t) vod_r32(d + 8 + 8 * i + 4)
                               - (int32_t) media_time);
                }
            }

            o += size;
            break;

        case vod_mp4_tag('s', 't', 'c', 'o'):
            if (!(flags & T_RW_CO64)) {
                memcpy(o, p, size);
                o += size;
                break;
            }

            cnt = vod_r32(d + 4);
            q = o;
            vod_w32(q, 16 + 8 * cnt);
            vod_wtag(q, "co64");
            vod_w32(q, 0);
            vod_w32(q, cnt);

            for (i = 0; i < cnt; i++) {
                vod_w64(q, (uint64_t) vod_r32(d + 8 + 4 * i));
            }

            o = q;
            break;

        case vod_mp4_tag('s', 't', 's', 'z'):
            cnt = vod_r32(d + 8);
            shift = (vod_r32(d + 4) == 0) ? 1 : 0;

            for (i = 0; shift && i < cnt; i++) {
                if (vod_r32(d + 12 + 4 * i) > 0xffff) {
                    shift = 0;
                }
            }

            if (!(flags & T_RW_STZ2) || !shift) {
                memcpy(o, p, size);
                o += size;
                break;
            }

            q = o;
            vod_w32(q, 20 + 2 * cnt);
            vod_wtag(q, "stz2");
            vod_w32(q, 0);
            vod_w32(q, 16);
            vod_w32(q, cnt);

            for (i = 0; i < cnt; i++) {
                v = vod_r32(d + 12 + 4 * i);
                vod_w16(q, v);
            }

            o = q;
            break;

        default:
            memcpy(o, p, size);
            o += size;
        }

        p += size;
    }

    return o - out;
}


/*
 * An stbl's samples in new chunks of 1, 2, 3, 1, 1, 5, ... samples (a
 * chunk also ends where the samples stop being contiguous in the file),
 * an empty chunk pointing past the end of the file after every seventh,
 * and a last chunk whose run claims more samples than are left; the stco
 * becomes a co64 with T_RW_CO64.  Every other box is copied.
 */

static size_t
t_rechunk(const u_char *p, size_t len, u_char *out, uint32_t flags)
{
    u_char         *o, *q, *stsc, *stco, *stsz;
    uint32_t        i, j, s, c, n, nc, nr, spc, prev, cur, k, size, last;
    uint32_t       *sizes, *counts;
    uint64_t       *offs, *coffs, off;
    const u_char   *end;

    static const uint32_t  pattern[] = { 1, 2, 3, 1, 1, 5, 2, 2, 8, 1, 4 };

    stsc = t_find((u_char *) p, len, "stsc");
    stco = t_find((u_char *) p, len, "stco");
    stsz = t_find((u_char *) p, len, "stsz");
    assert_non_null(stsc);
    assert_non_null(stco);
    assert_non_null(stsz);

    n = vod_r32(stsz + 16);
    sizes = malloc((n + 1) * sizeof(uint32_t));
    offs = malloc((n + 1) * sizeof(uint64_t));
    coffs = malloc((2 * n + 2) * sizeof(uint64_t));
    counts = malloc((2 * n + 2) * sizeof(uint32_t));
    assert_non_null(sizes);
    assert_non_null(offs);
    assert_non_null(coffs);
    assert_non_null(counts);

    for (s = 0; s < n; s++) {
        sizes[s] = vod_r32(stsz + 12) ? vod_r32(stsz + 12)
                                      : vod_r32(stsz + 20 + 4 * s);
    }

    /* every sample's offset, by the original chunks */

    nr = vod_r32(stsc + 12);
    s = 0;

    for (i = 0; i < nr; i++) {
        c = vod_r32(stsc + 16 + 12 * i) - 1;
        last = (i + 1 < nr) ? vod_r32(stsc + 16 + 12 * (i + 1)) - 1
                            : vod_r32(stco + 12);
        spc = vod_r32(stsc + 16 + 12 * i + 4);

        for ( /* void */ ; c < last; c++) {
            off = vod_r32(stco + 16 + 4 * c);

            for (j = 0; j < spc && s < n; j++, s++) {
                offs[s] = off;
                off += sizes[s];
            }
        }
    }

    assert_int_equal(s, n);

    /* the new chunks */

    nc = 0;
    cur = 0;
    k = 0;

    for (s = 0; s < n; s++) {
        if (s == 0 || cur == pattern[k % 11]
            || offs[s] != offs[s - 1] + sizes[s - 1])
        {
            if (s > 0 && nc % 7 == 6) {
                coffs[nc] = 0xfffffff0;
                counts[nc] = 0;
                nc++;
            }

            k++;
            coffs[nc] = offs[s];
            counts[nc] = 0;
            nc++;
            cur = 0;
        }

        counts[nc - 1]++;
        cur++;
    }

    counts[nc - 1] += 3;

    /* the other boxes, then stsc and stco */

    o = out;
    end = p + len;

    while (p < end) {
        size = vod_r32(p);

        if (p != stsc && p != stco) {
            memcpy(o, p, size);
            o += size;
        }

        p += size;
    }

    q = o + 16;
    prev = 0;
    nr = 0;

    for (c = 0; c < nc; c++) {
        if (c == 0 || counts[c] != prev) {
            vod_w32(q, c + 1);
            vod_w32(q, counts[c]);
            vod_w32(q, 1);
            prev = counts[c];
            nr++;
        }
    }

    q = o;
    vod_w32(q, 16 + 12 * nr);
    vod_wtag(q, "stsc");
    vod_w32(q, 0);
    vod_w32(q, nr);
    o += 16 + 12 * nr;

    q = o;
    vod_w32(q, 16 + nc * ((flags & T_RW_CO64) ? 8 : 4));
    vod_wtag(q, (flags & T_RW_CO64) ? "co64" : "stco");
    vod_w32(q, 0);
    vod_w32(q, nc);

    for (c = 0; c < nc; c++) {
        if (flags & T_RW_CO64) {
            vod_w64(q, coffs[c]);

        } else {
            vod_w32(q, coffs[c]);
        }
    }

    o = q;

    free(sizes);
    free(offs);
    free(coffs);
    free(counts);

    return o - out;
}


/*
 * a and b index to the same samples; b's tracks each have an empty edit
 * of empty ticks of the movie's clock (mvhd) before their first edit
 * (T_RW_EMPTY), which delays what they present and their segments' ends
 * by that much in their own timescales (the first segment starts at 0
 * still)
 */

static void
t_samples_equal(const char *a_name, const u_char *a, size_t a_len,
    const u_char *b, size_t b_len, uint32_t empty)
{
    int               lo, hi;
    t_ctx_t           ca, cb;
    int32_t           d;
    uint32_t          i, s, n, k, movie;
    u_char           *mvhd;
    uint64_t          moov_off, moov_size;
    vod_env_t         ea, eb;
    t_built_t         ba, bb;
    vod_segment_t     sa, sb;
    vod_track_info_t  ia, ib;

    t_env_init(&ea, &ca, a, a_len);
    t_env_init(&eb, &cb, b, b_len);

    movie = 0;

    if (empty != 0) {
        assert_int_equal(vod_mp4_find_moov(&eb, b_len, &moov_off,
                                           &moov_size), VOD_OK);
        mvhd = t_find((u_char *) b + moov_off, moov_size, "moov/mvhd");
        assert_non_null(mvhd);
        assert_int_equal(mvhd[8], 0);
        movie = vod_r32(mvhd + 20);
        assert_true(movie != 0);
    }

    assert_int_equal(t_build(&ea, T_SEGMENT_MS, &ba), VOD_OK);

    if (t_build(&eb, T_SEGMENT_MS, &bb) != VOD_OK) {
        fail_msg("%s: %s", a_name, cb.last_log);
    }

    n = vod_index_track_count(ba.index);
    assert_int_equal(vod_index_track_count(bb.index), n);

    for (i = 0; i < n; i++) {
        assert_int_equal(vod_index_track_info(&ea, ba.index, i, &ia), VOD_OK);
        assert_int_equal(vod_index_track_info(&eb, bb.index, i, &ib), VOD_OK);
        assert_int_equal(ia.segment_count, ib.segment_count);
        assert_int_equal(ia.total_bytes, ib.total_bytes);
        assert_string_equal(ia.codec_str, ib.codec_str);

        d = (movie == 0) ? 0
            : (int32_t) (((uint64_t) empty * ia.timescale + movie / 2)
                         / movie);

        assert_int_equal(ib.duration, ia.duration + d);
        assert_int_equal(ib.seg_time[0], ia.seg_time[0]);

        for (s = 1; s <= ia.segment_count; s++) {
            assert_int_equal(ib.seg_time[s], ia.seg_time[s] + d);
        }

        /* a version 1 ctts (negative offsets, no edit list) gives the
         * same range of offsets as version 0 and the edit list */
        assert_int_equal(ia.min_pts_delay + d, ib.min_pts_delay);
        assert_int_equal(ia.max_pts_delay + d, ib.max_pts_delay);
        lo = 0;
        hi = 0;

        for (s = 0; s < ia.segment_count; s++) {
            assert_int_equal(vod_index_segment(&ea, ba.index, i, &ia, s, &sa),
                             VOD_OK);
            assert_int_equal(vod_index_segment(&eb, bb.index, i, &ib, s, &sb),
                             VOD_OK);
            assert_int_equal(sa.count, sb.count);
            assert_int_equal(sa.start_dts, sb.start_dts);

            for (k = 0; k < sa.count; k++) {
                sa.samples[k].pts_delay += d;
            }

            if (memcmp(sa.samples, sb.samples,
                       sa.count * sizeof(vod_sample_t)) != 0)
            {
                fail_msg("%s: track %u segment %u samples differ", a_name,
                         i, s);
            }

            for (k = 0; k < sb.count; k++) {
                assert_true(sb.samples[k].pts_delay >= ib.min_pts_delay);
                assert_true(sb.samples[k].pts_delay <= ib.max_pts_delay);
                lo |= (sb.samples[k].pts_delay == ib.min_pts_delay);
                hi |= (sb.samples[k].pts_delay == ib.max_pts_delay);
            }
        }

        assert_true(lo && hi);
    }

    t_env_free(&ca);
    t_env_free(&cb);
}


/* a ctts with long runs is kept run-length (a B-frame ctts is stored per
 * sample, being smaller so); the walk crosses runs inside segments */

/* every sample of track 0, segment after segment */

static vod_sample_t *
t_all_samples(vod_env_t *env, u_char *index, vod_track_info_t *info)
{
    int             lo, hi;
    uint32_t        s, k;
    vod_sample_t   *all;
    vod_segment_t   seg;

    lo = 0;
    hi = 0;
    all = malloc(info->sample_count * sizeof(vod_sample_t));
    assert_non_null(all);
    k = 0;

    for (s = 0; s < info->segment_count; s++) {
        assert_int_equal(vod_index_segment(env, index, 0, info, s, &seg),
                         VOD_OK);
        assert_true(k + seg.count <= info->sample_count);
        memcpy(all + k, seg.samples, seg.count * sizeof(vod_sample_t));
        k += seg.count;
    }

    assert_int_equal(k, info->sample_count);

    /* the track's range of offsets is the samples' (vod_ts.c moves the
     * whole track's decode times by it) */
    for (k = 0; k < info->sample_count; k++) {
        assert_true(all[k].pts_delay >= info->min_pts_delay);
        assert_true(all[k].pts_delay <= info->max_pts_delay);
        lo |= (all[k].pts_delay == info->min_pts_delay);
        hi |= (all[k].pts_delay == info->max_pts_delay);
    }

    assert_true(info->sample_count == 0 || (lo && hi));

    return all;
}


/* hostile inputs: any result but a crash; one log line on failure */

static void
t_hostile(const u_char *file, size_t len, const char *what)
{
    t_ctx_t  ctx;

    (void) t_build_buf(file, len, T_SEGMENT_MS, &ctx);
    (void) t_build_buf(file, len, 1, &ctx);
    (void) what;
}


/*
 * Crafted files for the memory and time bounds of the build
 * (vod_index.h): mdat first, then a moov of AAC tracks whose tables say
 * what a test wants in few bytes.  Every track's one stsz, stts, stsc and
 * stco describe `samples` samples of `delta` ticks at 1000 Hz, in
 * `chunks` chunks at the mdat's start, each of `size` bytes (0: the stsz
 * lists one byte per sample).
 */

typedef struct {
    u_char             *p;
    size_t              len;
} t_buf_t;


typedef struct {
    uint32_t            tracks;
    uint32_t            samples;
    uint32_t            delta;
    uint32_t            size;
    uint32_t            chunks;
    uint32_t            stts_claim;   /* stts entry count, if not 0 */
    uint32_t            mdat;         /* bytes of mdat payload */
} t_craft_t;


static void
t_put(t_buf_t *b, uint32_t v, size_t n)
{
    /* n may exceed 4 for a run of zeros */
    while (n-- != 0) {
        b->p[b->len++] = (n < 4) ? (u_char) (v >> (8 * n)) : 0;
    }
}


static size_t
t_open(t_buf_t *b, const char *type)
{
    size_t  at;

    at = b->len;
    t_put(b, 0, 4);
    memcpy(b->p + b->len, type, 4);
    b->len += 4;

    return at;
}


static void
t_close(t_buf_t *b, size_t at)
{
    u_char  *q;

    q = b->p + at;
    vod_w32(q, b->len - at);
}


static u_char *
t_craft(t_craft_t *c, size_t *len, size_t *moov_len)
{
    size_t    moov, trak, mdia, minf, stbl, box, es, at;
    uint32_t  i, j, spc;
    t_buf_t   b;

    b.p = malloc(c->mdat + 64 + (size_t) c->tracks
                 * (1024 + (size_t) c->samples * 4 + (size_t) c->chunks * 4));
    assert_non_null(b.p);
    b.len = 0;

    at = t_open(&b, "mdat");
    memset(b.p + b.len, 0, c->mdat);
    b.len += c->mdat;
    t_close(&b, at);

    moov = t_open(&b, "moov");

    for (i = 0; i < c->tracks; i++) {
        trak = t_open(&b, "trak");

        at = t_open(&b, "tkhd");
        t_put(&b, 0, 12);
        t_put(&b, i + 1, 4);                /* track id */
        t_put(&b, 0, 64);
        t_close(&b, at);

        mdia = t_open(&b, "mdia");

        at = t_open(&b, "mdhd");
        t_put(&b, 0, 12);
        t_put(&b, 1000, 4);                 /* timescale */
        t_put(&b, 0, 4);
        t_put(&b, 0x55c4, 2);               /* "und" */
        t_put(&b, 0, 2);
        t_close(&b, at);

        at = t_open(&b, "hdlr");
        t_put(&b, 0, 8);
        memcpy(b.p + b.len, "soun", 4);
        b.len += 4;
        t_put(&b, 0, 13);
        t_close(&b, at);

        minf = t_open(&b, "minf");
        stbl = t_open(&b, "stbl");

        at = t_open(&b, "stsd");
        t_put(&b, 0, 4);
        t_put(&b, 1, 4);
        box = t_open(&b, "mp4a");
        t_put(&b, 0, 6);
        t_put(&b, 1, 2);                    /* data reference index */
        t_put(&b, 0, 8);
        t_put(&b, 2, 2);                    /* channels */
        t_put(&b, 16, 2);
        t_put(&b, 0, 4);
        t_put(&b, 48000u << 16, 4);
        es = t_open(&b, "esds");
        t_put(&b, 0, 4);
        t_put(&b, 0x0319, 2);               /* ES_Descriptor, 25 bytes */
        t_put(&b, 0, 3);
        t_put(&b, 0x0411, 2);               /* DecoderConfig, 17 bytes */
        t_put(&b, 0x40, 1);                 /* MPEG-4 audio */
        t_put(&b, 0x15, 1);
        t_put(&b, 0, 11);
        t_put(&b, 0x0502, 2);               /* AAC-LC, 48 kHz, stereo */
        t_put(&b, 0x1190, 2);
        t_put(&b, 0x060102, 3);
        t_close(&b, es);
        t_close(&b, box);
        t_close(&b, at);

        at = t_open(&b, "stts");
        t_put(&b, 0, 4);
        t_put(&b, c->stts_claim ? c->stts_claim : 1, 4);
        t_put(&b, c->samples, 4);
        t_put(&b, c->delta, 4);
        t_close(&b, at);

        spc = c->samples / c->chunks;

        at = t_open(&b, "stsc");
        t_put(&b, 0, 4);
        t_put(&b, 1, 4);
        t_put(&b, 1, 4);
        t_put(&b, spc, 4);
        t_put(&b, 1, 4);
        t_close(&b, at);

        at = t_open(&b, "stsz");
        t_put(&b, 0, 4);
        t_put(&b, c->size, 4);
        t_put(&b, c->samples, 4);

        if (c->size == 0) {
            for (j = 0; j < c->samples; j++) {
                t_put(&b, 1, 4);
            }
        }

        t_close(&b, at);

        at = t_open(&b, "stco");
        t_put(&b, 0, 4);
        t_put(&b, c->chunks, 4);

        for (j = 0; j < c->chunks; j++) {
            t_put(&b, 8, 4);
        }

        t_close(&b, at);

        t_close(&b, stbl);
        t_close(&b, minf);
        t_close(&b, mdia);
        t_close(&b, trak);
    }

    t_close(&b, moov);

    *moov_len = b.len - moov;
    *len = b.len;

    return b.p;
}


/* builds a crafted file; the peak the build allocated is ctx.allocated
 * (pool memory is never freed before the build ends) */

static int
t_craft_build(t_craft_t *c, uint32_t segment_ms, t_ctx_t *ctx,
    size_t *moov_len, double *cpu)
{
    int              rc;
    size_t           len;
    u_char          *file, *index;
    size_t           index_len;
    vod_env_t        env;
    struct timespec  t0, t1;

    file = t_craft(c, &len, moov_len);
    t_env_init(&env, ctx, file, len);

    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
    rc = vod_index_build(&env, file + len - *moov_len, *moov_len, len,
                         segment_ms, &index, &index_len);
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t1);

    if (cpu != NULL) {
        *cpu = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    }

    if (rc == VOD_OK) {
        assert_int_equal(ctx->log_lines, 0);
        assert_int_equal(vod_index_check(index, index_len), VOD_OK);

    } else {
        assert_int_equal(ctx->log_lines, 1);
    }

    t_env_free(ctx);
    free(file);

    return rc;
}


#endif /* _INDEX_UTIL_H_INCLUDED_ */
