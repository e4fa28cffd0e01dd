/*
 * vod_cenc.c: Common Encryption of one sample in place (ISO/IEC 23001-7,
 * 'cenc' and 'cbcs'), its subsample map and the derived keys; the
 * layout rules are in vod_cenc.h.
 */

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vod_cenc.h"
#include "vod_cenc_int.h"
#include "vod_media.h"


#define VOD_CENC_BLOCK           16
#define VOD_CENC_MAX_CLEAR       65535
#define VOD_CENC_MAX_TITLE       1024

/* NAL unit types: AVC 1..5 are slices (ISO/IEC 14496-10 Table 7-1),
 * HEVC 0..31 are VCL NAL units (ITU-T H.265 Table 7-1) */
#define VOD_CENC_AVC_VCL(b)      (((b) & 0x1f) >= 1 && ((b) & 0x1f) <= 5)
#define VOD_CENC_HEVC_VCL(b)     ((((b) >> 1) & 0x3f) <= 31)


static int vod_cenc_derive_one(const u_char *secret, size_t secret_len,
    const char *label, const u_char *title, size_t title_len, u_char *out);
static int vod_cenc_emit(vod_cenc_t *cenc, vod_cenc_aux_t *aux,
    size_t clear, size_t prot);
static int vod_cenc_protect(vod_cenc_t *cenc, u_char *p, size_t len);
static int vod_cenc_nal(vod_cenc_t *cenc, vod_cenc_aux_t *aux,
    u_char *data, size_t len);


static int
vod_cenc_derive_one(const u_char *secret, size_t secret_len,
    const char *label, const u_char *title, size_t title_len, u_char *out)
{
    size_t         n;
    u_char         msg[VOD_CENC_MAX_TITLE + 32], md[EVP_MAX_MD_SIZE];
    unsigned int   md_len;

    n = strlen(label);
    memcpy(msg, label, n);
    memcpy(msg + n, title, title_len);

    if (HMAC(EVP_sha256(), secret, (int) secret_len, msg, n + title_len, md,
             &md_len)
        == NULL
        || md_len < 16)
    {
        return VOD_ERROR;
    }

    memcpy(out, md, 16);
    OPENSSL_cleanse(md, sizeof(md));

    return VOD_OK;
}


int
vod_cenc_derive(const u_char *secret, size_t secret_len,
    const u_char *title, size_t title_len, u_char *kid, u_char *key,
    u_char *iv)
{
    if (secret_len == 0 || secret_len > 1024
        || title_len > VOD_CENC_MAX_TITLE)
    {
        return VOD_ERROR;
    }

    if (vod_cenc_derive_one(secret, secret_len, "vodedge-cenc-kid", title,
                            title_len, kid)
        != VOD_OK
        || (key != NULL
            && vod_cenc_derive_one(secret, secret_len, "vodedge-cenc-key",
                                   title, title_len, key)
               != VOD_OK)
        || (iv != NULL
            && vod_cenc_derive_one(secret, secret_len, "vodedge-cenc-iv",
                                   title, title_len, iv)
               != VOD_OK))
    {
        return VOD_ERROR;
    }

    return VOD_OK;
}


int
vod_cenc_derive_hls(const u_char *secret, size_t secret_len,
    const u_char *title, size_t title_len, u_char *key)
{
    if (secret_len == 0 || secret_len > 1024
        || title_len > VOD_CENC_MAX_TITLE)
    {
        return VOD_ERROR;
    }

    return vod_cenc_derive_one(secret, secret_len, "vodedge-hls-key", title,
                               title_len, key);
}


void
vod_cenc_iv_add(u_char *iv, uint64_t n)
{
    int       i;
    uint64_t  v;

    v = vod_r64(iv) + n;

    for (i = 7; i >= 0; i--) {
        iv[i] = (u_char) v;
        v >>= 8;
    }
}


uint32_t
vod_cenc_layout(uint32_t codec)
{
    switch (codec) {

    case VOD_CODEC_AVC:
        return VOD_CENC_LAYOUT_AVC;

    case VOD_CODEC_HEVC:
        return VOD_CENC_LAYOUT_HEVC;

    case VOD_CODEC_AAC:
        return VOD_CENC_LAYOUT_WHOLE;

    default:
        return 0;
    }
}


