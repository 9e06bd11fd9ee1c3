/* ricochet.js: the ricochet relay's protocol and a client session, for a
 * page in a browser or a program in Node. Plain JavaScript, one ES module,
 * nothing fetched from elsewhere; in Node without a global WebSocket it
 * takes the `ws` package's (its one dependency, imported only there). The
 * bytes and rules are proto/PROTOCOL.md's (version 3), the names its
 * message table's. Types: ricochet.d.ts.
 *
 * Times are microseconds of this page's clock, nowUs(): performance.now()
 * (monotonic, from the page's start) in whole µs, on every route. A state's
 * send_us is that clock (not offset by performance.timeOrigin: µs since
 * 1970 are past the protocol's 10^15 bound); the relay's and every other
 * member's clocks are others, so a one-way latency is known once both
 * offsets to the relay are (PROTOCOL.md, "Clock offset and one-way latency
 * across machines"): the session pings, keeps its tightest offset and
 * announces it with `clock`, so that others can time my states too.
 *
 * A session sends a ping after 1 s without sending anything (or a third of
 * the relay's timeout, if that is shorter: GET /wt says it; else the
 * timeoutMs option), so that a page that only listens is not dropped as
 * silent (PROTOCOL.md, "Timers"): over WebTransport the browser keeps no
 * QUIC keepalive of its own.
 *
 * Bytes from the network never throw out of a session: a bad message is
 * counted (session.bad, session.lastBad) and dropped. The codec functions
 * throw a ProtocolError (its code: bad_state, bad_json, missing_field,
 * bad_field, unknown_type) for the caller to count.
 *
 * Exports, constants:
 *   PAYLOAD_MAX (1135: a state's payload), EVENT_MAX (1024: an event's body),
 *   TO_ROOM (0: an event to every other member),
 *   VERSION (3, sent in join), STATE_SIZE (40), STATE_MAX and BATCH_MAX
 *   (1200 bytes), TIME_MAX (999999999999999 µs), VALUE_MAX (1e6: every
 *   float of a state), NAME_MAX (32), TEXT_MAX (200 bytes), CONTROL_MAX
 *   (65536 bytes), ARENA_W, ARENA_H (100 arena units), ROSTER_MAX (256).
 *   MODES: the delivery modes by name ({name, lossless, dropOld, channel,
 *     wt, what}); channel is the WebRTC data channel a state of that mode
 *     travels on, wt its way over WebTransport (a datagram's channel byte
 *     1 or 2, "control": the session's stream, "own": a stream of my own).
 *     LOSSLESS(mode): does it deliver every state.
 *   RTC_CHANNELS: the three data channels' labels and options.
 *   ENDING_ERRORS: the error codes that end a session.
 * Functions:
 *   nowUs(): this page's clock, µs.
 *   seqAfter(a, b): is sequence number a after b, wrap-safely.
 *   validName(s), validText(s): the value rules for names and text.
 *   encodeState(st, payload): a state {seq, send_us, x, y, vx, vy, heading}
 *     (sender 0) and its payload (bytes, PAYLOAD_MAX at most; none: 40 bytes
 *     in all) as a Uint8Array; throws RangeError for a value out of bounds.
 *   STATE_FIELDS: a state's fields in order ({field: the dissector's name,
 *     offset, size, key: decodeState's name of it, what}).
 *   decodeState(bytes): the state in bytes, as {sender, seq, send_us, x, y,
 *     vx, vy, heading, payload (a Uint8Array: the bytes after the 40, a copy)};
 *     throws ProtocolError (bad_state,
 *     reason "too short", "bad version", "unknown message type", "too long",
 *     "value out of range").
 *   isBatch(bytes), unpackBatch(bytes): a batch's entries (Uint8Arrays, not
 *     decoded); throws ProtocolError for framing that does not hold.
 *   encodeEvent(to, data), decodeEvent(bytes), isEvent(bytes): the event
 *     message (PROTOCOL.md, "Event message"): {sender, to, data}.
 *   readTicket(text): a whole ticket, as ricochet-ticket mint prints it,
 *     as {pass (what a join carries), room, name, fleet, relays, sealed};
 *     null if text is not one (a pass, say). Session takes either.
 *   encodeControl(msg): a client-to-relay message (join, chat, clock,
 *     leave, ping) as its JSON text, only its known fields, validated;
 *     throws ProtocolError(bad_field / missing_field / unknown_type).
 *   decodeControl(data): a relay-to-client message (string or bytes) as
 *     {type, ...fields} with PROTOCOL.md's field names, validated; unknown
 *     fields ignored; throws ProtocolError.
 * Classes:
 *   ProtocolError: Error with .code (the protocol's error code).
 *   RecvStats: per-sender receive statistics (stats/recvstats.c): received,
 *     lost, duplicates, reordered, too_old, no_latency, latency mean, max
 *     and recent percentiles, RFC 3550 jitter.
 *   ClockSync: my clock's offset to the relay from ping/pong
 *     (proto/clocksync.c); clockLatency(mine, sender, send_us, recv_us)
 *     the corrected one-way latency.
 *   InterpBuffer(extrapLimitUs, maxGapUs): snapshot interpolation of one
 *     remote member without a shared clock (client/tui/interp.c): push(st,
 *     recvUs) each of its states, sampleAt(nowUs() - delay) where to draw
 *     it ({kind: none, before, between, extrapolated or stale, x, y}); the
 *     play page's, types and rules in ricochet.d.ts.
 *   Session: one session with a relay, over a WebSocket (route "ws"),
 *     WebRTC data channels (route "webrtc") or WebTransport (route "wt":
 *     QUIC datagrams and streams over HTTP/3); an EventTarget (below).
 */

export const VERSION = 3;
export const STATE_VERSION = 1;
export const MSG_STATE = 1;
export const MSG_BATCH = 2;
export const STATE_SIZE = 40;
export const STATE_MAX = 1200;
export const BATCH_MAX = 1200;
export const TIME_MAX = 999999999999999;
export const VALUE_MAX = 1e6;
export const NAME_MAX = 32;
export const TEXT_MAX = 200;
export const CODE_MAX = 31;
export const CONTROL_MAX = 65536;
export const ARENA_W = 100;
export const ARENA_H = 100;
export const ROSTER_MAX = 256;
export const ID_MAX = 4294967295;
export const MSG_EVENT = 3;
export const EVENT_HEAD = 12;
export const PAYLOAD_MAX = 1135; /* what every session carries, a sealed one too */
export const EVENT_MAX = 1024;
export const TO_ROOM = 0;
export const ROOMS_PAGE = 64;    /* rooms in one listing, at most */
export const ANY_PREFIX_MAX = 28; /* a prefix with any: NAME_MAX less 4 for the room's number */

/* The WebSocket: the page's, Node's own (22 and later), else the `ws`
 * package's (Node 18 and 20), imported only where there is none. */
let WebSocketImpl = globalThis.WebSocket;
if (!WebSocketImpl && typeof process !== "undefined" && process.versions && process.versions.node) {
  try {
    WebSocketImpl = (await import("ws")).default;
  } catch (e) {
    WebSocketImpl = undefined; /* a Session over "ws" then ends "refused", saying why */
  }
}
const WS_OPEN = 1; /* WebSocket.OPEN, whichever WebSocket it is */

/* CustomEvent: browsers' and Node 19's; Node 18 has only Event. */
const EventWithDetail = globalThis.CustomEvent || class extends Event {
  constructor(type, init) {
    super(type);
    this.detail = init ? init.detail : null;
  }
};

/* proto/mode.c's table, as a receiver sees it. channel: the WebRTC data
 * channel a state of the mode travels on (null: not a WebRTC mode); wt:
 * its way over WebTransport (PROTOCOL.md, "WebTransport"; null: none). */
export const MODES = Object.freeze({
  unsequenced: Object.freeze({ name: "unsequenced", lossless: false, dropOld: false,
    channel: "unsequenced", wt: 1, what: "may lose, may arrive out of order, never waits" }),
  sequenced: Object.freeze({ name: "sequenced", lossless: false, dropOld: true,
    channel: "sequenced", wt: 2, what: "may lose, drops a sender's late states to keep its order, never waits" }),
  reliable: Object.freeze({ name: "reliable", lossless: true, dropOld: false,
    channel: "control", wt: "control", what: "everything, in order; one loss stalls every reliable sender behind it" }),
  udp: Object.freeze({ name: "udp", lossless: false, dropOld: false, channel: null, wt: null,
    what: "what the network gives, nothing more: the baseline" }),
  tcp: Object.freeze({ name: "tcp", lossless: true, dropOld: false, channel: null, wt: null,
    what: "everything, in order, on one stream: a lost segment holds back every sender behind it" }),
  ws: Object.freeze({ name: "ws", lossless: true, dropOld: false, channel: null, wt: null,
    what: "everything, in order, on one WebSocket: a lost segment holds back every sender behind it" }),
  streams: Object.freeze({ name: "streams", lossless: true, dropOld: false, channel: null, wt: "own",
    what: "every state, in order per sender: a loss holds back only the sender it hit (QUIC, WebTransport)" }),
});

export function LOSSLESS(mode) {
  return Boolean(MODES[mode] && MODES[mode].lossless);
}

/* The data channels of a WebRTC member, by label (docs/design.md, "Browsers:
 * the ws and webrtc edges"): control JSON and reliable states on the
 * ordered, reliable one; each unreliable mode's states on its own. */
export const RTC_CHANNELS = Object.freeze([
  Object.freeze({ label: "control", options: Object.freeze({ ordered: true }) }),
  Object.freeze({ label: "unsequenced", options: Object.freeze({ ordered: false, maxRetransmits: 0 }) }),
  Object.freeze({ label: "sequenced", options: Object.freeze({ ordered: false, maxRetransmits: 0 }) }),
]);

/* PROTOCOL.md's error table: the codes with which the relay ends a session. */
export const ENDING_ERRORS = Object.freeze(["server_full", "kicked", "shutting_down", "slow_reader",
  "ticket_required", "ticket_expired", "ticket_wrong_relay", "ticket_tampered",
  "ticket_replayed", "ticket_malformed", "directory_unavailable", "moved"]);

const LEFT_REASONS = ["quit", "timeout", "kicked"];

export class ProtocolError extends Error {
  constructor(code, message) {
    super(message);
    this.name = "ProtocolError";
    this.code = code;
  }
}

export function nowUs() {
  return Math.round(performance.now() * 1000);
}

export function seqAfter(a, b) {
  return ((a - b) | 0) > 0;
}

/* ---- value rules ---- */

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

export function validName(s) {
  return typeof s === "string" && s.length >= 1 && s.length <= NAME_MAX && NAME_RE.test(s);
}

/* A listing's prefix or after: 0 to 32 of the name characters. */
export function validPrefix(s) {
  return s === "" || validName(s);
}

/* Bytes of s in UTF-8; -1 if s holds a lone surrogate (no UTF-8 for it). */
function utf8Length(s) {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const d = s.charCodeAt(i + 1);
      if (!(d >= 0xdc00 && d <= 0xdfff)) return -1;
      n += 4;
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) return -1;
    else n += 3;
  }
  return n;
}

/* C0, DEL and C1 controls: none belongs in text a terminal shows. */
const CONTROL_RE = /[\u0000-\u001f\u007f-\u009f]/;

export function validText(s) {
  if (typeof s !== "string") return false;
  const n = utf8Length(s);
  return n >= 1 && n <= TEXT_MAX && !CONTROL_RE.test(s);
}

