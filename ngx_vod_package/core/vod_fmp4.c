/*
 * vod_fmp4.c: CMAF (ISO/IEC 14496-12 fragmented MP4, ISO/IEC 23000-19)
 * init segments and media segment headers for one track.
 */

#include "vod_fmp4.h"
#include "vod_orient.h"


/* trun flags, ISO/IEC 14496-12 8.8.8 */
#define VOD_TRUN_DATA_OFFSET     0x000001
#define VOD_TRUN_DURATION        0x000100
#define VOD_TRUN_SIZE            0x000200
#define VOD_TRUN_FLAGS           0x000400
#define VOD_TRUN_CTS             0x000800

/* tfhd flags, 8.8.7 */
#define VOD_TFHD_DEFAULT_FLAGS   0x000020
#define VOD_TFHD_BASE_IS_MOOF    0x020000

/* sample flags, 8.8.3.1: sample_depends_on and sample_is_non_sync_sample */
#define VOD_SAMPLE_SYNC          0x02000000
#define VOD_SAMPLE_NON_SYNC      0x01010000

#define VOD_FTYP_SIZE            (8 + 8 + 4 * 4)
#define VOD_MVHD_SIZE            108
#define VOD_TKHD_SIZE            92
#define VOD_MDHD_SIZE            32
#define VOD_HDLR_SIZE            (8 + 4 + 20 + sizeof(VOD_HDLR_NAME))
#define VOD_VMHD_SIZE            20
#define VOD_SMHD_SIZE            16
#define VOD_DINF_SIZE            36
#define VOD_EMPTY_TABLES_SIZE    (16 + 16 + 20 + 16)
#define VOD_MVEX_SIZE            40

#define VOD_STYP_SIZE            (8 + 8 + 2 * 4)
#define VOD_MFHD_SIZE            16
#define VOD_TFDT_SIZE            20

#define VOD_HDLR_NAME            "vodedge"


static u_char *vod_fmp4_box_start(u_char *p, const char *type);
static void vod_fmp4_box_end(u_char *start, u_char *p);
static uint32_t vod_fmp4_language(const char *lang);
static int vod_fmp4_header(vod_env_t *env, const vod_segment_t *segment,
    const vod_cenc_aux_t *aux, int clear, const u_char *pssh,
    size_t pssh_len, u_char **out, size_t *len);


static u_char *
vod_fmp4_box_start(u_char *p, const char *type)
{
    vod_w32(p, 0);
    vod_wtag(p, type);

    return p;
}


static void
vod_fmp4_box_end(u_char *start, u_char *p)
{
    u_char    *s;
    uint32_t   size;

    s = start;
    size = p - start;
    vod_w32(s, size);
}


static uint32_t
vod_fmp4_language(const char *lang)
{
    int       i;
    uint32_t  code;

    code = 0;

    for (i = 0; i < 3; i++) {
        if (lang[i] < 'a' || lang[i] > 'z') {
            /* "und" */
            return (('u' - 0x60) << 10) | (('n' - 0x60) << 5) | ('d' - 0x60);
        }

        code = (code << 5) | (uint32_t) (lang[i] - 0x60);
    }

    return code;
}


int
vod_fmp4_init(vod_env_t *env, const vod_track_info_t *track,
    u_char **out, size_t *len)
{
    return vod_fmp4_protected_init(env, track, NULL, out, len);
}


