# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package over HTTP/2: several streams of one connection wait for
# thread tasks at once (tile sheets, thumbnails, a multivariant playlist
# whose indexes are parsed in threads) while the connection has events
# of its own (PINGs, window updates, another stream's request), and
# streams are cancelled (RST_STREAM) or the connection is closed while
# their tasks are out.  Each stream's request is its own: one task per
# piece of work, never one posted again; a cancelled stream's task ends
# and the request is freed after it; the others get the bytes a plain
# HTTP/1.1 request gets; no worker crashes.  The location has a pool of
# one thread, which another request's decode keeps busy, so that the
# tasks wait in its queue.  t/039 is the same for HTTP/1.1.
# Not a block file: it drives its own nginx with a minimal HTTP/2 client
# (prior knowledge, cleartext; HPACK literals out, DATA frames in).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use IO::Socket::INET;
use IO::Select;
use Time::HiRes qw(sleep time);
use Test::More;

# a stream or a request that never ends fails the suite, not CI's run
$SIG{ALRM} = sub { die "t/041: over 180 s: something never ended\n" };
alarm 180;

# the page cache lock for the whole suite: its reads of the demo title
# would warm it under the feet of a suite that has just dropped it (t/039,
# side by side with this one under prove -j2), and its cold playlist
# needs the same
my $page_cache_lock = VodTest::page_cache_lock();

my $media = VodTest::media();
my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 15;
my $h1_port = $port + 1;
my $dir = VodTest::nginx_dir('vodh2');

VodTest::wait_server($dir, "        listen 127.0.0.1:$port http2;\n"
                           . "        listen 127.0.0.1:$h1_port;");

my $http = HTTP::Tiny->new(keep_alive => 0, timeout => 20);
my $base = "http://127.0.0.1:$h1_port";

# frame types and flags (RFC 9113, 6)
use constant {
    DATA => 0, HEADERS => 1, RST_STREAM => 3, SETTINGS => 4, PING => 6,
    GOAWAY => 7, WINDOW_UPDATE => 8,
    END_STREAM => 0x1, ACK => 0x1, END_HEADERS => 0x4,
};

sub frame {
    my ($type, $flags, $sid, $payload) = @_;
    $payload //= '';
    return pack('NCN', (length($payload) << 8) | $type, $flags, $sid)
           . $payload;
}

# HPACK (RFC 7541): a literal without indexing of an indexed name
sub literal {
    my ($index, $value) = @_;
    die "long header value" if length $value > 126;
    return chr($index) . chr(length $value) . $value;
}

sub connect_h2 {
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port",
                                     Proto => 'tcp') or die "connect: $!";
    $sock->autoflush(1);
    binmode $sock;
    # windows of 64 MB: no response here waits for a window update, and
    # the updates of 1 byte sent as events stay under the largest window
    print $sock "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
                frame(SETTINGS, 0, 0, pack('nN', 4, 1 << 26)),
                frame(WINDOW_UPDATE, 0, 0, pack('N', (1 << 26) - 65535));
    return { sock => $sock, buf => '', streams => {}, next => 1 };
}

# GET $path on a new stream: its id
sub request {
    my ($c, $path) = @_;
    my $sid = $c->{next};
    $c->{next} += 2;
    # :method GET (2), :scheme http (6), :path (4), :authority (1)
    my $block = "\x82\x86" . literal(4, $path) . literal(1, 'localhost');
    print { $c->{sock} } frame(HEADERS, END_HEADERS | END_STREAM, $sid,
                               $block);
    $c->{streams}{$sid} = { body => '', done => 0, reset => 0 };
    return $sid;
}

sub send_frame {
    my ($c, @f) = @_;
    print { $c->{sock} } frame(@f);
}

# frames in for up to $secs, or until &$until; SETTINGS and PINGs acked
sub pump {
    my ($c, $secs, $until) = @_;
    my $sel = IO::Select->new($c->{sock});
    my $end = time + $secs;
    while (time < $end) {
        return 1 if $until && $until->();
        next unless $sel->can_read(0.05);
        my $n = sysread($c->{sock}, $c->{buf}, 65536, length $c->{buf});
        if (!$n) {
            $c->{closed} = 1;
            return 0;
        }
        while (length $c->{buf} >= 9) {
            my ($len_type, $flags, $sid) = unpack('NCN', $c->{buf});
            my $len = $len_type >> 8;
            my $type = $len_type & 0xff;
            $sid &= 0x7fffffff;
            last if length $c->{buf} < 9 + $len;
            my $payload = substr($c->{buf}, 9, $len);
            substr($c->{buf}, 0, 9 + $len) = '';
            my $s = $c->{streams}{$sid};
            if ($type == DATA && $s) {
                $s->{body} .= $payload;
                $s->{done} = 1 if $flags & END_STREAM;
            } elsif ($type == HEADERS && $s) {
                $s->{headers} = 1;
                $s->{done} = 1 if $flags & END_STREAM;
            } elsif ($type == RST_STREAM && $s) {
                $s->{done} = 1;
                $s->{reset} = 1;
            } elsif ($type == SETTINGS && !($flags & ACK)) {
                send_frame($c, SETTINGS, ACK, 0);
            } elsif ($type == PING && !($flags & ACK)) {
                send_frame($c, PING, ACK, 0, $payload);
            } elsif ($type == GOAWAY) {
                $c->{goaway} = 1;
            }
        }
    }
    return $until ? $until->() : 1;
}

