-- bindings.lua: the room script every binding's own tests play against
-- (libricochet's in tests/test_e2e_scripts.c, client/js/test/scripts.test.js,
-- client/python/tests/test_scripts.py, client/csharp/tests/ScriptTest.cs):
-- a join named "banned" is refused with a reason; every join admitted the
-- room says to the members already in ("hello NAME", from the room's
-- sender); and the room keeps "score", the joins it admitted, which no
-- member may replace or clear (not_owner), a latecomer reading it after its
-- welcome. A room runs it with the prop script=bindings, on a relay with
-- --script-dir tests/scripts.
function on_room(room)
  room.store.joins = 0
end

function on_join(room, member)
  if member.name == "banned" then
    return false, "no entry for " .. member.name
  end
  room:send("hello " .. member.name)
  room.store.joins = room.store.joins + 1
  room:keep("score", tostring(room.store.joins))
end
