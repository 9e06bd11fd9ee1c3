/* client_hub_io.c: what the hubs of clients on one UDP socket do alike
 * (udp's, client_udp.c, and the wire's, client_wire_hub.c): reading in
 * rounds of recvmmsg batches, each handed to the hub to dispatch, writing
 * what was queued in sendmmsg calls, and counting both ways, so that the
 * two hubs differ only in what a datagram is and whose it is; and the
 * counts as every session and hub report them (client_wire_netinfo). */
#include "client/lib/client_internal.h"
#include "client_hub_io_internal.h"

#include <errno.h>
#include <string.h>

#include "sys/log.h"

#define HUB_ROUNDS 16 /* recvmmsg calls per service, at most */

void client_hub_send(int fd, struct client_hub_counts *n, struct mmsghdr *msgs, unsigned len,
                     const uint8_t *segs, const char *name)
{
    for (unsigned off = 0; off < len;) {
        int k = sendmmsg(fd, msgs + off, len - off, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0) { /* a full buffer, or this one refused: UDP's loss */
            log_debug("client: %s hub sendmmsg: %s", name, k < 0 ? strerror(errno) : "none sent");
            off += k < 0 && errno != EAGAIN && errno != EWOULDBLOCK ? 1 : len - off;
            continue;
        }
        for (int i = 0; i < k; i++) {
            n->wire.bytes_sent += msgs[off + (unsigned)i].msg_len;
            n->wire.dgrams_sent += segs ? segs[off + (unsigned)i] : 1;
        }
        off += (unsigned)k;
    }
}

int client_hub_read(int fd, struct client_hub_counts *n, struct mmsghdr *msgs, unsigned batch,
                    const char *name, const struct client_hub_ops *ops, void *hub)
{
    int handled = 0;
    for (int round = 0; round < HUB_ROUNDS; round++) {
        ops->arm(hub);
        int got = recvmmsg(fd, msgs, batch, MSG_DONTWAIT, NULL);
        if (got < 0 && errno == EINTR)
            continue;
        if (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNREFUSED) {
            log_debug("client: %s hub recvmmsg: %s", name, strerror(errno));
            ops->flush(hub);
            return -1;
        }
        for (int k = 0; k < got; k++) {
            n->wire.bytes_received += msgs[k].msg_len;
            n->wire.dgrams_received++;
        }
        if (got > 0)
            ops->dispatch(hub, (unsigned)got);
        handled += got > 0 ? got : 0;
        if (got < (int)batch)
            break;
    }
    ops->flush(hub); /* what the datagrams had the clients answer */
    return handled;
}

void client_wire_netinfo(const struct client_wire_count *w, struct client_netinfo *info)
{
    memset(info, 0, sizeof *info);
    info->bytes_sent = w->bytes_sent;
    info->bytes_received = w->bytes_received;
    info->datagrams_sent = w->dgrams_sent;
    info->datagrams_received = w->dgrams_received;
    info->enet_peer_out = info->enet_peer_in = -1;
}
