/*
 * vod_index_cut.c: the segment boundaries of a parsed title: the first
 * sample of each segment in every track (vod_idx_parse_t.cut), cut at the
 * primary track's sync samples and at the same times in the others (text
 * tracks follow, never decide), within the build's memory budget and the
 * limits on segments and samples.
 */

#include "vod_index_int.h"


/* a forward-only position in a native stts */
typedef struct {
    uint32_t       run;
    uint32_t       first;                 /* sample number at run start */
    uint64_t       dts;                   /* dts at run start */
} vod_idx_tts_pos_t;


/* a forward-only position in a raw ctts */
typedef struct {
    uint32_t       run;
    uint32_t       first;                 /* sample number at run start */
} vod_idx_ctts_pos_t;


static uint32_t vod_idx_seek_time(vod_idx_parse_t *t, vod_idx_tts_pos_t *c,
    uint64_t tick, uint64_t *dts);
static uint64_t vod_idx_seek_sample(vod_idx_parse_t *t,
    vod_idx_tts_pos_t *c, uint32_t sample);
static int vod_idx_cut(vod_idx_ctx_t *ctx, uint32_t *kept);
static int64_t vod_idx_pts_delay(vod_idx_parse_t *t, vod_idx_ctts_pos_t *c,
    uint32_t sample);
static vod_idx_parse_t *vod_idx_primary(vod_idx_ctx_t *ctx);


/* the track cut on: the first video track, else the first audio track
 * (a text track is never one: vod_idx_parse_moov() wants one other) */

static vod_idx_parse_t *
vod_idx_primary(vod_idx_ctx_t *ctx)
{
    uint32_t  i;

    for (i = 0; i < ctx->track_count; i++) {
        if (ctx->tracks[i].type == VOD_TRACK_VIDEO) {
            return &ctx->tracks[i];
        }
    }

    for (i = 0; i < ctx->track_count; i++) {
        if (ctx->tracks[i].type != VOD_TRACK_TEXT) {
            return &ctx->tracks[i];
        }
    }

    return &ctx->tracks[0];
}


/* the first sample with dts >= tick, and its dts; sample_count if none */

static uint32_t
vod_idx_seek_time(vod_idx_parse_t *t, vod_idx_tts_pos_t *c, uint64_t tick,
    uint64_t *dts)
{
    uint64_t         j;
    vod_idx_stts_t  *r;

    while (c->run < t->stts_n) {
        r = &t->stts[c->run];

        if (c->dts >= tick) {
            *dts = c->dts;
            return c->first;
        }

        if (r->delta != 0) {
            j = (tick - c->dts + r->delta - 1) / r->delta;

            if (j < r->count) {
                *dts = c->dts + j * r->delta;
                return c->first + (uint32_t) j;
            }
        }

        c->first += r->count;
        c->dts += (uint64_t) r->count * r->delta;
        c->run++;
    }

    *dts = c->dts;

    return t->sample_count;
}


static uint64_t
vod_idx_seek_sample(vod_idx_parse_t *t, vod_idx_tts_pos_t *c,
    uint32_t sample)
{
    vod_idx_stts_t  *r;

    while (c->run < t->stts_n) {
        r = &t->stts[c->run];

        if (sample < c->first + r->count) {
            return c->dts + (uint64_t) (sample - c->first) * r->delta;
        }

        c->first += r->count;
        c->dts += (uint64_t) r->count * r->delta;
        c->run++;
    }

    return c->dts;
}


/*
 * Segment boundaries: the first sync sample of the primary track (the
 * first video track, else the first track) whose presentation time is at
 * or after k * segment_ms, for k = 1, 2, ...; every other track is cut at
 * its first sample whose dts is at or after that time.  Presentation time,
 * not decode time: an HEVC key frame may be decoded before its multiple
 * and presented on it, and renditions of different codecs must still cut
 * alike.  A boundary that would leave any track with an empty segment is
 * dropped, and so is the last one when it would leave a final segment
 * under a quarter of the target.
 */

/*
 * One pass over the candidate boundaries; *kept is the number of
 * boundaries kept.  Run twice: first with no cut arrays, only to count,
 * so that the arrays are sized by the segments, not by the samples; then
 * to fill them.  Linear: every candidate advances the primary track, and
 * a candidate dropped because a track has no sample in the segment moves
 * on to the first time that track could have one, so between two kept
 * boundaries at most one candidate per track is dropped (stts, ctts and
 * stss are walked forward only).  A track that has run out of samples
 * ends the pass: no later boundary can leave it a sample.
 */

