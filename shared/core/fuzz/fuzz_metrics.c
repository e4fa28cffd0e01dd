/*
 * fuzz_metrics.c: libFuzzer target for the metrics renderer's parser of a
 * block's description.  The input's first four bytes are how many named
 * series and slots the block has, the rest its description; the target
 * lays the block out around it (header, hash, names, slots) so that
 * vod_metrics_check() takes it and the parser sees any text.  The text is
 * rendered into a buffer of exactly the length measured (ASan sees a byte
 * past it) and into a short one; the two lengths must agree.
 */

#include <stdlib.h>

#include "vod_metrics.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t                 nnames, nslots, desc, names, off, total, len, i;
    u_char                *block, *out;
    uint32_t               h;
    vod_metrics_header_t  *hd;

    if (size < 4) {
        return 0;
    }

    nnames = (data[0] | (data[1] << 8)) % 64;
    nslots = (data[2] | (data[3] << 8)) % 4096;
    data += 4;
    desc = size - 4;

    names = sizeof(vod_metrics_header_t) + desc;
    off = (names + nnames * VOD_METRIC_NAME_SIZE + 7) & ~(size_t) 7;
    total = off + nslots * sizeof(vod_metric_slot_t);

    block = aligned_alloc(8, (total + 7) & ~(size_t) 7);
    if (block == NULL) {
        return 0;
    }

    memcpy(block + sizeof(vod_metrics_header_t), data, desc);

    /* FNV-1a, as vod_metrics.c hashes a description */
    h = 2166136261u;

    for (i = 0; i < desc; i++) {
        h ^= data[i];
        h *= 16777619u;
    }

    hd = (vod_metrics_header_t *) block;
    hd->magic = VOD_METRICS_MAGIC;
    hd->version = VOD_METRICS_VERSION;
    hd->hash = h;
    hd->desc_len = (uint32_t) desc;
    hd->nslots = (uint32_t) nslots;
    hd->slots_off = (uint32_t) off;
    hd->nnames = (uint32_t) nnames;
    hd->names_off = (uint32_t) names;

    /* every other series named, some of them with what is no value */
    memset(block + names, 0, off - names);

    for (i = 0; i < nnames; i += 2) {
        (void) vod_metrics_name(block, i, (const u_char *) "c-1", 3);
    }

    for (i = 0; i < nslots; i++) {
        ((vod_metric_slot_t *) (block + off))[i] =
            (vod_metric_slot_t) (i * 2654435761u) - (i & 1);
    }

    if (vod_metrics_check(block, total) != total) {
        abort();
    }

    len = vod_metrics_render(block, NULL, 0);

    if (len > 0) {
        out = malloc(len);
        if (out != NULL) {
            if (vod_metrics_render(block, out, len) != len
                || vod_metrics_render(block, out, len / 2) != len)
            {
                abort();
            }

            free(out);
        }
    }

    free(block);

    return 0;
}
