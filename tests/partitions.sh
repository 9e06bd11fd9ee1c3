#!/bin/bash
# partitions.sh TESTS_DIR BIN_DIR [MINUTES]: the fleet under network
# partitions for MINUTES (default 10), then one PASS/FAIL line per
# invariant.
#
# Runs the scenarios of test_e2e_partitions (TESTS_DIR; the relays from
# BIN_DIR, an ASan build's) again and again, each with a cut of a random
# length (RICOCHET_CUT_MS): a relay cut from Redis both ways (2 to 20
# TTLs) and one way, Redis to relay (1 to 10 TTLs), Redis cut from every
# relay (2 to 20 TTLs), a relay cut from its players (13 to 25 s), one
# that drops all its players at once, and invariant 4's window. Each run
# says, for each check of an invariant, "partitions: NAME held|broken:
# what" (tests/test_e2e_partitions.c):
#   split    no moment two relays forwarded one room beyond the bound
#   regroup  the room's players one group within the stated time
#   stuck    no claim stuck after the heal
#   flush    no state refused rate_limited at a rejoin
#   run      every run ended well (no failure outside those checks: a
#            relay that crashed, wrote a sanitizer report or did not start)
# An invariant passes if it was checked and never broken. Needs root and
# nft (the nemesis). PARTITIONS_SEED (default 1) seeds every choice; the
# output of a failed run is kept in a temporary folder named at the end.
set -u
tests=$1 bin=$2 minutes=${3:-10}
seed=${PARTITIONS_SEED:-1}
RANDOM=$seed
work=$(mktemp -d /tmp/ricochet-partitions-XXXXXX)
end=$(( $(date +%s) + minutes * 60 ))
runs=0 failed_runs=0
declare -A held broken
echo "partitions: seed $seed, $minutes min, runs in $work"

# scenario NAME MIN_MS MAX_MS: one run of the test NAME, its cut random
# within [MIN_MS, MAX_MS] (0 0: its own).
scenario() {
    local name=$1 lo=$2 hi=$3 ms=0 out
    [ "$hi" -gt 0 ] && ms=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
    out=$work/run$runs-$name.txt
    runs=$((runs + 1))
    if [ "$ms" -gt 0 ]; then export RICOCHET_CUT_MS=$ms; else unset RICOCHET_CUT_MS; fi
    local ok=0
    TEST_FILTER=$name RICOCHET_BIN=$bin timeout 600 "$tests/test_e2e_partitions" \
        >"$out" 2>&1 && ok=1
    while read -r _ inv state _; do
        if [ "$state" = "held:" ]; then held[$inv]=$(( ${held[$inv]:-0} + 1 ))
        else broken[$inv]=$(( ${broken[$inv]:-0} + 1 )); fi
    done < <(grep -h "^partitions: [a-z]* \(held\|broken\):" "$out")
    if [ "$ok" = 1 ]; then
        rm -f "$out"
        held[run]=$(( ${held[run]:-0} + 1 ))
        return
    fi
    failed_runs=$((failed_runs + 1))
    grep -q "partitions: [a-z]* broken" "$out" || broken[run]=$(( ${broken[run]:-0} + 1 ))
    echo "partitions: run $runs ($name, cut $ms ms) failed: $out"
    grep -h "^partitions: [a-z]* broken" "$out" | sed "s/^/  /"
}

ttl=1000 # the scenarios' --directory-ttl, ms
while [ "$(date +%s)" -lt "$end" ]; do
    case $(( RANDOM % 7 )) in
    0) scenario a_relay_cut_from_redis_for_twice_its_ttl_lets_its_players_go \
           $((2 * ttl)) $((20 * ttl)) ;;
    1) scenario the_same_when_only_redis_to_relay_is_cut $ttl $((10 * ttl)) ;;
    2) scenario redis_cut_from_every_relay_then_healed $((2 * ttl)) $((20 * ttl)) ;;
    3) scenario a_relay_cut_from_its_players_is_no_black_hole 13000 25000 ;;
    4) scenario invariant_4s_window_is_bounded 0 0 ;;
    5) scenario the_nemesis_cuts_what_it_names 0 0 ;;
    6) scenario a_relay_that_drops_all_its_players_tells_on_itself 0 0 ;;
    esac
done

failed=0
for inv in split regroup stuck flush run; do
    h=${held[$inv]:-0} b=${broken[$inv]:-0}
    if [ "$b" -eq 0 ] && [ "$h" -gt 0 ]; then
        echo "partitions: PASS $inv: held $h times"
    else
        echo "partitions: FAIL $inv: held $h times, broken $b"
        failed=1
    fi
done
echo "partitions: $runs runs, $failed_runs failed"
if [ "$failed" = 0 ] && [ "$failed_runs" = 0 ]; then
    rmdir "$work" 2>/dev/null
    echo "partitions: PASS"
    exit 0
fi
echo "partitions: FAILED (runs kept in $work)"
exit 1
