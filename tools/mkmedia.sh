#!/bin/sh
# mkmedia.sh DIR [SECONDS]: make test and demo titles with ffmpeg.
#
#   DIR/demo/     1080p, 720p, 360p H.264 + AAC renditions, 2 s aligned GOPs,
#                 B-frames, the audio identical in each (the demo title)
#   DIR/hevc/     H.265 (hvc1) + AAC, one rendition
#   DIR/ntsc/     29.97 fps H.264 + AAC with moov at the end (no faststart)
#   DIR/audio/    AAC only
#   DIR/video/    H.264 only
#   DIR/aud/      720p H.264 + AAC with an access unit delimiter in every
#                 sample, as remuxed broadcast TS and some hardware
#                 encoders make
#
# Every file is made from synthetic sources, so nothing is fetched.
#
# MKMEDIA_ONLY=demo makes DIR/demo/ alone (tools/demo.sh uses it for a
# longer demo title).
set -eu

dir=${1:?usage: mkmedia.sh DIR [SECONDS]}
secs=${2:-8}
ff="ffmpeg -hide_banner -loglevel error -y"
src_v="testsrc2=size=1920x1080:rate=25"
src_a="sine=frequency=440:sample_rate=48000"
x264="-c:v libx264 -preset veryfast -profile:v high -bf 2 -g 50 \
      -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p"
aac="-c:a aac -b:a 128k -ac 2"

mkdir -p "$dir/demo"
if [ "${MKMEDIA_ONLY:-}" != demo ]; then
    mkdir -p "$dir/hevc" "$dir/ntsc" "$dir/audio" "$dir/video" "$dir/aud"
fi

# one audio encode, copied into every rendition, so the renditions carry
# the same audio and the packager serves it once
$ff -f lavfi -i "$src_a:duration=$secs" $aac "$dir/demo/.audio.m4a"

rung() {
    $ff -f lavfi -i "$src_v:duration=$secs" -i "$dir/demo/.audio.m4a" \
        -map 0:v -map 1:a $x264 -vf "scale=$2" -b:v "$3" -maxrate "$3" \
        -bufsize "$3" -c:a copy -movflags +faststart "$dir/demo/$1.mp4"
}

rung 1080p 1920:1080 4000k
rung 720p 1280:720 2000k
rung 360p 640:360 600k
rm -f "$dir/demo/.audio.m4a"

if [ "${MKMEDIA_ONLY:-}" = demo ]; then
    exit 0
fi

$ff -f lavfi -i "$src_v:duration=$secs" -f lavfi -i "$src_a:duration=$secs" \
    -c:v libx265 -preset ultrafast -tag:v hvc1 -x265-params \
    "keyint=50:min-keyint=50:scenecut=0:bframes=2:log-level=error" \
    -vf scale=640:360 -b:v 500k $aac -movflags +faststart \
    "$dir/hevc/360p.mp4"

$ff -f lavfi -i "testsrc2=size=640x360:rate=30000/1001:duration=$secs" \
    -f lavfi -i "$src_a:duration=$secs" $x264 -g 60 -keyint_min 60 \
    -b:v 600k $aac "$dir/ntsc/360p.mp4"

$ff -f lavfi -i "$src_a:duration=$secs" $aac "$dir/audio/audio.mp4"

$ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" $x264 \
    -b:v 600k "$dir/video/360p.mp4"

$ff -f lavfi -i "testsrc2=size=1280x720:rate=25:duration=$secs" \
    -f lavfi -i "$src_a:duration=$secs" $x264 -b:v 1500k \
    -bsf:v h264_metadata=aud=insert $aac -movflags +faststart \
    "$dir/aud/720p.mp4"
