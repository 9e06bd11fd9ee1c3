/* control_out_internal.h: control_out.c's part of struct relay and its calls: control
 * messages out, encoded once and counted, each peer's error-message budget. Private to
 * relay/core/: core.h includes it, composing struct relay of its parts, and only
 * control_out.c writes them. */
#ifndef RICOCHET_CORE_CONTROL_OUT_INTERNAL_H
#define RICOCHET_CORE_CONTROL_OUT_INTERNAL_H

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

struct relay;
struct relay_room; /* rooms_internal.h */

/* Encodes r->out into r->json. Returns the length or a negative proto_err. */
int core_encode_out(struct relay *r);

/* Sends len bytes (a control message, or an event) to peer on the control
 * way, sealed if its session is, counted; from: the member whose message
 * it carries (an event, chat, a clock), UINT32_MAX: the relay's own.
 * Returns false, sending nothing, if core_out_admit refuses it (a
 * receiver that falls behind). While peer's control way is held
 * (core_out_hold) it waits, queued in order: true unless the queue would
 * pass max_queued_bytes (then peer's close is decided). */
bool core_send_bytes(struct relay *r, uint32_t from, uint32_t peer, const uint8_t *bytes,
                     size_t len);

/* core_send_bytes ahead of what is held: what the hold is for. */
bool core_send_bytes_now(struct relay *r, uint32_t from, uint32_t peer, const uint8_t *bytes,
                         size_t len);

/* Holds member peer's control way (a replay of kept events goes out
 * ahead of it over turns, join_cost.c): for its membership at most.
 * Returns false out of memory (nothing held). */
bool core_out_hold(struct relay *r, uint32_t peer);

/* Ends peer's hold: what it held goes out as it came, if peer is still
 * the member it was held for (else it is dropped). */
void core_out_release(struct relay *r, uint32_t peer);

/* Frees every hold (the relay ends). */
void core_out_holds_free(struct relay *r);

/* Sends r->json's first len bytes to peer (core_send_bytes). */
void core_send_json(struct relay *r, uint32_t from, uint32_t peer, size_t len);

/* Sends r->out (the relay's own) to one peer. */
void core_send_out(struct relay *r, uint32_t peer);

/* Sends r->out to every member of room, except `except` (UINT32_MAX: none),
 * on behalf of from (core_send_bytes). Encoded once. */
void core_send_out_room(struct relay *r, const struct relay_room *room, uint32_t except,
                        uint32_t from);

/* Sends r->out to n peers on behalf of from. Encoded once. */
void core_send_out_many(struct relay *r, const uint32_t *peers, size_t n, uint32_t from);

/* peer connected at now_us: its error budget full (ERR_BUDGET_BURST). */
void core_errors_start(struct relay *r, uint32_t peer, uint64_t now_us);

/* Sends error {code, message}. Unless forced, spends from the peer's error
 * budget so a misbehaving client cannot turn the relay into an amplifier.
 * Forced: past the budget and past its queue's bound, always: the error
 * that closes the peer, which the caller does next. */
void core_send_error(struct relay *r, uint32_t peer, bool force, enum proto_error_code code,
                     uint64_t now_us, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

#endif
