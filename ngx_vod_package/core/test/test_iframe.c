/*
 * test_iframe.c: the I-frame playlists' core (vod_index_keys.c,
 * vod_iframe.c).  Each fixture's key frames read from the index against
 * every segment's samples and against libavformat as an independent
 * demuxer (count, file offsets, sizes, times); each key frame's
 * one-sample segment; BANDWIDTH from the fMP4 writer's own headers; the
 * I-frame playlist read back (EXT-X-I-FRAMES-ONLY, the init segment,
 * EXTINFs adding up exactly, the names); the multivariant playlist's
 * lines and the MPD's trick-mode set; the URLs.  Allocations are exact
 * under ASan: a size bound too small is an overflow reported here.
 */

#include "index_util.h"
#include "vod_fmp4.h"
#include "vod_iframe.h"
#include "vod_manifest.h"
#include "vod_protect.h"
#include "vod_text.h"
#include "vod_url.h"


/* segments of 4 s over the fixtures' key frames every 2 s: two a
 * segment */
#define T_IFRAME_SEGMENT_MS  4000


typedef struct {
    t_ctx_t            ctx;
    vod_env_t          env;
    u_char            *file;
    t_built_t          b;
    int                track;
    vod_track_info_t   info;
} t_iframe_t;


static void t_iframe_open(t_iframe_t *t, const char *name,
    uint32_t segment_ms);
static void t_iframe_close(t_iframe_t *t);
static void t_iframe_against_segments(t_iframe_t *t);
static void t_iframe_against_av(t_iframe_t *t, const char *name);
static void t_iframe_check(const char *name, uint32_t segment_ms);
static void test_iframe_fixtures(void **state);
static void test_iframe_audio_only(void **state);
static void test_iframe_no_stss(void **state);
static void test_iframe_refresh(void **state);
static void test_iframe_ctts_runs(void **state);
static void test_iframe_rates(void **state);
static void test_iframe_playlist(void **state);
static void test_iframe_protected(void **state);
static void test_iframe_master(void **state);
static void test_iframe_dash(void **state);
static void test_iframe_url(void **state);


static void
t_iframe_open(t_iframe_t *t, const char *name, uint32_t segment_ms)
{
    size_t  len;

    t->file = t_load(name, &len);
    t_env_init(&t->env, &t->ctx, t->file, len);

    assert_int_equal(t_build(&t->env, segment_ms, &t->b), VOD_OK);

    t->track = vod_index_find_track(t->b.index, VOD_TRACK_VIDEO);
    assert_true(t->track >= 0);
    assert_int_equal(vod_index_track_info(&t->env, t->b.index, t->track,
                                          &t->info), VOD_OK);
    assert_int_equal(vod_index_iframes(&t->env, t->b.index, t->track,
                                       &t->info), VOD_OK);
    assert_true(t->info.iframe_count > 0);
}


static void
t_iframe_close(t_iframe_t *t)
{
    t_env_free(&t->ctx);
    free(t->file);
}


/* every sync sample of every segment, in order, is the next key frame:
 * its time, size and place; it lasts to the next sync sample of its
 * segment or to the segment's end, in presented time; vod_iframe_pick()
 * cuts the same frames */

