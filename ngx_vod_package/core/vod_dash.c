/*
 * vod_dash.c: the static DASH MPD (ISO/IEC 23009-1, isoff-live profile)
 * with a SegmentTemplate and a run-length SegmentTimeline per
 * Representation, since renditions may differ in timescale and cut points.
 *
 * Representation ids are "video-{id}" and "audio-{id}": @id must be unique
 * within a Period (23009-1 5.3.5.2), and a rendition's video and audio are
 * two Representations.  The templates then name the files of vod_url.h as
 * "$RepresentationID$-$Number$.m4s" and "$RepresentationID$-init.mp4".
 */

#include "vod_codec.h"
#include "vod_fmp4.h"
#include "vod_gcd.h"
#include "vod_hdr.h"
#include "vod_manifest.h"
#include "vod_protect.h"
#include "vod_text.h"


#define VOD_DASH_HEADER_LEN                                                  \
    (sizeof("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                   \
            "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\" "                  \
            "profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" "            \
            "type=\"static\" mediaPresentationDuration=\"PTS\" "             \
            "minBufferTime=\"PTS\">\n"                                       \
            "  <Period id=\"0\" start=\"PT0S\">\n"                           \
            "    <AdaptationSet id=\"0\" contentType=\"video\" "             \
            "mimeType=\"video/mp4\" segmentAlignment=\"true\" "              \
            "startWithSAP=\"1\" maxWidth=\"\" maxHeight=\"\" par=\":\" "      \
            "maxFrameRate=\"/\">\n"                                          \
            "    </AdaptationSet>\n"                                         \
            "    <AdaptationSet id=\"1\" contentType=\"audio\" "             \
            "mimeType=\"audio/mp4\" lang=\"\" segmentAlignment=\"true\" "    \
            "startWithSAP=\"1\">\n"                                          \
            "      <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"  \
            "23003:3:audio_channel_configuration:2011\" value=\"\"/>\n"      \
            "    </AdaptationSet>\n"                                         \
            "  </Period>\n"                                                  \
            "</MPD>\n")                                                      \
     + 10 * VOD_TEXT_MS_LEN)

/* an audio AdaptationSet's own text, counted once per audio rendition:
 * the opening tag, channels (on the set or the Representation), Role */
#define VOD_DASH_SET_LEN                                                     \
    (sizeof("    <AdaptationSet id=\"\" contentType=\"audio\" "             \
            "mimeType=\"audio/mp4\" lang=\"\" segmentAlignment=\"true\" "    \
            "startWithSAP=\"1\">\n"                                          \
            "        <AudioChannelConfiguration schemeIdUri=\"urn:mpeg:dash:"\
            "23003:3:audio_channel_configuration:2011\" value=\"\"/>\n"      \
            "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "           \
            "value=\"alternate\"/>\n"                                        \
            "    </AdaptationSet>\n")                                         \
     + 3 * VOD_TEXT_UINT_LEN + VOD_SUB_LANG_LEN + VOD_DASH_LABEL_LEN)

/* what title.json's "audio" adds to a set: a Label, an Accessibility and
 * two Roles for its characteristics */
#define VOD_DASH_LABEL_LEN                                                   \
    (sizeof("      <Label></Label>\n"                                       \
            "      <Accessibility schemeIdUri=\"urn:tva:metadata:cs:"       \
            "AudioPurposeCS:2007\" value=\"1\"/>\n"                          \
            "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "           \
            "value=\"description\"/>\n"                                      \
            "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "           \
            "value=\"enhanced-audio-intelligibility\"/>\n")                  \
     + 6 * VOD_AUDIO_NAME_LEN)

/* one Representation without its codecs string and its S elements */
#define VOD_DASH_REP_LEN                                                     \
    (sizeof("      <Representation id=\"video-\" bandwidth=\"\" "            \
            "codecs=\"\" width=\"\" height=\"\" frameRate=\"/\" "            \
            "sar=\":\">\n"                                                   \
            "        <SegmentTemplate timescale=\"\" "                       \
            "initialization=\"$RepresentationID$-init.mp4\" "                \
            "media=\"$RepresentationID$-$Number$.m4s\" "                     \
            "startNumber=\"1\">\n"                                           \
            "          <SegmentTimeline>\n"                                  \
            "          </SegmentTimeline>\n"                                 \
            "        </SegmentTemplate>\n"                                   \
            "      </Representation>\n")                                     \
     + 8 * VOD_TEXT_UINT_LEN + VOD_MAX_ID_LEN)

