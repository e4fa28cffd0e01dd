# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: configuration errors are `nginx -t` errors naming the file
# or the directive: missing and corrupt fleet files and databases, bad
# values, steering without a fleet.  Good configurations pass.  Runs
# `nginx -t` on generated configurations (not a Test::Nginx block file).
# A state API location without keys is refused, as are bad key files.

use strict;
use warnings;

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use ConfTest;
use Test::More;

BEGIN { SteerTest::setup() }

ConfTest::setup('ngx_steering_module');
my $dir = $ConfTest::Dir;

sub write_file { ConfTest::write_file(@_) }

my $s = $SteerTest::Dir;
my $pass = write_file('redis.pass', "s3cret\n");
my $bad_mmdb = write_file('bad.mmdb', "not a MaxMind database\n" x 10);
my $bad_fleet = write_file('bad.json',
    '{"caches": [{"id": "o", "url": "http://o", "tier": "edge"}]}');
my $no_origin = write_file('no-origin.json',
    '{"caches": [{"id": "x", "url": "http://x", "tier": "ixp"}]}');
my $not_json = write_file('not.json', '{"caches": ');
write_file('rel.json', $SteerTest::Fleet);

# state API key files: "kid secret" lines, base64url secrets of 32 bytes
# or more
my $key = "$s/state.key";
my $b64 = SteerTest::b64url('s' x 32);
my $no_keys = write_file('none.key', "# nothing but comments\n\n");
my $short_key = write_file('short.key', 'k1 ' . SteerTest::b64url('s' x 31)
                                        . "\n");
my $bad_b64 = write_file('bad64.key', "k1 not*base64url\n");
my $bad_kid = write_file('badkid.key', "k/1 $b64\n");
my $no_secret = write_file('nosecret.key', "k1\n");
my $dup_kid = write_file('dup.key', "k1 $b64\nk1 $b64\n");
write_file('rel.key', "# relative to the configuration\nk1 $b64\n");

