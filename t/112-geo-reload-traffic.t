# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: the country database and the rights file replaced
# again and again while clients keep asking.  One nginx (two workers,
# checking the files on every request) serves an edge and its origin; a
# writer process renames a US and a German version of the database and
# two versions of the rights file into place every few milliseconds for
# three seconds while this process sends requests on keep-alive
# connections.  Every answer must be 200 (licensed) or 451 (not), never
# another status or a dropped connection, both must be seen, and the
# error log must show reloads and no crash.  Not a block file: it runs
# its own nginx, as an operator's would run.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use VodTest;
use PbTest;
use GeoTest;
use File::Temp ();
use HTTP::Tiny;
use POSIX ();
use Test::More;
use Time::HiRes ();

VodTest::media();
PbTest::setup();
GeoTest::setup();

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my @so = split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
@so = map { "$PbTest::Root/modules/$_.so" }
      qw(ngx_vod_package_module ngx_stream_playback_module) unless @so;
my $base = ($ENV{TEST_NGINX_PORT} || 1984) + 7;
my ($edge, $origin) = ($base, $base + 1);
my $geo = $GeoTest::Dir;
my $dir = File::Temp::tempdir('pbreload-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$dir/logs";

# the two versions of each file, swapped in by hard link and rename
GeoTest::mkgeo('country', "$geo/us.mmdb", '203.0.113.0/24=US');
GeoTest::mkgeo('country', "$geo/de.mmdb", '203.0.113.0/24=DE');
GeoTest::write_file('rights-a.json', '{"titles": {"demo": {"deny": ["DE"]}}}');
GeoTest::write_file('rights-b.json',
                    '{"titles": {"demo": {"allow": ["US", "DE"]}}}');

sub swap {
    my ($from, $to) = @_;
    unlink "$geo/.swap";
    link "$geo/$from", "$geo/.swap" or die "link $from: $!";
    rename "$geo/.swap", "$geo/$to" or die "rename $to: $!";
}

swap('us.mmdb', 'country.mmdb');
swap('rights-a.json', 'rights.json');

my $loads = join '', map { "load_module $_;\n" } @so;
open my $fh, '>', "$dir/nginx.conf" or die $!;
print $fh <<"_EOC_";
$loads
worker_processes 2;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log info;
events { worker_connections 256; }
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    playback_geoip_country $geo/country.mmdb;
    playback_rights $geo/rights.json;
    playback_geoip_reload 0s;

    server {
        listen 127.0.0.1:$origin;
        location /vod/ { alias $ENV{TEST_NGINX_MEDIA}/; vod_package; }
    }
    server {
        listen 127.0.0.1:$edge;
        playback_token on;
        playback_token_key k1 $PbTest::Dir/k1.key;
        playback_licensing on;
        playback_rights_default deny;
        playback_unknown_country deny;
        location /vod/ { proxy_pass http://127.0.0.1:$origin; }
    }
}
_EOC_
close $fh;

system($nginx, '-p', "$dir/", '-c', "$dir/nginx.conf", '-e',
       "$dir/logs/error.log") == 0 or BAIL_OUT("nginx did not start");

my $tok = PbTest::token(path => '/vod/');
my $url = "http://127.0.0.1:$edge/t/$tok/vod/demo/video-360p.m3u8";
my $http = HTTP::Tiny->new(keep_alive => 1, timeout => 5,
                           default_headers =>
                               { 'X-Forwarded-For' => '203.0.113.5' });

for (1 .. 50) {
    last if $http->get($url)->{status} == 200;
    Time::HiRes::sleep(0.05);
}

my $writer = fork // die "fork: $!";
if ($writer == 0) {
    my $end = Time::HiRes::time() + 3;
    my $i = 0;
    while (Time::HiRes::time() < $end) {
        swap($i % 2 ? 'us.mmdb' : 'de.mmdb', 'country.mmdb');
        swap(($i >> 1) % 2 ? 'rights-a.json' : 'rights-b.json',
             'rights.json');
        $i++;
        Time::HiRes::sleep(0.005);
    }
    POSIX::_exit(0);
}

my (%status, $n);
my $deadline = Time::HiRes::time() + 3.5;
while (Time::HiRes::time() < $deadline) {
    my $res = $http->get($url);
    $status{$res->{status}}++;
    $n++;
}
waitpid $writer, 0;
is($?, 0, 'the writer swapped files for 3 s');

my $others = join ', ', map { "$_ x$status{$_}" }
                        grep { $_ != 200 && $_ != 451 } sort keys %status;
ok($n > 200, "$n requests under the swaps");
is($others, '', 'every answer was 200 or 451');
ok($status{200}, "licensed answers: " . ($status{200} // 0));
ok($status{451}, "refused answers: " . ($status{451} // 0));

kill 'QUIT', `cat $dir/logs/nginx.pid` + 0;
Time::HiRes::sleep(0.5);

open my $log, '<', "$dir/logs/error.log" or die $!;
my @log = <$log>;
close $log;
my $reloads = grep { /GeoIP country database ".*" reloaded/ } @log;
my $rights = grep { /rights .*reloaded|reloaded .*rights/i } @log;
ok($reloads > 10, "the database was reloaded ($reloads times)");
ok($rights > 10, "the rights file was reloaded ($rights times)");
my @bad = grep { /\[(alert|crit|emerg)\]|exited on signal/ } @log;
is(scalar @bad, 0, 'no worker crashed, nothing alarming logged')
    or diag(@bad[0 .. ($#bad < 5 ? $#bad : 4)]);

done_testing();
