#!/bin/bash
# chaos.sh BIN_DIR [MINUTES]: the whole system at once, under chaos, for
# MINUTES (default 10), then one PASS/FAIL line per invariant.
#
# A Redis primary, its replica and three sentinels (down-after 2 s) hold the
# directory of a fleet of three relays (A, B, C), each with every edge
# (enet, udp, tcp, ws, webrtc, quic, poll), found through the sentinels. Bots on
# every transport live through the whole run (rejoining a lost relay), churn
# bots join and leave in every mode, and two ricochet-bench lanes (one
# unsequenced, one reliable) send to relay A through netsims of their own.
# Every 5 to 10 s something happens: the netsims' models change (PUT
# /model), relay B or C is killed (SIGKILL, back 2 s later) or stopped
# (SIGSTOP 4 s, then SIGCONT), Redis's primary is killed (the sentinels fail
# over; it comes back as a replica), or every edge of a relay gets garbage,
# slowloris connections, a handshake flood and a flooding bot, and on each
# edge (WebTransport's on the quic edge's port, HTTP polling's on the poll
# edge) a member stopped (SIGSTOP)
# while two others flood its room with events of 1 KiB under the rate
# limit, one to the room, one to it.
#
# Invariants (docs/testing.md, The chaos soak, says what each counts):
#   crash      no relay died by itself, none wrote a sanitizer report, no
#              churn bot crashed
#   memory     each relay incarnation's VmRSS flat after its warm-up
#   attributed every state of the bench lanes delivered or explained:
#              by netsim's drop log (ricochet-bench's audit; reliable: every
#              drop retransmitted), or within relay A's count of states it
#              shed as stale
#   split      no room served by two relays at once for longer than one
#              heartbeat (their /stats.json, every second)
#   failover   every bot that lost its relay back in a room within
#              CHAOS_FAILOVER_MS of the event that took it
#   stalled    every stopped member closed slow_reader (or timeout: plain
#              UDP's, which acknowledges nothing, tcp's and ws's, whose
#              kernel buffers may take the whole flood, and poll's, whose
#              silence may close it first), no other member
#              closed slow_reader, no flooder closed or kicked
#
# The relays and the churn bots run from BIN_DIR/../asan/bin when it exists
# (the sanitizers), everything else from BIN_DIR. Environment: CHAOS_SEED
# (default 1), CHAOS_FAILOVER_MS (default 6500), CHAOS_KEEP=1 (keep the
# work folder, kept anyway when something failed).
# Exits 0 if every invariant held, 1 otherwise, 2 on usage errors.
set -u
bin=${1:-}
minutes=${2:-10}
if [ -z "$bin" ] || [ ! -x "$bin/ricochet-bench" ]; then
    echo "usage: $0 BIN_DIR [MINUTES]  (BIN_DIR holds ricochet-relay, -bot, -bench, -netsim)" >&2
    exit 2
fi
case $minutes in '' | *[!0-9]* | 0) echo "$0: MINUTES must be a whole number, 1 or more" >&2; exit 2 ;; esac
for p in redis-server redis-sentinel redis-cli curl jq; do
    command -v "$p" >/dev/null || { echo "$0: $p not found (make deps)" >&2; exit 2; }
done
relay_bin=$bin
[ -x "$bin/../asan/bin/ricochet-relay" ] && relay_bin=$(cd "$bin/../asan/bin" && pwd)
bot_bin=$bin # the churn bots' (short lived: the sanitizers' cost is paid a little at a time)
[ -x "$bin/../asan/bin/ricochet-bot" ] && bot_bin=$(cd "$bin/../asan/bin" && pwd)
seed=${CHAOS_SEED:-1}
# The fleet's failover bound (docs/fleet.md, When things fail): a client
# hears its relay silent for 1.5 s, the directory moves the room once the
# lost relay missed three heartbeats (3 s at --directory-ttl 10), and a join
# may wait one --park-ms (2 s) for the directory.
bound_ms=${CHAOS_FAILOVER_MS:-6500}
RANDOM=$seed
window=$((minutes * 60))
work=$(mktemp -d /tmp/ricochet-chaos-XXXXXX)
# ASan's quarantine holds freed memory back: bounded, so that it is not
# taken for a leak by the memory check.
export ASAN_OPTIONS=quarantine_size_mb=2:detect_leaks=1
export UBSAN_OPTIONS=print_stacktrace=1

# ---- processes --------------------------------------------------------------
# Every process is a job of this shell; cleanup kills each by its pid.
cleanup() {
    local p
    for p in $(jobs -p) $(cat "$work/abuse-pids" 2>/dev/null); do
        kill -CONT "$p" 2>/dev/null; kill -9 "$p" 2>/dev/null
    done
    wait 2>/dev/null
}
trap 'cleanup; echo "chaos: stopped (logs in $work)"; exit 1' INT TERM
trap cleanup EXIT

now_ms() { date +%s%3N; }
log() { echo "chaos: $(date +%H:%M:%S) $*"; }
event() { echo "${at:-$(now_ms)} $*" >>"$work/events"; log "$*"; at=""; }

# Free ports, one a line: TCP and UDP both unused from a random base on,
# below the kernel's ephemeral range (32768 on), where the bots' and the
# relays' own connections take theirs: one of those took a netsim's port
# between the pick and its start.
ports=()
pick_ports() {
    local used p=$((20000 + RANDOM % 12000))
    used=$(awk 'FNR > 1 { n = split($2, a, ":"); h = toupper(a[n]); v = 0
                          for (i = 1; i <= length(h); i++) v = v * 16 + index("0123456789ABCDEF", substr(h, i, 1)) - 1
                          print v }' /proc/net/tcp /proc/net/tcp6 /proc/net/udp /proc/net/udp6 2>/dev/null | sort -u)
    while [ "${#ports[@]}" -lt "$1" ]; do
        p=$((p + 1))
        grep -qx "$p" <<<"$used" || ports+=("$p")
    done
}

