# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails and tile sheets of titles whose video says
# its matrix: a JPEG's and a WebP's YCbCr are BT.601's (what a browser
# and ffmpeg read them as), so a BT.709 or BT.2020 frame's YCbCr must be
# converted, not copied.  Each picture is compared with ffmpeg's own RGB
# of the frame (which takes the frame's matrix): PSNR at least 40 dB and
# no colour cast.  Copied, the BT.709 title's JPEG was 24 dB off, with a
# cast of 2 levels.  The matrix is the bitstream's, else the sample
# entry's colr box (as FFmpeg's demuxer gives it to its decoder); none is
# BT.601's, as FFmpeg takes it.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_COLOUR/NAME/360p.mp4, 2 s of 640x360 at 25 fps, a key
# frame at 0 and B-frames:
#   bt709   H.264 whose SPS says BT.709 (and a colr box too)
#   colr    H.264 whose SPS says nothing, with a colr box of BT.709
#   none    the same stream with no colr box: BT.601 by convention
#   pq      HEVC 10-bit, BT.2020 matrix, SMPTE ST 2084 (HDR10)
our $Dir;

BEGIN {
    my @src = ('-f', 'lavfi', '-i',
               'testsrc2=size=640x360:rate=25:duration=2');
    my @x264 = ('-c:v', 'libx264', '-preset', 'veryfast', '-g', '50',
                '-pix_fmt', 'yuv420p', '-movflags', '+faststart');
    my @bt709 = ('-colorspace', 'bt709', '-color_primaries', 'bt709',
                 '-color_trc', 'bt709');
    $Dir = ThumbTest::make_titles('TEST_NGINX_COLOUR',
        [@src, @x264, @bt709, 'DIR/bt709/360p.mp4'],
        [@src, @x264, 'DIR/none/360p.mp4'],
        ['-i', 'DIR/none/360p.mp4', '-c', 'copy', @bt709, '-movflags',
         '+faststart', 'DIR/colr/360p.mp4'],
        [@src, '-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1',
         '-x265-params', 'log-level=error:keyint=50:colorprim=bt2020:'
         . 'transfer=smpte2084:colormatrix=bt2020nc:hdr10=1',
         '-pix_fmt', 'yuv420p10le', '-color_primaries', 'bt2020',
         '-color_trc', 'smpte2084', '-colorspace', 'bt2020nc', '-movflags',
         '+faststart', 'DIR/pq/360p.mp4']);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_COLOUR', 'c');

run_tests();

__DATA__

=== TEST 1: the title's matrices, as ffprobe reads them
--- config
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body_filters eval
[sub {
    ThumbTest::video_fields($main::Dir, 'color_space', '/360p.mp4',
                            qw(bt709 colr none pq));
}]
--- response_body
bt709 bt709
colr bt709
none unknown
pq bt2020nc



=== TEST 2: BT.709 in the SPS: the JPEG's colours are the frame's
--- request
GET /c/bt709/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('bt709/360p.mp4', '1')]
--- response_body
640,360,pc match
--- no_error_log
[error]



=== TEST 3: BT.709, scaled
--- request
GET /c/bt709/thumb-360p-1000-w320.jpg
--- response_body_filters eval
[main::tile('bt709/360p.mp4', 40, 0, 0, 320, 180, '1')]
--- response_body
320,180 match
--- no_error_log
[error]



=== TEST 4: BT.709 as WebP, on video levels
--- request
GET /c/bt709/thumb-360p-1000.webp
--- response_body_filters eval
[main::frame('bt709/360p.mp4', '1')]
--- response_body
640,360,tv match
--- no_error_log
[error]



=== TEST 5: BT.709 in the colr box alone
--- request
GET /c/colr/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('colr/360p.mp4', '1')]
--- response_body
640,360,pc match
--- no_error_log
[error]



=== TEST 6: no matrix said: BT.601's, left as it is
--- request
GET /c/none/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('none/360p.mp4', '1')]
--- response_body
640,360,pc match
--- no_error_log
[error]



=== TEST 7: HEVC 10-bit BT.2020 (HDR10), not tone mapped by default
Against ffmpeg's frame taken to 8-bit 4:2:0 first: its RGB of a 10-bit
frame interpolates chroma, where that of any 4:2:0 JPEG repeats it (36.6
dB apart on testsrc2's sharp edges, whatever the matrix).  Tone mapping
(vod_thumbnail_tone_map on) has t/038; /raw/ has it off, as the default.
--- request
GET /c/pq/thumb-360p-1000.jpg
--- response_body_filters eval
[main::tile('pq/360p.mp4', 40, 0, 0, 640, 360, '1')]
--- response_body
640,360 match
--- no_error_log
[error]



=== TEST 8: HEVC 10-bit BT.2020, scaled, as WebP, not tone mapped
--- request
GET /raw/pq/thumb-360p-1000-w320.webp
--- response_body_filters eval
[main::tile('pq/360p.mp4', 40, 0, 0, 320, 180, '1')]
--- response_body
320,180 match
--- no_error_log
[error]



=== TEST 9: a tile sheet's tile of a BT.709 title (the frame at 1 s)
--- request
GET /tiles/bt709/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile('bt709/360p.mp4', 40, 160, 0, 160, 90, '1')]
--- response_body
320,90 match
--- no_error_log
[error]
