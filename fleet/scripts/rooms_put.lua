-- rooms_put.lua: write or remove this relay's rooms' entries
-- (fleet/directory.c's directory_rooms_put, in calls of at most 256).
-- ARG (fleet/script_args.h's FLEET_ROOMS_PUT_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   addr        the writer's address
--   instance    the writer's run
-- then pairs of room and its entry as fleet_room_entry_format writes it
-- ("MEMBERS CAPACITY[ FLAGS][ {PROPS}]"; '': the room is gone from the
-- writer). An entry is written (P:rooms: "ADDR INSTANCE " before it;
-- P:roomidx) only while the writer's claim of the room stands, so a relay
-- that lost a room never overwrites its new holder's; a removal takes only
-- the writer's own entry. Returns how many entries were not written (their
-- claim is not the writer's).
local p, me = ARG.prefix, ARG.addr .. ' ' .. ARG.instance
local h, skipped = p .. ':rooms', 0
for i = NARG + 1, #ARGV - 1, 2 do
  local room, v = ARGV[i], ARGV[i + 1]
  if v == '' then
    local cur = redis.call('HGET', h, room)
    if cur and string.sub(cur, 1, #me + 1) == me .. ' ' then entry_drop(p, room) end
  else
    local c, a, inst = redis.call('GET', p .. ':room:' .. room)
    if c then a, inst = string.match(c, '^%d+ (%S+) %S+ (%S+)$') end
    if a and a .. ' ' .. inst == me then
      redis.call('HSET', h, room, me .. ' ' .. v)
      redis.call('ZADD', p .. ':roomidx', 0, room)
    else
      skipped = skipped + 1
    end
  end
end
return skipped
