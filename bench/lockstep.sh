#!/bin/sh
# bench/lockstep.sh BIN OUT [ROUNDS] [PLAYERS]: lockstep rooms against the
# state relay (`make bench-lockstep`, into build/bench-results/lockstep/;
# about 6 minutes). PLAYERS (1000) players in rooms of 8 at 30 Hz, over
# ENet from one generator (ricochet-bench): ROUNDS (3) rounds, each the
# floor (bench/machine.sh), then in turn, each round starting one further on:
#   state   ricochet-bench's own run: a state 30 times a second from each
#           (unsequenced), the relay's CPU per player beside lockstep's;
#   loss 0  ricochet-bench --lockstep, unsequenced (the frames' own delivery:
#           each datagram carries every frame not acknowledged) and reliable
#           (the same frames on ENet's reliable channel);
#   loss 5  the same, 5% of the datagrams lost each way.
# Every run is in a network namespace of its own (unshare -n, as root), on
# its loopback; the loss is the kernel's: an nftables rule on its input
# drops each UDP datagram with probability LOSS (netsim's proxy would put a
# process of its own in the path of 60,000 datagrams a second, on the same
# two cores as the relay and the players). DURATION (10) s windows after
# WARMUP (3) s. Per run: the relay's CPU per player (µs of it a second),
# and the latency from each input's send to its confirmed frame on the
# sender's clock, p50 and p99.
# Writes OUT/machine.txt, OUT/runs.txt (a line per run), OUT/*.json
# (each run's) and OUT/summary.txt: medians with min-max over the rounds,
# the floor's beside. Every process it starts ends with it.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/lockstep}
rounds=${3:-3}
players=${4:-1000}
duration=${DURATION:-10}
warmup=${WARMUP:-3}
loss=${LOSS:-5}
here=$(dirname "$0")
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
die() { echo "lockstep.sh: $*" >&2; exit 2; }
case "$rounds" in '' | *[!0-9]* | 0) die "ROUNDS is a count of 1 or more, not '$rounds'" ;; esac
case "$players" in '' | *[!0-9]* | 0 | 1) die "PLAYERS is 2 or more, not '$players'" ;; esac
[ -x "$bin/ricochet-bench" ] || die "$bin/ricochet-bench not found (run make first)"
[ "$(id -u)" = 0 ] || die "needs root (a network namespace a run)"
for t in jq nft unshare ip; do command -v "$t" > /dev/null || die "needs $t"; done
mkdir -p "$out"
rm -f "$out"/*.json
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

# isolated PCT LOG CMD...: CMD in a network namespace of its own, its
# loopback up, its stderr into LOG; once CMD says its players joined, PCT
# per cent of the UDP datagrams arriving there are dropped (0: none).
isolated() {
    unshare -n sh -c '
        pct=$1 log=$2
        shift 2
        ip link set lo up || exit 2
        fifo=$(mktemp -u) && mkfifo "$fifo" || exit 2
        while IFS= read -r line; do
            printf "%s\n" "$line"
            case "$line" in
            *"players joined; the warm-up starts"*)
                [ "$pct" = 0 ] || nft add table inet loss \; \
                    add chain inet loss in "{ type filter hook input priority 0; }" \; \
                    add rule inet loss in meta l4proto udp numgen random mod 10000 \
                        "<" "$(awk -v p="$pct" "BEGIN { print int(p * 100) }")" drop ;;
            esac
        done < "$fifo" > "$log" &
        "$@" 2> "$fifo"
        rc=$?
        wait
        rm -f "$fifo"
        exit $rc' sh "$@"
}

common="--clients $players --room-size 8 --rate 30 --duration $duration --warmup $warmup
    --setup-timeout 60 --log-level info"

# one RUN ROUND FLOOR: a run (state, or lockstep-MODE-LOSS), its line into
# runs.txt.
one() {
    load=$(cut -d' ' -f1 /proc/loadavg)
    json="$out/round$2-$1.json"
    case "$1" in
    state)
        # shellcheck disable=SC2086
        isolated 0 "$tmp/$1.log" "$bin/ricochet-bench" $common --modes unsequenced \
            --json-file "$json" > /dev/null || die "round $2: the state run failed"
        jq -r --arg r "$2" --arg f "$3" --arg l "$load" '.results[] |
            "round \($r) run state mode \(.mode) loss 0 floor \($f) load \($l)" +
            " relay_us \(.relay_cpu_pct / 100 * 1e6 / .clients)" +
            " p50 \(.latency_ms.p50) p99 \(.latency_ms.p99) stood_in_pct 0 gen \(.bench_cpu_pct)"' \
            "$json" >> "$out/runs.txt"
        ;;
    lockstep-*)
        mode=$(echo "$1" | cut -d- -f2)
        pct=$(echo "$1" | cut -d- -f3)
        # shellcheck disable=SC2086
        isolated "$pct" "$tmp/$1.log" "$bin/ricochet-bench" --lockstep $common \
            --modes "$mode" --json-file "$json" > /dev/null ||
            die "round $2: $1 failed: $(jq -r '.lockstep[0].error' "$json" 2> /dev/null)"
        jq -r --arg r "$2" --arg f "$3" --arg l "$load" --arg p "$pct" '.lockstep[] |
            "round \($r) run lockstep mode \(.mode) loss \($p) floor \($f) load \($l)" +
            " relay_us \(.relay_us_per_player_s) p50 \(.p50_ms) p99 \(.p99_ms)" +
            " stood_in_pct \(100 * (.stood_in + .missing) / .inputs) gen \(.generator_cpu_pct)"' \
            "$json" >> "$out/runs.txt"
        ;;
    esac
}

: > "$out/runs.txt"
round=1
while [ "$round" -le "$rounds" ]; do
    floor=$(round_floor "$bin" "$out" "$round")
    order=$(echo "state lockstep-unsequenced-0 lockstep-reliable-0" \
        "lockstep-unsequenced-$loss lockstep-reliable-$loss" | awk -v k="$((round - 1))" \
        '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
    for r in $order; do
        one "$r" "$round" "$floor"
    done
    round=$((round + 1))
done

# median_of RUN MODE LOSS FIELD [DECIMALS]: "median (min-max)" of FIELD over
# the rounds.
median_of() {
    awk -v run="$1" -v m="$2" -v l="$3" -v f="$4" \
        '$4 == run && $6 == m && $8 == l { for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }' \
        "$out/runs.txt" | sort -g |
        awk -v d="${5:-1}" '{ a[NR] = $1 } END { if (NR) printf "%.*f (%.*f-%.*f)",
            d, a[int((NR + 1) / 2)], d, a[1], d, a[NR] }'
}

{
    echo "bench/lockstep.sh: $players players in rooms of 8 at 30 Hz (lockstep: input delay" \
         "4 ticks), DURATION=$duration s windows after WARMUP=$warmup s, $rounds rounds;" \
         "loss $loss% = each datagram each way"
    echo "$(machine_line); floor median: $(awk '!seen[$2]++ { print $10 }' \
        "$out/runs.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
        "datagrams a second"
    printf '%-9s %-12s %-5s %-24s %-24s %-24s %s\n' run mode loss "relay us/player/s" \
        "p50 ms" "p99 ms" "stood in or missing %"
    for line in "state unsequenced 0" "lockstep unsequenced 0" "lockstep reliable 0" \
                "lockstep unsequenced $loss" "lockstep reliable $loss"; do
        # shellcheck disable=SC2086
        set -- $line
        printf '%-9s %-12s %-5s %-24s %-24s %-24s %s\n' "$1" "$2" "$3%" \
            "$(median_of "$1" "$2" "$3" relay_us)" "$(median_of "$1" "$2" "$3" p50)" \
            "$(median_of "$1" "$2" "$3" p99)" "$(median_of "$1" "$2" "$3" stood_in_pct 2)"
    done
} > "$out/summary.txt"
cat "$out/summary.txt"
