# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails of open GOPs: titles whose key frames after
# the first are not IDRs, and whose leading pictures (decoded after their
# key frame, presented before it) refer to the GOP before.  x265 makes
# such titles by default (CRA key frames with RASL pictures), x264 with
# --open-gop.  A thumbnail of a leading picture is decoded from the key
# frame before its own (vod_thumb_pick(); across two segments when its key
# frame starts one: vod_thumb_join()), and still shows ffmpeg's own frame
# at that time (PSNR over RGB at least 40 dB, below it against the frames
# around it); before, it failed with 502.  An HEVC picture presented
# after its CRA skips the CRA's RASL pictures, which libavcodec drops too
# (the debug line "vod: picture: N frames decoded").

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use File::Temp;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_OPEN/cra/180p.mp4: 3 s of 320x180 at 24 fps, x265 (open GOP
# by default), key frames every 2 s, B-frames in every gap (b-adapt=0):
# the CRA at 2 s (decode order) is followed by a RASL_R presented at
# 1.958 s and a RASL_N at 1.917 s, then TRAIL_R 2.208 (P), TRAIL_R 2.125,
# TRAIL_N 2.042...  $TEST_NGINX_OPEN/x264/180p.mp4: the same by x264
# --open-gop (-bf 3): its I-frame at 2 s, not an IDR, is followed by
# B-frames presented at 1.917, 1.875 and 1.958 s.
# $TEST_NGINX_OPEN/cra1s/180p.mp4: 5 s of the same by x265 with key frames
# every second: the CRA at 4 s (which starts segment 2 of 4 s segments) is
# followed by three RASL pictures, presented at 3.917, 3.875 and 3.958 s,
# the first of them more than the B-frames' composition shift before the
# CRA (the segment it is decoded in starts after it is presented).
our $Dir;

BEGIN {
    $Dir = File::Temp::tempdir('vodopen-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $Dir;
    my @src = ('-nostdin', '-hide_banner', '-loglevel', 'error', '-f',
               'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=3');
    my %enc = (
        cra => ['-c:v', 'libx265', '-preset', 'medium', '-tag:v', 'hvc1',
                '-x265-params', 'keyint=48:min-keyint=48:scenecut=0:'
                . 'bframes=4:b-adapt=0:log-level=error'],
        x264 => ['-c:v', 'libx264', '-preset', 'veryfast', '-x264-params',
                 'open-gop=1:keyint=48:min-keyint=48:scenecut=0:bframes=3:'
                 . 'b-adapt=0'],
    );
    for my $name (sort keys %enc) {
        mkdir "$Dir/$name" or die "$Dir/$name: $!";
        system('ffmpeg', @src, @{ $enc{$name} }, '-pix_fmt', 'yuv420p',
               '-movflags', '+faststart', "$Dir/$name/180p.mp4") == 0
            or die "ffmpeg failed";
    }
    mkdir "$Dir/cra1s" or die "$Dir/cra1s: $!";
    s/duration=3/duration=5/ for @src;
    system('ffmpeg', @src, '-c:v', 'libx265', '-preset', 'medium',
           '-tag:v', 'hvc1', '-x265-params', 'keyint=24:min-keyint=24:'
           . 'scenecut=0:bframes=4:b-adapt=0:log-level=error',
           '-pix_fmt', 'yuv420p', '-movflags', '+faststart',
           "$Dir/cra1s/180p.mp4") == 0
        or die "ffmpeg failed";
    $ENV{TEST_NGINX_OPEN} = $Dir;
}

# ffmpeg's own frames by a decode from the start: its seek to the key
# frame before a time starts a leading picture's decode at the CRA
$ThumbTest::SeekFromStart = 1;

no_shuffle();
log_level('debug');

# /seg2/: segments of 2 s, so that the key frame at 2 s starts segment 2
our $Config = <<'_EOC_';
    location /open/ {
        alias $TEST_NGINX_OPEN/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
    location /tiles3/ {
        alias $TEST_NGINX_OPEN/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x1;
        vod_thumbnail_tile_interval 1083ms;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
    location /tiles4s/ {
        alias $TEST_NGINX_OPEN/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 2x1;
        vod_thumbnail_tile_interval 3875ms;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
    location /seg2/ {
        alias $TEST_NGINX_OPEN/;
        vod_package;
        vod_segment_duration 2s;
        vod_thumbnails on;
        vod_thumbnail_tiles 2x1;
        vod_thumbnail_tile_interval 1958ms;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});

sub check { ThumbTest::frame_check("$Dir/$_[0]", @_[1 .. $#_]) }

run_tests();

__DATA__

=== TEST 1: HEVC, the RASL_N picture at 1.917 s: decoded from the IDR
--- request
GET /open/cra/thumb-180p-1916.jpg
--- response_body_filters eval
[main::check('cra/180p.mp4', '1.916667', '1.875', '1.958333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 2: HEVC, the RASL_R picture at 1.958 s
--- request
GET /open/cra/thumb-180p-1958.jpg
--- response_body_filters eval
[main::check('cra/180p.mp4', '1.958333', '1.916667', '2.0')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 3: HEVC, the CRA's leading pictures across two segments
The CRA starts segment 2: the RASL_R picture's decode takes the samples of
segment 1 from its key frame, then segment 2's.
--- request
GET /seg2/cra/thumb-180p-1958.jpg
--- response_body_filters eval
[main::check('cra/180p.mp4', '1.958333', '1.916667', '2.0')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 4: HEVC, the same for the RASL_N picture
--- request
GET /seg2/cra/thumb-180p-1916.jpg
--- response_body_filters eval
[main::check('cra/180p.mp4', '1.916667', '1.875', '1.958333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 5: HEVC, a trailing picture skips the CRA's RASL pictures
The TRAIL_N at 2.042 s needs the CRA, the P at 2.208 s and the B at
2.125 s: 4 frames; the RASL_R decoded after the CRA made it 5 (its own
references are not there: libavcodec drops it).
--- request
GET /seg2/cra/thumb-180p-2041.jpg
--- response_body_filters eval
[main::check('cra/180p.mp4', '2.041667', '2.0', '2.083333')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 4 frames decoded
--- no_error_log
[error]



=== TEST 6: HEVC, the CRA itself: 1 frame
--- request
GET /seg2/cra/thumb-180p-2000.jpg
--- response_body_filters eval
[main::check('cra/180p.mp4', '2.0', '1.958333', '2.041667')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 1 frames decoded
--- no_error_log
[error]



=== TEST 7: HEVC tile sheet: tiles at 0 and 1.958 s, the second a RASL_R picture
Tiles of one run, from the IDR: the second tile's goes on past the CRA,
which starts segment 2, over the samples of both segments.
--- request
GET /seg2/cra/tiles-180p-1.jpg
--- response_body_filters eval
[main::tile_check("$main::Dir/cra/180p.mp4", 40, 160, 0, 160, 90, '1.958333', '1.916667', '2.0')]
--- response_body
320,90 match other other
--- no_error_log
[error]



=== TEST 8: H.264 --open-gop, a leading B-frame of the I-frame at 2 s
Decoded from the IDR at 0 s, through the I-frame: its references in the
GOP before are there.
--- request
GET /seg2/x264/thumb-180p-1916.jpg
--- response_body_filters eval
[main::check('x264/180p.mp4', '1.916667', '1.875', '1.958333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 9: H.264 --open-gop, the leading B-frame at 1.875 s, one segment
--- request
GET /open/x264/thumb-180p-1875.jpg
--- response_body_filters eval
[main::check('x264/180p.mp4', '1.875', '1.833333', '1.916667')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 10: HEVC, a leading picture decoded in the segment after the time
The first RASL picture of the CRA at 4 s is presented at 3.875 s, three
frames before the CRA whose segment (the second) decodes it: the frame
on screen at 3.876 s is that one, not the last of segment 1 (3.833 s),
and it is decoded from the key frame at 3 s over both segments.
--- request
GET /open/cra1s/thumb-180p-3875.jpg
--- response_body_filters eval
[main::check('cra1s/180p.mp4', '3.875', '3.833333', '3.916667')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 11: HEVC tile sheet: the tile at 3.875 s, the same leading picture
--- request
GET /tiles4s/cra1s/tiles-180p-1.jpg
--- response_body_filters eval
[main::tile_check("$main::Dir/cra1s/180p.mp4", 40, 160, 0, 160, 90, '3.875', '3.833333', '3.916667')]
--- response_body
320,90 match other other
--- no_error_log
[error]



=== TEST 12: H.264 --open-gop, the I-frame at 2 s that is not an IDR
--- request
GET /open/x264/thumb-180p-2000.jpg
--- response_body_filters eval
[main::check('x264/180p.mp4', '2.0', '1.958333', '2.041667')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 13: H.264 --open-gop, a P-frame decoded before the I-frame is output
libavcodec holds such pictures back as not yet recovered unless told to
show them all.
--- request
GET /open/x264/thumb-180p-2166.jpg
--- response_body_filters eval
[main::check('x264/180p.mp4', '2.166667', '2.125', '2.208333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 14: H.264 --open-gop, a B-frame in the middle of the second GOP
--- request
GET /seg2/x264/thumb-180p-2500.jpg
--- response_body_filters eval
[main::check('x264/180p.mp4', '2.5', '2.458333', '2.541667')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 15: H.264 --open-gop tile sheet: tiles at 0, 1.083 and 2.166 s
Two runs: the first from the IDR, strict; the second from the I-frame at
2 s, its tile the P-frame at 2.167 s that libavcodec holds back.
--- request
GET /tiles3/x264/tiles-180p-1.jpg
--- response_body_filters eval
[main::tile_check("$main::Dir/x264/180p.mp4", 40, 320, 0, 160, 90, '2.166667', '2.125', '2.208333')]
--- response_body
480,90 match other other
--- no_error_log
[error]
