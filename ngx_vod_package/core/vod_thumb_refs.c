/*
 * vod_thumb_refs.c: the H.264 frames a thumbnail's decode needs
 * (vod_thumb_refs.h): the model, from ITU-T H.264 8.2.1 (POC type 0),
 * 8.2.4 (reference picture lists) and 8.2.5 (marking), run on the
 * pictures vod_thumb_refs_parse.c reads from the parameter sets and the
 * slice headers.
 *
 * Modelled: frames only (frame_mbs_only_flag 1), POC type 0 (and type 2,
 * whose pictures are in output order: no B slice), short-term references
 * with the sliding window and MMCO 1, IDR, list modifications of
 * short-term pictures, any number of slices.  Not modelled, and so "no
 * proof": fields, MBAFF, POC type 1, long-term references (MMCO 2, 3, 4,
 * 6, long_term_reference_flag), MMCO 5, slice groups, redundant slices,
 * frame_num gaps in the stream, a run not starting at an IDR, a missing
 * or changed parameter set, anything that does not parse.
 *
 * Why a skip is safe (libavcodec's h264 decoder, FFmpeg 5.1,
 * h264_field_start() and h264_refs.c, read, not copied): a reference
 * frame not given to it leaves a frame_num gap before the next picture
 * given; it fills the gap with stand-in frames for the missing frame_nums
 * (at most max_num_ref_frames of the last), marked by the sliding window,
 * each a copy of the newest reference with POC that picture's + 2.  A
 * skipped reference frame whose frame_num a decoded non-reference picture
 * already took gets no stand-in at all.  So the model runs twice: the
 * whole run (the true lists and DPB), then only the needed pictures with
 * those stand-ins, as libavcodec will see them:
 * - P lists go by PicNum (libavcodec: newest first), which a stand-in
 *   shares with the frame it stands for, so it takes that frame's index;
 * - B lists go by POC, which a stand-in does not share: it may come
 *   first, or hide a picture of its POC (add_sorted() takes one picture
 *   per POC value);
 * - a skipped frame's MMCO is not repeated by its stand-in, so the DPB
 *   may hold more, or a needed picture's MMCO may not find its picture.
 * The skip stands only where every needed picture gets the very same
 * lists (within num_ref_idx_active) and its marking works; where not,
 * the pictures behind the difference are needed too and it runs again
 * (vod_thumb_refs_needed()).  POC type 0 carries prevPicOrderCntMsb from
 * the last reference picture decoded: a needed picture's POC recomputed
 * from the needed references alone must equal its own.  The stand-ins
 * are not output; the output order heuristics see only needed pictures
 * (the "last_pocs" reset on a gap only lowers the reorder depth they
 * infer).  test/test_thumb_refs_av.c runs libavcodec itself on both
 * decodes of every frame of many encodings and compares the pixels.
 */

#include "vod_thumb_refs_int.h"


#define VOD_REFS_STAND_IN    0x8000    /* id of a stand-in frame */

/* a pass without some pictures does not decode as the whole run */
#define VOD_REFS_DIFFERS     1

/* rounds of the needed set's repair: each is a pass over the run, and a
 * hostile stream could otherwise ask one a picture */
#define VOD_REFS_MAX_ROUNDS  16


/* a DPB entry of a model run: a picture of the run, or a stand-in */
typedef struct {
    uint16_t       id;
    uint32_t       frame_num;
    int32_t        poc;
} vod_refs_entry_t;


typedef struct {
    vod_refs_entry_t  e[VOD_REFS_MAX_DPB + 1];     /* newest first */
    uint32_t          n;
    uint32_t          last_frame_num;  /* of the last picture decoded */
} vod_refs_dpb_t;


static int vod_refs_run(vod_thumb_refs_t *r, const u_char *need,
    uint32_t *bad, vod_refs_dpb_t *dpb);
static void vod_refs_gap(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb,
    uint32_t frame_num);
static int vod_refs_lists(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb,
    vod_refs_pic_t *pic, vod_refs_slice_t *sl, uint16_t list[2][33],
    uint32_t *len);
static int32_t vod_refs_pic_num(vod_thumb_refs_t *r, uint32_t fn,
    uint32_t cur);
