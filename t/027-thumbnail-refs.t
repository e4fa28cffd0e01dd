# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails of an x264 title with B-pyramid (veryfast,
# -bf 2, reference B-frames): a frame mid-GOP decodes only what it
# depends on (vod_thumb_refs.c), and still shows ffmpeg's own frame at
# that time (PSNR over RGB at least 40 dB, below it against the frames
# around it).  The debug log line "vod: picture: N frames decoded" gives
# the cost: the P-frame 1 s into its GOP (frame 24 of 48) takes 9 frames,
# the key frame and the 8 P-frames up to it; skipping only the disposable
# frames took 16 (the 7 reference B-frames decoded before it too).  The
# exact, decoder-level proof over many encodings is
# ngx_vod_package/core/test/test_thumb_refs_av.c.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use File::Temp;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_REFS/pyr/180p.mp4: 4 s of 320x180 at 24 fps, 2 s GOPs, the
# bench title's encoding (bench/thumbs.sh) at a small size, without its
# noise (a JPEG of noise is under 40 dB) and with B-frames in every gap
# (b-adapt=0: B b P, the first B a reference)
our $Dir;

BEGIN {
    $Dir = File::Temp::tempdir('vodrefs-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $Dir;
    mkdir "$Dir/pyr" or die "$Dir/pyr: $!";
    system('ffmpeg', '-nostdin', '-hide_banner', '-loglevel', 'error',
           '-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=24:duration=4',
           '-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2',
           '-x264-params', 'b-adapt=0', '-g', '48',
           '-keyint_min', '48', '-sc_threshold', '0', '-pix_fmt', 'yuv420p',
           '-movflags', '+faststart', "$Dir/pyr/180p.mp4") == 0
        or die "ffmpeg failed";
    $ENV{TEST_NGINX_REFS} = $Dir;
}

no_shuffle();
log_level('debug');

our $Config = <<'_EOC_';
    location /refs/ {
        alias $TEST_NGINX_REFS/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});

sub title { "$Dir/pyr/180p.mp4" }

run_tests();

__DATA__

=== TEST 1: the P-frame 1 s into the first GOP: the key frame and the P-frames before it
--- request
GET /refs/pyr/thumb-180p-1000.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '1.0', '0.958333', '1.041667')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 9 frames decoded
--- no_error_log
[error]



=== TEST 2: a non-reference B-frame before it: its reference B-frame and both P-frames around
--- request
GET /refs/pyr/thumb-180p-958.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '0.958333', '0.916667', '1.0')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 3: a reference B-frame
--- request
GET /refs/pyr/thumb-180p-916.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '0.916667', '0.875', '0.958333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 4: the second GOP, 1 s in
--- request
GET /refs/pyr/thumb-180p-3000.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '3.0', '2.958333', '3.041667')]
--- response_body
320,180,pc match other other
--- error_log
vod: picture: 9 frames decoded
--- no_error_log
[error]



=== TEST 5: frame 4 (early in the GOP): its lists would meet libavcodec's stand-ins for the skipped B-frames, so those are decoded
--- request
GET /refs/pyr/thumb-180p-166.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '0.166667', '0.125', '0.208333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 6: frame 5
--- request
GET /refs/pyr/thumb-180p-208.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '0.208333', '0.166667', '0.25')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]



=== TEST 7: frame 46, the GOP's last B-frames
--- request
GET /refs/pyr/thumb-180p-1916.jpg
--- response_body_filters eval
[main::frame_check(main::title(), '1.916667', '1.875', '1.958333')]
--- response_body
320,180,pc match other other
--- no_error_log
[error]
