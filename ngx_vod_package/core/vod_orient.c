/*
 * vod_orient.c: a video's orientation from its tkhd matrix, and its
 * pictures turned as players show them (vod_orient.h).
 */

#include "vod_orient.h"


/* a transposing plane is walked in squares of this side, so that the
 * rows it writes stay in the cache while they fill */
#define VOD_ORIENT_BLOCK  16

#define VOD_ORIENT_ONE    0x00010000  /* 1.0 in 16.16 */


static int vod_orient_unit(int32_t v);


uint32_t
vod_orient_from_matrix(const u_char *matrix)
{
    int       a, b, c, d;
    uint32_t  orient;

    /* u, v: a projection, which no orientation has; w is then only a
     * scale of the whole, which does not turn the picture */
    if (vod_r32(matrix + 8) != 0 || vod_r32(matrix + 20) != 0) {
        return 0;
    }

    a = vod_orient_unit((int32_t) vod_r32(matrix));
    b = vod_orient_unit((int32_t) vod_r32(matrix + 4));
    c = vod_orient_unit((int32_t) vod_r32(matrix + 12));
    d = vod_orient_unit((int32_t) vod_r32(matrix + 16));

    if (a == 2 || b == 2 || c == 2 || d == 2) {
        /* another angle, a shear or a scale */
        return 0;
    }

    if (b == 0 && c == 0 && a != 0 && d != 0) {
        orient = 0;

        if (a < 0) {
            orient |= VOD_ORIENT_FLIP_X;
        }

        if (d < 0) {
            orient |= VOD_ORIENT_FLIP_Y;
        }

        return orient;
    }

    if (a == 0 && d == 0 && b != 0 && c != 0) {
        orient = VOD_ORIENT_TRANSPOSE;

        if (c < 0) {
            orient |= VOD_ORIENT_FLIP_X;
        }

        if (b < 0) {
            orient |= VOD_ORIENT_FLIP_Y;
        }

        return orient;
    }

    /* singular: nothing, or both axes onto one */
    return 0;
}


/* 1 or -1 for a 16.16 value of 1.0 or -1.0, 0 for 0, 2 for any other */

static int
vod_orient_unit(int32_t v)
{
    switch (v) {

    case VOD_ORIENT_ONE:
        return 1;

    case -VOD_ORIENT_ONE:
        return -1;

    case 0:
        return 0;

    default:
        return 2;
    }
}


u_char *
vod_orient_write_matrix(u_char *p, uint32_t orient, uint32_t width,
    uint32_t height)
{
    int32_t   a, b, c, d;
    uint32_t  x, y, fx, fy;

    fx = (orient & VOD_ORIENT_FLIP_X) != 0;
    fy = (orient & VOD_ORIENT_FLIP_Y) != 0;

    width &= 0xffff;
    height &= 0xffff;

    if (orient & VOD_ORIENT_TRANSPOSE) {
        /* x' = c q + x, y' = b p + y: a mirrored axis is moved back by
         * the extent it came from */
        a = 0;
        d = 0;
        c = fx ? -VOD_ORIENT_ONE : VOD_ORIENT_ONE;
        b = fy ? -VOD_ORIENT_ONE : VOD_ORIENT_ONE;
        x = fx ? height << 16 : 0;
        y = fy ? width << 16 : 0;

    } else {
        b = 0;
        c = 0;
        a = fx ? -VOD_ORIENT_ONE : VOD_ORIENT_ONE;
        d = fy ? -VOD_ORIENT_ONE : VOD_ORIENT_ONE;
        x = fx ? width << 16 : 0;
        y = fy ? height << 16 : 0;
    }

    vod_w32(p, a);
    vod_w32(p, b);
    vod_w32(p, 0);
    vod_w32(p, c);
    vod_w32(p, d);
    vod_w32(p, 0);
    vod_w32(p, x);
    vod_w32(p, y);
    vod_w32(p, 0x40000000);                   /* w: 1.0 in 2.30 */

    return p;
}


const char *
vod_orient_name(uint32_t orient)
{
    static const char  *names[] = {
        "as stored",
        "transposed (mirrored across its diagonal)",
        "mirrored left to right",
        "a quarter turn clockwise",
        "mirrored top to bottom",
        "a quarter turn counter-clockwise",
        "a half turn",
        "transposed across its other diagonal"
    };

    return names[orient & 7];
}


void
vod_orient_size(uint32_t orient, uint32_t *width, uint32_t *height)
{
    uint32_t  w;

    if (orient & VOD_ORIENT_TRANSPOSE) {
        w = *width;
        *width = *height;
        *height = w;
    }
}


/*
 * Each stored sample (p, q) goes to (X, Y): X = p, Y = q, or transposed
 * X = q, Y = p; then X mirrored in the turned width, Y in its height.
 * So a source row is a destination column when transposed: the plane
 * goes in squares, whose destination rows stay cached.
 */

void
vod_orient_plane(uint32_t orient, const u_char *src, size_t src_pitch,
    uint32_t width, uint32_t height, u_char *dst, size_t dst_pitch)
{
    size_t         x0, y0, x, y, ow, oh, xe, ye;
    u_char        *o;
    ptrdiff_t      col, row, x_step, y_step;
    const u_char  *s;

    ow = width;
    oh = height;

    if (orient & VOD_ORIENT_TRANSPOSE) {
        ow = height;
        oh = width;
    }

    /* where a stored sample's X and Y steps move in dst */
    col = (orient & VOD_ORIENT_FLIP_X) ? -1 : 1;
    row = (orient & VOD_ORIENT_FLIP_Y) ? -(ptrdiff_t) dst_pitch
                                       : (ptrdiff_t) dst_pitch;

    if (orient & VOD_ORIENT_TRANSPOSE) {
        /* p steps Y, q steps X */
        x_step = row;
        y_step = col;

    } else {
        x_step = col;
        y_step = row;
    }

    /* dst's sample for the stored (0, 0) */
    o = dst + ((orient & VOD_ORIENT_FLIP_X) ? ow - 1 : 0)
        + ((orient & VOD_ORIENT_FLIP_Y) ? (oh - 1) * dst_pitch : 0);

    for (y0 = 0; y0 < height; y0 += VOD_ORIENT_BLOCK) {
        ye = (height - y0 < VOD_ORIENT_BLOCK) ? height
                                              : y0 + VOD_ORIENT_BLOCK;

        for (x0 = 0; x0 < width; x0 += VOD_ORIENT_BLOCK) {
            xe = (width - x0 < VOD_ORIENT_BLOCK) ? width
                                                 : x0 + VOD_ORIENT_BLOCK;

            for (y = y0; y < ye; y++) {
                s = src + y * src_pitch;

                for (x = x0; x < xe; x++) {
                    o[(ptrdiff_t) x * x_step + (ptrdiff_t) y * y_step]
                        = s[x];
                }
            }
        }
    }
}
