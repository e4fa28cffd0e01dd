/*
 * vod_frag.c: fragmented MP4 input (ISO/IEC 14496-12 8.8), turned into
 * the moov a progressive file of the same samples would have.
 *
 * The moof boxes are read whole and kept, then walked twice with the
 * same code: the first walk checks everything and counts the entries of
 * each table to write (runs of equal durations and composition offsets,
 * runs of chunks of one sample count, sync samples, chunks); the new moov
 * is then laid out with the tables' headers written, and the second walk
 * fills their entries in place.  Nothing is kept per sample but what the
 * new moov holds.  A moov may list samples of its own before the
 * fragments' (ffmpeg's "frag_keyframe" without "empty_moov" puts the
 * first fragment there): each walk takes those first, through the same
 * counting (vod_frag_stbl.c).
 */

#include "vod_frag_int.h"


#define VOD_FRAG_WINDOW       4096

/* tfhd flags */
#define VOD_TFHD_BASE          0x000001
#define VOD_TFHD_DESC          0x000002
#define VOD_TFHD_DURATION      0x000008
#define VOD_TFHD_SIZE          0x000010
#define VOD_TFHD_FLAGS         0x000020
#define VOD_TFHD_BASE_IS_MOOF  0x020000

/* trun flags */
#define VOD_TRUN_DATA_OFFSET   0x000001
#define VOD_TRUN_FIRST_FLAGS   0x000004
#define VOD_TRUN_DURATION      0x000100
#define VOD_TRUN_SIZE          0x000200
#define VOD_TRUN_FLAGS         0x000400
#define VOD_TRUN_CTO           0x000800

#define VOD_SAMPLE_NON_SYNC    0x00010000


static int vod_frag_trex(vod_frag_ctx_t *ctx, vod_mp4_box_t *mvex);
static int vod_frag_read(vod_frag_ctx_t *ctx, uint64_t pos,
    size_t max_size);
static int vod_frag_keep(vod_frag_ctx_t *ctx, uint64_t pos, uint64_t size,
    const u_char *win, uint64_t wpos, uint64_t wlen, uint32_t *cap);
static int vod_frag_walk(vod_frag_ctx_t *ctx);
static int vod_frag_moof(vod_frag_ctx_t *ctx, vod_frag_moof_t *moof);
static int vod_frag_traf(vod_frag_ctx_t *ctx, vod_frag_moof_t *moof,
    vod_mp4_box_t *traf, uint64_t *prev_end);
static int vod_frag_trun(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    vod_mp4_box_t *trun, uint64_t base, uint64_t *pos,
    uint32_t def_duration, uint32_t def_size, uint32_t def_flags);
static void vod_frag_close(vod_frag_track_t *tr);
static inline void vod_frag_put_run(u_char *table, uint32_t n,
    uint32_t count, uint32_t value);
static inline uint32_t vod_frag_be32(const u_char *p);
static int vod_frag_gap(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    uint64_t tfdt);
static uint64_t vod_frag_tables_size(vod_frag_track_t *tr);
static u_char *vod_frag_rewrite(vod_frag_ctx_t *ctx, u_char *out,
    vod_mp4_box_t *box, uint32_t level, vod_frag_track_t *tr);
static u_char *vod_frag_tables(vod_frag_track_t *tr, u_char *p);
static u_char *vod_frag_table(u_char *p, const char *type, uint32_t version,
    uint32_t count, size_t entry, u_char **entries);
static u_char *vod_frag_copy(u_char *out, vod_mp4_box_t *box);
static void vod_w32_at(u_char *p, uint32_t v);
static void vod_w64_at(u_char *p, uint64_t v);


