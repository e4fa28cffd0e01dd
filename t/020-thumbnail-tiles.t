# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package tile sheets, tiles-{id}-{n}.jpg, and their WebVTT
# thumbnail track, tiles-{id}.vtt: the track read back (cues from 0 to
# the video's duration with no gap, each naming its sheet and a place
# within the sheet's size), a sheet's size (cols x tile width, rows x
# tile height), a tile's pixels against ffmpeg's own frame at its time
# scaled to the tile's size (PSNR over RGB at least 40 dB, under it
# against the frames around), the black tiles past the end, the decode
# bound of a sheet (tiles of one GOP share a pass), and the refusals.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use MetricsTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_BROKEN/broken/360p.mp4: a title whose first key frame does
# not decode
BEGIN { ThumbTest::broken_title(VodTest::media()) }

# $TEST_NGINX_BROKEN/portrait/1080p.mp4: 2 s of 1080x1920 video, whose
# tiles stacked ten high pass WebP's 16383 pixels (4:4:4: testsrc is RGB,
# which x264 keeps as 4:4:4, and so does a JPEG of it, t/037)
BEGIN {
    my $dir = "$ENV{TEST_NGINX_BROKEN}/portrait";
    mkdir $dir or die "$dir: $!";
    system('ffmpeg', '-v', 'error', '-f', 'lavfi', '-i',
           'testsrc=d=2:s=1080x1920:r=5', '-c:v', 'libx264',
           "$dir/1080p.mp4") == 0 or die "ffmpeg: $?";
    chmod 0755, $dir;
    chmod 0644, "$dir/1080p.mp4";
}

no_shuffle();
log_level('info');

# /t/: 3 x 2 tiles of 160 x 90 (for 16:9) a second: demo's 8 s titles make
# 8 tiles, sheet 1 full, sheet 2 with 2 tiles and 4 black
our $Config = <<'_EOC_';
    location /vod/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        aio threads;
    }
    location /t/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
    location /gop/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        vod_thumbnail_tile_max_frames 81;
        aio threads;
    }
    location /tight/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        vod_thumbnail_tile_max_frames 80;
        aio threads;
    }
    location /small/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        vod_thumbnail_max_frames 10;
        aio threads;
    }
    location /broken/ {
        alias $TEST_NGINX_BROKEN/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 3x2;
        vod_thumbnail_tile_interval 1s;
        vod_thumbnail_tile_width 160;
        aio threads;
    }
    location /tall/ {
        alias $TEST_NGINX_BROKEN/;
        vod_package;
        vod_thumbnails on;
        vod_thumbnail_tiles 1x10;
        vod_thumbnail_tile_width 1080;
        aio threads;
    }
    location = /metrics {
        vodedge_metrics;
    }
    location /off/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
    }
    location /nopool/ {
        alias $TEST_NGINX_MEDIA/;
        vod_package;
        vod_thumbnails on;
        set $pool nosuchpool;
        aio threads=$pool;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', $Config) unless defined $block->config;
});


# the video stream's duration in milliseconds, as ffprobe says
sub duration_ms {
    my ($src) = @_;
    my $d = `ffprobe -v error -select_streams v:0 -show_entries stream=duration -of csv=p=0 $src`;
    return int($d * 1000 + 0.5);
}

