# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: audio renditions.  Titles made by tools/mkmedia-audio.sh
# (two languages and a 5.1 track in every file of a ladder; languages in
# separate files; an MP3 audio-only file beside a ladder): the HLS
# multivariant playlist has one EXT-X-MEDIA per distinct audio track with
# its BCP 47 language, name, DEFAULT, AUTOSELECT and CHANNELS, the MPD an
# AdaptationSet per language and codec with lang, Role and the channel
# configuration; every audio URL either lists answers 200, and ffprobe
# reads each rendition's init + media segment with its language and
# channel count.  A file the packager cannot use is left out of the title
# with one log line; the URL of a file's further audio track does not
# change when files are added.  tracks.json (the playback API's
# available_tracks) lists what the manifests list, under a tier's ceiling
# too.  Under "aio threads" too.  Not a block
# file: it walks the manifests of its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use File::Temp ();
use JSON::PP ();
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 12;
my $dir = VodTest::nginx_dir('vodaudio');
my $media = "$dir/media";

# the titles, made here (a few seconds of ffmpeg), or where
# TEST_NGINX_AUDIO_MEDIA names a copy already made
if ($ENV{TEST_NGINX_AUDIO_MEDIA} && -f "$ENV{TEST_NGINX_AUDIO_MEDIA}/.done")
{
    system('cp', '-r', $ENV{TEST_NGINX_AUDIO_MEDIA}, $media) == 0
        or die "cp: $?";
} else {
    system("$FindBin::Bin/../tools/mkmedia-audio.sh", $media, 4) == 0
        or die "tools/mkmedia-audio.sh failed: $?";
}

# a copy of the langs title to add files to
system('cp', '-r', "$media/langs", "$media/grow") == 0 or die "cp: $?";
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

# mdhd's codes (what the init segments carry, as the source has them) to
# the BCP 47 tags of the manifests
my %bcp47 = (eng => 'en', ger => 'de', deu => 'de', fra => 'fr',
             fre => 'fr', spa => 'es', und => 'und');

sub get { return $http->get("$base/$_[0]") }

sub master { return VodTest::hls_master(@_) }

