# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails' JPEG encoder: libjpeg-turbo where the build
# found it, FFmpeg's mjpeg encoder otherwise (jpeg_encoder() tells which
# from the module's libraries); either way vod_thumbnail_quality is the
# quantiser scale of FFmpeg's mjpeg encoder (one table for luma and
# chroma: DC 8, each AC step the MPEG-1 intra matrix's times the scale
# over 8), the picture is the frame asked (PSNR at least 40 dB), and a
# width that is not a whole number of JPEG blocks makes the same bytes
# every time, scaled or not.  (The encoder sets the columns the last
# block reads past the width to the edge's; leaving them as the buffer
# held them was not caught here: with these fixtures the buffers came
# back holding the same bytes, so no mutation claims it.)

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_ODD/odd/480p.mp4: 1 s of 854x480 (a width of no whole 8x8
# blocks, a common one), x264 with B-frames; a thumbnail of its own size
# is not scaled, so nothing but the encoder's padding writes the columns
# past 854 that the last block reads
use File::Temp ();
BEGIN {
    my $dir = File::Temp::tempdir('vodjpeg-XXXXXX', TMPDIR => 1,
                                  CLEANUP => 1);
    chmod 0755, $dir;
    mkdir "$dir/odd" or die "$dir/odd: $!";
    system('ffmpeg', '-nostdin', '-v', 'error', '-f', 'lavfi', '-i',
           'testsrc2=size=854x480:rate=25:duration=1', '-c:v', 'libx264',
           '-preset', 'veryfast', '-bf', '2', '-pix_fmt', 'yuv420p',
           '-movflags', '+faststart', "$dir/odd/480p.mp4") == 0
        or die "ffmpeg failed to make $dir/odd/480p.mp4";
    $ENV{TEST_NGINX_ODD} = $dir;
}

no_shuffle();

our $Encoder = ThumbTest::jpeg_encoder();

# "WxH first|same|differs": each body against the first of its size in
# the block
our %Seen;

sub same_bytes {
    my ($body) = @_;
    my $p = ThumbTest::probe($body);
    my ($wh) = $p =~ /^(\d+,\d+)/;
    my $verdict = !exists $Seen{$wh} ? 'first'
                  : $Seen{$wh} eq $body ? 'same' : 'differs';
    $Seen{$wh} //= $body;
    return "$wh $verdict\n";
}

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
    location /q5/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_quality 5;
        aio threads;
    }
    location /odd/ {
        alias $TEST_NGINX_ODD/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
    location /tiles/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 106;
        vod_thumbnail_quality 3;
        aio threads;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the default quality, 2: the mjpeg encoder's quantiser at 2
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[\&ThumbTest::jpeg_tables]
--- response_body eval
"$main::Encoder tables=1 comps=0,0,0 q2\n"
--- no_error_log
[error]



=== TEST 2: the same picture is the frame asked, in the full range
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '0.12', '0.16', '0.08')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 3: vod_thumbnail_quality 5
--- request
GET /q5/demo/thumb-360p-120.jpg
--- response_body_filters eval
[\&ThumbTest::jpeg_tables]
--- response_body eval
"$main::Encoder tables=1 comps=0,0,0 q5\n"
--- no_error_log
[error]



=== TEST 4: a tile sheet (318 wide, not whole blocks) takes the quality too
--- request
GET /tiles/demo/tiles-360p-1.jpg
--- response_body_filters eval
[\&ThumbTest::jpeg_tables]
--- response_body eval
"$main::Encoder tables=1 comps=0,0,0 q3\n"
--- no_error_log
[error]



=== TEST 5: 330 wide, not whole blocks: the same bytes every time (1)
The blocks up to TEST 8 share %Seen: the other titles decode between
the two asks, so the buffers the second one gets held other pixels.
--- request
GET /vod/demo/thumb-360p-120-w330.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
330,186 first
--- no_error_log
[error]



=== TEST 6: another title, the same size, other bytes
--- request
GET /vod/demo/thumb-720p-2040-w330.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
330,186 differs
--- no_error_log
[error]



=== TEST 7: another title, 338 wide
--- request
GET /vod/demo/thumb-1080p-1000-w338.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
338,190 first
--- no_error_log
[error]



=== TEST 8: the first again, after the others: the same bytes
--- request
GET /vod/demo/thumb-360p-120-w330.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
330,186 same
--- no_error_log
[error]



=== TEST 9: 330 wide: the frame asked, scaled
--- request
GET /vod/demo/thumb-360p-120-w330.jpg
--- response_body_filters eval
[main::tile_check('demo/360p.mp4', 35, 0, 0, 330, 186, '0.12', '0.16')]
--- response_body
330,186 match other
--- no_error_log
[error]



=== TEST 10: 854x480 at its own size (no scaling), the frame asked
--- request
GET /odd/odd/thumb-480p-400.jpg
--- response_body_filters eval
[sub { local $ENV{TEST_NGINX_MEDIA} = $ENV{TEST_NGINX_ODD};
       main::frame_check('odd/480p.mp4', '0.4', '0.8')->(@_) }]
--- response_body
854,480,pc match other
--- no_error_log
[error]



=== TEST 11: 854 wide, own size: the same bytes every time (1)
--- request
GET /odd/odd/thumb-480p-400.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
854,480 first
--- no_error_log
[error]



=== TEST 12: a sheet and a larger picture between, their pixels in the buffers
--- request
GET /tiles/demo/tiles-1080p-1.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
318,120 first
--- no_error_log
[error]



=== TEST 13: another frame of it
--- request
GET /odd/odd/thumb-480p-800.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
854,480 differs
--- no_error_log
[error]



=== TEST 14: the first again: the same bytes
--- request
GET /odd/odd/thumb-480p-400.jpg
--- response_body_filters eval
[\&main::same_bytes]
--- response_body
854,480 same
--- no_error_log
[error]
