#!/bin/bash
# check-origin.sh MEDIA_DIR: what a player gets from a real nginx with the
# module loaded.  Starts a private origin over MEDIA_DIR and, for every
# title in it, walks master.m3u8, master-ts.m3u8 and manifest.mpd the way a
# player does: every media playlist (MPEG-TS audio renditions among them),
# every init segment and every media segment of every rendition.  Each stream's init + segments are joined and
# decoded with ffmpeg, which must print nothing and decode as many frames
# as the source's stream has packets; the EXTINF durations must add up to
# the source's stream duration.  The MPD (well-formed, checked with
# xmllint, which must be installed) is walked as a DASH player does: for
# every Representation its SegmentTemplate's init segment and every media
# segment its SegmentTimeline lists are fetched, joined and decoded the
# same way, and the segment count must equal the HLS playlist's of the
# same track.
#
# Runs with "aio threads" when THREADS=1.  EXTRA_CONF: directives added to
# the origin's server block (t/303-check-origin.t serves broken MPDs so).
# MODULES_DIR: where the .so is (default modules/); WORK: the scratch
# directory (default build/check-origin); DIGESTS: a file to which every
# object fetched adds a line "PATH SHA256" of its headers (Date and Server
# left out) and body, so two builds' bytes can be compared
# (tools/wire-digest.sh).  Exits non-zero naming the first failure.
set -euo pipefail

media=$(cd "${1:?usage: check-origin.sh MEDIA_DIR}" && pwd)
root=$(cd "$(dirname "$0")/.." && pwd)
port=${PORT:-8093}
work=${WORK:-$root/build/check-origin}
modules=${MODULES_DIR:-$root/modules}
base=http://127.0.0.1:$port/vod

command -v xmllint > /dev/null \
    || { echo "check-origin: xmllint missing (tools/install-deps.sh" \
              "installs libxml2-utils)" >&2; exit 2; }

rm -rf "$work"
mkdir -p "$work/logs" "$work/temp" "$work/out"

aio=
[ "${THREADS:-0}" = 1 ] && aio="aio threads;"

cat > "$work/nginx.conf" <<CONF
load_module $modules/ngx_vod_package_module.so;
worker_processes 2;
pid $work/logs/nginx.pid;
error_log $work/logs/error.log warn;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $work/temp;
    proxy_temp_path $work/temp;
    fastcgi_temp_path $work/temp;
    uwsgi_temp_path $work/temp;
    scgi_temp_path $work/temp;
    sendfile on;
    vod_index_cache check:16m;
    server {
        listen 127.0.0.1:$port;
        location = /ready { return 204; }
        location /vod/ { alias $media/; vod_package; $aio }
        ${EXTRA_CONF:-}
    }
}
CONF

nginx -p "$work" -c "$work/nginx.conf"
trap 'nginx -p "$work" -c "$work/nginx.conf" -s stop 2>/dev/null || true' EXIT

for i in $(seq 50); do
    curl -sf -o /dev/null "http://127.0.0.1:$port/ready" && break
    sleep 0.1
done

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

fetch() {
    if [ -n "${DIGESTS:-}" ]; then
        digest "$1"
        return
    fi
    curl -sf "$base/$1" || fail "GET /vod/$1: $(curl -s -o /dev/null \
        -w '%{http_code}' "$base/$1")"
}

digest() {
    local code sum
    code=$(curl -s -D "$work/headers" -o "$work/body" -w '%{http_code}' \
           "$base/$1")
    sum=$({ grep -aiv '^\(date\|server\):' "$work/headers"
            cat "$work/body"; } | sha256sum)
    echo "$1 ${sum%% *}" >> "$DIGESTS"
    case $code in 2??) cat "$work/body" ;; *) fail "GET /vod/$1: $code" ;;
    esac
}

# frames (video) or packets (audio) of a stream in a file
# count FILE SEL: the frames (video) or packets (audio) of stream SEL: v
# or a (the first), or i:T (track_ID T: a file's further audio track)
count() {
    local what=nb_read_frames spec=$2:0
    [ "$2" = v ] || what=nb_read_packets
    [ "${2%%:*}" = i ] && spec=$2
    ffprobe -v error -select_streams "$spec" -count_frames -count_packets \
        -show_entries stream=$what -of csv=p=0 "$1" | sed -n 1p | cut -d, -f1
}

# the stream of a source that a playlist or Representation named
# STREAM-ID carries, for count: "video" v, "audio" a, "audioT" i:T
source_sel() {
    case $1 in
    audio) echo a ;;
    audio[0-9]*) echo "i:${1#audio}" ;;
    *) echo v ;;
    esac
}

