#!/bin/bash
# demo-media.sh DIR: make the demo title (60 s, three renditions, as
# tools/demo.sh makes it) into DIR/demo once.  DIR/demo/.done stamps a
# complete title; the stamp is written only once every rendition is there
# with a video and an audio stream, and a stamped title missing one is
# made again.  MKMEDIA=path overrides tools/mkmedia.sh (the tests use it).
set -euo pipefail

dir=${1:?usage: demo-media.sh DIR}
root=$(cd "$(dirname "$0")/.." && pwd)
mkmedia=${MKMEDIA:-$root/tools/mkmedia.sh}
renditions="1080p 720p 360p"

complete() {
    local r streams
    for r in $renditions; do
        streams=$(ffprobe -v error -show_entries stream=codec_type \
                  -of csv=p=0 "$dir/demo/$r.mp4" 2>/dev/null) || return 1
        grep -qx video <<< "$streams" || return 1
        grep -qx audio <<< "$streams" || return 1
    done
}

if [ -f "$dir/demo/.done" ] && complete; then
    echo "demo-media: $dir/demo is complete"
    exit 0
fi

rm -rf "$dir"
MKMEDIA_ONLY=demo "$mkmedia" "$dir" 60
if ! complete; then
    echo "demo-media: $dir/demo lacks one of $renditions" \
         "(or its video or audio)" >&2
    exit 1
fi
touch "$dir/demo/.done"
echo "demo-media: made $dir/demo ($renditions)"
