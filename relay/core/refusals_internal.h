/* refusals_internal.h: refusals.c's part of struct relay and its calls: drop reasons
 * counted and answered, each peer's strikes, a kick decided. Private to relay/core/: core.h
 * includes it, composing struct relay of its parts, and only refusals.c writes them. */
#ifndef RICOCHET_CORE_REFUSALS_INTERNAL_H
#define RICOCHET_CORE_REFUSALS_INTERNAL_H

/* BY_REFUSALS_C marks what refusals.c alone writes: const in every other
 * file in the writers check (sys/writer.h; refusals.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_REFUSALS_C
#define BY_REFUSALS_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

/* A peer's strikes: only refusals.c writes them (core_strikes_start at
 * its connection; peers.c zeroes a slot set free). */
struct core_peer_strikes {
    uint64_t micro;          /* invalid datagrams, millionths, decays 1/s */
    uint64_t us;             /* its last decay */
};

/* A kick decided (refusals.c: core_kick_later), carried out when the
 * input in hand is handled (peers.c: core_kick_due takes it through
 * core_kick_take). Only refusals.c writes it. */
struct core_kick {
    bool due;                   /* a kick is decided */
    uint32_t peer;              /* ... of this peer */
    char why[96];               /* ... and what it is told */
};

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
