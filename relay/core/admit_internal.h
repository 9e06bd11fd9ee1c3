/* admit_internal.h: admit.c's calls: every datagram's first step: a known peer,
 * its rate, its size, opened if sealed. Private to relay/core/: a core file
 * includes it when it calls admit.c, and only then. */
#ifndef RICOCHET_CORE_ADMIT_INTERNAL_H
#define RICOCHET_CORE_ADMIT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* What every datagram goes through first: a known peer, counted, within
 * its rate and the size limit, opened if sealed (*bytes, *len then the
 * message inside), not empty. Returns 0 to go on or the relay_on_datagram
 * code. */
int core_admit(struct relay *r, uint32_t peer, uint32_t flags, uint8_t **bytes, size_t *len,
               uint64_t now_us);

/* A member's message into its room (a state, an event, chat, a clock):
 * within its byte budget, or dropped (counted rate_limited, told once a
 * second, kicked after kick_after_ms over). Returns 0 to go on or the
 * relay_on_datagram code. */
int core_budget_admit(struct relay *r, uint32_t peer, uint64_t now_us);

#endif
