# vim:set ft= ts=4 sw=4 et:
#
# Metrics of steering (README.md, "Metrics"): decisions counted once per
# request by the primary's tier and the reason, whether answered as JSON
# or as a redirect; a refused title not counted.  The text is read by
# the strict reader of t/inc/MetricsTest.pm.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use MetricsTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup() }

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_geoip_city $TEST_NGINX_STEER_DIR/city.mmdb;
    steering_state_max_age off;
_EOC_

our $Config = <<'_EOC_';
    location /steer/ {
        steering decide;
    }

    location /vod/ {
        steering redirect;
    }

    location = /metrics {
        vodedge_metrics;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[error]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: steering's families, strict text format
--- request
GET /metrics
--- response_body_filters eval
sub { MetricsTest::snap('start', $_[0]) }
--- response_body
vodedge_steering_decisions_total counter
vodedge_steering_redis_commands_total counter
vodedge_steering_redis_connection_errors_total counter
vodedge_steering_redis_command_duration_seconds histogram



=== TEST 2: a Comcast client in New York: ISP, asn-match
--- request
GET /steer/demo
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body_like: "tier":"isp","reason":"asn-match"



=== TEST 3: a client of no known ASN, redirected: IXP, no-asn
--- request
GET /vod/demo/master.m3u8
--- more_headers
X-Forwarded-For: 192.0.2.9
--- error_code: 302



=== TEST 4: the same client as JSON: IXP, no-asn
--- request
GET /steer/demo
--- more_headers
X-Forwarded-For: 192.0.2.9
--- response_body_like: "tier":"ixp","reason":"no-asn"



=== TEST 5: no title: refused, no decision
--- request
GET /steer/
--- error_code: 400



=== TEST 6: three decisions counted by tier and reason
--- request
GET /metrics
--- response_body_filters eval
sub { MetricsTest::moved('start', $_[0]) }
--- response_body
vodedge_steering_decisions_total{reason="asn-match",tier="isp"} +1
vodedge_steering_decisions_total{reason="no-asn",tier="ixp"} +2
