# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the per-worker cache of verified tokens.  A token
# that verified is taken from the cache on its next request; these blocks
# check that the cache never lets through what a full verification would
# refuse: a token that expired since, a location with other keys, a
# tampered copy.  One worker, one nginx for every block, in order.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use Test::Nginx::Socket 'no_plan';

our ($Short, $Long, $Tampered);

BEGIN {
    VodTest::media();
    PbTest::setup();
    $Short = PbTest::token(path => '/vod/', ttl => 3);
    $Long = PbTest::token(path => '/vod/', ttl => 3600, sub => 'acct-7',
                          tier => 'standard', sid => 's-7');
    # the same claims, another signature: the last character changed
    ($Tampered = $Long) =~ s/(.)$/$1 eq 'A' ? 'B' : 'A'/e;
}

repeat_each(1);
no_shuffle();

our $HttpConfig = <<'_EOC_';
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
    playback_token_leeway 0;

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        add_header X-Playback "$playback_token_status|$playback_account|$playback_tier|$playback_session";
    }

    # the same paths under another key set: k1 is not one of its keys
    location /other/ {
        playback_token_key k2 $TEST_NGINX_PB_DIR/k2.key;
        playback_token_sources query=token;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/;
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

=== TEST 1: a token valid for 3 s verifies (and is cached); 4 s pass
--- request eval
"GET /t/$main::Short/vod/demo/master.m3u8"
--- response_body_like
^#EXTM3U
--- wait: 4



=== TEST 2: the cached token has expired since: refused as expired
--- request eval
"GET /t/$main::Short/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"expired"}
--- error_log
playback token refused: expired (exp passed)



=== TEST 3: a long-lived token, first request: claims as variables
--- request eval
"GET /t/$main::Long/vod/demo/master.m3u8"
--- response_headers
X-Playback: OK|acct-7|standard|s-7



=== TEST 4: second request, from the cache: the same claims
--- request eval
"GET /t/$main::Long/vod/demo/video-360p.m3u8"
--- response_headers
X-Playback: OK|acct-7|standard|s-7



=== TEST 5: the cached token in a location with other keys: unknown-kid
--- request eval
"GET /other/demo/master.m3u8?token=$main::Long"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"unknown-kid"}



=== TEST 6: a copy with another signature is not the cached token
--- request eval
"GET /t/$main::Tampered/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}



=== TEST 7: the path claim is checked on every request, cached or not
--- request eval
"GET /t/" . PbTest::token(path => '/vod/demo/', ttl => 600) . "/vod/demo/master.m3u8"
--- response_body_like
^#EXTM3U
