# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: subscription tiers.  An edge with tokens, tiers and
# proxy_cache in front of the real origin, serving the test "demo" title
# (1080p at about 4.2 Mbit/s, 720p at 2.1, 360p at 0.6, one audio
# track).  Manifests go to the origin with the tier's ceiling and are
# cached per ceiling; everything else is cached once, by path, and
# refused by the edge's filter when above the viewer's tier.  Blocks that
# share a config share one nginx and run in order, so a premium viewer
# fills the cache before a basic one asks for the same object.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use Test::Nginx::Socket 'no_plan';

our (%Tok, $NoTier, $Free);

BEGIN {
    VodTest::media();
    PbTest::setup();
    for my $t (qw(basic standard premium gold mid tiny)) {
        $Tok{$t} = PbTest::token(path => '/vod/', tier => $t);
    }
    $NoTier = PbTest::token(path => '/vod/');
    $Free = PbTest::token(path => '/free/', tier => 'basic');
}

repeat_each(1);
no_shuffle();
log_level('info');

our $Origin = <<'_EOC_';
    proxy_cache_path $TEST_NGINX_PB_DIR/cache levels=1:2 keys_zone=edge:1m;

    server {
        listen 127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        location /vod/ {
            alias $TEST_NGINX_MEDIA/;
            vod_package;
        }
    }
_EOC_

our $Config = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix;
    playback_tiers on;

    # manifests: listed for the tier's ceiling, cached per ceiling
    location ~ ^/vod/[^/]+/(master(-ts)?\.m3u8|manifest\.mpd)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        proxy_set_header X-Vod-Max-Height $playback_tier_max_height;
        proxy_set_header X-Vod-Max-Bitrate $playback_tier_max_bitrate;
        proxy_cache edge;
        proxy_cache_key "$uri|$playback_tier_max_height|$playback_tier_max_bitrate";
        add_header X-Cache $upstream_cache_status always;
    }

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        proxy_cache edge;
        proxy_cache_key $uri;
        add_header X-Cache $upstream_cache_status always;
        add_header X-Tier "$playback_tier|$playback_tier_max_height|$playback_tier_max_bitrate|$playback_tier_streams" always;
    }

    location /free/ {
        playback_tiers off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/;
        proxy_cache edge;
        proxy_cache_key /vod/$uri;
        add_header X-Cache $upstream_cache_status always;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $Origin)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
});

sub variants { my @v = $_[0] =~ /^#EXT-X-STREAM-INF:.*\n(\S+)/mg; join ' ', @v }
sub reps { my @r = $_[0] =~ /<Representation id="([^"]+)"/g; join ' ', @r }

run_tests();

__DATA__

=== TEST 1: premium sees every rendition (HLS CMAF)
--- request eval
"GET /t/$main::Tok{premium}/vod/demo/master.m3u8"
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-1080p.m3u8 video-720p.m3u8 video-360p.m3u8



=== TEST 2: basic (480p, 2.5 Mbit/s) sees 360p only, audio group kept
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/master.m3u8"
--- response_headers
X-Cache: MISS
--- response_body_like chomp
(?s)^#EXTM3U\n.*#EXT-X-MEDIA:TYPE=AUDIO[^\n]*URI="audio-1080p\.m3u8".*\nvideo-360p\.m3u8\n$
--- response_body_unlike
video-(1080|720)p



=== TEST 3: manifests are cached per ceiling: basic again is a HIT
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/master.m3u8"
--- response_headers
X-Cache: HIT
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-360p.m3u8



=== TEST 4: ... and premium still gets its own copy
--- request eval
"GET /t/$main::Tok{premium}/vod/demo/master.m3u8"
--- response_headers
X-Cache: HIT
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-1080p.m3u8 video-720p.m3u8 video-360p.m3u8



=== TEST 5: HLS TS: standard (1080p, 8 Mbit/s) sees all three
--- request eval
"GET /t/$main::Tok{standard}/vod/demo/master-ts.m3u8"
--- response_body_filters eval
\&main::variants
--- response_body chomp
ts-1080p.m3u8 ts-720p.m3u8 ts-360p.m3u8



=== TEST 6: HLS TS: basic sees 360p only
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/master-ts.m3u8"
--- response_body_filters eval
\&main::variants
--- response_body chomp
ts-360p.m3u8



=== TEST 7: DASH: basic sees the 360p video and the audio
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/manifest.mpd"
--- response_body_filters eval
\&main::reps
--- response_body chomp
video-360p audio-1080p



=== TEST 8: DASH: premium sees all
--- request eval
"GET /t/$main::Tok{premium}/vod/demo/manifest.mpd"
--- response_body_filters eval
\&main::reps
--- response_body chomp
video-1080p video-720p video-360p audio-1080p



=== TEST 9: premium fetches a 1080p segment: cached; tier variables
--- request eval
"GET /t/$main::Tok{premium}/vod/demo/video-1080p-1.m4s"
--- response_headers
X-Cache: MISS
Content-Type: video/mp4
X-Tier: premium|2160|25000000|4
!X-Vod-Rendition



