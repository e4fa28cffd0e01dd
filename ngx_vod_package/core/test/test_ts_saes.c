/*
 * test_ts_saes.c: HLS SAMPLE-AES of NAL units and of AAC, AC-3 and
 * E-AC-3 frames (vod_ts_saes.c).  The module's output is undone by this
 * file's own reading of Apple's format: emulation prevention removed,
 * then AES-128 (OpenSSL EVP, one block at a time, the CBC chain kept
 * here) over the blocks the format names, and compared with the input;
 * the clear bytes and the encrypted blocks' positions are checked one by
 * one.
 */

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <setjmp.h>
#include <cmocka.h>
#include <openssl/evp.h>

#include "vod_ts_saes.h"


#define TEST_NAL_MAX  4096


static const vod_ts_saes_t  test_saes = {
    { 0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
      0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c },
    { 0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
      0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f }
};


/* 14496-10 7.4.1, as a reader does it */
static size_t
test_unescape(const u_char *in, size_t len, u_char *out)
{
    size_t  i, o, zeros;

    for (i = 0, o = 0, zeros = 0; i < len; i++) {
        if (zeros >= 2 && in[i] == 3) {
            zeros = 0;
            continue;
        }

        zeros = (in[i] == 0) ? zeros + 1 : 0;
        out[o++] = in[i];
    }

    return o;
}


/* one block decrypted and chained: out = D(in) ^ chain, chain = in */
static void
test_cbc_block(const u_char *key, u_char *chain, u_char *p)
{
    int              n;
    u_char           in[16], plain[32];
    size_t           i;
    EVP_CIPHER_CTX  *ctx;

    memcpy(in, p, 16);

    ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);
    assert_int_equal(EVP_DecryptInit_ex(ctx, EVP_aes_128_ecb(), NULL, key,
                                        NULL), 1);
    EVP_CIPHER_CTX_set_padding(ctx, 0);
    assert_int_equal(EVP_DecryptUpdate(ctx, plain, &n, in, 16), 1);
    assert_int_equal(n, 16);
    EVP_CIPHER_CTX_free(ctx);

    for (i = 0; i < 16; i++) {
        p[i] = plain[i] ^ chain[i];
    }

    memcpy(chain, in, 16);
}


/* Apple's Listing 2-1 read back: 32 clear, then while more than 16
 * bytes remain one block encrypted, up to 144 clear; sets which bytes
 * were encrypted in enc[] */
static void
test_decrypt_nal(const vod_ts_saes_t *saes, u_char *p, size_t len,
    u_char *enc)
{
    u_char  chain[16];
    size_t  pos, n;

    memcpy(chain, saes->iv, 16);
    memset(enc, 0, len);

    for (pos = 32; pos < len; /* void */) {
        if (len - pos > 16) {
            test_cbc_block(saes->key, chain, p + pos);
            memset(enc + pos, 1, 16);
            pos += 16;
        }

        n = (len - pos < 144) ? len - pos : 144;
        pos += n;
    }
}


static void
test_fill(u_char *p, size_t len, uint32_t seed)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        p[i] = (u_char) (0x10 | ((seed >> 16) & 0xef));
    }
}


/* a slice of 48 bytes or fewer and NAL units of other types are copied */
static void
test_clear_units(void **state)
{
    u_char  in[600], out[vod_ts_saes_nal_bound(600)], tmp[600];
    size_t  n;

    (void) state;

    test_fill(in, sizeof(in), 1);

    in[0] = 0x65;
    n = vod_ts_saes_nal(&test_saes, in, 48, out, tmp);
    assert_int_equal(n, 48);
    assert_memory_equal(out, in, 48);

    in[0] = 0x06;                             /* SEI */
    n = vod_ts_saes_nal(&test_saes, in, sizeof(in), out, tmp);
    assert_int_equal(n, sizeof(in));
    assert_memory_equal(out, in, sizeof(in));

    in[0] = 0x67;                             /* SPS */
    n = vod_ts_saes_nal(&test_saes, in, sizeof(in), out, tmp);
    assert_int_equal(n, sizeof(in));
    assert_memory_equal(out, in, sizeof(in));

    /* 49 bytes: 17 after the 32, one block encrypted, one byte clear */
    in[0] = 0x41;
    n = vod_ts_saes_nal(&test_saes, in, 49, out, tmp);
    assert_true(n >= 49);
    assert_memory_equal(out, in, 32);
    assert_memory_not_equal(out + 32, in + 32, 16);
}


