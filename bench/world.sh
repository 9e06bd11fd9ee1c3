#!/bin/sh
# bench/world.sh BIN OUT [REPEATS]: interest management (`make bench-world`,
# into build/bench-results/world/; about 4 minutes). REPEATS (3) rounds of:
#   world-1000.json  one world of 1000 clients at 20 Hz, radius 50 on a
#                    1000 x 1000 field (7.9 others in radius on average),
#                    ENet unsequenced and reliable, plain udp
#   world-256.json   256 clients at the same density (a 506 field)
#   all-256.json, all-128.json  one room without interest at 20 Hz, 256 (the
#                    most such a room holds) and 128 clients, ENet unsequenced
# then summary.txt: each figure's median with min-max over the rounds, the
# relay's cost also in floor datagrams (µs per delivery over one datagram's
# time at the floor measured at the start of its round, which each world's
# record carries: --floor; machine.txt names the machine: bench/machine.sh)
# (SUMMARY_ONLY=1: only the summary, from the runs already in OUT).
# TARGETS=1 instead: the world tick's targets, radius 100 (about 30 others
# in radius): a world of 1000 over ENet unsequenced and plain UDP, of 3000 (a
# 1732 field: the same density) over plain UDP (the generator's clients share
# sockets, each from its own loopback address: it leaves the relay room), of
# 1000 on a 20 ms world tick and of 1000 without a world tick
# (--world-tick-ms 0), ENet unsequenced.
# Every world's field keeps one client per 1000 square units. Each line also
# has the longest wait, and the relay's and the generator's CPU (the bench's
# own process, every client) per client.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/world}
reps=${3:-3}
bench="$bin/ricochet-bench"
[ -x "$bench" ] || { echo "world.sh: $bench not found (run make first)" >&2; exit 2; }
command -v jq >/dev/null || { echo "world.sh: needs jq (apt-get install jq)" >&2; exit 2; }
mkdir -p "$out"
here=$(dirname "$0")
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
radius=50 sizes="1000 256"
if [ "${TARGETS:-0}" = 1 ]; then
    radius=100 sizes="1000 3000 1000-tick20 1000-notick"
fi
# relay_args SIZE: the relay's options for a world of SIZE ("N-notick": no
# world tick, "N-tick20": a 20 ms one)
relay_args() {
    case $1 in
    *-notick) echo "--world-tick-ms 0" ;;
    *-tick20) echo "--world-tick-ms 20" ;;
    *) echo "" ;;
    esac
}
# modes_of SIZE: the modes a world of SIZE runs in
modes_of() {
    if [ "${TARGETS:-0}" != 1 ]; then
        echo unsequenced,reliable,udp
        return
    fi
    case $1 in
    1000) echo unsequenced,udp ;;
    3000) echo udp ;;
    *) echo unsequenced ;;
    esac
}
if [ "${SUMMARY_ONLY:-0}" = 1 ]; then
    i=$((reps + 1)) # the summary of the runs already in OUT
