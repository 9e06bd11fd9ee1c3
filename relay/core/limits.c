/* limits.c: the limits a peer lives within (see limits_internal.h): token buckets
 * counted in millionths, its rate limit, its byte budget into its room,
 * and the addresses kicked recently. Decisions only: what the peer is
 * told, and a kick, are the caller's (admit.c). */
#define BY_LIMITS_C /* this file writes the parts BY_LIMITS_C marks */
#include "core.h"
#include "limits_internal.h"

#include <string.h>
#include <stdio.h>

#include "sys/clock.h"

#define RATE_STREAK_GAP_US 1000000ull /* a pause this long ends an abuse streak */
#define RATE_WARN_EVERY_US 1000000ull /* at most one rate_limited error per second */

/* ---- token buckets (the rate limit, the error budget) ---- */

void core_bucket_refill(uint64_t *tokens, uint64_t *last_us, uint64_t now_us,
                        uint64_t rate, uint64_t cap)
{
    uint64_t elapsed = now_us > *last_us ? now_us - *last_us : 0;
    if (elapsed > 1000ull * MICRO)
        elapsed = 1000ull * MICRO; /* anything longer refills fully anyway */
    *tokens += elapsed * rate;
    if (*tokens > cap * MICRO)
        *tokens = cap * MICRO;
    if (now_us > *last_us)
        *last_us = now_us;
}

/* ---- each peer's rate limit ---- */

/* A drop over a limit (the rate, or the byte budget: one streak for both):
 * counted, and what the peer is due, with *streak_us how long its abuse
 * has gone on. */
static enum core_rate refused(struct relay *r, struct relay_peer *p, uint64_t now_us,
                              uint64_t *streak_us)
{
    r->stats.drops[RELAY_DROP_RATE_LIMITED]++;
    /* An abuse streak is a run of drops with no pause of a second or more. */
    if (p->limits.streak_us == 0 || now_us - p->limits.last_drop_us >= RATE_STREAK_GAP_US) {
        p->limits.streak_us = now_us ? now_us : 1;
        p->limits.streak_drops = 0;
    }
    p->limits.last_drop_us = now_us;
    p->limits.streak_drops++;
    uint64_t streak = now_us > p->limits.streak_us ? now_us - p->limits.streak_us : 0;
    *streak_us = streak;
    if (r->cfg.kick_after_ms && streak >= (uint64_t)r->cfg.kick_after_ms * 1000 &&
        p->limits.streak_drops >= r->cfg.rate_burst)
        return CORE_RATE_KICK;
    if (clock_once_every(&p->limits.warned_us, now_us, RATE_WARN_EVERY_US))
        return CORE_RATE_WARN;
    return CORE_RATE_DROP;
}

void core_limits_start(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct core_peer_limits *l = &r->peers[peer].limits;
    l->tokens = (uint64_t)r->cfg.rate_burst * MICRO;
    l->last_us = now_us;
    l->flush = 0;
}

enum core_rate core_rate_check(struct relay *r, uint32_t peer, uint64_t now_us,
                               uint64_t *streak_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (r->cfg.rate_limit == 0)
        return CORE_RATE_OK;
    core_bucket_refill(&p->limits.tokens, &p->limits.last_us, now_us, r->cfg.rate_limit,
                       r->cfg.rate_burst);
    if (p->limits.tokens >= MICRO) {
        p->limits.tokens -= MICRO;
        return CORE_RATE_OK;
    }
    if (p->limits.flush && now_us < p->limits.flush_until_us) {
        p->limits.flush--;
        return CORE_RATE_OK;
    }
    return refused(r, p, now_us, streak_us);
}

void core_limits_flush(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct core_peer_limits *l = &r->peers[peer].limits;
    l->flush = CORE_FLUSH_STATES;
    l->flush_until_us = now_us + CORE_FLUSH_US;
}

/* ---- each member's byte budget into its room ---- */

/* p's byte budget refilled to now_us. */
static void budget_refill(struct relay *r, struct relay_peer *p, uint64_t now_us)
{
    uint64_t elapsed = now_us > p->limits.budget_us ? now_us - p->limits.budget_us : 0;
    if (elapsed > 10 * MICRO)
        elapsed = 10 * MICRO; /* anything longer refills fully anyway */
    if (now_us > p->limits.budget_us)
        p->limits.budget_us = now_us;
    p->limits.budget += (int64_t)(elapsed * r->cfg.byte_limit / MICRO);
    if (p->limits.budget > (int64_t)r->cfg.byte_burst)
        p->limits.budget = (int64_t)r->cfg.byte_burst;
}

enum core_rate core_budget_check(struct relay *r, uint32_t peer, uint64_t now_us,
                                 uint64_t *streak_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (r->cfg.byte_limit == 0)
        return CORE_RATE_OK;
    budget_refill(r, p, now_us);
    if (p->limits.budget >= 0)
        return CORE_RATE_OK;
    return refused(r, p, now_us, streak_us);
}

bool core_budget_left(struct relay *r, uint32_t peer, uint64_t now_us)
{
    if (r->cfg.byte_limit == 0)
        return true;
    budget_refill(r, &r->peers[peer], now_us);
    return r->peers[peer].limits.budget >= 0;
}

void core_budget_spend(struct relay *r, uint32_t peer, uint64_t bytes)
{
    if (r->cfg.byte_limit)
        r->peers[peer].limits.budget -= (int64_t)(bytes < INT32_MAX ? bytes : INT32_MAX);
}

/* ---- addresses kicked recently ---- */

void core_ban_add(struct relay *r, uint64_t source, uint64_t now_us)
{
    if (r->cfg.kick_ban_ms == 0 || !source)
        return;
    /* The same source again, else a free or expired slot, else the one
     * that expires first. */
    struct relay_ban *slot = NULL;
    for (size_t i = 0; i < BAN_SLOTS && !slot; i++)
        if (r->bans[i].source == source)
            slot = &r->bans[i];
    for (size_t i = 0; i < BAN_SLOTS && !slot; i++)
        if (!r->bans[i].source || r->bans[i].until_us <= now_us)
            slot = &r->bans[i];
    if (!slot) {
        slot = &r->bans[0];
        for (size_t i = 1; i < BAN_SLOTS; i++)
            if (r->bans[i].until_us < slot->until_us)
                slot = &r->bans[i];
    }
    slot->source = source;
    slot->until_us = now_us + (uint64_t)r->cfg.kick_ban_ms * 1000;
}

uint64_t core_ban_left_us(const struct relay *r, uint64_t source, uint64_t now_us)
{
    if (r->cfg.kick_ban_ms == 0 || !source)
        return 0;
    for (size_t i = 0; i < BAN_SLOTS; i++)
        if (r->bans[i].source == source && r->bans[i].until_us > now_us)
            return r->bans[i].until_us - now_us;
    return 0;
}
