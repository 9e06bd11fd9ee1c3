-- heartbeat.lua: register this relay and renew its claims
-- (fleet/directory.c's directory_heartbeat, in calls of at most 256 claims).
-- ARG (fleet/script_args.h's FLEET_HEARTBEAT_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   addr        this relay's address
--   ttl_ms      a claim's TTL, and the relay's hash's
--   instance    this relay's run
--   transport   its edges ("enet" or "enet,udp:7778")
--   capacity    the most rooms it takes
--   rooms       the rooms it holds
--   clients     its clients
--   draining    '0' or '1' (it takes no new rooms)
--   full        '0' or '1': its rooms' records fill its budget (it takes no
--               new rooms)
--   floor       its high-water mark: epochs go above it
--   stale_ms    a relay whose heartbeats stopped this long is stale
--   listing     this relay's rooms, as an older relay published them: ''
--               now; '-': as the call before published, for a heartbeat's
--               later calls
--   most        bytes of the other relays' listings to return; 0: none
--   shun_ms     its clients were all dropped at once: placed on last
--               (P:shun:ADDR) for this long unless it is already for
--               longer; 0: no
--   keep_ms     how long a room's record (P:keep:ROOM) outlives its last
--               renewal
-- then pairs of room and the claim value this relay holds.
-- Registers the relay (hash with its beat, Redis's time now; TTL; index),
-- then renews each claim whose value is unchanged, with the room's members
-- and record (P:members:ROOM, P:keep:ROOM and its version P:keepv:ROOM, for
-- keep ms: they outlive the claim, for the room's next holder). Its first
-- write renews the relay's hash, which adds nothing: a Redis past its
-- maxmemory refuses a script only at a first write that adds data (one that
-- has written goes on), so a registered relay's heartbeat is never refused
-- and its rooms play on in a full directory.
-- Returns {renewals, listings}: renewals a flat array of triples for the
-- other claims: room, 'lost' and the live holder's value; or room,
-- 'reclaimed' and a new value (the claim had expired or its later holder
-- is gone: nobody holds it, so the epoch moves on and this relay keeps it);
-- listings the other registered relays' listings, those that fit in `most`
-- bytes. The epoch counter is first raised to the floor (the relay's
-- high-water mark, at least the highest epoch it holds), so epochs keep
-- growing even after Redis lost its data.
local p, me, ttl = ARG.prefix, ARG.addr, ARG.ttl_ms
local k = p .. ':relay:' .. me
redis.call('PEXPIRE', k, ttl)
local now = now_ms()
pulse(p, now, tonumber(ARG.stale_ms))
redis.call('HSET', k, 'instance', ARG.instance, 'transport', ARG.transport,
           'capacity', ARG.capacity, 'rooms', ARG.rooms, 'clients', ARG.clients,
           'draining', ARG.draining, 'full', ARG.full, 'beat', string.format('%d', now))
if ARG.listing ~= '-' then redis.call('HSET', k, 'listing', ARG.listing) end
redis.call('PEXPIRE', k, ttl)
local sk, shun = p .. ':shun:' .. me, tonumber(ARG.shun_ms)
if shun > 0 and redis.call('PTTL', sk) < shun then
  redis.call('SET', sk, '1', 'PX', ARG.shun_ms)
end
redis.call('SADD', p .. ':relays', me)
local floor = tonumber(ARG.floor)
for i = NARG + 2, #ARGV, 2 do
  floor = math.max(floor, tonumber(string.match(ARGV[i], '^%d+')) or 0)
end
raise_epoch(p, floor)
local out = {}
local function renew(room) -- its members and record outlive the claim, for its next holder
  redis.call('PEXPIRE', p .. ':members:' .. room, ARG.keep_ms)
  redis.call('PEXPIRE', p .. ':keep:' .. room, ARG.keep_ms)
  redis.call('PEXPIRE', p .. ':keepv:' .. room, ARG.keep_ms)
end
for i = NARG + 1, #ARGV - 1, 2 do
  local rk = p .. ':room:' .. ARGV[i]
  local cur = redis.call('GET', rk)
  if cur == ARGV[i + 1] then
    redis.call('PEXPIRE', rk, ttl)
    renew(ARGV[i])
  elseif cur and alive(p, cur) then
    out[#out + 1] = ARGV[i]; out[#out + 1] = 'lost'; out[#out + 1] = cur
  else
    local v = next_epoch(p, floor) .. ' ' .. me .. ' ' .. ARG.transport ..
              ' ' .. ARG.instance
    redis.call('SET', rk, v, 'PX', ttl)
    renew(ARGV[i])
    out[#out + 1] = ARGV[i]; out[#out + 1] = 'reclaimed'; out[#out + 1] = v
  end
end
local lists, left = {}, tonumber(ARG.most)
if left > 0 then
  for _, a in ipairs(redis.call('SMEMBERS', p .. ':relays')) do
    local l = a ~= me and redis.call('HGET', p .. ':relay:' .. a, 'listing')
    if l and #l <= left then
      lists[#lists + 1] = l; left = left - #l
    end
  end
end
return {out, lists}
