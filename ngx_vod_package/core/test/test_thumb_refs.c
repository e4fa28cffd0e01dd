/*
 * test_thumb_refs.c: the H.264 reference model (vod_thumb_refs.c) on
 * hand-built parameter sets and slice headers: P list order and a
 * modification, B lists by POC, the sliding window, MMCO 1 and 5, the
 * stand-in libavcodec puts for a skipped frame, and what gets no proof;
 * a sample's head (its recovery point SEI, frame_num) and where an intra
 * refresh's recovery point is reached.
 */

#include <stdarg.h>
#include <stdio.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "vod_thumb_refs.h"


#define SLICE_P  5                    /* slice_type, all slices alike */
#define SLICE_B  6
#define SLICE_I  7


typedef struct {
    u_char    buf[1024];
    size_t    bits;
} bw_t;


/* one picture to build: a single slice */
typedef struct {
    uint32_t  type;                   /* SLICE_* */
    uint32_t  ref;                    /* nal_ref_idc */
    uint32_t  idr;
    uint32_t  frame_num;
    uint32_t  poc_lsb;
    uint32_t  active[2];              /* 0: the PPS's (1) */
    int32_t   mod0;                   /* L0 abs_diff_pic_num_minus1 with */
    uint32_t  mod0_idc;               /* idc 0 or 1; mod0 < 0: none */
    uint32_t  mmco;                   /* 0 none, 1 or 5 */
    uint32_t  mmco_diff;
} pic_spec_t;


typedef struct {
    vod_thumb_refs_t  r;
    vod_refs_pic_t    pics[16];
    u_char            need[16];
} ctx_t;


static ctx_t  ctx;


static void
bw_u(bw_t *w, uint32_t v, uint32_t n)
{
    while (n-- > 0) {
        if ((v >> n) & 1) {
            w->buf[w->bits >> 3] |= (u_char) (0x80 >> (w->bits & 7));
        }

        w->bits++;
    }
}


static void
bw_ue(bw_t *w, uint32_t v)
{
    uint32_t  n, x;

    for (n = 0, x = v + 1; x > 1; x >>= 1) {
        n++;
    }

    bw_u(w, 0, n);
    bw_u(w, v + 1, n + 1);
}


static void
bw_se(bw_t *w, int32_t v)
{
    bw_ue(w, (v > 0) ? (uint32_t) (2 * v - 1) : (uint32_t) (-2 * v));
}


/* the RBSP stop bit, then a NAL unit with its header byte, emulation
 * prevented, behind a 4-byte length, at out; its length */
static size_t
bw_nal(bw_t *w, u_char header, u_char *out)
{
    size_t    i, n, zeros;
    u_char   *p;

    bw_u(w, 1, 1);

    p = out + 4;
    *p++ = header;
    zeros = 0;

    for (i = 0; i < (w->bits + 7) / 8; i++) {
        if (zeros >= 2 && w->buf[i] <= 3) {
            *p++ = 3;
            zeros = 0;
        }

        zeros = (w->buf[i] == 0) ? zeros + 1 : 0;
        *p++ = w->buf[i];
    }

    n = (size_t) (p - out) - 4;
    out[0] = 0; out[1] = 0; out[2] = (u_char) (n >> 8); out[3] = (u_char) n;

    return n + 4;
}


/* avcC: baseline, log2_max_frame_num 4, POC type 0 with 6-bit lsb,
 * max_num_ref_frames refs; a PPS of one reference in each list */
static size_t
avcc(u_char *out, uint32_t refs, uint32_t poc_type)
{
    bw_t     w;
    size_t   n, k;
    u_char   nal[64];

    memcpy(out, "\x01\x42\x00\x1e\xff\xe1", 6);

    memset(&w, 0, sizeof(w));
    bw_u(&w, 66, 8);
    bw_u(&w, 0, 8);
    bw_u(&w, 30, 8);
    bw_ue(&w, 0);                     /* sps id */
    bw_ue(&w, 0);                     /* log2_max_frame_num - 4 */
    bw_ue(&w, poc_type);
    if (poc_type == 0) {
        bw_ue(&w, 2);                 /* log2_max_poc_lsb - 4 */
    }
    bw_ue(&w, refs);
    bw_u(&w, 0, 1);                   /* gaps */
    bw_ue(&w, 0);
    bw_ue(&w, 0);
    bw_u(&w, 1, 1);                   /* frame_mbs_only */
    bw_u(&w, 1, 1);                   /* direct_8x8 */
    bw_u(&w, 0, 2);                   /* cropping, vui */
    n = bw_nal(&w, 0x67, nal);
    memcpy(out + 6, nal + 2, n - 2);  /* 16-bit length */
    k = 6 + n - 2;

    out[k++] = 1;

    memset(&w, 0, sizeof(w));
    bw_ue(&w, 0);
    bw_ue(&w, 0);
    bw_u(&w, 0, 2);                   /* entropy, bottom_field_poc */
    bw_ue(&w, 0);                     /* slice groups */
    bw_ue(&w, 0);
    bw_ue(&w, 0);
    bw_u(&w, 0, 3);                   /* weighted */
    bw_se(&w, 0);
    bw_se(&w, 0);
    bw_se(&w, 0);
    bw_u(&w, 0, 3);
    n = bw_nal(&w, 0x68, nal);
    memcpy(out + k, nal + 2, n - 2);

    return k + n - 2;
}


