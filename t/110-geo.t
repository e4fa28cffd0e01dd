# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: GeoIP licensing.  An edge (this block's config)
# with tokens, licensing and proxy_cache in front of the real origin; the
# client's address comes from X-Forwarded-For through realip.  Databases
# and the rights file are made by t/inc/GeoTest.pm (tools/mkgeo.pl):
# 203.0.113.0/24 is US, 198.51.100.0/24 DE, 192.0.2.0/24 CA with a VPN
# in .0/28, a Tor exit in .16/28 and a hosting provider in .32/28.  Every
# title the edge is asked for is served from the origin's "demo" title.
# All blocks share one config, so one nginx serves them in order: the
# reload blocks swap files under it with a body filter.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use GeoTest;
use Test::Nginx::Socket 'no_plan';

our $Tok;

BEGIN {
    VodTest::media();
    PbTest::setup();
    GeoTest::setup();
    $Tok = PbTest::token(path => '/vod/');
}

sub rights_us_only_de {
    (my $r = $GeoTest::Rights) =~ s/"us-only": \{"allow": \["US"\]\}/"us-only": {"allow": ["US", "DE"]}/
        or die "no us-only in the rights";
    GeoTest::write_file('rights.json', $r);
    return $_[0];
}

sub rights_corrupt {
    GeoTest::write_file('rights.json', '{"titles": {"demo": {"alow": []}}}');
    return $_[0];
}

sub country_us_is_de {
    GeoTest::mkgeo('country', "$GeoTest::Dir/country.mmdb",
                   '203.0.113.0/24=DE', '198.51.100.0/24=DE',
                   '192.0.2.0/24=CA');
    return $_[0];
}

sub country_deleted {
    unlink "$GeoTest::Dir/country.mmdb" or die "unlink: $!";
    return $_[0];
}

sub country_restored {
    GeoTest::mkgeo('country', "$GeoTest::Dir/country.mmdb",
                   @GeoTest::Country);
    return $_[0];
}

sub country_corrupt {
    GeoTest::write_file('country.mmdb', "not a MaxMind database\n" x 10);
    return $_[0];
}

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    proxy_cache_path $TEST_NGINX_PB_DIR/cache levels=1:2 keys_zone=edge:1m;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    playback_geoip_country $TEST_NGINX_GEO_DIR/country.mmdb;
    playback_geoip_asn $TEST_NGINX_GEO_DIR/asn.mmdb;
    playback_geoip_anonymous $TEST_NGINX_GEO_DIR/anonymous.mmdb;
    playback_rights $TEST_NGINX_GEO_DIR/rights.json;
    # the tests swap files between requests: check on every request
    playback_geoip_reload 0s;

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
    playback_token_sources prefix query=token;

    playback_licensing on;
    playback_rights_default allow;
    playback_unknown_country allow;

    location ~ ^/vod/[^/]+/(?<rest>.*)$ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/demo/$rest;
        proxy_cache edge;
        proxy_cache_key $uri;
        add_header X-Cache $upstream_cache_status always;
        add_header X-Geo "$playback_country|$playback_asn|$playback_asn_org|$playback_licensing" always;
    }

    location ~ ^/strict/[^/]+/(?<rest>.*)$ {
        playback_title_from /strict/;
        playback_rights_default deny;
        playback_unknown_country deny;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/demo/$rest;
    }

    location ~ ^/anyanon/[^/]+/(?<rest>.*)$ {
        playback_title_from /anyanon/;
        playback_anonymous_deny off;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/demo/$rest;
    }

    location ~ ^/toronly/[^/]+/(?<rest>.*)$ {
        playback_title_from /toronly/;
        playback_anonymous_deny tor proxy;
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT/vod/demo/$rest;
    }

    location = /whoami {
        playback_token off;
        playback_licensing off;
        return 200 "$playback_country|$playback_asn|$playback_asn_org|$playback_licensing\n";
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: allowed country: a US client plays demo; variables
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_headers
X-Geo: US|64500|Example Net US|licensed
--- response_body_like
^#EXTM3U



=== TEST 2: excluded country: 451 with JSON naming title and country
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451
--- response_headers
Content-Type: application/json
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"DE","reason":"not-licensed"}
--- error_log
playback licensing refused: not-licensed, title "demo", country "DE"



