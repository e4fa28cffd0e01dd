#!/bin/bash
# redis.sh: the playback API's heartbeat path under load.  wrk (Lua
# scripts) sends PUT /api/v1/resume (the last-writer-wins script) and GET
# /api/v1/resume (HMGET) through nginx at BENCH_CONNS connections; in the
# same run, on the same machine and the same redis-server,
# redis-benchmark sends SET and GET at the same concurrency.  Printed:
# requests per second of each, the ratios nginx/redis-benchmark (goal
# >= 0.5) and nginx's p99 latency from wrk's distribution (goal < 5 ms);
# medians of BENCH_RUNS runs.
#
#   bench/redis.sh        needs modules/ (make) and bin/vodedge-token
#   BENCH_WORKERS=2 BENCH_DURATION=10 bench/redis.sh
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${BENCH_PORT:-8086}
RPORT=${BENCH_REDIS_PORT:-6386}
DURATION=${BENCH_DURATION:-10}
CONNS=${BENCH_CONNS:-256}
WORKERS=${BENCH_WORKERS:-1}
RUNS=${BENCH_RUNS:-3}
THREADS=${BENCH_THREADS:-1}
WORK=$ROOT/build/bench-redis
BASE=http://127.0.0.1:$PORT

mkdir -p "$WORK/logs" "$WORK/temp"

# median(); its own wrk_run() below replaces the one there
PREFIX=$WORK
. bench/lib.sh

cleanup() {
    [ -f "$WORK/logs/nginx.pid" ] \
        && kill "$(cat "$WORK/logs/nginx.pid")" 2>/dev/null || true
    [ -f "$WORK/redis.pid" ] \
        && kill "$(cat "$WORK/redis.pid")" 2>/dev/null || true
}
trap cleanup EXIT

# a key of this run only
head -c 48 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n' > "$WORK/k.key"
TOKEN=$(bin/vodedge-token --kid b --key-file "$WORK/k.key" --aud api \
        --sub bench \
        --profiles p1 --tier basic --ttl 3600)

redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no \
    --daemonize yes --pidfile "$WORK/redis.pid" --logfile "$WORK/redis.log" \
    --dir "$WORK"
for _ in $(seq 100); do
    redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
    sleep 0.05
done

cat > "$WORK/nginx.conf" <<EOC
load_module $ROOT/modules/ngx_stream_playback_module.so;
worker_processes $WORKERS;
pid logs/nginx.pid;
error_log logs/error.log warn;
events { worker_connections 4096; }
http {
    access_log off;
    client_body_temp_path temp;
    playback_redis 127.0.0.1:$RPORT;
    server {
        listen 127.0.0.1:$PORT backlog=4096;
        keepalive_requests 1000000;
        location /api/ {
            playback_api on;
            playback_token_key b $WORK/k.key;
        }
    }
}
EOC
"$NGINX" -p "$WORK/" -c "$WORK/nginx.conf"
sleep 0.5

# 1000 titles, positions that only grow: every PUT writes
cat > "$WORK/put.lua" <<EOL
local n = 0
request = function()
    n = n + 1
    local body = '{"position_ms":' .. (n % 90000 + 10000)
        .. ',"duration_ms":100000,"updated_at":' .. n .. '}'
    return wrk.format("PUT", "/api/v1/resume/p1/t" .. (n % 1000),
        { ["Authorization"] = "Bearer $TOKEN",
          ["Content-Type"] = "application/json" }, body)
end
EOL
cat > "$WORK/get.lua" <<EOL
local n = 0
request = function()
    n = n + 1
    return wrk.format("GET", "/api/v1/resume/p1/t" .. (n % 1000),
        { ["Authorization"] = "Bearer $TOKEN" })
end
EOL

# check the path once: 204 then 200
code=$(curl -s -o /dev/null -w '%{http_code}' -X PUT \
       -H "Authorization: Bearer $TOKEN" \
       -d '{"position_ms":1,"duration_ms":2,"updated_at":0}' \
       "$BASE/api/v1/resume/p1/t0")
[ "$code" = 204 ] || { echo "PUT answered $code"; cat "$WORK/logs/error.log"; exit 1; }

