# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: multivariant and media playlists (HLS CMAF, HLS TS) and
# the DASH MPD, read the way a player reads them: the bodies are summarised
# by t/inc/VodTest.pm and compared line by line.

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

=== TEST 1: master.m3u8: HLS v7, one audio group, three CMAF variants
--- request
GET /vod/demo/master.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
Cache-Control: public, max-age=60
!Access-Control-Allow-Origin
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{\AVERSION 7
AUDIO audio-[\w.-]+\.m3u8 DEFAULT=(?:YES|NO)
video-1080p\.m3u8 RESOLUTION=1920x1080 CODECS=avc1\.640028,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=yes
video-360p\.m3u8 RESOLUTION=640x360 CODECS=avc1\.64001e,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=yes
video-720p\.m3u8 RESOLUTION=1280x720 CODECS=avc1\.64001f,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=yes
\z}
--- no_error_log
[error]



=== TEST 2: master.m3u8 raw text: tags a player needs
--- request
GET /vod/demo/master.m3u8
--- response_body_like eval
qr{\A#EXTM3U\n.*^#EXT-X-VERSION:7\n.*^#EXT-X-MEDIA:TYPE=AUDIO,.*GROUP-ID="[^"]+".*^#EXT-X-STREAM-INF:.*AVERAGE-BANDWIDTH=\d+}ms
--- no_error_log
[error]



=== TEST 3: master.m3u8 answers HEAD with the same headers
--- request
HEAD /vod/demo/master.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
--- response_headers_like
Content-Length: [1-9]\d*
--- response_body chomp
--- no_error_log
[error]



=== TEST 4: video media playlist: EXT-X-MAP, two 4 s segments, ENDLIST
--- request
GET /vod/demo/video-1080p.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
Cache-Control: public, max-age=60
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{\AVERSION [67]
TARGETDURATION 4
MAP video-1080p-init\.mp4
4\.0 video-1080p-1\.m4s
4\.0 video-1080p-2\.m4s
ENDLIST
\z}
--- no_error_log
[error]



=== TEST 5: every rendition has its media playlist
--- request
GET /vod/demo/video-360p.m3u8
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{^MAP video-360p-init\.mp4\n4\.0 video-360p-1\.m4s\n4\.0 video-360p-2\.m4s\nENDLIST\n\z}m
--- no_error_log
[error]



=== TEST 6: audio media playlist of an audio-only title
--- request
GET /vod/audio/audio-audio.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{\AVERSION [67]\nTARGETDURATION [45]\nMAP audio-audio-init\.mp4\n(?:[34]\.\d audio-audio-[12]\.m4s\n){2}(?:0\.\d audio-audio-3\.m4s\n)?ENDLIST\n\z}
--- no_error_log
[error]



=== TEST 7: master-ts.m3u8: three TS variants with muxed audio
--- request
GET /vod/demo/master-ts.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
Cache-Control: public, max-age=60
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{\AVERSION \d+
ts-1080p\.m3u8 RESOLUTION=1920x1080 CODECS=avc1\.640028,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=none
ts-360p\.m3u8 RESOLUTION=640x360 CODECS=avc1\.64001e,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=none
ts-720p\.m3u8 RESOLUTION=1280x720 CODECS=avc1\.64001f,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=none
\z}
--- no_error_log
[error]



=== TEST 8: TS media playlist: no EXT-X-MAP, .ts segments, ENDLIST
--- request
GET /vod/demo/ts-720p.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{\AVERSION \d+
TARGETDURATION 4
4\.0 ts-720p-1\.ts
4\.0 ts-720p-2\.ts
ENDLIST
\z}
--- no_error_log
[error]



=== TEST 9: manifest.mpd: static, SegmentTimeline, 3 video + 1 audio
--- request
GET /vod/demo/manifest.mpd
--- response_headers
Content-Type: application/dash+xml
Cache-Control: public, max-age=60
--- response_body_filters eval
[\&VodTest::mpd_summary]
--- response_body_like eval
qr{\AMPD type=static
TIMELINE yes
audio/mp4 - mp4a\.40\.2 init=audio-[\w.-]+-init\.mp4 first=audio-[\w.-]+-1\.m4s segments=[23]
video/mp4 1280x720 avc1\.64001f init=video-720p-init\.mp4 first=video-720p-1\.m4s segments=2
video/mp4 1920x1080 avc1\.640028 init=video-1080p-init\.mp4 first=video-1080p-1\.m4s segments=2
video/mp4 640x360 avc1\.64001e init=video-360p-init\.mp4 first=video-360p-1\.m4s segments=2
\z}
--- no_error_log
[error]



=== TEST 10: manifest.mpd raw text: MPD root, audio AdaptationSet
--- request
GET /vod/demo/manifest.mpd
--- response_body_like eval
qr{<MPD[^>]*\stype="static".*<AdaptationSet[^>]*(?:contentType="audio"|mimeType="audio/mp4").*<SegmentTimeline>}s
--- no_error_log
[error]



=== TEST 11: 29.97 fps title with moov at the end
--- request
GET /vod/ntsc/master.m3u8
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{^video-360p\.m3u8 RESOLUTION=640x360 CODECS=avc1\.64001e,mp4a\.40\.2 FRAME-RATE=29\.970 BW=ok AUDIO=yes$}m
--- no_error_log
[error]



=== TEST 12: video-only title: no audio group, video codec only
--- request
GET /vod/video/master.m3u8
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{\AVERSION 7
video-360p\.m3u8 RESOLUTION=640x360 CODECS=avc1\.64001e FRAME-RATE=25\.000 BW=ok AUDIO=none
\z}
--- no_error_log
[error]



=== TEST 13: title.json names the renditions
--- request
GET /hostile/json/master.m3u8
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{\AVERSION 7
AUDIO audio-sd\.m3u8 DEFAULT=(?:YES|NO)
video-sd\.m3u8 RESOLUTION=640x360 CODECS=avc1\.64001e,mp4a\.40\.2 FRAME-RATE=25\.000 BW=ok AUDIO=yes
\z}
--- no_error_log
[error]



=== TEST 14: title.json ids in the MPD too
--- request
GET /hostile/json/manifest.mpd
--- response_body_filters eval
[\&VodTest::mpd_summary]
--- response_body_like eval
qr{^video/mp4 640x360 avc1\.64001e init=video-sd-init\.mp4 first=video-sd-1\.m4s segments=2$}m
--- no_error_log
[error]



=== TEST 15: vod_segment_duration 2s: four 2 s segments
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_segment_duration 2s;
    }
