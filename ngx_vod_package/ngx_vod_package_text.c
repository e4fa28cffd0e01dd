/*
 * ngx_vod_package_text.c: the text tracks of a title's MP4 files
 * (vod_mp4text.h) as subtitle renditions beside the sidecars
 * (_subs.c), with the same playlists, segments and MPD entries.  A text
 * rendition's id is text{T}-{id}: T its tkhd track_ID, id the rendition
 * of the first file (in title order) that carries it.  Its cues are made
 * once from the samples the file's index lists, read with one pread() per
 * run of adjacent samples, and kept in vod_index_cache as a sidecar's are
 * (vod_vtt_pack(), keyed by the file's path and "#text{T}" and by the
 * file's identity).  A track that does not convert is left out of the
 * manifests with the converter's one log line.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "ngx_vod_package_module.h"
#include "vod_mp4text.h"
#include "vod_vtt.h"


static ngx_int_t ngx_vod_text_parse(ngx_http_request_t *r,
    ngx_vod_media_t *media, u_char **blob, size_t *len);
static ngx_int_t ngx_vod_text_key(ngx_http_request_t *r,
    ngx_vod_media_t *media, ngx_str_t *key);
static ngx_uint_t ngx_vod_text_taken(vod_subs_t *subs, vod_str_t *id);


/*
 * The manifests' text renditions, after the sidecars in subs: every
 * text track of the title's renditions, in title order (title.json's,
 * else by bit rate, highest first, as vod_title_pick_audio() takes them)
 * and then file order,
 * unless an earlier file has one like it (the same language and format;
 * the k-th such track of a file matches the k-th of an earlier file, as
 * audio's do), or a sidecar has its id.  NGX_DONE when a file's index is
 * being built by a thread (the plan runs again).
 */

ngx_int_t
ngx_vod_text_collect(ngx_http_request_t *r, ngx_vod_title_files_t *files,
    vod_title_t *title, vod_subs_t *subs)
{
    char                  *lang;
    u_char                *buf;
    uint32_t               n, i, k, j, kth, seen;
    ngx_int_t              rc;
    vod_str_t              rid;
    ngx_vod_media_t       *media;
    vod_track_info_t      *t, *o;
    vod_subtitle_spec_t   *spec;
    vod_track_info_t      *picked[VOD_MAX_SUBTITLES];
    uint32_t               picked_kth[VOD_MAX_SUBTITLES];

    seen = 0;

    for (n = 0; n < title->count; n++) {

        /* the title's n-th rendition's file (title order, as audio's) */

        for (i = 0; i < files->spec->count; i++) {
            media = &files->media[i];

            if (!media->left_out
                && media->id.len == title->renditions[n].id.len
                && ngx_memcmp(media->id.data, title->renditions[n].id.data,
                              media->id.len)
                   == 0)
            {
                break;
            }
        }

        if (i == files->spec->count) {
            continue;
        }

        for (k = 0; k < media->text_count; k++) {
            t = media->texts[k];

            /* the k-th track of its language and format in this file */

            for (kth = 0, j = 0; j < k; j++) {
                o = media->texts[j];
                kth += (o->codec == t->codec
                        && ngx_strncmp(o->lang, t->lang, sizeof(t->lang))
                           == 0);
            }

            for (j = 0; j < seen; j++) {
                if (picked_kth[j] == kth && picked[j]->codec == t->codec
                    && ngx_strncmp(picked[j]->lang, t->lang,
                                   sizeof(t->lang))
                       == 0)
                {
                    break;
                }
            }

            if (j < seen) {
                /* a copy of one listed already */
                continue;
            }

            if (subs->count == VOD_MAX_SUBTITLES) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "vod: \"%V\": text track %uD left out: more "
                              "than %d subtitles", &media->path,
                              t->track_id, VOD_MAX_SUBTITLES);
                continue;
            }

            spec = ngx_palloc(r->pool, sizeof(vod_subtitle_spec_t));
            buf = ngx_pnalloc(r->pool, VOD_MP4TEXT_ID_LEN);
            lang = ngx_pnalloc(r->pool, VOD_SUB_LANG_LEN);
            if (spec == NULL || buf == NULL || lang == NULL) {
                return NGX_HTTP_INTERNAL_SERVER_ERROR;
            }

            rid.data = media->id.data;
            rid.len = media->id.len;

            if (vod_mp4text_spec(t, &rid, &files->spec->renditions[i].file,
                                 buf, lang, spec)
                != VOD_OK)
            {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "vod: \"%V\": text track %uD left out: its "
                              "id would be over %d bytes", &media->path,
                              t->track_id, VOD_MAX_ID_LEN);
                continue;
            }

            if (ngx_vod_text_taken(subs, &spec->id)) {
                ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                              "vod: \"%V\": text track %uD left out: a "
                              "subtitle file has its id \"%*s\"",
                              &media->path, t->track_id, spec->id.len,
                              spec->id.data);
                continue;
            }

            /* whether it converts: made, or found made */

            media->text_id = t->track_id;

            rc = ngx_vod_text_cues(r, media, 0, 0, VOD_VTT_NO_MAP, NULL,
                                   NULL);

            if (rc == NGX_HTTP_BAD_GATEWAY || rc == NGX_HTTP_NOT_FOUND
                || rc == NGX_HTTP_UNSUPPORTED_MEDIA_TYPE)
            {
                /* the converter's line said why */
                continue;
            }

            if (rc != NGX_OK) {
                return rc;
            }

            picked[seen] = t;
            picked_kth[seen] = kth;
            seen++;

            (void) vod_subs_add(subs, spec);
        }
    }

    return NGX_OK;
}


