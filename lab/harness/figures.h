/* figures.h: the figures ricochet-bench and ricochet-lesson both compute
 * from a run's counts, by one formula each, so that a lane's loss and
 * bytes a state read the same on the lesson's page as in the bench's
 * reports. Pure. */
#ifndef RICOCHET_FIGURES_H
#define RICOCHET_FIGURES_H

#include <stdint.h>

#include "proto/mode.h"

#define FIGURES_UDP_HEADER 28 /* bytes the kernel adds to every datagram: IPv4, UDP */
#define FIGURES_TCP_HEADER 52 /* ... to every TCP segment: IPv4, TCP and Linux's timestamps */

/* 100 * (expected - delivered) / expected, in %; 0 with none expected. */
double figures_lost_pct(uint64_t expected, uint64_t delivered);

/* What clients of mode put on the wire: bytes of UDP payload (a stream's:
 * TCP payload) and each of the datagrams' (segments') headers. */
double figures_wire_bytes(enum proto_mode mode, uint64_t bytes, uint64_t datagrams);

/* figures_wire_bytes over the states delivered (0 with none). */
double figures_bytes_per_state(enum proto_mode mode, uint64_t bytes, uint64_t datagrams,
                               uint64_t delivered);

#endif
