/*
 * fuzz_refs.c: libFuzzer target for the H.264 reference model
 * (vod_thumb_refs.h).  Input: a 16-bit length and an avcC of that length,
 * then samples, each a 16-bit length and its bytes (length-prefixed NAL
 * units, 4-byte lengths), each copied into an allocation of its exact
 * size so ASan sees any read past it.  The last sample is shown.
 * Oracles: with a proof, need[] is 0 or 1, the key frame and the frame
 * shown are needed, and every picture a needed picture's lists name is
 * needed.  Each sample's head too (vod_thumb_refs_head(), a state of its
 * own): its frame_num under a MaxFrameNum of 2^4 to 2^16, a recovery
 * count of -1 or under 2^16; the recovery point of the first head is
 * among the heads.
 */

#include <stdlib.h>
#include <string.h>

#include "vod_thumb_refs.h"


#define FUZZ_REFS_MAX  64


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    u_char             *buf, need[FUZZ_REFS_MAX];
    size_t              n;
    uint32_t            i, k, l, j, nheads, at;
    vod_refs_pic_t     *pics;
    vod_refs_head_t     heads[FUZZ_REFS_MAX];
    vod_thumb_refs_t   *r, *hr;
    vod_refs_slice_t   *sl;

    if (size < 2) {
        return 0;
    }

    n = ((size_t) data[0] << 8) | data[1];
    data += 2;
    size -= 2;

    if (n > size) {
        return 0;
    }

    r = malloc(sizeof(vod_thumb_refs_t));
    hr = malloc(sizeof(vod_thumb_refs_t));
    pics = malloc(FUZZ_REFS_MAX * sizeof(vod_refs_pic_t));
    buf = malloc(n != 0 ? n : 1);
    nheads = 0;

    if (r == NULL || hr == NULL || pics == NULL || buf == NULL) {
        goto done;
    }

    memcpy(buf, data, n);
    vod_thumb_refs_init(r, buf, n, 4, pics, FUZZ_REFS_MAX);
    vod_thumb_refs_init(hr, buf, n, 4, NULL, 0);
    free(buf);
    buf = NULL;

    data += n;
    size -= n;

    while (size >= 2) {
        n = ((size_t) data[0] << 8) | data[1];
        data += 2;
        size -= 2;

        if (n > size) {
            n = size;
        }

        buf = malloc(n != 0 ? n : 1);
        if (buf == NULL) {
            goto done;
        }

        memcpy(buf, data, n);
        vod_thumb_refs_add(r, buf, n);

        if (nheads < FUZZ_REFS_MAX
            && vod_thumb_refs_head(hr, buf, n, &heads[nheads]) == VOD_OK)
        {
            if (heads[nheads].max_frame_num < 16
                || heads[nheads].max_frame_num > 65536
                || (heads[nheads].max_frame_num
                    & (heads[nheads].max_frame_num - 1)) != 0
                || heads[nheads].frame_num >= heads[nheads].max_frame_num
                || heads[nheads].recovery < -1
                || heads[nheads].recovery > 0xffff)
            {
                abort();
            }

            nheads++;
        }

        free(buf);
        buf = NULL;

        data += n;
        size -= n;
    }

    if (nheads > 0 && vod_thumb_refs_recovered(heads, nheads, &at) == VOD_OK
        && at >= nheads)
    {
        abort();
    }

    if (r->npics == 0) {
        goto done;
    }

    memset(need, 0, sizeof(need));
    need[r->npics - 1] = 1;

    if (vod_thumb_refs_needed(r, need) != VOD_OK) {
        goto done;
    }

    if (!need[0] || !need[r->npics - 1]) {
        abort();
    }

    for (i = 0; i < FUZZ_REFS_MAX; i++) {
        if (need[i] > 1 || (i >= r->npics && need[i])) {
            abort();
        }

        if (!need[i]) {
            continue;
        }

        for (k = 0; k < pics[i].nslices; k++) {
            sl = &pics[i].slices[k];

            for (l = 0; l < 2; l++) {
                for (j = 0; j < sl->len[l]; j++) {
                    if (sl->list[l][j] >= i || !need[sl->list[l][j]]) {
                        abort();
                    }
                }
            }
        }
    }

done:

    free(buf);
    free(pics);
    free(hr);
    free(r);

    return 0;
}
