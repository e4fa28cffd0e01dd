# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: BANDWIDTH where segments are shorter than a second.
# Each segment carries boxes of its own (moof, traf, trun's header, mdat's;
# under Common Encryption senc, saiz and saio; under HLS AES-128 its
# padding), which the bitrates counted as if every segment lasted a
# second.  A title's last segment, a short title or a short
# vod_segment_duration then peaked above its BANDWIDTH: a 4.3 s AAC title
# cut every second ends with 0.3 s whose 150 bytes of boxes come to
# 4 kbit/s, where 1.2 were counted (72418 bit/s against 71979).  Now they
# are counted as often as the shortest segment fits in a second.  Every
# variant of master.m3u8 (CMAF, clear and under cenc) is walked: its
# segments' bytes over their EXTINFs never above its BANDWIDTH (the MPD's
# bandwidth comes from the same count).

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use HTTP::Tiny;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_SHORT/a43/v.mp4: 4.3 s of AAC at 32 kbit/s (at 64 the
# first segment's rate, its 0.998 s carrying the priming frame presented
# before 0 as well, came within 500 bit/s of the last's, and counting the
# last one's boxes once a second no longer showed); v15/v.mp4: 1.5
# s of 320x180 H.264 at 25 fps, a key frame every 5 frames, and AAC: 1 s
# and 0.5 s segments
our $Dir;

BEGIN {
    $Dir = ThumbTest::make_titles('TEST_NGINX_SHORT',
        ['-f', 'lavfi', '-i', 'sine=f=300:duration=4.3', '-c:a', 'aac',
         '-b:a', '32k', 'DIR/a43/v.mp4'],
        ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=1.5',
         '-f', 'lavfi', '-i', 'sine=duration=1.5', '-c:v', 'libx264',
         '-preset', 'veryfast', '-g', '5', '-keyint_min', '5',
         '-sc_threshold', '0', '-c:a', 'aac', 'DIR/v15/v.mp4']);
    open my $fh, '>:raw', "$Dir/cenc.key" or die "key: $!";
    print $fh 'k' x 32;
    close $fh;
}

no_shuffle();
log_level('info');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', <<"_EOC_") unless defined $block->config;
    location /s/ {
        alias $Dir/;
        vod_package;
        vod_segment_duration 1s;
    }
    location /e/ {
        alias $Dir/;
        vod_package;
        vod_segment_duration 1s;
        vod_encryption cenc;
        vod_encryption_key_file $Dir/cenc.key;
    }
_EOC_
});

# "URI BANDWIDTH>=peak" (or "URI BANDWIDTH < peak") for each playlist of
# the multivariant playlist $master under $base: a variant's BANDWIDTH
# against the peak of its own segments plus its audio group's, an audio
# rendition's line (as "audio") against its own
sub peaks {
    my ($base, $master) = @_;
    my $http = HTTP::Tiny->new(timeout => 20);
    my $peak = sub {
        my ($uri) = @_;
        my $pl = $http->get("$base/$uri")->{content};
        my ($p, $d) = (0, 0);
        for my $line (split /\n/, $pl) {
            if ($line =~ /^#EXTINF:([0-9.]+)/) {
                $d = $1;
            } elsif ($line !~ /^#/ && $line ne '') {
                my $n = length $http->get("$base/$line")->{content};
                my $r = $n * 8 / $d;
                $p = $r if $r > $p;
            }
        }
        return $p;
    };
    my $out = '';
    my $audio = 0;
    for my $uri ($master =~ /TYPE=AUDIO[^\n]*URI="([^"]+)"/g) {
        $audio = $peak->($uri);
    }
    my @v = $master =~ /^#EXT-X-STREAM-INF:BANDWIDTH=(\d+)[^\n]*\n(\S+)/mg;
    while (my ($bw, $uri) = splice @v, 0, 2) {
        my $p = $peak->($uri);
        $p += $audio if $uri =~ /^video/;
        $out .= sprintf "%s %s\n", $uri, $bw >= $p ? 'BANDWIDTH>=peak'
                                       : "BANDWIDTH $bw < peak " . int($p);
    }
    return $out;
}

# the filter of a block: peaks() of title $title under location /$loc/
sub at {
    my ($loc, $title) = @_;
    return sub {
        peaks("http://127.0.0.1:$Test::Nginx::Socket::ServerPort/$loc/$title",
              $_[0]);
    };
}

run_tests();

__DATA__

=== TEST 1: audio alone, 0.3 s last
--- request
GET /s/a43/master.m3u8
--- response_body_filters eval
[main::at('s', 'a43')]
--- response_body
audio-v.m3u8 BANDWIDTH>=peak
--- no_error_log
[error]



=== TEST 2: the same under cenc (senc, saiz and saio a segment)
--- request
GET /e/a43/master.m3u8
--- response_body_filters eval
[main::at('e', 'a43')]
--- response_body
audio-v.m3u8 BANDWIDTH>=peak
--- no_error_log
[error]



=== TEST 3: video and audio, 0.5 s last
--- request
GET /s/v15/master.m3u8
--- response_body_filters eval
[main::at('s', 'v15')]
--- response_body
video-v.m3u8 BANDWIDTH>=peak
--- no_error_log
[error]



=== TEST 4: the same under cenc
--- request
GET /e/v15/master.m3u8
--- response_body_filters eval
[main::at('e', 'v15')]
--- response_body
video-v.m3u8 BANDWIDTH>=peak
--- no_error_log
[error]
