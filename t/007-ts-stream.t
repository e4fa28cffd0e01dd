# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: MPEG-TS segments are packetized into a small buffer
# that is sent and refilled (vod_stream_buffer_size).  Every TS segment of
# every test title must be byte for byte the same whatever the buffer:
# one buffer for the whole segment, a 1k buffer (each buffer then one PES,
# most larger than the buffer size), under "aio threads" read by a thread
# (the title dropped from the page cache first) and from the page cache in
# the worker (RWF_NOWAIT), over a socket with a 4k send buffer and
# limit_rate (the writes stop half way and go on from write events), as a
# range, a HEAD, an SSI subrequest, and a client that goes away in the
# middle.  Also a CMAF segment read as it is sent (the same buffers) whose
# file is truncated half way.  Not a block file: it walks the playlists of
# its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use IO::Socket::INET;
use Test::More;

my $media = VodTest::media();
my $vodpkg = "$FindBin::Bin/../bin/vodpkg";
my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 10;
my $slow_port = $port + 1;
my $dir = VodTest::nginx_dir('vodts');
mkdir "$dir/html";
chmod 0755, "$dir/html";    # the worker reads page.html

# a title to truncate while a segment of it is being sent
mkdir "$dir/cut";
mkdir "$dir/cut/t";
chmod 0755, "$dir/cut", "$dir/cut/t";
system('cp', "$media/demo/1080p.mp4", "$dir/cut/t/1080p.mp4") == 0
    or die "cp: $?";

open my $page, '>', "$dir/html/page.html" or die $!;
print $page "before<!--# include virtual=\"/small/demo/ts-360p-2.ts\" -->"
          . "after";
close $page;

