# vim:set ft=perl ts=4 sw=4 et:
#
# tools/test.sh's sections report a failure: a shell function run as a
# section stops at its first failing command and fails the section
# (tools/section.sh), and the demo media step writes its stamp only for a
# complete title (tools/demo-media.sh).

use strict;
use warnings;

use File::Temp ();
use Test::More;

my $tmp = File::Temp::tempdir(CLEANUP => 1);
my $media = $ENV{TEST_NGINX_MEDIA} // "build/media";

# run bash code with tools/section.sh sourced; returns (exit, output)
sub sections {
    my ($code) = @_;
    open my $fh, '>', "$tmp/s.sh" or die;
    print $fh "set -euo pipefail\n. tools/section.sh\n$code\n"
        . 'echo "passed=${passed[*]:-} failed=${failed[*]:-}"' . "\n";
    close $fh;
    my $out = `bash $tmp/s.sh 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = sections(<<"EOS");
f() { false; touch $tmp/stamp; }
section broken f
EOS
like($out, qr/== broken: FAIL/, 'a function failing midway fails')
    or diag($out);
ok(!-e "$tmp/stamp", 'the commands after the failing one did not run');
like($out, qr/passed= failed=broken$/m, 'counted as failed');

($rc, $out) = sections(<<"EOS");
g() { true; echo inside; }
section fine g
section script false
EOS
like($out, qr/== fine: PASS/, 'a function that succeeds passes');
like($out, qr/== script: FAIL, exit 1/, 'a failing command fails');
like($out, qr/passed=fine failed=script$/m, 'one of each counted');

# CI shows only the end of a run: failures() repeats why a section failed
($rc, $out) = sections(<<"EOS");
h() { echo 'ok 1 - fine'; echo 'not ok 2 - the reason' >&2; false; }
section reasons h
section quiet true
section daemon bash -c 'sleep 7 & echo left'
echo '-- end of run'
failures
EOS
like($out, qr/-- end of run\n\n== reasons failed; what its output says why [^\n]*\nnot ok 2 - the reason\n/,
     'a failed section\'s "not ok" repeated after the run')
    or diag($out);
unlike($out, qr/-- end of run.*ok 1 - fine/s, 'its passing lines not');
unlike($out, qr/== (?:quiet|daemon) failed/, 'passing sections not');
like($out, qr/== daemon: PASS \([56] s\).*passed=quiet daemon failed=reasons$/ms,
     'a section leaving a daemon on its output still ends');

# a mkmedia that makes only one rendition, or fails after one
for my $case (['partial', 0], ['failing', 1]) {
    my ($name, $exit) = @$case;
    my $dir = "$tmp/$name";
    open my $fh, '>', "$tmp/mk-$name" or die;
    print $fh <<"EOS";
#!/bin/sh
mkdir -p "\$1/demo"
cp "$media/demo/360p.mp4" "\$1/demo/360p.mp4"
exit $exit
EOS
    close $fh;
    chmod 0755, "$tmp/mk-$name";
    my $o = `MKMEDIA=$tmp/mk-$name tools/demo-media.sh $dir 2>&1`;
    isnt($? >> 8, 0, "demo-media fails with a $name mkmedia") or diag($o);
    ok(!-e "$dir/demo/.done", "no stamp after a $name mkmedia");
}

# a stamped title that lost a rendition is made again
my $dir = "$tmp/stamped";
mkdir $dir;
mkdir "$dir/demo";
system("cp $media/demo/360p.mp4 $dir/demo/ "
       . "&& touch $dir/demo/.done") == 0 or die;
$out = `MKMEDIA=$tmp/mk-partial tools/demo-media.sh $dir 2>&1`;
isnt($? >> 8, 0, 'a stamped but incomplete title is not taken as made')
    or diag($out);

# the real thing: three renditions made from a mkmedia that copies them
open my $fh, '>', "$tmp/mk-full" or die;
print $fh <<"EOS";
#!/bin/sh
mkdir -p "\$1/demo"
cp $media/demo/*.mp4 "\$1/demo/"
EOS
close $fh;
chmod 0755, "$tmp/mk-full";
$out = `MKMEDIA=$tmp/mk-full tools/demo-media.sh $tmp/full 2>&1`;
is($? >> 8, 0, 'a complete title passes') or diag($out);
ok(-e "$tmp/full/demo/.done", 'and is stamped');

done_testing();
