#!/bin/sh
# bench/scale.sh BIN OUT [REPEATS]: the scale suite (`make bench-scale`).
# Writes under OUT:
#   tick/   relay CPU and p99 against --tick-ms (0 1 2 4 8 16 50) at 64
#           clients x 60 Hz in one room, ENet unsequenced and plain udp,
#           REPEATS (3) rounds; every run in runs.csv, medians with min-max
#           in summary.txt, plots cpu.png and p99.png
# The machine is shared: compare rows measured side by side in one run,
# not against other runs.
set -eu

bin=${1:-build/bin}
out=${2:-bench/results/scale}
reps=${3:-3}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "scale.sh: $bench not found (run make first)" >&2; exit 2; }
mkdir -p "$out/tick"
start=$(date +%s)
ticks="0 1 2 4 8 16 50"

echo "== (c) relay CPU and p99 against tick length, 64 clients x 60 Hz, $reps rounds" >&2
runs="$out/tick/runs.csv"
echo "round,tick_ms,mode,delivered,expected,relay_cpu_s,us_per_delivery,p50_ms,p99_ms,relay_cpu_pct,bench_cpu_pct" > "$runs"
for rep in $(seq 1 "$reps"); do
    for t in $ticks; do
        "$bench" --clients 64 --rate 60 --modes unsequenced,udp --duration 3 --warmup 1 \
            --grace 1 --quiet --relay-args "--tick-ms $t" --csv "$out/tick/one.csv" > /dev/null
        awk -F, -v rep="$rep" -v t="$t" '
            NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
            { d = $col["delivered"]; c = $col["relay_cpu_s"]; u = (d > 0) ? c * 1e6 / d : 0
              printf "%s,%s,%s,%s,%s,%s,%.3f,%s,%s,%s,%s\n", rep, t, $col["mode"], d,
                     $col["expected"], c, u, $col["p50_ms"],
                     $col["p99_ms"], $col["relay_cpu_pct"], $col["bench_cpu_pct"] }' \
            "$out/tick/one.csv" >> "$runs"
    done
done

# median (min-max) per mode and tick of a column of runs.csv
summarize() { # $1 column name
    awk -F, -v want="$1" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
        { k = $col["mode"] " " $col["tick_ms"]; v[k] = v[k] " " $col[want] }
        END { for (k in v) print k v[k] }' "$runs" |
    while read -r mode tick vals; do
        med=$(printf '%s\n' $vals | sort -g | awk '{ a[NR] = $1 } END {
            m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2;
            printf "%g %g %g", m, a[1], a[NR] }')
        echo "$mode $tick $med"
    done | sort -k1,1 -k2,2n
}
rm -f "$out/tick/one.csv"
summarize us_per_delivery > "$out/tick/cpu.dat"
summarize p99_ms > "$out/tick/p99.dat"
summarize relay_cpu_pct > "$out/tick/cpu_pct.dat"
summarize bench_cpu_pct > "$out/tick/bench_pct.dat"
{
    echo "relay CPU per delivered state (us) and p99 one-way latency (ms) against --tick-ms;"
    echo "64 clients x 60 Hz, one room, loopback, median (min-max) of $reps rounds"
    echo "command: bench/scale.sh $bin $out $reps"
    printf '%-12s %5s  %-22s %-22s %-22s %s\n' mode tick_ms "us/delivery" "p99 ms" \
        "relay cpu %" "bench cpu %"
    paste -d' ' "$out/tick/cpu.dat" "$out/tick/p99.dat" "$out/tick/cpu_pct.dat" \
        "$out/tick/bench_pct.dat" |
        awk '{ printf "%-12s %5s  %6.3f (%.3f-%.3f)  %6.2f (%.2f-%.2f)  %5.1f (%.1f-%.1f)  %5.1f (%.1f-%.1f)\n",
               $1, $2, $3, $4, $5, $8, $9, $10, $13, $14, $15, $18, $19, $20 }'
} > "$out/tick/summary.txt"
if command -v gnuplot > /dev/null; then
    for what in cpu p99; do
        case $what in
        cpu) ylabel="relay CPU per delivered state (us)"; scale="unset logscale" ;;
        p99) ylabel="p99 one-way latency (ms)"; scale="set logscale y" ;;
        esac
        gnuplot <<GP
set terminal pngcairo size 800,500
set output "$out/tick/$what.png"
set title "64 clients x 60 Hz in one room (median, min-max of $reps rounds)"
set xlabel "--tick-ms"
set ylabel "$ylabel"
set xtics ("0" 0, "1" 1, "2" 2, "4" 3, "8" 4, "16" 5, "50" 6)
set key top left
set grid
$scale
pos(t) = t == 0 ? 0 : t == 1 ? 1 : t == 2 ? 2 : t == 4 ? 3 : t == 8 ? 4 : t == 16 ? 5 : 6
plot "< grep ^unsequenced $out/tick/$what.dat" using (pos(\$2)):3:4:5 with yerrorlines title "ENet unsequenced", \
     "< grep ^udp $out/tick/$what.dat" using (pos(\$2)):3:4:5 with yerrorlines title "plain udp"
GP
    done
fi
cat "$out/tick/summary.txt" >&2
echo "scale.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