# "cues N, 0 to END (the duration | not END), contiguous, sheets 1-K,
# places ok" or what is wrong: the track of rendition $id of $src read
# back, for a grid of $cols x $rows tiles of $w x $h every $ms
sub vtt_check {
    my ($src, $id, $cols, $rows, $w, $h, $ms) = @_;
    return sub {
        my ($body) = @_;
        my @blocks = split /\n\n/, $body;
        my $head = shift @blocks;
        return "no WEBVTT header\n" unless $head eq 'WEBVTT';
        my ($prev, $n, $sheets, @bad) = (0, 0, 0);
        my $stamp = qr/(\d{2,}):(\d\d):(\d\d)\.(\d{3})/;
        for my $b (@blocks) {
            my ($t, $p, @more) = split /\n/, $b;
            my @s = $t =~ /^$stamp --> $stamp$/ or return "bad timing \"$t\"\n";
            my $start = (($s[0] * 60 + $s[1]) * 60 + $s[2]) * 1000 + $s[3];
            my $end = (($s[4] * 60 + $s[5]) * 60 + $s[6]) * 1000 + $s[7];
            push @bad, "gap at $start" if $start != $prev;
            push @bad, "cue $n at $start" if $start != $n * $ms;
            push @bad, "empty cue at $start" if $end <= $start;
            my ($sheet, $x, $y, $cw, $ch) =
                $p =~ /^tiles-\Q$id\E-(\d+)\.jpg#xywh=(\d+),(\d+),(\d+),(\d+)$/
                or return "bad payload \"$p\"\n";
            my $i = $n % ($cols * $rows);
            push @bad, "cue $n in sheet $sheet"
                if $sheet != int($n / ($cols * $rows)) + 1;
            push @bad, "cue $n at $x,$y ${cw}x$ch"
                if $x != ($i % $cols) * $w || $y != int($i / $cols) * $h
                   || $cw != $w || $ch != $h
                   || $x + $cw > $cols * $w || $y + $ch > $rows * $h;
            push @bad, "cue $n has more lines" if @more;
            $sheets = $sheet;
            $prev = $end;
            $n++;
        }
        my $dur = duration_ms("$ENV{TEST_NGINX_MEDIA}/$src");
        my $ends = $prev == $dur ? 'the duration' : "not $dur";
        return "cues $n, 0 to $prev ($ends), "
               . (@bad ? join(', ', @bad) : 'contiguous')
               . ", sheets 1-$sheets\n";
    };
}

# "black" when every pixel of the body's areas (crop filters) is (within
# the JPEG's noise)
sub black_check {
    my @crops = @_;
    return sub {
        my $jpg = jpeg_file($_[0]);
        my $max = 0;
        for my $c (@crops) {
            for my $v (unpack 'C*', rgb($jpg, undef, $c)) {
                $max = $v if $v > $max;
            }
        }
        return $max <= 8 ? "black\n" : "not black: $max\n";
    };
}

run_tests();

__DATA__

=== TEST 1: the track: one cue a second from 0 to the duration, no gap
--- request
GET /t/demo/tiles-360p.vtt
--- response_headers
Content-Type: text/vtt; charset=utf-8
Cache-Control: public, max-age=60
--- response_body_filters eval
[main::vtt_check('demo/360p.mp4', '360p', 3, 2, 160, 90, 1000)]
--- response_body
cues 8, 0 to 8000 (the duration), contiguous, sheets 1-2
--- no_error_log
[error]



=== TEST 2: the defaults: 5x5 tiles 240 wide every 10 s, one cue for 8 s
--- request
GET /vod/demo/tiles-1080p.vtt
--- response_body_filters eval
[main::vtt_check('demo/1080p.mp4', '1080p', 5, 5, 240, 134, 10000)]
--- response_body
cues 1, 0 to 8000 (the duration), contiguous, sheets 1-1
--- no_error_log
[error]



=== TEST 3: a sheet is cols x rows tiles; a tile is the frame at its time
Tile 4 of sheet 1 is at 160,90 and shows the frame at 4 s (a key frame).
--- request
GET /t/demo/tiles-360p-1.jpg
--- response_headers
Content-Type: image/jpeg
Cache-Control: public, max-age=31536000, immutable
--- response_body_filters eval
[main::tile_check('demo/360p.mp4', 40, 160, 90, 160, 90, '4.0', '3.96', '4.04')]
--- response_body
480,180 match other other
--- no_error_log
[error]



=== TEST 4: a tile mid-GOP: the frame presented at 1 s, not its neighbours
--- request
GET /t/demo/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile_check('demo/360p.mp4', 40, 160, 0, 160, 90, '1.0', '0.96', '1.04')]
--- response_body
480,180 match other other
--- no_error_log
[error]



=== TEST 5: WebP: the same sheet, a tile mid-GOP
--- request
GET /t/demo/tiles-360p-1.webp
--- response_headers
Content-Type: image/webp
Cache-Control: public, max-age=31536000, immutable
--- response_body_filters eval
[main::tile_check('demo/360p.mp4', 40, 160, 0, 160, 90, '1.0', '0.96', '1.04')]
--- response_body
480,180 match other other
--- no_error_log
[error]



=== TEST 6: 1080p: the last tile of sheet 1 (5 s)
--- request
GET /t/demo/tiles-1080p-1.jpg
--- response_body_filters eval
[main::tile_check('demo/1080p.mp4', 40, 320, 90, 160, 90, '5.0', '4.96', '5.04')]
--- response_body
480,180 match other other
--- no_error_log
[error]



