/*
 * fuzz_vtt.c: libFuzzer target for the subtitle parsers (WebVTT and SRT,
 * vod_vtt.c) and the sidecar name and language tag readers (vod_subs.c).
 * Oracle: what vod_vtt_write() makes of a parsed file parses again as
 * WebVTT, to the same cues.
 */

#include <stdlib.h>

#include "vod_subs.h"
#include "vod_vtt.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                  lang[VOD_SUB_LANG_LEN];
    u_char               *buf, *out, *blob;
    size_t                len, blob_len;
    unsigned              srt;
    uint32_t              i;
    vod_env_t             env;
    vod_str_t             file;
    vod_vtt_t             vtt, again;
    fuzz_ctx_t            ctx;
    vod_subtitle_spec_t   spec;

    fuzz_env_init(&env, &ctx, data, size);

    buf = fuzz_env_copy(&env, data, size);
    if (buf == NULL) {
        return 0;
    }

    for (srt = 0; srt < 2; srt++) {
        if (vod_vtt_parse(&env, buf, size, srt, &vtt) != VOD_OK) {
            continue;
        }

        for (i = 1; i < vtt.count; i++) {
            if (vtt.cues[i].start < vtt.cues[i - 1].start
                || vtt.cues[i].end < vtt.cues[i].start)
            {
                abort();
            }
        }

        if (vod_vtt_pack(&env, &vtt, &blob, &blob_len) != VOD_OK
            || vod_vtt_write(&env, blob, blob_len, 0, (uint64_t) -1, 900000,
                             &out, &len)
               != VOD_OK)
        {
            continue;
        }

        if (vod_vtt_parse(&env, out, len, 0, &again) != VOD_OK
            || again.count != vtt.count)
        {
            abort();
        }

        for (i = 0; i < vtt.count; i++) {
            if (again.cues[i].start != vtt.cues[i].start
                || again.cues[i].end != vtt.cues[i].end
                || again.cues[i].text.len != vtt.cues[i].text.len)
            {
                abort();
            }
        }

        /* a span: never more than the whole */
        (void) vod_vtt_write(&env, blob, blob_len, 1000, 3000,
                             VOD_VTT_NO_MAP, &out, &len);

        /* a blob cut short is refused, never read past */
        (void) vod_vtt_write(&env, blob, blob_len / 2, 0, (uint64_t) -1,
                             VOD_VTT_NO_MAP, &out, &len);
    }

    if (size <= 300) {
        file.data = buf;
        file.len = size;

        if (vod_subs_from_file(&file, &spec) == VOD_OK
            && (spec.id.data != buf || spec.id.len > size
                || (spec.lang.len != 0
                    && !vod_subs_lang(spec.lang.data, spec.lang.len, lang))))
        {
            abort();
        }

        if (vod_subs_lang(buf, size, lang) && strlen(lang) != size
            && size > 3)
        {
            /* only a 3 letter code becomes shorter */
            if (strlen(lang) + 1 != size) {
                abort();
            }
        }
    }

    fuzz_env_free(&ctx);

    return 0;
}
