#!/bin/sh
# bench/fleet_listing.sh BIN OUT [RUNS [RELAYS [SIZES]]]: a fleet's listing
# read from the directory (proto/FLEET.md, "Rooms listed across the
# fleet"). A redis-server on loopback and RELAYS (10) relays registered in
# it; for each fleet size of SIZES ("100 1000 10000") the rooms are written
# into the directory by the bulk path of bench/fleet_listing.py (each held
# by one of the relays in turn, 2 props each: what their heartbeats would
# write, without a client per room), then a lobby on the first relay asks
# for the first page, a page from the middle and a filtered page matching
# 1 room of them, RUNS (3) times each. Time: the request's round trip at
# the client; bytes: the listing's; and the directory's side of the same
# page: its LIST calls, their replies' bytes, their time. Needs the
# library (make all lib) and python3. OUT/runs.txt has every figure,
# OUT/summary.txt the medians (min-max), OUT/machine.txt the machine.
set -eu
bin=${1:-build/bin}
out=${2:-build/bench-results/fleet-listing}
runs=${3:-3}
relays=${4:-10}
sizes=${5:-100 1000 10000}
here=$(dirname "$0")
lib=${RICOCHET_LIB:-$bin/../lib/libricochet.so}
[ -x "$bin/ricochet-relay" ] || { echo "fleet_listing.sh: $bin/ricochet-relay not found (make all)" >&2; exit 2; }
[ -e "$lib" ] || { echo "fleet_listing.sh: $lib not found (make lib)" >&2; exit 2; }
command -v redis-server > /dev/null || { echo "fleet_listing.sh: redis-server not found" >&2; exit 2; }
mkdir -p "$out"
"$here/machine.sh" "$bin" "$out" > /dev/null
work=$(mktemp -d)
pids=""
cleanup() {
    for p in $pids; do kill "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# A free TCP port on loopback (the kernel's pick, let go at once).
free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# port_of LOG: the port the relay's 'listening on' line gives its enet edge.
port_of() {
    i=0
    while [ "$i" -lt 100 ]; do
        p=$(sed -n 's|.*listening on .*:\([0-9][0-9]*\) (enet).*|\1|p' "$1" | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    echo "fleet_listing.sh: the relay did not say where it listens ($1)" >&2
    return 1
}

rport=$(free_port)
redis-server --port "$rport" --bind 127.0.0.1 --save "" --appendonly no \
    > "$work/redis.log" 2>&1 &
pids="$pids $!"
i=0
until redis-cli -p "$rport" ping > /dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt 100 ] || { echo "fleet_listing.sh: redis-server did not start" >&2; exit 1; }
    sleep 0.1
done
fleet=bench
for k in $(seq 1 "$relays"); do
    "$bin/ricochet-relay" --listen enet://127.0.0.1:0 --advertise 127.0.0.1:0 \
        --directory "redis://127.0.0.1:$rport" --fleet-name "$fleet" \
        --join-timeout-ms 600000 --byte-limit 0 --stats-interval 0 --log-level warn \
        > "$work/relay$k.out" 2> "$work/relay$k.log" &
    pids="$pids $!"
done
# --log-level warn hides the 'listening on' line: ask the directory instead.
i=0
until [ "$(redis-cli -p "$rport" scard "$fleet:relays")" = "$relays" ]; do
    i=$((i + 1))
    [ "$i" -lt 200 ] || { echo "fleet_listing.sh: the relays did not register" >&2; exit 1; }
    sleep 0.1
done
first=$(redis-cli -p "$rport" smembers "$fleet:relays" | sort | head -1)
port=${first##*:}

: > "$out/runs.txt"
{
    echo "# fleet_listing.sh, $(date -u +%Y-%m-%d): $relays relays, the first page, a page"
    echo "# from the middle, a page filtered to 1 room; medians (min-max) of $runs runs"
    printf '%-6s %-9s %-20s %-20s %-10s %-20s %-20s\n' rooms page client_ms listing_B \
        calls reply_B script_ms
} > "$out/summary.txt"
for n in $sizes; do
    RICOCHET_LIB=$lib python3 "$here/fleet_listing.py" seed "$rport" "$fleet" "$n" >&2
    RICOCHET_LIB=$lib python3 "$here/fleet_listing.py" measure "$port" "$rport" "$fleet" "$n" \
        "$runs" > "$work/runs"
    sed "s/^/$n /" "$work/runs" >> "$out/runs.txt"
    for kind in first middle filtered; do
        col() { awk -v k="$kind" -v n="$n" -v c="$1" '$1 == n && $2 == k { print $c }' \
            "$out/runs.txt" | awk -v f="${2:-%g}" -f "$here/median.awk"; }
        printf '%-6s %-9s %-20s %-20s %-10s %-20s %-20s\n' "$n" "$kind" "$(col 4 %.2f)" \
            "$(col 5)" "$(col 6)" "$(col 7)" "$(col 8 %.2f)" >> "$out/summary.txt"
    done
done
cat "$out/summary.txt"
