/*
 * vodpkg: the packaging core on the command line.
 *
 *   vodpkg info FILE [SEGMENT_MS]     tracks, codecs, bitrates, segments,
 *                                     index size against the moov size
 *   vodpkg init FILE video|audio      CMAF init segment to stdout
 *   vodpkg seg FILE video|audio N [SEGMENT_MS]
 *                                     CMAF media segment N (1-based):
 *                                     the header, then the file's ranges
 *   vodpkg ts FILE N [SEGMENT_MS]     MPEG-TS segment N (H.264 + AAC)
 *   vodpkg index FILE [SEGMENT_MS]    the raw index blob to stdout, to
 *                                     compare builds byte for byte
 *
 * A subcommand is one entry of vodpkg_commands[] and one handler that
 * gets argv after the subcommand name; vodpkg_open() gives every handler
 * the file, its moov and its index.
 */

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vod_core.h"
#include "vod_media.h"
#include "vod_index.h"
#include "vod_frag.h"
#include "vod_fmp4.h"
#include "vod_orient.h"
#include "vod_ts.h"


#define VODPKG_SEGMENT_MS  4000
#define VODPKG_BUILD_RUNS  21
#define VODPKG_COPY_CHUNK  (1024 * 1024)


typedef struct vodpkg_block_s  vodpkg_block_t;

struct vodpkg_block_s {
    vodpkg_block_t  *next;
};


typedef struct {
    int              fd;
    const char      *name;
    vodpkg_block_t  *blocks;          /* everything env->alloc gave out */

    /* a reusable arena, so repeated builds are timed without the page
     * faults of fresh memory */
    u_char          *arena;
    size_t           arena_size;
    size_t           arena_used;
    size_t           allocated;       /* by malloc, outside the arena */
} vodpkg_ctx_t;


typedef struct {
    vod_env_t        env;
    vodpkg_ctx_t     ctx;
    uint64_t         file_size;
    uint64_t         moov_offset;
    uint64_t         moov_size;
    u_char          *moov;
    u_char          *index;
    size_t           index_len;
    uint32_t         segment_ms;
} vodpkg_file_t;


typedef struct {
    const char      *name;
    const char      *args;
    const char      *help;
    int            (*handler)(int argc, char **argv);
} vodpkg_command_t;


static void *vodpkg_alloc(vod_env_t *env, size_t size);
static void vodpkg_free_all(vodpkg_ctx_t *ctx);
static void vodpkg_log(vod_env_t *env, const char *fmt, ...);
static ssize_t vodpkg_read(vod_env_t *env, u_char *buf, size_t size,
    off_t offset);
static int vodpkg_open(vodpkg_file_t *f, const char *name,
    uint32_t segment_ms);
static void vodpkg_close(vodpkg_file_t *f);
static uint32_t vodpkg_segment_ms(const char *arg);
static double vodpkg_now(void);
static int vodpkg_cmp_double(const void *a, const void *b);
static double vodpkg_build_time(vodpkg_file_t *f, double *min);
static void vodpkg_print_track(vodpkg_file_t *f, uint32_t n);
static int vodpkg_info(int argc, char **argv);
static int vodpkg_track_type(const char *arg);
static uint32_t vodpkg_segment_number(const char *arg);
static int vodpkg_track(vodpkg_file_t *f, uint32_t type,
    vod_track_info_t *ti, int *found);
static int vodpkg_write(const u_char *buf, size_t len);
static int vodpkg_copy_ranges(vodpkg_file_t *f, const vod_range_t *ranges,
    uint32_t n);
static int vodpkg_init(int argc, char **argv);
static int vodpkg_seg(int argc, char **argv);
static int vodpkg_ts(int argc, char **argv);
static int vodpkg_index(int argc, char **argv);
static void vodpkg_usage(void);


