/*
 * fuzz_env.h: the vod_env_t every fuzz target gives the cores, so that
 * each checks against the same memory and log contract.
 *
 *   - alloc: each allocation its own malloc'ed block, freed by
 *     fuzz_env_free() after the input, so ASan sees a read past what a
 *     parser allocated; poisoned (0xa5), not zeroed, as nginx's pool
 *     memory: a field read before it is set changes the output or trips
 *     a check; with a limit set, the sum allocated past it traps;
 *   - log: formats the line, so a bad format argument is found too, and
 *     counts it, for the targets that check one line per error;
 *   - read: reads the input buffer, as a file.
 *
 * Part of the shared kit (shared/core/), beside vod_core.h: every
 * target includes it as "fuzz/fuzz_env.h" (the fuzz rules have -I of the
 * kit), and the kit's unit tests use it as their env too.
 */

#ifndef _FUZZ_ENV_H_INCLUDED_
#define _FUZZ_ENV_H_INCLUDED_


#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vod_core.h"


typedef struct fuzz_block_s  fuzz_block_t;

struct fuzz_block_s {
    fuzz_block_t     *next;
    max_align_t       data[];
};


typedef struct {
    const u_char     *buf;             /* what read() reads */
    size_t            len;
    uint64_t          allocated;
    uint64_t          limit;           /* past it alloc traps; 0: none */
    unsigned          log_lines;
    fuzz_block_t     *blocks;
} fuzz_ctx_t;


static void *
fuzz_alloc(vod_env_t *env, size_t size)
{
    fuzz_ctx_t    *ctx;
    fuzz_block_t  *b;

    ctx = env->data;
    ctx->allocated += size;

    if (ctx->limit != 0 && ctx->allocated > ctx->limit) {
        __builtin_trap();
    }

    b = malloc(sizeof(fuzz_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = ctx->blocks;
    ctx->blocks = b;

    memset(b->data, 0xa5, size);

    return b->data;
}


static void
fuzz_log(vod_env_t *env, const char *fmt, ...)
{
    char         line[256];
    va_list      args;
    fuzz_ctx_t  *ctx;

    va_start(args, fmt);
    vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);

    ctx = env->data;
    ctx->log_lines++;
}


static ssize_t
fuzz_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    fuzz_ctx_t  *ctx;

    ctx = env->data;

    if (offset < 0 || (size_t) offset > ctx->len
        || size > ctx->len - (size_t) offset)
    {
        return -1;
    }

    memcpy(buf, ctx->buf + offset, size);

    return (ssize_t) size;
}


/* an env over ctx, reading buf; no limit, no blocks yet */

static void
fuzz_env_init(vod_env_t *env, fuzz_ctx_t *ctx, const u_char *buf,
    size_t len)
{
    memset(ctx, 0, sizeof(fuzz_ctx_t));
    ctx->buf = buf;
    ctx->len = len;

    env->alloc = fuzz_alloc;
    env->log = fuzz_log;
    env->read = fuzz_read;
    env->data = ctx;
}


/* the input copied into a block of exactly its size, so that ASan catches
 * a read past its end; NULL when out of memory */

static u_char *
fuzz_env_copy(vod_env_t *env, const u_char *data, size_t size)
{
    u_char  *buf;

    buf = fuzz_alloc(env, size);
    if (buf == NULL) {
        return NULL;
    }

    memcpy(buf, data, size);

    return buf;
}


static void
fuzz_env_free(fuzz_ctx_t *ctx)
{
    fuzz_block_t  *b, *next;

    for (b = ctx->blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    ctx->blocks = NULL;
}


#endif /* _FUZZ_ENV_H_INCLUDED_ */
