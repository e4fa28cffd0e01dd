/*
 * vod_thumb_nal.c: frames a decode may skip (vod_thumb_nal.h).
 */

#include "vod_thumb_nal.h"
#include "vod_bits.h"


/* what one slice NAL unit says of its frame */
#define VOD_NAL_OTHER       0         /* not a slice */
#define VOD_NAL_REFERRED    1
#define VOD_NAL_DISPOSABLE  2

/* the smallest HEVC configuration that holds numTemporalLayers */
#define VOD_HVCC_MIN_LEN    23

/* RBSP bytes that hold a slice header's first_mb_in_slice and slice_type:
 * 35 bits for the first of the largest picture a level allows (139264
 * macroblocks), 7 for the second */
#define VOD_NAL_SLICE_HEAD  16


static int vod_thumb_nal_next(vod_thumb_nal_t *nal, const u_char **data,
    size_t *len, const u_char **p, size_t *n);
static uint32_t vod_thumb_nal_avc(vod_thumb_nal_t *nal, const u_char *p,
    size_t n);
static uint32_t vod_thumb_nal_hevc(vod_thumb_nal_t *nal, const u_char *p,
    size_t n);


void
vod_thumb_nal_init(vod_thumb_nal_t *nal, uint32_t codec,
    const u_char *config, size_t config_len, uint32_t nal_length_size)
{
    uint32_t  layers;

    nal->codec = codec;
    nal->nal_length_size = nal_length_size;
    nal->top_tid = 0;
    nal->skip = 0;

    if (nal_length_size != 1 && nal_length_size != 2
        && nal_length_size != 4)
    {
        return;
    }

    if (codec == VOD_CODEC_AVC) {
        nal->skip = 1;
        return;
    }

    if (codec != VOD_CODEC_HEVC || config == NULL
        || config_len < VOD_HVCC_MIN_LEN)
    {
        return;
    }

    /* hvcC byte 21: constantFrameRate(2) numTemporalLayers(3)
     * temporalIdNested(1) lengthSizeMinusOne(2) */

    layers = (config[21] >> 3) & 0x07;

    if (layers == 0) {
        return;
    }

    nal->top_tid = layers - 1;
    nal->skip = 1;
}


int
vod_thumb_nal_disposable(vod_thumb_nal_t *nal, const u_char *data,
    size_t len)
{
    int            rc;
    size_t         n;
    uint32_t       slices, kind;
    const u_char  *p;

    if (!nal->skip) {
        return 0;
    }

    slices = 0;

    while ((rc = vod_thumb_nal_next(nal, &data, &len, &p, &n)) == 1) {
        kind = (nal->codec == VOD_CODEC_AVC) ? vod_thumb_nal_avc(nal, p, n)
                                             : vod_thumb_nal_hevc(nal, p, n);

        if (kind == VOD_NAL_REFERRED) {
            return 0;
        }

        if (kind == VOD_NAL_DISPOSABLE) {
            slices++;
        }
    }

    return rc == 0 && slices > 0;
}


int
vod_thumb_nal_open_key(vod_thumb_nal_t *nal, const u_char *data,
    size_t len)
{
    size_t         n;
    u_char         rbsp[VOD_NAL_SLICE_HEAD];
    uint32_t       type, slice_type;
    vod_bits_t     br;
    const u_char  *p;

    if (nal->codec != VOD_CODEC_AVC
        || (nal->nal_length_size != 1 && nal->nal_length_size != 2
            && nal->nal_length_size != 4))
    {
        return 0;
    }

    while (vod_thumb_nal_next(nal, &data, &len, &p, &n) == 1) {
        type = p[0] & 0x1f;

        if (type == 5 || type == 2) {
            /* an IDR; or data partitioning, not an open GOP's */
            return 0;
        }

        if (type == 1) {
            /* after the NAL header: first_mb_in_slice, slice_type */
            vod_bits_init(&br, rbsp,
                          vod_bits_rbsp(p + 1, n - 1, rbsp, sizeof(rbsp)));
            vod_bits_skip_ue(&br, 1);
            slice_type = vod_bits_ue(&br);

            return !br.error && (slice_type % 5 == 2 || slice_type % 5 == 4);
        }
    }

    return 0;
}


/*
 * The next NAL unit of a length-prefixed sample: 1 with *p and *n its
 * bytes, data and len moved past it; 0 at the sample's end; -1 at a
 * length that is 0 or runs past the end.
 */

static int
vod_thumb_nal_next(vod_thumb_nal_t *nal, const u_char **data, size_t *len,
    const u_char **p, size_t *n)
{
    size_t  i, size;

    if (*len == 0) {
        return 0;
    }

    if (*len < nal->nal_length_size) {
        return -1;
    }

    for (size = 0, i = 0; i < nal->nal_length_size; i++) {
        size = (size << 8) | (*data)[i];
    }

    *data += nal->nal_length_size;
    *len -= nal->nal_length_size;

    if (size == 0 || size > *len) {
        return -1;
    }

    *p = *data;
    *n = size;
    *data += size;
    *len -= size;

    return 1;
}


static uint32_t
vod_thumb_nal_avc(vod_thumb_nal_t *nal, const u_char *p, size_t n)
{
    uint32_t  type;

    type = p[0] & 0x1f;

    /* an IDR (5) is always referred to; a non-IDR slice (1) or its
     * partition A (2) by its nal_ref_idc */

    if (type == 5) {
        return VOD_NAL_REFERRED;
    }

    if (type == 1 || type == 2) {
        return ((p[0] & 0x60) != 0) ? VOD_NAL_REFERRED : VOD_NAL_DISPOSABLE;
    }

    return VOD_NAL_OTHER;
}


static uint32_t
vod_thumb_nal_hevc(vod_thumb_nal_t *nal, const u_char *p, size_t n)
{
    uint32_t  type, layer, tid;

    if (n < 2) {
        return VOD_NAL_REFERRED;
    }

    /* forbidden_zero_bit(1) nal_unit_type(6) nuh_layer_id(6)
     * nuh_temporal_id_plus1(3) */

    type = (p[0] >> 1) & 0x3f;
    layer = ((p[0] & 0x01) << 5) | (p[1] >> 3);
    tid = p[1] & 0x07;

    /* VCL units are types 0 to 31; the rest are parameter sets, SEI and
     * the like */

    if (type > 31) {
        return VOD_NAL_OTHER;
    }

    /* the sub-layer non-reference types are the even ones up to
     * RSV_VCL_N14; a unit of another layer than the base, or a
     * nuh_temporal_id_plus1 of 0 (forbidden), is not judged */

    if (type <= 14 && (type & 1) == 0 && layer == 0 && tid != 0
        && tid - 1 == nal->top_tid)
    {
        return VOD_NAL_DISPOSABLE;
    }

    return VOD_NAL_REFERRED;
}
