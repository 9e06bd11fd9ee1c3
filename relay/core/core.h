/* core.h: the relay core's own structures: struct relay, composed of its
 * parts, and struct relay_peer. Only relay/core/ includes it; everything
 * else goes through relay.h.
 *
 * The core keeps one struct relay_peer per handle (every edge's range, one
 * table: struct core_edge) and one struct relay_room per live room; rooms
 * hold the handles of their members. struct relay is composed of parts,
 * each written by one file: a file with parts of its own declares them,
 * with its calls, in the one header of its name (rooms_internal.h,
 * interest_internal.h, ...), which this header includes to embed them;
 * the small parts of the others (the edges, the census, the listing, a
 * peer's welcomes, the scripts' table) are here. Each part is marked with
 * its writer's macro (BY_LIMITS_C struct core_peer_limits limits;): const
 * in every file but the writer, which defines it empty before its
 * includes, so that the compiler refuses a write from elsewhere
 * (docs/design.md, "Who writes what").
 * Its files, one object each, each calling only files below it (so
 * that no two call each other):
 *   relay.c       the relay: create, destroy, the entry point for datagrams
 *   scripted_port.c what a room's script does to its room, as the room (the
 *                 engine's calls: relay/core/script_port.h), its table
 *                 installed
 *   control_in.c  control messages from clients: chat, clock, ping, leave;
 *                 events, the game's own messages on the control way
 *   join.c        joins and welcomes, a ticket's refusal, parked joins settled
 *   fleet_hooks.c a fleet's say on joins: parked joins, moved, rooms moved or
 *                 held, the directory's answer to a rooms ask routed
 *   lobby.c       a lobby that stays: the connections watching the rooms
 *                 listed, kept past the join timeout while heard from, each
 *                 sent a fresh page when its rooms change
 *   listing.c     rooms listed (the rooms request), a join's pick of any room
 *                 with space: the live rooms in name order, merged with the
 *                 rooms a fleet's other relays hold
 *   peers.c       peers: connect, gone, evict, shutdown, and every teardown:
 *                 a member leaving its room, a kick carried out, the close
 *   rooms.c       rooms: found (by name, in name order), created, freed
 *   room_settings.c rooms with properties: what a room's owner set (props,
 *                 size, listed, open), from its join and its room messages;
 *                 the room as it is, told to its members
 *   room_store.c  rooms kept: a room's record taken, a room made again from
 *                 one and held for its members
 *   lockstep.c    lockstep rooms: their ticks closed on the relay's clock,
 *                 inputs held, frames made, kept and sent, checks compared
 *   scripted.c    a room's script asked: a join, a leave, an event, a state
 *   admit.c       every datagram's first step: a known peer, its rate, its
 *                 size, opened if sealed
 *   state_flow.c  a state's whole way on: decode, stamp, interest, tick
 *                 (a world's in phases, a group of receivers at a time), shed,
 *                 fan out (the one place states are handed to the edge)
 *   refusals.c    drop reasons: counted, answered, strikes (a kick decided)
 *   tickets.c     a join's ticket checked, the tickets in use and used (bound
 *                 to an address), a sealed session started and proven
 *   interest.c    rooms with interest: who sees whom, appeared and vanished,
 *                 what is said to those who see a member
 *   join_cost.c   what a join may cost: each source's joins, keys it does
 *                 not hold and bytes (one slot a source), the replays of kept events paced within them (a copy of the
 *                 store, sent over turns ahead of the joiner's held control way)
 *   kept.c        a room's kept events: kept by key, dropped, walked for a replay
 *   control_out.c control messages out: encoded once, counted; a member's
 *                 control way held while a replay goes out ahead of it
 *   backlog.c     what the edges hold for each member: its bound, who is
 *                 throttled toward it, a stalled reader; closes decided there
 *                 carried out once the input in hand is handled
 *   limits.c      token buckets, each peer's rate limit and byte budget,
 *                 addresses kicked recently: decisions, no sends
 *   sealing.c     sealed sessions' keys: open in, seal out */
#ifndef RICOCHET_CORE_H
#define RICOCHET_CORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/seal.h"
#include "relay.h"

#include "rooms_internal.h"
#include "interest_internal.h"
#include "state_flow_internal.h"
#include "backlog_internal.h"
#include "tickets_internal.h"
#include "sealing_internal.h"
#include "limits_internal.h"
#include "refusals_internal.h"
#include "control_out_internal.h"
#include "lobby_internal.h"
#include "join_cost_internal.h"
#include "lockstep_internal.h"
#include "fleet.h"
#include "script_port.h"

