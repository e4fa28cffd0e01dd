/*
 * ngx_vod_package_license.c: W3C ClearKey licences ("vod_encryption_clearkey
 * on") at the title's "clearkey" URL, the license URL the MPD names
 * (Encrypted Media Extensions, 9.1.3 and 9.1.4):
 *
 *   POST {"kids":["<base64url KID>",...],"type":"temporary"}
 *   200  {"keys":[{"kty":"oct","kid":"<KID>","k":"<key>"}],"type":"temporary"}
 *
 * with the keys of the KIDs asked for that are the title's (one, derived
 * as the segments' is); and GET {title}/aes.key, the 16 bytes of the
 * title's HLS AES-128 key (the MPEG-TS playlists' EXT-X-KEY URI).  The
 * URLs are under the title, so the edge's signed URL, tier and licensing
 * checks of the title cover them: only a viewer allowed the title gets
 * its key.  Keys are never logged.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>
#include <openssl/crypto.h>

#include "ngx_vod_package_module.h"
#include "vod_json.h"
#include "vodedge_body.h"


/* a licence request names a few KIDs: a body this large is no request */
#define NGX_VOD_LICENSE_MAX_BODY  4096
#define NGX_VOD_LICENSE_MAX_KIDS  16


static void ngx_vod_license_body(ngx_http_request_t *r);
static ngx_int_t ngx_vod_license_answer(ngx_http_request_t *r,
    u_char *body, size_t len);
static ngx_int_t ngx_vod_license_kid(ngx_str_t *b64url, u_char *kid);
static ngx_int_t ngx_vod_license_send(ngx_http_request_t *r,
    vod_protect_t *prot, const char *type);
static ngx_int_t ngx_vod_license_aes_key(ngx_http_request_t *r);
static ngx_int_t ngx_vod_license_out(ngx_http_request_t *r, ngx_str_t *type,
    ngx_buf_t *b);
static ngx_uint_t ngx_vod_license_is(ngx_http_request_t *r, ngx_str_t *name);
static ngx_int_t ngx_vod_license_title(ngx_http_request_t *r,
    ngx_str_t *name, ngx_str_t *dir);


static ngx_str_t  ngx_vod_license_name = ngx_string("/clearkey");
static ngx_str_t  ngx_vod_key_name = ngx_string("/aes.key");
static ngx_str_t  ngx_vod_type_json = ngx_string("application/json");
static ngx_str_t  ngx_vod_type_key = ngx_string("application/octet-stream");
static ngx_str_t  ngx_vod_no_store = ngx_string("no-store");


/* NGX_DECLINED when the URI is not a licence or key URL */

ngx_int_t
ngx_vod_license_handler(ngx_http_request_t *r)
{
    ngx_int_t                    rc;
    ngx_uint_t                   aes;
    ngx_vod_package_loc_conf_t  *vlcf;

    if (ngx_vod_license_is(r, &ngx_vod_key_name)) {
        aes = 1;

    } else if (ngx_vod_license_is(r, &ngx_vod_license_name)) {
        aes = 0;

    } else {
        return NGX_DECLINED;
    }

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->encryption == 0 || !vlcf->encryption_clearkey) {
        return NGX_HTTP_NOT_FOUND;
    }

    /* HLS AES-128 alone: no Common Encryption key to licence */
    if (!aes && vlcf->encryption == VOD_PROTECT_SCHEME_AES128) {
        return NGX_HTTP_NOT_FOUND;
    }

    if (aes) {
        if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
            return NGX_HTTP_NOT_ALLOWED;
        }

        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_vod_license_aes_key(r);
    }

    if (r->method != NGX_HTTP_POST) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (r->headers_in.content_length_n > NGX_VOD_LICENSE_MAX_BODY) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: clearkey licence request of %O bytes refused",
                      r->headers_in.content_length_n);
        return NGX_HTTP_REQUEST_ENTITY_TOO_LARGE;
    }

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_vod_license_body);
    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_vod_license_body(ngx_http_request_t *r)
{
    u_char     *body;
    size_t      len;
    ngx_int_t   rc;

    rc = vodedge_body_read(r, NGX_VOD_LICENSE_MAX_BODY, &body, &len);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED || len == 0) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: clearkey licence request %s",
                      (rc == NGX_DECLINED) ? "over 4096 bytes refused"
                                           : "without a body");
        ngx_http_finalize_request(r, (rc == NGX_DECLINED)
                                     ? NGX_HTTP_REQUEST_ENTITY_TOO_LARGE
                                     : NGX_HTTP_BAD_REQUEST);
        return;
    }

    ngx_http_finalize_request(r, ngx_vod_license_answer(r, body, len));
}


