/*
 * ngx_vod_package_protect.c: Common Encryption of a location's CMAF
 * output ("vod_encryption"): its directives, a title's keys (derived from
 * the key file's secret and the title's name, vod_cenc.h, or a key
 * service's answer, ngx_vod_package_keys.c) and the plan of
 * a protected init or media segment (vod_protect.h).  A protected segment
 * is read and encrypted whole: from the page cache in the worker, from
 * the disk in a pool thread under "aio threads".
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "ngx_vod_package_module.h"
#include "vod_protect.h"
#include "vod_ts.h"
#include "vodedge_secret.h"


/* the key file: what HMAC-SHA256 takes as a key, at most */
#define NGX_VOD_SECRET_MAX  1024


static ngx_conf_enum_t  ngx_vod_encryption_schemes[] = {
    { ngx_string("off"), 0 },
    { ngx_string("cenc"), VOD_CENC_SCHEME_CENC },
    { ngx_string("cbcs"), VOD_CENC_SCHEME_CBCS },
    { ngx_string("aes-128"), VOD_PROTECT_SCHEME_AES128 },
    { ngx_null_string, 0 }
};


static ngx_conf_enum_t  ngx_vod_encryption_ts[] = {
    { ngx_string("aes-128"), NGX_VOD_TS_AES128 },
    { ngx_string("sample-aes"), NGX_VOD_TS_SAMPLE_AES },
    { ngx_null_string, 0 }
};


static ngx_conf_bitmask_t  ngx_vod_encryption_systems[] = {
    { ngx_string("cenc"), VOD_PROTECT_COMMON },
    { ngx_string("widevine"), VOD_PROTECT_WIDEVINE },
    { ngx_string("playready"), VOD_PROTECT_PLAYREADY },
    { ngx_string("fairplay"), VOD_PROTECT_FAIRPLAY },
    { ngx_null_string, 0 }
};


static uint32_t ngx_vod_protect_lead(ngx_vod_package_loc_conf_t *vlcf);
static ngx_int_t ngx_vod_protect_ts_clear(ngx_http_request_t *r,
    ngx_vod_ctx_t *ctx);


static ngx_str_t  ngx_vod_type_video = ngx_string("video/mp4");
static ngx_str_t  ngx_vod_type_audio = ngx_string("audio/mp4");


/* nginx's enum and bitmask slots would not name the directive */

char *
ngx_vod_protect_scheme(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_str_t        *value;
    ngx_conf_enum_t  *e;

    if (vlcf->encryption != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = ngx_vod_encryption_schemes; e->name.len != 0; e++) {
        if (e->name.len == value[1].len
            && ngx_strcasecmp(e->name.data, value[1].data) == 0)
        {
            vlcf->encryption = e->value;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"vod_encryption\": "
                       "use off, cenc or cbcs", &value[1]);
    return NGX_CONF_ERROR;
}


char *
ngx_vod_protect_ts(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_str_t        *value;
    ngx_conf_enum_t  *e;

    if (vlcf->encryption_ts != NGX_CONF_UNSET_UINT) {
        return "is duplicate";
    }

    value = cf->args->elts;

    for (e = ngx_vod_encryption_ts; e->name.len != 0; e++) {
        if (e->name.len == value[1].len
            && ngx_strcasecmp(e->name.data, value[1].data) == 0)
        {
            vlcf->encryption_ts = e->value;
            return NGX_CONF_OK;
        }
    }

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid value \"%V\" in \"vod_encryption_ts\": "
                       "use aes-128 or sample-aes", &value[1]);
    return NGX_CONF_ERROR;
}


