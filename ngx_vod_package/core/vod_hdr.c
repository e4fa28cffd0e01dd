/*
 * vod_hdr.c: colour descriptions from the colr box and the bitstream
 * headers, and the dynamic range they make.
 */

#include "vod_hdr.h"
#include "vod_bits.h"
#include "vod_gcd.h"


#define VOD_HDR_COLR  0x636f6c72              /* "colr" */
#define VOD_HDR_PASP  0x70617370              /* "pasp" */

/* the bytes of an SPS read, emulation prevention removed: the VUI's colour
 * fields come well before this in any real SPS; one longer is read up to
 * here and, if its VUI lies beyond, describes no colour we can see */
#define VOD_HDR_SPS_MAX  1024


static void vod_hdr_vui_start(vod_bits_t *br, vod_colour_t *c);
static const u_char *vod_hdr_entry_box(const vod_track_info_t *track,
    uint32_t type, const u_char **at, size_t *len);
static int vod_hdr_vui_signal(vod_bits_t *br, vod_colour_t *c);
static void vod_hdr_hevc_ptl(vod_bits_t *br, uint32_t sub_layers);
static void vod_hdr_hevc_scaling(vod_bits_t *br);
static int vod_hdr_hevc_rps(vod_bits_t *br, uint32_t sets);
static void vod_hdr_avc_scaling(vod_bits_t *br, uint32_t size);
static int vod_hdr_av1_seq(const u_char *p, size_t len, vod_colour_t *c);
static void vod_hdr_unspecified(vod_colour_t *c);


static void
vod_hdr_unspecified(vod_colour_t *c)
{
    c->primaries = VOD_CICP_UNSPECIFIED;
    c->transfer = VOD_CICP_UNSPECIFIED;
    c->matrix = VOD_CICP_UNSPECIFIED;
    c->full_range = 0;
    c->sar_width = 0;
    c->sar_height = 0;
}


int
vod_hdr_colr(const u_char *colr, size_t len, vod_colour_t *c)
{
    uint32_t  type;

    if (len < 4) {
        return VOD_BAD_DATA;
    }

    type = vod_r32(colr);

    /* nclx (ISO BMFF) has the full range flag; nclc (QuickTime) not;
     * rICC and prof are ICC profiles, no CICP */

    if (type != 0x6e636c78 && type != 0x6e636c63) {
        return VOD_NOT_FOUND;
    }

    if (len < 10 || (type == 0x6e636c78 && len < 11)) {
        return VOD_BAD_DATA;
    }

    c->primaries = vod_r16(colr + 4);
    c->transfer = vod_r16(colr + 6);
    c->matrix = vod_r16(colr + 8);
    c->full_range = (type == 0x6e636c78) ? colr[10] >> 7 : 0;

    return VOD_OK;
}


/* video_signal_type_present_flag and what follows it, the same in the
 * VUI of H.264 and H.265; the reader stands after the overscan fields */

static int
vod_hdr_vui_signal(vod_bits_t *br, vod_colour_t *c)
{
    uint32_t  full;

    if (vod_bits_u(br, 1) == 0) {
        return br->error ? VOD_BAD_DATA : VOD_NOT_FOUND;
    }

    (void) vod_bits_u(br, 3);                    /* video_format */
    full = vod_bits_u(br, 1);

    if (vod_bits_u(br, 1) == 0) {                /* colour_description */
        return br->error ? VOD_BAD_DATA : VOD_NOT_FOUND;
    }

    c->primaries = vod_bits_u(br, 8);
    c->transfer = vod_bits_u(br, 8);
    c->matrix = vod_bits_u(br, 8);
    c->full_range = full;

    return br->error ? VOD_BAD_DATA : VOD_OK;
}


/* the VUI's first fields: aspect ratio and overscan */