int
vod_fmp4_protected_init(vod_env_t *env, const vod_track_info_t *track,
    const vod_fmp4_protect_t *protect, u_char **out, size_t *len)
{
    int            video;
    size_t         size, entry_len, pssh_len;
    u_char        *buf, *p, *moov, *trak, *mdia, *minf, *dinf, *dref, *stbl;
    u_char        *stsd;
    const u_char  *entry;

    if (track->type != VOD_TRACK_VIDEO && track->type != VOD_TRACK_AUDIO) {
        env->log(env, "fmp4: unknown track type %u", track->type);
        return VOD_UNSUPPORTED;
    }

    if (track->sample_entry == NULL
        || track->sample_entry_len < 8
        || track->sample_entry_len > VOD_MAX_SAMPLE_ENTRY
        || vod_r32(track->sample_entry) != track->sample_entry_len)
    {
        env->log(env, "fmp4: bad sample entry of track %u", track->track_id);
        return VOD_BAD_DATA;
    }

    if (track->timescale == 0) {
        env->log(env, "fmp4: zero timescale in track %u", track->track_id);
        return VOD_BAD_DATA;
    }

    video = (track->type == VOD_TRACK_VIDEO);

    entry = track->sample_entry;
    entry_len = track->sample_entry_len;
    pssh_len = 0;

    if (protect != NULL) {
        entry = protect->entry;
        entry_len = protect->entry_len;
        pssh_len = protect->pssh_len;
    }

    size = VOD_FTYP_SIZE
           + 8 + VOD_MVHD_SIZE
           + 8 + VOD_TKHD_SIZE
           + 8 + VOD_MDHD_SIZE + VOD_HDLR_SIZE
           + 8 + (video ? VOD_VMHD_SIZE : VOD_SMHD_SIZE) + VOD_DINF_SIZE
           + 8 + 16 + entry_len + VOD_EMPTY_TABLES_SIZE
           + VOD_MVEX_SIZE + pssh_len;

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = buf;

    /* ftyp */
    vod_w32(p, VOD_FTYP_SIZE);
    vod_wtag(p, "ftyp");
    vod_wtag(p, "iso6");
    vod_w32(p, 0);
    vod_wtag(p, "iso6");
    vod_wtag(p, "cmfc");
    vod_wtag(p, "dash");
    vod_wtag(p, "mp41");

    moov = p;
    p = vod_fmp4_box_start(p, "moov");

    /* mvhd, version 0 */
    vod_w32(p, VOD_MVHD_SIZE);
    vod_wtag(p, "mvhd");
    vod_w32(p, 0);
    vod_w32(p, 0);                            /* creation_time */
    vod_w32(p, 0);                            /* modification_time */
    vod_w32(p, track->timescale);
    vod_w32(p, 0);                            /* duration */
    vod_w32(p, 0x00010000);                   /* rate 1.0 */
    vod_w16(p, 0x0100);                       /* volume 1.0 */
    memset(p, 0, 10);
    p += 10;
    p = vod_orient_write_matrix(p, 0, 0, 0);  /* identity */
    memset(p, 0, 24);
    p += 24;
    vod_w32(p, track->track_id + 1);          /* next_track_ID */

    trak = p;
    p = vod_fmp4_box_start(p, "trak");

    /* tkhd, version 0, track_enabled | track_in_movie */
    vod_w32(p, VOD_TKHD_SIZE);
    vod_wtag(p, "tkhd");
    vod_w32(p, 0x000003);
    vod_w32(p, 0);
    vod_w32(p, 0);
    vod_w32(p, track->track_id);
    vod_w32(p, 0);
    vod_w32(p, 0);                            /* duration */
    vod_w32(p, 0);
    vod_w32(p, 0);
    vod_w16(p, 0);                            /* layer */
    vod_w16(p, 0);                            /* alternate_group */
    vod_w16(p, video ? 0 : 0x0100);           /* volume */
    vod_w16(p, 0);

    /* the video turned as its file shows it (a phone's portrait video):
     * players read it from the init segment as from a file */
    p = vod_orient_write_matrix(p, video ? track->orient : 0, track->width,
                                track->height);
    vod_w32(p, video ? (track->width & 0xffff) << 16 : 0);
    vod_w32(p, video ? (track->height & 0xffff) << 16 : 0);

    mdia = p;
    p = vod_fmp4_box_start(p, "mdia");

    /* mdhd, version 0 */
    vod_w32(p, VOD_MDHD_SIZE);
    vod_wtag(p, "mdhd");
    vod_w32(p, 0);
    vod_w32(p, 0);
    vod_w32(p, 0);
    vod_w32(p, track->timescale);
    vod_w32(p, 0);
    vod_w16(p, vod_fmp4_language(track->lang));
    vod_w16(p, 0);

    /* hdlr */
    vod_w32(p, VOD_HDLR_SIZE);
    vod_wtag(p, "hdlr");
    vod_w32(p, 0);
    vod_w32(p, 0);                            /* pre_defined */
    vod_wtag(p, video ? "vide" : "soun");
    memset(p, 0, 12);
    p += 12;
    memcpy(p, VOD_HDLR_NAME, sizeof(VOD_HDLR_NAME));
    p += sizeof(VOD_HDLR_NAME);

    minf = p;
    p = vod_fmp4_box_start(p, "minf");

    if (video) {
        vod_w32(p, VOD_VMHD_SIZE);
        vod_wtag(p, "vmhd");
        vod_w32(p, 0x000001);
        vod_w16(p, 0);                        /* graphicsmode */
        vod_w16(p, 0);                        /* opcolor */
        vod_w16(p, 0);
        vod_w16(p, 0);

    } else {
        vod_w32(p, VOD_SMHD_SIZE);
        vod_wtag(p, "smhd");
        vod_w32(p, 0);
        vod_w16(p, 0);                        /* balance */
        vod_w16(p, 0);
    }

    dinf = p;
    p = vod_fmp4_box_start(p, "dinf");
    dref = p;
    p = vod_fmp4_box_start(p, "dref");
    vod_w32(p, 0);
    vod_w32(p, 1);                            /* entry_count */
    vod_w32(p, 12);
    vod_wtag(p, "url ");
    vod_w32(p, 0x000001);                     /* self-contained */
    vod_fmp4_box_end(dref, p);
    vod_fmp4_box_end(dinf, p);

    stbl = p;
    p = vod_fmp4_box_start(p, "stbl");

    stsd = p;
    p = vod_fmp4_box_start(p, "stsd");
    vod_w32(p, 0);
    vod_w32(p, 1);                            /* entry_count */
    memcpy(p, entry, entry_len);
    p += entry_len;
    vod_fmp4_box_end(stsd, p);

    vod_w32(p, 16);
    vod_wtag(p, "stts");
    vod_w32(p, 0);
    vod_w32(p, 0);

    vod_w32(p, 16);
    vod_wtag(p, "stsc");
    vod_w32(p, 0);
    vod_w32(p, 0);

    vod_w32(p, 20);
    vod_wtag(p, "stsz");
    vod_w32(p, 0);
    vod_w32(p, 0);                            /* sample_size */
    vod_w32(p, 0);                            /* sample_count */

    vod_w32(p, 16);
    vod_wtag(p, "stco");
    vod_w32(p, 0);
    vod_w32(p, 0);

    vod_fmp4_box_end(stbl, p);
    vod_fmp4_box_end(minf, p);
    vod_fmp4_box_end(mdia, p);
    vod_fmp4_box_end(trak, p);

    /* mvex/trex */
    vod_w32(p, VOD_MVEX_SIZE);
    vod_wtag(p, "mvex");
    vod_w32(p, VOD_MVEX_SIZE - 8);
    vod_wtag(p, "trex");
    vod_w32(p, 0);
    vod_w32(p, track->track_id);
    vod_w32(p, 1);                            /* sample_description_index */
    vod_w32(p, 0);                            /* default_sample_duration */
    vod_w32(p, 0);                            /* default_sample_size */
    vod_w32(p, 0);                            /* default_sample_flags */

    if (pssh_len > 0) {
        memcpy(p, protect->pssh, pssh_len);
        p += pssh_len;
    }

    vod_fmp4_box_end(moov, p);

    if ((size_t) (p - buf) != size) {
        env->log(env, "fmp4: init size %zu, expected %zu",
                 (size_t) (p - buf), size);
        return VOD_ERROR;
    }

    *out = buf;
    *len = size;

    return VOD_OK;
}