/* a video AdaptationSet of its own range beyond the first, with its
 * colour properties (DASH-IF IOP, HDR) */
#define VOD_DASH_VSET_LEN                                                    \
    (sizeof("    <AdaptationSet id=\"\" contentType=\"video\" "             \
            "mimeType=\"video/mp4\" segmentAlignment=\"true\" "              \
            "startWithSAP=\"1\" maxWidth=\"\" maxHeight=\"\" par=\":\" "      \
            "maxFrameRate=\"/\">\n"                                          \
            "    </AdaptationSet>\n")                                        \
     + 7 * VOD_TEXT_UINT_LEN + VOD_DASH_COLOUR_LEN)

/* what an audio AdaptationSet adds for Dolby audio: the channel map and
 * the JOC properties */
#define VOD_DASH_DOLBY_LEN                                                   \
    (sizeof("        <AudioChannelConfiguration schemeIdUri=\"tag:dolby.com," \
            "2014:dash:audio_channel_configuration:2011\" value=\"\"/>\n"    \
            "      <SupplementalProperty schemeIdUri=\"tag:dolby.com,2018:"   \
            "dash:EC3_ExtensionType:2018\" value=\"JOC\"/>\n"                \
            "      <SupplementalProperty schemeIdUri=\"tag:dolby.com,2018:"   \
            "dash:EC3_ExtensionComplexityIndex:2018\" value=\"\"/>\n")       \
     + 2 * VOD_TEXT_UINT_LEN)

#define VOD_DASH_S_LEN                                                       \
    (sizeof("            <S t=\"\" d=\"\" r=\"\"/>\n")                       \
     + 3 * VOD_TEXT_UINT_LEN)


static int vod_dash_check_track(const vod_track_info_t *track);
static int vod_dash_audio_alike(const vod_audio_t *a, const vod_audio_t *b);
static int vod_dash_characteristic(const vod_str_t *list, const char *uti);
static u_char *vod_dash_xml(u_char *p, const vod_str_t *s);
static u_char *vod_dash_frame_rate(u_char *p, uint32_t num, uint32_t den);
static u_char *vod_dash_representation(u_char *p, const vod_title_t *title,
    const vod_str_t *id, uint32_t url_id, const vod_track_info_t *track,
    const vod_track_info_t *channels);
static uint32_t vod_dash_audio_sets(const vod_title_t *title,
    uint32_t *set);
static u_char *vod_dash_audio_set(u_char *p, const vod_title_t *title,
    const uint32_t *set, uint32_t sets, uint32_t n, uint32_t id);
static u_char *vod_dash_video_set(u_char *p, const vod_title_t *title,
    uint32_t range, uint32_t id);
static u_char *vod_dash_channels(u_char *p, const vod_track_info_t *track);
static int vod_dash_same_channels(const vod_track_info_t *a,
    const vod_track_info_t *b);
static u_char *vod_dash_timeline(u_char *p, const vod_track_info_t *track);
static void vod_dash_durations(const vod_track_info_t *track,
    uint64_t *total_ms, uint64_t *max_seg_ms);