# Waits up to $2 s for a TCP port to take connections.
wait_tcp() {
    local i
    for ((i = 0; i < $2 * 10; i++)); do
        (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# ---- the directory: a primary, a replica, three sentinels -------------------
declare -A redis_pid
start_redis() { # PORT [PRIMARY_PORT]
    local d="$work/redis-$1"
    mkdir -p "$d"
    redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --dir "$d" \
        ${2:+--replicaof 127.0.0.1 "$2"} >"$d/log" 2>&1 &
    redis_pid[$1]=$!
}
start_sentinel() { # PORT PRIMARY_PORT
    local d="$work/sentinel-$1"
    mkdir -p "$d"
    printf 'port %s\nbind 127.0.0.1\ndaemonize no\ndir %s\nsentinel monitor chaos 127.0.0.1 %s 2\nsentinel down-after-milliseconds chaos 2000\nsentinel failover-timeout chaos 8000\nsentinel parallel-syncs chaos 1\n' \
        "$1" "$d" "$2" >"$d/sentinel.conf"
    redis-sentinel "$d/sentinel.conf" >"$d/log" 2>&1 &
}
primary_port() {
    redis-cli -p "${ports[2]}" --raw sentinel get-master-addr-by-name chaos 2>/dev/null | sed -n 2p
}

# ---- relays -----------------------------------------------------------------
# Relay i (0 A, 1 B, 2 C) has 8 ports from ports[10 + 8i]: enet udp tcp ws
# webrtc quic metrics poll.
names=(A B C)
declare -a relay_pid relay_inc relay_state churn_live=() # state: up, stopped, dead
incarnations=0
rport() { echo "${ports[$((10 + 8 * $1 + $2))]}"; } # relay, edge index
start_relay() {
    local i=$1 e=() k s more=()
    local schemes=(enet udp tcp ws webrtc quic)
    for k in 0 1 2 3 4 5; do e+=(--listen "${schemes[$k]}://127.0.0.1:$(rport "$i" "$k")"); done
    e+=(--listen "poll://127.0.0.1:$(rport "$i" 7)")
    incarnations=$((incarnations + 1))
    local inc=$incarnations
    s="127.0.0.1:${ports[2]},127.0.0.1:${ports[3]},127.0.0.1:${ports[4]}"
    # The fleet places a new room on the relay with the fewest rooms for
    # its --max-clients: relay A's eighth of the others' leaves the churn's
    # and the stalls' rooms to B and C while they live (A's loop is the
    # lanes' clock).
    [ "$i" = 0 ] && more=(--max-clients 128)
    "$relay_bin/ricochet-relay" "${e[@]}" "${more[@]}" --directory "redis-sentinel://$s/chaos" \
        --fleet-name chaos --advertise "127.0.0.1:$(rport "$i" 0)" \
        --metrics "127.0.0.1:$(rport "$i" 6)" --max-per-address 0 --kick-ban-s 0 \
        --stats-interval 5 --log-level info >"$work/relay-$inc.out" 2>"$work/relay-$inc.err" &
    relay_pid[$i]=$!
    relay_inc[$i]=$inc
    relay_state[$i]=up
    echo "$inc ${names[$i]} $! $(now_ms)" >>"$work/incarnations"
    wait_tcp "$(rport "$i" 6)" 30 || { log "relay ${names[$i]} did not start"; return 1; }
}

alive() { kill -0 "$1" 2>/dev/null && [ "$(awk '{ print $3 }' "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# ---- netsims, lanes and bots ------------------------------------------------
# ports[5..7]: the bots' netsim (to A's enet edge) and its metrics;
# the lanes' netsim metrics ports[8], ports[9].
start_bots() {
    local d=$window
    local common=(--duration "$d" --rate 20 --rejoin-ms $((window * 1000)) --timeout-ms 10000
                  --log-level info --json)
    bot() { # NAME ARGS...: one group of bots
        local name=$1
        shift
        "$bin/ricochet-bot" --name "$name" --seed "$seed" "${common[@]}" "$@" \
            >"$work/bot-$name.json" 2>"$work/bot-$name.err" &
        echo "$!" >>"$work/bot-pids"
    }
    bot enet --port "${ports[5]}" --room r-enet --count 3 --mode mixed
    bot udp --port "$(rport 1 1)" --room r-udp --count 2 --mode udp
    bot tcp --port "$(rport 2 2)" --room r-tcp --count 2 --mode tcp
    bot ws --port "$(rport 0 3)" --room r-ws --count 2 --mode ws
    bot rtc --port "$(rport 1 3)" --room r-rtc --count 2 --mode mixed --transport webrtc
    bot quic --port "$(rport 2 5)" --room r-quic --count 2 --mode mixed --transport quic
    bot poll --port "$(rport 1 7)" --room r-poll --count 2 --mode tcp --transport poll
}

# A short-lived bot: a random transport, relay, room and mode.
churn_one() {
    local r=$((RANDOM % 3)) k=$((RANDOM % 7)) n=$1 args
    local modes=(unsequenced sequenced reliable)
    local m=${modes[$((RANDOM % 3))]}
    case $k in
    0) args=(--port "$(rport "$r" 0)" --mode "$m") ;;
    1) args=(--port "$(rport "$r" 1)" --mode udp) ;;
    2) args=(--port "$(rport "$r" 2)" --mode tcp) ;;
    3) args=(--port "$(rport "$r" 3)" --mode ws) ;;
    4) args=(--port "$(rport "$r" 3)" --mode "$m" --transport webrtc) ;;
    5) args=(--port "$(rport "$r" 5)" --mode "$m" --transport quic) ;;
    6) args=(--port "$(rport "$r" 7)" --mode tcp --transport poll) ;;
    esac
    timeout 20 "$bot_bin/ricochet-bot" --name "c$n" --room "churn$((RANDOM % 2))" --count 2 \
        --duration $((1 + RANDOM % 4)) --seed "$n" "${args[@]}" >/dev/null 2>"$work/churn-$n.err" &
    churn_live+=("$!:$n")
}

