# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: sidecar subtitles.  Titles made by tools/mkmedia-subs.sh
# (WebVTT and SRT files with non-ASCII text beside an MP4, a forced and an
# SDH track, a broken file; the same named by a title.json): both HLS
# multivariant playlists list one EXT-X-MEDIA TYPE=SUBTITLES per usable
# file with its language, name, DEFAULT, AUTOSELECT, FORCED and, for SDH,
# CHARACTERISTICS, and SUBTITLES="subs" on every variant; the subtitle
# playlists follow the video's segments, each WebVTT segment holds the
# cues shown in it (one across a boundary in both), with an
# X-TIMESTAMP-MAP matching the start of the CMAF or MPEG-TS segments that
# ffprobe reads; ffmpeg reads the subtitle playlist; the MPD has a text
# AdaptationSet per file whose WebVTT answers.  The broken file is left
# out with one log line and does not take the title down.  Under "aio
# threads" too.  Not a block file: it walks the manifests of its own
# nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use File::Temp ();
use JSON::PP ();
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 13;
my $dir = VodTest::nginx_dir('vodsubs');
my $media = "$dir/media";

# the titles, made here (a few seconds of ffmpeg), or where
# TEST_NGINX_SUBS_MEDIA names a copy already made
if ($ENV{TEST_NGINX_SUBS_MEDIA} && -f "$ENV{TEST_NGINX_SUBS_MEDIA}/.done") {
    system('cp', '-r', $ENV{TEST_NGINX_SUBS_MEDIA}, $media) == 0
        or die "cp: $?";
} else {
    system("$FindBin::Bin/../tools/mkmedia-subs.sh", $media, 6) == 0
        or die "tools/mkmedia-subs.sh failed: $?";
}