char *
ngx_vod_protect_systems(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_str_t           *value;
    ngx_uint_t           i;
    ngx_conf_bitmask_t  *b;

    if (vlcf->encryption_systems != 0) {
        return "is duplicate";
    }

    value = cf->args->elts;
    vlcf->encryption_systems = NGX_CONF_BITMASK_SET;

    for (i = 1; i < cf->args->nelts; i++) {
        for (b = ngx_vod_encryption_systems; b->name.len != 0; b++) {
            if (b->name.len == value[i].len
                && ngx_strcasecmp(b->name.data, value[i].data) == 0)
            {
                break;
            }
        }

        if (b->name.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "invalid value \"%V\" in "
                               "\"vod_encryption_systems\": use cenc, "
                               "widevine, playready or fairplay",
                               &value[i]);
            return NGX_CONF_ERROR;
        }

        vlcf->encryption_systems |= b->mask;
    }

    return NGX_CONF_OK;
}


char *
ngx_vod_protect_key_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    u_char     buf[NGX_VOD_SECRET_MAX + 1];
    ssize_t    n;
    ngx_str_t  *value, name;

    if (vlcf->encryption_secret.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;
    name = value[1];

    n = vodedge_secret_read(cf, "vod_encryption_key_file", &name, buf,
                            sizeof(buf));
    if (n == NGX_ERROR) {
        return NGX_CONF_ERROR;
    }

    if (n == 0 || n > NGX_VOD_SECRET_MAX) {
        OPENSSL_cleanse(buf, sizeof(buf));
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "vod_encryption_key_file \"%V\" must hold 1 to "
                           "%d bytes", &name, NGX_VOD_SECRET_MAX);
        return NGX_CONF_ERROR;
    }

    vlcf->encryption_secret.data = ngx_pnalloc(cf->pool, n);
    if (vlcf->encryption_secret.data == NULL) {
        OPENSSL_cleanse(buf, sizeof(buf));
        return NGX_CONF_ERROR;
    }

    ngx_memcpy(vlcf->encryption_secret.data, buf, n);
    vlcf->encryption_secret.len = n;
    OPENSSL_cleanse(buf, sizeof(buf));

    return NGX_CONF_OK;
}


char *
ngx_vod_protect_merge(ngx_conf_t *cf, ngx_vod_package_loc_conf_t *prev,
    ngx_vod_package_loc_conf_t *conf)
{
    u_char        md[EVP_MAX_MD_SIZE];
    unsigned int  md_len;

    ngx_conf_merge_uint_value(conf->encryption, prev->encryption, 0);
    ngx_conf_merge_bitmask_value(conf->encryption_systems,
                                 prev->encryption_systems,
                                 (NGX_CONF_BITMASK_SET|VOD_PROTECT_COMMON));
    ngx_conf_merge_value(conf->encryption_clearkey,
                         prev->encryption_clearkey, 0);
    ngx_conf_merge_uint_value(conf->encryption_ts, prev->encryption_ts,
                              NGX_VOD_TS_AES128);

    /* a lead set here needs encryption here, set or inherited: alone it
     * would say nothing, and a typo'd location would go out clear */
    if (conf->encryption_clear_lead != NGX_CONF_UNSET_MSEC
        && conf->encryption_clear_lead != 0 && conf->encryption == 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_encryption_clear_lead\" needs "
                           "\"vod_encryption\": there is nothing to lead "
                           "into");
        return NGX_CONF_ERROR;
    }

    ngx_conf_merge_msec_value(conf->encryption_clear_lead,
                              prev->encryption_clear_lead, 0);

    /* one key source per location: the key file or the key service,
     * set here or both inherited from the level above */
    if (conf->encryption_secret.data != NULL
        && conf->key_service.data != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_encryption_key_file\" and "
                           "\"vod_encryption_key_service\" are mutually "
                           "exclusive: a location has one key source");
        return NGX_CONF_ERROR;
    }

    if (conf->encryption_secret.data == NULL
        && conf->key_service.data == NULL)
    {
        conf->encryption_secret = prev->encryption_secret;
        conf->key_service = prev->key_service;
    }

    ngx_conf_merge_ptr_value(conf->key_cache, prev->key_cache, NULL);
    ngx_conf_merge_sec_value(conf->key_cache_ttl, prev->key_cache_ttl, 60);

    if (conf->encryption != 0 && conf->encryption_secret.data == NULL
        && conf->key_service.data == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_encryption\" needs "
                           "\"vod_encryption_key_file\" or "
                           "\"vod_encryption_key_service\": there is no key "
                           "to encrypt with");
        return NGX_CONF_ERROR;
    }

    /* FairPlay decrypts AES-CBC alone */
    if ((conf->encryption_systems & VOD_PROTECT_FAIRPLAY)
        && conf->encryption != 0
        && conf->encryption != VOD_CENC_SCHEME_CBCS)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_encryption_systems fairplay\" needs "
                           "\"vod_encryption cbcs\"");
        return NGX_CONF_ERROR;
    }

    if (conf->encryption_clearkey && conf->encryption_secret.data == NULL
        && conf->key_service.data == NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"vod_encryption_clearkey on\" needs "
                           "\"vod_encryption_key_file\" or "
                           "\"vod_encryption_key_service\"");
        return NGX_CONF_ERROR;
    }

    /* the key file's fingerprint for ETags: one-way, as a KID is */
    if (conf->encryption_secret.data != NULL) {
        if (HMAC(EVP_sha256(), conf->encryption_secret.data,
                 (int) conf->encryption_secret.len,
                 (u_char *) "vodedge-etag", sizeof("vodedge-etag") - 1, md,
                 &md_len)
            == NULL)
        {
            return NGX_CONF_ERROR;
        }

        ngx_memcpy(conf->encryption_tag, md, sizeof(conf->encryption_tag));
    }

    return NGX_CONF_OK;
}


