/* tag.js: the tag page (tag.html), the browser's side of the game that
 * client/examples/tag.c plays in a terminal: the same room, the same bytes,
 * the same rules (docs/library.md, "A game: tag").
 *
 * Whoever is "it" chases the others; touching one tags it: "it" passes on
 * and the tagger scores a point; no tag-backs for two seconds. Each
 * player's colour, score and whether it is "it" travel in its state's
 * payload; a tag is an event, reliable and stamped by the relay with its
 * sender. Integers are big-endian:
 *   payload, 13 bytes: version 1, flags (bit 0: I am it), colour R, G, B,
 *     score (u32), hand-off (u32: how many times "it" passed, as I know it)
 *   tag event, 10 bytes: version 1, kind 1, the tagged id (u32), the
 *     hand-off it makes (u32: one more than the tagger knew)
 * A longer payload or event of version 1 is read for these bytes; another
 * version, or a shorter one, is ignored.
 *
 * A room whose prop script is "tag" has a referee: the relay runs
 * examples/scripts/tag.lua (docs/scripts.md). Its word comes from sender
 * 4294967295 (ID_MAX): a state too far from the last for its time (a
 * teleport) is corrected to the speed limit, and the room says "fix ID X Y"
 * to every member; the player so corrected goes on from X, Y, the page
 * notes where it sees another next. The room keeps "it" (an id), shown.
 * &script=tag asks for it in the room the page's join makes; &teleport=S
 * (or T) jumps once to the far corner, S seconds in, for the room to
 * correct.
 *
 * The URL says what to join: ?room=tag&name=ana&colour=1f77b4 (and ws=URL
 * to reach a relay elsewhere; auto=1: the page plays by itself, as tag.c's
 * --auto). Arrows or WASD move, P toggles playing by itself.
 * window.ricochetTag.snapshot() returns a copy of what the page shows, for
 * tests. */
import { Session, TO_ROOM, ID_MAX, ARENA_W, ARENA_H, nowUs, seqAfter, validName, validPlayerName } from "./ricochet.js";

const SPEED = 25, AUTO_SPEED = 20, AUTO_IT_SPEED = 40; /* arena units a second */
const TOUCH = 3;                /* closer than this is a touch */
const NO_TAG_BACK_US = 2000000;
const ELECT_US = 1000000;       /* "it" unknown this long: the lowest id takes it */
const RATE = 20;                /* states a second */
const RETRY_MS = 2000;
const TAG_VERSION = 1, TAG_KIND_TAG = 1, TAG_FLAG_IT = 1;
const PAYLOAD_LEN = 13, EVENT_LEN = 10;
const PALETTE = ["d62728", "2ca02c", "b8860b", "1f77b4", "9467bd", "17becf"];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const hex6 = (s) => typeof s === "string" && /^[0-9a-fA-F]{6}$/.test(s);

const game = {
  room: validName(params.get("room")) ? params.get("room") : "tag",
  name: validPlayerName(params.get("name")) ? params.get("name")
    : "web-" + String(Math.floor(Math.random() * 1000)).padStart(3, "0"),
  colour: hex6(params.get("colour")) ? params.get("colour").toLowerCase()
    : PALETTE[Math.floor(Math.random() * PALETTE.length)],
  auto: params.get("auto") === "1",
  session: null,
  me: 0, it: 0, handoff: 0, said: 0,
  unknownSince: 0, frozenUntil: 0,
  score: 0, tagsSeen: 0,
  x: 10 + Math.random() * 80, y: 10 + Math.random() * 80, dx: 1, dy: 0, atUs: 0,
  keys: new Set(),
  players: new Map(), /* id -> what its newest payload says */
  log: [],            /* the tags seen: {from, to, handoff} */
  script: params.get("script") === "tag" ? "tag" : "",
  teleportAt: 0,      /* ms (performance.now) of the jump asked for; 0: none */
  roomIt: 0,          /* who the room says is "it" (0: it says nothing) */
  fixes: [],          /* the room's corrections: {id, x, y, seen: {x, y} where I saw it next} */
  teleports: [],      /* my jumps: {from: {x, y}, to: {x, y}, fixesBefore: the room's fixes then} */
};
if (Number.parseFloat(params.get("teleport")) >= 0)
  game.teleportAt = performance.now() + Number.parseFloat(params.get("teleport")) * 1000 + 1;

/* ---- the game's bytes ---- */

function encodePayload() {
  const b = new Uint8Array(PAYLOAD_LEN), dv = new DataView(b.buffer);
  b[0] = TAG_VERSION;
  b[1] = game.it === game.me && game.me ? TAG_FLAG_IT : 0;
  for (let i = 0; i < 3; i++) b[2 + i] = parseInt(game.colour.slice(2 * i, 2 * i + 2), 16);
  dv.setUint32(5, game.score);
  dv.setUint32(9, game.handoff);
  return b;
}

