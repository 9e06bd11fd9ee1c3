// ricochet.js in a lockstep room (a relay of its own, RICOCHET_BIN, with
// --lockstep-log): two WebSocket players and one polling over HTTP, in a
// room of four slots, get the same frames, in tick order, byte for byte as
// the relay's kept log; each slot's flag as the frame says it (present,
// repeated after its player stopped, empty before its first input, left
// for the slot no one holds), each present input the one its player sent.
// An input sent for a tick already closed is told ("late", with its tick)
// and in the relay's log; the aim moves a tick further after it, and the
// tick it stepped over (the player sends once a tick) gets an input all
// the same: no hole in the player's slot. A player whose checks lie from
// tick 20 is named ("desync") at tick 20, to every player, no one else.
// And the lockstep option's bounds refused before anything is sent.
import { test } from "node:test";
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { SLOT, Session, decodeFrames, encodeInputs, frameInputs, nowUs } from "../ricochet.js";
import { framesCame, lockstepDefaults, lockstepWelcomed } from "../ricochet_lockstep.js";
import { noRelay, startRelay, until } from "./support.js";

const END = 60;       // frames every player gets: 2 s at 30 Hz
const STOP = 45;      // the third player's inputs stop here: REPEATED from it
const LIAR_FROM = 20; // the second player's checks lie from this tick
const skip = noRelay("a lockstep room");

/* The test's simulation: a hash of every frame so far (FNV-1a, 64 bits). */
function sumOf(frames) {
  let h = 1469598103934665603n;
  for (const f of frames)
    for (const b of f) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 1099511628211n);
  return h;
}

/* A player: its session, what it got and sent; me 0 sends once a tick
 * (as a game's loop) and one input for a closed tick after its first. */
function seat(opts, me, end) {
  const s = new Session({ room: "js-ls", ...opts });
  const p = { s, me, slot: null, frames: [], inputs: [], sent: new Map(), lates: [], desyncs: [],
              first: -1, seen: -1, lateTick: -1, errors: [] };
  s.addEventListener("welcome", () => {
    p.slot = s.lockstep().slot;
  });
  s.addEventListener("frame", ({ detail: f }) => {
    assert.equal(f.tick, p.frames.length);
    p.frames.push(f.bytes);
    p.inputs.push(f.inputs);
    if (f.tick % 10 === 0)
      s.sendCheck(f.tick, sumOf(p.frames) ^ (me === 1 && f.tick >= LIAR_FROM ? 1n : 0n));
  });
  s.addEventListener("late", ({ detail }) => p.lates.push(detail));
  s.addEventListener("desync", ({ detail }) => p.desyncs.push([detail.tick, detail.ids]));
  s.addEventListener("error", ({ detail }) => p.errors.push(detail.code));
  s.addEventListener("close", ({ detail }) => p.errors.push(`close ${detail.code}`));
  p.loop = setInterval(() => {
    const now = s.lockstepTick();
    if (p.slot === null || now < 5 || (me === 0 && now === p.seen)) return;
    p.seen = now;
    const t = s.lockstepAim();
    if (t >= end || p.sent.has(t)) return;
    const data = new Uint8Array([p.slot, t & 255]);
    if (!s.sendInput(t, data)) return;
    p.sent.set(t, data);
    if (p.first < 0) {
      p.first = t;
      if (me === 0) {
        p.lateTick = now - 2;
        assert.equal(s.sendInput(p.lateTick, new Uint8Array([0xee])), true);
      }
    }
  }, 2);
  s.start();
  return p;
}

