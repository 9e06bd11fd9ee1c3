#!/bin/sh
# bench/metrics_cost.sh [BIN] [REPEATS] [CASES]: what ricochet-relay
# --metrics costs the relay, at 4000 clients (rooms of 8 at 10 Hz, --tick-ms
# 50, one ricochet-bench generator: the scale suite's heaviest row). Each
# round runs one relay per case, one after the other (CASES, default all):
#   off        without --metrics
#   on         with it, unscraped
#   scraped    with a scraper fetching its /metrics 100 times a second over
#              one keep-alive connection (curl --rate 100/s)
#   elsewhere  as on, the same scraper fetching another, idle relay's
#              /metrics: the machine's CPU spent alike, the relay untouched
# For each: the loop's p99 and p50 over 6 s of steady load (from
# ricochet_loop_iteration_seconds, interpolated within a bucket as
# histogram_quantile does) and the share of turns over 5 ms, the clients'
# p99 one-way latency (the bench's), the relay's peak RSS, and the time of
# each scrape (curl's time_total). Then an idle relay's RSS without and
# with the endpoint, and the CPU a scrape costs it (CASES "" for only
# these). Prints every run, then medians with min-max over
# REPEATS (3) rounds. Run it alone on the machine (/work/tools/quiet).
set -eu

