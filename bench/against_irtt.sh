#!/bin/sh
# bench/against_irtt.sh BIN OUT [ROUNDS] [SECONDS]: ricochet-bench's
# plain-UDP lane beside two latency tools others trust, over one path.
#   loopback   sockperf's ping-pong round trip (40-byte messages, client ->
#              server -> client: two hops, nothing in between), the floor
#              of what any harness sees, beside ricochet-bench's one-way
#              latency over the same two hops (client -> relay -> client),
#              through the reference relay and through ricochet-relay, each
#              with --tick-ms 0: what the bench and a relay add above it
#   netsim     for each loss in $LOSSES ("0 1 5"), $DELAY (20) ms of delay and
#              $JITTER (5) ms of jitter end to end: irtt's round trip through
#              ricochet-netsim's proxy (the same two hops, per-hop loss, delay
#              and jitter as ricochet-bench splits them) beside the bench's
#              udp and reference lanes through a netsim it starts alike:
#              round trip p50, p99 and loss against the bench's one-way p50,
#              p99 and loss, which measure the same path
# ROUNDS (3) rounds, the tools and the bench taking turns, each SECONDS (5)
# long; each round starts with the floor (bench/machine.sh). Writes
# OUT/machine.txt, OUT/runs/ (each measurement's record, with its round's floor
# as floor_dgrams_per_s and floor_us_per_dgram), OUT/runs.json and
# OUT/summary.txt: medians with min-max over the rounds and the bench's
# figure minus the tool's, per path. Needs irtt, sockperf, jq and python3
# (a free port for the tools' servers). Everything stays on 127.0.0.1.
set -eu

case "${1:-}" in -h | --help) sed -n '2,24s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
bin=${1:-build/bin}
out=${2:-build/bench-results/irtt}
rounds=${3:-3}
seconds=${4:-5}
losses=${LOSSES:-0 1 5}
delay=${DELAY:-20}
jitter=${JITTER:-5}
rate=100 # states (probes) a second: irtt -i 10ms, the bench --rate 100
here=$(dirname "$0")
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
die() { echo "against_irtt.sh: $*" >&2; exit 2; }
case "$rounds$seconds" in *[!0-9]* | "") die "ROUNDS and SECONDS are whole numbers" ;; esac
if [ "$rounds" -lt 1 ] || [ "$seconds" -lt 1 ]; then die "ROUNDS and SECONDS are at least 1"; fi
for p in ricochet-bench ricochet-netsim ricochet-relay reference-relay; do
    [ -x "$bin/$p" ] || die "$bin/$p not found (run make first)"
done
for t in irtt sockperf jq python3; do
    command -v "$t" > /dev/null || die "needs $t (apt-get install $t)"
done
command="bench/against_irtt.sh $bin $out $rounds $seconds"
[ -n "${LOSSES:-}${DELAY:-}${JITTER:-}" ] &&
    command="LOSSES=\"$losses\" DELAY=$delay JITTER=$jitter $command"
when="$(date -u +'%Y-%m-%d %H:%M UTC')"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/against-irtt-XXXXXX")
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
rm -rf "$out/runs"
mkdir -p "$out/runs"

free_port() {
    python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# hop LOSS: netsim's per-hop loss, delay and jitter for the end-to-end
# figures, as ricochet-bench splits them (bench_params_per_hop).
hop() {
    awk -v l="$1" -v d="$delay" -v j="$jitter" \
        'BEGIN { printf "--loss %.6f --delay %.6f --jitter %.6f", 100 * (1 - sqrt(1 - l / 100)), d / 2, j / 2 }'
}

# record FILE TOOL PATH LOSS P50 P99 LOSS_PCT: one measurement's record.
record() {
    jq -n --arg tool "$2" --arg path "$3" --argjson loss "$4" --argjson p50 "$5" \
        --argjson p99 "$6" --argjson lost "$7" --argjson round "$round" --argjson floor "$floor" \
        '{tool: $tool, path: $path, loss: $loss, p50_ms: $p50, p99_ms: $p99, lost_pct: $lost,
          round: $round}
         + if $floor > 0 then {floor_dgrams_per_s: $floor, floor_us_per_dgram: (1e6 / $floor)}
           else {} end' > "$1"
}

