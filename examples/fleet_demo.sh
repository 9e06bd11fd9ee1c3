#!/bin/bash
# fleet_demo.sh BIN: a fleet of relays on this machine, explained.
#
# Starts redis-server on a free loopback port (the fleet's directory), three
# ricochet-relays sharing it (--directory, --advertise 127.0.0.1:0: the port
# each binds), and bots in several rooms that all join through the first
# relay: each room is placed on one relay (the least loaded), and the bots
# of rooms placed elsewhere are sent there (moved). Prints which relay holds
# which room, what each bot received, and the relays' counters. Leaves no
# process behind, even when killed itself: every child gets
# --pdeathsig KILL (setpriv, util-linux) and no descriptor above 2.
# Exits 0 on success.
#
# Environment: DEMO_ROOMS (4), DEMO_BOTS (3 per room), DEMO_SECONDS (8).
set -u

bin=${1:-build/bin}
rooms=${DEMO_ROOMS:-4}
bots=${DEMO_BOTS:-3}
seconds=${DEMO_SECONDS:-8}

for prog in ricochet-relay ricochet-bot; do
    [ -x "$bin/$prog" ] || { echo "fleet-demo: $bin/$prog not found (run make first)" >&2; exit 1; }
done
command -v redis-server >/dev/null ||
    { echo "fleet-demo: redis-server not found (Debian: apt-get install redis-server)" >&2; exit 1; }

# Nothing the caller left open (a lock, a pipe) reaches a daemon: close
# every descriptor above 2 (bash keeps its script on 255, close-on-exec).
for fd in /proc/$$/fd/*; do
    fd=${fd##*/}
    [ "$fd" -gt 2 ] && [ "$fd" -lt 255 ] && eval "exec $fd>&-"
done
command -v setpriv >/dev/null ||
    { echo "fleet-demo: setpriv not found (Debian: util-linux)" >&2; exit 1; }
tmp=$(mktemp -d "${TMPDIR:-/tmp}/ricochet-fleet-demo.XXXXXX") || exit 1
pids=""

stop() { # stop PID: SIGTERM, a bounded wait, then SIGKILL
    kill -TERM "$1" 2>/dev/null || return 0
    i=0
    while kill -0 "$1" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
}
cleanup() {
    for pid in $pids; do stop "$pid"; done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "fleet-demo: $*" >&2
    for f in "$tmp"/*.err; do
        [ -s "$f" ] && { echo "--- $(basename "$f"):" >&2; tail -n 5 "$f" >&2; }
    done
    exit 1
}

# waits for "listening on IP:PORT" in file $1 and prints PORT
listen_port() {
    i=0
    while [ $i -lt 100 ]; do
        p=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$1" | head -n 1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

echo "== ricochet fleet demo"
echo "One relay process holds at most 4095 ENet peers on one core; a fleet is several"
echo "relays sharing a directory in Redis that says which relay holds each room."
echo "A client needs one address: any relay sends it on (moved) to its room's relay."
echo

# 1. The directory: redis-server on a free loopback port, no persistence, working in $tmp.
redis_port=""
for try in 1 2 3 4 5; do
    p=$(( (($$ + try * 7919) % 20000) + 30000 ))
    setpriv --pdeathsig KILL redis-server --port "$p" --bind 127.0.0.1 --save '' --appendonly no \
        --dir "$tmp" >"$tmp/redis.out" 2>&1 &
    rpid=$!
    i=0
    while [ $i -lt 30 ] && kill -0 "$rpid" 2>/dev/null &&
          ! grep -q 'Ready to accept connections' "$tmp/redis.out"; do
        sleep 0.1
        i=$((i + 1))
    done
    if grep -q 'Ready to accept connections' "$tmp/redis.out"; then
        redis_port=$p
        pids="$rpid"
        break
    fi
    stop "$rpid"
done
[ -n "$redis_port" ] || fail "redis-server did not start"
echo "directory: redis-server on 127.0.0.1:$redis_port"

# 2. Three relays sharing it.
ports=""
for n in 1 2 3; do
    setpriv --pdeathsig KILL "$bin/ricochet-relay" --bind 127.0.0.1 --port 0 \
        --max-per-address 0 --stats-interval 0 \
        --directory "redis://127.0.0.1:$redis_port" --advertise 127.0.0.1:0 \
        >"$tmp/relay$n.out" 2>"$tmp/relay$n.err" &
    pids="$! $pids"
    eval "relay${n}_pid=$!"
    p=$(listen_port "$tmp/relay$n.err") || fail "relay $n did not start"
    ports="$ports $p"
    echo "relay $n:   127.0.0.1:$p"
done
entry=$(echo $ports | cut -d' ' -f1)
sleep 0.3 # a heartbeat: every relay registered

# 3. Bots: $rooms rooms of $bots, all through relay 1.
echo
echo "bots:      $rooms rooms of $bots bots, every one joining through 127.0.0.1:$entry,"
echo "           reliable mode, $seconds s (running ...)"
bot_pids=""
r=1
while [ $r -le "$rooms" ]; do
    setpriv --pdeathsig KILL "$bin/ricochet-bot" --host 127.0.0.1 --port "$entry" --room "room-$r" --name "r$r" \
        --count "$bots" --mode reliable --rate 20 --duration "$seconds" --seed "$r" \
        >"$tmp/bot$r.out" 2>"$tmp/bot$r.err" &
    bot_pids="$bot_pids $!"
    r=$((r + 1))
done
for pid in $bot_pids; do
    wait "$pid" || fail "a ricochet-bot failed"
done

echo
echo "== which relay holds which room (what the bots report)"
r=1
while [ $r -le "$rooms" ]; do
    relay=$(sed -n 's/^r[0-9]*-[0-9]* (id [0-9]*, [a-z]*, relay \([^,)]*\).*/\1/p' \
            "$tmp/bot$r.out" | sort -u | tr '\n' ' ')
    moved=$(grep -c '^r[0-9]*-[0-9]* (.*, moved)' "$tmp/bot$r.out")
    echo "  room-$r: relay $relay($moved of $bots bots moved there from the entry)"
    r=$((r + 1))
done
echo
echo "== each bot: its relay, what it sent, and the room's delivery"
for f in "$tmp"/bot*.out; do
    grep '^r[0-9]*-[0-9]* (' "$f" | sed 's/^/  /'
    sed -n 's/^  reliable  *[0-9]*  *\([0-9]*\)  *\([0-9]*\)  *\([0-9.]*%\).*/    room: \2 of \1 states delivered (\3)/p' "$f"
done

# 4. The relays stop (SIGTERM: each drains; nobody is left to move).
echo
echo "== the relays' counters (final stats lines)"
for n in 1 2 3; do
    eval "pid=\$relay${n}_pid"
    stop "$pid"
    final=$(grep '"final":true' "$tmp/relay$n.out" | tail -n 1)
    [ -n "$final" ] || fail "relay $n printed no final stats line"
    field() { echo "$final" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
    echo "  relay $n: joins $(field joins), sent elsewhere (moved) $(field moved)," \
         "joins that waited for the directory $(field parked), states out $(field states_out)"
done
echo
echo "fleet-demo: ok (redis-server, relays and bots stopped, nothing left running)"
echo "More: docs/fleet.md (the directory, failover, drain, Agones), make bench-fleet."
exit 0
