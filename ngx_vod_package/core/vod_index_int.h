/*
 * vod_index_int.h: what the parts of the index share, and nothing else
 * includes.
 *
 *   vod_index_parse.c   reads the moov: each trak's description and its
 *                       sample tables (vod_idx_parse_t)
 *   vod_index_cut.c     chooses the segment boundaries from them
 *   vod_index_build.c   lays out and fills the blob below, checking every
 *                       chunk lies inside the file; the memory budget
 *   vod_index_query.c   reads a built blob: its header check, track
 *                       descriptions and one segment's samples
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
 *     sample sizes                1, 2 or 4 bytes each, the fewest that
 *                                 hold the track's largest; absent
 *                                 when constant
 *     sync samples                0-based sample numbers
 *     cursors                     decode state at each segment's first
 *                                 sample, plus one at the end (the stsc
 *                                 run and the stss position are found by
 *                                 binary search when a segment is read)
 *
 * Every section starts 8-byte aligned; the blob's base is expected to be
 * at least 8-byte aligned (malloc, pool and slab memory are).
 */

#ifndef _VOD_INDEX_INT_H_INCLUDED_
#define _VOD_INDEX_INT_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_mp4.h"
#include "vod_codec.h"
#include "vod_hdr.h"
#include "vod_orient.h"


#define VOD_IDX_MAGIC      0x78646976     /* "vidx" read little-endian */
#define VOD_IDX_VERSION    8

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
    uint64_t       duration;              /* to its last sample's end as
                                             presented, delay included */
    uint32_t       delay;                 /* the empty edits before it */
    uint32_t       sample_count;
    uint32_t       width;
    uint32_t       height;
    uint32_t       orient;
    uint32_t       fps_num;
    uint32_t       fps_den;
    uint32_t       nal_length_size;
    uint32_t       sample_rate;
    uint32_t       channels;
    uint32_t       aac_object_type;
    uint32_t       segment_count;
    uint64_t       avg_bitrate;
    uint64_t       peak_bitrate;
    uint64_t       shortest;              /* segment, as manifests time it */
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
    uint32_t       size_width;            /* bytes per size: 1, 2, 4 */
    uint32_t       stsc_count;
    uint32_t       chunk_count;
    uint32_t       stss_count;
    uint32_t       has_stss;
    uint32_t       refresh_key;           /* vod_idx_probe_keys(): a sync
                                             sample (1-based) that does
                                             not decode alone, 0 none */
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
    uint32_t        enabled;              /* tkhd's flag: a player plays
                                             it (a chapter track is not) */
    uint32_t        timescale;
    uint32_t        width;
    uint32_t        height;
    uint32_t        orient;               /* VOD_ORIENT_*, from tkhd */
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

    int64_t         media_time;           /* the first edit's, less
                                             delay: < 0 moves the track
                                             later */
    uint32_t        delay;                /* the empty edits before the
                                             first edit: the track starts
                                             that late in the title */

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
    uint32_t        size_width;           /* bytes per size in the blob,
                                             0 when constant */
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
    uint32_t          movie_timescale;    /* mvhd's: the edits' durations;
                                             0 when unknown */
    uint64_t         *seg_bytes;          /* per-track scratch of */
    uint64_t         *bound;              /* vod_idx_fill_cursors() */
    uint32_t          segment_ms;
    uint32_t          track_count;
    uint32_t          segment_count;
    vod_idx_parse_t   tracks[VOD_MAX_TRACKS];
    /* video and audio tracks in formats not packaged, for one log line */
    uint32_t          skipped;
    uint32_t          skip_id[VOD_MAX_TRACKS];
    uint32_t          skip_type[VOD_MAX_TRACKS];
} vod_idx_ctx_t;


int vod_idx_alloc(vod_idx_ctx_t *ctx, size_t size, const char *what,
    void **p);
int vod_idx_parse_moov(vod_idx_ctx_t *ctx, const u_char *moov,
    size_t moov_size);
int vod_idx_segment(vod_idx_ctx_t *ctx);
/* one line naming the video and audio tracks parse_moov left out, if any */
void vod_idx_log_skipped(vod_idx_ctx_t *ctx);
void vod_idx_probe_keys(vod_idx_ctx_t *ctx, u_char *blob);


/* the size of sample i in a sizes section of width bytes per size */

static inline uint32_t
vod_idx_size(const u_char *sizes, uint32_t width, uint32_t i)
{
    if (width == 1) {
        return sizes[i];
    }

    if (width == 2) {
        return ((const uint16_t *) sizes)[i];
    }

    return ((const uint32_t *) sizes)[i];
}


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


static inline uint64_t
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


/* presentation minus decode time of the sample a cursor stands before
 * (the edit list's shift and the empty edits' delay in it) */

static inline int64_t
vod_idx_cursor_delay(const u_char *index, const vod_idx_track_t *it,
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


/* a sample's size as the blob keeps it (vod_idx_segment_sizes() reads
 * a run of them) */

static inline uint32_t
vod_idx_sample_size(const vod_idx_track_t *it, const u_char *sizes,
    uint32_t s)
{
    switch (sizes == NULL ? 0 : it->size_width) {

    case 0:
        return it->const_size;

    case 1:
        return sizes[s];

    case 2:
        return ((const uint16_t *) sizes)[s];

    default:
        return ((const uint32_t *) sizes)[s];
    }
}

#endif /* _VOD_INDEX_INT_H_INCLUDED_ */