int
vod_dash_mpd(vod_env_t *env, const vod_title_t *title, u_char **out,
    size_t *len)
{
    int                      rc;
    u_char                  *buf, *p;
    size_t                   size;
    uint32_t                 i, videos, range, ranges, vsets;
    uint64_t                 total_ms, max_seg_ms;
    uint32_t                 sets, set[VOD_MAX_AUDIO];
    const vod_rendition_t   *r;
    const vod_track_info_t  *v, *audio;

    size = VOD_DASH_HEADER_LEN;
    videos = 0;
    ranges = 0;
    total_ms = 0;
    max_seg_ms = 0;

    for (i = 0; i < title->count; i++) {
        r = &title->renditions[i];
        v = r->video;

        if (!vod_title_id_valid(r->id.data, r->id.len)) {
            return VOD_ERROR;
        }

        if (v == NULL) {
            continue;
        }

        rc = vod_dash_check_track(v);
        if (rc != VOD_OK) {
            return rc;
        }

        videos++;
        ranges |= 1U << vod_hdr_track_range(v);

        vod_dash_durations(v, &total_ms, &max_seg_ms);

        size += VOD_DASH_REP_LEN
                + vod_text_xml_len((u_char *) v->codec_str,
                                   vod_text_field_len(v->codec_str,
                                                      sizeof(v->codec_str)))
                + (size_t) v->segment_count * VOD_DASH_S_LEN;
    }

    for (i = 0; i < title->audio_count; i++) {
        audio = title->audio[i].track;

        rc = vod_dash_check_track(audio);
        if (rc != VOD_OK) {
            return rc;
        }

        vod_dash_durations(audio, &total_ms, &max_seg_ms);

        size += VOD_DASH_SET_LEN + VOD_DASH_REP_LEN + VOD_DASH_DOLBY_LEN
                + vod_text_xml_len((u_char *) audio->codec_str,
                                   vod_text_field_len(audio->codec_str,
                                                sizeof(audio->codec_str)))
                + (size_t) audio->segment_count * VOD_DASH_S_LEN;
    }

    if (videos == 0 && title->audio_count == 0) {
        return VOD_NOT_FOUND;
    }

    /* one video AdaptationSet per dynamic range: SDR, PQ, HLG */
    size += 3 * VOD_DASH_VSET_LEN;

    if (title->protect != NULL) {
        size += sizeof(VOD_PROTECT_DASH_NS)
                + (3 + (size_t) title->audio_count)
                  * vod_protect_sig_len(title->protect);
    }

    sets = vod_dash_audio_sets(title, set);

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
            "<MPD xmlns=\"urn:mpeg:dash:schema:mpd:2011\"");

    if (title->protect != NULL) {
        p = vod_text_cpy(p, VOD_PROTECT_DASH_NS);
    }

    p = vod_text_cpy(p, " profiles=\"urn:mpeg:dash:profile:isoff-live:2011\" "
                        "type=\"static\" mediaPresentationDuration=\"PT");
    p = vod_text_ms(p, total_ms);
    p = vod_text_cpy(p, "S\" minBufferTime=\"PT");
    p = vod_text_ms(p, max_seg_ms);
    p = vod_text_cpy(p, "S\">\n  <Period id=\"0\" start=\"PT0S\">\n");

    vsets = 0;

    for (range = VOD_RANGE_SDR; range <= VOD_RANGE_HLG; range++) {
        if (ranges & (1U << range)) {
            p = vod_dash_video_set(p, title, range, vsets++);
        }
    }

    /* the audio sets' ids follow the video sets' (from 1 without video) */

    for (i = 0; i < sets; i++) {
        p = vod_dash_audio_set(p, title, set, sets, i,
                               i + (vsets != 0 ? vsets : 1));
    }

    p = vod_text_cpy(p, "  </Period>\n</MPD>\n");

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}


/* the video AdaptationSet of the renditions of one dynamic range; its
 * maxima, and @par (DASH-IF IOP) only when every rendition agrees, with
 * the square pixels each Representation declares */

