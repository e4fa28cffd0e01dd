/*
 * fuzz_rights.c: libFuzzer target for pb_rights: the input is parsed as a
 * rights file; a table that parses is checked for each of its titles and
 * for the input's first bytes as a title, with and without a country, at
 * several times.  Every allocation is freed after each input.
 */

#include <stdlib.h>

#include "pb_rights.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                    n;
    uint32_t                  i;
    vod_env_t                 env;
    pb_rights_t              *rights;
    fuzz_ctx_t                ctx;
    const pb_rights_title_t  *entry;
    char                      err[PB_RIGHTS_ERR_LEN];

    static const int64_t  times[] = { 0, 1767225600, INT64_MAX };

    fuzz_env_init(&env, &ctx, data, size);

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

    fuzz_env_free(&ctx);

    return 0;
}
