# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package and turned video: a phone films its sensor's landscape
# and says in the track header's matrix (tkhd) that a portrait video is
# turned a quarter.  The CMAF init segment carries the turn, so a player
# (and ffmpeg) shows the packaged video as it shows the file; a thumbnail
# or a tile is the frame as shown, its size turned (a 640x360 video
# turned a quarter is 360x640), its pixels ffmpeg's own frame (which
# ffmpeg turns).  Before, the init segment's matrix was the identity (a
# portrait video played on its side) and so were the pictures.  A matrix
# of another angle is shown as stored, by the packager and its pictures.
# bin/vodpkg info says how each is shown.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use HTTP::Tiny;
use File::Temp ();

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_ORIENT/NAME/360p.mp4, 2 s of 640x360 at 25 fps stored, with
# the matrix of:
#   r90, r180, r270  ffmpeg's -metadata rotate=N (a quarter turn back,
#                    a half, a quarter; no translation)
#   phone            a quarter clockwise moved back by the stored height,
#                    as a phone held upright writes it
#   mirror           mirrored left to right (a selfie camera's)
#   angle            45 degrees: no orientation, shown as stored
our $Dir;

our @Titles = qw(r90 r180 r270 phone mirror angle);

# the first tkhd's matrix of $in (a video-only file: the video's) set to
# @m, written to $out
sub set_matrix {
    my ($in, $out, @m) = @_;
    open my $fh, '<:raw', $in or die "$in: $!";
    local $/;
    my $data = <$fh>;
    close $fh;
    my $at = index($data, 'tkhd');
    die "$in: no tkhd" if $at < 0 || substr($data, $at + 4, 1) ne "\0";
    substr($data, $at + 4 + 40, 36) = pack('l>9', @m);
    File::Path::make_path($out =~ s{/[^/]*$}{}r);
    open $fh, '>:raw', $out or die "$out: $!";
    print $fh $data;
    close $fh;
}

BEGIN {
    my $one = 0x10000;
    my @copy = ('-i', 'DIR/.plain/360p.mp4', '-c', 'copy', '-movflags',
                '+faststart', '-metadata:s:v:0');
    $Dir = ThumbTest::make_titles('TEST_NGINX_ORIENT',
        ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=2',
         '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-pix_fmt',
         'yuv420p', '-movflags', '+faststart', 'DIR/.plain/360p.mp4'],
        [@copy, 'rotate=90', 'DIR/r90/360p.mp4'],
        [@copy, 'rotate=180', 'DIR/r180/360p.mp4'],
        [@copy, 'rotate=270', 'DIR/r270/360p.mp4']);
    set_matrix("$Dir/.plain/360p.mp4", "$Dir/phone/360p.mp4",
               0, $one, 0, -$one, 0, 0, 360 * $one, 0, 0x40000000);
    set_matrix("$Dir/.plain/360p.mp4", "$Dir/mirror/360p.mp4",
               -$one, 0, 0, 0, $one, 0, 640 * $one, 0, 0x40000000);
    set_matrix("$Dir/.plain/360p.mp4", "$Dir/angle/360p.mp4",
               46341, 46341, 0, -46341, 46341, 0, 0, 0, 0x40000000);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_ORIENT', 's');

# the rotation ffprobe reads from a file's display matrix, "none" for none
sub rotation {
    my ($file) = @_;
    my $out = `ffprobe -v error -select_streams v:0 -show_entries stream_side_data=rotation -of csv=p=0 $file`;
    $out =~ s/\s+//g;
    return $out eq '' ? 'none' : $out;
}

