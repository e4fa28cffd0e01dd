/*
 * vod_thumb_refs.h: which H.264 frames of a run (a key frame to the last
 * frame shown, decode order) a decode towards the frames shown needs,
 * proved from the parameter sets and the slice headers: the frames shown
 * and, transitively, every picture within num_ref_idx_active of any
 * reference picture list of a frame needed, checked by a second pass of
 * the model as libavcodec would decode only those (its "frame num gap"
 * stand-ins for the frames skipped must change no needed picture's
 * lists; see vod_thumb_refs.c).  Anything it does not model answers "no
 * proof": the caller then decodes every frame that is not disposable.
 */

#ifndef _VOD_THUMB_REFS_H_INCLUDED_
#define _VOD_THUMB_REFS_H_INCLUDED_


#include "vod_core.h"


#define VOD_REFS_MAX_DPB     16       /* H.264's max_num_ref_frames */
#define VOD_REFS_MAX_PPS     256
#define VOD_REFS_MAX_SPS     32
#define VOD_REFS_MAX_LIST    32       /* num_ref_idx_active */
#define VOD_REFS_MAX_SLICES  2        /* distinct list set-ups a picture */
#define VOD_REFS_MAX_MMCO    8
#define VOD_REFS_MAX_RUN     1024     /* pictures modelled in one run */


typedef struct {
    uint32_t      log2_max_frame_num;
    uint32_t      log2_max_poc_lsb;   /* 0: POC type 2 */
    uint32_t      max_num_ref_frames;
    uint32_t      chroma_array_type;
    unsigned      valid:1;
    unsigned      unsupported:1;      /* POC type 1, fields, gaps... */
} vod_refs_sps_t;


typedef struct {
    uint32_t      sps_id;
    uint32_t      num_ref_idx[2];     /* the defaults, minus1 + 1 */
    uint32_t      weighted_bipred_idc;
    unsigned      weighted_pred:1;
    unsigned      bottom_field_poc:1; /* bottom_field_pic_order_in_frame */
    unsigned      redundant_pic_cnt:1;
    unsigned      valid:1;
    unsigned      unsupported:1;      /* slice groups */
} vod_refs_pps_t;


/* what a slice says of its reference picture lists; the slices of a
 * picture that say the same share one */
typedef struct {
    uint8_t       b;
    uint8_t       active[2];
    uint8_t       nmod[2];
    uint8_t       mod_idc[2][VOD_REFS_MAX_LIST + 1];
    uint16_t      mod_val[2][VOD_REFS_MAX_LIST + 1];
    /* the lists as the whole run decodes them (picture indexes) */
    uint8_t       len[2];
    uint16_t      list[2][VOD_REFS_MAX_LIST];
} vod_refs_slice_t;


/* one picture of the run, in decode order */
typedef struct {
    int32_t           poc;
    uint32_t          frame_num;
    uint32_t          poc_lsb;
    uint16_t          mmco_diff[VOD_REFS_MAX_MMCO];   /* MMCO 1s */
    uint16_t          dpb[VOD_REFS_MAX_DPB];  /* before it, whole run */
    uint8_t           ndpb;
    uint8_t           nmmco;
    uint8_t           nslices;
    unsigned          ref:1;          /* nal_ref_idc != 0 */
    unsigned          idr:1;
    unsigned          mmco:1;         /* adaptive ref pic marking */
    vod_refs_slice_t  slices[VOD_REFS_MAX_SLICES];
} vod_refs_pic_t;


typedef struct {
    vod_refs_sps_t    sps[VOD_REFS_MAX_SPS];
    vod_refs_pps_t    pps[VOD_REFS_MAX_PPS];
    vod_refs_sps_t   *active;         /* the SPS of the run's pictures */
    vod_refs_pic_t   *pics;           /* the caller's, one per sample */
    uint32_t          npics;
    uint32_t          max;
    uint32_t          nal_length_size;
    uint32_t          prev_ref_frame_num;
    int32_t           prev_poc_msb;
    uint32_t          prev_poc_lsb;
    unsigned          failed:1;       /* no proof: decode everything */
} vod_thumb_refs_t;


/*
 * What a sample's first slice and its SEI say of it, for a decode that
 * starts at an intra refresh's recovery point (vod_thumb_refs_head()).
 */
typedef struct {
    uint32_t          frame_num;
    uint32_t          max_frame_num;  /* MaxFrameNum of its SPS */
    int32_t           recovery;       /* its recovery point SEI's
                                         recovery_frame_cnt; -1: none */
    unsigned          idr:1;
    unsigned          intra:1;        /* its first slice I or SI */
} vod_refs_head_t;


/* avcC's parameter sets; pics holds max pictures */
void vod_thumb_refs_init(vod_thumb_refs_t *r, const u_char *avcc,
    size_t len, uint32_t nal_length_size, vod_refs_pic_t *pics,
    uint32_t max);

/*
 * The run's next sample in decode order, or its first bytes: only the
 * parameter sets and the slice headers are read, and a NAL unit cut
 * short by len is parsed as far as it goes (its slice header must fit).
 */
void vod_thumb_refs_add(vod_thumb_refs_t *r, const u_char *data,
    size_t len);

/*
 * need[i] set (1) for each picture shown on entry; on VOD_OK, need[i] is
 * 1 for each picture the decode must be given.  Any other return: no
 * proof, need[] unchanged beyond the pictures shown.
 */
int vod_thumb_refs_needed(vod_thumb_refs_t *r, u_char *need);


/*
 * A sample's head, from its first bytes: the parameter sets it carries
 * are kept in r (vod_thumb_refs_init() first), its SEI read for a
 * recovery point (D.1.8), its first slice header for frame_num.  No
 * picture of the model is added.  VOD_OK; VOD_UNSUPPORTED for what the
 * slice header parser does not cover (data partitioning, fields, POC
 * type 1...); VOD_BAD_DATA when no slice header is within len.
 */
int vod_thumb_refs_head(vod_thumb_refs_t *r, const u_char *data,
    size_t len, vod_refs_head_t *h);

/*
 * Where the recovery point of heads[0] (a decode starts there, heads in
 * decode order) is reached, per H.264 D.2.8: the first picture whose
 * frame_num is heads[0]'s plus its recovery_frame_cnt, modulo
 * MaxFrameNum; every picture at or after it in output order is then
 * whole.  VOD_NOT_FOUND when heads[0] has no recovery point or the
 * picture is not among the n.
 */
int vod_thumb_refs_recovered(const vod_refs_head_t *heads, uint32_t n,
    uint32_t *at);


#endif /* _VOD_THUMB_REFS_H_INCLUDED_ */
