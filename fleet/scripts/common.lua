-- common.lua: the functions the scripts that place rooms share, put before
-- each of them by the build (the Makefile's fleet_lua_parts_NAME).
-- alive(p, v): does the relay named in claim value v still run as the same
-- instance (its hash exists and names that instance)? raise_epoch(p, floor):
-- the counter raised to floor (the asking relay's high-water mark: the
-- highest epoch it has seen, so epochs keep growing even after Redis lost
-- the counter); next_epoch(p, floor): the next epoch, above floor. now_ms():
-- Redis's clock (TIME), ms: every time the directory compares is its own.
-- pulse(p, now, stale): the directory is answering now (P:pulse); a gap
-- since the last call longer than two thirds of stale (two heartbeats)
-- starts a new run of service (P:up, returned). cutoff(now, up, stale): a
-- relay whose last heartbeat (its hash's beat) is older than this is stale;
-- -1 (none is) until the directory has answered for stale itself, so a
-- Redis that was paused or failed over finds nobody stale at once.
-- pick(p, asker, exclude, out, floor, cut): the live relay, not stale, not
-- draining, not full (its clients at its capacity, or its rooms' records at
-- its budget), not `exclude` nor `out`, with the fewest rooms for its
-- capacity (ties go to `asker`); a relay placed on last (P:shun:ADDR: a
-- report moved a room off it, or its clients were all dropped at once) only
-- when no other can take the room; takes the next epoch, counts the room on
-- that relay and returns the new claim value; or nil and why none can take
-- it: 'records' if a relay that could have was full of records, 'clients' if
-- one was full of clients, '' if none was there to ask.
-- replicate_commands: what a script writes is replicated as its effects, so
-- it may read TIME first (Redis 7 always does; 5 and 6 need asking).
redis.replicate_commands()
local function alive(p, v)
  local _, a, _, i = string.match(v, '^(%d+) (%S+) (%S+) (%S+)$')
  return a ~= nil and redis.call('HGET', p .. ':relay:' .. a, 'instance') == i
end
local function raise_epoch(p, floor)
  if (tonumber(redis.call('GET', p .. ':epoch')) or 0) < floor then
    redis.call('SET', p .. ':epoch', string.format('%d', floor))
  end
end
local function next_epoch(p, floor)
  raise_epoch(p, floor)
  return redis.call('INCR', p .. ':epoch')
end
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end
local function pulse(p, now, stale)
  local last = tonumber(redis.call('GET', p .. ':pulse')) or 0
  local up = tonumber(redis.call('GET', p .. ':up')) or now
  if now - last > stale * 2 / 3 then
    up = now
    redis.call('SET', p .. ':up', string.format('%d', up))
  end
  redis.call('SET', p .. ':pulse', string.format('%d', now))
  return up
end
local function cutoff(now, up, stale)
  if now - up < stale then return -1 end
  return now - stale
end
local function pick(p, asker, exclude, out, floor, cut)
  local best, bscore, binst, btr
  local why = ''
  for _, a in ipairs(redis.call('SMEMBERS', p .. ':relays')) do
    local h = redis.call('HMGET', p .. ':relay:' .. a, 'instance', 'transport',
                         'capacity', 'rooms', 'clients', 'draining', 'beat', 'full')
    local could = h[1] and a ~= exclude and a ~= out and h[6] ~= '1' and
                  (tonumber(h[7]) or cut) >= cut
    if could and h[8] == '1' then
      why = 'records'
    elseif could and tonumber(h[5]) >= tonumber(h[3]) and why == '' then
      why = 'clients'
    end
    if not h[1] then
      redis.call('SREM', p .. ':relays', a)
    elseif could and h[8] ~= '1' and tonumber(h[5]) < tonumber(h[3]) then
      local score = tonumber(h[4]) / tonumber(h[3])
      if redis.call('EXISTS', p .. ':shun:' .. a) == 1 then
        score = score + 2
      end
      if not best or score < bscore or (score == bscore and a == asker) then
        best, bscore, binst, btr = a, score, h[1], h[2]
      end
    end
  end
  if not best then return nil, why end
  local e = next_epoch(p, floor)
  redis.call('HINCRBY', p .. ':relay:' .. best, 'rooms', 1)
  return e .. ' ' .. best .. ' ' .. btr .. ' ' .. binst
end