int
vod_fmp4_segment_header(vod_env_t *env, const vod_segment_t *segment,
    u_char **out, size_t *len)
{
    return vod_fmp4_protected_header(env, segment, NULL, NULL, 0, out, len);
}


int
vod_fmp4_protected_header(vod_env_t *env, const vod_segment_t *segment,
    const vod_cenc_aux_t *aux, const u_char *pssh, size_t pssh_len,
    u_char **out, size_t *len)
{
    return vod_fmp4_header(env, segment, aux, 0, pssh, pssh_len, out, len);
}


int
vod_fmp4_clear_lead_header(vod_env_t *env, const vod_segment_t *segment,
    u_char **out, size_t *len)
{
    return vod_fmp4_header(env, segment, NULL, 1, NULL, 0, out, len);
}


/* aux: encrypted samples (saiz, saio, senc); clear: the clear group of a
 * protected track's clear-lead fragment; neither: a clear track's; pssh:
 * boxes for the moof, after the traf */

static int
vod_fmp4_header(vod_env_t *env, const vod_segment_t *segment,
    const vod_cenc_aux_t *aux, int clear, const u_char *pssh,
    size_t pssh_len, u_char **out, size_t *len)
{
    int                  video;
    size_t               size, sample_size, tfhd_size, trun_size, mdat_hdr;
    size_t               data_offset, aux_size;
    u_char              *buf, *p, *moof, *traf, *saio;
    uint32_t             i, flags;
    uint64_t             data_size;
    const vod_sample_t  *s;

    if (segment->track == NULL) {
        env->log(env, "fmp4: segment without a track");
        return VOD_ERROR;
    }

    if (segment->count > VOD_MAX_SEGMENT_SAMPLES
        || (segment->count > 0 && segment->samples == NULL))
    {
        env->log(env, "fmp4: segment %u has %u samples",
                 segment->index + 1, segment->count);
        return VOD_BAD_DATA;
    }

    video = (segment->track->type == VOD_TRACK_VIDEO);

    /* every per-sample field but the composition offset is always sent;
     * audio sends it only when a sample needs it */
    flags = VOD_TRUN_DATA_OFFSET | VOD_TRUN_DURATION | VOD_TRUN_SIZE;

    if (video) {
        flags |= VOD_TRUN_FLAGS | VOD_TRUN_CTS;
    }

    data_size = 0;

    for (i = 0; i < segment->count; i++) {
        s = &segment->samples[i];

        if (s->size > VOD_MAX_SAMPLE_SIZE) {
            env->log(env, "fmp4: sample %u of segment %u is %u bytes",
                     i, segment->index + 1, s->size);
            return VOD_BAD_DATA;
        }

        data_size += s->size;

        if (s->pts_delay != 0) {
            flags |= VOD_TRUN_CTS;
        }
    }

    if (data_size != segment->data_size) {
        env->log(env, "fmp4: segment %u data size %llu, samples sum to %llu",
                 segment->index + 1, (unsigned long long) segment->data_size,
                 (unsigned long long) data_size);
        return VOD_ERROR;
    }

    sample_size = 8 + ((flags & VOD_TRUN_FLAGS) ? 4 : 0)
                  + ((flags & VOD_TRUN_CTS) ? 4 : 0);

    tfhd_size = video ? 16 : 20;
    trun_size = 20 + (size_t) segment->count * sample_size;

    /* a 64-bit largesize only when the 32-bit size cannot hold it */
    mdat_hdr = (data_size > 0xffffffffULL - 8) ? 16 : 8;

    /* Common Encryption: saiz, saio and senc follow the trun */
    aux_size = 0;

    if (aux != NULL) {
        if (aux->count != segment->count) {
            env->log(env, "fmp4: segment %u has %u samples, %u encrypted",
                     segment->index + 1, segment->count, aux->count);
            return VOD_ERROR;
        }

        aux_size = vod_cenc_saiz_size(aux) + vod_cenc_saio_size(aux)
                   + vod_cenc_senc_size(aux);
    }

    if (clear) {
        aux_size = VOD_CENC_CLEAR_GROUP_SIZE;
    }

    size = VOD_STYP_SIZE
           + 8 + VOD_MFHD_SIZE
           + 8 + tfhd_size + VOD_TFDT_SIZE + trun_size + aux_size
           + pssh_len + mdat_hdr;

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = buf;

    /* styp */
    vod_w32(p, VOD_STYP_SIZE);
    vod_wtag(p, "styp");
    vod_wtag(p, "msdh");
    vod_w32(p, 0);
    vod_wtag(p, "msdh");
    vod_wtag(p, "cmfs");

    moof = p;
    p = vod_fmp4_box_start(p, "moof");

    /* mfhd */
    vod_w32(p, VOD_MFHD_SIZE);
    vod_wtag(p, "mfhd");
    vod_w32(p, 0);
    vod_w32(p, segment->index + 1);

    traf = p;
    p = vod_fmp4_box_start(p, "traf");

    /* tfhd: audio samples are all sync, so their flags are defaulted */
    vod_w32(p, tfhd_size);
    vod_wtag(p, "tfhd");

    if (video) {
        vod_w32(p, VOD_TFHD_BASE_IS_MOOF);
        vod_w32(p, segment->track->track_id);

    } else {
        vod_w32(p, VOD_TFHD_BASE_IS_MOOF | VOD_TFHD_DEFAULT_FLAGS);
        vod_w32(p, segment->track->track_id);
        vod_w32(p, VOD_SAMPLE_SYNC);
    }

    /* tfdt, version 1 */
    vod_w32(p, VOD_TFDT_SIZE);
    vod_wtag(p, "tfdt");
    vod_w32(p, 0x01000000);
    vod_w64(p, segment->start_dts);

    /* trun, version 1: signed composition offsets */
    vod_w32(p, trun_size);
    vod_wtag(p, "trun");
    vod_w32(p, 0x01000000 | flags);
    vod_w32(p, segment->count);
    data_offset = (p - moof) + 4 + trun_size - 20 + aux_size + pssh_len
                  + mdat_hdr;
    vod_w32(p, data_offset);

    for (i = 0; i < segment->count; i++) {
        s = &segment->samples[i];

        vod_w32(p, s->duration);
        vod_w32(p, s->size);

        if (flags & VOD_TRUN_FLAGS) {
            vod_w32(p, s->sync ? VOD_SAMPLE_SYNC : VOD_SAMPLE_NON_SYNC);
        }

        if (flags & VOD_TRUN_CTS) {
            vod_w32(p, (uint32_t) s->pts_delay);
        }
    }

    if (aux != NULL && aux_size > 0) {
        p = vod_cenc_write_saiz(p, aux);
        p = vod_cenc_write_saio(p, aux, &saio);
        vod_cenc_saio_set(saio, p - moof);
        p = vod_cenc_write_senc(p, aux);
    }

    if (clear) {
        p = vod_cenc_write_clear_group(p, segment->count);
    }

    vod_fmp4_box_end(traf, p);

    if (pssh_len > 0) {
        memcpy(p, pssh, pssh_len);
        p += pssh_len;
    }

    vod_fmp4_box_end(moof, p);

    /* mdat header; the data follows from vod_segment_ranges() */
    if (mdat_hdr == 16) {
        vod_w32(p, 1);
        vod_wtag(p, "mdat");
        vod_w64(p, data_size + 16);

    } else {
        vod_w32(p, data_size + 8);
        vod_wtag(p, "mdat");
    }

    if ((size_t) (p - buf) != size) {
        env->log(env, "fmp4: header size %zu, expected %zu",
                 (size_t) (p - buf), size);
        return VOD_ERROR;
    }

    *out = buf;
    *len = size;

    return VOD_OK;
}


