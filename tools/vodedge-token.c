/*
 * vodedge-token: prints a signed-URL token (an HS256 JWT) minted by the
 * edge module's own core (pb_jwt_mint).
 *
 *   vodedge-token --path /vod/title1/ [--tier basic] [--ttl 3600]
 *       [--nbf SECONDS] [--sub S] [--sid S] [--ip ADDR[/BITS]]
 *       [--profiles P1,P2] [--aud media|api|media,api|none] [--kid K]
 *       [--key-file F]
 *
 * The audience (aud) is "media" (a signed URL), or "api" (a Bearer token
 * of the playback API) for a token with --profiles and no --path; "none"
 * leaves the claim out, as tokens were before audiences.
 * The key file holds the secret base64url-encoded, as playback_token_key
 * reads it.  Without --kid and --key-file: the demo key that
 * conf/edge.conf trusts (kid "demo", conf/demo-only-playback.key).
 */

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pb_base64url.h"
#include "pb_jwt.h"


#define VODEDGE_TOKEN_DEMO_KID  "demo"
#define VODEDGE_TOKEN_DEMO_KEY  "conf/demo-only-playback.key"


static void vodedge_token_usage(void);
static int vodedge_token_str(vod_str_t *s, const char *value);
static int vodedge_token_int(const char *value, int64_t *n);
static int vodedge_token_profiles(char *list, pb_jwt_mint_t *m);
static int vodedge_token_aud(const char *value, unsigned *aud);
static int vodedge_token_read_key(const char *file, u_char *key,
    size_t *len);


static void
vodedge_token_usage(void)
{
    fprintf(stderr,
        "usage: vodedge-token --path /vod/title1/ [--tier basic] "
        "[--ttl 3600]\n"
        "           [--nbf SECONDS] [--sub S] [--sid S] "
        "[--ip ADDR[/BITS]]\n"
        "           [--profiles P1,P2] [--aud media|api|media,api|none]\n"
        "           [--kid K] [--key-file F]\n"
        "  --profiles: the account's profiles (\"\" for none), for the "
        "playback API;\n"
        "  --aud: by default api with --profiles and no --path, media "
        "otherwise;\n"
        "  --ttl and --nbf are seconds from now (negative: in the past);\n"
        "  the key file holds the secret in base64url; by default kid \""
        VODEDGE_TOKEN_DEMO_KID "\" and\n  " VODEDGE_TOKEN_DEMO_KEY
        " (demo only), found from the current\n"
        "  directory or beside the program's bin/.\n");
}


static int
vodedge_token_str(vod_str_t *s, const char *value)
{
    s->data = (u_char *) value;
    s->len = strlen(value);

    return 0;
}


static int
vodedge_token_int(const char *value, int64_t *n)
{
    char       *end;
    long long   v;

    errno = 0;
    v = strtoll(value, &end, 10);

    if (errno != 0 || end == value || *end != '\0'
        || v < -(1LL << 40) || v > (1LL << 40))
    {
        return -1;
    }

    *n = v;

    return 0;
}


static int
vodedge_token_aud(const char *value, unsigned *aud)
{
    if (strcmp(value, "media") == 0) {
        *aud = PB_JWT_AUD_MEDIA;

    } else if (strcmp(value, "api") == 0) {
        *aud = PB_JWT_AUD_API;

    } else if (strcmp(value, "media,api") == 0
               || strcmp(value, "api,media") == 0)
    {
        *aud = PB_JWT_AUD_MEDIA | PB_JWT_AUD_API;

    } else if (strcmp(value, "none") == 0) {
        *aud = 0;

    } else {
        return -1;
    }

    return 0;
}


/* "p1,p2" into m->profiles; "" is an empty list */

static int
vodedge_token_profiles(char *list, pb_jwt_mint_t *m)
{
    char       *p, *comma;
    size_t      n;
    vod_str_t  *profiles;

    if (list == NULL) {
        return -1;
    }

    n = 1;

    for (p = list; *p != '\0'; p++) {
        n += (*p == ',');
    }

    profiles = calloc(n, sizeof(vod_str_t));
    if (profiles == NULL) {
        return -1;
    }

    m->profiles = profiles;
    m->nprofiles = 0;

    if (*list == '\0') {
        return 0;
    }

    for (p = list; p != NULL; p = comma) {
        comma = strchr(p, ',');

        if (comma != NULL) {
            *comma++ = '\0';
        }

        if (*p == '\0') {
            return -1;
        }

        vodedge_token_str(&profiles[m->nprofiles++], p);
    }

    return 0;
}


static int
vodedge_token_read_key(const char *file, u_char *key, size_t *len)
{
    FILE     *f;
    size_t    n;
    ssize_t   d;
    u_char    buf[4 * PB_JWT_KEY_MAX];

    f = fopen(file, "r");
    if (f == NULL) {
        fprintf(stderr, "vodedge-token: %s: %s\n", file, strerror(errno));
        return -1;
    }

    n = fread(buf, 1, sizeof(buf), f);
    fclose(f);

    if (n == sizeof(buf)) {
        fprintf(stderr, "vodedge-token: %s: too large\n", file);
        return -1;
    }

    d = pb_key_decode(key, buf, n);

    if (d < 0) {
        fprintf(stderr, "vodedge-token: %s: not a base64url key of %d to %d "
                "bytes\n", file, PB_JWT_KEY_MIN, PB_JWT_KEY_MAX);
        return -1;
    }

    *len = d;

    return 0;
}


