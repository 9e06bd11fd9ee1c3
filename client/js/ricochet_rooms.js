/* ricochet_rooms.js: rooms with properties (proto/PROTOCOL.md, "Rooms with
 * properties"): a room's props and a match checked within their bounds
 * (proto/props.c's rules and words), the fields a join, a listing's ask
 * and an owner's change carry, a listing's props read, and the session's
 * part: the room options of new Session and a lobby's join, listRooms'
 * match, setRoom; and a lobby that stays (PROTOCOL.md, "A lobby that
 * stays"): watchRooms, the pings that keep its watch.
 */

import { ProtocolError, nowUs, utf8Length, validPrefix } from "./ricochet_wire.js";

export const PROPS_MAX = 8;        /* a room's props, at most (RICOCHET_PROPS_MAX) */
export const PROPS_BYTES = 256;    /* their keys and values together, at most */
export const ROOM_SIZE_MAX = 4095; /* a size a join may ask; the relay's --max-room-size bounds it */
const PROP_KEY = /^[A-Za-z0-9_.-]{1,16}$/;
const PROP_VALUE_MAX = 64;
const CONTROL_CHAR = /[\u0000-\u001f\u007f-\u009f]/; /* C0, DEL, C1: a value holds none */

/* The fields of each message that touches a room, in the order sent. */
const FIELDS = {
  join: ["props", "size", "listed", "open", "exists", "match"],
  rooms: ["match", "watch"],
  room: ["open", "listed", "props"],
};

/* What props (or a match, `what`) break, in the relay's words; "" if
 * nothing. An object of string values, at most 8 keys of 1 to 16 of
 * A-Z a-z 0-9 _ . -, values of 0 to 64 bytes of printable UTF-8, 256
 * bytes of keys and values together. */
export function propsFault(pairs, what = "props") {
  if (typeof pairs !== "object" || pairs === null || Array.isArray(pairs))
    return `field "${what}" must be an object of strings`;
  let n = 0, bytes = 0;
  for (const [k, v] of Object.entries(pairs)) {
    if (!PROP_KEY.test(k))
      return `${what}: key '${k.slice(0, 20)}' is not 1..16 bytes of A-Z a-z 0-9 _ . -`;
    const len = typeof v === "string" ? utf8Length(v) : -1;
    if (len < 0 || len > PROP_VALUE_MAX || CONTROL_CHAR.test(v))
      return `${what}: the value of '${k}' is not 0..64 bytes of printable UTF-8`;
    if (++n > PROPS_MAX) return `${what}: at most ${PROPS_MAX} keys (${k} is the ninth)`;
    bytes += k.length + len;
    if (bytes > PROPS_BYTES)
      return `${what}: keys and values are at most ${PROPS_BYTES} bytes together (${k} passes it)`;
  }
  return "";
}

function fieldFault(k, v) {
  if (k === "props" || k === "match") return propsFault(v, k);
  if (k === "size")
    return Number.isInteger(v) && v >= 1 && v <= ROOM_SIZE_MAX ? ""
      : `size ${v}: 1 to ${ROOM_SIZE_MAX} members (at most the relay's --max-room-size)`;
  return typeof v === "boolean" ? "" : `${k}: true or false`;
}

/* encodeControl's part: msg's room fields (of its type) into out, each
 * checked (ProtocolError bad_field, its words the bound broken). */
function putRoomFields(out, msg) {
  for (const k of FIELDS[msg.type] || []) {
    if (msg[k] === undefined) continue;
    const why = fieldFault(k, msg[k]);
    if (why) throw new ProtocolError("bad_field", why);
    out[k] = k === "props" || k === "match" ? Object.fromEntries(Object.entries(msg[k])) : msg[k];
  }
  return out;
}

/* decodeControl's part: a listing entry's props ({} when it has none) and
 * open (false: it takes no joiners). */
function readListedRoom(e) {
  const props = e.props === undefined || e.props === null ? {} : e.props;
  const why = propsFault(props);
  if (why) throw new ProtocolError("bad_field", why);
  if (e.open !== undefined && e.open !== null && typeof e.open !== "boolean")
    throw new ProtocolError("bad_field", "field \"open\" must be true or false");
  return { props: Object.fromEntries(Object.entries(props)), open: e.open !== false };
}

/* The room options (of new Session, or a lobby's join), checked: a
 * TypeError naming the bound broken; size 0 is the relay's (left out).
 * Returns them alone: a lobby's setup changes nothing else. */
function checkRoomOptions(o) {
  try {
    return putRoomFields({}, { type: "join", ...o, size: o.size === 0 ? undefined : o.size });
  } catch (e) {
    throw new TypeError(e.message);
  }
}

/* The join's room fields: a new room's settings, exists, and match while
 * joining any room. A join again to a room that was mine asks no exists
 * (it may have emptied since). */
function roomJoinFields(o, anyPending, again) {
  const out = {};
  if (o.props && Object.keys(o.props).length) out.props = o.props;
  if (o.size) out.size = o.size;
  if (o.listed === false) out.listed = false;
  if (o.open === false) out.open = false;
  if (o.exists && !again) out.exists = true;
  if (o.match && anyPending) out.match = o.match;
  return out;
}

