#!/bin/bash
# soak_lesson.sh BIN_DIR [MINUTES]: the lesson turned through every preset.
#
# ricochet-lesson runs for MINUTES (default 30) while its model is turned,
# a step every SOAK_STEP_S seconds (default 60), through 0 %, each preset of
# the page (lab/lesson/lesson.js: wifi, train, 2 % loss, a narrow uplink) and
# 5 % loss with 40 ms, the model the lanes once started again under, round
# and round; and as a teacher does, four senders a lane for two steps, then
# one again for two, the lanes started again each time (PUT /senders), and
# while one sender runs, SOAK_STUDENTS (default 10) students' programs (the
# docs' C players, UDP and TCP in turn) come through the door for the step.
# Every --duration (10 s) it reads live.json and counts, per lane,
# the states of that window lost with nothing to explain them (not dropped
# by netsim, not too old, not lost with a client's connection, not a
# lossless lane's still on its way: expected - delivered - lost_explained),
# how far its reading of netsim's drop log was behind ("log": behind_max_s),
# and every time a lane left "running". At the end:
#   PASS/FAIL restarts  the lanes' generation changed only with the senders
#                       (no lane, no child started them all again)
#   PASS/FAIL lost      no state lost that no one explains
#   PASS/FAIL pace      the drop log's reading never more than a second behind
#   a lane's reconnections (a lane alone connecting again) are listed, not
#   failed: the page says why on that lane's strip.
# Environment: SOAK_STEP_S (seconds a model, at least 20), SOAK_STUDENTS
# (programs through the door while one sender runs, 0: none), SOAK_KEEP=1
# (keep the work folder with the lesson's log and every sample).
# Exits 0 if all three passed, 1 otherwise, 2 on usage errors.
set -u
bin=${1:-}
minutes=${2:-30}
if [ -z "$bin" ] || [ ! -x "$bin/ricochet-lesson" ]; then
    echo "usage: $0 BIN_DIR [MINUTES]  (BIN_DIR holds ricochet-lesson, -relay, -netsim)" >&2
    exit 2
fi
case $minutes in '' | *[!0-9]* | 0) echo "$0: MINUTES must be a whole number, 1 or more" >&2; exit 2 ;; esac
step=${SOAK_STEP_S:-60}
case $step in '' | *[!0-9]*) echo "$0: SOAK_STEP_S must be a whole number" >&2; exit 2 ;; esac
[ "$step" -ge 20 ] || { echo "$0: SOAK_STEP_S must be 20 or more" >&2; exit 2; }
command -v curl >/dev/null && command -v python3 >/dev/null ||
    { echo "$0: needs curl and python3" >&2; exit 2; }

students=${SOAK_STUDENTS:-10}
case $students in '' | *[!0-9]*) echo "$0: SOAK_STUDENTS must be a whole number" >&2; exit 2 ;; esac
players="$bin/../examples"
if [ "$students" -gt 0 ] && [ ! -x "$players/udp_player" ]; then
    echo "$0: no $players/udp_player for the students (make all builds it)" >&2
    exit 2
fi

work=$(mktemp -d /tmp/ricochet-soak-lesson-XXXXXX)
lesson_pid=
student_pids=()
finish() {
    for p in "${student_pids[@]}"; do kill "$p" 2>/dev/null; done
    [ -n "$lesson_pid" ] && kill -INT "$lesson_pid" 2>/dev/null && wait "$lesson_pid" 2>/dev/null
    if [ "${SOAK_KEEP:-0}" = 1 ]; then echo "work folder kept: $work"; else rm -rf "$work"; fi
}
trap finish EXIT
trap 'exit 1' INT TERM

# The models, as the page sends them (lesson.js, modelBody): name, loss %,
# burst length, delay ms, jitter ms, uplink kbit/s (0: no limit; sS: a
# share S of what the lanes send, as the saturated uplink's preset asks).
models=("0%:0:0:0:0:0" "wifi:0.5:0:10:4:0" "train:4:10:120:40:0" "2% loss:2:0:40:0:0"
        "narrow uplink:0:0:20:0:s0.8" "5% and 40 ms:5:0:40:0:0")

"$bin/ricochet-lesson" --port 0 --door-port 0 --duration 10 >"$work/out" 2>"$work/err" &
lesson_pid=$!
url=
for _ in $(seq 100); do
    url=$(grep -o 'http://127\.0\.0\.1:[0-9]*/' "$work/out" | head -1)
    [ -n "$url" ] && break
    sleep 0.1
done
[ -n "$url" ] || { echo "$0: the lesson never said its page's address:" >&2; cat "$work/err" >&2; exit 1; }
echo "soak-lesson: $minutes min, a model every $step s, the page on $url (work folder $work)"

# Waits until every lane runs (the missing aside) with figures: the start.
running() {
    curl -s --max-time 5 "${url}live.json" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ok = d["lanes"] and all(l["state"] == "missing" or (l["state"] == "running" and l["figures"]["valid"]) for l in d["lanes"])
sys.exit(0 if ok else 1)' 2>/dev/null
}
for _ in $(seq 120); do running && break; sleep 1; done
running || { echo "$0: the lanes never ran:" >&2; tail -5 "$work/err" >&2; exit 1; }

