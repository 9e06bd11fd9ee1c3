#!/bin/sh
# bench/lesson_cpu.sh BIN OUT [REPEATS [SECONDS [RATE [SENDERS]]]]: what
# the lesson costs the machine it runs on (make lesson: ricochet-lesson at
# 20 states a second a sender, one sender a lane, or four). Each run starts the lesson, lets it settle 10 s, then
# takes the CPU time of everything it started (ricochet-lesson, which drives
# every lane's clients and serves the page; the relay; netsim) over SECONDS
# (60) from /proc, as % of one core, and stops it with SIGINT. No browser
# is open: the page's polls cost the lesson a little more. Writes
# OUT/cpu.txt (every run, then the medians with min-max over REPEATS, 3)
# and OUT/machine.txt (the machine and its floor, bench/machine.sh).
#   make bench-lesson-cpu             into build/bench-results/lesson-cpu/
#   make bench-lesson-cpu-reference   into bench/results/lesson-cpu/
set -eu

usage="usage: lesson_cpu.sh BIN OUT [REPEATS [SECONDS [RATE [SENDERS]]]]"
bin=${1:?$usage}
out=${2:?$usage}
reps=${3:-3}
secs=${4:-60}
rate=${5:-20}
senders=${6:-1}
here=$(dirname "$0")
hz=$(getconf CLK_TCK)
rm -rf "$out"
mkdir -p "$out"
"$here/machine.sh" "$bin" "$out" > /dev/null

# ticks PID: its user + system CPU ticks so far (0 once it is gone).
ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2> /dev/null || echo 0
}

# child PARENT NAME: the pid of PARENT's child called NAME.
child() {
    for p in /proc/[0-9]*; do
        [ "$(awk '{ sub(/^.*\) /, ""); print $2 }' "$p/stat" 2> /dev/null)" = "$1" ] &&
            [ "$(cat "$p/comm" 2> /dev/null)" = "$2" ] && { echo "${p#/proc/}"; return; }
    done
    echo 0
}

: > "$out/runs.txt"
run=1
while [ "$run" -le "$reps" ]; do
    log="$out/run$run.log"
    "$bin/ricochet-lesson" --port 0 --rate "$rate" --senders "$senders" --duration 10 \
        > "$log" 2>&1 &
    lesson=$!
    sleep 10
    relay=$(child "$lesson" ricochet-relay)
    netsim=$(child "$lesson" ricochet-netsim)
    [ "$relay" != 0 ] && [ "$netsim" != 0 ] ||
        { kill -INT "$lesson"; wait "$lesson" || true; echo "lesson_cpu.sh: no lesson (see $log)" >&2;
          exit 1; }
    b0=$(ticks "$lesson"); r0=$(ticks "$relay"); n0=$(ticks "$netsim")
    sleep "$secs"
    b1=$(ticks "$lesson"); r1=$(ticks "$relay"); n1=$(ticks "$netsim")
    kill -INT "$lesson"
    wait "$lesson" || true
    awk -v b="$((b1 - b0))" -v r="$((r1 - r0))" -v n="$((n1 - n0))" -v hz="$hz" -v s="$secs" \
        -v run="$run" 'BEGIN { k = 100 / (hz * s);
            printf "%d %.1f %.1f %.1f %.1f\n", run, b * k, r * k, n * k, (b + r + n) * k }' \
        >> "$out/runs.txt"
    run=$((run + 1))
done

# median and min-max of column c of runs.txt
stat() {
    awk -v c="$1" '{ print $c }' "$out/runs.txt" |
        awk -v f=%.1f -v unit=%% -f "$here/median.awk"
}

{
    echo "$ bench/lesson_cpu.sh $bin $out $reps $secs $rate $senders"
    echo "the lesson at $rate states a second a sender, $senders a lane, every lane;" \
         "CPU over $secs s, % of one core"
    echo "run lesson relay netsim all"
    cat "$out/runs.txt"
    echo "medians of $reps runs (min-max): lesson $(stat 2), relay $(stat 3), netsim $(stat 4)," \
         "everything $(stat 5)"
    cat "$out/machine.txt"
} > "$out/cpu.txt"
rm -f "$out/runs.txt"
cat "$out/cpu.txt"
