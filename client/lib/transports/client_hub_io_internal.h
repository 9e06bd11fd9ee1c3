/* client_hub_io_internal.h: what a hub of clients on one UDP socket reads
 * and writes in batches (client_hub_io.c's), for udp's hub (client_udp.c)
 * and the wire's (client_wire_hub.c). Private to client/lib/. */
#ifndef RICOCHET_CLIENT_HUB_IO_INTERNAL_H
#define RICOCHET_CLIENT_HUB_IO_INTERNAL_H

#include "client/lib/client_internal.h"

/* ---- a hub's socket: udp's and the wire's (client_hub_io.c) ---- */

struct mmsghdr;

/* What a hub's socket carried, and the datagrams that were no client's. */
struct client_hub_counts {
    struct client_wire_count wire;
    uint64_t stray;
};

/* A hub's part in reading: its headers armed for a batch (arm), a batch
 * of n read handed to its clients (dispatch), what they queued sent
 * (flush). */
struct client_hub_ops {
    void (*arm)(void *hub);
    void (*dispatch)(void *hub, unsigned n);
    void (*flush)(void *hub);
};

/* Sends msgs[0..len) in sendmmsg calls, counted in n (message i carries
 * segs[i] datagrams the kernel segments; segs NULL: one each); what the
 * kernel does not take is UDP's loss (logged at debug, name the hub's kind). */
void client_hub_send(int fd, struct client_hub_counts *n, struct mmsghdr *msgs, unsigned len,
                     const uint8_t *segs, const char *name);

/* Reads fd in up to 16 rounds of a recvmmsg batch (msgs, batch long, armed
 * by ops->arm before each), each counted in n and handed to
 * ops->dispatch, until a batch is short; then ops->flush (also on a
 * failed read). Returns the datagrams read, or -1 (the socket failed). */
int client_hub_read(int fd, struct client_hub_counts *n, struct mmsghdr *msgs, unsigned batch,
                    const char *name, const struct client_hub_ops *ops, void *hub);

#endif
