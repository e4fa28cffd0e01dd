-- vodedge_token.lua: mint and verify vodedge playback tokens (HS256 JWT)
-- from LuaJIT, with the same C code as ngx_stream_playback itself: under
-- lua-nginx-module the module's public C API
-- (ngx_stream_playback/ngx_stream_playback_lua.h) is in the process
-- (nginx loads modules with RTLD_GLOBAL), so the FFI calls it directly.
-- Requiring this file fails with a clear error when the module is not
-- loaded or has another version of that API.
--
--   local token = require "vodedge_token"
--   local secret = assert(token.decode_key(key_file_text))
--   local t = token.mint{ kid = "demo", secret = secret, ttl = 3600,
--                         path = "/vod/title1/", tier = "premium" }
--   local claims, reason = token.verify(t, { demo = secret },
--                                       { uri = ngx.var.uri })
--
-- verify() returns a table of claims (sub, path, tier, sid, ip, exp, nbf,
-- aud: a list of "media", "api", "other", or nil without the claim), or
-- nil and the refusal reason the module logs: missing, malformed,
-- bad-signature, unknown-kid, expired, not-yet-valid, wrong-path,
-- bad-path, wrong-audience.

local ffi = require "ffi"
local bit = require "bit"

local C = ffi.C
local ffi_new = ffi.new
local ffi_str = ffi.string
local ffi_cast = ffi.cast

-- the module's C API, ngx_stream_playback/ngx_stream_playback_lua.h, of
-- the version below: kept in step with the header by t/125-lua-api.t
local API_VERSION = 1

ffi.cdef[[
int ngx_stream_playback_lua_version(void);
]]

do
    local ok, v = pcall(function()
        return C.ngx_stream_playback_lua_version()
    end)
    if not ok then
        error("vodedge_token: ngx_stream_playback_module's Lua API is not "
              .. "in this nginx (load_module it, of the same release as "
              .. "this file): " .. tostring(v), 2)
    end
    if v ~= API_VERSION then
        error("vodedge_token: written for ngx_stream_playback's Lua API "
              .. API_VERSION .. ", the module loaded has API " .. v
              .. ": use lua/vodedge_token.lua of the module's release", 2)
    end
end

ffi.cdef[[
typedef struct {
    const unsigned char  *data;
    size_t                len;
} ngx_stream_playback_lua_str_t;

typedef struct {
    ngx_stream_playback_lua_str_t  kid;
    ngx_stream_playback_lua_str_t  secret;
} ngx_stream_playback_lua_key_t;

typedef struct {
    ngx_stream_playback_lua_str_t  kid;
    ngx_stream_playback_lua_str_t  sub;
    ngx_stream_playback_lua_str_t  path;
    ngx_stream_playback_lua_str_t  tier;
    ngx_stream_playback_lua_str_t  sid;
    ngx_stream_playback_lua_str_t  ip;
    int64_t                        exp;
    int64_t                        nbf;
    uint32_t                       has_nbf;
    uint32_t                       has_path;
    uint32_t                       aud;
} ngx_stream_playback_lua_claims_t;

typedef struct {
    ngx_stream_playback_lua_str_t  kid;
    ngx_stream_playback_lua_str_t  secret;
    int64_t                        exp;
    int64_t                        nbf;
    ngx_stream_playback_lua_str_t  sub;
    ngx_stream_playback_lua_str_t  path;
    ngx_stream_playback_lua_str_t  tier;
    ngx_stream_playback_lua_str_t  sid;
    ngx_stream_playback_lua_str_t  ip;
    uint32_t                       aud;
} ngx_stream_playback_lua_mint_t;

typedef struct {
    const char  *type;
    const char  *field;
    size_t       offset;
    size_t       size;
} ngx_stream_playback_lua_layout_t;

const ngx_stream_playback_lua_layout_t *ngx_stream_playback_lua_layout(
    void);
ssize_t ngx_stream_playback_lua_key_decode(unsigned char *key,
    const unsigned char *text, size_t len);
size_t ngx_stream_playback_lua_mint_size(
    const ngx_stream_playback_lua_mint_t *m);
int ngx_stream_playback_lua_mint(const ngx_stream_playback_lua_mint_t *m,
    unsigned char *out, size_t size, size_t *len);
size_t ngx_stream_playback_lua_scratch_size(size_t len, size_t nkeys);
int ngx_stream_playback_lua_verify(const unsigned char *token, size_t len,
    const ngx_stream_playback_lua_key_t *keys, size_t nkeys, int64_t now,
    int64_t leeway, unsigned char *scratch, size_t scratch_size,
    ngx_stream_playback_lua_claims_t *claims);
int ngx_stream_playback_lua_check_audience(
    const ngx_stream_playback_lua_claims_t *claims, uint32_t use);
int ngx_stream_playback_lua_check_path(
    const ngx_stream_playback_lua_claims_t *claims,
    const unsigned char *path, size_t len);
int ngx_stream_playback_lua_normalize_path(const unsigned char *in,
    size_t len, int decode, unsigned char *out, size_t *out_len);
const char *ngx_stream_playback_lua_reason(int status);
]]

