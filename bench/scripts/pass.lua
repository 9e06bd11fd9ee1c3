-- pass.lua: a state hook that lets every state pass as it came
-- (bench/script_cost.sh): what crossing into the script costs, nothing more.
function on_state(room, member, state)
end
