# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: content presence from Redis.  A real redis-server on port
# 6391 (t/inc/SteerTest.pm) holds sets content:{title}:caches written with
# redis-cli; nginx polls them into the shared zone every 500 ms.  With
# steering_subset 1 a Comcast client without presence data gets the one
# ISP cache rendezvous hashing picks for the title (isp-ny-1 for "demo");
# with presence, the ISP caches that hold the title, or none.  Then
# removal, a key space of several SCAN batches, one poller at a time,
# and Redis stopped mid-test (presence ages out, logged once) and back.
#
# Changes to Redis are made in response_body_filters, which run after the
# block's request, and wait there for the next poll.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup(); SteerTest::redis_start() }

sub redis { SteerTest::redis_cli(@_) }

# after a change, a poll (every 500 ms) has surely seen it
sub settle { select undef, undef, undef, 1.2 }

sub evals {
    my ($n) = map { /cmdstat_eval:calls=(\d+)/ ? $1 : () }
              redis('INFO', 'commandstats');
    return $n // 0;
}

our $Evals;

repeat_each(1);
no_shuffle();
log_level('info');
workers(2);

our $HttpConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_geoip_city $TEST_NGINX_STEER_DIR/city.mmdb;
    steering_state_max_age off;
    steering_subset 1;
    steering_zone steering:4m;

    steering_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
    steering_presence_interval 500ms;
    steering_presence_max_age 2s;

    server {
        listen 127.0.0.1:8097 reuseport;

        location = /w {
            steering_title demo;
            return 200 "$pid $steering_primary $steering_presence\n";
        }
    }
_EOC_

our $Config = <<'_EOC_';
    location = /vars {
        steering_title $arg_t;
        return 200 "$steering_primary|$steering_fallbacks|$steering_tier|$steering_reason|$steering_presence\n";
    }

    location = /each {
        ssi on;
        ssi_types text/plain;
        default_type text/plain;
        return 200 '<!--# include virtual="/w1" --><!--# include virtual="/w2" --><!--# include virtual="/w3" --><!--# include virtual="/w4" --><!--# include virtual="/w5" --><!--# include virtual="/w6" --><!--# include virtual="/w7" --><!--# include virtual="/w8" --><!--# include virtual="/w9" --><!--# include virtual="/w10" --><!--# include virtual="/w11" --><!--# include virtual="/w12" --><!--# include virtual="/w13" --><!--# include virtual="/w14" --><!--# include virtual="/w15" --><!--# include virtual="/w16" --><!--# include virtual="/w17" --><!--# include virtual="/w18" --><!--# include virtual="/w19" --><!--# include virtual="/w20" --><!--# include virtual="/w21" --><!--# include virtual="/w22" --><!--# include virtual="/w23" --><!--# include virtual="/w24" -->';
    }

    location ~ ^/w\d+$ {
        rewrite ^ /w break;
        proxy_pass http://127.0.0.1:8097;
        proxy_set_header X-Forwarded-For 203.0.113.5;
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
});

run_tests();

__DATA__

=== TEST 1: no sets in Redis: rendezvous picks one ISP cache; then sets are written
--- request
GET /vars?t=demo
--- response_body_filters eval
sub {
    main::redis(qw(SADD content:demo:caches isp-ny-2));
    main::redis(qw(SADD content:both:caches isp-ny-1 isp-ny-2));
    main::redis(qw(SADD content:ixponly:caches ixp-nyc no-such-cache));
    main::redis(qw(SET content:notaset:caches x));
    main::redis('SADD', 'content:bad title:caches', 'isp-ny-1');
    main::settle();
    $_[0];
}
--- response_body
isp-ny-1|ixp-nyc,origin|isp|asn-match|0



=== TEST 2: the title is on isp-ny-2 only: it is the primary now
--- request
GET /vars?t=demo
--- response_body
isp-ny-2|ixp-nyc,origin|isp|asn-match|1



=== TEST 3: on both ISP caches: both come first, whatever the subset
--- request
GET /vars?t=both
--- response_body_like
^isp-ny-[12]\|isp-ny-[12],ixp-nyc,origin\|isp\|asn-match\|1$



=== TEST 4: on no ISP cache of the client's network: the IXP tier answers
--- request
GET /vars?t=ixponly
--- response_body
ixp-nyc|ixp-fra,origin|ixp|isp-unavailable|1



