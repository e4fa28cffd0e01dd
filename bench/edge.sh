#!/bin/bash
# edge.sh (`make bench-edge`): what the edge's checks cost.  One nginx with
# a single worker runs the origin and two edge servers over one
# proxy_cache: "checked" verifies the signed URL (JWT HS256), the tier
# (and the rendition header on every response) and GeoIP licensing (an
# mmdb lookup, the rights table), "plain" proxies the same cache with no
# checks.  Both serve from the cache (warmed first), so the difference is
# the checks alone.  wrk (1 thread, BENCH_CONNS connections,
# BENCH_DURATION s) runs BENCH_RUNS times per side, interleaved; medians.
# Goal: at most 3 % lost on a 1080p segment, 15 % on a small playlist.
#
#   bench/edge.sh          needs modules/*.so, bin/vodedge-token, build/media
set -euo pipefail

cd "$(dirname "$0")/.."
PORT=${BENCH_EDGE_PORT:-18081}
PREFIX=$PWD/build/bench-edge
. bench/lib.sh
edge_init
PLAIN=http://127.0.0.1:$((PORT + 1))

edge_prepare

{
    edge_conf_head
    cat <<EOC

    # every check on, as conf/edge.conf has them
    server {
        listen 127.0.0.1:$PORT;
$(edge_checks)
    }

    # the same cache, no checks
    server {
        listen 127.0.0.1:$((PORT + 1));
$(edge_proxy)
    }
}
EOC
} > "$PREFIX/nginx.conf"

TOKEN=$(bin/vodedge-token --key-file conf/demo-only-playback.key --kid demo \
        --path /vod/demo/ --tier premium --ttl 3600 --sub bench-account \
        --sid bench-session)

CASES=(
    "1080p-segment|/vod/demo/video-1080p-1.m4s"
    "media-playlist|/vod/demo/video-1080p.m3u8"
)

start_nginx
trap stop_nginx EXIT

for c in "${CASES[@]}"; do
    path=${c#*|}
    edge_expect_200 "$BASE/t/$TOKEN$path" "$PLAIN$path"
    # both sides are cache hits from here on
    curl -s -D - -o /dev/null -H "$WRK_HEADER" "$BASE/t/$TOKEN$path" \
        | grep -qi '^content-type' || exit 1
done

edge_compare checked "$BASE/t/$TOKEN" plain "$PLAIN" "edge checks on vs off"
echo "(ratio: checked / plain throughput, goal >= 0.97 for the segment and" \
     ">= 0.85 for the playlist; CPU x: checked / plain worker CPU per" \
     "request)"