int
vod_frag_moov(vod_env_t *env, const u_char *moov, size_t moov_size,
    uint64_t moov_offset, uint64_t file_size, size_t max_size,
    const u_char **out, size_t *out_len)
{
    int                rc;
    size_t             hlen, n;
    u_char            *buf, *p;
    uint32_t           i;
    uint64_t           bound;
    const u_char      *q, *end;
    vod_mp4_box_t      mvex, top;
    vod_frag_ctx_t    *ctx;
    vod_frag_track_t  *tr;

    *out = moov;
    *out_len = moov_size;

    hlen = (moov_size >= 16 && vod_r32(moov) == 1) ? 16 : 8;

    if (moov_size < hlen) {
        return VOD_OK;
    }

    rc = vod_mp4_find_box(env, moov + hlen, moov_size - hlen,
                          VOD_TAG('m', 'v', 'e', 'x'), &mvex);
    if (rc == VOD_NOT_FOUND) {
        return VOD_OK;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    ctx = env->alloc(env, sizeof(vod_frag_ctx_t));
    if (ctx == NULL) {
        return VOD_ERROR;
    }

    memset(ctx, 0, sizeof(vod_frag_ctx_t));
    ctx->env = env;
    ctx->file_size = file_size;

    rc = vod_frag_trex(ctx, &mvex);
    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_frag_traks(ctx, moov + hlen, moov + moov_size);
    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_frag_read(ctx, moov_offset + moov_size, max_size);
    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_frag_walk(ctx);
    if (rc != VOD_OK) {
        return rc;
    }

    /* the rewritten containers' headers are no longer than the old ones,
     * and of the old stbl boxes only stsd is kept */

    bound = moov_size;

    for (i = 0; i < ctx->track_n; i++) {
        tr = &ctx->tracks[i];
        tr->first = tr->n;
        tr->co64 = (tr->max_offset > UINT32_MAX);
        bound += vod_frag_tables_size(tr);
    }

    if (bound > max_size || bound > UINT32_MAX) {
        env->log(env, "the moov of the fragments' %u samples would be over "
                 "%llu bytes, over the limit %zu", ctx->total,
                 (unsigned long long) bound, max_size);
        return VOD_BAD_DATA;
    }

    buf = env->alloc(env, (size_t) bound);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    /* the moov's children: mvex dropped, traks rewritten */

    p = buf + 8;
    q = moov + hlen;
    end = moov + moov_size;

    for ( ;; ) {
        rc = vod_mp4_next_box(env, &q, end, &top);
        if (rc == VOD_NOT_FOUND) {
            break;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        if (top.type == VOD_TAG('m', 'v', 'e', 'x')) {
            continue;
        }

        if (top.type == VOD_TAG('t', 'r', 'a', 'k')) {
            ctx->rc = VOD_BAD_DATA;

            p = vod_frag_rewrite(ctx, p, &top, 0, NULL);
            if (p == NULL) {
                return ctx->rc;
            }

            continue;
        }

        p = vod_frag_copy(p, &top);
    }

    n = p - buf;
    p = buf;
    vod_w32(p, n);
    vod_wtag(p, "moov");

    /* the entries, in place */

    ctx->fill = 1;
    ctx->total = 0;

    for (i = 0; i < ctx->track_n; i++) {
        tr = &ctx->tracks[i];

        if (tr->n.samples != 0 && tr->stts == NULL) {
            env->log(env, "track %u has fragments but no trak with an stbl",
                     tr->track_id);
            return VOD_BAD_DATA;
        }

        memset(&tr->n, 0, sizeof(vod_frag_count_t));
        tr->run_count = 0;
        tr->run_delta = 0;
        tr->cto_count = 0;
        tr->cto_last = 0;
        tr->chunk_samples = 0;
        tr->started = 0;
        tr->origin = 0;
        tr->next_dts = 0;
    }

    rc = vod_frag_walk(ctx);
    if (rc != VOD_OK) {
        return rc;
    }

    for (i = 0; i < ctx->track_n; i++) {
        tr = &ctx->tracks[i];

        vod_frag_close(tr);

        if (memcmp(&tr->n, &tr->first, sizeof(vod_frag_count_t)) != 0) {
            env->log(env, "track %u: the fragments' second walk differs",
                     tr->track_id);
            return VOD_ERROR;
        }
    }

    *out = buf;
    *out_len = n;

    return VOD_OK;
}


/* the tracks mvex lists, with their defaults */

static int
vod_frag_trex(vod_frag_ctx_t *ctx, vod_mp4_box_t *mvex)
{
    int                rc;
    uint32_t           id;
    vod_env_t         *env;
    const u_char      *p, *end;
    vod_mp4_box_t      box;
    vod_frag_track_t  *tr;

    env = ctx->env;
    p = mvex->data;
    end = mvex->data + mvex->size;

    for ( ;; ) {
        rc = vod_mp4_next_box(env, &p, end, &box);
        if (rc == VOD_NOT_FOUND) {
            break;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        if (box.type != VOD_TAG('t', 'r', 'e', 'x')) {
            continue;
        }

        if (box.size < 24) {
            env->log(env, "trex box too short: %zu bytes", box.size);
            return VOD_BAD_DATA;
        }

        id = vod_r32(box.data + 4);

        if (vod_frag_track(ctx, id) != NULL) {
            env->log(env, "track %u: duplicate trex box", id);
            return VOD_BAD_DATA;
        }

        if (ctx->track_n == VOD_MAX_TRACKS) {
            env->log(env, "more than %d trex boxes", VOD_MAX_TRACKS);
            return VOD_BAD_DATA;
        }

        tr = &ctx->tracks[ctx->track_n++];
        tr->track_id = id;
        tr->def_duration = vod_r32(box.data + 12);
        tr->def_size = vod_r32(box.data + 16);
        tr->def_flags = vod_r32(box.data + 20);
    }

    return VOD_OK;
}


/*
 * Every top-level box from pos to the end of the file, its header read
 * through a window of the file, which a moof and the mdat header after
 * it usually fit in: one read per fragment.  Each moof is kept whole.
 */

static int
vod_frag_read(vod_frag_ctx_t *ctx, uint64_t pos, size_t max_size)
{
    char           name[5];
    u_char         win[VOD_FRAG_WINDOW];
    uint32_t       boxes, type, cap;
    uint64_t       size, hlen, wpos, wlen, need, total;
    vod_env_t     *env;
    const u_char  *h;

    env = ctx->env;
    wpos = 0;
    wlen = 0;
    total = 0;
    cap = 0;

    for (boxes = 0; pos < ctx->file_size; boxes++) {

        if (boxes == VOD_FRAG_MAX_BOXES) {
            env->log(env, "more than %d top-level boxes after the moov",
                     VOD_FRAG_MAX_BOXES);
            return VOD_BAD_DATA;
        }

        if (ctx->file_size - pos < 8) {
            env->log(env, "truncated box header at offset %llu",
                     (unsigned long long) pos);
            return VOD_BAD_DATA;
        }

        need = ctx->file_size - pos < 16 ? ctx->file_size - pos : 16;

        if (pos < wpos || pos + need > wpos + wlen) {
            wpos = pos;
            wlen = ctx->file_size - pos;

            if (wlen > VOD_FRAG_WINDOW) {
                wlen = VOD_FRAG_WINDOW;
            }

            if (env->read(env, win, (size_t) wlen, (off_t) wpos)
                != (ssize_t) wlen)
            {
                return VOD_BAD_DATA;
            }
        }

        h = win + (pos - wpos);
        size = vod_r32(h);
        type = vod_r32(h + 4);
        hlen = 8;

        if (size == 1) {
            if (need < 16) {
                env->log(env, "truncated 64-bit box size at offset %llu",
                         (unsigned long long) pos);
                return VOD_BAD_DATA;
            }

            size = vod_r64(h + 8);
            hlen = 16;

        } else if (size == 0) {
            size = ctx->file_size - pos;
        }

        if (size < hlen || size > ctx->file_size - pos) {
            env->log(env, "top-level box \"%s\" at offset %llu has size %llu"
                     " beyond the file size %llu",
                     vod_mp4_type_str(type, name), (unsigned long long) pos,
                     (unsigned long long) size,
                     (unsigned long long) ctx->file_size);
            return VOD_BAD_DATA;
        }

        if (type == VOD_TAG('m', 'o', 'o', 'f')) {

            if (ctx->moof_n == VOD_FRAG_MAX_FRAGMENTS) {
                env->log(env, "more than %d moof boxes",
                         VOD_FRAG_MAX_FRAGMENTS);
                return VOD_BAD_DATA;
            }

            total += size;

            if (total > max_size) {
                env->log(env, "the moof boxes are over %zu bytes", max_size);
                return VOD_BAD_DATA;
            }

            if (vod_frag_keep(ctx, pos, size, win, wpos, wlen, &cap)
                != VOD_OK)
            {
                return VOD_BAD_DATA;
            }
        }

        pos += size;
    }

    return VOD_OK;
}


/* a moof box of size bytes at pos into the list, from the window when it
 * lies there */

static int
vod_frag_keep(vod_frag_ctx_t *ctx, uint64_t pos, uint64_t size,
    const u_char *win, uint64_t wpos, uint64_t wlen, uint32_t *cap)
{
    u_char           *data;
    vod_env_t        *env;
    vod_frag_moof_t  *moofs;

    env = ctx->env;

    if (ctx->moof_n == *cap) {
        *cap = (*cap == 0) ? 64 : *cap * 2;

        moofs = env->alloc(env, *cap * sizeof(vod_frag_moof_t));
        if (moofs == NULL) {
            return VOD_ERROR;
        }

        if (ctx->moof_n != 0) {
            memcpy(moofs, ctx->moofs, ctx->moof_n * sizeof(vod_frag_moof_t));
        }

        ctx->moofs = moofs;
    }

    data = env->alloc(env, (size_t) size);
    if (data == NULL) {
        return VOD_ERROR;
    }

    if (pos + size <= wpos + wlen) {
        memcpy(data, win + (pos - wpos), (size_t) size);

    } else if (env->read(env, data, (size_t) size, (off_t) pos)
               != (ssize_t) size)
    {
        return VOD_BAD_DATA;
    }

    ctx->moofs[ctx->moof_n].offset = pos;
    ctx->moofs[ctx->moof_n].data = data;
    ctx->moofs[ctx->moof_n].size = (size_t) size;
    ctx->moof_n++;

    return VOD_OK;
}


static int
vod_frag_walk(vod_frag_ctx_t *ctx)
{
    int       rc;
    uint32_t  i;

    for (i = 0; i < ctx->track_n; i++) {
        if (ctx->tracks[i].moov.samples != 0) {
            rc = vod_frag_moov_samples(ctx, &ctx->tracks[i]);
            if (rc != VOD_OK) {
                return rc;
            }
        }
    }

    for (i = 0; i < ctx->moof_n; i++) {
        rc = vod_frag_moof(ctx, &ctx->moofs[i]);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    return VOD_OK;
}


static int
vod_frag_moof(vod_frag_ctx_t *ctx, vod_frag_moof_t *moof)
{
    int             rc;
    size_t          hlen;
    uint64_t        prev_end;
    const u_char   *p, *end;
    vod_mp4_box_t   traf;

    hlen = (vod_r32(moof->data) == 1) ? 16 : 8;
    p = moof->data + hlen;
    end = moof->data + moof->size;

    /* the first traf's default base is the moof's first byte */
    prev_end = moof->offset;

    for ( ;; ) {
        rc = vod_mp4_next_box(ctx->env, &p, end, &traf);
        if (rc == VOD_NOT_FOUND) {
            return VOD_OK;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        if (traf.type != VOD_TAG('t', 'r', 'a', 'f')) {
            continue;
        }

        rc = vod_frag_traf(ctx, moof, &traf, &prev_end);
        if (rc != VOD_OK) {
            return rc;
        }
    }
}


/*
 * One traf: its tfhd's defaults over the trex's, its tfdt, its truns.
 * The base data offset is tfhd's when it gives one, else the moof's first
 * byte for the first traf and with default-base-is-moof, else the end of
 * the previous traf's data (*prev_end, which is updated).
 */

static int
vod_frag_traf(vod_frag_ctx_t *ctx, vod_frag_moof_t *moof,
    vod_mp4_box_t *traf, uint64_t *prev_end)
{
    int                rc;
    size_t             need;
    uint32_t           flags, id, duration, size, sflags;
    uint64_t           base, pos, tfdt;
    vod_env_t         *env;
    const u_char      *p, *end;
    vod_mp4_box_t      tfhd, box;
    vod_frag_track_t  *tr;

    env = ctx->env;

    rc = vod_mp4_find_box(env, traf->data, traf->size,
                          VOD_TAG('t', 'f', 'h', 'd'), &tfhd);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "traf without tfhd in the moof at offset %llu",
                 (unsigned long long) moof->offset);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (tfhd.size < 8) {
        env->log(env, "tfhd box too short: %zu bytes", tfhd.size);
        return VOD_BAD_DATA;
    }

    flags = vod_r24(tfhd.data + 1);
    id = vod_r32(tfhd.data + 4);

    need = 8 + ((flags & VOD_TFHD_BASE) ? 8 : 0)
           + ((flags & VOD_TFHD_DESC) ? 4 : 0)
           + ((flags & VOD_TFHD_DURATION) ? 4 : 0)
           + ((flags & VOD_TFHD_SIZE) ? 4 : 0)
           + ((flags & VOD_TFHD_FLAGS) ? 4 : 0);

    if (tfhd.size < need) {
        env->log(env, "track %u: tfhd box of flags 0x%06x too short: %zu "
                 "bytes", id, flags, tfhd.size);
        return VOD_BAD_DATA;
    }

    tr = vod_frag_track(ctx, id);
    if (tr == NULL) {
        env->log(env, "traf of track %u, which has no trex box", id);
        return VOD_BAD_DATA;
    }

    p = tfhd.data + 8;
    base = *prev_end;

    if (flags & VOD_TFHD_BASE) {
        base = vod_r64(p);
        p += 8;

    } else if (flags & VOD_TFHD_BASE_IS_MOOF) {
        base = moof->offset;
    }

    if (flags & VOD_TFHD_DESC) {
        p += 4;
    }

    duration = tr->def_duration;
    size = tr->def_size;
    sflags = tr->def_flags;

    if (flags & VOD_TFHD_DURATION) {
        duration = vod_r32(p);
        p += 4;
    }

    if (flags & VOD_TFHD_SIZE) {
        size = vod_r32(p);
        p += 4;
    }

    if (flags & VOD_TFHD_FLAGS) {
        sflags = vod_r32(p);
    }

    if (base > ctx->file_size) {
        env->log(env, "track %u: base data offset %llu beyond the file",
                 id, (unsigned long long) base);
        return VOD_BAD_DATA;
    }

    /* tfdt */

    rc = vod_mp4_find_box(env, traf->data, traf->size,
                          VOD_TAG('t', 'f', 'd', 't'), &box);
    if (rc == VOD_OK) {
        if (box.size < 8 || (box.data[0] == 1 && box.size < 12)) {
            env->log(env, "track %u: tfdt box too short: %zu bytes", id,
                      box.size);
            return VOD_BAD_DATA;
        }

        tfdt = (box.data[0] == 1) ? vod_r64(box.data + 4)
                                  : vod_r32(box.data + 4);

        rc = vod_frag_gap(ctx, tr, tfdt);
    }

    if (rc != VOD_OK && rc != VOD_NOT_FOUND) {
        return rc;
    }

    tr->started = 1;

    /* the truns, in order: one without a data offset follows the one
     * before it, the first at the base */

    pos = base;
    p = traf->data;
    end = traf->data + traf->size;

    for ( ;; ) {
        rc = vod_mp4_next_box(env, &p, end, &box);
        if (rc == VOD_NOT_FOUND) {
            break;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        if (box.type != VOD_TAG('t', 'r', 'u', 'n')) {
            continue;
        }

        rc = vod_frag_trun(ctx, tr, &box, base, &pos, duration, size,
                           sflags);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    *prev_end = pos;

    return VOD_OK;
}


static int
vod_frag_trun(vod_frag_ctx_t *ctx, vod_frag_track_t *tr, vod_mp4_box_t *trun,
    uint64_t base, uint64_t *pos, uint32_t def_duration, uint32_t def_size,
    uint32_t def_flags)
{
    size_t          per, at;
    int32_t         data_offset, cto;
    uint32_t        flags, count, i, first_flags, duration, size, sflags;
    uint32_t        version;
    uint64_t        start, offset;
    vod_env_t      *env;
    const u_char   *p;

    env = ctx->env;

    if (trun->size < 8) {
        env->log(env, "track %u: trun box too short: %zu bytes",
                 tr->track_id, trun->size);
        return VOD_BAD_DATA;
    }

    version = trun->data[0];
    flags = vod_r24(trun->data + 1);
    count = vod_r32(trun->data + 4);
    at = 8 + ((flags & VOD_TRUN_DATA_OFFSET) ? 4 : 0)
         + ((flags & VOD_TRUN_FIRST_FLAGS) ? 4 : 0);
    per = ((flags & VOD_TRUN_DURATION) ? 4 : 0)
          + ((flags & VOD_TRUN_SIZE) ? 4 : 0)
          + ((flags & VOD_TRUN_FLAGS) ? 4 : 0)
          + ((flags & VOD_TRUN_CTO) ? 4 : 0);

    if (trun->size < at
        || (per != 0 && count > (trun->size - at) / per))
    {
        env->log(env, "track %u: trun claims %u samples in %zu bytes",
                 tr->track_id, count, trun->size);
        return VOD_BAD_DATA;
    }

    if (count == 0) {
        return VOD_OK;
    }

    if (!(flags & VOD_TRUN_SIZE) && def_size == 0) {
        env->log(env, "track %u: trun of %u samples without a size",
                 tr->track_id, count);
        return VOD_BAD_DATA;
    }

    if (count > VOD_MAX_SAMPLES - ctx->total) {
        env->log(env, "the fragments hold more than %u samples",
                 VOD_MAX_SAMPLES);
        return VOD_BAD_DATA;
    }

    p = trun->data + 8;
    start = *pos;

    if (flags & VOD_TRUN_DATA_OFFSET) {
        data_offset = (int32_t) vod_r32(p);
        p += 4;

        if (data_offset < 0 && (uint64_t) -(int64_t) data_offset > base) {
            env->log(env, "track %u: trun data offset %d before the file",
                     tr->track_id, data_offset);
            return VOD_BAD_DATA;
        }

        start = base + data_offset;
    }

    first_flags = def_flags;

    if (flags & VOD_TRUN_FIRST_FLAGS) {
        first_flags = vod_r32(p);
        p += 4;
    }

    /* every sample's data must lie in the file: at least a byte each,
     * which bounds the samples a trun of defaults can claim */

    if (start > ctx->file_size || count > ctx->file_size - start) {
        env->log(env, "track %u: trun of %u samples at offset %llu beyond "
                 "the file", tr->track_id, count,
                 (unsigned long long) start);
        return VOD_BAD_DATA;
    }

    vod_frag_chunk(ctx, tr, start, count);

    offset = start;

    for (i = 0; i < count; i++) {
        duration = def_duration;
        size = def_size;
        sflags = (i == 0) ? first_flags : def_flags;
        cto = 0;

        if (flags & VOD_TRUN_DURATION) {
            duration = vod_frag_be32(p);
            p += 4;
        }

        if (flags & VOD_TRUN_SIZE) {
            size = vod_frag_be32(p);
            p += 4;
        }

        if (flags & VOD_TRUN_FLAGS) {
            sflags = vod_frag_be32(p);
            p += 4;
        }

        if (flags & VOD_TRUN_CTO) {
            cto = (int32_t) vod_frag_be32(p);
            p += 4;

            if (version == 0 && cto < 0) {
                env->log(env, "track %u: trun v0 composition offset %u "
                         "over 2^31", tr->track_id, (uint32_t) cto);
                return VOD_BAD_DATA;
            }
        }

        if (size > VOD_MAX_SAMPLE_SIZE) {
            env->log(env, "track %u: sample size %u over the limit",
                     tr->track_id, size);
            return VOD_BAD_DATA;
        }

        offset += size;

        vod_frag_sample(ctx, tr, duration, size, cto,
                        !(sflags & VOD_SAMPLE_NON_SYNC));
    }

    if (offset > ctx->file_size) {
        env->log(env, "track %u: trun data at offset %llu runs %llu bytes "
                 "past the end of the file", tr->track_id,
                 (unsigned long long) start,
                 (unsigned long long) (offset - ctx->file_size));
        return VOD_BAD_DATA;
    }

    *pos = offset;

    return VOD_OK;
}


/* one chunk of count samples at start (a trun's, or one the moov lists)
 * into stsc and stco or co64 */

void
vod_frag_chunk(vod_frag_ctx_t *ctx, vod_frag_track_t *tr, uint64_t start,
    uint32_t count)
{
    size_t  at;

    tr->n.chunks++;

    if (tr->n.chunks == 1 || tr->chunk_samples != count) {
        tr->n.stsc_n++;
        tr->chunk_samples = count;

        if (ctx->fill) {
            at = 12 * (size_t) (tr->n.stsc_n - 1);
            vod_w32_at(tr->stsc + at, tr->n.chunks);
            vod_w32_at(tr->stsc + at + 4, count);
            vod_w32_at(tr->stsc + at + 8, 1);
        }
    }

    if (ctx->fill) {
        if (tr->co64) {
            vod_w64_at(tr->chunk + 8 * (size_t) (tr->n.chunks - 1), start);

        } else {
            vod_w32_at(tr->chunk + 4 * (size_t) (tr->n.chunks - 1),
                       (uint32_t) start);
        }

    } else if (start > tr->max_offset) {
        tr->max_offset = start;
    }
}


/*
 * One sample into the runs (and, in the second walk, the tables).  A run
 * of stts or ctts is written when it closes: when a sample starts the
 * next, a tfdt gap splits it, or the walk ends (vod_frag_close()).
 */

void
vod_frag_sample(vod_frag_ctx_t *ctx, vod_frag_track_t *tr, uint32_t duration,
    uint32_t size, int32_t cto, uint32_t sync)
{
    uint32_t  i;

    i = tr->n.samples++;
    ctx->total++;
    tr->next_dts += duration;

    if (duration != tr->run_delta || i == 0) {
        if (ctx->fill && i != 0) {
            vod_frag_put_run(tr->stts, tr->n.stts_n, tr->run_count,
                             tr->run_delta);
        }

        tr->n.stts_n++;
        tr->run_count = 1;
        tr->run_delta = duration;

    } else {
        tr->run_count++;
    }

    if (cto != tr->cto_last || i == 0) {
        if (ctx->fill && i != 0 && tr->ctts != NULL) {
            vod_frag_put_run(tr->ctts, tr->n.ctts_n, tr->cto_count,
                             (uint32_t) tr->cto_last);
        }

        tr->n.ctts_n++;
        tr->cto_count = 1;
        tr->cto_last = cto;

    } else {
        tr->cto_count++;
    }

    if (sync) {
        tr->n.sync_n++;

        if (ctx->fill && tr->stss != NULL) {
            vod_w32_at(tr->stss + 4 * (tr->n.sync_n - 1), i + 1);
        }
    }

    if (!ctx->fill) {
        if (i == 0) {
            tr->size0 = size;

        } else if (size != tr->size0) {
            tr->var_size = 1;
        }

        tr->any_cto |= (cto != 0);
        tr->neg_cto |= (cto < 0);

    } else if (tr->var_size) {
        vod_w32_at(tr->stsz + 4 * i, size);
    }
}


/* the runs still open at the end of the second walk */

static void
vod_frag_close(vod_frag_track_t *tr)
{
    if (tr->n.samples == 0) {
        return;
    }

    vod_frag_put_run(tr->stts, tr->n.stts_n, tr->run_count, tr->run_delta);

    if (tr->ctts != NULL) {
        vod_frag_put_run(tr->ctts, tr->n.ctts_n, tr->cto_count,
                         (uint32_t) tr->cto_last);
    }
}


/* run n (1-based) of a table of {count, value} entries */

static inline void
vod_frag_put_run(u_char *table, uint32_t n, uint32_t count, uint32_t value)
{
    vod_w32_at(table + 8 * (n - 1), count);
    vod_w32_at(table + 8 * (n - 1) + 4, value);
}


static inline uint32_t
vod_frag_be32(const u_char *p)
{
    uint32_t  v;

    memcpy(&v, p, 4);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif

    return v;
}


/*
 * A traf's tfdt: the first is the track's start; a later one past the
 * decode time the durations reached adds the gap to the last sample's
 * duration (one sample's run split off), as a progressive file's stts
 * would say it; one before it is left to the durations.
 */

static int
vod_frag_gap(vod_frag_ctx_t *ctx, vod_frag_track_t *tr, uint64_t tfdt)
{
    uint64_t  gap;

    if (!tr->started) {
        tr->origin = tfdt;
        return VOD_OK;
    }

    if (tfdt < tr->origin || tfdt - tr->origin <= tr->next_dts
        || tr->n.samples == 0)
    {
        return VOD_OK;
    }

    gap = tfdt - tr->origin - tr->next_dts;

    if (gap > UINT32_MAX - tr->run_delta) {
        ctx->env->log(ctx->env, "track %u: tfdt %llu leaves a gap of %llu",
                      tr->track_id, (unsigned long long) tfdt,
                      (unsigned long long) gap);
        return VOD_BAD_DATA;
    }

    tr->next_dts += gap;

    if (tr->run_count > 1) {
        if (ctx->fill) {
            vod_frag_put_run(tr->stts, tr->n.stts_n, tr->run_count - 1,
                             tr->run_delta);
        }

        tr->n.stts_n++;
        tr->run_count = 1;
    }

    tr->run_delta += (uint32_t) gap;

    return VOD_OK;
}


vod_frag_track_t *
vod_frag_track(vod_frag_ctx_t *ctx, uint32_t id)
{
    uint32_t  i;

    for (i = 0; i < ctx->track_n; i++) {
        if (ctx->tracks[i].track_id == id) {
            return &ctx->tracks[i];
        }
    }

    return NULL;
}


/* the track of a trak, by its tkhd's id, in *tr: NULL when the trak has
 * no tkhd (or one too short to hold the id) or mvex does not list the id
 * (such a trak is copied as it is); an error when its boxes are malformed */

int
vod_frag_trak_track(vod_frag_ctx_t *ctx, vod_mp4_box_t *trak,
    vod_frag_track_t **tr)
{
    int            rc;
    vod_mp4_box_t  tkhd;

    *tr = NULL;

    rc = vod_mp4_find_box(ctx->env, trak->data, trak->size,
                          VOD_TAG('t', 'k', 'h', 'd'), &tkhd);
    if (rc != VOD_OK) {
        return (rc == VOD_NOT_FOUND) ? VOD_OK : rc;
    }

    /* the version byte read only when the box has one */
    if (tkhd.size >= 16 && (tkhd.data[0] != 1 || tkhd.size >= 24)) {
        *tr = vod_frag_track(ctx, vod_r32(tkhd.data
                                          + (tkhd.data[0] == 1 ? 20 : 12)));
    }

    return VOD_OK;
}


/* the bytes of a track's new sample tables, box headers included */

static uint64_t
vod_frag_tables_size(vod_frag_track_t *tr)
{
    uint64_t  n;

    n = 16 + 8 * (uint64_t) tr->n.stts_n
        + 16 + 12 * (uint64_t) tr->n.stsc_n
        + 20 + (tr->var_size ? 4 * (uint64_t) tr->n.samples : 0)
        + 16 + (tr->co64 ? 8 : 4) * (uint64_t) tr->n.chunks;

    if (tr->any_cto) {
        n += 16 + 8 * (uint64_t) tr->n.ctts_n;
    }

    if (tr->n.sync_n != tr->n.samples) {
        n += 16 + 4 * (uint64_t) tr->n.sync_n;
    }

    return n;
}


/*
 * A box copied into out, with trak (level 0), mdia (1) and minf (2)
 * rewritten down to stbl (3), which keeps only its stsd and gets the new
 * tables.  A trak whose track mvex does not list is copied as it is.
 * Returns the end of what was written, NULL (logged) on a malformed box.
 */

static u_char *
vod_frag_rewrite(vod_frag_ctx_t *ctx, u_char *out, vod_mp4_box_t *box,
    uint32_t level, vod_frag_track_t *tr)
{
    int             rc;
    u_char         *p;
    const u_char   *q, *end;
    vod_mp4_box_t   child;

    static const uint32_t  next[3] = {
        VOD_TAG('m', 'd', 'i', 'a'),
        VOD_TAG('m', 'i', 'n', 'f'),
        VOD_TAG('s', 't', 'b', 'l')
    };

    if (level == 0) {
        if (vod_frag_trak_track(ctx, box, &tr) != VOD_OK) {
            return NULL;
        }

        if (tr == NULL) {
            return vod_frag_copy(out, box);
        }
    }

    p = out + 8;
    q = box->data;
    end = box->data + box->size;

    for ( ;; ) {
        rc = vod_mp4_next_box(ctx->env, &q, end, &child);
        if (rc == VOD_NOT_FOUND) {
            break;
        }

        if (rc != VOD_OK) {
            return NULL;
        }

        if (level == 3) {
            if (child.type == VOD_TAG('s', 't', 's', 'd')) {
                p = vod_frag_copy(p, &child);
                continue;
            }

            /* the old tables: their samples, if any, were walked */

            continue;
        }

        if (child.type == next[level]) {
            p = vod_frag_rewrite(ctx, p, &child, level + 1, tr);
            if (p == NULL) {
                return NULL;
            }

            continue;
        }

        p = vod_frag_copy(p, &child);
    }

    if (level == 3) {
        if (tr->stts != NULL) {
            ctx->env->log(ctx->env, "track %u: a second stbl or trak",
                          tr->track_id);
            return NULL;
        }

        p = vod_frag_tables(tr, p);
    }

    vod_w32_at(out, p - out);
    memcpy(out + 4, box->start + 4, 4);

    return p;
}


/* stts, ctts, stss, stsc, stsz and stco or co64, their entries left for
 * the second walk */

static u_char *
vod_frag_tables(vod_frag_track_t *tr, u_char *p)
{
    p = vod_frag_table(p, "stts", 0, tr->n.stts_n, 8, &tr->stts);

    if (tr->any_cto) {
        p = vod_frag_table(p, "ctts", tr->neg_cto ? 1 : 0, tr->n.ctts_n, 8,
                           &tr->ctts);
    }

    if (tr->n.sync_n != tr->n.samples) {
        p = vod_frag_table(p, "stss", 0, tr->n.sync_n, 4, &tr->stss);
    }

    p = vod_frag_table(p, "stsc", 0, tr->n.stsc_n, 12, &tr->stsc);

    /* stsz: version and flags, the constant size (0 when they vary) and
     * the count */

    vod_w32(p, 20 + (tr->var_size ? 4 * (size_t) tr->n.samples : 0));
    vod_wtag(p, "stsz");
    vod_w32(p, 0);
    vod_w32(p, tr->var_size ? 0 : tr->size0);
    vod_w32(p, tr->n.samples);
    tr->stsz = p;

    if (tr->var_size) {
        p += 4 * (size_t) tr->n.samples;
    }

    return vod_frag_table(p, tr->co64 ? "co64" : "stco", 0, tr->n.chunks,
                          tr->co64 ? 8 : 4, &tr->chunk);
}


static u_char *
vod_frag_table(u_char *p, const char *type, uint32_t version, uint32_t count,
    size_t entry, u_char **entries)
{
    vod_w32(p, 16 + entry * count);
    vod_wtag(p, type);
    vod_w32(p, version << 24);
    vod_w32(p, count);

    *entries = p;

    return p + entry * count;
}


static u_char *
vod_frag_copy(u_char *out, vod_mp4_box_t *box)
{
    size_t  n;

    n = (box->data - box->start) + box->size;
    memcpy(out, box->start, n);

    return out + n;
}


static void
vod_w32_at(u_char *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
    memcpy(p, &v, 4);
#else
    vod_w32(p, v);
#endif
}


static void
vod_w64_at(u_char *p, uint64_t v)
{
    vod_w64(p, v);
}
