/*
 * ngx_steering_auth.c: who may read and change the caches' live state.
 * An address is not an identity (behind a proxy, realip makes every
 * client 127.0.0.1): every request to a "steering state" location is
 * signed with a key of steering_state_key_file.
 *
 *   Authorization: Steering-HMAC-SHA256 kid=K, ts=T, nonce=N, sig=S
 *
 * S is the lowercase hex HMAC-SHA256, keyed with K's secret, of
 *
 *   STEERING-HMAC-SHA256 \n K \n T \n N \n METHOD \n PATH \n BODY-HASH
 *
 * where T is the Unix time of the request in decimal (signed as sent), N
 * a one-time value (16 to 64 of [A-Za-z0-9_-]), PATH the request's path
 * as nginx routes it ($uri) and BODY-HASH the lowercase hex SHA-256 of
 * the body (of nothing for a GET).  A request is accepted when T is
 * within steering_state_max_skew of now, S matches (compared in constant
 * time), and its signature was not accepted before: accepted signatures
 * are kept in the steering zone until their T is out of the skew, so a
 * captured request cannot be sent again.  Anything else is 401 with a
 * WWW-Authenticate header and one log line that says why.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>


#define NGX_STEERING_AUTH_SCHEME     "Steering-HMAC-SHA256"
#define NGX_STEERING_AUTH_KEY_MIN    32
#define NGX_STEERING_AUTH_KEY_MAX    1024
#define NGX_STEERING_AUTH_FILE_MAX   65536
#define NGX_STEERING_AUTH_NONCE_MIN  16
#define NGX_STEERING_AUTH_NONCE_MAX  64


/* a signature accepted, in the zone until its timestamp is too old */
typedef struct {
    ngx_rbtree_node_t    node;          /* key: the MAC's first bytes */
    ngx_queue_t          queue;         /* in the order accepted */
    time_t               expires;
    u_char               mac[SHA256_DIGEST_LENGTH];
} ngx_steering_replay_t;


static const char *ngx_steering_auth_parse(ngx_http_request_t *r,
    ngx_steering_loc_conf_t *slcf, ngx_steering_auth_t *a);
static ngx_int_t ngx_steering_auth_hex(u_char *dst, u_char *src, size_t n);
static ngx_int_t ngx_steering_auth_replayed(ngx_http_request_t *r,
    ngx_steering_auth_t *a, u_char *mac);
static char *ngx_steering_key_line(ngx_conf_t *cf, ngx_array_t *keys,
    ngx_str_t *file, ngx_uint_t line, u_char *p, u_char *last);


static ngx_str_t  ngx_steering_auth_challenge =
    ngx_string(NGX_STEERING_AUTH_SCHEME " realm=\"steering state\"");


/*
 * The header's part of the check, before the body is read: a request
 * without a well-formed credential of a known key and a fresh timestamp
 * costs no body read.  NGX_OK, or NGX_DECLINED with a->reason (to be
 * refused with ngx_steering_auth_refuse()).
 */

ngx_int_t
ngx_steering_auth_header(ngx_http_request_t *r, ngx_steering_auth_t *a)
{
    ngx_steering_loc_conf_t  *slcf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_steering_module);

    a->reason = ngx_steering_auth_parse(r, slcf, a);

    return a->reason == NULL ? NGX_OK : NGX_DECLINED;
}


/*
 * The rest, with the body: the signature, then that it is new.  NGX_OK;
 * NGX_DECLINED with a->reason; NGX_BUSY when the zone has no room to
 * remember the signature (refused rather than open to a replay: 503);
 * NGX_ERROR.
 */