=== TEST 3: the status line names the reason
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451
--- raw_response_headers_like eval
qr{^HTTP/1\.1 451 Unavailable For Legal Reasons\r\n}



=== TEST 4: not in the allow list
--- request eval
"GET /t/$main::Tok/vod/us-only/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"us-only","country":"DE","reason":"not-licensed"}



=== TEST 5: in an allow list of two: a Canadian client, no ASN known
--- request eval
"GET /t/$main::Tok/vod/na/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.200
--- response_headers
X-Geo: CA|||licensed



=== TEST 6: unknown country (loopback) with playback_unknown_country allow
--- request eval
"GET /t/$main::Tok/vod/us-only/master.m3u8"
--- response_headers
X-Geo: |||licensed



=== TEST 7: unknown country with playback_unknown_country deny
--- request eval
"GET /t/" . PbTest::token(path => '/strict/') . "/strict/demo/master.m3u8"
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"","reason":"unknown-country"}
--- error_log
playback licensing refused: unknown-country, title "demo", country ""



=== TEST 8: unknown title with playback_rights_default allow
--- request eval
"GET /t/$main::Tok/vod/not-in-table/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- response_headers
X-Geo: DE|64501||licensed



=== TEST 9: unknown title with playback_rights_default deny
--- request eval
"GET /t/" . PbTest::token(path => '/strict/') . "/strict/not-in-table/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"not-in-table","country":"US","reason":"unknown-title"}



=== TEST 10: a known title under playback_rights_default deny plays
--- request eval
"GET /t/" . PbTest::token(path => '/strict/') . "/strict/us-only/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body_like
^#EXTM3U



=== TEST 11: window: before "from"
--- request eval
"GET /t/$main::Tok/vod/soon/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"soon","country":"US","reason":"not-yet-available"}



=== TEST 12: window: inside
--- request eval
"GET /t/$main::Tok/vod/now/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_headers
X-Geo: US|64500|Example Net US|licensed



=== TEST 13: window: inside, but the country is not allowed
--- request eval
"GET /t/$main::Tok/vod/now/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.200
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"now","country":"CA","reason":"not-licensed"}



=== TEST 14: window: after "until"
--- request eval
"GET /t/$main::Tok/vod/gone/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"gone","country":"US","reason":"expired"}



=== TEST 15: anonymous IP (a VPN) refused by default, whatever the rights
--- request eval
"GET /t/$main::Tok/vod/na/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"na","country":"CA","reason":"anonymous-ip"}
--- error_log
playback licensing refused: anonymous-ip, title "na", country "CA", anonymous 0x03



=== TEST 16: playback_anonymous_deny off lets the VPN through
--- request eval
"GET /t/" . PbTest::token(path => '/anyanon/') . "/anyanon/na/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.5
--- response_body_like
^#EXTM3U



=== TEST 17: playback_anonymous_deny tor proxy: a VPN passes
--- request eval
"GET /t/" . PbTest::token(path => '/toronly/') . "/toronly/na/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.5
--- response_body_like
^#EXTM3U



=== TEST 18: playback_anonymous_deny tor proxy: a Tor exit does not
--- request eval
"GET /t/" . PbTest::token(path => '/toronly/') . "/toronly/na/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.20
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"na","country":"CA","reason":"anonymous-ip"}



=== TEST 19: a hosting provider is refused by the default policy
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 192.0.2.40
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"CA","reason":"anonymous-ip"}



=== TEST 20: realip takes the last address of a chain
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5, 198.51.100.7
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"DE","reason":"not-licensed"}



=== TEST 21: the token is checked first: no token is 403, not 451
--- request
GET /vod/demo/master.m3u8
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 22: a segment is cached for a US client
--- request eval
"GET /t/$main::Tok/vod/demo/video-360p-1.m4s"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_headers
X-Cache: MISS



=== TEST 23: the cached segment is still refused to a German client
--- request eval
"GET /t/$main::Tok/vod/demo/video-360p-1.m4s"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451



=== TEST 24: and served from the cache to another US client
--- request eval
"GET /t/$main::Tok/vod/demo/video-360p-1.m4s"
--- more_headers
X-Forwarded-For: 203.0.113.77
--- response_headers
X-Cache: HIT



=== TEST 25: a title in the JSON body is escaped
--- request eval
"GET /t/$main::Tok/vod/quo%22te/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"quo\"te","country":"US","reason":"not-licensed"}



