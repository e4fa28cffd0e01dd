/*
 * ngx_vod_package_keys.c: a title's keys from a key service
 * (vod_encryption_key_service), remembered in a shared memory zone
 * (vod_encryption_key_cache).
 *
 * The wait: every request of a location that encrypts with a key service
 * passes ngx_vod_keys_wait() before anything else of the handler runs
 * (manifests, init and media segments, licences, aes.key alike).  With
 * the title's keys in the zone it goes on at once; else it asks the
 * service by a subrequest to the internal location the directive names,
 * kept in memory (NGX_HTTP_SUBREQUEST_IN_MEMORY, so a proxy_pass there
 * is nginx's upstream: no blocking call), returns NGX_DONE holding one
 * reference of the main request, and the subrequest's end runs the whole
 * handler again (ngx_vod_keys_resume), which finds the answer in the
 * request's context.  ngx_vod_protect_keys() takes keys from there only:
 * a path that did not wait fails with 500, never serves in the clear.
 *
 * A failure of the service (nginx's upstream error, a status other than
 * 200, an answer vod_keys_parse() refuses) is one error line naming the
 * title and the reason, and 503; the answer's bytes are never logged.
 *
 * The zone: an rbtree by the request the service would be asked,
 * "<service URI>?title=<escaped title>" (its crc32, then the whole, so two
 * titles never share an entry, nor two services' answers for a title:
 * locations whose services differ never see each other's keys; the same
 * URI in two servers must name the same service, README), a queue from
 * the most recently used, each entry's expiry the service's "ttl" capped
 * by the directive's.
 * An entry is the size it needs: the request and the answer's pssh data
 * (at most VOD_KEYS_MAX_PSSH bytes) follow the keys in one slab block,
 * so titles without data cost what they did.
 * When the slab is full the least recently used entries go; whatever
 * leaves the zone is wiped first, keys being secrets.
 *
 * Concurrent misses of a title in one worker share one fetch: the first
 * asks (the owner, in the worker's list of fetches in flight), the
 * others find it there and wait (NGX_DONE, one reference held), and the
 * owner's answer, or failure, is copied to each waiter, whose write
 * event is then posted to run its handler again.  A waiter that goes
 * away first leaves the owner's list (its pool's cleanup).  An owner
 * that goes away first (its client closed, reset its stream: nginx's
 * upstream ends the subrequest with 499, or the request is terminated
 * and its pool's cleanup runs) has no outcome: its waiters, posted,
 * go on as if they had just come (the zone, another fetch in flight, a
 * fetch of their own, the first to run becoming the owner the others
 * wait for), a few times at most.  Other workers ask for themselves;
 * the last answer stays in the zone.
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include <openssl/crypto.h>

#include "ngx_vod_package_module.h"
#include "vod_keys.h"


/* a full zone frees at most this many entries for one new one */
#define NGX_VOD_KEYS_EVICT     8

/* a waiter asks again at most this many times when the owner of the
 * fetch it waits for goes away without an answer, then fails */
#define NGX_VOD_KEYS_ORPHANED  3


/* this worker's fetches in flight (their owners' ngx_vod_keys_req_t,
 * in request memory): per process, and empty whenever no request is */
static ngx_queue_t  ngx_vod_keys_fetches;


typedef struct {
    ngx_vod_shm_t         shm;           /* first: the zone's head */
} ngx_vod_keys_cache_t;


typedef struct {
    ngx_str_node_t        sn;         /* key: crc32 of the title */
    ngx_queue_t           lru;
    uint64_t              expires;    /* ms since the epoch */
    vod_keys_t            keys;       /* its pssh data after the title */
    u_char                title[1];       /* the service's request */
} ngx_vod_keys_node_t;


/* what the core's parser says is wrong with an answer, for our line */
typedef struct {
    ngx_pool_t           *pool;
    u_char                reason[128];
} ngx_vod_keys_env_t;


static ngx_int_t ngx_vod_keys_find(ngx_http_request_t *r,
    ngx_vod_keys_req_t *k);