/* BY_RELAY_C, BY_PEERS_C, BY_JOIN_C, BY_LISTING_C (and BY_FLEET_HOOKS_C,
 * rooms_internal.h's) mark what relay.c, peers.c, join.c, listing.c and
 * fleet_hooks.c alone write (parts without a header of their own): const
 * in every other file in the writers check (sys/writer.h; the writer
 * defines its macro empty before its includes), as the other parts'
 * macros are. */
#include "sys/writer.h"
#ifndef BY_RELAY_C
#define BY_RELAY_C ONLY_ITS_WRITER
#endif
#ifndef BY_PEERS_C
#define BY_PEERS_C ONLY_ITS_WRITER
#endif
#ifndef BY_JOIN_C
#define BY_JOIN_C ONLY_ITS_WRITER
#endif
#ifndef BY_LISTING_C
#define BY_LISTING_C ONLY_ITS_WRITER
#endif

#define MICRO 1000000ull          /* token buckets count in millionths */
#define ERR_BUDGET_RATE 5u        /* error messages per second per peer */
#define ERR_BUDGET_BURST 10u      /* ... and how many may come at once */
#define BAN_SLOTS 64              /* recently kicked IP addresses remembered */

/* Kicks a script asked for, carried out after its call (relay_script_settle),
 * and beside them rooms ended whole, their scripts failed. */
#define RELAY_SCRIPT_KICKS 32
#define RELAY_SCRIPT_ENDS 8

/* The core's part (struct relay's script): the engine's table, the leaver
 * a script is told of (sends skip it), kicks asked for. */
struct core_script {
    struct relay_script_ops ops;
    bool on;                        /* ops installed */
    uint32_t leaving;               /* the peer of a leave hook in hand (UINT32_MAX) */
    uint32_t n_kicks;
    struct relay_script_kick {
        uint32_t room, id;
        char why[96];
    } kicks[RELAY_SCRIPT_KICKS + RELAY_SCRIPT_ENDS]; /* id RELAY_SCRIPT_SENDER: every
                                                         member of the room */
    uint8_t event[PROTO_EVENT_MAX]; /* an event a hook replaced */
};

/* listing.c's asks of a fleet's directory: only listing.c writes it. */
struct core_listing {
    uint32_t next_ask;          /* the last rooms request or pick of any room asked of
                                   a fleet's directory (relay_rooms_settle's ask) */
};

/* What a parked join needs to go on later (fleet): who it is (its room
 * and name, or its ticket's claims) and what it asked for. */
struct relay_parked_join {
    struct ticket_claims who;
    enum proto_mode mode;
    bool reflect, batch, lost;
    float aoi;
    uint64_t epoch;
    char key[PROTO_KEY_LEN + 1]; /* the join's player key ("": none) */
    struct core_room_ask ask;    /* what it asks of its room */
    uint32_t any_ask;            /* a join of any room whose pick the fleet's directory
                                    makes (relay_any_settle's ask), 0: a placement's */
};

/* A peer's welcomes this membership: only join.c writes them. */
struct core_peer_welcomes {
    uint64_t last_us;        /* last welcome sent, for WELCOME_REPEAT_US */
    uint32_t n;              /* welcomes sent this membership, for WELCOME_MAX */
};

/* A peer: one per handle. peers.c zeroes a slot set free (but its ticket)
 * and starts a connection; after that each field or part has the one
 * writer named beside it, and the others call that file's functions. */
struct relay_peer {
    /* peers.c's: its connection (relay_peer_connect, the teardowns) */
    BY_PEERS_C bool connected;
    BY_PEERS_C bool counted; /* counts against max_clients (r->census.counted): from its connection,
                                or on an edge that counts at join (core_count), while a member */
    BY_PEERS_C union netaddr at; /* its address, as its edge gave it (zero: none) */
    BY_PEERS_C char addr[RELAY_ADDR_MAX]; /* at as "ip:port", for logs only */
    BY_PEERS_C uint64_t source; /* source_key_member of at, once at its connection: what bans and
                                   the throttle's shares count it by */
    BY_PEERS_C uint64_t outside_us; /* connected and not a member since (join_timeout_ms): set where
                                       it connects, and through core_peer_outside (join.c awaiting a
                                       proof or refusing a key, control_in.c a leave) */