=== TEST 26: the variables without licensing or a token
--- request
GET /whoami
--- more_headers
X-Forwarded-For: 203.0.113.9
--- response_body
US|64500|Example Net US|



=== TEST 27: rights reload: us-only refused in DE, then the file changes
--- request eval
"GET /t/$main::Tok/vod/us-only/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451
--- response_body_filters eval
[\&main::rights_us_only_de]



=== TEST 28: the new rights file is in service under the same nginx
--- request eval
"GET /t/$main::Tok/vod/us-only/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- response_body_like
^#EXTM3U
--- error_log eval
qr{playback rights file "[^"]+/rights\.json" reloaded: 7 titles}
--- response_body_filters eval
[\&main::rights_corrupt]



=== TEST 29: a corrupt new rights file keeps the old table, logged
--- request eval
"GET /t/$main::Tok/vod/us-only/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- response_body_like
^#EXTM3U
--- error_log eval
qr{\[error\].*playback rights file "[^"]+/rights\.json" is invalid: title "demo" has an unknown member "alow", the table loaded before stays in service}
--- no_error_log
[alert]
[crit]



=== TEST 30: and is logged once, not on every request
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451
--- no_error_log
[error]
reloaded



=== TEST 31: mmdb reload: 203.0.113.5 is US, then the database changes
--- request eval
"GET /whoami"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
US|64500|Example Net US|
--- response_body_filters eval
[\&main::country_us_is_de]



=== TEST 32: the new database is in service under the same nginx
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"DE","reason":"not-licensed"}
--- error_log eval
qr{GeoIP country database "[^"]+/country\.mmdb" reloaded}
--- response_body_filters eval
[\&main::country_corrupt]



=== TEST 33: a corrupt new database keeps the old one in service, logged
--- request
GET /whoami
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
DE|64500|Example Net US|
--- error_log eval
qr{\[error\].*GeoIP country database "[^"]+/country\.mmdb" cannot be opened: .*, the one loaded before stays in service}
--- no_error_log
[alert]
[crit]



=== TEST 34: and is logged once
--- request
GET /whoami
--- more_headers
X-Forwarded-For: 198.51.100.7
--- response_body
DE|64501||
--- no_error_log
[error]
--- response_body_filters eval
[\&main::country_deleted]



=== TEST 35: the database deleted under a running nginx: the one loaded
stays in service, logged
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"DE","reason":"not-licensed"}
--- error_log eval
qr{\[error\].*GeoIP country database "[^"]+/country\.mmdb" cannot be read, the one loaded before stays in service}
--- no_error_log
[alert]
[crit]



=== TEST 36: and is logged once; then the file comes back
--- request
GET /whoami
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
DE|64500|Example Net US|
--- no_error_log
[error]
--- response_body_filters eval
[\&main::country_restored]



=== TEST 37: the database put back is loaded
--- request
GET /whoami
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
US|64500|Example Net US|
--- error_log eval
qr{GeoIP country database "[^"]+/country\.mmdb" reloaded}



=== TEST 38: an IPv6 client (through realip) in a US network plays
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 2001:db8:1::5
--- response_headers
X-Geo: US|64502|Example Net v6|licensed
--- response_body_like
^#EXTM3U



=== TEST 39: an IPv6 client in a German network: 451
--- request eval
"GET /t/$main::Tok/vod/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 2001:db8:2::7
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"DE","reason":"not-licensed"}



=== TEST 40: an IPv6 client outside every network: no country, no ASN
--- request
GET /whoami
--- more_headers
X-Forwarded-For: 2001:db8:ff::1
--- response_body
|||



=== TEST 41: an IPv4-mapped IPv6 client is looked up as its IPv4 address
--- request
GET /whoami
--- more_headers
X-Forwarded-For: ::ffff:198.51.100.7
--- response_body
DE|64501||



=== TEST 42: an IPv6 client in a strict location (unknown countries
refused): 451 naming no country
--- request eval
"GET /t/" . PbTest::token(path => '/strict/') . "/strict/demo/master.m3u8"
--- more_headers
X-Forwarded-For: 2001:db8:ff::1
--- error_code: 451
--- response_body
{"error":"unavailable_for_legal_reasons","title":"demo","country":"","reason":"unknown-country"}
