#!/bin/bash
# demo.sh: THE demo command.  Installs what is missing, builds the module,
# makes a 60 s demo title with three renditions in media/demo/ (once), and
# starts the origin (conf/origin.conf) on http://127.0.0.1:8080/.
#
#   tools/demo.sh          as root (or: sudo tools/demo.sh)
#   tools/demo.sh stop     stop the origin and the edge
#   DEMO_SECONDS=120 tools/demo.sh   a longer title (remove media/demo first)
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
NGINX=${NGINX:-/usr/sbin/nginx}
CONF=conf/origin.conf
BASE=http://127.0.0.1:8080
SECS=${DEMO_SECONDS:-60}

stop_origin() {
    if [ -f logs/origin.pid ] && kill -0 "$(cat logs/origin.pid)" 2>/dev/null
    then
        echo "demo: stopping the running origin"
        "$NGINX" -p "$ROOT/" -c "$CONF" -s stop 2>/dev/null || true
        for _ in $(seq 50); do
            [ -f logs/origin.pid ] || break
            sleep 0.1
        done
    fi
}

# the edge (conf/edge.conf, signed URLs and proxy_cache) on 127.0.0.1:8081
stop_edge() {
    if [ -f logs/edge.pid ] && kill -0 "$(cat logs/edge.pid)" 2>/dev/null
    then
        echo "demo: stopping the running edge"
        "$NGINX" -p "$ROOT/" -c conf/edge.conf -s stop 2>/dev/null || true
        for _ in $(seq 50); do
            [ -f logs/edge.pid ] || break
            sleep 0.1
        done
    fi
}

# steering (conf/steering.conf) on 127.0.0.1:8082
stop_steering() {
    if [ -f logs/steering.pid ] \
        && kill -0 "$(cat logs/steering.pid)" 2>/dev/null
    then
        echo "demo: stopping the running steering server"
        "$NGINX" -p "$ROOT/" -c conf/steering.conf -s stop 2>/dev/null || true
        for _ in $(seq 50); do
            [ -f logs/steering.pid ] || break
            sleep 0.1
        done
    fi
}

# the playback API's Redis (127.0.0.1:6379, conf/edge.conf), no
# persistence, its pid and log under temp/
stop_redis() {
    local pid
    pid=$(cat temp/redis.pid 2>/dev/null || true)
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        echo "demo: stopping the demo redis-server"
        kill "$pid" || true
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -f temp/redis.pid
}

if [ "${1:-}" = stop ]; then
    stop_origin
    stop_edge
    stop_steering
    stop_redis
    exit 0
fi

echo "== dependencies"
tools/install-deps.sh

echo "== build"
make all

if [ ! -f media/demo/.done ]; then
    echo "== demo title: media/demo/ (1080p, 720p, 360p, ${SECS} s)"
    rm -rf media/demo
    MKMEDIA_ONLY=demo tools/mkmedia.sh media "$SECS"
    touch media/demo/.done
else
    echo "== demo title: media/demo/ exists (rm -r media/demo to remake it)"
fi

echo "== origin"
mkdir -p logs temp
# the secret the protected titles' keys are derived from (conf/origin.conf,
# /drm/): random, made once, never committed
if [ ! -s temp/demo-drm.key ]; then
    (umask 077 && head -c 32 /dev/urandom > temp/demo-drm.key)
fi
stop_origin
"$NGINX" -p "$ROOT/" -c "$CONF"

code=000
for _ in $(seq 50); do
    code=$(curl -s -o /dev/null -w '%{http_code}' \
           "$BASE/vod/demo/master.m3u8" || true)
    [ "$code" != 000 ] && break
    sleep 0.1
done
if [ "$code" != 200 ]; then
    echo "demo: $BASE/vod/demo/master.m3u8 answered $code; logs/error.log:"
    tail -20 logs/error.log || true
    exit 1
fi

# the protected title's KID (the MPD's cenc:default_KID), base64url as a
# ClearKey licence request names it
kid_hex=$(curl -s "$BASE/drm/demo/manifest.mpd" \
          | sed -n 's/.*cenc:default_KID="\([0-9a-f-]*\)".*/\1/p' | head -1)
KID=$(perl -e 'print pack("H*", shift =~ tr/-//dr)' "$kid_hex" \
      | basenc --base64url | tr -d '=')
if [ -z "$KID" ]; then
    echo "demo: $BASE/drm/demo/manifest.mpd names no KID; logs/error.log:"
    tail -20 logs/error.log || true
    exit 1
fi

cat <<EOT

The origin is running (nginx -p $ROOT -c $CONF).

  HLS, CMAF segments:    $BASE/vod/demo/master.m3u8
  HLS, MPEG-TS segments: $BASE/vod/demo/master-ts.m3u8
  DASH:                  $BASE/vod/demo/manifest.mpd

Play them:

  ffplay $BASE/vod/demo/master-ts.m3u8
  ffplay $BASE/vod/demo/master.m3u8
  vlc $BASE/vod/demo/master.m3u8
  in a browser, the hls.js / dash.js test page:
    $BASE/player/?src=/vod/demo/master.m3u8
    $BASE/player/?src=/vod/demo/master-ts.m3u8
    $BASE/player/?src=/vod/demo/manifest.mpd

  curl -s $BASE/vod/demo/master.m3u8

