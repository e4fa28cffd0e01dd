/*
 * vod_protect.c: protected CMAF init and media segments (vod_protect.h).
 */

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "vod_protect.h"
#include "vod_fmp4.h"


/* every system's pssh box */
#define VOD_PROTECT_PSSH_ALL  (3 * VOD_PROTECT_MAX_PSSH)


static u_char *vod_protect_varint(u_char *p, uint32_t v);
static int vod_protect_segment_iv(const vod_protect_t *prot, uint64_t stream,
    uint32_t segment, u_char *iv);
static int vod_protect_read(vod_env_t *env, const vod_segment_t *segment,
    u_char *data);
static vod_cenc_t *vod_protect_cenc(vod_env_t *env,
    const vod_track_info_t *track, const vod_protect_t *prot);
static size_t vod_protect_pssh_write(const vod_protect_t *prot,
    u_char *buf);
static u_char *vod_protect_pssh_all(vod_env_t *env,
    const vod_protect_t *prot, size_t *len);
static int vod_protect_segment_clear(vod_env_t *env,
    const vod_segment_t *segment, int group, u_char **out, size_t *len);


int
vod_protect_supported(const vod_track_info_t *track)
{
    switch (track->codec) {

    case VOD_CODEC_AVC:
    case VOD_CODEC_HEVC:
    case VOD_CODEC_AAC:
    case VOD_CODEC_AC3:
    case VOD_CODEC_EAC3:
        return 1;

    default:
        /* AV1 needs its own subsample layout (OBU headers clear) */
        return 0;
    }
}


int
vod_protect_clear(uint32_t lead_ms, const vod_track_info_t *track,
    uint32_t index)
{
    if (lead_ms == 0 || track->seg_time == NULL
        || index >= track->segment_count)
    {
        return 0;
    }

    /* start / timescale < lead_ms / 1000, that is start * 1000 < lead in
     * timescale units * 1000, so start < that / 1000 rounded up: both
     * factors are 32-bit, so the product fits, and the start is never
     * multiplied (a huge one cannot wrap into the lead) */
    return track->seg_time[index]
           < ((uint64_t) lead_ms * track->timescale + 999) / 1000;
}


uint32_t
vod_protect_first_encrypted(uint32_t lead_ms, const vod_track_info_t *track)
{
    uint32_t  i;

    for (i = 0; i < track->segment_count; i++) {
        if (!vod_protect_clear(lead_ms, track, i)) {
            break;
        }
    }

    return i;
}


static vod_cenc_t *
vod_protect_cenc(vod_env_t *env, const vod_track_info_t *track,
    const vod_protect_t *prot)
{
    vod_cenc_t       *cenc;
    vod_cenc_conf_t   conf;

    if (!vod_protect_supported(track)) {
        env->log(env, "protect: track %u's codec cannot be encrypted",
                 track->track_id);
        return NULL;
    }

    memset(&conf, 0, sizeof(vod_cenc_conf_t));
    conf.scheme = prot->scheme;
    conf.layout = (track->type == VOD_TRACK_VIDEO)
                  ? vod_cenc_layout(track->codec) : VOD_CENC_LAYOUT_WHOLE;
    conf.nal_length_size = track->nal_length_size;
    memcpy(conf.key, prot->key, VOD_CENC_KEY_SIZE);
    memcpy(conf.kid, prot->kid, 16);
    memcpy(conf.iv, prot->iv, VOD_CENC_IV_SIZE);

    cenc = vod_cenc_create(env, &conf);

    /* the key lives on in the cipher context alone */
    OPENSSL_cleanse(conf.key, sizeof(conf.key));

    return cenc;
}


/* protobuf's base-128 varint */
static u_char *
vod_protect_varint(u_char *p, uint32_t v)
{
    while (v >= 0x80) {
        *p++ = (u_char) (v | 0x80);
        v >>= 7;
    }

    *p++ = (u_char) v;

    return p;
}