# ffprobe of init + one media segment: "audio <channels> <language>"
sub probe {
    my ($init, $seg) = @_;
    my $tmp = File::Temp->new(SUFFIX => '.mp4');
    binmode $tmp;
    print $tmp $init, $seg;
    close $tmp;
    my $out = `ffprobe -v error -show_entries stream=codec_type,channels:stream_tags=language -of default=nw=1 $tmp 2>&1`;
    my %s = $out =~ /^(?:TAG:)?(\w+)=(.*)$/mg;
    return sprintf('%s %s %s', $s{codec_type} // '?', $s{channels} // '?',
                   $bcp47{$s{language} // 'und'} // "?$s{language}");
}

# GET an audio rendition's playlist, init segment and every segment; the
# first segment probed
sub walk_hls_audio {
    my ($loc, $title, $m) = @_;
    my $list = get("$loc/$title/$m->{URI}");
    ok($list->{success}, "$loc/$title/$m->{URI}: 200") or return '';
    my ($map) = $list->{content} =~ /^#EXT-X-MAP:URI="([^"]+)"/m;
    my @segs = $list->{content} =~ /^([^#\s]\S*\.m4s)$/mg;
    ok(@segs >= 2, "$title/$m->{URI}: segments listed");
    my $init = get("$loc/$title/$map");
    ok($init->{success}, "$title/$map: 200");
    is($init->{headers}{'content-type'}, 'audio/mp4', "$title/$map: type");
    my $first;
    for my $s (@segs) {
        my $r = get("$loc/$title/$s");
        ok($r->{success}, "$title/$s: 200");
        $first //= $r->{content};
    }
    return probe($init->{content}, $first // '');
}

sub check_title {
    my ($loc, $title, $want_media, $want_variants, $want_sets) = @_;

    my $r = get("$loc/$title/master.m3u8");
    is($r->{status}, 200, "$loc/$title/master.m3u8: 200") or return;
    my ($media, $variants) = master($r->{content});

    my @got = map {
        join ' ', "GROUP-ID=$_->{'GROUP-ID'}", "NAME=$_->{NAME}",
            'LANGUAGE=' . ($_->{LANGUAGE} // '-'), "DEFAULT=$_->{DEFAULT}",
            "AUTOSELECT=$_->{AUTOSELECT}", "CHANNELS=$_->{CHANNELS}",
            "URI=$_->{URI}"
    } grep { $_->{TYPE} eq 'AUDIO' } @$media;
    is_deeply(\@got, $want_media, "$title: one EXT-X-MEDIA per rendition")
        or diag($r->{content});

    my @v = map { "$_->{uri} AUDIO=" . ($_->{AUDIO} // '-')
                  . " CODECS=$_->{CODECS}" } @$variants;
    is_deeply(\@v, $want_variants, "$title: the variants and their group")
        or diag($r->{content});

    for my $m (@$media) {
        my $want = sprintf('audio %s %s', $m->{CHANNELS},
                           $m->{LANGUAGE} // 'und');
        is(walk_hls_audio($loc, $title, $m), $want,
           "$loc/$title/$m->{URI}: ffprobe reads its language and "
           . 'channels');
    }

    check_tracks($loc, $title, $media, $variants, {});

    # DASH: the audio AdaptationSets, each Representation walked
    $r = get("$loc/$title/manifest.mpd");
    is($r->{status}, 200, "$loc/$title/manifest.mpd: 200") or return;
    my @sets;
    for my $as ($r->{content} =~
                m{(<AdaptationSet[^>]*contentType="audio".*?</AdaptationSet>)}sg)
    {
        my ($open) = $as =~ /^(<AdaptationSet[^>]*>)/;
        my $lang = ($open =~ /lang="([^"]+)"/)[0] // '-';
        my $role = ($as =~ /<Role [^>]*value="([^"]+)"/)[0] // '-';
        my @reps;
        for my $rep ($as =~ m{(<Representation .*?</Representation>)}sg) {
            my ($id) = $rep =~ /id="([^"]+)"/;
            my ($ch) = ($rep =~ /channel_configuration:2011" value="(\d+)"/,
                        $as =~ /channel_configuration:2011" value="(\d+)"/);
            push @reps, "$id/$ch";
            my $init = get("$loc/$title/$id-init.mp4");
            my $seg = get("$loc/$title/$id-1.m4s");
            ok($init->{success} && $seg->{success},
               "$loc/$title/$id: init and segment 200");
            is(probe($init->{content}, $seg->{content}),
               "audio $ch " . ($lang eq '-' ? 'und' : $lang),
               "$loc/$title/$id: ffprobe reads the MPD's lang and channels");
        }
        push @sets, "lang=$lang role=$role " . join(',', @reps);
    }
    is_deeply(\@sets, $want_sets, "$title: the audio AdaptationSets")
        or diag($r->{content});
}

# tracks.json against the multivariant playlist of the same title and
# tier: every video variant (id, codecs, resolution) and every audio
# rendition (id from its URI, language, name, channels, default), in order
sub check_tracks {
    my ($loc, $title, $media, $variants, $headers) = @_;
    my $r = $http->get("$base/$loc/$title/tracks.json",
                       { headers => $headers });
    my $tier = join(',', map { "$_=$headers->{$_}" } sort keys %$headers)
               || 'no tier';
    is($r->{status}, 200, "$loc/$title/tracks.json ($tier): 200")
        or return;
    is($r->{headers}{'content-type'}, 'application/json',
       "$loc/$title/tracks.json: JSON");
    my $t = eval { JSON::PP::decode_json($r->{content}) };
    ok($t, "$loc/$title/tracks.json parses") or return diag($r->{content});

    my %seen;
    my @want = grep { !$seen{$_}++ } map {
        my ($id) = $_->{uri} =~ /^video-(.+)\.m3u8$/;
        my ($vc) = split /,/, $_->{CODECS};
        "$id $vc $_->{RESOLUTION}"
    } grep { $_->{uri} =~ /^video-/ } @$variants;
    is_deeply([ map { "$_->{id} $_->{codecs} $_->{width}x$_->{height}" }
                @{ $t->{video} } ], \@want,
              "$loc/$title/tracks.json ($tier): the video variants");
    ok(!grep({ !($_->{bitrate} > 0 && $_->{peak_bitrate} >= $_->{bitrate}
                 && $_->{format} eq 'h264') } @{ $t->{video} }),
       "$loc/$title/tracks.json: bit rates and format");

    @want = map {
        (my $id = $_->{URI}) =~ s/\.m3u8$//;
        join ' ', $id, $_->{LANGUAGE} // 'und', $_->{NAME}, $_->{CHANNELS},
            $_->{DEFAULT} eq 'YES' ? 'default' : '-'
    } grep { $_->{TYPE} eq 'AUDIO' } @$media;
    is_deeply([ map { join ' ', $_->{id}, $_->{language}, $_->{name},
                      $_->{channels}, $_->{default} ? 'default' : '-' }
                @{ $t->{audio} } ], \@want,
              "$loc/$title/tracks.json ($tier): the audio renditions");
    is_deeply($t->{subtitles}, [], "$loc/$title/tracks.json: subtitles");
}

for my $loc (qw(vod thread)) {

    check_title($loc, 'langs', [
        'GROUP-ID=aud NAME=English LANGUAGE=en DEFAULT=YES AUTOSELECT=YES '
            . 'CHANNELS=2 URI=audio-360p.m3u8',
        'GROUP-ID=aud NAME=German LANGUAGE=de DEFAULT=NO AUTOSELECT=YES '
            . 'CHANNELS=2 URI=audio3-360p.m3u8',
        'GROUP-ID=aud NAME=English 5.1 LANGUAGE=en DEFAULT=NO AUTOSELECT=YES '
            . 'CHANNELS=6 URI=audio4-360p.m3u8',
    ], [
        'video-360p.m3u8 AUDIO=aud CODECS=avc1.64001e,mp4a.40.2',
        'video-180p.m3u8 AUDIO=aud CODECS=avc1.64000c,mp4a.40.2',
    ], [
        'lang=en role=main audio-360p/2,audio4-360p/6',
        'lang=de role=alternate audio3-360p/2',
    ]);

    check_title($loc, 'split', [
        'GROUP-ID=aud NAME=English LANGUAGE=en DEFAULT=YES AUTOSELECT=YES '
            . 'CHANNELS=2 URI=audio-360p.m3u8',
        'GROUP-ID=aud NAME=Spanish 5.1 LANGUAGE=es DEFAULT=NO AUTOSELECT=YES '
            . 'CHANNELS=6 URI=audio-es.m3u8',
        'GROUP-ID=aud NAME=French LANGUAGE=fr DEFAULT=NO AUTOSELECT=YES '
            . 'CHANNELS=2 URI=audio-fr.m3u8',
    ], [
        'video-360p.m3u8 AUDIO=aud CODECS=avc1.64001e,mp4a.40.2',
    ], [
        'lang=en role=main audio-360p/2',
        'lang=es role=alternate audio-es/6',
        'lang=fr role=alternate audio-fr/2',
    ]);

    # the MP3 file is left out: the ladder plays
    check_title($loc, 'mp3', [
        'GROUP-ID=aud NAME=audio LANGUAGE=- DEFAULT=YES AUTOSELECT=YES '
            . 'CHANNELS=2 URI=audio-360p.m3u8',
    ], [
        'video-360p.m3u8 AUDIO=aud CODECS=avc1.64001e,mp4a.40.2',
    ], [
        'lang=- role=- audio-360p/2',
    ]);

    my $ts = get("$loc/mp3/master-ts.m3u8");
    is($ts->{status}, 200, "$loc/mp3/master-ts.m3u8: 200");
    unlike($ts->{content} // '', qr/dd/, 'the MP3 file is not listed');
    is(get("$loc/mp3/audio-dd.m3u8")->{status}, 415,
       'the MP3 file itself is still 415');

    # a tier's ceiling: the 180p variant alone, the audio all there
    my $h = { 'X-Vod-Max-Height' => 200 };
    my $capped = $http->get("$base/$loc/langs/master.m3u8",
                            { headers => $h });
    my ($cm, $cv) = master($capped->{content});
    is(scalar @$cv, 1, "$loc/langs: one variant under height 200");
    check_tracks($loc, 'langs', $cm, $cv, $h);
    is($http->get("$base/$loc/langs/tracks.json",
                  { headers => { 'X-Vod-Max-Height' => 100 } })->{status},
       403, "$loc/langs/tracks.json: no variant under height 100");

    # TS: the ladder as video-only variants beside the audio renditions
    # (t/017 walks them)
    $ts = get("$loc/langs/master-ts.m3u8");
    is_deeply([ $ts->{content} =~ /^((?:videots|ts)-\S+)$/mg ],
              [ 'videots-360p.m3u8', 'videots-180p.m3u8' ], 'TS: the ladder');

    # a track id the file does not have, and malformed ones
    is(get("$loc/langs/audio9-360p.m3u8")->{status}, 404, 'no track 9');
    is(get("$loc/langs/audio1-360p-init.mp4")->{status}, 404,
       'track 1 is the video');
    is(get("$loc/langs/audio03-360p.m3u8")->{status}, 400, 'audio03-');
    is(get("$loc/langs/audio0-360p-1.m4s")->{status}, 400, 'audio0-');
}

# the copy of a track in 180p.mp4 is the same rendition as 360p.mp4's, and
# reachable under its own file's name too
is(get('vod/langs/audio3-180p-init.mp4')->{status}, 200,
   '180p.mp4 has its own German track');

# adding a file keeps the URLs: every audio URI listed before is listed
# after (a file's further tracks are named by the file and the track, not
# by their place in the title)
my ($before) = master(get('vod/grow/master.m3u8')->{content});
sleep 1;
system('cp', "$media/split/fr.mp4", "$media/grow/fr.mp4") == 0
    or die "cp: $?";
system('chmod', 'a+r', "$media/grow/fr.mp4") == 0 or die "chmod: $?";
sleep 1;
my ($after) = master(get('vod/grow/master.m3u8')->{content});
my %uris = map { $_->{URI} => 1 } @$after;
ok((grep { $uris{$_->{URI}} } @$before) == @$before,
   'every audio URI listed before is listed after a file is added');
ok($uris{'audio-fr.m3u8'}, 'and the new file\'s audio is listed');
is(scalar @$after, scalar @$before + 1, 'one rendition more');

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;

# one line for each request that looked at the file (a manifest made, not
# one from the manifest cache), naming the file and why
my @dd = grep { m{/mp3/dd\.mp4} } @bad;
my %per;
$per{/request: "([^"]*)"/ ? $1 : 'none'}++ for @dd;
ok(@dd >= 2 && !grep({ $_ != 1 } values %per)
   && !grep({ !/no H\.264, H\.265, AV1, AAC, AC-3 or E-AC-3 track/ } @dd),
   'the MP3 file: one line per request, with the reason')
    or diag(@dd);
@bad = grep { !m{/mp3/dd\.mp4} } @bad;
is(scalar @bad, 0, 'nothing else logged as an error') or diag(@bad);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