test("a lockstep room: frames as the relay's log, flags, a late input, a desync", { skip },
     async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "lockstep-js-"));
  const logPath = path.join(dir, "lockstep.log");
  const relay = await startRelay(0, "--listen", "poll://127.0.0.1:0", "--lockstep-log", logPath);
  const lockstep = { hz: 30, delay: 4, slots: 4, inputMax: 2, checkEvery: 10 };
  const ps = [seat({ url: relay.url, name: "ja", lockstep }, 0, END + 8),
              seat({ url: relay.url, name: "jb", lockstep }, 1, END + 8),
              seat({ route: "poll", url: relay.poll, name: "jc", lockstep }, 2, STOP)];
  try {
    await until(() => ps.every((p) => p.frames.length >= END), 20000,
                "every player's frames");
    assert.deepEqual(ps.map((p) => ps.map((q) => p.s.lockstepPlayer(q.slot))),
                     ps.map(() => ps.map((q) => q.s.player)));
  } finally {
    for (const p of ps) {
      clearInterval(p.loop);
      p.s.close();
    }
    await relay.stop();
  }
  const log = fs.readFileSync(logPath, "utf8");
  fs.rmSync(dir, { recursive: true });
  for (const p of ps) assert.deepEqual(p.errors, ["close closed"]);

  // every player's frames are the relay's log's, byte for byte
  const held = new Set(ps.map((p) => p.slot));
  const left = [0, 1, 2, 3].find((k) => !held.has(k));
  const [a, b, c] = ps;
  for (let t = 0; t < END; t++) {
    const m = log.match(new RegExp(`\\{"room":"js-ls","tick":${t},"frame":"([0-9a-f]*)"`));
    assert.ok(m, `frame ${t} in the relay's log`);
    const frame = Uint8Array.from(Buffer.from(m[1], "hex"));
    for (const p of ps) {
      assert.deepEqual(p.frames[t], frame, `frame ${t}`);
      assert.deepEqual(p.inputs[t], frameInputs(frame, 4));
    }
    // the flags: left where no one plays, empty before a first input,
    // present from it (the tick an aim stepped over: the next one's input),
    // repeated once the third player stopped
    const f = frameInputs(frame, 4);
    assert.equal(f[left].flag, SLOT.LEFT);
    for (const p of ps) {
      const { flag, data } = f[p.slot];
      if (t < p.first) {
        assert.equal(flag, SLOT.EMPTY, `tick ${t} slot ${p.slot}`);
      } else if (p === c && t >= STOP) {
        assert.equal(flag, SLOT.REPEATED);
        assert.deepEqual(data, c.sent.get(STOP - 1));
      } else {
        assert.equal(flag, SLOT.PRESENT, `tick ${t} slot ${p.slot}`);
        assert.deepEqual(data, p.sent.get(t) || p.sent.get(t + 1), `tick ${t}`);
      }
    }
  }
  // the late input: told, logged, its frame without it
  assert.ok(a.lateTick < a.first);
  assert.deepEqual(a.lates.map((l) => l.tick), [a.lateTick]);
  assert.ok(a.lates[0].byUs > 0 && a.lates[0].count === 1);
  assert.ok(log.includes(`{"room":"js-ls","tick":${a.lateTick},"slot":${a.slot},"late_us":`));
  assert.deepEqual(b.lates.concat(c.lates), []);
  // the aim went a tick further after the late: the tick it stepped over
  // got an input all the same (present, above)
  assert.ok([...Array(END).keys()].some((t) => t >= a.first && !a.sent.has(t) && a.sent.has(t + 1)),
            [...a.sent.keys()].join(" "));
  // the liar named at its first lying check, at each after, alone
  for (const p of ps) {
    assert.deepEqual(p.desyncs[0], [LIAR_FROM, [b.s.id]]);
    assert.ok(p.desyncs.every(([, ids]) => ids.length === 1 && ids[0] === b.s.id));
  }
});

