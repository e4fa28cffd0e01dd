/*
 * vod_thumb_refs_parse.c: the bitstream side of vod_thumb_refs.h: avcC's
 * parameter sets and the samples' NAL units, from ITU-T H.264 7.3.2.1
 * (SPS), 7.3.2.2 (PPS) and 7.3.3 (slice header), read into the pictures
 * of the run (vod_refs_pic_t) that the model in vod_thumb_refs.c runs
 * on.  What the model does not cover (see there) fails the run here
 * already, as soon as a header says it.
 */

#include "vod_thumb_refs_int.h"
#include "vod_bits.h"


/* a slice header is read from the first bytes of its NAL unit, emulation
 * prevention removed; pred_weight_table of 32 references fits */
#define VOD_REFS_HEADER_MAX  1024

/* an SEI NAL unit is read up to this many bytes: x264's version string
 * before a recovery point is some 700 */
#define VOD_REFS_SEI_MAX     4096

/* D.1: the recovery point SEI message's payloadType */
#define VOD_REFS_SEI_RECOVERY  6

#define VOD_REFS_SLICE_P     0
#define VOD_REFS_SLICE_B     1
#define VOD_REFS_SLICE_I     2
#define VOD_REFS_SLICE_SP    3
#define VOD_REFS_SLICE_SI    4


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


static void vod_refs_nal(vod_thumb_refs_t *r, const u_char *p, size_t n,
    vod_refs_pic_t *pic, uint32_t *slices);
static void vod_refs_sps(vod_thumb_refs_t *r, vod_bits_t *b);
static void vod_refs_pps(vod_thumb_refs_t *r, vod_bits_t *b);
static void vod_refs_keep(vod_thumb_refs_t *r, void *slot, const void *set,
    size_t size, unsigned had);
static int vod_refs_slice_header(vod_thumb_refs_t *r, vod_bits_t *b,
    vod_refs_hdr_t *s);
static int vod_refs_picture(vod_thumb_refs_t *r, vod_refs_hdr_t *s,
    vod_refs_pic_t *pic, uint32_t first);
static int vod_refs_slice(vod_refs_hdr_t *s, vod_refs_pic_t *pic);
static void vod_refs_sei(const u_char *p, size_t n, vod_refs_head_t *h);


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


int
vod_thumb_refs_head(vod_thumb_refs_t *r, const u_char *data, size_t len,
    vod_refs_head_t *h)
{
    int             rc;
    size_t          n, i, rlen;
    u_char          buf[VOD_REFS_HEADER_MAX];
    uint32_t        type;
    vod_bits_t      b;
    vod_refs_hdr_t  s;

    memset(h, 0, sizeof(vod_refs_head_t));
    h->recovery = -1;

    while (len > r->nal_length_size) {
        for (n = 0, i = 0; i < r->nal_length_size; i++) {
            n = (n << 8) | data[i];
        }

        data += r->nal_length_size;
        len -= r->nal_length_size;

        if (n == 0) {
            return VOD_BAD_DATA;
        }

        /* the last unit may be cut short by the caller's read */
        if (n > len) {
            n = len;
        }

        type = data[0] & 0x1f;

        if (type == 1 || type == 5) {
            rlen = vod_bits_rbsp(data + 1, n - 1, buf, VOD_REFS_HEADER_MAX);
            vod_bits_init(&b, buf, rlen);

            memset(&s, 0, sizeof(vod_refs_hdr_t));
            s.type = type;
            s.ref_idc = (data[0] >> 5) & 0x03;

            rc = vod_refs_slice_header(r, &b, &s);
            if (rc != VOD_OK) {
                return rc;
            }

            h->frame_num = s.frame_num;
            h->max_frame_num = 1u << s.sps->log2_max_frame_num;
            h->idr = (type == 5);
            h->intra = (s.slice_type == VOD_REFS_SLICE_I
                        || s.slice_type == VOD_REFS_SLICE_SI);

            return VOD_OK;
        }

        if (type >= 2 && type <= 4) {
            /* data partitioning: its header is in partition A */
            return VOD_UNSUPPORTED;
        }

        if (type == 6) {
            vod_refs_sei(data, n, h);

        } else if (type == 7 || type == 8) {
            vod_refs_nal(r, data, n, NULL, NULL);
        }

        data += n;
        len -= n;
    }

    return VOD_BAD_DATA;
}


/* D.1: an SEI NAL unit's messages, up to a recovery point's
 * recovery_frame_cnt */

static void
vod_refs_sei(const u_char *p, size_t n, vod_refs_head_t *h)
{
    size_t         len;
    u_char         buf[VOD_REFS_SEI_MAX];
    uint32_t       type, size, byte, cnt;
    vod_bits_t     b;
    const u_char  *q, *end;

    len = vod_bits_rbsp(p + 1, n - 1, buf, VOD_REFS_SEI_MAX);
    q = buf;
    end = buf + len;

    /* more_rbsp_data(): anything before the stop bit's byte */
    while (end - q > 1 || (end - q == 1 && *q != 0x80)) {
        type = 0;

        do {
            if (q == end) {
                return;
            }

            byte = *q++;
            type += byte;
        } while (byte == 0xff);

        size = 0;

        do {
            if (q == end) {
                return;
            }

            byte = *q++;
            size += byte;
        } while (byte == 0xff);

        if (type == VOD_REFS_SEI_RECOVERY) {
            /* its first field; the payload may be cut short after it */
            vod_bits_init(&b, q, ((size_t) (end - q) < size)
                                 ? (size_t) (end - q) : size);
            cnt = vod_bits_ue(&b);

            /* at most MaxFrameNum - 1 (2^16 - 1): larger is not one */
            if (!b.error && cnt <= 0xffff) {
                h->recovery = (int32_t) cnt;
            }

            return;
        }

        if ((size_t) (end - q) < size) {
            return;
        }

        q += size;
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

    vod_refs_keep(r, &r->sps[id], &sps, sizeof(vod_refs_sps_t),
                  r->sps[id].valid);
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

    vod_refs_keep(r, &r->pps[id], &pps, sizeof(vod_refs_pps_t),
                  r->pps[id].valid);
}


/* a parameter set read into its slot: one changed within the run (had:
 * the slot was set) would need its own model */

static void
vod_refs_keep(vod_thumb_refs_t *r, void *slot, const void *set, size_t size,
    unsigned had)
{
    if (had && memcmp(slot, set, size) != 0) {
        r->failed = 1;
        return;
    }

    memcpy(slot, set, size);
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
