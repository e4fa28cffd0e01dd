# vim:set ft= ts=4 sw=4 et:
#
# lua/vodedge_token.lua under lua-nginx-module: LuaJIT's FFI mints and
# verifies tokens with ngx_stream_playback's own C code.  A token minted
# in Lua passes the module's check, and one minted by bin/vodedge-token
# verifies in Lua.

use FindBin;
use Test::Nginx::Socket 'no_plan';

our $Root;

BEGIN {
    $Root = "$FindBin::Bin/..";
    $ENV{TEST_NGINX_ROOT} = $Root;
    my $cmd = "$Root/bin/vodedge-token --path /vod/demo/ --tier standard"
              . " --sub acct9 --ttl 600";
    my $tok = qx{$cmd};
    die "bin/vodedge-token failed" if $? != 0;
    chomp $tok;
    $ENV{TEST_NGINX_CLI_TOKEN} = $tok;
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
    init_by_lua_block {
        local f = assert(io.open("$TEST_NGINX_ROOT/conf/demo-only-playback.key"))
        demo_key_text = f:read("*a")
        f:close()
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', $MainConfig);
    $block->set_value('http_config', $HttpConfig);
});

run_tests();

__DATA__

=== TEST 1: mint and verify in Lua: the claims come back
--- config
    location /t {
        content_by_lua_block {
            local token = require "vodedge_token"
            local secret = assert(token.decode_key(demo_key_text))
            local t = assert(token.mint{ kid = "demo", secret = secret,
                ttl = 60, path = "/vod/demo/", tier = "premium",
                sub = "acct1", sid = "s-42" })
            local c = assert(token.verify(t, { demo = secret },
                                          { path = "/vod/demo/a.m3u8" }))
            ngx.say(c.kid, " ", c.sub, " ", c.tier, " ", c.sid, " ", c.path,
                    " ", c.exp - ngx.time())
        }
    }
--- request
GET /t
--- response_body
demo acct1 premium s-42 /vod/demo/ 60
--- no_error_log
[error]



=== TEST 2: the refusal reasons the module logs
--- config
    location /t {
        content_by_lua_block {
            local token = require "vodedge_token"
            local secret = assert(token.decode_key(demo_key_text))
            local other = string.rep("k", 32)
            local t = assert(token.mint{ kid = "demo", secret = secret,
                ttl = 60, path = "/vod/demo/" })
            local old = assert(token.mint{ kid = "demo", secret = secret,
                exp = ngx.time() - 3600, path = "/vod/demo/" })
            local later = assert(token.mint{ kid = "demo", secret = secret,
                ttl = 7200, nbf = ngx.time() + 3600, path = "/vod/demo/" })
            local keys = { demo = secret }
            local function why(...) return select(2, token.verify(...)) end
            ngx.say(why("", keys))
            ngx.say(why(nil, keys))
            ngx.say(why("a.b", keys))
            ngx.say(why(t, { demo = other }))
            ngx.say(why(t, { other = secret }))
            ngx.say(why(old, keys))
            ngx.say(why(later, keys))
            ngx.say(why(t, keys, { path = "/vod/demo2/x.m3u8" }))
            ngx.say(why(t, keys, { path = "/vod/demo/../x/y.m3u8" }))
            ngx.say(why(t, keys, { path = "/vod/demo/%2e%2e/x/y.m3u8" }))
            ngx.say(why(t, keys, { path = "/vod/demo/a%2fb.m3u8" }))
            ngx.say(why(t, keys, { path = "/vod//demo/./a.m3u8" }) or "ok")
        }
    }
--- request
GET /t
--- response_body
missing
missing
malformed
bad-signature
unknown-kid
expired
not-yet-valid
wrong-path
wrong-path
wrong-path
wrong-path
ok
--- no_error_log
[error]



=== TEST 3: a token minted in Lua passes the edge module's check
--- config
    playback_token_key demo $TEST_NGINX_ROOT/conf/demo-only-playback.key;
    location /mint {
        content_by_lua_block {
            local token = require "vodedge_token"
            local secret = assert(token.decode_key(demo_key_text))
            local t = assert(token.mint{ kid = "demo", secret = secret,
                ttl = 60, path = "/vod/", tier = "basic", sub = "acct7" })
            -- a real request: like nginx's own access modules, the check
            -- does not run again for subrequests
            local sock = ngx.socket.tcp()
            assert(sock:connect("127.0.0.1", ngx.var.server_port))
            assert(sock:send("GET /t/" .. t .. "/vod/x HTTP/1.0\r\n"
                             .. "Host: localhost\r\n\r\n"))
            local res = assert(sock:receive("*a"))
            sock:close()
            ngx.say(res:match("^HTTP/1%.%d (%d+)"), " ",
                    res:match("\r\n\r\n(.*)$"))
        }
    }
    location /t/ {
        playback_token on;
    }
    location /vod/ {
        return 200 "$playback_token_status $playback_account $playback_tier";
    }