/* the title's name: the last component of its directory */

void
ngx_vod_protect_title(ngx_str_t *dir, ngx_str_t *title)
{
    u_char  *p;

    for (p = dir->data + dir->len; p > dir->data && p[-1] != '/'; p--) {
        /* void */
    }

    title->data = p;
    title->len = dir->data + dir->len - p;
}


/* the clear lead in ms as vod_protect_t holds it: a longer one is the
 * whole of any title already */

static uint32_t
ngx_vod_protect_lead(ngx_vod_package_loc_conf_t *vlcf)
{
    return (vlcf->encryption_clear_lead > 0xffffffff)
           ? 0xffffffff : (uint32_t) vlcf->encryption_clear_lead;
}


/*
 * The title's keys when the location encrypts: NGX_OK with prot filled
 * (the keys are in request memory, never logged; with NGX_VOD_KEYS_KID
 * the KID alone, what a manifest needs, the key fields zero), NGX_DECLINED
 * when it does not, or an HTTP status.  With a key service they are the
 * service's answer ngx_vod_keys_wait() left in the request's context:
 * a request that did not wait for them fails, never goes out in the
 * clear.
 */

ngx_int_t
ngx_vod_protect_keys(ngx_http_request_t *r, ngx_str_t *dir,
    vod_protect_t *prot, ngx_uint_t keys)
{
    ngx_str_t                    title;
    ngx_vod_ctx_t               *ctx;
    ngx_vod_keys_req_t          *k;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->encryption == 0) {
        return NGX_DECLINED;
    }

    ngx_vod_protect_title(dir, &title);

    if (keys == NGX_VOD_KEYS_KID) {
        ngx_memzero(prot, sizeof(vod_protect_t));
    }

    prot->scheme = (uint32_t) vlcf->encryption;
    prot->systems = (uint32_t) (vlcf->encryption_systems
                                & ~NGX_CONF_BITMASK_SET);
    prot->clear_lead = ngx_vod_protect_lead(vlcf);

    /* derived keys have no pssh data: the boxes are built */
    ngx_memzero(&prot->widevine, sizeof(vod_str_t));
    ngx_memzero(&prot->playready, sizeof(vod_str_t));

    if (vlcf->key_service.len != 0) {
        ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);
        k = (ctx != NULL) ? ctx->keys : NULL;

        if (k == NULL || k->rc != NGX_OK || k->title.len != title.len
            || ngx_strncmp(k->title.data, title.data, title.len) != 0)
        {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "vod: keys of title \"%V\" were not fetched",
                          &title);
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        ngx_memcpy(prot->kid, k->keys.kid, sizeof(prot->kid));

        /* the systems' pssh data (the configured systems' alone are
         * written); in the request's memory */
        prot->widevine = k->keys.widevine;
        prot->playready = k->keys.playready;

        if (keys == NGX_VOD_KEYS_KID) {
            return NGX_OK;
        }

        if (keys == NGX_VOD_KEYS_HLS && !k->keys.has_hls_key) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: key service gave title \"%V\" no "
                          "\"hls_key\": no HLS AES-128", &title);
            return NGX_HTTP_SERVICE_UNAVAILABLE;
        }

        ngx_memcpy(prot->key, k->keys.key, sizeof(prot->key));
        ngx_memcpy(prot->iv, k->keys.iv, sizeof(prot->iv));
        ngx_memcpy(prot->hls_key, k->keys.hls_key, sizeof(prot->hls_key));

        return NGX_OK;
    }

    if (vod_cenc_derive(vlcf->encryption_secret.data,
                        vlcf->encryption_secret.len, title.data, title.len,
                        prot->kid, keys ? prot->key : NULL,
                        keys ? prot->iv : NULL)
        != VOD_OK
        || (keys
            && vod_cenc_derive_hls(vlcf->encryption_secret.data,
                                   vlcf->encryption_secret.len, title.data,
                                   title.len, prot->hls_key)
               != VOD_OK))
    {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: keys of title \"%V\" cannot be derived", &title);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