    /* peers.c's: its membership, made by join.c through core_member_add
     * and ended by the teardowns (core_member_remove, core_member_quiet) */
    BY_PEERS_C bool joined;
    BY_PEERS_C bool reflect;
    BY_PEERS_C uint32_t id;  /* relay id while joined (join.c draws it), 0 otherwise */
    BY_PEERS_C uint32_t room; /* index into rooms while joined */
    BY_PEERS_C enum proto_mode mode;
    BY_PEERS_C char name[PROTO_NAME_MAX + 1];
    BY_JOIN_C char key[PROTO_KEY_LEN + 1]; /* its player's key (join.c: its join's, or drawn) */
    BY_LOBBY_C uint32_t lobby; /* lobby.c's: its watch's slot + 1 (0: it watches none); zeroed with
                                  the slot, so a teardown ends a watch */
    BY_JOIN_C char player[PROTO_PLAYER_LEN + 1]; /* the key's player id: what the others see */
    BY_PEERS_C bool has_clock; /* announced its clock offset (for later joiners' rosters):
                                  control_in.c through core_member_clock; cleared when it joins and
                                  leaves */
    BY_PEERS_C int64_t clock_offset_us;
    BY_PEERS_C uint64_t clock_bound_us;
    /* fleet: its join, waiting for the directory: fleet_hooks.c parks it
     * (core_park), join.c takes it to settle (core_parked_take), a teardown
     * frees it */
    BY_PEERS_C struct relay_parked_join *BY_PEERS_C parked;
    BY_LISTING_C uint32_t listing_ask; /* listing.c's: its rooms request the fleet's directory
                                          answers (relay_rooms_settle), 0: none */

    /* state_flow.c's: what it said (core_last_forget clears it when it
     * joins and leaves) */
    BY_STATE_FLOW_C bool has_state;
    BY_STATE_FLOW_C struct proto_state last; /* last forwarded state, sender stamped */
    BY_STATE_FLOW_C uint32_t held_at; /* r->flow.held's index of its latest held state (valid when
                                         that entry is its, of its session: checked) */

    /* one file's each */
    BY_LIMITS_C struct core_peer_limits limits; /* limits.c's: its rate limit and byte budget */
    BY_BACKLOG_C struct core_peer_backlog backlog; /* backlog.c's: its address's key, its close
                                                      decided, a throttle to tell of */
    BY_REFUSALS_C struct core_peer_strikes strikes; /* refusals.c's: invalid datagrams */
    BY_CONTROL_OUT_C struct core_peer_errors errors; /* control_out.c's: its error-message budget */
    BY_JOIN_C struct core_peer_welcomes welcomes; /* join.c's */
    BY_INTEREST_C struct core_sight sight; /* interest.c's: in a room with interest */
    BY_LOCKSTEP_C struct core_peer_lockstep lockstep; /* lockstep.c's: in a lockstep room */

    BY_TICKETS_C struct core_peer_ticket ticket; /* tickets.c's; last: kept when a slot is zeroed */
};

/* Who is here, counted: peers.c connects and tears down, the one writer
 * (a join counts its member through core_member_count). */
struct core_census {
    uint32_t clients;           /* connected peers */
    uint32_t members;           /* joined peers */
    uint32_t counted;           /* peers that count against max_clients (relay_peer.counted) */
    bool closing;               /* relay_shutdown ran: newcomers are refused */
    bool settling;              /* core_closes_due is running */
};

/* An edge as the core holds it: what relay_create was given, and where
 * its handles start. */
struct core_edge {
    struct relay_transport tp;
    uint32_t base;              /* its handles: [base, base + tp.peers) */
};

/* The edges relay_create was given: only relay.c writes them, there, and
 * cfg.peer_cap as their total. */
struct core_edges {
    struct core_edge at[RELAY_EDGES_MAX];
    uint32_t n;
    BY_RELAY_C uint8_t *of;     /* peer_cap: each handle's edge */
};

/* The relay. Each part is written by the one file named beside it, and
 * marked with its macro (a sub-struct's own comment says more); the
 * others read it. What many
 * files write is said so, with why. */
struct relay {
    /* relay.c's, set in relay_create and not changed after */
    BY_RELAY_C struct relay_config cfg; /* what relay_create was given (peer_cap: every edge's) */
    BY_RELAY_C struct core_edges edges; /* the edges, each handle's */

