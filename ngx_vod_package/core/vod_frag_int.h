/*
 * vod_frag_int.h: what the two halves of the fragmented input reader
 * share: vod_frag.c walks the moof boxes and writes the new moov,
 * vod_frag_stbl.c takes the samples a moov lists of its own.  Not for
 * anything else.
 */

#ifndef VOD_FRAG_INT_H
#define VOD_FRAG_INT_H

#include "vod_frag.h"
#include "vod_mp4.h"


#define VOD_TAG(a, b, c, d)   vod_mp4_tag(a, b, c, d)


typedef struct {
    uint64_t        offset;               /* in the file */
    const u_char   *data;                 /* the whole box */
    size_t          size;
} vod_frag_moof_t;


/* the sample tables of a trak in the moov, checked against their counts */
typedef struct {
    const u_char   *stts;
    const u_char   *ctts;                 /* NULL: no composition offsets */
    const u_char   *stss;                 /* NULL: every sample is sync */
    const u_char   *stsz;                 /* NULL: one size, size0 */
    const u_char   *stsc;
    const u_char   *chunks;
    uint32_t        stts_n;
    uint32_t        ctts_n;
    uint32_t        stss_n;
    uint32_t        stsc_n;
    uint32_t        chunk_n;
    uint32_t        samples;
    uint32_t        size0;
    uint32_t        co64;
} vod_frag_stbl_t;


/* what a walk counts; the second walk must count the same */
typedef struct {
    uint32_t        samples;
    uint32_t        stts_n;
    uint32_t        ctts_n;
    uint32_t        sync_n;
    uint32_t        stsc_n;
    uint32_t        chunks;
} vod_frag_count_t;


typedef struct {
    uint32_t          track_id;
    vod_frag_stbl_t   moov;               /* samples.count 0: none there */
    uint32_t          def_duration;       /* trex */
    uint32_t          def_size;
    uint32_t          def_flags;

    vod_frag_count_t  n;
    vod_frag_count_t  first;              /* the first walk's counts */

    /* the state of the runs being counted */
    uint32_t          run_count;
    uint32_t          run_delta;
    uint32_t          cto_count;
    int32_t           cto_last;
    uint32_t          chunk_samples;
    uint32_t          started;
    uint64_t          origin;             /* the first tfdt */
    uint64_t          next_dts;           /* after the last sample */

    /* decided by the first walk */
    uint32_t          size0;              /* the first sample's size */
    uint32_t          var_size;
    uint32_t          any_cto;
    uint32_t          neg_cto;
    uint64_t          max_offset;

    /* the second walk writes the entries here, in the new moov */
    u_char           *stts;
    u_char           *ctts;
    u_char           *stss;
    u_char           *stsc;
    u_char           *stsz;
    u_char           *chunk;
    uint32_t          co64;
} vod_frag_track_t;


typedef struct {
    vod_env_t         *env;
    uint64_t           file_size;
    uint32_t           fill;              /* the second walk */
    uint32_t           total;             /* samples of every track */
    uint32_t           track_n;
    vod_frag_track_t   tracks[VOD_MAX_TRACKS];
    vod_frag_moof_t   *moofs;
    uint32_t           moof_n;
    int                rc;                /* of vod_frag_rewrite() */
} vod_frag_ctx_t;


/* vod_frag_stbl.c: the moov's own sample tables of the tracks mvex lists,
 * and their samples into a walk */
int vod_frag_traks(vod_frag_ctx_t *ctx, const u_char *p, const u_char *end);
int vod_frag_moov_samples(vod_frag_ctx_t *ctx, vod_frag_track_t *tr);

/* vod_frag.c: a chunk and a sample into a walk's counts and tables; the
 * track of an id (NULL: mvex does not list it) */
void vod_frag_chunk(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    uint64_t start, uint32_t count);
void vod_frag_sample(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    uint32_t duration, uint32_t size, int32_t cto, uint32_t sync);
vod_frag_track_t *vod_frag_track(vod_frag_ctx_t *ctx, uint32_t id);
int vod_frag_trak_track(vod_frag_ctx_t *ctx, vod_mp4_box_t *trak,
    vod_frag_track_t **tr);

#endif /* VOD_FRAG_INT_H */
