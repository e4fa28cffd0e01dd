/*
 * vod_metrics.h: a self-describing block of metric counters and its
 * Prometheus text renderer, nginx-free.
 *
 * A module describes its metric families in a static table; the block
 * built from it holds a header (magic, format version, a hash of the
 * description, the slots' count and offset), the description as text and
 * the counter slots.  Everything a renderer needs is inside the block, so
 * a module renders the blocks of the other modules of the process without
 * calling into them (each .so exports only its ngx_module_t).
 *
 * Slots: a counter or gauge family has one slot per label combination; a
 * histogram has, per combination, one slot per bucket (observations in
 * it, not cumulative), one for +Inf and one for the sum.  Combinations are
 * numbered with the first label's value most significant.
 *
 * A family's first label may take its values at run time (series: how
 * many): each series has a name entry in the block, which the owner sets
 * with vod_metrics_name(); a series without a name is not rendered.
 */

#ifndef _VOD_METRICS_H_INCLUDED_
#define _VOD_METRICS_H_INCLUDED_


#include "vod_core.h"


#define VOD_METRICS_MAGIC      0x54454d56      /* "VMET" */
#define VOD_METRICS_VERSION    1

#define VOD_METRIC_COUNTER     0
#define VOD_METRIC_GAUGE       1
#define VOD_METRIC_HISTOGRAM   2

#define VOD_METRIC_LABELS      2
#define VOD_METRIC_BUCKETS     32

/* a run-time label value: a length byte, then up to 71 bytes */
#define VOD_METRIC_NAME_SIZE   72
#define VOD_METRIC_NAME_MAX    (VOD_METRIC_NAME_SIZE - 1)
#define VOD_METRIC_SERIES_MAX  4096


/* ngx_atomic_t where nginx's atomics are gcc's (vodedge_metrics.c checks) */
typedef unsigned long  vod_metric_slot_t;


typedef struct {
    const char           *name;         /* after the block's prefix */
    const char           *help;
    int                   type;
    const char           *label[VOD_METRIC_LABELS];    /* NULL: unused */
    const char *const    *values[VOD_METRIC_LABELS];   /* NULL-terminated */
    /* histograms: bucket upper bounds in the observations' unit,
     * ascending, 0-terminated; scale: units in one rendered unit (a power
     * of ten: 1000000 for microseconds rendered as seconds), for a
     * histogram's bounds and sum and a gauge's value (0: whole) */
    const uint64_t       *bounds;
    uint64_t              scale;
    /* the first label's values named at run time: how many (0: values) */
    size_t                series;
} vod_metric_family_t;


typedef struct {
    uint32_t              magic;
    uint32_t              version;
    uint32_t              hash;         /* of the description */
    uint32_t              desc_len;
    uint32_t              nslots;
    uint32_t              slots_off;    /* from the header, aligned to 8 */
    uint32_t              nnames;       /* run-time label values */
    uint32_t              names_off;    /* from the header */
} vod_metrics_header_t;


/*
 * Builds the block of the families (prefix before every name) in block,
 * or, with block NULL, only measures it.  base[i] gets family i's first
 * slot (base may be NULL).  Returns the block's size, or 0 when the table
 * is invalid (a name, label or value outside Prometheus' syntax, a help
 * text with a backslash or newline, too many buckets) or size is short.
 * The slots are zeroed.
 */
size_t vod_metrics_build(const char *prefix,
    const vod_metric_family_t *families, size_t n, u_char *block,
    size_t size, uint32_t *base);

/* the block's size when it is a valid block of this version within size,
 * else 0 */
size_t vod_metrics_check(const u_char *block, size_t size);

/*
 * Renders a valid block (vod_metrics_check) as Prometheus text into out,
 * writing at most out_size bytes.  Returns the length of the whole text
 * (more than out_size: out was short, call again), 0 when the description
 * is malformed.  Slots are read as they are: counters others increment
 * meanwhile may move between two calls.
 */
size_t vod_metrics_render(const u_char *block, u_char *out,
    size_t out_size);

/*
 * Names series index (counted over the block's named families, in table
 * order) with name, or with len 0 unnames it.  A renderer reading it
 * meanwhile skips the series, or sees the old or the new name whole, or
 * (in the worst race) a mix of the two that is still a valid value.
 * Returns -1 when index or len is out of bounds or the name is not a
 * valid label value.
 */
int vod_metrics_name(u_char *block, size_t index, const u_char *name,
    size_t len);


#endif /* _VOD_METRICS_H_INCLUDED_ */
