#!/bin/sh
# mkmedia-text.sh DIR [SECONDS]: make the titles of the text track tests
# (t/018) with ffmpeg: subtitles inside the MP4 files as mov_text (tx3g).
#
#   DIR/text/     360p.mp4 and 240p.mp4 (H.264 + AAC, keyframes every
#                 2 s), each with the same two mov_text tracks, German
#                 (umlauts, '&', a cue across the 2 s boundary, two
#                 lines) and Japanese: one rendition each; and a sidecar,
#                 movie.en.vtt, listed before them
#   DIR/broken/   360p.mp4 whose German track has a sample whose text
#                 length runs past the sample (left out with one log
#                 line), its Japanese one fine
#
# Cue text starts with the cue's start time ("[1.5]"), as mkmedia-subs.sh's
# do.  ffmpeg's mp4 muxer does not write wvtt: test/test_mp4text.c makes
# those samples.
set -eu

dir=${1:?usage: mkmedia-text.sh DIR [SECONDS]}
secs=${2:-6}
ff="ffmpeg -hide_banner -loglevel error -y"
x264="-c:v libx264 -preset veryfast -profile:v high -bf 2 -g 50 \
      -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p"

mkdir -p "$dir/text" "$dir/broken"

printf '1\n00:00:00,500 --> 00:00:01,400\n[0.5] Grüße aus Köln & Düsseldorf\n\n2\n00:00:01,500 --> 00:00:02,500\n[1.5] Über die Grenze\n\n3\n00:00:04,000 --> 00:00:05,000\n[4.0] Tschüß\nbis bald\n\n' \
    > "$dir/de.srt"
printf '1\n00:00:00,500 --> 00:00:01,400\n[0.5] こんにちは、世界\n\n2\n00:00:03,000 --> 00:00:03,800\n[3.0] さようなら\n\n' \
    > "$dir/ja.srt"
printf '1\n00:00:00,500 --> 00:00:01,400\n[0.5] KAPUTT\n\n' > "$dir/bad.srt"

for r in 360p:640x360:600k 240p:426x240:300k; do
    name=${r%%:*}
    rest=${r#*:}
    $ff -f lavfi -i "testsrc2=size=${rest%%:*}:rate=25:duration=$secs" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
        -i "$dir/de.srt" -i "$dir/ja.srt" \
        -map 0 -map 1 -map 2 -map 3 \
        $x264 -b:v "${rest#*:}" -c:a aac -b:a 96k -ac 2 -c:s mov_text \
        -metadata:s:a:0 language=eng -metadata:s:s:0 language=ger \
        -metadata:s:s:1 language=jpn -movflags +faststart \
        "$dir/text/$name.mp4"
done

cat > "$dir/text/movie.en.vtt" <<'_EOC_'
WEBVTT

00:00:00.500 --> 00:00:01.400
[0.5] Hello
_EOC_

$ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
    -i "$dir/bad.srt" -i "$dir/ja.srt" \
    -map 0 -map 1 -map 2 -map 3 \
    $x264 -b:v 600k -c:a aac -b:a 96k -ac 2 -c:s mov_text \
    -metadata:s:a:0 language=eng -metadata:s:s:0 language=ger \
    -metadata:s:s:1 language=jpn -movflags +faststart \
    "$dir/broken/360p.mp4"

# the German sample's 16-bit text length (just before its text) made
# 0xffff, past the sample's end
python3 - "$dir/broken/360p.mp4" <<'_EOP_'
import sys
path = sys.argv[1]
data = bytearray(open(path, 'rb').read())
at = data.find(b'[0.5] KAPUTT')
if at < 2 or data.find(b'[0.5] KAPUTT', at + 1) != -1:
    sys.exit('mkmedia-text.sh: the broken sample not found once')
data[at - 2:at] = b'\xff\xff'
open(path, 'wb').write(bytes(data))
_EOP_

rm -f "$dir/de.srt" "$dir/ja.srt" "$dir/bad.srt"
touch "$dir/.done"
