/*
 * vod_mp4text.h: text tracks inside the MP4 renditions as subtitle
 * renditions.  A tx3g track (3GPP TS 26.245 timed text, QuickTime's and
 * ffmpeg's mov_text) or a wvtt track (ISO/IEC 14496-30 WebVTT in MP4) is
 * indexed as a VOD_TRACK_TEXT track (vod_index_parse.c); its samples are
 * turned here into the WebVTT cues the sidecars give (vod_vtt.h), so the
 * same playlists, segments and MPD entries serve both.
 */

#ifndef _VOD_MP4TEXT_H_INCLUDED_
#define _VOD_MP4TEXT_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_subs.h"
#include "vod_vtt.h"


/* the most samples and sample bytes read of one text track, and the most
 * cues made of it: a feature film's track has a few thousand samples and
 * a few hundred KB */
#define VOD_MP4TEXT_MAX_SAMPLES   (64 * 1024)
#define VOD_MP4TEXT_MAX_BYTES     VOD_VTT_MAX_FILE
#define VOD_MP4TEXT_MAX_CUES      (64 * 1024)

/* "text" + a track_ID + "-" + a rendition id, and the NUL */
#define VOD_MP4TEXT_ID_LEN        (4 + 10 + 1 + 64 + 1)


/* one sample of a text track, read */
typedef struct {
    uint64_t        start;            /* presentation time, milliseconds */
    uint64_t        end;              /* milliseconds, >= start */
    const u_char   *data;
    uint32_t        size;
} vod_mp4text_sample_t;


/*
 * The cues of a text track's samples (in decode order) of codec
 * VOD_CODEC_TX3G or VOD_CODEC_WVTT.
 *
 * tx3g: a 16-bit text length, the text (UTF-8, or UTF-16 after a byte
 * order mark, converted to UTF-8), then modifier boxes (styles,
 * highlights, karaoke...), which are skipped; an empty text is a gap.
 * The text has & < > escaped, as it is plain text, not WebVTT markup.
 *
 * wvtt: the sample is boxes: vttc (a cue: payl its text, iden its id,
 * sttg its settings), vtte (no cue: a gap) and others (vtta comments),
 * skipped.  The text keeps its WebVTT markup.  A cue repeated in the
 * next sample with the same id, settings and text (the format splits a
 * cue at every sample boundary) is one cue.
 *
 * In both, CR and CRLF become LF, empty lines (and trailing spaces) are
 * dropped (they would end the cue), bytes that are not UTF-8 become
 * U+FFFD, a "-->" in text becomes "--&gt;", and an id or settings with a
 * line break, '&' or "-->" is dropped, so what vod_vtt_write() makes of
 * the cues is WebVTT.
 * A sample that does not hold what its format says (a text length past
 * its end, a box past its end) is VOD_BAD_DATA with one log line naming
 * it; so are more than VOD_MP4TEXT_MAX_CUES cues.  Cue strings are in
 * env memory.
 */
int vod_mp4text_cues(vod_env_t *env, uint32_t codec,
    const vod_mp4text_sample_t *samples, uint32_t count, vod_vtt_t *vtt);

/*
 * The byte ranges of a text track's samples, adjacent samples merged, so
 * they are read with one read per range.  *total is the bytes of all of
 * them.  More than VOD_MP4TEXT_MAX_SAMPLES samples or
 * VOD_MP4TEXT_MAX_BYTES bytes is VOD_BAD_DATA (logged).
 */
int vod_mp4text_ranges(vod_env_t *env, const vod_sample_t *samples,
    uint32_t count, vod_range_t **ranges, uint32_t *range_count,
    uint64_t *total);

/* Whether a tx3g track says all its samples are forced (the displayFlags
 * of its sample entry, bit 0x80000000 as QuickTime sets it); 0 for wvtt,
 * which has no such flag. */
int vod_mp4text_forced(const vod_track_info_t *track);

/*
 * A text rendition's spec: id "text{T}-{rid}" (T the tkhd track_ID, rid
 * the id of the file's rendition) in buf, language from mdhd as a BCP 47
 * tag (vod_lang_bcp47()), forced from vod_mp4text_forced(), the track's
 * id and codec.  VOD_BAD_REQUEST when the id is longer than a URL's may
 * be (vod_title_id_valid()).  The spec's strings point into buf, lang and
 * file.
 */
int vod_mp4text_spec(const vod_track_info_t *track, const vod_str_t *rid,
    const vod_str_t *file, u_char buf[VOD_MP4TEXT_ID_LEN],
    char lang[VOD_SUB_LANG_LEN], vod_subtitle_spec_t *spec);

/* Whether id is a text rendition's, "text{T}-{rid}": T a decimal from 1
 * without leading zeros, rid not empty; sets *track_id and rid (pointing
 * into id). */
int vod_mp4text_id_parse(const vod_str_t *id, uint32_t *track_id,
    vod_str_t *rid);


#endif /* _VOD_MP4TEXT_H_INCLUDED_ */
