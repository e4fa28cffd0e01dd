/*
 * vod_index_parse.c: reading the moov (ISO/IEC 14496-12) into one
 * vod_idx_parse_t per track we package: the track's description (tkhd,
 * mdhd, hdlr, the sample entry and its decoder config, the first edit)
 * and its sample tables.  stts and stss are read into native arrays here,
 * checked against the sample count; ctts, stsc, stco/co64 and stsz/stz2
 * stay pointers into the moov, with their entry counts checked against
 * their boxes, for vod_index_build.c to check and copy once.
 */

#include <stdio.h>

#include "vod_index_int.h"
#include "vod_gcd.h"


static int vod_idx_full_box(vod_env_t *env, vod_mp4_box_t *box,
    size_t min, const char *name);
static int vod_idx_movie_timescale(vod_idx_ctx_t *ctx, const u_char *moov,
    size_t size);
static int vod_idx_parse_trak(vod_idx_ctx_t *ctx, vod_mp4_box_t *trak,
    vod_idx_parse_t *t);
static int vod_idx_parse_mdhd(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t);
static int vod_idx_parse_elst(vod_idx_ctx_t *ctx, vod_mp4_box_t *edts,
    vod_idx_parse_t *t);
static int vod_idx_parse_stsd(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    uint32_t handler, vod_idx_parse_t *t);
static int vod_idx_parse_visual(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_idx_parse_t *t);
static int vod_idx_parse_av1(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_mp4_box_t *av1c, vod_idx_parse_t *t);
static int vod_idx_parse_audio(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_idx_parse_t *t);
static int vod_idx_parse_dolby(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    size_t at, vod_idx_parse_t *t);
static int vod_idx_parse_stbl(vod_idx_ctx_t *ctx, vod_mp4_box_t *stbl,
    vod_idx_parse_t *t);
static int vod_idx_parse_stts(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t);
static int vod_idx_parse_stss(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t);
static uint32_t vod_idx_size_width(vod_idx_parse_t *t);


/* the tracks of a moov box's payload we package, into ctx->tracks */

