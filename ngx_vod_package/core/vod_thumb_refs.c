/*
 * vod_thumb_refs.c: the H.264 frames a thumbnail's decode needs
 * (vod_thumb_refs.h), from ITU-T H.264 7.3.2.1 (SPS), 7.3.2.2 (PPS),
 * 7.3.3 (slice header), 8.2.1 (POC type 0), 8.2.4 (reference picture
 * lists) and 8.2.5 (marking).
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

#include "vod_thumb_refs.h"
#include "vod_bits.h"


/* a slice header is read from the first bytes of its NAL unit, emulation
 * prevention removed; pred_weight_table of 32 references fits */
#define VOD_REFS_HEADER_MAX  1024

#define VOD_REFS_SLICE_P     0
#define VOD_REFS_SLICE_B     1
#define VOD_REFS_SLICE_I     2
#define VOD_REFS_SLICE_SP    3
#define VOD_REFS_SLICE_SI    4

#define VOD_REFS_STAND_IN    0x8000    /* id of a stand-in frame */

/* a pass without some pictures does not decode as the whole run */
#define VOD_REFS_DIFFERS     1

/* rounds of the needed set's repair: each is a pass over the run, and a
 * hostile stream could otherwise ask one a picture */
#define VOD_REFS_MAX_ROUNDS  16


typedef struct {
    uint32_t       type;
    uint32_t       ref_idc;
    uint32_t       slice_type;
    uint32_t       frame_num;
    uint32_t       poc_lsb;
    uint32_t       nmmco;
    uint16_t       mmco_diff[VOD_REFS_MAX_MMCO];
    vod_refs_sps_t *sps;
    vod_refs_slice_t lists;
    unsigned       adaptive:1;
} vod_refs_hdr_t;


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


static void vod_refs_nal(vod_thumb_refs_t *r, const u_char *p, size_t n,
    vod_refs_pic_t *pic, uint32_t *slices);
static void vod_refs_sps(vod_thumb_refs_t *r, vod_bits_t *b);
static void vod_refs_pps(vod_thumb_refs_t *r, vod_bits_t *b);
static int vod_refs_slice_header(vod_thumb_refs_t *r, vod_bits_t *b,
    vod_refs_hdr_t *s);
static int vod_refs_picture(vod_thumb_refs_t *r, vod_refs_hdr_t *s,
    vod_refs_pic_t *pic, uint32_t first);
static int vod_refs_slice(vod_refs_hdr_t *s, vod_refs_pic_t *pic);
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
static int32_t vod_refs_poc(vod_refs_sps_t *sps, uint32_t lsb, int32_t *msb,
    uint32_t prev_lsb, int32_t prev_msb);


void
vod_thumb_refs_init(vod_thumb_refs_t *r, const u_char *avcc, size_t len,
    uint32_t nal_length_size, vod_refs_pic_t *pics, uint32_t max)
{
    size_t    n, i;
    uint32_t  count, k, set;

    memset(r, 0, sizeof(vod_thumb_refs_t));

    r->pics = pics;

    /* a picture's index must stay clear of VOD_REFS_STAND_IN */
    r->max = (max < VOD_REFS_MAX_RUN) ? max : VOD_REFS_MAX_RUN;
    r->nal_length_size = nal_length_size;

    if (nal_length_size != 1 && nal_length_size != 2
        && nal_length_size != 4)
    {
        r->failed = 1;
        return;
    }

    /* avcC: version, profile, compat, level, lengthSize, then the SPSs
     * (count & 0x1f) and the PPSs, each with a 16-bit length */

    if (avcc == NULL || len < 6) {
        r->failed = 1;
        return;
    }

    i = 5;

    for (set = 0; set < 2; set++) {
        if (i >= len) {
            r->failed = 1;
            return;
        }

        count = (set == 0) ? (avcc[i] & 0x1f) : avcc[i];
        i++;

        for (k = 0; k < count; k++) {
            if (len - i < 2) {
                r->failed = 1;
                return;
            }

            n = vod_r16(&avcc[i]);
            i += 2;

            if (n == 0 || n > len - i) {
                r->failed = 1;
                return;
            }

            vod_refs_nal(r, &avcc[i], n, NULL, NULL);
            i += n;
        }
    }
}


