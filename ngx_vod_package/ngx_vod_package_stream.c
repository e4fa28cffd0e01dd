/*
 * ngx_vod_package_stream.c: the send step's third method, a response body
 * made while it is sent.  A TS segment is packetized, or a CMAF segment's
 * samples are read, into one buffer of a fraction of the segment, which is
 * sent and then refilled, instead of into one buffer the size of the
 * segment: the bytes are still in the CPU's cache when the kernel copies
 * them to the socket, and a request holds a part of its output instead of
 * all of it.  Under "aio threads" a refill that would wait for the disk
 * waits for a thread to read the bytes ahead instead.  Ranges, HEAD and
 * conditional requests go through nginx's own filters, as for any body.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


struct ngx_vod_stream_s {
    ngx_vod_produce_pt    produce;
    void                 *data;
    off_t                 left;           /* bytes still to produce */
    u_char               *start;
    size_t                size;
    ngx_buf_t            *buf;
    ngx_chain_t           out;
#if (NGX_THREADS)
    ngx_thread_pool_t    *tp;             /* NULL: produce() may block */
    ngx_vod_readahead_t   ra;
    unsigned              read_ahead:1;   /* a thread read ra ahead */
#endif
    unsigned              done:1;         /* the last bytes were passed on */
};


static ngx_int_t ngx_vod_stream_send(ngx_http_request_t *r,
    ngx_vod_stream_t *s);
static void ngx_vod_stream_writer(ngx_http_request_t *r);


/*
 * Sends the header, then out->length (> 0) bytes of body from
 * out->produce().  Each call of produce() gets a buffer of at least
 * out->min bytes, or of what is left, and must fill some of it; the body
 * must come to exactly out->length bytes.
 */

ngx_int_t
ngx_vod_send_stream(ngx_http_request_t *r, ngx_vod_output_t *out)
{
    size_t                       size;
    ngx_int_t                    rc;
    ngx_vod_ctx_t               *ctx;
    ngx_event_t                 *wev;
    ngx_vod_stream_t            *s;
    ngx_http_core_loc_conf_t    *clcf;
    ngx_vod_package_loc_conf_t  *vlcf;

    rc = ngx_vod_send_header(r, out, out->length);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    ctx = ngx_vod_ctx(r);
    if (ctx == NULL) {
        return NGX_ERROR;
    }

    s = ngx_pcalloc(r->pool, sizeof(ngx_vod_stream_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    /*
     * A subrequest's output may be held back by the postpone filter until
     * its turn comes, so its buffer could not be refilled: it gets the
     * whole body in one.
     */

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    size = (r == r->main) ? ngx_max(vlcf->stream_buffer_size, out->min)
                          : (size_t) out->length;

    if ((off_t) size > out->length) {
        size = (size_t) out->length;
    }

    s->start = ngx_palloc(r->pool, size);
    if (s->start == NULL) {
        return NGX_ERROR;
    }

    s->buf = ngx_calloc_buf(r->pool);
    if (s->buf == NULL) {
        return NGX_ERROR;
    }

    s->produce = out->produce;
    s->data = out->produce_data;
    s->left = out->length;
    s->size = size;
    s->out.buf = s->buf;
    s->out.next = NULL;

#if (NGX_THREADS)
    s->tp = ngx_vod_thread_pool(r);
#endif

    ctx->stream = s;

    rc = ngx_vod_stream_send(r, s);

    if (rc == NGX_DONE) {
        /* a thread reads ahead: its end calls the writer */
        r->write_event_handler = ngx_vod_stream_writer;
        return NGX_DONE;
    }

    if (rc != NGX_AGAIN) {
        return rc;
    }

    /* the socket is full: go on from the write event */

    ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "vod stream: waiting for the socket, %O bytes to make",
                   s->left);

    wev = r->connection->write;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (!wev->delayed) {
        ngx_add_timer(wev, clcf->send_timeout);
    }

    if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
        return NGX_ERROR;
    }

    r->main->count++;
    r->write_event_handler = ngx_vod_stream_writer;

    return NGX_DONE;
}


/* NGX_OK once the last bytes have been passed on (if the socket is full,
 * they go out as any buffered response's do), NGX_AGAIN while the buffer
 * waits for the socket, NGX_DONE while a thread reads ahead what produce()
 * needs, NGX_ERROR */

