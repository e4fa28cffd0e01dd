# vim:set ft= ts=4 sw=4 et:
#
# Metrics (README.md, "Metrics"): one vodedge_metrics endpoint in
# Prometheus' text format, checked strictly (t/inc/MetricsTest.pm); the
# packager's counters move by exactly the requests made (kind and status
# class, bytes, index cache hits, misses and evictions, thread tasks);
# the counts survive nginx -s reload; the endpoint refuses what it
# should.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use MetricsTest;
use File::Copy qw(copy);
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

our (%Body, $Cold);

# a title of its own that a block drops from the page cache, so its index
# is built in a thread
BEGIN {
    my $media = VodTest::media();
    $Cold = File::Temp::tempdir('vodcold-XXXXXX', TMPDIR => 1,
                                CLEANUP => 1);
    chmod 0755, $Cold;
    mkdir "$Cold/t" or die "$Cold/t: $!";
    copy("$media/demo/360p.mp4", "$Cold/t/360p.mp4") or die "copy: $!";
    $ENV{TEST_NGINX_COLD} = $Cold;
}

repeat_each(1);
no_shuffle();
log_level('info');

# the body bytes of the blocks' responses, by kind
sub body_of {
    my $kind = shift;
    return sub { $Body{$kind} += length $_[0]; return length $_[0] ? "ok\n" : '' };
}

# bytes sent by kind since the first scrape: at least the bodies, at most
# the bodies and 512 bytes of headers a response
sub bytes_sent {
    my ($text, %requests) = @_;
    my $out = '';
    for my $kind (sort keys %requests) {
        my $key = "vodedge_packager_sent_bytes_total{kind=\"$kind\"}";
        my $d = MetricsTest::value($text, $key)
                - $MetricsTest::Snap{start}{$key};
        my $min = $Body{$kind} // 0;
        my $max = $min + 512 * $requests{$kind};
        $out .= "$kind " . ($d >= $min && $d <= $max ? 'ok'
                            : "$d not in [$min, $max]") . "\n";
    }
    return $out;
}

sub hup {
    open my $fh, '<', $Test::Nginx::Socket::PidFile or die "pid: $!";
    my $pid = <$fh>;
    close $fh;
    kill 'HUP', $pid =~ /(\d+)/ or die "HUP: $!";
    # the new workers answer once the old ones have gone
    select undef, undef, undef, 1.5;
}

our $HttpConfig = <<'_EOC_';
    vod_index_cache vod_index:1m;
_EOC_

our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }
    location /cold/ {
        alias $TEST_NGINX_COLD/;
        vod_package;
        aio threads;
    }
    location = /metrics {
        vodedge_metrics;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
});

run_tests();

__DATA__

=== TEST 1: the endpoint: every packager family, in Prometheus' text format, all zero
--- request
GET /metrics
--- response_headers
Content-Type: text/plain; version=0.0.4; charset=utf-8
--- response_body_filters eval
[sub { MetricsTest::snap('start', $_[0])
       . MetricsTest::moved('zero', $_[0]) }]
--- init
$MetricsTest::Snap{zero} = {};
--- response_body
vodedge_packager_requests_total counter
vodedge_packager_sent_bytes_total counter
vodedge_packager_index_cache_hits_total counter
vodedge_packager_index_cache_misses_total counter
vodedge_packager_index_cache_evictions_total counter
vodedge_packager_thread_tasks_total counter
--- no_error_log
[error]



=== TEST 2: a master playlist
--- request
GET /vod/demo/master.m3u8
--- response_body_filters eval
main::body_of('master')
--- response_body
ok
--- no_error_log
[error]



