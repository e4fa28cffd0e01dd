/*
 * vod_metrics.c: builds a self-describing block of metric counters and
 * renders one as Prometheus text (exposition format 0.0.4).
 *
 * The description is text, one record a line:
 *
 *     P <prefix>                          first, once
 *     F <c|g|h> <name> <help>             a family
 *     L <label> <value> <value> ...       up to two, after its F
 *     N <label> <count>                   a first label whose values are
 *                                         named at run time
 *     B <scale> <bound> <bound> ...       a histogram's buckets, or a
 *                                         gauge's scale alone
 *
 * Names, labels and values are checked at build time against Prometheus'
 * syntax (values: printable ASCII without space, quote or backslash), so
 * rendering needs no escaping; the renderer still checks every record and
 * slot index against the block, as the block lives in shared memory.
 */

#include "vod_metrics.h"


#define VOD_METRIC_VALUES  64


typedef struct {
    u_char               *p;
    u_char               *end;
    size_t                len;          /* written or not */
} vod_metrics_out_t;


/* a token of the description */
typedef struct {
    const u_char         *data;
    size_t                len;
} vod_metrics_tok_t;


/* one family as parsed back from the description */
typedef struct {
    int                   type;
    vod_metrics_tok_t     name;
    vod_metrics_tok_t     help;
    size_t                nlabels;
    vod_metrics_tok_t     label[VOD_METRIC_LABELS];
    size_t                nvalues[VOD_METRIC_LABELS];
    vod_metrics_tok_t     values[VOD_METRIC_LABELS][VOD_METRIC_VALUES];
    uint64_t              scale;
    size_t                nbounds;
    uint64_t              bounds[VOD_METRIC_BUCKETS];
    unsigned              named:1;      /* label 0's values: the names */
    const u_char         *names;        /* its first series' entry */
} vod_metrics_fam_t;


static int vod_metrics_name_ok(const char *s, int metric);
static int vod_metrics_value_ok(const char *s);
static int vod_metrics_help_ok(const char *s);
static size_t vod_metrics_values(const char *const *values);
static size_t vod_metrics_bounds(const uint64_t *bounds);
static size_t vod_metrics_family_slots(const vod_metric_family_t *f);
static void vod_metrics_put(vod_metrics_out_t *o, const void *data,
    size_t len);
static void vod_metrics_puts(vod_metrics_out_t *o, const char *s);
static void vod_metrics_putu(vod_metrics_out_t *o, uint64_t v);
static void vod_metrics_putdec(vod_metrics_out_t *o, uint64_t v,
    uint64_t scale);
static uint32_t vod_metrics_hash(const u_char *p, size_t len);
static int vod_metrics_line(const u_char **pos, const u_char *end,
    vod_metrics_tok_t *toks, size_t max, size_t *n, vod_metrics_tok_t *rest);
static int vod_metrics_parse_u64(vod_metrics_tok_t *t, uint64_t *v);
static int vod_metrics_parse_family(const u_char **pos, const u_char *end,
    vod_metrics_fam_t *f);
static void vod_metrics_render_family(vod_metrics_out_t *o,
    vod_metrics_tok_t *prefix, vod_metrics_fam_t *f,
    const volatile vod_metric_slot_t *slots);
static int vod_metrics_labels(vod_metrics_out_t *o, vod_metrics_fam_t *f,
    size_t combo, const char *le, uint64_t bound);
static int vod_metrics_series(vod_metrics_fam_t *f, size_t i,
    vod_metrics_tok_t *value, u_char *buf);


