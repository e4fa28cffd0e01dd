/*
 * pb_drm.h: the DRM systems the playback API answers for, and the names
 * devices give them in "drm_capabilities": the short ones ("widevine")
 * and the EME key system strings browsers and SDKs report
 * ("com.widevine.alpha", "com.microsoft.playready.recommendation",
 * "com.apple.fps.1_0", "org.w3.clearkey"), in any case.
 */

#ifndef _PB_DRM_H_INCLUDED_
#define _PB_DRM_H_INCLUDED_


#include "vod_core.h"


#define PB_DRM_NONE       0
#define PB_DRM_WIDEVINE   1
#define PB_DRM_PLAYREADY  2
#define PB_DRM_FAIRPLAY   3
#define PB_DRM_CLEARKEY   4


/* the system a device's capability names, PB_DRM_NONE for one unknown */
int pb_drm_system(const u_char *name, size_t len);

/* the short name of a system ("widevine"), NULL for PB_DRM_NONE */
const char *pb_drm_name(int system);


#endif /* _PB_DRM_H_INCLUDED_ */
