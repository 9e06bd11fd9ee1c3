#!/bin/sh
# bench/targets.sh OUT RUNS BIN...: the relay's CPU per delivered state on
# its two cost targets (docs/benchmarks.md, "What a delivery costs"), for
# the programs in each folder BIN, the builds alternating, RUNS rounds:
#   4000 clients in rooms of 8 at 10 Hz, --tick-ms 50, unsequenced
#   1000 clients in rooms of 8 at 10 Hz, the default tick, unsequenced and
#   reliable
# Writes OUT/machine.txt (bench/machine.sh), OUT/runs.txt (the date and
# command, then one line a run, with the floor measured at the start of its
# round) and OUT/summary.txt: per build, scenario and mode the median
# (min-max) of µs per delivered state, relay CPU and ENet's RTT and
# retransmissions, the ratio of each median to the first build's, the
# median (min-max) of the ratios within a round (runs side by side: the
# machine's drift between rounds cancels out), and of the cost in floor
# datagrams (µs per delivered state over one datagram's time at the floor).
set -eu
[ $# -ge 3 ] || { sed -n '2,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$1
runs=$2
shift 2
mkdir -p "$out"
here=$(dirname "$0")
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
common="--room-size 8 --rate 10 --procs 1 --duration 3 --warmup 2 --grace 1 --setup-timeout 90 --quiet"

# run BIN SCENARIO ARGS...: one run; a line per mode into runs.txt.
run() {
    b=$1 scenario=$2
    shift 2
    # shellcheck disable=SC2086 # $common is a list of words
    "$b/ricochet-bench" $common "$@" --csv-file "$tmp/run.csv" > /dev/null
    build=$("$b/ricochet-relay" --version | awk '{ print $2 }')
    awk -F, -v round="$round" -v build="$build" -v scenario="$scenario" -v floor="$floor" '
        NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        { printf "%s %s %s %s %.3f %.1f %.2f %.2f %.3f %d\n", round, build, scenario, $c["mode"],
                 $c["relay_us_per_delivery"], $c["relay_cpu_pct"], $c["enet_rtt_ms"],
                 $c["enet_loss_pct"], 100 - $c["lost_pct"], floor }' "$tmp/run.csv" \
        >> "$out/runs.txt"
}

{
    echo "measured $(date -u +'%Y-%m-%d %H:%M UTC') with \`bench/targets.sh $out $runs $*\`"
    echo "round build scenario mode us_per_delivery relay_cpu% enet_rtt_ms enet_retx%" \
         "delivered% floor_dps"
} > "$out/runs.txt"
for round in $(seq 1 "$runs"); do
    # the floor where the relay is measured: at the start of each round
    if [ "$round" = 1 ]; then
        floor=$("$here/machine.sh" "$1" "$out")
    else
        floor=$(floor_of "$1")
    fi
    for b in "$@"; do
        run "$b" 4000-tick50 --clients 4000 --modes unsequenced --relay-args '--tick-ms 50'
        run "$b" 1000-default --clients 1000 --modes unsequenced,reliable
    done
done

# Medians (min-max) per build, scenario and mode; ratios to the first build.
awk 'NR <= 2 { next }
     { k = $2 " " $3 " " $4; if (!(k in n)) order[++keys] = k
       n[k]++; for (f = 5; f <= 8; f++) v[k, f, n[k]] = $f
       v[k, 9, n[k]] = $10 > 0 ? $5 * $10 / 1e6 : 0 # in floor datagrams
       if (!($3 " " $4 in first)) first[$3 " " $4] = $2
       if (first[$3 " " $4] == $2) base_of[$1, $3, $4] = $5
       else if (base_of[$1, $3, $4] > 0) { nr[k]++; r[k, nr[k]] = $5 / base_of[$1, $3, $4] } }
     function paired(k,    i, j, t, a, m) {
         if (!nr[k]) return "-"
         for (i = 1; i <= nr[k]; i++) a[i] = r[k, i]
         for (i = 2; i <= nr[k]; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
             t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
         m = nr[k] % 2 ? a[(nr[k] + 1) / 2] : (a[nr[k] / 2] + a[nr[k] / 2 + 1]) / 2
         return sprintf("%.2f (%.2f-%.2f)", m, a[1], a[nr[k]]) }
     function med(k, f,    i, j, t, a, m) {
         for (i = 1; i <= n[k]; i++) a[i] = v[k, f, i]
         for (i = 2; i <= n[k]; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
             t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
         m = n[k] % 2 ? a[(n[k] + 1) / 2] : (a[n[k] / 2] + a[n[k] / 2 + 1]) / 2
         lo[k, f] = a[1]; hi[k, f] = a[n[k]]
         return m }
     END {
         print "build scenario mode runs: us_per_delivery (min-max) ratio | relay_cpu% | enet_rtt_ms | enet_retx% | ratio within a round | floor datagrams per delivered state"
         for (i = 1; i <= keys; i++) {
             k = order[i]; split(k, p, " ")
             for (f = 5; f <= 9; f++) m[f] = med(k, f)
             base = med(first[p[2] " " p[3]] " " p[2] " " p[3], 5)
             printf "%s %s %s %d: %.3f (%.3f-%.3f) x%.2f | %.1f (%.1f-%.1f) | %.2f (%.2f-%.2f) | %.2f (%.2f-%.2f) | %s | %s\n",
                    p[1], p[2], p[3], n[k], m[5], lo[k, 5], hi[k, 5], m[5] / base,
                    m[6], lo[k, 6], hi[k, 6], m[7], lo[k, 7], hi[k, 7], m[8], lo[k, 8], hi[k, 8],
                    paired(k), (m[9] > 0) ? sprintf("%.2fx (%.2f-%.2f)", m[9], lo[k, 9], hi[k, 9]) : "-" }
     }' "$out/runs.txt" > "$out/summary.txt"
head -1 "$out/runs.txt" >> "$out/summary.txt"
cat "$out/summary.txt" >&2
