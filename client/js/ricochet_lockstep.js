/* ricochet_lockstep.js: a lockstep room (proto/PROTOCOL.md, "Lockstep
 * rooms") as a session follows it, as the C library's
 * client/lib/client_lockstep.c does: the lockstep option checked into the
 * join's fields, the welcome's lockstep object read, the inputs message
 * (type 4) written and the frames message (type 5) read; my inputs sent
 * again in every inputs message until their frames came, what came
 * acknowledged in each, or alone half a tick after frames came; frames
 * handed to the program in tick order, none skipped, as "frame" events;
 * the tick to aim at by my clock offset to the relay; late and desync.
 */

import { MODES, ProtocolError, bytesOf, nowUs } from "./ricochet_wire.js";
import { sendBytes } from "./ricochet_routes.js";

export const MSG_INPUTS = 4;
export const MSG_FRAMES = 5;
export const LOCKSTEP_HEAD = 12;
export const INPUT_MAX = 255;        /* bytes of one input, at most */
export const LOCKSTEP_SLOTS_MAX = 32;
/* A slot's flag in a frame. */
export const SLOT = Object.freeze({ EMPTY: 0, PRESENT: 1, REPEATED: 2, LEFT: 3 });
const AHEAD = 64;                    /* frames kept past the one awaited */
const PENDING = 64;                  /* my inputs not yet confirmed, at most */
const INPUTS_MAX = 64;               /* inputs in one message */
const DATAGRAM_MAX = 1175;           /* an inputs message, sealed or not */
const LATE_CALM_US = 5000000;        /* a tick less aimed ahead after this long without a late */

/* The lockstep option's fields, the wire's names and their ranges. */
const LOCKSTEP_FIELDS = { hz: ["hz", 10, 60], delay: ["delay", 0, 32], slots: ["slots", 1, 32],
                 inputMax: ["input_max", 1, INPUT_MAX], checkEvery: ["check_every", 0, 600],
                 spectatorDelay: ["spectator_delay", 0, 600] };

/* The settings a room gets where its join says nothing (the relay's). */
export function lockstepDefaults() {
  return { hz: 30, delay: 4, slots: 8, inputMax: 16, standInLast: true, checkEvery: 30,
           spectatorDelay: 60 };
}

/* The lockstep and spectator options checked (TypeError or RangeError
 * saying the rule); the join's fields for them. */
function lockstepJoinFields(o) {
  const out = {};
  if (o.spectator !== undefined) {
    if (typeof o.spectator !== "boolean") throw new TypeError("spectator: true or false");
    if (o.spectator) out.spectator = true;
  }
  const ls = o.lockstep;
  if (ls === undefined || ls === null) return out;
  if (typeof ls !== "object" || Array.isArray(ls))
    throw new TypeError("lockstep: an object of hz, delay, slots, inputMax, standInLast, " +
                        "checkEvery, spectatorDelay");
  const wire = {}, all = lockstepDefaults();
  for (const [k, v] of Object.entries(ls)) {
    if (k === "standInLast") {
      if (typeof v !== "boolean") throw new TypeError("lockstep.standInLast: true or false");
      wire.stand_in = v ? "last" : "none";
    } else if (LOCKSTEP_FIELDS[k]) {
      const [name, lo, hi] = LOCKSTEP_FIELDS[k];
      if (!Number.isInteger(v) || v < lo || v > hi)
        throw new RangeError(`lockstep.${k} ${JSON.stringify(v)}: ${lo} to ${hi}`);
      wire[name] = v;
    } else {
      throw new TypeError(`lockstep.${k}: not one of ${Object.keys(LOCKSTEP_FIELDS).join(", ")}, standInLast`);
    }
    all[k] = v;
  }
  if (all.slots * (all.inputMax + 2) > 1024)
    throw new RangeError(`lockstep: slots x (inputMax + 2) at most 1024, not ${all.slots} x ` +
                         `(${all.inputMax} + 2)`);
  out.lockstep = wire;
  return out;
}

function lockstepFieldError(name, why) {
  return new ProtocolError("bad_field", `field "lockstep.${name}" ${why}`);
}

