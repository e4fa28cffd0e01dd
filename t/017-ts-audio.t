# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: alternate audio in MPEG-TS.  On the titles of
# tools/mkmedia-audio.sh (langs: three audio tracks in every file; split:
# languages in separate files) and tools/mkmedia-codecs.sh (dolby: AAC,
# AAC 5.1, AC-3, E-AC-3 and E-AC-3 with JOC), master-ts.m3u8 lists every
# audio rendition master.m3u8 lists, as the same EXT-X-MEDIA with the
# audiots- playlist for URI, and video-only variants (videots-) once per
# audio group; ffprobe reads each audio-only TS segment's codec, channels
# and language (the PMT's stream type, registration and language
# descriptors); ffmpeg decodes the AC-3 and E-AC-3 segments without an
# error; the audio and video PTS of segment n agree within one frame; bad
# names are 400 and unknown ones 404.  Under "aio threads" too.  Not a
# block file: it walks the manifests of its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use File::Temp ();
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 17;
my $dir = VodTest::nginx_dir('vodtsaudio');
my $media = "$dir/media";

# the titles, made here (a few seconds of ffmpeg), or where
# TEST_NGINX_AUDIO_MEDIA and TEST_NGINX_CODECS_MEDIA name copies made
mkdir $media or die "mkdir: $!";

