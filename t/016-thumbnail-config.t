# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails' directives: `nginx -t` errors name the
# directive and what is wrong; "vod_thumbnails on" needs "aio threads"
# where the location packages, and a build with FFmpeg (a module built
# without FFmpeg's development files refuses "on", saying so).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use ConfTest;
use Test::More;

ConfTest::setup('ngx_vod_package_module');

my $ffmpeg = `ldd $ConfTest::So 2>/dev/null` =~ /libavcodec/;

if (!$ffmpeg) {
    # a build with thumbnails compiled out
    ConfTest::run([
        [ 'on without FFmpeg', '', 0,
          qr{"vod_thumbnails" directive is "on" in a build without FFmpeg},
          'location /vod/ { vod_package; aio threads; vod_thumbnails on; }' ],
        [ 'off without FFmpeg', '', 1, undef,
          'location /vod/ { vod_package; vod_thumbnails off; }' ],
    ]);
    done_testing();
    exit 0;
}

my @cases = (
    [ 'every directive', '', 1, undef,
      'location /vod/ { vod_package; aio threads; vod_thumbnails on;'
      . ' vod_thumbnail_max_width 640; vod_thumbnail_max_height 480;'
      . ' vod_thumbnail_max_frames 1; vod_thumbnail_quality 31;'
      . ' vod_thumbnail_tone_map off; }' ],
    [ 'on without aio threads', '', 0,
      qr{"vod_thumbnails on" in location "/vod/" needs "aio threads" there or "vod_thumbnail_thread_pool"},
      'location /vod/ { vod_package; vod_thumbnails on; }' ],
    [ 'on at http level, a packaging location without aio threads',
      'vod_thumbnails on;', 0,
      qr{"vod_thumbnails on" in location "/x/" needs "aio threads"},
      'location /vod/ { vod_package; aio threads; }'
      . ' location /x/ { vod_package; }' ],
    [ 'on at http level, a location that does not package',
      'vod_thumbnails on;', 1, undef,
      'location /vod/ { vod_package; aio threads; } location /x/ { }' ],
    [ 'on, a pool of their own without aio threads',
      'vod_thumbnail_thread_pool default;', 1, undef,
      'location /vod/ { vod_package; vod_thumbnails on; }' ],
    [ 'a pool not declared', 'vod_thumbnail_thread_pool nosuch;', 0,
      qr{unknown thread pool "nosuch"} ],
    [ 'a pool twice',
      'vod_thumbnail_thread_pool a; vod_thumbnail_thread_pool b;', 0,
      qr{"vod_thumbnail_thread_pool" directive is duplicate} ],
    [ 'on, aio threads with a pool variable', '', 1, undef,
      'location /vod/ { vod_package; set $p default;'
      . ' aio threads=$p; vod_thumbnails on; }' ],
    [ 'not a flag', 'vod_thumbnails yes;', 0,
      qr{invalid value "yes" in "vod_thumbnails" directive} ],
    [ 'width under 16', 'vod_thumbnail_max_width 8;', 0,
      qr{"vod_thumbnail_max_width" directive must be between 16 and 7680} ],
    [ 'height over 7680', 'vod_thumbnail_max_height 10000;', 0,
      qr{"vod_thumbnail_max_height" directive must be between 16 and 7680} ],
    [ 'width not a number', 'vod_thumbnail_max_width wide;', 0,
      qr{"vod_thumbnail_max_width" directive invalid number} ],
    [ 'no frames', 'vod_thumbnail_max_frames 0;', 0,
      qr{"vod_thumbnail_max_frames" directive must be between 1 and 36000} ],
    [ 'quality 0', 'vod_thumbnail_quality 0;', 0,
      qr{"vod_thumbnail_quality" directive must be between 1 and 31} ],
    [ 'tone map not a flag', 'vod_thumbnail_tone_map maybe;', 0,
      qr{invalid value "maybe" in "vod_thumbnail_tone_map" directive, it must be "on" or "off"} ],
    [ 'tone map twice',
      'vod_thumbnail_tone_map on; vod_thumbnail_tone_map off;', 0,
      qr{"vod_thumbnail_tone_map" directive is duplicate} ],
    [ 'thread nice 19', 'vod_thumbnail_thread_nice 19;', 1, undef ],
    [ 'thread nice 20', 'vod_thumbnail_thread_nice 20;', 0,
      qr{"vod_thumbnail_thread_nice" wants a nice value from 0 to 19 or "idle", not "20"} ],
    [ 'thread nice negative', 'vod_thumbnail_thread_nice -1;', 0,
      qr{"vod_thumbnail_thread_nice" wants a nice value from 0 to 19 or "idle", not "-1"} ],
    [ 'thread nice idle', 'vod_thumbnail_thread_nice idle;', 1, undef ],
    [ 'thread nice not a word it knows', 'vod_thumbnail_thread_nice lazy;', 0,
      qr{"vod_thumbnail_thread_nice" wants a nice value from 0 to 19 or "idle", not "lazy"} ],
    [ 'thread nice twice', 'vod_thumbnail_thread_nice idle; vod_thumbnail_thread_nice 5;', 0,
      qr{"vod_thumbnail_thread_nice" directive is duplicate} ],
    [ 'thread nice in a location', '', 0,
      qr{"vod_thumbnail_thread_nice" directive is not allowed here},
      'location /vod/ { vod_package; aio threads;'
      . ' vod_thumbnail_thread_nice 5; }' ],
    [ 'twice', 'vod_thumbnails on; vod_thumbnails off;', 0,
      qr{"vod_thumbnails" directive is duplicate} ],
    [ 'every tile directive', '', 1, undef,
      'location /vod/ { vod_package; aio threads; vod_thumbnails on;'
      . ' vod_thumbnail_tiles 10x1; vod_thumbnail_tile_interval 1s;'
      . ' vod_thumbnail_tile_width 768; vod_thumbnail_tile_max_frames 1; }' ],
    [ 'a grid without x', 'vod_thumbnail_tiles 5;', 0,
      qr{"vod_thumbnail_tiles" wants COLSxROWS, each 1 to 10, not "5"} ],
    [ 'a grid of 0 rows', 'vod_thumbnail_tiles 5x0;', 0,
      qr{"vod_thumbnail_tiles" wants COLSxROWS, each 1 to 10, not "5x0"} ],
    [ 'a grid of 11 columns', 'vod_thumbnail_tiles 11x2;', 0,
      qr{"vod_thumbnail_tiles" wants COLSxROWS, each 1 to 10, not "11x2"} ],
    [ 'a grid that is not numbers', 'vod_thumbnail_tiles axb;', 0,
      qr{"vod_thumbnail_tiles" wants COLSxROWS, each 1 to 10, not "axb"} ],
    [ 'a grid twice', 'vod_thumbnail_tiles 2x2; vod_thumbnail_tiles 3x3;',
      0, qr{"vod_thumbnail_tiles" directive is duplicate} ],
    [ 'an interval under 1s', 'vod_thumbnail_tile_interval 500ms;', 0,
      qr{"vod_thumbnail_tile_interval" directive must be between 1s and 1h} ],
    [ 'an interval over 1h', 'vod_thumbnail_tile_interval 2h;', 0,
      qr{"vod_thumbnail_tile_interval" directive must be between 1s and 1h} ],
    [ 'a tile width under 16', 'vod_thumbnail_tile_width 8;', 0,
      qr{"vod_thumbnail_tile_width" directive must be between 16 and 1920} ],
    [ 'sheets too wide', 'vod_thumbnail_tiles 10x10;'
      . ' vod_thumbnail_tile_width 800;', 0,
      qr{"vod_thumbnail_tiles 10x10" of "vod_thumbnail_tile_width 800" make sheets 8000 pixels wide, over 7680} ],
    [ 'a tile wider than a thumbnail may be',
      'vod_thumbnail_max_width 320; vod_thumbnail_tile_width 480;', 0,
      qr{"vod_thumbnail_tile_width 480" is over "vod_thumbnail_max_width 320"} ],
    [ 'no frames for a sheet', 'vod_thumbnail_tile_max_frames 0;', 0,
      qr{"vod_thumbnail_tile_max_frames" directive must be between 1 and 100000} ],
    [ 'manifests: each value', 'vod_thumbnail_manifests dash hls;', 1,
      undef ],
    [ 'manifests: off', 'vod_thumbnail_manifests off;', 1, undef ],
    [ 'manifests: off with another', 'vod_thumbnail_manifests off hls;', 0,
      qr{"vod_thumbnail_manifests off" goes alone} ],
    [ 'manifests: not a manifest', 'vod_thumbnail_manifests smooth;', 0,
      qr{invalid value "smooth"} ],
    [ 'manifests twice',
      'vod_thumbnail_manifests dash; vod_thumbnail_manifests hls;', 0,
      qr{"vod_thumbnail_manifests" directive is duplicate} ],
);

ConfTest::run(\@cases, 'location /vod/ { vod_package; aio threads; }');

done_testing();
