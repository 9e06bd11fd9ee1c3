#!/bin/sh
# bench/scale.sh BIN OUT [REPEATS [PARTS]]: the scale suite (`make bench-scale`
# into build/bench-results/scale/, `make bench-scale-reference` into the
# committed bench/results/scale/). PARTS (default: all of "limit a b memory c
# d e") picks parts to run; each empties, then writes under OUT, with the
# machine and its floor (bench/machine.sh: the datagram limit, measured at
# the start of the run) in its folder's machine.txt, and the floor in every
# JSON record (--floor):
#   limit.txt  the machine's datagram limit (the floor), and machine.txt
#   rooms/  (a) rooms of 8 at 10 Hz, 500 to 4000 clients, --tick-ms 50, one
#           generator process, REPEATS runs (medians with min-max); relay
#           deliveries/s per core and relay CPU per delivered state
#   room/   (b) one room at 60 Hz, clients until delivery < 99.9 % or p99 >
#           10 ms, without ticks (--tick-ms 0) and with the default tick
#   memory.txt  relay peak RSS per client and per room, quiet clients
#   tick/   (c) relay CPU and p99 against --tick-ms (0 1 2 4 8 16 50) at 64
#           clients x 60 Hz in one room, ENet unsequenced and plain udp,
#           REPEATS (3) rounds; every run in runs.csv, medians with min-max
#           in summary.txt, plots cpu.png and p99.png
#   default/ (d) rooms of 8 at 10 Hz at the default tick, 400 and 1000
#           clients, unsequenced and reliable: relay CPU per delivered state
#           (results.json, results.csv, summary.txt)
#   recovery/ (e) 4000 clients as in (a), the relay stopped 300 ms a third
#           into the window: how long until the p99 of what is sent is within
#           the tick + 10 ms again, one and two generator processes, REPEATS
#           runs each
# The machine is shared: compare rows measured side by side in one run,
# not against other runs.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/scale}
reps=${3:-3}
parts=${4:-limit a b memory c d e}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "scale.sh: $bench not found (run make first)" >&2; exit 2; }
start=$(date +%s)
when="$(date -u +'%Y-%m-%d %H:%M UTC') with \`bench/scale.sh $bin $out $reps\`"
ticks="0 1 2 4 8 16 50"
want() { case " $parts " in *" $1 "*) return 0 ;; esac; return 1; }
mkdir -p "$out"

# median (min-max) of the numbers on stdin, one a line
median() {
    awk -f "$here/median.awk"
}

# The floor, once for the parts of this run: each part's folder gets machine.txt.
here=$(dirname "$0")
machine=$(mktemp -d)
trap 'rm -rf "$machine"' EXIT
trap 'exit 130' INT TERM
limit=$("$here/machine.sh" "$bin" "$machine")
named() { cp "$machine/machine.txt" "$1/machine.txt"; } # named DIR: the machine of DIR's results
if want limit; then
    echo "datagram limit: $limit datagrams/s of 40 bytes sent and received by one thread on" \
         "loopback (sendmmsg + recvmmsg)" | tee "$out/limit.txt" >&2
    echo "measured $when" >> "$out/limit.txt"
fi
if want limit || want memory; then named "$out"; fi

