# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the playback API when Redis goes away, with one
# worker and a real redis-server on a private port (6383): killed and
# restarted mid-test (503 at once, degraded manifests, service back by
# itself), stopped with SIGSTOP (API requests answered 503 after the
# command timeout while static requests of the same worker keep their
# latency), and playback_streams_fail closed.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use IO::Socket::INET ();
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

BEGIN { PbTest::setup(); RedisTest::start(6383) }

repeat_each(1);
no_shuffle();
workers(1);
log_level('info');

our $Auth = "Authorization: Bearer "
    . PbTest::token(aud => q(api), sub => 'acct-o', profiles => 'p1', tier => 'basic');
our $Report = '';

our $HttpConfig = <<'_EOC_';
    playback_redis 127.0.0.1:$TEST_NGINX_REDIS_PORT connect_timeout=300ms
                   command_timeout=300ms backoff=400ms;
_EOC_

our $Config = <<'_EOC_';
    location /api/ {
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
        playback_api_base_url http://edge.example;
    }

    location = /static {
        return 200 "static\n";
    }
_EOC_

our $Closed = $Config;
$Closed =~ s/playback_api on;/playback_api on;\n        playback_streams_fail closed;/;

our $Manifest = qq({"video_id":"demo","profile_id":"p1","device":)
                . qq({"type":"tv"}});

sub wait_up {
    for (1 .. 100) {
        my ($c) = RedisTest::http('GET', '/api/v1/resume/p1/t1', [$Auth]);
        return if $c == 200;
        Time::HiRes::sleep(0.05);
    }
    die "the API did not come back\n";
}

# while Redis is stopped: API requests in flight, static ones timed
sub stalled {
    my @api;
    for (1 .. 5) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
            PeerPort => $ENV{TEST_NGINX_SERVER_PORT}) or die "connect: $!";
        print $s "GET /api/v1/resume/p1/t1 HTTP/1.1\r\nHost: x\r\n"
                 . "$Auth\r\nConnection: close\r\n\r\n";
        push @api, [$s, Time::HiRes::time()];
    }
    my $max = 0;
    my $n = 0;
    for (1 .. 20) {
        my $t0 = Time::HiRes::time();
        my ($c, $b) = RedisTest::http('GET', '/static');
        my $dt = Time::HiRes::time() - $t0;
        $max = $dt if $dt > $max;
        $n++ if $c == 200 && $b eq "static\n";
        Time::HiRes::sleep(0.01);
    }
    my ($n503, $lo, $hi) = (0, 99, 0);
    for my $a (@api) {
        my ($s, $t0) = @$a;
        local $/;
        my $resp = <$s> // '';
        my $dt = Time::HiRes::time() - $t0;
        $n503++ if $resp =~ m{^HTTP/1\.1 503 } && $resp =~ /"unavailable"/;
        $lo = $dt if $dt < $lo;
        $hi = $dt if $dt > $hi;
    }
    open my $fh, '<', $Test::Nginx::Socket::ErrLogFile or die "log: $!";
    my $logged = grep { /redis 127\.0\.0\.1:6383: no answer within 300 ms/ }
                 <$fh>;
    close $fh;
    $Report = sprintf "static %d/20 ok, slowest under 50 ms: %s\n"
                      . "api %d/5 answered 503 in 0.25 to 1.5 s: %s\n"
                      . "logged the stuck Redis: %s\n",
                      $n, $max < 0.05 ? 'yes' : "no ($max s)",
                      $n503, $lo >= 0.25 && $hi < 1.5 ? 'yes'
                                                       : "no ($lo..$hi)",
                      $logged ? 'yes' : 'no';
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth)
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: Redis up
--- init
main::wait_up();
--- request
PUT /api/v1/resume/p1/t1
{"position_ms":30000,"duration_ms":100000,"updated_at":1}
--- error_code: 204



=== TEST 2: Redis killed: 503 at once, with Retry-After
--- init
RedisTest::stop();
Time::HiRes::sleep(0.1);
--- request
GET /api/v1/resume/p1/t1
--- error_code: 503
--- timeout: 0.25
--- response_headers
Retry-After: 1
--- response_body
{"error":"unavailable","reason":"playback state store unavailable"}
--- error_log
redis 127.0.0.1:6383: connection lost: Server closed the connection
playback api: redis 127.0.0.1:6383: not connected, answering 503



=== TEST 3: a PUT while Redis is down: 503, nothing else breaks
--- request
PUT /api/v1/resume/p1/t1
{"position_ms":40000,"duration_ms":100000,"updated_at":2}
--- error_code: 503
--- response_body
{"error":"unavailable","reason":"playback state store unavailable"}



=== TEST 4: a manifest while Redis is down (fail open): degraded
--- request eval
"POST /api/v1/playback/manifest\n$main::Manifest"
--- response_body_like
"bookmarks":\{"resume_position_ms":0\},.*"degraded":\["stream_limits","resume_position"\]\}
--- error_log
answered without Redis: stream limits not enforced resume position 0



=== TEST 5: static requests do not notice
--- request
GET /static
--- response_body
static



=== TEST 6: Redis restarted: service resumes by itself
--- init
RedisTest::start();
main::wait_up();
--- request
PUT /api/v1/resume/p1/t1
{"position_ms":50000,"duration_ms":100000,"updated_at":3}
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . RedisTest::state('playback:{acct-o}:p1:t1') }
--- response_body
playback:{acct-o}:p1:t1 device= duration=100000 last_updated=3 position=50000 session_id= ttl=2592000



=== TEST 7: Redis stopped (SIGSTOP): API requests wait the command timeout, static ones do not
--- init
RedisTest::pause();
main::stalled();
--- request
GET /api/v1/resume/p1/t1
--- error_code: 503
--- timeout: 1
--- response_body_filters eval
sub { $_[0] =~ s/"reason":"[^"]*"/"reason":R/r . $main::Report }
--- response_body
{"error":"unavailable","reason":R}
static 20/20 ok, slowest under 50 ms: yes
api 5/5 answered 503 in 0.25 to 1.5 s: yes
logged the stuck Redis: yes
--- error_log
redis 127.0.0.1:6383: no answer within 300 ms
redis 127.0.0.1:6383: connection lost: no answer in time



=== TEST 8: Redis continued (SIGCONT): service resumes by itself
--- init
RedisTest::resume();
main::wait_up();
--- request
GET /api/v1/resume/p1/t1
--- response_body
{"profile":"p1","title":"t1","position_ms":50000,"duration_ms":100000,"updated_at":3,"device":null}



=== TEST 9: playback_streams_fail closed: no manifest without Redis
--- config eval
$main::Closed
--- init
main::wait_up();
RedisTest::stop();
Time::HiRes::sleep(0.1);
--- request eval
"POST /api/v1/playback/manifest\n$main::Manifest"
--- error_code: 503
--- response_body
{"error":"unavailable","reason":"playback state store unavailable"}
--- error_log
redis 127.0.0.1:6383: connection lost: Server closed the connection



=== TEST 10: fail closed, Redis up: the manifest comes
--- config eval
$main::Closed
--- init
RedisTest::start();
main::wait_up();
--- request eval
"POST /api/v1/playback/manifest\n$main::Manifest"
--- response_body_like
"degraded":\[\]\}