static void
t_iframe_against_segments(t_iframe_t *t)
{
    uint32_t             s, i, j, n, k;
    uint64_t             dts, end, span;
    vod_sample_t         one;
    vod_segment_t        seg, out;
    const vod_iframe_t  *f;

    n = 0;
    span = 0;

    for (s = 0; s < t->info.segment_count; s++) {
        assert_int_equal(vod_index_segment(&t->env, t->b.index, t->track,
                                           &t->info, s, &seg), VOD_OK);
        dts = seg.start_dts;
        k = 0;
        assert_int_equal(seg.sequence, s);
        assert_int_equal(seg.keys_before, n);

        for (i = 0; i < seg.count; i++) {
            if (seg.samples[i].sync) {
                assert_true(n < t->info.iframe_count);
                f = &t->info.iframes[n++];
                k++;

                assert_int_equal(f->segment, s);
                assert_int_equal(f->key, k);
                /* presented, as the manifests time it: the first of a
                 * segment when the segment starts */
                assert_int_equal(f->time,
                                 k == 1 ? t->info.seg_time[s]
                                 : (uint64_t) ((int64_t) dts
                                               + seg.samples[i].pts_delay));
                assert_int_equal(f->size, seg.samples[i].size);

                end = dts;

                for (j = i; j < seg.count; j++) {
                    if (j > i && seg.samples[j].sync) {
                        break;
                    }

                    end += seg.samples[j].duration;
                }

                assert_int_equal(f->duration,
                                 (n < t->info.iframe_count
                                  && f[1].segment == s)
                                 ? f[1].time - f->time
                                 : t->info.seg_time[s + 1] - f->time);
                span += f->duration;

                assert_int_equal(vod_iframe_pick(&seg, k, &out, &one),
                                 VOD_OK);
                assert_int_equal(out.count, 1);
                assert_int_equal(out.first, i);
                /* its number in the I-frame playlist: HLS AES-128's IV */
                assert_int_equal(out.sequence, n - 1);
                assert_int_equal(out.index, s);
                assert_ptr_equal(out.samples, &one);
                assert_int_equal(out.start_dts, dts);
                assert_int_equal(out.duration, end - dts);
                assert_int_equal(out.data_size, f->size);
                assert_int_equal(one.duration, end - dts);
                assert_int_equal(one.offset, seg.samples[i].offset);
                assert_int_equal(one.pts_delay, seg.samples[i].pts_delay);
                assert_int_equal(one.sync, 1);
            }

            dts += seg.samples[i].duration;
        }

        /* the key frame after the segment's last is not there */
        assert_int_equal(vod_iframe_pick(&seg, k + 1, &out, &one),
                         VOD_NOT_FOUND);
    }

    assert_int_equal(n, t->info.iframe_count);

    /* the key frames cover the track from the first one */
    assert_int_equal(span, t->info.duration - t->info.iframes[0].time);
}


/* libavformat's key packets: as many, at the same offsets, as large,
 * presented at the same times (the first at the title's start) */

static void
t_iframe_against_av(t_iframe_t *t, const char *name)
{
    char           path[1024];
    uint32_t       i, n;
    t_av_t         av;
    t_av_track_t  *avt;

    snprintf(path, sizeof(path), "%s/%s", t_media, name);
    t_av_open(path, &av);
    avt = t_av_track(&av, t->info.track_id);

    for (n = 0, i = 0; i < avt->count; i++) {
        if (!avt->pkts[i].key) {
            continue;
        }

        assert_true(n < t->info.iframe_count);
        assert_int_equal(avt->pkts[i].size, t->info.iframes[n].size);
        assert_int_equal(n == 0 ? 0 : avt->pkts[i].pts,
                         t->info.iframes[n].time);
        n++;
    }

    assert_int_equal(n, t->info.iframe_count);

    t_av_close(&av);
}


static void
t_iframe_check(const char *name, uint32_t segment_ms)
{
    t_iframe_t  t;

    t_iframe_open(&t, name, segment_ms);
    t_iframe_against_segments(&t);
    t_iframe_against_av(&t, name);

    /* a read that allocates nothing per sample: the key frames' entries
     * and no more */
    t_iframe_close(&t);
}


/*
 * The index keeps a ctts of fewer runs than half the samples as runs,
 * not one offset a sample: no fixture's is (B-frames make a run of a
 * sample or two).  ntsc/360p.mp4's (a key frame every 60 samples, two
 * a segment) rewritten as a run of 60 samples and then runs of 37, 3003
 * and 1001 in turn, so that of the key frames after the first of a
 * segment one starts a run and another lies inside one: each is
 * presented as the segment's sample is, the runs walked forward as
 * vod_index_segment() walks them.
 */

static void
test_iframe_ctts_runs(void **state)
{
    size_t       len;
    u_char      *b, *q;
    uint32_t     k, n, runs, count;
    uint64_t     off, msize;
    t_iframe_t   t;

    (void) state;

    t_iframe_open(&t, "ntsc/360p.mp4", T_IFRAME_SEGMENT_MS);
    n = t.info.sample_count;
    t_iframe_close(&t);

    t.file = t_load("ntsc/360p.mp4", &len);
    t_env_init(&t.env, &t.ctx, t.file, len);
    assert_int_equal(vod_mp4_find_moov(&t.env, len, &off, &msize), VOD_OK);

    b = t_find(t.file + off, msize, "moov/trak/mdia/minf/stbl/ctts");
    assert_non_null(b);
    count = vod_r32(b + 12);
    assert_true(n > 60);
    runs = 1 + (n - 60 + 36) / 37;
    assert_true(runs <= count && 2 * runs < n);

    q = b + 12;
    vod_w32(q, runs);

    for (k = 0; k < runs; k++) {
        if (k == 0) {
            vod_w32(q, 60);

        } else {
            vod_w32(q, (k + 1 < runs) ? 37 : n - 60 - 37 * (k - 1));
        }

        vod_w32(q, (k % 2) ? 1001 : 3003);
    }

    assert_int_equal(t_build(&t.env, T_IFRAME_SEGMENT_MS, &t.b), VOD_OK);
    t.track = vod_index_find_track(t.b.index, VOD_TRACK_VIDEO);
    assert_true(t.track >= 0);
    assert_int_equal(vod_index_track_info(&t.env, t.b.index, t.track,
                                          &t.info), VOD_OK);
    assert_int_equal(t.info.min_pts_delay + 2002, t.info.max_pts_delay);
    assert_int_equal(vod_index_iframes(&t.env, t.b.index, t.track,
                                       &t.info), VOD_OK);
    assert_true(t.info.iframe_count > t.info.segment_count);

    t_iframe_against_segments(&t);
    t_iframe_close(&t);
}


