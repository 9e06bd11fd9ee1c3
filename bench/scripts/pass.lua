-- pass.lua (bench/script_cost.sh): a state hook that lets every state
-- pass as it came: what crossing into the script costs, nothing more.
function on_state(room, member, state)
end
