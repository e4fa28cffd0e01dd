/*
 * vod_fmp4.h: CMAF (ISO BMFF fragmented MP4) output, one track per file.
 * Only headers are built in memory; the media data of a segment is the
 * list of source file ranges from vod_segment_ranges(), which the glue
 * sends straight from the mezzanine file.
 */

#ifndef _VOD_FMP4_H_INCLUDED_
#define _VOD_FMP4_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_cenc.h"


/* a track under Common Encryption (vod_protect.c makes these) */
typedef struct {
    const u_char  *entry;             /* the protected sample entry */
    size_t         entry_len;
    const u_char  *pssh;              /* pssh boxes for the moov */
    size_t         pssh_len;
} vod_fmp4_protect_t;


/* ftyp + moov (mvhd, trak, mvex/trex) for one track. */
int vod_fmp4_init(vod_env_t *env, const vod_track_info_t *track,
    u_char **out, size_t *len);

/* the same with protect's sample entry and pssh boxes */
int vod_fmp4_protected_init(vod_env_t *env, const vod_track_info_t *track,
    const vod_fmp4_protect_t *protect, u_char **out, size_t *len);

/* styp + moof (mfhd, traf: tfhd, tfdt, trun v1) + the mdat box header;
 * the sequence number is segment->index + 1. */
int vod_fmp4_segment_header(vod_env_t *env, const vod_segment_t *segment,
    u_char **out, size_t *len);

/* the same for encrypted samples: saiz, saio and senc of aux (every
 * sample of the segment) in the traf; pssh boxes of pssh_len bytes (or
 * none) in the moof after it */
int vod_fmp4_protected_header(vod_env_t *env, const vod_segment_t *segment,
    const vod_cenc_aux_t *aux, const u_char *pssh, size_t pssh_len,
    u_char **out, size_t *len);

/* the same for a clear-lead fragment of a protected track: its samples
 * clear, in a 'seig' group that says so (vod_cenc_write_clear_group()) */
int vod_fmp4_clear_lead_header(vod_env_t *env, const vod_segment_t *segment,
    u_char **out, size_t *len);

/* A track's bit rate as CMAF segments carry it: the samples' rate plus
 * the styp/moof/mdat boxes around them, an upper bound for BANDWIDTH. */
uint64_t vod_fmp4_bitrate(const vod_track_info_t *track, uint64_t rate);

/* The samples' data as the fewest contiguous file ranges, in order. */
int vod_segment_ranges(vod_env_t *env, const vod_segment_t *segment,
    vod_range_t **ranges, uint32_t *count);


#endif /* _VOD_FMP4_H_INCLUDED_ */