size_t
vod_metrics_build(const char *prefix, const vod_metric_family_t *families,
    size_t n, u_char *block, size_t size, uint32_t *base)
{
    size_t                 i, j, k, nslots, nnames, off, names, total;
    const char            *tc;
    vod_metrics_out_t      o;
    vod_metrics_header_t  *h;
    const vod_metric_family_t  *f;

    if (!vod_metrics_name_ok(prefix, 1)) {
        return 0;
    }

    /* the description goes after the header when there is room, else it
     * is only measured */

    o.p = NULL;
    o.end = NULL;
    o.len = 0;

    if (block != NULL && size > sizeof(vod_metrics_header_t)) {
        o.p = block + sizeof(vod_metrics_header_t);
        o.end = block + size;
    }

    vod_metrics_puts(&o, "P ");
    vod_metrics_puts(&o, prefix);
    vod_metrics_puts(&o, "\n");

    nslots = 0;
    nnames = 0;

    for (i = 0; i < n; i++) {
        f = &families[i];

        if (!vod_metrics_name_ok(f->name, 1)
            || !vod_metrics_help_ok(f->help))
        {
            return 0;
        }

        switch (f->type) {
        case VOD_METRIC_COUNTER:
            tc = "c";
            break;
        case VOD_METRIC_GAUGE:
            tc = "g";
            break;
        case VOD_METRIC_HISTOGRAM:
            tc = "h";
            if (f->bounds == NULL || f->scale == 0
                || vod_metrics_bounds(f->bounds) == 0
                || vod_metrics_bounds(f->bounds) > VOD_METRIC_BUCKETS)
            {
                return 0;
            }
            break;
        default:
            return 0;
        }

        vod_metrics_puts(&o, "F ");
        vod_metrics_puts(&o, tc);
        vod_metrics_puts(&o, " ");
        vod_metrics_puts(&o, f->name);
        vod_metrics_puts(&o, " ");
        vod_metrics_puts(&o, f->help);
        vod_metrics_puts(&o, "\n");

        if (f->series > 0) {
            if (f->type == VOD_METRIC_HISTOGRAM || f->label[0] == NULL
                || !vod_metrics_name_ok(f->label[0], 0)
                || strcmp(f->label[0], "le") == 0
                || f->series > VOD_METRIC_SERIES_MAX)
            {
                return 0;
            }

            vod_metrics_puts(&o, "N ");
            vod_metrics_puts(&o, f->label[0]);
            vod_metrics_puts(&o, " ");
            vod_metrics_putu(&o, f->series);
            vod_metrics_puts(&o, "\n");

            nnames += f->series;
        }

        for (j = (f->series > 0) ? 1 : 0;
             j < VOD_METRIC_LABELS && f->label[j] != NULL;
             j++)
        {
            k = vod_metrics_values(f->values[j]);

            if (!vod_metrics_name_ok(f->label[j], 0)
                || (f->label[j][0] == '_' && f->label[j][1] == '_')
                || strcmp(f->label[j], "le") == 0
                || k == 0 || k > VOD_METRIC_VALUES)
            {
                return 0;
            }

            vod_metrics_puts(&o, "L ");
            vod_metrics_puts(&o, f->label[j]);

            for (k = 0; f->values[j][k] != NULL; k++) {
                if (!vod_metrics_value_ok(f->values[j][k])) {
                    return 0;
                }

                vod_metrics_puts(&o, " ");
                vod_metrics_puts(&o, f->values[j][k]);
            }

            vod_metrics_puts(&o, "\n");
        }

        if (f->type == VOD_METRIC_HISTOGRAM) {
            vod_metrics_puts(&o, "B ");
            vod_metrics_putu(&o, f->scale);

            for (k = 0; f->bounds[k] != 0; k++) {
                if (k > 0 && f->bounds[k] <= f->bounds[k - 1]) {
                    return 0;
                }

                vod_metrics_puts(&o, " ");
                vod_metrics_putu(&o, f->bounds[k]);
            }

            vod_metrics_puts(&o, "\n");
        }

        if (f->type == VOD_METRIC_GAUGE && f->scale != 0) {
            vod_metrics_puts(&o, "B ");
            vod_metrics_putu(&o, f->scale);
            vod_metrics_puts(&o, "\n");
        }

        if (base != NULL) {
            base[i] = (uint32_t) nslots;
        }

        nslots += vod_metrics_family_slots(f);
    }

    names = sizeof(vod_metrics_header_t) + o.len;
    off = (names + nnames * VOD_METRIC_NAME_SIZE + 7) & ~(size_t) 7;
    total = off + nslots * sizeof(vod_metric_slot_t);

    if (total > 0xffffffff) {
        return 0;
    }

    if (block == NULL) {
        return total;
    }

    if (total > size) {
        return 0;
    }

    h = (vod_metrics_header_t *) block;
    h->magic = VOD_METRICS_MAGIC;
    h->version = VOD_METRICS_VERSION;
    h->desc_len = (uint32_t) o.len;
    h->hash = vod_metrics_hash(block + sizeof(vod_metrics_header_t), o.len);
    h->nslots = (uint32_t) nslots;
    h->slots_off = (uint32_t) off;
    h->nnames = (uint32_t) nnames;
    h->names_off = (uint32_t) names;

    memset(block + sizeof(vod_metrics_header_t) + o.len, 0,
           total - sizeof(vod_metrics_header_t) - o.len);

    return total;
}