static int vod_refs_mark(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb,
    vod_refs_pic_t *pic, uint16_t id);
static void vod_refs_slide(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb);
static void vod_refs_close(vod_thumb_refs_t *r, u_char *need);


/* 8.2.1.1: PicOrderCntMsb from the previous reference picture's */

int32_t
vod_refs_poc(vod_refs_sps_t *sps, uint32_t lsb, int32_t *msb,
    uint32_t prev_lsb, int32_t prev_msb)
{
    int32_t  max;

    max = (int32_t) (1u << sps->log2_max_poc_lsb);

    if (lsb < prev_lsb && (int32_t) (prev_lsb - lsb) >= max / 2) {
        *msb = prev_msb + max;

    } else if (lsb > prev_lsb && (int32_t) (lsb - prev_lsb) > max / 2) {
        *msb = prev_msb - max;

    } else {
        *msb = prev_msb;
    }

    return *msb + (int32_t) lsb;
}


/* 8.2.4.1 for frames: PicNum is FrameNumWrap */

static int32_t
vod_refs_pic_num(vod_thumb_refs_t *r, uint32_t fn, uint32_t cur)
{
    return (fn > cur) ? (int32_t) fn - (int32_t) (1u << r->active
                                                       ->log2_max_frame_num)
                      : (int32_t) fn;
}


/*
 * 8.2.4.2 and 8.2.4.3 as libavcodec makes them (h264_refs.c), on a DPB
 * that may hold stand-ins.  P: the short-term pictures newest first
 * (descending PicNum).  B: L0, the pictures of POC up to the current
 * one's descending then those after ascending, L1 the other way round,
 * one picture per POC value (libavcodec's add_sorted() steps past a POC
 * once taken, so a stand-in may hide a real picture of its POC); L1's
 * first two swapped when both lists are the same and longer than one.
 * Then the modifications, each putting the short-term picture of a
 * PicNum at refIdx and dropping its later copy, and the lists are cut to
 * num_ref_idx_active.
 */

static int
vod_refs_lists(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb,
    vod_refs_pic_t *pic, vod_refs_slice_t *sl, uint16_t list[2][33],
    uint32_t *len)
{
    int32_t    pred, num, nowrap, max_pic_num, limit, best, poc;
    uint16_t   t;
    uint32_t   l, i, j, n, m, cur, found, dir, pass;

    cur = pic->frame_num;
    t = 0;

    for (l = 0; l < 2; l++) {
        len[l] = 0;

        if (sl->active[l] == 0) {
            continue;
        }

        if (!sl->b) {
            for (i = 0; i < dpb->n && i < VOD_REFS_MAX_LIST; i++) {
                list[l][i] = dpb->e[i].id;
            }

            len[l] = i;
            continue;
        }

        n = 0;

        for (pass = 0; pass < 2; pass++) {
            /* dir 1: POCs up to the limit, descending; 0: above it,
             * ascending */
            dir = (pass == 0) ? (l == 0) : (l != 0);
            limit = pic->poc;

            for ( ;; ) {
                best = dir ? INT32_MIN : INT32_MAX;
                found = 0;

                for (i = 0; i < dpb->n; i++) {
                    poc = dpb->e[i].poc;

                    if (dir ? (poc <= limit && poc >= best)
                            : (poc > limit && poc < best))
                    {
                        if (poc == best && found && !dir) {
                            /* of equal POCs, the newest stays above the
                             * limit, the oldest up to it */
                            continue;
                        }

                        best = poc;
                        t = dpb->e[i].id;
                        found = 1;
                    }
                }

                if (!found || n >= VOD_REFS_MAX_LIST) {
                    break;
                }

                list[l][n++] = t;

                if (dir && best == INT32_MIN) {
                    break;
                }

                limit = dir ? best - 1 : best;
            }
        }

        len[l] = n;
    }

    if (sl->b && len[0] == len[1] && len[1] > 1) {
        for (i = 0; i < len[0] && list[0][i] == list[1][i]; i++) {
            /* void */
        }

        if (i == len[0]) {
            t = list[1][0]; list[1][0] = list[1][1]; list[1][1] = t;
        }
    }

    max_pic_num = (int32_t) (1u << r->active->log2_max_frame_num);

    for (l = 0; l < 2; l++) {
        if (sl->active[l] == 0) {
            continue;
        }

        if (len[l] > sl->active[l]) {
            len[l] = sl->active[l];
        }

        pred = (int32_t) cur;

        for (m = 0; m < sl->nmod[l]; m++) {
            if (sl->mod_idc[l][m] == 0) {
                nowrap = pred - (int32_t) (sl->mod_val[l][m] + 1);
                if (nowrap < 0) {
                    nowrap += max_pic_num;
                }

            } else {
                nowrap = pred + (int32_t) (sl->mod_val[l][m] + 1);
                if (nowrap >= max_pic_num) {
                    nowrap -= max_pic_num;
                }
            }

            if (nowrap < 0 || nowrap >= max_pic_num) {
                return VOD_BAD_DATA;
            }

            pred = nowrap;
            num = (nowrap > (int32_t) cur) ? nowrap - max_pic_num : nowrap;

            for (i = 0; i < dpb->n; i++) {
                if (vod_refs_pic_num(r, dpb->e[i].frame_num, cur) == num) {
                    break;
                }
            }

            /* no such short-term picture, or an entry past a hole of
             * "no reference picture" */
            if (i == dpb->n || m >= sl->active[l] || m > len[l]) {
                return VOD_BAD_DATA;
            }

            t = dpb->e[i].id;

            /* one past num_ref_idx_active for a moment */
            for (j = len[l]; j > m; j--) {
                list[l][j] = list[l][j - 1];
            }

            list[l][m] = t;
            len[l]++;

            for (i = m + 1, j = m + 1; i < len[l]; i++) {
                if (list[l][i] != t) {
                    list[l][j++] = list[l][i];
                }
            }

            len[l] = (j < sl->active[l]) ? j : sl->active[l];
        }
    }

    return VOD_OK;
}


