/* children.h: what the bench and the lesson both need to start
 * ricochet-relay and ricochet-netsim for a run and read them back: the
 * folder the programs are in, the relay's limits taken off for clients
 * that all come from one address, netsim's model of the path, a user's
 * extra arguments split into a child's, an edge's port read from the
 * relay's "listening on" line, a temporary file for a child to write (a
 * drop log, a key log), and what the relay's last stats record says of
 * its drops. Each caller keeps its own process set (harness/spawn.h). */
#ifndef RICOCHET_CHILDREN_H
#define RICOCHET_CHILDREN_H

#include <stddef.h>
#include <stdint.h>

#include "params.h"
#include "spawn.h"

#define CHILDREN_OPEN_ARGS 8  /* children_relay_open()'s count */
#define CHILDREN_MODEL_ARGS 8 /* children_netsim_model()'s */

/* The folder of the programs prog starts: given (--bin) if not "", else
 * the folder prog runs from, where they are built beside it; into out.
 * Exits 2 with one line (options_fail) if that does not fit. */
void children_bin(const char *prog, const char *given, char *out, size_t cap);

/* The relay's per-address, rate and byte limits and its ban of a kicked
 * client's address off (every client of a run comes from one address and
 * may send fast: through netsim's IP mode, one client kicked would have
 * every other refused), into args (room for CHILDREN_OPEN_ARGS). Returns
 * how many. */
size_t children_relay_open(const char **args);

/* netsim's model of p's path, per hop (bench_params_per_hop), and its
 * seed: --loss, --delay, --jitter and --seed into args (room for
 * CHILDREN_MODEL_ARGS), their values into bufs. Returns how many. */
size_t children_netsim_model(const struct bench_params *p, uint64_t seed, char (*bufs)[32],
                             const char **args);

/* Splits s on spaces and tabs into at most max arguments (pointers into
 * buf, a copy of s of cap bytes). Returns how many. */
size_t children_split(const char *s, char *buf, size_t cap, const char **args, size_t max);

/* Waits up to timeout_ms for relay's "listening on ADDR:PORT (edge)" line.
 * Returns the port, or -1 with a one-line reason in err. */
int children_edge_port(struct spawn_proc *relay, const char *edge, int timeout_ms, char *err,
                       size_t err_cap);

/* A new empty file for a child to write, in TMPDIR (or /tmp), named
 * "ricochet-OWNER-KIND-XXXXXX", into path. Returns 0, or -1 with errno
 * (path ""). */
int children_temp_file(const char *owner, const char *kind, char *path, size_t cap);

/* Sum of the "drops" object of the relay's last stats record in text, or
 * its member reason alone if reason is not NULL; 0 if none. */
uint64_t children_relay_drops(const char *text, const char *reason);

/* Sum over the edges of the relay's last stats record in text of their
 * counter name ("conflated", ...); 0 if none. */
uint64_t children_relay_edges_sum(const char *text, const char *name);

#endif
