/*
 * vod_title.c: title.json, rendition ids and the audio renditions.
 */

#include <stdio.h>

#include "vod_title.h"
#include "vod_json.h"
#include "vod_codec.h"


#define VOD_TITLE_JSON_MAX    (1024 * 1024)
#define VOD_TITLE_MAX_DEPTH   16
#define VOD_TITLE_MAX_NODES   4096
#define VOD_TITLE_MAX_FILE    255


static int vod_title_fail(vod_env_t *env, const char *reason, size_t pos);
static int vod_title_file_valid(const u_char *p, size_t len);
static int vod_title_member(vod_env_t *env, vod_json_t *obj,
    const char *key, vod_str_t *value);
static int vod_title_known(vod_env_t *env, vod_json_t *obj,
    const char **names);
static int vod_title_audio_same(const char *alang,
    const vod_track_info_t *a, const char *blang, const vod_track_info_t *b);
static void vod_title_lang(const vod_track_info_t *t, char *lang);
static int vod_title_subtitles(vod_env_t *env, vod_json_t *root,
    vod_title_spec_t *spec);
static int vod_title_subtitle(vod_env_t *env, vod_json_t *item,
    vod_title_spec_t *spec);
static int vod_title_optional(vod_env_t *env, vod_json_t *obj,
    const char *key, uint32_t type, vod_json_t **value);
static int vod_title_flag(vod_env_t *env, vod_json_t *obj, const char *key,
    unsigned *flag);
static void vod_title_audio_group(vod_title_t *title, vod_audio_t *a);
static void vod_title_audio_name(vod_title_t *title, vod_audio_t *a);
static int vod_title_audio_specs(vod_env_t *env, vod_json_t *root,
    vod_title_spec_t *spec);
static int vod_title_audio_spec(vod_env_t *env, vod_json_t *item,
    vod_title_spec_t *spec);
static int vod_title_track_name(const vod_str_t *track, vod_str_t *id,
    uint32_t *track_id);
static int vod_title_characteristics(const vod_str_t *s);
static int vod_title_audio_names(vod_env_t *env, vod_title_t *title);


/* the members title.json may have: any other is refused, so that a
 * feature the packager lacks ("subtitles") is never silently ignored */
static const char  *vod_title_top_members[] = {
    "renditions", "subtitles", "audio", NULL
};
static const char  *vod_title_rendition_members[] = { "id", "file", NULL };
static const char  *vod_title_subtitle_members[] = {
    "id", "file", "language", "name", "forced", "sdh", "default", NULL
};
static const char  *vod_title_audio_members[] = {
    "track", "language", "name", "default", "characteristics", "exclude",
    NULL
};


