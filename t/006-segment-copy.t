# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: a CMAF segment whose samples are scattered in small
# ranges is read into memory and sent from there (see
# vod_sendfile_min_range); it must be byte for byte the segment sendfile
# sends.  Every CMAF segment of every test title, video and audio, five
# ways: sendfile (vod_sendfile_min_range 0), read in the worker as the
# body is sent (in buffers of 128k and of 1k, most ranges then read in
# parts), and under "aio threads" read in a thread (the title dropped from
# the page cache first) and in the worker (from the page cache,
# RWF_NOWAIT); with a range and HEAD too.  Not a block file: it walks the
# playlists of its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use Test::More;

my $media = VodTest::media();
my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 9;
my $dir = VodTest::nginx_dir('vodcopy');

VodTest::nginx_start($dir, <<"_EOC_");
    vod_index_cache vod_index:16m;
    server {
        listen 127.0.0.1:$port;
        location /sendfile/ {
            alias $media/;
            vod_package;
            vod_sendfile_min_range 0;
        }
        location /read/ {
            alias $media/;
            vod_package;
            vod_sendfile_min_range 64m;
        }
        location /read-small/ {
            alias $media/;
            vod_package;
            vod_sendfile_min_range 64m;
            vod_stream_buffer_size 1k;
        }
        location /thread/ {
            alias $media/;
            vod_package;
            vod_sendfile_min_range 64m;
            aio threads;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 10);
my $base = "http://127.0.0.1:$port";

sub get { my $r = $http->get("$base$_[0]", $_[1] ? { headers => $_[1] } : ());
          return $r }

# a header as sent: repeated ones joined, a missing one "(none)"
sub header {
    my $v = $_[0]->{headers}{$_[1]};
    return ref $v ? join(' | ', @$v) : $v // '(none)';
}

my @titles = VodTest::titles();

my $segments = 0;
my $cold = 0;
# thread tasks, counted in the log per request: the reads after a drop of
# the page cache that went to a thread, and the reads from the page cache
# that did (none should)
my $log_off = 0;
my $task_re = qr/read task posted to the thread pool/;
my ($through_thread, $warm_tasks) = (0, 0);
# the walk drops titles from the page cache: never beside the other
# suite that does (t/006, t/007; held to the end)
my $page_cache_lock = VodTest::page_cache_lock();

for my $title (@titles) {
    my $master = get("/sendfile/$title/master.m3u8");
    next unless $master->{success};
    my @playlists = $master->{content} =~ /^((?:video|audio)-[^\s"]+\.m3u8)/mg;
    push @playlists, $master->{content} =~ /URI="((?:audio)-[^"]+\.m3u8)"/g;
    my %seen;
    for my $pl (grep { !$seen{$_}++ } @playlists) {
        my $list = get("/sendfile/$title/$pl");
        ok($list->{success}, "$title/$pl") or next;
        for my $seg ($list->{content} =~ /^(\S+\.m4s)$/mg) {
            my $want = get("/sendfile/$title/$seg");
            my $read = get("/read/$title/$seg");
            my $small = get("/read-small/$title/$seg");
            # from the disk (a thread reads), then from the page cache
            # (the worker reads, RWF_NOWAIT)
            $cold++ if VodTest::drop_cache("$media/$title");
            VodTest::log_count($dir, \$log_off, $task_re);
            my $thread = get("/thread/$title/$seg");
            $through_thread++
                if VodTest::log_count($dir, \$log_off, $task_re) > 0;
            my $warm = get("/thread/$title/$seg");
            $warm_tasks += VodTest::log_count($dir, \$log_off, $task_re);
            my $name = "$title/$seg";
            $segments++;
            ok($want->{status} == 200 && length $want->{content} > 0,
               "$name: sendfile 200");
            ok($read->{content} eq $want->{content},
               "$name: read in the worker, the same bytes");
            ok($small->{content} eq $want->{content},
               "$name: read 1k at a time, the same bytes");
            ok($thread->{content} eq $want->{content},
               "$name: read in a thread, the same bytes");
            ok($warm->{content} eq $want->{content},
               "$name: aio threads, from the page cache, the same bytes");
            is($read->{headers}{etag}, $want->{headers}{etag},
               "$name: the same ETag");
            # the edge refuses renditions above a viewer's tier by it:
            # once, on every path (a thread's read once sent it twice)
            my $rendition = header($want, 'x-vod-rendition');
            is(header($thread, 'x-vod-rendition'), $rendition,
               "$name: read in a thread, X-Vod-Rendition once");
            is(header($warm, 'x-vod-rendition'), $rendition,
               "$name: aio threads, from the page cache, X-Vod-Rendition "
               . "once");
            is(header($read, 'x-vod-rendition'), $rendition,
               "$name: read in the worker, X-Vod-Rendition once");
        }
    }
}
ok($segments >= 20, "$segments segments compared");

# a range and HEAD of a read segment
my $full = get('/sendfile/demo/video-1080p-1.m4s')->{content};
my $part = get('/read/demo/video-1080p-1.m4s', { Range => 'bytes=1000-1999' });
is($part->{status}, 206, 'range of a read segment: 206');
ok($part->{content} eq substr($full, 1000, 1000), 'range: the right bytes');
my $head = $http->request('HEAD', "$base/thread/demo/video-1080p-1.m4s");
is($head->{status}, 200, 'HEAD: 200');
is($head->{headers}{'content-length'}, length $full,
   'HEAD: the full length');

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;
is(scalar @bad, 0, 'nothing logged as an error') or diag(@bad[0 .. 4]);
my $reads = grep { /sample ranges read into memory/ } @log;
ok($reads >= $segments, "the read path ran ($reads segments; it is not "
   . "a comparison of sendfile with itself)");
# a read task per segment read after its title left the page cache (not
# every one: audio segments go by sendfile), none for the same segments
# read again from the page cache (it would be twice as many)
my $tasks = grep { /read task posted to the thread pool/ } @log;
if ($cold) {
    ok($through_thread > 0 && $tasks <= $cold, "reads from the disk went "
       . "to a thread ($through_thread of $cold segments read after "
       . "dropping the page cache, $tasks tasks)");
    is($warm_tasks, 0, 'no read from the page cache went to a thread');
} else {
    VodTest::cannot('the page cache cannot be dropped here: no read '
                    . 'checked to go through a thread');
}

done_testing();
