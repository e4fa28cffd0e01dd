/*
 * vod_json.h: the shared kit's small strict JSON parser (RFC 8259), for
 * every module: the packager's title.json, the edge's tokens, rights file
 * and API bodies, the steering fleet file and state updates.
 *
 * The input is parsed into a tree of nodes allocated through env->alloc.
 * Strings without escapes point into the input; strings with escapes are
 * decoded (\uXXXX and surrogate pairs to UTF-8) into env memory.  The
 * parser never reads past len, needs no NUL terminator, and bounds both
 * nesting depth and node count, so hostile input costs a known amount of
 * memory and stack.
 */

#ifndef _VOD_JSON_H_INCLUDED_
#define _VOD_JSON_H_INCLUDED_


#include "vod_core.h"


#define VOD_JSON_NULL      0
#define VOD_JSON_FALSE     1
#define VOD_JSON_TRUE      2
#define VOD_JSON_NUMBER    3
#define VOD_JSON_STRING    4
#define VOD_JSON_ARRAY     5
#define VOD_JSON_OBJECT    6

#define VOD_JSON_MAX_DEPTH   64
#define VOD_JSON_MAX_NODES   (64 * 1024)


typedef struct vod_json_s  vod_json_t;

struct vod_json_s {
    uint32_t      type;               /* VOD_JSON_* */
    uint32_t      count;              /* array: elements; object: members */
    size_t        pos;                /* byte offset of the value */
    vod_str_t     key;                /* member name inside an object */
    vod_str_t     str;                /* string: decoded text;
                                         number: its text as written */
    int64_t       integer;            /* number: value if is_integer */
    unsigned      is_integer:1;       /* number without fraction or
                                         exponent that fits int64_t */
    vod_json_t   *child;              /* first element or member */
    vod_json_t   *next;               /* next sibling */
};


typedef struct {
    uint32_t      max_depth;          /* 0: VOD_JSON_MAX_DEPTH */
    uint32_t      max_nodes;          /* 0: VOD_JSON_MAX_NODES */
    size_t        err_pos;            /* set on failure: byte offset */
    const char   *err;                /* set on failure: static reason */
} vod_json_limits_t;


/* Parse one JSON value surrounded by optional whitespace (a leading UTF-8
 * byte order mark is skipped).  VOD_BAD_DATA with limits->err and
 * limits->err_pos set for malformed input or an exceeded limit,
 * VOD_ERROR when env->alloc fails. */
int vod_json_parse(vod_env_t *env, const u_char *buf, size_t len,
    vod_json_limits_t *limits, vod_json_t **root);

/* The first member of an object named key, or NULL. */
vod_json_t *vod_json_get(const vod_json_t *obj, const char *key);

/* How many members of an object are named key. */
uint32_t vod_json_key_count(const vod_json_t *obj, const char *key);

/* Human-readable name of a VOD_JSON_* type for log lines. */
const char *vod_json_type_name(uint32_t type);


#endif /* _VOD_JSON_H_INCLUDED_ */