/* a manifest's: the title's keys in title->protect when the location
 * encrypts */

ngx_int_t
ngx_vod_protect_title_keys(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_t *title)
{
    ngx_int_t                    rc;
    vod_protect_t               *prot;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    title->protect = NULL;
    title->clearkey = 0;

    if (vlcf->encryption == 0) {
        return NGX_OK;
    }

    prot = ngx_palloc(r->pool, sizeof(vod_protect_t));
    if (prot == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* manifests need the KID alone: no key is derived for them */
    rc = ngx_vod_protect_keys(r, dir, prot, NGX_VOD_KEYS_KID);
    if (rc != NGX_OK) {
        return rc;
    }

    title->protect = prot;
    title->clearkey = vlcf->encryption_clearkey ? 1 : 0;
    title->ts_sample_aes = (vlcf->encryption_ts == NGX_VOD_TS_SAMPLE_AES);

    return NGX_OK;
}


/* What the location's protection makes of a response's ETag: a change of
 * scheme, systems, licence setting or key file is a new ETag.  The key
 * file is in it by its fingerprint, made once at configuration, so that
 * no request derives a key for its ETag.  With a key service, the KID it
 * gave is (and whether it gave an HLS key): a rotation the service makes
 * gives a new KID, so new ETags once the cached answer expires; the
 * pssh data it gives for a configured system is in it too (a new
 * licence URL in a PlayReady Object is new manifests).  The clear lead
 * is in it: a segment and the playlists change with it. */

static uint64_t
ngx_vod_protect_etag_data(uint64_t hash, ngx_vod_package_loc_conf_t *vlcf,
    ngx_uint_t system, vod_str_t *data)
{
    uint64_t  len;

    if (!(vlcf->encryption_systems & system)) {
        return hash;
    }

    /* the length first: "ab" + "" and "a" + "b" are not one ETag */
    len = data->len;
    hash = ngx_vod_etag_add(hash, &len, sizeof(len));

    return ngx_vod_etag_add(hash, data->data, data->len);
}


uint64_t
ngx_vod_protect_etag(ngx_http_request_t *r, uint64_t hash)
{
    uint32_t                     flags[5];
    ngx_vod_ctx_t               *ctx;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->encryption == 0) {
        return hash;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);

    flags[0] = (uint32_t) vlcf->encryption;
    flags[1] = (uint32_t) vlcf->encryption_systems;
    flags[2] = (uint32_t) vlcf->encryption_clearkey;
    flags[3] = (uint32_t) vlcf->encryption_ts << 8;
    flags[4] = ngx_vod_protect_lead(vlcf);

    if (vlcf->key_service.len != 0 && ctx != NULL && ctx->keys != NULL
        && ctx->keys->rc == NGX_OK)
    {
        flags[3] += 1 + ctx->keys->keys.has_hls_key;
        hash = ngx_vod_etag_add(hash, ctx->keys->keys.kid,
                                sizeof(ctx->keys->keys.kid));
        hash = ngx_vod_protect_etag_data(hash, vlcf, VOD_PROTECT_WIDEVINE,
                                         &ctx->keys->keys.widevine);
        hash = ngx_vod_protect_etag_data(hash, vlcf, VOD_PROTECT_PLAYREADY,
                                         &ctx->keys->keys.playready);
    }

    hash = ngx_vod_etag_add(hash, flags, sizeof(flags));

    return ngx_vod_etag_add(hash, vlcf->encryption_tag,
                            sizeof(vlcf->encryption_tag));
}