--- request
GET /mint
--- response_body
200 OK acct7 basic
--- no_error_log
[error]



=== TEST 4: a token from bin/vodedge-token verifies in Lua
--- config
    location /t {
        content_by_lua_block {
            local token = require "vodedge_token"
            local secret = assert(token.decode_key(demo_key_text))
            local c, why = token.verify("$TEST_NGINX_CLI_TOKEN",
                                        { demo = secret })
            ngx.say(c and (c.sub .. " " .. c.tier .. " " .. c.path) or why)
        }
    }
--- request
GET /t
--- response_body
acct9 standard /vod/demo/
--- no_error_log
[error]



=== TEST 5: a key file that is not base64url
--- config
    location /t {
        content_by_lua_block {
            local token = require "vodedge_token"
            ngx.say(select(2, token.decode_key("not base64url!")))
            ngx.say(select(2, token.decode_key("c2hvcnQ")))
        }
    }
--- request
GET /t
--- response_body
not a base64url key of 32 to 1024 bytes
not a base64url key of 32 to 1024 bytes
--- no_error_log
[error]


=== TEST 6: verify against nginx's $uri, as the module checks it; the
raw path's '#' (where nginx ends $uri) is refused
--- config
    location /t {
        content_by_lua_block {
            local token = require "vodedge_token"
            local secret = assert(token.decode_key(demo_key_text))
            local t = assert(token.mint{ kid = "demo", secret = secret,
                ttl = 60, path = "/vod/granted/" })
            local keys = { demo = secret }
            local function why(o)
                local c, r = token.verify(t, keys, o)
                return c and "ok" or r
            end
            ngx.say(why({ uri = "/vod/granted/a.m3u8" }))
            ngx.say(why({ uri = "/vod/other/a.m3u8" }))
            ngx.say(why({ uri = "/vod/granted/../other/a.m3u8" }))
            ngx.say(why({ uri = "/vod//granted/a.m3u8" }))
            ngx.say(why({ uri = "/vod/granted/%2e%2e/a.m3u8" }))
            ngx.say(why({ uri = "/vod/granted/..;/other/a.m3u8" }))
            ngx.say(why({ uri = "/vod/granted/..\\other/a.m3u8" }))
            ngx.say(why({ path = "/vod/other/a.m3u8#/../../granted/" }))
            ngx.say(why({ path = "/vod/granted/%61.m3u8" }))
        }
    }
--- request
GET /t
--- response_body
ok
wrong-path
bad-path
bad-path
ok
wrong-path
wrong-path
wrong-path
ok
--- no_error_log
[error]


=== TEST 7: audiences in Lua: minted, read back, checked as the module does
--- config
    playback_token_key demo $TEST_NGINX_ROOT/conf/demo-only-playback.key;
    location /t {
        content_by_lua_block {
            local token = require "vodedge_token"
            local secret = assert(token.decode_key(demo_key_text))
            local function mint(aud)
                return assert(token.mint{ kid = "demo", secret = secret,
                    ttl = 60, path = "/vod/", sub = "a", aud = aud })
            end
            local function edge(t)
                local sock = ngx.socket.tcp()
                assert(sock:connect("127.0.0.1", ngx.var.server_port))
                assert(sock:send("GET /t/" .. t .. "/vod/x HTTP/1.0\r\n"
                                 .. "Host: localhost\r\n\r\n"))
                local res = assert(sock:receive("*a"))
                sock:close()
                return res:match("^HTTP/1%.%d (%d+)")
            end
            local keys = { demo = secret }
            for _, aud in ipairs({ "media", "api", false }) do
                local t = mint(aud or nil)
                local c = assert(token.verify(t, keys))
                local _, media = token.verify(t, keys, { aud = "media" })
                local _, api = token.verify(t, keys, { aud = "api" })
                ngx.say(tostring(aud), ": aud ",
                        c.aud and table.concat(c.aud, ",") or "none",
                        ", as media ", media or "OK", ", as api ",
                        api or "OK", ", edge ", edge(t))
            end
            ngx.say(select(2, token.mint{ kid = "demo", secret = secret,
                                          aud = "billing" }))
        }
    }
    location /t/ {
        playback_token on;
    }
    location /vod/ {
        return 200 "$playback_token_status";
    }
--- request
GET /t
--- response_body
media: aud media, as media OK, as api wrong-audience, edge 200
api: aud api, as media wrong-audience, as api OK, edge 403
false: aud none, as media OK, as api wrong-audience, edge 200
aud must be "media", "api" or both
--- no_error_log
[error]