void
vod_thumb_refs_add(vod_thumb_refs_t *r, const u_char *data, size_t len)
{
    size_t           n, i;
    uint32_t         slices;
    vod_refs_pic_t  *pic;

    if (r->failed) {
        return;
    }

    if (r->npics >= r->max) {
        r->failed = 1;
        return;
    }

    pic = &r->pics[r->npics++];
    memset(pic, 0, sizeof(vod_refs_pic_t));

    slices = 0;

    while (len > 0 && !r->failed) {
        if (len < r->nal_length_size) {
            break;
        }

        for (n = 0, i = 0; i < r->nal_length_size; i++) {
            n = (n << 8) | data[i];
        }

        data += r->nal_length_size;
        len -= r->nal_length_size;

        if (n == 0) {
            r->failed = 1;
            return;
        }

        if (len == 0) {
            /* the caller's read ended at this unit's length */
            break;
        }

        /* the last unit may be cut short by the caller's read */
        vod_refs_nal(r, data, (n < len) ? n : len, pic, &slices);

        if (n >= len) {
            break;
        }

        data += n;
        len -= n;
    }

    if (slices == 0) {
        r->failed = 1;
        return;
    }

    if (pic->ref) {
        r->prev_ref_frame_num = pic->frame_num;
    }
}


/* one NAL unit of a sample (pic != NULL) or of avcC */

static void
vod_refs_nal(vod_thumb_refs_t *r, const u_char *p, size_t n,
    vod_refs_pic_t *pic, uint32_t *slices)
{
    size_t             len;
    u_char             buf[VOD_REFS_HEADER_MAX];
    uint32_t           type;
    vod_bits_t         b;
    vod_refs_hdr_t     s;

    type = p[0] & 0x1f;

    if (type != 1 && type != 5 && type != 7 && type != 8) {
        /* data partitioning (2..4) has its header in partition A; SEI,
         * AUD and the like say nothing of references */
        if (type >= 2 && type <= 4) {
            r->failed = 1;
        }

        return;
    }

    len = vod_bits_rbsp(p + 1, n - 1, buf, VOD_REFS_HEADER_MAX);
    vod_bits_init(&b, buf, len);

    if (type == 7) {
        vod_refs_sps(r, &b);
        return;
    }

    if (type == 8) {
        vod_refs_pps(r, &b);
        return;
    }

    if (pic == NULL) {
        return;
    }

    memset(&s, 0, sizeof(vod_refs_hdr_t));
    s.type = type;
    s.ref_idc = (p[0] >> 5) & 0x03;

    if (vod_refs_slice_header(r, &b, &s) != VOD_OK
        || vod_refs_picture(r, &s, pic, *slices == 0) != VOD_OK
        || vod_refs_slice(&s, pic) != VOD_OK)
    {
        r->failed = 1;
        return;
    }

    if (*slices == 0) {
        /* the first slice's marking stands for the picture's (all of its
         * slices must carry the same) */
        pic->mmco = s.adaptive;
        pic->nmmco = (uint8_t) s.nmmco;
        memcpy(pic->mmco_diff, s.mmco_diff, sizeof(pic->mmco_diff));
    }

    (*slices)++;
}


/* 7.3.2.1.1, up to frame_mbs_only_flag */

