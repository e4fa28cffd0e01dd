/*
 * pb_jwt.c: HS256 JWTs for signed URLs: verification, claims, path and
 * address checks, minting.  See pb_jwt.h.
 */

#include <stdio.h>
#include <stdlib.h>
#include <arpa/inet.h>
#include <sys/socket.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/params.h>

#include "pb_base64url.h"
#include "pb_jwt.h"
#include "vod_json.h"


#define PB_JWT_JSON_DEPTH   8
#define PB_JWT_JSON_NODES   128


static int pb_jwt_parse_json(vod_env_t *env, const u_char *b64, size_t len,
    vod_json_t **root, pb_jwt_verify_t *v);
static int pb_jwt_has_duplicates(const vod_json_t *obj);
static int pb_jwt_str_eq(const vod_str_t *s, const char *c);
static int pb_jwt_string_claim(const vod_json_t *obj, const char *name,
    vod_str_t *out, pb_jwt_verify_t *v);
static int pb_jwt_profiles_claim(vod_env_t *env, const vod_json_t *obj,
    pb_jwt_claims_t *claims, pb_jwt_verify_t *v);
static int pb_jwt_aud_claim(const vod_json_t *obj, pb_jwt_claims_t *claims,
    pb_jwt_verify_t *v);
static unsigned pb_jwt_aud_value(const vod_str_t *s);
static int pb_jwt_hmac(const pb_jwt_key_t *key, const u_char *data,
    size_t len, u_char *mac);
static u_char *pb_jwt_json_string(u_char *p, const char *name,
    const vod_str_t *value);
static u_char *pb_jwt_json_int(u_char *p, const char *name, int64_t value);
static u_char *pb_jwt_json_escape(u_char *p, const vod_str_t *value);


static const char  *pb_jwt_reasons[] = {
    "OK",
    "missing",
    "malformed",
    "bad-signature",
    "unknown-kid",
    "expired",
    "not-yet-valid",
    "wrong-path",
    "wrong-ip",
    "error",
    "wrong-audience"
};


const char *
pb_jwt_reason(int status)
{
    if (status < 0 || status > PB_JWT_WRONG_AUDIENCE) {
        return "error";
    }

    return pb_jwt_reasons[status];
}