static size_t
slice(const pic_spec_t *s, u_char *out)
{
    bw_t      w;
    uint32_t  l;

    memset(&w, 0, sizeof(w));
    bw_ue(&w, 0);                     /* first_mb */
    bw_ue(&w, s->type);
    bw_ue(&w, 0);                     /* pps */
    bw_u(&w, s->frame_num, 4);
    if (s->idr) {
        bw_ue(&w, 0);
    }
    bw_u(&w, s->poc_lsb, 6);

    if (s->type == SLICE_B) {
        bw_u(&w, 1, 1);               /* direct_spatial */
    }

    if (s->type != SLICE_I) {
        if (s->active[0] != 0) {
            bw_u(&w, 1, 1);
            bw_ue(&w, s->active[0] - 1);
            if (s->type == SLICE_B) {
                bw_ue(&w, (s->active[1] ? s->active[1] : 1) - 1);
            }

        } else {
            bw_u(&w, 0, 1);
        }

        for (l = 0; l < ((s->type == SLICE_B) ? 2u : 1u); l++) {
            if (l == 0 && s->mod0 >= 0) {
                bw_u(&w, 1, 1);
                bw_ue(&w, s->mod0_idc);
                bw_ue(&w, (uint32_t) s->mod0);
                bw_ue(&w, 3);

            } else {
                bw_u(&w, 0, 1);
            }
        }
    }

    if (s->ref) {
        if (s->idr) {
            bw_u(&w, 0, 2);

        } else if (s->mmco) {
            bw_u(&w, 1, 1);
            bw_ue(&w, s->mmco);
            if (s->mmco == 1) {
                bw_ue(&w, s->mmco_diff);
            }
            bw_ue(&w, 0);

        } else {
            bw_u(&w, 0, 1);
        }
    }

    bw_u(&w, 0x55, 8);                /* some slice data */

    return bw_nal(&w, (u_char) ((s->ref << 5) | (s->idr ? 5 : 1)), out);
}


/* the run of n pictures, pictures shown[] shown; need() as it returns */
static int
run(const pic_spec_t *specs, uint32_t n, const uint32_t *shown,
    uint32_t nshown, uint32_t refs)
{
    u_char    cfg[128], sample[128];
    size_t    len, i;

    len = avcc(cfg, refs, 0);
    vod_thumb_refs_init(&ctx.r, cfg, len, 4, ctx.pics, 16);

    for (i = 0; i < n; i++) {
        vod_thumb_refs_add(&ctx.r, sample, slice(&specs[i], sample));
    }

    memset(ctx.need, 0, sizeof(ctx.need));

    for (i = 0; i < nshown; i++) {
        ctx.need[shown[i]] = 1;
    }

    return vod_thumb_refs_needed(&ctx.r, ctx.need);
}


#define I0       { SLICE_I, 1, 1, 0, 0, { 0, 0 }, -1, 0, 0, 0 }
#define P(fn, poc, mod, mmco, diff)                                          \
    { SLICE_P, 1, 0, fn, poc, { 0, 0 }, mod, 0, mmco, diff }


static void
test_refs_p_order(void **state)
{
    uint32_t          shown = 3;
    pic_spec_t        p[] = { I0, P(1, 2, -1, 0, 0), P(2, 4, -1, 0, 0),
                              P(3, 6, -1, 0, 0) };

    /* three references in the list: newest first */
    p[3].active[0] = 3;

    assert_int_equal(run(p, 4, &shown, 1, 3), VOD_OK);
    assert_int_equal(ctx.pics[3].slices[0].len[0], 3);
    assert_int_equal(ctx.pics[3].slices[0].list[0][0], 2);
    assert_int_equal(ctx.pics[3].slices[0].list[0][1], 1);
    assert_int_equal(ctx.pics[3].slices[0].list[0][2], 0);
    assert_memory_equal(ctx.need, "\1\1\1\1", 4);

    /* one: the previous frame, and so on back */
    p[3].active[0] = 0;
    assert_int_equal(run(p, 4, &shown, 1, 3), VOD_OK);
    assert_memory_equal(ctx.need, "\1\1\1\1", 4);
}


