# vim:set ft= ts=4 sw=4 et:
#
# ngx_stream_playback: GeoIP licensing configuration errors are `nginx -t`
# errors naming the file or the directive: missing and corrupt databases
# and rights files, bad policy values.  Good configurations pass.  Runs
# `nginx -t` on generated configurations (not a Test::Nginx block file).

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use PbTest;
use GeoTest;
use File::Temp ();
use Test::More;

BEGIN { PbTest::setup(); GeoTest::setup() }

my $nginx = $ENV{TEST_NGINX_BINARY} || '/usr/sbin/nginx';
my ($so) = grep { /ngx_stream_playback_module\.so$/ }
           split ' ', $ENV{TEST_NGINX_LOAD_MODULES} // '';
$so //= "$PbTest::Root/modules/ngx_stream_playback_module.so";

my $dir = File::Temp::tempdir('geoconf-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$dir/logs";

sub write_file {
    my ($name, $data) = @_;
    open my $fh, '>', "$dir/$name" or die "$dir/$name: $!";
    print $fh $data;
    close $fh;
    return "$dir/$name";
}

sub nginx_t {
    my ($http) = @_;
    write_file('nginx.conf', <<"_EOC_");
load_module $so;
pid $dir/logs/nginx.pid;
error_log $dir/logs/error.log;
events {}
http {
    access_log off;
    client_body_temp_path $dir/tmp;
    proxy_temp_path $dir/tmp;
    fastcgi_temp_path $dir/tmp;
    uwsgi_temp_path $dir/tmp;
    scgi_temp_path $dir/tmp;
$http
    server { listen 127.0.0.1:1999; }
}
_EOC_
    my $out = `$nginx -p $dir/ -c $dir/nginx.conf -t 2>&1`;
    return ($? == 0, $out);
}

my $g = $GeoTest::Dir;
my $bad_mmdb = write_file('bad.mmdb', "not a MaxMind database\n" x 10);
my $bad_json = write_file('bad.json', '{"titles": {"a": {"allow": "US"}}}');
my $not_json = write_file('not.json', '{"titles": ');
write_file('rel.json', '{"titles": {}}');

my @cases = (
    [ 'all databases, rights, policy',
      "playback_geoip_country $g/country.mmdb;"
      . " playback_geoip_asn $g/asn.mmdb;"
      . " playback_geoip_anonymous $g/anonymous.mmdb;"
      . " playback_rights $g/rights.json; playback_geoip_reload 5m;"
      . " playback_licensing on; playback_rights_default deny;"
      . " playback_unknown_country allow;"
      . " playback_anonymous_deny vpn tor; playback_title_from /media/;",
      1 ],
    [ 'reload off, anonymous all', "playback_geoip_reload off;"
      . " playback_anonymous_deny all;", 1 ],
    [ 'a relative rights file is under the conf prefix',
      "playback_rights rel.json;", 1 ],
    [ 'licensing without any file', "playback_licensing on;", 1 ],
    [ 'missing country database',
      "playback_geoip_country $dir/nosuch.mmdb;", 0,
      qr{GeoIP country database "\Q$dir\E/nosuch\.mmdb" cannot be opened} ],
    [ 'corrupt ASN database', "playback_geoip_asn $bad_mmdb;", 0,
      qr{GeoIP ASN database "\Q$bad_mmdb\E" cannot be opened: } ],
    [ 'corrupt anonymous database', "playback_geoip_anonymous $bad_mmdb;",
      0, qr{GeoIP anonymous-IP database "\Q$bad_mmdb\E" cannot be opened} ],
    [ 'duplicate database',
      "playback_geoip_country $g/country.mmdb;"
      . " playback_geoip_country $g/country.mmdb;", 0,
      qr{"playback_geoip_country" directive is duplicate} ],
    [ 'missing rights file', "playback_rights $dir/nosuch.json;", 0,
      qr{playback rights file "\Q$dir\E/nosuch\.json" cannot be opened} ],
    [ 'rights file with a bad member', "playback_rights $bad_json;", 0,
      qr{playback rights file "\Q$bad_json\E" is invalid: title "a": "allow" is not an array} ],
    [ 'rights file not JSON', "playback_rights $not_json;", 0,
      qr{playback rights file "\Q$not_json\E" is invalid: invalid JSON at byte} ],
    [ 'bad reload time', "playback_geoip_reload soon;", 0,
      qr{"playback_geoip_reload" directive has an invalid time} ],
    [ 'bad default', "playback_rights_default maybe;", 0,
      qr{"playback_rights_default" must be "allow" or "deny", not "maybe"} ],
    [ 'bad unknown country', "playback_unknown_country yes;", 0,
      qr{"playback_unknown_country" must be "allow" or "deny", not "yes"} ],
    [ 'bad anonymous flag', "playback_anonymous_deny vpn icloud;", 0,
      qr{invalid anonymous-IP flag "icloud"} ],
    [ 'title_from without slashes', "playback_title_from vod;", 0,
      qr{"playback_title_from" must start and end with "/"} ],
    [ 'database in a server block',
      "server { playback_geoip_country $g/country.mmdb; }", 0,
      qr{"playback_geoip_country" directive is not allowed here} ],
);

for my $c (@cases) {
    my ($name, $http, $ok, $re) = @$c;
    my ($passed, $out) = nginx_t($http);
    if ($ok) {
        ok($passed, "$name: nginx -t passes") or diag($out);
    } else {
        ok(!$passed, "$name: nginx -t fails") or diag($out);
        like($out, $re, "$name: the error says why");
    }
}

done_testing();
