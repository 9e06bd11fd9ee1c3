/* lesson_arena.js: a lane's arena and its strip on the lesson page
 * (lesson.js and lesson_guests.js import it): where each of its senders
 * truly is (the states it sent), and the receiver's view of each, raw and
 * interpolated; a lane of four senders draws each in a colour and with a
 * number of its own. The strip: each state by its send time and latency,
 * or a cross, over the last STRIP_MS. */
import { ARENA_W, ARENA_H } from "/ricochet.js";
import { i18n, tr } from "/lesson_words.js";

export const SENDERS = 4;     /* the most senders per lane (the lesson's LIVE_SENDERS) */
const SENDER_COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd"]; /* four senders' dots */
const TRUE_TRAIL_MS = 1500;   /* the true path drawn behind a sender */
export const STRIP_MS = 10000; /* the strip's width of send time */

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

/* A latency scale: the longest in sight in lanes, rounded up. Each strip has
 * its own (TCP's stairs would be flat beside polling's seconds), or, ticked,
 * every strip the longest's. */
export function scaleMs(lanes, t) {
  let top = 100;
  for (const l of lanes)
    for (const m of l.marks.values())
      if (m.status === 1 && m.t > t - STRIP_MS && m.recv <= t && m.lat > top) top = m.lat;
  const steps = [100, 150, 200, 300, 500, 750, 1000, 1500, 2000, 3000, 5000, 10000];
  return steps.find((s) => s >= top * 1.1) || top * 1.1;
}

/* A change of the network (live.json's model change: the page's controls
 * that make it) in the page's words and its buttons' numbers: "loss 2% ·
 * delay 40 ms"; netsim's own words if the lesson could not say it so. */
export function changeText(mc) {
  const c = mc.controls;
  if (!c) return mc.text;
  const n = (v) => new Intl.NumberFormat(i18n.lang, { maximumFractionDigits: 2,
                                                       useGrouping: false }).format(v);
  const parts = [];
  if (c["path-loss"] > 0) parts.push(tr("ctl.loss") + " " + n(c["path-loss"]) + "%");
  if (c["burst-length"] > 0) parts.push(tr("ctl.bursts") + " " + tr("burst.of", { n: n(c["burst-length"]) }));
  if (c["path-delay"] > 0) parts.push(tr("ctl.delay") + " " + n(c["path-delay"]) + " ms");
  if (c["path-jitter"] > 0) parts.push(tr("ctl.jitter") + " " + n(c["path-jitter"]) + " ms");
  if (c["up-rate-kbps"] > 0) parts.push(tr("ctl.up") + " " + tr("rate.kbps", { n: n(c["up-rate-kbps"]) }));
  if (c["down-rate-kbps"] > 0)
    parts.push(tr("ctl.down") + " " + tr("rate.kbps", { n: n(c["down-rate-kbps"]) }));
  return parts.length ? parts.join(" · ") : tr("preset.none");
}

/* l's strip at t: each state it keeps by its send time, an arrived one at
 * its latency (top ms at the top), a lost or too old one a cross; models,
 * the network's changes, as dashed lines with their words. l.points what
 * it drew, for a click; l.labels the words it wrote and where ({text, x,
 * y, w, h}: the box each takes), for tests. */