/* the sliding window (8.2.5.3), as libavcodec does it: the oldest
 * short-term picture goes when the DPB is full */

static void
vod_refs_slide(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb)
{
    uint32_t  max;

    max = r->active->max_num_ref_frames ? r->active->max_num_ref_frames : 1;

    if (dpb->n > 0 && dpb->n >= max) {
        dpb->n--;
    }
}


/*
 * libavcodec's "frame num gap" (h264_field_start()): before a picture
 * whose frame_num is neither the last decoded picture's nor the next, a
 * stand-in for each frame_num between (at most max_num_ref_frames of the
 * last ones), marked by the sliding window, POC the newest short-term
 * picture's + 2.  A stand-in's id is never a picture's.
 */

static void
vod_refs_gap(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb, uint32_t frame_num)
{
    int32_t   prev, max_fn, poc;
    uint32_t  i;

    max_fn = (int32_t) (1u << r->active->log2_max_frame_num);
    prev = (int32_t) dpb->last_frame_num;

    if (prev > (int32_t) frame_num) {
        prev -= max_fn;
    }

    if ((int32_t) frame_num - prev > (int32_t) r->active->max_num_ref_frames)
    {
        prev = (int32_t) frame_num - (int32_t) r->active->max_num_ref_frames
               - 1;
    }

    if (prev < 0) {
        prev += max_fn;
    }

    while ((uint32_t) prev != frame_num
           && (uint32_t) ((prev + 1) % max_fn) != frame_num)
    {
        prev = (prev + 1) % max_fn;

        /* an empty DPB leaves the POC unknown: an unlikely value that
         * no list comparison can pass */
        poc = (dpb->n > 0) ? dpb->e[0].poc + 2 : INT32_MIN / 2;

        vod_refs_slide(r, dpb);

        for (i = dpb->n; i > 0; i--) {
            dpb->e[i] = dpb->e[i - 1];
        }

        dpb->e[0].id = (uint16_t) (VOD_REFS_STAND_IN | (uint32_t) prev);
        dpb->e[0].frame_num = (uint32_t) prev;
        dpb->e[0].poc = poc;
        dpb->n++;
    }
}


