# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: Redis Cluster, against three real masters on
# private ports (7001-7003, made a cluster with redis-cli --cluster
# create).  playback_redis cluster names two of them; the third is learnt
# from the slot map.  Accounts whose hash tag lands on each master: resume
# written and read, continue watching (its script declares every key),
# stream limits, each through the master of its slot; a slot moved to
# another master (MOVED) and a slot being migrated (ASK) are followed; a
# master that goes down answers 503 with one error line, and the edge
# comes back when it does.  Then steering on the same cluster: the edge's
# report (playback_report) read back per cache, and presence sets
# (content:{title}:caches) on every master found by a SCAN of each, as
# are the edge's claims of the titles it serves (presence=: a sorted set
# written by a script that declares its key, so on the key's master).
# Last, a replica (7004) added to a master that then stops: 503 until the
# cluster promotes it, then the edge follows the new map there.

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use RedisTest;
use SteerTest;
use File::Temp ();
use Time::HiRes ();
use Test::Nginx::Socket 'no_plan';

our ($Dir, %Pidfile, %Acct, %Auth, @Ports, $Src, $Down, %Title, %Claim);

# RedisTest's, under the names the blocks use
BEGIN {
    *cli_at = \&RedisTest::cli_at;
    *wait_for = \&RedisTest::wait_for;
}

sub node_start {
    my $port = shift;
    my $d = "$Dir/$port";
    mkdir $d;
    system('redis-server', '--port', $port, '--bind', '127.0.0.1',
           '--cluster-enabled', 'yes', '--cluster-config-file',
           "$d/nodes.conf", '--cluster-node-timeout', 1000,
           '--cluster-require-full-coverage', 'no', '--save', '',
           '--appendonly', 'no', '--daemonize', 'yes', '--pidfile',
           "$d/redis.pid", '--logfile', "$d/redis.log", '--dir', $d) == 0
        or die "redis-server $port did not start\n";
    $Pidfile{$port} = "$d/redis.pid";
    wait_for("redis-server $port", sub { cli_at($port, 'PING') eq 'PONG' });
}

sub node_stop {
    my $port = shift;
    open my $fh, '<', $Pidfile{$port} or return;
    my $pid = <$fh>;
    close $fh;
    return unless $pid && $pid =~ /^(\d+)/;
    $pid = $1;
    kill 'TERM', $pid;
    for (1 .. 250) {
        last unless kill 0, $pid;
        Time::HiRes::sleep(0.02);
    }
}

sub slot_of { cli_at(7001, 'CLUSTER', 'KEYSLOT', shift) }