if want a; then
    rm -rf "$out/rooms"
    mkdir -p "$out/rooms"
    named "$out/rooms"
    echo "== (a) rooms of 8 at 10 Hz, 500 to 4000 clients, --tick-ms 50, one generator process, $reps runs each" >&2
    # --warmup 2: each client sends 10 clock pings in its first second after
    # joining (then one a second); 4000 of them at once are 40,000 pings a
    # second on top of the states, which the window should not measure.
    # --procs 1: on 2 cores, the relay (~0.6 core at 4000) and one generator
    # (~0.8) each keep a core; with 2 generator processes three busy processes
    # shared two cores, and once the relay fell behind it stayed behind for
    # seconds (4000 clients side by side, 4 runs each: p99 59 ms median with
    # one process, 115 ms with two).
    "$bench" --floor "$limit" --room-size 8 --rate 10 --procs 1 --modes unsequenced \
        --relay-args "--tick-ms 50" --sweep clients=500,1000,2000,4000 --duration 3 --warmup 2 --grace 1 --setup-timeout 90 \
        --repeat "$reps" --quiet --table-file "$out/rooms/table.txt" --csv-file "$out/rooms/results.csv" \
        --json-file "$out/rooms/results.json"
    awk -F, -v limit="$limit" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
                  print "clients delivered%(min-max) p50_ms p99_ms(min-max) relay_cpu%(min-max) deliveries/s deliveries/s/core us/delivery(min-max) datagram_limit/s peak_rss_MB bench_cpu% send_late_p99_ms(min-max) x_floor(min-max)"; next }
        { runs = $col["runs"] > 0 ? $col["runs"] : 1
          d = $col["delivered"] / 3 / runs; cpu = $col["relay_cpu_pct"] / 100
          f = limit / 1e6 # the cost in floor datagrams: us x datagrams per us
          printf "%s %.3f(%.3f-%.3f) %.1f %.1f(%.1f-%.1f) %.1f(%.1f-%.1f) %.0f %.0f %.3f(%.3f-%.3f) %.0f %.1f %.0f %.1f(%.1f-%.1f) %.2fx(%.2f-%.2f)\n", $col["clients"],
                 100 - $col["lost_pct"], 100 - $col["lost_pct_max"], 100 - $col["lost_pct_min"],
                 $col["p50_ms"], $col["p99_ms"], $col["p99_ms_min"], $col["p99_ms_max"],
                 $col["relay_cpu_pct"], $col["relay_cpu_pct_min"], $col["relay_cpu_pct_max"], d,
                 (cpu > 0) ? d / cpu : 0, $col["relay_us_per_delivery"],
                 $col["relay_us_per_delivery_min"], $col["relay_us_per_delivery_max"], limit, $col["relay_peak_rss_kb"] / 1024, $col["bench_cpu_pct"],
                 $col["send_late_p99_ms"], $col["send_late_p99_ms_min"], $col["send_late_p99_ms_max"],
                 $col["relay_us_per_delivery"] * f, $col["relay_us_per_delivery_min"] * f,
                 $col["relay_us_per_delivery_max"] * f }' \
        "$out/rooms/results.csv" > "$out/rooms/summary.txt"
    cat "$out/rooms/table.txt" "$out/rooms/summary.txt" >&2

fi

if want b; then
    rm -rf "$out/room"
    mkdir -p "$out/room"
    named "$out/room"
    echo "== (b) one room at 60 Hz until it breaks, without and with ticks, $reps runs each" >&2
    for t in 0 2; do
        "$bench" --floor "$limit" --rate 60 --modes unsequenced --relay-args "--tick-ms $t" \
            --sweep clients=32,64,96,128,192,256 --break-delivery 99.9 --break-p99 10 \
            --duration 2 --warmup 1 --grace 1 --repeat "$reps" --quiet \
            --table-file "$out/room/table_tick$t.txt" --csv-file "$out/room/results_tick$t.csv" \
            --json-file "$out/room/results_tick$t.json"
    done
    cat "$out/room/table_tick0.txt" "$out/room/table_tick2.txt" >&2

fi

if want memory; then
    echo "== memory: relay peak RSS with quiet clients (1 Hz): 500 and 4000 in rooms of 2, 4000 in rooms of 4" >&2
    mem() { # clients room_size -> peak RSS kB
        "$bench" --clients "$1" --room-size "$2" --rate 1 --procs 2 --modes unsequenced \
            --duration 1 --warmup 0.5 --grace 0.5 --setup-timeout 90 --quiet --csv-file - 2> /dev/null |
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                 { print $col["relay_peak_rss_kb"] }'
    }
    m500=$(mem 500 2); m4000=$(mem 4000 2); m4000r4=$(mem 4000 4)
    awk -v a="$m500" -v b="$m4000" -v c="$m4000r4" 'BEGIN {
        printf "relay peak RSS, quiet clients (1 Hz), ENet: %d kB with 500 clients in rooms of 2, %d kB with 4000\n", a, b
        printf "  -> %.2f kB per client (with half a room each)\n", (b - a) / 3500
        printf "4000 clients: %d kB in 2000 rooms of 2, %d kB in 1000 rooms of 4\n", b, c
        printf "  -> %.2f kB per room\n", (b - c) / 1000
    }' | tee "$out/memory.txt" >&2
    echo "measured $when" >> "$out/memory.txt"

fi