static void
vod_refs_sps(vod_thumb_refs_t *r, vod_bits_t *b)
{
    uint32_t        profile, id, i, j, n, poc_type, cf, sep, last;
    vod_refs_sps_t  sps;

    memset(&sps, 0, sizeof(vod_refs_sps_t));

    profile = vod_bits_u(b, 8);
    (void) vod_bits_u(b, 16);                   /* constraints, level */
    id = vod_bits_ue(b);

    cf = 1;
    sep = 0;

    if (profile == 100 || profile == 110 || profile == 122
        || profile == 244 || profile == 44 || profile == 83
        || profile == 86 || profile == 118 || profile == 128
        || profile == 138 || profile == 139 || profile == 134
        || profile == 135)
    {
        cf = vod_bits_ue(b);
        if (cf == 3) {
            sep = vod_bits_u(b, 1);
        }

        (void) vod_bits_ue(b);                  /* bit depths */
        (void) vod_bits_ue(b);
        (void) vod_bits_u(b, 1);                /* qpprime_y_zero... */

        if (vod_bits_u(b, 1)) {                 /* scaling matrices */
            for (i = 0; i < ((cf != 3) ? 8u : 12u) && !b->error; i++) {
                if (!vod_bits_u(b, 1)) {
                    continue;
                }

                n = (i < 6) ? 16 : 64;
                last = 8;

                for (j = 0; j < n && !b->error; j++) {
                    last = (last + vod_bits_se(b) + 256) % 256;
                    if (last == 0) {
                        break;
                    }
                }
            }
        }
    }

    sps.log2_max_frame_num = vod_bits_ue(b) + 4;
    poc_type = vod_bits_ue(b);

    if (poc_type == 0) {
        sps.log2_max_poc_lsb = vod_bits_ue(b) + 4;

    } else if (poc_type != 2) {
        sps.unsupported = 1;
    }

    if (!sps.unsupported) {
        sps.max_num_ref_frames = vod_bits_ue(b);

        if (vod_bits_u(b, 1)) {                 /* gaps allowed */
            sps.unsupported = 1;
        }

        (void) vod_bits_ue(b);                  /* width, height */
        (void) vod_bits_ue(b);

        if (!vod_bits_u(b, 1)) {                /* frame_mbs_only_flag */
            sps.unsupported = 1;
        }
    }

    sps.chroma_array_type = sep ? 0 : cf;

    if (b->error || id >= VOD_REFS_MAX_SPS || sps.log2_max_frame_num > 16
        || sps.log2_max_poc_lsb > 16
        || sps.max_num_ref_frames > VOD_REFS_MAX_DPB)
    {
        r->failed = 1;
        return;
    }

    sps.valid = 1;

    /* a parameter set changed within the run would need its own model */
    if (r->sps[id].valid
        && memcmp(&r->sps[id], &sps, sizeof(vod_refs_sps_t)) != 0)
    {
        r->failed = 1;
        return;
    }

    r->sps[id] = sps;
}


/* 7.3.2.2, up to redundant_pic_cnt_present_flag */

static void
vod_refs_pps(vod_thumb_refs_t *r, vod_bits_t *b)
{
    uint32_t        id;
    vod_refs_pps_t  pps;

    memset(&pps, 0, sizeof(vod_refs_pps_t));

    id = vod_bits_ue(b);
    pps.sps_id = vod_bits_ue(b);
    (void) vod_bits_u(b, 1);                    /* entropy_coding_mode */
    pps.bottom_field_poc = vod_bits_u(b, 1);

    if (vod_bits_ue(b) != 0) {                  /* slice groups */
        pps.unsupported = 1;
    }

    pps.num_ref_idx[0] = vod_bits_ue(b) + 1;
    pps.num_ref_idx[1] = vod_bits_ue(b) + 1;
    pps.weighted_pred = vod_bits_u(b, 1);
    pps.weighted_bipred_idc = vod_bits_u(b, 2);
    (void) vod_bits_se(b);                      /* pic_init_qp, qs, */
    (void) vod_bits_se(b);                      /* chroma_qp_index_offset */
    (void) vod_bits_se(b);
    (void) vod_bits_u(b, 1);                    /* deblocking control */
    (void) vod_bits_u(b, 1);                    /* constrained_intra_pred */
    pps.redundant_pic_cnt = vod_bits_u(b, 1);

    if (b->error || id >= VOD_REFS_MAX_PPS || pps.sps_id >= VOD_REFS_MAX_SPS
        || pps.num_ref_idx[0] > VOD_REFS_MAX_LIST
        || pps.num_ref_idx[1] > VOD_REFS_MAX_LIST)
    {
        r->failed = 1;
        return;
    }

    pps.valid = 1;

    if (r->pps[id].valid
        && memcmp(&r->pps[id], &pps, sizeof(vod_refs_pps_t)) != 0)
    {
        r->failed = 1;
        return;
    }

    r->pps[id] = pps;
}


/* 7.3.3, up to and including dec_ref_pic_marking() */

