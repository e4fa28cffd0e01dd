/*
 * vod_index.c: the MP4 (ISO/IEC 14496-12) parser and the sample index.
 *
 * The index is one flat blob, every reference an offset from its start:
 *
 *   vod_idx_header_t
 *   per track:
 *     vod_idx_track_t             description, table counts and offsets
 *     sample entry                copied verbatim; the decoder config
 *                                 is a range inside it
 *     stts runs                   {count, delta}, zero-count runs dropped
 *     ctts                        {count, pts - dts} runs, edit list
 *                                 applied; or one int32 per sample when
 *                                 that is smaller (B-frame patterns)
 *     stsc runs                   {first chunk (0-based), samples}
 *     chunk offsets               u32 (from stco) or u64 (from co64)
 *     sample sizes                u32, absent when constant
 *     sync samples                0-based sample numbers
 *     cursors                     decode state at each segment's first
 *                                 sample, plus one at the end (the stsc
 *                                 run and the stss position are found by
 *                                 binary search when a segment is read)
 *
 * Every section starts 8-byte aligned; the blob's base is expected to be
 * at least 8-byte aligned (malloc, pool and slab memory are).
 */

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_mp4.h"
#include "vod_codec.h"


#define VOD_IDX_MAGIC      0x78646976     /* "vidx" read little-endian */
#define VOD_IDX_VERSION    2

#define VOD_IDX_SKIP       1              /* a track we do not package */

/* 72 hours of 1 s segments: keeps a hostile file of tiny samples from
 * making an index of millions of cursors */
#define VOD_IDX_MAX_SEGMENTS  (72 * 3600)

#define vod_idx_align(n)   (((n) + 7) & ~((uint64_t) 7))

/* zero a section's alignment padding (under 8 bytes, at its end) before
 * the section is written, so the blob holds no stale allocator bytes */
#define vod_idx_pad(p, n)                                                    \
    if (vod_idx_align(n) != (n)) {                                           \
        memset((p) + vod_idx_align(n) - 8, 0, 8);                            \
    }

#define VOD_TAG(a, b, c, d)  vod_mp4_tag(a, b, c, d)


typedef struct {
    uint32_t       magic;
    uint32_t       version;
    uint64_t       len;
    uint32_t       track_count;
    uint32_t       segment_count;
    uint32_t       segment_ms;
    uint32_t       reserved;
    uint32_t       track[VOD_MAX_TRACKS];  /* offsets of vod_idx_track_t */
} vod_idx_header_t;


typedef struct {
    uint32_t       count;
    uint32_t       delta;
} vod_idx_stts_t;


typedef struct {
    uint32_t       count;
    int32_t        offset;
} vod_idx_ctts_t;


typedef struct {
    uint32_t       first_chunk;           /* 0-based */
    uint32_t       samples;
} vod_idx_stsc_t;


/* the decode state before a sample */
typedef struct {
    uint64_t       dts;
    uint64_t       time;                  /* the start manifests give:
                                             vod_idx_boundaries() */
    uint32_t       sample;
    uint32_t       stts_run;
    uint32_t       stts_left;             /* samples left in the run */
    uint32_t       ctts_run;
    uint32_t       ctts_left;
    uint32_t       chunk;
    uint32_t       chunk_left;            /* samples left in the chunk */
    uint32_t       chunk_pos;             /* sample offset in the chunk */
} vod_idx_cursor_t;


typedef struct {
    uint32_t       type;
    uint32_t       codec;
    uint32_t       track_id;
    uint32_t       timescale;
    uint64_t       duration;
    uint32_t       sample_count;
    uint32_t       width;
    uint32_t       height;
    uint32_t       fps_num;
    uint32_t       fps_den;
    uint32_t       nal_length_size;
    uint32_t       sample_rate;
    uint32_t       channels;
    uint32_t       aac_object_type;
    uint32_t       segment_count;
    uint64_t       avg_bitrate;
    uint64_t       peak_bitrate;
    uint64_t       total_bytes;
    char           codec_str[VOD_CODEC_STR_LEN];
    char           lang[8];

    uint32_t       sample_entry_len;
    uint32_t       dec_config_len;
    uint32_t       stts_count;
    uint32_t       ctts_count;            /* runs, or samples if flat */
    uint32_t       ctts_flat;             /* ctts is int32 per sample */
    int32_t        ctts_min;              /* the least and the greatest */
    int32_t        ctts_max;              /* offset over the track */
    uint32_t       reserved;
    uint32_t       stsc_count;
    uint32_t       chunk_count;
    uint32_t       stss_count;
    uint32_t       has_stss;
    uint32_t       const_size;            /* sizes == 0: every sample's */
    uint32_t       co64;                  /* chunk offsets are u64 */

    uint64_t       sample_entry;          /* offsets from the blob start */
    uint64_t       dec_config;
    uint64_t       stts;
    uint64_t       ctts;
    uint64_t       stsc;
    uint64_t       chunks;
    uint64_t       sizes;
    uint64_t       stss;
    uint64_t       cursors;
} vod_idx_track_t;


