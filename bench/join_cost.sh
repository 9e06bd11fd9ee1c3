#!/bin/sh
# bench/join_cost.sh BIN TESTS OUT [RUNS] [BEFORE_BIN]: what churning joins
# cost the relay (PROTOCOL.md, "Kept events": Replayed). RUNS (3) runs of
# TESTS/test_e2e_abuse_join against the relay in BIN: four sources
# (127.0.0.2-5, a socket each) join and leave a room again and again
# beside two honest plain-UDP players in another room, once into a room
# of 1,092 kept events, once into one with nothing kept; each prints a
# join-cost line (the relay's CPU over the 6 s of churn, the honest
# players' delivery, what the churners sent and got). With BEFORE_BIN, the
# same runs against that relay too (a build from before the join's cost
# was charged: its test fails, its lines still count). Writes
# OUT/runs.txt (the date, the command, the lines) and OUT/summary.txt
# (medians with min-max). RUNS 0: OUT/summary.txt again from OUT/runs.txt.
set -eu
bin=${1:-build/bin}
tests=${2:-build/tests}
out=${3:-build/bench-results/join-cost}
runs=${4:-3}
before=${5:-}
[ -x "$tests/test_e2e_abuse_join" ] || {
    echo "join_cost.sh: $tests/test_e2e_abuse_join not found (make tests)" >&2
    exit 2
}
mkdir -p "$out"
one() { # label relay-dir run
    RICOCHET_BIN=$2 "$tests/test_e2e_abuse_join" 2>&1 | grep '^join-cost: ' |
        sed "s/^join-cost: /$1 run $3: /" || true
}
if [ "$runs" -gt 0 ]; then
    tmp=$(mktemp)
    {
        echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), $("$bin/ricochet-relay" --version)"
        echo "# command: bench/join_cost.sh $*"
        i=1
        while [ "$i" -le "$runs" ]; do
            echo "== run $i" >&2
            one after "$bin" "$i"
            [ -z "$before" ] || one before "$before" "$i"
            i=$((i + 1))
        done
    } > "$tmp"
    mv "$tmp" "$out/runs.txt"
else
    runs=$(grep -c '^after run .*"kept":0,' "$out/runs.txt")
fi
field() { # label kept key: one number a run
    grep "^$1 run " "$out/runs.txt" | grep "\"kept\":$2," |
        sed -E "s/.*\"$3\":([0-9.eE+-]+).*/\1/"
}
here=$(dirname "$0")
{
    echo "join-cost: four sources churning joins (two a join and a leave every millisecond,"
    echo "two staying 300 ms a join) beside two honest plain-UDP players at 30 Hz in another"
    echo "room, 6 s; medians of $runs runs (runs.txt) with min-max; the relay's CPU over the"
    echo "churn, in % of a core; plain UDP, the release build"
    for label in after before; do
        grep -q "^$label run " "$out/runs.txt" || continue
        for kept in 1092 0; do
            cpu=$(field "$label" "$kept" relay_core | awk '{ print $1 * 100 }' |
                awk -v f=%.1f -v unit=%% -f "$here/median.awk")
            del=$(field "$label" "$kept" delivery | awk '{ print $1 * 100 }' |
                awk -v f=%.1f -v unit=%% -f "$here/median.awk")
            sent=$(field "$label" "$kept" churn_sent | awk -f "$here/median.awk")
            got=$(field "$label" "$kept" churn_got | awk -f "$here/median.awk")
            echo "$label, $kept kept: relay CPU $cpu of a core; honest delivery $del;" \
                "churners sent $sent datagrams, were sent $got"
        done
        full=$(field "$label" 1092 relay_core | awk -v plain=1 -f "$here/median.awk" | cut -d' ' -f1)
        none=$(field "$label" 0 relay_core | awk -v plain=1 -f "$here/median.awk" | cut -d' ' -f1)
        echo "$label: the churn into a full room costs $(awk -v a="$full" -v b="$none" \
            'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')x the relay's CPU of the same churn with nothing kept"
    done
} > "$out/summary.txt"
cat "$out/summary.txt"
