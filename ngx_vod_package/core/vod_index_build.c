/*
 * vod_index_build.c: vod_index_build() and vod_index_build_to(): parse the
 * moov (vod_index_parse.c), cut it into segments (vod_index_cut.c), then
 * lay out and fill the blob (vod_index_int.h describes it).  The fill
 * checks what the parse left unchecked: ctts and stsc entries, sample
 * sizes, and that every chunk's samples lie inside the file; it records a
 * decode cursor at each segment start and the tracks' bitrates.  Every
 * allocation is charged to the build's memory budget (vod_idx_alloc()).
 */

#include "vod_index_int.h"


/* the chunk walk of vod_idx_fill_cursors() */
typedef struct {
    const vod_idx_stsc_t  *stsc;
    const uint32_t        *co32;          /* one of co32 and co64 */
    const uint64_t        *co64;
    const u_char          *sizes;         /* NULL when constant */
    uint32_t               width;         /* bytes per size */
    uint64_t               file_size;
    uint64_t               total;         /* bytes of the chunks walked */
    uint32_t               csize;
    uint32_t               nruns;
    uint32_t               nchunks;
    uint32_t               run;
    uint32_t               chunk;         /* the next chunk */
    uint32_t               last;          /* the end of the run's chunks */
    uint32_t               spc;           /* the run's samples per chunk */
    uint32_t               sample;        /* the next chunk's first */
} vod_idx_walk_t;


static uint32_t vod_idx_copy_be32(uint32_t *dst, const u_char *src,
    uint32_t n);
static uint32_t vod_idx_ctts_size(vod_idx_parse_t *t);
static size_t vod_idx_track_size(vod_idx_parse_t *t, uint32_t segments);
static int vod_idx_fill(vod_idx_ctx_t *ctx, u_char *blob, uint64_t *off,
    uint32_t n);
static int vod_idx_fill_ctts(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    vod_idx_track_t *it, u_char *p);
static int vod_idx_fill_stsc(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    vod_idx_stsc_t *stsc);
static int vod_idx_fill_sizes(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    u_char *sizes);
static inline uint32_t vod_idx_check_chunks(const uint32_t *co32,
    const uint64_t *co64, const u_char *sizes, uint32_t width,
    uint32_t csize, uint32_t spc, uint32_t m, uint64_t fs, uint64_t *total)
    __attribute__((always_inline));
static int vod_idx_walk_to(vod_idx_walk_t *w, uint32_t next);
static int vod_idx_fill_cursors(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    u_char *blob, vod_idx_track_t *it);
static uint64_t vod_idx_boundaries(const u_char *index,
    const vod_idx_track_t *it, const vod_idx_cursor_t *cur, uint32_t n,
    uint64_t duration, uint32_t delay, uint64_t *out);


/* n big-endian u32 to native order, two per 64-bit load and swap, four
 * per iteration; returns a bitwise or of them all */

static uint32_t
vod_idx_copy_be32(uint32_t *dst, const u_char *src, uint32_t n)
{
    uint32_t  i;
    uint64_t  v, w, all;

    all = 0;

    for (i = n / 4; i != 0; i--, src += 16, dst += 4) {
        memcpy(&v, src, 8);
        memcpy(&w, src + 8, 8);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
        v = __builtin_bswap64(v);
        v = (v >> 32) | (v << 32);
        w = __builtin_bswap64(w);
        w = (w >> 32) | (w << 32);
#endif

        memcpy(dst, &v, 8);
        memcpy(dst + 2, &w, 8);
        all |= v | w;
    }

    for (i = n % 4; i != 0; i--, src += 4, dst++) {
        *dst = vod_idx_be32(src);
        all |= *dst;
    }

    return (uint32_t) (all | (all >> 32));
}


/*
 * Every allocation of a build goes through here and is charged against
 * ctx->budget (vod_index.h), so no count a file claims buys more memory
 * than a small multiple of its moov: past the budget the build stops with
 * VOD_BAD_DATA and one log line, before the allocation is made.
 */

int
vod_idx_alloc(vod_idx_ctx_t *ctx, size_t size, const char *what, void **p)
{
    vod_env_t  *env;

    env = ctx->env;

    if (size > ctx->budget - ctx->used) {
        env->log(env, "index needs over %llu bytes (%s of %zu bytes after "
                 "%llu), the bound for a moov of %zu bytes",
                 (unsigned long long) ctx->budget, what, size,
                 (unsigned long long) ctx->used, ctx->moov_size);
        return VOD_BAD_DATA;
    }

    ctx->used += size;

    if (p == NULL) {
        /* charged only: the caller allocates elsewhere */
        return VOD_OK;
    }

    *p = env->alloc(env, size);
    if (*p == NULL) {
        env->log(env, "%s allocation of %zu bytes failed", what, size);
        return VOD_ERROR;
    }

    return VOD_OK;
}