int
vod_title_json_parse(vod_env_t *env, u_char *buf, size_t len,
    vod_title_spec_t *spec)
{
    int                    rc;
    uint32_t               i, n;
    vod_json_t            *root, *list, *item;
    vod_json_limits_t      limits;
    vod_rendition_spec_t  *r;

    spec->count = 0;

    if (len > VOD_TITLE_JSON_MAX) {
        return vod_title_fail(env, "file too large", VOD_TITLE_JSON_MAX);
    }

    limits.max_depth = VOD_TITLE_MAX_DEPTH;
    limits.max_nodes = VOD_TITLE_MAX_NODES;

    rc = vod_json_parse(env, buf, len, &limits, &root);

    if (rc == VOD_BAD_DATA) {
        return vod_title_fail(env, limits.err, limits.err_pos);
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (root->type != VOD_JSON_OBJECT) {
        return vod_title_fail(env, "top level is not an object", root->pos);
    }

    rc = vod_title_known(env, root, vod_title_top_members);
    if (rc != VOD_OK) {
        return rc;
    }

    n = vod_json_key_count(root, "renditions");

    if (n == 0) {
        return vod_title_fail(env, "no \"renditions\"", root->pos);
    }

    list = vod_json_get(root, "renditions");

    if (n > 1) {
        return vod_title_fail(env, "duplicate \"renditions\"", list->pos);
    }

    if (list->type != VOD_JSON_ARRAY) {
        return vod_title_fail(env, "\"renditions\" is not an array",
                              list->pos);
    }

    if (list->count == 0) {
        return vod_title_fail(env, "\"renditions\" is empty", list->pos);
    }

    if (list->count > VOD_MAX_RENDITIONS) {
        return vod_title_fail(env, "too many renditions", list->pos);
    }

    for (item = list->child; item != NULL; item = item->next) {

        if (item->type != VOD_JSON_OBJECT) {
            return vod_title_fail(env, "rendition is not an object",
                                  item->pos);
        }

        rc = vod_title_known(env, item, vod_title_rendition_members);
        if (rc != VOD_OK) {
            return rc;
        }

        r = &spec->renditions[spec->count];

        rc = vod_title_member(env, item, "id", &r->id);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_title_member(env, item, "file", &r->file);
        if (rc != VOD_OK) {
            return rc;
        }

        if (!vod_title_id_valid(r->id.data, r->id.len)) {
            return vod_title_fail(env, "bad rendition id",
                                  vod_json_get(item, "id")->pos);
        }

        if (!vod_title_file_valid(r->file.data, r->file.len)) {
            return vod_title_fail(env, "bad rendition file name",
                                  vod_json_get(item, "file")->pos);
        }

        for (i = 0; i < spec->count; i++) {
            if (spec->renditions[i].id.len == r->id.len
                && memcmp(spec->renditions[i].id.data, r->id.data,
                          r->id.len) == 0)
            {
                return vod_title_fail(env, "duplicate rendition id",
                                      vod_json_get(item, "id")->pos);
            }
        }

        spec->count++;
    }

    rc = vod_title_subtitles(env, root, spec);
    if (rc != VOD_OK) {
        return rc;
    }

    return vod_title_audio_specs(env, root, spec);
}


/* "audio": an array of audio overrides, optional; it needs the
 * renditions, which its tracks name */

static int
vod_title_audio_specs(vod_env_t *env, vod_json_t *root,
    vod_title_spec_t *spec)
{
    int          rc;
    uint32_t     k, defaults;
    vod_json_t  *list, *item;

    spec->audio_count = 0;

    rc = vod_title_optional(env, root, "audio", VOD_JSON_ARRAY, &list);
    if (rc != VOD_OK || list == NULL) {
        return rc;
    }

    if (list->count > VOD_MAX_AUDIO) {
        return vod_title_fail(env, "too many \"audio\" entries", list->pos);
    }

    defaults = 0;

    for (item = list->child; item != NULL; item = item->next) {

        if (item->type != VOD_JSON_OBJECT) {
            return vod_title_fail(env, "audio entry is not an object",
                                  item->pos);
        }

        rc = vod_title_audio_spec(env, item, spec);
        if (rc != VOD_OK) {
            return rc;
        }

        k = spec->audio_count - 1;

        if (spec->audio[k].is_default == 1 && defaults++ != 0) {
            return vod_title_fail(env, "a second audio \"default\": true",
                                  vod_json_get(item, "default")->pos);
        }
    }

    return VOD_OK;
}


static int
vod_title_audio_spec(vod_env_t *env, vod_json_t *item,
    vod_title_spec_t *spec)
{
    int                rc;
    size_t             i;
    uint32_t           k;
    unsigned           flag;
    vod_json_t        *m;
    vod_audio_spec_t  *a;

    rc = vod_title_known(env, item, vod_title_audio_members);
    if (rc != VOD_OK) {
        return rc;
    }

    a = &spec->audio[spec->audio_count];
    memset(a, 0, sizeof(vod_audio_spec_t));

    rc = vod_title_optional(env, item, "track", VOD_JSON_STRING, &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m == NULL) {
        return vod_title_fail(env, "audio entry without \"track\"",
                              item->pos);
    }

    a->track = m->str;

    if (vod_title_track_name(&a->track, &a->id, &a->track_id) != VOD_OK) {
        return vod_title_fail(env, "audio \"track\" is not audio-{id} or "
                              "audio{T}-{id}", m->pos);
    }

    for (k = 0; k < spec->count; k++) {
        if (spec->renditions[k].id.len == a->id.len
            && memcmp(spec->renditions[k].id.data, a->id.data, a->id.len)
               == 0)
        {
            break;
        }
    }

    if (k == spec->count) {
        return vod_title_fail(env, "audio \"track\" of a rendition id "
                              "\"renditions\" does not have", m->pos);
    }

    for (k = 0; k < spec->audio_count; k++) {
        if (spec->audio[k].track.len == a->track.len
            && memcmp(spec->audio[k].track.data, a->track.data,
                      a->track.len) == 0)
        {
            return vod_title_fail(env, "a second audio entry for one "
                                  "\"track\"", m->pos);
        }
    }

    if (vod_title_flag(env, item, "exclude", &flag) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    a->exclude = (flag == 1);

    if (a->exclude && item->count != 2) {
        /* nothing else it says could be shown */
        return vod_title_fail(env, "an excluded audio track with other "
                              "members", item->pos);
    }

    rc = vod_title_optional(env, item, "language", VOD_JSON_STRING, &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m != NULL && !vod_subs_lang(m->str.data, m->str.len, a->lang)) {
        return vod_title_fail(env, "bad audio language tag", m->pos);
    }

    rc = vod_title_optional(env, item, "name", VOD_JSON_STRING, &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m != NULL) {
        /* it goes between quotes in the playlist as it is */

        if (m->str.len == 0 || m->str.len >= VOD_AUDIO_NAME_LEN) {
            return vod_title_fail(env, "audio name empty or too long",
                                  m->pos);
        }

        for (i = 0; i < m->str.len; i++) {
            if (m->str.data[i] < 0x20 || m->str.data[i] == 0x7f
                || m->str.data[i] == '"')
            {
                return vod_title_fail(env, "audio name with a quote or a "
                                      "control character", m->pos);
            }
        }

        a->name = m->str;
    }

    rc = vod_title_optional(env, item, "characteristics", VOD_JSON_STRING,
                            &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m != NULL) {
        if (!vod_title_characteristics(&m->str)) {
            return vod_title_fail(env, "bad audio characteristics", m->pos);
        }

        a->characteristics = m->str;
    }

    if (vod_title_flag(env, item, "default", &flag) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    a->is_default = flag;

    spec->audio_count++;

    return VOD_OK;
}


/* "audio-{id}" or "audio{T}-{id}", T from 1 without leading zeros */

static int
vod_title_track_name(const vod_str_t *track, vod_str_t *id,
    uint32_t *track_id)
{
    size_t    i;
    uint64_t  t;

    if (track->len < sizeof("audio-") || memcmp(track->data, "audio", 5)
                                         != 0)
    {
        return VOD_BAD_DATA;
    }

    t = 0;

    for (i = 5; i < track->len && track->data[i] != '-'; i++) {
        if (track->data[i] < '0' || track->data[i] > '9'
            || (i == 5 && track->data[i] == '0'))
        {
            return VOD_BAD_DATA;
        }

        t = t * 10 + (track->data[i] - '0');

        if (t > 0xffffffff) {
            return VOD_BAD_DATA;
        }
    }

    if (i + 1 >= track->len) {
        return VOD_BAD_DATA;
    }

    id->data = track->data + i + 1;
    id->len = track->len - i - 1;
    *track_id = (uint32_t) t;

    return VOD_OK;
}


/* HLS CHARACTERISTICS: UTIs ("public.accessibility.describes-video")
 * separated by commas, nothing that needs quoting */

static int
vod_title_characteristics(const vod_str_t *s)
{
    u_char  c, prev;
    size_t  i;

    if (s->len == 0 || s->len > VOD_AUDIO_CHAR_LEN) {
        return 0;
    }

    prev = ',';

    for (i = 0; i < s->len; i++) {
        c = s->data[i];

        if (c == ',' || c == '.') {
            if (prev == ',' || prev == '.') {
                return 0;
            }

        } else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                     || (c >= '0' && c <= '9') || c == '-'))
        {
            return 0;
        }

        prev = c;
    }

    return prev != ',' && prev != '.';
}


/* "subtitles": an array of subtitle objects, optional */

static int
vod_title_subtitles(vod_env_t *env, vod_json_t *root, vod_title_spec_t *spec)
{
    int          rc;
    vod_json_t  *list, *item;

    spec->subtitle_count = 0;

    rc = vod_title_optional(env, root, "subtitles", VOD_JSON_ARRAY, &list);
    if (rc != VOD_OK || list == NULL) {
        return rc;
    }

    if (list->count > VOD_MAX_SUBTITLES) {
        return vod_title_fail(env, "too many subtitles", list->pos);
    }

    for (item = list->child; item != NULL; item = item->next) {

        if (item->type != VOD_JSON_OBJECT) {
            return vod_title_fail(env, "subtitle is not an object",
                                  item->pos);
        }

        rc = vod_title_subtitle(env, item, spec);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    return VOD_OK;
}


static int
vod_title_subtitle(vod_env_t *env, vod_json_t *item, vod_title_spec_t *spec)
{
    int                   rc;
    char                  lang[VOD_SUB_LANG_LEN];
    size_t                i;
    uint32_t              k;
    vod_str_t             file;
    vod_json_t           *m;
    vod_subtitle_spec_t  *s;

    rc = vod_title_known(env, item, vod_title_subtitle_members);
    if (rc != VOD_OK) {
        return rc;
    }

    s = &spec->subtitles[spec->subtitle_count];

    rc = vod_title_member(env, item, "file", &file);
    if (rc != VOD_OK) {
        return rc;
    }

    m = vod_json_get(item, "file");

    if (!vod_title_file_valid(file.data, file.len)) {
        return vod_title_fail(env, "bad subtitle file name", m->pos);
    }

    rc = vod_subs_from_file(&file, s);

    if (rc == VOD_NOT_FOUND) {
        return vod_title_fail(env, "subtitle file is not .vtt or .srt",
                              m->pos);
    }

    if (rc != VOD_OK && vod_json_get(item, "id") == NULL) {
        return vod_title_fail(env, "subtitle file name is not a valid id, "
                              "and no \"id\"", m->pos);
    }

    s->file = file;

    rc = vod_title_optional(env, item, "id", VOD_JSON_STRING, &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m != NULL) {
        if (!vod_title_id_valid(m->str.data, m->str.len)) {
            return vod_title_fail(env, "bad subtitle id", m->pos);
        }

        s->id = m->str;
    }

    for (k = 0; k < spec->subtitle_count; k++) {
        if (spec->subtitles[k].id.len == s->id.len
            && memcmp(spec->subtitles[k].id.data, s->id.data, s->id.len)
               == 0)
        {
            return vod_title_fail(env, "duplicate subtitle id", item->pos);
        }
    }

    rc = vod_title_optional(env, item, "language", VOD_JSON_STRING, &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m != NULL) {
        if (!vod_subs_lang(m->str.data, m->str.len, lang)) {
            return vod_title_fail(env, "bad subtitle language tag", m->pos);
        }

        s->lang = m->str;
    }

    rc = vod_title_optional(env, item, "name", VOD_JSON_STRING, &m);
    if (rc != VOD_OK) {
        return rc;
    }

    if (m != NULL) {
        /* it goes between quotes in the playlist as it is */

        if (m->str.len == 0 || m->str.len > VOD_SUB_NAME_LEN - 8) {
            return vod_title_fail(env, "subtitle name empty or too long",
                                  m->pos);
        }

        for (i = 0; i < m->str.len; i++) {
            if (m->str.data[i] < 0x20 || m->str.data[i] == 0x7f
                || m->str.data[i] == '"')
            {
                return vod_title_fail(env, "subtitle name with a quote or "
                                      "a control character", m->pos);
            }
        }

        s->name = m->str;
    }

    if (vod_title_flag(env, item, "forced", &k) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    s->forced = (k == 2) ? s->forced : k;

    if (vod_title_flag(env, item, "sdh", &k) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    s->sdh = (k == 2) ? s->sdh : k;

    if (vod_title_flag(env, item, "default", &k) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    s->is_default = (k == 1);

    spec->subtitle_count++;

    return VOD_OK;
}


/* an optional member of that type: *value NULL when absent */

static int
vod_title_optional(vod_env_t *env, vod_json_t *obj, const char *key,
    uint32_t type, vod_json_t **value)
{
    uint32_t     n;
    vod_json_t  *m;

    *value = NULL;

    n = vod_json_key_count(obj, key);

    if (n == 0) {
        return VOD_OK;
    }

    m = vod_json_get(obj, key);

    if (n > 1) {
        env->log(env, "title.json: duplicate \"%s\" at byte %zu",
                 key, m->pos);
        return VOD_BAD_DATA;
    }

    if (m->type != type) {
        env->log(env, "title.json: \"%s\" is %s, not %s at byte %zu",
                 key, vod_json_type_name(m->type), vod_json_type_name(type),
                 m->pos);
        return VOD_BAD_DATA;
    }

    *value = m;

    return VOD_OK;
}


/* a true or false member: *flag 1 or 0, 2 when absent */

static int
vod_title_flag(vod_env_t *env, vod_json_t *obj, const char *key,
    unsigned *flag)
{
    uint32_t     n;
    vod_json_t  *m;

    *flag = 2;

    n = vod_json_key_count(obj, key);

    if (n == 0) {
        return VOD_OK;
    }

    m = vod_json_get(obj, key);

    if (n > 1 || (m->type != VOD_JSON_TRUE && m->type != VOD_JSON_FALSE)) {
        env->log(env, "title.json: \"%s\" is not one true or false at "
                 "byte %zu", key, m->pos);
        return VOD_BAD_DATA;
    }

    *flag = (m->type == VOD_JSON_TRUE);

    return VOD_OK;
}


int
vod_title_id_from_file(const vod_str_t *file, vod_str_t *id)
{
    size_t  len;

    len = file->len;

    while (len > 0 && file->data[len - 1] != '.') {
        len--;
    }

    if (len == 0) {
        /* no extension: the whole name */
        len = file->len;

    } else {
        len--;
    }

    if (!vod_title_id_valid(file->data, len)) {
        return VOD_BAD_REQUEST;
    }

    id->data = file->data;
    id->len = len;

    return VOD_OK;
}


void
vod_title_pick_audio(vod_title_t *title)
{
    char               lang[VOD_LANG_LEN], other[VOD_LANG_LEN];
    uint32_t           i, j, k, n, seen, earlier;
    vod_audio_t       *a;
    vod_rendition_t   *r;
    vod_track_info_t  *t, *one[1];
    vod_track_info_t **tracks;

    title->audio_count = 0;
    title->group_count = 0;

    for (i = 0; i < title->count; i++) {
        r = &title->renditions[i];

        if (r->audios != NULL && r->audio_count != 0) {
            tracks = r->audios;
            n = r->audio_count;

        } else if (r->audio != NULL) {
            one[0] = r->audio;
            tracks = one;
            n = 1;

        } else {
            continue;
        }

        for (j = 0; j < n; j++) {
            t = tracks[j];
            vod_title_lang(t, lang);

            /* the j-th track like t in this file: a copy when earlier
             * files have more than j like it */

            seen = 0;

            for (k = 0; k < j; k++) {
                vod_title_lang(tracks[k], other);
                seen += vod_title_audio_same(other, tracks[k], lang, t);
            }

            earlier = 0;

            for (k = 0; k < title->audio_count; k++) {
                if (title->audio[k].source != r
                    && vod_title_audio_same(title->audio[k].lang,
                                            title->audio[k].track, lang, t))
                {
                    earlier++;
                }
            }

            if (seen < earlier || title->audio_count == VOD_MAX_AUDIO) {
                continue;
            }

            a = &title->audio[title->audio_count++];
            a->source = r;
            a->track = t;
            a->url_id = (j == 0) ? 0 : t->track_id;
            memcpy(a->lang, lang, VOD_LANG_LEN);
            a->characteristics.data = NULL;
            a->characteristics.len = 0;
            a->named = 0;
            vod_title_audio_group(title, a);
            vod_title_audio_name(title, a);
        }
    }
}


/* the same rendition: language (as BCP 47: "deu" is "ger"), codec
 * string, channel count and, for E-AC-3, Atmos or not (a 5.1 bed with
 * JOC objects is another mix than the plain 5.1) */

static int
vod_title_audio_same(const char *alang, const vod_track_info_t *a,
    const char *blang, const vod_track_info_t *b)
{
    return a->channels == b->channels
           && strcmp(alang, blang) == 0
           && strncmp(a->codec_str, b->codec_str, sizeof(a->codec_str))
              == 0
           && vod_codec_joc(a) == vod_codec_joc(b);
}


static void
vod_title_lang(const vod_track_info_t *t, char *lang)
{
    vod_lang_bcp47(t->lang, strnlen(t->lang, sizeof(t->lang)), lang);
}


static void
vod_title_audio_group(vod_title_t *title, vod_audio_t *a)
{
    uint32_t  k;

    for (k = 0; k + 1 < title->audio_count; k++) {
        if (strncmp(title->audio[k].track->codec_str, a->track->codec_str,
                    sizeof(a->track->codec_str))
            == 0)
        {
            a->group = title->audio[k].group;
            return;
        }
    }

    a->group = title->group_count++;
}


/* a rendition's name from its language and channels, made unique in its
 * group against the names the others have so far (an empty name is none
 * yet) */

static void
vod_title_audio_name(vod_title_t *title, vod_audio_t *a)
{
    int          n;
    char         base[VOD_AUDIO_NAME_LEN], lang[40], prim[VOD_SUB_LANG_LEN];
    size_t       len;
    uint32_t     k, c, dup;
    const char  *name, *rest;

    /* a tag title.json gave may have subtags: "Spanish (419)", as the
     * subtitles' names */

    len = strcspn(a->lang, "-");
    memcpy(prim, a->lang, len);
    prim[len] = '\0';
    rest = (a->lang[len] == '-') ? &a->lang[len + 1] : NULL;

    name = vod_lang_name(prim);

    if (name == NULL) {
        name = (strcmp(prim, "und") == 0) ? "audio" : prim;
    }

    if (rest != NULL) {
        (void) snprintf(lang, sizeof(lang), "%.24s (%.12s)", name, rest);

    } else {
        (void) snprintf(lang, sizeof(lang), "%.32s", name);
    }

    c = a->track->channels;

    if (vod_codec_joc(a->track) != 0) {
        n = snprintf(base, sizeof(base), "%.39s Atmos", lang);

    } else if (c <= 2) {
        n = snprintf(base, sizeof(base), "%.39s", lang);

    } else if (c == 6 || c == 8) {
        n = snprintf(base, sizeof(base), "%.39s %u.1", lang, c - 1);

    } else {
        n = snprintf(base, sizeof(base), "%.39s %u ch", lang, c);
    }

    if (n < 0) {
        base[0] = '\0';
    }

    memcpy(a->name, base, sizeof(base));

    for (dup = 2; dup <= VOD_MAX_AUDIO + 1; dup++) {

        for (k = 0; k < title->audio_count; k++) {
            if (&title->audio[k] != a && title->audio[k].group == a->group
                && strcmp(title->audio[k].name, a->name) == 0)
            {
                break;
            }
        }

        if (k == title->audio_count) {
            return;
        }

        (void) snprintf(a->name, sizeof(a->name), "%.32s (%u)", base, dup);
    }
}


int
vod_title_audio_apply(vod_env_t *env, vod_title_t *title,
    const vod_title_spec_t *spec)
{
    uint32_t                 i, k, n, def;
    vod_audio_t              tmp;
    const vod_audio_t       *a;
    const vod_audio_spec_t  *as, *which[VOD_MAX_AUDIO], *w;

    if (spec->audio_count == 0) {
        return VOD_OK;
    }

    for (i = 0; i < title->audio_count; i++) {
        which[i] = NULL;
    }

    for (k = 0; k < spec->audio_count; k++) {
        as = &spec->audio[k];

        for (i = 0; i < title->count; i++) {
            if (title->renditions[i].id.len == as->id.len
                && memcmp(title->renditions[i].id.data, as->id.data,
                          as->id.len) == 0)
            {
                break;
            }
        }

        if (i == title->count) {
            /* its file is left out of the title, with its own line */
            continue;
        }

        for (i = 0; i < title->audio_count; i++) {
            a = &title->audio[i];

            if (a->url_id == as->track_id
                && a->source->id.len == as->id.len
                && memcmp(a->source->id.data, as->id.data, as->id.len) == 0)
            {
                break;
            }
        }

        if (i == title->audio_count) {
            env->log(env, "title.json: \"audio\" names \"%.*s\", which is "
                     "no audio rendition of the title",
                     (int) as->track.len, as->track.data);
            return VOD_BAD_DATA;
        }

        which[i] = as;
    }

    /* the excluded leave; the default (marked true, else the first not
     * marked false) goes first */

    n = 0;
    def = VOD_MAX_AUDIO;

    for (i = 0; i < title->audio_count; i++) {
        w = which[i];

        if (w != NULL && w->exclude) {
            continue;
        }

        if (w != NULL && w->is_default == 1) {
            def = n;

        } else if (def == VOD_MAX_AUDIO && (w == NULL || w->is_default != 0))
        {
            def = n;
        }

        title->audio[n] = title->audio[i];
        which[n] = w;
        n++;
    }

    title->audio_excluded = (n != title->audio_count);
    title->audio_count = n;

    if (n == 0) {
        title->group_count = 0;
        return VOD_OK;
    }

    if (def == VOD_MAX_AUDIO) {
        env->log(env, "title.json: every audio rendition is marked "
                 "\"default\": false");
        return VOD_BAD_DATA;
    }

    if (def != 0) {
        tmp = title->audio[def];
        w = which[def];
        memmove(&title->audio[1], &title->audio[0],
                def * sizeof(vod_audio_t));
        memmove(&which[1], &which[0], def * sizeof(which[0]));
        title->audio[0] = tmp;
        which[0] = w;
    }

    /* the groups numbered again, by first appearance */

    title->group_count = 0;

    for (i = 0; i < n; i++) {
        for (k = 0; k < i; k++) {
            if (strncmp(title->audio[k].track->codec_str,
                        title->audio[i].track->codec_str,
                        sizeof(title->audio[i].track->codec_str))
                == 0)
            {
                break;
            }
        }

        title->audio[i].group = (k < i) ? title->audio[k].group
                                        : title->group_count++;
    }

    for (i = 0; i < n; i++) {
        w = which[i];

        title->audio[i].name[0] = '\0';
        title->audio[i].named = 0;

        if (w == NULL) {
            continue;
        }

        if (w->lang[0] != '\0') {
            memcpy(title->audio[i].lang, w->lang, VOD_SUB_LANG_LEN);
        }

        title->audio[i].characteristics = w->characteristics;

        if (w->name.len != 0) {
            memcpy(title->audio[i].name, w->name.data, w->name.len);
            title->audio[i].name[w->name.len] = '\0';
            title->audio[i].named = 1;
        }
    }

    return vod_title_audio_names(env, title);
}


/* the names title.json gave must differ within a group (HLS asks it of
 * NAME); the others are made as vod_title_pick_audio() makes them,
 * around those */

static int
vod_title_audio_names(vod_env_t *env, vod_title_t *title)
{
    uint32_t      i, k;
    vod_audio_t  *a;

    for (i = 0; i < title->audio_count; i++) {
        a = &title->audio[i];

        if (!a->named) {
            continue;
        }

        for (k = 0; k < i; k++) {
            if (title->audio[k].named && title->audio[k].group == a->group
                && strcmp(title->audio[k].name, a->name) == 0)
            {
                env->log(env, "title.json: two audio renditions of one "
                         "group named \"%s\"", a->name);
                return VOD_BAD_DATA;
            }
        }
    }

    for (i = 0; i < title->audio_count; i++) {
        a = &title->audio[i];

        if (!a->named) {
            vod_title_audio_name(title, a);
        }
    }

    return VOD_OK;
}


int
vod_title_audio_excluded(const vod_title_spec_t *spec, const vod_str_t *id,
    uint32_t track_id)
{
    uint32_t                 k;
    const vod_audio_spec_t  *as;

    for (k = 0; k < spec->audio_count; k++) {
        as = &spec->audio[k];

        if (as->exclude && as->track_id == track_id
            && as->id.len == id->len
            && memcmp(as->id.data, id->data, id->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


int
vod_title_id_valid(const u_char *p, size_t len)
{
    u_char  c;
    size_t  i;

    if (len == 0 || len > VOD_MAX_ID_LEN || p[0] == '.') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-')
        {
            continue;
        }

        return 0;
    }

    return 1;
}


static int
vod_title_fail(vod_env_t *env, const char *reason, size_t pos)
{
    env->log(env, "title.json: %s at byte %zu", reason, pos);

    return VOD_BAD_DATA;
}


/* a plain name inside the title directory: no '/', '\\', control bytes,
 * not "." or "..", not hidden */

static int
vod_title_file_valid(const u_char *p, size_t len)
{
    size_t  i;

    if (len == 0 || len > VOD_TITLE_MAX_FILE || p[0] == '.') {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (p[i] == '/' || p[i] == '\\' || p[i] < 0x20 || p[i] == 0x7f) {
            return 0;
        }
    }

    return 1;
}


static int
vod_title_known(vod_env_t *env, vod_json_t *obj, const char **names)
{
    size_t        i;
    const char  **name;
    vod_json_t   *m;

    for (m = obj->child; m != NULL; m = m->next) {

        for (name = names; *name != NULL; name++) {
            if (m->key.len == strlen(*name)
                && memcmp(m->key.data, *name, m->key.len) == 0)
            {
                break;
            }
        }

        if (*name != NULL) {
            continue;
        }

        /* the name goes into the log only when it is short and plain */

        for (i = 0; i < m->key.len && i <= 32; i++) {
            if (m->key.data[i] < 0x20 || m->key.data[i] >= 0x7f
                || m->key.data[i] == '"' || m->key.data[i] == '\\')
            {
                break;
            }
        }

        if (i == m->key.len) {
            env->log(env, "title.json: unknown member \"%.*s\" at byte %zu",
                     (int) m->key.len, m->key.data, m->pos);

        } else {
            env->log(env, "title.json: unknown member at byte %zu", m->pos);
        }

        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


static int
vod_title_member(vod_env_t *env, vod_json_t *obj, const char *key,
    vod_str_t *value)
{
    uint32_t     n;
    vod_json_t  *m;

    n = vod_json_key_count(obj, key);
    m = vod_json_get(obj, key);

    if (n == 0) {
        env->log(env, "title.json: rendition without \"%s\" at byte %zu",
                 key, obj->pos);
        return VOD_BAD_DATA;
    }

    if (n > 1) {
        env->log(env, "title.json: duplicate \"%s\" at byte %zu",
                 key, m->pos);
        return VOD_BAD_DATA;
    }

    if (m->type != VOD_JSON_STRING) {
        env->log(env, "title.json: \"%s\" is %s, not a string at byte %zu",
                 key, vod_json_type_name(m->type), m->pos);
        return VOD_BAD_DATA;
    }

    *value = m->str;

    return VOD_OK;
}


uint32_t
vod_title_limit(vod_title_t *title, uint32_t max_height,
    uint64_t max_bitrate)
{
    uint32_t           i, left;
    vod_track_info_t  *video;

    left = 0;

    for (i = 0; i < title->count; i++) {
        video = title->renditions[i].video;

        if (video == NULL) {
            continue;
        }

        if ((max_height != 0 && video->height > max_height)
            || (max_bitrate != 0 && video->avg_bitrate > max_bitrate))
        {
            title->renditions[i].video = NULL;
            continue;
        }

        left++;
    }

    return left;
}