static void
test_refs_p_modification(void **state)
{
    uint32_t          shown = 3;
    pic_spec_t        p[] = { I0, P(1, 2, -1, 0, 0), P(2, 4, -1, 0, 0),
                              P(3, 6, 2, 0, 0) };

    /* picNumPred 3 - (2 + 1): the key frame; P1 and P2 are skipped, and
     * libavcodec's stand-ins for them shift nothing the list names */
    assert_int_equal(run(p, 4, &shown, 1, 3), VOD_OK);
    assert_int_equal(ctx.pics[3].slices[0].len[0], 1);
    assert_int_equal(ctx.pics[3].slices[0].list[0][0], 0);
    assert_memory_equal(ctx.need, "\1\0\0\1", 4);

    /* a PicNum that no short-term picture has: no proof */
    p[3].mod0 = 5;
    assert_int_not_equal(run(p, 4, &shown, 1, 3), VOD_OK);
}


static void
test_refs_sliding_window(void **state)
{
    uint32_t          shown = 3;
    pic_spec_t        p[] = { I0, P(1, 2, -1, 0, 0), P(2, 4, -1, 0, 0),
                              P(3, 6, 1, 0, 0) };

    /* two frames in the DPB: P2 pushed the key frame out; P3 names P1
     * (3 - 2), its stand-in for P2 pushes the key frame out too */
    assert_int_equal(run(p, 4, &shown, 1, 2), VOD_OK);
    assert_memory_equal(ctx.need, "\1\1\0\1", 4);

    /* the key frame is no longer there to be named */
    p[3].mod0 = 2;
    assert_int_not_equal(run(p, 4, &shown, 1, 2), VOD_OK);
}


static void
test_refs_mmco(void **state)
{
    uint32_t          shown = 3;
    pic_spec_t        p[] = { I0, P(1, 2, -1, 0, 0), P(2, 4, -1, 1, 1),
                              P(3, 6, -1, 0, 0) };

    /* P2's MMCO 1 unmarks PicNum 2 - (1 + 1): the key frame */
    p[3].active[0] = 3;
    assert_int_equal(run(p, 4, &shown, 1, 3), VOD_OK);
    assert_int_equal(ctx.pics[3].slices[0].len[0], 2);
    assert_int_equal(ctx.pics[3].slices[0].list[0][0], 2);
    assert_int_equal(ctx.pics[3].slices[0].list[0][1], 1);

    /* MMCO 5 is not modelled */
    p[2].mmco = 5;
    assert_int_not_equal(run(p, 4, &shown, 1, 3), VOD_OK);
}


static void
test_refs_b_poc(void **state)
{
    uint32_t          shown = 3;
    pic_spec_t        p[] = {
        I0,
        P(1, 8, -1, 0, 0),
        { SLICE_B, 1, 0, 2, 4, { 1, 1 }, -1, 0, 0, 0 },
        { SLICE_B, 0, 0, 3, 2, { 1, 2 }, -1, 0, 0, 0 },
    };

    /* b3 (POC 2): L0 the key frame (POC 0, before it), L1 by POC
     * ascending after it: B2 (4) before P1 (8), though P1 is older */
    assert_int_equal(run(p, 4, &shown, 1, 3), VOD_OK);
    assert_int_equal(ctx.pics[3].slices[0].len[0], 1);
    assert_int_equal(ctx.pics[3].slices[0].list[0][0], 0);
    assert_int_equal(ctx.pics[3].slices[0].len[1], 2);
    assert_int_equal(ctx.pics[3].slices[0].list[1][0], 2);
    assert_int_equal(ctx.pics[3].slices[0].list[1][1], 1);

    /* B2 (POC 4): L0 the key frame, L1 P1 */
    assert_int_equal(ctx.pics[2].slices[0].list[0][0], 0);
    assert_int_equal(ctx.pics[2].slices[0].list[1][0], 1);
    assert_memory_equal(ctx.need, "\1\1\1\1", 4);
}


