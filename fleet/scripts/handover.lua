-- handover.lua: move a claim to another live relay (fleet/directory.c's
-- directory_handover: a draining relay's rooms).
-- ARG (fleet/script_args.h's FLEET_HANDOVER_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   room        the room
--   value       the claim value held
--   addr        the holder's address
--   ttl_ms      a claim's TTL
--   floor       the holder's high-water mark: epochs go above it
--   stale_ms    a relay whose heartbeats stopped this long is stale
-- Moves the claim to the relay pick() chooses among the others. Returns
-- {'moved', new value}, {'lost', the live holder's value} if this relay no
-- longer held it, or {'gone', ''} (claim deleted) if no other relay can
-- take it. The room's entry goes either way but 'lost': its new holder
-- writes it once its members are there.
local p, rk = ARG.prefix, ARG.prefix .. ':room:' .. ARG.room
local cur = redis.call('GET', rk)
if cur ~= ARG.value and cur and alive(p, cur) then return {'lost', cur} end
entry_drop(p, ARG.room)
local now = now_ms()
local up = pulse(p, now, tonumber(ARG.stale_ms))
local v = pick(p, '', ARG.addr, '', tonumber(ARG.floor),
               cutoff(now, up, tonumber(ARG.stale_ms)))
if not v then
  redis.call('DEL', rk)
  return {'gone', ''}
end
redis.call('SET', rk, v, 'PX', ARG.ttl_ms)
return {'moved', v}
