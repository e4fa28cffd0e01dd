# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: signed URLs.  An edge server (this block's config)
# with proxy_cache in front of the real origin module (a second server in
# http_config), every refusal reason, the three token sources, key
# rotation, and the cache key without the token.  All blocks share one
# config, so one nginx serves them in order and the cache persists from
# block to block.  Tokens come from bin/vodedge-token, or from python3's
# hmac for the ones it would not make.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { VodTest::media(); PbTest::setup() }

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    proxy_cache_path $TEST_NGINX_PB_DIR/cache levels=1:2 keys_zone=edge:1m;

    # client addresses as a real edge behind a load balancer gets them
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    # the origin
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
    playback_token_key k2 $TEST_NGINX_PB_DIR/k2.key;
    playback_token_sources prefix query=token cookie=pbt;

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        proxy_cache edge;
        proxy_cache_key $uri;
        add_header X-Cache $upstream_cache_status;
        add_header X-Playback "$playback_token_status|$playback_account|$playback_tier|$playback_session";
    }

    location /strict/ {
        playback_token_leeway 0;
        playback_token_sources query=token;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/;
    }

    location /short/ {
        playback_token_max_length 64;
        playback_token_sources query=token;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/;
    }

    location = /health {
        playback_token off;
        return 200 "ok\n";
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

=== TEST 1: master playlist through the prefix: relative children, variables
--- request eval
"GET /t/" . PbTest::token(sub => 'acct-1', tier => 'basic', sid => 's-1')
. "/vod/demo/master.m3u8"
--- response_headers
X-Playback: OK|acct-1|basic|s-1
--- response_body_like eval
qr{\A#EXTM3U\n(?:(?!/t/|https?:).*\n)*?video-360p\.m3u8\n}s



=== TEST 2: a child media playlist carries the token the same way
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/video-360p.m3u8"
--- response_body_like eval
qr{^#EXTINF:.*\nvideo-360p-1\.m4s$}m



=== TEST 3: first subscriber: a segment is a cache MISS
--- request eval
"GET /t/" . PbTest::token(sub => 'acct-1') . "/vod/demo/video-360p-1.m4s"
--- response_headers
X-Cache: MISS
Content-Type: video/mp4



=== TEST 4: second subscriber, another token: the same segment is a HIT
--- request eval
"GET /t/" . PbTest::token(sub => 'acct-2', sid => 'other')
. "/vod/demo/video-360p-1.m4s"
--- response_headers
X-Cache: HIT
X-Playback: OK|acct-2||other



=== TEST 5: query source, same cache entry
--- request eval
"GET /vod/demo/video-360p-1.m4s?token=" . PbTest::token(sub => 'acct-3')
--- response_headers
X-Cache: HIT
X-Playback: OK|acct-3||



=== TEST 6: cookie source
--- request
GET /vod/demo/video-360p-1.m4s
--- more_headers eval
"Cookie: a=b; pbt=" . PbTest::token(tier => 'premium') . "; c=d"
--- response_headers
X-Cache: HIT
X-Playback: OK||premium|



=== TEST 7: missing: no token anywhere
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body
{"error":"forbidden","reason":"missing"}
--- error_log
playback token refused: missing



=== TEST 8: missing: an empty query argument
--- request
GET /vod/demo/master.m3u8?token=
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 9: malformed: not a JWS
--- request
GET /t/abc/vod/demo/master.m3u8
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"malformed"}
--- error_log
playback token refused: malformed



=== TEST 10: malformed: over the maximum length, refused before parsing
--- request eval
"GET /t/" . ("A" x 3000) . "." . ("A" x 2000) . ".x/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"malformed"}
--- error_log
playback token refused: malformed (token too long)



=== TEST 11: malformed: playback_token_max_length 64 refuses a real token
--- request eval
"GET /short/demo/master.m3u8?token=" . PbTest::token(path => '/short/')
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"malformed"}



=== TEST 12: malformed: no exp
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS256","kid":"k1"}',
                          '{"path":"/vod/demo/"}') . "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"malformed"}
--- error_log
playback token refused: malformed (no exp)



=== TEST 13: bad-signature: signed with k2's key under kid k1
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS256","kid":"k1"}',
                          '{"exp":NOW+600,"path":"/vod/demo/"}', 'k2')
. "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}
--- error_log
playback token refused: bad-signature (signature mismatch)



