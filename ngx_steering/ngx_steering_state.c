/*
 * ngx_steering_state.c: every cache's live state, load (0 to 1) and
 * health, in a shared memory zone so that every worker sees one update:
 * one slot per cache id, its state packed in one atomic word
 * (time of the report << 32 | reported | healthy | load in 1/10000), so
 * a reader never sees half an update and takes no lock.
 *
 *   PUT /steering/caches/{id}   {"load": 0.42, "healthy": true}
 *   GET /steering/caches/{id}   that cache's state
 *   GET /steering/caches/       every cache's state
 *
 * Every request, GETs included, is signed with a key of
 * steering_state_key_file (ngx_steering_auth.c), checked before
 * anything else is said.
 *
 * A PUT names one or both members; a malformed one is 400 and changes
 * nothing.  State older than steering_state_max_age counts as unhealthy;
 * a cache never reported counts as unhealthy too, unless the max age is
 * off (then it is healthy with load 0 until told otherwise).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_steering_module.h"
#include "vod_json.h"
#include "vodedge_body.h"
#include "vodedge_env.h"


#define NGX_STEERING_BODY_MAX  4096


static ngx_int_t ngx_steering_zone_init(ngx_shm_zone_t *zone, void *data);
static void ngx_steering_state_body(ngx_http_request_t *r);
static ngx_int_t ngx_steering_state_update(ngx_http_request_t *r,
    ngx_uint_t index, u_char *body, size_t len, const char **err);
static ngx_int_t ngx_steering_state_get(ngx_http_request_t *r,
    ngx_str_t *id);
static u_char *ngx_steering_state_json(u_char *p,
    ngx_steering_main_conf_t *smcf, ngx_uint_t i);


#define NGX_STEERING_STATE_JSON_LEN                                          \
    (sizeof("{\"id\":\"\",\"tier\":\"origin\",\"url\":\"\","                 \
            "\"healthy\":false,\"usable\":false,\"load\":0.0000,"            \
            "\"age\":,\"reported\":false}")                                  \
     + ST_ID_MAX + 6 * ST_URL_MAX + NGX_TIME_T_LEN)


ngx_int_t
ngx_steering_zone_add(ngx_conf_t *cf, ngx_steering_main_conf_t *smcf,
    ngx_str_t *name, size_t size)
{
    ngx_shm_zone_t  *zone;

    zone = ngx_shared_memory_add(cf, name, size, &ngx_steering_module);
    if (zone == NULL) {
        return NGX_ERROR;
    }

    if (zone->data != NULL) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "steering zone \"%V\" is already in use", name);
        return NGX_ERROR;
    }

    zone->init = ngx_steering_zone_init;
    zone->data = smcf;
    smcf->zone = zone;

    return NGX_OK;
}


static ngx_int_t
ngx_steering_zone_init(ngx_shm_zone_t *zone, void *data)
{
    ngx_steering_main_conf_t  *osmcf = data;

    ngx_slab_pool_t           *shpool;
    ngx_steering_shctx_t      *sh;
    ngx_steering_main_conf_t  *smcf;

    smcf = zone->data;
    shpool = (ngx_slab_pool_t *) zone->shm.addr;

    if (osmcf != NULL) {
        /* a reload keeps the state every worker reported */
        smcf->sh = osmcf->sh;
        smcf->shpool = osmcf->shpool;
        goto resolve;
    }

    smcf->shpool = shpool;

    if (zone->shm.exists) {
        smcf->sh = shpool->data;
        goto resolve;
    }

    sh = ngx_slab_calloc(shpool, sizeof(ngx_steering_shctx_t));
    if (sh == NULL) {
        return NGX_ERROR;
    }

    /* a function of nginx itself: the zone outlives this module's
     * mapping across reloads (titles' hashes are unique in the tree) */
    ngx_rbtree_init(&sh->presence, &sh->sentinel, ngx_rbtree_insert_value);
    sh->presence_since = ngx_time();

    ngx_steering_auth_zone_init(sh);

    shpool->data = sh;
    smcf->sh = sh;

    shpool->log_nomem = 0;

resolve:

    /* the configuration's fleet, before any worker uses it */

    if (smcf->fleet == NULL) {
        return NGX_OK;
    }

    return ngx_steering_resolve_slots(smcf, smcf->fleet->fleet,
                                      smcf->fleet->slot, zone->shm.log);
}


/*
 * Finds or makes the zone's slot of every cache of a fleet, by id, into
 * slot[]: before the fleet is put in service, never after, so that a
 * fleet in service never has a slot it has not resolved.  A slot, once
 * given to an id, is that id's for the zone's life: a slot number
 * resolved from any fleet stays valid after the fleet is replaced.
 */

