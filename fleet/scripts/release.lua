-- release.lua: drop a claim this relay holds (fleet/directory.c's
-- directory_release).
-- ARG (fleet/script_args.h's FLEET_RELEASE_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   room        the room
--   value       the claim value held
--   addr        the holder's address
--   out_ms      0, or how long placement keeps the holder out of the room
--               (P:out:ROOM)
--   ended       '1': the room ended, its last member left by itself
-- Deletes the claim if it is still that value, with the room's members and
-- its entry (P:rooms, P:roomidx); its record (and version) too when the room ended, not
-- otherwise (its last member was dropped, or its members were sent to join
-- again elsewhere: the record waits for them). Returns 1 if it deleted the
-- claim.
local p, rk = ARG.prefix, ARG.prefix .. ':room:' .. ARG.room
if (tonumber(ARG.out_ms) or 0) > 0 then
  redis.call('SET', p .. ':out:' .. ARG.room, ARG.addr, 'PX', ARG.out_ms)
end
if redis.call('GET', rk) ~= ARG.value then return 0 end
redis.call('DEL', rk, p .. ':members:' .. ARG.room)
if ARG.ended == '1' then
  redis.call('DEL', p .. ':keep:' .. ARG.room, p .. ':keepv:' .. ARG.room)
end
entry_drop(p, ARG.room)
local k = p .. ':relay:' .. ARG.addr
if redis.call('EXISTS', k) == 1 then redis.call('HINCRBY', k, 'rooms', -1) end
return 1