for my $set ([ 'AUDIO', 'mkmedia-audio.sh', 'audio' ],
             [ 'CODECS', 'mkmedia-codecs.sh', 'codecs' ])
{
    my ($env, $tool, $sub) = @$set;
    my $copy = $ENV{"TEST_NGINX_${env}_MEDIA"};
    if ($copy && -f "$copy/.done") {
        system('cp', '-r', $copy, "$media/$sub") == 0 or die "cp: $?";
    } else {
        system("$FindBin::Bin/../tools/$tool", "$media/$sub", 4) == 0
            or die "tools/$tool failed: $?";
    }
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

my %bcp47 = (eng => 'en', ger => 'de', deu => 'de', fra => 'fr',
             fre => 'fr', spa => 'es', und => 'und');
my %codec = ('mp4a.40.2' => 'aac', 'ac-3' => 'ac3', 'ec-3' => 'eac3');

sub get { return $http->get("$base/$_[0]") }

sub tmpfile {
    my ($data) = @_;
    my $tmp = File::Temp->new(SUFFIX => '.ts');
    binmode $tmp;
    print $tmp $data;
    close $tmp;
    return $tmp;
}

# ffprobe of a TS segment: "codec channels language"
sub probe {
    my ($data) = @_;
    my $tmp = tmpfile($data);
    my $out = `ffprobe -v error -show_entries stream=codec_name,channels:stream_tags=language -of default=nw=1 $tmp 2>&1`;
    my %s = $out =~ /^(?:TAG:)?(\w+)=(.*)$/mg;
    return sprintf('%s %s %s', $s{codec_name} // '?', $s{channels} // '?',
                   $bcp47{$s{language} // 'und'} // "?$s{language}");
}

# the first PTS of a segment's stream (a or v), in 90 kHz ticks
sub first_pts {
    my ($data, $sel) = @_;
    my $tmp = tmpfile($data);
    my $out = `ffprobe -v error -select_streams $sel -show_entries packet=pts -of csv=p=0 $tmp 2>&1`;
    my ($pts) = $out =~ /^(\d+)/;
    return $pts;
}

# the stream types and descriptors of a segment's PMT:
# "0x81 AC-3 eng" (type, registration, language)
sub pmt {
    my ($data) = @_;
    my $p = 188 + 5;                          # the PMT, past its pointer
    my $seclen = unpack('n', substr($data, $p + 1, 2)) & 0x0fff;
    my $pil = unpack('n', substr($data, $p + 10, 2)) & 0x0fff;
    my ($q, $end) = ($p + 12 + $pil, $p + 3 + $seclen - 4);
    my @es;
    while ($q + 5 <= $end) {
        my ($st, $pid, $esil) = unpack 'Cnn', substr($data, $q, 5);
        $esil &= 0x0fff;
        my @d = (sprintf '0x%02x', $st);
        my $d = $q + 5;
        while ($d + 2 <= $q + 5 + $esil) {
            my ($tag, $len) = unpack 'CC', substr($data, $d, 2);
            push @d, substr($data, $d + 2, 4) if $tag == 0x05;
            push @d, substr($data, $d + 2, 3) if $tag == 0x0a;
            $d += 2 + $len;
        }
        push @es, "@d";
        $q += 5 + $esil;
    }
    return join ', ', @es;
}

# the segments of a TS media playlist
sub segments {
    my ($loc, $title, $uri) = @_;
    my $r = get("$loc/$title/$uri");
    is($r->{status}, 200, "$loc/$title/$uri: 200") or return ();
    unlike($r->{content}, qr/EXT-X-MAP/, "$title/$uri: no init segment");
    my @segs = $r->{content} =~ /^([^#\s]\S*\.ts)$/mg;
    ok(@segs >= 2, "$title/$uri: segments listed");
    return @segs;
}

# master-ts.m3u8 against master.m3u8: the same renditions, audiots- for
# audio-, and videots- variants for video-; returns the TS EXT-X-MEDIA
sub check_master {
    my ($loc, $title) = @_;
    my $c = get("$loc/$title/master.m3u8");
    my $t = get("$loc/$title/master-ts.m3u8");
    is($t->{status}, 200, "$loc/$title/master-ts.m3u8: 200") or return;
    like($t->{content}, qr/^#EXT-X-VERSION:3$/m, "$title: TS: version 3");

    my ($cm, $cv) = VodTest::hls_master($c->{content});
    my ($tm, $tv) = VodTest::hls_master($t->{content});

    my @want = map {
        my %a = %$_;
        $a{URI} =~ s/^audio/audiots/;
        join ',', map { "$_=$a{$_}" } sort keys %a
    } @$cm;
    my @got = map {
        my %a = %$_;
        join ',', map { "$_=$a{$_}" } sort keys %a
    } @$tm;
    is_deeply(\@got, \@want,
              "$title: TS lists master.m3u8's audio renditions, audiots-")
        or diag($t->{content});

    # the same variants in the same order, each naming its group; the
    # bandwidths are TS's
    my @wv = map { my $u = $_->{uri}; $u =~ s/^video-/videots-/;
                   "$u $_->{CODECS} $_->{AUDIO} $_->{RESOLUTION}" } @$cv;
    my @gv = map { "$_->{uri} $_->{CODECS} $_->{AUDIO} $_->{RESOLUTION}" }
             @$tv;
    is_deeply(\@gv, \@wv, "$title: video-only variants once per group")
        or diag($t->{content});

    return $tm;
}

# every audio rendition's TS: each segment 200, the first probed against
# the EXT-X-MEDIA; Dolby ones decoded by ffmpeg; segment n's audio PTS
# against the video's
sub check_audio {
    my ($loc, $title, $tm, $video) = @_;
    my @vsegs = segments($loc, $title, "videots-$video.m3u8");
    my $vfirst = get("$loc/$title/$vsegs[0]");
    is($vfirst->{headers}{'content-type'}, 'video/mp2t',
       "$title/$vsegs[0]: video/mp2t");
    is(VodTest::ts_summary($vfirst->{content}) =~ /^streams (.*)$/m
       ? $1 : '', '0x1b', "$title/$vsegs[0]: video only");

    for my $m (@$tm) {
        my @segs = segments($loc, $title, $m->{URI});
        my $first;
        for my $s (@segs) {
            my $r = get("$loc/$title/$s");
            ok($r->{success}, "$loc/$title/$s: 200");
            is($r->{headers}{'content-type'}, 'video/mp2t', "$s: type");
            $first //= $r->{content};
        }
        my ($group) = grep { $_->{AUDIO} eq $m->{'GROUP-ID'} }
                      @{ (VodTest::hls_master(
                              get("$loc/$title/master-ts.m3u8")
                                  ->{content}))[1] };
        my ($ac) = $group->{CODECS} =~ /,(.*)$/;
        my $ch = $m->{CHANNELS} =~ /JOC/ ? 6 : $m->{CHANNELS};
        is(probe($first), sprintf('%s %s %s', $codec{$ac}, $ch,
                                  $m->{LANGUAGE} // 'und'),
           "$loc/$title/$m->{URI}: ffprobe reads codec, channels and "
           . 'language');

        my %type = (aac => '0x0f', ac3 => '0x81 AC-3', eac3 => '0x87 EAC3');
        like(pmt($first), qr/^\Q$type{$codec{$ac}}\E [a-z]{3}$/,
             "$title/$m->{URI}: the PMT's stream type and descriptors");

        if ($ac ne 'mp4a.40.2') {
            my $tmp = tmpfile(join '', map { get("$loc/$title/$_")
                                                 ->{content} } @segs);
            my $err = `ffmpeg -v error -i $tmp -f null - 2>&1`;
            is($? >> 8, 0, "$title/$m->{URI}: ffmpeg decodes every segment")
                and is($err, '', "$title/$m->{URI}: without an error");
        }

        # one timeline: segment n of the audio starts where the video's
        # does, within one audio frame (1024 or 1536 samples at 48 kHz)
        my $frame = ($ac eq 'mp4a.40.2' ? 1024 : 1536) * 90000 / 48000;
        for my $n (0 .. $#segs) {
            last if $n > $#vsegs;
            my $a = first_pts(get("$loc/$title/$segs[$n]")->{content}, 'a');
            my $v = first_pts(get("$loc/$title/$vsegs[$n]")->{content},
                              'v');
            ok(defined $a && defined $v && abs($a - $v) <= $frame,
               "$title/$segs[$n]: audio PTS within a frame of the video's")
                or diag("audio $a video $v");
        }
    }
}

for my $loc (qw(vod thread)) {
    my $tm = check_master("$loc/audio", 'langs');
    is(scalar @$tm, 3, "$loc/langs: three audio renditions in TS");
    check_audio("$loc/audio", 'langs', $tm, '360p');

    $tm = check_master("$loc/audio", 'split');
    is(scalar @$tm, 3, "$loc/split: three audio renditions in TS");
    check_audio("$loc/audio", 'split', $tm, '360p');

    $tm = check_master("$loc/codecs", 'dolby');
    is_deeply([ sort map { $_->{URI} } @$tm ],
              [ map { "audiots-$_.m3u8" } qw(360p aac51 ac3 atmos eac3) ],
              "$loc/dolby: AAC, AC-3 and E-AC-3 renditions in TS");
    check_audio("$loc/codecs", 'dolby', $tm, '360p');

    # a title with one audio rendition keeps its muxed variants
    my $r = get("$loc/codecs/av1/master-ts.m3u8");
    is($r->{status}, 404, "$loc/av1: no TS variant still");

    # names: the forms of the CMAF ones, with their errors
    for my $t ([ 'audiots0-360p.m3u8', 400 ], [ 'audiots01-360p.m3u8', 400 ],
               [ 'audiots-360p-0.ts', 400 ], [ 'audiots-360p-01.ts', 400 ],
               [ 'audiots-360p-1.m4s', 400 ],
               [ 'audiots-360p-init.mp4', 400 ],
               [ 'videots-360p-init.mp4', 400 ],
               [ 'videots-360p-1.m4s', 400 ],
               [ 'audiots-360p-1.vtt', 404 ],
               [ 'audiots9-360p.m3u8', 404 ], [ 'audiots9-360p-1.ts', 404 ],
               [ 'audiots-none.m3u8', 404 ], [ 'audiots-none-1.ts', 404 ],
               [ 'videots-fr.m3u8', 404 ], [ 'videots-fr-1.ts', 404 ],
               [ 'audiots-360p-99.ts', 404 ], [ 'videots-360p-99.ts', 404 ],
               [ 'audiotsx-360p.m3u8', 404 ])
    {
        is(get("$loc/audio/split/$t->[0]")->{status}, $t->[1],
           "$loc/split/$t->[0]: $t->[1]");
    }

    # the German track of langs by its track_ID, and the same file's
    # first audio track both ways
    is(probe(get("$loc/audio/langs/audiots3-360p-1.ts")->{content}),
       'aac 2 de', "$loc/langs/audiots3-360p-1.ts: the German track");
}

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(?:error|crit|alert|emerg)\]/ } @log;
@bad = grep { !m{/mp3\.mp4": no H\.264} } @bad;
is(scalar @bad, 0, 'nothing logged as an error but the MP3 files')
    or diag(@bad);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
