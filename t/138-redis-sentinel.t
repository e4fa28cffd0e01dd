# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: Redis behind Sentinel, against real servers on
# private ports: a master (6388), its replica (6389) and a sentinel
# (26388) watching them as "vodm".  playback_redis sentinel:vodm asks the
# sentinel for the master and writes there; a failover (SENTINEL FAILOVER)
# makes the replica the master, and the edge follows it on the
# sentinel's +switch-master message (a notice line): within a few
# seconds writes land on the new master; a sentinel that does not know
# the name, or no sentinel at all, keeps the API at 503 with a line that says why.
# The watch PINGs its sentinel each second and leaves one that hangs
# (SIGSTOP) after 3 s of silence, subscribing again once it is back.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use File::Temp ();
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

our ($Dir, @Pids);

# RedisTest's, under the names the blocks use
BEGIN {
    *cli_at = \&RedisTest::cli_at;
    *wait_for = \&RedisTest::wait_for;
}

sub daemon {
    my ($name, @args) = @_;
    system('redis-server', @args, '--daemonize', 'yes',
           '--pidfile', "$Dir/$name.pid", '--logfile', "$Dir/$name.log",
           '--dir', $Dir) == 0 or die "$name did not start\n";
    push @Pids, "$Dir/$name.pid";
}

BEGIN {
    PbTest::setup();
    RedisTest::start(6388);
    $Dir = File::Temp::tempdir('sentinel-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    daemon('replica', '--port', 6389, '--bind', '127.0.0.1', '--save', '',
           '--appendonly', 'no', '--replicaof', '127.0.0.1', 6388);
    open my $fh, '>', "$Dir/sentinel.conf" or die "sentinel.conf: $!";
    print $fh "port 26388\nbind 127.0.0.1\n"
        . "sentinel monitor vodm 127.0.0.1 6388 1\n"
        . "sentinel down-after-milliseconds vodm 1000\n"
        . "sentinel failover-timeout vodm 10000\n";
    close $fh;
    daemon('sentinel', "$Dir/sentinel.conf", '--sentinel');
    wait_for('the replica in sync', sub {
        cli_at(6389, 'INFO', 'replication') =~ /master_link_status:up/ });
    wait_for('the sentinel sees the replica', sub {
        cli_at(26388, 'SENTINEL', 'replicas', 'vodm') =~ /6389/ });
}

END {
    for my $f (@Pids) {
        open my $fh, '<', $f or next;
        my $pid = <$fh>;
        close $fh;
        kill 'TERM', $1 if $pid && $pid =~ /^(\d+)/;
    }
}

repeat_each(1);
no_shuffle();
workers(1);
log_level('info');

our $Auth = "Authorization: Bearer "
    . PbTest::token(aud => q(api), sub => 'acct-s', profiles => 'p1',
                    tier => 'basic');

our $HttpConfig = <<'_EOC_';
    playback_redis sentinel:vodm 127.0.0.1:26399 127.0.0.1:26388
                   connect_timeout=300ms command_timeout=300ms backoff=400ms;
_EOC_

our $Config = <<'_EOC_';
    location /api/ {
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
    }

    location = /redis {
        return 200 "$playback_redis\n";
    }
_EOC_

sub put_body {
    my ($pos, $at) = @_;
    return qq({"position_ms":$pos,"duration_ms":100000,"updated_at":$at});
}

sub sentinel_signal {
    my ($sig) = @_;
    open my $fh, '<', "$Dir/sentinel.pid" or die "sentinel.pid: $!";
    my ($pid) = <$fh> =~ /(\d+)/;
    kill $sig, $pid or die "kill $sig $pid: $!";
}

sub up {
    wait_for('the edge connected', sub {
        (RedisTest::http('GET', '/redis'))[1] eq "up\n" });
}

# the failover, then PUTs until one is acknowledged: how many were refused
our $Refused;

sub failover {
    cli_at(26388, 'SENTINEL', 'FAILOVER', 'vodm') eq 'OK'
        or die "SENTINEL FAILOVER refused\n";
    wait_for('the replica promoted', sub {
        cli_at(6389, 'ROLE') =~ /^master/ });
    # until the old master is told it is a replica, it takes writes that
    # the failover loses (see the README)
    wait_for('the old master demoted', sub {
        cli_at(6388, 'ROLE') =~ /^slave/ });
    $Refused = 0;
    for my $i (1 .. 100) {
        my ($code) = RedisTest::http('PUT', '/api/v1/resume/p1/t1', [$Auth],
                                     put_body(60000, 5000 + $i));
        return if $code == 204;
        $Refused++;
        Time::HiRes::sleep(0.05);
    }
    die "no write acknowledged after the failover\n";
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('more_headers', $Auth)
        unless defined $block->more_headers;
});

run_tests();

__DATA__

