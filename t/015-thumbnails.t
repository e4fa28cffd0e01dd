# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails, thumb-{id}-{ms}[-w{W}][-h{H}].jpg: the frame
# presented at the time asked, decoded in the thread pool, compared by its
# pixels with ffmpeg's own frame at that time (exact seeking: -ss before
# -i), PSNR over RGB at least 40 dB, and below it against the frames
# around it (so returning the P-frame decoded before a B-frame, or the one
# presented after it, fails).  Then sizes, the JPEG's colour range, the
# caching headers, and the refusals: past the end, absurd sizes, a GOP
# over vod_thumbnail_max_frames, no thread pool, frames that do not
# decode.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

# a packager built without FFmpeg has no thumbnails (t/016 checks that it
# says so)
BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_BROKEN/broken/360p.mp4: a title whose first key frame does
# not decode (ThumbTest::broken_title)
BEGIN { ThumbTest::broken_title(VodTest::media()) }

no_shuffle();
log_level('info');

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
    location /small/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_max_width 640;
        vod_thumbnail_max_height 480;
        vod_thumbnail_max_frames 10;
        aio threads;
    }
    location /off/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }
    location /nopool/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        set $pool nosuchpool;
        aio threads=$pool;
    }
    location /ownpool/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_thread_pool default;
    }
    location /broken/ {
        alias $TEST_NGINX_BROKEN/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});


run_tests();

__DATA__

=== TEST 1: a pool of their own: its threads at nice 10, the event loop's as it was
vod_thumbnail_thread_nice's default; the worker's own thread, which runs
the event loop, keeps its nice (Linux: one per thread).
--- main_config
thread_pool thumbs threads=2;
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_thread_pool thumbs;
    }
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[sub { main::thread_nices() }]
--- response_body eval
main::expected_nices(10)
--- no_error_log
[error]
of a thumbnail thread failed



=== TEST 2: vod_thumbnail_thread_nice 15
--- main_config
thread_pool thumbs threads=2;
--- http_config
vod_thumbnail_thread_nice 15;
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_thread_pool thumbs;
    }
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[sub { main::thread_nices() }]
--- response_body eval
main::expected_nices(15)
--- no_error_log
[error]



=== TEST 3: vod_thumbnail_thread_nice 0: the threads left as they are
--- main_config
thread_pool thumbs threads=2;
--- http_config
vod_thumbnail_thread_nice 0;
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_thread_pool thumbs;
    }
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[sub { main::thread_nices() }]
--- response_body eval
main::expected_nices(0)
--- no_error_log
[error]



=== TEST 4: vod_thumbnail_thread_nice idle: the thread that decoded in SCHED_IDLE, the event loop not
--- main_config
thread_pool thumbs threads=2;
--- http_config
vod_thumbnail_thread_nice idle;
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_thread_pool thumbs;
    }
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[sub { main::thread_policies() }]
--- response_body
main=0 idle=1
--- no_error_log
[error]
of a thumbnail thread failed



=== TEST 5: the pool of "aio threads" reads segments too: left as it is
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[sub { main::thread_nices() }]
--- response_body eval
main::expected_nices(0)
--- no_error_log
[error]



=== TEST 6: a key frame: the first frame, full size, full range
--- request
GET /vod/demo/thumb-360p-0.jpg
--- response_headers
Content-Type: image/jpeg
Cache-Control: public, max-age=31536000, immutable
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '0', '0.04')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 7: a B-frame mid-GOP: not the P-frame decoded before it, nor the next
demo/360p.mp4 (x264, 2 B-frames) presents I P P B P at 0, 40, 80, 120,
160 ms; the B-frame at 120 is decoded after the P-frame at 160.
--- request
GET /vod/demo/thumb-360p-120.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '0.12', '0.16', '0.08')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 8: a time between two frames: the next one presented, ffmpeg's own frame then
ffmpeg -ss 0.121 gives the first frame presented at or after 121 ms: the
P-frame at 160, decoded before the B-frame at 120 that is on screen then.
--- request
GET /vod/demo/thumb-360p-121.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '0.121', '0.12')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 9: the second GOP's B-frame, presented before its P-frame
--- request
GET /vod/demo/thumb-360p-2040.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '2.04', '2.0', '2.12')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 10: the last frame before a segment boundary (4 s segments)
--- request
GET /vod/demo/thumb-360p-3960.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '3.96', '4.0')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 11: a time within the last frame of a segment: the next segment's first
ffmpeg -ss 3.999: the key frame at 4 s, in the segment after the one
that holds 3.999 s.
--- request
GET /vod/demo/thumb-360p-3999.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '3.999', '3.96')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 12: the first frame of a later segment
--- request
GET /vod/demo/thumb-360p-4000.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '4.0', '3.96')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 13: the last frame of the title
--- request
GET /vod/demo/thumb-360p-7999.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '7.96', '7.92')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 14: NTSC timing (30000/1001): 1001 ms is frame 30
--- request
GET /vod/ntsc/thumb-360p-1001.jpg
--- response_body_filters eval
[main::frame_check('ntsc/360p.mp4', '1.001', '0.967633', '1.034367')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 15: NTSC at a whole second: frame 30 (1.001 s), not frame 29 on screen then
No frame of 30000/1001 fps is presented at 1 s: ffmpeg -ss 1 gives the
first after it.
--- request
GET /vod/ntsc/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame_check('ntsc/360p.mp4', '1', '0.967633', '1.034367')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 16: HEVC
--- request
GET /vod/hevc/thumb-360p-1120.jpg
--- response_body_filters eval
[main::frame_check('hevc/360p.mp4', '1.12', '1.08', '1.16')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 17: HEVC, a referenced B-frame (TRAIL_R) after skipped TRAIL_N ones
hevc/360p.mp4 (x265) decodes I P B(TRAIL_R) B(TRAIL_N) ...: the frames
nothing refers to are skipped on the way, those referred to are not.
--- request
GET /vod/hevc/thumb-360p-1160.jpg
--- response_body_filters eval
[main::frame_check('hevc/360p.mp4', '1.16', '1.12', '1.2')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]



=== TEST 18: 1080p, a B-frame
--- request
GET /vod/demo/thumb-1080p-120.jpg
--- response_body_filters eval
[main::frame_check('demo/1080p.mp4', '0.12', '0.16')]
--- response_body
1920,1080,pc match other
--- no_error_log
[error]



=== TEST 19: a width, aspect kept
--- request
GET /vod/demo/thumb-1080p-120-w320.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
320,180,yuvj420p,pc
--- no_error_log
[error]



=== TEST 20: a scaled frame: its pixels, range expanded by the scaler
Against ffmpeg's frame scaled the same way (bicubic, to full range).
--- request
GET /vod/demo/thumb-1080p-120-w320.jpg
--- response_body_filters eval
[main::tile_check('demo/1080p.mp4', 40, 0, 0, 320, 180, '0.12', '0.16')]
--- response_body
320,180 match other
--- no_error_log
[error]



=== TEST 21: WebP: the B-frame's pixels, in WebP's limited range
--- request
GET /vod/demo/thumb-360p-120.webp
--- response_headers
Content-Type: image/webp
Cache-Control: public, max-age=31536000, immutable
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '0.12', '0.16', '0.08')]
--- response_body
640,360,tv match other other
--- no_error_log
[error]



