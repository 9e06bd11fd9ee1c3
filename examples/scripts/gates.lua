-- gates.lua: the gates game's rules on the relay (client/examples/gates.c,
-- the gates page): eight gates on a ring; a gate opens once, to the first
-- member whose state touches it in the relay's order, and is that player's
-- for the room's life. The room keeps each gate opened, in the bytes the
-- gates clients read (a kept event "gN.PLAYER": version 1, kind 1, N, the
-- name's length, the name), and the score ("score": name=gates,...), so a
-- latecomer learns both from the relay. A member's own claims are refused:
-- the room decides. A round: from the room's first join, ROUND seconds (the
-- kept "clock": the seconds left, each second), over when every gate is
-- open or the time is up; the room then keeps "winner": NAME=N, the most
-- gates, a tie the first to reach that many ("=0": no gate opened), and no
-- gate opens after. The kept events are the round's memory too: a room
-- made again from its record (a relay's restart with --room-file, a fleet's
-- move) reads them back at its start, and the round goes on where it was
-- (docs/scripts.md, "Playing on after a restart or a move"). Run it with
-- ricochet-relay --script-dir examples/scripts and a room made with the prop
-- script=gates.
local GATES, RING, TOUCH = 8, 35, 4
local ROUND = 300 -- seconds

local function gate_at(i)
  local a = i * 2 * math.pi / GATES
  return 50 + RING * math.cos(a), 50 + RING * math.sin(a)
end

local function score_line(score)
  local names = {}
  for name in pairs(score) do names[#names + 1] = name end
  table.sort(names)
  local parts = {}
  for _, name in ipairs(names) do parts[#parts + 1] = name .. "=" .. score[name] end
  return table.concat(parts, ",")
end

local function clock(room)
  local left = math.max(0, math.ceil((room.store.ends - room:now()) / 1000))
  if left ~= room.store.left then
    room.store.left = left
    room:keep("clock", tostring(left))
  end
  return left
end

local function round_over(room)
  room.store.over = true
  room:tick_every(0)
  local s = room.store
  room:keep("winner", (s.leader or "") .. "=" .. (s.leader and s.score[s.leader] or 0))
end

-- One more gate to name: the score, and the leader (a tie stays the first's).
local function count(s, name)
  s.score[name] = (s.score[name] or 0) + 1
  if not s.leader or s.score[name] > s.score[s.leader] then s.leader = name end
  s.open = s.open + 1
end

function on_room(room)
  local s = room.store
  s.opened = {} -- gate -> the player it opened to
  s.score = {}  -- name -> gates opened
  s.open = 0    -- gates opened
  local left = ROUND
  for _, k in ipairs(room:kept()) do -- a restored room's round, in the order it was kept
    local dot = string.find(k.key, ".", 1, true)
    if k.room and k.key:sub(1, 1) == "g" and dot then -- "gN.PLAYER": gate N, opened
      s.opened[tonumber(k.key:sub(2, dot - 1))] = k.key:sub(dot + 1)
      count(s, k.body:sub(5))
    elseif k.room and k.key == "clock" then
      left = tonumber(k.body) or ROUND
    elseif k.room and k.key == "winner" then
      s.over = true
    end
  end
  s.ends = room:now() + left * 1000
  clock(room)
  if not s.over then room:tick_every(1000) end
end

function on_tick(room, now)
  if not room.store.over and clock(room) == 0 then round_over(room) end
end

function on_event(room, member, event)
  if event.key and event.key:sub(1, 1) == "g" then
    return false -- a gate is the room's to give
  end
end

function on_state(room, member, state)
  local opened = room.store.opened
  if room.store.over then return end
  for i = 0, GATES - 1 do
    local gx, gy = gate_at(i)
    local dx, dy = state.x - gx, state.y - gy
    if not opened[i] and dx * dx + dy * dy <= TOUCH * TOUCH then
      opened[i] = member.player
      room:keep("g" .. i .. "." .. member.player,
                string.char(1, 1, i, #member.name) .. member.name)
      local s = room.store
      count(s, member.name)
      room:keep("score", score_line(s.score))
      if s.open == GATES then return round_over(room) end
    end
  end
end
