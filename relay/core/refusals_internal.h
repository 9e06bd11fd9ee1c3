/* refusals_internal.h: refusals.c's calls, on drop reasons counted and
 * answered, each peer's strikes, a kick decided (its part of struct relay:
 * refusals_state.h, which core.h includes). Private to relay/core/: a core file
 * includes it when it calls refusals.c, and only then. */
#ifndef RICOCHET_CORE_REFUSALS_INTERNAL_H
#define RICOCHET_CORE_REFUSALS_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "refusals_state.h"

struct relay;

/* Counts a rejection, tells the client (within its error budget) with code
 * (NONE: the usual one for why), and adds a strike for malformed input
 * (one too many and the peer is to be kicked: core_kick_later). Returns
 * the relay_on_datagram code. */
int core_reject_as(struct relay *r, uint32_t peer, enum relay_drop why,
                   enum proto_error_code code, uint64_t now_us, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* peer connected at now_us: its strikes start decaying from then. */
void core_strikes_start(struct relay *r, uint32_t peer, uint64_t now_us);

/* core_reject_as with the usual code for why. */
#define core_reject(r, peer, why, now_us, ...) \
    core_reject_as(r, peer, why, PROTO_ERROR_NONE, now_us, __VA_ARGS__)

/* Decides that peer is kicked (why: the text it is told); the entry point
 * handling the input carries it out when the input is handled
 * (core_kick_due). So what decides a kick (strikes, the rate limit) never
 * calls the teardown, and nothing more is done for the input. */
void core_kick_later(struct relay *r, uint32_t peer, const char *why);

/* The kick decided, taken (no longer due): its peer into *peer and what it
 * is told (valid until the next core_kick_later); NULL if none is due. */
const char *core_kick_take(struct relay *r, uint32_t *peer);

#endif
