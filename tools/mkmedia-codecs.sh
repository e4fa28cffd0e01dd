#!/bin/sh
# mkmedia-codecs.sh DIR [SECONDS]: make the titles of the codec and HDR
# tests (t/013) with ffmpeg, from synthetic sources, small and fast:
#
#   DIR/av1/      360p.mp4 and 180p.mp4: AV1 (libsvtav1) + AAC stereo
#   DIR/dolby/    360p.mp4 (H.264 + AAC stereo, English), ac3.mp4 (AC-3
#                 5.1, English), eac3.mp4 (E-AC-3 5.1, German), atmos.mp4
#                 (E-AC-3 5.1 whose dec3 says JOC, complexity index 16,
#                 French), aac51.mp4 (AAC 5.1, Spanish) and mp3.mp4 (MP3,
#                 which the packager does not package: left out)
#   DIR/turned/   360p.mp4: dolby/360p.mp4's H.264 + AAC, its tkhd matrix
#                 turning it a quarter clockwise (a phone's portrait
#                 video; e2e/codecs.js)
#   DIR/cut/      360p.mp4: dolby/360p.mp4 cut from 1.2 s with -c copy:
#                 its video starts 0.8 s after its audio, an empty edit
#                 before it (e2e/codecs.js)
#   DIR/hdr/      sdr.mp4 (HEVC, BT.709), pq.mp4 (HEVC 10-bit HDR10: BT.2020,
#                 SMPTE ST 2084, with a colr box), hlg.mp4 (HEVC 10-bit
#                 ARIB STD-B67 in the SPS's VUI only, no colr box), each
#                 with the same AAC track
#
# ffmpeg encodes no Atmos: atmos.mp4 is an E-AC-3 file whose dec3 gets the
# two bytes of TS 102 366 F.6's extension (flag_ec3_extension_type_a 1,
# complexity_index_type_a 16), the boxes around it grown by two (moov is
# last in the file, so no chunk offset moves).
set -eu

dir=${1:?usage: mkmedia-codecs.sh DIR [SECONDS]}
secs=${2:-4}
ff="ffmpeg -hide_banner -loglevel error -y"
src="testsrc2=rate=25:duration=$secs"
tone() { echo "sine=frequency=$1:sample_rate=48000:duration=$secs"; }
x265="-c:v libx265 -preset ultrafast -tag:v hvc1"
x265p="log-level=error:keyint=50:min-keyint=50:scenecut=0"

mkdir -p "$dir/av1" "$dir/dolby" "$dir/turned" "$dir/hdr" "$dir/cut"

$ff -f lavfi -i "$(tone 440)" -c:a aac -b:a 96k -ac 2 "$dir/.aac.m4a"

# AV1: SVT-AV1's fastest preset, a key frame every 2 s
av1() {
    $ff -f lavfi -i "$src:size=$2" -i "$dir/.aac.m4a" -map 0:v -map 1:a \
        -c:v libsvtav1 -preset 12 -g 50 -b:v "$3" -pix_fmt yuv420p \
        -svtav1-params "keyint=50" -c:a copy -movflags +faststart \
        "$dir/av1/$1.mp4" 2>/dev/null
}

av1 360p 640x360 300k
av1 180p 320x180 120k

# Dolby audio and friends, beside an H.264 ladder of one
$ff -f lavfi -i "$src:size=640x360" -i "$dir/.aac.m4a" -map 0:v -map 1:a \
    -c:v libx264 -preset veryfast -g 50 -keyint_min 50 -sc_threshold 0 \
    -pix_fmt yuv420p -b:v 400k -c:a copy -metadata:s:a:0 language=eng \
    -movflags +faststart "$dir/dolby/360p.mp4"
$ff -f lavfi -i "$(tone 550)" -c:a ac3 -b:a 192k -ac 6 \
    -metadata:s:a:0 language=eng -movflags +faststart "$dir/dolby/ac3.mp4"
$ff -f lavfi -i "$(tone 660)" -c:a eac3 -b:a 192k -ac 6 \
    -metadata:s:a:0 language=ger -movflags +faststart "$dir/dolby/eac3.mp4"