    /* one file's each */
    struct core_rooms rooms;    /* rooms.c's: the rooms' slots, in name order */
    BY_LISTING_C struct core_listing listing; /* listing.c's: the directory's asks */
    BY_LOBBY_C struct core_lobby lobby; /* lobby.c's: the connections watching the listing */
    BY_STATE_FLOW_C struct core_flow flow; /* state_flow.c's: held states, the ticks */
    BY_PEERS_C struct core_census census; /* peers.c's: who is here, counted */
    BY_JOIN_C uint32_t next_id; /* join.c's: the next member's relay id (0: 1) */
    BY_TICKETS_C struct core_tickets tickets; /* tickets.c's: the tickets in use and used */
    BY_SEALING_C struct core_sealing sealing; /* sealing.c's: sealed sessions, their buffers */
    BY_BACKLOG_C struct core_backlogs backlog; /* backlog.c's: the trace, closes and throttles
                                                  decided */
    BY_REFUSALS_C struct core_kick kick; /* refusals.c's: a kick decided */
    BY_LIMITS_C struct relay_ban bans[BAN_SLOTS]; /* limits.c's: addresses kicked recently */
    BY_JOIN_COST_C struct core_join_cost join_cost; /* join_cost.c's: each source's joins and what
                                                       they cost, the replays under way */
    BY_INTEREST_C struct core_spot *BY_INTEREST_C spots; /* interest.c's (core_spots_alloc),
                                                            peer_cap: positions in rooms with
                                                            interest */
    BY_FLEET_HOOKS_C struct relay_fleet_hooks fleet; /* fleet_hooks.c's (relay_set_fleet); zero: no
                                                        fleet */
    BY_LOCKSTEP_C struct core_lockstep_rooms lockstep; /* lockstep.c's: the lockstep rooms, their
                                                          deadlines, the kept log's sink */
    struct core_script script;  /* scripted_port.c's (relay_set_script, kicks asked for)
                                   and scripted.c's (the leaver) */

    /* the input in hand, written where it enters */
    uint64_t now_us;            /* the newest time an entry point was given (core_clock,
                                   called by each): what a fan-out checks a room's lease
                                   by */
    BY_RELAY_C size_t reply_cap; /* relay.c's (relay_on_datagram): an answer to the datagram in hand
                                    may not be longer (its sender holds no ticket yet and its edge's
                                    sources can be forged); 0 = any length */

    /* shared: many files write these, each its own part */
    struct relay_peer *peers;   /* peer_cap: a peer's fields are written by the files
                                   that own its concerns (peers.c its connection and
                                   membership, limits.c its buckets, ...) */
    struct relay_stats stats;   /* counters: each file counts what it sees */
    uint32_t *recipients;       /* scratch, max_room_size: the receivers of what is
                                   being sent to many (state_flow.c's fan-out, interest.c's
                                   notices), filled and spent within one call */
    struct proto_control in;    /* scratch: the control message in hand, decoded by
                                   control_in.c (large: roster); a parked join's
                                   rebuilt by join.c */
    struct proto_control out;   /* scratch: the message being written, filled by the
                                   file that says it, encoded by control_out.c */
    BY_CONTROL_OUT_C char json[PROTO_CONTROL_MAX + 1]; /* control_out.c's: out, encoded
                                                          (core_encode_out) */
    BY_CONTROL_OUT_C struct core_out_holds holds; /* control_out.c's: members' control ways held */
};

/* Entry points that may fan states out note their now_us: the newest time
 * the core knows of, by which a fan-out checks its room's lease. */
static inline void core_clock(struct relay *r, uint64_t now_us)
{
    if (now_us > r->now_us)
        r->now_us = now_us;
}

/* The world group of a receiver (struct relay_held.served's bit). */
static inline uint32_t core_world_group(const struct relay *r, uint32_t peer)
{
    return peer / 64 % r->flow.world_groups;
}

/* Every world group, as a mask. */
static inline uint64_t core_world_all(const struct relay *r)
{
    return r->flow.world_groups >= 64 ? UINT64_MAX : (1ull << r->flow.world_groups) - 1;
}

/* The edge of a handle below peer_cap: its callbacks and capabilities. */
static inline const struct relay_transport *core_edge(const struct relay *r, uint32_t peer)
{
    return &r->edges.at[r->edges.of[peer]].tp;
}

/* The counters of a handle's edge. */
static inline struct relay_edge_stats *core_edge_stats(struct relay *r, uint32_t peer)
{
    return &r->stats.edges[r->edges.of[peer]];
}

#endif
