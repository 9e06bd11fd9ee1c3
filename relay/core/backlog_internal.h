/* backlog_internal.h: backlog.c's calls, on the trace of what waits for each
 * member, closes and throttles decided (its part of struct relay:
 * backlog_state.h, which core.h includes). Private to relay/core/: a core file
 * includes it when it calls backlog.c, and only then. */
#ifndef RICOCHET_CORE_BACKLOG_INTERNAL_H
#define RICOCHET_CORE_BACKLOG_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "backlog_state.h"

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