/* a track while it is parsed: pointers into the moov */
typedef struct {
    uint32_t        type;
    uint32_t        codec;
    uint32_t        track_id;
    uint32_t        timescale;
    uint32_t        width;
    uint32_t        height;
    uint32_t        nal_length_size;
    uint32_t        sample_rate;
    uint32_t        channels;
    uint32_t        aac_object_type;
    uint32_t        fps_num;
    uint32_t        fps_den;
    char            codec_str[VOD_CODEC_STR_LEN];
    char            lang[4];

    const u_char   *entry;
    size_t          entry_len;
    const u_char   *config;
    size_t          config_len;

    int64_t         media_time;

    const u_char   *ctts;                 /* table entries, big-endian */
    const u_char   *stsc;
    const u_char   *stsz;
    const u_char   *chunks;
    uint32_t        ctts_n;
    uint32_t        ctts_flat;
    uint32_t        stsc_n;
    uint32_t        chunk_n;
    uint32_t        co64;
    uint32_t        stsz_bits;            /* 32 (stsz), 4, 8, 16 (stz2) */
    uint32_t        const_size;
    uint32_t        sample_count;
    uint32_t        has_stss;

    vod_idx_stts_t *stts;                 /* native, zero runs dropped */
    uint32_t        stts_n;
    uint32_t       *sync;                 /* native, 0-based */
    uint32_t        sync_n;
    uint64_t        duration;

    uint32_t       *cut;                  /* first sample of each segment,
                                             segment_count + 1 entries */
} vod_idx_parse_t;


typedef struct {
    vod_env_t        *env;
    uint64_t          file_size;
    uint64_t          budget;             /* vod_index_mem_bound() */
    uint64_t          used;               /* bytes allocated so far */
    size_t            moov_size;
    uint64_t         *seg_bytes;          /* per-track scratch of */
    uint64_t         *bound;              /* vod_idx_fill_cursors() */
    uint32_t          segment_ms;
    uint32_t          track_count;
    uint32_t          segment_count;
    vod_idx_parse_t   tracks[VOD_MAX_TRACKS];
} vod_idx_ctx_t;


/* a forward-only position in a native stts */
typedef struct {
    uint32_t       run;
    uint32_t       first;                 /* sample number at run start */
    uint64_t       dts;                   /* dts at run start */
} vod_idx_tts_pos_t;


/* a forward-only position in a raw ctts */
typedef struct {
    uint32_t       run;
    uint32_t       first;                 /* sample number at run start */
} vod_idx_ctts_pos_t;


