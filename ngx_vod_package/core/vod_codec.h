/*
 * vod_codec.h: decoder configuration records and RFC 6381 codec strings.
 *
 *   AVC   avcC (ISO/IEC 14496-15, 5.3.3.1)    avc1.64001f
 *   HEVC  hvcC (ISO/IEC 14496-15, 8.3.3.1)    hvc1.1.6.L93.B0 (Annex E)
 *   AAC   esds + AudioSpecificConfig          mp4a.40.2
 *         (ISO/IEC 14496-1, 7.2.6 and ISO/IEC 14496-3, 1.6.2.1)
 *
 * The functions return VOD_OK or VOD_BAD_DATA and never log: the caller
 * knows which track and box it is and logs one line.
 */

#ifndef _VOD_CODEC_H_INCLUDED_
#define _VOD_CODEC_H_INCLUDED_


#include "vod_core.h"


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
 * indication (0x40 for MPEG-4 audio). */
int vod_codec_esds(const u_char *esds, size_t len, uint32_t *oti,
    const u_char **asc, size_t *asc_len);

/* Parse an AudioSpecificConfig: object type (with the escape to 32+),
 * sampling frequency (index or explicit 24-bit value, the SBR extension
 * frequency for explicit HE-AAC) and channel configuration. */
int vod_codec_aac_config(const u_char *asc, size_t len,
    vod_aac_config_t *cfg);

/* "mp4a.40.N" */
void vod_codec_aac(uint32_t object_type, char *str);


#endif /* _VOD_CODEC_H_INCLUDED_ */
