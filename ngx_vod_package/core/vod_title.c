/*
 * vod_title.c: title.json, rendition ids and the audio renditions.
 */

#include <stdio.h>

#include "vod_title.h"
#include "vod_json.h"


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


/* the members title.json may have: any other is refused, so that a
 * feature the packager lacks ("subtitles") is never silently ignored */
static const char  *vod_title_top_members[] = {
    "renditions", "subtitles", NULL
};
static const char  *vod_title_rendition_members[] = { "id", "file", NULL };
static const char  *vod_title_subtitle_members[] = {
    "id", "file", "language", "name", "forced", "sdh", "default", NULL
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

    return vod_title_subtitles(env, root, spec);
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
            vod_title_audio_group(title, a);
            vod_title_audio_name(title, a);
        }
    }
}


/* the same rendition: language (as BCP 47: "deu" is "ger"), codec
 * string and channel count */

static int
vod_title_audio_same(const char *alang, const vod_track_info_t *a,
    const char *blang, const vod_track_info_t *b)
{
    return a->channels == b->channels
           && strcmp(alang, blang) == 0
           && strncmp(a->codec_str, b->codec_str, sizeof(a->codec_str))
              == 0;
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


static void
vod_title_audio_name(vod_title_t *title, vod_audio_t *a)
{
    int          n;
    char         base[VOD_AUDIO_NAME_LEN];
    uint32_t     k, c, dup;
    const char  *lang;

    lang = vod_lang_name(a->lang);

    if (lang == NULL) {
        lang = (strcmp(a->lang, "und") == 0) ? "audio" : a->lang;
    }

    c = a->track->channels;

    if (c <= 2) {
        n = snprintf(base, sizeof(base), "%.32s", lang);

    } else if (c == 6 || c == 8) {
        n = snprintf(base, sizeof(base), "%.32s %u.1", lang, c - 1);

    } else {
        n = snprintf(base, sizeof(base), "%.32s %u ch", lang, c);
    }

    if (n < 0) {
        base[0] = '\0';
    }

    memcpy(a->name, base, sizeof(base));

    for (dup = 2; dup <= VOD_MAX_AUDIO + 1; dup++) {

        for (k = 0; k + 1 < title->audio_count; k++) {
            if (title->audio[k].group == a->group
                && strcmp(title->audio[k].name, a->name) == 0)
            {
                break;
            }
        }

        if (k + 1 >= title->audio_count) {
            return;
        }

        (void) snprintf(a->name, sizeof(a->name), "%.32s (%u)", base, dup);
    }
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
