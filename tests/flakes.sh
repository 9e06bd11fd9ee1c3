#!/bin/bash
# flakes.sh RUNS [HOG...]: the whole suite (tests/run build/asan, built
# first) RUNS times in a row, alone or, with HOG, beside that command (a
# CPU hog on one core: `stress-ng --cpu 1`, say), started before the first
# run and stopped after the last. Each run's log goes to build/flakes/;
# printed: each run's closing line and the binaries that failed, then how
# many runs passed and how many binary runs failed. Exits 1 if any failed.
set -u
cd "$(dirname "$0")/.." || exit 2
runs=${1:-}
case "$runs" in '' | *[!0-9]* | 0)
    echo "flakes.sh: RUNS must be a number from 1 (flakes.sh RUNS [HOG...])" >&2
    exit 2
    ;;
esac
shift
make -s BUILD=build/asan SAN=1 tests >/dev/null || exit 2
mkdir -p build/flakes
hog=
if [ $# -gt 0 ]; then
    setsid "$@" >build/flakes/hog.log 2>&1 &
    hog=$!
    trap 'kill -TERM -- -$hog 2>/dev/null' EXIT
    echo "beside: $*"
else
    echo "alone"
fi
clean=0 failures=0
for i in $(seq 1 "$runs"); do
    log=build/flakes/run-$i.log
    began=$(date +%s)
    tests/run build/asan >"$log" 2>&1 && clean=$((clean + 1))
    failed=$(sed -n 's/^failed binaries: *//p' "$log")
    [ -n "$failed" ] && failures=$((failures + $(wc -w <<<"$failed")))
    echo "run $i: $(tail -n 1 "$log") in $(($(date +%s) - began)) s${failed:+ (failed: $failed)}"
done
echo "$clean of $runs runs passed; $failures binary runs failed (logs: build/flakes/)"
[ "$clean" -eq "$runs" ]
