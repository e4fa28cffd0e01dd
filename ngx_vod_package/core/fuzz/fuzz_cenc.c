/*
 * fuzz_cenc.c: libFuzzer target of the sample encryption (vod_cenc.c) and
 * its senc/saiz writers.  The first input byte picks the scheme, the
 * layout and the NAL length size; the rest is one sample.  Oracles: a
 * refused sample logs one line and leaves the segment's aux as it was;
 * an encrypted one has a subsample map that covers the sample exactly,
 * with whole blocks protected, clear bytes unchanged and clear runs of
 * at most 65535 bytes, and senc/saiz are written to their computed sizes.
 */

#include <stdint.h>
#include <stdlib.h>

#include "fuzz/fuzz_env.h"
#include "vod_cenc.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int               rc;
    size_t            len, off, n;
    u_char           *buf, *box, *p;
    uint32_t          i;
    vod_env_t         env;
    fuzz_ctx_t        ctx;
    vod_cenc_t       *cenc;
    vod_cenc_aux_t    aux;
    vod_cenc_conf_t   conf;

    static const uint32_t  nls[4] = { 1, 2, 4, 4 };

    if (size < 1) {
        return 0;
    }

    fuzz_env_init(&env, &ctx, data, size);

    memset(&conf, 0, sizeof(vod_cenc_conf_t));
    conf.scheme = (data[0] & 1) ? VOD_CENC_SCHEME_CBCS : VOD_CENC_SCHEME_CENC;
    conf.layout = ((data[0] >> 1) & 3) % 3 + 1;
    conf.nal_length_size = nls[(data[0] >> 3) & 3];
    memset(conf.key, 0x11, sizeof(conf.key));
    memset(conf.kid, 0x22, sizeof(conf.kid));
    memset(conf.iv, 0x33, sizeof(conf.iv));

    cenc = vod_cenc_create(&env, &conf);
    if (cenc == NULL) {
        __builtin_trap();
    }

    len = size - 1;
    buf = fuzz_env_copy(&env, data + 1, len);

    if (buf == NULL || vod_cenc_aux_init(cenc, &aux, 1, len) != VOD_OK) {
        __builtin_trap();
    }

    rc = vod_cenc_encrypt_sample(cenc, &aux, buf, len);

    if (rc != VOD_OK) {
        if (ctx.log_lines != 1 || aux.count != 0 || aux.nsubs != 0) {
            __builtin_trap();
        }

        goto done;
    }

    if (ctx.log_lines != 0 || aux.count != 1
        || aux.nsubs > VOD_CENC_MAX_SUBSAMPLES)
    {
        __builtin_trap();
    }

    if (conf.layout != VOD_CENC_LAYOUT_WHOLE) {
        off = 0;

        for (i = 0; i < aux.nsubs; i++) {
            if (aux.subs[i].protected % 16 != 0
                || memcmp(buf + off, data + 1 + off, aux.subs[i].clear) != 0)
            {
                __builtin_trap();
            }

            off += aux.subs[i].clear + (size_t) aux.subs[i].protected;
        }

        if (off != len) {
            __builtin_trap();
        }
    }

    n = vod_cenc_senc_size(&aux) + vod_cenc_saiz_size(&aux);
    box = fuzz_alloc(&env, n + 1);
    if (box == NULL) {
        __builtin_trap();
    }

    p = vod_cenc_write_senc(box, &aux);
    p = vod_cenc_write_saiz(p, &aux);

    if ((size_t) (p - box) != n) {
        __builtin_trap();
    }

done:

    vod_cenc_free(cenc);
    fuzz_env_free(&ctx);

    return 0;
}
