/*
 * vod_mp4text.c: text tracks' samples to WebVTT cues (vod_mp4text.h).
 *
 * Each sample is looked at once; a cue's text is written by
 * vod_mp4text_put(), which makes any bytes safe WebVTT cue text, into a
 * buffer of at most five times the input (the longest escape, "&amp;",
 * for one byte), so memory stays proportional to the track's real bytes.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vod_mp4text.h"
#include "vod_mp4.h"
#include "vod_lang.h"
#include "vod_title.h"
#include "vod_text.h"


/* how many cues of the sample before a wvtt cue is compared with, to join
 * a cue split at a sample boundary: a sample rarely shows more than two */
#define VOD_MP4TEXT_JOIN_WINDOW   16

/* UTF-16 to UTF-8: at most 3 bytes out for 2 in */
#define VOD_MP4TEXT_UTF16_GROWTH  2


typedef struct {
    vod_env_t            *env;
    vod_vtt_cue_t        *cues;
    uint32_t              count;
    uint32_t              max;
    uint32_t              prev_first;     /* the cues of the sample before */
    uint32_t              prev_end;
} vod_mp4text_ctx_t;


static int vod_mp4text_tx3g(vod_mp4text_ctx_t *ctx, uint32_t n,
    const vod_mp4text_sample_t *s);
static int vod_mp4text_wvtt(vod_mp4text_ctx_t *ctx, uint32_t n,
    const vod_mp4text_sample_t *s);
static int vod_mp4text_vttc(vod_mp4text_ctx_t *ctx, uint32_t n,
    const vod_mp4text_sample_t *s, const u_char *p, size_t len);
static int vod_mp4text_box(const u_char *p, size_t len, uint32_t *type,
    size_t *size);
static int vod_mp4text_add(vod_mp4text_ctx_t *ctx,
    const vod_mp4text_sample_t *s, vod_str_t *id, vod_str_t *settings,
    vod_str_t *text, unsigned join);
static int vod_mp4text_str(vod_env_t *env, const u_char *p, size_t len,
    unsigned escape, vod_str_t *out);
static size_t vod_mp4text_put(u_char *out, const u_char *p, size_t len,
    unsigned escape);
static size_t vod_mp4text_utf16(u_char *out, const u_char *p, size_t len,
    unsigned be);
static size_t vod_mp4text_utf8_char(const u_char *p, size_t len);
static u_char *vod_mp4text_code(u_char *p, uint32_t c);
static int vod_mp4text_line_safe(const vod_str_t *s);
static int vod_mp4text_eq(const vod_str_t *a, const vod_str_t *b);
static int vod_mp4text_cmp(const void *one, const void *two);


