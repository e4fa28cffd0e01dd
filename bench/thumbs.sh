#!/bin/bash
# thumbs.sh (`make bench-thumbs`): thumbnails (thumb-{id}-{ms}.jpg) of a
# 1080p24 H.264 title with 2 s GOPs and B-frames, one nginx worker whose
# thumbnails decode in a thread pool of their own (vod_thumbnail_thread_pool)
# of BENCH_THUMB_THREADS (default 1) threads, segments' reads and sendfile
# in nginx's default pool.  For each case wrk (1 thread, 1 connection, BENCH_DURATION s)
# runs BENCH_RUNS times; the table shows medians of the latency median
# and p99 and of the worker's CPU time (utime + stime of the whole
# process, its pool threads included) per thumbnail.  Then the event
# loop's share: the p99 of CMAF segment requests (wrk -c4) alone, and
# while 16 connections ask for mid-GOP thumbnails, in turns.  The tile
# sheet case (tiles-{id}-{n}.jpg) is a 5x5 sheet of 240-wide tiles one a
# second, all 25 showing a frame of a 25 s title of the same encoding: key
# frames and frames 1 s into their GOPs, each GOP decoded once.
#
#   bench/thumbs.sh          needs modules/ngx_vod_package_module.so built
#                            with FFmpeg
#   BENCH_THUMB_NICE=0 bench/thumbs.sh
#                            the pool threads at another nice (or idle:
#                            SCHED_IDLE)
#   BENCH_PIN=0 bench/thumbs.sh
#                            wrk and the worker unpinned (by default, with
#                            two cores or more, the worker and its pools'
#                            threads are on CPU 0 and wrk on CPU 1)
#   BENCH_SO=/x/ngx_vod_package_module.so bench/thumbs.sh
#                            another build of it (e.g. one made with
#                            VOD_NO_LIBJPEG=1, to compare the encoders)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${BENCH_PORT:-8093}
DURATION=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
# the segment p99 is the noisiest figure: more runs of it
SEG_RUNS=${BENCH_SEG_RUNS:-5}
THREADS=${BENCH_THUMB_THREADS:-1}
# the pool threads' nice (vod_thumbnail_thread_nice; default: the module's)
NICE=${BENCH_THUMB_NICE:-}
NICE_LINE=
[ -n "$NICE" ] && NICE_LINE="vod_thumbnail_thread_nice $NICE;"
CONNS=1
# the worker on CPU 0 (its pools' threads inherit its affinity, so the
# decodes share the event loop's core), the clients on CPU 1, as clients
# on other machines would be: on two cores, unpinned wrk processes take
# the CPU the worker and the decodes need, and the segment p99 then
# measures the client's scheduling as much as the server's
AFFINITY_LINE=
PLACEMENT=unpinned
WRK=(wrk)
if [ "${BENCH_PIN:-1}" = 1 ] && [ "$(nproc)" -ge 2 ] \
   && command -v taskset >/dev/null
then
    AFFINITY_LINE="worker_cpu_affinity 01;"
    WRK=(taskset -c 1 wrk)
    PLACEMENT="the worker on CPU 0, wrk on CPU 1"
fi
WORK=$ROOT/build/bench
MEDIA=$WORK/thumbs-media
PREFIX=$WORK/thumbs-run
BASE=http://127.0.0.1:$PORT
SO=${BENCH_SO:-$ROOT/modules/ngx_vod_package_module.so}

command -v wrk >/dev/null || { echo "bench: wrk is missing" >&2; exit 1; }
[ -f "$SO" ] || { echo "bench: $SO is missing (run make)" >&2; exit 1; }

. bench/lib.sh

mkdir -p "$MEDIA/t" "$MEDIA/t25" "$PREFIX/logs" "$PREFIX/temp"