=== TEST 7: the last sheet: its tiles past the end of the title are black
Sheet 2 shows 6 s and 7 s; its third tile (8 s) is past the 8 s title.
--- request
GET /t/demo/tiles-360p-2.jpg
--- response_body_filters eval
[main::tile_check('demo/360p.mp4', 40, 160, 0, 160, 90, '7.0', '6.96')]
--- response_body
480,180 match other
--- no_error_log
[error]



=== TEST 8: the black tiles are black
Away from the 16-pixel JPEG blocks that straddle a tile's edge.
--- request
GET /t/demo/tiles-360p-2.jpg
--- response_body_filters eval
[main::black_check('crop=480:74:0:106', 'crop=144:90:336:0')]
--- response_body
black
--- no_error_log
[error]



=== TEST 9: the default grid of 5x5 tiles 240 wide: 1200 x 670 for 16:9
--- request
GET /vod/demo/tiles-720p-1.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
1200,670,yuvj420p,pc
--- no_error_log
[error]



=== TEST 10: tiles of one GOP share a decode pass: sheet 1 takes 81 frames
Three runs (0 and 1 s, 2 and 3 s, 4 and 5 s) of 27 frames each; a pass
per tile would take 84.
--- request
GET /gop/demo/tiles-360p-1.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
480,180,yuvj420p,pc
--- no_error_log
[error]



=== TEST 11: a sheet over vod_thumbnail_tile_max_frames: 502 and one line
--- request
GET /tight/demo/tiles-360p-1.jpg
--- error_code: 502
--- error_log
tile sheet 1 needs 81 frames decoded, over vod_thumbnail_tile_max_frames 80
--- no_error_log
[crit]
[alert]



=== TEST 12: a tile over vod_thumbnail_max_frames: 502 and one line
--- request
GET /small/demo/tiles-360p-1.jpg
--- error_code: 502
--- error_log
the frame at 1000 ms needs 27 frames decoded, over vod_thumbnail_max_frames 10
--- no_error_log
[crit]
[alert]



=== TEST 13: a sheet taller than WebP's 16383 px: its .webp 404 and one line
1x10 tiles of 1080x1920 (a portrait video) are 1080x19200: no WebP
picture is that tall.
--- request
GET /tall/portrait/tiles-1080p-1.webp
--- error_code: 404
--- error_log
a sheet of 1 x 10 tiles of 1080x1920 is 1080x19200, over WebP's 16383 pixels a side: its .jpg serves it
--- no_error_log
[crit]
[alert]



=== TEST 14: the same sheet as JPEG: served
--- request
GET /tall/portrait/tiles-1080p-1.jpg
--- response_body_filters eval
[\&main::probe]
--- response_body
1080,19200,yuvj444p,pc
--- no_error_log
[error]



=== TEST 15: a sheet past the end: 404 and one line
--- request
GET /t/demo/tiles-360p-3.jpg
--- error_code: 404
--- error_log
tile sheet 3 is past the end
--- no_error_log
[error]



=== TEST 16: the largest sheet number: 404, no overflow
--- request
GET /t/demo/tiles-360p-2147483648.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 17: malformed sheet numbers: 400 (tiles-360p-0.jpg)
--- request
GET /t/demo/tiles-360p-0.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 18: malformed sheet numbers: 400 (tiles-360p-01.jpg)
--- request
GET /t/demo/tiles-360p-01.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 19: malformed sheet numbers: 400 (tiles-360p.jpg)
--- request
GET /t/demo/tiles-360p.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 20: malformed sheet numbers: 400 (tiles-360p-x.jpg)
--- request
GET /t/demo/tiles-360p-x.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 21: malformed sheet numbers: 400 (tiles-360p-99999999999.jpg)
--- request
GET /t/demo/tiles-360p-99999999999.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 22: malformed sheet numbers: 400 (tiles--1.jpg)
--- request
GET /t/demo/tiles--1.jpg
--- error_code: 400
--- no_error_log
[error]



=== TEST 23: malformed sheet numbers: 400 (tiles-.vtt)
--- request
GET /t/demo/tiles-.vtt
--- error_code: 400
--- no_error_log
[error]



=== TEST 24: not ours, or no such rendition: 404 (.png)
--- request
GET /t/demo/tiles-360p-1.png
--- error_code: 404
--- no_error_log
[error]



=== TEST 25: not ours, or no such rendition: 404 (tiles-nosuch-1.jpg)
--- request
GET /t/demo/tiles-nosuch-1.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 26: not ours, or no such rendition: 404 (tiles-nosuch.vtt)
--- request
GET /t/demo/tiles-nosuch.vtt
--- error_code: 404
--- no_error_log
[error]



