/* ricochet_wire.js: the protocol's words and bytes (proto/PROTOCOL.md,
 * version 3): its constants and modes, the value rules for rooms, players'
 * names and text,
 * the binary state, batches and events. Pure: no clock but nowUs(), no I/O,
 * nothing a session keeps; every other module reads the wire through it,
 * as the C reads it through proto/. ricochet.js lists what it exports.
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
export const EVENT_MAX = 4096;
export const TO_ROOM = 0;
export const ROOM_SENDER = ID_MAX; /* an event's id when the room sent it (its script's) */
export const KEY_MAX = 32;       /* a kept event's key (PROTOCOL.md, "Kept events") */
const EVENT_KEEP = 1, EVENT_STAY = 2, EVENT_KEPT = 4; /* an event's flags */
export const ROOMS_PAGE = 64;    /* rooms in one listing, at most */
export const ANY_PREFIX_MAX = 28; /* a prefix with any: NAME_MAX less 4 for the room's number */

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
  "ticket_replayed", "ticket_malformed", "directory_unavailable", "moved", "replaced"]);

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

/* bytes random bytes in lowercase hex (a join's nonce). */
function randomHex(bytes) {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return Array.from(b, (v) => v.toString(16).padStart(2, "0")).join("");
}

/* ---- value rules ---- */

const NAME_RE = /^[A-Za-z0-9_.-]+$/;

/* A room's name: 1 to 32 of A-Z a-z 0-9 _ . - */
export function validName(s) {
  return typeof s === "string" && s.length >= 1 && s.length <= NAME_MAX && NAME_RE.test(s);
}

/* What a player's name may not hold (proto/player_name.c): controls, with
 * the line and paragraph separators; format characters (bidi overrides,
 * zero-width ones, ...); a name of nothing but spaces and Hangul fillers. */
const NAME_CONTROL = /[\p{Cc}\u2028\u2029]/u;
const NAME_FORMAT = /\p{Cf}/u;
const NAME_BLANK = /^[\p{Zs}\u115f\u1160\u3164\uffa0]*$/u;

function codePoint(c) {
  return "U+" + c.codePointAt(0).toString(16).toUpperCase().padStart(4, "0");
}

/* Why s is no player's name, in the relay's words ("a name may not hold
 * control characters (U+001B)"); "" when it is one: 1 to max bytes of
 * UTF-8 in any script, no control or format characters, not only spaces. */
export function nameFault(s, max = NAME_MAX) {
  if (typeof s !== "string") return "a name is a string";
  if (s === "") return "a name may not be empty";
  if (utf8Length(s) < 0) return "a name must be UTF-8 text (it holds a lone surrogate)";
  for (const c of s) {
    if (NAME_CONTROL.test(c)) return `a name may not hold control characters (${codePoint(c)})`;
    if (NAME_FORMAT.test(c)) return `a name may not hold invisible format characters (${codePoint(c)})`;
  }
  if (NAME_BLANK.test(s)) return "a name may not be only spaces";
  const n = utf8Length(s);
  if (n > max)
    return `a name may not be longer than ${max} bytes of UTF-8 (this one is ${n}; a Hangul ` +
           "syllable takes 3, a Vietnamese letter with its marks 2 or 3)";
  return "";
}

/* A player's name: "민수", "Nguyễn Văn An" (nameFault says why not). */
export function validPlayerName(s) {
  return nameFault(s) === "";
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

const validKey = (key) => typeof key === "string" && /^[\x21-\x7e]{1,32}$/.test(key);

/* An event to member `to` (TO_ROOM: every other member) with data (bytes,
 * EVENT_MAX at most, a key's included), sender 0: the relay stamps it.
 * keep (a key, 1..KEY_MAX characters 0x21..0x7e): the relay also keeps it
 * for whoever joins the room later, the newest per key (to TO_ROOM only;
 * empty data clears the key); stay: kept after I leave too. */
export function encodeEvent(to, data, { keep, stay = false } = {}) {
  const body = bytesOf(data);
  const key = keep === undefined ? "" : keep;
  if (keep !== undefined && !validKey(keep))
    throw new RangeError(`keep: a key of 1..${KEY_MAX} characters 0x21..0x7e`);
  if (key.length + body.length > EVENT_MAX)
    throw new RangeError(`event of ${key.length + body.length} bytes, max ${EVENT_MAX}: too big`);
  if (!Number.isInteger(to) || to < 0 || to > ID_MAX) throw new RangeError("to: a member's id or 0");
  if (key && to !== TO_ROOM) throw new RangeError("a kept event goes to the room (TO_ROOM)");
  const out = new Uint8Array(EVENT_HEAD + key.length + body.length);
  const dv = new DataView(out.buffer);
  dv.setUint8(0, STATE_VERSION);
  dv.setUint8(1, MSG_EVENT);
  dv.setUint8(2, key ? EVENT_KEEP | (stay ? EVENT_STAY : 0) : 0);
  dv.setUint8(3, key.length);
  dv.setUint32(8, to);
  for (let i = 0; i < key.length; i++) out[EVENT_HEAD + i] = key.charCodeAt(i);
  out.set(body, EVENT_HEAD + key.length);
  return out;
}

export function decodeEvent(data) {
  const b = bytesOf(data);
  if (!isEvent(b)) throw new ProtocolError("bad_state", "not an event");
  if (b.length < EVENT_HEAD) throw new ProtocolError("bad_state", "too short");
  if (b.length > EVENT_HEAD + EVENT_MAX) throw new ProtocolError("bad_state", "too long");
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const flags = b[2], keyLen = (flags & EVENT_KEEP) ? b[3] : 0;
  const key = String.fromCharCode(...b.subarray(EVENT_HEAD, EVENT_HEAD + keyLen));
  if ((flags & EVENT_KEEP) ? !validKey(key) || EVENT_HEAD + keyLen > b.length : b[3] || (flags & EVENT_STAY))
    throw new ProtocolError("bad_state", "a bad kept event's key");
  return { sender: dv.getUint32(4), to: dv.getUint32(8), key, kept: !!(flags & EVENT_KEPT),
           data: b.slice(EVENT_HEAD + keyLen) };
}

export { /* to the other modules, not the API */
  bytesOf, cutMessage, randomHex, utf8Length, LEFT_REASONS,
};
