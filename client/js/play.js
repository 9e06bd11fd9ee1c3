/* play.js: the play page (play.html). Joins a room over the relay's
 * WebSocket (a stream), WebRTC data channels or WebTransport (datagrams
 * and streams over HTTP/3, on the relay's quic edge), draws every
 * member on a canvas a little in the past between the states around that
 * moment (ricochet.js's InterpBuffer, as ricochet-client draws), steers my
 * avatar with the arrows or WASD and sends its state at RATE Hz, and lists
 * the players with how their states arrive (mode, latency, loss, jitter)
 * and what each route cost in the states received over it.
 *
 * A lobby lists the relay's rooms with players, capacity and properties,
 * filtered (play_lobby.js), joins one, makes one with properties, or any
 * room with space under a prefix (the relay picks it). A URL without a
 * room opens the lobby before a room: a session that joins nothing watches
 * the rooms (the relay sends each change and keeps it while it pings), and
 * a click joins one in that same session; a relay that does not watch
 * closes it at its --join-timeout-ms, and the lobby opens the next.
 * The URL says what to join: ?room=lobby&name=ana&route=ws|webrtc|wt&mode=...
 * (any=1: room is a prefix, any room with space under it)
 * (and ws=URL, rtc=URL, wt=URL to reach a relay elsewhere, wtport=PORT a proxy
 * in front of its quic edge). What a room's script says (sender ID_MAX,
 * docs/scripts.md) is a line of the log in words, a kept one with its key.
 * The page stays the same player across a
 * reload: its key in this tab's sessionStorage, never shown. window.ricochetPlay
 * .snapshot() returns a copy of what the page shows, for tests. */
import { Session, InterpBuffer, MODES, ARENA_W, ARENA_H, nowUs, percentile, validName,
         validPlayerName, nameFault, validText, ID_MAX } from "./ricochet.js";
import { askLobby, roomRows, takeRoomInputs } from "./play_lobby.js";

const SPEED = 25;          /* arena units per second, ricochet-client's default */
const RATE = 20;           /* states per second */
const DELAY_US = 100000;   /* remote members are drawn this far in the past */
const EXTRAP_US = 250000;  /* ... and extrapolated at most this far past their newest state */
const RETRY_MS = 2000, RETRY_MAX_MS = 16000;
const SNAPS = 6;           /* recent loss covers SNAPS - 1 seconds */
const LATENCIES = 4000;    /* latencies kept per route for its percentiles */
const LOG_LINES = 200;
const LOBBY_MS = 2000;     /* the relay's rooms asked again this often (not every frame) */
const COLORS = ["#d62728", "#2ca02c", "#b8860b", "#1f77b4", "#9467bd", "#17becf"];
const ROUTES = { ws: "stream (WebSocket)", webrtc: "datagrams (WebRTC)",
                 wt: "datagrams (WebTransport)" };
const ROUTE_SHORT = { ws: "WebSocket", webrtc: "WebRTC", wt: "WebTransport" };
/* Does a mode travel over a route (its way there)? */
const modeOn = (mode, route) => Boolean(MODES[mode] &&
  (route === "webrtc" ? MODES[mode].channel : route === "wt" ? MODES[mode].wt : null));

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);

const page = {
  room: validName(params.get("room")) ? params.get("room") : "lobby",
  inLobby: !params.get("room") && !params.get("ticket"), /* no room asked: the lobby first */
  opened: 0, /* sessions the page started */
  name: validPlayerName(params.get("name")) ? params.get("name")
    : "web-" + String(Math.floor(Math.random() * 1000)).padStart(3, "0"),
  route: ROUTES[params.get("route")] ? params.get("route") : "ws",
  mode: modeOn(params.get("mode"), params.get("route")) ? params.get("mode") : "unsequenced",
  any: params.get("any") === "1", /* room is a prefix until a welcome names the room */
  lobby: { rooms: [], more: false, off: false },
  match: undefined, /* the lobby's filter: only rooms whose props hold it */
  props: undefined, /* a room my join makes gets these */
  session: null,
  retryMs: RETRY_MS,
  retryTimer: 0,
  lost: "",
  lacks: { ws: false, webrtc: false, wt: false }, /* routes the relay has no edge for (offerRoutes) */
  me: { x: 20 + Math.random() * 60, y: 20 + Math.random() * 60, vx: 0, vy: 0, heading: 0, atUs: 0 },
  keys: new Set(),
  remotes: new Map(), /* id -> {member, ib, snaps, view}; this session's */
  routes: { ws: newLedger(), webrtc: newLedger(), wt: newLedger() },
  ghosts: true,
  interp: true,
  frames: 0,
  chat: [],
  roomWords: [], /* what the room's script said: {key ("" unkept), text}, the last 50 */
};