ngx_int_t
ngx_steering_auth_verify(ngx_http_request_t *r, ngx_steering_auth_t *a,
    u_char *body, size_t len)
{
    u_char                    *p, *data;
    size_t                     size;
    ngx_int_t                  rc;
    unsigned int               maclen;
    ngx_steering_loc_conf_t   *slcf;
    u_char                     hash[SHA256_DIGEST_LENGTH];
    u_char                     mac[EVP_MAX_MD_SIZE];

    slcf = ngx_http_get_module_loc_conf(r, ngx_steering_module);

    /* parsed again: the same header, the same answer as before the body */

    a->reason = ngx_steering_auth_parse(r, slcf, a);

    if (a->reason != NULL) {
        return NGX_DECLINED;
    }

    if (SHA256(body, len, hash) == NULL) {
        return NGX_ERROR;
    }

    size = sizeof(NGX_STEERING_AUTH_SCHEME "\n\n\n\n\n\n") - 1
           + a->key->kid.len + a->ts_text.len + a->nonce.len
           + r->method_name.len + r->uri.len + 2 * SHA256_DIGEST_LENGTH;

    data = ngx_pnalloc(r->pool, size);
    if (data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(data, "STEERING-HMAC-SHA256\n%V\n%V\n%V\n%V\n%V\n",
                    &a->key->kid, &a->ts_text, &a->nonce, &r->method_name,
                    &r->uri);
    p = ngx_hex_dump(p, hash, SHA256_DIGEST_LENGTH);

    if (HMAC(EVP_sha256(), a->key->secret.data, (int) a->key->secret.len,
             data, p - data, mac, &maclen)
        == NULL
        || maclen != SHA256_DIGEST_LENGTH)
    {
        return NGX_ERROR;
    }

    if (CRYPTO_memcmp(mac, a->sig, SHA256_DIGEST_LENGTH) != 0) {
        a->reason = "bad signature";
        return NGX_DECLINED;
    }

    rc = ngx_steering_auth_replayed(r, a, mac);

    if (rc == NGX_DECLINED) {
        a->reason = "replayed request";
    }

    return rc;
}


/* 401, the challenge, and one log line with the reason */

ngx_int_t
ngx_steering_auth_refuse(ngx_http_request_t *r, ngx_steering_auth_t *a)
{
    ngx_table_elt_t  *h;

    if (a->key != NULL) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "steering state request refused: %s (key \"%V\")",
                      a->reason, &a->key->kid);

    } else {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "steering state request refused: %s", a->reason);
    }

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = 1;
    ngx_str_set(&h->key, "WWW-Authenticate");
    h->value = ngx_steering_auth_challenge;
    r->headers_out.www_authenticate = h;

    return vodedge_json_error(r, NGX_HTTP_UNAUTHORIZED, "unauthorized",
                              a->reason);
}


/* the credential: NULL with *a filled, or why it is refused */

