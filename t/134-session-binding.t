# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: media requests bound to their playback session.
# The manifest call signs its URLs with the session (sid); once the
# session ends (DELETE, or its heartbeats stop for playback_stream_grace)
# its media requests are refused (403 session-ended) within 10 seconds,
# while other sessions play on; a heartbeat cannot bring an ended session
# back; segments are decided from the worker's cache, not by a Redis
# call each; with Redis away the check fails open or closed as
# playback_streams_fail says; a plain signed URL (no sid) plays unless
# playback_session_check is "required".  Against a real redis-server on a
# private port (6384); the media locations answer with empty_gif after
# the access phase.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use ConfTest;
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6384) }

repeat_each(1);
no_shuffle();
log_level('info');

our $Auth = "Authorization: Bearer "
    . PbTest::token(aud => 'api', sub => 'acct-s', profiles => 'p1',
                    tier => 'premium');

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT command_timeout=300ms;
_EOC_

our $Config = <<'_EOC_';
    playback_token on;
    playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    playback_stream_grace 2s;

    location /api/ {
        playback_token off;
        playback_api on;
        playback_api_base_url http://cdn.example;
    }

    location /vod/ {
        empty_gif;
    }

    location /vod/closed/ {
        playback_streams_fail closed;
        empty_gif;
    }

    location /vod/strict/ {
        playback_session_check required;
        empty_gif;
    }

    location /vod/unchecked/ {
        playback_session_check off;
        empty_gif;
    }

    location = /redis {
        playback_token off;
        return 200 "$playback_redis\n";
    }
_EOC_

# a new session of title $video: (session id, HLS path)
sub manifest {
    my ($video, $esn) = @_;
    my ($c, $b) = RedisTest::http('POST', '/api/v1/playback/manifest',
        [$Auth], qq({"video_id":"$video","profile_id":"p1",)
                 . qq("device":{"type":"tv","esn":"$esn"}}));
    die "manifest: $c $b" unless $c == 200;
    my ($sid) = $b =~ /"playback_session_id":"(\w+)"/;
    my ($hls) = $b =~ m{"hls":"http://cdn\.example([^"]+)"};
    die "no sid in the media token: $b" unless $b =~ /"degraded":\[\]/;
    return ($sid, $hls);
}

sub media {
    my ($c, $b) = RedisTest::http('GET', shift);
    my ($r) = $b =~ /"reason":"([\w-]+)"/;
    return $r ? "$c $r" : $c;
}

sub heartbeat {
    my ($sid, $at) = @_;
    my ($c) = RedisTest::http('PUT', '/api/v1/resume/p1/demo', [$Auth],
        qq({"position_ms":1000,"duration_ms":60000,"updated_at":$at,)
        . qq("session_id":"$sid"}));
    return $c;
}

# media requests of $hls every 250 ms until refused: how long it took;
# $each (if given) is called between them
sub until_refused {
    my ($hls, $limit, $each) = @_;
    my $t0 = Time::HiRes::time();
    while (Time::HiRes::time() - $t0 < $limit) {
        my $m = media($hls);
        return (Time::HiRes::time() - $t0, $m) if $m ne '200';
        $each->() if $each;
        Time::HiRes::sleep(0.25);
    }
    return ($limit, 'still 200');
}

# until the worker is connected again after a Redis outage
sub wait_up {
    for (1 .. 100) {
        my (undef, $b) = RedisTest::http('GET', '/redis');
        return if $b =~ /^up/;
        Time::HiRes::sleep(0.1);
    }
    die "the worker did not connect to Redis again";
}

