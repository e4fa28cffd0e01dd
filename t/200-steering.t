# vim:set ft= ts=4 sw=4 et:
#
# ngx_steering: decisions per tier, the steering manifests, redirect mode,
# variables, live state through PUT /steering/caches/{id} seen by every
# worker, malformed updates, fleet reloads.  Databases and the fleet are
# made by t/inc/SteerTest.pm: 203.0.113.0/24 is Comcast (AS7922) in New
# York, 198.51.100.0/24 DTAG (AS3320) in Frankfurt, 192.0.2.0/24 has no
# ASN and is in Chicago.  All blocks share one config, so one nginx
# serves them in order and the state one block sets is there for the
# next.  steering_state_max_age is off: caches never reported count as
# healthy (t/202-steering-stale.t covers the max age).

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN { SteerTest::setup() }

sub all_down {
    my $down = '{"healthy": false}';
    for my $id (qw(isp-ny-1 isp-ny-2 ixp-nyc ixp-fra origin)) {
        my $s = IO::Socket::INET->new("127.0.0.1:$ENV{TEST_NGINX_SERVER_PORT}")
            or die "connect: $!";
        print $s "PUT /steering/caches/$id HTTP/1.0\r\n"
                 . SteerTest::sign('PUT', "/steering/caches/$id", $down)
                 . "\r\nContent-Length: " . length($down) . "\r\n\r\n$down";
        local $/;
        <$s> =~ m{^HTTP/1\.1 200 } or die "PUT $id failed";
    }
    return $_[0];
}

# the ASN database replaced: 203.0.113.0/24 becomes DTAG (AS3320)
sub asn_moved {
    SteerTest::mkgeo('asn', "$SteerTest::Dir/.asn.mmdb.tmp",
                     '203.0.113.0/24=3320:DTAG');
    rename "$SteerTest::Dir/.asn.mmdb.tmp", "$SteerTest::Dir/asn.mmdb"
        or die "rename: $!";
    return $_[0];
}

sub fleet_corrupt {
    SteerTest::write_file('fleet.json', '{"caches": [{"id": "x"}]}');
    return $_[0];
}

