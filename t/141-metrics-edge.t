# vim:set ft= ts=4 sw=4 et:
#
# Metrics of the edge (README.md, "Metrics"): one nginx with the origin
# module and the edge, one vodedge_metrics endpoint showing both modules'
# families; token, tier, licensing and stream-limit refusals counted by
# reason; the Redis client's
# commands and their latency histogram against a real redis-server
# (6389), then its connection lost.  The text is read by the strict
# reader of t/inc/MetricsTest.pm.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use RedisTest;
use MetricsTest;
use GeoTest;
use Test::Nginx::Socket 'no_plan';

our ($Basic, $Expired, $BadSig, $Api, $ApiBasic);

BEGIN {
    VodTest::media();
    PbTest::setup();
    GeoTest::setup();
    RedisTest::start(6389);
    $Basic = PbTest::token(tier => 'basic');
    $Expired = PbTest::token(tier => 'basic', ttl => -3600);
    ($BadSig = $Basic) =~ s/.$/$& eq 'A' ? 'B' : 'A'/e;
    $Api = PbTest::token(aud => q(api), sub => 'acct-1', profiles => 'p1');
    # one stream at a time
    $ApiBasic = PbTest::token(aud => q(api), sub => 'acct-2',
                              profiles => 'p1', tier => 'basic');
}

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT command_timeout=500ms;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    playback_geoip_country $TEST_NGINX_GEO_DIR/country.mmdb;
    playback_rights $TEST_NGINX_GEO_DIR/rights.json;

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
    playback_token_sources prefix;
    playback_tiers on;

    location /vod/ {
        proxy_pass http://127.0.0.1:$TEST_NGINX_PB_ORIGIN_PORT;
    }

    location /api/ {
        playback_token off;
        playback_api on;
    }

    # licensing alone, on the renditions as files
    location /lic/ {
        playback_token off;
        playback_licensing on;
        playback_title_from /lic/;
        alias $TEST_NGINX_MEDIA/;
    }

    location = /redis {
        playback_token off;
        return 200 "$playback_redis\n";
    }

    location = /metrics {
        playback_token off;
        vodedge_metrics;
    }
_EOC_

# the edge's samples that moved, but a histogram's buckets and sum
our $Edge = qr/^vodedge_edge_(?!redis_command_duration_seconds_(?:bucket|sum))/;

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the worker is connected to Redis
--- request
GET /redis
--- response_body
up
--- no_error_log
[error]



=== TEST 2: one endpoint, the families of both modules, strict text format
--- request
GET /metrics
--- response_body_filters eval
sub { MetricsTest::snap('start', $_[0]) }
--- response_body
vodedge_packager_requests_total counter
vodedge_packager_sent_bytes_total counter
vodedge_packager_index_cache_hits_total counter
vodedge_packager_index_cache_misses_total counter
vodedge_packager_index_cache_evictions_total counter
vodedge_packager_thread_tasks_total counter
vodedge_edge_token_refusals_total counter
vodedge_edge_licensing_refusals_total counter
vodedge_edge_tier_refusals_total counter
vodedge_edge_stream_limit_refusals_total counter
vodedge_edge_redis_commands_total counter
vodedge_edge_redis_connection_errors_total counter
vodedge_edge_redis_command_duration_seconds histogram
--- no_error_log
[error]



=== TEST 3: no token: refused, missing
--- request
GET /vod/demo/master.m3u8
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"missing"}



=== TEST 4: an expired token: refused, expired
--- request eval
"GET /t/$main::Expired/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"expired"}



=== TEST 5: a changed signature: refused, bad-signature
--- request eval
"GET /t/$main::BadSig/vod/demo/master.m3u8"
--- error_code: 403
--- response_body
{"error":"forbidden","reason":"bad-signature"}



=== TEST 6: basic asks for a 1080p segment: refused by the tier
--- request eval
"GET /t/$main::Basic/vod/demo/video-1080p-1.m4s"
--- error_code: 403
--- response_body_like: "reason":"tier"



=== TEST 6b: a client in a country the rights exclude: refused by licensing
--- request
GET /lic/demo/360p.mp4
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 451
--- response_body_like: "reason":"not-licensed"



=== TEST 7: a resume position written through Redis
--- more_headers eval
"Authorization: Bearer $main::Api"
--- request
PUT /api/v1/resume/p1/t1
{"position_ms":30000,"duration_ms":100000,"updated_at":1000}
--- error_code: 204
--- no_error_log
[error]



=== TEST 8: and read back
--- more_headers eval
"Authorization: Bearer $main::Api"
--- request
GET /api/v1/resume/p1/t1
--- response_body_like: "position_ms":30000
--- no_error_log
[error]



=== TEST 8b: a playback start takes the basic tier's one stream
--- more_headers eval
"Authorization: Bearer $main::ApiBasic"
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1","device":{"type":"tv"}}
--- response_body_like: "playback_session_id"
--- no_error_log
[error]



=== TEST 8c: a second one is over the limit
--- more_headers eval
"Authorization: Bearer $main::ApiBasic"
--- request
POST /api/v1/playback/manifest
{"video_id":"demo","profile_id":"p1","device":{"type":"tv"}}
--- error_code: 429
--- no_error_log
[error]



=== TEST 9: each refusal counted by its reason, each Redis command by its result and in the histogram (two of them for each playback start)
--- request
GET /metrics
--- response_body_filters eval
sub { MetricsTest::moved('start', $_[0], $main::Edge) }
--- response_body
vodedge_edge_licensing_refusals_total{reason="not-licensed"} +1
vodedge_edge_redis_command_duration_seconds_count{} +6
vodedge_edge_redis_commands_total{result="ok"} +6
vodedge_edge_stream_limit_refusals_total{reason="limit"} +1
vodedge_edge_tier_refusals_total{reason="above-tier"} +1
vodedge_edge_token_refusals_total{reason="bad-signature"} +1
vodedge_edge_token_refusals_total{reason="expired"} +1
vodedge_edge_token_refusals_total{reason="missing"} +1
--- no_error_log
[error]



=== TEST 10: Redis stops: the connection lost, a write unsent
--- init
RedisTest::stop(); select undef, undef, undef, 0.3;
--- more_headers eval
"Authorization: Bearer $main::Api"
--- request
PUT /api/v1/resume/p1/t1
{"position_ms":40000,"duration_ms":100000,"updated_at":2000}
--- error_code: 503
--- error_log
connection lost



=== TEST 11: counted: the connection lost once, the write unsent (and each attempt to connect again since, at least one)
--- request
GET /metrics
--- response_body_filters eval
sub { MetricsTest::moved('start', $_[0], qr/redis_(?:commands|connection)/)
      =~ s/(error="connect"\} \+)[1-9][0-9]*/$1N/r }
--- response_body
vodedge_edge_redis_commands_total{result="ok"} +6
vodedge_edge_redis_commands_total{result="unsent"} +1
vodedge_edge_redis_connection_errors_total{error="connect"} +N
vodedge_edge_redis_connection_errors_total{error="lost"} +1
--- no_error_log
[error]
