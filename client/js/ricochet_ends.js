/* ricochet_ends.js: the end of a session in words: what happened, in one
 * line, and what to do about it, by the end's code (PROTOCOL.md's error
 * table, or the session's own: closed, refused, timeout, disconnected,
 * moved_too_far) and its route. A table and one pure function, so that
 * every close event says it the same way.
 */

import { VERSION } from "./ricochet_wire.js";

/* The codes a session ends with that are its own, not the relay's. */
const LOCAL_ENDS = ["closed", "refused", "timeout", "disconnected", "moved_too_far"];

/* A route refused: what it needs of the relay. */
const REFUSED_HINTS = {
  ws: "check the url, and that ricochet-relay runs there with a ws edge (--listen ws://HOST:PORT)",
  webrtc: "check rtcUrl, and that ricochet-relay runs there with a ws edge (where the offer goes) " +
    "and a webrtc edge (--listen webrtc://HOST:PORT)",
  wt: "check wtUrl, and that ricochet-relay runs there with a quic edge (--listen " +
    "quic://HOST:PORT) and a ws edge that answers GET /wt",
  poll: "check the url, and that ricochet-relay runs there with a poll edge (--listen " +
    "poll://HOST:PORT; a page of another origin also needs its --allow-origin)",
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
  no_such_room: "no room of that name here: check its name, or join without exists to make it",
  room_closed: "the room takes no joiners now (its owner closed it): join another, or later",
  too_many_rooms: "the relay has all the rooms it allows: join a room that exists, or try later",
  bad_name: "a name is 1 to 32 bytes of UTF-8 in any script, no control or format characters, " +
            "not only spaces (and within the relay's limits): pick another",
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
  moved: "the room lives on another relay, which this route cannot follow: join there (routes " +
    "ws, poll and webrtc follow a fleet by themselves)",
  replaced: "this player plays in another session now (another tab, window or program with its " +
    "key): close one of them; this one does not join again",
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

export { /* to the other modules, not the API */
  describeEnd,
};
