/*
 * ngx_stream_playback_scripts.c: the playback API's server-side Lua
 * scripts.  Each changes its keys together, atomically; each is loaded
 * (SCRIPT LOAD) on every new Redis connection and called by its SHA-1
 * (EVALSHA), computed here at configuration time; a NOSCRIPT answer is
 * retried once with the text (EVAL), see ngx_stream_playback_api.c.
 *
 * Keys (README "Redis schema"), each the account's first ({account}: the
 * token's sub, escaped, in braces: a Redis Cluster hash tag, so that the
 * keys of a script share a slot): hash playback:{account}:{profile}:
 * {title} (position, duration, last_updated, session_id, device), sorted
 * set continue_watching:{account}:{profile} (titles by last_updated),
 * sorted set streams:{account} (session ids by last heartbeat, Redis' own
 * clock in ms), hash streams:{account}:devices (session id to device) and
 * string session:{account}:{session}, which lives exactly as long as the
 * session: set for the grace when the slot is taken, its life renewed by
 * each heartbeat, deleted when playback ends.  The media path asks for it
 * (ngx_stream_playback_session.c).  Beside them, the edge's claims of the
 * titles it serves: sorted set content:<title>:caches (cache ids by the
 * claim's expiry), which steering reads (playback_report presence=).
 */

#include <ngx_config.h>
#include <ngx_core.h>
#include "ngx_stream_playback_api.h"

#include <openssl/sha.h>


/* the time of Redis in ms: one clock for every edge */
#define NGX_PLAYBACK_LUA_NOW                                                 \
    "local t = redis.call('TIME')\n"                                         \
    "local now = t[1] * 1000 + math.floor(t[2] / 1000)\n"


static ngx_str_t  ngx_stream_playback_script_texts[NGX_PLAYBACK_SCRIPTS] = {

    /* RESUME_SET: KEYS playback, continue_watching, streams, session;
     * ARGV position, duration, updated_at, session_id ("" none), device,
     * ttl, title, grace (ms).  A heartbeat of a live session renews it
     * and its stream slot (one that ended stays ended); the position is
     * written unless a newer one (by updated_at) is there: last writer
     * wins.  1: written, 0: older than what is stored. */

    ngx_string(
        "if ARGV[4] ~= '' and redis.call('PEXPIRE', KEYS[4], ARGV[8]) == 1"
        " then\n"
        NGX_PLAYBACK_LUA_NOW
        "  redis.call('ZADD', KEYS[3], 'XX', now, ARGV[4])\n"
        "end\n"
        "local last = redis.call('HGET', KEYS[1], 'last_updated')\n"
        "if last and tonumber(last) > tonumber(ARGV[3]) then\n"
        "  return 0\n"
        "end\n"
        "redis.call('HSET', KEYS[1], 'position', ARGV[1], 'duration',"
        " ARGV[2], 'last_updated', ARGV[3], 'session_id', ARGV[4],"
        " 'device', ARGV[5])\n"
        "redis.call('EXPIRE', KEYS[1], ARGV[6])\n"
        "local p, d = tonumber(ARGV[1]), tonumber(ARGV[2])\n"
        "if p * 20 >= d and p * 20 <= d * 19 then\n"
        "  redis.call('ZADD', KEYS[2], ARGV[3], ARGV[7])\n"
        "  redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -51)\n"
        "  redis.call('EXPIRE', KEYS[2], ARGV[6])\n"
        "else\n"
        "  redis.call('ZREM', KEYS[2], ARGV[7])\n"
        "end\n"
        "return 1\n"),

    /* RESUME_DEL: KEYS playback, continue_watching; ARGV title */

    ngx_string(
        "redis.call('DEL', KEYS[1])\n"
        "redis.call('ZREM', KEYS[2], ARGV[1])\n"
        "return 1\n"),

    /* CONTINUE: KEYS continue_watching, then the playback hash of each
     * title; ARGV the titles (the 50 most recent, ZREVRANGE'd by the
     * caller: a script declares every key it reads, as Redis Cluster
     * asks).  Each {title, position, duration, last_updated, device}; a
     * title whose hash expired leaves the set. */

    ngx_string(
        "local out = {}\n"
        "for i, t in ipairs(ARGV) do\n"
        "  local h = redis.call('HMGET', KEYS[i + 1], 'position',"
        " 'duration', 'last_updated', 'device')\n"
        "  if h[1] and h[2] then\n"
        "    out[#out + 1] = {t, h[1], h[2], h[3] or '0', h[4] or ''}\n"
        "  else\n"
        "    redis.call('ZREM', KEYS[1], t)\n"
        "  end\n"
        "end\n"
        "return out\n"),

    /* STREAM_ACQUIRE: KEYS streams, devices, session; ARGV session,
     * device, limit, grace (ms).  Slots silent for longer than grace are
     * freed first (their session keys expired by themselves).
     * {1}: the session holds a slot; {0, session, device, last, ...}: the
     * limit is reached by these. */

    ngx_string(
        NGX_PLAYBACK_LUA_NOW
        "local cutoff = now - tonumber(ARGV[4])\n"
        "local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf',"
        " '(' .. cutoff)\n"
        "if #old > 0 then\n"
        "  redis.call('ZREM', KEYS[1], unpack(old))\n"
        "  redis.call('HDEL', KEYS[2], unpack(old))\n"
        "end\n"
        "if redis.call('ZSCORE', KEYS[1], ARGV[1])"
        " or redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[3]) then\n"
        "  redis.call('ZADD', KEYS[1], now, ARGV[1])\n"
        "  redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])\n"
        "  redis.call('SET', KEYS[3], '1', 'PX', ARGV[4])\n"
        "  redis.call('EXPIRE', KEYS[1], 86400)\n"
        "  redis.call('EXPIRE', KEYS[2], 86400)\n"
        "  return {1}\n"
        "end\n"
        "local out = {0}\n"
        "local live = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')\n"
        "for i = 1, #live, 2 do\n"
        "  out[#out + 1] = live[i]\n"
        "  out[#out + 1] = redis.call('HGET', KEYS[2], live[i]) or ''\n"
        "  out[#out + 1] = live[i + 1]\n"
        "end\n"
        "return out\n"),

    /* STREAM_RELEASE: KEYS streams, devices, session; ARGV session.
     * 1: freed */

    ngx_string(
        "redis.call('DEL', KEYS[3])\n"
        "redis.call('HDEL', KEYS[2], ARGV[1])\n"
        "return redis.call('ZREM', KEYS[1], ARGV[1])\n"),

    /* PRESENCE: KEYS content:<title>:caches; ARGV cache id, life (ms).
     * The cache claims the title until Redis' now plus life (the score:
     * Unix seconds, with a fraction), claims already lapsed are trimmed,
     * and the key lives at least as long as this claim; a key without
     * an expiry (an operator's) keeps none.  0: the key is not a sorted
     * set (an operator's set of the title, left alone); 1: claimed
     * (ngx_stream_playback_presence.c) */

    ngx_string(
        "local t = redis.call('TYPE', KEYS[1]).ok\n"
        "if t ~= 'zset' and t ~= 'none' then\n"
        "  return 0\n"
        "end\n"
        "local before = redis.call('PTTL', KEYS[1])\n"
        "local now = redis.call('TIME')\n"
        "now = now[1] + now[2] / 1000000\n"
        "local life = tonumber(ARGV[2])\n"
        "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
        "redis.call('ZADD', KEYS[1], now + life / 1000, ARGV[1])\n"
        "if before ~= -1 and redis.call('PTTL', KEYS[1]) < life then\n"
        "  redis.call('PEXPIRE', KEYS[1], life)\n"
        "end\n"
        "return 1\n"),
};


