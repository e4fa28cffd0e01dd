#!/bin/bash
# wire-digest.sh MODULES_DIR MEDIA_DIR: the packager's bytes on the wire, to
# compare two builds (a refactor must not change them).  Runs
# tools/check-origin.sh over MEDIA_DIR with the ngx_vod_package_module.so of
# MODULES_DIR, without and with "aio threads", and prints one sorted line per
# object every player walk fetches (playlists, MPDs, init and media
# segments of HLS CMAF, MPEG-TS and DASH):
#
#   threads=0|1 TITLE/OBJECT SHA256-OF-HEADERS-AND-BODY
#
# Date and Server headers are left out; everything else nginx sends counts
# (status line, types, lengths, ETags, caching headers).  Compare:
#
#   tools/wire-digest.sh modules build/media > new.txt
#   tools/wire-digest.sh /path/to/old/modules build/media > old.txt
#   diff old.txt new.txt
#
# The origin listens on 127.0.0.1:$PORT (default 8094); run it in a private
# network namespace when other servers may hold the port.  Exits non-zero
# when check-origin fails (its log is printed).
set -euo pipefail

modules=$(cd "${1:?usage: wire-digest.sh MODULES_DIR MEDIA_DIR}" && pwd)
media=$(cd "${2:?usage: wire-digest.sh MODULES_DIR MEDIA_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

for threads in 0 1; do
    : > "$work/digests"
    if ! WORK=$work/run MODULES_DIR=$modules DIGESTS=$work/digests \
         THREADS=$threads PORT=${PORT:-8094} \
         "$root/tools/check-origin.sh" "$media" > "$work/log" 2>&1
    then
        cat "$work/log" >&2
        echo "wire-digest: check-origin failed (threads=$threads)" >&2
        exit 1
    fi
    sed "s/^/threads=$threads /" "$work/digests" | sort
done