# make_title DIR SECONDS: DIR/1080p.mp4, 1080p24, 2 s GOPs, B-frames
make_title() {
    [ -f "$MEDIA/$1/.done" ] && return
    echo "bench: making $MEDIA/$1/1080p.mp4 ($2 s, 1080p24, 2 s GOPs," \
         "B-frames)"
    # temporal noise keeps the encoder at its bitrate
    ffmpeg -hide_banner -loglevel error -y \
        -f lavfi -i "testsrc2=size=1920x1080:rate=24:duration=$2" \
        -vf "noise=alls=12:allf=t" -c:v libx264 -preset veryfast \
        -profile:v high -bf 2 -g 48 -keyint_min 48 -sc_threshold 0 \
        -pix_fmt yuv420p -b:v 5M -maxrate 5M -bufsize 5M \
        -movflags +faststart "$MEDIA/$1/1080p.mp4"
    touch "$MEDIA/$1/.done"
}

make_title t 20
make_title t25 25

cat > "$PREFIX/nginx.conf" <<_EOC_
load_module $SO;
worker_processes 1;
$AFFINITY_LINE
daemon on;
pid $PREFIX/logs/nginx.pid;
error_log $PREFIX/logs/error.log warn;
thread_pool thumbs threads=$THREADS;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $PREFIX/temp;
    proxy_temp_path $PREFIX/temp;
    fastcgi_temp_path $PREFIX/temp;
    uwsgi_temp_path $PREFIX/temp;
    scgi_temp_path $PREFIX/temp;
    sendfile on;
    tcp_nopush on;
    keepalive_requests 1000000;
    $NICE_LINE
    open_file_cache max=1000 inactive=60s;
    vod_index_cache thumbs_index:16m;
    server {
        listen 127.0.0.1:$PORT;
        location /vod/ {
            alias $MEDIA/;
            vod_package;
            vod_thumbnails on;
            vod_thumbnail_thread_pool thumbs;
            aio threads;
        }
        location /tiles/ {
            alias $MEDIA/;
            vod_package;
            vod_thumbnails on;
            vod_thumbnail_thread_pool thumbs;
            vod_thumbnail_tiles 5x5;
            vod_thumbnail_tile_interval 1s;
            vod_thumbnail_tile_width 240;
            aio threads;
        }
    }
}
_EOC_

start_nginx
trap stop_nginx EXIT

# ms: a key frame (4 s), a frame 1 s into its GOP, the last frame of a GOP
# (47 frames after its key frame, presented from 5.9583 s: 5958 ms, the
# first frame at or after it; at 5959 ms the next key frame's), the same
# 320 wide; a
# sheet of 25 tiles
CASES=(
    "key-1080p|/vod/t/thumb-1080p-4000.jpg"
    "mid-gop-1080p|/vod/t/thumb-1080p-5000.jpg"
    "gop-end-1080p|/vod/t/thumb-1080p-5958.jpg"
    "mid-gop-w320|/vod/t/thumb-1080p-5000-w320.jpg"
    "sheet-5x5-w240|/tiles/t25/tiles-1080p-1.jpg"
)

for c in "${CASES[@]}"; do
    code=$(curl -s -o /dev/null -w '%{http_code}' "$BASE${c#*|}")
    if [ "$code" != 200 ]; then
        echo "bench: $BASE${c#*|} answered $code" >&2
        exit 1
    fi
done

# milliseconds of a wrk --latency percentile line ("99%  12.34ms")
wrk_ms() {
    awk -v p="$1" '$1 == p {
        v = $2; u = v; sub(/[0-9.]+/, "", u); sub(/[a-z]+$/, "", v);
        if (u == "us") v /= 1000; else if (u == "s") v *= 1000;
        printf "%.2f\n", v }'
}

