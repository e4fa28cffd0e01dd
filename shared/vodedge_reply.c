/*
 * vodedge_reply.c: the shapes of the Redis replies the modules read (see
 * vodedge_reply.h).  No nginx here: the fuzzer compiles this file alone.
 */

#include <string.h>

#include "vodedge_reply.h"


int
vodedge_reply_int(const redisReply *reply, int64_t *n)
{
    size_t   i;
    int64_t  v;

    if (reply == NULL || reply->type == REDIS_REPLY_NIL) {
        return VODEDGE_REPLY_NONE;
    }

    if (reply->type == REDIS_REPLY_INTEGER) {
        *n = reply->integer;
        return VODEDGE_REPLY_OK;
    }

    if (reply->type != REDIS_REPLY_STRING || reply->len == 0
        || reply->len > VODEDGE_REPLY_INT_LEN)
    {
        return VODEDGE_REPLY_BAD;
    }

    v = 0;

    for (i = 0; i < reply->len; i++) {
        if (reply->str[i] < '0' || reply->str[i] > '9') {
            return VODEDGE_REPLY_BAD;
        }

        v = v * 10 + (reply->str[i] - '0');
    }

    *n = v;

    return VODEDGE_REPLY_OK;
}


int
vodedge_reply_state(const redisReply *fields, vodedge_reply_state_t *st)
{
    size_t       i;
    redisReply  *f[3];

    if (fields == NULL || fields->type != REDIS_REPLY_ARRAY
        || fields->elements != 3)
    {
        return VODEDGE_REPLY_BAD;
    }

    for (i = 0; i < 3; i++) {
        f[i] = fields->element[i];

        if (f[i]->type == REDIS_REPLY_NIL) {
            /* no hash for this cache: nothing reported through Redis */
            return (i == 0 && fields->element[1]->type == REDIS_REPLY_NIL
                    && fields->element[2]->type == REDIS_REPLY_NIL)
                   ? VODEDGE_REPLY_NONE : VODEDGE_REPLY_BAD;
        }

        if (f[i]->type != REDIS_REPLY_STRING) {
            return VODEDGE_REPLY_BAD;
        }
    }

    if ((f[1]->len == 1 && f[1]->str[0] == '1')
        || (f[1]->len == 4 && memcmp(f[1]->str, "true", 4) == 0))
    {
        st->healthy = 1;

    } else if ((f[1]->len == 1 && f[1]->str[0] == '0')
               || (f[1]->len == 5 && memcmp(f[1]->str, "false", 5) == 0))
    {
        st->healthy = 0;

    } else {
        return VODEDGE_REPLY_BAD;
    }

    st->load = f[0]->str;
    st->load_len = f[0]->len;
    st->updated = f[2]->str;
    st->updated_len = f[2]->len;

    return VODEDGE_REPLY_OK;
}


int
vodedge_reply_cursor(const redisReply *reply, size_t max,
    const char **cursor, size_t *len)
{
    if (reply == NULL || reply->type != REDIS_REPLY_ARRAY
        || reply->elements < 1
        || reply->element[0]->type != REDIS_REPLY_STRING
        || reply->element[0]->len == 0
        || reply->element[0]->len >= max)
    {
        return VODEDGE_REPLY_BAD;
    }

    *cursor = reply->element[0]->str;
    *len = reply->element[0]->len;

    return VODEDGE_REPLY_OK;
}