vod_cenc_t *
vod_cenc_create(vod_env_t *env, const vod_cenc_conf_t *conf)
{
    const EVP_CIPHER  *cipher;
    vod_cenc_t        *cenc;

    if (conf->scheme != VOD_CENC_SCHEME_CENC
        && conf->scheme != VOD_CENC_SCHEME_CBCS)
    {
        env->log(env, "cenc: unknown scheme 0x%08x", conf->scheme);
        return NULL;
    }

    if (conf->layout != VOD_CENC_LAYOUT_AVC
        && conf->layout != VOD_CENC_LAYOUT_HEVC
        && conf->layout != VOD_CENC_LAYOUT_WHOLE)
    {
        env->log(env, "cenc: unknown sample layout %u", conf->layout);
        return NULL;
    }

    if (conf->layout != VOD_CENC_LAYOUT_WHOLE
        && conf->nal_length_size != 1 && conf->nal_length_size != 2
        && conf->nal_length_size != 4)
    {
        env->log(env, "cenc: bad NAL length size %u", conf->nal_length_size);
        return NULL;
    }

    cenc = env->alloc(env, sizeof(vod_cenc_t));
    if (cenc == NULL) {
        return NULL;
    }

    memset(cenc, 0, sizeof(vod_cenc_t));
    cenc->env = env;
    cenc->conf = *conf;

    if (conf->scheme == VOD_CENC_SCHEME_CBCS
        && conf->layout != VOD_CENC_LAYOUT_WHOLE)
    {
        cenc->crypt = 1;
        cenc->skip = 9;
    }

    cenc->ctx = EVP_CIPHER_CTX_new();
    if (cenc->ctx == NULL) {
        env->log(env, "cenc: EVP_CIPHER_CTX_new() failed");
        return NULL;
    }

    cipher = (conf->scheme == VOD_CENC_SCHEME_CENC) ? EVP_aes_128_ctr()
                                                    : EVP_aes_128_cbc();

    if (!EVP_EncryptInit_ex(cenc->ctx, cipher, NULL, conf->key, NULL)
        || !EVP_CIPHER_CTX_set_padding(cenc->ctx, 0))
    {
        env->log(env, "cenc: EVP_EncryptInit_ex() failed");
        EVP_CIPHER_CTX_free(cenc->ctx);
        return NULL;
    }

    /* the key is in the cipher context now; drop the copy */
    OPENSSL_cleanse(cenc->conf.key, VOD_CENC_KEY_SIZE);

    memcpy(cenc->next_iv, conf->iv, VOD_CENC_IV_SIZE);

    return cenc;
}


void
vod_cenc_free(vod_cenc_t *cenc)
{
    if (cenc != NULL && cenc->ctx != NULL) {
        EVP_CIPHER_CTX_free(cenc->ctx);
        cenc->ctx = NULL;
    }
}


int
vod_cenc_aux_init(vod_cenc_t *cenc, vod_cenc_aux_t *aux, uint32_t samples,
    uint64_t bytes)
{
    uint64_t    subs;
    vod_env_t  *env;

    env = cenc->env;

    if (samples > VOD_MAX_SEGMENT_SAMPLES || bytes > VOD_MAX_SEGMENT_BYTES) {
        env->log(env, "cenc: segment of %u samples, %llu bytes too large",
                 samples, (unsigned long long) bytes);
        return VOD_BAD_DATA;
    }

    memset(aux, 0, sizeof(vod_cenc_aux_t));

    aux->iv_size = (cenc->conf.scheme == VOD_CENC_SCHEME_CENC)
                   ? VOD_CENC_CENC_IV_SIZE : 0;
    aux->subsampled = (cenc->conf.layout != VOD_CENC_LAYOUT_WHOLE);
    aux->max_samples = samples;

    /* a subsample with protected bytes spends a NAL length, a header and
     * a block; one without them 65535 clear bytes, or ends a sample */
    subs = 0;

    if (aux->subsampled) {
        subs = bytes / (cenc->conf.nal_length_size + 1 + VOD_CENC_BLOCK)
               + bytes / VOD_CENC_MAX_CLEAR + samples;
    }

    aux->max_subs = (uint32_t) subs;

    aux->ivs = env->alloc(env, (size_t) samples * aux->iv_size + 1);
    aux->first = env->alloc(env, ((size_t) samples + 1) * sizeof(uint32_t));
    aux->subs = env->alloc(env, (subs + 1) * sizeof(vod_cenc_subsample_t));

    if (aux->ivs == NULL || aux->first == NULL || aux->subs == NULL) {
        return VOD_ERROR;
    }

    aux->first[0] = 0;

    return VOD_OK;
}


