/*
 * vod_ts_saes.c: HLS SAMPLE-AES of H.264 NAL units and AAC, AC-3 and
 * E-AC-3 frames (vod_ts_saes.h).  The cipher runs over the NAL unit's
 * bytes without emulation prevention, which is applied again to the
 * encrypted unit: a client removes it, decrypts, and hands the decoder
 * the unit it would have had in the clear.
 */

#include <openssl/evp.h>

#include "vod_ts_saes.h"
#include "vod_bits.h"


#define VOD_TS_SAES_VIDEO_LEAD   32     /* NAL header byte and 31 more */
#define VOD_TS_SAES_VIDEO_SKIP   9      /* clear blocks after each one */
#define VOD_TS_SAES_AUDIO_LEAD   16
#define VOD_TS_SAES_BLOCK        16

/* ATSC A/52 Annex E (E-AC-3): syncword 0x0b77, then strmtyp, substreamid
 * and an 11-bit frmsiz (the syncframe's 16-bit words less one); bsid, 5
 * bits at byte 5, is 11 to 16, where AC-3's is 8 or less */
#define VOD_TS_SAES_EAC3_HEADER  6
#define VOD_TS_SAES_EAC3_BSID    11


static int vod_ts_saes_cbc(const vod_ts_saes_t *saes, u_char *p,
    size_t len, size_t lead, size_t skip);
static size_t vod_ts_saes_escape(const u_char *in, size_t len, u_char *out);


size_t
vod_ts_saes_nal(const vod_ts_saes_t *saes, const u_char *in, size_t len,
    u_char *out, u_char *tmp)
{
    size_t    raw;
    uint32_t  type;

    type = (len > 0) ? (in[0] & 0x1f) : 0;

    if (type != 1 && type != 5) {
        memcpy(out, in, len);
        return len;
    }

    /* the RBSP is never longer than the unit: tmp holds len bytes */
    raw = vod_bits_rbsp(in, len, tmp, len);

    /* 48 bytes or less: a protected block of 16 or fewer, left clear */
    if (raw <= VOD_TS_SAES_VIDEO_LEAD + VOD_TS_SAES_BLOCK) {
        memcpy(out, in, len);
        return len;
    }

    if (vod_ts_saes_cbc(saes, tmp, raw, VOD_TS_SAES_VIDEO_LEAD,
                        VOD_TS_SAES_VIDEO_SKIP)
        != VOD_OK)
    {
        return 0;
    }

    return vod_ts_saes_escape(tmp, raw, out);
}


int
vod_ts_saes_aac(const vod_ts_saes_t *saes, u_char *frame, size_t len)
{
    if (len < VOD_TS_SAES_AUDIO_LEAD + VOD_TS_SAES_BLOCK) {
        return VOD_OK;
    }

    return vod_ts_saes_cbc(saes, frame, len, VOD_TS_SAES_AUDIO_LEAD, 0);
}


int
vod_ts_saes_dolby(const vod_ts_saes_t *saes, u_char *sample, size_t len)
{
    u_char  *p;
    size_t   left, frame;

    p = sample;
    left = len;

    while (left > 0) {
        frame = left;

        if (left >= VOD_TS_SAES_EAC3_HEADER && p[0] == 0x0b && p[1] == 0x77
            && (p[5] >> 3) >= VOD_TS_SAES_EAC3_BSID)
        {
            frame = ((((size_t) p[2] & 0x07) << 8 | p[3]) + 1) * 2;

            if (frame > left) {
                frame = left;
            }
        }

        if (vod_ts_saes_aac(saes, p, frame) != VOD_OK) {
            return VOD_ERROR;
        }

        p += frame;
        left -= frame;
    }

    return VOD_OK;
}


/*
 * AES-128-CBC in place over a protected block from lead on: a block
 * encrypted, then skip blocks clear, while more than 16 bytes remain for
 * video (skip > 0, Apple's "bytes_remaining() > 16") or while a whole
 * block remains for audio.  One chain from the IV: the clear blocks are
 * not part of it.
 */
static int
vod_ts_saes_cbc(const vod_ts_saes_t *saes, u_char *p, size_t len,
    size_t lead, size_t skip)
{
    int              n, rc;
    size_t           pos;
    EVP_CIPHER_CTX  *ctx;

    ctx = EVP_CIPHER_CTX_new();
    if (ctx == NULL) {
        return VOD_ERROR;
    }

    rc = VOD_ERROR;

    if (!EVP_EncryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, saes->key,
                            saes->iv)
        || !EVP_CIPHER_CTX_set_padding(ctx, 0))
    {
        goto done;
    }

    for (pos = lead; pos < len; /* void */) {
        if (skip > 0 ? len - pos <= VOD_TS_SAES_BLOCK
                     : len - pos < VOD_TS_SAES_BLOCK)
        {
            break;
        }

        if (!EVP_EncryptUpdate(ctx, p + pos, &n, p + pos,
                               VOD_TS_SAES_BLOCK)
            || n != VOD_TS_SAES_BLOCK)
        {
            goto done;
        }

        pos += VOD_TS_SAES_BLOCK * (1 + skip);
    }

    rc = VOD_OK;

done:

    EVP_CIPHER_CTX_free(ctx);

    return rc;
}


/* the reverse: a 0x03 before any byte of 0 to 3 that follows two zeros,
 * and after two trailing zeros (the next start code would follow them).
 * Not after one: a reader keeps a 0x03 after a single zero, so the unit
 * would grow a byte; a unit ending in one zero (only a malformed one
 * does: its last byte is clear) goes out as its clear copy would */
static size_t
vod_ts_saes_escape(const u_char *in, size_t len, u_char *out)
{
    size_t    i, o;
    uint32_t  zeros;

    zeros = 0;
    o = 0;

    for (i = 0; i < len; i++) {
        if (zeros >= 2 && in[i] <= 0x03) {
            out[o++] = 0x03;
            zeros = 0;
        }

        zeros = (in[i] == 0) ? zeros + 1 : 0;
        out[o++] = in[i];
    }

    if (zeros >= 2) {
        out[o++] = 0x03;
    }

    return o;
}
