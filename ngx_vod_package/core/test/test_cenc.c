/*
 * test_cenc.c: Common Encryption (vod_cenc.c, vod_cenc_box.c).  Synthetic
 * AVC, HEVC and AAC samples are encrypted by the module, then decrypted
 * by this file's own decryptor (OpenSSL EVP called here, driven only by
 * the senc and tenc boxes the module wrote) and compared with the clear
 * input; a wrong key must make that comparison fail.  The boxes are
 * parsed back, and a micro benchmark prints MB/s against memcpy.
 */

#define _GNU_SOURCE

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <setjmp.h>
#include <cmocka.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vod_cenc.h"
#include "vod_media.h"
#include "vod_fmp4.h"
#include "vod_protect.h"


#define TEST_MAX_ALLOCS   64
#define TEST_MAX_SAMPLES  16
#define TEST_MAX_SUBS     64


typedef struct {
    void          *blocks[TEST_MAX_ALLOCS];
    uint32_t       nblocks;
    uint32_t       log_lines;
} test_env_ctx_t;


/* what the test reads back from senc and tenc */
typedef struct {
    uint32_t       count;
    uint32_t       iv_size;
    u_char         iv[TEST_MAX_SAMPLES][16];
    uint32_t       nsubs[TEST_MAX_SAMPLES];
    uint32_t       clear[TEST_MAX_SAMPLES][TEST_MAX_SUBS];
    uint32_t       prot[TEST_MAX_SAMPLES][TEST_MAX_SUBS];
    uint32_t       info_size[TEST_MAX_SAMPLES];
} test_senc_t;


typedef struct {
    uint32_t       scheme;
    uint32_t       version;
    uint32_t       crypt;
    uint32_t       skip;
    uint32_t       iv_size;
    u_char         kid[16];
    u_char         constant_iv[16];
} test_tenc_t;


/* one synthetic NAL unit: its type byte and its size after the length */
typedef struct {
    u_char         header;
    size_t         size;
} test_nal_t;


static void *test_alloc(vod_env_t *env, size_t size);
static void test_log(vod_env_t *env, const char *fmt, ...);
static void test_env(vod_env_t *env, test_env_ctx_t *ctx);
static void test_env_free(test_env_ctx_t *ctx, uint32_t keep);
static void test_fill(u_char *p, size_t len, uint32_t seed);
static size_t test_build(u_char *buf, uint32_t nls, const test_nal_t *nal,
    uint32_t n, uint32_t seed);
static void test_parse_senc(const u_char *p, size_t len, test_senc_t *s);
static void test_parse_saiz(const u_char *p, size_t len, test_senc_t *s);
static const u_char *test_find_child(const u_char *p, size_t len,
    const char *type, size_t *child_len);
static const u_char *test_child(const u_char *p, size_t len,
    const char *type, size_t *child_len);
static void test_parse_tenc(const u_char *entry, size_t len,
    size_t orig_len, const char *format, test_tenc_t *t);
static void test_decrypt(uint32_t scheme, const u_char *key,
    const test_tenc_t *tenc, const test_senc_t *senc, uint32_t i,
    u_char *data, size_t len, int whole);
static void test_conf(vod_cenc_conf_t *conf, uint32_t scheme,
    uint32_t layout, uint32_t nls);
static void test_round_trip(uint32_t scheme, uint32_t layout, uint32_t nls,
    const test_nal_t **samples, const uint32_t *nals, uint32_t count);
static void test_avc(void **state);
static void test_hevc(void **state);
static void test_aac(void **state);
static void test_clear_split(void **state);
static void test_bad_samples(void **state);
static void test_pssh(void **state);
static void test_pssh_data(void **state);
static void test_derive(void **state);
static void test_bench(void **state);
static ssize_t test_file_read(vod_env_t *env, u_char *buf, size_t size,
    off_t offset);
static const u_char *test_path(const u_char *p, size_t len,
    const char **path, size_t *out_len);
static void test_protected(uint32_t scheme, uint32_t index, uint64_t stream,
    u_char iv[][16]);
static void test_protected_alone(vod_env_t *env, const vod_segment_t *seg,
    const vod_protect_t *prot, uint64_t stream, const test_senc_t *whole,
    const u_char *data);
static void test_sample_alone(const vod_segment_t *seg, uint32_t i,
    vod_segment_t *one);
static void test_one_sample(vod_env_t *env, const vod_segment_t *seg,
    vod_protect_t *prot, uint64_t stream);
static void test_protect(void **state);
static void test_clear_lead(void **state);


static const u_char  test_key[16] = {
    0x2b, 0x7e, 0x15, 0x16, 0x28, 0xae, 0xd2, 0xa6,
    0xab, 0xf7, 0x15, 0x88, 0x09, 0xcf, 0x4f, 0x3c
};

static const u_char  test_kid[16] = {
    0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
    0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f
};

static const u_char  test_iv[16] = {
    0xf0, 0xf1, 0xf2, 0xf3, 0xf4, 0xf5, 0xf6, 0xff,
    0xf8, 0xf9, 0xfa, 0xfb, 0xfc, 0xfd, 0xfe, 0xff
};

/* an avc1 sample entry: 78 bytes of VisualSampleEntry and an avcC */
static u_char  test_avc1[8 + 78 + 15] = {
    0, 0, 0, 8 + 78 + 15, 'a', 'v', 'c', '1'
};


static void *
test_alloc(vod_env_t *env, size_t size)
{
    void            *p;
    test_env_ctx_t  *ctx;

    ctx = env->data;

    if (ctx->nblocks == TEST_MAX_ALLOCS) {
        return NULL;
    }

    p = malloc(size);
    if (p != NULL) {
        ctx->blocks[ctx->nblocks++] = p;
    }

    return p;
}


static void
test_log(vod_env_t *env, const char *fmt, ...)
{
    test_env_ctx_t  *ctx;

    ctx = env->data;
    ctx->log_lines++;
}


static void
test_env(vod_env_t *env, test_env_ctx_t *ctx)
{
    memset(ctx, 0, sizeof(test_env_ctx_t));
    memset(env, 0, sizeof(vod_env_t));
    env->alloc = test_alloc;
    env->log = test_log;
    env->data = ctx;
}


static void
test_env_free(test_env_ctx_t *ctx, uint32_t keep)
{
    while (ctx->nblocks > keep) {
        free(ctx->blocks[--ctx->nblocks]);
    }
}


static void
test_fill(u_char *p, size_t len, uint32_t seed)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        seed = seed * 1103515245 + 12345;
        p[i] = (u_char) (seed >> 16);
    }
}


/* length-prefixed NAL units: header byte(s) then pseudo-random bytes */
static size_t
test_build(u_char *buf, uint32_t nls, const test_nal_t *nal, uint32_t n,
    uint32_t seed)
{
    size_t    i, j;
    u_char   *p;

    p = buf;

    for (i = 0; i < n; i++) {
        for (j = 0; j < nls; j++) {
            p[j] = (u_char) (nal[i].size >> (8 * (nls - 1 - j)));
        }

        p += nls;
        test_fill(p, nal[i].size, seed + (uint32_t) i);
        p[0] = nal[i].header;
        p += nal[i].size;
    }

    return p - buf;
}


