/* ricochet_control.js: the control messages (proto/PROTOCOL.md, "Control
 * messages"), JSON both ways: encodeControl writes a client's (join, chat,
 * clock, leave, ping, rooms, room, check) with only its known fields, validated;
 * decodeControl reads a relay's into PROTOCOL.md's field names, every
 * field checked, unknown ones ignored, ProtocolError for what does not
 * hold. Pure, as proto/control.c is: a session sends and reads through it.
 */

import { CODE_MAX, CONTROL_MAX, ID_MAX, LEFT_REASONS, ROOMS_PAGE, ROSTER_MAX, TIME_MAX, VALUE_MAX,
         VERSION, ProtocolError, bytesOf, cutMessage, utf8Length, validName, validPrefix,
         nameFault, validPlayerName,
         validText } from "./ricochet_wire.js";
import { putRoomFields, readListedRoom } from "./ricochet_rooms.js";
import { readRoomMessage, readRoomView } from "./ricochet_roomview.js";
import { readLockstep } from "./ricochet_lockstep.js";

function fieldError(name, why) {
  return new ProtocolError("bad_field", `field "${name}" ${why}`);
}

/* An integer in [lo, hi] (JSON numbers; 1e3 and 1000.0 are 1000). */
function checkInt(v, name, lo, hi) {
  if (typeof v !== "number") throw fieldError(name, "must be a number");
  if (!Number.isInteger(v) || v < lo || v > hi) throw fieldError(name, "is out of range");
  return v === 0 ? 0 : v; /* -0 is 0 */
}

const HEX32 = (s) => /^[0-9a-f]{32}$/.test(s); /* a nonce, a salt, a player's key */
/* A join's lost_relay: HOST:PORT, 1..71 bytes (proto/control.c's proto_addr_valid). */
const ADDR = (s) => typeof s === "string" && /^[A-Za-z0-9._:[\]-]{1,71}$/.test(s);
const HEX16 = (s) => /^[0-9a-f]{16}$/.test(s); /* a player id */

/* A player id where the relay gives one ("" from a relay from before keys). */
function readPlayer(o) {
  return readString(o, "player", false, HEX16) || "";
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
      const why = nameFault(need("name"));
      if (why) throw new ProtocolError("bad_name", why);
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
    if (msg.lost_relay !== undefined) {
      if (!ADDR(msg.lost_relay)) throw fieldError("lost_relay", "is not a valid value");
      out.lost_relay = msg.lost_relay;
    }
    if (msg.key !== undefined) {
      if (!HEX32(msg.key)) throw fieldError("key", "is not a valid value");
      out.key = msg.key;
    }
    putRoomFields(out, msg);
    if (msg.lockstep !== undefined) out.lockstep = msg.lockstep; /* lockstepJoinFields' */
    if (msg.spectator !== undefined) out.spectator = msg.spectator === true;
    break;
  case "check":
    out.tick = checkInt(need("tick"), "tick", 0, ID_MAX);
    if (!HEX16(need("sum"))) throw fieldError("sum", "is not 16 lowercase hex digits");
    out.sum = msg.sum;
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
    putRoomFields(out, msg);
    break;
  case "room":
    putRoomFields(out, msg);
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
  const m = { id: readId(e, "id", true), name: readString(e, "name", true, validPlayerName),
              mode: readMode(e), player: readPlayer(e), state: null, clock: null };
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


/* The fields of each relay-to-client type, in the order of PROTOCOL.md. */
const READERS = {
  welcome(o) {
    const m = { id: readId(o, "id", true), room: readString(o, "room", true, validName),
                aoi: readAoi(o), key: readString(o, "key", false, HEX32) || "",
                player: readPlayer(o), ...readRoomView(o) };
    const roster = req(o, "roster");
    if (!Array.isArray(roster)) throw fieldError("roster", "must be an array");
    if (roster.length > ROSTER_MAX) throw fieldError("roster", "has too many members");
    m.roster = roster.map(readMember);
    if (present(o, "lockstep")) m.lockstep = readLockstep(o.lockstep);
    return m;
  },
  joined(o) {
    const m = { id: readId(o, "id", true), name: readString(o, "name", true, validPlayerName),
                mode: readMode(o), player: readPlayer(o), rejoined: false };
    if (present(o, "rejoined")) {
      if (typeof o.rejoined !== "boolean") throw fieldError("rejoined", "must be true or false");
      m.rejoined = o.rejoined;
    }
    if (present(o, "slot")) m.slot = readUint(o, "slot", true, 31);
    return m;
  },
  left(o) {
    const m = { id: readId(o, "id", true), name: readString(o, "name", true, validPlayerName),
                player: readPlayer(o), reason: readString(o, "reason", true),
                creator: readString(o, "creator", false, HEX16) || "" };
    if (!LEFT_REASONS.includes(m.reason)) throw fieldError("reason", "is not a valid value");
    return m;
  },
  chat: (o) => ({ text: readString(o, "text", true, validText), id: readId(o, "id", true),
                  name: readString(o, "name", true, validPlayerName) }),
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
                 capacity: readUint(e, "capacity", true, ID_MAX),
                 ...readListedRoom(e) };
      }),
      more,
      watch: o.watch === true, /* to a watching lobby */
    };
  },
  room: (o) => readRoomMessage(o),
  cookie: (o) => ({ cookie: readString(o, "cookie", true) }),
  late: (o) => ({ tick: readUint(o, "tick", true, ID_MAX), by_us: readUint(o, "by_us", true, TIME_MAX),
                  count: readUint(o, "count", true, ID_MAX) }),
  desync(o) {
    const ids = req(o, "ids"), players = present(o, "players") ? o.players : [];
    if (!Array.isArray(ids) || ids.length > ROSTER_MAX ||
        ids.some((id) => !Number.isInteger(id) || id < 1 || id > ID_MAX))
      throw fieldError("ids", "is not a valid value");
    if (!Array.isArray(players) || players.some((p) => typeof p !== "string" || !(p === "" || HEX16(p))))
      throw fieldError("players", "is not a valid value");
    return { tick: readUint(o, "tick", true, ID_MAX), ids, players };
  },
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