function decodePayload(b) {
  if (!b || b.length < PAYLOAD_LEN || b[0] !== TAG_VERSION) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { it: Boolean(b[1] & TAG_FLAG_IT),
           colour: Array.from(b.slice(2, 5), (v) => v.toString(16).padStart(2, "0")).join(""),
           score: dv.getUint32(5), handoff: dv.getUint32(9) };
}

function encodeTag(tagged, handoff) {
  const b = new Uint8Array(EVENT_LEN), dv = new DataView(b.buffer);
  b[0] = TAG_VERSION;
  b[1] = TAG_KIND_TAG;
  dv.setUint32(2, tagged);
  dv.setUint32(6, handoff);
  return b;
}

function decodeTag(b) {
  if (!b || b.length < EVENT_LEN || b[0] !== TAG_VERSION || b[1] !== TAG_KIND_TAG) return null;
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { tagged: dv.getUint32(2), handoff: dv.getUint32(6) };
}

const after = (a, b) => ((a - b) | 0) > 0; /* hand-off numbers, wrap-safely */

/* ---- the rules ---- */

function setIt(id, n, now) {
  if (id !== game.it) game.frozenUntil = now + NO_TAG_BACK_US;
  game.it = id;
  game.handoff = n >>> 0;
}

function nameOf(id) {
  if (id === game.me) return game.name;
  const m = game.session && game.session.members.get(id);
  return (m && m.name) || "#" + id;
}

function seen(from, to, n) {
  game.tagsSeen++;
  game.said = n;
  game.log.push({ from, to, handoff: n, fromName: nameOf(from), toName: nameOf(to) });
  if (game.log.length > 200) game.log.shift();
  const li = document.createElement("li");
  li.textContent = `${nameOf(from)} tagged ${nameOf(to)} (hand-off ${n})`; /* names: text */
  $("tags").prepend(li);
  while ($("tags").childNodes.length > 12) $("tags").lastChild.remove();
}

/* A member's newest payload: its colour and score, and a claim to be "it"
 * that is news to me (a newcomer learns so who is it). */
function onPayload(id, st, now) {
  const d = decodePayload(st.payload);
  if (!d) return;
  const p = game.players.get(id);
  if (p && !seqAfter(st.seq, p.seq)) return;
  game.players.set(id, Object.assign({ id, seq: st.seq }, d));
  if (d.it && (after(d.handoff, game.handoff) ||
               (d.handoff === game.handoff && (!game.it || id < game.it))))
    setIt(id, d.handoff, now);
}

/* A tag event: taken if its hand-off is news (the tagged one's payload may
 * have told it first: then it is only seen). */
function onTag(from, data, now) {
  const t = decodeTag(data);
  if (!t || after(game.handoff, t.handoff) || !after(t.handoff, game.said)) return;
  if (t.handoff !== game.handoff) setIt(t.tagged, t.handoff, now);
  seen(from, t.tagged, t.handoff);
}

function tag(id, now) {
  const n = (game.handoff + 1) >>> 0;
  if (!game.session.sendEvent(TO_ROOM, encodeTag(id, n))) return;
  setIt(id, n, now);
  game.score++;
  seen(game.me, id, n);
}

/* "it" unknown for ELECT_US: the lowest id of the room takes it. */
function elect(now) {
  if (game.it || now - game.unknownSince < ELECT_US) return;
  let lowest = game.me;
  for (const m of game.session.members.values()) if (m.name && m.id < lowest) lowest = m.id;
  setIt(lowest, game.handoff + 1, now);
}

/* ---- moving ---- */

const STEER = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
                a: [-1, 0], d: [1, 0], w: [0, -1], s: [0, 1] };

function others() {
  return game.session ? Array.from(game.session.members.values()).filter((m) => m.hasState) : [];
}

/* Playing by itself: "it" heads for the nearest player, the others away
 * from "it". */
function autopilot() {
  const me = game.it === game.me;
  let target = null, best = Infinity;
  for (const m of others()) {
    const d = Math.hypot(m.last.x - game.x, m.last.y - game.y);
    if (me ? d < best : m.id === game.it) { best = d; target = m; }
  }
  if (!target) return;
  const vx = target.last.x - game.x, vy = target.last.y - game.y, len = Math.hypot(vx, vy);
  if (len > 0.01) {
    game.dx = (me ? 1 : -1) * vx / len;
    game.dy = (me ? 1 : -1) * vy / len;
  }
}

