-- keep.lua: publish a held room's members and record (fleet/directory.c's
-- directory_keep: what the holder of a room writes of it when it changes).
-- ARG (fleet/script_args.h's FLEET_KEEP_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   room        the room
--   value       the claim value held
--   keep_ms     how long the members and the record outlive this write
--   record      the room's record ('-': as written before)
-- then the player ids of its members (FLEET_KEEP_MEMBERS at most).
-- Its members (P:members:ROOM, replaced: whose report of the holder lost
-- counts, and who take their places back on its next holder) and its
-- record (P:keep:ROOM: what a new holder applies), both for keep ms: they
-- outlive the claim, for the room's next holder. Only while the claim is still that value (a relay that
-- lost the room writes nothing). Returns 1 if written, 0 if not held.
local p, room = ARG.prefix, ARG.room
if redis.call('GET', p .. ':room:' .. room) ~= ARG.value then return 0 end
local mk = p .. ':members:' .. room
redis.call('DEL', mk)
for i = NARG + 1, #ARGV do redis.call('SADD', mk, ARGV[i]) end
if #ARGV > NARG then redis.call('PEXPIRE', mk, ARG.keep_ms) end
if ARG.record ~= '-' then
  redis.call('SET', p .. ':keep:' .. room, ARG.record, 'PX', ARG.keep_ms)
end
return 1
