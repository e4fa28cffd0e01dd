# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails and tile sheets of an AV1 title, decoded by
# FFmpeg's dav1d (or libaom) decoder: the frame at a key frame and in the
# middle of a GOP, as JPEG and WebP, against ffmpeg's own frame (PSNR at
# least 40 dB, under it against the frames around it); a sheet's tile;
# and the MPD naming the image track whose sheets answer.  Before, an AV1
# title's pictures were 415 while its MPD named the image track all the
# same.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_AV1/av1/360p.mp4: 4 s of 640x360 at 25 fps, SVT-AV1's
# fastest preset, a key frame every 2 s
our $Dir;

BEGIN {
    $Dir = ThumbTest::make_titles('TEST_NGINX_AV1',
        ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=4',
         '-c:v', 'libsvtav1', '-preset', '12', '-g', '50', '-svtav1-params',
         'keyint=50', '-pix_fmt', 'yuv420p', '-movflags', '+faststart',
         'DIR/av1/360p.mp4']);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_AV1', 'a', 'vod_thumbnail_manifests dash hls;');

run_tests();

__DATA__

=== TEST 1: the key frame at 2 s
--- request
GET /a/av1/thumb-360p-2000.jpg
--- response_body_filters eval
[main::frame('av1/360p.mp4', '2', '1.96', '2.04')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 2: in the middle of a GOP: the frame at 1.44 s, not its neighbours
--- request
GET /a/av1/thumb-360p-1440.jpg
--- response_body_filters eval
[main::frame('av1/360p.mp4', '1.44', '1.4', '1.48')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 3: WebP, scaled, the last frame
--- request
GET /a/av1/thumb-360p-3960-w320.webp
--- response_body_filters eval
[main::tile('av1/360p.mp4', 40, 0, 0, 320, 180, '3.96', '3.92')]
--- response_body
320,180 match other
--- no_error_log
[error]



=== TEST 4: a tile sheet's second tile, the frame at 1 s
--- request
GET /tiles/av1/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile('av1/360p.mp4', 40, 160, 0, 160, 90, '1', '0.96', '1.04')]
--- response_body
320,90 match other other
--- no_error_log
[error]



=== TEST 5: the manifests name the image track, and its sheets answer
--- request
GET /tiles/av1/master.m3u8
--- response_body_like
#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=\d+,RESOLUTION=160x90,CODECS="jpeg",URI="images-360p.m3u8"
--- no_error_log
[error]



=== TEST 6: the MPD's image set
--- request
GET /tiles/av1/manifest.mpd
--- response_body_like
<AdaptationSet id="\d+" contentType="image" mimeType="image/jpeg">
--- no_error_log
[error]



=== TEST 7: the image playlist's sheets, each a JPEG of 2 tiles
--- request
GET /tiles/av1/images-360p.m3u8
--- response_body_filters eval
[sub {
    my @out;
    for my $name (grep { !/^#/ } split /\n/, $_[0]) {
        my $jpg = `curl -s http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}/tiles/av1/$name | ffprobe -v error -show_entries stream=width,height -of csv=p=0 -`;
        push @out, "$name $jpg";
    }
    CORE::join '', @out;
}]
--- response_body
tiles-360p-1.jpg 320,90
tiles-360p-2.jpg 320,90
--- no_error_log
[error]
