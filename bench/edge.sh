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
ROOT=$PWD
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${BENCH_EDGE_PORT:-18081}
DURATION=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-8}
PREFIX=$ROOT/build/bench-edge
MEDIA=${BENCH_MEDIA:-$ROOT/build/media}
BASE=http://127.0.0.1:$PORT
PLAIN=http://127.0.0.1:$((PORT + 1))
ORIGIN=127.0.0.1:$((PORT + 2))
# realip takes the client's address from it: a US client, licensed
WRK_HEADER="X-Forwarded-For: 203.0.113.5"

. bench/lib.sh

for f in modules/ngx_vod_package_module.so \
         modules/ngx_stream_playback_module.so bin/vodedge-token \
         "$MEDIA/demo/1080p.mp4"; do
    [ -e "$f" ] || { echo "bench: $f is missing (make all fixtures)" >&2
                     exit 1; }
done
command -v wrk >/dev/null || { echo "bench: wrk is missing" >&2; exit 1; }

rm -rf "$PREFIX"
mkdir -p "$PREFIX/logs" "$PREFIX/temp" "$PREFIX/geo"
tools/mkgeo.pl demo "$PREFIX/geo" >/dev/null
cp conf/demo-only-playback.key "$PREFIX/demo.key"

cat > "$PREFIX/nginx.conf" <<EOC
load_module $ROOT/modules/ngx_vod_package_module.so;
load_module $ROOT/modules/ngx_stream_playback_module.so;
worker_processes 1;
daemon on;
pid $PREFIX/logs/nginx.pid;
error_log $PREFIX/logs/error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    access_log off;
    client_body_temp_path $PREFIX/temp/client_body;
    proxy_temp_path $PREFIX/temp/proxy;
    fastcgi_temp_path $PREFIX/temp/fastcgi;
    uwsgi_temp_path $PREFIX/temp/uwsgi;
    scgi_temp_path $PREFIX/temp/scgi;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    open_file_cache max=1000 inactive=60s;

    proxy_cache_path $PREFIX/temp/cache levels=1:2 keys_zone=edge:16m
                     use_temp_path=off;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    playback_geoip_country $PREFIX/geo/demo-country.mmdb;
    playback_rights $PREFIX/geo/demo-rights.json;

    server {
        listen $ORIGIN;
        location /vod/ {
            alias $MEDIA/;
            vod_package;
        }
    }

    # every check on, as conf/edge.conf has them
    server {
        listen 127.0.0.1:$PORT;
        playback_token on;
        playback_token_key demo $PREFIX/demo.key;
        playback_tiers on;
        playback_licensing on;
        playback_rights_default deny;
        playback_unknown_country deny;
        location = / { return 200; }
        location /vod/ {
            proxy_pass http://$ORIGIN;
            proxy_cache edge;
            proxy_cache_key \$uri;
        }
    }

    # the same cache, no checks
    server {
        listen 127.0.0.1:$((PORT + 1));
        location /vod/ {
            proxy_pass http://$ORIGIN;
            proxy_cache edge;
            proxy_cache_key \$uri;
        }
    }
}
EOC

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
    for url in "$BASE/t/$TOKEN$path" "$PLAIN$path"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "$WRK_HEADER" "$url")
        if [ "$code" != 200 ]; then
            echo "bench: $url answered $code" >&2
            exit 1
        fi
    done
    # both sides are cache hits from here on
    curl -s -D - -o /dev/null -H "$WRK_HEADER" "$BASE/t/$TOKEN$path" \
        | grep -qi '^content-type' || exit 1
done

echo "bench: edge checks on vs off, wrk -t1 -c$CONNS -d${DURATION}s," \
     "median of $RUNS runs, one nginx worker, $(nproc) cores"
fmt='%-16s %12s %12s %8s %12s %12s %8s\n'
printf "$fmt" case "checked r/s" "plain r/s" ratio "checked us" "plain us" \
       "CPU x"
for c in "${CASES[@]}"; do
    name=${c%%|*}
    path=${c#*|}
    k_rps=() k_us=() p_rps=() p_us=()
    for _ in $(seq "$RUNS"); do
        read -r r u < <(wrk_run "$BASE/t/$TOKEN$path")
        k_rps+=("$r"); k_us+=("$u")
        read -r r u < <(wrk_run "$PLAIN$path")
        p_rps+=("$r"); p_us+=("$u")
    done
    kr=$(printf '%s\n' "${k_rps[@]}" | median)
    ku=$(printf '%s\n' "${k_us[@]}" | median)
    pr=$(printf '%s\n' "${p_rps[@]}" | median)
    pu=$(printf '%s\n' "${p_us[@]}" | median)
    printf "$fmt" "$name" "$kr" "$pr" "$(ratio "$kr" "$pr")" "$ku" "$pu" \
           "$(ratio "$ku" "$pu")"
done
echo "(ratio: checked / plain throughput, goal >= 0.97 for the segment and" \
     ">= 0.85 for the playlist; CPU x: checked / plain worker CPU per" \
     "request)"
