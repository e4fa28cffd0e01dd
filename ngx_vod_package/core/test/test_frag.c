/*
 * test_frag.c: fragmented MP4 input (vod_frag.c) on files written here
 * box by box: the sample tables of the moov it writes, for defaults from
 * trex and tfhd, first-sample flags, version 1 truns with negative
 * composition offsets, truns without a data offset, each way of setting
 * the base data offset, and tfdt gaps; hostile files (a trun claiming
 * more samples than its bytes, too many moof boxes, data past the end,
 * truncated boxes) fail with one log line, and so does a file with
 * samples in its moov as well (unsupported).
 */

#include "index_util.h"
#include "vod_frag.h"


#define T_MOOV_MAX  (1024 * 1024)


typedef struct {
    u_char     *buf;
    size_t      len;
    size_t      cap;
    size_t      stack[16];
    int         depth;
} t_w_t;


static void w_init(t_w_t *w, size_t cap);
static void w_u32(t_w_t *w, uint32_t v);
static void w_u64(t_w_t *w, uint64_t v);
static void w_open(t_w_t *w, const char *type);
static void w_full(t_w_t *w, const char *type, uint32_t version,
    uint32_t flags);
static void w_close(t_w_t *w);
static void w_patch(t_w_t *w, size_t at, uint32_t v);
static void w_mdat(t_w_t *w, size_t size);
static void w_trak(t_w_t *w, uint32_t id);
static size_t w_moov(t_w_t *w, uint32_t tracks, const uint32_t *trex);
static int t_frag(t_w_t *w, size_t moov_off, size_t moov_len, t_ctx_t *ctx,
    const u_char **out, size_t *out_len);
static const u_char *t_table(const u_char *moov, size_t len, int trak,
    const char *type, uint32_t *count);
static void test_defaults(void **state);
static void test_cto_v1(void **state);
static void test_chained(void **state);
static void test_base_offset(void **state);
static void test_tfdt_gap(void **state);
static void test_progressive(void **state);
static void t_hostile_one(int what, const char *expect);
static void test_hostile(void **state);
static void test_too_many(void **state);
static void test_samples_in_moov(void **state);


static void
w_init(t_w_t *w, size_t cap)
{
    w->buf = calloc(1, cap);
    assert_non_null(w->buf);
    w->len = 0;
    w->cap = cap;
    w->depth = 0;
}


static void
w_u32(t_w_t *w, uint32_t v)
{
    u_char  *p;

    assert_true(w->len + 4 <= w->cap);
    p = w->buf + w->len;
    vod_w32(p, v);
    w->len += 4;
}


static void
w_u64(t_w_t *w, uint64_t v)
{
    w_u32(w, (uint32_t) (v >> 32));
    w_u32(w, (uint32_t) v);
}


static void
w_open(t_w_t *w, const char *type)
{
    w->stack[w->depth++] = w->len;
    w_u32(w, 0);
    w_u32(w, vod_r32((const u_char *) type));
}


static void
w_full(t_w_t *w, const char *type, uint32_t version, uint32_t flags)
{
    w_open(w, type);
    w_u32(w, version << 24 | flags);
}


static void
w_close(t_w_t *w)
{
    size_t   at;
    u_char  *p;

    at = w->stack[--w->depth];
    p = w->buf + at;
    vod_w32(p, w->len - at);
}


static void
w_patch(t_w_t *w, size_t at, uint32_t v)
{
    u_char  *p;

    p = w->buf + at;
    vod_w32(p, v);
}


static void
w_mdat(t_w_t *w, size_t size)
{
    w_open(w, "mdat");
    assert_true(w->len + size <= w->cap);
    w->len += size;
    w_close(w);
}


/* a trak with empty tables, as a fragmented file's moov has */

