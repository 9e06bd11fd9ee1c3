# doctables.jq: the figure tables of README.md and docs/, made from the
# committed results in bench/results/ (run by docs/tables/doctables.sh, which says
# which table and passes the files). Every table ends with the date and the
# command of the run it comes from. Figures are medians over the runs with
# their min-max, rounded to three significant digits.

# v with d decimals, as text ("5.00").
def dec(d): . as $v | if d == 0 then ($v | round | tostring)
    else (pow(10; d)) as $s | (($v * $s | round) / $s | tostring) as $t
    | ($t | split(".")) as $p
    | $p[0] + "." + (($p[1] // "") + "0000000000")[0:d] end;
# Three significant digits: 0.339 -> "0.34", 29.26 -> "29.3", 139.5 -> "140".
def sig: if . >= 100 then round | tostring
    elif . >= 10 then dec(1) else dec(2) end;
# Thousands separated: 1094400 -> "1,094,400".
def thousands: round | tostring | [explode | reverse | _nwise(3) | reverse | implode]
    | reverse | join(",");
def span(lo; hi; f): if lo == null or (lo | f) == (hi | f) then ""
    else " (" + (lo | f) + "-" + (hi | f) + ")" end;
# A figure with its spread: ms("p99_ms"; .latency_ms.p99) -> "140 ms (108-152)".
def with_spread(key; v; f): (v | f) + span(.spread[key].min; .spread[key].max; f);
def ms(key; v): with_spread(key; v; sig) + " ms";
def lost: with_spread("lost_pct"; .lost_pct; dec(2)) | sub("^(?<a>[0-9.]+)"; "\(.a)%");
def kbps: (.wire_bps / 1000 | sig) + " kbit/s";
def row(cells): "| " + (cells | join(" | ")) + " |";
def header(cells): row(cells), "|" + ([cells[] | "---"] | join("|")) + "|";
def mode_order: {"udp": 0, "unsequenced": 1, "sequenced": 2, "reliable": 3, "webrtc": 4,
    "webrtc-sequenced": 5, "webrtc-reliable": 6}[.];

# The command without the options that only say where its output went
# (and --floor, which the caption gives as the machine's),
# and with today's names of the bench's whole-path options and sweep keys
# (the same meaning).
def clean_command: split(" ") as $w
    | reduce range(0; $w | length) as $i ({out: [], skip: false};
        if .skip then .skip = false
        elif ($w[$i] | IN("--table", "--json", "--csv", "--plot", "--drop-log-dir",
            "--table-file", "--json-file", "--csv-file", "--floor"))
        then .skip = true
        elif $w[$i] == "--quiet" then .
        elif ($w[$i] | IN("--loss", "--delay", "--jitter"))
        then .out += ["--path-" + ($w[$i] | ltrimstr("--"))]
        else .out += [$w[$i]] end)
    | .out | join(" ") | sub("^build/bin/"; "")
    | sub("--sweep (?<k>loss|delay|jitter)="; "--sweep path-\(.k)=");
# The machine of the results set ($machine: its machine.txt, written by
# bench/machine.sh) and its floor: the datagrams a second one thread sends
# and receives on loopback; for scale results older than machine.txt, the
# floor of the same run ($limit: scale/limit.txt).
# Results written as text carry the same in a line of their own
# ("# machine: NAME; floor N datagrams a second").
def floor_dps: ($machine | capture("(?m)^floor: (?<f>[0-9]+)").f // null | tonumber?)
    // ($txt | capture("(?m)^# machine: [^;\n]+; floor (?<f>[0-9]+)").f // null | tonumber?)
    // ($limit | capture("datagram limit: (?<f>[0-9]+)").f // null | tonumber?) // null;
def on_machine: (($machine | capture("(?m)^machine: (?<m>[^\n]+)").m)
        // ($txt | capture("(?m)^# machine: (?<m>[^;\n]+);").m) // null) as $m
    | floor_dps as $f
    | if $m then ", on \($m) (floor: \($f | thousands) datagrams a second)"
      elif $f then ", on a machine not named (floor: \($f | thousands) datagrams a second)"
      else ", machine not recorded" end;
# µs per delivered state as a multiple of the floor's time per datagram.
def x_floor: if floor_dps then . * floor_dps / 1e6 else null end;
# The cost as a multiple of the reference relay's, where a reference lane ran
# beside it (the record's x_reference, bench/bench_yardstick.h): a column
# only for records that carry it, so that a table of runs without one keeps
# its columns. x_ref_header(records): the column's header, or none;
# x_ref_cell(records): a record's cell, with the paired rounds' min-max.
def has_x_ref(records): any(records[]; .x_reference != null);
def x_ref_header(records): if has_x_ref(records) then ["× reference"] else [] end;
def x_ref_cell(records): if has_x_ref(records) then [if .x_reference == null then ""
    else (.x_reference | dec(2)) + (if .relay_us_ratio.vs == "reference"
        then span(.relay_us_ratio.min; .relay_us_ratio.max; dec(2)) else "" end) + "x" end]
    else [] end;
def caption(run): "", "Measured \(run.date // "at an unrecorded date") with `\(run.command
    | clean_command)`\(on_machine)\(if (run.results[0].runs // 1) > 1
    then "; medians of \(run.results[0].runs) runs, min-max in brackets" else "" end).";

# README: the 5% row of the loss sweep, one column per mode.
def headline(run): [run.results[] | select(.loss_pct == 5)] | sort_by(.mode | mode_order)
    | . as $r
    | header(["", ($r[] | {"udp": "plain UDP", "unsequenced": "ENet unsequenced",
        "sequenced": "ENet sequenced", "reliable": "ENet reliable"}[.mode])]),
      row(["lost", ($r[] | lost)]),
      row(["p99 one-way latency", ($r[] | ms("p99_ms"; .latency_ms.p99))]),
      row(["bytes on the wire per delivered state", ($r[] | .bytes_per_msg | round | tostring)]),
      row(["bit rate on the wire, every client in and out", ($r[] | kbps)]),
      caption(run);

# Modes under loss: every point of the sweep.
def loss(run): header(["loss", "mode", "lost", "netsim's drops predict", "p50", "p99",
        "jitter", "bytes/msg", "bit rate"]),
    (run.results | sort_by(.loss_pct, (.mode | mode_order))[]
    | row(["\(.loss_pct)%", .mode, lost,
        (.netsim.e2e_loss_pct // 0 | dec(2)) + "%",
        ms("p50_ms"; .latency_ms.p50), ms("p99_ms"; .latency_ms.p99),
        ms("jitter_ms_measured"; .jitter_ms_measured), (.bytes_per_msg | round | tostring),
        kbps])),
    caption(run);

# The audit of the loss sweep: missed states and where netsim dropped them.
def audit(run): header(["loss", "mode", "expected", "missed", "netsim up", "netsim down",
        "unexplained", "reliable: netsim drops, retransmitted"]),
    (run.results | sort_by(.loss_pct, (.mode | mode_order))[]
    | row(["\(.loss_pct)%", .mode, (.expected | thousands), (.audit.missed | tostring),
        (.audit.explained_by.netsim_up | tostring), (.audit.explained_by.netsim_down | tostring),
        (.audit.unexplained | tostring),
        if .mode | test("reliable$") then "\(.audit.state_drops), \(.audit.retransmitted)"
        else "" end])),
    caption(run);

# Capacity: clients in one room at 60 Hz, a column per mode.
def capacity(run): (run.results | map(.mode) | unique | sort_by(mode_order)) as $modes
    | header(["clients", "deliveries/s", ($modes[] | "\(.): p50 / p99, relay CPU")]),
    (run.results | group_by(.clients)[] | . as $g
    | row(["\($g[0].clients)",
        ($g[0] | .rate_hz * .clients * (.clients - 1) | thousands),
        ($modes[] as $m | ($g | map(select(.mode == $m))[0])
            | if . == null then "(stopped)" else
              "\(.latency_ms.p50 | sig) / \(ms("p99_ms"; .latency_ms.p99)), \(.relay_cpu_pct | round)%"
              end)])),
    caption(run);

# Ordering domains: loss, reordering and too-old drops per mode.
def order(run): header(["loss", "mode", "lost", "reordered", "too old (receivers)", "p99"]),
    (run.results | sort_by(.loss_pct, (.mode | mode_order))[]
    | row(["\(.loss_pct)%", .mode, lost, (.reordered | tostring), (.too_old | tostring),
        ms("p99_ms"; .latency_ms.p99)])),
    caption(run);

# Reliable against room size: a receiver's ordered channel shared by N - 1.
def hol(run): header(["clients", "senders sharing a receiver's channel", "p50", "p99", "p99.9"]),
    (run.results | sort_by(.clients)[]
    | row(["\(.clients)", "\(.clients - 1)", ms("p50_ms"; .latency_ms.p50),
        ms("p99_ms"; .latency_ms.p99), ms("p999_ms"; .latency_ms.p999)])),
    caption(run);

# The lesson (bench/suite.sh lesson): a TCP stream beside ENet and plain
# UDP through one network, a row per mode.
def quic_name: {"quic": "QUIC datagrams", "quic-reliable": "QUIC, one stream to each receiver",
    "quic-streams": "QUIC, a stream per sender"}[.];
def lesson_name: {"tcp": "TCP, one stream to the relay", "reliable": "ENet reliable",
    "unsequenced": "ENet unsequenced", "udp": "plain UDP"}[.] // quic_name // .;
def lesson_order: {"tcp": 0, "reliable": 1, "unsequenced": 2, "udp": 3, "quic-reliable": 4,
    "quic-streams": 5, "quic": 6}[.] // 9;
def lesson(run): header(["", "lost", "p50", "p99", "p99.9", "longest gap between two states from one sender",
        "bytes on the wire per delivered state"]),
    (run.results | sort_by(.mode | lesson_order)[]
    | row([(.mode | lesson_name), lost, ms("p50_ms"; .latency_ms.p50), ms("p99_ms"; .latency_ms.p99),
        ms("p999_ms"; .latency_ms.p999), ms("max_gap_ms"; .max_gap_ms),
        with_spread("bytes_per_msg"; .bytes_per_msg; round | tostring)])),
    caption(run);

# Every mode through one network (bench/suite.sh ipmodes): the datagram
# modes, a TCP stream and a WebSocket at one loss rate, a row per mode; how
# many deliveries a drop held back (a stream, a reliable channel), of all.
def ipmodes_name: {"udp": "plain UDP", "unsequenced": "ENet unsequenced",
    "sequenced": "ENet sequenced", "reliable": "ENet reliable",
    "tcp": "TCP, one stream to the relay", "ws": "WebSocket, one stream to the relay"}[.]
    // quic_name // .;
def ipmodes_order: {"udp": 0, "unsequenced": 1, "sequenced": 2, "reliable": 3, "tcp": 4,
    "ws": 5, "quic": 6, "quic-reliable": 7, "quic-streams": 8}[.] // 9;
def held_share: if (.audit.held.deliveries // 0) > 0 and .delivered > 0
    then (100 * .audit.held.deliveries / .delivered | dec(2)) + "%" else "" end;
def ipmodes(run): header(["mode", "lost", "netsim's drops predict", "p50", "p99", "p99.9",
        "longest gap between two states from one sender", "held back by a drop",
        "bytes/msg", "bit rate"]),
    (run.results | sort_by(.mode | ipmodes_order)[]
    | row([(.mode | ipmodes_name), lost, (.netsim.e2e_loss_pct // 0 | dec(2)) + "%",
        ms("p50_ms"; .latency_ms.p50), ms("p99_ms"; .latency_ms.p99),
        ms("p999_ms"; .latency_ms.p999), ms("max_gap_ms"; .max_gap_ms), held_share,
        with_spread("bytes_per_msg"; .bytes_per_msg; round | tostring), kbps])),
    caption(run);

# Scale (a): rooms of 8 at 10 Hz with a 50 ms tick.
def rooms(run): header(["clients", "lost", "p50", "p99", "relay CPU",
        "relay µs per delivered state", "× floor"] + x_ref_header(run.results)
        + ["generator CPU", "relay peak RSS"]),
    (run.results | sort_by(.clients)[]
    | row(["\(.clients)", lost, ms("p50_ms"; .latency_ms.p50), ms("p99_ms"; .latency_ms.p99),
        with_spread("relay_cpu_pct"; .relay_cpu_pct; sig) + "%",
        with_spread("relay_us_per_delivery"; .relay_us_per_delivery; sig),
        (if floor_dps then with_spread("relay_us_per_delivery"; .relay_us_per_delivery;
            x_floor | dec(2)) + "x" else "" end)] + x_ref_cell(run.results) + [
        (.bench_cpu_pct | round | tostring) + "%",
        (.relay_peak_rss_kb / 1024 | dec(1)) + " MB"])),
    caption(run);

# Scale (b): one room at 60 Hz, two runs (ticks off and on) side by side.
def room(off; on): header(["clients", "--tick-ms 0: p99, relay CPU",
        "--tick-ms 2: p99, relay CPU"]),
    ([off.results[], on.results[]] | group_by(.clients)[] | . as $g
    | row(["\($g[0].clients)",
        ([off, on][] as $run | ($g | map(select(IN($run.results[])))[0])
            | if . == null then "(stopped)" else
              "\(ms("p99_ms"; .latency_ms.p99)), \(.relay_cpu_pct | round)%" +
              (if .lost_pct > 0.1 then ", \(.lost_pct | dec(1))% lost" else "" end) end)])),
    caption(off), caption(on);

# Where sequenced drops: the same runs against a relay that dropped a
# sequenced state late on the way up and one that leaves it to receivers.
def sequenced(before; now):
    def seq(run): run.results | map(select(.mode == "sequenced"))[0];
    def uns(run): run.results | map(select(.mode == "unsequenced"))[0];
    def cells(x): [lost, (x.too_old | thousands),
        ((x.audit.explained_by.too_old_relay // 0) | thousands), ms("p99_ms"; .latency_ms.p99),
        (x.bytes_per_msg | dec(1))];
    header(["sequenced dropped by", "lost", "too old at receivers (3 runs)",
        "dropped at the relay (3 runs)", "p99", "bytes per delivered state"]),
    (seq(before) | row(["the relay and the receiver (before)"] + cells(.))),
    (seq(now) | row(["the receiver only (now)"] + cells(.))),
    (uns(now) | row(["(unsequenced, the same runs: reordered)",
        "\(.reordered | thousands) of \(.delivered | thousands) delivered", "", "",
        ms("p99_ms"; .latency_ms.p99), (.bytes_per_msg | dec(1))])),
    "",
    "Measured \(before.date) against ricochet \(before.version) and \(now.date) against \(now.version), "
    + "both with `\(now.command | clean_command)`\(on_machine); medians of 3 runs, min-max in brackets.";

# Tick batching (bench/scale.sh part c): relay CPU and p99 per tick length,
# ENet and plain UDP side by side, from tick/summary.txt.
def tick(txt): (txt | split("\n")) as $lines
    | def fig(f): "\(.m | tonumber | f) (\(.lo | tonumber | f)-\(.hi | tonumber | f))";
      def fig3: "(?<m>[0-9.]+) \\((?<lo>[0-9.]+)-(?<hi>[0-9.]+)\\)";
      [$lines[] | capture("^(?<mode>[a-z]+) +(?<tick>[0-9]+) +(?<us>" + fig3 + ") +(?<p99>" + fig3
          + ") +(?<cpu>" + fig3 + ")")
        | {mode, tick: (.tick | tonumber),
           us: (.us | capture(fig3)), p99: (.p99 | capture(fig3)), cpu: (.cpu | capture(fig3))}]
    | group_by(.tick) as $rows
    # ", 0.32x": the median as a multiple of the floor
    | def xf: if floor_dps then ", " + (.m | tonumber | x_floor | dec(2)) + "x" else "" end;
      def per_state: "relay µs per delivered state" + (if floor_dps then " (× floor)" else "" end);
      header(["`--tick-ms`", "ENet: " + per_state, "ENet p99", "ENet relay CPU",
        "plain UDP: " + per_state, "plain UDP p99"]),
      ($rows[] | (map(select(.mode == "unsequenced"))[0]) as $e
        | (map(select(.mode == "udp"))[0]) as $u
        | row(["\($e.tick)", ($e.us | fig(sig) + xf), ($e.p99 | fig(sig)) + " ms",
            ($e.cpu.m | tonumber | round | tostring) + "%", ($u.us | fig(sig) + xf),
            ($u.p99 | fig(sig)) + " ms"])),
      "", "64 clients at 60 Hz in one room, loopback, ENet unsequenced and plain UDP; " +
      ($lines | map(select(startswith("measured "))) | .[0] // "measured at an unrecorded date")
      + on_machine + "; medians of the rounds, min-max in brackets.";

# Memory and the datagram limit (bench/scale.sh), from memory.txt and limit.txt.
def memory(txt): (txt | split("\n")) as $lines
    | ($lines | map(capture("ENet: (?<a>[0-9]+) kB with 500 clients in rooms of 2, (?<b>[0-9]+) kB with 4000")) | .[0]) as $c
    | ($lines | map(capture("-> (?<x>[0-9.]+) kB per client")) | .[0].x) as $per_client
    | ($lines | map(capture(", (?<c>[0-9]+) kB in 1000 rooms of 4")) | .[0].c) as $r4
    | ($lines | map(capture("-> (?<x>-?[0-9.]+) kB per room")) | .[0].x) as $per_room
    | ($lines | map(capture("datagram limit: (?<x>[0-9]+) datagrams/s")) | .[0].x) as $limit
    | header(["what", "measured"]),
      row(["relay peak RSS, 500 clients in rooms of 2 (quiet, 1 Hz)", "\($c.a | tonumber / 1024 | dec(1)) MB"]),
      row(["... 4000 clients in rooms of 2", "\($c.b | tonumber / 1024 | dec(1)) MB"]),
      row(["... 4000 clients in rooms of 4", "\($r4 | tonumber / 1024 | dec(1)) MB"]),
      row(["per client", "\($per_client) kB"]),
      row(["per room: 2000 rooms of 2 against 1000 rooms of 4, the same clients (about what RSS resolves)", "\($per_room) kB"]),
      row(["the floor: datagrams one thread sends and receives on loopback (40 bytes, `sendmmsg` + `recvmmsg`)",
          "\($limit | tonumber | thousands) a second"]),
      "", ($lines | map(select(startswith("measured "))) | .[0] // "measured at an unrecorded date"
          | sub("^measured"; "Measured")) + on_machine + ".";

# The guards (bench/guards.sh): each figure's median over the runs with
# its min-max, from the lines the tests printed.
def median_span(f): sort as $v | ($v | length) as $n
    | ($v[($n - 1) / 2 | floor] | f) + (if ($v[0] | f) == ($v[-1] | f) then ""
        else " (" + ($v[0] | f) + "-" + ($v[-1] | f) + ")" end);
def guards(txt): (txt | split("\n")) as $lines
    | ($lines[0] | ltrimstr("# ")) as $when
    | ($lines[1] | ltrimstr("# command: ")) as $command
    | ($lines | map(select(startswith("run "))) | length) as $nlines
    | def values(prefix; re): [$lines[] | select(test("^run [0-9]+: " + prefix))
        | capture(re) | [.[] | tonumber] | if length == 2 then .[1] - .[0] else .[0] end];
      def runs: [$lines[] | select(test("^run [0-9]+: ")) | capture("^run (?<n>[0-9]+)").n]
        | unique | length;
    header(["attack", "measured", "test"]),
    row(["forged plain-UDP joins: bytes the relay sent (to the forged source and its room) per byte received",
        (values("forged joins"; ": (?<x>[0-9.]+)x$") | median_span(dec(2))) + "x",
        "`test_transport_udp`"]),
    row(["1,000 forged plain-UDP joins a second from 70 addresses: 6 newcomers' join time (each run's median)",
        (values("join flood"; ", median (?<x>[0-9]+);") | median_span(tostring)) + " ms",
        "`test_e2e_udp_flood`"]),
    row(["the same flood: bytes sent to the flooder per byte received",
        (values("join flood"; "\\((?<x>[0-9.]+)x\\)") | median_span(dec(2))) + "x", "same"]),
    row(["1,000 forged fragments of 2^20-fragment packets: relay RSS growth",
        (values("fragment bomb"; "relay RSS (?<a>[0-9]+) -> (?<b>[0-9]+) KiB")
         | median_span(tostring)) + " KiB", "`test_e2e_enet_guards`"]),
    row(["4 ghost peers on a 4-client relay: a new client gets in after `--timeout-ms`",
        "\([$lines[] | select(test("^run [0-9]+: ghost peers:.*got in$"))] | length) of \(runs) runs",
        "same"]),
    row(["40 half-open CONNECTs filling a `--max-clients 8` relay: an honest client's wait",
        (values("handshake flood"; "after (?<x>[0-9]+) ms") | median_span(tostring)) + " ms",
        "same"]),
    row(["40 connections that complete their handshake and never join, held 8 s, on a `--max-clients 8` relay: an honest client's wait from 1 s on (`--join-timeout-ms` closes them)",
        (values("silent connections"; "after (?<x>[0-9]+) ms;") | median_span(tostring)) + " ms",
        "same"]),
    row(["1,000 CONNECTs a second from 70 addresses: an honest client's wait",
        (values("sustained flood"; "after (?<x>[0-9]+) ms;") | median_span(tostring)) + " ms",
        "same"]),
    row(["the same flood: bytes sent to the flooder per byte received",
        (values("sustained flood"; "\\((?<x>[0-9.]+)x\\)") | median_span(dec(2))) + "x", "same"]),
    row(["16 slow readers beside 4 senders of 1,200-byte states at 100 Hz for 8 s: relay RSS growth",
        (values("slow readers"; "\\(\\+(?<x>[0-9]+)\\)") | median_span(tostring)) + " KiB",
        "same"]),
    row(["the same: relay CPU",
        (values("slow readers"; "relay CPU (?<x>[0-9]+)%") | median_span(tostring)) + "%", "same"]),
    row(["the same: an honest reader's p99 (it gets every state)",
        (values("slow readers"; "p99 (?<x>[0-9.]+) ms") | median_span(sig)) + " ms", "same"]),
    row(["60,000 one-byte commands held behind a missing one: relay RSS growth",
        (values("held commands"; "\\(\\+(?<x>[0-9]+)\\)") | median_span(tostring)) + " KiB",
        "same"]),
    "",
    "Measured \($when) with `\($command)` (on loopback, against the release relay)\(on_machine); medians of \(runs) runs, min-max in brackets.";

# Peers (bench/peers.sh): ricochet-relay and other servers under one
# workload, the rounds alternating; each figure's median over the rounds
# with its min-max, and the cost as a multiple of the round's floor (one
# datagram sent and received by one thread: 1 s / its rate).
def peer_name: {"reference": "the reference relay (the yardstick), plain UDP",
    "ricochet": "ricochet-relay, ENet unsequenced, default tick",
    "ricochet-ws": "ricochet-relay, WebSocket edge",
    "colyseus-relay": "Colyseus, its RelayRoom",
    "colyseus-state": "Colyseus, schema state patched every 50 ms",
    "colyseus18-relay": "Colyseus 0.18, its RelayRoom",
    "colyseus18-state": "Colyseus 0.18, schema state patched every 50 ms"}[.] // .;
def peer_order: {"reference": -1, "ricochet": 0, "ricochet-ws": 1, "colyseus-relay": 2,
    "colyseus-state": 3, "colyseus18-relay": 4, "colyseus18-state": 5}[.] // 9;
# x_ref_rounds(records; group): a group of rounds' cell of "× reference"
# (the median of each round's multiple, with their min-max), or none.
def x_ref_rounds(records; g): if has_x_ref(records)
    then [g | map(.x_reference // empty) | if length > 0 then median_span(dec(2)) + "x"
        else "" end] else [] end;
# What "× reference" is, in a caption under records that carry it.
def x_ref_note: if has_x_ref(.) then "; × reference: the cost over the reference relay's "
    + "(bench/reference/) at the same count in the same round" else "" end;
# peers(doc; least): the rows of every client count, or (least) of the smallest only.
def peers(doc; least): [doc.runs[] | .results[0] + {server,
        floor_dps: (.results[0].floor_dgrams_per_s // .floor_dps)}]
    | (map(.clients) | min) as $least
    # the headline: the least count, and of Colyseus only the newest version that ran
    | (map(.server) | any(startswith("colyseus18-"))) as $newest
    | map(select((least | not) or (.clients == $least
        and (($newest | not) or (.server | startswith("colyseus-") | not)))))
    | . as $runs
    | header(["clients", "server", "µs per delivered state", "× floor"] + x_ref_header($runs)
        + ["server CPU", "delivered", "p50", "p99", "generator: CPU, sends late (p99)"]),
      ($runs | group_by(.clients)[] | group_by(.server | peer_order)[] | . as $g
       | ($g | map(.relay_us_per_delivery)) as $us
       | row(["\($g[0].clients)", ($g[0].server | peer_name),
           ($us | median_span(sig)),
           ($g | map(.relay_us_per_delivery / (1e6 / .floor_dps)) | median_span(dec(2))) + "x"]
         + x_ref_rounds($runs; $g) + [
           ($g | map(.relay_cpu_pct) | median_span(sig)) + "%",
           ($g | map(.delivery_pct) | median_span(dec(2))) + "%" +
             (if ($g[0].server | endswith("-state"))
              then ", " + ($g | map(if .expected > 0 then .conflated / .expected * 100 else 0 end)
                  | median_span(dec(2)))
                + "% conflated" else "" end),
           ($g | map(.latency_ms.p50) | median_span(sig)) + " ms",
           ($g | map(.latency_ms.p99) | median_span(sig)) + " ms",
           ($g | map(.bench_cpu_pct) | median_span(sig)) + "%, " +
             ($g | map(.send_late_ms.p99) | median_span(sig)) + " ms" +
             (($g | map(.unsent // 0) | add) as $u
              | if $u > 0 then "; \($u | thousands) of the window's states never sent" else "" end)])),
      "",
      ([doc.runs[] | select(.server == "ricochet") | .version][0]) as $rv
      | ([doc.runs[] | select(.peer == "colyseus") | .version] | unique_by(.colyseus)) as $cvs
      | "Rooms of 8 at 10 Hz, 40-byte states, one generator process, loopback: "
      + ([if $rv then "ricochet \($rv)" else empty end,
          if ($cvs | length) > 0 then ([$cvs[] | "Colyseus \(.colyseus) with "
              + (if .["colyseus.js"] then "colyseus.js \(.["colyseus.js"])"
                 else "@colyseus/sdk \(.["@colyseus/sdk"])" end)] | join(", "))
            + " on Node \($cvs[0].node)"
          else empty end] | join(", "))
      + "; measured \(doc.date) with `\(doc.command)`\(on_machine); medians of "
      + "\([doc.runs[].round] | unique | length) rounds, min-max in brackets; × floor: the cost over "
      + "one datagram's time at its round's floor (\([doc.runs[] | {round, floor_dps}] | unique
          | map(.floor_dps | thousands) | join(", ")) datagrams a second)\($runs | x_ref_note).";

# The WebSocket edge against ENet (bench/peers.sh with SERVERS="ricochet
# ricochet-ws"): each figure's median over the rounds with its min-max, and
# ws's cost over ENet's within each round (the two ran side by side).
def ws_cost(doc): [doc.runs[] | .results[0] + {server, round,
        floor_dps: (.results[0].floor_dgrams_per_s // .floor_dps)}] as $runs
    | header(["clients", "edge", "relay µs per delivered state", "× floor"]
        + x_ref_header($runs) + ["relay CPU", "p50", "p99", "× ENet's, within a round"]),
      ($runs | group_by(.clients)[] | . as $c
       | (reduce ($c[] | select(.server == "ricochet")) as $e ({};
            .["\($e.round)"] = $e.relay_us_per_delivery)) as $enet
       | $c | group_by(.server | peer_order)[] | . as $g
       | row(["\($g[0].clients)", {"ricochet": "ENet, unsequenced",
             "ricochet-ws": "WebSocket"}[$g[0].server] // $g[0].server,
           ($g | map(.relay_us_per_delivery) | median_span(sig)),
           ($g | map(.relay_us_per_delivery / (1e6 / .floor_dps)) | median_span(dec(2))) + "x"]
         + x_ref_rounds($runs; $g) + [
           ($g | map(.relay_cpu_pct) | median_span(sig)) + "%",
           ($g | map(.latency_ms.p50) | median_span(sig)) + " ms",
           ($g | map(.latency_ms.p99) | median_span(sig)) + " ms",
           if $g[0].server == "ricochet" then ""
           else ($g | map(select($enet["\(.round)"]) | .relay_us_per_delivery
                / $enet["\(.round)"]) | if length > 0 then median_span(dec(2)) + "x"
                else "" end) end])),
      "",
      "Rooms of 8 at 10 Hz, 40-byte states, one generator process, loopback, the relay's "
      + "default tick: ricochet \([doc.runs[].version][0]); measured \(doc.date) with "
      + "`\(doc.command)`\(on_machine); medians of \([doc.runs[].round] | unique | length) "
      + "rounds, min-max in brackets; × floor: the cost over one datagram's time at its round's "
      + "floor (\([doc.runs[] | {round, floor_dps}] | unique | map(.floor_dps | thousands)
          | join(", ")) datagrams a second)\($runs | x_ref_note).";

# The generator's own memory (bench/generator.sh): peak RSS per build.
def generator(txt): (txt | split("\n")) as $lines
    | ($lines[0] | ltrimstr("# ")) as $when
    | ($lines[1] | ltrimstr("# command: ")) as $command
    | [$lines[] | capture("^run [0-9]+: ricochet-bench (?<v>[^ ]+) .*: peak RSS (?<kb>[0-9]+) kB$")
        | {v, kb: (.kb | tonumber)}] as $runs
    | (reduce $runs[].v as $v ([]; if index([$v]) then . else . + [$v] end)) as $versions
    | header(["ricochet-bench", "peak RSS, 4000 clients", "per client"]),
      ($versions[] as $v | [$runs[] | select(.v == $v) | .kb]
       | row([$v, (map(. / 1024) | median_span(sig)) + " MB",
           (map(. / 4000) | median_span(sig)) + " kB"])),
      "",
      ($command | capture("^(?<bench>.*) \\(against (?<relay>.*)\\)$")) as $c
      | "Measured \($when) with `\($c.bench)` against `\($c.relay)`\(on_machine), the builds alternating; medians of \($runs | length / ($versions | length)) runs, min-max in brackets.";

# What --metrics costs the relay (bench/metrics_cost.sh): the last summary
# of each case ("CASE key=median(min-max) ..."), one column per case.
def metrics(txt): (txt | split("\n")) as $lines
    | ($lines[0] | ltrimstr("# command: ")) as $command
    | ([$lines[] | select(startswith("== 20")) | capture("== (?<d>[^,]+),").d] | unique
        | join(" and ")) as $when
    | (reduce ($lines[] | select(test("^[a-z_]+ [a-z_0-9]+=[0-9.]+\\(")))
        as $l ({}; .[$l | split(" ")[0]] = ([$l | split(" ")[1:][] | split("=")
            | {(.[0]): .[1]}] | add))) as $c
    | def fig(f): if . == null then "" else capture("^(?<m>[0-9.]+)(\\((?<a>[0-9.]+)-(?<b>[0-9.]+)\\))?$")
        | (.m | tonumber | f) + (if .a == null or (.a | tonumber | f) == (.b | tonumber | f) then ""
            else " (" + (.a | tonumber | f) + "-" + (.b | tonumber | f) + ")" end) end;
      def cell(case; key; f; unit): ($c[case][key] | fig(f)) as $v
        | if $v == "" then "" else $v + unit end;
      def cases(key; f; unit): [cell("off"; key; f; unit), cell("on"; key; f; unit),
        cell("scraped"; key; f; unit), cell("elsewhere"; key; f; unit)];
    header(["", "no `--metrics`", "`--metrics`, unscraped", "scraped at 100 Hz", "scraper elsewhere"]),
    (if $c.on.loop_p99_ms then
      row(["loop iteration p99"] + cases("loop_p99_ms"; sig; " ms")),
      row(["loop iteration p50"] + cases("loop_p50_ms"; sig; " ms")),
      row(["turns over 5 ms"] + cases("over_5ms_pct"; sig; "%")),
      row(["clients' one-way p99"] + cases("client_p99_ms"; sig; " ms")),
      row(["relay peak RSS"] + cases("peak_rss_kb"; . / 1024 | sig; " MiB")),
      row(["time to scrape `/metrics` (curl)", "", "",
        cell("scraped"; "scrape_ms"; sig; " ms") + ", p99 " + cell("scraped"; "scrape_p99_ms"; sig; " ms"),
        cell("elsewhere"; "scrape_ms"; sig; " ms")])
     else empty end),
    row(["an idle relay's RSS (after 200 requests)", cell("idle_off"; "rss_kb"; tostring; " KiB"),
        cell("idle_on"; "rss_kb"; tostring; " KiB"), "", ""]),
    (if $c.idle_on.http_cpu_us_per_scrape then
      row(["HTTP thread CPU per scrape (idle relay, 2,000 scrapes of the 9 KB answer)", "",
        cell("idle_on"; "http_cpu_us_per_scrape"; tostring; " µs"), "", ""])
     else empty end),
    "",
    "Measured \($when) with `\($command | sub(" \\(.*$"; ""))`, alone on the machine\(on_machine); medians of 3 rounds, min-max in brackets.";

# The relay's CPU per delivered state over WebRTC against sealed ENet
# (bench/webrtc.sh's cpu-room and cpu-rooms): a row per scenario, each mode's
# µs (and × floor), their ratio, the relay's CPU and the p99 of both.
def webrtc_cpu(runs):
    def us: with_spread("relay_us_per_delivery"; .relay_us_per_delivery; sig) + " µs"
        + ([(if floor_dps then "\(.relay_us_per_delivery | x_floor | dec(2))x the floor"
            else empty end), (x_ref_cell([.])[] | select(. != "") | . + " the reference")]
           | if length > 0 then " (" + join(", ") + ")" else "" end);
    def scenario: "\(.clients) clients" + (if .rooms > 1 then " in rooms of \(.clients / .rooms
        | ceil)" else " in one room" end) + " at \(.rate_hz) Hz";
    # a mode's figure, or "" in a run without it
    def of($r; $m; f): ($r | map(select(.mode == $m))[0]) as $x | if $x then ($x | f) else "" end;
    # f of each edge's mode in the header's order, "-" where the run has none
    def per_edge($r; f): ["unsequenced", "webrtc", "quic", "wt"]
        | map(. as $m | of($r; $m; f) | if . == "" then "-" else . end) | join(" / ");
    # paired round by round where the bench did (relay_us_ratio), else of the medians
    def ratio($r; $m; $e): of($r; $m; if .relay_us_ratio then .relay_us_ratio
            | (.median | dec(2)) + "x" + span(.min; .max; dec(2))
        else .relay_us_per_delivery / $e.relay_us_per_delivery | dec(2) | . + "x" end);
    header(["", "ENet unsequenced: relay per delivered state",
        "WebRTC (`webrtc`)", "QUIC datagrams (`quic`)", "WebTransport datagrams (`wt`)",
        "WebRTC ÷ ENet", "QUIC ÷ ENet", "WebTransport ÷ ENet",
        "relay CPU: ENet / WebRTC / QUIC / WebTransport", "p99: the same"]),
    (runs[] | (.command | test("--encrypt")) as $sealed | .results as $r
        | ($r | map(select(.mode == "unsequenced"))[0]) as $e
        | row([($e | scenario) + (if $sealed then ", ENet sealed" else ", ENet in clear" end),
            ($e | us), of($r; "webrtc"; us), of($r; "quic"; us), of($r; "wt"; us),
            ratio($r; "webrtc"; $e), ratio($r; "quic"; $e), ratio($r; "wt"; $e),
            per_edge($r; with_spread("relay_cpu_pct"; .relay_cpu_pct; sig) + "%"),
            per_edge($r; ms("p99_ms"; .latency_ms.p99))])),
    (runs[] | caption(.));

# What a payload costs (bench/payload.sh): one sweep over the state's
# length in three modes, a row per payload and mode.
def payload_mode: {"unsequenced": "ENet unsequenced", "udp": "plain UDP",
    "ws": "WebSocket"}[.] // .;
def payload_order: {"unsequenced": 0, "udp": 1, "ws": 2}[.] // 9;
def payload(run): header(["payload", "mode", "relay µs per delivered state", "× floor"]
        + x_ref_header(run.results) + ["bytes on the wire per delivered state", "bit rate",
        "lost", "p99", "payloads checked, corrupted"]),
    (run.results | sort_by(.payload, (.mode | payload_order))[]
    | row(["\(.payload - 40) B", (.mode | payload_mode),
        with_spread("relay_us_per_delivery"; .relay_us_per_delivery; sig),
        (if floor_dps then with_spread("relay_us_per_delivery"; .relay_us_per_delivery;
            x_floor | dec(2)) + "x" else "" end)] + x_ref_cell(run.results) + [
        with_spread("bytes_per_msg"; .bytes_per_msg; round | tostring), kbps, lost,
        ms("p99_ms"; .latency_ms.p99),
        "\(.audit.payloads_checked // 0 | thousands), \(.audit.payloads_corrupted // 0)"])),
    caption(run);

# ... and in a world on its tick: a row per payload, medians over the rounds.
def payload_world(doc): header(["payload", "newest in radius", "deliveries/s",
        "relay µs per delivered state", "× floor", "p99", "payloads checked, corrupted"]),
    (doc.runs | group_by(.payload)[] | . as $g
    | row(["\($g[0].payload - 40) B",
        ($g | map(100 * (.in_radius_delivered + .in_radius_superseded) / .in_radius)
            | median_span(dec(3))) + "%",
        ($g | map(.delivered / .window_s) | median_span(thousands)),
        ($g | map(.relay_us_per_delivery) | median_span(sig)),
        (if floor_dps then ($g | map(.relay_us_per_delivery | x_floor) | median_span(dec(2)))
            + "x" else "" end),
        ($g | map(.p99_ms) | median_span(sig)) + " ms",
        "\($g | map(.payloads_checked // 0) | add | thousands), \($g | map(.payloads_corrupted // 0) | add)"])),
    "", "Measured \(doc.date) with `\(doc.command | clean_command)` for each payload P\(on_machine); medians of \(doc.runs | map(.round) | unique | length) rounds, min-max in brackets.";

$table as $t
| if $t == "headline" then headline($run[0])
  elif $t == "loss" then loss($run[0])
  elif $t == "audit" then audit($run[0])
  elif $t == "capacity" then capacity($run[0])
  elif $t == "order" then order($run[0])
  elif $t == "hol" then hol($run[0])
  elif $t == "lesson" then lesson($run[0])
  elif $t == "ipmodes" then ipmodes($run[0])
  elif $t == "rooms" then rooms($run[0])
  elif $t == "room" then room($run[0]; $run[1])
  elif $t == "guards" then guards($txt)
  elif $t == "generator" then generator($txt)
  elif $t == "metrics" then metrics($txt)
  elif $t == "metrics_before" then metrics($txt)
  elif $t == "sequenced" then sequenced($run[0]; $run[1])
  elif $t == "tick" then tick($txt)
  elif $t == "memory" then memory($txt)
  elif $t == "payload" then payload($run[0])
  elif $t == "payload_world" then payload_world($run[0])
  elif $t == "peers" then peers($run[0]; false)
  elif $t == "peers_headline" then peers($run[0]; true)
  elif $t == "webrtc_modes" then loss($run[0])
  elif $t == "webrtc_audit" then audit($run[0])
  elif $t == "webrtc_cpu" then webrtc_cpu($run)
  elif $t == "ws_cost" then ws_cost($run[0])
  else error("doctables: no table \($t)") end