function keysHeld() {
  let dx = 0, dy = 0;
  for (const k of game.keys) {
    dx += STEER[k][0];
    dy += STEER[k][1];
  }
  const len = Math.hypot(dx, dy);
  return len ? [dx / len, dy / len] : [0, 0];
}

/* Moves me to now (playing by itself, bouncing off the walls; else at the
 * keys' direction, stopped by them); as "it", tags whoever I touch. */
function advance(now) {
  const dt = game.atUs ? Math.min(0.25, (now - game.atUs) / 1e6) : 0;
  game.atUs = now;
  if (!game.auto) [game.dx, game.dy] = keysHeld();
  const speed = !game.auto ? SPEED : game.it === game.me ? AUTO_IT_SPEED : AUTO_SPEED;
  game.x += game.dx * speed * dt;
  game.y += game.dy * speed * dt;
  if (game.auto) {
    if (game.x < 0 || game.x > ARENA_W) { game.dx = -game.dx; game.x = game.x < 0 ? -game.x : 2 * ARENA_W - game.x; }
    if (game.y < 0 || game.y > ARENA_H) { game.dy = -game.dy; game.y = game.y < 0 ? -game.y : 2 * ARENA_H - game.y; }
  }
  game.x = Math.min(ARENA_W, Math.max(0, game.x));
  game.y = Math.min(ARENA_H, Math.max(0, game.y));
  if (game.it !== game.me || now < game.frozenUntil) return;
  for (const m of others())
    if (Math.hypot(m.last.x - game.x, m.last.y - game.y) < TOUCH) {
      tag(m.id, now);
      return;
    }
}

/* The room's word: a correction ("fix ID X Y"), or who is "it" (kept). */
function onRoomWord(e) {
  const text = new TextDecoder().decode(e.data), fix = /^fix (\d+) (-?[\d.]+) (-?[\d.]+)$/.exec(text);
  if (e.key === "it" && /^\d+$/.test(text)) game.roomIt = Number(text);
  else if (fix) {
    const f = { id: Number(fix[1]), x: Number(fix[2]), y: Number(fix[3]), seen: null };
    game.fixes.push(f);
    if (f.id === game.me) { /* the room's word: I go on from there */
      game.x = f.x;
      game.y = f.y;
      f.seen = { x: f.x, y: f.y };
    }
  }
}

/* A jump to the far corner, for the room's referee to correct. */
function teleport() {
  const to = { x: game.x < 50 ? 95 : 5, y: game.y < 50 ? 95 : 5 };
  game.teleports.push({ from: { x: game.x, y: game.y }, to, fixesBefore: game.fixes.length });
  game.x = to.x;
  game.y = to.y;
  game.teleportAt = 0;
}

/* Every 1/RATE s: the rules, my move, my state with its payload. */
function turn() {
  const s = game.session, now = nowUs();
  if (!s || s.phase !== "joined") return;
  if (game.teleportAt && performance.now() >= game.teleportAt) teleport();
  elect(now);
  if (game.auto) autopilot();
  advance(now);
  s.sendState({ x: game.x, y: game.y, vx: game.dx * SPEED, vy: game.dy * SPEED,
                heading: Math.atan2(game.dy, game.dx) }, encodePayload());
}

function steerKey(e) {
  if (e.target && e.target.tagName === "INPUT") return;
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (STEER[k]) {
    e.preventDefault();
    if (e.type === "keydown") game.keys.add(k);
    else game.keys.delete(k);
  } else if (e.type === "keydown" && k === "p") {
    game.auto = !game.auto;
  } else if (e.type === "keydown" && k === "t") {
    game.teleportAt = performance.now();
  }
}

/* ---- the session ---- */

function connect() {
  const opts = { room: game.room, name: game.name, route: "ws" };
  if (game.script) opts.props = { script: game.script };
  if (params.get("ws")) opts.url = params.get("ws");
  const s = new Session(opts);
  game.session = s;
  $("status").textContent = `joining room ${game.room} as ${game.name} ...`;
  s.addEventListener("welcome", () => {
    game.me = s.id;
    game.it = 0;
    game.unknownSince = nowUs();
    $("status").textContent = `room ${game.room}, you are ${game.name} (#${s.id})`;
  });
  s.addEventListener("state", (e) => {
    for (const f of game.fixes) /* where I see a corrected player next */
      if (f.id === e.detail.id && !f.seen) f.seen = { x: e.detail.state.x, y: e.detail.state.y };
    onPayload(e.detail.id, e.detail.state, nowUs());
  });
  s.addEventListener("event", (e) => {
    if (e.detail.id === ID_MAX) onRoomWord(e.detail);
    else onTag(e.detail.id, e.detail.data, nowUs());
  });
  for (const type of ["left", "vanished"]) {
    s.addEventListener(type, (e) => {
      game.players.delete(e.detail.id);
      if (e.detail.id === game.it) {
        game.it = 0;
        game.unknownSince = nowUs();
      }
    });
  }
  s.addEventListener("close", (e) => {
    if (game.session !== s) return;
    $("status").textContent = `lost: ${e.detail.reason}; again in ${RETRY_MS / 1000} s`;
    setTimeout(connect, RETRY_MS);
  });
  s.start();
}