/* ---- what each route cost ---- */

function newLedger() {
  return { sessions: 0, joinedUs: 0, since: 0, received: 0, expected: 0, late: 0,
           jitterSum: 0, jitterWeight: 0, maxGapUs: 0, latencies: [] };
}

/* A member's statistics into its route's totals (it left, or the session ended). */
function fold(route, m) {
  const l = page.routes[route], s = m.stats;
  l.received += s.received;
  l.expected += s.expected;
  l.late += s.reordered + s.tooOld;
  l.jitterSum += s.jitterUs * s.received;
  l.jitterWeight += s.received;
  l.maxGapUs = Math.max(l.maxGapUs, m.maxGapUs);
}

/* The route's totals with the live session's members added. */
function ledgerNow(route) {
  const l = page.routes[route], out = Object.assign({}, l);
  const s = page.session;
  out.seconds = (l.joinedUs + (l.since ? nowUs() - l.since : 0)) / 1e6;
  if (s && s.route === route) {
    for (const r of page.remotes.values()) {
      const st = r.member.stats;
      out.received += st.received;
      out.expected += st.expected;
      out.late += st.reordered + st.tooOld;
      out.jitterSum += st.jitterUs * st.received;
      out.jitterWeight += st.received;
      out.maxGapUs = Math.max(out.maxGapUs, r.member.maxGapUs);
    }
  }
  out.lost = Math.max(0, out.expected - out.received);
  out.lossPct = out.expected ? 100 * out.lost / out.expected : 0;
  out.p50Us = percentile(l.latencies, 50);
  out.p99Us = percentile(l.latencies, 99);
  out.jitterUs = out.jitterWeight ? out.jitterSum / out.jitterWeight : 0;
  delete out.latencies;
  return out;
}

/* ---- the session ---- */

function log(text, cls) {
  const d = new Date(), stamp = d.toTimeString().slice(0, 8);
  const div = document.createElement("div");
  div.textContent = stamp + " " + text; /* names and chat come from players: text, never markup */
  if (cls) div.className = cls;
  const box = $("log"), atEnd = box.scrollTop + box.clientHeight >= box.scrollHeight - 4;
  box.appendChild(div);
  while (box.childNodes.length > LOG_LINES) box.removeChild(box.firstChild);
  if (atEnd) box.scrollTop = box.scrollHeight;
}

function memberName(id) {
  const r = page.remotes.get(id);
  return (r && r.member.name) || "#" + id;
}

function remote(m) {
  let r = page.remotes.get(m.id);
  if (!r) {
    r = { member: m, ib: new InterpBuffer(EXTRAP_US, 1000000), snaps: [], view: { kind: "none" } };
    page.remotes.set(m.id, r);
  }
  r.member = m;
  return r;
}

function forget(id, route) {
  const r = page.remotes.get(id);
  if (!r) return;
  fold(route, r.member);
  page.remotes.delete(id);
}

/* My player across a reload: the key my first welcome gave, kept in this
 * tab's sessionStorage (gone with the tab; another tab is another player)
 * and given to every session the page opens after, so that a reload, a
 * switch of route or a relay lost and joined again is the same player. A
 * tab duplicated copies its storage: the copy's join takes the player's
 * place, and this tab's session ends "replaced"; it then forgets the key
 * (a reload here is a new player) and says so, and does not join again.
 * A key is a secret: the page never shows it, nor puts it in its URL or
 * its snapshot. */
const PLAYER_KEY_ITEM = "ricochet.play.key";