size_t
vod_metrics_check(const u_char *block, size_t size)
{
    size_t                       total;
    const vod_metrics_header_t  *h;

    if (block == NULL || size < sizeof(vod_metrics_header_t)
        || ((uintptr_t) block & 7) != 0)
    {
        return 0;
    }

    h = (const vod_metrics_header_t *) block;

    if (h->magic != VOD_METRICS_MAGIC || h->version != VOD_METRICS_VERSION
        || (h->slots_off & 7) != 0
        || h->names_off != sizeof(vod_metrics_header_t) + (size_t) h->desc_len
        || h->nnames > VOD_METRIC_SERIES_MAX * 64
        || h->slots_off < h->names_off
                          + (size_t) h->nnames * VOD_METRIC_NAME_SIZE)
    {
        return 0;
    }

    total = h->slots_off + (size_t) h->nslots * sizeof(vod_metric_slot_t);

    if (total > size
        || vod_metrics_hash(block + sizeof(vod_metrics_header_t),
                            h->desc_len)
           != h->hash)
    {
        return 0;
    }

    return total;
}


size_t
vod_metrics_render(const u_char *block, u_char *out, size_t out_size)
{
    size_t                       slot, need, names;
    const u_char                *pos, *end;
    vod_metrics_out_t            o;
    vod_metrics_tok_t            tok[2], rest;
    vod_metrics_fam_t            fam;
    const vod_metrics_header_t  *h;
    const volatile vod_metric_slot_t  *slots;

    h = (const vod_metrics_header_t *) block;
    pos = block + sizeof(vod_metrics_header_t);
    end = pos + h->desc_len;
    slots = (const volatile vod_metric_slot_t *) (block + h->slots_off);

    o.p = out;
    o.end = (out != NULL) ? out + out_size : NULL;
    o.len = 0;

    if (!vod_metrics_line(&pos, end, tok, 2, &need, &rest)
        || need != 2 || tok[0].len != 1 || tok[0].data[0] != 'P'
        || rest.len != 0)
    {
        return 0;
    }

    slot = 0;
    names = 0;

    while (pos < end) {
        if (vod_metrics_parse_family(&pos, end, &fam) != 0) {
            return 0;
        }

        if (fam.named) {
            if (fam.nvalues[0] > h->nnames - names) {
                return 0;
            }

            fam.names = block + h->names_off + names * VOD_METRIC_NAME_SIZE;
            names += fam.nvalues[0];
        }

        need = 1;

        if (fam.nlabels > 0) {
            need = fam.nvalues[0];
        }

        if (fam.nlabels > 1) {
            need *= fam.nvalues[1];
        }

        if (fam.type == VOD_METRIC_HISTOGRAM) {
            need *= fam.nbounds + 2;
        }

        if (need > h->nslots - slot) {
            return 0;
        }

        vod_metrics_render_family(&o, &tok[1], &fam, slots + slot);

        slot += need;
    }

    return o.len;
}


