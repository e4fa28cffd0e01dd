/*
 * ngx_stream_playback_module.h: the edge module's shared definitions.  An
 * HTTP module despite its name: signed URLs now; tiers, GeoIP licensing
 * and the playback API later, each a ngx_stream_playback_*.c file of its
 * own behind this header.
 */

#ifndef _NGX_STREAM_PLAYBACK_MODULE_H_INCLUDED_
#define _NGX_STREAM_PLAYBACK_MODULE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "pb_jwt.h"


#define NGX_PLAYBACK_SOURCE_PREFIX   0x01
#define NGX_PLAYBACK_SOURCE_QUERY    0x02
#define NGX_PLAYBACK_SOURCE_COOKIE   0x04


typedef struct {
    ngx_flag_t           enable;
    ngx_array_t         *keys;           /* pb_jwt_key_t */
    time_t               leeway;
    size_t               max_length;
    ngx_uint_t           sources;        /* NGX_PLAYBACK_SOURCE_* */
    ngx_str_t            query_arg;
    ngx_str_t            cookie_name;
    ngx_uint_t           log_level;
} ngx_stream_playback_loc_conf_t;


typedef struct {
    ngx_int_t            status;         /* PB_JWT_* */
    const char          *err;            /* detail of a refusal */
    const char          *source;         /* "prefix", "query", "cookie" */
    pb_jwt_claims_t      claims;         /* set once the MAC verified */
} ngx_stream_playback_ctx_t;


ngx_int_t ngx_stream_playback_rewrite_handler(ngx_http_request_t *r);
ngx_int_t ngx_stream_playback_access_handler(ngx_http_request_t *r);


extern ngx_module_t  ngx_stream_playback_module;


#endif /* _NGX_STREAM_PLAYBACK_MODULE_H_INCLUDED_ */