int
vod_index_build(vod_env_t *env, const u_char *moov, size_t moov_size,
    uint64_t file_size, uint32_t segment_ms, u_char **index,
    size_t *index_len)
{
    return vod_index_build_to(env, moov, moov_size, file_size, segment_ms,
                              NULL, NULL, index, index_len);
}


int
vod_index_build_to(vod_env_t *env, const u_char *moov, size_t moov_size,
    uint64_t file_size, uint32_t segment_ms, vod_index_alloc_pt alloc,
    void *data, u_char **index, size_t *index_len)
{
    int                 rc;
    size_t              size;
    u_char             *blob;
    uint32_t            i;
    uint64_t            off;
    const u_char       *p, *end;
    vod_mp4_box_t       box;
    vod_idx_ctx_t      *ctx;
    vod_idx_header_t   *hdr;

    if (segment_ms == 0) {
        env->log(env, "segment duration is 0");
        return VOD_ERROR;
    }

    if (moov_size > file_size) {
        env->log(env, "moov size %zu exceeds the file size %llu",
                 moov_size, (unsigned long long) file_size);
        return VOD_BAD_DATA;
    }

    p = moov;
    end = moov + moov_size;

    rc = vod_mp4_next_box(env, &p, end, &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "empty moov buffer");
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (box.type != VOD_TAG('m', 'o', 'o', 'v')) {
        env->log(env, "the buffer does not start with a moov box");
        return VOD_BAD_DATA;
    }

    ctx = env->alloc(env, sizeof(vod_idx_ctx_t));
    if (ctx == NULL) {
        env->log(env, "index context allocation failed");
        return VOD_ERROR;
    }

    memset(ctx, 0, sizeof(vod_idx_ctx_t));
    ctx->env = env;
    ctx->file_size = file_size;
    ctx->segment_ms = segment_ms;
    ctx->moov_size = moov_size;
    ctx->budget = vod_index_mem_bound(moov_size);
    ctx->used = sizeof(vod_idx_ctx_t);

    rc = vod_idx_parse_moov(ctx, box.data, box.size);
    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_idx_segment(ctx);
    if (rc != VOD_OK) {
        return rc;
    }

    size = sizeof(vod_idx_header_t);

    for (i = 0; i < ctx->track_count; i++) {
        size += vod_idx_track_size(&ctx->tracks[i], ctx->segment_count);
    }

    if (size > UINT32_MAX) {
        env->log(env, "index of %zu bytes is too large", size);
        return VOD_UNSUPPORTED;
    }

    /* the scratch vod_idx_fill_cursors() reuses for every track */

    rc = vod_idx_alloc(ctx, (size_t) (ctx->segment_count + 1)
                            * sizeof(uint64_t), "segment size table",
                       (void **) &ctx->seg_bytes);
    if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_idx_alloc(ctx, (size_t) (ctx->segment_count + 1)
                            * sizeof(uint64_t), "segment time table",
                       (void **) &ctx->bound);
    if (rc != VOD_OK) {
        return rc;
    }

    if (alloc != NULL) {
        rc = vod_idx_alloc(ctx, size, "index", NULL);
        if (rc != VOD_OK) {
            return rc;
        }

        blob = alloc(data, size);
        if (blob == NULL) {
            env->log(env, "index allocation of %zu bytes failed", size);
            return VOD_ERROR;
        }

    } else {
        rc = vod_idx_alloc(ctx, size, "index", (void **) &blob);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    memset(blob, 0, sizeof(vod_idx_header_t));

    hdr = (vod_idx_header_t *) blob;
    hdr->magic = VOD_IDX_MAGIC;
    hdr->version = VOD_IDX_VERSION;
    hdr->len = size;
    hdr->track_count = ctx->track_count;
    hdr->segment_count = ctx->segment_count;
    hdr->segment_ms = segment_ms;

    off = sizeof(vod_idx_header_t);

    for (i = 0; i < ctx->track_count; i++) {
        hdr->track[i] = (uint32_t) off;

        rc = vod_idx_fill(ctx, blob, &off, i);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    vod_idx_probe_keys(ctx, blob);

    *index = blob;
    *index_len = size;

    /* a file built: the tracks it left out, in one line */
    vod_idx_log_skipped(ctx);

    return VOD_OK;
}


/* ctts bytes in the blob: the box's runs, or one int32 per sample when
 * that is smaller, or one run carrying the edit list shift */

static uint32_t
vod_idx_ctts_size(vod_idx_parse_t *t)
{
    if (t->ctts == NULL) {
        return t->media_time != 0 ? sizeof(vod_idx_ctts_t) : 0;
    }

    t->ctts_flat = ((uint64_t) t->ctts_n * sizeof(vod_idx_ctts_t)
                    > (uint64_t) t->sample_count * sizeof(int32_t));

    return t->ctts_flat ? t->sample_count * sizeof(int32_t)
                        : t->ctts_n * sizeof(vod_idx_ctts_t);
}


static size_t
vod_idx_track_size(vod_idx_parse_t *t, uint32_t segments)
{
    size_t  size;

    size = vod_idx_align(sizeof(vod_idx_track_t));
    size += vod_idx_align(t->entry_len);
    size += vod_idx_align((size_t) t->stts_n * sizeof(vod_idx_stts_t));
    size += vod_idx_align((size_t) vod_idx_ctts_size(t));

    size += vod_idx_align((size_t) t->stsc_n * sizeof(vod_idx_stsc_t));
    size += vod_idx_align((size_t) t->chunk_n * (t->co64 ? 8 : 4));
    size += vod_idx_align((size_t) t->sample_count * t->size_width);
    size += vod_idx_align((size_t) t->sync_n * 4);
    size += (size_t) (segments + 1) * sizeof(vod_idx_cursor_t);

    return size;
}


static int
vod_idx_fill(vod_idx_ctx_t *ctx, u_char *blob, uint64_t *off, uint32_t n)
{
    int               rc;
    u_char           *p;
    uint32_t          i;
    uint64_t         *co64;
    vod_idx_parse_t  *t;
    vod_idx_track_t  *it;

    t = &ctx->tracks[n];
    p = blob + *off;

    it = (vod_idx_track_t *) p;
    memset(it, 0, sizeof(vod_idx_track_t));
    p += vod_idx_align(sizeof(vod_idx_track_t));

    it->type = t->type;
    it->codec = t->codec;
    it->track_id = t->track_id;
    it->timescale = t->timescale;
    it->duration = t->duration + t->delay;
    it->delay = t->delay;
    it->sample_count = t->sample_count;
    it->width = t->width;
    it->height = t->height;
    it->orient = t->orient;
    it->nal_length_size = t->nal_length_size;
    it->sample_rate = t->sample_rate;
    it->channels = t->channels;
    it->aac_object_type = t->aac_object_type;
    it->segment_count = ctx->segment_count;

    if (t->type == VOD_TRACK_VIDEO) {
        it->fps_num = t->fps_num;
        it->fps_den = t->fps_den;
    }

    memcpy(it->codec_str, t->codec_str, VOD_CODEC_STR_LEN);
    it->codec_str[VOD_CODEC_STR_LEN - 1] = '\0';
    memcpy(it->lang, t->lang, 4);

    vod_idx_pad(p, t->entry_len);
    it->sample_entry = p - blob;
    it->sample_entry_len = (uint32_t) t->entry_len;
    memcpy(p, t->entry, t->entry_len);
    p += vod_idx_align(t->entry_len);

    /* a text track has no decoder configuration: an empty one at the
     * entry's start */
    it->dec_config = it->sample_entry
                     + (t->config != NULL ? t->config - t->entry : 0);
    it->dec_config_len = (uint32_t) t->config_len;

    vod_idx_pad(p, (size_t) t->stts_n * sizeof(vod_idx_stts_t));
    it->stts = p - blob;
    it->stts_count = t->stts_n;
    memcpy(p, t->stts, (size_t) t->stts_n * sizeof(vod_idx_stts_t));
    p += vod_idx_align((size_t) t->stts_n * sizeof(vod_idx_stts_t));

    vod_idx_pad(p, (size_t) vod_idx_ctts_size(t));
    it->ctts = p - blob;
    rc = vod_idx_fill_ctts(ctx, t, it, p);
    if (rc != VOD_OK) {
        return rc;
    }

    p += vod_idx_align((size_t) vod_idx_ctts_size(t));

    vod_idx_pad(p, (size_t) t->stsc_n * sizeof(vod_idx_stsc_t));
    it->stsc = p - blob;
    it->stsc_count = t->stsc_n;
    rc = vod_idx_fill_stsc(ctx, t, (vod_idx_stsc_t *) p);
    if (rc != VOD_OK) {
        return rc;
    }

    p += vod_idx_align((size_t) t->stsc_n * sizeof(vod_idx_stsc_t));

    vod_idx_pad(p, (size_t) t->chunk_n * (t->co64 ? 8 : 4));
    it->chunks = p - blob;
    it->chunk_count = t->chunk_n;
    it->co64 = t->co64;

    if (t->co64) {
        co64 = (uint64_t *) p;

        for (i = 0; i < t->chunk_n; i++) {
            co64[i] = vod_idx_be64(t->chunks + 8 * i);
        }

        p += vod_idx_align((size_t) t->chunk_n * 8);

    } else {
        (void) vod_idx_copy_be32((uint32_t *) p, t->chunks, t->chunk_n);

        p += vod_idx_align((size_t) t->chunk_n * 4);
    }

    it->const_size = t->const_size;
    it->size_width = t->size_width;

    if (t->size_width) {
        vod_idx_pad(p, (size_t) t->sample_count * t->size_width);
        it->sizes = p - blob;

        rc = vod_idx_fill_sizes(ctx, t, p);
        if (rc != VOD_OK) {
            return rc;
        }

        p += vod_idx_align((size_t) t->sample_count * t->size_width);
    }

    vod_idx_pad(p, (size_t) t->sync_n * 4);
    it->stss = p - blob;
    it->stss_count = t->sync_n;
    it->has_stss = t->has_stss;
    if (t->sync_n != 0) {
        memcpy(p, t->sync, (size_t) t->sync_n * 4);
    }
    p += vod_idx_align((size_t) t->sync_n * 4);

    it->cursors = p - blob;
    p += (size_t) (ctx->segment_count + 1) * sizeof(vod_idx_cursor_t);

    rc = vod_idx_fill_cursors(ctx, t, blob, it);
    if (rc != VOD_OK) {
        return rc;
    }

    *off = p - blob;

    return VOD_OK;
}


static int
vod_idx_fill_ctts(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    vod_idx_track_t *it, u_char *blob_ctts)
{
    int32_t         *flat, raw, lo, hi, o, shift;
    int64_t          v, media_time;
    uint32_t         i, n, count, left, is_flat;
    uint64_t         total;
    vod_env_t       *env;
    const u_char    *p, *end;
    vod_idx_ctts_t  *ctts;

    env = ctx->env;
    ctts = (vod_idx_ctts_t *) blob_ctts;
    flat = (int32_t *) blob_ctts;

    /* the offsets' range: an MPEG-TS muxer moves the whole track's
     * decode times by one amount from it (vod_ts.c) */
    it->ctts_min = (int32_t) -t->media_time;
    it->ctts_max = (int32_t) -t->media_time;

    if (t->ctts == NULL) {
        if (t->media_time == 0) {
            it->ctts_count = 0;
            return VOD_OK;
        }

        ctts[0].count = t->sample_count;
        ctts[0].offset = (int32_t) -t->media_time;
        it->ctts_count = 1;

        return VOD_OK;
    }

    /*
     * One pass over the runs: the offsets' least and greatest as read
     * (version 0 offsets are unsigned by the letter of the spec, but
     * writers put negative values there too: both read as signed), the
     * edit list's shift applied on the way out.  The shifted range is
     * checked once at the end, the runs looked at again only to name the
     * first offset out of it.  In locals: a store through flat may alias
     * it->ctts_min.
     */

    p = t->ctts;
    end = p + 8 * (size_t) t->ctts_n;
    media_time = t->media_time;
    shift = (int32_t) -media_time;
    is_flat = t->ctts_flat;
    left = t->sample_count;
    lo = INT32_MAX;
    hi = INT32_MIN;
    count = 0;
    n = 0;

    for ( /* void */ ; p < end; p += 8) {
        count = vod_idx_be32(p);

        if (count == 0) {
            continue;
        }

        raw = (int32_t) vod_idx_be32(p + 4);

        lo = (raw < lo) ? raw : lo;
        hi = (raw > hi) ? raw : hi;

        if (count > left) {
            break;
        }

        /* wraps where the shifted offset is out of range: not kept then */
        o = (int32_t) ((uint32_t) raw + (uint32_t) shift);

        if (!is_flat) {
            ctts[n].count = count;
            ctts[n].offset = o;
            n++;

        } else if (count <= 2 && left > 2) {
            /* the B-frame patterns' runs of one or two, without a loop:
             * a second store past a run of one lies inside the section
             * (samples remain) and the next run overwrites it */
            flat[0] = o;
            flat[1] = o;
            flat += count;

        } else {
            i = count;

            do {
                *flat++ = o;
            } while (--i != 0);
        }

        left -= count;
    }

    if (lo <= hi
        && ((int64_t) lo - media_time < INT32_MIN
            || (int64_t) hi - media_time > INT32_MAX))
    {
        for (p = t->ctts; p < end; p += 8) {
            v = (int64_t) (int32_t) vod_idx_be32(p + 4) - media_time;

            if (vod_idx_be32(p) != 0 && (v < INT32_MIN || v > INT32_MAX)) {
                env->log(env, "track %u: composition offset %lld out of "
                         "range", t->track_id, (long long) v);
                return VOD_BAD_DATA;
            }
        }
    }

    if (lo <= hi) {
        it->ctts_min = (int32_t) (lo - media_time);
        it->ctts_max = (int32_t) (hi - media_time);

    } else {
        it->ctts_min = INT32_MAX;
        it->ctts_max = INT32_MIN;
    }

    total = (uint64_t) t->sample_count - left;

    if (p < end) {
        total += count;
    }

    if (total != t->sample_count) {
        env->log(env, "track %u: ctts total %s%llu differs from sample "
                 "count %u", t->track_id, p < end ? "over " : "",
                 (unsigned long long) total, t->sample_count);
        return VOD_BAD_DATA;
    }

    if (t->sample_count == 0) {
        it->ctts_min = 0;
        it->ctts_max = 0;
    }

    it->ctts_count = t->ctts_flat ? t->sample_count : n;
    it->ctts_flat = t->ctts_flat;

    return VOD_OK;
}


static int
vod_idx_fill_stsc(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    vod_idx_stsc_t *stsc)
{
    uint32_t       i, first, prev, spc;
    vod_env_t     *env;
    const u_char  *p;

    env = ctx->env;
    p = t->stsc;
    prev = 0;

    for (i = 0; i < t->stsc_n; i++, p += 12) {
        first = vod_idx_be32(p);
        spc = vod_idx_be32(p + 4);

        if ((i == 0 && first != 1) || first <= prev || first > t->chunk_n) {
            env->log(env, "track %u: stsc entry %u has first chunk %u "
                     "(previous %u, %u chunks)", t->track_id, i, first,
                     prev, t->chunk_n);
            return VOD_BAD_DATA;
        }

        if (vod_idx_be32(p + 8) != 1) {
            env->log(env, "track %u: more than one sample description is "
                     "not supported", t->track_id);
            return VOD_UNSUPPORTED;
        }

        if (spc > VOD_MAX_SAMPLES) {
            env->log(env, "track %u: stsc entry %u has %u samples per chunk",
                     t->track_id, i, spc);
            return VOD_BAD_DATA;
        }

        stsc[i].first_chunk = first - 1;
        stsc[i].samples = spc;
        prev = first;
    }

    return VOD_OK;
}


/* the sizes, t->size_width bytes each (vod_idx_size_width() chose the
 * width from the largest, so none is cut) */

static int
vod_idx_fill_sizes(vod_idx_ctx_t *ctx, vod_idx_parse_t *t, u_char *out)
{
    uint16_t      *o16;
    uint32_t       i, n, max, *sizes;
    uint64_t       v, w, x, y;
    const u_char  *p;

    n = t->sample_count;
    p = t->stsz;
    o16 = (uint16_t *) out;
    sizes = (uint32_t *) out;
    max = 0;

    switch (t->stsz_bits) {

    case 32:
        if (t->size_width == 4) {
            max = vod_idx_copy_be32(sizes, p, n);
            break;
        }

        /* the low bytes of each big-endian size: its last two, or its
         * last one */

        if (t->size_width == 2) {
            for (i = n / 4; i != 0; i--, p += 16, o16 += 4) {
                v = vod_idx_be64(p);
                w = vod_idx_be64(p + 8);
                o16[0] = (uint16_t) (v >> 32);
                o16[1] = (uint16_t) v;
                o16[2] = (uint16_t) (w >> 32);
                o16[3] = (uint16_t) w;
            }

            for (i = n % 4; i != 0; i--, p += 4) {
                *o16++ = (uint16_t) vod_idx_be32(p);
            }

        } else {
            for (i = n / 8; i != 0; i--, p += 32, out += 8) {
                v = vod_idx_be64(p);
                w = vod_idx_be64(p + 8);
                x = vod_idx_be64(p + 16);
                y = vod_idx_be64(p + 24);
                out[0] = (u_char) (v >> 32);
                out[1] = (u_char) v;
                out[2] = (u_char) (w >> 32);
                out[3] = (u_char) w;
                out[4] = (u_char) (x >> 32);
                out[5] = (u_char) x;
                out[6] = (u_char) (y >> 32);
                out[7] = (u_char) y;
            }

            for (i = n % 8; i != 0; i--, p += 4) {
                *out++ = (u_char) vod_idx_be32(p);
            }
        }

        return VOD_OK;

    case 16:
        if (t->size_width == 2) {
            for (i = 0; i < n; i++) {
                o16[i] = vod_r16(p + 2 * i);
            }

        } else {
            for (i = 0; i < n; i++) {
                out[i] = (u_char) vod_r16(p + 2 * i);
            }
        }

        return VOD_OK;

    case 8:
        memcpy(out, p, n);
        return VOD_OK;

    default:
        for (i = 0; i < n; i++) {
            out[i] = (i & 1) ? (p[i / 2] & 0x0f) : (p[i / 2] >> 4);
        }

        return VOD_OK;
    }

    /* max is an upper bound of every size (a bitwise or of them all);
     * look for the culprit only when it crosses the limit */

    if (max > VOD_MAX_SAMPLE_SIZE) {
        for (i = 0; i < n; i++) {
            if (sizes[i] > VOD_MAX_SAMPLE_SIZE) {
                ctx->env->log(ctx->env, "track %u: sample %u size %u over "
                              "the limit", t->track_id, i, sizes[i]);
                return VOD_BAD_DATA;
            }
        }
    }

    return VOD_OK;
}


/*
 * Check that m whole chunks of spc samples each lie inside the file: co32
 * or co64 point at the first chunk's offset, sizes (NULL when every size
 * is csize; width bytes each) at its first sample's size.  Returns the
 * number of chunks that pass, m when all do, and adds their bytes to
 * *total.  Always inlined, so each call with a constant width compiles to
 * loops of its own.
 */

static inline uint32_t
vod_idx_check_chunks(const uint32_t *co32, const uint64_t *co64,
    const u_char *sizes, uint32_t width, uint32_t csize, uint32_t spc,
    uint32_t m, uint64_t fs, uint64_t *total)
{
    uint32_t  i, j, k, v;
    uint64_t  off, sum, bytes;

    sum = 0;

    if (sizes == NULL) {
        bytes = (uint64_t) spc * csize;

        for (j = 0; j < m; j++) {
            off = (co64 != NULL) ? co64[j] : co32[j];

            if (off > fs || bytes > fs - off) {
                break;
            }
        }

        *total += j * bytes;

        return j;
    }

    if (spc == 1 && co64 == NULL) {

        /* the common case of one sample per chunk: both operands are
         * under 2^32, so their sum cannot wrap */

        for (j = 0; j < m; j++) {
            v = vod_idx_size(sizes, width, j);

            if ((uint64_t) co32[j] + v > fs) {
                break;
            }

            sum += v;
        }

        *total += sum;

        return j;
    }

    if (spc == 2 && co64 == NULL) {
        for (j = 0; j < m; j++) {
            bytes = (uint64_t) vod_idx_size(sizes, width, 2 * j)
                    + vod_idx_size(sizes, width, 2 * j + 1);

            if (co32[j] + bytes > fs) {
                break;
            }

            sum += bytes;
        }

        *total += sum;

        return j;
    }

    k = 0;

    for (j = 0; j < m; j++) {
        off = (co64 != NULL) ? co64[j] : co32[j];
        bytes = 0;

        for (i = 0; i < spc; i++, k++) {
            bytes += vod_idx_size(sizes, width, k);
        }

        if (off > fs || bytes > fs - off) {
            break;
        }

        sum += bytes;
    }

    *total += sum;

    return j;
}


/*
 * Walk whole chunks up to sample next: every chunk whose samples all lie
 * before it, through as many stsc runs as that takes, checking each lies
 * inside the file.  Stops at the chunk holding sample next, at a last
 * chunk with fewer samples than its run's, or after the last run.  Returns
 * VOD_BAD_DATA with w->chunk and w->sample at a chunk beyond the file.
 */

static int
vod_idx_walk_to(vod_idx_walk_t *w, uint32_t next)
{
    int                    rc;
    uint32_t               c, s, m, j, run, last, spc, nruns, nchunks;
    uint32_t               csize, width;
    uint64_t               fs, total;
    const u_char          *sizes, *sz;
    const uint32_t        *co32, *c32;
    const uint64_t        *co64, *c64;
    const vod_idx_stsc_t  *stsc;

    /* all in locals: the stores to w would otherwise force reloads */

    stsc = w->stsc;
    co32 = w->co32;
    co64 = w->co64;
    sizes = w->sizes;
    width = w->width;
    fs = w->file_size;
    total = w->total;
    csize = w->csize;
    nruns = w->nruns;
    nchunks = w->nchunks;
    run = w->run;
    last = w->last;
    spc = w->spc;
    c = w->chunk;
    s = w->sample;
    rc = VOD_OK;

    for ( ;; ) {
        if (c == last) {
            if (++run >= nruns) {
                break;
            }

            last = (run + 1 < nruns) ? stsc[run + 1].first_chunk : nchunks;
            spc = stsc[run].samples;
            continue;
        }

        if (spc == 0) {
            c = last;
            continue;
        }

        /* s never passes next; the chunk holding next ends the walk */

        if (spc > next - s) {
            break;
        }

        m = last - c;

        if ((uint64_t) m * spc > next - s) {
            m = (next - s) / spc;
        }

        c32 = (co64 != NULL) ? NULL : co32 + c;
        c64 = (co64 != NULL) ? co64 + c : NULL;
        sz = (sizes != NULL) ? sizes + (size_t) s * width : NULL;

        switch (width) {

        case 1:
            j = vod_idx_check_chunks(c32, c64, sz, 1, csize, spc, m, fs,
                                     &total);
            break;

        case 2:
            j = vod_idx_check_chunks(c32, c64, sz, 2, csize, spc, m, fs,
                                     &total);
            break;

        default:
            j = vod_idx_check_chunks(c32, c64, sz, 4, csize, spc, m, fs,
                                     &total);
        }

        c += j;
        s += j * spc;

        if (j < m) {
            rc = VOD_BAD_DATA;
            break;
        }
    }

    w->total = total;
    w->run = run;
    w->last = last;
    w->spc = spc;
    w->chunk = c;
    w->sample = s;

    return rc;
}


/*
 * Walk the chunks once: check every chunk's samples lie inside the file,
 * sum the sizes, and record the decode cursor at each segment start.
 */

static int
vod_idx_fill_cursors(vod_idx_ctx_t *ctx, vod_idx_parse_t *t, u_char *blob,
    vod_idx_track_t *it)
{
    u_char            *sizes;
    uint32_t           s, n, k, c, seg, nseg, i, spc, stts_run, ctts_run;
    uint32_t           count, next, width, *co32, *cut;
    uint64_t           off, sum, part, total, size, bytes, dur, rate;
    uint64_t           first, dts, *co64, *seg_bytes, *bound;
    vod_env_t         *env;
    vod_idx_walk_t     w;
    vod_idx_ctts_t    *ctts;
    vod_idx_stts_t    *stts;
    vod_idx_stsc_t    *stsc;
    vod_idx_cursor_t  *cur;

    env = ctx->env;
    nseg = ctx->segment_count;

    cur = (vod_idx_cursor_t *) (blob + it->cursors);
    stts = (vod_idx_stts_t *) (blob + it->stts);
    ctts = (vod_idx_ctts_t *) (blob + it->ctts);
    stsc = (vod_idx_stsc_t *) (blob + it->stsc);
    sizes = it->sizes ? blob + it->sizes : NULL;
    width = it->size_width;
    co32 = (uint32_t *) (blob + it->chunks);
    co64 = (uint64_t *) (blob + it->chunks);

    memset(cur, 0, (size_t) (nseg + 1) * sizeof(vod_idx_cursor_t));

    seg_bytes = ctx->seg_bytes;

    /* stts, ctts and stss positions at each segment start */

    stts_run = 0;
    ctts_run = 0;
    first = 0;
    dts = 0;
    k = 0;

    for (seg = 0; seg <= nseg; seg++) {
        s = t->cut[seg];
        cur[seg].sample = s;

        while (stts_run < it->stts_count
               && first + stts[stts_run].count <= s)
        {
            dts += (uint64_t) stts[stts_run].count * stts[stts_run].delta;
            first += stts[stts_run].count;
            stts_run++;
        }

        cur[seg].stts_run = stts_run;
        cur[seg].dts = dts;

        if (stts_run < it->stts_count) {
            cur[seg].dts += (s - first) * (uint64_t) stts[stts_run].delta;
            cur[seg].stts_left = stts[stts_run].count
                                 - (uint32_t) (s - first);
        }

        if (it->ctts_flat) {
            continue;
        }

        while (ctts_run < it->ctts_count && k + ctts[ctts_run].count <= s) {
            k += ctts[ctts_run].count;
            ctts_run++;
        }

        cur[seg].ctts_run = ctts_run;

        if (ctts_run < it->ctts_count) {
            cur[seg].ctts_left = ctts[ctts_run].count - (s - k);
        }
    }

    /* the chunk walk; t->cut[nseg] is sample_count, a sentinel that no
     * chunk passes, so next is always a sample the walk has yet to reach */

    count = t->sample_count;
    cut = t->cut;
    seg = 0;
    next = cut[0];

    w.stsc = stsc;
    w.co32 = it->co64 ? NULL : co32;
    w.co64 = it->co64 ? co64 : NULL;
    w.sizes = sizes;
    w.width = width;
    w.file_size = ctx->file_size;
    w.total = 0;
    w.csize = it->const_size;
    w.nruns = it->stsc_count;
    w.nchunks = it->chunk_count;
    w.run = 0;
    w.chunk = 0;
    w.last = (w.nruns > 1) ? stsc[1].first_chunk : w.nchunks;
    w.spc = stsc[0].samples;
    w.sample = 0;

    while (w.sample < count) {
        if (vod_idx_walk_to(&w, next) != VOD_OK) {
            goto beyond;
        }

        if (w.sample == count || w.run >= w.nruns) {
            break;
        }

        /* the chunk holding segment starts, or the last samples: its
         * sizes are summed once, each start taking the running sum */

        s = w.sample;
        c = w.chunk;
        spc = w.spc;
        n = count - s;
        n = (spc < n) ? spc : n;
        part = 0;
        i = 0;

        while (next < s + n) {
            k = next - s;

            if (sizes != NULL) {
                for ( /* void */ ; i < k; i++) {
                    part += vod_idx_size(sizes, width, s + i);
                }

            } else {
                part = (uint64_t) k * w.csize;
            }

            if (part > UINT32_MAX) {
                env->log(env, "track %u: chunk %u is over 4 GB",
                         t->track_id, c);
                return VOD_UNSUPPORTED;
            }

            cur[seg].chunk_pos = (uint32_t) part;
            cur[seg].chunk = c;
            cur[seg].chunk_left = spc - k;
            seg_bytes[seg] = w.total + part;
            seg++;
            next = cut[seg];
        }

        off = it->co64 ? co64[c] : co32[c];

        if (sizes != NULL) {
            for (sum = part; i < n; i++) {
                sum += vod_idx_size(sizes, width, s + i);
            }

        } else {
            sum = (uint64_t) n * w.csize;
        }

        if (off > w.file_size || sum > w.file_size - off) {
            goto beyond;
        }

        w.total += sum;
        w.sample += n;
        w.chunk++;
    }

    if (w.sample < count) {
        env->log(env, "track %u: stsc and stco map %u samples, stsz has %u",
                 t->track_id, w.sample, count);
        return VOD_BAD_DATA;
    }

    total = w.total;

    /* a text track's segments past its last sample (the walk ended before
     * their cuts) start at its end */

    while (seg < nseg) {
        cur[seg].sample = t->sample_count;
        seg_bytes[seg++] = total;
    }

    cur[nseg].sample = t->sample_count;
    cur[nseg].dts = t->duration;
    seg_bytes[nseg] = total;

    /* bitrates, over the durations the manifests will give: the peak
     * over each segment's, the average over their sum (so never above
     * the peak, where decode times let a delayed track's average pass
     * it) */

    it->total_bytes = total;

    bound = ctx->bound;

    it->duration = vod_idx_boundaries(blob, it, cur, nseg, t->duration,
                                      t->delay, bound);

    if (it->duration != 0) {
        it->avg_bitrate = vod_idx_muldiv(total * 8, t->timescale,
                                         it->duration, 0);
    }

    for (seg = 0; seg <= nseg; seg++) {
        cur[seg].time = bound[seg];
    }

    rate = 0;

    for (seg = 0; seg < nseg; seg++) {
        bytes = seg_bytes[seg + 1] - seg_bytes[seg];
        dur = bound[seg + 1] - bound[seg];

        if (bytes > VOD_MAX_SEGMENT_BYTES) {
            env->log(env, "track %u: segment %u has %llu bytes, over the "
                     "limit", t->track_id, seg, (unsigned long long) bytes);
            return VOD_UNSUPPORTED;
        }

        if (dur == 0) {
            continue;
        }

        if (it->shortest == 0 || dur < it->shortest) {
            it->shortest = dur;
        }

        size = vod_idx_muldiv(bytes * 8, t->timescale, dur, 0);

        if (size > rate) {
            rate = size;
        }
    }

    it->peak_bitrate = rate;

    return VOD_OK;

beyond:

    c = w.chunk;
    s = w.sample;
    n = count - s;
    n = (w.spc < n) ? w.spc : n;
    off = it->co64 ? co64[c] : co32[c];
    sum = (uint64_t) n * w.csize;

    if (sizes != NULL) {
        for (sum = 0, i = 0; i < n; i++) {
            sum += vod_idx_size(sizes, width, s + i);
        }
    }

    env->log(env, "track %u: chunk %u data (offset %llu, %llu bytes) lies "
             "beyond the end of the file", t->track_id, c,
             (unsigned long long) off, (unsigned long long) sum);

    return VOD_BAD_DATA;
}


/*
 * The times of a track's segment boundaries, as manifests give them,
 * worked out once when the index is built (vod_idx_cursor_t.time): when
 * each segment's first sample is presented, composition offsets and the
 * edit list's shift applied, not when it is decoded.  With B-frames the
 * two differ by a frame or two, and by a different amount in another
 * codec's rendition of the same title, so decode times gave HEVC 3.96 s
 * + 4.04 s where H.264 has 4 + 4, and the MPD's S@t ran a frame ahead of
 * the media.  The first segment starts at 0, the title's start, whatever
 * is presented first: AAC's priming (ffmpeg's first edit starts the
 * audio 1024 samples in) is presented before it, B-frame video without
 * an edit list a frame or two after it.  The last segment ends when the
 * track's presentation does: its samples' durations after its first
 * sample's presentation (the frames tile the time after it), so that
 * such audio no longer lasts its priming longer than its source, nor
 * such video its delay shorter.  A track its empty edits delay
 * (vod_idx_parse_elst()) is presented that much later: the delay is in
 * its offsets already, and its first segment, starting at 0, takes it.
 * Where that leaves no tick for each segment (a hostile ctts): decode
 * times and the delay, as a text track's always are (its segments past
 * its last sample all start at its end).  Returns the track's end.
 */

static uint64_t
vod_idx_boundaries(const u_char *index, const vod_idx_track_t *it,
    const vod_idx_cursor_t *cur, uint32_t n, uint64_t duration,
    uint32_t delay, uint64_t *out)
{
    int64_t   t, end;
    uint32_t  i;

    for (i = 0; i <= n; i++) {
        out[i] = cur[i].dts;
    }

    end = -1;

    if (it->type != VOD_TRACK_TEXT && duration <= INT64_MAX / 2) {
        end = (int64_t) duration + vod_idx_cursor_delay(index, it, &cur[0]);
    }

    if (n >= 1 && end >= (int64_t) n) {
        /* whatever a hostile ctts says, boundaries stay increasing, with
         * a tick left for each segment after them */

        out[0] = 0;

        for (i = 1; i < n; i++) {
            t = (int64_t) cur[i].dts
                + vod_idx_cursor_delay(index, it, &cur[i]);

            if (t <= (int64_t) out[i - 1]) {
                t = (int64_t) out[i - 1] + 1;
            }

            if (t > end - (int64_t) (n - i)) {
                t = end - (int64_t) (n - i);
            }

            out[i] = (uint64_t) t;
        }

        out[n] = (uint64_t) end;

        return out[n];
    }

    for (i = 1; i <= n; i++) {
        out[i] += delay;
    }

    return out[n];
}