$ff -f lavfi -i "$(tone 770)" -c:a eac3 -b:a 192k -ac 6 \
    -metadata:s:a:0 language=fra "$dir/dolby/.atmos.mp4"
$ff -f lavfi -i "$(tone 880)" -c:a aac -b:a 192k -ac 6 \
    -metadata:s:a:0 language=spa -movflags +faststart "$dir/dolby/aac51.mp4"
$ff -f lavfi -i "$(tone 990)" -c:a libmp3lame -b:a 96k -ac 2 \
    -metadata:s:a:0 language=ita -movflags +faststart "$dir/dolby/mp3.mp4"

perl -e '
    use strict;
    local $/;
    open(my $in, "<:raw", $ARGV[0]) or die "$ARGV[0]: $!";
    my $f = <$in>;
    # the path to dec3: box type => where its children start
    my %kids = (moov => 8, trak => 8, mdia => 8, minf => 8, stbl => 8,
                stsd => 16, "ec-3" => 36);
    my @path;
    sub walk {
        my ($at, $end) = @_;
        while ($at + 8 <= $end) {
            my ($size, $type) = unpack("Na4", substr($f, $at, 8));
            die "box size" if $size < 8;
            if ($type eq "dec3") {
                push @path, $at;
                return 1;
            }
            if (exists $kids{$type}) {
                push @path, $at;
                return 1 if walk($at + $kids{$type}, $at + $size);
                pop @path;
            }
            $at += $size;
        }
        return 0;
    }
    walk(0, length $f) or die "no dec3";
    my $dec3 = $path[-1];
    my $end = $dec3 + unpack("N", substr($f, $dec3, 4));
    substr($f, $end, 0) = "\x01\x10";
    for my $at (@path) {
        substr($f, $at, 4) = pack("N", unpack("N", substr($f, $at, 4)) + 2);
    }
    open(my $out, ">:raw", $ARGV[1]) or die "$ARGV[1]: $!";
    print $out $f;
' "$dir/dolby/.atmos.mp4" "$dir/dolby/atmos.mp4"

# HDR: the same picture three ways, with the same AAC track
hevc() {
    name=$1
    shift
    $ff -f lavfi -i "$src:size=640x360" -i "$dir/.aac.m4a" -map 0:v -map 1:a \
        $x265 "$@" -b:v 400k -c:a copy "$dir/hdr/$name.mp4"
}

hevc sdr -x265-params "$x265p:colorprim=bt709:transfer=bt709:colormatrix=bt709" \
    -pix_fmt yuv420p -color_primaries bt709 -color_trc bt709 \
    -colorspace bt709 -movflags +faststart
hevc pq -x265-params "$x265p:colorprim=bt2020:transfer=smpte2084:colormatrix=bt2020nc:hdr10=1" \
    -pix_fmt yuv420p10le -color_primaries bt2020 -color_trc smpte2084 \
    -colorspace bt2020nc -movflags +faststart
# no colr box: ffmpeg writes one only when told the colour
hevc hlg -x265-params "$x265p:colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc" \
    -pix_fmt yuv420p10le -movflags +faststart

# dolby/360p.mp4 turned a quarter clockwise: FFmpeg 5.1 writes rotate=270
# as the matrix a phone held upright writes (b = 1, c = -1)
$ff -i "$dir/dolby/360p.mp4" -c copy -metadata:s:v:0 rotate=270 \
    -movflags +faststart "$dir/turned/360p.mp4"

# dolby/360p.mp4 cut from 1.2 s without re-encoding, as an editor's
# ffmpeg -ss ... -c copy cuts: the video from its next key frame, 0.8 s
# later, after an empty edit (e2e/codecs.js)
$ff -i "$dir/dolby/360p.mp4" -ss 1.2 -c copy -movflags +faststart \
    "$dir/cut/360p.mp4"

rm -f "$dir/.aac.m4a" "$dir/dolby/.atmos.mp4"
touch "$dir/.done"