static void
w_trak(t_w_t *w, uint32_t id)
{
    int  i;

    w_open(w, "trak");

    w_full(w, "tkhd", 0, 7);
    w_u32(w, 0);
    w_u32(w, 0);
    w_u32(w, id);

    for (i = 0; i < 17; i++) {
        w_u32(w, 0);
    }

    w_close(w);

    w_open(w, "mdia");
    w_full(w, "mdhd", 0, 0);
    w_u32(w, 0);
    w_u32(w, 0);
    w_u32(w, 12800);
    w_u32(w, 0);
    w_u32(w, 0x55c40000);
    w_close(w);
    w_full(w, "hdlr", 0, 0);
    w_u32(w, 0);
    w_u32(w, vod_r32((const u_char *) "vide"));
    w_u32(w, 0);
    w_u32(w, 0);
    w_u32(w, 0);
    w_close(w);
    w_open(w, "minf");
    w_open(w, "stbl");
    w_full(w, "stsd", 0, 0);
    w_u32(w, 0);
    w_close(w);
    w_full(w, "stts", 0, 0);
    w_u32(w, 0);
    w_close(w);
    w_full(w, "stsc", 0, 0);
    w_u32(w, 0);
    w_close(w);
    w_full(w, "stsz", 0, 0);
    w_u32(w, 0);
    w_u32(w, 0);
    w_close(w);
    w_full(w, "stco", 0, 0);
    w_u32(w, 0);
    w_close(w);
    w_close(w);
    w_close(w);
    w_close(w);

    w_close(w);
}


/* an ftyp, then a moov of track ids 1..tracks, each with a trex of
 * trex[3 * i ...] (duration, size, flags); returns the moov's offset */

static size_t
w_moov(t_w_t *w, uint32_t tracks, const uint32_t *trex)
{
    size_t    at;
    uint32_t  i;

    w_open(w, "ftyp");
    w_u32(w, vod_r32((const u_char *) "iso6"));
    w_u32(w, 0);
    w_close(w);

    at = w->len;
    w_open(w, "moov");

    for (i = 0; i < tracks; i++) {
        w_trak(w, i + 1);
    }

    w_open(w, "mvex");

    for (i = 0; i < tracks; i++) {
        w_full(w, "trex", 0, 0);
        w_u32(w, i + 1);
        w_u32(w, 1);
        w_u32(w, trex[3 * i]);
        w_u32(w, trex[3 * i + 1]);
        w_u32(w, trex[3 * i + 2]);
        w_close(w);
    }

    w_close(w);
    w_close(w);

    return at;
}


static int
t_frag(t_w_t *w, size_t moov_off, size_t moov_len, t_ctx_t *ctx,
    const u_char **out, size_t *out_len)
{
    vod_env_t  env;

    t_env_init(&env, ctx, w->buf, w->len);
    ctx->fill = 0xa5;

    return vod_frag_moov(&env, w->buf + moov_off, moov_len, moov_off,
                         w->len, T_MOOV_MAX, out, out_len);
}


/* the entries of a table of trak n of the new moov, and their count */

static const u_char *
t_table(const u_char *moov, size_t len, int trak, const char *type,
    uint32_t *count)
{
    char     path[64];
    u_char  *box;

    snprintf(path, sizeof(path), "moov/trak[%d]/mdia/minf/stbl/%s", trak,
             type);

    box = t_find((u_char *) moov, len, path);
    if (box == NULL) {
        return NULL;
    }

    if (memcmp(type, "stsz", 4) == 0) {
        *count = vod_r32(box + 16);
        return box + 20;
    }

    *count = vod_r32(box + 12);

    return box + 16;
}


/*
 * Samples from trex defaults (duration 512, size 100, non-sync), the
 * first a sync sample by first_sample_flags; then a traf whose tfhd
 * overrides the duration and the size, its trun giving the sizes.
 */