function savedKey() {
  try {
    const key = sessionStorage.getItem(PLAYER_KEY_ITEM) || "";
    return /^[0-9a-f]{32}$/.test(key) ? key : undefined;
  } catch (e) {
    return undefined; /* storage refused (a sandboxed frame): a new player each load */
  }
}

function keepKey(s) {
  try {
    if (s.key) sessionStorage.setItem(PLAYER_KEY_ITEM, s.key);
  } catch (e) { /* as above */ }
}

function forgetKey() {
  try {
    sessionStorage.removeItem(PLAYER_KEY_ITEM);
  } catch (e) { /* as above */ }
}

/* Ends the session we have (its members' statistics kept in its route's
 * totals) and opens one over page.route. */
function connect() {
  clearTimeout(page.retryTimer);
  if (page.session) {
    const old = page.session;
    page.session = null;
    endOf(old);
    old.close();
  }
  const opts = { room: page.room, name: page.name, route: page.route, mode: page.mode,
                 reflect: true, batch: true, any: page.any };
  if (page.inLobby) Object.assign(opts, { room: undefined, any: undefined, lobby: true });
  else opts.props = page.props;
  if (params.get("ws")) opts.url = params.get("ws");
  if (params.get("rtc")) opts.rtcUrl = params.get("rtc");
  if (params.get("wt")) opts.wtUrl = params.get("wt");
  if (Number(params.get("wtport")) > 0) opts.wtPort = Number(params.get("wtport"));
  if (params.get("ticket")) opts.ticket = params.get("ticket");
  const key = savedKey();
  if (key) opts.key = key;
  let s;
  try {
    s = new Session(opts);
  } catch (e) {
    status(String(e.message), true);
    return;
  }
  page.session = s;
  page.opened++;
  page.lost = "";
  status(`connecting over ${ROUTES[page.route]} ...`);
  if (page.inLobby) askLobby(s, page.match, true); /* sent once the route is up */
  else log(`connecting to ${page.any ? "any room under " : "room "}${page.room} as ${page.name} ` +
           `over ${ROUTES[page.route]}`);
  s.addEventListener("open", (e) => {
    if (e.detail.lobby) status("the lobby: pick a room of the list, or join any");
  });
  s.addEventListener("welcome", (e) => {
    const l = page.routes[s.route];
    l.sessions++;
    l.since = nowUs();
    page.retryMs = RETRY_MS;
    keepKey(s);
    page.remotes.clear();
    for (const m of s.members.values()) remote(m);
    const n = s.members.size;
    if (page.any) { /* the relay picked it: a switch or a reload joins it again */
      page.any = false;
      page.room = e.detail.room;
      $("room").value = page.room;
      remember();
    }
    listLobby();
    log(`joined room ${e.detail.room} as #${s.id}, ${n} other${n === 1 ? "" : "s"} here`, "ok");
    status(`joined room ${e.detail.room} as #${s.id} over ${ROUTES[s.route]}`);
  });
  s.addEventListener("roster", () => {
    for (const m of s.members.values()) remote(m);
    renderPlayers();
  });
  s.addEventListener("state", (e) => {
    const d = e.detail, r = page.remotes.get(d.id) || remote(s.members.get(d.id));
    r.ib.push(d.state, d.recvUs);
    if (d.latencyKnown) {
      const l = page.routes[s.route].latencies;
      if (l.length === LATENCIES) l.shift();
      l.push(Math.max(0, d.latencyUs));
    }
  });
  s.addEventListener("joined", (e) => log(`${e.detail.name} (#${e.detail.id}) joined${
    e.detail.mode ? ", " + e.detail.mode : ""}`, "ok"));
  s.addEventListener("rejoined", (e) => log(`${e.detail.name} (#${e.detail.id}) is back${
    e.detail.was !== e.detail.id ? `, was #${e.detail.was}` : ""}`, "ok"));
  s.addEventListener("appeared", (e) => log(`${e.detail.name} (#${e.detail.id}) came into sight`, "ok"));
  s.addEventListener("left", (e) => {
    log(`${e.detail.name} (#${e.detail.id}) left: ${e.detail.reason}`);
    forget(e.detail.id, s.route);
  });
  s.addEventListener("vanished", (e) => {
    log(`${memberName(e.detail.id)} (#${e.detail.id}) went out of sight`);
    forget(e.detail.id, s.route);
  });
  s.addEventListener("chat", (e) => {
    page.chat.push({ id: e.detail.id, name: e.detail.name, text: e.detail.text });
    if (page.chat.length > 50) page.chat.shift();
    log(`<${e.detail.name}> ${e.detail.text}`, "chat");
  });
  s.addEventListener("event", (e) => {
    if (e.detail.id !== ID_MAX) return; /* a member's: the game's bytes, not the page's */
    const text = new TextDecoder().decode(e.detail.data).replace(/[\u0000-\u001f\u007f]/g, "?");
    page.roomWords.push({ key: e.detail.key || "", text });
    if (page.roomWords.length > 50) page.roomWords.shift();
    log(e.detail.key ? `the room keeps ${e.detail.key}: ${text || "(cleared)"}`
                     : `the room says: ${text}`, "ok");
  });
  s.addEventListener("rooms", (e) => {
    page.lobby = { rooms: e.detail.rooms, more: e.detail.more, off: false };
    renderLobby();
  });
  s.addEventListener("room", (e) => log(`the room is ${e.detail.open ? "open" : "closed"} now` +
    (e.detail.mine ? ", and yours" : e.detail.owner ? "" : ", and no one's"), "ok"));
  s.addEventListener("error", (e) => {
    if (e.detail.code === "listing_off") page.lobby = { rooms: [], more: false, off: true };
    log(`relay error ${e.detail.code}: ${e.detail.message}`, "warn");
  });
  s.addEventListener("close", (e) => {
    if (page.session !== s) return; /* a switch closed it */
    if (page.inLobby && e.detail.code === "not_joined") {
      connect(); /* the relay's join timeout: the next lobby session lists again */
      return;
    }
    page.lobby = { rooms: [], more: false, off: false }; /* a list of a relay gone */
    renderLobby();
    endOf(s);
    page.lost = e.detail.reason;
    if (e.detail.code === "replaced") { /* my player plays elsewhere: never take it back */
      forgetKey();
      log("replaced: this player plays in another tab or window now (a duplicated tab " +
          "shares its key); reload to play here as a new player", "warn");
      status("replaced: this player plays in another tab or window; reload to play as a " +
             "new player", true);
      return;
    }
    log(`relay lost: ${e.detail.reason}; again in ${page.retryMs / 1000} s`, "warn");
    status(`lost: ${e.detail.reason}`, true);
    page.retryTimer = setTimeout(connect, page.retryMs);
    page.retryMs = Math.min(RETRY_MAX_MS, page.retryMs * 2);
  });
  s.start();
}

/* A session is over: its time and its members' statistics go to its route. */
function endOf(s) {
  const l = page.routes[s.route];
  if (l.since) {
    l.joinedUs += nowUs() - l.since;
    l.since = 0;
  }
  for (const id of Array.from(page.remotes.keys())) forget(id, s.route);
}

function status(text, bad) {
  $("status").textContent = text;
  $("status").className = bad ? "bad" : "sub";
  document.body.setAttribute("data-phase", page.session ? page.session.phase : "closed");
}

/* ---- my avatar ---- */

const STEER = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
                a: [-1, 0], d: [1, 0], w: [0, -1], s: [0, 1] };

/* Moves me to now at my velocity (walls stop me), then takes the velocity
 * of the keys held now. */
function advance(now) {
  const me = page.me;
  const dt = me.atUs ? Math.min(0.25, (now - me.atUs) / 1e6) : 0; /* after a stall, no leap */
  me.atUs = now;
  me.x = Math.min(ARENA_W, Math.max(0, me.x + me.vx * dt));
  me.y = Math.min(ARENA_H, Math.max(0, me.y + me.vy * dt));
  let dx = 0, dy = 0;
  for (const k of page.keys) {
    dx += STEER[k][0];
    dy += STEER[k][1];
  }
  dx = Math.sign(dx);
  dy = Math.sign(dy);
  const len = Math.hypot(dx, dy) || 1;
  me.vx = SPEED * dx / len;
  me.vy = SPEED * dy / len;
  if (dx || dy) me.heading = Math.atan2(dy, dx);
}

function sendState() {
  advance(nowUs());
  if (page.session && page.session.phase !== "closed") page.session.sendState(page.me);
}

function steerKey(e) {
  const t = e.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "SELECT" || t.tagName === "TEXTAREA")) {
    if (e.key === "Escape") t.blur();
    return;
  }
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (STEER[k]) {
    e.preventDefault();
    const now = nowUs();
    advance(now); /* to now at the old velocity ... */
    if (e.type === "keydown") page.keys.add(k);
    else page.keys.delete(k);
    advance(now); /* ... and the new one from now */
  } else if (e.type === "keydown" && k === "g") {
    page.ghosts = !page.ghosts;
  } else if (e.type === "keydown" && k === "i") {
    page.interp = !page.interp;
  } else if (e.type === "keydown" && k === "Enter") {
    e.preventDefault();
    $("say").focus();
  }
}