=== TEST 5: a title Redis has no set for uses rendezvous subsets
--- request
GET /vars?t=fresh
--- response_body_like
^isp-ny-[12]\|ixp-nyc,origin\|isp\|asn-match\|0$



=== TEST 6: every worker sees the same presence (24 requests over new connections: that reuseport sends all to one of two workers is 1 in 8 million)
--- request
GET /each
--- response_body_like eval
qr/\A(?=(?:\d+ isp-ny-2 1\n){24}\z)(?=.*^(\d+) .*^(?!\1 )\d+ )/ms



=== TEST 7: one poll per interval from two workers: 4 s see about 8 polls (not 16)
--- request
GET /vars?t=demo
--- response_body_filters eval
sub {
    my $before = main::evals();
    select undef, undef, undef, 4;
    my $n = main::evals() - $before;
    $n >= 4 && $n <= 12 ? "polls ok\n" : "$n polls in 4 s\n";
}
--- response_body
polls ok



=== TEST 8: the title leaves isp-ny-2 (its set is gone): rendezvous again
--- request
GET /vars?t=demo
--- response_body_filters eval
sub {
    main::redis(qw(SREM content:demo:caches isp-ny-2));
    main::settle();
    $_[0];
}
--- response_body
isp-ny-2|ixp-nyc,origin|isp|asn-match|1



=== TEST 9: after the next poll
--- request
GET /vars?t=demo
--- response_body
isp-ny-1|ixp-nyc,origin|isp|asn-match|0



=== TEST 10: 3000 titles, several SCAN batches per poll: every one is there
--- request
GET /vars?t=demo
--- response_body_filters eval
sub {
    main::redis('EVAL', "for i = 1, 3000 do redis.call('SADD', "
                . "'content:bulk' .. i .. ':caches', 'isp-ny-2') end", '0');
    main::settle();
    $_[0];
}
--- response_body
isp-ny-1|ixp-nyc,origin|isp|asn-match|0



=== TEST 11: the first of them
--- request
GET /vars?t=bulk1
--- response_body
isp-ny-2|ixp-nyc,origin|isp|asn-match|1



=== TEST 12: the last of them
--- request
GET /vars?t=bulk3000
--- response_body
isp-ny-2|ixp-nyc,origin|isp|asn-match|1



=== TEST 13: Redis stops: the last data serves until it is 2 s old, then it is logged once
--- request
GET /vars?t=ixponly
--- response_body_filters eval
sub {
    SteerTest::redis_stop();
    select undef, undef, undef, 3.5;
    $_[0];
}
--- response_body
ixp-nyc|ixp-fra,origin|ixp|isp-unavailable|1
--- no_error_log
[alert]
[crit]
[emerg]
--- error_log
redis 127.0.0.1:6391: connection lost
steering presence from redis 127.0.0.1:6391 is older than 2 s (redis is down): titles use rendezvous subsets until a poll completes



=== TEST 14: stale presence: rendezvous subsets, and no second log line while Redis stays down
--- request
GET /vars?t=ixponly
--- response_body_filters eval
sub {
    select undef, undef, undef, 1.5;
    $_[0];
}
--- response_body_like
^isp-ny-[12]\|ixp-nyc,origin\|isp\|asn-match\|0$
--- no_error_log
[alert]
[crit]
[emerg]
is older than



=== TEST 15: Redis is back (empty: no persistence) and the sets are written again
--- request
GET /vars?t=demo
--- response_body_filters eval
sub {
    SteerTest::redis_start();
    main::redis(qw(SADD content:demo:caches isp-ny-2));
    select undef, undef, undef, 2.5;
    $_[0];
}
--- response_body
isp-ny-1|ixp-nyc,origin|isp|asn-match|0
--- no_error_log
[alert]
[crit]
[emerg]
--- error_log eval
# the poll that finds Redis back may come before the SADD above (the
# worker reconnects within 100 ms): then it reads no title, and the next
# poll the set (TEST 16 checks what it read)
qr/steering presence from redis 127\.0\.0\.1:6391 is fresh again, titles: [01]/



=== TEST 16: presence again: isp-ny-2; the titles gone from Redis are gone here too
--- request
GET /vars?t=demo
--- response_body
isp-ny-2|ixp-nyc,origin|isp|asn-match|1



=== TEST 17: bulk1 was lost with Redis' data
--- request
GET /vars?t=bulk1
--- response_body_like
^isp-ny-[12]\|ixp-nyc,origin\|isp\|asn-match\|0$