=== TEST 3: a media playlist (its index cached by the master's request)
--- request
GET /vod/demo/video-360p.m3u8
--- response_body_like: EXTINF
--- no_error_log
[error]



=== TEST 4: an init segment
--- request
GET /vod/demo/video-360p-init.mp4
--- response_body_filters eval
main::body_of('init')
--- response_body
ok
--- no_error_log
[error]



=== TEST 5: a segment
--- request
GET /vod/demo/video-360p-1.m4s
--- response_body_filters eval
main::body_of('segment')
--- response_body
ok
--- no_error_log
[error]



=== TEST 6: the segment again
--- request
GET /vod/demo/video-360p-1.m4s
--- response_body_filters eval
main::body_of('segment')
--- response_body
ok
--- no_error_log
[error]



=== TEST 7: a segment past the end: 404
--- request
GET /vod/demo/video-360p-999.m4s
--- error_code: 404
--- response_body_filters eval
main::body_of('segment')
--- response_body
ok
--- no_error_log
[error]



=== TEST 8: a malformed name: 400
--- request
GET /vod/demo/video-360p-0.m4s
--- error_code: 400
--- response_body_filters eval
main::body_of('segment')
--- response_body
ok
--- no_error_log
[error]



=== TEST 9: a refused method: 405, kind other
--- request
POST /vod/demo/master.m3u8
hello
--- error_code: 405
--- no_error_log
[error]



=== TEST 10: the counters moved by exactly the requests made
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::moved('start', $_[0], qr/requests_total|cache|thread/) }]
--- response_body
vodedge_packager_index_cache_hits_total{} +5
vodedge_packager_index_cache_misses_total{} +4
vodedge_packager_requests_total{kind="init",status="2xx"} +1
vodedge_packager_requests_total{kind="master",status="2xx"} +1
vodedge_packager_requests_total{kind="other",status="4xx"} +1
vodedge_packager_requests_total{kind="playlist",status="2xx"} +1
vodedge_packager_requests_total{kind="segment",status="2xx"} +2
vodedge_packager_requests_total{kind="segment",status="4xx"} +2
--- no_error_log
[error]



=== TEST 11: bytes sent by kind: the bodies and their headers
--- request
GET /metrics
--- response_body_filters eval
sub { main::bytes_sent($_[0], master => 1, init => 1, segment => 4) }
--- response_body
init ok
master ok
segment ok
--- no_error_log
[error]



=== TEST 12: nginx -s reload: the same layout keeps its zone and its counts
--- init
main::hup();
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::moved('start', $_[0], qr/requests_total/) }]
--- response_body
vodedge_packager_requests_total{kind="init",status="2xx"} +1
vodedge_packager_requests_total{kind="master",status="2xx"} +1
vodedge_packager_requests_total{kind="other",status="4xx"} +1
vodedge_packager_requests_total{kind="playlist",status="2xx"} +1
vodedge_packager_requests_total{kind="segment",status="2xx"} +2
vodedge_packager_requests_total{kind="segment",status="4xx"} +2
--- no_error_log
[error]



=== TEST 13: the endpoint answers GET and HEAD only
--- request
POST /metrics
x
--- error_code: 405
--- no_error_log
[error]



=== TEST 14: before a title is read from the disk
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::snap('cold', $_[0]); '' }]
--- response_body
--- no_error_log
[error]



=== TEST 15: its index is built in a thread
--- init
VodTest::drop_cache("$main::Cold/t") or die "the page cache cannot be dropped here";
--- request
GET /cold/t/video-360p.m3u8
--- response_body_like: EXTINF
--- no_error_log
[error]



=== TEST 16: one thread task posted, one request, two misses (before the task and when the step runs again after it); or, where the read did not wait for the disk after all (seen under ASan), no task and one miss
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::moved('cold', $_[0], qr/thread|requests|cache/) }]
--- response_body_like eval
qr{\A(?:vodedge_packager_index_cache_misses_total\{\} \+2
vodedge_packager_requests_total\{kind="playlist",status="2xx"\} \+1
vodedge_packager_thread_tasks_total\{result="posted",task="index"\} \+1
|vodedge_packager_index_cache_misses_total\{\} \+1
vodedge_packager_requests_total\{kind="playlist",status="2xx"\} \+1
)\z}
--- no_error_log
[error]



=== TEST 17: a cache smaller than a title's indexes: the first scrape
--- http_config
    vod_index_cache vod_small:32k;
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::snap('small', $_[0]); '' }]
--- response_body
--- no_error_log
[error]



=== TEST 18: a cache smaller than a title's indexes: a master playlist
--- http_config
    vod_index_cache vod_small:32k;
--- request
GET /vod/demo/master.m3u8
--- response_body_like: EXT-X-STREAM-INF
--- no_error_log
[error]



=== TEST 19: a cache smaller than a title's indexes: evictions counted
--- http_config
    vod_index_cache vod_small:32k;
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::moved('small', $_[0], qr/cache/) }]
--- response_body
vodedge_packager_index_cache_evictions_total{} +2
vodedge_packager_index_cache_misses_total{} +4
--- no_error_log
[error]