bin=${1:-build/bin}
reps=${2:-3}
cases=${3-off on scraped elsewhere}
work=$(mktemp -d /tmp/ricochet-metrics-cost-XXXXXX)
relay_pid='' bench_pid='' other_pid=''
cleanup() {
    [ -n "$other_pid" ] && kill "$other_pid" 2> /dev/null || true
    [ -n "$bench_pid" ] && kill "$bench_pid" 2> /dev/null || true
    [ -n "$relay_pid" ] && kill "$relay_pid" 2> /dev/null || true
    wait 2> /dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# p-quantile (0..1) of the histogram that grew from file $2 to file $3.
quantile() {
    awk -v q="$1" -v name=ricochet_loop_iteration_seconds_bucket '
        index($0, name "{") == 1 {
            split($0, a, "\""); le = a[2]; v = $NF
            if (FILENAME == ARGV[1]) { before[le] = v; next }
            n++; bound[n] = le; count[n] = v - before[le] }
        END { total = count[n]; want = q * total; prev = 0; lo = 0
              for (i = 1; i <= n; i++) {
                  if (count[i] >= want) {
                      if (bound[i] == "+Inf") { print lo * 1e3; exit }
                      f = (count[i] > prev) ? (want - prev) / (count[i] - prev) : 0
                      printf "%.4f\n", (lo + f * (bound[i] - lo)) * 1e3; exit }
                  prev = count[i]; lo = bound[i] } }' "$2" "$3"
}

# Percentage of the turns between files $2 and $3 that took over $1 s (a
# bucket bound).
over() {
    awk -v le="$1" -v name=ricochet_loop_iteration_seconds_bucket '
        index($0, name "{") == 1 {
            split($0, a, "\""); v = $NF
            if (FILENAME == ARGV[1]) { before[a[2]] = v; next }
            if (a[2] + 0 == le + 0 && a[2] != "+Inf") under = v - before[a[2]]
            if (a[2] == "+Inf") total = v - before[a[2]] }
        END { printf "%.3f\n", total ? 100 * (total - under) / total : 0 }' "$2" "$3"
}

# One run: $1 = off | on | scraped | elsewhere. Appends a line to $work/runs.
run() {
    case=$1
    target=''
    if [ "$case" = elsewhere ]; then
        "$bin/ricochet-relay" --bind 127.0.0.1 --port 0 --metrics 0 --log-level info \
            > /dev/null 2> "$work/other.err" &
        other_pid=$!
        sleep 0.5
        target=$(sed -n 's|.*metrics on http://\([0-9.:]*\)/.*|\1|p' "$work/other.err")
    fi
    metrics=''
    [ "$case" != off ] && metrics='--metrics 0'
    # shellcheck disable=SC2086 # $metrics is two words or none
    "$bin/ricochet-relay" --bind 127.0.0.1 --port 0 --max-per-address 0 --rate-limit 0 \
        --max-clients 4000 --max-rooms 501 --tick-ms 50 --stats-interval 1 --log-level info \
        $metrics > "$work/relay.out" 2> "$work/relay.err" &
    relay_pid=$!
    port='' at=''
    for _ in $(seq 50); do
        port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\).*/\1/p' "$work/relay.err")
        at=$(sed -n 's|.*metrics on http://\([0-9.:]*\)/.*|\1|p' "$work/relay.err")
        [ -n "$port" ] && { [ "$case" = off ] || [ -n "$at" ]; } && break
        sleep 0.1
    done
    [ -n "$port" ] || { echo "metrics_cost.sh: the relay did not start" >&2; exit 1; }
    "$bin/ricochet-bench" --relay "127.0.0.1:$port" --clients 4000 --room-size 8 --rate 10 \
        --procs 1 --modes unsequenced --duration 10 --warmup 2 --grace 1 --setup-timeout 30 \
        --quiet --csv "$work/bench.csv" 2> "$work/bench.err" &
    bench_pid=$!
    # Steady load: every client joined (the relay's stats line each
    # second), then 2 s more: the clock pings of a client's first second
    # are not steady.
    for _ in $(seq 300); do
        tail -n 1 "$work/relay.out" | grep -q '"members":4000,' && break
        kill -0 "$bench_pid" 2> /dev/null || break
        sleep 0.1
    done
    sleep 2
    if [ "$case" != off ]; then
        curl -sf "http://$at/metrics" > "$work/a.txt"
    fi
    if [ "$case" = scraped ] || [ "$case" = elsewhere ]; then
        curl -s --rate 100/s -o /dev/null -w '%{time_total}\n' \
            "http://${target:-$at}/metrics?[1-600]" > "$work/scrapes.txt"
    else
        sleep 6
    fi
    p99='' p50='' over='' bytes='' scrape='scrape_ms=- scrape_p99_ms=- scrapes=-'
    if [ "$case" != off ]; then
        curl -sf "http://$at/metrics" > "$work/b.txt"
        p99=$(quantile 0.99 "$work/a.txt" "$work/b.txt")
        p50=$(quantile 0.5 "$work/a.txt" "$work/b.txt")
        over=$(over 0.005 "$work/a.txt" "$work/b.txt")
        bytes=$(wc -c < "$work/b.txt")
    fi
    if [ -n "$other_pid" ]; then
        kill "$other_pid"
        wait "$other_pid" || true
        other_pid=''
    fi
    if [ "$case" = scraped ] || [ "$case" = elsewhere ]; then
        scrape=$(sort -n "$work/scrapes.txt" | awk '{ v[NR] = $1 * 1e3 }
            END { printf "scrape_ms=%.3f scrape_p99_ms=%.3f scrapes=%d", v[int((NR + 1) / 2)], v[int(NR * 0.99 + 0.5)], NR }')
    fi
    wait "$bench_pid" || true
    bench_pid=''
    hwm=$(awk '/^VmHWM/ { print $2 }' "/proc/$relay_pid/status")
    kill "$relay_pid"
    wait "$relay_pid" || true
    relay_pid=''
    e2e=$(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
                   { print $col["ok"] ? $col["p99_ms"] : "failed" }' "$work/bench.csv") || e2e=failed
    [ "$e2e" = failed ] && case="failed:$case" # not in the medians
    echo "$case loop_p99_ms=${p99:--} loop_p50_ms=${p50:--} over_5ms_pct=${over:--} client_p99_ms=$e2e peak_rss_kb=$hwm metrics_bytes=${bytes:--} $scrape" |
        tee -a "$work/runs" >&2
}

# An idle relay's resident memory, without --metrics ("idle_off") and with
# it after 100 scrapes of /metrics and 100 of /stats.json ("idle_on"), and
# then the HTTP thread's CPU per scrape of /metrics.
idle() {
    case=$1
    metrics=''
    [ "$case" = idle_on ] && metrics='--metrics 0'
    # shellcheck disable=SC2086
    "$bin/ricochet-relay" --bind 127.0.0.1 --port 0 --log-level info $metrics \
        > /dev/null 2> "$work/relay.err" &
    relay_pid=$!
    sleep 1
    at=$(sed -n 's|.*metrics on http://\([0-9.:]*\)/.*|\1|p' "$work/relay.err")
    cpu=''
    if [ -n "$at" ]; then
        curl -sf -o /dev/null "http://$at/metrics?[1-100]"
        curl -sf -o /dev/null "http://$at/stats.json?[1-100]"
        # The HTTP thread's CPU (utime + stime, clock ticks) over 2000 more.
        ticks() { awk '{ print $14 + $15 }' "$(grep -l MHD /proc/"$relay_pid"/task/*/comm |
                                              sed 's/comm$/stat/')"; }
        t0=$(ticks)
        curl -sf -o /dev/null "http://$at/metrics?[1-2000]"
        cpu=$(awk -v a="$t0" -v b="$(ticks)" -v hz="$(getconf CLK_TCK)" \
              'BEGIN { printf " http_cpu_us_per_scrape=%.0f", (b - a) * 1e6 / hz / 2000 }')
    fi
    rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$relay_pid/status")
    kill "$relay_pid"
    wait "$relay_pid" || true
    relay_pid=''
    echo "$case rss_kb=$rss$cpu" | tee -a "$work/runs" >&2
}

for r in $(seq "$reps"); do
    for c in $cases; do
        run "$c"
    done
    idle idle_off
    idle idle_on
done
# shellcheck source=bench/machine.sh
. "$(dirname "$0")/machine.sh"
floor=$(floor_of "$bin")
echo "# machine: $(machine_line); floor $floor datagrams a second ($(floor_us "$floor") us each)"
echo "== $(date -u '+%Y-%m-%d %H:%M UTC'), $reps rounds, medians (min-max):"
for c in $cases idle_off idle_on; do
    awk -v c="$c" '
        $1 == c { for (i = 2; i <= NF; i++) { split($i, kv, "="); k[i] = kv[1]; v[i, ++n[i]] = kv[2] } }
        END { line = c
              for (i = 2; i in k; i++) {
                  m = n[i]; if (v[i, 1] == "-") continue
                  for (a = 1; a <= m; a++) x[a] = v[i, a] + 0
                  for (a = 1; a <= m; a++) for (b = a + 1; b <= m; b++)
                      if (x[b] < x[a]) { t = x[a]; x[a] = x[b]; x[b] = t }
                  line = line sprintf(" %s=%g(%g-%g)", k[i], x[int((m + 1) / 2)], x[1], x[m]) }
              print line }' "$work/runs"
done
