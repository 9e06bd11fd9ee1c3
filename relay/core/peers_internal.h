/* peers_internal.h: peers.c's calls: peers, and every teardown, the one owner
 * of it: connect, gone, evict, a member leaving its room, a kick carried out.
 * Private to relay/core/: a core file includes it when it calls peers.c, and
 * only then. */
#ifndef RICOCHET_CORE_PEERS_INTERNAL_H
#define RICOCHET_CORE_PEERS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* The connected peer at handle peer, or NULL. */
static inline struct relay_peer *core_peer_get(struct relay *r, uint32_t peer)
{
    return peer < r->cfg.peer_cap && r->peers[peer].connected ? &r->peers[peer] : NULL;
}

/* Forgets peer and has the transport close it (why: the error code). */
void core_peer_close(struct relay *r, uint32_t peer, enum proto_error_code why);

/* Counts peer against max_clients (once). Returns false, counting nothing,
 * when max_clients are counted already. */
bool core_count(struct relay *r, uint32_t peer);

/* Every 100 ms (relay_sweep): a sealed member nothing opened from for
 * timeout_ms expired, a connection outside any room past join_timeout_ms
 * closed (not_joined; not one whose join is parked, nor a lobby that
 * watches). */
void core_sweep_joins(struct relay *r, uint64_t now_us);

/* Refuses peer as server_full: counted, told (forced), closed (a peer not
 * connected yet: by its edge's disconnect). Returns the relay_on_datagram
 * code. */
int core_refuse_full(struct relay *r, uint32_t peer, uint64_t now_us);

/* Carries out the kick core_kick_later decided, if any: error kicked to
 * the peer, left {reason: kicked} to its room, disconnect; its IP address
 * is refused for kick_ban_ms. Every entry point that may reject calls it
 * last. */
void core_kick_due(struct relay *r, uint64_t now_us);

/* Closes peer for code: error code with text to it (forced past its error
 * budget and its queue's bound), left kicked to its room, a kick counted,
 * disconnect; one log line. */
void core_evict(struct relay *r, uint32_t peer, enum proto_error_code code, const char *text,
                uint64_t now_us);

/* Carries out what backlog.c decided while sending: each sender throttled
 * is told (error throttled, within its error budget); each close decided,
 * error slow_reader (forced), left kicked to its room, a kick counted,
 * disconnect, one log line each. Never from inside a fan-out or while a
 * message is being sent to several, so nothing sent re-enters a send. */
void core_closes_due(struct relay *r, uint64_t now_us);

/* The end of every entry point that may queue: a kick decided, then every
 * close decided (core_kick_due, core_closes_due). */
void core_settle(struct relay *r, uint64_t now_us);

/* peer becomes a member (join.c decided it: the checks, the id drawn):
 * its membership written (room: an index into r->rooms.at; reflect as m
 * asks), its edge told its way down (batches as m asks), its last state
 * and clock offset forgotten, counted among the relay's members and its
 * edge's. join.c adds it to the room's members. */
void core_member_add(struct relay *r, uint32_t peer, uint32_t id, uint32_t room,
                     const char *name, enum proto_mode mode, const struct proto_control *m);

/* A member's clock offset to the relay (control_in.c: a clock message),
 * kept for the welcomes of those who join after it. */
void core_member_clock(struct relay *r, uint32_t peer, int64_t offset_us, uint64_t bound_us);

/* peer is outside any room from now_us (a member left, a join awaits its
 * proof): join_timeout_ms counts from then. */
void core_peer_outside(struct relay *r, uint32_t peer, uint64_t now_us);

/* Parks peer's join (a copy of join) while the fleet's directory answers.
 * Returns false out of memory (nothing parked). */
bool core_park(struct relay *r, uint32_t peer, const struct relay_parked_join *join);

/* peer's parked join, taken (the caller wipes and frees it), or NULL. */
struct relay_parked_join *core_parked_take(struct relay *r, uint32_t peer);

/* Every parked join still waiting, freed (relay_destroy). */
void core_parked_free(struct relay *r);

/* Takes a member out of its room, tells the others why, frees the room when
 * it empties. Does nothing for a peer that is not a member. */
void core_member_remove(struct relay *r, uint32_t peer, enum proto_left_reason reason);

/* A member whose player joined again from another connection of its
 * source (join.c): out of its room with no notice to the room, the room
 * kept even if it empties (the joiner takes the place at once), told error
 * replaced and its connection closed. */
void core_member_replaced(struct relay *r, uint32_t peer, uint64_t now_us);

/* A member leaves with everyone of its room at once (a shutdown, a room
 * moved): no left notices, its ticket free again; the caller empties and
 * frees the room. */
void core_member_quiet(struct relay *r, uint32_t peer);

#endif