/* A welcome's lockstep object, every field checked, as the session keeps it. */
function readLockstep(o) {
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ProtocolError("bad_field", "field \"lockstep\" must be an object");
  const uint = (k, lo, hi, dflt) => {
    if (o[k] === undefined && dflt !== undefined) return dflt;
    if (!Number.isInteger(o[k]) || o[k] < lo || o[k] > hi) throw lockstepFieldError(k, "is out of range");
    return o[k];
  };
  const s = { hz: uint("hz", 10, 60), delay: uint("delay", 0, 32),
              slots: uint("slots", 1, LOCKSTEP_SLOTS_MAX), inputMax: uint("input_max", 1, INPUT_MAX),
              standInLast: o.stand_in !== "none", checkEvery: uint("check_every", 0, 600, 0),
              spectatorDelay: uint("spectator_delay", 0, 600, 0) };
  const players = o.players === undefined ? [] : o.players;
  if (!Array.isArray(players) || players.length > s.slots ||
      players.some((p) => typeof p !== "string" || !/^([0-9a-f]{16})?$/.test(p)))
    throw lockstepFieldError("players", "is not a valid value");
  return { settings: s, startUs: uint("start_us", 0, Number.MAX_SAFE_INTEGER),
           tick: uint("tick", 0, 4294967295), slot: o.slot === undefined ? -1 : uint("slot", 0, s.slots - 1),
           players: Array.from({ length: s.slots }, (_, i) => players[i] || ""),
           kept: uint("kept", 0, 4294967295, 0) };
}

/* An inputs message: ack, and inputs (Uint8Arrays) for first, first + 1, ... */
export function encodeInputs(ack, first, inputs) {
  if (inputs.length > INPUTS_MAX) throw new RangeError(`${inputs.length} inputs, max ${INPUTS_MAX}`);
  const size = inputs.reduce((n, b) => n + 1 + b.length, LOCKSTEP_HEAD);
  const out = new Uint8Array(size), view = new DataView(out.buffer);
  out.set([1, MSG_INPUTS, inputs.length, 0]);
  view.setUint32(4, ack >>> 0);
  view.setUint32(8, first >>> 0);
  let at = LOCKSTEP_HEAD;
  for (const b of inputs) {
    if (b.length > INPUT_MAX) throw new RangeError(`an input of ${b.length} bytes, max ${INPUT_MAX}`);
    out[at] = b.length;
    out.set(b, at + 1);
    at += 1 + b.length;
  }
  return out;
}

/* The bytes of one frame's entry at `at` of bytes: its length, 0 if cut. */
function entryLength(bytes, at) {
  if (at >= bytes.length) return 0;
  const flag = bytes[at];
  if (flag > SLOT.LEFT) return 0;
  if (flag !== SLOT.PRESENT && flag !== SLOT.REPEATED) return 1;
  return at + 1 < bytes.length && at + 2 + bytes[at + 1] <= bytes.length ? 2 + bytes[at + 1] : 0;
}

/* A frames message as {first, held, slots, frames: [Uint8Array, ...]} (each
 * frame's bytes, its slots' entries); ProtocolError if it does not hold. */
export function decodeFrames(data) {
  const bytes = bytesOf(data);
  const bad = (why) => new ProtocolError("bad_state", `frames: ${why}`);
  if (bytes.length < LOCKSTEP_HEAD || bytes[0] !== 1 || bytes[1] !== MSG_FRAMES) throw bad("not one");
  const count = bytes[2], slots = bytes[3], view = new DataView(bytes.buffer, bytes.byteOffset);
  if (!count || !slots || slots > LOCKSTEP_SLOTS_MAX) throw bad("no frames or slots");
  const frames = [];
  let at = LOCKSTEP_HEAD;
  for (let i = 0; i < count; i++) {
    const start = at;
    for (let k = 0; k < slots; k++) {
      const n = entryLength(bytes, at);
      if (!n) throw bad("cut short");
      at += n;
    }
    frames.push(bytes.slice(start, at));
  }
  if (at !== bytes.length) throw bad("longer than its frames");
  return { first: view.getUint32(4), held: view.getUint32(8), slots, frames };
}

/* A frame's bytes as [{flag, data}] a slot (data: a Uint8Array, empty but
 * for PRESENT and REPEATED). */
export function frameInputs(frame, slots) {
  const out = [];
  for (let k = 0, at = 0; k < slots; k++) {
    const n = entryLength(frame, at);
    if (!n) throw new ProtocolError("bad_state", "frame: cut short");
    out.push({ flag: frame[at], data: n > 1 ? frame.slice(at + 2, at + n) : new Uint8Array(0) });
    at += n;
  }
  return out;
}

/* ---- a session's lockstep room ---- */