static void
test_parse_senc(const u_char *p, size_t len, test_senc_t *s)
{
    uint32_t       flags, i, j;
    const u_char  *end;

    end = p + len;

    assert_true(len >= 16);
    assert_int_equal(vod_r32(p), len);
    assert_memory_equal(p + 4, "senc", 4);
    flags = vod_r24(p + 9);
    s->count = vod_r32(p + 12);
    assert_true(s->count <= TEST_MAX_SAMPLES);
    p += 16;

    for (i = 0; i < s->count; i++) {
        assert_true((size_t) (end - p) >= s->iv_size);
        memset(s->iv[i], 0, 16);
        memcpy(s->iv[i], p, s->iv_size);
        p += s->iv_size;
        s->nsubs[i] = 0;
        s->info_size[i] = s->iv_size;

        if (!(flags & 2)) {
            continue;
        }

        assert_true(end - p >= 2);
        s->nsubs[i] = vod_r16(p);
        p += 2;
        assert_true(s->nsubs[i] <= TEST_MAX_SUBS);
        assert_true((size_t) (end - p) >= 6 * (size_t) s->nsubs[i]);
        s->info_size[i] += 2 + 6 * s->nsubs[i];

        for (j = 0; j < s->nsubs[i]; j++) {
            s->clear[i][j] = vod_r16(p);
            s->prot[i][j] = vod_r32(p + 2);
            p += 6;
        }
    }

    assert_ptr_equal(p, end);
}


/* saiz's sizes must be the sizes of senc's entries */
static void
test_parse_saiz(const u_char *p, size_t len, test_senc_t *s)
{
    uint32_t  i, def;

    assert_int_equal(vod_r32(p), len);
    assert_memory_equal(p + 4, "saiz", 4);
    assert_int_equal(vod_r24(p + 9), 0);
    def = p[12];
    assert_int_equal(vod_r32(p + 13), s->count);

    if (def != 0) {
        assert_int_equal(len, 17);

        for (i = 0; i < s->count; i++) {
            assert_int_equal(s->info_size[i], def);
        }

        return;
    }

    assert_int_equal(len, 17 + s->count);

    for (i = 0; i < s->count; i++) {
        assert_int_equal(p[17 + i], s->info_size[i]);
    }
}


static const u_char *
test_find_child(const u_char *p, size_t len, const char *type,
    size_t *child_len)
{
    size_t  size;

    while (len >= 8) {
        size = vod_r32(p);
        assert_true(size >= 8 && size <= len);

        if (memcmp(p + 4, type, 4) == 0) {
            *child_len = size;
            return p;
        }

        p += size;
        len -= size;
    }

    return NULL;
}


static const u_char *
test_child(const u_char *p, size_t len, const char *type, size_t *child_len)
{
    const u_char  *box;

    box = test_find_child(p, len, type, child_len);
    if (box == NULL) {
        fail_msg("no %s box", type);
    }

    return box;
}


/* sinf is the last child of the protected sample entry */
static void
test_parse_tenc(const u_char *entry, size_t len, size_t orig_len,
    const char *format, test_tenc_t *t)
{
    size_t         n, sinf_len, schi_len;
    const u_char  *sinf, *p;

    assert_int_equal(vod_r32(entry), len);

    /* the original entry's bytes, then sinf */
    sinf = test_child(entry + orig_len, len - orig_len, "sinf", &sinf_len);
    assert_ptr_equal(sinf, entry + orig_len);
    assert_ptr_equal(sinf + sinf_len, entry + len);

    p = test_child(sinf + 8, sinf_len - 8, "frma", &n);
    assert_int_equal(n, 12);
    assert_memory_equal(p + 8, format, 4);

    p = test_child(sinf + 8, sinf_len - 8, "schm", &n);
    assert_int_equal(n, 20);
    t->scheme = vod_r32(p + 12);
    assert_int_equal(vod_r32(p + 16), 0x00010000);

    p = test_child(sinf + 8, sinf_len - 8, "schi", &schi_len);
    p = test_child(p + 8, schi_len - 8, "tenc", &n);

    t->version = p[8];
    t->crypt = p[13] >> 4;
    t->skip = p[13] & 0x0f;
    assert_int_equal(p[14], 1);
    t->iv_size = p[15];
    memcpy(t->kid, p + 16, 16);

    if (t->version == 1 && t->iv_size == 0) {
        assert_int_equal(p[32], 16);
        memcpy(t->constant_iv, p + 33, 16);
        assert_int_equal(n, 49);

    } else {
        assert_int_equal(n, 32);
    }
}


/* the independent decryptor: 23001-7 as this test reads it, with EVP */
static void
test_decrypt(uint32_t scheme, const u_char *key, const test_tenc_t *tenc,
    const test_senc_t *senc, uint32_t i, u_char *data, size_t len,
    int whole)
{
    int              n;
    size_t           off, k, blocks, b;
    uint32_t         j, nsubs, clear[TEST_MAX_SUBS], prot[TEST_MAX_SUBS];
    u_char           ctr[16];
    EVP_CIPHER_CTX  *ctx;

    ctx = EVP_CIPHER_CTX_new();
    assert_non_null(ctx);

    if (whole) {
        nsubs = 1;
        clear[0] = 0;
        prot[0] = (uint32_t) len;

    } else {
        nsubs = senc->nsubs[i];
        memcpy(clear, senc->clear[i], sizeof(clear));
        memcpy(prot, senc->prot[i], sizeof(prot));
    }

    off = 0;

    if (scheme == VOD_CENC_SCHEME_CENC) {
        assert_int_equal(tenc->iv_size, 8);
        memset(ctr, 0, 16);
        memcpy(ctr, senc->iv[i], 8);
        assert_true(EVP_DecryptInit_ex(ctx, EVP_aes_128_ctr(), NULL, key,
                                       ctr));

        for (j = 0; j < nsubs; j++) {
            off += clear[j];
            assert_true(off + prot[j] <= len);
            assert_true(EVP_DecryptUpdate(ctx, data + off, &n, data + off,
                                          (int) prot[j]));
            off += prot[j];
        }

    } else {
        for (j = 0; j < nsubs; j++) {
            off += clear[j];
            assert_true(off + prot[j] <= len);
            assert_true(EVP_DecryptInit_ex(ctx, EVP_aes_128_cbc(), NULL, key,
                                           tenc->constant_iv));
            EVP_CIPHER_CTX_set_padding(ctx, 0);

            blocks = prot[j] / 16;

            for (b = 0; b < blocks; b++) {
                k = tenc->crypt + tenc->skip;

                if (tenc->crypt != 0 && b % k >= tenc->crypt) {
                    continue;
                }

                assert_true(EVP_DecryptUpdate(ctx, data + off + 16 * b, &n,
                                              data + off + 16 * b, 16));
            }

            off += prot[j];
        }
    }

    if (!whole) {
        assert_int_equal(off, len);
    }

    EVP_CIPHER_CTX_free(ctx);
}


static void
test_conf(vod_cenc_conf_t *conf, uint32_t scheme, uint32_t layout,
    uint32_t nls)
{
    memset(conf, 0, sizeof(vod_cenc_conf_t));
    conf->scheme = scheme;
    conf->layout = layout;
    conf->nal_length_size = nls;
    memcpy(conf->key, test_key, 16);
    memcpy(conf->kid, test_kid, 16);
    memcpy(conf->iv, test_iv, 16);
}


