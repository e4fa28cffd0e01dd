# vim:set ft= ts=4 sw=4 et:
#
# ngx_vod_package: fragmented MP4 input.  Titles made by
# tools/mkmedia-frag.sh: one encode as a progressive file and as
# fragmented files of ffmpeg's layouts (a moof per key frame with both
# tracks' trafs, a global sidx, a moof every 0.5 s, a moof per track,
# two trafs without base offsets, explicit base offsets, version 1 truns
# with negative composition offsets, the first fragment's samples in the
# moov as ffmpeg writes without empty_moov).  Each fragmented title's
# manifests (HLS CMAF and TS, DASH, the media playlists) are the
# progressive one's byte for byte, and so is every init and media
# segment; ffmpeg decodes the same frames from both.  A truncated
# fragmented file, one of more moof boxes than the limit and one whose
# trun claims more samples than its bytes answer 502 with one error line
# naming the file and the reason.  Without and under "aio threads".  Not
# a block file: it walks the titles with its own requests.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use HTTP::Tiny;
use File::Temp ();
use Test::More;

my $port = ($ENV{TEST_NGINX_PORT} || 1984) + 14;
my $dir = VodTest::nginx_dir('vodfrag');
my $media = "$dir/media";

if ($ENV{TEST_NGINX_FRAG_MEDIA} && -f "$ENV{TEST_NGINX_FRAG_MEDIA}/.done") {
    system('cp', '-r', $ENV{TEST_NGINX_FRAG_MEDIA}, $media) == 0
        or die "cp: $?";
} else {
    system("$FindBin::Bin/../tools/mkmedia-frag.sh", $media, 6) == 0
        or die "tools/mkmedia-frag.sh failed: $?";
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<:raw', $path or die "$path: $!";
    local $/;
    return <$fh>;
}

sub spit {
    my ($path, $data) = @_;
    mkdir((File::Basename::dirname($path)));
    open my $fh, '>:raw', $path or die "$path: $!";
    print $fh $data;
    close $fh or die "$path: $!";
}

use File::Basename ();

# the hostile titles, from the key frame layout
my $frag = slurp("$media/keyframe/360p.mp4");
my $first_moof = index($frag, 'moof') - 4;
die "no moof in keyframe/360p.mp4" if $first_moof < 0;

spit("$media/truncated/360p.mp4",
     substr($frag, 0, int(length($frag) * 0.7)));
spit("$media/toomany/360p.mp4",
     substr($frag, 0, $first_moof) . ("\0\0\0\x08moof" x 65537));
my $over = $frag;
my $trun = index($over, 'trun', $first_moof);
substr($over, $trun + 8, 4) = pack('N', 0x00ffffff);
spit("$media/overclaim/360p.mp4", $over);

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

