/*
 * av_oracle.h: test helper that builds the packager's media views
 * (vod_track_info_t, vod_segment_t) from a file with libavformat, so the
 * writers are tested against an independent demuxer; also a test vod_env_t
 * (malloc arena, pread, captured log) and small file helpers.
 *
 * Segments are cut at the first key frame at or after every multiple of
 * AV_ORACLE_SEG_SECONDS; an audio track may be cut at the times of a video
 * track instead (av_oracle_cut_like).
 */

#ifndef _AV_ORACLE_H_INCLUDED_
#define _AV_ORACLE_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <fcntl.h>
#include <unistd.h>

#include <libavformat/avformat.h>

#include "vod_core.h"
#include "vod_media.h"


#define AV_ORACLE_SEG_SECONDS  4
#define AV_ORACLE_POISON       0xa5


/* test environment */

typedef struct av_oracle_block_s  av_oracle_block_t;

struct av_oracle_block_s {
    av_oracle_block_t  *next;
    uint64_t            data[];
};


typedef struct {
    av_oracle_block_t  *blocks;
    int                 fd;
    unsigned            log_lines;
    char                last_log[256];
} av_oracle_env_ctx_t;


typedef struct {
    vod_track_info_t    info;
    uint32_t            count;
    vod_sample_t       *samples;
    uint64_t           *dts;          /* decode time of each sample */
    char                path[512];
} av_oracle_track_t;


static void *av_oracle_alloc(vod_env_t *env, size_t size);
static void av_oracle_log(vod_env_t *env, const char *fmt, ...);
static ssize_t av_oracle_read(vod_env_t *env, u_char *buf, size_t size,
    off_t offset);
static int av_oracle_env_init(vod_env_t *env, av_oracle_env_ctx_t *ctx,
    const char *path);
static void av_oracle_env_free(vod_env_t *env);
static int av_oracle_setup(void **state);
static int av_oracle_teardown(void **state);
static size_t av_oracle_sample_entry(vod_env_t *env, AVStream *st,
    uint32_t codec, u_char **out);
static int av_oracle_load(vod_env_t *env, const char *path, uint32_t type,
    av_oracle_track_t *t);
static void av_oracle_cut(vod_env_t *env, av_oracle_track_t *t,
    uint32_t seconds);
static void av_oracle_cut_like(vod_env_t *env, av_oracle_track_t *t,
    const av_oracle_track_t *like);
static int av_oracle_segment(av_oracle_track_t *t, uint32_t seg,
    vod_segment_t *segment);
static void av_oracle_track_free(av_oracle_track_t *t);
static int av_oracle_write_file(const char *path, const u_char *data,
    size_t len, int append);
static int av_oracle_append_ranges(vod_env_t *env, const char *path,
    const vod_range_t *ranges, uint32_t n);
static long av_oracle_count_frames(const char *path, const char *stream);
static int av_oracle_decode_clean(const char *path);


