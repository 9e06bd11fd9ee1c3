/* control_out_state.h: control_out.c's part of struct relay: control messages out,
 * encoded once and counted, each peer's error-message budget.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_CONTROL_OUT_STATE_H
#define RICOCHET_CORE_CONTROL_OUT_STATE_H

/* BY_CONTROL_OUT_C marks what control_out.c alone writes: const in every other
 * file in the writers check (sys/writer.h; control_out.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_CONTROL_OUT_C
#define BY_CONTROL_OUT_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

/* A peer's error-message budget, a token bucket (ERR_BUDGET_RATE,
 * ERR_BUDGET_BURST): only control_out.c writes it (core_errors_start at
 * its connection; peers.c zeroes a slot set free). */
struct core_peer_errors {
    uint64_t tokens;         /* millionths of an error message */
    uint64_t us;             /* its last refill */
};

/* Members whose control way is held (core_out_hold): what they are sent
 * waits, in order, until released. Only control_out.c writes it. */
struct core_out_held;        /* control_out.c's: one member's queue */
struct core_out_holds {
    struct core_out_held *BY_CONTROL_OUT_C *of; /* peer_cap (made at the first hold): NULL, none */
    uint32_t n;              /* holds made and not released */
};

#endif