static void
test_iframe_fixtures(void **state)
{
    t_iframe_check("demo/1080p.mp4", T_IFRAME_SEGMENT_MS);
    t_iframe_check("demo/720p.mp4", T_IFRAME_SEGMENT_MS);
    t_iframe_check("demo/360p.mp4", T_SEGMENT_MS);
    t_iframe_check("demo/360p.mp4", T_IFRAME_SEGMENT_MS);
    t_iframe_check("demo/360p.mp4", 10000);
    t_iframe_check("hevc/360p.mp4", T_IFRAME_SEGMENT_MS);
    t_iframe_check("ntsc/360p.mp4", T_IFRAME_SEGMENT_MS);
    t_iframe_check("video/360p.mp4", T_IFRAME_SEGMENT_MS);
}


static void
test_iframe_audio_only(void **state)
{
    size_t            len;
    u_char           *file;
    t_ctx_t           ctx;
    vod_env_t         env;
    t_built_t         b;
    vod_track_info_t  info;

    file = t_load("audio/audio.mp4", &len);
    t_env_init(&env, &ctx, file, len);

    assert_int_equal(t_build(&env, T_SEGMENT_MS, &b), VOD_OK);
    assert_int_equal(vod_index_track_info(&env, b.index, 0, &info), VOD_OK);
    assert_int_equal(vod_index_iframes(&env, b.index, 0, &info),
                     VOD_NOT_FOUND);
    assert_int_equal(vod_index_iframes(&env, b.index, 5, &info),
                     VOD_NOT_FOUND);
    assert_null(info.iframes);

    t_env_free(&ctx);
    free(file);
}


/* a video without stss (its box renamed "free"): every frame a key
 * frame, none listed, one line */