static ngx_int_t ngx_vod_keys_title(ngx_http_request_t *r, ngx_str_t *title);
static ngx_int_t ngx_vod_keys_request(ngx_http_request_t *r,
    ngx_vod_keys_req_t *k);
static ngx_int_t ngx_vod_keys_fetch(ngx_http_request_t *r,
    ngx_vod_keys_req_t *k);
static ngx_int_t ngx_vod_keys_done(ngx_http_request_t *sr, void *data,
    ngx_int_t rc);
static ngx_int_t ngx_vod_keys_answer(ngx_http_request_t *sr,
    ngx_vod_keys_req_t *k, ngx_int_t rc, u_char *reason, size_t size);
static void ngx_vod_keys_resume(ngx_http_request_t *r);
static ngx_vod_keys_req_t *ngx_vod_keys_in_flight(ngx_vod_keys_req_t *k);
static void ngx_vod_keys_wake(ngx_vod_keys_req_t *k);
static void ngx_vod_keys_cleanup(void *data);
static void *ngx_vod_keys_alloc(vod_env_t *env, size_t size);
static void ngx_vod_keys_log(vod_env_t *env, const char *fmt, ...);
static uint64_t ngx_vod_keys_now(void);
static ngx_int_t ngx_vod_keys_get(ngx_shm_zone_t *zone, ngx_pool_t *pool,
    ngx_str_t *name, vod_keys_t *keys);
static void ngx_vod_keys_put(ngx_shm_zone_t *zone, ngx_str_t *name,
    vod_keys_t *keys, time_t ttl);
static void ngx_vod_keys_delete(ngx_vod_keys_cache_t *cache,
    ngx_vod_keys_node_t *kn);
static ngx_int_t ngx_vod_keys_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);


char *
ngx_vod_keys_service(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    ngx_str_t  *value;

    if (vlcf->key_service.data != NULL) {
        return "is duplicate";
    }

    value = cf->args->elts;

    /* a location of this server, asked by a subrequest: the title goes
     * in the arguments, so the URI has none of its own */
    if (value[1].len < 2 || value[1].data[0] != '/'
        || ngx_strlchr(value[1].data, value[1].data + value[1].len, '?')
           != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "vod_encryption_key_service \"%V\" is not a "
                           "location's URI (\"/keys\", no arguments)",
                           &value[1]);
        return NGX_CONF_ERROR;
    }

    vlcf->key_service = value[1];

    return NGX_CONF_OK;
}


/* vod_encryption_key_cache zone=name:size [ttl=time] | off */