static vodpkg_command_t  vodpkg_commands[] = {
    { "info", "FILE [SEGMENT_MS]",
      "tracks, codecs, bitrates, segments, index size vs moov size",
      vodpkg_info },
    { "init", "FILE video|audio",
      "CMAF init segment of the first track of that type, to stdout",
      vodpkg_init },
    { "seg", "FILE video|audio N [SEGMENT_MS]",
      "CMAF media segment N (1-based): header, then the sample data",
      vodpkg_seg },
    { "ts", "FILE N [SEGMENT_MS]",
      "MPEG-TS segment N (1-based) of the H.264 and AAC tracks",
      vodpkg_ts },
    { "index", "FILE [SEGMENT_MS]",
      "the raw index blob to stdout (to compare builds byte for byte)",
      vodpkg_index },
    { NULL, NULL, NULL, NULL }
};


static void *
vodpkg_alloc(vod_env_t *env, size_t size)
{
    vodpkg_ctx_t    *ctx;
    vodpkg_block_t  *b;

    ctx = env->data;

    size = (size + 15) & ~(size_t) 15;

    if (ctx->arena != NULL && ctx->arena_size - ctx->arena_used >= size) {
        ctx->arena_used += size;
        return ctx->arena + ctx->arena_used - size;
    }

    ctx->arena_used = ctx->arena_size;

    /* the header keeps the payload 16-byte aligned */
    b = malloc(16 + size);
    if (b == NULL) {
        return NULL;
    }

    b->next = ctx->blocks;
    ctx->blocks = b;
    ctx->allocated += size;

    return (u_char *) b + 16;
}


static void
vodpkg_free_all(vodpkg_ctx_t *ctx)
{
    vodpkg_block_t  *b, *next;

    for (b = ctx->blocks; b != NULL; b = next) {
        next = b->next;
        free(b);
    }

    ctx->blocks = NULL;
}


static void
vodpkg_log(vod_env_t *env, const char *fmt, ...)
{
    va_list        args;
    vodpkg_ctx_t  *ctx;

    ctx = env->data;

    fprintf(stderr, "vodpkg: %s: ", ctx->name);

    va_start(args, fmt);
    vfprintf(stderr, fmt, args);
    va_end(args);

    fputc('\n', stderr);
}


static ssize_t
vodpkg_read(vod_env_t *env, u_char *buf, size_t size, off_t offset)
{
    size_t         done;
    ssize_t        n;
    vodpkg_ctx_t  *ctx;

    ctx = env->data;

    for (done = 0; done < size; done += n) {
        n = pread(ctx->fd, buf + done, size - done, offset + done);

        if (n <= 0) {
            if (n < 0 && errno == EINTR) {
                n = 0;
                continue;
            }

            return -1;
        }
    }

    return (ssize_t) size;
}


static int
vodpkg_open(vodpkg_file_t *f, const char *name, uint32_t segment_ms)
{
    int            rc;
    size_t         len;
    struct stat    st;
    const u_char  *moov;

    memset(f, 0, sizeof(vodpkg_file_t));

    f->ctx.name = name;
    f->ctx.fd = open(name, O_RDONLY);
    f->env.alloc = vodpkg_alloc;
    f->env.log = vodpkg_log;
    f->env.read = vodpkg_read;
    f->env.data = &f->ctx;
    f->segment_ms = segment_ms;

    if (f->ctx.fd == -1 || fstat(f->ctx.fd, &st) == -1) {
        fprintf(stderr, "vodpkg: %s: %s\n", name, strerror(errno));
        return VOD_ERROR;
    }

    f->file_size = st.st_size;

    rc = vod_mp4_find_moov(&f->env, f->file_size, &f->moov_offset,
                           &f->moov_size);
    if (rc != VOD_OK) {
        return rc;
    }

    if (f->moov_size > (uint64_t) 1 << 30) {
        fprintf(stderr, "vodpkg: %s: moov of %llu bytes is too large\n",
                name, (unsigned long long) f->moov_size);
        return VOD_UNSUPPORTED;
    }

    f->moov = vodpkg_alloc(&f->env, f->moov_size);
    if (f->moov == NULL) {
        return VOD_ERROR;
    }

    if (vodpkg_read(&f->env, f->moov, f->moov_size, f->moov_offset)
        != (ssize_t) f->moov_size)
    {
        fprintf(stderr, "vodpkg: %s: moov read failed\n", name);
        return VOD_ERROR;
    }

    /* a fragmented file: the moov its moof boxes make */

    rc = vod_frag_moov(&f->env, f->moov, f->moov_size, f->moov_offset,
                       f->file_size, (size_t) 1 << 30, &moov, &len);
    if (rc != VOD_OK) {
        return rc;
    }

    f->moov = (u_char *) moov;
    f->moov_size = len;

    return vod_index_build(&f->env, f->moov, f->moov_size, f->file_size,
                           segment_ms, &f->index, &f->index_len);
}


