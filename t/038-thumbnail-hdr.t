# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package thumbnails of HDR video (PQ and HLG, BT.2020) with
# vod_thumbnail_tone_map on: a JPEG or a WebP is shown as SDR, so the
# frame is tone mapped the way FFmpeg's widely used recipe does it
# (vod_tone.h), and each picture is compared with ffmpeg's picture
# through that recipe, taken to 8-bit 4:2:0:
#
#   zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,
#   tonemap=hable:desat=0,zscale=t=bt709:m=bt709:r=tv,format=yuv420p
#
# at least 35 dB, no colour cast over a level.  Scaled pictures at least
# 30 dB, no cast over 3 levels: the packager scales the frame before it
# tone maps it (the cost is then the picture's size, not the frame's), the
# recipe after, and the mean of PQ samples is not the mean of the light
# (31 to 34 dB on testsrc2's sharp edges, a cast of 2 levels).  Untouched
# (the frame's PQ samples shown as gamma, as before), these pictures were
# 11 to 13 dB from it.
# "vod_thumbnail_tone_map off" (the default; /raw/) keeps the frame's own
# samples, ffmpeg's own frame.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_HDR/NAME/360p.mp4, 2 s of 640x360 at 25 fps, HEVC 10-bit
# on BT.2020, testsrc2's colours graded to 300 cd/m2 (so every colour is
# one BT.709 has, as a real grade's mostly are):
#   pq    SMPTE ST 2084, no light levels said (the recipe's peak: 1000
#         cd/m2)
#   hlg   ARIB STD-B67
#   cll   PQ with MaxCLL 400 (SEI): the curve normalised at 400 cd/m2
# and sdr/360p.mp4, H.264 BT.709, for the tags
our $Dir;

BEGIN {
    my @src = ('-f', 'lavfi', '-i',
               'testsrc2=size=640x360:rate=25:duration=2');
    my $grade = 'zscale=transferin=bt709:primariesin=bt709:matrixin=bt709:'
                . 'rangein=full:p=bt2020:m=bt2020nc:r=tv:npl=300';
    my $hevc = sub {
        my ($trc, $x265, $out) = @_;
        return [@src, '-vf', "$grade:t=$trc,format=yuv420p10le",
                '-c:v', 'libx265', '-preset', 'ultrafast', '-tag:v', 'hvc1',
                '-x265-params', "log-level=error:keyint=50:colorprim=bt2020:"
                . "transfer=$trc:colormatrix=bt2020nc$x265",
                '-color_primaries', 'bt2020', '-color_trc', $trc,
                '-colorspace', 'bt2020nc', '-movflags', '+faststart', $out];
    };
    $Dir = ThumbTest::make_titles('TEST_NGINX_HDR',
        $hevc->('smpte2084', '', 'DIR/pq/360p.mp4'),
        $hevc->('arib-std-b67', '', 'DIR/hlg/360p.mp4'),
        $hevc->('smpte2084', ':hdr10=1:max-cll=400,100', 'DIR/cll/360p.mp4'),
        [@src, '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50',
         '-pix_fmt', 'yuv420p', '-colorspace', 'bt709', '-color_primaries',
         'bt709', '-color_trc', 'bt709', '-movflags', '+faststart',
         'DIR/sdr/360p.mp4']);
}

no_shuffle();
log_level('info');

# /h/ and /tiles/ tone map (vod_thumbnail_tone_map on), /raw/ does not
ThumbTest::serve_titles('TEST_NGINX_HDR', 'h', 'vod_thumbnail_tone_map on;',
                        'vod_thumbnail_tone_map on;');

our $Recipe = 'zscale=t=linear:npl=100,format=gbrpf32le,zscale=p=bt709,'
              . 'tonemap=hable:desat=0%s,zscale=t=bt709:m=bt709:r=tv,'
              . 'format=yuv420p';

# "WxH verdict [verdict...]": the picture (or its w x h tile at x,y)
# against the recipe's frame at $t scaled to w x h (at least $db dB, a
# cast of at most $cast levels), then
# against each of @others: "plain" (ffmpeg's frame untouched, taken to
# 4:2:0) or "peak=N" (the recipe with its peak forced), each under $db
sub hdr_check {
    my ($src, $db, $cast, $x, $y, $w, $h, $t, @others) = @_;
    return sub {
        my ($body) = @_;
        local $ThumbTest::MaxBias = $cast;
        my $jpg = ThumbTest::jpeg_file($body);
        my $probe = `ffprobe -v error -show_entries stream=width,height -of csv=p=0 $jpg`;
        chomp $probe;
        my $mine = ThumbTest::rgb($jpg, undef, "crop=$w:$h:$x:$y");
        my $scale = "scale=$w:$h:flags=bicubic";
        my $want = ThumbTest::rgb("$Dir/$src", $t,
                                  sprintf($Recipe, '') . ",$scale");
        my $out = "$probe " . ThumbTest::verdict($mine, $want, $db);
        for my $o (@others) {
            my $vf = $o eq 'plain'
                     ? "format=yuv420p,$scale"
                     : sprintf($Recipe, ":$o") . ",$scale";
            my $q = ThumbTest::psnr($mine,
                                    ThumbTest::rgb("$Dir/$src", $t, $vf));
            $out .= $q < $db ? " not-$o" : sprintf(' same-as-%s %.1f dB',
                                                   $o, $q);
        }
        return "$out\n";
    };
}