my @cases = (
    [ 'every directive',
      "steering_fleet $s/fleet.json; steering_geoip_asn $s/asn.mmdb;"
      . " steering_geoip_city $s/city.mmdb;"
      . " steering_geoip_country $s/city.mmdb; steering_reload 1m;"
      . " steering_zone st:2m; steering_state_max_age 10s;"
      . " steering_max_load 0.8; steering_subset 3;"
      . " steering_proximity_range 1500; steering_ttl 5m 1m 30s;"
      . " steering_state_key_file $key; steering_state_max_skew 1m;",
      1, undef,
      'location /steer/ { steering decide; steering_pathway cdn-a; }'
      . ' location /s/ { steering state; }'
      . ' location /r/ { steering redirect; steering_title $arg_t; }' ],
    [ 'a state API without keys', "steering_fleet $s/fleet.json;", 0,
      qr{"steering state" needs keys: add "steering_state_key_file FILE;"},
      'location /s/ { allow 127.0.0.1; deny all; steering state; }' ],
    [ 'keys in another location only', "steering_fleet $s/fleet.json;", 0,
      qr{"steering state" needs keys},
      "location /a/ { steering_state_key_file $key; steering state; }"
      . ' location /b/ { steering state; }' ],
    [ 'keys in the location', "steering_fleet $s/fleet.json;", 1, undef,
      "location /s/ { steering_state_key_file $key; steering state; }" ],
    [ 'a relative key file is under the conf prefix',
      "steering_fleet $s/fleet.json; steering_state_key_file rel.key;", 1,
      undef, 'location /s/ { steering state; }' ],
    [ 'missing key file', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $dir/nosuch.key;", 0,
      qr{steering state key file "\Q$dir\E/nosuch\.key" cannot be opened} ],
    [ 'key file without keys', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $no_keys;", 0,
      qr{steering state key file "\Q$no_keys\E" has no key} ],
    [ 'a short key', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $short_key;", 0,
      qr{"\Q$short_key\E", line 1: the secret of kid "k1" is not base64url of 32 to 1024 bytes} ],
    [ 'a key that is not base64url', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $bad_b64;", 0,
      qr{line 1: the secret of kid "k1" is not base64url} ],
    [ 'a bad kid', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $bad_kid;", 0,
      qr{"\Q$bad_kid\E", line 1: expected "kid secret"} ],
    [ 'a kid without a secret', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $no_secret;", 0,
      qr{line 1: the secret of kid "k1" is not base64url} ],
    [ 'a kid twice', "steering_fleet $s/fleet.json;"
      . " steering_state_key_file $dup_kid;", 0,
      qr{"\Q$dup_kid\E", line 2: kid "k1" is duplicate} ],
    [ 'a skew of 0', "steering_fleet $s/fleet.json;"
      . " steering_state_max_skew 0;", 0,
      qr{steering_state_max_skew must be 1s to 1h} ],
    [ 'reload and max age off', "steering_fleet $s/fleet.json;"
      . " steering_reload off; steering_state_max_age off;", 1 ],
    [ 'a relative fleet file is under the conf prefix',
      "steering_fleet rel.json;", 1 ],
    [ 'variables without a steering location',
      "steering_fleet $s/fleet.json;", 1, undef,
      'location /v { return 200 $steering_primary; }' ],
    [ 'missing fleet file', "steering_fleet $dir/nosuch.json;", 0,
      qr{steering fleet file "\Q$dir\E/nosuch\.json" cannot be opened} ],
    [ 'fleet file that is not JSON', "steering_fleet $not_json;", 0,
      qr{steering fleet file "\Q$not_json\E" is invalid: invalid JSON} ],
    [ 'fleet file with a bad tier', "steering_fleet $bad_fleet;", 0,
      qr{steering fleet file "\Q$bad_fleet\E" is invalid: cache "o": "tier" is not "isp", "ixp" or "origin"} ],
    [ 'fleet without an origin', "steering_fleet $no_origin;", 0,
      qr{is invalid: no cache has "tier": "origin", the last resort} ],
    [ 'steering without a fleet', '', 0,
      qr{"steering" needs a fleet: add "steering_fleet FILE;" to the http block} ],
    [ 'missing ASN database', "steering_fleet $s/fleet.json;"
      . " steering_geoip_asn $dir/nosuch.mmdb;", 0,
      qr{steering ASN database "\Q$dir\E/nosuch\.mmdb" cannot be opened} ],
    [ 'corrupt city database', "steering_fleet $s/fleet.json;"
      . " steering_geoip_city $bad_mmdb;", 0,
      qr{steering city database "\Q$bad_mmdb\E" cannot be opened} ],
    [ 'bad max load', "steering_fleet $s/fleet.json; steering_max_load 1.5;",
      0, qr{"steering_max_load" directive has an invalid value} ],
    [ 'bad TTL', "steering_fleet $s/fleet.json; steering_ttl 5m 0 30s;", 0,
      qr{invalid ixp TTL "0"} ],
    [ 'bad mode', "steering_fleet $s/fleet.json;", 0,
      qr{invalid value "steer": expected "decide", "state" or "redirect"},
      'location /x/ { steering steer; }' ],
    [ 'bad pathway', "steering_fleet $s/fleet.json;", 0,
      qr{"steering_pathway" directive has an invalid Pathway ID},
      'location /x/ { steering decide; steering_pathway "a b"; }' ],
    [ 'zone too small', "steering_fleet $s/fleet.json; steering_zone s:8k;",
      0, qr{steering zone "s" is too small} ],
    [ 'presence from Redis', "steering_fleet $s/fleet.json;"
      . " steering_redis 127.0.0.1:6391 connect_timeout=200ms"
      . " command_timeout=100ms backoff=2s;"
      . " steering_presence_interval 1s; steering_presence_max_age 5s;",
      1 ],
    [ 'presence from a Redis Cluster', "steering_fleet $s/fleet.json;"
      . " steering_redis cluster 127.0.0.1:7001 127.0.0.1:7002"
      . " command_timeout=100ms; steering_redis_state on;", 1 ],
    [ 'Redis with an ACL user and a password file',
      "steering_fleet $s/fleet.json; steering_redis 127.0.0.1:6391"
      . " user=steering password_file=$pass;", 1 ],
    [ 'Redis user without a password', "steering_fleet $s/fleet.json;"
      . " steering_redis 127.0.0.1:6391 user=steering;", 0,
      qr{Redis "user=steering" needs a "password_file="} ],
    [ 'bad Redis parameter', "steering_fleet $s/fleet.json;"
      . " steering_redis 127.0.0.1:6391 timeout=1s;", 0,
      qr{invalid Redis parameter "timeout=1s"} ],
    [ 'presence max age not above the interval',
      "steering_fleet $s/fleet.json; steering_redis 127.0.0.1:6391;"
      . " steering_presence_interval 30s;", 0,
      qr{steering_presence_max_age must be longer than} ],
    [ 'presence interval too short', "steering_fleet $s/fleet.json;"
      . " steering_presence_interval 10ms;", 0,
      qr{steering_presence_interval is too short} ],
    [ 'state from Redis', "steering_fleet $s/fleet.json;"
      . " steering_redis 127.0.0.1:6391; steering_redis_state on;", 1 ],
    [ 'state from Redis without Redis', "steering_fleet $s/fleet.json;"
      . " steering_redis_state on;", 0,
      qr{"steering_redis_state" is on but no "steering_redis"} ],
);

ConfTest::run(\@cases, 'location /steer/ { steering decide; }');

done_testing();
