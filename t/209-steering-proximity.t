# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: steering_proximity_range changes decisions.  A client in
# Chicago (192.0.2.0/24, no ASN: the IXP tier) and two IXP caches: New
# York (about 1145 km away, capacity 60: 12 points) and Los Angeles
# (about 2804 km, capacity 100: 20 points), both idle (40 points).
# Proximity is 40 * (1 - distance / range), at least 0; 0 is a flat 40:
#
#   range    New York               Los Angeles            primary
#   2000     52 + 17.1 = 69.1       52 + 8 + 0 = 60        ixp-nyc
#   1000     52 + 0    = 52         60 + 0     = 60        ixp-la
#   3000     52 + 24.7 = 76.7       60 + 2.6   = 62.6      ixp-nyc
#   0        52 + 40   = 92         60 + 40    = 100       ixp-la

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN {
    SteerTest::setup();
    SteerTest::write_file('proximity.json', <<'_JSON_');
{"caches": [
    {"id": "ixp-nyc", "url": "http://127.0.0.4:8096", "tier": "ixp",
     "latitude": 40.7, "longitude": -74.0, "capacity_gbps": 60},
    {"id": "ixp-la", "url": "http://127.0.0.5:8096", "tier": "ixp",
     "latitude": 34.05, "longitude": -118.24, "capacity_gbps": 100},
    {"id": "origin", "url": "http://127.0.0.1:8096", "tier": "origin"}
]}
_JSON_
}

repeat_each(1);
no_shuffle();
log_level('info');

our $Geo = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;
    steering_fleet $TEST_NGINX_STEER_DIR/proximity.json;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_geoip_city $TEST_NGINX_STEER_DIR/city.mmdb;
    steering_state_max_age off;
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    my $range = $block->range;
    $block->set_value('http_config', $Geo
        . (defined $range ? "    steering_proximity_range $range;\n" : ''));
    $block->set_value('config', <<'_EOC_');
    location /steer/ {
        steering decide;
    }
_EOC_
    $block->set_value('request', 'GET /steer/demo');
    $block->set_value('more_headers', 'X-Forwarded-For: 192.0.2.9');
    $block->set_value('no_error_log', "[error]\n[alert]\n[crit]\n");
});

run_tests();

__DATA__

=== TEST 1: the default range, 2000 km: New York's proximity wins
--- response_body_like eval
qr~^\{"title":"demo","primary":\{"id":"ixp-nyc",[^}]*"score":69\.0\d\d\},"fallbacks":\[\{"id":"ixp-la",[^}]*"score":60\.000\},.*"reason":"no-asn"~



=== TEST 2: 1000 km: both caches are beyond it, capacity decides
--- range: 1000
--- response_body_like eval
qr~^\{"title":"demo","primary":\{"id":"ixp-la",[^}]*"score":60\.000\},"fallbacks":\[\{"id":"ixp-nyc",[^}]*"score":52\.000\},.*"reason":"no-asn"~



=== TEST 3: 3000 km: both within it, New York nearer
--- range: 3000
--- response_body_like eval
qr~^\{"title":"demo","primary":\{"id":"ixp-nyc",[^}]*"score":76\.7\d\d\},"fallbacks":\[\{"id":"ixp-la",[^}]*"score":62\.\d{3}\},~



=== TEST 4: 0: a flat 40 for both, capacity decides
--- range: 0
--- response_body_like eval
qr~^\{"title":"demo","primary":\{"id":"ixp-la",[^}]*"score":100\.000\},"fallbacks":\[\{"id":"ixp-nyc",[^}]*"score":92\.000\},~