# A new netsim model for the netsim whose metrics are on port $1.
model() {
    local loss=$((RANDOM % 6)) delay=$((RANDOM % 30)) jitter=$((RANDOM % 10))
    local dup=$((RANDOM % 2))
    curl -s -m 2 -X PUT -d "{\"loss\": $loss, \"delay\": $delay, \"jitter\": $jitter, \"dup\": $dup}" \
        "http://127.0.0.1:$1/model" >/dev/null && echo "loss $loss% delay $delay jitter $jitter dup $dup%" || echo "(gone)"
}

# ---- abuse ------------------------------------------------------------------
abuse() { # RELAY
    local i=$1 k p fds=()
    # garbage at each datagram edge (enet, udp, webrtc, quic)
    for k in 0 1 4 5; do
        p=$(rport "$i" "$k")
        for ((g = 1; g <= 10; g++)); do
            head -c $((1 + g * 60)) /dev/urandom >"/dev/udp/127.0.0.1/$p"
            printf '{"type":"join","room":5}' >"/dev/udp/127.0.0.1/$p"
        done 2>/dev/null
    done
    # garbage, a handshake flood and slowloris at the stream edges (tcp,
    # ws, poll)
    for k in 2 3 7; do
        p=$(rport "$i" "$k")
        head -c 3000 /dev/urandom >"/dev/tcp/127.0.0.1/$p" 2>/dev/null
        for ((g = 0; g < 30; g++)); do (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; done
        (
            for ((g = 0; g < 20; g++)); do exec {fd}<>"/dev/tcp/127.0.0.1/$p" && fds+=("$fd"); done
            for ((s = 0; s < 6; s++)); do
                for fd in "${fds[@]}"; do printf 'G' >&"$fd"; done
                sleep 1
            done
        ) 2>/dev/null &
    done
    curl -s -m 2 -X POST -d 'v=0 not an offer' "http://127.0.0.1:$(rport "$i" 3)/rtc" >/dev/null
    curl -s -m 2 -X POST -d 'not a join' "http://127.0.0.1:$(rport "$i" 7)/poll" >/dev/null
    curl -s -m 2 "http://127.0.0.1:$(rport "$i" 7)/poll?s=nosuchsession&wait=100" >/dev/null
    # a flooder over the rate limit: throttled, then kicked
    timeout 10 "$bin/ricochet-bot" --port "$(rport "$i" 1)" --mode udp --room flood \
        --name "flood$i" --rate 1000 --duration 4 >/dev/null 2>>"$work/flood.err" &
    # on every edge, a member stopped under its room's flood of events; the
    # edges' starts half a second apart, the members to stop at nice 10
    # (how they read is not judged; the flooders' is). They enter through
    # this relay, or for A (the lanes' relay, which the fleet gives no new
    # room while B or C lives) through B, or C if B is down: their rooms
    # land on B or C anyway, and their handshakes need not take A's loop.
    local via=$i
    [ "$i" = 0 ] && { via=1; [ "${relay_state[1]}" = up ] || via=2; }
    (
        for k in enet udp tcp ws webrtc quic wt poll; do
            stall "$via" "$k" "$2" &
            sleep 0.5
        done
        wait
    ) &
    stall_jobs+=("$!")
}

# The id a bot logged at its (last) welcome, from its stderr file $1 and its
# name $2, waited for up to 10 s while pid $3 lives.
welcome_id() {
    local k id
    for ((k = 0; k < 100; k++)); do
        id=$(sed -n "s/.* $2: joined as \([0-9]*\) .*/\1/p" "$1" 2>/dev/null | tail -n 1)
        [ -n "$id" ] && { echo "$id"; return 0; }
        alive "$3" || return 1
        sleep 0.1
    done
    return 1
}

# stall RELAY EDGE ROUND: a member of EDGE (its room's only one at first)
# stopped for stall_s, longer than the relay's --slow-reader-ms (2 s) and,
# for plain UDP's sake, its --timeout-ms (5 s), while two others flood the
# room with events of 1 KiB, 140 a second beside 10 states (under the
# relay's --rate-limit, 180), one to the room, one to the stopped member,
# from a second before the stop to 5 s after it (past every close but
# plain UDP's, which the flood does not bring).
# One line in $work/stalls: TAG ENTRY_RELAY ITS_INCARNATION ROOM ID STOP_MS
# CONT_MS FLOODER_IDS ("-": what did not happen; the bots' stderr in
# stall-TAG-*.err).
stall_s=7
stall() {
    local i=$1 e=$2 tag="$3-$2" a f id to stop="-" cont="-" fids=""
    local room="stall$tag" out="$work/stall-$tag"
    case $e in
    enet) a=(--port "$(rport "$i" 0)" --mode unsequenced) ;;
    udp) a=(--port "$(rport "$i" 1)" --mode udp) ;;
    tcp) a=(--port "$(rport "$i" 2)" --mode tcp) ;;
    ws) a=(--port "$(rport "$i" 3)" --mode ws) ;;
    webrtc) a=(--port "$(rport "$i" 3)" --transport webrtc) ;;
    quic) a=(--port "$(rport "$i" 5)" --transport quic) ;;
    wt) a=(--port "$(rport "$i" 5)" --transport wt) ;;
    poll) a=(--port "$(rport "$i" 7)" --mode tcp --transport poll) ;;
    esac
    a+=(--room "$room" --rate 10 --timeout-ms 10000 --log-level info)
    nice -n 10 "$bin/ricochet-bot" "${a[@]}" --name "s$tag" --duration 60 >/dev/null \
        2>"$out-s.err" &
    local s=$! p
    echo "$s" >>"$work/abuse-pids"
    if id=$(welcome_id "$out-s.err" "s$tag-1" "$s"); then
        for f in r m; do
            to=room; [ "$f" = m ] && to=$id
            "$bin/ricochet-bot" "${a[@]}" --name "f$f$tag" --events 140 --event-bytes 1024 \
                --event-to "$to" --duration $((stall_s - 1)) --json >"$out-f$f.json" \
                2>"$out-f$f.err" &
            p=$!
            echo "$p" >>"$work/abuse-pids"
            fids="$fids${fids:+,}$(welcome_id "$out-f$f.err" "f$f$tag-1" "$p" || echo -)"
        done
        sleep 1
        stop=$(now_ms)
        kill -STOP "$s"
        sleep "$stall_s"
        cont=$(now_ms)
        kill -CONT "$s"
    fi
    echo "$tag ${names[$i]} ${relay_inc[$i]} $room ${id:--} $stop $cont ${fids:--}" >>"$work/stalls"
    sleep 3 # what it reads once it runs again: its close, or (plain UDP) a rejoin
    kill "$s" 2>/dev/null
    wait
}

