/* lesson_guests.js: the lesson page's lanes of the learner's own programs
 * (lesson.js imports it). live.json's "door" says where a program goes,
 * over plain UDP and over TCP, and "guests" what the lesson saw of each
 * one that came (lesson/live_door.c, live_guests.c): its endpoint, the
 * door's socket for it (the flow netsim names) and the relay's; its states
 * each way, what netsim did to them, the longest gap; the relay's errors,
 * with what the program sent before them, or the relay's silence. Each is
 * a lane as the project's are: its dot on an arena (where the relay has it,
 * from the states netsim carried up), its strip (each state at the
 * lesson's time the door passed it, its height the time until netsim
 * carried it to the relay, a cross for one netsim dropped), each state
 * there clickable into the inspector. Its round trip is the time from its
 * ping to the relay's pong, both read by the door on the lesson's clock:
 * a one-way latency would need its states' send time on that clock, and
 * they carry the program's own. Words through the page's tr(); the
 * lesson's own sentences (why there is no TCP, how a program's lane ended)
 * and the relay's errors said in the page's language too. */
import { InterpBuffer } from "/ricochet.js";
import { STRIP_MS, drawArena, drawStrip, markKey, pointAt, pointOnScreen, scaleMs }
  from "/lesson_arena.js";
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

const portOf = (at) => (at ? at.slice(at.lastIndexOf(":") + 1) : UNKNOWN);
const hostOf = (at) => (at ? at.slice(0, at.lastIndexOf(":")).replace(/^\[|\]$/g, "") : "");

/* Where its bytes go, each endpoint with its port's kind: the program's
 * ephemeral one, the door it sent to and the relay (fixed), or (no IP mode)
 * netsim's proxy of the udp edge. */
