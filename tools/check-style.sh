#!/bin/sh
# check-style.sh: the mechanical part of nginx's code style on our C
# sources: at most 80 columns, no tabs, no // comments, no trailing
# whitespace.  Prints each offending line; exits non-zero if there is one.
set -eu

cd "$(dirname "$0")/.."

files=$(git ls-files '*.c' '*.h' | grep -v '^e2e/')

[ -n "$files" ] || { echo "check-style: no sources" >&2; exit 1; }

# shellcheck disable=SC2086
awk '
    length($0) > 80 { printf "%s:%d: %d columns\n", FILENAME, FNR, length($0); bad = 1 }
    /\t/            { printf "%s:%d: tab\n", FILENAME, FNR; bad = 1 }
    /[ \t]+$/       { printf "%s:%d: trailing whitespace\n", FILENAME, FNR; bad = 1 }
    /^[^"]*\/\//    { printf "%s:%d: // comment\n", FILENAME, FNR; bad = 1 }
    END             { exit bad }
' $files

echo "check-style: $(echo "$files" | wc -l) files clean"
