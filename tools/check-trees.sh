#!/bin/bash
# check-trees.sh: build every module against each nginx source tree given,
# warnings as errors, each into a build directory of its own, and report
# OK or FAIL per tree.  Not a CI section (CI builds against Debian's
# nginx-dev only and cannot fetch sources): run it by hand after fetching
# the trees, before a release or when nginx.org ships a new version.
#
#   tools/check-trees.sh [-b] TREE|DIR...
#
# TREE is an nginx source tree (a release tarball, a git checkout whose
# configure is auto/configure, Debian's /usr/share/nginx/src, an OpenResty
# bundle's nginx directory); a DIR holding such trees checks each of them.
# A tree with Debian's conf_flags is configured with them, any other with
# NGX_CONFIGURE (the Makefile's: --with-compat --with-threads; set it in the
# environment to match another nginx binary's `nginx -V`).
#
#   -b   also build the tree's nginx binary (to load its modules into it
#        and run a suite: TEST_NGINX_BINARY=<out>/build/nginx)
#
# Output goes to build-trees/<version>-<tree's name>/: build/ (configure's
# and make's log, the objects) and modules/ (the .so files).  JOBS (1)
# is make's -j; NGX_CC_OPT (-O2 -Werror) the flags of the module objects.
# Exits non-zero when a tree failed.
set -u

cd "$(dirname "$0")/.." || exit 1
repo=$PWD
out_root=$repo/build-trees
cc_opt=${NGX_CC_OPT:--O2 -Werror}
binary=

if [ "${1:-}" = -b ]; then
    binary=1
    shift
fi

[ $# -gt 0 ] || { sed -n '2,/^set/s/^# \{0,1\}//p' "$0" >&2; exit 2; }

trees=()
for arg in "$@"; do
    if [ -f "$arg/src/core/nginx.h" ]; then
        trees+=("$(cd "$arg" && pwd)")
    elif [ -d "$arg" ]; then
        for t in "$arg"/*/; do
            [ -f "$t/src/core/nginx.h" ] && trees+=("$(cd "$t" && pwd)")
        done
    else
        echo "check-trees: $arg: not an nginx source tree" >&2
        exit 2
    fi
done

[ ${#trees[@]} -gt 0 ] || { echo "check-trees: no nginx source tree" >&2;
                             exit 2; }

failed=0
report=()

for tree in "${trees[@]}"; do
    ver=$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' \
          "$tree/src/core/nginx.h")
    name=$ver-$(basename "$tree")
    out=$out_root/$name
    log=$out/build/make.log

    rm -rf "$out"
    mkdir -p "$out/build" "$out/modules"
    echo "== $name ($tree)"

    if make -j"${JOBS:-1}" modules NGINX_SRC="$tree" BUILD="$out/build" \
           MODULES_DIR="$out/modules" NGX_CC_OPT="$cc_opt" \
           > "$log" 2>&1 \
       && { [ -z "$binary" ] \
            || make -j"${JOBS:-1}" -f "$out/build/Makefile" -C "$tree" \
                   binary >> "$log" 2>&1; }
    then
        status=OK
    else
        status=FAIL
        failed=1
        # the first errors (and configure's tail when it stopped there)
        grep -m 10 -E 'error:|warning:|^make.*Error' "$log" \
        || tail -20 "$log"
        [ -f "$out/build/configure.log" ] && ! grep -q 'Configuration summary' \
            "$out/build/configure.log" && tail -20 "$out/build/configure.log"
    fi

    report+=("$(printf "%-5s %-28s %s" "$status" "$name" "${log#"$repo"/}")")
done

echo
printf '%s\n' "${report[@]}"
exit $failed
