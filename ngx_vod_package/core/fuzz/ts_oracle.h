/*
 * ts_oracle.h: an independent reader of the MPEG-TS segments vod_ts.c
 * makes, for the fuzzer (fuzz_mp4.c) and the unit tests (test_ts.c).
 *
 * ts_oracle_check() parses a segment back and compares it with the samples
 * it was made from:
 *
 *   - whole 188-byte packets, each starting with the 0x47 sync byte;
 *     the PAT then the PMT first, their CRCs right, nothing but the PSI,
 *     the video and the audio PID;
 *   - per PID, continuity counters that go up by one (mod 16) on every
 *     packet with payload and stay the same on one without (13818-1
 *     2.4.3.3);
 *   - a PCR on the PCR PID (video's, else audio's) before any PES, and no
 *     PES decoded before the last PCR sent;
 *   - every PES: a start code, the stream id of its PID, a PES length that
 *     is the bytes that follow it (0, unbounded, for video only), PTS
 *     always, DTS <= PTS, decode times that do not go back per stream;
 *     the PTS the sample's presentation time on a 90 kHz clock, 10 s
 *     later, the DTS its decode time moved back by one amount in a
 *     segment;
 *   - the video PES are the video samples, one access unit each: an
 *     access unit delimiter first and only there, the avcC's SPS and PPS
 *     before a key frame that lacks them, then every NAL unit of the
 *     sample in its order (but its own delimiter and empty units) behind
 *     a 4-byte start code (H.264 Annex B);
 *   - the audio PES hold the audio samples in order, each in an ADTS frame
 *     whose length field counts its header and the sample; AC-3 and
 *     E-AC-3 PES (private_stream_1) hold the samples as they are, whole.
 *
 * ts_oracle_check_shift() also gives how far the segment's video DTS were
 * moved back from the decode times (-1 without video), which must be the
 * same for every segment of a track, or decode times jump back where two
 * segments join.
 *
 * The samples are read through env->read; the oracle's own memory comes
 * from malloc, so it adds nothing to what the caller's env counts.  It
 * returns 0, or -1 with what differs in err.
 */

#ifndef _TS_ORACLE_H_INCLUDED_
#define _TS_ORACLE_H_INCLUDED_


#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vod_core.h"
#include "vod_media.h"


#define TS_ORACLE_PID_PAT    0x0000
#define TS_ORACLE_PID_PMT    0x1000
#define TS_ORACLE_PID_VIDEO  0x0100
#define TS_ORACLE_PID_AUDIO  0x0101

/* timestamps are 33 bits: differences are taken modulo 2^33 */
#define TS_ORACLE_TS_MASK    0x1ffffffffLL


typedef struct {
    u_char                *data;
    size_t                 len;
    size_t                 alloc;
} ts_oracle_buf_t;


typedef struct {
    uint32_t               pid;
    int                    cc;
    int                    open;      /* a PES is being collected */
    uint32_t               pes;       /* PES seen */
    int64_t                last_dts;
    int64_t                pcr;       /* the last PCR when the PES began */
    ts_oracle_buf_t        buf;       /* the current PES, header included */
} ts_oracle_stream_t;


typedef struct {
    vod_env_t             *env;
    const vod_segment_t   *video;
    const vod_segment_t   *audio;
    ts_oracle_stream_t     s[2];      /* video, audio */
    uint32_t               pcr_pid;   /* video's if there is video */
    int64_t                pcr;       /* the last PCR base, -1 before */
    uint32_t               vnext;     /* next video sample to match */
    uint32_t               anext;     /* next audio sample to match */
    uint64_t               vdts;      /* decode time of vnext */
    uint64_t               adts;      /* decode time of anext */
    int64_t                vshift;    /* DTS moved back by, -1 unknown */
    ts_oracle_buf_t        sample;
    ts_oracle_buf_t        want;
    char                  *err;
    size_t                 err_len;
} ts_oracle_t;


static int ts_oracle_check(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *ts, size_t len, char *err,
    size_t err_len);
static int ts_oracle_check_shift(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *ts, size_t len, char *err,
    size_t err_len, int64_t *vshift);
static int ts_oracle_fail(ts_oracle_t *o, const char *fmt, ...);
static int ts_oracle_append(ts_oracle_buf_t *b, const u_char *p, size_t n);
static uint32_t ts_oracle_crc32(const u_char *p, size_t len);
static int ts_oracle_psi(ts_oracle_t *o, const u_char *pl, size_t plen,
    uint32_t table_id);