int
vod_mp4text_cues(vod_env_t *env, uint32_t codec,
    const vod_mp4text_sample_t *samples, uint32_t count, vod_vtt_t *vtt)
{
    int                 rc;
    size_t              left, size;
    uint32_t            i, max, type, sorted;
    const u_char       *p;
    vod_mp4text_ctx_t   ctx;

    vtt->cues = NULL;
    vtt->count = 0;

    if (codec != VOD_CODEC_TX3G && codec != VOD_CODEC_WVTT) {
        env->log(env, "text track: not tx3g or wvtt");
        return VOD_UNSUPPORTED;
    }

    /* the cue array sized by the samples: one cue per tx3g sample, one
     * per vttc box of a wvtt sample (boxes not well formed are counted
     * as none, vod_mp4text_wvtt() then fails on them) */

    max = 0;

    for (i = 0; i < count; i++) {
        if (codec == VOD_CODEC_TX3G) {
            max++;
            continue;
        }

        p = samples[i].data;
        left = samples[i].size;

        while (vod_mp4text_box(p, left, &type, &size) == VOD_OK) {
            max += (type == vod_mp4_tag('v', 't', 't', 'c'));
            p += size;
            left -= size;
        }
    }

    if (max > VOD_MP4TEXT_MAX_CUES) {
        env->log(env, "text track: more than %d cues",
                 VOD_MP4TEXT_MAX_CUES);
        return VOD_BAD_DATA;
    }

    ctx.env = env;
    ctx.count = 0;
    ctx.max = max;
    ctx.prev_first = 0;
    ctx.prev_end = 0;
    ctx.cues = env->alloc(env, (size_t) max * sizeof(vod_vtt_cue_t) + 1);
    if (ctx.cues == NULL) {
        return VOD_ERROR;
    }

    sorted = 1;

    for (i = 0; i < count; i++) {
        if (samples[i].end < samples[i].start) {
            env->log(env, "text track: sample %u ends before it starts", i);
            return VOD_BAD_DATA;
        }

        if (i > 0 && samples[i].start < samples[i - 1].start) {
            sorted = 0;
        }

        rc = (codec == VOD_CODEC_TX3G) ? vod_mp4text_tx3g(&ctx, i, &samples[i])
                                       : vod_mp4text_wvtt(&ctx, i, &samples[i]);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    for (i = 0; i < ctx.count; i++) {
        ctx.cues[i].seq = i;
    }

    if (!sorted) {
        /* a hostile ctts: cues go out by start time, as a file's do */
        qsort(ctx.cues, ctx.count, sizeof(vod_vtt_cue_t), vod_mp4text_cmp);
    }

    vtt->cues = ctx.cues;
    vtt->count = ctx.count;

    return VOD_OK;
}


/* a tx3g sample: TextSample (3GPP TS 26.245 5.17): text_length, text,
 * then TextModifierBox-es, not looked at */

static int
vod_mp4text_tx3g(vod_mp4text_ctx_t *ctx, uint32_t n,
    const vod_mp4text_sample_t *s)
{
    int         rc;
    u_char     *buf;
    size_t      len;
    vod_str_t   text;

    ctx->prev_first = ctx->count;
    ctx->prev_end = ctx->count;

    if (s->size < 2) {
        ctx->env->log(ctx->env, "text track: tx3g sample %u of %u bytes "
                      "has no text length", n, s->size);
        return VOD_BAD_DATA;
    }

    len = vod_r16(s->data);

    if (len > s->size - 2) {
        ctx->env->log(ctx->env, "text track: tx3g sample %u: text of %zu "
                      "bytes past the sample's %u", n, len, s->size);
        return VOD_BAD_DATA;
    }

    if (len == 0) {
        return VOD_OK;
    }

    if (len >= 2
        && ((s->data[2] == 0xfe && s->data[3] == 0xff)
            || (s->data[2] == 0xff && s->data[3] == 0xfe)))
    {
        /* UTF-16 after its byte order mark */
        buf = ctx->env->alloc(ctx->env,
                              (len - 2) * VOD_MP4TEXT_UTF16_GROWTH + 1);
        if (buf == NULL) {
            return VOD_ERROR;
        }

        len = vod_mp4text_utf16(buf, s->data + 4, len - 2,
                                s->data[2] == 0xfe);
        rc = vod_mp4text_str(ctx->env, buf, len, 1, &text);

    } else {
        rc = vod_mp4text_str(ctx->env, s->data + 2, len, 1, &text);
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (text.len == 0) {
        /* line breaks alone show nothing */
        return VOD_OK;
    }

    return vod_mp4text_add(ctx, s, NULL, NULL, &text, 0);
}


/* a wvtt sample (ISO/IEC 14496-30 7.5): VTTCueBox-es, or one
 * VTTEmptyCueBox, and VTTAdditionalTextBox-es */

static int
vod_mp4text_wvtt(vod_mp4text_ctx_t *ctx, uint32_t n,
    const vod_mp4text_sample_t *s)
{
    int            rc;
    size_t         left, size;
    uint32_t       type, first;
    const u_char  *p;

    p = s->data;
    left = s->size;
    first = ctx->count;

    while (left > 0) {
        if (vod_mp4text_box(p, left, &type, &size) != VOD_OK) {
            ctx->env->log(ctx->env, "text track: wvtt sample %u: a box "
                          "at byte %zu past its %u bytes", n,
                          (size_t) (p - s->data), s->size);
            return VOD_BAD_DATA;
        }

        if (type == vod_mp4_tag('v', 't', 't', 'c')) {
            rc = vod_mp4text_vttc(ctx, n, s, p + 8, size - 8);
            if (rc != VOD_OK) {
                return rc;
            }
        }

        p += size;
        left -= size;
    }

    ctx->prev_first = first;
    ctx->prev_end = ctx->count;

    return VOD_OK;
}


static int
vod_mp4text_vttc(vod_mp4text_ctx_t *ctx, uint32_t n,
    const vod_mp4text_sample_t *s, const u_char *p, size_t len)
{
    int          rc;
    size_t       size, i;
    uint32_t     type;
    unsigned     has_text;
    vod_str_t    id, settings, text;

    id.len = 0;
    id.data = NULL;
    settings = id;
    text = id;
    has_text = 0;

    while (len > 0) {
        if (vod_mp4text_box(p, len, &type, &size) != VOD_OK) {
            ctx->env->log(ctx->env, "text track: wvtt sample %u: a box of "
                          "its cue past the cue's end", n);
            return VOD_BAD_DATA;
        }

        rc = VOD_OK;

        if (type == vod_mp4_tag('p', 'a', 'y', 'l')) {
            rc = vod_mp4text_str(ctx->env, p + 8, size - 8, 0, &text);
            has_text = 1;

        } else if (type == vod_mp4_tag('i', 'd', 'e', 'n')) {
            rc = vod_mp4text_str(ctx->env, p + 8, size - 8, 0, &id);

        } else if (type == vod_mp4_tag('s', 't', 't', 'g')) {
            rc = vod_mp4text_str(ctx->env, p + 8, size - 8, 0, &settings);
        }

        if (rc != VOD_OK) {
            return rc;
        }

        p += size;
        len -= size;
    }

    if (!has_text || text.len == 0) {
        /* a cue box without a payload shows nothing */
        return VOD_OK;
    }

    /* an id or settings are one line of their own in WebVTT */

    if (!vod_mp4text_line_safe(&id)) {
        id.len = 0;
    }

    if (!vod_mp4text_line_safe(&settings)) {
        settings.len = 0;
    }

    /* as a WebVTT parser reads them back: the settings between the blanks
     * around them, and an id line of blanks alone is no id */

    while (settings.len > 0
           && (settings.data[0] == ' ' || settings.data[0] == '\t'))
    {
        settings.data++;
        settings.len--;
    }

    while (settings.len > 0
           && (settings.data[settings.len - 1] == ' '
               || settings.data[settings.len - 1] == '\t'))
    {
        settings.len--;
    }

    for (i = 0; i < id.len && (id.data[i] == ' ' || id.data[i] == '\t');
         i++)
    {
        /* void */
    }

    if (i == id.len) {
        id.len = 0;
    }

    return vod_mp4text_add(ctx, s, &id, &settings, &text, 1);
}


/* a box of the len bytes at p: its type and size (8 to len); 64-bit and
 * to-the-end sizes have no place inside a sample */

static int
vod_mp4text_box(const u_char *p, size_t len, uint32_t *type, size_t *size)
{
    uint32_t  n;

    if (len < 8) {
        return VOD_BAD_DATA;
    }

    n = vod_r32(p);

    if (n < 8 || n > len) {
        return VOD_BAD_DATA;
    }

    *type = vod_r32(p + 4);
    *size = n;

    return VOD_OK;
}


/* a cue for sample s, or (join) the same cue of the sample before made
 * longer */

static int
vod_mp4text_add(vod_mp4text_ctx_t *ctx, const vod_mp4text_sample_t *s,
    vod_str_t *id, vod_str_t *settings, vod_str_t *text, unsigned join)
{
    uint32_t        i, from;
    vod_str_t       empty;
    vod_vtt_cue_t  *c;

    empty.len = 0;
    empty.data = NULL;

    if (join) {
        from = ctx->prev_first;

        if (ctx->prev_end - from > VOD_MP4TEXT_JOIN_WINDOW) {
            from = ctx->prev_end - VOD_MP4TEXT_JOIN_WINDOW;
        }

        for (i = from; i < ctx->prev_end; i++) {
            c = &ctx->cues[i];

            if (c->end == s->start
                && vod_mp4text_eq(&c->text, text)
                && vod_mp4text_eq(&c->id, id)
                && vod_mp4text_eq(&c->settings, settings))
            {
                c->end = s->end;
                return VOD_OK;
            }
        }
    }

    if (ctx->count == ctx->max) {
        /* not reached: max counted every cue box */
        ctx->env->log(ctx->env, "text track: more cues than counted");
        return VOD_ERROR;
    }

    c = &ctx->cues[ctx->count++];
    c->start = s->start;
    c->end = s->end;
    c->id = (id != NULL) ? *id : empty;
    c->settings = (settings != NULL) ? *settings : empty;
    c->text = *text;
    c->seq = 0;

    return VOD_OK;
}


/* text made safe (vod_mp4text_put()) in env memory */

static int
vod_mp4text_str(vod_env_t *env, const u_char *p, size_t len,
    unsigned escape, vod_str_t *out)
{
    u_char  *buf;

    buf = env->alloc(env, len * 5 + 1);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    out->data = buf;
    out->len = vod_mp4text_put(buf, p, len, escape);

    return VOD_OK;
}


/*
 * WebVTT cue text of len bytes at p, at out (5 * len bytes at most):
 * lines joined by LF (CR and CRLF ends become LF), no empty line (nor
 * one of spaces and tabs alone: trailing ones are dropped), every
 * byte not part of a UTF-8 character (RFC 3629) and NUL as U+FFFD; with
 * escape, & < > as character references, without, the '>' of "-->".
 */

static size_t
vod_mp4text_put(u_char *out, const u_char *p, size_t len, unsigned escape)
{
    u_char        *o, *line;
    size_t         n;
    const u_char  *end;

    o = out;
    line = out;
    end = p + len;

    for ( ;; ) {
        if (p == end || *p == '\r' || *p == '\n') {
            /* a line of spaces and tabs alone is blank to a reader */
            while (o > line && (o[-1] == ' ' || o[-1] == '\t')) {
                o--;
            }

            if (p == end) {
                break;
            }

            if (*p == '\r' && p + 1 < end && p[1] == '\n') {
                p++;
            }

            p++;

            /* a line break only between two lines that have text */
            if (o > line) {
                *o++ = '\n';
                line = o;
            }

            continue;
        }

        n = vod_mp4text_utf8_char(p, end - p);

        if (n == 0) {
            o = vod_mp4text_code(o, 0xfffd);
            p++;
            continue;
        }

        if (n > 1) {
            while (n--) {
                *o++ = *p++;
            }

            continue;
        }

        if (*p == '&' && escape) {
            o = vod_text_cpy(o, "&amp;");

        } else if (*p == '<' && escape) {
            o = vod_text_cpy(o, "&lt;");

        } else if (*p == '>'
                   && (escape
                       || (o - line >= 2 && o[-1] == '-' && o[-2] == '-')))
        {
            o = vod_text_cpy(o, "&gt;");

        } else {
            *o++ = *p;
        }

        p++;
    }

    if (o > out && o[-1] == '\n') {
        o--;
    }

    return o - out;
}


/* the length of the UTF-8 character at p, 0 when there is none (a bad or
 * overlong sequence, a surrogate, past U+10FFFF, NUL) */

static size_t
vod_mp4text_utf8_char(const u_char *p, size_t len)
{
    size_t    n, i;
    uint32_t  c, min;

    c = p[0];

    if (c == 0) {
        return 0;
    }

    if (c < 0x80) {
        return 1;
    }

    if ((c & 0xe0) == 0xc0) {
        n = 2;
        c &= 0x1f;
        min = 0x80;

    } else if ((c & 0xf0) == 0xe0) {
        n = 3;
        c &= 0x0f;
        min = 0x800;

    } else if ((c & 0xf8) == 0xf0) {
        n = 4;
        c &= 0x07;
        min = 0x10000;

    } else {
        return 0;
    }

    if (len < n) {
        return 0;
    }

    for (i = 1; i < n; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }

        c = (c << 6) | (p[i] & 0x3f);
    }

    if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) {
        return 0;
    }

    return n;
}