# the md5 of each decoded frame of init + segment, timestamps left out
sub frames {
    my ($init, $seg, $suffix) = @_;
    my $tmp = File::Temp->new(SUFFIX => $suffix);
    binmode $tmp;
    print $tmp $init, $seg;
    close $tmp;
    my $out = `ffmpeg -hide_banner -loglevel error -i $tmp -f framemd5 - 2>&1`;
    return join "\n", map { (split /,\s*/)[0] . ' ' . (split /,\s*/)[-1] }
                      grep { !/^#/ } split /\n/, $out;
}

# every virtual file of a title: the manifests, then each playlist's
# init and media segments; name => body
sub walk {
    my ($loc, $title) = @_;
    my %got;
    for my $m (qw(master.m3u8 master-ts.m3u8 manifest.mpd video-360p.m3u8
                  audio-360p.m3u8 ts-360p.m3u8))
    {
        my $r = get("$loc/$title/$m");
        is($r->{status}, 200, "$loc/$title/$m: 200") or next;
        $got{$m} = $r->{content};
        my @uris = $r->{content} =~ /^([^#\s]\S*\.(?:m4s|ts))$/mg;
        push @uris, $r->{content} =~ /^#EXT-X-MAP:URI="([^"]+)"/mg;
        for my $u (@uris) {
            my $s = get("$loc/$title/$u");
            is($s->{status}, 200, "$loc/$title/$u: 200");
            $got{$u} = $s->{content};
        }
    }
    return \%got;
}

# ffmpeg writes an empty moov before it has seen the samples, so its
# esds and btrt carry a guess of the average bit rate where the
# progressive file has the track's own: an init segment (which copies the
# sample entry) is compared with the guess set to the progressive value
sub avg_as {
    my ($got, $want) = @_;
    my ($g, $w) = (index($got, 'btrt'), index($want, 'btrt'));
    return $got if $g < 0 || $w < 0 || length($got) != length($want);
    # both boxes have the maximum, then the average
    my ($gm, $ga) = (substr($got, $g + 8, 4), substr($got, $g + 12, 4));
    my $wa = substr($want, $w + 12, 4);
    $got =~ s/\Q$gm$ga\E/$gm$wa/g;
    return $got;
}

my %reference = (keyframe => 'prog', sidx => 'prog', duration => 'prog',
                 separate => 'prog', chained => 'prog', explicit => 'prog',
                 negcts => 'negprog', inmoov => 'prog');

for my $loc (qw(vod thread)) {
    my %walked;
    $walked{$_} = walk($loc, $_) for qw(prog negprog);

    ok(keys %{$walked{prog}} > 10, "$loc: the progressive title walked");

    for my $title (sort keys %reference) {
        my $got = walk($loc, $title);
        my $want = $walked{$reference{$title}};

        is_deeply([sort keys %$got], [sort keys %$want],
                  "$loc/$title: the same virtual files as "
                  . "$reference{$title}");

        my @differ = grep { !defined $want->{$_}
                            || avg_as($got->{$_}, $want->{$_})
                               ne $want->{$_} } sort keys %$got;
        is("@differ", '', "$loc/$title: every manifest and segment is "
                          . "$reference{$title}'s byte for byte");

        # what a player decodes: the first video segment and the first TS
        # segment, from each
        my ($map) = $got->{'video-360p.m3u8'} =~ /#EXT-X-MAP:URI="([^"]+)"/;
        my $f = frames($got->{$map}, $got->{'video-360p-1.m4s'}, '.mp4');
        my $w = frames($want->{$map}, $want->{'video-360p-1.m4s'}, '.mp4');
        ok(($f =~ tr/\n//) >= 40, "$loc/$title: frames decoded");
        is($f, $w, "$loc/$title: the same decoded frames (CMAF)");
        is(frames('', $got->{'ts-360p-1.ts'}, '.ts'),
           frames('', $want->{'ts-360p-1.ts'}, '.ts'),
           "$loc/$title: the same decoded frames (TS)");
    }

    for my $title (qw(truncated toomany overclaim)) {
        my $r = get("$loc/$title/video-360p-1.m4s");
        is($r->{status}, 502, "$loc/$title: 502");
    }

}

my @log = VodTest::nginx_stop($dir);
my @bad = grep { /\[(error|alert|crit|emerg)\]/ } @log;

my %reason = (truncated => qr/top-level box "mdat" at offset \d+ has size/,
              toomany => qr/more than 65536 moof boxes/,
              overclaim => qr/trun claims 16777215 samples in \d+ bytes/);

for my $title (sort keys %reason) {
    my @lines = grep { m{/$title/360p\.mp4} } @bad;
    is(scalar @lines, 2, "$title: one error line per request") or diag(@lines);
    is(scalar(grep { $_ =~ $reason{$title} } @lines), 2,
       "$title: the line says why") or diag(@lines);
}

@bad = grep { !m{/(truncated|toomany|overclaim)/360p\.mp4} } @bad;
is(scalar @bad, 0, 'nothing else logged as an error') or diag(@bad);
ok(!grep({ /exited on signal/ } @log), 'no worker crashed');

done_testing();