/* 8.2.5 once the picture is decoded: IDR, MMCO 1 or the sliding window,
 * then the picture joins the DPB, newest first */

static int
vod_refs_mark(vod_thumb_refs_t *r, vod_refs_dpb_t *dpb, vod_refs_pic_t *pic,
    uint16_t id)
{
    int32_t   num;
    uint32_t  i, k, max;

    if (!pic->ref) {
        return VOD_OK;
    }

    if (pic->idr) {
        dpb->n = 0;

    } else if (pic->mmco) {
        for (k = 0; k < pic->nmmco; k++) {
            num = (int32_t) pic->frame_num - (int32_t) (pic->mmco_diff[k] + 1);

            for (i = 0; i < dpb->n; i++) {
                if (vod_refs_pic_num(r, dpb->e[i].frame_num, pic->frame_num)
                    == num)
                {
                    break;
                }
            }

            if (i == dpb->n) {
                return VOD_BAD_DATA;
            }

            for ( /* void */ ; i + 1 < dpb->n; i++) {
                dpb->e[i] = dpb->e[i + 1];
            }

            dpb->n--;
        }

    } else {
        vod_refs_slide(r, dpb);
    }

    max = r->active->max_num_ref_frames ? r->active->max_num_ref_frames : 1;

    if (dpb->n >= max) {
        return VOD_BAD_DATA;
    }

    for (i = dpb->n; i > 0; i--) {
        dpb->e[i] = dpb->e[i - 1];
    }

    dpb->e[0].id = id;
    dpb->e[0].frame_num = pic->frame_num;
    dpb->e[0].poc = pic->poc;
    dpb->n++;

    return VOD_OK;
}


/*
 * One pass of the model.  need == NULL: the whole run, each picture's
 * lists and DPB kept.  Otherwise the pictures of need[] alone, as
 * libavcodec gets them: stand-ins for the reference pictures left out,
 * and each needed picture's lists must be the ones of the whole run, its
 * marking must work; VOD_REFS_DIFFERS with *bad the first picture where not.
 */

static int
vod_refs_run(vod_thumb_refs_t *r, const u_char *need, uint32_t *bad,
    vod_refs_dpb_t *dpb)
{
    uint16_t           list[2][VOD_REFS_MAX_LIST + 1];
    uint32_t           i, k, l, len[2];
    vod_refs_pic_t    *pic;
    vod_refs_slice_t  *sl;

    dpb->n = 0;
    dpb->last_frame_num = 0;

    for (i = 0; i < r->npics; i++) {
        pic = &r->pics[i];
        *bad = i;

        if (need != NULL && !need[i]) {
            continue;
        }

        if (need != NULL && !pic->idr
            && pic->frame_num != dpb->last_frame_num)
        {
            vod_refs_gap(r, dpb, pic->frame_num);
        }

        if (need == NULL) {
            for (k = 0; k < dpb->n; k++) {
                pic->dpb[k] = dpb->e[k].id;
            }

            pic->ndpb = (uint8_t) dpb->n;
        }

        for (k = 0; k < pic->nslices; k++) {
            sl = &pic->slices[k];

            if (vod_refs_lists(r, dpb, pic, sl, list, len) != VOD_OK) {
                return (need == NULL) ? VOD_BAD_DATA : VOD_REFS_DIFFERS;
            }

            for (l = 0; l < 2; l++) {
                if (need == NULL) {
                    sl->len[l] = (uint8_t) len[l];
                    memcpy(sl->list[l], list[l], len[l] * sizeof(uint16_t));
                    continue;
                }

                if (len[l] != sl->len[l]
                    || memcmp(sl->list[l], list[l],
                              len[l] * sizeof(uint16_t)) != 0)
                {
                    return VOD_REFS_DIFFERS;
                }
            }
        }

        if (vod_refs_mark(r, dpb, pic, (uint16_t) i) != VOD_OK) {
            return (need == NULL) ? VOD_BAD_DATA : VOD_REFS_DIFFERS;
        }

        dpb->last_frame_num = pic->frame_num;
    }

    return VOD_OK;
}


/* the needed set closed: what a needed picture's lists name is needed
 * (references point back in decode order: one pass from the end) */

