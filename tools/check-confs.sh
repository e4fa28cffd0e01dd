#!/bin/bash
# check-confs.sh MEDIA_DIR: the shipped configurations as the README runs
# them.  A prefix laid out as the repository root (conf/ copied as is,
# modules/ and e2e/ linked, media/demo the test title from MEDIA_DIR,
# logs/ and temp/ empty, the demo GeoIP files from tools/mkgeo.pl) so
# nothing of the checkout is touched; then, as in the README:
#
#   nginx -p PREFIX -t -c conf/origin.conf    (and edge.conf, steering.conf)
#   nginx -p PREFIX -c conf/X.conf            the three, and a redis-server
#
# and the README's quick-start URLs must answer: the origin's playlists,
# MPD and player page with their content types, a segment that decodes;
# the edge with a signed URL per tier (and 403 without one, 451 from a
# country the demo rights refuse), its playback API; steering's decision
# and redirect.  Then every server is stopped, and no [error] or worse
# line may be in their logs.  Uses ports 8080-8082, 9145-9147 (their
# metrics) and 6379, as the configurations do.  Exits non-zero naming the first failure.
set -euo pipefail

media=$(cd "${1:?usage: check-confs.sh MEDIA_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
nginx=${TEST_NGINX_BINARY:-/usr/sbin/nginx}
prefix=$root/build/check-confs
confs="origin edge steering shield"
ORIGIN=http://127.0.0.1:8080
EDGE=http://127.0.0.1:8081
STEER=http://127.0.0.1:8082
SHIELD=http://127.0.0.1:8083

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

[ -f "$media/demo/360p.mp4" ] || fail "no demo title under $media"

rm -rf "$prefix"
mkdir -p "$prefix/logs" "$prefix/temp/geo" "$prefix/media"
cp -r "$root/conf" "$prefix/conf"
ln -s "$root/modules" "$prefix/modules"
ln -s "$root/e2e" "$prefix/e2e"
ln -s "$media/demo" "$prefix/media/demo"
"$root/tools/mkgeo.pl" demo "$prefix/temp/geo" > /dev/null
# the secret of conf/origin.conf's protected /drm/ (tools/demo.sh makes
# it the same way)
head -c 32 /dev/urandom > "$prefix/temp/demo-drm.key"

stop_all() {
    local c
    for c in $confs; do
        "$nginx" -p "$prefix/" -c "conf/$c.conf" -s stop 2>/dev/null || true
    done
    if [ -f "$prefix/temp/redis.pid" ]; then
        kill "$(cat "$prefix/temp/redis.pid")" 2>/dev/null || true
    fi
}
trap stop_all EXIT

for c in $confs; do
    out=$("$nginx" -p "$prefix/" -t -c "conf/$c.conf" 2>&1) \
        || fail "nginx -t -c conf/$c.conf: $out"
    grep -q 'test is successful' <<< "$out" \
        || fail "nginx -t -c conf/$c.conf: $out"
    echo "ok nginx -t -c conf/$c.conf"
done

# conf/edge.conf's Redis; a Redis of the system's own on 6379 (Debian's
# redis-server package starts one) does as well
if ! redis-cli -p 6379 ping 2>/dev/null | grep -q PONG; then
    redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
        --daemonize yes --pidfile "$prefix/temp/redis.pid" \
        --logfile "$prefix/temp/redis.log" --dir "$prefix/temp"
fi
for c in $confs; do
    "$nginx" -p "$prefix/" -c "conf/$c.conf" || fail "conf/$c.conf: start"
done

# wait URL: until it answers at all
wait_up() {
    local i
    for i in $(seq 100); do
        curl -s -o /dev/null "$1" && return 0
        sleep 0.05
    done
    fail "$1: no answer"
}
wait_up "$ORIGIN/"
wait_up "$EDGE/"
wait_up "$STEER/steer/demo"
wait_up "$SHIELD/health"
for i in $(seq 100); do
    redis-cli -p 6379 ping 2>/dev/null | grep -q PONG && break
    sleep 0.05
done

# expect STATUS CONTENT_TYPE_REGEX URL [curl args]: prints the name of a
# file with the body (run in $(...): a failure exits the assignment)
expect() {
    local want=$1 type=$2 url=$3 got ctype body
    shift 3
    body=$(mktemp -p "$prefix" body.XXXXXX)
    got=$(curl -s -o "$body" -w '%{http_code} %{content_type}' \
          "$@" "$url") || true
    ctype=${got#* }
    got=${got%% *}
    [ "$got" = "$want" ] || fail "$url: $got, expected $want" \
        "($(head -c 300 "$body"))"
    [[ $ctype =~ $type ]] || fail "$url: Content-Type '$ctype'," \
        "expected $type"
    echo "ok $want $ctype $url" >&2
    echo "$body"
}

M3U8='^application/vnd\.apple\.mpegurl'

# the origin (README: Running the origin by hand, the demo's URLs)
master=$(expect 200 "$M3U8" "$ORIGIN/vod/demo/master.m3u8")
grep -q '^#EXTM3U' "$master" || fail "master.m3u8 is not a playlist"
expect 200 "$M3U8" "$ORIGIN/vod/demo/master-ts.m3u8" > /dev/null
expect 200 '^application/dash\+xml' "$ORIGIN/vod/demo/manifest.mpd" \
    > /dev/null
expect 200 '^text/html' "$ORIGIN/player/?src=/vod/demo/master.m3u8" \
    > /dev/null
expect 302 '' "$ORIGIN/" > /dev/null

# a segment decodes: the first variant's init and first segment
variant=$(grep -v '^#' "$master" | head -1)
pl=$(expect 200 "$M3U8" "$ORIGIN/vod/demo/$variant")
init=$(sed -n 's/^#EXT-X-MAP:URI="\(.*\)"/\1/p' "$pl")
seg=$(grep -v '^#' "$pl" | head -1)
[ -n "$init" ] && [ -n "$seg" ] || fail "$variant: no init or segment"
a=$(expect 200 '^video/mp4' "$ORIGIN/vod/demo/$init")
b=$(expect 200 '^video/' "$ORIGIN/vod/demo/$seg")
cat "$a" "$b" > "$prefix/seg.mp4"
msg=$(ffmpeg -nostdin -v error -i "$prefix/seg.mp4" -f null - 2>&1) \
    || fail "$variant: $init + $seg do not decode: $msg"
[ -z "$msg" ] || fail "$variant: $init + $seg: ffmpeg: $msg"
echo "ok $init + $seg decode"

# the origin's metrics (README: Metrics): the requests above counted
m=$(expect 200 '^text/plain' "http://127.0.0.1:9145/metrics")
grep -q '^vodedge_packager_requests_total{kind="segment",status="2xx"} [1-9]' \
    "$m" || fail "the origin's metrics: no segment counted"

# the edge: a signed URL per tier, none, and a refused country
# (basic lists the 360p rendition only, standard and premium all three)
for tier in basic:1 standard:3 premium:3; do
    t=$("$root/bin/vodedge-token" --path /vod/demo/ --tier ${tier%:*} \
        --ttl 600)
    body=$(expect 200 "$M3U8" "$EDGE/t/$t/vod/demo/master.m3u8")
    got=$(grep -c '^#EXT-X-STREAM-INF' "$body" || true)
    [ "$got" = "${tier#*:}" ] || fail "edge, ${tier%:*} token: $got" \
        "renditions listed, expected ${tier#*:}"
done
expect 403 '^application/json' "$EDGE/vod/demo/master.m3u8" > /dev/null
expect 451 '^application/json' "$EDGE/t/$t/vod/demo/master.m3u8" \
    -H 'X-Forwarded-For: 198.51.100.7' > /dev/null
# an account and profile of this run's own: a Redis of the system's own
# keeps state, and the demo's acct-1 may play one stream only
acct=check-confs-$$
api=$("$root/bin/vodedge-token" --sub $acct --profiles p$$ --tier basic \
      --ttl 600)
answer=$(expect 200 '^application/json' "$EDGE/api/v1/playback/manifest" \
    -X POST -H "Authorization: Bearer $api" \
    -d '{"video_id":"demo","profile_id":"p'$$'","device":{"type":"tv"}}')
# the basic tier's tracks, from the origin through the edge's /_tracks/
grep -q '"available_tracks":{"video":\[{"id":"360p"' "$answer" \
    || fail "the manifest call has no available_tracks of the basic tier:" \
            "$(head -c 600 "$answer")"
expect 204 '' "$EDGE/api/v1/resume/p$$/demo" -X PUT \
    -H "Authorization: Bearer $api" \
    -d '{"position_ms":42000,"duration_ms":60000,"updated_at":1}' > /dev/null
expect 200 '^application/json' "$EDGE/api/v1/continue-watching/p$$" \
    -H "Authorization: Bearer $api" > /dev/null

# the shield: a playlist and a segment from the origin, then from its
# cache; a multivariant playlist per tier ceiling
expect 200 "$M3U8" "$SHIELD/vod/demo/$variant" > /dev/null
for want in MISS HIT; do
    got=$(curl -s -o /dev/null -D - "$SHIELD/vod/demo/$seg" \
          | tr -d '\r' | sed -n 's/^X-Shield-Cache: //Ip')
    [ "$got" = "$want" ] || fail "shield: $seg: cache $got, expected $want"
done
body=$(expect 200 "$M3U8" "$SHIELD/vod/demo/master.m3u8" \
       -H 'X-Vod-Max-Height: 360')
got=$(grep -c '^#EXT-X-STREAM-INF' "$body" || true)
[ "$got" = 1 ] || fail "shield, 360p ceiling: $got renditions listed"
echo "ok shield: $seg MISS then HIT, a ceiling per cache key" >&2

# the edge's metrics: the refusals above counted, Redis commands answered
m=$(expect 200 '^text/plain' "http://127.0.0.1:9146/metrics")
grep -q '^vodedge_edge_token_refusals_total{reason="missing"} [1-9]' "$m" \
    || fail "the edge's metrics: the missing token not counted"
grep -q '^vodedge_edge_redis_commands_total{result="ok"} [1-9]' "$m" \
    || fail "the edge's metrics: no Redis command counted"

# steering: the README's Comcast client in New York
expect 302 '' "$STEER/vod/demo/master.m3u8" \
    -H 'X-Forwarded-For: 203.0.113.5' > /dev/null
expect 200 '^application/json' "$STEER/steer/demo" \
    -H 'X-Forwarded-For: 203.0.113.5' > /dev/null

# steering's metrics: the two decisions above
m=$(expect 200 '^text/plain' "http://127.0.0.1:9147/metrics")
grep -q '^vodedge_steering_decisions_total{tier="isp",reason="asn-match"} 2$' \
    "$m" || fail "steering's metrics: the decisions not counted"

stop_all
trap - EXIT
for i in $(seq 100); do
    ls "$prefix"/logs/*.pid > /dev/null 2>&1 || break
    sleep 0.05
done
! ls "$prefix"/logs/*.pid > /dev/null 2>&1 || fail "a server did not stop"

if grep -E '\[(error|crit|alert|emerg)\]' "$prefix"/logs/*.log; then
    fail "the shipped configurations logged errors"
fi
echo "check-confs: conf/origin.conf, conf/edge.conf, conf/steering.conf," \
     "conf/shield.conf" \
     "pass nginx -t and answer the README's URLs" \
     "($(ls "$prefix"/body.* | wc -l) requests)"