static void
test_round_trip(uint32_t scheme, uint32_t layout, uint32_t nls,
    const test_nal_t **samples, const uint32_t *nals, uint32_t count)
{
    int               whole, differs, vcl;
    size_t            len[TEST_MAX_SAMPLES], off, senc_len, saiz_len, hdr;
    size_t            saio_len, entry_len, total;
    u_char           *clear[TEST_MAX_SAMPLES], *enc[TEST_MAX_SAMPLES];
    u_char           *box, *p, *saio_off, *entry, bad_key[16], h;
    uint32_t          i, j, k, n;
    vod_env_t         env;
    vod_cenc_t       *cenc;
    test_senc_t       senc;
    test_tenc_t       tenc;
    vod_cenc_aux_t    aux;
    vod_cenc_conf_t   conf;
    test_env_ctx_t    ctx;

    test_env(&env, &ctx);
    test_conf(&conf, scheme, layout, nls);
    whole = (layout == VOD_CENC_LAYOUT_WHOLE);

    cenc = vod_cenc_create(&env, &conf);
    assert_non_null(cenc);

    total = 0;

    for (i = 0; i < count; i++) {
        n = 0;

        for (j = 0; j < nals[i]; j++) {
            n += nls + samples[i][j].size;
        }

        clear[i] = malloc(n);
        enc[i] = malloc(n);
        assert_non_null(clear[i]);
        assert_non_null(enc[i]);

        if (whole) {
            len[i] = samples[i][0].size;
            test_fill(clear[i], len[i], 77 + i);

        } else {
            len[i] = test_build(clear[i], nls, samples[i], nals[i], 7 * i);
        }

        memcpy(enc[i], clear[i], len[i]);
        total += len[i];
    }

    assert_int_equal(vod_cenc_aux_init(cenc, &aux, count, total), VOD_OK);

    for (i = 0; i < count; i++) {
        assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, enc[i], len[i]),
                         VOD_OK);
    }

    assert_int_equal(ctx.log_lines, 0);

    /* the boxes: senc, saiz, saio in one buffer as in a traf */
    senc_len = vod_cenc_senc_size(&aux);
    saiz_len = vod_cenc_saiz_size(&aux);
    saio_len = vod_cenc_saio_size(&aux);

    memset(&senc, 0, sizeof(test_senc_t));
    senc.iv_size = (scheme == VOD_CENC_SCHEME_CENC) ? 8 : 0;

    if (scheme == VOD_CENC_SCHEME_CBCS && whole) {
        assert_int_equal(senc_len + saiz_len + saio_len, 0);

    } else {
        box = malloc(senc_len + saiz_len + saio_len);
        assert_non_null(box);

        p = vod_cenc_write_saiz(box, &aux);
        p = vod_cenc_write_saio(p, &aux, &saio_off);
        assert_non_null(saio_off);
        off = p - box;
        p = vod_cenc_write_senc(p, &aux);
        assert_int_equal(p - box, senc_len + saiz_len + saio_len);
        vod_cenc_saio_set(saio_off, off + 100);

        test_parse_senc(box + off, senc_len, &senc);
        test_parse_saiz(box, saiz_len, &senc);
        assert_memory_equal(box + saiz_len + 4, "saio", 4);
        assert_int_equal(vod_r32(box + saiz_len + 12), 1);
        assert_int_equal(vod_r32(saio_off), off + 100 + 16);
        assert_int_equal(senc.count, count);
        free(box);
    }

    /* the sample entry's tenc */
    memcpy(test_avc1 + 4, whole ? "mp4a" : "avc1", 4);
    assert_int_equal(vod_cenc_sample_entry(cenc, test_avc1, sizeof(test_avc1),
                                           &entry, &entry_len),
                     VOD_OK);
    assert_memory_equal(entry + 4, whole ? "enca" : "encv", 4);
    assert_memory_equal(entry + 8, test_avc1 + 8, sizeof(test_avc1) - 8);
    memset(&tenc, 0, sizeof(test_tenc_t));
    test_parse_tenc(entry, entry_len, sizeof(test_avc1),
                    whole ? "mp4a" : "avc1", &tenc);
    assert_memory_equal(tenc.kid, test_kid, 16);
    assert_int_equal(tenc.scheme, scheme);

    if (scheme == VOD_CENC_SCHEME_CBCS) {
        assert_int_equal(tenc.version, 1);
        assert_int_equal(tenc.iv_size, 0);
        assert_memory_equal(tenc.constant_iv, test_iv, 16);
        assert_int_equal(tenc.crypt, whole ? 0 : 1);
        assert_int_equal(tenc.skip, whole ? 0 : 9);

    } else {
        assert_int_equal(tenc.version, 0);
        assert_int_equal(tenc.iv_size, 8);
    }

    for (i = 0; i < count; i++) {
        differs = (memcmp(enc[i], clear[i], len[i]) != 0);

        /* the clear ranges of the map are the input's bytes, and the
         * cenc IVs count up from the configured one */
        if (!whole) {
            off = 0;

            for (k = 0; k < senc.nsubs[i]; k++) {
                assert_memory_equal(enc[i] + off, clear[i] + off,
                                    senc.clear[i][k]);
                off += senc.clear[i][k];

                if (senc.prot[i][k] >= 16) {
                    assert_memory_not_equal(enc[i] + off, clear[i] + off,
                                            16);
                }

                off += senc.prot[i][k];
            }
        }

        /* and, from the input's own NAL list: every length field and
         * NAL header is clear, every non-VCL NAL unit entirely; a VCL
         * NAL unit with a block after its header is changed */
        if (!whole) {
            off = 0;

            for (k = 0; k < nals[i]; k++) {
                hdr = (layout == VOD_CENC_LAYOUT_AVC) ? 1 : 2;
                h = samples[i][k].header;
                vcl = (layout == VOD_CENC_LAYOUT_AVC)
                      ? ((h & 0x1f) >= 1 && (h & 0x1f) <= 5)
                      : (((h >> 1) & 0x3f) < 32);
                n = samples[i][k].size;

                if (!vcl || n < hdr) {
                    hdr = n;
                }

                assert_memory_equal(enc[i] + off, clear[i] + off, nls + hdr);

                if (vcl && n >= hdr + 16) {
                    assert_memory_not_equal(enc[i] + off + nls + hdr,
                                            clear[i] + off + nls + hdr,
                                            n - hdr);
                }

                off += nls + n;
            }
        }

        if (scheme == VOD_CENC_SCHEME_CENC) {
            /* test_iv ends in ff: the second sample's carries */
            memcpy(bad_key, test_iv, 8);

            if (i > 0) {
                bad_key[6]++;
                bad_key[7] = (u_char) (i - 1);
            }

            assert_memory_equal(senc.iv[i], bad_key, 8);
        }

        if (whole && scheme == VOD_CENC_SCHEME_CBCS) {
            /* the trailing partial block stays clear */
            assert_memory_equal(enc[i] + len[i] - len[i] % 16,
                                clear[i] + len[i] - len[i] % 16,
                                len[i] % 16);
        }

        /* a wrong key gives other bytes */
        if (differs) {
            memcpy(bad_key, test_key, 16);
            bad_key[15] ^= 1;
            p = malloc(len[i]);
            assert_non_null(p);
            memcpy(p, enc[i], len[i]);
            test_decrypt(scheme, bad_key, &tenc, &senc, i, p, len[i], whole);
            assert_memory_not_equal(p, clear[i], len[i]);
            free(p);
        }

        test_decrypt(scheme, test_key, &tenc, &senc, i, enc[i], len[i],
                     whole);
        assert_memory_equal(enc[i], clear[i], len[i]);

        free(clear[i]);
        free(enc[i]);
    }

    vod_cenc_free(cenc);
    test_env_free(&ctx, 0);
}