function path(g, door, tr) {
  const at = door && (g.proto === "tcp" ? door.tcp : door.udp);
  return tr(door && door.proxy ? "guest.endpoint_proxy" : "guest.endpoint",
            { endpoint: g.endpoint, port: portOf(g.endpoint), door: at || UNKNOWN,
              dport: portOf(at), flow: g.flow || UNKNOWN, relay: g.relay || UNKNOWN,
              rport: portOf(g.relay) });
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
  const rtt = g.rtt ? tr("guest.rtt", { p50: fmt(g.rtt.p50_ms, 1), last: fmt(g.rtt.last_ms, 1),
                                        n: g.rtt.n })
                    : tr("guest.latency");
  return [up, down, gap + " · " + bytes, rtt];
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

const lanes = new Map(); /* each program's lane: its states, its canvases */
const gone = new Map();  /* the lanes of programs the lesson no longer lists: key -> their last */
const last = new Map();  /* each program's last listing */
let generation = "";      /* the lanes' start whose clock the states' times are on */
let pick = null;          /* what a click on a state does: (lane, seq) */

/* A state [seq, ms, status, latency ms or null, x, y, vx, vy] into its lane;
 * one netsim carried, among the arrivals the arena is fed in their order. */
function take(l, [seq, t, status, lat, x, y, vx, vy]) {
  const key = markKey(0, seq), before = l.marks.get(key);
  const m = { seq, sender: 0, t, status, lat, x, y, vx, vy, recv: lat === null ? null : t + lat };
  l.marks.set(key, m);
  if (status !== 1 || (before && before.status === 1)) return;
  const at = l.arrivals.findIndex((a) => a.recv > m.recv);
  const i = at < 0 ? l.arrivals.length : at;
  l.arrivals.splice(i, 0, m);
  l.fed = Math.min(l.fed, i);
}

/* States older than the strip and the arena's trail let go (not while paused). */
function forget(l, nowMs) {
  const old = nowMs - STRIP_MS - 5000;
  for (const [key, m] of l.marks) if (m.t < old) l.marks.delete(key);
  const gone = l.arrivals.findIndex((m) => m.recv >= old);
  const n = gone < 0 ? l.arrivals.length : gone;
  l.arrivals.splice(0, n);
  l.fed = Math.max(0, l.fed - n);
}

function card(box, key) {
  let el = box.querySelector(`[data-guest="${CSS.escape(key)}"]`);
  if (el) return el;
  el = document.createElement("div");
  el.className = "lane guest";
  el.dataset.guest = key;
  el.innerHTML = "<div><h2></h2><div class=endpoint></div><div class=figs></div>" +
                 "<div class=why></div></div>" +
                 "<canvas class=arena width=130 height=130></canvas><canvas class=strip></canvas>";
  box.appendChild(el);
  const l = { name: key, el, marks: new Map(), arrivals: [], fed: 0, ib: [new InterpBuffer()],
              senders: 1, color: "#555", firstSeq: [1], rate: 20,
              arena: el.querySelector(".arena"), strip: el.querySelector(".strip") };
  l.strip.addEventListener("click", (e) => {
    const p = pointAt(l, e);
    if (p && pick) pick(key, p.seq);
  });
  lanes.set(key, l);
  return el;
}

/* Where the program's states say it is: its rate and first seq as the
 * arena's true path reads them (states a second, the seq it would have
 * sent at the lanes' start), from its newest state and one 2 s before. */
function pace(l) {
  const ms = [...l.marks.values()].sort((a, b) => a.seq - b.seq), last = ms[ms.length - 1];
  const first = last && ms.find((m) => m.t >= last.t - 2000);
  if (!first || last.t <= first.t) return;
  l.rate = (last.seq - first.seq) / ((last.t - first.t) / 1000);
  l.firstSeq = [Math.round(last.seq - (last.t / 1000) * l.rate)];
}

/* The door's line into doorEl and a lane per program into box; d: the
 * page's view (door, guests, generation, nowMs, paused, you: the reader's
 * address, whose programs' lanes are marked); onPick(lane, seq): a click on
 * one of its states. A program the lesson stops listing (15 s after it
 * went) keeps its lane, greyed, until clearGone(): the class still reads
 * it. Returns whether such a lane is kept. */
export function drawGuests(doorEl, box, d, tr, fmt, onPick) {
  doorEl.textContent = doorText(d.door, tr);
  pick = onPick;
  if (d.generation !== generation) { /* the lanes started again: another clock */
    generation = d.generation;
    for (const l of lanes.values()) Object.assign(l, { marks: new Map(), arrivals: [], fed: 0,
                                                       ib: [new InterpBuffer()] });
  }
  const keep = new Set(), listed = new Map();
  for (const g of d.guests || []) listed.set(g.proto + " " + g.endpoint, g);
  for (const key of lanes.keys()) /* a lane the lesson stopped listing: kept */
    if (!listed.has(key) && last.has(key)) gone.set(key, last.get(key));
  for (const [key, g] of gone) if (!listed.has(key)) listed.set(key, g);
  for (const [key, g] of listed) {
    keep.add(key);
    const kept = !(d.guests || []).includes(g);
    if (!kept) {
      gone.delete(key);
      last.set(key, g);
    }
    const el = card(box, key), l = lanes.get(key);
    if (!kept) for (const m of g.marks || []) take(l, m);
    if (!d.paused && !kept) forget(l, d.nowMs);
    pace(l);
    el.classList.toggle("missing", g.state === "gone" || kept);
    const mine = !!d.you && hostOf(g.endpoint) === d.you;
    el.classList.toggle("mine-lane", mine);
    el.querySelector("h2").textContent = title(g, tr);
    if (mine) {
      const tag = document.createElement("span");
      tag.className = "mine";
      tag.textContent = tr("view.you");
      el.querySelector("h2").appendChild(tag);
    }
    el.querySelector(".endpoint").textContent = path(g, d.door, tr);
    el.querySelector(".figs").innerHTML = "";
    for (const line of figures(g, tr, fmt)) {
      const div = document.createElement("div");
      div.textContent = line;
      el.querySelector(".figs").appendChild(div);
    }
    el.querySelector(".why").textContent = trouble(g, tr) + (kept ? " " + tr("guests.kept") : "");
  }
  for (const el of [...box.children])
    if (!keep.has(el.dataset.guest)) {
      lanes.delete(el.dataset.guest);
      el.remove();
    }
  return gone.size > 0;
}

/* Lets go of the lanes of programs that stopped (the teacher's button). */
export function clearGone() {
  const n = gone.size;
  for (const key of gone.keys()) last.delete(key);
  gone.clear();
  return n;
}

/* Each program's arena and strip at t (a frame): interpMs behind for its
 * dot, its own latency scale unless all (every strip one) is given. */
export function drawGuestLanes(t, interpMs, all, models) {
  for (const l of lanes.values()) {
    drawArena(l, t, l.rate, interpMs);
    drawStrip(l, t, l.top = all || scaleMs([l], t), models);
  }
}

/* What tests read of each program's lane: its states kept and drawn, its
 * dot, its strip's scale; and where a state is drawn, to be clicked. */
export const guestLanesForTests = {
  guestLanes: () => [...lanes.values()].map((l) => ({
    name: l.name, marks: l.marks.size, drawn: (l.points || []).length, shown: l.shown || null,
    kept: gone.has(l.name), mine: l.el.classList.contains("mine-lane"),
    text: l.el.textContent,
    top: l.top, points: (l.points || []).map((p) => ({ seq: p.seq, y: p.y })) })),
  guestPoint: (name, seq) => pointOnScreen(lanes.get(name), seq),
};
