/*
 * vod_core.h: the shared kit's common definitions (shared/core/, compiled
 * into every module): the env, strings and status codes every nginx-free
 * core uses.  `vod_` is the kit's prefix, kept from when the kit lived in
 * the packager's core.  The media bounds and byte readers below are used
 * by the packager's core only.
 *
 * A core never includes nginx headers: it allocates, logs and reads
 * through a vod_env_t the caller fills in (the modules' nginx glue, unit
 * tests, fuzzers and the vodpkg command line tool).
 */

#ifndef _VOD_CORE_H_INCLUDED_
#define _VOD_CORE_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/types.h>


/* return codes: each maps to one HTTP status in the glue */
#define VOD_OK            0
#define VOD_ERROR        -1     /* allocation or internal failure: 500 */
#define VOD_BAD_DATA     -2     /* truncated, corrupt or hostile media: 502 */
#define VOD_UNSUPPORTED  -3     /* well-formed media we cannot package: 415 */
#define VOD_NOT_FOUND    -4     /* no such track, rendition or segment: 404 */
#define VOD_BAD_REQUEST  -5     /* malformed request name: 400 */


/* hard bounds that keep hostile files from causing large allocations */
#define VOD_MAX_TRACKS         16
#define VOD_MAX_SAMPLES        (16 * 1024 * 1024)
#define VOD_MAX_SEGMENT_SAMPLES  (64 * 1024)
#define VOD_MAX_SAMPLE_SIZE    (64 * 1024 * 1024)
#define VOD_MAX_SEGMENT_BYTES  (256 * 1024 * 1024)
#define VOD_MAX_SAMPLE_ENTRY   (64 * 1024)


typedef struct vod_env_s  vod_env_t;

struct vod_env_s {
    /* memory that lives as long as the request; NULL on failure */
    void       *(*alloc)(vod_env_t *env, size_t size);
    /* one error line, printf format; the caller adds the file name */
    void        (*log)(vod_env_t *env, const char *fmt, ...);
    /* read exactly size bytes at offset; returns size, or -1 on error */
    ssize_t     (*read)(vod_env_t *env, u_char *buf, size_t size,
                    off_t offset);
    void         *data;
};


typedef struct {
    u_char       *data;
    size_t        len;
} vod_str_t;


#define vod_string(s)  { (u_char *) s, sizeof(s) - 1 }


/* big-endian readers and writers for box and packet headers */

#define vod_r16(p)                                                           \
    (((uint32_t) (p)[0] << 8) | (uint32_t) (p)[1])
#define vod_r24(p)                                                           \
    (((uint32_t) (p)[0] << 16) | ((uint32_t) (p)[1] << 8) | (uint32_t) (p)[2])
#define vod_r32(p)                                                           \
    (((uint32_t) (p)[0] << 24) | ((uint32_t) (p)[1] << 16)                   \
     | ((uint32_t) (p)[2] << 8) | (uint32_t) (p)[3])
#define vod_r64(p)                                                           \
    (((uint64_t) vod_r32(p) << 32) | (uint64_t) vod_r32((p) + 4))

#define vod_w8(p, v)   (*(p)++ = (u_char) (v))
#define vod_w16(p, v)                                                        \
    do { vod_w8(p, (v) >> 8); vod_w8(p, v); } while (0)
#define vod_w24(p, v)                                                        \
    do { vod_w8(p, (v) >> 16); vod_w16(p, v); } while (0)
#define vod_w32(p, v)                                                        \
    do { vod_w16(p, (uint32_t) (v) >> 16); vod_w16(p, v); } while (0)
#define vod_w64(p, v)                                                        \
    do { vod_w32(p, (uint64_t) (v) >> 32); vod_w32(p, v); } while (0)
#define vod_wtag(p, s)                                                       \
    do { memcpy(p, s, 4); (p) += 4; } while (0)


#endif /* _VOD_CORE_H_INCLUDED_ */
