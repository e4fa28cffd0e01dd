/*
 * ngx_vod_package_read.c: reading a rendition's bytes, and a CMAF
 * segment's header and sample ranges as one body, read a buffer at a time
 * as it is sent.  Under "aio threads" a read is first tried in the
 * worker with RWF_NOWAIT: when the bytes are in the page cache, as they
 * are for the titles people are watching, the request goes on without a
 * hand-off to the thread pool and back; a read that would wait for the
 * disk fails at once instead, and the caller gives the work to a thread.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


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


static ssize_t ngx_vod_range_stream_read(ngx_vod_range_stream_t *rs,
    u_char *buf, size_t size, ngx_uint_t nowait);


/*
 * A CMAF segment's header and samples as a producer for
 * ngx_vod_send_stream(): read a buffer at a time as the socket takes it.
 * Under "aio threads" each read is tried with RWF_NOWAIT and one that
 * would wait for the disk is read ahead in a thread first (the stream
 * asks, ngx_vod_thread_readahead()); without, the reads block the worker,
 * as sendfile's would.
 */

void *
ngx_vod_range_stream_create(ngx_http_request_t *r, ngx_vod_media_t *media,
    u_char *header, size_t header_len, vod_range_t *ranges, uint32_t count)
{
    ngx_vod_range_stream_t  *rs;

    rs = ngx_pcalloc(r->pool, sizeof(ngx_vod_range_stream_t));
    if (rs == NULL) {
        return NULL;
    }

    rs->log = r->connection->log;
    rs->path = media->path;
    rs->fd = media->of.fd;
    rs->header = header;
    rs->header_len = header_len;
    rs->ranges = ranges;
    rs->count = count;

    return rs;
}


ssize_t
ngx_vod_range_stream_produce(void *data, u_char *buf, size_t size,
    ngx_vod_readahead_t *ra)
{
    ngx_vod_range_stream_t  *rs = data;

    ssize_t                  n;
    ngx_err_t                err;
    ngx_vod_range_stream_t   saved;

    saved = *rs;

    n = ngx_vod_range_stream_read(rs, buf, size, ra != NULL);

    if (n == -1 && ra != NULL) {
        /* not all in the page cache: nothing consumed; the span to read
         * ahead is the rest of the segment, so one trip through the
         * thread pool serves the refills that follow */
        ra->fd = rs->fd;
        ra->offset = (off_t) rs->failed_at;
        ra->len = (size_t) (rs->ranges[rs->count - 1].offset
                            + rs->ranges[rs->count - 1].size
                            - rs->failed_at);
        *rs = saved;
        return NGX_AGAIN;
    }

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


/*
 * Reads size bytes at offset.  Returns size, fewer at the end of the
 * file, or -1 with errno set.  With nowait, a read that would block, or
 * is short for any reason, is -1 with NGX_EAGAIN.  Thread-safe.
 */

ssize_t
ngx_vod_pread(ngx_fd_t fd, u_char *buf, size_t size, off_t offset,
    ngx_uint_t nowait)
{
    size_t        left;
    ssize_t       n;
#if (NGX_LINUX && defined RWF_NOWAIT)
    struct iovec  iov;
#endif

    if (nowait) {
#if (NGX_LINUX && defined RWF_NOWAIT)
        iov.iov_base = buf;
        iov.iov_len = size;

        n = preadv2(fd, &iov, 1, offset, RWF_NOWAIT);

        if (n == (ssize_t) size) {
            return n;
        }
#endif
        /* not all cached, no RWF_NOWAIT here or on this file system, an
         * error: the thread's blocking read says which */
        ngx_set_errno(NGX_EAGAIN);
        return -1;
    }

    for (left = size; left > 0; buf += n, offset += n, left -= n) {
        n = pread(fd, buf, left, offset);

        if (n == -1) {
            if (ngx_errno == NGX_EINTR) {
                n = 0;
                continue;
            }

            return -1;
        }

        if (n == 0) {
            break;
        }
    }

    return size - left;
}
