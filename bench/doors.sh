#!/bin/sh
# bench/doors.sh BIN TESTS OUT [RUNS] [BEFORE_BIN]: what the relay's front
# doors cost, measured RUNS (3) times against the release relay in BIN by
# test_e2e_doors (in TESTS; its what_the_doors_cost prints the figures):
#   - an honest join's time, from the client's creation to its welcome,
#     through each door (enet, tcp, ws, and webrtc: its offer through the
#     ws edge's POST /rtc), 60 joins each, p50 and p99: on an idle relay,
#     and with the stream edges' budgets of connections that have not
#     joined (--max-half-open 64) held full by silent connections from 40
#     addresses, topped up before each join;
#   - the relay's resident memory per connection or session it holds
#     before a join: a silent tcp connection, a ws one before and after its
#     upgrade, a WebRTC offer's session never checked (120 of each; the
#     kernel's socket buffers are not the relay's RSS).
# With BEFORE_BIN (a release build of the code before the budgets, the
# same test binary) each run measures it first, then BIN: the figures
# before and after. Writes OUT/runs.txt (the date and command, each run's
# lines), OUT/machine.txt (bench/machine.sh) and OUT/summary.txt: the
# median (min-max) of each figure over the runs, before -> after.
# `make bench-doors` into build/bench-results/doors/,
# `make bench-doors-reference` into the committed bench/results/doors/.
set -eu
bin=${1:-build/bin}
tests=${2:-build/asan/tests}
out=${3:-build/bench-results/doors}
runs=${4:-3}
before=${5:-}
[ -x "$tests/test_e2e_doors" ] ||
    { echo "doors.sh: $tests/test_e2e_doors not found (make tests)" >&2; exit 2; }
for b in "$bin" $before; do
    [ -x "$b/ricochet-relay" ] || { echo "doors.sh: $b/ricochet-relay not found (make)" >&2; exit 2; }
done
mkdir -p "$out"
"$(dirname "$0")/machine.sh" "$bin" "$out" > /dev/null
tmp=$(mktemp)
trap 'rm -f "$tmp"' EXIT
{
    echo "# $(date -u +'%Y-%m-%d %H:%M UTC'), $(nproc) cores, $("$bin/ricochet-relay" --version)"
    [ -z "$before" ] || echo "# before: $("$before/ricochet-relay" --version)"
    echo "# command: bench/doors.sh $*"
    i=1
    while [ "$i" -le "$runs" ]; do
        echo "== run $i" >&2
        for side in ${before:+before} after; do
            b=$bin
            [ "$side" = after ] || b=$before
            # the other cases may fail against the code before: their figures are not these
            RICOCHET_BIN=$b "$tests/test_e2e_doors" 2>&1 | grep -E '^doors: ' |
                sed "s/^/run $i $side: /" || true
        done
        i=$((i + 1))
    done
} > "$tmp"
cp "$tmp" "$out/runs.txt"
# "run N SIDE: doors: joins CASE: DOOR p50 A p99 B ms, ...; refused R of T"
# "run N SIDE: doors: held slot: KIND A KiB, ...(...)"
awk '
    function med(k,    i, j, t, a, m, n) {
        n = cnt[k]; if (!n) return "-"
        for (i = 1; i <= n; i++) a[i] = v[k, i]
        for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
            t = a[j]; a[j] = a[j - 1]; a[j - 1] = t }
        m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
        return sprintf("%.2f (%.2f-%.2f)", m, a[1], a[n]) }
    function add(k, x) { if (!(k in seen)) { seen[k] = 1; order[++nk] = k }
                         cnt[side, k]++; v[side, k, cnt[side, k]] = x }
    /^run [0-9]+ (before|after): doors: / {
        side = $3; sub(/:$/, "", side)
        line = $0; sub(/^run [0-9]+ [a-z]+: doors: /, "", line)
        split(line, part, ": "); what = part[1]; rest = substr(line, length(what) + 3)
        gsub(/[;,]/, " ", rest); n = split(rest, w, " ")
        for (i = 1; i <= n; i++) {
            if (w[i + 1] == "p50" && w[i + 3] == "p99") {
                add(what " " w[i] " p50 ms", w[i + 2]); add(what " " w[i] " p99 ms", w[i + 4]) }
            if (w[i] == "refused") add(what " refused", w[i + 1])
            if (w[i + 2] == "KiB") add(what " " (w[i - 1] == "ws" ? "ws " : "") w[i] " KiB", w[i + 1])
        } }
    END {
        if (!nk) { print "doors.sh: no figures (did the test fail?)" > "/dev/stderr"; exit 1 }
        print "median (min-max) over the runs" (cnt["before", order[1]] ? ": before -> after" : "")
        for (k = 1; k <= nk; k++) {
            key = order[k]
            for (i = 1; i <= cnt["after", key]; i++) v["a" key, i] = v["after", key, i]
            cnt["a" key] = cnt["after", key]
            for (i = 1; i <= cnt["before", key]; i++) v["b" key, i] = v["before", key, i]
            cnt["b" key] = cnt["before", key]
            if (cnt["b" key]) printf "%s: %s -> %s\n", key, med("b" key), med("a" key)
            else printf "%s: %s\n", key, med("a" key) } }
' "$tmp" > "$out/summary.txt"
cat "$out/summary.txt"
