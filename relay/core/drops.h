/* drops.h: why a datagram or a join was dropped, each counted under its
 * name in the stats record (proto/STATS.md); the core counts most, an edge
 * those it refuses itself (relay_count_drop, edge.h). */
#ifndef RICOCHET_RELAY_DROPS_H
#define RICOCHET_RELAY_DROPS_H

/* Why a datagram (or a join) was rejected. Each has a counter in the stats
 * record, named by relay_drop_name(); the order is the record's. The core
 * counts most; the ones marked "transport" only a transport counts (through
 * relay_count_drop), for what it refuses before the core sees a datagram. */
enum relay_drop {
    RELAY_DROP_NOT_JOINED,     /* state or chat before a successful join */
    RELAY_DROP_BAD_STATE,      /* state decode failed (short, version, type, value) */
    RELAY_DROP_BAD_JSON,       /* control is not a JSON object */
    RELAY_DROP_MISSING_FIELD,  /* control lacks a required field */
    RELAY_DROP_BAD_FIELD,      /* control field has a wrong type or value */
    RELAY_DROP_UNKNOWN_TYPE,   /* control type unknown or not client -> relay */
    RELAY_DROP_WRONG_CHANNEL,  /* state on the control channel, JSON on a state
                                  channel, reliable on channel 1, ... */
    RELAY_DROP_TOO_BIG,        /* longer than --max-packet-size / PROTO_STATE_MAX,
                                  or than ENet's maximumPacketSize; an event
                                  longer than a plain-UDP member is sent */
    RELAY_DROP_RATE_LIMITED,   /* over the per-client token bucket */
    RELAY_DROP_ROOM_FULL,      /* join refused: --max-room-size */
    RELAY_DROP_TOO_MANY_ROOMS, /* join refused: --max-rooms */
    RELAY_DROP_SERVER_FULL,    /* connection refused: --max-clients (a stream's join) */
    RELAY_DROP_BAD_NAME,       /* join refused: name rules or --name-max */
    RELAY_DROP_BAD_ROOM,       /* join refused: room rules or --room-max */
    RELAY_DROP_ALREADY_JOINED, /* join for another room while a member */
    RELAY_DROP_CLOSED,         /* datagram from a peer the core already closed */
    RELAY_DROP_PER_ADDRESS,    /* transport refused: --max-per-address */
    RELAY_DROP_SEND_FAILED,    /* transport could not queue or send (out of memory,
                                  a socket error) */
    RELAY_DROP_STRAY,          /* transport: a datagram from no peer it knows (garbage,
                                  strangers), ignored without an answer */
    RELAY_DROP_BAD_CHANNELS,   /* transport: a connection asking for fewer channels
                                  than PROTO_CHANNEL_COUNT, refused */
    RELAY_DROP_BANNED,         /* connection from an IP address kicked less than
                                  kick_ban_ms ago, refused (error kicked) */
    RELAY_DROP_BAD_VERSION,    /* join from a client of another protocol version */
    RELAY_DROP_ENET_GUARD,     /* transport: a datagram its library mishandles (Debian's
                                  ENet 1.3.17, relay/enet/enet_internals.h), refused before it */
    RELAY_DROP_HALF_OPEN,      /* transport: a handshake not completed within 5 s, forgotten;
                                  or refused or cut short over --max-half-open (ENet); a
                                  ws connection not upgraded within join_timeout_ms (408);
                                  a tcp or ws connection that had not joined, closed to
                                  make room over --max-half-open */
    RELAY_DROP_UNVERIFIED,     /* transport: a message from a source address not yet shown
                                  to receive (no valid cookie: plain UDP's join, an ENet
                                  connection's), answered with a cookie if it is long enough */
    RELAY_DROP_SLOW_READER,    /* ENet: unreliable state not queued to a peer whose
                                  backlog is over --max-queued-packets/-bytes */
    RELAY_DROP_HELD_COMMANDS,  /* ENet: datagram refused, its sender would have more
                                  than --max-held-commands held out of order */
    RELAY_DROP_SEND_CLOSING,   /* transport: not queued to a peer already disconnecting
                                  (its departure not reported yet): expected churn,
                                  not a failure */
    RELAY_DROP_TICKET_REQUIRED,   /* join without a ticket to a relay that needs one */
    RELAY_DROP_TICKET_EXPIRED,    /* join whose ticket is out of its validity */
    RELAY_DROP_TICKET_WRONG_RELAY, /* join whose ticket names another fleet or relays */
    RELAY_DROP_TICKET_TAMPERED,   /* join whose ticket's seal does not open */
    RELAY_DROP_TICKET_REPLAYED,   /* join whose ticket a live session holds */
    RELAY_DROP_TICKET_MALFORMED,  /* join whose ticket cannot be one */
    RELAY_DROP_SEAL_FORGED,    /* sealed message whose tag does not match (or from a
                                  peer without a sealed session): no error, no strike */
    RELAY_DROP_SEAL_REPLAYED,  /* sealed message opened already, or older than the window */
    RELAY_DROP_UNSEALED,       /* clear message (but a join) from a sealed session */
    RELAY_DROP_UNCONFIRMED,    /* fleet: state of a room whose claim the directory has
                                  not confirmed within the lease: held back, not split */
    RELAY_DROP_UNPLACED,       /* fleet: join refused, the directory could not place its
                                  room (unreachable, too slow, or too many waiting) */
    RELAY_DROP_STALE,          /* unreliable state whose fan-out came more than stale_us
                                  after it arrived (the relay fell behind): shed */
    RELAY_DROP_JOIN_TIMEOUT,   /* a connection not a member for join_timeout_ms, closed
                                  (error not_joined): it held a slot without joining */
    RELAY_DROP_BAD_HTTP,       /* transport (ws): an HTTP request answered with an error
                                  (400, 403, 404, 405, 411, 413, 415, 426, 431, 503), then
                                  closed */
    RELAY_DROP_BAD_FRAME,      /* transport (ws): a WebSocket frame RFC 6455 refuses
                                  (unmasked, a fragmented or long control frame, an unknown
                                  opcode, text not UTF-8): closed 1002 or 1007, kicked */
    RELAY_DROP_NO_MEMBER,      /* event for an id that is no member of the sender's room
                                  (error no_member) */
    RELAY_DROP_THROTTLED,      /* a member's reliable message (an event, chat, a reliable
                                  state) not queued to a receiver that falls behind, as
                                  it would take its sender's address past its fair share
                                  of what waits for it (error throttled) */
    RELAY_DROP_LISTING_OFF,    /* a rooms request, or a join of any room, to a relay run
                                  with --room-list off (error listing_off) */
    RELAY_DROP_KEPT_FULL,      /* a kept event that would take its room's kept events
                                  past CORE_KEPT_BYTES: refused whole (error too_big) */
    RELAY_DROP_NO_SUCH_ROOM,   /* a join with exists for a room that is not (error
                                  no_such_room) */
    RELAY_DROP_ROOM_CLOSED,    /* a join to a room its owner closed (error room_closed) */
    RELAY_DROP_NOT_ROOM_OWNER, /* a room message from a member that does not own the room
                                  (error not_creator, its wire name) */
    RELAY_DROP_NOT_OWNER,      /* a kept event for a key another player keeps, from
                                  neither it nor the room's owner (error not_owner) */
    RELAY_DROP_KEY_GUESSES,    /* a join with a player key the relay does not hold, from a
                                  source past its bound of them (join_cost_internal.h; error
                                  rate_limited) */
    RELAY_DROP_SCRIPT_REFUSED, /* a join its room's script refused (error script_refused) */
    RELAY_DROP_SCRIPT_BUSY,    /* an event, a state or a join its room's script was not
                                  called to judge: the relay's scripts had spent their
                                  share of its time, this room more than its part (a
                                  join: error script_refused) */
    RELAY_DROP_COUNT
};

/* "not_joined", "bad_state", ...; "?" when out of range. */
const char *relay_drop_name(enum relay_drop why);

#endif
