/*
 * vod_hls.c: HLS multivariant and media playlists (RFC 8216 and
 * draft-pantos-hls-rfc8216bis).
 *
 * Every writer first bounds its output from the title, allocates once and
 * then writes with memcpy and a small integer formatter.
 */

#include "vod_codec.h"
#include "vod_fmp4.h"
#include "vod_hdr.h"
#include "vod_manifest.h"
#include "vod_protect.h"
#include "vod_text.h"
#include "vod_ts.h"
#include "vod_url.h"


/* the longest fixed text of one EXT-X-STREAM-INF entry without ids and
 * codec strings: attribute names, quotes and numbers */
#define VOD_HLS_VARIANT_LEN                                                  \
    (sizeof("#EXT-X-STREAM-INF:BANDWIDTH=,AVERAGE-BANDWIDTH=,CODECS=\",\","  \
            "RESOLUTION=x,FRAME-RATE=,VIDEO-RANGE=SDR,AUDIO=\"aud\"\n"       \
            "videots-.m3u8\n")                                                 \
     + 6 * VOD_TEXT_UINT_LEN + VOD_TEXT_MS_LEN + 2 * sizeof(((            \
           vod_track_info_t *) 0)->codec_str) + VOD_MAX_ID_LEN)

#define VOD_HLS_MEDIA_LEN                                                    \
    (sizeof("#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"aud\",NAME=\"\","           \
            "LANGUAGE=\"\",DEFAULT=YES,AUTOSELECT=YES,CHANNELS=\"/JOC\","    \
            "URI=\"audiots-.m3u8\"\n")                                        \
     + 2 * VOD_SUB_LANG_LEN + VOD_AUDIO_NAME_LEN + 3 * VOD_TEXT_UINT_LEN  \
     + VOD_MAX_ID_LEN + sizeof(",CHARACTERISTICS=\"\"") + VOD_AUDIO_CHAR_LEN)

#define VOD_HLS_HEADER_LEN                                                   \
    (sizeof("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:\n"           \
            "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"            \
            "#EXT-X-INDEPENDENT-SEGMENTS\n"                                  \
            "#EXT-X-MAP:URI=\"video--init.mp4\"\n#EXT-X-ENDLIST\n")          \
     + 2 * VOD_TEXT_UINT_LEN + VOD_MAX_ID_LEN)

#define VOD_HLS_SEGMENT_LEN                                                  \
    (sizeof("#EXTINF:,\naudiots--.m4s\n") + VOD_TEXT_MS_LEN                    \
     + 2 * VOD_TEXT_UINT_LEN + VOD_MAX_ID_LEN)


static int vod_hls_check_track(const vod_track_info_t *track);
static int vod_hls_pathway_line(const u_char *line, size_t len);
static u_char *vod_hls_variant(u_char *p, const vod_title_t *title,
    const vod_track_info_t *video, const vod_track_info_t *audio,
    uint32_t group, unsigned ts,
    unsigned ranges, const char *prefix, size_t prefix_len,
    const vod_str_t *uri_id, uint32_t url_id);
static u_char *vod_hls_channels(u_char *p, const vod_track_info_t *track);
static u_char *vod_hls_audio_media(u_char *p, const vod_title_t *title,
    const vod_audio_t *a, unsigned ts);
static const vod_track_info_t *vod_hls_group_audio(const vod_title_t *title,
    uint32_t group, const vod_audio_t **def);
static u_char *vod_hls_group(u_char *p, uint32_t group);
static u_char *vod_hls_audio_name(u_char *p, uint32_t url_id,
    const vod_str_t *id, unsigned ts);
static uint64_t vod_hls_wire_rate(const vod_title_t *title,
    const vod_track_info_t *track, uint64_t rate, unsigned ts);
static int vod_hls_ts_capable(const vod_rendition_t *r);
static u_char *vod_hls_demuxed(u_char *p, const vod_title_t *title,
    unsigned ts, unsigned has_video, unsigned ranges, uint32_t *variants);


