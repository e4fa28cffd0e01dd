# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: the thumbnail tile sheets named in the manifests as an
# image track (vod_thumbnail_manifests).  The MPD's DASH-IF thumbnail-tile
# AdaptationSet (on by default): its attributes, template and layout, as
# many sheets as the title's duration makes, and every sheet it names
# answering 200 with a JPEG of the Representation's size, the next number
# 404.  The HLS image playlists (off by default): the multivariant
# playlists' EXT-X-IMAGE-STREAM-INF, the image media playlist and its
# sheets.  Off where the directive or vod_thumbnails says so; the ETag
# changes with the setting.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';
use IO::Socket::INET;

no_shuffle();
log_level('info');

# /t/: 3 x 2 tiles of 160 x 90 a second: demo's 8 s titles make 2 sheets
# of 480 x 180
our $Config = <<'_EOC_';
    location /t/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
    location /hls/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        vod_thumbnail_manifests dash hls;
        aio threads;
    }
    location /hlsonly/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_manifests hls;
        aio threads;
    }
    location /none/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_manifests off;
        aio threads;
    }
    location /unsized/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_max_height 16;
        aio threads;
    }
    location /nothumbs/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnail_manifests dash hls;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});


# (status, headers, body) of a GET to nginx
sub get {
    my ($uri) = @_;
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1',
                                  PeerPort => $ENV{TEST_NGINX_SERVER_PORT},
                                  Timeout => 20)
        or die "connect: $!";
    print $s "GET $uri HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    local $/;
    my $resp = <$s> // '';
    close $s;
    my ($head, $body) = split /\r\n\r\n/, $resp, 2;
    my ($code) = $head =~ m{^HTTP/1\.\d (\d+)};
    return ($code // 0, $head // '', $body // '');
}

# "N OK type WxH" of a sheet: status, Content-Type, the JPEG's size
sub sheet {
    my ($uri) = @_;
    my ($code, $head, $body) = get($uri);
    return "$code" if $code != 200;
    my ($type) = $head =~ /^Content-Type: *(\S+)/mi;
    my $size = ThumbTest::probe($body);
    $size =~ s/^(\d+),(\d+).*\n?/$1x$2/s;
    return "200 $type $size";
}

