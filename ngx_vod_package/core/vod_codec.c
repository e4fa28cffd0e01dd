/*
 * vod_codec.c: decoder configuration records and RFC 6381 codec strings.
 */

#include <stdio.h>

#include "vod_core.h"
#include "vod_codec.h"


typedef struct {
    const u_char  *pos;
    const u_char  *end;
    uint32_t       bit;               /* bits used of *pos */
    uint32_t       error;
} vod_bits_t;


static uint32_t vod_bits_read(vod_bits_t *br, uint32_t n);
static int vod_codec_descriptor(const u_char **pos, const u_char *end,
    uint32_t *tag, const u_char **data, size_t *len);


static const uint32_t  vod_aac_rates[13] = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
    11025, 8000, 7350
};


static uint32_t
vod_bits_read(vod_bits_t *br, uint32_t n)
{
    uint32_t  v;

    v = 0;

    while (n-- > 0) {
        if (br->pos >= br->end) {
            br->error = 1;
            return 0;
        }

        v = (v << 1) | ((*br->pos >> (7 - br->bit)) & 1);

        if (++br->bit == 8) {
            br->bit = 0;
            br->pos++;
        }
    }

    return v;
}


int
vod_codec_avc(const u_char *avcc, size_t len, uint32_t fourcc, char *str,
    uint32_t *nal_length_size)
{
    uint32_t  n;

    if (len < 7 || avcc[0] != 1) {
        return VOD_BAD_DATA;
    }

    n = (avcc[4] & 0x03) + 1;

    if (n == 3) {
        return VOD_BAD_DATA;
    }

    *nal_length_size = n;

    snprintf(str, VOD_CODEC_STR_LEN, "%c%c%c%c.%02x%02x%02x",
             (char) (fourcc >> 24), (char) (fourcc >> 16),
             (char) (fourcc >> 8), (char) fourcc,
             avcc[1], avcc[2], avcc[3]);

    return VOD_OK;
}


int
vod_codec_hevc(const u_char *hvcc, size_t len, uint32_t fourcc, char *str,
    uint32_t *nal_length_size)
{
    char      *p, *last;
    size_t     left;
    uint32_t   compat, reversed, space, i, n;

    if (len < 23 || hvcc[0] != 1) {
        return VOD_BAD_DATA;
    }

    n = (hvcc[21] & 0x03) + 1;

    if (n == 3) {
        return VOD_BAD_DATA;
    }

    *nal_length_size = n;

    space = hvcc[1] >> 6;
    compat = vod_r32(hvcc + 2);
    reversed = 0;

    for (i = 0; i < 32; i++) {
        reversed = (reversed << 1) | ((compat >> i) & 1);
    }

    p = str;
    left = VOD_CODEC_STR_LEN;

    n = snprintf(p, left, "%c%c%c%c.%s%u.%X.%c%u",
                 (char) (fourcc >> 24), (char) (fourcc >> 16),
                 (char) (fourcc >> 8), (char) fourcc,
                 space == 0 ? "" : (space == 1 ? "A" : (space == 2 ? "B"
                                                                  : "C")),
                 hvcc[1] & 0x1f, reversed, (hvcc[1] & 0x20) ? 'H' : 'L',
                 hvcc[12]);

    p += n;
    left -= n;

    /* the six constraint bytes, trailing zero bytes dropped */

    last = p;

    for (i = 0; i < 6; i++) {
        n = snprintf(p, left, ".%02X", hvcc[6 + i]);
        p += n;
        left -= n;

        if (hvcc[6 + i] != 0) {
            last = p;
        }
    }

    *last = '\0';

    return VOD_OK;
}


