# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: text tracks inside the MP4 files (mov_text, tx3g) as
# subtitle renditions.  Titles made by tools/mkmedia-text.sh: two ladder
# files each carrying the same German and Japanese mov_text tracks (one
# rendition each, text{T}-{id} of the first file), a sidecar listed before
# them, and a title whose German track is broken.  Both HLS multivariant
# playlists and the MPD list them with their language and name; the
# WebVTT segments and the whole file hold the cues ffmpeg extracts from
# the file (same times, same text, & escaped); unknown ids answer 404,
# malformed names 400; the broken track is left out with one log line and
# the title plays.  Under "aio threads" too.  Not a block file: it walks
# the manifests of its own nginx.

use strict;
use utf8;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use JSON::PP ();
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 18;
my $dir = VodTest::nginx_dir('vodtext');
my $media = "$dir/media";

# the titles, made here (a few seconds of ffmpeg), or where
# TEST_NGINX_TEXT_MEDIA names a copy already made
if ($ENV{TEST_NGINX_TEXT_MEDIA} && -f "$ENV{TEST_NGINX_TEXT_MEDIA}/.done") {
    system('cp', '-r', $ENV{TEST_NGINX_TEXT_MEDIA}, $media) == 0
        or die "cp: $?";
} else {
    system("$FindBin::Bin/../tools/mkmedia-text.sh", $media, 6) == 0
        or die "tools/mkmedia-text.sh failed: $?";
}
system('chmod', '-R', 'a+rX', $media) == 0 or die "chmod: $?";

