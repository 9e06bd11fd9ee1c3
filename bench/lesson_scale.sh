#!/bin/bash
# bench/lesson_scale.sh BIN OUT [REPEATS [SECONDS [LOSS]]]: whether the lesson's
# reading of netsim's drop log keeps pace at class scale. ricochet-lesson
# --senders 4 (four senders a lane, 20 states a second each, netsim's IP
# mode), LOSS % (5) and 40 ms end to end, for SECONDS (60) once every lane
# runs; /live.json read every 2 s: how far the reading of the drop log is
# behind netsim's newest line ("log": behind_s, the most since the last
# publish), how fast the log grows, the loop's time reading it, and the
# states of each lane's window that nothing explains (expected - delivered -
# lost_explained, summed over the lanes; live.json without its marks, as a
# page polls it after its first look). Each run is a lesson of its own
# (netsim seeds 1, 2, ...). Writes OUT/scale.txt (the medians with min-max
# over REPEATS, 3), OUT/runN.txt (every sample) and OUT/machine.txt.
#   make bench-lesson-scale             into build/bench-results/lesson-scale/
#   make bench-lesson-scale-reference   into bench/results/lesson-scale/
set -eu

usage="usage: lesson_scale.sh BIN OUT [REPEATS [SECONDS [LOSS]]]"
bin=${1:?$usage}
out=${2:?$usage}
reps=${3:-3}
seconds=${4:-60}
loss=${5:-5}
here=$(dirname "$0")
rm -rf "$out"
mkdir -p "$out"
"$here/machine.sh" "$bin" "$out" > /dev/null
command -v curl > /dev/null && command -v python3 > /dev/null ||
    { echo "lesson_scale.sh: needs curl and python3" >&2; exit 2; }

pid=
trap '[ -n "$pid" ] && kill -INT "$pid" 2>/dev/null; wait 2>/dev/null' EXIT

# sample URL: one line of the lesson's figures now (seconds since the
# lanes' start, the log's pace, the unexplained states of the windows).
sample() {
    curl -sf --max-time 5 "${1}live.json?since=18446744073709551615" | python3 -c '
import json, sys
d = json.load(sys.stdin)
g = d["log"]
lanes = [l for l in d["lanes"] if l["state"] == "running" and l["figures"]["valid"]]
un = sum(max(0, l["figures"]["expected"] - l["figures"]["delivered"] - l["figures"]["lost_explained"]) for l in lanes)
print("%.1f %.3f %.3f %d %d %.2f %d %d %d" % (d["now_ms"] / 1e3, g["behind_s"], g["behind_max_s"],
      g["read_bytes"], g["unread_bytes"], g["read_ms_per_s"], un, len(lanes), d["senders"]))'
}

for run in $(seq "$reps"); do
    log="$out/run$run.log"
    "$bin/ricochet-lesson" --port 0 --door-port 0 --senders 4 --duration 10 --seed "$run" \
        > "$log" 2> "$out/run$run.err" &
    pid=$!
    url=
    for _ in $(seq 100); do
        url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$log" | head -1 || true)
        [ -n "$url" ] && break
        sleep 0.2
    done
    [ -n "$url" ] || { echo "lesson_scale.sh: no page address" >&2; cat "$out/run$run.err" >&2; exit 1; }
    model="{\"path-loss\":$loss,\"path-delay\":40}"
    for _ in $(seq 60); do # netsim takes it once it runs
        curl -sf --max-time 5 -X PUT -H 'Content-Type: application/json' --data "$model" \
            "${url}model" > /dev/null && break
        sleep 0.5
    done
    for _ in $(seq 120); do # every lane running, four senders each
        s=$(sample "$url" || true)
        [ -n "$s" ] && [ "$(echo "$s" | cut -d' ' -f8)" -ge 11 ] && [ "$(echo "$s" | cut -d' ' -f9)" = 4 ] && break
        sleep 1
    done
    echo "# t_s behind_s behind_max_s read_bytes unread_bytes read_ms_per_s unexplained lanes senders" > "$out/run$run.txt"
    end=$(($(date +%s) + seconds))
    while [ "$(date +%s)" -lt "$end" ]; do
        sample "$url" >> "$out/run$run.txt" || true
        sleep 2
    done
    kill -INT "$pid"
    wait "$pid" || true
    pid=
done

python3 - "$out" "$reps" "$seconds" "$loss" > "$out/scale.txt" <<'EOF'
import statistics, sys
out, reps, seconds, loss = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
rows = {k: [] for k in ("end", "max", "grow", "ms", "unexp", "unexp_windows")}
for r in range(1, reps + 1):
    s = [list(map(float, l.split())) for l in open(f"{out}/run{r}.txt") if not l.startswith("#")]
    rows["end"].append(s[-1][1])
    rows["max"].append(max(x[2] for x in s))
    span = s[-1][0] - s[0][0]
    rows["grow"].append((s[-1][3] + s[-1][4] - s[0][3] - s[0][4]) / span / 1024 if span > 0 else 0)
    rows["ms"].append(statistics.median(x[5] for x in s))
    rows["unexp"].append(max(x[6] for x in s))
    rows["unexp_windows"].append(sum(1 for x in s if x[6] > 0) / len(s) * 100)
def f(v, fmt):
    return (fmt + " (" + fmt + "-" + fmt + ")") % (statistics.median(v), min(v), max(v))
print(f"the lesson, four senders a lane at 20 Hz, {loss}% loss and 40 ms, {seconds} s once every lane runs; medians of {reps} runs (min-max)")
print("log reading behind at the end, s      ", f(rows["end"], "%.1f"))
print("log reading behind at most, s         ", f(rows["max"], "%.1f"))
print("drop log growth, KiB/s                ", f(rows["grow"], "%.0f"))
print("loop's time reading it, ms a second   ", f(rows["ms"], "%.1f"))
print("unexplained states in a window, most  ", f(rows["unexp"], "%.0f"))
print("samples with any unexplained, %       ", f(rows["unexp_windows"], "%.0f"))
EOF
cat "$out/machine.txt" >> "$out/scale.txt"
cat "$out/scale.txt"
