# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: what leaves the edge.  Client X-Vod-* headers (the
# origin's policy headers) never reach the origin; the tier's ceiling
# reaches it for a master of any path depth under the shipped
# conf/edge.conf's manifest location; no credential (query token, token
# cookie, prefix) reaches the origin, the edge's "upstream:" log field,
# or what the configuration can see through $request, $request_uri,
# $args, $arg_token, $http_cookie and $cookie_*.  The echoing origin is
# t/inc/EdgeProbe.pm's; the nested-title blocks use the real origin.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use EdgeProbe;
use Test::Nginx::Socket 'no_plan';

our ($Tok, $Any, $Basic, $Premium, $Manifests);

BEGIN {
    VodTest::media();
    PbTest::setup();
    $Tok = PbTest::token(path => '/vod/', tier => 'basic');
    $Any = PbTest::token(path => '/');
    $Basic = PbTest::token(path => '/vod/', tier => 'basic');
    $Premium = PbTest::token(path => '/vod/', tier => 'premium');

    # a nested title: /vod/a/demo/ (and /vod/b/demo/, cached apart) is
    # the demo title one level deeper
    mkdir "$PbTest::Dir/nested" or die "$PbTest::Dir/nested: $!";
    for my $d (qw(a b)) {
        symlink $ENV{TEST_NGINX_MEDIA}, "$PbTest::Dir/nested/$d"
            or die "symlink: $!";
    }

    # the manifest location exactly as conf/edge.conf ships it
    open my $fh, '<', "$FindBin::Bin/../conf/edge.conf"
        or die "conf/edge.conf: $!";
    while (<$fh>) {
        $Manifests = $1 if /^\s*location (~ \S*master\S*) \{/;
    }
    close $fh;
    die "no manifest location in conf/edge.conf\n" unless $Manifests;
    $ENV{TEST_NGINX_PB_MANIFESTS} = $Manifests;
}

repeat_each(1);
no_shuffle();
no_root_location();
log_level('info');

our $Echo = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_token_sources prefix query=token cookie=pbt;

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        add_header X-Request "$request";
        add_header X-Request-Uri "$request_uri";
        add_header X-Args "$args|$arg_token|$query_string";
        add_header X-Cookie "$http_cookie|$cookie_pbt";
    }

    # an upstream that refuses connections: the error line names it
    location /down/ {
        proxy_pass http://127.0.0.1:1;
    }
_EOC_

# the origin, and its titles one directory deeper
our $Origin = <<'_EOC_';
    proxy_cache_path $TEST_NGINX_PB_DIR/cache levels=1:2 keys_zone=edge:1m;

    server {
        listen 127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        location /vod/ {
            alias $TEST_NGINX_PB_DIR/nested/;
            vod_package;
        }
    }
_EOC_

# conf/edge.conf's two media locations
our $Tiers = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_tiers on;

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        proxy_cache edge;
        proxy_cache_key $uri;
        add_header X-Cache $upstream_cache_status always;
    }

    location $TEST_NGINX_PB_MANIFESTS {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        proxy_set_header X-Vod-Max-Height $playback_tier_max_height;
        proxy_set_header X-Vod-Max-Bitrate $playback_tier_max_bitrate;
        proxy_cache edge;
        proxy_cache_key
            "$uri|$playback_tier_max_height|$playback_tier_max_bitrate";
        add_header X-Cache $upstream_cache_status always;
    }
_EOC_

# /vod/ alone, no manifest location (tiers off: the edge's filter would
# refuse the higher renditions to a basic viewer, not what is tested here)
our $Plain = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
        proxy_cache edge;
        proxy_cache_key $uri;
        add_header X-Cache $upstream_cache_status always;
    }
_EOC_

sub variants { my @v = $_[0] =~ /^#EXT-X-STREAM-INF:.*\n(\S+)/mg; "@v" }
sub reps { my @r = $_[0] =~ /<Representation id="([^"]+)"/g; "@r" }

# the edge's access log ($request in nginx's combined format)
sub access_log_clean {
    open my $fh, '<', "$ENV{TEST_NGINX_SERVER_ROOT}/logs/access.log"
        or return fail("access.log: $!");
    local $/;
    my $text = <$fh> // '';
    close $fh;
    my $why = EdgeProbe::leak($text, $Tok, 'pbt=', 'token=eyJ');
    ok(!defined $why, "no credential in the edge's access log"
                      . ($why ? ": $why" : ''));
}

