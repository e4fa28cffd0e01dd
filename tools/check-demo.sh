#!/bin/bash
# check-demo.sh [DEMO_MEDIA]: the demo as a user runs it.  tools/demo.sh
# must succeed; every URL it prints must answer as printed: a bare URL
# (or one given to ffplay or vlc) a 200 with the content type its name
# says (playlist, MPD, player page), every curl command it prints, run as
# printed, a 2xx (a 451 for the client it says is refused); the origin's
# first rendition's init and first segment must decode.  Then
# `tools/demo.sh stop` must leave no server of the demo running and none
# of its ports (8080-8082, 6379) listening.
#
# DEMO_MEDIA/demo (as tools/demo-media.sh makes it, the same title
# tools/demo.sh makes) is copied to media/demo when that is missing, to
# save making it twice.  Exits non-zero naming the first failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
work=$root/build/check-demo
ports="8080 8081 8082 6379"

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

listening() {
    local p
    for p in $ports; do
        if ss -Hltn "sport = :$p" | grep -q .; then
            echo "$p"
        fi
    done
}

# a Redis of the system's own on 6379 (Debian's redis-server package
# starts one) serves the demo as well; the nginx ports must be free
before=$(listening)
case " $(echo $before) " in
*" 8080 "*|*" 8081 "*|*" 8082 "*)
    fail "ports already in use before the demo: $(echo $before)" ;;
esac

rm -rf "$work"
mkdir -p "$work"

if [ ! -f media/demo/.done ] && [ -n "${1:-}" ] \
    && [ -f "$1/demo/.done" ]; then
    rm -rf media/demo
    mkdir -p media
    cp -r "$1/demo" media/demo
fi

stopped=0
stop_demo() {
    [ "$stopped" = 1 ] || tools/demo.sh stop > "$work/stop.out" 2>&1 || true
}
trap stop_demo EXIT

tools/demo.sh > "$work/demo.out" 2>&1 \
    || { tail -30 "$work/demo.out"; fail "tools/demo.sh failed"; }
echo "ok tools/demo.sh started the demo"

# the printed lines, continuation lines joined
sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$work/demo.out" > "$work/lines"
API=$(sed -n 's/^ *API=\(.*\)$/\1/p' "$work/lines" | head -1)
export API

# expect_type URL CONTENT_TYPE: the type a URL's name calls for
want_type() {
    case "$1" in
    *.m3u8) echo '^application/vnd\.apple\.mpegurl' ;;
    *.mpd) echo '^application/dash\+xml' ;;
    */player/*) echo '^text/html' ;;
    */api/*|*/steer/*) echo '^application/json' ;;
    *) echo . ;;
    esac
}

urls=0
cmds=0
while IFS= read -r line; do
    trimmed=${line#"${line%%[![:space:]]*}"}
    case "$trimmed" in
    curl\ *)
        # run as printed; the client the demo says is refused gets 451
        want='^2[0-9][0-9]$'
        case "$trimmed" in
        *198.51.100.7*8081/t/*) want='^451$' ;;
        esac
        body=$work/body.$((urls + cmds))
        code=$(eval "${trimmed/curl/curl -s -o $body -w %\{http_code\}}") \
            || fail "printed command failed: $trimmed"
        [[ $code =~ $want ]] || fail "$code for the printed command:" \
            "$trimmed ($(head -c 200 "$body"))"
        echo "ok $code: $trimmed" | cut -c1-160
        cmds=$((cmds + 1))
        continue
        ;;
    STEERING_URL=*tools/steering-state.sh\ *)
        # a signed state API call, run as printed from the repository
        # root: it prints the state (JSON naming "healthy"), a refusal
        # prints {"error":...}
        body=$work/body.$((urls + cmds))
        (eval "$trimmed") > "$body" 2>&1 \
            || fail "printed command failed: $trimmed ($(head -c 200 "$body"))"
        grep -q '"healthy"' "$body" && ! grep -q '"error"' "$body" \
            || fail "printed command: $trimmed: $(head -c 200 "$body")"
        echo "ok state: $trimmed" | cut -c1-160
        cmds=$((cmds + 1))
        continue
        ;;
    esac
    for url in $(grep -o 'http://[0-9.]*:[0-9]*[^ ]*' <<< "$trimmed"); do
        # "media/NAME/ is served as .../vod/NAME/...": a pattern
        case "$url" in *NAME*) continue ;; esac
        url=${url%.}
        body=$work/body.$((urls + cmds))
        got=$(curl -s -o "$body" -w '%{http_code} %{content_type}' "$url") \
            || true
        type=$(want_type "${url%%\?*}")
        [ "${got%% *}" = 200 ] || fail "$url: ${got%% *}"
        [[ ${got#* } =~ $type ]] || fail "$url: Content-Type ${got#* }"
        echo "ok 200 ${got#* } $url" | cut -c1-160
        urls=$((urls + 1))
    done
done < "$work/lines"

[ "$urls" -ge 10 ] && [ "$cmds" -ge 5 ] \
    || fail "only $urls URLs and $cmds commands found in the demo's output"

# a segment decodes: the origin's first rendition
base=http://127.0.0.1:8080/vod/demo
variant=$(curl -sf "$base/master.m3u8" | grep -v '^#' | head -1)
curl -sf "$base/$variant" > "$work/variant.m3u8" \
    || fail "$base/$variant"
init=$(sed -n 's/^#EXT-X-MAP:URI="\(.*\)"/\1/p' "$work/variant.m3u8")
seg=$(grep -v '^#' "$work/variant.m3u8" | head -1)
{ curl -sf "$base/$init" && curl -sf "$base/$seg"; } > "$work/seg.mp4" \
    || fail "$base/$init or $seg"
msg=$(ffmpeg -nostdin -v error -i "$work/seg.mp4" -f null - 2>&1) \
    || fail "$init + $seg do not decode: $msg"
[ -z "$msg" ] || fail "$init + $seg: ffmpeg: $msg"
echo "ok $variant: $init + $seg decode"

# the protected title (/drm/): its MPD signals cenc with a KID, the
# licence URL answers that KID's key, and the first rendition's init and
# first segment, decrypted by ffmpeg with that key, decode to the same
# frames as the clear ones (and not with another key)
drm=http://127.0.0.1:8080/drm/demo
curl -sf "$drm/manifest.mpd" > "$work/drm.mpd" || fail "$drm/manifest.mpd"
kid_hex=$(sed -n 's/.*mp4protection:2011" value="cenc" cenc:default_KID="\([0-9a-f-]*\)".*/\1/p' \
          "$work/drm.mpd" | head -1 | tr -d -)
