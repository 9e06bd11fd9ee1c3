#!/bin/bash
# soak.sh BIN_DIR [SECONDS]: the relay under churn through a bad network.
#
# For each transport (enet, udp) a relay runs behind ricochet-netsim (loss,
# jitter) for its share of SECONDS (default 180, split evenly). Three steady bots stay the whole time and measure
# delivery per mode; around them churn bots join and leave politely, vanish
# (SIGKILL: the relay must expire them, reason timeout) and rejoin under the
# same names, through netsim or directly. The relay's memory is sampled from
# /proc: VmRSS after the warm-up and at the end must stay flat (within
# SOAK_RSS_TOLERANCE_PCT, default 20%, at least 2 MiB). At the end the relay
# gets SIGTERM and must exit 0 with a final stats line.
#
# Environment:
#   SOAK_TRANSPORTS   "enet udp" (default) or one of them
#   SOAK_SEED         seed of the churn and netsim (default 1; printed)
#   SOAK_LOSS, SOAK_DELAY, SOAK_JITTER   netsim impairment (2 %, 10 ms, 5 ms)
#   SOAK_ABUSE=0      no abuse among the churn (default 1: now and then a
#                     few garbage datagrams at the relay port and a bot sending
#                     at 1000/s, which the relay must kick; kicks must equal
#                     the flooders, so no honest bot is kicked)
#   SOAK_RELAY_WRAPPER  command put before the relay, e.g. valgrind ... (then
#                       the RSS check is skipped: the wrapper's memory is not
#                       the relay's)
#   SOAK_KEEP=1       keep the work folder (logs) after a pass
# Exits 0 if every check passed, 1 otherwise, 2 on usage errors.
set -u
bin=${1:-}
seconds=${2:-180}
if [ -z "$bin" ] || [ ! -x "$bin/ricochet-relay" ]; then
    echo "usage: $0 BIN_DIR [SECONDS]  (BIN_DIR holds ricochet-relay, -bot, -netsim)" >&2
    exit 2
fi
case $seconds in '' | *[!0-9]*) echo "$0: SECONDS must be a whole number" >&2; exit 2 ;; esac
transports=${SOAK_TRANSPORTS:-enet udp}
# SECONDS is the whole run: split among the transports.
seconds=$((seconds / $(echo $transports | wc -w)))
if [ "$seconds" -lt 20 ]; then
    echo "$0: SECONDS must give each transport at least 20 s" >&2
    exit 2
fi
seed=${SOAK_SEED:-1}
loss=${SOAK_LOSS:-2}
delay=${SOAK_DELAY:-10}
jitter=${SOAK_JITTER:-5}
tolerance=${SOAK_RSS_TOLERANCE_PCT:-20}
wrapper=${SOAK_RELAY_WRAPPER:-}
abuse=${SOAK_ABUSE:-1}
RANDOM=$seed
work=$(mktemp -d /tmp/ricochet-soak-XXXXXX)
failed=0

# Our children still running (jobs -p lists only this shell's own jobs, so
# a recycled pid of someone else's process is never signalled).
child_alive() {
    jobs >/dev/null 2>&1 # lets bash forget the jobs that have finished
    jobs -p | grep -qx "$1"
}

cleanup() {
    local p
    for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
    wait 2>/dev/null
}
trap 'cleanup; exit 1' INT TERM
trap cleanup EXIT

fail() {
    echo "soak: FAIL: $*"
    failed=1
}

# Waits up to $2 s for "listening on IP:PORT" in file $1; prints the port.
wait_port() {
    local i=0 port
    while [ "$i" -lt $(($2 * 10)) ]; do
        port=$(sed -n 's/.*listening on [0-9.]*:\([0-9][0-9]*\).*/\1/p' "$1" | head -n 1)
        if [ -n "$port" ]; then
            echo "$port"
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    return 1
}

# kB of a /proc/PID/status field (VmRSS, VmHWM), 0 if gone.
mem_kb() {
    awk -v f="$2:" '$1 == f { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0
}

# Field of the last line of file $1 matching "type":"$2": number at "$3":N.
json_num() {
    grep "\"type\":\"$2\"" "$1" | tail -n 1 | grep -o "\"$3\":[-0-9.e+]*" | head -n 1 |
        cut -d: -f2
}