size_t
vod_protect_pssh(const vod_protect_t *prot, uint32_t system, u_char *buf)
{
    u_char  *p, data[VOD_PROTECT_MAX_PSSH - 64];

    if (system == VOD_PROTECT_PLAYREADY) {
        return vod_cenc_write_pssh(buf, vod_cenc_system_playready, prot->kid,
                                   1, data,
                                   vod_protect_playready_pro(prot, data))
               - buf;
    }

    if (system == VOD_PROTECT_WIDEVINE && prot->widevine.len > 0
        && prot->widevine.len <= VOD_PROTECT_MAX_DATA)
    {
        return vod_cenc_write_pssh(buf, vod_cenc_system_widevine, prot->kid,
                                   1, prot->widevine.data,
                                   prot->widevine.len)
               - buf;
    }

    if (system == VOD_PROTECT_WIDEVINE) {
        /* WidevinePsshData: key_ids (field 2, bytes) and
         * protection_scheme (field 9, varint of the scheme's fourcc) */
        p = data;
        *p++ = 0x12;
        *p++ = 16;
        memcpy(p, prot->kid, 16);
        p += 16;
        *p++ = 0x48;
        p = vod_protect_varint(p, prot->scheme);

        return vod_cenc_write_pssh(buf, vod_cenc_system_widevine, prot->kid,
                                   1, data, p - data)
               - buf;
    }

    /* the common system (ISO/IEC 23001-7 8.1.3, W3C ClearKey): the KID
     * alone */
    return vod_cenc_write_pssh(buf, vod_cenc_system_common, prot->kid, 1,
                               NULL, 0)
           - buf;
}


/* the pssh boxes of the configured systems, one after another into buf
 * (VOD_PROTECT_PSSH_ALL bytes); returns their size */
static size_t
vod_protect_pssh_write(const vod_protect_t *prot, u_char *buf)
{
    u_char  *p;

    p = buf;

    if (prot->systems & VOD_PROTECT_COMMON) {
        p += vod_protect_pssh(prot, VOD_PROTECT_COMMON, p);
    }

    if (prot->systems & VOD_PROTECT_WIDEVINE) {
        p += vod_protect_pssh(prot, VOD_PROTECT_WIDEVINE, p);
    }

    if (prot->systems & VOD_PROTECT_PLAYREADY) {
        p += vod_protect_pssh(prot, VOD_PROTECT_PLAYREADY, p);
    }

    return p - buf;
}


static u_char *
vod_protect_pssh_all(vod_env_t *env, const vod_protect_t *prot, size_t *len)
{
    u_char  *pssh;

    pssh = env->alloc(env, VOD_PROTECT_PSSH_ALL);
    if (pssh == NULL) {
        return NULL;
    }

    *len = vod_protect_pssh_write(prot, pssh);

    return pssh;
}


int
vod_protect_init(vod_env_t *env, const vod_track_info_t *track,
    const vod_protect_t *prot, u_char **out, size_t *len)
{
    int                  rc;
    u_char              *entry, *pssh;
    size_t               entry_len, pssh_len;
    vod_cenc_t          *cenc;
    vod_fmp4_protect_t   protect;

    if (track->sample_entry == NULL || track->sample_entry_len < 8) {
        env->log(env, "protect: bad sample entry of track %u",
                 track->track_id);
        return VOD_BAD_DATA;
    }

    cenc = vod_protect_cenc(env, track, prot);
    if (cenc == NULL) {
        return vod_protect_supported(track) ? VOD_ERROR : VOD_UNSUPPORTED;
    }

    rc = vod_cenc_sample_entry(cenc, track->sample_entry,
                               track->sample_entry_len, &entry, &entry_len);
    vod_cenc_free(cenc);

    if (rc != VOD_OK) {
        return rc;
    }

    pssh = vod_protect_pssh_all(env, prot, &pssh_len);
    if (pssh == NULL) {
        return VOD_ERROR;
    }

    protect.entry = entry;
    protect.entry_len = entry_len;
    protect.pssh = pssh;
    protect.pssh_len = pssh_len;

    return vod_fmp4_protected_init(env, track, &protect, out, len);
}