static void
test_defaults(void **state)
{
    size_t          moov_off, moov_len, out_len, moof1, moof2, at;
    t_w_t           w;
    t_ctx_t         ctx;
    uint32_t        n;
    const u_char   *out, *e;

    static const uint32_t  trex[] = { 512, 100, 0x10000 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 1, trex);
    moov_len = w.len - moov_off;

    /* moof 1: three samples of the defaults, default-base-is-moof */

    moof1 = w.len;
    w_open(&w, "moof");
    w_full(&w, "mfhd", 0, 0);
    w_u32(&w, 1);
    w_close(&w);
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0x020000);
    w_u32(&w, 1);
    w_close(&w);
    w_full(&w, "tfdt", 1, 0);
    w_u64(&w, 0);
    w_close(&w);
    w_full(&w, "trun", 0, 0x000005);
    w_u32(&w, 3);
    at = w.len;
    w_u32(&w, 0);
    w_u32(&w, 0);               /* first sample flags: sync */
    w_close(&w);
    w_close(&w);
    w_close(&w);
    w_patch(&w, at, w.len + 8 - moof1);
    w_mdat(&w, 300);

    /* moof 2: tfhd duration 1024, size 7; the trun's own sizes; the
     * first traf's base is the moof without the flag too */

    moof2 = w.len;
    w_open(&w, "moof");
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0x000018);
    w_u32(&w, 1);
    w_u32(&w, 1024);
    w_u32(&w, 7);
    w_close(&w);
    w_full(&w, "trun", 0, 0x000201);
    w_u32(&w, 2);
    at = w.len;
    w_u32(&w, 0);
    w_u32(&w, 40);
    w_u32(&w, 60);
    w_close(&w);
    w_close(&w);
    w_close(&w);
    w_patch(&w, at, w.len + 8 - moof2);
    w_mdat(&w, 100);

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_OK);
    assert_int_equal(ctx.log_lines, 0);
    assert_ptr_not_equal(out, w.buf + moov_off);
    assert_int_equal(vod_r32(out), out_len);
    assert_null(t_find((u_char *) out, out_len, "moov/mvex"));

    e = t_table(out, out_len, 0, "stts", &n);
    assert_non_null(e);
    assert_int_equal(n, 2);
    assert_int_equal(vod_r32(e), 3);
    assert_int_equal(vod_r32(e + 4), 512);
    assert_int_equal(vod_r32(e + 8), 2);
    assert_int_equal(vod_r32(e + 12), 1024);

    /* the first sample by its first_sample_flags; the rest take trex's
     * non-sync flags */
    e = t_table(out, out_len, 0, "stss", &n);
    assert_non_null(e);
    assert_int_equal(n, 1);
    assert_int_equal(vod_r32(e), 1);

    e = t_table(out, out_len, 0, "stsz", &n);
    assert_int_equal(n, 5);
    assert_int_equal(vod_r32(e - 8), 0);
    assert_int_equal(vod_r32(e), 100);
    assert_int_equal(vod_r32(e + 8), 100);
    assert_int_equal(vod_r32(e + 12), 40);
    assert_int_equal(vod_r32(e + 16), 60);

    e = t_table(out, out_len, 0, "stsc", &n);
    assert_int_equal(n, 2);
    assert_int_equal(vod_r32(e), 1);
    assert_int_equal(vod_r32(e + 4), 3);
    assert_int_equal(vod_r32(e + 12), 2);
    assert_int_equal(vod_r32(e + 16), 2);

    e = t_table(out, out_len, 0, "stco", &n);
    assert_int_equal(n, 2);
    assert_int_equal(vod_r32(e), moof2 - 300);
    assert_int_equal(vod_r32(e + 4), w.len - 100);

    assert_null(t_table(out, out_len, 0, "ctts", &n));

    t_env_free(&ctx);
    free(w.buf);
    (void) state;
}


/* a version 1 trun's negative composition offsets make a version 1 ctts;
 * every sample carries its flags, all sync: no stss */

static void
test_cto_v1(void **state)
{
    size_t          moov_off, moov_len, out_len, moof, at;
    t_w_t           w;
    t_ctx_t         ctx;
    uint32_t        n, i;
    const u_char   *out, *e;

    static const uint32_t  trex[] = { 0, 0, 0 };
    static const int32_t   cto[] = { 0, 1024, -512, -512 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 1, trex);
    moov_len = w.len - moov_off;

    moof = w.len;
    w_open(&w, "moof");
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0x020000);
    w_u32(&w, 1);
    w_close(&w);
    w_full(&w, "trun", 1, 0x000f01);
    w_u32(&w, 4);
    at = w.len;
    w_u32(&w, 0);

    for (i = 0; i < 4; i++) {
        w_u32(&w, 512);
        w_u32(&w, 10 + i);
        w_u32(&w, 0x02000000);
        w_u32(&w, (uint32_t) cto[i]);
    }

    w_close(&w);
    w_close(&w);
    w_close(&w);
    w_patch(&w, at, w.len + 8 - moof);
    w_mdat(&w, 46);

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_OK);

    e = t_table(out, out_len, 0, "ctts", &n);
    assert_non_null(e);
    assert_int_equal(e[-8], 1);
    assert_int_equal(n, 3);
    assert_int_equal(vod_r32(e), 1);
    assert_int_equal((int32_t) vod_r32(e + 4), 0);
    assert_int_equal(vod_r32(e + 8), 1);
    assert_int_equal((int32_t) vod_r32(e + 12), 1024);
    assert_int_equal(vod_r32(e + 16), 2);
    assert_int_equal((int32_t) vod_r32(e + 20), -512);

    assert_null(t_table(out, out_len, 0, "stss", &n));

    t_env_free(&ctx);
    free(w.buf);
    (void) state;
}


