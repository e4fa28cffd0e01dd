# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: the manifests time a track as it is presented, not as
# it is decoded.  Two kinds of file ffmpeg writes showed the difference:
#
# - AAC's priming: ffmpeg's AAC encoder starts the audio 1024 samples
#   in (the first edit's media_time), so its first frame is presented
#   before 0.  At 22050 Hz that frame lasts 46 ms: the audio's EXTINFs
#   and the MPD added up to 12.046 s for 12 s of audio.
# - B-frame video without an edit list (-use_editlist 0, and muxers that
#   write none): its first frame is presented two frames (83 ms) after
#   0.  Its EXTINFs (and its I-frame playlist's) added up to 12.000 s
#   where it lasts to 12.083 s, the MPD's S@t of each segment ran 83 ms
#   ahead of the frames in it, and a thumbnail of its last 83 ms was a
#   404.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use HTTP::Tiny;
use File::Temp ();

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_PRESENTED/prime/v.mp4: 12 s of 640x360 at 24 fps (a key
# frame each 2 s, B-frames) and 12 s of AAC at 22050 Hz, mono;
# noedit/v.mp4: the same video without an edit list
our $Dir;

BEGIN {
    my @video = ('-f', 'lavfi', '-i',
                 'testsrc2=size=640x360:rate=24:duration=12');
    my @x264 = ('-c:v', 'libx264', '-preset', 'veryfast', '-bf', '2',
                '-g', '48', '-keyint_min', '48', '-sc_threshold', '0',
                '-pix_fmt', 'yuv420p');
    $Dir = ThumbTest::make_titles('TEST_NGINX_PRESENTED',
        [@video, '-f', 'lavfi', '-i',
         'sine=f=440:duration=12:sample_rate=22050', @x264, '-c:a', 'aac',
         '-ac', '1', '-b:a', '48k', 'DIR/prime/v.mp4'],
        [@video, @x264, '-use_editlist', '0', 'DIR/noedit/v.mp4']);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_PRESENTED', 's',
                        'vod_iframe_playlists hls;');
$ThumbTest::SeekTimestamp = 1;

# where a stream of a file ends (start_time + duration) or starts, in s
sub probe {
    my ($file, $sel, $what) = @_;
    my ($v) = `ffprobe -v error -select_streams $sel -show_entries stream=start_time,duration -of csv=p=0 $file`;
    my ($start, $dur) = split /,/, $v // '';
    die "ffprobe $file $sel: no times" unless defined $dur;
    return $what eq 'start' ? $start : $start + $dur;
}

# "SUM END": a playlist's EXTINFs added up, and where the stream $sel of
# the title's file ends
sub extinf_sum {
    my ($title, $sel) = @_;
    return sub {
        my ($body) = @_;
        my $sum = 0;
        $sum += $_ for $body =~ /^#EXTINF:([0-9.]+),/mg;
        return sprintf("%.3f %.3f\n", $sum,
                       probe("$main::Dir/$title/v.mp4", $sel, 'end'));
    };
}

# "PT...S TYPE END ...": the MPD's duration and where each adaptation
# set's SegmentTimeline ends, in s
sub mpd_ends {
    my ($body) = @_;
    my ($dur) = $body =~ /mediaPresentationDuration="([^"]+)"/;
    my $out = $dur;
    while ($body =~ m{<AdaptationSet[^>]*contentType="(video|audio)"(.*?)</AdaptationSet>}sg) {
        my ($type, $set) = ($1, $2);
        my ($scale) = $set =~ /<SegmentTemplate timescale="(\d+)"/;
        my $t = 0;
        while ($set =~ /<S (?:t="(\d+)" )?d="(\d+)"(?: r="(\d+)")?\/>/g) {
            $t = $1 if defined $1;
            $t += $2 * (1 + ($3 // 0));
        }
        $out .= sprintf(" %s %.3f", $type, $t / $scale);
    }
    return "$out\n";
}

# "N S@t FIRST" for the video segments N after the first: the MPD's S@t
# of each, and when ffprobe reads its first frame presented (its init
# segment and it joined), in ms
sub s_times {
    my ($title) = @_;
    return sub {
        my ($body) = @_;
        my $base = "http://127.0.0.1:$Test::Nginx::Socket::ServerPort/s/$title";
        my ($set) = $body =~ m{contentType="video"(.*?)</AdaptationSet>}s;
        my ($scale) = $set =~ /<SegmentTemplate timescale="(\d+)"/;
        my ($t, @starts) = (0);
        while ($set =~ /<S (?:t="(\d+)" )?d="(\d+)"(?: r="(\d+)")?\/>/g) {
            $t = $1 if defined $1;
            for (0 .. ($3 // 0)) {
                push @starts, $t;
                $t += $2;
            }
        }
        my $http = HTTP::Tiny->new(timeout => 20);
        my $out = '';
        for my $n (2 .. @starts) {
            my $tmp = File::Temp->new(SUFFIX => '.mp4');
            binmode $tmp;
            for my $p ('video-v-init.mp4', "video-v-$n.m4s") {
                my $r = $http->get("$base/$p");
                die "$p: $r->{status}" unless $r->{success};
                print $tmp $r->{content};
            }
            close $tmp;
            $out .= sprintf("%d %.0f %.0f\n", $n,
                            $starts[$n - 1] * 1000 / $scale,
                            probe("$tmp", 'v:0', 'start') * 1000);
        }
        return $out;
    };
}

run_tests();

__DATA__

=== TEST 1: priming audio: its EXTINFs add up to its source's 12 s
--- request
GET /s/prime/audio-v.m3u8
--- response_body_filters eval
[main::extinf_sum('prime', 'a:0')]
--- response_body
12.000 12.000
--- no_error_log
[error]


=== TEST 2: priming audio: the MPD lasts 12 s, and so does each timeline
--- request
GET /s/prime/manifest.mpd
--- response_body_filters eval
[\&main::mpd_ends]
--- response_body
PT12.000S video 12.000 audio 12.000
--- no_error_log
[error]


=== TEST 3: video without an edit list: its EXTINFs reach its end
--- request
GET /s/noedit/video-v.m3u8
--- response_body_filters eval
[main::extinf_sum('noedit', 'v:0')]
--- response_body
12.083 12.083
--- no_error_log
[error]


=== TEST 4: video without an edit list: the MPD lasts to its end
--- request
GET /s/noedit/manifest.mpd
--- response_body_filters eval
[\&main::mpd_ends]
--- response_body
PT12.083S video 12.083
--- no_error_log
[error]


=== TEST 5: each segment's S@t is when its first frame is presented
--- request
GET /s/noedit/manifest.mpd
--- response_body_filters eval
[main::s_times('noedit')]
--- response_body
2 4083 4083
3 8083 8083
--- no_error_log
[error]


=== TEST 6: its I-frame playlist too, the first key frame's from 0
--- request
GET /tiles/noedit/iframe-v.m3u8
--- response_body_filters eval
[\&VodTest::extinfs]
--- response_body
2.083 2.000 2.000 2.000 2.000 2.000 = 12.083
--- no_error_log
[error]


=== TEST 7: a thumbnail of the video's last 83 ms: its last frame
--- request
GET /s/noedit/thumb-v-12042.jpg
--- response_body_filters eval
[main::frame('noedit/v.mp4', '12.0416', '12')]
--- response_body
640,360,pc match other
--- no_error_log
[error]
