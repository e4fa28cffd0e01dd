/*
 * vod_url.c: the virtual file names of a title (see vod_url.h).
 */

#include "vod_url.h"
#include "vod_title.h"


/* 2^31: the largest 1-based segment number accepted */
#define VOD_URL_MAX_SEGMENT  2147483648ULL


typedef struct {
    vod_str_t     prefix;
    uint32_t      stream;
} vod_url_prefix_t;


static int vod_url_suffix(const u_char *name, size_t len, const char *s,
    size_t slen);
static int vod_url_id(const u_char *p, size_t len, vod_url_t *url);
static int vod_url_decimal(const u_char *p, size_t len, uint64_t max,
    uint64_t *v);
static int vod_url_number(const u_char *p, size_t len, uint32_t *n);
static int vod_url_track(const u_char *p, size_t len, uint32_t *n);
static int vod_url_image(const u_char *p, size_t *len, vod_url_t *url);
static int vod_url_thumb(const u_char *p, size_t len, vod_url_t *url);
static int vod_url_tiles(const u_char *p, size_t len, vod_url_t *url);
static int vod_url_last_dash(const u_char *p, size_t len, size_t *dash);
static int vod_url_iframe(const u_char *p, size_t len, unsigned ts,
    vod_url_t *url);


static vod_url_prefix_t  vod_url_prefixes[] = {
    { vod_string("video-"), VOD_STREAM_VIDEO },
    { vod_string("audio-"), VOD_STREAM_AUDIO },
    { vod_string("ts-"),    VOD_STREAM_TS },
    { vod_string("sub-"),   VOD_STREAM_SUB },
    { vod_string("subts-"), VOD_STREAM_SUB_TS },
    { vod_string("videots-"), VOD_STREAM_VIDEO_TS },
    { vod_string("audiots-"), VOD_STREAM_AUDIO_TS }
};


