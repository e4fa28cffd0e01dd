# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package and chapter tracks: iTunes, HandBrake and ffmpeg write a
# file's chapter titles as a disabled QuickTime text track that the other
# tracks' tref/chap names.  No player plays it, and the packager leaves it
# out quietly; it logged an [error] "track 3 (text) left out" for every
# such file.  A track a player would play but the packager cannot (PCM
# audio) is still left out with its one line.

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use ThumbTest;

BEGIN { ThumbTest::skip_without_ffmpeg() }

use Test::Nginx::Socket 'no_plan';

# $TEST_NGINX_CHAPTERS/chap/v.mp4: 2 s of video and AAC with two
# chapters; pcm/v.mp4: the same with its audio as 16-bit PCM (sowt)
BEGIN {
    my $dir = ThumbTest::make_titles('TEST_NGINX_CHAPTERS',
        ['-f', 'lavfi', '-i', 'testsrc2=size=320x180:rate=25:duration=2',
         '-f', 'lavfi', '-i', 'sine=duration=2', '-c:v', 'libx264',
         '-preset', 'veryfast', '-c:a', 'aac', 'DIR/.src/v.mp4']);
    open my $fh, '>', "$dir/.src/chapters.txt" or die "chapters: $!";
    print $fh ";FFMETADATA1\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=0\n"
        . "END=1000\ntitle=One\n[CHAPTER]\nTIMEBASE=1/1000\nSTART=1000\n"
        . "END=2000\ntitle=Two\n";
    close $fh;
    ThumbTest::make_titles('TEST_NGINX_CHAPTERS_MADE',
        ['-i', "$dir/.src/v.mp4", '-f', 'ffmetadata', '-i',
         "$dir/.src/chapters.txt", '-map', '0', '-map_chapters', '1',
         '-c', 'copy', "$dir/chap/v.mp4"],
        ['-i', "$dir/.src/v.mp4", '-c:v', 'copy', '-c:a', 'pcm_s16le',
         '-f', 'mov', "$dir/pcm/v.mp4"]);
}

no_shuffle();
log_level('info');

ThumbTest::serve_titles('TEST_NGINX_CHAPTERS', 's');

run_tests();

__DATA__

=== TEST 1: a chapter track is left out without a word
--- request
GET /s/chap/master.m3u8
--- response_body_like chomp
CODECS="avc1\.[0-9a-f]+,mp4a\.40\.2"
--- no_error_log
left out
[error]



=== TEST 2: PCM audio is left out with its one line, the video plays
--- request
GET /s/pcm/master.m3u8
--- response_body_like chomp
CODECS="avc1\.[0-9a-f]+"
--- error_log eval
qr{\[error\].*pcm/v\.mp4": track 2 \(sowt\) left out: not a format the packager packages}
--- grep_error_log: [error]
--- grep_error_log_out
[error]
