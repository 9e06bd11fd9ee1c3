#!/bin/sh
# bench/script_cost.sh BIN OUT [ROUNDS] [BEFORE_BIN]: what a room script costs the relay
# (docs/scripts.md, "Cost"), under bench/peers.sh's workload: CLIENTS
# (1000) clients in rooms of 8 at 10 Hz, 40-byte states, one generator
# process, a DURATION (3) s window after 2 s of warm-up, 1 s of grace.
# ROUNDS (3) rounds, each: the floor (bench/machine.sh), then one run of
# each of these, in turn (each round starting one further on, so that no
# variant is always first):
#   none       ricochet-relay without scripts, ENet unsequenced, default tick
#   events     the same relay, every room running bench/scripts/events.lua:
#              an event hook only (the bench sends states only: none
#              enters it)
#   speed      every room running bench/scripts/speed.lua: a state hook
#              that reads every state and corrects its velocity to a limit
#   pass       every room running bench/scripts/pass.lua: a state hook that
#              lets every state pass, the crossing alone
#   reference  the reference relay (bench/reference/), as peers.sh runs it
# With BEFORE_BIN, also speed-before and pass-before: the same two runs on
# the relay in BEFORE_BIN (a build from before a change to the scripts'
# cost), beside the same round's none.
# VARIANTS: a few of them only, in that order (e.g. "none speed").
# PERF=1: each scripted run's relay also sampled by `perf record -g` over
# its life (user space), OUT/profile-VARIANT.txt its top functions from the
# last round (perf report --no-children).
# Writes OUT/machine.txt, OUT/runs/ (each run's JSON record, with its round,
# variant, floor and the load average at its end, and x_none: its cost over
# the same round's none), OUT/runs.json and OUT/summary.txt: per variant
# the relay's CPU per delivered state and its multiples of none's and of
# the reference's within each round, medians with min-max over the rounds,
# the load averages beside. ROUNDS 0: OUT/summary.txt again from
# OUT/runs.json. 127.0.0.1 only.
set -eu

bin=${1:-build/bin}
out=${2:-build/bench-results/script-cost}
rounds=${3:-3}
before=${4:-}
here=$(dirname "$0")
clients=${CLIENTS:-1000}
duration=${DURATION:-3}
variants=${VARIANTS:-none events speed pass reference${before:+ speed-before pass-before}}
command="bench/script_cost.sh $bin $out $rounds${before:+ $before}"
[ -n "${DURATION:-}" ] && command="DURATION=$duration $command"
[ -n "${CLIENTS:-}" ] && command="CLIENTS=$clients $command"
[ -n "${VARIANTS:-}" ] && command="VARIANTS=\"$variants\" $command"
[ -n "${PERF:-}" ] && command="PERF=$PERF $command"
# shellcheck source=bench/machine.sh
. "$here/machine.sh"
die() { echo "script_cost.sh: $*" >&2; exit 2; }
case "$rounds" in '' | *[!0-9]*) die "ROUNDS is a count, not '$rounds'" ;; esac
[ "$rounds" != 0 ] || [ -f "$out/runs.json" ] || die "ROUNDS 0: no $out/runs.json to summarize"
[ -x "$bin/ricochet-bench" ] || die "$bin/ricochet-bench not found (run make first)"
[ -z "$before" ] || [ -x "$before/ricochet-relay" ] || die "$before/ricochet-relay not found"
command -v jq > /dev/null || die "needs jq (apt-get install jq)"
[ -z "${PERF:-}" ] || command -v perf > /dev/null || die "PERF=1 needs perf (linux-perf)"
scripts=$(cd "$here/scripts" && pwd)
"$bin/ricochet-relay" --script-dir "$scripts" --check > /dev/null ||
    die "the scripts of $scripts fail their check"
start=$(date +%s)
when="$(date -u +'%Y-%m-%d %H:%M UTC')"
workload="--room-size 8 --rate 10 --procs 1 --duration $duration --warmup 2 --grace 1 \
--setup-timeout 90"

