/* lesson_inspect.js: one state in the lesson page's inspector (lesson.js
 * imports it), from GET /state: its 40 bytes by the dissector's field
 * names, what carried it on each hop (netsim's lines of it, a stream's
 * segments), on an ordered flow the loss it waited behind (the segment or
 * state netsim dropped, when, and when it crossed again), a datagram
 * that came after one its sender sent later (out of order), and why a
 * state netsim never dropped was lost (one cause: the lesson's). Its words
 * come through tr (lesson_words.js); numbers through fmt (lesson.js). */
import { STATE_FIELDS, decodeState } from "/ricochet.js";
import { clientEnd, relayEnd } from "/lesson_calls.js";
import { tName, tr } from "/lesson_words.js";

export const STATUS = ["pending", "arrived", "lost", "too old"];
const STATUS_KEYS = ["st.pending", "st.arrived", "st.lost", "st.too_old"];

function hex(bytes, from, n) {
  return Array.from(bytes.slice(from, from + n), (b) => b.toString(16).padStart(2, "0")).join(" ");
}

/* What a datagram lane's state travelled in, by netsim's reader of its wire. */
function carrier(h, wire) {
  if (wire === "quic")
    return tr(h.kind === "datagram" ? "carrier.quic_datagram" : "carrier.quic_stream");
  if (wire === "webrtc")
    return tr(h.kind === "reliable" ? "carrier.webrtc_reliable" : "carrier.webrtc_unreliable");
  if (h.peer >= 0)
    return tr(h.group >= 0 ? "carrier.enet_group" : "carrier.enet",
             { peer: h.peer, kind: h.kind, group: h.group });
  return tr("carrier.udp", { kind: h.kind });
}

/* netsim's name of what it did (its drop log's "loss", "queue", ...) in words. */
const netsimEvent = (name) => tName("event." + name, name);

function segmentText(sg, fmt) {
  const at = { start: sg.start, end: sg.end, flags: sg.flags, t: fmt(sg.t_ms / 1000, 3) };
  return sg.event === "fwd" ? tr("hop.seg_fwd", { ...at, ms: fmt(sg.delay_ms, 1) })
                            : tr("hop.seg_drop", { ...at, event: netsimEvent(sg.event) });
}

/* The loss an ordered flow's state waited behind: a segment (a stream's;
 * at_sender: the sender sent nothing new until it was acknowledged) or a
 * state (a reliable channel's). */
function heldText(held, fmt) {
  const when = { drop: fmt(held.drop_ms / 1000, 3),
                 again: held.again_ms === null ? "-" : fmt(held.again_ms / 1000, 3) };
  if (held.seq !== undefined)
    return tr("hold.state", { ...when, seq: held.seq, sender: held.sender + 1 });
  return tr(held.at_sender ? "hold.segment_sender" : "hold.segment",
            { ...when, start: held.start, end: held.end });
}

function hopText(h, wire, ends, fmt) {
  const who = tr(h.dir === "up" ? "hop.up" : "hop.down");
  const [client, relay] = [clientEnd(h.flow, tr), relayEnd(ends, tr)];
  const lines = [`<b>${who}</b>, ` + tr("hop.ends", h.dir === "up" ? { from: client, to: relay }
                                                                     : { from: relay, to: client })];
  const held = h.held ? [`<span class=held>${heldText(h.held, fmt)}</span>`] : [];
  if (h.frame) {
    lines.push(tr("hop.frame", { start: h.frame[0], end: h.frame[1] }));
    for (const sg of h.segments) lines.push(segmentText(sg, fmt));
    if (!h.segments.length) lines.push(tr("hop.seg_none"));
    return lines.concat(held).join("<br>");
  }
  /* no line of netsim's of it here (yet), or a stream's not yet framed: no carrier to name */
  if (wire === "stream" || (!h.kind && !h.drop)) return lines.concat([tr("hop.nolog")]).join("<br>");
  lines.push(tr("hop.carried", { carrier: carrier(h, wire) }));
  if (h.drop) lines.push(tr("hop.dropped", { event: netsimEvent(h.drop), t: fmt(h.drop_ms / 1000, 3) }));
  if (h.fwds)
    lines.push(tr(h.fwds > 1 ? "hop.fwd_times" : "hop.fwd",
                 { n: h.fwds, t: fmt(h.fwd_ms / 1000, 3), ms: fmt(h.delay_ms, 1) }));
  return lines.concat(held).join("<br>");
}

/* Why a state that did not arrive was lost, in one sentence: the one cause
 * the lesson found (d.fate: the figures count the same), with the kernel's
 * counts of drops at full sockets over the lane's window (f, its figures)
 * where those explain it. netsim's drop and "too old" say themselves in the
 * hops and the status. */
function fateText(d, f, fmt) {
  if (!d.fate || d.fate === "netsim" || d.fate === "too_old") return "";
  const at = { n: f ? f.socket_dropped : 0, relay: f ? f.host_socket_dropped : 0,
               s: fmt(f ? f.window_s : 0, 0) };
  const key = d.fate !== "host" ? "fate." + d.fate
    : d.hops[0].fwds ? "fate.host_relay" : "fate.host_netsim";
  return `<p class=host>${tr(key, { ...at, ms: fmt(f ? f.behind_ms : 0, 0),
                                   s: d.fate === "late" ? fmt(f ? f.grace_s : 0, 0) : at.s })}</p>`;
}

/* GET /state's answer d for the inspector: its HTML, and what tests read
 * (lessonPage.inspected()). title: the lane's name in words; who: which
 * sender, in words ("" for a lane of one); l: the lane the page keeps. */
export function stateView(d, title, who, l, fmt) {
  const bytes = new Uint8Array(d.bytes.match(/../g).map((v) => parseInt(v, 16)));
  const st = decodeState(bytes);
  const rows = STATE_FIELDS.map((f) => {
    const value = f.key ? st[f.key] : bytes.slice(f.offset, f.offset + f.size).reduce((a, b) => a * 256 + b, 0);
    return { field: f.field, offset: f.offset, bytes: hex(bytes, f.offset, f.size), value };
  });
  const after = d.after ? " " + tr(d.status === 3 ? "insp.after_thrown" : "insp.after_order",
                                   { seq: d.after }) : "";
  const html = `<b>${tr("insp.head", { lane: title, seq: d.seq })}${who}</b>, ` +
    `${tr(STATUS_KEYS[d.status])}` +
    (d.status === 1 ? tr("insp.after", { ms: fmt(d.latency_ms, 1) }) : "") + after +
    fateText(d, l && l.figures, fmt) +
    ` <button id=close-inspect>${tr("insp.close")}</button><p>${tr(d.status === 1 ? "insp.bytes" : "insp.bytes_sent")}</p><table>` +
    `<tr><th>${tr("insp.offset")}</th><th>${tr("insp.bytes_col")}</th><th>${tr("insp.field")}</th>` +
    `<th>${tr("insp.value")}</th></tr>` +
    rows.map((x) => `<tr><td>${x.offset}</td><td>${x.bytes}</td><td>${x.field}</td>` +
                    `<td>${typeof x.value === "number" && !Number.isInteger(x.value)
                         ? fmt(x.value, 3) : x.value}</td></tr>`).join("") +
    "</table>" + d.hops.map((h) => `<div class=hop>${hopText(h, d.wire, l && l.ends, fmt)}</div>`)
      .join("");
  return { html, inspected: { status: STATUS[d.status], latency_ms: d.latency_ms, rows,
                              hops: d.hops, after: d.after, decoded: st, fate: d.fate || "" } };
}
