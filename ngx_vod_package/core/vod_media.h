/*
 * vod_media.h: request-local views of a media file, extracted from the
 * shared index (vod_index.h).  Every writer (fMP4, MPEG-TS, HLS, DASH)
 * works on these and never on the index itself, so the shared-memory lock
 * is held only while a view is copied out.
 */

#ifndef _VOD_MEDIA_H_INCLUDED_
#define _VOD_MEDIA_H_INCLUDED_


#include "vod_core.h"


#define VOD_TRACK_VIDEO   1
#define VOD_TRACK_AUDIO   2
#define VOD_TRACK_TEXT    3     /* subtitles, never cut on */

#define VOD_CODEC_AVC     1     /* avc1, avc3 */
#define VOD_CODEC_HEVC    2     /* hvc1, hev1 */
#define VOD_CODEC_AAC     3     /* mp4a with AudioSpecificConfig */
#define VOD_CODEC_AC3     4     /* ac-3 with dac3 */
#define VOD_CODEC_EAC3    5     /* ec-3 with dec3 */
#define VOD_CODEC_AV1     6     /* av01 with av1C */
#define VOD_CODEC_TX3G    7     /* tx3g: 3GPP timed text, mov_text */
#define VOD_CODEC_WVTT    8     /* wvtt: WebVTT in MP4 */


typedef struct {
    uint32_t      type;               /* VOD_TRACK_* */
    uint32_t      codec;              /* VOD_CODEC_* */
    uint32_t      track_id;           /* from tkhd */
    uint32_t      timescale;          /* from mdhd */
    uint64_t      duration;           /* when the track's presentation
                                         ends: its samples' durations
                                         after its first sample's
                                         presentation, and the empty
                                         edits that delay it
                                         (vod_idx_boundaries()) */
    uint32_t      sample_count;

    uint32_t      width;              /* video: display size from the */
    uint32_t      height;             /* sample entry */
    uint32_t      orient;             /* video: how it is turned to be
                                         shown (VOD_ORIENT_*, from the
                                         tkhd's matrix) */
    uint32_t      fps_num;            /* video: frame rate as a fraction, */
    uint32_t      fps_den;            /* e.g. 30000/1001 */
    uint32_t      nal_length_size;    /* video: 1, 2 or 4 */

    uint32_t      sample_rate;        /* audio */
    uint32_t      channels;           /* audio */
    uint32_t      aac_object_type;    /* audio: 2 for AAC-LC */

    uint64_t      avg_bitrate;        /* bits/s over the whole track */
    uint64_t      peak_bitrate;       /* bits/s of the largest segment */
    uint64_t      total_bytes;        /* sum of sample sizes */

    /* the least and the greatest pts_delay of the track's samples (edit
     * list applied; 0 and 0 for a track without composition offsets) */
    int32_t       min_pts_delay;
    int32_t       max_pts_delay;

    char          codec_str[48];      /* RFC 6381: avc1.64001f, mp4a.40.2 */
    char          lang[4];            /* ISO 639-2/T from mdhd, "und" */

    /* the raw sample entry box (avc1, hvc1, av01, mp4a, ec-3... with
     * its children), copied into the init segment's stsd as it is */
    u_char       *sample_entry;
    size_t        sample_entry_len;

    /* video: avcC / hvcC / av1C payload (after the box header);
     * audio: AudioSpecificConfig from esds, or the dac3 / dec3 payload */
    u_char       *dec_config;
    size_t        dec_config_len;

    /* segment boundaries in timescale units, as manifests give them:
     * seg_time[i] is when segment i's first sample (video: its key
     * frame) is presented, a text track's when it is decoded, a delayed
     * track's later by its delay but for the first segment; seg_time[0]
     * is 0 and seg_time[segment_count] equals duration
     * (vod_idx_boundaries()) */
    uint32_t      segment_count;
    uint64_t     *seg_time;
    uint64_t      shortest_segment;   /* of them, 0 if unknown */

    /* video: a sync sample (1-based) whose picture does not decode
     * alone, an intra refresh's recovery point (vod_idx_probe_keys()),
     * 0 when none was seen; such a video has no I-frame playlist */
    uint32_t      refresh_key;

    /* video, when asked for (vod_index_iframes()): its key frames in
     * decode order, NULL otherwise */
    struct vod_iframe_s  *iframes;
    uint32_t      iframe_count;
} vod_track_info_t;