VodTest::nginx_start($dir, <<"_EOC_");
    vod_index_cache vod_index:16m;
    server {
        listen 127.0.0.1:$port;
        location /vod/ {
            alias $media/;
            vod_package;
            vod_segment_duration 2s;
        }
        location /thread/ {
            alias $media/;
            vod_package;
            vod_segment_duration 2s;
            aio threads;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 20);
my $base = "http://127.0.0.1:$port";

sub get { return $http->get("$base/$_[0]") }

sub extinfs { return join ',', $_[0] =~ /^#EXTINF:([\d.]+),/mg }

# the cues of a WebVTT body: "start-end text" (text lines joined by '|')
sub cues {
    my ($body) = @_;
    my @c;
    while ($body =~ /^(\d\d:)?(\d\d:\d\d\.\d\d\d) --> (\d\d:)?(\d\d:\d\d\.\d\d\d)[^\n]*\n((?:[^\n]+\n?)+)/mg) {
        my ($from, $to, $text) = (($1 // '00:') . $2, ($3 // '00:') . $4,
                                  $5);
        $text =~ s/\n\z//;
        push @c, "$from-$to " . join '|', split /\n/, $text;
    }
    return \@c;
}

# what ffmpeg extracts of a file's n-th subtitle stream, & as we escape it
sub ffmpeg_cues {
    my ($file, $n) = @_;
    my $out = `ffmpeg -v error -i $file -map 0:s:$n -f webvtt - 2>&1`;
    utf8::decode($out);
    my $c = cues($out);
    s/&/&amp;/g for @$c;
    return $c;
}

sub decoded { my $s = $_[0]; utf8::decode($s); return $s }

my %want = (
    de => ffmpeg_cues("$media/text/240p.mp4", 0),
    ja => ffmpeg_cues("$media/text/240p.mp4", 1),
);
is(scalar @{$want{de}}, 3, 'ffmpeg extracts the German track\'s 3 cues')
    or diag(explain($want{de}));
is(scalar @{$want{ja}}, 2, 'ffmpeg extracts the Japanese track\'s 2 cues');

for my $loc (qw(vod thread)) {
    for my $ts (0, 1) {
        my $name = $ts ? 'master-ts.m3u8' : 'master.m3u8';
        my $pre = $ts ? 'subts' : 'sub';
        my $r = get("$loc/text/$name");
        is($r->{status}, 200, "$loc/text/$name: 200");
        my ($m, $variants) = VodTest::hls_master(decoded($r->{content}));
        my @got = map {
            join ' ', "NAME=$_->{NAME}", 'LANGUAGE=' . ($_->{LANGUAGE} // '-'),
                "FORCED=$_->{FORCED}", "URI=$_->{URI}"
        } grep { $_->{TYPE} eq 'SUBTITLES' } @$m;
        is_deeply(\@got, [
            "NAME=English LANGUAGE=en FORCED=NO URI=$pre-movie.en.m3u8",
            "NAME=German LANGUAGE=de FORCED=NO URI=$pre-text3-360p.m3u8",
            "NAME=Japanese LANGUAGE=ja FORCED=NO URI=$pre-text4-360p.m3u8",
        ], "$loc/text/$name: the sidecar, then one EXT-X-MEDIA per text "
           . 'track of the ladder, with the id of the first rendition in '
           . 'title order (its copy in 240p.mp4 not again)')
            or diag($r->{content});
        is(scalar(grep { ($_->{SUBTITLES} // '') eq 'subs' } @$variants), 2,
           "$loc/text/$name: SUBTITLES=\"subs\" on both variants");

        # the playlist follows the video's segments; each segment holds
        # the cues shown in it, the one across 2 s in both
        my $video = get("$loc/text/$variants->[0]{uri}");
        my $list = get("$loc/text/$pre-text3-360p.m3u8");
        is($list->{status}, 200, "$loc/text/$pre-text3-360p.m3u8: 200");
        is(extinfs($list->{content}), extinfs($video->{content}),
           "$loc/text/$pre-text3-360p.m3u8: the video's segment durations");
        my @segs = $list->{content} =~ /^([^#\s]\S*\.vtt)$/mg;
        is_deeply(\@segs, [map { "$pre-text3-360p-$_.vtt" } 1 .. 3],
                  "$loc/text/$pre-text3-360p.m3u8: its segments");
        my $de = $want{de};
        my @per = ([$de->[0], $de->[1]], [$de->[1]], [$de->[2]]);
        my $mpegts = $ts ? 900000 : 0;
        for my $i (0 .. 2) {
            my $s = get("$loc/text/$segs[$i]");
            is($s->{headers}{'content-type'}, 'text/vtt; charset=utf-8',
               "$loc/text/$segs[$i]: text/vtt");
            like($s->{content},
                 qr/\AWEBVTT\nX-TIMESTAMP-MAP=MPEGTS:$mpegts,LOCAL:00:00:00\.000\n\n/,
                 "$loc/text/$segs[$i]: the timestamp map");
            is_deeply(cues(decoded($s->{content})), $per[$i],
                      "$loc/text/$segs[$i]: the cues ffmpeg extracts, "
                      . 'those shown in it') or diag($s->{content});
        }
    }

    # the whole track; the same from the copy in the other file
    for my $id (qw(text4-240p text4-360p)) {
        my $r = get("$loc/text/sub-$id-full.vtt");
        is($r->{status}, 200, "$loc/text/sub-$id-full.vtt: 200");
        is_deeply(cues(decoded($r->{content})), $want{ja},
                  "$loc/text/sub-$id-full.vtt: the Japanese cues as ffmpeg "
                  . 'extracts them') or diag($r->{content});
    }

    # DASH: a text AdaptationSet per rendition
    my $r = get("$loc/text/manifest.mpd");
    is($r->{status}, 200, "$loc/text/manifest.mpd: 200");
    my @sets;
    for my $as ($r->{content} =~
                m{(<AdaptationSet[^>]*contentType="text".*?</AdaptationSet>)}sg)
    {
        my ($lang) = $as =~ /lang="([^"]+)"/;
        my ($url) = $as =~ m{<BaseURL>([^<]+)</BaseURL>};
        push @sets, "$lang $url";
        my $f = get("$loc/text/$url");
        ok($f->{success} && $f->{content} =~ /\AWEBVTT\n\n\d/,
           "$loc/text/$url: WebVTT");
    }
    is_deeply(\@sets, ['en sub-movie.en-full.vtt',
                       'de sub-text3-360p-full.vtt',
                       'ja sub-text4-360p-full.vtt'],
              "$loc/text/manifest.mpd: the text AdaptationSets")
        or diag($r->{content});

    # tracks.json: the same renditions, as the playback API passes them on
    $r = get("$loc/text/tracks.json");
    my $j = eval { JSON::PP->new->decode($r->{content}) } || {};
    is_deeply([map { "$_->{id} $_->{language} $_->{name} $_->{forced}" }
               @{ $j->{subtitles} || [] }],
              ['sub-movie.en en English 0', 'sub-text3-360p de German 0',
               'sub-text4-360p ja Japanese 0'],
              "$loc/text/tracks.json: the sidecar and the text tracks")
        or diag($r->{content});

    # the broken track: left out, the title plays
    $r = get("$loc/broken/master.m3u8");
    is($r->{status}, 200, "$loc/broken/master.m3u8: 200");
    my ($m) = VodTest::hls_master(decoded($r->{content}));
    is_deeply([map { $_->{URI} } grep { $_->{TYPE} eq 'SUBTITLES' } @$m],
              ['sub-text4-360p.m3u8'],
              "$loc/broken/master.m3u8: the broken German track left out")
        or diag($r->{content});
    is(get("$loc/broken/video-360p-1.m4s")->{status}, 200,
       "$loc/broken: its video plays");
    is(get("$loc/broken/sub-text3-360p-1.vtt")->{status}, 502,
       "$loc/broken: the broken track's segment: 502");
}

# ffmpeg reads the subtitle playlist
my $ff = `ffmpeg -v error -i $base/vod/text/sub-text4-360p.m3u8 -f webvtt - 2>&1`;
utf8::decode($ff);
ok(index($ff, 'さようなら') >= 0 && $ff =~ /00:03\.000 --> 00:03\.800/,
   'ffmpeg reads the HLS subtitle playlist of a text track') or diag($ff);

# what is not there, and bad names
for (['sub-text9-240p.m3u8', 404, 'a track the file does not have'],
     ['sub-text1-240p-full.vtt', 404, 'the video track\'s id'],
     ['sub-text3-1080p.m3u8', 404, 'a rendition the title does not have'],
     ['sub-text3-360p-4.vtt', 404, 'past the last segment'],
     ['sub-text0-240p.m3u8', 404, 'track 0'],
     ['sub-text3-360p-0.vtt', 400, 'segment 0'],
     ['subts-text3-240p-full.vtt', 400, 'no whole file under subts-'],
     ['sub-text3-360p.m4s', 400, 'not .vtt'])
{
    is(get("vod/text/$_->[0]")->{status}, $_->[1], "$_->[2]: $_->[1]");
}

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;

# the broken track: one line per request that converted it, with the reason
my @de = grep { m{/broken/360p\.mp4} } @bad;
my %per;
$per{/request: "([^"]*)"/ ? $1 : 'none'}++ for @de;
ok(@de >= 2 && !grep({ $_ != 1 } values %per)
   && !grep({ !/text track: tx3g sample \d+: text of 65535 bytes past/ } @de),
   'the broken track: one line per request, with the reason') or diag(@de);
@bad = grep { !m{/broken/360p\.mp4} } @bad;
is(scalar @bad, 0, 'nothing else logged as an error') or diag(@bad);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