int
vod_hls_master(vod_env_t *env, const vod_title_t *title, int ts,
    u_char **out, size_t *len)
{
    int                      rc;
    u_char                  *buf, *p;
    size_t                   size;
    uint32_t                 i, groups, variants;
    unsigned                 has_video, ranges;
    const vod_audio_t       *a;
    const vod_rendition_t   *r;

    has_video = 0;

    for (i = 0; i < title->count; i++) {
        r = &title->renditions[i];

        if (!vod_title_id_valid(r->id.data, r->id.len)) {
            return VOD_ERROR;
        }

        if (r->video != NULL) {
            rc = vod_hls_check_track(r->video);
            if (rc != VOD_OK) {
                return rc;
            }

            has_video = 1;
        }

        if (r->audio != NULL) {
            rc = vod_hls_check_track(r->audio);
            if (rc != VOD_OK) {
                return rc;
            }
        }
    }

    for (i = 0; i < title->audio_count; i++) {
        rc = vod_hls_check_track(title->audio[i].track);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    groups = (title->audio_count != 0) ? title->group_count : 0;
    ranges = vod_hls_video_ranges(title);

    size = VOD_HLS_HEADER_LEN
           + (size_t) title->audio_count * VOD_HLS_MEDIA_LEN
           + (size_t) (title->count + 1) * (groups + 1)
             * VOD_HLS_VARIANT_LEN;

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "#EXTM3U\n");

    if (ts) {
        /* TS variants need nothing newer; older devices are their users */
        p = vod_text_cpy(p, "#EXT-X-VERSION:3\n");

    } else {
        p = vod_text_cpy(p, "#EXT-X-VERSION:7\n");
    }

    p = vod_text_cpy(p, "#EXT-X-INDEPENDENT-SEGMENTS\n");

    variants = 0;

    if (ts && !vod_hls_ts_demux(title)) {
        for (i = 0; i < title->count; i++) {
            r = &title->renditions[i];

            if ((has_video && r->video == NULL) || !vod_hls_ts_capable(r)) {
                continue;
            }

            p = vod_hls_variant(p, title, r->video, r->audio, 0, 1, ranges,
                                "ts-", 3, &r->id, 0);
            variants++;
        }

    } else if (has_video || title->audio_count > 1) {
        p = vod_hls_demuxed(p, title, ts, has_video, ranges, &variants);

    } else if (title->audio_count == 1) {
        a = &title->audio[0];
        p = vod_hls_variant(p, title, NULL, a->track, 0, ts, 0,
                            ts ? "audiots" : "audio", ts ? 7 : 5,
                            &a->source->id, a->url_id);
        variants++;
    }

    if (variants == 0) {
        return VOD_NOT_FOUND;
    }

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}


/*
 * The audio renditions as EXT-X-MEDIA and the video variants without
 * audio of their own: CMAF's video-{id}, MPEG-TS's videots-{id}.  Apple's
 * authoring guidance: every variant once per audio group, its CODECS and
 * BANDWIDTH with the group's audio.  A group MPEG-TS cannot carry is left
 * out of master-ts.m3u8, with the variants of no other group.
 */

static u_char *
vod_hls_demuxed(u_char *p, const vod_title_t *title, unsigned ts,
    unsigned has_video, unsigned ranges, uint32_t *variants)
{
    uint32_t                 i, g, groups;
    const vod_audio_t       *a;
    const vod_rendition_t   *r;
    const vod_track_info_t  *audio;

    groups = (title->audio_count != 0) ? title->group_count : 0;

    for (i = 0; i < title->audio_count; i++) {
        a = &title->audio[i];

        if (!ts || vod_ts_audio_supported(a->track)) {
            p = vod_hls_audio_media(p, title, a, ts);
        }
    }

    for (g = 0; g < groups || (g == 0 && groups == 0); g++) {
        audio = vod_hls_group_audio(title, g, &a);

        if (ts && audio != NULL && !vod_ts_audio_supported(audio)) {
            continue;
        }

        if (!has_video) {
            /* audio only, several renditions: the group's default is the
             * variant */
            p = vod_hls_variant(p, title, NULL, audio, g + 1, ts, 0,
                                ts ? "audiots" : "audio", ts ? 7 : 5,
                                &a->source->id, a->url_id);
            (*variants)++;
            continue;
        }

        for (i = 0; i < title->count; i++) {
            r = &title->renditions[i];

            if (r->video == NULL
                || (ts && !vod_ts_supported(r->video)))
            {
                continue;
            }

            p = vod_hls_variant(p, title, r->video, audio,
                                (audio != NULL) ? g + 1 : 0, ts, ranges,
                                ts ? "videots-" : "video-", ts ? 8 : 6,
                                &r->id, 0);
            (*variants)++;
        }
    }

    return p;
}