static void
vodpkg_close(vodpkg_file_t *f)
{
    if (f->ctx.fd != -1) {
        close(f->ctx.fd);
    }

    vodpkg_free_all(&f->ctx);
}


static uint32_t
vodpkg_segment_ms(const char *arg)
{
    char           *end;
    unsigned long   v;

    if (arg == NULL) {
        return VODPKG_SEGMENT_MS;
    }

    v = strtoul(arg, &end, 10);

    if (*end != '\0' || v == 0 || v > 600000) {
        fprintf(stderr, "vodpkg: bad segment duration \"%s\" (ms)\n", arg);
        return 0;
    }

    return (uint32_t) v;
}


static double
vodpkg_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


static int
vodpkg_cmp_double(const void *a, const void *b)
{
    double  x, y;

    x = *(const double *) a;
    y = *(const double *) b;

    return (x > y) - (x < y);
}


/* median wall time of vod_index_build() on the moov already in memory,
 * its memory from a warm arena as a worker's pool would be */

static double
vodpkg_build_time(vodpkg_file_t *f, double *min)
{
    int            i;
    size_t         len;
    u_char        *index;
    double         t[VODPKG_BUILD_RUNS], start;
    vod_env_t      env;
    vodpkg_ctx_t   ctx;

    env = f->env;
    ctx = f->ctx;
    ctx.blocks = NULL;
    ctx.arena = NULL;
    ctx.allocated = 0;
    env.data = &ctx;

    /* a first run sizes the arena */

    (void) vod_index_build(&env, f->moov, f->moov_size, f->file_size,
                           f->segment_ms, &index, &len);

    vodpkg_free_all(&ctx);

    ctx.arena_size = ctx.allocated + 65536;
    ctx.arena = malloc(ctx.arena_size);
    if (ctx.arena == NULL) {
        *min = 0;
        return 0;
    }

    memset(ctx.arena, 0, ctx.arena_size);

    for (i = 0; i < VODPKG_BUILD_RUNS; i++) {
        ctx.arena_used = 0;
        start = vodpkg_now();
        (void) vod_index_build(&env, f->moov, f->moov_size, f->file_size,
                               f->segment_ms, &index, &len);
        t[i] = vodpkg_now() - start;
        vodpkg_free_all(&ctx);
    }

    free(ctx.arena);

    qsort(t, VODPKG_BUILD_RUNS, sizeof(double), vodpkg_cmp_double);

    *min = t[0];

    return t[VODPKG_BUILD_RUNS / 2];
}