--- request
GET /vod/demo/video-720p.m3u8
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{\AVERSION [67]
TARGETDURATION 2
MAP video-720p-init\.mp4
2\.0 video-720p-1\.m4s
2\.0 video-720p-2\.m4s
2\.0 video-720p-3\.m4s
2\.0 video-720p-4\.m4s
ENDLIST
\z}
--- no_error_log
[error]



=== TEST 16: vod_segment_duration at server level, cut on keyframes (6 s + 2 s)
--- config
    vod_segment_duration 6s;
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }
--- request
GET /vod/demo/ts-360p.m3u8
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{^TARGETDURATION 6\n6\.0 ts-360p-1\.ts\n2\.0 ts-360p-2\.ts\nENDLIST\n\z}m
--- no_error_log
[error]



=== TEST 17: vod_segment_duration 2s reaches the MPD timeline
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_segment_duration 2s;
    }
--- request
GET /vod/demo/manifest.mpd
--- response_body_filters eval
[\&VodTest::mpd_summary]
--- response_body_like eval
qr{^video/mp4 1920x1080 avc1\.640028 init=video-1080p-init\.mp4 first=video-1080p-1\.m4s segments=4$}m
--- no_error_log
[error]



=== TEST 18: vod_playlist_cache_control
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_playlist_cache_control "no-cache";
    }
--- request
GET /vod/demo/manifest.mpd
--- response_headers
Cache-Control: no-cache
--- no_error_log
[error]



=== TEST 19: works without vod_index_cache
--- http_config
--- request
GET /vod/demo/master.m3u8
--- response_body_filters eval
[\&VodTest::hls_variants]
--- response_body_like eval
qr{^video-1080p\.m3u8 RESOLUTION=1920x1080 }m
--- no_error_log
[error]



=== TEST 20: vod_package_segment_duration, the name Kaltura's module leaves free, sets the same
--- config
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_package_segment_duration 2s;
    }
--- request
GET /vod/demo/video-720p.m3u8
--- response_body_filters eval
[\&VodTest::hls_media]
--- response_body_like eval
qr{\AVERSION [67]
TARGETDURATION 2
MAP video-720p-init\.mp4
2\.0 video-720p-1\.m4s
2\.0 video-720p-2\.m4s
2\.0 video-720p-3\.m4s
2\.0 video-720p-4\.m4s
ENDLIST
\z}
--- no_error_log
[error]
