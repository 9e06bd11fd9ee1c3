#!/bin/sh
# bench/generator_cpu.sh OUT RUNS BIN GRAIN [BIN GRAIN]...: the generator's
# CPU against the relay's at 1000 clients in rooms of 8 at 10 Hz over ENet
# (unsequenced), for each pair of a ricochet-bench folder BIN and a
# --send-grain GRAIN (ms; 0: each send at its time; default: the bench's own
# default, no --send-grain given), the pairs taking turns
# round by round, RUNS rounds. Writes OUT/machine.txt, OUT/LABEL-rN.json
# (LABEL: the pair's number and grain) and OUT/summary.txt: per pair the
# medians (min-max) of the generator's and the relay's CPU (% of a core),
# the generator's over the relay's (run by run), p50 and lost; and
# OUT/load.txt, the machine's load average before each run (a run that
# failed: OUT/failed.txt, left out of the medians).
set -eu
[ $# -ge 4 ] && [ $(($# % 2)) -eq 0 ] || { sed -n '2,12s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$1
runs=$2
shift 2
here=$(dirname "$0")
mkdir -p "$out"
"$here/machine.sh" "$1" "$out" > /dev/null # machine.txt: the machine, its floor
args="--clients 1000 --room-size 8 --rate 10 --modes unsequenced --duration 10"
args="$args --warmup 2 --grace 1 --setup-timeout 90 --quiet"
pairs="$*"

# label K GRAIN: a pair's name in file names.
label() { echo "$1-grain-$2"; }

r=1
while [ "$r" -le "$runs" ]; do
    set -- $pairs
    k=1
    while [ $# -ge 2 ]; do
        f="$out/$(label "$k" "$2")-r$r.json"
        echo "$(label "$k" "$2") run $r: load average $(cut -d' ' -f1-3 /proc/loadavg)" >> "$out/load.txt"
        grain="--send-grain $2"
        [ "$2" != default ] || grain=""
        # shellcheck disable=SC2086
        "$1/ricochet-bench" $args $grain --json-file "$f" > "$out/last.txt" 2>&1 ||
            { echo "$(label "$k" "$2") run $r failed (exit $?):" \
                   "$(grep -v '^ ' "$out/last.txt" | head -n 3)" >> "$out/failed.txt"; rm -f "$f"; }
        shift 2
        k=$((k + 1))
    done
    r=$((r + 1))
done

# field K GRAIN JQ: the value of JQ in each of the pair's runs, one a line.
field() {
    for f in "$out/$(label "$1" "$2")"-r*.json; do jq -r ".results[0] | $3" "$f"; done
}
{
    echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores; load before each run in load.txt"
    echo "# command: bench/generator_cpu.sh $out $runs $pairs"
    echo "# each run: ricochet-bench $args [--send-grain GRAIN]"
    echo "# medians of $runs runs (min-max); gen/relay: the generator's CPU over the relay's, run by run"
    set -- $pairs
    k=1
    while [ $# -ge 2 ]; do
        v=$("$1/ricochet-bench" --version | head -n 1)
        echo "$(label "$k" "$2") ($v):" \
            "generator $(field "$k" "$2" .bench_cpu_pct | awk -v f=%.1f -v unit=%% -f "$here/median.awk")," \
            "relay $(field "$k" "$2" .relay_cpu_pct | awk -v f=%.1f -v unit=%% -f "$here/median.awk")," \
            "gen/relay $(field "$k" "$2" '.bench_cpu_pct / .relay_cpu_pct' | awk -v f=%.2f -f "$here/median.awk")," \
            "p50 $(field "$k" "$2" .latency_ms.p50 | awk -v f=%.2f -v unit=' ms' -f "$here/median.awk")," \
            "sends late p50 $(field "$k" "$2" .send_late_ms.p50 | awk -v f=%.2f -v unit=' ms' -f "$here/median.awk")," \
            "lost $(field "$k" "$2" .lost_pct | awk -v f=%.2f -v unit=%% -f "$here/median.awk")"
        shift 2
        k=$((k + 1))
    done
} > "$out/summary.txt"
rm -f "$out/last.txt"
cat "$out/summary.txt"
