/*
 * vod_index.h: the parsed sample index of one MP4 file.
 *
 * vod_index_build() turns a moov box into one flat, position-independent
 * blob (offsets, never pointers), so it can be copied into shared memory
 * and read by every worker.  The blob holds the moov's sample tables
 * (run-length tables kept run-length, sample sizes in the fewest bytes
 * that hold them) plus one decode checkpoint per segment, so extracting a
 * segment walks only its samples; on real titles it is smaller than the
 * moov.  vod_index_int.h describes its layout and the files that build
 * and read it.
 */

#ifndef _VOD_INDEX_H_INCLUDED_
#define _VOD_INDEX_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"


/*
 * The memory bound of one build: everything vod_index_build() and
 * vod_index_build_to() allocate (the blob included, wherever it goes; the
 * caller's copy of the moov not) stays under
 *
 *     VOD_INDEX_MEM_FACTOR * moov_size + VOD_INDEX_MEM_BASE
 *
 * and a file that would need more is refused with VOD_BAD_DATA and one
 * log line.  Tables stay as compact as the moov has them (runs stay runs,
 * a constant sample size stays one number, the others take the fewest
 * bytes that hold the largest), so the factor covers the one expansion
 * (4-bit stz2 sizes to bytes: 2 times) and the copies of stts and stss
 * (2 times); what grows with the segment count (cuts and cursors, 52
 * bytes per segment and track, and 16 per segment) fits in the moov bytes
 * a real title spends on each segment's samples, or else in the base.  A
 * two-hour H.264 + AAC title at 24 fps needs 0.68 times its 4.6 MB moov,
 * and its index is 0.67 times the moov.  The index is no larger than the
 * moov on the shapes of real titles (test_within_moov in
 * test/test_index_build.c).
 */
#define VOD_INDEX_MEM_FACTOR  8
#define VOD_INDEX_MEM_BASE    (1024 * 1024)

#define vod_index_mem_bound(moov_size)                                       \
    ((uint64_t) VOD_INDEX_MEM_FACTOR * (moov_size) + VOD_INDEX_MEM_BASE)


/* Find the top-level moov box by reading box headers through env->read;
 * handles moov before or after mdat, 64-bit sizes and size 0 (to EOF). */
int vod_mp4_find_moov(vod_env_t *env, uint64_t file_size,
    uint64_t *moov_offset, uint64_t *moov_size);

/* Parse a whole moov box (header included) and build the index.  Tracks
 * other than AVC/HEVC/AV1 video, AAC/AC-3/E-AC-3 audio and tx3g/wvtt
 * text are skipped; a file with no video or audio is VOD_UNSUPPORTED.
 * Segments are cut at the first key frame of the first video track at or
 * after each multiple of segment_ms; audio is cut at the same times, and
 * so are text tracks, which never move a boundary (a segment of theirs
 * may be empty).  Every size and offset is checked
 * against moov_size and file_size. */
int vod_index_build(vod_env_t *env, const u_char *moov, size_t moov_size,
    uint64_t file_size, uint32_t segment_ms, u_char **index,
    size_t *index_len);

/* The same, with the blob (its exact size known once the moov is parsed)
 * from alloc(data, size) rather than env->alloc, so a caller can build it
 * straight into shared memory; on failure after alloc the blob holds
 * garbage and is the caller's to free. */
typedef u_char *(*vod_index_alloc_pt)(void *data, size_t size);

int vod_index_build_to(vod_env_t *env, const u_char *moov, size_t moov_size,
    uint64_t file_size, uint32_t segment_ms, vod_index_alloc_pt alloc,
    void *data, u_char **index, size_t *index_len);

/* Validate a blob's header (magic, version, total size). */
int vod_index_check(const u_char *index, size_t len);

uint32_t vod_index_track_count(const u_char *index);

/* Index of the first track of a type, or -1. */
int vod_index_find_track(const u_char *index, uint32_t type);

/* The VOD_TRACK_* type of a track (by index), 0 when out of range. */
uint32_t vod_index_track_type(const u_char *index, uint32_t track);

/* Index of the track of a type whose tkhd track_ID is track_id, or -1. */
int vod_index_find_track_id(const u_char *index, uint32_t type,
    uint32_t track_id);

/* Copy a track's description and segment times into env memory. */
int vod_index_track_info(vod_env_t *env, const u_char *index,
    uint32_t track, vod_track_info_t *info);

/* Copy one segment's samples (0-based seg) into env memory;
 * VOD_NOT_FOUND when seg is out of range.  seg->track is set to info,
 * which the caller obtained from vod_index_track_info(). */
int vod_index_segment(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info, uint32_t seg, vod_segment_t *segment);


#endif /* _VOD_INDEX_H_INCLUDED_ */
