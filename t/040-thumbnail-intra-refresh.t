# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails of intra-refreshed H.264: one IDR, then the
# picture refreshed a column at a time, each refresh starting at a P or B
# picture with a recovery point SEI, which FFmpeg's mov muxer marks as a
# sync sample (x264 --intra-refresh; low-delay broadcast encoders).  A
# frame is decoded from the latest sync sample whose recovery point
# (frame_num plus recovery_frame_cnt, H.264 D.2.8) comes at or before it,
# over the segments before when its own starts too late
# (ngx_vod_package_refresh.c), and is ffmpeg's own frame of a decode from
# the start (PSNR over RGB at least 40 dB, below it against the frames
# around it).  Before, every frame after the first recovery point was 502
# ("sample at offset ... does not decode"): the decode started at the
# recovery point, whose references it did not have.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_IR/NAME/180p.mp4: 6 s of 320x180 at 24 fps, x264
# --intra-refresh (frame k presented at k/24 s):
#   ir   keyint 24, B-frames: sync samples at frames 0 (the IDR), 25, 51,
#        75, 101 and 128, each a recovery point of 21 (frame_num counts
#        the reference pictures only)
#   irp  keyint 36, no B-frames: sync samples at 0, 36, 72 and 108,
#        recovery points of 18 (every picture a reference): the refresh
#        from 36 is complete at frame 54
our $Dir;

BEGIN {
    my @src = ('-f', 'lavfi', '-i',
               'testsrc2=size=320x180:rate=24:duration=6');
    my @x264 = ('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt',
                'yuv420p', '-movflags', '+faststart', '-x264-params');
    $Dir = ThumbTest::make_titles('TEST_NGINX_IR',
        [@src, @x264, 'intra-refresh=1:keyint=24', 'DIR/ir/180p.mp4'],
        [@src, @x264, 'intra-refresh=1:keyint=36:bframes=0',
         'DIR/irp/180p.mp4']);
}

# ffmpeg's own frames by a decode from the start: its seek to the sync
# sample before a time starts at a recovery point
$ThumbTest::SeekFromStart = 1;

no_shuffle();
log_level('debug');