# ---- the run ----------------------------------------------------------------
pick_ports 34
log "seed $seed, ${minutes} min, relays from $relay_bin, work $work"
start_redis "${ports[0]}"
wait_tcp "${ports[0]}" 10 || { log "redis-server did not start"; exit 1; }
start_redis "${ports[1]}" "${ports[0]}"
for k in 2 3 4; do start_sentinel "${ports[$k]}" "${ports[0]}"; done
for k in 1 2 3 4; do wait_tcp "${ports[$k]}" 10 || { log "redis did not start"; exit 1; }; done
start_relay 0 || exit 1
# The lanes' rooms are placed while A is the only relay: A holds them for
# the whole run (it is never killed or stopped).
lane() { # NAME MODE ROOMSIZE METRICS
    "$bin/ricochet-bench" --relay "127.0.0.1:$(rport 0 0)" --netsim --path-loss 2 \
        --netsim-args "--metrics 127.0.0.1:$4" --seed "$seed" ${3:---clients 4} --rate 20 \
        --modes "$2" --duration $((window - 12)) --warmup 2 --grace 3 --setup-timeout 30 \
        --quiet --json-file "$work/lane-$1.json" >"$work/lane-$1.out" 2>&1 &
    echo "$!" >>"$work/lane-pids"
}
lane unsequenced unsequenced "" "${ports[8]}"
lane reliable reliable "--clients 6 --room-size 3" "${ports[9]}"
for ((k = 0; k < 300; k++)); do # their three rooms on A before B and C start
    [ "$(curl -s -m 1 "http://127.0.0.1:$(rport 0 6)/stats.json" |
         jq -r '[.busiest[]?.room | select(startswith("bench"))] | length')" = 3 ] && break
    sleep 0.1
done
[ "$k" -lt 300 ] || { log "the lanes' rooms never showed on relay A (logs in $work)"; exit 1; }
start_relay 1 && start_relay 2 || exit 1
"$bin/ricochet-netsim" --relay "127.0.0.1:$(rport 0 0)" --listen "127.0.0.1:${ports[5]}" \
    --metrics "127.0.0.1:${ports[6]}" --seed "$seed" --flow-timeout 30 \
    >"$work/netsim.out" 2>"$work/netsim.err" &
wait_tcp "${ports[6]}" 10 || { log "netsim did not start"; exit 1; }
start_bots
start=$(date +%s)
end=$((start + window - 10))
warm_s=30
log "fleet up: A ${relay_pid[0]}, B ${relay_pid[1]}, C ${relay_pid[2]}; chaos until $(date -d @$end +%H:%M:%S)"

at="" crashes=0 crash_what="" stopped_at=0 stopped=-1 dead=-1 dead_at=0 redis_dead="" redis_dead_at=0
next_event=$((start + 8)) n_event=0 n_churn=0 n_kill=0 n_stop=0 n_redis=0 n_abuse=0 n_model=0
stall_jobs=() abuse_seen=0
declare -A served_prev served_streak
splits=0 split_what="" split_samples=0
events=(kill-b model abuse-a stop-c redis abuse-b kill-c model stop-b abuse-c redis model)

