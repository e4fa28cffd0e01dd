#!/bin/sh
# mkmedia-frag.sh DIR [SECONDS]: make the titles of the fragmented input
# tests (t/014) with ffmpeg: one encode (H.264 with B-frames, AAC) copied
# into a progressive file and into fragmented files of ffmpeg's layouts,
# each DIR/<layout>/360p.mp4:
#
#   prog/       progressive, without an edit list (a fragmented file with
#               an empty moov has none, so the two give the same times)
#   keyframe/   a moof per key frame, both tracks' trafs in it,
#               default-base-is-moof
#   sidx/       the same with a global sidx after the moov (dash's layout)
#   duration/   a moof every 0.5 s (-frag_duration), not at key frames
#   separate/   a moof per track (separate_moof), no base offset flags:
#               each traf's base is its moof
#   chained/    both tracks' trafs in a moof, no base offset flags: the
#               second traf's data follows the first's
#   explicit/   explicit base-data-offsets in tfhd
#   negprog/    progressive with a version 1 ctts (negative offsets) ...
#   negcts/     ... and its fragmented twin, version 1 truns
#   inmoov/     fragmented without empty_moov: the first fragment's
#               samples in the moov (ffmpeg's plain "frag_keyframe"),
#               without an edit list as prog/
set -eu

dir=${1:?usage: mkmedia-frag.sh DIR [SECONDS]}
secs=${2:-6}
ff="ffmpeg -hide_banner -loglevel error -y"
copy="-c copy -map_metadata -1 -fflags +bitexact"
frag="+empty_moov"

mkdir -p "$dir"
for d in prog keyframe sidx duration separate chained explicit negprog \
         negcts inmoov; do
    mkdir -p "$dir/$d"
done

$ff -f lavfi -i "testsrc2=size=640x360:rate=25:duration=$secs" \
    -f lavfi -i "sine=frequency=440:sample_rate=48000:duration=$secs" \
    -c:v libx264 -preset veryfast -profile:v high -bf 2 -g 50 \
    -keyint_min 50 -sc_threshold 0 -pix_fmt yuv420p -b:v 600k \
    -c:a aac -b:a 96k -ac 2 -movflags +faststart "$dir/.source.mp4"

src="$dir/.source.mp4"

$ff -i "$src" $copy -use_editlist 0 -movflags +faststart \
    "$dir/prog/360p.mp4"
$ff -i "$src" $copy -movflags "$frag+frag_keyframe+default_base_moof" \
    "$dir/keyframe/360p.mp4"
$ff -i "$src" $copy \
    -movflags "$frag+frag_keyframe+default_base_moof+global_sidx" \
    "$dir/sidx/360p.mp4"
$ff -i "$src" $copy -movflags "$frag+default_base_moof" \
    -frag_duration 500000 "$dir/duration/360p.mp4"
$ff -i "$src" $copy \
    -movflags "$frag+frag_keyframe+separate_moof+omit_tfhd_offset" \
    "$dir/separate/360p.mp4"
$ff -i "$src" $copy -movflags "$frag+frag_keyframe+omit_tfhd_offset" \
    "$dir/chained/360p.mp4"
$ff -i "$src" $copy -movflags "$frag+frag_keyframe" \
    "$dir/explicit/360p.mp4"
$ff -i "$src" $copy -use_editlist 0 \
    -movflags +faststart+negative_cts_offsets "$dir/negprog/360p.mp4"
$ff -i "$src" $copy \
    -movflags "$frag+frag_keyframe+default_base_moof+negative_cts_offsets" \
    "$dir/negcts/360p.mp4"

$ff -i "$src" $copy -use_editlist 0 -movflags +frag_keyframe \
    "$dir/inmoov/360p.mp4"

rm -f "$src"
touch "$dir/.done"
