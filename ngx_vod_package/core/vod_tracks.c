/*
 * vod_tracks.c: tracks.json, what a title offers a viewer (the playback
 * API's available_tracks): its video renditions after the tier's ceiling,
 * its audio and subtitle renditions as the manifests list them.  Bounded
 * first, written once, like the manifest writers.
 */

#include "vod_hdr.h"
#include "vod_manifest.h"
#include "vod_text.h"


/* one video or audio entry: its fixed text, numbers, and strings each
 * escaped to at most 6 bytes a byte */
#define VOD_TRACKS_ENTRY_LEN                                                 \
    (sizeof("{\"id\":\"audio-\",\"format\":\"dolby-vision\","             \
            "\"codecs\":\"\",\"width\":,\"height\":,\"frame_rate\":,"     \
            "\"bitrate\":,\"peak_bitrate\":,\"language\":\"\","           \
            "\"name\":\"\",\"channels\":,\"default\":false,"             \
            "\"video_range\":\"\"},")                                         \
     + 7 * VOD_TEXT_UINT_LEN + VOD_TEXT_MS_LEN + 6 * sizeof("HLG")          \
     + 6 * (VOD_MAX_ID_LEN + sizeof(((vod_track_info_t *) 0)->codec_str)    \
            + VOD_SUB_LANG_LEN + VOD_AUDIO_NAME_LEN)                        \
     + sizeof(",\"characteristics\":\"\"") + VOD_AUDIO_CHAR_LEN)

/* one subtitle entry, likewise */
#define VOD_TRACKS_SUB_LEN                                                   \
    (sizeof("{\"id\":\"sub-\",\"format\":\"webvtt\",\"language\":\"\","      \
            "\"name\":\"\",\"forced\":false,\"sdh\":false,"                \
            "\"default\":false},")                                            \
     + 6 * (VOD_MAX_ID_LEN + VOD_SUB_LANG_LEN + VOD_SUB_NAME_LEN))


static const char *vod_tracks_format(const vod_track_info_t *track);
static u_char *vod_tracks_str(u_char *p, const u_char *s, size_t len);
static u_char *vod_tracks_codecs(u_char *p, const vod_track_info_t *track);
static u_char *vod_tracks_video(u_char *p, const vod_rendition_t *rd);
static u_char *vod_tracks_audio(u_char *p, const vod_audio_t *a,
    int is_default);
static u_char *vod_tracks_sub(u_char *p, const vod_subtitle_t *s,
    int is_default);
static u_char *vod_tracks_bool(u_char *p, int value);


int
vod_tracks_json(vod_env_t *env, const vod_title_t *title,
    const vod_subs_t *subs, u_char **out, size_t *len)
{
    u_char    *buf, *p;
    size_t     size;
    uint32_t   i, n, def;

    size = sizeof("{\"video\":[],\"audio\":[],\"subtitles\":[]}\n")
           + (title->count + title->audio_count) * VOD_TRACKS_ENTRY_LEN
           + (subs != NULL ? subs->count * VOD_TRACKS_SUB_LEN : 0);

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "{\"video\":[");

    for (n = 0, i = 0; i < title->count; i++) {
        if (title->renditions[i].video == NULL) {
            continue;
        }

        if (n++) {
            *p++ = ',';
        }

        p = vod_tracks_video(p, &title->renditions[i]);
    }

    p = vod_text_cpy(p, "],\"audio\":[");

    for (i = 0; i < title->audio_count; i++) {
        if (i) {
            *p++ = ',';
        }

        p = vod_tracks_audio(p, &title->audio[i], i == 0);
    }

    p = vod_text_cpy(p, "],\"subtitles\":[");

    if (subs != NULL) {
        def = vod_subs_default(subs);

        for (i = 0; i < subs->count; i++) {
            if (i) {
                *p++ = ',';
            }

            p = vod_tracks_sub(p, &subs->items[i], i == def);
        }
    }

    p = vod_text_cpy(p, "]}\n");

    *out = buf;
    *len = p - buf;

    return VOD_OK;
}


static u_char *
vod_tracks_video(u_char *p, const vod_rendition_t *rd)
{
    uint64_t                 fps;
    const char              *range;
    const vod_track_info_t  *v;

    v = rd->video;

    p = vod_text_cpy(p, "{\"id\":");
    p = vod_tracks_str(p, rd->id.data, rd->id.len);
    p = vod_tracks_codecs(p, v);
    p = vod_text_cpy(p, ",\"width\":");
    p = vod_text_uint(p, v->width);
    p = vod_text_cpy(p, ",\"height\":");
    p = vod_text_uint(p, v->height);

    if (v->fps_num != 0 && v->fps_den != 0) {
        /* to the millisecond: 29.97, 23.976, 25 */
        fps = ((uint64_t) v->fps_num * 1000 + v->fps_den / 2) / v->fps_den;
        p = vod_text_cpy(p, ",\"frame_rate\":");
        p = vod_text_ms(p, fps);
    }

    p = vod_text_cpy(p, ",\"bitrate\":");
    p = vod_text_uint(p, v->avg_bitrate);
    p = vod_text_cpy(p, ",\"peak_bitrate\":");
    p = vod_text_uint(p, v->peak_bitrate);

    /* SDR, PQ or HLG, as VIDEO-RANGE says it */
    range = vod_hdr_range_name(vod_hdr_track_range(v));
    p = vod_text_cpy(p, ",\"video_range\":");
    p = vod_tracks_str(p, (const u_char *) range, strlen(range));
    *p++ = '}';

    return p;
}