static void
vod_hdr_vui_start(vod_bits_t *br, vod_colour_t *c)
{
    uint32_t  idc;

    /* aspect_ratio_idc 1 to 16 (ISO/IEC 14496-10 table E-1, the same in
     * ISO/IEC 23008-2): sar_width, sar_height */
    static const u_char  sar[17][2] = {
        { 0, 0 }, { 1, 1 }, { 12, 11 }, { 10, 11 }, { 16, 11 },
        { 40, 33 }, { 24, 11 }, { 20, 11 }, { 32, 11 }, { 80, 33 },
        { 18, 11 }, { 15, 11 }, { 64, 33 }, { 160, 99 }, { 4, 3 },
        { 3, 2 }, { 2, 1 }
    };

    if (vod_bits_u(br, 1)) {                     /* aspect_ratio_info */
        idc = vod_bits_u(br, 8);

        if (idc == 255) {                        /* Extended_SAR */
            c->sar_width = vod_bits_u(br, 16);
            c->sar_height = vod_bits_u(br, 16);

        } else if (idc <= 16) {
            c->sar_width = sar[idc][0];
            c->sar_height = sar[idc][1];
        }

        if (br->error) {
            c->sar_width = 0;
            c->sar_height = 0;
        }
    }

    if (vod_bits_u(br, 1)) {                     /* overscan_info */
        (void) vod_bits_u(br, 1);
    }
}


int
vod_hdr_avc(const u_char *avcc, size_t len, vod_colour_t *c)
{
    size_t          n;
    u_char          sps[VOD_HDR_SPS_MAX];
    uint32_t        profile, chroma, i, poc, cycle, lists;
    vod_bits_t      br;

    /* avcC: 5 bytes, then numOfSequenceParameterSets and the first one's
     * length */

    if (len < 8 || avcc[0] != 1) {
        return VOD_BAD_DATA;
    }

    if ((avcc[5] & 0x1f) == 0) {
        return VOD_NOT_FOUND;
    }

    n = vod_r16(avcc + 6);

    if (n < 4 || n > len - 8) {
        return VOD_BAD_DATA;
    }

    /* the NAL header byte skipped */
    n = vod_bits_rbsp(avcc + 9, n - 1, sps, VOD_HDR_SPS_MAX);
    vod_bits_init(&br, sps, n);

    profile = vod_bits_u(&br, 8);
    (void) vod_bits_u(&br, 16);                  /* constraints, level */
    (void) vod_bits_ue(&br);                     /* seq_parameter_set_id */

    if (profile == 100 || profile == 110 || profile == 122
        || profile == 244 || profile == 44 || profile == 83
        || profile == 86 || profile == 118 || profile == 128
        || profile == 138 || profile == 139 || profile == 134
        || profile == 135)
    {
        chroma = vod_bits_ue(&br);

        if (chroma == 3) {
            (void) vod_bits_u(&br, 1);           /* separate_colour_plane */
        }

        vod_bits_skip_ue(&br, 2);                /* bit depths */
        (void) vod_bits_u(&br, 1);               /* qpprime_y_zero... */

        if (vod_bits_u(&br, 1)) {                /* seq_scaling_matrix */
            lists = (chroma != 3) ? 8 : 12;

            for (i = 0; i < lists && !br.error; i++) {
                if (vod_bits_u(&br, 1)) {
                    vod_hdr_avc_scaling(&br, i < 6 ? 16 : 64);
                }
            }
        }
    }

    (void) vod_bits_ue(&br);                     /* log2_max_frame_num */
    poc = vod_bits_ue(&br);

    if (poc == 0) {
        (void) vod_bits_ue(&br);

    } else if (poc == 1) {
        (void) vod_bits_u(&br, 1);
        vod_bits_skip_ue(&br, 2);                /* se(v): same length */
        cycle = vod_bits_ue(&br);

        if (cycle > 255) {
            return VOD_BAD_DATA;
        }

        vod_bits_skip_ue(&br, cycle);
    }

    (void) vod_bits_ue(&br);                     /* max_num_ref_frames */
    (void) vod_bits_u(&br, 1);                   /* gaps_in_frame_num */
    vod_bits_skip_ue(&br, 2);                    /* width, height */

    if (vod_bits_u(&br, 1) == 0) {               /* frame_mbs_only */
        (void) vod_bits_u(&br, 1);
    }

    (void) vod_bits_u(&br, 1);                   /* direct_8x8_inference */

    if (vod_bits_u(&br, 1)) {                    /* frame_cropping */
        vod_bits_skip_ue(&br, 4);
    }

    if (vod_bits_u(&br, 1) == 0) {               /* vui_parameters */
        return br.error ? VOD_BAD_DATA : VOD_NOT_FOUND;
    }

    vod_hdr_vui_start(&br, c);

    return vod_hdr_vui_signal(&br, c);
}


