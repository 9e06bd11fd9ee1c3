-- events.lua: a script with an event hook only, the chat filter of
-- docs/scripts.md (bench/script_cost.sh): its states never enter the script.
function on_event(room, member, event)
  if event.key then return end -- kept events go on as they are
  if string.find(event.body, "spam") then return false end
  return member.name .. ": " .. event.body
end
