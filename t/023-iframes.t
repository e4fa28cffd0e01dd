# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: I-frame playlists and DASH trick mode
# (vod_iframe_playlists).  The multivariant playlists' EXT-X-I-FRAME-
# STREAM-INF (CODECS and RESOLUTION as the video variant's, BANDWIDTH and
# AVERAGE-BANDWIDTH from the bytes the I-frame segments take: exact for
# CMAF, an upper estimate within 10% for MPEG-TS); every I-frame playlist
# (CMAF and MPEG-TS, H.264 and HEVC, with and without "aio threads") read
# by ffprobe over HTTP, each entry one frame, a key frame, the same
# packet (bytes and time) as that key frame in the media segment it is
# cut from, and the EXTINFs adding up to the video's duration within a
# frame; the MPD's trick-mode AdaptationSet naming the main set, its
# segments key frames only; 404 with one line for a segment or key frame
# past the end and an unknown id, 400 for a malformed name; none of it
# where the directive is off, for an audio-only title, or for a manifest
# the directive does not name.  Under vod_encryption cenc and cbcs the
# CMAF ones, protected: each I-frame segment's sample the very bytes and
# senc entry (IV, subsamples) of its key frame in the media segment,
# ffmpeg decrypting it to the clear location's picture (with and
# without "aio threads"); the I-frame playlist with the media
# playlist's EXT-X-KEY lines where it has them (a clear lead's key
# frames clear), the MPD's trick set with the main set's
# ContentProtection, BANDWIDTH counting the senc, saiz and saio.  Under
# HLS AES-128 (CMAF and MPEG-TS, with and without "aio threads", with a
# clear lead) and SAMPLE-AES (MPEG-TS): the media playlist's key lines
# before the first key frame, each I-frame segment the clear one
# encrypted whole with its media sequence number as IV (openssl
# decrypts it) or sample by sample, ffmpeg decrypting each playlist
# over HTTP to the clear one's pictures, the bandwidths what is served.
# Not a block file: it walks the playlists of its own nginx.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use File::Temp ();
use JSON::PP ();
use Digest::SHA qw(hmac_sha256);
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 23;
my $dir = VodTest::nginx_dir('vodiframes');
my $media = VodTest::media();

my $secret = 'test-secret-iframes-' . ('i' x 40);
VodTest::spit("$dir/key.bin", $secret);

VodTest::nginx_start($dir, <<"_EOC_");
    vod_index_cache vod_index:16m;
    server {
        listen 127.0.0.1:$port;
        location /i/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
        }
        location /th/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
            aio threads;
        }
        location /hls/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls;
        }
        location /dash/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists dash;
        }
        location /off/ {
            alias $media/;
            vod_package;
        }
        location /enc/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
            vod_encryption cbcs;
            vod_encryption_key_file $dir/key.bin;
        }
        location /cenc/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
            vod_encryption cenc;
            vod_encryption_systems cenc widevine playready;
            vod_encryption_clearkey on;
            vod_encryption_key_file $dir/key.bin;
        }
        location /cencth/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
            vod_encryption cenc;
            vod_encryption_key_file $dir/key.bin;
            aio threads;
        }
        location /lead/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
            vod_encryption cenc;
            vod_encryption_clear_lead 3s;
            vod_encryption_key_file $dir/key.bin;
        }
        location /aes/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls dash;
            vod_encryption aes-128;
            vod_encryption_clearkey on;
            vod_encryption_key_file $dir/key.bin;
        }
        location /aesth/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls;
            vod_encryption aes-128;
            vod_encryption_clearkey on;
            vod_encryption_key_file $dir/key.bin;
            aio threads;
        }
        location /saes/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls;
            vod_encryption cbcs;
            vod_encryption_ts sample-aes;
            vod_encryption_clearkey on;
            vod_encryption_key_file $dir/key.bin;
        }
        location /leadts/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls;
            vod_encryption cenc;
            vod_encryption_clear_lead 3s;
            vod_encryption_clearkey on;
            vod_encryption_key_file $dir/key.bin;
        }
        location /steer/ {
            alias $media/;
            vod_package;
            vod_iframe_playlists hls;
            vod_content_steering /steering.json pathway=cdn-a;
        }
    }
_EOC_

my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 20);
my $base = "http://127.0.0.1:$port";
my $tmp = File::Temp->newdir();

sub get { return $http->get("$base/$_[0]") }

