/* edge_turn.c: the relay's loop over one edge (see edge_turn.h). */
#include "edge_turn.h"

#include <poll.h>

#include "relay/core/relay.h"
#include "sys/clock.h"

int edge_turn(const struct relay_transport_ops *ops, void *t, struct relay *r, int wait_ms)
{
    struct pollfd p = {.fd = ops->fd(t), .events = POLLIN};
    if (wait_ms > 0 && !ops->backlog(t))
        poll(&p, 1, wait_ms);
    int rc = ops->service(t, r);
    relay_tick(r, clock_now_us());
    ops->flush(t, r);
    return rc;
}

void edge_periodic(const struct relay_transport_ops *ops, void *t, struct relay *r)
{
    relay_sweep(r, clock_now_us());
    ops->tick(t, r);
    ops->flush(t, r);
}

void edge_drain(const struct relay_transport_ops *ops, void *t, struct relay *r, int max_ms)
{
    uint64_t deadline = clock_now_us() + (uint64_t)max_ms * 1000;
    ops->flush(t, r);
    while (!ops->settled(t) && clock_now_us() < deadline)
        edge_turn(ops, t, r, 10);
}
