/*
 * vod_iframe.c: I-frame-only segments and the playlists naming them
 * (vod_iframe.h).  Rendition ids are [A-Za-z0-9_.-]
 * (vod_title_id_valid()): they go into URIs as they are.
 */

#include "vod_iframe.h"
#include "vod_codec.h"
#include "vod_fmp4.h"
#include "vod_hdr.h"
#include "vod_manifest.h"
#include "vod_protect.h"
#include "vod_text.h"
#include "vod_ts.h"
#include "vod_url.h"


/* an MPEG-TS I-frame segment beside its sample and its decoder
 * configuration: the PES header with PTS and DTS (19 bytes), the access
 * unit delimiter (6), the PCR adaptation field (8) and start codes a byte
 * or two longer than the NAL lengths they replace (32 for a frame of a
 * few slices) */
#define VOD_IFRAME_TS_PES    (19 + 6 + 8 + 32)
/* PAT, PMT and a packet of the PCR, as vod_ts_bitrate() counts them */
#define VOD_IFRAME_TS_TABLES 3

#define VOD_IFRAME_HEADER_LEN                                                \
    (sizeof("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:\n"           \
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"            \
            "#EXT-X-I-FRAMES-ONLY\n#EXT-X-INDEPENDENT-SEGMENTS\n"            \
            "#EXT-X-MAP:URI=\"video--init.mp4\"\n#EXT-X-ENDLIST\n")          \
     + VOD_TEXT_UINT_LEN + VOD_MAX_ID_LEN)

#define VOD_IFRAME_ENTRY_LEN                                                 \
    (sizeof("#EXTINF:,\niframets----.m4s\n") + VOD_TEXT_MS_LEN               \
     + 2 * VOD_TEXT_UINT_LEN + VOD_MAX_ID_LEN)

#define VOD_IFRAME_INF_LEN                                                   \
    (sizeof("#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=,AVERAGE-BANDWIDTH=,"       \
            "CODECS=\"\",RESOLUTION=x,VIDEO-RANGE=SDR,"                   \
            "URI=\"iframets-.m3u8\"\n")                                     \
     + 4 * VOD_TEXT_UINT_LEN + VOD_CODEC_STR_LEN + VOD_MAX_ID_LEN)


#define VOD_IFRAME_SET_LEN                                                   \
    (sizeof("    <AdaptationSet id=\"\" contentType=\"video\" "             \
            "mimeType=\"video/mp4\" segmentAlignment=\"true\" "            \
            "startWithSAP=\"1\">\n      <EssentialProperty schemeIdUri=\""    \
            "http://dashif.org/guidelines/trickmode\" value=\"\"/>\n"       \
            "    </AdaptationSet>\n")                                       \
     + 2 * VOD_TEXT_UINT_LEN + VOD_DASH_COLOUR_LEN)

#define VOD_IFRAME_REP_LEN                                                   \
    (sizeof("      <Representation id=\"iframe-\" bandwidth=\"\" "          \
            "codecs=\"\" width=\"\" height=\"\" maxPlayoutRate=\"\" "       \
            "codingDependency=\"false\">\n"                                 \
            "        <SegmentList timescale=\"\">\n"                         \
            "          <Initialization sourceURL=\"video--init.mp4\"/>\n"    \
            "          <SegmentTimeline>\n          </SegmentTimeline>\n"     \
            "        </SegmentList>\n      </Representation>\n")             \
     + 6 * VOD_TEXT_UINT_LEN + VOD_CODEC_STR_LEN + 2 * VOD_MAX_ID_LEN)

#define VOD_IFRAME_S_LEN                                                     \
    (sizeof("            <S t=\"\" d=\"\" r=\"\"/>\n") + 3 * VOD_TEXT_UINT_LEN)

#define VOD_IFRAME_URL_LEN                                                   \
    (sizeof("          <SegmentURL media=\"iframe----.m4s\"/>\n")           \
     + 2 * VOD_TEXT_UINT_LEN + VOD_MAX_ID_LEN)