if want c; then
    rm -rf "$out/tick"
    mkdir -p "$out/tick"
    named "$out/tick"
    echo "== (c) relay CPU and p99 against tick length, 64 clients x 60 Hz, $reps rounds" >&2
    runs="$out/tick/runs.csv"
    echo "round,tick_ms,mode,delivered,expected,relay_cpu_s,us_per_delivery,p50_ms,p99_ms,relay_cpu_pct,bench_cpu_pct" > "$runs"
    for rep in $(seq 1 "$reps"); do
        for t in $ticks; do
            "$bench" --clients 64 --rate 60 --modes unsequenced,udp --duration 2 --warmup 0.5 \
                --grace 0.5 --quiet --relay-args "--tick-ms $t" --csv-file "$out/tick/one.csv" > /dev/null
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
            med=$(printf '%s\n' $vals | awk -v plain=1 -f "$here/median.awk")
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
        echo "measured $when"
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
set terminal pngcairo size 900,500
set output "$out/tick/$what.png"
set title "64 clients x 60 Hz in one room (median, min-max of $reps rounds)"
set xlabel "--tick-ms"
set ylabel "$ylabel"
set xtics ("0" 0, "1" 1, "2" 2, "4" 3, "8" 4, "16" 5, "50" 6)
set key outside right top
set format y "%g"
set grid
$scale
pos(t) = t == 0 ? 0 : t == 1 ? 1 : t == 2 ? 2 : t == 4 ? 3 : t == 8 ? 4 : t == 16 ? 5 : 6
plot "< grep ^unsequenced $out/tick/$what.dat" using (pos(\$2)):3:4:5 with yerrorlines lw 2 pt 7 title "ENet unsequenced", \
     "< grep ^udp $out/tick/$what.dat" using (pos(\$2)):3:4:5 with yerrorlines lw 2 dt 4 pt 11 title "plain udp"
GP
        done
    fi
    cat "$out/tick/summary.txt" >&2
fi

if want d; then
    rm -rf "$out/default"
    mkdir -p "$out/default"
    named "$out/default"
    echo "== (d) rooms of 8 at 10 Hz, the default tick, 400 and 1000 clients, $reps runs each" >&2
    "$bench" --floor "$limit" --room-size 8 --rate 10 --procs 1 --modes unsequenced,reliable \
        --sweep clients=400,1000 --duration 3 --warmup 2 --grace 1 --setup-timeout 90 \
        --repeat "$reps" --quiet --table-file "$out/default/table.txt" \
        --csv-file "$out/default/results.csv" --json-file "$out/default/results.json"
    awk -F, -v f="$(awk -v l="$limit" 'BEGIN { print l / 1e6 }')" '
        NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i
                  print "clients mode delivered% p99_ms(min-max) relay_cpu%(min-max) us/delivery(min-max) x_floor(min-max)"; next }
        { printf "%s %s %.3f %.2f(%.2f-%.2f) %.1f(%.1f-%.1f) %.3f(%.3f-%.3f) %.2fx(%.2f-%.2f)\n", $col["clients"],
                 $col["mode"], 100 - $col["lost_pct"], $col["p99_ms"], $col["p99_ms_min"],
                 $col["p99_ms_max"], $col["relay_cpu_pct"], $col["relay_cpu_pct_min"],
                 $col["relay_cpu_pct_max"], $col["relay_us_per_delivery"],
                 $col["relay_us_per_delivery_min"], $col["relay_us_per_delivery_max"],
                 $col["relay_us_per_delivery"] * f, $col["relay_us_per_delivery_min"] * f,
                 $col["relay_us_per_delivery_max"] * f }' \
        "$out/default/results.csv" > "$out/default/summary.txt"
    cat "$out/default/table.txt" "$out/default/summary.txt" >&2
fi

if want e; then
    rm -rf "$out/recovery"
    mkdir -p "$out/recovery"
    named "$out/recovery"
    echo "== (e) 4000 clients, --tick-ms 50, the relay stopped 300 ms: recovery, $reps runs each" >&2
    for procs in 1 2; do
        for rep in $(seq 1 "$reps"); do
            "$bench" --room-size 8 --rate 10 --procs "$procs" --modes unsequenced \
                --relay-args "--tick-ms 50" --clients 4000 --duration 6 --warmup 2 --grace 1 \
                --setup-timeout 90 --pause-relay-ms 300 --recovered-p99-ms 60 --quiet \
                --csv-file "$out/recovery/procs${procs}_run$rep.csv" > /dev/null
        done
    done
    {
        echo "4000 clients in rooms of 8 at 10 Hz, --tick-ms 50; the relay stopped (SIGSTOP) 300 ms"
        echo "2 s into a 6 s window: ms from SIGCONT until every 50 ms of sends from then on has"
        echo "99% delivered and p99 within 60 ms (-1: not within the window); median (min-max) of $reps runs"
        echo "command: bench/scale.sh $bin $out $reps e"
        for procs in 1 2; do
            col() { # column name -> one value a line, every run
                for f in "$out/recovery/procs${procs}"_run*.csv; do
                    awk -F, -v want="$1" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
                                          { print $c[want] }' "$f"
                done
            }
            printf 'procs %s: recovery_ms %s, p99_ms %s, lost%% %s, relay_cpu%% %s\n' "$procs" \
                "$(col recovery_ms | median)" "$(col p99_ms | median)" \
                "$(col lost_pct | median)" "$(col relay_cpu_pct | median)"
        done
    } > "$out/recovery/summary.txt"
    cat "$out/recovery/summary.txt" >&2
fi

echo "scale.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
