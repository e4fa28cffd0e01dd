/*
 * fuzz_frag.c: libFuzzer target for fragmented MP4 input (vod_frag.c).
 *
 * The input is a whole file: find the moov, turn the moof boxes after it
 * into a moov (vod_frag_moov(), with FUZZ_FRAG_MAX bytes as its limit)
 * and build the index of that.  Besides the sanitizers it traps when
 * vod_frag_moov()
 *
 *   - allocates more than its bound: the moof boxes it keeps (no more
 *     than the input), their list (24 bytes per moof box of 8 or more
 *     bytes, under 12 bytes per input byte as it doubles), the new moov
 *     (FUZZ_FRAG_MAX) and its context;
 *   - takes more CPU time than FUZZ_FRAG_BASE_MS plus
 *     FUZZ_FRAG_NS_PER_BYTE per input byte: every pass is linear in the
 *     boxes read and the samples, which the input's size bounds;
 *   - fails without exactly one log line, succeeds with any, or gives a
 *     moov larger than its limit, or whose index build fails without
 *     exactly one line, succeeds with more than one (the tracks it left
 *     out) or builds an index vod_index_check() refuses.
 *
 * Seeds: fuzz/seeds/fuzz_frag/, small fragmented files of ffmpeg's
 * layouts (default-base-is-moof, a global sidx, separate moofs per
 * track, version 1 truns, explicit base offsets).
 */

#include <stdlib.h>
#include <time.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_mp4.h"
#include "vod_frag.h"
#include "fuzz/fuzz_env.h"


#define FUZZ_FRAG_MAX           (1024 * 1024)
#define FUZZ_FRAG_BASE_MS       250
#define FUZZ_FRAG_NS_PER_BYTE   2000


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double fuzz_cpu(void);


static double
fuzz_cpu(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int             rc;
    size_t          out_len, index_len;
    u_char         *moov, *index;
    double          start, spent;
    uint64_t        moov_offset, moov_size;
    vod_env_t       env;
    fuzz_ctx_t      ctx;
    const u_char   *out;

    fuzz_env_init(&env, &ctx, data, size);

    if (vod_mp4_find_moov(&env, size, &moov_offset, &moov_size) != VOD_OK
        || moov_size > FUZZ_FRAG_MAX)
    {
        goto done;
    }

    moov = fuzz_alloc(&env, moov_size);
    if (moov == NULL || fuzz_read(&env, moov, moov_size, moov_offset) < 0) {
        __builtin_trap();
    }

    ctx.log_lines = 0;
    ctx.allocated = 0;
    ctx.limit = (uint64_t) 13 * size + FUZZ_FRAG_MAX + 64 * 1024;

    start = fuzz_cpu();

    rc = vod_frag_moov(&env, moov, moov_size, moov_offset, size,
                       FUZZ_FRAG_MAX, &out, &out_len);

    spent = fuzz_cpu() - start;
    ctx.limit = 0;

    if (spent * 1e3 > FUZZ_FRAG_BASE_MS
                      + size * (FUZZ_FRAG_NS_PER_BYTE / 1e6))
    {
        __builtin_trap();
    }

    if (rc != VOD_OK) {
        if (ctx.log_lines != 1) {
            __builtin_trap();
        }

        goto done;
    }

    if (ctx.log_lines != 0 || out_len > FUZZ_FRAG_MAX
        || (out != moov && vod_r32(out) != out_len))
    {
        __builtin_trap();
    }

    rc = vod_index_build(&env, out, out_len, size, 2000, &index,
                         &index_len);

    /* a built index logs nothing, or the one line naming the tracks it
     * left out; a failed build exactly one */
    if (rc != VOD_OK ? ctx.log_lines != 1
                     : ctx.log_lines > 1
                       || vod_index_check(index, index_len) != VOD_OK)
    {
        __builtin_trap();
    }

done:

    fuzz_env_free(&ctx);

    return 0;
}