/* the pattern: which blocks change, and the whole unit read back */
static void
test_pattern(void **state)
{
    u_char   in[TEST_NAL_MAX], out[vod_ts_saes_nal_bound(TEST_NAL_MAX)];
    u_char   tmp[TEST_NAL_MAX], raw[sizeof(out)], enc[sizeof(out)];
    size_t   n, len, i, k;
    uint32_t sizes[] = { 49, 64, 65, 208, 209, 224, 225, 1000, 4096 };

    (void) state;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        len = sizes[k];
        test_fill(in, len, (uint32_t) k + 7);
        in[0] = (k & 1) ? 0x65 : 0x41;

        n = vod_ts_saes_nal(&test_saes, in, len, out, tmp);
        assert_true(n >= len && n <= vod_ts_saes_nal_bound(len));

        /* no start code emulated */
        for (i = 0; i + 2 < n; i++) {
            assert_false(out[i] == 0 && out[i + 1] == 0 && out[i + 2] <= 2);
        }

        n = test_unescape(out, n, raw);
        assert_int_equal(n, len);

        for (i = 0; i < len; i++) {
            /* encrypted: the 16 bytes at 32 + 160 j, while more than 16
             * bytes are left from there */
            if (i >= 32 && (i - 32) % 160 < 16
                && len - (32 + (i - 32) / 160 * 160) > 16)
            {
                continue;
            }

            assert_int_equal(raw[i], in[i]);
        }

        /* every encrypted block differs from the clear one */
        for (i = 32; i + 16 < len; i += 160) {
            assert_memory_not_equal(raw + i, in + i, 16);
        }

        test_decrypt_nal(&test_saes, raw, len, enc);
        assert_memory_equal(raw, in, len);
    }
}


/*
 * Emulation prevention: the input's (a 00 00 03 01 in a clear block)
 * comes out where it was, the cipher runs on the unit without it, and a
 * decryptor that removes it first reads the input back.
 */
static void
test_emulation(void **state)
{
    u_char  in[400], out[vod_ts_saes_nal_bound(400)], tmp[400];
    u_char  raw[sizeof(out)], want[400], enc[sizeof(out)];
    size_t  n, wlen;

    (void) state;

    test_fill(in, sizeof(in), 99);
    in[0] = 0x65;
    memcpy(in + 10, "\x00\x00\x03\x01", 4);    /* in the clear lead */
    memcpy(in + 80, "\x00\x00\x03\x00", 4);    /* a clear block */
    memcpy(in + 200, "\x00\x00\x03\x02", 4);   /* the second encrypted */

    wlen = test_unescape(in, sizeof(in), want);
    assert_int_equal(wlen, sizeof(in) - 3);

    n = vod_ts_saes_nal(&test_saes, in, sizeof(in), out, tmp);

    /* the lead as it was, escaped */
    assert_memory_equal(out, in, 32);

    /* the clear blocks' escape is there again, where it was: the lead's
     * is too, and the pattern counts bytes without it (the first block
     * encrypted is the input's 33 to 48) */
    assert_memory_equal(out + 80, "\x00\x00\x03\x00", 4);
    assert_memory_equal(out + 49, in + 49, 144);

    n = test_unescape(out, n, raw);
    assert_int_equal(n, wlen);

    test_decrypt_nal(&test_saes, raw, n, enc);
    assert_memory_equal(raw, want, wlen);
}


/*
 * A slice ending in zeros (malformed: its last byte is the stop bit's):
 * after two a 0x03, as before the next start code; after one nothing,
 * since a reader would keep a 0x03 there and the unit would grow.  Both
 * read back to the input.
 */
static void
test_trailing_zeros(void **state)
{
    u_char  in[100], out[vod_ts_saes_nal_bound(100)], tmp[100];
    u_char  raw[sizeof(out)], enc[sizeof(out)];
    size_t  n, k;

    (void) state;

    for (k = 1; k <= 2; k++) {
        test_fill(in, sizeof(in), (uint32_t) k + 120);
        in[0] = 0x41;
        in[97] = 0xab;
        in[98] = (k == 2) ? 0 : 0xcd;
        in[99] = 0;

        n = vod_ts_saes_nal(&test_saes, in, sizeof(in), out, tmp);
        assert_int_equal(n, sizeof(in) + k - 1);
        assert_memory_equal(out + sizeof(in) - 2,
                            k == 2 ? "\x00\x00\x03" : "\xcd\x00", k + 1);

        n = test_unescape(out, n, raw);
        assert_int_equal(n, sizeof(in));
        test_decrypt_nal(&test_saes, raw, n, enc);
        assert_memory_equal(raw, in, sizeof(in));
    }
}


