/* relay.h: the relay's pure core. Rooms, membership, id assignment, validation of every
 * incoming datagram, forwarding decisions, rate limits, kicks and counters.
 *
 * The core never touches ENet, a socket or the clock, and never asks which transport it runs
 * on: its edges (transport_enet.c, transport_udp.c, or a test's fake; one or several at once,
 * docs/design.md "Edges") report peers and datagrams with the current time, say what they can
 * carry as data (struct relay_transport's capabilities), and the core answers through their
 * callbacks. Peers are small integers, handles: each edge has a range of its own
 * (relay_edge_base), and the core calls an edge back only with handles of its range. */
#ifndef RICOCHET_RELAY_H
#define RICOCHET_RELAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/control.h"
#include "proto/errors.h"
#include "proto/mode.h"
#include "proto/ticket.h"
#include "proto/wire.h"
#include "stats/timehist.h"
#include "sys/netaddr.h"
#include "fleet.h" /* a fleet of relays: the core's side */
#include "relay/script/script_hooks.h"

#define RELAY_ADDR_MAX 64 /* "ip:port" text of a peer, NUL included */

/* Largest datagram a transport without fragmentation (plain UDP) sends, its
 * relay_transport.message_max: far below any path MTU's fragmentation
 * trouble and the 65507-byte UDP limit. A welcome that would be longer is
 * split (see relay_on_datagram). */
#define RELAY_DATAGRAM_MAX 1200

/* Peer slots beyond max_clients, so that extra connections get a polite
 * server_full instead of silence: peer_cap = max_clients + this. */
#define RELAY_SPARE_PEERS 32

/* The most clients (--max-clients) and rooms (--max-rooms) one relay
 * serves: with RELAY_SPARE_PEERS within one ENet host's 4095 peers. */
#define RELAY_CLIENTS_MAX 4000

/* The most edges (listening endpoints, --listen) one relay runs at once. */
#define RELAY_EDGES_MAX 8
#define RELAY_EDGE_NAME_MAX 16 /* an edge's name ("enet", "udp:7790"), NUL included */
#define RELAY_EDGE_COUNTERS 32 /* an edge's own counters (relay_edge_counters), at most */

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
                                  or than ENet's maximumPacketSize */
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
    RELAY_DROP_ROOM_CLOSED,    /* a join to a room its creator closed (error room_closed) */
    RELAY_DROP_NOT_CREATOR,    /* a room message from a member that did not make the room
                                  (error not_creator) */
    RELAY_DROP_NOT_OWNER,      /* a kept event for a key another player keeps, from
                                  neither it nor the room's owner (error not_owner) */
    RELAY_DROP_KEY_GUESSES,    /* a join with a player key the relay does not hold, from a
                                  source past its bound of them (join_cost_state.h; error
                                  rate_limited) */
    RELAY_DROP_SCRIPT_REFUSED, /* a join its room's script refused (error script_refused) */
    RELAY_DROP_SCRIPT_BUSY,    /* an event, a state or a join its room's script was not
                                  called to judge: the relay's scripts had spent their
                                  share of its time, this room more than its part (a
                                  join: error script_refused) */
    RELAY_DROP_COUNT
};

/* Limits and policy. Each limit's default and range is declared once, in
 * ricochet-relay's option table (settings.c, the row named in brackets);
 * the core takes a config within those ranges and does not check it again
 * (settings.h: relay_default_config, relay_config_clamp). */
