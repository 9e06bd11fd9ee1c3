-- list.lua: a page of the fleet's rooms, a pick of any, a free name, or a
-- sweep (fleet/directory.c's directory_list and directory_sweep).
-- ARG (fleet/script_args.h's FLEET_LIST_ARGS, in ARGV's order):
--   prefix      the fleet name (P, every key's prefix)
--   room_prefix the rooms' names start with it
--   after       '': from the first; else the rooms after this name
--   match       a JSON object of strings, '': any
--   page        entries to return
--   walk        names of P:roomidx to look at, at most
--   mode        'list', 'any', 'sweep' or 'free' (below)
-- then each pair of the match as the props' JSON prints it
-- ('"KEY":"VALUE"': an entry without them all is passed by before its
-- props are read). Mode:
--   'list'  the rooms under the room prefix after `after`, listed (not
--           unlisted) and whose props hold every key of match with an equal
--           value, in name order;
--   'any'   of those, the fullest open one with space (first by name of
--           equals), the walk ended by one with a single place left;
--   'sweep' none: only the entries whose holder is gone removed, whether
--           they would be listed or not (a heartbeat's share of the index);
--   'free'  the room prefix and the smallest number 1..9999 no entry names
--           (a room placed but not yet written may be named again: the
--           join goes there, as two joins racing for one new name do).
-- An entry whose holder is not the live relay (P:relay:ADDR's instance)
-- that claims the room (P:room:ROOM) is skipped and removed: a dead
-- relay's rooms leave the listing with its claims (the holder is checked
-- only for the entries that would be returned: the walk reads 128 names
-- and their entries at a time, a GET a room and one HGET a holder the
-- rest). Returns {text, code, last}: text the rooms, "ROOM MEMBERS
-- CAPACITY[ FLAGS][ {PROPS}]\n" each ('list': at most page; 'any': the one
-- picked or ''; 'free': the name or '' when every number is taken); code
-- 0: no room follows, 1: a room that matches follows the page ('list'), 2:
-- the walk stopped at its bound, ask again after last; last: the last name
-- looked at.
local p, pre, after, want = ARG.prefix, ARG.room_prefix, ARG.after, ARG.match
local page, walk, mode = tonumber(ARG.page), tonumber(ARG.walk), ARG.mode
local h = p .. ':rooms'
if mode == 'free' then
  for k = 1, 9999 do
    local name = pre .. k
    if redis.call('HEXISTS', h, name) == 0 then
      return {name, 0, ''}
    end
  end
  return {'', 0, ''}
end
local match
if want ~= '' then match = cjson.decode(want) end
local lo = '[' .. pre
if after ~= '' and after >= pre then lo = '(' .. after end
local hi = '+'
if pre ~= '' then hi = '[' .. pre .. '\255' end
local lives, out, best, bestm, last = {}, {}, '', -1, ''
local function live(a, inst)
  local k = a .. ' ' .. inst
  if lives[k] == nil then
    lives[k] = redis.call('HGET', p .. ':relay:' .. a, 'instance') == inst
  end
  return lives[k]
end
local function holds(v, room)
  local a, inst = string.match(v, '^(%S+) (%S+) ')
  local c = a and redis.call('GET', p .. ':room:' .. room)
  if not c then return false end
  local ca, ci = string.match(c, '^%d+ (%S+) %S+ (%S+)$')
  return ca == a and ci == inst and live(a, inst)
end
local function props_hold(tail)
  if not match then return true end
  for i = NARG + 1, #ARGV do
    if not string.find(tail, ARGV[i], 1, true) then return false end
  end
  local b, props = string.find(tail, '{', 1, true), {}
  if b then
    local ok, o = pcall(cjson.decode, string.sub(tail, b))
    if not ok or type(o) ~= 'table' then return false end
    props = o
  end
  for k, v in pairs(match) do
    if props[k] ~= v then return false end
  end
  return true
end
local walked = 0
while walked < walk do
  local want = math.min(128, walk - walked)
  local names = redis.call('ZRANGEBYLEX', p .. ':roomidx', lo, hi, 'LIMIT', 0, want)
  if #names == 0 then break end
  local vals = redis.call('HMGET', h, unpack(names))
  for k, room in ipairs(names) do
    last = room
    local v = vals[k]
    local m, c, tail, flags
    if v then m, c, tail = string.match(v, '^%S+ %S+ (%d+) (%d+)(.*)$') end
    if m then
      local b = string.find(tail, '{', 1, true)
      flags = b and string.sub(tail, 1, b - 1) or tail
    end
    if not m or (mode == 'sweep' and not holds(v, room)) then
      entry_drop(p, room)
    elseif mode == 'sweep' then
    elseif not string.find(flags, 'unlisted', 1, true) and props_hold(tail) then
      if not holds(v, room) then
        entry_drop(p, room)
      elseif mode == 'any' then
        m, c = tonumber(m), tonumber(c)
        if not string.find(flags, 'closed', 1, true) and m < c and m > bestm then
          best, bestm = room .. ' ' .. m .. ' ' .. c .. tail .. '\n', m
          if m + 1 == c then return {best, 0, room} end
        end
      else
        if #out == page then return {table.concat(out), 1, last} end
        out[#out + 1] = room .. ' ' .. m .. ' ' .. c .. tail .. '\n'
      end
    end
  end
  walked = walked + #names
  if #names < want then break end
  lo = '(' .. names[#names]
end
local code = 0
if walked == walk then code = 2 end
if mode ~= 'list' then return {best, code, last} end
return {table.concat(out), code, last}