test("the lockstep option's bounds, and the wire's inputs and frames", () => {
  const base = { url: "ws://127.0.0.1:9/", room: "r", name: "n" };
  assert.throws(() => new Session({ ...base, lockstep: { hz: 61 } }), /lockstep.hz 61: 10 to 60/);
  assert.throws(() => new Session({ ...base, lockstep: { slots: 32, inputMax: 255 } }),
                /at most 1024/);
  assert.throws(() => new Session({ ...base, lockstep: { speed: 1 } }), /lockstep.speed/);
  assert.throws(() => new Session({ ...base, spectator: 1 }), /spectator: true or false/);
  const s = new Session({ ...base, lockstep: { hz: 20 } });
  assert.equal(s.sendInput(0, new Uint8Array([1])), false); // not joined: nothing sent
  assert.equal(s.lockstep(), null);
  // PROTOCOL.md's example: tick 812, two slots, 01 present and 04 repeated
  const fr = decodeFrames(Uint8Array.from([1, 5, 1, 2, 0, 0, 3, 0x2c, 0, 0, 0, 0, 1, 1, 1, 2, 1, 4]));
  assert.equal(fr.first, 812);
  assert.deepEqual(frameInputs(fr.frames[0], 2).map((e) => [e.flag, [...e.data]]),
                   [[SLOT.PRESENT, [1]], [SLOT.REPEATED, [4]]]);
  assert.throws(() => decodeFrames(Uint8Array.from([1, 5, 1, 2, 0, 0, 3, 0x2c, 0, 0, 0, 0, 1, 1])),
                /cut short/);
  assert.deepEqual([...encodeInputs(7, 812, [Uint8Array.from([9]), new Uint8Array(0)])],
                   [1, 4, 2, 0, 0, 0, 0, 7, 0, 0, 3, 0x2c, 1, 9, 0]);
});

/* A session in a lockstep room of two slots as its welcome left it (no
 * route: what it sends goes nowhere). */
function welcomed() {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "r", name: "n", lockstep: {} });
  lockstepWelcomed(s, { lockstep: { settings: { ...lockstepDefaults(), slots: 2 }, slot: 0,
                                    tick: 0, startUs: 0, players: ["", ""] } }, 0);
  s.phase = "joined";
  return s;
}

test("the frames asked for moving on forget my inputs for the ticks skipped", () => {
  const s = welcomed();
  s.sendInput(5, Uint8Array.from([1])); // pending: its frame never comes
  s.lockstepFrom(100);
  s.sendInput(170, Uint8Array.from([2])); // 165 past tick 5: refused if 5 were still waiting
  assert.deepEqual([...s._ls.pending.keys()], [170]);

  const g = welcomed();
  g.sendInput(3, Uint8Array.from([1]));
  // the relay holds frames from tick 300 on (frames_gone): one frame, both slots empty
  framesCame(g, Uint8Array.from([1, 5, 1, 2, 0, 0, 1, 0x2c, 0, 0, 1, 0x2c, 0, 0]));
  assert.equal(g._ls.next, 301);
  assert.doesNotThrow(() => g.sendInput(380, Uint8Array.from([2])));
  assert.deepEqual([...g._ls.pending.keys()], [380]);
});

test("the ticks my clock offset steps over get my next input too", (t) => {
  const s = new Session({ url: "ws://127.0.0.1:9/", room: "r", name: "n", lockstep: {} });
  const now = nowUs();
  lockstepWelcomed(s, { lockstep: { settings: { ...lockstepDefaults(), hz: 10, delay: 3, slots: 2 },
                                    slot: 0, tick: 100, startUs: 1000, players: ["", ""] } }, now);
  s.phase = "joined";
  const a = s.lockstepAim();
  assert.equal(a, 103);
  s.sendInput(a, Uint8Array.from([1]));
  // the first pong: the relay 3 ticks on from what the welcome said (it took
  // 300 ms to come), half a tick into tick 103
  s._pong({ t: now, relay_t: 1000 + 103 * 100000 + 50000 }, now);
  const aim = s.lockstepAim();
  if (aim !== a + 3) return t.skip("stalled half a tick (load): the aim moved on by itself too");
  s.sendInput(aim, Uint8Array.from([2]));
  assert.deepEqual([...s._ls.pending].map(([k, v]) => [k, v[0]]).sort((x, y) => x[0] - y[0]),
                   [[103, 1], [104, 2], [105, 2], [106, 2]]);
});
