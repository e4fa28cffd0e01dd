# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: codecs and HDR.  Titles made by tools/mkmedia-codecs.sh
# (an AV1 ladder; AC-3, E-AC-3, E-AC-3 with Atmos, AAC 5.1 and an MP3 file
# beside an H.264 rendition; HEVC in SDR, HDR10 with a colr box and HLG
# said only in the SPS): the HLS multivariant playlist's CODECS, CHANNELS
# and VIDEO-RANGE, the MPD's codecs, channel configurations, Dolby's JOC
# property and one video AdaptationSet per dynamic range with its CICP
# properties; the init segments carry av1C and dec3 as the source has
# them; ffmpeg decodes the HEVC, AC-3 and E-AC-3 renditions from the HLS
# playlists and from the MPD, and every stream of those titles'
# multivariant playlists and MPDs, at least a frame of each.  A format
# that cannot carry a rendition (MPEG-TS: HEVC, AV1) leaves it out with
# one line; a file with nothing to package (MP3) is left out of the
# title.  Under "aio threads" too.
# Not a block file: it walks the manifests of its own nginx.

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
my $dir = VodTest::nginx_dir('vodcodecs');
my $media = "$dir/media";

# the titles, made here (a few seconds of ffmpeg), or where
# TEST_NGINX_CODECS_MEDIA names a copy already made
if ($ENV{TEST_NGINX_CODECS_MEDIA}
    && -f "$ENV{TEST_NGINX_CODECS_MEDIA}/.done")
{
    system('cp', '-r', $ENV{TEST_NGINX_CODECS_MEDIA}, $media) == 0
        or die "cp: $?";
} else {
    system("$FindBin::Bin/../tools/mkmedia-codecs.sh", $media, 4) == 0
        or die "tools/mkmedia-codecs.sh failed: $?";
}

system('chmod', '-R', 'a+rX', $media) == 0 or die "chmod: $?";

# files changed in the last 2 s make manifests that are not cached yet
# (the ETag's mtimes cannot tell a second change): past that, each
# manifest is made once, which the log checks below count on
sleep 2;

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
        location /iframes/ {
            alias $media/;
            vod_package;
            vod_segment_duration 2s;
            vod_iframe_playlists hls dash;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 20);
my $base = "http://127.0.0.1:$port";

sub get { return $http->get("$base/$_[0]") }

