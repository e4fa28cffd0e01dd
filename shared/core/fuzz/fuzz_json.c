/*
 * fuzz_json.c: libFuzzer target for the kit's JSON parser, which every
 * module's configuration files, tokens and API bodies go through.  Every
 * allocation is freed after each input, so a leak or an overrun of what
 * the parser allocated shows up under ASan; the tree is walked so that
 * every node and string it points to is read.
 */

#include <stdlib.h>

#include "vod_json.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_json_walk(const vod_json_t *node, uint32_t depth);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *buf;
    vod_env_t           env;
    vod_json_t         *root;
    fuzz_ctx_t          ctx;
    vod_json_limits_t   limits;

    fuzz_env_init(&env, &ctx, data, size);

    buf = fuzz_env_copy(&env, data, size);
    if (buf == NULL) {
        return 0;
    }

    limits.max_depth = 0;
    limits.max_nodes = 0;

    if (vod_json_parse(&env, buf, size, &limits, &root) == VOD_OK) {
        fuzz_json_walk(root, 0);

    } else if (limits.err != NULL && limits.err_pos > size) {
        abort();
    }

    fuzz_env_free(&ctx);

    return 0;
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