/* An error message from the relay is shown, not trusted: cut to TEXT_MAX
 * bytes at a character boundary, its controls shown as spaces. */
function cutMessage(s) {
  let out = "", n = 0;
  for (const ch of s) {
    const len = utf8Length(ch);
    if (len < 0 || n + len > TEXT_MAX) break;
    out += ch;
    n += len;
  }
  return out.replace(/[\u0000-\u001f\u007f-\u009f]/g, " ");
}

/* ---- the binary state ---- */

function bytesOf(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError("bytes expected");
}

function valueOk(v) {
  return Number.isFinite(v) && Math.abs(v) <= VALUE_MAX;
}

export function encodeState(st, payload) {
  const extra = payload === undefined || payload === null ? new Uint8Array(0) : bytesOf(payload);
  if (extra.length > PAYLOAD_MAX)
    throw new RangeError(`payload of ${extra.length} bytes, max ${PAYLOAD_MAX}: too big`);
  const out = new Uint8Array(STATE_SIZE + extra.length);
  out.set(extra, STATE_SIZE);
  const dv = new DataView(out.buffer);
  const seq = st.seq >>> 0, t = st.send_us;
  if (!Number.isInteger(t) || t < 0 || t > TIME_MAX)
    throw new RangeError("send_us out of range");
  for (const k of ["x", "y", "vx", "vy", "heading"])
    if (!valueOk(st[k])) throw new RangeError(k + " out of range");
  dv.setUint8(0, STATE_VERSION);
  dv.setUint8(1, MSG_STATE);
  dv.setUint16(2, 0);
  dv.setUint32(4, 0); /* the relay stamps the sender */
  dv.setUint32(8, seq);
  dv.setUint32(12, Math.floor(t / 4294967296));
  dv.setUint32(16, t % 4294967296);
  dv.setFloat32(20, st.x);
  dv.setFloat32(24, st.y);
  dv.setFloat32(28, st.vx);
  dv.setFloat32(32, st.vy);
  dv.setFloat32(36, st.heading);
  return out;
}

/* A state's 40 bytes field by field (PROTOCOL.md, "State"), each named as
 * the Wireshark dissector names it (proto/wireshark/ricochet.lua) and, for
 * a field decodeState reads, by its key there. */
export const STATE_FIELDS = Object.freeze([
  { field: "ricochet.version", offset: 0, size: 1, what: "version" },
  { field: "ricochet.type", offset: 1, size: 1, what: "message type (1: state)" },
  { field: "ricochet.reserved", offset: 2, size: 2, what: "reserved" },
  { field: "ricochet.state.sender", offset: 4, size: 4, key: "sender",
    what: "sender (the relay's id, stamped on the way down)" },
  { field: "ricochet.state.seq", offset: 8, size: 4, key: "seq", what: "sequence number" },
  { field: "ricochet.state.send_us", offset: 12, size: 8, key: "send_us",
    what: "send time (µs, the sender's clock)" },
  { field: "ricochet.state.x", offset: 20, size: 4, key: "x", what: "x" },
  { field: "ricochet.state.y", offset: 24, size: 4, key: "y", what: "y" },
  { field: "ricochet.state.vx", offset: 28, size: 4, key: "vx", what: "vx (units/s)" },
  { field: "ricochet.state.vy", offset: 32, size: 4, key: "vy", what: "vy (units/s)" },
  { field: "ricochet.state.heading", offset: 36, size: 4, key: "heading", what: "heading (rad)" },
].map(Object.freeze));

export function decodeState(data) {
  const b = bytesOf(data);
  const bad = (why) => new ProtocolError("bad_state", why);
  if (b.length < 2) throw bad("too short");
  if (b[0] !== STATE_VERSION) throw bad("bad version");
  if (b[1] !== MSG_STATE) throw bad("unknown message type");
  if (b.length < STATE_SIZE) throw bad("too short");
  if (b.length > STATE_MAX) throw bad("too long");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const hi = dv.getUint32(12), lo = dv.getUint32(16);
  const st = {
    sender: dv.getUint32(4),
    seq: dv.getUint32(8),
    send_us: hi * 4294967296 + lo, /* exact below 2^53; larger is refused below */
    x: dv.getFloat32(20),
    y: dv.getFloat32(24),
    vx: dv.getFloat32(28),
    vy: dv.getFloat32(32),
    heading: dv.getFloat32(36),
    payload: b.slice(STATE_SIZE),
  };
  if (hi > 232830 || st.send_us > TIME_MAX || !valueOk(st.x) || !valueOk(st.y) ||
      !valueOk(st.vx) || !valueOk(st.vy) || !valueOk(st.heading))
    throw bad("value out of range");
  return st;
}

/* ---- batches ---- */

export function isBatch(data) {
  const b = bytesOf(data);
  return b.length >= 2 && b[0] === STATE_VERSION && b[1] === MSG_BATCH;
}

export function unpackBatch(data) {
  const b = bytesOf(data);
  if (b.length > BATCH_MAX) throw new ProtocolError("bad_state", "too long");
  if (b.length < 7 || !isBatch(b)) throw new ProtocolError("bad_state", "too short");
  const entries = [];
  for (let at = 4; at < b.length;) {
    if (b.length - at < 2) throw new ProtocolError("bad_state", "too short");
    const n = (b[at] << 8) | b[at + 1];
    at += 2;
    if (n === 0) throw new ProtocolError("bad_state", "value out of range");
    if (b.length - at < n) throw new ProtocolError("bad_state", "too short");
    entries.push(b.subarray(at, at + n));
    at += n;
  }
  return entries;
}

/* ---- events ---- */

export function isEvent(data) {
  const b = bytesOf(data);
  return b.length >= 2 && b[0] === STATE_VERSION && b[1] === MSG_EVENT;
}

/* An event to member `to` (TO_ROOM: every other member) with data (bytes,
 * EVENT_MAX at most), sender 0: the relay stamps it. */
export function encodeEvent(to, data) {
  const body = bytesOf(data);
  if (body.length > EVENT_MAX)
    throw new RangeError(`event of ${body.length} bytes, max ${EVENT_MAX}: too big`);
  if (!Number.isInteger(to) || to < 0 || to > ID_MAX) throw new RangeError("to: a member's id or 0");
  const out = new Uint8Array(EVENT_HEAD + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, STATE_VERSION);
  dv.setUint8(1, MSG_EVENT);
  dv.setUint32(8, to);
  out.set(body, EVENT_HEAD);
  return out;
}

export function decodeEvent(data) {
  const b = bytesOf(data);
  if (!isEvent(b)) throw new ProtocolError("bad_state", "not an event");
  if (b.length < EVENT_HEAD) throw new ProtocolError("bad_state", "too short");
  if (b.length > EVENT_HEAD + EVENT_MAX) throw new ProtocolError("bad_state", "too long");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return { sender: dv.getUint32(4), to: dv.getUint32(8), data: b.slice(EVENT_HEAD) };
}

/* ---- control messages ---- */

function fieldError(name, why) {
  return new ProtocolError("bad_field", `field "${name}" ${why}`);
}

/* An integer in [lo, hi] (JSON numbers; 1e3 and 1000.0 are 1000). */
function checkInt(v, name, lo, hi) {
  if (typeof v !== "number") throw fieldError(name, "must be a number");
  if (!Number.isInteger(v) || v < lo || v > hi) throw fieldError(name, "is out of range");
  return v === 0 ? 0 : v; /* -0 is 0 */
}

export function encodeControl(msg) {
  const out = { type: msg.type };
  const need = (k) => {
    if (msg[k] === undefined || msg[k] === null)
      throw new ProtocolError("missing_field", `field "${k}" is missing`);
    return msg[k];
  };
  switch (msg.type) {
  case "join":
    out.version = VERSION;
    if (msg.ticket !== undefined) {
      if (typeof msg.ticket !== "string" || msg.ticket.length === 0 || msg.ticket.length > 1024)
        throw fieldError("ticket", "is not a valid value");
      out.ticket = msg.ticket;
      if (msg.nonce !== undefined) {
        if (!/^[0-9a-f]{32}$/.test(msg.nonce)) throw fieldError("nonce", "is not a valid value");
        out.nonce = msg.nonce;
      }
    }
    if (msg.ticket === undefined || msg.room !== undefined) {
      if (!validName(need("room"))) throw new ProtocolError("bad_room", "bad room name");
      out.room = msg.room;
    }
    if (msg.ticket === undefined || msg.name !== undefined) {
      if (!validName(need("name"))) throw new ProtocolError("bad_name", "bad player name");
      out.name = msg.name;
    }
    if (msg.mode !== undefined) {
      if (!["unsequenced", "sequenced", "reliable", "udp"].includes(msg.mode))
        throw fieldError("mode", "is not a valid value");
      out.mode = msg.mode;
    }
    for (const k of ["reflect", "batch", "any"]) {
      if (msg[k] === undefined) continue;
      if (typeof msg[k] !== "boolean") throw fieldError(k, "must be true or false");
      out[k] = msg[k];
    }
    if (msg.aoi !== undefined) {
      if (typeof msg.aoi !== "number" || !(msg.aoi === 0 || (msg.aoi >= 0.01 && msg.aoi <= 100000)))
        throw fieldError("aoi", "is out of range");
      out.aoi = msg.aoi;
    }
    if (msg.epoch !== undefined) out.epoch = checkInt(msg.epoch, "epoch", 1, TIME_MAX);
    if (msg.lost !== undefined) {
      if (typeof msg.lost !== "boolean") throw fieldError("lost", "must be true or false");
      out.lost = msg.lost;
    }
    break;
  case "chat":
    if (!validText(need("text"))) throw fieldError("text", "is not a valid value");
    out.text = msg.text;
    break;
  case "clock":
    out.offset_us = checkInt(need("offset_us"), "offset_us", -TIME_MAX, TIME_MAX);
    out.bound_us = checkInt(need("bound_us"), "bound_us", 0, TIME_MAX);
    break;
  case "ping":
    if (msg.t !== undefined) out.t = checkInt(msg.t, "t", 0, TIME_MAX);
    break;
  case "leave":
    break;
  case "rooms":
    for (const k of ["prefix", "after"]) {
      if (msg[k] === undefined || msg[k] === "") continue;
      if (!validPrefix(msg[k])) throw fieldError(k, "is not a valid value");
      out[k] = msg[k];
    }
    break;
  default:
    throw new ProtocolError("unknown_type", `a client does not send "${msg.type}"`);
  }
  return JSON.stringify(out);
}

const DECODER = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/* NUL escaped anywhere is bad_field; a lone surrogate escape bad_json. */
function checkStrings(v, depth) {
  if (depth > 64) throw new ProtocolError("bad_json", "nested too deep");
  if (typeof v === "string") {
    if (v.includes("\u0000")) throw new ProtocolError("bad_field", "a string holds \\u0000");
    if (utf8Length(v) < 0) throw new ProtocolError("bad_json", "a lone surrogate");
  } else if (Array.isArray(v)) {
    for (const e of v) checkStrings(e, depth + 1);
  } else if (v && typeof v === "object") {
    for (const k of Object.keys(v)) {
      checkStrings(k, depth + 1);
      checkStrings(v[k], depth + 1);
    }
  }
}

/* Field readers: null is absent, as in proto/control.c. */
function present(o, k) {
  return o[k] !== undefined && o[k] !== null;
}