static void
test_avc(void **state)
{
    /* SPS, PPS, SEI, an IDR slice over 65535 bytes, a non-IDR slice of
     * 17 bytes (one block), slices shorter than a block, sizes that are
     * not multiples of 16, a NAL header alone */
    static const test_nal_t  s0[] = {
        { 0x67, 27 }, { 0x68, 5 }, { 0x06, 40 }, { 0x65, 70001 },
        { 0x65, 1234 }
    };
    static const test_nal_t  s1[] = {
        { 0x09, 2 }, { 0x41, 17 }, { 0x41, 3 }, { 0x01, 999 }, { 0x41, 1 }
    };
    static const test_nal_t  s2[] = { { 0x41, 100000 } };
    static const test_nal_t  s3[] = { { 0x06, 15 }, { 0x0c, 64 } };

    static const test_nal_t  *samples[] = { s0, s1, s2, s3 };
    static const uint32_t     nals[] = { 5, 5, 1, 2 };

    test_round_trip(VOD_CENC_SCHEME_CENC, VOD_CENC_LAYOUT_AVC, 4, samples,
                    nals, 4);
    test_round_trip(VOD_CENC_SCHEME_CBCS, VOD_CENC_LAYOUT_AVC, 4, samples,
                    nals, 4);
}


static void
test_hevc(void **state)
{
    /* VPS, SPS, PPS, prefix SEI, IDR_W_RADL, TRAIL_R, a suffix SEI; the
     * second sample with a 2-byte NAL length */
    static const test_nal_t  s0[] = {
        { 0x40, 24 }, { 0x42, 45 }, { 0x44, 7 }, { 0x4e, 33 },
        { 0x26, 5000 }, { 0x02, 301 }, { 0x50, 20 }
    };
    static const test_nal_t  s1[] = { { 0x02, 60000 }, { 0x00, 19 } };

    static const test_nal_t  *samples[] = { s0, s1 };
    static const uint32_t     nals[] = { 7, 2 };

    test_round_trip(VOD_CENC_SCHEME_CENC, VOD_CENC_LAYOUT_HEVC, 4, samples,
                    nals, 1);
    test_round_trip(VOD_CENC_SCHEME_CBCS, VOD_CENC_LAYOUT_HEVC, 4, samples,
                    nals, 1);
    test_round_trip(VOD_CENC_SCHEME_CENC, VOD_CENC_LAYOUT_HEVC, 2, samples + 1,
                    nals + 1, 1);
    test_round_trip(VOD_CENC_SCHEME_CBCS, VOD_CENC_LAYOUT_HEVC, 2, samples + 1,
                    nals + 1, 1);
}


static void
test_aac(void **state)
{
    static const test_nal_t  s0[] = { { 0, 371 } };
    static const test_nal_t  s1[] = { { 0, 16 } };
    static const test_nal_t  s2[] = { { 0, 7 } };
    static const test_nal_t  s3[] = { { 0, 1537 } };

    static const test_nal_t  *samples[] = { s0, s1, s2, s3 };
    static const uint32_t     nals[] = { 1, 1, 1, 1 };

    test_round_trip(VOD_CENC_SCHEME_CENC, VOD_CENC_LAYOUT_WHOLE, 0, samples,
                    nals, 4);
    test_round_trip(VOD_CENC_SCHEME_CBCS, VOD_CENC_LAYOUT_WHOLE, 0, samples,
                    nals, 4);
}


/* a clear run over 65535 bytes (a big SEI before a slice) is split into
 * subsamples without protected bytes; an unprotectable sample is one
 * clear subsample */
static void
test_clear_split(void **state)
{
    size_t            len;
    u_char           *buf;
    vod_env_t         env;
    vod_cenc_t       *cenc;
    vod_cenc_aux_t    aux;
    vod_cenc_conf_t   conf;
    test_env_ctx_t    ctx;

    static const test_nal_t  s0[] = { { 0x06, 140000 }, { 0x41, 50 } };

    test_env(&env, &ctx);
    test_conf(&conf, VOD_CENC_SCHEME_CENC, VOD_CENC_LAYOUT_AVC, 4);
    cenc = vod_cenc_create(&env, &conf);
    assert_non_null(cenc);

    buf = malloc(200000);
    assert_non_null(buf);
    len = test_build(buf, 4, s0, 2, 1);

    assert_int_equal(vod_cenc_aux_init(cenc, &aux, 2, 200000), VOD_OK);
    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, buf, len), VOD_OK);

    /* 140004 + 4 + 1 + 50 % 16 clear, 48 protected */
    assert_int_equal(aux.nsubs, 3);
    assert_int_equal(aux.subs[0].clear, 65535);
    assert_int_equal(aux.subs[0].protected, 0);
    assert_int_equal(aux.subs[1].clear, 65535);
    assert_int_equal(aux.subs[1].protected, 0);
    assert_int_equal(aux.subs[2].clear, 140004 + 4 + 1 + 1 - 2 * 65535);
    assert_int_equal(aux.subs[2].protected, 48);

    len = test_build(buf, 4, s0 + 1, 1, 1);
    buf[4] = 0x06;
    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, buf, len), VOD_OK);
    assert_int_equal(aux.first[2] - aux.first[1], 1);
    assert_int_equal(aux.subs[3].clear, 54);
    assert_int_equal(aux.subs[3].protected, 0);

    free(buf);
    vod_cenc_free(cenc);
    test_env_free(&ctx, 0);
}


static void
test_bad_samples(void **state)
{
    u_char            buf[2000];
    uint32_t          i;
    vod_env_t         env;
    vod_cenc_t       *cenc;
    vod_cenc_aux_t    aux;
    vod_cenc_conf_t   conf;
    test_env_ctx_t    ctx;

    test_env(&env, &ctx);
    test_conf(&conf, VOD_CENC_SCHEME_CBCS, VOD_CENC_LAYOUT_AVC, 4);

    conf.nal_length_size = 3;
    assert_null(vod_cenc_create(&env, &conf));
    conf.nal_length_size = 4;
    conf.scheme = 0x63656e73;
    assert_null(vod_cenc_create(&env, &conf));
    conf.scheme = VOD_CENC_SCHEME_CBCS;
    assert_int_equal(ctx.log_lines, 2);

    cenc = vod_cenc_create(&env, &conf);
    assert_non_null(cenc);
    assert_int_equal(vod_cenc_aux_init(cenc, &aux, 2, sizeof(buf)), VOD_OK);

    /* a NAL length past the sample's end, then a truncated length */
    memcpy(buf, "\x00\x00\x00\x10\x65\x00", 6);
    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, buf, 6),
                     VOD_BAD_DATA);
    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, buf, 3),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 4);
    assert_int_equal(aux.count, 0);
    assert_int_equal(aux.nsubs, 0);

    /* 41 slices of 21 bytes need 41 subsamples: saiz cannot say so */
    for (i = 0; i < 41; i++) {
        memcpy(buf + 25 * i, "\x00\x00\x00\x15\x41", 5);
        memset(buf + 25 * i + 5, 0xaa, 20);
    }

    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, buf, 25 * 41),
                     VOD_UNSUPPORTED);
    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux, buf, 25 * 40),
                     VOD_OK);
    assert_int_equal(aux.count, 1);
    assert_int_equal(aux.nsubs, 40);

    vod_cenc_free(cenc);
    test_env_free(&ctx, 0);
}