=== TEST 27: not ours, or no such rendition: 404 (tiles-360p-1.vtt)
--- request
GET /t/demo/tiles-360p-1.vtt
--- error_code: 404
--- no_error_log
[error]



=== TEST 28: thumbnails off (the default): neither sheets nor track (tiles-360p.vtt)
--- request
GET /off/demo/tiles-360p.vtt
--- error_code: 404
--- no_error_log
[error]



=== TEST 29: thumbnails off (the default): neither sheets nor track (tiles-360p-1.jpg)
--- request
GET /off/demo/tiles-360p-1.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 30: a rendition without video: 404 (tiles-audio.vtt)
--- request
GET /t/audio/tiles-audio.vtt
--- error_code: 404
--- no_error_log
[error]



=== TEST 31: a rendition without video: 404 (tiles-audio-1.jpg)
--- request
GET /t/audio/tiles-audio-1.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 32: no thread pool: a sheet is 503 and one line
--- request
GET /nopool/demo/tiles-360p-1.jpg
--- error_code: 503
--- error_log
thumbnails need "aio threads" and a thread pool, refused



=== TEST 33: no thread pool: the track needs none
--- request
GET /nopool/demo/tiles-360p.vtt
--- error_code: 200
--- no_error_log
[error]



=== TEST 34: ETag per sheet; If-None-Match gives 304
--- request
GET /t/demo/tiles-360p-1.jpg
--- more_headers
If-None-Match: "0000000000000000"
--- response_headers_like
ETag: "[0-9a-f]{16}"
--- error_code: 200
--- no_error_log
[error]



=== TEST 35: a sheet with a frame that does not decode: 502 and one line
--- request
GET /broken/broken/tiles-360p-1.jpg
--- error_code: 502
--- error_log eval
qr{\[error\].*broken/360p\.mp4": thumbnail: }
--- no_error_log
[crit]
[alert]



=== TEST 36: the same title's sheet of intact GOPs still decodes
--- request
GET /broken/broken/tiles-360p-2.jpg
--- response_body_filters eval
[main::tile_check('video/360p.mp4', 40, 0, 0, 160, 90, '6.0', '5.96')]
--- response_body
480,180 match other
--- no_error_log
[error]



=== TEST 37: NTSC (30000/1001, 8.008 s): the last cue ends at 8.008 s
--- request
GET /t/ntsc/tiles-360p.vtt
--- response_body_filters eval
[main::vtt_check('ntsc/360p.mp4', '360p', 3, 2, 160, 90, 1000)]
--- response_body
cues 9, 0 to 8008 (the duration), contiguous, sheets 1-2
--- no_error_log
[error]



=== TEST 38: NTSC: the tile at 1 s is frame 30 (1.001 s), the first after it, as ffmpeg's -ss 1
--- request
GET /t/ntsc/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile_check('ntsc/360p.mp4', 40, 160, 0, 160, 90, '1', '0.967633', '1.034367')]
--- response_body
480,180 match other other
--- no_error_log
[error]



=== TEST 39: HEVC: the tile at 3 s
--- request
GET /t/hevc/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile_check('hevc/360p.mp4', 40, 0, 90, 160, 90, '3.0', '2.96', '3.04')]
--- response_body
480,180 match other other
--- no_error_log
[error]



=== TEST 40: metrics: a scrape to count from
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::snap('start', $_[0]); "ok\n" }]
--- response_body
ok
--- no_error_log
[error]



=== TEST 41: metrics: a track
--- request
GET /t/demo/tiles-360p.vtt
--- no_error_log
[error]



=== TEST 42: metrics: a sheet
--- request
GET /t/demo/tiles-360p-2.jpg
--- no_error_log
[error]



=== TEST 43: metrics: a sheet past the end
--- request
GET /t/demo/tiles-360p-9.jpg
--- error_code: 404
--- no_error_log
[error]



=== TEST 44: metrics: sheets and tracks are counted as thumbnails
--- request
GET /metrics
--- response_body_filters eval
[sub { MetricsTest::moved('start', $_[0], qr/requests_total/) }]
--- response_body
vodedge_packager_requests_total{kind="thumb",status="2xx"} +2
vodedge_packager_requests_total{kind="thumb",status="4xx"} +1
--- no_error_log
[error]
