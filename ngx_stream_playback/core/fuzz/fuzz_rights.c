/*
 * fuzz_rights.c: libFuzzer target for pb_rights: the input is parsed as a
 * rights file; a table that parses is checked for each of its titles and
 * for the input's first bytes as a title, with and without a country, at
 * several times.  Every allocation is freed after each input.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "pb_rights.h"


typedef struct fuzz_rights_block_s  fuzz_rights_block_t;

struct fuzz_rights_block_s {
    fuzz_rights_block_t  *next;
    max_align_t           data[];
};


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void *fuzz_rights_alloc(vod_env_t *env, size_t size);
static void fuzz_rights_log(vod_env_t *env, const char *fmt, ...);


static fuzz_rights_block_t  *fuzz_rights_blocks;


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                    n;
    uint32_t                  i;
    vod_env_t                 env;
    pb_rights_t              *rights;
    fuzz_rights_block_t      *b;
    const pb_rights_title_t  *entry;
    char                      err[PB_RIGHTS_ERR_LEN];

    static const int64_t  times[] = { 0, 1767225600, INT64_MAX };

    env.alloc = fuzz_rights_alloc;
    env.log = fuzz_rights_log;
    env.read = NULL;
    env.data = NULL;

    pb_rights_parse_time(data, size);

    if (pb_rights_parse(&env, data, size, &rights, err) == VOD_OK) {

        for (i = 0; i < rights->ntitles; i++) {
            for (n = 0; n < sizeof(times) / sizeof(times[0]); n++) {
                pb_rights_check(rights, rights->titles[i].name.data,
                                rights->titles[i].name.len,
                                (const u_char *) "US", times[n], &entry);
                if (entry != &rights->titles[i]) {
                    abort();
                }

                pb_rights_check(rights, rights->titles[i].name.data,
                                rights->titles[i].name.len, NULL, times[n],
                                &entry);
            }
        }

        pb_rights_check(rights, data, size < 8 ? size : 8,
                        size >= 2 ? data : NULL, 0, &entry);

    } else if (strlen(err) >= PB_RIGHTS_ERR_LEN) {
        abort();
    }

    while (fuzz_rights_blocks != NULL) {
        b = fuzz_rights_blocks;
        fuzz_rights_blocks = b->next;
        free(b);
    }

    return 0;
}


static void *
fuzz_rights_alloc(vod_env_t *env, size_t size)
{
    fuzz_rights_block_t  *b;

    b = malloc(sizeof(fuzz_rights_block_t) + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = fuzz_rights_blocks;
    fuzz_rights_blocks = b;

    /* poisoned, not zeroed, as nginx's pool memory: a field read before
     * it is set changes the output or trips a check */
    memset(b->data, 0xa5, size);

    return b->data;
}


static void
fuzz_rights_log(vod_env_t *env, const char *fmt, ...)
{
}
