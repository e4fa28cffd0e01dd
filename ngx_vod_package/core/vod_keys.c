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
static int vod_keys_pssh(vod_env_t *env, vod_keys_t *keys, vod_json_t *root);
static int vod_keys_system(const vod_str_t *name);
static int vod_keys_base64(vod_env_t *env, const vod_str_t *in,
    vod_str_t *out);


/* the systems a "pssh" member may name: its name or its UUID */
typedef struct {
    const char   *name;
    const char   *uuid;
} vod_keys_system_t;


#define VOD_KEYS_WIDEVINE    0
#define VOD_KEYS_PLAYREADY   1
#define VOD_KEYS_COMMON      2

static const vod_keys_system_t  vod_keys_systems[] = {
    { "widevine", "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed" },
    { "playready", "9a04f079-9840-4286-ab92-e65be0885f95" },
    { "cenc", "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b" },
};


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
        return vod_keys_fail(env, keys, "answer over 8192 bytes", NULL);
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

    rc = vod_keys_pssh(env, keys, root);
    if (rc != VOD_OK) {
        return rc;
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


/*
 * "pssh": {"<system>": "<base64>", ...}: each known system once, its
 * data decoded and bounded.  VOD_ERROR (keys zeroed) when env->alloc
 * fails.
 */

static int
vod_keys_pssh(vod_env_t *env, vod_keys_t *keys, vod_json_t *root)
{
    int          sys, rc;
    size_t       max;
    uint32_t     n, seen;
    vod_str_t   *out;
    vod_json_t  *obj, *m;

    n = vod_json_key_count(root, "pssh");

    if (n == 0) {
        return VOD_OK;
    }

    if (n > 1) {
        return vod_keys_fail(env, keys, "is given twice", "pssh");
    }

    obj = vod_json_get(root, "pssh");

    if (obj->type != VOD_JSON_OBJECT) {
        return vod_keys_fail(env, keys, "is not an object", "pssh");
    }

    seen = 0;

    for (m = obj->child; m != NULL; m = m->next) {
        sys = vod_keys_system(&m->key);

        if (sys < 0) {
            return vod_keys_fail(env, keys, "names a system other than "
                                 "widevine and playready", "pssh");
        }

        if (sys == VOD_KEYS_COMMON) {
            return vod_keys_fail(env, keys, "gives the common system data: "
                                 "its box is the KIDs alone", "pssh");
        }

        if (seen & (1u << sys)) {
            return vod_keys_fail(env, keys, "names a system twice", "pssh");
        }

        seen |= 1u << sys;

        if (sys == VOD_KEYS_WIDEVINE) {
            out = &keys->widevine;
            max = VOD_KEYS_MAX_WIDEVINE;

        } else {
            out = &keys->playready;
            max = VOD_KEYS_MAX_PLAYREADY;
        }

        if (m->type != VOD_JSON_STRING) {
            return vod_keys_fail(env, keys, "has a system's data not a "
                                 "string", "pssh");
        }

        /* bounded before decoding: 4 characters are 3 bytes */
        if (m->str.len == 0 || m->str.len / 4 * 3 > max + 2) {
            return vod_keys_fail(env, keys, "has a system's data empty or "
                                 "too large", "pssh");
        }

        rc = vod_keys_base64(env, &m->str, out);

        if (rc == VOD_ERROR) {
            OPENSSL_cleanse(keys, sizeof(vod_keys_t));
            return VOD_ERROR;
        }

        if (rc != VOD_OK) {
            return vod_keys_fail(env, keys, "has a system's data not in "
                                 "base64", "pssh");
        }

        if (out->len == 0 || out->len > max) {
            return vod_keys_fail(env, keys, "has a system's data empty or "
                                 "too large", "pssh");
        }
    }

    if (keys->widevine.len + keys->playready.len > VOD_KEYS_MAX_PSSH) {
        return vod_keys_fail(env, keys, "has data over 3072 bytes in all",
                             "pssh");
    }

    /* the object's own length field: a service that sent the bare
     * WRMHEADER (or another system's data) is caught here, not by a
     * player */
    if (keys->playready.len > 0
        && (keys->playready.len < 10
            || (keys->playready.data[0]
                | (uint32_t) keys->playready.data[1] << 8
                | (uint32_t) keys->playready.data[2] << 16
                | (uint32_t) keys->playready.data[3] << 24)
               != keys->playready.len))
    {
        return vod_keys_fail(env, keys, "has PlayReady data that is not a "
                             "PlayReady Object", "pssh");
    }

    return VOD_OK;
}


/* the index of a system name, or -1 */

static int
vod_keys_system(const vod_str_t *name)
{
    u_char  c;
    size_t  i, k;

    for (i = 0; i < sizeof(vod_keys_systems) / sizeof(vod_keys_systems[0]);
         i++)
    {
        if (name->len == strlen(vod_keys_systems[i].name)
            && memcmp(name->data, vod_keys_systems[i].name, name->len) == 0)
        {
            return (int) i;
        }

        if (name->len != 36) {
            continue;
        }

        for (k = 0; k < 36; k++) {
            c = name->data[k];

            if (c >= 'A' && c <= 'F') {
                c |= 0x20;
            }

            if (c != (u_char) vod_keys_systems[i].uuid[k]) {
                break;
            }
        }

        if (k == 36) {
            return (int) i;
        }
    }

    return -1;
}


/*
 * Strict RFC 4648 section 4 base64: the standard alphabet, padded to a
 * multiple of 4, no white space, no bits set past the data.  VOD_OK,
 * VOD_BAD_DATA, or VOD_ERROR when env->alloc fails.
 */

static int
vod_keys_base64(vod_env_t *env, const vod_str_t *in, vod_str_t *out)
{
    u_char        *p, c;
    size_t         i, pad;
    uint32_t       v, d;

    if (in->len == 0 || in->len % 4 != 0) {
        return VOD_BAD_DATA;
    }

    pad = 0;

    if (in->data[in->len - 1] == '=') {
        pad = (in->data[in->len - 2] == '=') ? 2 : 1;
    }

    out->data = env->alloc(env, in->len / 4 * 3);
    if (out->data == NULL) {
        return VOD_ERROR;
    }

    p = out->data;
    v = 0;

    for (i = 0; i < in->len - pad; i++) {
        c = in->data[i];

        if (c >= 'A' && c <= 'Z') {
            d = c - 'A';

        } else if (c >= 'a' && c <= 'z') {
            d = c - 'a' + 26;

        } else if (c >= '0' && c <= '9') {
            d = c - '0' + 52;

        } else if (c == '+') {
            d = 62;

        } else if (c == '/') {
            d = 63;

        } else {
            return VOD_BAD_DATA;
        }

        v = (v << 6) | d;

        if ((i & 3) == 3) {
            *p++ = (u_char) (v >> 16);
            *p++ = (u_char) (v >> 8);
            *p++ = (u_char) v;
            v = 0;
        }
    }

    /* the last group: 2 characters are 1 byte, 3 are 2; the bits past
     * them must be 0, so that one text is one data */
    if (pad == 2) {
        if (v & 0xf) {
            return VOD_BAD_DATA;
        }

        *p++ = (u_char) (v >> 4);

    } else if (pad == 1) {
        if (v & 0x3) {
            return VOD_BAD_DATA;
        }

        *p++ = (u_char) (v >> 10);
        *p++ = (u_char) (v >> 2);
    }

    out->len = p - out->data;

    return VOD_OK;
}