# "NAME source-rotation packaged-rotation verdict" for each title: its
# CMAF init segment and first media segment as one file, the rotation
# ffprobe reads from it, and its first frame as ffmpeg shows it against
# the title's as ffmpeg shows that (the angle's: as stored, both)
sub packaged {
    my $http = HTTP::Tiny->new(timeout => 20);
    my $base = "http://127.0.0.1:$Test::Nginx::Socket::ServerPort/s";
    my $out = '';
    for my $t (@Titles) {
        my $init = $http->get("$base/$t/video-360p-init.mp4");
        my $seg = $http->get("$base/$t/video-360p-1.m4s");
        unless ($init->{success} && $seg->{success}) {
            $out .= "$t $init->{status} $seg->{status}\n";
            next;
        }
        my $tmp = File::Temp->new(SUFFIX => '.mp4');
        binmode $tmp;
        print $tmp $init->{content}, $seg->{content};
        close $tmp;
        local $ThumbTest::Stored = ($t eq 'angle');
        my $src = "$main::Dir/$t/360p.mp4";
        $out .= join(' ', $t, rotation($src), rotation("$tmp"),
                     ThumbTest::verdict(ThumbTest::rgb("$tmp", 0),
                                        ThumbTest::rgb($src, 0), 40))
                . "\n";
    }
    return $out;
}

run_tests();

__DATA__

=== TEST 1: the packaged video is turned as the file is
--- request
GET /s/r90/manifest.mpd
--- response_body_filters eval
[\&main::packaged]
--- response_body
r90 90 90 match
r180 -180 -180 match
r270 -90 -90 match
phone -90 -90 match
mirror -180 -180 match
angle -45 none match
--- no_error_log
[error]



=== TEST 2: a quarter turn back: a 640x360 video's thumbnail is 360x640
--- request
GET /s/r90/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('r90/360p.mp4', '1', '0.92', '1.08')]
--- response_body
360,640,pc match other other
--- no_error_log
[error]



=== TEST 3: a quarter turn
--- request
GET /s/r270/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('r270/360p.mp4', '1')]
--- response_body
360,640,pc match
--- no_error_log
[error]



=== TEST 4: a half turn keeps the size, not the picture
--- request
GET /s/r180/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('r180/360p.mp4', '1', '0.92')]
--- response_body
640,360,pc match other
--- no_error_log
[error]



=== TEST 5: a phone's matrix, moved back by its height
--- request
GET /s/phone/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('phone/360p.mp4', '1')]
--- response_body
360,640,pc match
--- no_error_log
[error]



=== TEST 6: mirrored
--- request
GET /s/mirror/thumb-360p-1000.jpg
--- response_body_filters eval
[main::frame('mirror/360p.mp4', '1')]
--- response_body
640,360,pc match
--- no_error_log
[error]



=== TEST 7: a width is the turned picture's
--- request
GET /s/r90/thumb-360p-1000-w180.jpg
--- response_body_filters eval
[main::tile('r90/360p.mp4', 40, 0, 0, 180, 320, '1')]
--- response_body
180,320 match
--- no_error_log
[error]



=== TEST 8: 45 degrees is shown as stored
--- request
GET /s/angle/thumb-360p-1000.jpg
--- response_body_filters eval
[sub { local $ThumbTest::Stored = 1; main::frame('angle/360p.mp4', '1')->(@_) }]
--- response_body
640,360,pc match
--- no_error_log
[error]



=== TEST 9: a tile sheet's tiles are turned: 160 wide, 284 high
--- request
GET /tiles/r90/tiles-360p-1.jpg
--- response_body_filters eval
[main::tile('r90/360p.mp4', 40, 160, 0, 160, 284, '1', '0')]
--- response_body
320,284 match other
--- no_error_log
[error]



=== TEST 10: and the WebVTT track's cues name tiles of that size
--- request
GET /tiles/r90/tiles-360p.vtt
--- response_body_like
tiles-360p-1\.jpg#xywh=160,0,160,284



=== TEST 11: bin/vodpkg info says how each title is shown
--- request
GET /s/r90/manifest.mpd
--- response_body_filters eval
[sub {
    CORE::join '', map {
        my $info = `$FindBin::Bin/../bin/vodpkg info $main::Dir/$_/360p.mp4`;
        my ($how) = $info =~ /shown turned \(its tkhd matrix\): (.*)/;
        "$_: " . ($how // 'as stored') . "\n";
    } @main::Titles;
}]
--- response_body
r90: a quarter turn counter-clockwise
r180: a half turn
r270: a quarter turn clockwise
phone: a quarter turn clockwise
mirror: mirrored left to right
angle: as stored