struct relay_config {
    uint32_t peer_cap;      /* handles of an edge that asks for none of its own
                               (relay_transport.peers 0); relay_create makes it the
                               total of every edge's */
    uint32_t max_clients;   /* connected peers (of an edge that counts at the join:
                               members); more get server_full [max-clients] */
    uint32_t max_rooms;     /* live rooms [max-rooms] */
    uint32_t room_hold_s;   /* a restored room waits this long for its members [room-hold-s] */
    uint32_t max_room_size; /* members per room [max-room-size] */
    uint32_t name_max;      /* bytes in a name [name-max] */
    uint32_t room_max;      /* bytes in a room name [room-max] */
    size_t max_packet_size; /* largest datagram accepted, bytes [max-packet-size] */
    uint32_t rate_limit;    /* datagrams/s per client, 0 = no limit [rate-limit] */
    uint32_t rate_burst;    /* token bucket depth, datagrams [rate-burst] */
    uint32_t byte_limit;    /* bytes/s a member may make the relay send into its room (a
                               message's length times its recipients), 0 = no limit
                               [byte-limit] */
    uint32_t byte_burst;    /* ... and at once, bytes [byte-burst] */
    size_t max_queued_bytes; /* what an edge may hold for one member (struct
                               relay_backlog), bytes, past which it is closed
                               (slow_reader); over half of it, an address past its fair
                               share of it is throttled toward it; 0 = no bound
                               [max-queued-bytes] */
    uint32_t slow_reader_ms; /* a member whose edge holds something for it and took none
                               of it this long is closed (slow_reader); 0 = never
                               [slow-reader-ms] */
    uint32_t kick_after_ms; /* sustained rate-limiting this long -> kick, 0 = never
                               [kick-after] */
    uint32_t max_strikes;   /* invalid datagrams (decaying 1/s) before a kick, 0 = never
                               [max-strikes] */
    uint32_t kick_ban_ms;   /* after a kick, refuse its IP address this long, 0 = off
                               [kick-ban-s] */
    uint32_t tick_us;       /* 0 (the default here): forward each state at once; else
                               hold states and fan them out at the end of each tick */
    uint32_t world_tick_us; /* a room with interest (a world) fans out on a tick of
                               its own this long, each sender's newest unreliable
                               state of a tick only (the others conflated); 0 (the
                               default here): the relay's tick [world-tick-ms] */
    uint32_t stale_us;      /* an unreliable state whose fan-out comes later than this
                               after it arrived (in a world, after its tick's wait) is
                               dropped (stale); 0 (the default here) = never [stale-ms] */
    uint32_t timeout_ms;    /* a sealed member from which nothing opens this long is
                               expired (left, timeout), whatever else comes from its
                               address (0: never) [timeout-ms, the transports' own
                               silence] */
    uint32_t join_timeout_ms; /* a connected peer that is not a member this long (from
                               its connection, or since it left) is closed, error
                               not_joined; a parked join waits for the fleet
                               [join-timeout-ms] */
    uint32_t lobby_idle_ms; /* a connection watching the rooms listed (a rooms request
                               with watch) has no join timeout while a ping or a rooms
                               request comes at least this often; past it it is
                               closed, not_joined [lobby-idle-ms] */
    uint32_t max_lobbies;   /* connections watching at once; more are refused
                               server_full [max-lobbies] */
    uint32_t max_lobbies_per_address; /* ... of them from one source address (an IPv4
                               address, an IPv6 /64) [max-lobbies-per-address] */
    /* Tickets: with n_ticket_keys > 0 a join is admitted only with a ticket's
     * pass sealed under one of ticket_keys [ticket-key, ticket-key-previous],
     * valid at the time given by relay_set_unix_time, naming fleet_name
     * [fleet-name] or one of endpoints (the relay's own "ip:port"). */
    struct ticket_key ticket_keys[2];
    uint32_t n_ticket_keys;
    bool encrypt;           /* tickets' sessions sealed both ways [encrypt] */
    char fleet_name[TICKET_FLEET_MAX + 1];
    char endpoints[RELAY_EDGES_MAX + 1][TICKET_ENDPOINT_MAX + 1];
    uint32_t n_endpoints;
    int room_list;          /* RELAY_ROOM_LIST_ON (0, the default) or _OFF: rooms
                               requests answered, joins of any room taken [room-list] */
};