# the MPD's image sets, their sheets fetched from $dir
sub mpd_images {
    my ($dir) = @_;
    return sub {
        my ($body) = @_;
        my $root = VodTest::_xml_tree($body);
        my ($mpd) = VodTest::_find($root, 'MPD');
        return "not an MPD\n" unless $mpd;
        my ($dur) = $mpd->{attrs}{mediaPresentationDuration}
                    =~ /^PT([\d.]+)S$/;
        my @out;
        my @ids;
        for my $as (VodTest::_find($mpd, 'AdaptationSet')) {
            push @ids, $as->{attrs}{id};
            next unless ($as->{attrs}{contentType} // '') eq 'image';
            my $a = $as->{attrs};
            my $tpl = VodTest::_kid($as, 'SegmentTemplate')->{attrs};
            my $rep = VodTest::_kid($as, 'Representation');
            my $r = $rep->{attrs};
            my $ep = VodTest::_kid($rep, 'EssentialProperty')->{attrs};
            push @out, "set $a->{mimeType} id-unique="
                . (scalar(grep { $_ eq $a->{id} } @ids) == 1 ? 'yes' : 'no');
            push @out, "rep $r->{id} $r->{width}x$r->{height} bandwidth="
                . ($r->{bandwidth} > 0 ? 'yes' : 'no');
            push @out, "property $ep->{schemeIdUri} $ep->{value}";
            push @out, "template $tpl->{media} timescale=$tpl->{timescale} "
                . "duration=$tpl->{duration} start=$tpl->{startNumber}";
            # as many sheets as the presentation's duration makes
            my $sheets = int($dur * $tpl->{timescale} / $tpl->{duration});
            $sheets++ if $sheets * $tpl->{duration}
                         < $dur * $tpl->{timescale};
            push @out, "sheets $sheets";
            for my $n ($tpl->{startNumber} .. $sheets + 1) {
                (my $name = $tpl->{media}) =~ s/\$Number\$/$n/;
                push @out, "$name " . sheet("$dir/$name");
            }
        }
        return @out ? join('', map { "$_\n" } @out) : "no image set\n";
    };
}

# the multivariant playlist's image lines, their playlists and sheets
sub hls_images {
    my ($dir) = @_;
    return sub {
        my ($body) = @_;
        my @out;
        for my $l (grep { /^#EXT-X-IMAGE-STREAM-INF:/ } split /\n/, $body) {
            push @out, $l;
            my ($uri) = $l =~ /URI="([^"]+)"/;
            my ($code, $head, $pl) = get("$dir/$uri");
            my ($type) = $head =~ /^Content-Type: *(\S+)/mi;
            push @out, "$uri $code $type";
            for my $name (grep { !/^#/ } split /\n/, $pl) {
                push @out, "$name " . sheet("$dir/$name");
            }
        }
        return @out ? join('', map { "$_\n" } @out) : "no image stream\n";
    };
}

run_tests();

__DATA__

=== TEST 1: the MPD's image set: 3x2 sheets of 480x180, two for 8 s
--- request
GET /t/demo/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/t/demo')]
--- response_body
set image/jpeg id-unique=yes
rep tiles-360p 480x180 bandwidth=yes
property http://dashif.org/thumbnail_tile 3x2
template tiles-360p-$Number$.jpg timescale=1000 duration=6000 start=1
sheets 2
tiles-360p-1.jpg 200 image/jpeg 480x180
tiles-360p-2.jpg 200 image/jpeg 480x180
tiles-360p-3.jpg 404
--- no_error_log
[error]



=== TEST 2: "hls" alone: no image set in the MPD
--- request
GET /hlsonly/demo/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/hlsonly/demo')]
--- response_body
no image set
--- no_error_log
[error]



=== TEST 3: "dash hls": the same set in the MPD
--- request
GET /hls/demo/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/hls/demo')]
--- response_body
set image/jpeg id-unique=yes
rep tiles-360p 480x180 bandwidth=yes
property http://dashif.org/thumbnail_tile 3x2
template tiles-360p-$Number$.jpg timescale=1000 duration=6000 start=1
sheets 2
tiles-360p-1.jpg 200 image/jpeg 480x180
tiles-360p-2.jpg 200 image/jpeg 480x180
tiles-360p-3.jpg 404
--- no_error_log
[error]



=== TEST 4: off: no image set
--- request
GET /none/demo/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/none/demo')]
--- response_body
no image set
--- no_error_log
[error]



=== TEST 5: thumbnails off: no image set whatever the directive says
--- request
GET /nothumbs/demo/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/nothumbs/demo')]
--- response_body
no image set
--- no_error_log
[error]



=== TEST 6: HLS off by default: no image stream, no image playlist
--- request
GET /t/demo/master.m3u8
--- response_body_filters eval
[main::hls_images('/t/demo')]
--- response_body
no image stream
--- no_error_log
[error]



=== TEST 7: the image playlist is 404 where HLS is off
--- request
GET /t/demo/images-360p.m3u8
--- error_code: 404
--- no_error_log
[error]



=== TEST 8: "dash hls": the master's image stream, its playlist and sheets
--- request
GET /hls/demo/master.m3u8
--- response_body_filters eval
[main::hls_images('/hls/demo')]
--- response_body
#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=14400,RESOLUTION=160x90,CODECS="jpeg",URI="images-360p.m3u8"
images-360p.m3u8 200 application/vnd.apple.mpegurl
tiles-360p-1.jpg 200 image/jpeg 480x180
tiles-360p-2.jpg 200 image/jpeg 480x180
--- no_error_log
[error]



=== TEST 9: the MPEG-TS master names the same image stream
--- request
GET /hls/demo/master-ts.m3u8
--- response_body_filters eval
[main::hls_images('/hls/demo')]
--- response_body
#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=14400,RESOLUTION=160x90,CODECS="jpeg",URI="images-360p.m3u8"
images-360p.m3u8 200 application/vnd.apple.mpegurl
tiles-360p-1.jpg 200 image/jpeg 480x180
tiles-360p-2.jpg 200 image/jpeg 480x180
--- no_error_log
[error]



=== TEST 10: the image media playlist: a sheet of 6 s, then one of 2 s
--- request
GET /hls/demo/images-360p.m3u8
--- response_headers
Content-Type: application/vnd.apple.mpegurl
Cache-Control: public, max-age=60
--- response_body
#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:6
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-IMAGES-ONLY
#EXT-X-TILES:RESOLUTION=160x90,LAYOUT=3x2,DURATION=1.000
#EXTINF:6.000,
tiles-360p-1.jpg
#EXT-X-TILES:RESOLUTION=160x90,LAYOUT=3x2,DURATION=1.000
#EXTINF:2.000,
tiles-360p-2.jpg
#EXT-X-ENDLIST
--- no_error_log
[error]



=== TEST 11: any rendition's image playlist; the defaults' layout
--- request
GET /hlsonly/demo/images-1080p.m3u8
--- response_body
#EXTM3U
#EXT-X-VERSION:7
#EXT-X-TARGETDURATION:250
#EXT-X-MEDIA-SEQUENCE:0
#EXT-X-PLAYLIST-TYPE:VOD
#EXT-X-IMAGES-ONLY
#EXT-X-TILES:RESOLUTION=240x134,LAYOUT=5x5,DURATION=10.000
#EXTINF:8.000,
tiles-1080p-1.jpg
#EXT-X-ENDLIST
--- no_error_log
[error]



=== TEST 12: the HLS master of the defaults' layout, the MPD's off
--- request
GET /hlsonly/demo/master.m3u8
--- response_body_filters eval
[main::hls_images('/hlsonly/demo')]
--- response_body
#EXT-X-IMAGE-STREAM-INF:BANDWIDTH=3216,RESOLUTION=240x134,CODECS="jpeg",URI="images-360p.m3u8"
images-360p.m3u8 200 application/vnd.apple.mpegurl
tiles-360p-1.jpg 200 image/jpeg 1200x670
--- no_error_log
[error]



=== TEST 13: the ETag of a manifest changes with the setting
--- request
GET /t/demo/master.m3u8
--- response_body_filters eval
[sub {
    my (undef, $a) = main::get('/t/demo/master.m3u8');
    my (undef, $b) = main::get('/hls/demo/master.m3u8');
    my (undef, $c) = main::get('/none/demo/master.m3u8');
    my @e = map { /^ETag: *(\S+)/mi ? $1 : 'none' } $a, $b, $c;
    return ($e[0] ne 'none' && $e[0] ne $e[1] && $e[1] ne $e[2]
            && $e[0] ne $e[2]) ? "differ\n" : "same: @e\n";
}]
--- response_body
differ
--- no_error_log
[error]




=== TEST 14: a title without video: no image set, no image stream
--- request
GET /hls/audio/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/hls/audio')]
--- response_body
no image set
--- no_error_log
[error]



=== TEST 15: nor in its multivariant playlist; its image playlist is 404
--- request
GET /hls/audio/master.m3u8
--- response_body_filters eval
[sub {
    my $out = main::hls_images('/hls/audio')->($_[0]);
    my ($code) = main::get('/hls/audio/images-audio.m3u8');
    return $out . "images-audio.m3u8 $code\n";
}]
--- response_body
no image stream
images-audio.m3u8 404
--- no_error_log
[error]



=== TEST 16: tiles that cannot be sized (over vod_thumbnail_max_height): the MPD without the set, one line
--- request
GET /unsized/demo/manifest.mpd
--- response_body_filters eval
[main::mpd_images('/unsized/demo')]
--- response_body
no image set
--- error_log
no tile size for a 640x360 video at vod_thumbnail_tile_width 240