int
main(int argc, char **argv)
{
    int             i;
    char           *key_file, *slash, path[4096];
    u_char         *out;
    size_t          len, size;
    int64_t         ttl, nbf, now;
    unsigned        has_nbf, has_aud;
    pb_jwt_mint_t   m;
    pb_jwt_cidr_t   cidr;
    u_char          key[2 * PB_JWT_KEY_MAX];

    memset(&m, 0, sizeof(pb_jwt_mint_t));
    ttl = 3600;
    nbf = 0;
    has_nbf = 0;
    has_aud = 0;
    key_file = NULL;
    vodedge_token_str(&m.kid, VODEDGE_TOKEN_DEMO_KID);

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
            vodedge_token_usage();
            return 0;
        }

        if (i + 1 == argc) {
            vodedge_token_usage();
            return 2;
        }

        if (strcmp(argv[i], "--path") == 0) {
            vodedge_token_str(&m.path, argv[++i]);

        } else if (strcmp(argv[i], "--tier") == 0) {
            vodedge_token_str(&m.tier, argv[++i]);

        } else if (strcmp(argv[i], "--sub") == 0) {
            vodedge_token_str(&m.sub, argv[++i]);

        } else if (strcmp(argv[i], "--sid") == 0) {
            vodedge_token_str(&m.sid, argv[++i]);

        } else if (strcmp(argv[i], "--ip") == 0) {
            vodedge_token_str(&m.ip, argv[++i]);

            if (pb_jwt_parse_cidr(m.ip.data, m.ip.len, &cidr) != 0) {
                fprintf(stderr, "vodedge-token: --ip \"%s\" is not an "
                        "address or CIDR\n", argv[i]);
                return 2;
            }

        } else if (strcmp(argv[i], "--profiles") == 0) {
            if (vodedge_token_profiles(strdup(argv[++i]), &m) != 0) {
                fprintf(stderr, "vodedge-token: --profiles \"%s\" is not "
                        "a comma-separated list of names\n", argv[i]);
                return 2;
            }

        } else if (strcmp(argv[i], "--aud") == 0) {
            if (vodedge_token_aud(argv[++i], &m.aud) != 0) {
                fprintf(stderr, "vodedge-token: --aud \"%s\" is not media, "
                        "api, media,api or none\n", argv[i]);
                return 2;
            }

            has_aud = 1;

        } else if (strcmp(argv[i], "--kid") == 0) {
            vodedge_token_str(&m.kid, argv[++i]);

        } else if (strcmp(argv[i], "--key-file") == 0) {
            key_file = argv[++i];

        } else if (strcmp(argv[i], "--ttl") == 0) {
            if (vodedge_token_int(argv[++i], &ttl) != 0) {
                fprintf(stderr, "vodedge-token: bad --ttl\n");
                return 2;
            }

        } else if (strcmp(argv[i], "--nbf") == 0) {
            if (vodedge_token_int(argv[++i], &nbf) != 0) {
                fprintf(stderr, "vodedge-token: bad --nbf\n");
                return 2;
            }

            has_nbf = 1;

        } else {
            vodedge_token_usage();
            return 2;
        }
    }

    if (!has_aud) {
        m.aud = (m.profiles != NULL && m.path.data == NULL)
                ? PB_JWT_AUD_API : PB_JWT_AUD_MEDIA;
    }

    /* a token for the playback API (--profiles) needs no path */

    if ((m.path.data == NULL && m.profiles == NULL)
        || (m.path.data != NULL
            && (m.path.len == 0 || m.path.data[0] != '/')))
    {
        fprintf(stderr, "vodedge-token: --path /vod/<title>/ is required\n");
        return 2;
    }

    if (m.kid.len == 0 || m.kid.len > PB_JWT_KID_MAX) {
        fprintf(stderr, "vodedge-token: bad --kid\n");
        return 2;
    }

    if (key_file == NULL) {
        key_file = VODEDGE_TOKEN_DEMO_KEY;

        /* not from the repository root: beside bin/ */

        slash = strrchr(argv[0], '/');

        if (fopen(key_file, "r") == NULL && slash != NULL
            && (size_t) (slash - argv[0]) + sizeof(VODEDGE_TOKEN_DEMO_KEY)
               + 8 < sizeof(path))
        {
            snprintf(path, sizeof(path), "%.*s/../%s",
                     (int) (slash - argv[0]), argv[0],
                     VODEDGE_TOKEN_DEMO_KEY);
            key_file = path;
        }
    }

    if (vodedge_token_read_key(key_file, key, &m.secret.len) != 0) {
        return 1;
    }

    m.secret.data = key;

    now = (int64_t) time(NULL);
    m.exp = now + ttl;

    if (has_nbf) {
        m.nbf = now + nbf;
    }

    size = pb_jwt_mint_size(&m);

    out = malloc(size + 1);
    if (out == NULL) {
        return 1;
    }

    if (pb_jwt_mint(&m, out, size, &len) != PB_JWT_OK) {
        fprintf(stderr, "vodedge-token: minting failed\n");
        return 1;
    }

    out[len] = '\n';
    fwrite(out, 1, len + 1, stdout);

    free(out);

    return 0;
}
