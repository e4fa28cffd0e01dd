#!/bin/bash
# steering.sh: steering decisions per second against a plain `return 302`,
# side by side on one nginx with a single worker.
#
# Both locations answer a 302 to the same path on a cache; one decides
# first (steering redirect: GeoIP ASN and City lookups, live state from
# shared memory, scoring, rendezvous hashing over the fleet), the other
# is nginx's own `return 302`.  wrk (1 thread, BENCH_CONNS connections,
# BENCH_DURATION s, pinned to another CPU than the worker) runs BENCH_RUNS
# times against each, interleaved; the medians and their ratio are
# printed.  Goal: a ratio of at least 0.8.
#
#   bench/steering.sh        needs modules/ngx_steering_module.so (make)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${BENCH_PORT:-8094}
DURATION=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-5}
CONNS=${BENCH_CONNS:-16}
WORK=$ROOT/build/bench-steering
BASE=http://127.0.0.1:$PORT
SO=$ROOT/modules/ngx_steering_module.so

[ -f "$SO" ] || { echo "steering.sh: $SO is missing: make" >&2; exit 1; }
command -v wrk >/dev/null || { echo "steering.sh: wrk is missing" >&2; exit 1; }

rm -rf "$WORK"
mkdir -p "$WORK/logs" "$WORK/geo"
tools/mkgeo.pl demo "$WORK/geo" >/dev/null

cat > "$WORK/nginx.conf" <<EOC
load_module $SO;
worker_processes 1;
worker_cpu_affinity 01;
pid $WORK/logs/nginx.pid;
error_log $WORK/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $WORK/tmp;
    proxy_temp_path $WORK/tmp;
    fastcgi_temp_path $WORK/tmp;
    uwsgi_temp_path $WORK/tmp;
    scgi_temp_path $WORK/tmp;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    steering_fleet $ROOT/conf/steering-fleet.json;
    steering_geoip_asn $WORK/geo/demo-asn.mmdb;
    steering_geoip_city $WORK/geo/demo-city.mmdb;
    steering_state_max_age off;
    server {
        listen 127.0.0.1:$PORT;
        location /vod/ {
            steering redirect;
        }
        location /plain/ {
            return 302 http://127.0.0.2:8080\$request_uri;
        }
    }
}
EOC

"$NGINX" -p "$WORK/" -c "$WORK/nginx.conf"
trap '"$NGINX" -p "$WORK/" -c "$WORK/nginx.conf" -s stop 2>/dev/null || true' EXIT
sleep 0.3

# the worker on CPU 0, wrk on CPU 1 when there are two: less noise
PIN=
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
    PIN="taskset -c 1"
fi

# a Comcast client in New York: the ISP tier, the full decision
HDR="X-Forwarded-For: 203.0.113.5"
loc=$(curl -s -o /dev/null -w '%{redirect_url}' -H "$HDR" \
      "$BASE/vod/demo/master.m3u8")
echo "steered to: $loc"

rps() {
    $PIN wrk -t1 -c"$CONNS" -d"${DURATION}s" -H "$HDR" "$1" \
        | awk '/^Requests\/sec:/ { print $2 }'
}

median() {
    sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'
}

steer=()
plain=()
for i in $(seq "$RUNS"); do
    steer+=("$(rps "$BASE/vod/demo/master.m3u8")")
    plain+=("$(rps "$BASE/plain/demo/master.m3u8")")
    echo "run $i: steering ${steer[-1]} req/s, return 302 ${plain[-1]} req/s"
done

s=$(printf '%s\n' "${steer[@]}" | median)
p=$(printf '%s\n' "${plain[@]}" | median)

printf '\n%-28s %12s\n' "median of $RUNS runs" "req/s"
printf '%-28s %12s\n' "steering redirect" "$s"
printf '%-28s %12s\n' "return 302" "$p"
awk -v s="$s" -v p="$p" \
    'BEGIN { printf "ratio steering / return 302: %.2f (goal >= 0.80)\n", s / p }'
