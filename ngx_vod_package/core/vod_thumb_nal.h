/*
 * vod_thumb_nal.h: which samples a decode towards a later frame may skip
 * (thumbnails, tile sheets): frames no frame decoded after them refers
 * to, told from the headers of their length-prefixed NAL units.
 */

#ifndef _VOD_THUMB_NAL_H_INCLUDED_
#define _VOD_THUMB_NAL_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"


typedef struct {
    uint32_t      codec;              /* VOD_CODEC_AVC or _HEVC */
    uint32_t      nal_length_size;    /* 1, 2 or 4 */
    uint32_t      top_tid;            /* HEVC: the highest TemporalId */
    unsigned      skip:1;             /* 0: no sample is skipped */
} vod_thumb_nal_t;


/*
 * How a track's samples are told apart, from its decoder configuration
 * (avcC or hvcC payload).  An HEVC sub-layer non-reference picture may
 * still be referred to by pictures of a higher temporal sub-layer, so
 * only those of the highest are skipped, which hvcC's numTemporalLayers
 * gives; where it says "unknown" (0) nothing is skipped, as for any other
 * codec or a configuration too short to say.
 */
void vod_thumb_nal_init(vod_thumb_nal_t *nal, uint32_t codec,
    const u_char *config, size_t config_len, uint32_t nal_length_size);

/*
 * 1 when a sample is a frame that no frame after it in decode order
 * refers to: H.264, every slice's nal_ref_idc is 0; HEVC, every slice is
 * a sub-layer non-reference picture (TRAIL_N, TSA_N, STSA_N, RADL_N,
 * RASL_N, RSV_VCL_N10/12/14) of the highest sub-layer.  0 when it is
 * referred to, has no slice, or cannot be told (a length past the end).
 */
int vod_thumb_nal_disposable(vod_thumb_nal_t *nal, const u_char *data,
    size_t len);

/*
 * 1 when an H.264 sample is the key frame of an open GOP: its first slice
 * a non-IDR (nal_unit_type 1) I or SI slice, as x264 --open-gop makes its
 * key frames after the first.  0 for an IDR, a P or B slice (an intra
 * refresh's "key frame"), any other codec, or a sample that cannot be
 * told.
 */
int vod_thumb_nal_open_key(vod_thumb_nal_t *nal, const u_char *data,
    size_t len);


#endif /* _VOD_THUMB_NAL_H_INCLUDED_ */
