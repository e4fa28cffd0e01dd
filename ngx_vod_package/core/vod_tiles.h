/*
 * vod_tiles.h: the layout of a title's thumbnail tiles.  A tile is the
 * frame presented at i * interval (i from 0 while before the duration);
 * tiles fill sheets of cols x rows, row by row, sheet n (URL number n + 1)
 * holding tiles n * cols * rows and on.  Every sheet has the grid's size:
 * the tiles of the last sheet past the end of the title are black, so a
 * player that assumes one sheet size never misplaces a tile.  The WebVTT
 * thumbnail track (tiles-{id}.vtt) has one cue per tile, from its time to
 * the next tile's (the last: to the duration), naming its place in its
 * sheet as a media fragment: tiles-{id}-{n}.jpg#xywh=x,y,w,h.
 */

#ifndef _VOD_TILES_H_INCLUDED_
#define _VOD_TILES_H_INCLUDED_


#include "vod_core.h"


/* the most cues a WebVTT track has, whatever a file claims its duration
 * is: 27 hours at one a second, about 7 MB of WebVTT */
#define VOD_TILES_MAX_CUES  100000


typedef struct {
    uint32_t      cols;
    uint32_t      rows;
    uint32_t      interval;           /* milliseconds, > 0 */
    uint32_t      width;              /* a tile's pixels */
    uint32_t      height;
} vod_tiles_t;


/* tiles of a title of duration milliseconds: one every interval from 0
 * while before the duration */
uint64_t vod_tiles_count(const vod_tiles_t *t, uint64_t duration);

/*
 * Sheet (0-based) of a title of duration milliseconds: its first tile and
 * how many of its tiles show a frame (1 to cols * rows; the others are
 * black).  VOD_NOT_FOUND for a sheet past the last.
 */
int vod_tiles_sheet(const vod_tiles_t *t, uint64_t duration, uint32_t sheet,
    uint64_t *first, uint32_t *count);

/* the pixel position in its sheet of a sheet's tile i (0-based) */
void vod_tiles_place(const vod_tiles_t *t, uint32_t i, uint32_t *x,
    uint32_t *y);

/*
 * The WebVTT thumbnail track of rendition id, duration milliseconds:
 * "WEBVTT", then a cue per tile.  VOD_NOT_FOUND for a duration of 0,
 * VOD_BAD_DATA over VOD_TILES_MAX_CUES (one log line).
 */
int vod_tiles_vtt(vod_env_t *env, const vod_tiles_t *t, uint64_t duration,
    const vod_str_t *id, u_char **out, size_t *len);


#endif /* _VOD_TILES_H_INCLUDED_ */
