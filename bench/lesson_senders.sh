#!/bin/sh
# bench/lesson_senders.sh BIN OUT [REPEATS [LOSS [DELAY]]]: what a loss
# freezes in the lesson's lanes of four senders (ricochet-lesson --senders
# 4, 20 states a second a sender, netsim's IP mode, paired loss): per lane,
# the longest freeze of one sender's dot, the longest of all four at once
# (no state of any sender came), and the states held back behind another
# sender's loss, over a 20 s window, through LOSS % (2) and DELAY ms (40)
# end to end. Each run (netsim seeds 1, 2, ...) waits for every lane's
# window to be whole, reads /live.json once and stops the lesson; a run
# whose lanes started again meanwhile is made again. Writes OUT/senders.txt
# (the medians with min-max over REPEATS, 3) and OUT/machine.txt.
#   make bench-lesson-senders             into build/bench-results/lesson-senders/
#   make bench-lesson-senders-reference   into bench/results/lesson-senders/
set -eu

usage="usage: lesson_senders.sh BIN OUT [REPEATS [LOSS [DELAY]]]"
bin=${1:?$usage}
out=${2:?$usage}
reps=${3:-3}
loss=${4:-2}
delay=${5:-40}
here=$(dirname "$0")
rm -rf "$out"
mkdir -p "$out"
"$here/machine.sh" "$bin" "$out" > /dev/null

# figures LOG JSON: once every lane's window is whole and running since the
# lesson's lanes last started, its /live.json into JSON; 1 if it never is.
figures() {
    at=""
    for _ in $(seq 100); do
        sleep 1
        at=$(sed -n 's|.*the lesson on http://\([^/]*\)/.*|\1|p' "$1")
        [ -n "$at" ] && break
    done
    [ -n "$at" ] || return 1
    for _ in $(seq 120); do
        sleep 2
        curl -sf "http://$at/live.json" > "$2" || continue
        jq -e '.senders == 4 and .net.valid and .net.window_s >= 19 and
               ([.lanes[] | select(.state == "running")] | length) >= 11' "$2" > /dev/null &&
            return 0
    done
    return 1
}

run=1 seed=1 tries=0
: > "$out/lanes.txt"
while [ "$run" -le "$reps" ]; do
    log="$out/run$run.log"
    "$bin/ricochet-lesson" --port 0 --rate 20 --senders 4 --duration 20 --grace 3 \
        --path-loss "$loss" --path-delay "$delay" --seed "$seed" > "$log" 2>&1 &
    lesson=$!
    ok=0
    figures "$log" "$out/run$run.json" && ok=1
    kill -INT "$lesson" 2> /dev/null || true
    wait "$lesson" || true
    seed=$((seed + 1))
    if [ "$ok" = 0 ] || grep -q "start again" "$log"; then
        tries=$((tries + 1))
        [ "$tries" -lt $((reps * 2)) ] ||
            { echo "lesson_senders.sh: no whole window in $tries tries (see $log)" >&2; exit 1; }
        continue
    fi
    jq -r '.lanes[] | select(.state == "running") | .name + " " +
           (.figures.max_gap_sender_ms | tostring) + " " + (.figures.max_gap_ms | tostring) +
           " " + (.figures.held | tostring) + " " + (.figures.delivered_pct | tostring)' \
        "$out/run$run.json" >> "$out/lanes.txt"
    run=$((run + 1))
done

# stat LANE COLUMN FORMAT: the lane's median and min-max of a column of lanes.txt
stat() {
    awk -v l="$1" -v c="$2" '$1 == l { print $c }' "$out/lanes.txt" |
        awk -v f="$3" -f "$here/median.awk"
}

{
    echo "$ bench/lesson_senders.sh $bin $out $reps $loss $delay"
    echo "the lesson, four senders per lane at 20 Hz, $loss% loss and $delay ms end to end," \
         "20 s windows; medians of $reps runs (min-max)"
    printf '%-16s %-22s %-22s %-18s %s\n' lane "a sender's freeze ms" "all four's ms" held \
        "delivered %"
    for lane in $(awk '{ print $1 }' "$out/lanes.txt" | awk '!seen[$0]++'); do
        printf '%-16s %-22s %-22s %-18s %s\n' "$lane" "$(stat "$lane" 2 %.0f)" \
            "$(stat "$lane" 3 %.0f)" "$(stat "$lane" 4 %.0f)" "$(stat "$lane" 5 %.2f)"
    done
    cat "$out/machine.txt"
} > "$out/senders.txt"
cat "$out/senders.txt"