/*
 * Two trafs in one moof, neither with a base offset nor
 * default-base-is-moof: the first's base is the moof, the second's the
 * end of the first's data.  The first traf has two truns, the second
 * without a data offset, so it follows the first's data.
 */

static void
test_chained(void **state)
{
    size_t          moov_off, moov_len, out_len, moof, at, data;
    t_w_t           w;
    t_ctx_t         ctx;
    uint32_t        n;
    const u_char   *out, *e;

    static const uint32_t  trex[] = { 512, 10, 0, 1024, 20, 0 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 2, trex);
    moov_len = w.len - moov_off;

    moof = w.len;
    w_open(&w, "moof");
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0);
    w_u32(&w, 1);
    w_close(&w);
    w_full(&w, "trun", 0, 0x000001);
    w_u32(&w, 2);
    at = w.len;
    w_u32(&w, 0);
    w_close(&w);
    w_full(&w, "trun", 0, 0);
    w_u32(&w, 3);
    w_close(&w);
    w_close(&w);
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0);
    w_u32(&w, 2);
    w_close(&w);
    w_full(&w, "trun", 0, 0);
    w_u32(&w, 1);
    w_close(&w);
    w_close(&w);
    w_close(&w);
    data = w.len + 8;
    w_patch(&w, at, data - moof);
    w_mdat(&w, 5 * 10 + 20);

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_OK);

    e = t_table(out, out_len, 0, "stco", &n);
    assert_int_equal(n, 2);
    assert_int_equal(vod_r32(e), data);
    assert_int_equal(vod_r32(e + 4), data + 20);

    e = t_table(out, out_len, 0, "stsz", &n);
    assert_int_equal(n, 5);
    assert_int_equal(vod_r32(e - 8), 10);

    e = t_table(out, out_len, 1, "stco", &n);
    assert_int_equal(n, 1);
    assert_int_equal(vod_r32(e), data + 50);

    e = t_table(out, out_len, 1, "stts", &n);
    assert_int_equal(n, 1);
    assert_int_equal(vod_r32(e + 4), 1024);

    t_env_free(&ctx);
    free(w.buf);
    (void) state;
}


/* tfhd's base-data-offset wins over default-base-is-moof; with only the
 * latter, the second traf's base is the moof too */

static void
test_base_offset(void **state)
{
    size_t          moov_off, moov_len, out_len, moof, at;
    t_w_t           w;
    t_ctx_t         ctx;
    uint32_t        n;
    const u_char   *out, *e;

    static const uint32_t  trex[] = { 512, 10, 0, 1024, 20, 0 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 2, trex);
    moov_len = w.len - moov_off;

    w_mdat(&w, 1000);

    moof = w.len;
    w_open(&w, "moof");
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0x020001);
    w_u32(&w, 1);
    w_u64(&w, moov_off + moov_len + 8);
    w_close(&w);
    w_full(&w, "trun", 0, 0x000001);
    w_u32(&w, 2);
    w_u32(&w, 100);
    w_close(&w);
    w_close(&w);
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, 0x020000);
    w_u32(&w, 2);
    w_close(&w);
    w_full(&w, "trun", 0, 0x000001);
    w_u32(&w, 1);
    at = w.len;
    w_u32(&w, 0);
    w_close(&w);
    w_close(&w);
    w_close(&w);
    w_patch(&w, at, w.len + 8 - moof);
    w_mdat(&w, 20);

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_OK);

    e = t_table(out, out_len, 0, "stco", &n);
    assert_int_equal(vod_r32(e), moov_off + moov_len + 8 + 100);

    e = t_table(out, out_len, 1, "stco", &n);
    assert_int_equal(vod_r32(e), w.len - 20);

    t_env_free(&ctx);
    free(w.buf);
    (void) state;
}


