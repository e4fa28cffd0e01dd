/*
 * vod_url.h: the virtual file names under a title directory.
 *
 *   master.m3u8                  HLS multivariant playlist, CMAF
 *   master-ts.m3u8               HLS multivariant playlist, MPEG-TS
 *   manifest.mpd                 DASH MPD over the CMAF segments
 *   tracks.json                  the title's tracks as JSON: what the
 *                                playback API answers as available_tracks
 *   video-{id}.m3u8              CMAF media playlist of a video rendition
 *   audio-{id}.m3u8              CMAF media playlist of an audio rendition:
 *                                the first audio track of file {id}
 *   audio{T}-{id}.m3u8           the same for the audio track of file {id}
 *                                whose tkhd track_ID is T (1 to 2^32 - 1,
 *                                no leading zeros): a file's further audio
 *                                tracks, named by the file alone, so adding
 *                                files to the title never renames them
 *   ts-{id}.m3u8                 MPEG-TS media playlist
 *   video-{id}-init.mp4          CMAF init segments
 *   audio-{id}-init.mp4
 *   audio{T}-{id}-init.mp4
 *   video-{id}-{n}.m4s           CMAF media segments, n from 1
 *   audio-{id}-{n}.m4s
 *   audio{T}-{id}-{n}.m4s
 *   ts-{id}-{n}.ts               MPEG-TS segments (video + its own audio)
 *   videots-{id}.m3u8            MPEG-TS media playlist of a rendition's
 *   videots-{id}-{n}.ts          video alone, and its segments: the
 *                                variants of a title with several audio
 *                                renditions (or one TS cannot mux)
 *   audiots-{id}.m3u8            MPEG-TS media playlist of an audio
 *   audiots-{id}-{n}.ts          rendition and its audio-only segments,
 *   audiots{T}-{id}.m3u8         named as the CMAF ones (audio-, audio{T}-)
 *   audiots{T}-{id}-{n}.ts       on the same segment grid
 *   thumb-{id}-{ms}.jpg          the video frame presented at ms (0 to
 *                                2^32 - 1, no leading zeros) as a JPEG
 *   thumb-{id}-{ms}-w{W}.jpg     the same W pixels wide, aspect kept; -h{H}
 *   thumb-{id}-{ms}-h{H}.jpg     H high; -w{W}-h{H}: the largest size with
 *   thumb-{id}-{ms}-w{W}-h{H}.jpg  the frame's aspect within W x H
 *   tiles-{id}-{n}.jpg           thumbnail tile sheet n (from 1) of a
 *                                rendition's video (vod_tiles.h)
 *   tiles-{id}.vtt               the WebVTT thumbnail track over them
 *   thumb-...webp, tiles-{id}-{n}.webp  the same pictures as WebP
 *   images-{id}.m3u8             the HLS image media playlist over them
 *                                (vod_images.h)
 *   sub-{id}.m3u8                media playlist of subtitle rendition {id}
 *                                (vod_subs.h), listed by master.m3u8
 *   sub-{id}-{n}.vtt             its WebVTT segments, timestamps mapped to
 *                                the CMAF segments' timeline
 *   subts-{id}.m3u8              the same for master-ts.m3u8, mapped to
 *   subts-{id}-{n}.vtt           the MPEG-TS segments' timeline
 *   sub-{id}-full.vtt            the whole subtitle file as WebVTT (DASH)
 *   iframe-{id}.m3u8             the I-frame playlist of a rendition's
 *   iframets-{id}.m3u8           video, CMAF and MPEG-TS (vod_iframe.h)
 *   iframe-{id}-{n}-{k}.m4s      its I-frame segments: the k-th key frame
 *   iframets-{id}-{n}-{k}.ts     (from 1) of media segment n, alone
 *
 * All names are relative to the directory of the manifest that lists
 * them, so a path prefix in front of the title (a signed-URL token)
 * carries over to every child request.
 */

#ifndef _VOD_URL_H_INCLUDED_
#define _VOD_URL_H_INCLUDED_


#include "vod_core.h"


#define VOD_URL_MASTER           1
#define VOD_URL_MASTER_TS        2
#define VOD_URL_MPD              3
#define VOD_URL_PLAYLIST         4
#define VOD_URL_INIT             5
#define VOD_URL_SEGMENT          6
#define VOD_URL_THUMB            7
#define VOD_URL_TRACKS           8
#define VOD_URL_FULL             9
#define VOD_URL_TILES           10
#define VOD_URL_TILES_VTT       11
#define VOD_URL_IMAGES          12
#define VOD_URL_IFRAMES         13

/* the kinds made from the whole title rather than one rendition */
#define vod_url_is_title(kind)                                               \
    ((kind) == VOD_URL_MASTER || (kind) == VOD_URL_MASTER_TS                 \
     || (kind) == VOD_URL_MPD || (kind) == VOD_URL_TRACKS)

#define VOD_STREAM_VIDEO         1
#define VOD_STREAM_AUDIO         2
#define VOD_STREAM_TS            3
#define VOD_STREAM_SUB           4
#define VOD_STREAM_SUB_TS        5
#define VOD_STREAM_VIDEO_TS      6
#define VOD_STREAM_AUDIO_TS      7

/* the streams whose segments are MPEG-TS (.ts) */
#define vod_url_stream_ts(stream)                                            \
    ((stream) == VOD_STREAM_TS || (stream) == VOD_STREAM_VIDEO_TS           \
     || (stream) == VOD_STREAM_AUDIO_TS)


/* a picture's format, by its extension */
#define VOD_IMAGE_JPEG           0  /* .jpg */
#define VOD_IMAGE_WEBP           1  /* .webp */


typedef struct {
    uint32_t      kind;               /* VOD_URL_* */
    uint32_t      stream;             /* VOD_STREAM_*, not for manifests */
    vod_str_t     id;                 /* rendition id, points into name */
    uint32_t      track_id;           /* audio{T}-, audiots{T}-: T; 0 for
                                         audio-, audiots- */
    uint32_t      segment;            /* 0-based (URL number minus 1);
                                         tiles-: the sheet */
    uint32_t      key;                /* iframe-, iframets- segments: the
                                         1-based key frame of the
                                         segment; 0 for the others */
    uint32_t      thumb_ms;           /* thumb-: the time asked for */
    uint32_t      width;              /* thumb-: -w{W}, 0 when absent */
    uint32_t      height;             /* thumb-: -h{H}, 0 when absent */
    uint32_t      image;              /* thumb-, tiles-: VOD_IMAGE_* */
} vod_url_t;


/* Parse the last path component.  VOD_NOT_FOUND for a name that is not
 * ours at all (the glue then answers 404); VOD_BAD_REQUEST for one of our
 * forms with a bad id, number (0, leading zeros, overflow) or extension
 * combination (ts-{id}-init.mp4, video-{id}-3.ts, audiots-{id}-1.m4s,
 * sub-{id}-1.m4s,
 * subts-{id}-full.vtt) or track number (audio0-, audio01-, audiots0-, over
 * 2^32 - 1), an I-frame segment with a bad key frame number (0, leading
 * zeros, over 2^32 - 1) or of the other's extension (iframe-{id}-1-1.ts),
 * or a thumbnail with a bad time or size (-w0, -w010, a size over
 * 2^32 - 1, -h before -w). */
int vod_url_parse(const u_char *name, size_t len, vod_url_t *url);


#endif /* _VOD_URL_H_INCLUDED_ */
