-- tag.lua: tag's rules on the relay: a speed limit, and who is "it".
-- A state further from the member's last one than its time allows (a
-- teleport, a speed hack; its time by its own clock, held to the relay's:
-- a clock run fast gains nothing) is corrected to the furthest it could have gone,
-- and the room says so to every member ("fix ID X Y": the member's id, where
-- the room put it), its player too, which goes on from there;
-- "it" is the room's (a kept event "it": the member's id), passed to the
-- first member "it" comes within TAG of, at most once a second, and to
-- another member when "it" leaves. Ids are a relay's: the room keeps its
-- player id too ("it.player"), so that after a relay's restart with
-- --room-file or a fleet's move, when the room's ids are new, "it" is the
-- same player again once it is back (someone else if it is not back within
-- AWAY ms). Run it with ricochet-relay --script-dir examples/scripts and a
-- room made with the prop script=tag.
local SPEED = 40  -- arena units a second, at most (the tag page runs at 25)
local SLACK = 2   -- what a state may be ahead of its time (jitter)
local TAG = 3     -- closer than this, "it" passes
local AGAIN = 1000 -- ms before "it" may pass again
local AWAY = 5000  -- ms a restored room waits for its "it" to come back
local LEAD = 250000 -- µs a member's clock may gain on the relay's (jitter), at most

-- member (or nobody) is "it".
local function make_it(room, member)
  local s = room.store
  s.it, s.since, s.it_player = member and member.id, room:now(), nil
  if member then
    room:keep("it", tostring(member.id))
    room:keep("it.player", member.player)
  else
    room:clear("it")
    room:clear("it.player")
  end
end

function on_room(room)
  -- A restored room: its "it" was a player with an id of another relay's.
  local player = room:kept("it.player")
  if not player then return end
  room.store.it_player = player
  room:clear("it")
  room:after(AWAY, function(room)
    local first = room:members()[1]
    if not room.store.it then
      room.store.it_player = nil
      if first then make_it(room, first) end
    end
  end)
end

function on_join(room, member)
  local s = room.store
  if not s.it and (not s.it_player or s.it_player == member.player) then make_it(room, member) end
end

function on_leave(room, member)
  if room.store.clocks then room.store.clocks[member.id] = nil end
  if room.store.it == member.id then
    local others = room:members()
    make_it(room, others[1])
  end
end

-- The member's clock at its state, never run further ahead of where it
-- was at its first state than the relay's own clock has run since (and
-- LEAD): a clock stamped fast buys no speed.
local function clock_of(room, member, t)
  room.store.clocks = room.store.clocks or {}
  local now, c = room:now() * 1000, room.store.clocks[member.id]
  if not c then
    c = {t0 = t, at = now}
    room.store.clocks[member.id] = c
  end
  return c, math.min(t, c.t0 + (now - c.at) + LEAD)
end

function on_state(room, member, state)
  local fix
  local c, t = clock_of(room, member, state.t)
  if member.x and c.last then -- its last state: the step from there
    local dt = math.max((t - c.last) / 1e6, 0)
    local dx, dy = state.x - member.x, state.y - member.y
    local far, most = math.sqrt(dx * dx + dy * dy), SPEED * dt + SLACK
    if far > most then
      fix = {x = member.x + dx * most / far, y = member.y + dy * most / far}
      state.x, state.y = fix.x, fix.y
      room:send(string.format("fix %d %.2f %.2f", member.id, fix.x, fix.y))
    end
  end
  if room.store.it == member.id and room:now() - room.store.since >= AGAIN then
    for _, other in ipairs(room:members()) do
      local dx, dy = (other.x or 1e9) - state.x, (other.y or 1e9) - state.y
      if other.id ~= member.id and dx * dx + dy * dy < TAG * TAG then
        make_it(room, other)
        break
      end
    end
  end
  c.last = t
  return fix
end