=== TEST 1: the master found through the second sentinel (the first is down)
--- init
main::up();
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(30000, 1000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . main::cli_at(6388, 'HGET', 'playback:{acct-s}:p1:t1', 'position') . "\n" }
--- response_body
30000
--- no_error_log
[error]



=== TEST 2: a failover: the edge follows the new master
--- init
main::up();
main::failover();
--- request
GET /api/v1/resume/p1/t1
--- response_body_filters eval
sub { main::cli_at(6389, 'HGET', 'playback:{acct-s}:p1:t1', 'position')
      . ' ' . ($main::Refused < 40 ? 'quickly' : "after $main::Refused refusals")
      . ' ' . (main::cli_at(6388, 'ROLE') =~ /^(slave|master)/ ? $1 : '?')
      . "\n" }
--- response_body
60000 quickly slave
--- error_log
redis sentinel:vodm: the sentinels switched master "vodm" to 127.0.0.1:6389: moving to it
--- grep_error_log eval: qr/redis sentinel:vodm: (?:connection lost to|the sentinels switched master "vodm" to) \S+/
--- grep_error_log_out
redis sentinel:vodm: the sentinels switched master "vodm" to 127.0.0.1:6389:



=== TEST 3: a master name no sentinel knows: 503, and why
--- http_config
    playback_redis sentinel:nosuch 127.0.0.1:26388 connect_timeout=2s
                   command_timeout=2s backoff=400ms;
--- init
Time::HiRes::sleep(0.6);
--- request
GET /api/v1/resume/p1/t1
--- error_code: 503
--- error_log
redis sentinel:nosuch: cannot connect to 127.0.0.1:26388: sentinel 127.0.0.1:26388 knows no master "nosuch"



=== TEST 4: no sentinel answers: 503, and why
--- http_config
    playback_redis sentinel:vodm 127.0.0.1:26399 connect_timeout=300ms
                   command_timeout=300ms backoff=400ms;
--- init
Time::HiRes::sleep(0.6);
--- request
GET /api/v1/resume/p1/t1
--- error_code: 503
--- error_log
redis sentinel:vodm: cannot connect to 127.0.0.1:26399: Connection refused



=== TEST 5: the master made a replica behind Sentinel's back: READONLY, then ROLE refuses it
--- init
main::up();
main::cli_at(6389, 'REPLICAOF', '127.0.0.1', '6388') eq 'OK' or die "REPLICAOF\n";
main::wait_for('6389 a replica', sub { main::cli_at(6389, 'ROLE') =~ /^slave/ });
RedisTest::http('PUT', '/api/v1/resume/p1/t1', [$main::Auth], main::put_body(70000, 9000));
Time::HiRes::sleep(0.3);
--- request
GET /api/v1/resume/p1/t1
--- error_code: 503
--- error_log
answered an error: READONLY
redis sentinel:vodm: connection lost to 127.0.0.1:6389: 127.0.0.1:6389 turned replica (READONLY)
127.0.0.1:6389 is a slave, not the master



=== TEST 6: the master back: writes land again
--- init
main::cli_at(6389, 'REPLICAOF', 'NO', 'ONE') eq 'OK' or die "REPLICAOF NO ONE\n";
main::up();
--- request eval
"PUT /api/v1/resume/p1/t1\n" . main::put_body(80000, 10000)
--- error_code: 204
--- response_body_filters eval
sub { $_[0] . main::cli_at(6389, 'HGET', 'playback:{acct-s}:p1:t1', 'position') . "\n" }
--- response_body
80000



=== TEST 7: the watch PINGs its sentinel once a second, quietly while it answers
--- init
main::up();
Time::HiRes::sleep(3.5);
--- request
GET /redis
--- response_body_filters eval
sub { my ($w) = grep { /\bsub=1\b/ }
                split /\n/, main::cli_at(26388, 'CLIENT', 'LIST');
      $_[0] . (($w // '') =~ /\bidle=[01]\b.*\bcmd=ping\b/ ? "pinged\n"
               : "not pinged: " . ($w // 'no subscriber') . "\n") }
--- response_body
up
pinged
--- no_error_log
answered no PING
[error]



=== TEST 8: a sentinel that hangs: the watch leaves it after 3 s without an answer, and subscribes again once it is back
--- init
main::up();
main::sentinel_signal('STOP');
Time::HiRes::sleep(4.5);
main::sentinel_signal('CONT');
main::wait_for('the watch subscribed again', sub {
    main::cli_at(26388, 'CLIENT', 'LIST') =~ /\bsub=1\b/ });
Time::HiRes::sleep(0.5);
--- request
GET /redis
--- response_body
up
--- error_log
redis sentinel:vodm +switch-master: connection lost to 127.0.0.1:26388: the sentinel answered no PING in 3 s; a failover is noticed on errors only
redis sentinel:vodm +switch-master: connected again, service restored
