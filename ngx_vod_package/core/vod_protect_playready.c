/*
 * vod_protect_playready.c: the PlayReady Object (PRO) of a title, the
 * data of PlayReady's pssh box and of the MPD's mspr:pro, as Microsoft's
 * PlayReady Header Specification lays it out: a little-endian length,
 * one record (type 1, the PlayReady Header) whose value is the
 * WRMHEADER XML in UTF-16LE.
 *
 * 'cenc' (AES-CTR) takes header version 4.0.0.0, which every PlayReady
 * client reads; 'cbcs' (AES-CBC) needs 4.3.0.0, the first to name
 * ALGID "AESCBC".  The KID is the tenc KID as a GUID, whose first three
 * fields are little-endian in PlayReady's base64.  There is no LA_URL:
 * the playback API tells players the licence server (playback_api_drm),
 * and a URL in the segments would outlive a change of it.  CHECKSUM is
 * optional and would need the content key in every manifest.  A key
 * service may give the whole object instead (vod_keys.h), with both.
 */

#include "vod_protect.h"
#include "vod_text.h"


#define VOD_PLAYREADY_XMLNS                                                  \
    "<WRMHEADER xmlns=\"http://schemas.microsoft.com/DRM/2007/03/"          \
    "PlayReadyHeader\" version=\""


size_t
vod_protect_playready_pro(const vod_protect_t *prot, u_char *buf)
{
    u_char   xml[VOD_PROTECT_MAX_PSSH / 2], *p, *last, guid[16];
    size_t   len, i;

    /* the service's, with its LA_URL, checksum or attributes */
    if (prot->playready.len > 0
        && prot->playready.len <= VOD_PROTECT_MAX_DATA)
    {
        memcpy(buf, prot->playready.data, prot->playready.len);
        return prot->playready.len;
    }

    /* the GUID's byte order */
    guid[0] = prot->kid[3];
    guid[1] = prot->kid[2];
    guid[2] = prot->kid[1];
    guid[3] = prot->kid[0];
    guid[4] = prot->kid[5];
    guid[5] = prot->kid[4];
    guid[6] = prot->kid[7];
    guid[7] = prot->kid[6];
    memcpy(guid + 8, prot->kid + 8, 8);

    p = vod_text_cpy(xml, VOD_PLAYREADY_XMLNS);

    if (prot->scheme == VOD_CENC_SCHEME_CBCS) {
        p = vod_text_cpy(p, "4.3.0.0\"><DATA><PROTECTINFO><KIDS>"
                            "<KID ALGID=\"AESCBC\" VALUE=\"");
        p = vod_protect_base64(p, guid, 16);
        p = vod_text_cpy(p, "\"></KID></KIDS></PROTECTINFO></DATA>"
                            "</WRMHEADER>");

    } else {
        p = vod_text_cpy(p, "4.0.0.0\"><DATA><PROTECTINFO><KEYLEN>16"
                            "</KEYLEN><ALGID>AESCTR</ALGID></PROTECTINFO>"
                            "<KID>");
        p = vod_protect_base64(p, guid, 16);
        p = vod_text_cpy(p, "</KID></DATA></WRMHEADER>");
    }

    len = p - xml;

    /* the object: length (4), record count (2), the record's type (2)
     * and length (2), then the UTF-16LE text */
    last = buf + 10;

    for (i = 0; i < len; i++) {
        *last++ = xml[i];
        *last++ = 0;
    }

    len = last - buf;
    buf[0] = (u_char) len;
    buf[1] = (u_char) (len >> 8);
    buf[2] = 0;
    buf[3] = 0;
    buf[4] = 1;
    buf[5] = 0;
    buf[6] = 1;
    buf[7] = 0;
    buf[8] = (u_char) (len - 10);
    buf[9] = (u_char) ((len - 10) >> 8);

    return len;
}
