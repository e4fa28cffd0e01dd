/*
 * vod_json.c: strict JSON (RFC 8259) into a node tree.
 */

#include "vod_json.h"


typedef struct {
    vod_env_t           *env;
    const u_char        *start;
    const u_char        *p;
    const u_char        *end;
    vod_json_limits_t   *limits;
    uint32_t             nodes;
    uint32_t             depth;
} vod_json_ctx_t;


static int vod_json_fail(vod_json_ctx_t *ctx, const u_char *at,
    const char *err);
static void vod_json_skip_ws(vod_json_ctx_t *ctx);
static int vod_json_node(vod_json_ctx_t *ctx, uint32_t type,
    vod_json_t **out);
static int vod_json_value(vod_json_ctx_t *ctx, vod_json_t **out);
static int vod_json_container(vod_json_ctx_t *ctx, vod_json_t *node);
static int vod_json_literal(vod_json_ctx_t *ctx, const char *word,
    size_t len);
static int vod_json_number(vod_json_ctx_t *ctx, vod_json_t *node);
static int vod_json_string(vod_json_ctx_t *ctx, vod_str_t *str);
static int vod_json_hex4(const u_char *p, uint32_t *cp);
static size_t vod_json_utf8_len(const u_char *p, const u_char *end);
static u_char *vod_json_put_utf8(u_char *d, uint32_t cp);


int
vod_json_parse(vod_env_t *env, const u_char *buf, size_t len,
    vod_json_limits_t *limits, vod_json_t **root)
{
    int              rc;
    vod_json_ctx_t   ctx;

    if (limits->max_depth == 0) {
        limits->max_depth = VOD_JSON_MAX_DEPTH;
    }

    if (limits->max_nodes == 0) {
        limits->max_nodes = VOD_JSON_MAX_NODES;
    }

    limits->err = NULL;
    limits->err_pos = 0;

    ctx.env = env;
    ctx.start = buf;
    ctx.p = buf;
    ctx.end = buf + len;
    ctx.limits = limits;
    ctx.nodes = 0;
    ctx.depth = 0;

    if (len >= 3 && buf[0] == 0xef && buf[1] == 0xbb && buf[2] == 0xbf) {
        ctx.p += 3;
    }

    vod_json_skip_ws(&ctx);

    rc = vod_json_value(&ctx, root);
    if (rc != VOD_OK) {
        return rc;
    }

    vod_json_skip_ws(&ctx);

    if (ctx.p != ctx.end) {
        return vod_json_fail(&ctx, ctx.p, "trailing data after the value");
    }

    return VOD_OK;
}


vod_json_t *
vod_json_get(const vod_json_t *obj, const char *key)
{
    size_t       len;
    vod_json_t  *m;

    if (obj == NULL || obj->type != VOD_JSON_OBJECT) {
        return NULL;
    }

    len = strlen(key);

    for (m = obj->child; m != NULL; m = m->next) {
        if (m->key.len == len && memcmp(m->key.data, key, len) == 0) {
            return m;
        }
    }

    return NULL;
}


uint32_t
vod_json_key_count(const vod_json_t *obj, const char *key)
{
    size_t       len;
    uint32_t     n;
    vod_json_t  *m;

    if (obj == NULL || obj->type != VOD_JSON_OBJECT) {
        return 0;
    }

    len = strlen(key);
    n = 0;

    for (m = obj->child; m != NULL; m = m->next) {
        if (m->key.len == len && memcmp(m->key.data, key, len) == 0) {
            n++;
        }
    }

    return n;
}


const char *
vod_json_type_name(uint32_t type)
{
    static const char  *names[] = {
        "null", "false", "true", "number", "string", "array", "object"
    };

    if (type > VOD_JSON_OBJECT) {
        return "unknown";
    }

    return names[type];
}


static int
vod_json_fail(vod_json_ctx_t *ctx, const u_char *at, const char *err)
{
    ctx->limits->err = err;
    ctx->limits->err_pos = (size_t) (at - ctx->start);

    return VOD_BAD_DATA;
}


static void
vod_json_skip_ws(vod_json_ctx_t *ctx)
{
    while (ctx->p < ctx->end
           && (*ctx->p == ' ' || *ctx->p == '\t' || *ctx->p == '\n'
               || *ctx->p == '\r'))
    {
        ctx->p++;
    }
}


