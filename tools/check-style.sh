#!/bin/sh
# check-style.sh: the mechanical part of nginx's code style on our C
# sources: at most 80 columns, no tabs, no // comments, no trailing
# whitespace; and nginx's include order: a .c file that reaches nginx's
# headers (directly or through one of ours) includes <ngx_config.h> then
# <ngx_core.h> before any other header.  Prints each offending line; exits
# non-zero if there is one.
set -eu

cd "$(dirname "$0")/.."

files=$(git ls-files '*.c' '*.h' | grep -v '^e2e/')

[ -n "$files" ] || { echo "check-style: no sources" >&2; exit 1; }

bad=0

# shellcheck disable=SC2086
awk '
    length($0) > 80 { printf "%s:%d: %d columns\n", FILENAME, FNR, length($0); bad = 1 }
    /\t/            { printf "%s:%d: tab\n", FILENAME, FNR; bad = 1 }
    /[ \t]+$/       { printf "%s:%d: trailing whitespace\n", FILENAME, FNR; bad = 1 }
    /^[^"]*\/\//    { printf "%s:%d: // comment\n", FILENAME, FNR; bad = 1 }
    END             { exit bad }
' $files || bad=1

# ngx_config.h sets the feature macros (_GNU_SOURCE, _FILE_OFFSET_BITS)
# the system headers read: a system header included before it leaves later
# ones half-configured (from nginx 1.23 on struct in6_pktinfo is then
# incomplete).  The nginx-free cores (*/core/) never include nginx's
# headers, and neither do the nginx-free files elsewhere (shared/'s reply
# checks and their fuzzer, tools/' programs): the rule holds for files
# that reach an ngx_*.h.
headers=$(git ls-files '*.h')

# reaches_nginx FILE [SEEN]: FILE includes an nginx header, or one of our
# headers (found by name) that does
reaches_nginx() {
    grep -q '^#include <ngx_' "$1" && return 0
    for inc in $(sed -n 's/^#include "\(.*\)"/\1/p' "$1"); do
        case " ${2:-} " in *" $inc "*) continue ;; esac
        for h in $headers; do
            [ "${h##*/}" = "${inc##*/}" ] || continue
            reaches_nginx "$h" "${2:-} $inc" && return 0
        done
    done
    return 1
}

for f in $(echo "$files" | grep '\.c$' | grep -v '/core/'); do
    reaches_nginx "$f" || continue
    awk '
        /^#include/ {
            n++
            if ((n == 1 && $2 != "<ngx_config.h>") \
                || (n == 2 && $2 != "<ngx_core.h>"))
            {
                printf "%s:%d: %s before <ngx_config.h> and <ngx_core.h>\n",
                       FILENAME, FNR, $2
                done = 1
                exit 1
            }
            if (n == 2) exit 0
        }
        END {
            if (!done && n < 2) {
                printf "%s: no <ngx_config.h> and <ngx_core.h>\n", FILENAME
                exit 1
            }
        }
    ' "$f" || bad=1
done

[ "$bad" = 0 ] || exit 1

echo "check-style: $(echo "$files" | wc -l) files clean"