/* struct relay_config's room_list: the rows of [room-list]'s choices. */
enum { RELAY_ROOM_LIST_ON = 0, RELAY_ROOM_LIST_OFF = 1 };

/* What an edge holds for one of its peers and the network has not yet
 * taken: the one measure the core's slow-reader policy reads, whatever
 * the edge (relay_transport's backlog; docs/design.md, "Backpressure"). */
struct relay_backlog {
    uint64_t bytes;    /* held, in the edge's own terms: framed and not written (a
                          stream), queued or sent and not acknowledged (ENet, QUIC,
                          SCTP) */
    uint64_t moved_us; /* when the network last took some of it (a stream's kernel
                          took bytes; a peer that acknowledges was heard from), on
                          the now_us clock; any time while nothing is held */
};

/* An edge (a transport) as the core sees it: how many handles it needs,
 * what it can carry (data, so the core never asks which transport it runs
 * on) and callbacks. The core calls them from inside its own calls
 * (relay_on_datagram, relay_tick, ...), only with handles of the edge's
 * own range; bytes passed in are only valid during the call.
 *
 * Zero copy, and when it is not. send_state's bytes are one of three:
 *   - without a tick (cfg.tick_us 0) and unsealed: the very buffer the
 *     sender's edge gave relay_on_datagram, the sender id stamped in place,
 *     in that call (bytes and len equal to its own). An edge may tell its
 *     own buffer by that pointer and length and forward what it received
 *     as it is: ENet queues the received packet itself to every recipient
 *     (another edge's buffer it copies, as any other bytes);
 *   - with a tick: a copy the core made when the state arrived and holds
 *     until the tick ends, sent from a later call (relay_tick; or a full
 *     queue, a leaver, a shutdown, a room moved, maybe while another
 *     datagram is in hand). Never the transport's buffer: ENet makes one
 *     new packet of it for all n recipients;
 *   - in sealed sessions (cfg.encrypt): the state sealed for its one
 *     recipient (n = 1), in a buffer of the core's.
 * A transport that keeps bytes past the call copies them (plain UDP: once
 * for all recipients) or holds a reference to its own buffer. */
struct relay_transport {
    void *ctx;
    const char *name;   /* "enet", "udp": the label of its counters (struct
                           relay_edge_stats), at most RELAY_EDGE_NAME_MAX - 1 bytes */
    uint32_t peers;     /* handles it needs, [base, base + peers) (relay_edge_base);
                           0: cfg.peer_cap */
    size_t message_max; /* longest message it sends in one datagram, bytes; 0 = any
                           (it fragments). A longer welcome is split. */
    bool forgeable;     /* anyone can send as a peer (no handshake binds a source
                           address): a repeated join is answered at most every
                           250 ms, 8 times a membership */
    uint32_t modes;     /* bit (1u << mode) per enum proto_mode it carries; with one
                           bit, every member gets that mode whatever its join asks */
    bool count_at_join; /* its peers count against max_clients from their join, not
                           their connection: it bounds those that have not joined
                           itself (a stream edge: --max-half-open), so they keep no
                           member of another edge out */
    bool secure;        /* it encrypts and authenticates every byte itself (DTLS,
                           TLS): with cfg.encrypt its members are not sealed again,
                           a sealed ticket's join taken in clear (docs/design.md,
                           "Browsers") */
    const char *const *counters; /* the names of its own counters, NULL-terminated
                           (RELAY_EDGE_COUNTERS at most; NULL: none): its part of the
                           stats record, set by relay_edge_counters */
    /* Sends one control JSON message (len bytes, no NUL needed) to peer,
     * reliably where the transport can (ENet channel 0). */
    void (*send_control)(void *ctx, uint32_t peer, const char *json, size_t len);
    /* Sends one stamped state from peer `from` (a handle of any edge) to
     * the n peers in `peers` (all of this edge) on channel with flags
     * (PROTO_FLAG_*: the sender's mode's way down, proto/mode.c; an edge
     * without channels ignores them); bytes: see "Zero copy" above. A
     * transport that regroups states keeps each sender's in order to each
     * recipient. */
    void (*send_state)(void *ctx, uint32_t from, const uint32_t *peers, size_t n,
                       uint8_t channel, uint32_t flags, const uint8_t *bytes, size_t len);
    /* Closes peer after what is already queued to it (the error telling it
     * why; why is that error's code, which ENet also sends as the disconnect
     * data). The core has already forgotten it: a later relay_peer_gone()
     * for it is ignored. */
    void (*disconnect)(void *ctx, uint32_t peer, enum proto_error_code why);
    /* What the edge holds for peer now, into *out (cheap: the core asks
     * before each reliable message and every sweep). Never calls the core.
     * NULL: the edge holds nothing past a flush (plain UDP). */
    void (*backlog)(void *ctx, uint32_t peer, struct relay_backlog *out);
};

