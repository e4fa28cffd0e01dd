# vim:set ft=perl ts=4 sw=4 et:
#
# tools/check-media.sh fails when it cannot tell what it checked: a
# `vodpkg info` it cannot parse, a track announced but not described, a
# segment line in another shape.  Each case runs the script with VODPKG
# pointing at a wrapper of bin/vodpkg that rewrites the info output.

use strict;
use warnings;

use Cwd ();
use File::Temp ();
use Test::More;

my $media = $ENV{TEST_NGINX_MEDIA} // 'build/media';
my $tmp = File::Temp::tempdir(CLEANUP => 1);
my $vodpkg = Cwd::abs_path('bin/vodpkg');

plan skip_all => "bin/vodpkg is not built" unless -x 'bin/vodpkg';

mkdir "$tmp/m";
mkdir "$tmp/m/video";
system("cp $media/video/360p.mp4 $tmp/m/video/") == 0 or die;

# wrapper CASE SED: bin/vodpkg, with `info` output passed through SED
sub check {
    my ($sed) = @_;
    open my $fh, '>', "$tmp/vodpkg" or die;
    print $fh <<"EOS";
#!/bin/sh
if [ "\$1" = info ]; then
    $vodpkg "\$@" | sed -e '$sed'
else
    exec $vodpkg "\$@"
fi
EOS
    close $fh;
    chmod 0755, "$tmp/vodpkg";
    my $out = `VODPKG=$tmp/vodpkg tools/check-media.sh $tmp/m 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = check('s/x/x/');
is($rc, 0, 'the unchanged output passes') or diag($out);
like($out, qr/1 files ok \(1 tracks, 2 CMAF segments decoded\)/,
     'and counts one track, two segments');

for my $case (
    ['s/^track /TRACK /', 'tracks no longer introduced by "track"'],
    ['s/segments (s)/segs/', 'segment lines in another shape'],
    ['s/.*/garbage/', 'nothing parseable'],
    ['/^segment duration/d', 'no track count announced'],
    ['s/ 1 tracks*$/ 2 tracks/', 'a track announced, not described'],
    ['s/video avc1/subtitle avc1/', 'a track type it does not know'],
)
{
    my ($sed, $what) = @$case;
    ($rc, $out) = check($sed);
    isnt($rc, 0, "fails with $what") or diag($out);
    unlike($out, qr/files ok/, "and does not say ok ($what)");
}

done_testing();
