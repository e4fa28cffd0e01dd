/*
 * ngx_vod_package_title.c: which renditions a title directory holds.
 * title.json beside the files names them and their order; without it every
 * *.mp4 is a rendition and every *.vtt and *.srt a subtitle file
 * (vod_subs_from_file()), listed by name.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_vod_package_module.h"


#define NGX_VOD_TITLE_JSON_MAX  (1024 * 1024)


static ngx_int_t ngx_vod_title_json(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, time_t *mtime);
static ngx_int_t ngx_vod_title_list(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec);
static ngx_int_t ngx_vod_title_list_cached(ngx_http_request_t *r,
    ngx_str_t *dir, vod_title_spec_t *spec);
static ngx_int_t ngx_vod_title_list_sub(ngx_http_request_t *r,
    ngx_str_t *dir, vod_title_spec_t *spec, u_char *name, size_t len);
static int ngx_libc_cdecl ngx_vod_title_cmp(const void *one,
    const void *two);
static int ngx_libc_cdecl ngx_vod_title_sub_cmp(const void *one,
    const void *two);


/*
 * Fills spec for a title.  Returns NGX_OK, NGX_HTTP_NOT_FOUND for a missing
 * or empty directory, or a 5xx for an unreadable or malformed title.json;
 * *mtime is title.json's, or 0.
 */

ngx_int_t
ngx_vod_title_spec(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, time_t *mtime)
{
    ngx_int_t  rc;

    ngx_memzero(spec, sizeof(vod_title_spec_t));
    *mtime = 0;

    rc = ngx_vod_title_json(r, dir, spec, mtime);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    return ngx_vod_title_list_cached(r, dir, spec);
}


/*
 * Directory listings go into the index cache too, keyed by "dir/" and
 * checked against the directory's mtime, which changes whenever a file is
 * added, removed or renamed in it.  A listing younger than two seconds is
 * not cached: a file added within the same second would leave the mtime
 * unchanged.
 */

