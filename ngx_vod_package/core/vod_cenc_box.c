/*
 * vod_cenc_box.c: the boxes of a protected CMAF track: senc, saiz, saio
 * (ISO/IEC 23001-7 7.2, ISO/IEC 14496-12 8.7.8, 8.7.9), sinf with frma,
 * schm and schi/tenc (23001-7 8.2, 14496-12 8.12) and pssh (23001-7 8.1).
 */

#include "vod_cenc.h"
#include "vod_cenc_int.h"


#define VOD_CENC_SENC_SUBSAMPLES  0x000002

#define VOD_CENC_FRMA_SIZE        12
#define VOD_CENC_SCHM_SIZE        20
#define VOD_CENC_TENC_V0_SIZE     32
#define VOD_CENC_TENC_V1_SIZE     (32 + 1 + VOD_CENC_IV_SIZE)


const u_char  vod_cenc_system_common[16] = {
    0x10, 0x77, 0xef, 0xec, 0xc0, 0xb2, 0x4d, 0x02,
    0xac, 0xe3, 0x3c, 0x1e, 0x52, 0xe2, 0xfb, 0x4b
};

const u_char  vod_cenc_system_widevine[16] = {
    0xed, 0xef, 0x8b, 0xa9, 0x79, 0xd6, 0x4a, 0xce,
    0xa3, 0xc8, 0x27, 0xdc, 0xd5, 0x1d, 0x21, 0xed
};

const u_char  vod_cenc_system_playready[16] = {
    0x9a, 0x04, 0xf0, 0x79, 0x98, 0x40, 0x42, 0x86,
    0xab, 0x92, 0xe6, 0x5b, 0xe0, 0x88, 0x5f, 0x95
};


static u_char *vod_cenc_box_start(u_char *p, const char *type,
    uint32_t version, uint32_t flags);
static void vod_cenc_box_end(u_char *start, u_char *p);
static uint32_t vod_cenc_info_size(const vod_cenc_aux_t *aux, uint32_t i);
static uint32_t vod_cenc_default_size(const vod_cenc_aux_t *aux);


/* a full box header with its size left 0 for vod_cenc_box_end() */
static u_char *
vod_cenc_box_start(u_char *p, const char *type, uint32_t version,
    uint32_t flags)
{
    vod_w32(p, 0);
    vod_wtag(p, type);
    vod_w8(p, version);
    vod_w24(p, flags);

    return p;
}


static void
vod_cenc_box_end(u_char *start, u_char *p)
{
    uint32_t  size;

    size = p - start;
    vod_w32(start, size);
}


/* sample i's auxiliary information size (saiz) */
static uint32_t
vod_cenc_info_size(const vod_cenc_aux_t *aux, uint32_t i)
{
    uint32_t  size;

    size = aux->iv_size;

    if (aux->subsampled) {
        size += 2 + 6 * (aux->first[i + 1] - aux->first[i]);
    }

    return size;
}


/* saiz's default_sample_info_size: the size all samples share, or 0 */
static uint32_t
vod_cenc_default_size(const vod_cenc_aux_t *aux)
{
    uint32_t  i, size;

    if (aux->count == 0) {
        return 0;
    }

    size = vod_cenc_info_size(aux, 0);

    for (i = 1; i < aux->count; i++) {
        if (vod_cenc_info_size(aux, i) != size) {
            return 0;
        }
    }

    return size;
}


size_t
vod_cenc_senc_size(const vod_cenc_aux_t *aux)
{
    if (aux->iv_size == 0 && !aux->subsampled) {
        return 0;
    }

    return 16 + (size_t) aux->count * aux->iv_size
           + (aux->subsampled ? 2 * (size_t) aux->count : 0)
           + 6 * (size_t) aux->nsubs;
}


