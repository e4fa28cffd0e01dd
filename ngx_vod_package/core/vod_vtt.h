/*
 * vod_vtt.h: subtitle text.  A WebVTT or SRT file is parsed into cues
 * (SRT converted to WebVTT's cue text); WebVTT is written back for a time
 * span, the segments of an HLS subtitle playlist, or whole.
 */

#ifndef _VOD_VTT_H_INCLUDED_
#define _VOD_VTT_H_INCLUDED_


#include "vod_core.h"
#include "vod_text.h"


/* the largest subtitle file parsed: a feature film's is about 100 KB */
#define VOD_VTT_MAX_FILE    (8 * 1024 * 1024)

/* no X-TIMESTAMP-MAP header (vod_vtt_write()'s mpegts) */
#define VOD_VTT_NO_MAP      ((uint64_t) -1)

/* the most bytes vod_vtt_stamp() writes */
#define VOD_VTT_TIME_LEN    (VOD_TEXT_UINT_LEN + 10)


typedef struct {
    uint64_t      start;              /* milliseconds */
    uint64_t      end;                /* milliseconds, >= start */
    vod_str_t     id;                 /* cue identifier, may be empty */
    vod_str_t     settings;           /* WebVTT cue settings, may be empty */
    vod_str_t     text;               /* lines joined by '\n', may be
                                         empty */
    uint32_t      seq;                /* the cue's place in the file */
} vod_vtt_cue_t;

typedef struct {
    vod_vtt_cue_t  *cues;             /* by start time, then file order */
    uint32_t        count;
} vod_vtt_t;


/*
 * Parses a WebVTT file (srt == 0) or an SRT file (srt == 1).  The text
 * must be UTF-8 (a BOM is skipped), with LF, CRLF or CR line ends.
 * WebVTT: the "WEBVTT" line and its header, then cues with or without
 * an identifier; NOTE, STYLE and REGION blocks are skipped (not written
 * back).  SRT: blocks of an optional counter, a timing line
 * "00:00:01,000 --> 00:00:02,500" (anything after the end time is
 * dropped) and the text, where <i> <b> <u> stay, <font> tags and {\...}
 * overrides are dropped and & < > become character references.  Anything
 * else (a block without timing, a bad timestamp, an end before its start,
 * "-->" in cue text, bytes that are not UTF-8, a file over
 * VOD_VTT_MAX_FILE, an SRT without cues) is VOD_BAD_DATA with one log
 * line naming the line number.  Cue strings point into buf or env memory.
 */
int vod_vtt_parse(vod_env_t *env, const u_char *buf, size_t len,
    unsigned srt, vod_vtt_t *vtt);

/*
 * The parsed cues as one flat blob that vod_vtt_write() reads, for a
 * cache to keep: "VTT1", the cue count (32 bits) and the longest cue's
 * duration (64 bits), each cue's offset in the blob (32 bits), then per
 * cue its start and end (64 bits), its id, settings and text lengths (32
 * bits) and their bytes.  VOD_BAD_DATA past 4 GB.
 */
int vod_vtt_pack(vod_env_t *env, const vod_vtt_t *vtt, u_char **blob,
    size_t *len);

/*
 * WebVTT of the cues of a blob of vod_vtt_pack() shown in [from, to)
 * (milliseconds): those that start before to and end after from (a cue of
 * no duration: starting in the span), at their own times, so a cue across
 * a boundary is in both spans.  mpegts other than VOD_VTT_NO_MAP adds the
 * header "X-TIMESTAMP-MAP=MPEGTS:{mpegts},LOCAL:00:00:00.000" (RFC 8216
 * 3.5): the cues' zero is the media's presentation time mpegts on the
 * 90 kHz clock.  A blob that is not one (truncated, lengths past its end)
 * is VOD_BAD_DATA.
 */
int vod_vtt_write(vod_env_t *env, const u_char *blob, size_t blob_len,
    uint64_t from, uint64_t to, uint64_t mpegts, u_char **out, size_t *len);


/* a cue timestamp, "HH:MM:SS.mmm" (the hours of two digits or more), of
 * ms milliseconds at p; returns the position after it */
u_char *vod_vtt_stamp(u_char *p, uint64_t ms);


#endif /* _VOD_VTT_H_INCLUDED_ */
