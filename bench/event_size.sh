#!/bin/sh
# bench/event_size.sh BIN OUT [ROUNDS] [SIZES]: what an event's size costs
# the relay (`make bench-event-size`, into build/bench-results/event-size/;
# about 2 minutes). ROOMS (8) rooms of 8 ricochet-bot players over ENet
# (unsequenced), each player sending a state every 2 s and EVENTS (10)
# events a second to its room; DURATION (8) s, the window the last
# DURATION - 2 of them (its first 2: the joins; the players stay 1 s more). ROUNDS (3) rounds, each:
# the floor (bench/machine.sh), then one run per body size of SIZES ("64
# 1024 4096": 1024 the largest before events grew, 4096 the largest now),
# in turn, each round starting one further on. Per run, over the window:
# the relay's CPU (user + system, /proc) per delivered event (events_out),
# and the bytes it handed its edge per delivered event and per member a
# second (bytes_out: messages as sent, the few states' among them, without
# ENet's or UDP's headers).
# Writes OUT/machine.txt, OUT/runs.txt (a line per run) and
# OUT/summary.txt: per size, medians with min-max over the rounds, the
# floor's medians beside. 127.0.0.1 only; every process it starts ends.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/event-size}
rounds=${3:-3}
sizes=${4:-64 1024 4096}
rooms=${ROOMS:-8}
events=${EVENTS:-10}
duration=${DURATION:-8}
here=$(dirname "$0")
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
die() { echo "event_size.sh: $*" >&2; exit 2; }
case "$rounds" in '' | *[!0-9]* | 0) die "ROUNDS is a count of 1 or more, not '$rounds'" ;; esac
[ "$duration" -ge 3 ] 2> /dev/null || die "DURATION is 3 s or more, not '$duration'"
for b in ricochet-relay ricochet-bot ricochet-bench; do
    [ -x "$bin/$b" ] || die "$bin/$b not found (run make first)"
done
command -v jq > /dev/null || die "needs jq (apt-get install jq)"
mkdir -p "$out"
tmp=$(mktemp -d)
relay=""
bots=""
stop() {
    for p in $bots $relay; do kill "$p" 2> /dev/null || true; done
    rm -rf "$tmp"
}
trap stop EXIT INT TERM
tick=$(getconf CLK_TCK)
window=$((duration - 2))

# cpu_of PID: its user + system time so far, clock ticks.
cpu_of() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# record PID: the relay writes a stats record now (SIGUSR1); waits for it.
record() {
    n=$(wc -l < "$tmp/stats")
    kill -USR1 "$1"
    i=0
    while [ "$(wc -l < "$tmp/stats")" -le "$n" ] && [ "$i" -lt 50 ]; do
        sleep 0.02
        i=$((i + 1))
    done
}

# field FILE NAME: NAME of the last stats line of FILE.
field() { tail -n 1 "$1" | jq -r ".$2"; }

# one SIZE: one run; prints "cpu_us_per_event bytes_per_event bytes_per_member_s".
one() {
    : > "$tmp/log" # the relay's redirection is made in its own process, maybe after the sed
    "$bin/ricochet-relay" --listen enet://127.0.0.1:0 --max-per-address 0 --stats-interval 0 \
        --log-level info \
        > "$tmp/stats" 2> "$tmp/log" &
    relay=$!
    port=""
    i=0
    while [ -z "$port" ] && [ "$i" -lt 100 ]; do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\) (enet).*/\1/p' "$tmp/log")
        [ -n "$port" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$port" ] || die "the relay did not start: $(cat "$tmp/log")"
    bots=""
    r=1
    while [ "$r" -le "$rooms" ]; do
        "$bin/ricochet-bot" --port "$port" --room "e$r" --count 8 --rate 0.5 --events "$events" \
            --event-bytes "$1" --duration "$((duration + 1))" > /dev/null 2>&1 &
        bots="$bots $!"
        r=$((r + 1))
    done
    sleep 2
    c0=$(cpu_of "$relay")
    record "$relay"
    e0=$(field "$tmp/stats" events_out)
    b0=$(field "$tmp/stats" bytes_out)
    sleep "$window"
    c1=$(cpu_of "$relay")
    record "$relay"
    e1=$(field "$tmp/stats" events_out)
    b1=$(field "$tmp/stats" bytes_out)
    members=$(field "$tmp/stats" members)
    for p in $bots; do wait "$p" || true; done
    bots=""
    kill "$relay"
    wait "$relay" || true
    relay=""
    awk -v c="$((c1 - c0))" -v t="$tick" -v e="$((e1 - e0))" -v b="$((b1 - b0))" \
        -v m="$members" -v w="$window" 'BEGIN {
            if (e <= 0 || m <= 0) { print "none"; exit }
            printf "%.2f %.0f %.0f\n", c * 1e6 / t / e, b / e, b / m / w }'
}

: > "$out/runs.txt"
round=1
while [ "$round" -le "$rounds" ]; do
    floor=$(round_floor "$bin" "$out" "$round")
    order=$(echo "$sizes" | awk -v k="$((round - 1))" \
        '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
    for s in $order; do
        got=$(one "$s")
        [ "$got" != none ] || die "size $s: no events delivered in round $round"
        echo "round $round size $s floor $floor load $(cut -d' ' -f1 /proc/loadavg) $got" |
            awk '{ print $1, $2, $3, $4, $5, $6, $7, $8, "cpu_us", $9, "bytes", $10,
                   "member_bytes_s", $11 }' >> "$out/runs.txt"
    done
    round=$((round + 1))
done

# summary: per size, the median and min-max of each figure over the rounds.
{
    echo "bench/event_size.sh: ROOMS=$rooms x 8 players, EVENTS=$events a second each," \
         "a state every 2 s, DURATION=$duration s (window $window s), $rounds rounds"
    echo "$(machine_line); floor median: $(awk '!seen[$2]++ { print $6 }' \
        "$out/runs.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')" \
        "datagrams a second"
    echo "size  cpu_us/event  bytes/event  bytes/member/s"
    for s in $sizes; do
        for k in 10 12 14; do
            awk -v s="$s" -v k="$k" '$4 == s { print $k }' "$out/runs.txt" | sort -n |
                awk '{ a[NR] = $1 } END { printf "%s (%s-%s)\n", a[int((NR + 1) / 2)], a[1], a[NR] }'
        done | paste -sd' ' | sed "s/^/$s  /"
    done
} > "$out/summary.txt"
cat "$out/summary.txt"
