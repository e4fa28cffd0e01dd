/*
 * vod_ts.h: MPEG-TS output (ISO/IEC 13818-1) for HLS on older devices:
 * H.264 (AVCC converted to Annex B, SPS/PPS before every key frame, AUD),
 * AAC (ADTS), AC-3 and E-AC-3 (ATSC A/52 stream types 0x81 and 0x87 with
 * their registration descriptors), PAT/PMT at the start, PCR on the video
 * PID.
 */

#ifndef _VOD_TS_H_INCLUDED_
#define _VOD_TS_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_ts_saes.h"


typedef struct vod_ts_mux_s  vod_ts_mux_t;


/* Mux one segment.  video or audio may be NULL, not both; their samples'
 * data is read through env->read.  Timestamps are the samples' presentation
 * times on a 90 kHz clock plus a fixed offset, so consecutive segments
 * continue one timeline.  The output is one buffer of whole 188-byte
 * packets. */
int vod_ts_segment(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, u_char **out, size_t *len);

/* The same in steps, so a server can send the segment as it is made from
 * a small buffer that stays in the CPU's cache: vod_ts_open() reads the
 * samples and plans the packets (*len: the segment's exact size), then
 * each vod_ts_write() fills buf with the next whole PES packets that fit
 * in size bytes and returns how many bytes it wrote, 0 once all are out.
 * A buffer of vod_ts_write_min() bytes always takes at least one PES.
 * vod_ts_write() uses neither env nor the file: it may run on another
 * thread than vod_ts_open() did, as long as not on two at once. */
int vod_ts_open(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, vod_ts_mux_t **mux, size_t *len);
size_t vod_ts_write_min(vod_ts_mux_t *mux);

/* vod_ts_open() with HLS SAMPLE-AES (vod_ts_saes.h) under saes's key and
 * IV: H.264 slices and AAC frames encrypted, their stream types and
 * descriptors in the PMT, one AAC frame a PES.  AC-3 and E-AC-3 are
 * refused (VOD_UNSUPPORTED).  saes is not kept. */
int vod_ts_open_saes(vod_env_t *env, const vod_segment_t *video,
    const vod_segment_t *audio, const vod_ts_saes_t *saes,
    vod_ts_mux_t **mux, size_t *len);

/* Name the audio's language in the PMT (an ISO_639_language_descriptor,
 * 13818-1 2.6.18) from an mdhd code: three lowercase letters and a NUL,
 * else nothing.  After vod_ts_open(), before the first vod_ts_write(); the
 * PMT stays one packet, so the segment's size does not change. */
void vod_ts_language(vod_ts_mux_t *mux, const char *code);
size_t vod_ts_write(vod_ts_mux_t *mux, u_char *buf, size_t size);

/* A track's bit rate as MPEG-TS segments carry it: 4 bytes of packet
 * header per 184 of payload, PES headers, access unit delimiters, ADTS
 * headers, stuffing and the PSI; an upper bound for BANDWIDTH. */
uint64_t vod_ts_bitrate(const vod_track_info_t *track, uint64_t rate);

/* Whether a variant with muxed audio carries this track (H.264 and AAC
 * only: what every HLS client of MPEG-TS decodes). */
int vod_ts_supported(const vod_track_info_t *track);

/* Whether vod_ts_segment() carries this audio track: AAC, AC-3, E-AC-3
 * (audio-only segments; the muxer takes them beside video too). */
int vod_ts_audio_supported(const vod_track_info_t *track);


#endif /* _VOD_TS_H_INCLUDED_ */
