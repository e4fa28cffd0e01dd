/*
 * vod_vtt.c: WebVTT and SRT parsing, WebVTT writing (see vod_vtt.h).
 *
 * The parser walks the file once by lines; the cue array is sized by a
 * first count of "-->", so memory is bounded by the file's real size.
 * A manifest's first request parses every sidecar of its title (a film's
 * is 150 KB), so the byte scans go a word or a memchr() at a time.
 */

#include <stdlib.h>
#include <strings.h>

#include "vod_vtt.h"
#include "vod_text.h"


/* the hours of a timestamp: up to 9999999 (over a thousand years) */
#define VOD_VTT_MAX_HOURS   9999999ULL

/* a byte of 1 and of 0x80 in each of a word's 8 bytes: with them,
 * ((w - ONES) & ~w & HIGHS) != 0 exactly when a byte of w is zero */
#define VOD_VTT_ONES   0x0101010101010101ULL
#define VOD_VTT_HIGHS  0x8080808080808080ULL
#define vod_vtt_zero_byte(w)                                                 \
    ((((w) - VOD_VTT_ONES) & ~(w) & VOD_VTT_HIGHS) != 0)

#define vod_vtt_digit(c)  ((c) >= '0' && (c) <= '9')
#define vod_vtt_2digits(p)                                                   \
    ((uint64_t) ((p)[0] - '0') * 10 + (uint64_t) ((p)[1] - '0'))

/* vod_vtt_pack(): "VTT1", the count and the longest duration; per cue
 * two 64-bit times and three 32-bit lengths */
#define VOD_VTT_PACK_HEADER  16
#define VOD_VTT_PACK_CUE     28


typedef struct {
    vod_env_t        *env;
    const u_char     *pos;
    const u_char     *end;
    uint32_t          line_no;        /* of the line read last, from 1 */
    unsigned          srt:1;
} vod_vtt_reader_t;


static int vod_vtt_utf8(const u_char *p, size_t len, size_t *bad);
static size_t vod_vtt_arrows(const u_char *p, const u_char *end);
static int vod_vtt_line(vod_vtt_reader_t *rd, vod_str_t *line);
static int vod_vtt_blank(const vod_str_t *line);
static int vod_vtt_has_arrow(const vod_str_t *line);
static int vod_vtt_starts(const vod_str_t *line, const char *word);
static int vod_vtt_timing(vod_vtt_reader_t *rd, vod_str_t *line,
    vod_vtt_cue_t *cue);
static int vod_vtt_time(const u_char **pp, const u_char *end, unsigned srt,
    uint64_t *ms);
static int vod_vtt_text(vod_vtt_reader_t *rd, vod_vtt_cue_t *cue);
static size_t vod_vtt_srt_line(u_char *p, const vod_str_t *line);
static size_t vod_vtt_srt_tag(const u_char *p, const u_char *end);
static int vod_vtt_fail(vod_vtt_reader_t *rd, const char *reason);
static int vod_vtt_cmp(const void *one, const void *two);
static int vod_vtt_unpack(const u_char *blob, size_t len, uint32_t i,
    vod_vtt_cue_t *cue);
static int vod_vtt_shown(const vod_vtt_cue_t *cue, uint64_t from,
    uint64_t to);