/* UTF-16 (big or little endian) as UTF-8 at out: 3 bytes at most for
 * each 2 in; an unpaired surrogate or an odd last byte is U+FFFD */

static size_t
vod_mp4text_utf16(u_char *out, const u_char *p, size_t len, unsigned be)
{
    u_char        *o;
    uint32_t       c, d;
    const u_char  *end;

    o = out;
    end = p + len;

    while (end - p >= 2) {
        c = be ? vod_r16(p) : (uint32_t) (p[0] | (p[1] << 8));
        p += 2;

        if (c >= 0xd800 && c <= 0xdbff && end - p >= 2) {
            d = be ? vod_r16(p) : (uint32_t) (p[0] | (p[1] << 8));

            if (d >= 0xdc00 && d <= 0xdfff) {
                p += 2;
                c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
                o = vod_mp4text_code(o, c);
                continue;
            }
        }

        if (c >= 0xd800 && c <= 0xdfff) {
            c = 0xfffd;
        }

        o = vod_mp4text_code(o, c);
    }

    if (p < end) {
        o = vod_mp4text_code(o, 0xfffd);
    }

    return o - out;
}


static u_char *
vod_mp4text_code(u_char *p, uint32_t c)
{
    if (c < 0x80) {
        *p++ = (u_char) c;

    } else if (c < 0x800) {
        *p++ = (u_char) (0xc0 | (c >> 6));
        *p++ = (u_char) (0x80 | (c & 0x3f));

    } else if (c < 0x10000) {
        *p++ = (u_char) (0xe0 | (c >> 12));
        *p++ = (u_char) (0x80 | ((c >> 6) & 0x3f));
        *p++ = (u_char) (0x80 | (c & 0x3f));

    } else {
        *p++ = (u_char) (0xf0 | (c >> 18));
        *p++ = (u_char) (0x80 | ((c >> 12) & 0x3f));
        *p++ = (u_char) (0x80 | ((c >> 6) & 0x3f));
        *p++ = (u_char) (0x80 | (c & 0x3f));
    }

    return p;
}


