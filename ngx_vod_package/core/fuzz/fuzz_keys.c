/*
 * fuzz_keys.c: libFuzzer target for a key service's answer (vod_keys.h).
 * Oracles: an accepted answer had its "kid" and "key" as 32 hex digits
 * each (the bytes given back are what they say, the input checked
 * without the parser's help), its pssh data within the bounds and, in
 * base64 again, in the input (a PlayReady Object's length field its
 * length); a refused one logged one line and left the keys all zero.
 */

#define _GNU_SOURCE               /* memmem() */
#include <stdlib.h>
#include <string.h>

#include "vod_keys.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int fuzz_keys_has(const uint8_t *data, size_t size, const char *name,
    const u_char *bytes);
static int fuzz_keys_data(const uint8_t *data, size_t size,
    const vod_str_t *pssh);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int          rc;
    u_char      *buf;
    size_t       i;
    vod_env_t    env;
    vod_keys_t   keys;
    fuzz_ctx_t   ctx;

    fuzz_env_init(&env, &ctx, data, size);

    buf = fuzz_env_copy(&env, data, size);
    if (buf == NULL) {
        return 0;
    }

    rc = vod_keys_parse(&env, buf, size, &keys);

    if (rc == VOD_OK) {
        if (ctx.log_lines != 0 || size > VOD_KEYS_MAX_BODY
            || keys.ttl < -1 || keys.ttl > VOD_KEYS_MAX_TTL
            || !fuzz_keys_has(data, size, "kid", keys.kid)
            || !fuzz_keys_has(data, size, "key", keys.key)
            || (keys.has_hls_key
                && !fuzz_keys_has(data, size, "hls_key", keys.hls_key))
            || keys.widevine.len > VOD_KEYS_MAX_WIDEVINE
            || keys.playready.len > VOD_KEYS_MAX_PLAYREADY
            || keys.widevine.len + keys.playready.len > VOD_KEYS_MAX_PSSH
            || !fuzz_keys_data(data, size, &keys.widevine)
            || !fuzz_keys_data(data, size, &keys.playready)
            || (keys.playready.len > 0
                && (keys.playready.len < 10
                    || keys.playready.data[0]
                       + 256 * (size_t) keys.playready.data[1]
                       != keys.playready.len
                    || keys.playready.data[2] != 0
                    || keys.playready.data[3] != 0)))
        {
            abort();
        }

    } else if (rc == VOD_BAD_DATA) {
        if (ctx.log_lines != 1) {
            abort();
        }

        for (i = 0; i < sizeof(vod_keys_t); i++) {
            if (((u_char *) &keys)[i] != 0) {
                abort();
            }
        }
    }

    fuzz_env_free(&ctx);

    return 0;
}


/* "name":"<the 32 hex digits of bytes>" somewhere in the input, in either
 * case (an escaped name or value the parser decoded is not looked for:
 * the oracle then passes only when the plain form is there too, and a
 * parser that made up bytes is still caught by most inputs) */

static int
fuzz_keys_has(const uint8_t *data, size_t size, const char *name,
    const u_char *bytes)
{
    char         want[64];
    size_t       n, i, j;
    static char  hex[] = "0123456789abcdef";

    n = (size_t) snprintf(want, sizeof(want), "\"%s\"", name);

    for (i = 0; i + n <= size; i++) {
        if (memcmp(data + i, want, n) != 0) {
            continue;
        }

        /* the value: past spaces and the colon, the string's digits */
        for (j = i + n; j < size && strchr(" \t\r\n:", data[j]) != NULL;
             j++)
        {
            /* void */
        }

        if (j + 34 > size || data[j] != '"' || data[j + 33] != '"') {
            continue;
        }

        for (n = 0; n < 32; n++) {
            if ((data[j + 1 + n] | 0x20)
                != hex[(bytes[n / 2] >> ((n & 1) ? 0 : 4)) & 0x0f])
            {
                break;
            }
        }

        if (n == 32) {
            return 1;
        }

        n = strlen(want);
    }

    /* written with escapes only: not checked */
    for (i = 0; i < size; i++) {
        if (data[i] == '\\') {
            return 1;
        }
    }

    return 0;
}


/* a system's data, in base64 again, is in the input (or the input has
 * escapes, which the parser decoded first) */

static int
fuzz_keys_data(const uint8_t *data, size_t size, const vod_str_t *pssh)
{
    u_char  b64[4 * VOD_KEYS_MAX_PSSH / 3 + 4], *p;

    if (pssh->len == 0) {
        return 1;
    }

    if (memchr(data, '\\', size) != NULL) {
        return 1;
    }

    p = vod_protect_base64(b64, pssh->data, pssh->len);

    return memmem(data, size, b64, p - b64) != NULL;
}
