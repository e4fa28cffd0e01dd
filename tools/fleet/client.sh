#!/bin/bash
# client.sh: the many-host test's clients, run in the client host's
# namespace by fleet-test.sh.  Each writes one line per request to OUT:
#
#   <unix time> <status> <seconds> <what>
#
#   client.sh play OUT STOP EDGE TOKEN TITLE...
#       a player: through the edge at EDGE (http://addr:port) with a media
#       token, each title's multivariant playlist, every playlist it
#       lists (EXT-X-MEDIA and EXT-X-MAP URIs too) and every segment of
#       them; again and again until the file STOP exists
#   client.sh resume OUT STOP EDGES APITOKEN PROFILE TITLE
#       a viewer's resume heartbeats: PUT position n (n = 1, 2, ...) with
#       updated_at n, over the edges (space-separated) in turn, until
#       STOP exists; <what> is "put n"
#   client.sh steer OUT STOP STEERING TITLE
#       asks steering for the title's cache every 200 ms; <what> is the
#       primary's id
set -uo pipefail

cmd=${1:?usage: client.sh play|resume|steer OUT STOP ...}
out=$2
stop=$3
shift 3

# log STATUS SECONDS WHAT: a line to OUT
log() {
    echo "${EPOCHREALTIME:0:14} $1 $2 $3" >> "$out"
}

# get URL: the body on stdout when 200 (playlists), a line to OUT
get() {
    local body status
    body=$(curl -s -m 30 -w '\n%{http_code} %{time_total}' "$1" \
           || printf '\n000 30')
    status=${body##*$'\n'}
    log "${status% *}" "${status#* }" "${1##*/vod/}"
    [ "${status% *}" = 200 ] && echo "${body%$'\n'*}"
}

# fetch URL: a segment, its body dropped
fetch() {
    local code t
    read -r code t < <(curl -s -m 30 -o /dev/null \
                       -w '%{http_code} %{time_total}\n' "$1" \
                       || echo "000 30")
    log "$code" "$t" "${1##*/vod/}"
}

# uris: the URIs a playlist names (its lines, and URI="..." attributes)
uris() {
    local body
    body=$(cat)
    echo "$body" | grep -v '^#' | grep -v '^$'
    echo "$body" | grep -o 'URI="[^"]*"' | cut -d'"' -f2
}

play_title() {
    local base=$1 title=$2 pl u
    for pl in $(get "$base/vod/$title/master.m3u8" | uris); do
        for u in $(get "$base/vod/$title/$pl" | uris); do
            fetch "$base/vod/$title/$u"
        done
    done
}

case $cmd in
play)
    edge=$1 token=$2
    shift 2
    while [ ! -e "$stop" ]; do
        for title in "$@"; do
            [ -e "$stop" ] && break
            play_title "$edge/t/$token" "$title"
        done
    done
    ;;

resume)
    edges=($1) token=$2 profile=$3 title=$4
    n=0
    while [ ! -e "$stop" ]; do
        n=$((n + 1))
        e=${edges[$((n % ${#edges[@]}))]}
        read -r code t < <(curl -s -m 5 -o /dev/null \
            -w '%{http_code} %{time_total}\n' -X PUT \
            -H "Authorization: Bearer $token" \
            -d "{\"position_ms\":$n,\"duration_ms\":100000000,\"updated_at\":$n}" \
            "$e/api/v1/resume/$profile/$title" || echo "000 5")
        log "$code" "$t" "put $n"
    done
    ;;

steer)
    steering=$1 title=$2
    while [ ! -e "$stop" ]; do
        body=$(curl -s -m 2 "$steering/steer/$title")
        id=$(echo "$body" | grep -o '"primary":{"id":"[^"]*"' | cut -d'"' -f6)
        log 200 0 "${id:-none}"
        sleep 0.2
    done
    ;;

*)
    echo "client.sh: unknown command $cmd" >&2
    exit 2
    ;;
esac
