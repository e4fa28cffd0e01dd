# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: state updates racing fleet reloads.  Every cache's state
# must land in that cache's slot whatever the fleet's order, whichever
# worker applies it and whenever the fleet is reloaded (nginx -s reload
# with a fleet file reordered, caches removed and added, or the file
# re-read in service).  Each cache's load encodes its own number (cache
# cK always reports a load 0.K...; the origin 0.9...), and its health its
# number's parity, so a state written into another cache's slot shows as
# a wrong digit.  State comes from PUT /steering/caches/{id} and from
# Redis (steering_redis_state on, the real redis-server of
# t/inc/SteerTest.pm on 6391), two workers.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';
use RedisTest ();
use List::Util ();
use Time::HiRes ();

BEGIN { SteerTest::setup(); SteerTest::redis_start() }

sub redis { SteerTest::redis_cli(@_) }

sub num { my $id = shift; return $id eq 'origin' ? 9 : substr($id, 1) }

# fleet(ID, ...): a fleet of these caches (all IXPs) and the origin
sub fleet {
    my @c = map {
        qq({"id": "$_", "url": "http://127.0.1.) . num($_)
        . qq(:8096", "tier": "ixp", "capacity_gbps": 10})
    } @_;
    push @c, '{"id": "origin", "url": "http://127.0.0.1:8096", '
             . '"tier": "origin"}';
    SteerTest::write_file('fleet.json',
                          "{\"caches\": [\n    " . join(",\n    ", @c)
                          . "\n]}\n");
}

# a report of cache ID in Redis: load 0.K + n/10000, healthy if K is odd
sub report {
    my ($id, $n, $updated) = @_;
    redis('HSET', "steering:cache:$id", 'load',
          sprintf('0.%d%03d', num($id), $n), 'healthy', num($id) % 2,
          'updated', $updated // time);
}

sub put {
    my ($id, $n) = @_;
    my $body = sprintf('{"load": 0.%d%03d, "healthy": %s}', num($id), $n,
                       num($id) % 2 ? 'true' : 'false');
    return (RedisTest::http('PUT', "/steering/caches/$id",
                            [SteerTest::sign('PUT', "/steering/caches/$id",
                                             $body)],
                            $body))[0];
}

sub hup {
    open my $fh, '<', $Test::Nginx::Socket::PidFile or die "pid: $!";
    my $pid = <$fh>;
    close $fh;
    kill 'HUP', $pid =~ /(\d+)/ or die "HUP: $!";
}

# "id load healthy" per reported cache of GET /steering/caches/, in order
sub states {
    my $body = shift;
    my $out = '';
    while ($body =~ /\{"id":"([^"]+)",[^{}]*?"healthy":(true|false),[^{}]*?
                     "load":(\d\.\d+),[^{}]*?"reported":true\}/xg)
    {
        $out .= "$1 $3 $2\n";
    }
    return $out;
}

# the reported caches whose state is not their own
sub foreign {
    my $states = shift;
    my @bad;
    for (split /\n/, $states) {
        push @bad, $_ and next if /^GET /;
        my ($id, $load, $healthy) = split / /;
        push @bad, $_ if substr($load, 2, 1) != num($id)
                         || ($healthy eq 'true') != num($id) % 2;
    }
    return @bad;
}

# (a worker shutting down after a reload closes a connection it accepted
# but did not read: nginx's graceful exit; asked again)
sub get_states {
    my ($code, $body);
    for (1 .. 3) {
        ($code, $body) = RedisTest::http('GET', '/steering/caches/',
            [SteerTest::sign('GET', '/steering/caches/', '')]);
        last if $code;
    }
    return $code == 200 ? states($body) : "GET status $code\n";
}

repeat_each(1);
no_shuffle();
log_level('info');
workers(2);

our $HttpConfig = <<'_EOC_';
    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_state_max_age off;
    steering_reload 1s;
    steering_redis 127.0.0.1:6391 command_timeout=300ms backoff=500ms;
    steering_presence_interval 500ms;
    steering_redis_state on;
_EOC_

our $Config = <<'_EOC_';
    location /steering/caches/ {
        steering state;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n")
        unless defined $block->no_error_log;
    SteerTest::sign_block($block);
});

BEGIN {
    fleet(qw(c1 c2 c3 c4 c5));
    # the newest report is c5's: written into the wrong slot it wins there
    my $t = time - 100;
    report("c$_", 0, $t + 10 * $_) for 1 .. 5;
    report('c6', 0, $t + 70);
    report('origin', 0, $t);
}

run_tests();

__DATA__

=== TEST 1: each cache's state from Redis is its own
--- init
select undef, undef, undef, 1.5;
--- request
GET /steering/caches/
--- response_body_filters eval
\&main::states
--- response_body
c1 0.1000 true
c2 0.2000 false
c3 0.3000 true
c4 0.4000 false
c5 0.5000 true
origin 0.9000 true



=== TEST 2: nginx -s reload with the fleet reordered, c2 and c4 removed and c6 added; nothing asks a new worker anything before its first poll from Redis
--- init
main::fleet(qw(c6 c5 c3 c1));
main::hup();
select undef, undef, undef, 2;
--- request
GET /steering/caches/
--- response_body_filters eval
\&main::states
--- response_body
c6 0.6000 false
c5 0.5000 true
c3 0.3000 true
c1 0.1000 true
origin 0.9000 true



=== TEST 3: under load: PUTs and Redis reports of every cache while the fleet is reloaded in service and by nginx -s reload, in turns, 12 times; every state read meanwhile is its cache's own
--- init
my @pool = qw(c1 c2 c3 c4 c5 c6 c7 c8);
my ($n, $reads, @bad) = (0, 0);
srand(208);
for my $round (1 .. 12) {
    my @f = List::Util::shuffle(grep { rand() < 0.6 } @pool);
    main::fleet(@f ? @f : 'c1');
    main::hup() if $round % 2;
    my $until = Time::HiRes::time() + 1.2;
    while (Time::HiRes::time() < $until) {
        $n = ($n + 1) % 1000;
        main::put($pool[$n % @pool], $n);
        main::report($pool[($n * 3) % @pool], $n);
        push @bad, main::foreign(main::get_states());
        $reads++;
    }
}
$main::Bad = join '', map { "$_\n" } @bad;
$main::Bad .= "only $reads reads\n" if $reads < 50;
# what the block's log check cannot see: the init runs before it starts
open my $log, '<', $Test::Nginx::Socket::ErrLogFile or die "log: $!";
$main::Bad .= CORE::join '', grep { /\[(alert|crit|emerg)\]/ } <$log>;
--- request
GET /steering/caches/
--- response_body_filters eval
sub { $main::Bad . CORE::join('', map { "$_\n" } main::foreign(main::states($_[0]))) }
--- response_body



=== TEST 4: a fleet whose new ids do not fit the zone's slots (1024 ids for the zone's life; 9 are taken) is not taken in service: the fleet before stays, whole, and says why
The fleet file is re-read by the poller's timer as well as by requests:
the whole log is searched.
--- init
SteerTest::write_file('fleet.json', '{"caches": ['
    . CORE::join(',', map { qq({"id": "d$_", "url": "http://127.0.2.1:8096", "tier": "ixp"}) } 1 .. 1020)
    . ', {"id": "origin", "url": "http://127.0.0.1:8096", "tier": "origin"}]}');
select undef, undef, undef, 1.5;
--- request
GET /steering/caches/origin
--- response_body_filters eval
sub {
    open my $fh, '<', $Test::Nginx::Socket::ErrLogFile or die "log: $!";
    my $log = CORE::join '', <$fh>;
    ($_[0] =~ /^\{"id":"origin",.*"load":(0\.9\d+),/ ? "origin $1\n" : $_[0])
    . ($log =~ /steering zone has no slot left for cache "d\d+": restart nginx/ ? "no slot logged\n" : "")
    . ($log =~ /steering fleet file ".*fleet\.json" not taken in service, the fleet loaded before stays/ ? "kept logged\n" : "")
}
--- response_body_like eval
qr/\Aorigin 0\.9\d+\nno slot logged\nkept logged\n\z/
--- error_log eval
[qr/steering zone has no slot left for cache "d\d+"/,
 qr/steering fleet file ".*fleet\.json" not taken in service/]
--- no_error_log
[alert]
[crit]
