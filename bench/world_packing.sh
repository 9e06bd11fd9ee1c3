#!/bin/sh
# bench/world_packing.sh OUT RUNS BIN...: how a world's states are packed
# into the relay's datagrams, builds side by side: worlds of 1000 and 3000
# over plain UDP at 20 Hz, radius 100 (about 30 in radius, as
# `TARGETS=1 bench/world.sh`), the relay of each folder BIN in turn
# (ricochet-bench of the first), RUNS rounds. perf counts the datagrams the
# relay's sendmmsg calls sent, second by second; the seconds while states
# flow (its reads at least half their busiest second's) over the run's
# deliveries a second give states a datagram. Writes OUT/packing-SIZE-B-R.json
# and OUT/packing.txt: the date, the load (uptime), a line a run, then per
# build and size the medians (min-max; a figure the bench did not measure,
# a run whose clients timed out, is left out); the relay's CPU a state it
# sent besides the bench's own figure, a delivery that arrived in time
# (SUMMARY_ONLY=1: only the summary, of the lines in OUT/packing.txt).
# Needs perf and root.
set -eu
[ $# -ge 3 ] || { sed -n '2,15s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$1
runs=$2
shift 2
command -v perf > /dev/null || { echo "world_packing.sh: needs perf" >&2; exit 2; }
command -v jq > /dev/null || { echo "world_packing.sh: needs jq" >&2; exit 2; }
bench="$1/ricochet-bench"
mkdir -p "$out"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM
file="$out/packing.txt"
if [ "${SUMMARY_ONLY:-0}" = 1 ]; then
    runs=0 # the summary of the runs already in OUT/packing.txt
    sed -i '/ runs: /d' "$file"
else
    {
        echo "measured $(date -u +'%Y-%m-%d %H:%M UTC') with \`bench/world_packing.sh $out $runs $*\`"
        echo "load at the start:$(uptime | sed 's/.*load average//')"
        echo "build size us_per_delivery deliveries_s states_per_datagram newest_pct relay_pct generator_pct"
    } > "$file"
fi

# datagrams_per_s PERFDATA: the relay's sendmmsg datagrams a second over
# the seconds its reads were at least half their busiest second's.
datagrams_per_s() {
    perf script -i "$1" -F time,event,trace 2> /dev/null | awk '
        function hex(h,    i, v) {
            for (i = 3; i <= length(h); i++) v = v * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
            return v }
        { t = int($1); v = hex($NF); if (v > 1e9) v = 0 }
        /recvmmsg/ { r[t] += v } /sendmmsg/ { s[t] += v }
        END { for (t in r) if (r[t] > max) max = r[t]
              for (t in r) if (r[t] >= max / 2) { n++; d += s[t] }
              printf "%.0f\n", n ? d / n : 0 }'
}

for round in $(seq 1 "$runs"); do
    for size in 1000 3000; do
        field=$(awk -v n="$size" 'BEGIN { printf "%d", sqrt(n / 1000) * 1000 + 0.5 }')
        for b in "$@"; do
            name=$(basename "$(dirname "$b")")-$(basename "$b")
            json="$out/packing-$size-$name-$round.json"
            "$bench" --bin "$b" --quiet --aoi 100 --field "$field" --clients "$size" --rate 20 \
                --duration 5 --modes udp --setup-timeout 120 --json-file "$json" > /dev/null &
            pid=$!
            relay=
            while [ -z "$relay" ] && kill -0 "$pid" 2> /dev/null; do
                sleep 0.2
                relay=$(pgrep -P "$pid" -x ricochet-relay || true)
            done
            [ -n "$relay" ] || { echo "world_packing.sh: the bench's relay not found" >&2; exit 1; }
            perf record -q -o "$tmp/p.data" -e syscalls:sys_exit_sendmmsg \
                -e syscalls:sys_exit_recvmmsg -p "$relay" > /dev/null 2>&1 &
            rec=$!
            wait "$pid"
            wait "$rec" || true
            dps=$(datagrams_per_s "$tmp/p.data")
            jq -r --arg b "$name" --arg d "$dps" '.worlds[0] |
                (.relay_states_out / .window_s) as $del |
                [$b, .clients, (.relay_us_per_delivery // "-"), $del,
                 (if ($d | tonumber) > 0 then $del / ($d | tonumber) else 0 end),
                 (((.in_radius_delivered + .in_radius_superseded) / .in_radius) * 100),
                 (.relay_cpu_pct // "-"), (.generator_cpu_pct // "-")] | @tsv' "$json" |
                tr '\t' ' ' >> "$file"
        done
    done
done
awk 'NR <= 3 { next }
     { k = $1 " " $2; if (!(k in n)) order[++m] = k; n[k]++
       $9 = $7 == "-" || !$4 ? "-" : $7 * 1e4 / $4 # the relay CPU a state it sent, us
       for (c = 3; c <= 9; c++) if ($c != "-") v[k, c, ++got[k, c]] = $c }
     # the median (min-max) of a column, over the runs that measured it
     function med(k, c,    i, j, t, x, md, g) {
         g = got[k, c]
         if (!g) return "-"
         for (i = 1; i <= g; i++) x[i] = v[k, c, i]
         for (i = 2; i <= g; i++) for (j = i; j > 1 && x[j - 1] > x[j]; j--) {
             t = x[j]; x[j] = x[j - 1]; x[j - 1] = t }
         md = g % 2 ? x[(g + 1) / 2] : (x[g / 2] + x[g / 2 + 1]) / 2
         return sprintf("%.3g (%.3g-%.3g)", md, x[1], x[g]) }
     END { for (i = 1; i <= m; i++) { k = order[i]
               printf "%s, %d runs: %s us a state sent (%s us a delivery in time), %s states " \
                      "sent/s, %s states a datagram, newest in radius %s%%, relay %s%% of a " \
                      "core, generator %s%%\n", k, n[k], med(k, 9), med(k, 3), med(k, 4),
                      med(k, 5), med(k, 6), med(k, 7), med(k, 8) } }' \
    "$file" > "$tmp/summary"
cat "$tmp/summary" >> "$file"
cat "$file" >&2