int
pb_jwt_verify(vod_env_t *env, pb_jwt_verify_t *v, const u_char *token,
    size_t len, pb_jwt_claims_t *claims)
{
    int                  rc;
    size_t               i, max, dot1, dot2;
    ssize_t              n;
    u_char               mac[PB_JWT_MAC_LEN];
    u_char               sig[PB_JWT_MAC_LEN + 3];
    vod_str_t            alg, typ;
    vod_json_t          *header, *payload, *node;
    const pb_jwt_key_t  *key;

    memset(claims, 0, sizeof(pb_jwt_claims_t));
    v->err = NULL;

    if (len == 0) {
        v->err = "no token";
        return PB_JWT_MISSING;
    }

    max = v->max_length ? v->max_length : PB_JWT_MAX_LENGTH;

    if (len > max) {
        v->err = "token too long";
        return PB_JWT_MALFORMED;
    }

    /* exactly three parts: header.payload.signature */

    dot1 = 0;
    dot2 = 0;

    for (i = 0; i < len; i++) {
        if (token[i] != '.') {
            continue;
        }

        if (dot1 == 0) {
            dot1 = i;

        } else if (dot2 == 0) {
            dot2 = i;

        } else {
            v->err = "more than three parts";
            return PB_JWT_MALFORMED;
        }
    }

    if (dot1 == 0 || dot2 == 0 || dot2 == dot1 + 1) {
        v->err = "not a compact JWS";
        return PB_JWT_MALFORMED;
    }

    /* the header: alg, kid, typ, crit */

    rc = pb_jwt_parse_json(env, token, dot1, &header, v);
    if (rc != PB_JWT_OK) {
        return rc;
    }

    if (pb_jwt_has_duplicates(header)) {
        v->err = "duplicate header parameter";
        return PB_JWT_MALFORMED;
    }

    if (vod_json_get(header, "crit") != NULL) {
        v->err = "crit header parameter";
        return PB_JWT_MALFORMED;
    }

    if (pb_jwt_string_claim(header, "typ", &typ, v) != PB_JWT_OK) {
        return PB_JWT_MALFORMED;
    }

    if (typ.data != NULL
        && !(typ.len == 3 && (typ.data[0] | 0x20) == 'j'
             && (typ.data[1] | 0x20) == 'w' && (typ.data[2] | 0x20) == 't'))
    {
        v->err = "typ is not JWT";
        return PB_JWT_MALFORMED;
    }

    if (pb_jwt_string_claim(header, "alg", &alg, v) != PB_JWT_OK) {
        return PB_JWT_MALFORMED;
    }

    if (alg.data == NULL) {
        v->err = "no alg";
        return PB_JWT_MALFORMED;
    }

    if (!pb_jwt_str_eq(&alg, "HS256")) {
        v->err = "alg is not HS256";
        return PB_JWT_BAD_SIGNATURE;
    }

    if (pb_jwt_string_claim(header, "kid", &claims->kid, v) != PB_JWT_OK) {
        return PB_JWT_MALFORMED;
    }

    if (claims->kid.data == NULL) {
        v->err = "no kid";
        return PB_JWT_UNKNOWN_KID;
    }

    key = NULL;

    for (i = 0; i < v->nkeys; i++) {
        if (v->keys[i].kid.len == claims->kid.len
            && memcmp(v->keys[i].kid.data, claims->kid.data,
                      claims->kid.len) == 0)
        {
            key = &v->keys[i];
            break;
        }
    }

    if (key == NULL) {
        v->err = "kid not configured";
        return PB_JWT_UNKNOWN_KID;
    }

    /* the signature, before anything of the payload is looked at */

    if (len - dot2 - 1 != pb_base64url_encoded_len(PB_JWT_MAC_LEN)) {
        v->err = "signature is not 32 bytes";
        return PB_JWT_BAD_SIGNATURE;
    }

    n = pb_base64url_decode(sig, token + dot2 + 1, len - dot2 - 1);
    if (n != PB_JWT_MAC_LEN) {
        v->err = "signature is not base64url";
        return PB_JWT_BAD_SIGNATURE;
    }

    if (pb_jwt_hmac(key, token, dot2, mac) != 0) {
        v->err = "HMAC failed";
        return PB_JWT_ERROR;
    }

    if (CRYPTO_memcmp(mac, sig, PB_JWT_MAC_LEN) != 0) {
        v->err = "signature mismatch";
        return PB_JWT_BAD_SIGNATURE;
    }

    /* the claims */

    rc = pb_jwt_parse_json(env, token + dot1 + 1, dot2 - dot1 - 1, &payload,
                           v);
    if (rc != PB_JWT_OK) {
        return rc;
    }

    if (pb_jwt_has_duplicates(payload)) {
        v->err = "duplicate claim";
        return PB_JWT_MALFORMED;
    }

    node = vod_json_get(payload, "exp");
    if (node == NULL) {
        v->err = "no exp";
        return PB_JWT_MALFORMED;
    }

    if (node->type != VOD_JSON_NUMBER || !node->is_integer) {
        v->err = "exp is not an integer";
        return PB_JWT_MALFORMED;
    }

    claims->exp = node->integer;

    node = vod_json_get(payload, "nbf");
    if (node != NULL) {
        if (node->type != VOD_JSON_NUMBER || !node->is_integer) {
            v->err = "nbf is not an integer";
            return PB_JWT_MALFORMED;
        }

        claims->nbf = node->integer;
        claims->has_nbf = 1;
    }

    if (pb_jwt_string_claim(payload, "sub", &claims->sub, v) != PB_JWT_OK
        || pb_jwt_string_claim(payload, "path", &claims->path, v)
           != PB_JWT_OK
        || pb_jwt_string_claim(payload, "tier", &claims->tier, v)
           != PB_JWT_OK
        || pb_jwt_string_claim(payload, "sid", &claims->sid, v) != PB_JWT_OK
        || pb_jwt_string_claim(payload, "ip", &claims->ip, v) != PB_JWT_OK)
    {
        return PB_JWT_MALFORMED;
    }

    rc = pb_jwt_profiles_claim(env, payload, claims, v);
    if (rc != PB_JWT_OK) {
        return rc;
    }

    rc = pb_jwt_aud_claim(payload, claims, v);
    if (rc != PB_JWT_OK) {
        return rc;
    }

    if (claims->path.data != NULL) {
        if (claims->path.len == 0 || claims->path.data[0] != '/') {
            v->err = "path claim is not absolute";
            return PB_JWT_MALFORMED;
        }

        claims->has_path = 1;
    }

    if (claims->ip.data != NULL
        && pb_jwt_parse_cidr(claims->ip.data, claims->ip.len, &claims->cidr)
           != 0)
    {
        v->err = "ip claim is not an address or CIDR";
        return PB_JWT_MALFORMED;
    }

    return pb_jwt_check_time(claims, v->now, v->leeway, &v->err);
}