# Rooms each live relay served in the last second (states_out grew): a
# room served by two relays in two samples running (over a heartbeat) is split.
split_sample() {
    local i room out cur now_served=""
    declare -A who=()
    for i in 0 1 2; do
        [ "${relay_state[$i]}" = up ] || continue
        out=$(curl -s -m 0.8 "http://127.0.0.1:$(rport "$i" 6)/stats.json") || continue
        while read -r room cur; do
            [ -z "$room" ] && continue
            local key="${relay_inc[$i]}/$room"
            if [ -n "${served_prev[$key]:-}" ] && [ "$cur" -gt "${served_prev[$key]}" ]; then
                who[$room]="${who[$room]:-}${names[$i]}"
            fi
            served_prev[$key]=$cur
        done < <(jq -r '.busiest[]? | "\(.room) \(.states_out)"' <<<"$out" 2>/dev/null)
    done
    split_samples=$((split_samples + 1))
    for room in "${!who[@]}"; do
        if [ "${#who[$room]}" -gt 1 ]; then
            now_served="$now_served $room"
            served_streak[$room]=$((${served_streak[$room]:-0} + 1))
            if [ "${served_streak[$room]}" -eq 2 ]; then
                splits=$((splits + 1))
                split_what="$split_what $room(${who[$room]})"
                event "split: room $room served by ${who[$room]}"
            fi
        fi
    done
    for room in "${!served_streak[@]}"; do
        [[ " $now_served " == *" $room "* ]] || served_streak[$room]=0
    done
}

sample_rss() {
    local i rss
    for i in 0 1 2; do
        [ "${relay_state[$i]}" = up ] || continue
        rss=$(awk '$1 == "VmRSS:" { print $2 }' "/proc/${relay_pid[$i]}/status" 2>/dev/null)
        [ -n "$rss" ] && echo "${relay_inc[$i]} $(now_ms) $rss" >>"$work/rss"
    done
}

