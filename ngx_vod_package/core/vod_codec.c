/*
 * vod_codec.c: decoder configuration records and RFC 6381 codec strings.
 */

#include <stdio.h>

#include "vod_core.h"
#include "vod_codec.h"
#include "vod_bits.h"


static int vod_codec_descriptor(const u_char **pos, const u_char *end,
    uint32_t *tag, const u_char **data, size_t *len);


static const uint32_t  vod_aac_rates[13] = {
    96000, 88200, 64000, 48000, 44100, 32000, 24000, 22050, 16000, 12000,
    11025, 8000, 7350
};


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

    /* DecoderSpecificInfo: none for MP3, say, whose object type the
     * caller looks at first */

    *asc = NULL;
    *asc_len = 0;

    for ( ;; ) {
        if (p == end) {
            return VOD_OK;
        }

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

    vod_bits_init(&br, asc, len);

    aot = vod_bits_u(&br, 5);
    if (aot == 31) {
        aot = 32 + vod_bits_u(&br, 6);
    }

    index = vod_bits_u(&br, 4);
    rate = (index == 0xf) ? vod_bits_u(&br, 24)
                          : (index < 13 ? vod_aac_rates[index] : 0);

    channels = vod_bits_u(&br, 4);

    if (br.error || aot == 0 || (index >= 13 && index != 0xf)) {
        return VOD_BAD_DATA;
    }

    if (aot == 5 || aot == 29) {
        /* explicit SBR (HE-AAC) / PS: the output rate is the extension's */
        index = vod_bits_u(&br, 4);
        ext = (index == 0xf) ? vod_bits_u(&br, 24)
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


/*
 * AC-3 and E-AC-3.  acmod (TS 102 366 Table 4.3) gives the main channels,
 * lfeon the LFE; the channel map is the 16-bit one of Dolby's DASH scheme:
 * L C R Ls Rs Lc/Rc Lrs/Rrs Cs Ts Lsd/Rsd Lw/Rw Vhl/Vhr Vhc Lts/Rts LFE2
 * LFE from the top bit down (a pair is one bit).  A surround channel of
 * 2/1 and 3/1 is Cs.
 */

static const uint16_t  vod_ac3_acmod_map[8] = {
    0xa000, 0x4000, 0xa000, 0xe000, 0xa100, 0xe100, 0xb800, 0xf800
};

static const u_char  vod_ac3_acmod_channels[8] = { 2, 1, 2, 3, 3, 4, 4, 5 };

static const uint32_t  vod_ac3_rates[4] = { 48000, 44100, 32000, 0 };


int
vod_codec_ac3(const u_char *dac3, size_t len, vod_dolby_config_t *cfg)
{
    uint32_t    fscod, acmod, lfeon;
    vod_bits_t  br;

    vod_bits_init(&br, dac3, len);

    fscod = vod_bits_u(&br, 2);
    (void) vod_bits_u(&br, 5 + 3);               /* bsid, bsmod */
    acmod = vod_bits_u(&br, 3);
    lfeon = vod_bits_u(&br, 1);

    if (br.error) {
        return VOD_BAD_DATA;
    }

    cfg->sample_rate = vod_ac3_rates[fscod];
    cfg->channels = vod_ac3_acmod_channels[acmod] + lfeon;
    cfg->chan_map = vod_ac3_acmod_map[acmod] | lfeon;
    cfg->joc = 0;

    return VOD_OK;
}


int
vod_codec_eac3(const u_char *dec3, size_t len, vod_dolby_config_t *cfg)
{
    uint32_t    subs, i, j, v, fscod, acmod, lfeon, deps, loc, channels;
    uint32_t    map;
    vod_bits_t  br;

    vod_bits_init(&br, dec3, len);

    (void) vod_bits_u(&br, 13);                  /* data_rate */
    subs = vod_bits_u(&br, 3) + 1;               /* num_ind_sub + 1 */

    channels = 0;
    map = 0;
    fscod = 0;

    for (i = 0; i < subs; i++) {
        v = vod_bits_u(&br, 2);
        fscod = (i == 0) ? v : fscod;
        (void) vod_bits_u(&br, 5 + 1 + 1 + 3);    /* bsid, reserved, asvc,
                                                     bsmod */
        acmod = vod_bits_u(&br, 3);
        lfeon = vod_bits_u(&br, 1);
        (void) vod_bits_u(&br, 3);
        deps = vod_bits_u(&br, 4);
        loc = 0;

        if (deps > 0) {
            loc = vod_bits_u(&br, 9);

        } else {
            (void) vod_bits_u(&br, 1);
        }

        if (i != 0) {
            /* a further independent substream is another program */
            continue;
        }

        channels = vod_ac3_acmod_channels[acmod] + lfeon;
        map = vod_ac3_acmod_map[acmod] | lfeon;

        /* chan_loc (Table F.6.1): bits 0-7 the pairs and singles of the
         * map's bits 10-3, bit 8 LFE2 (the map's bit 1) */

        for (j = 0; j < 9; j++) {
            if ((loc & (1U << j)) == 0) {
                continue;
            }

            if (j == 8) {
                map |= 0x0002;
                channels++;
                continue;
            }

            map |= 1U << (10 - j);
            channels += (j == 2 || j == 3 || j == 7) ? 1 : 2;
        }
    }

    if (br.error) {
        return VOD_BAD_DATA;
    }

    cfg->sample_rate = vod_ac3_rates[fscod];
    cfg->channels = channels;
    cfg->chan_map = map;
    cfg->joc = 0;

    /* the extension: 7 reserved bits, flag_ec3_extension_type_a and
     * complexity_index_type_a (TS 102 366 F.6, since V1.4.1) */

    if (br.bit != 0) {
        br.pos++;
        br.bit = 0;
    }

    if (br.end - br.pos >= 2 && (br.pos[0] & 0x01)) {
        cfg->joc = br.pos[1] != 0 ? br.pos[1] : 16;
    }

    return VOD_OK;
}


int
vod_codec_dolby(const vod_track_info_t *track, vod_dolby_config_t *cfg)
{
    if (track->dec_config == NULL) {
        return VOD_NOT_FOUND;
    }

    if (track->codec == VOD_CODEC_AC3) {
        return vod_codec_ac3(track->dec_config, track->dec_config_len, cfg);
    }

    if (track->codec == VOD_CODEC_EAC3) {
        return vod_codec_eac3(track->dec_config, track->dec_config_len, cfg);
    }

    return VOD_NOT_FOUND;
}


uint32_t
vod_codec_joc(const vod_track_info_t *track)
{
    vod_dolby_config_t  cfg;

    if (track->codec != VOD_CODEC_EAC3
        || vod_codec_dolby(track, &cfg) != VOD_OK)
    {
        return 0;
    }

    return cfg.joc;
}


int
vod_codec_av1(const u_char *av1c, size_t len, const vod_colour_t *c,
    char *str)
{
    int       n;
    u_char    b1, b2;
    uint32_t  depth, cp, tc, mc;

    /* marker 1, version 1 */
    if (len < 4 || av1c[0] != 0x81) {
        return VOD_BAD_DATA;
    }

    b1 = av1c[1];
    b2 = av1c[2];

    /* seq_profile, seq_level_idx_0; seq_tier_0, high_bitdepth, twelve_bit,
     * monochrome, chroma_subsampling_x, _y, chroma_sample_position */

    depth = (b2 & 0x40) ? ((b2 & 0x20) ? 12 : 10) : 8;

    n = snprintf(str, VOD_CODEC_STR_LEN, "av01.%u.%02u%c.%02u",
                 b1 >> 5, b1 & 0x1f, (b2 & 0x80) ? 'H' : 'M', depth);

    /* the colour as signalled; unspecified counts as the default */

    cp = (c->primaries == VOD_CICP_UNSPECIFIED) ? 1 : c->primaries;
    tc = (c->transfer == VOD_CICP_UNSPECIFIED) ? 1 : c->transfer;
    mc = (c->matrix == VOD_CICP_UNSPECIFIED) ? 1 : c->matrix;

    if (cp == 1 && tc == 1 && mc == 1 && c->full_range == 0
        && (b2 & 0x1f) == 0x0c)
    {
        return VOD_OK;
    }

    (void) snprintf(str + n, VOD_CODEC_STR_LEN - n,
                    ".%u.%u%u%u.%02u.%02u.%02u.%u",
                    (b2 >> 4) & 1, (b2 >> 3) & 1, (b2 >> 2) & 1, b2 & 3,
                    cp & 0xff, tc & 0xff, mc & 0xff, c->full_range & 1);

    return VOD_OK;
}


int
vod_codec_key_alone(uint32_t codec, uint32_t nal_length_size,
    const u_char *data, size_t len)
{
    size_t      i, n;
    u_char      rbsp[16];
    uint32_t    type, slice_type;
    vod_bits_t  br;

    if ((codec != VOD_CODEC_AVC && codec != VOD_CODEC_HEVC)
        || (nal_length_size != 1 && nal_length_size != 2
            && nal_length_size != 4))
    {
        return -1;
    }

    while (len > nal_length_size) {
        for (n = 0, i = 0; i < nal_length_size; i++) {
            n = (n << 8) | data[i];
        }

        data += nal_length_size;
        len -= nal_length_size;

        if (n == 0) {
            return -1;
        }

        /* a unit the read cut short: its header is all that counts */
        if (n > len) {
            n = len;
        }

        if (codec == VOD_CODEC_HEVC) {
            /* VCL units are types 0 to 31, IRAP ones 16 to 23 */
            type = (data[0] >> 1) & 0x3f;

            if (type <= 31) {
                return (type >= 16 && type <= 23);
            }

        } else {
            type = data[0] & 0x1f;

            if (type == 5) {
                return 1;
            }

            if (type == 1 || type == 2) {
                /* a slice, or its partition A: first_mb_in_slice, then
                 * slice_type (7.3.3) */
                vod_bits_init(&br, rbsp,
                              vod_bits_rbsp(data + 1, n - 1, rbsp,
                                            sizeof(rbsp)));
                vod_bits_skip_ue(&br, 1);
                slice_type = vod_bits_ue(&br);

                if (br.error) {
                    return -1;
                }

                return (slice_type % 5 == 2 || slice_type % 5 == 4);
            }
        }

        data += n;
        len -= n;
    }

    return -1;
}