u_char *
vod_cenc_write_senc(u_char *p, const vod_cenc_aux_t *aux)
{
    u_char    *start;
    uint32_t   i, j;

    if (vod_cenc_senc_size(aux) == 0) {
        return p;
    }

    start = p;
    p = vod_cenc_box_start(p, "senc", 0,
                           aux->subsampled ? VOD_CENC_SENC_SUBSAMPLES : 0);
    vod_w32(p, aux->count);

    for (i = 0; i < aux->count; i++) {
        memcpy(p, aux->ivs + (size_t) i * aux->iv_size, aux->iv_size);
        p += aux->iv_size;

        if (!aux->subsampled) {
            continue;
        }

        vod_w16(p, aux->first[i + 1] - aux->first[i]);

        for (j = aux->first[i]; j < aux->first[i + 1]; j++) {
            vod_w16(p, aux->subs[j].clear);
            vod_w32(p, aux->subs[j].protected);
        }
    }

    vod_cenc_box_end(start, p);

    return p;
}


u_char *
vod_cenc_write_clear_group(u_char *p, uint32_t count)
{
    u_char  *start;

    /* sbgp v0: one run of every sample, in the fragment's first group
     * (ISO/IEC 14496-12 8.9.4: fragment-local indices start at 0x10001) */
    start = p;
    p = vod_cenc_box_start(p, "sbgp", 0, 0);
    vod_wtag(p, "seig");
    vod_w32(p, 1);
    vod_w32(p, count);
    vod_w32(p, 0x10001);
    vod_cenc_box_end(start, p);

    /* sgpd v1: one 'seig' entry of 20 bytes: reserved, no pattern,
     * isProtected 0, Per_Sample_IV_Size 0, a KID of zeros */
    start = p;
    p = vod_cenc_box_start(p, "sgpd", 1, 0);
    vod_wtag(p, "seig");
    vod_w32(p, 20);
    vod_w32(p, 1);
    memset(p, 0, 20);
    p += 20;
    vod_cenc_box_end(start, p);

    return p;
}


size_t
vod_cenc_saiz_size(const vod_cenc_aux_t *aux)
{
    if (vod_cenc_senc_size(aux) == 0) {
        return 0;
    }

    return 17 + (vod_cenc_default_size(aux) ? 0 : aux->count);
}


u_char *
vod_cenc_write_saiz(u_char *p, const vod_cenc_aux_t *aux)
{
    u_char    *start;
    uint32_t   i, size;

    if (vod_cenc_senc_size(aux) == 0) {
        return p;
    }

    start = p;
    p = vod_cenc_box_start(p, "saiz", 0, 0);

    size = vod_cenc_default_size(aux);
    vod_w8(p, size);
    vod_w32(p, aux->count);

    if (size == 0) {
        for (i = 0; i < aux->count; i++) {
            /* at most 8 + 2 + 6 * VOD_CENC_MAX_SUBSAMPLES: fits 8 bits */
            vod_w8(p, vod_cenc_info_size(aux, i));
        }
    }

    vod_cenc_box_end(start, p);

    return p;
}


size_t
vod_cenc_saio_size(const vod_cenc_aux_t *aux)
{
    return vod_cenc_senc_size(aux) ? 20 : 0;
}


u_char *
vod_cenc_write_saio(u_char *p, const vod_cenc_aux_t *aux, u_char **offset)
{
    u_char  *start;

    *offset = NULL;

    if (vod_cenc_senc_size(aux) == 0) {
        return p;
    }

    start = p;
    p = vod_cenc_box_start(p, "saio", 0, 0);
    vod_w32(p, 1);
    *offset = p;
    vod_w32(p, 0);

    vod_cenc_box_end(start, p);

    return p;
}


void
vod_cenc_saio_set(u_char *offset, size_t senc_from_moof)
{
    /* senc: size, type, version and flags, sample_count */
    vod_w32(offset, senc_from_moof + 16);
}