/* session.listRooms(prefix, after, match): asks the relay for a page of
 * its rooms whose names start with prefix ("": all) and sort after
 * `after` ("": from the first), with match only those whose props hold
 * it; the answer is a "rooms" event. TypeError: not 0 to 32 of the name
 * characters, a match past the props' bounds; false if not sent: before
 * the welcome (a lobby's asked while connecting goes once the route is
 * up) or once closed. */
function askRooms(session, prefix, after, match, watch = undefined) {
  for (const [k, v] of [["prefix", prefix], ["after", after]])
    if (!validPrefix(v))
      throw new TypeError(`${k} ${JSON.stringify(v)}: 0 to 32 of A-Z a-z 0-9 _ . -`);
  const ask = { type: "rooms", prefix, after };
  if (match !== undefined) ask.match = match;
  /* a watching lobby's asks move its watch (watchRooms says it either way) */
  if (watch !== undefined || session._watch) ask.watch = watch !== undefined ? watch : true;
  try {
    putRoomFields({}, ask);
  } catch (e) {
    throw new TypeError(e.message);
  }
  if (ask.watch) session._watchAsk = Object.assign({}, ask, { after: "" }); /* a rejoin's */
  if (session._lobby && session.phase === "connecting") {
    session._lobbyAsk = ask; /* sent once the route is up */
    return true;
  }
  return (session.phase === "joined" || session.phase === "lobby") && session._sendControl(ask);
}

/* session.setRoom({open, listed, props}): from my room's owner (the
 * player whose join made it), open it to joiners or close it, list it or
 * not, replace its props; what is left out stays. No answer; another
 * member gets an "error" not_creator. TypeError past the bounds; false if
 * not joined. What it sets, my later joins (a rejoin) ask of the room. */
function changeRoom(session, change) {
  const msg = { type: "room" };
  for (const k of FIELDS.room)
    if (change && change[k] !== undefined) msg[k] = change[k];
  try {
    putRoomFields({}, msg);
  } catch (e) {
    throw new TypeError(e.message);
  }
  if (session.phase !== "joined" || !session._sendControl(msg)) return false;
  /* my later joins ask the room as it is now: a restarted relay makes it
   * afresh from the first join back, and an opened room stays open */
  for (const k of FIELDS.room) if (msg[k] !== undefined) session.options[k] = msg[k];
  return true;
}

/* A left that names a new owner in creator, the wire's first name for it
 * (its room's owner left): m.mine says
 * whether that is me, and session.roomMine keeps it until the next such
 * left or welcome (setRoom is mine now). */
function heirOf(session, m) {
  m.mine = m.creator !== "" && m.creator === session.player;
  if (m.creator !== "") session.roomMine = m.mine;
}

/* ---- a lobby that stays ---- */

const LOBBY_PING_US = 10000000; /* a watching lobby pings at least this often: a third of
                                   the relay's --lobby-idle-ms (30 s) */
const LOBBY_TICK_MS = 250;      /* ... its timer, while the session is a lobby */

/* session.watchRooms(prefix, match, watch): a lobby (new Session({lobby:
 * true})) asks the relay to watch the rooms under prefix ("": all) whose
 * props hold match: the first page answers, and each time that page
 * changes (a room made or gone, its members, size, props or open) a fresh
 * one comes, a "rooms" event as any listing, at most one every 500 ms.
 * While it watches the lobby has no join timeout; the session pings to
 * keep it (lobbyTick). watch false ends it (the relay's join timeout
 * counts again), as join() does. TypeError as listRooms; false if not a
 * lobby or not sent (asked while connecting: sent once the route is up). */
function watchRooms(session, prefix = "", match = undefined, watch = true) {
  if (typeof watch !== "boolean") throw new TypeError("watch: true or false");
  if (!session._lobby || session.phase === "closed") return false;
  const sent = askRooms(session, prefix, "", match, watch); /* a TypeError changes nothing */
  session._watch = watch;
  if (!watch) session._watching = false;
  if (watch && !session._lobbyTimer) { /* the session's own timer keeps a program running */
    session._lobbyTimer = setInterval(() => lobbyTick(session, nowUs()), LOBBY_TICK_MS);
    if (session._lobbyTimer.unref) session._lobbyTimer.unref();
  }
  return sent;
}

/* A listing came: session.watching says whether the relay watches for me
 * (a relay older than the watch answers without, and closes the lobby at
 * its join timeout). */
function listingCame(session, m) {
  session._watching = session.phase === "lobby" && session._watch === true && m.watch === true;
}

/* A watching lobby's timer: a ping when it sent nothing for a third of the
 * relay's timeout (as a member's), or for LOBBY_PING_US; the timer ends
 * once the session is no lobby (joined, or closed). */
function lobbyTick(session, now) {
  if (session.phase !== "lobby" && session.phase !== "connecting") {
    clearInterval(session._lobbyTimer);
    session._lobbyTimer = null;
    return;
  }
  if (session.phase !== "lobby" || !session._watch) return;
  if (now - session._sentUs >= session._idlePingUs() || now - (session._pingedUs || 0) >= LOBBY_PING_US)
    if (session._sendControl({ type: "ping", t: now })) session._pingedUs = now; /* ping() is a member's */
}

export { /* to the other modules, not the API */
  askRooms, changeRoom, heirOf, checkRoomOptions, putRoomFields, readListedRoom, roomJoinFields,
  watchRooms, listingCame,
};
