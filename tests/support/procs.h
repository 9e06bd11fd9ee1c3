/* procs.h: what the tests see of processes and network namespaces in
 * /proc: whether a process runs, its children, the namespaces it is in or
 * holds, and whether anything still holds one (a test that kills a run
 * checks that nothing is left). */
#ifndef RICOCHET_TEST_PROCS_H
#define RICOCHET_TEST_PROCS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Whether a process runs as pid (a zombie does not). */
bool procs_alive(pid_t pid);

/* Whether any process is in the network namespace of inode ino or holds it
 * open. */
bool procs_netns_held(uint64_t ino);

/* The children of parent whose name (comm) is comm, into out (cap at
 * most). Returns how many. */
size_t procs_children(pid_t parent, const char *comm, pid_t *out, size_t cap);

/* The network namespaces process pid is in and holds open (inodes), into
 * out (cap at most, its own first). Returns how many. */
size_t procs_netns_of(pid_t pid, uint64_t *out, size_t cap);

#endif