static void
test_pssh(void **state)
{
    size_t          len;
    u_char          buf[256], kids[32], *p;
    uint32_t        i;
    const u_char   *sys[3];

    static const u_char  data[] = "system specific";

    sys[0] = vod_cenc_system_common;
    sys[1] = vod_cenc_system_widevine;
    sys[2] = vod_cenc_system_playready;

    /* the IDs as the registry writes them */
    assert_memory_equal(sys[0], "\x10\x77\xef\xec\xc0\xb2\x4d\x02"
                        "\xac\xe3\x3c\x1e\x52\xe2\xfb\x4b", 16);
    assert_memory_equal(sys[1], "\xed\xef\x8b\xa9\x79\xd6\x4a\xce"
                        "\xa3\xc8\x27\xdc\xd5\x1d\x21\xed", 16);
    assert_memory_equal(sys[2], "\x9a\x04\xf0\x79\x98\x40\x42\x86"
                        "\xab\x92\xe6\x5b\xe0\x88\x5f\x95", 16);

    memcpy(kids, test_kid, 16);
    memset(kids + 16, 0x42, 16);

    for (i = 0; i < 3; i++) {
        len = vod_cenc_pssh_size(2, i == 0 ? 0 : sizeof(data));
        assert_true(len <= sizeof(buf));
        p = vod_cenc_write_pssh(buf, sys[i], kids, 2, data,
                                i == 0 ? 0 : sizeof(data));
        assert_int_equal(p - buf, len);

        assert_int_equal(vod_r32(buf), len);
        assert_memory_equal(buf + 4, "pssh", 4);
        assert_int_equal(buf[8], 1);
        assert_memory_equal(buf + 12, sys[i], 16);
        assert_int_equal(vod_r32(buf + 28), 2);
        assert_memory_equal(buf + 32, kids, 32);
        assert_int_equal(vod_r32(buf + 64), i == 0 ? 0 : sizeof(data));

        if (i > 0) {
            assert_memory_equal(buf + 68, data, sizeof(data));
        }
    }
}


/* the documented derivation, recomputed here with HMAC() directly */
/* a key service's data: the boxes carry it, the manifests the boxes
 * (and the PRO), within vod_protect_sig_len(); without it, the built
 * ones */

static void
test_pssh_data(void **state)
{
    u_char          *box, *pro, *sig, *b64, *p;
    size_t           len, n;
    vod_protect_t    prot;

    box = malloc(VOD_PROTECT_MAX_PSSH);
    pro = malloc(VOD_PROTECT_MAX_PSSH);
    b64 = malloc(2 * VOD_PROTECT_MAX_PSSH);
    assert_non_null(box);
    assert_non_null(pro);
    assert_non_null(b64);

    memset(&prot, 0, sizeof(vod_protect_t));
    prot.scheme = VOD_CENC_SCHEME_CENC;
    prot.systems = VOD_PROTECT_COMMON | VOD_PROTECT_WIDEVINE
                   | VOD_PROTECT_PLAYREADY;
    memcpy(prot.kid, test_kid, 16);

    /* built: Widevine's data is the protobuf of the KID */
    len = vod_protect_pssh(&prot, VOD_PROTECT_WIDEVINE, box);
    assert_int_equal(vod_r32(box + 48), len - 52);
    assert_int_equal(box[52], 0x12);

    /* the largest data there may be, each system's */
    prot.widevine.len = VOD_PROTECT_MAX_DATA;
    prot.widevine.data = malloc(prot.widevine.len);
    prot.playready.len = VOD_PROTECT_MAX_DATA;
    prot.playready.data = malloc(prot.playready.len);
    assert_non_null(prot.widevine.data);
    assert_non_null(prot.playready.data);
    test_fill(prot.widevine.data, prot.widevine.len, 7);
    test_fill(prot.playready.data, prot.playready.len, 8);

    len = vod_protect_pssh(&prot, VOD_PROTECT_WIDEVINE, box);
    assert_true(len <= VOD_PROTECT_MAX_PSSH);
    assert_memory_equal(box + 12, vod_cenc_system_widevine, 16);
    assert_memory_equal(box + 32, test_kid, 16);
    assert_int_equal(vod_r32(box + 48), prot.widevine.len);
    assert_memory_equal(box + 52, prot.widevine.data, prot.widevine.len);

    n = vod_protect_playready_pro(&prot, pro);
    assert_int_equal(n, prot.playready.len);
    assert_memory_equal(pro, prot.playready.data, n);

    len = vod_protect_pssh(&prot, VOD_PROTECT_PLAYREADY, box);
    assert_true(len <= VOD_PROTECT_MAX_PSSH);
    assert_memory_equal(box + 12, vod_cenc_system_playready, 16);
    assert_int_equal(vod_r32(box + 48), prot.playready.len);
    assert_memory_equal(box + 52, prot.playready.data, prot.playready.len);

    /* the manifests: the PlayReady box and its PRO in the MPD, within
     * the bound */
    sig = malloc(vod_protect_sig_len(&prot) + 1);
    assert_non_null(sig);

    p = vod_protect_dash(sig, &prot, 1);
    assert_true((size_t) (p - sig) <= vod_protect_sig_len(&prot));
    *p = '\0';
    *vod_protect_base64(b64, box, len) = '\0';
    assert_non_null(strstr((char *) sig, (char *) b64));
    *vod_protect_base64(b64, pro, n) = '\0';
    assert_non_null(strstr((char *) sig, (char *) b64));

    p = vod_protect_hls(sig, &prot, 1);
    assert_true((size_t) (p - sig) <= vod_protect_sig_len(&prot));
    *p = '\0';
    assert_non_null(strstr((char *) sig, (char *) b64));
    len = vod_protect_pssh(&prot, VOD_PROTECT_WIDEVINE, box);
    *vod_protect_base64(b64, box, len) = '\0';
    assert_non_null(strstr((char *) sig, (char *) b64));

    free(sig);
    free(prot.widevine.data);
    free(prot.playready.data);
    free(b64);
    free(pro);
    free(box);
}


static void
test_derive(void **state)
{
    u_char         kid[16], key[16], iv[16], kid2[16], key2[16], iv2[16];
    u_char         md[32], msg[64];
    unsigned int   n;

    static const u_char  secret[] = "operator secret";

    assert_int_equal(vod_cenc_derive(secret, sizeof(secret) - 1,
                                     (u_char *) "title42", 7, kid, key, iv),
                     VOD_OK);

    memcpy(msg, "vodedge-cenc-kid" "title42", 23);
    HMAC(EVP_sha256(), secret, sizeof(secret) - 1, msg, 23, md, &n);
    assert_memory_equal(kid, md, 16);

    memcpy(msg, "vodedge-cenc-key" "title42", 23);
    HMAC(EVP_sha256(), secret, sizeof(secret) - 1, msg, 23, md, &n);
    assert_memory_equal(key, md, 16);

    memcpy(msg, "vodedge-cenc-iv" "title42", 22);
    HMAC(EVP_sha256(), secret, sizeof(secret) - 1, msg, 22, md, &n);
    assert_memory_equal(iv, md, 16);

    assert_int_equal(vod_cenc_derive(secret, sizeof(secret) - 1,
                                     (u_char *) "title43", 7, kid2, key2,
                                     iv2),
                     VOD_OK);
    assert_memory_not_equal(kid, kid2, 16);
    assert_memory_not_equal(key, key2, 16);

    assert_int_equal(vod_cenc_derive(secret, 0, (u_char *) "t", 1, kid, key,
                                     iv),
                     VOD_ERROR);

    /* the cenc IV's first 8 bytes count, carrying */
    memcpy(iv, "\x00\x00\x00\x00\xff\xff\xff\xff\x55", 9);
    vod_cenc_iv_add(iv, 1);
    assert_memory_equal(iv, "\x00\x00\x00\x01\x00\x00\x00\x00\x55", 9);
}