/* Causes of bad_state drops, counted apart in relay_stats.state_errors. */
enum relay_state_error {
    RELAY_STATE_ERR_SHORT,   /* shorter than PROTO_STATE_SIZE, or empty */
    RELAY_STATE_ERR_VERSION, /* first byte is not PROTO_STATE_VERSION */
    RELAY_STATE_ERR_TYPE,    /* unknown message type */
    RELAY_STATE_ERR_VALUE,   /* a field out of range (NaN, beyond PROTO_VALUE_MAX) */
    RELAY_STATE_ERR_COUNT
};

/* One edge's share of the counters (its name and gauges beside them), in
 * the order of the edges given to relay_create. */
struct relay_edge_stats {
    char name[RELAY_EDGE_NAME_MAX]; /* relay_transport.name */
    uint32_t clients, members;      /* gauges: connected peers, joined peers */
    uint64_t states_in;    /* valid states from its members */
    uint64_t states_out;   /* state copies sent to its members */
    uint64_t bytes_in;     /* payload bytes of every datagram from its peers */
    uint64_t bytes_out;    /* payload bytes of every message to its peers */
    uint64_t conflated;    /* states a stream edge replaced by a newer one from the
                              same sender before they left (relay_count_conflated) */
    const char *const *own_names; /* its relay_transport.counters (static text) */
    uint32_t n_own;
    uint64_t own[RELAY_EDGE_COUNTERS]; /* relay_edge_counters: what it counted itself */
};

struct relay_stats {
    uint64_t states_in;    /* valid states from members */
    uint64_t states_out;   /* state copies sent (one per recipient) */
    uint64_t bytes_in;     /* payload bytes of every datagram received */
    uint64_t bytes_out;    /* payload bytes of every message sent */
    uint64_t control_in;   /* valid control messages */
    uint64_t control_out;  /* control messages sent */
    uint64_t events_in;    /* valid events from members (PROTO_MSG_EVENT) */
    uint64_t events_out;   /* event copies sent (one per recipient) */
    uint64_t joins, leaves, timeouts, kicks;
    uint64_t errors_sent;  /* error messages sent to clients */
    uint64_t errors_suppressed; /* errors not sent: per-peer error budget */
    uint64_t ticks;        /* tick fan-outs that sent at least one state */
    uint64_t moved;        /* fleet: sessions sent to another relay (moved) */
    uint64_t reports_refused; /* fleet: joins that reported their room's holder lost,
                              naming it, from no member of the room: taken as plain
                              joins (the room did not move) */
    uint64_t parked;       /* fleet: joins that waited for the directory */
    uint64_t listings;     /* rooms requests answered with a listing */
    uint64_t listings_refused; /* rooms requests refused: not a member where sources can
                              be forged, listing off, over the byte budget */
    uint64_t drops[RELAY_DROP_COUNT];
    uint64_t state_errors[RELAY_STATE_ERR_COUNT]; /* bad_state by cause */
    uint64_t states_in_mode[PROTO_MODE_COUNT];  /* states_in by the mode it came in */
    uint64_t states_out_mode[PROTO_MODE_COUNT]; /* states_out by the same */
    struct relay_script_counts script; /* rooms' scripts (script_hooks.h) */
    struct timehist tick_lag; /* per tick fan-out (relay_tick): now_us minus the
                                 tick's end */
    struct timehist fanout;   /* relay_fanout_took's durations */
    uint32_t n_edges;
    struct relay_edge_stats edges[RELAY_EDGES_MAX]; /* the same, per edge */
};