static void
test_refs_stand_in_poc(void **state)
{
    uint32_t          shown = 3;
    pic_spec_t        p[] = {
        I0,
        P(1, 12, -1, 0, 0),
        P(2, 4, 1, 0, 0),
        { SLICE_B, 0, 0, 3, 2, { 1, 1 }, -1, 0, 0, 0 },
    };

    /* b3 (POC 2) names the key frame and P2 (mod: PicNum 0); P1 only sits
     * in the DPB.  Without P1, libavcodec's stand-in for it has the key
     * frame's POC + 2 = 2, up to b3's: L0 would start with it.  So P1 is
     * needed after all */
    p[2].mod0 = 1;
    assert_int_equal(run(p, 4, &shown, 1, 3), VOD_OK);
    assert_int_equal(ctx.pics[3].slices[0].list[0][0], 0);
    assert_int_equal(ctx.pics[3].slices[0].list[1][0], 2);
    assert_memory_equal(ctx.need, "\1\1\1\1", 4);
}


static void
test_refs_no_proof(void **state)
{
    u_char            cfg[128], junk[64];
    size_t            len, i;
    uint32_t          shown = 1;
    pic_spec_t        p[] = { P(1, 2, -1, 0, 0), P(2, 4, -1, 0, 0) };

    /* a run not starting at an IDR */
    assert_int_not_equal(run(p, 2, &shown, 1, 3), VOD_OK);

    /* POC type 1 */
    len = avcc(cfg, 3, 1);
    vod_thumb_refs_init(&ctx.r, cfg, len, 4, ctx.pics, 16);
    assert_int_equal(ctx.r.failed, 0);

    /* garbage after a valid configuration */
    len = avcc(cfg, 3, 0);

    for (i = 0; i < sizeof(junk); i++) {
        junk[i] = (u_char) (i * 37 + 11);
    }

    junk[0] = 0; junk[1] = 0; junk[2] = 0; junk[3] = 60;
    vod_thumb_refs_init(&ctx.r, cfg, len, 4, ctx.pics, 16);
    vod_thumb_refs_add(&ctx.r, junk, sizeof(junk));
    memset(ctx.need, 0, sizeof(ctx.need));
    assert_int_not_equal(vod_thumb_refs_needed(&ctx.r, ctx.need), VOD_OK);

    /* no avcC */
    vod_thumb_refs_init(&ctx.r, NULL, 0, 4, ctx.pics, 16);
    assert_int_not_equal(vod_thumb_refs_needed(&ctx.r, ctx.need), VOD_OK);
}


/* a parameter set a sample repeats is fine; one changed under its id
 * within the run would need its own model: no proof */
static void
test_refs_set_changed(void **state)
{
    u_char            cfg[128], other[128], sample[256];
    size_t            len, n;
    uint32_t          k;
    const pic_spec_t  idr = I0;

    for (k = 0; k < 2; k++) {
        len = avcc(cfg, 2, 0);
        (void) avcc(other, (k == 0) ? 2 : 3, 0);
        vod_thumb_refs_init(&ctx.r, cfg, len, 4, ctx.pics, 16);
        assert_int_equal(ctx.r.failed, 0);

        /* other's SPS, its 16-bit length made a 4-byte one */
        n = ((size_t) other[6] << 8) | other[7];
        sample[0] = 0;
        sample[1] = 0;
        memcpy(sample + 2, other + 6, n + 2);
        n += 4;
        n += slice(&idr, sample + n);

        vod_thumb_refs_add(&ctx.r, sample, n);
        assert_int_equal(ctx.r.failed, k);
    }
}


/* an SEI NAL unit: a user data message of ud bytes (x264's version
 * string), then a recovery point of cnt (cnt < 0: none), at out */
static size_t
sei(uint32_t ud, int32_t cnt, u_char *out)
{
    bw_t      w;
    uint32_t  i, n;

    memset(&w, 0, sizeof(w));

    if (ud > 0) {
        bw_u(&w, 5, 8);                   /* user_data_unregistered */

        for (n = ud; n >= 255; n -= 255) {
            bw_u(&w, 255, 8);
        }

        bw_u(&w, n, 8);

        for (i = 0; i < ud; i++) {
            bw_u(&w, 0x40 + i % 26, 8);
        }
    }

    if (cnt >= 0) {
        bw_u(&w, 6, 8);                   /* recovery_point */
        bw_u(&w, 1, 8);                   /* its size: 1 byte... */
        bw_ue(&w, (uint32_t) cnt);        /* ...when cnt < 7 */
        bw_u(&w, 0, 1);                   /* exact_match */
        bw_u(&w, 0, 1);                   /* broken_link */
        bw_u(&w, 0, 2);                   /* changing_slice_group_idc */
        bw_u(&w, 1, 1);                   /* payload alignment */

        while (w.bits & 7) {
            bw_u(&w, 0, 1);
        }
    }

    return bw_nal(&w, 0x06, out);
}


