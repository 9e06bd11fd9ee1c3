/* lesson_guests.js: the lesson page's lanes of the learner's own programs
 * (lesson.js imports it). live.json's "door" says where a program goes,
 * over plain UDP and over TCP, and "guests" what the lesson saw of each
 * one that came (lesson/live_door.c): its endpoint, the door's socket for
 * it (the flow netsim names) and the relay's; its states each way, what
 * netsim did to them, the longest gap; the relay's errors, with what the
 * program sent before them, or the relay's silence. The latency figures of
 * the project's lanes are said not measurable here: a one-way latency
 * needs the send time on the lesson's clock, and a program's states carry
 * its own. Words through the page's tr(); the lesson's own sentences (why
 * there is no TCP, how a program's lane ended) and the relay's errors said
 * in the page's language too. */
import { said, tName } from "/lesson_words.js";

const UNKNOWN = "-";

function doorText(door, tr) {
  if (!door || !door.udp) return "";
  const udp = tr(door.proxy ? "door.udp_proxy" : "door.udp",
                 { at: door.udp, relay: door.relay_udp || UNKNOWN });
  const tcp = door.tcp ? tr("door.tcp", { at: door.tcp, relay: door.relay_tcp || UNKNOWN })
                       : tr("door.no_tcp", { why: said(door.why) });
  return tr("door.line", { udp, tcp });
}

/* Where its bytes go: to the relay, or (no IP mode) to netsim's proxy of the udp edge. */
function path(g, door, tr) {
  return tr(door && door.proxy ? "guest.endpoint_proxy" : "guest.endpoint",
            { endpoint: g.endpoint, flow: g.flow || UNKNOWN, relay: g.relay });
}

function title(g, tr) {
  const who = g.id ? tr("guest.who", { name: g.name || UNKNOWN, id: g.id, room: g.room || UNKNOWN })
                   : tr("guest.joining");
  return tr(g.proto === "tcp" ? "guest.tcp" : "guest.udp") + ": " + who;
}

function figures(g, tr, fmt) {
  const tcp = g.proto === "tcp";
  const up = tr(tcp ? "guest.up_stream" : "guest.up",
                { sent: g.states_up, fwd: g.fwd_up, dropped: g.dropped_up });
  const down = tr(tcp ? "guest.down_stream" : "guest.down",
                  { got: g.states_down, dropped: g.dropped_down, room: g.room || UNKNOWN });
  const gap = tr("fig.gap", { ms: fmt(g.max_gap_ms, 0) });
  const bytes = tcp ? tr("guest.bytes_stream")
                    : tr("fig.bytes", { bytes: fmt(g.bytes_per_state, 0) });
  if (!g.states_up && !g.states_down) return []; /* no state yet: what went wrong says it all */
  return [up, down, gap + " · " + bytes, tr("guest.latency")];
}

/* The relay's error: what its code means, in the page's language (PROTOCOL.md's
 * error table), and the relay's own words, which may say more. */
function errorText(g, tr) {
  const meaning = tName("err." + g.error_code, null);
  return meaning === null ? g.error_message
                          : tr("guest.relay_said", { meaning, message: g.error_message });
}

/* What went wrong, in a line: the relay's error and the message before it,
 * or its silence to a program that has not joined; and its end. */
function trouble(g, tr) {
  const lines = [];
  if (g.error_code)
    lines.push(tr(g.sent_raw ? "guest.error_raw" : "guest.error",
                  { code: g.error_code, message: errorText(g, tr), len: g.sent_len,
                    hex: g.sent_hex }));
  else if (g.unanswered)
    lines.push(tr("guest.unanswered", { n: g.messages_up, len: g.sent_len, hex: g.sent_hex }));
  if (g.state === "gone") lines.push(tr("guest.gone", { why: said(g.end) }));
  return lines.join(" ");
}

function card(box, key) {
  let el = box.querySelector(`[data-guest="${CSS.escape(key)}"]`);
  if (el) return el;
  el = document.createElement("div");
  el.className = "lane guest";
  el.dataset.guest = key;
  el.innerHTML = "<div><h2></h2></div>" +
                 "<div><div class=endpoint></div><div class=figs></div><div class=why></div></div>";
  box.appendChild(el);
  return el;
}

/* The door's line into doorEl and a card per program into box. */
export function drawGuests(doorEl, box, door, guests, tr, fmt) {
  doorEl.textContent = doorText(door, tr);
  const keep = new Set();
  for (const g of guests || []) {
    const key = g.proto + " " + g.endpoint;
    keep.add(key);
    const el = card(box, key);
    el.classList.toggle("missing", g.state === "gone");
    el.querySelector("h2").textContent = title(g, tr);
    el.querySelector(".endpoint").textContent = path(g, door, tr);
    el.querySelector(".figs").innerHTML = "";
    for (const line of figures(g, tr, fmt)) {
      const div = document.createElement("div");
      div.textContent = line;
      el.querySelector(".figs").appendChild(div);
    }
    el.querySelector(".why").textContent = trouble(g, tr);
  }
  for (const el of [...box.children])
    if (!keep.has(el.dataset.guest)) el.remove();
}