static ngx_int_t
ngx_vod_title_list_cached(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec)
{
    u_char                       *blob, *p, *last;
    size_t                        len;
    uint32_t                      i, n;
    ngx_int_t                     rc;
    ngx_uint_t                    off, flags;
    ngx_str_t                     key;
    vod_subtitle_spec_t          *ss;
    ngx_vod_file_id_t             id;
    ngx_open_file_info_t          of;
    vod_rendition_spec_t         *rs;
    ngx_http_core_loc_conf_t     *clcf;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);

    if (vmcf->index_cache == NULL) {
        return ngx_vod_title_list(r, dir, spec);
    }

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_memzero(&of, sizeof(ngx_open_file_info_t));

    of.test_only = 1;
    of.valid = clcf->open_file_cache_valid;
    of.min_uses = clcf->open_file_cache_min_uses;
    of.errors = clcf->open_file_cache_errors;
    of.events = clcf->open_file_cache_events;

    if (ngx_open_cached_file(clcf->open_file_cache, dir, &of, r->pool)
        != NGX_OK || !of.is_dir)
    {
        return ngx_vod_title_list(r, dir, spec);
    }

    key.len = dir->len + 1;
    key.data = ngx_pnalloc(r->pool, key.len);
    if (key.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(ngx_cpymem(key.data, dir->data, dir->len), "/", 1);

    ngx_memzero(&id, sizeof(ngx_vod_file_id_t));
    id.uniq = of.uniq;
    id.mtime = of.mtime;

    blob = ngx_vod_cache_lock(vmcf->index_cache, &key, 0, &id, &len);

    if (blob != NULL) {
        /* count, then per rendition: id length, file name length, name */
        p = blob;
        last = blob + len;
        n = (len >= 4) ? vod_r32(p) : 0;
        p += 4;

        for (i = 0; i < n && i < VOD_MAX_RENDITIONS && p + 4 <= last; i++) {
            rs = &spec->renditions[i];
            rs->id.len = vod_r16(p);
            rs->file.len = vod_r16(p + 2);
            p += 4;

            if (rs->file.len > (size_t) (last - p)
                || rs->id.len > rs->file.len)
            {
                break;
            }

            rs->file.data = ngx_pnalloc(r->pool, rs->file.len);
            if (rs->file.data == NULL) {
                break;
            }

            ngx_memcpy(rs->file.data, p, rs->file.len);
            rs->id.data = rs->file.data;
            p += rs->file.len;
        }

        /* then the subtitle files: count, then per file the lengths of
         * its name and id, its language's place and length in the name
         * and its flags (1 SRT, 2 forced, 4 SDH), then the name: what
         * vod_subs_from_file() found, not found again */

        if (i == n && n > 0 && p + 4 <= last) {
            spec->count = n;
            n = vod_r32(p);
            p += 4;

            for (i = 0; i < n && i < VOD_MAX_SUBTITLES && p + 10 <= last;
                 i++)
            {
                ss = &spec->subtitles[spec->subtitle_count];
                ngx_memzero(ss, sizeof(vod_subtitle_spec_t));

                ss->file.len = vod_r16(p);
                ss->id.len = vod_r16(p + 2);
                off = vod_r16(p + 4);
                ss->lang.len = vod_r16(p + 6);
                flags = vod_r16(p + 8);
                p += 10;

                if (ss->file.len > (size_t) (last - p)
                    || ss->id.len > ss->file.len
                    || off + ss->lang.len > ss->file.len)
                {
                    break;
                }

                ss->file.data = ngx_pnalloc(r->pool, ss->file.len);
                if (ss->file.data == NULL) {
                    break;
                }

                ngx_memcpy(ss->file.data, p, ss->file.len);
                p += ss->file.len;

                ss->id.data = ss->file.data;
                ss->lang.data = ss->file.data + off;
                ss->srt = (flags & 1) ? 1 : 0;
                ss->forced = (flags & 2) ? 1 : 0;
                ss->sdh = (flags & 4) ? 1 : 0;

                spec->subtitle_count++;
            }

            if (i == n) {
                ngx_vod_cache_unlock(vmcf->index_cache);
                return NGX_OK;
            }
        }

        ngx_vod_cache_unlock(vmcf->index_cache);

        spec->count = 0;
        spec->subtitle_count = 0;
    }

    rc = ngx_vod_title_list(r, dir, spec);

    if (rc != NGX_OK || of.mtime >= ngx_time() - 1) {
        return rc;
    }

    len = 8;

    for (i = 0; i < spec->count; i++) {
        len += 4 + spec->renditions[i].file.len;
    }

    for (i = 0; i < spec->subtitle_count; i++) {
        len += 10 + spec->subtitles[i].file.len;
    }

    blob = ngx_palloc(r->pool, len);
    if (blob == NULL) {
        return rc;
    }

    p = blob;
    vod_w32(p, spec->count);

    for (i = 0; i < spec->count; i++) {
        rs = &spec->renditions[i];
        vod_w16(p, rs->id.len);
        vod_w16(p, rs->file.len);
        p = ngx_cpymem(p, rs->file.data, rs->file.len);
    }

    vod_w32(p, spec->subtitle_count);

    for (i = 0; i < spec->subtitle_count; i++) {
        ss = &spec->subtitles[i];
        vod_w16(p, ss->file.len);
        vod_w16(p, ss->id.len);
        vod_w16(p, (ss->lang.len != 0) ? ss->lang.data - ss->file.data : 0);
        vod_w16(p, ss->lang.len);
        vod_w16(p, ss->srt | (ss->forced << 1) | (ss->sdh << 2));
        p = ngx_cpymem(p, ss->file.data, ss->file.len);
    }

    (void) ngx_vod_cache_insert(vmcf->index_cache, &key, 0, &id, blob, len,
                                r->connection->log);

    return rc;
}


/*
 * Finds one rendition by id without listing the directory: from
 * title.json if there is one, else the id names {id}.mp4.
 */

