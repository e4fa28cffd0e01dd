# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: I-frame playlists of a video whose sync samples are
# not all pictures that decode alone.  x264 --intra-refresh makes one IDR
# and then refreshes the picture a column at a time; FFmpeg's mov muxer
# marks each refresh's recovery point (a P or B picture) a sync sample.
# Segments start and play there, but the I-frame playlist listed them:
# each entry alone is half a picture, which ffmpeg does not even show.
# The index build now reads the first bytes of up to four of the sync
# samples segments start at (the second segment's, two between, the last
# one's): where one is not an IDR, an I slice or an HEVC IRAP picture,
# the rendition has no I-frame playlist, with one warn line naming the
# sample.  An open GOP's key frames (I slices, not IDR) decode alone: its
# playlist stays, each entry one I picture.  The same where the key
# frame's bytes are not in the page cache while the moov's are: the build
# that read them with RWF_NOWAIT is given up, its index cache node with
# it, and done again in a thread.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use HTTP::Tiny;
use File::Copy ();
use File::Temp ();

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_IFR/NAME/v.mp4: 6 s of 320x180 at 24 fps, x264 veryfast,
# faststart (the moov first), a key frame every 24 frames:
#   ir  --intra-refresh: sync samples at recovery points after the IDR
#   og  --open-gop: its key frames after the first are I, not IDR
our ($Dir, $Cold);

BEGIN {
    my @src = ('-f', 'lavfi', '-i',
               'testsrc2=size=320x180:rate=24:duration=6');
    my @x264 = ('-c:v', 'libx264', '-preset', 'veryfast', '-pix_fmt',
                'yuv420p', '-movflags', '+faststart', '-x264-params');
    $Dir = ThumbTest::make_titles('TEST_NGINX_IFR',
        [@src, @x264, 'intra-refresh=1:keyint=24', 'DIR/ir/v.mp4'],
        [@src, @x264, 'open-gop=1:keyint=24:min-keyint=24:scenecut=0',
         'DIR/og/v.mp4']);
    # the same bytes under another path, which no block before TEST 9
    # has indexed, beside the test media (whose file system t/039 drops
    # from the page cache: TMPDIR may be one that cannot be)
    $Cold = File::Temp::tempdir('vodcold-XXXXXX',
                                DIR => "$FindBin::Bin/../build",
                                CLEANUP => 1);
    chmod 0755, $Cold;
    mkdir "$Cold/ir" or die "$Cold/ir: $!";
    File::Copy::copy("$Dir/ir/v.mp4", "$Cold/ir/v.mp4")
        or die "copy: $!";
}

no_shuffle();
log_level('debug');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', <<"_EOC_") unless defined $block->config;
    location /i/ {
        alias $Dir/;
        vod_package;
        vod_segment_duration 2s;
        vod_iframe_playlists hls dash;
    }
    location /cold/ {
        alias $Cold/;
        vod_package;
        vod_segment_duration 2s;
        vod_iframe_playlists hls dash;
        aio threads;
    }
_EOC_
    $block->set_value('http_config', 'vod_index_cache vod_ifr:4m;')
        unless defined $block->http_config;
});

# each entry of an I-frame playlist under $base: "N entries, each one
# key frame" when the init segment and the entry's decode to one I
# picture that is a key frame, else what the first that did not gave
sub entries {
    my ($base, $pl) = @_;
    my $http = HTTP::Tiny->new(timeout => 20);
    my ($init) = $pl =~ /EXT-X-MAP:URI="([^"]+)"/;
    my $head = $http->get("$base/$init")->{content};
    my $tmp = File::Temp->new(SUFFIX => '.mp4');
    my $n = 0;
    for my $uri (grep { !/^#/ && /\S/ } split /\n/, $pl) {
        my $seg = $http->get("$base/$uri");
        return "$uri: $seg->{status}\n" if $seg->{status} != 200;
        open my $fh, '>:raw', "$tmp" or die "$tmp: $!";
        print $fh $head, $seg->{content};
        close $fh;
        my $f = `ffprobe -v error -select_streams v -show_entries frame=key_frame,pict_type -of csv=p=0 $tmp 2>&1`;
        # key_frame,pict_type of each frame (its side data's after them)
        my @fr = map { join ',', (split /,/)[0, 1] } grep { /\S/ }
                 split /\n/, $f;
        return "$uri: @fr\n" if "@fr" ne '1,I';
        $n++;
    }
    return "$n entries, each one key frame\n";
}