static void
test_iframe_no_stss(void **state)
{
    int               v;
    size_t            len;
    u_char           *file, *b;
    uint64_t          off, msize;
    t_ctx_t           ctx;
    vod_env_t         env;
    t_built_t         bt;
    vod_track_info_t  info;

    file = t_load("demo/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);

    assert_int_equal(vod_mp4_find_moov(&env, len, &off, &msize), VOD_OK);
    b = t_find(file + off, msize, "moov/trak/mdia/minf/stbl/stss");
    assert_non_null(b);
    memcpy(b + 4, "free", 4);

    assert_int_equal(t_build(&env, T_SEGMENT_MS, &bt), VOD_OK);
    v = vod_index_find_track(bt.index, VOD_TRACK_VIDEO);
    assert_true(v >= 0);
    assert_int_equal(vod_index_track_info(&env, bt.index, v, &info), VOD_OK);

    ctx.log_lines = 0;
    assert_int_equal(vod_index_iframes(&env, bt.index, v, &info),
                     VOD_UNSUPPORTED);
    assert_int_equal(ctx.log_lines, 1);
    assert_null(info.iframes);
    assert_int_equal(info.iframe_count, 0);

    t_env_free(&ctx);
    free(file);
}


/* t_read(), but nothing past the moov: the samples' pages not there */

static uint64_t  t_moov_end;

static ssize_t
t_read_moov(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    if ((uint64_t) offset + size > t_moov_end) {
        return -1;
    }

    return t_read(env, buf, size, offset);
}


/* the first sample of segment seg of the demo's 360p rendition, its IDR
 * slice (5) made a non-IDR one (1) in place, first_mb_in_slice 0 and
 * slice_type 5 (P): "1 00110", as an intra refresh's recovery point is;
 * that sample's number (1-based) */

static uint32_t
t_recovery_point(vod_env_t *env, u_char *file, uint32_t seg)
{
    int               v;
    size_t            i, n;
    u_char           *p;
    uint32_t          k, before;
    t_built_t         bt;
    vod_segment_t     segment;
    vod_track_info_t  info;

    assert_int_equal(t_build(env, T_SEGMENT_MS, &bt), VOD_OK);
    v = vod_index_find_track(bt.index, VOD_TRACK_VIDEO);
    assert_true(v >= 0);
    assert_int_equal(vod_index_track_info(env, bt.index, v, &info), VOD_OK);
    assert_true(info.segment_count == 4);

    for (before = 0, k = 0; k <= seg; k++) {
        assert_int_equal(vod_index_segment(env, bt.index, v, &info, k,
                                           &segment), VOD_OK);
        before += (k < seg) ? segment.count : 0;
    }

    assert_true(segment.samples[0].sync);
    p = file + segment.samples[0].offset;

    for (i = 0; i + 5 < segment.samples[0].size; i += 4 + n) {
        n = ((size_t) p[i] << 24) | ((size_t) p[i + 1] << 16)
            | ((size_t) p[i + 2] << 8) | p[i + 3];

        if ((p[i + 4] & 0x1f) == 5) {
            p[i + 4] = 0x41;
            p[i + 5] = 0x98;
            return before + 1;
        }
    }

    fail_msg("segment %u starts with no IDR slice", seg);

    return 0;
}


/* a recovery point where the second segment starts, then where the third
 * (of four) does: the build reads it, the track says which sample, its
 * key frames are refused in one line; a read that fails leaves the track
 * as it was */

static void
test_iframe_refresh(void **state)
{
    int               v;
    size_t            len;
    u_char           *file;
    t_ctx_t           ctx;
    uint32_t          seg, key;
    vod_env_t         env;
    t_built_t         bt;
    vod_track_info_t  info;

    for (seg = 1; seg <= 2; seg++) {
        file = t_load("demo/360p.mp4", &len);
        t_env_init(&env, &ctx, file, len);

        key = t_recovery_point(&env, file, seg);

        assert_int_equal(t_build(&env, T_SEGMENT_MS, &bt), VOD_OK);
        v = vod_index_find_track(bt.index, VOD_TRACK_VIDEO);
        assert_int_equal(vod_index_track_info(&env, bt.index, v, &info),
                         VOD_OK);
        assert_int_equal(info.refresh_key, key);

        ctx.log_lines = 0;
        assert_int_equal(vod_index_iframes(&env, bt.index, v, &info),
                         VOD_UNSUPPORTED);
        assert_int_equal(ctx.log_lines, 1);
        assert_non_null(strstr(ctx.last_log, "decodes alone"));
        assert_null(info.iframes);

        /* the same file, but nothing past its moov can be read */
        t_moov_end = bt.moov_offset + bt.moov_size;
        env.read = t_read_moov;

        assert_int_equal(t_build(&env, T_SEGMENT_MS, &bt), VOD_OK);
        assert_int_equal(vod_index_track_info(&env, bt.index, v, &info),
                         VOD_OK);
        assert_int_equal(info.refresh_key, 0);

        t_env_free(&ctx);
        free(file);
    }
}


/* BANDWIDTH: the largest I-frame segment's bits over its duration, the
 * segment being the fMP4 writer's header for it and its sample */

static void
test_iframe_rates(void **state)
{
    size_t               len;
    u_char              *hdr;
    uint32_t             i;
    uint64_t             peak, avg, want, bits, bytes, span, tpeak, tavg;
    t_iframe_t           t;
    vod_sample_t         one;
    vod_segment_t        seg;
    const vod_iframe_t  *f;

    t_iframe_open(&t, "demo/360p.mp4", T_IFRAME_SEGMENT_MS);

    assert_int_equal(vod_iframe_rates(&t.env, &t.info, NULL, 0, &peak, &avg),
                     VOD_OK);

    want = 0;
    bytes = 0;
    span = 0;

    for (i = 0; i < t.info.iframe_count; i++) {
        f = &t.info.iframes[i];

        memset(&one, 0, sizeof(vod_sample_t));
        one.size = f->size;
        one.duration = (uint32_t) f->duration;
        one.sync = 1;

        memset(&seg, 0, sizeof(vod_segment_t));
        seg.track = &t.info;
        seg.index = f->segment;
        seg.start_dts = f->time;
        seg.duration = f->duration;
        seg.data_size = f->size;
        seg.count = 1;
        seg.samples = &one;

        assert_int_equal(vod_fmp4_segment_header(&t.env, &seg, &hdr, &len),
                         VOD_OK);

        bits = (len + f->size) * 8 * t.info.timescale;
        bytes += len + f->size;
        span += f->duration;

        if ((bits + f->duration - 1) / f->duration > want) {
            want = (bits + f->duration - 1) / f->duration;
        }
    }

    assert_int_equal(peak, want);
    assert_int_equal(avg, (bytes * 8 * t.info.timescale + span - 1) / span);
    assert_true(avg <= peak);

    /* MPEG-TS: whole packets, more than the CMAF bytes */
    assert_int_equal(vod_iframe_rates(&t.env, &t.info, NULL, 1, &tpeak, &tavg),
                     VOD_OK);
    assert_true(tpeak > peak && tavg > avg);
    assert_true(tpeak < peak * 11 / 10);

    /* no key frames: nothing to rate */
    t.info.iframe_count = 0;
    assert_int_equal(vod_iframe_rates(&t.env, &t.info, NULL, 0, &peak, &avg),
                     VOD_NOT_FOUND);

    t_iframe_close(&t);
}


/* the playlist read back, CMAF and MPEG-TS */

static void
test_iframe_playlist(void **state)
{
    char                 *text, *line, *save, name[128];
    size_t                len;
    u_char               *out;
    uint32_t              ts, entries, target;
    uint64_t              ms, sum, max;
    vod_str_t             id;
    t_iframe_t            t;
    const vod_iframe_t   *f;

    t_iframe_open(&t, "ntsc/360p.mp4", T_IFRAME_SEGMENT_MS);

    id.data = (u_char *) "sd-1";
    id.len = 4;

    for (ts = 0; ts <= 1; ts++) {
        assert_int_equal(vod_iframe_playlist(&t.env, &id, &t.info, NULL, ts,
                                             &out, &len), VOD_OK);

        text = malloc(len + 1);
        assert_non_null(text);
        memcpy(text, out, len);
        text[len] = '\0';

        assert_non_null(strstr(text, "#EXTM3U\n"));
        assert_non_null(strstr(text, "\n#EXT-X-I-FRAMES-ONLY\n"));
        assert_non_null(strstr(text, "\n#EXT-X-PLAYLIST-TYPE:VOD\n"));
        assert_non_null(strstr(text, "\n#EXT-X-ENDLIST\n"));
        assert_non_null(strstr(text, ts ? "\n#EXT-X-VERSION:4\n"
                                        : "\n#EXT-X-VERSION:7\n"));

        if (ts) {
            assert_null(strstr(text, "EXT-X-MAP"));

        } else {
            assert_non_null(strstr(text,
                            "\n#EXT-X-MAP:URI=\"video-sd-1-init.mp4\"\n"));
        }

        entries = 0;
        sum = 0;
        max = 0;
        target = 0;

        for (line = strtok_r(text, "\n", &save); line != NULL;
             line = strtok_r(NULL, "\n", &save))
        {
            if (sscanf(line, "#EXT-X-TARGETDURATION:%u", &target) == 1) {
                continue;
            }

            if (strncmp(line, "#EXTINF:", 8) != 0) {
                continue;
            }

            ms = strtoull(line + 8, NULL, 10) * 1000
                 + strtoull(strchr(line, '.') + 1, NULL, 10);
            sum += ms;
            max = ms > max ? ms : max;

            f = &t.info.iframes[entries];
            snprintf(name, sizeof(name), ts ? "iframets-sd-1-%u-%u.ts"
                                            : "iframe-sd-1-%u-%u.m4s",
                     f->segment + 1, f->key);

            line = strtok_r(NULL, "\n", &save);
            assert_non_null(line);
            assert_string_equal(line, name);

            /* within a millisecond of the key frame's own duration */
            assert_true(ms * t.info.timescale
                        <= f->duration * 1000 + t.info.timescale);
            assert_true(ms * t.info.timescale + t.info.timescale
                        >= f->duration * 1000);

            entries++;
        }

        assert_int_equal(entries, t.info.iframe_count);

        /* the EXTINFs add up to the key frames' span, to the millisecond */
        assert_int_equal(sum, vod_text_to_ms(t.info.duration
                                             - t.info.iframes[0].time,
                                             t.info.timescale));
        assert_int_equal(target, (max + 500) / 1000 ? (max + 500) / 1000
                                                    : 1);

        free(text);
    }

    /* an id that cannot go into a URI, no key frames */
    id.data = (u_char *) "a/b";
    id.len = 3;
    assert_int_equal(vod_iframe_playlist(&t.env, &id, &t.info, NULL, 0,
                                         &out, &len), VOD_NOT_FOUND);
    id.data = (u_char *) "sd";
    id.len = 2;
    t.info.iframe_count = 0;
    assert_int_equal(vod_iframe_playlist(&t.env, &id, &t.info, NULL, 0,
                                         &out, &len), VOD_NOT_FOUND);

    t_iframe_close(&t);
}


/* the I-frame playlist, as a string to free() */
static char *
t_iframe_text(t_iframe_t *t, const vod_str_t *id, const vod_title_t *title,
    unsigned ts)
{
    char    *text;
    size_t   len;
    u_char  *out;

    assert_int_equal(vod_iframe_playlist(&t->env, id, &t->info, title, ts,
                                         &out, &len), VOD_OK);

    text = malloc(len + 1);
    assert_non_null(text);
    memcpy(text, out, len);
    text[len] = '\0';

    return text;
}


/* the media playlist's key lines (vod_hls_keys()): Common Encryption's
 * before EXT-X-MAP, or past a clear lead before the first key frame of
 * an encrypted segment; MPEG-TS's and AES-128's before the first key
 * frame */

static void
test_iframe_protected(void **state)
{
    char                 *text, *keys, *at, want[64];
    size_t                keys_len;
    u_char               *buf;
    uint32_t              i, first;
    vod_str_t             id;
    t_iframe_t            t;
    vod_title_t           title;
    vod_protect_t         prot;
    const vod_iframe_t   *f;

    t_iframe_open(&t, "ntsc/360p.mp4", T_IFRAME_SEGMENT_MS);
    assert_true(t.info.segment_count >= 2);

    id.data = (u_char *) "sd";
    id.len = 2;

    memset(&prot, 0, sizeof(vod_protect_t));
    prot.scheme = VOD_CENC_SCHEME_CENC;
    prot.systems = VOD_PROTECT_COMMON | VOD_PROTECT_WIDEVINE;
    memset(prot.kid, 0x5a, 16);

    memset(&title, 0, sizeof(vod_title_t));
    title.protect = &prot;
    title.clearkey = 1;

    buf = malloc(vod_protect_sig_len(&prot) + 1);
    assert_non_null(buf);
    keys_len = vod_hls_keys(buf, &title, VOD_STREAM_VIDEO) - buf;
    assert_true(keys_len > 0);
    buf[keys_len] = '\0';
    keys = (char *) buf;

    for (i = 0; i < 2; i++) {
        /* i = 1: a clear lead of the first segment */
        prot.clear_lead = (i == 0)
                          ? 0
                          : (uint32_t) (t.info.seg_time[1] * 1000
                                        / t.info.timescale);
        first = vod_protect_first_encrypted(prot.clear_lead, &t.info);
        assert_int_equal(first, i);

        text = t_iframe_text(&t, &id, &title, 0);

        /* once */
        at = strstr(text, keys);
        assert_non_null(at);
        assert_null(strstr(at + keys_len, "#EXT-X-KEY"));

        if (first == 0) {
            assert_true(strncmp(at + keys_len, "#EXT-X-MAP:", 11) == 0);

        } else {
            for (f = t.info.iframes; f->segment < first; f++) {
                /* void */
            }

            snprintf(want, sizeof(want), "#EXTINF:");
            assert_true(strncmp(at + keys_len, want, strlen(want)) == 0);
            snprintf(want, sizeof(want), "\niframe-sd-%u-%u.m4s\n",
                     f->segment + 1, f->key);
            at = strstr(at, "\niframe-");
            assert_non_null(at);
            assert_true(strncmp(at, want, strlen(want)) == 0);
            assert_true(strstr(text, "#EXT-X-MAP") < strstr(text, keys));
        }

        free(text);
    }

    /* MPEG-TS (AES-128 or SAMPLE-AES) and CMAF under AES-128: the key
     * lines before the first key frame, after EXT-X-MAP; no IV for
     * AES-128, whose IV is each entry's sequence number */
    prot.clear_lead = 0;

    for (i = 0; i < 3; i++) {
        prot.scheme = (i == 2) ? VOD_PROTECT_SCHEME_AES128
                               : VOD_CENC_SCHEME_CBCS;
        title.ts_sample_aes = (i == 1);

        keys_len = vod_hls_keys(buf, &title, (i == 2) ? VOD_STREAM_VIDEO
                                                      : VOD_STREAM_VIDEO_TS)
                   - buf;
        buf[keys_len] = '\0';

        text = t_iframe_text(&t, &id, &title, i < 2);

        at = strstr(text, keys);
        assert_non_null(at);
        assert_null(strstr(at + keys_len, "#EXT-X-KEY"));
        assert_true(strncmp(at + keys_len, "#EXTINF:", 8) == 0);
        assert_null(strstr(at, "#EXTINF") == strstr(text, "#EXTINF")
                    ? NULL : "a key frame before the key line");
        assert_true((strstr(text, ",IV=") != NULL) == (i == 1));
        assert_true(strstr(text, (i == 1) ? "#EXT-X-VERSION:5\n"
                                 : (i == 0) ? "#EXT-X-VERSION:4\n"
                                 : "#EXT-X-VERSION:7\n") != NULL);

        if (i == 2) {
            assert_true(strstr(text, "#EXT-X-MAP") < at);
        }

        free(text);
    }

    free(buf);
    t_iframe_close(&t);
}


/* a line per rendition with key frames; MPEG-TS: H.264 only */

static void
test_iframe_master(void **state)
{
    char             *text, want[256];
    size_t            len;
    u_char           *out;
    uint64_t          peak, avg;
    t_iframe_t        a, h;
    vod_title_t       title;
    vod_rendition_t   r[3];

    static const u_char  in[] = "#EXTM3U\n#EXT-X-VERSION:7\n";

    t_iframe_open(&a, "demo/360p.mp4", T_IFRAME_SEGMENT_MS);
    t_iframe_open(&h, "hevc/360p.mp4", T_IFRAME_SEGMENT_MS);

    memset(r, 0, sizeof(r));
    r[0].id.data = (u_char *) "avc";
    r[0].id.len = 3;
    r[0].video = &a.info;
    r[1].id.data = (u_char *) "hevc";
    r[1].id.len = 4;
    r[1].video = &h.info;
    r[2].id.data = (u_char *) "audio";
    r[2].id.len = 5;

    memset(&title, 0, sizeof(vod_title_t));
    title.renditions = r;
    title.count = 3;

    assert_int_equal(vod_iframe_hls_master(&a.env, in, sizeof(in) - 1,
                                           &title, 0, &out, &len), VOD_OK);
    text = strndup((char *) out, len);
    assert_memory_equal(text, in, sizeof(in) - 1);

    assert_int_equal(vod_iframe_rates(&a.env, &a.info, NULL, 0, &peak, &avg),
                     VOD_OK);
    snprintf(want, sizeof(want), "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%llu,"
             "AVERAGE-BANDWIDTH=%llu,CODECS=\"%s\",RESOLUTION=640x360,"
             "URI=\"iframe-avc.m3u8\"\n", (unsigned long long) peak,
             (unsigned long long) avg, a.info.codec_str);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "CODECS=\"hvc1."));
    assert_non_null(strstr(text, "URI=\"iframe-hevc.m3u8\"\n"));
    assert_null(strstr(text, "audio"));
    free(text);

    /* MPEG-TS: the H.264 rendition's alone, its rates MPEG-TS's */
    assert_int_equal(vod_iframe_hls_master(&a.env, in, sizeof(in) - 1,
                                           &title, 1, &out, &len), VOD_OK);
    text = strndup((char *) out, len);
    assert_int_equal(vod_iframe_rates(&a.env, &a.info, NULL, 1, &peak, &avg),
                     VOD_OK);
    snprintf(want, sizeof(want), "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=%llu,"
             "AVERAGE-BANDWIDTH=%llu,", (unsigned long long) peak,
             (unsigned long long) avg);
    assert_non_null(strstr(text, want));
    assert_non_null(strstr(text, "URI=\"iframets-avc.m3u8\"\n"));
    assert_null(strstr(text, "hevc"));
    free(text);

    /* a rendition whose key frames were not read gets no line */
    h.info.iframes = NULL;
    a.info.iframes = NULL;
    assert_int_equal(vod_iframe_hls_master(&a.env, in, sizeof(in) - 1,
                                           &title, 0, &out, &len), VOD_OK);
    assert_int_equal(len, sizeof(in) - 1);

    t_iframe_close(&h);
    t_iframe_close(&a);
}


