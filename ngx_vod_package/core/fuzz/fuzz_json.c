/*
 * fuzz_json.c: libFuzzer target for the JSON parser, title.json and the
 * URL name parser.  Every allocation is freed after each input, so a leak
 * or an overrun of what a parser allocated shows up under ASan.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "vod_json.h"
#include "vod_title.h"
#include "vod_url.h"


typedef struct fuzz_json_block_s  fuzz_json_block_t;

struct fuzz_json_block_s {
    fuzz_json_block_t  *next;
    max_align_t         data[];
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void *fuzz_json_alloc(vod_env_t *env, size_t size);
static void fuzz_json_log(vod_env_t *env, const char *fmt, ...);
static void fuzz_json_free(vod_env_t *env);
static void fuzz_json_walk(const vod_json_t *node, uint32_t depth);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *buf;
    vod_url_t           url;
    vod_env_t           env;
    vod_json_t         *root;
    vod_title_spec_t    spec;
    vod_json_limits_t   limits;
    fuzz_json_block_t  *blocks;

    blocks = NULL;

    env.alloc = fuzz_json_alloc;
    env.log = fuzz_json_log;
    env.read = NULL;
    env.data = &blocks;

    /* an exact-size copy: ASan catches a read past the end */

    buf = fuzz_json_alloc(&env, size);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    if (vod_title_json_parse(&env, buf, size, &spec) == VOD_OK) {
        if (spec.count == 0 || spec.count > VOD_MAX_RENDITIONS) {
            abort();
        }
    }

    limits.max_depth = 0;
    limits.max_nodes = 0;

    if (vod_json_parse(&env, buf, size, &limits, &root) == VOD_OK) {
        fuzz_json_walk(root, 0);

    } else if (limits.err != NULL && limits.err_pos > size) {
        abort();
    }

    if (size <= 512) {
        if (vod_url_parse(buf, size, &url) == VOD_OK
            && url.id.len != 0
            && (url.id.data < buf || url.id.data + url.id.len > buf + size))
        {
            abort();
        }
    }

    fuzz_json_free(&env);

    return 0;
}


static void *
fuzz_json_alloc(vod_env_t *env, size_t size)
{
    fuzz_json_block_t  **blocks, *b;

    blocks = env->data;

    b = malloc(sizeof(fuzz_json_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = *blocks;
    *blocks = b;

    /* poisoned, not zeroed, as nginx's pool memory: a field read before
     * it is set changes the output or trips a check */
    memset(b->data, 0xa5, size);

    return b->data;
}


static void
fuzz_json_log(vod_env_t *env, const char *fmt, ...)
{
    char     line[256];
    va_list  args;

    /* format it, so a bad format argument is found too */

    va_start(args, fmt);
    vsnprintf(line, sizeof(line), fmt, args);
    va_end(args);
}


static void
fuzz_json_free(vod_env_t *env)
{
    fuzz_json_block_t  **blocks, *b, *next;

    blocks = env->data;

    for (b = *blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    *blocks = NULL;
}


/* touch every node and string so ASan checks what they point to */

static void
fuzz_json_walk(const vod_json_t *node, uint32_t depth)
{
    uint32_t           n;
    volatile u_char    sink;
    const vod_json_t  *c;

    if (depth > VOD_JSON_MAX_DEPTH) {
        abort();
    }

    if (node->key.len != 0) {
        sink = node->key.data[0] ^ node->key.data[node->key.len - 1];
    }

    if (node->str.len != 0) {
        sink = node->str.data[0] ^ node->str.data[node->str.len - 1];
    }

    n = 0;

    for (c = node->child; c != NULL; c = c->next) {
        fuzz_json_walk(c, depth + 1);
        n++;
    }

    if (n != node->count) {
        abort();
    }

    (void) sink;
}
