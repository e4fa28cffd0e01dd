/*
 * ngx_vod_package_output.c: two of the send step's methods.  A body in
 * memory (manifests, playlists, init segments) goes out as one buffer; a
 * CMAF segment sent by sendfile is a small header in memory followed by
 * file buffers over the mezzanine, so the media data goes out without
 * being copied.  The third method, a body made while it is sent, is
 * _stream.c's.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


ngx_int_t
ngx_vod_send_memory(ngx_http_request_t *r, ngx_vod_output_t *out)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   cl;

    rc = ngx_vod_send_header(r, out, out->len);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = out->data;
    b->last = out->data + out->len;
    b->memory = (out->len > 0);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (out->len == 0);

    cl.buf = b;
    cl.next = NULL;

    return ngx_http_output_filter(r, &cl);
}


ngx_int_t
ngx_vod_send_file_ranges(ngx_http_request_t *r, ngx_vod_output_t *out)
{
    off_t             length;
    uint32_t          i;
    ngx_int_t         rc;
    ngx_buf_t        *b;
    ngx_file_t       *file;
    vod_range_t      *ranges;
    ngx_chain_t      *head, **ll, *cl;
    ngx_vod_media_t  *media;

    media = out->media;
    ranges = out->ranges;

    length = out->len;

    for (i = 0; i < out->count; i++) {
        if (ranges[i].offset + ranges[i].size > (uint64_t) media->of.size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: \"%V\": sample data at %uL runs past the end "
                          "of the file", &media->path, ranges[i].offset);
            return NGX_HTTP_BAD_GATEWAY;
        }

        length += ranges[i].size;
    }

    rc = ngx_vod_send_header(r, out, length);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    file = ngx_pcalloc(r->pool, sizeof(ngx_file_t));
    if (file == NULL) {
        return NGX_ERROR;
    }

    file->fd = media->of.fd;
    file->name = media->path;
    file->log = r->connection->log;
    file->directio = media->of.is_directio;

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = out->data;
    b->last = out->data + out->len;
    b->memory = 1;

    head = ngx_alloc_chain_link(r->pool);
    if (head == NULL) {
        return NGX_ERROR;
    }

    head->buf = b;
    ll = &head->next;

    for (i = 0; i < out->count; i++) {
        b = ngx_calloc_buf(r->pool);
        if (b == NULL) {
            return NGX_ERROR;
        }

        b->in_file = 1;
        b->file = file;
        b->file_pos = ranges[i].offset;
        b->file_last = ranges[i].offset + ranges[i].size;

        cl = ngx_alloc_chain_link(r->pool);
        if (cl == NULL) {
            return NGX_ERROR;
        }

        cl->buf = b;
        *ll = cl;
        ll = &cl->next;
    }

    *ll = NULL;

    for (cl = head; cl->next != NULL; cl = cl->next) { /* void */ }

    cl->buf->last_buf = (r == r->main) ? 1 : 0;
    cl->buf->last_in_chain = 1;

    return ngx_http_output_filter(r, head);
}