/* the trick-mode set: after the MPD's sets, naming the video set, a
 * timeline entry and a SegmentURL per key frame */

static void
test_iframe_dash(void **state)
{
    char              *text, *p, *set;
    size_t             len, mpd_len;
    u_char            *mpd, *out;
    uint32_t           urls, s, r;
    t_iframe_t         a;
    vod_title_t        title;
    vod_rendition_t    rd;

    t_iframe_open(&a, "demo/360p.mp4", T_IFRAME_SEGMENT_MS);

    memset(&rd, 0, sizeof(rd));
    rd.id.data = (u_char *) "360p";
    rd.id.len = 4;
    rd.video = &a.info;

    memset(&title, 0, sizeof(vod_title_t));
    title.renditions = &rd;
    title.count = 1;

    assert_int_equal(vod_dash_mpd(&a.env, &title, &mpd, &mpd_len), VOD_OK);
    assert_int_equal(vod_iframe_dash(&a.env, mpd, mpd_len, &title, &out,
                                     &len), VOD_OK);

    text = strndup((char *) out, len);
    assert_memory_equal(text, mpd, vod_dash_period_end(mpd, mpd_len) - mpd);

    set = strstr(text, "<AdaptationSet id=\"1\" contentType=\"video\"");
    assert_non_null(set);
    assert_non_null(strstr(set, "<EssentialProperty schemeIdUri=\"http://"
                                "dashif.org/guidelines/trickmode\" "
                                "value=\"0\"/>"));
    assert_non_null(strstr(set, "<Representation id=\"iframe-360p\""));
    assert_non_null(strstr(set, "codingDependency=\"false\""));
    assert_non_null(strstr(set, "<Initialization sourceURL=\""
                                "video-360p-init.mp4\"/>"));

    urls = 0;
    for (p = set; (p = strstr(p, "<SegmentURL media=\"iframe-360p-")) != NULL;
         p++)
    {
        urls++;
    }

    s = 0;
    for (p = set; (p = strstr(p, "<S ")) != NULL; p++) {
        r = 0;
        if (strstr(p, " r=\"") != NULL
            && strstr(p, " r=\"") < strstr(p, "/>"))
        {
            r = strtoul(strstr(p, " r=\"") + 4, NULL, 10);
        }

        s += 1 + r;
    }

    assert_int_equal(urls, a.info.iframe_count);
    assert_int_equal(s, a.info.iframe_count);
    assert_non_null(strstr(text, "  </Period>\n</MPD>\n"));
    free(text);

    /* not an MPD */
    assert_int_equal(vod_iframe_dash(&a.env, (u_char *) "<MPD/>", 6,
                                     &title, &out, &len), VOD_ERROR);

    t_iframe_close(&a);
}