/* MB/s of both schemes on 1080p-sized AVC samples (an 80 KB IDR frame,
 * P frames of 12 KB, three slices each) against memcpy of the same bytes;
 * printed, not asserted */
static void
test_bench(void **state)
{
    double            secs[3], mb;
    size_t            len[30], total;
    u_char           *clear[30], *work;
    uint32_t          i, r, s, scheme, rounds;
    vod_env_t         env;
    vod_cenc_t       *cenc;
    test_nal_t        nal[4];
    vod_cenc_aux_t    aux;
    test_env_ctx_t    ctx;
    vod_cenc_conf_t   conf;
    struct timespec   t0, t1;

    total = 0;

    for (i = 0; i < 30; i++) {
        nal[0].header = 0x09;
        nal[0].size = 2;
        nal[1].header = (i == 0) ? 0x65 : 0x41;
        nal[1].size = (i == 0) ? 27000 : 4003;
        nal[2] = nal[1];
        nal[3] = nal[1];

        clear[i] = malloc(4 + 4 * (nal[1].size + 4));
        assert_non_null(clear[i]);
        len[i] = test_build(clear[i], 4, nal, 4, i);
        total += len[i];
    }

    work = malloc(total);
    assert_non_null(work);
    rounds = 200;
    mb = (double) total * rounds / (1024 * 1024);

    for (s = 0; s < 3; s++) {
        scheme = (s == 1) ? VOD_CENC_SCHEME_CENC : VOD_CENC_SCHEME_CBCS;
        test_env(&env, &ctx);
        test_conf(&conf, scheme, VOD_CENC_LAYOUT_AVC, 4);
        cenc = vod_cenc_create(&env, &conf);
        assert_non_null(cenc);

        clock_gettime(CLOCK_MONOTONIC, &t0);

        for (r = 0; r < rounds; r++) {
            if (s > 0) {
                assert_int_equal(vod_cenc_aux_init(cenc, &aux, 30, total),
                                 VOD_OK);
            }

            total = 0;

            for (i = 0; i < 30; i++) {
                memcpy(work + total, clear[i], len[i]);

                if (s > 0) {
                    assert_int_equal(vod_cenc_encrypt_sample(cenc, &aux,
                                         work + total, len[i]),
                                     VOD_OK);
                }

                total += len[i];
            }

            if (s > 0) {
                /* aux_init allocates: give its blocks back each round,
                 * keeping the encryptor's */
                test_env_free(&ctx, 1);
            }
        }

        clock_gettime(CLOCK_MONOTONIC, &t1);
        secs[s] = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;

        vod_cenc_free(cenc);
        test_env_free(&ctx, 0);
    }

    print_message("bench: %zu bytes a segment of 30 1080p-sized AVC samples,"
                  " x%u: memcpy %.0f MB/s, cenc %.0f MB/s (%.2fx memcpy's "
                  "time), cbcs %.0f MB/s (%.2fx)\n",
                  total, rounds, mb / secs[0], mb / secs[1],
                  secs[1] / secs[0], mb / secs[2], secs[2] / secs[0]);

    for (i = 0; i < 30; i++) {
        free(clear[i]);
    }

    free(work);
}


/*
 * vod_protect.c: a segment of an H.264 track read from a "file", its
 * init segment and its media segment as a player gets them; the samples
 * decrypted by this file's decryptor from what the boxes say.
 */

static u_char   test_file[4096];
static size_t   test_file_len;


static ssize_t
test_file_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    if (offset < 0 || (size_t) offset + size > test_file_len) {
        return -1;
    }

    memcpy(buf, test_file + offset, size);

    return (ssize_t) size;
}


/* the box at the end of a path of box types below p */
static const u_char *
test_path(const u_char *p, size_t len, const char **path, size_t *out_len)
{
    size_t  n;

    for ( ;; ) {
        p = test_child(p, len, *path, &n);
        path++;

        if (*path == NULL) {
            *out_len = n;
            return p;
        }

        p += 8;
        len = n - 8;
    }
}