static void
vod_metrics_render_family(vod_metrics_out_t *o, vod_metrics_tok_t *prefix,
    vod_metrics_fam_t *f, const volatile vod_metric_slot_t *slots)
{
    size_t             combos, c, b, per, mark;
    uint64_t           cum, v;
    static const char *types[] = { "counter", "gauge", "histogram" };

    vod_metrics_puts(o, "# HELP ");
    vod_metrics_put(o, prefix->data, prefix->len);
    vod_metrics_put(o, f->name.data, f->name.len);
    vod_metrics_puts(o, " ");
    vod_metrics_put(o, f->help.data, f->help.len);
    vod_metrics_puts(o, "\n# TYPE ");
    vod_metrics_put(o, prefix->data, prefix->len);
    vod_metrics_put(o, f->name.data, f->name.len);
    vod_metrics_puts(o, " ");
    vod_metrics_puts(o, types[f->type]);
    vod_metrics_puts(o, "\n");

    combos = 1;

    if (f->nlabels > 0) {
        combos = f->nvalues[0];
    }

    if (f->nlabels > 1) {
        combos *= f->nvalues[1];
    }

    per = (f->type == VOD_METRIC_HISTOGRAM) ? f->nbounds + 2 : 1;

    for (c = 0; c < combos; c++) {

        if (f->type != VOD_METRIC_HISTOGRAM) {
            mark = o->len;

            vod_metrics_put(o, prefix->data, prefix->len);
            vod_metrics_put(o, f->name.data, f->name.len);

            if (vod_metrics_labels(o, f, c, NULL, 0) != 0) {
                o->len = mark;      /* a series without a name */
                continue;
            }

            vod_metrics_puts(o, " ");

            v = slots[c];

            if (f->type == VOD_METRIC_GAUGE && (int64_t) v < 0) {
                vod_metrics_puts(o, "-");
                v = -v;
            }

            if (f->type == VOD_METRIC_GAUGE && f->scale != 0) {
                vod_metrics_putdec(o, v, f->scale);

            } else {
                vod_metrics_putu(o, v);
            }

            vod_metrics_puts(o, "\n");
            continue;
        }

        cum = 0;

        for (b = 0; b <= f->nbounds; b++) {
            cum += slots[c * per + b];

            vod_metrics_put(o, prefix->data, prefix->len);
            vod_metrics_put(o, f->name.data, f->name.len);
            vod_metrics_puts(o, "_bucket");

            (void) vod_metrics_labels(o, f, c,
                                      (b < f->nbounds) ? "" : "+Inf",
                                      (b < f->nbounds) ? f->bounds[b] : 0);

            vod_metrics_puts(o, " ");
            vod_metrics_putu(o, cum);
            vod_metrics_puts(o, "\n");
        }

        vod_metrics_put(o, prefix->data, prefix->len);
        vod_metrics_put(o, f->name.data, f->name.len);
        vod_metrics_puts(o, "_sum");
        (void) vod_metrics_labels(o, f, c, NULL, 0);
        vod_metrics_puts(o, " ");
        vod_metrics_putdec(o, slots[c * per + f->nbounds + 1], f->scale);
        vod_metrics_puts(o, "\n");

        vod_metrics_put(o, prefix->data, prefix->len);
        vod_metrics_put(o, f->name.data, f->name.len);
        vod_metrics_puts(o, "_count");
        (void) vod_metrics_labels(o, f, c, NULL, 0);
        vod_metrics_puts(o, " ");
        vod_metrics_putu(o, cum);
        vod_metrics_puts(o, "\n");
    }
}


/* {l0="v",l1="v",le="x"}; le NULL: none, "": the bound's decimal.
 * Returns -1, having written part of it, for a series without a name. */