static void
test_iframe_url(void **state)
{
    vod_url_t  url;

#define T_URL(s)  vod_url_parse((u_char *) s, sizeof(s) - 1, &url)

    assert_int_equal(T_URL("iframe-hd.m3u8"), VOD_OK);
    assert_int_equal(url.kind, VOD_URL_IFRAMES);
    assert_int_equal(url.stream, VOD_STREAM_VIDEO);
    assert_int_equal(url.id.len, 2);

    assert_int_equal(T_URL("iframets-a-b.m3u8"), VOD_OK);
    assert_int_equal(url.kind, VOD_URL_IFRAMES);
    assert_int_equal(url.stream, VOD_STREAM_VIDEO_TS);
    assert_int_equal(url.id.len, 3);

    /* an id with '-' and digits: the numbers are the last two */
    assert_int_equal(T_URL("iframe-a-1-12-3.m4s"), VOD_OK);
    assert_int_equal(url.kind, VOD_URL_SEGMENT);
    assert_int_equal(url.stream, VOD_STREAM_VIDEO);
    assert_int_equal(url.segment, 11);
    assert_int_equal(url.key, 3);
    assert_memory_equal(url.id.data, "a-1", 3);
    assert_int_equal(url.id.len, 3);

    assert_int_equal(T_URL("iframets-hd-2-4294967295.ts"), VOD_OK);
    assert_int_equal(url.stream, VOD_STREAM_VIDEO_TS);
    assert_int_equal(url.segment, 1);
    assert_int_equal(url.key, 4294967295U);

    /* the other segments carry no key frame */
    assert_int_equal(T_URL("video-hd-2.m4s"), VOD_OK);
    assert_int_equal(url.key, 0);

    assert_int_equal(T_URL("iframe-hd-1-0.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-hd-1-01.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-hd-0-1.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-hd-1-4294967296.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-hd-1.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-1-1.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-hd-1-1.ts"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframets-hd-1-1.m4s"), VOD_BAD_REQUEST);
    assert_int_equal(T_URL("iframe-hd-1-1.mp4"), VOD_NOT_FOUND);
    assert_int_equal(T_URL("iframe-.m3u8"), VOD_BAD_REQUEST);

#undef T_URL
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_iframe_fixtures),
        cmocka_unit_test(test_iframe_audio_only),
        cmocka_unit_test(test_iframe_no_stss),
        cmocka_unit_test(test_iframe_refresh),
        cmocka_unit_test(test_iframe_ctts_runs),
        cmocka_unit_test(test_iframe_rates),
        cmocka_unit_test(test_iframe_playlist),
        cmocka_unit_test(test_iframe_protected),
        cmocka_unit_test(test_iframe_master),
        cmocka_unit_test(test_iframe_dash),
        cmocka_unit_test(test_iframe_url),
    };

    t_media = getenv("VOD_MEDIA");
    if (t_media == NULL) {
        t_media = "build/media";
    }

    return cmocka_run_group_tests(tests, NULL, NULL);
}