static u_char *
vod_dash_video_set(u_char *p, const vod_title_t *title, uint32_t range,
    uint32_t id)
{
    uint32_t                 i, videos, max_w, max_h, fps_num, fps_den;
    uint32_t                 sar_w, sar_h;
    uint64_t                 g, par_w, par_h, pw, ph;
    const vod_track_info_t  *v, *first;

    videos = 0;
    max_w = 0;
    max_h = 0;
    fps_num = 0;
    fps_den = 1;
    par_w = 0;
    par_h = 0;
    first = NULL;

    for (i = 0; i < title->count; i++) {
        v = title->renditions[i].video;

        if (v == NULL || vod_hdr_track_range(v) != range) {
            continue;
        }

        if (first == NULL) {
            first = v;
        }

        videos++;

        max_w = v->width > max_w ? v->width : max_w;
        max_h = v->height > max_h ? v->height : max_h;

        /* the picture's aspect as displayed: its samples' own aspect
         * (sar) times their count */
        vod_hdr_track_sar(v, &sar_w, &sar_h);
        pw = (uint64_t) v->width * sar_w;
        ph = (uint64_t) v->height * sar_h;

        g = vod_gcd(pw, ph);

        if (g == 0 || (videos > 1 && (par_w != pw / g || par_h != ph / g))) {
            par_w = (uint64_t) -1;

        } else if (videos == 1) {
            par_w = pw / g;
            par_h = ph / g;
        }

        if (v->fps_den != 0
            && (uint64_t) v->fps_num * fps_den
               > (uint64_t) fps_num * v->fps_den)
        {
            fps_num = v->fps_num;
            fps_den = v->fps_den;
        }
    }

    p = vod_text_cpy(p, "    <AdaptationSet id=\"");
    p = vod_text_uint(p, id);
    p = vod_text_cpy(p, "\" contentType=\"video\" mimeType=\"video/mp4\""
                        " segmentAlignment=\"true\" startWithSAP=\"1\"");

    if (max_w != 0 && max_h != 0) {
        p = vod_text_cpy(p, " maxWidth=\"");
        p = vod_text_uint(p, max_w);
        p = vod_text_cpy(p, "\" maxHeight=\"");
        p = vod_text_uint(p, max_h);
        *p++ = '"';
    }

    if (par_w != (uint64_t) -1 && par_w != 0 && par_h != 0) {
        p = vod_text_cpy(p, " par=\"");
        p = vod_text_uint(p, par_w);
        *p++ = ':';
        p = vod_text_uint(p, par_h);
        *p++ = '"';
    }

    if (fps_num != 0) {
        p = vod_text_cpy(p, " maxFrameRate=\"");
        p = vod_dash_frame_rate(p, fps_num, fps_den);
        *p++ = '"';
    }

    p = vod_text_cpy(p, ">\n");

    if (title->protect != NULL) {
        p = vod_protect_dash(p, title->protect, title->clearkey);
    }

    if (range != VOD_RANGE_SDR && first != NULL) {
        p = vod_dash_colour(p, first);
    }

    for (i = 0; i < title->count; i++) {
        v = title->renditions[i].video;

        if (v != NULL && vod_hdr_track_range(v) == range) {
            p = vod_dash_representation(p, title, &title->renditions[i].id,
                                        0, v, NULL);
        }
    }

    return vod_text_cpy(p, "    </AdaptationSet>\n");
}


u_char *
vod_dash_colour(u_char *p, const vod_track_info_t *track)
{
    vod_colour_t  c;

    vod_hdr_track(track, &c);

    p = vod_text_cpy(p, "      <EssentialProperty schemeIdUri=\"urn:mpeg:"
                        "mpegB:cicp:TransferCharacteristics\" value=\"");
    p = vod_text_uint(p, c.transfer);
    p = vod_text_cpy(p, "\"/>\n");

    if (c.primaries != VOD_CICP_UNSPECIFIED) {
        p = vod_text_cpy(p, "      <SupplementalProperty schemeIdUri=\"urn:"
                            "mpeg:mpegB:cicp:ColourPrimaries\" value=\"");
        p = vod_text_uint(p, c.primaries);
        p = vod_text_cpy(p, "\"/>\n");
    }

    if (c.matrix != VOD_CICP_UNSPECIFIED) {
        p = vod_text_cpy(p, "      <SupplementalProperty schemeIdUri=\"urn:"
                            "mpeg:mpegB:cicp:MatrixCoefficients\" value=\"");
        p = vod_text_uint(p, c.matrix);
        p = vod_text_cpy(p, "\"/>\n");
    }

    return p;
}


/*
 * The audio AdaptationSets: one per language and codec string, each
 * rendition in the first set of its language and codec that has no
 * rendition with its channel count yet (a second track just like one in
 * the set, a commentary, gets a set of its own; so does one whose name or
 * characteristics title.json gave, unless they are the set's too).
 * Returns how many, set[i] being audio rendition i's.
 */

static uint32_t
vod_dash_audio_sets(const vod_title_t *title, uint32_t *set)
{
    uint32_t                 i, k, n, sets;
    const vod_track_info_t  *t, *o;

    sets = 0;

    for (i = 0; i < title->audio_count; i++) {
        t = title->audio[i].track;
        set[i] = sets;

        for (n = 0; n < sets; n++) {

            for (k = 0; k < i; k++) {
                if (set[k] != n) {
                    continue;
                }

                o = title->audio[k].track;

                if (strcmp(title->audio[k].lang, title->audio[i].lang) != 0
                    || strncmp(o->codec_str, t->codec_str,
                               sizeof(t->codec_str)) != 0
                    || o->channels == t->channels
                    || !vod_dash_audio_alike(&title->audio[k],
                                             &title->audio[i]))
                {
                    break;
                }
            }

            if (k == i) {
                set[i] = n;
                break;
            }
        }

        if (set[i] == sets) {
            sets++;
        }
    }

    return sets;
}