/* ---- drawing ---- */

function colorOf(id) {
  return COLORS[id % COLORS.length];
}

function fmt(v, digits) {
  return Number.isFinite(v) ? v.toFixed(digits) : "-";
}

function drawAvatar(g, sx, sy, p, color, label, heading, kind) {
  const x = p.x * sx, y = p.y * sy, r = 9;
  g.globalAlpha = kind === "stale" ? 0.4 : 1;
  g.fillStyle = color;
  g.beginPath();
  g.arc(x, y, r, 0, 2 * Math.PI);
  g.fill();
  g.strokeStyle = "#222";
  g.lineWidth = 1.5;
  g.beginPath();
  g.moveTo(x, y);
  g.lineTo(x + Math.cos(heading) * (r + 6), y + Math.sin(heading) * (r + 6));
  g.stroke();
  g.lineWidth = 3;
  g.strokeStyle = "#fff"; /* a halo keeps a label readable over another avatar */
  g.strokeText(label, x + r + 4, y - r);
  g.fillStyle = "#222";
  g.fillText(label, x + r + 4, y - r);
  g.globalAlpha = 1;
}

function drawGhost(g, sx, sy, p, color, r) {
  g.strokeStyle = color;
  g.lineWidth = 1.5;
  g.setLineDash([3, 3]);
  g.beginPath();
  g.arc(p.x * sx, p.y * sy, r, 0, 2 * Math.PI);
  g.stroke();
  g.setLineDash([]);
}