static int
vod_metrics_labels(vod_metrics_out_t *o, vod_metrics_fam_t *f, size_t combo,
    const char *le, uint64_t bound)
{
    size_t             i, idx[VOD_METRIC_LABELS];
    u_char             buf[VOD_METRIC_NAME_MAX];
    vod_metrics_tok_t  value;

    if (f->nlabels == 0 && le == NULL) {
        return 0;
    }

    if (f->nlabels == 2) {
        idx[0] = combo / f->nvalues[1];
        idx[1] = combo % f->nvalues[1];

    } else {
        idx[0] = combo;
    }

    vod_metrics_puts(o, "{");

    for (i = 0; i < f->nlabels; i++) {
        if (i > 0) {
            vod_metrics_puts(o, ",");
        }

        if (i == 0 && f->named) {
            if (vod_metrics_series(f, idx[0], &value, buf) != 0) {
                return -1;
            }

        } else {
            value = f->values[i][idx[i]];
        }

        vod_metrics_put(o, f->label[i].data, f->label[i].len);
        vod_metrics_puts(o, "=\"");
        vod_metrics_put(o, value.data, value.len);
        vod_metrics_puts(o, "\"");
    }

    if (le != NULL) {
        vod_metrics_puts(o, (f->nlabels > 0) ? ",le=\"" : "le=\"");

        if (le[0] == '\0') {
            vod_metrics_putdec(o, bound, f->scale);

        } else {
            vod_metrics_puts(o, le);
        }

        vod_metrics_puts(o, "\"");
    }

    vod_metrics_puts(o, "}");

    return 0;
}


/* series i's name, copied into buf as it is now; -1 when it has none (or
 * a writer is changing it: what was read is not a valid value) */

static int
vod_metrics_series(vod_metrics_fam_t *f, size_t i, vod_metrics_tok_t *value,
    u_char *buf)
{
    size_t                  len, k;
    const volatile u_char  *e;

    e = f->names + i * VOD_METRIC_NAME_SIZE;

    len = e[0];

    if (len == 0 || len > VOD_METRIC_NAME_MAX) {
        return -1;
    }

    for (k = 0; k < len; k++) {
        buf[k] = e[1 + k];

        if (buf[k] <= ' ' || buf[k] > '~' || buf[k] == '"'
            || buf[k] == '\\')
        {
            return -1;
        }
    }

    if (e[0] != len) {
        return -1;
    }

    value->data = buf;
    value->len = len;

    return 0;
}


int
vod_metrics_name(u_char *block, size_t index, const u_char *name,
    size_t len)
{
    size_t                 k;
    volatile u_char       *e;
    vod_metrics_header_t  *h;

    h = (vod_metrics_header_t *) block;

    if (index >= h->nnames || len > VOD_METRIC_NAME_MAX) {
        return -1;
    }

    for (k = 0; k < len; k++) {
        if (name[k] <= ' ' || name[k] > '~' || name[k] == '"'
            || name[k] == '\\')
        {
            return -1;
        }
    }

    e = block + h->names_off + index * VOD_METRIC_NAME_SIZE;

    /* unnamed while it changes: a reader skips it */

    e[0] = 0;
    __sync_synchronize();

    for (k = 0; k < len; k++) {
        e[1 + k] = name[k];
    }

    __sync_synchronize();
    e[0] = (u_char) len;

    return 0;
}


/* an F line, then its L and B lines; 0, or -1 when malformed */