int
vod_segment_ranges(vod_env_t *env, const vod_segment_t *segment,
    vod_range_t **ranges, uint32_t *count)
{
    uint32_t             i, n;
    vod_range_t         *r;
    const vod_sample_t  *s;

    if (segment->count > VOD_MAX_SEGMENT_SAMPLES
        || (segment->count > 0 && segment->samples == NULL))
    {
        env->log(env, "fmp4: segment %u has %u samples",
                 segment->index + 1, segment->count);
        return VOD_BAD_DATA;
    }

    r = env->alloc(env, sizeof(vod_range_t)
                        * (segment->count > 0 ? segment->count : 1));
    if (r == NULL) {
        return VOD_ERROR;
    }

    n = 0;

    for (i = 0; i < segment->count; i++) {
        s = &segment->samples[i];

        if (s->offset > UINT64_MAX - s->size) {
            env->log(env, "fmp4: sample %u of segment %u past 2^64",
                     i, segment->index + 1);
            return VOD_BAD_DATA;
        }

        if (s->size == 0) {
            continue;
        }

        if (n > 0 && r[n - 1].offset + r[n - 1].size == s->offset) {
            r[n - 1].size += s->size;
            continue;
        }

        r[n].offset = s->offset;
        r[n].size = s->size;
        n++;
    }

    *ranges = r;
    *count = n;

    return VOD_OK;
}


/*
 * Per segment about 150 bytes of boxes (styp, moof, mfhd, traf, tfhd, tfdt,
 * trun header, mdat header), counted as many times a second as the
 * track's shortest segment fits (vod_track_segments_per_second()); per
 * sample a trun entry of at most 16 bytes (audio too carries a
 * composition offset when an edit list shifts it).
 */

uint64_t
vod_fmp4_bitrate(const vod_track_info_t *track, uint64_t rate)
{
    uint64_t  per_second;

    if (track->type == VOD_TRACK_VIDEO) {
        per_second = (track->fps_den != 0)
                     ? ((uint64_t) track->fps_num + track->fps_den - 1)
                       / track->fps_den * 16
                     : 0;

    } else {
        per_second = ((uint64_t) track->sample_rate + 1023) / 1024 * 16;
    }

    return rate + (per_second + 150 * vod_track_segments_per_second(track))
                  * 8;
}