static int
vod_refs_slice_header(vod_thumb_refs_t *r, vod_bits_t *b,
    vod_refs_hdr_t *s)
{
    uint32_t         id, l, i, n, idc, op, chroma;
    vod_refs_sps_t  *sps;
    vod_refs_pps_t  *pps;

    (void) vod_bits_ue(b);                      /* first_mb_in_slice */
    s->slice_type = vod_bits_ue(b) % 5;
    s->lists.b = (s->slice_type == VOD_REFS_SLICE_B);
    id = vod_bits_ue(b);

    if (b->error || id >= VOD_REFS_MAX_PPS || !r->pps[id].valid) {
        return VOD_BAD_DATA;
    }

    pps = &r->pps[id];
    sps = &r->sps[pps->sps_id];

    if (!sps->valid || sps->unsupported || pps->unsupported) {
        return VOD_UNSUPPORTED;
    }

    /* one SPS for the whole run */
    if (r->active != NULL && r->active != sps) {
        return VOD_UNSUPPORTED;
    }

    r->active = sps;
    s->sps = sps;

    s->frame_num = vod_bits_u(b, sps->log2_max_frame_num);

    if (s->type == 5) {
        (void) vod_bits_ue(b);                  /* idr_pic_id */
    }

    if (sps->log2_max_poc_lsb != 0) {
        s->poc_lsb = vod_bits_u(b, sps->log2_max_poc_lsb);

        if (pps->bottom_field_poc) {
            (void) vod_bits_se(b);              /* delta_pic_order_cnt_b */
        }
    }

    if (pps->redundant_pic_cnt && vod_bits_ue(b) != 0) {
        /* a redundant slice: decoders drop it, we do not model that */
        return VOD_UNSUPPORTED;
    }

    if (s->slice_type == VOD_REFS_SLICE_B) {
        (void) vod_bits_u(b, 1);                /* direct_spatial_mv_pred */
    }

    s->lists.active[0] = 0;
    s->lists.active[1] = 0;

    if (s->slice_type == VOD_REFS_SLICE_P
        || s->slice_type == VOD_REFS_SLICE_SP
        || s->slice_type == VOD_REFS_SLICE_B)
    {
        s->lists.active[0] = pps->num_ref_idx[0];

        if (s->slice_type == VOD_REFS_SLICE_B) {
            s->lists.active[1] = pps->num_ref_idx[1];
        }

        if (vod_bits_u(b, 1)) {                 /* override */
            n = vod_bits_ue(b);
            s->lists.active[0] = (n < VOD_REFS_MAX_LIST) ? n + 1 : 255;

            if (s->slice_type == VOD_REFS_SLICE_B) {
                n = vod_bits_ue(b);
                s->lists.active[1] = (n < VOD_REFS_MAX_LIST) ? n + 1 : 255;
            }
        }

        if (s->lists.active[0] > VOD_REFS_MAX_LIST
            || s->lists.active[1] > VOD_REFS_MAX_LIST)
        {
            return VOD_BAD_DATA;
        }
    }

    /* 7.3.3.1 ref_pic_list_modification() */

    for (l = 0; l < 2; l++) {
        if (s->lists.active[l] == 0 || !vod_bits_u(b, 1)) {
            continue;
        }

        for (n = 0; ; n++) {
            idc = vod_bits_ue(b);

            if (b->error || idc > 3 || n > VOD_REFS_MAX_LIST) {
                return VOD_BAD_DATA;
            }

            if (idc == 3) {
                break;
            }

            if (idc == 2) {
                /* long_term_pic_num: not modelled */
                return VOD_UNSUPPORTED;
            }

            s->lists.mod_idc[l][n] = (uint8_t) idc;
            s->lists.mod_val[l][n] = (uint16_t) vod_bits_ue(b);
        }

        s->lists.nmod[l] = (uint8_t) n;
    }

    /* 7.3.3.2 pred_weight_table(): only its length matters here */

    if ((pps->weighted_pred && (s->slice_type == VOD_REFS_SLICE_P
                                || s->slice_type == VOD_REFS_SLICE_SP))
        || (pps->weighted_bipred_idc == 1
            && s->slice_type == VOD_REFS_SLICE_B))
    {
        chroma = (sps->chroma_array_type != 0);

        (void) vod_bits_ue(b);                  /* luma_log2_weight_denom */
        if (chroma) {
            (void) vod_bits_ue(b);
        }

        for (l = 0; l < 2; l++) {
            for (i = 0; i < s->lists.active[l] && !b->error; i++) {
                if (vod_bits_u(b, 1)) {         /* luma weight, offset */
                    (void) vod_bits_se(b);
                    (void) vod_bits_se(b);
                }

                if (chroma && vod_bits_u(b, 1)) {
                    (void) vod_bits_se(b);
                    (void) vod_bits_se(b);
                    (void) vod_bits_se(b);
                    (void) vod_bits_se(b);
                }
            }
        }
    }

    /* 7.3.3.3 dec_ref_pic_marking() */

    if (s->ref_idc != 0) {
        if (s->type == 5) {
            (void) vod_bits_u(b, 1);            /* no_output_of_prior */

            if (vod_bits_u(b, 1)) {             /* long_term_reference */
                return VOD_UNSUPPORTED;
            }

        } else if (vod_bits_u(b, 1)) {          /* adaptive */
            s->adaptive = 1;

            for (n = 0; ; n++) {
                op = vod_bits_ue(b);

                if (b->error || n >= VOD_REFS_MAX_MMCO) {
                    return VOD_BAD_DATA;
                }

                if (op == 0) {
                    break;
                }

                if (op != 1) {
                    /* long-term references and MMCO 5 are not modelled */
                    return VOD_UNSUPPORTED;
                }

                s->mmco_diff[n] = (uint16_t) vod_bits_ue(b);
            }

            s->nmmco = n;
        }
    }

    return b->error ? VOD_BAD_DATA : VOD_OK;
}


