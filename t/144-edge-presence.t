# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the edge claims the titles it serves
# (playback_report presence=) in one nginx with the edge and steering
# modules and a real redis-server on port 6391 (t/inc/SteerTest.pm).  A
# title served 200 or 206 becomes a member isp-ny-2 of the sorted set
# content:<title>:caches scored by the claim's expiry (Redis' clock), the
# key living as long; steering (steering_subset 1: without presence the
# title "demo" goes to isp-ny-1) makes isp-ny-2 the primary from it; the
# claim is written again only past half its life; a lapsed claim stops
# counting; operators' SADD sets still count and are left alone; hostile
# titles, errors and URIs outside /vod/ claim nothing; a Redis that lost
# the script gets its text; presence_max bounds the claims of an
# interval; a title served while Redis is down is claimed once it is
# back.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use IO::Socket::INET ();
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup(); SteerTest::redis_start() }

sub redis { SteerTest::redis_cli(@_) }
sub settle { select undef, undef, undef, shift // 1.0 }

# Redis' clock, in seconds
sub rnow { my @t = redis('TIME'); $t[0] + $t[1] / 1e6 }

# isp-ny-2's claim of a title: its score, or undef; with a wait, the
# first one that differs from $not (polled for 1 s)
sub claim {
    my ($title, $not) = @_;
    my $s;
    for (1 .. 50) {
        $s = redis('ZSCORE', "content:$title:caches", 'isp-ny-2');
        $s = undef if defined $s && $s eq '';
        last if defined $s && (!defined $not || $s != $not);
        select undef, undef, undef, 0.02;
    }
    return $s;
}

# GETs on one kept-alive connection, so one worker: their statuses; a
# code reference in the list runs between two requests
sub serve {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SERVER_PORT},
                                  Timeout => 5)
        or die "connect: $!";
    my @st;
    for my $req (@_) {
        if (ref $req eq 'CODE') {
            $req->();
            next;
        }
        my ($path, @h) = ref $req ? @$req : ($req);
        print $s "GET $path HTTP/1.1\r\nHost: localhost\r\n"
                 . join('', map { "$_\r\n" } @h) . "\r\n";
        my $head = '';
        while (defined(my $l = <$s>)) {
            $head .= $l;
            last if $l eq "\r\n";
        }
        my ($code) = $head =~ m{^HTTP/1\.1 (\d+)};
        my ($len) = $head =~ /^Content-Length: (\d+)/mi;
        read($s, my $body, $len) if $len;
        push @st, $code // 'none';
    }
    close $s;
    return "@st";
}

# the keys of presence, sorted
sub keys_line { join(' ', sort(redis('KEYS', 'content:*'))) . "\n" }

our %Seen;

repeat_each(1);
no_shuffle();
workers(2);
log_level('info');

our $Steering = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_state_max_age off;
    steering_subset 1;
    steering_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
    steering_presence_interval 300ms;
    steering_presence_max_age 2s;
    playback_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
_EOC_

our $HttpConfig = $Steering . <<'_EOC_';
    playback_report isp-ny-2 interval=200ms max_connections=100
                    presence=3s;
_EOC_

our $Config = <<'_EOC_';
    location = /vars {
        steering_title $arg_t;
        return 200 "$steering_primary|$steering_presence\n";
    }

    location /vod/ {
        return 200 "served\n";
    }

    location /vod/gone/ {
        return 404;
    }

    location = /vod/clip.bin {
        alias html/clip.bin;
    }

    location /other/ {
        return 200 "served\n";
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
    $block->set_value('user_files', ">>> clip.bin\n" . ('x' x 1000) . "\n")
        unless defined $block->user_files;
});

run_tests();

__DATA__

=== TEST 1: a served title is claimed: isp-ny-2 scored by Redis' now plus 3 s, the key living as long
--- init
main::settle(0.5);
--- request
GET /vod/demo/seg-1.m4s
--- response_body_filters eval
sub {
    my $s = main::claim('demo');
    return "(no claim)\n" unless defined $s;
    my $left = $s - main::rnow();
    my $pttl = main::redis('PTTL', 'content:demo:caches');
    $main::Seen{demo} = $s;
    return $_[0] . main::redis('TYPE', 'content:demo:caches')
        . " members=" . CORE::join(',', main::redis('ZRANGE',
                                              'content:demo:caches', 0, -1))
        . " expiry=" . ($left > 2 && $left <= 3 ? 'ok' : $left)
        . " pttl=" . ($pttl > 2000 && $pttl <= 3000 ? 'ok' : $pttl) . "\n";
}
--- response_body
served
zset members=isp-ny-2 expiry=ok pttl=ok



=== TEST 2: steering follows the claim: isp-ny-2 is the primary of "demo" (isp-ny-1 without presence)
--- init
main::settle(0.7);
--- request
GET /vars?t=demo
--- response_body
isp-ny-2|1



=== TEST 3: a worker writes a claim again only past half its life (1.5 s)
--- request
GET /vars?t=nothing
--- response_body_filters eval
sub {
    my ($s0, $s1, $s2, $s3);
    my $st = main::serve('/vod/renew/a.m4s',
                         sub { $s0 = main::claim('renew') },
                         '/vod/renew/b.m4s',
                         sub { main::settle(0.3);
                               $s1 = main::claim('renew') },
                         sub { main::settle(1.4) },
                         '/vod/renew/c.m4s',
                         sub { $s2 = main::claim('renew', $s1) },
                         sub { main::settle(0.7) },
                         '/vod/renew/d.m4s',
                         sub { main::settle(0.3);
                               $s3 = main::claim('renew') });
    return "$st\n(no claim)\n" unless defined $s0;
    "$st\n" . ($s1 == $s0 ? "kept" : "rewritten " . ($s1 - $s0))
        . ' ' . ($s2 - $s0 >= 1.5 && $s2 - $s0 < 2.5 ? "renewed"
                                                      : "not renewed")
        . ' ' . ($s3 == $s2 ? "kept" : "rewritten " . ($s3 - $s2)) . "\n";
}
--- response_body
200 200 200 200
kept renewed kept