/* the chunk walk of vod_idx_fill_cursors() */
typedef struct {
    const vod_idx_stsc_t  *stsc;
    const uint32_t        *co32;          /* one of co32 and co64 */
    const uint64_t        *co64;
    const uint32_t        *sizes;         /* NULL when constant */
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


static uint32_t vod_idx_be32(const u_char *p);
static uint64_t vod_idx_be64(const u_char *p);
static uint32_t vod_idx_copy_be32(uint32_t *dst, const u_char *src,
    uint32_t n);
static uint64_t vod_idx_muldiv(uint64_t a, uint64_t b, uint64_t c,
    int ceil);
static uint32_t vod_idx_gcd(uint32_t a, uint32_t b);
static int vod_idx_full_box(vod_env_t *env, vod_mp4_box_t *box,
    size_t min, const char *name);
static int vod_idx_alloc(vod_idx_ctx_t *ctx, size_t size, const char *what,
    void **p);
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
static int vod_idx_parse_audio(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_idx_parse_t *t);
static int vod_idx_parse_stbl(vod_idx_ctx_t *ctx, vod_mp4_box_t *stbl,
    vod_idx_parse_t *t);
static int vod_idx_parse_stts(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t);
static int vod_idx_parse_stss(vod_idx_ctx_t *ctx, vod_mp4_box_t *box,
    vod_idx_parse_t *t);
static uint32_t vod_idx_seek_time(vod_idx_parse_t *t, vod_idx_tts_pos_t *c,
    uint64_t tick, uint64_t *dts);
static uint64_t vod_idx_seek_sample(vod_idx_parse_t *t,
    vod_idx_tts_pos_t *c, uint32_t sample);
static int vod_idx_cut(vod_idx_ctx_t *ctx, uint32_t *kept);
static int vod_idx_segment(vod_idx_ctx_t *ctx);
static int64_t vod_idx_first_delay(const u_char *index,
    const vod_idx_track_t *it, const vod_idx_cursor_t *cur);
static void vod_idx_boundaries(const u_char *index,
    const vod_idx_track_t *it, const vod_idx_cursor_t *cur, uint32_t n,
    uint64_t duration, uint64_t *out);
static int64_t vod_idx_pts_delay(vod_idx_parse_t *t, vod_idx_ctts_pos_t *c,
    uint32_t sample);
static uint32_t vod_idx_ctts_size(vod_idx_parse_t *t);
static size_t vod_idx_track_size(vod_idx_parse_t *t, uint32_t segments);
static int vod_idx_fill(vod_idx_ctx_t *ctx, u_char *blob, uint64_t *off,
    uint32_t n);
static int vod_idx_fill_ctts(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    vod_idx_track_t *it, u_char *p);
static int vod_idx_fill_sizes(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    uint32_t *sizes);
static int vod_idx_fill_stsc(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    vod_idx_stsc_t *stsc);
static uint32_t vod_idx_check_chunks(const uint32_t *co32,
    const uint64_t *co64, const uint32_t *sizes, uint32_t csize,
    uint32_t spc, uint32_t m, uint64_t fs, uint64_t *total);
static int vod_idx_walk_to(vod_idx_walk_t *w, uint32_t next);
static int vod_idx_fill_cursors(vod_idx_ctx_t *ctx, vod_idx_parse_t *t,
    u_char *blob, vod_idx_track_t *it);


/* table readers for the hot loops: one load and a byte swap */

static inline uint32_t
vod_idx_be32(const u_char *p)
{
    uint32_t  v;

    memcpy(&v, p, 4);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap32(v);
#endif

    return v;
}


static inline uint64_t
vod_idx_be64(const u_char *p)
{
    uint64_t  v;

    memcpy(&v, p, 8);

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    v = __builtin_bswap64(v);
#endif

    return v;
}


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


static uint64_t
vod_idx_muldiv(uint64_t a, uint64_t b, uint64_t c, int ceil)
{
    uint64_t           p;
    unsigned __int128  r;

    /* 64 bits suffice for the usual operands: a 128-bit division is a
     * libgcc call many times slower */

    if (!__builtin_mul_overflow(a, b, &p)
        && (!ceil || p <= UINT64_MAX - (c - 1)))
    {
        return (p + (ceil ? c - 1 : 0)) / c;
    }

    r = (unsigned __int128) a * b;

    if (ceil) {
        r += c - 1;
    }

    r /= c;

    return r > UINT64_MAX ? UINT64_MAX : (uint64_t) r;
}


static uint32_t
vod_idx_gcd(uint32_t a, uint32_t b)
{
    uint32_t  t;

    while (b != 0) {
        t = a % b;
        a = b;
        b = t;
    }

    return a;
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


/*
 * Every allocation of a build goes through here and is charged against
 * ctx->budget (vod_index.h), so no count a file claims buys more memory
 * than a small multiple of its moov: past the budget the build stops with
 * VOD_BAD_DATA and one log line, before the allocation is made.
 */

static int
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
    vod_mp4_box_t       box, trak;
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

    p = box.data;
    end = box.data + box.size;

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

        rc = vod_idx_parse_trak(ctx, &trak, &ctx->tracks[ctx->track_count]);
        if (rc == VOD_IDX_SKIP) {
            continue;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        ctx->track_count++;
    }

    if (ctx->track_count == 0) {
        env->log(env, "no H.264, H.265 or AAC track in the file");
        return VOD_UNSUPPORTED;
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

    *index = blob;
    *index_len = size;

    return VOD_OK;
}


static int
vod_idx_parse_trak(vod_idx_ctx_t *ctx, vod_mp4_box_t *trak,
    vod_idx_parse_t *t)
{
    int             rc;
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
        && handler != VOD_TAG('s', 'o', 'u', 'n'))
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

    /* the first non-empty edit: empty edits (media_time -1) before it
     * are ignored, so the first presented sample is at pts 0 */

    for (i = 0; i < n; i++, p += esize) {
        if (esize == 20) {
            media_time = (int64_t) vod_r64(p + 8);

        } else {
            media_time = (int32_t) vod_r32(p + 4);
        }

        if (media_time == -1) {
            continue;
        }

        if (media_time < 0 || media_time > INT32_MAX) {
            env->log(env, "track %u: elst media_time %lld out of range",
                     t->track_id, (long long) media_time);
            return VOD_BAD_DATA;
        }

        t->media_time = media_time;
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

    case VOD_TAG('m', 'p', '4', 'a'):
        if (handler != VOD_TAG('s', 'o', 'u', 'n')) {
            return VOD_IDX_SKIP;
        }

        t->type = VOD_TRACK_AUDIO;
        t->codec = VOD_CODEC_AAC;
        return vod_idx_parse_audio(ctx, &entry, t);

    default:
        return VOD_IDX_SKIP;
    }
}


static int
vod_idx_parse_visual(vod_idx_ctx_t *ctx, vod_mp4_box_t *entry,
    vod_idx_parse_t *t)
{
    int             rc;
    char            name[5];
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
                                        : VOD_TAG('h', 'v', 'c', 'C');

    rc = vod_mp4_find_box(env, entry->data + 78, entry->size - 78, ctype,
                          &box);
    if (rc == VOD_NOT_FOUND) {
        env->log(env, "track %u: %s sample entry without %s", t->track_id,
                 vod_mp4_type_str(entry->type, name),
                 t->codec == VOD_CODEC_AVC ? "avcC" : "hvcC");
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    t->config = box.data;
    t->config_len = box.size;

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

    if (vod_codec_aac_config(asc, asc_len, &aac) != VOD_OK) {
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
        best = vod_idx_gcd(t->timescale, t->fps_den);
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


/* the first sample with dts >= tick, and its dts; sample_count if none */

static uint32_t
vod_idx_seek_time(vod_idx_parse_t *t, vod_idx_tts_pos_t *c, uint64_t tick,
    uint64_t *dts)
{
    uint64_t         j;
    vod_idx_stts_t  *r;

    while (c->run < t->stts_n) {
        r = &t->stts[c->run];

        if (c->dts >= tick) {
            *dts = c->dts;
            return c->first;
        }

        if (r->delta != 0) {
            j = (tick - c->dts + r->delta - 1) / r->delta;

            if (j < r->count) {
                *dts = c->dts + j * r->delta;
                return c->first + (uint32_t) j;
            }
        }

        c->first += r->count;
        c->dts += (uint64_t) r->count * r->delta;
        c->run++;
    }

    *dts = c->dts;

    return t->sample_count;
}


static uint64_t
vod_idx_seek_sample(vod_idx_parse_t *t, vod_idx_tts_pos_t *c,
    uint32_t sample)
{
    vod_idx_stts_t  *r;

    while (c->run < t->stts_n) {
        r = &t->stts[c->run];

        if (sample < c->first + r->count) {
            return c->dts + (uint64_t) (sample - c->first) * r->delta;
        }

        c->first += r->count;
        c->dts += (uint64_t) r->count * r->delta;
        c->run++;
    }

    return c->dts;
}


/*
 * Segment boundaries: the first sync sample of the primary track (the
 * first video track, else the first track) whose presentation time is at
 * or after k * segment_ms, for k = 1, 2, ...; every other track is cut at
 * its first sample whose dts is at or after that time.  Presentation time,
 * not decode time: an HEVC key frame may be decoded before its multiple
 * and presented on it, and renditions of different codecs must still cut
 * alike.  A boundary that would leave any track with an empty segment is
 * dropped, and so is the last one when it would leave a final segment
 * under a quarter of the target.
 */

/*
 * One pass over the candidate boundaries; *kept is the number of
 * boundaries kept.  Run twice: first with no cut arrays, only to count,
 * so that the arrays are sized by the segments, not by the samples; then
 * to fill them.  Linear: every candidate advances the primary track, and
 * a candidate dropped because a track has no sample in the segment moves
 * on to the first time that track could have one, so between two kept
 * boundaries at most one candidate per track is dropped (stts, ctts and
 * stss are walked forward only).  A track that has run out of samples
 * ends the pass: no later boundary can leave it a sample.
 */

static int
vod_idx_cut(vod_idx_ctx_t *ctx, uint32_t *kept_out)
{
    int64_t              pts;
    uint32_t             i, n, s, kept, sp, cand;
    uint64_t             k, kmin, unit, tick, dts, at, per;
    vod_env_t           *env;
    vod_idx_parse_t     *p, *t;
    vod_idx_ctts_pos_t   cpos;
    vod_idx_tts_pos_t    pos[VOD_MAX_TRACKS];
    uint32_t             last[VOD_MAX_TRACKS], next[VOD_MAX_TRACKS];

    env = ctx->env;
    p = &ctx->tracks[0];

    for (i = 0; i < ctx->track_count; i++) {
        if (ctx->tracks[i].type == VOD_TRACK_VIDEO) {
            p = &ctx->tracks[i];
            break;
        }
    }

    for (i = 0; i < ctx->track_count; i++) {
        t = &ctx->tracks[i];

        if (t->cut != NULL) {
            t->cut[0] = 0;
        }

        last[i] = 0;
        memset(&pos[i], 0, sizeof(vod_idx_tts_pos_t));
    }

    memset(&cpos, 0, sizeof(vod_idx_ctts_pos_t));

    pts = 0;
    unit = (uint64_t) ctx->segment_ms * p->timescale;
    kept = 0;
    sp = 0;
    k = 1;
    s = 0;

    /* the bytes each segment takes while the index is built */
    per = ctx->track_count * (sizeof(uint32_t) + sizeof(vod_idx_cursor_t))
          + 2 * sizeof(uint64_t);

    for ( ;; ) {
        tick = vod_idx_muldiv(k, unit, 1000, 1);

        if (p->has_stss) {
            /* sync samples in order, until one is presented at tick */
            for ( ;; ) {
                while (sp < p->sync_n && p->sync[sp] <= s) {
                    sp++;
                }

                if (sp == p->sync_n) {
                    break;
                }

                dts = vod_idx_seek_sample(p, &pos[p - ctx->tracks],
                                          p->sync[sp]);
                pts = (int64_t) dts
                      + vod_idx_pts_delay(p, &cpos, p->sync[sp]);

                if (pts >= 0 && (uint64_t) pts >= tick) {
                    break;
                }

                sp++;
            }

            if (sp == p->sync_n) {
                break;
            }

            s = p->sync[sp];
            at = (uint64_t) pts;

        } else {
            s = vod_idx_seek_time(p, &pos[p - ctx->tracks], tick, &dts);
            if (s >= p->sample_count) {
                break;
            }

            at = dts;
        }

        k = vod_idx_muldiv(at, 1000, unit, 0) + 1;
        kmin = k;

        /* the other tracks' cuts at this time */

        n = 0;

        for (i = 0; i < ctx->track_count; i++) {
            t = &ctx->tracks[i];

            if (t == p) {
                next[i] = s;
                n++;
                continue;
            }

            tick = vod_idx_muldiv(at, t->timescale, p->timescale, 1);
            cand = vod_idx_seek_time(t, &pos[i], tick, &dts);
            next[i] = cand;

            if (cand >= t->sample_count) {
                /* t has ended: no boundary from here on is kept */
                goto done;
            }

            if (cand > last[i]) {
                n++;
                continue;
            }

            /* no sample of t since the last cut: the next candidate
             * worth trying is at the first time that maps past the dts
             * of t's sample cand (its tick rounds up above it), the
             * last multiple of the segment duration at or before it */

            tick = vod_idx_muldiv(dts, p->timescale, t->timescale, 0) + 1;
            tick = vod_idx_muldiv(tick, 1000, unit, 0);

            if (tick > kmin) {
                kmin = tick;
            }
        }

        if (n != ctx->track_count) {
            k = kmin;
            continue;
        }

        kept++;

        if (kept == VOD_IDX_MAX_SEGMENTS) {
            env->log(env, "more than %d segments", VOD_IDX_MAX_SEGMENTS);
            return VOD_UNSUPPORTED;
        }

        /* the count stops as soon as the segments could not fit the
         * budget: their cuts, cursors and scratch, kept + 2 of each */

        if ((uint64_t) (kept + 2) * per > ctx->budget - ctx->used) {
            return vod_idx_alloc(ctx, (size_t) (kept + 2) * per,
                                 "segment tables", NULL);
        }

        for (i = 0; i < ctx->track_count; i++) {
            last[i] = next[i];

            if (ctx->tracks[i].cut != NULL) {
                ctx->tracks[i].cut[kept] = next[i];
            }
        }
    }

done:

    *kept_out = kept;

    return VOD_OK;
}


static int
vod_idx_segment(vod_idx_ctx_t *ctx)
{
    int                  rc;
    uint32_t             i, j, kept;
    uint64_t             unit, dts;
    vod_env_t           *env;
    vod_idx_parse_t     *p, *t;
    vod_idx_tts_pos_t    pos;

    env = ctx->env;

    rc = vod_idx_cut(ctx, &kept);
    if (rc != VOD_OK) {
        return rc;
    }

    /* kept + 1 segments, one more cut for the end */

    for (i = 0; i < ctx->track_count; i++) {
        rc = vod_idx_alloc(ctx, (size_t) (kept + 2) * sizeof(uint32_t),
                           "segment table", (void **) &ctx->tracks[i].cut);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    rc = vod_idx_cut(ctx, &kept);
    if (rc != VOD_OK) {
        return rc;
    }

    p = &ctx->tracks[0];

    for (i = 0; i < ctx->track_count; i++) {
        if (ctx->tracks[i].type == VOD_TRACK_VIDEO) {
            p = &ctx->tracks[i];
            break;
        }
    }

    unit = (uint64_t) ctx->segment_ms * p->timescale;

    /* a last segment under a quarter of the target joins the one before */

    if (kept > 0) {
        memset(&pos, 0, sizeof(vod_idx_tts_pos_t));
        dts = vod_idx_seek_sample(p, &pos, p->cut[kept]);

        if (p->duration > dts
            && (p->duration - dts) * 1000 * 4 < unit)
        {
            kept--;
        }
    }

    ctx->segment_count = kept + 1;

    for (i = 0; i < ctx->track_count; i++) {
        t = &ctx->tracks[i];
        t->cut[kept + 1] = t->sample_count;

        for (j = 0; j <= kept; j++) {
            if (t->cut[j + 1] - t->cut[j] > VOD_MAX_SEGMENT_SAMPLES) {
                env->log(env, "track %u: segment %u has %u samples, over the"
                         " limit %u", t->track_id, j,
                         t->cut[j + 1] - t->cut[j], VOD_MAX_SEGMENT_SAMPLES);
                return VOD_UNSUPPORTED;
            }
        }
    }

    return VOD_OK;
}


/* presentation minus decode time of a sample, edit list applied; samples
 * are asked for in increasing order */

static int64_t
vod_idx_pts_delay(vod_idx_parse_t *t, vod_idx_ctts_pos_t *c, uint32_t sample)
{
    int64_t        delay;
    uint32_t       run, first, n, count;
    const u_char  *p;

    if (t->ctts == NULL) {
        return -t->media_time;
    }

    run = c->run;
    first = c->first;
    n = t->ctts_n;
    p = t->ctts + 8 * (size_t) run;
    delay = -t->media_time;

    for ( /* void */ ; run < n; run++, p += 8) {
        count = vod_idx_be32(p);

        if (sample < first + count) {
            delay += (int32_t) vod_idx_be32(p + 4);
            break;
        }

        first += count;
    }

    c->run = run;
    c->first = first;

    return delay;
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
    size += t->stsz_bits ? vod_idx_align((size_t) t->sample_count * 4) : 0;
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
    it->duration = t->duration;
    it->sample_count = t->sample_count;
    it->width = t->width;
    it->height = t->height;
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

    it->dec_config = it->sample_entry + (t->config - t->entry);
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

    if (t->stsz_bits) {
        vod_idx_pad(p, (size_t) t->sample_count * 4);
        it->sizes = p - blob;

        rc = vod_idx_fill_sizes(ctx, t, (uint32_t *) p);
        if (rc != VOD_OK) {
            return rc;
        }

        p += vod_idx_align((size_t) t->sample_count * 4);
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
    int32_t         *flat;
    int64_t          v, media_time;
    uint32_t         n, count, left, is_flat;
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

    it->ctts_min = INT32_MAX;
    it->ctts_max = INT32_MIN;

    p = t->ctts;
    end = p + 8 * (size_t) t->ctts_n;
    media_time = t->media_time;
    is_flat = t->ctts_flat;
    left = t->sample_count;
    n = 0;

    for ( /* void */ ; p < end; p += 8) {
        count = vod_idx_be32(p);

        if (count == 0) {
            continue;
        }

        /* version 0 offsets are unsigned by the letter of the spec, but
         * writers put negative values there too: both read as signed */
        v = (int64_t) (int32_t) vod_idx_be32(p + 4) - media_time;

        if (v < INT32_MIN || v > INT32_MAX) {
            env->log(env, "track %u: composition offset %lld out of range",
                     t->track_id, (long long) v);
            return VOD_BAD_DATA;
        }

        if (count > left) {
            break;
        }

        left -= count;

        if (v < it->ctts_min) {
            it->ctts_min = (int32_t) v;
        }

        if (v > it->ctts_max) {
            it->ctts_max = (int32_t) v;
        }

        if (is_flat) {
            do {
                *flat++ = (int32_t) v;
            } while (--count != 0);

        } else {
            ctts[n].count = count;
            ctts[n].offset = (int32_t) v;
            n++;
        }
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


static int
vod_idx_fill_sizes(vod_idx_ctx_t *ctx, vod_idx_parse_t *t, uint32_t *sizes)
{
    uint32_t       i, n, max;
    const u_char  *p;

    n = t->sample_count;
    p = t->stsz;
    max = 0;

    switch (t->stsz_bits) {

    case 32:
        max = vod_idx_copy_be32(sizes, p, n);
        break;

    case 16:
        for (i = 0; i < n; i++) {
            sizes[i] = vod_r16(p + 2 * i);
        }

        return VOD_OK;

    case 8:
        for (i = 0; i < n; i++) {
            sizes[i] = p[i];
        }

        return VOD_OK;

    default:
        for (i = 0; i < n; i++) {
            sizes[i] = (i & 1) ? (p[i / 2] & 0x0f) : (p[i / 2] >> 4);
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
 * is csize) at its first sample's size.  Returns the number of chunks
 * that pass, m when all do, and adds their bytes to *total.
 */

static uint32_t
vod_idx_check_chunks(const uint32_t *co32, const uint64_t *co64,
    const uint32_t *sizes, uint32_t csize, uint32_t spc, uint32_t m,
    uint64_t fs, uint64_t *total)
{
    uint32_t  i, j, v;
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
            v = sizes[j];

            if ((uint64_t) co32[j] + v > fs) {
                break;
            }

            sum += v;
        }

        *total += sum;

        return j;
    }

    if (spc == 2 && co64 == NULL) {
        for (j = 0; j < m; j++, sizes += 2) {
            bytes = (uint64_t) sizes[0] + sizes[1];

            if (co32[j] + bytes > fs) {
                break;
            }

            sum += bytes;
        }

        *total += sum;

        return j;
    }

    for (j = 0; j < m; j++, sizes += spc) {
        off = (co64 != NULL) ? co64[j] : co32[j];
        bytes = 0;

        for (i = 0; i < spc; i++) {
            bytes += sizes[i];
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
    uint32_t               csize;
    uint64_t               fs, total;
    const uint32_t        *co32, *sizes;
    const uint64_t        *co64;
    const vod_idx_stsc_t  *stsc;

    /* all in locals: the stores to w would otherwise force reloads */

    stsc = w->stsc;
    co32 = w->co32;
    co64 = w->co64;
    sizes = w->sizes;
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

        j = vod_idx_check_chunks((co64 != NULL) ? NULL : co32 + c,
                                 (co64 != NULL) ? co64 + c : NULL,
                                 (sizes != NULL) ? sizes + s : NULL,
                                 csize, spc, m, fs, &total);
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
    uint32_t           s, n, k, c, seg, nseg, i, spc, stts_run, ctts_run;
    uint32_t           count, next, *sizes, *co32, *cut;
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
    sizes = it->sizes ? (uint32_t *) (blob + it->sizes) : NULL;
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
                    part += sizes[s + i];
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
                sum += sizes[s + i];
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

    cur[nseg].sample = t->sample_count;
    cur[nseg].dts = t->duration;
    seg_bytes[nseg] = total;

    /* bitrates */

    it->total_bytes = total;

    if (t->duration != 0) {
        it->avg_bitrate = vod_idx_muldiv(total * 8, t->timescale,
                                         t->duration, 0);
    }

    /* the peak over the durations the manifests will give */

    bound = ctx->bound;

    vod_idx_boundaries(blob, it, cur, nseg, t->duration, bound);

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
            sum += sizes[s + i];
        }
    }

    env->log(env, "track %u: chunk %u data (offset %llu, %llu bytes) lies "
             "beyond the end of the file", t->track_id, c,
             (unsigned long long) off, (unsigned long long) sum);

    return VOD_BAD_DATA;
}


int
vod_index_check(const u_char *index, size_t len)
{
    uint32_t                 i;
    const vod_idx_track_t   *it;
    const vod_idx_header_t  *hdr;

    if (index == NULL || len < sizeof(vod_idx_header_t)
        || ((uintptr_t) index & 7) != 0)
    {
        return VOD_BAD_DATA;
    }

    hdr = (const vod_idx_header_t *) index;

    if (hdr->magic != VOD_IDX_MAGIC || hdr->version != VOD_IDX_VERSION
        || hdr->len != len || hdr->track_count == 0
        || hdr->track_count > VOD_MAX_TRACKS)
    {
        return VOD_BAD_DATA;
    }

    for (i = 0; i < hdr->track_count; i++) {
        if (hdr->track[i] < sizeof(vod_idx_header_t)
            || (uint64_t) hdr->track[i] + sizeof(vod_idx_track_t) > len
            || (hdr->track[i] & 7) != 0)
        {
            return VOD_BAD_DATA;
        }

        it = (const vod_idx_track_t *) (index + hdr->track[i]);

        if (it->cursors > len
            || (uint64_t) (it->segment_count + 1) * sizeof(vod_idx_cursor_t)
               > len - it->cursors)
        {
            return VOD_BAD_DATA;
        }
    }

    return VOD_OK;
}


uint32_t
vod_index_track_count(const u_char *index)
{
    return ((const vod_idx_header_t *) index)->track_count;
}


int
vod_index_find_track(const u_char *index, uint32_t type)
{
    uint32_t                 i;
    const vod_idx_track_t   *it;
    const vod_idx_header_t  *hdr;

    hdr = (const vod_idx_header_t *) index;

    for (i = 0; i < hdr->track_count; i++) {
        it = (const vod_idx_track_t *) (index + hdr->track[i]);

        if (it->type == type) {
            return (int) i;
        }
    }

    return -1;
}


/* presentation minus decode time of the sample a cursor stands before */

static int64_t
vod_idx_first_delay(const u_char *index, const vod_idx_track_t *it,
    const vod_idx_cursor_t *cur)
{
    if (cur->sample >= it->sample_count) {
        return 0;
    }

    if (it->ctts_flat) {
        return ((const int32_t *) (index + it->ctts))[cur->sample];
    }

    if (it->ctts_count == 0) {
        return 0;
    }

    return ((const vod_idx_ctts_t *) (index + it->ctts))[cur->ctts_run]
           .offset;
}


/*
 * The times of a track's segment boundaries, as manifests give them,
 * worked out once when the index is built (vod_idx_cursor_t.time).
 * Video: a segment starts when its key frame is presented, not when it is
 * decoded.  With B-frames the two differ by a frame or two, and by a
 * different amount in another codec's rendition of the same title, so
 * decode times gave HEVC 3.96 s + 4.04 s where H.264 has 4 + 4, and the
 * MPD's S@t ran a frame ahead of the media.  Relative to the first
 * sample's, so the first segment starts at 0; the last ends at the
 * track's duration.  Other tracks: decode times.
 */

static void
vod_idx_boundaries(const u_char *index, const vod_idx_track_t *it,
    const vod_idx_cursor_t *cur, uint32_t n, uint64_t duration,
    uint64_t *out)
{
    int64_t   t, delay0;
    uint32_t  i;

    for (i = 0; i <= n; i++) {
        out[i] = cur[i].dts;
    }

    if (it->type != VOD_TRACK_VIDEO || n < 2 || duration < n) {
        return;
    }

    delay0 = vod_idx_first_delay(index, it, &cur[0]);

    /* whatever a hostile ctts says, boundaries stay increasing, with a
     * tick left for each segment after them */

    for (i = 1; i < n; i++) {
        t = (int64_t) cur[i].dts + vod_idx_first_delay(index, it, &cur[i])
            - delay0;

        if (t <= (int64_t) out[i - 1]) {
            t = (int64_t) out[i - 1] + 1;
        }

        if (t > (int64_t) (duration - (n - i))) {
            t = (int64_t) (duration - (n - i));
        }

        out[i] = (uint64_t) t;
    }
}


int
vod_index_track_info(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info)
{
    u_char                    *p;
    uint32_t                   i, n;
    const vod_idx_track_t     *it;
    const vod_idx_header_t    *hdr;
    const vod_idx_cursor_t    *cur;

    hdr = (const vod_idx_header_t *) index;

    if (track >= hdr->track_count) {
        return VOD_NOT_FOUND;
    }

    it = (const vod_idx_track_t *) (index + hdr->track[track]);
    n = it->segment_count;

    memset(info, 0, sizeof(vod_track_info_t));

    info->type = it->type;
    info->codec = it->codec;
    info->track_id = it->track_id;
    info->timescale = it->timescale;
    info->duration = it->duration;
    info->sample_count = it->sample_count;
    info->width = it->width;
    info->height = it->height;
    info->fps_num = it->fps_num;
    info->fps_den = it->fps_den;
    info->nal_length_size = it->nal_length_size;
    info->sample_rate = it->sample_rate;
    info->channels = it->channels;
    info->aac_object_type = it->aac_object_type;
    info->avg_bitrate = it->avg_bitrate;
    info->peak_bitrate = it->peak_bitrate;
    info->total_bytes = it->total_bytes;
    info->min_pts_delay = it->ctts_min;
    info->max_pts_delay = it->ctts_max;
    memcpy(info->codec_str, it->codec_str, sizeof(info->codec_str));
    memcpy(info->lang, it->lang, sizeof(info->lang));

    p = env->alloc(env, vod_idx_align(it->sample_entry_len)
                        + vod_idx_align(it->dec_config_len)
                        + (size_t) (n + 1) * sizeof(uint64_t));
    if (p == NULL) {
        env->log(env, "track info allocation failed");
        return VOD_ERROR;
    }

    info->seg_time = (uint64_t *) p;
    info->segment_count = n;

    cur = (const vod_idx_cursor_t *) (index + it->cursors);

    for (i = 0; i <= n; i++) {
        info->seg_time[i] = cur[i].time;
    }

    p += (size_t) (n + 1) * sizeof(uint64_t);

    info->sample_entry = p;
    info->sample_entry_len = it->sample_entry_len;
    memcpy(p, index + it->sample_entry, it->sample_entry_len);
    p += vod_idx_align(it->sample_entry_len);

    info->dec_config = p;
    info->dec_config_len = it->dec_config_len;
    memcpy(p, index + it->dec_config, it->dec_config_len);

    return VOD_OK;
}


int
vod_index_segment(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info, uint32_t seg, vod_segment_t *segment)
{
    uint32_t                   i, n, stts_left, ctts_left, chunk_left;
    uint32_t                   stts_run, ctts_run, stsc_run, chunk, sample;
    uint32_t                   stss_pos, size, lo, hi, mid;
    uint64_t                   pos, bytes;
    vod_sample_t              *out;
    const int32_t             *flat;
    const uint32_t            *sizes, *stss, *co32;
    const uint64_t            *co64;
    const vod_idx_ctts_t      *ctts;
    const vod_idx_stts_t      *stts;
    const vod_idx_stsc_t      *stsc;
    const vod_idx_track_t     *it;
    const vod_idx_cursor_t    *cur;
    const vod_idx_header_t    *hdr;

    hdr = (const vod_idx_header_t *) index;

    if (track >= hdr->track_count) {
        return VOD_NOT_FOUND;
    }

    it = (const vod_idx_track_t *) (index + hdr->track[track]);

    if (seg >= it->segment_count) {
        return VOD_NOT_FOUND;
    }

    cur = (const vod_idx_cursor_t *) (index + it->cursors) + seg;
    n = cur[1].sample - cur[0].sample;

    out = env->alloc(env, (size_t) n * sizeof(vod_sample_t) + 1);
    if (out == NULL) {
        env->log(env, "segment allocation of %u samples failed", n);
        return VOD_ERROR;
    }

    stts = (const vod_idx_stts_t *) (index + it->stts);
    ctts = (const vod_idx_ctts_t *) (index + it->ctts);
    flat = (const int32_t *) (index + it->ctts);
    stsc = (const vod_idx_stsc_t *) (index + it->stsc);
    stss = (const uint32_t *) (index + it->stss);
    sizes = it->sizes ? (const uint32_t *) (index + it->sizes) : NULL;
    co32 = (const uint32_t *) (index + it->chunks);
    co64 = (const uint64_t *) (index + it->chunks);

    sample = cur->sample;
    stts_run = cur->stts_run;
    stts_left = cur->stts_left;
    ctts_run = cur->ctts_run;
    ctts_left = cur->ctts_left;
    chunk = cur->chunk;
    chunk_left = cur->chunk_left;
    pos = (it->co64 ? co64[chunk] : co32[chunk]) + cur->chunk_pos;
    bytes = 0;

    /* the stsc run of the chunk: the last with first_chunk <= chunk */

    lo = 0;
    hi = it->stsc_count;

    while (hi - lo > 1) {
        mid = lo + (hi - lo) / 2;

        if (stsc[mid].first_chunk <= chunk) {
            lo = mid;

        } else {
            hi = mid;
        }
    }

    stsc_run = lo;

    /* the first sync sample at or after the segment's first sample */

    lo = 0;
    hi = it->stss_count;

    while (lo < hi) {
        mid = lo + (hi - lo) / 2;

        if (stss[mid] < sample) {
            lo = mid + 1;

        } else {
            hi = mid;
        }
    }

    stss_pos = lo;

    for (i = 0; i < n; i++, sample++) {
        size = sizes ? sizes[sample] : it->const_size;

        out[i].offset = pos;
        out[i].size = size;
        out[i].duration = stts[stts_run].delta;
        if (it->ctts_flat) {
            out[i].pts_delay = flat[sample];

        } else {
            out[i].pts_delay = it->ctts_count ? ctts[ctts_run].offset : 0;
        }

        if (!it->has_stss) {
            out[i].sync = 1;

        } else if (stss_pos < it->stss_count && stss[stss_pos] == sample) {
            out[i].sync = 1;
            stss_pos++;

        } else {
            out[i].sync = 0;
        }

        bytes += size;

        if (i + 1 == n) {
            break;
        }

        /* step to the next sample */

        if (--stts_left == 0 && ++stts_run < it->stts_count) {
            stts_left = stts[stts_run].count;
        }

        if (it->ctts_count && !it->ctts_flat && --ctts_left == 0
            && ++ctts_run < it->ctts_count)
        {
            ctts_left = ctts[ctts_run].count;
        }

        pos += size;

        if (--chunk_left != 0) {
            continue;
        }

        /* the next chunk that has samples (the build checked there is) */

        do {
            if (++chunk >= it->chunk_count) {
                chunk_left = 1;
                break;
            }

            if (stsc_run + 1 < it->stsc_count
                && stsc[stsc_run + 1].first_chunk == chunk)
            {
                stsc_run++;
            }

            chunk_left = stsc[stsc_run].samples;
            pos = it->co64 ? co64[chunk] : co32[chunk];

        } while (chunk_left == 0);
    }

    segment->track = info;
    segment->index = seg;
    segment->start_dts = cur[0].dts;
    segment->duration = cur[1].dts - cur[0].dts;
    segment->data_size = bytes;
    segment->count = n;
    segment->samples = out;

    return VOD_OK;
}