static int
vod_json_node(vod_json_ctx_t *ctx, uint32_t type, vod_json_t **out)
{
    vod_json_t  *node;

    if (ctx->nodes >= ctx->limits->max_nodes) {
        return vod_json_fail(ctx, ctx->p, "too many values");
    }

    node = ctx->env->alloc(ctx->env, sizeof(vod_json_t));
    if (node == NULL) {
        return VOD_ERROR;
    }

    memset(node, 0, sizeof(vod_json_t));
    node->type = type;
    node->pos = (size_t) (ctx->p - ctx->start);

    ctx->nodes++;
    *out = node;

    return VOD_OK;
}


static int
vod_json_value(vod_json_ctx_t *ctx, vod_json_t **out)
{
    int          rc;
    u_char       c;
    vod_json_t  *node;

    if (ctx->p == ctx->end) {
        return vod_json_fail(ctx, ctx->p, "unexpected end of input");
    }

    c = *ctx->p;

    switch (c) {

    case '{':
    case '[':
        rc = vod_json_node(ctx, c == '{' ? VOD_JSON_OBJECT : VOD_JSON_ARRAY,
                           &node);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_json_container(ctx, node);
        break;

    case '"':
        rc = vod_json_node(ctx, VOD_JSON_STRING, &node);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_json_string(ctx, &node->str);
        break;

    case 't':
        rc = vod_json_node(ctx, VOD_JSON_TRUE, &node);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_json_literal(ctx, "true", 4);
        break;

    case 'f':
        rc = vod_json_node(ctx, VOD_JSON_FALSE, &node);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_json_literal(ctx, "false", 5);
        break;

    case 'n':
        rc = vod_json_node(ctx, VOD_JSON_NULL, &node);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_json_literal(ctx, "null", 4);
        break;

    default:
        if (c != '-' && (c < '0' || c > '9')) {
            return vod_json_fail(ctx, ctx->p, "unexpected character");
        }

        rc = vod_json_node(ctx, VOD_JSON_NUMBER, &node);
        if (rc != VOD_OK) {
            return rc;
        }

        rc = vod_json_number(ctx, node);
        break;
    }

    if (rc != VOD_OK) {
        return rc;
    }

    *out = node;

    return VOD_OK;
}


static int
vod_json_container(vod_json_ctx_t *ctx, vod_json_t *node)
{
    int           rc;
    u_char        close;
    vod_str_t     key;
    vod_json_t   *item, **last;

    if (++ctx->depth > ctx->limits->max_depth) {
        return vod_json_fail(ctx, ctx->p, "nesting too deep");
    }

    close = (node->type == VOD_JSON_OBJECT) ? '}' : ']';
    last = &node->child;

    ctx->p++;
    vod_json_skip_ws(ctx);

    if (ctx->p < ctx->end && *ctx->p == close) {
        ctx->p++;
        ctx->depth--;
        return VOD_OK;
    }

    for ( ;; ) {

        key.data = NULL;
        key.len = 0;

        if (node->type == VOD_JSON_OBJECT) {
            if (ctx->p == ctx->end || *ctx->p != '"') {
                return vod_json_fail(ctx, ctx->p, "expected a member name");
            }

            rc = vod_json_string(ctx, &key);
            if (rc != VOD_OK) {
                return rc;
            }

            vod_json_skip_ws(ctx);

            if (ctx->p == ctx->end || *ctx->p != ':') {
                return vod_json_fail(ctx, ctx->p, "expected ':'");
            }

            ctx->p++;
            vod_json_skip_ws(ctx);
        }

        rc = vod_json_value(ctx, &item);
        if (rc != VOD_OK) {
            return rc;
        }

        item->key = key;
        *last = item;
        last = &item->next;
        node->count++;

        vod_json_skip_ws(ctx);

        if (ctx->p == ctx->end) {
            return vod_json_fail(ctx, ctx->p, "unexpected end of input");
        }

        if (*ctx->p == close) {
            ctx->p++;
            break;
        }

        if (*ctx->p != ',') {
            return vod_json_fail(ctx, ctx->p,
                                 node->type == VOD_JSON_OBJECT
                                 ? "expected ',' or '}'"
                                 : "expected ',' or ']'");
        }

        ctx->p++;
        vod_json_skip_ws(ctx);
    }

    ctx->depth--;

    return VOD_OK;
}


