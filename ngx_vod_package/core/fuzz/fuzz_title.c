/*
 * fuzz_title.c: libFuzzer target for title.json and the URL name parser
 * (the JSON parser under title.json has its own target in the shared
 * kit: shared/core/fuzz/fuzz_json.c).  Every allocation is freed after
 * each input, so a leak or an overrun of what a parser allocated shows up
 * under ASan.
 */

#include <stdlib.h>

#include "vod_title.h"
#include "vod_url.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *buf;
    vod_url_t           url;
    vod_env_t           env;
    vod_title_spec_t    spec;
    fuzz_ctx_t          ctx;

    fuzz_env_init(&env, &ctx, data, size);

    buf = fuzz_env_copy(&env, data, size);
    if (buf == NULL) {
        return 0;
    }

    if (vod_title_json_parse(&env, buf, size, &spec) == VOD_OK) {
        if (spec.count == 0 || spec.count > VOD_MAX_RENDITIONS) {
            abort();
        }
    }

    if (size <= 512) {
        if (vod_url_parse(buf, size, &url) == VOD_OK
            && url.id.len != 0
            && (url.id.data < buf || url.id.data + url.id.len > buf + size))
        {
            abort();
        }
    }

    fuzz_env_free(&ctx);

    return 0;
}