=== TEST 14: bad-signature: one character of the signature changed
--- request eval
my $t = PbTest::token();
$t =~ s/(.)$/$1 eq 'A' ? 'B' : 'A'/e;
"GET /t/$t/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}



=== TEST 15: bad-signature: a claim changed after signing
--- request eval
my ($h, $p, $s) = split /\./, PbTest::token(path => '/vod/demo/');
my $other = PbTest::token(path => '/vod/hevc/');
my $p2 = (split /\./, $other)[1];
"GET /t/$h.$p2.$s/vod/hevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}



=== TEST 16: bad-signature: alg none, no signature
--- request eval
"GET /t/" . PbTest::craft('{"alg":"none","kid":"k1"}',
                          '{"exp":NOW+600,"path":"/vod/demo/"}', 'k1', '')
. "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}
--- error_log
playback token refused: bad-signature (alg is not HS256)



=== TEST 17: bad-signature: alg HS512
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS512","kid":"k1"}',
                          '{"exp":NOW+600,"path":"/vod/demo/"}')
. "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}



=== TEST 18: unknown-kid: a kid not configured
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS256","kid":"k9"}',
                          '{"exp":NOW+600,"path":"/vod/demo/"}')
. "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"unknown-kid"}
--- error_log
playback token refused: unknown-kid (kid not configured), source prefix, kid "k9"



=== TEST 19: unknown-kid: no kid
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS256","typ":"JWT"}',
                          '{"exp":NOW+600,"path":"/vod/demo/"}')
. "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"unknown-kid"}
--- error_log
playback token refused: unknown-kid (no kid)



=== TEST 20: key rotation: a token of the second key
--- request eval
"GET /t/" . PbTest::token(kid => 'k2', sub => 'rotated')
. "/vod/demo/master.m3u8"
--- response_headers
X-Playback: OK|rotated||



=== TEST 21: expired
--- request eval
"GET /t/" . PbTest::token(ttl => -100) . "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"expired"}
--- error_log
playback token refused: expired



=== TEST 22: expired 20 s ago: within the default 30 s leeway
--- request eval
"GET /t/" . PbTest::token(ttl => -20) . "/vod/demo/master.m3u8"
--- response_body_like
^#EXTM3U



=== TEST 23: expired 40 s ago: past the leeway
--- request eval
"GET /t/" . PbTest::token(ttl => -40) . "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"expired"}



=== TEST 24: playback_token_leeway 0: expired 5 s ago is expired
--- request eval
"GET /strict/demo/master.m3u8?token="
. PbTest::token(path => '/strict/demo/', ttl => -5)
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"expired"}



=== TEST 25: playback_token_leeway 0: a valid token passes
--- request eval
"GET /strict/demo/master.m3u8?token=" . PbTest::token(path => '/strict/demo/')
--- response_body_like
^#EXTM3U



=== TEST 26: not-yet-valid
--- request eval
"GET /t/" . PbTest::token(nbf => 100) . "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"not-yet-valid"}
--- error_log
playback token refused: not-yet-valid



=== TEST 27: nbf 20 s ahead: within the leeway
--- request eval
"GET /t/" . PbTest::token(nbf => 20) . "/vod/demo/master.m3u8"
--- response_body_like
^#EXTM3U



=== TEST 28: wrong-path: another title
--- request eval
"GET /t/" . PbTest::token(path => '/vod/demo/') . "/vod/hevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}
--- error_log
playback token refused: wrong-path



=== TEST 29: wrong-path: a title whose name starts with the granted one
--- request eval
"GET /t/" . PbTest::token(path => '/vod/dem') . "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 30: wrong-path: ../ out of the granted title
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/../hevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 31: ../ past the token itself: nginx resolves the token out of
the path it routes, so the request has no token (the path checked is
nginx's, never a second reading of the request line)
--- request eval
"GET /t/" . PbTest::token() . "/../../vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 32: wrong-path: %2e%2e
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/%2e%2e/hevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 33: wrong-path: an encoded slash
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo%2f..%2fhevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 34: wrong-path: an encoded backslash
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/..%5chevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 35: an encoded NUL: nginx refuses the request line itself (400)
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/master.m3u8%00.txt"
--- error_code: 400



=== TEST 36: wrong-path: ../ with a query token
--- request eval
"GET /vod/demo/../hevc/master.m3u8?token=" . PbTest::token()
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 37: doubled slashes collapse and stay under the claim
--- request eval
"GET /t/" . PbTest::token() . "//vod//demo///video-360p-1.m4s"
--- response_headers
X-Cache: HIT



=== TEST 38: wrong-path: a doubled slash does not shield a ..
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo//../hevc/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}



=== TEST 39: wrong-path: a token without a path claim grants nothing
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS256","kid":"k1"}', '{"exp":NOW+600}')
. "/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-path"}
--- error_log
playback token refused: wrong-path (no path claim)



