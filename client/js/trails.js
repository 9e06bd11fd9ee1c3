/* trails.js: the trails page (trails.html), the browser's side of the
 * lockstep game that client/examples/trails.c plays in a terminal: the same
 * room, the same inputs, the same world, tick for tick (docs/library.md,
 * "A lockstep game").
 *
 * Each player is a head that moves a cell a tick on a 36 x 18 grid,
 * painting it; an input of a byte turns it (0 go on, 1 up, 2 down, 3
 * right, 4 left). The relay closes each tick with every player's input; a
 * frame is applied slot by slot: a slot's first frame after `left` puts
 * its head at its start cell heading right, `left` takes it off. Every 20
 * ticks the world's FNV-1a hash goes to the relay as a check; the player in
 * the lowest slot keeps the world as the kept event "snap" every 200 ticks
 * (&snap=N: N), which a joiner loads before it asks for the frames after.
 *
 * The URL: ?name=ana, &room=ROOM (default trails), &auto=1 (plays by
 * itself: random turns), &until=TICK (stops after frame TICK), &ws=URL (a
 * relay elsewhere). window.ricochetTrails.snapshot() returns what the page
 * knows, for tests. */
import { Session, SLOT, TO_ROOM, validName, validPlayerName } from "./ricochet.js";

const COLS = 36, ROWS = 18, SLOTS = 4, CHECK_EVERY = 20, SNAP_KEY = "snap";
const WORLD_LEN = 4 + 4 * SLOTS + ROWS * COLS;
const DX = [0, 0, 0, 1, -1], DY = [0, -1, 1, 0, 0];
const COLOURS = ["#fff", "#d62728", "#2ca02c", "#b8860b", "#1f77b4"];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const num = (k, d) => (/^\d+$/.test(params.get(k) || "") ? Number(params.get(k)) : d);

const world = { tick: 0, in: new Uint8Array(SLOTS), x: new Uint8Array(SLOTS), y: new Uint8Array(SLOTS),
                dir: new Uint8Array(SLOTS), cell: new Uint8Array(ROWS * COLS) };
const game = {
  name: validPlayerName(params.get("name")) ? params.get("name")
    : "web-" + String(Math.floor(Math.random() * 1000)).padStart(3, "0"),
  room: validName(params.get("room")) ? params.get("room") : "trails",
  auto: params.get("auto") === "1", until: num("until", -1), snapEvery: Math.max(1, num("snap", 200)),
  phase: "connecting", slot: -1, kept: 0, asked: false, sent: 0, want: 0, loaded: false,
  sums: {}, /* tick -> the world's sum after it, at each check and at until */
};

/* ---- the simulation: the same frames, the same world ---- */

function apply(inputs) {
  for (let s = 0; s < SLOTS; s++) {
    const e = inputs[s];
    if (!e || e.flag === SLOT.LEFT) { world.in[s] = 0; continue; }
    if (!world.in[s]) { world.in[s] = 1; world.x[s] = 2 + 8 * s; world.y[s] = 2 + 4 * s; world.dir[s] = 3; }
    if ((e.flag === SLOT.PRESENT || e.flag === SLOT.REPEATED) && e.data && e.data.length >= 1 &&
        e.data[0] >= 1 && e.data[0] <= 4) world.dir[s] = e.data[0];
    world.x[s] = (world.x[s] + COLS + DX[world.dir[s]]) % COLS;
    world.y[s] = (world.y[s] + ROWS + DY[world.dir[s]]) % ROWS;
    world.cell[world.y[s] * COLS + world.x[s]] = s + 1;
  }
  world.tick++;
}

/* The world as bytes (trails.c's encode): tick (u32, big-endian), in, x,
 * y, dir, the cells row by row. */
function encode() {
  const b = new Uint8Array(WORLD_LEN);
  new DataView(b.buffer).setUint32(0, world.tick >>> 0);
  b.set(world.in, 4); b.set(world.x, 4 + SLOTS); b.set(world.y, 4 + 2 * SLOTS);
  b.set(world.dir, 4 + 3 * SLOTS); b.set(world.cell, 4 + 4 * SLOTS);
  return b;
}

