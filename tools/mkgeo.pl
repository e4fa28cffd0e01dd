#!/usr/bin/perl
# mkgeo.pl: MaxMind-format databases and a rights file for tests and the
# demo, made with Debian's libmaxmind-db-writer-perl (no binaries in git).
#
#   tools/mkgeo.pl country   OUT.mmdb 203.0.113.0/24=US ...
#   tools/mkgeo.pl asn       OUT.mmdb 203.0.113.0/24=64500:Example-Net ...
#   tools/mkgeo.pl anonymous OUT.mmdb 192.0.2.0/28=vpn,anonymous ...
#       (flags: anonymous vpn hosting proxy tor)
#   tools/mkgeo.pl city      OUT.mmdb 203.0.113.0/24=US:40.71,-74.01 ...
#       (country, latitude and longitude; the country may be left out:
#       203.0.113.0/24=:40.71,-74.01)
#   tools/mkgeo.pl demo      DIR      DIR/demo-country.mmdb,
#                                     DIR/demo-rights.json and, for the
#                                     steering demo, DIR/demo-asn.mmdb and
#                                     DIR/demo-city.mmdb
#
# Files are written beside OUT and renamed into place, as an operator's
# update would, so that a running nginx never reads half a file.
use strict;
use warnings;

use File::Basename ();
use MaxMind::DB::Writer::Tree;

my %types = (
    country                        => 'map',
    registered_country             => 'map',
    iso_code                       => 'utf8_string',
    autonomous_system_number       => 'uint32',
    autonomous_system_organization => 'utf8_string',
    is_anonymous                   => 'boolean',
    is_anonymous_vpn               => 'boolean',
    is_hosting_provider            => 'boolean',
    is_public_proxy                => 'boolean',
    is_tor_exit_node               => 'boolean',
    location                       => 'map',
    latitude                       => 'double',
    longitude                      => 'double',
);

my %flags = (
    anonymous => 'is_anonymous',
    vpn       => 'is_anonymous_vpn',
    hosting   => 'is_hosting_provider',
    proxy     => 'is_public_proxy',
    tor       => 'is_tor_exit_node',
);

my %dbtype = (
    country   => 'GeoIP2-Country',
    asn       => 'GeoLite2-ASN',
    anonymous => 'GeoIP2-Anonymous-IP',
    city      => 'GeoIP2-City',
);

sub record {
    my ($kind, $value) = @_;
    if ($kind eq 'country') {
        die "bad country code \"$value\"\n" unless $value =~ /^[A-Z]{2}$/;
        return { country => { iso_code => $value } };
    }
    if ($kind eq 'city') {
        my ($cc, $lat, $lon) = $value =~ /^([A-Z]{2})?:(-?[\d.]+),(-?[\d.]+)$/
            or die "bad city \"$value\": expected [CC]:LAT,LON\n";
        my %r = (location => { latitude => $lat + 0.0,
                               longitude => $lon + 0.0 });
        $r{country} = { iso_code => $cc } if defined $cc;
        return \%r;
    }
    if ($kind eq 'asn') {
        my ($n, $org) = $value =~ /^(\d+)(?::(.*))?$/
            or die "bad ASN \"$value\": expected NUMBER[:ORG]\n";
        my %r = (autonomous_system_number => $n + 0);
        $r{autonomous_system_organization} = $org if defined $org;
        return \%r;
    }
    my %r;
    for my $f (split /,/, $value) {
        die "bad flag \"$f\"\n" unless $flags{$f};
        $r{$flags{$f}} = 1;
    }
    $r{is_anonymous} = 1 if %r;
    return \%r;
}

sub write_db {
    my ($kind, $out, @nets) = @_;
    die "usage: $0 $kind OUT NET=VALUE ...\n" unless defined $out;
    my $tree = MaxMind::DB::Writer::Tree->new(
        ip_version               => 6,
        record_size              => 24,
        database_type            => $dbtype{$kind},
        languages                => ['en'],
        description              => { en => "vodedge test $kind" },
        map_key_type_callback    => sub { $types{ $_[0] } },
        remove_reserved_networks => 0,
        alias_ipv6_to_ipv4       => 1,
    );
    for my $n (@nets) {
        my ($net, $value) = split /=/, $n, 2;
        die "bad network \"$n\": expected NET=VALUE\n" unless defined $value;
        $tree->insert_network($net, record($kind, $value));
    }
    my $tmp = "$out.tmp$$";
    open my $fh, '>:raw', $tmp or die "$tmp: $!\n";
    $tree->write_tree($fh);
    close $fh or die "$tmp: $!\n";
    rename $tmp, $out or die "$out: $!\n";
}

sub write_text {
    my ($out, $text) = @_;
    my $tmp = "$out.tmp$$";
    open my $fh, '>', $tmp or die "$tmp: $!\n";
    print $fh $text;
    close $fh or die "$tmp: $!\n";
    rename $tmp, $out or die "$out: $!\n";
}

my $kind = shift // '';

if ($dbtype{$kind}) {
    write_db($kind, @ARGV);

} elsif ($kind eq 'demo') {
    my $dir = shift or die "usage: $0 demo DIR\n";
    # documentation networks (RFC 5737) for trying the policy with
    # X-Forwarded-For; loopback has no country, which conf/edge.conf
    # lets through
    write_db('country', "$dir/demo-country.mmdb",
             '203.0.113.0/24=US', '198.51.100.0/24=DE', '192.0.2.0/24=FR');
    # steering (conf/steering.conf): a Comcast client in New York, a
    # DTAG client in Frankfurt, a client of no known network in Chicago
    write_db('asn', "$dir/demo-asn.mmdb",
             '203.0.113.0/24=7922:Comcast', '198.51.100.0/24=3320:DTAG');
    write_db('city', "$dir/demo-city.mmdb", '203.0.113.0/24=US:40.73,-73.99',
             '198.51.100.0/24=DE:50.0,8.5', '192.0.2.0/24=US:41.88,-87.63');
    # the demo title plays everywhere but in DE; titles absent from the
    # table play everywhere (playback_rights_default allow)
    write_text("$dir/demo-rights.json", <<'_JSON_');
{
    "titles": {
        "demo": {"deny": ["DE"]},
        "us-only": {"allow": ["US"]}
    }
}
_JSON_

} else {
    die "usage: $0 country|asn|anonymous|city OUT NET=VALUE ... "
        . "| demo DIR\n";
}
