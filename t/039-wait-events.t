# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: a request that waits for a thread task (a thumbnail's
# decode, a moov parsed, a TS segment muxed) gets write events of its
# connection meanwhile, and must not run its step again.  nginx calls a
# request's write handler on any event of a socket once its write event
# is active: epoll reports EPOLLOUT with the EPOLLIN of a next request's
# bytes.  Run then, the step posted a second task, or finished the
# request and freed it while its task was out, whose end then wrote into
# freed memory (the origin's crash in the fleet tests).
#
# Each check: a keepalive connection whose first response hit EAGAIN (a
# 2 MB file through a 16k send buffer to a client not reading yet), then
# the request that waits, then a next request's bytes one at a time while
# it waits.  The waiting request's answer must be the one a plain request
# gets, with one task per piece of work, and the next request answered.
# Then the same with a client that closes the connection while its
# request waits (the fleet's "link cut"): one task per piece of work, and
# the worker goes on.  Another request's decode keeps the location's one
# thread busy, so that each task waits long enough in the pool's queue.
# Not a block file: it drives its own nginx with a raw socket.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use Socket qw(SOL_SOCKET SO_RCVBUF IPPROTO_TCP TCP_NODELAY);
use IO::Socket::INET;
use Time::HiRes qw(sleep);
use Test::More;

my $media = VodTest::media();
my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 14;
my $dir = VodTest::nginx_dir('vodwait');
mkdir "$dir/html";
chmod 0755, "$dir/html";

my $blob_len = 2 * 1024 * 1024;
VodTest::spit("$dir/html/blob", join '', map { chr(($_ * 7) & 0xff) }
                                          1 .. $blob_len);
VodTest::spit("$dir/html/next", "next\n");

VodTest::wait_server($dir, "        listen 127.0.0.1:$port sndbuf=16k;",
                     <<"_EOC_");
        location /big/ {
            alias $dir/html/;
        }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 0, timeout => 20);
my $base = "http://127.0.0.1:$port";

my $log_off = 0;

# one response off the socket, the bytes read past it left in $$buf:
# status, body
sub read_response {
    my ($sock, $buf) = @_;
    while ($$buf !~ /\r\n\r\n/) {
        my $n = sysread($sock, $$buf, 65536, length $$buf);
        return undef unless $n;
    }
    my ($head, $rest) = split /\r\n\r\n/, $$buf, 2;
    my ($status) = $head =~ m{^HTTP/1\.1 (\d+)};
    my ($len) = $head =~ /^Content-Length: (\d+)/mi;
    $len //= 0;
    while (length $rest < $len) {
        my $n = sysread($sock, $rest, 65536, length $rest);
        last unless $n;
    }
    $$buf = substr($rest, $len);
    return { status => $status, body => substr($rest, 0, $len) };
}

# the request of $path waiting for its task on a connection whose write
# event is active (&$before run just before it is sent), a next request
# trickling in meanwhile; returns the waiting request's response and the
# next one's.  With $leave, the client closes the connection instead
# while the request waits (the peer's FIN is an event too), and nothing
# is returned.
sub wait_with_events {
    my ($path, $before, $leave) = @_;
    my $sock = IO::Socket::INET->new(Proto => 'tcp') or die $!;
    setsockopt($sock, SOL_SOCKET, SO_RCVBUF, 4096) or die $!;
    # each byte its own segment, not held for the server's delayed ACK
    setsockopt($sock, IPPROTO_TCP, TCP_NODELAY, 1) or die $!;
    $sock->connect(Socket::pack_sockaddr_in($port,
                                            Socket::inet_aton('127.0.0.1')))
        or die "connect: $!";
    $sock->autoflush(1);

    # the first response fills the socket: nginx's write event goes active
    print $sock "GET /big/blob HTTP/1.1\r\nHost: localhost\r\n\r\n";
    sleep 0.2;
    my $buf = '';
    my $first = read_response($sock, \$buf);
    die "the first response: " . ($first ? $first->{status} : 'none')
        unless $first && $first->{status} == 200
               && length $first->{body} == $blob_len;

    $before->();
    print $sock "GET $path HTTP/1.1\r\nHost: localhost\r\n\r\n";

    if ($leave) {
        sleep 0.01;
        close $sock;
        return;
    }

    for my $c (split //, "GET /big/next HTTP/1.1\r\nHost: localhost\r\n"
                         . "Connection: close\r\n\r\n") {
        sleep 0.004;
        print $sock $c;
    }

    my $waited = read_response($sock, \$buf);
    my $next = read_response($sock, \$buf);
    close $sock;
    return ($waited, $next);
}

# decoded by the other request: the last frame of a 2 s GOP, 1080p
my $blocker_path = '/t/demo/thumb-1080p-1900.jpg';

# wait_with_events($path, $before, $leave), with the other request's
# decode put in the pool's one thread just before $path is asked: the
# task waits in its queue, long enough for the events.  Returns the other
# request's response, then wait_with_events's.
sub behind_a_decode {
    my ($path, $leave) = @_;
    my $blocker = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                        Proto => 'tcp') or die $!;
    $blocker->autoflush(1);
    my @got = wait_with_events($path, sub {
        print $blocker "GET $blocker_path HTTP/1.1\r\nHost: localhost\r\n"
                       . "Connection: close\r\n\r\n";
        sleep 0.01;
    }, $leave);
    my $buf = '';
    my $blocked = read_response($blocker, \$buf);
    close $blocker;
    return ($blocked, @got);
}