static int64_t ts_oracle_timestamp(const u_char *p);
static int ts_oracle_pes(ts_oracle_t *o, ts_oracle_stream_t *st);
static int ts_oracle_read(ts_oracle_t *o, const vod_sample_t *s);
static int ts_oracle_video_want(ts_oracle_t *o, const vod_sample_t *s);
static int64_t ts_oracle_90k(int64_t t, uint32_t timescale);
static int ts_oracle_times(ts_oracle_t *o, int video, int64_t pts,
    int64_t dts);
static int ts_oracle_video(ts_oracle_t *o, const u_char *es, size_t len);
static int ts_oracle_audio(ts_oracle_t *o, const u_char *es, size_t len);


static int
ts_oracle_fail(ts_oracle_t *o, const char *fmt, ...)
{
    va_list  args;

    if (o->err != NULL && o->err_len > 0) {
        va_start(args, fmt);
        vsnprintf(o->err, o->err_len, fmt, args);
        va_end(args);
    }

    return -1;
}


static int
ts_oracle_append(ts_oracle_buf_t *b, const u_char *p, size_t n)
{
    u_char  *d;
    size_t   a;

    if (b->len + n > b->alloc) {
        a = (b->alloc > 0) ? b->alloc : 4096;

        while (a < b->len + n) {
            a *= 2;
        }

        d = realloc(b->data, a);
        if (d == NULL) {
            return -1;
        }

        b->data = d;
        b->alloc = a;
    }

    if (n > 0) {
        memcpy(b->data + b->len, p, n);
        b->len += n;
    }

    return 0;
}


/* CRC-32/MPEG-2 (13818-1 Annex A); a section with its CRC sums to 0 */
static uint32_t
ts_oracle_crc32(const u_char *p, size_t len)
{
    int       b;
    uint32_t  crc;

    crc = 0xffffffff;

    while (len--) {
        for (b = 7; b >= 0; b--) {
            crc = (((crc >> 31) ^ (*p >> b)) & 1)
                  ? (crc << 1) ^ 0x04c11db7 : crc << 1;
        }

        p++;
    }

    return crc;
}


/* a PAT or PMT in one packet: pointer_field 0, the table, a good CRC */
static int
ts_oracle_psi(ts_oracle_t *o, const u_char *pl, size_t plen,
    uint32_t table_id)
{
    size_t  seclen;

    if (plen < 1 + 3 || pl[0] != 0 || pl[1] != table_id) {
        return ts_oracle_fail(o, "PSI table 0x%02x missing", table_id);
    }

    seclen = ((pl[2] & 0x0f) << 8) | pl[3];

    if (seclen < 4 || 4 + seclen > plen
        || ts_oracle_crc32(pl + 1, 3 + seclen) != 0)
    {
        return ts_oracle_fail(o, "PSI table 0x%02x: bad length or CRC",
                              table_id);
    }

    return 0;
}


static int64_t
ts_oracle_timestamp(const u_char *p)
{
    if ((p[0] & 1) == 0 || (p[2] & 1) == 0 || (p[4] & 1) == 0) {
        return -1;
    }

    return ((int64_t) (p[0] & 0x0e) << 29) | ((int64_t) p[1] << 22)
           | ((int64_t) (p[2] >> 1) << 15) | ((int64_t) p[3] << 7)
           | (p[4] >> 1);
}


/* sample bytes into o->sample */
static int
ts_oracle_read(ts_oracle_t *o, const vod_sample_t *s)
{
    o->sample.len = 0;

    if (s->size > o->sample.alloc) {
        free(o->sample.data);
        o->sample.data = malloc(s->size);
        o->sample.alloc = (o->sample.data != NULL) ? s->size : 0;

        if (o->sample.data == NULL) {
            return ts_oracle_fail(o, "out of memory");
        }
    }

    if (s->size > 0
        && o->env->read(o->env, o->sample.data, s->size, (off_t) s->offset)
           != (ssize_t) s->size)
    {
        return ts_oracle_fail(o, "sample at %llu unreadable",
                              (unsigned long long) s->offset);
    }

    o->sample.len = s->size;

    return 0;
}


/*
 * The Annex B access unit a video sample must become: a delimiter (its
 * payload is checked apart), the avcC's parameter sets before a key frame
 * without both of its own, then the sample's NAL units.
 */
