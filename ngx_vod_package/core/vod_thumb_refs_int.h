/*
 * vod_thumb_refs_int.h: what the two halves of vod_thumb_refs.h share
 * beyond it: the model's POC (vod_thumb_refs.c), which the parser takes
 * for each picture it reads (vod_thumb_refs_parse.c).
 */

#ifndef _VOD_THUMB_REFS_INT_H_INCLUDED_
#define _VOD_THUMB_REFS_INT_H_INCLUDED_


#include "vod_thumb_refs.h"


/* 8.2.1.1: the POC of lsb, and its PicOrderCntMsb in *msb, after a
 * reference picture of prev_lsb and prev_msb */
int32_t vod_refs_poc(vod_refs_sps_t *sps, uint32_t lsb, int32_t *msb,
    uint32_t prev_lsb, int32_t prev_msb);


#endif /* _VOD_THUMB_REFS_INT_H_INCLUDED_ */
