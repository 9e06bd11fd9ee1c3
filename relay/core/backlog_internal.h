/* backlog_internal.h: backlog.c's part of struct relay and its calls: the trace of what
 * waits for each member, closes and throttles decided. Private to relay/core/: core.h
 * includes it, composing struct relay of its parts, and only backlog.c writes them. */
#ifndef RICOCHET_CORE_BACKLOG_INTERNAL_H
#define RICOCHET_CORE_BACKLOG_INTERNAL_H

/* BY_BACKLOG_C marks what backlog.c alone writes: const in every other
 * file in the writers check (sys/writer.h; backlog.c defines it empty
 * before its includes), nothing in the build that is linked. */
#include "sys/writer.h"
#ifndef BY_BACKLOG_C
#define BY_BACKLOG_C ONLY_ITS_WRITER
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay.h"

#define CORE_SHARES 16            /* a member's trace's first room, in senders' addresses */

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
    uint64_t key;            /* its relay_peer.source, never 0 */
    uint64_t bytes;          /* never 0: an address with nothing waiting has no entry */
};

/* A member's trace: an entry for each address with something waiting for
 * it, so that each share is exact. It grows as addresses come (from
 * CORE_SHARES entries) up to max_room_size + CORE_SHARES, more than a
 * room's members can have at once; past that (members leaving and others
 * joining faster than the member reads), a newcomer takes the smallest
 * entry's place and count: over-counted, never under. */
struct core_trace {
    BY_BACKLOG_C struct core_share *s; /* n entries in use, room for cap */
    uint32_t n, cap;
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
    BY_BACKLOG_C struct core_trace *traces; /* peer_cap: each member's trace */
    BY_BACKLOG_C uint32_t *closes; /* peer_cap: members whose close is decided, in order */
    uint32_t n_closes, closes_taken;
    BY_BACKLOG_C uint32_t *tell; /* peer_cap: senders to tell they were throttled */
    uint32_t n_tell, tell_taken;
    uint64_t swept_us;          /* the last sweep */
    uint64_t back_us;           /* when the relay came back from a stall of its own (sweeps
                                   over CORE_AWAY_US apart): no member's stall counts before */
};

struct relay;

/* May a message of len bytes go to peer, from: a member whose message it
 * is (UINT32_MAX: the relay's own)? Refused (false, nothing queued) to a
 * peer whose close is decided; to one whose edge would then hold more
 * than max_queued_bytes (its close decided: core_close_later); and a
 * member's message, past half that bound, when it would take from's
 * address (relay_peer.source) past its fair share of what waits (counted
 * throttled, from told). */
bool core_out_admit(struct relay *r, uint32_t from, uint32_t peer, size_t len);

/* Decides peer's close (once): carried out by core_closes_due. */
void core_close_later(struct relay *r, uint32_t peer, enum core_close why,
                      const struct relay_backlog *b, uint64_t now_us);

/* The periodic look at what each member's edge holds: over the bound, or
 * nothing taken for slow_reader_ms: its close decided. */
void core_backlog_sweep(struct relay *r, uint64_t now_us);

/* A peer's slot taken anew: its trace forgotten, its address's key. */
void core_backlog_reset(struct relay *r, uint32_t peer);

/* Why peer's close was decided, as its error's text (cap bytes). */
void core_close_text(const struct relay *r, uint32_t peer, char *text, size_t cap);

/* The next member whose close was decided, in order, or UINT32_MAX when
 * every one was taken (the queue is then empty again). */
uint32_t core_close_next(struct relay *r);

/* The next sender to tell it was throttled, or UINT32_MAX when every one
 * was taken (the queue is then empty again); *to_id: the id of the
 * receiver its message was held back from (UINT32_MAX: one not a
 * member), forgotten by the sender as it is taken. */
uint32_t core_tell_next(struct relay *r, uint32_t *to_id);

/* Allocates r->backlog for cfg.peer_cap peers. Returns 0 or -1 (out of
 * memory); core_backlog_free frees it. */
int core_backlog_alloc(struct relay *r);
void core_backlog_free(struct relay *r);

#endif
