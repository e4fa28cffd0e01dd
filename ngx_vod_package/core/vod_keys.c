/*
 * vod_keys.c: a key service's answer (vod_keys.h).  The JSON is the
 * shared kit's parser's (vod_json.h); this file checks each member the
 * packager uses and turns its hex into bytes.
 */

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "vod_keys.h"
#include "vod_json.h"


/* an answer is a flat object: no reason for more */
#define VOD_KEYS_MAX_DEPTH   4
#define VOD_KEYS_MAX_NODES   256


static int vod_keys_fail(vod_env_t *env, vod_keys_t *keys,
    const char *reason, const char *member);
static int vod_keys_hex(vod_env_t *env, vod_keys_t *keys, vod_json_t *root,
    const char *name, u_char *out, size_t size, int required);
static int vod_keys_ttl(vod_env_t *env, vod_keys_t *keys, vod_json_t *root);


int
vod_keys_parse(vod_env_t *env, const u_char *buf, size_t len,
    vod_keys_t *keys)
{
    int                 rc;
    u_char              md[EVP_MAX_MD_SIZE];
    unsigned int        md_len;
    vod_json_t         *root;
    vod_json_limits_t   limits;

    memset(keys, 0, sizeof(vod_keys_t));
    keys->ttl = -1;

    if (len > VOD_KEYS_MAX_BODY) {
        return vod_keys_fail(env, keys, "answer over 4096 bytes", NULL);
    }

    limits.max_depth = VOD_KEYS_MAX_DEPTH;
    limits.max_nodes = VOD_KEYS_MAX_NODES;

    rc = vod_json_parse(env, buf, len, &limits, &root);

    if (rc == VOD_BAD_DATA) {
        OPENSSL_cleanse(keys, sizeof(vod_keys_t));
        env->log(env, "key service answer: %s at byte %zu", limits.err,
                 limits.err_pos);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        OPENSSL_cleanse(keys, sizeof(vod_keys_t));
        return rc;
    }

    if (root->type != VOD_JSON_OBJECT) {
        return vod_keys_fail(env, keys, "not an object", NULL);
    }

    if (vod_keys_hex(env, keys, root, "kid", keys->kid, sizeof(keys->kid), 1)
        != VOD_OK
        || vod_keys_hex(env, keys, root, "key", keys->key, sizeof(keys->key),
                        1)
           != VOD_OK
        || vod_keys_hex(env, keys, root, "iv", keys->iv, sizeof(keys->iv), 0)
           != VOD_OK
        || vod_keys_hex(env, keys, root, "hls_key", keys->hls_key,
                        sizeof(keys->hls_key), 0)
           != VOD_OK
        || vod_keys_ttl(env, keys, root) != VOD_OK)
    {
        return VOD_BAD_DATA;
    }

    keys->has_hls_key = (vod_json_get(root, "hls_key") != NULL);

    if (vod_json_get(root, "iv") == NULL) {
        /* an IV unique to the key, the same wherever it is made */
        if (HMAC(EVP_sha256(), keys->key, sizeof(keys->key),
                 (u_char *) "vodedge-cenc-iv", sizeof("vodedge-cenc-iv") - 1,
                 md, &md_len)
            == NULL)
        {
            OPENSSL_cleanse(keys, sizeof(vod_keys_t));
            return VOD_ERROR;
        }

        memcpy(keys->iv, md, sizeof(keys->iv));
        OPENSSL_cleanse(md, sizeof(md));
    }

    return VOD_OK;
}


/* one line, and no half-filled keys left behind */

static int
vod_keys_fail(vod_env_t *env, vod_keys_t *keys, const char *reason,
    const char *member)
{
    OPENSSL_cleanse(keys, sizeof(vod_keys_t));

    if (member != NULL) {
        env->log(env, "key service answer: \"%s\" %s", member, reason);

    } else {
        env->log(env, "key service answer: %s", reason);
    }

    return VOD_BAD_DATA;
}


/* a member of exactly size * 2 hex digits, once */

static int
vod_keys_hex(vod_env_t *env, vod_keys_t *keys, vod_json_t *root,
    const char *name, u_char *out, size_t size, int required)
{
    u_char       c, v;
    size_t       i;
    uint32_t     n;
    vod_json_t  *m;

    n = vod_json_key_count(root, name);

    if (n == 0) {
        return required ? vod_keys_fail(env, keys, "is missing", name)
                        : VOD_OK;
    }

    if (n > 1) {
        return vod_keys_fail(env, keys, "is given twice", name);
    }

    m = vod_json_get(root, name);

    if (m->type != VOD_JSON_STRING) {
        return vod_keys_fail(env, keys, "is not a string", name);
    }

    if (m->str.len != size * 2) {
        return vod_keys_fail(env, keys, "is not 32 hex digits", name);
    }

    for (i = 0; i < size * 2; i++) {
        c = m->str.data[i];

        if (c >= '0' && c <= '9') {
            v = c - '0';

        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            v = (c | 0x20) - 'a' + 10;

        } else {
            return vod_keys_fail(env, keys, "is not 32 hex digits", name);
        }

        out[i / 2] = (i & 1) ? (u_char) (out[i / 2] | v) : (u_char) (v << 4);
    }

    return VOD_OK;
}


static int
vod_keys_ttl(vod_env_t *env, vod_keys_t *keys, vod_json_t *root)
{
    uint32_t     n;
    vod_json_t  *m;

    n = vod_json_key_count(root, "ttl");

    if (n == 0) {
        return VOD_OK;
    }

    m = vod_json_get(root, "ttl");

    if (n > 1) {
        return vod_keys_fail(env, keys, "is given twice", "ttl");
    }

    if (m->type != VOD_JSON_NUMBER || !m->is_integer || m->integer < 0
        || m->integer > VOD_KEYS_MAX_TTL)
    {
        return vod_keys_fail(env, keys, "is not seconds from 0 to 604800",
                             "ttl");
    }

    keys->ttl = m->integer;

    return VOD_OK;
}
