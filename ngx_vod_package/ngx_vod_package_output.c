/*
 * ngx_vod_package_output.c: response headers and bodies.  Manifests are
 * sent from memory, TS segments as they are made (_stream.c); CMAF
 * segments are a small header in memory followed by file buffers over the
 * mezzanine, so the media data goes out by sendfile without being copied.
 * Ranges, HEAD and conditional requests are left to nginx's own filters.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


static ngx_int_t ngx_vod_add_header(ngx_http_request_t *r, char *key,
    ngx_str_t *value, ngx_table_elt_t **elt);


/* FNV-1a: stable across workers and restarts, unlike pointers or pids */

uint64_t
ngx_vod_etag_add(uint64_t hash, const void *data, size_t len)
{
    const u_char  *p, *last;

    if (hash == 0) {
        hash = 0xcbf29ce484222325ULL;
    }

    for (p = data, last = p + len; p < last; p++) {
        hash ^= *p;
        hash *= 0x100000001b3ULL;
    }

    return hash;
}


ngx_int_t
ngx_vod_send_memory(ngx_http_request_t *r, ngx_str_t *type, u_char *data,
    size_t len, ngx_str_t *cache_control, uint64_t etag, time_t mtime)
{
    ngx_int_t     rc;
    ngx_buf_t    *b;
    ngx_chain_t   out;

    rc = ngx_vod_send_header(r, type, len, cache_control, etag, mtime);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    b = ngx_calloc_buf(r->pool);
    if (b == NULL) {
        return NGX_ERROR;
    }

    b->pos = data;
    b->last = data + len;
    b->memory = (len > 0);
    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;
    b->sync = (len == 0);

    out.buf = b;
    out.next = NULL;

    return ngx_http_output_filter(r, &out);
}


ngx_int_t
ngx_vod_send_file_ranges(ngx_http_request_t *r, ngx_str_t *type,
    u_char *header, size_t header_len, ngx_vod_media_t *media,
    vod_range_t *ranges, uint32_t count, uint64_t etag)
{
    off_t                        length;
    uint32_t                     i;
    ngx_int_t                    rc;
    ngx_buf_t                   *b;
    ngx_file_t                  *file;
    ngx_chain_t                 *out, **ll, *cl;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    length = header_len;

    for (i = 0; i < count; i++) {
        if (ranges[i].offset + ranges[i].size > (uint64_t) media->of.size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: \"%V\": sample data at %uL runs past the end "
                          "of the file", &media->path, ranges[i].offset);
            return NGX_HTTP_BAD_GATEWAY;
        }

        length += ranges[i].size;
    }

    rc = ngx_vod_send_header(r, type, length, &vlcf->segment_cache_control,
                             etag, media->of.mtime);

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

    b->pos = header;
    b->last = header + header_len;
    b->memory = 1;

    out = ngx_alloc_chain_link(r->pool);
    if (out == NULL) {
        return NGX_ERROR;
    }

    out->buf = b;
    ll = &out->next;

    for (i = 0; i < count; i++) {
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

    for (cl = out; cl->next != NULL; cl = cl->next) { /* void */ }

    cl->buf->last_buf = (r == r->main) ? 1 : 0;
    cl->buf->last_in_chain = 1;

    return ngx_http_output_filter(r, out);
}


/*
 * ffmpeg interleaves audio between every video frame, so one CMAF
 * segment's samples are about a hundred separate file ranges: a hundred
 * sendfile() calls, and TCP corking that can no longer fill its segments.
 * When the ranges average under vod_sendfile_min_range and lie in order,
 * it is cheaper to read their whole span with one pread() and send one
 * buffer (the audio read along is a few percent more bytes).  Returns
 * NGX_OK with the buffer size (header, then the span) in *size, or
 * NGX_DECLINED for sendfile.
 */

