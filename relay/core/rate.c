/* rate.c: each peer's rate limit (see core.h): a token bucket, a warning
 * at most once a second, a kick after kick_after_ms of abuse. */
#include "core.h"

#include <inttypes.h>
#include <stdio.h>

#define RATE_STREAK_GAP_US 1000000ull /* a pause this long ends an abuse streak */
#define RATE_WARN_EVERY_US 1000000ull /* at most one rate_limited error per second */

int core_rate_check(struct relay *r, uint32_t peer, uint64_t now_us)
{
    struct relay_peer *p = &r->peers[peer];
    if (r->cfg.rate_limit == 0)
        return 0;
    core_bucket_refill(&p->rl_tokens, &p->rl_last_us, now_us, r->cfg.rate_limit,
                       r->cfg.rate_burst);
    if (p->rl_tokens >= MICRO) {
        p->rl_tokens -= MICRO;
        return 0;
    }
    r->stats.drops[RELAY_DROP_RATE_LIMITED]++;
    /* An abuse streak is a run of drops with no pause of a second or more. */
    if (p->rl_streak_us == 0 || now_us - p->rl_last_drop_us >= RATE_STREAK_GAP_US) {
        p->rl_streak_us = now_us ? now_us : 1;
        p->rl_streak_drops = 0;
    }
    p->rl_last_drop_us = now_us;
    p->rl_streak_drops++;
    uint64_t streak = now_us > p->rl_streak_us ? now_us - p->rl_streak_us : 0;
    if (r->cfg.kick_after_ms && streak >= (uint64_t)r->cfg.kick_after_ms * 1000 &&
        p->rl_streak_drops >= r->cfg.rate_burst) {
        char why[96];
        snprintf(why, sizeof why, "over the rate limit of %" PRIu32 "/s for %.1f s",
                 r->cfg.rate_limit, (double)streak / 1e6);
        core_kick(r, peer, now_us, why);
        return -1 - RELAY_DROP_RATE_LIMITED;
    }
    if (p->rl_warned_us == 0 || now_us - p->rl_warned_us >= RATE_WARN_EVERY_US) {
        p->rl_warned_us = now_us ? now_us : 1;
        core_send_error(r, peer, false, PROTO_ERROR_RATE_LIMITED, now_us,
                        "over %" PRIu32 " messages/s (burst %" PRIu32 "): dropped%s",
                        r->cfg.rate_limit, r->cfg.rate_burst,
                        r->cfg.kick_after_ms ? "; keep it up and you are kicked" : "");
    }
    return -1 - RELAY_DROP_RATE_LIMITED;
}
