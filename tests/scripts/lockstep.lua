-- lockstep.lua: a lockstep room's referee (docs/scripts.md, on_input), as
-- tests/test_e2e_lockstep.c plays against it: an input whose first byte is
-- 255 is refused (the slot's stand-in goes in its frame), one whose first
-- byte is 2 is rewritten to 3, the rest go as they came. A room runs it
-- with the prop script=lockstep, on a relay with --script-dir tests/scripts.
function on_input(room, member, input)
  local b = string.byte(input.data, 1)
  if b == 255 then
    return false
  end
  if b == 2 then
    return string.char(3) .. string.sub(input.data, 2)
  end
end