sub at {
    my ($loc, $title) = @_;
    return sub {
        entries("http://127.0.0.1:$Test::Nginx::Socket::ServerPort/"
                . "$loc/$title", $_[0]);
    };
}

# what ffprobe says of the title's key frames: "IDR then P" for ir,
# "I" for og
sub keys_of {
    my $f = `ffprobe -v error -select_streams v -show_entries frame=key_frame,pict_type -of csv=p=0 $Dir/$_[0]/v.mp4`;
    my %n;
    $n{$_}++ for map { s/,+$//r } grep { /^1/ } split /\n/, $f;
    my @pkt = `ffprobe -v error -select_streams v -show_entries packet=flags -of csv=p=0 $Dir/$_[0]/v.mp4` =~ /^K/mg;
    return join(' ', map { "$_ x$n{$_}" } sort keys %n)
           . ', ' . scalar(@pkt) . " sync samples\n";
}

run_tests();

__DATA__

=== TEST 1: the titles are what the suite says
--- config
    location /t { return 200; }
--- request
GET /t
--- response_body_filters eval
[sub { main::keys_of('ir') . main::keys_of('og') }]
--- response_body
1,I x1, 6 sync samples
1,I x6, 6 sync samples



=== TEST 2: intra refresh: no I-frame stream in the multivariant playlist, one warn line
--- request
GET /i/ir/master.m3u8
--- error_code: 200
--- response_body_unlike
I-FRAME
--- error_log eval
qr/\[warn\] .*vod: "[^"]*ir\/v\.mp4": no I-frame playlist: its sync sample \d+ is not a picture that decodes alone \(an intra refresh's recovery point\)/
--- no_error_log
[error]



=== TEST 3: nor a trick-mode set in the MPD
--- request
GET /i/ir/manifest.mpd
--- error_code: 200
--- response_body_unlike
trickmode
--- error_log
no I-frame playlist: its sync sample
--- no_error_log
[error]



=== TEST 4: its I-frame playlist is 404
--- request
GET /i/ir/iframe-v.m3u8
--- error_code: 404
--- error_log
"v" has no I-frame playlist
--- no_error_log
[error]



=== TEST 5: and its I-frame segments
--- request
GET /i/ir/iframe-v-2-1.m4s
--- error_code: 404
--- error_log eval
qr/"v" has no I-frame playlist: its sync sample \d+ does not decode alone/
--- no_error_log
[error]



=== TEST 6: its media segments are served as before
--- request
GET /i/ir/video-v-2.m4s
--- error_code: 200
--- no_error_log
[error]



=== TEST 7: open GOP: listed, each entry one I picture
--- request
GET /i/og/iframe-v.m3u8
--- response_body_filters eval
[main::at('i', 'og')]
--- response_body
6 entries, each one key frame
--- no_error_log
no I-frame playlist
[error]



=== TEST 8: and named in the multivariant playlist
--- request
GET /i/og/master.m3u8
--- response_body_like
#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,CODECS="avc1\.[0-9a-f]+",RESOLUTION=320x180,URI="iframe-v\.m3u8"
--- no_error_log
[error]



=== TEST 9: the moov in the page cache, the key frames not: the build is done again in a thread
--- init
(VodTest::drop_cache("$main::Cold/ir")
 && VodTest::moov_only_cached("$main::Cold/ir/v.mp4"))
    or VodTest::cannot('the page cache cannot be dropped here, or the moov '
                       . 'not read back alone');
--- request
GET /cold/ir/master.m3u8
--- error_code: 200
--- response_body_unlike
I-FRAME
--- grep_error_log eval
qr/index task posted|no I-frame playlist: its sync sample \d+/
--- grep_error_log_out eval
qr/^index task posted\nno I-frame playlist: its sync sample \d+\n$/
--- no_error_log
[error]



=== TEST 10: then from the index cache: no task, the same answer
--- request
GET /cold/ir/master.m3u8
--- error_code: 200
--- response_body_unlike
I-FRAME
--- no_error_log
index task posted
[error]