/* what a sample's SEI and first slice say: an intra refresh's recovery
 * point, an IDR, a recovery point behind a long SEI, none */
static void
test_refs_head(void **state)
{
    u_char            cfg[128], sample[1024];
    size_t            len, n;
    vod_refs_head_t   h;
    const pic_spec_t  idr = I0;
    const pic_spec_t  p = P(7, 14, -1, 0, 0);

    len = avcc(cfg, 3, 0);
    vod_thumb_refs_init(&ctx.r, cfg, len, 4, NULL, 0);

    n = sei(0, 5, sample);
    n += slice(&p, sample + n);
    assert_int_equal(vod_thumb_refs_head(&ctx.r, sample, n, &h), VOD_OK);
    assert_int_equal(h.frame_num, 7);
    assert_int_equal(h.max_frame_num, 16);
    assert_int_equal(h.recovery, 5);
    assert_int_equal(h.idr, 0);
    assert_int_equal(h.intra, 0);

    n = slice(&idr, sample);
    assert_int_equal(vod_thumb_refs_head(&ctx.r, sample, n, &h), VOD_OK);
    assert_int_equal(h.recovery, -1);
    assert_int_equal(h.idr, 1);
    assert_int_equal(h.intra, 1);

    /* a 600-byte message first: its size in three bytes (255 255 90) */
    n = sei(600, 3, sample);
    n += slice(&p, sample + n);
    assert_int_equal(vod_thumb_refs_head(&ctx.r, sample, n, &h), VOD_OK);
    assert_int_equal(h.recovery, 3);

    n = sei(20, -1, sample);
    n += slice(&p, sample + n);
    assert_int_equal(vod_thumb_refs_head(&ctx.r, sample, n, &h), VOD_OK);
    assert_int_equal(h.recovery, -1);

    /* the slice cut off by the read: no head */
    n = sei(20, 2, sample);
    assert_int_equal(vod_thumb_refs_head(&ctx.r, sample, n, &h),
                     VOD_BAD_DATA);
}


/* where a recovery point is reached: frame_num plus the count, modulo
 * MaxFrameNum, the first picture that has it */
static void
test_refs_recovered(void **state)
{
    uint32_t         i, at;
    vod_refs_head_t  h[8];

    memset(h, 0, sizeof(h));

    /* frame_num 13 14 14 15 0 1 1 2: a non-reference picture after each
     * odd one shares the next's */
    for (i = 0; i < 8; i++) {
        h[i].max_frame_num = 16;
        h[i].recovery = -1;
    }

    h[0].frame_num = 13; h[1].frame_num = 14; h[2].frame_num = 14;
    h[3].frame_num = 15; h[4].frame_num = 0; h[5].frame_num = 1;
    h[6].frame_num = 1; h[7].frame_num = 2;

    assert_int_equal(vod_thumb_refs_recovered(h, 8, &at), VOD_NOT_FOUND);

    h[0].recovery = 4;                    /* 17 % 16: the picture at 5 */
    assert_int_equal(vod_thumb_refs_recovered(h, 8, &at), VOD_OK);
    assert_int_equal(at, 5);

    h[0].recovery = 0;                    /* the recovery point itself */
    assert_int_equal(vod_thumb_refs_recovered(h, 8, &at), VOD_OK);
    assert_int_equal(at, 0);

    h[0].recovery = 5;                    /* frame_num 2: not within 7 */
    assert_int_equal(vod_thumb_refs_recovered(h, 7, &at), VOD_NOT_FOUND);
    assert_int_equal(vod_thumb_refs_recovered(h, 8, &at), VOD_OK);
    assert_int_equal(at, 7);

    h[0].recovery = 16;                   /* over MaxFrameNum - 1 */
    assert_int_equal(vod_thumb_refs_recovered(h, 8, &at), VOD_NOT_FOUND);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_refs_p_order),
        cmocka_unit_test(test_refs_p_modification),
        cmocka_unit_test(test_refs_sliding_window),
        cmocka_unit_test(test_refs_mmco),
        cmocka_unit_test(test_refs_b_poc),
        cmocka_unit_test(test_refs_stand_in_poc),
        cmocka_unit_test(test_refs_no_proof),
        cmocka_unit_test(test_refs_set_changed),
        cmocka_unit_test(test_refs_head),
        cmocka_unit_test(test_refs_recovered),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