# the EXT-X-MEDIA and EXT-X-STREAM-INF of a multivariant playlist, as
# strings of what this file checks
sub master {
    my ($media, $variants) = VodTest::hls_master($_[0]);
    return ([ map { "$_->{'GROUP-ID'} $_->{NAME} "
                    . ($_->{LANGUAGE} // '-') . " $_->{CHANNELS} $_->{URI}" }
              @$media ],
            [ map { "$_->{uri} $_->{CODECS} "
                    . ($_->{'VIDEO-RANGE'} // '-') . ' '
                    . ($_->{AUDIO} // '-') } @$variants ]);
}

# the MPD's AdaptationSets: "type lang; properties; reps (codecs)"
sub sets {
    my ($mpd) = @_;
    my @out;
    for my $as ($mpd =~ m{(<AdaptationSet.*?</AdaptationSet>)}sg) {
        my ($open) = $as =~ /^(<AdaptationSet[^>]*>)/;
        my ($type) = $open =~ /contentType="(\w+)"/;
        my $lang = ($open =~ /lang="([^"]+)"/)[0] // '-';
        my @props;
        while ($as =~ /<(EssentialProperty|SupplementalProperty|
                         AudioChannelConfiguration)\ schemeIdUri="([^"]+)"
                         \ value="([^"]+)"/xg)
        {
            my ($el, $scheme, $v) = ($1, $2, $3);
            $scheme =~ s/.*:(\w+):\d+$/$1/
                or $scheme =~ s/.*:(\w+)$/$1/;
            push @props, substr($el, 0, 3) . " $scheme=$v";
        }
        my @reps = map { "$_->[0]($_->[1])" }
            map { [ /id="([^"]+)"/, /codecs="([^"]+)"/ ] }
            $as =~ m{(<Representation [^>]*>)}g;
        push @out, "$type $lang; " . join(', ', @props) . '; '
            . join(' ', @reps);
    }
    return \@out;
}

# a box of the source file (type, its bytes with the header), as ffmpeg
# wrote it: the first one in the file
sub source_box {
    my ($file, $type) = @_;
    open my $fh, '<:raw', $file or die "$file: $!";
    local $/;
    my $d = <$fh>;
    my $at = index($d, $type);
    return undef if $at < 4;
    return substr($d, $at - 4, unpack('N', substr($d, $at - 4, 4)));
}

# what ffmpeg decodes of a URL's first audio ('a') or video ('v') stream,
# or of its stream of a codec (an MPD lists every Representation):
# "decoded codec channels-or-WxH"
sub decode {
    my ($url, $what) = @_;
    my $sel = $what eq 'a' ? 'a:0' : $what eq 'v' ? 'v:0' : undef;
    my $probe = `ffprobe -v error -show_entries stream=index,codec_name,codec_type,channels,width,height -of compact=nk=0:p=0 '$url' 2>&1`;
    my %s;
    for my $line (split /\n/, $probe) {
        my %f = $line =~ /(\w+)=([^|]*)/g;
        next unless defined $f{index};
        next if defined $sel && substr($f{codec_type}, 0, 1) ne $what;
        next if !defined $sel && $f{codec_name} ne $what;
        %s = %f;
        last;
    }
    return "no stream: $probe" unless %s;
    my $out = `ffmpeg -hide_banner -v error -i '$url' -map 0:$s{index} -f null - 2>&1`;
    my $ok = $? == 0 && $out !~ /\S/;
    return sprintf('%s %s %s', $ok ? 'decoded' : "failed: $out",
                   $s{codec_name},
                   $s{codec_type} eq 'audio' ? $s{channels}
                                             : "$s{width}x$s{height}");
}

# what ffmpeg decodes of every stream a manifest names (the HLS demuxer
# opens each variant and each EXT-X-MEDIA rendition, the DASH one each
# Representation), in one run: "codec channels-or-WxH" per stream, sorted,
# each only when it decoded at least one frame; with the run's errors
sub decode_every {
    my ($url) = @_;
    my $probe = `ffprobe -v error -show_entries stream=index,codec_name,codec_type,channels,width,height -of compact=nk=0:p=0 '$url' 2>&1`;
    my %what;
    for my $line (split /\n/, $probe) {
        my %f = $line =~ /(\w+)=([^|]*)/g;
        next unless defined $f{index};
        $what{$f{index}} = "$f{codec_name} "
            . ($f{codec_type} eq 'audio' ? $f{channels}
                                         : "$f{width}x$f{height}");
    }
    return [ "no stream: $probe" ] unless %what;
    # framecrc: a line per decoded frame, "stream index, dts, ..."
    my $out = `ffmpeg -hide_banner -v error -i '$url' -map 0 -f framecrc - 2>&1`;
    my @errors = $? == 0 ? () : ("exit $?");
    my %frames;
    for my $line (split /\n/, $out) {
        next if $line =~ /^#/;
        if ($line =~ /^(\d+),/) {
            $frames{$1}++;
        } else {
            push @errors, $line;
        }
    }
    return [ (sort map { ($frames{$_} // 0) > 0 ? $what{$_}
                                                : "$what{$_} no frames" }
              keys %what), @errors ];
}


for my $loc (qw(vod thread)) {

    # AV1: the codecs string from av1C; all SDR, so no VIDEO-RANGE

    my $r = get("$loc/av1/master.m3u8");
    is($r->{status}, 200, "$loc/av1/master.m3u8: 200");
    my ($m, $v) = master($r->{content});
    is_deeply($v, [
        'video-360p.m3u8 av01.0.01M.08,mp4a.40.2 - aud',
        'video-180p.m3u8 av01.0.00M.08,mp4a.40.2 - aud',
    ], "$loc/av1: AV1 variants") or diag($r->{content});

    $r = get("$loc/av1/manifest.mpd");
    is_deeply(sets($r->{content}), [
        'video -; ; video-360p(av01.0.01M.08) video-180p(av01.0.00M.08)',
        'audio -; Aud audio_channel_configuration=2; audio-360p(mp4a.40.2)',
    ], "$loc/av1: the MPD") or diag($r->{content});

    my $init = get("$loc/av1/video-360p-init.mp4")->{content} // '';
    my $av1c = source_box("$media/av1/360p.mp4", 'av1C');
    ok(defined $av1c && index($init, $av1c) > 0,
       "$loc/av1: the init segment carries av1C as the source has it");
    like($init, qr/stsd.{12}av01/s, "$loc/av1: the stsd has an av01 entry");
    is(decode("$base/$loc/av1/video-180p.m3u8", 'v'),
       'decoded av1 320x180', "$loc/av1: ffmpeg decodes the HLS AV1");

    is(get("$loc/av1/master-ts.m3u8")->{status}, 404,
       "$loc/av1: MPEG-TS carries no AV1: no variant");

    # Dolby audio and AAC 5.1 beside an H.264 rendition; MP3 left out

    $r = get("$loc/dolby/master.m3u8");
    is($r->{status}, 200, "$loc/dolby/master.m3u8: 200");
    ($m, $v) = master($r->{content});
    is_deeply($m, [
        'aud English en 2 audio-360p.m3u8',
        'aud Spanish 5.1 es 6 audio-aac51.m3u8',
        'aud2 English 5.1 en 6 audio-ac3.m3u8',
        'aud3 French Atmos fr 16/JOC audio-atmos.m3u8',
        'aud3 German 5.1 de 6 audio-eac3.m3u8',
    ], "$loc/dolby: CHANNELS, a group per codec") or diag($r->{content});
    is_deeply($v, [
        'video-360p.m3u8 avc1.64001e,mp4a.40.2 - aud',
        'video-360p.m3u8 avc1.64001e,ac-3 - aud2',
        'video-360p.m3u8 avc1.64001e,ec-3 - aud3',
    ], "$loc/dolby: the variant once per group") or diag($r->{content});
    unlike($r->{content}, qr/mp3/, "$loc/dolby: the MP3 file left out");

    $r = get("$loc/dolby/manifest.mpd");
    is_deeply(sets($r->{content}), [
        'video -; ; video-360p(avc1.64001e)',
        'audio en; Aud audio_channel_configuration=2; '
            . 'audio-360p(mp4a.40.2)',
        'audio es; Aud audio_channel_configuration=6; '
            . 'audio-aac51(mp4a.40.2)',
        'audio en; Aud audio_channel_configuration=F801; audio-ac3(ac-3)',
        'audio fr; Aud audio_channel_configuration=F801, '
            . 'Sup EC3_ExtensionType=JOC, '
            . 'Sup EC3_ExtensionComplexityIndex=16; audio-atmos(ec-3)',
        'audio de; Aud audio_channel_configuration=F801; audio-eac3(ec-3)',
    ], "$loc/dolby: the MPD's channel configurations and JOC")
        or diag($r->{content});
    like($r->{content}, qr{<AudioChannelConfiguration schemeIdUri="tag:dolby\.com,2014:dash:audio_channel_configuration:2011" value="F801"/>},
         "$loc/dolby: Dolby's scheme");
    like($r->{content}, qr{<SupplementalProperty schemeIdUri="tag:dolby\.com,2018:dash:EC3_ExtensionType:2018" value="JOC"/>},
         "$loc/dolby: the JOC property");

    $init = get("$loc/dolby/audio-atmos-init.mp4")->{content} // '';
    my $dec3 = source_box("$media/dolby/atmos.mp4", 'dec3');
    ok(defined $dec3 && length($dec3) == 15 && index($init, $dec3) > 0,
       "$loc/dolby: the init segment carries dec3 with its JOC bytes");

    for my $t ([ 'ac3', 'ac3 6' ], [ 'eac3', 'eac3 6' ],
               [ 'atmos', 'eac3 6' ], [ 'aac51', 'aac 6' ])
    {
        is(decode("$base/$loc/dolby/audio-$t->[0].m3u8", 'a'),
           "decoded $t->[1]", "$loc/dolby: ffmpeg decodes $t->[0] (HLS)");
    }

    # from the MPD
    for my $c (qw(ac3 eac3)) {
        is(decode("$base/$loc/dolby/manifest.mpd", $c), "decoded $c 6",
           "$loc/dolby: ffmpeg decodes $c from the MPD");
    }

    # TS: the H.264 rendition, video only, once per audio group (AAC,
    # AC-3, E-AC-3: t/017 walks them)
    $r = get("$loc/dolby/master-ts.m3u8");
    is_deeply([ $r->{content} =~ /^((?:videots|ts)-\S+)$/mg ],
              [ ('videots-360p.m3u8') x 3 ],
              "$loc/dolby: TS: the H.264 rendition once per audio group");

    # HDR: VIDEO-RANGE on every variant, one DASH video set per range

    $r = get("$loc/hdr/master.m3u8");
    is($r->{status}, 200, "$loc/hdr/master.m3u8: 200");
    ($m, $v) = master($r->{content});
    is_deeply([ sort @$v ], [
        'video-hlg.m3u8 hvc1.2.4.L63.90,mp4a.40.2 HLG aud',
        'video-pq.m3u8 hvc1.2.4.L63.90,mp4a.40.2 PQ aud',
        'video-sdr.m3u8 hvc1.1.6.L63.90,mp4a.40.2 SDR aud',
    ], "$loc/hdr: VIDEO-RANGE from colr (PQ) and from the SPS (HLG)")
        or diag($r->{content});

    # tracks.json (the playback API's available_tracks) says the same
    $r = get("$loc/hdr/tracks.json");
    my $tj = eval { JSON::PP::decode_json($r->{content} // '') } // {};
    is_deeply([ sort map { "$_->{id} $_->{video_range}" }
                @{ $tj->{video} // [] } ],
              [ 'hlg HLG', 'pq PQ', 'sdr SDR' ],
              "$loc/hdr/tracks.json: video_range of each rendition")
        or diag($r->{content});

    $r = get("$loc/hdr/manifest.mpd");
    is_deeply(sets($r->{content}), [
        'video -; ; video-sdr(hvc1.1.6.L63.90)',
        'video -; Ess TransferCharacteristics=16, '
            . 'Sup ColourPrimaries=9, Sup MatrixCoefficients=9; '
            . 'video-pq(hvc1.2.4.L63.90)',
        'video -; Ess TransferCharacteristics=18, '
            . 'Sup ColourPrimaries=9, Sup MatrixCoefficients=9; '
            . 'video-hlg(hvc1.2.4.L63.90)',
        'audio -; Aud audio_channel_configuration=2; audio-pq(mp4a.40.2)',
    ], "$loc/hdr: a video AdaptationSet per range") or diag($r->{content});
    my @ids = $r->{content} =~ /<AdaptationSet id="(\d+)"/g;
    is("@ids", '0 1 2 3', "$loc/hdr: AdaptationSet ids unique");

    for my $t (qw(pq hlg)) {
        is(decode("$base/$loc/hdr/video-$t.m3u8", 'v'),
           'decoded hevc 640x360', "$loc/hdr: ffmpeg decodes $t (HLS)");
    }

    is(decode("$base/$loc/hdr/manifest.mpd", 'hevc'),
       'decoded hevc 640x360', "$loc/hdr: ffmpeg decodes HEVC from the MPD");

    is(get("$loc/hdr/master-ts.m3u8")->{status}, 404,
       "$loc/hdr: MPEG-TS carries no HEVC: no variant");

    # what chromium cannot decode (HEVC, AC-3, E-AC-3), ffmpeg decodes
    # from the multivariant playlist and the MPD themselves: every
    # stream, frames of each
    my %every = (
        dolby => [ 'aac 2', 'aac 6', 'ac3 6', 'eac3 6', 'eac3 6',
                   'h264 640x360', 'h264 640x360', 'h264 640x360' ],
        hdr => [ 'aac 2', 'hevc 640x360', 'hevc 640x360',
                 'hevc 640x360' ],
    );
    for my $t (sort keys %every) {
        is_deeply(decode_every("$base/$loc/$t/master.m3u8"), $every{$t},
                  "$loc/$t: ffmpeg decodes every stream of master.m3u8");
    }
    is_deeply(decode_every("$base/$loc/dolby/manifest.mpd"),
              [ 'aac 2', 'aac 6', 'ac3 6', 'eac3 6', 'eac3 6',
                'h264 640x360' ],
              "$loc/dolby: ffmpeg decodes every stream of manifest.mpd");
    is_deeply(decode_every("$base/$loc/hdr/manifest.mpd"), $every{hdr},
              "$loc/hdr: ffmpeg decodes every stream of manifest.mpd");
}

# HDR I-frame streams: VIDEO-RANGE as their variants say it, so that a
# player that cannot show HDR leaves them alone too; each DASH trick-mode
# set with its main set's colour properties
{
    my $r = get('iframes/hdr/master.m3u8');
    is_deeply([ sort map { /URI="([^"]+)"/ ? "$1 " . (/VIDEO-RANGE=(\w+)/
                                                   ? $1 : '-') : () }
                grep { /^#EXT-X-I-FRAME-STREAM-INF:/ }
                split /\n/, $r->{content} ],
              [ 'iframe-hlg.m3u8 HLG', 'iframe-pq.m3u8 PQ',
                'iframe-sdr.m3u8 SDR' ],
              'hdr: each I-frame stream says its VIDEO-RANGE')
        or diag($r->{content});

    $r = get('iframes/hdr/manifest.mpd');
    is_deeply([ grep { /trickmode/ } @{ sets($r->{content}) } ], [
        'video -; Ess http://dashif.org/guidelines/trickmode=0; iframe-sdr(hvc1.1.6.L63.90)',
        'video -; Ess http://dashif.org/guidelines/trickmode=1, Ess TransferCharacteristics=16, '
            . 'Sup ColourPrimaries=9, Sup MatrixCoefficients=9; '
            . 'iframe-pq(hvc1.2.4.L63.90)',
        'video -; Ess http://dashif.org/guidelines/trickmode=2, Ess TransferCharacteristics=18, '
            . 'Sup ColourPrimaries=9, Sup MatrixCoefficients=9; '
            . 'iframe-hlg(hvc1.2.4.L63.90)',
    ], 'hdr: each trick-mode set has its main set\'s colour')
        or diag($r->{content});
}

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;

# the MP3 file: one line per manifest made (a manifest from the manifest
# cache does not look at it), with the reason
my @mp3 = grep { m{/dolby/mp3\.mp4} } @bad;
my %per;
$per{/request: "([^"]*)"/ ? $1 : 'none'}++ for @mp3;
ok(@mp3 >= 2 && !grep({ $_ != 1 } values %per)
   && !grep({ !/tracks: 1 \(mp4a\)/ } @mp3),
   'the MP3 file: one line per manifest made, naming its track')
    or diag(@mp3);
@bad = grep { !m{/dolby/mp3\.mp4} } @bad;
is(scalar @bad, 0, 'nothing else logged as an error') or diag(@bad);

# master-ts.m3u8: each rendition left out once per manifest made (once
# per location: the second request of a location is the cached one)
my @ts = grep { /\[warn\].*left out of master-ts\.m3u8/ } @log;
my %ts;
$ts{/rendition "(\w+)" \(([^)]+)\)/ ? "$1 $2" : '?'}++ for @ts;
is_deeply(\%ts, { '360p av01.0.01M.08' => 2, '180p av01.0.00M.08' => 2,
                  'pq hvc1.2.4.L63.90' => 2, 'hlg hvc1.2.4.L63.90' => 2,
                  'sdr hvc1.1.6.L63.90' => 2 },
          'each rendition TS cannot carry: one line per master-ts made')
    or diag(@ts);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
