-- speed.lua: a speed limit on every state (bench/script_cost.sh). A
-- velocity past SPEED is scaled down to it, the state corrected so; the
-- bench's clients circle at 2 units a second, past the limit: every state
-- is read, checked and corrected, a state hook's most.
local SPEED = 1.5 -- units a second, at most

function on_state(room, member, state)
  local vx, vy = state.vx, state.vy
  local v = math.sqrt(vx * vx + vy * vy)
  if v > SPEED then
    return {vx = vx * SPEED / v, vy = vy * SPEED / v}
  end
end
