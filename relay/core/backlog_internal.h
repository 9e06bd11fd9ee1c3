/* backlog_internal.h: backlog.c's state: the trace of what waits for each
 * member, closes and throttles decided.
 * Private to relay/core/: core.h includes it, composing struct relay of
 * its parts, and only the file named here writes them. */
#ifndef RICOCHET_CORE_BACKLOG_INTERNAL_H
#define RICOCHET_CORE_BACKLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

#define CORE_SHARES 16            /* senders' addresses a member's backlog is traced to */

/* Why backlog.c decided a member's close. */
enum core_close {
    CORE_CLOSE_NONE,
    CORE_CLOSE_OVER,    /* what its edge holds would pass max_queued_bytes */
    CORE_CLOSE_STALLED, /* its edge held something and took none of it for slow_reader_ms */
};

/* What waits for a member, traced to the addresses whose members' messages
 * it is (each address's share of what the edge holds): a throttle holds
 * back an address past its fair share. */
struct core_share {
    uint64_t key;            /* its relay_peer.source, never 0; 0: a free entry */
    uint64_t bytes;
};

/* What backlog.c keeps of each peer (struct relay_peer's backlog): only
 * backlog.c writes it (peers.c zeroes a slot set free). */
struct core_peer_backlog {
    uint8_t closing;         /* enum core_close: its close is decided, carried out once
                                the input in hand is handled; nothing more is queued to
                                it but the error saying why */
    uint64_t close_bytes;    /* ... what its edge held then */
    uint64_t close_idle_us;  /* ... and for how long the network had taken none */
    uint32_t throttled_to;   /* the id of a receiver its message was held back from, to
                                be told once the input in hand is handled (0: none;
                                UINT32_MAX: one not a member) */
};

/* What backlog.c decides and keeps: only backlog.c writes it; peers.c
 * carries out what it queued, taking each entry through core_close_next
 * and core_tell_next. */
struct core_backlogs {
    struct core_share *shares;  /* peer_cap x CORE_SHARES: the trace */
    uint32_t *closes;           /* peer_cap: members whose close is decided, in order */
    uint32_t n_closes, closes_taken;
    uint32_t *tell;             /* peer_cap: senders to tell they were throttled */
    uint32_t n_tell, tell_taken;
};

#endif
