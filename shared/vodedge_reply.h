/*
 * vodedge_reply.h: the shapes of the Redis replies the modules read,
 * checked without nginx, so the modules and the fuzzer (shared/fuzz/
 * fuzz_redis.c, fed whatever bytes a Redis or the network could send)
 * run the same code.
 *
 * A reply is hiredis' redisReply; what these give points into it and lives
 * as long as it does.
 */

#ifndef _VODEDGE_REPLY_H_INCLUDED_
#define _VODEDGE_REPLY_H_INCLUDED_


#include <stddef.h>
#include <stdint.h>

#include <hiredis/hiredis.h>


#define VODEDGE_REPLY_OK     0
#define VODEDGE_REPLY_NONE   1     /* nil: no such key, field or hash */
#define VODEDGE_REPLY_BAD    2     /* a reply of another shape */

/* the longest decimal a string reply may hold as an integer */
#define VODEDGE_REPLY_INT_LEN  18


/* HMGET load healthy updated of a cache's state hash */
typedef struct {
    const char  *load;             /* as stored, not parsed */
    size_t       load_len;
    const char  *updated;          /* as stored, not parsed */
    size_t       updated_len;
    unsigned     healthy:1;
} vodedge_reply_state_t;


/* An integer reply, or a string of 1 to VODEDGE_REPLY_INT_LEN digits;
 * NONE for a missing reply or nil. */
int vodedge_reply_int(const redisReply *reply, int64_t *n);

/* The three fields: each a string, healthy "1", "0", "true" or "false";
 * NONE when all three are nil (no hash), BAD for anything else. */
int vodedge_reply_state(const redisReply *fields, vodedge_reply_state_t *st);

/* The cursor of a SCAN reply {cursor, ...}: a string of 1 to max - 1
 * bytes. */
int vodedge_reply_cursor(const redisReply *reply, size_t max,
    const char **cursor, size_t *len);


#endif /* _VODEDGE_REPLY_H_INCLUDED_ */
