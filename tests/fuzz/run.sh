#!/bin/sh
# run.sh SECONDS [TARGET...]: runs every libFuzzer target (built by
# `make fuzzers` into $FUZZ_BUILD/bin/fuzz_<target>; `make fuzz` builds and
# runs) for SECONDS with its seed corpus. New inputs go to
# $FUZZ_BUILD/corpus/<target> (the seeds in tests/fuzz/corpus/ are only
# read); crashes to $FUZZ_BUILD/artifacts/. Prints one line per target and
# exits 1 if any target failed or is not built.
#   FUZZ_BUILD (default build/fuzz).
set -u
seconds=${1:-30}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.." || exit 2
out=${FUZZ_BUILD:-build/fuzz}
mkdir -p "$out/corpus" "$out/artifacts" "$out/logs"

# target name and max input length (the Makefile's FUZZ_NAMES)
targets="state:1400
control:8192
relay:4096
netsim:4096
client:4096
statescan:1500
ticket:1024
webrtc:1500
http:9000
quic:1500
h3:5000"

want() {
    [ -z "$selected" ] && return 0
    for w in $selected; do [ "$w" = "$1" ] && return 0; done
    return 1
}
selected="$*"
failed=0
summary=""
for spec in $targets; do
    name=${spec%%:*}; maxlen=${spec#*:}
    want "$name" || continue
    bin="$out/bin/fuzz_$name"
    if [ ! -x "$bin" ]; then
        summary="$summary
fuzz $name: NOT BUILT ($bin missing: make fuzzers)"
        failed=1
        continue
    fi
    mkdir -p "$out/corpus/$name" "$out/artifacts/$name"
    seeds="tests/fuzz/corpus/$name"
    [ -d "$seeds" ] || seeds=""
    log="$out/logs/$name.log"
    echo "== fuzzing $name for ${seconds}s (log $log)"
    ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} \
    UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1} \
    "$bin" -max_total_time="$seconds" -max_len="$maxlen" -timeout=10 \
        -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="$out/artifacts/$name/" \
        "$out/corpus/$name" $seeds >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        summary="$summary
fuzz $name: ok, ${runs:-?} runs in ${seconds}s, ${cov:-cov: ?}, corpus $(ls "$out/corpus/$name" | wc -l) files"
    else
        failed=1
        summary="$summary
fuzz $name: FAILED (exit $rc), see $log and $out/artifacts/$name/"
        grep -E 'ERROR|fuzz check failed|runtime error' "$log" | head -n 5
    fi
done
echo "$summary" | sed '/^$/d'
exit $failed
