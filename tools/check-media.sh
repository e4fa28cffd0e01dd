#!/bin/sh
# check-media.sh DIR: package every *.mp4 under DIR with bin/vodpkg and
# decode the result with FFmpeg.
#
# For each track, init + every CMAF segment are concatenated into one
# fragmented MP4; for H.264/AAC titles every MPEG-TS segment is
# concatenated into one .ts.  Each output must pass `ffprobe -v error` and
# `ffmpeg -v error -i X -f null -` without a single line of output, and
# decode as many frames per stream as the source has samples (packets:
# the source's own decode drops AAC priming frames its edit list cuts,
# while segments carry them at negative presentation times).  The video
# frames of the .ts must have the source's presentation times, 10 s later.
#
# Every file must be understood: `vodpkg info` must announce at least one
# track and describe each one it announces (type, codec, a segment count),
# and each of those tracks is packaged and decoded, or the check fails; a
# frame count must be a number above zero.  The last line counts what was
# decoded.
#
# Exits non-zero naming the first failing file.  VODPKG=path overrides
# bin/vodpkg; SEGMENT_MS (default 4000) sets the segment duration.
set -eu

dir=${1:?usage: check-media.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
vodpkg=${VODPKG:-$root/bin/vodpkg}
seg_ms=${SEGMENT_MS:-4000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

[ -x "$vodpkg" ] || { echo "check-media: $vodpkg missing (make tools)" >&2;
                      exit 2; }

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# decode FILE: silent ffprobe and a silent full decode
decode() {
    msg=$(ffprobe -v error -show_streams -show_format "$1" 2>&1 >/dev/null) \
        || fail "$1: ffprobe failed: $msg"
    [ -z "$msg" ] || fail "$1: ffprobe: $msg"
    msg=$(ffmpeg -nostdin -v error -i "$1" -f null - 2>&1) \
        || fail "$1: ffmpeg failed: $msg"
    [ -z "$msg" ] || fail "$1: ffmpeg: $msg"
}

# frames FILE v|a: decoded frames of the first such stream
frames() {
    ffprobe -v error -count_frames -select_streams "$2:0" \
        -show_entries stream=nb_read_frames -of csv=p=0 "$1" | head -1
}

# pts FILE: presentation times of the first video stream's decoded frames,
# in decode output order, one a line
pts() {
    ffprobe -v error -select_streams v:0 -show_entries frame=pts_time \
        -of csv=p=0 "$1" | tr -d ',' | grep -v '^$'
}

# packets FILE v|a: samples of the first such stream
packets() {
    ffprobe -v error -count_packets -select_streams "$2:0" \
        -show_entries stream=nb_read_packets -of csv=p=0 "$1" | head -1
}

files=0
tracks_checked=0
segments_checked=0

# positive N: N is a whole number above zero
positive() {
    case "$1" in
    ''|*[!0-9]*) return 1 ;;
    esac
    [ "$1" -gt 0 ]
}

for src in $(find "$dir" -name '*.mp4' | sort); do
    files=$((files + 1))
    info=$("$vodpkg" info "$src" "$seg_ms") || fail "$src: vodpkg info"
    name=$(echo "$src" | tr '/' '_')

    # "track N: id I, video avc1.64001f, lang und" then, further down,
    # "  K segments (s): ..."
    tracks=$(echo "$info" | awk '
        /^track / { type = $5; codec = $6; sub(",", "", type);
                    sub(",", "", codec) }
        /segments \(s\)/ { print type, codec, $1 }')

    # "segment duration 4000 ms, 2 tracks": what the file should give
    announced=$(echo "$info" | sed -n \
        's/^segment duration [0-9]* ms, \([0-9]*\) tracks\{0,1\}$/\1/p')
    positive "$announced" \
        || fail "$src: vodpkg info announces no track count: $info"
    described=$(echo "$tracks" | grep -c . || true)
    [ "$described" = "$announced" ] \
        || fail "$src: vodpkg info announces $announced tracks," \
                "describes $described: $info"

    ts_ok=1
    ts_segs=0
    checked=0

    while read -r type codec segs; do
        [ -n "$type" ] || continue
        case "$type" in
        video|audio) ;;
        *) fail "$src: unknown track type '$type' in vodpkg info" ;;
        esac
        [ -n "$codec" ] || fail "$src: $type track without a codec"
        positive "$segs" || fail "$src: $type track: '$segs' segments"
        short=$(echo "$type" | cut -c1)
        out="$tmp/$name.$type.mp4"

        "$vodpkg" init "$src" "$type" > "$out" \
            || fail "$src: vodpkg init $type"

        n=1
        while [ "$n" -le "$segs" ]; do
            "$vodpkg" seg "$src" "$type" "$n" "$seg_ms" >> "$out" \
                || fail "$src: vodpkg seg $type $n"
            n=$((n + 1))
        done

        decode "$out"

        got=$(frames "$out" "$short")
        want=$(packets "$src" "$short")
        positive "$want" || fail "$src: '$want' $type packets in the source"
        [ "$got" = "$want" ] \
            || fail "$out: $got $type frames decoded, source has $want"

        echo "ok   $src $type $codec: $segs CMAF segments, $got frames"
        checked=$((checked + 1))
        segments_checked=$((segments_checked + segs))

        case "$codec" in
        avc1.*|avc3.*|mp4a.40.*) ;;
        *) ts_ok=0 ;;
        esac

        if [ "$type" = video ] || [ "$ts_segs" -eq 0 ]; then
            ts_segs=$segs
        fi
    done <<EOF