sub fleet_with_chicago {
    (my $f = $SteerTest::Fleet) =~ s/\{"id": "ixp-nyc"/{"id": "isp-chi", "url": "http:\/\/127.0.0.6:8096", "tier": "isp", "asns": [7922], "capacity_gbps": 10},\n    {"id": "ixp-nyc"/
        or die "no ixp-nyc in the fleet";
    SteerTest::write_file('fleet.json', $f);
    return $_[0];
}

repeat_each(1);
no_shuffle();
log_level('info');
workers(2);

our $HttpConfig = <<'_EOC_';
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_state_key_file $TEST_NGINX_STEER_DIR/state.key;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_geoip_city $TEST_NGINX_STEER_DIR/city.mmdb;
    steering_state_max_age off;
    # the tests swap the fleet between requests: check on every request
    steering_reload 0s;

    # every connection to this one lands on any worker (reuseport): the
    # /each/ blocks ask it 24 times through new connections
    server {
        listen 127.0.0.1:8098 reuseport;

        location = /w {
            steering_title demo;
            return 200 "$pid $steering_primary $steering_fallbacks\n";
        }
    }
_EOC_

our $Config = <<'_EOC_';
    location /steer/ {
        steering decide;
    }

    location /steering/caches/ {
        steering state;
    }

    location /vod/ {
        steering redirect;
    }

    location = /vars {
        steering_title demo;
        return 200 "$steering_primary|$steering_primary_url|$steering_fallbacks|$steering_tier|$steering_reason|$steering_ttl|$steering_asn|$steering_country\n";
    }

    location = /each {
        ssi on;
        ssi_types text/plain;
        default_type text/plain;
        return 200 '<!--# include virtual="/w1" --><!--# include virtual="/w2" --><!--# include virtual="/w3" --><!--# include virtual="/w4" --><!--# include virtual="/w5" --><!--# include virtual="/w6" --><!--# include virtual="/w7" --><!--# include virtual="/w8" --><!--# include virtual="/w9" --><!--# include virtual="/w10" --><!--# include virtual="/w11" --><!--# include virtual="/w12" --><!--# include virtual="/w13" --><!--# include virtual="/w14" --><!--# include virtual="/w15" --><!--# include virtual="/w16" --><!--# include virtual="/w17" --><!--# include virtual="/w18" --><!--# include virtual="/w19" --><!--# include virtual="/w20" --><!--# include virtual="/w21" --><!--# include virtual="/w22" --><!--# include virtual="/w23" --><!--# include virtual="/w24" -->';
    }

    location ~ ^/w\d+$ {
        rewrite ^ /w break;
        proxy_pass http://127.0.0.1:8098;
        proxy_set_header X-Forwarded-For 203.0.113.5;
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('http_config', $HttpConfig)
        unless defined $block->http_config;
    $block->set_value('config', $Config) unless defined $block->config;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
    # state API requests are signed (t/207-steering-auth.t tests that)
    SteerTest::sign_block($block);
});

run_tests();

__DATA__

=== TEST 1: ISP tier: a Comcast client in New York gets its ASN's caches, then the nearest IXP, then origin
--- request
GET /steer/demo
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_headers
Content-Type: application/json
Cache-Control: no-store
--- response_body
{"title":"demo","primary":{"id":"isp-ny-1","url":"http://127.0.0.2:8096","tier":"isp","score":99.944},"fallbacks":[{"id":"isp-ny-2","url":"http://127.0.0.3:8096","tier":"isp","score":99.944},{"id":"ixp-nyc","url":"http://127.0.0.4:8096","tier":"ixp","score":99.931},{"id":"origin","url":"http://127.0.0.1:8096","tier":"origin","score":80.000}],"ttl":300,"tier":"isp","reason":"asn-match","client":{"asn":7922,"country":"US"}}



=== TEST 2: HLS steering manifest: pathways in that order, clones of the origin pathway by host
--- request
GET /steer/demo/hls?_HLS_pathway=origin&_HLS_throughput=1000000
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
{"VERSION":1,"TTL":300,"RELOAD-URI":"/steer/demo/hls?_HLS_pathway=origin&_HLS_throughput=1000000","PATHWAY-PRIORITY":["isp-ny-1","isp-ny-2","ixp-nyc","origin"],"PATHWAY-CLONES":[{"BASE-ID":"origin","ID":"isp-ny-1","URI-REPLACEMENT":{"HOST":"127.0.0.2"}},{"BASE-ID":"origin","ID":"isp-ny-2","URI-REPLACEMENT":{"HOST":"127.0.0.3"}},{"BASE-ID":"origin","ID":"ixp-nyc","URI-REPLACEMENT":{"HOST":"127.0.0.4"}}]}



=== TEST 3: IXP tier by distance: a DTAG client in Frankfurt (no ISP cache for AS3320); DASH manifest
--- request
GET /steer/demo/dash
--- more_headers
X-Forwarded-For: 198.51.100.7
--- response_body
{"VERSION":1,"TTL":60,"RELOAD-URI":"/steer/demo/dash","SERVICE-LOCATION-PRIORITY":["ixp-fra","ixp-nyc","origin"],"PATHWAY-PRIORITY":["ixp-fra","ixp-nyc","origin"],"PATHWAY-CLONES":[{"BASE-ID":"origin","ID":"ixp-fra","URI-REPLACEMENT":{"HOST":"127.0.0.5"}},{"BASE-ID":"origin","ID":"ixp-nyc","URI-REPLACEMENT":{"HOST":"127.0.0.4"}}]}



=== TEST 4: no ASN: IXP tier, New York is nearer to Chicago than Frankfurt
--- request
GET /steer/demo
--- more_headers
X-Forwarded-For: 192.0.2.9
--- response_body_like
^\{"title":"demo","primary":\{"id":"ixp-nyc",.*\},"fallbacks":\[\{"id":"ixp-fra",.*\{"id":"origin",.*\],"ttl":60,"tier":"ixp","reason":"no-asn","client":\{"asn":null,"country":"US"\}\}$



=== TEST 5: distance scoring: about 1145 km from Chicago to New York is 40 * (1 - 1145 / 2000) = 17.1 of proximity
--- request
GET /steer/demo
--- more_headers
X-Forwarded-For: 192.0.2.9
--- response_body_like eval
qr{"primary":\{"id":"ixp-nyc","url":"http://127.0.0.4:8096","tier":"ixp","score":77\.0\d\d\}}



=== TEST 6: no address known at all (loopback): IXPs tie, broken by the title's hash, the same each time
--- request
GET /steer/demo
--- response_body_like
^\{"title":"demo","primary":\{"id":"ixp-fra",.*"tier":"ixp","reason":"no-asn","client":\{"asn":null,"country":null\}\}$



=== TEST 7: the same request again: the same answer (ties never break at random)
--- request
GET /steer/demo
--- response_body_like eval
qr{^\{"title":"demo","primary":\{"id":"ixp-fra",.*"tier":"ixp","reason":"no-asn"}



=== TEST 8: another title breaks the tie the other way
--- request
GET /steer/a
--- response_body_like eval
qr{^\{"title":"a","primary":\{"id":"ixp-nyc",.*"reason":"no-asn"}



=== TEST 9: redirect mode: 302 to the same path and query on the primary
--- request
GET /vod/demo/master.m3u8?x=1
--- more_headers
X-Forwarded-For: 203.0.113.5
--- error_code: 302
--- response_headers
Location: http://127.0.0.2:8096/vod/demo/master.m3u8?x=1



=== TEST 10: redirect to a cache whose URL has a path
--- request
GET /vod/demo/video-1.m4s
--- more_headers
X-Forwarded-For: 198.51.100.7
--- error_code: 302
--- response_headers
Location: http://127.0.0.5:8096/edge/vod/demo/video-1.m4s



=== TEST 11: variables
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
isp-ny-1|http://127.0.0.2:8096|isp-ny-2,ixp-nyc,origin|isp|asn-match|300|7922|US



=== TEST 12: a bad title is 400
--- request
GET /steer/a%20b
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"no valid title in the URL"}



=== TEST 13: an unknown format is 404
--- request
GET /steer/demo/m3u8
--- error_code: 404



=== TEST 14: state: mark the primary unhealthy
--- request
PUT /steering/caches/isp-ny-1
{"healthy": false}
--- response_body
{"id":"isp-ny-1","tier":"isp","url":"http://127.0.0.2:8096","healthy":false,"usable":false,"load":0.0000,"age":0,"reported":true}
--- error_log
steering state of cache "isp-ny-1": unhealthy, load 0.0000



=== TEST 15: every worker steers around it at once (24 requests over new connections: that reuseport sends all to one of two workers is 1 in 8 million)
--- request
GET /each
--- response_body_like eval
qr/\A(?=(?:\d+ isp-ny-2 ixp-nyc,origin\n){24}\z)(?=.*^(\d+) .*^(?!\1 )\d+ )/ms



=== TEST 16: load: both healthy again, the less loaded one first
--- request
PUT /steering/caches/isp-ny-1
{"healthy": true, "load": 0.5}
--- response_body
{"id":"isp-ny-1","tier":"isp","url":"http://127.0.0.2:8096","healthy":true,"usable":true,"load":0.5000,"age":0,"reported":true}



=== TEST 17: (load) isp-ny-2 reports 0.25
--- request
PUT /steering/caches/isp-ny-2
{"load": 0.25}
--- response_body_like eval
qr{"healthy":true,"usable":true,"load":0.2500,}



=== TEST 18: (load) the less loaded cache leads in every worker; scores show the load
--- request
GET /each
--- response_body_like eval
qr/\A(?=(?:\d+ isp-ny-2 isp-ny-1,ixp-nyc,origin\n){24}\z)(?=.*^(\d+) .*^(?!\1 )\d+ )/ms



=== TEST 19: overloaded (steering_max_load 0.9 by default): out of the ranking
--- request
PUT /steering/caches/isp-ny-2
{"load": 0.95}
--- response_body_like eval
qr{"healthy":true,"usable":false,"load":0.9500,}



=== TEST 20: (overloaded) isp-ny-1 alone in the ISP tier
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
isp-ny-1|http://127.0.0.2:8096|ixp-nyc,origin|isp|asn-match|300|7922|US



=== TEST 21: a malformed update is 400: not JSON
--- request
PUT /steering/caches/isp-ny-1
{"load": 0.1
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"the body is not valid JSON"}
--- no_error_log
[error]
--- error_log
steering state update of cache "isp-ny-1" refused: the body is not valid JSON



=== TEST 22: a malformed update is 400: load out of range
--- request
PUT /steering/caches/isp-ny-1
{"load": 1.5}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"\"load\" is not a number from 0 to 1"}



=== TEST 23: a malformed update is 400: healthy not a boolean, with a good load
--- request
PUT /steering/caches/isp-ny-1
{"load": 0.1, "healthy": "yes"}
--- error_code: 400
--- response_body
{"error":"bad_request","reason":"\"healthy\" is not true or false"}



=== TEST 24: a malformed update is 400: unknown member
--- request
PUT /steering/caches/isp-ny-1
{"load": 0.1, "up": true}
--- error_code: 400



=== TEST 25: a malformed update is 400: nothing to set
--- request
PUT /steering/caches/isp-ny-1
{}
--- error_code: 400



=== TEST 26: ... and none of them changed anything
--- request
GET /steering/caches/isp-ny-1
--- response_body_like
^\{"id":"isp-ny-1","tier":"isp","url":"http://127.0.0.2:8096","healthy":true,"usable":true,"load":0.5000,"age":\d+,"reported":true\}$



=== TEST 27: an unknown cache is 404
--- request
PUT /steering/caches/nope
{"load": 0.1}
--- error_code: 404
--- response_body
{"error":"not_found","reason":"no cache with this id in the fleet"}



=== TEST 28: POST is not allowed
--- request
POST /steering/caches/isp-ny-1
{"load": 0.1}
--- error_code: 405



=== TEST 29: every cache's state
--- request
GET /steering/caches/
--- response_body_like
^\{"caches":\[\{"id":"isp-ny-1",.*"load":0.5000,.*\{"id":"isp-ny-2",.*"usable":false,"load":0.9500,.*\{"id":"ixp-nyc","tier":"ixp","url":"http://127.0.0.4:8096","healthy":true,"usable":true,"load":0.0000,"age":null,"reported":false\},\{"id":"ixp-fra",.*\{"id":"origin",.*\]\}$
--- response_body_filters eval
[\&main::all_down]



=== TEST 30: no healthy cache at all (the last block marked each down): origin, never an error
--- request
GET /steer/demo
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
{"title":"demo","primary":{"id":"origin","url":"http://127.0.0.1:8096","tier":"origin","score":80.000},"fallbacks":[],"ttl":30,"tier":"origin","reason":"none-healthy","client":{"asn":7922,"country":"US"}}
--- response_body_filters eval
[\&main::fleet_corrupt]



=== TEST 31: a corrupt fleet file keeps the fleet in service and says why
--- request
GET /steer/demo
--- response_body_like eval
qr{"primary":\{"id":"origin"}
--- response_body_filters eval
[\&main::fleet_with_chicago]
--- no_error_log
[crit]
--- error_log eval
qr/steering fleet file ".*fleet\.json" is invalid: cache "x": "url" is missing, the fleet loaded before stays in service/



=== TEST 32: a new fleet file is taken in service; state of caches kept by id
--- request
GET /steering/caches/isp-chi
--- response_body
{"id":"isp-chi","tier":"isp","url":"http://127.0.0.6:8096","healthy":true,"usable":true,"load":0.0000,"age":null,"reported":false}
--- error_log
reloaded: 6 caches (3 isp, 2 ixp, 1 origin)



=== TEST 33: (new fleet) the new cache is the Comcast client's only usable one
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
isp-chi|http://127.0.0.6:8096|origin|isp|asn-match|300|7922|US



=== TEST 34: the ASN database is replaced (the client's lookup is cached per worker)
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body
isp-chi|http://127.0.0.6:8096|origin|isp|asn-match|300|7922|US
--- response_body_filters eval
[\&main::asn_moved]



=== TEST 35: (new database) the same client is on AS3320 now, whatever the worker
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body_like eval
qr{\|3320\|US\n\z}



=== TEST 36: and again (two workers: each forgets what it looked up in the old database)
--- request
GET /vars
--- more_headers
X-Forwarded-For: 203.0.113.5
--- response_body_like eval
qr{\|3320\|US\n\z}