function decode(b) {
  world.tick = new DataView(b.buffer, b.byteOffset).getUint32(0);
  world.in.set(b.subarray(4, 4 + SLOTS)); world.x.set(b.subarray(4 + SLOTS, 4 + 2 * SLOTS));
  world.y.set(b.subarray(4 + 2 * SLOTS, 4 + 3 * SLOTS));
  world.dir.set(b.subarray(4 + 3 * SLOTS, 4 + 4 * SLOTS)); world.cell.set(b.subarray(4 + 4 * SLOTS));
}

function sum() {
  let h = 1469598103934665603n;
  for (const v of encode()) h = ((h ^ BigInt(v)) * 1099511628211n) & 0xffffffffffffffffn;
  return h;
}

/* ---- the session ---- */

function keeper() {
  for (let s = 0; s < game.slot; s++) if (world.in[s]) return false;
  return game.slot >= 0;
}

function ask(s) {
  if (game.asked || game.phase !== "joined" || game.kept > 0) return;
  s.lockstepFrom(world.tick);
  game.asked = true;
  game.sent = world.tick;
}

function onFrame(s, f) {
  if (f.tick !== world.tick || game.phase === "done") return;
  apply(f.inputs);
  const t = world.tick - 1;
  if (t % CHECK_EVERY === 0) {
    const h = sum();
    s.sendCheck(t, h);
    game.sums[t] = h.toString(16).padStart(16, "0");
  }
  if (t % game.snapEvery === 0 && keeper()) s.sendEvent(TO_ROOM, encode(), { keep: SNAP_KEY, stay: true });
  if (t === game.until) {
    game.sums[t] = sum().toString(16).padStart(16, "0");
    game.phase = "done";
    s.close();
  }
}

function play(s) {
  if (!game.asked || game.slot < 0 || game.phase !== "joined") return;
  const t = s.lockstepAim();
  if (t < game.sent) return;
  if (game.auto && Math.random() < 0.125) game.want = 1 + Math.floor(Math.random() * 4);
  if (s.sendInput(t, Uint8Array.of(game.want))) { game.sent = t + 1; game.want = 0; }
}

function draw() {
  const c = $("grid").getContext("2d"), w = $("grid").width / COLS, h = $("grid").height / ROWS;
  for (let i = 0; i < ROWS * COLS; i++) {
    c.fillStyle = COLOURS[world.cell[i]];
    c.fillRect((i % COLS) * w, Math.floor(i / COLS) * h, w, h);
  }
  c.fillStyle = "#000";
  for (let s = 0; s < SLOTS; s++) if (world.in[s]) c.fillRect(world.x[s] * w + 3, world.y[s] * h + 3, w - 6, h - 6);
}

function start() {
  const o = { name: game.name, room: game.room, route: "ws",
              lockstep: { hz: 20, delay: 3, slots: SLOTS, inputMax: 1, checkEvery: CHECK_EVERY } };
  if (params.get("ws")) o.url = params.get("ws");
  const s = new Session(o);
  s.addEventListener("welcome", () => {
    const ls = s.lockstep();
    Object.assign(game, { phase: "joined", slot: ls.slot, kept: ls.kept });
    $("status").textContent = `room ${s.room}, slot ${ls.slot}`;
    ask(s);
  });
  s.addEventListener("event", (e) => {
    if (e.detail.code !== "kept" || game.asked || game.kept <= 0) return;
    if (e.detail.key === SNAP_KEY && e.detail.data.length === WORLD_LEN) {
      decode(e.detail.data);
      game.loaded = true;
    }
    game.kept--;
    ask(s);
  });
  s.addEventListener("frame", (e) => onFrame(s, e.detail));
  s.addEventListener("close", (e) => {
    if (game.phase !== "done") game.phase = "closed";
    $("status").textContent = game.phase === "done" ? `tick ${game.until}: sum ${game.sums[game.until]}`
      : e.detail.reason;
  });
  s.start();
  setInterval(() => play(s), 5);
  const frame = () => { draw(); requestAnimationFrame(frame); };
  requestAnimationFrame(frame);
}

const KEYS = { ArrowUp: 1, w: 1, ArrowDown: 2, s: 2, ArrowRight: 3, d: 3, ArrowLeft: 4, a: 4 };
window.addEventListener("keydown", (e) => { if (KEYS[e.key]) game.want = KEYS[e.key]; });

window.ricochetTrails = {
  snapshot: () => ({ phase: game.phase, slot: game.slot, tick: world.tick, loaded: game.loaded,
                     sums: Object.assign({}, game.sums) }),
};
start();
