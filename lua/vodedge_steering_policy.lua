-- vodedge_steering_policy.lua: an example steering policy on the hook of
-- vodedge_steering.lua, with two rules an operator often needs that the
-- module's scoring does not know:
--
--   countries  caches that may serve only clients of some countries
--              (peering or licensing terms): they are vetoed for other
--              clients, and for clients of unknown country
--   pin        titles pinned to a cache (warmed for a live event): that
--              cache goes first when it is a candidate at all
--
--   init_by_lua_block {
--       steering_policy = require("vodedge_steering_policy").new{
--           countries = { ["ixp-fra"] = { "DE", "FR", "NL" } },
--           pin = { ["final-match"] = "ixp-nyc" },
--       }
--   }
--   location /steer/ {
--       access_by_lua_block { steering_policy:run() }
--       steering decide;
--   }
--
-- A policy never leaves a client with nothing: when its rules would veto
-- every candidate, the module's order stands (and that is logged).

local steering = require "vodedge_steering"

local ipairs = ipairs
local pairs = pairs
local setmetatable = setmetatable

local _M = { _VERSION = "0.1" }
local mt = { __index = _M }


function _M.new(opts)
    opts = opts or {}

    local countries = {}
    for id, list in pairs(opts.countries or {}) do
        local set = {}
        for _, cc in ipairs(list) do
            set[cc] = true
        end
        countries[id] = set
    end

    return setmetatable({ countries = countries, pin = opts.pin or {} }, mt)
end


-- the new order of a candidate list (see vodedge_steering.candidates),
-- or nil to keep the module's
function _M.order(self, list)
    local keep = {}
    local pinned = self.pin[list.title]
    local changed = false

    for _, c in ipairs(list) do
        local allowed = self.countries[c.id]

        if allowed and not (list.country and allowed[list.country]) then
            changed = true

        elseif c.id == pinned then
            table.insert(keep, 1, c.id)
            changed = changed or #keep > 1

        else
            keep[#keep + 1] = c.id
        end
    end

    if not changed then
        return nil
    end

    if #keep == 0 then
        ngx.log(ngx.WARN, "steering policy would veto every cache for \"",
                list.title, "\": the module's order stands")
        return nil
    end

    return keep
end


-- applies the policy to the current request; logs when it cannot
function _M.run(self)
    local ok, err = steering.apply(function(list)
        return self:order(list)
    end)

    if not ok then
        ngx.log(ngx.ERR, "steering policy: ", err)
    end

    return ok, err
end


return _M
