package SteerTest;

# Fixtures of the steering suites: ASN and City databases made by
# tools/mkgeo.pl (Debian's libmaxmind-db-writer-perl) and a fleet file,
# in a temporary directory named by $TEST_NGINX_STEER_DIR.  Files are
# written beside their target and renamed into place, as an operator's
# update would be.
#
# Clients (RFC 5737 documentation ranges):
#   203.0.113.0/24   AS7922 (Comcast), New York
#   198.51.100.0/24  AS3320 (DTAG), Frankfurt
#   192.0.2.0/24     no ASN, Chicago

use strict;
use warnings;

use Cwd ();
use Digest::SHA ();
use File::Temp ();
use MIME::Base64 ();
use RedisTest ();

our ($Dir, $Tool);

our @Asn = ('203.0.113.0/24=7922:Comcast', '198.51.100.0/24=3320:DTAG');
our @City = ('203.0.113.0/24=US:40.73,-73.99', '198.51.100.0/24=DE:50.0,8.5',
             '192.0.2.0/24=US:41.88,-87.63');

# two Comcast caches in New York, IXPs in New York and Frankfurt, origin
our $Fleet = <<'_JSON_';
{"caches": [
    {"id": "isp-ny-1", "url": "http://127.0.0.2:8096", "tier": "isp",
     "asns": [7922], "country": "US",
     "latitude": 40.71, "longitude": -74.01, "capacity_gbps": 100},
    {"id": "isp-ny-2", "url": "http://127.0.0.3:8096", "tier": "isp",
     "asns": [7922, 7015], "country": "US",
     "latitude": 40.71, "longitude": -74.01, "capacity_gbps": 100},
    {"id": "ixp-nyc", "url": "http://127.0.0.4:8096", "tier": "ixp",
     "latitude": 40.7, "longitude": -74.0, "capacity_gbps": 400},
    {"id": "ixp-fra", "url": "http://127.0.0.5:8096/edge/", "tier": "ixp",
     "latitude": 50.11, "longitude": 8.68, "capacity_gbps": 400},
    {"id": "origin", "url": "http://127.0.0.1:8096", "tier": "origin"}
]}
_JSON_

# the state API's keys (steering_state_key_file $Dir/state.key): kid =>
# secret; t2 is the key a rotation adds
our %Keys = (t1 => 'k' x 32, t2 => join('', map { chr } 0 .. 47));

sub setup {
    $Tool = Cwd::cwd() . '/tools/mkgeo.pl';
    $Dir = File::Temp::tempdir('steertest-XXXXXX', TMPDIR => 1,
                               CLEANUP => 1);
    chmod 0755, $Dir;
    mkgeo('asn', "$Dir/asn.mmdb", @Asn);
    mkgeo('city', "$Dir/city.mmdb", @City);
    write_file('fleet.json', $Fleet);
    write_file('state.key', "# the steering suites' keys\n"
               . join('', map { "$_ " . b64url($Keys{$_}) . "\n" }
                          sort keys %Keys));
    $ENV{TEST_NGINX_STEER_DIR} = $Dir;
}

sub b64url { MIME::Base64::encode_base64url(shift) }

# sign(METHOD, PATH, BODY, kid => K, ts => T, nonce => N, secret => S):
# the Authorization header line of a state API request (the scheme in
# ngx_steering/ngx_steering_auth.c), a fresh nonce unless one is given
our $Nonces = 0;

sub sign {
    my ($method, $path, $body, %o) = @_;
    my $kid = $o{kid} // 't1';
    my $secret = $o{secret} // $Keys{$kid};
    my $ts = $o{ts} // time;
    my $nonce = $o{nonce} // sprintf('n%d-%d-%d', $$, time, ++$Nonces);
    $nonce .= '0' x (16 - length $nonce) if length $nonce < 16;
    $path =~ s/\?.*//s;
    my $mac = Digest::SHA::hmac_sha256_hex(
        join("\n", 'STEERING-HMAC-SHA256', $kid, $ts, $nonce, $method,
             $path, Digest::SHA::sha256_hex($body // '')),
        $secret);
    return "Authorization: Steering-HMAC-SHA256 kid=$kid, ts=$ts, "
           . "nonce=$nonce, sig=$mac";
}

# A block preprocessor: a request to /steering/caches/ gets a credential
# for what the runner sends (the body trimmed), signed when the block
# runs
sub sign_block {
    my $block = shift;
    my $req = $block->request;
    return unless defined $req;
    (my $raw = $req) =~ s/^\s+//;
    my ($first, $body) = split /\n/, $raw, 2;
    my ($method, $uri) = split ' ', $first;
    return unless defined $uri && $uri =~ m{^/steering/caches/};
    $body //= '';
    $body =~ s/^\s+|\s+$//g;
    my $more = $block->more_headers // '';
    $more .= "\n" if length $more && $more !~ /\n\z/;
    $block->set_value('more_headers', $more . sign($method, $uri, $body)
                                      . "\n");
}

sub mkgeo {
    system($^X, $Tool, @_) == 0 or die "mkgeo.pl @_ failed\n";
}

# A private redis-server for presence and state (t/204, t/206) on
# $RedisPort: RedisTest's, which stops it when the suite ends.
our $RedisPort = 6391;

sub redis_start {
    # a server left on our port by an interrupted run of a suite
    system("redis-cli -p $RedisPort shutdown nosave >/dev/null 2>&1");
    RedisTest::start($RedisPort);
}

sub redis_stop { RedisTest::stop() }

# its answer: the lines in list context, the first one otherwise
sub redis_cli {
    my @out = split /\n/, RedisTest::cli(@_);
    return wantarray ? @out : $out[0];
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
