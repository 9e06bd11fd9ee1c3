#!/bin/sh
# bench/payload.sh BIN OUT [REPEATS]: what a state's payload costs
# (`make bench-payload`, into build/bench-results/payload/; about 8
# minutes), every delivered payload checked (--payload-check):
#   results.json  64 clients in one room at 20 Hz, the relay's default 2 ms
#                 tick (its batches), ENet unsequenced, plain udp and a
#                 WebSocket, states of 40, 104, 296 and 1064 bytes (payloads
#                 of 0, 64, 256 and 1024) side by side in one sweep, REPEATS
#                 runs each (medians with min-max): the relay's CPU per
#                 delivered state and the bytes on the wire per delivered
#                 state
#   world.json    a world of 256 (radius 50 on a 506 field, its 50 ms tick:
#                 one batch a tick, each sender's newest state, the older
#                 ones conflated) at each payload, REPEATS rounds
#   machine.txt   the machine and its floor (bench/machine.sh), which
#                 every JSON record carries too (--floor)
# docs/tables/doctables.sh's payload and payload_world tables read them.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/payload}
reps=${3:-3}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "payload.sh: $bench not found (run make first)" >&2; exit 2; }
command -v jq >/dev/null || { echo "payload.sh: needs jq (apt-get install jq)" >&2; exit 2; }
mkdir -p "$out"
rm -f "$out"/*.json
here=$(dirname "$0")
sizes="40 104 296 1064"

floor=$("$here/machine.sh" "$bin" "$out")
"$bench" --quiet --floor "$floor" --clients 64 --rate 20 --duration 5 --modes unsequenced,udp,ws \
    --sweep "payload=$(echo $sizes | tr ' ' ,)" --payload-check --repeat "$reps" \
    --json-file "$out/results.json" >/dev/null

i=1
while [ "$i" -le "$reps" ]; do
    for p in $sizes; do
        "$bench" --quiet --floor "$floor" --aoi 50 --field 506 --clients 256 --rate 20 --duration 5 \
            --modes unsequenced --payload "$p" --payload-check --setup-timeout 120 \
            --json-file "$out/world-$p.$i.json" >/dev/null
    done
    i=$((i + 1))
done
# One file of the world runs: each run's world with its round.
for f in "$out"/world-*.json; do
    round=${f%.json}
    round=${round##*.}
    jq --argjson round "$round" '{command, date, world: (.worlds[0] + {round: $round})}' "$f"
done | jq -s '{command: (.[0].command | sub("--payload [0-9]+"; "--payload P")),
               date: (map(.date) | min), runs: map(.world)}' > "$out/world.json"
rm -f "$out"/world-*.json
RICOCHET_RESULTS=$(dirname "$out") "$here/../docs/tables/doctables.sh" payload
RICOCHET_RESULTS=$(dirname "$out") "$here/../docs/tables/doctables.sh" payload_world