my $log_off = 0;

sub logged { VodTest::log_since($dir, \$log_off) }

sub plain {
    my ($path) = @_;
    (my $p = $path) =~ s{^/t/}{/plain/};
    my $res = $http->get("$base$p");
    die "$p: $res->{status}" unless $res->{status} == 200;
    return $res->{content};
}

# decoded by another request (HTTP/1.1): the last frame of a 2 s GOP at
# 1080p, which keeps the pool's one thread busy
my $blocker_path = '/t/demo/thumb-1080p-1900.jpg';
my $decode = qr/vod: picture: \d+ frames decoded/;

sub blocker {
    my $b = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$h1_port",
                                  Proto => 'tcp') or die $!;
    $b->autoflush(1);
    print $b "GET $blocker_path HTTP/1.1\r\nHost: localhost\r\n"
             . "Connection: close\r\n\r\n";
    sleep 0.01;
    return $b;
}

sub blocker_done {
    my ($b) = @_;
    my $res = '';
    my $sel = IO::Select->new($b);
    my $end = time + 30;
    while (time < $end && $sel->can_read(1)) {
        last unless sysread($b, $res, 65536, length $res);
    }
    close $b;
    return $res =~ m{^HTTP/1\.1 200 };
}

# ---------------------------------------------------------------------
# 1. four streams wait at once, the connection busy meanwhile

my @paths = ('/t/demo/tiles-1080p-1.jpg', '/t/demo/thumb-1080p-4000.jpg',
             '/t/demo/thumb-360p-2500.jpg', '/t/demo/tiles-360p-1.jpg');
my @pictures = @paths;
my %want = map { $_ => plain($_) } @paths;

# and a multivariant playlist whose three indexes are parsed in threads,
# when the page cache can be dropped (else the worker reads them)
$want{'/t/demo/master.m3u8'} = plain('/t/demo/master.m3u8');
if (VodTest::drop_cache("$media/demo")) {
    push @paths, '/t/demo/master.m3u8';
} else {
    VodTest::cannot('the page cache cannot be dropped here: no index '
                    . 'parsed in a thread for a stream');
}
logged();

my $b = blocker();
my $c = connect_h2();
my %sid = map { $_ => request($c, $_) } @paths;

# events on the connection while the tasks are out: pings, window
# updates, a stream for a playlist nginx makes at once
for my $i (1 .. 20) {
    send_frame($c, PING, 0, 0, pack('NN', 0, $i));
    send_frame($c, WINDOW_UPDATE, 0, 0, pack('N', 1));
    pump($c, 0.01);
}
my $m = request($c, '/t/demo/video-1080p.m3u8');

ok(pump($c, 30, sub { !grep { !$_->{done} } values %{ $c->{streams} } }),
   'concurrent streams: every stream ended')
    or diag($c->{goaway} ? 'GOAWAY' : $c->{closed} ? 'closed' : 'timeout');
for my $p (@paths) {
    my $s = $c->{streams}{$sid{$p}};
    ok(!$s->{reset} && $s->{body} eq $want{$p},
       "concurrent streams: $p, the plain request's bytes")
        or diag(($s->{reset} ? 'reset, ' : '') . length($s->{body})
                . ' bytes, want ' . length $want{$p});
}
ok($c->{streams}{$m}{body} =~ /^#EXTM3U/,
   'concurrent streams: the playlist asked meanwhile');
ok(blocker_done($b), 'concurrent streams: the other request, 200');
close $c->{sock};

my @lines = logged();
is(scalar(grep { $_ =~ $decode } @lines), @pictures + 1,
   'concurrent streams: one decode a picture and the other request\'s');
# the indexes parsed in threads for the connection's streams: a stream
# whose rendition's index is not in the shared cache yet parses its own
# (the tasks wait in the queue together), so at most one for each stream
# that needs it: 1080p's four (two pictures, both playlists), 360p's three
# (two pictures, the multivariant playlist), 720p's one (that playlist),
# which is cold (t/039, the other suite that reads it, does so under the
# page cache lock) where the others may not be
my ($h2c) = map { /\*(\d+) http2 request line: "GET \/t\/demo\/master/ ? $1 : () }
            @lines;
my %index;
$index{$_}++ for map { /\*$h2c vod: "[^"]*\/(\w+)\.mp4": index task posted/
                       ? $1 : () } @lines;
