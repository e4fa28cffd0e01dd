# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: stale state.  With steering_state_max_age 2s a cache never
# reported counts as unhealthy, a fresh report makes it usable, and a
# report older than the max age counts as unhealthy again.  Same fixtures
# as t/200-steering.t (t/inc/SteerTest.pm).

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup() }

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_state_max_age 2s;
_EOC_

our $Config = <<'_EOC_';
    location /steering/caches/ {
        steering state;
    }

    location = /vars {
        steering_title demo;
        return 200 "$steering_primary|$steering_fallbacks|$steering_tier|$steering_reason\n";
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
    # state API requests are signed (t/207-steering-auth.t tests that)
    SteerTest::sign_block($block);
});

run_tests();

__DATA__

=== TEST 1: nothing reported yet: nothing is healthy, origin answers
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
origin||origin|none-healthy



=== TEST 2: a report from isp-ny-2
--- request
PUT /steering/caches/isp-ny-2
{"healthy": true, "load": 0.2}
--- response_body_like eval
qr{"healthy":true,"usable":true,"load":0\.2000,"age":0,"reported":true}



=== TEST 3: (fresh) it is the Comcast client's primary; then wait 3 s
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- wait: 3.2
--- response_body
isp-ny-2|origin|isp|asn-match



=== TEST 4: three seconds later the report is stale: origin again
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
origin||origin|none-healthy



=== TEST 5: (stale) the state API says so
--- request
GET /steering/caches/isp-ny-2
--- response_body_like eval
qr{"healthy":false,"usable":false,"load":0\.2000,"age":[3-9],"reported":true}