# ffprobe of bytes, as JSON: its video packets or frames
sub probe {
    my ($bytes, $what, $fields) = @_;
    my $f = "$tmp/probe.bin";
    open my $fh, '>:raw', $f or die "$f: $!";
    print $fh $bytes;
    close $fh;
    my $hash = $what eq 'packet' ? '-show_data_hash MD5' : '';
    my $out = `ffprobe -v error -select_streams v:0 $hash -show_entries $what=$fields -of json $f 2>/dev/null`;
    my $j = eval { JSON::PP::decode_json($out) } // {};
    return @{ $j->{$what . 's'} // [] };
}

# the video packets as "dts key md5": a CMAF file's dts, not its pts, as
# ffmpeg shifts the pts of a fragment whose other samples have negative
# composition offsets
sub packets {
    return map { "$_->{dts} " . ($_->{flags} =~ /^K/ ? 'K' : '_')
                 . " $_->{data_hash}" }
           probe($_[0], 'packet', 'dts,flags,data_hash');
}

# each decoded video frame as "key_frame,pict_type"
sub frames {
    return map { "$_->{key_frame},$_->{pict_type}" }
           probe($_[0], 'frame', 'key_frame,pict_type');
}

# a playlist's EXTINF durations and URIs
sub entries {
    my ($body) = @_;
    my @e;
    my @lines = split /\n/, $body;
    for (my $i = 0; $i < @lines; $i++) {
        push @e, [$1, $lines[$i + 1]] if $lines[$i] =~ /^#EXTINF:([0-9.]+),/;
    }
    return @e;
}

# the video's duration and a frame's, in seconds, of a title's file
sub video_duration {
    my ($file) = @_;
    my $out = `ffprobe -v error -select_streams v:0 -show_entries stream=duration,avg_frame_rate -of default=nw=1 $file 2>&1`;
    my ($d) = $out =~ /duration=([0-9.]+)/;
    my ($n, $q) = $out =~ m{avg_frame_rate=(\d+)/(\d+)};
    return ($d, $q / $n);
}

my $off = 0;
VodTest::log_count($dir, \$off, qr/^/);

# --- the multivariant playlists ----------------------------------------------

my %inf;    # "$loc/$title ts" => [ attribute hashes ]

for my $loc ('i', 'th') {
    for my $ts (0, 1) {
        my $name = $ts ? 'master-ts.m3u8' : 'master.m3u8';
        my $r = get("$loc/demo/$name");
        is($r->{status}, 200, "$loc/demo/$name");
        my (undef, $variants) = VodTest::hls_master($r->{content});
        my @lines = grep { /^#EXT-X-I-FRAME-STREAM-INF:/ }
                    split /\n/, $r->{content};
        my @ids = map { m{-([^-/]+)\.m3u8$} ? $1 : '?' }
                  map { $_->{uri} } @$variants;
        my %seen;
        @ids = grep { !$seen{$_}++ } @ids;
        is(scalar @lines, scalar @ids,
           "$loc/demo/$name: an I-frame stream per video rendition");
        for my $l (@lines) {
            my $a = VodTest::hls_attrs($l =~ s/^[^:]*://r);
            my ($id) = $a->{URI} =~ /^iframe(?:ts)?-(.+)\.m3u8$/;
            my ($v) = grep { $_->{uri} =~ /-\Q$id\E\.m3u8$/ } @$variants;
            ok($v, "$loc/demo/$name: $a->{URI} is of a variant's rendition");
            is($a->{URI}, ($ts ? 'iframets-' : 'iframe-') . "$id.m3u8",
               "$loc/demo/$name: URI");
            my ($vc) = split /,/, $v->{CODECS} // '';
            is($a->{CODECS}, $vc, "$loc/demo/$name $id: CODECS the video's");
            is($a->{RESOLUTION}, $v->{RESOLUTION},
               "$loc/demo/$name $id: RESOLUTION the variant's");
            push @{ $inf{"$loc/demo $ts"} }, $a;
        }
    }
}

# (the cheap checks first: tools/mutate.sh stops a suite at its first
# failure, and the ffmpeg walks below take most of this file's time)

# --- what each setting names ---------------------------------------------------

like(get('hls/demo/master.m3u8')->{content}, qr/I-FRAME-STREAM-INF/,
     'hls: in master.m3u8');
unlike(get('hls/demo/manifest.mpd')->{content}, qr/trickmode/,
       'hls: not in the MPD');
unlike(get('dash/demo/master.m3u8')->{content}, qr/I-FRAME/,
       'dash: not in master.m3u8');
like(get('dash/demo/manifest.mpd')->{content}, qr/trickmode/,
     'dash: in the MPD');
is(get('dash/demo/iframe-360p-1-1.m4s')->{status}, 200,
   'dash: the trick-mode segments are served');
unlike(get('off/demo/master.m3u8')->{content}, qr/I-FRAME/,
       'off: not in master.m3u8');
unlike(get('off/demo/master-ts.m3u8')->{content}, qr/I-FRAME/,
       'off: not in master-ts.m3u8');
unlike(get('off/demo/manifest.mpd')->{content}, qr/trickmode/,
       'off: not in the MPD');
isnt(get('i/demo/master.m3u8')->{headers}{etag},
     get('off/demo/master.m3u8')->{headers}{etag}, 'the ETag follows it');
unlike(get('i/audio/master.m3u8')->{content}, qr/I-FRAME/,
       'audio-only: no I-frame stream');
# under every vod_encryption the I-frame streams of a clear location:
# the same URIs, codecs and resolutions (the bandwidths are what each
# location serves, checked with the walks below)
for my $loc (qw(enc cenc aes saes)) {
    for my $name ('master.m3u8', 'master-ts.m3u8') {
        my @clear = map { s/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,//r }
                    grep { /I-FRAME/ }
                    split /\n/, get("i/demo/$name")->{content};
        my @mine = map { s/BANDWIDTH=\d+,AVERAGE-BANDWIDTH=\d+,//r }
                   grep { /I-FRAME/ }
                   split /\n/, get("$loc/demo/$name")->{content};
        ok(@clear > 0, "$loc: I-frame streams in the clear $name");
        is(join("\n", @mine), join("\n", @clear),
           "$loc: ${name}'s I-frame streams those of a clear location");
    }
}
unlike(get('i/audio/manifest.mpd')->{content}, qr/trickmode/,
       'audio-only: no trick set');

# --- errors: a status and one line each ----------------------------------------

VodTest::log_count($dir, \$off, qr/^/);

for my $case (['off/demo/iframe-360p.m3u8', 404, qr/I-frame playlists are off/],
              ['off/demo/iframe-360p-1-1.m4s', 404,
               qr/I-frame playlists are off/],
              ['dash/demo/iframe-360p.m3u8', 404,
               qr/I-frame playlists are off/],
              ['dash/demo/iframets-360p-1-1.ts', 404,
               qr/I-frame playlists are off/],
              ['i/demo/iframe-360p-99-1.m4s', 404,
               qr/has no video segment 99/],
              ['i/demo/iframets-360p-99-1.ts', 404,
               qr/has no video segment 99/],
              ['th/demo/iframe-360p-1-9.m4s', 404,
               qr/segment 1 of "360p" has no key frame 9/],
              ['i/demo/iframe-nope-1-1.m4s', 404, qr/open\(\).*nope/],
              ['i/demo/iframe-nope.m3u8', 404, qr/open\(\).*nope/],
              ['i/audio/iframe-audio.m3u8', 404,
               qr/"audio" has no I-frame playlist/],
              ['i/demo/iframe-360p-1-0.m4s', 400, qr/malformed name/],
              ['i/demo/iframe-360p-1-01.m4s', 400, qr/malformed name/],
              ['i/demo/iframe-360p-1-1.ts', 400, qr/malformed name/],
              ['i/demo/iframe-360p-1.m4s', 400, qr/malformed name/],
              ['i/demo/iframe-360p-1-99999999999.m4s', 400,
               qr/malformed name/])
{
    my ($uri, $status, $re) = @$case;
    is(get($uri)->{status}, $status, "$uri: $status");
    my $lines = 0;
    my $want = 0;
    open my $fh, '<', "$dir/logs/error.log" or die;
    seek $fh, $off, 0;
    while (my $l = <$fh>) {
        next unless $l =~ /\[(?:info|notice|warn|error|crit|alert)\]/;
        next if $l =~ /keepalive|client .* closed/;
        $lines++;
        $want++ if $l =~ $re;
    }
    $off = tell $fh;
    close $fh;
    is("$lines $want", '1 1', "$uri: one log line, the reason");
}

# --- nginx -t names a bad setting ---------------------------------------------

for my $case (['off hls', qr/"vod_iframe_playlists off" goes alone/],
              ['hls hls dash x', qr/invalid value "x"/],
              ["hls;\n        vod_iframe_playlists dash",
               qr/"vod_iframe_playlists" directive is duplicate/])
{
    my ($value, $re) = @$case;
    my $cdir = VodTest::nginx_dir('vodiframeconf');
    my $so = (grep { /ngx_vod_package_module\.so$/ }
              split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '')[0]
             // "$FindBin::Bin/../modules/ngx_vod_package_module.so";
    open my $fh, '>', "$cdir/nginx.conf" or die;
    print $fh "load_module $so;\nevents {}\nhttp {\n    server {\n"
        . "        location / {\n        vod_package;\n"
        . "        vod_iframe_playlists $value;\n        }\n    }\n}\n";
    close $fh;
    my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
    my $out = `$nginx -t -p $cdir/ -c $cdir/nginx.conf -e $cdir/logs/error.log 2>&1`;
    like($out, $re, "nginx -t: vod_iframe_playlists $value");
}

# --- under HLS AES-128 and SAMPLE-AES: the key lines --------------------------

# the media playlist's, before the first key frame (for CMAF after
# EXT-X-MAP: the init segment stays clear); AES-128's without an IV
# attribute, each entry's IV its media sequence number, SAMPLE-AES's
# with the title's IV at version 5 (RFC 8216 7)
for my $case (['aes', 0, 'video-360p.m3u8', 7], ['aes', 1, 'ts-360p.m3u8', 4],
              ['cenc', 1, 'ts-360p.m3u8', 4],
              ['saes', 1, 'ts-360p.m3u8', 5])
{
    my ($loc, $ts, $media_name, $version) = @$case;
    my $name = ($ts ? 'iframets-' : 'iframe-') . '360p.m3u8';
    my $pl = get("$loc/demo/$name")->{content} // '';
    my @keys = key_lines(get("$loc/demo/$media_name")->{content});
    is(scalar @keys, 1, "$loc/$name: the media playlist has a key line");
    is(join("\n", key_lines($pl)), join("\n", @keys),
       "$loc/$name: the media playlist\'s key lines");
    like($pl, qr/^#EXT-X-VERSION:$version$/m, "$loc/$name: version $version");
    my $before = $ts ? '#EXT-X-INDEPENDENT-SEGMENTS'
                     : '#EXT-X-MAP:URI="video-360p-init.mp4"';
    like($pl, qr/^\Q$before\E\n#EXT-X-KEY:[^\n]*\n#EXTINF:/m,
         "$loc/$name: before the first key frame"
         . ($ts ? '' : ', after EXT-X-MAP'));
    if ($loc eq 'saes') {
        like($pl, qr/METHOD=SAMPLE-AES,URI="aes\.key",IV=0x/,
             "$loc/$name: SAMPLE-AES with the title's IV");
        next;
    }
    like($pl, qr/^#EXT-X-KEY:METHOD=AES-128,URI="aes\.key"$/m,
         "$loc/$name: AES-128 without an IV");
    # its last entry: the clear one under the IV of its number (every
    # entry with the walks below)
    my @e = entries($pl);
    my $uri = $e[-1][1] // '';
    my $dec = aes_decrypt(get("$loc/demo/$uri")->{content} // '', $#e);
    ok(@e > 1 && $dec eq get("i/demo/$uri")->{content},
       "$loc/$uri: AES-128 under IV $#e, its sequence number");
}

# the bandwidths of one rendition's I-frame stream against the bytes
# served (every rendition's with the walks below)
for my $case (['aes', 0], ['enc', 0], ['cenc', 0], ['aes', 1]) {
    my ($loc, $ts) = @$case;
    my $name = ($ts ? 'iframets-' : 'iframe-') . '360p.m3u8';
    my @served = map { [$_->[0], length(get("$loc/demo/$_->[1]")->{content})] }
                 entries(get("$loc/demo/$name")->{content});
    my $inf = iframe_inf($loc, $ts ? 'master-ts.m3u8' : 'master.m3u8');
    is(rates_ok("$loc/$name", $inf->{$name} // {}, $ts, \@served), '',
       "$loc/$name: the bandwidths served");
}

# --- every I-frame playlist, its entries and their bytes ---------------------

sub check_playlist {
    my ($loc, $title, $id, $ts, $a) = @_;
    my $name = ($ts ? 'iframets-' : 'iframe-') . "$id.m3u8";
    my $what = "$loc/$title/$name";
    my $r = get("$loc/$title/$name");
    is($r->{status}, 200, "$what: 200");
    my $pl = $r->{content};
    like($pl, qr/^#EXT-X-I-FRAMES-ONLY$/m, "$what: EXT-X-I-FRAMES-ONLY");
    like($pl, qr/^#EXT-X-VERSION:${\($ts ? 4 : 7)}$/m, "$what: version");
    like($pl, qr/^#EXT-X-ENDLIST$/m, "$what: ENDLIST");
    my $init = '';
    if (!$ts) {
        like($pl, qr/^#EXT-X-MAP:URI="video-\Q$id\E-init\.mp4"$/m,
             "$what: the video's init segment");
        $init = get("$loc/$title/video-$id-init.mp4")->{content};
    }

    my @e = entries($pl);
    ok(@e > 0, "$what: entries");

    my ($sum, $bytes, $peak, $bad, $mismatch) = (0, 0, 0, '', '');
    for my $e (@e) {
        my ($d, $uri) = @$e;
        my ($n, $k) = $uri =~ /-(\d+)-(\d+)\.(?:m4s|ts)$/;
        my $seg = get("$loc/$title/$uri");
        if ($seg->{status} != 200) {
            $bad .= " $uri:$seg->{status}";
            next;
        }
        my $len = length $seg->{content};
        $sum += $d;
        $bytes += $len;
        $peak = $len * 8 / $d if $d > 0 && $len * 8 / $d > $peak;

        my @f = frames($init . $seg->{content});
        $bad .= " $uri:[@f]" unless @f == 1 && $f[0] eq '1,I';

        # the same packet as key frame $k of media segment $n
        my $main = $ts ? get("$loc/$title/videots-$id-$n.ts")->{content}
                       : $init . get("$loc/$title/video-$id-$n.m4s")
                                 ->{content};
        my @keys = grep { / K / } packets($main);
        my @mine = packets($init . $seg->{content});
        my $want = $keys[$k - 1] // 'none';
        my $got = $mine[0] // 'none';
        $mismatch .= " $uri: $got vs $want" if @mine != 1 || $got ne $want;
    }

    is($bad, '', "$what: every entry one key frame");
    is($mismatch, '', "$what: every entry the media segment's key frame");

    my ($dur, $frame) = video_duration("$media/$title/$id.mp4");
    ok(abs($sum - $dur) <= $frame,
       "$what: EXTINFs add up to the video's ${dur}s ($sum)");

    # the whole playlist over HTTP, as a player reads it
    my $out = `ffprobe -v error -select_streams v:0 -show_entries frame=key_frame,pict_type -of json '$base/$loc/$title/$name' 2>/dev/null`;
    my @all = map { "$_->{key_frame},$_->{pict_type}" }
              @{ (eval { JSON::PP::decode_json($out) } // {})->{frames}
                 // [] };
    is(scalar(grep { $_ eq '1,I' } @all) . '/' . scalar(@all),
       scalar(@e) . '/' . scalar(@e),
       "$what: ffprobe decodes a key frame per entry");

    return unless $a;

    my $avg = $bytes * 8 / $sum;
    if ($ts) {
        ok($a->{BANDWIDTH} >= $peak * 0.99 && $a->{BANDWIDTH} <= $peak * 1.1,
           "$what: BANDWIDTH $a->{BANDWIDTH} bounds the peak $peak");
        ok($a->{'AVERAGE-BANDWIDTH'} >= $avg * 0.99
           && $a->{'AVERAGE-BANDWIDTH'} <= $avg * 1.1,
           "$what: AVERAGE-BANDWIDTH $a->{'AVERAGE-BANDWIDTH'} ~ $avg");
    } else {
        ok(abs($a->{BANDWIDTH} - $peak) <= $peak * 0.002,
           "$what: BANDWIDTH $a->{BANDWIDTH} is the peak $peak");
        ok(abs($a->{'AVERAGE-BANDWIDTH'} - $avg) <= $avg * 0.002,
           "$what: AVERAGE-BANDWIDTH $a->{'AVERAGE-BANDWIDTH'} is $avg");
    }
}

for my $key (sort keys %inf) {
    my ($lt, $ts) = split / /, $key;
    my ($loc, $title) = split m{/}, $lt;
    for my $a (@{ $inf{$key} }) {
        my ($id) = $a->{URI} =~ /^iframe(?:ts)?-(.+)\.m3u8$/;
        check_playlist($loc, $title, $id, $ts, $a);
    }
}

# HEVC: in master.m3u8 with its codec; MPEG-TS carries none
{
    my $m = get('i/hevc/master.m3u8')->{content};
    my ($l) = $m =~ /^#EXT-X-I-FRAME-STREAM-INF:(.*)$/m;
    my $a = VodTest::hls_attrs($l // '');
    like($a->{CODECS} // '', qr/^hvc1\./, 'hevc: an HEVC I-frame stream');
    check_playlist('i', 'hevc', '360p', 0, $a);
    unlike(get('i/hevc/master-ts.m3u8')->{content}, qr/I-FRAME/,
           'hevc: none in master-ts.m3u8');
    is(get('i/hevc/iframets-360p.m3u8')->{status}, 404,
       'hevc: iframets- playlist 404');
}

# --- DASH trick mode -----------------------------------------------------------

{
    my $mpd = get('i/demo/manifest.mpd')->{content};
    my @sets = $mpd =~ m{(<AdaptationSet.*?</AdaptationSet>)}sg;
    my ($main) = grep { /contentType="video"/ && !/trickmode/ } @sets;
    my ($trick) = grep { /trickmode/ } @sets;
    ok($trick, 'MPD: a trick-mode AdaptationSet');
    my ($main_id) = $main =~ /^<AdaptationSet id="(\d+)"/;
    like($trick, qr{<EssentialProperty schemeIdUri="http://dashif\.org/guidelines/trickmode" value="$main_id"/>},
         'MPD: trickmode names the main video set');
    my @ids = $mpd =~ /<AdaptationSet id="(\d+)"/g;
    my %n;
    is(scalar(grep { $n{$_}++ } @ids), 0, 'MPD: set ids unique');
    my @reps = $trick =~ m{(<Representation .*?</Representation>)}sg;
    my @main_reps = $main =~ /<Representation id="video-([^"]+)"/g;
    is(join(' ', map { /id="iframe-([^"]+)"/ } @reps), join(' ', @main_reps),
       'MPD: a trick Representation per main one');
    for my $rep (@reps) {
        my ($id) = $rep =~ /id="iframe-([^"]+)"/;
        like($rep, qr/codingDependency="false"/, "MPD $id: codingDependency");
        like($rep, qr/maxPlayoutRate="\d+"/, "MPD $id: maxPlayoutRate");
        my @urls = $rep =~ /<SegmentURL media="([^"]+)"/g;
        my $count = 0;
        $count += 1 + ($1 // 0) while $rep =~ /<S [^>]*?(?:r="(\d+)")?\/>/g;
        is($count, scalar @urls, "MPD $id: a timeline entry per segment");
        my @hls = entries(get("i/demo/iframe-$id.m3u8")->{content});
        is(join(' ', @urls), join(' ', map { $_->[1] } @hls),
           "MPD $id: the HLS playlist's segments");
        my $init = get("i/demo/video-$id-init.mp4")->{content};
        my $bad = '';
        for my $u (@urls) {
            my @f = frames($init . get("i/demo/$u")->{content});
            $bad .= " $u:[@f]" unless @f == 1 && $f[0] eq '1,I';
        }
        is($bad, '', "MPD $id: every trick segment one key frame");
    }
}

# --- under Common Encryption: the key frames as their media segments ---------

sub derive {
    my ($label, $title) = @_;
    return substr(hmac_sha256("vodedge-cenc-$label" . $title, $secret),
                  0, 16);
}

# the per-sample IV size of an init segment's tenc (ISO/IEC 23001-7 8.2)
sub iv_size {
    my ($init) = @_;
    my $i = index($init, 'tenc');
    return $i < 0 ? -1 : unpack 'C', substr($init, $i + 11, 1);
}

# the pictures ffmpeg decodes from a file, their framemd5 lines; with
# $key as -decryption_key
sub pictures {
    my ($file, $key) = @_;
    my @cmd = ('ffmpeg', '-v', 'quiet',
               ($key ? ('-decryption_key', unpack('H*', $key)) : ()),
               '-i', $file, '-map', '0:v', '-f', 'framemd5', '-');
    open my $fh, '-|', @cmd or die "ffmpeg: $!";
    my @sums = map { (split /\s*,\s*/)[5] } grep { !/^#/ } <$fh>;
    close $fh;
    chomp @sums;
    return join ' ', @sums;
}

# a playlist's lines before its first entry, EXT-X-KEY and EXT-X-MAP, in
# order, and the key lines
sub key_lines {
    return grep { /^#EXT-X-KEY:/ } split /\n/, $_[0];
}

my $key = derive('key', 'demo');
my @ids = map { /^iframe-(.+)\.m3u8$/ ? $1 : () }
          map { $_->{URI} } @{ $inf{'i/demo 0'} };
ok(@ids >= 2, 'encrypted: the renditions walked');

# cencth: the segments read and encrypted in a pool thread
for my $loc (qw(cenc enc cencth)) {
    my $scheme = $loc eq 'enc' ? 'cbcs' : 'cenc';
    my ($later, $entries, $bad) = (0, 0, '');
    my $master = iframe_inf($loc, 'master.m3u8');

    for my $id (@ids) {
        my $what = "$loc $scheme $id";
        my @served;
        my $pl = get("$loc/demo/iframe-$id.m3u8")->{content} // '';
        my $media_pl = get("$loc/demo/video-$id.m3u8")->{content};
        my @keys = key_lines($media_pl);
        ok(@keys > 0, "$what: the media playlist has key lines");
        is(join("\n", key_lines($pl)), join("\n", @keys),
           "$what: the I-frame playlist has the media playlist's");
        like($pl, qr/^(#EXT-X-KEY:[^\n]*\n)+#EXT-X-MAP:URI="video-\Q$id\E-init\.mp4"\n#EXTINF/m,
             "$what: ... before EXT-X-MAP, as the media playlist");
        my $init = get("$loc/demo/video-$id-init.mp4")->{content};
        my $clear_init = get("i/demo/video-$id-init.mp4")->{content};
        my $ivs = iv_size($init);
        is($ivs, $scheme eq 'cenc' ? 8 : 0, "$what: tenc's IV size");

        for my $e (entries($pl)) {
            my $uri = $e->[1];
            my ($n) = $uri =~ /-(\d+)-\d+\.m4s$/;
            $entries++;
            my $seg = get("$loc/demo/$uri")->{content};
            push @served, [$e->[0], length $seg];
            my @one = VodTest::fmp4_samples($seg, $ivs);
            my @main = VodTest::fmp4_samples(
                get("$loc/demo/video-$id-$n.m4s")->{content}, $ivs);
            my @clear = VodTest::fmp4_samples(
                get("i/demo/video-$id-$n.m4s")->{content}, 0);
            my ($clear_one) = VodTest::fmp4_samples(
                get("i/demo/$uri")->{content}, 0);
            if (@one != 1 || !$clear_one) {
                $bad .= " $uri: " . scalar(@one) . ' samples';
                next;
            }
            # the key frame's place, by its clear bytes
            my ($j) = grep { $clear[$_][0] eq $clear_one->[0] } 0 .. $#clear;
            if (!defined $j) {
                $bad .= " $uri: not a sample of segment $n";
                next;
            }
            $later++ if $j > 0;
            $bad .= " $uri: clear bytes"
                if $one[0][0] eq $clear_one->[0];
            $bad .= " $uri: bytes not sample ${j}'s"
                if $one[0][0] ne $main[$j][0];
            $bad .= " $uri: senc '$one[0][1]' not sample ${j}'s '$main[$j][1]'"
                if $one[0][1] eq '' || $one[0][1] ne $main[$j][1];

            # ffmpeg's decryption: the clear I-frame segment's picture
            VodTest::spit("$tmp/enc.mp4", $init . $seg);
            VodTest::spit("$tmp/clear.mp4", $clear_init
                          . get("i/demo/$uri")->{content});
            my $want = pictures("$tmp/clear.mp4");
            my $got = pictures("$tmp/enc.mp4", $key);
            $bad .= " $uri: ffmpeg decodes '$got', clear '$want'"
                if $want eq '' || $got ne $want;
            $bad .= " $uri: a wrong key decodes it"
                if pictures("$tmp/enc.mp4", "\x11" x 16) eq $want;
        }

        # BANDWIDTH counts the senc, saiz and saio (exact for frames of
        # one slice, as the demo title's)
        $bad .= rates_ok($what, $master->{"iframe-$id.m3u8"} // {}, 0,
                         \@served);
    }

    ok($entries > 0, "$loc $scheme: I-frame segments walked ($entries)");
    ok($later > 0, "$loc $scheme: $later of them not the first sample of "
       . 'their segment');
    is($bad, '', "$loc $scheme: each I-frame segment its key frame's "
       . 'ciphertext and senc entry, decrypted to the clear picture; the '
       . 'bandwidths served');
}

# the MPD: the trick set protected as its main set
for my $loc (qw(cenc enc)) {
    my $mpd = get("$loc/demo/manifest.mpd")->{content};
    my @sets = $mpd =~ m{(<AdaptationSet.*?</AdaptationSet>)}sg;
    my ($main) = grep { /contentType="video"/ && !/trickmode/ } @sets;
    my ($trick) = grep { /trickmode/ } @sets;
    ok($trick, "$loc MPD: a trick-mode AdaptationSet");
    my $cp = qr{<ContentProtection\b.*?(?:/>|</ContentProtection>)}s;
    my @want = ($main // '') =~ /($cp)/g;
    my @got = ($trick // '') =~ /($cp)/g;
    ok(@want >= 2, "$loc MPD: the main video set's ContentProtection");
    is(join("\n", @got), join("\n", @want),
       "$loc MPD: the trick set has the same");
}

# the clear lead (3 s: the first segment): its key frames clear, the key
# lines before the first key frame past it, as in the media playlist
{
    my $id = $ids[0];
    my $pl = get("lead/demo/iframe-$id.m3u8")->{content} // '';
    my $media_pl = get("lead/demo/video-$id.m3u8")->{content};
    is(join("\n", key_lines($pl)), join("\n", key_lines($media_pl)),
       'lead: the media playlist\'s key lines');
    my $head = substr($pl, 0, index($pl, '#EXT-X-KEY'));
    my @before = $head =~ /^(iframe-\S+)$/mg;
    ok(@before > 0 && !grep({ !/-1-\d+\.m4s$/ } @before),
       'lead: the key lines after the lead segment\'s key frames');
    like($head, qr/#EXT-X-MAP/, 'lead: ... and after EXT-X-MAP');
    my @after = substr($pl, length $head) =~ /^(iframe-\S+)$/mg;
    ok(@after > 0 && !grep({ /-1-\d+\.m4s$/ } @after),
       'lead: the key frames past the lead after them');
    my $ok = 1;
    for my $uri (@before) {
        my $seg = get("lead/demo/$uri")->{content};
        my ($mine) = VodTest::fmp4_samples($seg, 0);
        my ($clear) = VodTest::fmp4_samples(get("i/demo/$uri")->{content},
                                            0);
        $ok = 0 if defined VodTest::box($seg, qw(moof traf senc))
                   || !$mine || $mine->[0] ne $clear->[0];
    }
    ok($ok, 'lead: the lead segment\'s I-frame segments clear');
    my $seg = get("lead/demo/$after[0]")->{content};
    ok(defined VodTest::box($seg, qw(moof traf senc)),
       'lead: one past it encrypted');
}

# --- under HLS AES-128 and SAMPLE-AES: every key frame, every rendition ------

# the I-frame streams' attributes in a location's multivariant playlist,
# by URI
sub iframe_inf {
    my ($loc, $name) = @_;
    my %a;
    for my $l (split /\n/, get("$loc/demo/$name")->{content} // '') {
        next unless $l =~ /^#EXT-X-I-FRAME-STREAM-INF:(.*)$/;
        my $a = VodTest::hls_attrs($1);
        $a{ $a->{URI} } = $a;
    }
    return \%a;
}

# BANDWIDTH against the peak of the bytes served over the EXTINFs,
# AVERAGE-BANDWIDTH against all of them over the span: for CMAF exact
# (the peak to the EXTINFs' rounding to the millisecond, the average to
# 0.01%), for MPEG-TS an upper estimate within 10%
sub rates_ok {
    my ($what, $a, $ts, $served) = @_;
    my ($sum, $bytes, $peak) = (0, 0, 0);
    for my $e (@$served) {
        my ($d, $len) = @$e;
        $sum += $d;
        $bytes += $len;
        $peak = $len * 8 / $d if $d > 0 && $len * 8 / $d > $peak;
    }
    my $avg = $sum > 0 ? $bytes * 8 / $sum : 0;
    my ($bw, $abw) = ($a->{BANDWIDTH} // 0, $a->{'AVERAGE-BANDWIDTH'} // 0);
    if ($ts) {
        return "$what: BANDWIDTH $bw, peak $peak; AVERAGE $abw, $avg"
            unless $bw >= $peak * 0.99 && $bw <= $peak * 1.1
                   && $abw >= $avg * 0.99 && $abw <= $avg * 1.1;
    } else {
        return "$what: BANDWIDTH $bw, peak $peak; AVERAGE $abw, $avg"
            unless abs($bw - $peak) <= $peak * 0.002
                   && abs($abw - $avg) <= $avg * 0.0001;
    }
    return '';
}

# an MPEG-TS I-frame segment under SAMPLE-AES against its clear self and
# its media segment, clear and encrypted: each slice as the media
# segment encrypts it (the title's IV, the cipher restarting at each NAL
# unit), the other units clear (units compared without the zero byte of
# a four-byte start code after them)
sub saes_units {
    my ($uri, @ts) = @_;
    my ($c, $m, $mc, $me) =
        map { [ map { s/\x00+\z//r }
                VodTest::nals(VodTest::es_of($_, 0x100)) ] } @ts;
    my ($bad, $slices) = ('', 0);
    $bad .= " $uri: clear" if $ts[0] eq $ts[1];
    $bad .= " $uri: other units" if @$m != @$c;
    for my $i (0 .. $#$c) {
        my ($cu, $mu) = ($c->[$i], $m->[$i] // '');
        my $t = ord($cu) & 0x1f;
        if ($t != 1 && $t != 5) {
            $bad .= " $uri: unit $i not clear" if $mu ne $cu;
            next;
        }
        my ($j) = grep { $mc->[$_] eq $cu } 0 .. $#$mc;
        $slices++;
        $bad .= " $uri: slice $i not its media segment's"
            unless defined $j && $cu ne $mu && $mu eq ($me->[$j] // '-');
    }
    return $slices ? $bad : "$bad $uri: no slice";
}

# bytes decrypted by openssl(1) as HLS AES-128 with the demo title's key
# and the IV of media sequence number $seq
sub aes_decrypt {
    my ($bytes, $seq) = @_;
    VodTest::spit("$tmp/aes.bin", $bytes);
    my $key = unpack 'H*', hls_key('demo');
    my $iv = sprintf '%032x', $seq;
    my $cmd = "openssl enc -d -aes-128-cbc -K $key -iv $iv "
              . "-in $tmp/aes.bin 2>/dev/null";
    return scalar `$cmd`;
}

sub hls_key {
    return substr(hmac_sha256('vodedge-hls-key' . $_[0], $secret), 0, 16);
}

{
    my %clear_pictures;

    # aesth: the segments read and muxed in a pool thread; leadts: a
    # clear lead of 3 s (the first segment) under MPEG-TS AES-128
    for my $case (['aes', 0], ['aes', 1], ['aesth', 0], ['aesth', 1],
                  ['cenc', 1], ['saes', 1], ['leadts', 1])
    {
        my ($loc, $ts) = @$case;
        my $master = iframe_inf($loc, $ts ? 'master-ts.m3u8' : 'master.m3u8');
        my $what = "$loc " . ($ts ? 'MPEG-TS' : 'CMAF');
        my ($walked, $lead, $bad) = (0, 0, '');

        for my $id (@ids) {
            my $name = ($ts ? 'iframets-' : 'iframe-') . "$id.m3u8";
            my $pl = get("$loc/demo/$name")->{content} // '';
            my $at = index($pl, '#EXT-X-KEY');
            my $clear_count = () = substr($pl, 0, $at < 0 ? length $pl : $at)
                                   =~ /^#EXTINF/mg;
            my ($seq, @served) = (0);

            for my $e (entries($pl)) {
                my ($d, $uri) = @$e;
                my $enc = get("$loc/demo/$uri")->{content} // '';
                my $clear = get("i/demo/$uri")->{content} // '';
                push @served, [$d, length $enc];
                $walked++;

                if ($seq < $clear_count) {
                    $lead++;
                    $bad .= " $uri: not the clear one" if $enc ne $clear;

                } elsif ($loc ne 'saes') {
                    # AES-128 with the IV the playlist implies: the
                    # entry's media sequence number
                    $bad .= " $uri: not the clear one under IV $seq"
                        if $enc eq $clear || aes_decrypt($enc, $seq) ne $clear;

                } else {
                    my ($n) = $uri =~ /-(\d+)-\d+\.ts$/;
                    $bad .= saes_units($uri, $clear, $enc,
                                       get("i/demo/ts-$id-$n.ts")->{content},
                                       get("$loc/demo/ts-$id-$n.ts")
                                       ->{content});
                }

                $seq++;
            }

            # the playlist over HTTP as a player reads it: ffmpeg fetches
            # aes.key and decrypts to the clear playlist's pictures.
            # Under SAMPLE-AES, as many pictures only: FFmpeg 5.1's
            # decryptor drops the slices' emulation prevention and hands
            # the last PES on undecrypted (t/025 checks its packets; the
            # slices above are the media segments')
            $clear_pictures{$name} //= pictures("$base/i/demo/$name");
            my $want = $clear_pictures{$name};
            my $got = pictures("$base/$loc/demo/$name");
            if ($loc eq 'saes') {
                $_ = scalar(split / /) for $want, $got;
            }
            $bad .= " $name: ffmpeg decodes '$got', not '$want'"
                if $want eq '' || $want eq '0' || $got ne $want;

            $bad .= rates_ok("$name", $master->{$name} // {}, $ts,
                             \@served);
        }

        ok($walked > 0, "$what: I-frame segments walked ($walked)");
        if ($loc eq 'leadts') {
            ok($lead > 0 && $lead < $walked,
               "$what: the lead's $lead key frames clear, the rest not");
        } else {
            is($lead, 0, "$what: no clear entry");
        }
        is($bad, '', "$what: each entry the clear one encrypted, "
           . 'decrypted by ffmpeg to its picture; the bandwidths served');
    }
}

# Content Steering: the I-frame streams are on the Pathway too
{
    my @inf = grep { /^#EXT-X-(?:I-FRAME-)?STREAM-INF:/ }
              split /\n/, get('steer/demo/master.m3u8')->{content};
    my @iframes = grep { /I-FRAME/ } @inf;
    is(scalar @iframes, 3, 'steering: the I-frame streams');
    is(scalar(grep { !/,PATHWAY-ID="cdn-a"$/ } @inf), 0,
       'steering: PATHWAY-ID on every variant and I-frame stream');
}

my @log = VodTest::nginx_stop($dir);
is(scalar(grep { /\[(?:error|crit|alert|emerg)\]/ } @log), 0,
   'no error in the log') or diag(grep { /\[(?:error|crit|alert)\]/ } @log);

done_testing();