-- NGX_STREAM_PLAYBACK_LUA_OK, _AUD_MEDIA, _AUD_API, _AUD_OTHER, _KEY_BUF
local PB_JWT_OK = 0
local AUD = { media = 1, api = 2 }
local AUD_OTHER = 4
local PB_KEY_BUF = 1024 + 2

local _M = { _VERSION = "0.1" }


-- a Lua string as a vod_str_t; the caller keeps s alive during the call
local function set_str(field, s)
    if s ~= nil then
        field.data = ffi_cast("unsigned char *", s)
        field.len = #s
    end
end


local function get_str(field)
    if field.data == nil then
        return nil
    end
    return ffi_str(field.data, field.len)
end


local function now()
    if ngx and ngx.time then
        return ngx.time()
    end
    return os.time()
end


-- the secret in a key file's text (base64url, as playback_token_key reads it)
function _M.decode_key(text)
    local key = ffi_new("unsigned char[?]", PB_KEY_BUF)
    local n = tonumber(C.ngx_stream_playback_lua_key_decode(key, text, #text))
    if n < 0 then
        return nil, "not a base64url key of 32 to 1024 bytes"
    end
    return ffi_str(key, n)
end


-- "media", "api" or { "media", "api" } as PB_JWT_AUD_* bits; nil: 0
local function aud_bits(aud)
    if aud == nil then
        return 0
    end
    if type(aud) == "string" then
        aud = { aud }
    end
    local bits = 0
    for _, a in ipairs(aud) do
        if not AUD[a] then
            return nil
        end
        bits = bit.bor(bits, AUD[a])
    end
    return bits
end


-- opts: kid, secret (raw bytes), ttl (seconds) or exp, and optional nbf,
-- sub, path, tier, sid, ip, aud ("media" for signed URLs, "api" for the
-- playback API's Bearer tokens, or both in a table; nil leaves the claim
-- out, which the module takes as media only)
function _M.mint(opts)
    local m = ffi_new("ngx_stream_playback_lua_mint_t")

    set_str(m.kid, opts.kid)
    set_str(m.secret, opts.secret)
    m.exp = opts.exp or (now() + (opts.ttl or 3600))
    m.nbf = opts.nbf or 0
    set_str(m.sub, opts.sub)
    set_str(m.path, opts.path)
    set_str(m.tier, opts.tier)
    set_str(m.sid, opts.sid)
    set_str(m.ip, opts.ip)

    local aud = aud_bits(opts.aud)
    if aud == nil then
        return nil, "aud must be \"media\", \"api\" or both"
    end
    m.aud = aud

    local size = C.ngx_stream_playback_lua_mint_size(m)
    local out = ffi_new("unsigned char[?]", size)
    local len = ffi_new("size_t[1]")

    if C.ngx_stream_playback_lua_mint(m, out, size, len) ~= PB_JWT_OK then
        return nil, "cannot mint: check kid and secret"
    end

    return ffi_str(out, len[0])
end


-- the aud claim's bits as a list of names; nil without the claim
local function aud_names(bits)
    bits = tonumber(bits)
    if bits == 0 then
        return nil
    end
    local out = {}
    if bit.band(bits, AUD.media) ~= 0 then
        out[#out + 1] = "media"
    end
    if bit.band(bits, AUD.api) ~= 0 then
        out[#out + 1] = "api"
    end
    if bit.band(bits, AUD_OTHER) ~= 0 then
        out[#out + 1] = "other"
    end
    return out
end


-- keys: { kid = secret, ... }; opts: now, leeway (30 s), and the path to
-- check against the path claim, one of:
--   uri:  nginx's own path, ngx.var.uri (the path nginx routes, caches and
--         proxies), checked as the module checks it: not decoded again;
--         refused ("bad-path") unless canonical (no "//", ".", ".."), and
--         refused ("wrong-path") with a '\', NUL or a "..;x" segment;
--   path: the request path as the client sent it (percent-encoded, without
--         arguments), normalised by a second parser: kept for old callers,
--         and refused when it holds a '#' (nginx ends its path there, this
--         parser did not: a token for one title opened every other).
-- Prefer uri: one parser, nginx's.  And aud: "media" or "api", the use
-- the token must be meant for (as the module checks it: a token without
-- aud is media only).
function _M.verify(token, keys, opts)
    opts = opts or {}

    -- what the module answers to a request without a token
    if type(token) ~= "string" or token == "" then
        return nil, "missing"
    end

    if type(keys) ~= "table" then
        return nil, "unknown-kid"
    end

    local nkeys = 0
    for _ in pairs(keys) do
        nkeys = nkeys + 1
    end

    local karr = ffi_new("ngx_stream_playback_lua_key_t[?]", nkeys > 0 and nkeys or 1)
    local i = 0
    for kid, secret in pairs(keys) do
        set_str(karr[i].kid, kid)
        set_str(karr[i].secret, secret)
        i = i + 1
    end

    local size = C.ngx_stream_playback_lua_scratch_size(#token, nkeys)
    local scratch = ffi_new("unsigned char[?]", size)
    local claims = ffi_new("ngx_stream_playback_lua_claims_t")

    local rc = C.ngx_stream_playback_lua_verify(token, #token, karr, nkeys,
                                                opts.now or now(),
                                                opts.leeway or 30,
                                                scratch, size, claims)

    if rc == PB_JWT_OK and opts.aud then
        if not AUD[opts.aud] then
            return nil, "wrong-audience"
        end
        rc = C.ngx_stream_playback_lua_check_audience(claims, AUD[opts.aud])
    end

    local p = opts.uri or opts.path

    if rc == PB_JWT_OK and p then
        if not opts.uri and p:find("#", 1, true) then
            return nil, "wrong-path"
        end

        local out = ffi_new("unsigned char[?]", #p + 1)
        local n = ffi_new("size_t[1]")

        rc = C.ngx_stream_playback_lua_normalize_path(p, #p, opts.uri and 0 or 1, out, n)

        if rc == PB_JWT_OK and opts.uri then
            if ffi_str(out, n[0]) ~= p then
                return nil, "bad-path"
            end

            if p:find("/%.%.?;") then
                return nil, "wrong-path"
            end
        end

        if rc == PB_JWT_OK then
            rc = C.ngx_stream_playback_lua_check_path(claims, out, n[0])
        end
    end

    if rc ~= PB_JWT_OK then
        return nil, ffi_str(C.ngx_stream_playback_lua_reason(rc))
    end

    return {
        kid = get_str(claims.kid),
        sub = get_str(claims.sub),
        path = get_str(claims.path),
        tier = get_str(claims.tier),
        sid = get_str(claims.sid),
        ip = get_str(claims.ip),
        exp = tonumber(claims.exp),
        nbf = claims.has_nbf == 1 and tonumber(claims.nbf) or nil,
        aud = aud_names(claims.aud),
    }
end


return _M