/* a tfdt past where the durations reached lengthens the sample before
 * it; the first tfdt is the track's start */

static void
test_tfdt_gap(void **state)
{
    size_t          moov_off, moov_len, out_len, moof, at;
    t_w_t           w;
    t_ctx_t         ctx;
    uint32_t        n, i;
    const u_char   *out, *e;

    static const uint32_t  trex[] = { 512, 10, 0 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 1, trex);
    moov_len = w.len - moov_off;

    for (i = 0; i < 2; i++) {
        moof = w.len;
        w_open(&w, "moof");
        w_open(&w, "traf");
        w_full(&w, "tfhd", 0, 0x020000);
        w_u32(&w, 1);
        w_close(&w);
        w_full(&w, "tfdt", 0, 0);
        w_u32(&w, i == 0 ? 90000 : 90000 + 3 * 512 + 100);
        w_close(&w);
        w_full(&w, "trun", 0, 0x000001);
        w_u32(&w, 3);
        at = w.len;
        w_u32(&w, 0);
        w_close(&w);
        w_close(&w);
        w_close(&w);
        w_patch(&w, at, w.len + 8 - moof);
        w_mdat(&w, 30);
    }

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_OK);

    e = t_table(out, out_len, 0, "stts", &n);
    assert_int_equal(n, 3);
    assert_int_equal(vod_r32(e), 2);
    assert_int_equal(vod_r32(e + 4), 512);
    assert_int_equal(vod_r32(e + 8), 1);
    assert_int_equal(vod_r32(e + 12), 612);
    assert_int_equal(vod_r32(e + 16), 3);
    assert_int_equal(vod_r32(e + 20), 512);

    t_env_free(&ctx);
    free(w.buf);
    (void) state;
}


/* a moov without mvex is given back as it is, nothing read */

static void
test_progressive(void **state)
{
    size_t          len, out_len;
    u_char         *file;
    t_ctx_t         ctx;
    uint64_t        moov_off, moov_size;
    vod_env_t       env;
    const u_char   *out;

    file = t_load("video/360p.mp4", &len);
    t_env_init(&env, &ctx, file, len);
    assert_int_equal(vod_mp4_find_moov(&env, len, &moov_off, &moov_size),
                     VOD_OK);

    assert_int_equal(vod_frag_moov(&env, file + moov_off, moov_size,
                                   moov_off, len, T_MOOV_MAX, &out,
                                   &out_len),
                     VOD_OK);
    assert_ptr_equal(out, file + moov_off);
    assert_int_equal(out_len, moov_size);
    assert_int_equal(ctx.log_lines, 0);

    t_env_free(&ctx);
    free(file);
    (void) state;
}


/* one fragment made hostile in one way; the error and its one line */

typedef enum {
    T_H_COUNT,          /* trun claims more samples than its bytes */
    T_H_PAST_END,       /* the samples' data runs past the file */
    T_H_TRUNCATED,      /* the file ends inside the mdat */
    T_H_TRACK,          /* a traf of a track without trex */
    T_H_NO_SIZE,        /* defaults without a size */
    T_H_NEG_OFFSET      /* a data offset before the file */
} t_hostile_e;