VodTest::nginx_start($dir, <<"_EOC_");
    vod_index_cache vod_index:16m;
    sendfile on;
    tcp_nopush on;
    server {
        listen 127.0.0.1:$port;
        location /whole/ {
            alias $media/;
            vod_package;
            vod_stream_buffer_size 64m;
        }
        location /small/ {
            alias $media/;
            vod_package;
            vod_stream_buffer_size 1k;
        }
        location /thread/ {
            alias $media/;
            vod_package;
            vod_stream_buffer_size 1k;
            aio threads;
        }
        location /ssi/ {
            alias $dir/html/;
            ssi on;
            ssi_types *;
        }
    }
    server {
        listen 127.0.0.1:$slow_port sndbuf=4k;
        location /slow/ {
            alias $media/;
            vod_package;
            vod_stream_buffer_size 16k;
            limit_rate_after 64k;
            limit_rate 4m;
        }
        location /cut/ {
            alias $dir/cut/;
            vod_package;
            vod_sendfile_min_range 64m;
            vod_stream_buffer_size 16k;
            limit_rate 256k;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 20);
my $base = "http://127.0.0.1:$port";
my $slow = "http://127.0.0.1:$slow_port";

sub get { my $r = $http->get("$_[0]", $_[1] ? { headers => $_[1] } : ());
          return $r }

my @titles = VodTest::titles();

my $segments = 0;
my $cold = 0;
# thread tasks, counted in the log per request: the reads after a drop of
# the page cache that went to a thread, and the reads from the page cache
# that did (none should)
my $log_off = 0;
my $task_re = qr/ts task posted to the thread pool/;
my ($through_thread, $warm_tasks) = (0, 0);
# the walk drops titles from the page cache: never beside the other
# suite that does (t/006, t/007; held to the end)
my $page_cache_lock = VodTest::page_cache_lock();

my %first;
for my $title (@titles) {
    my $master = get("$base/whole/$title/master-ts.m3u8");
    next unless $master->{success};
    my @playlists = $master->{content} =~ /^(ts-[^\s"]+\.m3u8)/mg;
    for my $pl (@playlists) {
        my $list = get("$base/whole/$title/$pl");
        ok($list->{success}, "$title/$pl") or next;
        for my $seg ($list->{content} =~ /^(\S+\.ts)$/mg) {
            my $name = "$title/$seg";
            my $want = get("$base/whole/$title/$seg");
            my $small = get("$base/small/$title/$seg");
            # from the disk (a thread reads), then from the page cache
            # (the worker reads, RWF_NOWAIT)
            # counted only when every page left: after a partial drop
            # (another reader of the media brought pages back) a thread
            # may read or not, and says nothing either way
            my $dropped = VodTest::drop_cache("$media/$title");
            $cold++ if $dropped;
            VodTest::log_count($dir, \$log_off, $task_re);
            my $thread = get("$base/thread/$title/$seg");
            $through_thread++
                if VodTest::log_count($dir, \$log_off, $task_re) > 0
                   && $dropped;
            my $warm = get("$base/thread/$title/$seg");
            my $posted = VodTest::log_count($dir, \$log_off, $task_re);
            # a page the kernel evicted in between (the suite beside this
            # one under prove -j2 takes memory too) is read from the disk
            # again, rightly; a read from the page cache never goes to a
            # thread: the same segment once more
            if ($posted > 0) {
                get("$base/thread/$title/$seg");
                $posted = VodTest::log_count($dir, \$log_off, $task_re);
            }
            $warm_tasks += $posted;
            $segments++;
            $first{$name} = $want->{content} if $seg =~ /-1\.ts$/;
            ok($want->{status} == 200 && length($want->{content}) > 0
               && length($want->{content}) % 188 == 0,
               "$name: 200, whole packets");
            is($want->{headers}{'content-length'}, length $want->{content},
               "$name: Content-Length");
            ok($small->{content} eq $want->{content},
               "$name: a 1k buffer, the same bytes");
            ok($thread->{content} eq $want->{content},
               "$name: after a thread read, the same bytes");
            ok($warm->{content} eq $want->{content},
               "$name: aio threads, from the page cache, the same bytes");
            is($small->{headers}{etag}, $want->{headers}{etag},
               "$name: the same ETag");
        }
    }
}
ok($segments >= 10, "$segments segments compared");

# the whole buffer is what the core makes in one piece (vodpkg)
SKIP: {
    skip 'bin/vodpkg not built', 1 unless -x $vodpkg;
    my $ref = `$vodpkg ts $media/demo/1080p.mp4 1`;
    ok($ref eq $first{'demo/ts-1080p-1.ts'}, 'demo/ts-1080p-1.ts is '
       . 'what vodpkg ts makes (' . length($ref) . ' bytes)');
}

# a full socket and limit_rate: the body stops and goes on from write
# events, over keep-alive, several times
my $full = get("$base/whole/demo/ts-1080p-2.ts")->{content};
for my $i (1 .. 3) {
    my $r = get("$slow/slow/demo/ts-1080p-2.ts");
    ok($r->{status} == 200 && $r->{content} eq $full,
       "full socket and limit_rate, request $i: the same "
       . length($full) . ' bytes');
}

# ranges: inside the first buffer, across many, the end, past the end
my $len = length $full;
for my $range ([100, 299], [5000, 150000], [$len - 1000, $len - 1],
               [$len - 188, undef])
{
    my ($from, $to) = @$range;
    my $spec = "bytes=$from-" . ($to // '');
    my $r = get("$base/small/demo/ts-1080p-2.ts", { Range => $spec });
    $to //= $len - 1;
    is($r->{status}, 206, "$spec: 206");
    ok($r->{content} eq substr($full, $from, $to - $from + 1),
       "$spec: the right bytes");
    is($r->{headers}{'content-range'}, "bytes $from-$to/$len",
       "$spec: Content-Range");
}
my $suffix = get("$base/small/demo/ts-1080p-2.ts", { Range => 'bytes=-376' });
ok($suffix->{status} == 206 && $suffix->{content} eq substr($full, -376),
   'suffix range: the last two packets');
is(get("$base/small/demo/ts-1080p-2.ts", { Range => "bytes=$len-" })
       ->{status}, 416, 'range past the end: 416');

my $head = $http->request('HEAD', "$base/small/demo/ts-1080p-2.ts");
is($head->{status}, 200, 'HEAD: 200');
is($head->{headers}{'content-length'}, $len, 'HEAD: the full length');
is($head->{content} // '', '', 'HEAD: no body');

# a subrequest gets its body in one buffer: SSI puts it between its text
my $ssi = get("$base/ssi/page.html");
my $part = get("$base/whole/demo/ts-360p-2.ts")->{content};
ok($ssi->{status} == 200 && $ssi->{content} eq "before${part}after",
   'SSI include of a TS segment: the same bytes in place ('
   . length($ssi->{content}) . ')');

# clients that go away in the middle of a segment
for my $i (1 .. 5) {
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$slow_port",
                                     Proto => 'tcp') or die $!;
    print $sock "GET /slow/demo/ts-1080p-2.ts HTTP/1.1\r\n"
              . "Host: localhost\r\n\r\n";
    my $got = '';
    while (length $got < 20000) {
        my $n = sysread($sock, my $chunk, 4096);
        last unless $n;
        $got .= $chunk;
    }
    close $sock;
    ok(length $got >= 20000, "client $i left after " . length($got)
       . ' bytes');
}
select(undef, undef, undef, 0.5);
my $after = get("$slow/slow/demo/ts-1080p-2.ts");
ok($after->{status} == 200 && $after->{content} eq $full,
   'the next request after those: the whole segment');

# a CMAF segment read as it is sent, its file truncated half way: the
# response stops short (a cache in front sees the length is wrong), the
# log says why, and the worker goes on
{
    my $sock = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$slow_port",
                                     Proto => 'tcp') or die $!;
    print $sock "GET /cut/t/video-1080p-1.m4s HTTP/1.1\r\n"
              . "Host: localhost\r\nConnection: close\r\n\r\n";
    my $got = '';
    while (length $got < 30000) {
        my $n = sysread($sock, my $chunk, 4096);
        last unless $n;
        $got .= $chunk;
    }
    truncate "$dir/cut/t/1080p.mp4", 4096 or die "truncate: $!";
    while (1) {
        my $n = sysread($sock, my $chunk, 65536);
        last unless $n;
        $got .= $chunk;
    }
    close $sock;
    my ($head, $body) = split /\r\n\r\n/, $got, 2;
    my ($clen) = $head =~ /^Content-Length: (\d+)/mi;
    ok($head =~ m{^HTTP/1.1 200} && $clen > 100000
       && length($body) < $clen, 'file truncated while sent: the body '
       . 'stops at ' . length($body) . " of $clen bytes");
    is(get("$slow/cut/t/video-1080p-1.m4s")->{status}, 502,
       'the truncated file afterwards: 502');
}

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;
my @cut = grep { m{/cut/} } @bad;
ok((grep { /response cut short/ } @cut)
   && (grep { /end of file reading \d+ bytes at/ } @cut),
   'the cut response is logged with its reason') or diag(@cut);
@bad = grep { !m{/cut/} } @bad;
is(scalar @bad, 0, 'nothing else logged as an error') or diag(@bad[0 .. 4]);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');
# a TS segment read after its title left the page cache goes to a thread
# (not always: readahead of an earlier read can bring pages back, so not
# an exact count; and one request may post several tasks, one per piece
# of the segment whose pages are missing, so tasks are not bounded by
# requests); the same segment read again from the page cache does not
my $tasks = grep { /ts task posted to the thread pool/ } @log;
if ($cold) {
    ok($through_thread > 0,
       "reads from the disk went "
       . "to a thread ($through_thread of $cold segments read after "
       . "dropping the page cache, $tasks tasks)");
    is($warm_tasks, 0, 'no read from the page cache went to a thread');
} else {
    VodTest::cannot('the page cache cannot be dropped here: no read '
                    . 'checked to go through a thread');
}
my $waits = grep { /vod stream: waiting for the socket/ } @log;
ok($waits >= 3, "bodies waited for the socket ($waits times): the write "
   . 'event path ran');

done_testing();
