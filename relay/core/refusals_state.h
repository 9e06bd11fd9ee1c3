/* refusals_state.h: refusals.c's part of struct relay: drop reasons counted and
 * answered, each peer's strikes, a kick decided.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_REFUSALS_STATE_H
#define RICOCHET_CORE_REFUSALS_STATE_H

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

#endif
