/*
 * vod_protect.h: a track's CMAF output under Common Encryption: the init
 * segment with its protected sample entry and pssh boxes, and a media
 * segment whose samples are read, encrypted and framed in memory.  The
 * cipher and the boxes are vod_cenc.h's; this file decides what goes
 * where, and the IVs.
 *
 * IVs ('cenc'): one key serves every track of a title (one KID in the
 * manifests), so no two samples of the title may share an IV.  A
 * segment's first IV is the first 8 bytes of
 *   SHA-256(title IV (16 bytes) || stream (8 bytes) || segment (4 bytes))
 * with stream naming the rendition file and track (the caller's hash) and
 * segment the 0-based number, both big-endian; its samples count up from
 * there.  The bytes are the same for every request of the segment, so
 * caches and ETags hold.
 */

#ifndef _VOD_PROTECT_H_INCLUDED_
#define _VOD_PROTECT_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_cenc.h"


/* the systems whose pssh boxes the init segments carry (bit 0 is
 * nginx's NGX_CONF_BITMASK_SET) */
#define VOD_PROTECT_COMMON      0x02    /* the common system, W3C ClearKey */
#define VOD_PROTECT_WIDEVINE    0x04
#define VOD_PROTECT_PLAYREADY   0x08
#define VOD_PROTECT_FAIRPLAY    0x10    /* HLS cbcs alone: no pssh */

/* vod_protect_t.scheme besides the Common Encryption ones: HLS AES-128 of
 * whole CMAF segments (their init segments clear), with the HLS key */
#define VOD_PROTECT_SCHEME_AES128  1

/* a system's pssh data from a key service, at most (vod_keys.h) */
#define VOD_PROTECT_MAX_DATA    3072

/* a pssh box of one system: its largest size (the data, the box's
 * header, one KID) */
#define VOD_PROTECT_MAX_PSSH    (VOD_PROTECT_MAX_DATA + 128)


typedef struct vod_protect_s {
    uint32_t      scheme;             /* VOD_CENC_SCHEME_* */
    uint32_t      systems;            /* VOD_PROTECT_* */
    u_char        kid[16];
    u_char        key[VOD_CENC_KEY_SIZE];
    u_char        iv[VOD_CENC_IV_SIZE];
    u_char        hls_key[VOD_CENC_KEY_SIZE];     /* MPEG-TS, AES-128 */
    /* the Data of Widevine's and PlayReady's pssh boxes (PlayReady's:
     * the PlayReady Object) as a key service gave them, at most
     * VOD_PROTECT_MAX_DATA bytes; len 0: built from the KID */
    vod_str_t     widevine;
    vod_str_t     playready;
    uint32_t      clear_lead;         /* ms: segments that start before it
                                         are clear (vod_protect_clear()) */
} vod_protect_t;


/* 1 when the track's codec can be protected (AVC, HEVC, AAC, AC-3,
 * E-AC-3) */
int vod_protect_supported(const vod_track_info_t *track);

/* 1 when a track's segment index (0-based) is in a clear lead of
 * lead_ms: it starts before that time.  A lead past the title's end makes
 * every segment clear. */
int vod_protect_clear(uint32_t lead_ms, const vod_track_info_t *track,
    uint32_t index);

/* The index of the first segment of track past a clear lead of lead_ms:
 * where the HLS key lines go (segment_count: none). */
uint32_t vod_protect_first_encrypted(uint32_t lead_ms,
    const vod_track_info_t *track);

/* The init segment of a protected track. */
int vod_protect_init(vod_env_t *env, const vod_track_info_t *track,
    const vod_protect_t *prot, u_char **out, size_t *len);

/* A protected media segment, whole: its samples read with env->read (a
 * read that fails fails the call), encrypted, after the moof; under
 * VOD_PROTECT_SCHEME_AES128 the clear segment, then all of it encrypted
 * as vod_protect_aes128() does, the sequence the segment's own (its index;
 * an I-frame segment's number in its playlist).  A
 * segment of the clear lead has its samples clear: with 'cenc' or 'cbcs'
 * in a 'seig' group of clear samples (vod_fmp4_clear_lead_header()), with
 * AES-128 as an unprotected track's. */
int vod_protect_segment(vod_env_t *env, const vod_segment_t *segment,
    const vod_protect_t *prot, uint64_t stream, u_char **out, size_t *len);

/* What a segment of one sample of track adds to the sample on the wire
 * as vod_protect_segment() serves it (prot NULL: clear), for the
 * bandwidths of the I-frame playlists (vod_iframe.h): the header of one
 * in a clear lead (its seig group under Common Encryption) and of one
 * past it (saiz, saio and senc for one subsample, the pssh boxes past a
 * clear lead), the first segment past it, and whether HLS AES-128 pads
 * the whole of one past it to 16 bytes.  Exact for a sample with one
 * subsample (a frame of one slice); each further one adds 6 bytes. */
