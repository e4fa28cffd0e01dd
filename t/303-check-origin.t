# vim:set ft=perl ts=4 sw=4 et:
#
# tools/check-origin.sh walks the MPD as a DASH player: an MPD whose
# template or timeline does not lead to the segments HLS has fails it.
# Each case serves one title (video, H.264 only) and replaces its
# manifest.mpd by an edited copy of the real one (EXTRA_CONF).  And it
# walks MPEG-TS audio renditions (audiots-, audiots{T}-) as it walks
# the variants: one that lacks a segment fails it.

use strict;
use warnings;

use File::Temp ();
use Test::More;

my $media = $ENV{TEST_NGINX_MEDIA} // 'build/media';
my $tmp = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $tmp;
mkdir "$tmp/m";
mkdir "$tmp/m/video";
system("cp $media/video/360p.mp4 $tmp/m/video/") == 0 or die;
chmod 0755, "$tmp/m", "$tmp/m/video";

# run check-origin.sh with manifest.mpd served from FILE (undef: the real)
sub check {
    my ($mpd) = @_;
    my $extra = '';
    if (defined $mpd) {
        open my $fh, '>', "$tmp/manifest.mpd" or die;
        print $fh $mpd;
        close $fh;
        chmod 0644, "$tmp/manifest.mpd";
        $extra = "location = /vod/video/manifest.mpd "
               . "{ alias $tmp/manifest.mpd; }";
    }
    local $ENV{EXTRA_CONF} = $extra;
    local $ENV{PORT} = 8193;
    my $out = `tools/check-origin.sh $tmp/m 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = check(undef);
is($rc, 0, 'the real MPD passes') or diag($out);
like($out, qr{ok video/manifest\.mpd video-360p: 2 segments as HLS},
     'its segments fetched, decoded, counted');

# the real MPD, as the origin served it, to edit
open my $fh, '<', 'build/check-origin/out/video/manifest.mpd' or die $!;
my $real = do { local $/; <$fh> };
close $fh;

for my $case (
    [qr/ r="1"/, ' r="2"', 'a segment more than HLS', qr/GET .*-3\.m4s/],
    [qr/ r="1"/, '', 'a segment fewer than HLS',
     qr/lists 1 segments, its HLS playlist 2|100 v frames/],
    [qr/-init\.mp4/, '-start.mp4', 'an init segment that is not there',
     qr/GET .*-start\.mp4/],
    [qr/\$Number\$/, '$Time$', 'a template it cannot fill',
     qr/template this check does not fill/],
    [qr/id="video-360p"/, 'id="video-999p"', 'a track HLS does not have',
     qr/GET |no HLS playlist/],
    [qr/<\/MPD>/, '', 'not well-formed', qr/not well-formed/],
)
{
    my ($re, $with, $what, $why) = @$case;
    my $mpd = $real =~ s/$re/$with/r;
    ($rc, $out) = check($mpd);
    isnt($rc, 0, "fails: $what");
    like($out, $why, "and says why: $what") or diag($out);
}

# a title with two AAC tracks: MPEG-TS serves them as renditions of their
# own beside a videots- variant
my $two = "$tmp/two";
mkdir $two;
mkdir "$two/two";
system('ffmpeg', '-nostdin', '-v', 'error', '-y', '-f', 'lavfi', '-i',
       'testsrc2=size=320x180:rate=25:duration=6', '-f', 'lavfi', '-i',
       'sine=f=440:duration=6', '-f', 'lavfi', '-i',
       'sine=f=660:duration=6', '-map', '0', '-map', '1', '-map', '2',
       '-c:v', 'libx264', '-preset', 'veryfast', '-g', '50', '-c:a', 'aac',
       "$two/two/v.mp4") == 0 or die "ffmpeg: $?";
chmod 0755, $two, "$two/two";

{
    local $ENV{PORT} = 8193;
    local $ENV{EXTRA_CONF} = '';
    $out = `tools/check-origin.sh $two 2>&1`;
    is($? >> 8, 0, 'two audio tracks pass') or diag($out);
    like($out, qr{ok two/audiots-v\.m3u8: \d+ a frames/packets},
         'the first TS audio rendition decoded and counted');
    like($out, qr{ok two/audiots\d+-v\.m3u8: \d+ i:\d+ frames/packets},
         'the second, against its own track');

    # the second rendition's playlist without its last segment
    my ($pl) = $out =~ m{ok two/(audiots\d+-v\.m3u8)};
    open my $in, '<', "build/check-origin/out/two/$pl" or die $!;
    my $short = do { local $/; <$in> };
    close $in;
    $short =~ s/#EXTINF:[^\n]*\n[^\n]*\n(#EXT-X-ENDLIST)/$1/;
    open my $o, '>', "$tmp/short.m3u8" or die;
    print $o $short;
    close $o;
    chmod 0644, "$tmp/short.m3u8";
    local $ENV{EXTRA_CONF} = "location = /vod/two/$pl "
                           . "{ alias $tmp/short.m3u8; }";
    $out = `tools/check-origin.sh $two 2>&1`;
    isnt($? >> 8, 0, 'fails: a TS audio rendition a segment short');
    like($out, qr{two/\Q$pl\E: \d+ i:\d+ frames/packets, source has},
         'and says why: a TS audio rendition a segment short') or diag($out);
}

done_testing();
