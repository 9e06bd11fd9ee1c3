#!/bin/sh
# bench/csharp_cost.sh BIN OUT [ROUNDS] [SECONDS]: what a state costs a C#
# game, the managed session against the native one (libricochet through
# P/Invoke), beside the machine's floor (bench/machine.sh). Each of ROUNDS
# (3) rounds measures the floor, then for each backend two players
# (bench/csharp/StateCost.cs under mono) in one room of a relay on
# 127.0.0.1, each sending 1,000 states a second (16-byte payloads) and
# taking the other's, 5 s of warm-up then SECONDS (60) measured: CPU µs and
# bytes allocated per state sent and received, the two players' mean.
# Writes OUT/runs.txt (a line a player and run) and OUT/summary.txt
# (medians, min-max over the rounds); needs mono, mcs and libricochet built
# (make lib).
set -eu
[ $# -ge 2 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
bin=$1 out=$2 rounds=${3:-3} seconds=${4:-60}
here=$(dirname "$0")
. "$here/machine.sh"
top=$(cd "$here/.." && pwd)
mkdir -p "$out"
exe="$out/statecost.exe"
mcs -nologo -warnaserror -out:"$exe" "$top"/client/csharp/Ricochet/*.cs "$top/bench/csharp/StateCost.cs"
lib=$(cd "$bin/../lib" && pwd)
: > "$out/runs.txt"
round=1
while [ "$round" -le "$rounds" ]; do
    floor=$(round_floor "$bin" "$out" "$round")
    echo "== round $round of $rounds: floor $floor datagrams a second" >&2
    "$bin/ricochet-relay" --listen enet://127.0.0.1:0 --rate-limit 0 --byte-limit 0 \
        > "$out/relay.log" 2>&1 &
    relay=$!
    port=
    for _ in $(seq 100); do
        port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\) (enet).*/\1/p' "$out/relay.log" | head -1)
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || { kill "$relay"; echo "csharp_cost.sh: the relay did not start" >&2; exit 1; }
    for backend in managed native; do
        LD_LIBRARY_PATH=$lib mono "$exe" "$backend" "$port" "r$round$backend" a 1000 "$seconds" 5 \
            > "$out/a.json" &
        a=$!
        LD_LIBRARY_PATH=$lib mono "$exe" "$backend" "$port" "r$round$backend" b 1000 "$seconds" 5 \
            > "$out/b.json"
        wait "$a"
        for p in a b; do
            sed "s/^{/{\"round\":$round,\"floor_dps\":$floor,/" "$out/$p.json" >> "$out/runs.txt"
        done
        tail -2 "$out/runs.txt" >&2
    done
    kill "$relay"
    wait "$relay" 2> /dev/null || true
    round=$((round + 1))
done
# per round and backend the two players' mean; then medians with min-max
field() { sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
{
    echo "$(machine_line); measured $(date -u +'%Y-%m-%d %H:%M UTC'), $rounds rounds of $seconds s, 1000 states a second each way"
    for backend in managed native; do
        for what in us_per_state bytes_per_state; do
            r=1
            while [ "$r" -le "$rounds" ]; do
                grep "\"round\":$r," "$out/runs.txt" | grep "\"backend\":\"$backend\"" | field "$what" |
                    awk '{ s += $1; n++ } END { if (n) print s / n }'
                r=$((r + 1))
            done | awk -v f=%.3f -f "$here/median.awk" | sed "s/^/$backend $what: /"
            echo
        done
    done
    field floor_dps < "$out/runs.txt" | awk '{ print 1e6 / $1 }' | awk -v f=%.3f -f "$here/median.awk" |
        sed 's/^/floor: us per datagram sent and received by one thread: /'
    echo
} > "$out/summary.txt"
cat "$out/summary.txt"