static u_char *vod_iframe_dash_rep(u_char *p, const vod_str_t *id,
    const vod_track_info_t *v, uint64_t peak);
static int vod_iframe_overhead(vod_env_t *env, const vod_track_info_t *track,
    const vod_title_t *title, unsigned ts, vod_protect_wire_t *wire);
static uint64_t vod_iframe_wire(const vod_iframe_t *f, unsigned ts,
    const vod_protect_wire_t *wire);
static int vod_iframe_listed(const vod_track_info_t *track, unsigned ts);


int
vod_iframe_pick(const vod_segment_t *segment, uint32_t key,
    vod_segment_t *out, vod_sample_t *sample)
{
    uint32_t  i, j, k;
    uint64_t  offset, duration;

    offset = 0;
    k = 0;

    for (i = 0; i < segment->count; i++) {
        if (segment->samples[i].sync && ++k == key) {
            break;
        }

        offset += segment->samples[i].duration;
    }

    if (i == segment->count) {
        return VOD_NOT_FOUND;
    }

    /* it lasts to the next key frame, or to the segment's end */

    duration = 0;

    for (j = i; j < segment->count; j++) {
        if (j > i && segment->samples[j].sync) {
            break;
        }

        duration += segment->samples[j].duration;
    }

    if (duration > 0xffffffff) {
        return VOD_BAD_DATA;
    }

    *sample = segment->samples[i];
    sample->duration = (uint32_t) duration;

    out->track = segment->track;
    out->index = segment->index;
    out->start_dts = segment->start_dts + offset;
    out->duration = duration;
    out->data_size = sample->size;
    out->count = 1;
    out->samples = sample;
    out->first = segment->first + i;
    /* its entry's number in the I-frame playlist, which lists every key
     * frame of the track from 0 (vod_index_iframes()) */
    out->sequence = segment->keys_before + key - 1;
    out->keys_before = out->sequence;

    return VOD_OK;
}


int
vod_iframe_rates(vod_env_t *env, const vod_track_info_t *track,
    const vod_title_t *title, unsigned ts, uint64_t *peak, uint64_t *avg)
{
    int                  rc;
    uint32_t             i;
    uint64_t             bytes, span, rate;
    vod_protect_wire_t   wire;
    const vod_iframe_t  *f;

    *peak = 0;
    *avg = 0;

    if (track->iframe_count == 0 || track->timescale == 0) {
        return VOD_NOT_FOUND;
    }

    rc = vod_iframe_overhead(env, track, title, ts, &wire);
    if (rc != VOD_OK) {
        return rc;
    }

    bytes = 0;
    span = 0;

    for (i = 0; i < track->iframe_count; i++) {
        f = &track->iframes[i];

        rate = vod_iframe_wire(f, ts, &wire);
        bytes += rate;
        span += f->duration;

        if (f->duration == 0) {
            /* a key frame no time apart from the next: as if it lasted
             * one tick, rather than an infinite rate */
            rate = rate * 8 * track->timescale;

        } else {
            rate = (rate * 8 * track->timescale + f->duration - 1)
                   / f->duration;
        }

        if (rate > *peak) {
            *peak = rate;
        }
    }

    *avg = (span != 0) ? (bytes * 8 * track->timescale + span - 1) / span
                       : *peak;

    return VOD_OK;
}


/* what an I-frame segment adds to its sample, in a clear lead and past
 * it: CMAF's from the writers that serve it (vod_protect_one_sample()),
 * MPEG-TS's fixed part, padded to 16 bytes under HLS AES-128 (SAMPLE-AES
 * encrypts inside the PES: the same size, give or take emulation
 * prevention, which the estimate's slack covers) */