put_model() { # NAME:LOSS:BURST:DELAY:JITTER:UP
    IFS=: read -r name loss burst delay jitter up <<<"$1"
    rate="\"up-rate-kbps\":$up"
    [ "${up#s}" != "$up" ] && rate="\"up-rate-share\":${up#s}"
    body=$(printf '{"path-loss":%s,"burst-length":%s,"path-delay":%s,"path-jitter":%s,"reorder":true,%s,"down-rate-kbps":0,"queue-limit":100}' \
        "$loss" "$burst" "$delay" "$jitter" "$rate")
    answer=$(curl -s --max-time 5 -w '\n%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data "$body" "${url}model")
    [ "${answer##*$'\n'}" = 200 ] || echo "soak-lesson: PUT /model $name failed: ${answer%$'\n'*}"
    kbps=$(printf '%s' "${answer%$'\n'*}" | python3 -c 'import json,sys; r = json.load(sys.stdin)["up"]["rate-kbps"]; print(r if r else "")' 2>/dev/null)
    echo "$(date -u +%H:%M:%S) model: $name${kbps:+ (up $kbps kbit/s)}" | tee -a "$work/models"
}

door=$(grep -o 'udp://127\.0\.0\.1:[0-9]*' "$work/out" | head -1)
door_port=${door##*:}

# PUT /senders N, said in the models' log (the lanes start again with them).
put_senders() {
    answer=$(curl -s --max-time 5 -w '\n%{http_code}' -X PUT -H 'Content-Type: application/json' \
        --data "{\"senders\":$1}" "${url}senders")
    [ "${answer##*$'\n'}" = 200 ] || echo "soak-lesson: PUT /senders $1 failed: ${answer%$'\n'*}"
    echo "$(date -u +%H:%M:%S) senders: $1" | tee -a "$work/models"
}

# The students: SOAK_STUDENTS programs through the door for seconds $1.
students_come() {
    for i in $(seq "$students"); do
        prog=udp_player
        [ $((i % 2)) = 0 ] && prog=tcp_player
        "$players/$prog" 127.0.0.1 "$door_port" "$1" >/dev/null 2>>"$work/students" &
        student_pids+=($!)
    done
    [ "$students" -gt 0 ] && echo "$(date -u +%H:%M:%S) students: $students for $1 s" | tee -a "$work/models"
}

started=$(date +%s)
end=$(( started + minutes * 60 ))
next_model=0
m=0
switches=0
while [ "$(date +%s)" -lt "$end" ]; do
    if [ "$(date +%s)" -ge "$next_model" ]; then
        put_model "${models[m % ${#models[@]}]}"
        if [ $((m % 2)) = 0 ] && [ "$m" -gt 0 ]; then # every two steps: four senders or one
            put_senders $(( m % 4 == 2 ? 4 : 1 ))
            switches=$((switches + 1))
        fi
        if [ "$m" -ge 4 ] && [ $((m % 4)) -lt 2 ]; then # one sender: the class comes
            students_come "$step"
        fi
        m=$((m + 1))
        next_model=$(( $(date +%s) + step ))
    fi
    sleep $(( 10 - ($(date +%s) - started) % 10 )) # a sample every window of 10 s
    kill -0 "$lesson_pid" 2>/dev/null || { echo "$0: the lesson exited" >&2; exit 1; }
    curl -s --max-time 5 "${url}live.json?since=18446744073709551615" >"$work/sample" &&
        python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({"t": d["now_ms"], "generation": d["generation"], "behind": d["log"]["behind_max_s"], "model": sys.argv[2], "lanes": [{k: l[k] for k in ("name", "state", "why")} | {"f": l["figures"]} for l in d["lanes"]]}))' \
            "$work/sample" "$(tail -1 "$work/models")" >>"$work/samples" 2>/dev/null
done

python3 - "$work/samples" "$switches" <<'EOF'
import json, sys
samples = [json.loads(line) for line in open(sys.argv[1])]
switches = int(sys.argv[2])
gens = sorted({s["generation"] for s in samples})
unexplained, again, seen = {}, {}, {}
for s in samples:
    for l in s["lanes"]:
        f, n = l["f"], l["name"]
        if l["state"] == "missing":
            continue
        if l["state"] != "running" or "connected again" in l["why"]:
            again.setdefault(n, set()).add(l["why"].split(";")[0])
        if f.get("valid"):
            seen[n] = seen.get(n, 0) + f["expected"]
            lost = f["expected"] - f["delivered"] - f["lost_explained"] - f.get("pending", 0)
            if lost > 0:
                unexplained.setdefault(n, []).append((s["model"].split("model: ")[-1], lost))
print(f"soak-lesson: {len(samples)} samples of every lane's last 10 s, {sum(seen.values())} states expected in them")
restarts_ok = len(gens) <= 1 + switches
print(f"{'PASS' if restarts_ok else 'FAIL'} restarts: generations {', '.join(gens)} "
      f"({switches} switches of senders)")
total = sum(x for v in unexplained.values() for _, x in v)
print(f"{'PASS' if total == 0 else 'FAIL'} lost: {total} states lost that no one explains")
for n, v in sorted(unexplained.items()):
    print(f"  {n}: {sum(x for _, x in v)} in {len(v)} windows: " +
          ", ".join(f"{x} ({m})" for m, x in v[:8]) + (" ..." if len(v) > 8 else ""))
for n, whys in sorted(again.items()):
    print(f"  {n} connected again alone: " + " | ".join(sorted(whys))[:300])
behind = max((s["behind"] for s in samples), default=0)
print(f"{'PASS' if behind <= 1 else 'FAIL'} pace: the drop log's reading at most {behind:.2f} s behind")
sys.exit(0 if restarts_ok and total == 0 and behind <= 1 else 1)
EOF
