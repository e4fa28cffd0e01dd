# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: init segments, CMAF media segments and MPEG-TS segments:
# content types, the box or packet structure a player parses, validators,
# HEAD and byte ranges.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { VodTest::make_titles() }

repeat_each(2);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    vod_index_cache vod_index:16m;
_EOC_

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }
    location /hostile/ {
        alias $TEST_NGINX_HOSTILE/;
        vod_package;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: video init segment: ftyp + moov with mvex, a video track
--- request
GET /vod/demo/video-1080p-init.mp4
--- response_headers
Content-Type: video/mp4
Cache-Control: public, max-age=31536000, immutable
--- response_headers_like
Content-Length: [1-9]\d*
ETag: (W/)?"[^"]+"
Last-Modified: \w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d GMT
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{\Aftyp\nmoov\n(?:.*\n)*moov/mvex\n(?:.*\n)*}
--- no_error_log
[error]



=== TEST 2: video init segment carries exactly one track, a video one
--- request
GET /vod/demo/video-720p-init.mp4
--- response_body_filters eval
[\&VodTest::mp4_tracks]
--- response_body
ftyp
moov/trak
moov/trak/mdia/hdlr vide
--- no_error_log
[error]



=== TEST 3: audio init segment: audio/mp4, one sound track
--- request
GET /vod/audio/audio-audio-init.mp4
--- response_headers
Content-Type: audio/mp4
Cache-Control: public, max-age=31536000, immutable
--- response_body_filters eval
[\&VodTest::mp4_tracks]
--- response_body
ftyp
moov/trak
moov/trak/mdia/hdlr soun
--- no_error_log
[error]



=== TEST 4: first CMAF video segment: moof (tfdt 0) + mdat
--- request
GET /vod/demo/video-1080p-1.m4s
--- response_headers
Content-Type: video/mp4
Cache-Control: public, max-age=31536000, immutable
--- response_headers_like
Content-Length: [1-9]\d*
ETag: (W/)?"[^"]+"
Last-Modified: .* GMT
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{\A(?:styp\n)?(?:sidx\n)*moof\nmoof/mfhd \d+\nmoof/traf\n(?:moof/traf/\w+\n)*?moof/traf/tfdt 0\n(?:moof/traf/\w+\n)*mdat\n\z}
--- no_error_log
[error]



=== TEST 5: second CMAF video segment starts later (tfdt > 0)
--- request
GET /vod/demo/video-1080p-2.m4s
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{^moof/mfhd \d+\n(?:.*\n)*moof/traf/tfdt [1-9]\d*\n(?:.*\n)*mdat\n\z}m
--- no_error_log
[error]



=== TEST 6: the last segment of the title exists
--- request
GET /vod/demo/video-360p-2.m4s
--- response_headers
Content-Type: video/mp4
--- no_error_log
[error]



=== TEST 7: CMAF audio segment: audio/mp4
--- request
GET /vod/audio/audio-audio-1.m4s
--- response_headers
Content-Type: audio/mp4
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{^moof\n(?:.*\n)*mdat\n\z}m
--- no_error_log
[error]



=== TEST 8: audio rendition of a title.json title
--- request
GET /hostile/json/audio-sd-1.m4s
--- response_headers
Content-Type: audio/mp4
--- no_error_log
[error]



=== TEST 9: MPEG-TS segment: video/mp2t, 188-byte packets, PAT first, H.264 + AAC
--- request
GET /vod/demo/ts-1080p-1.ts
--- response_headers
Content-Type: video/mp2t
Cache-Control: public, max-age=31536000, immutable
--- response_headers_like
Content-Length: [1-9]\d*
ETag: (W/)?"[^"]+"
Last-Modified: .* GMT
--- response_body_filters eval
[\&VodTest::ts_summary]
--- response_body_like eval
qr{\Apackets \d+\nsync ok\nfirst pid 0\nstreams 0x0f 0x1b\n\z}
--- no_error_log
[error]



=== TEST 10: MPEG-TS segment of a video-only title has no audio stream
--- request
GET /vod/video/ts-360p-2.ts
--- response_body_filters eval
[\&VodTest::ts_summary]
--- response_body_like eval
qr{^sync ok\nfirst pid 0\nstreams 0x1b\n\z}m
--- no_error_log
[error]



=== TEST 11: HEAD of a segment: headers, no body
--- request
HEAD /vod/demo/video-720p-2.m4s
--- response_headers
Content-Type: video/mp4
--- response_headers_like
Content-Length: [1-9]\d*
ETag: (W/)?"[^"]+"
--- response_body chomp
--- no_error_log
[error]



=== TEST 12: Range request on an init segment: 206 with Content-Range
--- request
GET /vod/demo/video-1080p-init.mp4
--- more_headers
Range: bytes=0-7
--- error_code: 206
--- response_headers
Content-Type: video/mp4
Content-Length: 8
--- response_headers_like
Content-Range: bytes 0-7/[1-9]\d*
--- response_body_like eval
qr{\A\x00\x00\x00[\x00-\xff]ftyp\z}
--- no_error_log
[error]



=== TEST 13: Range request inside a media segment
--- request
GET /vod/demo/ts-360p-1.ts
--- more_headers
Range: bytes=188-375
--- error_code: 206
--- response_headers
Content-Length: 188
--- response_headers_like
Content-Range: bytes 188-375/[1-9]\d*
--- response_body_like eval
qr{\A\x47}
--- no_error_log
[error]



=== TEST 14: suffix Range on a CMAF segment
--- request
GET /vod/demo/video-360p-1.m4s
--- more_headers
Range: bytes=-100
--- error_code: 206
--- response_headers
Content-Length: 100
--- response_headers_like
Content-Range: bytes \d+-\d+/[1-9]\d*
--- no_error_log
[error]



=== TEST 15: Range beyond the end: 416
--- request
GET /vod/demo/video-1080p-1.m4s
--- more_headers
Range: bytes=900000000-900000100
--- error_code: 416
--- response_headers_like
Content-Range: bytes \*/[1-9]\d*
--- no_error_log
[error]



=== TEST 16: vod_segment_cache_control
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_segment_cache_control "private, max-age=5";
    }
--- request
GET /vod/demo/ts-360p-1.ts
--- response_headers
Content-Type: video/mp2t
Cache-Control: private, max-age=5
--- no_error_log
[error]



=== TEST 17: segments of a 2 s configuration
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_segment_duration 2s;
    }
--- request
GET /vod/demo/video-360p-4.m4s
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{^moof/traf/tfdt [1-9]\d*$}m
--- no_error_log
[error]
