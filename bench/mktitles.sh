#!/bin/bash
# mktitles.sh DIR: the benchmark titles, made once and kept in DIR.
#
#   DIR/bench/1080p.mp4, 360p.mp4   24 s, 4 s GOPs, 1080p at ~5 Mbit/s
#                                   (~2.5 MB per 4 s segment), AAC
#   DIR/long/180p.mp4               two hours at 320x180, H.264 + AAC,
#                                   a 60 s encode looped with -c copy
#   DIR/longfrag/180p.mp4           the same samples as a fragmented MP4
#                                   (a moof per 4 s key frame interval)
#   DIR/tracks/360p.mp4             24 s, H.264 and 8 AAC tracks in 8
#                                   languages (8 audio renditions), and
#                                   12 sidecar subtitle files beside it,
#                                   each a feature film's size (1500 cues
#                                   over two hours, about 150 KB)
set -euo pipefail

dir=${1:?usage: mktitles.sh DIR}
ff="ffmpeg -hide_banner -loglevel error -y"
x264="-c:v libx264 -preset veryfast -profile:v high -bf 2 -g 100 \
      -keyint_min 100 -sc_threshold 0 -pix_fmt yuv420p"

mkdir -p "$dir/bench" "$dir/long" "$dir/longfrag"

if [ ! -f "$dir/bench/.done" ]; then
    echo "bench: making $dir/bench (24 s, 1080p at 5 Mbit/s)"
    $ff -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=24" \
        -c:a aac -b:a 128k -ac 2 "$dir/bench/.audio.m4a"
    # temporal noise keeps the encoder at its bitrate
    $ff -f lavfi -i "testsrc2=size=1920x1080:rate=25:duration=24" \
        -i "$dir/bench/.audio.m4a" -map 0:v -map 1:a \
        -vf "noise=alls=12:allf=t" $x264 -b:v 5M -maxrate 5M -bufsize 5M \
        -c:a copy -movflags +faststart "$dir/bench/1080p.mp4"
    $ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=24" \
        -i "$dir/bench/.audio.m4a" -map 0:v -map 1:a $x264 -b:v 600k \
        -maxrate 600k -bufsize 600k -c:a copy -movflags +faststart \
        "$dir/bench/360p.mp4"
    rm -f "$dir/bench/.audio.m4a"
    touch "$dir/bench/.done"
fi

if [ ! -f "$dir/tracks/.done" ]; then
    echo "bench: making $dir/tracks (8 audio languages, 12 subtitles)"
    mkdir -p "$dir/tracks"
    $ff -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=24" \
        -c:a aac -b:a 96k -ac 2 "$dir/tracks/.audio.m4a"
    maps= meta= n=0
    for l in eng spa fra deu ita por jpn kor; do
        maps="$maps -map 1:a"
        meta="$meta -metadata:s:a:$n language=$l"
        n=$((n + 1))
    done
    # shellcheck disable=SC2086
    $ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=24" \
        -i "$dir/tracks/.audio.m4a" -map 0:v $maps $x264 -b:v 600k \
        -c:a copy $meta -movflags +faststart "$dir/tracks/360p.mp4"
    rm -f "$dir/tracks/.audio.m4a"
    for s in en es fr de it pt-BR ja ko zh-Hans ar en.sdh es.forced; do
        awk 'BEGIN {
            print "WEBVTT\n"
            for (i = 0; i < 1500; i++) {
                t = i * 4800
                printf "%d\n%s --> %s\nLine %d of the film, with some " \
                       "words\nand a second line, café\n\n", i + 1,
                       ts(t), ts(t + 2500), i + 1
            }
        }
        function ts(ms) {
            return sprintf("%02d:%02d:%02d.%03d", ms / 3600000,
                           ms / 60000 % 60, ms / 1000 % 60, ms % 1000)
        }' > "$dir/tracks/movie.$s.vtt"
    done
    touch "$dir/tracks/.done"
fi

if [ ! -f "$dir/long/.done" ]; then
    echo "bench: making $dir/long (2 h at 320x180, looped)"
    $ff -f lavfi -i "testsrc2=size=320x180:rate=25:duration=60" \
        -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=60" \
        $x264 -b:v 100k -maxrate 100k -bufsize 200k \
        -c:a aac -b:a 32k -ac 1 "$dir/long/.loop.mp4"
    $ff -stream_loop 119 -i "$dir/long/.loop.mp4" -c copy \
        -movflags +faststart "$dir/long/180p.mp4"
    rm -f "$dir/long/.loop.mp4"
    touch "$dir/long/.done"
fi

if [ ! -f "$dir/longfrag/.done" ]; then
    echo "bench: making $dir/longfrag (the long title, fragmented)"
    $ff -i "$dir/long/180p.mp4" -c copy \
        -movflags +frag_keyframe+empty_moov+default_base_moof \
        "$dir/longfrag/180p.mp4"
    touch "$dir/longfrag/.done"
fi
