/*
 * vod_images.c: the tile sheets as the manifests' image track
 * (vod_images.h).  Rendition ids are [A-Za-z0-9_.-] (vod_title_id_valid()):
 * they go into XML attributes and playlist URIs as they are.
 */

#include "vod_images.h"
#include "vod_manifest.h"
#include "vod_text.h"




uint64_t
vod_images_bandwidth(const vod_images_t *im)
{
    uint64_t  bits, ms;

    bits = (uint64_t) im->tiles.width * im->tiles.cols
           * im->tiles.height * im->tiles.rows;
    ms = (uint64_t) im->tiles.cols * im->tiles.rows * im->tiles.interval;

    bits = bits * 1000 / ms;

    return (bits == 0) ? 1 : bits;
}


uint64_t
vod_images_sheets(const vod_images_t *im)
{
    uint64_t  tiles, per;

    tiles = vod_tiles_count(&im->tiles, im->duration);
    per = (uint64_t) im->tiles.cols * im->tiles.rows;

    return tiles / per + (tiles % per != 0);
}


int
vod_images_dash(vod_env_t *env, const u_char *in, size_t len,
    const vod_images_t *im, u_char **out, size_t *out_len)
{
    u_char        *buf, *p;
    size_t         n;
    const u_char  *period;

    period = vod_dash_period_end(in, len);
    if (period == NULL) {
        return VOD_ERROR;
    }

    n = len
        + sizeof("    <AdaptationSet id=\"\" contentType=\"image\" "
                 "mimeType=\"image/jpeg\">\n"
                 "      <SegmentTemplate timescale=\"1000\" "
                 "media=\"tiles--$Number$.jpg\" duration=\"\" "
                 "startNumber=\"1\"/>\n"
                 "      <Representation id=\"tiles-\" bandwidth=\"\" "
                 "width=\"\" height=\"\">\n"
                 "        <EssentialProperty schemeIdUri=\"http://dashif.org"
                 "/thumbnail_tile\" value=\"x\"/>\n"
                 "      </Representation>\n"
                 "    </AdaptationSet>\n")
        + 2 * im->id.len + 7 * VOD_TEXT_UINT_LEN;

    buf = env->alloc(env, n);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpymem(buf, in, (size_t) (period - in));

    p = vod_text_cpy(p, "    <AdaptationSet id=\"");
    p = vod_text_uint(p, vod_dash_next_set(in, len));
    p = vod_text_cpy(p, "\" contentType=\"image\" mimeType=\"image/jpeg\">\n"
                        "      <SegmentTemplate timescale=\"1000\" "
                        "media=\"tiles-");
    p = vod_text_cpymem(p, im->id.data, im->id.len);
    p = vod_text_cpy(p, "-$Number$.jpg\" duration=\"");
    p = vod_text_uint(p, (uint64_t) im->tiles.cols * im->tiles.rows
                         * im->tiles.interval);
    p = vod_text_cpy(p, "\" startNumber=\"1\"/>\n"
                        "      <Representation id=\"tiles-");
    p = vod_text_cpymem(p, im->id.data, im->id.len);
    p = vod_text_cpy(p, "\" bandwidth=\"");
    p = vod_text_uint(p, vod_images_bandwidth(im));
    p = vod_text_cpy(p, "\" width=\"");
    p = vod_text_uint(p, (uint64_t) im->tiles.width * im->tiles.cols);
    p = vod_text_cpy(p, "\" height=\"");
    p = vod_text_uint(p, (uint64_t) im->tiles.height * im->tiles.rows);
    p = vod_text_cpy(p, "\">\n        <EssentialProperty schemeIdUri=\""
                        "http://dashif.org/thumbnail_tile\" value=\"");
    p = vod_text_uint(p, im->tiles.cols);
    *p++ = 'x';
    p = vod_text_uint(p, im->tiles.rows);
    p = vod_text_cpy(p, "\"/>\n      </Representation>\n"
                        "    </AdaptationSet>\n");

    p = vod_text_cpymem(p, period, (size_t) (in + len - period));

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


int
vod_images_hls_master(vod_env_t *env, const u_char *in, size_t len,
    const vod_images_t *im, u_char **out, size_t *out_len)
{
    u_char  *buf, *p;
    size_t   n;

    n = len
        + sizeof("#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=,RESOLUTION=x,"
                 "CODECS=\"jpeg\",URI=\"images-.m3u8\"\n")
        + im->id.len + 3 * VOD_TEXT_UINT_LEN;

    buf = env->alloc(env, n);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpymem(buf, in, len);

    p = vod_text_cpy(p, "#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=");
    p = vod_text_uint(p, vod_images_bandwidth(im));
    p = vod_text_cpy(p, ",RESOLUTION=");
    p = vod_text_uint(p, im->tiles.width);
    *p++ = 'x';
    p = vod_text_uint(p, im->tiles.height);
    p = vod_text_cpy(p, ",CODECS=\"jpeg\",URI=\"images-");
    p = vod_text_cpymem(p, im->id.data, im->id.len);
    p = vod_text_cpy(p, ".m3u8\"\n");

    *out = buf;
    *out_len = (size_t) (p - buf);

    return VOD_OK;
}


int
vod_images_playlist(vod_env_t *env, const vod_images_t *im, u_char **out,
    size_t *len)
{
    u_char    *buf, *p;
    size_t     size;
    uint64_t   tiles, sheets, k, per, start, end, target;

    tiles = vod_tiles_count(&im->tiles, im->duration);

    if (tiles == 0) {
        return VOD_NOT_FOUND;
    }

    if (tiles > VOD_TILES_MAX_CUES) {
        env->log(env, "an image playlist of %llu tiles is over %u",
                 (unsigned long long) tiles, VOD_TILES_MAX_CUES);
        return VOD_BAD_DATA;
    }

    per = (uint64_t) im->tiles.cols * im->tiles.rows;
    sheets = vod_images_sheets(im);

    /* a sheet's whole time, rounded up to seconds; at least 1 */
    target = (per * im->tiles.interval + 999) / 1000;

    size = sizeof("#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:\n"
                  "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-PLAYLIST-TYPE:VOD\n"
                  "#EXT-X-IMAGES-ONLY\n#EXT-X-ENDLIST\n")
           + VOD_TEXT_UINT_LEN
           + sheets * (sizeof("#EXT-X-TILES:RESOLUTION=x,LAYOUT=x,"
                              "DURATION=\n#EXTINF:,\ntiles--.jpg\n")
                       + im->id.len + 5 * VOD_TEXT_UINT_LEN
                       + 2 * VOD_TEXT_MS_LEN);

    buf = env->alloc(env, size);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    p = vod_text_cpy(buf, "#EXTM3U\n#EXT-X-VERSION:7\n"
                          "#EXT-X-TARGETDURATION:");
    p = vod_text_uint(p, target);
    p = vod_text_cpy(p, "\n#EXT-X-MEDIA-SEQUENCE:0\n"
                        "#EXT-X-PLAYLIST-TYPE:VOD\n#EXT-X-IMAGES-ONLY\n");

    for (k = 0; k < sheets; k++) {
        start = k * per * im->tiles.interval;
        end = start + per * im->tiles.interval;

        /* the last sheet ends with the video */
        if (end > im->duration) {
            end = im->duration;
        }

        p = vod_text_cpy(p, "#EXT-X-TILES:RESOLUTION=");
        p = vod_text_uint(p, im->tiles.width);
        *p++ = 'x';
        p = vod_text_uint(p, im->tiles.height);
        p = vod_text_cpy(p, ",LAYOUT=");
        p = vod_text_uint(p, im->tiles.cols);
        *p++ = 'x';
        p = vod_text_uint(p, im->tiles.rows);
        p = vod_text_cpy(p, ",DURATION=");
        p = vod_text_ms(p, im->tiles.interval);
        p = vod_text_cpy(p, "\n#EXTINF:");
        p = vod_text_ms(p, end - start);
        p = vod_text_cpy(p, ",\ntiles-");
        p = vod_text_cpymem(p, im->id.data, im->id.len);
        *p++ = '-';
        p = vod_text_uint(p, k + 1);
        p = vod_text_cpy(p, ".jpg\n");
    }

    p = vod_text_cpy(p, "#EXT-X-ENDLIST\n");

    *out = buf;
    *len = (size_t) (p - buf);

    return VOD_OK;
}
