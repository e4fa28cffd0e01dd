/*
 * vod_mp4.h: ISO BMFF (ISO/IEC 14496-12) box walking helpers shared by the
 * index builder.  Internal to the core: the contract for other modules is
 * vod_index.h.
 */

#ifndef _VOD_MP4_H_INCLUDED_
#define _VOD_MP4_H_INCLUDED_


#include "vod_core.h"


#define vod_mp4_tag(a, b, c, d)                                              \
    (((uint32_t) (a) << 24) | ((uint32_t) (b) << 16)                         \
     | ((uint32_t) (c) << 8) | (uint32_t) (d))

/* top-level boxes vod_mp4_find_moov() looks at before giving up */
#define VOD_MP4_MAX_TOP_BOXES  4096


typedef struct {
    uint32_t        type;
    const u_char   *start;            /* the box header */
    const u_char   *data;             /* the payload */
    size_t          size;             /* payload size */
} vod_mp4_box_t;


/* Read the box at *pos inside [*pos, end) and move *pos past it.
 * VOD_NOT_FOUND when *pos == end; VOD_BAD_DATA (logged) when the header
 * or the size overruns end. */
int vod_mp4_next_box(vod_env_t *env, const u_char **pos, const u_char *end,
    vod_mp4_box_t *box);

/* First child box of a type inside a payload; VOD_NOT_FOUND (not logged)
 * or VOD_BAD_DATA (logged). */
int vod_mp4_find_box(vod_env_t *env, const u_char *data, size_t size,
    uint32_t type, vod_mp4_box_t *box);

/* The type as 4 printable characters and a NUL, for log lines. */
char *vod_mp4_type_str(uint32_t type, char *buf);


#endif /* _VOD_MP4_H_INCLUDED_ */
