# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package and empty edits: a file cut with its neighbours
# (ffmpeg -ss ... -c copy) starts its video at the next key frame and
# says so with an empty edit (elst media_time -1) before it: here 0.6 s
# of nothing, then the video, the audio after an edit of its own.  Players
# and ffmpeg present each track that late.  The packager did not: both
# tracks started at 0, the video 0.6 s early against the audio.  Now each
# track is presented as in the file (CMAF, MPEG-TS), its first segment
# takes the delay (EXTINF, the MPD's timeline and duration, the I-frame
# playlist, the tiles' cues reach the title's end, the average bit rate
# counts it), and a thumbnail at t is the frame the file presents at t.  An edit too long for any
# timeline is refused with one line.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;
use HTTP::Tiny;
use File::Temp ();

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_EDITS/cut/v.mp4: 10 s of 640x360 at 25 fps (a key frame a
# second, B-frames) and AAC, cut from 2.4 s: the video from the key frame
# at 3 s, 0.6 s late; huge/v.mp4: its first empty edit 2^32 - 1 ticks
our $Dir;

BEGIN {
    $Dir = ThumbTest::make_titles('TEST_NGINX_EDITS',
        ['-f', 'lavfi', '-i', 'testsrc2=size=640x360:rate=25:duration=10',
         '-f', 'lavfi', '-i', 'sine=f=440:duration=10', '-c:v', 'libx264',
         '-preset', 'veryfast', '-bf', '2', '-g', '25', '-keyint_min', '25',
         '-sc_threshold', '0', '-pix_fmt', 'yuv420p', '-c:a', 'aac',
         '-b:a', '64k', 'DIR/.src/v.mp4'],
        ['-i', 'DIR/.src/v.mp4', '-ss', '2.4', '-c', 'copy', '-movflags',
         '+faststart', 'DIR/cut/v.mp4']);

    open my $fh, '<:raw', "$Dir/cut/v.mp4" or die "cut: $!";
    local $/;
    my $data = <$fh>;
    close $fh;
    my $at = index($data, 'elst');
    die "cut: no elst" if $at < 0 || substr($data, $at + 4, 1) ne "\0"
        || unpack('l>', substr($data, $at + 16, 4)) != -1;
    substr($data, $at + 12, 4) = pack('N', 0xffffffff);
    File::Path::make_path("$Dir/huge");
    open $fh, '>:raw', "$Dir/huge/v.mp4" or die "huge: $!";
    print $fh $data;
    close $fh;
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_EDITS', 's', 'vod_iframe_playlists hls;');
$ThumbTest::SeekTimestamp = 1;

# a stream's first presentation time in a file, in ms
sub start_ms {
    my ($file, $sel) = @_;
    my ($s) = `ffprobe -v error -select_streams $sel -show_entries stream=start_time -of csv=p=0 $file`;
    $s =~ s/\s+//g;
    return sprintf('%.0f', $s * 1000);
}

# what $base/$path... joined into a temporary file
sub fetched {
    my ($base, @paths) = @_;
    my $http = HTTP::Tiny->new(timeout => 20);
    my $tmp = File::Temp->new(SUFFIX => $paths[0] =~ /\.ts$/ ? '.ts' : '.mp4');
    binmode $tmp;
    for my $p (@paths) {
        my $r = $http->get("$base/$p");
        die "$p: $r->{status}" unless $r->{success};
        print $tmp $r->{content};
    }
    close $tmp;
    return $tmp;
}

# "video FILE SERVED", "audio ...": each track's first presentation time
# (ms) in the file and in its CMAF init and first segment; "ts FILE
# SERVED": the video's less the audio's, in the file and in the first
# MPEG-TS segment (which starts at 10 s)
sub starts {
    my $base = "http://127.0.0.1:$Test::Nginx::Socket::ServerPort/s/cut";
    my $src = "$main::Dir/cut/v.mp4";
    my $out = '';
    for my $t (['video', 'v:0'], ['audio', 'a:0']) {
        my $f = fetched($base, "$t->[0]-v-init.mp4", "$t->[0]-v-1.m4s");
        $out .= join(' ', $t->[0], start_ms($src, $t->[1]),
                      start_ms("$f", $t->[1])) . "\n";
    }
    my $ts = fetched($base, 'ts-v-1.ts');
    $out .= join(' ', 'ts', start_ms($src, 'v:0') - start_ms($src, 'a:0'),
                 start_ms("$ts", 'v:0') - start_ms("$ts", 'a:0')) . "\n";
    return $out;
}

# "AVERAGE <= PEAK" for each variant of a multivariant playlist, or
# the two where the average is above
sub averages {
    my ($body) = @_;
    my $out = '';
    while ($body =~ /^#EXT-X-STREAM-INF:BANDWIDTH=(\d+),AVERAGE-BANDWIDTH=(\d+)/mg) {
        $out .= $2 <= $1 ? "AVERAGE <= PEAK\n" : "AVERAGE $2 > PEAK $1\n";
    }
    return $out;
}

run_tests();

__DATA__

=== TEST 1: each track presented when the file presents it
--- request
GET /s/cut/manifest.mpd
--- response_body_filters eval
[\&main::starts]
--- response_body
video 600 600
audio 14 14
ts 586 586
--- no_error_log
[error]


=== TEST 2: the video's first segment takes its delay: 7.6 s in all
--- request
GET /s/cut/video-v.m3u8
--- response_body_filters eval
[\&VodTest::extinfs]
--- response_body
4.600 3.000 = 7.600
--- no_error_log
[error]


=== TEST 3: the audio's cut at the first frame from the video's 4.6 s
--- request
GET /s/cut/audio-v.m3u8
--- response_body_filters eval
[\&VodTest::extinfs]
--- response_body
4.612 2.988 = 7.600
--- no_error_log
[error]


=== TEST 4: the MPD lasts to the title's end, its video from 0
--- request
GET /s/cut/manifest.mpd
--- response_body_like
mediaPresentationDuration="PT7\.600S".*<SegmentTemplate timescale="12800"[^>]*>\s*<SegmentTimeline>\s*<S t="0" d="58880"/>\s*<S d="38400"/>
--- no_error_log
[error]


=== TEST 5: the I-frame playlist's first key frame reaches back to 0
--- request
GET /tiles/cut/iframe-v.m3u8
--- response_body_filters eval
[\&VodTest::extinfs]
--- response_body
1.600 1.000 1.000 1.000 1.000 1.000 1.000 = 7.600
--- no_error_log
[error]


=== TEST 6: a thumbnail is the frame the file presents at its time
--- request
GET /s/cut/thumb-v-2200.jpg
--- response_body_filters eval
[main::frame('cut/v.mp4', '2.2', '1.6', '2.8')]
--- response_body
640,360,pc match other other
--- no_error_log
[error]


=== TEST 7: past the video's 7 s of frames, before the title's end
--- request
GET /s/cut/thumb-v-7400.jpg
--- response_body_filters eval
[main::frame('cut/v.mp4', '7.4')]
--- response_body
640,360,pc match
--- no_error_log
[error]


=== TEST 8: before the video starts: its first frame
--- request
GET /s/cut/thumb-v-300.jpg
--- response_body_filters eval
[main::frame('cut/v.mp4', '0.6', '1')]
--- response_body
640,360,pc match other
--- no_error_log
[error]


=== TEST 9: the tiles' cues tile the title to its end
--- request
GET /tiles/cut/tiles-v.vtt
--- response_body_like
00:00:07\.000 --> 00:00:07\.600\n\S+#xywh=\S+\n$
--- no_error_log
[error]


=== TEST 10: an empty edit of 2^32 - 1 ticks: 502, one line naming it
--- request
GET /s/huge/master.m3u8
--- error_code: 502
--- error_log eval
qr{\[error\].*huge/v\.mp4": track 1: elst empty edits of 4294967295 ticks in timescale 1000, more than the track's timeline holds}
--- grep_error_log: [error]
--- grep_error_log_out
[error]


=== TEST 11: the delay counted in the average too: never above the peak
Its bytes over the title's 7.6 s, as the segments' durations add up:
over the 7 s of its samples the average was above BANDWIDTH.
--- request
GET /s/cut/master.m3u8
--- response_body_filters eval
[\&main::averages]
--- response_body
AVERAGE <= PEAK
--- no_error_log
[error]