static void *
av_oracle_alloc(vod_env_t *env, size_t size)
{
    av_oracle_block_t    *b;
    av_oracle_env_ctx_t  *ctx;

    ctx = env->data;

    b = malloc(sizeof(av_oracle_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    /* poisoned as nginx's pool memory is not zeroed: a field the core
     * reads before it sets it changes the output or trips a check */
    memset(b->data, AV_ORACLE_POISON, size);

    b->next = ctx->blocks;
    ctx->blocks = b;

    return b->data;
}


static void
av_oracle_log(vod_env_t *env, const char *fmt, ...)
{
    va_list               args;
    av_oracle_env_ctx_t  *ctx;

    ctx = env->data;

    va_start(args, fmt);
    vsnprintf(ctx->last_log, sizeof(ctx->last_log), fmt, args);
    va_end(args);

    ctx->log_lines++;
}


static ssize_t
av_oracle_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    ssize_t               n;
    size_t                done;
    av_oracle_env_ctx_t  *ctx;

    ctx = env->data;

    for (done = 0; done < size; done += n) {
        n = pread(ctx->fd, buf + done, size - done, offset + done);
        if (n <= 0) {
            return -1;
        }
    }

    return size;
}


static int
av_oracle_env_init(vod_env_t *env, av_oracle_env_ctx_t *ctx,
    const char *path)
{
    memset(ctx, 0, sizeof(av_oracle_env_ctx_t));
    ctx->fd = -1;

    if (path != NULL) {
        ctx->fd = open(path, O_RDONLY);
        if (ctx->fd == -1) {
            return -1;
        }
    }

    env->alloc = av_oracle_alloc;
    env->log = av_oracle_log;
    env->read = av_oracle_read;
    env->data = ctx;

    return 0;
}


static void
av_oracle_env_free(vod_env_t *env)
{
    av_oracle_block_t    *b, *next;
    av_oracle_env_ctx_t  *ctx;

    ctx = env->data;

    for (b = ctx->blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    ctx->blocks = NULL;

    if (ctx->fd != -1) {
        close(ctx->fd);
        ctx->fd = -1;
    }
}


/* cmocka setup and teardown of a test group (or test) that needs only an
 * env: *state is a vod_env_t of av_oracle_env_init() without a file */

static int
av_oracle_setup(void **state)
{
    vod_env_t            *env;
    av_oracle_env_ctx_t  *ctx;

    env = calloc(1, sizeof(vod_env_t));
    ctx = calloc(1, sizeof(av_oracle_env_ctx_t));

    if (env == NULL || ctx == NULL
        || av_oracle_env_init(env, ctx, NULL) != 0)
    {
        free(env);
        free(ctx);
        return -1;
    }

    *state = env;

    return 0;
}


static int
av_oracle_teardown(void **state)
{
    vod_env_t  *env;

    env = *state;

    av_oracle_env_free(env);
    free(env->data);
    free(env);

    return 0;
}


/* A minimal avc1/hvc1/mp4a sample entry (ISO/IEC 14496-12 12.1.3, 12.2.3;
 * 14496-15; 14496-14 esds) around the codec's extradata. */
static size_t
av_oracle_sample_entry(vod_env_t *env, AVStream *st, uint32_t codec,
    u_char **out)
{
    size_t              size, esds_len;
    u_char             *buf, *p;
    AVCodecParameters  *par;

    par = st->codecpar;

    if (codec == VOD_CODEC_AAC) {
        esds_len = 12 + 5 + 15 + (2 + par->extradata_size) + 3;
        size = 36 + esds_len;

    } else {
        size = 86 + 8 + par->extradata_size;
    }

    buf = env->alloc(env, size);
    p = buf;

    vod_w32(p, size);

    if (codec == VOD_CODEC_AAC) {
        vod_wtag(p, "mp4a");
        memset(p, 0, 6);
        p += 6;
        vod_w16(p, 1);                        /* data_reference_index */
        vod_w32(p, 0);
        vod_w32(p, 0);
        vod_w16(p, par->ch_layout.nb_channels);
        vod_w16(p, 16);
        vod_w16(p, 0);
        vod_w16(p, 0);
        vod_w32(p, (uint32_t) par->sample_rate << 16);

        vod_w32(p, esds_len);
        vod_wtag(p, "esds");
        vod_w32(p, 0);
        vod_w8(p, 0x03);                      /* ES_Descriptor */
        vod_w8(p, esds_len - 14);
        vod_w16(p, 1);
        vod_w8(p, 0);
        vod_w8(p, 0x04);                      /* DecoderConfigDescriptor */
        vod_w8(p, 13 + 2 + par->extradata_size);
        vod_w8(p, 0x40);                      /* MPEG-4 audio */
        vod_w8(p, 0x15);                      /* audio stream */
        vod_w24(p, 0);
        vod_w32(p, par->bit_rate);
        vod_w32(p, par->bit_rate);
        vod_w8(p, 0x05);                      /* DecoderSpecificInfo */
        vod_w8(p, par->extradata_size);
        memcpy(p, par->extradata, par->extradata_size);
        p += par->extradata_size;
        vod_w8(p, 0x06);                      /* SLConfigDescriptor */
        vod_w8(p, 1);
        vod_w8(p, 0x02);

    } else {
        vod_wtag(p, codec == VOD_CODEC_AVC ? "avc1" : "hvc1");
        memset(p, 0, 6);
        p += 6;
        vod_w16(p, 1);
        memset(p, 0, 16);
        p += 16;
        vod_w16(p, par->width);
        vod_w16(p, par->height);
        vod_w32(p, 0x00480000);
        vod_w32(p, 0x00480000);
        vod_w32(p, 0);
        vod_w16(p, 1);                        /* frame_count */
        memset(p, 0, 32);
        p += 32;
        vod_w16(p, 0x0018);
        vod_w16(p, 0xffff);

        vod_w32(p, 8 + par->extradata_size);
        vod_wtag(p, codec == VOD_CODEC_AVC ? "avcC" : "hvcC");
        memcpy(p, par->extradata, par->extradata_size);
        p += par->extradata_size;
    }

    if ((size_t) (p - buf) != size) {
        abort();
    }

    *out = buf;

    return size;
}


static int
av_oracle_load(vod_env_t *env, const char *path, uint32_t type,
    av_oracle_track_t *t)
{
    int                 idx, rc;
    AVPacket           *pkt;
    uint32_t            cap, i;
    AVStream           *st;
    int64_t             first_dts, dts;
    AVFormatContext    *fmt;
    AVDictionaryEntry  *lang;
    vod_track_info_t   *info;

    memset(t, 0, sizeof(av_oracle_track_t));
    snprintf(t->path, sizeof(t->path), "%s", path);
    info = &t->info;

    fmt = NULL;
    if (avformat_open_input(&fmt, path, NULL, NULL) < 0) {
        return -1;
    }

    if (avformat_find_stream_info(fmt, NULL) < 0) {
        avformat_close_input(&fmt);
        return -1;
    }

    idx = av_find_best_stream(fmt, type == VOD_TRACK_VIDEO
                                   ? AVMEDIA_TYPE_VIDEO : AVMEDIA_TYPE_AUDIO,
                              -1, -1, NULL, 0);
    if (idx < 0) {
        avformat_close_input(&fmt);
        return -1;
    }

    st = fmt->streams[idx];

    info->type = type;
    info->track_id = st->id;
    info->timescale = st->time_base.den;

    switch (st->codecpar->codec_id) {
    case AV_CODEC_ID_H264:
        info->codec = VOD_CODEC_AVC;
        info->nal_length_size = (st->codecpar->extradata[4] & 3) + 1;
        break;
    case AV_CODEC_ID_HEVC:
        info->codec = VOD_CODEC_HEVC;
        info->nal_length_size = (st->codecpar->extradata[21] & 3) + 1;
        break;
    case AV_CODEC_ID_AAC:
        info->codec = VOD_CODEC_AAC;
        info->sample_rate = st->codecpar->sample_rate;
        info->channels = st->codecpar->ch_layout.nb_channels;
        info->aac_object_type = st->codecpar->profile + 1;
        break;
    default:
        avformat_close_input(&fmt);
        return -1;
    }

    info->width = st->codecpar->width;
    info->height = st->codecpar->height;
    info->fps_num = st->avg_frame_rate.num;
    info->fps_den = st->avg_frame_rate.den;

    lang = av_dict_get(st->metadata, "language", NULL, 0);
    snprintf(info->lang, sizeof(info->lang), "%s",
             lang != NULL ? lang->value : "und");

    info->dec_config = env->alloc(env, st->codecpar->extradata_size);
    memcpy(info->dec_config, st->codecpar->extradata,
           st->codecpar->extradata_size);
    info->dec_config_len = st->codecpar->extradata_size;

    info->sample_entry_len = av_oracle_sample_entry(env, st, info->codec,
                                                    &info->sample_entry);

    cap = 1024;
    t->samples = malloc(cap * sizeof(vod_sample_t));
    t->dts = malloc(cap * sizeof(uint64_t));

    pkt = av_packet_alloc();
    first_dts = INT64_MIN;

    while ((rc = av_read_frame(fmt, pkt)) >= 0) {
        if (pkt->stream_index != idx) {
            av_packet_unref(pkt);
            continue;
        }

        if (t->count == cap) {
            cap *= 2;
            t->samples = realloc(t->samples, cap * sizeof(vod_sample_t));
            t->dts = realloc(t->dts, cap * sizeof(uint64_t));
        }

        if (first_dts == INT64_MIN) {
            first_dts = pkt->dts;
        }

        dts = pkt->dts - first_dts;

        t->samples[t->count].offset = pkt->pos;
        t->samples[t->count].size = pkt->size;
        t->samples[t->count].duration = pkt->duration;
        t->samples[t->count].pts_delay = (int32_t) (pkt->pts - dts);
        t->samples[t->count].sync = (pkt->flags & AV_PKT_FLAG_KEY) ? 1 : 0;
        t->dts[t->count] = dts;
        t->count++;

        av_packet_unref(pkt);
    }

    av_packet_free(&pkt);
    avformat_close_input(&fmt);

    /* a duration av_read_frame left at 0: the next sample's decode time */
    for (i = 0; i + 1 < t->count; i++) {
        if (t->samples[i].duration == 0) {
            t->samples[i].duration = t->dts[i + 1] - t->dts[i];
        }
    }

    info->sample_count = t->count;
    info->duration = 0;
    info->total_bytes = 0;

    for (i = 0; i < t->count; i++) {
        info->duration += t->samples[i].duration;
        info->total_bytes += t->samples[i].size;

        if (i == 0 || t->samples[i].pts_delay < info->min_pts_delay) {
            info->min_pts_delay = t->samples[i].pts_delay;
        }

        if (i == 0 || t->samples[i].pts_delay > info->max_pts_delay) {
            info->max_pts_delay = t->samples[i].pts_delay;
        }
    }

    av_oracle_cut(env, t, AV_ORACLE_SEG_SECONDS);

    return 0;
}


static void
av_oracle_cut(vod_env_t *env, av_oracle_track_t *t, uint32_t seconds)
{
    uint32_t           i, n;
    uint64_t           next, step;
    vod_track_info_t  *info;

    info = &t->info;
    info->seg_time = env->alloc(env, (t->count + 2) * sizeof(uint64_t));

    step = (uint64_t) seconds * info->timescale;
    next = step;
    n = 0;
    info->seg_time[n++] = 0;

    for (i = 1; i < t->count; i++) {
        if (t->dts[i] >= next && t->samples[i].sync) {
            info->seg_time[n++] = t->dts[i];

            while (next <= t->dts[i]) {
                next += step;
            }
        }
    }

    info->seg_time[n] = info->duration;
    info->segment_count = n;
}


static void
av_oracle_cut_like(vod_env_t *env, av_oracle_track_t *t,
    const av_oracle_track_t *like)
{
    uint32_t           i, n, k;
    uint64_t           cut;
    vod_track_info_t  *info;

    info = &t->info;
    info->seg_time = env->alloc(env, (t->count + 2) * sizeof(uint64_t));

    n = 0;
    info->seg_time[n++] = 0;
    i = 0;

    for (k = 1; k < like->info.segment_count; k++) {
        cut = like->info.seg_time[k] * info->timescale
              / like->info.timescale;

        while (i < t->count && t->dts[i] < cut) {
            i++;
        }

        if (i == t->count) {
            break;
        }

        if (t->dts[i] > info->seg_time[n - 1]) {
            info->seg_time[n++] = t->dts[i];
        }
    }

    info->seg_time[n] = info->duration;
    info->segment_count = n;
}


static int
av_oracle_segment(av_oracle_track_t *t, uint32_t seg, vod_segment_t *segment)
{
    uint32_t  i, first;

    if (seg >= t->info.segment_count) {
        return -1;
    }

    memset(segment, 0, sizeof(vod_segment_t));
    segment->track = &t->info;
    segment->index = seg;
    segment->start_dts = t->info.seg_time[seg];

    for (first = 0; first < t->count; first++) {
        if (t->dts[first] >= t->info.seg_time[seg]) {
            break;
        }
    }

    segment->samples = &t->samples[first];

    for (i = first;
         i < t->count && t->dts[i] < t->info.seg_time[seg + 1];
         i++)
    {
        segment->count++;
        segment->duration += t->samples[i].duration;
        segment->data_size += t->samples[i].size;
    }

    return 0;
}


static void
av_oracle_track_free(av_oracle_track_t *t)
{
    free(t->samples);
    free(t->dts);
    t->samples = NULL;
    t->dts = NULL;
}


static int
av_oracle_write_file(const char *path, const u_char *data, size_t len,
    int append)
{
    FILE  *f;

    f = fopen(path, append ? "ab" : "wb");
    if (f == NULL) {
        return -1;
    }

    if (len > 0 && fwrite(data, 1, len, f) != len) {
        fclose(f);
        return -1;
    }

    return fclose(f);
}


/* append the source file's ranges (read through env) to path */
static int
av_oracle_append_ranges(vod_env_t *env, const char *path,
    const vod_range_t *ranges, uint32_t n)
{
    u_char    *buf;
    uint32_t   i;

    for (i = 0; i < n; i++) {
        buf = malloc(ranges[i].size);
        if (buf == NULL) {
            return -1;
        }

        if (env->read(env, buf, ranges[i].size, ranges[i].offset)
            != (ssize_t) ranges[i].size
            || av_oracle_write_file(path, buf, ranges[i].size, 1) != 0)
        {
            free(buf);
            return -1;
        }

        free(buf);
    }

    return 0;
}


/* decoded frames of the first stream of a kind ("v" or "a"), or -1 */
static long
av_oracle_count_frames(const char *path, const char *stream)
{
    long   n;
    FILE  *f;
    char   cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "ffprobe -v error -count_frames -select_streams %s:0 "
             "-show_entries stream=nb_read_frames -of csv=p=0 '%s'",
             stream, path);

    f = popen(cmd, "r");
    if (f == NULL) {
        return -1;
    }

    if (fscanf(f, "%ld", &n) != 1) {
        n = -1;
    }

    /* MPEG-TS lists the stream again under its program */
    while (fgetc(f) != EOF) {
        /* void */
    }

    if (pclose(f) != 0) {
        return -1;
    }

    return n;
}


/* 0 when ffprobe and a full ffmpeg decode print nothing at -v error */
static int
av_oracle_decode_clean(const char *path)
{
    int   rc;
    char  cmd[1024];

    snprintf(cmd, sizeof(cmd),
             "out=$(ffprobe -v error -show_streams -show_format '%s' 2>&1 "
             ">/dev/null && ffmpeg -nostdin -v error -i '%s' -f null - "
             "2>&1) && [ -z \"$out\" ] || { echo \"$out\" | head -5; "
             "exit 1; }", path, path);

    rc = system(cmd);

    return rc == 0 ? 0 : -1;
}


#endif /* _AV_ORACLE_H_INCLUDED_ */