wrk_run() {   # script -> "rps p99_ms non2xx"
    wrk -t"$THREADS" -c"$CONNS" -d"${DURATION}s" --latency \
        -s "$WORK/$1.lua" "$BASE/" > "$WORK/wrk-$1.txt" 2>&1
    awk '
        /Requests\/sec/ { rps = $2 }
        $1 == "99%" {
            v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v)
            p99 = (u == "us") ? v / 1000 : (u == "s") ? v * 1000 : v
        }
        /Non-2xx/ { bad = $NF }
        END { printf "%d %.2f %d\n", rps, p99, bad }
    ' "$WORK/wrk-$1.txt"
}

rb_run() {   # SET|GET -> rps
    redis-benchmark -p "$RPORT" -c "$CONNS" -n $((DURATION * 40000)) \
        -t "$1" -r 1000 --csv 2>/dev/null \
        | awk -F, 'NR > 1 { gsub(/"/, "", $2); printf "%d\n", $2 }'
}


: > "$WORK/runs.txt"
for run in $(seq "$RUNS"); do
    read -r put_rps put_p99 put_bad < <(wrk_run put)
    read -r get_rps get_p99 get_bad < <(wrk_run get)
    set_rps=$(rb_run set)
    rget_rps=$(rb_run get)
    echo "run $run: PUT $put_rps rps p99 $put_p99 ms (non-2xx $put_bad)," \
         "GET $get_rps rps p99 $get_p99 ms (non-2xx $get_bad);" \
         "redis-benchmark SET $set_rps, GET $rget_rps"
    echo "$put_rps $put_p99 $get_rps $get_p99 $set_rps $rget_rps" \
        >> "$WORK/runs.txt"
done

col() { awk -v c="$1" '{ print $c }' "$WORK/runs.txt" | median; }
# rates as whole numbers: with an even BENCH_RUNS a median is a mean of two
int() { printf '%.0f' "$1"; }
P=$(int "$(col 1)"); PP=$(col 2); G=$(int "$(col 3)"); GP=$(col 4)
S=$(int "$(col 5)"); RG=$(int "$(col 6)")

echo
echo "medians of $RUNS runs, $CONNS connections, $WORKERS nginx worker(s),"
echo "$(nproc) CPUs shared by wrk, nginx, redis-server and redis-benchmark:"
printf "  %-34s %9s %9s %8s\n" "" "req/s" "p99 ms" "ratio"
printf "  %-34s %9d %9s %8.2f\n" "PUT /api/v1/resume (nginx)" "$P" "$PP" \
    "$(echo "$P / $S" | bc -l)"
printf "  %-34s %9d %9s\n" "SET (redis-benchmark)" "$S" "-"
printf "  %-34s %9d %9s %8.2f\n" "GET /api/v1/resume (nginx)" "$G" "$GP" \
    "$(echo "$G / $RG" | bc -l)"
printf "  %-34s %9d %9s\n" "GET (redis-benchmark)" "$RG" "-"
echo "goals: ratio >= 0.5, p99 < 5 ms"

# Latency at the goal's operating point: at full speed a closed loop of
# $CONNS connections queues (mean latency = connections / rate), so the
# p99 above is mostly wrk's own queue.  Here each connection waits between
# requests so that all of them together offer half of redis-benchmark's
# rate, as heartbeats from many devices would, and wrk reports the p99.
paced() {   # script target_rps -> "rps p99_ms non2xx"
    local gap
    gap=$(echo "$CONNS * 1000 / $2" | bc -l)
    { cat "$WORK/$1.lua"; cat <<EOL
local gap = $gap
delay = function()
    local f = math.floor(gap)
    if math.random() < gap - f then return f + 1 end
    return f
end
EOL
    } > "$WORK/$1-paced.lua"
    wrk_run "$1-paced"
}
read -r pp_rps pp_p99 pp_bad < <(paced put $((S / 2)))
read -r gp_rps gp_p99 gp_bad < <(paced get $((RG / 2)))
echo
echo "at half of redis-benchmark's rate ($CONNS connections pacing" \
     "themselves):"
printf "  %-34s %9d %9s  (offered %d, non-2xx %d)\n" \
    "PUT /api/v1/resume (nginx)" "$pp_rps" "$pp_p99" $((S / 2)) "$pp_bad"
printf "  %-34s %9d %9s  (offered %d, non-2xx %d)\n" \
    "GET /api/v1/resume (nginx)" "$gp_rps" "$gp_p99" $((RG / 2)) "$gp_bad"