/*
 * Whether master-ts.m3u8 lists its audio as renditions of their own
 * (audiots-) beside video-only variants (videots-) rather than muxing
 * each file's first audio track into its variant (ts-): when the title
 * has several audio renditions, title.json excluded any, or its one audio
 * rendition is a codec the muxed variants do not carry (AC-3, E-AC-3).
 */

int
vod_hls_ts_demux(const vod_title_t *title)
{
    /* a muxed variant carries its file's first audio track, which
     * title.json may have excluded */
    return title->audio_count > 1 || title->audio_excluded
           || (title->audio_count == 1
               && !vod_ts_supported(title->audio[0].track));
}


/* one EXT-X-MEDIA TYPE=AUDIO; the group's default is the first of its
 * renditions in the default's language, else its first */

static u_char *
vod_hls_audio_media(u_char *p, const vod_title_t *title, const vod_audio_t *a,
    unsigned ts)
{
    const vod_audio_t  *d;

    p = vod_text_cpy(p, "#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID=\"");
    p = vod_hls_group(p, a->group + 1);
    p = vod_text_cpy(p, "\",NAME=\"");
    p = vod_text_cpymem(p, a->name, strlen(a->name));
    *p++ = '"';

    /* "und" says nothing; LANGUAGE is optional (RFC 8216 4.3.4.1) */

    if (strcmp(a->lang, "und") != 0) {
        p = vod_text_cpy(p, ",LANGUAGE=\"");
        p = vod_text_cpymem(p, a->lang, strlen(a->lang));
        *p++ = '"';
    }

    (void) vod_hls_group_audio(title, a->group, &d);

    if (d == a) {
        p = vod_text_cpy(p, ",DEFAULT=YES,AUTOSELECT=YES");

    } else {
        p = vod_text_cpy(p, ",DEFAULT=NO,AUTOSELECT=YES");
    }

    /* title.json's, checked there to need no quoting */

    if (a->characteristics.len != 0) {
        p = vod_text_cpy(p, ",CHARACTERISTICS=\"");
        p = vod_text_cpymem(p, a->characteristics.data,
                            a->characteristics.len);
        *p++ = '"';
    }

    p = vod_hls_channels(p, a->track);

    p = vod_text_cpy(p, ",URI=\"");
    p = vod_hls_audio_name(p, a->url_id, &a->source->id, ts);
    p = vod_text_cpy(p, ".m3u8\"\n");

    return p;
}


/* CHANNELS: the count, or for E-AC-3 with Atmos (JOC) its complexity
 * index and "/JOC" (Apple's HLS authoring specification) */

static u_char *
vod_hls_channels(u_char *p, const vod_track_info_t *track)
{
    uint32_t  joc;

    joc = vod_codec_joc(track);

    if (joc != 0) {
        p = vod_text_cpy(p, ",CHANNELS=\"");
        p = vod_text_uint(p, joc);
        return vod_text_cpy(p, "/JOC\"");
    }

    if (track->channels != 0) {
        p = vod_text_cpy(p, ",CHANNELS=\"");
        p = vod_text_uint(p, track->channels);
        *p++ = '"';
    }

    return p;
}


unsigned
vod_hls_video_ranges(const vod_title_t *title)
{
    uint32_t  i;

    for (i = 0; i < title->count; i++) {
        if (title->renditions[i].video != NULL
            && vod_hdr_track_range(title->renditions[i].video)
               != VOD_RANGE_SDR)
        {
            return 1;
        }
    }

    return 0;
}


/* the track whose rates a group's variants carry (the group's highest
 * peak), and in *def the group's default rendition; NULL without audio */