/*
 * How many of a track's segments a second holds at most, as the
 * manifests time them: the bitrates the manifests give count what each
 * segment adds (boxes, tables, padding) this many times a second, so
 * that a segment shorter than a second (a last one, a short title, a
 * short vod_segment_duration) stays within them.  1 for segments of a
 * second or more, or of a length not known.
 */

static inline uint64_t
vod_track_segments_per_second(const vod_track_info_t *track)
{
    uint64_t  shortest;

    shortest = track->shortest_segment;

    if (shortest == 0 || shortest >= track->timescale) {
        return 1;
    }

    return (track->timescale + shortest - 1) / shortest;
}


/*
 * The longest of a track's segments, as the manifests time them, in the
 * track's timescale, and which it is (0-based, the first of the longest);
 * 0 for a track without segment times.
 */

static inline uint64_t
vod_track_longest_segment(const vod_track_info_t *track, uint32_t *which)
{
    uint32_t  i;
    uint64_t  d, longest;

    longest = 0;
    *which = 0;

    if (track->seg_time == NULL) {
        return 0;
    }

    for (i = 0; i < track->segment_count; i++) {
        if (track->seg_time[i + 1] <= track->seg_time[i]) {
            continue;
        }

        d = track->seg_time[i + 1] - track->seg_time[i];

        if (d > longest) {
            longest = d;
            *which = i;
        }
    }

    return longest;
}


/* one key frame of a video track: the I-frame playlists' entry */
typedef struct vod_iframe_s {
    uint64_t      time;               /* when it is presented, as the
                                         manifests time it: the first
                                         of a segment when the segment
                                         starts (vod_index_iframes()) */
    uint64_t      duration;           /* to the next key frame of its
                                         segment, else to the segment's
                                         end */
    uint32_t      segment;            /* 0-based segment it is in */
    uint32_t      key;                /* 1-based among the segment's key
                                         frames */
    uint32_t      size;               /* its sample's bytes */
} vod_iframe_t;


typedef struct {
    uint64_t      offset;             /* file offset of the sample data */
    uint32_t      size;
    uint32_t      duration;           /* decode time to the next sample */
    int32_t       pts_delay;          /* presentation minus decode time,
                                         edit list applied; may be < 0 */
    uint32_t      sync;               /* 1 for a key frame */
} vod_sample_t;


typedef struct {
    vod_track_info_t  *track;
    uint32_t           index;         /* 0-based segment number */
    uint64_t           start_dts;     /* decode time of the first sample */
    uint64_t           duration;      /* sum of sample durations */
    uint64_t           data_size;     /* sum of sample sizes */
    uint32_t           count;
    vod_sample_t      *samples;
    /* the place of the first sample in its media segment: an I-frame
     * segment's key frame's (vod_iframe_pick()), 0 for a media segment;
     * Common Encryption counts its samples' IVs from it */
    uint32_t           first;
    /* its media sequence number, HLS AES-128's IV (RFC 8216 5.2): a media
     * segment's index; an I-frame segment's key frame's place among the
     * track's key frames, its number in the I-frame playlist */
    uint32_t           sequence;
    /* the track's key frames before the segment's first sample */
    uint32_t           keys_before;
} vod_segment_t;


/* a contiguous byte range of the source file */
typedef struct {
    uint64_t      offset;
    uint64_t      size;
} vod_range_t;


#endif /* _VOD_MEDIA_H_INCLUDED_ */