static void
vod_refs_close(vod_thumb_refs_t *r, u_char *need)
{
    uint32_t           i, k, l, j;
    vod_refs_slice_t  *sl;

    for (i = r->npics; i-- > 0; ) {
        if (!need[i]) {
            continue;
        }

        for (k = 0; k < r->pics[i].nslices; k++) {
            sl = &r->pics[i].slices[k];

            for (l = 0; l < 2; l++) {
                for (j = 0; j < sl->len[l]; j++) {
                    need[sl->list[l][j]] = 1;
                }
            }
        }
    }
}


int
vod_thumb_refs_needed(vod_thumb_refs_t *r, u_char *need)
{
    int32_t          msb, prev_msb;
    uint32_t         i, k, bad, prev_lsb, added, id, round;
    vod_refs_dpb_t   dpb;
    vod_refs_pic_t  *pic;

    if (r->failed || r->npics == 0 || r->active == NULL) {
        return VOD_UNSUPPORTED;
    }

    if (vod_refs_run(r, NULL, &bad, &dpb) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    need[0] = 1;

    /*
     * The closure, then a pass as libavcodec would decode it; where a
     * needed picture's lists or marking differ, the pictures behind the
     * difference (the DPB of the whole run there, and those the stand-ins
     * stand for) are needed too, and again.  Each round adds a picture
     * or gives up, and there are at most VOD_REFS_MAX_ROUNDS.
     */

    for (round = 0; /* void */ ; round++) {
        vod_refs_close(r, need);

        if (vod_refs_run(r, need, &bad, &dpb) == VOD_OK) {
            break;
        }

        if (round == VOD_REFS_MAX_ROUNDS) {
            return VOD_UNSUPPORTED;
        }

        added = 0;
        pic = &r->pics[bad];

        for (k = 0; k < pic->ndpb; k++) {
            if (!need[pic->dpb[k]]) {
                need[pic->dpb[k]] = 1;
                added = 1;
            }
        }

        for (k = 0; k < dpb.n; k++) {
            if (!(dpb.e[k].id & VOD_REFS_STAND_IN)) {
                continue;
            }

            /* the reference picture of that frame_num before bad */
            for (i = bad; i-- > 0; ) {
                id = dpb.e[k].id & ~VOD_REFS_STAND_IN;

                if (r->pics[i].ref && r->pics[i].frame_num == id) {
                    if (!need[i]) {
                        need[i] = 1;
                        added = 1;
                    }

                    break;
                }
            }
        }

        if (!added) {
            return VOD_UNSUPPORTED;
        }
    }

    /* POC type 0: each needed picture's POC from the needed reference
     * pictures alone, as a decoder given only those computes it */

    if (r->active->log2_max_poc_lsb != 0) {
        prev_msb = 0;
        prev_lsb = 0;

        for (i = 0; i < r->npics; i++) {
            pic = &r->pics[i];

            if (!need[i]) {
                continue;
            }

            if (vod_refs_poc(r->active, pic->poc_lsb, &msb, prev_lsb,
                             prev_msb)
                != pic->poc)
            {
                return VOD_UNSUPPORTED;
            }

            if (pic->ref) {
                prev_msb = msb;
                prev_lsb = pic->poc_lsb;
            }
        }
    }

    return VOD_OK;
}


int
vod_thumb_refs_recovered(const vod_refs_head_t *heads, uint32_t n,
    uint32_t *at)
{
    uint32_t  i, frame_num;

    if (n == 0 || heads[0].recovery < 0 || heads[0].max_frame_num == 0
        || (uint32_t) heads[0].recovery >= heads[0].max_frame_num)
    {
        return VOD_NOT_FOUND;
    }

    frame_num = (heads[0].frame_num + (uint32_t) heads[0].recovery)
                % heads[0].max_frame_num;

    /* frame_num goes up by one after each reference picture: the first
     * picture that has it, before it comes round again */

    for (i = 0; i < n; i++) {
        if (heads[i].frame_num == frame_num) {
            *at = i;
            return VOD_OK;
        }
    }

    return VOD_NOT_FOUND;
}