ngx_int_t
ngx_vod_copy_ranges(ngx_http_request_t *r, vod_range_t *ranges,
    uint32_t count, size_t header_len, off_t file_size, size_t *size)
{
    uint32_t                     i;
    uint64_t                     data, span;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->sendfile_min_range == 0 || count < 2
        || r->method == NGX_HTTP_HEAD)
    {
        return NGX_DECLINED;
    }

    data = ranges[0].size;

    for (i = 1; i < count; i++) {
        if (ranges[i].offset < ranges[i - 1].offset + ranges[i - 1].size) {
            return NGX_DECLINED;        /* out of order: compaction needs it */
        }

        data += ranges[i].size;
    }

    if (ranges[count - 1].offset + ranges[count - 1].size
        > (uint64_t) file_size)
    {
        return NGX_DECLINED;        /* sendfile's check says what is wrong */
    }

    span = ranges[count - 1].offset + ranges[count - 1].size
           - ranges[0].offset;

    /* sparse spans (other tracks in between) and huge ones: sendfile */

    if (data / count >= vlcf->sendfile_min_range
        || span > 2 * data + 256 * 1024 || span > 64 * 1024 * 1024)
    {
        return NGX_DECLINED;
    }

    *size = header_len + (size_t) span;

    return NGX_OK;
}


/* a CMAF segment read as it is sent: the header, then its ranges */
typedef struct {
    ngx_log_t            *log;
    ngx_str_t             path;
    ngx_fd_t              fd;
    u_char               *header;
    size_t                header_len;
    size_t                header_sent;
    vod_range_t          *ranges;
    uint32_t              count;
    uint32_t              next;           /* the range being read */
    uint64_t              next_sent;      /* of its bytes, already read */
    uint64_t              failed_at;      /* the read that failed */
    uint64_t              failed_len;
} ngx_vod_range_stream_t;


static size_t ngx_vod_range_stream_produce(void *data, u_char *buf,
    size_t size);
static ssize_t ngx_vod_range_stream_read(ngx_vod_range_stream_t *rs,
    u_char *buf, size_t size, ngx_uint_t nowait);


/*
 * The body ngx_vod_read_ranges() makes at once, read a buffer at a time
 * as the socket takes it (ngx_vod_send_stream()).  The reads block the
 * worker, as sendfile's would: for locations without "aio threads".
 */