# a title.json that names a subtitle member it does not know
system('cp', '-r', "$media/json", "$media/badjson") == 0 or die "cp: $?";
{
    open my $fh, '>', "$media/badjson/title.json" or die $!;
    print $fh '{"renditions": [{"id": "360p", "file": "360p.mp4"}],'
              . ' "subtitles": [{"file": "movie.en.vtt", "lang": "en"}]}';
    close $fh;
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

# the subtitle renditions and the variants of a multivariant playlist
sub master {
    my ($media, $variants) = VodTest::hls_master($_[0]);
    return ([ grep { $_->{TYPE} eq 'SUBTITLES' } @$media ], $variants);
}

sub extinfs { return join ',', $_[0] =~ /^#EXTINF:([\d.]+),/mg }

# the cues of a WebVTT body: "start-end text" (first text line)
sub cues {
    my ($body) = @_;
    my @c;
    while ($body =~ /^(\d\d:\d\d:\d\d\.\d\d\d) --> (\d\d:\d\d:\d\d\.\d\d\d)[^\n]*\n([^\n]*)/mg) {
        push @c, "$1-$2 $3";
    }
    return \@c;
}

# the first presentation time of a segment's video, by ffprobe
sub video_start {
    my (@parts) = @_;
    my $tmp = File::Temp->new(SUFFIX => '.bin');
    binmode $tmp;
    print $tmp @parts;
    close $tmp;
    my $out = `ffprobe -v error -select_streams v -show_entries stream=start_time -of default=nw=1:nk=1 $tmp | head -1 2>&1`;
    chomp $out;
    return $out;
}

my $sdh = 'public.accessibility.transcribes-spoken-dialog,'
          . 'public.accessibility.describes-music-and-sound';

my $en1 = '00:00:00.500-00:00:01.400 [0.5] Café crème, naïve façade';
my $en2 = '00:00:01.500-00:00:02.500 [1.5] Across the boundary – ünïcödé';
my $en3 = '00:00:04.000-00:00:05.000 [4.0] <i>Fin</i> 終わり';

for my $loc (qw(vod thread)) {
    for my $ts (0, 1) {
        my $name = $ts ? 'master-ts.m3u8' : 'master.m3u8';
        my $pre = $ts ? 'subts' : 'sub';
        my $r = get("$loc/subs/$name");
        is($r->{status}, 200, "$loc/subs/$name: 200, the broken file "
                              . 'does not take the title down');
        my ($subs, $variants) = master($r->{content});

        my @got = map {
            join ' ', "GROUP-ID=$_->{'GROUP-ID'}", "NAME=$_->{NAME}",
                'LANGUAGE=' . ($_->{LANGUAGE} // '-'),
                "DEFAULT=$_->{DEFAULT}", "AUTOSELECT=$_->{AUTOSELECT}",
                "FORCED=$_->{FORCED}",
                'CHARACTERISTICS=' . ($_->{CHARACTERISTICS} // '-'),
                "URI=$_->{URI}"
        } @$subs;
        is_deeply(\@got, [
            'GROUP-ID=subs NAME=English LANGUAGE=en DEFAULT=NO '
                . "AUTOSELECT=YES FORCED=NO CHARACTERISTICS=- "
                . "URI=$pre-movie.en.m3u8",
            'GROUP-ID=subs NAME=English (forced) LANGUAGE=en DEFAULT=NO '
                . 'AUTOSELECT=YES FORCED=YES CHARACTERISTICS=- '
                . "URI=$pre-movie.en.forced.m3u8",
            'GROUP-ID=subs NAME=English SDH LANGUAGE=en DEFAULT=NO '
                . "AUTOSELECT=YES FORCED=NO CHARACTERISTICS=$sdh "
                . "URI=$pre-movie.en.sdh.m3u8",
            'GROUP-ID=subs NAME=Spanish (419) LANGUAGE=es-419 DEFAULT=NO '
                . 'AUTOSELECT=YES FORCED=NO CHARACTERISTICS=- '
                . "URI=$pre-movie.es-419.m3u8",
        ], "$loc/subs/$name: one EXT-X-MEDIA per usable subtitle file, "
           . 'the broken one left out') or diag($r->{content});

        ok(@$variants && !grep({ ($_->{SUBTITLES} // '') ne 'subs' }
                               @$variants),
           "$loc/subs/$name: SUBTITLES=\"subs\" on every variant")
            or diag($r->{content});

        # the subtitle playlist on the video's segments
        my $video = get("$loc/subs/$variants->[0]{uri}");
        my $list = get("$loc/subs/$pre-movie.en.m3u8");
        is($list->{status}, 200, "$loc/subs/$pre-movie.en.m3u8: 200");
        is(extinfs($list->{content}), extinfs($video->{content}),
           "$loc/subs/$pre-movie.en.m3u8: the video's segment durations");
        my @segs = $list->{content} =~ /^([^#\s]\S*\.vtt)$/mg;
        is_deeply(\@segs, [map { "$pre-movie.en-$_.vtt" } 1 .. 3],
                  "$loc/subs/$pre-movie.en.m3u8: its segments");

        # the cues by segment; the one across 2 s in both
        my @want = ([$en1, $en2], [$en2], [$en3]);
        my $mpegts = $ts ? 900000 : 0;
        for my $i (0 .. 2) {
            my $s = get("$loc/subs/$segs[$i]");
            is($s->{headers}{'content-type'}, 'text/vtt; charset=utf-8',
               "$loc/subs/$segs[$i]: text/vtt");
            like($s->{content},
                 qr/\AWEBVTT\nX-TIMESTAMP-MAP=MPEGTS:$mpegts,LOCAL:00:00:00\.000\n\n/,
                 "$loc/subs/$segs[$i]: the timestamp map");
            is_deeply(cues($s->{content}), $want[$i],
                      "$loc/subs/$segs[$i]: the cues shown in it")
                or diag($s->{content});
        }

        # the map's MPEGTS is where the media's zero is (the source's first
        # frame is at 0): in MPEG-TS the first video frame's time, in CMAF
        # within a frame of it (its video starts a frame late, at 0.04 s;
        # its audio at 0)
        my $start;
        if ($ts) {
            $start = video_start(get("$loc/subs/ts-360p-1.ts")->{content});
        } else {
            $start = video_start(
                get("$loc/subs/video-360p-init.mp4")->{content},
                get("$loc/subs/video-360p-1.m4s")->{content});
        }
        ok(length $start && $start - $mpegts / 90000 >= 0
           && $start - $mpegts / 90000 < ($ts ? 0.001 : 0.041),
           "$loc/subs/$name: X-TIMESTAMP-MAP=MPEGTS:$mpegts is the "
           . "media's zero (first video frame at $start s)");
    }

    # SRT converted; non-ASCII UTF-8 kept
    my $r = get("$loc/subs/sub-movie.es-419-full.vtt");
    is($r->{status}, 200, "$loc/subs/sub-movie.es-419-full.vtt: 200");
    my $want = "WEBVTT\n\n00:00:00.500 --> 00:00:01.400\n"
               . "[0.5] <i>¿Dónde está</i> la estación?\n\n"
               . "00:00:02.200 --> 00:00:03.000\n"
               . "[2.2] Tom &amp; Jerry &gt; ñandú\n";
    is($r->{content}, $want, "$loc: the SRT file as WebVTT");

    # DASH: a text AdaptationSet per usable file, its WebVTT answering
    $r = get("$loc/subs/manifest.mpd");
    is($r->{status}, 200, "$loc/subs/manifest.mpd: 200");
    my @sets;
    for my $as ($r->{content} =~
                m{(<AdaptationSet[^>]*contentType="text".*?</AdaptationSet>)}sg)
    {
        my ($mime) = $as =~ /mimeType="([^"]+)"/;
        my ($lang) = $as =~ /lang="([^"]+)"/;
        my ($role) = $as =~ /<Role [^>]*value="([^"]+)"/;
        my ($url) = $as =~ m{<BaseURL>([^<]+)</BaseURL>};
        push @sets, "$mime $lang $role $url";
        my $f = get("$loc/subs/$url");
        ok($f->{success} && $f->{content} =~ /\AWEBVTT\n/
           && $f->{content} !~ /X-TIMESTAMP-MAP/,
           "$loc/subs/$url: the whole file as WebVTT");
    }
    is_deeply(\@sets, [
        'text/vtt en subtitle sub-movie.en-full.vtt',
        'text/vtt en forced-subtitle sub-movie.en.forced-full.vtt',
        'text/vtt en caption sub-movie.en.sdh-full.vtt',
        'text/vtt es-419 subtitle sub-movie.es-419-full.vtt',
    ], "$loc/subs/manifest.mpd: the text AdaptationSets")
        or diag($r->{content});
}

# title.json: ids, names, languages and the default from it; a file it
# does not name is not a rendition
my $r = get('vod/json/master.m3u8');
my ($subs) = master($r->{content});
my $esname = 'Español (Latinoamérica)';
is_deeply([map { "$_->{URI} $_->{NAME} $_->{LANGUAGE} $_->{DEFAULT}" }
           @$subs],
          ['sub-en.m3u8 English en YES',
           "sub-es.m3u8 $esname es-419 NO",
           'sub-en-sdh.m3u8 English (GB) SDH en-GB NO'],
          'json: the subtitles title.json names, with its overrides')
    or diag($r->{content});
is(get('vod/json/sub-es-2.vtt')->{status}, 200, 'json: by its id');

# tracks.json lists the subtitle renditions the manifests list: inferred
# from the file names, and as title.json names them (its default)
for my $t (['subs', [
            'sub-movie.en en English forced=0 sdh=0 default=0',
            'sub-movie.en.forced en English (forced) forced=1 sdh=0 default=0',
            'sub-movie.en.sdh en English SDH forced=0 sdh=1 default=0',
            'sub-movie.es-419 es-419 Spanish (419) forced=0 sdh=0 default=0']],
           ['json', [
            'sub-en en English forced=0 sdh=0 default=1',
            "sub-es es-419 $esname forced=0 sdh=0 default=0",
            'sub-en-sdh en-GB English (GB) SDH forced=0 sdh=1 default=0']])
{
    my ($title, $want) = @$t;
    my $r = get("vod/$title/tracks.json");
    my $j = eval { JSON::PP->new->decode($r->{content}) } || {};
    is_deeply([map { "$_->{id} $_->{language} $_->{name}"
                     . " forced=" . ($_->{forced} ? 1 : 0)
                     . " sdh=" . ($_->{sdh} ? 1 : 0)
                     . " default=" . ($_->{default} ? 1 : 0)
                     . ($_->{format} eq 'webvtt' ? '' : " $_->{format}") }
               @{ $j->{subtitles} || [] }],
              $want, "$title/tracks.json: the subtitle renditions")
        or diag($r->{content});
}
is(get('vod/json/sub-movie.en.m3u8')->{status}, 404,
   'json: not by the file name title.json overrides');
is(get('vod/badjson/master.m3u8')->{status}, 500,
   'a subtitle member title.json does not know: refused');

# ffmpeg reads the subtitle playlist and its segments
my $ff = `ffmpeg -v error -i $base/vod/subs/sub-movie.en.m3u8 -f webvtt - 2>&1`;
my $cafe = 'Café crème';
ok(index($ff, $cafe) >= 0 && $ff =~ /00:04\.000 --> 00:05\.000/,
   'ffmpeg reads the HLS subtitle playlist') or diag($ff);

# what is not there, and bad names
is(get('vod/subs/sub-nope.m3u8')->{status}, 404, 'an unknown subtitle: 404');
is(get('vod/subs/sub-movie.en-4.vtt')->{status}, 404,
   'past the last segment: 404');
is(get('vod/subs/sub-movie.en-0.vtt')->{status}, 400, 'segment 0: 400');
is(get('vod/subs/subts-movie.en-full.vtt')->{status}, 400,
   'no whole file under subts-: 400');
is(get('vod/subs/sub-movie.fr-1.vtt')->{status}, 502,
   'the broken file\'s segment: 502');

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;

# the broken file: one line per request that parsed it, with the reason
my @fr = grep { m{/subs/movie\.fr\.vtt} } @bad;
my %per;
$per{/request: "([^"]*)"/ ? $1 : 'none'}++ for @fr;
ok(@fr >= 2 && !grep({ $_ != 1 } values %per)
   && !grep({ !/subtitles: bad end time at line 3/ } @fr),
   'the broken file: one line per request, with the reason') or diag(@fr);
@bad = grep { !m{/subs/movie\.fr\.vtt} } @bad;
@bad = grep { !m{/badjson/title\.json} } @bad;
is(scalar @bad, 0, 'nothing else logged as an error') or diag(@bad);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