static int
ts_oracle_video_want(ts_oracle_t *o, const vod_sample_t *s)
{
    int                      sps, pps, idr;
    size_t                   pos, len, cpos, clen;
    uint32_t                 i, n, nls, set, type;
    const u_char            *p, *c;
    const vod_track_info_t  *trk;

    static const u_char      start[4] = { 0, 0, 0, 1 };
    static const u_char      aud[6] = { 0, 0, 0, 1, 0x09, 0xf0 };

    trk = o->video->track;
    nls = trk->nal_length_size;
    p = o->sample.data;

    /* pass 1: what the sample holds */
    sps = 0;
    pps = 0;
    idr = 0;

    for (pos = 0; pos < o->sample.len; pos += len) {
        if (o->sample.len - pos < nls) {
            return ts_oracle_fail(o, "muxed a sample with a cut length");
        }

        for (len = 0, i = 0; i < nls; i++) {
            len = (len << 8) | p[pos + i];
        }

        pos += nls;

        if (len > o->sample.len - pos) {
            return ts_oracle_fail(o, "muxed a NAL unit past its sample");
        }

        if (len > 0) {
            type = p[pos] & 0x1f;
            sps |= (type == 7);
            pps |= (type == 8);
            idr |= (type == 5);
        }
    }

    o->want.len = 0;

    if (ts_oracle_append(&o->want, aud, sizeof(aud)) != 0) {
        return ts_oracle_fail(o, "out of memory");
    }

    if ((s->sync || idr) && !(sps && pps)) {
        c = trk->dec_config;
        cpos = 5;

        for (set = 0; set < 2; set++) {
            if (c == NULL || cpos >= trk->dec_config_len) {
                return ts_oracle_fail(o, "muxed with a cut avcC");
            }

            n = (set == 0) ? (c[cpos] & 0x1f) : c[cpos];
            cpos++;

            for (i = 0; i < n; i++) {
                if (trk->dec_config_len - cpos < 2) {
                    return ts_oracle_fail(o, "muxed with a cut avcC");
                }

                clen = vod_r16(&c[cpos]);
                cpos += 2;

                if (clen > trk->dec_config_len - cpos) {
                    return ts_oracle_fail(o, "muxed with a cut avcC");
                }

                if (ts_oracle_append(&o->want, start, 4) != 0
                    || ts_oracle_append(&o->want, &c[cpos], clen) != 0)
                {
                    return ts_oracle_fail(o, "out of memory");
                }

                cpos += clen;
            }
        }
    }

    /* pass 2: the sample's units but delimiters and empty ones */
    for (pos = 0; pos < o->sample.len; pos += len) {
        for (len = 0, i = 0; i < nls; i++) {
            len = (len << 8) | p[pos + i];
        }

        pos += nls;

        if (len == 0 || (p[pos] & 0x1f) == 9) {
            continue;
        }

        if (ts_oracle_append(&o->want, start, 4) != 0
            || ts_oracle_append(&o->want, &p[pos], len) != 0)
        {
            return ts_oracle_fail(o, "out of memory");
        }
    }

    return 0;
}


static int
ts_oracle_video(ts_oracle_t *o, const u_char *es, size_t len)
{
    size_t               i;
    const vod_sample_t  *s;

    if (o->video == NULL || o->vnext >= o->video->count) {
        return ts_oracle_fail(o, "more video PES than samples");
    }

    s = &o->video->samples[o->vnext];

    if (ts_oracle_read(o, s) != 0 || ts_oracle_video_want(o, s) != 0) {
        return -1;
    }

    /* the delimiter: primary_pic_type, then the stop bit */
    if (len < 6 || memcmp(es, o->want.data, 5) != 0 || (es[5] & 0x1f) != 0x10)
    {
        return ts_oracle_fail(o, "video sample %u: no delimiter first",
                              o->vnext);
    }

    if (len != o->want.len || memcmp(es + 6, o->want.data + 6, len - 6) != 0)
    {
        for (i = 6; i < len && i < o->want.len; i++) {
            if (es[i] != o->want.data[i]) {
                break;
            }
        }

        return ts_oracle_fail(o, "video sample %u: access unit of %zu bytes "
                              "differs from the %zu expected at byte %zu",
                              o->vnext, len, o->want.len, i);
    }

    o->vdts += s->duration;
    o->vnext++;

    return 0;
}