static int
vod_json_literal(vod_json_ctx_t *ctx, const char *word, size_t len)
{
    if ((size_t) (ctx->end - ctx->p) < len
        || memcmp(ctx->p, word, len) != 0)
    {
        return vod_json_fail(ctx, ctx->p, "invalid literal");
    }

    ctx->p += len;

    return VOD_OK;
}


static int
vod_json_number(vod_json_ctx_t *ctx, vod_json_t *node)
{
    int            neg;
    uint64_t       mag, limit;
    unsigned       overflow;
    const u_char  *p, *start;

    start = ctx->p;
    p = start;
    neg = 0;
    mag = 0;
    overflow = 0;

    if (*p == '-') {
        neg = 1;
        p++;
    }

    limit = neg ? (uint64_t) INT64_MAX + 1 : (uint64_t) INT64_MAX;

    if (p == ctx->end || *p < '0' || *p > '9') {
        return vod_json_fail(ctx, p, "expected a digit");
    }

    if (*p == '0') {
        p++;

        if (p < ctx->end && *p >= '0' && *p <= '9') {
            return vod_json_fail(ctx, p, "leading zero in a number");
        }

    } else {
        while (p < ctx->end && *p >= '0' && *p <= '9') {
            if (mag > (limit - (uint64_t) (*p - '0')) / 10) {
                overflow = 1;

            } else {
                mag = mag * 10 + (uint64_t) (*p - '0');
            }

            p++;
        }
    }

    node->is_integer = !overflow;

    if (p < ctx->end && *p == '.') {
        p++;
        node->is_integer = 0;

        if (p == ctx->end || *p < '0' || *p > '9') {
            return vod_json_fail(ctx, p, "expected a digit after '.'");
        }

        while (p < ctx->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (p < ctx->end && (*p == 'e' || *p == 'E')) {
        p++;
        node->is_integer = 0;

        if (p < ctx->end && (*p == '+' || *p == '-')) {
            p++;
        }

        if (p == ctx->end || *p < '0' || *p > '9') {
            return vod_json_fail(ctx, p, "expected a digit in the exponent");
        }

        while (p < ctx->end && *p >= '0' && *p <= '9') {
            p++;
        }
    }

    if (node->is_integer) {
        if (neg) {
            node->integer = (mag == (uint64_t) INT64_MAX + 1)
                            ? INT64_MIN : -(int64_t) mag;

        } else {
            node->integer = (int64_t) mag;
        }
    }

    node->str.data = (u_char *) start;
    node->str.len = (size_t) (p - start);
    ctx->p = p;

    return VOD_OK;
}


static int
vod_json_string(vod_json_ctx_t *ctx, vod_str_t *str)
{
    size_t         n;
    u_char        *d, *buf;
    uint32_t       cp, lo;
    unsigned       escaped;
    const u_char  *p, *start, *close;

    start = ctx->p + 1;
    escaped = 0;

    /* pass 1: find the closing quote and validate */

    p = start;

    for ( ;; ) {
        if (p == ctx->end) {
            return vod_json_fail(ctx, ctx->p, "unterminated string");
        }

        if (*p == '"') {
            break;
        }

        if (*p < 0x20) {
            return vod_json_fail(ctx, p, "control character in a string");
        }

        if (*p == '\\') {
            escaped = 1;
            p++;

            if (p == ctx->end) {
                return vod_json_fail(ctx, ctx->p, "unterminated string");
            }

            switch (*p) {
            case '"': case '\\': case '/': case 'b':
            case 'f': case 'n': case 'r': case 't':
                p++;
                continue;

            case 'u':
                if (ctx->end - p < 5 || vod_json_hex4(p + 1, &cp) != VOD_OK) {
                    return vod_json_fail(ctx, p - 1, "bad \\u escape");
                }

                p += 5;

                if (cp >= 0xdc00 && cp <= 0xdfff) {
                    return vod_json_fail(ctx, p - 6, "lone low surrogate");
                }

                if (cp >= 0xd800 && cp <= 0xdbff) {
                    if (ctx->end - p < 6 || p[0] != '\\' || p[1] != 'u'
                        || vod_json_hex4(p + 2, &lo) != VOD_OK
                        || lo < 0xdc00 || lo > 0xdfff)
                    {
                        return vod_json_fail(ctx, p - 6,
                                             "lone high surrogate");
                    }

                    p += 6;
                }

                continue;

            default:
                return vod_json_fail(ctx, p - 1, "bad escape");
            }
        }

        if (*p < 0x80) {
            p++;
            continue;
        }

        n = vod_json_utf8_len(p, ctx->end);
        if (n == 0) {
            return vod_json_fail(ctx, p, "invalid UTF-8");
        }

        p += n;
    }

    close = p;

    if (!escaped) {
        str->data = (u_char *) start;
        str->len = (size_t) (close - start);
        ctx->p = close + 1;
        return VOD_OK;
    }

    /* pass 2: decode; the output is never longer than the input */

    buf = ctx->env->alloc(ctx->env, (size_t) (close - start) + 1);
    if (buf == NULL) {
        return VOD_ERROR;
    }

    d = buf;

    for (p = start; p < close; /* void */ ) {

        if (*p != '\\') {
            *d++ = *p++;
            continue;
        }

        p++;

        switch (*p++) {
        case 'b': *d++ = '\b'; break;
        case 'f': *d++ = '\f'; break;
        case 'n': *d++ = '\n'; break;
        case 'r': *d++ = '\r'; break;
        case 't': *d++ = '\t'; break;
        case 'u':
            (void) vod_json_hex4(p, &cp);
            p += 4;

            if (cp >= 0xd800 && cp <= 0xdbff) {
                (void) vod_json_hex4(p + 2, &lo);
                p += 6;
                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
            }

            d = vod_json_put_utf8(d, cp);
            break;

        default:
            *d++ = p[-1];
            break;
        }
    }

    *d = '\0';

    str->data = buf;
    str->len = (size_t) (d - buf);
    ctx->p = close + 1;

    return VOD_OK;
}


static int
vod_json_hex4(const u_char *p, uint32_t *cp)
{
    u_char    c;
    size_t    i;
    uint32_t  v;

    v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            v = (v << 4) | (uint32_t) (c - '0');

        } else if (c >= 'a' && c <= 'f') {
            v = (v << 4) | (uint32_t) (c - 'a' + 10);

        } else if (c >= 'A' && c <= 'F') {
            v = (v << 4) | (uint32_t) (c - 'A' + 10);

        } else {
            return VOD_BAD_DATA;
        }
    }

    *cp = v;

    return VOD_OK;
}