add_block_preprocessor(sub {
    my $block = shift;
    if (!defined $block->http_config) {
        $block->set_value('http_config', $EdgeProbe::Origin);
        $block->set_value('config', $Echo) unless defined $block->config;
    }
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: item 9: client X-Vod-* headers never reach the origin
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Vod-Max-Height: 1
X-Vod-Max-Bitrate: 1
X-Vod-Probe: client
x-vod-max-height: 2
--- response_body_like eval
qr{^XVOD \|\|$}m



=== TEST 2: item 9: ... also with a query token and over a cookie token
--- request eval
"GET /vod/demo/master.m3u8?token=$main::Tok"
--- more_headers
X-VOD-MAX-HEIGHT: 1
X-Vod-Probe: client
--- response_body_like eval
qr{^XVOD \|\|$}m



=== TEST 3: item 10: the query token leaves the proxied URI, the other
arguments stay, in their order
--- request eval
"GET /vod/demo/master.m3u8?a=1&token=$main::Tok&b=2&TOKEN=$main::Tok"
--- response_body_like eval
qr{\AORIGIN GET /vod/demo/master\.m3u8\?a=1&b=2 HTTP/1\.[01]\n}



=== TEST 4: item 10: ... and $request, $request_uri, $args, $arg_token,
$query_string hold no token ($request masks it)
--- request eval
"GET /vod/demo/../demo/master.m3u8?a=1&token=$main::Tok"
--- response_headers
X-Request: GET /vod/demo/master.m3u8?a=1&token=*** HTTP/1.1
X-Request-Uri: /vod/demo/master.m3u8?a=1
X-Args: a=1||a=1



=== TEST 5: item 10: the token cookie leaves the Cookie header, the
other cookies stay; $http_cookie and $cookie_pbt do not show it
--- request
GET /vod/demo/master.m3u8
--- more_headers eval
"Cookie: a=1; pbt=$main::Tok; b=2"
--- response_headers
X-Cookie: a=1; b=2|
--- response_body_like eval
qr{^COOKIE a=1; b=2$}m



=== TEST 6: item 10: a Cookie header of the token alone is not sent;
several headers, the name in any case, spaces before '='
--- request
GET /vod/demo/master.m3u8
--- more_headers eval
"Cookie: PBT =$main::Tok\nCookie: c=3;pbt=$main::Tok"
--- response_body_like eval
qr{^COOKIE c=3$}m



=== TEST 7: item 10: the prefix token: neither in the proxied URI nor in
$request_uri; $request shows /t/***
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8?x=1"
--- response_headers
X-Request: GET /t/***/vod/demo/master.m3u8?x=1 HTTP/1.1
X-Request-Uri: /vod/demo/master.m3u8?x=1
--- response_body_like eval
qr{\AORIGIN GET /vod/demo/master\.m3u8\?x=1 HTTP/1\.[01]\n}



=== TEST 8: item 10: the edge's error log names the upstream URI without
the query token
--- request eval
"GET /down/x?a=1&token=$main::Any"
--- error_code: 502
--- error_log
upstream: "http://127.0.0.1:1/down/x?a=1"
request: "GET /down/x?a=1&token=*** HTTP/1.1"
--- no_error_log eval
["eyJ", "[alert]", "[crit]", "[emerg]"]



=== TEST 9: item 10: ... nor a prefix token's
--- request eval
"GET /t/$main::Any/down/x"
--- error_code: 502
--- error_log
upstream: "http://127.0.0.1:1/down/x"
request: "GET /t/***/down/x HTTP/1.1"
--- no_error_log eval
["eyJ", "[alert]", "[crit]", "[emerg]"]



=== TEST 10: item 10: nothing of the credentials in the edge's access log
--- init
main::access_log_clean();
--- request eval
"GET /vod/demo/master.m3u8?token=$main::Tok"
--- response_body_like eval
qr{\AORIGIN GET /vod/demo/master\.m3u8 HTTP/1\.[01]\n}



=== TEST 11: item 10: a refused prefix request: the token is in neither
$uri nor $request
--- http_config eval
$EdgeProbe::Origin . '    log_format uri_only "$uri|$request";'
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
    access_log $TEST_NGINX_PB_DIR/uri.log uri_only;
--- request eval
"GET /t/" . PbTest::token(path => '/vod/other/') . "/vod/demo/master.m3u8"
--- error_code: 403
--- error_log
request: "GET /t/***/vod/demo/master.m3u8 HTTP/1.1"



=== TEST 12: ... the access log of that refusal
--- http_config eval
$EdgeProbe::Origin . '    log_format uri_only "$uri|$request";'
--- config
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }
    access_log $TEST_NGINX_PB_DIR/uri.log uri_only;
--- init
open my $fh, '<', "$ENV{TEST_NGINX_PB_DIR}/uri.log" or die "uri.log: $!";
my @l = <$fh>;
close $fh;
is(join('', @l), "/vod/demo/master.m3u8|GET /t/***/vod/demo/master.m3u8 HTTP/1.1\n",
   "the refused request logged without the token");
--- request
GET /vod/x
--- error_code: 403



=== TEST 13: item 9: a nested title's master (/vod/a/demo/) gets the
basic ceiling under conf/edge.conf's manifest location: 360p only
--- http_config eval
$main::Origin
--- config eval
$main::Tiers
--- request eval
"GET /t/$main::Basic/vod/a/demo/master.m3u8"
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-360p.m3u8



=== TEST 14: ... and premium's master is cached apart: every rendition
--- http_config eval
$main::Origin
--- config eval
$main::Tiers
--- request eval
"GET /t/$main::Premium/vod/a/demo/master.m3u8"
--- response_headers
X-Cache: MISS
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-1080p.m3u8 video-720p.m3u8 video-360p.m3u8



=== TEST 15: ... the same for a nested MPD
--- http_config eval
$main::Origin
--- config eval
$main::Tiers
--- request eval
"GET /t/$main::Basic/vod/a/demo/manifest.mpd"
--- response_body_filters eval
\&main::reps
--- response_body chomp
video-360p audio-1080p



=== TEST 16: item 9: through a location that sets no ceiling (an
operator's conf with /vod/ alone), a viewer's own X-Vod-Max-Height does
not reach the origin: the master cached for everyone stays whole
--- http_config eval
$main::Origin
--- config eval
$main::Plain
--- request eval
"GET /t/$main::Basic/vod/b/demo/master.m3u8"
--- more_headers
X-Vod-Max-Height: 400
X-Vod-Max-Bitrate: 1000
--- response_headers
X-Cache: MISS
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-1080p.m3u8 video-720p.m3u8 video-360p.m3u8



=== TEST 17: ... so the next viewer's HIT is the whole master
--- http_config eval
$main::Origin
--- config eval
$main::Plain
--- request eval
"GET /t/$main::Premium/vod/b/demo/master.m3u8"
--- response_headers
X-Cache: HIT
--- response_body_filters eval
\&main::variants
--- response_body chomp
video-1080p.m3u8 video-720p.m3u8 video-360p.m3u8
