-- tictactoe.lua: a referee for tic-tac-toe. The first two players to join
-- play, X then O, for the room's life; the others watch. A member moves
-- with an event "move N" (N 1..9, the cells row by row); the room checks
-- it (its turn, a free cell) and says it to everyone ("X 5"), or tells
-- the mover why not ("refused: not your turn"). The room keeps, as its own
-- kept events, all a latecomer needs and all the referee needs to go on
-- after a restart or a move (docs/scripts.md, "Playing on after a restart
-- or a move"):
--   roles  "X=PLAYER,O=PLAYER"      who plays which (player ids: a player
--                                   who comes back has a new id, not a new one)
--   board  "X.O...... X"            the cells, then whose turn it is
--   score  "X=1,O=0,draw=0"
--   last   "X XXXO.O...", "draw ..." the game that ended last
-- Its rooms run it with ricochet-relay --script-dir examples/scripts and
-- --script-room PREFIX=tictactoe (or a room made with the prop
-- script=tictactoe).
local LINES = {{1, 2, 3}, {4, 5, 6}, {7, 8, 9}, {1, 4, 7}, {2, 5, 8}, {3, 6, 9},
               {1, 5, 9}, {3, 5, 7}}

local function other(mark) return mark == "X" and "O" or "X" end

local function keep_board(room)
  local g = room.store
  room:keep("board", table.concat(g.cells) .. " " .. g.turn)
end

local function keep_score(room)
  local s = room.store.score
  room:keep("score", string.format("X=%d,O=%d,draw=%d", s.X, s.O, s.draw))
end

-- A fresh board; first: who moves first.
local function new_game(room, first)
  local g = room.store
  g.cells, g.turn, g.first = {}, first, first
  for i = 1, 9 do g.cells[i] = "." end
  keep_board(room)
end

-- "k=v,k=v" as {k = v} (no patterns in the sandbox: string.find is plain).
local function fields(text)
  local t, at = {}, 1
  while at <= #text do
    local comma = string.find(text, ",", at, true) or #text + 1
    local part = string.sub(text, at, comma - 1)
    local eq = string.find(part, "=", 1, true)
    if eq then t[string.sub(part, 1, eq - 1)] = string.sub(part, eq + 1) end
    at = comma + 1
  end
  return t
end

-- The game as the room kept it, if it did (a restart, a move): the kept
-- events are the referee's memory; room.store starts empty.
local function restore(room)
  local g = room.store
  local roles = fields(room:kept("roles") or "")
  g.roles.X = roles.X ~= "" and roles.X or nil
  g.roles.O = roles.O ~= "" and roles.O or nil
  for mark, n in pairs(fields(room:kept("score") or "")) do g.score[mark] = tonumber(n) end
  local board = room:kept("board")
  if not board then return false end
  g.cells = {}
  for i = 1, 9 do g.cells[i] = board:sub(i, i) end
  g.turn = board:sub(11, 11)
  g.first = g.turn -- a restored game's first mover no longer matters but for the next
  return true
end

function on_room(room)
  room.store.roles = {}
  room.store.score = {X = 0, O = 0, draw = 0}
  if not restore(room) then new_game(room, "X") end
end

local function mark_of(room, player)
  local roles = room.store.roles
  if roles.X == player then return "X" end
  if roles.O == player then return "O" end
end

function on_join(room, member)
  local roles = room.store.roles
  if mark_of(room, member.player) then return end -- a player back
  if not roles.X then roles.X = member.player
  elseif not roles.O then roles.O = member.player
  else return end -- a watcher
  room:keep("roles", "X=" .. (roles.X or "") .. ",O=" .. (roles.O or ""))
end

local function winner(cells)
  for _, l in ipairs(LINES) do
    local a = cells[l[1]]
    if a ~= "." and a == cells[l[2]] and a == cells[l[3]] then return a end
  end
  for i = 1, 9 do if cells[i] == "." then return nil end end
  return "draw"
end

function on_event(room, member, event)
  if event.key then return false end -- the room keeps the game, nobody else
  local body = event.body
  local n = #body == 6 and string.sub(body, 1, 5) == "move " and
            tonumber(string.sub(body, 6)) or nil
  local mark, g = mark_of(room, member.player), room.store
  local why = not (n and n >= 1 and n <= 9 and n % 1 == 0) and "a move is \"move N\", N 1..9"
      or not mark and "you watch: two players play"
      or g.turn ~= mark and "not your turn"
      or g.cells[n] ~= "." and "cell " .. n .. " is taken"
  if why then
    room:send("refused: " .. why, member.id)
    return false
  end
  g.cells[n], g.turn = mark, other(mark)
  room:send(mark .. " " .. n)
  local won = winner(g.cells)
  if not won then
    keep_board(room)
    return false
  end
  g.score[won] = g.score[won] + 1
  room:keep("last", won .. " " .. table.concat(g.cells))
  keep_score(room)
  room:send(won == "draw" and "a draw" or won .. " wins")
  new_game(room, other(g.first))
  return false
end