static void
vodpkg_print_track(vodpkg_file_t *f, uint32_t n)
{
    uint32_t          i;
    vod_track_info_t  ti;

    if (vod_index_track_info(&f->env, f->index, n, &ti) != VOD_OK) {
        return;
    }

    printf("track %u: id %u, %s %s, lang %s\n", n, ti.track_id,
           ti.type == VOD_TRACK_VIDEO ? "video"
           : ti.type == VOD_TRACK_AUDIO ? "audio" : "text", ti.codec_str,
           ti.lang);

    if (ti.type == VOD_TRACK_VIDEO) {
        printf("  %ux%u, %u/%u fps (%.3f), NAL length size %u\n",
               ti.width, ti.height, ti.fps_num, ti.fps_den,
               ti.fps_den ? (double) ti.fps_num / ti.fps_den : 0.0,
               ti.nal_length_size);

        if (ti.orient != 0) {
            printf("  shown turned (its tkhd matrix): %s\n",
                   vod_orient_name(ti.orient));
        }

        if (ti.refresh_key != 0) {
            printf("  sync sample %u does not decode alone (an intra "
                   "refresh's recovery point): no I-frame playlist\n",
                   ti.refresh_key);
        }

    } else if (ti.type == VOD_TRACK_AUDIO) {
        printf("  %u Hz, %u channels, audio object type %u\n",
               ti.sample_rate, ti.channels, ti.aac_object_type);
    }

    printf("  %u samples, duration %.3f s (%llu / %u)\n", ti.sample_count,
           (double) ti.duration / ti.timescale,
           (unsigned long long) ti.duration, ti.timescale);

    printf("  %llu bytes, bitrate avg %llu, peak %llu bit/s\n",
           (unsigned long long) ti.total_bytes,
           (unsigned long long) ti.avg_bitrate,
           (unsigned long long) ti.peak_bitrate);

    printf("  sample entry %zu bytes, decoder config %zu bytes\n",
           ti.sample_entry_len, ti.dec_config_len);

    printf("  %u segments (s):", ti.segment_count);

    for (i = 0; i < ti.segment_count; i++) {
        printf(" %.3f",
               (double) (ti.seg_time[i + 1] - ti.seg_time[i]) / ti.timescale);
    }

    printf("\n");
}


static int
vodpkg_info(int argc, char **argv)
{
    int            rc;
    double         t, min;
    uint32_t       i, n, segment_ms;
    vodpkg_file_t  f;

    if (argc < 1 || argc > 2) {
        vodpkg_usage();
        return 2;
    }

    segment_ms = vodpkg_segment_ms(argc > 1 ? argv[1] : NULL);
    if (segment_ms == 0) {
        return 2;
    }

    rc = vodpkg_open(&f, argv[0], segment_ms);
    if (rc != VOD_OK) {
        vodpkg_close(&f);
        return 1;
    }

    t = vodpkg_build_time(&f, &min);
    n = vod_index_track_count(f.index);

    printf("file %s: %llu bytes, moov at %llu\n", argv[0],
           (unsigned long long) f.file_size,
           (unsigned long long) f.moov_offset);
    printf("moov %llu bytes, index %zu bytes (%.1f%%), built in %.1f us "
           "(median of %d, min %.1f)\n", (unsigned long long) f.moov_size,
           f.index_len, 100.0 * f.index_len / f.moov_size, t * 1e6,
           VODPKG_BUILD_RUNS, min * 1e6);
    printf("segment duration %u ms, %u tracks\n", segment_ms, n);

    for (i = 0; i < n; i++) {
        vodpkg_print_track(&f, i);
    }

    vodpkg_close(&f);

    return 0;
}


static int
vodpkg_track_type(const char *arg)
{
    if (strcmp(arg, "video") == 0) {
        return VOD_TRACK_VIDEO;
    }

    if (strcmp(arg, "audio") == 0) {
        return VOD_TRACK_AUDIO;
    }

    fprintf(stderr, "vodpkg: track type \"%s\" is not video or audio\n",
            arg);

    return 0;
}


static uint32_t
vodpkg_segment_number(const char *arg)
{
    char           *end;
    unsigned long   v;

    v = strtoul(arg, &end, 10);

    if (*end != '\0' || v == 0 || v > UINT32_MAX) {
        fprintf(stderr, "vodpkg: bad segment number \"%s\" (1-based)\n",
                arg);
        return 0;
    }

    return (uint32_t) v;
}


/* the first track of a type; *found is 0 when the file has none */
static int
vodpkg_track(vodpkg_file_t *f, uint32_t type, vod_track_info_t *ti,
    int *found)
{
    int  n;

    n = vod_index_find_track(f->index, type);

    *found = (n >= 0);

    if (n < 0) {
        return -1;
    }

    if (vod_index_track_info(&f->env, f->index, n, ti) != VOD_OK) {
        return -1;
    }

    return n;
}