static int
ts_oracle_dolby(const ts_oracle_t *o)
{
    return o->audio != NULL && o->audio->track != NULL
           && (o->audio->track->codec == VOD_CODEC_AC3
               || o->audio->track->codec == VOD_CODEC_EAC3);
}


static int
ts_oracle_audio(ts_oracle_t *o, const u_char *es, size_t len)
{
    size_t               pos, flen;
    uint32_t             frames;
    const vod_sample_t  *s;

    frames = 0;

    for (pos = 0; pos < len; pos += flen) {
        if (o->audio == NULL || o->anext >= o->audio->count) {
            return ts_oracle_fail(o, "more audio frames than samples");
        }

        s = &o->audio->samples[o->anext];

        if (ts_oracle_dolby(o)) {
            /* syncframes as they are: the next sample, whole */
            flen = s->size;

            if (flen == 0 || flen > len - pos) {
                return ts_oracle_fail(o, "audio sample %u: %u bytes, %zu "
                                      "left in the PES", o->anext, s->size,
                                      len - pos);
            }

            if (ts_oracle_read(o, s) != 0) {
                return -1;
            }

            if (memcmp(es + pos, o->sample.data, s->size) != 0) {
                return ts_oracle_fail(o, "audio sample %u differs",
                                      o->anext);
            }

            o->adts += s->duration;
            o->anext++;
            frames++;
            continue;
        }

        if (len - pos < 7 || es[pos] != 0xff || (es[pos + 1] & 0xf6) != 0xf0)
        {
            return ts_oracle_fail(o, "audio sample %u: no ADTS header",
                                  o->anext);
        }

        flen = ((es[pos + 3] & 3) << 11) | (es[pos + 4] << 3)
               | (es[pos + 5] >> 5);

        if (flen != 7 + (size_t) s->size || flen > len - pos) {
            return ts_oracle_fail(o, "audio sample %u: ADTS length %zu for "
                                  "%u bytes", o->anext, flen, s->size);
        }

        if (ts_oracle_read(o, s) != 0) {
            return -1;
        }

        if (memcmp(es + pos + 7, o->sample.data, s->size) != 0) {
            return ts_oracle_fail(o, "audio sample %u differs", o->anext);
        }

        o->adts += s->duration;
        o->anext++;
        frames++;
    }

    if (frames == 0) {
        return ts_oracle_fail(o, "an empty audio PES");
    }

    return 0;
}


/* floor(t * 90000 / timescale), in 128 bits */
static int64_t
ts_oracle_90k(int64_t t, uint32_t timescale)
{
    __int128  v;

    v = (__int128) t * 90000;

    if (v >= 0) {
        return (int64_t) (v / timescale);
    }

    return (int64_t) -((-v + timescale - 1) / timescale);
}


/* a PES's timestamps against the sample it starts with */
static int
ts_oracle_times(ts_oracle_t *o, int video, int64_t pts, int64_t dts)
{
    int64_t              want, shift;
    uint32_t             timescale;
    const vod_sample_t  *s;

    if (video) {
        if (o->vnext >= o->video->count) {
            return 0;
        }

        s = &o->video->samples[o->vnext];
        timescale = o->video->track->timescale;
        want = ts_oracle_90k((int64_t) o->vdts + s->pts_delay, timescale);
        shift = (ts_oracle_90k((int64_t) o->vdts, timescale) + 900000 - dts)
                & TS_ORACLE_TS_MASK;

        if (o->vshift != -1 && shift != o->vshift) {
            return ts_oracle_fail(o, "video sample %u: DTS moved by %lld, "
                                  "not %lld as before", o->vnext,
                                  (long long) shift, (long long) o->vshift);
        }

        o->vshift = shift;

    } else {
        if (o->anext >= o->audio->count) {
            return 0;
        }

        s = &o->audio->samples[o->anext];
        timescale = o->audio->track->timescale;
        want = ts_oracle_90k((int64_t) o->adts + s->pts_delay, timescale);
    }

    if (((want + 900000 - pts) & TS_ORACLE_TS_MASK) != 0) {
        return ts_oracle_fail(o, "%s sample %u: PTS %lld, want %lld",
                              video ? "video" : "audio",
                              video ? o->vnext : o->anext, (long long) pts,
                              (long long) ((want + 900000)
                                           & TS_ORACLE_TS_MASK));
    }

    return 0;
}


