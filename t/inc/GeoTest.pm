package GeoTest;

# Fixtures of the GeoIP licensing suites: country, ASN and anonymous-IP
# databases made by tools/mkgeo.pl (Debian's libmaxmind-db-writer-perl)
# and a rights file, in a temporary directory named by
# $TEST_NGINX_GEO_DIR.  Every file is written beside its target and
# renamed into place, as an operator's update would be.

use strict;
use warnings;

use Cwd ();
use File::Temp ();

our ($Dir, $Tool);

# the networks of the suites (RFC 5737 and RFC 3849 documentation ranges)
our @Country = ('203.0.113.0/24=US', '198.51.100.0/24=DE',
                '192.0.2.0/24=CA', '2001:db8:1::/48=US', '2001:db8:2::/48=DE');
our @Asn = ('203.0.113.0/24=64500:Example Net US', '198.51.100.0/24=64501',
            '2001:db8:1::/48=64502:Example Net v6');
our @Anonymous = ('192.0.2.0/28=vpn', '192.0.2.16/28=tor',
                  '192.0.2.32/28=hosting');

our $Rights = <<'_JSON_';
{
    "titles": {
        "demo": {"deny": ["DE"]},
        "us-only": {"allow": ["US"]},
        "na": {"allow": ["US", "CA"]},
        "soon": {"from": "2099-01-01T00:00:00Z"},
        "now": {"allow": ["US"], "from": "2000-01-01T00:00:00Z",
                "until": "2099-01-01T00:00:00Z"},
        "gone": {"until": "2000-01-01T00:00:00Z"},
        "quo\"te": {"allow": []}
    }
}
_JSON_

sub setup {
    $Tool = Cwd::cwd() . '/tools/mkgeo.pl';
    $Dir = File::Temp::tempdir('geotest-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod 0755, $Dir;
    mkgeo('country', "$Dir/country.mmdb", @Country);
    mkgeo('asn', "$Dir/asn.mmdb", @Asn);
    mkgeo('anonymous', "$Dir/anonymous.mmdb", @Anonymous);
    write_file('rights.json', $Rights);
    $ENV{TEST_NGINX_GEO_DIR} = $Dir;
}

sub mkgeo {
    system($^X, $Tool, @_) == 0 or die "mkgeo.pl @_ failed\n";
}

# write_file(NAME, TEXT): $Dir/NAME, replaced by rename
sub write_file {
    my ($name, $text) = @_;
    my $tmp = "$Dir/.$name.tmp";
    open my $fh, '>', $tmp or die "$tmp: $!";
    print $fh $text;
    close $fh or die "$tmp: $!";
    rename $tmp, "$Dir/$name" or die "$Dir/$name: $!";
}

1;