struct relay;

/* Allocates a relay on n edges (1..RELAY_EDGES_MAX). cfg (within the
 * option table's ranges, see struct relay_config) and the edges are copied;
 * edge i gets the handles [relay_edge_base(r, i), + its peers), in the
 * array's order from 0, and cfg.peer_cap becomes their total. Returns NULL
 * on allocation failure or a bad n. */
struct relay *relay_create(const struct relay_config *cfg, const struct relay_transport *edges,
                           size_t n);

/* The first handle of edge i (the sum of the peers of the edges before
 * it); the edges and their order are relay_create's. */
uint32_t relay_edge_base(const struct relay *r, size_t i);

/* The edge of a handle below peer_cap (O(1)); its index in relay_create's
 * array. */
size_t relay_peer_edge(const struct relay *r, uint32_t peer);

/* Edge i's name (relay_transport.name), "" if there is no edge i. */
const char *relay_edge_name(const struct relay *r, size_t i);

/* Frees everything; sends nothing (call relay_shutdown first to notify). */
void relay_destroy(struct relay *r);

/* A transport peer appeared (a handshake completed, or a verified join
 * from a new address). addr is its address (NULL: none known), from which
 * the core computes its source key once (source_key.h) and its text for
 * logs. Returns 0, or -1 if refused
 * (peer out of range: nothing sent; server full, or after relay_shutdown:
 * error server_full or shutting_down sent and disconnect called).
 * A handle the core still holds as connected means the transport missed a
 * gone: the old session ends first (left quit to its room) and the new
 * peer is taken, because the transport's slot is the truth (ENet hands a
 * slot out again only once it is free). */
int relay_peer_connect(struct relay *r, uint32_t peer, const union netaddr *addr,
                       uint64_t now_us);

/* A peer is gone (disconnected, silent too long, or not a member after its
 * datagram). reason is
 * PROTO_LEFT_QUIT or PROTO_LEFT_TIMEOUT; members of its room get a left
 * notice. Ignored for a peer the core does not know. */
void relay_peer_gone(struct relay *r, uint32_t peer,
                     enum proto_left_reason reason, uint64_t now_us);

/* A flag relay_on_datagram takes beside the PROTO_FLAG_* a datagram arrived
 * with: the transport could read only the first len bytes of a longer one
 * (a datagram socket's MSG_TRUNC); the real length is unknown. */
#define RELAY_IN_TRUNCATED 0x80000000u

/* The one entry point for network bytes: a datagram of len bytes from peer
 * on channel (PROTO_CHANNEL_* or PROTO_CHANNEL_DATAGRAM) with the flags it
 * arrived with. Validates, counts, answers, forwards. A state's bytes are
 * stamped in place (its sender id) and, without a tick, handed back to
 * send_state (struct relay_transport, "Zero copy"). Returns 0 if
 * accepted, or -1 - enum relay_drop if dropped. Never crashes on any input.
 * With RELAY_IN_TRUNCATED it is counted like a datagram of len bytes (rate
 * limit, bytes_in), then dropped as too_big ("more than len bytes") with a
 * strike.
 * A repeated join for the member's own room is answered with the same
 * welcome; over a forgeable transport at most once per 250 ms, more are
 * ignored. A welcome longer than the transport's message_max lists the
 * first roster members that fit and is followed by one joined notice per
 * member left out. */