static ngx_int_t
ngx_vod_license_answer(ngx_http_request_t *r, u_char *body, size_t len)
{
    ngx_int_t                    rc;
    ngx_str_t                    dir, b64;
    ngx_uint_t                   i, n;
    vod_json_t                  *root_node, *kids, *kid, *type;
    ngx_vod_env_t                venv;
    vod_protect_t                prot;
    vod_json_limits_t            limits;
    u_char                       asked[NGX_VOD_LICENSE_MAX_KIDS][16];

    rc = ngx_vod_license_title(r, &ngx_vod_license_name, &dir);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_vod_env_init(&venv, r, &dir, NGX_INVALID_FILE);
    ngx_memzero(&limits, sizeof(vod_json_limits_t));
    limits.max_nodes = 64;

    if (vod_json_parse(&venv.env, body, len, &limits, &root_node) != VOD_OK
        || root_node->type != VOD_JSON_OBJECT)
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: clearkey licence request is not a JSON object");
        return NGX_HTTP_BAD_REQUEST;
    }

    kids = vod_json_get(root_node, "kids");
    type = vod_json_get(root_node, "type");

    if (kids == NULL || kids->type != VOD_JSON_ARRAY
        || kids->count > NGX_VOD_LICENSE_MAX_KIDS
        || (type != NULL && type->type != VOD_JSON_STRING))
    {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: clearkey licence request without \"kids\"");
        return NGX_HTTP_BAD_REQUEST;
    }

    /* every KID well-formed before a key is derived */

    n = 0;

    for (kid = kids->child;
         kid != NULL && n < NGX_VOD_LICENSE_MAX_KIDS;
         kid = kid->next)
    {
        b64.data = kid->str.data;
        b64.len = kid->str.len;

        if (kid->type != VOD_JSON_STRING
            || ngx_vod_license_kid(&b64, asked[n]) != NGX_OK)
        {
            ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                          "vod: clearkey licence request with a malformed "
                          "KID");
            return NGX_HTTP_BAD_REQUEST;
        }

        n++;
    }

    if (ngx_vod_protect_keys(r, &dir, &prot, NGX_VOD_KEYS_ALL) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (i = 0; i < n && ngx_memcmp(asked[i], prot.kid, 16) != 0; i++) {
        /* void */
    }

    if (i == n) {
        OPENSSL_cleanse(&prot, sizeof(vod_protect_t));
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: clearkey licence request names no KID of the "
                      "title");
        return NGX_HTTP_NOT_FOUND;
    }

    return ngx_vod_license_send(r, &prot,
                                (type != NULL
                                 && type->str.len == sizeof("persistent-"
                                                            "license") - 1
                                 && ngx_strncmp(type->str.data,
                                                "persistent-license",
                                                type->str.len) == 0)
                                ? "persistent-license" : "temporary");
}


/* a KID as base64url without padding (EME 9.1.3): 22 characters */