# sample VARIANT BENCH_PID ROUND: perf over the life of the relay the bench
# started (its child: no other relay of the machine's).
sample() {
    relay=""
    i=0
    while [ -z "$relay" ] && [ "$i" -lt 100 ] && kill -0 "$2" 2> /dev/null; do
        relay=$(pgrep -P "$2" -x ricochet-relay || true)
        [ -n "$relay" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$relay" ] || return 0
    perf record -q -g -p "$relay" -o "$out/perf-$1.data" > /dev/null 2>&1 || true
}

# one VARIANT FILE: one run, its JSON record into FILE.
one() {
    relay_bin=$bin
    case "$1" in
    none) args="" ;;
    events | speed | pass) args="--script-dir $scripts --script-default $1" ;;
    speed-before | pass-before)
        [ -n "$before" ] || { echo "script_cost.sh: $1 needs BEFORE_BIN" >&2; return 2; }
        relay_bin=$before
        args="--script-dir $scripts --script-default ${1%-before}" ;;
    reference) args="" ;;
    *) echo "script_cost.sh: no variant $1" >&2; return 2 ;;
    esac
    mode=unsequenced
    [ "$1" = reference ] && mode=reference
    # shellcheck disable=SC2086 # $workload is a list of words
    "$bin/ricochet-bench" --bin "$relay_bin" --clients "$clients" $workload --modes "$mode" \
        ${args:+--relay-args "$args"} --quiet --json-file "$2" > /dev/null &
    pid=$!
    case "${PERF:-}:$1" in
    1:events | 1:speed | 1:pass | 1:none) sample "$1" "$pid" & ;;
    esac
    wait "$pid"
}

# measure: the rounds, into OUT/runs/ and OUT/runs.json.
measure() {
    mkdir -p "$out"
    rm -rf "$out/runs"
    mkdir -p "$out/runs"
    round=1
    while [ "$round" -le "$rounds" ]; do
        floor=$(round_floor "$bin" "$out" "$round")
        load=$(cut -d' ' -f1-3 /proc/loadavg)
        echo "== round $round of $rounds: floor $floor datagrams a second, load $load" >&2
        # this round's order: the variants turned round-1 places
        order=$(echo "$variants" | awk -v k="$((round - 1))" \
            '{ for (i = 0; i < NF; i++) printf "%s ", $((i + k) % NF + 1) }')
        for v in $order; do
            f="$out/runs/$round-$v.json"
            if one "$v" "$f.tmp"; then
                wait # the sampler, if any, done with its relay
                jq --arg variant "$v" --argjson round "$round" --argjson floor "$floor" \
                    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" \
                    '. + {variant: $variant, round: $round, floor_dps: $floor, load: $load}' \
                    "$f.tmp" > "$f"
                jq -r '"  \(.variant): " + (.results[0] |
                    "\(.relay_us_per_delivery * 1000 | round / 1000) us a delivery, " +
                    "delivered \(.delivery_pct * 100 | round / 100)%, p99 \(.latency_ms.p99) ms")' \
                    "$f" >&2
            else
                echo "  $v: failed" >&2
            fi
            rm -f "$f.tmp"
        done
        # each variant's cost over the unscripted relay's of the same round
        base="$out/runs/$round-none.json"
        if [ -f "$base" ]; then
            for f in "$out/runs/$round"-*.json; do
                jq --slurpfile base "$base" '($base[0].results[0].relay_us_per_delivery // 0) as $b
                    | if $b > 0 then .results[0] += {x_none: (.results[0].relay_us_per_delivery / $b)}
                      else . end' "$f" > "$f.tmp" && mv "$f.tmp" "$f"
            done
        fi
        round=$((round + 1))
    done

    if [ -n "${PERF:-}" ]; then
        for v in none events speed pass; do
            [ -f "$out/perf-$v.data" ] || continue
            {
                echo "# perf record -g -p RELAY over a run of the $v variant (round $rounds)," \
                    "CLIENTS=$clients, $("$bin/ricochet-relay" --version | cut -d' ' -f2)," \
                    "load $(cut -d' ' -f1-3 /proc/loadavg)"
                echo "# by object: perf report --stdio --no-children --sort dso"
                perf report -i "$out/perf-$v.data" --stdio --no-children --sort dso -g none \
                    2> /dev/null | grep -v '^#' | grep -v '^$' | head -8
                echo "# by function: perf report --stdio --no-children"
                perf report -i "$out/perf-$v.data" --stdio --no-children --percent-limit 0.5 \
                    -g none 2> /dev/null | grep -v '^#' | grep -v '^$' | head -50
            } > "$out/profile-$v.txt"
            rm -f "$out/perf-$v.data" "$out/perf-$v.data.old"
        done
    fi

    bv=""
    [ -z "$before" ] || bv=$("$before/ricochet-relay" --version)
    jq -s --arg date "$when" --arg command "$command" --arg machine "$(machine_line)" \
        --argjson rounds "$rounds" --argjson clients "$clients" --argjson duration "$duration" \
        --arg relay "$("$bin/ricochet-relay" --version)" --arg before "$bv" \
        '{date: $date, command: $command, machine: $machine, rounds: $rounds, clients: $clients,
          duration: $duration, relay: $relay, before: $before, runs: .}' \
        "$out"/runs/*.json > "$out/runs.json"
}
[ "$rounds" = 0 ] || measure

