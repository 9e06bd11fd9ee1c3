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

/* Its title: only the reader's own program is "yours"; on a student's
 * laptop the others are classmates', on the teacher's page students'. */
const TITLES = { mine: ["guest.mine.udp", "guest.mine.tcp"],
                 other: ["guest.other.udp", "guest.other.tcp"], student: ["guest.udp", "guest.tcp"] };
function title(g, mine, viewer, tr) {
  const who = g.id ? tr("guest.who", { name: g.name || UNKNOWN, id: g.id, room: g.room || UNKNOWN })
                   : tr("guest.joining");
  const whose = TITLES[mine ? "mine" : viewer ? "other" : "student"];
  return tr(whose[g.proto === "tcp" ? 1 : 0]) + ": " + who;
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
const last = new Map();  /* each program's last whole listing (a brief one says its state only) */
let generation = "";      /* the lanes' start whose clock the states' times are on */
let pick = null;          /* what a click on a state does: (lane, seq) */

/* A program's lane name, as live.json's "shown" and the picker name it. */
export const guestKey = (g) => g.proto + " " + g.endpoint;

/* Is g the reader's own program (from the reader's address)? */
export const isMine = (g, you) => !!you && hostOf(g.endpoint) === you;

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

function card(key) {
  const l = lanes.get(key);
  if (l) return l.el;
  const el = document.createElement("div");
  el.className = "lane guest";
  el.dataset.guest = key;
  el.innerHTML = "<div><h2></h2><div class=endpoint></div><div class=figs></div>" +
                 "<div class=why></div></div>" +
                 "<canvas class=arena width=130 height=130></canvas><canvas class=strip></canvas>";
  const g = { name: key, el, marks: new Map(), arrivals: [], fed: 0, ib: [new InterpBuffer()],
              senders: 1, color: "#555", firstSeq: [1], rate: 20,
              arena: el.querySelector(".arena"), strip: el.querySelector(".strip") };
  g.strip.addEventListener("click", (e) => {
    const p = pointAt(g, e);
    if (p && pick) pick(key, p.seq);
  });
  lanes.set(key, g);
  return el;
}

/* Where the program's states say it is: its rate and first seq as the
 * arena's true path reads them (states a second, the seq it would have
 * sent at the lanes' start), from its newest state and one 2 s before. */
function pace(l) {
  const ms = [...l.marks.values()].sort((a, b) => a.seq - b.seq), end = ms[ms.length - 1];
  const first = end && ms.find((m) => m.t >= end.t - 2000);
  if (!first || end.t <= first.t) return;
  l.rate = (end.seq - first.seq) / ((end.t - first.t) / 1000);
  l.firstSeq = [Math.round(end.seq - (end.t / 1000) * l.rate)];
}

/* The door's line into doorEl and a lane per program: the reader's own into
 * mineBox (first on the page), the others into box (after the lanes),
 * those shown(key) says (the picker's choice) visible; d: the page's view
 * (door, guests, generation, nowMs, paused, you: the reader's address,
 * viewer: a student's laptop); onPick(lane, seq): a click on one of its
 * states; observe(el, key): each new lane's element, to know when it is in
 * view. A program that stopped stays listed, greyed, until the teacher
 * lets it go (clearGone): the class still reads it, after a reload too.
 * Returns whether such a lane is listed. */
export function drawGuests(doorEl, mineBox, box, d, tr, fmt, onPick, shown, observe) {
  doorEl.textContent = doorText(d.door, tr);
  pick = onPick;
  if (d.generation !== generation) { /* the lanes started again: another clock */
    generation = d.generation;
    for (const l of lanes.values()) Object.assign(l, { marks: new Map(), arrivals: [], fed: 0,
                                                       ib: [new InterpBuffer()] });
  }
  const keep = new Set();
  let stopped = false;
  for (const item of d.guests || []) {
    const key = guestKey(item);
    const g = item.brief ? { ...(last.get(key) || {}), ...item } : item;
    last.set(key, g);
    keep.add(key);
    const isNew = !lanes.has(key), el = card(key), l = lanes.get(key);
    if (isNew) observe(el, key);
    for (const m of item.marks || []) take(l, m);
    if (!d.paused) forget(l, d.nowMs);
    pace(l);
    const mine = isMine(g, d.you), into = mine ? mineBox : box;
    if (el.parentNode !== into) into.appendChild(el);
    stopped ||= g.state === "gone";
    el.classList.toggle("missing", g.state === "gone");
    el.classList.toggle("mine-lane", mine);
    el.classList.toggle("hidden", !mine && !shown(key));
    el.querySelector("h2").textContent = title(g, mine, d.viewer, tr);
    el.querySelector(".endpoint").textContent = path(g, d.door, tr);
    el.querySelector(".figs").innerHTML = "";
    for (const line of figures(g, tr, fmt)) {
      const div = document.createElement("div");
      div.textContent = line;
      el.querySelector(".figs").appendChild(div);
    }
    el.querySelector(".why").textContent = trouble(g, tr) +
                                          (g.state === "gone" ? " " + tr("guests.kept") : "");
  }
  for (const [key, l] of lanes)
    if (!keep.has(key)) {
      l.el.remove();
      lanes.delete(key);
      last.delete(key);
    }
  return stopped;
}

/* Lets go of the lanes of programs that stopped (the teacher's button): the
 * lesson forgets them, every page with it. Returns how many it forgot. */
export async function clearGone() {
  const r = await fetch("/guests", { method: "PUT", body: JSON.stringify({ clear: "gone" }),
                                     headers: { "Content-Type": "application/json" } });
  return r.ok ? (await r.json()).cleared : 0;
}

/* Each program's arena and strip at t (a frame): interpMs behind for its
 * dot, its own latency scale unless all (every strip one) is given. */
export function drawGuestLanes(t, interpMs, all, models, visible) {
  for (const l of lanes.values()) {
    if (l.el.classList.contains("hidden") || !visible(l.name)) continue;
    drawArena(l, t, l.rate, interpMs);
    drawStrip(l, t, l.top = all || scaleMs([l], t), models);
  }
}

/* What tests read of each program's lane: its states kept and drawn, its
 * dot, its strip's scale; and where a state is drawn, to be clicked. */
export const guestLanesForTests = {
  guestLanes: () => [...lanes.values()].map((l) => ({
    name: l.name, marks: l.marks.size, drawn: (l.points || []).length, shown: l.shown || null,
    kept: l.el.classList.contains("missing"), mine: l.el.classList.contains("mine-lane"),
    lost: [...l.marks.values()].filter((m) => m.status === 2).map((m) => m.seq)
      .sort((a, b) => a - b),
    first: l.el.parentNode && l.el.parentNode.id === "mine",
    text: l.el.textContent,
    top: l.top, points: (l.points || []).map((p) => ({ seq: p.seq, y: p.y })) })),
  guestPoint: (name, seq) => pointOnScreen(lanes.get(name), seq),
};
