#!/bin/sh
# bench/conn_memory.sh BIN OUT [RUNS [COUNT]]: the relay's resident memory per
# member, edge by edge, side by side in each run. For each transport (ENet,
# ENet sealed, plain UDP, TCP, WebSocket, WebRTC, QUIC, WebTransport; or those
# CONN_MEMORY_EDGES names) a relay with that edge starts, its VmRSS is read
# once it has settled, COUNT (200) ricochet-bots join it over that transport,
# one room each of 8, 10 states a second, and VmRSS is read again once every
# bot is in: (after - before) / COUNT. What a member costs the relay's heap
# and the libraries under it (ENet's peer, usrsctp's association, ngtcp2's
# connection), without the kernel's socket buffers. RUNS (3) rounds, the
# transports in turn in each; OUT/runs.txt has every figure, OUT/summary.txt
# the medians (min-max), OUT/machine.txt the machine.
set -eu
bin=${1:-build/bin}
out=${2:-build/bench-results/conn-memory}
runs=${3:-3}
count=${4:-200}
for p in ricochet-relay ricochet-bot ricochet-ticket; do
    [ -x "$bin/$p" ] || { echo "conn_memory.sh: $bin/$p not found (run make first)" >&2; exit 2; }
done
case $runs$count in *[!0-9]*) echo "conn_memory.sh: RUNS and COUNT are whole numbers" >&2; exit 2 ;; esac
[ "$count" -gt 0 ] && [ $((count % 8)) -eq 0 ] ||
    { echo "conn_memory.sh: COUNT is a multiple of 8 (rooms of 8)" >&2; exit 2; }
mkdir -p "$out"
"$(dirname "$0")/machine.sh" "$bin" "$out" > /dev/null
work=$(mktemp -d)
relay_pid=""
bots_pid=""
cleanup() {
    for p in $bots_pid $relay_pid; do kill "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# port_of LOG SCHEME: the port the relay's 'listening on' line gives that edge.
port_of() {
    i=0
    while [ "$i" -lt 100 ]; do
        p=$(sed -n "s|.*listening on .*:\([0-9][0-9]*\) ($2).*|\1|p" "$1" | head -1)
        [ -n "$p" ] && { echo "$p"; return 0; }
        sleep 0.1
        i=$((i + 1))
    done
    echo "conn_memory.sh: the relay did not say where its $2 edge listens" >&2
    return 1
}

# joined LOG: how many bots the relay's newest stats record counts as members.
joined() {
    sed -n 's/.*"clients":\([0-9][0-9]*\).*/\1/p' "$1" | tail -1
}

# measure NAME: one relay and COUNT bots over that transport; prints KiB per member.
measure() {
    name=$1
    log=$work/relay.log
    : > "$log"
    edges="--listen enet://127.0.0.1:0"
    botargs=""
    sealed=""
    case $name in
    enet-sealed)
        rm -f "$work/key"
        "$bin/ricochet-ticket" keygen "$work/key" > /dev/null
        sealed="--ticket-key $work/key --encrypt" ;;
    webrtc) edges="$edges --listen ws://127.0.0.1:0 --listen webrtc://127.0.0.1:0"
        botargs="--transport webrtc" ;;
    quic | wt) edges="$edges --listen quic://127.0.0.1:0"
        botargs="--transport $name --pin ''" ;;
    udp | tcp | ws) edges="$edges --listen $name://127.0.0.1:0"
        botargs="--mode $name" ;;
    esac
    # shellcheck disable=SC2086 # edges and sealed are options, one per word
    "$bin/ricochet-relay" $edges $sealed --max-per-address 0 --stats-interval 1 --stats-json \
        --log-level info > "$log" 2>&1 &
    relay_pid=$!
    case $name in
    webrtc) port=$(port_of "$log" ws) ;;
    quic | wt) port=$(port_of "$log" quic) ;;
    udp | tcp | ws) port=$(port_of "$log" "$name") ;;
    *) port=$(port_of "$log" enet) ;;
    esac
    sleep 2
    before=$(rss_kib "$relay_pid")
    # Rooms of 8: one bot process per room, each bot its own connection
    # (sealed: each with a ticket minted for it, the room's names).
    eval "set -- $botargs"
    r=0
    bots_pid=""
    while [ $((r * 8)) -lt "$count" ]; do
        if [ -n "$sealed" ]; then
            "$bin/ricochet-ticket" mint --key "$work/key" --room "r$r" --name "r$r" --count 8 \
                > "$work/t$r"
            set -- --ticket "@$work/t$r"
        fi
        "$bin/ricochet-bot" --port "$port" --room "r$r" --name "r$r" --count 8 --rate 10 \
            --duration 30 --timeout-ms 20000 "$@" > /dev/null 2>&1 &
        bots_pid="$bots_pid $!"
        r=$((r + 1))
    done
    i=0
    while [ "$(joined "$log")" != "$count" ] && [ "$i" -lt 250 ]; do
        sleep 0.1
        i=$((i + 1))
    done
    n=$(joined "$log")
    [ "$n" = "$count" ] || { echo "conn_memory.sh: $name: $n of $count bots joined" >&2; exit 1; }
    sleep 3
    after=$(rss_kib "$relay_pid")
    for p in $bots_pid $relay_pid; do kill "$p" 2> /dev/null || true; done
    wait 2> /dev/null || true
    bots_pid=""
    relay_pid=""
    awk -v a="$after" -v b="$before" -v n="$count" 'BEGIN { printf "%.1f", (a - b) / n }'
}

{
    echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $("$bin/ricochet-relay" --version | head -1)"
    echo "# command: bench/conn_memory.sh $*"
    i=1
    while [ "$i" -le "$runs" ]; do
        for t in ${CONN_MEMORY_EDGES:-enet enet-sealed udp tcp ws webrtc quic wt}; do
            kib=$(measure "$t") || exit 1
            echo "run $i $t: $kib KiB per member"
        done
        i=$((i + 1))
    done
} > "$out/runs.txt"
awk '/^run / { k = $3; sub(":", "", k); v[k] = v[k] " " $4 }
     END { for (k in v) print k, v[k] }' "$out/runs.txt" |
    while read -r t vals; do
        # shellcheck disable=SC2086 # vals: numbers, one per word
        printf '%s\n' $vals | sort -n | awk -v t="$t" '{ a[NR] = $1 }
            END { printf "%-12s %s (%s-%s) KiB per member\n", t, a[int((NR + 1) / 2)], a[1], a[NR] }'
    done | sort > "$out/summary.txt"
cat "$out/summary.txt"