# the port of the master that serves a slot, as the nodes see it now
sub owner {
    my ($slot, $asked) = @_;
    for my $l (split /\n/, cli_at($asked // 7001, 'CLUSTER', 'NODES')) {
        my ($id, $addr, $flags, @f) = split / /, $l;
        next unless $flags =~ /master/;
        my ($port) = $addr =~ /:(\d+)@/;
        for my $r (@f[5 .. $#f]) {
            next if $r =~ /^\[/;
            my ($a, $b) = split /-/, $r;
            $b //= $a;
            return $port if $slot >= $a && $slot <= $b;
        }
    }
    return 0;
}

sub node_id { cli_at(shift, 'CLUSTER', 'MYID') }

# a slot from one master to another, its keys with it; $finish 0 leaves it
# migrating (the source answers ASK for keys it no longer holds)
sub migrate {
    my ($slot, $dst, $finish) = @_;
    my $src = owner($slot);
    my ($sid, $did) = (node_id($src), node_id($dst));
    cli_at($dst, 'CLUSTER', 'SETSLOT', $slot, 'IMPORTING', $sid) eq 'OK'
        or die "IMPORTING\n";
    cli_at($src, 'CLUSTER', 'SETSLOT', $slot, 'MIGRATING', $did) eq 'OK'
        or die "MIGRATING\n";
    my @keys = split /\n/,
        cli_at($src, 'CLUSTER', 'GETKEYSINSLOT', $slot, 1000);
    if (@keys) {
        cli_at($src, 'MIGRATE', '127.0.0.1', $dst, '', 0, 5000, 'KEYS',
               @keys) eq 'OK' or die "MIGRATE\n";
    }
    finish($slot, $dst) if $finish;
    return $src;
}

sub finish {
    my ($slot, $dst) = @_;
    my $did = node_id($dst);
    for my $p (@Ports) {
        cli_at($p, 'CLUSTER', 'SETSLOT', $slot, 'NODE', $did) eq 'OK'
            or die "SETSLOT NODE on $p\n";
    }
    wait_for("slot $slot on $dst everywhere", sub {
        !grep { owner($slot, $_) != $dst } @Ports });
}

BEGIN {
    @Ports = (7001, 7002, 7003);
    PbTest::setup();
    SteerTest::setup();
    $Dir = File::Temp::tempdir('cluster-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    node_start($_) for @Ports;
    system(CORE::join(' ', 'redis-cli --cluster create',
                      (map "127.0.0.1:$_", @Ports),
                      "--cluster-yes >$Dir/create.log 2>&1")) == 0
        or die "redis-cli --cluster create failed (see $Dir/create.log)\n";
    for my $p (@Ports) {
        wait_for("the cluster seen by $p", sub {
            cli_at($p, 'CLUSTER', 'INFO') =~ /cluster_state:ok/ });
    }
    # an account whose hash tag ({acct-N}) lands on each master
    for my $n (1 .. 100) {
        my $port = owner(slot_of("acct-$n"));
        $Acct{$port} //= "acct-$n";
        last if keys %Acct == 3;
    }
    die "no account on every master\n" unless keys %Acct == 3;
    # a title whose presence set lands on each master
    for my $n (1 .. 100) {
        $Title{owner(slot_of("content:t$n:caches"))} //= "t$n";
        last if keys %Title == 3;
    }
    die "no title on every master\n" unless keys %Title == 3;
    # and one the edge claims on each
    for my $n (1 .. 100) {
        $Claim{owner(slot_of("content:c$n:caches"))} //= "c$n";
        last if keys %Claim == 3;
    }
    die "no claimed title on every master\n" unless keys %Claim == 3;
    for my $port (keys %Acct) {
        $Auth{$port} = "Authorization: Bearer "
            . PbTest::token(aud => q(api), sub => $Acct{$port},
                            profiles => 'p1', tier => 'basic');
    }
}

END {
    node_stop($_) for keys %Pidfile;
}

repeat_each(1);
no_shuffle();
workers(1);
log_level('info');

our $HttpConfig = <<'_EOC_';
    playback_redis cluster 127.0.0.1:7001 127.0.0.1:7002
                   connect_timeout=300ms command_timeout=300ms backoff=400ms;
_EOC_

our $Config = <<'_EOC_';
    location /api/ {
        playback_api on;
        playback_token_key k1 $TEST_NGINX_PB_DIR/k1.key;
        playback_stream_grace 5s;
        playback_api_base_url http://cdn-1.example/;
    }

    location = /redis {
        return 200 "$playback_redis\n";
    }
_EOC_

sub up {
    wait_for('the edge connected', sub {
        (RedisTest::http('GET', '/redis'))[1] eq "up\n" });
}

sub put {
    my ($port, $title, $pos, $at) = @_;
    my ($code) = RedisTest::http('PUT', "/api/v1/resume/p1/$title",
        [$Auth{$port}],
        qq({"position_ms":$pos,"duration_ms":100000,"updated_at":$at}));
    return $code;
}

sub get {
    my ($port, $uri) = @_;
    return RedisTest::http('GET', $uri, [$Auth{$port}]);
}

sub position {
    my ($port, $title) = @_;
    my ($code, $body) = get($port, "/api/v1/resume/p1/$title");
    my ($pos) = $body =~ /"position_ms":(\d+)/;
    return "$code " . ($pos // '-');
}

sub manifest {
    my ($port, $esn) = @_;
    my ($code) = RedisTest::http('POST', '/api/v1/playback/manifest',
        [$Auth{$port}],
        qq({"video_id":"demo","profile_id":"p1","device":{"type":"tv",)
        . qq("esn":"$esn","drm_capabilities":["widevine"]}}));
    return $code;
}

# the masters the edge loaded its scripts on (SCRIPT LOAD on every node's
# connection), and how often it had to send a script's text (NOSCRIPT)
sub scripts {
    my (@loaded, $evals);
    $evals = 0;
    for my $p (@Ports) {
        my $stats = cli_at($p, 'INFO', 'commandstats');
        push @loaded, $p if $stats =~ /cmdstat_script\|load:calls=([5-9]|\d\d)/;
        $evals += $1 if $stats =~ /cmdstat_eval:calls=(\d+)/;
    }
    return "loaded on @loaded, EVAL fallbacks $evals";
}

# the key of an account's resume position, from the master that holds it
sub stored {
    my ($port, $title) = @_;
    my $key = "playback:{$Acct{$port}}:p1:$title";
    my $at = owner(slot_of($Acct{$port}));
    return cli_at($at, 'HGET', $key, 'position');
}

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the slot map (the third master learnt from it): a write to each master
--- init
main::up();
--- request
GET /redis
--- response_body_filters eval
sub {
    my @out;
    for my $p (@main::Ports) {
        push @out, main::put($p, 't1', 10000 + $p, 1) . ' '
                   . main::stored($p, 't1');
    }
    CORE::join(', ', @out) . "\n";
}
--- response_body
204 17001, 204 17002, 204 17003
--- no_error_log
[error]



=== TEST 2: resume read back from each master
--- request
GET /redis
--- response_body_filters eval
sub { CORE::join(', ', map { main::position($_, 't1') } @main::Ports) . "\n" }
--- response_body
200 17001, 200 17002, 200 17003
--- no_error_log
[error]



=== TEST 3: continue watching: the script over declared keys, on the account's master
--- init
for my $t (qw(t2 t3)) {
    main::put($_, $t, 20000, 2 + ($t eq 't3')) == 204 or die "PUT\n"
        for @main::Ports;
}
--- request
GET /redis
--- response_body_filters eval
sub {
    CORE::join("\n", map {
        my ($c, $b) = main::get($_, '/api/v1/continue-watching/p1');
        "$c " . CORE::join(',', $b =~ /"title":"(\w+)"/g)
    } @main::Ports) . "\n" . main::scripts() . "\n";
}
--- response_body
200 t3,t2,t1
200 t3,t2,t1
200 t3,t2,t1
loaded on 7001 7002 7003, EVAL fallbacks 0
--- no_error_log
[error]



=== TEST 4: stream limits through the cluster: a slot, then 429 for a second device
--- request
GET /redis
--- response_body_filters eval
sub {
    my $p = 7002;
    main::manifest($p, 'ESN-1') . ' ' . main::manifest($p, 'ESN-2') . ' '
    . main::cli_at(main::owner(main::slot_of($main::Acct{$p})), 'ZCARD',
                   "streams:{$main::Acct{$p}}") . "\n";
}
--- response_body
200 429 1
--- error_log
at its limit of 1 streams, answering 429
--- no_error_log
[error]



=== TEST 5: a slot moved to another master: MOVED is followed, writes land there
--- init
my $slot = main::slot_of($main::Acct{7001});
main::migrate($slot, 7002, 1);
--- request
GET /redis
--- response_body_filters eval
sub {
    my $pos = main::position(7001, 't1');
    my $put = main::put(7001, 't1', 50000, 5);
    "$pos $put " . main::owner(main::slot_of($main::Acct{7001})) . ' '
    . main::cli_at(7002, 'HGET', "playback:{$main::Acct{7001}}:p1:t1",
                   'position') . "\n";
}
--- response_body
200 17001 204 7002 50000
--- no_error_log
[error]



=== TEST 6: a slot being migrated: ASK is followed (ASKING, then the command), the map unchanged
--- init
my $slot = main::slot_of($main::Acct{7003});
$main::Src = main::migrate($slot, 7001, 0);
--- request
GET /redis
--- response_body_filters eval
sub {
    my $pos = main::position(7003, 't1');
    my ($c, $b) = main::get(7003, '/api/v1/continue-watching/p1');
    my $out = "$pos $c " . CORE::join(',', $b =~ /"title":"(\w+)"/g)
              . ' ' . main::owner(main::slot_of($main::Acct{7003})) . ' '
              . main::cli_at(7003, 'CLUSTER', 'COUNTKEYSINSLOT',
                             main::slot_of($main::Acct{7003})) . "\n";
    main::finish(main::slot_of($main::Acct{7003}), 7001);
    $out;
}
--- response_body
200 17003 200 t3,t2,t1 7003 0
--- no_error_log
[error]



=== TEST 7: a master down: 503 for its accounts with one error line, the others served; back when it is
--- init
$main::Down = main::owner(main::slot_of($main::Acct{7002}));
main::node_stop($main::Down);
--- request
GET /redis
--- response_body_filters eval
sub {
    # the master of 7003's account (moved to 7001) stays up
    my @out = (main::position(7002, 't1'), main::position(7002, 't1'),
               main::position(7003, 't1'));
    # the master back, empty (the suite keeps no data on disk)
    main::node_start($main::Down);
    my $back = 0;
    for (1 .. 100) {
        last if ($back = main::put(7002, 't1', 60000, 7)) == 204;
        Time::HiRes::sleep(0.1);
    }
    CORE::join(', ', "$main::Down down", @out, "back $back",
         main::position(7002, 't1')) . "\n";
}
--- response_body
7002 down, 503 -, 503 -, 200 17003, back 204, 200 60000
--- grep_error_log eval: qr/\[error\].*/
--- grep_error_log_out eval
qr/\A[^\n]*redis 127\.0\.0\.1:7002: connection lost: [^\n]*\n([^\n]*redis cluster: 127\.0\.0\.1:7002 answered CLUSTERDOWN [^\n]*\n)?\z/



=== TEST 8: steering on the cluster: the edge's report read back, presence found on every master, sets and the edge's claims
--- http_config
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_state_max_age 5s;
    steering_subset 1;
    steering_redis cluster 127.0.0.1:7001 command_timeout=300ms
                   backoff=400ms;
    steering_presence_interval 300ms;
    steering_redis_state on;

    playback_redis cluster 127.0.0.1:7003 command_timeout=300ms
                   backoff=400ms;
    playback_report isp-ny-2 interval=200ms max_connections=10
                    presence=10s;
--- config
    location = /vars {
        steering_title $arg_t;
        return 200 "$steering_primary $steering_presence\n";
    }

    location /vod/ {
        return 200 "served\n";
    }
--- more_headers
X-Forwarded-For: 203.0.113.5
--- init
for my $p (@main::Ports) {
    main::cli_at($p, 'SADD', "content:$main::Title{$p}:caches", 'isp-ny-2')
        == 1 or die "SADD on $p\n";
    # served until the edge, connected, has claimed it
    main::wait_for("the claim on $p", sub {
        RedisTest::http('GET', "/vod/$main::Claim{$p}/seg.m4s");
        Time::HiRes::sleep(0.05);
        main::cli_at($p, 'EXISTS', "content:$main::Claim{$p}:caches") == 1
    });
}
Time::HiRes::sleep(1.5);
--- request
GET /vars?t=none
--- response_body_filters eval
sub {
    $_[0] . CORE::join('', map {
        my (undef, $b) = RedisTest::http('GET', "/vars?t=$main::Title{$_}",
                                         ['X-Forwarded-For: 203.0.113.5']);
        "$_: $b";
    } @main::Ports) . CORE::join('', map {
        my $key = "content:$main::Claim{$_}:caches";
        my (undef, $b) = RedisTest::http('GET', "/vars?t=$main::Claim{$_}",
                                         ['X-Forwarded-For: 203.0.113.5']);
        "$_ claimed: " . main::cli_at($_, 'TYPE', $key) . ' '
        . main::cli_at($_, 'ZRANGE', $key, 0, -1) . ", $b";
    } @main::Ports);
}
--- response_body
isp-ny-2 0
7001: isp-ny-2 1
7002: isp-ny-2 1
7003: isp-ny-2 1
7001 claimed: zset isp-ny-2, isp-ny-2 1
7002 claimed: zset isp-ny-2, isp-ny-2 1
7003 claimed: zset isp-ny-2, isp-ny-2 1
--- no_error_log
[error]



=== TEST 9: a master fails over to its replica: 503 meanwhile, then the edge follows the map to the new master
--- init
main::up();
main::node_start(7004);
my $mid = main::node_id(7001);
system("redis-cli --cluster add-node 127.0.0.1:7004 127.0.0.1:7002 "
       . "--cluster-slave --cluster-master-id $mid "
       . ">$main::Dir/add-node.log 2>&1") == 0 or die "add-node\n";
main::wait_for('7004 in sync with 7001', sub {
    main::cli_at(7004, 'INFO', 'replication') =~ /master_link_status:up/ });
main::put(7003, 't9', 33000, 9) == 204 or die "PUT\n";
main::cli_at(7001, 'WAIT', 1, 2000) == 1 or die "WAIT\n";
main::node_stop(7001);
--- request
GET /redis
--- response_body_filters eval
sub {
    my ($refused, $r) = (0, '');
    for (1 .. 150) {
        $r = main::position(7003, 't9');
        last if $r =~ /^200 /;
        $refused++;
        Time::HiRes::sleep(0.1);
    }
    ($refused ? 'refused first' : 'never refused') . ", then $r, "
    . (main::cli_at(7004, 'ROLE') =~ /^master/ ? '7004 master' : '?')
    . "\n";
}
--- response_body
refused first, then 200 33000, 7004 master
--- grep_error_log eval: qr/\[error\].*/
--- grep_error_log_out eval
qr/\A([^\n]*127\.0\.0\.1:7001[^\n]*\n)+\z/