static const vod_track_info_t *
vod_hls_group_audio(const vod_title_t *title, uint32_t group,
    const vod_audio_t **def)
{
    uint32_t                 i;
    const vod_audio_t       *a, *first;
    const vod_track_info_t  *top;

    top = NULL;
    first = NULL;
    *def = NULL;

    for (i = 0; i < title->audio_count; i++) {
        a = &title->audio[i];

        if (a->group != group) {
            continue;
        }

        if (first == NULL) {
            first = a;
        }

        if (*def == NULL && strcmp(a->lang, title->audio[0].lang) == 0) {
            *def = a;
        }

        if (top == NULL || a->track->peak_bitrate > top->peak_bitrate) {
            top = a->track;
        }
    }

    if (*def == NULL) {
        *def = first;
    }

    return top;
}


/* GROUP-ID: "aud", then "aud2", "aud3" (group is 1-based) */

static u_char *
vod_hls_group(u_char *p, uint32_t group)
{
    p = vod_text_cpy(p, "aud");

    if (group > 1) {
        p = vod_text_uint(p, group);
    }

    return p;
}


/* "audio-{id}", or "audio{T}-{id}" for a file's other audio tracks;
 * ts: "audiots-{id}", "audiots{T}-{id}" */

static u_char *
vod_hls_audio_name(u_char *p, uint32_t url_id, const vod_str_t *id,
    unsigned ts)
{
    p = ts ? vod_text_cpy(p, "audiots") : vod_text_cpy(p, "audio");

    if (url_id != 0) {
        p = vod_text_uint(p, url_id);
    }

    *p++ = '-';

    return vod_text_cpymem(p, id->data, id->len);
}