static ngx_uint_t
ngx_vod_text_taken(vod_subs_t *subs, vod_str_t *id)
{
    uint32_t          i;
    const vod_str_t  *s;

    for (i = 0; i < subs->count; i++) {
        s = &subs->items[i].spec->id;

        if (s->len == id->len && ngx_memcmp(s->data, id->data, id->len) == 0)
        {
            return 1;
        }
    }

    return 0;
}


/* sub-text{T}-{id}...: no sidecar has the id; the rendition file by id,
 * its track T asked for (the load finds whether it has one), and the
 * title's first rendition for the segment grid */

ngx_int_t
ngx_vod_text_resolve(ngx_http_request_t *r, ngx_vod_ctx_t *ctx,
    vod_title_spec_t *spec)
{
    uint32_t               i, track_id;
    ngx_int_t              rc;
    vod_str_t              rid;
    vod_url_t             *url;
    vod_subtitle_spec_t   *ss;

    url = &ctx->url;

    if (!vod_mp4text_id_parse(&url->id, &track_id, &rid)) {
        return NGX_HTTP_NOT_FOUND;
    }

    for (i = 0; i < spec->count; i++) {
        if (spec->renditions[i].id.len == rid.len
            && ngx_memcmp(spec->renditions[i].id.data, rid.data, rid.len)
               == 0)
        {
            break;
        }
    }

    if (i == spec->count) {
        return NGX_HTTP_NOT_FOUND;
    }

    ss = ngx_pcalloc(r->pool, sizeof(vod_subtitle_spec_t));
    if (ss == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ss->id = url->id;
    ss->file = spec->renditions[i].file;
    ss->track_id = track_id;
    ctx->sub_spec = ss;

    rc = ngx_vod_media_open(r, &ctx->dir, &spec->renditions[i], &ctx->sub);
    if (rc != NGX_OK) {
        return rc;
    }

    ctx->sub.text_id = track_id;

    if (url->kind == VOD_URL_FULL) {
        return NGX_OK;
    }

    return ngx_vod_media_open(r, &ctx->dir, &spec->renditions[0],
                              &ctx->media);
}


/*
 * WebVTT of the cues of media's text track media->text_id shown in
 * [from, to) (vod_vtt_write()), into *out; with out NULL only whether the
 * track converts.  From the cache when it has them, else made and put
 * there.  NGX_HTTP_NOT_FOUND without such a track, NGX_HTTP_BAD_GATEWAY
 * when it does not convert (logged once), NGX_DONE while a thread builds
 * the file's index.
 */

ngx_int_t
ngx_vod_text_cues(ngx_http_request_t *r, ngx_vod_media_t *media,
    uint64_t from, uint64_t to, uint64_t mpegts, u_char **out, size_t *len)
{
    int                           rc;
    u_char                       *blob;
    size_t                        blob_len;
    ngx_int_t                     grc;
    ngx_str_t                     key;
    ngx_vod_file_id_t             id;
    ngx_vod_package_main_conf_t  *vmcf;

    vmcf = ngx_http_get_module_main_conf(r, ngx_vod_package_module);

    ngx_memzero(&id, sizeof(ngx_vod_file_id_t));
    id.uniq = media->of.uniq;
    id.size = media->of.size;
    id.mtime = media->of.mtime;

    if (ngx_vod_text_key(r, media, &key) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (vmcf->index_cache != NULL) {
        blob = ngx_vod_cache_lock(vmcf->index_cache, &key, 0, &id,
                                  &blob_len);
        if (blob != NULL) {
            rc = VOD_OK;

            if (out != NULL) {
                rc = vod_vtt_write(&media->venv.env, blob, blob_len, from,
                                   to, mpegts, out, len);
            }

            ngx_vod_cache_unlock(vmcf->index_cache);

            return ngx_vod_status(rc);
        }
    }

    grc = ngx_vod_text_parse(r, media, &blob, &blob_len);
    if (grc != NGX_OK) {
        return grc;
    }

    if (vmcf->index_cache != NULL) {
        (void) ngx_vod_cache_insert(vmcf->index_cache, &key, 0, &id, blob,
                                    blob_len, r->connection->log);
    }

    if (out == NULL) {
        return NGX_OK;
    }

    return ngx_vod_status(vod_vtt_write(&media->venv.env, blob, blob_len,
                                        from, to, mpegts, out, len));
}


static ngx_int_t
ngx_vod_text_key(ngx_http_request_t *r, ngx_vod_media_t *media,
    ngx_str_t *key)
{
    u_char  *p;

    key->data = ngx_pnalloc(r->pool, media->path.len
                                     + sizeof("#text") - 1 + NGX_INT32_LEN);
    if (key->data == NULL) {
        return NGX_ERROR;
    }

    p = ngx_sprintf(key->data, "%V#text%uD", &media->path, media->text_id);
    key->len = p - key->data;

    return NGX_OK;
}


/* the track's samples (from the index) read, converted and packed */

static ngx_int_t
ngx_vod_text_parse(ngx_http_request_t *r, ngx_vod_media_t *media,
    u_char **blob, size_t *len)
{
    int            rc;
    u_char        *buf, *p;
    ssize_t        n;
    uint32_t       i, count;
    uint64_t       total;
    ngx_int_t      grc;
    vod_vtt_t      vtt;
    vod_env_t     *env;
    vod_range_t   *ranges;

    grc = ngx_vod_media_load(r, media, NGX_VOD_WANT_TEXT, 0, NULL, NULL);
    if (grc != NGX_OK) {
        return grc;
    }

    env = &media->venv.env;

    rc = vod_mp4text_ranges(env, media->text_samples,
                            media->text_count_samples, &ranges, &count,
                            &total);
    if (rc != VOD_OK) {
        return ngx_vod_status(rc);
    }

    buf = ngx_pnalloc(r->pool, (size_t) total + 1);
    if (buf == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* the ranges in sample order: buf holds the samples one after the
     * other */

    p = buf;

    for (i = 0; i < count; i++) {
        n = ngx_vod_pread(media->of.fd, p, (size_t) ranges[i].size,
                          (off_t) ranges[i].offset, 0);

        if (n != (ssize_t) ranges[i].size) {
            ngx_log_error(NGX_LOG_ERR, r->connection->log, ngx_errno,
                          "vod: pread() \"%V\" failed", &media->path);
            return NGX_HTTP_BAD_GATEWAY;
        }

        p += n;
    }

    p = buf;

    for (i = 0; i < media->text_count_samples; i++) {
        media->text_times[i].data = p;
        p += media->text_times[i].size;
    }

    rc = vod_mp4text_cues(env, media->text->codec, media->text_times,
                          media->text_count_samples, &vtt);

    if (rc == VOD_OK) {
        rc = vod_vtt_pack(env, &vtt, blob, len);
    }

    return ngx_vod_status(rc);
}