static int
vod_protect_segment_iv(const vod_protect_t *prot, uint64_t stream,
    uint32_t segment, u_char *iv)
{
    u_char         msg[VOD_CENC_IV_SIZE + 8 + 4], *p, md[EVP_MAX_MD_SIZE];
    unsigned int   md_len;

    p = msg;
    memcpy(p, prot->iv, VOD_CENC_IV_SIZE);
    p += VOD_CENC_IV_SIZE;
    vod_w64(p, stream);
    vod_w32(p, segment);

    if (!EVP_Digest(msg, sizeof(msg), md, &md_len, EVP_sha256(), NULL)
        || md_len < VOD_CENC_CENC_IV_SIZE)
    {
        return VOD_ERROR;
    }

    memcpy(iv, md, VOD_CENC_CENC_IV_SIZE);
    memset(iv + VOD_CENC_CENC_IV_SIZE, 0,
           VOD_CENC_IV_SIZE - VOD_CENC_CENC_IV_SIZE);

    return VOD_OK;
}


/* the samples' data in trun order: the ranges are the samples in order,
 * merged where they touch */
static int
vod_protect_read(vod_env_t *env, const vod_segment_t *segment, u_char *data)
{
    int           rc;
    uint32_t      count, i;
    vod_range_t  *ranges;

    rc = vod_segment_ranges(env, segment, &ranges, &count);
    if (rc != VOD_OK) {
        return rc;
    }

    for (i = 0; i < count; i++) {
        if (env->read(env, data, (size_t) ranges[i].size,
                      (off_t) ranges[i].offset)
            != (ssize_t) ranges[i].size)
        {
            return VOD_BAD_DATA;
        }

        data += ranges[i].size;
    }

    return VOD_OK;
}


/* a clear segment in memory, the header and samples in one buffer with
 * room for AES-128's padding; group: the header says the samples of a
 * protected track are clear */
static int
vod_protect_segment_clear(vod_env_t *env, const vod_segment_t *segment,
    int group, u_char **out, size_t *len)
{
    int      rc;
    u_char  *header, *buf;
    size_t   header_len;

    rc = group ? vod_fmp4_clear_lead_header(env, segment, &header,
                                            &header_len)
               : vod_fmp4_segment_header(env, segment, &header, &header_len);
    if (rc != VOD_OK) {
        return rc;
    }

    buf = env->alloc(env, header_len + (size_t) segment->data_size + 16);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    memcpy(buf, header, header_len);

    rc = vod_protect_read(env, segment, buf + header_len);
    if (rc != VOD_OK) {
        return rc;
    }

    *out = buf;
    *len = header_len + (size_t) segment->data_size;

    return VOD_OK;
}


/* HLS AES-128 of a CMAF segment: the clear segment encrypted in place */
static int
vod_protect_segment_aes128(vod_env_t *env, const vod_segment_t *segment,
    const vod_protect_t *prot, u_char **out, size_t *len)
{
    int  rc;

    rc = vod_protect_segment_clear(env, segment, 0, out, len);
    if (rc != VOD_OK) {
        return rc;
    }

    /* the IV the playlist implies: its entry's media sequence number */
    return vod_protect_aes128(env, prot, segment->sequence, *out, *len, len);
}