static int
vod_metrics_parse_family(const u_char **pos, const u_char *end,
    vod_metrics_fam_t *f)
{
    size_t              n, i;
    uint64_t            scale;
    const u_char       *save;
    vod_metrics_tok_t   tok[VOD_METRIC_VALUES + 2], rest;

    if (!vod_metrics_line(pos, end, tok, 3, &n, &rest)
        || n != 3 || tok[0].len != 1 || tok[0].data[0] != 'F'
        || tok[1].len != 1)
    {
        return -1;
    }

    switch (tok[1].data[0]) {
    case 'c':
        f->type = VOD_METRIC_COUNTER;
        break;
    case 'g':
        f->type = VOD_METRIC_GAUGE;
        break;
    case 'h':
        f->type = VOD_METRIC_HISTOGRAM;
        break;
    default:
        return -1;
    }

    f->name = tok[2];
    f->help = rest;
    f->nlabels = 0;
    f->nbounds = 0;
    f->scale = 0;
    f->named = 0;
    f->names = NULL;

    if (*pos < end && **pos == 'N') {
        if (!vod_metrics_line(pos, end, tok, 3, &n, &rest)
            || rest.len != 0 || n != 3 || tok[0].len != 1
            || f->type == VOD_METRIC_HISTOGRAM
            || vod_metrics_parse_u64(&tok[2], &scale) != 0
            || scale == 0 || scale > VOD_METRIC_SERIES_MAX)
        {
            return -1;
        }

        f->label[0] = tok[1];
        f->nvalues[0] = (size_t) scale;
        f->nlabels = 1;
        f->named = 1;
    }

    while (*pos < end && (**pos == 'L' || **pos == 'B')) {
        save = *pos;

        if (!vod_metrics_line(pos, end, tok, VOD_METRIC_VALUES + 2, &n,
                              &rest)
            || rest.len != 0 || n < 2 || tok[0].len != 1)
        {
            return -1;
        }

        if (*save == 'B' && f->type == VOD_METRIC_GAUGE) {
            if (n != 2 || f->scale != 0
                || vod_metrics_parse_u64(&tok[1], &f->scale) != 0
                || f->scale == 0)
            {
                return -1;
            }

            continue;
        }

        if (n < 3) {
            return -1;
        }

        if (*save == 'L') {
            if (f->nlabels == VOD_METRIC_LABELS) {
                return -1;
            }

            f->label[f->nlabels] = tok[1];
            f->nvalues[f->nlabels] = n - 2;

            for (i = 2; i < n; i++) {
                f->values[f->nlabels][i - 2] = tok[i];
            }

            f->nlabels++;
            continue;
        }

        if (f->type != VOD_METRIC_HISTOGRAM || f->nbounds != 0
            || n - 2 > VOD_METRIC_BUCKETS
            || vod_metrics_parse_u64(&tok[1], &f->scale) != 0
            || f->scale == 0)
        {
            return -1;
        }

        for (i = 2; i < n; i++) {
            if (vod_metrics_parse_u64(&tok[i], &f->bounds[i - 2]) != 0) {
                return -1;
            }
        }

        f->nbounds = n - 2;
    }

    if (f->type == VOD_METRIC_HISTOGRAM && f->nbounds == 0) {
        return -1;
    }

    return 0;
}


/*
 * Splits the line at *pos into up to max space-separated tokens (*n of
 * them); with rest not NULL, what follows the max-th token's space is
 * rest (the help text), else more tokens than max fail.  Moves *pos past
 * the newline.  Returns 1, or 0 when there is no whole line.
 */

static int
vod_metrics_line(const u_char **pos, const u_char *end,
    vod_metrics_tok_t *toks, size_t max, size_t *n, vod_metrics_tok_t *rest)
{
    const u_char  *p, *eol;

    eol = memchr(*pos, '\n', end - *pos);
    if (eol == NULL) {
        return 0;
    }

    p = *pos;
    *n = 0;
    rest->data = eol;
    rest->len = 0;

    while (p < eol) {
        if (*n == max) {
            rest->data = p;
            rest->len = eol - p;
            break;
        }

        toks[*n].data = p;

        while (p < eol && *p != ' ') {
            p++;
        }

        toks[*n].len = p - toks[*n].data;

        if (toks[*n].len == 0) {
            return 0;
        }

        (*n)++;

        if (p < eol) {
            p++;
        }
    }

    *pos = eol + 1;

    return 1;
}


static int
vod_metrics_parse_u64(vod_metrics_tok_t *t, uint64_t *v)
{
    size_t  i;

    if (t->len == 0 || t->len > 19) {
        return -1;
    }

    *v = 0;

    for (i = 0; i < t->len; i++) {
        if (t->data[i] < '0' || t->data[i] > '9') {
            return -1;
        }

        *v = *v * 10 + (t->data[i] - '0');
    }

    return 0;
}