static int
vod_cenc_emit(vod_cenc_t *cenc, vod_cenc_aux_t *aux, size_t clear,
    size_t prot)
{
    uint32_t  n;

    n = aux->nsubs - aux->first[aux->count];

    do {
        if (n >= VOD_CENC_MAX_SUBSAMPLES) {
            cenc->env->log(cenc->env, "cenc: sample needs more than %u "
                           "subsamples", VOD_CENC_MAX_SUBSAMPLES);
            return VOD_UNSUPPORTED;
        }

        if (aux->nsubs >= aux->max_subs) {
            /* the segment has more bytes than vod_cenc_aux_init() was
             * told of */
            cenc->env->log(cenc->env, "cenc: more subsamples than the "
                           "segment's bound %u", aux->max_subs);
            return VOD_ERROR;
        }

        if (clear > VOD_CENC_MAX_CLEAR) {
            aux->subs[aux->nsubs].clear = VOD_CENC_MAX_CLEAR;
            aux->subs[aux->nsubs].protected = 0;
            clear -= VOD_CENC_MAX_CLEAR;

        } else {
            aux->subs[aux->nsubs].clear = (uint16_t) clear;
            aux->subs[aux->nsubs].protected = (uint32_t) prot;
            clear = 0;
            prot = 0;
        }

        aux->nsubs++;
        n++;

    } while (clear > 0 || prot > 0);

    return VOD_OK;
}


/* one protected range: cenc runs the sample's counter on; cbcs restarts
 * the chain at the constant IV and encrypts crypt of every crypt + skip
 * blocks (all whole blocks when the pattern is 0:0) */
static int
vod_cenc_protect(vod_cenc_t *cenc, u_char *p, size_t len)
{
    int      n;
    size_t   chunk, step;
    u_char  *end;

    if (cenc->conf.scheme == VOD_CENC_SCHEME_CENC) {
        return EVP_EncryptUpdate(cenc->ctx, p, &n, p, (int) len)
               ? VOD_OK : VOD_ERROR;
    }

    if (!EVP_EncryptInit_ex(cenc->ctx, NULL, NULL, NULL, cenc->conf.iv)) {
        return VOD_ERROR;
    }

    len -= len % VOD_CENC_BLOCK;

    if (cenc->crypt == 0) {
        return EVP_EncryptUpdate(cenc->ctx, p, &n, p, (int) len)
               ? VOD_OK : VOD_ERROR;
    }

    chunk = (size_t) cenc->crypt * VOD_CENC_BLOCK;
    step = (size_t) (cenc->crypt + cenc->skip) * VOD_CENC_BLOCK;
    end = p + len;

    while ((size_t) (end - p) >= chunk) {
        if (!EVP_EncryptUpdate(cenc->ctx, p, &n, p, (int) chunk)) {
            return VOD_ERROR;
        }

        if ((size_t) (end - p) <= step) {
            break;
        }

        p += step;
    }

    return VOD_OK;
}