int relay_on_datagram(struct relay *r, uint32_t peer, uint8_t channel,
                      uint32_t flags, uint8_t *bytes, size_t len,
                      uint64_t now_us);

/* Tick batching (cfg.tick_us > 0): relay_on_datagram holds each accepted
 * state, and relay_tick fans out everything held, in arrival order, once
 * the tick it arrived in has ended, so a transport that flushes after
 * relay_tick sends each recipient a whole tick's states at once (ENet packs
 * them into few datagrams; plain UDP sends them in one sendmmsg). Ticks are
 * a fixed grid of tick_us, so a state waits at most tick_us; with a tick
 * over 5 ms the rooms' grids are staggered on a 5 ms grid, so a fan-out
 * sends a slice of the rooms, not all of them at once. Recipients are
 * the room's members at fan-out; a sender that leaves has its held states
 * fanned out at once, before its left notice. With tick_us 0 this does
 * nothing. */

/* Fans out the held states if their tick has ended (now_us >=
 * relay_tick_due). Call it after every batch of input. Returns the number
 * of states fanned out. */
size_t relay_tick(struct relay *r, uint64_t now_us);

/* A transport that reads in batches says, before each, what it knows of
 * when the datagrams it hands over next arrived: after after_us (its
 * previous read ended then) and by by_us (when the kernel received the
 * batch's last datagram). A held state counts as arrived at after_us for
 * its tick (not at now_us, which may be after the tick's end), so a late
 * read never pushes a state into the next tick; and as arrived at by_us
 * for its age, so a state that waited in the socket while the relay was
 * behind is shed as stale (cfg.stale_us) rather than forwarded late, and
 * no state is taken for older than it is. Everything else (pongs' clock,
 * rate limits) keeps now_us. A 0, or a time after now_us, means now_us. */
void relay_arrived(struct relay *r, uint64_t after_us, uint64_t by_us);

/* When the earliest held state is due; UINT64_MAX if none is held. */
uint64_t relay_tick_due(const struct relay *r);
/* When relay_tick next sends more of a replay of kept events under way
 * (paced within its joiner's budget); UINT64_MAX if none is. */
uint64_t relay_join_due(const struct relay *r);
/* The tick states are held for (cfg.tick_us; 0: none). */
uint32_t relay_tick_us(const struct relay *r);

/* Closes every peer (held states are fanned out first): error shutting_down, then disconnect. Peers that
 * connect afterwards (during the transport's drain) get the same. */
void relay_shutdown(struct relay *r, uint64_t now_us);

/* Periodic work, every 100 ms or so: closes each peer that has been
 * connected without being a member for join_timeout_ms (error not_joined,
 * counted join_timeout), so connections that never join cannot hold the
 * slots newcomers need; and expires each sealed member from which nothing
 * opened for timeout_ms (left, timeout; closed without a code): clear or
 * forged datagrams from its address keep no one alive. A lobby that
 * watches (a rooms request with watch) is no member and has no join
 * timeout: it is closed once silent for lobby_idle_ms, and sent a fresh
 * page when the rooms it watches change (lobby.c). */
void relay_sweep(struct relay *r, uint64_t now_us);

/* The transport says how long a tick's fan-out took, from relay_tick's
 * start to the end of its own send (µs): recorded in stats.fanout. Only
 * it knows, the core never reading a clock. */
void relay_fanout_took(struct relay *r, uint64_t us);

/* Counts a rejection seen by the transport (per_address, send_failed, ...). */
void relay_count_drop(struct relay *r, enum relay_drop why);

/* A stream edge replaced n states pending to peer by newer ones of the
 * same senders (its send buffer was full): counted as its edge's
 * conflated. */
void relay_count_conflated(struct relay *r, uint32_t peer, uint64_t n);