int
vod_url_parse(const u_char *name, size_t len, vod_url_t *url)
{
    size_t             i, n, pre, t;
    unsigned           sub, ts;
    const u_char      *p, *dash;
    vod_url_prefix_t  *px;

    memset(url, 0, sizeof(vod_url_t));

    if (len == sizeof("master.m3u8") - 1
        && memcmp(name, "master.m3u8", len) == 0)
    {
        url->kind = VOD_URL_MASTER;
        return VOD_OK;
    }

    if (len == sizeof("master-ts.m3u8") - 1
        && memcmp(name, "master-ts.m3u8", len) == 0)
    {
        url->kind = VOD_URL_MASTER_TS;
        return VOD_OK;
    }

    if (len == sizeof("manifest.mpd") - 1
        && memcmp(name, "manifest.mpd", len) == 0)
    {
        url->kind = VOD_URL_MPD;
        return VOD_OK;
    }

    if (len == sizeof("tracks.json") - 1
        && memcmp(name, "tracks.json", len) == 0)
    {
        url->kind = VOD_URL_TRACKS;
        return VOD_OK;
    }

    if (len >= sizeof("thumb-") - 1
        && memcmp(name, "thumb-", sizeof("thumb-") - 1) == 0)
    {
        return vod_url_thumb(name + sizeof("thumb-") - 1,
                             len - (sizeof("thumb-") - 1), url);
    }

    if (len >= sizeof("tiles-") - 1
        && memcmp(name, "tiles-", sizeof("tiles-") - 1) == 0)
    {
        return vod_url_tiles(name + sizeof("tiles-") - 1,
                             len - (sizeof("tiles-") - 1), url);
    }

    if (len >= sizeof("images-") - 1
        && memcmp(name, "images-", sizeof("images-") - 1) == 0)
    {
        if (!vod_url_suffix(name, len, ".m3u8", 5)) {
            return VOD_NOT_FOUND;
        }

        url->kind = VOD_URL_IMAGES;
        url->stream = VOD_STREAM_VIDEO;

        return vod_url_id(name + sizeof("images-") - 1,
                          len - (sizeof("images-") - 1) - 5, url);
    }

    if (len >= sizeof("iframe-") - 1
        && memcmp(name, "iframe-", sizeof("iframe-") - 1) == 0)
    {
        return vod_url_iframe(name + sizeof("iframe-") - 1,
                              len - (sizeof("iframe-") - 1), 0, url);
    }

    if (len >= sizeof("iframets-") - 1
        && memcmp(name, "iframets-", sizeof("iframets-") - 1) == 0)
    {
        return vod_url_iframe(name + sizeof("iframets-") - 1,
                              len - (sizeof("iframets-") - 1), 1, url);
    }

    px = NULL;

    for (i = 0; i < sizeof(vod_url_prefixes) / sizeof(vod_url_prefixes[0]);
         i++)
    {
        if (len >= vod_url_prefixes[i].prefix.len
            && memcmp(name, vod_url_prefixes[i].prefix.data,
                      vod_url_prefixes[i].prefix.len) == 0)
        {
            px = &vod_url_prefixes[i];
            break;
        }
    }

    pre = 0;

    if (px == NULL) {
        /* audio{T}-, audiots{T}-: a file's audio track by its tkhd
         * track_ID */

        t = (len >= 7 && memcmp(name, "audiots", 7) == 0) ? 7 : 5;

        if (len < t + 2 || memcmp(name, "audio", 5) != 0
            || name[t] < '0' || name[t] > '9')
        {
            return VOD_NOT_FOUND;
        }

        for (pre = t; pre < len && name[pre] != '-'; pre++) {
            /* void */
        }

        if (pre == len
            || vod_url_track(name + t, pre - t, &url->track_id) != VOD_OK)
        {
            return VOD_BAD_REQUEST;
        }

        px = (t == 7) ? &vod_url_prefixes[6] : &vod_url_prefixes[1];
        pre++;
    }

    url->stream = px->stream;

    if (pre == 0) {
        pre = px->prefix.len;
    }

    p = name + pre;
    n = len - pre;

    if (vod_url_suffix(p, n, ".m3u8", 5)) {
        url->kind = VOD_URL_PLAYLIST;
        return vod_url_id(p, n - 5, url);
    }

    sub = (px->stream == VOD_STREAM_SUB || px->stream == VOD_STREAM_SUB_TS);
    ts = vod_url_stream_ts(px->stream);

    if (vod_url_suffix(p, n, ".vtt", 4)) {
        if (!sub) {
            return VOD_NOT_FOUND;
        }

        if (vod_url_suffix(p, n, "-full.vtt", 9)) {
            if (px->stream != VOD_STREAM_SUB) {
                return VOD_BAD_REQUEST;
            }

            url->kind = VOD_URL_FULL;
            return vod_url_id(p, n - 9, url);
        }

        n -= 4;

    } else if (sub) {
        /* subtitles: .m3u8 above, .vtt here, nothing else */
        return VOD_BAD_REQUEST;

    } else if (vod_url_suffix(p, n, "-init.mp4", 9)) {
        if (ts) {
            return VOD_BAD_REQUEST;
        }

        url->kind = VOD_URL_INIT;
        return vod_url_id(p, n - 9, url);

    } else if (vod_url_suffix(p, n, ".m4s", 4)) {
        if (ts) {
            return VOD_BAD_REQUEST;
        }

        n -= 4;

    } else if (vod_url_suffix(p, n, ".ts", 3)) {
        if (!ts) {
            return VOD_BAD_REQUEST;
        }

        n -= 3;

    } else {
        return VOD_NOT_FOUND;
    }

    url->kind = VOD_URL_SEGMENT;

    /* the last '-' separates the number: ids may contain '-' */

    dash = NULL;

    for (i = n; i > 0; i--) {
        if (p[i - 1] == '-') {
            dash = &p[i - 1];
            break;
        }
    }

    if (dash == NULL) {
        return VOD_BAD_REQUEST;
    }

    if (vod_url_number(dash + 1, (size_t) (p + n - dash - 1), &url->segment)
        != VOD_OK)
    {
        return VOD_BAD_REQUEST;
    }

    return vod_url_id(p, (size_t) (dash - p), url);
}


