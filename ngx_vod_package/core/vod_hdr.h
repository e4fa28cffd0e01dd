/*
 * vod_hdr.h: a video track's colour description (ISO/IEC 23091-2, CICP)
 * and the dynamic range the manifests signal from it, and its sample
 * aspect ratio (pasp, the VUI's aspect_ratio_info):
 *
 *   colr box, nclx/nclc        ISO/IEC 14496-12 12.1.5
 *   pasp box                   ISO/IEC 14496-12 12.1.4
 *   H.264 SPS VUI              ISO/IEC 14496-10 E.1.1 (SPS in avcC)
 *   H.265 SPS VUI              ISO/IEC 23008-2 E.2.1 (SPS in hvcC)
 *   AV1 color_config           AV1 5.5.2 (the sequence header OBU in
 *                              av1C's configOBUs)
 *
 * TransferCharacteristics 16 (SMPTE ST 2084) is PQ, 18 (ARIB STD-B67) is
 * HLG, anything else SDR.  The readers return VOD_OK with the values,
 * VOD_NOT_FOUND when the record is sound but describes no colour, and
 * VOD_BAD_DATA when it is cut short or malformed; they never log.
 */

#ifndef _VOD_HDR_H_INCLUDED_
#define _VOD_HDR_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"


#define VOD_RANGE_SDR   0
#define VOD_RANGE_PQ    1
#define VOD_RANGE_HLG   2

#define VOD_CICP_UNSPECIFIED  2


typedef struct {
    uint32_t      primaries;          /* ColourPrimaries */
    uint32_t      transfer;           /* TransferCharacteristics */
    uint32_t      matrix;             /* MatrixCoefficients */
    uint32_t      full_range;         /* VideoFullRangeFlag */
    uint32_t      sar_width;          /* the VUI's sample aspect ratio */
    uint32_t      sar_height;         /* (0: not said) */
} vod_colour_t;


/* the payload of a colr box (after its header) */
int vod_hdr_colr(const u_char *colr, size_t len, vod_colour_t *c);

/* the first SPS of an avcC / hvcC payload */
int vod_hdr_avc(const u_char *avcc, size_t len, vod_colour_t *c);
int vod_hdr_hevc(const u_char *hvcc, size_t len, vod_colour_t *c);

/* the sequence header OBU among an av1C payload's configOBUs */
int vod_hdr_av1(const u_char *av1c, size_t len, vod_colour_t *c);

/* A video track's colour: its sample entry's colr box (nclx or nclc),
 * else what its decoder configuration's bitstream header says, else all
 * unspecified (2). */
void vod_hdr_track(const vod_track_info_t *track, vod_colour_t *c);

/*
 * A video track's sample aspect ratio (a pixel's width to its height),
 * reduced: its sample entry's pasp box, else the SPS VUI's
 * aspect_ratio_info (H.264 and H.265, ISO/IEC 14496-10 table E-1), else
 * 1:1, as FFmpeg's demuxer and decoder rank them.  And the size it is
 * displayed at: the width stretched by it (rounded), the height as coded.
 */
void vod_hdr_track_sar(const vod_track_info_t *track, uint32_t *w,
    uint32_t *h);
void vod_hdr_track_display(const vod_track_info_t *track, uint32_t *w,
    uint32_t *h);

/* VOD_RANGE_* of a colour, and of a track (SDR for audio) */
uint32_t vod_hdr_range(const vod_colour_t *c);
uint32_t vod_hdr_track_range(const vod_track_info_t *track);

/* "SDR", "PQ", "HLG": HLS VIDEO-RANGE values */
const char *vod_hdr_range_name(uint32_t range);


#endif /* _VOD_HDR_H_INCLUDED_ */
