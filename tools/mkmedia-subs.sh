#!/bin/sh
# mkmedia-subs.sh DIR [SECONDS]: make the titles of the subtitle tests
# (t/012, e2e) with ffmpeg and a few text files:
#
#   DIR/subs/     360p.mp4 (H.264 + AAC, keyframes every 2 s) and sidecars
#                 beside it, found by the directory listing:
#                   movie.en.vtt         English, non-ASCII text, a cue
#                                        across the 2 s boundary
#                   movie.es-419.srt     Latin American Spanish as SRT
#                                        (<i>, <font>, &, CRLF lines)
#                   movie.en.forced.vtt  forced
#                   movie.en.sdh.vtt     SDH
#                   movie.fr.vtt         broken (a bad timestamp): left out
#   DIR/json/     the same files named by a title.json that renames the
#                 Spanish track, makes the English one the default and
#                 leaves the broken one out
#
# Cue text starts with the cue's start time ("[1.0]"), so a test can tell
# from a shown cue whether it is shown at its time.
set -eu

dir=${1:?usage: mkmedia-subs.sh DIR [SECONDS]}
secs=${2:-6}
ff="ffmpeg -hide_banner -loglevel error -y"
x264="-c:v libx264 -preset veryfast -profile:v high -bf 2 -g 50 \
      -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p"

mkdir -p "$dir/subs" "$dir/json"

$ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
    $x264 -b:v 600k -c:a aac -b:a 96k -ac 2 \
    -metadata:s:a:0 language=eng -movflags +faststart "$dir/subs/360p.mp4"

cat > "$dir/subs/movie.en.vtt" <<'_EOF_'
WEBVTT

NOTE the second cue spans the 2 s segment boundary

1
00:00:00.500 --> 00:00:01.400
[0.5] Café crème, naïve façade

2
00:01.500 --> 00:02.500 align:start
[1.5] Across the boundary – ünïcödé

00:00:04.000 --> 00:00:05.000
[4.0] <i>Fin</i> 終わり
_EOF_

printf '1\r\n00:00:00,500 --> 00:00:01,400\r\n[0.5] <i>¿Dónde está</i> la <font color="#ffff00">estación</font>?\r\n\r\n2\r\n00:00:02,200 --> 00:00:03,000 X1:10 X2:20 Y1:30 Y2:40\r\n[2.2] Tom & Jerry > ñandú\r\n\r\n' \
    > "$dir/subs/movie.es-419.srt"

cat > "$dir/subs/movie.en.forced.vtt" <<'_EOF_'
WEBVTT

00:00:03.000 --> 00:00:03.800
[3.0] (in French) Bonjour !
_EOF_

cat > "$dir/subs/movie.en.sdh.vtt" <<'_EOF_'
WEBVTT

00:00:00.500 --> 00:00:01.400
[0.5] ♪ [MUSIC PLAYING] ♪

00:00:02.200 --> 00:00:03.000
[2.2] [DOOR SLAMS]
_EOF_

cat > "$dir/subs/movie.fr.vtt" <<'_EOF_'
WEBVTT

00:00:00.500 --> 00:00:1.400
[0.5] Mauvais horodatage
_EOF_

cp "$dir/subs/360p.mp4" "$dir/subs/movie."* "$dir/json/"

cat > "$dir/json/title.json" <<'_EOF_'
{
  "renditions": [{"id": "360p", "file": "360p.mp4"}],
  "subtitles": [
    {"file": "movie.en.vtt", "id": "en", "default": true},
    {"file": "movie.es-419.srt", "id": "es", "name": "Español (Latinoamérica)"},
    {"file": "movie.en.sdh.vtt", "id": "en-sdh", "language": "en-GB"}
  ]
}
_EOF_

touch "$dir/.done"