int
vod_hls_steering(vod_env_t *env, const u_char *in, size_t len,
    const vod_str_t *uri, const vod_str_t *pathway, u_char **out,
    size_t *out_len)
{
    u_char        *buf, *p;
    size_t         i, n, variants;
    const u_char  *line, *end, *nl;

    static const char  hdr[] = "#EXT-X-INDEPENDENT-SEGMENTS\n";

    for (i = 0; i < uri->len; i++) {
        if (uri->data[i] == '"' || uri->data[i] == '\r'
            || uri->data[i] == '\n')
        {
            return VOD_BAD_REQUEST;
        }
    }

    for (i = 0; i < pathway->len; i++) {
        if (pathway->data[i] == '"' || pathway->data[i] < ' ') {
            return VOD_BAD_REQUEST;
        }
    }

    variants = 0;
    end = in + len;

    for (line = in; line < end; line = nl + 1) {
        nl = memchr(line, '\n', end - line);
        if (nl == NULL) {
            return VOD_ERROR;
        }

        if (vod_hls_pathway_line(line, (size_t) (nl - line))) {
            variants++;
        }
    }

    n = len + sizeof("#EXT-X-CONTENT-STEERING:SERVER-URI=\"\","
                     "PATHWAY-ID=\"\"\n")
        + uri->len + pathway->len
        + variants * (sizeof(",PATHWAY-ID=\"\"") + pathway->len);

    buf = env->alloc(env, n);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = buf;

    for (line = in; line < end; line = nl + 1) {
        nl = memchr(line, '\n', end - line);

        if (vod_hls_pathway_line(line, (size_t) (nl - line))) {
            p = vod_text_cpymem(p, line, (size_t) (nl - line));
            p = vod_text_cpy(p, ",PATHWAY-ID=\"");
            p = vod_text_cpymem(p, pathway->data, pathway->len);
            p = vod_text_cpy(p, "\"\n");
            continue;
        }

        p = vod_text_cpymem(p, line, (size_t) (nl + 1 - line));

        if ((size_t) (nl + 1 - line) == sizeof(hdr) - 1
            && memcmp(line, hdr, sizeof(hdr) - 1) == 0)
        {
            p = vod_text_cpy(p, "#EXT-X-CONTENT-STEERING:SERVER-URI=\"");
            p = vod_text_cpymem(p, uri->data, uri->len);
            p = vod_text_cpy(p, "\",PATHWAY-ID=\"");
            p = vod_text_cpymem(p, pathway->data, pathway->len);
            p = vod_text_cpy(p, "\"\n");
        }
    }

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


int
vod_hls_media(vod_env_t *env, const vod_title_t *title,
    const vod_rendition_t *rendition, uint32_t stream, u_char **out,
    size_t *len)
{
    int                      rc, keyed;
    u_char                  *buf, *p, *prefix, *pp;
    size_t                   size, prefix_len, ext_len;
    uint64_t                 ms, max_ms, target;
    uint32_t                 i, first;
    const char              *kind, *ext;
    const vod_track_info_t  *track;

    switch (stream) {

    case VOD_STREAM_VIDEO:
        track = rendition->video;
        kind = "video-";
        ext = ".m4s\n";
        ext_len = 5;
        break;

    case VOD_STREAM_AUDIO:
        track = rendition->audio;
        kind = "audio-";
        ext = ".m4s\n";
        ext_len = 5;
        break;

    case VOD_STREAM_TS:
        if (!vod_hls_ts_capable(rendition)) {
            return VOD_NOT_FOUND;
        }

        track = rendition->video != NULL ? rendition->video
                                         : rendition->audio;
        kind = "ts-";
        ext = ".ts\n";
        ext_len = 4;
        break;

    case VOD_STREAM_VIDEO_TS:
        track = rendition->video;

        if (track != NULL && !vod_ts_supported(track)) {
            return VOD_NOT_FOUND;
        }

        kind = "videots-";
        ext = ".ts\n";
        ext_len = 4;
        break;

    case VOD_STREAM_AUDIO_TS:
        track = rendition->audio;

        if (track != NULL && !vod_ts_audio_supported(track)) {
            return VOD_NOT_FOUND;
        }

        kind = "audiots-";
        ext = ".ts\n";
        ext_len = 4;
        break;

    default:
        return VOD_NOT_FOUND;
    }

    if (track == NULL) {
        return VOD_NOT_FOUND;
    }

    rc = vod_hls_check_track(track);
    if (rc != VOD_OK) {
        return rc;
    }

    if (track->segment_count == 0 || track->seg_time == NULL) {
        return VOD_UNSUPPORTED;
    }

    if (!vod_title_id_valid(rendition->id.data, rendition->id.len)) {
        return VOD_ERROR;
    }

    max_ms = 0;

    for (i = 0; i < track->segment_count; i++) {
        if (track->seg_time[i + 1] < track->seg_time[i]) {
            return VOD_BAD_DATA;
        }

        ms = vod_text_to_ms(track->seg_time[i + 1] - track->seg_time[i],
                            track->timescale);
        if (ms > max_ms) {
            max_ms = ms;
        }
    }

    /* RFC 8216 4.3.3.1: each EXTINF, rounded to the nearest integer, is
     * at most the target duration; round what the client reads */
    target = (max_ms + 500) / 1000;

    if (target == 0) {
        target = 1;
    }

    size = VOD_HLS_HEADER_LEN
           + (size_t) track->segment_count * VOD_HLS_SEGMENT_LEN;

    if (title->protect != NULL) {
        size += vod_protect_sig_len(title->protect);
    }

    buf = env->alloc(env, size + sizeof("audiots-") + VOD_TEXT_UINT_LEN
                          + VOD_MAX_ID_LEN + 1);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    /* the segment name prefix "video-{id}-" lives after the playlist */
    prefix = buf + size;

    if (stream == VOD_STREAM_AUDIO || stream == VOD_STREAM_AUDIO_TS) {
        pp = vod_hls_audio_name(prefix, rendition->audio_id, &rendition->id,
                                stream == VOD_STREAM_AUDIO_TS);

    } else {
        pp = vod_text_cpymem(prefix, kind, strlen(kind));
        pp = vod_text_cpymem(pp, rendition->id.data, rendition->id.len);
    }

    *pp++ = '-';
    prefix_len = (size_t) (pp - prefix);

    p = vod_text_cpy(buf, "#EXTM3U\n");

    if (vod_url_stream_ts(stream)) {
        /* SAMPLE-AES and its KEYFORMAT need version 5 (RFC 8216 7) */
        p = (title->protect != NULL && title->ts_sample_aes)
            ? vod_text_cpy(p, "#EXT-X-VERSION:5\n")
            : vod_text_cpy(p, "#EXT-X-VERSION:3\n");

    } else {
        p = vod_text_cpy(p, "#EXT-X-VERSION:7\n");
    }

    p = vod_text_cpy(p, "#EXT-X-TARGETDURATION:");
    p = vod_text_uint(p, target);
    p = vod_text_cpy(p, "\n#EXT-X-MEDIA-SEQUENCE:0\n"
                        "#EXT-X-PLAYLIST-TYPE:VOD\n"
                        "#EXT-X-INDEPENDENT-SEGMENTS\n");

    /* the key lines go before the first segment past the clear lead
     * (all of them: none), which the segments before them are clear of */
    keyed = 1;
    first = track->segment_count;

    if (title->protect != NULL) {
        keyed = 0;
        first = vod_protect_first_encrypted(title->protect->clear_lead,
                                            track);
    }

    if (!vod_url_stream_ts(stream)) {
        /* Common Encryption's before the map, whose init segment is
         * protected, unless clear segments come first; AES-128's after
         * it, which it does not apply to (RFC 8216 4.3.2.5): the init
         * segment stays clear and needs no IV */
        if (!keyed && first == 0
            && title->protect->scheme != VOD_PROTECT_SCHEME_AES128)
        {
            p = vod_hls_keys(p, title, stream);
            keyed = 1;
        }

        p = vod_text_cpy(p, "#EXT-X-MAP:URI=\"");
        p = vod_text_cpymem(p, prefix, prefix_len);
        p = vod_text_cpy(p, "init.mp4\"\n");
    }

    for (i = 0; i < track->segment_count; i++) {
        if (!keyed && i == first) {
            p = vod_hls_keys(p, title, stream);
            keyed = 1;
        }

        p = vod_text_cpy(p, "#EXTINF:");
        p = vod_text_ms(p, vod_text_to_ms(track->seg_time[i + 1]
                                          - track->seg_time[i],
                                          track->timescale));
        p = vod_text_cpy(p, ",\n");
        p = vod_text_cpymem(p, prefix, prefix_len);
        p = vod_text_uint(p, (uint64_t) i + 1);
        p = vod_text_cpymem(p, ext, ext_len);
    }

    p = vod_text_cpy(p, "#EXT-X-ENDLIST\n");

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}


u_char *
vod_hls_keys(u_char *p, const vod_title_t *title, uint32_t stream)
{
    if (vod_url_stream_ts(stream)) {
        return vod_protect_hls_aes128(p, title->ts_sample_aes
                                         ? title->protect : NULL);
    }

    if (title->protect->scheme == VOD_PROTECT_SCHEME_AES128) {
        return vod_protect_hls_aes128(p, NULL);
    }

    return vod_protect_hls(p, title->protect, title->clearkey);
}


/* the lines a Pathway applies to (RFC 8216bis 4.4.6.2, 4.4.6.3): the
 * variants and the I-frame streams (vod_iframe.h) */

static int
vod_hls_pathway_line(const u_char *line, size_t len)
{
    static const char  tag[] = "#EXT-X-STREAM-INF:";
    static const char  iframe[] = "#EXT-X-I-FRAME-STREAM-INF:";

    return (len >= sizeof(tag) - 1
            && memcmp(line, tag, sizeof(tag) - 1) == 0)
           || (len >= sizeof(iframe) - 1
               && memcmp(line, iframe, sizeof(iframe) - 1) == 0);
}


/* what the writers rely on: a timescale, and strings that go between
 * quotes as they are */

static int
vod_hls_check_track(const vod_track_info_t *track)
{
    size_t  n;

    if (track->timescale == 0) {
        return VOD_BAD_DATA;
    }

    n = vod_text_field_len(track->codec_str, sizeof(track->codec_str));

    if (!vod_text_token((const u_char *) track->codec_str, n)) {
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


/* a track's bits per second as its segments go on the wire: the
 * container's, and what protection adds (HLS AES-128 of MPEG-TS pads each
 * segment; SAMPLE-AES adds no more than the estimate's slack) */

static uint64_t
vod_hls_wire_rate(const vod_title_t *title, const vod_track_info_t *track,
    uint64_t rate, unsigned ts)
{
    if (!ts) {
        return vod_fmp4_bitrate(track, rate)
               + vod_protect_bitrate(track, title->protect);
    }

    rate = vod_ts_bitrate(track, rate);

    /* HLS AES-128's padding: up to 16 bytes a segment */
    return (title->protect != NULL && !title->ts_sample_aes)
           ? rate + 16 * 8 * vod_track_segments_per_second(track) : rate;
}


/* one EXT-X-STREAM-INF and its URI; group: the audio is that (1-based)
 * rendition group rather than muxed in (0: muxed, or none); prefix
 * "audio" or "audiots" names an audio rendition's playlist by url_id (see
 * vod_hls_audio_name()); ranges: VIDEO-RANGE is written */

static u_char *
vod_hls_variant(u_char *p, const vod_title_t *title,
    const vod_track_info_t *video, const vod_track_info_t *audio,
    uint32_t group, unsigned ts,
    unsigned ranges, const char *prefix, size_t prefix_len,
    const vod_str_t *uri_id, uint32_t url_id)
{
    size_t       vn, an;
    uint64_t     peak, avg;
    const char  *range;

    peak = 0;
    avg = 0;
    vn = 0;
    an = 0;

    /* the rates of the segments as delivered, container included */

    if (video != NULL) {
        peak += vod_hls_wire_rate(title, video, video->peak_bitrate, ts);
        avg += vod_hls_wire_rate(title, video, video->avg_bitrate, ts);
        vn = vod_text_field_len(video->codec_str, sizeof(video->codec_str));
    }

    if (audio != NULL) {
        peak += vod_hls_wire_rate(title, audio, audio->peak_bitrate, ts);
        avg += vod_hls_wire_rate(title, audio, audio->avg_bitrate, ts);
        an = vod_text_field_len(audio->codec_str, sizeof(audio->codec_str));
    }

    p = vod_text_cpy(p, "#EXT-X-STREAM-INF:BANDWIDTH=");
    p = vod_text_uint(p, peak);
    p = vod_text_cpy(p, ",AVERAGE-BANDWIDTH=");
    p = vod_text_uint(p, avg);

    if (vn != 0 || an != 0) {
        p = vod_text_cpy(p, ",CODECS=\"");

        if (vn != 0) {
            p = vod_text_cpymem(p, video->codec_str, vn);
        }

        if (vn != 0 && an != 0) {
            *p++ = ',';
        }

        if (an != 0) {
            p = vod_text_cpymem(p, audio->codec_str, an);
        }

        *p++ = '"';
    }

    if (video != NULL && video->width != 0 && video->height != 0) {
        p = vod_text_cpy(p, ",RESOLUTION=");
        p = vod_text_uint(p, video->width);
        *p++ = 'x';
        p = vod_text_uint(p, video->height);
    }

    if (video != NULL && video->fps_num != 0 && video->fps_den != 0) {
        p = vod_text_cpy(p, ",FRAME-RATE=");
        p = vod_text_ms(p, ((uint64_t) video->fps_num * 1000
                            + video->fps_den / 2) / video->fps_den);
    }

    if (ranges && video != NULL) {
        range = vod_hdr_range_name(vod_hdr_track_range(video));
        p = vod_text_cpy(p, ",VIDEO-RANGE=");
        p = vod_text_cpymem(p, range, strlen(range));
    }

    if (group) {
        p = vod_text_cpy(p, ",AUDIO=\"");
        p = vod_hls_group(p, group);
        *p++ = '"';
    }

    *p++ = '\n';

    if (prefix[prefix_len - 1] != '-') {
        /* "audio", "audiots": an audio rendition's playlist */
        p = vod_hls_audio_name(p, url_id, uri_id, prefix_len == 7);

    } else {
        p = vod_text_cpymem(p, prefix, prefix_len);
        p = vod_text_cpymem(p, uri_id->data, uri_id->len);
    }

    p = vod_text_cpy(p, ".m3u8\n");

    return p;
}


/* a TS variant needs every track it carries to be muxable */

static int
vod_hls_ts_capable(const vod_rendition_t *r)
{
    if (r->video == NULL && r->audio == NULL) {
        return 0;
    }

    if (r->video != NULL && !vod_ts_supported(r->video)) {
        return 0;
    }

    if (r->audio != NULL && !vod_ts_supported(r->audio)) {
        return 0;
    }

    return 1;
}
