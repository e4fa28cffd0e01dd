# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package with "aio threads": moov parsing and MPEG-TS muxing run
# in nginx's thread pool and the handler resumes when they are done.  The
# answers must be the same as in the worker, with and without the index
# cache (without it, every rendition of a manifest takes a round trip
# through a thread), and hostile files must fail the same way.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { VodTest::make_titles() }

repeat_each(2);
no_shuffle();
log_level('info');

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        aio threads;
    }
    location /hostile/ {
        alias $TEST_NGINX_HOSTILE/;
        vod_package;
        aio threads;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: multivariant playlist, no cache: three renditions parsed in threads
--- request
GET /vod/demo/master.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{\A(?=.*RESOLUTION=1920x1080)(?=.*RESOLUTION=1280x720)(?=.*RESOLUTION=640x360)}s
--- no_error_log
[error]



=== TEST 2: MPD with the cache
--- http_config
    vod_index_cache vod_index:16m;
--- request
GET /vod/demo/manifest.mpd
--- response_headers
Content-Type: application/dash+xml
--- response_body_like eval
qr{<Representation id="video-1080p".*<Representation id="video-720p".*<Representation id="video-360p"}s
--- no_error_log
[error]



=== TEST 3: MPEG-TS segment muxed in a thread
--- request
GET /vod/demo/ts-720p-2.ts
--- response_headers
Content-Type: video/mp2t
--- response_body_filters eval
[\&VodTest::ts_summary]
--- response_body_like eval
qr{\Apackets \d+\nsync ok\nfirst pid 0\nstreams 0x0f 0x1b\n\z}
--- no_error_log
[error]



=== TEST 4: MPEG-TS segment with the cache
--- http_config
    vod_index_cache vod_index:16m;
--- request
GET /vod/ntsc/ts-360p-1.ts
--- response_body_filters eval
[\&VodTest::ts_summary]
--- response_body_like eval
qr{\Apackets \d+\nsync ok\nfirst pid 0\nstreams 0x0f 0x1b\n\z}
--- no_error_log
[error]



=== TEST 5: CMAF segment: index from a thread, data by sendfile
--- request
GET /vod/hevc/video-360p-2.m4s
--- response_headers
Content-Type: video/mp4
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{\Astyp\nmoof\n(?:.*\n)*mdat\n\z}
--- no_error_log
[error]



=== TEST 6: HEAD of a TS segment
--- request
HEAD /vod/demo/ts-360p-1.ts
--- response_headers_like
Content-Length: [1-9]\d*
--- response_body
--- no_error_log
[error]



=== TEST 7: truncated moov parsed in a thread: 502, the file named
--- request
GET /hostile/trunc/video-360p-1.m4s
--- error_code: 502
--- error_log eval
qr{\[error\].*vod: "[^"]*/trunc/360p\.mp4"}



=== TEST 8: garbage in a thread, manifest: 502
--- request
GET /hostile/garbage/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*/garbage/360p\.mp4}



=== TEST 9: one bad rendition among good ones: 502 naming the bad one
--- request
GET /hostile/mixed/manifest.mpd
--- error_code: 502
--- error_log eval
qr{\[error\].*/mixed/720p\.mp4}



=== TEST 10: unsupported codec through a thread: 415
--- request
GET /hostile/mpeg4/video-360p-1.m4s
--- error_code: 415
--- error_log
no H.264, H.265, AV1, AAC, AC-3 or E-AC-3 track in the file



=== TEST 11: segment past the end after a threaded parse: 404
--- request
GET /vod/demo/video-720p-9.m4s
--- error_code: 404
--- no_error_log
[error]