/* aud (RFC 7519, 4.1.3): a string or an array of strings, kept as
 * PB_JWT_AUD_* bits; an empty array names no audience we serve */

static int
pb_jwt_aud_claim(const vod_json_t *obj, pb_jwt_claims_t *claims,
    pb_jwt_verify_t *v)
{
    const vod_json_t  *node, *item;

    node = vod_json_get(obj, "aud");
    if (node == NULL) {
        return PB_JWT_OK;
    }

    if (node->type == VOD_JSON_STRING) {
        claims->aud = pb_jwt_aud_value(&node->str);
        return PB_JWT_OK;
    }

    if (node->type != VOD_JSON_ARRAY) {
        v->err = "aud is not a string or an array of strings";
        return PB_JWT_MALFORMED;
    }

    claims->aud = PB_JWT_AUD_OTHER;

    for (item = node->child; item != NULL; item = item->next) {
        if (item->type != VOD_JSON_STRING) {
            v->err = "aud is not a string or an array of strings";
            return PB_JWT_MALFORMED;
        }

        claims->aud |= pb_jwt_aud_value(&item->str);
    }

    if (claims->aud != PB_JWT_AUD_OTHER) {
        claims->aud &= ~PB_JWT_AUD_OTHER;
    }

    return PB_JWT_OK;
}


static unsigned
pb_jwt_aud_value(const vod_str_t *s)
{
    if (pb_jwt_str_eq(s, "media")) {
        return PB_JWT_AUD_MEDIA;
    }

    if (pb_jwt_str_eq(s, "api")) {
        return PB_JWT_AUD_API;
    }

    return PB_JWT_AUD_OTHER;
}


int
pb_jwt_check_audience(const pb_jwt_claims_t *claims, unsigned use)
{
    if (claims->aud & use) {
        return PB_JWT_OK;
    }

    if (claims->aud == 0 && use == PB_JWT_AUD_MEDIA) {
        return PB_JWT_OK;
    }

    return PB_JWT_WRONG_AUDIENCE;
}


int
pb_jwt_check_time(const pb_jwt_claims_t *claims, int64_t now,
    int64_t leeway, const char **err)
{
    /* with leeway both ways; now - leeway cannot overflow */

    if (now - leeway >= claims->exp) {
        *err = "exp passed";
        return PB_JWT_EXPIRED;
    }

    if (claims->has_nbf && now + leeway < claims->nbf) {
        *err = "nbf not reached";
        return PB_JWT_NOT_YET_VALID;
    }

    return PB_JWT_OK;
}


