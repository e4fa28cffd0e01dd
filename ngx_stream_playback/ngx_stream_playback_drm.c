/*
 * ngx_stream_playback_drm.c: the manifest call's "drm" answer.  A
 * location of the playback API names the DRM systems it serves, each
 * with its licence server (and FairPlay's certificate), the path prefix
 * of the origin location that packages for it (cenc for Widevine and
 * PlayReady, cbcs for FairPlay) and the manifest format its players take.
 * The call answers with the first of them, in the configuration's order,
 * that the device lists in "drm_capabilities": the service's preference
 * rules, not the device's, so that a device offering ClearKey first still
 * gets Widevine where both are configured.  A device offering none of
 * them is refused before any stream slot is taken: protected titles are
 * not played without a licence.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"
#include "pb_drm.h"


static ngx_uint_t ngx_stream_playback_drm_option(ngx_str_t *v);
static ngx_int_t ngx_stream_playback_drm_offered(vod_json_t *caps,
    ngx_int_t system);


/*
 * playback_api_drm system [license_url] [certificate=url] [path=/prefix/]
 *     [format=dash|hls];
 */

char *
ngx_stream_playback_api_drm(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_stream_playback_loc_conf_t *plcf = conf;

    ngx_str_t                         *value, v;
    ngx_uint_t                         i;
    ngx_stream_playback_drm_t         *drm, *d;
    ngx_http_complex_value_t         **cv;
    ngx_http_compile_complex_value_t   ccv;

    value = cf->args->elts;

    if (plcf->api_drm == NGX_CONF_UNSET_PTR) {
        plcf->api_drm = ngx_array_create(cf->pool, 2,
                                     sizeof(ngx_stream_playback_drm_t));
        if (plcf->api_drm == NULL) {
            return NGX_CONF_ERROR;
        }
    }

    drm = ngx_array_push(plcf->api_drm);
    if (drm == NULL) {
        return NGX_CONF_ERROR;
    }

    ngx_memzero(drm, sizeof(ngx_stream_playback_drm_t));

    drm->system = pb_drm_system(value[1].data, value[1].len);

    /* the short names only: an EME string here would read as a promise
     * to serve that one key system alone */

    if (drm->system == PB_DRM_NONE
        || ngx_strcmp(value[1].data, pb_drm_name(drm->system)) != 0)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api_drm\": unknown system \"%V\", "
                           "it must be widevine, playready, fairplay or "
                           "clearkey", &value[1]);
        return NGX_CONF_ERROR;
    }

    d = plcf->api_drm->elts;

    for (i = 0; i + 1 < plcf->api_drm->nelts; i++) {
        if (d[i].system == drm->system) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"playback_api_drm\": \"%V\" is configured "
                               "twice", &value[1]);
            return NGX_CONF_ERROR;
        }
    }

    drm->hls = (drm->system == PB_DRM_FAIRPLAY);

    for (i = 2; i < cf->args->nelts; i++) {
        cv = NULL;
        v = value[i];

        if (ngx_strncmp(v.data, "certificate=", 12) == 0) {
            cv = &drm->certificate;
            v.data += 12;
            v.len -= 12;

        } else if (ngx_strncmp(v.data, "path=", 5) == 0) {
            v.data += 5;
            v.len -= 5;

            if (v.len < 2 || v.data[0] != '/' || v.data[v.len - 1] != '/'
                || ngx_strlchr(v.data, v.data + v.len, '?') != NULL)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"playback_api_drm\": \"path=\" must "
                                   "start and end with \"/\", as in "
                                   "\"/vod-cbcs/\", not \"%V\"", &v);
                return NGX_CONF_ERROR;
            }

            drm->path = v;
            continue;

        } else if (ngx_strcmp(v.data, "format=dash") == 0) {
            drm->hls = 0;
            continue;

        } else if (ngx_strcmp(v.data, "format=hls") == 0) {
            drm->hls = 1;
            continue;

        } else if (i == 2 && !ngx_stream_playback_drm_option(&v)) {
            cv = &drm->license;
        }

        if (cv == NULL || *cv != NULL || v.len == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"playback_api_drm %V\": invalid parameter "
                               "\"%V\"", &value[1], &value[i]);
            return NGX_CONF_ERROR;
        }

        *cv = ngx_palloc(cf->pool, sizeof(ngx_http_complex_value_t));
        if (*cv == NULL) {
            return NGX_CONF_ERROR;
        }

        ngx_memzero(&ccv, sizeof(ngx_http_compile_complex_value_t));
        ccv.cf = cf;
        ccv.value = &v;
        ccv.complex_value = *cv;

        if (ngx_http_compile_complex_value(&ccv) != NGX_OK) {
            return NGX_CONF_ERROR;
        }
    }

    /* ClearKey's licence is the origin's, at the title's own
     * "clearkey" URL behind this edge's token; the others' are the
     * operator's licence servers */

    if (drm->license == NULL && drm->system != PB_DRM_CLEARKEY) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api_drm %V\" needs its licence "
                           "server's URL", &value[1]);
        return NGX_CONF_ERROR;
    }

    if (drm->system == PB_DRM_FAIRPLAY && drm->certificate == NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api_drm fairplay\" needs "
                           "\"certificate=\" the URL of the application "
                           "certificate");
        return NGX_CONF_ERROR;
    }

    if (drm->system != PB_DRM_FAIRPLAY && drm->certificate != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"playback_api_drm %V\": \"certificate=\" is "
                           "FairPlay's alone", &value[1]);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;
}