function req(o, k) {
  if (!present(o, k)) throw new ProtocolError("missing_field", `field "${k}" is missing`);
  return o[k];
}

function readUint(o, k, required, max, dflt) {
  if (!present(o, k)) {
    if (required) req(o, k);
    return dflt;
  }
  return checkInt(o[k], k, 0, max);
}

function readId(o, k, required) {
  const v = readUint(o, k, required, ID_MAX, 0);
  if (present(o, k) && v === 0) throw fieldError(k, "is out of range");
  return v;
}

function readString(o, k, required, valid) {
  if (!present(o, k)) {
    if (required) req(o, k);
    return undefined;
  }
  if (typeof o[k] !== "string") throw fieldError(k, "must be a string");
  if (valid && !valid(o[k])) throw fieldError(k, "is not a valid value");
  return o[k];
}

function readFloat(o, k) {
  const v = req(o, k);
  if (typeof v !== "number") throw fieldError(k, "must be a number");
  if (!(Math.abs(v) <= VALUE_MAX)) throw fieldError(k, "is out of range");
  return Math.fround(v);
}

/* A mode a relay names: one of the table's, or a later one (any name). */
function readMode(o) {
  return readString(o, "mode", false, validName);
}

function readRosterState(v) {
  if (typeof v !== "object" || Array.isArray(v)) throw fieldError("state", "must be an object or null");
  return {
    seq: readUint(v, "seq", true, ID_MAX), t: readUint(v, "t", true, TIME_MAX),
    x: readFloat(v, "x"), y: readFloat(v, "y"), vx: readFloat(v, "vx"),
    vy: readFloat(v, "vy"), heading: readFloat(v, "heading"),
  };
}

function readClockFields(o) {
  return { offset_us: checkInt(req(o, "offset_us"), "offset_us", -TIME_MAX, TIME_MAX),
           bound_us: readUint(o, "bound_us", true, TIME_MAX) };
}

function readMember(e) {
  if (typeof e !== "object" || e === null || Array.isArray(e))
    throw fieldError("roster", "entries must be objects");
  const m = { id: readId(e, "id", true), name: readString(e, "name", true, validName),
              mode: readMode(e), state: null, clock: null };
  if (present(e, "state")) m.state = readRosterState(e.state);
  if (present(e, "clock")) {
    if (typeof e.clock !== "object" || Array.isArray(e.clock))
      throw fieldError("clock", "must be an object");
    m.clock = readClockFields(e.clock);
  }
  return m;
}

function readAoi(o) {
  if (!present(o, "aoi")) return 0;
  if (typeof o.aoi !== "number") throw fieldError("aoi", "must be a number");
  if (!(o.aoi === 0 || (o.aoi >= 0.01 && o.aoi <= 100000))) throw fieldError("aoi", "is out of range");
  return o.aoi;
}

const HEX32 = (s) => /^[0-9a-f]{32}$/.test(s);

/* The fields of each relay-to-client type, in the order of PROTOCOL.md. */
const READERS = {
  welcome(o) {
    const m = { id: readId(o, "id", true), room: readString(o, "room", true, validName),
                aoi: readAoi(o) };
    const roster = req(o, "roster");
    if (!Array.isArray(roster)) throw fieldError("roster", "must be an array");
    if (roster.length > ROSTER_MAX) throw fieldError("roster", "has too many members");
    m.roster = roster.map(readMember);
    return m;
  },
  joined: (o) => ({ id: readId(o, "id", true), name: readString(o, "name", true, validName),
                    mode: readMode(o) }),
  left(o) {
    const m = { id: readId(o, "id", true), name: readString(o, "name", true, validName),
                reason: readString(o, "reason", true) };
    if (!LEFT_REASONS.includes(m.reason)) throw fieldError("reason", "is not a valid value");
    return m;
  },
  chat: (o) => ({ text: readString(o, "text", true, validText), id: readId(o, "id", true),
                  name: readString(o, "name", true, validName) }),
  error(o) {
    const code = readString(o, "code", true);
    if (code.length === 0 || code.length > CODE_MAX) throw fieldError("code", "is not a valid value");
    const message = cutMessage(readString(o, "message", true));
    if (message.length === 0) throw fieldError("message", "is empty");
    return { code, message };
  },
  clock: (o) => Object.assign({ id: readId(o, "id", true) }, readClockFields(o)),
  pong: (o) => ({ t: readUint(o, "t", false, TIME_MAX, 0),
                  relay_t: readUint(o, "relay_t", false, TIME_MAX, 0) }),
  appeared: (o) => readMember(o),
  vanished: (o) => ({ id: readId(o, "id", true) }),
  moved(o) {
    const m = { room: readString(o, "room", true, validName),
                host: readString(o, "host", true, (s) => /^[A-Za-z0-9.:_-]{1,255}$/.test(s)),
                port: readUint(o, "port", true, 65535),
                transport: readString(o, "transport", true, validName),
                epoch: readUint(o, "epoch", true, TIME_MAX),
                seq: readUint(o, "seq", false, ID_MAX, undefined) };
    if (m.port === 0) throw fieldError("port", "is out of range");
    if (m.epoch === 0) throw fieldError("epoch", "is out of range");
    return m;
  },
  rooms(o) {
    const list = req(o, "rooms");
    if (!Array.isArray(list)) throw fieldError("rooms", "must be an array");
    if (list.length > ROOMS_PAGE) throw fieldError("rooms", `lists more than ${ROOMS_PAGE}`);
    const more = req(o, "more");
    if (typeof more !== "boolean") throw fieldError("more", "must be true or false");
    return {
      prefix: readString(o, "prefix", false, validPrefix) || "",
      rooms: list.map((e) => {
        if (typeof e !== "object" || e === null || Array.isArray(e))
          throw fieldError("rooms", "entries must be objects");
        return { room: readString(e, "room", true, validName),
                 members: readUint(e, "members", true, ID_MAX),
                 capacity: readUint(e, "capacity", true, ID_MAX) };
      }),
      more,
    };
  },
  cookie: (o) => ({ cookie: readString(o, "cookie", true) }),
  sealed: (o) => ({ salt: readString(o, "salt", true, HEX32), tag: readString(o, "tag", true, HEX32) }),
};

export function decodeControl(data) {
  let text;
  if (typeof data === "string") {
    text = data;
    if (text.includes("\u0000")) throw new ProtocolError("bad_json", "holds a NUL byte");
  } else {
    const b = bytesOf(data);
    if (b.length > CONTROL_MAX) throw new ProtocolError("bad_json", "longer than 65536 bytes");
    if (b.includes(0)) throw new ProtocolError("bad_json", "holds a NUL byte");
    try {
      text = DECODER.decode(b);
    } catch (e) {
      throw new ProtocolError("bad_json", "not strict UTF-8");
    }
  }
  let o;
  try {
    o = JSON.parse(text);
  } catch (e) {
    throw new ProtocolError("bad_json", "not a JSON object");
  }
  if (typeof o !== "object" || o === null || Array.isArray(o))
    throw new ProtocolError("bad_json", "not a JSON object");
  checkStrings(o, 0);
  const type = req(o, "type");
  if (typeof type !== "string") throw fieldError("type", "must be a string");
  if (!Object.prototype.hasOwnProperty.call(READERS, type))
    throw new ProtocolError("unknown_type", `unknown type "${type}"`);
  return Object.assign({ type }, READERS[type](o));
}

/* ---- receive statistics (stats/recvstats.c) ---- */

const WINDOW = 1024; /* sequence numbers remembered for duplicates */
const RECENT = 512;  /* latencies kept for percentiles */

export class RecvStats {
  constructor() {
    this.reset();
  }

  reset() {
    this.started = false;
    this.firstSeq = 0;
    this.highestSeq = 0;
    this.span = 0;          /* sequence numbers from the first to the highest */
    this.received = 0;      /* unique states */
    this.duplicates = 0;
    this.reordered = 0;     /* arrived after a higher sequence number */
    this.outOfWindow = 0;
    this.tooOld = 0;        /* sequenced: dropped, a later one came first */
    this.noLatency = 0;     /* received before both clock offsets were known */
    this.jitterUs = 0;      /* RFC 3550 J, over the states with a latency */
    this.lastTransitUs = 0;
    this.latencySumUs = 0;
    this.latencyMaxUs = 0;
    this.window = new Uint8Array(WINDOW);
    this.recent = [];       /* the last RECENT latencies, µs */
  }

  _seq(seq) {
    seq >>>= 0;
    if (!this.started) {
      this.started = true;
      this.firstSeq = this.highestSeq = seq;
      this.span = 1;
      this.window.fill(0);
      this.window[seq % WINDOW] = 1;
      this.received = 1;
      return true;
    }
    const ahead = (seq - this.highestSeq) | 0;
    if (ahead > 0) {
      if (ahead >= WINDOW) {
        this.window.fill(0);
      } else {
        for (let q = (this.highestSeq + 1) >>> 0; q !== seq; q = (q + 1) >>> 0)
          this.window[q % WINDOW] = 0;
      }
      this.highestSeq = seq;
      this.span += ahead;
    } else {
      const behind = -ahead;
      if (behind >= WINDOW) {
        this.outOfWindow++;
        return false;
      }
      if (this.window[seq % WINDOW]) {
        this.duplicates++;
        return false;
      }
      if (((this.firstSeq - seq) | 0) > 0) { /* from before the first one seen */
        this.span += (this.firstSeq - seq) >>> 0;
        this.firstSeq = seq;
      }
      this.reordered++;
    }
    this.window[seq % WINDOW] = 1;
    this.received++;
    return true;
  }

  /* One state whose one-way latency is latencyUs (a number), or untimed
   * (null: not known). Returns true for a new state. */
  record(seq, latencyUs) {
    if (!this._seq(seq)) return false;
    if (latencyUs === null || latencyUs === undefined) {
      this.noLatency++;
      return true;
    }
    const timed = this.received - this.noLatency;
    if (timed > 1) /* J += (|D| - J) / 16 */
      this.jitterUs += (Math.abs(latencyUs - this.lastTransitUs) - this.jitterUs) / 16;
    this.lastTransitUs = latencyUs;
    const lat = Math.max(0, latencyUs);
    this.latencySumUs += lat;
    this.latencyMaxUs = Math.max(this.latencyMaxUs, lat);
    if (this.recent.length === RECENT) this.recent.shift();
    this.recent.push(lat);
    return true;
  }

  get expected() { return this.span; }
  get lost() { return Math.max(0, this.span - this.received); }
  get lossPct() { return this.span ? 100 * this.lost / this.span : 0; }
  get latencyMeanUs() {
    const timed = this.received - this.noLatency;
    return timed ? this.latencySumUs / timed : 0;
  }

  /* The p-th percentile (0..100) of the recent latencies, µs; 0 if none. */
  percentileUs(p) {
    return percentile(this.recent, p);
  }
}

/* The p-th percentile (0..100) of the numbers in a, by sorting a copy. */
export function percentile(a, p) {
  if (!a.length) return 0;
  const s = a.slice().sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(p / 100 * s.length) - 1))];
}

/* ---- clock offset (proto/clocksync.c) ---- */

const CLOCK_MAX_AGE_US = 60e6;

export class ClockSync {
  constructor() {
    this.valid = false;
    this.offsetUs = 0; /* relay clock - mine */
    this.boundUs = 0;  /* |error of offsetUs| <= this: half the round trip */
    this.atUs = 0;
  }

