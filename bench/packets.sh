#!/bin/sh
# bench/packets.sh BIN OUT [RUNS [CLIENTS]]: the packets a relay's port
# receives and sends per member per second, sealed ENet against QUIC's
# datagrams, in rooms of 8 at 10 Hz with a 50 ms tick (the rooms where QUIC
# costs the relay most beside ENet, docs/benchmarks.md). Each run starts
# ricochet-bench with CLIENTS (1000) in one mode, lets it settle, counts
# with tcpdump for 2 s what goes to and from the relay's UDP port, and how
# many of those packets carry at most 60 bytes of UDP payload (an ENet ping
# or acknowledgement, a QUIC packet holding an ACK frame alone: a state
# makes a packet larger). RUNS (3) rounds, the modes in turn in each;
# OUT/runs.txt has every count, OUT/summary.txt the medians (min-max) per
# member per second, OUT/machine.txt the machine.
set -eu
bin=${1:-build/bin}
out=${2:-build/bench-results/packets}
runs=${3:-3}
clients=${4:-1000}
[ -x "$bin/ricochet-bench" ] || { echo "packets.sh: $bin/ricochet-bench not found (run make first)" >&2; exit 2; }
case $runs$clients in *[!0-9]*) echo "packets.sh: RUNS and CLIENTS are whole numbers" >&2; exit 2 ;; esac
command -v tcpdump > /dev/null || { echo "packets.sh: tcpdump not found (.ci/deps bench)" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "packets.sh: tcpdump on lo needs root" >&2; exit 2; }
mkdir -p "$out"
"$(dirname "$0")/machine.sh" "$bin" "$out" > /dev/null
work=$(mktemp -d)
bench_pid=""
trap 'kill $bench_pid 2> /dev/null || true; rm -rf "$work"' EXIT
secs=2

# count MODE RUN: one bench run in MODE, its relay's packets counted.
count() {
    "$bin/ricochet-bench" --clients "$clients" --room-size 8 --rate 10 --modes "$1" --encrypt \
        --relay-args '--tick-ms 50' --warmup 2 --grace 1 --setup-timeout 120 --duration 10 \
        > "$work/bench.log" 2>&1 &
    bench_pid=$!
    relay="" port=""
    tries=0
    while [ -z "$port" ] && [ $tries -lt 600 ]; do
        sleep 0.1
        tries=$((tries + 1))
        relay=$(pgrep -P "$bench_pid" -x ricochet-relay || true)
        [ -n "$relay" ] && port=$(ss -H -ulpn | awk -v p="pid=$relay," 'index($0, p) { n = split($4, a, ":"); print a[n]; exit }')
    done
    [ -n "$port" ] || { echo "packets.sh: no relay port (see $work/bench.log)" >&2; cat "$work/bench.log" >&2; exit 1; }
    # settled: joined (about a second for 1000) and past the 2 s warm-up;
    # the measured window lasts 10 s
    sleep 5
    timeout "$secs" tcpdump -B 65536 -s 96 -i lo -nn -w "$work/cap.pcap" "udp and port $port" \
        2> "$work/tcpdump.err" || true
    wait "$bench_pid" || { echo "packets.sh: the bench failed (its log follows)" >&2; cat "$work/bench.log" >&2; exit 1; }
    bench_pid=""
    tcpdump -nn -q -r "$work/cap.pcap" 2> /dev/null | awk -v p=".$port" -v mode="$1" -v run="$2" \
        -v n="$clients" -v s="$secs" '
        { len = $NF + 0; to = ($5 ~ p ":$"); small = (len <= 60)
          if (to) { i++; is += small } else { o++; os += small } }
        END { printf "%s %d %.2f %.2f %.2f %.2f\n", mode, run, i / n / s, is / n / s,
              o / n / s, os / n / s }' >> "$out/runs.txt"
}

: > "$out/runs.txt"
run=1
while [ "$run" -le "$runs" ]; do
    count unsequenced "$run"
    count quic "$run"
    run=$((run + 1))
done

# stat MODE COLUMN: median (min-max) of a column over the mode's runs
stat() {
    awk -v m="$1" -v c="$2" '$1 == m { print $c }' "$out/runs.txt" |
        awk -v f=%.1f -f "$(dirname "$0")/median.awk"
}
{
    echo "$ bench/packets.sh $bin $out $runs $clients"
    echo "$clients clients in rooms of 8 at 10 Hz, --tick-ms 50, ENet sealed (--encrypt);"
    echo "packets per member per second at the relay's port over $secs s, medians of $runs runs (min-max)"
    echo "mode: in (of which <= 60 B) / out (of which <= 60 B)"
    for m in unsequenced quic; do
        echo "$m: in $(stat $m 3) ($(stat $m 4)) / out $(stat $m 5) ($(stat $m 6))"
    done
    echo "runs (mode run in in_small out out_small):"
    cat "$out/runs.txt"
    cat "$out/machine.txt"
} > "$out/summary.txt"
cat "$out/summary.txt"