/* The welcome came: a lockstep room (m.lockstep) or none. */
function lockstepWelcomed(session, m, now) {
  if (session._ls) clearTimeout(session._ls.ackTimer);
  session._ls = null;
  if (!m.lockstep) return;
  const w = m.lockstep;
  session._ls = { ...w, periodUs: Math.floor(1000000 / w.settings.hz), welcomeAtUs: now,
                  next: 0, started: false, ahead: new Map(), pending: new Map(), newest: 0, jumped: 0,
                  extra: 0, lateAtUs: 0, late: { tick: 0, byUs: 0, count: 0 }, desync: [],
                  ackTimer: 0, goneSaid: false };
}

/* A joined notice: the slot's player. */
function lockstepJoined(session, m) {
  const ls = session._ls;
  if (ls && m.slot !== undefined && m.slot < ls.settings.slots) ls.players[m.slot] = m.player;
}

/* The tick the relay collects now, by my clock offset to it (before it is
 * known: from my welcome, late by its way here); 0 outside a lockstep room. */
function lockstepTick(session, now = nowUs()) {
  const ls = session._ls;
  if (!ls) return 0;
  if (!session.clock.valid) return ls.tick + Math.floor((now - ls.welcomeAtUs) / ls.periodUs);
  const relayNow = now + session.clock.offsetUs;
  return relayNow < ls.startUs ? 0 : Math.floor((relayNow - ls.startUs) / ls.periodUs);
}

/* My clock offset to the relay changed at now: the ticks it moved on since
 * it said before, the aim stepped over (they get my next input too). */
function lockstepClockMoved(session, before, now) {
  const ls = session._ls, after = lockstepTick(session, now);
  if (ls && after > before) ls.jumped += after - before;
}

/* The tick to send my input for now: lockstepTick plus the delay, plus a
 * tick for each late (at most delay more, a tick less after 5 s without). */
function lockstepAim(session) {
  const ls = session._ls, now = nowUs();
  if (!ls) return 0;
  if (ls.extra && now - ls.lateAtUs > LATE_CALM_US) {
    ls.extra--;
    ls.lateAtUs = now;
  }
  return lockstepTick(session) + ls.settings.delay + ls.extra;
}

/* The first frame I do not hold. */
function ackOf(ls) {
  let t = ls.next;
  while (ls.ahead.has(t)) t++;
  return t;
}

/* Every input not yet confirmed, a message for each run of ticks that
 * follow one another; with none, the ack alone. */
function sendInputs(session) {
  const ls = session._ls;
  clearTimeout(ls.ackTimer);
  ls.ackTimer = 0;
  const way = session.route === "ws" || session.route === "poll" ? null /* as a state goes */
    : session.route === "wt" ? MODES[session.mode].wt : MODES[session.mode].channel;
  const ticks = [...ls.pending.keys()].filter((t) => !ls.started || t >= ls.next).sort((a, b) => a - b);
  let ok = true, i = 0;
  if (!ticks.length) return sendBytes(session, encodeInputs(ackOf(ls), 0, []), way);
  while (i < ticks.length) {
    const first = ticks[i], run = [];
    let size = LOCKSTEP_HEAD;
    while (i < ticks.length && ticks[i] === first + run.length && run.length < INPUTS_MAX &&
           size + 1 + ls.pending.get(ticks[i]).length <= DATAGRAM_MAX) {
      size += 1 + ls.pending.get(ticks[i]).length;
      run.push(ls.pending.get(ticks[i++]));
    }
    ok = sendBytes(session, encodeInputs(ackOf(ls), first, run), way) && ok;
  }
  return ok;
}

/* Asks for the frames from tick on; later asks only move forward.
 * RangeError: a tick before one asked; false: not in a lockstep room. */
function lockstepFrom(session, tick) {
  const ls = session._ls;
  if (session.phase !== "joined" || !ls) return false;
  if (!Number.isInteger(tick) || tick < 0 || tick > 4294967295 || (ls.started && tick < ls.next))
    throw new RangeError(`tick ${tick}: the frames asked for only move forward (from ${ls.next})`);
  ls.started = true;
  skipTo(ls, tick);
  return sendInputs(session);
}

/* The frames awaited start at tick: my inputs and the frames kept for the
 * ticks before it are forgotten (their frames will not come). */
function skipTo(ls, tick) {
  ls.next = tick;
  for (const map of [ls.pending, ls.ahead])
    for (const t of [...map.keys()]) if (t < tick) map.delete(t);
}

