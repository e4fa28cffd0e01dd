/*
 * ngx_vod_package_read.c: reading a rendition's bytes.  Under "aio
 * threads" a read is first tried in the worker with RWF_NOWAIT: when the
 * bytes are in the page cache, as they are for the titles people are
 * watching, the request goes on without a hand-off to the thread pool and
 * back; a read that would wait for the disk fails at once instead, and the
 * caller gives the work to a thread.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


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