static u_char *
vod_tracks_audio(u_char *p, const vod_audio_t *a, int is_default)
{
    size_t  n;

    p = vod_text_cpy(p, "{\"id\":\"");

    /* the rendition of its playlist: audio-{id} or audio{T}-{id} */
    p = vod_text_cpy(p, "audio");

    if (a->url_id != 0) {
        p = vod_text_uint(p, a->url_id);
    }

    *p++ = '-';
    p = vod_text_cpymem(p, a->source->id.data, a->source->id.len);
    *p++ = '"';

    p = vod_tracks_codecs(p, a->track);

    n = vod_text_field_len(a->lang, sizeof(a->lang));
    p = vod_text_cpy(p, ",\"language\":");
    p = vod_tracks_str(p, (const u_char *) a->lang, n);

    n = vod_text_field_len(a->name, sizeof(a->name));
    p = vod_text_cpy(p, ",\"name\":");
    p = vod_tracks_str(p, (const u_char *) a->name, n);

    /* title.json's, when it gave them: [A-Za-z0-9.,-] as checked there */

    if (a->characteristics.len != 0) {
        p = vod_text_cpy(p, ",\"characteristics\":\"");
        p = vod_text_cpymem(p, a->characteristics.data,
                            a->characteristics.len);
        *p++ = '"';
    }

    p = vod_text_cpy(p, ",\"channels\":");
    p = vod_text_uint(p, a->track->channels);
    p = vod_text_cpy(p, ",\"bitrate\":");
    p = vod_text_uint(p, a->track->avg_bitrate);

    p = vod_text_cpy(p, ",\"default\":");
    p = vod_tracks_bool(p, is_default);
    *p++ = '}';

    return p;
}


/* the rendition of sub-{id}.m3u8 (and of the MPD's sub-{id}-full.vtt) */

static u_char *
vod_tracks_sub(u_char *p, const vod_subtitle_t *s, int is_default)
{
    size_t  n;

    /* ids are URL segments (vod_title_id_valid()): nothing to escape */
    p = vod_text_cpy(p, "{\"id\":\"sub-");
    p = vod_text_cpymem(p, s->spec->id.data, s->spec->id.len);
    p = vod_text_cpy(p, "\",\"format\":\"webvtt\"");

    n = vod_text_field_len(s->lang, sizeof(s->lang));
    p = vod_text_cpy(p, ",\"language\":");
    p = vod_tracks_str(p, (const u_char *) s->lang, n);

    n = vod_text_field_len(s->name, sizeof(s->name));
    p = vod_text_cpy(p, ",\"name\":");
    p = vod_tracks_str(p, (const u_char *) s->name, n);

    p = vod_text_cpy(p, ",\"forced\":");
    p = vod_tracks_bool(p, s->spec->forced);
    p = vod_text_cpy(p, ",\"sdh\":");
    p = vod_tracks_bool(p, s->spec->sdh);
    p = vod_text_cpy(p, ",\"default\":");
    p = vod_tracks_bool(p, is_default);
    *p++ = '}';

    return p;
}


static u_char *
vod_tracks_bool(u_char *p, int value)
{
    return value ? vod_text_cpy(p, "true") : vod_text_cpy(p, "false");
}


/* ,"format":"h264","codecs":"avc1.64001f" */

static u_char *
vod_tracks_codecs(u_char *p, const vod_track_info_t *track)
{
    size_t       n;
    const char  *format;

    format = vod_tracks_format(track);

    p = vod_text_cpy(p, ",\"format\":");
    p = vod_tracks_str(p, (const u_char *) format, strlen(format));

    n = vod_text_field_len(track->codec_str, sizeof(track->codec_str));
    p = vod_text_cpy(p, ",\"codecs\":");

    return vod_tracks_str(p, (const u_char *) track->codec_str, n);
}


/* a player-neutral format name from the codec string's sample entry
 * type, so that a codec the packager learns needs no change here */

static const char *
vod_tracks_format(const vod_track_info_t *track)
{
    size_t  i;

    static const struct {
        char         fourcc[5];
        const char  *name;
    } formats[] = {
        { "avc1", "h264" }, { "avc3", "h264" },
        { "hvc1", "hevc" }, { "hev1", "hevc" },
        { "dvh1", "dolby-vision" }, { "dvhe", "dolby-vision" },
        { "av01", "av1" },
        { "mp4a", "aac" },
        { "ac-3", "ac-3" }, { "ec-3", "e-ac-3" },
        { "Opus", "opus" }, { "opus", "opus" }, { "fLaC", "flac" }
    };

    for (i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
        if (strncmp(track->codec_str, formats[i].fourcc, 4) == 0) {
            return formats[i].name;
        }
    }

    return (track->type == VOD_TRACK_VIDEO) ? "video" : "audio";
}


/* a JSON string; at most 6 bytes out per byte in */

static u_char *
vod_tracks_str(u_char *p, const u_char *s, size_t len)
{
    size_t  i;

    static const char  hex[] = "0123456789abcdef";

    *p++ = '"';

    for (i = 0; i < len; i++) {
        if (s[i] == '"' || s[i] == '\\') {
            *p++ = '\\';
            *p++ = s[i];

        } else if (s[i] < 0x20 || s[i] == 0x7f) {
            p = vod_text_cpy(p, "\\u00");
            *p++ = hex[s[i] >> 4];
            *p++ = hex[s[i] & 0xf];

        } else {
            *p++ = s[i];
        }
    }

    *p++ = '"';

    return p;
}
