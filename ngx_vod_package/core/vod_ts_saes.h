/*
 * vod_ts_saes.h: HLS SAMPLE-AES for MPEG-TS ("MPEG-2 Stream Encryption
 * Format for HTTP Live Streaming", Apple): the protected blocks of H.264
 * slice NAL units and of AAC, AC-3 and E-AC-3 frames, AES-128-CBC with
 * the CBC chain restarting at each block.
 */

#ifndef _VOD_TS_SAES_H_INCLUDED_
#define _VOD_TS_SAES_H_INCLUDED_


#include "vod_core.h"


typedef struct {
    u_char                key[16];
    u_char                iv[16];
} vod_ts_saes_t;


/* Room vod_ts_saes_nal() may need for a NAL unit of len bytes: the
 * emulation prevention bytes it puts back over encrypted bytes, at most
 * one for every two bytes. */
#define vod_ts_saes_nal_bound(len)  ((len) + (len) / 2 + 1)

/* One NAL unit as stored (emulation prevention applied) to out, in
 * vod_ts_saes_nal_bound(len) bytes; tmp holds len bytes.  A slice (type 1
 * or 5) longer than 48 bytes once unescaped is encrypted: its first 32
 * bytes clear, then one 16-byte block of every ten encrypted while more
 * than 16 bytes remain, and its emulation prevention redone over the
 * result.  Any other NAL unit is copied.  Returns the bytes written, 0 on
 * a cipher failure. */
size_t vod_ts_saes_nal(const vod_ts_saes_t *saes, const u_char *in,
    size_t len, u_char *out, u_char *tmp);

/* One raw AAC frame (no ADTS header) encrypted in place: its first 16
 * bytes clear, then every whole 16-byte block, the remainder clear.
 * VOD_OK or VOD_ERROR on a cipher failure. */
int vod_ts_saes_aac(const vod_ts_saes_t *saes, u_char *frame, size_t len);

/* One AC-3 or E-AC-3 sample encrypted in place, each syncframe in it as
 * an AAC frame is (Apple's format, 2.3: a protected block is a
 * syncframe).  An AC-3 sample is one syncframe (ETSI TS 102 366 F.2); an
 * E-AC-3 one may hold several (independent and dependent substreams),
 * each sized by its frmsiz; bytes that do not start a whole E-AC-3
 * syncframe are one block to the sample's end, so nothing is left clear
 * that a well-formed sample would have encrypted.  VOD_OK or VOD_ERROR
 * on a cipher failure. */
int vod_ts_saes_dolby(const vod_ts_saes_t *saes, u_char *sample,
    size_t len);


#endif /* _VOD_TS_SAES_H_INCLUDED_ */