sub exists_calls {
    my ($n) = RedisTest::cli('INFO', 'commandstats')
              =~ /cmdstat_exists:calls=(\d+)/;
    return $n // 0;
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('request', "GET /redis\n")
        unless defined $block->request;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

# the directive's configuration errors, with nginx -t
ConfTest::setup('ngx_stream_playback_module');
my $key = "$PbTest::Dir/k1.key";
ConfTest::run([
    [ 'required with Redis',
      "playback_redis 127.0.0.1:6399; playback_token_key k1 $key;"
      . " playback_token on; playback_session_check required ttl=2s;", 1 ],
    [ 'required without Redis',
      "playback_token_key k1 $key; playback_token on;"
      . " playback_session_check required;", 0,
      qr/"playback_session_check required" needs "playback_redis"/ ],
    [ 'a ttl over 5 s', "playback_session_check on ttl=30s;", 0,
      qr/"playback_session_check" ttl must be a time from 100ms to 5s, not "30s"/ ],
    [ 'an unknown mode', "playback_session_check maybe;", 0,
      qr/"playback_session_check" must be "off", "on" or "required", not "maybe"/ ],
]);

__DATA__

=== TEST 1: ended by DELETE: refused within 10 s, the other session plays
--- timeout: 30
--- response_body_filters eval
sub {
    my ($s1, $h1) = main::manifest('demo', 'ONE');
    my ($s2, $h2) = main::manifest('demo', 'TWO');
    my $before = main::media($h1) . " " . main::media($h2);
    my ($c) = RedisTest::http('DELETE', "/api/v1/playback/sessions/$s1",
                              [$main::Auth]);
    # the other session's player goes on with its heartbeats
    my $at = 100;
    my ($t, $m) = main::until_refused($h1, 12,
                                      sub { main::heartbeat($s2, $at++) });
    $_[0] . "before: $before\ndelete $c\n"
    . ($t < 10 ? "refused within 10 s: $m" : "not refused in 10 s: $m")
    . "\nthe other: " . main::media($h2)
    . "\nthe other's segment: " . main::media($h2 =~ s/master\.m3u8$/x.m4s/r)
    . "\n";
}
--- response_body
up
before: 200 200
delete 204
refused within 10 s: 403 session-ended
the other: 200
the other's segment: 200
--- error_log
playback session refused: session-ended, sub "acct-s"



=== TEST 2: ended by silence: heartbeats keep it, their lapse ends it
--- timeout: 30
--- response_body_filters eval
sub {
    my ($s, $h) = main::manifest('demo', 'HB');
    my @hb;
    for my $i (1 .. 4) {             # 4 s: twice the grace, kept alive
        push @hb, main::heartbeat($s, 1000 + $i) . "/" . main::media($h);
        Time::HiRes::sleep(1);
    }
    # silent from here: over at the grace (2 s), refused 10 s after that
    my ($t, $m) = main::until_refused($h, 14);
    $_[0] . "heartbeats: @hb\n"
    . ($t < 12 ? "refused within grace + 10 s: $m"
               : "not refused in time: $m") . "\n";
}
--- response_body
up
heartbeats: 204/200 204/200 204/200 204/200
refused within grace + 10 s: 403 session-ended



=== TEST 3: a heartbeat does not bring an ended session back
--- timeout: 30
--- response_body_filters eval
sub {
    my ($s, $h) = main::manifest('demo', 'BACK');
    RedisTest::http('DELETE', "/api/v1/playback/sessions/$s", [$main::Auth]);
    my $hb = main::heartbeat($s, 5000);
    my $alive = RedisTest::cli('EXISTS', "session:{acct-s}:$s");
    my $slot = RedisTest::cli('ZSCORE', 'streams:{acct-s}', $s);
    $_[0] . "heartbeat $hb, session $alive, slot [$slot], media "
    . main::media($h) . "\n";
}
--- response_body
up
heartbeat 204, session 0, slot [], media 403 session-ended



=== TEST 4: segments are decided from the cache: no Redis call each
--- response_body_filters eval
sub {
    my ($s, $h) = main::manifest('demo', 'CACHE');
    my $n0 = main::exists_calls();
    my @codes;
    push @codes, main::media($h =~ s/master\.m3u8$/seg-$_.m4s/r)
        for 1 .. 40;
    my $n = main::exists_calls() - $n0;
    my %seen = map { $_ => 1 } @codes;
    $_[0] . "codes " . CORE::join(',', sort keys %seen)
    . ", EXISTS calls " . ($n <= 2 ? "at most 2" : $n) . "\n";
}
--- response_body
up
codes 200, EXISTS calls at most 2



=== TEST 5: Redis away, no entry yet: fails open as configured
--- timeout: 30
--- response_body_filters eval
sub {
    my ($s, $h) = main::manifest('demo', 'OPEN');
    my ($sc, $hc) = main::manifest('closed', 'CLOSED');
    RedisTest::stop();
    my $open = main::media($h);
    my $closed = main::media($hc);
    RedisTest::start();
    "open: $open\nclosed: $closed\n";
}
--- response_body
open: 200
closed: 503 session-unknown
--- error_log
connection lost: Server closed the connection



=== TEST 6: Redis stuck: a first request waits the command timeout only
--- timeout: 30
--- response_body_filters eval
sub {
    main::wait_up();
    my ($s, $h) = main::manifest('demo', 'STUCK');
    my ($sc, $hc) = main::manifest('closed', 'STUCK2');
    RedisTest::pause();
    my $t0 = Time::HiRes::time();
    my $open = main::media($h);
    my $t = Time::HiRes::time() - $t0;
    RedisTest::resume();
    "open: $open " . ($t < 3 ? "quickly" : "after $t s") . "\n";
}
--- response_body
open: 200 quickly
--- error_log
no answer within 300 ms
connection lost: no answer in time



=== TEST 7: plain signed URLs (no sid) play; "required" refuses them
--- response_body_filters eval
sub {
    main::wait_up();
    my $plain = PbTest::token(path => '/vod/');
    my $forged = PbTest::token(path => '/vod/', sub => 'acct-s',
                               sid => 'never-issued');
    "plain: " . main::media("/t/$plain/vod/demo/x.m4s")
    . "\nrequired: " . main::media("/t/$plain/vod/strict/x.m4s")
    . "\nunknown sid: " . main::media("/t/$forged/vod/demo/x.m4s")
    . "\nunknown sid, check off: "
    . main::media("/t/$forged/vod/unchecked/x.m4s") . "\n";
}
--- response_body
plain: 200
required: 403 no-session
unknown sid: 403 session-ended
unknown sid, check off: 200