int
vod_vtt_parse(vod_env_t *env, const u_char *buf, size_t len, unsigned srt,
    vod_vtt_t *vtt)
{
    int                rc;
    size_t             i, n, bad;
    vod_str_t          line, first;
    vod_vtt_cue_t      c, *cue;
    vod_vtt_reader_t   rd;

    vtt->cues = NULL;
    vtt->count = 0;

    rd.env = env;
    rd.line_no = 0;
    rd.srt = srt;

    if (len > VOD_VTT_MAX_FILE) {
        env->log(env, "subtitles: file larger than %d bytes",
                 VOD_VTT_MAX_FILE);
        return VOD_BAD_DATA;
    }

    if (!vod_vtt_utf8(buf, len, &bad)) {
        env->log(env, "subtitles: not UTF-8 text at byte %zu", bad);
        return VOD_BAD_DATA;
    }

    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
        buf += 3;
        len -= 3;
    }

    rd.pos = buf;
    rd.end = buf + len;

    /* each cue has one "-->": that many at most */

    n = vod_vtt_arrows(buf, buf + len);

    if (n > 0) {
        vtt->cues = env->alloc(env, n * sizeof(vod_vtt_cue_t));
        if (vtt->cues == NULL) {
            return VOD_ERROR;
        }
    }

    if (!srt) {
        /* "WEBVTT", alone or followed by a space or a tab, then the
         * header up to a blank line */

        if (!vod_vtt_line(&rd, &line)
            || line.len < 6 || memcmp(line.data, "WEBVTT", 6) != 0
            || (line.len > 6 && line.data[6] != ' ' && line.data[6] != '\t'))
        {
            rd.line_no = 1;
            return vod_vtt_fail(&rd, "no \"WEBVTT\" signature");
        }

        while (vod_vtt_line(&rd, &line) && !vod_vtt_blank(&line)) {
            if (vod_vtt_has_arrow(&line)) {
                return vod_vtt_fail(&rd, "cue timing in the header");
            }
        }
    }

    for ( ;; ) {

        do {
            if (!vod_vtt_line(&rd, &first)) {
                goto done;
            }
        } while (vod_vtt_blank(&first));

        cue = &c;
        memset(cue, 0, sizeof(vod_vtt_cue_t));
        cue->seq = vtt->count;

        if (vod_vtt_has_arrow(&first)) {
            line = first;

        } else if (!srt && (vod_vtt_starts(&first, "NOTE")
                            || vod_vtt_starts(&first, "STYLE")
                            || vod_vtt_starts(&first, "REGION")))
        {
            while (vod_vtt_line(&rd, &line) && !vod_vtt_blank(&line)) {
                if (vod_vtt_has_arrow(&line)) {
                    return vod_vtt_fail(&rd, "\"-->\" in a comment or "
                                             "style block");
                }
            }

            continue;

        } else {
            /* a WebVTT cue identifier, an SRT counter */

            if (srt) {
                for (i = 0; i < first.len; i++) {
                    if (first.data[i] < '0' || first.data[i] > '9') {
                        return vod_vtt_fail(&rd, "a block without cue "
                                                 "timing");
                    }
                }

            } else {
                cue->id = first;
            }

            if (!vod_vtt_line(&rd, &line) || !vod_vtt_has_arrow(&line)) {
                return vod_vtt_fail(&rd, "a block without cue timing");
            }
        }

        rc = vod_vtt_timing(&rd, &line, cue);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_vtt_text(&rd, cue);
        if (rc != VOD_OK) {
            return rc;
        }

        if (vtt->count == n) {
            /* cannot be: each cue's "-->" was counted */
            return VOD_ERROR;
        }

        vtt->cues[vtt->count++] = c;
    }

done:

    if (srt && vtt->count == 0) {
        rd.line_no++;
        return vod_vtt_fail(&rd, "no cues");
    }

    /* files list their cues in time order, mostly: sorted only if not */

    for (i = 1; i < vtt->count; i++) {
        if (vtt->cues[i].start < vtt->cues[i - 1].start) {
            qsort(vtt->cues, vtt->count, sizeof(vod_vtt_cue_t),
                  vod_vtt_cmp);
            break;
        }
    }

    return VOD_OK;
}


/* whether p[0 .. len - 1] is UTF-8 without NUL bytes (RFC 3629: no
 * overlong forms, no surrogates, nothing past U+10FFFF) */

