/*
 * pb_jwt_flat.c: pb_jwt_verify() over a caller's scratch buffer.
 */

#include "pb_jwt_flat.h"


typedef struct {
    vod_env_t   env;                  /* first: the core's view */
    u_char     *pos;
    u_char     *last;
} pb_jwt_flat_env_t;


static void *pb_jwt_flat_alloc(vod_env_t *env, size_t size);
static void pb_jwt_flat_log(vod_env_t *env, const char *fmt, ...);


int
pb_jwt_verify_flat(const u_char *token, size_t len,
    const pb_jwt_key_t *keys, size_t nkeys, int64_t now, int64_t leeway,
    u_char *scratch, size_t scratch_size, pb_jwt_claims_t *claims,
    const char **err)
{
    int                 rc;
    pb_jwt_verify_t     v;
    pb_jwt_flat_env_t   fe;

    memset(&fe, 0, sizeof(pb_jwt_flat_env_t));
    fe.env.alloc = pb_jwt_flat_alloc;
    fe.env.log = pb_jwt_flat_log;
    fe.pos = scratch;
    fe.last = scratch + scratch_size;

    memset(&v, 0, sizeof(pb_jwt_verify_t));
    v.keys = keys;
    v.nkeys = nkeys;
    v.now = now;
    v.leeway = leeway;

    rc = pb_jwt_verify(&fe.env, &v, token, len, claims);

    if (err != NULL) {
        *err = v.err;
    }

    return rc;
}


static void *
pb_jwt_flat_alloc(vod_env_t *env, size_t size)
{
    pb_jwt_flat_env_t *fe = (pb_jwt_flat_env_t *) env;

    u_char     *p;
    uintptr_t   a;

    a = ((uintptr_t) fe->pos + 7) & ~(uintptr_t) 7;
    p = (u_char *) a;

    if (p > fe->last || size > (size_t) (fe->last - p)) {
        return NULL;
    }

    fe->pos = p + size;

    return p;
}


static void
pb_jwt_flat_log(vod_env_t *env, const char *fmt, ...)
{
    /* the status and err say why; a host logs them as it likes */
}
