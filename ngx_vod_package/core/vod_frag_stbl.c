/*
 * vod_frag_stbl.c: the samples a fragmented file's moov lists of its own
 * (ffmpeg's "frag_keyframe" without "empty_moov" puts the first
 * fragment's there), read from its sample tables into the walks of
 * vod_frag.c, chunk by chunk as a trun's.
 */

#include "vod_frag_int.h"


static int vod_frag_stbl(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    vod_mp4_box_t *stbl);
static int vod_frag_table_of(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    vod_mp4_box_t *stbl, uint32_t type, size_t entry,
    const u_char **entries, uint32_t *count);


/*
 * The sample tables of each trak mvex lists whose stbl has samples of its
 * own (the moov's children from p to end): kept in its track, checked
 * against their counts, for the walks to take before the fragments.
 */

int
vod_frag_traks(vod_frag_ctx_t *ctx, const u_char *p, const u_char *end)
{
    int                rc;
    uint32_t           i;
    vod_mp4_box_t      trak, box;
    vod_frag_track_t  *tr;

    static const uint32_t  path[3] = {
        VOD_TAG('m', 'd', 'i', 'a'),
        VOD_TAG('m', 'i', 'n', 'f'),
        VOD_TAG('s', 't', 'b', 'l')
    };

    for ( ;; ) {
        rc = vod_mp4_next_box(ctx->env, &p, end, &trak);
        if (rc == VOD_NOT_FOUND) {
            return VOD_OK;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        if (trak.type != VOD_TAG('t', 'r', 'a', 'k')) {
            continue;
        }

        rc = vod_frag_trak_track(ctx, &trak, &tr);
        if (rc != VOD_OK) {
            return rc;
        }

        if (tr == NULL) {
            continue;
        }

        box = trak;

        for (i = 0; i < 3; i++) {
            rc = vod_mp4_find_box(ctx->env, box.data, box.size, path[i],
                                  &box);
            if (rc != VOD_OK) {
                break;
            }
        }

        if (rc == VOD_NOT_FOUND) {
            continue;
        }

        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_frag_stbl(ctx, tr, &box);
        if (rc != VOD_OK) {
            return rc;
        }
    }
}


static int
vod_frag_stbl(vod_frag_ctx_t *ctx, vod_frag_track_t *tr, vod_mp4_box_t *stbl)
{
    int               rc;
    uint32_t          n;
    vod_env_t        *env;
    vod_mp4_box_t     box;
    vod_frag_stbl_t  *t;

    env = ctx->env;
    t = &tr->moov;

    if (t->samples != 0) {
        env->log(env, "track %u: a second trak", tr->track_id);
        return VOD_BAD_DATA;
    }

    rc = vod_mp4_find_box(env, stbl->data, stbl->size,
                          VOD_TAG('s', 't', 'z', '2'), &box);
    if (rc == VOD_OK && box.size >= 12 && vod_r32(box.data + 8) != 0) {
        env->log(env, "track %u: samples in the moov's stz2 beside "
                 "fragments are not supported", tr->track_id);
        return VOD_UNSUPPORTED;
    }

    if (rc != VOD_OK && rc != VOD_NOT_FOUND) {
        return rc;
    }

    rc = vod_mp4_find_box(env, stbl->data, stbl->size,
                          VOD_TAG('s', 't', 's', 'z'), &box);
    if (rc == VOD_NOT_FOUND) {
        return VOD_OK;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    if (box.size < 12) {
        env->log(env, "track %u: stsz box too short: %zu bytes",
                 tr->track_id, box.size);
        return VOD_BAD_DATA;
    }

    n = vod_r32(box.data + 8);

    if (n == 0) {
        return VOD_OK;
    }

    t->size0 = vod_r32(box.data + 4);

    if (t->size0 == 0) {
        if (n > (box.size - 12) / 4) {
            env->log(env, "track %u: stsz claims %u samples in %zu bytes",
                     tr->track_id, n, box.size);
            return VOD_BAD_DATA;
        }

        t->stsz = box.data + 12;
    }

    if (n > VOD_MAX_SAMPLES) {
        env->log(env, "track %u: more than %u samples in the moov",
                 tr->track_id, VOD_MAX_SAMPLES);
        return VOD_BAD_DATA;
    }

    rc = vod_frag_table_of(ctx, tr, stbl, VOD_TAG('s', 't', 't', 's'), 8,
                           &t->stts, &t->stts_n);
    if (rc == VOD_OK) {
        rc = vod_frag_table_of(ctx, tr, stbl, VOD_TAG('s', 't', 's', 'c'),
                               12, &t->stsc, &t->stsc_n);
    }

    if (rc == VOD_OK) {
        rc = vod_frag_table_of(ctx, tr, stbl, VOD_TAG('c', 'o', '6', '4'),
                               8, &t->chunks, &t->chunk_n);
        t->co64 = (rc == VOD_OK);

        if (rc == VOD_NOT_FOUND) {
            rc = vod_frag_table_of(ctx, tr, stbl,
                                   VOD_TAG('s', 't', 'c', 'o'), 4,
                                   &t->chunks, &t->chunk_n);
        }
    }

    if (rc == VOD_NOT_FOUND || (rc == VOD_OK
                                && (t->stts_n == 0 || t->stsc_n == 0)))
    {
        env->log(env, "track %u: %u samples in the moov without their "
                 "times or chunks", tr->track_id, n);
        return VOD_BAD_DATA;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    /* optional: composition offsets, sync samples */

    rc = vod_frag_table_of(ctx, tr, stbl, VOD_TAG('c', 't', 't', 's'), 8,
                           &t->ctts, &t->ctts_n);
    if (rc == VOD_NOT_FOUND) {
        t->ctts = NULL;

    } else if (rc != VOD_OK) {
        return rc;
    }

    rc = vod_frag_table_of(ctx, tr, stbl, VOD_TAG('s', 't', 's', 's'), 4,
                           &t->stss, &t->stss_n);
    if (rc == VOD_NOT_FOUND) {
        t->stss = NULL;

    } else if (rc != VOD_OK) {
        return rc;
    }

    t->samples = n;

    return VOD_OK;
}


/* a table of the stbl whose version and flags and entry count come before
 * its entries: those and their count, checked against the box's size */

static int
vod_frag_table_of(vod_frag_ctx_t *ctx, vod_frag_track_t *tr,
    vod_mp4_box_t *stbl, uint32_t type, size_t entry,
    const u_char **entries, uint32_t *count)
{
    int            rc;
    uint32_t       n;
    vod_mp4_box_t  box;

    rc = vod_mp4_find_box(ctx->env, stbl->data, stbl->size, type, &box);
    if (rc != VOD_OK) {
        return rc;
    }

    n = (box.size >= 8) ? vod_r32(box.data + 4) : 0;

    if (box.size < 8 || n > (box.size - 8) / entry) {
        ctx->env->log(ctx->env, "track %u: the moov's %c%c%c%c claims %u "
                      "entries in %zu bytes", tr->track_id,
                      (int) (type >> 24), (int) ((type >> 16) & 0xff),
                      (int) ((type >> 8) & 0xff), (int) (type & 0xff), n,
                      box.size);
        return VOD_BAD_DATA;
    }

    *entries = box.data + 8;
    *count = n;

    return VOD_OK;
}


/*
 * The moov's own samples of a track, chunk by chunk, into the runs and
 * tables as a trun's are; they start the track's time line, which the
 * fragments' tfdt then continue.
 */

int
vod_frag_moov_samples(vod_frag_ctx_t *ctx, vod_frag_track_t *tr)
{
    int32_t           cto;
    uint32_t          c, s, j, spc, run, first, next, size, sync, k;
    uint32_t          stts_i, stts_left, ctts_i, ctts_left, duration;
    uint64_t          start, offset;
    vod_env_t        *env;
    const u_char     *e;
    vod_frag_stbl_t  *t;

    env = ctx->env;
    t = &tr->moov;

    if (vod_r32(t->stsc) != 1) {
        env->log(env, "track %u: the moov's stsc does not start at chunk 1",
                 tr->track_id);
        return VOD_BAD_DATA;
    }

    if (t->samples > VOD_MAX_SAMPLES - ctx->total) {
        env->log(env, "the fragments hold more than %u samples",
                 VOD_MAX_SAMPLES);
        return VOD_BAD_DATA;
    }

    s = 0;
    k = 0;
    run = 0;
    stts_i = 0;
    stts_left = 0;
    ctts_i = 0;
    ctts_left = 0;
    duration = 0;
    cto = 0;

    for (c = 0; c < t->chunk_n && s < t->samples; c++) {

        /* the stsc run of chunk c + 1: first chunks rise */

        while (run + 1 < t->stsc_n) {
            next = vod_r32(t->stsc + 12 * (size_t) (run + 1));
            first = vod_r32(t->stsc + 12 * (size_t) run);

            if (next <= first) {
                env->log(env, "track %u: the moov's stsc goes back at "
                         "entry %u", tr->track_id, run + 2);
                return VOD_BAD_DATA;
            }

            if (c + 1 < next) {
                break;
            }

            run++;
        }

        spc = vod_r32(t->stsc + 12 * (size_t) run + 4);

        if (spc == 0 || spc > t->samples - s) {
            env->log(env, "track %u: chunk %u of the moov holds %u samples, "
                     "%u left", tr->track_id, c + 1, spc, t->samples - s);
            return VOD_BAD_DATA;
        }

        e = t->chunks + (t->co64 ? 8 : 4) * (size_t) c;
        start = t->co64 ? vod_r64(e) : vod_r32(e);

        if (start > ctx->file_size || spc > ctx->file_size - start) {
            env->log(env, "track %u: chunk %u of the moov at offset %llu "
                     "beyond the file", tr->track_id, c + 1,
                     (unsigned long long) start);
            return VOD_BAD_DATA;
        }

        vod_frag_chunk(ctx, tr, start, spc);

        offset = start;

        for (j = 0; j < spc; j++, s++) {
            while (stts_left == 0) {
                if (stts_i == t->stts_n) {
                    env->log(env, "track %u: the moov's stts times %u of "
                             "%u samples", tr->track_id, s, t->samples);
                    return VOD_BAD_DATA;
                }

                stts_left = vod_r32(t->stts + 8 * (size_t) stts_i);
                duration = vod_r32(t->stts + 8 * (size_t) stts_i + 4);
                stts_i++;
            }

            stts_left--;

            if (t->ctts != NULL) {
                while (ctts_left == 0 && ctts_i < t->ctts_n) {
                    ctts_left = vod_r32(t->ctts + 8 * (size_t) ctts_i);
                    cto = (int32_t) vod_r32(t->ctts
                                            + 8 * (size_t) ctts_i + 4);
                    ctts_i++;
                }

                /* past the table's end: no offset */
                if (ctts_left == 0) {
                    cto = 0;

                } else {
                    ctts_left--;
                }
            }

            /* stss lists sample numbers, rising */

            sync = (t->stss == NULL);

            while (!sync && k < t->stss_n
                   && vod_r32(t->stss + 4 * (size_t) k) <= s + 1)
            {
                sync = (vod_r32(t->stss + 4 * (size_t) k) == s + 1);
                k++;
            }

            size = (t->stsz != NULL) ? vod_r32(t->stsz + 4 * (size_t) s)
                                     : t->size0;

            if (size > VOD_MAX_SAMPLE_SIZE) {
                env->log(env, "track %u: sample size %u over the limit",
                         tr->track_id, size);
                return VOD_BAD_DATA;
            }

            offset += size;

            vod_frag_sample(ctx, tr, duration, size, cto, sync);
        }

        if (offset > ctx->file_size) {
            env->log(env, "track %u: chunk %u of the moov runs %llu bytes "
                     "past the end of the file", tr->track_id, c + 1,
                     (unsigned long long) (offset - ctx->file_size));
            return VOD_BAD_DATA;
        }
    }

    if (s != t->samples) {
        env->log(env, "track %u: the moov's chunks hold %u of its %u "
                 "samples", tr->track_id, s, t->samples);
        return VOD_BAD_DATA;
    }

    /* the fragments' decode times go on from here */
    tr->started = 1;
    tr->origin = 0;

    return VOD_OK;
}
