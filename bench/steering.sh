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
# and 4 M more New York Comcast addresses (100.64.0.0/10): clients enough
# that the per-worker lookup cache (1024 addresses) mostly misses
tools/mkgeo.pl asn "$WORK/geo/demo-asn.mmdb" '203.0.113.0/24=7922:Comcast' \
    '198.51.100.0/24=3320:DTAG' '100.64.0.0/10=7922:Comcast' >/dev/null
tools/mkgeo.pl city "$WORK/geo/demo-city.mmdb" \
    '203.0.113.0/24=US:40.73,-73.99' '100.64.0.0/10=US:40.73,-73.99' \
    >/dev/null

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

# many clients: a random address of 100.64.0.0/10 per request
cat > "$WORK/many.lua" <<'EOL'
request = function()
    wrk.headers["X-Forwarded-For"] = "100." .. math.random(64, 127) .. "."
        .. math.random(0, 255) .. "." .. math.random(1, 254)
    return wrk.format(nil)
end
EOL

PREFIX=$WORK
. bench/lib.sh

# "req/s us/req": the worker's CPU per request, which a busy client (wrk
# running Lua for every request) does not hide
rps() {
    local w c0 c1 out
    w=$(worker_pid)
    c0=$(cpu_ticks "$w")
    out=$($PIN wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@")
    c1=$(cpu_ticks "$w")
    echo "$out" | awk -v t=$((c1 - c0)) -v hz="$HZ" '
        /requests in/ { n = $1 } /^Requests\/sec:/ { r = $2 }
        END { printf "%s %.2f\n", r, t * 1e6 / hz / n }'
}

one=(-H "$HDR") many=(-s "$WORK/many.lua")
declare -a sr su pr pu msr msu mpr mpu
for i in $(seq "$RUNS"); do
    read -r r u < <(rps "${one[@]}" "$BASE/vod/demo/master.m3u8")
    sr+=("$r") su+=("$u")
    read -r r u < <(rps "${one[@]}" "$BASE/plain/demo/master.m3u8")
    pr+=("$r") pu+=("$u")
    read -r r u < <(rps "${many[@]}" "$BASE/vod/demo/master.m3u8")
    msr+=("$r") msu+=("$u")
    read -r r u < <(rps "${many[@]}" "$BASE/plain/demo/master.m3u8")
    mpr+=("$r") mpu+=("$u")
    echo "run $i: one client: steering ${sr[-1]} req/s ${su[-1]} us," \
         "return 302 ${pr[-1]} ${pu[-1]} us; many clients: steering" \
         "${msr[-1]} ${msu[-1]} us, return 302 ${mpr[-1]} ${mpu[-1]} us"
done

m() { printf '%s\n' "$@" | median; }

printf '\n%-30s %10s %10s %6s %9s %9s %6s\n' "median of $RUNS runs" \
       "steer r/s" "302 r/s" ratio "steer us" "302 us" "CPU x"
row() {
    printf '%-30s %10s %10s %6s %9s %9s %6s\n' "$1" "$2" "$3" \
           "$(ratio "$2" "$3")" "$4" "$5" "$(ratio "$4" "$5")"
}
row "one client (lookups cached)" "$(m "${sr[@]}")" "$(m "${pr[@]}")" \
    "$(m "${su[@]}")" "$(m "${pu[@]}")"
row "4 M clients (mostly not)" "$(m "${msr[@]}")" "$(m "${mpr[@]}")" \
    "$(m "${msu[@]}")" "$(m "${mpu[@]}")"
echo "goal: throughput ratio >= 0.80.  With 4 M clients wrk's own Lua is"
echo "the bottleneck: there, the worker's CPU per request tells the cost."
