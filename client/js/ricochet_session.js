/* ricochet_session.js: Session, one session with a relay: its options
 * checked, the join, what a program sends (states, events, chat, a
 * listing of rooms), the timers (pings, the clock's announcement, the
 * deadlines), and its end, a rejoin or a fleet's hop. Its route is
 * ricochet_routes.js's, what it receives ricochet_receive.js's; this file
 * holds the object a program holds, and decides every change of phase.
 */

import { ANY_PREFIX_MAX, MODES, PAYLOAD_MAX, bytesOf, encodeEvent, encodeState, nowUs, validName, nameFault,
         randomHex, validText } from "./ricochet_wire.js";
import { encodeControl } from "./ricochet_control.js";
import { checkKeyOption, roomUnsaid } from "./ricochet_roomview.js";
import { ClockSync, TimeDistribution } from "./ricochet_figures.js";
import { readTicket } from "./ricochet_ticket.js";
import { describeEnd } from "./ricochet_ends.js";
import { askRooms, changeRoom, checkRoomOptions, roomJoinFields, watchRooms } from "./ricochet_rooms.js";
import { WS_BUFFERED_MAX, hangUp, openPoll, openWebRtc, openWebSocket, openWebTransport,
         sendBytes } from "./ricochet_routes.js";
import { awayExpired, memberView, noteAway, receive } from "./ricochet_receive.js";
import { sealReady, sealedEnd, sealerFor } from "./ricochet_seal.js";
import { checkMessage, lockstepAim, lockstepClockMoved, lockstepFrom, lockstepJoinFields,
         lockstepTick, sendInput } from "./ricochet_lockstep.js";

/* CustomEvent: browsers' and Node 19's; Node 18 has only Event. */
const EventWithDetail = globalThis.CustomEvent || class extends Event {
  constructor(type, init) {
    super(type);
    this.detail = init ? init.detail : null;
  }
};

const TICK_MS = 100;
const CLOCK_FAST_PINGS = 10, CLOCK_FAST_PING_US = 100000;
const CLOCK_PING_US = 1000000, CLOCK_PING_MAX_US = 8000000;
const IDLE_PING_US = 1000000; /* a ping after this long without sending, or a third of the
                                 relay's timeout if shorter (_idlePingUs) */
const REJOIN_PAUSE_MS = 250;   /* between attempts to rejoin: a refusal comes fast, no spinning; */
const REJOIN_PAUSE_MAX_MS = 1000; /* ... doubling up to this */
const RELAYS_MAX = 7;          /* options.relays: the fleet's other relays a rejoin goes through */
const HOPS_MAX = 2;            /* a fleet's moved followed at most this often per join */
export const TIMEOUT_MS = 5000;      /* timeoutMs's default */
export const REJOIN_AFTER_MS = 1500; /* rejoinAfterMs's default (the C library's too) */
export const POLL_WAIT_MS = 20000;   /* pollWaitMs's default: under the relay's 25 s, and under
                                        what proxies allow an idle request */
const POLL_WAIT_MAX_MS = 25000;      /* the relay holds a GET no longer (PROTOCOL.md) */

/* The codes of a relay lost, not of a refusal: a session with a rejoin
 * window joins again (client/lib/client_phase.c's relay_lost). */
const RELAY_LOST = ["timeout", "disconnected", "refused", "shutting_down",
                    "directory_unavailable", "moved", "moved_too_far"];

/* options.relays: an array of up to RELAYS_MAX urls of the route's kind
 * (ws: ws:// or wss://; poll: http:// or https://), or a TypeError. */
