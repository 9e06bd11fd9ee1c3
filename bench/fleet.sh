#!/bin/sh
# bench/fleet.sh BIN OUT [REPEATS] [PART...]: the fleet suite (`make
# bench-fleet` into build/bench-results/fleet/, `make bench-fleet-reference`
# into the committed bench/results/fleet/). Every scenario runs REPEATS
# times (medians with min-max); ricochet-bench --fleet starts a
# redis-server and the relays for each run. Parts (all by default):
#   placement  10,000 racing joins: 3 relays, rooms of 10 whose clients join
#              through the 3 relays in turn at once; rooms split (must be 0)
#              and join latency, against one relay without a directory
#   cpu        relay CPU per delivered state: 1000 clients over 2 relays against
#              one relay with 1000, rooms of 8 at 10 Hz, --tick-ms 50
#   scale      2 relays x 2000 clients, rooms of 8 at 10 Hz, --tick-ms 50:
#              delivery (>= 99.9 %) and the generator's CPU
#   failover   SIGKILL one of 3 relays under load (600 clients, reliable,
#              joining through the other two): how long until the rooms it
#              held are on time again (every 50 ms of sends 99% delivered,
#              p99 within RECOVERED_MS), clients moved, states lost, and the
#              relays' calls of Redis a second
#   drain      SIGTERM one of 3 relays under load (reliable): states lost,
#              and the same "on time again"
#   pause      the directory paused (SIGSTOP) 5 s, against not paused:
#              p99 of the rooms that exist; not paused, the relays' calls of
#              Redis a second in the steady state
#   sentinel   the directory a primary, its replica and three sentinels
#              (down-after 2 s); the primary killed under load (3 relays,
#              1000 clients): p99 of the rooms that exist, new rooms refused
#              and for how long, rooms held by two relays (joins probed every
#              250 ms, half of them into existing rooms through relays that
#              do not hold them)
#   summary    nothing: only summary.txt again, from the CSVs in OUT
# BEFORE_BIN=DIR also runs failover and the steady state with DIR's bench,
# clients and relays (an earlier build, whole: its clients speak its
# protocol), for the failover and the calls of Redis before.
# Writes OUT/PART/{table.txt,results.csv,machine.txt} and OUT/summary.txt;
# machine.txt names the machine and its floor (bench/machine.sh), measured
# at the start of the run.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/fleet}
reps=${3:-3}
shift $(( $# > 3 ? 3 : $# ))
parts=${*:-placement cpu scale failover drain pause sentinel}
bench="$bin/ricochet-bench"
recovered=${RECOVERED_MS:-100} # the p99 bound of "on time" after a kill or drain
[ -x "$bench" ] || { echo "fleet.sh: $bench not found (run make first)" >&2; exit 2; }
mkdir -p "$out"
[ "$parts" = summary ] || "$(dirname "$0")/machine.sh" "$bin" "$out" > /dev/null
start=$(date +%s)

# run_with BENCH PART NAME ARGS...: one scenario run by BENCH (and the
# programs beside it), its table and CSV rows under OUT/PART
run_with() {
    prog=$1 part=$2 name=$3
    shift 3
    mkdir -p "$out/$part"
    cp "$out/machine.txt" "$out/$part/machine.txt"
    echo "== $part: $name" >&2
    "$prog" --repeat "$reps" --quiet --table-file "$out/$part/$name.txt" \
        --csv-file "$out/$part/$name.csv" "$@"
    cat "$out/$part/$name.txt" >&2
}

run() { run_with "$bench" "$@"; }

# col FILE NAME...: the named columns of the CSV's first row ("-" for a
# column it lacks: an earlier build's bench)
col() {
    f=$1
    shift
    awk -F, -v want="$*" 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
        NR == 2 { n = split(want, w, " "); for (i = 1; i <= n; i++)
                  printf "%s%s", (w[i] in c) ? $c[w[i]] : "-", i < n ? " " : "\n" }' "$f"
}

for part in $parts; do
    [ "$part" = summary ] && continue
    rm -rf "${out:?}/$part"
    case $part in
    placement)
        # 2000 clients in rooms of 10 are 200 rooms x 10 racing joins a run;
        # 5 runs are 10,000 joins. Short windows: the joins are the point.
        run placement fleet --fleet 3 --clients 2000 --room-size 10 --rate 2 \
            --modes unsequenced --duration 1 --warmup 0.5 --grace 0.5 --setup-timeout 60 \
            --repeat 5
        run placement single --clients 2000 --room-size 10 --rate 2 --modes unsequenced \
            --duration 1 --warmup 0.5 --grace 0.5 --setup-timeout 60 --repeat 5
        ;;
    cpu)
        run cpu fleet --fleet 2 --clients 1000 --room-size 8 --rate 10 --modes unsequenced \
            --relay-args "--tick-ms 50" --duration 5 --warmup 2 --grace 1 --setup-timeout 60
        run cpu single --clients 1000 --room-size 8 --rate 10 --modes unsequenced \
            --relay-args "--tick-ms 50" --duration 5 --warmup 2 --grace 1 --setup-timeout 60
        ;;
    scale)
        run scale fleet --fleet 2 --clients 4000 --room-size 8 --rate 10 --modes unsequenced \
            --relay-args "--tick-ms 50 --max-clients 4000" --duration 5 --warmup 2 --grace 1 \
            --setup-timeout 90
        ;;
    failover)
        run failover kill --fleet 3 --clients 600 --room-size 8 --rate 10 --modes reliable \
            --fleet-event kill --event-at 2 --duration 25 --warmup 1 --grace 2 \
            --recovered-p99-ms "$recovered" --setup-timeout 60
        [ -n "${BEFORE_BIN:-}" ] && run_with "$BEFORE_BIN/ricochet-bench" failover kill-before --fleet 3 \
            --clients 600 --room-size 8 --rate 10 --modes reliable --fleet-event kill \
            --event-at 2 --duration 25 --warmup 1 --grace 2 --recovered-p99-ms "$recovered" \
            --setup-timeout 60
        ;;
    drain)
        run drain term --fleet 3 --clients 600 --room-size 8 --rate 10 --modes reliable \
            --fleet-event term --event-at 2 --duration 8 --warmup 1 --grace 2 \
            --recovered-p99-ms "$recovered" --setup-timeout 60
        ;;
    pause)
        run pause paused --fleet 2 --clients 1000 --room-size 8 --rate 10 --modes unsequenced \
            --fleet-event pause-redis --event-at 1 --duration 7 --warmup 1 --grace 1 \
            --setup-timeout 60
        run pause running --fleet 2 --clients 1000 --room-size 8 --rate 10 --modes unsequenced \
            --duration 7 --warmup 1 --grace 1 --setup-timeout 60
        [ -n "${BEFORE_BIN:-}" ] && run_with "$BEFORE_BIN/ricochet-bench" pause running-before --fleet 2 \
            --clients 1000 --room-size 8 --rate 10 --modes unsequenced --duration 7 \
            --warmup 1 --grace 1 --setup-timeout 60
        ;;
    sentinel)
        run sentinel kill --fleet 3 --fleet-sentinel --clients 1000 --room-size 8 --rate 10 \
            --modes unsequenced --fleet-event kill-redis --event-at 2 --duration 12 \
            --warmup 1 --grace 1 --setup-timeout 90
        ;;
    *)
        echo "fleet.sh: unknown part '$part'" >&2
        exit 2
        ;;
    esac