int
vod_protect_segment(vod_env_t *env, const vod_segment_t *segment,
    const vod_protect_t *prot, uint64_t stream, u_char **out, size_t *len)
{
    int              rc;
    u_char          *header, *buf, *data, *p, *pssh;
    size_t           header_len, room, pssh_len;
    uint32_t         i;
    vod_cenc_t      *cenc;
    vod_cenc_aux_t   aux;
    vod_protect_t    seg;

    if (segment->track == NULL
        || segment->data_size > VOD_MAX_SEGMENT_BYTES
        || segment->count > VOD_MAX_SEGMENT_SAMPLES
        || (segment->count > 0 && segment->samples == NULL))
    {
        env->log(env, "protect: bad segment");
        return VOD_BAD_DATA;
    }

    if (vod_protect_clear(prot->clear_lead, segment->track, segment->index))
    {
        return vod_protect_segment_clear(env, segment,
                                         prot->scheme
                                         != VOD_PROTECT_SCHEME_AES128,
                                         out, len);
    }

    if (prot->scheme == VOD_PROTECT_SCHEME_AES128) {
        return vod_protect_segment_aes128(env, segment, prot, out, len);
    }

    seg = *prot;

    if (prot->scheme == VOD_CENC_SCHEME_CENC) {
        if (vod_protect_segment_iv(prot, stream, segment->index, seg.iv)
            != VOD_OK)
        {
            env->log(env, "protect: SHA-256 failed");
            return VOD_ERROR;
        }

        /* each sample's counter is the segment's IV plus its place in
         * the media segment: an I-frame segment's key frame gets the IV,
         * so the very ciphertext, it has there, never a keystream of
         * another sample over its bytes ('cbcs' has one constant IV) */
        vod_cenc_iv_add(seg.iv, segment->first);
    }

    cenc = vod_protect_cenc(env, segment->track, &seg);
    OPENSSL_cleanse(seg.key, sizeof(seg.key));

    if (cenc == NULL) {
        return vod_protect_supported(segment->track) ? VOD_ERROR
                                                     : VOD_UNSUPPORTED;
    }

    rc = vod_cenc_aux_init(cenc, &aux, segment->count, segment->data_size);
    if (rc != VOD_OK) {
        goto done;
    }

    /* past a clear lead, the pssh boxes again in each moof: the
     * "encrypted" event of the init segment's came while the player
     * had only clear segments, and hls.js drops it then */
    pssh = NULL;
    pssh_len = 0;

    if (prot->clear_lead != 0) {
        pssh = vod_protect_pssh_all(env, prot, &pssh_len);
        if (pssh == NULL) {
            rc = VOD_ERROR;
            goto done;
        }
    }

    /* the samples go after room for the largest header they can have
     * (styp, moof with a trun of 16 bytes a sample, saiz, saio, senc of
     * aux's bounds, the mdat header), which is written in front of them
     * once known: the data is never copied */
    room = 256 + (size_t) segment->count * (16 + 1 + VOD_CENC_CENC_IV_SIZE + 2)
           + (size_t) aux.max_subs * 6 + pssh_len;

    buf = env->alloc(env, room + (size_t) segment->data_size);
    if (buf == NULL) {
        rc = VOD_ERROR;
        goto done;
    }

    data = buf + room;

    rc = vod_protect_read(env, segment, data);

    for (i = 0, p = data; rc == VOD_OK && i < segment->count; i++) {
        rc = vod_cenc_encrypt_sample(cenc, &aux, p,
                                     segment->samples[i].size);
        p += segment->samples[i].size;
    }

    if (rc != VOD_OK) {
        goto done;
    }

    rc = vod_fmp4_protected_header(env, segment, &aux, pssh, pssh_len,
                                   &header, &header_len);
    if (rc != VOD_OK) {
        goto done;
    }

    if (header_len > room) {
        env->log(env, "protect: header of %zu bytes over its room %zu",
                 header_len, room);
        rc = VOD_ERROR;
        goto done;
    }

    memcpy(data - header_len, header, header_len);

    *out = data - header_len;
    *len = header_len + (size_t) segment->data_size;

done:

    vod_cenc_free(cenc);

    return rc;
}