  /* One ping/pong. Returns 1 if the estimate changed, 0 if kept, -1 for an
   * impossible sample. */
  sample(sentUs, relayUs, recvUs) {
    if (recvUs < sentUs || relayUs === 0) return -1;
    const rtt = recvUs - sentUs;
    const stale = this.valid && recvUs - this.atUs > CLOCK_MAX_AGE_US;
    if (this.valid && !stale && Math.floor(rtt / 2) >= this.boundUs) return 0;
    this.valid = true;
    this.offsetUs = relayUs - (sentUs + Math.floor(rtt / 2));
    this.boundUs = Math.floor((rtt + 1) / 2);
    this.atUs = recvUs;
    return 1;
  }

  /* Set from a member's announcement. */
  set(offsetUs, boundUs, atUs) {
    this.valid = true;
    this.offsetUs = offsetUs;
    this.boundUs = boundUs;
    this.atUs = atUs;
  }
}

/* One-way latency of a state sent at sendUs (the sender's clock) and
 * received at recvUs (mine): {known, latencyUs, boundUs}. Corrected when
 * the offsets differ by more than their bounds; else the clocks are taken
 * as one. Not known (the raw difference, bound 0) while either is unknown. */
export function clockLatency(mine, sender, sendUs, recvUs) {
  const raw = recvUs - sendUs;
  if (!mine.valid || !sender.valid) return { known: false, latencyUs: raw, boundUs: 0 };
  const diff = sender.offsetUs - mine.offsetUs; /* my clock - the sender's */
  const bounds = mine.boundUs + sender.boundUs;
  if (Math.abs(diff) > bounds) return { known: true, latencyUs: raw - diff, boundUs: bounds };
  return { known: true, latencyUs: raw, boundUs: Math.abs(diff) + bounds };
}

/* ---- interpolation (client/tui/interp.c) ---- */

const INTERP_CAP = 32;              /* samples kept (1.6 s at 20 Hz) */
const INTERP_RESET_US = 60e6;       /* a sample this far from the newest restarts */

export class InterpBuffer {
  /* extrapLimitUs: how far past the newest sample to extrapolate;
   * maxGapUs: do not interpolate across a wider hole. */
  constructor(extrapLimitUs = 250000, maxGapUs = 1000000) {
    this.extrapLimitUs = extrapLimitUs;
    this.maxGapUs = maxGapUs;
    this.s = [];          /* ordered by seq, oldest first */
    this.offsetUs = null; /* local = send + offset */
    this.raw = null;      /* the last sample to arrive, whatever its seq */
    this.arrivals = 0;
    this.dropped = 0;
    this.resets = 0;
  }

  clear() {
    this.s = [];
    this.offsetUs = null;
    this.raw = null;
  }

  /* A state {seq, send_us, x, y, vx, vy} received at recvUs (my clock).
   * Returns true if stored. */
  push(st, recvUs) {
    const smp = { seq: st.seq >>> 0, send: st.send_us, recv: recvUs, x: st.x, y: st.y,
                  vx: st.vx, vy: st.vy };
    this.arrivals++;
    this.raw = smp;
    if (this.s.length && Math.abs(smp.send - this.s[this.s.length - 1].send) > INTERP_RESET_US) {
      this.s = [];
      this.offsetUs = null;
      this.resets++;
    }
    /* The smallest recv - send is the fastest trip plus the clock difference:
     * samples mapped with it land where a jitter-free network put them. */
    const cand = recvUs - smp.send;
    if (this.offsetUs === null || cand < this.offsetUs) this.offsetUs = cand;
    let pos = this.s.length;
    while (pos > 0 && seqAfter(this.s[pos - 1].seq, smp.seq)) pos--;
    if (pos > 0 && this.s[pos - 1].seq === smp.seq) {
      this.dropped++;
      return false;
    }
    if (this.s.length === INTERP_CAP) {
      if (pos === 0) {
        this.dropped++;
        return false;
      }
      this.s.shift();
      pos--;
    }
    this.s.splice(pos, 0, smp);
    return true;
  }

  localTime(i) {
    return this.s[i].send + this.offsetUs;
  }

  _extrapolate(a, dt) {
    let kind = "extrapolated";
    if (dt > this.extrapLimitUs) {
      dt = this.extrapLimitUs;
      kind = "stale";
    }
    return { kind, x: a.x + a.vx * dt / 1e6, y: a.y + a.vy * dt / 1e6, seqA: a.seq, seqB: a.seq };
  }

  /* Where the member is at renderUs on my clock (normally now - delay):
   * {kind: "none" | "before" | "between" | "extrapolated" | "stale", x, y}. */
  sampleAt(renderUs) {
    const n = this.s.length;
    if (!n) return { kind: "none" };
    const at = (a, kind) => ({ kind, x: a.x, y: a.y, seqA: a.seq, seqB: a.seq });
    const t0 = this.localTime(0);
    if (renderUs <= t0) return at(this.s[0], renderUs === t0 ? "between" : "before");
    let i = n - 1;
    while (i > 0 && this.localTime(i) > renderUs) i--;
    const a = this.s[i], into = renderUs - this.localTime(i);
    if (i === n - 1) return into === 0 ? at(a, "between") : this._extrapolate(a, into);
    const c = this.s[i + 1], gap = this.localTime(i + 1) - this.localTime(i);
    if (gap <= 0) return at(c, "between");
    if (gap > this.maxGapUs) return this._extrapolate(a, into);
    const f = into / gap;
    return { kind: "between", x: a.x + (c.x - a.x) * f, y: a.y + (c.y - a.y) * f,
             seqA: a.seq, seqB: c.seq };
  }
}

/* ---- tickets (PROTOCOL.md, "Tickets"; proto/ticket.c's ticket_read) ---- */

const TICKET_FORMAT = 2;
const TICKET_TEXT_MAX = 952;

/* base64url without padding as bytes, or null. */
function fromBase64Url(text) {
  if (typeof text !== "string" || !/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1)
    return null;
  const bin = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(bin, (c) => c.charCodeAt(0));
}

function toBase64Url(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/* A whole ticket (format 2, the pass's length in 2 bytes, the pass, the
 * claims in clear: two keys of 32 bytes, flags, room, name, fleet, relays)
 * as {pass, room, name, fleet, relays, sealed}; null if text is not one.
 * The keys are not kept: ricochet.js does not seal. */
export function readTicket(text) {
  const b = typeof text === "string" && text.length <= TICKET_TEXT_MAX ? fromBase64Url(text) : null;
  if (!b || b.length < 3 || b[0] !== TICKET_FORMAT) return null;
  let at = 3 + ((b[1] << 8) | b[2]);
  if (at > b.length) return null;
  const pass = toBase64Url(b.subarray(3, at));
  at += 64; /* the session's keys */
  const flags = b[at++];
  const str = () => {
    if (at >= b.length || at + 1 + b[at] > b.length) return null;
    const v = new TextDecoder().decode(b.subarray(at + 1, at + 1 + b[at]));
    at += 1 + b[at];
    return v;
  };
  if (at > b.length || flags === undefined || flags & ~1) return null;
  const room = str(), name = str(), fleet = str();
  const n = b[at++];
  if (!validName(room) || !validName(name) || fleet === null || n === undefined || n > 4)
    return null;
  const relays = [];
  for (let i = 0; i < n; i++) relays.push(str());
  if (relays.includes(null) || at !== b.length) return null;
  return { pass, room, name, fleet, relays, sealed: (flags & 1) === 1 };
}

/* ---- the session ---- */

const TICK_MS = 100;
const CLOCK_FAST_PINGS = 10, CLOCK_FAST_PING_US = 100000;
const CLOCK_PING_US = 1000000, CLOCK_PING_MAX_US = 8000000;
const IDLE_PING_US = 1000000; /* a ping after this long without sending, or a third of the
                                 relay's timeout if shorter (_idlePingUs) */
const ICE_GATHER_MS = 3000;
const WS_BUFFERED_MAX = 65536; /* a stream that holds this much: states wait their turn, skipped */
const WT_CLOSE_WAIT_MS = 1000; /* a control stream that does not drain: the session closed anyway */
const REJOIN_PAUSE_MS = 250;   /* between attempts to rejoin: a refusal comes fast, no spinning */
const HOPS_MAX = 2;            /* a fleet's moved followed at most this often per join */
const LATENCIES_KEPT = 4096;   /* the session's recent latencies and round trips, for percentiles */
export const TIMEOUT_MS = 5000;      /* timeoutMs's default */
export const REJOIN_AFTER_MS = 1500; /* rejoinAfterMs's default (the C library's too) */

/* The codes of a relay lost, not of a refusal: a session with a rejoin
 * window joins again (client/client_phase.c's relay_lost). */
const RELAY_LOST = ["timeout", "disconnected", "refused", "shutting_down",
                    "directory_unavailable", "moved"];

/* The codes a session ends with that are its own, not the relay's. */
const LOCAL_ENDS = ["closed", "refused", "timeout", "disconnected", "moved_too_far"];

/* A route refused: what it needs of the relay. */
const REFUSED_HINTS = {
  ws: "check the url, and that ricochet-relay runs there with a ws edge (--listen ws://HOST:PORT)",
  webrtc: "check rtcUrl, and that ricochet-relay runs there with a ws edge (where the offer goes) " +
    "and a webrtc edge (--listen webrtc://HOST:PORT)",
  wt: "check wtUrl, and that ricochet-relay runs there with a quic edge (--listen " +
    "quic://HOST:PORT) and a ws edge that answers GET /wt",
};

/* What to do after an end, by its code: the relay's (PROTOCOL.md's error
 * table) or the session's own. */
const AGAIN = "start a new Session, or give rejoinMs so that a session joins again by itself";
const END_HINTS = {
  closed: "",
  refused: "", /* by route: REFUSED_HINTS */
  disconnected: "the relay stopped, restarted or dropped this session: " + AGAIN,
  moved_too_far: "the fleet's relays disagree on where the room lives: try again in a moment",
  server_full: "the relay is full: try again later, or another relay",
  room_full: "the room is full: join another room",
  too_many_rooms: "the relay has all the rooms it allows: join a room that exists, or try later",
  bad_name: "a name is 1 to 32 of A-Z a-z 0-9 _ . - (and within the relay's limits): pick another",
  bad_room: "a room is 1 to 32 of A-Z a-z 0-9 _ . - (and within the relay's limits): pick another",
  bad_version: `this client speaks protocol ${VERSION}: use a relay and a client of one release`,
  kicked: "the relay kicked this session (too fast, or too many invalid messages) and refuses " +
    "its address for a while (--kick-ban-s): wait, then send less",
  shutting_down: "the relay is stopping: try again in a moment (rejoinMs does it by itself)",
  slow_reader: "this program read too slowly for its room's traffic: keep its event loop free, " +
    "or have the room send less",
  not_joined: "no join reached the relay in time: " + AGAIN,
  ticket_required: "the relay admits tickets only: give the one your backend minted (ticket)",
  ticket_expired: "the ticket is out of its validity: mint a new one (and check the clocks)",
  ticket_wrong_relay: "the ticket is for another relay or fleet, or must be sealed and the relay " +
    "runs without --encrypt: mint one for this relay",
  ticket_tampered: "the ticket was changed, or minted under a key the relay does not hold: mint " +
    "it again",
  ticket_replayed: "the ticket is in use, or was used from another address: one ticket a session",
  ticket_malformed: "give the ticket as ricochet-ticket mint prints it, whole (or its pass)",
  directory_unavailable: "the fleet's directory is out of reach: try again in a moment, through " +
    "any relay (rejoinMs does it by itself)",
  moved: "the room lives on another relay, which this route cannot follow: join there (route ws " +
    "or webrtc follows a fleet by itself)",
};

/* The end of a session in words: {reason: what happened, one line; hint:
 * what to do ("" after close())}. joined: was the session in its room;
 * route: the session's. */
function describeEnd(code, text, joined, route) {
  const local = LOCAL_ENDS.includes(code);
  const reason = local ? `${code}: ${text}`
    : `relay ${joined ? "ended the session" : "refused the join"}: ${code} (${text})`;
  let hint = END_HINTS[code];
  if (code === "refused") hint = REFUSED_HINTS[route];
  if (code === "timeout")
    hint = joined ? `the relay or the network went silent: ${AGAIN}`
      : "nothing answered in time: check the address, that the relay runs, and the network " +
        "between (a firewall?); timeoutMs gives it longer";
  if (hint === undefined) hint = "PROTOCOL.md's error table says what the relay meant";
  return { reason, hint };
}

/* What went wrong opening a WebSocket, from its error event: Node's `ws`
 * says why (refused, not found, an HTTP answer), a browser says nothing. */
function webSocketFailure(e, url) {
  const err = e && (e.error || e);
  const msg = err && err.message ? String(err.message) : "";
  const code = err && (err.code || (err.cause && err.cause.code)); /* ws's, or undici's */
  if (code === "ECONNREFUSED") return `nothing listens at ${url} (${msg})`;
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") return `the host of ${url} is not found (${msg})`;
  const http = /Unexpected server response: (\d+)/.exec(msg);
  if (http) return `${url} answered HTTP ${http[1]}, not a WebSocket: is it the relay's ws edge?`;
  return `no WebSocket at ${url}${msg ? ` (${msg})` : ""}`;
}

/* A number of ms in [lo, hi] for option k, or a RangeError that says so. */
function checkMs(o, k, lo, hi) {
  const v = o[k];
  if (!Number.isInteger(v) || v < lo || v > hi)
    throw new RangeError(`${k}: ${lo} to ${hi} ms, not ${JSON.stringify(v)}`);
}

/* host:port, an IPv6 host in brackets. */
function hostPort(host, port) {
  return (host.includes(":") ? `[${host}]` : host) + ":" + port;
}

/* url with its host and port replaced (a fleet's moved). */
function urlAt(url, host, port) {
  const u = new URL(url);
  u.hostname = host.includes(":") ? `[${host}]` : host;
  u.port = String(port);
  return u.href;
}

/* A distribution of times (µs): the count, the largest, the mean, and
 * percentiles of the last LATENCIES_KEPT (the C library's
 * ricochet_distribution, from a histogram there). */
class TimeDistribution {
  constructor() {
    this.count = 0;
    this.maxUs = 0;
    this.sumUs = 0;
    this.recent = [];
  }

  record(us) {
    us = Math.max(0, us);
    this.count++;
    this.maxUs = Math.max(this.maxUs, us);
    this.sumUs += us;
    if (this.recent.length === LATENCIES_KEPT) this.recent.shift();
    this.recent.push(us);
  }

  view() {
    const s = this.recent.slice().sort((x, y) => x - y);
    const p = (q) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil(q / 100 * s.length) - 1))] : 0);
    return { count: this.count, p50Us: p(50), p90Us: p(90), p99Us: p(99), maxUs: this.maxUs,
             meanUs: this.count ? this.sumUs / this.count : 0 };
  }
}

