/*
 * vod_frag.h: fragmented MP4 input.  A fragmented file's moov lists its
 * tracks with empty sample tables and an mvex box; the samples are
 * described by the moof boxes that follow (ISO/IEC 14496-12 8.8).
 * vod_frag_moov() reads those moof boxes and writes the moov a
 * progressive file of the same samples would have, which the index build
 * takes as any other.
 */

#ifndef _VOD_FRAG_H_INCLUDED_
#define _VOD_FRAG_H_INCLUDED_


#include "vod_core.h"


/* the moof boxes a file may have: a two-hour title in 1 s fragments,
 * one per track for 8 tracks, is 57600 */
#define VOD_FRAG_MAX_FRAGMENTS  65536

/* the top-level boxes after the moov the walk looks at (moof, mdat,
 * sidx, styp, free, ...) */
#define VOD_FRAG_MAX_BOXES      (4 * VOD_FRAG_MAX_FRAGMENTS)


/*
 * moov is a whole moov box (header included) read from moov_offset.
 * Without an mvex box in it, *out is moov itself.  With one, every
 * top-level box after the moov is walked through env->read, each moof
 * read whole, and *out is a new moov (from env->alloc) without the mvex,
 * whose traks have stbl boxes (stts, ctts, stss, stsc, stsz, stco or
 * co64) listing the fragments' samples: each trun one chunk, a sample a
 * sync sample unless its flags say sample_is_non_sync_sample, the
 * decode times from the sample durations, a gap up to a later tfdt added
 * to the duration before it and a track's first tfdt taken as its start.
 *
 * A fragmented file whose moov lists samples too (ffmpeg without
 * empty_moov) is VOD_UNSUPPORTED, logged.
 *
 * Bounds: at most VOD_FRAG_MAX_FRAGMENTS moof boxes, max_size bytes of
 * them in all, a new moov of at most max_size bytes, every sample's data
 * inside the file and VOD_MAX_SAMPLES samples in all; past any, or on a
 * malformed box, VOD_BAD_DATA with one log line (a failed read: the
 * env's read says what failed, nothing more is logged).  The work is
 * linear in the bytes read and the samples, which the file's size bounds.
 */
int vod_frag_moov(vod_env_t *env, const u_char *moov, size_t moov_size,
    uint64_t moov_offset, uint64_t file_size, size_t max_size,
    const u_char **out, size_t *out_len);


#endif /* _VOD_FRAG_H_INCLUDED_ */
