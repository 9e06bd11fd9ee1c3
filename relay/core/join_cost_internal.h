/* join_cost_internal.h: join_cost.c's calls, on what a join may cost the relay
 * (PROTOCOL.md, "Kept events": Replayed) (its part of struct relay:
 * join_cost_state.h, which core.h includes). Private to relay/core/: a core
 * file includes it when it calls join_cost.c, and only then. */
#ifndef RICOCHET_CORE_JOIN_COST_INTERNAL_H
#define RICOCHET_CORE_JOIN_COST_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "join_cost_state.h"

struct relay;
struct relay_room;
struct proto_control;

/* What the relay had sent (datagrams and bytes, r->stats) before a
 * welcome: core_join_charge charges the difference. */
struct core_join_mark {
    uint64_t datagrams, bytes;
};

/* What a source spends from its slot (join_cost_state.h). */
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