[ ${#kid_hex} = 32 ] || fail "$drm/manifest.mpd signals no cenc KID"
b64url() {
    perl -e 'print pack("H*", shift)' "$1" | basenc --base64url | tr -d =
}
kid=$(b64url "$kid_hex")
lic=$(curl -sf -X POST -d "{\"kids\":[\"$kid\"]}" "$drm/clearkey") \
    || fail "$drm/clearkey refused the request for KID $kid"
k=$(sed -n 's/.*"kid":"'"$kid"'","k":"\([A-Za-z0-9_-]*\)".*/\1/p' <<< "$lic")
[ -n "$k" ] || fail "$drm/clearkey: no key for KID $kid: $lic"
key_hex=$(basenc --base64url -d <<< "$k==" 2>/dev/null | od -An -tx1 \
          | tr -d ' \n')
[ ${#key_hex} = 32 ] || fail "$drm/clearkey: a key of ${#key_hex} hex digits"
{ curl -sf "$drm/$init" && curl -sf "$drm/$seg"; } > "$work/drm.mp4" \
    || fail "$drm/$init or $seg"
cmp -s "$work/drm.mp4" "$work/seg.mp4" \
    && fail "$drm/$seg is the clear segment"
frames() {
    ffmpeg -nostdin -v error ${2:+-decryption_key "$2"} -i "$1" \
        -map 0:v -f framemd5 - 2>&1 | grep -v '^#'
}
clear=$(frames "$work/seg.mp4")
[ "$(frames "$work/drm.mp4" "$key_hex")" = "$clear" ] \
    || fail "$drm/$init + $seg decrypted with the licence's key" \
            "do not decode to the clear frames"
[ "$(frames "$work/drm.mp4" 00112233445566778899aabbccddeeff)" != "$clear" ] \
    || fail "$drm/$seg decodes to the clear frames with another key"
echo "ok $drm: KID $kid, licence key decrypts $init + $seg to the" \
     "clear frames"

# what runs now, to check it is gone after the stop
pids=$(cat logs/origin.pid logs/edge.pid logs/steering.pid 2>/dev/null) \
    || fail "a pid file of the demo's nginx is missing"
if [ -z "$before" ]; then
    pids="$pids $(cat temp/redis.pid 2>/dev/null)" \
        || fail "the demo's redis-server left no pid file"
fi

stopped=1
tools/demo.sh stop > "$work/stop.out" 2>&1 \
    || { cat "$work/stop.out"; fail "tools/demo.sh stop failed"; }

for i in $(seq 50); do
    alive=
    for p in $pids; do
        if kill -0 "$p" 2>/dev/null; then
            alive="$alive $p"
        fi
    done
    busy=$(listening | grep -vxF "${before:-none}" || true)
    [ -z "$alive" ] && [ -z "$busy" ] && break
    sleep 0.1
done
[ -z "$alive" ] || fail "still running after tools/demo.sh stop:$alive"
[ -z "$busy" ] || fail "still listening after tools/demo.sh stop:" $busy

echo "check-demo: $urls printed URLs and $cmds printed commands answered;" \
     "tools/demo.sh stop left nothing running"