static ngx_int_t
ngx_vod_license_kid(ngx_str_t *b64url, u_char *kid)
{
    ngx_str_t  out;

    if (b64url->len != 22) {
        return NGX_ERROR;
    }

    out.data = kid;

    if (ngx_decode_base64url(&out, b64url) != NGX_OK || out.len != 16) {
        return NGX_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_vod_license_send(ngx_http_request_t *r, vod_protect_t *prot,
    const char *type)
{
    size_t       len;
    ngx_buf_t   *b;
    ngx_str_t    src, dst;
    u_char       kid[32], key[32];

    src.data = prot->kid;
    src.len = 16;
    dst.data = kid;
    ngx_encode_base64url(&dst, &src);
    kid[dst.len] = '\0';

    src.data = prot->key;
    dst.data = key;
    ngx_encode_base64url(&dst, &src);
    key[dst.len] = '\0';

    OPENSSL_cleanse(prot->key, sizeof(prot->key));

    OPENSSL_cleanse(prot->hls_key, sizeof(prot->hls_key));

    len = sizeof("{\"keys\":[{\"kty\":\"oct\",\"kid\":\"\",\"k\":\"\"}],"
                 "\"type\":\"\"}\n") - 1
          + 2 * 22 + ngx_strlen(type);

    b = ngx_create_temp_buf(r->pool, len);
    if (b == NULL) {
        OPENSSL_cleanse(key, sizeof(key));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_sprintf(b->last, "{\"keys\":[{\"kty\":\"oct\",\"kid\":"
                          "\"%s\",\"k\":\"%s\"}],\"type\":\"%s\"}\n", kid,
                          key, type);
    OPENSSL_cleanse(key, sizeof(key));

    return ngx_vod_license_out(r, &ngx_vod_type_json, b);
}


/* the HLS AES-128 key of the title: its 16 bytes */

static ngx_int_t
ngx_vod_license_aes_key(ngx_http_request_t *r)
{
    ngx_int_t       rc;
    ngx_str_t       dir;
    ngx_buf_t      *b;
    vod_protect_t   prot;

    rc = ngx_vod_license_title(r, &ngx_vod_key_name, &dir);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = ngx_vod_protect_keys(r, &dir, &prot, NGX_VOD_KEYS_HLS);
    if (rc != NGX_OK) {
        return rc;
    }

    b = ngx_create_temp_buf(r->pool, VOD_CENC_KEY_SIZE);
    if (b == NULL) {
        OPENSSL_cleanse(&prot, sizeof(vod_protect_t));
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    b->last = ngx_cpymem(b->last, prot.hls_key, VOD_CENC_KEY_SIZE);
    OPENSSL_cleanse(&prot, sizeof(vod_protect_t));

    return ngx_vod_license_out(r, &ngx_vod_type_key, b);
}


/* a key's response: never kept by a cache on the way */

static ngx_int_t
ngx_vod_license_out(ngx_http_request_t *r, ngx_str_t *type, ngx_buf_t *b)
{
    ngx_int_t                    rc;
    ngx_chain_t                  out;
    ngx_table_elt_t             *h;
    ngx_vod_package_loc_conf_t  *vlcf;

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = b->last - b->pos;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (ngx_vod_add_header(r, "Cache-Control", &ngx_vod_no_store, &h)
        != NGX_OK
        || (vlcf->cors_origin.len > 0
            && ngx_vod_add_header(r, "Access-Control-Allow-Origin",
                                  &vlcf->cors_origin, &h)
               != NGX_OK))
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_http_send_header(r);
    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


static ngx_uint_t
ngx_vod_license_is(ngx_http_request_t *r, ngx_str_t *name)
{
    return r->uri.len > name->len
           && ngx_strncmp(r->uri.data + r->uri.len - name->len, name->data,
                          name->len)
              == 0;
}


/* the title: the URI's directory, as the segments'; it must exist */

static ngx_int_t
ngx_vod_license_title(ngx_http_request_t *r, ngx_str_t *name,
    ngx_str_t *dir)
{
    u_char           *last;
    size_t            root;
    ngx_str_t         path;
    ngx_file_info_t   fi;

    last = ngx_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    dir->data = path.data;
    dir->len = last - path.data - name->len;
    dir->data[dir->len] = '\0';

    if (dir->len <= root || ngx_file_info(dir->data, &fi) == NGX_FILE_ERROR
        || !ngx_is_dir(&fi))
    {
        return NGX_HTTP_NOT_FOUND;
    }

    return NGX_OK;
}