export function drawStrip(l, t, top, models) {
  const c = l.strip, dpr = window.devicePixelRatio || 1;
  const w = c.clientWidth, h = c.clientHeight;
  if (c.width !== Math.round(w * dpr) || c.height !== Math.round(h * dpr)) {
    c.width = Math.round(w * dpr);
    c.height = Math.round(h * dpr);
  }
  const g = c.getContext("2d");
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  const left = 36, band = 12, x = (s) => left + (s - (t - STRIP_MS)) / STRIP_MS * (w - left - 4);
  const y = (ms) => h - 14 - ms / top * (h - 14 - band - 4);
  g.font = "10px system-ui";
  g.fillStyle = "#888";
  g.strokeStyle = "#eee";
  l.labels = [];
  const label = (text, lx, ly) => { /* ly: its baseline; 10 px text, 8 above it */
    g.fillText(text, lx, ly);
    l.labels.push({ text, x: lx, y: ly - 8, w: g.measureText(text).width, h: 10 });
  };
  for (const f of [0, 0.5, 1]) {
    g.beginPath();
    g.moveTo(left, y(top * f));
    g.lineTo(w, y(top * f));
    g.stroke();
    /* the top one's words below its line, clear of "lost" in the band above it */
    label(Math.round(top * f) + " ms", 0, y(top * f) + (f === 1 ? 10 : 3));
  }
  label(tr("strip.lost"), 0, band);
  if (l.figures && l.figures.valid && !l.lossless) { /* a datagram lane's: order is not kept */
    const text = tr("strip.out_of_order", { n: l.figures.out_of_order });
    label(text, w - g.measureText(text).width - 4, band);
  }
  label(tr("strip.time", { s: STRIP_MS / 1000 }), left, h - 2);
  for (const mc of models) {
    if (mc.t_ms < t - STRIP_MS || mc.t_ms > t) continue;
    g.strokeStyle = "#b58900";
    g.setLineDash([4, 3]);
    g.beginPath();
    g.moveTo(x(mc.t_ms), band + 2);
    g.lineTo(x(mc.t_ms), h - 14);
    g.stroke();
    g.setLineDash([]);
    g.fillStyle = "#b58900";
    const text = changeText(mc), tw = g.measureText(text).width; /* left of it near the end */
    label(text, x(mc.t_ms) + 3 + tw > w ? x(mc.t_ms) - 3 - tw : x(mc.t_ms) + 3, band + 12);
  }
  l.points = [];
  for (const m of l.marks.values()) {
    if (m.t < t - STRIP_MS || m.t > t) continue;
    const px = x(m.t);
    if (m.status === 1 && m.recv <= t) {
      const py = y(Math.min(m.lat, top));
      g.fillStyle = senderColor(l, m.sender);
      g.fillRect(px - 1.5, py - 1.5, 3, 3);
      if (m.after) { /* came after a later one: ringed in too old's colour */
        g.strokeStyle = "#e67e00";
        g.strokeRect(px - 3.5, py - 3.5, 7, 7);
      }
      l.points.push({ seq: m.seq, sender: m.sender, x: px, y: py });
    } else if (m.status === 2 || m.status === 3) {
      g.strokeStyle = m.status === 2 ? "#d62728" : "#e67e00";
      g.beginPath();
      g.moveTo(px - 3, band - 3);
      g.lineTo(px + 3, band + 3);
      g.moveTo(px + 3, band - 3);
      g.lineTo(px - 3, band + 3);
      g.stroke();
      l.points.push({ seq: m.seq, sender: m.sender, x: px, y: band });
    }
  }
}

/* The state drawn nearest the click e on l's strip (within 8 px), or null. */
export function pointAt(l, e) {
  const r = l.strip.getBoundingClientRect(), px = e.clientX - r.left, py = e.clientY - r.top;
  let best = null, dist = 64;
  for (const p of l.points || []) {
    const d2 = (p.x - px) ** 2 + (p.y - py) ** 2;
    if (d2 < dist) {
      dist = d2;
      best = p;
    }
  }
  return best;
}

/* Where l's strip draws state seq of sender, in the window's coordinates,
 * the strip scrolled to the top of the window to be clicked there; or null. */
export function pointOnScreen(l, seq, sender = 0) {
  const p = l && (l.points || []).find((q) => q.seq === seq && q.sender === sender);
  if (!p) return null;
  l.strip.scrollIntoView({ block: "start" });
  const r = l.strip.getBoundingClientRect();
  return { x: r.left + p.x, y: r.top + p.y };
}
