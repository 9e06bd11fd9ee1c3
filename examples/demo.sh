#!/bin/sh
# demo.sh BIN: a short ricochet session on this machine, explained.
#
# Starts ricochet-relay on 127.0.0.1 with a free port (--port 0), reads the
# port from its "listening on IP:PORT" line, runs a handful of bots in
# different delivery modes in one ricochet-bot process, stops the relay with
# SIGTERM and prints what everyone saw plus the relay's own counters.
# Leaves no process behind; exits 0 on success.
#
# Environment: DEMO_BOTS (6), DEMO_SECONDS (10), DEMO_RATE (30), DEMO_SEED (42).
set -u

bin=${1:-build/bin}
bots=${DEMO_BOTS:-6}
seconds=${DEMO_SECONDS:-10}
rate=${DEMO_RATE:-30}
seed=${DEMO_SEED:-42}

for prog in ricochet-relay ricochet-bot; do
    if [ ! -x "$bin/$prog" ]; then
        echo "demo: $bin/$prog not found (run make first)" >&2
        exit 1
    fi
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/ricochet-demo.XXXXXX") || exit 1
relay_pid=""
bot_pid=""

cleanup() {
    for pid in $bot_pid $relay_pid; do
        if kill -0 "$pid" 2>/dev/null; then
            kill -TERM "$pid" 2>/dev/null
            # bounded wait, then force
            i=0
            while kill -0 "$pid" 2>/dev/null && [ $i -lt 30 ]; do
                sleep 0.1
                i=$((i + 1))
            done
            kill -KILL "$pid" 2>/dev/null
            wait "$pid" 2>/dev/null
        fi
    done
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

fail() {
    echo "demo: $*" >&2
    if [ -s "$tmp/relay.err" ]; then
        echo "--- relay log:" >&2
        tail -n 20 "$tmp/relay.err" >&2
    fi
    exit 1
}

echo "== ricochet demo"
echo "A relay receives each player's position datagrams and forwards them to the"
echo "other players in the same room. $bots bots join one room and send their"
echo "state $rate times a second for $seconds s, round-robin over the three ENet modes:"
echo "  unsequenced  may lose, may arrive out of order, never waits"
echo "  sequenced    may lose, drops a sender's late ones to keep its order, never waits"
echo "  reliable     everything, in order (a loss would stall the channel)"
echo

# 1. The relay: bind to loopback, port 0 = let the kernel pick a free one.
"$bin/ricochet-relay" --bind 127.0.0.1 --port 0 --max-per-address $((bots + 4)) \
    --stats-interval 0 >"$tmp/relay.out" 2>"$tmp/relay.err" &
relay_pid=$!

port=""
i=0
while [ $i -lt 100 ]; do
    port=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) .*/\1/p' "$tmp/relay.err" | head -n 1)
    [ -n "$port" ] && break
    kill -0 "$relay_pid" 2>/dev/null || fail "the relay exited before listening"
    sleep 0.1
    i=$((i + 1))
done
[ -n "$port" ] || fail "the relay did not print its port within 10 s"
echo "relay: $(sed -n 's/.*\(listening on .*\)/\1/p' "$tmp/relay.err" | head -n 1)"
echo "bots:  $bin/ricochet-bot --port $port --count $bots --mode mixed --rate $rate --duration $seconds --seed $seed"
echo "       (running for $seconds s ...)"
echo

# 2. The bots, all in one process (each its own ENet connection).
"$bin/ricochet-bot" --host 127.0.0.1 --port "$port" --room demo --name bot \
    --count "$bots" --mode mixed --rate "$rate" --duration "$seconds" --seed "$seed" \
    >"$tmp/bot.out" 2>"$tmp/bot.err" &
bot_pid=$!
wait "$bot_pid"
bot_rc=$?
bot_pid=""

# 3. Stop the relay politely: it tells clients, prints final stats, exits 0.
kill -TERM "$relay_pid"
i=0
while kill -0 "$relay_pid" 2>/dev/null && [ $i -lt 100 ]; do
    sleep 0.1
    i=$((i + 1))
done
if kill -0 "$relay_pid" 2>/dev/null; then
    fail "the relay did not exit within 10 s of SIGTERM"
fi
wait "$relay_pid"
relay_rc=$?
relay_pid=""

echo "== what each bot received (delivery = received / sent by that bot)"
cat "$tmp/bot.out"
echo
echo "== the relay's own counters (its final stats line)"
final=$(grep '"final":true' "$tmp/relay.out" | tail -n 1)
if [ -n "$final" ]; then
    field() { echo "$final" | sed -n "s/.*\"$1\":\([0-9.]*\).*/\1/p"; }
    echo "  joins $(field joins), leaves $(field leaves), timeouts $(field timeouts)"
    echo "  states in $(field states_in), states out $(field states_out)" \
         "(each state goes to every other member of the room)"
    echo "  bytes in $(field bytes_in), bytes out $(field bytes_out)"
    drops=$(echo "$final" | sed -n 's/.*"drops":{\([^}]*\)}.*/\1/p' | tr ',' '\n' |
            grep -v ':0$' | tr -d '"' | tr '\n' ' ')
    echo "  dropped: ${drops:-nothing}"
else
    tail -n 1 "$tmp/relay.out"
fi
echo

if [ "$bot_rc" -ne 0 ]; then
    cat "$tmp/bot.err" >&2
    fail "ricochet-bot exited with status $bot_rc"
fi
[ "$relay_rc" -eq 0 ] || fail "ricochet-relay exited with status $relay_rc"
[ -n "$final" ] || fail "no final stats line from the relay"
echo "demo: ok (relay and bots stopped, nothing left running)"
echo
echo "Loopback loses nothing, so the modes look alike here. To see them differ:"
printf '  %-28s %s\n' "make bench" "the modes side by side at 0 and 5 % loss, through ricochet-netsim" \
    "$bin/ricochet-client" "play in a terminal (see docs/clients.md)"
echo "  or in a browser, beside ENet players and bots:"
echo "    $bin/ricochet-relay --listen enet://127.0.0.1:7777 --listen ws://127.0.0.1:7780"
echo "    then open http://127.0.0.1:7780/play"
exit 0