static const char *
ngx_steering_auth_parse(ngx_http_request_t *r, ngx_steering_loc_conf_t *slcf,
    ngx_steering_auth_t *a)
{
    u_char               c, *p, *last, *name, *value;
    size_t               n, len;
    time_t               now;
    ngx_str_t           *v, kid, ts, sig;
    ngx_uint_t           i;
    ngx_steering_key_t  *key;

    ngx_memzero(a, sizeof(ngx_steering_auth_t));

    if (r->headers_in.authorization == NULL) {
        return "no credential";
    }

    p = r->headers_in.authorization->value.data;
    last = p + r->headers_in.authorization->value.len;
    n = sizeof(NGX_STEERING_AUTH_SCHEME) - 1;

    if ((size_t) (last - p) <= n
        || ngx_strncasecmp(p, (u_char *) NGX_STEERING_AUTH_SCHEME, n) != 0
        || p[n] != ' ')
    {
        return "no credential of scheme " NGX_STEERING_AUTH_SCHEME;
    }

    p += n;

    ngx_str_null(&kid);
    ngx_str_null(&ts);
    ngx_str_null(&sig);

    /* kid=K, ts=T, nonce=N, sig=S: each once, in any order */

    for ( ;; ) {
        while (p < last && *p == ' ') {
            p++;
        }

        if (p == last) {
            break;
        }

        name = p;

        while (p < last && *p != '=') {
            p++;
        }

        if (p == last) {
            return "malformed credential";
        }

        len = p - name;
        value = ++p;

        while (p < last && *p != ',' && *p != ' ') {
            p++;
        }

        if (len == 3 && ngx_strncmp(name, "kid", 3) == 0) {
            v = &kid;

        } else if (len == 2 && ngx_strncmp(name, "ts", 2) == 0) {
            v = &ts;

        } else if (len == 5 && ngx_strncmp(name, "nonce", 5) == 0) {
            v = &a->nonce;

        } else if (len == 3 && ngx_strncmp(name, "sig", 3) == 0) {
            v = &sig;

        } else {
            return "malformed credential";
        }

        if (v->data != NULL || p == value) {
            return "malformed credential";
        }

        v->data = value;
        v->len = p - value;

        while (p < last && *p == ' ') {
            p++;
        }

        if (p < last) {
            if (*p != ',') {
                return "malformed credential";
            }

            p++;
        }
    }

    if (kid.data == NULL || ts.data == NULL || a->nonce.data == NULL
        || sig.data == NULL)
    {
        return "malformed credential";
    }

    if (a->nonce.len < NGX_STEERING_AUTH_NONCE_MIN
        || a->nonce.len > NGX_STEERING_AUTH_NONCE_MAX)
    {
        return "malformed credential";
    }

    for (i = 0; i < a->nonce.len; i++) {
        c = a->nonce.data[i];

        if (!((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z')
              || (c >= 'a' && c <= 'z') || c == '-' || c == '_'))
        {
            return "malformed credential";
        }
    }

    if (sig.len != 2 * SHA256_DIGEST_LENGTH
        || ngx_steering_auth_hex(a->sig, sig.data, SHA256_DIGEST_LENGTH)
           != NGX_OK)
    {
        return "malformed credential";
    }

    if (ts.len > 12) {
        return "malformed credential";
    }

    a->ts = ngx_atotm(ts.data, ts.len);
    a->ts_text = ts;

    if (a->ts == NGX_ERROR) {
        return "malformed credential";
    }

    key = slcf->keys->elts;

    for (i = 0; i < slcf->keys->nelts; i++) {
        if (key[i].kid.len == kid.len
            && ngx_strncmp(key[i].kid.data, kid.data, kid.len) == 0)
        {
            a->key = &key[i];
            break;
        }
    }

    if (a->key == NULL) {
        return "unknown key";
    }

    now = ngx_time();

    if (a->ts < now - slcf->max_skew || a->ts > now + slcf->max_skew) {
        return "timestamp outside steering_state_max_skew";
    }

    a->expires = a->ts + slcf->max_skew;

    return NULL;
}


static ngx_int_t
ngx_steering_auth_hex(u_char *dst, u_char *src, size_t n)
{
    ngx_int_t  hi, lo;

    while (n--) {
        hi = ngx_hextoi(src, 1);
        lo = ngx_hextoi(src + 1, 1);

        if (hi == NGX_ERROR || lo == NGX_ERROR) {
            return NGX_ERROR;
        }

        *dst++ = (u_char) (hi << 4 | lo);
        src += 2;
    }

    return NGX_OK;
}


/*
 * Remembers an accepted signature until its timestamp is out of the
 * skew: NGX_OK when it is new, NGX_DECLINED when it was accepted before,
 * NGX_BUSY when the zone has no room (logged).  Signatures whose time
 * is over go first, from the oldest accepted on.
 */

static ngx_int_t
ngx_steering_auth_replayed(ngx_http_request_t *r, ngx_steering_auth_t *a,
    u_char *mac)
{
    time_t                     now;
    ngx_queue_t               *q;
    ngx_rbtree_key_t           key;
    ngx_slab_pool_t           *shpool;
    ngx_rbtree_node_t         *node, *sentinel;
    ngx_steering_shctx_t      *sh;
    ngx_steering_replay_t     *e;
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);
    sh = smcf->sh;
    shpool = smcf->shpool;
    now = ngx_time();

    ngx_memcpy(&key, mac, sizeof(ngx_rbtree_key_t));

    ngx_shmtx_lock(&shpool->mutex);

    while (!ngx_queue_empty(&sh->replay_queue)) {
        q = ngx_queue_head(&sh->replay_queue);
        e = ngx_queue_data(q, ngx_steering_replay_t, queue);

        if (e->expires >= now) {
            break;
        }

        ngx_queue_remove(q);
        ngx_rbtree_delete(&sh->replay, &e->node);
        ngx_slab_free_locked(shpool, e);
    }

    /* keys are a MAC's first bytes: equal keys of two MACs, which the
     * descent to the right could miss after a rotation, are a 2^-64
     * chance, and an entry matches only on the whole MAC */

    node = sh->replay.root;
    sentinel = sh->replay.sentinel;

    while (node != sentinel) {

        if (key != node->key) {
            node = (key < node->key) ? node->left : node->right;
            continue;
        }

        e = (ngx_steering_replay_t *) node;

        if (ngx_memcmp(e->mac, mac, SHA256_DIGEST_LENGTH) == 0) {
            ngx_shmtx_unlock(&shpool->mutex);
            return NGX_DECLINED;
        }

        node = node->right;
    }

    e = ngx_slab_alloc_locked(shpool, sizeof(ngx_steering_replay_t));

    if (e == NULL) {
        ngx_shmtx_unlock(&shpool->mutex);
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "steering zone is full: no room to remember a state "
                      "request's signature, refused; make steering_zone "
                      "larger");
        return NGX_BUSY;
    }

    e->node.key = key;
    e->expires = a->expires;
    ngx_memcpy(e->mac, mac, SHA256_DIGEST_LENGTH);

    ngx_rbtree_insert(&sh->replay, &e->node);
    ngx_queue_insert_tail(&sh->replay_queue, &e->queue);

    ngx_shmtx_unlock(&shpool->mutex);

    return NGX_OK;
}


/*
 * steering_state_key_file FILE: a key per line, "kid secret", the
 * secret in base64url (padding allowed), 32 to 1024 bytes decoded;
 * blank lines and lines starting with # are skipped.  Read when the
 * configuration is loaded: a missing, empty or malformed file, a short
 * key or a kid twice fails nginx -t.
 */

