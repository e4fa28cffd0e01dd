/*
 * vodedge_redis_conf.c: a Redis directive's arguments (the address,
 * Sentinel's master name and sentinels, or Cluster's seed nodes; timeouts,
 * backoff, credentials),
 * all resolved and read at configuration time.  See vodedge_redis.h.
 */

#include <ngx_config.h>
#include <ngx_core.h>

#include "vodedge_redis_int.h"
#include "vodedge_secret.h"


static ngx_int_t vodedge_redis_addr(ngx_conf_t *cf, ngx_str_t *arg,
    in_port_t default_port, vodedge_redis_addr_t *addr);
static char *vodedge_redis_password(ngx_conf_t *cf, ngx_str_t *name,
    vodedge_redis_conf_t *conf);


char *
vodedge_redis_parse(ngx_conf_t *cf, ngx_str_t *args, ngx_uint_t first,
    ngx_uint_t nargs, vodedge_redis_conf_t *conf)
{
    ngx_int_t              ms;
    ngx_str_t              s;
    ngx_uint_t             i;
    vodedge_redis_addr_t  *addr;

    conf->name = args[first];
    conf->connect_timeout = VODEDGE_REDIS_CONNECT_TIMEOUT;
    conf->command_timeout = VODEDGE_REDIS_COMMAND_TIMEOUT;
    conf->backoff_min = VODEDGE_REDIS_BACKOFF_MIN;
    conf->backoff_max = VODEDGE_REDIS_BACKOFF_MAX;

    if (args[first].len >= 9
        && ngx_strncmp(args[first].data, "sentinel:", 9) == 0)
    {
        conf->master.data = args[first].data + 9;
        conf->master.len = args[first].len - 9;

        conf->sentinels = ngx_array_create(cf->pool, 3,
                                           sizeof(vodedge_redis_addr_t));
        if (conf->sentinels == NULL) {
            return NGX_CONF_ERROR;
        }

        /* the sentinels: the arguments up to the first parameter */

        for (i = first + 1; i < nargs; i++) {

            if (ngx_strlchr(args[i].data, args[i].data + args[i].len, '=')
                != NULL)
            {
                break;
            }

            addr = ngx_array_push(conf->sentinels);
            if (addr == NULL) {
                return NGX_CONF_ERROR;
            }

            if (vodedge_redis_addr(cf, &args[i], 26379, addr) != NGX_OK) {
                return NGX_CONF_ERROR;
            }
        }

        if (conf->master.len == 0 || conf->sentinels->nelts == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\" needs a master name and at least "
                               "one sentinel address after it",
                               &args[first]);
            return NGX_CONF_ERROR;
        }

    } else if (args[first].len == 7
               && ngx_strncmp(args[first].data, "cluster", 7) == 0)
    {
        conf->seeds = ngx_array_create(cf->pool, 3,
                                       sizeof(vodedge_redis_addr_t));
        if (conf->seeds == NULL) {
            return NGX_CONF_ERROR;
        }

        /* the seed nodes: the arguments up to the first parameter; TCP
         * only, as the nodes name each other by address and port */

        for (i = first + 1; i < nargs; i++) {

            if (ngx_strlchr(args[i].data, args[i].data + args[i].len, '=')
                != NULL)
            {
                break;
            }

            addr = ngx_array_push(conf->seeds);
            if (addr == NULL) {
                return NGX_CONF_ERROR;
            }

            if (vodedge_redis_addr(cf, &args[i], 6379, addr) != NGX_OK) {
                return NGX_CONF_ERROR;
            }

            if (addr->port == 0) {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "a Redis Cluster node is a host:port, "
                                   "not \"%V\"", &args[i]);
                return NGX_CONF_ERROR;
            }
        }

        if (conf->seeds->nelts == 0) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"cluster\" needs the address of at "
                               "least one of its nodes after it");
            return NGX_CONF_ERROR;
        }

    } else {
        if (vodedge_redis_addr(cf, &args[first], 6379, &conf->server)
            != NGX_OK)
        {
            return NGX_CONF_ERROR;
        }

        i = first + 1;
    }

    for ( /* void */ ; i < nargs; i++) {

        if (args[i].len > 16
            && ngx_strncmp(args[i].data, "connect_timeout=", 16) == 0)
        {
            s.data = args[i].data + 16;
            s.len = args[i].len - 16;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            conf->connect_timeout = ms;
            continue;
        }

        if (args[i].len > 16
            && ngx_strncmp(args[i].data, "command_timeout=", 16) == 0)
        {
            s.data = args[i].data + 16;
            s.len = args[i].len - 16;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms == 0) {
                goto invalid;
            }

            conf->command_timeout = ms;
            continue;
        }

        if (args[i].len > 5 && ngx_strncmp(args[i].data, "user=", 5) == 0) {
            conf->user.data = args[i].data + 5;
            conf->user.len = args[i].len - 5;
            continue;
        }

        if (args[i].len > 14
            && ngx_strncmp(args[i].data, "password_file=", 14) == 0)
        {
            s.data = args[i].data + 14;
            s.len = args[i].len - 14;

            if (vodedge_redis_password(cf, &s, conf) != NGX_CONF_OK) {
                return NGX_CONF_ERROR;
            }

            continue;
        }

        if (args[i].len > 8
            && ngx_strncmp(args[i].data, "backoff=", 8) == 0)
        {
            s.data = args[i].data + 8;
            s.len = args[i].len - 8;

            ms = ngx_parse_time(&s, 0);
            if (ms == NGX_ERROR || ms < VODEDGE_REDIS_BACKOFF_MIN) {
                goto invalid;
            }

            conf->backoff_max = ms;
            continue;
        }

        goto invalid;
    }

    if (conf->user.len && conf->password.len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis \"user=%V\" needs a \"password_file=\"",
                           &conf->user);
        return NGX_CONF_ERROR;
    }

    return NGX_CONF_OK;