/* one line without "-->" (vod_mp4text_put() left '>' of it escaped, but
 * an id must not need escapes either) */

static int
vod_mp4text_line_safe(const vod_str_t *s)
{
    size_t  i;

    for (i = 0; i < s->len; i++) {
        if (s->data[i] == '\n' || s->data[i] == '&') {
            return 0;
        }
    }

    return 1;
}


static int
vod_mp4text_eq(const vod_str_t *a, const vod_str_t *b)
{
    size_t  blen;

    blen = (b != NULL) ? b->len : 0;

    return a->len == blen && (blen == 0 || memcmp(a->data, b->data, blen) == 0);
}


static int
vod_mp4text_cmp(const void *one, const void *two)
{
    const vod_vtt_cue_t  *a = one;
    const vod_vtt_cue_t  *b = two;

    if (a->start != b->start) {
        return (a->start < b->start) ? -1 : 1;
    }

    return (a->seq < b->seq) ? -1 : (a->seq > b->seq);
}


int
vod_mp4text_ranges(vod_env_t *env, const vod_sample_t *samples,
    uint32_t count, vod_range_t **ranges, uint32_t *range_count,
    uint64_t *total)
{
    uint32_t      i, n;
    uint64_t      bytes;
    vod_range_t  *r;

    if (count > VOD_MP4TEXT_MAX_SAMPLES) {
        env->log(env, "text track: more than %d samples",
                 VOD_MP4TEXT_MAX_SAMPLES);
        return VOD_BAD_DATA;
    }

    bytes = 0;

    for (i = 0; i < count; i++) {
        bytes += samples[i].size;
    }

    if (bytes > VOD_MP4TEXT_MAX_BYTES) {
        env->log(env, "text track: more than %d bytes of samples",
                 VOD_MP4TEXT_MAX_BYTES);
        return VOD_BAD_DATA;
    }

    r = env->alloc(env, (size_t) count * sizeof(vod_range_t) + 1);
    if (r == NULL) {
        return VOD_ERROR;
    }

    n = 0;

    for (i = 0; i < count; i++) {
        if (samples[i].size == 0) {
            continue;
        }

        if (n > 0 && r[n - 1].offset + r[n - 1].size == samples[i].offset) {
            r[n - 1].size += samples[i].size;
            continue;
        }

        r[n].offset = samples[i].offset;
        r[n].size = samples[i].size;
        n++;
    }

    *ranges = r;
    *range_count = n;
    *total = bytes;

    return VOD_OK;
}


