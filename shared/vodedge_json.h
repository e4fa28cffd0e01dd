/*
 * vodedge_json.h: the JSON responses of every module that answers in JSON
 * (the edge's refusals and playback API, the steering endpoints and state
 * API), with one error body (README.md, "Error bodies"):
 *
 *     {"error":"<error>","reason":"<reason>"}
 *
 * error: a short word a client switches on (bad_request, forbidden,
 * not_found, ...); reason: what went wrong, a word or a sentence.  A
 * refusal may add members (licensing adds the title and the country).
 *
 * One contract: each call sends the response and returns what a content
 * handler returns (the output's status, or NGX_HTTP_INTERNAL_SERVER_ERROR
 * when a buffer cannot be had).  A phase handler, where NGX_OK would mean
 * "go on", finalizes the request with it and returns NGX_DONE.
 */

#ifndef _VODEDGE_JSON_H_INCLUDED_
#define _VODEDGE_JSON_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* status with b as application/json (b NULL: no body, Content-Length 0);
 * a HEAD request gets the headers only.  What the caller adds (a status
 * line, more headers, a discarded request body) it sets first. */
ngx_int_t vodedge_json_send(ngx_http_request_t *r, ngx_uint_t status,
    ngx_buf_t *b);

/* status with {"error":"<error>","reason":"<reason>"}: error is sent as
 * it is, reason JSON-escaped */
ngx_int_t vodedge_json_error(ngx_http_request_t *r, ngx_uint_t status,
    const char *error, const char *reason);


#endif /* _VODEDGE_JSON_H_INCLUDED_ */