function frame() {
  const now = nowUs();
  advance(now);
  const c = $("arena"), dpr = window.devicePixelRatio || 1, w = 520, h = 520;
  if (c.width !== w * dpr) {
    c.width = w * dpr;
    c.height = h * dpr;
    c.style.width = w + "px";
    c.style.height = h + "px";
  }
  const g = c.getContext("2d"), sx = w / ARENA_W, sy = h / ARENA_H;
  g.setTransform(dpr, 0, 0, dpr, 0, 0);
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#eee";
  g.lineWidth = 1;
  g.beginPath();
  for (let i = 10; i < 100; i += 10) {
    g.moveTo(i * sx, 0);
    g.lineTo(i * sx, h);
    g.moveTo(0, i * sy);
    g.lineTo(w, i * sy);
  }
  g.stroke();
  g.font = "12px system-ui, sans-serif";
  for (const [id, r] of page.remotes) {
    const raw = r.ib.raw;
    r.view = page.interp ? r.ib.sampleAt(now - DELAY_US)
      : raw ? { kind: "raw", x: raw.x, y: raw.y } : { kind: "none" };
    if (r.view.kind === "none") continue;
    if (page.ghosts && raw) drawGhost(g, sx, sy, raw, colorOf(id), 9);
    const st = r.member.last;
    drawAvatar(g, sx, sy, r.view, colorOf(id), r.member.name || "#" + id, st ? st.heading : 0,
               r.view.kind);
  }
  const s = page.session;
  if (page.ghosts && s && s.echo) drawGhost(g, sx, sy, s.echo, "#888", 13); /* a ring around me */
  drawAvatar(g, sx, sy, page.me, "#222", page.name + " (you)", page.me.heading, "");
  page.frames++;
  requestAnimationFrame(frame);
}

