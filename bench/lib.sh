# lib.sh: what the benchmarks share (sourced).  The caller sets NGINX,
# PREFIX (nginx's prefix, with logs/nginx.pid), BASE (a URL that answers
# once nginx is up), CONNS, DURATION and, optionally, WRK_HEADER (one
# header line every wrk request sends).

HZ=$(getconf CLK_TCK)

master_pid() {
    cat "$PREFIX/logs/nginx.pid" 2>/dev/null || true
}

stop_nginx() {
    local pid
    pid=$(master_pid)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 100); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.05
        done
    fi
    rm -f "$PREFIX/logs/nginx.pid"
}

start_nginx() {
    stop_nginx
    "$NGINX" -p "$PREFIX/" -c "$PREFIX/nginx.conf" -e "$PREFIX/logs/error.log"
    for _ in $(seq 100); do
        curl -s -o /dev/null "$BASE/" && return 0
        sleep 0.05
    done
    echo "bench: nginx did not start; $PREFIX/logs/error.log:" >&2
    tail -5 "$PREFIX/logs/error.log" >&2
    exit 1
}

worker_pid() {
    pgrep -P "$(master_pid)" | head -1
}

# utime + stime of a process, in clock ticks
cpu_ticks() {
    sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

median() {
    sort -g | awk '{ v[NR] = $1 } END {
        if (NR == 0) { print "nan"; exit }
        if (NR % 2) print v[(NR + 1) / 2];
        else printf "%.2f\n", (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# one wrk run: prints "req/s us/req", or "nan nan" on errors
wrk_run() {
    local url=$1 w c0 c1 out reqs rps bad
    local -a hdr=()
    [ -n "${WRK_HEADER:-}" ] && hdr=(-H "$WRK_HEADER")
    w=$(worker_pid)
    c0=$(cpu_ticks "$w")
    out=$(wrk -t1 -c"$CONNS" -d"${DURATION}s" "${hdr[@]}" "$url" 2>&1)
    c1=$(cpu_ticks "$w")
    reqs=$(echo "$out" | awk '/requests in/ { print $1 }')
    rps=$(echo "$out" | awk '/^Requests\/sec:/ { print $2 }')
    bad=$(echo "$out" | awk '/Non-2xx or 3xx responses:/ { print $5 }')
    if [ -z "$reqs" ] || [ "$reqs" -eq 0 ] || [ -n "$bad" ]; then
        echo "bench: wrk $url: ${bad:-no} non-2xx responses" >&2
        echo "$out" | sed 's/^/    /' >&2
        echo "nan nan"
        return
    fi
    awk -v r="$rps" -v t=$((c1 - c0)) -v n="$reqs" -v hz="$HZ" \
        'BEGIN { printf "%s %.1f\n", r, t * 1e6 / hz / n }'
}

ratio() {
    awk -v a="$1" -v b="$2" \
        'BEGIN { if (b > 0) printf "%.2f", a / b; else print "nan" }'
}
