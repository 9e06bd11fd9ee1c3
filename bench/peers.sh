#!/bin/sh
# bench/peers.sh BIN OUT [ROUNDS]: ricochet-relay beside other servers under
# one workload (`make bench-peers` into build/bench-results/peers/,
# `make bench-peers-reference` into the committed bench/results/peers/):
# rooms of 8 clients at 10 Hz, 40-byte states sent at intended times, one
# generator process, a 3 s window after 2 s of warm-up, 1 s of grace.
# ROUNDS (3) rounds, each: the floor (bench/machine.sh), then for every
# client count in $CLIENTS ("1000 2000") every server in $SERVERS in turn:
#   ricochet        ricochet-bench --modes unsequenced: ENet, the default tick
#   ricochet-ws     ricochet-bench --modes ws: the relay's WebSocket edge, the
#                   default tick, libricochet's ws clients
#   colyseus-relay  Colyseus 0.16's RelayRoom over its WebSocket transport,
#                   colyseus.js clients (bench/peers/colyseus/colyseus_bench.js)
#   colyseus-state  a Colyseus schema-state room, patched every 50 ms
#   colyseus18-relay, colyseus18-state
#                   the same two on Colyseus 0.18 with @colyseus/sdk clients
#                   (bench/peers/colyseus-0.18's packages, the same scripts)
#   reference       ricochet-bench --modes reference: the reference relay,
#                   the yardstick (bench/reference/), plain UDP
# Writes OUT/machine.txt, OUT/runs/ (each run's JSON record, with its round
# and that round's floor, floor_dgrams_per_s and floor_us_per_dgram; beside
# the reference's run of the same round and count, its cost,
# reference_us_per_delivery, and the multiple of it, x_reference),
# OUT/runs.json (all of them) and OUT/summary.txt:
# per count and server the medians with min-max over the rounds
# (docs/tables/doctables.sh peers), and with both ricochet servers the
# WebSocket edge's cost over ENet's within each round (docs/tables/doctables.sh ws_cost;
# make bench-ws-cost: SERVERS="ricochet ricochet-ws" CLIENTS=1000). The Colyseus runs need Node 20 or later and
# the packages of bench/peers/colyseus/package-lock.json and of
# bench/peers/colyseus-0.18/'s (make bench-peers installs them).
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/peers}
rounds=${3:-3}
here=$(dirname "$0")
tables=$here/../docs/tables
clients=${CLIENTS:-1000 2000}
servers=${SERVERS:-reference ricochet ricochet-ws colyseus-relay colyseus-state colyseus18-relay \
    colyseus18-state}
# the command as run, the servers and counts named when not the defaults
command="bench/peers.sh $bin $out $rounds"
[ -n "${CLIENTS:-}" ] && command="CLIENTS=\"$clients\" $command"
[ -n "${SERVERS:-}" ] && command="SERVERS=\"$servers\" $command"
peer="$here/peers/colyseus"
peer18="$here/peers/colyseus-0.18"
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
die() { echo "peers.sh: $*" >&2; exit 2; }
[ -x "$bin/ricochet-bench" ] || die "$bin/ricochet-bench not found (run make first)"
command -v jq > /dev/null || die "needs jq (apt-get install jq)"
case " $servers " in
*" colyseus-"*)
    command -v node > /dev/null || die "the Colyseus runs need Node 20 or later"
    node -e 'process.exit(+process.versions.node.split(".")[0] >= 20 ? 0 : 1)' ||
        die "the Colyseus runs need Node 20 or later, not $(node --version)"
    [ -d "$peer/node_modules/colyseus" ] ||
        die "Colyseus is not installed: (cd $peer && npm install --no-save)" ;;
esac
case " $servers " in
*" colyseus18-"*)
    [ -d "$peer18/node_modules/@colyseus/core" ] ||
        die "Colyseus 0.18 is not installed: (cd $peer18 && npm install --no-save)" ;;
