/*
 * vod_manifest.h: HLS playlists (RFC 8216) and the DASH MPD
 * (ISO/IEC 23009-1, static, isoff-live profile, SegmentTimeline).
 * All URIs inside are relative names from vod_url.h.
 */

#ifndef _VOD_MANIFEST_H_INCLUDED_
#define _VOD_MANIFEST_H_INCLUDED_


#include "vod_core.h"
#include "vod_media.h"
#include "vod_title.h"


/* Multivariant playlist.  ts == 0: CMAF, EXT-X-VERSION 7, one
 * EXT-X-MEDIA TYPE=AUDIO per audio rendition of vod_title_pick_audio()
 * (as vod_title_audio_apply() left it: CHARACTERISTICS when title.json
 * gives them), in one group per codec string ("aud", "aud2", ...), every
 * video variant once per group; an audio-only title with one rendition is
 * one variant naming its playlist.  ts == 1: MPEG-TS, EXT-X-VERSION 3:
 * when vod_hls_ts_demux() says so, the same as CMAF with the audiots- and
 * videots- playlists (H.264 variants; audio groups of AAC, AC-3 and
 * E-AC-3), else variants with their own muxed audio (each file's first
 * audio track), listing only renditions vod_ts_supported() accepts. */
int vod_hls_master(vod_env_t *env, const vod_title_t *title, int ts,
    u_char **out, size_t *len);

/* Whether VIDEO-RANGE goes on every variant (and I-frame stream): a title
 * with an HDR rendition (SDR ones say SDR); a title all SDR leaves it
 * out, SDR being its meaning when absent (RFC 8216bis 4.4.6.2). */
unsigned vod_hls_video_ranges(const vod_title_t *title);

/* Whether master-ts.m3u8 lists audio renditions of their own and
 * video-only variants: several audio renditions, any excluded by
 * title.json, or one the muxed variants do not carry (AC-3, E-AC-3). */
int vod_hls_ts_demux(const vod_title_t *title);

/* Media playlist (VOD, EXT-X-ENDLIST, EXT-X-TARGETDURATION, exact EXTINF)
 * of one stream of one rendition (stream: VOD_STREAM_* of vod_url.h); an
 * audio playlist is of rendition->audio, its names those of
 * rendition->audio_id (audio-{id}-N.m4s or audio{T}-{id}-N.m4s; for
 * VOD_STREAM_AUDIO_TS audiots-{id}-N.ts, audiots{T}-{id}-N.ts).  MPEG-TS
 * playlists (ts-, videots-, audiots-) are EXT-X-VERSION 3, without
 * EXT-X-MAP; one whose track MPEG-TS cannot carry is VOD_NOT_FOUND. */
int vod_hls_media(vod_env_t *env, const vod_title_t *title,
    const vod_rendition_t *rendition, uint32_t stream, u_char **out,
    size_t *len);

/* A media playlist's key lines (title->protect set), at most
 * vod_protect_sig_len() bytes: MPEG-TS's AES-128 or SAMPLE-AES, CMAF's
 * AES-128 or one per system of Common Encryption; the I-frame playlists
 * carry their rendition's (vod_iframe.h). */
u_char *vod_hls_keys(u_char *p, const vod_title_t *title, uint32_t stream);

/* Static MPD: a video AdaptationSet with one Representation per rendition
 * and audio AdaptationSets of the audio renditions, one per language and
 * codec string (a rendition whose channel count the set has already gets
 * one of its own, as does one whose title.json name or characteristics
 * the set's others lack), with Role main (the default's) or alternate
 * when there is more than one; title.json's name as the set's Label, its
 * audio description as Accessibility and Role "description". */
int vod_dash_mpd(vod_env_t *env, const vod_title_t *title, u_char **out,
    size_t *len);

/* One past the largest AdaptationSet id of an MPD of vod_dash_mpd() (and
 * of the sets added to it since): the next set's id. */
uint64_t vod_dash_next_set(const u_char *in, size_t len);

/* An HDR video AdaptationSet's colour (DASH-IF IOP, HDR10 and HLG10):
 * the track's transfer characteristics as an EssentialProperty, so a
 * player that does not know them leaves the set alone, its primaries and
 * matrix as SupplementalProperty; at most VOD_DASH_COLOUR_LEN bytes. */
u_char *vod_dash_colour(u_char *p, const vod_track_info_t *track);

#define VOD_DASH_PROP_LEN                                                    \
    (sizeof("      <SupplementalProperty schemeIdUri=\"urn:mpeg:mpegB:cicp:"  \
            "TransferCharacteristics\" value=\"\"/>\n") + VOD_TEXT_UINT_LEN)
#define VOD_DASH_COLOUR_LEN   (3 * VOD_DASH_PROP_LEN)

/* The id vod_dash_mpd() gives the video AdaptationSet of a dynamic range
 * (VOD_RANGE_*) of title. */
uint32_t vod_dash_video_set_id(const vod_title_t *title, uint32_t range);

/* Where an MPD of vod_dash_mpd() has its "  </Period>" line, before which
 * sets are added; NULL when it has none. */
const u_char *vod_dash_period_end(const u_char *in, size_t len);

/* tracks.json: {"video":[...],"audio":[...],"subtitles":[...]}, one entry
 * per video rendition left by vod_title_limit() (id, format, codecs,
 * width, height, frame_rate, bitrate, peak_bitrate, video_range) and
 * per audio rendition of vod_title_pick_audio() (id: its playlist's name
 * without ".m3u8", format, codecs, language, name, characteristics when
 * title.json gives them, channels, bitrate, default) and per subtitle
 * rendition of subs, NULL when none (id: "sub-{id}", format "webvtt",
 * language, name, forced, sdh, default), in manifest order. */
int vod_tracks_json(vod_env_t *env, const vod_title_t *title,
    const vod_subs_t *subs, u_char **out, size_t *len);

/* Content Steering (HLS Content Steering specification, RFC 8216bis
 * 4.4.6.6): a copy of a multivariant playlist written by vod_hls_master()
 * with #EXT-X-CONTENT-STEERING:SERVER-URI="uri",PATHWAY-ID="pathway"
 * after its header and PATHWAY-ID="pathway" on every EXT-X-STREAM-INF
 * and EXT-X-I-FRAME-STREAM-INF.
 * uri must not hold '"', CR or LF (VOD_BAD_REQUEST otherwise). */
int vod_hls_steering(vod_env_t *env, const u_char *in, size_t len,
    const vod_str_t *uri, const vod_str_t *pathway, u_char **out,
    size_t *out_len);

/* The same for an MPD of vod_dash_mpd() (DASH-IF Content Steering): a
 * BaseURL serviceLocation="pathway" of "./" and a ContentSteering element
 * naming uri (XML-escaped) before the Period. */
int vod_dash_steering(vod_env_t *env, const u_char *in, size_t len,
    const vod_str_t *uri, const vod_str_t *pathway, u_char **out,
    size_t *out_len);


#endif /* _VOD_MANIFEST_H_INCLUDED_ */