my %most = ('1080p' => 4, '360p' => 3, '720p' => 1);
ok(@paths > @pictures
   ? ($index{'720p'} // 0) == 1
     && !grep({ $index{$_} > ($most{$_} // 0) } keys %index)
   : !%index,
   'concurrent streams: the indexes parsed in threads, at most one a '
   . 'stream')
    or diag(join ' ', map { "$_ $index{$_}" } sort keys %index);

# ---------------------------------------------------------------------
# 1b. a playlist alone on its connection, its indexes cold: the last
# tasks to end are its own, and its response goes out when the last one
# runs the connection's posted requests (no other event comes)

if (@paths > @pictures) {
    my $mpd = '/t/demo/manifest.mpd';
    my $want_mpd = plain($mpd);
    VodTest::drop_cache("$media/demo");
    logged();
    $b = blocker();
    $c = connect_h2();
    my $sid = request($c, $mpd);
    ok(pump($c, 30, sub { $c->{streams}{$sid}{done} })
       && $c->{streams}{$sid}{body} eq $want_mpd,
       'playlist alone: its bytes when its index tasks end');
    ok(blocker_done($b), 'playlist alone: the other request, 200');
    close $c->{sock};
    ok(scalar(grep { /index task posted/ } logged()) >= 1,
       'playlist alone: indexes parsed in threads');
}

# ---------------------------------------------------------------------
# 2. a stream cancelled while its task waits; the other goes on

my $gone = '/t/demo/tiles-720p-1.jpg';
my $stays = '/t/demo/thumb-1080p-7000.jpg';
my $want_stays = plain($stays);
my $want_gone = plain($gone);
logged();

$b = blocker();
$c = connect_h2();
my $g = request($c, $gone);
my $st = request($c, $stays);
pump($c, 0.05);
send_frame($c, RST_STREAM, 0, $g, pack('N', 8));        # CANCEL
for my $i (1 .. 5) {
    send_frame($c, PING, 0, 0, pack('NN', 1, $i));
    pump($c, 0.01);
}

ok(pump($c, 30, sub { $c->{streams}{$st}{done} }),
   'cancelled stream: the other stream ended');
ok($c->{streams}{$st}{body} eq $want_stays,
   'cancelled stream: the other stream, the plain request\'s bytes');
ok(blocker_done($b), 'cancelled stream: the other request, 200');

# the cancelled stream's task ends after the other request's decode
@lines = ();
for (1 .. 100) {
    push @lines, logged();
    last if grep({ $_ =~ $decode } @lines) >= 3;
    sleep 0.1;
}
sleep 0.3;
push @lines, logged();
is(scalar(grep { $_ =~ $decode } @lines), 3,
   'cancelled stream: each picture decoded once, the cancelled one too');

# the connection still serves
my $again = request($c, $gone);
ok(pump($c, 30, sub { $c->{streams}{$again}{done} })
   && $c->{streams}{$again}{body} eq $want_gone,
   'cancelled stream: the same picture on a new stream, its bytes');
close $c->{sock};

# ---------------------------------------------------------------------
# 3. the connection closed with streams waiting, a cold playlist among
# them when the page cache can be dropped (its indexes parsed in threads)

my @left = ('/t/demo/thumb-720p-3000.jpg', '/t/demo/thumb-360p-7000.jpg');
my %want_left = map { $_ => plain($_) } @left;
my $cold = VodTest::drop_cache("$media/demo");
push @left, '/t/demo/master-ts.m3u8' if $cold;
logged();

$b = blocker();
$c = connect_h2();
request($c, $_) for @left;
pump($c, 0.05);
send_frame($c, GOAWAY, 0, 0, pack('NN', 0, 0));
close $c->{sock};
ok(blocker_done($b), 'connection closed: the other request, 200');

@lines = ();
for (1 .. 100) {
    push @lines, logged();
    last if grep({ $_ =~ $decode } @lines) >= 3;
    sleep 0.1;
}
sleep 0.5;
push @lines, logged();
is(scalar(grep { $_ =~ $decode } @lines), 3,
   'connection closed: each picture decoded once');
for my $p (grep { /\.jpg$/ } @left) {
    my $res = $http->get("$base$p");
    ok($res->{status} == 200 && $res->{content} eq $want_left{$p},
       "connection closed: $p afterwards, its bytes");
}
VodTest::cannot('the page cache cannot be dropped here: no cold playlist '
                . 'among the streams') unless $cold;

my @log = VodTest::nginx_stop($dir);
undef $page_cache_lock;
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;
is(scalar @bad, 0, 'nothing logged as an error') or diag(@bad[0 .. 4]);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
