/*
 * ngx_vod_package_refresh.c: where a run of an intra-refreshed H.264
 * video starts, in a pool thread, before anything is decoded.
 *
 * Such an encoder (x264 --intra-refresh; low-delay broadcast encoders)
 * sends one IDR, then refreshes the picture a column at a time, and marks
 * where each refresh starts with a recovery point SEI on a P or B
 * picture, which muxers (FFmpeg's mov) mark as a sync sample.  A run's
 * key frame may then be one of those: a decode from it shows a picture
 * still being refreshed until the picture whose frame_num is the key's
 * plus recovery_frame_cnt (H.264 D.2.8), and libavcodec, strict, refuses
 * the references it lacks.  The run then starts at the latest sync sample
 * from which that point comes at or before the first frame it shows,
 * among the samples before it that the worker gave (run->back: its
 * segment's; and those of the segments before, joined when a decode
 * asked for them, d->again), within vod_thumbnail_max_frames of the last
 * frame it shows.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_thumb.h"
#include "ngx_vod_package_decode.h"
#include "vod_thumb_refs.h"


#if (NGX_VOD_THUMBNAILS)

/* the bytes of a sample read for its head: its SEI, parameter sets and
 * first slice header (x264's SEI alone is some 700 bytes) */
#define NGX_VOD_REFRESH_HEAD  4096


typedef struct {
    ngx_vod_decode_t      *d;
    ngx_vod_decode_run_t  *run;
    vod_thumb_refs_t      *refs;
    vod_refs_head_t       *heads;         /* samples lo to last */
    u_char                *read;          /* 1: its head is in heads */
    int64_t                lo;            /* the earliest sample looked
                                             at, from samples[0] */
} ngx_vod_refresh_t;


static int ngx_vod_refresh_search(ngx_vod_refresh_t *rf, uint32_t last,
    int64_t shown, int64_t *start, unsigned *recovery);
static int ngx_vod_refresh_head(ngx_vod_refresh_t *rf, int64_t i,
    vod_refs_head_t **h);
static int64_t ngx_vod_refresh_pts(ngx_vod_decode_run_t *run, int64_t i);
static void ngx_vod_refresh_rebase(ngx_vod_decode_run_t *run, int64_t e,
    unsigned recovery);


int
ngx_vod_decode_refresh(ngx_vod_decode_t *d, ngx_vod_decode_run_t *run)
{
    int                 rc;
    int64_t             start, shown, pts;
    uint32_t            t, last;
    unsigned            recovery;
    vod_refs_head_t    *h;
    ngx_vod_refresh_t   rf;

    if (d->codec != VOD_CODEC_AVC || run->ntiles == 0
        || (d->nal.nal_length_size != 1 && d->nal.nal_length_size != 2
            && d->nal.nal_length_size != 4))
    {
        return VOD_OK;
    }

    /* the last sample shown, and the earliest time shown */

    last = 0;
    shown = INT64_MAX;

    for (t = 0; t < run->ntiles; t++) {
        last = ngx_max(last, run->tiles[t].sample);
        pts = ngx_vod_refresh_pts(run, run->tiles[t].sample);
        shown = ngx_min(shown, pts);
    }

    if (last >= run->count) {
        return VOD_OK;
    }

    /* the samples a start may be at: back before the key frame, and
     * none further than vod_thumbnail_max_frames from the last shown */

    start = 0;
    recovery = 0;

    rf.d = d;
    rf.run = run;
    rf.lo = -(int64_t) run->back;

    if ((int64_t) last + 1 - (int64_t) d->max_frames > rf.lo) {
        rf.lo = (int64_t) last + 1 - (int64_t) d->max_frames;
    }

    if (rf.lo > 0) {
        rf.lo = 0;
    }

    rf.refs = malloc(sizeof(vod_thumb_refs_t));
    rf.heads = malloc((size_t) (last + 1 - rf.lo) * sizeof(vod_refs_head_t));
    rf.read = calloc((size_t) (last + 1 - rf.lo), 1);

    if (rf.refs == NULL || rf.heads == NULL || rf.read == NULL) {
        rc = ngx_vod_decode_error(d, VOD_ERROR, "out of memory");
        goto done;
    }

    vod_thumb_refs_init(rf.refs, d->config, d->config_len,
                        d->nal.nal_length_size, NULL, 0);

    /* the key frame: an IDR or an I picture is decoded from as ever (the
     * decode says what else may be wrong with it) */

    if (ngx_vod_refresh_head(&rf, 0, &h) != VOD_OK || h->idr || h->intra) {
        rc = VOD_OK;
        goto done;
    }

    rc = ngx_vod_refresh_search(&rf, last, shown, &start, &recovery);

    if (rc == VOD_OK) {
        ngx_vod_refresh_rebase(run, start, recovery);
        goto done;
    }

    if (rc != VOD_NOT_FOUND) {
        goto done;
    }

    if (rf.lo == -(int64_t) run->back && run->more) {
        /* the segment before may have the start: the worker joins it */
        d->again = 1;
        goto done;
    }

    rc = ngx_vod_decode_error(d, VOD_BAD_DATA,
                              "the frame presented at %lld (timescale "
                              "%u) follows an intra refresh that no "
                              "recovery point within %lld frames before "
                              "it completes", (long long) shown,
                              d->timescale, (long long) (last + 1 - rf.lo));

done:

    free(rf.read);
    free(rf.heads);
    free(rf.refs);

    return rc;
}


