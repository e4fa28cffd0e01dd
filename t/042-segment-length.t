# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: a rendition whose segments come out far longer than
# vod_segment_duration is said in the error log, once per manifest made,
# with its cause.  A segment starts at a video key frame where every
# track of the file still has samples, so key frames far apart, or an
# audio track that ends long before the video, make long segments; the
# playlists only follow (EXTINF, EXT-X-TARGETDURATION), and players then
# start, seek and switch only that often.  Before, nothing said it.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_SEGLEN/: 12 s of 160x90 H.264 at 25 fps with AAC.
# keys5/: a key frame every 5 s (segments 5, 5 and 2 s at a 2 s target);
# keys2/: every 2 s; audio3/: key frames every 2 s, audio 3 s long (the
# cuts stop where the audio ends: 2 s, then the other 10)
our $Dir;

BEGIN {
    my @v = ('-f', 'lavfi', '-i', 'testsrc2=size=160x90:rate=25:duration=12',
             '-c:v', 'libx264', '-preset', 'veryfast', '-sc_threshold', '0',
             '-c:a', 'aac');
    $Dir = ThumbTest::make_titles('TEST_NGINX_SEGLEN',
        ['-f', 'lavfi', '-i', 'sine=duration=12', @v, '-g', '125',
         '-keyint_min', '125', 'DIR/keys5/v.mp4'],
        ['-f', 'lavfi', '-i', 'sine=duration=12', @v, '-g', '50',
         '-keyint_min', '50', 'DIR/keys2/v.mp4'],
        ['-f', 'lavfi', '-i', 'sine=duration=3', @v, '-g', '50',
         '-keyint_min', '50', 'DIR/audio3/v.mp4']);
}

no_shuffle();
log_level('info');

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('config', <<"_EOC_") unless defined $block->config;
    location /s2/ {
        alias $Dir/;
        vod_package;
        vod_segment_duration 2s;
    }
    location /s3/ {
        alias $Dir/;
        vod_package;
        vod_segment_duration 3s;
    }
_EOC_
});

run_tests();

__DATA__

=== TEST 1: key frames 5 s apart at a 2 s target: said, with the segment
--- request
GET /s2/keys5/master.m3u8
--- error_code: 200
--- error_log eval
qr/\[warn\] .*vod_package: "[^"]*keys5": rendition "v": segment 1 lasts 5\.000 s, over twice vod_segment_duration \(2000 ms\), because its video has no key frame between; players start, seek and switch only at key frames: encode with one at least every 2000 ms/
--- no_error_log
[error]



=== TEST 2: the media playlist shows the same 5 s segments
--- request
GET /s2/keys5/video-v.m3u8
--- response_body_filters eval
\&VodTest::extinfs
--- response_body
5.000 5.000 2.000 = 12.000



=== TEST 3: the MPD too
--- request
GET /s2/keys5/manifest.mpd
--- error_code: 200
--- error_log
rendition "v": segment 1 lasts 5.000 s, over twice
--- no_error_log
[error]



=== TEST 4: at a 3 s target 5 s is not over twice: nothing said
--- request
GET /s3/keys5/master.m3u8
--- error_code: 200
--- no_error_log
over twice
[error]



=== TEST 5: key frames every 2 s: nothing said
--- request
GET /s2/keys2/master.m3u8
--- error_code: 200
--- no_error_log
over twice
[error]



=== TEST 6: audio that ends at 3 s: the last segment is the other 10 s, and the audio is named
--- request
GET /s2/audio3/master.m3u8
--- error_code: 200
--- error_log eval
qr/\[warn\] .*vod_package: "[^"]*audio3": rendition "v": its last segment \(2\) lasts 10\.\d{3} s, over twice vod_segment_duration \(2000 ms\), because audio track 2 ends at 3\.\d{3} s, before the video: no segment starts where a track has no sample left; make the tracks the same length/
--- no_error_log
[error]
no key frame between