/* one whole PES of st, in st->buf */
static int
ts_oracle_pes(ts_oracle_t *o, ts_oracle_stream_t *st)
{
    int            video;
    size_t         len, pes_len, hdr;
    int64_t        pts, dts;
    const u_char  *p;

    video = (st->pid == TS_ORACLE_PID_VIDEO);
    p = st->buf.data;
    len = st->buf.len;

    if (len < 9 || p[0] != 0 || p[1] != 0 || p[2] != 1
        || p[3] != (video ? 0xe0 : (ts_oracle_dolby(o) ? 0xbd : 0xc0))
        || (p[6] & 0xc0) != 0x80)
    {
        return ts_oracle_fail(o, "PID 0x%x: bad PES start", st->pid);
    }

    pes_len = vod_r16(p + 4);

    if (pes_len == 0 ? !video : pes_len != len - 6) {
        return ts_oracle_fail(o, "PID 0x%x: PES length %zu for %zu bytes",
                              st->pid, pes_len, len - 6);
    }

    hdr = 9 + (size_t) p[8];

    if (hdr > len) {
        return ts_oracle_fail(o, "PID 0x%x: PES header past the PES",
                              st->pid);
    }

    switch (p[7] >> 6) {

    case 2:
        if (p[8] < 5 || (p[9] >> 4) != 2) {
            return ts_oracle_fail(o, "PID 0x%x: bad PTS", st->pid);
        }

        pts = ts_oracle_timestamp(p + 9);
        dts = pts;
        break;

    case 3:
        if (p[8] < 10 || (p[9] >> 4) != 3 || (p[14] >> 4) != 1) {
            return ts_oracle_fail(o, "PID 0x%x: bad PTS/DTS", st->pid);
        }

        pts = ts_oracle_timestamp(p + 9);
        dts = ts_oracle_timestamp(p + 14);
        break;

    default:
        return ts_oracle_fail(o, "PID 0x%x: PES without PTS", st->pid);
    }

    if (pts < 0 || dts < 0) {
        return ts_oracle_fail(o, "PID 0x%x: timestamp marker bits",
                              st->pid);
    }

    /* both within half the 33-bit range of each other */
    if (((pts - dts) & TS_ORACLE_TS_MASK) >= ((int64_t) 1 << 32)) {
        return ts_oracle_fail(o, "PID 0x%x PES %u: DTS after PTS",
                              st->pid, st->pes);
    }

    if (((dts - st->pcr) & TS_ORACLE_TS_MASK) >= ((int64_t) 1 << 32)) {
        return ts_oracle_fail(o, "PID 0x%x PES %u: decoded before the PCR",
                              st->pid, st->pes);
    }

    if (st->pes > 0
        && ((dts - st->last_dts) & TS_ORACLE_TS_MASK) >= ((int64_t) 1 << 32))
    {
        return ts_oracle_fail(o, "PID 0x%x PES %u: decode time goes back",
                              st->pid, st->pes);
    }

    st->last_dts = dts;
    st->pes++;

    if (ts_oracle_times(o, video, pts, dts) != 0) {
        return -1;
    }

    return video ? ts_oracle_video(o, p + hdr, len - hdr)
                 : ts_oracle_audio(o, p + hdr, len - hdr);
}


static int
ts_oracle_check(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *ts, size_t len, char *err,
    size_t err_len)
{
    return ts_oracle_check_shift(env, video, audio, ts, len, err, err_len,
                                 NULL);
}