int
vod_mp4text_forced(const vod_track_info_t *track)
{
    /* TextSampleEntry: SampleEntry (8 header, 6 reserved, 2 data
     * reference index), then displayFlags */

    if (track->codec != VOD_CODEC_TX3G || track->sample_entry == NULL
        || track->sample_entry_len < 20)
    {
        return 0;
    }

    return (vod_r32(track->sample_entry + 16) & 0x80000000) != 0;
}


int
vod_mp4text_spec(const vod_track_info_t *track, const vod_str_t *rid,
    const vod_str_t *file, u_char buf[VOD_MP4TEXT_ID_LEN],
    char lang[VOD_SUB_LANG_LEN], vod_subtitle_spec_t *spec)
{
    int   n;
    char  tag[VOD_LANG_LEN];

    memset(spec, 0, sizeof(vod_subtitle_spec_t));

    if (rid->len > VOD_MAX_ID_LEN) {
        return VOD_BAD_REQUEST;
    }

    n = snprintf((char *) buf, VOD_MP4TEXT_ID_LEN, "text%u-%.*s",
                 track->track_id, (int) rid->len, rid->data);

    if (n < 0 || n >= VOD_MP4TEXT_ID_LEN
        || !vod_title_id_valid(buf, (size_t) n))
    {
        return VOD_BAD_REQUEST;
    }

    vod_lang_bcp47(track->lang, strnlen(track->lang, sizeof(track->lang)),
                   tag);
    memcpy(lang, tag, VOD_LANG_LEN);

    spec->id.data = buf;
    spec->id.len = (size_t) n;
    spec->file = *file;
    spec->lang.data = (u_char *) lang;
    spec->lang.len = strlen(lang);
    spec->forced = vod_mp4text_forced(track);
    spec->track_id = track->track_id;
    spec->codec = track->codec;

    return VOD_OK;
}


int
vod_mp4text_id_parse(const vod_str_t *id, uint32_t *track_id,
    vod_str_t *rid)
{
    size_t    i;
    uint64_t  v;

    if (id->len < 7 || memcmp(id->data, "text", 4) != 0
        || id->data[4] < '1' || id->data[4] > '9')
    {
        return 0;
    }

    v = 0;

    for (i = 4; i < id->len && id->data[i] >= '0' && id->data[i] <= '9';
         i++)
    {
        v = v * 10 + (id->data[i] - '0');

        if (v > 0xffffffff) {
            return 0;
        }
    }

    if (i + 1 >= id->len || id->data[i] != '-') {
        return 0;
    }

    *track_id = (uint32_t) v;
    rid->data = id->data + i + 1;
    rid->len = id->len - i - 1;

    return 1;
}