The same title protected (Common Encryption, cenc; keys derived from the
demo secret temp/demo-drm.key), played with W3C ClearKey, the key from
the title's licence URL (/drm/demo/clearkey, POST only):

  DASH, encrypted:       $BASE/drm/demo/manifest.mpd
  in Shaka Player:
    $BASE/player/?engine=shaka&src=/drm/demo/manifest.mpd&clearkey=/drm/demo/clearkey
  in dash.js (with the page's work-around for dash.js 5.2.1, keyids-shim):
    $BASE/player/?engine=dash&src=/drm/demo/manifest.mpd&clearkey=/drm/demo/clearkey&keyids-shim=1
  the licence, as a player asks for it (KID $KID):
  curl -s -X POST -d '{"kids":["$KID"]}' $BASE/drm/demo/clearkey

Any directory of MP4 renditions under media/ is a title: media/NAME/ is
served as $BASE/vod/NAME/master.m3u8.  The origin listens on 127.0.0.1
only; forward the port (ssh -L 8080:127.0.0.1:8080 ...) to watch from
another machine.

Logs: logs/error.log, logs/access.log.   Stop: tools/demo.sh stop
EOT

echo "== redis"
stop_redis
redis-server --bind 127.0.0.1 --port 6379 --save '' --appendonly no \
    --daemonize yes --pidfile "$ROOT/temp/redis.pid" \
    --logfile "$ROOT/temp/redis.log" --dir "$ROOT/temp"

echo "== edge"
stop_edge
# a fresh cache: objects cached by an older origin lack the rendition
# header the tier check reads
rm -rf temp/edge-cache
# the demo GeoIP country database and rights file conf/edge.conf reads
mkdir -p temp/geo
tools/mkgeo.pl demo temp/geo
"$NGINX" -p "$ROOT/" -c conf/edge.conf
EDGE=http://127.0.0.1:8081
for tier in basic standard premium; do
    printf -v "TOKEN_$tier" %s \
        "$(bin/vodedge-token --path /vod/demo/ --tier $tier --ttl 3600)"
done
TOKEN=$TOKEN_basic
API=$(bin/vodedge-token --aud api --sub acct-1 --profiles p1 --tier basic \
    --ttl 3600)

cat <<EOT

The edge is running (nginx -p $ROOT -c conf/edge.conf): signed URLs,
subscription tiers, proxy_cache, the origin behind it.  A signed URL per
tier (demo key, 1 hour); basic lists only the 360p rendition, standard
and premium all three, and a 720p or 1080p URL with the basic token is
a 403:

  basic:    $EDGE/t/$TOKEN_basic/vod/demo/master.m3u8
  standard: $EDGE/t/$TOKEN_standard/vod/demo/master.m3u8
  premium:  $EDGE/t/$TOKEN_premium/vod/demo/master.m3u8

  ffplay $EDGE/t/$TOKEN_premium/vod/demo/master.m3u8
  $BASE/player/?src=$EDGE/t/$TOKEN_basic/vod/demo/master.m3u8
  $BASE/player/?src=$EDGE/t/$TOKEN_premium/vod/demo/manifest.mpd

GeoIP licensing (demo database, temp/geo/demo-rights.json): demo is not
licensed in DE, so as a client in 198.51.100.0/24 the edge answers 451:

  curl -H "X-Forwarded-For: 198.51.100.7" $EDGE/t/$TOKEN/vod/demo/master.m3u8

Without a valid token the edge answers 403 with a JSON reason.  More tokens:
bin/vodedge-token --path /vod/demo/ --tier standard --ttl 3600.

The playback API (state in the redis-server on 127.0.0.1:6379, log
temp/redis.log), with a Bearer token for account acct-1, profile p1,
tier basic (1 hour; more with bin/vodedge-token --sub acct-1 --profiles p1
--tier basic):

  API=$API
  curl -X POST -H "Authorization: Bearer \$API" \\
    -d '{"video_id":"demo","profile_id":"p1","device":{"type":"tv"}}' \\
    $EDGE/api/v1/playback/manifest
  curl -X PUT -H "Authorization: Bearer \$API" \\
    -d '{"position_ms":42000,"duration_ms":60000,"updated_at":1}' \\
    $EDGE/api/v1/resume/p1/demo
  curl -H "Authorization: Bearer \$API" $EDGE/api/v1/continue-watching/p1
Logs: logs/edge-error.log, logs/edge-access.log.
EOT

echo "== steering"
stop_steering
"$NGINX" -p "$ROOT/" -c conf/steering.conf
STEER=http://127.0.0.1:8082
sleep 0.3
STEERED=$(curl -s -o /dev/null -w '%{redirect_url}' \
          -H "X-Forwarded-For: 203.0.113.5" "$STEER/vod/demo/master.m3u8" \
          || true)

cat <<EOT

Steering is running (nginx -p $ROOT -c conf/steering.conf), fleet
conf/steering-fleet.json, demo databases temp/geo/demo-{asn,city}.mmdb.
A Comcast client in New York (203.0.113.5) is steered to:

  $STEERED

  curl -H "X-Forwarded-For: 203.0.113.5" $STEER/steer/demo
  curl -H "X-Forwarded-For: 198.51.100.7" $STEER/steer/demo/hls

The state API takes only signed requests (HMAC-SHA256, the DEMO-ONLY key
conf/demo-only-steering.key; README: steering_state_key_file):

  STEERING_URL=$STEER tools/steering-state.sh PUT isp-comcast-nyc-1 '{"healthy": false}'
  STEERING_URL=$STEER tools/steering-state.sh GET ''

Logs: logs/steering-error.log, logs/steering-access.log.
EOT