/* A member as the program gets it: a copy (the C library's struct
 * ricochet_member), its statistics as plain numbers. */
function memberView(m) {
  const s = m.stats;
  return {
    id: m.id, name: m.name, mode: m.mode, arrivedAs: m.arrivedAs, hasState: m.hasState,
    last: m.last ? Object.assign({}, m.last) : null, lastRecvUs: m.lastRecvUs,
    latencyUs: m.latencyUs, latencyKnown: m.latencyKnown,
    stats: { received: s.received, expected: s.expected, lost: s.lost, duplicates: s.duplicates,
             reordered: s.reordered, tooOld: s.tooOld, noLatency: s.noLatency,
             latencyMaxUs: s.latencyMaxUs, latencyBoundUs: m.latencyBoundUs,
             latencyMeanUs: s.latencyMeanUs, jitterUs: s.jitterUs },
  };
}

/* Session: one session with a relay; an EventTarget.
 *
 *   new Session({room, name, route: "ws" | "webrtc" | "wt", url, rtcUrl,
 *                wtUrl, wtPort, mode, reflect, batch, ticket, any, aoi, timeoutMs,
 *                rejoinMs, rejoinAfterMs, iceServers})
 *     url: the WebSocket (default ws(s)://this page's host/; outside a page
 *     it must be given); rtcUrl: where the WebRTC offer is POSTed (default
 *     this page's origin + "/rtc");
 *     wtUrl: where the relay says how to open a WebTransport session (its
 *     port, path and certificate hashes; default this page's origin +
 *     "/wt", fetched again at each start: a relay draws a new certificate
 *     every few days); wtPort: the UDP port to reach instead of the one the
 *     relay names (a proxy's in front of it, such as ricochet-netsim's);
 *     mode: WebRTC and WebTransport, the send mode
 *     (unsequenced, sequenced, reliable; over WebTransport also streams);
 *     ticket: a ticket as ricochet-ticket mint prints it (room and name
 *     are then its own: this.ticket holds its claims), or its pass; the
 *     join carries the pass (over WebRTC also the offer's Authorization:
 *     Bearer, over WebTransport the CONNECT's ?pass=); a sealed ticket's
 *     session needs a relay that takes it in clear (wss://, webrtc, wt);
 *     any: room is a prefix (1 to 28), and the relay puts me in the
 *     fullest room under it with space, or makes the next ("duel-" gives
 *     "duel-1", then "duel-2"); this.room names it from the welcome, and a
 *     rejoin goes back to it;
 *     timeoutMs: join deadline and the relay's silence before the session
 *     ends (default 5000, 1..3600000); a ping goes after a third of it
 *     without sending, 1 s at most (over WebTransport a third of the
 *     relay's own timeout, from GET /wt, if shorter).
 *     rejoinMs: when the relay is lost (it went silent, closed, refused or
 *     shut down, after a welcome), join the room again through the address
 *     the session started from, for up to this long (0, the default: a
 *     lost relay ends the session); each attempt is a "moved" event with
 *     code "rejoin", then a "welcome"; a relay that says nothing for
 *     rejoinAfterMs (1500, 100..3600000) counts as lost (the session pings
 *     after a third of it). A fleet's moved is followed always (route ws
 *     and webrtc; at most two hops a join): a "moved" with code "moved".
 *     Bad options throw at once: TypeError (a name, a route, a mode, a
 *     url), RangeError (a time).
 *   start(): opens the route and joins; returns the session. Whatever
 *     fails after is a "close" event, never an exception (even at once:
 *     listeners added right after start() hear it).
 *   sendState({x, y, vx, vy, heading}, payload): sends my state (seq and
 *     send_us set here) with its payload (bytes, PAYLOAD_MAX at most: a
 *     RangeError past it, before anything is sent); returns its seq, or 0 if
 *     not sent (not joined, or between relays; a stream that still holds
 *     more than 64 KiB, or a channel not open: counted in skipped).
 *   sendEvent(to, data): an event (EVENT_MAX bytes at most) to member `to`
 *     or to every other member (TO_ROOM); false if not sent.
 *   After close() (or the end) sendState and sendEvent throw: the session is
 *   closed.
 *   chat(text), ping(): control messages (false if not sent).
 *   listRooms(prefix, after): asks for a page of the relay's rooms (a
 *     "rooms" event answers; false if not joined).
 *   setMode(mode): WebRTC and WebTransport, sends that mode's way from now
 *     on (what counts is how you send); returns false over a WebSocket.
 *   memberList(), member(id): the members of my room (not me) as copies,
 *     {id, name, mode, arrivedAs, hasState, last, lastRecvUs, latencyUs,
 *     latencyKnown, stats: {received, expected, lost, duplicates, reordered,
 *     tooOld, noLatency, latencyMaxUs, latencyBoundUs, latencyMeanUs,
 *     jitterUs}} (member: null if none has that id).
 *   latency(), rtt(): the one-way latency of the states received (those
 *     timed), and the round trip of my reflected ones, as {count, p50Us,
 *     p90Us, p99Us, maxUs, meanUs} (percentiles of the last 4096).
 *   close(): leaves and closes (a "close" event with code "closed"): over
 *     WebRTC and WebTransport a `leave` first, over WebTransport then the
 *     control stream's end after it, then the session's (wt.close()).
 * Read-only fields: route, phase ("connecting", "joining", "joined",
 *   "closed"), id, room, name, mode (how my states go: "ws", or a WebRTC
 *   mode), where (the relay's host:port now), members (Map id -> member,
 *   the session's own objects: {id, name, mode, arrivedAs, clock
 *   (ClockSync), hasState, last (newest state), lastRecvUs, latencyUs,
 *   latencyKnown, latencyBoundUs, stats (RecvStats), maxGapUs}), clock (my
 *   ClockSync), rttUs (last pong's round trip), echo (my own state as the
 *   relay reflected it), sent, skipped, bad, lastBad, endCode, endText,
 *   endReason, endHint.
 * Events (CustomEvent, fields in detail): open (the route is up, join
 *   sent), welcome ({id, room, aoi, roster}), roster (members changed), state
 *   ({id, state, arrivedAs, recvUs, latencyUs, latencyKnown, latencyBoundUs};
 *   state.payload: its bytes after the 40), event ({id, name, to, code:
 *   "room" or "direct", data: the body, recvUs}),
 *   tooold ({id, state, arrivedAs}: a sequenced state not delivered), echo
 *   ({state, rttUs}), rooms ({prefix, rooms: [{room, members, capacity}]
 *   in name order, ROOMS_PAGE at most, more: ask again after the last}),
 *   joined ({id, name, mode}), left ({id, name, reason:
 *   "quit", "timeout" or "kicked", member: its last memberList() entry}),
 *   chat ({id, name, text}), error ({code, message}: the relay's, the
 *   session goes on unless a close follows), clock, appeared, vanished
 *   (each the decoded message), moved ({code: "moved" or "rejoin", text:
 *   host:port, url: where the session goes now; the members are forgotten
 *   and a welcome follows}), pong ({t, relay_t, rttUs}), bad ({error}),
 *   close ({code, text, reason: one line, hint: what to do}), always the
 *   last.
 */
