/* relay.h: the relay's pure core as the program sees it. Rooms, membership,
 * id assignment, validation of every incoming datagram, forwarding
 * decisions, rate limits, kicks and counters are the core's; here are its
 * config, its counters, its creation on its edges, the tick, the sweep, the
 * shutdown, and the rooms as an operator and a room file see them.
 *
 * The core never touches ENet, a socket or the clock, and never asks which
 * transport it runs on: its edges (one or several at once, docs/design.md
 * "Edges") speak to it through the edge contract, edge.h. A fleet's say on
 * joins is fleet.h's, a room script's script_port.h's: each included only
 * where it is glued on. */
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
#include "drops.h"
#include "edge.h"
#include "stats/timehist.h"

/* Peer slots beyond max_clients, so that extra connections get a polite
 * server_full instead of silence: peer_cap = max_clients + this. */
#define RELAY_SPARE_PEERS 32

/* The most clients (--max-clients) and rooms (--max-rooms) one relay
 * serves: with RELAY_SPARE_PEERS within one ENet host's 4095 peers. */
#define RELAY_CLIENTS_MAX 4000

/* The most edges (listening endpoints, --listen) one relay runs at once. */
#define RELAY_EDGES_MAX 8

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
    uint32_t lockstep_keep_kb; /* a lockstep room holds its newest frames, this many KiB
                               of them [lockstep-keep-kb] */
};

/* struct relay_config's room_list: the rows of [room-list]'s choices. */
enum { RELAY_ROOM_LIST_ON = 0, RELAY_ROOM_LIST_OFF = 1 };

/* Script counters (the stats record's "scripts", /metrics'
 * ricochet_script_*); the engine counts into them. */
struct relay_script_counts {
    uint64_t calls;       /* hooks, timers and ticks called; a room's start is two (its
                             libraries, its chunk) */
    uint64_t errors;      /* calls that failed, of any kind (these below too) */
    uint64_t budget;      /* ... stopped past their instruction budget */
    uint64_t memory;      /* ... stopped at their room's memory cap */
    uint64_t off;         /* rooms whose script was switched off (too many errors) */
    uint64_t refused;     /* joins a script refused (drops.script_refused) */
    uint64_t dropped;     /* events and states a script dropped */
    uint64_t changed;     /* events replaced, states corrected */
    uint64_t skipped;     /* calls not made: their room had spent its share of a second */
    uint64_t busy;        /* calls not made or put off: the relay's scripts had spent
                             --script-share of its last second, their room more than its
                             part (drops.script_busy: the inputs dropped) */
    uint64_t time_us;     /* µs the calls ran, by the clock around each */
    uint64_t sent;        /* events a script sent (each copy) */
    uint64_t reloads;     /* script folders read again (SIGHUP) */
    uint64_t reload_errors; /* ... refused, the scripts before kept */
};

/* Lockstep rooms' counters (the stats record's "lockstep"; PROTOCOL.md,
 * "Lockstep rooms"). */
struct relay_lockstep_counts {
    uint64_t rooms;       /* lockstep rooms made */
    uint64_t frames;      /* ticks closed: frames made */
    uint64_t inputs;      /* inputs held for their tick (each slot's first copy) */
    uint64_t duplicates;  /* inputs the relay held or used already: ignored */
    uint64_t late;        /* inputs for a tick already closed (their first copy) */
    uint64_t far;         /* inputs past the window ahead: refused */
    uint64_t stand_ins;   /* slots of a frame that had no input in time (repeated, empty) */
    uint64_t frames_out;  /* frames sent, each copy to each member */
    uint64_t datagrams;   /* frames messages sent */
    uint64_t catch_ups;   /* a member's frames not fitting one message: sent over ticks */
    uint64_t checks;      /* checks taken */
    uint64_t desyncs;     /* members named diverged */
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
    struct relay_script_counts script; /* rooms' scripts (script_port.h) */
    struct relay_lockstep_counts lockstep; /* lockstep rooms */
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

/* When relay_tick next sends more of a replay of kept events under way
 * (paced within its joiner's budget); UINT64_MAX if none is. */
uint64_t relay_join_due(const struct relay *r);

/* The earliest deadline of a lockstep room's tick (relay_tick closes it);
 * UINT64_MAX if there is no lockstep room. */
uint64_t relay_lockstep_due(const struct relay *r);

/* Where a relay's lockstep rooms' kept log goes (PROTOCOL.md, "The kept
 * log"): line is called with each line (JSON, no newline, len bytes, valid
 * during the call) as the core makes it. */
struct relay_lockstep_sink {
    void *ctx;
    void (*line)(void *ctx, const char *line, size_t len);
};

/* Sets the sink (copied; NULL: none, the lines go nowhere). */
void relay_set_lockstep_sink(struct relay *r, const struct relay_lockstep_sink *sink);

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

/* The wall clock, Unix seconds, which tickets expire by (the core's other
 * times are the transport's monotonic now_us). The loop sets it before
 * each batch of input. */
void relay_set_unix_time(struct relay *r, uint64_t unix_s);

/* Counters so far; valid until the next call into the core. */
const struct relay_stats *relay_stats(const struct relay *r);

uint32_t relay_clients(const struct relay *r); /* connected peers */
uint32_t relay_rooms(const struct relay *r);   /* live rooms */
uint32_t relay_members(const struct relay *r); /* joined peers */

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

#endif
