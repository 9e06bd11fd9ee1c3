-- place.lua: find or claim a room. This is where the fleet decides which
-- relay holds a room: atomically inside Redis, so "look, then claim" cannot
-- interleave with another relay's claim and racing joins land on one relay
-- (fleet/directory.c's directory_place calls it; the relay's loop only
-- caches its answers, fleet/placement.c).
-- ARG (fleet/script_args.h's FLEET_PLACE_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   room        the room
--   asker       the asking relay's address
--   ttl_ms      a claim's TTL
--   floor       the asker's high-water mark: epochs go above it
--   suspect     '0' or '1': a client of the room lost its holder
--   stale_ms    a relay whose heartbeats stopped this long is stale
--   lost        the relay that client named lost ('' none)
--   out_ms      the keep-out
--   reporter    the reporter's player id ('' none: no key, no evidence)
--   restore_ms  how long after the directory was away (P:up) a room nobody
--               holds and with no record waits, on a report, for its last
--               holder to restore its record
-- REPLY (fleet/script_args.h's FLEET_PLACE_REPLIES, in the reply's order):
--   status      'held': the claim of a live holder (renewed for the TTL when
--               the holder asks: it starts a whole lease from this answer);
--               with suspect, a holder that beat within the last half of
--               `stale` (while the directory answered), unless the report
--               named it (below);
--               'placed': a new claim (SET NX; XX over a dead holder's
--               claim, or with suspect over a holder stale for `stale` while
--               the directory answered, or over a holder that beat within
--               that half, which the report named, when the reporter is one
--               of the room's members as the holder published them
--               (P:members:ROOM) and no P:out:ROOM is set: a room moves on a
--               report at most once per out ms, that holder then kept out of
--               it for out ms and placed on last for any room as long
--               (P:shun:ADDR); it hears of it at its next heartbeat) on the
--               relay pick() chose (none: a named holder keeps the room);
--               'wait': suspect, and the holder's heartbeats are overdue but
--               not stale yet, or nobody holds the room, the directory keeps
--               no record of it and came back less than restore_ms ago (its
--               last holder may be about to restore it): ask again in
--               wait_ms;
--               'none': no relay can take the room (why says which limit);
--               'full': Redis is past its maxmemory: no new claim (a held
--               room is answered as ever)
--   claim       held, placed: the claim's value
--   wait_ms     wait: how long until the holder is stale
--   kept_out    the relay kept out of the room (P:out:ROOM: a release whose
--               room's last member was dropped, or a report), '' if none
--   record      the room's record (P:keep:ROOM) when the claim answered is
--               the asker's, which applies it before any join of the room;
--               '' otherwise or none
--   version     with the record, its version (P:keepv:ROOM; '' none kept):
--               the asker's next version of it goes above
--   members     with the record, the player ids its last holder published
--               (space-separated): they take their places back in it,
--               closed or not
--   refused     '1' when the report named a holder that beats but its
--               reporter is no member of the room (a stranger: taken as a
--               plain join), else '0'
--   why         none: 'records' if a relay that could have taken the room
--               is full of records, 'clients' if one is full of clients, ''
--               if none is registered; full: 'maxmemory'
local p, rk, asker = ARG.prefix, ARG.prefix .. ':room:' .. ARG.room, ARG.asker
local ttl, floor, stale = ARG.ttl_ms, tonumber(ARG.floor), tonumber(ARG.stale_ms)
local ok = p .. ':out:' .. ARG.room
local kk = p .. ':keep:' .. ARG.room
local now = now_ms()
-- pulse's write is the script's first that adds data: Redis past its
-- maxmemory refuses it, and nothing is written then (oom: no new claim)
local live, up = pcall(pulse, p, now, stale)
local oom = not live
if oom then up = tonumber(redis.call('GET', p .. ':up')) or now end
local cur = redis.call('GET', rk)
local exclude, named, refused, why = '', false, '0', ''
local function answer(st, v, out)
  local mine = v ~= '' and string.match(v, '^%d+ (%S+) ') == asker
  local rec = mine and redis.call('GET', kk) or ''
  local ids = rec ~= '' and redis.call('SMEMBERS', p .. ':members:' .. ARG.room) or {}
  local ver = rec ~= '' and redis.call('GET', p .. ':keepv:' .. ARG.room) or ''
  return REPLY{status = st, claim = v, kept_out = out, record = rec, version = ver,
               members = table.concat(ids, ' '), refused = refused, why = why}
end
-- Does lost, the HOST:PORT a client reached the relay it lost at, name
-- holder, the claim v's ADDR? Its advertised address, or the same host and
-- the port of one of its edges (v's TRANSPORT: 'enet,ws:7780,poll:7781'), as
-- a WebSocket or polling client reaches it.
local function names(v, holder, lost)
  if lost == holder then return true end
  local host, edges = string.match(holder, '^(.*):%d+$'), string.match(v, '^%d+ %S+ (%S+)')
  for port in string.gmatch(edges or '', ':(%d+)') do
    if host and lost == host .. ':' .. port then return true end
  end
  return false
end
if cur and alive(p, cur) then
  local holder = string.match(cur, '^%d+ (%S+) ')
  if holder == asker then redis.call('PEXPIRE', rk, ttl) end
  if holder == asker or ARG.suspect ~= '1' then return answer('held', cur) end
  local beat = tonumber(redis.call('HGET', p .. ':relay:' .. holder, 'beat')) or now
  local quiet = now - math.max(beat, up)
  named = quiet * 2 < stale and names(cur, holder, ARG.lost) and
          redis.call('EXISTS', ok) == 0
  if named and (ARG.reporter == '' or
                redis.call('SISMEMBER', p .. ':members:' .. ARG.room, ARG.reporter) == 0) then
    named, refused = false, '1' -- a stranger's report moves nothing
  end
  if quiet * 2 < stale and not named then return answer('held', cur) end
  if quiet < stale and not named then
    return REPLY{status = 'wait', wait_ms = string.format('%d', stale - quiet),
                 refused = refused}
  end
  exclude = holder
end
if ARG.suspect == '1' and exclude == '' and now - up < tonumber(ARG.restore_ms) and
   redis.call('EXISTS', kk) == 0 then
  return REPLY{status = 'wait', wait_ms = string.format('%d', ARG.restore_ms - (now - up))}
end
if oom then
  if exclude ~= '' then return answer('held', cur) end
  why = 'maxmemory'
  return answer('full', '')
end
local out = redis.call('GET', ok) or ''
local v
v, why = pick(p, asker, exclude, out, floor, cutoff(now, up, stale))
if not v and named then return answer('held', cur) end
if not v then return answer('none', '', out) end
if named then
  redis.call('SET', ok, exclude, 'PX', ARG.out_ms)
  redis.call('SET', p .. ':shun:' .. exclude, '1', 'PX', ARG.out_ms)
  out = exclude
end
redis.call('SET', rk, v, cur and 'XX' or 'NX', 'PX', ttl)
return answer('placed', v, out)
