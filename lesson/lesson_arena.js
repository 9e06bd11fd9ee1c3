/* lesson_arena.js: a lane's arena on the lesson page (lesson.js imports
 * it): where each of its senders truly is (the states it sent), and the
 * receiver's view of each, raw and interpolated; a lane of four senders
 * draws each in a colour and with a number of its own. */
import { ARENA_W, ARENA_H } from "/ricochet.js";

export const SENDERS = 4;     /* the most senders per lane (the lesson's LIVE_SENDERS) */
const SENDER_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]; /* four senders' dots */
const TRUE_TRAIL_MS = 1500;   /* the true path drawn behind a sender */

/* A state's key in a lane's marks: its sender's seq and the sender. */
export const markKey = (sender, seq) => seq * SENDERS + sender;

/* A sender's colour: the lane's own when it has one sender. */
export function senderColor(l, k) {
  return l.senders > 1 ? SENDER_COLORS[k % SENDER_COLORS.length] : l.color;
}

/* Where sender k truly was at t (rate: states a second): between the two
 * states it sent around it. */
function truth(l, t, k, rate) {
  const at = Math.floor((t / 1000) * rate);
  let a = null, b = null;
  for (let s = at - 2; s <= at + 3; s++) {
    const m = l.marks.get(markKey(k, (l.firstSeq[k] || 1) + s)); /* its first: t 0 + phase */
    if (!m) continue;
    if (m.t <= t && (!a || m.t > a.t)) a = m;
    if (m.t > t && (!b || m.t < b.t)) b = m;
  }
  if (!a) return null;
  if (!b) return { x: a.x, y: a.y };
  const f = (t - a.t) / (b.t - a.t);
  return { x: a.x + (b.x - a.x) * f, y: a.y + (b.y - a.y) * f };
}

/* The states arrived by t into each sender's interpolation buffer. */
function feed(l, t) {
  while (l.fed < l.arrivals.length && l.arrivals[l.fed].recv <= t) {
    const m = l.arrivals[l.fed++];
    l.ib[m.sender].push({ seq: m.seq, send_us: Math.round(m.t * 1000), x: m.x, y: m.y,
                          vx: m.vx, vy: m.vy }, Math.round(m.recv * 1000));
  }
}

/* l's arena at t, the receiver's view interpMs behind; l.shown what it drew,
 * and at which t. */
export function drawArena(l, t, rate, interpMs) {
  const c = l.arena, g = c.getContext("2d"), k = c.width / ARENA_W;
  g.clearRect(0, 0, c.width, c.height);
  feed(l, t);
  const senders = [];
  for (let n = 0; n < l.senders; n++) {
    const color = senderColor(l, n);
    g.strokeStyle = l.senders > 1 ? color + "44" : "#ccc";
    g.beginPath();
    for (let s = t - TRUE_TRAIL_MS; s <= t; s += 50) {
      const p = truth(l, s, n, rate);
      if (p) g.lineTo(p.x * k, p.y * c.height / ARENA_H);
    }
    g.stroke();
    const p = truth(l, t, n, rate), shown = { truth: p, raw: null, interp: null };
    if (p) {
      g.strokeStyle = "#888";
      g.lineWidth = 2;
      g.beginPath();
      g.arc(p.x * k, p.y * k, 8, 0, 2 * Math.PI);
      g.stroke();
      g.lineWidth = 1;
    }
    const ib = l.ib[n], raw = ib.raw, i = ib.sampleAt(Math.round((t - interpMs) * 1000));
    if (raw) {
      shown.raw = { x: raw.x, y: raw.y, seq: raw.seq };
      g.strokeStyle = color;
      g.lineWidth = 2;
      g.beginPath();
      g.arc(raw.x * k, raw.y * k, 5, 0, 2 * Math.PI);
      g.stroke();
      g.lineWidth = 1;
    }
    if (i.kind !== "none") {
      shown.interp = { x: i.x, y: i.y, kind: i.kind };
      g.fillStyle = color;
      g.beginPath();
      g.arc(i.x * k, i.y * k, 4, 0, 2 * Math.PI);
      g.fill();
    }
    if (l.senders > 1 && (shown.interp || shown.raw)) { /* its number beside its dot */
      const at = shown.interp || shown.raw;
      g.fillStyle = color;
      g.font = "bold 10px system-ui";
      g.fillText(String(n + 1), at.x * k + 6, at.y * k - 5);
    }
    senders.push(shown);
  }
  l.shown = { ...senders[0], senders, at: t };
}
