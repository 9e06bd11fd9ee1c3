#!/bin/sh
# dissector_sample.sh [BIN [SAMPLE...]]: makes the small fixed captures
# that tests/test_e2e_dissector.c diffs the dissector's output against,
# from short ricochet-bench runs through netsim (BIN: the programs, default
# build/bin; SAMPLE: some of enet modes browsers quic, default all). Each run's
# datagrams are thinned to a few of each kind:
#   dissector_enet.pcap (+ .dropped)  unsequenced over ENet through 20% loss:
#                                     the handshake and join, the states,
#                                     the goodbye; what netsim dropped of them
#   dissector_modes.pcap              sequenced, reliable, plain UDP (with its
#                                     cookie), ENet and plain-UDP batches,
#                                     sealed sessions with tickets over both
#   dissector_browsers.pcapng (+ .keys) the browsers' transports in one room,
#                                     on loopback: two libricochet bots on the
#                                     relay's WebSocket edge (7780) and two
#                                     python3-aiortc clients on its webrtc
#                                     edge (7781), whose DTLS secrets are the
#                                     key log (needs root, for dumpcap on lo)
#   dissector_quic.pcapng (+ .keys)   the relay's quic edge on loopback: two
#                                     bots of the mode mixed (unsequenced and
#                                     sequenced datagrams) and one of the mode
#                                     streams, whose TLS secrets are the key
#                                     log (root, for dumpcap on lo)
# Then RICOCHET_GOLDEN_UPDATE=1 build/asan/tests/test_e2e_dissector writes
# the golden text next to them. Needs tshark, editcap, mergecap and dumpcap.
set -eu
cd "$(dirname "$0")"
bin=${1:-../../build/bin}
[ $# -gt 1 ] && shift 1 || set -- enet modes browsers quic
lua=../../proto/wireshark/ricochet.lua
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# run NAME BENCH-OPTIONS...: one bench run through netsim, 2 clients at 4 Hz
# unless the options say otherwise.
run() {
    name=$1
    shift
    "$bin/ricochet-bench" --clients 2 --rate 4 --duration 0.5 --warmup 0.3 --grace 0.3 \
        --netsim-args "--pcap $tmp/$name.pcap" --quiet --json-file "$tmp/$name.json" "$@" \
        >/dev/null
}

# frames PCAP FILTER N: the numbers of the first N frames matching FILTER.
frames() {
    tshark -r "$1" -X "lua_script:$lua" -Y "$2" -T fields -e frame.number 2>/dev/null |
        head -n "$3" | tr '\n' ' '
}

# keep PCAP OUT FILTER...: the frames of PCAP matching the filters, the
# first $N (8) of each.
keep() {
    pcap=$1 out=$2
    shift 2
    picked=""
    for f in "$@"; do
        picked="$picked $(frames "$pcap" "$f" "${N:-8}")"
    done
    picked=$(echo $picked | tr ' ' '\n' | sort -n | uniq | tr '\n' ' ')
    editcap -F pcap -r "$pcap" "$out" $picked
}

# enet: unsequenced over ENet through 20% loss, and what netsim dropped.
enet() {
    run enet --modes unsequenced --path-loss 20 --seed 3
    N=16 keep "$tmp/enet.pcap" dissector_enet.pcap "frame.number <= 12" "ricochet.state.seq" \
        "enet.disconnect.data"
    keep "$tmp/enet.pcap.dropped" dissector_enet.pcap.dropped "ricochet.state.seq"
}

# modes: a slice of each other mode's run, merged.
modes() {
    for m in sequenced reliable udp; do
        run "$m" --modes "$m" --netsim
    done
    run batch_enet --modes unsequenced --relay-args "--tick-ms 100" --netsim --clients 3 --rate 20
    run batch_udp --modes udp --relay-args "--tick-ms 100" --netsim --clients 3 --rate 20
    run sealed_enet --modes unsequenced --encrypt --netsim
    run sealed_udp --modes udp --encrypt --netsim
    slices=""
    for m in sequenced reliable udp batch_enet batch_udp sealed_enet sealed_udp; do
        N=4 keep "$tmp/$m.pcap" "$tmp/$m.slice.pcap" "ricochet.control.type" \
            "ricochet.state.seq || ricochet.sealed.lane > 0" "ricochet.batch.states" \
            "enet.ack.seq && enet.channel == 2"
        slices="$slices $tmp/$m.slice.pcap"
    done
    mergecap -a -F pcap -w dissector_modes.pcap $slices
}

# browsers: a relay on the dissector's default ports (so that the golden
# text needs no port preference), captured whole.
browsers() {
    "$bin/ricochet-relay" --listen ws://127.0.0.1:7780 --listen webrtc://127.0.0.1:7781 \
        --log-level warn >/dev/null 2>"$tmp/relay.err" &
    relay=$!
    dumpcap -q -i lo -f "tcp port 7780 or udp port 7781" -w "$tmp/browsers.pcapng" 2>/dev/null &
    capture=$!
    sleep 1
    "$bin/ricochet-bot" --mode ws --port 7780 --room dissect -P 2 --rate 2 --duration 3 \
        >/dev/null 2>&1 &
    bots=$!
    rm -f dissector_browsers.keys
    trap 'kill "$relay" "$capture" "$bots" 2>/dev/null; rm -rf "$tmp"' EXIT
    /usr/bin/python3 ../support/aiortc_ricochet.py http://127.0.0.1:7780/rtc \
        dissector_browsers.keys 2 4 >/dev/null
    wait "$bots"
    sleep 0.5
    kill -INT "$capture"
    wait "$capture" || true
    kill "$relay"
    wait "$relay" || true
    trap 'rm -rf "$tmp"' EXIT
    editcap -F pcapng "$tmp/browsers.pcapng" dissector_browsers.pcapng
}

# quic: the relay's quic edge on a fixed port, captured whole.
quic() {
    "$bin/ricochet-relay" --listen quic://127.0.0.1:7782 --log-level warn >/dev/null \
        2>"$tmp/relay.err" &
    relay=$!
    dumpcap -q -i lo -f "udp port 7782" -w "$tmp/quic.pcapng" 2>/dev/null &
    capture=$!
    trap 'kill "$relay" "$capture" 2>/dev/null; rm -rf "$tmp"' EXIT
    sleep 1
    rm -f dissector_quic.keys
    set -- --transport quic --pin '' --keylog dissector_quic.keys --port 7782 --room dissect \
        --rate 2 --duration 1
    "$bin/ricochet-bot" "$@" --mode streams --name own >/dev/null &
    own=$!
    "$bin/ricochet-bot" "$@" --mode mixed -P 2 >/dev/null
    wait "$own"
    sleep 0.5
    kill -INT "$capture"
    wait "$capture" || true
    kill "$relay"
    wait "$relay" || true
    trap 'rm -rf "$tmp"' EXIT
    editcap -F pcapng "$tmp/quic.pcapng" dissector_quic.pcapng
}

for sample in "$@"; do
    case "$sample" in
    enet | modes | browsers | quic) "$sample"; echo "dissector_sample: wrote the $sample sample" ;;
    *) echo "dissector_sample: no sample $sample (enet modes browsers quic)" >&2; exit 2 ;;
    esac
done
