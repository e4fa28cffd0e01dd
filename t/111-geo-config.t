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
use ConfTest;
use Test::More;

BEGIN { PbTest::setup(); GeoTest::setup() }

ConfTest::setup('ngx_stream_playback_module');
my $dir = $ConfTest::Dir;

sub write_file { ConfTest::write_file(@_) }

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

ConfTest::run(\@cases);

done_testing();