/* My input for tick (bytes, inputMax at most), sent now and again with
 * each inputs message until its frame came; the ticks the aim stepped over
 * since my newest input (a late, or my clock offset, moved it on) get it too. The first asks
 * for the frames from the room's first, unless lockstepFrom did. RangeError: too long, a tick whose frame
 * came, or 64 from an input whose frame has not; false: not sent (not
 * joined, no slot). */
function sendInput(session, tick, data) {
  const bytes = bytesOf(data || new Uint8Array(0));
  const ls = session._ls;
  if (session.phase === "closed") throw new Error("the session is closed");
  if (session.phase !== "joined" || !ls || ls.slot < 0) return false;
  if (bytes.length > ls.settings.inputMax)
    throw new RangeError(`an input of ${bytes.length} bytes, max ${ls.settings.inputMax}`);
  if (!Number.isInteger(tick) || tick < 0 || tick > 4294967295 || (ls.started && tick < ls.next) ||
      [...ls.pending.keys()].some((t) => Math.abs(t - tick) >= PENDING))
    throw new RangeError(`tick ${tick}: its frame came, or 64 ticks from an input of mine ` +
                         "still waiting for its frame");
  if (!ls.started) {
    ls.started = true;
    ls.next = 0;
  }
  ls.pending.set(tick, bytes);
  if (ls.newest && tick >= ls.newest) /* the ticks the aim stepped over: else none has an input */
    for (let t = tick - 1; t >= ls.newest && tick - t <= ls.jumped; t--)
      if (t >= ls.next && !ls.pending.has(t)) ls.pending.set(t, bytes);
  if (!ls.newest || tick >= ls.newest) {
    ls.newest = tick + 1;
    ls.jumped = 0;
  }
  return sendInputs(session);
}

/* A frames message came: kept in tick order, handed over as "frame"
 * events, acknowledged half a tick later unless an input goes first. */
function framesCame(session, bytes) {
  const ls = session._ls;
  const fr = decodeFrames(bytes);
  if (!ls || fr.slots !== ls.settings.slots)
    throw new ProtocolError("bad_state", "frames outside a lockstep room, or of other slots");
  if (!ls.started) return; /* not asked for (yet) */
  if (ls.next < fr.held && !ls.goneSaid) {
    ls.goneSaid = true;
    skipTo(ls, fr.held);
    session._emit("error", { code: "frames_gone",
                             message: `the relay holds frames from tick ${fr.held} on: those before are gone` });
  }
  fr.frames.forEach((f, i) => {
    const t = fr.first + i;
    if (t >= ls.next && t - ls.next < AHEAD) ls.ahead.set(t, f);
  });
  if (!ls.ackTimer)
    ls.ackTimer = setTimeout(() => {
      ls.ackTimer = 0;
      if (session._ls === ls && session.phase === "joined") sendInputs(session);
    }, ls.periodUs / 2000);
  const now = nowUs();
  while (ls.ahead.has(ls.next)) {
    const tick = ls.next, frame = ls.ahead.get(tick);
    ls.ahead.delete(tick);
    ls.pending.delete(tick);
    ls.next++;
    ls.goneSaid = false;
    session._emit("frame", { tick, bytes: frame, inputs: frameInputs(frame, fr.slots), recvUs: now });
    if (session._ls !== ls) return; /* the program left the room */
  }
}

/* A late or a desync from the relay. */
function lockstepTold(session, m, now) {
  const ls = session._ls;
  if (!ls) return;
  if (m.type === "late") {
    ls.late = { tick: m.tick, byUs: m.by_us, count: m.count };
    ls.lateAtUs = now;
    if (ls.extra < ls.settings.delay) { /* aim further ahead */
      ls.extra++;
      ls.jumped++;
    }
    session._emit("late", Object.assign({ recvUs: now }, ls.late));
    return;
  }
  ls.desync = m.ids.slice();
  session._emit("desync", { tick: m.tick, ids: m.ids, players: m.players, recvUs: now });
}

/* The checksum of my simulation after frame tick: a BigInt (its low 64
 * bits), or 16 hex digits. */
function checkMessage(tick, sum) {
  const hex = typeof sum === "bigint" ? BigInt.asUintN(64, sum).toString(16).padStart(16, "0") : sum;
  return { type: "check", tick, sum: hex };
}

export { /* to the other modules, not the API */
  checkMessage, framesCame, lockstepAim, lockstepClockMoved, lockstepFrom, lockstepJoinFields,
  lockstepJoined, lockstepTick, lockstepTold, lockstepWelcomed, readLockstep, sendInput,
};