static int
pb_jwt_parse_json(vod_env_t *env, const u_char *b64, size_t len,
    vod_json_t **root, pb_jwt_verify_t *v)
{
    int                 rc;
    u_char             *buf;
    ssize_t             n;
    vod_json_limits_t   limits;

    buf = env->alloc(env, pb_base64url_decoded_len(len));
    if (buf == NULL) {
        v->err = "out of memory";
        return PB_JWT_ERROR;
    }

    n = pb_base64url_decode(buf, b64, len);
    if (n <= 0) {
        v->err = "part is not base64url";
        return PB_JWT_MALFORMED;
    }

    memset(&limits, 0, sizeof(vod_json_limits_t));
    limits.max_depth = PB_JWT_JSON_DEPTH;
    limits.max_nodes = PB_JWT_JSON_NODES;

    rc = vod_json_parse(env, buf, (size_t) n, &limits, root);

    if (rc == VOD_ERROR) {
        v->err = "out of memory";
        return PB_JWT_ERROR;
    }

    if (rc != VOD_OK) {
        v->err = "part is not JSON";
        return PB_JWT_MALFORMED;
    }

    if ((*root)->type != VOD_JSON_OBJECT) {
        v->err = "part is not a JSON object";
        return PB_JWT_MALFORMED;
    }

    return PB_JWT_OK;
}


static int
pb_jwt_has_duplicates(const vod_json_t *obj)
{
    const vod_json_t  *a, *b;

    for (a = obj->child; a != NULL; a = a->next) {
        for (b = a->next; b != NULL; b = b->next) {
            if (a->key.len == b->key.len
                && memcmp(a->key.data, b->key.data, a->key.len) == 0)
            {
                return 1;
            }
        }
    }

    return 0;
}


static int
pb_jwt_str_eq(const vod_str_t *s, const char *c)
{
    size_t  n;

    n = strlen(c);

    return s->len == n && memcmp(s->data, c, n) == 0;
}


static int
pb_jwt_string_claim(const vod_json_t *obj, const char *name, vod_str_t *out,
    pb_jwt_verify_t *v)
{
    size_t             i;
    const vod_json_t  *node;

    out->data = NULL;
    out->len = 0;

    node = vod_json_get(obj, name);
    if (node == NULL) {
        return PB_JWT_OK;
    }

    if (node->type != VOD_JSON_STRING) {
        v->err = "a claim or header parameter is not a string";
        return PB_JWT_MALFORMED;
    }

    /* no NUL or control characters: the values reach logs and headers */

    for (i = 0; i < node->str.len; i++) {
        if (node->str.data[i] < 0x20 || node->str.data[i] == 0x7f) {
            v->err = "a claim or header parameter has a control character";
            return PB_JWT_MALFORMED;
        }
    }

    *out = node->str;

    if (out->data == NULL) {
        out->data = (u_char *) "";
    }

    return PB_JWT_OK;
}


/* "profiles": ["p1", "p2"]: non-empty strings without control characters;
 * an empty array is allowed (an account with no profile yet) */

