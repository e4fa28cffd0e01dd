/*
 * fuzz_saes.c: libFuzzer target of the HLS SAMPLE-AES writers
 * (vod_ts_saes.c).  The first input byte picks the writer: an H.264 NAL
 * unit, an AAC frame, or an AC-3 / E-AC-3 sample; the rest is the unit.
 * Oracles: the output stays within its bound (ASan: the buffers are
 * exactly that long); a NAL unit other than a slice, and a slice of 48
 * bytes or less once unescaped, come out unchanged; an encrypted slice
 * emulates no start code and, read back as a client reads it (emulation
 * prevention removed, the pattern's blocks decrypted in one CBC pass
 * over them, OpenSSL), is the input without its emulation prevention;
 * an audio frame keeps its length, its first 16 bytes and its tail, and
 * decrypts back to the input, syncframe by syncframe.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>

#include "vod_ts_saes.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static size_t fuzz_saes_unescape(const u_char *in, size_t len, u_char *out);
static void fuzz_saes_decrypt(u_char *p, size_t len, size_t first,
    size_t step, int video);
static void fuzz_saes_audio(const u_char *in, size_t len, int dolby);
static void fuzz_saes_video(const u_char *in, size_t len);


static const vod_ts_saes_t  fuzz_saes = {
    { 0x00, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77,
      0x88, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff },
    { 0x0f, 0x0e, 0x0d, 0x0c, 0x0b, 0x0a, 0x09, 0x08,
      0x07, 0x06, 0x05, 0x04, 0x03, 0x02, 0x01, 0x00 }
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) {
        return 0;
    }

    switch (data[0] % 3) {

    case 0:
        fuzz_saes_video(data + 1, size - 1);
        break;

    case 1:
        fuzz_saes_audio(data + 1, size - 1, 0);
        break;

    default:
        fuzz_saes_audio(data + 1, size - 1, 1);
    }

    return 0;
}


static void
fuzz_saes_video(const u_char *in, size_t len)
{
    size_t   n, raw, i;
    u_char  *out, *tmp, *want, *got;

    out = malloc(vod_ts_saes_nal_bound(len));
    tmp = malloc(len + 1);
    want = malloc(len + 1);
    got = malloc(vod_ts_saes_nal_bound(len));

    if (out == NULL || tmp == NULL || want == NULL || got == NULL) {
        __builtin_trap();
    }

    n = vod_ts_saes_nal(&fuzz_saes, in, len, out, tmp);

    if (n > vod_ts_saes_nal_bound(len) || (n == 0 && len > 0)) {
        __builtin_trap();
    }

    raw = fuzz_saes_unescape(in, len, want);

    if (len == 0 || ((in[0] & 0x1f) != 1 && (in[0] & 0x1f) != 5)
        || raw <= 48)
    {
        /* copied as it is */
        if (n != len || memcmp(out, in, len) != 0) {
            __builtin_trap();
        }

        goto done;
    }

    /* no start code emulated: 00 00 then 00, 01 or 02 */
    for (i = 0; i + 2 < n; i++) {
        if (out[i] == 0 && out[i + 1] == 0 && out[i + 2] <= 2) {
            __builtin_trap();
        }
    }

    if (fuzz_saes_unescape(out, n, got) != raw) {
        __builtin_trap();
    }

    fuzz_saes_decrypt(got, raw, 32, 160, 1);

    if (memcmp(got, want, raw) != 0) {
        __builtin_trap();
    }

done:

    free(out);
    free(tmp);
    free(want);
    free(got);
}


static void
fuzz_saes_audio(const u_char *in, size_t len, int dolby)
{
    size_t   at, frame;
    u_char  *buf;

    buf = malloc(len + 1);
    if (buf == NULL) {
        __builtin_trap();
    }

    memcpy(buf, in, len);

    if ((dolby ? vod_ts_saes_dolby(&fuzz_saes, buf, len)
               : vod_ts_saes_aac(&fuzz_saes, buf, len))
        != VOD_OK)
    {
        __builtin_trap();
    }

    /* the syncframes as a reader finds them: an E-AC-3 header (bsid 11
     * to 16) sizes one by frmsiz, anything else runs to the end */
    for (at = 0; at < len; at += frame) {
        frame = len - at;

        if (dolby && frame >= 6 && buf[at] == 0x0b && buf[at + 1] == 0x77
            && buf[at + 5] >= (11 << 3))
        {
            frame = (((buf[at + 2] & 7) << 8) + buf[at + 3] + 1) * 2;
            frame = (frame < len - at) ? frame : len - at;
        }

        if (memcmp(buf + at, in + at, frame < 16 ? frame : 16) != 0) {
            __builtin_trap();
        }

        fuzz_saes_decrypt(buf + at, frame, 16, 16, 0);
    }

    if (memcmp(buf, in, len) != 0) {
        __builtin_trap();
    }

    free(buf);
}


/*
 * The encrypted blocks of one protected block, from first on every step
 * bytes: while more than 16 bytes remain (video) or a whole block does
 * (audio).  Gathered, decrypted in one AES-128-CBC pass from the IV (the
 * chain runs over the encrypted blocks only), put back.
 */
static void
fuzz_saes_decrypt(u_char *p, size_t len, size_t first, size_t step,
    int video)
{
    int              n;
    size_t           pos, k, count;
    u_char          *blocks;
    EVP_CIPHER_CTX  *ctx;

    count = 0;

    for (pos = first; pos < len; pos += step) {
        if (video ? len - pos <= 16 : len - pos < 16) {
            break;
        }

        count++;
    }

    if (count == 0) {
        return;
    }

    blocks = malloc(count * 16);
    if (blocks == NULL) {
        __builtin_trap();
    }

    for (k = 0; k < count; k++) {
        memcpy(blocks + k * 16, p + first + k * step, 16);
    }

    ctx = EVP_CIPHER_CTX_new();

    if (ctx == NULL
        || !EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, fuzz_saes.key,
                               fuzz_saes.iv)
        || !EVP_CIPHER_CTX_set_padding(ctx, 0)
        || !EVP_DecryptUpdate(ctx, blocks, &n, blocks, (int) (count * 16))
        || (size_t) n != count * 16)
    {
        __builtin_trap();
    }

    EVP_CIPHER_CTX_free(ctx);

    for (k = 0; k < count; k++) {
        memcpy(p + first + k * step, blocks + k * 16, 16);
    }

    free(blocks);
}


/* 14496-10 7.4.1: the 03 after two zeros dropped (the checker's own,
 * not vod_ts_saes.c's: a check must not share the code it checks) */
static size_t
fuzz_saes_unescape(const u_char *in, size_t len, u_char *out)
{
    size_t  i, o, zeros;

    for (i = 0, o = 0, zeros = 0; i < len; i++) {
        if (zeros >= 2 && in[i] == 0x03) {
            zeros = 0;
            continue;
        }

        zeros = (in[i] == 0) ? zeros + 1 : 0;
        out[o++] = in[i];
    }

    return o;
}