static int
vod_idx_cut(vod_idx_ctx_t *ctx, uint32_t *kept_out)
{
    int64_t              pts;
    uint32_t             i, n, s, kept, sp, cand;
    uint64_t             k, kmin, unit, tick, dts, at, per;
    vod_env_t           *env;
    vod_idx_parse_t     *p, *t;
    vod_idx_ctts_pos_t   cpos;
    vod_idx_tts_pos_t    pos[VOD_MAX_TRACKS];
    uint32_t             last[VOD_MAX_TRACKS], next[VOD_MAX_TRACKS];

    env = ctx->env;
    p = vod_idx_primary(ctx);

    for (i = 0; i < ctx->track_count; i++) {
        t = &ctx->tracks[i];

        if (t->cut != NULL) {
            t->cut[0] = 0;
        }

        last[i] = 0;
        memset(&pos[i], 0, sizeof(vod_idx_tts_pos_t));
    }

    memset(&cpos, 0, sizeof(vod_idx_ctts_pos_t));

    pts = 0;
    unit = (uint64_t) ctx->segment_ms * p->timescale;
    kept = 0;
    sp = 0;
    k = 1;
    s = 0;

    /* the bytes each segment takes while the index is built */
    per = ctx->track_count * (sizeof(uint32_t) + sizeof(vod_idx_cursor_t))
          + 2 * sizeof(uint64_t);

    for ( ;; ) {
        tick = vod_idx_muldiv(k, unit, 1000, 1);

        if (p->has_stss) {
            /* sync samples in order, until one is presented at tick */
            for ( ;; ) {
                while (sp < p->sync_n && p->sync[sp] <= s) {
                    sp++;
                }

                if (sp == p->sync_n) {
                    break;
                }

                dts = vod_idx_seek_sample(p, &pos[p - ctx->tracks],
                                          p->sync[sp]);
                pts = (int64_t) dts
                      + vod_idx_pts_delay(p, &cpos, p->sync[sp]);

                if (pts >= 0 && (uint64_t) pts >= tick) {
                    break;
                }

                sp++;
            }

            if (sp == p->sync_n) {
                break;
            }

            s = p->sync[sp];
            at = (uint64_t) pts;

        } else {
            /* every sample a sync sample: cut on decode times, the
             * track's delay added (presentation times, as above) */
            s = vod_idx_seek_time(p, &pos[p - ctx->tracks],
                                  (tick > p->delay) ? tick - p->delay : 0,
                                  &dts);
            if (s >= p->sample_count) {
                break;
            }

            at = dts + p->delay;
        }

        k = vod_idx_muldiv(at, 1000, unit, 0) + 1;
        kmin = k;

        /* the other tracks' cuts at this time */

        n = 0;

        for (i = 0; i < ctx->track_count; i++) {
            t = &ctx->tracks[i];

            if (t == p) {
                next[i] = s;
                n++;
                continue;
            }

            /* at the same presented time: a track delayed by its empty
             * edits decodes that much earlier (vod_idx_parse_elst()) */
            tick = vod_idx_muldiv(at, t->timescale, p->timescale, 1);
            tick = (tick > t->delay) ? tick - t->delay : 0;
            cand = vod_idx_seek_time(t, &pos[i], tick, &dts);
            next[i] = cand;

            if (t->type == VOD_TRACK_TEXT) {
                /* subtitles may leave a segment empty or end early: they
                 * never move a boundary */
                n++;
                continue;
            }

            if (cand >= t->sample_count) {
                /* t has ended: no boundary from here on is kept */
                goto done;
            }

            if (cand > last[i]) {
                n++;
                continue;
            }

            /* no sample of t since the last cut: the next candidate
             * worth trying is at the first time that maps past the dts
             * of t's sample cand (its tick rounds up above it), the
             * last multiple of the segment duration at or before it */

            tick = vod_idx_muldiv(dts + t->delay, p->timescale, t->timescale,
                                  0) + 1;
            tick = vod_idx_muldiv(tick, 1000, unit, 0);

            if (tick > kmin) {
                kmin = tick;
            }
        }

        if (n != ctx->track_count) {
            k = kmin;
            continue;
        }

        kept++;

        if (kept == VOD_IDX_MAX_SEGMENTS) {
            env->log(env, "more than %d segments", VOD_IDX_MAX_SEGMENTS);
            return VOD_UNSUPPORTED;
        }

        /* the count stops as soon as the segments could not fit the
         * budget: their cuts, cursors and scratch, kept + 2 of each */

        if ((uint64_t) (kept + 2) * per > ctx->budget - ctx->used) {
            return vod_idx_alloc(ctx, (size_t) (kept + 2) * per,
                                 "segment tables", NULL);
        }

        for (i = 0; i < ctx->track_count; i++) {
            last[i] = next[i];

            if (ctx->tracks[i].cut != NULL) {
                ctx->tracks[i].cut[kept] = next[i];
            }
        }
    }

done:

    *kept_out = kept;

    return VOD_OK;
}


