# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: the caches' live state polled from Redis (steering_redis_state
# on): hashes steering:cache:{id} (load, healthy, updated) written with
# redis-cli into a real redis-server on port 6391 (t/inc/SteerTest.pm),
# read every 500 ms by the polling worker into the shared zone.  With
# steering_state_max_age 5s a cache never reported is unhealthy, a report
# in Redis makes it usable, an old one does not, and a malformed hash is
# logged and ignored.  Changes to Redis are made in response_body_filters,
# which run after the block's request, and wait there for the next poll.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup(); SteerTest::redis_start() }

sub redis { SteerTest::redis_cli(@_) }
sub settle { select undef, undef, undef, 1.2 }

sub report {
    my ($id, $load, $healthy, $age) = @_;
    redis('HSET', "steering:cache:$id", 'load', $load, 'healthy', $healthy,
          'updated', time - ($age // 0));
}

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_state_max_age 5s;
    steering_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
    steering_presence_interval 500ms;
    steering_redis_state on;
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
    $block->set_value('more_headers', "X-Forwarded-For: 203.0.113.5\n")
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
    # state API requests are signed (t/207-steering-auth.t tests that)
    SteerTest::sign_block($block);
});

run_tests();

__DATA__

=== TEST 1: nothing reported: origin answers; then isp-ny-2 reports in Redis
--- request
GET /vars
--- response_body_filters eval
sub { main::report('isp-ny-2', '0.2', 1); main::settle(); $_[0] }
--- response_body
origin||origin|none-healthy



=== TEST 2: the report from Redis is in service: the Comcast client's primary
--- request
GET /vars
--- response_body
isp-ny-2|origin|isp|asn-match



=== TEST 3: the state API shows it, with the report's own age
--- request
GET /steering/caches/isp-ny-2
--- response_body_like eval
qr{"healthy":true,"usable":true,"load":0\.2000,"age":[0-2],"reported":true}
--- response_body_filters eval
sub { main::report('isp-ny-2', '0.3', 'false'); main::settle(); $_[0] }



=== TEST 4: Redis says it is down now: origin again
--- request
GET /vars
--- response_body
origin||origin|none-healthy
--- response_body_filters eval
sub { main::report('isp-ny-2', '0.1', 'true', 60); main::settle(); $_[0] }



=== TEST 5: an older report than the one in service changes nothing
--- request
GET /steering/caches/isp-ny-2
--- response_body_like eval
qr{"healthy":false,"usable":false,"load":0\.3000}
--- response_body_filters eval
sub {
    main::redis('DEL', 'steering:cache:isp-ny-2');
    main::report('isp-ny-1', '0.5', 1, 60);
    main::settle();
    $_[0];
}



=== TEST 6: a report a minute old is stale (max age 5 s): not usable
--- request
GET /steering/caches/isp-ny-1
--- response_body_like eval
qr{"healthy":false,"usable":false,"load":0\.5000,"age":(6\d|7\d),"reported":true}
--- response_body_filters eval
sub {
    main::redis('HSET', 'steering:cache:ixp-nyc', 'load', 'lots',
                'healthy', 1, 'updated', time);
    main::settle();
    $_[0];
}



=== TEST 7: a malformed hash is logged (once a minute) and ignored
The poll after TEST 6 logged it, maybe before this request: the whole log
is searched, not only what follows the request.
--- request
GET /steering/caches/ixp-nyc
--- response_body_filters eval
sub {
    open my $fh, '<', $Test::Nginx::Socket::ErrLogFile or die "log: $!";
    my $logged = grep { /of the steering:cache:\{id\} hashes are malformed/ }
                 <$fh>;
    $_[0] . ($logged ? "|logged\n" : "|not logged\n");
}
--- response_body_like eval
qr{"reported":false.*\|logged\n\z}s
--- no_error_log
[error]



=== TEST 8: a PUT is newer than any Redis report so far: it wins
--- request
PUT /steering/caches/isp-ny-2
{"healthy": true, "load": 0.4}
--- response_body_like eval
qr{"healthy":true,"usable":true,"load":0\.4000,"age":0,"reported":true}
