# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the edge reports itself to steering
# (playback_report) in one nginx with both modules and a real
# redis-server on port 6391 (t/inc/SteerTest.pm): the report lands in
# steering:cache:{id} every interval (load, healthy, updated, an expiry);
# steering (steering_redis_state on) makes the reported cache the
# Comcast client's primary with no one sending a PUT; held connections and
# bytes sent raise the load as max_connections and max_bandwidth say; an
# edge that stops reporting ages out of steering within its max age.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup(); SteerTest::redis_start() }

sub redis { SteerTest::redis_cli(@_) }
sub settle { select undef, undef, undef, shift // 1.2 }

# the report as a line: fields in order, the age and TTL judged; with a
# condition, the first report (polled for 2 s) that meets it
sub report {
    my $until = shift // sub { 1 };
    my %h;
    for (1 .. 100) {
        my @kv = redis('HGETALL', 'steering:cache:isp-ny-2');
        %h = @kv;
        last if %h && $until->(\%h);
        select undef, undef, undef, 0.02;
    }
    return "(none)\n" unless %h;
    my $age = time - ($h{updated} // 0);
    my $ttl = scalar redis('TTL', 'steering:cache:isp-ny-2');
    return "healthy=$h{healthy} load=$h{load} fresh="
        . ($age >= 0 && $age <= 2 ? 'yes' : "no ($age s)")
        . " ttl=" . ($ttl >= 55 && $ttl <= 60 ? 'ok' : $ttl)
        . " connections=$h{connections} bandwidth="
        . ($h{bandwidth} =~ /^\d+$/ ? 'n' : $h{bandwidth}) . "\n";
}

our @Held;

repeat_each(1);
no_shuffle();
workers(2);
log_level('info');

our $Steering = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_state_max_age 2s;
    steering_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
    steering_presence_interval 300ms;
    steering_redis_state on;
    playback_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
_EOC_

our $HttpConfig = $Steering . <<'_EOC_';
    playback_report isp-ny-2 interval=200ms max_connections=10
                    max_bandwidth=8m;
_EOC_

our $Config = <<'_EOC_';
    location = /vars {
        steering_title demo;
        return 200 "$steering_primary|$steering_fallbacks|$steering_tier|$steering_reason\n";
    }

    location /media/ {
        alias html/;
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
    $block->set_value('user_files', ">>> media.bin\n" . ('x' x 1048576)
                                    . "\n")
        unless defined $block->user_files;
});

run_tests();

__DATA__

=== TEST 1: the report lands in Redis, idle: a small load
A small response: a report written after a 1 MB one (8 Mbit in the
200 ms interval) would say load 1.0 (TEST 4 asks for that).
--- init
main::settle(0.6);
--- request
GET /vars
--- response_body_filters eval
sub { main::report() }
--- response_body_like
^healthy=1 load=0\.(0|1)\d{3} fresh=yes ttl=ok connections=[0-2] bandwidth=n$



=== TEST 2: steering follows it: the reported cache is the Comcast client's primary
--- init
main::settle(1.0);
--- request
GET /vars
--- response_body
isp-ny-2|origin|isp|asn-match



=== TEST 3: held connections raise the load (8 of 10)
--- init
for (1 .. 7) {
    push @main::Held, IO::Socket::INET->new(PeerAddr => '127.0.0.1',
        PeerPort => $ENV{TEST_NGINX_SERVER_PORT}) or die "connect: $!";
}
main::settle(0.6);
--- request
GET /vars
--- response_body_filters eval
sub { my $r = main::report(sub { $_[0]{connections} >= 7 }); @main::Held = (); $r }
--- response_body_like
^healthy=1 load=0\.[789]\d{3} fresh=yes ttl=ok connections=[789] bandwidth=n$



=== TEST 4: bytes sent raise it: 1 MB in an interval against 8 Mbit/s is full
--- init
main::settle(0.3);
--- request
GET /media/media.bin
--- response_body_filters eval
sub { main::report(sub { $_[0]{bandwidth} > 0 }) }
--- response_body_like
^healthy=1 load=1\.0000 fresh=yes ttl=ok connections=\d+ bandwidth=n$



=== TEST 5: an edge that stops reporting ages out of steering (max age 2 s)
--- http_config eval
$main::Steering
--- init
main::settle(3.0);
--- request
GET /vars
--- response_body
origin||origin|none-healthy
