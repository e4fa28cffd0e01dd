#!/bin/bash
# run.sh (`make bench`): the packager against nginx serving the very same
# bytes as static files, side by side on one nginx with a single worker.
#
# For each case wrk (1 thread, BENCH_CONNS connections, BENCH_DURATION s)
# runs BENCH_RUNS times against the packaged URL and its static copy,
# interleaved; the table shows medians: requests per second and the
# worker's CPU time (utime + stime from /proc) per request.  The -threads
# rows run both sides under "aio threads" (nginx's default thread pool), as
# conf/origin.conf ships.  The cenc- and cbcs- rows are the cmaf-seg-1080p
# segment under "vod_encryption" (a random key file made once), read and
# encrypted per request, against the same encrypted bytes as a static file.
# The iframe- rows are under "vod_iframe_playlists hls dash".  Then the metrics case: a cached CMAF segment
# with metrics on (a vodedge_metrics location, so the packager counts in
# shared memory) against the same with them off, nginx restarted between
# them, BENCH_RUNS interleaved runs of each.  Then the cold index case,
# without and with "aio threads": the first segment request of a two-hour
# title after a restart (empty shared-memory cache), median of
# BENCH_COLD_RUNS restarts, and the worker's CPU time for it; the same of
# the two-hour title fragmented, and of master.m3u8 of the title with 8
# audio and 12 subtitle renditions.
#
#   bench/run.sh                 needs modules/ngx_vod_package_module.so
#   bench/run.sh --static-only   the harness alone: static vs static
#   BENCH_CASES=ts bench/run.sh  only the cases whose name matches (grep -E);
#                                the cold index runs are "cold-index", the
#                                metrics on vs off runs "metrics"
#
# Titles are made once in build/bench/media (bench/mktitles.sh).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
NGINX=${NGINX:-/usr/sbin/nginx}
PORT=${BENCH_PORT:-8091}
DURATION=${BENCH_DURATION:-5}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-8}
COLD_RUNS=${BENCH_COLD_RUNS:-5}
WORK=$ROOT/build/bench
MEDIA=$WORK/media
STATIC=$WORK/static
PREFIX=$WORK/run
BASE=http://127.0.0.1:$PORT
SO=$ROOT/modules/ngx_vod_package_module.so

static_only=
if [ "${1:-}" = --static-only ]; then
    static_only=1
elif [ -n "${1:-}" ]; then
    echo "usage: bench/run.sh [--static-only]" >&2
    exit 2
fi

command -v wrk >/dev/null || { echo "bench: wrk is missing" >&2; exit 1; }
if [ -z "$static_only" ] && [ ! -f "$SO" ]; then
    echo "bench: $SO is missing (run make)" >&2
    exit 1
fi

. bench/lib.sh

bench/mktitles.sh "$MEDIA"

mkdir -p "$PREFIX/logs" "$PREFIX/temp" "$STATIC"

# render_conf [metrics]: with "metrics", a vodedge_metrics location
render_conf() {
    local load= vod= extra= metrics= cenc= cbcs= iframes=
    if [ "${1:-}" = metrics ]; then
        metrics="location = /metrics { vodedge_metrics; allow 127.0.0.1; deny all; }"
    fi
    if [ -z "$static_only" ]; then
        load="load_module $SO;"
        vod="vod_package;"
        extra="vod_index_cache bench_index:64m;"
        [ -f "$PREFIX/key.bin" ] || head -c 32 /dev/urandom > "$PREFIX/key.bin"
        cenc="vod_package; vod_encryption cenc;"
        cenc="$cenc vod_encryption_key_file $PREFIX/key.bin;"
        cbcs="vod_package; vod_encryption cbcs;"
        cbcs="$cbcs vod_encryption_key_file $PREFIX/key.bin;"
        iframes="vod_package; vod_iframe_playlists hls dash;"
    fi
    sed -e "s|@LOAD_MODULE@|$load|" -e "s|@VOD@|$vod|" \
        -e "s|@HTTP_EXTRA@|$extra|" -e "s|@PREFIX@|$PREFIX|g" \
        -e "s|@MEDIA@|$MEDIA|" -e "s|@STATIC@|$STATIC|" \
        -e "s|@PORT@|$PORT|" -e "s|@METRICS@|$metrics|" \
        -e "s|@VOD_CENC@|$cenc|" -e "s|@VOD_CBCS@|$cbcs|" \
        -e "s|@VOD_IFRAMES@|$iframes|" \
        bench/nginx.conf.in > "$PREFIX/nginx.conf"
}