static int
vod_cenc_nal(vod_cenc_t *cenc, vod_cenc_aux_t *aux, u_char *data,
    size_t len)
{
    int       vcl, rc;
    size_t    nls, hdr, nal_len, head, body, prot, clear, i;
    u_char   *p, *end;

    nls = cenc->conf.nal_length_size;
    hdr = (cenc->conf.layout == VOD_CENC_LAYOUT_AVC) ? 1 : 2;

    p = data;
    end = data + len;
    clear = 0;

    while (p < end) {
        if ((size_t) (end - p) < nls) {
            cenc->env->log(cenc->env, "cenc: truncated NAL length");
            return VOD_BAD_DATA;
        }

        nal_len = 0;
        for (i = 0; i < nls; i++) {
            nal_len = (nal_len << 8) | p[i];
        }

        if (nal_len > (size_t) (end - p) - nls) {
            cenc->env->log(cenc->env, "cenc: NAL unit of %zu bytes overruns "
                           "its sample", nal_len);
            return VOD_BAD_DATA;
        }

        vcl = 0;

        if (nal_len > hdr) {
            vcl = (hdr == 1) ? VOD_CENC_AVC_VCL(p[nls])
                             : VOD_CENC_HEVC_VCL(p[nls]);
        }

        head = hdr;

        if (vcl && cenc->conf.slice_header != NULL) {
            head = cenc->conf.slice_header(cenc->conf.slice_header_data,
                                           p + nls, nal_len);
            if (head < hdr || head > nal_len) {
                head = nal_len;
            }
        }

        body = vcl ? nal_len - head : 0;
        prot = body - body % VOD_CENC_BLOCK;

        if (prot == 0) {
            clear += nls + nal_len;
            p += nls + nal_len;
            continue;
        }

        clear += nls + nal_len - prot;

        rc = vod_cenc_emit(cenc, aux, clear, prot);
        if (rc != VOD_OK) {
            return rc;
        }

        clear = 0;
        p += nls + nal_len - prot;

        if (vod_cenc_protect(cenc, p, prot) != VOD_OK) {
            cenc->env->log(cenc->env, "cenc: encryption failed");
            return VOD_ERROR;
        }

        p += prot;
    }

    if (clear > 0) {
        return vod_cenc_emit(cenc, aux, clear, 0);
    }

    return VOD_OK;
}


int
vod_cenc_encrypt_sample(vod_cenc_t *cenc, vod_cenc_aux_t *aux,
    u_char *data, size_t len)
{
    int      rc;
    u_char   counter[VOD_CENC_IV_SIZE];

    if (aux->count >= aux->max_samples) {
        cenc->env->log(cenc->env, "cenc: more samples than the segment's %u",
                       aux->max_samples);
        return VOD_ERROR;
    }

    if (len > VOD_MAX_SAMPLE_SIZE) {
        cenc->env->log(cenc->env, "cenc: sample of %zu bytes", len);
        return VOD_BAD_DATA;
    }

    if (cenc->conf.scheme == VOD_CENC_SCHEME_CENC) {
        memcpy(counter, cenc->next_iv, VOD_CENC_CENC_IV_SIZE);
        memset(counter + VOD_CENC_CENC_IV_SIZE, 0,
               VOD_CENC_IV_SIZE - VOD_CENC_CENC_IV_SIZE);

        if (!EVP_EncryptInit_ex(cenc->ctx, NULL, NULL, NULL, counter)) {
            return VOD_ERROR;
        }

        memcpy(aux->ivs + (size_t) aux->count * aux->iv_size, counter,
               VOD_CENC_CENC_IV_SIZE);
    }

    if (cenc->conf.layout == VOD_CENC_LAYOUT_WHOLE) {
        rc = vod_cenc_protect(cenc, data, len);
        if (rc != VOD_OK) {
            cenc->env->log(cenc->env, "cenc: encryption failed");
        }

    } else {
        rc = vod_cenc_nal(cenc, aux, data, len);
    }

    if (rc != VOD_OK) {
        /* the sample's subsamples are dropped with it */
        aux->nsubs = aux->first[aux->count];
        return rc;
    }

    aux->count++;
    aux->first[aux->count] = aux->nsubs;

    if (cenc->conf.scheme == VOD_CENC_SCHEME_CENC) {
        vod_cenc_iv_add(cenc->next_iv, 1);
    }

    return VOD_OK;
}