invalid:

    ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                       "invalid Redis parameter \"%V\": expected "
                       "connect_timeout=<time>, command_timeout=<time>, "
                       "backoff=<time of at least 100ms>, user=<name> or "
                       "password_file=<path>", &args[i]);
    return NGX_CONF_ERROR;
}


/* "host:port" (a host name resolved here, at configuration time: never
 * in a worker) or "unix:/path" */

static ngx_int_t
vodedge_redis_addr(ngx_conf_t *cf, ngx_str_t *arg, in_port_t default_port,
    vodedge_redis_addr_t *addr)
{
    u_char     *p;
    ngx_url_t   u;

    addr->name = *arg;

    if (arg->len > 5 && ngx_strncmp(arg->data, "unix:", 5) == 0) {
        addr->host.len = arg->len - 5;
        addr->host.data = ngx_pnalloc(cf->pool, addr->host.len + 1);
        if (addr->host.data == NULL) {
            return NGX_ERROR;
        }

        ngx_memcpy(addr->host.data, arg->data + 5, addr->host.len);
        addr->host.data[addr->host.len] = '\0';
        addr->port = 0;

        return NGX_OK;
    }

    ngx_memzero(&u, sizeof(ngx_url_t));

    u.url = *arg;
    u.default_port = default_port;

    if (ngx_parse_url(cf->pool, &u) != NGX_OK || u.naddrs == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Redis address \"%V\": %s", arg,
                           u.err ? u.err : "no address found");
        return NGX_ERROR;
    }

    if (u.no_port && u.family == AF_UNIX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "invalid Redis address \"%V\"", arg);
        return NGX_ERROR;
    }

    p = ngx_pnalloc(cf->pool, NGX_SOCKADDR_STRLEN + 1);
    if (p == NULL) {
        return NGX_ERROR;
    }

    addr->host.data = p;
    addr->host.len = ngx_sock_ntop(u.addrs[0].sockaddr, u.addrs[0].socklen,
                                   p, NGX_SOCKADDR_STRLEN, 0);
    p[addr->host.len] = '\0';
    addr->port = ngx_inet_get_port(u.addrs[0].sockaddr);

    return NGX_OK;
}


/* the file's content without one trailing newline: a password with a
 * line break, a NUL or nothing in it is refused, as it is surely a wrong
 * file */

static char *
vodedge_redis_password(ngx_conf_t *cf, ngx_str_t *name,
    vodedge_redis_conf_t *conf)
{
    char     *rc;
    size_t    len;
    ssize_t   n;
    u_char    buf[VODEDGE_REDIS_PASSWORD_MAX];

    rc = NGX_CONF_ERROR;

    n = vodedge_secret_read(cf, "Redis password file", name, buf,
                            sizeof(buf));
    if (n == NGX_ERROR) {
        goto done;
    }

    len = (size_t) n;

    if (len && buf[len - 1] == '\n') {
        len--;

        if (len && buf[len - 1] == '\r') {
            len--;
        }
    }

    if (len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis password file \"%s\" is empty",
                           name->data);
        goto done;
    }

    if (ngx_strlchr(buf, buf + len, '\n') != NULL
        || ngx_strlchr(buf, buf + len, '\r') != NULL
        || ngx_strlchr(buf, buf + len, '\0') != NULL)
    {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "Redis password file \"%s\" holds more than "
                           "one line", name->data);
        goto done;
    }

    conf->password.data = ngx_pnalloc(cf->pool, len);
    if (conf->password.data == NULL) {
        goto done;
    }

    ngx_memcpy(conf->password.data, buf, len);
    conf->password.len = len;

    rc = NGX_CONF_OK;

done:

    ngx_explicit_memzero(buf, sizeof(buf));

    return rc;
}
