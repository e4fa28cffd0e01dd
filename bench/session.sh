#!/bin/bash
# session.sh: what binding media to the playback session costs.  One
# nginx with a single worker runs the origin and two edge servers over one
# proxy_cache, both with every check of bench/edge.sh (signed URL, tier,
# GeoIP licensing) and the playback API's Redis (a private redis-server):
# "on" also checks that the session the token names lives
# (playback_session_check on: the worker's cache, refreshed in the
# background every ttl), "off" does not.  The token comes from a real
# manifest call (aud media, a sid), its session kept for the whole run.
# Both sides serve cache hits (warmed first), so the difference is the
# session check alone.  wrk (1 thread, BENCH_CONNS connections,
# BENCH_DURATION s) runs BENCH_RUNS times per side, interleaved; medians.
# Goal: at most 3 % more per request on a segment and on a playlist.
# With BENCH_CALLGRIND=N (e.g. 3000) it then counts instructions too,
# which a loaded machine does not blur: nginx (no master) under valgrind
# --tool=callgrind serves N cache hits through each side, and once none;
# the difference over N is one request's instructions.
#
#   bench/session.sh       needs modules/*.so, bin/vodedge-token,
#                          build/media (or BENCH_MEDIA), redis-server, wrk
#                          (and valgrind for BENCH_CALLGRIND)
set -euo pipefail

cd "$(dirname "$0")/.."
PORT=${BENCH_SESSION_PORT:-18091}
RPORT=${BENCH_REDIS_PORT:-18099}
PREFIX=$PWD/build/bench-session
. bench/lib.sh
edge_init
OFF=http://127.0.0.1:$((PORT + 1))

edge_prepare redis-server redis-cli
mkdir -p "$PREFIX/redis"

redis_stop() {
    redis-cli -p "$RPORT" shutdown nosave >/dev/null 2>&1 || true
}

cleanup() {
    stop_nginx
    redis_stop
}

redis-server --bind 127.0.0.1 --port "$RPORT" --save '' --appendonly no \
    --daemonize yes --pidfile "$PREFIX/redis/redis.pid" \
    --logfile "$PREFIX/redis/redis.log" --dir "$PREFIX/redis"
trap cleanup EXIT
for _ in $(seq 100); do
    redis-cli -p "$RPORT" ping >/dev/null 2>&1 && break
    sleep 0.05
done

checks() {
    edge_checks "playback_stream_grace 1h;"
}

{
    edge_conf_head "playback_redis 127.0.0.1:$RPORT;"
    cat <<EOC

    # every check, and the session's
    server {
        listen 127.0.0.1:$PORT;
        playback_session_check on ttl=5s;
$(checks)
        location /api/ {
            playback_token off;
            playback_api on;
            playback_api_base_url http://127.0.0.1:$PORT;
        }
    }

    # every check but the session's
    server {
        listen 127.0.0.1:$((PORT + 1));
        playback_session_check off;
$(checks)
    }
}
EOC
} > "$PREFIX/nginx.conf"

start_nginx
trap cleanup EXIT

API=$(bin/vodedge-token --key-file conf/demo-only-playback.key --kid demo \
      --aud api --sub bench-account --profiles p1 --tier premium --ttl 3600)

# the manifest call's answer for a device; its token, its session's id
manifest() {
    curl -s -X POST -H "Authorization: Bearer $API" -H "$WRK_HEADER" \
         "$BASE/api/v1/playback/manifest" \
         -d '{"video_id":"demo","profile_id":"p1","device":{"type":"'"$1"'"}}'
}
token_of() {
    echo "$1" | sed -n 's|.*"hls":"[^"]*/t/\([^/]*\)/.*|\1|p'
}
sid_of() {
    echo "$1" | sed -n 's|.*"playback_session_id":"\([0-9a-f]*\)".*|\1|p'
}

ANSWER=$(manifest bench)
TOKEN=$(token_of "$ANSWER")
SID=$(sid_of "$ANSWER")
if [ -z "$TOKEN" ] || [ -z "$SID" ]; then
    echo "bench: the manifest call answered: $ANSWER" >&2
    exit 1
fi

CASES=(
    "1080p-segment|/vod/demo/video-1080p-1.m4s"
    "media-playlist|/vod/demo/video-1080p.m3u8"
)

