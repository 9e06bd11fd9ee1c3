#!/bin/sh
# bench/webrtc.sh BIN OUT [RUNS [SECONDS [PARTS]]]: the ENet modes over WebRTC's data
# channels (libricochet's WebRTC transport against the relay's webrtc edge)
# beside the other modes (docs/benchmarks.md, "WebRTC"); every scenario RUNS
# (3) times, reported as medians with min-max; SECONDS: each run's measured
# window (4; 1 for a short check). Each part is written under OUT/NAME/ as
# table.txt results.json results.csv, emptied first, with machine.txt (the
# machine and its floor: bench/machine.sh):
#   modes      4 clients in one room at 60 Hz, 40-byte states, through netsim
#              with 20 ms of delay and 10 ms of jitter end to end, at 0 and 5 %
#              loss: unsequenced, sequenced, reliable and udp over their own
#              transports, and webrtc, webrtc-sequenced and webrtc-reliable
#              (every lost state audited against netsim's drop log, read
#              inside DTLS with the clients' key log); latency CDFs
#   cpu-room   the relay's CPU per delivered state, WebRTC (webrtc) and QUIC
#              datagrams (quic) against sealed ENet (unsequenced, --encrypt:
#              tickets the bench mints, every ENet session sealed; WebRTC and
#              QUIC encrypt by themselves) in one bench run: 64 clients in one
#              room at 60 Hz, --tick-ms 2, no netsim
#   cpu-rooms  the same with 512 clients in rooms of 8 at 10 Hz, --tick-ms 50,
#              WebTransport's datagrams (wt) beside them
#   cpu-rooms-1000, cpu-rooms-1000-clear  QUIC against ENet with 1000
#              clients in rooms of 8 at 10 Hz: ENet sealed, then in clear
# PARTS (default all): the parts to run, of modes, cpu-room, cpu-rooms and
# cpu-rooms-1000 ("cpu-rooms cpu-rooms-1000" runs those two, and with the
# second cpu-rooms-1000-clear: a part and its -clear go together).
# OUT/summary.txt gathers the tables. A lost state the audit cannot explain
# makes the bench exit 3: the script goes on and exits 3 at the end.
set -eu
bin=${1:-build/bin}
out=${2:-build/bench-results/webrtc}
runs=${3:-3}
secs=${4:-4}
parts=${5:-modes cpu-room cpu-rooms cpu-rooms-1000}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "webrtc.sh: $bench not found (run make first)" >&2; exit 2; }
for p in $parts; do
    case $p in
        modes | cpu-room | cpu-rooms | cpu-rooms-1000) ;;
        *) echo "webrtc.sh: no part '$p' (modes cpu-room cpu-rooms cpu-rooms-1000)" >&2; exit 2 ;;
    esac
done
mkdir -p "$out"
here=$(dirname "$0")
start=$(date +%s)
unexplained=""

# part NAME HEADING ARGS...: the bench into OUT/NAME/, going on past exit
# status 3 (nothing, not even its heading, unless PARTS names it, or NAME
# less its -clear).
part() {
    name=$1
    heading=$2
    shift 2
    case " $parts " in *" ${name%-clear} "*) ;; *) return 0 ;; esac
    echo "== $name: $heading" >&2
    rm -rf "${out:?}/$name"
    mkdir -p "$out/$name"
    floor=$("$here/machine.sh" "$bin" "$out/$name") # in machine.txt and every JSON record
    rc=0
    "$bench" "$@" --floor "$floor" --repeat "$runs" --duration "$secs" --table-file "$out/$name/table.txt" \
        --json-file "$out/$name/results.json" --csv-file "$out/$name/results.csv" || rc=$?
    if [ "$rc" -eq 3 ]; then
        unexplained="$unexplained $name"
    elif [ "$rc" -ne 0 ]; then
        exit "$rc"
    fi
}

part modes "every mode and the ENet modes over WebRTC at 0 and 5 % loss (netsim)" \
    --clients 4 --rate 60 --payload 40 --path-delay 20 --path-jitter 10 --sweep path-loss=0,5 \
    --modes unsequenced,sequenced,reliable,udp,webrtc,webrtc-sequenced,webrtc-reliable \
    --warmup 1 --grace 2 --seed 1 --plot "$out/modes"
part cpu-room "relay CPU per delivery, WebRTC and QUIC against sealed ENet, one room of 64" \
    --clients 64 --rate 60 --modes unsequenced,webrtc,quic --encrypt \
    --relay-args "--tick-ms 2" --warmup 1 --grace 1
part cpu-rooms "the same and WebTransport, 512 clients in rooms of 8 at 10 Hz" \
    --clients 512 --room-size 8 --rate 10 --modes unsequenced,webrtc,quic,wt --encrypt \
    --relay-args "--tick-ms 50" --warmup 2 --grace 1 --setup-timeout 90
for sealed in --encrypt ""; do
    name=cpu-rooms-1000
    what="QUIC against sealed ENet, 1000 clients in rooms of 8"
    [ -n "$sealed" ] || { name=$name-clear; what="the same, ENet in clear"; }
    # shellcheck disable=SC2086 # $sealed: one option or none
    part "$name" "$what" --clients 1000 --room-size 8 --rate 10 \
        --modes unsequenced,quic $sealed --relay-args "--tick-ms 50" --warmup 2 --grace 1 \
        --setup-timeout 120
done

{
    echo "ricochet-bench over WebRTC ($(date -u +%Y-%m-%dT%H:%M:%SZ), $(nproc) cores," \
         "$runs runs per scenario, $secs s windows, $("$bench" --version))"
    for s in modes cpu-room cpu-rooms cpu-rooms-1000 cpu-rooms-1000-clear; do
        [ -f "$out/$s/table.txt" ] && { echo; cat "$out/$s/table.txt"; }
    done
} > "$out/summary.txt"
echo "webrtc.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
if [ -n "$unexplained" ]; then
    echo "webrtc.sh: AUDIT FAILED in:$unexplained (lost states netsim's drop log does not" \
         "explain: see AUDIT lines in the tables, listed in results.json)" >&2
    exit 3
fi
