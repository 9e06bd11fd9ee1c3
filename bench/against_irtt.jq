# bench/against_irtt.jq: bench/against_irtt.sh's summary from its runs.json.
# Per path (loopback; netsim at each loss) and tool, the median over the
# rounds with min-max of p50, p99 and loss; then, per path, each bench
# lane's figure minus the tool's (sockperf on loopback, irtt through
# netsim), round by round, median with min-max.
def med: sort | if length % 2 == 1 then .[length / 2 | floor]
    else (.[length / 2 - 1] + .[length / 2]) / 2 end;
def r3: . * 1000 | round / 1000;
def span(f): (map(f) | med | r3 | tostring) + " ("
    + (map(f) | min | r3 | tostring) + (if (map(f) | min) < 0 then " to " else "-" end)
    + (map(f) | max | r3 | tostring) + ")";
def where: if .path == "loopback" then "loopback" else "netsim, loss \(.loss)%" end;
def tool_name: {"sockperf": "sockperf ping-pong, round trip",
    "irtt": "irtt, round trip",
    "bench-reference": "ricochet-bench, reference relay, one way",
    "bench-udp": "ricochet-bench, ricochet-relay udp, one way"}[.] // .;
def order: {"sockperf": 0, "irtt": 0, "bench-reference": 1, "bench-udp": 2}[.] // 9;
. as $doc
| "| path | tool | p50 ms | p99 ms | lost % |",
  "|---|---|---|---|---|",
  ($doc.runs | group_by([.path, .loss])[] | sort_by(.tool | order) | group_by(.tool | order)[]
   | "| \(.[0] | where) | \(.[0].tool | tool_name) | \(span(.p50_ms)) | \(span(.p99_ms)) | "
     + "\(span(.lost_pct)) |"),
  "",
  "| path | bench lane | p50, bench minus tool, ms | p99, bench minus tool, ms | lost, bench minus tool, points |",
  "|---|---|---|---|---|",
  ($doc.runs | group_by([.path, .loss])[] | . as $p
   | ($p | map(select(.tool == "sockperf" or .tool == "irtt"))) as $tool
   | ($p | map(select(.tool | startswith("bench-"))) | group_by(.tool)[]) as $lane
   | [$lane[] | . as $b | ($tool[] | select(.round == $b.round)) as $t
      | {p50: ($b.p50_ms - $t.p50_ms), p99: ($b.p99_ms - $t.p99_ms),
         lost: ($b.lost_pct - $t.lost_pct)}]
   | select(length > 0)
   | "| \($p[0] | where) | \($lane[0].tool | ltrimstr("bench-")) | \(span(.p50)) | "
     + "\(span(.p99)) | \(span(.lost)) |"),
  "",
  "Measured \($doc.date) with `\($doc.command)` on \($doc.machine) (floor: "
  + ([$doc.runs[] | {round, floor_dgrams_per_s}] | unique | map(.floor_dgrams_per_s | tostring)
     | join(", "))
  + " datagrams a second); through netsim \($doc.delay_ms) ms of delay and \($doc.jitter_ms) ms "
  + "of jitter end to end; medians of \([$doc.runs[].round] | unique | length) rounds, min-max "
  + "in brackets."
