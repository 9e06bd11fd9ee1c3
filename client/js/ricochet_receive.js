/* ricochet_receive.js: what a session makes of what its relay sends:
 * events, states alone or in batches, control messages; its members
 * (their states, statistics and clocks) and the views of them a program
 * gets (memberView). Functions of a Session, called with one message as
 * it came; what is not for it is counted bad, never thrown. What ends or
 * moves the session, and a pong's pace of pings, are the session's own
 * (its _end, _follow and _pong).
 */

import { ENDING_ERRORS, MODES, TO_ROOM, ProtocolError, bytesOf, decodeEvent, decodeState, isBatch,
         isEvent, nowUs, seqAfter, unpackBatch } from "./ricochet_wire.js";
import { decodeControl } from "./ricochet_control.js";
import { joinLater, ownerLeft, roomPushed, takeRoomView } from "./ricochet_roomview.js";
import { ClockSync, RecvStats, clockLatency } from "./ricochet_figures.js";
import { clearTaken, sealIn, takeSealed } from "./ricochet_seal.js";
import { heirOf, listingCame } from "./ricochet_rooms.js";
import { MSG_FRAMES, framesCame, lockstepJoined, lockstepTold, lockstepWelcomed } from "./ricochet_lockstep.js";

/* A member as the program gets it: a copy (the C library's struct
 * ricochet_member), its statistics as plain numbers. */
function memberView(m) {
  const s = m.stats;
  return {
    id: m.id, name: m.name, player: m.player, mode: m.mode, arrivedAs: m.arrivedAs,
    hasState: m.hasState,
    last: m.last ? Object.assign({}, m.last) : null, lastRecvUs: m.lastRecvUs,
    latencyUs: m.latencyUs, latencyKnown: m.latencyKnown,
    stats: { received: s.received, expected: s.expected, lost: s.lost, duplicates: s.duplicates,
             reordered: s.reordered, tooOld: s.tooOld, noLatency: s.noLatency,
             latencyMaxUs: s.latencyMaxUs, latencyBoundUs: m.latencyBoundUs,
             latencyMeanUs: s.latencyMeanUs, jitterUs: s.jitterUs },
  };
}

function receive(session, data, arrivedAs) {
  if (session.phase === "closed") return;
  const now = nowUs();
  const got = sealIn(session, data);
  if (!got) return;
  data = got.data;
  /* in a session that is (or must be) sealed, only what opened is the relay's */
  const suspect = got.clear && session._sealer && session._sealer.guarded;
  if (!suspect) session._heardUs = now;
  const bytes = typeof data === "string" ? null : bytesOf(data);
  if (bytes && bytes.length === 0) return session._badMessage(new ProtocolError("bad_state", "empty"));
  const json = !bytes || bytes[0] === 0x7b; /* "{": control */
  if (suspect && !json)
    return session._badMessage(new ProtocolError("bad_state", "in clear in a sealed session"));
  if (bytes && isEvent(bytes)) {
    let e;
    try {
      e = decodeEvent(bytes);
    } catch (err) {
      return session._badMessage(err);
    }
    if (session.phase !== "joined" || e.sender === 0 || (e.to !== TO_ROOM && e.to !== session.id))
      return session._badMessage(new ProtocolError("bad_state", "an event not for me"));
    const m = session.members.get(e.sender);
    session._emit("event", { id: e.sender, name: m ? m.name : "", to: e.to,
                             code: e.kept ? "kept" : e.to === TO_ROOM ? "room" : "direct",
                             key: e.key, kept: e.kept, data: e.data, recvUs: now });
    return;
  }
  if (json) {
    let m;
    try {
      m = decodeControl(bytes || data);
    } catch (e) {
      return session._badMessage(e);
    }
    if (got.clear && !clearTaken(session, m)) {
      const why = `${m.type} in clear in a sealed session`;
      return session._badMessage(new ProtocolError("bad_field", why));
    }
    return receiveControl(session, m, now);
  }
  let entries;
  try {
    entries = isBatch(bytes) ? unpackBatch(bytes) : [bytes];
  } catch (e) {
    return session._badMessage(e);
  }
  for (const entry of entries) {
    try {
      if (entry[0] === 0x7b) throw new ProtocolError("bad_state", "control in a batch");
      if (entry[1] === MSG_FRAMES) framesCame(session, entry); /* a lockstep room's */
      else receiveState(session, decodeState(entry), arrivedAs, now);
    } catch (e) {
      session._badMessage(e);
    }
  }
}

