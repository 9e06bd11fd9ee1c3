-- entry.lua: the rooms' entries (P:rooms, P:roomidx), put before the
-- scripts that change them by the build. entry_drop(p, room): the entry
-- gone from both.
local function entry_drop(p, room)
  redis.call('HDEL', p .. ':rooms', room)
  redis.call('ZREM', p .. ':roomidx', room)
end
