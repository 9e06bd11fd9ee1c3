-- keep.lua: publish a room's members and record (fleet/directory.c's
-- directory_keep: what the holder of a room writes of it when it changes,
-- all of it again on a new connection, and what a relay that let a room go
-- while the directory was away restores when it answers again).
-- ARG (fleet/script_args.h's FLEET_KEEP_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   room        the room
--   value       the claim value held (or last held)
--   keep_ms     how long the members and the record outlive this write
--   record      the room's record ('-': as written before)
--   version     the record's version, raised by its holder at each change
--   restore     '1': written also where the room's claim is gone or its
--               holder dead (Redis restarted empty, a failover lost the
--               claim, or the relay let the room go), '0': only while the
--               claim is still exactly value
-- then the player ids of its members (FLEET_KEEP_MEMBERS at most).
-- Its record (P:keep:ROOM, what a new holder applies) and version
-- (P:keepv:ROOM), for keep ms, unless the version kept there is as new or
-- newer (a fence: a write never replaces a newer record with an older
-- one); its members (P:members:ROOM, replaced: whose report of the holder
-- lost counts, and who take their places back on its next holder) for keep
-- ms: they outlive the claim, for the room's next holder. A restore writes
-- both or neither. The record is the first write, so a Redis past its
-- maxmemory refuses it before anything is written (a script that has
-- written goes on past the limit).
-- Returns 1 written; 2 members written, the record not (a newer is kept);
-- 0 nothing (the claim is another relay's, or a restore found a newer
-- record); 3 nothing (Redis is past its maxmemory).
local p, room = ARG.prefix, ARG.room
local rk, kk, vk = p .. ':room:' .. room, p .. ':keep:' .. room, p .. ':keepv:' .. room
local cur = redis.call('GET', rk)
local ours = cur == ARG.value
if not ours and not (ARG.restore == '1' and (not cur or not alive(p, cur))) then
  return 0
end
local kept = tonumber(redis.call('GET', vk))
local older = kept ~= nil and redis.call('EXISTS', kk) == 1 and kept >= tonumber(ARG.version)
if not ours and (older or ARG.record == '-') then return 0 end
if ARG.record ~= '-' and not older then
  local ok, e = pcall(redis.call, 'SET', kk, ARG.record, 'PX', ARG.keep_ms)
  if not ok and string.find(tostring(type(e) == 'table' and e.err or e), 'OOM') then
    return 3
  end
  if not ok then error(e) end
  redis.call('SET', vk, ARG.version, 'PX', ARG.keep_ms)
end
local mk = p .. ':members:' .. room
redis.call('DEL', mk)
for i = NARG + 1, #ARGV do redis.call('SADD', mk, ARGV[i]) end
if #ARGV > NARG then redis.call('PEXPIRE', mk, ARG.keep_ms) end
if ARG.record ~= '-' and older then return 2 end
return 1