/* An edge's own counters as they stand (what it refused before the core
 * saw anything: offers, checks, handshakes, channels): values[0..n) in the
 * order of its relay_transport.counters, for the edge of handle (any of
 * its own, its base included), into its part of the stats record. */
void relay_edge_counters(struct relay *r, uint32_t handle, const uint64_t *values, size_t n);

/* The transport saw peer send a message of len bytes that it will never
 * deliver (over its own reassembly limit max). Counts
 * too_big and answers error too_big (a strike, like any too_big; in a
 * sealed session neither: anyone may have sent it). With
 * fatal (the message sits on a reliable channel, which can never move past
 * it) the peer is closed instead: error too_big, left kicked to its room,
 * disconnect. Ignored for a peer the core does not hold as connected. */
void relay_peer_too_big(struct relay *r, uint32_t peer, uint64_t len, uint64_t max,
                        bool fatal, uint64_t now_us);

/* The transport closes peer for a reason of its own: error `code` with
 * `text` to it (forced past its error budget), left kicked to its room, a
 * kick counted, disconnect (with code). Ignored for a peer the core does
 * not hold as connected. */
void relay_peer_evict(struct relay *r, uint32_t peer, enum proto_error_code code,
                      const char *text, uint64_t now_us);

/* The wall clock, Unix seconds, which tickets expire by (the core's other
 * times are the transport's monotonic now_us). The loop sets it before
 * each batch of input. */
void relay_set_unix_time(struct relay *r, uint64_t unix_s);

/* An edge whose sessions begin with an offer (webrtc) asks before it keeps
 * any state for one: with tickets (cfg.n_ticket_keys), pass (NULL or "":
 * none came) must open under the relay's keys, be valid at the wall clock
 * (relay_set_unix_time), name this relay (its fleet or an endpoint), be
 * one its sessions can carry (a sealed one needs cfg.encrypt) and be held
 * by no live session (ticket_replayed, *holder set to the handle that
 * holds it: a member's, or another offer's session, relay_ticket_claim).
 * Nothing is claimed or counted. Returns PROTO_ERROR_NONE (always, without
 * tickets) or the ticket_* code, with a one-line reason in why; *holder
 * (if not NULL) is UINT32_MAX but for ticket_replayed. */
enum proto_error_code relay_ticket_precheck(struct relay *r, const char *pass, uint64_t now_us,
                                            uint32_t *holder, char *why, size_t cap);

/* The session an offer opened, handle (not yet a peer), holds pass (which
 * relay_ticket_precheck took just before): no other offer or join may use
 * it while it lives. The peer it becomes keeps it, and its join with that
 * pass is its own; the pass is free again when that peer goes, or when
 * the edge lets go of a session that never became one (relay_ticket_unclaim).
 * Nothing without tickets. */
void relay_ticket_claim(struct relay *r, const char *pass, uint32_t handle);

/* The session at handle ended before it was a peer: the pass it claimed
 * is free again. Ignored for a connected peer (the core lets go of its
 * own) and a handle that claims none. */
void relay_ticket_unclaim(struct relay *r, uint32_t handle);

/* Counters so far; valid until the next call into the core. */
const struct relay_stats *relay_stats(const struct relay *r);

uint32_t relay_clients(const struct relay *r); /* connected peers */
uint32_t relay_rooms(const struct relay *r);   /* live rooms */
uint32_t relay_members(const struct relay *r); /* joined peers */

/* Is peer connected / a member of a room? Its relay id (0 if not joined). */
bool relay_peer_connected(const struct relay *r, uint32_t peer);
bool relay_peer_joined(const struct relay *r, uint32_t peer);
/* Does peer's join wait for a fleet's directory (parked)? A transport
 * keeps such a peer as it keeps a member: the answer is its. */
bool relay_peer_parked(const struct relay *r, uint32_t peer);
/* Does peer watch the rooms (a lobby that stays)? A transport keeps such a
 * peer as it keeps a member: --max-lobbies bounds them, not its budget of
 * connections that have not joined. */
