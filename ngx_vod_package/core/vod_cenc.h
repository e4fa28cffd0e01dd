/*
 * vod_cenc.h: Common Encryption (ISO/IEC 23001-7) of CMAF samples and the
 * boxes that signal it, with OpenSSL's libcrypto.
 *
 * Schemes:
 *   'cenc'  AES-128-CTR.  Each sample has an 8-byte IV (the first given by
 *           the caller, then counting up by one per sample); the 16-byte
 *           counter block is IV || 64-bit block counter from 0, running on
 *           across the protected ranges of one sample.
 *   'cbcs'  AES-128-CBC with a constant 16-byte IV (tenc), the chain
 *           restarted at the start of every subsample's protected range.
 *           Video: pattern 1:9 (one block encrypted, nine left clear).
 *           Audio: every whole block of the sample, pattern 0:0 in tenc;
 *           a trailing partial block stays clear.
 *
 * Sample layout:
 *   AVC/HEVC  length-prefixed NAL units (nal_length_size 1, 2 or 4).
 *           Non-VCL NAL units stay clear.  A VCL NAL unit keeps its length
 *           field and NAL header (1 byte AVC, 2 bytes HEVC) clear, then
 *           the protected range is the rest rounded down to whole 16-byte
 *           blocks, its remainder (< 16 bytes) joining the clear bytes
 *           before it (CMAF block alignment; for cbcs no partial block is
 *           ever left to the decryptor).  Clear runs of consecutive NAL
 *           units merge; a clear run over 65535 bytes is split into
 *           subsamples with no protected bytes (BytesOfClearData is 16
 *           bits).
 *           cbcs and the slice header: 23001-7 (3rd ed., 10.2/10.4) wants
 *           the slice header of a VCL NAL unit in the clear for the
 *           pattern schemes.  Finding its length needs a slice header
 *           parser (SPS/PPS state, exp-Golomb, emulation prevention);
 *           vod_cenc_conf_t's slice_header hook supplies it.  Without a
 *           hook only the NAL header is left clear: players decrypt every
 *           byte correctly either way, but a secure decoder path that
 *           parses slice headers before decryption needs the hook.
 *   whole   AAC, AC-3, E-AC-3 and any other sample with no subsamples.
 *
 * Derived keys (the operator's key source without a key service):
 *
 *   KID = first 16 bytes of HMAC-SHA256(secret, "vodedge-cenc-kid" || title)
 *   key = first 16 bytes of HMAC-SHA256(secret, "vodedge-cenc-key" || title)
 *   IV  = first 16 bytes of HMAC-SHA256(secret, "vodedge-cenc-iv" || title)
 *
 * where || is byte concatenation with no separator after the ASCII label
 * (no terminating NUL) and title is the title id's bytes as in the URL
 * (secret: 1 to 1024 bytes, title: at most 1024).
 *   HLS key = first 16 bytes of HMAC-SHA256(secret, "vodedge-hls-key" || title)
 *
 * (the HLS key encrypts whole MPEG-TS segments, METHOD=AES-128: a key of
 * its own, never the CTR and CBC modes of Common Encryption under one)
 * IV is the cbcs constant IV; for cenc its first 8 bytes are a base the
 * caller adds a sample number to (vod_cenc_iv_add()), so that no two
 * samples under one KID share an IV.
 */

#ifndef _VOD_CENC_H_INCLUDED_
#define _VOD_CENC_H_INCLUDED_


#include "vod_core.h"


#define VOD_CENC_SCHEME_CENC    0x63656e63      /* 'cenc' */
#define VOD_CENC_SCHEME_CBCS    0x63626373      /* 'cbcs' */

#define VOD_CENC_LAYOUT_AVC     1
#define VOD_CENC_LAYOUT_HEVC    2
#define VOD_CENC_LAYOUT_WHOLE   3

#define VOD_CENC_KEY_SIZE       16
#define VOD_CENC_IV_SIZE        16
#define VOD_CENC_CENC_IV_SIZE   8

/* a sample's auxiliary information must fit saiz's 8-bit size: IV (8) +
 * count (2) + 6 bytes per subsample */
#define VOD_CENC_MAX_SUBSAMPLES  40


extern const u_char  vod_cenc_system_common[16];
extern const u_char  vod_cenc_system_widevine[16];
extern const u_char  vod_cenc_system_playready[16];


typedef struct vod_cenc_s  vod_cenc_t;

/* the clear length of a VCL NAL unit's start: NAL header and slice
 * header, at most len; nal points at the NAL header (after the length) */
typedef size_t (*vod_cenc_slice_header_pt)(void *data, const u_char *nal,
    size_t len);


typedef struct {
    uint32_t                  scheme;       /* VOD_CENC_SCHEME_* */
    uint32_t                  layout;       /* VOD_CENC_LAYOUT_* */
    uint32_t                  nal_length_size;
    u_char                    key[VOD_CENC_KEY_SIZE];
    u_char                    kid[16];
    /* cbcs: the constant IV; cenc: the first sample's IV (8 bytes) */
    u_char                    iv[VOD_CENC_IV_SIZE];
    vod_cenc_slice_header_pt  slice_header; /* NULL: NAL header only */
    void                     *slice_header_data;
} vod_cenc_conf_t;


