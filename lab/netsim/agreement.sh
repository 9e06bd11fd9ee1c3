#!/bin/sh
# lab/netsim/agreement.sh BIN OUT [SECONDS] [REPEAT]: ricochet-netsim's two modes
# on one scenario, measured by the same ricochet-bench clients: the UDP
# proxy (the bench starts relay and netsim itself) and IP mode (the
# bench's clients in one network namespace, the relay in another, netsim's
# TUN devices between them, with the per-hop figures the bench gives the
# proxy). 4 clients at 60 Hz in one room, unsequenced, 5% loss and 20 ms
# over the whole path; REPEAT runs of SECONDS each way (seeds 1, 2, ...).
# They should agree within 0.5 percentage points of loss and 1 ms of p50
# (docs/netsim.md). Writes each run's JSON, agreement.json and summary.txt into OUT
# and prints medians with min-max.
#
# It runs inside a PID namespace of its own (unshare --pid --kill-child):
# however the script ends, the kernel kills whatever it started, and the
# network namespaces, anonymous and held only by those processes, go with
# them. As root, or else as root of a user namespace; where neither is
# allowed it says so in one line and measures the UDP proxy alone.
set -eu
usage="usage: lab/netsim/agreement.sh BIN OUT [SECONDS] [REPEAT]"
bin=${1:?$usage}
out=${2:?$usage}
secs=${3:-30}
repeat=${4:-3}
ip_mode=1
if [ "${RICOCHET_AGREEMENT_INSIDE:-}" != 1 ]; then
    mkdir -p "$out"
    export RICOCHET_AGREEMENT_INSIDE=1
    for how in "" "--user --map-root-user"; do
        # shellcheck disable=SC2086 # $how is two words or none
        if unshare $how --pid --fork --kill-child --mount-proc true 2>/dev/null; then
            exec unshare $how --pid --fork --kill-child --mount-proc sh "$0" "$@"
        fi
    done
    echo "agreement: no namespaces here (unshare refused as root and in a user namespace);" \
         "measuring the UDP proxy alone" >&2
    ip_mode=0
fi

# The bench's split of the path over netsim's two hops (docs/benchmarks.md, method).
hop_loss=$(awk 'BEGIN { printf "%.6f", 100 * (1 - sqrt(1 - 0.05)) }')
common="--clients 4 --rate 60 --payload 40 --modes unsequenced --duration $secs --warmup 1
        --grace 2 -J"

# Waits up to 10 s until process $1 is in a network namespace of its own.
own_netns() {
    n=0
    while [ "$(readlink "/proc/$1/ns/net")" = "$(readlink /proc/self/ns/net)" ]; do
        n=$((n + 1))
        [ $n -lt 200 ] || { echo "agreement: process $1 has no namespace of its own" >&2; exit 1; }
        sleep 0.05
    done
}

# Waits up to 10 s for a line matching $2 in file $1.
wait_line() {
    n=0
    until grep -q "$2" "$1" 2>/dev/null; do
        n=$((n + 1))
        [ $n -lt 200 ] || { echo "agreement: no \"$2\" in $1" >&2; cat "$1" >&2; exit 1; }
        sleep 0.05
    done
}

# One run in IP mode with seed $1.
ip_run() {
    unshare --net sleep 86400 &
    clients=$!
    unshare --net "$bin/ricochet-relay" --port 7777 --max-per-address 0 --rate-limit 0 \
        >/dev/null 2>"$out/relay-ip-$1.log" &
    relay=$!
    own_netns $clients
    own_netns $relay
    wait_line "$out/relay-ip-$1.log" "listening on"
    "$bin/ricochet-netsim" --client-netns "/proc/$clients/ns/net" \
        --relay-netns "/proc/$relay/ns/net" --loss "$hop_loss" --delay 10 --seed "$1" \
        >"$out/netsim-ip-$1.json" 2>"$out/netsim-ip-$1.log" &
    netsim=$!
    wait_line "$out/netsim-ip-$1.log" "wire up:"
    # shellcheck disable=SC2086 # $common is the bench's options, one per word
    nsenter --net="/proc/$clients/ns/net" "$bin/ricochet-bench" $common \
        --relay 198.19.0.1:7777 >"$out/ip-$1.json" 2>"$out/ip-$1.log"
    kill "$netsim" "$relay" "$clients"
    wait "$netsim" "$relay" "$clients" 2>/dev/null || true
}

seed=1
while [ "$seed" -le "$repeat" ]; do
    # shellcheck disable=SC2086
    "$bin/ricochet-bench" $common --path-loss 5 --path-delay 20 --seed "$seed" \
        >"$out/proxy-$seed.json" 2>"$out/proxy-$seed.log"
    [ "$ip_mode" = 0 ] || ip_run "$seed"
    seed=$((seed + 1))
done

# Medians with min-max of each way's runs, and the differences of the medians.
modes="proxy"
[ "$ip_mode" = 0 ] || modes="proxy ip"
for m in $modes; do
    jq -s --arg m "$m" '{($m): ([.[].results[0]] | {
        lost_pct: (map(.lost_pct) | sort | {median: .[length / 2 | floor], min: .[0], max: .[-1]}),
        p50_ms: (map(.latency_ms.p50) | sort | {median: .[length / 2 | floor], min: .[0],
                 max: .[-1]})})}' "$out/$m"-*.json
done | jq -s --arg cmd "lab/netsim/agreement.sh BIN OUT $secs $repeat" \
    --arg date "$(date -u '+%Y-%m-%d %H:%M UTC')" 'add | . + {command: $cmd, date: $date} |
    if .ip then . + {difference: {lost_pp: (.ip.lost_pct.median - .proxy.lost_pct.median),
                                  p50_ms: (.ip.p50_ms.median - .proxy.p50_ms.median)}}
    else . end' >"$out/agreement.json"
# The same, rounded (loss to 0.01 points, p50 to 1 µs), into summary.txt.
jq -r 'def r(n): . * n | round / n;
    def fig(n): "\(.median | r(n)) (\(.min | r(n))-\(.max | r(n)))";
    "# \(.date): \(.command)",
    (["way", "lost %", "p50 ms"] | @tsv),
    (["proxy", "ip"][] as $m | select(has($m)) | .[$m] |
     [$m, (.lost_pct | fig(100)), (.p50_ms | fig(1000))] | @tsv),
    (select(.difference) | .difference |
     "difference of the medians: \(.lost_pp | r(100)) points of loss, \(.p50_ms | r(1000)) ms of p50")' \
    "$out/agreement.json" | tee "$out/summary.txt"
