/* join_cost_internal.h: join_cost.c's part of struct relay and its calls:
 * what a join may cost the relay (PROTOCOL.md, "Kept events": Replayed).
 *
 * A join makes the relay send: its welcome (the roster, the room's
 * settings, the joined notices of members left out of it) and the room's
 * kept events, up to 16384 bytes of them, as many as a thousand messages.
 * A peer's own buckets start full at each connection, so a source that
 * joins and leaves again and again would have the relay send that much
 * each time. What a join sends is charged to its source instead (as
 * members are counted: source_key_member, an IPv4 address or an IPv6 /64;
 * on loopback the address and port), in a table that outlives its
 * sessions:
 *
 *   - joins: JOIN_COST_JOINS_PER_S a second per source, in bursts of
 *     JOIN_COST_JOINS_BURST; a join over it is refused (rate_limited). A
 *     join a fleet's directory could not place (directory_unavailable)
 *     costs nothing: players rejoining through one address all through a
 *     directory's outage keep their joins for when it answers again;
 *   - keys: a join with a player key the relay does not hold (PROTOCOL.md,
 *     "Players who come back") is taken as the player's (the relay
 *     restarted, or another relay had the player), so a join is also a
 *     way to try a key: JOIN_COST_KEYS_PER_S a second per source, in bursts
 *     of JOIN_COST_KEYS_BURST, a cost of its own beside the join's (refused
 *     rate_limited, counted key_guesses). A key's 128 random bits make
 *     guessing hopeless anyway; the bound makes it slow too;
 *   - bytes: each datagram a join makes the relay send to the joiner
 *     costs its length and JOIN_COST_DATAGRAM (what it costs the kernels
 *     whatever its size), from a budget of JOIN_COST_BYTES_BURST refilled
 *     at JOIN_COST_BYTES_PER_S. The welcome goes at once and is charged; the
 *     kept events are a replay that goes out over turns, at most
 *     JOIN_COST_TURN_DATAGRAMS a turn, while the budget is not below 0.
 *     Over plain UDP, to a client whose join asked (`"batch_kept": true`),
 *     kept events travel packed in batches (PROTOCOL.md, "Batches").
 *
 * While a replay is under way, whatever else the relay sends the joiner
 * on the control way (events, chat, notices) waits behind it, in order
 * (control_out.c holds its control way: core_out_hold), and goes once
 * the replay is out: a joiner gets every kept event before any later
 * message of its room, as it did when the replay went at once. States
 * take other ways and are not held.
 *
 * Sources are kept in a fixed table of slots by their key: one finding
 * its slot held by another takes it over full (as strangers.h's), so a
 * collision never shuts a source out. Pure, given the time: no allocation. Private to relay/core/: only
 * join_cost.c writes struct core_join_cost. */
#ifndef RICOCHET_CORE_JOIN_COST_INTERNAL_H
#define RICOCHET_CORE_JOIN_COST_INTERNAL_H

/* BY_JOIN_COST_C marks what join_cost.c alone writes: const in every other
 * file in the writers check (sys/writer.h; join_cost.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_JOIN_COST_C
#define BY_JOIN_COST_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JOIN_COST_JOINS_PER_S 4       /* joins a second from one source */
#define JOIN_COST_JOINS_BURST 256     /* ... and at once: a full room behind one address
                                         (a fleet's move, a NAT) */
#define JOIN_COST_KEYS_PER_S 32       /* joins with a key the relay does not hold, a second */
#define JOIN_COST_KEYS_BURST 128      /* ... and at once: a crowd behind one address moved
                                         at once; below the joins' burst, so that this
                                         bound is met first */
#define JOIN_COST_BYTES_PER_S 8192    /* what its joins may make the relay send, a second */
#define JOIN_COST_BYTES_BURST 32768   /* ... and at once (a full store packed, 19 KiB) */
#define JOIN_COST_DATAGRAM 64         /* a datagram's cost beside its bytes */
#define JOIN_COST_TURN_DATAGRAMS 8    /* a replay's datagrams a turn at most */
#define JOIN_COST_TURN_US 2000        /* turns at least this far apart */
#define JOIN_COST_SLOTS 1024          /* sources tracked at once (a power of two) */

struct join_cost_slot {
    uint64_t tag;        /* the source's key | 1; 0 = free */
    int64_t bytes;       /* budget left, bytes; below 0: over, until refilled */
    uint64_t bytes_us;   /* its last refill */
    uint64_t joins;      /* join tokens, millionths */
    uint64_t joins_us;   /* their last refill */
    uint64_t keys;       /* tokens of joins with a key the relay does not hold, millionths */
    uint64_t keys_us;    /* their last refill */
};

struct core_replay;      /* join_cost.c's: one joiner's replay under way */

struct core_join_cost {
    struct join_cost_slot slots[JOIN_COST_SLOTS];
    struct core_replay *BY_JOIN_COST_C *of; /* peer_cap (made at the first replay): each peer's
                                               replay under way, NULL: none */
    BY_JOIN_COST_C uint32_t *active; /* peer_cap: the peers with one, n_active of them */
    uint32_t n_active;
    uint64_t due_us;           /* the next turn: the earliest replay's (0: now) */
};

struct relay;
struct relay_room;
struct proto_control;

/* What the relay had sent (datagrams and bytes, r->stats) before a
 * welcome: core_join_charge charges the difference. */
struct core_join_mark {
    uint64_t datagrams, bytes;
};

/* What a source spends from its slot (join_cost_internal.h). */
enum core_join_spend {
    CORE_JOIN_SPEND_JOIN, /* a join */
    CORE_JOIN_SPEND_KEY   /* a join with a player key the relay does not hold */
};

/* May source (source_key_member) spend one of what now? Spent if so. Pure:
 * jc's slots, given the time. */
bool core_join_cost_spend(struct core_join_cost *jc, uint64_t source, enum core_join_spend what,
                          uint64_t now_us);

/* May peer's source join now (a join's token spent if so)? */
bool core_join_may(struct relay *r, uint32_t peer, uint64_t now_us);

/* May peer's source join with a player key the relay does not hold now
 * (a key's token spent if so)? */
bool core_join_may_key(struct relay *r, uint32_t peer, uint64_t now_us);

/* peer's join cost nothing after all (the fleet's directory did not
 * answer: the join was refused with nothing placed and nothing sent but
 * the refusal): its source's join token given back. */
void core_join_unspend(struct relay *r, uint32_t peer, uint64_t now_us);

/* What the relay has sent so far (before a welcome). */
struct core_join_mark core_join_mark(const struct relay *r);

/* peer was sent a welcome (and the joined notices of the members its
 * roster left out) since mark: charged to its source, a repeated welcome
 * too. */
void core_join_charge(struct relay *r, uint32_t peer, struct core_join_mark mark,
                      uint64_t now_us);

/* peer (m's joiner) was welcomed into room: room's kept events start
 * their replay (the first turn now, within its source's budget). */
void core_join_replay(struct relay *r, uint32_t peer, const struct relay_room *room,
                      const struct proto_control *m, uint64_t now_us);

/* A turn: each replay under way goes on, within its source's budget. */
void core_join_turn(struct relay *r, uint64_t now_us);

/* Frees every replay (the relay ends). */
void core_join_cost_free(struct relay *r);

#endif