run_tests();

__DATA__

=== TEST 1: the titles' transfers and light levels, as ffprobe reads them
--- config
    location /t {
        return 200 "ok\n";
    }
--- request
GET /t
--- response_body_filters eval
[sub {
    ThumbTest::video_fields($main::Dir, 'color_transfer,color_primaries',
                            '/360p.mp4', qw(pq hlg cll sdr));
}]
--- response_body
pq smpte2084,bt2020
hlg arib-std-b67,bt2020
cll smpte2084,bt2020
sdr bt709,bt709



=== TEST 2: PQ: the recipe's picture, not the frame's own samples
--- request
GET /h/pq/thumb-360p-1000.jpg
--- response_body_filters eval
[main::hdr_check('pq/360p.mp4', 35, 1, 0, 0, 640, 360, '1', 'plain')]
--- response_body
640,360 match not-plain
--- no_error_log
[error]



=== TEST 3: HLG (its OOTF for a 1000 cd/m2 display)
--- request
GET /h/hlg/thumb-360p-1000.jpg
--- response_body_filters eval
[main::hdr_check('hlg/360p.mp4', 35, 1, 0, 0, 640, 360, '1', 'plain')]
--- response_body
640,360 match not-plain
--- no_error_log
[error]



=== TEST 4: MaxCLL 400: the curve normalised there, not at 1000 cd/m2
--- request
GET /h/cll/thumb-360p-1000.jpg
--- response_body_filters eval
[main::hdr_check('cll/360p.mp4', 35, 1, 0, 0, 640, 360, '1', 'peak=10')]
--- response_body
640,360 match not-peak=10
--- no_error_log
[error]



=== TEST 5: scaled, a frame inside its GOP
--- request
GET /h/pq/thumb-360p-1480-w320.jpg
--- response_body_filters eval
[main::hdr_check('pq/360p.mp4', 30, 3, 0, 0, 320, 180, '1.48', 'plain')]
--- response_body
320,180 match not-plain
--- no_error_log
[error]



=== TEST 6: as WebP (on video levels)
--- request
GET /h/hlg/thumb-360p-1000.webp
--- response_body_filters eval
[main::hdr_check('hlg/360p.mp4', 35, 1, 0, 0, 640, 360, '1', 'plain')]
--- response_body
640,360 match not-plain
--- no_error_log
[error]



=== TEST 7: a tile sheet's tile (the frame at 1 s, 160 wide)
--- request
GET /tiles/pq/tiles-360p-1.jpg
--- response_body_filters eval
[main::hdr_check('pq/360p.mp4', 30, 3, 160, 0, 160, 90, '1', 'plain')]
--- response_body
320,90 match not-plain
--- no_error_log
[error]



=== TEST 8: vod_thumbnail_tone_map off (/raw/): the frame's own samples
(its matrix made BT.601's), ffmpeg's own frame
--- request
GET /raw/pq/thumb-360p-1000.jpg
--- response_body_filters eval
[main::hdr_check('pq/360p.mp4', 35, 1, 0, 0, 640, 360, '1', 'plain')]
--- response_body_like
^640,360 differs [0-9.]+ dB same-as-plain [0-9.]+ dB$
--- no_error_log
[error]



=== TEST 9: ETags: a tone-mapped picture's is not the untouched one's;
an SDR title's picture is the same either way, and so is its tag
--- request
GET /h/sdr/thumb-360p-1000.jpg
--- response_body_filters eval
[sub {
    my $base = "http://127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}";
    my %tag;
    for my $u (qw(h/pq raw/pq h/sdr raw/sdr)) {
        my $h = `curl -s -D - -o /dev/null $base/$u/thumb-360p-1000.jpg`;
        ($tag{$u}) = $h =~ /^ETag: (\S+)/mi;
    }
    my $same = `curl -s $base/raw/sdr/thumb-360p-1000.jpg` eq $_[0];
    "pq " . ($tag{'h/pq'} eq $tag{'raw/pq'} ? 'same' : 'differ') . "\n"
    . "sdr " . ($tag{'h/sdr'} eq $tag{'raw/sdr'} ? 'same' : 'differ')
    . ($same ? ' same-bytes' : ' other-bytes') . "\n";
}]
--- response_body
pq differ
sdr same same-bytes
--- no_error_log
[error]
