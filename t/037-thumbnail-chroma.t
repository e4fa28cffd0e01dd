# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails of video whose chroma is not 4:2:0: H.264's
# High 4:2:2 (10-bit, a studio mezzanine's) and High 4:4:4 (screen
# content).  ffmpeg's own JPEG of such a frame keeps its chroma (yuvj422p,
# yuvj444p); the packager made every picture 4:2:0, which halves a 4:4:4
# frame's colour resolution both ways: 33 dB from ffmpeg's RGB of it on
# testsrc2's colour edges, 38 dB for 4:2:2, under the 40 dB bar.  Now a
# JPEG keeps the frame's chroma (turned with it: a quarter turn of 4:2:2
# is 4:4:0, made 4:4:4), and a WebP stays 4:2:0, all VP8 has.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_CHROMA/h422/v.mp4: 4 s of 640x360 at 24 fps, 4:2:2 10-bit
# (a key frame each 2 s, B-frames); h444/v.mp4: the same 4:4:4 8-bit;
# r90/v.mp4: h422's turned a quarter (its tkhd matrix)
our $Dir;

BEGIN {
    my @src = ('-f', 'lavfi', '-i',
               'testsrc2=size=640x360:rate=24:duration=4');
    my @x264 = ('-c:v', 'libx264', '-preset', 'veryfast', '-g', '48',
                '-keyint_min', '48', '-sc_threshold', '0');
    $Dir = ThumbTest::make_titles('TEST_NGINX_CHROMA',
        [@src, @x264, '-pix_fmt', 'yuv422p10le', 'DIR/h422/v.mp4'],
        [@src, @x264, '-pix_fmt', 'yuv444p', 'DIR/h444/v.mp4'],
        ['-i', 'DIR/h422/v.mp4', '-c', 'copy', '-metadata:s:v:0',
         'rotate=90', 'DIR/r90/v.mp4']);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_CHROMA', 's');

# "W,H,PIX_FMT,RANGE VERDICT": the picture's size and format, and its
# pixels against ffmpeg's RGB of the title's frame at $t (scaled as the
# picture is, bicubic to full range, its chroma as ffmpeg keeps it), at
# least 40 dB
sub chroma_check {
    my ($title, $t) = @_;
    return sub {
        my ($body) = @_;
        my $probe = ThumbTest::probe($body);
        chomp $probe;
        my ($w, $h) = split /,/, $probe;
        my $jpg = ThumbTest::jpeg_file($body);
        my $want = ThumbTest::rgb("$main::Dir/$title/v.mp4", $t,
                                  "scale=$w:$h:flags=bicubic:out_range=full");
        return "$probe " . ThumbTest::verdict(ThumbTest::rgb($jpg), $want,
                                              40) . "\n";
    };
}

# "W,H VERDICT": a tile sheet's size, and its w x h tile at x,y against
# ffmpeg's RGB of the title's frame at $t scaled alike
sub tile_chroma {
    my ($title, $x, $y, $w, $h, $t) = @_;
    return sub {
        my ($body) = @_;
        my $jpg = ThumbTest::jpeg_file($body);
        my $probe = `ffprobe -v error -show_entries stream=width,height -of csv=p=0 $jpg`;
        chomp $probe;
        my $mine = ThumbTest::rgb($jpg, undef, "crop=$w:$h:$x:$y");
        my $want = ThumbTest::rgb("$main::Dir/$title/v.mp4", $t,
                                  "scale=$w:$h:flags=bicubic:out_range=full");
        return "$probe " . ThumbTest::verdict($mine, $want, 40) . "\n";
    };
}

run_tests();

__DATA__

=== TEST 1: 4:2:2 10-bit: a 4:2:2 JPEG, ffmpeg's frame, mid-GOP
--- request
GET /s/h422/thumb-v-1250.jpg
--- response_body_filters eval
[main::chroma_check('h422', '1.25')]
--- response_body
640,360,yuvj422p,pc match
--- no_error_log
[error]



=== TEST 2: 4:4:4: a 4:4:4 JPEG, ffmpeg's frame
--- request
GET /s/h444/thumb-v-2000.jpg
--- response_body_filters eval
[main::chroma_check('h444', '2')]
--- response_body
640,360,yuvj444p,pc match
--- no_error_log
[error]



=== TEST 3: 4:4:4 scaled: still 4:4:4, ffmpeg's frame scaled alike
--- request
GET /s/h444/thumb-v-1250-w320.jpg
--- response_body_filters eval
[main::chroma_check('h444', '1.25')]
--- response_body
320,180,yuvj444p,pc match
--- no_error_log
[error]



=== TEST 4: 4:4:4 tiles: a tile of the sheet is ffmpeg's frame
--- request
GET /tiles/h444/tiles-v-1.jpg
--- response_body_filters eval
[main::tile_chroma('h444', 160, 0, 160, 90, '1')]
--- response_body
320,90 match
--- no_error_log
[error]



=== TEST 5: the sheet's format
--- request
GET /tiles/h444/tiles-v-1.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
320,90,yuvj444p,pc
--- no_error_log
[error]



=== TEST 6: 4:2:2 turned a quarter: 4:4:4, ffmpeg's turned frame
--- request
GET /s/r90/thumb-v-1250.jpg
--- response_body_filters eval
[main::chroma_check('r90', '1.25')]
--- response_body
360,640,yuvj444p,pc match
--- no_error_log
[error]



=== TEST 7: a WebP stays 4:2:0, VP8's only layout
--- request
GET /s/h444/thumb-v-1250.webp
--- response_body_filters eval
[\&main::probe]
--- response_body
640,360,yuv420p,tv
--- no_error_log
[error]