static int
vod_vtt_utf8(const u_char *p, size_t len, size_t *bad)
{
    u_char    c;
    size_t    i, k, n;
    uint32_t  cp, min;
    uint64_t  w;

    for (i = 0; i < len; i += n) {
        c = p[i];

        if (c >= 0x01 && c < 0x80) {
            n = 1;

            /* text is mostly ASCII: 8 bytes at a time while no byte has
             * its high bit set and none is NUL */

            while (len - i >= 9) {
                memcpy(&w, p + i + 1, 8);

                if ((w & VOD_VTT_HIGHS) != 0 || vod_vtt_zero_byte(w)) {
                    break;
                }

                i += 8;
            }

            continue;
        }

        if (c >= 0xc2 && c <= 0xdf) {
            n = 2;
            cp = c & 0x1f;
            min = 0x80;

        } else if (c >= 0xe0 && c <= 0xef) {
            n = 3;
            cp = c & 0x0f;
            min = 0x800;

        } else if (c >= 0xf0 && c <= 0xf4) {
            n = 4;
            cp = c & 0x07;
            min = 0x10000;

        } else {
            *bad = i;
            return 0;
        }

        if (n > len - i) {
            *bad = i;
            return 0;
        }

        for (k = 1; k < n; k++) {
            if ((p[i + k] & 0xc0) != 0x80) {
                *bad = i;
                return 0;
            }

            cp = (cp << 6) | (p[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            *bad = i;
            return 0;
        }
    }

    return 1;
}


/* the number of "-->" in p[0 .. end - p - 1], none overlapping */

static size_t
vod_vtt_arrows(const u_char *p, const u_char *end)
{
    size_t  n;

    n = 0;

    while (end - p >= 3) {
        p = memchr(p, '-', (size_t) (end - p - 2));
        if (p == NULL) {
            break;
        }

        if (p[1] == '-' && p[2] == '>') {
            n++;
            p += 3;

        } else {
            p++;
        }
    }

    return n;
}


/* the next line without its end (LF, CRLF or CR); 0 at the end */

static int
vod_vtt_line(vod_vtt_reader_t *rd, vod_str_t *line)
{
    uint64_t       w, lf, cr;
    const u_char  *p;

    if (rd->pos >= rd->end) {
        return 0;
    }

    /* 8 bytes at a time up to the word that holds a CR or an LF */

    for (p = rd->pos; rd->end - p >= 8; p += 8) {
        memcpy(&w, p, 8);
        lf = w ^ (VOD_VTT_ONES * '\n');
        cr = w ^ (VOD_VTT_ONES * '\r');
        w = ((lf - VOD_VTT_ONES) & ~lf) | ((cr - VOD_VTT_ONES) & ~cr);
        w &= VOD_VTT_HIGHS;

        if (w != 0) {
#if (__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
            /* the lowest flag is the first CR or LF: those above it may
             * be false, it is not */
            p += __builtin_ctzll(w) / 8;
#endif
            break;
        }
    }

    while (p < rd->end && *p != '\n' && *p != '\r') {
        p++;
    }

    line->data = (u_char *) rd->pos;
    line->len = (size_t) (p - rd->pos);

    if (p < rd->end) {
        if (*p++ == '\r' && p < rd->end && *p == '\n') {
            p++;
        }
    }

    rd->pos = p;
    rd->line_no++;

    return 1;
}


/* empty, or only spaces and tabs (as SRT files often have) */

static int
vod_vtt_blank(const vod_str_t *line)
{
    size_t  i;

    for (i = 0; i < line->len; i++) {
        if (line->data[i] != ' ' && line->data[i] != '\t') {
            return 0;
        }
    }

    return 1;
}


static int
vod_vtt_has_arrow(const vod_str_t *line)
{
    return vod_vtt_arrows(line->data, line->data + line->len) != 0;
}


/* word alone, or followed by a space or a tab */

static int
vod_vtt_starts(const vod_str_t *line, const char *word)
{
    size_t  n;

    n = strlen(word);

    return line->len >= n && memcmp(line->data, word, n) == 0
           && (line->len == n || line->data[n] == ' '
               || line->data[n] == '\t');
}


/* "start --> end[ settings]" */

static int
vod_vtt_timing(vod_vtt_reader_t *rd, vod_str_t *line, vod_vtt_cue_t *cue)
{
    const u_char  *p, *end, *s;

    p = line->data;
    end = p + line->len;

    if (vod_vtt_time(&p, end, rd->srt, &cue->start) != VOD_OK) {
        return vod_vtt_fail(rd, "bad start time");
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (end - p < 3 || memcmp(p, "-->", 3) != 0) {
        return vod_vtt_fail(rd, "no \"-->\" after the start time");
    }

    p += 3;

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    if (vod_vtt_time(&p, end, rd->srt, &cue->end) != VOD_OK) {
        return vod_vtt_fail(rd, "bad end time");
    }

    if (cue->end < cue->start) {
        return vod_vtt_fail(rd, "end time before the start time");
    }

    if (p < end && *p != ' ' && *p != '\t') {
        return vod_vtt_fail(rd, "bad end time");
    }

    while (p < end && (*p == ' ' || *p == '\t')) {
        p++;
    }

    /* SRT's coordinates ("X1:...") have no WebVTT meaning: dropped */

    if (!rd->srt && p < end) {
        for (s = end; s[-1] == ' ' || s[-1] == '\t'; s--) {
            /* void */
        }

        cue->settings.data = (u_char *) p;
        cue->settings.len = (size_t) (s - p);
    }

    return VOD_OK;
}


/*
 * WebVTT: [hours ":"] minutes ":" seconds "." milliseconds, hours of two
 * or more digits, minutes and seconds of two (under 60), milliseconds of
 * three.  SRT: hours of one or more digits always there, ',' (or '.')
 * before the milliseconds.
 */

static int
vod_vtt_time(const u_char **pp, const u_char *end, unsigned srt,
    uint64_t *ms)
{
    size_t         digits[3], groups;
    uint64_t       v[3];
    const u_char  *p;

    p = *pp;

    /* the usual form, "HH:MM:SS.mmm", read at once; any other (or one
     * out of range) by the loop below */

    if (end - p >= 12
        && vod_vtt_digit(p[0]) && vod_vtt_digit(p[1]) && p[2] == ':'
        && vod_vtt_digit(p[3]) && vod_vtt_digit(p[4]) && p[5] == ':'
        && vod_vtt_digit(p[6]) && vod_vtt_digit(p[7])
        && (p[8] == '.' || (srt && p[8] == ','))
        && vod_vtt_digit(p[9]) && vod_vtt_digit(p[10])
        && vod_vtt_digit(p[11])
        && (end - p == 12 || !vod_vtt_digit(p[12]))
        && p[3] <= '5' && p[6] <= '5')
    {
        *ms = ((vod_vtt_2digits(p) * 60 + vod_vtt_2digits(p + 3)) * 60
               + vod_vtt_2digits(p + 6)) * 1000
              + vod_vtt_2digits(p + 9) * 10 + (uint64_t) (p[11] - '0');
        *pp = p + 12;

        return VOD_OK;
    }

    groups = 0;

    for ( ;; ) {
        v[groups] = 0;
        digits[groups] = 0;

        while (p < end && *p >= '0' && *p <= '9') {
            if (v[groups] > VOD_VTT_MAX_HOURS) {
                return VOD_BAD_DATA;
            }

            v[groups] = v[groups] * 10 + (uint64_t) (*p++ - '0');
            digits[groups]++;
        }

        if (digits[groups] == 0) {
            return VOD_BAD_DATA;
        }

        groups++;

        if (p < end && *p == ':' && groups < 3) {
            p++;
            continue;
        }

        break;
    }

    if (groups < 2 || p == end || !(*p == '.' || (srt && *p == ','))) {
        return VOD_BAD_DATA;
    }

    if (groups == 2) {
        if (srt) {
            return VOD_BAD_DATA;
        }

        v[2] = v[1];
        v[1] = v[0];
        v[0] = 0;
        digits[2] = digits[1];
        digits[1] = digits[0];

    } else if (!srt && digits[0] < 2) {
        return VOD_BAD_DATA;
    }

    if (digits[1] != 2 || digits[2] != 2 || v[1] > 59 || v[2] > 59) {
        return VOD_BAD_DATA;
    }

    p++;

    if (end - p < 3 || p[0] < '0' || p[0] > '9' || p[1] < '0' || p[1] > '9'
        || p[2] < '0' || p[2] > '9' || (end - p > 3 && p[3] >= '0'
                                         && p[3] <= '9'))
    {
        return VOD_BAD_DATA;
    }

    *ms = ((v[0] * 60 + v[1]) * 60 + v[2]) * 1000
          + (uint64_t) (p[0] - '0') * 100 + (uint64_t) (p[1] - '0') * 10
          + (uint64_t) (p[2] - '0');

    *pp = p + 3;

    return VOD_OK;
}


/* the cue's text lines up to a blank line or the end: WebVTT's as they
 * are, SRT's converted; joined by '\n' into env memory */

static int
vod_vtt_text(vod_vtt_reader_t *rd, vod_vtt_cue_t *cue)
{
    u_char                *p;
    size_t                 size, n;
    uint32_t               line_no;
    vod_str_t              line, conv;
    const u_char          *start, *last;

    start = rd->pos;
    line_no = rd->line_no;
    last = start;
    size = 0;
    n = 0;

    /* the size first: SRT's references make the text longer */

    while (vod_vtt_line(rd, &line) && !vod_vtt_blank(&line)) {
        if (vod_vtt_has_arrow(&line)) {
            return vod_vtt_fail(rd, "\"-->\" in cue text (a blank line "
                                    "missing before a cue?)");
        }

        size += (rd->srt ? vod_vtt_srt_line(NULL, &line) : line.len) + 1;
        last = line.data + line.len;
        n++;
    }

    if (n == 0) {
        return VOD_OK;
    }

    p = rd->env->alloc(rd->env, size);
    if (p == NULL) {
        return VOD_ERROR;
    }

    cue->text.data = p;

    /* WebVTT lines ended by LF alone are the text as it stands in the
     * file: one copy, and the reader stays past the blank line */

    if (!rd->srt && memchr(start, '\r', (size_t) (last - start)) == NULL) {
        cue->text.len = (size_t) (last - start);
        memcpy(p, start, cue->text.len);

        return VOD_OK;
    }

    rd->pos = start;
    rd->line_no = line_no;

    while (n-- > 0) {
        (void) vod_vtt_line(rd, &line);

        if (!rd->srt) {
            p = vod_text_cpymem(p, line.data, line.len);
            *p++ = '\n';
            continue;
        }

        /* a line left blank by what the conversion drops (<font>) would
         * end the cue in WebVTT: it goes */

        conv.data = p;
        conv.len = vod_vtt_srt_line(p, &line);

        if (!vod_vtt_blank(&conv)) {
            p += conv.len;
            *p++ = '\n';
        }
    }

    cue->text.len = (size_t) (p - cue->text.data);

    if (cue->text.len != 0) {
        cue->text.len--;
    }

    /* past the blank line that ended the cue */
    (void) vod_vtt_line(rd, &line);

    return VOD_OK;
}


/* an SRT text line as WebVTT cue text, written at p (when not NULL);
 * returns its length */

static size_t
vod_vtt_srt_line(u_char *p, const vod_str_t *line)
{
    size_t         n, k, skip;
    const char    *ref;
    const u_char  *s, *end;

    n = 0;
    s = line->data;
    end = s + line->len;

    while (s < end) {
        ref = NULL;

        if (*s == '<') {
            skip = vod_vtt_srt_tag(s, end);

            if (skip == 0) {
                ref = "&lt;";

            } else {
                /* <i> <b> <u> and their ends stay, in lower case; <font>
                 * goes */
                if (s[1] != 'f' && s[1] != 'F'
                    && (s[1] != '/' || (s[2] != 'f' && s[2] != 'F')))
                {
                    for (k = 0; k < skip; k++) {
                        if (p != NULL) {
                            p[n + k] = (s[k] >= 'A' && s[k] <= 'Z')
                                       ? (u_char) (s[k] | 0x20) : s[k];
                        }
                    }

                    n += skip;
                }

                s += skip;
                continue;
            }

        } else if (*s == '{' && end - s >= 2 && s[1] == '\\') {
            /* an ASS override such as {\an8}: dropped */
            for (skip = 2; s + skip < end && s[skip] != '}'; skip++) {
                /* void */
            }

            if (s + skip < end) {
                s += skip + 1;
                continue;
            }

        } else if (*s == '&') {
            ref = "&amp;";

        } else if (*s == '>') {
            ref = "&gt;";
        }

        if (ref != NULL) {
            k = strlen(ref);

            if (p != NULL) {
                memcpy(p + n, ref, k);
            }

            n += k;

        } else {
            if (p != NULL) {
                p[n] = *s;
            }

            n++;
        }

        s++;
    }

    return n;
}


/* the length of an SRT tag kept or dropped at s: <i> <b> <u>, </i> </b>
 * </u> (any case), <font ...> and </font>; 0 for anything else */

static size_t
vod_vtt_srt_tag(const u_char *s, const u_char *end)
{
    size_t         n;
    const u_char  *p;

    n = (size_t) (end - s);

    if (n >= 3 && s[2] == '>'
        && (s[1] == 'i' || s[1] == 'b' || s[1] == 'u' || s[1] == 'I'
            || s[1] == 'B' || s[1] == 'U'))
    {
        return 3;
    }

    if (n >= 4 && s[1] == '/' && s[3] == '>'
        && (s[2] == 'i' || s[2] == 'b' || s[2] == 'u' || s[2] == 'I'
            || s[2] == 'B' || s[2] == 'U'))
    {
        return 4;
    }

    if ((n >= 6 && strncasecmp((const char *) s, "<font", 5) == 0
         && (s[5] == ' ' || s[5] == '>'))
        || (n >= 7 && strncasecmp((const char *) s, "</font>", 7) == 0))
    {
        for (p = s; p < end && *p != '>'; p++) {
            /* void */
        }

        if (p < end) {
            return (size_t) (p + 1 - s);
        }
    }

    return 0;
}


static int
vod_vtt_fail(vod_vtt_reader_t *rd, const char *reason)
{
    rd->env->log(rd->env, "subtitles: %s at line %u",
                 reason, rd->line_no);

    return VOD_BAD_DATA;
}


static int
vod_vtt_cmp(const void *one, const void *two)
{
    const vod_vtt_cue_t  *a = one;
    const vod_vtt_cue_t  *b = two;

    if (a->start != b->start) {
        return (a->start < b->start) ? -1 : 1;
    }

    return (a->seq < b->seq) ? -1 : (a->seq > b->seq);
}


int
vod_vtt_pack(vod_env_t *env, const vod_vtt_t *vtt, u_char **blob,
    size_t *len)
{
    u_char               *p, *offsets;
    size_t                size;
    uint32_t              i;
    uint64_t              longest;
    const vod_vtt_cue_t  *cue;

    size = VOD_VTT_PACK_HEADER + (size_t) vtt->count * 4;
    longest = 0;

    for (i = 0; i < vtt->count; i++) {
        cue = &vtt->cues[i];
        size += VOD_VTT_PACK_CUE + cue->id.len + cue->settings.len
                + cue->text.len;

        if (cue->end - cue->start > longest) {
            longest = cue->end - cue->start;
        }
    }

    if (size > 0xffffffff) {
        return VOD_BAD_DATA;
    }

    p = env->alloc(env, size);
    if (p == NULL) {
        return VOD_ERROR;
    }

    *blob = p;
    *len = size;

    vod_wtag(p, "VTT1");
    vod_w32(p, vtt->count);
    vod_w64(p, longest);

    offsets = p;
    p += (size_t) vtt->count * 4;

    for (i = 0; i < vtt->count; i++) {
        cue = &vtt->cues[i];

        vod_w32(offsets, p - *blob);
        vod_w64(p, cue->start);
        vod_w64(p, cue->end);
        vod_w32(p, cue->id.len);
        vod_w32(p, cue->settings.len);
        vod_w32(p, cue->text.len);

        /* an empty string's data may be NULL: no memcpy() of it */

        if (cue->id.len != 0) {
            p = vod_text_cpymem(p, cue->id.data, cue->id.len);
        }

        if (cue->settings.len != 0) {
            p = vod_text_cpymem(p, cue->settings.data, cue->settings.len);
        }

        if (cue->text.len != 0) {
            p = vod_text_cpymem(p, cue->text.data, cue->text.len);
        }
    }

    return VOD_OK;
}


/* cue i of a packed blob of count cues; 0 when the blob does not hold
 * it whole */

static int
vod_vtt_unpack(const u_char *blob, size_t len, uint32_t i,
    vod_vtt_cue_t *cue)
{
    size_t         off, left;
    const u_char  *p;

    off = vod_r32(blob + VOD_VTT_PACK_HEADER + (size_t) i * 4);

    if (off > len || len - off < VOD_VTT_PACK_CUE) {
        return 0;
    }

    p = blob + off;
    left = len - off - VOD_VTT_PACK_CUE;

    cue->start = vod_r64(p);
    cue->end = vod_r64(p + 8);
    cue->id.len = vod_r32(p + 16);
    cue->settings.len = vod_r32(p + 20);
    cue->text.len = vod_r32(p + 24);
    p += VOD_VTT_PACK_CUE;

    if (cue->id.len > left || cue->settings.len > left - cue->id.len
        || cue->text.len > left - cue->id.len - cue->settings.len)
    {
        return 0;
    }

    cue->id.data = (u_char *) p;
    cue->settings.data = (u_char *) p + cue->id.len;
    cue->text.data = cue->settings.data + cue->settings.len;

    return 1;
}


/*
 * The cues are by start time, and none lasts longer than the blob says:
 * those shown in [from, to) start at or after from less the longest
 * duration, found by a binary search, and before to.  So a segment costs
 * the logarithm of the file's cues and its own, not the whole file.
 */

int
vod_vtt_write(vod_env_t *env, const u_char *blob, size_t blob_len,
    uint64_t from, uint64_t to, uint64_t mpegts, u_char **out, size_t *len)
{
    u_char         *buf, *p;
    size_t          size;
    uint32_t        i, first, count, lo, hi;
    uint64_t        longest, earliest;
    vod_vtt_cue_t   c, *cue;

    if (blob_len < VOD_VTT_PACK_HEADER || memcmp(blob, "VTT1", 4) != 0) {
        return VOD_BAD_DATA;
    }

    count = vod_r32(blob + 4);
    longest = vod_r64(blob + 8);
    cue = &c;

    if ((blob_len - VOD_VTT_PACK_HEADER) / 4 < count) {
        return VOD_BAD_DATA;
    }

    earliest = (from > longest) ? from - longest : 0;

    /* the first cue starting at or after earliest */

    lo = 0;
    hi = count;

    while (lo < hi) {
        i = lo + (hi - lo) / 2;

        if (!vod_vtt_unpack(blob, blob_len, i, cue)) {
            return VOD_BAD_DATA;
        }

        if (cue->start < earliest) {
            lo = i + 1;

        } else {
            hi = i;
        }
    }

    first = lo;

    size = sizeof("WEBVTT\nX-TIMESTAMP-MAP=MPEGTS:,LOCAL:00:00:00.000\n\n")
           + VOD_TEXT_UINT_LEN;

    for (i = first; i < count; i++) {
        if (!vod_vtt_unpack(blob, blob_len, i, cue)) {
            return VOD_BAD_DATA;
        }

        if (cue->start >= to) {
            break;
        }

        if (vod_vtt_shown(cue, from, to)) {
            size += cue->id.len + cue->settings.len + cue->text.len
                    + 2 * VOD_VTT_TIME_LEN + sizeof("\n --> \n\n\n");
        }
    }

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "WEBVTT\n");

    if (mpegts != VOD_VTT_NO_MAP) {
        p = vod_text_cpy(p, "X-TIMESTAMP-MAP=MPEGTS:");
        p = vod_text_uint(p, mpegts);
        p = vod_text_cpy(p, ",LOCAL:00:00:00.000\n");
    }

    for (i = first; i < count; i++) {
        (void) vod_vtt_unpack(blob, blob_len, i, cue);

        if (cue->start >= to) {
            break;
        }

        if (!vod_vtt_shown(cue, from, to)) {
            continue;
        }

        *p++ = '\n';

        if (cue->id.len != 0) {
            p = vod_text_cpymem(p, cue->id.data, cue->id.len);
            *p++ = '\n';
        }

        p = vod_vtt_stamp(p, cue->start);
        p = vod_text_cpy(p, " --> ");
        p = vod_vtt_stamp(p, cue->end);

        if (cue->settings.len != 0) {
            *p++ = ' ';
            p = vod_text_cpymem(p, cue->settings.data, cue->settings.len);
        }

        *p++ = '\n';

        if (cue->text.len != 0) {
            p = vod_text_cpymem(p, cue->text.data, cue->text.len);
            *p++ = '\n';
        }
    }

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}


static int
vod_vtt_shown(const vod_vtt_cue_t *cue, uint64_t from, uint64_t to)
{
    if (cue->start == cue->end) {
        return cue->start >= from && cue->start < to;
    }

    return cue->start < to && cue->end > from;
}


u_char *
vod_vtt_stamp(u_char *p, uint64_t ms)
{
    uint64_t  h, m, s;

    h = ms / 3600000;
    m = ms / 60000 % 60;
    s = ms / 1000 % 60;

    if (h < 10) {
        *p++ = '0';
    }

    p = vod_text_uint(p, h);
    *p++ = ':';
    *p++ = (u_char) ('0' + m / 10);
    *p++ = (u_char) ('0' + m % 10);
    *p++ = ':';
    *p++ = (u_char) ('0' + s / 10);
    *p++ = (u_char) ('0' + s % 10);
    *p++ = '.';
    *p++ = (u_char) ('0' + ms % 1000 / 100);
    *p++ = (u_char) ('0' + ms % 100 / 10);
    *p++ = (u_char) ('0' + ms % 10);

    return p;
}