/*
 * The latest sync sample from lo to 0 from which every picture shown is
 * whole: an IDR or an I picture, or a recovery point (*recovery set)
 * reached at or before the earliest time shown.  VOD_NOT_FOUND for none.
 */

static int
ngx_vod_refresh_search(ngx_vod_refresh_t *rf, uint32_t last, int64_t shown,
    int64_t *start, unsigned *recovery)
{
    int               rc;
    int64_t           e, i;
    uint32_t          at;
    vod_refs_head_t  *h;

    for (e = 0; e >= rf->lo; e--) {
        if (!rf->run->samples[e].sync) {
            continue;
        }

        if (ngx_vod_refresh_head(rf, e, &h) != VOD_OK) {
            continue;
        }

        if (h->idr || h->intra) {
            *start = e;
            *recovery = 0;
            return VOD_OK;
        }

        if (h->recovery < 0) {
            /* a sync sample that says no recovery point: not a start */
            continue;
        }

        for (i = e + 1; i <= (int64_t) last; i++) {
            rc = ngx_vod_refresh_head(rf, i, &h);

            if (rc != VOD_OK) {
                return ngx_vod_decode_error(rf->d, VOD_BAD_DATA,
                                            "the slice header of the "
                                            "sample at offset %llu does "
                                            "not read",
                                            (unsigned long long)
                                            rf->run->samples[i].offset);
            }
        }

        if (vod_thumb_refs_recovered(&rf->heads[e - rf->lo],
                                     (uint32_t) (last + 1 - e), &at)
            == VOD_OK
            && ngx_vod_refresh_pts(rf->run, e + at) <= shown)
        {
            *start = e;
            *recovery = 1;
            return VOD_OK;
        }
    }

    return VOD_NOT_FOUND;
}


/* sample i's head (i from samples[0], lo to last), read once */

static int
ngx_vod_refresh_head(ngx_vod_refresh_t *rf, int64_t i, vod_refs_head_t **h)
{
    u_char         buf[NGX_VOD_REFRESH_HEAD];
    size_t         len;
    ssize_t        n;
    vod_sample_t  *s;

    *h = &rf->heads[i - rf->lo];

    if (rf->read[i - rf->lo]) {
        return VOD_OK;
    }

    s = &rf->run->samples[i];
    len = ngx_min(s->size, NGX_VOD_REFRESH_HEAD);

    do {
        n = pread(rf->d->fd, buf, len, (off_t) s->offset);
    } while (n == -1 && ngx_errno == NGX_EINTR);

    if (n <= 0) {
        /* the decode's own read says why */
        return VOD_BAD_DATA;
    }

    if (vod_thumb_refs_head(rf->refs, buf, (size_t) n, *h) != VOD_OK) {
        return VOD_BAD_DATA;
    }

    rf->read[i - rf->lo] = 1;

    return VOD_OK;
}


/* the presentation time of sample i (from samples[0], may be before) */

static int64_t
ngx_vod_refresh_pts(ngx_vod_decode_run_t *run, int64_t i)
{
    int64_t  dts, j;

    dts = (int64_t) run->start_dts;

    for (j = 0; j < i; j++) {
        dts += run->samples[j].duration;
    }

    for (j = i; j < 0; j++) {
        dts -= run->samples[j].duration;
    }

    return dts + run->samples[i].pts_delay;
}


/* the run from sample e (at or before its key frame) on; from a
 * recovery point, the decode is told (run->refresh) */

static void
ngx_vod_refresh_rebase(ngx_vod_decode_run_t *run, int64_t e,
    unsigned recovery)
{
    int64_t   j;
    uint32_t  t, k;

    run->refresh = recovery;

    for (j = e; j < 0; j++) {
        run->start_dts -= run->samples[j].duration;
    }

    k = (uint32_t) -e;

    run->samples += e;
    run->count += k;
    run->back -= k;

    for (t = 0; t < run->ntiles; t++) {
        run->tiles[t].sample += k;
    }
}

#endif /* NGX_VOD_THUMBNAILS */
