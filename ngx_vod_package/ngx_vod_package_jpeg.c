/*
 * ngx_vod_package_jpeg.c: a picture's JPEG by libjpeg-turbo (its libjpeg
 * API), where the build found it: the planes of a full-range YUV
 * picture (4:2:0, 4:2:2 or 4:4:4) given as they are (raw data in: no
 * colour conversion, no
 * resampling), baseline, the Huffman tables of the standard's Annex K
 * (one pass; optimal tables cost a second pass over the coefficients
 * for about 11% fewer bytes), libjpeg-turbo's SIMD DCT.  The quantiser
 * follows vod_thumbnail_quality as FFmpeg's mjpeg encoder reads it
 * (-q:v): one table for luma and chroma, the DC step 8, each AC step the
 * MPEG-1 default intra matrix's times the scale over 8, which is what
 * that encoder writes in its DQT.  On the bench's 1080p frame at 2 this
 * takes about a third of the mjpeg encoder's CPU (README: Thumbnails).
 * It runs in a pool thread and touches nothing of nginx's.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_thumb.h"


#if (NGX_VOD_THUMBNAILS && NGX_VOD_LIBJPEG)

#include <stdio.h>
#include <setjmp.h>
#include <jpeglib.h>


/* libjpeg's errors end in error_exit(), which must not return (its
 * default exits the process): back to the encode, the message kept */
typedef struct {
    struct jpeg_error_mgr   pub;
    jmp_buf                 jump;
    char                   *error;
    size_t                  error_len;
} ngx_vod_jpeg_error_t;


static void ngx_vod_jpeg_error_exit(j_common_ptr cinfo);
static void ngx_vod_jpeg_output_message(j_common_ptr cinfo);
static void ngx_vod_jpeg_quantiser(j_compress_ptr c, uint32_t scale);
static void ngx_vod_jpeg_rows(JSAMPROW *rows, uint8_t *plane, int linesize,
    uint32_t first, uint32_t n, uint32_t height);


/* ISO/IEC 11172-2's default intra quantiser matrix, in natural order */
static const u_char  ngx_vod_jpeg_mpeg1_intra[64] = {
     8, 16, 19, 22, 26, 27, 29, 34,
    16, 16, 22, 24, 27, 29, 34, 37,
    19, 22, 26, 27, 29, 34, 34, 38,
    22, 22, 26, 27, 29, 34, 37, 40,
    22, 26, 27, 29, 32, 35, 40, 48,
    26, 27, 29, 32, 35, 40, 48, 58,
    26, 27, 29, 34, 38, 46, 56, 69,
    27, 29, 35, 38, 46, 56, 69, 83
};


int
ngx_vod_jpeg_padded(int *linesize, uint32_t width, uint32_t cx)
{
    uint32_t  mcu, cw;

    /* raw data in reads whole 8x8 blocks of each plane: an MCU is 16
     * luma columns and 8 chroma ones where chroma is half as wide, 8 of
     * each where it is not */
    mcu = 8u << cx;
    cw = (width + (1u << cx) - 1) >> cx;

    return (uint32_t) linesize[0] >= (width + mcu - 1) / mcu * mcu
           && (uint32_t) linesize[1] >= (cw + 7) / 8 * 8
           && (uint32_t) linesize[2] >= (cw + 7) / 8 * 8;
}