static int
vod_iframe_overhead(vod_env_t *env, const vod_track_info_t *track,
    const vod_title_t *title, unsigned ts, vod_protect_wire_t *wire)
{
    const vod_protect_t  *prot;

    prot = (title != NULL) ? title->protect : NULL;

    if (!ts) {
        return vod_protect_one_sample(env, track, prot, wire);
    }

    wire->lead = VOD_IFRAME_TS_PES + track->dec_config_len;
    wire->rest = wire->lead;
    wire->first = track->segment_count;
    wire->pad = 0;

    if (prot != NULL) {
        wire->first = vod_protect_first_encrypted(prot->clear_lead, track);
        wire->pad = !title->ts_sample_aes;
    }

    return VOD_OK;
}


static uint64_t
vod_iframe_wire(const vod_iframe_t *f, unsigned ts,
    const vod_protect_wire_t *wire)
{
    uint64_t  bytes;

    bytes = f->size + ((f->segment < wire->first) ? wire->lead : wire->rest);

    if (ts) {
        bytes = (VOD_IFRAME_TS_TABLES + (bytes + 183) / 184) * 188;
    }

    if (wire->pad && f->segment >= wire->first) {
        /* PKCS7: 1 to 16 bytes, a whole block when it fits already */
        bytes = (bytes / 16 + 1) * 16;
    }

    return bytes;
}


int
vod_iframe_playlist(vod_env_t *env, const vod_str_t *id,
    const vod_track_info_t *track, const vod_title_t *title, unsigned ts,
    u_char **out, size_t *len)
{
    u_char              *buf, *p;
    size_t               size;
    uint32_t             i, first, stream;
    unsigned             keyed, saes;
    uint64_t             base, start, end, max_ms, target;
    const vod_iframe_t  *f;

    if (track->iframe_count == 0 || track->timescale == 0
        || !vod_title_id_valid(id->data, id->len))
    {
        return VOD_NOT_FOUND;
    }

    /* each EXTINF is the difference of its ends rounded to milliseconds,
     * so that they add up to the key frames' span exactly rather than
     * drift by half a millisecond an entry */

    base = track->iframes[0].time;
    max_ms = 0;

    for (i = 0; i < track->iframe_count; i++) {
        f = &track->iframes[i];

        start = vod_text_to_ms(f->time - base, track->timescale);
        end = vod_text_to_ms(f->time + f->duration - base,
                             track->timescale);

        if (end - start > max_ms) {
            max_ms = end - start;
        }
    }

    target = (max_ms + 500) / 1000;

    if (target == 0) {
        target = 1;
    }

    size = VOD_IFRAME_HEADER_LEN
           + (size_t) track->iframe_count * VOD_IFRAME_ENTRY_LEN;

    /* the key lines go where the media playlist has them: Common
     * Encryption's before the map when no clear segment comes first,
     * else (and AES-128's, SAMPLE-AES's always) before the first key
     * frame past the clear lead.  HLS AES-128 takes no IV attribute: an
     * entry's IV is its media sequence number here, its place in this
     * list, which its segment is encrypted with (vod_iframe_pick()) */
    keyed = 1;
    first = track->segment_count;
    saes = 0;
    stream = ts ? VOD_STREAM_VIDEO_TS : VOD_STREAM_VIDEO;

    if (title != NULL && title->protect != NULL) {
        size += vod_protect_sig_len(title->protect);
        keyed = 0;
        first = vod_protect_first_encrypted(title->protect->clear_lead,
                                            track);
        saes = ts && title->ts_sample_aes;
    }

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "#EXTM3U\n");

    /* EXT-X-I-FRAMES-ONLY needs version 4, SAMPLE-AES and KEYFORMAT 5;
     * EXT-X-MAP without EXT-X-I-FRAMES-ONLY would need 6, fMP4 needs 7 */
    if (ts) {
        p = saes ? vod_text_cpy(p, "#EXT-X-VERSION:5\n")
                 : vod_text_cpy(p, "#EXT-X-VERSION:4\n");

    } else {
        p = vod_text_cpy(p, "#EXT-X-VERSION:7\n");
    }

    p = vod_text_cpy(p, "#EXT-X-TARGETDURATION:");
    p = vod_text_uint(p, target);
    p = vod_text_cpy(p, "\n#EXT-X-MEDIA-SEQUENCE:0\n"
                        "#EXT-X-PLAYLIST-TYPE:VOD\n"
                        "#EXT-X-I-FRAMES-ONLY\n"
                        "#EXT-X-INDEPENDENT-SEGMENTS\n");

    if (!ts) {
        if (!keyed && first == 0
            && title->protect->scheme != VOD_PROTECT_SCHEME_AES128)
        {
            p = vod_hls_keys(p, title, stream);
            keyed = 1;
        }

        p = vod_text_cpy(p, "#EXT-X-MAP:URI=\"video-");
        p = vod_text_cpymem(p, id->data, id->len);
        p = vod_text_cpy(p, "-init.mp4\"\n");
    }

    for (i = 0; i < track->iframe_count; i++) {
        f = &track->iframes[i];

        if (!keyed && f->segment >= first) {
            p = vod_hls_keys(p, title, stream);
            keyed = 1;
        }

        start = vod_text_to_ms(f->time - base, track->timescale);
        end = vod_text_to_ms(f->time + f->duration - base,
                             track->timescale);

        p = vod_text_cpy(p, "#EXTINF:");
        p = vod_text_ms(p, end - start);
        p = ts ? vod_text_cpy(p, ",\niframets-")
               : vod_text_cpy(p, ",\niframe-");
        p = vod_text_cpymem(p, id->data, id->len);
        *p++ = '-';
        p = vod_text_uint(p, (uint64_t) f->segment + 1);
        *p++ = '-';
        p = vod_text_uint(p, f->key);
        p = ts ? vod_text_cpy(p, ".ts\n") : vod_text_cpy(p, ".m4s\n");
    }

    p = vod_text_cpy(p, "#EXT-X-ENDLIST\n");

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}