# where a stream ends on its title's timeline: its duration, after a
# start its empty edits delay (ffmpeg -ss ... -c copy makes them)
duration() {
    local spec=$2:0
    [ "${2%%:*}" = i ] && spec=$2
    ffprobe -v error -select_streams "$spec" \
        -show_entries stream=start_time,duration -of csv=p=0 "$1" \
        | sed -n 1p | awk -F, '{s = $1 + 0; if (s < 0) s = 0;
                                 printf "%.6f", s + $2}'
}

decode() {
    local out
    out=$(ffmpeg -nostdin -v error -i "$1" -f null - 2>&1) \
        || fail "$2: ffmpeg failed: $out"
    [ -z "$out" ] || fail "$2: ffmpeg: $out"
}

# the source file of a rendition id (no title.json in test media)
source_of() {
    echo "$media/$1/$2.mp4"
}

# same_pts SRC TS WHAT: the decoded video frames of the .ts have the
# source's presentation times, 10 s later (the muxer's offset), to a
# 90 kHz tick: frame for frame like the source
same_pts() {
    local i=0 f
    for f in "$1" "$2"; do
        i=$((i + 1))
        ffprobe -v error -select_streams v:0 -show_entries frame=pts_time \
            -of csv=p=0 "$f" | tr -d ',' | grep -v '^$' > "$work/out/$i.pts"
    done
    paste -d ' ' "$work/out/1.pts" "$work/out/2.pts" | awk '
        NF != 2 { print "frame " NR ": counts differ"; exit 1 }
        { d = $2 - 10 - $1; if (d < 0) d = -d }
        d > 0.00003 { print "frame " NR ": PTS " $2 " for " $1; exit 1 }' \
        >&2 || fail "$3: presentation times differ from the source's"
    rm -f "$work/out/1.pts" "$work/out/2.pts"
}

# the peak segment bit rate of a media playlist, from its EXTINF values
# and the sizes of the segments served
peak_rate() {
    sed -n 's/^#EXTINF:\([0-9.]*\),.*/\1/p' "$1" | paste - "$2" \
        | awk '{r = $2 * 8 / $1; if (r > m) m = r} END {printf "%d", m}'
}

# RFC 8216: BANDWIDTH is at least the variant's peak segment bit rate, plus
# its audio rendition's when the audio is a separate rendition
check_bandwidth() {
    local title=$1 master=$2 bw uri audio want line
    audio=$(sed -n 's/^#EXT-X-MEDIA:TYPE=AUDIO.*URI="\([^"]*\)".*/\1/p' \
            "$master" | head -1)
    while IFS= read -r line; do
        case "$line" in
        '#EXT-X-STREAM-INF:'*)
            bw=$(echo "$line" | sed 's/.*[:,]BANDWIDTH=\([0-9]*\).*/\1/')
            grep -q 'AUDIO="' <<< "$line" && want=$audio || want=
            ;;
        '#'*|'') ;;
        *)
            uri=$line
            need=${peak[$title/$uri]:-0}
            [ -n "$want" ] && need=$((need + ${peak[$title/$want]:-0}))
            [ "$need" -gt 0 ] || fail "$title: no segments measured for $uri"
            [ "$bw" -ge "$need" ] || fail "$title: $uri BANDWIDTH=$bw," \
                "its segments peak at $need bit/s"
            echo "ok $title: $uri BANDWIDTH=$bw >= peak $need"
            ;;
        esac
    done < "$master"
}

# XPath on the MPD, its namespace ignored
mpd_xpath() {
    xmllint --xpath "$2" "$1" 2>/dev/null
}

# the frames or packets of a stream id's source ("video-720p": video of
# 720p.mp4) against those of FILE
check_frames() {
    local title=$1 id=$2 file=$3 what=$4 sel src got want fsel=v
    src=$(source_of "$title" "${id#*-}")
    sel=$(source_sel "${id%%-*}")
    [ "$sel" = v ] || fsel=a
    got=$(count "$file" $fsel)
    want=$(count "$src" "$sel")
    [ -n "$want" ] && [ "$got" = "$want" ] || \
        fail "$title/$what: $got $sel frames/packets, source has $want"
    echo "$got"
}