# the lines the log got since the last call
sub logged { VodTest::log_since($dir, \$log_off) }

# the tasks of the request that asked for $path, from the lines of its
# connection: "index PATH", "ts PATH" and "picture" for each posted.
# Another request's tasks (the other decode's) are on its own connection;
# how many indexes a cold request parses in threads depends on what the
# other request's task or the shared index cache has kept by then, so the
# checks are that no piece of work is posted twice and that some is
sub tasks_of {
    my ($path, @lines) = @_;
    my ($conn) = map { /\*(\d+) http request line: "GET \Q$path\E / ? $1 : () }
                 @lines;
    return () unless defined $conn;
    return map {
        /\*$conn vod: "([^"]+)": (\w+) task posted/ ? "$2 $1"
        : /\*$conn vod: picture: \d+ frames decoded/ ? 'picture' : ()
    } @lines;
}

# "N distinct of M": no piece of work posted twice when N == M
sub distinct {
    my %seen;
    $seen{$_}++ for @_;
    return scalar(keys %seen) . ' distinct of ' . scalar(@_);
}

# $must: a kind of task (picture, index, ts) the request must have posted
sub check {
    my ($name, $path, $must, $cold) = @_;
    # what a plain request gets: in the worker, and a location of its
    # own, as manifests are kept per location and would not be made again
    (my $plain_path = $path) =~ s{^/t/}{/plain/};
    my $plain = $http->get("$base$plain_path");
    ok($plain->{status} == 200, "$name: a plain request, 200")
        or diag($plain->{status});

    VodTest::drop_cache("$media/demo") if $cold;
    logged();

    my ($blocked, $waited, $next) = behind_a_decode($path);
    my @lines = logged();
    my $events = grep { /write event while a thread task is out/ } @lines;
    my @tasks = tasks_of($path, @lines);

    ok($waited && $waited->{status} == 200
       && $waited->{body} eq $plain->{content},
       "$name: 200, the plain request's bytes")
        or diag($waited ? "status $waited->{status}, "
                          . length($waited->{body}) . ' bytes' : 'none');
    ok($next && $next->{status} == 200 && $next->{body} eq "next\n",
       "$name: the next request answered")
        or diag($next ? $next->{status} : 'none');
    ok((grep { /^$must\b/ } @tasks) && distinct(@tasks) =~ /^(\d+) .* \1$/,
       "$name: its $must task(s), none posted again")
        or diag(distinct(@tasks) . ": @tasks");
    ok($events > 0, "$name: write events came while a task was out "
       . "($events)");
    ok($blocked && $blocked->{status} == 200, "$name: the other "
       . 'request, 200');
}

check('tile sheet', '/t/demo/tiles-1080p-1.jpg', 'picture', 0);

# the client goes away while its request waits: the task ends, the
# response goes nowhere, and the worker goes on
sub check_gone {
    my ($name, $path, $must, $cold) = @_;
    (my $plain_path = $path) =~ s{^/t/}{/plain/};
    my $want = $http->get("$base$plain_path");

    VodTest::drop_cache("$media/demo") if $cold;
    logged();

    my ($blocked) = behind_a_decode($path, 1);

    # the tasks queued behind the other request's decode end shortly
    # after: until both requests are closed
    my @lines;
    for (1 .. 100) {
        sleep 0.1;
        push @lines, logged();
        last if grep({ /http close request/ } @lines) >= 2;
    }
    my $events = grep { /write event while a thread task is out/ } @lines;
    my @tasks = tasks_of($path, @lines);

    ok($blocked && $blocked->{status} == 200, "$name: the other "
       . 'request, 200');
    ok($events > 0, "$name: the client's leaving came while a task was "
       . "out ($events)");
    ok((grep { /^$must\b/ } @tasks) && distinct(@tasks) =~ /^(\d+) .* \1$/,
       "$name: its $must task(s), none posted again")
        or diag(distinct(@tasks) . ": @tasks");
    my $after = $http->get("$base$path");
    ok($want->{status} == 200 && $after->{status} == 200
       && $after->{content} eq $want->{content},
       "$name: the same request afterwards, 200 and its bytes");
}

check_gone('tile sheet, the client gone', '/t/demo/tiles-1080p-1.jpg',
           'picture', 0);

# indexes and a TS segment from the disk, when the page cache can be
# dropped (else the worker reads them, RWF_NOWAIT, and nothing waits)
my $page_cache_lock = VodTest::page_cache_lock();
if (VodTest::drop_cache("$media/demo")) {
    check('multivariant playlist, indexes parsed in threads',
          '/t/demo/master.m3u8', 'index', 1);
    check('TS segment muxed in a thread', '/t/demo/ts-1080p-2.ts', 'ts', 1);
    # not the playlist above: the worker keeps a manifest it made
    check_gone('MPD, the client gone', '/t/demo/manifest.mpd', 'index', 1);
} else {
    VodTest::cannot('the page cache cannot be dropped here: no moov '
                    . 'parsed nor TS segment muxed in a thread');
}
undef $page_cache_lock;

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;
is(scalar @bad, 0, 'nothing logged as an error') or diag(@bad[0 .. 4]);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
