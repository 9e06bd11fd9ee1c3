/* gates.js: the gates page (gates.html), the browser's side of the game
 * that client/examples/gates.c plays in a terminal: the same rooms, the
 * same bytes, the same rules (docs/library.md, "A game: gates").
 *
 * Eight gates stand on a ring; touching a closed one opens it, and it is
 * yours: a point. The gates opened are kept events in the relay, replayed
 * to whoever joins later; a relay restarted keeps none, so each player,
 * back as the same player, keeps again the gates it knows. Bytes:
 *   room props: game=gates, map=ring
 *   payload, 4 bytes: version 1, colour R, G, B
 *   a gate opened: a kept event with stay, key "gN.PLAYER" (the gate N,
 *     the opener's player id), body: version 1, kind 1, N, the name's
 *     length, the opener's name (UTF-8)
 * Two claims on one gate: it is the lower player id's.
 *
 * A room whose prop script is "gates" has a referee: the relay runs
 * examples/scripts/gates.lua (docs/scripts.md), and the room, not the
 * players, opens each gate, to the first touch in the relay's order. Its
 * word comes from sender 4294967295 (ID_MAX) as kept events: the gates (as
 * above), "score" (NAME=N,...), "clock" (the round's seconds left) and
 * "winner" (NAME=N); the page then claims and keeps nothing, and shows the
 * room's gates, score, clock and winner. &script=gates asks for it in the
 * room the page's join makes.
 *
 * The URL says what to do: ?name=ana (the lobby: rooms whose game is
 * gates, the open ones to join), &host=ROOM (make ROOM, closed until its
 * button opens it), &room=ROOM (join it if it exists), &auto=1 (play by
 * itself: the lobby's first open room, towards the nearest closed gate;
 * &spare=N: it stops once all but N are open, the rest left to others),
 * &ws=URL (a relay elsewhere). The host opens its room with its button.
 * window.ricochetGates.snapshot() returns what the page knows, for tests. */
import { Session, TO_ROOM, ID_MAX, ARENA_W, nowUs, validName, validPlayerName } from "./ricochet.js";

const GATES = 8, RING = 35, TOUCH = 4, SPEED = 25, AUTO_SPEED = 20, RATE = 20;
const VERSION = 1, KIND_OPEN = 1;
const LIST_MS = 700, REJOIN_MS = 60000;
const PROPS = { game: "gates", map: "ring" };
if (new URLSearchParams(location.search).get("script") === "gates") PROPS.script = "gates";

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const room = (k) => (validName(params.get(k)) ? params.get(k) : "");
const gateX = (i) => 50 + RING * Math.cos(i * 2 * Math.PI / GATES);
const gateY = (i) => 50 + RING * Math.sin(i * 2 * Math.PI / GATES);

const game = {
  name: validPlayerName(params.get("name")) ? params.get("name")
    : "web-" + String(Math.floor(Math.random() * 1000)).padStart(3, "0"),
  colour: /^[0-9a-f]{6}$/i.test(params.get("colour") || "") ? params.get("colour") : "ff8000",
  host: room("host"), room: room("room"), auto: params.get("auto") === "1",
  spare: Math.min(GATES, Math.max(0, Number.parseInt(params.get("spare"), 10) || 0)),
  session: null, opened: false, moved: false, welcomes: 0,
  gates: new Array(GATES).fill(null), /* {player, name} of each open gate */
  lobbySeen: [], kept: [], log: [],
  x: 10 + Math.random() * 80, y: 10 + Math.random() * 80, dx: 0, dy: 0, atUs: 0,
  keys: new Set(), colours: new Map(), /* id -> its payload's colour */
  referee: false, /* the room's script opens the gates */
  score: "", clock: -1, winner: "", roomGates: [], errors: [], /* the room's word, the relay's refusals */
};

function say(line) {
  game.log.push(line);
  const li = document.createElement("li");
  li.textContent = line; /* names come from players: text */
  $("log").prepend(li);
  while ($("log").childNodes.length > 14) $("log").lastChild.remove();
}

/* ---- the world: gates, kept in the relay ---- */

function claim(i, player, name) {
  const d = game.gates[i];
  if (d && d.player <= player) return;
  game.gates[i] = { player, name };
  say(`gate ${i} is ${name}'s`);
}