ngx_int_t
ngx_vod_send_ranges_streamed(ngx_http_request_t *r, ngx_str_t *type,
    u_char *header, size_t header_len, ngx_vod_media_t *media,
    vod_range_t *ranges, uint32_t count, uint64_t etag)
{
    off_t                        length;
    uint32_t                     i;
    ngx_vod_range_stream_t      *rs;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    rs = ngx_pcalloc(r->pool, sizeof(ngx_vod_range_stream_t));
    if (rs == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rs->log = r->connection->log;
    rs->path = media->path;
    rs->fd = media->of.fd;
    rs->header = header;
    rs->header_len = header_len;
    rs->ranges = ranges;
    rs->count = count;

    length = header_len;

    for (i = 0; i < count; i++) {
        length += ranges[i].size;
    }

    return ngx_vod_send_stream(r, type, length, ngx_vod_range_stream_produce,
                               rs, 1, &vlcf->segment_cache_control, etag,
                               media->of.mtime);
}


static size_t
ngx_vod_range_stream_produce(void *data, u_char *buf, size_t size)
{
    ngx_vod_range_stream_t  *rs = data;

    ssize_t    n;
    ngx_err_t  err;

    n = ngx_vod_range_stream_read(rs, buf, size, 0);

    if (n == -1) {
        err = ngx_errno;
        ngx_log_error(NGX_LOG_ERR, rs->log, (err == EIO) ? 0 : err,
                      "vod: \"%V\": %s reading %uL bytes at %uL",
                      &rs->path, (err == EIO) ? "end of file"
                                              : "pread() failed",
                      rs->failed_len, rs->failed_at);
        return 0;
    }

    return n;
}


/*
 * The next bytes of the body into buf: the rest of the header, then the
 * ranges, each pread() covering the span of as many as fit, which are then
 * moved together over what lay between them (the ranges lie in order:
 * ngx_vod_copy_ranges() checked).  Thread-safe: it touches only rs and
 * buf.  Returns the bytes in buf, or -1 (errno set, EIO for a file shorter
 * than the ranges, NGX_EAGAIN with nowait for a read that would wait for
 * the disk).
 */

static ssize_t
ngx_vod_range_stream_read(ngx_vod_range_stream_t *rs, u_char *buf,
    size_t size, ngx_uint_t nowait)
{
    u_char       *p, *dst;
    size_t        n, room;
    ssize_t       got;
    uint32_t      j, k;
    uint64_t      start, end, first;
    vod_range_t  *rg;

    p = buf;
    room = size;
    rg = rs->ranges;

    if (rs->header_sent < rs->header_len) {
        n = ngx_min(room, rs->header_len - rs->header_sent);
        p = ngx_cpymem(p, rs->header + rs->header_sent, n);
        rs->header_sent += n;
        room -= n;
    }

    while (room > 0 && rs->next < rs->count) {
        start = rg[rs->next].offset + rs->next_sent;
        first = rg[rs->next].size - rs->next_sent;
        end = start + ngx_min(first, room);

        for (j = rs->next + 1;
             first <= room && j < rs->count
             && rg[j].offset + rg[j].size - start <= room;
             j++)
        {
            end = rg[j].offset + rg[j].size;
        }

        got = ngx_vod_pread(rs->fd, p, (size_t) (end - start), start, nowait);

        if (got != (ssize_t) (end - start)) {
            rs->failed_at = start;
            rs->failed_len = end - start;

            if (got >= 0) {
                ngx_set_errno(EIO);
            }

            return -1;
        }

        if (first > room) {
            /* a part of one range */
            rs->next_sent += room;
            p += room;
            break;
        }

        dst = p + first;

        for (k = rs->next + 1; k < j; k++) {
            ngx_memmove(dst, p + (rg[k].offset - start), rg[k].size);
            dst += rg[k].size;
        }

        p = dst;
        room = size - (p - buf);
        rs->next = j;
        rs->next_sent = 0;
    }

    return p - buf;
}


/* The whole body at once, into buf of the header's size plus the ranges'
 * span (ngx_vod_copy_ranges() gave it): one pread().  Thread-safe. */

ssize_t
ngx_vod_read_ranges(ngx_fd_t fd, u_char *buf, u_char *header,
    size_t header_len, vod_range_t *ranges, uint32_t count,
    ngx_uint_t nowait)
{
    ngx_vod_range_stream_t  rs;

    ngx_memzero(&rs, sizeof(ngx_vod_range_stream_t));

    rs.fd = fd;
    rs.header = header;
    rs.header_len = header_len;
    rs.ranges = ranges;
    rs.count = count;

    return ngx_vod_range_stream_read(&rs, buf,
                                     header_len + ranges[count - 1].offset
                                     + ranges[count - 1].size
                                     - ranges[0].offset,
                                     nowait);
}


ngx_int_t
ngx_vod_send_header(ngx_http_request_t *r, ngx_str_t *type, off_t length,
    ngx_str_t *cache_control, uint64_t etag, time_t mtime)
{
    u_char                      *p;
    ngx_str_t                    value;
    ngx_table_elt_t             *elt;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_length_n = length;
    r->headers_out.last_modified_time = mtime;
    r->headers_out.content_type = *type;
    r->headers_out.content_type_len = type->len;
    r->allow_ranges = 1;

    p = ngx_pnalloc(r->pool, sizeof("\"0123456789abcdef\"") - 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    value.data = p;
    value.len = ngx_sprintf(p, "\"%016uxL\"", etag) - p;

    if (ngx_vod_add_header(r, "ETag", &value, &elt) != NGX_OK) {
        return NGX_ERROR;
    }

    r->headers_out.etag = elt;

    if (cache_control->len > 0
        && ngx_vod_add_header(r, "Cache-Control", cache_control, &elt)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    if (vlcf->cors_origin.len > 0
        && ngx_vod_add_header(r, "Access-Control-Allow-Origin",
                              &vlcf->cors_origin, &elt)
           != NGX_OK)
    {
        return NGX_ERROR;
    }

    return ngx_http_send_header(r);
}


static ngx_int_t
ngx_vod_add_header(ngx_http_request_t *r, char *key, ngx_str_t *value,
    ngx_table_elt_t **elt)
{
    ngx_table_elt_t  *h;

    h = ngx_list_push(&r->headers_out.headers);
    if (h == NULL) {
        return NGX_ERROR;
    }

    h->hash = 1;
    h->key.data = (u_char *) key;
    h->key.len = ngx_strlen(key);
    h->value = *value;

    *elt = h;

    return NGX_OK;
}
