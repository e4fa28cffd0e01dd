/*
 * vod_ts.c: MPEG-TS segments (ISO/IEC 13818-1) for HLS: PAT/PMT, H.264 in
 * Annex B form (ISO/IEC 14496-10 Annex B, AUD and SPS/PPS added), AAC
 * in ADTS frames (ISO/IEC 13818-7 / 14496-3), AC-3 and E-AC-3 syncframes
 * as they are (ATSC A/52 Annex A and G), PCR on the video PID.
 *
 * The segment is muxed in two passes over one plan: the first counts the
 * packets, so the response's length is known before its first byte, the
 * second writes them, in one buffer or a few PES at a time.
 */

#include "vod_ts.h"
#include "vod_ts_saes.h"
#include "vod_fmp4.h"


#define VOD_TS_PACKET          188
#define VOD_TS_PAYLOAD         184

#define VOD_TS_PID_PAT         0x0000
#define VOD_TS_PID_PMT         0x1000
#define VOD_TS_PID_VIDEO       0x0100
#define VOD_TS_PID_AUDIO       0x0101

#define VOD_TS_STREAM_AVC      0x1b
#define VOD_TS_STREAM_AAC      0x0f
/* ATSC A/52 Annex A (AC-3) and Annex G (E-AC-3): the stream_type, a
 * registration descriptor ("AC-3", "EAC3") in the stream's ES_info and
 * PES of private_stream_1 */
#define VOD_TS_STREAM_AC3      0x81
#define VOD_TS_STREAM_EAC3     0x87
/* SAMPLE-AES, Apple's "MPEG-2 Stream Encryption Format for HLS" 3.0 */
#define VOD_TS_STREAM_SAES_AVC 0xdb
#define VOD_TS_STREAM_SAES_AAC 0xcf
#define VOD_TS_STREAM_SAES_AC3 0xc1
#define VOD_TS_STREAM_SAES_EC3 0xc2
#define VOD_TS_DESC_PRIVATE    0x0f        /* private_data_indicator */
/* the audio setup data (AudioSpecificConfig, or the dac3 / dec3 box's
 * fields): its length is one byte, and the PMT must stay one packet */
#define VOD_TS_SAES_SETUP_MAX  64
#define VOD_TS_DESC_REG        0x05
#define VOD_TS_DESC_LANG       0x0a        /* ISO_639_language_descriptor */

#define VOD_TS_SID_VIDEO       0xe0
#define VOD_TS_SID_AUDIO       0xc0
#define VOD_TS_SID_PRIVATE_1   0xbd

/* every timestamp is shifted by 10 s so decode times stay positive */
#define VOD_TS_OFFSET          900000
/* video decode times are moved this much before presentation times, or
 * more where the track's composition offsets go further below zero (an
 * edit list, a version 1 ctts): one amount for the whole track, so that
 * no DTS is after its PTS and decode times run on from one segment to
 * the next (vod_ts_dts_shift) */
#define VOD_TS_DTS_SHIFT       9000

/* a PTS and a DTS, or two decode times, are compared modulo 2^33: they
 * must lie under 2^32 apart (13818-1 2.4.2.4, 2.7.5) */
#define VOD_TS_MAX_DISTANCE    ((int64_t) 1 << 32)

/* audio frames per PES: at most this many, spanning under 100 ms */
#define VOD_TS_AUDIO_FRAMES    5
#define VOD_TS_AUDIO_SPAN      9000

#define VOD_TS_ADTS_HEADER     7
#define VOD_TS_ADTS_MAX        8191

#define VOD_TS_AUD_LEN         6

/* no segment's output may exceed this */
#define VOD_TS_MAX_OUTPUT      ((uint64_t) 4 * VOD_MAX_SEGMENT_BYTES)


typedef struct {
    const u_char         *data;
    int64_t               pts;        /* 90 kHz, offset applied */
    int64_t               dts;
    uint32_t              size;
    uint32_t              es_len;     /* video: Annex B access unit */
    uint32_t              sync;
    uint32_t              add_ps;     /* video: SPS/PPS to insert */
    uint32_t              inplace;    /* video: data rewritten to Annex B */
} vod_ts_frame_t;


typedef struct {
    const vod_segment_t  *segment;
    vod_ts_frame_t       *frames;
    uint32_t              count;
    uint32_t              next;       /* next frame to mux */
    uint32_t              pid;
    uint32_t              group;      /* audio: most frames in one PES */
    u_char                cc;
} vod_ts_track_t;


struct vod_ts_mux_s {
    vod_env_t            *env;
    vod_ts_track_t        video;
    vod_ts_track_t        audio;
    vod_ts_track_t       *pcr;        /* the track carrying the PCR */

    uint32_t              nal_length_size;
    u_char               *ps;         /* Annex B SPS and PPS from avcC */
    size_t                ps_len;
    u_char                adts[VOD_TS_ADTS_HEADER];
    uint32_t              audio_codec;  /* VOD_CODEC_*: AAC gets ADTS */
    u_char                lang[3];    /* the audio's ISO 639-2 code */
    unsigned              has_lang:1;
    unsigned              sample_aes:1;
    const vod_ts_saes_t  *saes;       /* the key, during vod_ts_open() */
    const u_char         *asc;        /* SAMPLE-AES audio setup data */
    size_t                asc_len;

    u_char               *scratch;    /* one PES payload */
    size_t                scratch_len;
    u_char               *prefix;     /* PES header, AUD, SPS/PPS */

    u_char               *span;       /* both tracks' data, one read */
    uint64_t              span_offset;

    u_char                pat_cc;
    u_char                pmt_cc;

    size_t                packets;    /* in the whole segment */
    size_t                max_pes;    /* packets of the largest PES */
    unsigned              started:1;  /* PAT, PMT and PCR written */
};


/*
 * The payload copies go through libc's memcpy: inlined, GCC turns these
 * copies of up to 184 bytes into "rep movsq", whose start-up cost made
 * packetizing four times slower than the copy itself.
 */
static void *(*volatile vod_ts_memcpy)(void *dst, const void *src,
    size_t n) = memcpy;


static int vod_ts_read_span(vod_ts_mux_t *mux, const vod_segment_t *video,
    const vod_segment_t *audio);
static int vod_ts_disjoint(const vod_segment_t *seg[2]);
static int vod_ts_track_init(vod_ts_mux_t *mux, vod_ts_track_t *t,
    const vod_segment_t *segment, uint32_t pid);
static int vod_ts_saes_video(vod_ts_mux_t *mux, vod_ts_track_t *t);
static int vod_ts_saes_audio(vod_ts_mux_t *mux, vod_ts_track_t *t);
static int vod_ts_dts_shift(vod_env_t *env, const vod_track_info_t *trk,
    int64_t *shift);
static int64_t vod_ts_rescale(int64_t t, uint32_t timescale);
static int vod_ts_avc_config(vod_ts_mux_t *mux, const vod_track_info_t *trk);
static int vod_ts_aac_config(vod_ts_mux_t *mux, const vod_track_info_t *trk);
static int vod_ts_avc_scan(vod_ts_mux_t *mux, vod_ts_frame_t *f,
    uint32_t index);
static void vod_ts_avc_prefix(vod_ts_mux_t *mux, const vod_ts_frame_t *f,
    const u_char *hdr, size_t hdr_len);
static size_t vod_ts_avc_write(vod_ts_mux_t *mux, const vod_ts_frame_t *f,
    u_char *out, size_t room);
static uint32_t vod_ts_audio_group(vod_ts_track_t *t, size_t *es_len);
static size_t vod_ts_pes_header(u_char *h, uint32_t stream_id,
    size_t es_len, int64_t pts, int64_t dts, int has_dts);
static u_char *vod_ts_write_timestamp(u_char *p, uint32_t prefix,
    int64_t t);
static size_t vod_ts_packetize(u_char *p, uint32_t pid, u_char *cc,
    int has_pcr, int64_t pcr, int rai, const u_char *hdr, size_t hdr_len,
    const u_char *es, size_t es_len);