done

# The figures the docs quote, each a median (min-max) over the runs.
{
    echo "fleet suite, $(date -u +%Y-%m-%d), $reps runs a scenario (placement 5), medians (min-max)"
    echo "command: bench/fleet.sh $bin $out $reps"
    f=$out/placement/fleet.csv s=$out/placement/single.csv
    [ -f "$f" ] && echo "placement: $(col "$f" split_rooms) rooms split over 10,000 racing joins;" \
        "join p50/p99 $(col "$f" join_p50_ms join_p50_ms_min join_p50_ms_max join_p99_ms \
        join_p99_ms_min join_p99_ms_max | awk '{ printf "%s (%s-%s) / %s (%s-%s) ms", $1,$2,$3,$4,$5,$6 }')" \
        "with the directory, $(col "$s" join_p50_ms join_p50_ms_min join_p50_ms_max join_p99_ms \
        join_p99_ms_min join_p99_ms_max | awk '{ printf "%s (%s-%s) / %s (%s-%s) ms", $1,$2,$3,$4,$5,$6 }')" \
        "without"
    for kind in fleet single; do
        f=$out/cpu/$kind.csv
        floor=$(sed -n 's/^floor: \([0-9]*\) .*/\1/p' "$out/cpu/machine.txt" 2> /dev/null || true)
        [ -f "$f" ] && echo "cpu ($kind): $(col "$f" relay_us_per_delivery relay_us_per_delivery_min \
            relay_us_per_delivery_max | awk -v floor="${floor:-0}" '{
            printf "%s us (%.3f-%.3f) of relay CPU per delivered state", $1, $2, $3
            f = floor / 1e6 # in floor datagrams
            if (f > 0) printf ", %.2fx (%.2f-%.2f) the floor", $1 * f, $2 * f, $3 * f }')"
    done
    f=$out/scale/fleet.csv
    [ -f "$f" ] && echo "scale: 2 x 2000 clients: $(col "$f" lost_pct lost_pct_min lost_pct_max \
        bench_cpu_pct relay_cpu_pct | awk '{ printf "delivered %.3f%% (%.3f-%.3f), generator %s%% of a core, relays %s%% together", 100 - $1, 100 - $3, 100 - $2, $4, $5 }')"
    for kind in kill kill-before; do
        f=$out/failover/$kind.csv
        [ -f "$f" ] && echo "failover (SIGKILL)$([ $kind = kill ] || echo ', before'): $(col "$f" \
            recovery_ms recovery_ms_min recovery_ms_max moved expected delivered runs \
            redis_calls_per_relay_s redis_calls_per_relay_s_min redis_calls_per_relay_s_max |
            awk -v b="$recovered" '{ printf "the rooms it held on time again (p99 <= %s ms) %.0f ms (%.0f-%.0f) after, %s clients moved and %d states lost in %s runs; ", b, $1, $2, $3, $4, $5 - $6, $7
            if ($8 == "-") print "Redis calls not counted by that build"
            else printf "%s (%.2f-%.2f) Redis calls a second per relay\n", $8, $9, $10 }')"
    done
    f=$out/drain/term.csv
    [ -f "$f" ] && echo "drain (SIGTERM, reliable): $(col "$f" expected delivered moved recovery_ms \
        recovery_ms_min recovery_ms_max runs | awk -v b="$recovered" '{
        printf "%d states lost and %s clients moved in %s runs, the rooms it held on time again (p99 <= %s ms) %.0f ms (%.0f-%.0f) after", $1 - $2, $3, $7, b, $4, $5, $6 }')"
    for kind in paused running running-before; do
        f=$out/pause/$kind.csv
        [ -f "$f" ] && echo "directory $kind: p99 $(col "$f" p99_ms p99_ms_min p99_ms_max lost_pct \
            redis_calls_per_relay_s redis_calls_per_relay_s_min redis_calls_per_relay_s_max |
            awk '{ printf "%s ms (%s-%s), lost %s%%; ", $1, $2, $3, $4
            if ($5 == "-") print "Redis calls not counted by that build"
            else printf "%s (%.2f-%.2f) Redis calls a second per relay\n", $5, $6, $7 }')"
    done
    f=$out/sentinel/kill.csv
    [ -f "$f" ] && echo "sentinel failover (primary killed): $(col "$f" p99_ms p99_ms_min p99_ms_max \
        lost_pct new_refused probes new_rooms_out_ms new_rooms_out_ms_min new_rooms_out_ms_max \
        new_room_wait_ms new_room_wait_ms_min new_room_wait_ms_max held_twice runs | awk '{
        printf "existing rooms p99 %s ms (%s-%s), lost %s%%; new rooms refused %s of %s joins probed, the last %.0f ms (%.0f-%.0f) after the kill, the longest placed join %.0f ms (%.0f-%.0f); rooms held by two relays: %s in %s runs", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14 }')"
} > "$out/summary.txt"
cat "$out/summary.txt" >&2
echo "fleet.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
