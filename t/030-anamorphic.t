# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package and anamorphic video: samples that are not square (a
# sample aspect ratio, SAR, other than 1:1: HDV's 1440x1080 at 4:3, DVD's
# 720x480 at 8:9 or 32:27).  The SAR is the sample entry's pasp box, else
# the SPS VUI's aspect_ratio_info, as FFmpeg ranks them.  The MPD says it
# (sar) and the picture's aspect from it (par); a thumbnail or a tile,
# whose JPEG samples are square, is the frame at the size it is displayed
# at (480x360 at 4:3 is 640x360), its pixels ffmpeg's frame scaled to
# that size.  Before, the MPD said sar 1:1 and par 4:3, and a thumbnail
# 320 wide was 320x240.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_SAR/NAME/360p.mp4, 2 s of 480x360 at 25 fps (display
# 640x360, 16:9):
#   vui    the SPS says 4:3 (and ffmpeg writes a pasp box too)
#   pasp   the SPS says nothing, a pasp box says 4:3
#   ntsc   720x480, the SPS says 32:27 (display 853x480, 16:9)
our $Dir;

BEGIN {
    my @src = ('-f', 'lavfi', '-i',
               'testsrc2=size=480x360:rate=25:duration=2');
    my @x264 = ('-c:v', 'libx264', '-preset', 'veryfast', '-g', '50',
                '-pix_fmt', 'yuv420p', '-movflags', '+faststart');
    $Dir = ThumbTest::make_titles('TEST_NGINX_SAR',
        [@src, '-vf', 'setsar=4/3', @x264, 'DIR/vui/360p.mp4'],
        [@src, @x264, 'DIR/.plain/360p.mp4'],
        ['-i', 'DIR/.plain/360p.mp4', '-c', 'copy', '-aspect', '16:9',
         '-movflags', '+faststart', 'DIR/pasp/360p.mp4'],
        ['-f', 'lavfi', '-i', 'testsrc2=size=720x480:rate=25:duration=2',
         '-vf', 'setsar=32/27', @x264, 'DIR/ntsc/480p.mp4']);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_SAR', 's');

# the video AdaptationSet's par and each video Representation's size and
# sar
sub mpd_aspect {
    my ($mpd) = @_;
    my @out;
    push @out, "par $1" if $mpd =~ /contentType="video"[^>]* par="([^"]+)"/;
    while ($mpd =~ /<Representation id="video[^>]* width="(\d+)" height="(\d+)"[^>]* sar="([^"]+)"/g) {
        push @out, "${1}x$2 sar $3";
    }
    return join("\n", @out) . "\n";
}

run_tests();

__DATA__

=== TEST 1: the titles' SARs, as ffprobe reads them
--- config
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body_filters eval
[sub {
    ThumbTest::video_fields($main::Dir,
                            'sample_aspect_ratio,display_aspect_ratio', '',
                            qw(vui/360p.mp4 pasp/360p.mp4 ntsc/480p.mp4));
}]
--- response_body
vui/360p.mp4 4:3,16:9
pasp/360p.mp4 4:3,16:9
ntsc/480p.mp4 32:27,16:9



=== TEST 2: the MPD says the SAR and the picture's aspect
--- request
GET /s/vui/manifest.mpd
--- response_body_filters eval
[\&main::mpd_aspect]
--- response_body
par 16:9
480x360 sar 4:3



=== TEST 3: the same from the pasp box alone
--- request
GET /s/pasp/manifest.mpd
--- response_body_filters eval
[\&main::mpd_aspect]
--- response_body
par 16:9
480x360 sar 4:3



=== TEST 4: NTSC widescreen: 32:27 of 720x480 is 16:9
--- request
GET /s/ntsc/manifest.mpd
--- response_body_filters eval
[\&main::mpd_aspect]
--- response_body
par 16:9
720x480 sar 32:27



=== TEST 5: a thumbnail at its own size is the size it is displayed at
--- request
GET /s/vui/thumb-360p-1000.jpg
--- response_body_filters eval
[main::tile('vui/360p.mp4', 40, 0, 0, 640, 360, '1')]
--- response_body
640,360 match
--- no_error_log
[error]



=== TEST 6: a width keeps the displayed aspect
--- request
GET /s/vui/thumb-360p-1000-w320.jpg
--- response_body_filters eval
[main::tile('vui/360p.mp4', 40, 0, 0, 320, 180, '1')]
--- response_body
320,180 match
--- no_error_log
[error]



=== TEST 7: so does a height, from the pasp box alone
--- request
GET /s/pasp/thumb-360p-1000-h180.jpg
--- response_body_filters eval
[main::tile('pasp/360p.mp4', 40, 0, 0, 320, 180, '1')]
--- response_body
320,180 match
--- no_error_log
[error]



=== TEST 8: NTSC: 720x480 at 32:27 shown 853 wide, even
--- request
GET /s/ntsc/thumb-480p-1000.jpg
--- response_body_filters eval
[main::tile('ntsc/480p.mp4', 40, 0, 0, 852, 480, '1')]
--- response_body
852,480 match
--- no_error_log
[error]



=== TEST 9: a tile sheet's tiles: 160 wide, 90 high, the frame at 1 s
--- request
GET /tiles/vui/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile('vui/360p.mp4', 40, 160, 0, 160, 90, '1')]
--- response_body
320,90 match
--- no_error_log
[error]



=== TEST 10: and the WebVTT track's cues name tiles of that size
--- request
GET /tiles/vui/tiles-360p.vtt
--- response_body_like
tiles-360p-1\.jpg#xywh=160,0,160,90