static u_char *vod_ts_write_pcr(u_char *p, int64_t pcr);
static size_t vod_ts_mux_start(vod_ts_mux_t *mux, u_char *p);
static size_t vod_ts_mux_pes(vod_ts_mux_t *mux, u_char *p, size_t room);
static u_char *vod_ts_write_psi(vod_ts_mux_t *mux, u_char *p);
static u_char *vod_ts_write_desc(u_char *p, uint32_t tag,
    const char *id);
static u_char *vod_ts_write_saes_audio(vod_ts_mux_t *mux, u_char *p);
static uint32_t vod_ts_crc32(const u_char *p, size_t len);


int
vod_ts_audio_supported(const vod_track_info_t *track)
{
    return track->type == VOD_TRACK_AUDIO
           && (track->codec == VOD_CODEC_AAC || track->codec == VOD_CODEC_AC3
               || track->codec == VOD_CODEC_EAC3);
}


int
vod_ts_supported(const vod_track_info_t *track)
{
    if (track->type == VOD_TRACK_VIDEO) {
        return track->codec == VOD_CODEC_AVC;
    }

    if (track->type == VOD_TRACK_AUDIO) {
        return track->codec == VOD_CODEC_AAC;
    }

    return 0;
}


int
vod_ts_segment(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, u_char **out, size_t *len)
{
    int            rc;
    size_t         size;
    u_char        *buf;
    vod_ts_mux_t  *mux;

    rc = vod_ts_open(env, video, audio, &mux, &size);
    if (rc != VOD_OK) {
        return rc;
    }

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    if (vod_ts_write(mux, buf, size) != size
        || vod_ts_write(mux, buf, size) != 0)
    {
        env->log(env, "ts: packet count changed between passes");
        return VOD_ERROR;
    }

    *out = buf;
    *len = size;

    return VOD_OK;
}


int
vod_ts_open(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, vod_ts_mux_t **out, size_t *len)
{
    return vod_ts_open_saes(env, video, audio, NULL, out, len);
}