# cases: name, packaged path, static path
declare -a CASES
if [ -z "$static_only" ]; then
    T=/vod/bench
    CASES=(
        "cmaf-seg-1080p|$T/video-1080p-2.m4s"
        "cmaf-seg-nopush|/nopush$T/video-1080p-2.m4s"
        "ts-seg-1080p|$T/ts-1080p-2.ts"
        "ts-seg-nopush|/nopush$T/ts-1080p-2.ts"
        "cmaf-seg-threads|/threads$T/video-1080p-2.m4s"
        "ts-seg-threads|/threads$T/ts-1080p-2.ts"
        # the same segment as cmaf-seg-1080p encrypted, read and
        # encrypted per request
        "cenc-seg-1080p|/cenc$T/video-1080p-2.m4s"
        "cbcs-seg-1080p|/cbcs$T/video-1080p-2.m4s"
        "cenc-seg-threads|/cenc-threads$T/video-1080p-2.m4s"
        "cbcs-seg-threads|/cbcs-threads$T/video-1080p-2.m4s"
        "media-playlist|$T/video-1080p.m3u8"
        "master.m3u8|$T/master.m3u8"
        "manifest.mpd|$T/manifest.mpd"
        "playlist-threads|/threads$T/video-1080p.m3u8"
        "master-threads|/threads$T/master.m3u8"
        "mpd-threads|/threads$T/manifest.mpd"
        # vod_iframe_playlists: an I-frame playlist, one I-frame segment
        # (a key frame of segment 2, CMAF and MPEG-TS), and the
        # multivariant playlist and MPD naming them (each rendition's key
        # frames read from the index: against master.m3u8 above)
        "iframe-playlist|/iframes$T/iframe-1080p.m3u8"
        "iframe-seg-1080p|/iframes$T/iframe-1080p-2-1.m4s"
        "iframets-seg-1080p|/iframes$T/iframets-1080p-2-1.ts"
        "master-iframes|/iframes$T/master.m3u8"
        "mpd-iframes|/iframes$T/manifest.mpd"
        # 8 audio and 12 subtitle renditions; a WebVTT segment of a
        # feature film's subtitle file
        "tracks-master|/vod/tracks/master.m3u8"
        "tracks-mpd|/vod/tracks/manifest.mpd"
        "vtt-seg|/vod/tracks/sub-movie.en-2.vtt"
    )
else
    # the harness alone: ffmpeg's own packaging as the "packaged" side
    mkdir -p "$MEDIA/static-only"
    if [ ! -f "$MEDIA/static-only/seg-1.m4s" ]; then
        ffmpeg -hide_banner -loglevel error -y -i "$MEDIA/bench/1080p.mp4" \
            -c copy -f hls -hls_time 4 -hls_playlist_type vod \
            -hls_segment_type fmp4 -hls_segment_filename \
            "$MEDIA/static-only/seg-%d.m4s" "$MEDIA/static-only/index.m3u8"
    fi
    T=/vod/static-only
    CASES=(
        "cmaf-seg-1080p|$T/seg-1.m4s"
        "media-playlist|$T/index.m3u8"
    )
fi