ngx_int_t
ngx_vod_title_find(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, ngx_str_t *id, vod_rendition_spec_t **found)
{
    u_char      *p;
    time_t       mtime;
    ngx_int_t    rc;
    ngx_uint_t   i;

    ngx_memzero(spec, sizeof(vod_title_spec_t));

    rc = ngx_vod_title_json(r, dir, spec, &mtime);

    if (rc == NGX_OK) {
        for (i = 0; i < spec->count; i++) {
            if (spec->renditions[i].id.len == id->len
                && ngx_memcmp(spec->renditions[i].id.data, id->data, id->len)
                   == 0)
            {
                *found = &spec->renditions[i];
                return NGX_OK;
            }
        }

        return NGX_HTTP_NOT_FOUND;
    }

    if (rc != NGX_DECLINED) {
        return rc;
    }

    p = ngx_pnalloc(r->pool, id->len + sizeof(".mp4") - 1);
    if (p == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    spec->count = 1;
    spec->renditions[0].id.data = id->data;
    spec->renditions[0].id.len = id->len;
    spec->renditions[0].file.data = p;
    spec->renditions[0].file.len = ngx_cpymem(p, id->data, id->len) - p
                                   + sizeof(".mp4") - 1;
    ngx_memcpy(p + id->len, ".mp4", sizeof(".mp4") - 1);

    *found = &spec->renditions[0];

    return NGX_OK;
}


/* NGX_DECLINED when the title has no title.json */

static ngx_int_t
ngx_vod_title_json(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, time_t *mtime)
{
    u_char                    *buf, *p;
    ssize_t                    n;
    ngx_str_t                  path;
    ngx_vod_env_t              venv;
    ngx_open_file_info_t       of;
    ngx_http_core_loc_conf_t  *clcf;

    path.len = dir->len + sizeof("/title.json") - 1;
    path.data = ngx_pnalloc(r->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(path.data, dir->data, dir->len);
    ngx_memcpy(p, "/title.json", sizeof("/title.json"));

    /* through open_file_cache: with open_file_cache_errors on, even the
     * usual answer, that there is no title.json, costs no system call */

    clcf = ngx_http_get_module_loc_conf(r, ngx_http_core_module);

    ngx_memzero(&of, sizeof(ngx_open_file_info_t));

    of.directio = NGX_MAX_OFF_T_VALUE;
    of.valid = clcf->open_file_cache_valid;
    of.min_uses = clcf->open_file_cache_min_uses;
    of.errors = clcf->open_file_cache_errors;
    of.events = clcf->open_file_cache_events;

    if (ngx_open_cached_file(clcf->open_file_cache, &path, &of, r->pool)
        != NGX_OK)
    {
        if (of.err == NGX_ENOENT) {
            return NGX_DECLINED;
        }

        if (of.err == NGX_ENOTDIR) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, of.err,
                      "vod: %s \"%V\" failed", of.failed, &path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (!of.is_file) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\" is not a file", &path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (of.size > NGX_VOD_TITLE_JSON_MAX) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\" is larger than %d bytes", &path,
                      NGX_VOD_TITLE_JSON_MAX);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    *mtime = of.mtime;

    buf = ngx_pnalloc(r->pool, (size_t) of.size + 1);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    n = pread(of.fd, buf, (size_t) of.size, 0);

    if (n != (ssize_t) of.size) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "vod: pread() \"%V\" failed", &path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    buf[n] = '\0';

    ngx_vod_env_init(&venv, r, &path, of.fd);

    if (vod_title_json_parse(&venv.env, buf, (size_t) n, spec) != VOD_OK) {
        /* the parser logged the reason and position */
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return NGX_OK;
}


static ngx_int_t
ngx_vod_title_list(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec)
{
    u_char                *name;
    size_t                 len;
    ngx_dir_t              d;
    ngx_err_t              err;
    ngx_int_t              rc;
    vod_str_t              file, id;
    vod_rendition_spec_t  *rs;

    /* dir->data is null-terminated by the caller */
    if (ngx_open_dir(dir, &d) == NGX_ERROR) {
        err = ngx_errno;

        if (err == NGX_ENOENT || err == NGX_ENOTDIR) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                      "vod: " ngx_open_dir_n " \"%V\" failed", dir);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = NGX_OK;

    for ( ;; ) {
        ngx_set_errno(0);

        if (ngx_read_dir(&d) == NGX_ERROR) {
            err = ngx_errno;

            if (err != NGX_ENOMOREFILES) {
                ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                              "vod: " ngx_read_dir_n " \"%V\" failed", dir);
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            break;
        }

        name = ngx_de_name(&d);
        len = ngx_de_namelen(&d);

        if (len <= 4 || name[0] == '.') {
            continue;
        }

        if (ngx_strncmp(name + len - 4, ".vtt", 4) == 0
            || ngx_strncmp(name + len - 4, ".srt", 4) == 0)
        {
            if (ngx_vod_title_list_sub(r, dir, spec, name, len) != NGX_OK) {
                rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
                break;
            }

            continue;
        }

        if (ngx_strncmp(name + len - 4, ".mp4", 4) != 0) {
            continue;
        }

        file.data = name;
        file.len = len;

        if (vod_title_id_from_file(&file, &id) != VOD_OK) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod: \"%V/%s\" skipped: its name is not a valid "
                          "rendition id", dir, name);
            continue;
        }

        if (spec->count == VOD_MAX_RENDITIONS) {
            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod: \"%V\" has more than %d renditions, "
                          "\"%s\" skipped", dir, VOD_MAX_RENDITIONS, name);
            continue;
        }

        rs = &spec->renditions[spec->count++];

        rs->file.data = ngx_pnalloc(r->pool, len);
        if (rs->file.data == NULL) {
            rc = NGX_HTTP_INTERNAL_SERVER_ERROR;
            break;
        }

        ngx_memcpy(rs->file.data, name, len);
        rs->file.len = len;
        rs->id.data = rs->file.data;
        rs->id.len = id.len;
    }

    if (ngx_close_dir(&d) == NGX_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      ngx_close_dir_n " \"%V\" failed", dir);
    }

    if (rc == NGX_OK && spec->count == 0) {
        /* an operator's .mov or .m4v files need title.json to name them:
         * a segment's request opens {id}.mp4 without listing */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "vod: \"%V\" has no rendition: no *.mp4 in it and no "
                      "title.json naming other files", dir);
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_qsort(spec->renditions, spec->count, sizeof(vod_rendition_spec_t),
              ngx_vod_title_cmp);

    ngx_qsort(spec->subtitles, spec->subtitle_count,
              sizeof(vod_subtitle_spec_t), ngx_vod_title_sub_cmp);

    return rc;
}