int
vod_protect_one_sample(vod_env_t *env, const vod_track_info_t *track,
    const vod_protect_t *prot, vod_protect_wire_t *wire)
{
    int                    rc;
    u_char                *header, *pssh, ivs[VOD_CENC_CENC_IV_SIZE];
    size_t                 len, pssh_len;
    uint32_t               first[2];
    vod_sample_t           sample;
    vod_segment_t          seg;
    vod_cenc_aux_t         aux;
    vod_cenc_subsample_t   sub;

    /* the headers' sizes do not depend on the sample's values */
    memset(&sample, 0, sizeof(vod_sample_t));
    sample.sync = 1;

    memset(&seg, 0, sizeof(vod_segment_t));
    seg.track = (vod_track_info_t *) track;
    seg.count = 1;
    seg.samples = &sample;

    rc = vod_fmp4_segment_header(env, &seg, &header, &len);
    if (rc != VOD_OK) {
        return rc;
    }

    wire->lead = len;
    wire->rest = len;
    wire->first = track->segment_count;
    wire->pad = 0;

    if (prot == NULL) {
        return VOD_OK;
    }

    wire->first = vod_protect_first_encrypted(prot->clear_lead, track);

    if (prot->scheme == VOD_PROTECT_SCHEME_AES128) {
        wire->pad = 1;
        return VOD_OK;
    }

    rc = vod_fmp4_clear_lead_header(env, &seg, &header, &len);
    if (rc != VOD_OK) {
        return rc;
    }

    wire->lead = len;

    memset(ivs, 0, sizeof(ivs));
    first[0] = 0;
    first[1] = 1;
    sub.clear = 0;
    sub.protected = 0;

    memset(&aux, 0, sizeof(vod_cenc_aux_t));
    aux.iv_size = (prot->scheme == VOD_CENC_SCHEME_CENC)
                  ? VOD_CENC_CENC_IV_SIZE : 0;
    aux.subsampled = (vod_cenc_layout(track->codec) != VOD_CENC_LAYOUT_WHOLE);
    aux.count = 1;
    aux.max_samples = 1;
    aux.ivs = ivs;
    aux.first = first;
    aux.subs = &sub;
    aux.nsubs = aux.subsampled ? 1 : 0;
    aux.max_subs = aux.nsubs;

    if (!aux.subsampled) {
        first[1] = 0;
    }

    pssh = NULL;
    pssh_len = 0;

    if (prot->clear_lead != 0) {
        pssh = vod_protect_pssh_all(env, prot, &pssh_len);
        if (pssh == NULL) {
            return VOD_ERROR;
        }
    }

    rc = vod_fmp4_protected_header(env, &seg, &aux, pssh, pssh_len, &header,
                                   &len);
    if (rc != VOD_OK) {
        return rc;
    }

    wire->rest = len;

    return VOD_OK;
}


uint64_t
vod_protect_bitrate(const vod_track_info_t *track, const vod_protect_t *prot)
{
    u_char    pssh[VOD_PROTECT_PSSH_ALL];
    uint64_t  samples, entry, bytes, segments;

    if (prot == NULL) {
        return 0;
    }

    segments = vod_track_segments_per_second(track);

    if (prot->scheme == VOD_PROTECT_SCHEME_AES128) {
        return 16 * 8 * segments;
    }

    /* as vod_fmp4_bitrate() counts samples */
    if (track->type == VOD_TRACK_VIDEO) {
        samples = (track->fps_den != 0)
                  ? ((uint64_t) track->fps_num + track->fps_den - 1)
                    / track->fps_den
                  : 0;

    } else {
        samples = ((uint64_t) track->sample_rate + 1023) / 1024;
    }

    entry = (prot->scheme == VOD_CENC_SCHEME_CENC) ? VOD_CENC_CENC_IV_SIZE
                                                   : 0;

    if (vod_cenc_layout(track->codec) != VOD_CENC_LAYOUT_WHOLE) {
        entry += 2 + 6 + 1;
    }

    /* per segment the larger of the senc, saiz and saio headers (16, 17
     * and 20 or 24 bytes) and a clear lead's seig group (sbgp 28, sgpd
     * 44) */
    bytes = samples * entry + 72 * segments;

    if (prot->clear_lead != 0) {
        bytes += vod_protect_pssh_write(prot, pssh) * segments;
    }

    return bytes * 8;
}


int
vod_protect_aes128(vod_env_t *env, const vod_protect_t *prot,
    uint32_t sequence, u_char *buf, size_t len, size_t *out_len)
{
    int              n, m, rc;
    u_char          *p, iv[16];
    EVP_CIPHER_CTX  *ctx;

    if (len > VOD_MAX_SEGMENT_BYTES) {
        env->log(env, "protect: segment of %zu bytes", len);
        return VOD_BAD_DATA;
    }

    memset(iv, 0, sizeof(iv));
    p = iv + 12;
    vod_w32(p, sequence);

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return VOD_ERROR;
    }

    rc = VOD_ERROR;

    /* in place: one update over the whole buffer (OpenSSL allows in ==
     * out), then the padding block after it */
    if (EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, prot->hls_key, iv)
        && EVP_EncryptUpdate(ctx, buf, &n, buf, (int) len)
        && EVP_EncryptFinal_ex(ctx, buf + n, &m))
    {
        *out_len = (size_t) n + m;
        rc = VOD_OK;

    } else {
        env->log(env, "protect: AES-128 encryption failed");
    }

    EVP_CIPHER_CTX_free(ctx);

    return rc;
}