ngx_int_t
ngx_stream_playback_scripts_init(ngx_conf_t *cf,
    ngx_stream_playback_main_conf_t *pmcf)
{
    ngx_uint_t                     i;
    ngx_stream_playback_script_t  *s;
    u_char                         md[SHA_DIGEST_LENGTH];

    s = ngx_palloc(cf->pool,
                   NGX_PLAYBACK_SCRIPTS * sizeof(ngx_stream_playback_script_t));
    if (s == NULL) {
        return NGX_ERROR;
    }

    for (i = 0; i < NGX_PLAYBACK_SCRIPTS; i++) {
        s[i].text = ngx_stream_playback_script_texts[i];

        SHA1(s[i].text.data, s[i].text.len, md);
        ngx_hex_dump(s[i].sha, md, SHA_DIGEST_LENGTH);
    }

    pmcf->scripts = s;

    return NGX_OK;
}


/* on every new connection, before the commands of requests */

void
ngx_stream_playback_scripts_load(vodedge_redis_client_t *client, void *data)
{
    ngx_stream_playback_main_conf_t *pmcf = data;

    ngx_uint_t  i;

    for (i = 0; i < NGX_PLAYBACK_SCRIPTS; i++) {
        if (vodedge_redis_command(client, NULL, NULL, 0, "SCRIPT LOAD %b",
                                  pmcf->scripts[i].text.data,
                                  pmcf->scripts[i].text.len)
            == NULL)
        {
            ngx_log_error(NGX_LOG_WARN, ngx_cycle->log, 0,
                          "redis %V: cannot send SCRIPT LOAD; scripts go "
                          "as EVAL when needed", vodedge_redis_name(client));
            return;
        }
    }
}