static int
vodpkg_write(const u_char *buf, size_t len)
{
    if (len > 0 && fwrite(buf, 1, len, stdout) != len) {
        fprintf(stderr, "vodpkg: write failed: %s\n", strerror(errno));
        return -1;
    }

    return 0;
}


static int
vodpkg_copy_ranges(vodpkg_file_t *f, const vod_range_t *ranges, uint32_t n)
{
    size_t     chunk;
    u_char    *buf;
    uint32_t   i;
    uint64_t   off, left;

    buf = vodpkg_alloc(&f->env, VODPKG_COPY_CHUNK);
    if (buf == NULL) {
        return -1;
    }

    for (i = 0; i < n; i++) {
        off = ranges[i].offset;

        for (left = ranges[i].size; left > 0; left -= chunk) {
            chunk = left > VODPKG_COPY_CHUNK ? VODPKG_COPY_CHUNK : left;

            if (vodpkg_read(&f->env, buf, chunk, off) != (ssize_t) chunk) {
                fprintf(stderr, "vodpkg: %s: read of %zu bytes at %llu "
                        "failed\n", f->ctx.name, chunk,
                        (unsigned long long) off);
                return -1;
            }

            if (vodpkg_write(buf, chunk) != 0) {
                return -1;
            }

            off += chunk;
        }
    }

    return 0;
}


static int
vodpkg_init(int argc, char **argv)
{
    int               type, found, rc;
    size_t            len;
    u_char           *out;
    vodpkg_file_t     f;
    vod_track_info_t  ti;

    if (argc != 2) {
        vodpkg_usage();
        return 2;
    }

    type = vodpkg_track_type(argv[1]);
    if (type == 0) {
        return 2;
    }

    rc = 1;

    if (vodpkg_open(&f, argv[0], VODPKG_SEGMENT_MS) != VOD_OK) {
        goto done;
    }

    if (vodpkg_track(&f, type, &ti, &found) < 0) {
        if (!found) {
            fprintf(stderr, "vodpkg: %s: no %s track\n", argv[0], argv[1]);
        }

        goto done;
    }

    if (vod_fmp4_init(&f.env, &ti, &out, &len) != VOD_OK
        || vodpkg_write(out, len) != 0)
    {
        goto done;
    }

    rc = 0;

done:

    vodpkg_close(&f);

    return rc;
}


static int
vodpkg_seg(int argc, char **argv)
{
    int               type, found, track, rc;
    size_t            len;
    u_char           *out;
    uint32_t          n, segment_ms, nranges;
    vod_range_t      *ranges;
    vodpkg_file_t     f;
    vod_segment_t     seg;
    vod_track_info_t  ti;

    if (argc < 3 || argc > 4) {
        vodpkg_usage();
        return 2;
    }

    type = vodpkg_track_type(argv[1]);
    n = vodpkg_segment_number(argv[2]);
    segment_ms = vodpkg_segment_ms(argc > 3 ? argv[3] : NULL);

    if (type == 0 || n == 0 || segment_ms == 0) {
        return 2;
    }

    rc = 1;

    if (vodpkg_open(&f, argv[0], segment_ms) != VOD_OK) {
        goto done;
    }

    track = vodpkg_track(&f, type, &ti, &found);
    if (track < 0) {
        if (!found) {
            fprintf(stderr, "vodpkg: %s: no %s track\n", argv[0], argv[1]);
        }

        goto done;
    }

    if (vod_index_segment(&f.env, f.index, track, &ti, n - 1, &seg)
        != VOD_OK)
    {
        fprintf(stderr, "vodpkg: %s: no %s segment %u (of %u)\n", argv[0],
                argv[1], n, ti.segment_count);
        goto done;
    }

    if (vod_fmp4_segment_header(&f.env, &seg, &out, &len) != VOD_OK
        || vod_segment_ranges(&f.env, &seg, &ranges, &nranges) != VOD_OK
        || vodpkg_write(out, len) != 0
        || vodpkg_copy_ranges(&f, ranges, nranges) != 0)
    {
        goto done;
    }

    rc = 0;

done:

    vodpkg_close(&f);

    return rc;
}