static ngx_int_t
ngx_vod_stream_send(ngx_http_request_t *r, ngx_vod_stream_t *s)
{
    ssize_t               n;
    ngx_int_t             rc;
    ngx_buf_t            *b;
    ngx_vod_readahead_t  *ra;

    b = s->buf;

    for ( ;; ) {
        if (b->pos != b->last) {
            /* the filters still hold some of it: flush */
            rc = ngx_http_output_filter(r, NULL);

            if (rc == NGX_ERROR) {
                return NGX_ERROR;
            }

            if (b->pos != b->last) {
                return NGX_AGAIN;
            }
        }

        ra = NULL;

#if (NGX_THREADS)
        /* in the worker only what the page cache has; right after a read
         * ahead, whatever it takes */
        if (s->tp != NULL && !s->read_ahead) {
            ra = &s->ra;
        }

        s->read_ahead = 0;
#endif

        n = s->produce(s->data, s->start,
                       ((off_t) s->size < s->left) ? s->size
                                                   : (size_t) s->left,
                       ra);

#if (NGX_THREADS)
        if (n == NGX_AGAIN && ra != NULL) {
            /* the buffer is free (sent): the thread reads into it */
            if (ngx_vod_thread_readahead(r, s->tp, ra, s->start, s->size)
                != NGX_DONE)
            {
                return NGX_ERROR;
            }

            s->read_ahead = 1;

            return NGX_DONE;
        }
#endif

        if (n <= 0) {
            /* a read failed: the line before this one says why */
            ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                          "vod: response cut short, %O bytes of its body "
                          "not sent", s->left);
            return NGX_ERROR;
        }

        if ((off_t) n > s->left) {
            ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                          "vod: a streamed body came to more bytes than "
                          "it said");
            return NGX_ERROR;
        }

        s->left -= n;

        /* flush: a buffer held back by postpone_output would never be
         * refilled, there being no write event to wait for */
        ngx_memzero(b, sizeof(ngx_buf_t));
        b->pos = s->start;
        b->last = s->start + n;
        b->memory = 1;
        b->flush = 1;

        if (s->left == 0) {
            b->last_buf = (r == r->main) ? 1 : 0;
            b->last_in_chain = 1;
            s->done = 1;
        }

        s->out.next = NULL;

        rc = ngx_http_output_filter(r, &s->out);

        if (rc == NGX_ERROR) {
            return NGX_ERROR;
        }

        if (s->done) {
            return NGX_OK;
        }
    }
}


/* like nginx's own ngx_http_writer(), but producing more as it goes */

static void
ngx_vod_stream_writer(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_event_t               *wev;
    ngx_vod_ctx_t             *ctx;
    ngx_connection_t          *c;
    ngx_http_core_loc_conf_t  *clcf;

    c = r->connection;
    wev = c->write;
    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    if (wev->timedout) {
        ngx_log_error(NGX_LOG_INFO, c->log, NGX_ETIMEDOUT,
                      "client timed out");
        c->timedout = 1;

        ngx_http_finalize_request(r, NGX_HTTP_REQUEST_TIME_OUT);
        return;
    }

    if (r->aio) {
        /* a thread reads ahead; its end calls this handler again */
        return;
    }

    ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);

    rc = (ctx != NULL && ctx->stream != NULL)
         ? ngx_vod_stream_send(r, ctx->stream) : NGX_ERROR;

    if (rc == NGX_DONE) {
        /* a thread reads ahead: no socket timeout meanwhile, and the
         * request's count it took is given back as a handler's is */
        if (wev->timer_set) {
            ngx_del_timer(wev);
        }

        ngx_http_finalize_request(r, NGX_DONE);
        return;
    }

    if (rc == NGX_AGAIN) {
        if (!wev->delayed) {
            ngx_add_timer(wev, clcf->send_timeout);
        }

        if (ngx_handle_write_event(wev, clcf->send_lowat) != NGX_OK) {
            ngx_http_finalize_request(r, NGX_ERROR);
        }

        return;
    }

    if (wev->timer_set && !wev->delayed) {
        ngx_del_timer(wev);
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, rc);
}
