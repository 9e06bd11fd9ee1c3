#!/bin/sh
# bench/guards.sh BIN TESTS OUT [RUNS]: what the relay's guards hold off,
# measured RUNS (3) times against the release relay in BIN by the test
# binaries in TESTS (test_e2e_enet_guards: forged ENet datagrams, floods,
# connections that never join, slow readers; test_transport_udp: forged
# plain-UDP joins; test_e2e_udp_flood: newcomers under a flood of them). Writes OUT/runs.txt: the date and command, then each run's figure lines (what
# the tests print), read by docs/tables/doctables.sh's guards table.
# `make bench-guards` into build/bench-results/guards/,
# `make bench-guards-reference` into the committed bench/results/guards/.
set -eu
bin=${1:-build/bin}
tests=${2:-build/asan/tests}
out=${3:-build/bench-results/guards}
runs=${4:-3}
for t in test_e2e_enet_guards test_transport_udp test_e2e_udp_flood; do
    [ -x "$tests/$t" ] || { echo "guards.sh: $tests/$t not found (make tests)" >&2; exit 2; }
done
mkdir -p "$out"
"$(dirname "$0")/machine.sh" "$bin" "$out" > /dev/null # machine.txt: the machine, its floor
tmp=$(mktemp)
{
    echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$bin/ricochet-relay" --version)"
    echo "# command: bench/guards.sh $*"
    i=1
    while [ "$i" -le "$runs" ]; do
        echo "== run $i" >&2
        RICOCHET_BIN=$bin "$tests/test_e2e_enet_guards" 2>&1 |
            grep -E '^(ghost peers|fragment bomb|held commands|handshake flood|silent connections|sustained flood|slow readers):' |
            sed "s/^/run $i: /"
        RICOCHET_BIN=$bin "$tests/test_transport_udp" 2>&1 | grep -E '^forged joins:' |
            sed "s/^/run $i: /"
        RICOCHET_BIN=$bin "$tests/test_e2e_udp_flood" 2>&1 | grep -E '^join flood:' |
            sed "s/^/run $i: /"
        i=$((i + 1))
    done
} > "$tmp"
mv "$tmp" "$out/runs.txt"
echo "guards.sh: $out/runs.txt" >&2
