/*
 * vodedge_body.h: a small request body (an API's JSON) whole in one
 * buffer, once ngx_http_read_client_request_body() has read it: the
 * edge's playback API, the steering state API and the packager's ClearKey
 * licences.
 */

#ifndef _VODEDGE_BODY_H_INCLUDED_
#define _VODEDGE_BODY_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* NGX_OK with the body in *data (request pool memory, or NULL) and *len
 * (0 for none); NGX_DECLINED when it is larger than max bytes or nginx
 * wrote it to a temporary file (larger than client_body_buffer_size);
 * NGX_ERROR when memory runs out. */
ngx_int_t vodedge_body_read(ngx_http_request_t *r, size_t max,
    u_char **data, size_t *len);


#endif /* _VODEDGE_BODY_H_INCLUDED_ */