/* AdaptationSet n + 1: lang, the channel configuration when its
 * Representations agree (else on each), Role when there is a choice */

static u_char *
vod_dash_audio_set(u_char *p, const vod_title_t *title, const uint32_t *set,
    uint32_t sets, uint32_t n, uint32_t id)
{
    int                  described;
    uint32_t             i, agree, joc;
    const vod_audio_t   *a, *first;

    first = NULL;
    agree = 1;

    for (i = 0; i < title->audio_count; i++) {
        if (set[i] != n) {
            continue;
        }

        a = &title->audio[i];

        if (first == NULL) {
            first = a;

        } else if (!vod_dash_same_channels(first->track, a->track)) {
            agree = 0;
        }
    }

    p = vod_text_cpy(p, "    <AdaptationSet id=\"");
    p = vod_text_uint(p, id);
    p = vod_text_cpy(p, "\" contentType=\"audio\" mimeType=\"audio/mp4\"");

    /* "und" says nothing: no lang, as for an unknown language */

    if (strcmp(first->lang, "und") != 0) {
        p = vod_text_cpy(p, " lang=\"");
        p = vod_text_cpymem(p, first->lang, strlen(first->lang));
        *p++ = '"';
    }

    p = vod_text_cpy(p, " segmentAlignment=\"true\" startWithSAP=\"1\">\n");

    if (agree) {
        p = vod_dash_channels(p, first->track);
    }

    if (title->protect != NULL) {
        p = vod_protect_dash(p, title->protect, title->clearkey);
    }

    /* E-AC-3 with Atmos (JOC): Dolby's properties (DASH-IF IOP 9.2) */

    joc = vod_codec_joc(first->track);

    if (joc != 0) {
        p = vod_text_cpy(p, "      <SupplementalProperty schemeIdUri=\"tag:"
                            "dolby.com,2018:dash:EC3_ExtensionType:2018\" "
                            "value=\"JOC\"/>\n"
                            "      <SupplementalProperty schemeIdUri=\"tag:"
                            "dolby.com,2018:dash:EC3_ExtensionComplexityIndex"
                            ":2018\" value=\"");
        p = vod_text_uint(p, joc);
        p = vod_text_cpy(p, "\"/>\n");
    }

    /* title.json's name and characteristics, which the set's renditions
     * share: audio description as DASH-IF IOP signals it (Accessibility
     * of TV-Anytime's AudioPurposeCS and Role "description"), enhanced
     * intelligibility as its Role */

    if (first->named) {
        p = vod_text_cpy(p, "      <Label>");
        p = vod_text_xml(p, (u_char *) first->name, strlen(first->name));
        p = vod_text_cpy(p, "</Label>\n");
    }

    described = vod_dash_characteristic(&first->characteristics,
                                        "public.accessibility."
                                        "describes-video");

    if (described) {
        p = vod_text_cpy(p, "      <Accessibility schemeIdUri=\"urn:tva:"
                            "metadata:cs:AudioPurposeCS:2007\" value=\"1\""
                            "/>\n");
    }

    if (sets > 1) {
        p = vod_text_cpy(p, "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011"
                            "\" value=\"");
        if (n == set[0]) {
            p = vod_text_cpy(p, "main\"/>\n");

        } else {
            p = vod_text_cpy(p, "alternate\"/>\n");
        }
    }

    if (described) {
        p = vod_text_cpy(p, "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011"
                            "\" value=\"description\"/>\n");
    }

    if (vod_dash_characteristic(&first->characteristics,
                                "public.accessibility."
                                "enhances-speech-intelligibility"))
    {
        p = vod_text_cpy(p, "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011"
                            "\" value=\"enhanced-audio-intelligibility\"/>\n");
    }

    for (i = 0; i < title->audio_count; i++) {
        if (set[i] != n) {
            continue;
        }

        a = &title->audio[i];
        p = vod_dash_representation(p, title, &a->source->id, a->url_id,
                                    a->track, agree ? NULL : a->track);
    }

    return vod_text_cpy(p, "    </AdaptationSet>\n");
}


