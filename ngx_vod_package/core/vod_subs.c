/*
 * vod_subs.c: subtitle renditions: sidecar names, language tags, display
 * names, and their lines in the manifests (see vod_subs.h).
 */

#include <stdio.h>

#include "vod_subs.h"
#include "vod_manifest.h"
#include "vod_lang.h"
#include "vod_text.h"
#include "vod_title.h"
#include "vod_ts.h"


#define VOD_SUBS_GROUP  "subs"

/* vod_ts.c shifts every timestamp by 10 s */
#define VOD_SUBS_TS_MPEGTS  900000

#define VOD_SUBS_MEDIA_LEN                                                   \
    (sizeof("#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\"" VOD_SUBS_GROUP "\","   \
            "NAME=\"\",LANGUAGE=\"\",DEFAULT=YES,AUTOSELECT=YES,FORCED=YES," \
            "CHARACTERISTICS=\"public.accessibility.transcribes-spoken-"     \
            "dialog,public.accessibility.describes-music-and-sound\","       \
            "URI=\"subts-.m3u8\"\n")                                         \
     + VOD_SUB_NAME_LEN + VOD_SUB_LANG_LEN + VOD_MAX_ID_LEN)

#define VOD_SUBS_SET_LEN                                                     \
    (sizeof("    <AdaptationSet id=\"\" contentType=\"text\" "               \
            "mimeType=\"text/vtt\" lang=\"\">\n"                             \
            "      <Role schemeIdUri=\"urn:mpeg:dash:role:2011\" "           \
            "value=\"forced-subtitle\"/>\n"                                  \
            "      <Label></Label>\n"                                        \
            "      <Representation id=\"sub-\" bandwidth=\"256\">\n"         \
            "        <BaseURL>sub--full.vtt</BaseURL>\n"                     \
            "      </Representation>\n"                                      \
            "    </AdaptationSet>\n")                                        \
     + VOD_TEXT_UINT_LEN + VOD_SUB_LANG_LEN + 6 * VOD_SUB_NAME_LEN            \
     + 2 * VOD_MAX_ID_LEN)


static int vod_subs_word(const u_char *p, size_t len, const char *word);
static u_char *vod_subs_media(u_char *p, const vod_subtitle_t *s,
    unsigned is_default, unsigned ts);


int
vod_subs_from_file(const vod_str_t *file, vod_subtitle_spec_t *spec)
{
    size_t         len, dot;
    const u_char  *p;
    char           lang[VOD_SUB_LANG_LEN];

    memset(spec, 0, sizeof(vod_subtitle_spec_t));

    p = file->data;
    len = file->len;

    if (len <= 4 || p[0] == '.') {
        return VOD_NOT_FOUND;
    }

    if (memcmp(p + len - 4, ".vtt", 4) == 0) {
        spec->srt = 0;

    } else if (memcmp(p + len - 4, ".srt", 4) == 0) {
        spec->srt = 1;

    } else {
        return VOD_NOT_FOUND;
    }

    len -= 4;

    if (!vod_title_id_valid(p, len)) {
        return VOD_BAD_REQUEST;
    }

    spec->file = *file;
    spec->id.data = (u_char *) p;
    spec->id.len = len;

    /* from the end: .sdh and .forced, then the language */

    for ( ;; ) {
        for (dot = len; dot > 0 && p[dot - 1] != '.'; dot--) {
            /* void */
        }

        if (dot == 0) {
            break;
        }

        if (!spec->sdh && vod_subs_word(p + dot, len - dot, "sdh")) {
            spec->sdh = 1;

        } else if (!spec->forced
                   && vod_subs_word(p + dot, len - dot, "forced"))
        {
            spec->forced = 1;

        } else {
            break;
        }

        len = dot - 1;
    }

    for (dot = len; dot > 0 && p[dot - 1] != '.'; dot--) {
        /* void */
    }

    if (vod_subs_lang(p + dot, len - dot, lang)) {
        spec->lang.data = (u_char *) p + dot;
        spec->lang.len = len - dot;
    }

    return VOD_OK;
}


static int
vod_subs_word(const u_char *p, size_t len, const char *word)
{
    return len == strlen(word) && memcmp(p, word, len) == 0;
}