# /ir/ with 4 s segments (the default), /s1/ with 1 s ones (each a GOP:
# a frame's decode takes the segments before), /few/ with a bound of 20
# frames, /tiles/ with sheets of two tiles a second apart, /sheets50/ the
# same with a bound of 50 frames a sheet
ThumbTest::default_config(<<'_EOC_');
    location /ir/ {
        alias $TEST_NGINX_IR/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
    location /s1/ {
        alias $TEST_NGINX_IR/;
        vod_package;
        vod_segment_duration 1s;
        vod_thumbnails on;
        aio threads;
    }
    location /few/ {
        alias $TEST_NGINX_IR/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_max_frames 20;
        aio threads;
    }
    location /sheets50/ {
        alias $TEST_NGINX_IR/;
        vod_package;
        vod_segment_duration 1s;
        vod_thumbnails on;
        vod_thumbnail_tiles 2x1;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        vod_thumbnail_tile_max_frames 50;
        aio threads;
    }
    location /tiles/ {
        alias $TEST_NGINX_IR/;
        vod_package;
        vod_segment_duration 1s;
        vod_thumbnails on;
        vod_thumbnail_tiles 2x1;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
_EOC_

sub frame { ThumbTest::frame_check("$Dir/$_[0]", @_[1 .. $#_]) }
sub tile { ThumbTest::tile_check("$Dir/$_[0]", @_[1 .. $#_]) }

run_tests();

__DATA__

=== TEST 1: the title is what the suite says: sync samples at recovery points
--- config
    location /t { return 200; }
--- request
GET /t
--- response_body_filters eval
[sub {
    my $out = '';
    for my $name ('ir', 'irp') {
        my $p = `ffprobe -v error -select_streams v -show_entries packet=pts,flags -of csv=p=0 $main::Dir/$name/180p.mp4`;
        $out .= "$name " . CORE::join(' ', map { /^(\d+),K/ ? $1 / 512 : () }
                                     split /\n/, $p) . "\n";
    }
    return $out;
}]
--- response_body
ir 0 25 51 75 101 128
irp 0 36 72 108



=== TEST 2: the frame after a recovery point: decoded from the IDR
Frame 26 follows the recovery point at 25, whose refresh is not complete
by then.
--- request
GET /ir/ir/thumb-180p-1083.jpg
--- response_body_filters eval
[main::frame('ir/180p.mp4', '1.083333', '1.041667', '1.125')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 3: the recovery point itself
--- request
GET /ir/ir/thumb-180p-2125.jpg
--- response_body_filters eval
[main::frame('ir/180p.mp4', '2.125', '2.083333', '2.166667')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 4: a B-frame late in a refresh
--- request
GET /ir/ir/thumb-180p-2916.jpg
--- response_body_filters eval
[main::frame('ir/180p.mp4', '2.916667', '2.875', '2.958333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 5: a B-frame decoded after the picture that completes a refresh, shown before it
Frame 109: the refresh from the recovery point at 75 is complete at frame
110, decoded just before it; frame 109 may refer to pictures not yet
refreshed, so its decode starts at the recovery point at 51 (in the
segment before): 35 frames of the 64 from there, the others disposable
B-frames.  x264's B-frame is whole from 75 too, which the spec does not
promise.
--- request
GET /ir/ir/thumb-180p-4541.jpg
--- response_body_filters eval
[main::frame('ir/180p.mp4', '4.541667', '4.5', '4.583333')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 35 frames decoded
--- no_error_log
[error]



=== TEST 6: the last frame, over 1 s segments (the decode joins the ones before)
--- request
GET /s1/ir/thumb-180p-5959.jpg
--- response_body_filters eval
[main::frame('ir/180p.mp4', '5.958333', '5.916667')]
--- response_body
320,180,pc match other
--- error_log
vod: intra refresh: the segments before joined
--- no_error_log
[error]



=== TEST 7: a frame after the recovery point at 75, over 1 s segments
--- request
GET /s1/ir/thumb-180p-3333.jpg
--- response_body_filters eval
[main::frame('ir/180p.mp4', '3.333333', '3.291667', '3.375')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 8: no B-frames: a frame whose own recovery point is complete
Frame 60: the refresh from 36 is complete at 54, so the decode starts at
36 and takes its 25 frames, not the 61 from the IDR.
--- request
GET /ir/irp/thumb-180p-2500.jpg
--- response_body_filters eval
[main::frame('irp/180p.mp4', '2.5', '2.458333', '2.541667')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 25 frames decoded
--- no_error_log
[error]



=== TEST 9: no B-frames: a frame before its recovery point is complete
Frame 40: from the IDR, 41 frames.
--- request
GET /ir/irp/thumb-180p-1666.jpg
--- response_body_filters eval
[main::frame('irp/180p.mp4', '1.666667', '1.625', '1.708333')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 41 frames decoded
--- no_error_log
[error]



=== TEST 10: a frame of the IDR's own GOP decodes as ever: 11 frames
--- request
GET /ir/irp/thumb-180p-416.jpg
--- response_body_filters eval
[main::frame('irp/180p.mp4', '0.416667', '0.375', '0.458333')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 11 frames decoded
--- no_error_log
vod: intra refresh
[error]



=== TEST 11: over vod_thumbnail_max_frames: 502, one line
Frame 40 needs the IDR, 41 frames before it; the bound is 20.
--- request
GET /few/irp/thumb-180p-1666.jpg
--- error_code: 502
--- error_log eval
qr/\[error\].*thumbnail: the frame presented at 20480 \(timescale 12288\) follows an intra refresh that no recovery point within 20 frames before it completes/
--- no_error_log
[crit]
[alert]



=== TEST 12: within the bound, a frame just after a recovery point is reached
Frame 55, decoded from the recovery point at 36 (reached at 54): 20
frames, the bound.
--- request
GET /few/irp/thumb-180p-2291.jpg
--- response_body_filters eval
[main::frame('irp/180p.mp4', '2.291667', '2.25', '2.333333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 13: a tile sheet over 1 s segments: tiles at 2 and 3 s
Frame 48 (2 s) follows the recovery point at 36, not reached until 54:
decoded from the IDR, two segments before.  Frame 72 (3 s) is a recovery
point: decoded from the one at 36.
--- request
GET /tiles/irp/tiles-180p-2.jpg
--- response_body_filters eval
[main::tile('irp/180p.mp4', 40, 160, 0, 160, 90, '3.0', '2.958333', '3.041667')]
--- response_body
320,90 match other other
--- no_error_log
[error]



=== TEST 14: the same sheet's first tile
--- request
GET /tiles/irp/tiles-180p-2.jpg
--- response_body_filters eval
[main::tile('irp/180p.mp4', 40, 0, 0, 160, 90, '2.0', '1.958333', '2.041667')]
--- response_body
320,90 match other other
--- no_error_log
[error]



=== TEST 15: a sheet of the B-frame title: tiles at 4 and 5 s
--- request
GET /tiles/ir/tiles-180p-3.jpg
--- response_body_filters eval
[main::tile('ir/180p.mp4', 40, 160, 0, 160, 90, '5.0', '4.958333', '5.041667')]
--- response_body
320,90 match other other
--- no_error_log
[error]



=== TEST 16: a sheet over vod_thumbnail_tile_max_frames from its recovery points: 502, one line
From their key frames the two tiles of sheet 2 take 13 and 1 frames;
from where their refreshes are complete, 49 (the IDR) and 37 (the
recovery point at 36).
--- request
GET /sheets50/irp/tiles-180p-2.jpg
--- error_code: 502
--- error_log eval
qr/\[error\].*thumbnail: the tile sheet needs 86 frames decoded from the recovery points before its frames, over vod_thumbnail_tile_max_frames 50/
--- no_error_log
[crit]
[alert]



=== TEST 17: a time in a segment's last frame: the next segment's first (no B-frames)
ffmpeg -ss 1.49 gives frame 36 (1.5 s), the key frame that starts the
second 1 s segment: the segment that holds 1.49 s ends with frame 35.
--- request
GET /s1/irp/thumb-180p-1490.jpg
--- response_body_filters eval
[main::frame('irp/180p.mp4', '1.49', '1.458333')]
--- response_body
320,180,pc match other
--- no_error_log
[error]