/* "word=...": a parameter, so that a misspelt "certifcate=" is an error
 * rather than a licence URL */

static ngx_uint_t
ngx_stream_playback_drm_option(ngx_str_t *v)
{
    ngx_uint_t  i;

    for (i = 0; i < v->len; i++) {
        if (v->data[i] == '=') {
            return i > 0;
        }

        if ((v->data[i] < 'a' || v->data[i] > 'z') && v->data[i] != '_') {
            return 0;
        }
    }

    return 0;
}


/* the device's "drm_capabilities" (checked: an array of strings, or NULL)
 * against the location's systems */

ngx_int_t
ngx_stream_playback_drm_choose(ngx_array_t *drm, vod_json_t *caps,
    ngx_stream_playback_drm_t **chosen)
{
    ngx_uint_t                  i;
    ngx_stream_playback_drm_t  *d;

    *chosen = NULL;

    if (drm == NULL) {
        return NGX_OK;
    }

    d = drm->elts;

    for (i = 0; i < drm->nelts; i++) {
        if (ngx_stream_playback_drm_offered(caps, d[i].system)) {
            *chosen = &d[i];
            return NGX_OK;
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_stream_playback_drm_offered(vod_json_t *caps, ngx_int_t system)
{
    vod_json_t  *item;

    if (caps == NULL) {
        return 0;
    }

    for (item = caps->child; item != NULL; item = item->next) {
        if (pb_drm_system(item->str.data, item->str.len) == system) {
            return 1;
        }
    }

    return 0;
}


/* what the refusal of a device offering none says: the systems here */

const char *
ngx_stream_playback_drm_refusal(ngx_http_request_t *r, ngx_array_t *drm)
{
    u_char                     *p, *last;
    ngx_uint_t                  i;
    ngx_stream_playback_drm_t  *d;

    static const char  text[] = "device.drm_capabilities offers none of "
                                "this service's DRM systems:";

    p = ngx_pnalloc(r->pool, sizeof(text) + drm->nelts * 12);
    if (p == NULL) {
        return "device.drm_capabilities offers none of this service's DRM "
               "systems";
    }

    last = ngx_cpymem(p, text, sizeof(text) - 1);

    d = drm->elts;

    for (i = 0; i < drm->nelts; i++) {
        last = ngx_sprintf(last, " %s", pb_drm_name(d[i].system));
    }

    *last = '\0';

    return (const char *) p;
}


/*
 * the "drm" member, with its leading comma: the system, its licence URL
 * (ClearKey's: the title's own under media, the signed URL prefix of the
 * title ending in "/"), FairPlay's certificate, and the manifest of the
 * system's format
 */

ngx_int_t
ngx_stream_playback_drm_json(ngx_http_request_t *r,
    ngx_stream_playback_drm_t *drm, ngx_str_t *media, ngx_str_t *out)
{
    u_char     *p;
    size_t      len;
    ngx_str_t   license, cert, manifest;

    if (drm->license) {
        if (ngx_http_complex_value(r, drm->license, &license) != NGX_OK) {
            return NGX_ERROR;
        }

    } else {
        license.len = media->len + sizeof("clearkey") - 1;
        license.data = ngx_pnalloc(r->pool, license.len);
        if (license.data == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(license.data, "%Vclearkey", media);
    }

    ngx_str_null(&cert);

    if (drm->certificate
        && ngx_http_complex_value(r, drm->certificate, &cert) != NGX_OK)
    {
        return NGX_ERROR;
    }

    manifest.len = media->len + sizeof("manifest.mpd") - 1;
    manifest.data = ngx_pnalloc(r->pool, manifest.len);
    if (manifest.data == NULL) {
        return NGX_ERROR;
    }

    manifest.len = ngx_sprintf(manifest.data, "%V%s", media,
                               drm->hls ? "master.m3u8" : "manifest.mpd")
                   - manifest.data;

    len = sizeof(",\"drm\":{\"type\":\"playready\",\"license_url\":,"
                 "\"certificate_url\":,\"manifest_url\":}") - 1
          + ngx_stream_playback_api_json_len(&license)
          + ngx_stream_playback_api_json_len(&cert)
          + ngx_stream_playback_api_json_len(&manifest);

    p = ngx_pnalloc(r->pool, len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    out->data = p;

    p = ngx_sprintf(p, ",\"drm\":{\"type\":\"%s\",\"license_url\":",
                    pb_drm_name(drm->system));
    p = ngx_stream_playback_api_json_str(p, &license);

    if (drm->certificate) {
        p = ngx_cpymem(p, ",\"certificate_url\":", 19);
        p = ngx_stream_playback_api_json_str(p, &cert);
    }

    p = ngx_cpymem(p, ",\"manifest_url\":", 16);
    p = ngx_stream_playback_api_json_str(p, &manifest);
    *p++ = '}';

    out->len = p - out->data;

    return NGX_OK;
}