function keep(i) {
  const d = game.gates[i], name = new TextEncoder().encode(d.name);
  const b = new Uint8Array(4 + name.length);
  b.set([VERSION, KIND_OPEN, i, name.length]);
  b.set(name, 4);
  game.session.sendEvent(TO_ROOM, b, { keep: `g${i}.${d.player}`, stay: true });
}

function onGate(e) {
  const b = e.data, m = /^g(\d)\.([0-9a-f]{16})$/.exec(e.key);
  if (!m || b.length < 4 || b[0] !== VERSION || b[1] !== KIND_OPEN || b[2] !== Number(m[1]) ||
      b[2] >= GATES || b.length < 4 + b[3]) return; /* not ours: ignored */
  const name = new TextDecoder().decode(b.subarray(4, 4 + b[3]));
  if (e.kept) game.kept.push(e.key);
  claim(b[2], m[2], name);
}

/* The room's word: a gate (final), its score, its clock, its winner. */
function onRoomWord(e) {
  const text = new TextDecoder().decode(e.data);
  const m = /^g(\d)\.([0-9a-f]{16})$/.exec(e.key || ""), b = e.data;
  if (m) {
    if (b.length < 4 || b[0] !== VERSION || b[1] !== KIND_OPEN || b[2] !== Number(m[1]) ||
        b[2] >= GATES || b.length < 4 + b[3]) return;
    const name = new TextDecoder().decode(b.subarray(4, 4 + b[3]));
    const d = game.gates[b[2]];
    if (d && d.player === m[2] && d.name === name) return; /* said before */
    game.gates[b[2]] = { player: m[2], name };
    game.roomGates.push(e.key);
    say(`the room opens gate ${b[2]} to ${name}`);
  } else if (e.key === "score" && text !== game.score) {
    game.score = text;
    say(`the room's score: ${text}`);
  } else if (e.key === "clock") {
    game.clock = Number.parseInt(text, 10);
  } else if (e.key === "winner" && text !== game.winner) {
    game.winner = text;
    const at = text.lastIndexOf("=");
    say(`the round is over: the room's winner ${text.slice(0, at) || "none"} (${text.slice(at + 1)} gates)`);
  }
}

function touchGates() {
  if (game.referee) return; /* the room opens the gates, as my state reaches it */
  const me = game.session.player;
  for (let i = 0; i < GATES && me; i++)
    if (!game.gates[i] && Math.hypot(gateX(i) - game.x, gateY(i) - game.y) < TOUCH) {
      claim(i, me, game.name);
      keep(i);
    }
}

/* ---- the lobby ---- */

function showRooms(rooms) {
  const body = $("rooms").tBodies[0];
  body.textContent = "";
  for (const r of rooms) {
    game.lobbySeen.push({ room: r.room, open: r.open, members: r.members });
    const tr = body.insertRow();
    tr.insertCell().textContent = r.room;
    tr.insertCell().textContent = `${r.members}/${r.capacity}`;
    tr.insertCell().textContent = r.props.map || "";
    const td = tr.insertCell();
    if (!r.open || r.members >= r.capacity) {
      td.textContent = r.open ? "full" : "closed";
      continue;
    }
    const button = document.createElement("button");
    button.textContent = "join";
    button.onclick = () => pick(r.room);
    td.append(button);
  }
  if (game.auto) {
    const r = rooms.find((x) => x.open && x.members < x.capacity);
    if (r) pick(r.room);
  }
}

function pick(name) {
  if (game.session && game.session.phase === "lobby")
    game.session.join(name, false, { exists: true, props: PROPS, size: 8 });
}

function lobby() {
  const s = connect({ lobby: true });
  s.addEventListener("rooms", (e) => showRooms(e.detail.rooms));
  const ask = () => {
    if (s.phase === "lobby" || s.phase === "connecting") s.listRooms("", "", { game: "gates" });
    else clearInterval(t);
  };
  const t = setInterval(ask, LIST_MS);
  ask();
}

/* ---- the session ---- */

