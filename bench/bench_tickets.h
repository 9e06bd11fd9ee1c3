/* bench_tickets.h: the tickets of a run's clients. With --encrypt the
 * bench's own relay holds a key drawn for the run (a key file in a
 * temporary folder, --ticket-key FILE --encrypt) and the bench mints one
 * ticket per client; against a --relay it reads them (--ticket @FILE, line
 * i for client i). Either way client i's ticket must name the room and the
 * name the bench gives client i (bench-R and bench-I, as the swarm names
 * them), so every figure means what it does without tickets. */
#ifndef RICOCHET_BENCH_TICKETS_H
#define RICOCHET_BENCH_TICKETS_H

#include <stdbool.h>
#include <stddef.h>

#include "proto/ticket.h"

struct bench_tickets {
    char dir[64];                        /* the key's temporary folder ("" none) */
    char key_file[96];                   /* its key file: the relay's --ticket-key */
    char (*texts)[TICKET_TEXT_MAX + 1];  /* minted: n of them (NULL: read, see list) */
    const char **list;                   /* client i's ticket; NULL: no tickets */
    size_t n;
};

/* n clients in rooms of k (k == n: one room "bench"), as the swarm names
 * them. With mint, draws a key, writes it for the relay and mints n
 * tickets valid for an hour; else takes given[0..n_given) if they fit the
 * layout (NULL: no tickets). Returns 0, or -1 with a one-line message. */
int bench_tickets_open(struct bench_tickets *bt, bool mint, const char *const *given,
                       size_t n_given, size_t n, size_t k, char *err, size_t err_cap);

/* Removes the key file and its folder, frees what was minted. */
void bench_tickets_close(struct bench_tickets *bt);

/* What tickets and sealing cost one core (ricochet-bench --ticket-cost),
 * µs per operation, each timed over n of them: a join's verification
 * (ticket_verify) of a valid pass, of a changed one and of an expired
 * one; the start of a sealed session (its two keys and the tag of its
 * `sealed` message); sealing and opening a 40-byte state; and what an
 * ephemeral X25519 exchange per join would add on the relay's side
 * (forward secrecy, not built: docs/tickets.md says why). */
struct bench_ticket_cost {
    double verify_us, tampered_us, expired_us, session_us, seal_us, open_us, kx_us;
};

/* Fills cost. Returns 0, or -1 (out of memory, libsodium). */
int bench_ticket_cost(size_t n, struct bench_ticket_cost *cost);

#endif
