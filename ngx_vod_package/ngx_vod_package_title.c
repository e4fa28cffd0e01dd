/*
 * ngx_vod_package_title.c: which renditions a title directory holds.
 * title.json beside the files names them and their order; without it every
 * *.mp4 is a rendition, listed by name.
 */

#include "ngx_vod_package_module.h"


#define NGX_VOD_TITLE_JSON_MAX  (1024 * 1024)


static ngx_int_t ngx_vod_title_json(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec, time_t *mtime);
static ngx_int_t ngx_vod_title_list(ngx_http_request_t *r, ngx_str_t *dir,
    vod_title_spec_t *spec);
static int ngx_libc_cdecl ngx_vod_title_cmp(const void *one,
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

    return ngx_vod_title_list(r, dir, spec);
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
    u_char           *buf, *p;
    ssize_t           n;
    ngx_fd_t          fd;
    ngx_int_t         rc;
    ngx_str_t         path;
    ngx_err_t         err;
    ngx_file_info_t   fi;
    ngx_vod_env_t     venv;

    path.len = dir->len + sizeof("/title.json") - 1;
    path.data = ngx_pnalloc(r->pool, path.len + 1);
    if (path.data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    p = ngx_cpymem(path.data, dir->data, dir->len);
    ngx_memcpy(p, "/title.json", sizeof("/title.json"));

    fd = ngx_open_file(path.data, NGX_FILE_RDONLY, NGX_FILE_OPEN, 0);

    if (fd == NGX_INVALID_FILE) {
        err = ngx_errno;

        if (err == NGX_ENOENT) {
            return NGX_DECLINED;
        }

        if (err == NGX_ENOTDIR) {
            return NGX_HTTP_NOT_FOUND;
        }

        ngx_log_error(NGX_LOG_ERR, r->connection->log, err,
                      "vod: " ngx_open_file_n " \"%V\" failed", &path);
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

    if (ngx_fd_info(fd, &fi) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "vod: " ngx_fd_info_n " \"%V\" failed", &path);
        goto done;
    }

    if (ngx_file_size(&fi) > NGX_VOD_TITLE_JSON_MAX) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "vod: \"%V\" is larger than %d bytes", &path,
                      NGX_VOD_TITLE_JSON_MAX);
        goto done;
    }

    *mtime = ngx_file_mtime(&fi);

    buf = ngx_pnalloc(r->pool, (size_t) ngx_file_size(&fi) + 1);
    if (buf == NULL) {
        goto done;
    }

    n = ngx_read_fd(fd, buf, (size_t) ngx_file_size(&fi));

    if (n != (ssize_t) ngx_file_size(&fi)) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                      "vod: " ngx_read_fd_n " \"%V\" failed", &path);
        goto done;
    }

    buf[n] = '\0';

    ngx_vod_env_init(&venv, r, &path, fd);

    if (vod_title_json_parse(&venv.env, buf, (size_t) n, spec) != VOD_OK) {
        /* the parser logged the reason and position */
        goto done;
    }

    rc = NGX_OK;

done:

    if (ngx_close_file(fd) == NGX_FILE_ERROR) {
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, ngx_errno,
                      ngx_close_file_n " \"%V\" failed", &path);
    }

    return rc;
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

        if (len <= 4 || name[0] == '.'
            || ngx_strncmp(name + len - 4, ".mp4", 4) != 0)
        {
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
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_qsort(spec->renditions, spec->count, sizeof(vod_rendition_spec_t),
              ngx_vod_title_cmp);

    return rc;
}


static int ngx_libc_cdecl
ngx_vod_title_cmp(const void *one, const void *two)
{
    const vod_rendition_spec_t  *a = one;
    const vod_rendition_spec_t  *b = two;

    return ngx_memn2cmp(a->file.data, b->file.data, a->file.len, b->file.len);
}