ngx_int_t
ngx_vod_protect_plan_init(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_track_info_t *track)
{
    u_char                      *out;
    size_t                       len;
    ngx_int_t                    rc;
    vod_protect_t                prot;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    rc = ngx_vod_protect_keys(r, &ctx->dir, &prot, NGX_VOD_KEYS_ALL);
    if (rc != NGX_OK) {
        return rc;
    }

    rc = vod_protect_init(&ctx->media.venv.env, track, &prot, &out, &len);
    OPENSSL_cleanse(&prot, sizeof(vod_protect_t));

    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.type = (track->type == VOD_TRACK_VIDEO) ? &ngx_vod_type_video
                                                     : &ngx_vod_type_audio;
    ctx->out.cache_control = &vlcf->segment_cache_control;
    ctx->out.mtime = ctx->media.of.mtime;
    ctx->out.data = out;
    ctx->out.len = len;

    return NGX_OK;
}


/* what names a segment's IVs apart from every other stream of the title:
 * the rendition and the track */

static uint64_t
ngx_vod_protect_stream(ngx_vod_media_t *media, vod_track_info_t *track)
{
    uint64_t  hash;

    hash = ngx_vod_etag_add(0, media->id.data, media->id.len);

    return ngx_vod_etag_add(hash, &track->track_id, sizeof(uint32_t));
}


ngx_int_t
ngx_vod_protect_plan_segment(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_segment_t *segment)
{
    u_char                      *out;
    size_t                       len;
    ngx_int_t                    rc;
    vod_protect_t               *prot;
    ngx_vod_media_t             *media;
    ngx_vod_package_loc_conf_t  *vlcf;
#if (NGX_THREADS)
    ngx_thread_pool_t           *tp;
#endif

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);
    media = &ctx->media;

    if (ctx->seg_done) {
        rc = ctx->seg_rc;
        out = ctx->seg_data;
        len = ctx->seg_len;

    } else {
        prot = ngx_palloc(r->pool, sizeof(vod_protect_t));
        if (prot == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }

        rc = ngx_vod_protect_keys(r, &ctx->dir, prot,
                                  vlcf->encryption
                                  == VOD_PROTECT_SCHEME_AES128
                                  ? NGX_VOD_KEYS_HLS : NGX_VOD_KEYS_ALL);
        if (rc != NGX_OK) {
            return rc;
        }

#if (NGX_THREADS)
        /* from the page cache, here; from the disk, in a thread */
        tp = ngx_vod_thread_pool(r);
        media->venv.nowait = (tp != NULL);
#endif

        rc = vod_protect_segment(&media->venv.env, segment, prot,
                                 ngx_vod_protect_stream(media,
                                                        segment->track),
                                 &out, &len);

#if (NGX_THREADS)
        if (media->venv.blocked) {
            return ngx_vod_thread_protect(r, tp, media, segment, prot,
                                          ngx_vod_protect_stream(media,
                                                       segment->track));
        }
#endif

        OPENSSL_cleanse(prot, sizeof(vod_protect_t));
    }

    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.type = (segment->track->type == VOD_TRACK_VIDEO)
                    ? &ngx_vod_type_video : &ngx_vod_type_audio;
    ctx->out.cache_control = &vlcf->segment_cache_control;
    ctx->out.mtime = media->of.mtime;
    ctx->out.data = out;
    ctx->out.len = len;

    return NGX_OK;
}