int
vod_idx_segment(vod_idx_ctx_t *ctx)
{
    int                  rc;
    uint32_t             i, j, kept;
    uint64_t             unit, dts;
    vod_env_t           *env;
    vod_idx_parse_t     *p, *t;
    vod_idx_tts_pos_t    pos;

    env = ctx->env;

    rc = vod_idx_cut(ctx, &kept);
    if (rc != VOD_OK) {
        return rc;
    }

    /* kept + 1 segments, one more cut for the end */

    for (i = 0; i < ctx->track_count; i++) {
        rc = vod_idx_alloc(ctx, (size_t) (kept + 2) * sizeof(uint32_t),
                           "segment table", (void **) &ctx->tracks[i].cut);
        if (rc != VOD_OK) {
            return rc;
        }
    }

    rc = vod_idx_cut(ctx, &kept);
    if (rc != VOD_OK) {
        return rc;
    }

    p = vod_idx_primary(ctx);

    unit = (uint64_t) ctx->segment_ms * p->timescale;

    /* a last segment under a quarter of the target joins the one before */

    if (kept > 0) {
        memset(&pos, 0, sizeof(vod_idx_tts_pos_t));
        dts = vod_idx_seek_sample(p, &pos, p->cut[kept]);

        if (p->duration > dts
            && (p->duration - dts) * 1000 * 4 < unit)
        {
            kept--;
        }
    }

    ctx->segment_count = kept + 1;

    for (i = 0; i < ctx->track_count; i++) {
        t = &ctx->tracks[i];
        t->cut[kept + 1] = t->sample_count;

        for (j = 0; j <= kept; j++) {
            if (t->cut[j + 1] - t->cut[j] > VOD_MAX_SEGMENT_SAMPLES) {
                env->log(env, "track %u: segment %u has %u samples, over the"
                         " limit %u", t->track_id, j,
                         t->cut[j + 1] - t->cut[j], VOD_MAX_SEGMENT_SAMPLES);
                return VOD_UNSUPPORTED;
            }
        }
    }

    return VOD_OK;
}


/* presentation minus decode time of a sample, edit list applied; samples
 * are asked for in increasing order */

static int64_t
vod_idx_pts_delay(vod_idx_parse_t *t, vod_idx_ctts_pos_t *c, uint32_t sample)
{
    int64_t        delay;
    uint32_t       run, first, n, count;
    uint64_t       sum;
    const u_char  *p;

    if (t->ctts == NULL) {
        return -t->media_time;
    }

    run = c->run;
    first = c->first;
    n = t->ctts_n;
    p = t->ctts + 8 * (size_t) run;
    delay = -t->media_time;

    /* the runs before the sample's, four at a time: a B-frame pattern
     * makes runs of a sample or two, and the samples asked for lie a
     * segment apart; the sums are 64-bit, so a block is passed only
     * where the run by run loop below would pass each of its runs */

    for ( /* void */ ; n - run >= 4; run += 4, p += 32) {
        sum = (uint64_t) vod_idx_be32(p) + vod_idx_be32(p + 8)
              + vod_idx_be32(p + 16) + vod_idx_be32(p + 24);

        if (sum > sample - first) {
            break;
        }

        first += (uint32_t) sum;
    }

    for ( /* void */ ; run < n; run++, p += 8) {
        count = vod_idx_be32(p);

        if (sample < first + count) {
            delay += (int32_t) vod_idx_be32(p + 4);
            break;
        }

        first += count;
    }

    c->run = run;
    c->first = first;

    return delay;
}
