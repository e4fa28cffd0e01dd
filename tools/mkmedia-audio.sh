#!/bin/sh
# mkmedia-audio.sh DIR [SECONDS]: make the titles of the audio rendition
# tests (t/011) with ffmpeg, from synthetic sources:
#
#   DIR/langs/    360p.mp4 and 180p.mp4, H.264 with the same three AAC
#                 tracks in each: English stereo, German stereo (tagged
#                 "ger", the ISO 639-2/B code) and English 5.1
#   DIR/split/    360p.mp4 (H.264 + English AAC), fr.mp4 (French AAC
#                 only) and es.mp4 (Spanish AAC 5.1 only)
#   DIR/mp3/      360p.mp4 (H.264 + AAC, language unset) and dd.mp4, an
#                 MP3 audio-only file the packager does not package
#
# Every track is tagged with its language in mdhd.
set -eu

dir=${1:?usage: mkmedia-audio.sh DIR [SECONDS]}
secs=${2:-4}
ff="ffmpeg -hide_banner -loglevel error -y"
x264="-c:v libx264 -preset veryfast -profile:v high -bf 2 -g 50 \
      -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p"
tone() { echo "sine=frequency=$1:sample_rate=48000:duration=$secs"; }

mkdir -p "$dir/langs" "$dir/split" "$dir/mp3"

# one encode of each track, copied into every file that carries it
$ff -f lavfi -i "$(tone 440)" -c:a aac -b:a 96k -ac 2 "$dir/langs/.en.m4a"
$ff -f lavfi -i "$(tone 550)" -c:a aac -b:a 96k -ac 2 "$dir/langs/.de.m4a"
$ff -f lavfi -i "$(tone 660)" -c:a aac -b:a 192k -ac 6 "$dir/langs/.en51.m4a"

rung() {
    $ff -f lavfi -i "testsrc2=size=$2:rate=25:duration=$secs" \
        -i "$dir/langs/.en.m4a" -i "$dir/langs/.de.m4a" \
        -i "$dir/langs/.en51.m4a" \
        -map 0:v -map 1:a -map 2:a -map 3:a $x264 -b:v "$3" -c:a copy \
        -metadata:s:a:0 language=eng -metadata:s:a:1 language=ger \
        -metadata:s:a:2 language=eng -movflags +faststart \
        "$dir/langs/$1.mp4"
}

rung 360p 640x360 600k
rung 180p 320x180 200k

$ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
    -i "$dir/langs/.en.m4a" -map 0:v -map 1:a $x264 -b:v 600k -c:a copy \
    -metadata:s:a:0 language=eng -movflags +faststart "$dir/split/360p.mp4"
$ff -f lavfi -i "$(tone 770)" -c:a aac -b:a 96k -ac 2 \
    -metadata:s:a:0 language=fra -movflags +faststart "$dir/split/fr.mp4"
$ff -f lavfi -i "$(tone 880)" -c:a aac -b:a 192k -ac 6 \
    -metadata:s:a:0 language=spa -movflags +faststart "$dir/split/es.mp4"

$ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
    -f lavfi -i "$(tone 440)" $x264 -b:v 600k -c:a aac -b:a 96k -ac 2 \
    -movflags +faststart "$dir/mp3/360p.mp4"
$ff -f lavfi -i "$(tone 990)" -c:a libmp3lame -b:a 96k -ac 2 \
    -metadata:s:a:0 language=eng -movflags +faststart "$dir/mp3/dd.mp4"

rm -f "$dir/langs/.en.m4a" "$dir/langs/.de.m4a" "$dir/langs/.en51.m4a"
touch "$dir/.done"
