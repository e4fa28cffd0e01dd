/*
 * fuzz_redis.c: libFuzzer target for the Redis reply handling the modules
 * share: the input is the byte stream a Redis (or anything on the path to
 * it) sends back, read by hiredis' reply reader as the nginx adapter's
 * read handler does, and every reply (and every element of it, at any
 * depth) goes through vodedge_reply.c as the modules' handlers use it:
 * an integer or counter, a cache's state hash, a SCAN cursor.  Each answer
 * is checked against what vodedge_reply.h promises.
 */

#include <stdlib.h>
#include <string.h>

#include "vodedge_reply.h"


#define FUZZ_REDIS_CURSOR_MAX  32

/*
 * hiredis 0.14's reader allocates an array's element pointers as soon as
 * it reads the "*N" header (8 bytes each, before any element arrives: a
 * 12-byte input asks for gigabytes), and has no limit to set (1.0 added
 * maxelements).  That is the library's, in front of a server the
 * operator runs; inputs declaring larger arrays than any reply of ours
 * are skipped so that the fuzzer explores our handling, not malloc.
 */
#define FUZZ_REDIS_ELEMENTS_MAX  (1 << 16)


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
static void fuzz_redis_walk(const redisReply *r, unsigned depth);
static int fuzz_redis_inside(const char *p, size_t len,
    const redisReply *r);
static int fuzz_redis_huge_array(const uint8_t *data, size_t size);


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void         *reply;
    size_t        chunk, off;
    redisReader  *reader;

    if (fuzz_redis_huge_array(data, size)) {
        return 0;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        return 0;
    }

    /* fed in pieces, as reads from a socket come; the first byte sets
     * the size of the pieces */

    chunk = size > 0 ? (size_t) data[0] % 64 + 1 : 1;

    for (off = 0; off < size; off += chunk) {
        if (redisReaderFeed(reader, (const char *) data + off,
                            size - off < chunk ? size - off : chunk)
            != REDIS_OK)
        {
            break;
        }

        for ( ;; ) {
            reply = NULL;

            if (redisReaderGetReply(reader, &reply) != REDIS_OK) {
                /* a protocol error: the adapter drops the connection */
                goto done;
            }

            if (reply == NULL) {
                break;
            }

            fuzz_redis_walk(reply, 0);
            freeReplyObject(reply);
        }
    }

done:

    redisReaderFree(reader);

    return 0;
}


static void
fuzz_redis_walk(const redisReply *r, unsigned depth)
{
    size_t                  i, len;
    int64_t                 n;
    const char             *cursor;
    vodedge_reply_state_t   st;

    switch (vodedge_reply_int(r, &n)) {
    case VODEDGE_REPLY_OK:
        if (r->type == REDIS_REPLY_STRING
            && (n < 0 || r->len == 0 || r->len > VODEDGE_REPLY_INT_LEN))
        {
            abort();
        }

        if (r->type == REDIS_REPLY_INTEGER && n != r->integer) {
            abort();
        }

        break;

    case VODEDGE_REPLY_NONE:
        if (r->type != REDIS_REPLY_NIL) {
            abort();
        }

        break;

    case VODEDGE_REPLY_BAD:
        break;

    default:
        abort();
    }

    switch (vodedge_reply_state(r, &st)) {
    case VODEDGE_REPLY_OK:
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
            || !fuzz_redis_inside(st.load, st.load_len, r->element[0])
            || !fuzz_redis_inside(st.updated, st.updated_len, r->element[2]))
        {
            abort();
        }

        break;

    case VODEDGE_REPLY_NONE:
        if (r->type != REDIS_REPLY_ARRAY || r->elements != 3
            || r->element[0]->type != REDIS_REPLY_NIL
            || r->element[1]->type != REDIS_REPLY_NIL
            || r->element[2]->type != REDIS_REPLY_NIL)
        {
            abort();
        }

        break;

    case VODEDGE_REPLY_BAD:
        break;

    default:
        abort();
    }

    if (vodedge_reply_cursor(r, FUZZ_REDIS_CURSOR_MAX, &cursor, &len)
        == VODEDGE_REPLY_OK)
    {
        if (len == 0 || len >= FUZZ_REDIS_CURSOR_MAX
            || !fuzz_redis_inside(cursor, len, r->element[0]))
        {
            abort();
        }
    }

    if (depth > 16 || r->type != REDIS_REPLY_ARRAY) {
        return;
    }

    for (i = 0; i < r->elements; i++) {
        fuzz_redis_walk(r->element[i], depth + 1);
    }
}


/* p, len lie in the string of reply e: ASan checks the bytes are there */

static int
fuzz_redis_inside(const char *p, size_t len, const redisReply *e)
{
    volatile char  c;
    size_t         i;

    if (e->type != REDIS_REPLY_STRING || p != e->str || len != e->len) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        c = p[i];
    }

    (void) c;

    return 1;
}


/* any "*N" with N over FUZZ_REDIS_ELEMENTS_MAX, wherever it stands (the
 * reader may take bulk data for a header after a protocol error) */

static int
fuzz_redis_huge_array(const uint8_t *data, size_t size)
{
    size_t    i, j;
    uint64_t  n;

    for (i = 0; i < size; i++) {
        if (data[i] != '*') {
            continue;
        }

        n = 0;

        for (j = i + 1; j < size && data[j] >= '0' && data[j] <= '9'; j++) {
            n = n * 10 + (data[j] - '0');

            if (n > FUZZ_REDIS_ELEMENTS_MAX) {
                return 1;
            }
        }
    }

    return 0;
}