ngx_int_t
ngx_steering_resolve_slots(ngx_steering_main_conf_t *smcf,
    st_fleet_t *fleet, ngx_uint_t *slot, ngx_log_t *log)
{
    ngx_uint_t             i, j;
    st_cache_t            *c;
    ngx_steering_slot_t   *s;
    ngx_steering_shctx_t  *sh;

    sh = smcf->sh;

    ngx_shmtx_lock(&smcf->shpool->mutex);

    for (i = 0; i < fleet->ncaches; i++) {
        c = &fleet->caches[i];

        for (j = 0; j < sh->nslots; j++) {
            s = &sh->slots[j];

            if (s->id_len == c->id.len
                && ngx_memcmp(s->id, c->id.data, c->id.len) == 0)
            {
                break;
            }
        }

        if (j == sh->nslots) {
            if (sh->nslots == ST_MAX_CACHES) {
                ngx_shmtx_unlock(&smcf->shpool->mutex);
                ngx_log_error(NGX_LOG_ERR, log, 0,
                              "steering zone has no slot left for cache "
                              "\"%*s\": restart nginx to drop the ids of "
                              "caches no longer in the fleet", c->id.len,
                              c->id.data);
                return NGX_ERROR;
            }

            s = &sh->slots[sh->nslots++];
            s->id_len = (u_char) c->id.len;
            ngx_memcpy(s->id, c->id.data, c->id.len);
            s->word = 0;
        }

        slot[i] = j;
    }

    ngx_shmtx_unlock(&smcf->shpool->mutex);

    /* the metrics' names of new slots (a worker's fleet reload; at
     * configuration the metrics zone is not there yet: a worker's start
     * names them) */
    ngx_steering_metrics_names(smcf);

    return NGX_OK;
}


void
ngx_steering_live(ngx_steering_main_conf_t *smcf, st_live_t *live)
{
    time_t                 now, updated;
    uint64_t               w;
    ngx_uint_t             i, load;
    ngx_steering_fleet_t  *f;

    f = smcf->fleet;
    now = ngx_time();

    for (i = 0; i < f->fleet->ncaches; i++) {
        w = smcf->sh->slots[f->slot[i]].word;

        live[i].present = 0;

        if (!(w & NGX_STEERING_REPORTED)) {
            live[i].healthy = (smcf->max_age < 0);
            live[i].usable = live[i].healthy;
            live[i].load = 0;
            continue;
        }

        updated = (time_t) (w >> 32);
        load = w & 0xffff;

        live[i].healthy = (w & NGX_STEERING_HEALTHY)
                          && (smcf->max_age < 0
                              || now - updated <= smcf->max_age);
        live[i].load = (double) load / NGX_STEERING_LOAD_ONE;
        live[i].usable = live[i].healthy
                         && (load < smcf->max_load
                             || smcf->max_load == NGX_STEERING_LOAD_ONE);

        /* a report that aged out shows at the next decision */
        ngx_steering_metrics_cache(smcf, f->slot[i], w, now);
    }
}


ngx_int_t
ngx_steering_state_handler(ngx_http_request_t *r)
{
    ngx_int_t                  rc;
    ngx_steering_auth_t        a;
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);

    if (smcf->sh == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    /* who asks comes first: nothing, not even which ids exist, is said
     * to a caller without a credential (ngx_steering_auth.c) */

    if (ngx_steering_auth_header(r, &a) != NGX_OK) {
        /* read and dropped: a body left unread on a kept-alive
         * connection would be parsed as the next request */
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return ngx_steering_auth_refuse(r, &a);
    }

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD|NGX_HTTP_PUT))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    if (r->headers_in.content_length_n > NGX_STEERING_BODY_MAX) {
        rc = ngx_http_discard_request_body(r);
        if (rc != NGX_OK) {
            return rc;
        }

        return vodedge_json_error(r, NGX_HTTP_BAD_REQUEST,
                                  "bad_request",
                                  "the body is larger than 4096 "
                                  "bytes");
    }

    /* a GET's body too: the signature covers the body, empty or not */

    r->request_body_in_single_buf = 1;

    rc = ngx_http_read_client_request_body(r, ngx_steering_state_body);

    if (rc >= NGX_HTTP_SPECIAL_RESPONSE) {
        return rc;
    }

    return NGX_DONE;
}


