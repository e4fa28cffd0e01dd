# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package with vod_content_steering: the multivariant playlist
# carries #EXT-X-CONTENT-STEERING and PATHWAY-ID on every variant, the MPD
# a BaseURL@serviceLocation and a ContentSteering element; a URI ending
# in '/' gets the title and the format appended.  Without the directive
# (or with "off") the output has none of it.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { VodTest::media() }

repeat_each(1);
no_shuffle();
log_level('info');

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_content_steering http://127.0.0.1:8082/steer/;
    }

    location /cdn/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_content_steering "https://steer.example/s?t=$arg_t&a=b" pathway=cdn-a;
    }

    location /plain/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }

    location /off/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_content_steering off;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: CMAF multivariant playlist: the tag after the header, PATHWAY-ID on every variant
--- request
GET /vod/demo/master.m3u8
--- response_body_like eval
qr{\A#EXTM3U
#EXT-X-VERSION:7
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-CONTENT-STEERING:SERVER-URI="http://127.0.0.1:8082/steer/demo/hls",PATHWAY-ID="origin"
(?:#EXT-X-MEDIA:[^\n]*\n)?(?:#EXT-X-STREAM-INF:[^\n]*,PATHWAY-ID="origin"\nvideo-[^\n]+\.m3u8\n)+\z}



=== TEST 2: MPEG-TS multivariant playlist
--- request
GET /vod/demo/master-ts.m3u8
--- response_body_like eval
qr{\A#EXTM3U
#EXT-X-VERSION:3
#EXT-X-INDEPENDENT-SEGMENTS
#EXT-X-CONTENT-STEERING:SERVER-URI="http://127.0.0.1:8082/steer/demo/hls",PATHWAY-ID="origin"
(?:#EXT-X-STREAM-INF:[^\n]*,PATHWAY-ID="origin"\nts-[^\n]+\.m3u8\n)+\z}



=== TEST 3: MPD: BaseURL with serviceLocation and ContentSteering before the Period
--- request
GET /vod/demo/manifest.mpd
--- response_body_like eval
qr{<MPD [^\n]*>
  <BaseURL serviceLocation="origin">\./</BaseURL>
  <ContentSteering defaultServiceLocation="origin" queryBeforeStart="true">http://127\.0\.0\.1:8082/steer/demo/dash</ContentSteering>
  <Period }



=== TEST 4: a URI with variables is taken as it is; a Pathway of one's own; XML escaping
--- request
GET /cdn/demo/manifest.mpd?t=x
--- response_body_like eval
qr{  <BaseURL serviceLocation="cdn-a">\./</BaseURL>
  <ContentSteering defaultServiceLocation="cdn-a" queryBeforeStart="true">https://steer\.example/s\?t=x&amp;a=b</ContentSteering>
}



=== TEST 5: (same) HLS
--- request
GET /cdn/demo/master.m3u8?t=x
--- response_body_like eval
qr{#EXT-X-CONTENT-STEERING:SERVER-URI="https://steer\.example/s\?t=x&a=b",PATHWAY-ID="cdn-a"\n.*PATHWAY-ID="cdn-a"\n}s



=== TEST 6: arguments stay percent-encoded: no quote gets into the playlist
--- request
GET /cdn/demo/master.m3u8?t=%22
--- response_body_like eval
qr{#EXT-X-CONTENT-STEERING:SERVER-URI="https://steer\.example/s\?t=%22&a=b",PATHWAY-ID="cdn-a"\n}



=== TEST 7: without the directive: no steering
--- request
GET /plain/demo/master.m3u8
--- response_body_unlike
(?:STEERING|PATHWAY)



=== TEST 8: "off": no steering in the MPD either
--- request
GET /off/demo/manifest.mpd
--- response_body_unlike
(?:ContentSteering|BaseURL)
