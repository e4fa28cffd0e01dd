/*
 * vod_protect_sig.c: how the manifests tell players what protects the
 * segments (vod_protect.h): DASH ContentProtection elements (ISO/IEC
 * 23009-1 5.8.4.1, 23001-7 11.2, DASH-IF IOP 7) and HLS EXT-X-KEY tags
 * (RFC 8216 4.3.2.4).
 */

#include "vod_protect.h"
#include "vod_text.h"


static u_char *vod_protect_hls_method(u_char *p, const vod_protect_t *prot);
static u_char *vod_protect_hex(u_char *p, const u_char *s, size_t len);
static u_char *vod_protect_uuid(u_char *p, const u_char *id);


u_char *
vod_protect_base64(u_char *p, const u_char *s, size_t len)
{
    uint32_t       v;
    static const char  table[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    while (len >= 3) {
        v = ((uint32_t) s[0] << 16) | ((uint32_t) s[1] << 8) | s[2];
        *p++ = table[(v >> 18) & 0x3f];
        *p++ = table[(v >> 12) & 0x3f];
        *p++ = table[(v >> 6) & 0x3f];
        *p++ = table[v & 0x3f];
        s += 3;
        len -= 3;
    }

    if (len > 0) {
        v = (uint32_t) s[0] << 16;

        if (len == 2) {
            v |= (uint32_t) s[1] << 8;
        }

        *p++ = table[(v >> 18) & 0x3f];
        *p++ = table[(v >> 12) & 0x3f];
        *p++ = (len == 2) ? table[(v >> 6) & 0x3f] : '=';
        *p++ = '=';
    }

    return p;
}


static u_char *
vod_protect_hex(u_char *p, const u_char *s, size_t len)
{
    size_t             i;
    static const char  hex[] = "0123456789abcdef";

    for (i = 0; i < len; i++) {
        *p++ = hex[s[i] >> 4];
        *p++ = hex[s[i] & 0xf];
    }

    return p;
}


/* 8-4-4-4-12 hex digits */
static u_char *
vod_protect_uuid(u_char *p, const u_char *id)
{
    p = vod_protect_hex(p, id, 4);
    *p++ = '-';
    p = vod_protect_hex(p, id + 4, 2);
    *p++ = '-';
    p = vod_protect_hex(p, id + 6, 2);
    *p++ = '-';
    p = vod_protect_hex(p, id + 8, 2);
    *p++ = '-';
    return vod_protect_hex(p, id + 10, 6);
}


size_t
vod_protect_sig_len(const vod_protect_t *prot)
{
    return 6 * 1024 + 2 * (4 * ((prot->widevine.len + 2) / 3)
                           + 4 * ((prot->playready.len + 2) / 3));
}


u_char *
vod_protect_dash(u_char *p, const vod_protect_t *prot, int clearkey)
{
    u_char  pssh[VOD_PROTECT_MAX_PSSH];
    size_t  n;

    p = vod_text_cpy(p, "      <ContentProtection schemeIdUri=\"urn:mpeg:"
                        "dash:mp4protection:2011\" value=\"");
    if (prot->scheme == VOD_CENC_SCHEME_CBCS) {
        p = vod_text_cpy(p, "cbcs");

    } else {
        p = vod_text_cpy(p, "cenc");
    }

    p = vod_text_cpy(p, "\" cenc:default_KID=\"");
    p = vod_protect_uuid(p, prot->kid);
    p = vod_text_cpy(p, "\"/>\n");

    /* ClearKey before the common system: Shaka Player takes the first
     * ContentProtection ClearKey can use for its licence URL.  The URL is
     * relative (the origin does not know the title's public URL behind
     * an edge): "laurl", which dash.js reads (against the page's URL,
     * not the MPD's), not "Laurl", which Shaka Player would prefer to
     * its configured licence server and resolve to "http:clearkey" */
    if (clearkey) {
        p = vod_text_cpy(p, "      <ContentProtection schemeIdUri=\"urn:uuid:"
                            "e2719d58-a985-b3c9-781a-b030af78d30e\" "
                            "value=\"ClearKey1.0\"><dashif:laurl>clearkey"
                            "</dashif:laurl></ContentProtection>\n");
    }

    if (prot->systems & VOD_PROTECT_COMMON) {
        n = vod_protect_pssh(prot, VOD_PROTECT_COMMON, pssh);
        p = vod_text_cpy(p, "      <ContentProtection schemeIdUri=\"urn:uuid:"
                            "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b\">"
                            "<cenc:pssh>");
        p = vod_protect_base64(p, pssh, n);
        p = vod_text_cpy(p, "</cenc:pssh></ContentProtection>\n");
    }

    if (prot->systems & VOD_PROTECT_WIDEVINE) {
        n = vod_protect_pssh(prot, VOD_PROTECT_WIDEVINE, pssh);
        p = vod_text_cpy(p, "      <ContentProtection schemeIdUri=\"urn:uuid:"
                            "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed\" "
                            "value=\"Widevine\"><cenc:pssh>");
        p = vod_protect_base64(p, pssh, n);
        p = vod_text_cpy(p, "</cenc:pssh></ContentProtection>\n");
    }

    /* PlayReady clients of DASH read the PRO from mspr:pro, others from
     * the pssh: both */
    if (prot->systems & VOD_PROTECT_PLAYREADY) {
        n = vod_protect_pssh(prot, VOD_PROTECT_PLAYREADY, pssh);
        p = vod_text_cpy(p, "      <ContentProtection schemeIdUri=\"urn:uuid:"
                            "9a04f079-9840-4286-ab92-e65be0885f95\" "
                            "value=\"MSPR 2.0\"><cenc:pssh>");
        p = vod_protect_base64(p, pssh, n);
        p = vod_text_cpy(p, "</cenc:pssh><mspr:pro>");
        n = vod_protect_playready_pro(prot, pssh);
        p = vod_protect_base64(p, pssh, n);
        p = vod_text_cpy(p, "</mspr:pro></ContentProtection>\n");
    }

    return p;
}


/* "#EXT-X-KEY:METHOD=" and the scheme's method */
static u_char *
vod_protect_hls_method(u_char *p, const vod_protect_t *prot)
{
    if (prot->scheme == VOD_CENC_SCHEME_CBCS) {
        return vod_text_cpy(p, "#EXT-X-KEY:METHOD=SAMPLE-AES");
    }

    return vod_text_cpy(p, "#EXT-X-KEY:METHOD=SAMPLE-AES-CTR");
}


u_char *
vod_protect_hls(u_char *p, const vod_protect_t *prot, int clearkey)
{
    u_char       pssh[VOD_PROTECT_MAX_PSSH];
    size_t       n;
    uint32_t     i, system;
    const char  *format;

    for (i = 0; i < 2; i++) {
        system = (i == 0) ? VOD_PROTECT_COMMON : VOD_PROTECT_WIDEVINE;

        if (!(prot->systems & system)) {
            continue;
        }

        format = (i == 0) ? "1077efec-c0b2-4d02-ace3-3c1e52e2fb4b"
                          : "edef8ba9-79d6-4ace-a3c8-27dcd51d21ed";

        n = vod_protect_pssh(prot, system, pssh);

        p = vod_protect_hls_method(p, prot);
        p = vod_text_cpy(p, ",URI=\"data:text/plain;base64,");
        p = vod_protect_base64(p, pssh, n);
        p = vod_text_cpy(p, "\",KEYID=0x");
        p = vod_protect_hex(p, prot->kid, 16);
        p = vod_text_cpy(p, ",KEYFORMAT=\"urn:uuid:");
        p = vod_text_cpymem(p, format, strlen(format));
        p = vod_text_cpy(p, "\",KEYFORMATVERSIONS=\"1\"\n");
    }

    /* W3C ClearKey as hls.js reads it: the KID as the URI's data, the
     * licence from the player's configuration */
    if (clearkey) {
        p = vod_protect_hls_method(p, prot);
        p = vod_text_cpy(p, ",URI=\"data:text/plain;base64,");
        p = vod_protect_base64(p, prot->kid, 16);
        p = vod_text_cpy(p, "\",KEYID=0x");
        p = vod_protect_hex(p, prot->kid, 16);
        p = vod_text_cpy(p, ",KEYFORMAT=\"org.w3.clearkey\","
                            "KEYFORMATVERSIONS=\"1\"\n");
    }

    /* PlayReady's header object as Microsoft documents it for HLS */
    if (prot->systems & VOD_PROTECT_PLAYREADY) {
        n = vod_protect_playready_pro(prot, pssh);
        p = vod_protect_hls_method(p, prot);
        p = vod_text_cpy(p, ",URI=\"data:text/plain;charset=UTF-16;base64,");
        p = vod_protect_base64(p, pssh, n);
        p = vod_text_cpy(p, "\",KEYID=0x");
        p = vod_protect_hex(p, prot->kid, 16);
        p = vod_text_cpy(p, ",KEYFORMAT=\"com.microsoft.playready\","
                            "KEYFORMATVERSIONS=\"1\"\n");
    }

    /* FairPlay ('cbcs' alone, which the configuration ensures): the
     * skd: URI the application's key request carries to its key
     * server, here the KID in hex, as Apple's examples name the asset */
    if (prot->systems & VOD_PROTECT_FAIRPLAY) {
        p = vod_text_cpy(p, "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"skd://");
        p = vod_protect_hex(p, prot->kid, 16);
        p = vod_text_cpy(p, "\",KEYFORMAT=\"com.apple.streamingkeydelivery\","
                            "KEYFORMATVERSIONS=\"1\"\n");
    }

    return p;
}


/*
 * AES-128 has no IV attribute: the media sequence number is the IV (RFC
 * 8216 5.2).  SAMPLE-AES takes the same key, and one IV for the whole
 * title, the KID: a client that reads a segment's last PES only once the
 * next segment has begun (its length is open, FFmpeg does so) would
 * decrypt it with the next sequence number.  The KID is public already.
 */
u_char *
vod_protect_hls_aes128(u_char *p, const vod_protect_t *saes)
{
    if (saes != NULL) {
        p = vod_text_cpy(p, "#EXT-X-KEY:METHOD=SAMPLE-AES,URI=\"aes.key\","
                            "IV=0x");
        p = vod_protect_hex(p, saes->kid, 16);
        return vod_text_cpy(p, ",KEYFORMAT=\"identity\"\n");
    }

    return vod_text_cpy(p, "#EXT-X-KEY:METHOD=AES-128,URI=\"aes.key\"\n");
}