char *
ngx_steering_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_steering_loc_conf_t *slcf = conf;

    char             *rv;
    u_char           *buf, *p, *last, *eol;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_str_t        *value, name;
    ngx_uint_t        line;
    ngx_array_t      *keys;
    ngx_file_info_t   fi;

    if (slcf->keys != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    if (ngx_conf_full_name(cf->cycle, &name, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    fd = ngx_open_file(name.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);
    if (fd == NGX_INVALID_FILE) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "steering state key file \"%V\" cannot be "
                           "opened", &name);
        return NGX_CONF_ERROR;
    }

    rv = NGX_CONF_ERROR;
    buf = NULL;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, ngx_errno,
                           "steering state key file \"%V\" cannot be read",
                           &name);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_STEERING_AUTH_FILE_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering state key file \"%V\" is larger than "
                           "%d bytes", &name, NGX_STEERING_AUTH_FILE_MAX);
        goto done;
    }

    buf = ngx_alloc((size_t) ngx_file_size(&fi) + 1, cf->log);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, buf, (size_t) ngx_file_size(&fi));

    if (n != (ssize_t) ngx_file_size(&fi)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, n < 0 ? ngx_errno : 0,
                           "steering state key file \"%V\" cannot be read",
                           &name);
        goto done;
    }

    keys = ngx_array_create(cf->pool, 2, sizeof(ngx_steering_key_t));
    if (keys == NULL) {
        goto done;
    }

    p = buf;
    last = buf + n;

    for (line = 1; p < last; line++) {
        eol = ngx_strlchr(p, last, '\n');
        if (eol == NULL) {
            eol = last;
        }

        if (ngx_steering_key_line(cf, keys, &name, line, p, eol)
            != NGX_CONF_OK)
        {
            goto done;
        }

        p = eol + 1;
    }

    if (keys->nelts == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering state key file \"%V\" has no key",
                           &name);
        goto done;
    }

    slcf->keys = keys;
    rv = NGX_CONF_OK;

done:

    if (buf != NULL) {
        /* the secrets were copied into the configuration's pool */
        ngx_explicit_memzero(buf, (size_t) ngx_file_size(&fi));
        ngx_free(buf);
    }

    (void) ngx_close_file(fd);

    return rv;
}


static char *
ngx_steering_key_line(ngx_conf_t *cf, ngx_array_t *keys, ngx_str_t *file,
    ngx_uint_t line, u_char *p, u_char *last)
{
    u_char              *kid;
    size_t               kid_len;
    ngx_str_t            b64;
    ngx_uint_t           i;
    ngx_steering_key_t  *key, *k;

    while (p < last && (*p == ' ' || *p == '\t' || *p == '\r')) {
        p++;
    }

    while (last > p && (last[-1] == ' ' || last[-1] == '\t'
                        || last[-1] == '\r'))
    {
        last--;
    }

    if (p == last || *p == '#') {
        return NGX_CONF_OK;
    }

    kid = p;

    while (p < last && *p != ' ' && *p != '\t') {
        p++;
    }

    kid_len = p - kid;

    if (!st_id_valid(kid, kid_len)) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering state key file \"%V\", line %ui: "
                           "expected \"kid secret\", kid 1 to 64 of "
                           "[A-Za-z0-9._-]", file, line);
        return NGX_CONF_ERROR;
    }

    key = keys->elts;

    for (i = 0; i < keys->nelts; i++) {
        if (key[i].kid.len == kid_len
            && ngx_strncmp(key[i].kid.data, kid, kid_len) == 0)
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "steering state key file \"%V\", line %ui: "
                               "kid \"%*s\" is duplicate", file, line,
                               kid_len, kid);
            return NGX_CONF_ERROR;
        }
    }

    while (p < last && (*p == ' ' || *p == '\t')) {
        p++;
    }

    b64.data = p;
    b64.len = last - p;

    k = ngx_array_push(keys);
    if (k == NULL) {
        return NGX_CONF_ERROR;
    }

    k->kid.len = kid_len;
    k->kid.data = ngx_pnalloc(cf->pool, kid_len);
    k->secret.data = ngx_pnalloc(cf->pool,
                                 ngx_base64_decoded_length(b64.len));

    if (k->kid.data == NULL || k->secret.data == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(k->kid.data, kid, kid_len);

    if (b64.len == 0
        || ngx_decode_base64url(&k->secret, &b64) != NGX_OK
        || k->secret.len < NGX_STEERING_AUTH_KEY_MIN
        || k->secret.len > NGX_STEERING_AUTH_KEY_MAX)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering state key file \"%V\", line %ui: the "
                           "secret of kid \"%V\" is not base64url of %d to "
                           "%d bytes", file, line, &k->kid,
                           NGX_STEERING_AUTH_KEY_MIN,
                           NGX_STEERING_AUTH_KEY_MAX);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


void
ngx_steering_auth_zone_init(ngx_steering_shctx_t *sh)
{
    ngx_rbtree_init(&sh->replay, &sh->replay_sentinel,
                    ngx_rbtree_insert_value);
    ngx_queue_init(&sh->replay_queue);
}
