/*
 * fuzz_codec.c: libFuzzer target for the codec and colour readers of
 * sample entries (vod_codec.h, vod_hdr.h): the first byte picks the
 * reader, the rest is its record, copied into an allocation of its exact
 * size so ASan sees any read past it.  Oracles: what a reader accepts is
 * in range (channel counts, a codecs string that fits and is printable,
 * a key frame's verdict -1, 0 or 1).
 */

#include <stdlib.h>
#include <string.h>

#include "vod_codec.h"
#include "vod_hdr.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
fuzz_check_str(const char *str)
{
    size_t  i, n;

    n = strnlen(str, VOD_CODEC_STR_LEN);

    if (n == 0 || n == VOD_CODEC_STR_LEN) {
        abort();
    }

    for (i = 0; i < n; i++) {
        if (str[i] <= ' ' || str[i] >= 0x7f || str[i] == '"') {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int                  rc;
    char                 str[VOD_CODEC_STR_LEN];
    u_char              *rec, *entry;
    size_t               len;
    uint32_t             sw, sh, dw, dh;
    vod_colour_t         c;
    vod_track_info_t     t;
    vod_dolby_config_t   cfg;

    if (size < 1) {
        return 0;
    }

    len = size - 1;
    rec = malloc(len != 0 ? len : 1);
    if (rec == NULL) {
        return 0;
    }

    memcpy(rec, data + 1, len);

    switch (data[0] % 8) {

    case 0:
        (void) vod_hdr_colr(rec, len, &c);
        break;

    case 1:
        (void) vod_hdr_avc(rec, len, &c);
        break;

    case 2:
        (void) vod_hdr_hevc(rec, len, &c);
        break;

    case 3:
        if (vod_hdr_av1(rec, len, &c) != VOD_OK) {
            c.primaries = VOD_CICP_UNSPECIFIED;
            c.transfer = VOD_CICP_UNSPECIFIED;
            c.matrix = VOD_CICP_UNSPECIFIED;
            c.full_range = 0;
        }

        if (vod_codec_av1(rec, len, &c, str) == VOD_OK) {
            fuzz_check_str(str);
        }

        break;

    case 4:
        if (vod_codec_ac3(rec, len, &cfg) == VOD_OK
            && (cfg.channels == 0 || cfg.channels > 6 || cfg.joc != 0))
        {
            abort();
        }

        break;

    case 5:
        /* at most 5.1 and the nine chan_loc groups (14 channels) */
        if (vod_codec_eac3(rec, len, &cfg) == VOD_OK
            && (cfg.channels == 0 || cfg.channels > 6 + 14
                || cfg.joc > 255))
        {
            abort();
        }

        break;

    default:
        /* a whole visual sample entry: its colr box, else the config
         * (the same bytes, read as each codec's) */
        entry = rec;

        memset(&t, 0, sizeof(t));
        t.type = VOD_TRACK_VIDEO;
        t.codec = (data[0] & 0x10) ? VOD_CODEC_HEVC
                  : (data[0] & 0x20) ? VOD_CODEC_AV1 : VOD_CODEC_AVC;
        t.sample_entry = entry;
        t.sample_entry_len = len;
        t.dec_config = entry;
        t.dec_config_len = len;

        if (vod_hdr_track_range(&t) > VOD_RANGE_HLG) {
            abort();
        }

        /* its pasp box, else the VUI's aspect: reduced, never 0; the
         * display width at least 1 */
        t.width = 1920;
        t.height = 1080;
        vod_hdr_track_sar(&t, &sw, &sh);
        vod_hdr_track_display(&t, &dw, &dh);

        if (sw == 0 || sh == 0 || dw == 0 || dw > 0xffff || dh != 1080) {
            abort();
        }

        /* the same bytes as a key frame's first ones (NAL lengths of
         * 1, 2, 4 or an invalid 3 bytes) */
        rc = vod_codec_key_alone(t.codec, "\1\2\4\3"[data[0] >> 6],
                                 rec, len);

        if (rc < -1 || rc > 1) {
            abort();
        }

        break;
    }

    free(rec);

    return 0;
}