int
vod_subs_lang(const u_char *s, size_t len, char out[VOD_SUB_LANG_LEN])
{
    u_char  c;
    char    code[4], tag[VOD_LANG_LEN];
    size_t  i, n, k, o;

    for (n = 0; n < len && s[n] != '-'; n++) {
        /* void */
    }

    if (n < 2 || n > 3) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        c = s[i] | 0x20;

        if (c < 'a' || c > 'z') {
            return 0;
        }

        code[i] = (char) c;
    }

    code[n] = '\0';

    vod_lang_bcp47(code, n, tag);

    if (strcmp(tag, "und") == 0 && strcmp(code, "und") != 0) {
        /* a code ISO 639 does not have */
        return 0;
    }

    o = strlen(tag);
    memcpy(out, tag, o);

    /* subtags */

    for (i = n; i < len; i += k) {
        i++;                                    /* the '-' */

        for (k = 0; i + k < len && s[i + k] != '-'; k++) {
            c = s[i + k];

            if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z')
                  || (c >= 'A' && c <= 'Z')))
            {
                return 0;
            }
        }

        if (k == 0 || k > 8 || o + 1 + k >= VOD_SUB_LANG_LEN) {
            return 0;
        }

        out[o++] = '-';

        for (n = 0; n < k; n++) {
            c = s[i + n];

            if (c >= 'A' && c <= 'Z') {
                c |= 0x20;
            }

            if ((k == 2 || (k == 4 && n == 0)) && c >= 'a' && c <= 'z') {
                /* a region (GB), a script's first letter (Hant) */
                c &= ~0x20;
            }

            out[o++] = (char) c;
        }
    }

    out[o] = '\0';

    return 1;
}


int
vod_subs_add(vod_subs_t *subs, const vod_subtitle_spec_t *spec)
{
    int              n;
    char             base[VOD_SUB_NAME_LEN], prim[VOD_LANG_LEN];
    size_t           k;
    uint32_t         i, dup;
    const char      *lang, *rest;
    vod_subtitle_t  *s;

    if (subs->count == VOD_MAX_SUBTITLES) {
        return 0;
    }

    s = &subs->items[subs->count];
    s->spec = spec;

    if (!vod_subs_lang(spec->lang.data, spec->lang.len, s->lang)) {
        memcpy(s->lang, "und", sizeof("und"));
    }

    if (spec->name.len != 0) {
        n = snprintf(base, sizeof(base), "%.*s",
                     (int) (spec->name.len < VOD_SUB_NAME_LEN - 8
                            ? spec->name.len : VOD_SUB_NAME_LEN - 8),
                     spec->name.data);

    } else {
        for (k = 0; s->lang[k] != '\0' && s->lang[k] != '-'; k++) {
            prim[k] = s->lang[k];
        }

        prim[k] = '\0';
        rest = (s->lang[k] == '-') ? &s->lang[k + 1] : NULL;

        lang = vod_lang_name(prim);

        if (lang == NULL) {
            lang = (strcmp(prim, "und") == 0) ? "Subtitles" : prim;
        }

        n = snprintf(base, sizeof(base), "%.24s%s%.12s%s%s%s", lang,
                     rest != NULL ? " (" : "", rest != NULL ? rest : "",
                     rest != NULL ? ")" : "", spec->sdh ? " SDH" : "",
                     spec->forced ? " (forced)" : "");
    }

    if (n < 0) {
        base[0] = '\0';
    }

    memcpy(s->name, base, sizeof(base));

    for (dup = 2; dup <= VOD_MAX_SUBTITLES + 1; dup++) {

        for (i = 0; i < subs->count; i++) {
            if (strcmp(subs->items[i].name, s->name) == 0) {
                break;
            }
        }

        if (i == subs->count) {
            break;
        }

        (void) snprintf(s->name, sizeof(s->name), "%.50s (%u)", base, dup);
    }

    subs->count++;

    return 1;
}


