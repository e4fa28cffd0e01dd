# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: configuration errors are `nginx -t` errors naming the
# directive and what is wrong with its value; good configurations pass.
# Runs `nginx -t` on generated configurations (not a Test::Nginx block
# file).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use ConfTest;
use Test::More;

ConfTest::setup('ngx_vod_package_module');

my @cases = (
    [ 'every directive', 'vod_index_cache vi:1m;', 1, undef,
      'location /vod/ { vod_package; vod_segment_duration 6s;'
      . ' vod_max_moov_size 16m; vod_sendfile_min_range 0;'
      . ' vod_stream_buffer_size 256k; vod_cors_origin "*";'
      . ' vod_playlist_cache_control "max-age=5";'
      . ' vod_segment_cache_control "max-age=600";'
      . ' vod_content_steering /steer$uri.json pathway=cdn-a; }' ],
    [ 'index cache off', 'vod_index_cache off;', 1 ],
    [ 'index cache without a size', 'vod_index_cache vi;', 0,
      qr{invalid vod_index_cache "vi", expected "name:size" or "off"} ],
    [ 'index cache with a bad size', 'vod_index_cache vi:lots;', 0,
      qr{invalid vod_index_cache size "lots"} ],
    [ 'index cache too small', 'vod_index_cache vi:4k;', 0,
      qr{vod_index_cache "vi:4k" is too small} ],
    [ 'segment duration under 1 s', 'vod_segment_duration 500ms;', 0,
      qr{"vod_segment_duration" directive must be between 1s and 60s} ],
    [ 'segment duration over 60 s', 'vod_segment_duration 2m;', 0,
      qr{"vod_segment_duration" directive must be between 1s and 60s} ],
    [ 'the other name', 'vod_package_segment_duration 6s;', 1 ],
    [ 'the other name, out of range',
      'vod_package_segment_duration 61s;', 0,
      qr{"vod_package_segment_duration" directive must be between 1s and 60s} ],
    [ 'both names in one block',
      'vod_segment_duration 6s; vod_package_segment_duration 2s;', 0,
      qr{"vod_package_segment_duration" directive is duplicate} ],
    [ 'stream buffer of 0', 'vod_stream_buffer_size 0;', 0,
      qr{"vod_stream_buffer_size" directive must be between 1k and 64m} ],
    [ 'stream buffer of 100m', 'vod_stream_buffer_size 100m;', 0,
      qr{"vod_stream_buffer_size" directive must be between 1k and 64m} ],
    [ 'stream buffer that is not a size', 'vod_stream_buffer_size big;', 0,
      qr{"vod_stream_buffer_size" directive invalid value} ],
    [ 'vod_package twice', '', 0, qr{"vod_package" directive is duplicate},
      'location /vod/ { vod_package; vod_package; }' ],
    [ 'steering pathway that is not a Pathway ID', '', 0,
      qr{has an invalid Pathway ID},
      'location /vod/ { vod_package;'
      . ' vod_content_steering /steer.json pathway=a/b; }' ],
);

ConfTest::run(\@cases, 'location /vod/ { vod_package; }');

done_testing();