$tracks
EOF

    [ "$checked" = "$announced" ] \
        || fail "$src: $checked of $announced tracks packaged and decoded"
    tracks_checked=$((tracks_checked + checked))

    [ "$ts_ok" -eq 1 ] && [ "$ts_segs" -gt 0 ] || continue

    out="$tmp/$name.ts"
    : > "$out"
    n=1
    while [ "$n" -le "$ts_segs" ]; do
        "$vodpkg" ts "$src" "$n" "$seg_ms" >> "$out" \
            || fail "$src: vodpkg ts $n"
        n=$((n + 1))
    done

    [ $(( $(stat -c %s "$out") % 188 )) -eq 0 ] \
        || fail "$out: not whole 188-byte packets"

    decode "$out"

    ts_streams=0
    for short in v a; do
        want=$(packets "$src" "$short")
        [ -n "$want" ] || continue
        positive "$want" || fail "$src: '$want' $short packets in the source"
        got=$(frames "$out" "$short")
        [ "$got" = "$want" ] \
            || fail "$out: $got $short frames decoded, source has $want"
        ts_streams=$((ts_streams + 1))
    done
    [ "$ts_streams" -gt 0 ] || fail "$out: no stream of the source compared"

    # frame for frame like the source: the same presentation times, 10 s
    # later (the muxer's offset), to a 90 kHz tick
    if [ -n "$(packets "$src" v)" ]; then
        pts "$src" > "$tmp/src.pts"
        pts "$out" > "$tmp/ts.pts"
        paste -d ' ' "$tmp/src.pts" "$tmp/ts.pts" | awk -v f="$out" '
            NF != 2 { print f ": frame " NR ": counts differ"; exit 1 }
            { d = $2 - 10 - $1; if (d < 0) d = -d }
            d > 0.00003 { print f ": frame " NR ": PTS " $2 " for " $1;
                          exit 1 }' >&2 \
            || fail "$out: presentation times differ from the source's"
    fi

    echo "ok   $src ts: $ts_segs segments"
done

[ "$files" -gt 0 ] || fail "no *.mp4 under $dir"

[ "$tracks_checked" -gt 0 ] || fail "no track checked under $dir"

echo "check-media: $files files ok ($tracks_checked tracks," \
     "$segments_checked CMAF segments decoded)"
