# vim:set ft= ts=4 sw=4 et:
#
# Metrics of steering (README.md, "Metrics"): decisions counted once per
# request by the primary's tier and the reason, whether answered as JSON
# or as a redirect; a refused title not counted; each cache's state as
# gauges named by its id, moved by a state update.  The text is read by
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
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_state_max_age off;
_EOC_

our $Config = <<'_EOC_';
    location /steer/ {
        steering decide;
    }

    location /vod/ {
        steering redirect;
    }

    location /steering/caches/ {
        steering state;
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
    SteerTest::sign_block($block);
});

# the caches' gauges, a report's time as T
sub caches {
    my $out = '';
    for (split /\n/, $_[0]) {
        next unless /^vodedge_steering_cache_/;
        s/ [1-9][0-9]{9}$/ T/;
        $out .= "$_\n";
    }
    return $out;
}

run_tests();

__DATA__

=== TEST 1: steering's families, strict text format
--- request
GET /metrics
--- response_body_filters eval
sub { MetricsTest::snap('start', $_[0]) }
--- response_body
vodedge_steering_decisions_total counter
vodedge_steering_cache_healthy gauge
vodedge_steering_cache_load gauge
vodedge_steering_cache_report_timestamp_seconds gauge
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



=== TEST 7: each cache of the fleet by its id, none reported yet (healthy: steering_state_max_age is off)
--- request
GET /metrics
--- response_body_filters eval
\&main::caches
--- response_body
vodedge_steering_cache_healthy{cache="isp-ny-1"} 1
vodedge_steering_cache_healthy{cache="isp-ny-2"} 1
vodedge_steering_cache_healthy{cache="ixp-nyc"} 1
vodedge_steering_cache_healthy{cache="ixp-fra"} 1
vodedge_steering_cache_healthy{cache="origin"} 1
vodedge_steering_cache_load{cache="isp-ny-1"} 0
vodedge_steering_cache_load{cache="isp-ny-2"} 0
vodedge_steering_cache_load{cache="ixp-nyc"} 0
vodedge_steering_cache_load{cache="ixp-fra"} 0
vodedge_steering_cache_load{cache="origin"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="isp-ny-1"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="isp-ny-2"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="ixp-nyc"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="ixp-fra"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="origin"} 0



=== TEST 8: isp-ny-2 reports itself unhealthy at a quarter of its load
--- request
PUT /steering/caches/isp-ny-2
{"load": 0.25, "healthy": false}
--- response_body_like: "healthy":false



=== TEST 9: its gauges moved, the others did not
--- request
GET /metrics
--- response_body_filters eval
\&main::caches
--- response_body
vodedge_steering_cache_healthy{cache="isp-ny-1"} 1
vodedge_steering_cache_healthy{cache="isp-ny-2"} 0
vodedge_steering_cache_healthy{cache="ixp-nyc"} 1
vodedge_steering_cache_healthy{cache="ixp-fra"} 1
vodedge_steering_cache_healthy{cache="origin"} 1
vodedge_steering_cache_load{cache="isp-ny-1"} 0
vodedge_steering_cache_load{cache="isp-ny-2"} 0.25
vodedge_steering_cache_load{cache="ixp-nyc"} 0
vodedge_steering_cache_load{cache="ixp-fra"} 0
vodedge_steering_cache_load{cache="origin"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="isp-ny-1"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="isp-ny-2"} T
vodedge_steering_cache_report_timestamp_seconds{cache="ixp-nyc"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="ixp-fra"} 0
vodedge_steering_cache_report_timestamp_seconds{cache="origin"} 0
