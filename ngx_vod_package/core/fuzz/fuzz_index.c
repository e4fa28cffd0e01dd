/*
 * fuzz_index.c: libFuzzer target for the resources the index build takes.
 *
 * The input is a whole file: find the moov and build its index, with the
 * file's own size and again claiming a 4 GB file (past the moov the build
 * reads only the first bytes of up to four key frames,
 * vod_idx_probe_keys(), and a read that fails leaves the index as it is;
 * a large file lets the sample counts reach VOD_MAX_SAMPLES, which the
 * small inputs of a fuzzer otherwise cap).
 * Besides the sanitizers it traps when a build
 *
 *   - allocates more than vod_index_mem_bound() of the moov, counted in
 *     the env's alloc callback (the build never frees, so the sum is the
 *     peak), the blob included;
 *   - takes more CPU time than FUZZ_INDEX_BASE_MS plus
 *     FUZZ_INDEX_NS_PER_BYTE per moov byte: every pass of the build is
 *     linear in what the moov holds, so a quadratic pass or a pass over
 *     the samples that the compact tables do not list shows up as time;
 *   - fails without exactly one log line, or succeeds with any, or gives
 *     an index that does not check or whose track descriptions and first
 *     segments cannot be read;
 *   - lists a video track's key frames (vod_index_iframes()) out of their
 *     segments or out of order, or refuses them without exactly one log
 *     line.
 *
 * Fresh allocations are poisoned (0xa5), never zeroed.
 */

#include <stdlib.h>
#include <time.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_iframe.h"
#include "fuzz/fuzz_env.h"


/* generous for ASan and UBSan at -O1 on a busy machine: a two-hour
 * title's 4.6 MB moov builds in about 0.1 s there */
#define FUZZ_INDEX_BASE_MS      250
#define FUZZ_INDEX_NS_PER_BYTE  200


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static double fuzz_cpu(void);
static void fuzz_iframes(vod_env_t *env, fuzz_ctx_t *ctx,
    const u_char *index, uint32_t track, vod_track_info_t *info);
static void fuzz_build(vod_env_t *env, fuzz_ctx_t *ctx, const u_char *moov,
    size_t moov_size, uint64_t file_size, uint32_t segment_ms);


static double
fuzz_cpu(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static void
fuzz_build(vod_env_t *env, fuzz_ctx_t *ctx, const u_char *moov,
    size_t moov_size, uint64_t file_size, uint32_t segment_ms)
{
    int               rc;
    size_t            index_len;
    u_char           *index;
    double            start, spent;
    uint32_t          i, n;
    vod_segment_t     seg;
    vod_track_info_t  info;

    ctx->log_lines = 0;
    ctx->allocated = 0;
    ctx->limit = vod_index_mem_bound(moov_size);

    start = fuzz_cpu();

    rc = vod_index_build(env, moov, moov_size, file_size, segment_ms, &index,
                         &index_len);

    spent = fuzz_cpu() - start;
    ctx->limit = 0;

    if (spent * 1e3 > FUZZ_INDEX_BASE_MS
                      + moov_size * (FUZZ_INDEX_NS_PER_BYTE / 1e6))
    {
        /* the build took more time than its moov is worth */
        __builtin_trap();
    }

    if (rc != VOD_OK) {
        if (ctx->log_lines != 1) {
            __builtin_trap();
        }

        return;
    }

    /* a built index logs nothing, or the one line naming the tracks it
     * left out */
    if (ctx->log_lines > 1 || vod_index_check(index, index_len) != VOD_OK) {
        __builtin_trap();
    }

    n = vod_index_track_count(index);

    for (i = 0; i < n; i++) {
        if (vod_index_track_info(env, index, i, &info) != VOD_OK
            || info.segment_count == 0
            || vod_index_segment(env, index, i, &info, 0, &seg) != VOD_OK
            || vod_index_segment(env, index, i, &info,
                                 info.segment_count - 1, &seg)
               != VOD_OK)
        {
            __builtin_trap();
        }

        fuzz_iframes(env, ctx, index, i, &info);
    }
}


/* the key frames: each in a segment, numbered from 1 in it, in decode
 * order; a refusal says why in one line, a track not video in none */

static void
fuzz_iframes(vod_env_t *env, fuzz_ctx_t *ctx, const u_char *index,
    uint32_t track, vod_track_info_t *info)
{
    int                  rc;
    unsigned             lines;
    uint32_t             k;
    const vod_iframe_t  *f, *prev;

    lines = ctx->log_lines;
    rc = vod_index_iframes(env, index, track, info);

    if (rc == VOD_NOT_FOUND) {
        if (info->type == VOD_TRACK_VIDEO || ctx->log_lines != lines) {
            __builtin_trap();
        }

        return;
    }

    if (rc != VOD_OK) {
        if (ctx->log_lines != lines + 1) {
            __builtin_trap();
        }

        return;
    }

    for (k = 0; k < info->iframe_count; k++) {
        f = &info->iframes[k];
        prev = (k > 0) ? f - 1 : NULL;

        if (f->segment >= info->segment_count || f->key == 0
            || (prev != NULL
                && (f->time < prev->time || f->segment < prev->segment
                    || f->key != (f->segment == prev->segment
                                  ? prev->key + 1 : 1)))
            || (prev == NULL && f->key != 1))
        {
            __builtin_trap();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char        *moov;
    uint64_t       moov_offset, moov_size;
    vod_env_t      env;
    fuzz_ctx_t     ctx;

    fuzz_env_init(&env, &ctx, data, size);

    if (vod_mp4_find_moov(&env, size, &moov_offset, &moov_size) != VOD_OK) {
        goto done;
    }

    moov = fuzz_alloc(&env, moov_size);
    if (moov == NULL || fuzz_read(&env, moov, moov_size, moov_offset) < 0) {
        __builtin_trap();
    }

    /* a long and a very short segment duration: the second makes a
     * boundary at nearly every sample the tables allow */

    fuzz_build(&env, &ctx, moov, moov_size, size, 4000);
    fuzz_build(&env, &ctx, moov, moov_size, size, 1 + (size & 0xff));
    fuzz_build(&env, &ctx, moov, moov_size, (uint64_t) 1 << 32,
               1 + (size & 0xff));

done:

    fuzz_env_free(&ctx);

    return 0;
}