# one run: prints "p50-ms p99-ms cpu-ms/req"
thumb_run() {
    local url=$1 w c0 c1 out reqs
    w=$(worker_pid)
    c0=$(cpu_ticks "$w")
    out=$("${WRK[@]}" -t1 -c"$CONNS" -d"${DURATION}s" --latency "$url" 2>&1)
    c1=$(cpu_ticks "$w")
    reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
    if [ -z "$reqs" ] || [ "$reqs" -eq 0 ] \
       || echo "$out" | grep -q 'Non-2xx'
    then
        echo "bench: wrk $url failed" >&2
        echo "$out" | sed 's/^/    /' >&2
        echo "nan nan nan"
        return
    fi
    echo "$(echo "$out" | wrk_ms 50%) $(echo "$out" | wrk_ms 99%)" \
         "$(awk -v t=$((c1 - c0)) -v n="$reqs" -v hz="$HZ" \
            'BEGIN { printf "%.2f", t * 1000 / hz / n }')"
}

if readelf -d "$SO" 2>/dev/null | grep -q 'NEEDED.*libjpeg'; then
    encoder="libjpeg-turbo"
else
    encoder="FFmpeg's mjpeg"
fi
echo "bench: thumbnails, wrk -t1 -c1 -d${DURATION}s, median of $RUNS runs," \
     "one worker, a pool of $THREADS thread(s), $(nproc) cores," \
     "JPEG by $encoder, load average $(cut -d' ' -f1 /proc/loadavg)," \
     "$PLACEMENT"
fmt='%-16s %10s %10s %12s\n'
printf "$fmt" case "p50 ms" "p99 ms" "CPU ms/req"
for c in "${CASES[@]}"; do
    p50=() p99=() cpu=()
    for _ in $(seq "$RUNS"); do
        read -r a b u < <(thumb_run "$BASE${c#*|}")
        p50+=("$a"); p99+=("$b"); cpu+=("$u")
    done
    printf "$fmt" "${c%%|*}" "$(printf '%s\n' "${p50[@]}" | median)" \
           "$(printf '%s\n' "${p99[@]}" | median)" \
           "$(printf '%s\n' "${cpu[@]}" | median)"
done

# segments while thumbnails decode: p99 of a cached 1080p CMAF segment
# (wrk -c4), alone and with 16 connections asking for mid-GOP thumbnails
seg=$BASE/vod/t/video-1080p-2.m4s
curl -s -o /dev/null "$seg"
echo
echo "bench: p99 of $seg (wrk -t1 -c4 -d${DURATION}s), alone and while 16" \
     "connections ask for mid-GOP thumbnails, $SEG_RUNS runs each in turns"
# the thumbnails still queued in the pool when wrk stops decode on for up
# to a second: the next "alone" waits until the worker's CPU time stands
# still for 0.3 s (at most 10 s)
drain() {
    local w c0 c1 i
    w=$(worker_pid)
    c1=$(cpu_ticks "$w")
    for i in $(seq 33); do
        c0=$c1
        sleep 0.3
        c1=$(cpu_ticks "$w")
        [ "$c1" -gt "$c0" ] || break
    done
}
alone=() busy=()
for _ in $(seq "$SEG_RUNS"); do
    alone+=("$("${WRK[@]}" -t1 -c4 -d"${DURATION}s" --latency "$seg" | wrk_ms 99%)")
    "${WRK[@]}" -t1 -c16 -d"$((DURATION + 2))s" "$BASE/vod/t/thumb-1080p-5000.jpg" \
        > /dev/null 2>&1 &
    load=$!
    sleep 1
    busy+=("$("${WRK[@]}" -t1 -c4 -d"${DURATION}s" --latency "$seg" | wrk_ms 99%)")
    wait "$load" || true
    drain
done
a=$(printf '%s\n' "${alone[@]}" | median)
b=$(printf '%s\n' "${busy[@]}" | median)
printf '  segment p99 alone %s ms, with 16 thumbnails decoding %s ms' "$a" "$b"
printf ' (x %s; the goal: x 1.10 at most)\n' "$(ratio "$b" "$a")"