/* ---- tables ---- */

function fill(id, rows) {
  const body = $(id).tBodies[0];
  body.textContent = "";
  for (const cells of rows) {
    const tr = document.createElement("tr");
    for (const c of cells) {
      const td = document.createElement("td");
      if (c instanceof Node) {
        td.appendChild(c);
      } else if (c && typeof c === "object") {
        if (c.dot) {
          const dot = document.createElement("i");
          dot.className = "dot";
          dot.style.background = c.dot;
          td.appendChild(dot);
        }
        td.appendChild(document.createTextNode(c.text));
        if (c.cls) td.className = c.cls;
        if (c.title) td.title = c.title;
      } else {
        td.textContent = c;
      }
      tr.appendChild(td);
    }
    body.appendChild(tr);
  }
}

/* Loss over the last seconds, from the snapshots taken each second. */
function recentLoss(r) {
  if (r.snaps.length < 2) return NaN;
  const a = r.snaps[0], st = r.member.stats;
  const exp = st.expected - a.expected, rec = st.received - a.received;
  return exp > 0 ? 100 * Math.max(0, exp - rec) / exp : NaN;
}

function memberRow(id, r) {
  const m = r.member, st = m.stats;
  const mode = MODES[m.mode];
  return {
    id, name: m.name, mode: m.mode, arrivedAs: m.arrivedAs,
    x: r.view.x, y: r.view.y, view: r.view.kind,
    raw: r.ib.raw ? { x: r.ib.raw.x, y: r.ib.raw.y, seq: r.ib.raw.seq } : null,
    received: st.received, expected: st.expected, lost: st.lost, lossPct: st.lossPct,
    recentLossPct: recentLoss(r), reordered: st.reordered, duplicates: st.duplicates,
    tooOld: st.tooOld, latencyKnown: m.latencyKnown,
    latencyMs: st.received - st.noLatency ? st.latencyMeanUs / 1000 : NaN,
    boundMs: m.latencyKnown ? m.latencyBoundUs / 1000 : NaN, jitterMs: st.jitterUs / 1000,
    modeWhat: mode ? mode.what : "",
  };
}

function renderPlayers() {
  const rows = [];
  for (const [id, r] of page.remotes) {
    const v = memberRow(id, r);
    rows.push([{ text: v.name || "?", dot: colorOf(id) }, id,
      { text: v.mode || "?", cls: "mode", title: v.modeWhat },
      { text: v.arrivedAs || "-", cls: "mode" },
      fmt(v.latencyMs, 1), fmt(v.boundMs, 1), fmt(v.lossPct, 1) + "%",
      Number.isFinite(v.recentLossPct) ? fmt(v.recentLossPct, 1) + "%" : "-",
      v.reordered + v.tooOld, fmt(v.jitterMs, 1), { text: v.view, cls: "view" }]);
  }
  fill("players", rows.length ? rows : [["nobody else here", "", "", "", "", "", "", "", "", "", ""]]);
  fill("routes", Object.keys(ROUTES).map((route) => {
    const l = ledgerNow(route), on = page.session && page.session.route === route;
    const any = l.expected > 0, ms = (us, d) => (any ? fmt(us / 1000, d) : "-");
    return [{ text: ROUTE_SHORT[route], cls: on ? "now" : "", title: on ? "the route now" : "" },
      l.seconds ? fmt(l.seconds, 0) + " s" : "-", l.received, any ? fmt(l.lossPct, 1) + "%" : "-",
      l.late, ms(l.p50Us, 1), ms(l.p99Us, 1), ms(l.jitterUs, 1), ms(l.maxGapUs, 0)];
  }));
  const s = page.session;
  let me = `you: ${page.name}`;
  if (s && s.phase === "joined") {
    me += ` #${s.id}, ${s.route === "ws" ? "ws" : s.route + ", " + s.mode}, sent ${s.sent}`;
    if (s.rttUs) me += `, round trip ${fmt(s.rttUs / 1000, 1)} ms`;
    me += s.clock.valid ? `, clock \u00b1${fmt(s.clock.boundUs / 1000, 2)} ms` : ", clock not yet known";
    if (s.skipped) me += `, ${s.skipped} held back`;
  }
  $("me").textContent = me;
}