static int
vod_codec_descriptor(const u_char **pos, const u_char *end, uint32_t *tag,
    const u_char **data, size_t *len)
{
    size_t          n;
    uint32_t        i;
    const u_char   *p;

    p = *pos;

    if (p >= end) {
        return VOD_BAD_DATA;
    }

    *tag = *p++;
    n = 0;

    for (i = 0; i < 4; i++) {
        if (p >= end) {
            return VOD_BAD_DATA;
        }

        n = (n << 7) | (*p & 0x7f);

        if ((*p++ & 0x80) == 0) {
            break;
        }
    }

    if (i == 4 || n > (size_t) (end - p)) {
        return VOD_BAD_DATA;
    }

    *data = p;
    *len = n;
    *pos = p + n;

    return VOD_OK;
}


int
vod_codec_esds(const u_char *esds, size_t len, uint32_t *oti,
    const u_char **asc, size_t *asc_len)
{
    size_t          n;
    u_char          flags;
    uint32_t        tag;
    const u_char   *p, *end, *data;

    if (len < 4) {
        return VOD_BAD_DATA;
    }

    /* ES_Descriptor */

    p = esds + 4;
    end = esds + len;

    if (vod_codec_descriptor(&p, end, &tag, &data, &n) != VOD_OK
        || tag != 0x03 || n < 3)
    {
        return VOD_BAD_DATA;
    }

    p = data;
    end = data + n;

    flags = p[2];
    p += 3;

    /* each optional field checked against what is left before it is
     * skipped: a length from the file never moves p past end */
    if (flags & 0x80) {
        if (end - p < 2) {
            return VOD_BAD_DATA;
        }

        p += 2;
    }

    if (flags & 0x40) {
        if (p >= end || (size_t) (end - p) < 1 + (size_t) *p) {
            return VOD_BAD_DATA;
        }

        p += 1 + *p;
    }

    if (flags & 0x20) {
        if (end - p < 2) {
            return VOD_BAD_DATA;
        }

        p += 2;
    }

    /* DecoderConfigDescriptor */

    for ( ;; ) {
        if (vod_codec_descriptor(&p, end, &tag, &data, &n) != VOD_OK) {
            return VOD_BAD_DATA;
        }

        if (tag == 0x04) {
            break;
        }
    }

    if (n < 13) {
        return VOD_BAD_DATA;
    }

    *oti = data[0];

    p = data + 13;
    end = data + n;

    /* DecoderSpecificInfo */

    for ( ;; ) {
        if (vod_codec_descriptor(&p, end, &tag, &data, &n) != VOD_OK) {
            return VOD_BAD_DATA;
        }

        if (tag == 0x05) {
            break;
        }
    }

    if (n < 2) {
        return VOD_BAD_DATA;
    }

    *asc = data;
    *asc_len = n;

    return VOD_OK;
}


int
vod_codec_aac_config(const u_char *asc, size_t len, vod_aac_config_t *cfg)
{
    uint32_t    aot, index, rate, channels, ext;
    vod_bits_t  br;

    br.pos = asc;
    br.end = asc + len;
    br.bit = 0;
    br.error = 0;

    aot = vod_bits_read(&br, 5);
    if (aot == 31) {
        aot = 32 + vod_bits_read(&br, 6);
    }

    index = vod_bits_read(&br, 4);
    rate = (index == 0xf) ? vod_bits_read(&br, 24)
                          : (index < 13 ? vod_aac_rates[index] : 0);

    channels = vod_bits_read(&br, 4);

    if (br.error || aot == 0 || (index >= 13 && index != 0xf)) {
        return VOD_BAD_DATA;
    }

    if (aot == 5 || aot == 29) {
        /* explicit SBR (HE-AAC) / PS: the output rate is the extension's */
        index = vod_bits_read(&br, 4);
        ext = (index == 0xf) ? vod_bits_read(&br, 24)
                             : (index < 13 ? vod_aac_rates[index] : 0);

        if (!br.error && ext != 0) {
            rate = ext;
        }
    }

    cfg->object_type = aot;
    cfg->sample_rate = rate;
    cfg->channels = (channels == 7) ? 8 : (channels < 7 ? channels : 0);

    return VOD_OK;
}


void
vod_codec_aac(uint32_t object_type, char *str)
{
    snprintf(str, VOD_CODEC_STR_LEN, "mp4a.40.%u", object_type);
}