esac
start=$(date +%s)
when="$(date -u +'%Y-%m-%d %H:%M UTC')"
workload="--room-size 8 --rate 10 --procs 1 --duration 3 --warmup 2 --grace 1 --setup-timeout 90"
rm -rf "$out/runs"
mkdir -p "$out/runs"

# one SERVER CLIENTS FILE: one run, its JSON record into FILE.
one() {
    case "$1" in
    ricochet | ricochet-ws | reference)
        mode=unsequenced
        [ "$1" = ricochet-ws ] && mode=ws
        [ "$1" = reference ] && mode=reference
        # shellcheck disable=SC2086 # $workload is a list of words
        "$bin/ricochet-bench" --clients "$2" $workload --modes "$mode" --quiet \
            --json-file "$3" > /dev/null ;;
    colyseus-relay | colyseus-state)
        # shellcheck disable=SC2086
        node "$peer/colyseus_bench.js" --room "${1#colyseus-}" --clients "$2" $workload --quiet \
            --json-file "$3" ;;
    colyseus18-relay | colyseus18-state)
        # shellcheck disable=SC2086
        node "$peer/colyseus_bench.js" --colyseus "$peer18" --room "${1#colyseus18-}" \
            --clients "$2" $workload --quiet --json-file "$3" ;;
    *) echo "peers.sh: no server $1" >&2; return 2 ;;
    esac
}

round=1
while [ "$round" -le "$rounds" ]; do
    floor=$(round_floor "$bin" "$out" "$round")
    echo "== round $round of $rounds: floor $floor datagrams a second" >&2
    for n in $clients; do
        for s in $servers; do
            f="$out/runs/$round-$s-$n.json"
            if one "$s" "$n" "$f.tmp"; then
                jq --arg server "$s" --argjson round "$round" --argjson floor "$floor" \
                    '. + {server: $server, round: $round, floor_dps: $floor}
                     | if $floor > 0 then .results[0] += {floor_dgrams_per_s: $floor,
                           floor_us_per_dgram: (1e6 / $floor)} else . end' "$f.tmp" > "$f"
                jq -r '.results[0] | "  \(.clients) \(.mode): " +
                    "\(.relay_us_per_delivery * 1000 | round / 1000) us a delivery, " +
                    "delivered \(.delivery_pct * 100 | round / 100)%, p99 \(.latency_ms.p99) ms"' \
                    "$f" >&2
            else
                echo "  $n $s: failed" >&2
            fi
            rm -f "$f.tmp"
        done
        # every server's cost beside the reference's of the same round and count
        ref="$out/runs/$round-reference-$n.json"
        [ -f "$ref" ] || continue
        for f in "$out/runs/$round"-*-"$n.json"; do
            jq --slurpfile ref "$ref" '($ref[0].results[0].relay_us_per_delivery // 0) as $r
                | if $r > 0 and .results[0].relay_us_per_delivery != null then
                  .results[0] += {reference_us_per_delivery: $r,
                                  x_reference: (.results[0].relay_us_per_delivery / $r)}
                  else . end' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
        done
    done
    round=$((round + 1))
done

jq -s --arg date "$when" --arg command "$command" \
    --arg machine "$(machine_line)" '{date: $date, command: $command, machine: $machine, runs: .}' \
    "$out"/runs/*.json > "$out/runs.json"
jq -n -r --arg table peers --slurpfile run "$out/runs.json" --rawfile txt /dev/null \
    --rawfile machine "$out/machine.txt" --rawfile limit /dev/null -f "$tables/doctables.jq" \
    > "$out/summary.txt"
case " $servers " in *" ricochet "*) enet=1 ;; *) enet=0 ;; esac
case " $servers " in
*" ricochet-ws "*) # ws against ENet, round by round
    [ "$enet" = 1 ] &&
        { echo; jq -n -r --arg table ws_cost --slurpfile run "$out/runs.json" \
            --rawfile txt /dev/null --rawfile machine "$out/machine.txt" --rawfile limit /dev/null \
            -f "$tables/doctables.jq"; } >> "$out/summary.txt" ;;
esac
cat "$out/summary.txt" >&2
echo "peers.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
