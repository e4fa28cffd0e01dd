/*
 * fuzz_title.c: libFuzzer target for title.json and the URL name parser
 * (the JSON parser under title.json has its own target in the shared
 * kit: shared/core/fuzz/fuzz_json.c).  Every allocation is freed after
 * each input, so a leak or an overrun of what a parser allocated shows up
 * under ASan.
 */

#include <stdlib.h>
#include <string.h>

#include "vod_title.h"
#include "vod_url.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *buf;
    uint32_t            i, defaults;
    vod_url_t           url;
    vod_env_t           env;
    vod_title_spec_t    spec;
    vod_audio_spec_t   *a;
    fuzz_ctx_t          ctx;

    fuzz_env_init(&env, &ctx, data, size);

    buf = fuzz_env_copy(&env, data, size);
    if (buf == NULL) {
        return 0;
    }

    if (vod_title_json_parse(&env, buf, size, &spec) == VOD_OK) {
        if (spec.count == 0 || spec.count > VOD_MAX_RENDITIONS
            || spec.audio_count > VOD_MAX_AUDIO)
        {
            abort();
        }

        /* "audio": each entry of a valid rendition id, at most one
         * default, an excluded one saying nothing else */

        for (i = 0, defaults = 0; i < spec.audio_count; i++) {
            a = &spec.audio[i];
            defaults += (a->is_default == 1);

            if (!vod_title_id_valid(a->id.data, a->id.len)
                || a->name.len >= VOD_AUDIO_NAME_LEN
                || a->characteristics.len > VOD_AUDIO_CHAR_LEN
                || memchr(a->lang, '\0', sizeof(a->lang)) == NULL
                || (a->exclude && (a->is_default != 2 || a->name.len != 0
                                   || a->lang[0] != '\0'))
                || defaults > 1)
            {
                abort();
            }
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

