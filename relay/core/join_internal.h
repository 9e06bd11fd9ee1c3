/* join_internal.h: join.c's calls: joins and welcomes, a ticket's refusal.
 * Private to relay/core/: a core file includes it when it calls join.c, and
 * only then. */
#ifndef RICOCHET_CORE_JOIN_INTERNAL_H
#define RICOCHET_CORE_JOIN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core.h"

/* Refuses peer's join with a ticket error code: counted, answered (no
 * longer than the join where r->reply_cap says so; sealed if its session's keys are
 * drawn), the peer closed. Returns the relay_on_datagram code. */
int core_refuse_ticket(struct relay *r, uint32_t peer, enum proto_error_code code,
                       uint64_t now_us, const char *text);

/* A join from peer: checked, then a welcome to it and a joined notice to
 * its room. Returns 0 or the relay_on_datagram code. */
int core_on_join(struct relay *r, uint32_t peer, const struct proto_control *m,
                 uint64_t now_us);

#endif