typedef struct {
    size_t        lead;
    size_t        rest;
    uint32_t      first;
    unsigned      pad:1;
} vod_protect_wire_t;

int vod_protect_one_sample(vod_env_t *env, const vod_track_info_t *track,
    const vod_protect_t *prot, vod_protect_wire_t *wire);

/* The bits per second protection adds to a CMAF track's segments, in
 * vod_fmp4_bitrate()'s terms (per sample at the track's rate, per
 * segment as many times a second as its shortest segment fits; prot
 * NULL: none): under Common Encryption
 * each sample's senc entry (its IV; for video a subsample count, one
 * subsample, which a frame of one slice has, and saiz's byte for when
 * entries differ), the senc, saiz and saio headers (or a clear lead's
 * seig group) and, past a clear lead, the pssh boxes; under HLS AES-128
 * a padding block. */
uint64_t vod_protect_bitrate(const vod_track_info_t *track,
    const vod_protect_t *prot);

/* HLS AES-128 (RFC 8216 4.3.2.4): a whole MPEG-TS segment of len bytes
 * encrypted in place with AES-128-CBC and PKCS7 padding under hls_key,
 * the IV the segment's media sequence number (sequence, big-endian in 16
 * bytes), as a playlist without IV attributes says.  buf has room for
 * len + 16 bytes (the padding); *out_len is the result's length. */
int vod_protect_aes128(vod_env_t *env, const vod_protect_t *prot,
    uint32_t sequence, u_char *buf, size_t len, size_t *out_len);

/* One system's pssh box (VOD_PROTECT_COMMON, _WIDEVINE or _PLAYREADY)
 * into buf (VOD_PROTECT_MAX_PSSH bytes), version 1 with the KID, its
 * Data the service's (prot->widevine, ->playready) or built from the
 * KID; returns its size.  The manifests
 * carry the same boxes as the init segments. */
size_t vod_protect_pssh(const vod_protect_t *prot, uint32_t system,
    u_char *buf);

/* The title's PlayReady Object (vod_protect_playready.c) into buf
 * (VOD_PROTECT_MAX_PSSH - 64 bytes): the service's, else one built from
 * the KID; returns its size. */
size_t vod_protect_playready_pro(const vod_protect_t *prot, u_char *buf);

/* base64 (RFC 4648 4, padded) of len bytes of s at p; returns the end */
u_char *vod_protect_base64(u_char *p, const u_char *s, size_t len);


/*
 * Signalling (vod_protect_sig.c), each writer with the bound of what it
 * writes:
 *
 * DASH, in every AdaptationSet: mp4protection with the scheme and
 * cenc:default_KID; the common system's and Widevine's with cenc:pssh,
 * PlayReady's with cenc:pssh and mspr:pro (as configured); W3C ClearKey
 * with dashif:laurl "clearkey" (the title's licence URL, relative),
 * before them, when clearkey is set.  The MPD element then declares the
 * cenc, dashif and mspr namespaces (VOD_PROTECT_DASH_NS).
 *
 * HLS, in a CMAF media playlist before EXT-X-MAP: one EXT-X-KEY per
 * system, METHOD=SAMPLE-AES-CTR ('cenc') or SAMPLE-AES ('cbcs'), the
 * system's pssh box as a data: URI (a service's Widevine data in it),
 * KEYID and KEYFORMAT its urn:uuid, and with clearkey one of KEYFORMAT
 * "org.w3.clearkey" whose data: URI is the KID; PlayReady's with its
 * PlayReady Object as a UTF-16 data: URI; FairPlay's (cbcs) with an
 * skd: URI of the KID in hex; in an MPEG-TS one, METHOD=AES-128 with
 * the title's key URL "aes.key" (relative) and no IV (the media
 * sequence numbers).
 */

#define VOD_PROTECT_DASH_NS                                                  \
    " xmlns:cenc=\"urn:mpeg:cenc:2013\""                                      \
    " xmlns:dashif=\"https://dashif.org/CPS\""                                \
    " xmlns:mspr=\"urn:microsoft:playready\""

/* What vod_protect_dash() or vod_protect_hls() writes, at most: each
 * built pssh (under 1 KB) in base64, PlayReady's PRO too, the fixed
 * text, and a service's data twice in base64 on top of the box it
 * replaces */
size_t vod_protect_sig_len(const vod_protect_t *prot);

u_char *vod_protect_dash(u_char *p, const vod_protect_t *prot,
    int clearkey);
u_char *vod_protect_hls(u_char *p, const vod_protect_t *prot,
    int clearkey);
/* The MPEG-TS EXT-X-KEY: AES-128, or with saes SAMPLE-AES whose IV is
 * the title's KID */
u_char *vod_protect_hls_aes128(u_char *p, const vod_protect_t *saes);


#endif /* _VOD_PROTECT_H_INCLUDED_ */