=== TEST 4: claims that lapsed stop counting (the key kept without an expiry: steering judges each score)
--- init
my $now = main::rnow();
main::redis('ZADD', 'content:old:caches', $now - 5, 'isp-ny-2');
main::redis('ZADD', 'content:fresh:caches', $now + 60, 'isp-ny-2');
main::redis('ZADD', 'content:mixed:caches', $now - 5, 'isp-ny-2',
            $now + 60, 'isp-ny-1');
# demo's claim (TEST 1, 3 s) lapses, and the poll sees it
main::settle(3.2);
--- request
GET /vars?t=demo
--- response_body_filters eval
sub {
    $_[0] . CORE::join('', map {
        my (undef, $b) = RedisTest::http('GET', "/vars?t=$_",
                                         ['X-Forwarded-For: 203.0.113.5']);
        "$_: $b";
    } qw(old fresh mixed));
}
--- response_body
isp-ny-1|0
old: isp-ny-1|0
fresh: isp-ny-2|1
mixed: isp-ny-1|1



=== TEST 5: an operator's SADD set still counts, and a served title leaves it alone (logged once)
--- init
main::redis('SADD', 'content:ops:caches', 'isp-ny-1');
--- request
GET /vod/ops/seg-1.m4s
--- response_body_filters eval
sub {
    main::settle(0.7);
    my (undef, $b) = RedisTest::http('GET', '/vars?t=ops',
                                     ['X-Forwarded-For: 203.0.113.5']);
    $_[0] . main::redis('TYPE', 'content:ops:caches') . ' '
        . CORE::join(',', main::redis('SMEMBERS', 'content:ops:caches'))
        . ' ttl=' . main::redis('TTL', 'content:ops:caches') . "\n$b";
}
--- response_body
served
set isp-ny-1 ttl=-1
isp-ny-1|1
--- error_log
content:ops:caches is not a sorted set



=== TEST 6: hostile titles, errors, URIs outside /vod/ claim nothing; a valid title and a 206 do (after NOSCRIPT, by EVAL)
--- init
main::redis('FLUSHALL');
main::redis('SCRIPT', 'FLUSH');
--- request
GET /vars?t=nothing
--- response_body_filters eval
sub {
    my $st = main::serve('/vod/bad%20title/x', '/vod/%7Btag%7D/x',
                         '/vod/a:b/x', '/vod/a*b/x', '/vod/.hidden/x',
                         '/vod/' . ('t' x 129) . '/x', '/vod/caf%C3%A9/x',
                         '/vod/gone/x', '/other/elsewhere/x',
                         '/vod/' . ('t' x 128) . '/x',
                         '/vod/Good-1.0_x/seg.m4s',
                         ['/vod/clip.bin', 'Range: bytes=0-9']);
    main::settle(0.3);
    my $k = main::keys_line();
    $k =~ s/t{128}/T128/;
    "$st\n$k";
}
--- response_body
200 200 200 200 200 200 200 404 200 200 200 206
content:Good-1.0_x:caches content:clip.bin:caches content:T128:caches



=== TEST 7: at most presence_max claims per interval and worker; the others wait for a later request (logged)
--- http_config eval
$main::Steering . <<'_EOC_';
    playback_report isp-ny-2 interval=1s max_connections=100
                    presence=1m presence_max=2;
_EOC_
--- init
main::redis('FLUSHALL');
main::settle(1.1);
--- request
GET /vars?t=nothing
--- response_body_filters eval
sub {
    my ($k1, $k2);
    my $st = main::serve((map { "/vod/t$_/x" } 1 .. 5),
                         sub { main::settle(0.3);
                               $k1 = main::keys_line();
                               main::settle(0.8) },
                         '/vod/t3/x', '/vod/t1/x',
                         sub { main::settle(0.3);
                               $k2 = main::keys_line() });
    "$st\n$k1$k2";
}
--- response_body
200 200 200 200 200 200 200
content:t1:caches content:t2:caches
content:t1:caches content:t2:caches content:t3:caches
--- error_log
playback presence: more than 2 titles to claim in 1000 ms (presence_max=): the others wait for a later request



=== TEST 8: while Redis is down nothing is sent and the title is not taken for claimed: served again once Redis is back, it is
--- request
GET /vars?t=nothing
--- response_body_filters eval
sub {
    my $k;
    my $st = main::serve('/vod/t6/x',
                         sub { main::settle(0.3);
                               SteerTest::redis_stop();
                               main::settle(0.3) },
                         '/vod/outage/x',
                         sub { SteerTest::redis_start();
                               main::settle(0.3);
                               $k = main::keys_line();
                               main::settle(1.0) },
                         '/vod/outage/y',
                         sub { main::settle(0.3) });
    "$st\n$k" . main::keys_line();
}
--- response_body
200 200 200

content:outage:caches
--- error_log
redis 127.0.0.1:6391: connection lost
--- no_error_log
[alert]
[crit]
[emerg]
refused a claim