int
vod_ts_open_saes(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const vod_ts_saes_t *saes,
    vod_ts_mux_t **out, size_t *len)
{
    int            rc;
    size_t         k;
    vod_ts_mux_t  *mux;

    if (video == NULL && audio == NULL) {
        env->log(env, "ts: no track to mux");
        return VOD_ERROR;
    }

    mux = env->alloc(env, sizeof(vod_ts_mux_t));
    if (mux == NULL) {
        return VOD_ERROR;
    }

    memset(mux, 0, sizeof(vod_ts_mux_t));
    mux->env = env;
    mux->saes = saes;
    mux->sample_aes = (saes != NULL);

    rc = vod_ts_read_span(mux, video, audio);
    if (rc != VOD_OK) {
        return rc;
    }

    if (video != NULL) {
        if (video->track == NULL || video->track->type != VOD_TRACK_VIDEO
            || !vod_ts_supported(video->track))
        {
            env->log(env, "ts: video codec not supported in MPEG-TS");
            return VOD_UNSUPPORTED;
        }

        rc = vod_ts_avc_config(mux, video->track);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_ts_track_init(mux, &mux->video, video, VOD_TS_PID_VIDEO);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    if (audio != NULL) {
        if (audio->track == NULL || !vod_ts_audio_supported(audio->track))
        {
            env->log(env, "ts: audio codec not supported in MPEG-TS");
            return VOD_UNSUPPORTED;
        }

        mux->audio_codec = audio->track->codec;

        if (saes != NULL && (audio->track->dec_config_len
                             > VOD_TS_SAES_SETUP_MAX))
        {
            env->log(env, "ts: SAMPLE-AES of audio track %u: its "
                     "setup data of %u bytes does not fit the PMT",
                     audio->track->track_id,
                     (unsigned) audio->track->dec_config_len);
            return VOD_UNSUPPORTED;
        }

        mux->asc = audio->track->dec_config;
        mux->asc_len = audio->track->dec_config_len;

        if (mux->audio_codec == VOD_CODEC_AAC) {
            rc = vod_ts_aac_config(mux, audio->track);
            if (rc != VOD_OK) {
                return rc;
            }
        }

        rc = vod_ts_track_init(mux, &mux->audio, audio, VOD_TS_PID_AUDIO);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    mux->pcr = (video != NULL) ? &mux->video : &mux->audio;

    mux->prefix = env->alloc(env, 32 + VOD_TS_AUD_LEN + mux->ps_len);
    if (mux->prefix == NULL) {
        return VOD_ERROR;
    }

    mux->scratch = env->alloc(env,
                              mux->scratch_len > 0 ? mux->scratch_len : 1);
    if (mux->scratch == NULL) {
        return VOD_ERROR;
    }

    /* pass 1: count */
    mux->packets = vod_ts_mux_start(mux, NULL);
    mux->max_pes = mux->packets;

    for ( ;; ) {
        k = vod_ts_mux_pes(mux, NULL, 0);
        if (k == 0) {
            break;
        }

        mux->packets += k;

        if (k > mux->max_pes) {
            mux->max_pes = k;
        }
    }

    if ((uint64_t) mux->packets * VOD_TS_PACKET > VOD_TS_MAX_OUTPUT) {
        env->log(env, "ts: segment %u would be %llu bytes",
                 (video != NULL ? video : audio)->index + 1,
                 (unsigned long long) mux->packets * VOD_TS_PACKET);
        return VOD_BAD_DATA;
    }

    /* pass 2, vod_ts_write(), replays the same plan, without env: it may
     * be gone by then */
    mux->env = NULL;
    mux->saes = NULL;
    mux->video.next = 0;
    mux->audio.next = 0;
    mux->video.cc = 0;
    mux->audio.cc = 0;

    *out = mux;
    *len = mux->packets * VOD_TS_PACKET;

    return VOD_OK;
}


void
vod_ts_language(vod_ts_mux_t *mux, const char *code)
{
    size_t  i;

    for (i = 0; i < 3; i++) {
        if (code[i] < 'a' || code[i] > 'z') {
            return;
        }
    }

    if (code[3] != '\0' || mux->audio.segment == NULL) {
        return;
    }

    memcpy(mux->lang, code, 3);
    mux->has_lang = 1;
}


size_t
vod_ts_write_min(vod_ts_mux_t *mux)
{
    return mux->max_pes * VOD_TS_PACKET;
}


size_t
vod_ts_write(vod_ts_mux_t *mux, u_char *buf, size_t size)
{
    u_char  *p;
    size_t   room, k;

    p = buf;
    room = size / VOD_TS_PACKET;

    if (!mux->started) {
        k = vod_ts_mux_start(mux, NULL);

        if (k > room) {
            return 0;
        }

        (void) vod_ts_mux_start(mux, p);
        mux->started = 1;

        p += k * VOD_TS_PACKET;
        room -= k;
    }

    for ( ;; ) {
        k = vod_ts_mux_pes(mux, p, room);
        if (k == 0) {
            break;
        }

        p += k * VOD_TS_PACKET;
        room -= k;
    }

    return p - buf;
}


/*
 * Mezzanines interleave audio and video in small chunks, so one segment's
 * samples of both tracks usually fill one region of the file: read it with
 * one pread() instead of one per chunk.  When the region holds much else
 * (a third track, an odd layout), each track reads its own ranges.
 */
static int
vod_ts_read_span(vod_ts_mux_t *mux, const vod_segment_t *video,
    const vod_segment_t *audio)
{
    uint32_t              i, k;
    uint64_t              lo, hi, end, data;
    const vod_segment_t  *seg[2];

    seg[0] = video;
    seg[1] = audio;

    lo = UINT64_MAX;
    hi = 0;
    data = 0;

    for (k = 0; k < 2; k++) {
        if (seg[k] == NULL || seg[k]->count > VOD_MAX_SEGMENT_SAMPLES
            || (seg[k]->count > 0 && seg[k]->samples == NULL))
        {
            continue;
        }

        for (i = 0; i < seg[k]->count; i++) {
            end = seg[k]->samples[i].offset + seg[k]->samples[i].size;

            if (end < seg[k]->samples[i].offset) {
                return VOD_OK;
            }

            if (seg[k]->samples[i].offset < lo) {
                lo = seg[k]->samples[i].offset;
            }

            if (end > hi) {
                hi = end;
            }

            data += seg[k]->samples[i].size;
        }
    }

    if (data == 0 || hi - lo > data + data / 8 + 65536
        || hi - lo > VOD_MAX_SEGMENT_BYTES || !vod_ts_disjoint(seg))
    {
        return VOD_OK;
    }

    mux->span = mux->env->alloc(mux->env, hi - lo);
    if (mux->span == NULL) {
        return VOD_ERROR;
    }

    if (mux->env->read(mux->env, mux->span, hi - lo, (off_t) lo)
        != (ssize_t) (hi - lo))
    {
        mux->env->log(mux->env, "ts: read of %llu bytes at %llu failed",
                      (unsigned long long) (hi - lo),
                      (unsigned long long) lo);
        return VOD_ERROR;
    }

    mux->span_offset = lo;

    return VOD_OK;
}


/*
 * Whether no byte of the file belongs to two samples: the span is shared
 * by every sample in it and video is rewritten where it lies, so samples
 * whose ranges overlap (the index accepts overlapping chunks) would change
 * each other's data between the pass that sizes a frame and the one that
 * writes it.  Linear: each track's samples must lie in file order, and
 * the two tracks are walked together.  Otherwise each track reads its own
 * copy of every sample.
 */
static int
vod_ts_disjoint(const vod_segment_t *seg[2])
{
    uint32_t             i[2], k;
    uint64_t             end;
    const vod_sample_t  *s, *t;

    for (k = 0; k < 2; k++) {
        /* vod_ts_track_init() refuses these; until then, no span */
        if (seg[k] != NULL
            && (seg[k]->count > VOD_MAX_SEGMENT_SAMPLES
                || (seg[k]->count > 0 && seg[k]->samples == NULL)))
        {
            return 0;
        }
    }

    i[0] = 0;
    i[1] = 0;
    end = 0;

    for ( ;; ) {
        /* the next non-empty sample of each track */
        for (k = 0; k < 2; k++) {
            while (seg[k] != NULL && i[k] < seg[k]->count
                   && seg[k]->samples[i[k]].size == 0)
            {
                i[k]++;
            }
        }

        s = (seg[0] != NULL && i[0] < seg[0]->count)
            ? &seg[0]->samples[i[0]] : NULL;
        t = (seg[1] != NULL && i[1] < seg[1]->count)
            ? &seg[1]->samples[i[1]] : NULL;

        if (s == NULL && t == NULL) {
            return 1;
        }

        if (s == NULL || (t != NULL && t->offset < s->offset)) {
            s = t;
            i[1]++;

        } else {
            i[0]++;
        }

        /* a sample before the last one's end: overlapping, or out of
         * file order in its track (then it may overlap an earlier one) */
        if (s->offset < end) {
            return 0;
        }

        end = s->offset + s->size;
    }
}


static int
vod_ts_track_init(vod_ts_mux_t *mux, vod_ts_track_t *t,
    const vod_segment_t *segment, uint32_t pid)
{
    int                  rc;
    u_char              *data, *p;
    size_t               es_len;
    int64_t              dts, shift;
    uint32_t             i, nranges, n, timescale;
    uint64_t             total, dts_end;
    vod_env_t           *env;
    vod_range_t         *ranges;
    vod_ts_frame_t      *f;
    const vod_sample_t  *s;

    env = mux->env;

    t->segment = segment;
    t->pid = pid;
    t->count = segment->count;

    /* SAMPLE-AES restarts the chain at each frame, and clients that
     * restart it at each PES (FFmpeg's) then read the same: one frame a
     * PES */
    t->group = mux->sample_aes ? 1 : VOD_TS_AUDIO_FRAMES;
    timescale = segment->track->timescale;

    if (segment->count > VOD_MAX_SEGMENT_SAMPLES
        || (segment->count > 0 && segment->samples == NULL))
    {
        env->log(env, "ts: segment %u has %u samples",
                 segment->index + 1, segment->count);
        return VOD_BAD_DATA;
    }

    if (timescale == 0) {
        env->log(env, "ts: zero timescale in track %u",
                 segment->track->track_id);
        return VOD_BAD_DATA;
    }

    rc = vod_ts_dts_shift(env, segment->track, &shift);
    if (rc != VOD_OK) {
        return rc;
    }

    /* sizes and decode times: checked before anything is allocated or
     * multiplied */
    total = 0;
    dts_end = segment->start_dts;

    for (i = 0; i < segment->count; i++) {
        s = &segment->samples[i];

        if (s->size > VOD_MAX_SAMPLE_SIZE) {
            env->log(env, "ts: sample %u of segment %u is %u bytes",
                     i, segment->index + 1, s->size);
            return VOD_BAD_DATA;
        }

        total += s->size;
        dts_end += s->duration;

        if (dts_end >= ((uint64_t) 1 << 62)) {
            break;
        }
    }

    if (total != segment->data_size || total > VOD_MAX_SEGMENT_BYTES) {
        env->log(env, "ts: segment %u data size %llu, samples sum to %llu",
                 segment->index + 1,
                 (unsigned long long) segment->data_size,
                 (unsigned long long) total);
        return VOD_BAD_DATA;
    }

    /* 2^32 seconds keeps every 90 kHz conversion within 64 bits */
    if (segment->start_dts >= ((uint64_t) 1 << 62)
        || dts_end >= ((uint64_t) 1 << 62)
        || dts_end / timescale > UINT32_MAX)
    {
        env->log(env, "ts: segment %u decode times out of range",
                 segment->index + 1);
        return VOD_BAD_DATA;
    }

    /* every time of a segment, and its PCR, compared modulo 2^33: a
     * segment hours long (samples a hostile stts makes so) would wrap;
     * half the distance leaves room for the composition offsets */
    if (vod_ts_rescale(dts_end, timescale)
        - vod_ts_rescale(segment->start_dts, timescale)
        >= VOD_TS_MAX_DISTANCE / 2)
    {
        env->log(env, "ts: segment %u lasts %llu s, more than MPEG-TS "
                 "timestamps tell apart", segment->index + 1,
                 (unsigned long long)
                     ((dts_end - segment->start_dts) / timescale));
        return VOD_BAD_DATA;
    }

    /* the samples' data: from the span, or read range by range */
    data = NULL;
    nranges = 0;
    ranges = NULL;

    if (mux->span == NULL) {
        data = env->alloc(env, total > 0 ? total : 1);
        if (data == NULL) {
            return VOD_ERROR;
        }

        rc = vod_segment_ranges(env, segment, &ranges, &nranges);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    p = data;

    for (i = 0; i < nranges; i++) {
        if (env->read(env, p, ranges[i].size, ranges[i].offset)
            != (ssize_t) ranges[i].size)
        {
            env->log(env, "ts: read of %llu bytes at %llu failed",
                     (unsigned long long) ranges[i].size,
                     (unsigned long long) ranges[i].offset);
            return VOD_ERROR;
        }

        p += ranges[i].size;
    }

    t->frames = env->alloc(env, sizeof(vod_ts_frame_t)
                                * (segment->count > 0 ? segment->count : 1));
    if (t->frames == NULL) {
        return VOD_ERROR;
    }

    p = data;
    dts = segment->start_dts;

    for (i = 0; i < segment->count; i++) {
        s = &segment->samples[i];
        f = &t->frames[i];

        /* every field, on every path: the frames are not zeroed */
        f->data = (mux->span != NULL)
                  ? mux->span + (s->offset - mux->span_offset) : p;
        f->size = s->size;
        f->es_len = 0;
        f->sync = s->sync;
        f->add_ps = 0;
        f->inplace = 0;
        f->pts = vod_ts_rescale(dts + s->pts_delay, timescale)
                 + VOD_TS_OFFSET;
        f->dts = (pid == VOD_TS_PID_VIDEO)
                 ? vod_ts_rescale(dts, timescale) + VOD_TS_OFFSET - shift
                 : f->pts;

        /* the track's range holds every sample's offset: a sample out of
         * it would put its DTS after its PTS */
        if (f->pts < f->dts || f->pts - f->dts >= VOD_TS_MAX_DISTANCE
            || s->pts_delay < segment->track->min_pts_delay
            || s->pts_delay > segment->track->max_pts_delay)
        {
            env->log(env, "ts: sample %u of segment %u: composition offset "
                     "%d outside track %u's range", i, segment->index + 1,
                     s->pts_delay, segment->track->track_id);
            return VOD_BAD_DATA;
        }

        if (mux->span == NULL) {
            p += s->size;
        }

        dts += s->duration;
    }

    if (pid == VOD_TS_PID_VIDEO) {
        if (mux->saes != NULL) {
            rc = vod_ts_saes_video(mux, t);
            if (rc != VOD_OK) {
                return rc;
            }
        }

        for (i = 0; i < segment->count; i++) {
            f = &t->frames[i];

            rc = vod_ts_avc_scan(mux, f, i);
            if (rc != VOD_OK) {
                return rc;
            }

            if (f->es_len > mux->scratch_len) {
                mux->scratch_len = f->es_len;
            }
        }

        return VOD_OK;
    }

    for (i = 0; i < segment->count; i++) {
        f = &t->frames[i];

        if (mux->audio_codec != VOD_CODEC_AAC) {
            /* AC-3, E-AC-3: the sample's syncframes, self-delimiting; an
             * empty one is no frame at all */
            if (f->size == 0) {
                env->log(env, "ts: audio frame %u of segment %u is empty",
                         i, segment->index + 1);
                return VOD_BAD_DATA;
            }

            f->es_len = f->size;
            continue;
        }

        if (f->size > VOD_TS_ADTS_MAX - VOD_TS_ADTS_HEADER) {
            env->log(env, "ts: AAC frame %u of segment %u is %u bytes",
                     i, segment->index + 1, f->size);
            return VOD_BAD_DATA;
        }

        f->es_len = VOD_TS_ADTS_HEADER + f->size;
    }

    if (mux->saes != NULL) {
        rc = vod_ts_saes_audio(mux, t);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    while (t->next < t->count) {
        n = vod_ts_audio_group(t, &es_len);
        t->next += n;

        if (es_len > mux->scratch_len) {
            mux->scratch_len = es_len;
        }
    }

    t->next = 0;

    return VOD_OK;
}


/*
 * SAMPLE-AES of a video track's frames: each becomes a new buffer of
 * 4-byte length-prefixed NAL units, slices encrypted (vod_ts_saes_nal()),
 * so the scan that follows sizes the encrypted units and the file's bytes
 * stay as read.  NAL lengths are checked as the scan checks them.
 */
static int
vod_ts_saes_video(vod_ts_mux_t *mux, vod_ts_track_t *t)
{
    u_char          *tmp, *out, *o;
    size_t           pos, len, n, bound, max;
    uint32_t         i, k, nls;
    vod_ts_frame_t  *f;

    nls = mux->nal_length_size;
    max = 1;

    for (i = 0; i < t->count; i++) {
        if (t->frames[i].size > max) {
            max = t->frames[i].size;
        }
    }

    tmp = mux->env->alloc(mux->env, max);
    if (tmp == NULL) {
        return VOD_ERROR;
    }

    for (i = 0; i < t->count; i++) {
        f = &t->frames[i];

        /* each NAL unit: 4 bytes of length and its bound */
        bound = 0;

        for (pos = 0; pos < f->size; pos += len) {
            if (f->size - pos < nls) {
                goto bad;
            }

            for (len = 0, k = 0; k < nls; k++) {
                len = (len << 8) | f->data[pos + k];
            }

            pos += nls;

            if (len > f->size - pos) {
                goto bad;
            }

            bound += 4 + vod_ts_saes_nal_bound(len);
        }

        out = mux->env->alloc(mux->env, bound > 0 ? bound : 1);
        if (out == NULL) {
            return VOD_ERROR;
        }

        o = out;

        for (pos = 0; pos < f->size; pos += len) {
            for (len = 0, k = 0; k < nls; k++) {
                len = (len << 8) | f->data[pos + k];
            }

            pos += nls;

            n = vod_ts_saes_nal(mux->saes, &f->data[pos], len, o + 4, tmp);
            if (n == 0 && len > 0) {
                mux->env->log(mux->env, "ts: SAMPLE-AES encryption failed");
                return VOD_ERROR;
            }

            vod_w32(o, n);
            o += n;
        }

        if ((size_t) (o - out) > VOD_MAX_SAMPLE_SIZE) {
            mux->env->log(mux->env, "ts: sample %u of video segment %u is "
                          "%zu bytes encrypted", i, t->segment->index + 1,
                          (size_t) (o - out));
            return VOD_BAD_DATA;
        }

        f->data = out;
        f->size = (uint32_t) (o - out);
    }

    mux->nal_length_size = 4;

    return VOD_OK;

bad:

    mux->env->log(mux->env, "ts: NAL unit lengths run past sample %u "
                  "of video segment %u", i, t->segment->index + 1);
    return VOD_BAD_DATA;
}


/* SAMPLE-AES of an audio track's frames, each in a copy: the file's
 * bytes may be another track's too (vod_ts_disjoint()) */
static int
vod_ts_saes_audio(vod_ts_mux_t *mux, vod_ts_track_t *t)
{
    int              rc;
    u_char          *out;
    uint32_t         i;
    vod_ts_frame_t  *f;

    for (i = 0; i < t->count; i++) {
        f = &t->frames[i];

        out = mux->env->alloc(mux->env, f->size > 0 ? f->size : 1);
        if (out == NULL) {
            return VOD_ERROR;
        }

        memcpy(out, f->data, f->size);

        rc = (mux->audio_codec == VOD_CODEC_AAC)
             ? vod_ts_saes_aac(mux->saes, out, f->size)
             : vod_ts_saes_dolby(mux->saes, out, f->size);

        if (rc != VOD_OK) {
            mux->env->log(mux->env, "ts: SAMPLE-AES encryption failed");
            return VOD_ERROR;
        }

        f->data = out;
    }

    return VOD_OK;
}


/*
 * How far a track's DTS are moved back from its decode times on the
 * 90 kHz clock, the same for every segment of the track.  A frame's PTS
 * less its DTS before the move lies within floor() and ceil() of its
 * composition offset rescaled, so a move of -floor(min_pts_delay) (at
 * least VOD_TS_DTS_SHIFT) puts no DTS after its PTS.  Audio PES carry a
 * PTS only, the decode time: its offsets must all be one, or PTS would go
 * back.  A track whose PTS would lie 2^32 ticks (13 hours) or more past
 * its DTS has no timeline MPEG-TS can carry: refused, whichever segment
 * is asked for.
 */
static int
vod_ts_dts_shift(vod_env_t *env, const vod_track_info_t *trk,
    int64_t *shift)
{
    int64_t  lo, hi;

    if (trk->min_pts_delay > trk->max_pts_delay) {
        env->log(env, "ts: track %u: composition offsets from %d to %d",
                 trk->track_id, trk->min_pts_delay, trk->max_pts_delay);
        return VOD_BAD_DATA;
    }

    if (trk->type == VOD_TRACK_AUDIO) {
        if (trk->min_pts_delay != trk->max_pts_delay) {
            env->log(env, "ts: audio track %u: composition offsets vary "
                     "from %d to %d", trk->track_id, trk->min_pts_delay,
                     trk->max_pts_delay);
            return VOD_BAD_DATA;
        }

        *shift = 0;
        return VOD_OK;
    }

    lo = vod_ts_rescale(trk->min_pts_delay, trk->timescale);
    hi = -vod_ts_rescale(-(int64_t) trk->max_pts_delay, trk->timescale);

    *shift = (-lo > VOD_TS_DTS_SHIFT) ? -lo : VOD_TS_DTS_SHIFT;

    if (hi + *shift >= VOD_TS_MAX_DISTANCE) {
        env->log(env, "ts: track %u: composition offsets from %d to %d in "
                 "timescale %u, beyond what MPEG-TS carries", trk->track_id,
                 trk->min_pts_delay, trk->max_pts_delay, trk->timescale);
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


/* floor(t * 90000 / timescale) for |t| < 2^32 * timescale */
static int64_t
vod_ts_rescale(int64_t t, uint32_t timescale)
{
    uint64_t  a, q, r;

    if (t >= 0) {
        a = (uint64_t) t;
        q = a / timescale;
        r = a % timescale;

        return (int64_t) (q * 90000 + r * 90000 / timescale);
    }

    a = (uint64_t) -t;
    q = a / timescale;
    r = a % timescale;

    return -(int64_t) (q * 90000 + (r * 90000 + timescale - 1) / timescale);
}


/* SPS and PPS from an AVCDecoderConfigurationRecord, 14496-15 5.3.3.1 */
static int
vod_ts_avc_config(vod_ts_mux_t *mux, const vod_track_info_t *trk)
{
    u_char         *p;
    size_t          pos, len, total;
    uint32_t        i, n, pass, set;
    const u_char   *c;

    c = trk->dec_config;

    if (c == NULL || trk->dec_config_len < 7
        || trk->dec_config_len > VOD_MAX_SAMPLE_ENTRY || c[0] != 1)
    {
        goto bad;
    }

    if (trk->nal_length_size < 1 || trk->nal_length_size > 4) {
        goto bad;
    }

    mux->nal_length_size = trk->nal_length_size;

    /* pass 0 measures and checks, pass 1 copies */
    total = 0;
    p = NULL;

    for (pass = 0; pass < 2; pass++) {
        pos = 5;

        for (set = 0; set < 2; set++) {
            if (pos >= trk->dec_config_len) {
                goto bad;
            }

            n = (set == 0) ? (c[pos] & 0x1f) : c[pos];
            pos++;

            for (i = 0; i < n; i++) {
                if (trk->dec_config_len - pos < 2) {
                    goto bad;
                }

                len = vod_r16(&c[pos]);
                pos += 2;

                if (len == 0 || trk->dec_config_len - pos < len) {
                    goto bad;
                }

                if (pass == 0) {
                    total += 4 + len;

                } else {
                    vod_w32(p, 1);
                    memcpy(p, &c[pos], len);
                    p += len;
                }

                pos += len;
            }
        }

        if (pass == 0) {
            mux->ps = mux->env->alloc(mux->env, total > 0 ? total : 1);
            if (mux->ps == NULL) {
                return VOD_ERROR;
            }

            mux->ps_len = total;
            p = mux->ps;
        }
    }

    return VOD_OK;

bad:

    mux->env->log(mux->env, "ts: bad avcC in track %u", trk->track_id);
    return VOD_BAD_DATA;
}


/* ADTS header fields from an AudioSpecificConfig, 14496-3 1.6.2.1 */
static int
vod_ts_aac_config(vod_ts_mux_t *mux, const vod_track_info_t *trk)
{
    uint32_t        bits, aot, sfi, chan, pos;
    const u_char   *c;

    c = trk->dec_config;

    if (c == NULL || trk->dec_config_len < 2) {
        goto bad;
    }

    /* the first 32 bits hold everything read below */
    bits = (uint32_t) c[0] << 24 | (uint32_t) c[1] << 16;

    if (trk->dec_config_len > 2) {
        bits |= (uint32_t) c[2] << 8;
    }

    if (trk->dec_config_len > 3) {
        bits |= c[3];
    }

    aot = bits >> 27;
    pos = 5;

    if (aot == 31) {
        /* escaped object types are beyond what ADTS can carry */
        goto unsupported;
    }

    sfi = (bits >> (28 - pos)) & 0xf;
    pos += 4;

    if (sfi == 0xf) {
        /* an explicit frequency: ADTS has only the index */
        goto unsupported;
    }

    chan = (bits >> (28 - pos)) & 0xf;
    pos += 4;

    if (aot == 5 || aot == 29) {
        /* explicit SBR/PS signalling: the core object type follows the
         * extension sampling frequency index */
        if (trk->dec_config_len < 4
            || ((bits >> (28 - pos)) & 0xf) == 0xf)
        {
            goto unsupported;
        }

        pos += 4;
        aot = (bits >> (27 - pos)) & 0x1f;
    }

    if (aot < 1 || aot > 4 || sfi > 12 || chan == 0 || chan > 7) {
        goto unsupported;
    }

    mux->adts[0] = 0xff;
    mux->adts[1] = 0xf1;                      /* MPEG-4, no CRC */
    mux->adts[2] = (u_char) (((aot - 1) << 6) | (sfi << 2) | (chan >> 2));
    mux->adts[3] = (u_char) ((chan & 3) << 6);
    mux->adts[4] = 0;
    mux->adts[5] = 0x1f;                      /* buffer fullness 0x7ff */
    mux->adts[6] = 0xfc;

    return VOD_OK;

bad:

    mux->env->log(mux->env, "ts: bad AudioSpecificConfig in track %u",
                  trk->track_id);
    return VOD_BAD_DATA;

unsupported:

    mux->env->log(mux->env, "ts: AAC configuration of track %u cannot be "
                  "carried in ADTS", trk->track_id);
    return VOD_UNSUPPORTED;
}


/* Walk a length-prefixed access unit: check it and size its Annex B
 * form (AUD, SPS/PPS when a key frame lacks them, start-coded NALs). */
static int
vod_ts_avc_scan(vod_ts_mux_t *mux, vod_ts_frame_t *f, uint32_t index)
{
    int            has_sps, has_pps, idr, keep;
    u_char        *w;
    size_t         pos, len, es;
    uint32_t       i, nls, type;
    const u_char  *p;

    p = f->data;
    nls = mux->nal_length_size;
    es = VOD_TS_AUD_LEN;
    has_sps = 0;
    has_pps = 0;
    idr = 0;
    pos = 0;
    keep = (nls == 4);

    while (pos < f->size) {
        if (f->size - pos < nls) {
            goto bad;
        }

        len = 0;

        for (i = 0; i < nls; i++) {
            len = (len << 8) | p[pos + i];
        }

        pos += nls;

        if (len > f->size - pos) {
            goto bad;
        }

        if (len > 0) {
            type = p[pos] & 0x1f;

            if (type == 7) {
                has_sps = 1;

            } else if (type == 8) {
                has_pps = 1;

            } else if (type == 5) {
                idr = 1;
            }

            if (type != 9) {
                es += 4 + len;

            } else {
                keep = 0;
            }

        } else {
            keep = 0;
        }

        pos += len;
    }

    /*
     * With 4-byte NAL lengths, no empty NAL and no delimiter of its own,
     * the access unit in Annex B is the sample with each length replaced
     * by a start code of the same size: rewrite it where it lies (the
     * buffer is this request's copy of the file, and its bytes are no
     * other sample's: vod_ts_disjoint()) and packetize from there, saving
     * a copy of every video byte.
     */

    if (keep) {
        w = (u_char *) f->data;

        for (pos = 0; pos < f->size; pos += 4 + len) {
            len = vod_r32(w + pos);
            w[pos] = 0;
            w[pos + 1] = 0;
            w[pos + 2] = 0;
            w[pos + 3] = 1;
        }

        f->inplace = 1;
    }

    /* a key frame carries both parameter sets, its own or the avcC's */
    f->add_ps = (f->sync || idr) && !(has_sps && has_pps);

    if (f->add_ps) {
        es += mux->ps_len;
    }

    /* each NAL grows by at most 3 bytes, so es < 4 * size + constants */
    f->es_len = (uint32_t) es;

    return VOD_OK;

bad:

    mux->env->log(mux->env, "ts: NAL unit lengths run past sample %u "
                  "of video segment %u", index,
                  mux->video.segment->index + 1);
    return VOD_BAD_DATA;
}


/* mux->prefix: the PES header, an access unit delimiter and, before a key
 * frame without them, the SPS and PPS */
static void
vod_ts_avc_prefix(vod_ts_mux_t *mux, const vod_ts_frame_t *f,
    const u_char *hdr, size_t hdr_len)
{
    u_char  *o;

    o = mux->prefix;

    memcpy(o, hdr, hdr_len);
    o += hdr_len;

    vod_w32(o, 1);
    vod_w8(o, 0x09);
    vod_w8(o, 0xf0);

    if (f->add_ps) {
        memcpy(o, mux->ps, mux->ps_len);
    }
}


/*
 * The access unit in Annex B at out, in at most room bytes (the size the
 * scan gave it): every length is checked again against the sample and
 * every write against room, so a sample whose bytes changed since the
 * scan (they must not) gives a short access unit, never a write past the
 * buffer.
 */
static size_t
vod_ts_avc_write(vod_ts_mux_t *mux, const vod_ts_frame_t *f, u_char *out,
    size_t room)
{
    u_char        *o, *end;
    size_t         pos, len;
    uint32_t       i, nls;
    const u_char  *p;

    o = out;
    end = out + room;

    if (room < VOD_TS_AUD_LEN + (f->add_ps ? mux->ps_len : 0)) {
        return 0;
    }

    /* access unit delimiter, primary_pic_type 7 (any slice type) */
    vod_w32(o, 1);
    vod_w8(o, 0x09);
    vod_w8(o, 0xf0);

    if (f->add_ps) {
        memcpy(o, mux->ps, mux->ps_len);
        o += mux->ps_len;
    }

    p = f->data;
    nls = mux->nal_length_size;
    pos = 0;

    while (f->size - pos >= nls && nls > 0) {
        len = 0;

        for (i = 0; i < nls; i++) {
            len = (len << 8) | p[pos + i];
        }

        pos += nls;

        if (len > f->size - pos) {
            break;
        }

        if (len > 0 && (p[pos] & 0x1f) != 9) {
            if ((size_t) (end - o) < 4 + len) {
                break;
            }

            vod_w32(o, 1);
            memcpy(o, &p[pos], len);
            o += len;
        }

        pos += len;
    }

    return o - out;
}


/* How many audio frames from t->next go in one PES, and their ADTS
 * length: up to VOD_TS_AUDIO_FRAMES starting within VOD_TS_AUDIO_SPAN. */
static uint32_t
vod_ts_audio_group(vod_ts_track_t *t, size_t *es_len)
{
    size_t           len;
    uint32_t         n;
    vod_ts_frame_t  *first;

    first = &t->frames[t->next];
    len = 0;

    for (n = 0; n < t->group && t->next + n < t->count; n++) {
        if (n > 0 && first[n].pts - first->pts >= VOD_TS_AUDIO_SPAN) {
            break;
        }

        len += first[n].es_len;
    }

    *es_len = len;

    return n;
}


/* PES header, 13818-1 2.4.3.6 */
static size_t
vod_ts_pes_header(u_char *h, uint32_t stream_id, size_t es_len,
    int64_t pts, int64_t dts, int has_dts)
{
    size_t   hdr_data, pes_len;
    u_char  *p;

    p = h;
    hdr_data = has_dts ? 10 : 5;
    pes_len = 3 + hdr_data + es_len;

    vod_w24(p, 0x000001);
    vod_w8(p, stream_id);

    /* video may leave the length 0 (unbounded) */
    vod_w16(p, pes_len > 0xffff ? 0 : pes_len);

    vod_w8(p, 0x84);                          /* '10', data_alignment */
    vod_w8(p, has_dts ? 0xc0 : 0x80);
    vod_w8(p, hdr_data);

    if (has_dts) {
        p = vod_ts_write_timestamp(p, 0x3, pts);
        p = vod_ts_write_timestamp(p, 0x1, dts);

    } else {
        p = vod_ts_write_timestamp(p, 0x2, pts);
    }

    return p - h;
}


static u_char *
vod_ts_write_timestamp(u_char *p, uint32_t prefix, int64_t t)
{
    uint64_t  v;

    v = (uint64_t) t & 0x1ffffffffULL;

    vod_w8(p, (prefix << 4) | ((v >> 29) & 0x0e) | 1);
    vod_w16(p, ((v >> 14) & 0xfffe) | 1);
    vod_w16(p, ((v << 1) & 0xfffe) | 1);

    return p;
}


static u_char *
vod_ts_write_pcr(u_char *p, int64_t pcr)
{
    uint64_t  v;

    /* program_clock_reference_base, 6 reserved bits, extension 0 */
    v = (uint64_t) pcr & 0x1ffffffffULL;

    vod_w32(p, v >> 1);
    vod_w8(p, ((v & 1) << 7) | 0x7e);
    vod_w8(p, 0);

    return p;
}


/* Packets of one PES (hdr then es); with p NULL only counts them.  The
 * first packet's adaptation field carries the PCR and random access flag,
 * the last one's pads the packet. */
static size_t
vod_ts_packetize(u_char *p, uint32_t pid, u_char *cc, int has_pcr,
    int64_t pcr, int rai, const u_char *hdr, size_t hdr_len,
    const u_char *es, size_t es_len)
{
    int      first;
    u_char  *q;
    size_t   total, off, payload, af, base, n, h;

    total = hdr_len + es_len;
    base = (has_pcr || rai) ? 2 + (has_pcr ? 6 : 0) : 0;

    if (p == NULL) {
        /* the loop below, in closed form */
        if (total <= VOD_TS_PAYLOAD - base) {
            return 1;
        }

        return 1 + (total - (VOD_TS_PAYLOAD - base) + VOD_TS_PAYLOAD - 1)
                   / VOD_TS_PAYLOAD;
    }

    off = 0;
    n = 0;

    for (first = 1; first || off < total; first = 0) {
        payload = total - off;

        if (payload > VOD_TS_PAYLOAD - (first ? base : 0)) {
            payload = VOD_TS_PAYLOAD - (first ? base : 0);
        }

        af = VOD_TS_PAYLOAD - payload;

        q = p;

        vod_w8(q, 0x47);
        vod_w8(q, (first ? 0x40 : 0) | ((pid >> 8) & 0x1f));
        vod_w8(q, pid & 0xff);
        vod_w8(q, (af > 0 ? 0x30 : 0x10) | *cc);
        *cc = (*cc + 1) & 0x0f;

        if (af > 0) {
            vod_w8(q, af - 1);

            if (af > 1) {
                vod_w8(q, (first && rai ? 0x40 : 0)
                          | (first && has_pcr ? 0x10 : 0));

                if (first && has_pcr) {
                    q = vod_ts_write_pcr(q, pcr);
                }

                memset(q, 0xff, p + 4 + af - q);
                q = p + 4 + af;
            }
        }

        /* payload from the header, then from the es */
        if (off < hdr_len) {
            h = hdr_len - off;
            if (h > payload) {
                h = payload;
            }

            memcpy(q, hdr + off, h);
            vod_ts_memcpy(q + h, es, payload - h);

        } else {
            vod_ts_memcpy(q, es + (off - hdr_len), payload);
        }

        p += VOD_TS_PACKET;

        off += payload;
        n++;

        /* the packets between the first and the last are all alike:
         * a 4-byte header and 184 bytes of the es */

        if (off >= hdr_len) {
            for ( /* void */ ; total - off > VOD_TS_PAYLOAD;
                 off += VOD_TS_PAYLOAD, p += VOD_TS_PACKET, n++)
            {
                p[0] = 0x47;
                p[1] = (pid >> 8) & 0x1f;
                p[2] = pid & 0xff;
                p[3] = 0x10 | *cc;
                *cc = (*cc + 1) & 0x0f;

                vod_ts_memcpy(p + 4, es + (off - hdr_len), VOD_TS_PAYLOAD);
            }
        }
    }

    return n;
}


/* PAT, PMT and a PCR before any PES; with p NULL only counts them */
static size_t
vod_ts_mux_start(vod_ts_mux_t *mux, u_char *p)
{
    u_char          *o;
    int64_t          pcr;
    vod_ts_track_t  *v, *a;

    v = &mux->video;
    a = &mux->audio;

    if (p != NULL) {
        p = vod_ts_write_psi(mux, p);
    }

    if (v->count == 0 && a->count == 0) {
        return 2;
    }

    /* adaptation field only, no payload, so the continuity counter does
     * not advance */
    if (p != NULL) {
        if (v->count > 0 && (a->count == 0 || v->frames[0].dts
                                              <= a->frames[0].pts))
        {
            pcr = v->frames[0].dts;

        } else {
            pcr = a->frames[0].pts;
        }

        o = p;
        vod_w8(o, 0x47);
        vod_w8(o, (mux->pcr->pid >> 8) & 0x1f);
        vod_w8(o, mux->pcr->pid & 0xff);
        vod_w8(o, 0x20 | ((mux->pcr->cc - 1) & 0x0f));
        vod_w8(o, 183);
        vod_w8(o, 0x10);
        o = vod_ts_write_pcr(o, pcr);
        memset(o, 0xff, p + VOD_TS_PACKET - o);
    }

    return 3;
}


/*
 * The next PES, in decode order (video by DTS, audio by PTS): with p NULL
 * counts its packets and moves past it; otherwise writes it at p if its
 * packets fit in room.  Returns its packets, 0 when none is left or it
 * does not fit.
 */
static size_t
vod_ts_mux_pes(vod_ts_mux_t *mux, u_char *p, size_t room)
{
    u_char           *o;
    u_char            hdr[32];
    size_t            k, es_len, hdr_len, pre_len;
    uint32_t          i, n;
    vod_ts_track_t   *v, *a;
    vod_ts_frame_t   *f;

    v = &mux->video;
    a = &mux->audio;

    if (v->next < v->count
        && (a->next == a->count
            || v->frames[v->next].dts <= a->frames[a->next].pts))
    {
        f = &v->frames[v->next];

        hdr_len = vod_ts_pes_header(hdr, VOD_TS_SID_VIDEO, f->es_len,
                                    f->pts, f->dts, f->dts != f->pts);

        /* in place: PES header, delimiter and parameter sets, as
         * vod_ts_avc_prefix() puts them in mux->prefix, then the sample
         * itself */
        if (f->inplace) {
            pre_len = hdr_len + VOD_TS_AUD_LEN
                      + (f->add_ps ? mux->ps_len : 0);
            es_len = f->size;

        } else {
            pre_len = hdr_len;
            es_len = f->es_len;
        }

        k = vod_ts_packetize(NULL, 0, NULL, mux->pcr == v, 0, f->sync,
                             NULL, pre_len, NULL, es_len);

        if (p == NULL) {
            v->next++;
            return k;
        }

        if (k > room) {
            return 0;
        }

        v->next++;

        if (f->inplace) {
            vod_ts_avc_prefix(mux, f, hdr, hdr_len);

            return vod_ts_packetize(p, v->pid, &v->cc, mux->pcr == v,
                                    f->dts, f->sync, mux->prefix, pre_len,
                                    f->data, f->size);
        }

        /* short only if the data changed since the scan: the PES keeps
         * its announced length, with zeros rather than stale bytes */
        k = vod_ts_avc_write(mux, f, mux->scratch, f->es_len);

        if (k < f->es_len) {
            memset(mux->scratch + k, 0, f->es_len - k);
        }

        return vod_ts_packetize(p, v->pid, &v->cc, mux->pcr == v, f->dts,
                                f->sync, hdr, hdr_len, mux->scratch,
                                f->es_len);
    }

    if (a->next == a->count) {
        return 0;
    }

    f = &a->frames[a->next];
    n = vod_ts_audio_group(a, &es_len);

    hdr_len = vod_ts_pes_header(hdr, (mux->audio_codec == VOD_CODEC_AAC)
                                     ? VOD_TS_SID_AUDIO
                                     : VOD_TS_SID_PRIVATE_1,
                                es_len, f->pts, 0, 0);

    k = vod_ts_packetize(NULL, 0, NULL, mux->pcr == a, 0, mux->pcr == a,
                         NULL, hdr_len, NULL, es_len);

    if (p == NULL) {
        a->next += n;
        return k;
    }

    if (k > room) {
        return 0;
    }

    a->next += n;

    o = mux->scratch;

    for (i = 0; i < n; i++) {
        if (mux->audio_codec != VOD_CODEC_AAC) {
            memcpy(o, f[i].data, f[i].size);
            o += f[i].es_len;
            continue;
        }

        memcpy(o, mux->adts, VOD_TS_ADTS_HEADER);
        o[3] |= (f[i].es_len >> 11) & 0x03;
        o[4] = (u_char) (f[i].es_len >> 3);
        o[5] |= (u_char) ((f[i].es_len & 0x07) << 5);
        memcpy(o + VOD_TS_ADTS_HEADER, f[i].data, f[i].size);
        o += f[i].es_len;
    }

    return vod_ts_packetize(p, a->pid, &a->cc, mux->pcr == a, f->pts,
                            mux->pcr == a, hdr, hdr_len, mux->scratch,
                            es_len);
}


/* PAT and PMT, one packet each, 13818-1 2.4.4 */
static u_char *
vod_ts_write_psi(vod_ts_mux_t *mux, u_char *p)
{
    u_char    *s, *start;
    uint32_t   crc, section_len, streams, dolby, es_info, v_info;

    /* PAT */
    start = p;
    vod_w8(p, 0x47);
    vod_w8(p, 0x40 | (VOD_TS_PID_PAT >> 8));
    vod_w8(p, VOD_TS_PID_PAT & 0xff);
    vod_w8(p, 0x10 | mux->pat_cc);
    mux->pat_cc = (mux->pat_cc + 1) & 0x0f;
    vod_w8(p, 0);                             /* pointer_field */

    s = p;
    vod_w8(p, 0x00);                          /* table_id */
    vod_w16(p, 0xb000 | 13);                  /* section_length */
    vod_w16(p, 1);                            /* transport_stream_id */
    vod_w8(p, 0xc1);                          /* version 0, current */
    vod_w8(p, 0);
    vod_w8(p, 0);
    vod_w16(p, 1);                            /* program_number */
    vod_w16(p, 0xe000 | VOD_TS_PID_PMT);
    crc = vod_ts_crc32(s, p - s);
    vod_w32(p, crc);

    memset(p, 0xff, start + VOD_TS_PACKET - p);
    p = start + VOD_TS_PACKET;

    /* PMT */
    streams = (mux->video.segment != NULL) + (mux->audio.segment != NULL);
    dolby = (mux->audio.segment != NULL
             && mux->audio_codec != VOD_CODEC_AAC);
    /* the Dolby registration descriptor ("AC-3", "EAC3") in the clear
     * only: SAMPLE-AES has its own, 'apad' */
    es_info = (dolby && !mux->sample_aes ? 6 : 0)
              + (mux->has_lang ? 6 : 0);
    v_info = mux->sample_aes ? 6 : 0;

    if (mux->sample_aes && mux->audio.segment != NULL) {
        /* private_data_indicator 'zavc'; for audio 'aacd', 'ac3d' or
         * 'ec3d' and the registration descriptor 'apad' with the audio
         * setup information: type, priming, version, setup data */
        es_info += 6 + 2 + 4 + 4 + 2 + 1 + 1 + mux->asc_len;
    }

    section_len = 9 + 5 * streams + es_info + 4;

    if (mux->video.segment != NULL) {
        section_len += v_info;
    }

    start = p;
    vod_w8(p, 0x47);
    vod_w8(p, 0x40 | (VOD_TS_PID_PMT >> 8));
    vod_w8(p, VOD_TS_PID_PMT & 0xff);
    vod_w8(p, 0x10 | mux->pmt_cc);
    mux->pmt_cc = (mux->pmt_cc + 1) & 0x0f;
    vod_w8(p, 0);

    s = p;
    vod_w8(p, 0x02);
    vod_w16(p, 0xb000 | section_len);
    vod_w16(p, 1);                            /* program_number */
    vod_w8(p, 0xc1);
    vod_w8(p, 0);
    vod_w8(p, 0);
    vod_w16(p, 0xe000 | mux->pcr->pid);
    vod_w16(p, 0xf000);                       /* program_info_length */

    if (mux->video.segment != NULL) {
        vod_w8(p, mux->sample_aes ? VOD_TS_STREAM_SAES_AVC
                                  : VOD_TS_STREAM_AVC);
        vod_w16(p, 0xe000 | VOD_TS_PID_VIDEO);
        vod_w16(p, 0xf000 | v_info);

        if (mux->sample_aes) {
            p = vod_ts_write_desc(p, VOD_TS_DESC_PRIVATE, "zavc");
        }
    }

    if (mux->audio.segment != NULL) {
        if (mux->sample_aes) {
            vod_w8(p, !dolby ? VOD_TS_STREAM_SAES_AAC
                      : (mux->audio_codec == VOD_CODEC_AC3)
                        ? VOD_TS_STREAM_SAES_AC3 : VOD_TS_STREAM_SAES_EC3);

        } else if (!dolby) {
            vod_w8(p, VOD_TS_STREAM_AAC);

        } else if (mux->audio_codec == VOD_CODEC_AC3) {
            vod_w8(p, VOD_TS_STREAM_AC3);

        } else {
            vod_w8(p, VOD_TS_STREAM_EAC3);
        }

        vod_w16(p, 0xe000 | VOD_TS_PID_AUDIO);
        vod_w16(p, 0xf000 | es_info);

        if (mux->sample_aes) {
            p = vod_ts_write_saes_audio(mux, p);
        }

        if (dolby && !mux->sample_aes) {
            vod_w8(p, VOD_TS_DESC_REG);
            vod_w8(p, 4);
            memcpy(p, (mux->audio_codec == VOD_CODEC_AC3) ? "AC-3" : "EAC3",
                   4);
            p += 4;
        }

        if (mux->has_lang) {
            vod_w8(p, VOD_TS_DESC_LANG);
            vod_w8(p, 4);
            memcpy(p, mux->lang, 3);
            p += 3;
            vod_w8(p, 0);                     /* audio_type: undefined */
        }
    }

    crc = vod_ts_crc32(s, p - s);
    vod_w32(p, crc);

    memset(p, 0xff, start + VOD_TS_PACKET - p);

    return start + VOD_TS_PACKET;
}


/* a descriptor of four characters: private_data_indicator (13818-1
 * 2.6.29) or the registration descriptor's format_identifier */
static u_char *
vod_ts_write_desc(u_char *p, uint32_t tag, const char *id)
{
    vod_w8(p, tag);
    vod_w8(p, 4);
    memcpy(p, id, 4);

    return p + 4;
}


/*
 * The audio track's SAMPLE-AES descriptors: private_data_indicator
 * 'aacd', 'ac3d' or 'ec3d', then a registration descriptor 'apad' whose
 * additional information is the audio setup information (Apple's format,
 * 2.3.2): the audio type ('zaac' AAC-LC, 'zach' HE-AAC, 'zacp' HE-AAC v2,
 * from the object type of the AudioSpecificConfig; 'zac3' AC-3, 'zec3'
 * E-AC-3), priming 0 (the edit list is not read here), version 0, and
 * the setup data: the AudioSpecificConfig, or the fields of the track's
 * AC3SpecificBox or EC3SpecificBox (the dac3 / dec3 box without its
 * header, ETSI TS 102 366 F.4, F.6).
 */
static u_char *
vod_ts_write_saes_audio(vod_ts_mux_t *mux, u_char *p)
{
    uint32_t     aot;
    const char  *type;

    if (mux->audio_codec == VOD_CODEC_AC3) {
        p = vod_ts_write_desc(p, VOD_TS_DESC_PRIVATE, "ac3d");
        type = "zac3";

    } else if (mux->audio_codec == VOD_CODEC_EAC3) {
        p = vod_ts_write_desc(p, VOD_TS_DESC_PRIVATE, "ec3d");
        type = "zec3";

    } else {
        p = vod_ts_write_desc(p, VOD_TS_DESC_PRIVATE, "aacd");

        aot = (mux->asc_len > 0) ? (uint32_t) (mux->asc[0] >> 3) : 0;
        type = (aot == 5) ? "zach" : (aot == 29) ? "zacp" : "zaac";
    }

    vod_w8(p, VOD_TS_DESC_REG);
    vod_w8(p, 4 + 4 + 2 + 1 + 1 + mux->asc_len);
    memcpy(p, "apad", 4);
    p += 4;
    memcpy(p, type, 4);
    p += 4;
    vod_w16(p, 0);                            /* priming */
    vod_w8(p, 0);                             /* version */
    vod_w8(p, mux->asc_len);
    memcpy(p, mux->asc, mux->asc_len);

    return p + mux->asc_len;
}


/* CRC-32/MPEG-2: polynomial 0x04c11db7, initial all ones, no reflection,
 * no final xor (13818-1 Annex A) */
static uint32_t
vod_ts_crc32(const u_char *p, size_t len)
{
    int       bit;
    size_t    i;
    uint32_t  crc;

    crc = 0xffffffff;

    for (i = 0; i < len; i++) {
        crc ^= (uint32_t) p[i] << 24;

        for (bit = 0; bit < 8; bit++) {
            crc = (crc & 0x80000000) ? (crc << 1) ^ 0x04c11db7 : crc << 1;
        }
    }

    return crc;
}


/*
 * Per video frame: a PES header with PTS and DTS (19 bytes), an access
 * unit delimiter (6), a PCR adaptation field (8) and on average half a
 * packet of stuffing (92); per AAC frame an ADTS header (7) and a fifth of
 * a PES header and of its stuffing (PES carry up to five frames); per
 * AC-3 or E-AC-3 frame (1536 samples, no header added) at most a third
 * of them (a PES holds the frames starting within 100 ms: three or four
 * at 48 kHz, fewer only at a segment's end); per
 * segment (counted as many times a second as the shortest fits,
 * vod_track_segments_per_second()) PAT, PMT and a PCR packet; then
 * 188 bytes on the wire for every 184 of payload.
 */

uint64_t
vod_ts_bitrate(const vod_track_info_t *track, uint64_t rate)
{
    uint64_t  frames, per_frame, bytes;

    if (track->type == VOD_TRACK_VIDEO) {
        frames = (track->fps_den != 0)
                 ? ((uint64_t) track->fps_num + track->fps_den - 1)
                   / track->fps_den
                 : 0;
        per_frame = 19 + 6 + 8 + 92;

    } else if (track->codec == VOD_CODEC_AC3
               || track->codec == VOD_CODEC_EAC3)
    {
        frames = ((uint64_t) track->sample_rate + 1535) / 1536;
        per_frame = (14 + 92 + 4) / 3;

    } else {
        frames = ((uint64_t) track->sample_rate + 1023) / 1024;
        per_frame = 7 + (14 + 92 + 4) / 5;
    }

    bytes = rate / 8 + frames * per_frame
            + 3 * VOD_TS_PACKET * vod_track_segments_per_second(track);

    return (bytes * VOD_TS_PACKET + VOD_TS_PAYLOAD - 1) / VOD_TS_PAYLOAD * 8;
}