static void
test_protected(uint32_t scheme, uint32_t index, uint64_t stream,
    u_char iv[][16])
{
    size_t             len, init_len, n, m, data_off, entry_len, off;
    u_char            *out, *init, data[2048], bad_key[16];
    uint32_t           i, j, k, systems;
    uint64_t           lead_time[3];
    vod_env_t          env;
    test_senc_t        senc;
    test_tenc_t        tenc;
    vod_sample_t       samples[3];
    vod_segment_t      seg;
    vod_protect_t      prot;
    test_env_ctx_t     ctx;
    vod_track_info_t   track;
    const u_char      *moof, *traf, *box, *entry;

    static const test_nal_t  s0[] = {
        { 0x67, 20 }, { 0x68, 6 }, { 0x65, 700 }
    };
    static const test_nal_t  s1[] = { { 0x41, 333 } };
    static const test_nal_t  s2[] = { { 0x06, 40 }, { 0x01, 129 } };

    static const test_nal_t  *nals[] = { s0, s1, s2 };
    static const uint32_t     counts[] = { 3, 1, 2 };

    static const char  *moof_path[] = { "moof", NULL };
    static const char  *stsd_path[] = { "moov", "trak", "mdia", "minf",
                                        "stbl", "stsd", NULL };

    test_env(&env, &ctx);
    env.read = test_file_read;

    /* the samples after 100 bytes of something else */
    test_fill(test_file, 100, 7);
    test_file_len = 100;

    for (i = 0; i < 3; i++) {
        samples[i].offset = test_file_len;
        samples[i].size = (uint32_t) test_build(test_file + test_file_len,
                                                4, nals[i], counts[i], i);
        samples[i].duration = 3000;
        samples[i].pts_delay = 0;
        samples[i].sync = (i == 0);
        test_file_len += samples[i].size;
    }

    memset(&track, 0, sizeof(vod_track_info_t));
    track.type = VOD_TRACK_VIDEO;
    track.codec = VOD_CODEC_AVC;
    track.track_id = 1;
    track.timescale = 90000;
    track.nal_length_size = 4;
    /* other tests make the entry of their own codec: avc1 here */
    memcpy(test_avc1 + 4, "avc1", 4);
    track.sample_entry = test_avc1;
    track.sample_entry_len = sizeof(test_avc1);

    memset(&seg, 0, sizeof(vod_segment_t));
    seg.track = &track;
    seg.index = index;
    seg.start_dts = (uint64_t) index * 9000;
    seg.count = 3;
    seg.samples = samples;
    seg.data_size = test_file_len - 100;

    memset(&prot, 0, sizeof(vod_protect_t));
    prot.scheme = scheme;
    systems = VOD_PROTECT_COMMON | VOD_PROTECT_WIDEVINE;
    prot.systems = systems;
    memcpy(prot.kid, test_kid, 16);
    memcpy(prot.key, test_key, 16);
    memcpy(prot.iv, test_iv, 16);

    /* the init segment: encv with the tenc the decryptor needs, a pssh
     * per system */
    assert_int_equal(vod_protect_init(&env, &track, &prot, &init,
                                      &init_len), VOD_OK);
    box = test_path(init, init_len, stsd_path, &n);
    entry = box + 16;
    entry_len = vod_r32(entry);
    assert_memory_equal(entry + 4, "encv", 4);
    test_parse_tenc(entry, entry_len, sizeof(test_avc1), "avc1", &tenc);
    assert_int_equal(tenc.scheme, scheme);
    assert_memory_equal(tenc.kid, test_kid, 16);

    for (k = 0, off = 0; off + 8 <= init_len; off += n) {
        n = vod_r32(init + off);
        assert_true(n >= 8);

        if (memcmp(init + off + 4, "moov", 4) == 0) {
            box = init + off + 8;

            for (j = 8; j + 8 <= n; j += vod_r32(init + off + j)) {
                k += memcmp(init + off + j + 4, "pssh", 4) == 0;
            }
        }
    }

    assert_int_equal(k, 2);

    /* the media segment: moof with senc, then the mdat's samples */
    assert_int_equal(vod_protect_segment(&env, &seg, &prot, stream, &out,
                                         &len), VOD_OK);
    assert_memory_equal(out + 4, "styp", 4);
    moof = test_path(out + vod_r32(out), len - vod_r32(out), moof_path, &n);
    traf = test_child(moof + 8, n - 8, "traf", &n);
    box = test_child(traf + 8, n - 8, "trun", &n);
    data_off = vod_r32(box + 16);
    assert_int_equal((moof - out) + data_off + seg.data_size, len);

    senc.iv_size = tenc.iv_size;
    box = test_child(traf + 8, vod_r32(traf) - 8, "senc", &n);
    test_parse_senc(box, n, &senc);
    assert_int_equal(senc.count, 3);
    box = test_child(traf + 8, vod_r32(traf) - 8, "saiz", &n);
    test_parse_saiz(box, n, &senc);

    off = (moof - out) + data_off;

    for (i = 0; i < 3; i++) {
        memcpy(iv[i], senc.iv[i], 16);

        /* the samples are not the clear bytes, until decrypted */
        memcpy(data, out + off, samples[i].size);
        assert_memory_not_equal(data, test_file + samples[i].offset,
                                samples[i].size);
        test_decrypt(scheme, test_key, &tenc, &senc, i, data,
                     samples[i].size, 0);
        assert_memory_equal(data, test_file + samples[i].offset,
                            samples[i].size);

        /* and a wrong key does not give them back */
        memcpy(bad_key, test_key, 16);
        bad_key[5] ^= 1;
        memcpy(data, out + off, samples[i].size);
        test_decrypt(scheme, bad_key, &tenc, &senc, i, data,
                     samples[i].size, 0);
        assert_memory_not_equal(data, test_file + samples[i].offset,
                                samples[i].size);

        off += samples[i].size;
    }

    test_protected_alone(&env, &seg, &prot, stream, &senc, moof + data_off);
    test_one_sample(&env, &seg, &prot, stream);

    /* in a clear lead: the samples clear, in the fragment's seig group
     * of isProtected 0 (sbgp to 0x10001), no senc, saiz or saio */
    lead_time[0] = 0;
    lead_time[1] = 9000;
    lead_time[2] = 18000;
    track.seg_time = lead_time;
    track.segment_count = index + 1;
    prot.clear_lead = index * 100 + 1;
    assert_int_equal(vod_protect_segment(&env, &seg, &prot, stream, &out,
                                         &len), VOD_OK);
    moof = test_path(out + vod_r32(out), len - vod_r32(out), moof_path, &n);
    traf = test_child(moof + 8, n - 8, "traf", &n);
    assert_null(test_find_child(traf + 8, n - 8, "senc", &m));
    assert_null(test_find_child(traf + 8, n - 8, "saiz", &m));
    assert_null(test_find_child(traf + 8, n - 8, "saio", &m));
    box = test_child(traf + 8, n - 8, "sbgp", &m);
    assert_non_null(box);
    assert_memory_equal(box + 12, "seig", 4);
    assert_int_equal(vod_r32(box + 20), 3);
    assert_int_equal(vod_r32(box + 24), 0x10001);
    box = test_child(traf + 8, n - 8, "sgpd", &m);
    assert_non_null(box);
    assert_int_equal(box[8], 1);
    assert_memory_equal(box + 12, "seig", 4);
    assert_int_equal(vod_r32(box + 16), 20);
    assert_int_equal(box[24 + 2], 0);
    assert_int_equal(box[24 + 3], 0);
    box = test_child(traf + 8, n - 8, "trun", &m);
    data_off = vod_r32(box + 16);
    assert_memory_equal(moof + data_off, test_file + 100, seg.data_size);
    assert_int_equal((moof - out) + data_off + seg.data_size, len);
    test_one_sample(&env, &seg, &prot, stream);

    /* the segment after the lead is encrypted again */
    prot.clear_lead = index * 100;
    assert_int_equal(vod_protect_segment(&env, &seg, &prot, stream, &out,
                                         &len), VOD_OK);
    moof = test_path(out + vod_r32(out), len - vod_r32(out), moof_path, &n);
    traf = test_child(moof + 8, n - 8, "traf", &n);
    assert_null(test_find_child(traf + 8, n - 8, "sgpd", &m));
    test_one_sample(&env, &seg, &prot, stream);
    prot.clear_lead = 0;
    track.seg_time = NULL;
    track.segment_count = 0;

    /* a sample the file does not hold fails the segment */
    samples[2].offset = test_file_len;
    assert_int_not_equal(vod_protect_segment(&env, &seg, &prot, stream,
                                             &out, &len), VOD_OK);

    /* a codec it cannot protect is 415's VOD_UNSUPPORTED */
    samples[2].offset = test_file_len - samples[2].size;
    track.codec = VOD_CODEC_AV1;
    assert_int_equal(vod_protect_segment(&env, &seg, &prot, stream, &out,
                                         &len), VOD_UNSUPPORTED);
    assert_int_equal(vod_protect_init(&env, &track, &prot, &init,
                                      &init_len), VOD_UNSUPPORTED);

    test_env_free(&ctx, 0);
}


/* sample i of seg alone at its place, as vod_iframe_pick() takes it */
static void
test_sample_alone(const vod_segment_t *seg, uint32_t i, vod_segment_t *one)
{
    *one = *seg;
    one->count = 1;
    one->samples = &seg->samples[i];
    one->data_size = seg->samples[i].size;
    one->first = i;
}


/* each sample alone at its place (first), as an I-frame segment takes
 * its key frame (vod_iframe_pick()): the very ciphertext (at data in the
 * whole segment) and senc entry it has in the whole segment, never
 * another sample's IV over its bytes */