/* a subtitle file of the listing; of NAME.vtt and NAME.srt, the WebVTT
 * one (their id is the same) */

static ngx_int_t
ngx_vod_title_list_sub(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, u_char *name, size_t len)
{
    uint32_t              i;
    vod_str_t             file;
    vod_subtitle_spec_t   s, *o;

    file.data = name;
    file.len = len;

    if (vod_subs_from_file(&file, &s) != VOD_OK) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod: \"%V/%s\" skipped: its name is not a valid "
                      "subtitle id", dir, name);
        return NGX_OK;
    }

    for (i = 0; i < spec->subtitle_count; i++) {
        o = &spec->subtitles[i];

        if (o->id.len == s.id.len
            && ngx_memcmp(o->id.data, s.id.data, s.id.len) == 0)
        {
            if (!s.srt) {
                break;
            }

            ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                          "vod: \"%V/%s\" skipped: a .vtt of that name is "
                          "there", dir, name);
            return NGX_OK;
        }
    }

    if (i == spec->subtitle_count
        && spec->subtitle_count == VOD_MAX_SUBTITLES)
    {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod: \"%V\" has more than %d subtitle files, "
                      "\"%s\" skipped", dir, VOD_MAX_SUBTITLES, name);
        return NGX_OK;
    }

    if (i < spec->subtitle_count) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "vod: \"%V/%V\" skipped: a .vtt of that name is "
                      "there", dir, &spec->subtitles[i].file);
    }

    file.data = ngx_pnalloc(r->pool, len);
    if (file.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(file.data, name, len);

    if (i == spec->subtitle_count) {
        spec->subtitle_count++;
    }

    (void) vod_subs_from_file(&file, &spec->subtitles[i]);

    return NGX_OK;
}


static int ngx_libc_cdecl
ngx_vod_title_cmp(const void *one, const void *two)
{
    const vod_rendition_spec_t  *a = one;
    const vod_rendition_spec_t  *b = two;

    return ngx_memn2cmp(a->file.data, b->file.data, a->file.len, b->file.len);
}


static int ngx_libc_cdecl
ngx_vod_title_sub_cmp(const void *one, const void *two)
{
    const vod_subtitle_spec_t  *a = one;
    const vod_subtitle_spec_t  *b = two;

    /* by id: movie.en before movie.en.sdh (ids are unique here) */
    return ngx_memn2cmp(a->id.data, b->id.data, a->id.len, b->id.len);
}