=== TEST 40: wrong-ip: bound to another address
--- request eval
"GET /t/" . PbTest::token(ip => '203.0.113.7') . "/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.1
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-ip"}
--- error_log
playback token refused: wrong-ip



=== TEST 41: ip: the bound address
--- request eval
"GET /t/" . PbTest::token(ip => '203.0.113.7') . "/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.7
--- response_body_like
^#EXTM3U



=== TEST 42: ip: inside the CIDR
--- request eval
"GET /t/" . PbTest::token(ip => '203.0.113.0/24') . "/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.99
--- response_body_like
^#EXTM3U



=== TEST 43: wrong-ip: outside the CIDR
--- request eval
"GET /t/" . PbTest::token(ip => '203.0.113.0/24') . "/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.114.1
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-ip"}



=== TEST 44: ip: an IPv6 client inside an IPv6 CIDR
--- request eval
"GET /t/" . PbTest::token(ip => '2001:db8::/32') . "/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 2001:db8:1::5
--- response_body_like
^#EXTM3U



=== TEST 45: wrong-ip: an IPv4 client and an IPv6 claim
--- request eval
"GET /t/" . PbTest::token(ip => '2001:db8::/32') . "/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.7
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"wrong-ip"}



=== TEST 46: playback_token off: a location without tokens
--- request
GET /health
--- response_body
ok



=== TEST 47: the origin got the path without the token
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/audio-1080p.m3u8"
--- response_body_like eval
qr{^audio-1080p-1\.m4s$}m



=== TEST 48: HEAD without a token: 403, headers only
--- request
HEAD /vod/demo/master.m3u8
--- error_code: 403
--- response_headers
Content-Type: application/json
--- response_body



=== TEST 49: tokens on in a location /t/ and the target location only
--- config
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    location /t/ {
        playback_token on;
    }
    location /vod/ {
        playback_token on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        add_header X-Playback $playback_token_status;
    }
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/master.m3u8"
--- response_headers
X-Playback: OK
--- response_body_like
^#EXTM3U



=== TEST 50: the same configuration: /vod/ alone still needs a token
--- config
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    location /t/ {
        playback_token on;
    }
    location /vod/ {
        playback_token on;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        add_header X-Playback $playback_token_status;
    }
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 51: a catch-all location with a rewrite-module "return" does not
catch /t/{token}/...: nothing of the location found for the token's path
runs, the request goes on in the location of the rest
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    location /t/ {
        set $probe "catch-all";
        return 418;
    }
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        add_header X-Probe "[$probe]";
    }
--- request eval
"GET /t/" . PbTest::token() . "/vod/demo/master.m3u8"
--- response_headers
X-Probe: []
--- response_body_like
^#EXTM3U



=== TEST 52: where tokens are off, /t/ is a path like any other
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    location /t/ {
        playback_token off;
        return 418;
    }
--- request
GET /t/other
--- error_code: 418



=== TEST 53: the token is not in the error log's request line (prefix)
--- request eval
"GET /t/" . PbTest::craft('{"alg":"HS256","typ":"JWT","kid":"k1"}', '{"exp":NOW-100,"path":"/vod/"}') . "/vod/demo/master.m3u8"
--- error_code: 403
--- error_log
request: "GET /t/***/vod/demo/master.m3u8 HTTP/1.1"
--- no_error_log
eyJ



=== TEST 54: ... nor a query argument's
--- request eval
"GET /vod/demo/master.m3u8?x=1&token=" . PbTest::craft('{"alg":"HS256","typ":"JWT","kid":"k1"}', '{"exp":NOW-100,"path":"/vod/"}')
--- error_code: 403
--- error_log
request: "GET /vod/demo/master.m3u8?x=1&token=*** HTTP/1.1"
--- no_error_log
eyJ