function checkRelays(o) {
  if (o.relays === undefined) return;
  const kinds = o.route === "ws" ? ["ws:", "wss:"] : o.route === "poll" ? ["http:", "https:"] : [];
  if (!Array.isArray(o.relays) || o.relays.length > RELAYS_MAX || !kinds.length)
    throw new TypeError(`relays: an array of up to ${RELAYS_MAX} urls of the fleet's other ` +
                        "relays, over route ws or poll");
  for (const r of o.relays) {
    let u = null;
    try {
      u = new URL(r);
    } catch (e) { /* said below */ }
    if (!u || !kinds.includes(u.protocol))
      throw new TypeError(`relays: ${JSON.stringify(r)} is no ${kinds.join(" or ")} url`);
  }
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

/* Session: one session with a relay; an EventTarget.
 *
 *   new Session({room, name, route: "ws" | "webrtc" | "wt" | "poll", url,
 *                rtcUrl, wtUrl, wtPort, mode, reflect, batch, ticket, any, aoi,
 *                timeoutMs, rejoinMs, rejoinAfterMs, pollWaitMs, pollIntervalMs,
 *                iceServers, props, size, listed, open, exists, match, key})
 *     url: the WebSocket (default ws(s)://this page's host/; outside a page
 *     it must be given); over route poll the relay's poll edge, http(s)://
 *     HOST:PORT (its path /poll added unless it ends so; default this
 *     page's origin + "/poll"; a page of another origin needs the relay's
 *     --allow-origin);
 *     pollWaitMs: route poll, how long the relay may hold a GET when
 *     nothing waits (long polling; default 20000, 1..25000);
 *     pollIntervalMs: route poll, short polling instead: a GET answered at
 *     once, the next this many ms after (default 0: long polling;
 *     0..60000, shorter than timeoutMs); rtcUrl: where the WebRTC offer is POSTed (default
 *     this page's origin + "/rtc");
 *     wtUrl: where the relay says how to open a WebTransport session (its
 *     port, path and certificate hashes; default this page's origin +
 *     "/wt", fetched again at each start: a relay draws a new certificate
 *     every few days); wtPort: the UDP port to reach instead of the one the
 *     relay names (a proxy's in front of it, such as ricochet-netsim's);
 *     mode: WebRTC and WebTransport, the send mode
 *     (unsequenced, sequenced, reliable; over WebTransport also streams);
 *     lobby: join nothing yet (room not needed): listRooms(), then
 *     join(room) in this session, within the relay's --join-timeout-ms
 *     (2 s by default, then a "close" not_joined); not over route poll
 *     or with a ticket (TypeError);
 *     ticket: a ticket as ricochet-ticket mint prints it, its newline too (room and name
 *     are then its own: this.ticket holds its claims), or its pass; the
 *     join carries the pass (over WebRTC also the offer's Authorization:
 *     Bearer, over WebTransport the CONNECT's ?pass=); a sealed ticket's
 *     session needs a relay that takes it in clear (wss://, webrtc, wt);
 *     any: room is a prefix (1 to 28), and the relay puts me in the
 *     fullest room under it with space, or makes the next ("duel-" gives
 *     "duel-1", then "duel-2"); this.room names it from the welcome, and a
 *     rejoin goes back to it; match: only to a room whose props hold it;
 *     props, size, listed, open: a room my join makes (ricochet_rooms.js);
 *     exists: the room must exist (else a "close" no_such_room);
 *     key: an earlier session's session.key (kept as a password is, e.g.
 *     in sessionStorage): this session is the same player (the same
 *     player id; from the same address while that session is still in the
 *     room, its place and id); a TypeError for another value, which it does
 *     not show;
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
 *     after a third of it); the join names the relay lost (lost_relay), so
 *     the fleet moves the room at once. A refused attempt, or one sent on
 *     too far (moved_too_far: the fleet still deciding), is tried again
 *     after 250 ms, then twice as long each time up to a second, within
 *     the window. A lobby that watches (watchRooms) watches again so. A
 *     session ended "replaced" (another of my player's took its place)
 *     does not rejoin. A fleet's moved is followed always (route ws, poll
 *     and webrtc; at most two hops a join): a "moved" with code "moved".
 *     relays: the fleet's other relays (up to 7 urls of the route's kind,
 *     ws or poll): when the address a rejoin goes through is the relay
 *     lost, or an attempt through it fails, the next goes instead, in
 *     turn (so a session whose url was its room's relay outlives it).
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
 *   sendEvent(to, data, {keep, stay}): an event (EVENT_MAX bytes at most) to
 *     member `to` or to the room (TO_ROOM; keep: kept for latecomers).
 *   After close() (or the end) sendState and sendEvent throw: the session is
 *   closed.
 *   chat(text), ping(): control messages (false if not sent).
 *   listRooms(prefix, after, match), watchRooms(prefix, match, watch), join(room, any, setup),
 *     setRoom({open, listed, props}): rooms to list, a lobby that stays, its join, my room's.
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
 * Read-only fields: route, phase ("connecting", "lobby", "joining", "joined",
 *   "closed"), id, key and player (my player's key, a secret sent in every
 *   join, and its player id: README.md, Players who come back), roomSettings
 *   ({owner, props, open, listed, size}: my room as the relay last said it,
 *   the welcome's then each "room" event's), owner (its owner's player id,
 *   "" for none), roomMine and isOwner (that owner is my player), room, name, mode (how my states go: "ws", or a WebRTC
 *   mode), where (the relay's host:port now), members (Map id -> member,
 *   the session's own objects: {id, name, player, mode, arrivedAs, clock
 *   (ClockSync), hasState, last (newest state), lastRecvUs, latencyUs,
 *   latencyKnown, latencyBoundUs, stats (RecvStats), maxGapUs}), clock (my
 *   ClockSync), rttUs (last pong's round trip), echo (my own state as the
 *   relay reflected it), sent, skipped, bad, lastBad, endCode, endText,
 *   endReason, endHint, watching (the relay watches this lobby's rooms: watchRooms).
 * Events (CustomEvent, fields in detail): open ({route, lobby}: the route
 *   is up, join sent, or in a lobby not), welcome ({id, room, aoi, roster, key,
 *   player, owner, props, open, listed, size}), roster (members changed), state
 *   ({id, state, arrivedAs, recvUs, latencyUs, latencyKnown, latencyBoundUs};
 *   state.payload: its bytes after the 40), event ({id, name, to, code:
 *   "room" or "direct", data: the body, recvUs}),
 *   tooold ({id, state, arrivedAs}: a sequenced state not delivered), echo
 *   ({state, rttUs}), rooms ({prefix, rooms: [{room, members, capacity, props, open}]
 *   in name order, ROOMS_PAGE at most, more: ask again after the last}),
 *   joined ({id, name, mode, player}), rejoined ({id, name, mode, player, was: its id
 *   before}: back after a move), left ({id, name, player, reason: "quit", "timeout" or
 *   "kicked", member: its last memberList() entry, or null, creator: the player id of
 *   who owns the room now its owner left, else "" (the wire's name), mine: that is me:
 *   roomMine}),
 *   room ({owner, props, open, listed, size, mine}: my room changed, as the
 *   relay pushes it to every member: its owner's change, a handoff, a restore),
 *   chat ({id, name, text}), error ({code, message}: the relay's, the
 *   session goes on unless a close follows), clock, appeared, vanished
 *   (each the decoded message), moved ({code: "moved" or "rejoin", text:
 *   host:port, url: where the session goes now; the members are forgotten
 *   and a welcome follows; one a move, however many attempts it takes}), pong ({t, relay_t, rttUs}), bad ({error}),
 *   close ({code, text, reason: one line, hint: what to do}), always the
 *   last.
 */
export class Session extends EventTarget {
  constructor(options) {
    super();
    const o = Object.assign({ route: "ws", mode: "unsequenced", reflect: false, batch: false,
                              timeoutMs: TIMEOUT_MS, rejoinMs: 0, rejoinAfterMs: REJOIN_AFTER_MS,
                              pollWaitMs: POLL_WAIT_MS, pollIntervalMs: 0, iceServers: [] },
                            options);
    if (o.route !== "ws" && o.route !== "webrtc" && o.route !== "wt" && o.route !== "poll")
      throw new TypeError(`route ${JSON.stringify(o.route)}: ws, webrtc, wt or poll`);
    if (o.lobby !== undefined && typeof o.lobby !== "boolean")
      throw new TypeError("lobby: true or false");
    if (o.lobby && (o.route === "poll" || o.ticket !== undefined))
      throw new TypeError(`lobby: not ${o.route === "poll" ? "over route poll, whose session " +
                          "starts with its join" : "with a ticket, which names its room"}; ` +
                          "a lobby lists over ws, webrtc or wt");
    if (!o.lobby && (o.ticket === undefined || o.room !== undefined) && !validName(o.room))
      throw new TypeError(`room ${JSON.stringify(o.room)}: 1 to 32 of A-Z a-z 0-9 _ . - ` +
                          "(no spaces or other characters)");
    if ((o.ticket === undefined || o.name !== undefined) && nameFault(o.name))
      throw new TypeError(`name ${JSON.stringify(o.name)}: ${nameFault(o.name)}`);
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
    if (o.route === "poll") {
      let u = null;
      try {
        u = new URL(o.url === undefined && typeof location !== "undefined" ? location.href : o.url);
      } catch (e) { /* said below */ }
      if (!u || (u.protocol !== "http:" && u.protocol !== "https:"))
        throw new TypeError(`url ${JSON.stringify(o.url)}: the relay's poll edge, its http:// or ` +
                            "https:// address (--listen poll://HOST:PORT), such as " +
                            "http://127.0.0.1:7781/");
    }
    if (o.any !== undefined && typeof o.any !== "boolean")
      throw new TypeError("any: true or false");
    if (o.any && o.ticket === undefined && o.room.length > ANY_PREFIX_MAX)
      throw new TypeError(`room ${JSON.stringify(o.room)}: with any, a prefix of 1 to ` +
                          `${ANY_PREFIX_MAX} (the relay adds a number of up to 4 digits)`);
    checkRoomOptions(o);
    this._lockstepJoin = lockstepJoinFields(o); /* throws: a lockstep option out of range */
    checkRelays(o);
    const savedKey = checkKeyOption(o);
    checkMs(o, "timeoutMs", 1, 3600000);
    checkMs(o, "rejoinMs", 0, 3600000);
    checkMs(o, "rejoinAfterMs", 100, 3600000);
    checkMs(o, "pollWaitMs", 1, POLL_WAIT_MAX_MS);
    checkMs(o, "pollIntervalMs", 0, 60000);
    if (o.pollIntervalMs >= o.timeoutMs) /* the relay's answers are what the session hears */
      throw new RangeError(`pollIntervalMs ${o.pollIntervalMs}: shorter than timeoutMs ` +
                           `(${o.timeoutMs}), or the session ends silent between two GETs`);
    /* a whole ticket: its pass goes, its room and name are mine; a line
     * read from a file (or mint's) has a newline that is not the ticket's */
    if (typeof o.ticket === "string") o.ticket = o.ticket.trim();
    const ticket = o.ticket === undefined ? null : readTicket(o.ticket);
    this._sealer = ticket ? sealerFor(o.ticket, ticket.sealed, o.route) : null; /* its keys */
    if (ticket) o.ticket = ticket.pass;
    this.options = o;
    this.ticket = ticket;
    this.route = o.route;
    this.mode = o.route === "ws" ? "ws" : o.route === "poll" ? "tcp" : o.mode; /* poll: the edge's */
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
    this.sealed = false; /* the relay seals this join's session (ricochet_seal.js) */
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
    this._reportLost = false; /* the next join says I lost my room's relay, */
    this._lostRelay = "";     /* ... which one (host:port; "": not known) */
    this._entry = 0;          /* the url of [url, ...relays] the next rejoin goes through */
    this._attempts = 0;       /* attempts of the rejoin in hand (its pause grows) */
    this._joinEpoch = 0;      /* the moved's epoch the next join carries */
    this._hops = 0;
    this._visited = [];       /* the relays of this join a moved came from */
    this._hopTimer = 0;
    this.key = savedKey;      /* my player's key: the key option (an earlier session's),
                                 then the first welcome's; sent in every join */
    this.player = "";         /* ... and its player id, what the others see */
    this.roomMine = false;    /* my player owns my room (the welcome, a room message, a
                                 left naming a new owner said so) */
    this.owner = "";          /* my room's owner's player id, as the relay last said */
    this.roomSettings = roomUnsaid(); /* my room as the relay last said it */
    this._away = new Map();   /* player -> {id, name, mode}: before a hop, not back yet */
    this._awayUntilUs = 0;    /* those not back by then left (0: not joined again yet) */
    this._ws = null;
    this._pc = null;
    this._channels = {};
    this._wt = null;
    this._wtWriters = {};
    this._poll = null;
    this._lobby = Boolean(o.lobby); /* join nothing until join() */
    this._lobbyAsk = null;          /* a listing asked while connecting: sent once open */
    this._ls = null;                /* my lockstep room as I follow it (ricochet_lockstep.js) */
  }

  /* My player owns my room: setRoom is mine (roomMine). */
  get isOwner() {
    return this.roomMine;
  }

  /* The relay's host:port now (for a page's default, its host). */
  get where() {
    let url = this.route === "ws" || this.route === "poll" ? this._url
      : this.route === "webrtc" ? this._rtcUrl
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
      if (attempt === this._attempt)
        this._end("refused", String(e && e.message || e), e && e.hint);
    };
    Promise.resolve().then(() => sealReady(this)).then(() => {
      if (this.phase === "closed" || attempt !== this._attempt) return;
      if (this.route === "ws") openWebSocket(this, attempt);
      else if (this.route === "poll") openPoll(this, attempt);
      else if (this.route === "wt") return openWebTransport(this, attempt);
      else return openWebRtc(this, attempt);
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

  /* The join: the room and the name (or a ticket), how to send me
   * states; after a moved its epoch, after a lost relay word of it. */
  _joinMessage() {
    const o = this.options, join = { type: "join" };
    for (const k of ["room", "name", "ticket", "reflect", "batch", "aoi"])
      if (o[k] !== undefined) join[k] = o[k];
    if (o.ticket) join.nonce = this._sealer ? this._sealer.nonceHex : randomHex(16);
    if (o.any && !o.ticket) { /* the prefix until a room is mine, then that room */
      join.room = this.room;
      if (this._anyPending()) join.any = true;
    }
    if (this.route !== "ws" && this.route !== "poll") join.mode = this.mode; /* a stream edge has its own */
    if (this._joinEpoch) join.epoch = this._joinEpoch;
    if (this._reportLost) join.lost = true;
    if (this._reportLost && this._lostRelay) join.lost_relay = this._lostRelay;
    if (this.key && !(this._sealer && this._sealer.guarded && !this.sealed))
      join.key = this.key; /* the same player after a rejoin or a move; never in clear if sealed */
    return Object.assign(join, roomJoinFields(o, this._anyPending(), this._wasJoined),
                         this._lockstepJoin);
  }

  /* The route is up: the join, or in a lobby the listing asked for. */
  _joinNow(attempt) {
    if (this.phase !== "connecting" || attempt !== this._attempt) return;
    if (this._lobbyAsk) this._sendControl(this._lobbyAsk);
    this._lobbyAsk = null;
    if (this._lobby) {
      this.phase = "lobby";
      this._lostUs = 0; /* a lobby that rejoined watches again */
      this._heardUs = nowUs();
    } else {
      this._sendJoin();
    }
    this._emit("open", { route: this.route, lobby: this._lobby });
  }

  _sendJoin() {
    this.phase = "joining";
    let text;
    try {
      text = encodeControl(this._joinMessage());
    } catch (e) {
      this._end("refused", `no join could be made: ${e.message}`);
      return;
    }
    sendBytes(this, text, "control");
  }

  /* A lobby's join: room, or with any the fullest room with space under
   * the prefix room (setup: the room options); a "welcome" or a "close"
   * answers. TypeError: a bad room or setup; false if not a lobby, joined
   * already or closed. */
  join(room, any = false, setup = {}) {
    if (!validName(room) || typeof any !== "boolean" || (any && room.length > ANY_PREFIX_MAX))
      throw new TypeError(`room ${JSON.stringify(room)}: 1 to 32 of A-Z a-z 0-9 _ . - ` +
                          `(with any, a prefix of 1 to ${ANY_PREFIX_MAX})`);
    const rooms = checkRoomOptions(setup);
    if (!this._lobby || this.phase === "closed") return false;
    this._lobby = false;
    Object.assign(this.options, rooms, { room, any });
    this.room = room;
    if (this.phase === "lobby") {
      this._deadlineUs = nowUs() + this.options.timeoutMs * 1000;
      this._sendJoin();
    }
    return true;
  }

  /* ---- sending ---- */
  _sendControl(msg) {
    let text;
    try {
      text = encodeControl(msg);
    } catch (e) {
      return false;
    }
    return sendBytes(this, text, "control");
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
    const way = this.route === "ws" || this.route === "poll" ? null
      : this.route === "wt" ? MODES[this.mode].wt
      : MODES[this.mode].channel;
    if (!sendBytes(this, bytes, way)) {
      this.skipped++;
      return 0;
    }
    this._seq = (this._seq + 1) >>> 0 || 1;
    this.sent++;
    return seq;
  }

  /* An event to member `to` (TO_ROOM: every other member) with data (bytes,
   * EVENT_MAX at most: RangeError past it, TypeError for what is not bytes;
   * opts: encodeEvent's keep and stay); false if not joined yet. */
  sendEvent(to, data, opts) {
    const bytes = encodeEvent(to, data, opts);
    if (this.phase === "closed") throw new Error("the session is closed");
    if (this.phase !== "joined") return false;
    return sendBytes(this, bytes, "control");
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

  /* ---- a lockstep room (ricochet_lockstep.js) ---- */

  /* My room's lockstep settings, my slot (-1: a spectator), how many kept
   * events follow the welcome; null outside a lockstep room. */
  lockstep() {
    const ls = this._ls;
    return ls ? { settings: Object.assign({}, ls.settings), slot: ls.slot, kept: ls.kept } : null;
  }
  lockstepFrom(tick) { return lockstepFrom(this, tick); }
  lockstepTick() { return lockstepTick(this); }
  lockstepAim() { return lockstepAim(this); }
  sendInput(tick, data) { return sendInput(this, tick, data); }

  /* The checksum of my simulation after frame tick (a BigInt, or 16 hex
   * digits); false if not sent. */
  sendCheck(tick, sum) {
    return this.phase === "joined" && this._ls !== null && this._sendControl(checkMessage(tick, sum));
  }
  /* The last late: {tick, byUs, count}; the ids the last desync named; the
   * player id holding slot ("": none; null past the slots). */
  lockstepLate() { return this._ls ? Object.assign({}, this._ls.late) : null; }
  lockstepDesync() { return this._ls ? this._ls.desync.slice() : []; }
  lockstepPlayer(slot) {
    return this._ls && slot >= 0 && slot < this._ls.settings.slots ? this._ls.players[slot] : null;
  }

  /* ---- rooms to list ---- */

  /* A page of the relay's rooms; a lobby that watches them, and whether the relay said it
   * does (ricochet_rooms.js: askRooms, watchRooms). */
  listRooms(prefix = "", after = "", match = undefined) { return askRooms(this, prefix, after, match); }
  watchRooms(prefix, match, watch = true) { return watchRooms(this, prefix, match, watch); }
  get watching() { return this.phase === "lobby" && this._watching === true; }

  /* My room's change, from its owner (ricochet_rooms.js, changeRoom). */
  setRoom(change) {
    return changeRoom(this, change);
  }

  /* Joining any room under the prefix, and none is mine yet. */
  _anyPending() {
    return Boolean(this.options.any && !this.options.ticket && this.room === this.options.room);
  }

  close() {
    if (this.phase === "closed") return;
    /* a WebSocket's close, or poll's DELETE, says it: the relay tells the room */
    if (this.route !== "ws" && this.route !== "poll") this._sendControl({ type: "leave" });
    this._end("closed", "close() was called");
  }

  /* ---- timers ---- */

  /* A pong: the round trip, a clock sample, the pings' pace. */
  _pong(m, now) {
    const rtt = now - m.t;
    if (m.t > 0 && rtt >= 0) {
      this.rttUs = rtt;
      const tick = lockstepTick(this, now);
      const changed = m.relay_t ? this.clock.sample(m.t, m.relay_t, now) : -1;
      this._clockSamples++;
      if (changed === 1) {
        this._clockChanged = true;
        lockstepClockMoved(this, tick, now);
        this._pingBackoff = 0;
      } else if (changed === 0 && this._clockSamples > CLOCK_FAST_PINGS && this._pingBackoff < 8) {
        this._pingBackoff++;
      }
    }
    this._emit("pong", Object.assign({ rttUs: rtt }, m));
  }

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
    if (this.phase === "lobby" && this._watch && o.rejoinMs) { /* a lobby that stays */
      if (!this._silent(now) && now - this._heardUs >= o.rejoinAfterMs * 1000 / 3 &&
          now - this._pingedUs >= o.rejoinAfterMs * 1000 / 3 &&
          this._sendControl({ type: "ping", t: now }))
        this._pingedUs = now;
      return;
    }
    if (this.phase !== "joined") { /* a lobby: the relay's --join-timeout-ms bounds it */
      if (this.phase !== "lobby" && now >= this._deadlineUs)
        this._end("timeout", this.phase === "connecting"
          ? `no answer from ${this.where || "the relay"} in ${o.timeoutMs} ms`
          : `no welcome from the relay in ${o.timeoutMs} ms`);
      return;
    }
    awayExpired(this, now);
    if (this._silent(now)) return;
    const silentUs = now - this._heardUs, quietUs = o.rejoinAfterMs * 1000 / 3;
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

  /* Has the relay been silent past timeoutMs, or with a rejoin window past
   * rejoinAfterMs (lost: a live one answers the ping that goes after a
   * third of it)? Then the end, or the rejoin; true. */
  _silent(now) {
    const o = this.options, silentUs = now - this._heardUs;
    if (silentUs > o.timeoutMs * 1000) {
      this._end("timeout", `the relay went silent for ${o.timeoutMs} ms`);
      return true;
    }
    if (o.rejoinMs && silentUs > o.rejoinAfterMs * 1000) {
      this._end("timeout", `the relay went silent for ${o.rejoinAfterMs} ms`);
      return true;
    }
    return false;
  }

  /* ---- the end, and the hops that are not ---- */
  /* The end: one "close" event, the last; or, for a relay lost within a
   * rejoin window, the join again (_rejoin). */
  _end(code, text, hint) {
    if (this.phase === "closed") return;
    [code, text] = sealedEnd(this, code, text);
    if (code !== "closed" && this._rejoin(code)) return;
    const joined = this.phase === "joined";
    const givenUp = this._lostUs > 0;
    this.phase = "closed";
    clearInterval(this._timer);
    clearTimeout(this._hopTimer);
    hangUp(this);
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

  /* A relay lost (code one of RELAY_LOST) after a welcome, or by a lobby
   * that watches, within the rejoin window: the join again through the
   * address the session started from, or if that is the relay lost or an
   * attempt through it failed the next of options.relays, in turn, after
   * a pause that doubles. True if so (client/lib/client_phase.c's
   * client_rejoin). */
  _rejoin(code) {
    const o = this.options, now = nowUs(), lobby = this._lobby && this._watch;
    if (!o.rejoinMs || !(this._wasJoined || this._lostUs || lobby) || !RELAY_LOST.includes(code) ||
        (code === "moved" && this.route === "wt") ||
        (this._lostUs && now - this._lostUs > o.rejoinMs * 1000))
      return false;
    const first = !this._lostUs; /* a later attempt of the same rejoin is no move */
    if (first) {
      this._lostUs = now;
      this._attempts = 0;
    }
    const here = this.where, entries = [o.url, ...(o.relays || [])];
    const hostOf = (u) => (u ? new URL(u).host : "");
    /* the join names the relay lost: the one it was on, unless that is the
     * entry it came through and a relay is named already (a refusal there) */
    this._reportLost = !lobby; /* a fleet checks the room's holder */
    if (!lobby && (here !== hostOf(entries[this._entry]) || !this._lostRelay))
      this._lostRelay = here;
    if (!first || here === hostOf(entries[this._entry]))
      this._entry = (this._entry + 1) % entries.length;
    if (lobby) this._lobbyAsk = this._watchAsk; /* asked again once the route is up */
    const pause = Math.min(REJOIN_PAUSE_MS * 2 ** Math.min(this._attempts, 3), REJOIN_PAUSE_MAX_MS);
    this._attempts++;
    this._hop("rejoin", entries[this._entry], o.rtcUrl, 0, pause, first);
    return true;
  }

  /* A fleet's moved: the room lives at m.host:m.port; the session follows,
   * at most HOPS_MAX times a join and never back to a relay of this join. */
  _follow(m) {
    const to = hostPort(m.host, m.port);
    if (this.route === "wt") {
      this._end("moved", `the room lives at ${to} (${m.transport}), and a WebTransport ` +
                "session does not follow a fleet");
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
                                              .replace(/^http/, "ws"), m.host, m.port)
      : this.route === "poll" ? urlAt(this._url || this.options.url || location.origin + "/poll",
                                      m.host, m.port) : undefined;
    const rtcUrl = this.route === "webrtc"
      ? urlAt(this._rtcUrl || location.origin + "/rtc", m.host, m.port) : undefined;
    this._hop("moved", url, rtcUrl, m.epoch, 0);
  }

  /* Leaves this relay for url / rtcUrl (undefined: the page's own) after
   * pauseMs: the members forgotten (away until back), a "moved" event (but
   * for another attempt of the same rejoin), the join again. */
  _hop(code, url, rtcUrl, epoch, pauseMs, announce = true) {
    hangUp(this);
    this.phase = "connecting";
    this.id = 0;
    this.echo = null;
    noteAway(this);
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
      if (announce) this._emit("moved", { code, text: where, url: url || rtcUrl || "" });
    }, pauseMs);
  }

  /* ---- receiving ---- */

  _badMessage(err) {
    this.bad++;
    this.lastBad = err.message || String(err);
    this._emit("bad", { error: err });
  }

  /* A message from the route (text or bytes), as it arrived
   * (ricochet_receive.js makes of it what it is). */
  _receive(data, arrivedAs) {
    receive(this, data, arrivedAs);
  }
}