# sockperf_run ROUND: the loopback round trip, percentiles in µs -> ms.
sockperf_run() {
    port=$(free_port)
    sockperf server -i 127.0.0.1 -p "$port" > "$tmp/sp-server.txt" 2>&1 &
    sp=$!
    pids="$pids $sp"
    sleep 0.5
    sockperf ping-pong -i 127.0.0.1 -p "$port" -m 40 -t "$seconds" --mps "$rate" --full-rtt \
        > "$tmp/sp.txt" 2>&1 || { kill "$sp"; die "sockperf ping-pong failed: $(tail -3 "$tmp/sp.txt")"; }
    kill "$sp" 2> /dev/null || true
    wait "$sp" 2> /dev/null || true
    pct() { sed -n "s/.*percentile $1 = *\([0-9.]*\).*/\1/p" "$tmp/sp.txt" | head -1; }
    p50=$(pct 50.000)
    p99=$(pct 99.000)
    if [ -z "$p50" ] || [ -z "$p99" ]; then die "no percentiles in sockperf's output"; fi
    record "$out/runs/$round-sockperf-loopback.json" sockperf loopback 0 \
        "$(awk -v v="$p50" 'BEGIN { print v / 1000 }')" "$(awk -v v="$p99" 'BEGIN { print v / 1000 }')" 0
}

# irtt_run LOSS: irtt's round trip through a netsim with LOSS end to end.
irtt_run() {
    port=$(free_port)
    irtt server -b "127.0.0.1:$port" > "$tmp/irtt-server.txt" 2>&1 &
    is=$!
    # shellcheck disable=SC2046 # hop's words are options
    "$bin/ricochet-netsim" --listen 127.0.0.1:0 --relay "127.0.0.1:$port" $(hop "$1") \
        --seed "$round" > "$tmp/netsim.json" 2> "$tmp/netsim.txt" &
    ns=$!
    pids="$pids $is $ns"
    i=0
    nport=""
    while [ -z "$nport" ]; do
        i=$((i + 1))
        [ "$i" -lt 100 ] || die "ricochet-netsim did not start: $(tail -3 "$tmp/netsim.txt")"
        sleep 0.1
        nport=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\) .*/\1/p' "$tmp/netsim.txt" |
            head -1)
    done
    irtt client -q -i 10ms -d "${seconds}s" -l 40 --timeouts=1s,2s,4s -o "$tmp/irtt.json" \
        "127.0.0.1:$nport" > "$tmp/irtt.txt" 2>&1 ||
        die "irtt client failed: $(tail -3 "$tmp/irtt.txt")"
    kill "$ns" "$is" 2> /dev/null || true
    wait "$ns" "$is" 2> /dev/null || true
    # per round trip (ns): the received ones' percentiles; loss over all
    jq '[.round_trips[] | select(.lost == "false") | .delay.rtt] | sort as $r
        | {p50: ($r[(length * 0.5 | floor)] / 1e6), p99: ($r[(length * 0.99 | floor)] / 1e6)}' \
        "$tmp/irtt.json" > "$tmp/irtt-pct.json"
    record "$out/runs/$round-irtt-netsim-$1.json" irtt netsim "$1" \
        "$(jq .p50 "$tmp/irtt-pct.json")" "$(jq .p99 "$tmp/irtt-pct.json")" \
        "$(jq .stats.packet_loss_percent "$tmp/irtt.json")"
}

# bench_run PATH LOSS: ricochet-bench's udp and reference lanes, two
# clients at $rate, --tick-ms 0 (each state forwarded when it arrives).
bench_run() {
    impair=""
    [ "$1" = netsim ] && impair="--path-loss $2 --path-delay $delay --path-jitter $jitter --netsim"
    # shellcheck disable=SC2086 # $impair is a list of words
    "$bin/ricochet-bench" --clients 2 --rate "$rate" --duration "$seconds" --warmup 1 --grace 1 \
        --modes reference,udp --relay-args "--tick-ms 0" --seed "$round" $impair --quiet \
        --json-file "$tmp/bench.json" > /dev/null ||
        die "ricochet-bench failed (see its --json-file's errors)"
    for lane in reference udp; do
        jq --arg m "$lane" '.results[] | select(.mode == $m)' "$tmp/bench.json" > "$tmp/lane.json"
        record "$out/runs/$round-bench-$lane-$1-$2.json" "bench-$lane" "$1" "$2" \
            "$(jq .latency_ms.p50 "$tmp/lane.json")" "$(jq .latency_ms.p99 "$tmp/lane.json")" \
            "$(jq '100 - .delivery_pct' "$tmp/lane.json")"
    done
}

round=1
while [ "$round" -le "$rounds" ]; do
    floor=$(round_floor "$bin" "$out" "$round")
    echo "== round $round of $rounds: floor $floor datagrams a second" >&2
    sockperf_run
    bench_run loopback 0
    for l in $losses; do
        irtt_run "$l"
        bench_run netsim "$l"
    done
    round=$((round + 1))
done

jq -s --arg date "$when" --arg command "$command" --arg machine "$(machine_line)" \
    --argjson delay "$delay" --argjson jitter "$jitter" \
    '{date: $date, command: $command, machine: $machine, delay_ms: $delay, jitter_ms: $jitter,
      runs: .}' "$out"/runs/*.json > "$out/runs.json"
jq -r -f "$here/against_irtt.jq" "$out/runs.json" > "$out/summary.txt"
cat "$out/summary.txt" >&2