char *
ngx_vod_keys_cache(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_vod_package_loc_conf_t *vlcf = conf;

    u_char      *p;
    time_t       ttl;
    ssize_t      size;
    ngx_str_t   *value, name, s;
    ngx_uint_t   i;

    if (vlcf->key_cache != NGX_CONF_UNSET_PTR) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (cf->args->nelts == 2 && ngx_strcmp(value[1].data, "off") == 0) {
        vlcf->key_cache = NULL;
        return NGX_CONF_OK;
    }

    name.len = 0;
    size = 0;
    ttl = 60;

    for (i = 1; i < cf->args->nelts; i++) {

        if (ngx_strncmp(value[i].data, "zone=", 5) == 0) {
            name.data = value[i].data + 5;
            p = (u_char *) ngx_strchr(name.data, ':');

            if (p == NULL) {
                goto invalid;
            }

            name.len = p - name.data;
            s.data = p + 1;
            s.len = value[i].data + value[i].len - s.data;

            size = ngx_parse_size(&s);

            if (name.len == 0 || size == NGX_ERROR) {
                goto invalid;
            }

            if (size < (ssize_t) (8 * ngx_pagesize)) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "vod_encryption_key_cache zone \"%V\" "
                                   "is too small", &name);
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (ngx_strncmp(value[i].data, "ttl=", 4) == 0) {
            s.data = value[i].data + 4;
            s.len = value[i].len - 4;

            ttl = ngx_parse_time(&s, 1);

            if (ttl == (time_t) NGX_ERROR || ttl > VOD_KEYS_MAX_TTL) {
                goto invalid;
            }

            continue;
        }

        goto invalid;
    }

    if (name.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "vod_encryption_key_cache needs "
                           "\"zone=name:size\"");
        return NGX_CONF_ERROR;
    }

    /* the same zone may serve several locations: same name, same size */
    vlcf->key_cache = ngx_shared_memory_add(cf, &name, size,
                                            &ngx_vod_package_module);
    if (vlcf->key_cache == NULL) {
        return NGX_CONF_ERROR;
    }

    if (vlcf->key_cache->data == NULL) {
        vlcf->key_cache->init = ngx_vod_keys_init_zone;
        vlcf->key_cache->data = ngx_pcalloc(cf->pool,
                                            sizeof(ngx_vod_keys_cache_t));
        if (vlcf->key_cache->data == NULL) {
            return NGX_CONF_ERROR;
        }

    } else if (vlcf->key_cache->init != ngx_vod_keys_init_zone) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "zone \"%V\" is not a vod_encryption_key_cache "
                           "zone", &name);
        return NGX_CONF_ERROR;
    }

    vlcf->key_cache_ttl = ttl;

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid parameter \"%V\" in "
                       "\"vod_encryption_key_cache\": use "
                       "zone=name:size [ttl=time] (at most 7d) or off",
                       &value[i]);
    return NGX_CONF_ERROR;
}


/*
 * NGX_OK when the request may go on: its location has no key service,
 * or the title's keys are in ctx->keys.  NGX_DONE while the service is
 * asked, or the status the request ends with.
 */

ngx_int_t
ngx_vod_keys_wait(ngx_http_request_t *r, ngx_vod_ctx_t *ctx)
{
    ngx_int_t                    rc;
    ngx_str_t                    title;
    ngx_pool_cleanup_t          *cln;
    ngx_vod_keys_req_t          *k;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->encryption == 0 || vlcf->key_service.len == 0) {
        return NGX_OK;
    }

    if (ctx->keys != NULL) {
        k = ctx->keys;

        if (k->rc != NGX_DECLINED) {
            /* NGX_AGAIN: the handler ran while the subrequest is out; it
             * is not expected, and must not go on */
            return (k->rc == NGX_AGAIN) ? NGX_DONE : k->rc;
        }

        /* the owner of the fetch it waited for went away without an
         * answer (ngx_vod_keys_wake()): nothing failed, so it goes on as
         * if it had just come, its k out of every list */
        k->rc = NGX_HTTP_SERVICE_UNAVAILABLE;

        return ngx_vod_keys_find(r, k);
    }

    rc = ngx_vod_keys_title(r, &title);
    if (rc != NGX_OK) {
        return rc;
    }

    cln = ngx_pool_cleanup_add(r->pool, sizeof(ngx_vod_keys_req_t));
    if (cln == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* no keys until the zone or the service gives them: a path that
     * looked anyway would fail (ngx_vod_protect_keys()) */
    k = cln->data;
    ngx_memzero(k, sizeof(ngx_vod_keys_req_t));
    k->title = title;
    k->rc = NGX_HTTP_SERVICE_UNAVAILABLE;
    k->request = r->main;
    ngx_queue_init(&k->waiters);

    cln->handler = ngx_vod_keys_cleanup;
    ctx->keys = k;

    if (ngx_vod_keys_request(r, k) != NGX_OK) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    return ngx_vod_keys_find(r, k);
}


/* the keys from the zone, else a wait on this worker's fetch in flight of
 * the title, else a fetch of its own */