else
    rm -f "$out"/*.json "$out"/summary.txt
    i=1
fi
while [ "$i" -le "$reps" ]; do
    floor=$(round_floor "$bin" "$out" "$i")
    for w in $sizes; do
        n=${w%-*}
        field=$(awk -v n="$n" 'BEGIN { printf "%d", sqrt(n / 1000) * 1000 + 0.5 }')
        "$bench" --quiet --floor "$floor" --aoi "$radius" --field "$field" --clients "$n" \
            --rate 20 --duration 5 --modes "$(modes_of "$w")" --relay-args "$(relay_args "$w")" \
            --setup-timeout 120 --json-file "$out/world-$w.$i.json" >/dev/null
    done
    i=$((i + 1))
done
for n in 128 256; do
    [ "${SUMMARY_ONLY:-0}" = 1 ] || [ "${TARGETS:-0}" = 1 ] && break
    "$bench" --quiet --floor "$floor" --clients "$n" --rate 20 --duration 5 --modes unsequenced \
        --repeat "$reps" --json-file "$out/all-$n.json" >/dev/null || true
done

# median (min-max) over the rounds of EXPR, a jq expression of one world's
# result (its mode MODE), rounded to DIGITS decimals
figure() { # FILES MODE EXPR DIGITS
    jq -s -r --arg m "$2" --argjson d "$4" '
        def r: . * pow(10; $d) | round / pow(10; $d);
        [.[] | .floor_dps as $top | .worlds[] | select(.mode == $m and .ok)
         | (.floor_dgrams_per_s // $top // 0) as $floor | ('"$3"')] | sort
        | if length == 0 then "-" else
          "\(.[(length - 1) / 2 | floor] | r) (\(.[0] | r)-\(.[-1] | r))" end' $1
}
# ", M (LO-HI)x the floor": the cost in floor datagrams, if the runs have a floor
floors() { # FILES MODE
    # shellcheck disable=SC2016 # $floor is jq's
    x=$(figure "$1" "$2" 'if $floor > 0 then .relay_us_per_delivery * $floor / 1e6 else empty end' 2)
    [ "$x" = - ] || printf ', %sx the floor' "$x"
}
{
    echo "$ ${TARGETS:+TARGETS=1 }bench/world.sh $*   ($(date -u '+%Y-%m-%d %H:%M UTC'), $reps rounds)"
    for w in $sizes; do
        files=$(ls "$out"/world-$w.*.json)
        echo
        echo "world of ${w%-*} clients, 20 Hz, radius $radius, relay $(relay_args "$w" |
            sed 's/^$/defaults/'): median (min-max) of $reps runs"
        for m in $(modes_of "$w" | tr , ' '); do
            echo "  $m: in radius per send $(figure "$files" $m '.in_radius / .sent' 1)," \
                "delivered in radius $(figure "$files" $m '100 * .in_radius_delivered / .in_radius' 3)%," \
                "newest in radius $(figure "$files" $m '100 * (.in_radius_delivered + (.in_radius_superseded // 0)) / .in_radius' 3)%," \
                "beyond 1.2 R $(figure "$files" $m .beyond_leave 0);" \
                "deliveries/s $(figure "$files" $m '.delivered / .window_s' 0)," \
                "p50 $(figure "$files" $m .p50_ms 2) ms, p99 $(figure "$files" $m .p99_ms 2) ms," \
                "longest $(figure "$files" $m '.max_ms // 0' 1) ms," \
                "relay $(figure "$files" $m .relay_cpu_pct 1)% of a core," \
                "$(figure "$files" $m .relay_us_per_delivery 2) us a delivery$(floors "$files" $m);" \
                "generator $(figure "$files" $m '.generator_cpu_pct // 0' 1)% of a core;" \
                "CPU per client, us a second: relay $(figure "$files" $m '.relay_us_per_client_s // 0' 1)," \
                "generator $(figure "$files" $m '.generator_us_per_client_s // 0' 1)"
        done
    done
    for n in 128 256; do
        [ "${TARGETS:-0}" = 1 ] && break
        echo
        jq -r --arg n "$n" 'def r: . * 100 | round / 100;
            .floor_dps as $top | .results[0] | (.floor_dgrams_per_s // $top // 0) as $floor
            | "all-to-all, \($n) clients at 20 Hz, unsequenced: " +
            "delivered \(.delivery_pct | r)% (\(.spread.lost_pct.min | r)-\(.spread.lost_pct.max | r)% lost), " +
            "p99 \(.latency_ms.p99 | r) ms (\(.spread.p99_ms.min | r)-\(.spread.p99_ms.max | r)), relay " +
            "\(.relay_cpu_pct | r)% of a core, \(.relay_us_per_delivery | r) us a delivery" +
            if $floor > 0 then ", \(.relay_us_per_delivery * $floor / 1e6 | r)x the floor"
            else "" end' \
            "$out/all-$n.json" 2>/dev/null || echo "all-to-all, $n clients: failed"
    done
} >"$out/summary.txt"
cat "$out/summary.txt"