static int
vodpkg_ts(int argc, char **argv)
{
    int               vfound, afound, vtrack, atrack, rc;
    size_t            len;
    u_char           *out;
    uint32_t          n, segment_ms;
    vodpkg_file_t     f;
    vod_segment_t     vseg, aseg, *video, *audio;
    vod_track_info_t  vti, ati;

    if (argc < 2 || argc > 3) {
        vodpkg_usage();
        return 2;
    }

    n = vodpkg_segment_number(argv[1]);
    segment_ms = vodpkg_segment_ms(argc > 2 ? argv[2] : NULL);

    if (n == 0 || segment_ms == 0) {
        return 2;
    }

    rc = 1;
    video = NULL;
    audio = NULL;

    if (vodpkg_open(&f, argv[0], segment_ms) != VOD_OK) {
        goto done;
    }

    vtrack = vodpkg_track(&f, VOD_TRACK_VIDEO, &vti, &vfound);
    atrack = vodpkg_track(&f, VOD_TRACK_AUDIO, &ati, &afound);

    if ((vfound && vtrack < 0) || (afound && atrack < 0)) {
        goto done;
    }

    if (vfound) {
        if (!vod_ts_supported(&vti)) {
            fprintf(stderr, "vodpkg: %s: %s cannot be carried in MPEG-TS\n",
                    argv[0], vti.codec_str);
            goto done;
        }

        if (vod_index_segment(&f.env, f.index, vtrack, &vti, n - 1, &vseg)
            != VOD_OK)
        {
            fprintf(stderr, "vodpkg: %s: no segment %u (of %u)\n", argv[0],
                    n, vti.segment_count);
            goto done;
        }

        video = &vseg;
    }

    if (afound && vod_ts_supported(&ati)) {
        rc = vod_index_segment(&f.env, f.index, atrack, &ati, n - 1, &aseg);

        if (rc == VOD_OK) {
            audio = &aseg;

        } else if (rc != VOD_NOT_FOUND || video == NULL) {
            fprintf(stderr, "vodpkg: %s: no audio segment %u (of %u)\n",
                    argv[0], n, ati.segment_count);
            rc = 1;
            goto done;
        }

        rc = 1;
    }

    if (video == NULL && audio == NULL) {
        fprintf(stderr, "vodpkg: %s: no track for MPEG-TS\n", argv[0]);
        goto done;
    }

    if (vod_ts_segment(&f.env, video, audio, &out, &len) != VOD_OK
        || vodpkg_write(out, len) != 0)
    {
        goto done;
    }

    rc = 0;

done:

    vodpkg_close(&f);

    return rc;
}


static int
vodpkg_index(int argc, char **argv)
{
    int            rc;
    uint32_t       segment_ms;
    vodpkg_file_t  f;

    if (argc < 1 || argc > 2) {
        vodpkg_usage();
        return 2;
    }

    segment_ms = vodpkg_segment_ms(argc > 1 ? argv[1] : NULL);
    if (segment_ms == 0) {
        return 2;
    }

    rc = 1;

    if (vodpkg_open(&f, argv[0], segment_ms) != VOD_OK) {
        goto done;
    }

    if (vodpkg_write(f.index, f.index_len) != 0 || fflush(stdout) != 0) {
        goto done;
    }

    rc = 0;

done:

    vodpkg_close(&f);

    return rc;
}


static void
vodpkg_usage(void)
{
    vodpkg_command_t  *c;

    fprintf(stderr, "usage:\n");

    for (c = vodpkg_commands; c->name != NULL; c++) {
        fprintf(stderr, "  vodpkg %s %s\n      %s\n", c->name, c->args,
                c->help);
    }
}


int
main(int argc, char **argv)
{
    vodpkg_command_t  *c;

    if (argc >= 2) {
        for (c = vodpkg_commands; c->name != NULL; c++) {
            if (strcmp(argv[1], c->name) == 0) {
                return c->handler(argc - 2, argv + 2);
            }
        }
    }

    vodpkg_usage();

    return 2;
}
