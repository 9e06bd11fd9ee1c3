#!/bin/sh
# run.sh [-m] SECONDS [TARGET...]: runs every libFuzzer target (built by
# `make fuzzers` into $FUZZ_BUILD/bin/fuzz_<target>; `make fuzz` builds and
# runs) for SECONDS, starting from its kept corpus, tests/fuzz/corpus/<target>/.
# New inputs go to $FUZZ_BUILD/corpus/<target> (the kept corpus is only read);
# crashes to $FUZZ_BUILD/artifacts/. Prints one line per target (the
# coverage libFuzzer reached, `cov:`, when the corpus was loaded and at the
# end) and exits 1 if any target failed or is not built.
#   -m  merge what the run found back into the kept corpus, minimized
#       (libFuzzer's -merge=1): the named inputs (seeds, regression inputs)
#       stay as they are, the rest (named by their SHA-1, as libFuzzer names
#       them) becomes the fewest of the kept and new inputs that reach the
#       same coverage beyond the named ones (`make fuzz-long`).
#   FUZZ_BUILD (default build/fuzz).
set -u
merge=0
if [ "${1:-}" = "-m" ]; then
    merge=1
    shift
fi
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
h3:5000
ippacket:1500
tcpstream:8192
enetguard:1500
dtlsview:2048
quicview:2048
wsframes:8192
quicedge:4096
localhttp:4096
keylog:4096
droplog:8192
flowscan:8192
quicclient:4096
pollwire:4096
poll:8192
sourcekey:128
roomrecord:40960
script:4096"

want() {
    [ -z "$selected" ] && return 0
    for w in $selected; do [ "$w" = "$1" ] && return 0; done
    return 1
}

# A file libFuzzer named: 40 lowercase hex digits.
hashed() {
    case $1 in
    *[!0-9a-f]*) return 1 ;;
    esac
    [ ${#1} -eq 40 ]
}

# merge_back NAME BIN MAXLEN: the kept corpus becomes its named inputs plus
# the fewest others reaching what kept and new inputs reach together.
merge_back() {
    kept="tests/fuzz/corpus/$1"
    work="$out/corpus/$1"
    tmp="$out/merge/$1"
    rm -rf "$tmp"
    mkdir -p "$tmp" "$kept"
    for f in "$kept"/*; do
        [ -f "$f" ] || continue
        hashed "$(basename "$f")" || cp "$f" "$tmp/"
    done
    if ! "$2" -merge=1 -max_len="$3" -timeout=10 -rss_limit_mb=2048 \
        "$tmp" "$kept" "$work" >"$out/logs/$1.merge.log" 2>&1; then
        echo "fuzz $1: merge FAILED, see $out/logs/$1.merge.log (kept corpus untouched)"
        return 1
    fi
    before=$(ls "$kept" | wc -l)
    for f in "$kept"/*; do
        hashed "$(basename "$f")" && rm -f "$f"
    done
    for f in "$tmp"/*; do
        hashed "$(basename "$f")" && cp "$f" "$kept/"
    done
    rm -rf "$tmp" "$work"
    mkdir -p "$work"
    echo "fuzz $1: kept corpus $before -> $(ls "$kept" | wc -l) files" \
        "($(grep -o 'MERGE-OUTER: [0-9]* new files' "$out/logs/$1.merge.log" | tail -n 1 |
            sed 's/MERGE-OUTER: //') beyond the named ones)"
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
    start=$(grep 'INITED' "$log" | grep -o 'cov: [0-9]*' | head -n 1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -n 1)
    if [ $rc -eq 0 ]; then
        summary="$summary
fuzz $name: ok, ${runs:-?} runs in ${seconds}s, ${start:-cov: ?} at start, ${cov:-cov: ?} at the end, corpus $(ls "$out/corpus/$name" | wc -l) new files"
        if [ $merge -eq 1 ]; then
            line=$(merge_back "$name" "$bin" "$maxlen") || failed=1
            summary="$summary
$line"
        fi
    else
        failed=1
        summary="$summary
fuzz $name: FAILED (exit $rc), see $log and $out/artifacts/$name/"
        grep -E 'ERROR|fuzz check failed|runtime error' "$log" | head -n 5
    fi
done
echo "$summary" | sed '/^$/d'
exit $failed