/* AAC: 16 clear, whole blocks encrypted in one chain, the rest clear */
static void
test_aac(void **state)
{
    u_char    in[200], frame[200], chain[16];
    size_t    i, k, len;
    uint32_t  sizes[] = { 0, 15, 31, 32, 33, 50, 200 };

    (void) state;

    for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
        len = sizes[k];
        test_fill(in, len, (uint32_t) k + 40);
        memcpy(frame, in, len);

        assert_int_equal(vod_ts_saes_aac(&test_saes, frame, len), VOD_OK);

        assert_memory_equal(frame, in, len < 16 ? len : 16);

        for (i = (len >= 16) ? 16 + (len - 16) / 16 * 16 : len;
             i < len; i++)
        {
            assert_int_equal(frame[i], in[i]);
        }

        memcpy(chain, test_saes.iv, 16);

        for (i = 16; len >= 32 && i + 16 <= len; i += 16) {
            assert_memory_not_equal(frame + i, in + i, 16);
            test_cbc_block(test_saes.key, chain, frame + i);
        }

        assert_memory_equal(frame, in, len);
    }
}


/* one audio protected block read back as a client does: its first 16
 * bytes clear, every whole block after them encrypted, one chain from
 * the IV; the blocks checked to differ from the clear ones first */
static void
test_decrypt_audio(u_char *p, const u_char *clear, size_t len)
{
    size_t  i;
    u_char  chain[16];

    memcpy(chain, test_saes.iv, 16);

    for (i = 16; len >= 32 && i + 16 <= len; i += 16) {
        assert_memory_not_equal(p + i, clear + i, 16);
        test_cbc_block(test_saes.key, chain, p + i);
    }
}


/* an E-AC-3 syncframe header of len bytes (ATSC A/52 E.1.2.1): sync
 * word, strmtyp 0, substreamid 0, frmsiz, fscod 48 kHz, bsid 16 */
static void
test_eac3_header(u_char *p, size_t len)
{
    p[0] = 0x0b;
    p[1] = 0x77;
    p[2] = (u_char) (((len / 2 - 1) >> 8) & 0x07);
    p[3] = (u_char) ((len / 2 - 1) & 0xff);
    p[4] = 0x3f;
    p[5] = 16 << 3;
}


/*
 * AC-3 and E-AC-3 (Apple's format, 2.3): each syncframe a protected
 * block.  An E-AC-3 sample of syncframes of 100, 40 and 24 bytes (the
 * last too short for a block after its 16 clear ones), then 37 bytes
 * without a sync word (one block to the end); an E-AC-3 syncframe whose
 * frmsiz runs past the sample (one block to the end); an AC-3 sample
 * (bsid 8), one syncframe however many sync words its data holds.
 */
static void
test_dolby(void **state)
{
    u_char   in[201], frame[201];
    size_t   i, k, len, at;
    size_t   cuts[3][6] = { { 100, 40, 24, 37, 0 }, { 60, 0 }, { 150, 0 } };
    size_t   lens[3] = { 201, 60, 150 };

    (void) state;

    for (k = 0; k < 3; k++) {
        len = lens[k];
        test_fill(in, len, (uint32_t) k + 70);

        for (i = 0, at = 0; cuts[k][i] != 0; at += cuts[k][i++]) {
            if (k == 0 && i < 3) {
                test_eac3_header(in + at, cuts[k][i]);
            }
        }

        if (k == 1) {
            test_eac3_header(in, 400);     /* frmsiz past the sample */
        }

        if (k == 2) {
            memcpy(in, "\x0b\x77\x00\x00\x14\x40", 6);
            memcpy(in + 50, "\x0b\x77\x00\x10\x00\x80", 6);
        }

        memcpy(frame, in, len);
        assert_int_equal(vod_ts_saes_dolby(&test_saes, frame, len), VOD_OK);

        for (i = 0, at = 0; cuts[k][i] != 0; at += cuts[k][i++]) {
            assert_memory_equal(frame + at, in + at, 16);
            test_decrypt_audio(frame + at, in + at, cuts[k][i]);
        }

        assert_int_equal(at, len);
        assert_memory_equal(frame, in, len);
    }

    /* nothing at all */
    assert_int_equal(vod_ts_saes_dolby(&test_saes, frame, 0), VOD_OK);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_clear_units),
        cmocka_unit_test(test_pattern),
        cmocka_unit_test(test_emulation),
        cmocka_unit_test(test_trailing_zeros),
        cmocka_unit_test(test_aac),
        cmocka_unit_test(test_dolby),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