static void
ngx_steering_state_body(ngx_http_request_t *r)
{
    u_char                    *body;
    size_t                     len;
    ngx_int_t                  rc;
    ngx_str_t                  id, rest;
    ngx_uint_t                 i;
    const char                *err;
    st_cache_t                *c;
    ngx_steering_auth_t        a;
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);

    rc = vodedge_body_read(r, NGX_STEERING_BODY_MAX, &body, &len);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_http_finalize_request(r,
            vodedge_json_error(r, NGX_HTTP_BAD_REQUEST, "bad_request",
                               "the body is larger than 4096 bytes"));
        return;
    }

    if (body == NULL) {
        body = (u_char *) "";
    }

    rc = ngx_steering_auth_verify(r, &a, body, len);

    if (rc != NGX_OK) {
        ngx_http_finalize_request(r,
            rc == NGX_DECLINED ? ngx_steering_auth_refuse(r, &a)
            : rc == NGX_BUSY ? vodedge_json_error(r,
                              NGX_HTTP_SERVICE_UNAVAILABLE,
                              "unavailable", "the steering zone is full")
            : NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    ngx_steering_fleet_refresh(smcf, r->connection->log);

    if (ngx_steering_title_default(r, &r->uri, &id, &rest) != NGX_OK
        && id.len != 0)
    {
        ngx_http_finalize_request(r,
            vodedge_json_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                               "no such cache"));
        return;
    }

    if (rest.len > 0 && !(rest.len == 1 && rest.data[0] == '/')) {
        ngx_http_finalize_request(r,
            vodedge_json_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                               "no such cache"));
        return;
    }

    c = NULL;

    if (id.len > 0) {
        c = st_fleet_find(smcf->fleet->fleet, id.data, id.len);

        if (c == NULL) {
            ngx_http_finalize_request(r,
                vodedge_json_error(r, NGX_HTTP_NOT_FOUND, "not_found",
                                   "no cache with this id in the "
                                   "fleet"));
            return;
        }
    }

    if (r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD)) {
        ngx_http_finalize_request(r, ngx_steering_state_get(r, &id));
        return;
    }

    if (c == NULL) {
        /* PUT /steering/caches/ */
        ngx_http_finalize_request(r, NGX_HTTP_NOT_ALLOWED);
        return;
    }

    i = c - smcf->fleet->fleet->caches;

    rc = ngx_steering_state_update(r, i, body, len, &err);

    if (rc == NGX_ERROR) {
        ngx_http_finalize_request(r, NGX_HTTP_INTERNAL_SERVER_ERROR);
        return;
    }

    if (rc == NGX_DECLINED) {
        ngx_log_error(NGX_LOG_WARN, r->connection->log, 0,
                      "steering state update of cache \"%V\" refused: %s",
                      &id, err);
        ngx_http_finalize_request(r,
            vodedge_json_error(r, NGX_HTTP_BAD_REQUEST, "bad_request",
                               err));
        return;
    }

    ngx_http_finalize_request(r, ngx_steering_state_get(r, &id));
}


/* NGX_OK: stored; NGX_DECLINED: malformed, *err says why, nothing
 * changed */

static ngx_int_t
ngx_steering_state_update(ngx_http_request_t *r, ngx_uint_t index,
    u_char *body, size_t len, const char **err)
{
    int                        rc;
    uint64_t                   old, w, load, healthy;
    ngx_int_t                  n;
    vod_env_t                  env;
    vod_json_t                *root, *v, *jload, *jhealthy;
    ngx_atomic_t              *word;
    vod_json_limits_t          limits;
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);

    vodedge_env_init(&env, r->pool);

    ngx_memzero(&limits, sizeof(vod_json_limits_t));
    limits.max_depth = 4;
    limits.max_nodes = 64;

    rc = vod_json_parse(&env, body, len, &limits, &root);

    if (rc == VOD_ERROR) {
        return NGX_ERROR;
    }

    if (rc != VOD_OK) {
        *err = "the body is not valid JSON";
        return NGX_DECLINED;
    }

    if (root->type != VOD_JSON_OBJECT) {
        *err = "the body is not a JSON object";
        return NGX_DECLINED;
    }

    jload = NULL;
    jhealthy = NULL;

    for (v = root->child; v != NULL; v = v->next) {
        if (v->key.len == 4 && ngx_strncmp(v->key.data, "load", 4) == 0
            && jload == NULL)
        {
            jload = v;

        } else if (v->key.len == 7
                   && ngx_strncmp(v->key.data, "healthy", 7) == 0
                   && jhealthy == NULL)
        {
            jhealthy = v;

        } else {
            *err = "an unknown or repeated member: expected \"load\" "
                   "and \"healthy\"";
            return NGX_DECLINED;
        }
    }

    if (jload == NULL && jhealthy == NULL) {
        *err = "neither \"load\" nor \"healthy\"";
        return NGX_DECLINED;
    }

    load = 0;

    if (jload != NULL) {
        if (jload->type != VOD_JSON_NUMBER) {
            *err = "\"load\" is not a number from 0 to 1";
            return NGX_DECLINED;
        }

        if (jload->is_integer) {
            n = jload->integer >= 0 && jload->integer <= 1
                ? (ngx_int_t) jload->integer * NGX_STEERING_LOAD_ONE : -1;

        } else if (jload->str.len > 0 && jload->str.data[0] != '-'
                   && ngx_strlchr(jload->str.data,
                                  jload->str.data + jload->str.len, 'e')
                      == NULL
                   && ngx_strlchr(jload->str.data,
                                  jload->str.data + jload->str.len, 'E')
                      == NULL)
        {
            n = ngx_atofp(jload->str.data, jload->str.len, 4);

        } else {
            n = -1;
        }

        if (n < 0 || n > NGX_STEERING_LOAD_ONE) {
            *err = "\"load\" is not a number from 0 to 1";
            return NGX_DECLINED;
        }

        load = n;
    }

    if (jhealthy != NULL && jhealthy->type != VOD_JSON_TRUE
        && jhealthy->type != VOD_JSON_FALSE)
    {
        *err = "\"healthy\" is not true or false";
        return NGX_DECLINED;
    }

    word = &smcf->sh->slots[smcf->fleet->slot[index]].word;

    do {
        old = *word;

        if (jload == NULL) {
            load = (old & NGX_STEERING_REPORTED) ? (old & 0xffff) : 0;
        }

        if (jhealthy != NULL) {
            healthy = (jhealthy->type == VOD_JSON_TRUE);

        } else {
            /* a load report says the cache is alive, unless it said
             * otherwise before */
            healthy = !(old & NGX_STEERING_REPORTED)
                      || (old & NGX_STEERING_HEALTHY);
        }

        w = ((uint64_t) ngx_time() << 32) | NGX_STEERING_REPORTED
            | (healthy ? NGX_STEERING_HEALTHY : 0) | load;

    } while (!ngx_atomic_cmp_set(word, old, w));

    ngx_steering_metrics_cache(smcf, smcf->fleet->slot[index], w,
                               ngx_time());

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "steering state of cache \"%*s\": %s, load %ui.%04ui",
                  smcf->fleet->fleet->caches[index].id.len,
                  smcf->fleet->fleet->caches[index].id.data,
                  healthy ? "healthy" : "unhealthy",
                  (ngx_uint_t) (load / NGX_STEERING_LOAD_ONE),
                  (ngx_uint_t) (load % NGX_STEERING_LOAD_ONE));

    return NGX_OK;
}


