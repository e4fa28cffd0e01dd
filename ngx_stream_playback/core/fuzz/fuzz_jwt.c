/*
 * fuzz_jwt.c: libFuzzer target for pb_jwt: the input is verified as a
 * token, normalised as a path (decoding and not) and parsed as a CIDR; a
 * token that verifies is checked against the input as a path and minted
 * again.  Every allocation is freed after each input.
 */

#include <stdlib.h>

#include "pb_base64url.h"
#include "pb_jwt.h"
#include "fuzz/fuzz_env.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* the HS256 key of RFC 7515, appendix A.1, which signs the seeds in
 * seeds/fuzz_jwt (test/pb_vectors.h), so that inputs reach the claims */

static u_char  fuzz_jwt_secret[64] = {
    0x03, 0x23, 0x35, 0x4b, 0x2b, 0x0f, 0xa5, 0xbc, 0x83, 0x7e, 0x06, 0x65,
    0x77, 0x7b, 0xa6, 0x8f, 0x5a, 0xb3, 0x28, 0xe6, 0xf0, 0x54, 0xc9, 0x28,
    0xa9, 0x0f, 0x84, 0xb2, 0xd2, 0x50, 0x2e, 0xbf, 0xd3, 0xfb, 0x5a, 0x92,
    0xd2, 0x06, 0x47, 0xef, 0x96, 0x8a, 0xb4, 0xc3, 0x77, 0x62, 0x3d, 0x22,
    0x3d, 0x2e, 0x21, 0x72, 0x05, 0x2e, 0x4f, 0x08, 0xc0, 0xcd, 0x9a, 0xf5,
    0x67, 0xd0, 0x80, 0xa3
};


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                rc;
    u_char            *buf, *out, *tok;
    size_t             len, n;
    unsigned           aud;
    vod_env_t          env;
    pb_jwt_key_t       key;
    pb_jwt_mint_t      m;
    pb_jwt_cidr_t      cidr;
    pb_jwt_verify_t    v;
    fuzz_ctx_t         ctx;
    pb_jwt_claims_t    claims;

    fuzz_env_init(&env, &ctx, data, size);

    /* an exact-size copy: ASan catches a read past the end */

    buf = malloc(size ? size : 1);
    if (buf == NULL) {
        return 0;
    }

    memcpy(buf, data, size);

    key.kid.data = (u_char *) "k1";
    key.kid.len = 2;
    key.secret.data = fuzz_jwt_secret;
    key.secret.len = sizeof(fuzz_jwt_secret);
    key.mac = NULL;

    memset(&v, 0, sizeof(pb_jwt_verify_t));
    v.keys = &key;
    v.nkeys = 1;
    v.now = 1700000000;
    v.leeway = 30;

    rc = pb_jwt_verify(&env, &v, buf, size, &claims);

    out = malloc(size + 1);

    if (out != NULL) {
        (void) pb_jwt_normalize_path(buf, size, 0, out, &len);

        if (pb_jwt_normalize_path(buf, size, 1, out, &len) == PB_JWT_OK
            && rc == PB_JWT_OK)
        {
            (void) pb_jwt_check_path(&claims, out, len);
        }

        free(out);
    }

    if (pb_jwt_parse_cidr(buf, size, &cidr) == 0) {
        claims.cidr = cidr;
        (void) pb_jwt_check_ip(&claims, cidr.family, cidr.addr);
    }

    if (rc == PB_JWT_OK) {
        /* what verified mints and verifies again */

        memset(&m, 0, sizeof(pb_jwt_mint_t));
        m.kid = claims.kid;
        m.secret = key.secret;
        m.exp = claims.exp;
        m.nbf = claims.has_nbf ? claims.nbf : 0;
        m.sub = claims.sub;
        m.path = claims.path;
        m.tier = claims.tier;
        m.sid = claims.sid;
        m.ip = claims.ip;
        m.profiles = claims.profiles;
        m.nprofiles = claims.nprofiles;
        m.aud = claims.aud & (PB_JWT_AUD_MEDIA | PB_JWT_AUD_API);
        aud = m.aud;

        (void) pb_jwt_check_audience(&claims, PB_JWT_AUD_MEDIA);
        (void) pb_jwt_check_audience(&claims, PB_JWT_AUD_API);

        n = pb_jwt_mint_size(&m);
        tok = malloc(n);

        if (tok != NULL) {
            if (pb_jwt_mint(&m, tok, n, &len) != PB_JWT_OK) {
                abort();
            }

            v.max_length = PB_JWT_MAX_LENGTH_LIMIT;

            if (len <= v.max_length && m.nbf == claims.nbf) {
                if (pb_jwt_verify(&env, &v, tok, len, &claims) != PB_JWT_OK)
                {
                    abort();
                }

                /* the audiences minted are those read back */

                if (claims.aud != aud) {
                    abort();
                }
            }

            free(tok);
        }
    }

    fuzz_env_free(&ctx);

    free(buf);

    return 0;
}