int
vod_iframe_hls_master(vod_env_t *env, const u_char *in, size_t len,
    const vod_title_t *title, unsigned ts, u_char **out, size_t *out_len)
{
    int                      rc;
    u_char                  *buf, *p;
    size_t                   cn;
    uint32_t                 i;
    uint64_t                 peak, avg;
    unsigned                 ranges;
    const char              *range;
    const vod_rendition_t   *r;
    const vod_track_info_t  *v;

    buf = env->alloc(env, len + (size_t) title->count * VOD_IFRAME_INF_LEN);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    /* as the variants have it: a player that cannot show HDR leaves an
     * HDR I-frame stream alone, as it does the variant */
    ranges = vod_hls_video_ranges(title);

    p = vod_text_cpymem(buf, in, len);

    for (i = 0; i < title->count; i++) {
        r = &title->renditions[i];
        v = r->video;

        if (v == NULL || !vod_iframe_listed(v, ts)
            || !vod_title_id_valid(r->id.data, r->id.len))
        {
            continue;
        }

        rc = vod_iframe_rates(env, v, title, ts, &peak, &avg);
        if (rc != VOD_OK) {
            return rc;
        }

        cn = vod_text_field_len(v->codec_str, sizeof(v->codec_str));

        if (!vod_text_token((const u_char *) v->codec_str, cn)) {
            return VOD_BAD_DATA;
        }

        p = vod_text_cpy(p, "#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=");
        p = vod_text_uint(p, peak);
        p = vod_text_cpy(p, ",AVERAGE-BANDWIDTH=");
        p = vod_text_uint(p, avg);

        if (cn != 0) {
            p = vod_text_cpy(p, ",CODECS=\"");
            p = vod_text_cpymem(p, v->codec_str, cn);
            *p++ = '"';
        }

        if (v->width != 0 && v->height != 0) {
            p = vod_text_cpy(p, ",RESOLUTION=");
            p = vod_text_uint(p, v->width);
            *p++ = 'x';
            p = vod_text_uint(p, v->height);
        }

        if (ranges) {
            range = vod_hdr_range_name(vod_hdr_track_range(v));
            p = vod_text_cpy(p, ",VIDEO-RANGE=");
            p = vod_text_cpymem(p, range, strlen(range));
        }

        p = ts ? vod_text_cpy(p, ",URI=\"iframets-")
               : vod_text_cpy(p, ",URI=\"iframe-");
        p = vod_text_cpymem(p, r->id.data, r->id.len);
        p = vod_text_cpy(p, ".m3u8\"\n");
    }

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


/* a rendition's video gets an I-frame stream when its key frames were
 * read and, in master-ts.m3u8, when MPEG-TS carries it (H.264) */

static int
vod_iframe_listed(const vod_track_info_t *track, unsigned ts)
{
    if (track->iframes == NULL || track->iframe_count == 0) {
        return 0;
    }

    return !ts || vod_ts_supported(track);
}


int
vod_iframe_dash(vod_env_t *env, const u_char *in, size_t len,
    const vod_title_t *title, u_char **out, size_t *out_len)
{
    int                      rc;
    u_char                  *buf, *p;
    size_t                   size;
    uint32_t                 i, range, reps;
    uint64_t                 id, peak, avg;
    const u_char            *period;
    const vod_rendition_t   *r;
    const vod_track_info_t  *v;

    period = vod_dash_period_end(in, len);
    if (period == NULL) {
        return VOD_ERROR;
    }

    size = len + 3 * VOD_IFRAME_SET_LEN;

    if (title->protect != NULL) {
        size += 3 * vod_protect_sig_len(title->protect);
    }

    for (i = 0; i < title->count; i++) {
        v = title->renditions[i].video;

        if (v != NULL && vod_iframe_listed(v, 0)) {
            size += VOD_IFRAME_REP_LEN + (size_t) v->iframe_count
                                         * (VOD_IFRAME_S_LEN
                                            + VOD_IFRAME_URL_LEN);
        }
    }

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpymem(buf, in, (size_t) (period - in));

    id = vod_dash_next_set(in, len);

    /* a trick-mode set per main video set, as vod_dash_mpd() makes one
     * per dynamic range */

    for (range = VOD_RANGE_SDR; range <= VOD_RANGE_HLG; range++) {
        reps = 0;

        for (i = 0; i < title->count; i++) {
            r = &title->renditions[i];
            v = r->video;

            if (v == NULL || vod_hdr_track_range(v) != range
                || !vod_iframe_listed(v, 0)
                || !vod_title_id_valid(r->id.data, r->id.len))
            {
                continue;
            }

            rc = vod_iframe_rates(env, v, title, 0, &peak, &avg);
            if (rc != VOD_OK) {
                return rc;
            }

            if (!vod_text_token((const u_char *) v->codec_str,
                                vod_text_field_len(v->codec_str,
                                                   sizeof(v->codec_str))))
            {
                return VOD_BAD_DATA;
            }

            if (reps++ == 0) {
                p = vod_text_cpy(p, "    <AdaptationSet id=\"");
                p = vod_text_uint(p, id++);
                p = vod_text_cpy(p, "\" contentType=\"video\" "
                                    "mimeType=\"video/mp4\" "
                                    "segmentAlignment=\"true\" "
                                    "startWithSAP=\"1\">\n");

                /* the main set's protection: the same keys protect the
                 * key frames, which are its segments' own */
                if (title->protect != NULL) {
                    p = vod_protect_dash(p, title->protect,
                                         title->clearkey);
                }

                p = vod_text_cpy(p, "      <EssentialProperty schemeIdUri=\""
                                    "http://dashif.org/guidelines/trickmode"
                                    "\" value=\"");
                p = vod_text_uint(p, vod_dash_video_set_id(title, range));
                p = vod_text_cpy(p, "\"/>\n");

                /* the main set's colour: a player that cannot show HDR
                 * leaves both alone */
                if (range != VOD_RANGE_SDR) {
                    p = vod_dash_colour(p, v);
                }
            }

            p = vod_iframe_dash_rep(p, &r->id, v, peak);
        }

        if (reps != 0) {
            p = vod_text_cpy(p, "    </AdaptationSet>\n");
        }
    }

    p = vod_text_cpymem(p, period, (size_t) (in + len - period));

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


/* one trick-mode Representation: its key frames on the main set's
 * timeline (each segment's first key frame where the segment starts
 * there, the others after it by their durations), runs of equal
 * durations one S with r */

static u_char *
vod_iframe_dash_rep(u_char *p, const vod_str_t *id,
    const vod_track_info_t *v, uint64_t peak)
{
    uint32_t             i, j, rate;
    uint64_t             d, t, next;
    const vod_iframe_t  *f;

    /* a player plays the key frames at the frame rate: as fast as the
     * frames a key frame stands for */
    rate = v->sample_count / v->iframe_count;

    p = vod_text_cpy(p, "      <Representation id=\"iframe-");
    p = vod_text_cpymem(p, id->data, id->len);
    p = vod_text_cpy(p, "\" bandwidth=\"");
    p = vod_text_uint(p, peak);
    p = vod_text_cpy(p, "\" codecs=\"");
    p = vod_text_cpymem(p, v->codec_str,
                        vod_text_field_len(v->codec_str,
                                           sizeof(v->codec_str)));
    p = vod_text_cpy(p, "\" width=\"");
    p = vod_text_uint(p, v->width);
    p = vod_text_cpy(p, "\" height=\"");
    p = vod_text_uint(p, v->height);
    p = vod_text_cpy(p, "\" maxPlayoutRate=\"");
    p = vod_text_uint(p, rate > 1 ? rate : 1);
    p = vod_text_cpy(p, "\" codingDependency=\"false\">\n"
                        "        <SegmentList timescale=\"");
    p = vod_text_uint(p, v->timescale);
    p = vod_text_cpy(p, "\">\n          <Initialization sourceURL=\"video-");
    p = vod_text_cpymem(p, id->data, id->len);
    p = vod_text_cpy(p, "-init.mp4\"/>\n          <SegmentTimeline>\n");

    next = 0;

    for (i = 0; i < v->iframe_count; i = j) {
        f = &v->iframes[i];
        d = f->duration;
        t = (f->key == 1) ? v->seg_time[f->segment] : next;

        /* a run of equal durations, as long as each segment's first key
         * frame falls where the run puts it */

        for (j = i + 1;
             j < v->iframe_count && v->iframes[j].duration == d
             && (v->iframes[j].key != 1
                 || v->seg_time[v->iframes[j].segment]
                    == t + (uint64_t) (j - i) * d);
             j++)
        {
            /* void */
        }

        p = vod_text_cpy(p, "            <S ");

        if (i == 0 || t != next) {
            p = vod_text_cpy(p, "t=\"");
            p = vod_text_uint(p, t);
            p = vod_text_cpy(p, "\" ");
        }

        p = vod_text_cpy(p, "d=\"");
        p = vod_text_uint(p, d);
        *p++ = '"';

        if (j - i > 1) {
            p = vod_text_cpy(p, " r=\"");
            p = vod_text_uint(p, j - i - 1);
            *p++ = '"';
        }

        p = vod_text_cpy(p, "/>\n");

        next = t + (uint64_t) (j - i) * d;
    }

    p = vod_text_cpy(p, "          </SegmentTimeline>\n");

    for (i = 0; i < v->iframe_count; i++) {
        f = &v->iframes[i];

        p = vod_text_cpy(p, "          <SegmentURL media=\"iframe-");
        p = vod_text_cpymem(p, id->data, id->len);
        *p++ = '-';
        p = vod_text_uint(p, (uint64_t) f->segment + 1);
        *p++ = '-';
        p = vod_text_uint(p, f->key);
        p = vod_text_cpy(p, ".m4s\"/>\n");
    }

    p = vod_text_cpy(p, "        </SegmentList>\n      </Representation>\n");

    return p;
}