function memberOf(session, id, fields, now) {
  let m = session.members.get(id);
  if (!m) {
    m = { id, name: "", player: "", mode: "", arrivedAs: "", clock: new ClockSync(), hasState: false,
          last: null, lastRecvUs: 0, latencyUs: 0, latencyKnown: false, latencyBoundUs: 0,
          stats: new RecvStats(), maxGapUs: 0 };
    session.members.set(id, m);
  }
  if (fields) {
    if (fields.name) m.name = fields.name;
    if (fields.player) m.player = fields.player;
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

/* A hop starts: the members listed now are away, by player, until they
 * are back (kept as they were if none is listed: a hop before the welcome). */
function noteAway(session) {
  if (!session.members.size) return;
  session._away.clear();
  for (const m of session.members.values())
    if (m.player) session._away.set(m.player, { id: m.id, name: m.name, mode: m.mode });
  session._awayUntilUs = 0;
}

/* Those away not back within the timeout of the welcome: gone ("left",
 * reason timeout, their id before). */
function awayExpired(session, now) {
  if (!session._away.size || now < session._awayUntilUs) return;
  for (const [player, a] of session._away)
    session._emit("left", { id: a.id, name: a.name, player, reason: "timeout", member: null });
  session._away.clear();
  session._emit("roster", {});
}

/* A member listed (a welcome's roster, a joined notice) whose player was
 * in my room before my last hop, or whom the relay says came back: a
 * "rejoined" event (was: its id before); true if so. */
function backFromAway(session, e, rejoined = false) {
  const a = e.player ? session._away.get(e.player) : undefined;
  if (!a && !rejoined) return false;
  session._away.delete(e.player);
  session._emit("rejoined", { id: e.id, name: e.name, mode: e.mode, player: e.player,
                              was: a ? a.id : e.id });
  return true;
}

function receiveState(session, st, arrivedAs, now) {
  if (st.sender === 0) {
    session._badMessage(new ProtocolError("bad_state", "a state without sender"));
    return;
  }
  if (session.phase !== "joined") return; // it overtook the welcome (its way and the control's are apart): no fault
  if (st.sender === session.id) {
    session.echo = st;
    session._rtt.record(now - st.send_us);
    session._emit("echo", { state: st, rttUs: now - st.send_us });
    return;
  }
  const m = memberOf(session, st.sender, null, now);
  const fresh = !m.arrivedAs;
  m.arrivedAs = arrivedAs;
  /* Sequenced keeps each sender's order here, as the C library does:
   * never older than the newest delivered from that sender in any mode. */
  if (MODES[arrivedAs] && MODES[arrivedAs].dropOld && m.hasState && !seqAfter(st.seq, m.last.seq)) {
    m.stats.tooOld++;
    session._emit("tooold", { id: st.sender, state: st, arrivedAs });
    return;
  }
  const lat = clockLatency(session.clock, m.clock, st.send_us, now);
  m.latencyUs = lat.latencyUs;
  m.latencyKnown = lat.known;
  m.latencyBoundUs = lat.boundUs;
  const isNew = m.stats.record(st.seq, lat.known ? lat.latencyUs : null);
  if (isNew && lat.known) session._latency.record(lat.latencyUs);
  if (m.lastRecvUs && m.stats.received > 1) m.maxGapUs = Math.max(m.maxGapUs, now - m.lastRecvUs);
  if (!m.hasState || (isNew && seqAfter(st.seq, m.last.seq))) {
    m.last = st;
    m.hasState = true;
  }
  m.lastRecvUs = now;
  session._emit("state", { id: st.sender, state: st, arrivedAs, recvUs: now,
                           latencyUs: lat.latencyUs, latencyKnown: lat.known,
                           latencyBoundUs: lat.boundUs });
  if (fresh) session._emit("roster", {});
}

function receiveControl(session, m, now) {
  switch (m.type) {
  case "welcome":
    if (session.phase === "joined") return; /* a repeated welcome */
    session.phase = "joined";
    session.id = m.id;
    session.room = m.room;
    session.roomMine = false; /* a room my join made is mine, but no left said so */
    session._wasJoined = true;
    session._lostUs = 0;
    session._reportLost = false;
    session._joinEpoch = 0;
    session._hops = 0;
    session._visited = [];
    if (m.key) { /* a relay from before keys gives none */
      session.key = m.key;
      session.player = m.player;
    }
    takeRoomView(session, m, false); /* after player: whose the room is */
    session.members.clear();
    for (const e of m.roster) if (e.id !== session.id) memberOf(session, e.id, e, now);
    session._nextPingUs = now;
    session._awayUntilUs = now + session.options.timeoutMs * 1000;
    if (m.aoi) session._away.clear(); /* a room with interest: the others appear as they come in sight */
    lockstepWelcomed(session, m, now);
    session._emit("welcome", m);
    for (const e of m.roster) backFromAway(session, e);
    session._emit("roster", {});
    return;
  case "joined":
    if (m.id !== session.id) memberOf(session, m.id, m, now);
    lockstepJoined(session, m);
    if (!backFromAway(session, m, m.rejoined)) session._emit("joined", m);
    session._emit("roster", {});
    return;
  case "appeared":
    if (m.id !== session.id) memberOf(session, m.id, m, now);
    session._emit(m.type, m);
    session._emit("roster", {});
    return;
  case "left":
  case "vanished": {
    const gone = session.members.get(m.id);
    session.members.delete(m.id);
    if (m.type === "left" && gone) m.member = memberView(gone);
    if (m.type === "left") {
      heirOf(session, m);
      ownerLeft(session, m);
    }
    session._emit(m.type, m);
    session._emit("roster", {});
    return;
  }
  case "chat":
    session._emit("chat", m);
    return;
  case "clock":
    if (m.id !== session.id) memberOf(session, m.id, { clock: m }, now);
    session._emit("clock", m);
    return;
  case "pong":
    session._pong(m, now);
    return;
  case "error":
    session._emit("error", m);
    if (joinLater(session, m)) return; /* a keyed join held back a second */
    /* Any error that answers the join refuses it; some end a session (in
     * a lobby, also the relay's not_joined: no join in its time). */
    const answersJoin = session.phase !== "joined" && session.phase !== "lobby";
    if (answersJoin || ENDING_ERRORS.includes(m.code) ||
        (session.phase === "lobby" && m.code === "not_joined"))
      session._end(m.code, m.message);
    return;
  case "rooms":
    listingCame(session, m);
    session._emit("rooms", m);
    return;
  case "room": /* my room changed (ricochet_roomview.js) */
    roomPushed(session, m);
    return;
  case "moved":
    if (session._anyPending() && m.room.startsWith(session.room)) session.room = m.room;
    if (m.room === session.room) session._follow(m);
    else session._badMessage(new ProtocolError("bad_field", `a moved for room ${m.room}`));
    return;
  case "sealed":
    takeSealed(session, m);
    return;
  case "late":
  case "desync": /* a lockstep room's (ricochet_lockstep.js) */
    lockstepTold(session, m, now);
    return;
  default: /* cookie: plain UDP's, not a browser's route's */
    session._badMessage(new ProtocolError("unknown_type", `a ${m.type} message on this route`));
  }
}

export { /* to the other modules, not the API */
  awayExpired, memberView, noteAway, receive,
};