int
vod_idx_parse_moov(vod_idx_ctx_t *ctx, const u_char *moov, size_t size)
{
    int               rc;
    uint32_t          media;
    vod_env_t        *env;
    const u_char     *p, *end;
    vod_mp4_box_t     trak;
    vod_idx_parse_t  *t;

    env = ctx->env;
    ctx->skipped = 0;
    media = 0;

    rc = vod_idx_movie_timescale(ctx, moov, size);
    if (rc != VOD_OK) {
        return rc;
    }

    p = moov;
    end = moov + size;

    for ( ;; ) {
        rc = vod_mp4_next_box(env, &p, end, &trak);
        if (rc == VOD_NOT_FOUND) {
            break;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        if (trak.type == VOD_TAG('m', 'v', 'e', 'x')) {
            env->log(env, "fragmented MP4 (mvex box) is not supported");
            return VOD_UNSUPPORTED;
        }

        if (trak.type != VOD_TAG('t', 'r', 'a', 'k')
            || ctx->track_count == VOD_MAX_TRACKS)
        {
            continue;
        }

        t = &ctx->tracks[ctx->track_count];

        rc = vod_idx_parse_trak(ctx, &trak, t);
        if (rc == VOD_IDX_SKIP) {
            /* a video or audio track in a format we do not package; not
             * one no player plays (a chapter track's titles: QuickTime
             * text, disabled, that iTunes, HandBrake and ffmpeg write) */
            if (t->entry != NULL && t->enabled
                && ctx->skipped < VOD_MAX_TRACKS)
            {
                ctx->skip_id[ctx->skipped] = t->track_id;
                ctx->skip_type[ctx->skipped] = vod_r32(t->entry + 4);
                ctx->skipped++;
            }

            continue;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        ctx->track_count++;
        media += (t->type != VOD_TRACK_TEXT);
    }

    if (media == 0) {
        /* the one line of a failure, naming what the file has (text
         * tracks alone make no rendition) */
        ctx->track_count = 0;
        vod_idx_log_skipped(ctx);
        return VOD_UNSUPPORTED;
    }

    return VOD_OK;
}


/* mvhd's timescale, that of the edit lists' durations, into
 * ctx->movie_timescale; 0 (empty edits then ignored) where there is none
 * to read; a moov whose boxes do not fit fails here, with its one line */

static int
vod_idx_movie_timescale(vod_idx_ctx_t *ctx, const u_char *moov, size_t size)
{
    int             rc;
    size_t          at;
    vod_mp4_box_t   box;

    ctx->movie_timescale = 0;

    rc = vod_mp4_find_box(ctx->env, moov, size,
                          VOD_TAG('m', 'v', 'h', 'd'), &box);
    if (rc == VOD_NOT_FOUND) {
        return VOD_OK;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    /* version and flags, then creation and modification times */
    at = (box.size > 0 && box.data[0] == 1) ? 4 + 16 : 4 + 8;

    if (box.size >= at + 4) {
        ctx->movie_timescale = vod_r32(box.data + at);
    }

    return VOD_OK;
}


/* one line: the tracks left out of a file built (vod_index_build.c calls
 * it once the index is made, so a failure later logs its own line alone),
 * or why a file has nothing to package */

void
vod_idx_log_skipped(vod_idx_ctx_t *ctx)
{
    char        name[5], *p;
    char        list[VOD_MAX_TRACKS * 24];
    uint32_t    i;
    vod_env_t  *env;

    env = ctx->env;
    p = list;
    *p = '\0';

    for (i = 0; i < ctx->skipped; i++) {
        p += snprintf(p, sizeof(list) - (p - list), "%s%u (%s)",
                      i == 0 ? "" : ", ", ctx->skip_id[i],
                      vod_mp4_type_str(ctx->skip_type[i], name));
    }

    if (ctx->track_count == 0) {
        env->log(env, "no H.264, H.265, AV1, AAC, AC-3 or E-AC-3 track in "
                 "the file%s%s", ctx->skipped ? "; tracks: " : "", list);
        return;
    }

    if (ctx->skipped) {
        env->log(env, "track%s %s left out: not a format the packager "
                 "packages", ctx->skipped > 1 ? "s" : "", list);
    }
}


/* check a full box's payload holds version, flags and min more bytes */
static int
vod_idx_full_box(vod_env_t *env, vod_mp4_box_t *box, size_t min,
    const char *name)
{
    if (box->size < 4 + min) {
        env->log(env, "%s box too short: %zu bytes", name, box->size);
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


static int
vod_idx_parse_trak(vod_idx_ctx_t *ctx, vod_mp4_box_t *trak,
    vod_idx_parse_t *t)
{
    int             rc;
    size_t          off;
    uint32_t        handler;
    vod_env_t      *env;
    vod_mp4_box_t   box, mdia, minf, stbl;

    env = ctx->env;

    memset(t, 0, sizeof(vod_idx_parse_t));

    /* tkhd: the track id */

    rc = vod_mp4_find_box(env, trak->data, trak->size,
                          VOD_TAG('t', 'k', 'h', 'd'), &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "trak without tkhd");
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (vod_idx_full_box(env, &box, 12, "tkhd") != VOD_OK
        || (box.data[0] == 1
            && vod_idx_full_box(env, &box, 20, "tkhd") != VOD_OK))
    {
        return VOD_BAD_DATA;
    }

    t->track_id = vod_r32(box.data + (box.data[0] == 1 ? 20 : 12));
    t->enabled = box.data[3] & 1;

    /* its matrix: how the video is turned to be shown; a tkhd too short
     * to have one shows it as stored */
    off = (box.data[0] == 1) ? 52 : 40;

    if (box.size >= off + VOD_ORIENT_MATRIX_LEN) {
        t->orient = vod_orient_from_matrix(box.data + off);
    }

    /* mdia: mdhd, hdlr, minf/stbl */

    rc = vod_mp4_find_box(env, trak->data, trak->size,
                          VOD_TAG('m', 'd', 'i', 'a'), &mdia);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u has no mdia box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_mp4_find_box(env, mdia.data, mdia.size,
                          VOD_TAG('h', 'd', 'l', 'r'), &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u has no hdlr box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (vod_idx_full_box(env, &box, 8, "hdlr") != VOD_OK) {
        return VOD_BAD_DATA;
    }

    handler = vod_r32(box.data + 8);

    if (handler != VOD_TAG('v', 'i', 'd', 'e')
        && handler != VOD_TAG('s', 'o', 'u', 'n')
        && handler != VOD_TAG('t', 'e', 'x', 't')
        && handler != VOD_TAG('s', 'b', 't', 'l')
        && handler != VOD_TAG('s', 'u', 'b', 't'))
    {
        return VOD_IDX_SKIP;
    }

    rc = vod_mp4_find_box(env, mdia.data, mdia.size,
                          VOD_TAG('m', 'd', 'h', 'd'), &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u has no mdhd box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_idx_parse_mdhd(ctx, &box, t);
    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_mp4_find_box(env, mdia.data, mdia.size,
                          VOD_TAG('m', 'i', 'n', 'f'), &minf);
    if (rc == VOD_OK) {
        rc = vod_mp4_find_box(env, minf.data, minf.size,
                              VOD_TAG('s', 't', 'b', 'l'), &stbl);
    }

    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u has no minf/stbl box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_mp4_find_box(env, stbl.data, stbl.size,
                          VOD_TAG('s', 't', 's', 'd'), &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u has no stsd box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_idx_parse_stsd(ctx, &box, handler, t);
    if (rc != VOD_OK) {
        return rc;
    }

    /* edts/elst: the presentation start */

    rc = vod_mp4_find_box(env, trak->data, trak->size,
                          VOD_TAG('e', 'd', 't', 's'), &box);
    if (rc == VOD_OK) {
        rc = vod_idx_parse_elst(ctx, &box, t);
    }

    if (rc != VOD_OK && rc != VOD_NOT_FOUND) {
        return rc;
    }

    return vod_idx_parse_stbl(ctx, &stbl, t);
}


static int
vod_idx_parse_mdhd(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t)
{
    int             i;
    size_t          at;
    uint32_t        lang;
    vod_env_t      *env;
    const u_char   *p;

    env = ctx->env;
    p = box->data;

    if (vod_idx_full_box(env, box, 0, "mdhd") != VOD_OK) {
        return VOD_BAD_DATA;
    }

    at = (p[0] == 1) ? 4 + 16 : 4 + 8;

    if (box->size < at + 4 + (p[0] == 1 ? 8 : 4) + 2) {
        env->log(env, "track %u: mdhd box too short: %zu bytes",
                 t->track_id, box->size);
        return VOD_BAD_DATA;
    }

    t->timescale = vod_r32(p + at);

    if (t->timescale == 0) {
        env->log(env, "track %u: mdhd timescale is 0", t->track_id);
        return VOD_BAD_DATA;
    }

    at += 4 + (p[0] == 1 ? 8 : 4);
    lang = vod_r16(p + at);

    memcpy(t->lang, "und", 4);

    for (i = 0; i < 3; i++) {
        if (((lang >> (10 - 5 * i)) & 0x1f) == 0) {
            return VOD_OK;
        }
    }

    if (lang & 0x8000) {
        return VOD_OK;
    }

    for (i = 0; i < 3; i++) {
        t->lang[i] = (char) (((lang >> (10 - 5 * i)) & 0x1f) + 0x60);

        if (t->lang[i] < 'a' || t->lang[i] > 'z') {
            memcpy(t->lang, "und", 4);
            return VOD_OK;
        }
    }

    return VOD_OK;
}


static int
vod_idx_parse_elst(vod_idx_ctx_t *ctx, vod_mp4_box_t *edts,
    vod_idx_parse_t *t)
{
    int             rc;
    size_t          esize;
    int64_t         media_time;
    uint32_t        n, i;
    uint64_t        d, empty, delay;
    vod_env_t      *env;
    const u_char   *p;
    vod_mp4_box_t   box;

    env = ctx->env;

    rc = vod_mp4_find_box(env, edts->data, edts->size,
                          VOD_TAG('e', 'l', 's', 't'), &box);
    if (rc != VOD_OK) {
        return rc;
    }

    if (vod_idx_full_box(env, &box, 4, "elst") != VOD_OK) {
        return VOD_BAD_DATA;
    }

    esize = (box.data[0] == 1) ? 20 : 12;
    n = vod_r32(box.data + 4);

    if (n > (box.size - 8) / esize) {
        env->log(env, "track %u: elst entry count %u overruns the box",
                 t->track_id, n);
        return VOD_BAD_DATA;
    }

    p = box.data + 8;
    empty = 0;

    /*
     * The first non-empty edit says which media time is presented first;
     * the empty edits (media_time -1) before it delay it by their
     * durations, in the movie's timescale.  A track cut with its
     * neighbours (ffmpeg -ss ... -c copy) or whose audio starts after its
     * video has them: dropped, the track would play that much early
     * against the others.  Edits after the first are not applied.
     */

    for (i = 0; i < n; i++, p += esize) {
        if (esize == 20) {
            media_time = (int64_t) vod_r64(p + 8);

        } else {
            media_time = (int32_t) vod_r32(p + 4);
        }

        if (media_time == -1) {
            d = (esize == 20) ? vod_r64(p) : vod_r32(p);

            if (d > UINT32_MAX - empty) {
                /* 2^32 ticks of the movie's clock, > 13 hours at 90 kHz */
                env->log(env, "track %u: elst empty edits of over %u "
                         "ticks", t->track_id, UINT32_MAX);
                return VOD_BAD_DATA;
            }

            empty += d;
            continue;
        }

        if (media_time < 0 || media_time > INT32_MAX) {
            env->log(env, "track %u: elst media_time %lld out of range",
                     t->track_id, (long long) media_time);
            return VOD_BAD_DATA;
        }

        delay = 0;

        if (empty != 0 && ctx->movie_timescale != 0) {
            delay = (empty * t->timescale + ctx->movie_timescale / 2)
                    / ctx->movie_timescale;
        }

        if (delay > INT32_MAX) {
            env->log(env, "track %u: elst empty edits of %llu ticks in "
                     "timescale %u, more than the track's timeline holds",
                     t->track_id, (unsigned long long) empty,
                     ctx->movie_timescale);
            return VOD_BAD_DATA;
        }

        t->media_time = media_time - (int64_t) delay;
        t->delay = (uint32_t) delay;
        break;
    }

    return VOD_OK;
}


static int
vod_idx_parse_stsd(vod_idx_ctx_t *ctx, vod_mp4_box_t *box, uint32_t handler,
    vod_idx_parse_t *t)
{
    int             rc;
    char            name[5];
    vod_env_t      *env;
    const u_char   *p;
    vod_mp4_box_t   entry;

    env = ctx->env;

    if (vod_idx_full_box(env, box, 4, "stsd") != VOD_OK) {
        return VOD_BAD_DATA;
    }

    if (vod_r32(box->data + 4) == 0) {
        env->log(env, "track %u: stsd has no sample entry", t->track_id);
        return VOD_BAD_DATA;
    }

    p = box->data + 8;

    rc = vod_mp4_next_box(env, &p, box->data + box->size, &entry);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u: stsd has no sample entry", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (entry.data - entry.start != 8) {
        env->log(env, "track %u: sample entry with a 64-bit size",
                 t->track_id);
        return VOD_BAD_DATA;
    }

    if (entry.size + 8 > VOD_MAX_SAMPLE_ENTRY) {
        env->log(env, "track %u: sample entry of %zu bytes over the limit",
                 t->track_id, entry.size + 8);
        return VOD_BAD_DATA;
    }

    t->entry = entry.start;
    t->entry_len = entry.size + 8;

    switch (entry.type) {

    case VOD_TAG('e', 'n', 'c', 'v'):
    case VOD_TAG('e', 'n', 'c', 'a'):
        env->log(env, "track %u is encrypted (%s)", t->track_id,
                 vod_mp4_type_str(entry.type, name));
        return VOD_UNSUPPORTED;

    case VOD_TAG('a', 'v', 'c', '1'):
    case VOD_TAG('a', 'v', 'c', '3'):
        if (handler != VOD_TAG('v', 'i', 'd', 'e')) {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_VIDEO;
        t->codec = VOD_CODEC_AVC;
        return vod_idx_parse_visual(ctx, &entry, t);

    case VOD_TAG('h', 'v', 'c', '1'):
    case VOD_TAG('h', 'e', 'v', '1'):
        if (handler != VOD_TAG('v', 'i', 'd', 'e')) {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_VIDEO;
        t->codec = VOD_CODEC_HEVC;
        return vod_idx_parse_visual(ctx, &entry, t);

    case VOD_TAG('a', 'v', '0', '1'):
        if (handler != VOD_TAG('v', 'i', 'd', 'e')) {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_VIDEO;
        t->codec = VOD_CODEC_AV1;
        return vod_idx_parse_visual(ctx, &entry, t);

    case VOD_TAG('m', 'p', '4', 'a'):
        if (handler != VOD_TAG('s', 'o', 'u', 'n')) {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_AUDIO;
        t->codec = VOD_CODEC_AAC;
        return vod_idx_parse_audio(ctx, &entry, t);

    case VOD_TAG('a', 'c', '-', '3'):
    case VOD_TAG('e', 'c', '-', '3'):
        if (handler != VOD_TAG('s', 'o', 'u', 'n')) {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_AUDIO;
        t->codec = (entry.type == VOD_TAG('a', 'c', '-', '3'))
                   ? VOD_CODEC_AC3 : VOD_CODEC_EAC3;
        return vod_idx_parse_audio(ctx, &entry, t);

    case VOD_TAG('t', 'x', '3', 'g'):
    case VOD_TAG('w', 'v', 't', 't'):
        /* text: 3GPP timed text (mov_text) or WebVTT in MP4, whichever
         * of the three text handlers the muxer wrote; its samples become
         * WebVTT cues (vod_mp4text.c) */
        if (handler == VOD_TAG('v', 'i', 'd', 'e')
            || handler == VOD_TAG('s', 'o', 'u', 'n'))
        {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_TEXT;
        t->codec = (entry.type == VOD_TAG('t', 'x', '3', 'g'))
                   ? VOD_CODEC_TX3G : VOD_CODEC_WVTT;
        memcpy(t->codec_str, t->codec == VOD_CODEC_TX3G ? "tx3g" : "wvtt",
               5);
        return VOD_OK;

    default:
        return VOD_IDX_SKIP;
    }
}


static int
vod_idx_parse_visual(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_idx_parse_t *t)
{
    int             rc;
    char            name[10];
    uint32_t        ctype;
    vod_env_t      *env;
    vod_mp4_box_t   box;

    env = ctx->env;

    /* SampleEntry (8) + VisualSampleEntry fields (70) */

    if (entry->size < 78) {
        env->log(env, "track %u: visual sample entry too short: %zu bytes",
                 t->track_id, entry->size);
        return VOD_BAD_DATA;
    }

    t->width = vod_r16(entry->data + 24);
    t->height = vod_r16(entry->data + 26);

    ctype = (t->codec == VOD_CODEC_AVC) ? VOD_TAG('a', 'v', 'c', 'C')
            : (t->codec == VOD_CODEC_HEVC) ? VOD_TAG('h', 'v', 'c', 'C')
            : VOD_TAG('a', 'v', '1', 'C');

    rc = vod_mp4_find_box(env, entry->data + 78, entry->size - 78, ctype,
                          &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u: %s sample entry without %s", t->track_id,
                 vod_mp4_type_str(entry->type, name),
                 vod_mp4_type_str(ctype, name + 5));
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    t->config = box.data;
    t->config_len = box.size;

    if (t->codec == VOD_CODEC_AV1) {
        return vod_idx_parse_av1(ctx, entry, &box, t);
    }

    if (t->codec == VOD_CODEC_AVC) {
        rc = vod_codec_avc(box.data, box.size, entry->type, t->codec_str,
                           &t->nal_length_size);

    } else {
        rc = vod_codec_hevc(box.data, box.size, entry->type, t->codec_str,
                            &t->nal_length_size);
    }

    if (rc != VOD_OK) {
        env->log(env, "track %u: malformed %s box", t->track_id,
                 t->codec == VOD_CODEC_AVC ? "avcC" : "hvcC");
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


static int
vod_idx_parse_audio(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_idx_parse_t *t)
{
    int                rc;
    size_t             at, asc_len;
    uint32_t           version, oti;
    vod_env_t         *env;
    const u_char      *asc;
    vod_mp4_box_t      box, wave;
    vod_aac_config_t   aac;

    env = ctx->env;

    /* SampleEntry (8) + AudioSampleEntry fields (20); QuickTime sound
     * description version 1 adds 16 bytes, version 2 adds 36 */

    if (entry->size < 28) {
        env->log(env, "track %u: audio sample entry too short: %zu bytes",
                 t->track_id, entry->size);
        return VOD_BAD_DATA;
    }

    version = vod_r16(entry->data + 8);
    at = (version == 1) ? 44 : ((version == 2) ? 64 : 28);

    if (entry->size < at) {
        env->log(env, "track %u: audio sample entry v%u too short: %zu "
                 "bytes", t->track_id, version, entry->size);
        return VOD_BAD_DATA;
    }

    t->channels = vod_r16(entry->data + 16);
    t->sample_rate = vod_r32(entry->data + 24) >> 16;

    if (t->codec != VOD_CODEC_AAC) {
        return vod_idx_parse_dolby(ctx, entry, at, t);
    }

    rc = vod_mp4_find_box(env, entry->data + at, entry->size - at,
                          VOD_TAG('e', 's', 'd', 's'), &box);

    if (rc == VOD_NOT_FOUND) {
        rc = vod_mp4_find_box(env, entry->data + at, entry->size - at,
                              VOD_TAG('w', 'a', 'v', 'e'), &wave);
        if (rc == VOD_OK) {
            rc = vod_mp4_find_box(env, wave.data, wave.size,
                                  VOD_TAG('e', 's', 'd', 's'), &box);
        }
    }

    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u: mp4a sample entry without esds",
                 t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (vod_codec_esds(box.data, box.size, &oti, &asc, &asc_len) != VOD_OK) {
        env->log(env, "track %u: malformed esds box", t->track_id);
        return VOD_BAD_DATA;
    }

    /* MPEG-4 audio, or MPEG-2 AAC main, LC, SSR */

    if (oti != 0x40 && oti != 0x66 && oti != 0x67 && oti != 0x68) {
        return VOD_IDX_SKIP;
    }

    if (asc == NULL || vod_codec_aac_config(asc, asc_len, &aac) != VOD_OK) {
        env->log(env, "track %u: malformed AudioSpecificConfig",
                 t->track_id);
        return VOD_BAD_DATA;
    }

    t->config = asc;
    t->config_len = asc_len;
    t->aac_object_type = aac.object_type;

    if (aac.sample_rate != 0) {
        t->sample_rate = aac.sample_rate;
    }

    if (aac.channels != 0) {
        t->channels = aac.channels;
    }

    vod_codec_aac(aac.object_type, t->codec_str);

    return VOD_OK;
}


/* av01: the codecs string from av1C, its colour fields from the colr box
 * or else the sequence header in av1C */

static int
vod_idx_parse_av1(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_mp4_box_t *av1c, vod_idx_parse_t *t)
{
    int             rc;
    vod_env_t      *env;
    vod_colour_t    c;
    vod_mp4_box_t   box;

    env = ctx->env;

    c.primaries = VOD_CICP_UNSPECIFIED;
    c.transfer = VOD_CICP_UNSPECIFIED;
    c.matrix = VOD_CICP_UNSPECIFIED;
    c.full_range = 0;

    rc = vod_mp4_find_box(env, entry->data + 78, entry->size - 78,
                          VOD_TAG('c', 'o', 'l', 'r'), &box);
    if (rc == VOD_OK) {
        rc = vod_hdr_colr(box.data, box.size, &c);
    }

    if (rc != VOD_OK) {
        rc = vod_hdr_av1(av1c->data, av1c->size, &c);
    }

    if (rc == VOD_BAD_DATA) {
        env->log(env, "track %u: malformed av1C box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (vod_codec_av1(av1c->data, av1c->size, &c, t->codec_str) != VOD_OK) {
        env->log(env, "track %u: malformed av1C box", t->track_id);
        return VOD_BAD_DATA;
    }

    return VOD_OK;
}


/* ac-3 / ec-3: the channels from dac3 / dec3 (the sample entry's count is
 * always 2 there), the codecs string the sample entry's type */

static int
vod_idx_parse_dolby(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry, size_t at,
    vod_idx_parse_t *t)
{
    int                  rc;
    char                 name[5];
    uint32_t             type;
    vod_env_t           *env;
    vod_mp4_box_t        box;
    vod_dolby_config_t   cfg;

    env = ctx->env;
    type = (t->codec == VOD_CODEC_AC3) ? VOD_TAG('d', 'a', 'c', '3')
                                       : VOD_TAG('d', 'e', 'c', '3');

    rc = vod_mp4_find_box(env, entry->data + at, entry->size - at, type,
                          &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u: %s sample entry without %s", t->track_id,
                 t->codec == VOD_CODEC_AC3 ? "ac-3" : "ec-3",
                 vod_mp4_type_str(type, name));
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (t->codec == VOD_CODEC_AC3) {
        rc = vod_codec_ac3(box.data, box.size, &cfg);

    } else {
        rc = vod_codec_eac3(box.data, box.size, &cfg);
    }

    if (rc != VOD_OK) {
        env->log(env, "track %u: malformed %s box", t->track_id,
                 vod_mp4_type_str(type, name));
        return VOD_BAD_DATA;
    }

    t->config = box.data;
    t->config_len = box.size;
    t->channels = cfg.channels;

    if (cfg.sample_rate != 0) {
        t->sample_rate = cfg.sample_rate;
    }

    memcpy(t->codec_str, t->codec == VOD_CODEC_AC3 ? "ac-3" : "ec-3", 5);

    return VOD_OK;
}


static int
vod_idx_parse_stbl(vod_idx_ctx_t *ctx, vod_mp4_box_t *stbl,
    vod_idx_parse_t *t)
{
    int             rc;
    char            name[5];
    size_t          need;
    uint32_t        n, bits;
    vod_env_t      *env;
    const u_char   *p, *end;
    vod_mp4_box_t   box, b_stts, b_stss;

    env = ctx->env;

    b_stts.data = NULL;
    b_stss.data = NULL;
    t->stsz_bits = 0;

    p = stbl->data;
    end = stbl->data + stbl->size;

    for ( ;; ) {
        rc = vod_mp4_next_box(env, &p, end, &box);
        if (rc == VOD_NOT_FOUND) {
            break;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        switch (box.type) {

        case VOD_TAG('s', 't', 't', 's'):
        case VOD_TAG('c', 't', 't', 's'):
        case VOD_TAG('s', 't', 's', 'c'):
        case VOD_TAG('s', 't', 'c', 'o'):
        case VOD_TAG('c', 'o', '6', '4'):
        case VOD_TAG('s', 't', 's', 's'):
            if (vod_idx_full_box(env, &box, 4,
                                 vod_mp4_type_str(box.type, name))
                != VOD_OK)
            {
                return VOD_BAD_DATA;
            }

            n = vod_r32(box.data + 4);

            switch (box.type) {
            case VOD_TAG('s', 't', 's', 'c'):
                need = 12;
                break;
            case VOD_TAG('s', 't', 'c', 'o'):
            case VOD_TAG('s', 't', 's', 's'):
                need = 4;
                break;
            default:
                need = 8;
            }

            if (n > (box.size - 8) / need) {
                env->log(env, "track %u: %s entry count %u overruns the box",
                         t->track_id, vod_mp4_type_str(box.type, name), n);
                return VOD_BAD_DATA;
            }

            break;

        default:
            continue;
        }

        switch (box.type) {

        case VOD_TAG('s', 't', 't', 's'):
            if (b_stts.data != NULL) {
                goto duplicate;
            }

            b_stts = box;
            break;

        case VOD_TAG('c', 't', 't', 's'):
            if (t->ctts != NULL) {
                goto duplicate;
            }

            t->ctts = box.data + 8;
            t->ctts_n = n;
            break;

        case VOD_TAG('s', 't', 's', 'c'):
            if (t->stsc != NULL) {
                goto duplicate;
            }

            t->stsc = box.data + 8;
            t->stsc_n = n;
            break;

        case VOD_TAG('s', 't', 'c', 'o'):
        case VOD_TAG('c', 'o', '6', '4'):
            if (t->chunks != NULL) {
                goto duplicate;
            }

            t->chunks = box.data + 8;
            t->chunk_n = n;
            t->co64 = (box.type == VOD_TAG('c', 'o', '6', '4'));
            break;

        case VOD_TAG('s', 't', 's', 's'):
            if (b_stss.data != NULL) {
                goto duplicate;
            }

            b_stss = box;
            break;
        }
    }

    /* stsz or stz2 */

    rc = vod_mp4_find_box(env, stbl->data, stbl->size,
                          VOD_TAG('s', 't', 's', 'z'), &box);
    if (rc == VOD_NOT_FOUND) {
        rc = vod_mp4_find_box(env, stbl->data, stbl->size,
                              VOD_TAG('s', 't', 'z', '2'), &box);
    }

    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u has no stsz box", t->track_id);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (vod_idx_full_box(env, &box, 8, "stsz") != VOD_OK) {
        return VOD_BAD_DATA;
    }

    n = vod_r32(box.data + 8);

    if (box.type == VOD_TAG('s', 't', 's', 'z')) {
        t->const_size = vod_r32(box.data + 4);
        bits = (t->const_size == 0) ? 32 : 0;

    } else {
        bits = box.data[7];

        if (bits != 4 && bits != 8 && bits != 16) {
            env->log(env, "track %u: stz2 field size %u", t->track_id,
                     bits);
            return VOD_BAD_DATA;
        }
    }

    if ((uint64_t) n * bits > (uint64_t) (box.size - 12) * 8) {
        env->log(env, "track %u: stsz sample count %u overruns the box",
                 t->track_id, n);
        return VOD_BAD_DATA;
    }

    t->stsz = box.data + 12;
    t->stsz_bits = bits;
    t->sample_count = n;

    if (t->stsc == NULL || t->chunks == NULL || b_stts.data == NULL) {
        env->log(env, "track %u lacks a %s box", t->track_id,
                 b_stts.data == NULL ? "stts"
                              : (t->stsc == NULL ? "stsc" : "stco"));
        return VOD_BAD_DATA;
    }

    if (n == 0) {
        /* an empty track, e.g. a placeholder: nothing to package */
        return VOD_IDX_SKIP;
    }

    if (n > VOD_MAX_SAMPLES) {
        env->log(env, "track %u: sample count %u over the limit %u",
                 t->track_id, n, VOD_MAX_SAMPLES);
        return VOD_BAD_DATA;
    }

    if (n > ctx->file_size) {
        env->log(env, "track %u: sample count %u exceeds the file size",
                 t->track_id, n);
        return VOD_BAD_DATA;
    }

    if (t->const_size > VOD_MAX_SAMPLE_SIZE) {
        env->log(env, "track %u: sample size %u over the limit",
                 t->track_id, t->const_size);
        return VOD_BAD_DATA;
    }

    if (t->stsc_n == 0) {
        env->log(env, "track %u: stsc is empty", t->track_id);
        return VOD_BAD_DATA;
    }

    rc = vod_idx_parse_stts(ctx, &b_stts, t);
    if (rc != VOD_OK) {
        return rc;
    }

    if (b_stss.data != NULL) {
        rc = vod_idx_parse_stss(ctx, &b_stss, t);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    t->size_width = vod_idx_size_width(t);

    return VOD_OK;

duplicate:

    env->log(env, "track %u: duplicate %s box", t->track_id,
             vod_mp4_type_str(box.type, name));

    return VOD_BAD_DATA;
}


static int
vod_idx_parse_stts(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t)
{
    int              rc;
    uint32_t         n, i, count, delta, best;
    uint64_t         total, dur;
    vod_env_t       *env;
    const u_char    *p;
    vod_idx_stts_t  *tts;

    env = ctx->env;

    n = vod_r32(box->data + 4);
    p = box->data + 8;

    rc = vod_idx_alloc(ctx, (size_t) n * sizeof(vod_idx_stts_t) + 1, "stts",
                       (void **) &tts);
    if (rc != VOD_OK) {
        return rc;
    }

    t->stts = tts;
    t->stts_n = 0;
    total = 0;
    dur = 0;
    best = 0;

    for (i = 0; i < n; i++, p += 8) {
        count = vod_idx_be32(p);
        delta = vod_idx_be32(p + 4);

        if (count == 0) {
            continue;
        }

        total += count;

        if (total > t->sample_count) {
            break;
        }

        dur += (uint64_t) count * delta;

        if (count > best) {
            best = count;
            t->fps_den = delta;
        }

        tts[t->stts_n].count = count;
        tts[t->stts_n].delta = delta;
        t->stts_n++;
    }

    if (total != t->sample_count) {
        env->log(env, "track %u: stsz sample count %u differs from stts "
                 "total %s%llu", t->track_id, t->sample_count,
                 i < n ? "over " : "", (unsigned long long) total);
        return VOD_BAD_DATA;
    }

    t->duration = dur;

    /* frame rate from the dominant sample duration */

    if (t->fps_den != 0) {
        best = (uint32_t) vod_gcd(t->timescale, t->fps_den);
        t->fps_num = t->timescale / best;
        t->fps_den /= best;

    } else {
        t->fps_num = 0;
        t->fps_den = 1;
    }

    return VOD_OK;
}


static int
vod_idx_parse_stss(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t)
{
    int            rc;
    uint32_t       n, i, s, prev;
    vod_env_t     *env;
    const u_char  *p;

    env = ctx->env;

    n = vod_r32(box->data + 4);
    p = box->data + 8;

    t->has_stss = 1;

    rc = vod_idx_alloc(ctx, (size_t) n * sizeof(uint32_t) + 1, "stss",
                       (void **) &t->sync);
    if (rc != VOD_OK) {
        return rc;
    }

    prev = 0;

    for (i = 0; i < n; i++, p += 4) {
        s = vod_idx_be32(p);

        if (s <= prev || s > t->sample_count) {
            env->log(env, "track %u: stss entry %u (sample %u) out of order "
                     "or beyond sample count %u", t->track_id, i, s,
                     t->sample_count);
            return VOD_BAD_DATA;
        }

        t->sync[i] = s - 1;
        prev = s;
    }

    t->sync_n = n;

    return VOD_OK;
}


/*
 * The bytes each sample size takes in the index: the fewest that hold the
 * largest (a bitwise or of them all has the largest's highest bit), 0 when
 * every sample has the one size stsz gives.  Audio frames and the frames
 * of a low bit rate rendition fit 1 or 2 bytes, where stsz spends 4.
 */

static uint32_t
vod_idx_size_width(vod_idx_parse_t *t)
{
    u_char         raw[4];
    uint32_t       i, n, all, half;
    uint64_t       v[4], w[4], high;
    const u_char  *p;

    static const u_char  high_bytes[8] = {
        0xff, 0xff, 0, 0, 0xff, 0xff, 0, 0
    };

    n = t->sample_count;
    p = t->stsz;
    all = 0;

    switch (t->stsz_bits) {

    case 0:
        return 0;

    case 4:
    case 8:
        return 1;

    case 16:
        for (i = 0; i < n; i++) {
            all |= vod_r16(p + 2 * i);
        }

        break;

    default:

        /* the or of the big-endian words as they lie, eight at a time
         * into four independent ors: the or is bytewise, so the swap is
         * done once, at the end; a size over 0xffff (a high byte set, in
         * either word of a load) ends the pass early */

        memcpy(&high, high_bytes, 8);
        w[0] = 0;
        w[1] = 0;
        w[2] = 0;
        w[3] = 0;

        for (i = n / 8; i != 0; i--, p += 32) {
            memcpy(v, p, 32);
            w[0] |= v[0];
            w[1] |= v[1];
            w[2] |= v[2];
            w[3] |= v[3];

            if (((w[0] | w[1] | w[2] | w[3]) & high) != 0) {
                return 4;
            }
        }

        w[0] |= w[1] | w[2] | w[3];
        half = (uint32_t) (w[0] | (w[0] >> 32));
        memcpy(raw, &half, 4);
        all = vod_idx_be32(raw);

        for (i = n % 8; i != 0; i--, p += 4) {
            all |= vod_idx_be32(p);
        }
    }

    return (all > 0xffff) ? 4 : ((all > 0xff) ? 2 : 1);
}
