#!/bin/sh
# bench/tickets.sh BIN [RUNS [SECONDS]]: what join tickets and sealed sessions
# cost (docs/tickets.md), each figure the median with min-max of RUNS (3) runs
# (SECONDS: each load run's measured window, 3; 1 for a short check; 0: the
# figures per join and per state alone, no load runs):
#   verify   ricochet-bench --ticket-cost: µs to verify a join's ticket (valid,
#            changed, expired), to start a sealed session (its two keys and the
#            tag of its `sealed` message), to seal and open a 40-byte state, and
#            what an ephemeral X25519 exchange per join would add (forward
#            secrecy, not built), on one core
#   room     64 clients x 60 Hz in one room, --tick-ms 2, ENet unsequenced
#   rooms    4000 clients in rooms of 8 at 10 Hz, --tick-ms 50, one generator
#            process (the scale suite's (a) at its largest)
# For room and rooms: the relay's CPU µs per delivered state (its CPU seconds
# over the window and the drain / states delivered in the window), and
# delivery and p99, in clear and with --encrypt; runs alternate between the
# two so both see the same machine.
set -eu
bin=${1:-build/bin}
runs=${2:-3}
secs=${3:-3}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "tickets.sh: $bench not found (run make first)" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# shellcheck source=bench/machine.sh
. "$(dirname "$0")/machine.sh"
floor=$(floor_of "$bin")
echo "# machine: $(machine_line); floor $floor datagrams a second ($(floor_us "$floor") us each)"

# median (min-max) of the numbers on stdin, with printf format $1
stat() {
    awk -v f="$1" -f "$(dirname "$0")/median.awk"
}

for i in $(seq "$runs"); do
    "$bench" --ticket-cost | grep -oE '[0-9]+\.[0-9]+' | paste -sd' '
done > "$tmp/verify" # verify tampered expired session seal open kx, one run a line
col() { awk -v c="$1" '{ print $c }' "$tmp/verify" | stat "$2"; }
printf 'ticket verification, us per join: valid %s, changed %s, expired %s\n' \
    "$(col 1 %.2f)" "$(col 2 %.2f)" "$(col 3 %.2f)"
printf 'sealed session keys and tag, us per join: %s; a 40-byte state: sealed %s us, opened %s us\n' \
    "$(col 4 %.2f)" "$(col 5 %.3f)" "$(col 6 %.3f)"
printf 'an ephemeral X25519 exchange (forward secrecy, not built), us per join: %s\n' \
    "$(col 7 %.1f)"

# one run: prints "relay_us_per_state delivery_pct p99_ms"; a failed run stops the script
one() {
    "$bench" --modes unsequenced --quiet --csv-file "$tmp/one.csv" "$@" > /dev/null 2> "$tmp/err" ||
        { cat "$tmp/err" >&2; exit 1; }
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
             { printf "%.3f %.3f %.2f\n", $col["relay_us_per_delivery"],
               100 - $col["lost_pct"], $col["p99_ms"] }' "$tmp/one.csv"
}

scenario() { # name, then the bench's arguments
    name=$1
    shift
    : > "$tmp/clear"
    : > "$tmp/sealed"
    for i in $(seq "$runs"); do
        one "$@" >> "$tmp/clear"
        one "$@" --encrypt >> "$tmp/sealed"
    done
    for kind in clear sealed; do
        printf '%s %s: relay %s us per delivered state, delivery %s %%, p99 %s ms\n' "$name" \
            "$kind" "$(awk '{ print $1 }' "$tmp/$kind" | stat %.2f)" \
            "$(awk '{ print $2 }' "$tmp/$kind" | stat %.2f)" \
            "$(awk '{ print $3 }' "$tmp/$kind" | stat %.1f)"
    done
}

[ "$secs" -gt 0 ] || exit 0
scenario "64 clients x 60 Hz, one room, --tick-ms 2:" --clients 64 --rate 60 \
    --relay-args "--tick-ms 2" --duration "$secs" --warmup 1 --grace 1
scenario "4000 clients, rooms of 8, 10 Hz, --tick-ms 50:" --clients 4000 --room-size 8 \
    --rate 10 --procs 1 --relay-args "--tick-ms 50" --duration "$secs" --warmup 2 --grace 1 \
    --setup-timeout 90
