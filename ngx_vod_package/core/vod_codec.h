/*
 * vod_codec.h: decoder configuration records and RFC 6381 codec strings.
 *
 *   AVC   avcC (ISO/IEC 14496-15, 5.3.3.1)    avc1.64001f
 *   HEVC  hvcC (ISO/IEC 14496-15, 8.3.3.1)    hvc1.1.6.L93.B0 (Annex E)
 *   AAC   esds + AudioSpecificConfig          mp4a.40.2
 *         (ISO/IEC 14496-1, 7.2.6 and ISO/IEC 14496-3, 1.6.2.1)
 *   AV1   av1C (AV1 ISOBMFF binding, 2.3)       av01.0.04M.08 (its
 *         "Codecs Parameter String" section)
 *   AC-3  dac3 (ETSI TS 102 366, F.4)           ac-3
 *   E-AC-3 dec3 (ETSI TS 102 366, F.6)          ec-3
 *
 * The functions return VOD_OK or VOD_BAD_DATA and never log: the caller
 * knows which track and box it is and logs one line.
 */

#ifndef _VOD_CODEC_H_INCLUDED_
#define _VOD_CODEC_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_hdr.h"


#define VOD_CODEC_STR_LEN  48


typedef struct {
    uint32_t      object_type;        /* audio object type, 2 for AAC-LC */
    uint32_t      sample_rate;        /* 0 when not signalled */
    uint32_t      channels;           /* 0 when not signalled (PCE) */
} vod_aac_config_t;


/* "avc1.PPCCLL" (lowercase hex) from an avcC payload; fourcc is the
 * sample entry type (avc1 or avc3), kept as the prefix. */
int vod_codec_avc(const u_char *avcc, size_t len, uint32_t fourcc,
    char *str, uint32_t *nal_length_size);

/* "hvc1.[A-C]P.C.TL.BB..." from an hvcC payload; fourcc hvc1 or hev1. */
int vod_codec_hevc(const u_char *hvcc, size_t len, uint32_t fourcc,
    char *str, uint32_t *nal_length_size);

/* Locate the AudioSpecificConfig inside an esds payload (after the box
 * header, version and flags included); *oti is the object type
 * indication (0x40 for MPEG-4 audio).  Without a DecoderSpecificInfo
 * (MP3 has none) *asc is NULL and *asc_len 0. */
int vod_codec_esds(const u_char *esds, size_t len, uint32_t *oti,
    const u_char **asc, size_t *asc_len);

/* Parse an AudioSpecificConfig: object type (with the escape to 32+),
 * sampling frequency (index or explicit 24-bit value, the SBR extension
 * frequency for explicit HE-AAC) and channel configuration. */
int vod_codec_aac_config(const u_char *asc, size_t len,
    vod_aac_config_t *cfg);

/* "mp4a.40.N" */
void vod_codec_aac(uint32_t object_type, char *str);

/* what dac3 and dec3 say of the (first independent) program */
typedef struct {
    uint32_t      sample_rate;        /* from fscod; 0 when reserved */
    uint32_t      channels;           /* LFE included */
    uint32_t      chan_map;           /* the 16-bit channel map of Dolby's
                                         DASH scheme (TS 102 366 Table
                                         E.1.4's order, L in the top bit) */
    uint32_t      joc;                /* E-AC-3 with Atmos (JOC): its
                                         complexity index, else 0 */
} vod_dolby_config_t;


/* dac3: fscod, acmod and lfeon */
int vod_codec_ac3(const u_char *dac3, size_t len, vod_dolby_config_t *cfg);

/* dec3: the first independent substream's acmod and lfeon, plus the
 * channels (chan_loc) of its dependent substreams, and the extension
 * (flag_ec3_extension_type_a, complexity_index_type_a) when present */
int vod_codec_eac3(const u_char *dec3, size_t len, vod_dolby_config_t *cfg);

/* the same for a track by its codec: VOD_NOT_FOUND for other codecs */
int vod_codec_dolby(const vod_track_info_t *track, vod_dolby_config_t *cfg);

/* E-AC-3 with Atmos (JOC): its complexity index; 0 for any other track */
uint32_t vod_codec_joc(const vod_track_info_t *track);

/* "av01.P.LLT.DD" from an av1C payload, with ".M.CCC.cp.tc.mc.F" when the
 * colour (and sampling) is not the default of BT.709, limited range,
 * 4:2:0 colocated-unknown (0.110.01.01.01.0) */
int vod_codec_av1(const u_char *av1c, size_t len, const vod_colour_t *c,
    char *str);


/*
 * Whether a sync sample's picture decodes alone, from its first bytes (a
 * sample of length-prefixed NAL units; the last unit may be cut short
 * where the read stopped): 1 for an H.264 IDR or a first slice I or SI,
 * an HEVC IRAP picture (nal_unit_type 16 to 23: BLA, IDR, CRA); 0 for
 * any other picture, as an intra refresh's recovery point that a muxer
 * marked a sync sample; -1 when the bytes do not say (no slice within
 * them, a length of 0, another codec).
 */
int vod_codec_key_alone(uint32_t codec, uint32_t nal_length_size,
    const u_char *data, size_t len);

#endif /* _VOD_CODEC_H_INCLUDED_ */