/* ---- drawing ---- */

function drawPlayer(g, k, x, y, colour, label, it) {
  g.fillStyle = "#" + colour;
  g.beginPath();
  g.arc(x * k, y * k, 10, 0, 2 * Math.PI);
  g.fill();
  if (it) {
    g.lineWidth = 4;
    g.strokeStyle = "#111";
    g.beginPath();
    g.arc(x * k, y * k, 15, 0, 2 * Math.PI);
    g.stroke();
  }
  g.lineWidth = 3;
  g.strokeStyle = "#fff";
  g.strokeText(label, x * k + 17, y * k - 12);
  g.fillStyle = "#222";
  g.fillText(label, x * k + 17, y * k - 12);
}

function frame() {
  const now = nowUs();
  const c = $("arena"), g = c.getContext("2d"), k = c.width / ARENA_W;
  g.clearRect(0, 0, c.width, c.height);
  g.font = "13px system-ui, sans-serif";
  for (const m of others()) {
    const p = game.players.get(m.id);
    const late = Math.min(0.1, Math.max(0, (now - m.lastRecvUs) / 1e6)); /* a little ahead */
    drawPlayer(g, k, m.last.x + m.last.vx * late, m.last.y + m.last.vy * late,
               p ? p.colour : "999999", `${m.name || "#" + m.id} ${p ? p.score : "?"}`,
               m.id === game.it);
  }
  drawPlayer(g, k, game.x, game.y, game.colour, `${game.name} (you) ${game.score}`,
             game.it === game.me && game.me !== 0);
  const me = game.it === game.me && game.me;
  $("you").textContent = !game.me ? "" : me ? (now < game.frozenUntil ? "You are it (wait...)"
    : "You are it: catch someone!") : `${nameOf(game.it)} is it: run!`;
  $("you").className = me ? "it" : "";
  requestAnimationFrame(frame);
}

function board() {
  const rows = [[game.me, game.name + " (you)", game.colour, game.score]];
  for (const m of others()) {
    const p = game.players.get(m.id);
    rows.push([m.id, m.name || "#" + m.id, p ? p.colour : "999999", p ? p.score : 0]);
  }
  rows.sort((a, b) => b[3] - a[3]);
  const body = $("board").tBodies[0];
  body.textContent = "";
  for (const [id, name, colour, score] of rows) {
    const tr = body.insertRow();
    const dot = document.createElement("i");
    dot.className = "dot";
    dot.style.background = "#" + colour;
    const td = tr.insertCell();
    td.append(dot, document.createTextNode(name)); /* names come from players: text */
    tr.insertCell().textContent = String(score);
    tr.insertCell().textContent = id === game.it ? "it" : id === game.roomIt ? "it (the room's)" : "";
  }
}

/* What the page shows, as plain data: a copy each call. */
function snapshot() {
  const s = game.session;
  return {
    room: game.room, name: game.name, phase: s ? s.phase : "closed", id: game.me,
    it: game.it, handoff: game.handoff, auto: game.auto, bad: s ? s.bad : 0,
    me: { x: game.x, y: game.y, colour: game.colour, score: game.score,
          it: game.it === game.me && game.me !== 0 },
    tagsSeen: game.tagsSeen, tags: game.log.slice(), roomIt: game.roomIt,
    fixes: game.fixes, teleports: game.teleports,
    members: others().map((m) => {
      const p = game.players.get(m.id);
      return { id: m.id, name: m.name, x: m.last.x, y: m.last.y, it: m.id === game.it,
               colour: p ? p.colour : null, score: p ? p.score : null,
               handoff: p ? p.handoff : null, claimsIt: p ? p.it : null };
    }),
  };
}

window.ricochetTag = Object.freeze({
  snapshot: () => JSON.parse(JSON.stringify(snapshot())),
});

$("colour").value = "#" + game.colour;
$("colour").addEventListener("input", () => { game.colour = $("colour").value.slice(1); });
window.addEventListener("keydown", steerKey);
window.addEventListener("keyup", steerKey);
window.addEventListener("blur", () => game.keys.clear());
connect();
setInterval(turn, 1000 / RATE);
setInterval(board, 250);
requestAnimationFrame(frame);
