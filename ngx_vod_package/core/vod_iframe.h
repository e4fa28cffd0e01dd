/*
 * vod_iframe.h: I-frame playlists (RFC 8216 4.3.3.6 EXT-X-I-FRAMES-ONLY,
 * 4.3.4.3 EXT-X-I-FRAME-STREAM-INF) over I-frame-only segments.
 *
 * Each key frame of a video rendition is a segment of its own, cut from
 * the media segment it is in: iframe-{id}-{n}-{k}.m4s (CMAF, after the
 * rendition's video-{id}-init.mp4) and iframets-{id}-{n}-{k}.ts (MPEG-TS
 * with PAT and PMT), the k-th key frame of segment n.  Why not byte
 * ranges into the segments: an fMP4 range must start at a moof to be
 * parsed, which only a segment's first key frame does, and a key frame's
 * offset in an MPEG-TS segment depends on the audio muxed before it and
 * on each frame's Annex B size, known only once its samples are read.  A
 * one-frame segment is served by the segment machinery as it is (one
 * segment's samples read from the index, one sample sent), works the
 * same for HLS CMAF, HLS MPEG-TS and a DASH trick-mode set, and costs a
 * player the key frame alone rather than a range it must cut.
 */

#ifndef _VOD_IFRAME_H_INCLUDED_
#define _VOD_IFRAME_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_title.h"


/* the most key frames a track's I-frame playlist lists: 72 hours at one
 * a second (the index's own bound on segments), 8 MB of entries */
#define VOD_IFRAME_MAX  (72 * 3600)


/* A video track's key frames from the index into info->iframes and
 * info->iframe_count (vod_index_keys.c).  VOD_UNSUPPORTED, with one log
 * line, over VOD_IFRAME_MAX or for a track without a sync sample table
 * (every frame a key frame: no trick play to offer); VOD_NOT_FOUND for a
 * track that is not video. */
int vod_index_iframes(vod_env_t *env, const u_char *index, uint32_t track,
    vod_track_info_t *info);

/* The segment of key frame key (1-based) of a video segment: its one
 * sample, copied into *sample, lasting to the segment's next key frame or
 * to its end, and starting at its own decode time.  VOD_NOT_FOUND when
 * the segment has fewer key frames.  Its sequence is its number in the
 * I-frame playlist: the segment's keys_before plus key less one. */
int vod_iframe_pick(const vod_segment_t *segment, uint32_t key,
    vod_segment_t *out, vod_sample_t *sample);

/* BANDWIDTH (the peak bits/s of one I-frame segment over its duration)
 * and AVERAGE-BANDWIDTH (every segment's bytes over the key frames'
 * span) of a track's I-frame playlist, from the bytes each segment takes
 * on the wire as title's protection (title NULL or its protect NULL:
 * clear) serves it: exact for CMAF (the fMP4 writer's header for one
 * sample and the sample; under Common Encryption a key frame of one
 * slice, 6 bytes short for each further one), an upper estimate for
 * MPEG-TS (PAT, PMT, the PES with the SPS and PPS, in whole packets: the
 * Annex B sizes are known only once the sample is read); HLS AES-128's
 * padding included. */
int vod_iframe_rates(vod_env_t *env, const vod_track_info_t *track,
    const vod_title_t *title, unsigned ts, uint64_t *peak, uint64_t *avg);

/* The I-frame playlist of a rendition's video (iframe-{id}.m3u8, ts:
 * iframets-{id}.m3u8): EXT-X-VERSION 7 (CMAF, with EXT-X-MAP), 4 (the
 * least EXT-X-I-FRAMES-ONLY needs) or 5 (SAMPLE-AES), VOD,
 * EXT-X-I-FRAMES-ONLY, an EXTINF and a URI per key frame, EXT-X-ENDLIST.
 * With title->protect (title may be NULL: clear), the media playlist's
 * key lines where it has them (vod_hls_keys()): Common Encryption's
 * before EXT-X-MAP, HLS AES-128's and SAMPLE-AES's (and any past a clear
 * lead) before the first key frame of an encrypted segment.  AES-128's
 * IV is then each entry's media sequence number, its place in the list
 * from 0, as its segment's (vod_iframe_pick()).  VOD_NOT_FOUND for a
 * track without key frames. */
int vod_iframe_playlist(vod_env_t *env, const vod_str_t *id,
    const vod_track_info_t *track, const vod_title_t *title, unsigned ts,
    u_char **out, size_t *len);

/* A copy of a multivariant playlist with an EXT-X-I-FRAME-STREAM-INF
 * (BANDWIDTH, AVERAGE-BANDWIDTH, CODECS, RESOLUTION, URI) appended for
 * each video rendition of title whose track has its key frames
 * (vod_index_iframes()); ts: only those MPEG-TS carries, naming
 * iframets-{id}.m3u8. */
int vod_iframe_hls_master(vod_env_t *env, const u_char *in, size_t len,
    const vod_title_t *title, unsigned ts, u_char **out, size_t *out_len);

/* A copy of an MPD of vod_dash_mpd() with a trick-mode AdaptationSet
 * (DASH-IF IOP 3.2.9) before its "  </Period>" for each video
 * AdaptationSet whose renditions have their key frames: an
 * EssentialProperty of the DASH-IF "trickmode" scheme naming the
 * main set's id, and per rendition a Representation iframe-{id}
 * (codingDependency false, maxPlayoutRate the frames per key frame) whose
 * SegmentList names video-{id}-init.mp4 and the rendition's I-frame
 * segments on a SegmentTimeline of the main set's times; with
 * title->protect, the main set's ContentProtection elements too.  Ids
 * from one past the highest there.  VOD_ERROR when in has no Period's
 * end. */
int vod_iframe_dash(vod_env_t *env, const u_char *in, size_t len,
    const vod_title_t *title, u_char **out, size_t *out_len);


#endif /* _VOD_IFRAME_H_INCLUDED_ */
