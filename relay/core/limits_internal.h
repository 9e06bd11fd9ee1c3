/* limits_internal.h: limits.c's part of struct relay and its calls: each peer's rate limit
 * and byte budget, the addresses kicked recently; decisions, no sends. Private to
 * relay/core/: core.h includes it, composing struct relay of its parts, and only limits.c
 * writes them. */
#ifndef RICOCHET_CORE_LIMITS_INTERNAL_H
#define RICOCHET_CORE_LIMITS_INTERNAL_H

/* BY_LIMITS_C marks what limits.c alone writes: const in every other
 * file in the writers check (sys/writer.h; limits.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_LIMITS_C
#define BY_LIMITS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

/* A peer's rate limit and byte budget: only limits.c writes them (a
 * connection's start too, core_limits_start; peers.c zeroes a slot set
 * free). */
struct core_peer_limits {
    uint64_t tokens;         /* rate bucket, millionths of a datagram */
    uint64_t last_us;        /* last refill */
    uint64_t streak_us;      /* first drop of the current abuse streak, 0 = none */
    uint64_t last_drop_us;
    uint64_t streak_drops;
    uint64_t warned_us;      /* last rate_limited error, 0 = never */
    int64_t budget;          /* bytes it may still make the relay send into its room
                                (byte_limit, byte_burst); below 0: over, until refilled */
    uint64_t budget_us;      /* its last refill */
    uint32_t flush;          /* datagrams it may still send over its rate: a member
                                come from another relay re-sends what it held */
    uint64_t flush_until_us; /* ... until then */
};

/* A source kicked recently: connections from it are refused until
 * until_us. A small table: when full, the entry closest to expiry goes. */
struct relay_ban {
    uint64_t source;         /* relay_peer.source; 0 = free */
    uint64_t until_us;
};

struct relay;

/* Refills a millionths bucket at rate per second up to cap (both whole
 * units). Time going backwards refills nothing. */
void core_bucket_refill(uint64_t *tokens, uint64_t *last_us, uint64_t now_us, uint64_t rate,
                        uint64_t cap);

/* What a peer's rate limit says of its datagram at now_us. */
enum core_rate {
    CORE_RATE_OK,   /* within it: go on */
    CORE_RATE_DROP, /* over it: dropped (counted rate_limited) */
    CORE_RATE_WARN, /* dropped, and the peer is due its warning (once a second) */
    CORE_RATE_KICK  /* dropped, and over it for kick_after_ms: the peer is kicked */
};

/* peer joined at now_us from another relay (its join carries a moved's
 * epoch, or says it lost its relay): for CORE_FLUSH_US it may send
 * CORE_FLUSH_STATES datagrams over its rate limit, the reliable states a
 * client holds between relays and re-sends at once (proto/FLEET.md,
 * Clients). */
#define CORE_FLUSH_STATES 320 /* a client's hold (256) and its resent last 64 */
#define CORE_FLUSH_US 5000000ull
void core_limits_flush(struct relay *r, uint32_t peer, uint64_t now_us);

/* peer connected at now_us: its rate bucket full (rate_burst), its byte
 * budget as a new slot's. */
void core_limits_start(struct relay *r, uint32_t peer, uint64_t now_us);

/* Spends from peer's token bucket. Counts a drop; *streak_us gets how long
 * its abuse has gone on (set unless OK). */
enum core_rate core_rate_check(struct relay *r, uint32_t peer, uint64_t now_us,
                               uint64_t *streak_us);

/* What peer's byte budget (byte_limit) says at now_us: OK while it has not
 * spent past it, else a drop as core_rate_check's (one streak for both). */
enum core_rate core_budget_check(struct relay *r, uint32_t peer, uint64_t now_us,
                                 uint64_t *streak_us);

/* Has peer's byte budget anything left at now_us? As core_budget_check,
 * but a no counts nothing: what the relay sends unasked (a lobby's push)
 * waits for it. */
bool core_budget_left(struct relay *r, uint32_t peer, uint64_t now_us);

/* peer made the relay send bytes into its room (a message's length times
 * its recipients): spent from its budget, which may go below 0. */
void core_budget_spend(struct relay *r, uint32_t peer, uint64_t bytes);

/* Refuses source (relay_peer.source) for kick_ban_ms from now. */
void core_ban_add(struct relay *r, uint64_t source, uint64_t now_us);

/* Microseconds source is still refused for, 0 if it is not. */
uint64_t core_ban_left_us(const struct relay *r, uint64_t source, uint64_t now_us);

#endif