/* AudioChannelConfiguration: for AC-3 and E-AC-3 Dolby's scheme with the
 * channel map in 4 hex digits (DASH-IF IOP 9.2.1), else 23003-3's count;
 * nothing when the count is unknown */

static u_char *
vod_dash_channels(u_char *p, const vod_track_info_t *track)
{
    uint32_t            i;
    vod_dolby_config_t  cfg;

    static const u_char  hex[] = "0123456789ABCDEF";

    if (vod_codec_dolby(track, &cfg) == VOD_OK) {
        p = vod_text_cpy(p, "      <AudioChannelConfiguration schemeIdUri="
                            "\"tag:dolby.com,2014:dash:"
                            "audio_channel_configuration:2011\" value=\"");

        for (i = 0; i < 4; i++) {
            *p++ = hex[(cfg.chan_map >> (12 - 4 * i)) & 0x0f];
        }

        return vod_text_cpy(p, "\"/>\n");
    }

    if (track->channels == 0) {
        return p;
    }

    p = vod_text_cpy(p, "      <AudioChannelConfiguration schemeIdUri="
                        "\"urn:mpeg:dash:23003:3:"
                        "audio_channel_configuration:2011\" value=\"");
    p = vod_text_uint(p, track->channels);

    return vod_text_cpy(p, "\"/>\n");
}


/* whether two renditions may share a set as far as title.json goes: the
 * same name given (or none) and the same characteristics */

static int
vod_dash_audio_alike(const vod_audio_t *a, const vod_audio_t *b)
{
    if (a->named != b->named
        || (a->named && strcmp(a->name, b->name) != 0))
    {
        return 0;
    }

    return a->characteristics.len == b->characteristics.len
           && (a->characteristics.len == 0
               || memcmp(a->characteristics.data, b->characteristics.data,
                         a->characteristics.len) == 0);
}


/* whether a comma-separated CHARACTERISTICS list has uti */

static int
vod_dash_characteristic(const vod_str_t *list, const char *uti)
{
    size_t         n;
    const u_char  *p, *end, *comma;

    /* none given: data may be NULL */
    if (list->len == 0) {
        return 0;
    }

    n = strlen(uti);
    p = list->data;
    end = p + list->len;

    while (p < end) {
        comma = memchr(p, ',', end - p);

        if (comma == NULL) {
            comma = end;
        }

        if ((size_t) (comma - p) == n && memcmp(p, uti, n) == 0) {
            return 1;
        }

        p = comma + 1;
    }

    return 0;
}


/* whether two tracks' AudioChannelConfiguration would be the same */

static int
vod_dash_same_channels(const vod_track_info_t *a, const vod_track_info_t *b)
{
    vod_dolby_config_t  ca, cb;

    if (vod_codec_dolby(a, &ca) == VOD_OK) {
        return vod_codec_dolby(b, &cb) == VOD_OK
               && ca.chan_map == cb.chan_map;
    }

    return vod_codec_dolby(b, &cb) != VOD_OK && a->channels == b->channels;
}


static int
vod_dash_check_track(const vod_track_info_t *track)
{
    uint32_t  i;

    if (track->timescale == 0) {
        return VOD_BAD_DATA;
    }

    if (track->segment_count == 0 || track->seg_time == NULL) {
        return VOD_UNSUPPORTED;
    }

    for (i = 0; i < track->segment_count; i++) {
        if (track->seg_time[i + 1] < track->seg_time[i]) {
            return VOD_BAD_DATA;
        }
    }

    return VOD_OK;
}


/* FrameRateType: "25" or "30000/1001", reduced */

static u_char *
vod_dash_frame_rate(u_char *p, uint32_t num, uint32_t den)
{
    uint64_t  g;

    g = vod_gcd(num, den);

    if (g > 1) {
        num /= g;
        den /= g;
    }

    p = vod_text_uint(p, num);

    if (den != 1) {
        *p++ = '/';
        p = vod_text_uint(p, den);
    }

    return p;
}