size_t
vod_cenc_sinf_size(const vod_cenc_t *cenc)
{
    return 8 + VOD_CENC_FRMA_SIZE + VOD_CENC_SCHM_SIZE + 8
           + (cenc->conf.scheme == VOD_CENC_SCHEME_CBCS
              ? VOD_CENC_TENC_V1_SIZE : VOD_CENC_TENC_V0_SIZE);
}


u_char *
vod_cenc_write_sinf(u_char *p, const vod_cenc_t *cenc, const u_char *format)
{
    u_char  *sinf, *schi, *tenc;

    sinf = p;
    vod_w32(p, 0);
    vod_wtag(p, "sinf");

    vod_w32(p, VOD_CENC_FRMA_SIZE);
    vod_wtag(p, "frma");
    memcpy(p, format, 4);
    p += 4;

    vod_w32(p, VOD_CENC_SCHM_SIZE);
    vod_wtag(p, "schm");
    vod_w32(p, 0);
    vod_w32(p, cenc->conf.scheme);
    vod_w32(p, 0x00010000);

    schi = p;
    vod_w32(p, 0);
    vod_wtag(p, "schi");

    tenc = p;

    if (cenc->conf.scheme == VOD_CENC_SCHEME_CBCS) {
        p = vod_cenc_box_start(p, "tenc", 1, 0);
        vod_w8(p, 0);
        vod_w8(p, (cenc->crypt << 4) | cenc->skip);
        vod_w8(p, 1);                   /* default_isProtected */
        vod_w8(p, 0);                   /* default_Per_Sample_IV_Size */
        memcpy(p, cenc->conf.kid, 16);
        p += 16;
        vod_w8(p, VOD_CENC_IV_SIZE);
        memcpy(p, cenc->conf.iv, VOD_CENC_IV_SIZE);
        p += VOD_CENC_IV_SIZE;

    } else {
        p = vod_cenc_box_start(p, "tenc", 0, 0);
        vod_w8(p, 0);
        vod_w8(p, 0);
        vod_w8(p, 1);
        vod_w8(p, VOD_CENC_CENC_IV_SIZE);
        memcpy(p, cenc->conf.kid, 16);
        p += 16;
    }

    vod_cenc_box_end(tenc, p);
    vod_cenc_box_end(schi, p);
    vod_cenc_box_end(sinf, p);

    return p;
}


int
vod_cenc_sample_entry(vod_cenc_t *cenc, const u_char *entry, size_t len,
    u_char **out, size_t *out_len)
{
    size_t      size;
    u_char     *buf, *p;
    vod_env_t  *env;

    env = cenc->env;

    if (len < 8 || len > VOD_MAX_SAMPLE_ENTRY || vod_r32(entry) != len) {
        env->log(env, "cenc: bad sample entry");
        return VOD_BAD_DATA;
    }

    size = len + vod_cenc_sinf_size(cenc);

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    memcpy(buf, entry, len);

    p = buf;
    vod_w32(p, size);
    vod_wtag(p, cenc->conf.layout == VOD_CENC_LAYOUT_WHOLE ? "enca" : "encv");

    p = vod_cenc_write_sinf(buf + len, cenc, entry + 4);

    *out = buf;
    *out_len = p - buf;

    return VOD_OK;
}


size_t
vod_cenc_pssh_size(uint32_t kids, size_t data_len)
{
    return 12 + 16 + 4 + 16 * (size_t) kids + 4 + data_len;
}


u_char *
vod_cenc_write_pssh(u_char *p, const u_char *system, const u_char *kid,
    uint32_t kids, const u_char *data, size_t data_len)
{
    u_char  *start;

    start = p;
    p = vod_cenc_box_start(p, "pssh", 1, 0);

    memcpy(p, system, 16);
    p += 16;

    vod_w32(p, kids);

    if (kids > 0) {
        memcpy(p, kid, 16 * (size_t) kids);
        p += 16 * (size_t) kids;
    }

    vod_w32(p, data_len);

    if (data_len > 0) {
        memcpy(p, data, data_len);
        p += data_len;
    }

    vod_cenc_box_end(start, p);

    return p;
}