# Churn bots that ended: exit status >= 128 (but timeout's 124) is a crash.
churn_crashes=0 churn_crash_what="" churn_failed=0
reap_churn() {
    local pid n rc keep=()
    for entry in "${churn_live[@]}"; do
        pid=${entry%:*} n=${entry#*:}
        if alive "$pid"; then keep+=("$entry"); continue; fi
        wait "$pid"; rc=$?
        [ "$rc" -eq 0 ] || churn_failed=$((churn_failed + 1))
        if [ "$rc" -ge 128 ] || grep -q -E 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$work/churn-$n.err"; then
            churn_crashes=$((churn_crashes + 1)) churn_crash_what="$churn_crash_what c$n(exit $rc)"
            event "churn bot c$n crashed (exit $rc, $work/churn-$n.err)"
        fi
    done
    churn_live=("${keep[@]}")
}

check_alive() {
    local i
    for i in 0 1 2; do
        [ "${relay_state[$i]}" = dead ] && continue
        if ! alive "${relay_pid[$i]}"; then
            crashes=$((crashes + 1))
            crash_what="$crash_what ${names[$i]}#${relay_inc[$i]}"
            event "relay ${names[$i]} (incarnation ${relay_inc[$i]}) died by itself"
            wait "${relay_pid[$i]}" 2>/dev/null
            start_relay "$i"
        fi
    done
}

do_event() {
    local ev=${events[$((n_event % ${#events[@]}))]} i p
    n_event=$((n_event + 1))
    case $ev in
    kill-b | kill-c)
        i=1; [ "$ev" = kill-c ] && i=2
        [ "${relay_state[$i]}" = up ] || return
        at=$(now_ms) # before the signal: a client may notice at once
        kill -9 "${relay_pid[$i]}"; wait "${relay_pid[$i]}" 2>/dev/null
        relay_state[$i]=dead dead=$i dead_at=$(($(date +%s) + 2)) n_kill=$((n_kill + 1))
        event "lost: SIGKILL relay ${names[$i]} (incarnation ${relay_inc[$i]})" ;;
    stop-b | stop-c)
        i=1; [ "$ev" = stop-c ] && i=2
        [ "${relay_state[$i]}" = up ] || return
        at=$(now_ms)
        kill -STOP "${relay_pid[$i]}"
        relay_state[$i]=stopped stopped=$i stopped_at=$(($(date +%s) + 4)) n_stop=$((n_stop + 1))
        event "lost: SIGSTOP relay ${names[$i]} for 4 s" ;;
    redis)
        [ -z "$redis_dead" ] || return
        p=$(primary_port)
        [ -n "$p" ] && [ -n "${redis_pid[$p]:-}" ] || return
        at=$(now_ms)
        kill -9 "${redis_pid[$p]}"; wait "${redis_pid[$p]}" 2>/dev/null
        redis_dead=$p redis_dead_at=$(($(date +%s) + 6)) n_redis=$((n_redis + 1))
        event "lost: SIGKILL Redis primary :$p" ;;
    abuse-*)
        i=0; [ "$ev" = abuse-b ] && i=1; [ "$ev" = abuse-c ] && i=2
        [ "${relay_state[$i]}" = up ] || return
        n_abuse=$((n_abuse + 1)); abuse "$i" "$n_abuse"
        event "abuse at every edge of relay ${names[$i]}" ;;
    model)
        for p in "${ports[6]}" "${ports[8]}" "${ports[9]}"; do
            event "netsim :$p model: $(model "$p")"
        done
        n_model=$((n_model + 1)) ;;
    esac
}

while now=$(date +%s); [ "$now" -lt "$end" ]; do
    check_alive
    if [ "$dead" -ge 0 ] && [ "$now" -ge "$dead_at" ]; then
        start_relay "$dead"; event "relay ${names[$dead]} back (incarnation ${relay_inc[$dead]})"; dead=-1
    fi
    if [ "$stopped" -ge 0 ] && [ "$now" -ge "$stopped_at" ]; then
        kill -CONT "${relay_pid[$stopped]}"; relay_state[$stopped]=up
        event "relay ${names[$stopped]} continued (SIGCONT)"; stopped=-1
    fi
    if [ -n "$redis_dead" ] && [ "$now" -ge "$redis_dead_at" ]; then
        start_redis "$redis_dead" "$(primary_port)"
        event "Redis :$redis_dead back as a replica of :$(primary_port)"; redis_dead=""
    fi
    if [ "$now" -ge "$next_event" ]; then
        do_event
        next_event=$((now + 5 + RANDOM % 6))
        # an abuse round's stalls last 15 to 20 s: nothing else meanwhile
        [ "$n_abuse" -gt "$abuse_seen" ] && next_event=$((next_event + 12)) abuse_seen=$n_abuse
    fi
    if [ $((RANDOM % 2)) -eq 0 ]; then n_churn=$((n_churn + 1)); churn_one "$n_churn"; fi
    sample_rss
    split_sample
    reap_churn
    sleep 0.5
done

# ---- the end: everything back, then stopped ---------------------------------
[ "$stopped" -ge 0 ] && { kill -CONT "${relay_pid[$stopped]}"; relay_state[$stopped]=up; }
[ "$dead" -ge 0 ] && start_relay "$dead"
log "chaos over; waiting for the bots, the lanes and the stalls"
while [ "${#churn_live[@]}" -gt 0 ]; do reap_churn; sleep 0.2; done
# (a round long over may be one bash no longer remembers: not a child)
for p in "${stall_jobs[@]}"; do wait "$p" 2>/dev/null; done
for p in $(cat "$work/bot-pids" "$work/lane-pids"); do wait "$p"; echo "$p $?" >>"$work/exits"; done
check_alive
sample_rss
for i in 0 1 2; do kill -TERM "${relay_pid[$i]}"; done
for i in 0 1 2; do
    wait "${relay_pid[$i]}"
    rc=$?
    if [ "$rc" -ne 0 ]; then
        crashes=$((crashes + 1)); crash_what="$crash_what ${names[$i]}#${relay_inc[$i]}(exit $rc)"
    fi
done
reports=$(grep -l -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:|SUMMARY: (Address|Undefined|Leak)' \
          "$work"/relay-*.err 2>/dev/null | wc -l)

# ---- invariants -------------------------------------------------------------
failed=0
# How many of the pids listed in file $1 exited non-zero (but $2).
failed_exits() {
    awk -v ok="${2:-0}" 'NR == FNR { mine[$1] = 1; next }
        ($1 in mine) && $2 != 0 && $2 != ok { n++ } END { print n + 0 }' "$1" "$work/exits"
}
verdict() { # NAME OK TEXT
    if [ "$2" = 1 ]; then echo "chaos: PASS $1: $3"; else echo "chaos: FAIL $1: $3"; failed=1; fi
}
echo "chaos: ${minutes} min, seed $seed: $n_kill relay kills, $n_stop stops, $n_redis Redis primary" \
     "kills, $n_abuse abuse rounds, $n_model model changes, $n_churn churn bots, $incarnations" \
     "relay incarnations"

# Not an invariant: under chaos a join may be refused (directory_unavailable
# while the sentinels fail over) or find its relay gone; what the churn
# bots said, for a reader to judge.
echo "chaos: churn: $((n_churn - churn_failed)) of $n_churn bots joined, sent and left;" \
     "the others: $(cat "$work"/churn-*.err 2>/dev/null | sed -n 's/^ricochet-bot: error: [^ ]* \(could not join\|lost its connection to\) [^ ]*: //p' |
     sed 's/ (and [0-9]* other bots\?)//; s/[0-9][0-9.]*:[0-9][0-9]*/ADDR/g' | sort | uniq -c | sort -rn | head -n 4 |
     awk '{ n = $1; $1 = ""; printf "%s%d x%s", (NR > 1 ? "; " : ""), n, $0 }')"

ok=1; [ "$crashes" -eq 0 ] && [ "$reports" -eq 0 ] && [ "$churn_crashes" -eq 0 ] || ok=0
verdict crash $ok "$crashes relays died or exited non-zero by themselves${crash_what:+ ($crash_what)}, $reports sanitizer reports ($incarnations incarnations, $n_kill SIGKILLed on purpose); $churn_crashes of $n_churn churn bots crashed${churn_crash_what:+ ($churn_crash_what)}"

# memory: each incarnation that lived a minute or more: its last sample
# against its sample at the end of its warm-up (half its life, at least
# warm_s); up to +20%, and at least 6 MiB: ASan's quarantine (2 MiB here)
# and its allocator's free lists fill with use.
mem=$(awk -v warm=$((warm_s * 1000)) '
    NR == FNR { born[$1] = $4; name[$1] = $2; next }
    { t[$1, ++n[$1]] = $2 - born[$1]; rss[$1, n[$1]] = $3 }
    END { bad = 0; judged = 0; s = ""
          for (i in n) { life = t[i, n[i]]; if (life < 2 * warm) continue; judged++
              half = life / 2 > warm ? life / 2 : warm
              for (k = 1; k <= n[i] && t[i, k] < half; k++) ; base = rss[i, k]; last = rss[i, n[i]]
              allow = base * 0.2; if (allow < 6144) allow = 6144
              s = s sprintf(" %s#%s %d->%d kB (%d s);", name[i], i, base, last, life / 1000)
              if (last > base + allow) bad++ }
          printf "%d %d%s\n", judged, bad, s }' "$work/incarnations" "$work/rss")
read -r mem_n mem_bad mem_text <<<"$mem"
ok=1; [ "$mem_n" -gt 0 ] && [ "$mem_bad" -eq 0 ] || ok=0
verdict memory $ok "$mem_bad of $mem_n incarnations living ${warm_s}x2 s or more grew past +20% (at least 6 MiB) after warming up:$mem_text"

# attributed: what ricochet-bench's audit explains by netsim's drop log;
# what it cannot (a state netsim carried up that reached no receiver and
# that netsim sent down to none) only within relay A's own count of the
# states it shed as stale (drops.stale: late for its fan-out), one state
# for each of the other members of its room.
a_stale=$(grep '"final":true' "$work/relay-1.out" | jq -r '.drops.stale' 2>/dev/null)
a_stale=${a_stale:-0}
stale_left=$a_stale
ok=1 text=""
for l in unsequenced reliable; do
    f="$work/lane-$l.json"
    if [ ! -s "$f" ]; then ok=0; text="$text $l: no result ($(tail -n 1 "$work/lane-$l.out"));"; continue; fi
    read -r sent missed expl unexpl up_fwd retx unretx held_bad < <(jq -r '.results[0] | [.sent,
        .audit.missed, .audit.explained, .audit.unexplained, .audit.unexplained_where.up_fwd,
        .audit.retransmitted // 0, .audit.unretransmitted // 0,
        ((.audit.held // {}) | (.unresolved // 0) + (.unattributed // 0) + (.late_unheld // 0))]
        | @tsv' "$f")
    # each state shed is missed by the 3 others of its room of 4; the
    # relay sheds no reliable state
    shed=$(((up_fwd + 2) / 3))
    [ "$l" = reliable ] && shed=0
    [ "$unexpl" = "$up_fwd" ] && [ $((shed * 3)) -ge "$up_fwd" ] && [ "$shed" -le "$stale_left" ] || ok=0
    stale_left=$((stale_left - shed))
    text="$text $l: $sent sent, $missed missed: $expl by netsim's drop log, $shed states shed by relay A as stale, $((unexpl - shed * 3 > 0 ? unexpl - shed * 3 : 0)) unexplained"
    [ "$l" = reliable ] && text="$text, $retx drops retransmitted, $unretx not"
    text="$text;"
    [ "$sent" -gt 0 ] && [ "$unretx" = 0 ] && [ "$held_bad" = 0 ] || ok=0
done
# exit 3: the audit left states to the relay's count, judged above
[ "$(failed_exits "$work/lane-pids" 3)" -eq 0 ] || ok=0
verdict attributed $ok "lanes through relay A:$text relay A shed $a_stale states as stale"

ok=1; [ "$splits" -eq 0 ] && [ "$split_samples" -gt 0 ] || ok=0
verdict split $ok "$splits rooms served by two relays in two sampling intervals running, over $split_samples samples (one every $(awk -v w="$window" -v n="$split_samples" 'BEGIN { printf "%.1f", n ? (w - 10) / n : 0 }') s)${split_what:+ ($split_what)}"

# failover: each rejoin a bot logged, from the last loss event before it to
# the bot's next welcome.
fo=$(cat "$work"/bot-*.err | awk -v bound="$bound_ms" -v evfile="$work/events" '
    function ms(d, t,   a, b) { split(d, a, "-"); split(t, b, ":")
        return (mktime(a[1] " " a[2] " " a[3] " " b[1] " " b[2] " " int(b[3])) * 1000) + \
               int((b[3] - int(b[3])) * 1000 + 0.5) }
    BEGIN { while ((getline l < evfile) > 0) { split(l, f, " "); if (f[2] == "lost:") ev[++n] = f[1] } }
    / joining again, through / { who = $4; sub(":$", "", who); t = ms($1, $2); e = t - 1500
        for (i = 1; i <= n; i++) if (ev[i] <= t) e = ev[i]
        if (!(who in open)) { open[who] = e; ++lost } next }
    / joined as / { who = $4; sub(":$", "", who); if (who in open) { d = ms($1, $2) - open[who]
        if (d > worst) worst = d; if (d > bound) late++; delete open[who]; back++ } }
    END { still = 0; for (w in open) still++
          printf "%d %d %d %d %d\n", lost, back, late, still, worst }')
read -r fo_lost fo_back fo_late fo_still fo_worst <<<"$fo"
bots_bad=$(failed_exits "$work/bot-pids")
ok=1; [ "$fo_late" -eq 0 ] && [ "$fo_still" -eq 0 ] && [ "$bots_bad" -eq 0 ] || ok=0
verdict failover $ok "$fo_lost bots lost their relay, $fo_back back in a room, worst ${fo_worst} ms after the event (bound $bound_ms ms), $fo_late late, $fo_still never back, $bots_bad bot processes failed"

# stalled: each stopped member's close in the log of the relay that held
# its room (its join line there names the room, its id and name; the room
# went to the fleet's least loaded relay, not always the one abused):
# slow_reader, or timeout over plain UDP (nothing is acknowledged there)
# and over tcp and ws (the kernel's buffers may take the whole flood, so
# the relay holds nothing: the silence closes it) and poll (a session that
# asks nothing is silent: its --timeout-ms may end before its backlog is
# judged), and how long after its SIGSTOP. A stall whose holder was killed or stopped while it lasted, or
# whose room was not flooded (a member could not join), is counted apart.
# Every other slow_reader close in a relay's log fails, but those from
# that relay's own SIGSTOP to 3 s after its SIGCONT (the relay itself did
# not run, and judges on waking what it did not read while stopped) and
# the lanes' members' (ricochet-bench stops reading its clients for its
# audit once the lane is over; attributed judges the lanes): counted
# apart.
ms_of() { # DATE TIME of a log line: ms since the epoch
    date -d "$1 $2" +%s%3N
}
relay_of_log() { # relay-N.err: the relay's name (A, B, C)
    local n=${1##*relay-}
    awk -v n="${n%.err}" '$1 == n { print $2 }' "$work/incarnations"
}
lost_between() { # RELAY FROM_MS TO_MS: was RELAY killed or stopped then?
    awk -v r="$1" -v a="$2" -v b="$3" '$1 >= a && $1 <= b && $2 == "lost:" &&
        $0 ~ ("relay " r " ") { found = 1 } END { exit !found }' "$work/events"
}
stopped_around() { # RELAY MS: was RELAY stopped, or continued 3 s or less before?
    awk -v r="$1" -v t="$2" '$2 == "lost:" && $3 == "SIGSTOP" && $5 == r && $1 <= t { s = $1 }
        $3 == r && $4 == "continued" && $1 <= t { c = $1 }
        END { exit !(s && (c < s || t - c <= 3000)) }' "$work/events"
}
st_n=0 st_slow=0 st_timeout=0 st_excused=0 st_open=0 st_what="" matched="" st_kicked=0
declare -A st_worst=() st_by=()
while read -r tag _ _ room id stop cont fids; do
    st_n=$((st_n + 1))
    e=${tag#*-}
    f="" holder=""
    if [ "$id" != - ]; then
        f=$(grep -l -F "joined room '$room' as $id (s$tag-1," "$work"/relay-*.err | head -n 1)
        holder=$(relay_of_log "$f")
        # a stopped member, whatever else happened: its close is no other's
        [ -n "$f" ] && grep -q -F "(id $id): slow_reader:" "$f" && matched="$matched ${f##*/}:$id"
    fi
    if [ "$id" = - ] || [ "$stop" = - ] || [[ ",$fids," == *",-,"* ]]; then
        st_excused=$((st_excused + 1)) st_what="$st_what $tag(not flooded)"
        continue
    fi
    how="" line=""
    if [ -n "$f" ] && line=$(grep -m 1 -F "(id $id): slow_reader:" "$f"); then
        how=slow_reader
    elif [ -n "$f" ] && [[ " udp tcp ws poll " == *" $e "* ]] &&
         line=$(grep -m 1 -F "left room '$room' as $id (s$tag-1): timeout" "$f"); then
        how=timeout
    fi
    if [ -z "$how" ] && [ -n "$holder" ] && lost_between "$holder" $((stop - 2000)) "$cont"; then
        st_excused=$((st_excused + 1)) st_what="$st_what $tag(relay $holder lost)"
        continue
    fi
    if [ -z "$how" ]; then
        st_open=$((st_open + 1)) st_what="$st_what $tag(not closed${holder:+ on $holder})"
        continue
    fi
    [ "$how" = slow_reader ] && st_slow=$((st_slow + 1))
    [ "$how" = timeout ] && st_timeout=$((st_timeout + 1))
    st_by[$e]="${st_by[$e]:-}${how:0:1}"
    d=$(($(ms_of $line) - stop))
    [ "$d" -gt "${st_worst[$e]:-0}" ] && st_worst[$e]=$d
    for fid in ${fids//,/ }; do
        if grep -F -e "kicking " -e ": slow_reader:" "$f" | grep -q -F "(id $fid): "; then
            st_kicked=$((st_kicked + 1)) st_what="$st_what $tag(flooder $fid closed)"
        fi
    done
done < <(cat "$work/stalls" 2>/dev/null)
others="" paused=0 lanes=0
for f in "$work"/relay-*.err; do
    name=$(relay_of_log "$f")
    while read -r day time id; do
        [[ " $matched " == *" ${f##*/}:$id "* ]] && continue
        if grep -q -E "joined room 'bench[^']*' as $id \(" "$f"; then
            lanes=$((lanes + 1)) # the lanes' own, once done: attributed judges them
        elif stopped_around "$name" "$(ms_of "$day" "$time")"; then
            paused=$((paused + 1))
        else
            others="$others ${f##*/}:$id"
        fi
    done < <(sed -n 's/^\([^ ]*\) \([^ ]*\) .* (id \([0-9]*\)): slow_reader: .*/\1 \2 \3/p' "$f")
done
per_edge=""
for e in enet udp tcp ws webrtc quic wt poll; do
    b=${st_by[$e]:-}
    [ -n "$b" ] || continue
    sr=${b//t/} to=${b//s/}
    per_edge="$per_edge${per_edge:+, }$e ${#sr}/${#to} (worst ${st_worst[$e]} ms)"
done
# what the flooders sent, and how often the relay told them it held their
# events back (throttled: their receiver past half its --max-queued-bytes)
read -r fl_sent fl_throttled < <(cat "$work"/stall-*-f?.json 2>/dev/null |
    jq -s -r '[.[].bots[0]] | "\(map(.events_sent) | add // 0) \(map(.throttled) | add // 0)"')
ok=1; [ "$st_open" -eq 0 ] && [ "$st_kicked" -eq 0 ] && [ -z "$others" ] &&
    [ $((st_slow + st_timeout)) -gt 0 ] || ok=0
verdict stalled $ok "$st_n members stopped ${stall_s} s under their room's flood of events: $st_slow closed slow_reader, $st_timeout timeout; by edge, slow_reader/timeout and the worst time from the stop: ${per_edge:-none}; $st_open not closed, $st_excused not judged${st_what:+ ($st_what )}; the flooders sent ${fl_sent:-0} events and were told throttled ${fl_throttled:-0} times, $st_kicked of them closed or kicked; $(echo $others | wc -w) other members closed slow_reader${others:+ ($others )}, $paused just after their relay's own SIGSTOP, $lanes of the lanes' (as they ended)"

if [ "$failed" -eq 0 ]; then
    echo "chaos: PASS"
    [ "${CHAOS_KEEP:-0}" = 1 ] || rm -rf "$work"
    exit 0
fi
echo "chaos: FAILED (logs in $work)"
exit 1