static int
pb_jwt_profiles_claim(vod_env_t *env, const vod_json_t *obj,
    pb_jwt_claims_t *claims, pb_jwt_verify_t *v)
{
    size_t             n, i;
    const vod_json_t  *node, *item;

    node = vod_json_get(obj, "profiles");
    if (node == NULL) {
        return PB_JWT_OK;
    }

    if (node->type != VOD_JSON_ARRAY) {
        v->err = "profiles claim is not an array";
        return PB_JWT_MALFORMED;
    }

    n = 0;

    for (item = node->child; item != NULL; item = item->next) {
        if (item->type != VOD_JSON_STRING || item->str.len == 0) {
            v->err = "profiles claim has an item that is not a string";
            return PB_JWT_MALFORMED;
        }

        for (i = 0; i < item->str.len; i++) {
            if (item->str.data[i] < 0x20 || item->str.data[i] == 0x7f) {
                v->err = "profiles claim has a control character";
                return PB_JWT_MALFORMED;
            }
        }

        if (++n > PB_JWT_PROFILES_MAX) {
            v->err = "profiles claim has too many items";
            return PB_JWT_MALFORMED;
        }
    }

    /* one element at least, so that an empty claim is not NULL */

    claims->profiles = env->alloc(env, (n ? n : 1) * sizeof(vod_str_t));
    if (claims->profiles == NULL) {
        v->err = "out of memory";
        return PB_JWT_ERROR;
    }

    n = 0;

    for (item = node->child; item != NULL; item = item->next) {
        claims->profiles[n++] = item->str;
    }

    claims->nprofiles = n;

    return PB_JWT_OK;
}