static u_char *
vod_dash_representation(u_char *p, const vod_title_t *title,
    const vod_str_t *id, uint32_t url_id, const vod_track_info_t *track,
    const vod_track_info_t *channels)
{
    size_t    n;
    uint32_t  sar_w, sar_h;

    p = vod_text_cpy(p, "      <Representation id=\"");

    if (track->type == VOD_TRACK_AUDIO) {
        p = vod_text_cpy(p, "audio");

        if (url_id != 0) {
            p = vod_text_uint(p, url_id);
        }

        *p++ = '-';

    } else {
        p = vod_text_cpy(p, "video-");
    }

    p = vod_text_cpymem(p, id->data, id->len);
    p = vod_text_cpy(p, "\" bandwidth=\"");
    /* the segments as delivered: the container, and the protection */
    p = vod_text_uint(p, vod_fmp4_bitrate(track, track->peak_bitrate)
                         + vod_protect_bitrate(track, title->protect));
    *p++ = '"';

    n = vod_text_field_len(track->codec_str, sizeof(track->codec_str));

    if (n != 0) {
        p = vod_text_cpy(p, " codecs=\"");
        p = vod_text_xml(p, (u_char *) track->codec_str, n);
        *p++ = '"';
    }

    if (track->type == VOD_TRACK_AUDIO) {
        if (track->sample_rate != 0) {
            p = vod_text_cpy(p, " audioSamplingRate=\"");
            p = vod_text_uint(p, track->sample_rate);
            *p++ = '"';
        }

    } else {
        if (track->width != 0 && track->height != 0) {
            p = vod_text_cpy(p, " width=\"");
            p = vod_text_uint(p, track->width);
            p = vod_text_cpy(p, "\" height=\"");
            p = vod_text_uint(p, track->height);
            *p++ = '"';
        }

        if (track->fps_num != 0 && track->fps_den != 0) {
            p = vod_text_cpy(p, " frameRate=\"");
            p = vod_dash_frame_rate(p, track->fps_num, track->fps_den);
            *p++ = '"';
        }

        vod_hdr_track_sar(track, &sar_w, &sar_h);

        p = vod_text_cpy(p, " sar=\"");
        p = vod_text_uint(p, sar_w);
        *p++ = ':';
        p = vod_text_uint(p, sar_h);
        *p++ = '"';
    }

    p = vod_text_cpy(p, ">\n");

    if (channels != NULL && (channels->channels != 0
                             || channels->codec == VOD_CODEC_AC3
                             || channels->codec == VOD_CODEC_EAC3))
    {
        p = vod_text_cpy(p, "  ");
        p = vod_dash_channels(p, channels);
    }

    p = vod_text_cpy(p, "        <SegmentTemplate timescale=\"");
    p = vod_text_uint(p, track->timescale);
    p = vod_text_cpy(p, "\" initialization=\"$RepresentationID$-init.mp4\""
                        " media=\"$RepresentationID$-$Number$.m4s\""
                        " startNumber=\"1\">\n"
                        "          <SegmentTimeline>\n");

    p = vod_dash_timeline(p, track);

    p = vod_text_cpy(p, "          </SegmentTimeline>\n"
                        "        </SegmentTemplate>\n"
                        "      </Representation>\n");

    return p;
}


/* S elements: t on the first, a run of equal durations as one S with r */