/* metric names: [a-zA-Z_:][a-zA-Z0-9_:]*; label names: no ':' */

static int
vod_metrics_name_ok(const char *s, int metric)
{
    size_t  i;
    u_char  c;

    if (s == NULL || s[0] == '\0') {
        return 0;
    }

    for (i = 0; s[i] != '\0'; i++) {
        c = (u_char) s[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'
            || (c == ':' && metric) || (i > 0 && c >= '0' && c <= '9'))
        {
            continue;
        }

        return 0;
    }

    return 1;
}


static int
vod_metrics_value_ok(const char *s)
{
    size_t  i;
    u_char  c;

    if (s[0] == '\0') {
        return 0;
    }

    for (i = 0; s[i] != '\0'; i++) {
        c = (u_char) s[i];

        if (c <= ' ' || c > '~' || c == '"' || c == '\\') {
            return 0;
        }
    }

    return 1;
}


static int
vod_metrics_help_ok(const char *s)
{
    size_t  i;
    u_char  c;

    if (s == NULL || s[0] == '\0') {
        return 0;
    }

    for (i = 0; s[i] != '\0'; i++) {
        c = (u_char) s[i];

        if (c < ' ' || c > '~' || c == '\\') {
            return 0;
        }
    }

    return 1;
}


static size_t
vod_metrics_values(const char *const *values)
{
    size_t  n;

    if (values == NULL) {
        return 0;
    }

    for (n = 0; values[n] != NULL; n++) { /* void */ }

    return n;
}


static size_t
vod_metrics_bounds(const uint64_t *bounds)
{
    size_t  n;

    for (n = 0; bounds[n] != 0; n++) { /* void */ }

    return n;
}


static size_t
vod_metrics_family_slots(const vod_metric_family_t *f)
{
    size_t  n, i;

    n = 1;

    for (i = 0; i < VOD_METRIC_LABELS && f->label[i] != NULL; i++) {
        n *= (i == 0 && f->series > 0) ? f->series
                                        : vod_metrics_values(f->values[i]);
    }

    if (f->type == VOD_METRIC_HISTOGRAM) {
        n *= vod_metrics_bounds(f->bounds) + 2;
    }

    return n;
}


static void
vod_metrics_put(vod_metrics_out_t *o, const void *data, size_t len)
{
    size_t  room;

    if (o->p != NULL) {
        room = o->end - o->p;

        if (o->len <= room && len <= room - o->len) {
            memcpy(o->p + o->len, data, len);
        }
    }

    o->len += len;
}


static void
vod_metrics_puts(vod_metrics_out_t *o, const char *s)
{
    vod_metrics_put(o, s, strlen(s));
}


static void
vod_metrics_putu(vod_metrics_out_t *o, uint64_t v)
{
    u_char   buf[20], *p;

    p = buf + sizeof(buf);

    do {
        *--p = (u_char) ('0' + v % 10);
        v /= 10;
    } while (v != 0);

    vod_metrics_put(o, p, buf + sizeof(buf) - p);
}


/* v / scale (a power of ten) as a decimal without trailing zeros */

static void
vod_metrics_putdec(vod_metrics_out_t *o, uint64_t v, uint64_t scale)
{
    u_char    buf[24], *p;
    uint64_t  frac, s;

    vod_metrics_putu(o, v / scale);

    frac = v % scale;

    if (frac == 0) {
        return;
    }

    p = buf;
    *p++ = '.';

    for (s = scale / 10; s > 0 && p < buf + sizeof(buf); s /= 10) {
        *p++ = (u_char) ('0' + (frac / s) % 10);
    }

    while (p > buf + 1 && p[-1] == '0') {
        p--;
    }

    vod_metrics_put(o, buf, p - buf);
}


/* FNV-1a */

static uint32_t
vod_metrics_hash(const u_char *p, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h ^= p[i];
        h *= 16777619u;
    }

    return h;
}