bool relay_peer_watching(const struct relay *r, uint32_t peer);

/* Is peer's ticketed join waiting for its proof (a sealed session's first
 * sealed join)? A transport keeps such a peer though it is no member yet
 * (the join timeout bounds it). */
bool relay_peer_proving(const struct relay *r, uint32_t peer);
uint32_t relay_peer_id(const struct relay *r, uint32_t peer);
/* Did peer's join ask for its states in batches (plain UDP)? False if not joined. */
bool relay_peer_batches(const struct relay *r, uint32_t peer);
/* The mode peer joined in (its edge's, where the edge carries one) into
 * *mode: an edge whose last hop depends on the receiver's mode asks (QUIC:
 * a stream per sender for streams). False if not joined. */
bool relay_peer_mode(const struct relay *r, uint32_t peer, enum proto_mode *mode);
/* When peer's room next fans out its held states, after now_us (cfg.tick_us
 * > 0, a room without a world's tick); 0 when its states go out as they
 * come, or peer is no member. An edge that acknowledges what it receives
 * (QUIC) holds the acknowledgement until then, to ride with that fan-out. */
uint64_t relay_peer_tick_due(const struct relay *r, uint32_t peer, uint64_t now_us);

/* A live room as an operator sees it. */
struct relay_room_info {
    char name[PROTO_ROOM_MAX + 1];
    uint32_t members;
    uint64_t states_in, states_out; /* since it was created (copies out: one per
                                       recipient) */
};

/* The (at most) cap live rooms with the most members (ties: the most
 * states in) into out, the busiest first. Returns how many. O(rooms x cap). */
size_t relay_busiest_rooms(const struct relay *r, struct relay_room_info *out, size_t cap);

/* The rooms under prefix ("": all) whose names sort after `after` (""
 * or NULL: from the first), in name order (bytewise), at most cap of
 * them, into out, and their props into props (may be NULL), listed or not
 * (what a relay publishes to its fleet): this relay's with their members
 * now, what a join may fill them to and whether they are closed or
 * unlisted. *more (may be NULL) says whether more follow.
 * O(log rooms + cap). Returns how many. */
size_t relay_list_rooms(const struct relay *r, const char *prefix, const char *after,
                        struct proto_room_entry *out, struct proto_props *props, size_t cap,
                        bool *more);

/* Whether this relay lists rooms (--room-list on): in a fleet it publishes
 * its rooms to the other relays only then. */
bool relay_room_list_on(const struct relay *r);

/* Members in room `room` (0 if no such room). */
uint32_t relay_room_size(const struct relay *r, const char *room);

/* ---- rooms kept (PROTOCOL.md, "Rooms kept"; relay/room_file.c, a fleet) ---- */

struct proto_room_record;
/* A stamp that grows with every change of the rooms' records (a room made or freed too). */
uint64_t relay_rooms_changed(const struct relay *r);

/* The i-th live room in name order (i < relay_rooms), its record's last
 * change's stamp into *changed (may be NULL); NULL past the last. */
const char *relay_room_at(const struct relay *r, uint32_t i, uint64_t *changed);

/* The record of the room called name into rec. Returns 0, or -1: none. */
int relay_room_record(const struct relay *r, const char *name, struct proto_room_record *rec);

/* Makes the room called name from rec, empty, held for its members
 * cfg.room_hold_s from now_us (listed; a join finds it as it was; it ends
 * if nobody came). Returns 0, or -1 with why (a bad name, a room of that
 * name here, a size past this relay's bound, too many rooms). */
int relay_room_restore(struct relay *r, const char *name, const struct proto_room_record *rec,
                       uint64_t now_us, char *why, size_t why_cap);

/* "not_joined", "bad_state", ...; "?" when out of range. */
const char *relay_drop_name(enum relay_drop why);

#endif