/* scaling_list(): only read past; delta_scale is se(v) */

static void
vod_hdr_avc_scaling(vod_bits_t *br, uint32_t size)
{
    uint32_t  j, last, next, v, delta;

    last = 8;
    next = 8;

    for (j = 0; j < size && !br->error; j++) {
        if (next != 0) {
            /* se(v) mod 256, in unsigned arithmetic (2^32 is a
             * multiple of 256) */
            v = vod_bits_ue(br);
            delta = (v & 1) ? v / 2 + 1 : 0 - v / 2;
            next = (last + delta) & 0xff;
        }

        last = (next == 0) ? last : next;
    }
}


int
vod_hdr_hevc(const u_char *hvcc, size_t len, vod_colour_t *c)
{
    size_t          n, nal_len;
    u_char          sps[VOD_HDR_SPS_MAX];
    uint32_t        arrays, count, type, i, k, sub, chroma, sets, lt;
    uint32_t        poc_bits;
    const u_char   *p, *end, *nal;
    vod_bits_t      br;

    if (len < 23 || hvcc[0] != 1) {
        return VOD_BAD_DATA;
    }

    /* the arrays of NAL units: find the first SPS (type 33) */

    arrays = hvcc[22];
    p = hvcc + 23;
    end = hvcc + len;
    nal = NULL;
    nal_len = 0;

    for (i = 0; i < arrays && nal == NULL; i++) {
        if (end - p < 3) {
            return VOD_BAD_DATA;
        }

        type = p[0] & 0x3f;
        count = vod_r16(p + 1);
        p += 3;

        for (k = 0; k < count; k++) {
            if (end - p < 2 || (size_t) (end - p - 2) < vod_r16(p)) {
                return VOD_BAD_DATA;
            }

            if (type == 33 && nal == NULL) {
                nal = p + 2;
                nal_len = vod_r16(p);
            }

            p += 2 + vod_r16(p);
        }
    }

    if (nal == NULL) {
        return VOD_NOT_FOUND;
    }

    if (nal_len < 4) {
        return VOD_BAD_DATA;
    }

    /* the two NAL header bytes skipped */
    n = vod_bits_rbsp(nal + 2, nal_len - 2, sps, VOD_HDR_SPS_MAX);
    vod_bits_init(&br, sps, n);

    (void) vod_bits_u(&br, 4);                   /* sps_video_parameter */
    sub = vod_bits_u(&br, 3);                    /* max_sub_layers - 1 */
    (void) vod_bits_u(&br, 1);

    vod_hdr_hevc_ptl(&br, sub);

    (void) vod_bits_ue(&br);                     /* sps_seq_parameter_set */
    chroma = vod_bits_ue(&br);

    if (chroma == 3) {
        (void) vod_bits_u(&br, 1);
    }

    vod_bits_skip_ue(&br, 2);                    /* width, height */

    if (vod_bits_u(&br, 1)) {                    /* conformance_window */
        vod_bits_skip_ue(&br, 4);
    }

    vod_bits_skip_ue(&br, 2);                    /* bit depths */
    poc_bits = vod_bits_ue(&br) + 4;             /* log2_max_poc_lsb */

    if (poc_bits > 16) {
        return VOD_BAD_DATA;
    }

    /* sub_layer_ordering_info: for every sub-layer or only the last */
    k = vod_bits_u(&br, 1) ? sub + 1 : 1;
    vod_bits_skip_ue(&br, 3 * k);

    vod_bits_skip_ue(&br, 6);                    /* block sizes, depths */

    if (vod_bits_u(&br, 1) && vod_bits_u(&br, 1)) { /* scaling_list data */
        vod_hdr_hevc_scaling(&br);
    }

    (void) vod_bits_u(&br, 2);                   /* amp, sao */

    if (vod_bits_u(&br, 1)) {                    /* pcm_enabled */
        (void) vod_bits_u(&br, 8);
        vod_bits_skip_ue(&br, 2);
        (void) vod_bits_u(&br, 1);
    }

    sets = vod_bits_ue(&br);                     /* num_short_term_ref */

    if (sets > 64 || vod_hdr_hevc_rps(&br, sets) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    if (vod_bits_u(&br, 1)) {                    /* long_term_ref_pics */
        lt = vod_bits_ue(&br);

        if (lt > 32) {
            return VOD_BAD_DATA;
        }

        for (i = 0; i < lt && !br.error; i++) {
            (void) vod_bits_u(&br, poc_bits + 1);
        }
    }

    (void) vod_bits_u(&br, 2);                   /* temporal_mvp, strong */

    if (vod_bits_u(&br, 1) == 0) {               /* vui_parameters */
        return br.error ? VOD_BAD_DATA : VOD_NOT_FOUND;
    }

    vod_hdr_vui_start(&br, c);

    return vod_hdr_vui_signal(&br, c);
}


/* profile_tier_level(1, sub): 88 bits of general profile, the level, and
 * per sub-layer what its two flags announce */

static void
vod_hdr_hevc_ptl(vod_bits_t *br, uint32_t sub)
{
    uint32_t  i, flags;

    (void) vod_bits_u(br, 32);
    (void) vod_bits_u(br, 32);
    (void) vod_bits_u(br, 32);                   /* 88 + level 8 */

    flags = 0;

    for (i = 0; i < sub; i++) {
        flags = (flags << 2) | vod_bits_u(br, 2);
    }

    if (sub > 0) {
        for (i = sub; i < 8; i++) {
            (void) vod_bits_u(br, 2);
        }
    }

    for (i = 0; i < sub; i++) {
        if ((flags >> (2 * (sub - 1 - i))) & 2) {   /* profile present */
            (void) vod_bits_u(br, 32);
            (void) vod_bits_u(br, 32);
            (void) vod_bits_u(br, 24);
        }

        if ((flags >> (2 * (sub - 1 - i))) & 1) {   /* level present */
            (void) vod_bits_u(br, 8);
        }
    }
}


/* scaling_list_data(): only read past */

static void
vod_hdr_hevc_scaling(vod_bits_t *br)
{
    uint32_t  size, matrix, coefs;

    for (size = 0; size < 4; size++) {
        for (matrix = 0; matrix < 6; matrix += (size == 3) ? 3 : 1) {

            if (vod_bits_u(br, 1) == 0) {        /* pred_mode_flag */
                (void) vod_bits_ue(br);
                continue;
            }

            coefs = 1U << (4 + (size << 1));
            coefs = coefs < 64 ? coefs : 64;

            if (size > 1) {
                (void) vod_bits_ue(br);          /* dc_coef: se(v) */
            }

            vod_bits_skip_ue(br, coefs);         /* delta_coef: se(v) */
        }
    }
}


/* st_ref_pic_set(i) for i < sets, as an SPS has them: a set predicted
 * from the one before it has a flag or two per picture of that one */

static int
vod_hdr_hevc_rps(vod_bits_t *br, uint32_t sets)
{
    uint32_t  i, j, neg, pos, prev, num;

    prev = 0;

    for (i = 0; i < sets && !br->error; i++) {

        if (i != 0 && vod_bits_u(br, 1)) {       /* inter_ref_pic_set */
            (void) vod_bits_u(br, 1);            /* delta_rps_sign */
            (void) vod_bits_ue(br);              /* abs_delta_rps - 1 */

            num = 0;

            for (j = 0; j <= prev && !br->error; j++) {
                if (vod_bits_u(br, 1) || vod_bits_u(br, 1)) {
                    num++;                       /* used or use_delta */
                }
            }

            prev = num;
            continue;
        }

        neg = vod_bits_ue(br);
        pos = vod_bits_ue(br);

        if (neg > 16 || pos > 16) {
            return VOD_BAD_DATA;
        }

        for (j = 0; j < neg + pos && !br->error; j++) {
            (void) vod_bits_ue(br);
            (void) vod_bits_u(br, 1);
        }

        prev = neg + pos;
    }

    return br->error ? VOD_BAD_DATA : VOD_OK;
}


int
vod_hdr_av1(const u_char *av1c, size_t len, vod_colour_t *c)
{
    size_t          size;
    uint32_t        type, i, b;
    const u_char   *p, *end;

    if (len < 4 || av1c[0] != 0x81) {
        return VOD_BAD_DATA;
    }

    p = av1c + 4;
    end = av1c + len;

    /* the configOBUs: each with obu_has_size_field (AV1-ISOBMFF 2.3.3) */

    while (p < end) {
        type = (p[0] >> 3) & 0x0f;

        if ((p[0] & 0x02) == 0) {
            return VOD_BAD_DATA;
        }

        p += (p[0] & 0x04) ? 2 : 1;              /* extension header */

        size = 0;

        for (i = 0; i < 8; i++) {                /* leb128 */
            if (p >= end) {
                return VOD_BAD_DATA;
            }

            b = *p++;
            size |= (size_t) (b & 0x7f) << (7 * i);

            if ((b & 0x80) == 0) {
                break;
            }
        }

        if (i == 8 || size > (size_t) (end - p)) {
            return VOD_BAD_DATA;
        }

        if (type == 1) {                         /* OBU_SEQUENCE_HEADER */
            return vod_hdr_av1_seq(p, size, c);
        }

        p += size;
    }

    return VOD_NOT_FOUND;
}


/* sequence_header_obu() up to color_config() (AV1 5.5) */

static int
vod_hdr_av1_seq(const u_char *p, size_t len, vod_colour_t *c)
{
    uint32_t        profile, reduced, timing, model, display, ops, i;
    uint32_t        delay_len, zeros, w, h, hint, screen, high, mono;
    vod_bits_t      br;

    vod_bits_init(&br, p, len);

    profile = vod_bits_u(&br, 3);
    (void) vod_bits_u(&br, 1);                   /* still_picture */
    reduced = vod_bits_u(&br, 1);
    delay_len = 0;

    if (reduced) {
        (void) vod_bits_u(&br, 5);

    } else {
        timing = vod_bits_u(&br, 1);
        model = 0;

        if (timing) {
            (void) vod_bits_u(&br, 32);
            (void) vod_bits_u(&br, 32);

            if (vod_bits_u(&br, 1)) {            /* equal_picture_interval */
                /* uvlc(): up to 32 leading zeros, then as many bits */
                for (zeros = 0; vod_bits_u(&br, 1) == 0; zeros++) {
                    if (br.error || zeros == 32) {
                        return VOD_BAD_DATA;
                    }
                }

                (void) vod_bits_u(&br, zeros);
            }

            model = vod_bits_u(&br, 1);

            if (model) {
                delay_len = vod_bits_u(&br, 5) + 1;
                (void) vod_bits_u(&br, 32);
                (void) vod_bits_u(&br, 10);
            }
        }

        display = vod_bits_u(&br, 1);
        ops = vod_bits_u(&br, 5) + 1;

        for (i = 0; i < ops && !br.error; i++) {
            (void) vod_bits_u(&br, 12);          /* operating_point_idc */

            if (vod_bits_u(&br, 5) > 7) {        /* seq_level_idx */
                (void) vod_bits_u(&br, 1);
            }

            if (model && vod_bits_u(&br, 1)) {
                (void) vod_bits_u(&br, 2 * delay_len + 1);
            }

            if (display && vod_bits_u(&br, 1)) {
                (void) vod_bits_u(&br, 4);
            }
        }
    }

    w = vod_bits_u(&br, 4) + 1;
    h = vod_bits_u(&br, 4) + 1;
    (void) vod_bits_u(&br, w);
    (void) vod_bits_u(&br, h);

    if (!reduced && vod_bits_u(&br, 1)) {        /* frame_id_numbers */
        (void) vod_bits_u(&br, 7);
    }

    (void) vod_bits_u(&br, 3);                   /* 128x128, filter_intra,
                                                    intra_edge */
    if (!reduced) {
        (void) vod_bits_u(&br, 4);               /* interintra, masked,
                                                    warped, dual_filter */
        hint = vod_bits_u(&br, 1);

        if (hint) {
            (void) vod_bits_u(&br, 2);           /* jnt_comp, ref_frame_mvs */
        }

        screen = vod_bits_u(&br, 1) ? 2 : vod_bits_u(&br, 1);

        if (screen > 0 && vod_bits_u(&br, 1) == 0) {
            (void) vod_bits_u(&br, 1);           /* seq_force_integer_mv */
        }

        if (hint) {
            (void) vod_bits_u(&br, 3);
        }
    }

    (void) vod_bits_u(&br, 3);                   /* superres, cdef,
                                                    restoration */
    /* color_config() */

    high = vod_bits_u(&br, 1);

    if (profile == 2 && high) {
        (void) vod_bits_u(&br, 1);
    }

    mono = (profile == 1) ? 0 : vod_bits_u(&br, 1);

    if (vod_bits_u(&br, 1) == 0) {               /* color_description */
        return br.error ? VOD_BAD_DATA : VOD_NOT_FOUND;
    }

    c->primaries = vod_bits_u(&br, 8);
    c->transfer = vod_bits_u(&br, 8);
    c->matrix = vod_bits_u(&br, 8);

    if (!mono && c->primaries == 1 && c->transfer == 13 && c->matrix == 0) {
        c->full_range = 1;                       /* sRGB */

    } else {
        c->full_range = vod_bits_u(&br, 1);
    }

    return br.error ? VOD_BAD_DATA : VOD_OK;
}


/*
 * The next child box of type among a video sample entry's, after its 8
 * bytes of header and 78 of VisualSampleEntry, from *at (NULL: the
 * first): its payload and its length, or NULL.  A box overrunning the
 * entry ends the walk.
 */

static const u_char *
vod_hdr_entry_box(const vod_track_info_t *track, uint32_t type,
    const u_char **at, size_t *len)
{
    size_t         size;
    const u_char  *p, *end;

    if (track->sample_entry == NULL || track->sample_entry_len <= 86) {
        return NULL;
    }

    p = (*at != NULL) ? *at : track->sample_entry + 86;
    end = track->sample_entry + track->sample_entry_len;

    while (end - p >= 8) {
        size = vod_r32(p);

        if (size < 8 || size > (size_t) (end - p)) {
            break;
        }

        if (vod_r32(p + 4) == type) {
            *at = p + size;
            *len = size - 8;
            return p + 8;
        }

        p += size;
    }

    *at = end;

    return NULL;
}


void
vod_hdr_track(const vod_track_info_t *track, vod_colour_t *c)
{
    int            rc;
    size_t         size;
    const u_char  *at, *colr;

    vod_hdr_unspecified(c);

    if (track->type != VOD_TRACK_VIDEO) {
        return;
    }

    /* the first colr box that reads */

    at = NULL;

    while ((colr = vod_hdr_entry_box(track, VOD_HDR_COLR, &at, &size))
           != NULL)
    {
        if (vod_hdr_colr(colr, size, c) == VOD_OK) {
            return;
        }

        vod_hdr_unspecified(c);
    }

    if (track->dec_config == NULL) {
        return;
    }

    switch (track->codec) {

    case VOD_CODEC_AVC:
        rc = vod_hdr_avc(track->dec_config, track->dec_config_len, c);
        break;

    case VOD_CODEC_HEVC:
        rc = vod_hdr_hevc(track->dec_config, track->dec_config_len, c);
        break;

    case VOD_CODEC_AV1:
        rc = vod_hdr_av1(track->dec_config, track->dec_config_len, c);
        break;

    default:
        rc = VOD_NOT_FOUND;
    }

    if (rc != VOD_OK) {
        vod_hdr_unspecified(c);
    }
}


void
vod_hdr_track_sar(const vod_track_info_t *track, uint32_t *w, uint32_t *h)
{
    size_t         size;
    uint32_t       g;
    const u_char  *at, *pasp;
    vod_colour_t   c;

    vod_hdr_unspecified(&c);

    if (track == NULL || track->type != VOD_TRACK_VIDEO) {
        goto done;
    }

    at = NULL;
    pasp = vod_hdr_entry_box(track, VOD_HDR_PASP, &at, &size);

    if (pasp != NULL && size >= 8) {
        c.sar_width = vod_r32(pasp);
        c.sar_height = vod_r32(pasp + 4);

        if (c.sar_width != 0 && c.sar_height != 0) {
            goto done;
        }

        /* a pasp of 0 says nothing */
        c.sar_width = 0;
        c.sar_height = 0;
    }

    if (track->dec_config != NULL) {
        /* the readers fill the SAR before the colour, which they may then
         * not find */
        if (track->codec == VOD_CODEC_AVC) {
            (void) vod_hdr_avc(track->dec_config, track->dec_config_len,
                               &c);

        } else if (track->codec == VOD_CODEC_HEVC) {
            (void) vod_hdr_hevc(track->dec_config, track->dec_config_len,
                                &c);
        }
    }

done:

    if (c.sar_width == 0 || c.sar_height == 0) {
        c.sar_width = 1;
        c.sar_height = 1;
    }

    g = (uint32_t) vod_gcd(c.sar_width, c.sar_height);

    *w = c.sar_width / g;
    *h = c.sar_height / g;
}


void
vod_hdr_track_display(const vod_track_info_t *track, uint32_t *w,
    uint32_t *h)
{
    uint32_t  sw, sh;
    uint64_t  dw;

    vod_hdr_track_sar(track, &sw, &sh);

    dw = ((uint64_t) track->width * sw + sh / 2) / sh;

    /* a hostile pasp may not make it 0, nor past a 16-bit size */
    *w = (dw == 0) ? 1 : (dw > 0xffff) ? 0xffff : (uint32_t) dw;
    *h = track->height;
}


uint32_t
vod_hdr_range(const vod_colour_t *c)
{
    switch (c->transfer) {

    case 16:
        return VOD_RANGE_PQ;

    case 18:
        return VOD_RANGE_HLG;

    default:
        return VOD_RANGE_SDR;
    }
}


uint32_t
vod_hdr_track_range(const vod_track_info_t *track)
{
    vod_colour_t  c;

    if (track == NULL || track->type != VOD_TRACK_VIDEO) {
        return VOD_RANGE_SDR;
    }

    vod_hdr_track(track, &c);

    return vod_hdr_range(&c);
}


const char *
vod_hdr_range_name(uint32_t range)
{
    switch (range) {

    case VOD_RANGE_PQ:
        return "PQ";

    case VOD_RANGE_HLG:
        return "HLG";

    default:
        return "SDR";
    }
}