=== TEST 10: basic asks for the cached 1080p segment: 403, from the cache
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/video-1080p-1.m4s"
--- error_code: 403
--- response_headers
X-Cache: HIT
Content-Type: application/json
Cache-Control: no-store
X-Tier: basic|480|2500000|1
!X-Vod-Rendition
!ETag
!Last-Modified
--- response_body
{"error":"forbidden","reason":"tier","tier":"basic"}
--- error_log
playback tier refused: tier "basic" allows 480 lines at 2500000 bit/s, the rendition has 1080 at



=== TEST 11: basic, a 720p segment not cached yet: 403 too
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/video-720p-2.m4s"
--- error_code: 403
--- response_headers
X-Cache: MISS
--- response_body
{"error":"forbidden","reason":"tier","tier":"basic"}



=== TEST 12: ... which the cache kept for the tiers that may play it
--- request eval
"GET /t/$main::Tok{standard}/vod/demo/video-720p-2.m4s"
--- response_headers
X-Cache: HIT
Content-Type: video/mp4



=== TEST 13: basic: a 720p media playlist is refused
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/video-720p.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"tier","tier":"basic"}



=== TEST 14: basic: a 1080p init segment is refused
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/video-1080p-init.mp4"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"tier","tier":"basic"}



=== TEST 15: basic: a 1080p TS playlist and segment are refused
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/ts-1080p-1.ts"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"tier","tier":"basic"}



=== TEST 16: basic: HEAD of a refused segment is a 403 without a body
--- request eval
"HEAD /t/$main::Tok{basic}/vod/demo/video-1080p-1.m4s"
--- error_code: 403
--- response_headers
Content-Length: 53
--- response_body



=== TEST 17: basic: a Range request for a refused segment is a 403
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/video-1080p-1.m4s"
--- more_headers
Range: bytes=0-99
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"tier","tier":"basic"}



=== TEST 18: basic: 360p plays, without the rendition header
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/video-360p-1.m4s"
--- response_headers
Content-Type: video/mp4
!X-Vod-Rendition



=== TEST 19: basic: 360p TS with its muxed audio plays
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/ts-360p.m3u8"
--- response_body_like
^#EXTM3U



=== TEST 20: basic: the audio rendition of the 1080p file plays (audio is
never above a tier)
--- request eval
"GET /t/$main::Tok{basic}/vod/demo/audio-1080p-1.m4s"
--- response_headers
Content-Type: audio/mp4



=== TEST 21: a tier the edge does not know: 403 unknown-tier
--- request eval
"GET /t/$main::Tok{gold}/vod/demo/video-360p-1.m4s"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"unknown-tier"}
--- error_log
playback tier refused: unknown-tier (tier "gold" is not configured)



=== TEST 22: a token without a tier: 403 unknown-tier
--- request eval
"GET /t/$main::NoTier/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"unknown-tier"}



=== TEST 23: where playback_tiers is off, basic may fetch 1080p
--- request eval
"GET /t/$main::Free/free/demo/video-1080p-1.m4s"
--- response_headers
Content-Type: video/mp4
!X-Vod-Rendition



=== TEST 24: configured tiers replace the defaults; a bit-rate ceiling
--- http_config eval
$main::Origin . <<'_EOC_';
    playback_tier mid max_height=1080 max_bitrate=3m streams=2;
    playback_tier tiny max_height=240 max_bitrate=500k streams=1;
_EOC_
--- request eval
"GET /t/$main::Tok{mid}/vod/demo/master.m3u8"
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-720p.m3u8 video-360p.m3u8



=== TEST 25: mid: 1080p (1080 lines, but over 3 Mbit/s) is refused
--- http_config eval
$main::Origin . <<'_EOC_';
    playback_tier mid max_height=1080 max_bitrate=3m streams=2;
    playback_tier tiny max_height=240 max_bitrate=500k streams=1;
_EOC_
--- request eval
"GET /t/$main::Tok{mid}/vod/demo/video-1080p-2.m4s"
--- error_code: 403
--- response_headers
X-Tier: mid|1080|3000000|2
--- response_body
{"error":"forbidden","reason":"tier","tier":"mid"}



=== TEST 26: tiny: no rendition of the title fits: the origin says 403
--- http_config eval
$main::Origin . <<'_EOC_';
    playback_tier mid max_height=1080 max_bitrate=3m streams=2;
    playback_tier tiny max_height=240 max_bitrate=500k streams=1;
_EOC_
--- request eval
"GET /t/$main::Tok{tiny}/vod/demo/manifest.mpd"
--- error_code: 403
--- error_log
vod_package: no rendition of



=== TEST 27: the defaults are gone once tiers are configured
--- http_config eval
$main::Origin . <<'_EOC_';
    playback_tier mid max_height=1080 max_bitrate=3m streams=2;
    playback_tier tiny max_height=240 max_bitrate=500k streams=1;
_EOC_
--- request eval
"GET /t/$main::Tok{premium}/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"unknown-tier"}
