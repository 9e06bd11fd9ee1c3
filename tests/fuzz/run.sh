#!/bin/sh
# run.sh SECONDS [TARGET...]: builds every libFuzzer target (clang,
# -fsanitize=fuzzer,address,undefined) and runs each for SECONDS with its
# seed corpus. New inputs go to $FUZZ_BUILD/corpus/<target> (the seeds in
# tests/fuzz/corpus/ are only read); crashes to $FUZZ_BUILD/artifacts/.
# Prints one line per target and exits 1 if any target failed.
#   FUZZ_BUILD (default build/fuzz), CLANG (default clang).
set -u
seconds=${1:-30}
[ $# -gt 0 ] && shift
cd "$(dirname "$0")/../.." || exit 2
out=${FUZZ_BUILD:-build/fuzz}
cc=${CLANG:-clang}
mkdir -p "$out/bin" "$out/corpus" "$out/artifacts" "$out/logs"

deps_cflags=$(pkg-config --cflags libenet libcjson 2>/dev/null)
deps_libs="$(pkg-config --libs libenet libcjson 2>/dev/null || echo -lenet -lcjson) -lm"
cflags="-std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer
 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all
 -Wall -Wextra -Wno-missing-field-initializers"

# Library sources of a module folder (no *_main.c).
lib_srcs() {
    for f in "$1"/*.c; do
        [ -e "$f" ] || continue
        case "$f" in *_main.c) ;; *) printf '%s ' "$f" ;; esac
    done
}

# target name, the header it needs (skipped with a note when missing),
# extra sources (a folder means its library sources), max input length
targets="state:proto/wire.h::1400
control:proto/control.h::8192
relay:relay/relay.h:relay/relay.c:4096
netsim:bench/netsim.h:bench/netsim.c:4096
client:client/client_test.h:client/client.c:4096
statescan:bench/statescan.h:bench/statescan.c:1500"

want() {
    [ -z "$selected" ] && return 0
    for w in $selected; do [ "$w" = "$1" ] && return 0; done
    return 1
}
selected="$*"
failed=0
summary=""
for spec in $targets; do
    name=${spec%%:*}; rest=${spec#*:}
    header=${rest%%:*}; rest=${rest#*:}
    mods=${rest%%:*}; maxlen=${rest#*:}
    want "$name" || continue
    if [ ! -f "$header" ] || [ ! -f "tests/fuzz/target_$name.c" ]; then
        summary="$summary
fuzz $name: skipped ($header or tests/fuzz/target_$name.c missing)"
        continue
    fi
    srcs="tests/fuzz/fuzz_$name.c tests/fuzz/target_$name.c $(lib_srcs proto)"
    for m in $mods; do
        if [ -d "$m" ]; then srcs="$srcs $(lib_srcs "$m")"; else srcs="$srcs $m"; fi
    done
    bin="$out/bin/fuzz_$name"
    echo "== building $bin"
    # shellcheck disable=SC2086
    if ! $cc $cflags $deps_cflags -o "$bin" $srcs $deps_libs; then
        summary="$summary
fuzz $name: BUILD FAILED"
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
