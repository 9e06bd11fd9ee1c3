#!/bin/sh
# bench/suite.sh BIN OUT [REPEATS]: the standard benchmark suite (`make bench` into
# build/bench-results/, `make bench-reference` into the committed
# bench/results/), a few minutes on a 2-core machine. Empties, then writes
# under OUT (every scenario run REPEATS (3) times: medians with min-max):
#   loss/      every mode x end-to-end loss 0,1,5,10,20 % with 20 ms delay and
#              10 ms jitter through netsim: table.txt results.json results.csv,
#              cdf_loss_*.png (latency CDF per mode), p99.png, delivery.png
#   capacity/  clients in one room at 60 Hz, 16 -> 256, no impairment, ENet
#              unsequenced and plain udp, each until its delivery drops below
#              99 % or its p99 exceeds 50 ms
#   order/     ordering domains: 8 clients, --reorder, 40 ms delay, 30 ms jitter,
#              loss 0 and 5 %: per mode loss, reordered and too-old counts
#   hol/       reliable against room size (2, 4, 8, 16 at 5 % loss): the tail
#              as more senders share one ordered relay->receiver channel
#   summary.txt  every table and the commands that made them
# Every run through netsim is audited (docs/benchmarks.md: auditing a run): a lost state
# netsim's drop log does not explain makes the bench exit 3; the suite goes
# on and exits 3 at the end, saying which section.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results}
reps=${3:-3}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "suite.sh: $bench not found (run make first)" >&2; exit 2; }
# A run replaces the previous one whole: no plot of an earlier run (say a
# 256-client point the new one never reached) survives next to new ones.
rm -rf "$out/loss" "$out/capacity" "$out/order" "$out/hol" "$out/summary.txt"
mkdir -p "$out/loss" "$out/capacity" "$out/order" "$out/hol"
start=$(date +%s)
unexplained=""

# audited SECTION ARGS...: the bench, going on past exit status 3 (an audit
# found unexplained losses) but not past a failure.
audited() {
    section=$1
    shift
    rc=0
    "$bench" "$@" || rc=$?
    if [ "$rc" -eq 3 ]; then
        unexplained="$unexplained $section"
    elif [ "$rc" -ne 0 ]; then
        exit "$rc"
    fi
}

echo "== loss sweep: every mode, 20 ms delay, 10 ms jitter (netsim)" >&2
audited loss --clients 4 --rate 60 --payload 40 --delay 20 --jitter 10 \
    --sweep loss=0,1,5,10,20 --modes unsequenced,sequenced,reliable,udp \
    --duration 5 --warmup 1 --grace 3 --seed 1 --repeat "$reps" \
    --table "$out/loss/table.txt" --json "$out/loss/results.json" \
    --csv "$out/loss/results.csv" --plot "$out/loss"

echo "== capacity: clients in one room at 60 Hz until delivery or p99 breaks" >&2
"$bench" --rate 60 --payload 40 --sweep clients=16,32,64,96,128,192,256 \
    --modes unsequenced,udp --break-delivery 99 --break-p99 50 \
    --duration 2 --warmup 1 --grace 2 --repeat "$reps" \
    --table "$out/capacity/table.txt" --json "$out/capacity/results.json" \
    --csv "$out/capacity/results.csv" --plot "$out/capacity"

echo "== ordering domains: 8 clients, reordering network, loss 0 and 5 %" >&2
audited order --clients 8 --rate 30 --payload 40 --delay 40 --jitter 30 --reorder \
    --sweep loss=0,5 --modes unsequenced,sequenced,reliable \
    --duration 4 --warmup 1 --grace 2 --seed 1 --repeat "$reps" \
    --table "$out/order/table.txt" --json "$out/order/results.json" \
    --csv "$out/order/results.csv"

echo "== reliable head-of-line blocking against room size, 5 % loss" >&2
audited hol --rate 30 --payload 40 --loss 5 --delay 20 --jitter 10 \
    --sweep clients=2,4,8,16 --modes reliable \
    --duration 4 --warmup 1 --grace 3 --seed 1 --repeat "$reps" \
    --table "$out/hol/table.txt" --json "$out/hol/results.json" \
    --csv "$out/hol/results.csv"

{
    echo "ricochet-bench standard suite ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
         "$reps runs per scenario, $(($(date +%s) - start)) s, $("$bench" --version))"
    echo
    cat "$out/loss/table.txt"
    echo
    cat "$out/capacity/table.txt"
    echo
    cat "$out/order/table.txt"
    echo
    cat "$out/hol/table.txt"
} > "$out/summary.txt"
echo "suite.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
if [ -n "$unexplained" ]; then
    echo "suite.sh: AUDIT FAILED in:$unexplained (lost states netsim's drop log does not" \
         "explain: see AUDIT lines in the tables, listed in results.json)" >&2
    exit 3
fi