static int
vod_url_suffix(const u_char *name, size_t len, const char *s, size_t slen)
{
    return len >= slen && memcmp(name + len - slen, s, slen) == 0;
}


static int
vod_url_id(const u_char *p, size_t len, vod_url_t *url)
{
    if (!vod_title_id_valid(p, len)) {
        return VOD_BAD_REQUEST;
    }

    url->id.data = (u_char *) p;
    url->id.len = len;

    return VOD_OK;
}


/* decimal, 1 to max, no leading zeros */

static int
vod_url_decimal(const u_char *p, size_t len, uint64_t max, uint64_t *v)
{
    size_t  i;

    if (len == 0 || len > 10 || p[0] == '0') {
        return VOD_BAD_REQUEST;
    }

    *v = 0;

    for (i = 0; i < len; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return VOD_BAD_REQUEST;
        }

        *v = *v * 10 + (uint64_t) (p[i] - '0');
    }

    return (*v <= max) ? VOD_OK : VOD_BAD_REQUEST;
}


/* a segment number, 1 to 2^31; stores the 0-based number */

static int
vod_url_number(const u_char *p, size_t len, uint32_t *n)
{
    uint64_t  v;

    if (vod_url_decimal(p, len, VOD_URL_MAX_SEGMENT, &v) != VOD_OK) {
        return VOD_BAD_REQUEST;
    }

    *n = (uint32_t) (v - 1);

    return VOD_OK;
}


/* a track_ID, 1 to 2^32 - 1 */

static int
vod_url_track(const u_char *p, size_t len, uint32_t *n)
{
    uint64_t  v;

    if (vod_url_decimal(p, len, 0xffffffff, &v) != VOD_OK) {
        return VOD_BAD_REQUEST;
    }

    *n = (uint32_t) v;

    return VOD_OK;
}


/* a picture's extension, .jpg or .webp: its format, and len without it */

static int
vod_url_image(const u_char *p, size_t *len, vod_url_t *url)
{
    if (vod_url_suffix(p, *len, ".jpg", 4)) {
        url->image = VOD_IMAGE_JPEG;
        *len -= 4;
        return VOD_OK;
    }

    if (vod_url_suffix(p, *len, ".webp", 5)) {
        url->image = VOD_IMAGE_WEBP;
        *len -= 5;
        return VOD_OK;
    }

    return VOD_NOT_FOUND;
}


/*
 * thumb-: what follows the prefix, {id}-{ms}[-w{W}][-h{H}].jpg (or
 * .webp).  Read
 * from the end: ids may contain '-', a time or a size never does.
 */

static int
vod_url_thumb(const u_char *p, size_t len, vod_url_t *url)
{
    size_t  dash;

    if (vod_url_image(p, &len, url) != VOD_OK) {
        return VOD_NOT_FOUND;
    }

    url->kind = VOD_URL_THUMB;
    url->stream = VOD_STREAM_VIDEO;

    if (vod_url_last_dash(p, len, &dash) != VOD_OK) {
        return VOD_BAD_REQUEST;
    }

    if (p[dash + 1] == 'h') {
        if (vod_url_track(p + dash + 2, len - dash - 2, &url->height)
            != VOD_OK)
        {
            return VOD_BAD_REQUEST;
        }

        len = dash;

        if (vod_url_last_dash(p, len, &dash) != VOD_OK) {
            return VOD_BAD_REQUEST;
        }
    }

    if (p[dash + 1] == 'w') {
        if (vod_url_track(p + dash + 2, len - dash - 2, &url->width)
            != VOD_OK)
        {
            return VOD_BAD_REQUEST;
        }

        len = dash;

        if (vod_url_last_dash(p, len, &dash) != VOD_OK) {
            return VOD_BAD_REQUEST;
        }
    }

    /* the time: 0, or a number without leading zeros */

    if (len - dash - 1 == 1 && p[dash + 1] == '0') {
        url->thumb_ms = 0;

    } else if (vod_url_track(p + dash + 1, len - dash - 1, &url->thumb_ms)
               != VOD_OK)
    {
        return VOD_BAD_REQUEST;
    }

    return vod_url_id(p, dash, url);
}


