# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: the shared index cache follows the files.  Blocks with
# the same config share one nginx, so one block's body filter changes the
# title on disk and the next block must see the change: a rendition added
# to a directory whose listing is cached, and a rendition replaced by a
# different file whose index is cached.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use File::Copy qw(copy);
use File::Temp ();
use Test::Nginx::Socket 'no_plan';

our $Live;

BEGIN {
    my $media = VodTest::media();
    $Live = File::Temp::tempdir('vodlive-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $Live;
    mkdir "$Live/t" or die "$Live/t: $!";
    copy("$media/demo/360p.mp4", "$Live/t/360p.mp4") or die "copy: $!";
    # an old directory: its listing may be cached
    utime time - 3600, time - 3600, "$Live/t", "$Live/t/360p.mp4";
    $ENV{TEST_NGINX_LIVE} = $Live;
}

sub add_rendition {
    my $media = VodTest::media();
    copy("$media/demo/720p.mp4", "$Live/t/.720p.tmp") or die "copy: $!";
    rename "$Live/t/.720p.tmp", "$Live/t/720p.mp4" or die "rename: $!";
    utime time - 1800, time - 1800, "$Live/t";
    return $_[0];
}

sub replace_rendition {
    my $media = VodTest::media();
    copy("$media/ntsc/360p.mp4", "$Live/t/.360p.tmp") or die "copy: $!";
    rename "$Live/t/.360p.tmp", "$Live/t/360p.mp4" or die "rename: $!";
    return $_[0];
}

repeat_each(1);
no_shuffle();
log_level('info');

our $HttpConfig = <<'_EOC_';
    vod_index_cache vod_index:16m;
_EOC_

our $Config = <<'_EOC_';
    location /live/ {
        alias $TEST_NGINX_LIVE/;
        vod_package;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig);
    $block->set_value('config', $Config);
});

run_tests();

__DATA__

=== TEST 1: one rendition; the listing is cached, then a rendition is added
--- request
GET /live/t/master.m3u8
--- response_body_filters eval
[\&main::add_rendition]
--- response_body_like eval
qr{\A(?:(?!STREAM-INF).)*STREAM-INF:[^\n]*RESOLUTION=640x360[^\n]*\nvideo-360p\.m3u8\n\z}s
--- no_error_log
[error]



=== TEST 2: the added rendition is listed at once
--- request
GET /live/t/master.m3u8
--- response_body_like eval
qr{RESOLUTION=1280x720[^\n]*\nvideo-720p\.m3u8\n.*RESOLUTION=640x360[^\n]*\nvideo-360p\.m3u8\n\z}s
--- no_error_log
[error]



=== TEST 3: 25 fps rendition indexed and cached, then replaced by 29.97 fps
--- request
GET /live/t/video-360p.m3u8
--- response_body_filters eval
[\&main::replace_rendition]
--- response_body_like eval
qr{#EXTINF:4\.000,\nvideo-360p-1\.m4s\n}
--- no_error_log
[error]



=== TEST 4: the replaced file is indexed anew
--- request
GET /live/t/video-360p.m3u8
--- response_body_like eval
qr{#EXTINF:4\.004,\nvideo-360p-1\.m4s\n}
--- no_error_log
[error]



=== TEST 5: and its segments come from the new file
--- request
GET /live/t/video-360p-1.m4s
--- response_body_filters eval
[\&VodTest::mp4_boxes]
--- response_body_like eval
qr{\Astyp\nmoof\n(?:.*\n)*mdat\n\z}
--- no_error_log
[error]