soak_one() {
    local t=$1 dir="$work/$1"
    mkdir -p "$dir"
    # Every bot is 127.0.0.1 (through netsim too) and churn plus vanished
    # peers awaiting their timeout can pass the default --max-per-address 16.
    # Every bot shares 127.0.0.1, so a flooder's kick must not ban the others.
    local relay_args="--bind 127.0.0.1 --port 0 --transport $t --max-per-address 0 --kick-ban-s 0 --timeout-ms 2000 --stats-interval 10 --log-level warn"
    # shellcheck disable=SC2086
    $wrapper "$bin/ricochet-relay" $relay_args >"$dir/relay.out" 2>"$dir/relay.err" &
    local relay=$!
    local port
    if ! port=$(wait_port "$dir/relay.err" 60); then
        fail "$t: relay did not start"; cat "$dir/relay.err"; return
    fi
    "$bin/ricochet-netsim" --relay "127.0.0.1:$port" --loss "$loss" --delay "$delay" \
        --jitter "$jitter" --seed "$seed" --flow-timeout 5 --log-level info \
        >"$dir/netsim.out" 2>"$dir/netsim.err" &
    local netsim=$!
    local nport
    if ! nport=$(wait_port "$dir/netsim.err" 20); then
        fail "$t: netsim did not start"; cat "$dir/netsim.err"; return
    fi
    echo "soak $t: relay pid $relay on 127.0.0.1:$port, netsim on 127.0.0.1:$nport" \
         "(loss $loss%, delay $delay ms, jitter $jitter ms, seed $seed), ${seconds}s"

    local mode=mixed
    [ "$t" = udp ] && mode=udp
    local steady_s=$((seconds - 4))
    "$bin/ricochet-bot" --port "$nport" --room steady --name steady --count 3 --mode "$mode" \
        --rate 30 --duration "$steady_s" --seed "$seed" --timeout-ms 10000 --json \
        >"$dir/steady.json" 2>"$dir/steady.err" &
    local steady=$!

    local start end now warm rss0=0 hwm0=0 rss_max=0 next_sample=0
    start=$(date +%s)
    end=$((start + seconds - 6))
    warm=$((start + (seconds / 5 < 10 ? seconds / 5 : 10)))
    local churn="" vanish_at="" n_join=0 n_vanish=0 n_vanished_bots=0 n_rejoin=0 vanished_names=""
    local n_flood=0 n_garbage=0 actions=3
    [ "$abuse" = 1 ] && actions=5
    local k=0
    while now=$(date +%s); [ "$now" -lt "$end" ]; do
        # Reap churn bots that finished; SIGKILL vanishers whose time came.
        local still="" p
        for p in $churn; do child_alive "$p" && still="$still $p"; done
        churn=$still
        local keep=""
        for entry in $vanish_at; do
            p=${entry%%@*}
            if [ "${entry#*@}" -le "$now" ]; then
                child_alive "$p" && kill -9 "$p"
                wait "$p" 2>/dev/null
            else
                keep="$keep $entry"
            fi
        done
        vanish_at=$keep
        if [ "$(echo $churn | wc -w)" -lt 6 ]; then
            local via=$nport room="churn$((RANDOM % 3))" action=$((RANDOM % actions))
            [ $((RANDOM % 3)) -eq 0 ] && via=$port
            local cmode=$mode
            [ "$t" = enet ] && cmode=$(echo "unsequenced sequenced reliable" | cut -d' ' -f$((RANDOM % 3 + 1)))
            k=$((k + 1))
            case $action in
            0) # join, send for a while, leave politely
                "$bin/ricochet-bot" --port "$via" --room "$room" --name "c$k" --count 2 \
                    --mode "$cmode" --duration $((1 + RANDOM % 4)) --seed "$k" \
                    >/dev/null 2>>"$dir/churn.err" &
                n_join=$((n_join + 1)) ;;
            1) # vanish: killed without a goodbye, the relay must time it out
                "$bin/ricochet-bot" --port "$via" --room "$room" --name "v$k" --count 2 \
                    --mode "$cmode" --duration 120 --seed "$k" \
                    >/dev/null 2>>"$dir/churn.err" &
                vanish_at="$vanish_at $!@$((now + 2 + RANDOM % 3))"
                vanished_names="$vanished_names v$k"
                n_vanish=$((n_vanish + 1))
                n_vanished_bots=$((n_vanished_bots + 2)) ;;
            2) # rejoin under a vanished name (or a fresh one)
                local name=c$k
                if [ -n "$vanished_names" ]; then
                    name=$(echo $vanished_names | tr ' ' '\n' | sed -n "$((RANDOM % $(echo $vanished_names | wc -w) + 1))p")
                fi
                "$bin/ricochet-bot" --port "$via" --room "$room" --name "$name" --count 2 \
                    --mode "$cmode" --duration $((1 + RANDOM % 3)) --seed "$k" \
                    >/dev/null 2>>"$dir/churn.err" &
                n_rejoin=$((n_rejoin + 1)) ;;
            3) # garbage at the relay port (bash's /dev/udp), straight, no netsim
                (
                    for g in 1 2 3 4 5; do
                        printf '{"type":"teleport"}' >"/dev/udp/127.0.0.1/$port"
                        printf '{"type":"join","room":5}' >"/dev/udp/127.0.0.1/$port"
                        printf '\001\001short' >"/dev/udp/127.0.0.1/$port"
                        head -c $((1 + g * 50)) /dev/urandom >"/dev/udp/127.0.0.1/$port"
                    done
                ) 2>/dev/null &
                n_garbage=$((n_garbage + 20)) ;;
            4) # a flooder at 1000/s, over the default 180/s: throttled, then kicked
                if [ "$n_flood" -lt 3 ]; then
                    "$bin/ricochet-bot" --port "$port" --room "$room" --name "flood$k" \
                        --mode "$cmode" --rate 1000 --duration 5 --seed "$k" \
                        >/dev/null 2>>"$dir/churn.err" &
                    n_flood=$((n_flood + 1))
                else
                    (:) &
                fi ;;
            esac
            churn="$churn $!"
        fi
        if [ "$now" -ge "$next_sample" ]; then
            local rss
            rss=$(mem_kb "$relay" VmRSS)
            [ "${rss:-0}" -gt "$rss_max" ] && rss_max=$rss
            if [ "$rss0" -eq 0 ] && [ "$now" -ge "$warm" ]; then
                rss0=$rss
                hwm0=$(mem_kb "$relay" VmHWM)
            fi
            echo "$((now - start)) $rss" >>"$dir/rss.log"
            next_sample=$((now + 2))
        fi
        if ! child_alive "$relay"; then
            fail "$t: relay died during the soak"; cat "$dir/relay.err" | tail -n 20; return
        fi
        sleep 0.5
    done
    # Vanishers still pending: kill them now and give the relay time to notice.
    for entry in $vanish_at; do
        child_alive "${entry%%@*}" && kill -9 "${entry%%@*}"
        wait "${entry%%@*}" 2>/dev/null
    done
    for p in $churn; do wait "$p" 2>/dev/null; done
    wait "$steady"
    local steady_rc=$?
    sleep 3 # timeout-ms 2000: the last vanished are expired now
    local rss1 hwm1
    rss1=$(mem_kb "$relay" VmRSS)
    hwm1=$(mem_kb "$relay" VmHWM)
    kill -USR1 "$relay"
    sleep 0.5
    kill -TERM "$relay" "$netsim"
    wait "$relay"
    local relay_rc=$?
    wait "$netsim"

    # ---- report ---------------------------------------------------------
    local out="$dir/relay.out"
    echo "soak $t: churn: $n_join join+leave, $n_vanish vanish ($n_vanished_bots bots SIGKILLed)," \
         "$n_rejoin rejoin (2 bots each); $n_flood flooders, $n_garbage garbage datagrams"
    if [ -z "$wrapper" ]; then
        echo "soak $t: relay memory: VmRSS ${rss0} kB after warm-up -> ${rss1} kB at the end" \
             "(max sampled ${rss_max} kB); VmHWM ${hwm0} -> ${hwm1} kB"
        local allowed=$((rss0 * tolerance / 100))
        [ "$allowed" -lt 2048 ] && allowed=2048
        if [ "$rss0" -eq 0 ] || [ "$rss1" -eq 0 ]; then
            fail "$t: could not read the relay's memory"
        elif [ "$rss1" -gt $((rss0 + allowed)) ]; then
            fail "$t: relay VmRSS grew from $rss0 to $rss1 kB (allowed +$allowed kB)"
        fi
    fi
    echo "soak $t: delivery per mode (steady bots, through netsim):"
    grep -o '"mode":"[a-z]*","pairs":[0-9]*,"expected":[0-9]*,"received":[0-9]*,"delivery_pct":[-0-9.e+]*,"lost":[0-9]*,"duplicates":[0-9]*,"reordered":[0-9]*,"latency_p50_us":[0-9]*,"latency_p99_us":[0-9]*' \
        "$dir/steady.json" | sed 's/"//g; s/,/ /g; s/:/=/g; s/^/    /'
    [ "$steady_rc" -eq 0 ] || fail "$t: steady bots exited $steady_rc: $(tail -n 3 "$dir/steady.err")"
    local m pct
    for m in unsequenced sequenced reliable udp; do
        pct=$(grep -o "\"mode\":\"$m\",\"pairs\":[0-9]*,\"expected\":[0-9]*,\"received\":[0-9]*,\"delivery_pct\":[-0-9.e+]*" \
              "$dir/steady.json" | sed 's/.*delivery_pct"://')
        [ -z "$pct" ] && continue
        local min=85
        [ "$m" = reliable ] && min=99.9
        awk -v p="$pct" -v m="$min" 'BEGIN { exit !(p >= m) }' ||
            fail "$t: $m delivery $pct% < $min%"
    done
    if [ "$relay_rc" -ne 0 ]; then
        fail "$t: relay exited $relay_rc on SIGTERM"
        tail -n 30 "$dir/relay.err"
    fi
    if ! grep -q '"final":true' "$out"; then
        fail "$t: no final stats line"
    else
        local joins leaves timeouts kicks states_in states_out
        joins=$(json_num "$out" stats joins); leaves=$(json_num "$out" stats leaves)
        timeouts=$(json_num "$out" stats timeouts); kicks=$(json_num "$out" stats kicks)
        states_in=$(json_num "$out" stats states_in); states_out=$(json_num "$out" stats states_out)
        echo "soak $t: relay counters: joins $joins, leaves $leaves, timeouts $timeouts," \
             "kicks $kicks, states in $states_in / out $states_out"
        echo "soak $t: relay drops: $(grep '"final":true' "$out" | grep -o '"drops":{[^}]*}' |
             sed 's/"drops"://; s/"//g; s/[{}]//g; s/,/ /g')"
        # A vanished bot with something reliable queued to it (a notice
        # that another left) hears nothing for --slow-reader-ms and is
        # closed slow_reader, counted a kick, when that comes before ENet's
        # timeout (under valgrind it often does): such closes end vanished
        # bots, never more of them than vanished.
        local stalled
        stalled=$(grep -c 'relay: closing .*: slow_reader: ' "$dir/relay.err")
        [ "$stalled" -le "$n_vanished_bots" ] ||
            fail "$t: $stalled closed slow_reader but only $n_vanished_bots bots vanished"
        [ "${kicks:-1}" -eq $((n_flood + stalled)) ] ||
            fail "$t: $kicks kicks for $n_flood flooders and $stalled vanished bots closed" \
                 "slow_reader (an honest bot kicked, or a flooder not)"
        # A bot killed before its join arrived never joined: the join
        # timeout closes it, not ENet's (slow under valgrind). One killed
        # inside ENet's handshake (its CONNECT answered, its acknowledgement
        # never sent: a loaded machine, a lost datagram) was never a peer:
        # the relay forgets the handshake after 5 s, counted drops.half_open
        # (no flood here makes the relay refuse one).
        local unjoined half_open
        unjoined=$(json_num "$out" stats join_timeout)
        half_open=$(grep '"final":true' "$out" | grep -o '"drops":{[^}]*}' |
            grep -o '"half_open":[0-9]*' | cut -d: -f2)
        [ $(( ${timeouts:-0} + ${unjoined:-0} + ${half_open:-0} + stalled )) -ge "$n_vanished_bots" ] ||
            fail "$t: $n_vanished_bots bots vanished but only ${timeouts:-0} timeouts," \
                 "${unjoined:-0} join timeouts, ${half_open:-0} handshakes forgotten" \
                 "and $stalled closed slow_reader"
        [ "${joins:-0}" -gt 0 ] || fail "$t: no joins counted"
    fi
    echo "soak $t: netsim: $(grep -o '"up":{[^}]*' "$dir/netsim.out" | head -c 300)"
    if [ -s "$dir/churn.err" ] && grep -qi 'error' "$dir/churn.err"; then
        echo "soak $t: churn bot errors (first 3):"
        grep -i error "$dir/churn.err" | head -n 3 | sed 's/^/    /'
    fi
}

echo "soak: bin $bin, ${seconds}s per transport ($transports), seed $seed, work $work"
for t in $transports; do
    soak_one "$t"
    cleanup
done
if [ "$failed" -eq 0 ]; then
    echo "soak: PASS"
    [ "${SOAK_KEEP:-0}" = 1 ] || rm -rf "$work"
    exit 0
fi
echo "soak: FAILED (logs in $work)"
exit 1
