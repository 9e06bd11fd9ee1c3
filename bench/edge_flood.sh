#!/bin/sh
# bench/edge_flood.sh BIN TESTS OUT [RUNS]: does an edge under a flood
# starve another? test_e2e_edge_flood (in TESTS) runs the release relay in
# BIN with an ENet, a plain-UDP and a WebSocket edge, three members on each
# in one room at 50 states a second, then floods the ENet port with stray
# datagrams; it prints each edge's members' p99 one-way latency (their
# states to each other) before and during the flood. RUNS (3) runs. Writes OUT/runs.txt
# (the date and command, then each run's line) and OUT/summary.txt: the
# median (min-max) of each figure over the runs.
# `make bench-edges` into build/bench-results/edges/,
# `make bench-edges-reference` into the committed bench/results/edges/.
set -eu
bin=${1:-build/bin}
tests=${2:-build/asan/tests}
out=${3:-build/bench-results/edges}
runs=${4:-3}
[ -x "$tests/test_e2e_edge_flood" ] ||
    { echo "edge_flood.sh: $tests/test_e2e_edge_flood not found (make tests)" >&2; exit 2; }
[ -x "$bin/ricochet-relay" ] || { echo "edge_flood.sh: $bin/ricochet-relay not found (make)" >&2; exit 2; }
mkdir -p "$out"
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$bin/ricochet-relay" --version)"
    echo "# command: bench/edge_flood.sh $*"
    i=1
    while [ "$i" -le "$runs" ]; do
        echo "== run $i" >&2
        RICOCHET_BIN=$bin "$tests/test_e2e_edge_flood" 2>&1 | grep -E '^edge flood:' |
            sed "s/^/run $i: /"
        i=$((i + 1))
    done
} > "$tmp"
cp "$tmp" "$out/runs.txt"
# "run N: edge flood: enet members p99 A -> B ms, udp members p99 C -> D ms,
#  ws members p99 E -> F ms, udp delivered G%, ws delivered H%; flood I
#  datagrams, relay read J" (runs of a relay without a ws edge: no ws)
awk '
    function med(k,    i, j, t, a, m) {
        for (i = 1; i <= n; i++) a[i] = v[k, i]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        return sprintf("%.2f (%.2f-%.2f)", m, a[1], a[n]) }
    /^run [0-9]+: edge flood:/ {
        n++; line = $0; gsub(/[;,%]/, " ", line); nw = split(line, w, " ")
        for (i = 1; i <= nw; i++) {
            if (w[i + 1] == "members" && w[i + 2] == "p99") {
                v[w[i] "0", n] = w[i + 3]; v[w[i] "1", n] = w[i + 5]; seen[w[i]] = 1 }
            if (w[i + 1] == "delivered") v[w[i] "got", n] = w[i + 2]
            if (w[i] == "flood") v["flood", n] = w[i + 1] / 1000
        } }
    END {
        if (!n) { print "edge_flood.sh: no figures (did the test fail?)" > "/dev/stderr"; exit 1 }
        printf "runs %d: median (min-max)\n", n
        printf "enet members p99, no flood: %s ms\n", med("enet0")
        printf "enet members p99, flood: %s ms\n", med("enet1")
        printf "udp members p99, no flood: %s ms\n", med("udp0")
        printf "udp members p99, flood: %s ms\n", med("udp1")
        if ("ws" in seen) {
            printf "ws members p99, no flood: %s ms\n", med("ws0")
            printf "ws members p99, flood: %s ms\n", med("ws1") }
        printf "udp members delivered, flood: %s %%\n", med("udpgot")
        if ("ws" in seen) printf "ws members delivered, flood: %s %%\n", med("wsgot")
        printf "flood: %s thousand datagrams in 2.5 s\n", med("flood") }
' "$tmp" > "$out/summary.txt"
cat "$out/summary.txt"
