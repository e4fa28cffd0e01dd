# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: unknown titles, renditions and segments (404), malformed
# names (400), hostile or unsupported media (502, 415), a malformed
# title.json (5xx), and the CORS header.  Every failure is one error-log
# line at most, never a crash.

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
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: unknown title: 404
--- request
GET /vod/nosuch/master.m3u8
--- error_code: 404



=== TEST 2: unknown title, DASH: 404
--- request
GET /vod/nosuch/manifest.mpd
--- error_code: 404



=== TEST 3: unknown rendition playlist: 404
--- request
GET /vod/demo/video-4k.m3u8
--- error_code: 404



=== TEST 4: unknown rendition segment: 404
--- request
GET /vod/demo/video-4k-1.m4s
--- error_code: 404



=== TEST 5: unknown rendition init: 404
--- request
GET /vod/demo/video-4k-init.mp4
--- error_code: 404



=== TEST 6: unknown TS rendition: 404
--- request
GET /vod/demo/ts-4k-1.ts
--- error_code: 404



=== TEST 7: CMAF segment beyond the last: 404
--- request
GET /vod/demo/video-1080p-3.m4s
--- error_code: 404



=== TEST 8: TS segment beyond the last: 404
--- request
GET /vod/demo/ts-1080p-3.ts
--- error_code: 404



=== TEST 9: audio segment far beyond the last: 404
--- request
GET /vod/audio/audio-audio-99999.m4s
--- error_code: 404



=== TEST 10: file stem is not an id when title.json names the renditions
--- request
GET /hostile/json/video-360p.m3u8
--- error_code: 404



=== TEST 11: a name that is none of ours: 404
--- request
GET /vod/demo/readme.txt
--- error_code: 404



=== TEST 12: segment number 0: 400
--- request
GET /vod/demo/video-1080p-0.m4s
--- error_code: 400



=== TEST 13: segment number with a leading zero: 400
--- request
GET /vod/demo/video-1080p-01.m4s
--- error_code: 400



=== TEST 14: TS has no init segment: 400
--- request
GET /vod/demo/ts-1080p-init.mp4
--- error_code: 400



=== TEST 15: CMAF stream with a .ts extension: 400
--- request
GET /vod/demo/video-1080p-1.ts
--- error_code: 400



=== TEST 16: segment number overflow: 400
--- request
GET /vod/demo/video-1080p-99999999999999999999.m4s
--- error_code: 400



=== TEST 17: truncated moov: 502, one error line naming the file
--- request
GET /hostile/trunc/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*trunc/360p\.mp4}
--- grep_error_log: [error]
--- grep_error_log_out
[error]
--- no_error_log
[alert]
[crit]



=== TEST 18: truncated moov, segment request: 502
--- request
GET /hostile/trunc/video-360p-1.m4s
--- error_code: 502
--- error_log eval
qr{\[error\].*trunc/360p\.mp4}
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 19: empty file: 502, one error line naming the file
--- request
GET /hostile/empty/manifest.mpd
--- error_code: 502
--- error_log eval
qr{\[error\].*empty/360p\.mp4}
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 20: garbage file: 502, one error line naming the file
--- request
GET /hostile/garbage/master-ts.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*garbage/360p\.mp4}
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 21: garbage file, TS segment: 502
--- request
GET /hostile/garbage/ts-360p-1.ts
--- error_code: 502
--- error_log eval
qr{\[error\].*garbage/360p\.mp4}



=== TEST 22: one bad rendition among good ones: 502 naming the bad one
--- request
GET /hostile/mixed/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*mixed/720p\.mp4}
--- grep_error_log: [error]
--- grep_error_log_out
[error]



=== TEST 23: MPEG-4 part 2 video only: 415
--- request
GET /hostile/mpeg4/master.m3u8
--- error_code: 415



=== TEST 24: MPEG-4 part 2 video only, segment: 415
--- request
GET /hostile/mpeg4/video-360p-1.m4s
--- error_code: 415



=== TEST 25: MPEG-4 part 2 video only, TS segment: 415
--- request
GET /hostile/mpeg4/ts-360p-1.ts
--- error_code: 415



=== TEST 26: malformed title.json: 500 with an error line naming it
--- request
GET /hostile/badjson/master.m3u8
--- error_code: 500
--- error_log eval
qr{\[error\].*title\.json}



=== TEST 26b: title.json with a member it does not know: 500, named
(here "lang" in a subtitle, whose member is "language")
--- request
GET /hostile/jsonextra/master.m3u8
--- error_code: 500
--- error_log eval
qr{\[error\].*title\.json: unknown member "lang" at byte \d+}



=== TEST 26c: the same for a segment of it
--- request
GET /hostile/jsonextra/video-sd-1.m4s
--- error_code: 500
--- error_log eval
qr{\[error\].*title\.json: unknown member "lang"}



=== TEST 27: vod_max_moov_size smaller than the moov: 502, logged
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_max_moov_size 1k;
    }
--- request
GET /vod/demo/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*\.mp4}



=== TEST 28: CORS off by default
--- request
GET /vod/demo/master.m3u8
--- response_headers
!Access-Control-Allow-Origin
--- no_error_log
[error]



=== TEST 29: vod_cors_origin *: on playlists
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_cors_origin *;
    }
--- request
GET /vod/demo/master.m3u8
--- response_headers
Access-Control-Allow-Origin: *
--- no_error_log
[error]



=== TEST 30: vod_cors_origin *: on segments
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_cors_origin *;
    }
--- request
GET /vod/demo/video-360p-1.m4s
--- response_headers
Access-Control-Allow-Origin: *
Content-Type: video/mp4
--- no_error_log
[error]



=== TEST 31: a title of a .mov alone (no title.json): 404, one info line
that says why
--- request
GET /hostile/mov/master.m3u8
--- error_code: 404
--- error_log eval
qr{\[info\].*mov" has no rendition: no \*\.mp4 in it and no title\.json naming other files}
--- no_error_log
[error]



=== TEST 32: vod_cors_origin with one origin
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_cors_origin https://player.example.com;
    }
--- request
GET /vod/demo/video-360p.m3u8
--- response_headers
Access-Control-Allow-Origin: https://player.example.com
--- no_error_log
[error]



=== TEST 33: vod_cors_origin off explicitly
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_cors_origin off;
    }
--- request
GET /vod/demo/manifest.mpd
--- response_headers
!Access-Control-Allow-Origin
--- no_error_log
[error]



=== TEST 34: the worker survives all of the above
--- request
GET /vod/demo/master.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
--- no_error_log
[error]
[alert]