function connect(opts) {
  const o = { name: game.name, route: "ws", rejoinMs: REJOIN_MS, ...opts };
  if (params.get("ws")) o.url = params.get("ws");
  const s = new Session(o);
  game.session = s;
  $("status").textContent = opts.lobby ? "the lobby: pick a room" : `joining ${opts.room} ...`;
  $("lobby").hidden = !opts.lobby;
  $("game").hidden = Boolean(opts.lobby);
  s.addEventListener("welcome", () => {
    game.welcomes++;
    $("lobby").hidden = true;
    $("game").hidden = false;
    $("status").textContent = `room ${s.room}, you are ${game.name} (player ${s.player})`;
    game.referee = (s.roomSettings.props || {}).script === "gates";
    if (!game.moved || game.referee) { /* what the room keeps comes next, the room's own too */
      game.gates.fill(null);
      Object.assign(game, { score: "", clock: -1, winner: "" });
    } else for (let i = 0; i < GATES; i++) if (game.gates[i]) keep(i); /* a new relay keeps none */
    if (game.referee) say("the room referees: it opens the gates and keeps the score");
    say(`${game.moved ? "back in" : "joined"} ${s.room} as #${s.id}`);
    game.moved = false;
  });
  s.addEventListener("moved", () => { game.moved = true; say("the relay is lost: rejoining"); });
  s.addEventListener("rejoined", (e) => say(`${e.detail.name} is back`));
  s.addEventListener("event", (e) => {
    if (e.detail.id === ID_MAX) onRoomWord(e.detail);
    else if (!game.referee) onGate(e.detail);
  });
  s.addEventListener("room", () => { game.referee = (s.roomSettings.props || {}).script === "gates"; });
  s.addEventListener("error", (e) => {
    game.errors.push(e.detail.code);
    say(`the relay says ${e.detail.code}: ${e.detail.message}`);
  });
  s.addEventListener("state", (e) => {
    const p = e.detail.state.payload;
    if (p && p.length >= 4 && p[0] === VERSION)
      game.colours.set(e.detail.id, Array.from(p.slice(1, 4), (v) => v.toString(16).padStart(2, "0")).join(""));
  });
  s.addEventListener("close", (e) => {
    if (game.session !== s) return;
    const again = !game.host && !game.room; /* a lobby unjoined, or its pick closed: again */
    $("status").textContent = `${e.detail.reason}${again ? "" : ` (${e.detail.hint})`}`;
    if (again) setTimeout(lobby, 300);
  });
  return s.start();
}

function openRoom() {
  if (game.session && game.session.setRoom({ open: true })) {
    game.opened = true;
    $("open").hidden = true;
    say(`room ${game.host} is open to joiners`);
  }
}

/* ---- moving ---- */

const STEER = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1],
                a: [-1, 0], d: [1, 0], w: [0, -1], s: [0, 1] };

function autopilot() {
  let best = Infinity;
  const open = game.gates.filter((d) => d).length;
  if (open >= GATES - game.spare && open < GATES) {
    game.dx = game.dy = 0; /* the spare gates are the others' to open */
    return;
  }
  for (let i = 0; i < GATES; i++) {
    const vx = gateX(i) - game.x, vy = gateY(i) - game.y, d = Math.hypot(vx, vy);
    if (!game.gates[i] && d < best && d > 0.01) {
      best = d;
      game.dx = vx / d;
      game.dy = vy / d;
    }
  }
  if (best === Infinity) { /* every gate open: a walk round the ring */
    game.dx = -(game.y - 50) / RING;
    game.dy = (game.x - 50) / RING;
  }
}

function turn() {
  const s = game.session, now = nowUs();
  if (!s || s.phase !== "joined") return;
  if (game.auto) autopilot();
  else {
    let dx = 0, dy = 0;
    for (const k of game.keys) { dx += STEER[k][0]; dy += STEER[k][1]; }
    const len = Math.hypot(dx, dy);
    [game.dx, game.dy] = len ? [dx / len, dy / len] : [0, 0];
  }
  const dt = game.atUs ? Math.min(0.25, (now - game.atUs) / 1e6) : 0;
  game.atUs = now;
  const speed = game.auto ? AUTO_SPEED : SPEED;
  game.x = Math.min(ARENA_W, Math.max(0, game.x + game.dx * speed * dt));
  game.y = Math.min(ARENA_W, Math.max(0, game.y + game.dy * speed * dt));
  touchGates();
  const rgb = [0, 2, 4].map((k) => parseInt(game.colour.slice(k, k + 2), 16));
  s.sendState({ x: game.x, y: game.y, vx: game.dx * speed, vy: game.dy * speed },
              new Uint8Array([VERSION, ...rgb]));
}