static ngx_int_t
ngx_vod_keys_find(ngx_http_request_t *r, ngx_vod_keys_req_t *k)
{
    ngx_int_t                    rc;
    ngx_vod_keys_req_t          *owner;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    if (vlcf->key_cache != NULL
        && ngx_vod_keys_get(vlcf->key_cache, r->pool, &k->cache_key,
                            &k->keys)
           == NGX_OK)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod: keys of title \"%V\" cached", &k->title);
        k->rc = NGX_OK;
        return NGX_OK;
    }

    owner = ngx_vod_keys_in_flight(k);

    if (owner != NULL) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "vod: keys of title \"%V\" being fetched: waiting",
                       &k->title);
        k->owner = owner;
        ngx_queue_insert_tail(&owner->waiters, &k->wait);
        k->rc = NGX_AGAIN;

        /* as for a fetch (below): the request lives until the owner's
         * answer posts it and ngx_vod_keys_resume() finalizes it */
        r->main->count++;
        r->write_event_handler = ngx_vod_keys_resume;

        return NGX_DONE;
    }

    rc = ngx_vod_keys_fetch(r, k);

    if (rc == NGX_DONE) {
        ngx_queue_insert_tail(&ngx_vod_keys_fetches, &k->fetch);
    }

    return rc;
}


/* the owner of a fetch of k's request in this worker, or NULL */

static ngx_vod_keys_req_t *
ngx_vod_keys_in_flight(ngx_vod_keys_req_t *k)
{
    ngx_queue_t         *q;
    ngx_vod_keys_req_t  *o;

    if (ngx_vod_keys_fetches.next == NULL) {
        ngx_queue_init(&ngx_vod_keys_fetches);
    }

    for (q = ngx_queue_head(&ngx_vod_keys_fetches);
         q != ngx_queue_sentinel(&ngx_vod_keys_fetches);
         q = ngx_queue_next(q))
    {
        o = ngx_queue_data(q, ngx_vod_keys_req_t, fetch);

        if (o->cache_key.len == k->cache_key.len
            && ngx_memcmp(o->cache_key.data, k->cache_key.data,
                          k->cache_key.len)
               == 0)
        {
            return o;
        }
    }

    return NULL;
}


/*
 * The owner's fetch ended (k->rc is its outcome; NGX_AGAIN when the
 * owner goes away without one): out of the list, and each waiter given
 * the outcome, its own copy of the pssh data, and its write event
 * posted.  Without an outcome a waiter is told to ask again
 * (NGX_DECLINED, ngx_vod_keys_wait()), at most NGX_VOD_KEYS_ORPHANED
 * times: the first to run then finds the zone, or asks, and the others
 * wait for it.
 */

static void
ngx_vod_keys_wake(ngx_vod_keys_req_t *k)
{
    u_char              *p;
    ngx_queue_t         *q;
    ngx_vod_keys_req_t  *w;

    if (k->fetch.next != NULL) {
        ngx_queue_remove(&k->fetch);
        k->fetch.next = NULL;
    }

    while (!ngx_queue_empty(&k->waiters)) {
        q = ngx_queue_head(&k->waiters);
        ngx_queue_remove(q);

        w = ngx_queue_data(q, ngx_vod_keys_req_t, wait);
        w->owner = NULL;

        if (k->rc == NGX_AGAIN && w->orphaned < NGX_VOD_KEYS_ORPHANED) {
            ngx_log_debug1(NGX_LOG_DEBUG_HTTP,
                           w->request->connection->log, 0,
                           "vod: keys of title \"%V\": the fetch waited "
                           "for lost its request, asking again", &w->title);
            w->orphaned++;
            w->rc = NGX_DECLINED;
            ngx_post_event(w->request->connection->write, &ngx_posted_events);
            continue;
        }

        w->rc = (k->rc == NGX_AGAIN) ? NGX_HTTP_SERVICE_UNAVAILABLE : k->rc;

        if (w->rc == NGX_OK) {
            ngx_memcpy(&w->keys, &k->keys, sizeof(vod_keys_t));

            p = ngx_pnalloc(w->request->pool, k->keys.widevine.len
                                              + k->keys.playready.len + 1);
            if (p == NULL) {
                ngx_memzero(&w->keys, sizeof(vod_keys_t));
                w->rc = NGX_HTTP_INTERNAL_SERVER_ERROR;

            } else {
                w->keys.widevine.data = p;
                p = ngx_cpymem(p, k->keys.widevine.data,
                               k->keys.widevine.len);
                w->keys.playready.data = p;
                ngx_memcpy(p, k->keys.playready.data, k->keys.playready.len);
            }
        }

        if (w->rc != NGX_OK) {
            /* the owner's line said why; this one says who it failed */
            ngx_log_error(NGX_LOG_ERR, w->request->connection->log, 0,
                          "vod: no keys for title \"%V\": the key service "
                          "fetch it waited for failed", &w->title);
        }

        ngx_post_event(w->request->connection->write, &ngx_posted_events);
    }
}