/* 1 when an MPEG-TS segment is in the clear lead: by its video, the
 * track the playlist times it by, else its audio */

static ngx_int_t
ngx_vod_protect_ts_clear(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    vod_segment_t               *segment;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    segment = (ctx->video.track != NULL) ? &ctx->video : &ctx->audio;

    return segment->track != NULL
           && vod_protect_clear(ngx_vod_protect_lead(vlcf), segment->track,
                                segment->index);
}


/*
 * The key and IV of an MPEG-TS segment under "vod_encryption_ts
 * sample-aes", for vod_ts_open_saes(): the title's HLS key, the same
 * aes.key serves, and the IV the playlist gives, the title's KID
 * (vod_protect_hls_aes128()).  *saes is NULL when the segment is not
 * sample encrypted.  The caller cleanses it once the mux is planned.
 */

ngx_int_t
ngx_vod_protect_ts_key(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_ts_saes_t **saes)
{
    ngx_int_t                    rc;
    vod_protect_t                prot;
    vod_ts_saes_t               *s;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    *saes = NULL;

    /* a clear-lead segment is muxed clear, its PMT with the plain
     * stream types */
    if (vlcf->encryption == 0
        || vlcf->encryption_ts != NGX_VOD_TS_SAMPLE_AES
        || ngx_vod_protect_ts_clear(r, ctx))
    {
        return NGX_OK;
    }

    s = ngx_pcalloc(r->pool, sizeof(vod_ts_saes_t));
    if (s == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = ngx_vod_protect_keys(r, &ctx->dir, &prot, NGX_VOD_KEYS_HLS);
    if (rc != NGX_OK) {
        return rc;
    }

    ngx_memcpy(s->key, prot.hls_key, sizeof(s->key));
    ngx_memcpy(s->iv, prot.kid, sizeof(s->iv));
    OPENSSL_cleanse(&prot, sizeof(vod_protect_t));

    *saes = s;

    return NGX_OK;
}


/*
 * An MPEG-TS segment under vod_encryption: HLS AES-128, the whole
 * segment written out of the mux (whose samples are in memory already)
 * and encrypted in place at once: ctx->out becomes that buffer.
 * NGX_DECLINED for a segment of the clear lead, streamed as it is.
 */

ngx_int_t
ngx_vod_protect_plan_ts(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    void *mux, size_t len)
{
    u_char         *buf, *p;
    size_t          n, out_len;
    uint32_t        sequence;
    ngx_int_t       rc;
    vod_protect_t   prot;

    if (ngx_vod_protect_ts_clear(r, ctx)) {
        return NGX_DECLINED;
    }

    /* the padding's room after the segment: encrypted in place */
    buf = ngx_pnalloc(r->pool, len + 16);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (p = buf; p < buf + len; p += n) {
        n = vod_ts_write(mux, p, buf + len - p);
        if (n == 0) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "vod: MPEG-TS segment shorter than planned");
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    rc = ngx_vod_protect_keys(r, &ctx->dir, &prot, NGX_VOD_KEYS_HLS);
    if (rc != NGX_OK) {
        return rc;
    }

    /* the IV is the segment's media sequence number: an I-frame
     * segment's is its place in the I-frame playlist, not its media
     * segment's */
    sequence = (ctx->video.track != NULL) ? ctx->video.sequence
                                          : ctx->audio.sequence;

    rc = vod_protect_aes128(&ctx->media.venv.env, &prot, sequence, buf, len,
                            &out_len);
    OPENSSL_cleanse(&prot, sizeof(vod_protect_t));

    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    ctx->out.method = NGX_VOD_SEND_MEMORY;
    ctx->out.data = buf;
    ctx->out.len = out_len;

    return NGX_OK;
}
