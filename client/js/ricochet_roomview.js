/* ricochet_roomview.js: my room as the relay says it is, and my player
 * across sessions (proto/PROTOCOL.md, "Rooms with properties" and
 * "Players who come back"): the room's settings and owner read from the
 * welcome and from each `room` message the relay pushes to its members
 * after a change (its owner's, an owner's handoff, a restore), kept on the
 * session (roomSettings, owner, roomMine) and told as a "room" event; and
 * the key option of new Session, a saved player key checked without being
 * shown (a key is a secret), and a join of it refused for the relay's bound
 * on keys it does not hold sent again a second later.
 */

import { ProtocolError } from "./ricochet_wire.js";
import { ROOM_SIZE_MAX, readListedRoom } from "./ricochet_rooms.js";

const OWNER_ID = /^[0-9a-f]{16}$/;  /* a player id */
const PLAYER_KEY = /^[0-9a-f]{32}$/; /* a player's key */

/* A room as a relay that says nothing of it has it: open, listed, no
 * props, no owner, its size not said (0). */
function roomUnsaid() {
  return Object.freeze({ owner: "", props: Object.freeze({}), open: true, listed: true, size: 0 });
}

/* decodeControl's part: a welcome's or room message's view of the room,
 * each field optional ({owner, props, open, listed, size}, and room: a
 * room message's name, "" if none). */
function readRoomView(o) {
  const listed = readListedRoom(o); /* props and open, as a listing's */
  const v = { owner: "", props: listed.props, open: listed.open, listed: true, size: 0 };
  if (o.owner !== undefined && o.owner !== null) {
    if (typeof o.owner !== "string" || (o.owner !== "" && !OWNER_ID.test(o.owner)))
      throw new ProtocolError("bad_field", "field \"owner\" is not a valid value");
    v.owner = o.owner;
  }
  if (o.listed !== undefined && o.listed !== null) {
    if (typeof o.listed !== "boolean")
      throw new ProtocolError("bad_field", "field \"listed\" must be true or false");
    v.listed = o.listed;
  }
  if (o.size !== undefined && o.size !== null) {
    if (!Number.isInteger(o.size) || o.size < 1 || o.size > ROOM_SIZE_MAX)
      throw new ProtocolError("bad_field", `field "size" is out of range (1..${ROOM_SIZE_MAX})`);
    v.size = o.size;
  }
  return v;
}

/* A room message (relay -> client): its room's name and its view. */
function readRoomMessage(o) {
  const room = o.room === undefined || o.room === null ? "" : o.room;
  if (typeof room !== "string" || (room !== "" && !/^[A-Za-z0-9_.-]{1,32}$/.test(room)))
    throw new ProtocolError("bad_field", "field \"room\" is not a valid value");
  return Object.assign({ room }, readRoomView(o));
}

/* m's view of the room onto the session: roomSettings (a frozen copy),
 * owner, and roomMine when the relay named an owner. pushed: a room
 * message, told as a "room" event ({owner, props, open, listed, size,
 * mine}). */
function takeRoomView(session, m, pushed) {
  session.roomSettings = Object.freeze({ owner: m.owner, props: Object.freeze({ ...m.props }),
                                         open: m.open, listed: m.listed, size: m.size });
  session.owner = m.owner;
  if (m.owner !== "" || pushed) session.roomMine = m.owner !== "" && m.owner === session.player;
  if (pushed) session._emit("room", { ...session.roomSettings, mine: session.roomMine });
}

/* A room message: after my welcome, for my room (another's is bad). */
function roomPushed(session, m) {
  if (session.phase !== "joined") return; /* my welcome says the room as it is */
  if (m.room !== "" && m.room !== session.room) {
    session._badMessage(new ProtocolError("bad_field", `a room message for room ${m.room}`));
    return;
  }
  takeRoomView(session, m, true);
}

/* A left that names a new owner (creator, the wire's first name): the owner now (a relay that pushes no room
 * message on a handoff says it only so). */
function ownerLeft(session, m) {
  if (!m.creator) return;
  session.owner = m.creator;
  session.roomSettings = Object.freeze({ ...session.roomSettings, owner: m.creator });
}

const JOIN_LATER_MS = 1000; /* a keyed join refused rate_limited goes again after this */

/* An error that answers my join: my player's key refused for the relay's
 * bound on keys it does not hold from my address (a crowd behind one
 * address rejoining a relay that restarted). The key is good, the address
 * busy: the join goes again in a second, within its deadline. Returns
 * whether it was that (the session goes on). */
function joinLater(session, m) {
  if (m.code !== "rate_limited" || session.phase !== "joining" || !session.key) return false;
  const attempt = session._attempt;
  setTimeout(() => {
    if (session.phase === "joining" && session._attempt === attempt) session._sendJoin();
  }, JOIN_LATER_MS);
  return true;
}

/* new Session's key option: an earlier session's session.key, or
 * undefined. A TypeError that does not show it. */
function checkKeyOption(o) {
  if (o.key === undefined) return "";
  if (typeof o.key !== "string" || !PLAYER_KEY.test(o.key))
    throw new TypeError("key: 32 lowercase hex digits, as an earlier session's session.key " +
                        "gave it (not shown: a key is a secret)");
  return o.key;
}

export { /* to the other modules, not the API */
  checkKeyOption, joinLater, ownerLeft, readRoomMessage, readRoomView, roomPushed, roomUnsaid,
  takeRoomView,
};