static void
test_protected_alone(vod_env_t *env, const vod_segment_t *seg,
    const vod_protect_t *prot, uint64_t stream, const test_senc_t *whole,
    const u_char *data)
{
    size_t          len, n, data_off;
    u_char         *out;
    uint32_t        i, j;
    test_senc_t     senc;
    vod_segment_t   one;
    const u_char   *moof, *traf, *box;

    static const char  *moof_path[] = { "moof", NULL };

    for (i = 0; i < seg->count; i++) {
        test_sample_alone(seg, i, &one);

        assert_int_equal(vod_protect_segment(env, &one, prot, stream, &out,
                                             &len), VOD_OK);
        moof = test_path(out + vod_r32(out), len - vod_r32(out), moof_path,
                         &n);
        traf = test_child(moof + 8, n - 8, "traf", &n);
        box = test_child(traf + 8, n - 8, "trun", &n);
        data_off = vod_r32(box + 16);
        assert_memory_equal(moof + data_off, data, seg->samples[i].size);

        memset(&senc, 0, sizeof(test_senc_t));
        senc.iv_size = whole->iv_size;
        box = test_child(traf + 8, vod_r32(traf) - 8, "senc", &n);
        test_parse_senc(box, n, &senc);
        assert_int_equal(senc.count, 1);

        if (whole->iv_size != 0) {
            assert_memory_equal(senc.iv[0], whole->iv[i], whole->iv_size);
        }

        assert_int_equal(senc.nsubs[0], whole->nsubs[i]);

        for (j = 0; j < senc.nsubs[0]; j++) {
            assert_int_equal(senc.clear[0][j], whole->clear[i][j]);
            assert_int_equal(senc.prot[0][j], whole->prot[i][j]);
        }

        data += seg->samples[i].size;
    }
}


/* what vod_protect_one_sample() says each sample alone takes on the
 * wire (the I-frame playlists' bandwidths), against what
 * vod_protect_segment() serves, as it is and under HLS AES-128: the
 * header of a clear lead's segment or of one past it, AES-128's padding,
 * and 6 bytes for each subsample after the first */

static void
test_one_sample(vod_env_t *env, const vod_segment_t *seg,
    vod_protect_t *prot, uint64_t stream)
{
    size_t               len, n, want;
    u_char              *out;
    u_char              *header;
    uint32_t             i, scheme, pass, keep;
    test_senc_t          senc;
    test_env_ctx_t      *ctx;
    vod_track_info_t     track;
    vod_segment_t        one;
    const u_char        *moof, *traf, *box;
    vod_protect_wire_t   wire;

    static const char  *moof_path[] = { "moof", NULL };

    scheme = prot->scheme;
    ctx = env->data;
    keep = ctx->nblocks;

    for (pass = 0; pass < 2; pass++) {
        prot->scheme = (pass == 0) ? scheme : VOD_PROTECT_SCHEME_AES128;

        assert_int_equal(vod_protect_one_sample(env, seg->track, prot,
                                                &wire), VOD_OK);
        assert_int_equal(wire.first,
                         vod_protect_first_encrypted(prot->clear_lead,
                                                     seg->track));
        assert_int_equal(wire.pad, pass);

        for (i = 0; i < seg->count; i++) {
            test_sample_alone(seg, i, &one);

            assert_int_equal(vod_protect_segment(env, &one, prot, stream,
                                                 &out, &len), VOD_OK);

            if (vod_protect_clear(prot->clear_lead, seg->track, seg->index))
            {
                want = wire.lead + one.data_size;

            } else if (pass == 1) {
                want = ((wire.rest + one.data_size) / 16 + 1) * 16;

            } else {
                moof = test_path(out + vod_r32(out), len - vod_r32(out),
                                 moof_path, &n);
                traf = test_child(moof + 8, n - 8, "traf", &n);
                box = test_child(traf + 8, n - 8, "senc", &n);
                memset(&senc, 0, sizeof(test_senc_t));
                senc.iv_size = (scheme == VOD_CENC_SCHEME_CENC) ? 8 : 0;
                test_parse_senc(box, n, &senc);
                assert_true(senc.nsubs[0] >= 1);

                want = wire.rest + one.data_size + 6 * (senc.nsubs[0] - 1);
            }

            assert_int_equal(len, want);
            test_env_free(ctx, keep);
        }

        /* the whole segment as a second of samples: what protection adds
         * to it is within vod_protect_bitrate() */
        track = *seg->track;
        track.fps_num = seg->count;
        track.fps_den = 1;
        one = *seg;
        one.track = &track;
        assert_int_equal(vod_fmp4_segment_header(env, &one, &header, &n),
                         VOD_OK);
        assert_int_equal(vod_protect_segment(env, &one, prot, stream, &out,
                                             &len), VOD_OK);
        assert_true(len >= n + one.data_size);
        assert_true((len - n - one.data_size) * 8
                    <= vod_protect_bitrate(&track, prot));
        assert_int_equal(vod_protect_bitrate(&track, NULL), 0);
        test_env_free(ctx, keep);
    }

    prot->scheme = scheme;
}


static void
test_clear_lead(void **state)
{
    uint64_t          times[4] = { 0, 360000, 720000, 1080000 };
    vod_track_info_t  track;

    /* 4 s segments at 90 kHz: a segment is in the lead when it starts
     * before it */
    memset(&track, 0, sizeof(vod_track_info_t));
    track.timescale = 90000;
    track.segment_count = 3;
    track.seg_time = times;

    assert_int_equal(vod_protect_first_encrypted(0, &track), 0);
    assert_int_equal(vod_protect_first_encrypted(1, &track), 1);
    assert_int_equal(vod_protect_first_encrypted(4000, &track), 1);
    assert_int_equal(vod_protect_first_encrypted(4001, &track), 2);
    assert_int_equal(vod_protect_first_encrypted(0xffffffff, &track), 3);
    assert_false(vod_protect_clear(0xffffffff, &track, 3));

    /* a start past any lead does not wrap into it */
    times[1] = UINT64_MAX / 100;
    assert_int_equal(vod_protect_first_encrypted(0xffffffff, &track), 1);

    /* 3003 / 30000 s is 100.1 ms: in a lead of 101 ms, not of 100 */
    track.timescale = 30000;
    times[1] = 3003;
    assert_int_equal(vod_protect_first_encrypted(100, &track), 1);
    assert_int_equal(vod_protect_first_encrypted(101, &track), 2);
}


static void
test_protect(void **state)
{
    u_char    a[3][16], b[3][16], c[3][16];
    uint32_t  i, j;

    /* cbcs: the constant IV of tenc, no per-sample IV */
    test_protected(VOD_CENC_SCHEME_CBCS, 0, 1, a);

    /* cenc: counting up within a segment; no IV of one segment in
     * another of the same stream, or in the same segment of another */
    test_protected(VOD_CENC_SCHEME_CENC, 0, 1, a);
    test_protected(VOD_CENC_SCHEME_CENC, 1, 1, b);
    test_protected(VOD_CENC_SCHEME_CENC, 0, 2, c);

    for (i = 0; i < 3; i++) {
        if (i > 0) {
            assert_int_equal(vod_r64(a[i]), vod_r64(a[i - 1]) + 1);
        }

        for (j = 0; j < 3; j++) {
            assert_memory_not_equal(a[i], b[j], 8);
            assert_memory_not_equal(a[i], c[j], 8);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_avc),
        cmocka_unit_test(test_hevc),
        cmocka_unit_test(test_aac),
        cmocka_unit_test(test_clear_split),
        cmocka_unit_test(test_bad_samples),
        cmocka_unit_test(test_pssh),
        cmocka_unit_test(test_pssh_data),
        cmocka_unit_test(test_derive),
        cmocka_unit_test(test_protect),
        cmocka_unit_test(test_clear_lead),
        cmocka_unit_test(test_bench),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