export class Session extends EventTarget {
  constructor(options) {
    super();
    const o = Object.assign({ route: "ws", mode: "unsequenced", reflect: false, batch: false,
                              timeoutMs: TIMEOUT_MS, rejoinMs: 0, rejoinAfterMs: REJOIN_AFTER_MS,
                              iceServers: [] }, options);
    if (o.route !== "ws" && o.route !== "webrtc" && o.route !== "wt")
      throw new TypeError(`route ${JSON.stringify(o.route)}: ws, webrtc or wt`);
    for (const k of ["room", "name"])
      if ((o.ticket === undefined || o[k] !== undefined) && !validName(o[k]))
        throw new TypeError(`${k} ${JSON.stringify(o[k])}: 1 to 32 of A-Z a-z 0-9 _ . - ` +
                            "(no spaces or other characters)");
    if (o.route === "webrtc" && !(MODES[o.mode] && MODES[o.mode].channel))
      throw new TypeError("mode: unsequenced, sequenced or reliable");
    if (o.route === "wt" && !(MODES[o.mode] && MODES[o.mode].wt))
      throw new TypeError("mode: unsequenced, sequenced, reliable or streams");
    if (o.route === "ws" && o.url === undefined && typeof location === "undefined")
      throw new TypeError("url: outside a page, give the relay's ws:// address (its " +
                          "--listen ws://HOST:PORT), such as ws://127.0.0.1:7780/");
    if (o.route === "ws" && o.url !== undefined) {
      let u = null;
      try {
        u = new URL(o.url);
      } catch (e) { /* said below */ }
      if (!u || (u.protocol !== "ws:" && u.protocol !== "wss:"))
        throw new TypeError(`url ${JSON.stringify(o.url)}: the relay's ws:// or wss:// address, ` +
                            "such as ws://127.0.0.1:7780/");
    }
    if (o.any !== undefined && typeof o.any !== "boolean")
      throw new TypeError("any: true or false");
    if (o.any && o.ticket === undefined && o.room.length > ANY_PREFIX_MAX)
      throw new TypeError(`room ${JSON.stringify(o.room)}: with any, a prefix of 1 to ` +
                          `${ANY_PREFIX_MAX} (the relay adds a number of up to 4 digits)`);
    checkMs(o, "timeoutMs", 1, 3600000);
    checkMs(o, "rejoinMs", 0, 3600000);
    checkMs(o, "rejoinAfterMs", 100, 3600000);
    /* a whole ticket: its pass goes, its room and name are mine */
    const ticket = o.ticket === undefined ? null : readTicket(o.ticket);
    if (ticket) o.ticket = ticket.pass;
    this.options = o;
    this.ticket = ticket;
    this.route = o.route;
    this.mode = o.route === "ws" ? "ws" : o.mode;
    this.phase = "connecting";
    this.id = 0;
    this.room = ticket ? ticket.room : o.room || "";
    this.name = ticket ? ticket.name : o.name || "";
    this.members = new Map();
    this.clock = new ClockSync();
    this.rttUs = 0;
    this.echo = null;
    this.sent = 0;
    this.skipped = 0;
    this.bad = 0;
    this.lastBad = "";
    this.endCode = "";
    this.endText = "";
    this.endReason = "";
    this.endHint = "";
    this._seq = 1;
    this._announced = new ClockSync();
    this._clockChanged = false;
    this._clockSamples = 0;
    this._pingBackoff = 0;
    this._nextPingUs = 0;
    this._pingedUs = 0;
    this._sentUs = 0;
    this._heardUs = 0;
    this._relayTimeoutMs = 0; /* the relay's silence before it drops me, if it said (GET /wt) */
    this._deadlineUs = 0;
    this._timer = 0;
    this._latency = new TimeDistribution();
    this._rtt = new TimeDistribution();
    /* where the route goes now: the entry's, or a fleet's relay after a moved */
    this._url = o.url;
    this._rtcUrl = o.rtcUrl;
    this._started = false;
    this._attempt = 0;        /* one a route opened: what an older one says is not heard */
    this._wasJoined = false;  /* welcomed at least once */
    this._lostUs = 0;         /* the relay was lost then, and not rejoined yet (0: no) */
    this._reportLost = false; /* the next join says I lost my room's relay */
    this._joinEpoch = 0;      /* the moved's epoch the next join carries */
    this._hops = 0;
    this._visited = [];       /* the relays of this join a moved came from */
    this._hopTimer = 0;
    this._ws = null;
    this._pc = null;
    this._channels = {};
    this._wt = null;
    this._wtWriters = {};
  }

  /* The relay's host:port now (for a page's default, its host). */
  get where() {
    let url = this.route === "ws" ? this._url : this.route === "webrtc" ? this._rtcUrl
      : this.options.wtUrl;
    if (!url && typeof location !== "undefined") url = location.href;
    try {
      return new URL(url).host;
    } catch (e) {
      return "";
    }
  }

  start() {
    if (this._started) return this;
    this._started = true;
    this._timer = setInterval(() => this._tick(nowUs()), TICK_MS);
    this._open();
    return this;
  }

  /* Opens the route and joins. After a microtask: a route that fails at
   * once still reaches listeners added right after start(). */
  _open() {
    const attempt = ++this._attempt;
    this._deadlineUs = nowUs() + this.options.timeoutMs * 1000;
    const failed = (e) => {
      if (attempt === this._attempt) this._end("refused", String(e && e.message || e));
    };
    Promise.resolve().then(() => {
      if (this.phase === "closed" || attempt !== this._attempt) return;
      if (this.route === "ws") this._openWebSocket(attempt);
      else if (this.route === "wt") return this._openWebTransport(attempt);
      else return this._openWebRtc(attempt);
    }).catch(failed);
  }

  /* Is this attempt over (a hop, or the end)? */
  _stale(attempt) {
    return this.phase === "closed" || attempt !== this._attempt;
  }

  memberList() {
    return Array.from(this.members.values(), memberView);
  }

  member(id) {
    const m = this.members.get(id);
    return m ? memberView(m) : null;
  }

  latency() {
    return this._latency.view();
  }

  rtt() {
    return this._rtt.view();
  }

  _emit(type, detail) {
    this.dispatchEvent(new EventWithDetail(type, { detail }));
  }

  /* ---- routes ---- */

  _openWebSocket(attempt) {
    let url = this._url;
    if (!url && typeof location !== "undefined")
      url = (location.protocol === "https:" ? "wss://" : "ws://") + location.host + "/";
    if (!WebSocketImpl) {
      this._end("refused", "no WebSocket here: in Node 18 or 20, npm install ws");
      return;
    }
    let ws;
    try {
      ws = new WebSocketImpl(url);
    } catch (e) {
      this._end("refused", `no WebSocket at ${url} (${e.message || e})`);
      return;
    }
    this._ws = ws;
    let failure = "";
    ws.binaryType = "arraybuffer";
    /* Node's `ws` throws an error event nobody listens to out of the event
     * loop: this listener stays for the socket's life (_hangUp). */
    ws.onerror = (e) => { failure = webSocketFailure(e, url); };
    ws.onopen = () => this._joinNow(attempt);
    ws.onmessage = (e) => this._receive(e.data, "ws");
    ws.onclose = (e) => {
      if (this._stale(attempt)) return;
      const why = e.reason ? `: ${e.reason}` : "";
      if (this.phase === "connecting") this._end("refused", failure || `no WebSocket at ${url}${why}`);
      else this._end("disconnected", `the relay closed the WebSocket (${e.code})${why}`);
    };
  }

  async _openWebRtc(attempt) {
    if (typeof RTCPeerConnection === "undefined") {
      this._end("refused", "no WebRTC here: a browser has it (in Node, route ws)");
      return;
    }
    const pc = new RTCPeerConnection({ iceServers: this.options.iceServers });
    this._pc = pc;
    for (const c of RTC_CHANNELS) {
      const ch = pc.createDataChannel(c.label, c.options);
      ch.binaryType = "arraybuffer";
      const arrived = c.label === "control" ? "reliable" : c.label;
      ch.onmessage = (e) => this._receive(e.data, arrived);
      this._channels[c.label] = ch;
    }
    this._channels.control.onopen = () => this._joinNow(attempt);
    this._channels.control.onclose = () => {
      if (this._stale(attempt)) return;
      if (this.phase === "connecting") this._end("refused", "the data channels never opened");
      else this._end("disconnected", "the relay closed the data channels");
    };
    pc.onconnectionstatechange = () => {
      if (pc.connectionState === "failed" && !this._stale(attempt))
        this._end(this.phase === "connecting" ? "refused" : "disconnected",
                  "the WebRTC connection failed");
    };
    await pc.setLocalDescription(await pc.createOffer());
    /* The relay is ICE-lite and takes no trickled candidates: the offer
     * goes with every candidate gathered. */
    await new Promise((resolve) => {
      if (pc.iceGatheringState === "complete") return resolve();
      const done = () => {
        if (pc.iceGatheringState === "complete") resolve();
      };
      pc.addEventListener("icegatheringstatechange", done);
      setTimeout(resolve, ICE_GATHER_MS);
    });
    if (this._stale(attempt)) return;
    const headers = { "Content-Type": "application/sdp" };
    if (this.options.ticket) headers.Authorization = "Bearer " + this.options.ticket;
    const url = this._rtcUrl || location.origin + "/rtc";
    const res = await fetch(url, { method: "POST", headers, body: pc.localDescription.sdp,
                                   cache: "no-store" });
    if (this._stale(attempt)) return;
    if (res.status !== 201) {
      const body = (await res.text()).slice(0, 120).replace(/\s+/g, " ").trim();
      this._end("refused", `POST ${url} answered ${res.status}${body ? ": " + body : ""}`);
      return;
    }
    const sdp = await res.text();
    if (this._stale(attempt)) return;
    await pc.setRemoteDescription({ type: "answer", sdp });
  }

  /* WebTransport (PROTOCOL.md, "WebTransport"): the relay's GET /wt says
   * where and which certificates to trust; the session's first
   * bidirectional stream carries control messages and reliable states in
   * frames, datagrams the unreliable states after their channel byte, and
   * each stream the relay opens one sender's states (mode streams). */
  async _openWebTransport(attempt) {
    if (typeof WebTransport === "undefined") {
      this._end("refused", "no WebTransport here: a browser that speaks HTTP/3 has it");
      return;
    }
    const infoUrl = this.options.wtUrl ||
      (typeof location !== "undefined" ? location.origin + "/wt" : "");
    if (!infoUrl) {
      this._end("refused", "no wtUrl: outside a page, give the relay's http(s)://HOST:PORT/wt");
      return;
    }
    const res = await fetch(infoUrl, { cache: "no-store" });
    if (this._stale(attempt)) return;
    if (res.status !== 200) {
      this._end("refused", `GET ${infoUrl} answered ${res.status}`);
      return;
    }
    const info = await res.json();
    if (Number.isInteger(info.timeout_ms) && info.timeout_ms > 0) this._relayTimeoutMs = info.timeout_ms;
    const port = this.options.wtPort || info.port;
    let url = `https://${new URL(infoUrl).hostname}:${port}${info.path}`;
    if (this.options.ticket) url += "?pass=" + encodeURIComponent(this.options.ticket);
    const opts = {};
    if (info.hashes && info.hashes.length) /* a certificate the relay drew: trust it by hash */
      opts.serverCertificateHashes = info.hashes.map((h) => ({ algorithm: "sha-256",
        value: new Uint8Array(h.match(/../g).map((x) => parseInt(x, 16))) }));
    if (this._stale(attempt)) return;
    const wt = new WebTransport(url, opts);
    this._wt = wt;
    const gone = (why) => {
      if (this._stale(attempt)) return;
      if (this.phase === "connecting") this._end("refused", `no WebTransport session at ${url}${why}`);
      else this._end("disconnected", `the relay closed the WebTransport session${why}`);
    };
    wt.closed.then(() => gone(""), (e) => gone(`: ${e && e.message || e}`));
    await wt.ready;
    const control = await wt.createBidirectionalStream();
    if (this._stale(attempt)) return;
    this._wtWriters.control = control.writable.getWriter();
    this._wtWriters.datagrams = wt.datagrams.writable.getWriter();
    this._readFrames(control.readable, "reliable", attempt);
    this._readDatagrams(wt.datagrams.readable, attempt);
    this._readStreams(wt.incomingUnidirectionalStreams, attempt);
    this._joinNow(attempt);
  }