static void
t_hostile_one(int what, const char *expect)
{
    size_t          moov_off, moov_len, out_len, moof, at;
    t_w_t           w;
    t_ctx_t         ctx;
    const u_char   *out;

    static const uint32_t  trex[] = { 512, 10, 0 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 1, trex);
    moov_len = w.len - moov_off;

    moof = w.len;
    w_open(&w, "moof");
    w_open(&w, "traf");
    w_full(&w, "tfhd", 0, what == T_H_NO_SIZE ? 0x020010 : 0x020000);
    w_u32(&w, what == T_H_TRACK ? 7 : 1);

    if (what == T_H_NO_SIZE) {
        w_u32(&w, 0);
    }

    w_close(&w);
    w_full(&w, "trun", 0, what == T_H_COUNT ? 0x000201 : 0x000001);
    w_u32(&w, what == T_H_COUNT ? 1000000 : (what == T_H_PAST_END ? 5 : 3));
    at = w.len;
    w_u32(&w, 0);

    if (what == T_H_COUNT) {
        w_u32(&w, 10);
        w_u32(&w, 10);
    }

    w_close(&w);
    w_close(&w);
    w_close(&w);
    w_patch(&w, at, what == T_H_NEG_OFFSET ? (uint32_t) -100000
                                          : w.len + 8 - moof);
    w_mdat(&w, 30);

    if (what == T_H_TRUNCATED) {
        w.len -= 10;
    }

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);

    if (strstr(ctx.last_log, expect) == NULL) {
        fail_msg("expected \"%s\" in \"%s\"", expect, ctx.last_log);
    }

    t_env_free(&ctx);
    free(w.buf);
}


static void
test_hostile(void **state)
{
    t_hostile_one(T_H_COUNT, "claims 1000000 samples");
    t_hostile_one(T_H_PAST_END, "past the end of the file");
    t_hostile_one(T_H_TRUNCATED, "beyond the file size");
    t_hostile_one(T_H_TRACK, "track 7, which has no trex");
    t_hostile_one(T_H_NO_SIZE, "without a size");
    t_hostile_one(T_H_NEG_OFFSET, "before the file");
    (void) state;
}


/* a sample in the moov that its stsz has no entry for: refused with one
 * line */

static void
test_samples_in_moov(void **state)
{
    size_t          moov_off, moov_len, out_len;
    u_char         *p;
    t_w_t           w;
    t_ctx_t         ctx;
    const u_char   *out;

    static const uint32_t  trex[] = { 512, 10, 0 };

    w_init(&w, 65536);
    moov_off = w_moov(&w, 1, trex);
    moov_len = w.len - moov_off;

    p = memmem(w.buf, w.len, "stsz", 4);
    assert_non_null(p);
    p += 12;
    vod_w32(p, 1);

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);
    assert_non_null(strstr(ctx.last_log, "stsz claims 1 samples"));

    t_env_free(&ctx);
    free(w.buf);
    (void) state;
}


/* one moof box more than VOD_FRAG_MAX_FRAGMENTS, empty ones */

static void
test_too_many(void **state)
{
    size_t          moov_off, moov_len, out_len;
    t_w_t           w;
    t_ctx_t         ctx;
    uint32_t        i;
    const u_char   *out;

    static const uint32_t  trex[] = { 512, 10, 0 };

    w_init(&w, 65536 + 8 * (VOD_FRAG_MAX_FRAGMENTS + 1));
    moov_off = w_moov(&w, 1, trex);
    moov_len = w.len - moov_off;

    for (i = 0; i <= VOD_FRAG_MAX_FRAGMENTS; i++) {
        w_open(&w, "moof");
        w_close(&w);
    }

    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_BAD_DATA);
    assert_int_equal(ctx.log_lines, 1);
    assert_non_null(strstr(ctx.last_log, "more than 65536 moof boxes"));
    t_env_free(&ctx);

    /* exactly the limit is fine */

    w.len -= 8;
    assert_int_equal(t_frag(&w, moov_off, moov_len, &ctx, &out, &out_len),
                     VOD_OK);
    assert_int_equal(ctx.log_lines, 0);
    t_env_free(&ctx);

    free(w.buf);
    (void) state;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_defaults),
        cmocka_unit_test(test_cto_v1),
        cmocka_unit_test(test_chained),
        cmocka_unit_test(test_base_offset),
        cmocka_unit_test(test_tfdt_gap),
        cmocka_unit_test(test_progressive),
        cmocka_unit_test(test_hostile),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_samples_in_moov),
    };

    t_media = getenv("VOD_MEDIA");
    if (t_media == NULL) {
        t_media = "build/media";
    }

    av_log_set_level(AV_LOG_QUIET);

    return cmocka_run_group_tests(tests, NULL, NULL);
}