cold=1
metrics=1
[ -n "$static_only" ] && metrics=
if [ -n "${BENCH_CASES:-}" ]; then
    kept=()
    for c in "${CASES[@]}"; do
        if echo "${c%%|*}" | grep -qE -- "$BENCH_CASES"; then
            kept+=("$c")
        fi
    done
    echo cold-index | grep -qE -- "$BENCH_CASES" || cold=
    echo metrics | grep -qE -- "$BENCH_CASES" || metrics=
    if [ ${#kept[@]} -eq 0 ] && [ -z "$cold" ] && [ -z "$metrics" ]; then
        echo "bench: no case matches BENCH_CASES=$BENCH_CASES" >&2
        exit 2
    fi
    CASES=("${kept[@]}")
fi

render_conf
start_nginx
trap stop_nginx EXIT

# the static copies: the packaged bytes, fetched once
echo "bench: fetching the packaged responses into $STATIC"
for c in "${CASES[@]}"; do
    name=${c%%|*}
    path=${c#*|}
    mkdir -p "$STATIC/$(dirname "$path")"
    code=$(curl -s -o "$STATIC$path" -w '%{http_code}' "$BASE$path")
    if [ "$code" != 200 ]; then
        echo "bench: $BASE$path answered $code" >&2
        exit 1
    fi
    if ! curl -s "$BASE$path" | cmp -s - "$STATIC$path"; then
        echo "bench: warning: $path differs between two requests" >&2
    fi
    printf '  %-16s %10d bytes  %s\n' "$name" \
        "$(stat -c %s "$STATIC$path")" "$path"
done

if [ ${#CASES[@]} -gt 0 ]; then
    echo
    echo "bench: wrk -t1 -c$CONNS -d${DURATION}s, median of $RUNS runs," \
         "one nginx worker, $(nproc) cores"
    fmt='%-16s %12s %12s %8s %12s %12s %8s\n'
    printf "$fmt" case "pkg req/s" "static req/s" ratio "pkg us/req" \
           "static us/req" "CPU x"
    for c in "${CASES[@]}"; do
        name=${c%%|*}
        path=${c#*|}
        p_rps=() p_us=() s_rps=() s_us=()
        for _ in $(seq "$RUNS"); do
            read -r r u < <(wrk_run "$BASE$path")
            p_rps+=("$r"); p_us+=("$u")
            read -r r u < <(wrk_run "$BASE/static$path")
            s_rps+=("$r"); s_us+=("$u")
        done
        pr=$(printf '%s\n' "${p_rps[@]}" | median)
        pu=$(printf '%s\n' "${p_us[@]}" | median)
        sr=$(printf '%s\n' "${s_rps[@]}" | median)
        su=$(printf '%s\n' "${s_us[@]}" | median)
        ratio=$(ratio "$pr" "$sr")
        cpu=$(ratio "$pu" "$su")
        printf "$fmt" "$name" "$pr" "$sr" "$ratio" "$pu" "$su" "$cpu"
    done
    echo "(ratio: packaged / static throughput; CPU x: packaged / static" \
         "worker CPU per request)"
fi

# metrics on vs off: the cached segment of the first case, nginx
# restarted with and without a vodedge_metrics location in turns
if [ -n "$metrics" ]; then
    path=$T/video-1080p-2.m4s
    echo
    echo "bench: metrics on vs off: $path, wrk -t1 -c$CONNS" \
         "-d${DURATION}s, median of $RUNS runs each, nginx restarted" \
         "before each"
    on_rps=() on_us=() off_rps=() off_us=()
    for _ in $(seq "$RUNS"); do
        for m in metrics off; do
            render_conf "$m"
            start_nginx
            curl -s -o /dev/null "$BASE$path"
            read -r r u < <(wrk_run "$BASE$path")
            if [ "$m" = metrics ]; then
                on_rps+=("$r"); on_us+=("$u")
            else
                off_rps+=("$r"); off_us+=("$u")
            fi
        done
    done
    render_conf metrics
    start_nginx
    if ! curl -s "$BASE/metrics" | grep -q '^vodedge_packager_requests_total'
    then
        echo "bench: the metrics endpoint shows no packager counters" >&2
        exit 1
    fi
    onr=$(printf '%s\n' "${on_rps[@]}" | median)
    onu=$(printf '%s\n' "${on_us[@]}" | median)
    offr=$(printf '%s\n' "${off_rps[@]}" | median)
    offu=$(printf '%s\n' "${off_us[@]}" | median)
    fmt='%-16s %12s %12s %8s %12s %12s %8s\n'
    printf "$fmt" case "on req/s" "off req/s" ratio "on us/req" \
           "off us/req" "CPU x"
    printf "$fmt" metrics-seg "$onr" "$offr" "$(ratio "$onr" "$offr")" \
           "$onu" "$offu" "$(ratio "$onu" "$offu")"
    echo "(CPU x: worker CPU per request with metrics on / off; the goal" \
         "is at most 1.02)"
    render_conf
    start_nginx
fi

if [ -n "$static_only" ] || [ -z "$cold" ]; then
    exit 0
fi

# cold index: first request for a segment in the middle of a 2 h title,
# without and with "aio threads" (conf/origin.conf ships the latter); then
# the same samples as a fragmented file (its moof boxes read and indexed);
# then a player's first request of the title with 8 audio and 12 subtitle
# renditions, master.m3u8 (its index built, its 12 sidecars parsed)
for cold_title in long longfrag tracks; do
    echo
    LONG=$(ls "$MEDIA/$cold_title"/*.mp4 | head -1)
    dur=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$LONG" \
          2>/dev/null || echo 0)
    mid=$(awk -v d="$dur" \
          'BEGIN { n = int(d / 2 / 4); print (n > 0 ? n : 1) }')
    path=video-180p-$mid.m4s
    [ "$cold_title" = tracks ] && path=master.m3u8

    # one request: prints its time in seconds, or nan
    first_request() {
        local code t
        read -r code t < <(curl -s -o /dev/null \
                           -w '%{http_code} %{time_total}\n' "$1")
        if [ "$code" != 200 ]; then
            echo "bench: $1 answered $code" >&2
            echo nan
            return
        fi
        echo "$t"
    }

    # the CPU time the worker has run, all its threads (the thread pool's
    # too), in microseconds: /proc's schedstat counts it in nanoseconds, so a
    # request's own CPU shows even when other work on the machine stretches
    # its wall-clock time
    worker_cpu() {
        local f v sum=0
        for f in /proc/"$(worker_pid)"/task/*/schedstat; do
            read -r v _ 2>/dev/null < "$f" || continue
            sum=$((sum + v))
        done
        echo $((sum / 1000))
    }

    for loc in "" /threads; do
        aio=off
        [ -n "$loc" ] && aio=threads
        url=$BASE$loc/vod/$cold_title/$path
        echo "bench: cold index, aio $aio: $url (title" \
             "$(printf '%.0f' "$dur") s), nginx restarted before each of" \
             "$COLD_RUNS runs"
        cold=() warm=() cold_cpu=() live_cpu=()
        for _ in $(seq "$COLD_RUNS"); do
            start_nginx
            u0=$(worker_cpu)
            cold+=("$(first_request "$url")")
            cold_cpu+=($(($(worker_cpu) - u0)))
            warm+=("$(first_request "$url")")
        done
        c=$(printf '%s\n' "${cold[@]}" | median)
        w=$(printf '%s\n' "${warm[@]}" | median)
        cu=$(printf '%s\n' "${cold_cpu[@]}" | median)

        # the same title under new paths (hard links, so the same page cache)
        # in a worker that has run a while: a cold index as a live origin
        # meets it, without a new process's first-touch page faults
        start_nginx
        first_request "$url" > /dev/null
        live=()
        for i in $(seq "$COLD_RUNS"); do
            mkdir -p "$MEDIA/cold$i"
            ln -f "$MEDIA/$cold_title"/* "$MEDIA/cold$i/"
            u0=$(worker_cpu)
            live+=("$(first_request "$BASE$loc/vod/cold$i/$path")")
            live_cpu+=($(($(worker_cpu) - u0)))
            rm -rf "$MEDIA/cold$i"
        done
        l=$(printf '%s\n' "${live[@]}" | median)
        lu=$(printf '%s\n' "${live_cpu[@]}" | median)

        awk -v c="$c" -v w="$w" -v l="$l" -v cu="$cu" -v lu="$lu" 'BEGIN {
            printf "  first request, new nginx (cold index):     %8.2f ms" \
                   "  (worker CPU %.2f ms)\n", c * 1000, cu / 1000;
            printf "  first request, running worker (cold index): %7.2f ms" \
                   "  (worker CPU %.2f ms)\n", l * 1000, lu / 1000;
            printf "  second request (cached index):              %7.2f ms\n",
                   w * 1000 }'
    done

    if [ -x bin/vodpkg ]; then
        info=$(bin/vodpkg info "$LONG" 2>&1 || true)
        moov=$(echo "$info" | grep -oE 'moov [0-9]+ bytes' | grep -oE '[0-9]+' \
               | head -1)
        index=$(echo "$info" | grep -oE 'index [0-9]+ bytes' \
                | grep -oE '[0-9]+' \
                | head -1)
        if [ -n "$moov" ] && [ -n "$index" ]; then
            awk -v m="$moov" -v i="$index" 'BEGIN {
                printf "  moov %d bytes, index %d bytes (%.1f%% of moov)\n",
                       m, i, 100 * i / m }'
        else
            echo "  bin/vodpkg info did not print moov/index sizes:"
            echo "$info" | head -5 | sed 's/^/    /'
        fi
    else
        echo "  (bin/vodpkg not built: no index vs moov sizes)"
    fi
done