/* ---- the lobby ---- */

function listLobby(changed = false) {
  const s = page.session;
  if (s && (s.phase === "joined" || s.phase === "lobby") && !page.lobby.off)
    askLobby(s, page.match, changed);
}

function renderLobby() {
  const s = page.session, here = s && s.phase === "joined" ? s.room : "";
  fill("rooms", roomRows(page.lobby, here, (room) => joinRoom($("room").value = room, false)));
}

/* The lobby's filter and a new room's props into page: false (the status
 * says why) if either is not key=value pairs within the props' bounds. */
function roomInputsOk() {
  const bad = takeRoomInputs(page, $("match").value, $("props").value);
  if (bad) status(bad, true);
  return !bad;
}

/* Joins room (any: a room with space under the prefix room): in the
 * lobby's session if it is still open under this name, else in a new one. */
function joinRoom(room, any) {
  if (!roomInputsOk()) return;
  page.room = room;
  page.any = any;
  page.inLobby = false;
  remember();
  const s = page.session;
  if (s && s.phase === "lobby" && s.name === page.name && s.join(room, any, { props: page.props })) {
    log(`joining ${any ? "any room under " : "room "}${room} as ${page.name} from the lobby`);
    return;
  }
  connect();
}

/* Every second: (expected, received) per member, for the recent loss. */
function snapshotLoss() {
  for (const r of page.remotes.values()) {
    r.snaps.push({ expected: r.member.stats.expected, received: r.member.stats.received });
    if (r.snaps.length > SNAPS) r.snaps.shift();
  }
}

/* ---- controls ---- */

function setup() {
  $("room").value = page.room;
  $("name").value = page.name;
  for (const input of document.querySelectorAll("input[name=route]"))
    input.checked = input.value === page.route;
  $("mode").value = page.mode;
  modeMenu();
  renderLobby();
  $("join").addEventListener("submit", (e) => {
    e.preventDefault();
    const room = $("room").value.trim(), name = $("name").value.trim();
    if (!validName(room) || nameFault(name)) {
      status(validName(room) ? nameFault(name) : "a room: 1-32 of A-Z a-z 0-9 _ - .", true);
      return;
    }
    page.name = name;
    joinRoom(room, false);
  });
  $("filter").addEventListener("submit", (e) => {
    e.preventDefault();
    if (roomInputsOk()) listLobby(true);
  });
  $("lobby").addEventListener("submit", (e) => {
    e.preventDefault();
    const prefix = $("prefix").value.trim(), name = $("name").value.trim();
    if (!validName(prefix) || prefix.length > 28 || nameFault(name)) {
      status(nameFault(name) || "a prefix: 1-28 of A-Z a-z 0-9 _ - . (the relay adds a number)",
             true);
      return;
    }
    page.name = name;
    $("any").blur();
    joinRoom(prefix, true);
  });
  for (const input of document.querySelectorAll("input[name=route]")) {
    input.addEventListener("change", () => {
      page.route = input.value;
      modeMenu();
      input.blur();
      remember();
      connect(); /* the same room again, over the other route */
    });
  }
  $("mode").addEventListener("change", () => {
    page.mode = $("mode").value;
    remember();
    if (page.session && page.session.setMode(page.mode)) log(`sending ${page.mode} from now on`);
    $("mode").blur();
  });
  $("chat").addEventListener("submit", (e) => {
    e.preventDefault();
    const text = $("say").value;
    if (!validText(text)) return;
    if (page.session && page.session.chat(text)) $("say").value = "";
    $("say").blur();
  });
  window.addEventListener("keydown", steerKey);
  window.addEventListener("keyup", steerKey);
  window.addEventListener("blur", () => {
    page.keys.clear();
    advance(nowUs());
  });
}