function steerKey(e) {
  const k = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (!STEER[k]) return;
  e.preventDefault();
  if (e.type === "keydown") game.keys.add(k);
  else game.keys.delete(k);
}

/* ---- drawing ---- */

function disc(g, x, y, colour, label) {
  g.fillStyle = "#" + colour;
  g.beginPath();
  g.arc(x, y, 10, 0, 2 * Math.PI);
  g.fill();
  g.fillStyle = "#222";
  g.fillText(label, x + 14, y - 10);
}

function frame() {
  const c = $("arena"), g = c.getContext("2d"), k = c.width / ARENA_W;
  g.clearRect(0, 0, c.width, c.height);
  g.font = "13px system-ui, sans-serif";
  for (let i = 0; i < GATES; i++) {
    const d = game.gates[i], x = gateX(i) * k, y = gateY(i) * k;
    g.fillStyle = d ? "#cfe8cf" : "#8b5a2b";
    g.fillRect(x - 14, y - 14, 28, 28);
    g.fillStyle = d ? "#245" : "#fff";
    g.fillText(d ? d.name : String(i), x - (d ? 12 : 4), y + 5);
  }
  if (game.session)
    for (const m of game.session.memberList())
      if (m.hasState) disc(g, m.last.x * k, m.last.y * k, game.colours.get(m.id) || "999999", m.name);
  disc(g, game.x * k, game.y * k, game.colour, `${game.name} (you)`);
  requestAnimationFrame(frame);
}

function board() {
  const score = new Map();
  if (game.referee) /* the room's: NAME=N,... */
    for (const part of game.score ? game.score.split(",") : []) {
      const at = part.lastIndexOf("=");
      score.set(part.slice(0, at), Number(part.slice(at + 1)));
    }
  else for (const d of game.gates) if (d) score.set(d.name, (score.get(d.name) || 0) + 1);
  const at = game.winner.lastIndexOf("=");
  $("round").textContent = !game.referee ? ""
    : game.winner ? `The round is over: the room's winner is ${game.winner.slice(0, at) || "no one"}.`
    : game.clock >= 0 ? `${game.clock} s left in the round (the room keeps the score).` : "";
  const body = $("board").tBodies[0];
  body.textContent = "";
  for (const [name, n] of [...score].sort((a, b) => b[1] - a[1])) {
    const tr = body.insertRow();
    tr.insertCell().textContent = name;
    tr.insertCell().textContent = String(n);
  }
}

function snapshot() {
  const s = game.session;
  return {
    name: game.name, phase: s ? s.phase : "closed", room: s ? s.room : "", id: s ? s.id : 0,
    player: s ? s.player : "", welcomes: game.welcomes, opened: game.opened,
    bad: s ? s.bad : 0, gates: game.gates, kept: game.kept, lobbySeen: game.lobbySeen,
    log: game.log, referee: game.referee, score: game.score, clock: game.clock,
    winner: game.winner, roomGates: game.roomGates, errors: game.errors, members: s ? s.memberList().map((m) => ({ id: m.id, name: m.name,
      player: m.player, colour: game.colours.get(m.id) || null })) : [],
  };
}

window.ricochetGates = Object.freeze({
  snapshot: () => JSON.parse(JSON.stringify(snapshot())),
});

$("open").onclick = openRoom;
$("open").hidden = !game.host;
window.addEventListener("keydown", steerKey);
window.addEventListener("keyup", steerKey);
/* every join asks for the game's props: the first back to a restarted relay makes the room */
if (game.host) connect({ room: game.host, props: PROPS, size: 8, open: false });
else if (game.room) connect({ room: game.room, exists: true, props: PROPS, size: 8 });
else lobby();
setInterval(turn, 1000 / RATE);
setInterval(board, 250);
requestAnimationFrame(frame);