# field VARIANT JQ: one number a round.
field() {
    jq -r --arg v "$1" ".runs[] | select(.variant == \$v) | .results[0] | $2 // empty" \
        "$out/runs.json"
}
# x_ref VARIANT: its cost over the reference relay's of the same round, a round each.
x_ref() {
    jq -r --arg v "$1" '.runs as $all | $all[] | select(.variant == $v) | .round as $k
        | ([$all[] | select(.variant == "reference" and .round == $k)
            | .results[0].relay_us_per_delivery][0] // 0) as $r
        | if $r > 0 then .results[0].relay_us_per_delivery / $r else empty end' \
        "$out/runs.json"
}
top() { jq -r ".$1" "$out/runs.json"; }
{
    echo "| relay | µs per delivered state | × no script, within a round |" \
        "× the reference, within a round | relay CPU | delivered | p99 |"
    echo "|---|---|---|---|---|---|---|"
    for v in none events speed pass reference speed-before pass-before; do
        [ -n "$(field "$v" .relay_us_per_delivery)" ] || continue
        case "$v" in
        none) name="ricochet-relay, no script" ;;
        events) name="a script on events (events.lua)" ;;
        speed) name="a script on every state, a speed limit (speed.lua)" ;;
        pass) name="a script on every state, passing it (pass.lua)" ;;
        reference) name="the reference relay (bench/reference/)" ;;
        *-before) name="${v%-before}.lua on BEFORE_BIN's relay ($(top before | cut -d' ' -f2))" ;;
        esac
        us=$(field "$v" .relay_us_per_delivery | awk -v f=%.2f -f "$here/median.awk")
        x=$(field "$v" .x_none | awk -v f=%.2f -v unit=x -f "$here/median.awk")
        xr=$(x_ref "$v" | awk -v f=%.2f -v unit=x -f "$here/median.awk")
        cpu=$(field "$v" .relay_cpu_pct | awk -v f=%.1f -v unit=%% -f "$here/median.awk")
        del=$(field "$v" .delivery_pct | awk -v f=%.2f -v unit=%% -f "$here/median.awk")
        p99=$(field "$v" .latency_ms.p99 | awk -v f=%.2f -v unit=' ms' -f "$here/median.awk")
        echo "| $name | $us | $x | $xr | $cpu | $del | $p99 |"
    done
    echo
    echo "$(top clients) clients in rooms of 8 at 10 Hz, 40-byte states, one generator" \
        "process, loopback, a $(top duration) s window; $(top relay); measured $(top date)" \
        "with \`$(top command)\`, on $(top machine); medians of $(top rounds) rounds," \
        "min-max in brackets; the load average at each run's end: $(jq -r '[.runs[].load
        | split(" ")[0]] | join(", ")' "$out/runs.json")."
} > "$out/summary.txt"
cat "$out/summary.txt" >&2
echo "script_cost.sh: results in $out/ ($(($(date +%s) - start)) s)" >&2
