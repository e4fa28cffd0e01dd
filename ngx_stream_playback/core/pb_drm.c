/*
 * pb_drm.c: DRM system names (pb_drm.h).
 */

#include "pb_drm.h"


typedef struct {
    const char  *name;
    size_t       len;
    unsigned     prefix:1;    /* a family: "com.apple.fps.1_0" too */
    int          system;
} pb_drm_alias_t;


#define pb_drm_alias(s, prefix, system)  { s, sizeof(s) - 1, prefix, system }

static const pb_drm_alias_t  pb_drm_aliases[] = {
    pb_drm_alias("widevine", 0, PB_DRM_WIDEVINE),
    pb_drm_alias("com.widevine.alpha", 0, PB_DRM_WIDEVINE),
    pb_drm_alias("playready", 0, PB_DRM_PLAYREADY),
    /* .recommendation, .hardware, .software: the same licence server */
    pb_drm_alias("com.microsoft.playready", 1, PB_DRM_PLAYREADY),
    pb_drm_alias("fairplay", 0, PB_DRM_FAIRPLAY),
    /* "com.apple.fps", "com.apple.fps.1_0", "com.apple.fps.3_0" */
    pb_drm_alias("com.apple.fps", 1, PB_DRM_FAIRPLAY),
    pb_drm_alias("clearkey", 0, PB_DRM_CLEARKEY),
    pb_drm_alias("org.w3.clearkey", 0, PB_DRM_CLEARKEY),
};

static const char  *pb_drm_names[] = {
    NULL, "widevine", "playready", "fairplay", "clearkey"
};


static int
pb_drm_equal(const u_char *a, const char *b, size_t len)
{
    size_t  i;
    u_char  c;

    for (i = 0; i < len; i++) {
        c = a[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (c != (u_char) b[i]) {
            return 0;
        }
    }

    return 1;
}


int
pb_drm_system(const u_char *name, size_t len)
{
    size_t                 i;
    const pb_drm_alias_t  *a;

    for (i = 0; i < sizeof(pb_drm_aliases) / sizeof(pb_drm_aliases[0]);
         i++)
    {
        a = &pb_drm_aliases[i];

        if (len == a->len && pb_drm_equal(name, a->name, len)) {
            return a->system;
        }

        /* a family member is the prefix, a dot and more: not
         * "com.apple.fpsx" */

        if (a->prefix && len > a->len + 1 && name[a->len] == '.'
            && pb_drm_equal(name, a->name, a->len))
        {
            return a->system;
        }
    }

    return PB_DRM_NONE;
}


const char *
pb_drm_name(int system)
{
    if (system <= PB_DRM_NONE || system > PB_DRM_CLEARKEY) {
        return NULL;
    }

    return pb_drm_names[system];
}
