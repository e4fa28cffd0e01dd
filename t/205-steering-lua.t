# vim:set ft= ts=4 sw=4 et:
#
# The Lua hook of ngx_steering (lua/vodedge_steering.lua) under
# lua-nginx-module: a policy reads the ranked candidates through the FFI
# and sets a new order, vetoing those it leaves out; the JSON, the HLS
# manifest, the redirect and the variables follow it.  Then the example
# policy (lua/vodedge_steering_policy.lua).  Same fixtures as
# t/200-steering.t (t/inc/SteerTest.pm); the client is a Comcast one in
# New York unless a block says otherwise.

use FindBin;
use lib "$FindBin::Bin/inc";
use SteerTest;
use Test::Nginx::Socket 'no_plan';

BEGIN {
    SteerTest::setup();
    $ENV{TEST_NGINX_ROOT} = "$FindBin::Bin/..";
}

repeat_each(1);
no_shuffle();
log_level('info');

our $MainConfig = <<'_EOC_';
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
_EOC_

our $HttpConfig = <<'_EOC_';
    lua_package_path "$TEST_NGINX_ROOT/lua/?.lua;;";

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    steering_fleet $TEST_NGINX_STEER_DIR/fleet.json;
    steering_geoip_asn $TEST_NGINX_STEER_DIR/asn.mmdb;
    steering_geoip_city $TEST_NGINX_STEER_DIR/city.mmdb;
    steering_state_max_age off;

    init_by_lua_block {
        steering = require "vodedge_steering"
        policy = require("vodedge_steering_policy").new{
            countries = { ["isp-ny-1"] = { "DE" }, ["ixp-fra"] = { "DE" } },
            pin = { live = "ixp-nyc" },
        }
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', $MainConfig);
    $block->set_value('http_config', $HttpConfig);
    $block->set_value('more_headers', "X-Forwarded-For: 203.0.113.5\n")
        unless defined $block->more_headers;
    $block->set_value('no_error_log', "[alert]\n[crit]\n[emerg]\n[error]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: the candidates as Lua sees them: title, client, ids, tiers, scores, best first
--- config
    location = /t {
        steering_title demo;
        content_by_lua_block {
            local list = assert(steering.candidates())
            ngx.say(list.title, " ", list.asn, " ", list.country)
            for _, c in ipairs(list) do
                ngx.say(c.id, " ", c.tier, " ", c.score, " ", c.url)
            end
        }
    }
--- request
GET /t
--- response_body
demo 7922 US
isp-ny-1 isp 99.944 http://127.0.0.2:8096
isp-ny-2 isp 99.944 http://127.0.0.3:8096
ixp-nyc ixp 99.931 http://127.0.0.4:8096
origin origin 80 http://127.0.0.1:8096



=== TEST 2: reorder: the JSON follows, the primary changed so the reason is "policy"
--- config
    location /steer/ {
        access_by_lua_block {
            assert(steering.set_order{ "isp-ny-2", "isp-ny-1", "ixp-nyc",
                                       "origin" })
        }
        steering decide;
    }
--- request
GET /steer/demo
--- response_body
{"title":"demo","primary":{"id":"isp-ny-2","url":"http://127.0.0.3:8096","tier":"isp","score":99.944},"fallbacks":[{"id":"isp-ny-1","url":"http://127.0.0.2:8096","tier":"isp","score":99.944},{"id":"ixp-nyc","url":"http://127.0.0.4:8096","tier":"ixp","score":99.931},{"id":"origin","url":"http://127.0.0.1:8096","tier":"origin","score":80.000}],"ttl":300,"tier":"isp","reason":"policy","client":{"asn":7922,"country":"US"}}



=== TEST 3: veto the ISP caches: the HLS steering manifest has the IXP first, and its TTL
--- config
    location /steer/ {
        access_by_lua_block {
            assert(steering.apply(function(list)
                local keep = {}
                for _, c in ipairs(list) do
                    if c.tier ~= "isp" then keep[#keep + 1] = c end
                end
                return keep
            end))
        }
        steering decide;
    }
--- request
GET /steer/demo/hls
--- response_body
{"VERSION":1,"TTL":60,"RELOAD-URI":"/steer/demo/hls","PATHWAY-PRIORITY":["ixp-nyc","origin"],"PATHWAY-CLONES":[{"BASE-ID":"origin","ID":"ixp-nyc","URI-REPLACEMENT":{"HOST":"127.0.0.4"}}]}



=== TEST 4: redirect mode follows the policy
--- config
    location /vod/ {
        access_by_lua_block {
            assert(steering.set_order{ "isp-ny-2", "origin" })
        }
        steering redirect;
    }
--- request
GET /vod/demo/master.m3u8?x=1
--- error_code: 302
--- response_headers
Location: http://127.0.0.3:8096/vod/demo/master.m3u8?x=1



=== TEST 5: the variables follow it too (the log of the request)
--- config
    location = /t {
        steering_title demo;
        access_by_lua_block {
            assert(steering.set_order{ "ixp-nyc", "isp-ny-1" })
        }
        content_by_lua_block {
            ngx.say(ngx.var.steering_primary, "|", ngx.var.steering_fallbacks,
                    "|", ngx.var.steering_tier, "|", ngx.var.steering_reason,
                    "|", ngx.var.steering_ttl)
        }
        log_by_lua_block {
            ngx.log(ngx.INFO, "steered to ", ngx.var.steering_primary)
        }
    }
--- request
GET /t
--- response_body
ixp-nyc|isp-ny-1|ixp|policy|60
--- error_log
steered to ixp-nyc



=== TEST 6: the same primary kept keeps the module's reason
--- config
    location = /t {
        steering_title demo;
        content_by_lua_block {
            assert(steering.set_order{ "isp-ny-1", "origin" })
            ngx.say(ngx.var.steering_primary, "|", ngx.var.steering_fallbacks,
                    "|", ngx.var.steering_reason)
        }
    }
--- request
GET /t
--- response_body
isp-ny-1|origin|asn-match



=== TEST 7: bad orders are refused and change nothing
--- config
    location = /t {
        steering_title demo;
        content_by_lua_block {
            ngx.say(select(2, steering.set_order{}))
            ngx.say(select(2, steering.set_order{ "nope" }))
            ngx.say(select(2, steering.set_order{ "origin", "origin" }))
            ngx.say(select(2, steering.set_order("origin")))
            ngx.say(select(2, steering.set_order{ "a", "b", "c", "d", "e",
                                                  "f" }))
            local list = assert(steering.candidates())
            ngx.say(#list, " ", list[1].id, " ", ngx.var.steering_reason)
        }
    }
--- request
GET /t
--- response_body
the order keeps no candidate: at least one is needed
not a candidate: nope
the order names a candidate twice
expected a list of ids
the order has more entries than there are candidates
4 isp-ny-1 asn-match



=== TEST 8: no valid title: candidates() says so
--- config
    location = /t {
        steering_title "a b";
        content_by_lua_block {
            ngx.say(select(2, steering.candidates()))
        }
    }
--- request
GET /t
--- response_body
no valid title



=== TEST 9: example policy: isp-ny-1 serves only German clients: a US client gets isp-ny-2
--- config
    location /steer/ {
        access_by_lua_block { policy:run() }
        steering decide;
    }
--- request
GET /steer/demo
--- response_body_like eval
qr{^\{"title":"demo","primary":\{"id":"isp-ny-2",[^\]]*"fallbacks":\[\{"id":"ixp-nyc",[^\]]*\{"id":"origin",[^\]]*\],"ttl":300,"tier":"isp","reason":"policy",}



=== TEST 10: example policy: a German client (DTAG, Frankfurt) may use ixp-fra
--- config
    location /steer/ {
        access_by_lua_block { policy:run() }
        steering decide;
    }
--- more_headers
X-Forwarded-For: 198.51.100.7
--- request
GET /steer/demo/dash
--- response_body_like eval
qr{"PATHWAY-PRIORITY":\["ixp-fra","ixp-nyc","origin"\]}



=== TEST 11: example policy: a pinned title goes to its cache first
--- config
    location /steer/ {
        access_by_lua_block { policy:run() }
        steering decide;
    }
--- request
GET /steer/live/hls
--- response_body_like eval
qr{"TTL":60,.*"PATHWAY-PRIORITY":\["ixp-nyc","isp-ny-2","origin"\]}



=== TEST 12: example policy: rules that would veto every cache leave the module's order (logged)
--- config
    location = /t {
        steering_title demo;
        access_by_lua_block {
            local all = { "DE" }
            require("vodedge_steering_policy").new{
                countries = { ["isp-ny-1"] = all, ["isp-ny-2"] = all,
                              ["ixp-nyc"] = all, origin = all },
            }:run()
        }
        content_by_lua_block {
            ngx.say(ngx.var.steering_primary, "|", ngx.var.steering_fallbacks,
                    "|", ngx.var.steering_reason)
        }
    }
--- request
GET /t
--- response_body
isp-ny-1|isp-ny-2,ixp-nyc,origin|asn-match
--- error_log
steering policy would veto every cache for "demo": the module's order stands
