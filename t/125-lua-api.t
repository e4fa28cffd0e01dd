# vim:set ft= ts=4 sw=4 et:
#
# The public C APIs of the edge and steering modules
# (ngx_stream_playback_lua.h, ngx_steering_lua.h) against the cdefs of
# lua/vodedge_token.lua and lua/vodedge_steering.lua: every struct's size,
# and every field's name, order, offset and size, as the module was
# compiled (its *_lua_layout()) and as LuaJIT's FFI lays out the cdef;
# and the header's fields against the layout's rows.  A field added,
# moved or retyped on one side only fails here.  Then the
# version check: a Lua file written for another version of the API, or
# run without the module, fails to load and says why.

use FindBin;
use Test::Nginx::Socket 'no_plan';

BEGIN {
    $ENV{TEST_NGINX_ROOT} = "$FindBin::Bin/..";
}

repeat_each(1);
no_shuffle();
log_level('info');

our $MainConfig = <<'_EOC_';
load_module /usr/lib/nginx/modules/ndk_http_module.so;
load_module /usr/lib/nginx/modules/ngx_http_lua_module.so;
_EOC_

# check(file, header, rows): compares the rows of a module's layout
# function with the structs of the Lua file's cdef and of the C header,
# read from their text; prints a line per struct, and one per mismatch
our $HttpConfig = <<'_EOC_';
    lua_package_path "$TEST_NGINX_ROOT/lua/?.lua;;";
    init_by_lua_block {
        local ffi = require "ffi"

        function source(file)
            local f = assert(io.open("$TEST_NGINX_ROOT/" .. file))
            local text = f:read("*a")
            f:close()
            return text
        end

        -- { name = { { field, ctype }, ... }, ... } of every typedef'd
        -- struct in C declarations
        local function structs_of(decls, structs)
            decls = decls:gsub("/%*.-%*/", "")
            for body, name in
                decls:gmatch("typedef%s+struct%s*(%b{})%s*([%w_]+)%s*;")
            do
                local fields = {}
                for decl in body:sub(2, -2):gmatch("([^;]+);") do
                    local t, f = decl:match("^%s*(.-)%s*([%w_]+)%s*$")
                    fields[#fields + 1] = { f, t }
                end
                structs[name] = fields
            end
            return structs
        end

        local function names(fields)
            local out = {}
            for i, f in ipairs(fields) do
                out[i] = f[1]
            end
            return table.concat(out, " ")
        end

        -- file: the Lua file, header: the C header, rows: the module's
        -- layout of the header's structs as compiled
        function check(file, header, rows)
            local structs = {}
            for cdef in source(file):gmatch("ffi%.cdef%[%[(.-)%]%]") do
                structs_of(cdef, structs)
            end
            -- the header's structs must all be in the layout rows: a
            -- field added to one but not the other fails below
            local hstructs = structs_of(source(header), {})
            local seen, order = {}, {}
            local i = 0
            while rows[i].type ~= nil do
                local r = rows[i]
                local t = ffi.string(r.type)
                local size = tonumber(r.size)
                if not seen[t] then
                    seen[t] = { n = 0, names = "" }
                    order[#order + 1] = t
                end
                local s = seen[t]
                local fields = structs[t]
                if fields == nil then
                    ngx.say(t, ": not in the cdef")
                elseif r.field == nil then
                    if ffi.sizeof(t) ~= size then
                        ngx.say(t, ": sizeof ", ffi.sizeof(t), " in Lua, ",
                                size, " in C")
                    end
                else
                    local f = ffi.string(r.field)
                    s.n = s.n + 1
                    s.names = s.n == 1 and f or s.names .. " " .. f
                    local lf = fields[s.n]
                    local off = tonumber(r.offset)
                    if lf == nil or lf[1] ~= f then
                        ngx.say(t, ": field ", s.n, " is ", f, " in C, ",
                                lf and lf[1] or "none", " in Lua")
                    elseif ffi.offsetof(t, f) ~= off then
                        ngx.say(t, ".", f, ": offset ", ffi.offsetof(t, f),
                                " in Lua, ", off, " in C")
                    elseif ffi.sizeof(lf[2]) ~= size then
                        ngx.say(t, ".", f, ": size ", ffi.sizeof(lf[2]),
                                " in Lua, ", size, " in C")
                    end
                end
                i = i + 1
            end
            for _, t in ipairs(order) do
                local n = structs[t] and #structs[t] or 0
                if n ~= seen[t].n then
                    ngx.say(t, ": ", n, " fields in Lua, ", seen[t].n,
                            " in C")
                end
                if hstructs[t] == nil then
                    ngx.say(t, ": not in ", header)
                elseif names(hstructs[t]) ~= seen[t].names then
                    ngx.say(t, ": ", names(hstructs[t]), " in ", header,
                            ", ", seen[t].names, " in the layout")
                end
                ngx.say(t, ": ", seen[t].n, " fields")
                structs[t] = nil
                hstructs[t] = nil
            end
            for t in pairs(structs) do
                ngx.say(t, ": in the cdef, not in the module's layout")
            end
            for t in pairs(hstructs) do
                ngx.say(t, ": in ", header, ", not in the module's layout")
            end
        end
    }
_EOC_

add_block_preprocessor(sub {
    my $block = shift;
    $block->set_value('main_config', $MainConfig);
    $block->set_value('http_config', $HttpConfig);
    $block->set_value('no_error_log', "[error]\n")
        unless defined $block->no_error_log;
});

run_tests();

__DATA__

=== TEST 1: the edge's structs: lua/vodedge_token.lua as compiled
--- config
    location /t {
        content_by_lua_block {
            local ffi = require "ffi"
            require "vodedge_token"
            check("lua/vodedge_token.lua",
                  "ngx_stream_playback/ngx_stream_playback_lua.h",
                  ffi.C.ngx_stream_playback_lua_layout())
        }
    }
--- request
GET /t
--- response_body
ngx_stream_playback_lua_str_t: 2 fields
ngx_stream_playback_lua_key_t: 2 fields
ngx_stream_playback_lua_claims_t: 11 fields
ngx_stream_playback_lua_mint_t: 10 fields
ngx_stream_playback_lua_layout_t: 4 fields



=== TEST 2: steering's structs: lua/vodedge_steering.lua as compiled
--- config
    location /t {
        content_by_lua_block {
            local ffi = require "ffi"
            require "vodedge_steering"
            check("lua/vodedge_steering.lua",
                  "ngx_steering/ngx_steering_lua.h",
                  ffi.C.ngx_steering_lua_layout())
        }
    }
--- request
GET /t
--- response_body
ngx_steering_candidate_t: 6 fields
ngx_steering_lua_layout_t: 4 fields



=== TEST 3: a Lua file written for another API version fails to load, and says so
--- config
    location /t {
        content_by_lua_block {
            for _, file in ipairs{ "vodedge_token.lua",
                                   "vodedge_steering.lua" } do
                local text, n = source("lua/" .. file):gsub(
                    "\nlocal API_VERSION = 1\n", "\nlocal API_VERSION = 7\n")
                assert(n == 1, "no API_VERSION in " .. file)
                local ok, err = pcall(assert(loadstring(text, file)))
                ngx.say(ok and "loaded" or err)
            end
        }
    }
--- request
GET /t
--- response_body
vodedge_token: written for ngx_stream_playback's Lua API 7, the module loaded has API 1: use lua/vodedge_token.lua of the module's release
vodedge_steering: written for ngx_steering's Lua API 7, the module loaded has API 1: use lua/vodedge_steering.lua of the module's release



=== TEST 4: without the module's API in the process (here: a name it does not export), loading fails and says so
--- config
    location /t {
        content_by_lua_block {
            for _, name in ipairs{ "ngx_stream_playback", "ngx_steering" } do
                local file = name == "ngx_steering" and "vodedge_steering.lua"
                             or "vodedge_token.lua"
                local text = source("lua/" .. file):gsub(
                    name .. "_lua_version", name .. "_lua_versionx")
                local ok, err = pcall(assert(loadstring(text, file)))
                ngx.say(ok and "loaded" or err:match("^(.-) %("))
            end
        }
    }
--- request
GET /t
--- response_body
vodedge_token: ngx_stream_playback_module's Lua API is not in this nginx
vodedge_steering: ngx_steering_module's Lua API is not in this nginx