/* The mode menu: the modes of the route (streams over WebTransport only);
 * a mode the route lacks falls back to unsequenced. */
function modeMenu() {
  for (const o of $("mode").options) o.disabled = !modeOn(o.value, page.route);
  if (!modeOn(page.mode, page.route)) page.mode = "unsequenced";
  $("mode").value = page.mode;
  $("mode").disabled = page.route === "ws";
}

/* The URL says what I joined, so a reload joins it again. */
function remember() {
  const q = new URLSearchParams(location.search);
  if (page.inLobby) q.delete("room");
  else q.set("room", page.room);
  q.set("name", page.name);
  q.set("route", page.route);
  if (page.any) q.set("any", "1");
  else q.delete("any");
  if (page.route !== "ws") q.set("mode", page.mode);
  else q.delete("mode");
  history.replaceState(null, "", "?" + q.toString());
}

/* What the page shows, as plain data: a copy each call. */
function snapshot() {
  const s = page.session;
  const members = [];
  for (const [id, r] of page.remotes) members.push(memberRow(id, r));
  return {
    room: page.room, name: page.name, route: page.route, mode: s ? s.mode : page.mode,
    phase: s ? s.phase : "closed", id: s ? s.id : 0, player: s ? s.player : "",
    owner: s ? s.owner : "", lost: page.lost, frames: page.frames,
    sessions: page.opened,
    me: { x: page.me.x, y: page.me.y, vx: page.me.vx, vy: page.me.vy, heading: page.me.heading,
          sent: s ? s.sent : 0, skipped: s ? s.skipped : 0, rttMs: s ? s.rttUs / 1000 : 0,
          clockKnown: Boolean(s && s.clock.valid),
          echo: s && s.echo ? { x: s.echo.x, y: s.echo.y, seq: s.echo.seq } : null,
          bad: s ? s.bad : 0, lastBad: s ? s.lastBad : "" },
    members,
    routes: { ws: ledgerNow("ws"), webrtc: ledgerNow("webrtc"), wt: ledgerNow("wt") },
    lacks: Object.assign({}, page.lacks),
    chat: page.chat.slice(), roomWords: page.roomWords.slice(),
    lobby: { rooms: page.lobby.rooms.map((r) => Object.assign({}, r)), more: page.lobby.more,
             off: page.lobby.off },
  };
}

window.ricochetPlay = Object.freeze({
  snapshot: () => JSON.parse(JSON.stringify(snapshot())),
});

/* The routes this relay has, asked of its HTTP front before the first
 * connect: GET /wt answers where a quic edge serves WebTransport, /rtc is
 * a route (405 to a HEAD) where a webrtc edge takes offers; both are 404
 * on a relay without the edge. A route it lacks is not offered, and a URL
 * that asked for one plays over WebSocket instead. An answer that cannot
 * be read (another origin) leaves the route offered. */
async function offerRoutes() {
  const lacks = async (url) => {
    try {
      return (await fetch(url, { method: "HEAD", cache: "no-store" })).status === 404;
    } catch (e) {
      return false;
    }
  };
  const [noWt, noRtc] = await Promise.all([lacks(params.get("wt") || "/wt"),
                                           lacks(params.get("rtc") || "/rtc")]);
  page.lacks = { ws: false, webrtc: noRtc, wt: noWt };
  for (const input of document.querySelectorAll("input[name=route]")) {
    input.disabled = page.lacks[input.value];
    input.parentElement.title = input.disabled ? "this relay has no such edge" : "";
  }
  if (page.lacks[page.route]) {
    log(`this relay has no ${ROUTE_SHORT[page.route]} edge: playing over WebSocket`, "warn");
    page.route = "ws";
    for (const input of document.querySelectorAll("input[name=route]"))
      input.checked = input.value === page.route;
    modeMenu();
    remember();
  }
}

setup();
remember();
offerRoutes().then(connect);
setInterval(sendState, 1000 / RATE);
setInterval(snapshotLoss, 1000);
setInterval(renderPlayers, 500);
setInterval(() => listLobby(), LOBBY_MS);
requestAnimationFrame(frame);
