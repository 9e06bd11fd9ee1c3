/* edge_turn.h: the relay's loop over one edge, for the edges' own tests
 * (the ENet edge's test_enet_*, test_transport_udp, ...), which create an
 * edge and a core by hand: the same steps relay/edges.c takes, without its
 * epoll. */
#ifndef RICOCHET_TEST_EDGE_TURN_H
#define RICOCHET_TEST_EDGE_TURN_H

#include "relay/transport.h"

/* One turn: waits up to wait_ms for the edge's descriptor (poll), services
 * it, relay_tick once, flushes. Returns service's result. */
int edge_turn(const struct relay_transport_ops *ops, void *t, struct relay *r, int wait_ms);

/* The periodic work: relay_sweep, the edge's tick, a flush. */
void edge_periodic(const struct relay_transport_ops *ops, void *t, struct relay *r);

/* After relay_shutdown: a flush, then turns of at most 10 ms until the
 * edge is settled or max_ms passed. */
void edge_drain(const struct relay_transport_ops *ops, void *t, struct relay *r, int max_ms);

#endif
