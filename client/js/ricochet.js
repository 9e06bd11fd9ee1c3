/* ricochet.js: the ricochet relay's protocol and a client session, for a
 * page in a browser or a program in Node. Plain JavaScript, ES modules,
 * nothing fetched from elsewhere; in Node without a global WebSocket it
 * takes the `ws` package's (its one dependency, imported only there). The
 * bytes and rules are proto/PROTOCOL.md's (version 3), the names its
 * message table's. Types: ricochet.d.ts.
 *
 * This file is the package's entry: it names the API, and its modules hold
 * it, each a part a reader can take alone (ricochet_wire.js, the words and
 * bytes; ricochet_control.js, the control messages; ricochet_rooms.js, rooms
 * with properties; ricochet_roomview.js, my room as the relay says it and a
 * saved player key; ricochet_figures.js, statistics and clocks;
 * ricochet_interp.js, InterpBuffer; ricochet_ticket.js, tickets; ricochet_lockstep.js, a
 * lockstep room; ricochet_seal.js, a sealed session
 * (libsodium-wrappers, only where the relay seals); ricochet_ends.js, an end in words;
 * ricochet_routes.js, WebSocket, WebRTC, WebTransport and HTTP polling;
 * ricochet_receive.js, what the relay sends; ricochet_session.js, Session).
 * Node imports them as they are; a page gets them as one script, this
 * comment and the modules in that order without their imports of one
 * another (the Makefile's $(BUILD)/gen/ricochet.js, which the relay and
 * ricochet-lesson serve as /ricochet.js), so a page needs no bundler and
 * makes one request.
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
 *   PAYLOAD_MAX (1135: a state's payload), EVENT_MAX (4096: an event's body),
 *   TO_ROOM (0: an event to every other member), ROOM_SENDER (4294967295:
 *   an event's id when the room itself sent it, its script's: no member's),
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
 *   validName(s), validText(s): the value rules for rooms and text;
 *   validPlayerName(s), nameFault(s): a player's name (any script, UTF-8),
 *   and why one is refused, in the relay's words.
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
 *   encodeEvent(to, data, {keep, stay}), decodeEvent(bytes), isEvent(bytes):
 *     the event message (PROTOCOL.md, "Event message"): {sender, to, key,
 *     kept, data}; keep: a key (KEY_MAX characters at most) the relay keeps
 *     it under for latecomers ("Kept events"), stay: after I leave too.
 *   propsFault(pairs, what): why a room's props (or a match) are refused,
 *     in the relay's words ("" if they are not): PROPS_MAX (8) keys of 1 to
 *     16 of A-Z a-z 0-9 _ . -, values of 0 to 64 bytes of printable UTF-8,
 *     PROPS_BYTES (256) together; ROOM_SIZE_MAX (4095): a room's size.
 *   readTicket(text): a whole ticket, as ricochet-ticket mint prints it,
 *     as {pass (what a join carries), room, name, fleet, relays, sealed};
 *     null if text is not one (a pass, say). Session takes either.
 *   encodeControl(msg): a client-to-relay message (join, chat, clock,
 *     leave, ping, rooms, room) as its JSON text, only its known fields, validated;
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

export { VERSION, STATE_VERSION, MSG_STATE, MSG_BATCH, STATE_SIZE, STATE_MAX, BATCH_MAX, TIME_MAX,
         VALUE_MAX, NAME_MAX, TEXT_MAX, CODE_MAX, CONTROL_MAX, ARENA_W, ARENA_H, ROSTER_MAX,
         ID_MAX, MSG_EVENT, EVENT_HEAD, PAYLOAD_MAX, EVENT_MAX, TO_ROOM, ROOM_SENDER, KEY_MAX,
         ROOMS_PAGE, ANY_PREFIX_MAX, MODES, LOSSLESS, RTC_CHANNELS, ENDING_ERRORS, ProtocolError, nowUs,
         seqAfter, validName, validPrefix, validText, validPlayerName, nameFault, encodeState, STATE_FIELDS, decodeState,
         isBatch, unpackBatch, isEvent, encodeEvent, decodeEvent } from "./ricochet_wire.js";
export { encodeControl, decodeControl } from "./ricochet_control.js";
export { PROPS_MAX, PROPS_BYTES, ROOM_SIZE_MAX, propsFault } from "./ricochet_rooms.js";
export { RecvStats, percentile, ClockSync, clockLatency } from "./ricochet_figures.js";
export { InterpBuffer } from "./ricochet_interp.js";
export { readTicket } from "./ricochet_ticket.js";
export { SLOT, INPUT_MAX, LOCKSTEP_SLOTS_MAX, MSG_INPUTS, MSG_FRAMES, LOCKSTEP_HEAD, lockstepDefaults,
         encodeInputs, decodeFrames, frameInputs } from "./ricochet_lockstep.js";
export { TIMEOUT_MS, REJOIN_AFTER_MS, POLL_WAIT_MS, Session } from "./ricochet_session.js";
