/*
 * vod_mp4.c: ISO BMFF box walking (ISO/IEC 14496-12, 4.2) and the search
 * for the top-level moov box.
 */

#include "vod_core.h"
#include "vod_mp4.h"
#include "vod_index.h"


char *
vod_mp4_type_str(uint32_t type, char *buf)
{
    int       i;
    u_char    c;

    for (i = 0; i < 4; i++) {
        c = (u_char) (type >> (24 - 8 * i));
        buf[i] = (c >= 0x20 && c < 0x7f) ? (char) c : '?';
    }

    buf[4] = '\0';

    return buf;
}


int
vod_mp4_next_box(vod_env_t *env, const u_char **pos, const u_char *end,
    vod_mp4_box_t *box)
{
    char            name[5];
    size_t          left, hlen;
    uint64_t        size;
    const u_char   *p;

    p = *pos;

    if (p == end) {
        return VOD_NOT_FOUND;
    }

    left = (size_t) (end - p);

    if (left < 8) {
        env->log(env, "truncated box header: %zu bytes left in the parent",
                 left);
        return VOD_BAD_DATA;
    }

    size = vod_r32(p);
    box->type = vod_r32(p + 4);
    hlen = 8;

    if (size == 1) {
        if (left < 16) {
            env->log(env, "truncated 64-bit size of box \"%s\"",
                     vod_mp4_type_str(box->type, name));
            return VOD_BAD_DATA;
        }

        size = vod_r64(p + 8);
        hlen = 16;

    } else if (size == 0) {
        size = left;
    }

    if (size < hlen || size > left) {
        env->log(env, "box \"%s\" size %llu does not fit its parent "
                 "(%zu bytes left)", vod_mp4_type_str(box->type, name),
                 (unsigned long long) size, left);
        return VOD_BAD_DATA;
    }

    box->start = p;
    box->data = p + hlen;
    box->size = (size_t) size - hlen;

    *pos = p + size;

    return VOD_OK;
}


int
vod_mp4_find_box(vod_env_t *env, const u_char *data, size_t size,
    uint32_t type, vod_mp4_box_t *box)
{
    int             rc;
    const u_char   *p, *end;

    p = data;
    end = data + size;

    for ( ;; ) {
        rc = vod_mp4_next_box(env, &p, end, box);
        if (rc != VOD_OK) {
            return rc;
        }

        if (box->type == type) {
            return VOD_OK;
        }
    }
}


int
vod_mp4_find_moov(vod_env_t *env, uint64_t file_size, uint64_t *moov_offset,
    uint64_t *moov_size)
{
    char        name[5];
    size_t      n;
    u_char      hdr[16];
    uint32_t    i, type;
    uint64_t    pos, size, hlen;

    pos = 0;

    for (i = 0; i < VOD_MP4_MAX_TOP_BOXES; i++) {

        if (pos == file_size) {
            env->log(env, "no moov box in the file");
            return VOD_BAD_DATA;
        }

        if (file_size - pos < 8) {
            env->log(env, "truncated box header at offset %llu",
                     (unsigned long long) pos);
            return VOD_BAD_DATA;
        }

        n = (file_size - pos < 16) ? 8 : 16;

        if (env->read(env, hdr, n, (off_t) pos) != (ssize_t) n) {
            env->log(env, "read of box header at offset %llu failed",
                     (unsigned long long) pos);
            return VOD_ERROR;
        }

        size = vod_r32(hdr);
        type = vod_r32(hdr + 4);
        hlen = 8;

        if (size == 1) {
            if (n < 16) {
                env->log(env, "truncated 64-bit box size at offset %llu",
                         (unsigned long long) pos);
                return VOD_BAD_DATA;
            }

            size = vod_r64(hdr + 8);
            hlen = 16;

        } else if (size == 0) {
            size = file_size - pos;
        }

        if (size < hlen || size > file_size - pos) {
            env->log(env, "top-level box \"%s\" at offset %llu has size %llu"
                     " beyond the file size %llu",
                     vod_mp4_type_str(type, name), (unsigned long long) pos,
                     (unsigned long long) size,
                     (unsigned long long) file_size);
            return VOD_BAD_DATA;
        }

        if (type == vod_mp4_tag('m', 'o', 'o', 'v')) {
            *moov_offset = pos;
            *moov_size = size;
            return VOD_OK;
        }

        pos += size;
    }

    env->log(env, "no moov box in the first %d top-level boxes",
             VOD_MP4_MAX_TOP_BOXES);

    return VOD_BAD_DATA;
}
