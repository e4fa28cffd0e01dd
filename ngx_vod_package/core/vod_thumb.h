/*
 * vod_thumb.h: the pure parts of a thumbnail (thumb-{id}-{ms}.jpg): which
 * samples of a video track show the frame presented at a time, and the
 * picture's size (which of them the decoder may skip: vod_thumb_nal.h).
 * The decoding itself is the glue's (ngx_vod_package_decode.c, FFmpeg).
 */

#ifndef _VOD_THUMB_H_INCLUDED_
#define _VOD_THUMB_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"


/* the smallest picture side: 4:2:0 chroma needs 2 */
#define VOD_THUMB_MIN_SIDE  2


typedef struct {
    uint32_t      key;                /* the key frame decoding starts at */
    uint32_t      target;             /* the sample presented at the time */
    uint64_t      pts;                /* the target's presentation time */
    unsigned      lead:1;             /* a leading picture whose GOP
                                         before is in the segment before */
} vod_thumb_pick_t;


/*
 * The segment whose samples may hold the frame presented at time (track
 * timescale, presentation time as the segments' tfdt plus composition
 * offsets give it): the last one starting (seg_time) at or before
 * time - min_pts_delay.  An open GOP's leading picture in the segment
 * after it may still be the frame (vod_thumb_next_may_hold()).
 * VOD_NOT_FOUND when time is at or past the track's duration.
 */
int vod_thumb_segment(vod_track_info_t *info, uint64_t time, uint32_t *seg);

/*
 * Among a segment's samples (decode order), the one presented at time:
 * the greatest presentation time (start_dts + decode offset + pts_delay)
 * at or before it, and the key frame before it in decode order that
 * decoding starts at.  VOD_NOT_FOUND when no sample of the segment is
 * presented at or before time (the frame is in the segment before); with
 * first set (segment 0) that case picks the first frame presented.
 * VOD_BAD_DATA when no key frame precedes the target.
 *
 * A leading picture (open GOP: decoded after its key frame, presented
 * before it; x265's CRA pictures by default, x264's --open-gop) may refer
 * to the GOP before, which a decode from its own key frame lacks: the
 * key frame is then the one before that, and when the segment has none,
 * lead is set (the caller joins the segment before: vod_thumb_join()).
 */
int vod_thumb_pick(vod_segment_t *segment, uint64_t time, int first,
    vod_thumb_pick_t *pick);

/*
 * ms milliseconds in ticks of timescale, rounded down, or with up rounded
 * up (a frame at or after ms is at or after that).
 */
uint64_t vod_thumb_ticks(uint64_t ms, uint32_t timescale, int up);

/*
 * The earliest presentation time at or after time among a segment's
 * samples, into *pts: where ffmpeg's frame at a time (-ss) is, the first
 * frame presented at or after it, which vod_thumb_pick() then finds as
 * the one presented at that time.  VOD_NOT_FOUND when no sample of the
 * segment is presented at or after time.
 */
int vod_thumb_first_after(const vod_segment_t *segment, uint64_t time,
    uint64_t *pts);

/*
 * Whether the segment after segment (number seg from 0) may hold a frame
 * presented at or before time: an open GOP's leading picture of its first
 * key frame, decoded after every sample of segment and presented before
 * that key frame, which may be presented after the frame segment holds
 * for time (vod_thumb_segment() goes by the key frames' presentation
 * times).  Those samples are decoded from segment's end on, so presented
 * at that end plus min_pts_delay at the earliest.
 */
int vod_thumb_next_may_hold(const vod_track_info_t *info, uint32_t seg,
    const vod_segment_t *segment, uint64_t time);

/*
 * segment preceded by prev, the segment before it, as one: a copy of
 * both sample lists (env's memory).  VOD_BAD_DATA when prev does not end
 * where segment starts.
 */
int vod_thumb_join(vod_env_t *env, const vod_segment_t *prev,
    vod_segment_t *segment);

/*
 * The picture size for a source of src_w x src_h display pixels: w x h
 * asked for (0: not given; both: the largest size with the source's
 * aspect within w x h; neither: the source's) within max_w x max_h (a
 * picture asked for larger is VOD_BAD_REQUEST; the source's own size is
 * scaled down to fit).  Even sides, at least VOD_THUMB_MIN_SIDE.
 */
int vod_thumb_size(uint32_t src_w, uint32_t src_h, uint32_t w, uint32_t h,
    uint32_t max_w, uint32_t max_h, uint32_t *out_w, uint32_t *out_h);

/* the same for a video track's pictures, from the size it is displayed
 * at (vod_hdr_track_display(): an anamorphic video's samples are not
 * square, a JPEG's are), turned as it is shown (vod_orient.h: a phone's
 * portrait video is stored landscape) */
int vod_thumb_track_size(const vod_track_info_t *info, uint32_t w,
    uint32_t h, uint32_t max_w, uint32_t max_h, uint32_t *out_w,
    uint32_t *out_h);


#endif /* _VOD_THUMB_H_INCLUDED_ */