/* length of one well-formed UTF-8 sequence (RFC 3629: no overlongs, no
 * surrogates, nothing past U+10FFFF) starting at p, or 0 */

static size_t
vod_json_utf8_len(const u_char *p, const u_char *end)
{
    u_char  c, lo, hi;
    size_t  n, i;

    c = p[0];
    lo = 0x80;
    hi = 0xbf;

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;

    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;

        if (c == 0xe0) {
            lo = 0xa0;

        } else if (c == 0xed) {
            hi = 0x9f;
        }

    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;

        if (c == 0xf0) {
            lo = 0x90;

        } else if (c == 0xf4) {
            hi = 0x8f;
        }

    } else {
        return 0;
    }

    if ((size_t) (end - p) < n) {
        return 0;
    }

    if (p[1] < lo || p[1] > hi) {
        return 0;
    }

    for (i = 2; i < n; i++) {
        if (p[i] < 0x80 || p[i] > 0xbf) {
            return 0;
        }
    }

    return n;
}


static u_char *
vod_json_put_utf8(u_char *d, uint32_t cp)
{
    if (cp < 0x80) {
        *d++ = (u_char) cp;

    } else if (cp < 0x800) {
        *d++ = (u_char) (0xc0 | (cp >> 6));
        *d++ = (u_char) (0x80 | (cp & 0x3f));

    } else if (cp < 0x10000) {
        *d++ = (u_char) (0xe0 | (cp >> 12));
        *d++ = (u_char) (0x80 | ((cp >> 6) & 0x3f));
        *d++ = (u_char) (0x80 | (cp & 0x3f));

    } else {
        *d++ = (u_char) (0xf0 | (cp >> 18));
        *d++ = (u_char) (0x80 | ((cp >> 12) & 0x3f));
        *d++ = (u_char) (0x80 | ((cp >> 6) & 0x3f));
        *d++ = (u_char) (0x80 | (cp & 0x3f));
    }

    return d;
}
