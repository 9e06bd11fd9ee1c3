/* A loopback port nobody holds now, for a program that cannot bind port 0
 * and say which it got (redis-server, prometheus, a proxy named in advance). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Sets *port to a port on 127.0.0.1 free now for type (SOCK_STREAM or
 * SOCK_DGRAM), picked below the kernel's ephemeral range: a port bound
 * with 0 comes from that range, where every concurrently running test's
 * clients and relays take theirs, so a port picked there and bound a
 * moment later may be gone; below it only another pick can take it.
 * Returns 0, or -1 with a one-line reason in err. */
int free_port(int type, uint16_t *port, char *err, size_t err_cap);