=== TEST 22: WebP: HEVC, scaled
--- request
GET /vod/hevc/thumb-360p-1160-w320.webp
--- response_headers
Content-Type: image/webp
--- response_body_filters eval
[main::tile_check('hevc/360p.mp4', 40, 0, 0, 320, 180, '1.16', '1.12', '1.2')]
--- response_body
320,180 match other other
--- no_error_log
[error]



=== TEST 23: a height, aspect kept
--- request
GET /vod/demo/thumb-720p-120-h90.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
160,90,yuvj420p,pc
--- no_error_log
[error]



=== TEST 24: a box: the largest size of the frame's aspect within it
--- request
GET /vod/demo/thumb-1080p-0-w320-h320.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
320,180,yuvj420p,pc
--- no_error_log
[error]



=== TEST 25: a source over the maxima is scaled down to fit them
--- request
GET /small/demo/thumb-1080p-0.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
640,360,yuvj420p,pc
--- no_error_log
[error]



=== TEST 26: ETag: one per time and size; If-None-Match gives 304
--- request
GET /vod/demo/thumb-360p-120-w160.jpg
--- more_headers
If-None-Match: "0000000000000000"
--- response_headers_like
ETag: "[0-9a-f]{16}"
--- error_code: 200
--- no_error_log
[error]



=== TEST 27: past the end: 404 and one line
--- request
GET /vod/demo/thumb-360p-8000.jpg
--- error_code: 404
--- error_log
thumbnail at 8000 ms is past the end
--- no_error_log
[error]



=== TEST 28: absurd sizes: 400
--- request
GET /vod/demo/thumb-360p-0-w100000.jpg
--- error_code: 400
--- error_log
over vod_thumbnail_max_width/height
--- no_error_log
[error]



=== TEST 29: a size over the location's maximum: 400
--- request
GET /small/demo/thumb-360p-0-h481.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 30: a malformed time: 400
--- request
GET /vod/demo/thumb-360p-0120.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 31: a frame late in its GOP, over max_frames 10: 502 and one line
--- request
GET /small/demo/thumb-360p-1960.jpg
--- error_code: 502
--- error_log eval
qr{\[error\].*the frame at 1960 ms needs 49 frames decoded, over vod_thumbnail_max_frames 10}
--- no_error_log
[crit]



=== TEST 32: a frame within max_frames
--- request
GET /small/demo/thumb-360p-200.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
640,360,yuvj420p,pc
--- no_error_log
[error]



=== TEST 33: thumbnails off (the default): not served
--- request
GET /off/demo/thumb-360p-0.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 34: no thread pool: 503 and one line
--- request
GET /nopool/demo/thumb-360p-0.jpg
--- error_code: 503
--- error_log
thumbnails need "aio threads" and a thread pool, refused
--- no_error_log
[crit]



=== TEST 35: a rendition without video: 404
--- request
GET /vod/audio/thumb-audio-0.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 36: a key frame that does not decode: 502 and one line
--- request
GET /broken/broken/thumb-360p-0.jpg
--- error_code: 502
--- error_log eval
qr{\[error\].*broken/360p\.mp4": thumbnail: }
--- no_error_log
[crit]
[alert]



=== TEST 37: the same title's frames of an intact GOP still decode
--- request
GET /broken/broken/thumb-360p-2000.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
640,360,yuvj420p,pc
--- no_error_log
[error]



=== TEST 38: a pool of their own (vod_thumbnail_thread_pool), no aio threads
--- request
GET /ownpool/demo/thumb-360p-120.jpg
--- response_body_filters eval
[main::frame_check('demo/360p.mp4', '0.12', '0.16')]
--- response_body
640,360,pc match other
--- no_error_log
[error]