/*
 * The title's name, as ngx_vod_protect_title() takes it later: the last
 * component of the directory of the path the URI maps to.  A directory
 * that is not there is 404 before the service is asked: a client cannot
 * make the service look up titles that do not exist.
 */

static ngx_int_t
ngx_vod_keys_title(ngx_http_request_t *r, ngx_str_t *title)
{
    u_char           *last, *p;
    size_t            root;
    ngx_str_t         path, dir, name;
    ngx_file_info_t   fi;

    last = ngx_http_map_uri_to_path(r, &path, &root, 0);
    if (last == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (p = last; p > path.data + root && p[-1] != '/'; p--) {
        /* void */
    }

    if (p <= path.data + root + 1) {
        return NGX_HTTP_NOT_FOUND;
    }

    dir.data = path.data;
    dir.len = p - 1 - path.data;
    dir.data[dir.len] = '\0';

    if (ngx_file_info(dir.data, &fi) == NGX_FILE_ERROR || !ngx_is_dir(&fi)) {
        return NGX_HTTP_NOT_FOUND;
    }

    ngx_vod_protect_title(&dir, &name);

    if (name.len == 0) {
        return NGX_HTTP_NOT_FOUND;
    }

    /* the request's copy: the path's buffer is the resolver's to reuse */
    title->data = ngx_pstrdup(r->pool, &name);
    if (title->data == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    title->len = name.len;

    return NGX_OK;
}


/* GET <service>?title=<the title, every byte but unreserved escaped>, and
 * the same as the zone's key */

static ngx_int_t
ngx_vod_keys_request(ngx_http_request_t *r, ngx_vod_keys_req_t *k)
{
    u_char                      *p;
    size_t                       len;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    len = sizeof("title=") - 1 + k->title.len
          + 2 * ngx_escape_uri(NULL, k->title.data, k->title.len,
                               NGX_ESCAPE_URI_COMPONENT);

    p = ngx_pnalloc(r->pool, vlcf->key_service.len + 1 + len);
    if (p == NULL) {
        return NGX_ERROR;
    }

    k->cache_key.data = p;
    p = ngx_cpymem(p, vlcf->key_service.data, vlcf->key_service.len);
    *p++ = '?';

    k->args.data = p;
    p = ngx_cpymem(p, "title=", sizeof("title=") - 1);
    p = (u_char *) ngx_escape_uri(p, k->title.data, k->title.len,
                                  NGX_ESCAPE_URI_COMPONENT);

    k->args.len = p - k->args.data;
    k->cache_key.len = p - k->cache_key.data;

    return NGX_OK;
}


static ngx_int_t
ngx_vod_keys_fetch(ngx_http_request_t *r, ngx_vod_keys_req_t *k)
{
    ngx_http_request_t          *sr;
    ngx_http_post_subrequest_t  *ps;
    ngx_vod_package_loc_conf_t  *vlcf;

    vlcf = ngx_http_get_module_loc_conf(r, ngx_vod_package_module);

    ps = ngx_palloc(r->pool, sizeof(ngx_http_post_subrequest_t));
    if (ps == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ps->handler = ngx_vod_keys_done;
    ps->data = k;

    if (ngx_http_subrequest(r, &vlcf->key_service, &k->args, &sr, ps,
                            NGX_HTTP_SUBREQUEST_IN_MEMORY
                            |NGX_HTTP_SUBREQUEST_WAITED)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* a HEAD's subrequest still wants the answer's body */
    sr->header_only = 0;

    k->rc = NGX_AGAIN;

    /* the subrequest holds one reference and drops it when it ends; this
     * one is dropped by the NGX_DONE the handler returns, so the request
     * lives until ngx_vod_keys_resume() finalizes it */
    r->main->count++;
    r->write_event_handler = ngx_vod_keys_resume;

    return NGX_DONE;
}


/* the subrequest ended: its status and body in memory */

static ngx_int_t
ngx_vod_keys_done(ngx_http_request_t *sr, void *data, ngx_int_t rc)
{
    ngx_vod_keys_req_t *k = data;

    u_char                      reason[160];
    ngx_vod_package_loc_conf_t *vlcf;

    if (k->rc != NGX_AGAIN) {
        return rc;
    }

    if (rc == NGX_HTTP_CLIENT_CLOSED_REQUEST && sr->connection->error) {
        /* nginx's upstream ends the subrequest so when the owner's client
         * goes away: not the service's failure (as a service location's
         * "return 499" would be), so no line, and the waiters ask again */
        ngx_vod_keys_wake(k);
        k->rc = NGX_HTTP_CLIENT_CLOSED_REQUEST;
        return rc;
    }

    ngx_memzero(reason, sizeof(reason));

    if (ngx_vod_keys_answer(sr, k, rc, reason, sizeof(reason)) != NGX_OK) {
        ngx_log_error(NGX_LOG_ERR, sr->connection->log, 0,
                      "vod: no keys for title \"%V\" from \"%V\": %s",
                      &k->title, &sr->uri, reason);
        k->rc = NGX_HTTP_SERVICE_UNAVAILABLE;
        ngx_vod_keys_wake(k);
        return rc;
    }

    k->rc = NGX_OK;
    ngx_vod_keys_wake(k);

    vlcf = ngx_http_get_module_loc_conf(sr->parent, ngx_vod_package_module);

    if (vlcf->key_cache != NULL) {
        ngx_vod_keys_put(vlcf->key_cache, &k->cache_key, &k->keys,
                         (k->keys.ttl >= 0
                          && k->keys.ttl < vlcf->key_cache_ttl)
                         ? (time_t) k->keys.ttl : vlcf->key_cache_ttl);
    }

    return rc;
}


/* NGX_OK with k->keys, or NGX_ERROR with the reason for the log line */

static ngx_int_t
ngx_vod_keys_answer(ngx_http_request_t *sr, ngx_vod_keys_req_t *k,
    ngx_int_t rc, u_char *reason, size_t size)
{
    int                  vrc;
    u_char              *body;
    size_t               len;
    ngx_buf_t           *b;
    vod_env_t            env;
    ngx_vod_keys_env_t   kenv;

    if (rc == NGX_ERROR || rc >= NGX_HTTP_SPECIAL_RESPONSE
        || sr->headers_out.status != NGX_HTTP_OK)
    {
        ngx_snprintf(reason, size - 1, "key service status %i",
                     (rc >= NGX_HTTP_SPECIAL_RESPONSE || rc == NGX_ERROR)
                     ? rc : (ngx_int_t) sr->headers_out.status);
        return NGX_ERROR;
    }

    /* the whole answer in one buffer, at most subrequest_output_buffer_size
     * (nginx fails a longer one) */
    b = (sr->out != NULL) ? sr->out->buf : NULL;

    if (b == NULL || sr->out->next != NULL || b->last == b->pos) {
        ngx_cpystrn(reason, (u_char *) "key service answer empty or not "
                    "in one buffer", size);
        return NGX_ERROR;
    }

    body = b->pos;
    len = b->last - b->pos;

    kenv.pool = sr->pool;
    kenv.reason[0] = '\0';

    env.alloc = ngx_vod_keys_alloc;
    env.log = ngx_vod_keys_log;
    env.read = NULL;
    env.data = &kenv;

    vrc = vod_keys_parse(&env, body, len, &k->keys);

    /* the answer held the keys in hex: not left in the pool, nor in the
     * upstream's buffer it was read into */
    OPENSSL_cleanse(body, len);

    if (sr->upstream != NULL && sr->upstream->buffer.start != NULL) {
        OPENSSL_cleanse(sr->upstream->buffer.start,
                        sr->upstream->buffer.end
                        - sr->upstream->buffer.start);
    }

    if (vrc != VOD_OK) {
        ngx_cpystrn(reason, (vrc == VOD_BAD_DATA) ? kenv.reason
                                                  : (u_char *) "no memory",
                    size);
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the subrequest's end posted the main request: run the handler again */

static void
ngx_vod_keys_resume(ngx_http_request_t *r)
{
    ngx_vod_ctx_t  *ctx;

    ctx = ngx_http_get_module_ctx(r, ngx_vod_package_module);

    if (ctx != NULL && ctx->keys != NULL && ctx->keys->rc == NGX_AGAIN) {
        /* posted before the subrequest ended: wait on */
        return;
    }

    r->write_event_handler = ngx_http_request_empty_handler;

    ngx_http_finalize_request(r, (ctx != NULL) ? ngx_vod_package_handler(r)
                                               : NGX_ERROR);
}


static void
ngx_vod_keys_cleanup(void *data)
{
    ngx_vod_keys_req_t *k = data;

    /* a waiter gone first leaves its owner's list; an owner gone first
     * (its request terminated before the subrequest's end) leaves its
     * waiters to ask again */
    if (k->owner != NULL) {
        ngx_queue_remove(&k->wait);
        k->owner = NULL;
    }

    if (k->fetch.next != NULL) {
        ngx_vod_keys_wake(k);
    }

    OPENSSL_cleanse(data, sizeof(ngx_vod_keys_req_t));
}


static void *
ngx_vod_keys_alloc(vod_env_t *env, size_t size)
{
    ngx_vod_keys_env_t  *kenv = env->data;

    return ngx_palloc(kenv->pool, size);
}


static void
ngx_vod_keys_log(vod_env_t *env, const char *fmt, ...)
{
    va_list              args;
    ngx_vod_keys_env_t  *kenv = env->data;

    va_start(args, fmt);
    (void) vsnprintf((char *) kenv->reason, sizeof(kenv->reason), fmt, args);
    va_end(args);
}


static uint64_t
ngx_vod_keys_now(void)
{
    ngx_time_t  *tp;

    tp = ngx_timeofday();

    return (uint64_t) tp->sec * 1000 + tp->msec;
}


/* NGX_OK with keys when the zone has name's (the service's request),
 * unexpired; its pssh data copied to the pool */

static ngx_int_t
ngx_vod_keys_get(ngx_shm_zone_t *zone, ngx_pool_t *pool, ngx_str_t *name,
    vod_keys_t *keys)
{
    u_char                *p;
    uint32_t               hash;
    ngx_int_t              rc;
    ngx_vod_keys_node_t   *kn;
    ngx_vod_keys_cache_t  *cache;

    cache = zone->data;
    hash = ngx_crc32_short(name->data, name->len);
    rc = NGX_DECLINED;

    ngx_shmtx_lock(&cache->shm.shpool->mutex);

    kn = (ngx_vod_keys_node_t *) ngx_str_rbtree_lookup(&cache->shm.sh->rbtree,
                                                       name, hash);

    if (kn != NULL) {
        if (kn->expires <= ngx_vod_keys_now()) {
            ngx_vod_keys_delete(cache, kn);

        } else {
            ngx_memcpy(keys, &kn->keys, sizeof(vod_keys_t));
            p = ngx_pnalloc(pool, keys->widevine.len + keys->playready.len
                                  + 1);

            if (p == NULL) {
                /* a miss: the service is asked */
                ngx_memzero(keys, sizeof(vod_keys_t));

            } else {
                ngx_memcpy(p, keys->widevine.data, keys->widevine.len);
                keys->widevine.data = p;
                p += keys->widevine.len;
                ngx_memcpy(p, keys->playready.data, keys->playready.len);
                keys->playready.data = p;

                ngx_queue_remove(&kn->lru);
                ngx_queue_insert_head(&cache->shm.sh->lru, &kn->lru);
                rc = NGX_OK;
            }
        }
    }

    ngx_shmtx_unlock(&cache->shm.shpool->mutex);

    return rc;
}


static void
ngx_vod_keys_put(ngx_shm_zone_t *zone, ngx_str_t *name, vod_keys_t *keys,
    time_t ttl)
{
    uint32_t               hash;
    ngx_uint_t             i;
    ngx_queue_t           *q;
    ngx_vod_keys_node_t   *kn;
    ngx_vod_keys_cache_t  *cache;

    if (ttl <= 0) {
        return;
    }

    cache = zone->data;
    hash = ngx_crc32_short(name->data, name->len);

    ngx_shmtx_lock(&cache->shm.shpool->mutex);

    /* a concurrent miss of the same title put its answer first */
    kn = (ngx_vod_keys_node_t *) ngx_str_rbtree_lookup(&cache->shm.sh->rbtree,
                                                       name, hash);
    if (kn != NULL) {
        ngx_vod_keys_delete(cache, kn);
    }

    for (i = 0; /* void */; i++) {
        kn = ngx_slab_alloc_locked(cache->shm.shpool,
                                   offsetof(ngx_vod_keys_node_t, title)
                                   + name->len + keys->widevine.len
                                   + keys->playready.len);
        if (kn != NULL) {
            break;
        }

        if (i == NGX_VOD_KEYS_EVICT || ngx_queue_empty(&cache->shm.sh->lru)) {
            ngx_shmtx_unlock(&cache->shm.shpool->mutex);
            return;
        }

        q = ngx_queue_last(&cache->shm.sh->lru);
        ngx_vod_keys_delete(cache,
                            ngx_queue_data(q, ngx_vod_keys_node_t, lru));
    }

    ngx_memcpy(kn->title, name->data, name->len);
    kn->sn.str.data = kn->title;
    kn->sn.str.len = name->len;
    kn->sn.node.key = hash;
    kn->expires = ngx_vod_keys_now() + (uint64_t) ttl * 1000;
    ngx_memcpy(&kn->keys, keys, sizeof(vod_keys_t));

    /* the pssh data after the title, pointed at in the zone, which every
     * worker maps at the same address */
    kn->keys.widevine.data = kn->title + name->len;
    ngx_memcpy(kn->keys.widevine.data, keys->widevine.data,
               keys->widevine.len);
    kn->keys.playready.data = kn->keys.widevine.data + keys->widevine.len;
    ngx_memcpy(kn->keys.playready.data, keys->playready.data,
               keys->playready.len);

    ngx_rbtree_insert(&cache->shm.sh->rbtree, &kn->sn.node);
    ngx_queue_insert_head(&cache->shm.sh->lru, &kn->lru);

    ngx_shmtx_unlock(&cache->shm.shpool->mutex);
}


/* with the zone locked: out of the tree and queue, wiped, freed */

static void
ngx_vod_keys_delete(ngx_vod_keys_cache_t *cache, ngx_vod_keys_node_t *kn)
{
    ngx_rbtree_delete(&cache->shm.sh->rbtree, &kn->sn.node);
    ngx_queue_remove(&kn->lru);
    OPENSSL_cleanse(&kn->keys, sizeof(vod_keys_t));
    ngx_slab_free_locked(cache->shm.shpool, kn);
}


static ngx_int_t
ngx_vod_keys_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_vod_shm_t  *old = data;

    return ngx_vod_shm_init(shm_zone, shm_zone->data, old,
                            ngx_str_rbtree_insert_value,
                            "vod_encryption_key_cache");
}
