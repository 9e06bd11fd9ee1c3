#!/bin/sh
# bench/generator.sh OUT RUNS BIN...: the benchmark generator's own peak
# RSS (/usr/bin/time's maximum resident set) with 4000 clients in rooms of
# 8 at 10 Hz in one process, against a relay it did not start (a fresh one
# a run), for the ricochet-bench of each folder BIN, the builds alternating,
# RUNS rounds. Writes OUT/generator.txt: the date and command, then one
# line a run, read by docs/tables/doctables.sh's generator table.
set -eu
[ $# -ge 3 ] || { sed -n '2,7s/^# \{0,1\}//p' "$0" >&2; exit 2; }
out=$1
runs=$2
shift 2
[ -x /usr/bin/time ] || { echo "generator.sh: needs /usr/bin/time (package time)" >&2; exit 2; }
mkdir -p "$out"
"$(dirname "$0")/machine.sh" "$1" "$out" > /dev/null # machine.txt: the machine, its floor
tmp=$(mktemp -d)
relay_pid=""
cleanup() {
    [ -z "$relay_pid" ] || kill -TERM "$relay_pid" 2>/dev/null || true
    [ -z "$relay_pid" ] || wait "$relay_pid" 2>/dev/null || true
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# start_relay BIN: a fresh relay of that build on a free loopback port
# (relay_pid, port), so that no run meets the peers of the one before.
start_relay() {
    "$1/ricochet-relay" --bind 127.0.0.1 --port 0 --max-clients 4000 --max-rooms 1000 \
        --max-per-address 0 --tick-ms 50 --stats-interval 0 --log-level info \
        >/dev/null 2>"$tmp/relay.err" &
    relay_pid=$!
    port=""
    i=0
    while [ -z "$port" ] && [ $i -lt 100 ]; do
        sleep 0.1
        port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$tmp/relay.err")
        i=$((i + 1))
    done
    [ -n "$port" ] || { echo "generator.sh: $1/ricochet-relay did not start" >&2; exit 1; }
}
stop_relay() {
    kill -TERM "$relay_pid"
    wait "$relay_pid" || true
    relay_pid=""
}

args="--clients 4000 --room-size 8 --rate 10 --procs 1 --modes unsequenced --duration 3"
args="$args --warmup 2 --grace 1 --setup-timeout 90 --quiet"
{
    echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores"
    echo "# command: /usr/bin/time -v ricochet-bench --relay 127.0.0.1:PORT $args" \
        "(against ricochet-relay --max-clients 4000 --max-rooms 1000 --max-per-address 0" \
        "--tick-ms 50)"
    r=1
    while [ "$r" -le "$runs" ]; do
        for bin in "$@"; do
            start_relay "$bin"
            # shellcheck disable=SC2086
            /usr/bin/time -v "$bin/ricochet-bench" --relay "127.0.0.1:$port" $args \
                >/dev/null 2>"$tmp/time" ||
                { echo "generator.sh: $bin/ricochet-bench failed" >&2; cat "$tmp/time" >&2; exit 1; }
            stop_relay
            kb=$(sed -n 's/.*Maximum resident set size (kbytes): //p' "$tmp/time")
            echo "run $r: $("$bin/ricochet-bench" --version | head -n 1): peak RSS $kb kB"
        done
        r=$((r + 1))
    done
} > "$tmp/generator.txt"
mv "$tmp/generator.txt" "$out/generator.txt"
echo "generator.sh: $out/generator.txt" >&2