static int
ts_oracle_check_shift(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const u_char *ts, size_t len, char *err,
    size_t err_len, int64_t *vshift)
{
    int                  rc, pusi, afc, k;
    size_t               off, plen;
    uint32_t             pid;
    ts_oracle_t          o;
    const u_char        *p, *pl;
    ts_oracle_stream_t  *st;

    memset(&o, 0, sizeof(ts_oracle_t));
    o.env = env;
    o.video = video;
    o.audio = audio;
    o.err = err;
    o.err_len = err_len;
    o.s[0].pid = TS_ORACLE_PID_VIDEO;
    o.s[1].pid = TS_ORACLE_PID_AUDIO;
    o.s[0].cc = -1;
    o.s[1].cc = -1;
    o.pcr_pid = (video != NULL) ? TS_ORACLE_PID_VIDEO : TS_ORACLE_PID_AUDIO;
    o.pcr = -1;
    o.vshift = -1;
    o.vdts = (video != NULL) ? video->start_dts : 0;
    o.adts = (audio != NULL) ? audio->start_dts : 0;

    if (err != NULL && err_len > 0) {
        err[0] = '\0';
    }

    rc = -1;

    if (len % 188 != 0 || len < 2 * 188) {
        ts_oracle_fail(&o, "%zu bytes: not whole packets", len);
        goto done;
    }

    for (off = 0; off < len; off += 188) {
        p = ts + off;

        if (p[0] != 0x47) {
            ts_oracle_fail(&o, "packet %zu: no sync byte", off / 188);
            goto done;
        }

        pusi = (p[1] >> 6) & 1;
        pid = ((p[1] & 0x1f) << 8) | p[2];
        afc = (p[3] >> 4) & 3;

        if (afc == 0 || (p[1] & 0x80)) {
            ts_oracle_fail(&o, "packet %zu: bad header", off / 188);
            goto done;
        }

        pl = p + 4;
        plen = 184;

        if (afc & 2) {
            if (p[4] > 183 || ((afc & 1) == 0 && p[4] != 183)
                || ((afc & 1) && p[4] == 183))
            {
                ts_oracle_fail(&o, "packet %zu: bad adaptation field",
                               off / 188);
                goto done;
            }

            /* a PCR: its 33-bit base */
            if (p[4] >= 7 && (p[5] & 0x10)) {
                if (pid != o.pcr_pid) {
                    ts_oracle_fail(&o, "packet %zu: a PCR on PID 0x%x",
                                   off / 188, pid);
                    goto done;
                }

                o.pcr = ((int64_t) vod_r32(p + 6) << 1) | (p[10] >> 7);
            }

            pl += 1 + p[4];
            plen -= 1 + p[4];
        }

        if (off == 0 || off == 188) {
            if (pid != (off == 0 ? TS_ORACLE_PID_PAT : TS_ORACLE_PID_PMT)
                || !pusi)
            {
                ts_oracle_fail(&o, "no PAT and PMT first");
                goto done;
            }

            if (ts_oracle_psi(&o, pl, plen, off == 0 ? 0x00 : 0x02) != 0) {
                goto done;
            }

            continue;
        }

        if (pid == TS_ORACLE_PID_VIDEO && video != NULL) {
            st = &o.s[0];

        } else if (pid == TS_ORACLE_PID_AUDIO && audio != NULL) {
            st = &o.s[1];

        } else {
            ts_oracle_fail(&o, "packet %zu: PID 0x%x", off / 188, pid);
            goto done;
        }

        /* continuity: +1 with payload, the same without */
        k = p[3] & 0x0f;

        if (st->cc != -1
            && k != ((afc & 1) ? (st->cc + 1) & 0x0f : st->cc))
        {
            ts_oracle_fail(&o, "packet %zu: PID 0x%x counter %d after %d",
                           off / 188, pid, k, st->cc);
            goto done;
        }

        st->cc = k;

        if ((afc & 1) == 0) {
            if (pusi) {
                ts_oracle_fail(&o, "packet %zu: PES start without payload",
                               off / 188);
                goto done;
            }

            continue;
        }

        if (pusi) {
            if (o.pcr == -1) {
                ts_oracle_fail(&o, "packet %zu: a PES before any PCR",
                               off / 188);
                goto done;
            }

            if (st->open && ts_oracle_pes(&o, st) != 0) {
                goto done;
            }

            st->open = 1;
            st->buf.len = 0;
            st->pcr = o.pcr;

        } else if (!st->open) {
            ts_oracle_fail(&o, "packet %zu: payload before a PES start",
                           off / 188);
            goto done;
        }

        if (ts_oracle_append(&st->buf, pl, plen) != 0) {
            ts_oracle_fail(&o, "out of memory");
            goto done;
        }
    }

    for (k = 0; k < 2; k++) {
        if (o.s[k].open && ts_oracle_pes(&o, &o.s[k]) != 0) {
            goto done;
        }
    }

    if (video != NULL && o.vnext != video->count) {
        ts_oracle_fail(&o, "%u video PES for %u samples", o.vnext,
                       video->count);
        goto done;
    }

    if (audio != NULL && o.anext != audio->count) {
        ts_oracle_fail(&o, "%u audio frames for %u samples", o.anext,
                       audio->count);
        goto done;
    }

    if (vshift != NULL) {
        *vshift = o.vshift;
    }

    rc = 0;

done:

    free(o.s[0].buf.data);
    free(o.s[1].buf.data);
    free(o.sample.data);
    free(o.want.data);

    return rc;
}


#endif /* _TS_ORACLE_H_INCLUDED_ */
