-- vodedge_steering.lua: a Lua policy hook for ngx_steering.  Under
-- lua-nginx-module the module's C API (ngx_steering/ngx_steering_lua.h)
-- is in the process (nginx loads modules with RTLD_GLOBAL): LuaJIT's FFI
-- reads the request's ranked candidates and hands back a new order, in
-- which the candidates left out are vetoed.  Call it in the rewrite or
-- access phase of a location where steering decides (steering decide or
-- redirect, or one that logs $steering_* variables): the steering
-- handler, the redirect and the variables all use the order set here.
--
--   local steering = require "vodedge_steering"
--
--   access_by_lua_block {
--       local list = assert(steering.candidates())
--       -- list[i] = { id = "isp-ny-1", url = "http://...", tier = "isp",
--       --             score = 99.944 }, best first; list.title,
--       -- list.asn and list.country (nil when unknown)
--       local keep = {}
--       for _, c in ipairs(list) do
--           if c.id ~= "isp-ny-1" then keep[#keep + 1] = c.id end
--       end
--       assert(steering.set_order(keep))
--   }
--
-- set_order() takes ids or candidate tables, in the new order; at least
-- one must remain.  steering.apply(fn) does both: fn(list) returns the
-- new order, or nil to keep the module's.

local ffi = require "ffi"
local base = require "resty.core.base"

local C = ffi.C
local ffi_new = ffi.new
local ffi_str = ffi.string
local get_request = base.get_request
local tonumber = tonumber
local type = type

-- the module's C API, ngx_steering/ngx_steering_lua.h, of the version
-- below: kept in step with the header by t/125-lua-api.t
local API_VERSION = 1

ffi.cdef[[
int ngx_steering_lua_version(void);
]]

do
    local ok, v = pcall(function() return C.ngx_steering_lua_version() end)
    if not ok then
        error("vodedge_steering: ngx_steering_module's Lua API is not in "
              .. "this nginx (load_module it, of the same release as this "
              .. "file): " .. tostring(v), 2)
    end
    if v ~= API_VERSION then
        error("vodedge_steering: written for ngx_steering's Lua API "
              .. API_VERSION .. ", the module loaded has API " .. v
              .. ": use lua/vodedge_steering.lua of the module's release", 2)
    end
end

ffi.cdef[[
typedef struct {
    const unsigned char  *id;
    size_t                id_len;
    const unsigned char  *url;
    size_t                url_len;
    uint32_t              tier;
    uint32_t              score;
} ngx_steering_candidate_t;

typedef struct {
    const char  *type;
    const char  *field;
    size_t       offset;
    size_t       size;
} ngx_steering_lua_layout_t;

const ngx_steering_lua_layout_t *ngx_steering_lua_layout(void);

int ngx_steering_candidates(ngx_http_request_t *r,
    ngx_steering_candidate_t *out, int max, ngx_str_t *title,
    const char **err);

int ngx_steering_set_order(ngx_http_request_t *r, const int *order, int n,
    const char **err);
]]

-- ST_RANK_MAX of the module: the ranking never holds more
local MAX = 5
local TIERS = { [0] = "isp", [1] = "ixp", [2] = "origin" }

local out = ffi_new("ngx_steering_candidate_t[?]", MAX)
local order = ffi_new("int[?]", MAX)
local title = ffi_new("ngx_str_t[1]")
local errp = ffi_new("const char *[1]")

local _M = { _VERSION = "0.1" }


-- the request's candidates, best first; or nil and why
function _M.candidates()
    local r = get_request()
    if not r then
        return nil, "no request"
    end

    local n = C.ngx_steering_candidates(r, out, MAX, title, errp)
    if n < 1 then
        return nil, ffi_str(errp[0])
    end

    local list = {
        title = ffi_str(title[0].data, title[0].len),
        asn = tonumber(ngx.var.steering_asn),
        country = ngx.var.steering_country,
    }

    for i = 0, n - 1 do
        local c = out[i]
        list[i + 1] = {
            id = ffi_str(c.id, c.id_len),
            url = ffi_str(c.url, c.url_len),
            tier = TIERS[c.tier],
            score = tonumber(c.score) / 1000,
        }
    end

    return list
end


-- keeps the candidates named by ids (strings or candidate tables), in
-- that order; true, or nil and why (the module's order then stands)
function _M.set_order(ids)
    local r = get_request()
    if not r then
        return nil, "no request"
    end

    if type(ids) ~= "table" then
        return nil, "expected a list of ids"
    end

    -- positions in the current ranking, which may differ from the last
    -- candidates() when set_order() was called since
    local n = C.ngx_steering_candidates(r, out, MAX, title, errp)
    if n < 1 then
        return nil, ffi_str(errp[0])
    end

    local pos = {}
    for i = 0, n - 1 do
        pos[ffi_str(out[i].id, out[i].id_len)] = i
    end

    if #ids > MAX then
        return nil, "the order has more entries than there are candidates"
    end

    for i = 1, #ids do
        local id = ids[i]
        if type(id) == "table" then
            id = id.id
        end

        local p = pos[id]
        if p == nil then
            return nil, "not a candidate: " .. tostring(id)
        end

        order[i - 1] = p
    end

    if C.ngx_steering_set_order(r, order, #ids, errp) ~= 0 then
        return nil, ffi_str(errp[0])
    end

    return true
end


-- runs a policy: fn(list) returns the new order (ids or candidates), or
-- nil to keep the module's; true, or nil and why
function _M.apply(fn)
    local list, err = _M.candidates()
    if not list then
        return nil, err
    end

    local ids = fn(list)
    if ids == nil then
        return true
    end

    return _M.set_order(ids)
end


return _M
