#!/bin/bash
# isolate.sh CMD [ARGS...]: run CMD in a network and PID namespace of its
# own, so that suites run side by side (prove -j, tools/asan/run.sh,
# tools/mutate.sh) may each listen on the suites' fixed ports (nginx on
# 1984, Redis on 6379 and more) and whatever CMD leaves running dies with
# it.  Its loopback is up; it sees the same files.
#
#   tools/isolate.sh -c     status 0 when namespaces can be made here
#                           (root, or user namespaces): callers run one
#                           thing at a time otherwise
#
# Needs unshare(1) (util-linux) and ip(8) (iproute2).
set -euo pipefail

if [ "${1:-}" = -c ]; then
    unshare -n -p -f --mount-proc -- \
        sh -c 'ip link set lo up' > /dev/null 2>&1
    exit
fi

[ $# -gt 0 ] || { echo "usage: $0 CMD [ARGS...] | -c" >&2; exit 2; }

exec unshare -n -p -f --mount-proc -- \
    bash -c 'ip link set lo up && exec "$@"' isolate "$@"