  /* Messages in 2-byte length frames on a stream, each as arrivedAs. */
  async _readFrames(readable, arrivedAs, attempt) {
    const reader = readable.getReader();
    let buf = new Uint8Array(0);
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this._stale(attempt)) return;
        const more = new Uint8Array(buf.length + value.length);
        more.set(buf);
        more.set(value, buf.length);
        buf = more;
        while (buf.length >= 2) {
          const n = buf[0] << 8 | buf[1];
          if (n === 0) return this._badMessage(new ProtocolError("bad_state", "an empty frame"));
          if (buf.length < 2 + n) break;
          this._receive(buf.slice(2, 2 + n), arrivedAs);
          buf = buf.subarray(2 + n);
        }
      }
    } catch (e) { /* the stream ended with the session: its close says why */ }
  }

  async _readDatagrams(readable, attempt) {
    const reader = readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this._stale(attempt)) return;
        const way = value[0] === 1 ? "unsequenced" : value[0] === 2 ? "sequenced" : "";
        if (!way || value.length < 2) this._badMessage(new ProtocolError("bad_state", "a datagram's channel"));
        else this._receive(value.subarray(1), way);
      }
    } catch (e) { /* ended with the session */ }
  }

  /* The streams the relay opens: one sender's states each (mode streams). */
  async _readStreams(incoming, attempt) {
    const reader = incoming.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done || this._stale(attempt)) return;
        this._readFrames(value, "streams", attempt);
      }
    } catch (e) { /* ended with the session */ }
  }

  /* bytes the way `way` says (a datagram's channel, "control", "own"). */
  _sendWt(bytes, way) {
    const w = this._wtWriters;
    if (typeof way === "number") {
      if (!w.datagrams) return false;
      const d = new Uint8Array(1 + bytes.length);
      d[0] = way;
      d.set(bytes, 1);
      w.datagrams.write(d).catch(() => {});
      return true;
    }
    if (way === "own" && !w.own) {
      if (!w.opening && this._wt) /* my own stream, opened at its first state */
        w.opening = this._wt.createUnidirectionalStream()
          .then((s) => { w.own = s.getWriter(); }, () => {});
      return false;
    }
    const writer = way === "own" ? w.own : w.control;
    if (!writer || (writer.desiredSize !== null && writer.desiredSize < -WS_BUFFERED_MAX)) return false;
    const f = new Uint8Array(2 + bytes.length);
    f[0] = bytes.length >> 8;
    f[1] = bytes.length & 255;
    f.set(bytes, 2);
    writer.write(f).catch(() => {});
    return true;
  }

  /* The join: the room and the name (or a ticket), how to send me
   * states; after a moved its epoch, after a lost relay word of it. */
  _joinMessage() {
    const o = this.options, join = { type: "join" };
    for (const k of ["room", "name", "ticket", "reflect", "batch", "aoi"])
      if (o[k] !== undefined) join[k] = o[k];
    if (o.ticket) join.nonce = randomHex(16);
    if (o.any && !o.ticket) { /* the prefix until a room is mine, then that room */
      join.room = this.room;
      if (this._anyPending()) join.any = true;
    }
    if (this.route !== "ws") join.mode = this.mode; /* a stream edge has its own */
    if (this._joinEpoch) join.epoch = this._joinEpoch;
    if (this._reportLost) join.lost = true;
    return join;
  }

  _joinNow(attempt) {
    if (this.phase !== "connecting" || attempt !== this._attempt) return;
    this.phase = "joining";
    let text;
    try {
      text = encodeControl(this._joinMessage());
    } catch (e) {
      this._end("refused", `no join could be made: ${e.message}`);
      return;
    }
    this._sendBytes(text, "control");
    this._emit("open", { route: this.route });
  }

  /* ---- sending ---- */

  _sendBytes(bytes, label) {
    if (this.route === "wt") {
      if (!this._sendWt(typeof bytes === "string" ? new TextEncoder().encode(bytes) : bytes,
                        label === "control" ? "control" : label))
        return false;
    } else if (this.route === "ws") {
      if (!this._ws || this._ws.readyState !== WS_OPEN) return false;
      this._ws.send(bytes);
    } else {
      const ch = this._channels[label];
      if (!ch || ch.readyState !== "open") return false;
      ch.send(bytes);
    }
    this._sentUs = nowUs();
    return true;
  }

  _sendControl(msg) {
    let text;
    try {
      text = encodeControl(msg);
    } catch (e) {
      return false;
    }
    return this._sendBytes(text, "control");
  }

  sendState(st, payload) {
    const extra = payload === undefined ? undefined : bytesOf(payload); /* throws: not bytes */
    if (extra && extra.length > PAYLOAD_MAX)
      throw new RangeError(`payload of ${extra.length} bytes, max ${PAYLOAD_MAX}: too big`);
    if (this.phase === "closed") throw new Error("the session is closed");
    if (this.phase !== "joined") return 0;
    if (this.route === "ws" && this._ws && this._ws.bufferedAmount > WS_BUFFERED_MAX) {
      this.skipped++;
      return 0;
    }
    const seq = this._seq;
    const bytes = encodeState({ seq, send_us: nowUs(), x: st.x, y: st.y, vx: st.vx || 0,
                                vy: st.vy || 0, heading: st.heading || 0 }, extra);
    const way = this.route === "ws" ? null : this.route === "wt" ? MODES[this.mode].wt
      : MODES[this.mode].channel;
    if (!this._sendBytes(bytes, way)) {
      this.skipped++;
      return 0;
    }
    this._seq = (this._seq + 1) >>> 0 || 1;
    this.sent++;
    return seq;
  }

  /* An event to member `to` (TO_ROOM: every other member) with data
   * (bytes, EVENT_MAX at most: RangeError past it, TypeError for what is not
   * bytes); false if not joined yet. Reliable and in order per sender. */
  sendEvent(to, data) {
    const bytes = encodeEvent(to, data);
    if (this.phase === "closed") throw new Error("the session is closed");
    if (this.phase !== "joined") return false;
    return this._sendBytes(bytes, "control");
  }

  chat(text) {
    return this.phase === "joined" && validText(text) && this._sendControl({ type: "chat", text });
  }

  ping() {
    if (this.phase !== "joined") return false;
    return this._sendControl({ type: "ping", t: nowUs() });
  }

  setMode(mode) {
    const m = MODES[mode];
    if (!m || !(this.route === "webrtc" ? m.channel : this.route === "wt" ? m.wt : null))
      return false;
    this.mode = mode;
    return true;
  }

  /* ---- rooms to list ---- */

  /* Asks the relay for a page of its rooms whose names start with prefix
   * ("": all) and sort after `after` ("": from the first); the answer is a
   * "rooms" event. TypeError: not 0 to 32 of the name characters; false if
   * not sent: before the welcome (nothing is queued) or once closed. */
  listRooms(prefix = "", after = "") {
    for (const [k, v] of [["prefix", prefix], ["after", after]])
      if (!validPrefix(v))
        throw new TypeError(`${k} ${JSON.stringify(v)}: 0 to 32 of A-Z a-z 0-9 _ . -`);
    return this.phase === "joined" && this._sendControl({ type: "rooms", prefix, after });
  }

  /* Joining any room under the prefix, and none is mine yet. */
  _anyPending() {
    return Boolean(this.options.any && !this.options.ticket && this.room === this.options.room);
  }

  close() {
    if (this.phase === "closed") return;
    if (this.route !== "ws") this._sendControl({ type: "leave" });
    this._end("closed", "close() was called");
  }

  /* ---- timers ---- */

  _pingInterval() {
    let base = CLOCK_FAST_PING_US;
    if (this._clockSamples >= CLOCK_FAST_PINGS) {
      base = Math.min(CLOCK_PING_MAX_US, CLOCK_PING_US * 2 ** this._pingBackoff);
    }
    return base - base / 4 + Math.random() * base / 2;
  }

  /* How long without sending before a ping: 1 s, or a third of the
   * relay's timeout (as GET /wt said it, else timeoutMs) if shorter. */
  _idlePingUs() {
    return Math.min(IDLE_PING_US, (this._relayTimeoutMs || this.options.timeoutMs) * 1000 / 3);
  }

  _tick(now) {
    if (this.phase === "closed") return;
    const o = this.options;
    if (this.phase !== "joined") {
      if (now >= this._deadlineUs)
        this._end("timeout", this.phase === "connecting"
          ? `no answer from ${this.where || "the relay"} in ${o.timeoutMs} ms`
          : `no welcome from the relay in ${o.timeoutMs} ms`);
      return;
    }
    const silentUs = now - this._heardUs;
    if (silentUs > o.timeoutMs * 1000) {
      this._end("timeout", `the relay went silent for ${o.timeoutMs} ms`);
      return;
    }
    /* With a rejoin window a relay silent for rejoinAfterMs is lost; a live
     * one answers the ping that goes after a third of it. */
    const quietUs = o.rejoinAfterMs * 1000 / 3;
    if (o.rejoinMs && silentUs > o.rejoinAfterMs * 1000) {
      this._end("timeout", `the relay went silent for ${o.rejoinAfterMs} ms`);
      return;
    }
    if (now >= this._nextPingUs || now - this._sentUs >= this._idlePingUs() ||
        (o.rejoinMs && silentUs >= quietUs && now - this._pingedUs >= quietUs)) {
      if (this.ping()) this._pingedUs = now;
      this._nextPingUs = now + this._pingInterval();
    }
    /* Announce my offset when it changed enough: every member gets it. */
    const c = this.clock, a = this._announced;
    if (c.valid && this._clockChanged &&
        (!a.valid || c.boundUs * 2 < a.boundUs || c.boundUs > a.boundUs * 2 ||
         Math.abs(c.offsetUs - a.offsetUs) > a.boundUs)) {
      if (this._sendControl({ type: "clock", offset_us: c.offsetUs, bound_us: c.boundUs }))
        a.set(c.offsetUs, c.boundUs, c.atUs);
    }
    this._clockChanged = false;
  }

  /* ---- the end, and the hops that are not ---- */

  /* The end: one "close" event, the last; or, for a relay lost within a
   * rejoin window, the join again (_rejoin). */
  _end(code, text, hint) {
    if (this.phase === "closed") return;
    if (code !== "closed" && this._rejoin(code)) return;
    const joined = this.phase === "joined";
    const givenUp = this._lostUs > 0;
    this.phase = "closed";
    clearInterval(this._timer);
    clearTimeout(this._hopTimer);
    this._hangUp();
    const described = describeEnd(code, text || code, joined, this.route);
    const reason = described.reason;
    if (hint === undefined) hint = described.hint;
    this.endCode = code;
    this.endText = text || "";
    this.endReason = reason;
    this.endHint = givenUp
      ? `no relay took the room again within rejoinMs (${this.options.rejoinMs} ms): ${hint}` : hint;
    this._emit("close", { code, text: this.endText, reason, hint: this.endHint });
  }

  /* Closes the route, saying nothing to the program (the end's or a
   * hop's first step); whatever the old route says after is not heard. */
  _hangUp() {
    this._attempt++;
    if (this._ws) {
      const ws = this._ws;
      this._ws = null;
      ws.onopen = ws.onclose = ws.onmessage = null;
      ws.onerror = () => {}; /* Node's `ws` throws an error nobody hears */
      try { ws.close(1000); } catch (e) { /* already closed */ }
    }
    if (this._wt) {
      const wt = this._wt;
      this._wt = null;
      /* the control stream ended after what is queued (a leave), then the
       * session: closing at once would drop the leave. Either end is
       * leaving to the relay, which closes the connection at the first. */
      const close = () => { try { wt.close(); } catch (e) { /* already closed */ } };
      const c = this._wtWriters.control;
      const ended = c ? c.close() : Promise.resolve();
      Promise.race([ended, new Promise((done) => setTimeout(done, WT_CLOSE_WAIT_MS))])
        .then(close, close);
    }
    this._wtWriters = {};
    if (this._pc) {
      for (const ch of Object.values(this._channels)) ch.onopen = ch.onclose = ch.onmessage = null;
      this._pc.onconnectionstatechange = null;
      try { this._pc.close(); } catch (e) { /* already closed */ }
      this._pc = null;
    }
    this._channels = {};
  }

  /* A relay lost (code one of RELAY_LOST) after a welcome, within the
   * rejoin window: the join again through the address the session started
   * from, after REJOIN_PAUSE_MS. True if so (client/client_phase.c's
   * client_rejoin). */
  _rejoin(code) {
    const o = this.options, now = nowUs();
    if (!o.rejoinMs || !(this._wasJoined || this._lostUs) || !RELAY_LOST.includes(code) ||
        (code === "moved" && this.route === "wt") ||
        (this._lostUs && now - this._lostUs > o.rejoinMs * 1000))
      return false;
    if (!this._lostUs) this._lostUs = now;
    this._reportLost = true; /* the join says so: a fleet checks the room's holder */
    this._hop("rejoin", o.url, o.rtcUrl, 0, REJOIN_PAUSE_MS);
    return true;
  }

  /* A fleet's moved: the room lives at m.host:m.port; the session follows,
   * at most HOPS_MAX times a join and never back to a relay of this join. */
  _follow(m) {
    const to = hostPort(m.host, m.port);
    if (this.route === "wt") {
      this._end("moved", `the room lives at ${to} (${m.transport}), and a WebTransport session ` +
                "does not follow a fleet");
      return;
    }
    this._visited.push(this.where);
    const back = this._visited.includes(to);
    if (back || this._hops >= HOPS_MAX) {
      this._end("moved_too_far", `sent ${back ? "back" : "on"} to ${to} after ${this._visited[0]}`);
      return;
    }
    this._hops++;
    this._reportLost = false; /* sent on to the room's holder as it stands */
    const url = this.route === "ws" ? urlAt(this._url || this.options.url || location.href
                                              .replace(/^http/, "ws"), m.host, m.port) : undefined;
    const rtcUrl = this.route === "webrtc"
      ? urlAt(this._rtcUrl || location.origin + "/rtc", m.host, m.port) : undefined;
    this._hop("moved", url, rtcUrl, m.epoch, 0);
  }

  /* Leaves this relay for url / rtcUrl (undefined: the page's own) after
   * pauseMs: the members forgotten, a "moved" event, the join again. */
  _hop(code, url, rtcUrl, epoch, pauseMs) {
    this._hangUp();
    this.phase = "connecting";
    this.id = 0;
    this.echo = null;
    this.members.clear();
    this._joinEpoch = epoch;
    this._deadlineUs = nowUs() + (pauseMs + this.options.timeoutMs) * 1000;
    this._emit("roster", {});
    clearTimeout(this._hopTimer);
    this._hopTimer = setTimeout(() => {
      if (this.phase === "closed") return;
      this._url = url;
      this._rtcUrl = rtcUrl;
      /* another relay, another clock */
      this.clock = new ClockSync();
      this._announced = new ClockSync();
      this._clockSamples = this._pingBackoff = 0;
      this._clockChanged = false;
      this._nextPingUs = 0;
      this._relayTimeoutMs = 0;
      this._open();
      const where = this.where;
      this._emit("moved", { code, text: where, url: url || rtcUrl || "" });
    }, pauseMs);
  }

  /* ---- receiving ---- */

  _badMessage(err) {
    this.bad++;
    this.lastBad = err.message || String(err);
    this._emit("bad", { error: err });
  }

  _receive(data, arrivedAs) {
    if (this.phase === "closed") return;
    const now = nowUs();
    this._heardUs = now;
    const bytes = typeof data === "string" ? null : bytesOf(data);
    if (bytes && bytes.length === 0) return this._badMessage(new ProtocolError("bad_state", "empty"));
    if (bytes && isEvent(bytes)) {
      let e;
      try {
        e = decodeEvent(bytes);
      } catch (err) {
        return this._badMessage(err);
      }
      if (this.phase !== "joined" || e.sender === 0 || (e.to !== TO_ROOM && e.to !== this.id))
        return this._badMessage(new ProtocolError("bad_state", "an event not for me"));
      const m = this.members.get(e.sender);
      this._emit("event", { id: e.sender, name: m ? m.name : "", to: e.to,
                            code: e.to === TO_ROOM ? "room" : "direct", data: e.data,
                            recvUs: now });
      return;
    }
    if (!bytes || bytes[0] === 0x7b) { /* "{": control */
      let m;
      try {
        m = decodeControl(bytes || data);
      } catch (e) {
        return this._badMessage(e);
      }
      return this._control(m, now);
    }
    let entries;
    try {
      entries = isBatch(bytes) ? unpackBatch(bytes) : [bytes];
    } catch (e) {
      return this._badMessage(e);
    }
    for (const entry of entries) {
      try {
        if (entry[0] === 0x7b) throw new ProtocolError("bad_state", "control in a batch");
        this._state(decodeState(entry), arrivedAs, now);
      } catch (e) {
        this._badMessage(e);
      }
    }
  }

  _member(id, fields, now) {
    let m = this.members.get(id);
    if (!m) {
      m = { id, name: "", mode: "", arrivedAs: "", clock: new ClockSync(), hasState: false,
            last: null, lastRecvUs: 0, latencyUs: 0, latencyKnown: false, latencyBoundUs: 0,
            stats: new RecvStats(), maxGapUs: 0 };
      this.members.set(id, m);
    }
    if (fields) {
      if (fields.name) m.name = fields.name;
      if (fields.mode) m.mode = fields.mode;
      if (fields.state) {
        const s = fields.state;
        m.last = { sender: id, seq: s.seq, send_us: s.t, x: s.x, y: s.y, vx: s.vx, vy: s.vy,
                   heading: s.heading };
        m.hasState = true;
      }
      if (fields.clock) m.clock.set(fields.clock.offset_us, fields.clock.bound_us, now);
    }
    return m;
  }

  _state(st, arrivedAs, now) {
    if (st.sender === 0) {
      this._badMessage(new ProtocolError("bad_state", "a state without sender"));
      return;
    }
    if (this.phase !== "joined") return; // it overtook the welcome (its way and the control's are apart): no fault
    if (st.sender === this.id) {
      this.echo = st;
      this._rtt.record(now - st.send_us);
      this._emit("echo", { state: st, rttUs: now - st.send_us });
      return;
    }
    const m = this._member(st.sender, null, now);
    const fresh = !m.arrivedAs;
    m.arrivedAs = arrivedAs;
    /* Sequenced keeps each sender's order here, as the C library does:
     * never older than the newest delivered from that sender in any mode. */
    if (MODES[arrivedAs] && MODES[arrivedAs].dropOld && m.hasState && !seqAfter(st.seq, m.last.seq)) {
      m.stats.tooOld++;
      this._emit("tooold", { id: st.sender, state: st, arrivedAs });
      return;
    }
    const lat = clockLatency(this.clock, m.clock, st.send_us, now);
    m.latencyUs = lat.latencyUs;
    m.latencyKnown = lat.known;
    m.latencyBoundUs = lat.boundUs;
    const isNew = m.stats.record(st.seq, lat.known ? lat.latencyUs : null);
    if (isNew && lat.known) this._latency.record(lat.latencyUs);
    if (m.lastRecvUs && m.stats.received > 1) m.maxGapUs = Math.max(m.maxGapUs, now - m.lastRecvUs);
    if (!m.hasState || (isNew && seqAfter(st.seq, m.last.seq))) {
      m.last = st;
      m.hasState = true;
    }
    m.lastRecvUs = now;
    this._emit("state", { id: st.sender, state: st, arrivedAs, recvUs: now,
                          latencyUs: lat.latencyUs, latencyKnown: lat.known,
                          latencyBoundUs: lat.boundUs });
    if (fresh) this._emit("roster", {});
  }

  _control(m, now) {
    switch (m.type) {
    case "welcome":
      if (this.phase === "joined") return; /* a repeated welcome */
      this.phase = "joined";
      this.id = m.id;
      this.room = m.room;
      this._wasJoined = true;
      this._lostUs = 0;
      this._reportLost = false;
      this._joinEpoch = 0;
      this._hops = 0;
      this._visited = [];
      this.members.clear();
      for (const e of m.roster) if (e.id !== this.id) this._member(e.id, e, now);
      this._nextPingUs = now;
      this._emit("welcome", m);
      this._emit("roster", {});
      return;
    case "joined":
    case "appeared":
      if (m.id !== this.id) this._member(m.id, m, now);
      this._emit(m.type, m);
      this._emit("roster", {});
      return;
    case "left":
    case "vanished": {
      const gone = this.members.get(m.id);
      this.members.delete(m.id);
      if (m.type === "left" && gone) m.member = memberView(gone);
      this._emit(m.type, m);
      this._emit("roster", {});
      return;
    }
    case "chat":
      this._emit("chat", m);
      return;
    case "clock":
      if (m.id !== this.id) this._member(m.id, { clock: m }, now);
      this._emit("clock", m);
      return;
    case "pong": {
      const rtt = now - m.t;
      if (m.t > 0 && rtt >= 0) {
        this.rttUs = rtt;
        const changed = m.relay_t ? this.clock.sample(m.t, m.relay_t, now) : -1;
        this._clockSamples++;
        if (changed === 1) {
          this._clockChanged = true;
          this._pingBackoff = 0;
        } else if (changed === 0 && this._clockSamples > CLOCK_FAST_PINGS && this._pingBackoff < 8) {
          this._pingBackoff++;
        }
      }
      this._emit("pong", Object.assign({ rttUs: rtt }, m));
      return;
    }
    case "error":
      this._emit("error", m);
      /* Any error that answers the join refuses it; some end a session. */
      if (this.phase !== "joined" || ENDING_ERRORS.includes(m.code))
        this._end(m.code, m.message);
      return;
    case "rooms":
      this._emit("rooms", m);
      return;
    case "moved":
      if (this._anyPending() && m.room.startsWith(this.room)) this.room = m.room;
      if (m.room === this.room) this._follow(m);
      else this._badMessage(new ProtocolError("bad_field", `a moved for room ${m.room}`));
      return;
    case "sealed":
      this._end("refused", "the relay seals this ticket's session (--encrypt), and ricochet.js " +
                "cannot seal", "join over wss://, webrtc or wt, where nothing is sealed again " +
                "(TLS or DTLS is), or mint the ticket with --clear for a relay without --encrypt");
      return;
    default: /* cookie: plain UDP's, not a browser's route's */
      this._badMessage(new ProtocolError("unknown_type", `a ${m.type} message on this route`));
    }
  }
}

function randomHex(bytes) {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
}
