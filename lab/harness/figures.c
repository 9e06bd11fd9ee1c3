/* figures.c: the figures the bench and the lesson compute alike (see
 * figures.h). Pure. */
#include "figures.h"

double figures_lost_pct(uint64_t expected, uint64_t delivered)
{
    return expected ? 100.0 * (double)(expected > delivered ? expected - delivered : 0) /
                          (double)expected
                    : 0;
}

double figures_wire_bytes(enum proto_mode mode, uint64_t bytes, uint64_t datagrams)
{
    double header = proto_mode_info(mode)->stream ? FIGURES_TCP_HEADER : FIGURES_UDP_HEADER;
    return (double)bytes + header * (double)datagrams;
}

double figures_bytes_per_state(enum proto_mode mode, uint64_t bytes, uint64_t datagrams,
                               uint64_t delivered)
{
    return delivered ? figures_wire_bytes(mode, bytes, datagrams) / (double)delivered : 0;
}