for c in "${CASES[@]}"; do
    path=${c#*|}
    edge_expect_200 "$BASE/t/$TOKEN$path" "$OFF/t/$TOKEN$path"
done

# the check is real: an ended session is refused on "on" (a token of
# another session, ended at once, so that the bench's session lives on)
ANSWER2=$(manifest b2)
TOKEN2=$(token_of "$ANSWER2")
SID2=$(sid_of "$ANSWER2")
curl -s -o /dev/null -X DELETE -H "Authorization: Bearer $API" \
     "$BASE/api/v1/playback/sessions/$SID2"
code=$(curl -s -o /dev/null -w '%{http_code}' -H "$WRK_HEADER" \
       "$BASE/t/$TOKEN2${CASES[0]#*|}")
if [ "$code" != 403 ]; then
    echo "bench: an ended session's segment answered $code, not 403" >&2
    exit 1
fi

exists0=$(redis-cli -p "$RPORT" info commandstats \
          | sed -n 's/^cmdstat_exists:calls=\([0-9]*\),.*/\1/p')

edge_compare on "$BASE/t/$TOKEN" off "$OFF/t/$TOKEN" "session check on vs off"

exists1=$(redis-cli -p "$RPORT" info commandstats \
          | sed -n 's/^cmdstat_exists:calls=\([0-9]*\),.*/\1/p')
echo "(ratio: on / off throughput, goal >= 0.97; CPU x: on / off worker" \
     "CPU per request, goal <= 1.03; Redis EXISTS calls during the runs:" \
     "$(( ${exists1:-0} - ${exists0:-0} )), the background refreshes)"

[ "${BENCH_CALLGRIND:-0}" -gt 0 ] || exit 0
command -v valgrind >/dev/null || { echo "bench: valgrind is missing" >&2
                                    exit 1; }
stop_nginx
N=$BENCH_CALLGRIND
sed 's/^daemon on;/daemon off; master_process off;/' "$PREFIX/nginx.conf" \
    > "$PREFIX/callgrind.conf"

# instructions of a whole nginx life: start, warm both sides' cache entries
# and the session, $3 requests of $2 through port $1, stop
cg_total() {
    local port=$1 path=$2 n=$3 out=$PREFIX/cg.$1.$3 pid p
    # the port is free: no nginx of an earlier run answers for this one
    for _ in $(seq 300); do
        curl -s -o /dev/null "$BASE/" || break
        sleep 0.1
    done
    rm -f "$PREFIX/logs/nginx.pid"
    valgrind --tool=callgrind --callgrind-out-file="$out" "$NGINX" \
        -p "$PREFIX/" -c "$PREFIX/callgrind.conf" \
        -e "$PREFIX/logs/error.log" >/dev/null 2>&1 &
    pid=$!
    # up when it wrote its own pid (valgrind runs nginx in its process)
    for _ in $(seq 600); do
        [ "$(cat "$PREFIX/logs/nginx.pid" 2>/dev/null)" = "$pid" ] \
            && curl -s -o /dev/null "$BASE/" && break
        sleep 0.1
    done
    for p in "${CASES[@]}"; do
        curl -s -o /dev/null -H "$WRK_HEADER" "$BASE/t/$TOKEN${p#*|}"
        curl -s -o /dev/null -H "$WRK_HEADER" "$OFF/t/$TOKEN${p#*|}"
    done
    : > "$PREFIX/urls"
    for _ in $(seq "$n"); do
        printf 'url = "http://127.0.0.1:%s/t/%s%s"\noutput = /dev/null\n' \
            "$port" "$TOKEN" "$path" >> "$PREFIX/urls"
    done
    [ "$n" -eq 0 ] || curl -s -H "$WRK_HEADER" -K "$PREFIX/urls"
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 600); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    sed -n 's/^summary: //p' "$out"
}

echo "bench: instructions per cache hit (callgrind, $N requests a side)"
fmt='%-16s %12s %12s %8s\n'
printf "$fmt" case "on Ir" "off Ir" "x"
base=$(cg_total "$PORT" / 0)
for c in "${CASES[@]}"; do
    name=${c%%|*}
    path=${c#*|}
    on=$(( ($(cg_total "$PORT" "$path" "$N") - base) / N ))
    off=$(( ($(cg_total "$((PORT + 1))" "$path" "$N") - base) / N ))
    printf "$fmt" "$name" "$on" "$off" \
           "$(awk -v a="$on" -v b="$off" 'BEGIN { printf "%.3f", a / b }')"
done
echo "(x: on / off instructions per request, goal <= 1.03)"
