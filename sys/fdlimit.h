/* fdlimit.h: the open-file limit raised for the sockets a process is about
 * to open (a swarm's thousands of clients). */
#ifndef RICOCHET_FDLIMIT_H
#define RICOCHET_FDLIMIT_H

#include <stddef.h>
#include <stdint.h>

/* Raises the soft RLIMIT_NOFILE to need if it is lower (the hard limit
 * allowing). Returns 0 (also when the limit cannot be read), or -1 with a
 * one-line message in err: the hard limit, or why raising failed. */
int fdlimit_raise(uint64_t need, char *err, size_t err_cap);

#endif