/* what the picture's first slice says of it; the others must agree */

static int
vod_refs_picture(vod_thumb_refs_t *r, vod_refs_hdr_t *s,
    vod_refs_pic_t *pic, uint32_t first)
{
    uint32_t  idx, max_frame_num, expect;
    int32_t   msb;

    idx = (uint32_t) (pic - r->pics);

    if (!first) {
        /* a later slice of the picture */
        if (pic->frame_num != s->frame_num || pic->poc_lsb != s->poc_lsb
            || pic->ref != (s->ref_idc != 0) || pic->idr != (s->type == 5))
        {
            return VOD_BAD_DATA;
        }

        return VOD_OK;
    }

    max_frame_num = 1u << s->sps->log2_max_frame_num;

    if (idx == 0) {
        /* the run must start at an IDR: any other key frame leaves a DPB
         * before it that a decode from it does not have */
        if (s->type != 5) {
            return VOD_UNSUPPORTED;
        }

    } else {
        if (s->type == 5) {
            /* a second IDR within a run: not modelled */
            return VOD_UNSUPPORTED;
        }

        expect = (r->prev_ref_frame_num + 1) % max_frame_num;

        /* 7.4.3: equal to PrevRefFrameNum only after a non-reference
         * picture... a gap in the stream itself is not modelled */
        if (s->frame_num != expect
            && !(s->frame_num == r->prev_ref_frame_num
                 && !r->pics[idx - 1].ref))
        {
            return VOD_UNSUPPORTED;
        }
    }

    pic->frame_num = s->frame_num;
    pic->poc_lsb = s->poc_lsb;
    pic->ref = (s->ref_idc != 0);
    pic->idr = (s->type == 5);

    if (s->sps->log2_max_poc_lsb == 0) {
        /* 8.2.1.3, POC type 2: decode order is output order, no B */
        if (s->slice_type == VOD_REFS_SLICE_B) {
            return VOD_BAD_DATA;
        }

        pic->poc = (int32_t) (2 * idx);
        return VOD_OK;
    }

    if (pic->idr) {
        r->prev_poc_msb = 0;
        r->prev_poc_lsb = 0;
    }

    pic->poc = vod_refs_poc(s->sps, s->poc_lsb, &msb, r->prev_poc_lsb,
                            r->prev_poc_msb);

    if (pic->ref) {
        r->prev_poc_msb = msb;
        r->prev_poc_lsb = s->poc_lsb;
    }

    return VOD_OK;
}


/* 8.2.1.1: PicOrderCntMsb from the previous reference picture's */

static int32_t
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


/* a slice's list set-up, kept once per picture however many slices
 * share it */

static int
vod_refs_slice(vod_refs_hdr_t *s, vod_refs_pic_t *pic)
{
    uint32_t  i;

    for (i = 0; i < pic->nslices; i++) {
        if (memcmp(&pic->slices[i], &s->lists,
                   offsetof(vod_refs_slice_t, len))
            == 0)
        {
            return VOD_OK;
        }
    }

    if (pic->nslices == VOD_REFS_MAX_SLICES) {
        return VOD_UNSUPPORTED;
    }

    pic->slices[pic->nslices++] = s->lists;

    return VOD_OK;
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
