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

# The edge benchmarks (edge.sh, session.sh): one nginx with a single worker
# runs the origin and two edge servers over one proxy_cache.  The caller
# sets PORT (the first edge server; PORT + 2 is the origin) and PREFIX,
# then calls edge_init.

edge_init() {
    ROOT=$PWD
    NGINX=${NGINX:-/usr/sbin/nginx}
    DURATION=${BENCH_DURATION:-5}
    RUNS=${BENCH_RUNS:-3}
    CONNS=${BENCH_CONNS:-8}
    MEDIA=${BENCH_MEDIA:-$ROOT/build/media}
    BASE=http://127.0.0.1:$PORT
    ORIGIN=127.0.0.1:$((PORT + 2))
    # realip takes the client's address from it: a US client, licensed
    WRK_HEADER="X-Forwarded-For: 203.0.113.5"
}

# what both need (and the commands named), then a fresh PREFIX with the
# demo GeoIP data and the demo key
edge_prepare() {
    local f c
    for f in modules/ngx_vod_package_module.so \
             modules/ngx_stream_playback_module.so bin/vodedge-token \
             "$MEDIA/demo/1080p.mp4"; do
        [ -e "$f" ] || { echo "bench: $f is missing (make all fixtures)" >&2
                         exit 1; }
    done
    for c in wrk "$@"; do
        command -v "$c" >/dev/null \
            || { echo "bench: $c is missing" >&2; exit 1; }
    done
    rm -rf "$PREFIX"
    mkdir -p "$PREFIX/logs" "$PREFIX/temp" "$PREFIX/geo"
    tools/mkgeo.pl demo "$PREFIX/geo" >/dev/null
    cp conf/demo-only-playback.key "$PREFIX/demo.key"
}

# nginx.conf up to the edge servers: the modules, one worker, the cache,
# realip, the GeoIP data, the http-level lines given ($1) and the origin;
# the caller adds its two edge servers and closes the http block
edge_conf_head() {
    cat <<EOC
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
${1:+    $1
}
    server {
        listen $ORIGIN;
        location /vod/ {
            alias $MEDIA/;
            vod_package;
        }
    }
EOC
}

# an edge server's /vod/: the origin through the shared cache
edge_proxy() {
    cat <<EOS
        location /vod/ {
            proxy_pass http://$ORIGIN;
            proxy_cache edge;
            proxy_cache_key \$uri;
        }
EOS
}

# every check, as conf/edge.conf has them, and the cached /vod/
edge_checks() {
    cat <<EOS
        playback_token on;
        playback_token_key demo $PREFIX/demo.key;
        playback_tiers on;
        playback_licensing on;
        playback_rights_default deny;
        playback_unknown_country deny;
EOS
    [ -z "${1:-}" ] || echo "        $1"
    echo '        location = / { return 200; }'
    edge_proxy
}

# each URL answers 200 to the client wrk plays (this also fills the cache)
edge_expect_200() {
    local url code
    for url in "$@"; do
        code=$(curl -s -o /dev/null -w '%{http_code}' -H "$WRK_HEADER" "$url")
        if [ "$code" != 200 ]; then
            echo "bench: $url answered $code" >&2
            exit 1
        fi
    done
}

# the table: for each "name|path" of CASES, wrk on $2 then $4 followed by
# the path, RUNS times interleaved; medians of side $1 against side $3,
# under a line saying what is compared ($5)
edge_compare() {
    local a=$1 a_url=$2 b=$3 b_url=$4 c name path r u kr ku pr pu
    local fmt='%-16s %12s %12s %8s %12s %12s %8s\n'
    local -a k_rps k_us p_rps p_us
    echo "bench: $5, wrk -t1 -c$CONNS -d${DURATION}s," \
         "median of $RUNS runs, one nginx worker, $(nproc) cores"
    printf "$fmt" case "$a r/s" "$b r/s" ratio "$a us" "$b us" "CPU x"
    for c in "${CASES[@]}"; do
        name=${c%%|*}
        path=${c#*|}
        k_rps=() k_us=() p_rps=() p_us=()
        for _ in $(seq "$RUNS"); do
            read -r r u < <(wrk_run "$a_url$path")
            k_rps+=("$r"); k_us+=("$u")
            read -r r u < <(wrk_run "$b_url$path")
            p_rps+=("$r"); p_us+=("$u")
        done
        kr=$(printf '%s\n' "${k_rps[@]}" | median)
        ku=$(printf '%s\n' "${k_us[@]}" | median)
        pr=$(printf '%s\n' "${p_rps[@]}" | median)
        pu=$(printf '%s\n' "${p_us[@]}" | median)
        printf "$fmt" "$name" "$kr" "$pr" "$(ratio "$kr" "$pr")" "$ku" \
               "$pu" "$(ratio "$ku" "$pu")"
    done
}