int
ngx_vod_jpeg_encode(uint8_t **data, int *linesize, uint32_t width,
    uint32_t height, uint32_t cx, uint32_t cy, uint32_t quality,
    u_char **out, size_t *len, char *error, size_t error_len)
{
    int                           i;
    size_t                        w, pad, mcu_w, mcu_h;
    uint32_t                      y, h, rows;
    JSAMPROW                      luma[16], cb[8], cr[8];
    JSAMPARRAY                    planes[3];
    unsigned char                *buf, *ours, *row;
    unsigned long                 size;
    ngx_vod_jpeg_error_t          err;
    struct jpeg_compress_struct   c;

    /* the columns past the width that the last MCU reads: the edge's
     * sample, so that the same picture always makes the same bytes */

    mcu_w = (size_t) 8 << cx;
    mcu_h = (size_t) 8 << cy;

    for (i = 0; i < 3; i++) {
        w = (i == 0) ? width : (width + (1u << cx) - 1) >> cx;
        pad = (i == 0) ? (w + mcu_w - 1) / mcu_w * mcu_w
                       : (w + 7) & ~(size_t) 7;
        h = (i == 0) ? height : (height + (1u << cy) - 1) >> cy;

        for (y = 0; w < pad && y < h; y++) {
            row = data[i] + (size_t) y * linesize[i];
            ngx_memset(row + w, row[w - 1], pad - w);
        }
    }

    /* libjpeg-turbo's bound (tjBufSize()): the MCUs' samples, 2 bytes
     * each for luma and 4 for chroma's share of them (1 for 4:2:0, 2
     * for 4:2:2, 4 for 4:4:4); the memory destination never grows it,
     * so that the buffer is ours on every path (a grown one is the
     * library's, lost on an error); the pages past what the JPEG takes
     * are never touched */
    size = (width + mcu_w - 1) / mcu_w * mcu_w
           * ((height + mcu_h - 1) / mcu_h * mcu_h)
           * (2 + (4 >> (cx + cy))) + 2048;

    buf = malloc(size);
    ours = buf;

    if (buf == NULL) {
        snprintf(error, error_len, "out of memory for a %lu-byte JPEG",
                 size);
        return VOD_ERROR;
    }

    c.err = jpeg_std_error(&err.pub);
    err.pub.error_exit = ngx_vod_jpeg_error_exit;
    err.pub.output_message = ngx_vod_jpeg_output_message;
    err.error = error;
    err.error_len = error_len;

    if (setjmp(err.jump)) {
        jpeg_destroy_compress(&c);
        free(ours);
        return VOD_ERROR;
    }

    jpeg_create_compress(&c);
    jpeg_mem_dest(&c, &buf, &size);

    c.image_width = width;
    c.image_height = height;
    c.input_components = 3;
    c.in_color_space = JCS_YCbCr;

    jpeg_set_defaults(&c);

    c.raw_data_in = TRUE;
    c.optimize_coding = FALSE;
    c.dct_method = JDCT_ISLOW;

    /* luma 2x2 (4:2:0), 2x1 (4:2:2) or 1x1 (4:4:4), each chroma 1x1 */
    c.comp_info[0].h_samp_factor = 1 << cx;
    c.comp_info[0].v_samp_factor = 1 << cy;

    for (i = 1; i < 3; i++) {
        c.comp_info[i].h_samp_factor = 1;
        c.comp_info[i].v_samp_factor = 1;
    }

    ngx_vod_jpeg_quantiser(&c, quality);

    jpeg_start_compress(&c, TRUE);

    planes[0] = luma;
    planes[1] = cb;
    planes[2] = cr;

    /* one MCU row at a time: 16 luma rows (8 where chroma is as high),
     * 8 of each chroma; the rows past the bottom repeat the last one */

    rows = (uint32_t) mcu_h;
    h = (height + (1u << cy) - 1) >> cy;

    while (c.next_scanline < c.image_height) {
        y = c.next_scanline;

        ngx_vod_jpeg_rows(luma, data[0], linesize[0], y, rows, height);
        ngx_vod_jpeg_rows(cb, data[1], linesize[1], y >> cy, 8, h);
        ngx_vod_jpeg_rows(cr, data[2], linesize[2], y >> cy, 8, h);

        if (jpeg_write_raw_data(&c, planes, rows) != rows) {
            snprintf(error, error_len, "libjpeg took no rows at %u", y);
            jpeg_destroy_compress(&c);
            free(ours);
            return VOD_ERROR;
        }
    }

    jpeg_finish_compress(&c);
    jpeg_destroy_compress(&c);

    if (buf != ours) {
        /* past the bound after all: the library copied it into a
         * buffer of its own, now the caller's */
        free(ours);
    }

    *out = buf;
    *len = size;

    return VOD_OK;
}


static void
ngx_vod_jpeg_quantiser(j_compress_ptr c, uint32_t scale)
{
    int           i;
    unsigned int  table[64];

    table[0] = 8;

    for (i = 1; i < 64; i++) {
        table[i] = ngx_vod_jpeg_mpeg1_intra[i] * scale / 8;
    }

    /* at 100% as it is; libjpeg clamps it to 1-255 (baseline) */
    jpeg_add_quant_table(c, 0, table, 100, TRUE);

    for (i = 0; i < 3; i++) {
        c->comp_info[i].quant_tbl_no = 0;
    }
}


static void
ngx_vod_jpeg_rows(JSAMPROW *rows, uint8_t *plane, int linesize,
    uint32_t first, uint32_t n, uint32_t height)
{
    uint32_t  i, row;

    for (i = 0; i < n; i++) {
        row = (first + i < height) ? first + i : height - 1;
        rows[i] = plane + (size_t) row * linesize;
    }
}


static void
ngx_vod_jpeg_error_exit(j_common_ptr cinfo)
{
    ngx_vod_jpeg_error_t  *err;
    char                   msg[JMSG_LENGTH_MAX];

    err = (ngx_vod_jpeg_error_t *) cinfo->err;

    err->pub.format_message(cinfo, msg);
    snprintf(err->error, err->error_len, "libjpeg: %s", msg);

    longjmp(err->jump, 1);
}


/* warnings and traces: libjpeg's default writes them to stderr */

static void
ngx_vod_jpeg_output_message(j_common_ptr cinfo)
{
}

#endif /* NGX_VOD_THUMBNAILS && NGX_VOD_LIBJPEG */