/*
 * tiles-: what follows the prefix, {id}.vtt (the thumbnail track) or
 * {id}-{n}.jpg or .webp (sheet n).  The sheet's number is read from the
 * end: ids may contain '-'.
 */

static int
vod_url_tiles(const u_char *p, size_t len, vod_url_t *url)
{
    size_t  dash;

    url->stream = VOD_STREAM_VIDEO;

    if (vod_url_suffix(p, len, ".vtt", 4)) {
        url->kind = VOD_URL_TILES_VTT;
        return vod_url_id(p, len - 4, url);
    }

    if (vod_url_image(p, &len, url) != VOD_OK) {
        return VOD_NOT_FOUND;
    }

    url->kind = VOD_URL_TILES;

    if (vod_url_last_dash(p, len, &dash) != VOD_OK
        || vod_url_number(p + dash + 1, len - dash - 1, &url->segment)
           != VOD_OK)
    {
        return VOD_BAD_REQUEST;
    }

    return vod_url_id(p, dash, url);
}


/* the position of the last '-' of p[0 .. len - 1], not the first byte */

static int
vod_url_last_dash(const u_char *p, size_t len, size_t *dash)
{
    size_t  i;

    for (i = len; i > 1; i--) {
        if (p[i - 1] == '-') {
            *dash = i - 1;
            return VOD_OK;
        }
    }

    return VOD_BAD_REQUEST;
}


/*
 * iframe-, iframets-: what follows the prefix, {id}.m3u8 (the I-frame
 * playlist) or {id}-{n}-{k}.m4s (.ts), key frame k of segment n.  The
 * numbers are read from the end: ids may contain '-'.  The segments are
 * the video stream's own (VOD_STREAM_VIDEO, VOD_STREAM_VIDEO_TS) with a
 * key frame picked, so they take its path through the module.
 */

static int
vod_url_iframe(const u_char *p, size_t len, unsigned ts, vod_url_t *url)
{
    size_t  dash;

    url->stream = ts ? VOD_STREAM_VIDEO_TS : VOD_STREAM_VIDEO;

    if (vod_url_suffix(p, len, ".m3u8", 5)) {
        url->kind = VOD_URL_IFRAMES;
        return vod_url_id(p, len - 5, url);
    }

    if (ts ? !vod_url_suffix(p, len, ".ts", 3)
           : !vod_url_suffix(p, len, ".m4s", 4))
    {
        return (vod_url_suffix(p, len, ".ts", 3)
                || vod_url_suffix(p, len, ".m4s", 4))
               ? VOD_BAD_REQUEST : VOD_NOT_FOUND;
    }

    url->kind = VOD_URL_SEGMENT;

    len -= ts ? 3 : 4;

    if (vod_url_last_dash(p, len, &dash) != VOD_OK
        || vod_url_track(p + dash + 1, len - dash - 1, &url->key) != VOD_OK)
    {
        return VOD_BAD_REQUEST;
    }

    len = dash;

    if (vod_url_last_dash(p, len, &dash) != VOD_OK
        || vod_url_number(p + dash + 1, len - dash - 1, &url->segment)
           != VOD_OK)
    {
        return VOD_BAD_REQUEST;
    }

    return vod_url_id(p, dash, url);
}