static ngx_int_t
ngx_steering_state_get(ngx_http_request_t *r, ngx_str_t *id)
{
    size_t                     size;
    ngx_buf_t                 *b;
    ngx_uint_t                 i, n;
    st_fleet_t                *fleet;
    ngx_steering_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_steering_module);
    fleet = smcf->fleet->fleet;

    n = id->len ? 1 : fleet->ncaches;
    size = sizeof("{\"caches\":[]}\n") + n * (NGX_STEERING_STATE_JSON_LEN + 1);

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (id->len) {
        i = st_fleet_find(fleet, id->data, id->len) - fleet->caches;
        b->last = ngx_steering_state_json(b->last, smcf, i);

    } else {
        b->last = ngx_cpymem(b->last, "{\"caches\":[", 11);

        for (i = 0; i < fleet->ncaches; i++) {
            if (i > 0) {
                *b->last++ = ',';
            }

            b->last = ngx_steering_state_json(b->last, smcf, i);
        }

        b->last = ngx_cpymem(b->last, "]}", 2);
    }

    *b->last++ = '\n';

    return vodedge_json_send(r, NGX_HTTP_OK, b);
}


static u_char *
ngx_steering_state_json(u_char *p, ngx_steering_main_conf_t *smcf,
    ngx_uint_t i)
{
    time_t       updated;
    uint64_t     w;
    st_live_t    live[ST_MAX_CACHES];
    st_cache_t  *c;

    c = &smcf->fleet->fleet->caches[i];
    w = smcf->sh->slots[smcf->fleet->slot[i]].word;

    ngx_steering_live(smcf, live);

    p = ngx_sprintf(p, "{\"id\":\"%*s\",\"tier\":\"%s\",\"url\":\"",
                    c->id.len, c->id.data, st_tier_name(c->tier));
    p = (u_char *) ngx_escape_json(p, c->url.data, c->url.len);
    p = ngx_sprintf(p, "\",\"healthy\":%s,\"usable\":%s,\"load\":%ui.%04ui",
                    live[i].healthy ? "true" : "false",
                    live[i].usable ? "true" : "false",
                    (ngx_uint_t) ((w & 0xffff) / NGX_STEERING_LOAD_ONE),
                    (ngx_uint_t) ((w & 0xffff) % NGX_STEERING_LOAD_ONE));

    if (w & NGX_STEERING_REPORTED) {
        updated = (time_t) (w >> 32);
        p = ngx_sprintf(p, ",\"age\":%T,\"reported\":true}",
                        ngx_time() - updated);

    } else {
        p = ngx_sprintf(p, ",\"age\":null,\"reported\":false}");
    }

    return p;
}