int
pb_jwt_has_profile(const pb_jwt_claims_t *claims, const u_char *profile,
    size_t len)
{
    size_t  i;

    for (i = 0; i < claims->nprofiles; i++) {
        if (claims->profiles[i].len == len
            && memcmp(claims->profiles[i].data, profile, len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


static int
pb_jwt_hmac(const pb_jwt_key_t *key, const u_char *data, size_t len,
    u_char *mac)
{
    size_t         out;
    unsigned int   n;
    EVP_MAC_CTX   *ctx;

    ctx = key->mac;

    if (ctx != NULL) {
        /* no key: the one set by pb_jwt_key_prepare() again */
        if (EVP_MAC_init(ctx, NULL, 0, NULL) != 1
            || EVP_MAC_update(ctx, data, len) != 1
            || EVP_MAC_final(ctx, mac, &out, PB_JWT_MAC_LEN) != 1
            || out != PB_JWT_MAC_LEN)
        {
            return -1;
        }

        return 0;
    }

    n = PB_JWT_MAC_LEN;

    if (HMAC(EVP_sha256(), key->secret.data, (int) key->secret.len, data,
             len, mac, &n)
        == NULL || n != PB_JWT_MAC_LEN)
    {
        return -1;
    }

    return 0;
}


int
pb_jwt_key_prepare(pb_jwt_key_t *key)
{
    EVP_MAC      *hmac;
    OSSL_PARAM    params[2];
    EVP_MAC_CTX  *ctx;

    key->mac = NULL;

    hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
    if (hmac == NULL) {
        return -1;
    }

    ctx = EVP_MAC_CTX_new(hmac);
    EVP_MAC_free(hmac);                 /* ctx holds its own reference */

    if (ctx == NULL) {
        return -1;
    }

    params[0] = OSSL_PARAM_construct_utf8_string("digest", (char *) "SHA256",
                                                 0);
    params[1] = OSSL_PARAM_construct_end();

    if (EVP_MAC_init(ctx, key->secret.data, key->secret.len, params) != 1) {
        EVP_MAC_CTX_free(ctx);
        return -1;
    }

    key->mac = ctx;

    return 0;
}


void
pb_jwt_mac_free(void *mac)
{
    EVP_MAC_CTX_free(mac);
}


int
pb_jwt_check_path(const pb_jwt_claims_t *claims, const u_char *path,
    size_t len)
{
    const vod_str_t  *p;

    if (!claims->has_path) {
        return PB_JWT_WRONG_PATH;
    }

    p = &claims->path;

    if (len < p->len || memcmp(path, p->data, p->len) != 0) {
        return PB_JWT_WRONG_PATH;
    }

    if (len == p->len || p->data[p->len - 1] == '/' || path[p->len] == '/') {
        return PB_JWT_OK;
    }

    return PB_JWT_WRONG_PATH;
}


int
pb_jwt_check_ip(const pb_jwt_claims_t *claims, int family,
    const u_char *addr)
{
    size_t                i, bytes;
    u_char                mask;
    const pb_jwt_cidr_t  *c;

    static const u_char   mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                                         0xff, 0xff };

    c = &claims->cidr;

    if (c->family == 0) {
        return PB_JWT_OK;
    }

    if (family == 6 && memcmp(addr, mapped, 12) == 0) {
        family = 4;
        addr += 12;
    }

    if (family != c->family) {
        return PB_JWT_WRONG_IP;
    }

    bytes = c->bits / 8;

    for (i = 0; i < bytes; i++) {
        if (addr[i] != c->addr[i]) {
            return PB_JWT_WRONG_IP;
        }
    }

    if (c->bits % 8) {
        mask = (u_char) (0xff << (8 - c->bits % 8));

        if ((addr[bytes] & mask) != c->addr[bytes]) {
            return PB_JWT_WRONG_IP;
        }
    }

    return PB_JWT_OK;
}


int
pb_jwt_parse_cidr(const u_char *text, size_t len, pb_jwt_cidr_t *cidr)
{
    char          buf[64];
    size_t        i, alen, bits, max;
    u_char        mask;
    const u_char *slash;

    memset(cidr, 0, sizeof(pb_jwt_cidr_t));

    slash = memchr(text, '/', len);
    alen = slash ? (size_t) (slash - text) : len;

    if (alen == 0 || alen >= sizeof(buf)) {
        return -1;
    }

    memcpy(buf, text, alen);
    buf[alen] = '\0';

    if (memchr(buf, ':', alen) != NULL) {
        if (inet_pton(AF_INET6, buf, cidr->addr) != 1) {
            return -1;
        }

        cidr->family = 6;
        max = 128;

    } else {
        if (inet_pton(AF_INET, buf, cidr->addr) != 1) {
            return -1;
        }

        cidr->family = 4;
        max = 32;
    }

    bits = max;

    if (slash != NULL) {
        if (slash + 1 == text + len || len - alen - 1 > 3) {
            return -1;
        }

        bits = 0;

        for (i = alen + 1; i < len; i++) {
            if (text[i] < '0' || text[i] > '9') {
                return -1;
            }

            bits = bits * 10 + (text[i] - '0');
        }

        if (bits > max) {
            return -1;
        }
    }

    cidr->bits = (u_char) bits;

    /* clear the host bits so that the comparison is a plain one */

    for (i = 0; i < 16; i++) {
        if (i * 8 >= bits) {
            cidr->addr[i] = 0;

        } else if (i * 8 + 8 > bits) {
            mask = (u_char) (0xff << (8 - bits % 8));
            cidr->addr[i] &= mask;
        }
    }

    return 0;
}


static int
pb_jwt_hex(u_char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
pb_jwt_normalize_path(const u_char *in, size_t len, int decode, u_char *out,
    size_t *out_len)
{
    int      hi, lo;
    size_t   i, o, seg;
    u_char   c;

    if (len == 0 || in[0] != '/') {
        return PB_JWT_WRONG_PATH;
    }

    /* out[0..o) is always "/" followed by complete segments each ending
     * in '/', or the current segment being written after them */

    out[0] = '/';
    o = 1;
    seg = 1;
    i = 1;

    for ( ;; ) {
        if (i == len || in[i] == '/') {

            /* a segment ends at out[seg..o) */

            if (o == seg) {
                /* empty: "//" collapsed */

            } else if (o - seg == 1 && out[seg] == '.') {
                o = seg;

            } else if (o - seg == 2 && out[seg] == '.' && out[seg + 1] == '.')
            {
                if (seg == 1) {
                    return PB_JWT_WRONG_PATH;
                }

                /* drop the segment before: back to the '/' ending it */

                o = seg - 1;
                while (out[o - 1] != '/') {
                    o--;
                }

            } else if (i < len) {
                out[o++] = '/';
            }

            seg = o;

            if (i == len) {
                break;
            }

            i++;
            continue;
        }

        c = in[i++];

        if (c == '%' && decode) {
            if (len - i < 2) {
                return PB_JWT_WRONG_PATH;
            }

            hi = pb_jwt_hex(in[i]);
            lo = pb_jwt_hex(in[i + 1]);

            if (hi < 0 || lo < 0) {
                return PB_JWT_WRONG_PATH;
            }

            c = (u_char) (hi * 16 + lo);
            i += 2;

            if (c == '/') {
                return PB_JWT_WRONG_PATH;
            }
        }

        if (c == '\\' || c == '\0') {
            return PB_JWT_WRONG_PATH;
        }

        out[o++] = c;
    }

    *out_len = o;

    return PB_JWT_OK;
}


size_t
pb_jwt_mint_size(const pb_jwt_mint_t *m)
{
    size_t  i, header, payload;

    /* every string byte may become a 6-byte \u00XX escape */

    header = sizeof("{\"alg\":\"HS256\",\"typ\":\"JWT\",\"kid\":\"\"}")
             + 6 * m->kid.len;

    payload = sizeof("{\"exp\":,\"nbf\":,\"sub\":\"\",\"path\":\"\","
                     "\"tier\":\"\",\"sid\":\"\",\"ip\":\"\","
                     "\"profiles\":[],\"aud\":[\"media\",\"api\"],")
              + 2 * 21
              + 6 * (m->sub.len + m->path.len + m->tier.len + m->sid.len
                     + m->ip.len);

    for (i = 0; m->profiles != NULL && i < m->nprofiles; i++) {
        payload += sizeof("\"\",") + 6 * m->profiles[i].len;
    }

    return pb_base64url_encoded_len(header) + 1
           + pb_base64url_encoded_len(payload) + 1
           + pb_base64url_encoded_len(PB_JWT_MAC_LEN);
}


int
pb_jwt_mint(const pb_jwt_mint_t *m, u_char *out, size_t size, size_t *len)
{
    int            rc;
    size_t         i, n, hlen, plen, need;
    u_char        *json, *p, *o;
    u_char         mac[PB_JWT_MAC_LEN];
    pb_jwt_key_t   mkey;

    if (m->secret.len < PB_JWT_KEY_MIN || m->secret.len > PB_JWT_KEY_MAX
        || m->kid.len == 0 || m->kid.len > PB_JWT_KID_MAX)
    {
        return PB_JWT_ERROR;
    }

    need = pb_jwt_mint_size(m);
    if (size < need) {
        return PB_JWT_ERROR;
    }

    /* the JSON texts are built apart, then encoded into out */

    json = malloc(need);
    if (json == NULL) {
        return PB_JWT_ERROR;
    }

    p = json;
    n = sizeof("{\"alg\":\"HS256\",\"typ\":\"JWT\",") - 1;
    p = (u_char *) memcpy(p, "{\"alg\":\"HS256\",\"typ\":\"JWT\",", n) + n;
    p = pb_jwt_json_string(p, "kid", &m->kid);
    p[-1] = '}';
    hlen = p - json;

    o = out;
    o += pb_base64url_encode(o, json, hlen);
    *o++ = '.';

    p = json;
    *p++ = '{';
    p = pb_jwt_json_int(p, "exp", m->exp);

    if (m->nbf != 0) {
        p = pb_jwt_json_int(p, "nbf", m->nbf);
    }

    p = pb_jwt_json_string(p, "sub", &m->sub);
    p = pb_jwt_json_string(p, "path", &m->path);
    p = pb_jwt_json_string(p, "tier", &m->tier);
    p = pb_jwt_json_string(p, "sid", &m->sid);
    p = pb_jwt_json_string(p, "ip", &m->ip);

    if (m->profiles != NULL) {
        n = sizeof("\"profiles\":[") - 1;
        p = (u_char *) memcpy(p, "\"profiles\":[", n) + n;

        for (i = 0; i < m->nprofiles; i++) {
            if (i > 0) {
                *p++ = ',';
            }

            p = pb_jwt_json_escape(p, &m->profiles[i]);
        }

        *p++ = ']';
        *p++ = ',';
    }

    /* one audience as a string, both as an array */

    if ((m->aud & (PB_JWT_AUD_MEDIA | PB_JWT_AUD_API))
        == (PB_JWT_AUD_MEDIA | PB_JWT_AUD_API))
    {
        n = sizeof("\"aud\":[\"media\",\"api\"],") - 1;
        p = (u_char *) memcpy(p, "\"aud\":[\"media\",\"api\"],", n) + n;

    } else if (m->aud & PB_JWT_AUD_MEDIA) {
        n = sizeof("\"aud\":\"media\",") - 1;
        p = (u_char *) memcpy(p, "\"aud\":\"media\",", n) + n;

    } else if (m->aud & PB_JWT_AUD_API) {
        n = sizeof("\"aud\":\"api\",") - 1;
        p = (u_char *) memcpy(p, "\"aud\":\"api\",", n) + n;
    }

    p[-1] = '}';
    plen = p - json;

    o += pb_base64url_encode(o, json, plen);

    free(json);

    mkey.secret = m->secret;
    mkey.mac = NULL;

    rc = pb_jwt_hmac(&mkey, out, o - out, mac);
    if (rc != 0) {
        return PB_JWT_ERROR;
    }

    *o++ = '.';
    o += pb_base64url_encode(o, mac, PB_JWT_MAC_LEN);

    *len = o - out;

    return PB_JWT_OK;
}


static u_char *
pb_jwt_json_string(u_char *p, const char *name, const vod_str_t *value)
{
    if (value->data == NULL) {
        return p;
    }

    *p++ = '"';
    p = (u_char *) memcpy(p, name, strlen(name)) + strlen(name);
    *p++ = '"';
    *p++ = ':';
    p = pb_jwt_json_escape(p, value);
    *p++ = ',';

    return p;
}


/* value as a JSON string, quotes included */

static u_char *
pb_jwt_json_escape(u_char *p, const vod_str_t *value)
{
    size_t   i;
    u_char   c;

    static const u_char  hex[] = "0123456789abcdef";

    *p++ = '"';

    for (i = 0; i < value->len; i++) {
        c = value->data[i];

        if (c == '"' || c == '\\') {
            *p++ = '\\';
            *p++ = c;

        } else if (c < 0x20 || c == 0x7f) {
            *p++ = '\\';
            *p++ = 'u';
            *p++ = '0';
            *p++ = '0';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 0x0f];

        } else {
            *p++ = c;
        }
    }

    *p++ = '"';

    return p;
}


static u_char *
pb_jwt_json_int(u_char *p, const char *name, int64_t value)
{
    int   n;

    n = sprintf((char *) p, "\"%s\":%lld,", name, (long long) value);

    return p + n;
}


ssize_t
pb_key_decode(u_char *key, const u_char *text, size_t len)
{
    ssize_t        n;
    const u_char  *p, *last;

    p = text;
    last = text + len;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
    {
        p++;
    }

    while (last > p
           && (last[-1] == ' ' || last[-1] == '\t' || last[-1] == '\r'
               || last[-1] == '\n' || last[-1] == '='))
    {
        last--;
    }

    if (p == last) {
        return PB_KEY_EMPTY;
    }

    /* checked before decoding, so key never overflows */
    if (pb_base64url_decoded_len((size_t) (last - p)) > PB_KEY_BUF) {
        return PB_KEY_BAD_SIZE;
    }

    n = pb_base64url_decode(key, p, (size_t) (last - p));

    if (n < 0) {
        return PB_KEY_NOT_BASE64URL;
    }

    if (n < PB_JWT_KEY_MIN || n > PB_JWT_KEY_MAX) {
        return PB_KEY_BAD_SIZE;
    }

    return n;
}
