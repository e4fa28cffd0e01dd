/*
 * fuzz_mp4text.c: libFuzzer target for the text track converter
 * (vod_mp4text.c: tx3g and wvtt samples to WebVTT cues) and the text
 * rendition ids.  The input: a byte choosing the format (bit 0: wvtt),
 * then samples, each a 16-bit size, a 16-bit duration in milliseconds and
 * its bytes.  Oracles: a refusal logs exactly one line; the cues are by
 * start time, each ending at or after its start, no more than the samples'
 * bytes allow and no longer than five times their bytes; what
 * vod_vtt_write() makes of them parses again as WebVTT, to the same cues.
 */

#include <stdlib.h>

#include "vod_mp4text.h"
#include "vod_vtt.h"
#include "fuzz/fuzz_env.h"


#define FUZZ_MP4TEXT_MAX_SAMPLES  4096


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                    rc;
    u_char                *buf, *out, *blob;
    size_t                 len, blob_len, n, text;
    uint32_t               i, count, codec, track_id;
    uint64_t               t;
    vod_env_t              env;
    vod_str_t              id, rid;
    vod_vtt_t              vtt, again;
    fuzz_ctx_t             ctx;
    vod_mp4text_sample_t  *s;

    if (size < 1) {
        return 0;
    }

    fuzz_env_init(&env, &ctx, data, size);

    buf = fuzz_env_copy(&env, data, size);
    if (buf == NULL) {
        return 0;
    }

    codec = (buf[0] & 1) ? VOD_CODEC_WVTT : VOD_CODEC_TX3G;

    s = env.alloc(&env, FUZZ_MP4TEXT_MAX_SAMPLES * sizeof(*s));
    if (s == NULL) {
        goto done;
    }

    count = 0;
    t = 0;

    for (n = 1; size - n >= 4 && count < FUZZ_MP4TEXT_MAX_SAMPLES; ) {
        len = vod_r16(buf + n);
        s[count].start = t;
        t += vod_r16(buf + n + 2);
        s[count].end = t;
        n += 4;

        if (len > size - n) {
            len = size - n;
        }

        s[count].data = buf + n;
        s[count].size = (uint32_t) len;
        n += len;
        count++;
    }

    ctx.log_lines = 0;

    rc = vod_mp4text_cues(&env, codec, s, count, &vtt);

    if (rc != VOD_OK) {
        if (rc != VOD_BAD_DATA || ctx.log_lines != 1) {
            abort();
        }

        goto ids;
    }

    if (ctx.log_lines != 0 || vtt.count > count * (size / 16 + 1)) {
        abort();
    }

    for (text = 0, i = 0; i < vtt.count; i++) {
        if (vtt.cues[i].end < vtt.cues[i].start
            || (i > 0 && vtt.cues[i].start < vtt.cues[i - 1].start)
            || vtt.cues[i].text.len == 0)
        {
            abort();
        }

        text += vtt.cues[i].text.len;
    }

    if (text > 5 * size * 2) {
        abort();
    }

    if (vod_vtt_pack(&env, &vtt, &blob, &blob_len) != VOD_OK
        || vod_vtt_write(&env, blob, blob_len, 0, (uint64_t) -1,
                         VOD_VTT_NO_MAP, &out, &len)
           != VOD_OK)
    {
        abort();
    }

    if (vod_vtt_parse(&env, out, len, 0, &again) != VOD_OK
        || again.count != vtt.count)
    {
        abort();
    }

    for (i = 0; i < vtt.count; i++) {
        if (again.cues[i].start != vtt.cues[i].start
            || again.cues[i].end != vtt.cues[i].end
            || again.cues[i].text.len != vtt.cues[i].text.len
            || again.cues[i].id.len != vtt.cues[i].id.len
            || again.cues[i].settings.len != vtt.cues[i].settings.len)
        {
            abort();
        }
    }

ids:

    id.data = buf;
    id.len = size;

    if (vod_mp4text_id_parse(&id, &track_id, &rid)
        && (track_id == 0 || rid.len == 0 || rid.data + rid.len != buf + size
            || memcmp(buf, "text", 4) != 0))
    {
        abort();
    }

done:

    fuzz_env_free(&ctx);

    return 0;
}