int
vod_subs_hls_master(vod_env_t *env, const u_char *in, size_t len,
    const vod_subs_t *subs, unsigned ts, u_char **out, size_t *out_len)
{
    u_char         *buf, *p;
    size_t          n, variants;
    uint32_t        i, def;
    unsigned        added;
    const u_char   *line, *end, *nl;

    static const char  tag[] = "#EXT-X-STREAM-INF:";

    variants = 0;
    end = in + len;

    for (line = in; line < end; line = nl + 1) {
        nl = memchr(line, '\n', end - line);
        if (nl == NULL) {
            return VOD_ERROR;
        }

        if ((size_t) (nl - line) >= sizeof(tag) - 1
            && memcmp(line, tag, sizeof(tag) - 1) == 0)
        {
            variants++;
        }
    }

    if (subs->count == 0 || variants == 0) {
        *out = (u_char *) in;
        *out_len = len;
        return VOD_OK;
    }

    n = len + subs->count * VOD_SUBS_MEDIA_LEN
        + variants * sizeof(",SUBTITLES=\"" VOD_SUBS_GROUP "\"");

    buf = env->alloc(env, n);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    def = vod_subs_default(subs);
    added = 0;
    p = buf;

    for (line = in; line < end; line = nl + 1) {
        nl = memchr(line, '\n', end - line);

        if ((size_t) (nl - line) < sizeof(tag) - 1
            || memcmp(line, tag, sizeof(tag) - 1) != 0)
        {
            p = vod_text_cpymem(p, line, (size_t) (nl + 1 - line));
            continue;
        }

        if (!added) {
            for (i = 0; i < subs->count; i++) {
                p = vod_subs_media(p, &subs->items[i], i == def, ts);
            }

            added = 1;
        }

        p = vod_text_cpymem(p, line, (size_t) (nl - line));
        p = vod_text_cpy(p, ",SUBTITLES=\"" VOD_SUBS_GROUP "\"\n");

        /* the variant's URI line */
        if (nl + 1 < end) {
            line = nl + 1;
            nl = memchr(line, '\n', end - line);
            p = vod_text_cpymem(p, line, (size_t) (nl + 1 - line));
        }
    }

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


/* subtitles are not shown unless title.json or the viewer asks for them */

uint32_t
vod_subs_default(const vod_subs_t *subs)
{
    uint32_t  i;

    for (i = 0; i < subs->count; i++) {
        if (subs->items[i].spec->is_default) {
            return i;
        }
    }

    return VOD_MAX_SUBTITLES;
}


static u_char *
vod_subs_media(u_char *p, const vod_subtitle_t *s, unsigned is_default,
    unsigned ts)
{
    p = vod_text_cpy(p, "#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID=\""
                        VOD_SUBS_GROUP "\",NAME=\"");
    p = vod_text_cpymem(p, s->name, strlen(s->name));
    *p++ = '"';

    if (strcmp(s->lang, "und") != 0) {
        p = vod_text_cpy(p, ",LANGUAGE=\"");
        p = vod_text_cpymem(p, s->lang, strlen(s->lang));
        *p++ = '"';
    }

    if (is_default) {
        p = vod_text_cpy(p, ",DEFAULT=YES");

    } else {
        p = vod_text_cpy(p, ",DEFAULT=NO");
    }

    p = vod_text_cpy(p, ",AUTOSELECT=YES");

    if (s->spec->forced) {
        p = vod_text_cpy(p, ",FORCED=YES");

    } else {
        p = vod_text_cpy(p, ",FORCED=NO");
    }

    if (s->spec->sdh) {
        p = vod_text_cpy(p, ",CHARACTERISTICS=\""
                            "public.accessibility.transcribes-spoken-dialog,"
                            "public.accessibility.describes-music-and-sound"
                            "\"");
    }

    p = ts ? vod_text_cpy(p, ",URI=\"subts-")
           : vod_text_cpy(p, ",URI=\"sub-");
    p = vod_text_cpymem(p, s->spec->id.data, s->spec->id.len);

    return vod_text_cpy(p, ".m3u8\"\n");
}


int
vod_subs_segment_span(const vod_track_info_t *grid, uint32_t n,
    uint64_t *from, uint64_t *to)
{
    if (grid->timescale == 0 || grid->seg_time == NULL
        || n >= grid->segment_count)
    {
        return VOD_NOT_FOUND;
    }

    *from = vod_text_to_ms(grid->seg_time[n], grid->timescale);
    *to = vod_text_to_ms(grid->seg_time[n + 1], grid->timescale);

    if (n + 1 == grid->segment_count) {
        /* the last: a cue past the media's end still shows from it */
        *to = (uint64_t) -1;
    }

    return (*from <= *to) ? VOD_OK : VOD_NOT_FOUND;
}


uint64_t
vod_subs_mpegts(unsigned ts)
{
    return ts ? VOD_SUBS_TS_MPEGTS : 0;
}


int
vod_subs_hls_media(vod_env_t *env, const vod_str_t *id, unsigned ts,
    const vod_track_info_t *grid, u_char **out, size_t *len)
{
    u_char    *buf, *p;
    size_t     size;
    uint32_t   i;
    uint64_t   ms, max_ms, target;

    if (grid->timescale == 0 || grid->seg_time == NULL
        || grid->segment_count == 0)
    {
        return VOD_UNSUPPORTED;
    }

    max_ms = 0;

    for (i = 0; i < grid->segment_count; i++) {
        if (grid->seg_time[i + 1] < grid->seg_time[i]) {
            return VOD_BAD_DATA;
        }

        ms = vod_text_to_ms(grid->seg_time[i + 1] - grid->seg_time[i],
                            grid->timescale);
        if (ms > max_ms) {
            max_ms = ms;
        }
    }

    /* as vod_hls_media(): EXTINF rounded is at most the target */
    target = (max_ms + 500) / 1000;

    if (target == 0) {
        target = 1;
    }

    size = sizeof("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:\n"
                  "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                  "#EXT-X-ENDLIST\n")
           + VOD_TEXT_UINT_LEN
           + (size_t) grid->segment_count
             * (sizeof("#EXTINF:,\nsubts--.vtt\n") + VOD_TEXT_MS_LEN
                + VOD_TEXT_UINT_LEN + id->len);

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "#EXTM3U\n");
    p = ts ? vod_text_cpy(p, "#EXT-X-VERSION:3\n")
           : vod_text_cpy(p, "#EXT-X-VERSION:7\n");
    p = vod_text_cpy(p, "#EXT-X-TARGETDURATION:");
    p = vod_text_uint(p, target);
    p = vod_text_cpy(p, "\n#EXT-X-MEDIA-SEQUENCE:0\n"
                        "#EXT-X-PLAYLIST-TYPE:VOD\n");

    for (i = 0; i < grid->segment_count; i++) {
        p = vod_text_cpy(p, "#EXTINF:");
        p = vod_text_ms(p, vod_text_to_ms(grid->seg_time[i + 1]
                                          - grid->seg_time[i],
                                          grid->timescale));
        p = ts ? vod_text_cpy(p, ",\nsubts-") : vod_text_cpy(p, ",\nsub-");
        p = vod_text_cpymem(p, id->data, id->len);
        *p++ = '-';
        p = vod_text_uint(p, (uint64_t) i + 1);
        p = vod_text_cpy(p, ".vtt\n");
    }

    p = vod_text_cpy(p, "#EXT-X-ENDLIST\n");

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}


int
vod_subs_dash(vod_env_t *env, const u_char *in, size_t len,
    const vod_subs_t *subs, u_char **out, size_t *out_len)
{
    u_char                 *buf, *p;
    size_t                  n;
    uint32_t                i;
    uint64_t                id;
    const u_char           *period;
    const vod_subtitle_t   *s;

    static const char  tag[] = "  </Period>\n";

    if (subs->count == 0) {
        *out = (u_char *) in;
        *out_len = len;
        return VOD_OK;
    }

    for (period = in; period + sizeof(tag) - 1 <= in + len; period++) {
        if (memcmp(period, tag, sizeof(tag) - 1) == 0) {
            break;
        }
    }

    if (period + sizeof(tag) - 1 > in + len) {
        return VOD_ERROR;
    }

    id = vod_dash_next_set(in, len);

    n = len + subs->count * VOD_SUBS_SET_LEN;

    buf = env->alloc(env, n);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpymem(buf, in, (size_t) (period - in));

    for (i = 0; i < subs->count; i++) {
        s = &subs->items[i];

        p = vod_text_cpy(p, "    <AdaptationSet id=\"");
        p = vod_text_uint(p, id + i);
        p = vod_text_cpy(p, "\" contentType=\"text\" mimeType=\"text/vtt\"");

        if (strcmp(s->lang, "und") != 0) {
            p = vod_text_cpy(p, " lang=\"");
            p = vod_text_cpymem(p, s->lang, strlen(s->lang));
            *p++ = '"';
        }

        p = vod_text_cpy(p, ">\n      <Role schemeIdUri=\"urn:mpeg:dash:"
                            "role:2011\" value=\"");

        if (s->spec->forced) {
            p = vod_text_cpy(p, "forced-subtitle");

        } else if (s->spec->sdh) {
            p = vod_text_cpy(p, "caption");

        } else {
            p = vod_text_cpy(p, "subtitle");
        }

        p = vod_text_cpy(p, "\"/>\n      <Label>");
        p = vod_text_xml(p, (const u_char *) s->name, strlen(s->name));
        p = vod_text_cpy(p, "</Label>\n      <Representation id=\"sub-");
        p = vod_text_cpymem(p, s->spec->id.data, s->spec->id.len);
        p = vod_text_cpy(p, "\" bandwidth=\"256\">\n        <BaseURL>sub-");
        p = vod_text_cpymem(p, s->spec->id.data, s->spec->id.len);
        p = vod_text_cpy(p, "-full.vtt</BaseURL>\n"
                            "      </Representation>\n"
                            "    </AdaptationSet>\n");
    }

    p = vod_text_cpymem(p, period, (size_t) (in + len - period));

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}