# every Representation of a title's MPD, walked as a DASH player walks it
check_dash() {
    local title=$1 out=$2 mpd=$2/manifest.mpd reps i rep id init tmedia
    local start segs neg n num file got tpl s
    xmllint --noout "$mpd" || fail "$title/manifest.mpd is not well-formed"
    reps=$(mpd_xpath "$mpd" "count(//*[local-name()='Representation'])")
    [ "${reps:-0}" -ge 1 ] || fail "$title/manifest.mpd: no Representation"
    i=1
    while [ "$i" -le "$reps" ]; do
        rep="(//*[local-name()='Representation'])[$i]"
        id=$(mpd_xpath "$mpd" "string($rep/@id)")
        # the Representation's SegmentTemplate, else its AdaptationSet's
        tpl="($rep/*[local-name()='SegmentTemplate'] |"
        tpl="$tpl $rep/../*[local-name()='SegmentTemplate'])[1]"
        init=$(mpd_xpath "$mpd" "string($tpl/@initialization)")
        tmedia=$(mpd_xpath "$mpd" "string($tpl/@media)")
        start=$(mpd_xpath "$mpd" "string($tpl/@startNumber)")
        start=${start:-1}
        s="$tpl/*[local-name()='SegmentTimeline']/*[local-name()='S']"
        segs=$(mpd_xpath "$mpd" "count($s) + sum($s/@r)")
        neg=$(mpd_xpath "$mpd" "count($s[@r < 0])")
        [ -n "$id" ] && [ -n "$init" ] && [ -n "$tmedia" ] \
            || fail "$title/manifest.mpd: Representation $i without an" \
                    "id, an initialization or a media template"
        [ "$neg" = 0 ] || fail "$title/manifest.mpd: $id: open-ended S@r"
        [ "${segs:-0}" -ge 1 ] 2>/dev/null \
            || fail "$title/manifest.mpd: $id: no segment in its timeline"
        init=${init//\$RepresentationID\$/$id}
        tmedia=${tmedia//\$RepresentationID\$/$id}
        case "$init${tmedia//\$Number\$/1}" in
        *'$'*) fail "$title/manifest.mpd: $id: a template this check does" \
                    "not fill: $init $tmedia" ;;
        esac

        file=$out/dash-$id.mp4
        fetch "$title/$init" > "$file"
        n=0
        while [ "$n" -lt "$segs" ]; do
            num=$((start + n))
            fetch "$title/${tmedia//\$Number\$/$num}" >> "$file"
            n=$((n + 1))
        done
        decode "$file" "$title/manifest.mpd $id"
        got=$(check_frames "$title" "$id" "$file" "manifest.mpd $id") \
            || exit 1

        [ -n "${hls_count[$title/$id]:-}" ] \
            || fail "$title/manifest.mpd: $id has no HLS playlist"
        [ "$segs" = "${hls_count[$title/$id]}" ] \
            || fail "$title/manifest.mpd: $id lists $segs segments, its" \
                    "HLS playlist ${hls_count[$title/$id]}"
        echo "ok $title/manifest.mpd $id: $segs segments as HLS, $got" \
             "frames"
        checked=$((checked + 1))
        dash_checked=$((dash_checked + 1))
        i=$((i + 1))
    done
    [ "$reps" = "$hls_tracks" ] || fail "$title/manifest.mpd: $reps" \
        "Representations, $hls_tracks HLS playlists"
}

declare -A peak
declare -A hls_count
checked=0
dash_checked=0

for tdir in "$media"/*/; do
    title=$(basename "$tdir")
    ls "$tdir"*.mp4 > /dev/null 2>&1 || continue
    out=$work/out/$title
    mkdir -p "$out"

    fetch "$title/master.m3u8" > "$out/master.m3u8"
    # each playlist once: a variant is listed again for each audio group
    # (one per codec: AAC, AC-3, E-AC-3)
    uris=$({ grep -v '^#' "$out/master.m3u8";
             { grep -o 'URI="[^"]*"' "$out/master.m3u8" || true; } \
                 | sed 's/URI="\(.*\)"/\1/'; } | awk '!seen[$0]++')
    hls_tracks=0

    for pl in $uris; do
        stream=${pl%%-*}
        id=${pl#*-}
        id=${id%.m3u8}
        fetch "$title/$pl" > "$out/$pl"
        file=$out/${pl%.m3u8}.mp4
        init=$(sed -n 's/^#EXT-X-MAP:URI="\(.*\)"/\1/p' "$out/$pl")
        fetch "$title/$init" > "$file"
        n=0
        : > "$out/$pl.sizes"
        for seg in $(grep -v '^#' "$out/$pl"); do
            fetch "$title/$seg" > "$out/seg"
            stat -c %s "$out/seg" >> "$out/$pl.sizes"
            cat "$out/seg" >> "$file"
            n=$((n + 1))
        done
        peak[$title/$pl]=$(peak_rate "$out/$pl" "$out/$pl.sizes")
        hls_count[$title/${pl%.m3u8}]=$n
        hls_tracks=$((hls_tracks + 1))
        decode "$file" "$title/$pl"

        src=$(source_of "$title" "$id")
        sel=$(source_sel "$stream")
        fsel=v
        [ "$sel" = v ] || fsel=a
        got=$(count "$file" $fsel)
        want=$(count "$src" "$sel")
        [ "$got" = "$want" ] || \
            fail "$title/$pl: $got ${sel} frames/packets, source has $want"

        # EXTINF sum against the source stream's end: each EXTINF is
        # rounded to 1 ms, and so may the edit's duration ffprobe reads be
        # (the manifests once counted the AAC priming an edit cuts, 23 ms
        # at 44.1 kHz, 46 ms at 22.05 kHz, that this allowed)
        sum=$(sed -n 's/^#EXTINF:\([0-9.]*\),.*/\1/p' "$out/$pl" \
              | awk '{s += $1} END {printf "%.3f", s}')
        dur=$(duration "$src" $sel)
        awk -v a="$sum" -v b="$dur" -v n="$n" 'BEGIN {d = a - b;
            if (d < 0) d = -d; exit !(d <= 0.0005 * n + 0.002)}' \
            || fail "$title/$pl: EXTINF sum $sum, source stream lasts $dur"
        echo "ok $title/$pl: $n segments, $got frames, ${sum}s"
        checked=$((checked + 1))
    done

    check_bandwidth "$title" "$out/master.m3u8"

    # DASH: every segment of every Representation, as many as HLS has
    fetch "$title/manifest.mpd" > "$out/manifest.mpd"
    check_dash "$title" "$out"

    # MPEG-TS: only titles whose codecs TS carries
    code=$(curl -s -o "$out/master-ts.m3u8" -w '%{http_code}' \
           "$base/$title/master-ts.m3u8")
    if [ -n "${DIGESTS:-}" ] && [ "$code" = 200 ]; then
        fetch "$title/master-ts.m3u8" > /dev/null
    fi
    if [ "$code" = 404 ]; then
        echo "ok $title/master-ts.m3u8: not offered (codecs TS does not carry)"
        continue
    fi
    [ "$code" = 200 ] || fail "$title/master-ts.m3u8: $code"

    # each variant: ts-{id} (audio muxed in) or, where the title has
    # audio renditions of its own, videots-{id} (video alone); and those
    # renditions, audiots-{id} and audiots{T}-{id} (AC-3, E-AC-3, a
    # further track)
    ts_uris=$(grep -v '^#' "$out/master-ts.m3u8";
              { grep '^#EXT-X-MEDIA:TYPE=AUDIO' "$out/master-ts.m3u8" \
                    | grep -o 'URI="[^"]*"' || true; } \
                  | sed 's/URI="\(.*\)"/\1/')
    for pl in $ts_uris; do
        stream=${pl%%-*}
        id=${pl#*-}
        id=${id%.m3u8}
        fetch "$title/$pl" > "$out/$pl"
        file=$out/${pl%.m3u8}.ts
        : > "$file"
        : > "$out/$pl.sizes"
        for seg in $(grep -v '^#' "$out/$pl"); do
            fetch "$title/$seg" > "$out/seg"
            stat -c %s "$out/seg" >> "$out/$pl.sizes"
            cat "$out/seg" >> "$file"
        done
        peak[$title/$pl]=$(peak_rate "$out/$pl" "$out/$pl.sizes")
        decode "$file" "$title/$pl"
        src=$(source_of "$title" "$id")
        case $stream in
        audiots*)
            sel=$(source_sel "audio${stream#audiots}")
            fsel=a
            ;;
        *)
            sel=v
            [ -n "$(count "$src" v)" ] || sel=a
            fsel=$sel
            ;;
        esac
        got=$(count "$file" $fsel)
        want=$(count "$src" "$sel")
        [ -n "$got" ] && [ "$got" = "$want" ] || \
            fail "$title/$pl: $got $sel frames/packets, source has $want"
        [ "$sel" = v ] && same_pts "$src" "$file" "$title/$pl"
        echo "ok $title/$pl: $got $sel frames/packets"
        checked=$((checked + 1))
    done

    check_bandwidth "$title" "$out/master-ts.m3u8"
done

if grep -E '\[(error|crit|alert|emerg)\]' "$work/logs/error.log"; then
    fail "the origin logged errors"
fi

[ "$checked" -gt 0 ] || fail "no title checked under $media"
[ "$dash_checked" -gt 0 ] || fail "no DASH Representation checked"
echo "check-origin: $checked streams decoded ($dash_checked of them DASH)"