typedef struct {
    uint16_t      clear;
    uint32_t      protected;
} vod_cenc_subsample_t;


/* one segment's sample auxiliary information, filled sample by sample */
typedef struct {
    uint32_t               iv_size;       /* 8 (cenc) or 0 (cbcs) */
    uint32_t               subsampled;    /* NAL layout: senc flag 0x2 */
    uint32_t               count;         /* samples encrypted */
    uint32_t               max_samples;
    u_char                *ivs;           /* count * iv_size */
    uint32_t              *first;         /* count + 1 indexes into subs */
    vod_cenc_subsample_t  *subs;
    uint32_t               nsubs;
    uint32_t               max_subs;
} vod_cenc_aux_t;


/* the KID, key and IV of a title (see the derivation above); key or iv
 * NULL: not derived (a manifest needs the KID alone) */
int vod_cenc_derive(const u_char *secret, size_t secret_len,
    const u_char *title, size_t title_len, u_char *kid, u_char *key,
    u_char *iv);

/* the HLS AES-128 key of a title (see the derivation above) */
int vod_cenc_derive_hls(const u_char *secret, size_t secret_len,
    const u_char *title, size_t title_len, u_char *key);

/* iv's first 8 bytes as a big-endian number plus n (cenc sample IVs) */
void vod_cenc_iv_add(u_char *iv, uint64_t n);

/* The track's layout from its VOD_CODEC_* (vod_media.h): AVC, HEVC or
 * whole-sample audio; 0 for a codec this file cannot protect. */
uint32_t vod_cenc_layout(uint32_t codec);

/* An encryptor for one track; vod_cenc_free() releases its cipher
 * context (allocated by OpenSSL, not by env). */
vod_cenc_t *vod_cenc_create(vod_env_t *env, const vod_cenc_conf_t *conf);
void vod_cenc_free(vod_cenc_t *cenc);

/* aux for a segment of at most samples samples and bytes data bytes */
int vod_cenc_aux_init(vod_cenc_t *cenc, vod_cenc_aux_t *aux,
    uint32_t samples, uint64_t bytes);

/* Encrypts one sample in place and appends its IV and subsamples to aux.
 * VOD_BAD_DATA for NAL units that overrun the sample. */
int vod_cenc_encrypt_sample(vod_cenc_t *cenc, vod_cenc_aux_t *aux,
    u_char *data, size_t len);


/* vod_cenc_box.c: the boxes (sizes first, then writers that return the
 * end of what they wrote).  A segment whose aux has no bytes (cbcs audio:
 * constant IV, no subsamples) has no senc, saiz or saio: their sizes are
 * then 0 and the writers write nothing. */

size_t vod_cenc_senc_size(const vod_cenc_aux_t *aux);
u_char *vod_cenc_write_senc(u_char *p, const vod_cenc_aux_t *aux);
size_t vod_cenc_saiz_size(const vod_cenc_aux_t *aux);
u_char *vod_cenc_write_saiz(u_char *p, const vod_cenc_aux_t *aux);
size_t vod_cenc_saio_size(const vod_cenc_aux_t *aux);
/* *offset points at saio's 32-bit offset, for vod_cenc_saio_set() */
u_char *vod_cenc_write_saio(u_char *p, const vod_cenc_aux_t *aux,
    u_char **offset);
/* the first sample's aux data sits 16 bytes into senc; offset is from
 * the moof's first byte (tfhd default-base-is-moof) */
void vod_cenc_saio_set(u_char *offset, size_t senc_from_moof);

/* A clear fragment of a protected track (ISO/IEC 23001-7 6, 10.1): sbgp
 * puts its count samples in the fragment's one 'seig' group, which sgpd
 * describes as isProtected 0 (no IV, no KID), overriding tenc; it then
 * has no senc, saiz or saio. */
#define VOD_CENC_CLEAR_GROUP_SIZE  (28 + 44)

u_char *vod_cenc_write_clear_group(u_char *p, uint32_t count);

/* sinf (frma, schm, schi/tenc) for the original sample entry type */
size_t vod_cenc_sinf_size(const vod_cenc_t *cenc);
u_char *vod_cenc_write_sinf(u_char *p, const vod_cenc_t *cenc,
    const u_char *format);

/* The protected sample entry: entry's type becomes encv (video) or enca
 * (audio) and sinf is appended after its children. */
int vod_cenc_sample_entry(vod_cenc_t *cenc, const u_char *entry,
    size_t len, u_char **out, size_t *out_len);

/* pssh version 1 with the KIDs (16 bytes each) and the system's data */
size_t vod_cenc_pssh_size(uint32_t kids, size_t data_len);
u_char *vod_cenc_write_pssh(u_char *p, const u_char *system,
    const u_char *kid, uint32_t kids, const u_char *data, size_t data_len);


#endif /* _VOD_CENC_H_INCLUDED_ */