static u_char *
vod_dash_timeline(u_char *p, const vod_track_info_t *track)
{
    uint32_t   i, j;
    uint64_t   d;
    uint64_t  *t;

    t = track->seg_time;

    for (i = 0; i < track->segment_count; i = j) {
        d = t[i + 1] - t[i];

        for (j = i + 1;
             j < track->segment_count && t[j + 1] - t[j] == d;
             j++)
        {
            /* void */
        }

        p = vod_text_cpy(p, "            <S ");

        if (i == 0) {
            p = vod_text_cpy(p, "t=\"");
            p = vod_text_uint(p, t[0]);
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
    }

    return p;
}


static void
vod_dash_durations(const vod_track_info_t *track, uint64_t *total_ms,
    uint64_t *max_seg_ms)
{
    uint32_t  i;
    uint64_t  ms;

    ms = vod_text_to_ms(track->seg_time[track->segment_count]
                        - track->seg_time[0], track->timescale);

    if (ms > *total_ms) {
        *total_ms = ms;
    }

    for (i = 0; i < track->segment_count; i++) {
        ms = vod_text_to_ms(track->seg_time[i + 1] - track->seg_time[i],
                            track->timescale);

        if (ms > *max_seg_ms) {
            *max_seg_ms = ms;
        }
    }
}


int
vod_dash_steering(vod_env_t *env, const u_char *in, size_t len,
    const vod_str_t *uri, const vod_str_t *pathway, u_char **out,
    size_t *out_len)
{
    u_char        *buf, *p;
    size_t         n, i;
    const u_char  *period;

    for (i = 0; i < pathway->len; i++) {
        if (pathway->data[i] < ' ') {
            return VOD_BAD_REQUEST;
        }
    }

    /* the ContentSteering and BaseURL elements go before the Period */

    for (period = in; period + 9 < in + len; period++) {
        if (memcmp(period, "  <Period", 9) == 0) {
            break;
        }
    }

    if (period + 9 >= in + len) {
        return VOD_ERROR;
    }

    n = len + sizeof("  <BaseURL serviceLocation=\"\">./</BaseURL>\n"
                     "  <ContentSteering defaultServiceLocation=\"\" "
                     "queryBeforeStart=\"true\"></ContentSteering>\n")
        + 6 * (2 * pathway->len + uri->len);

    buf = env->alloc(env, n);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpymem(buf, in, (size_t) (period - in));
    p = vod_text_cpy(p, "  <BaseURL serviceLocation=\"");
    p = vod_dash_xml(p, pathway);
    p = vod_text_cpy(p, "\">./</BaseURL>\n"
                        "  <ContentSteering defaultServiceLocation=\"");
    p = vod_dash_xml(p, pathway);
    p = vod_text_cpy(p, "\" queryBeforeStart=\"true\">");
    p = vod_dash_xml(p, uri);
    p = vod_text_cpy(p, "</ContentSteering>\n");
    p = vod_text_cpymem(p, period, (size_t) (in + len - period));

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


/* text and attribute values: at most 6 bytes out per byte in */

static u_char *
vod_dash_xml(u_char *p, const vod_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        switch (s->data[i]) {

        case '&':
            p = vod_text_cpy(p, "&amp;");
            break;

        case '<':
            p = vod_text_cpy(p, "&lt;");
            break;

        case '>':
            p = vod_text_cpy(p, "&gt;");
            break;

        case '"':
            p = vod_text_cpy(p, "&quot;");
            break;

        default:
            *p++ = s->data[i];
        }
    }

    return p;
}


/* one past the largest AdaptationSet id of an MPD: the id of a set
 * another writer appends (subtitles, images) */

uint32_t
vod_dash_video_set_id(const vod_title_t *title, uint32_t range)
{
    uint32_t                 i, ranges, id;
    const vod_track_info_t  *v;

    ranges = 0;

    for (i = 0; i < title->count; i++) {
        v = title->renditions[i].video;

        if (v != NULL) {
            ranges |= 1U << vod_hdr_track_range(v);
        }
    }

    /* numbered from 0 in range order, as vod_dash_mpd() writes them */

    for (id = 0, i = VOD_RANGE_SDR; i < range; i++) {
        id += (ranges >> i) & 1;
    }

    return id;
}


const u_char *
vod_dash_period_end(const u_char *in, size_t len)
{
    const u_char  *p;

    static const char  tag[] = "  </Period>\n";

    for (p = in; p + sizeof(tag) - 1 <= in + len; p++) {
        if (memcmp(p, tag, sizeof(tag) - 1) == 0) {
            return p;
        }
    }

    return NULL;
}


uint64_t
vod_dash_next_set(const u_char *in, size_t len)
{
    uint64_t       v, next;
    const u_char  *p, *end;

    static const char  tag[] = "<AdaptationSet id=\"";

    next = 0;
    end = in + len;

    for (p = in; p + sizeof(tag) - 1 < end; p++) {
        if (memcmp(p, tag, sizeof(tag) - 1) != 0) {
            continue;
        }

        p += sizeof(tag) - 1;

        for (v = 0; p < end && *p >= '0' && *p <= '9' && v < 1000000; p++) {
            v = v * 10 + (uint64_t) (*p - '0');
        }

        if (v + 1 > next) {
            next = v + 1;
        }
    }

    return next;
}
