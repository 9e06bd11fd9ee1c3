/* client_wire_hub.c: a wire hub's socket (client.h): one UDP socket for up
 * to 4095 clients that speak ENet's wire themselves (client_wire.c). One
 * recvmmsg reads a batch for all of them, each datagram handed to the
 * client whose peer id its header carries; one sendmmsg sends the
 * datagrams every client gathered since the last flush (and the goodbyes
 * of those that left). As the udp hubs do for plain UDP, it puts the
 * system calls of thousands of clients into a few; unlike a hub of ENet
 * clients, nothing walks ENet's peer slots on every service. */
#include "client/lib/client_internal.h"
#include "client_wire_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/udp.h>
#include <sys/socket.h>
#include <unistd.h>

#include "proto/enet/enet_wire.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"

#define HUB_BATCH 64                /* datagrams per recvmmsg */
#define HUB_RECV_MAX ENET_PROTOCOL_MAXIMUM_MTU /* the longest datagram ENet sends */
#define HUB_SEND_BATCH 256          /* datagrams queued per sendmmsg */
#define HUB_SOCKET_BUFFER (4 << 20) /* bursts for all its clients */
#define HUB_GSO_MAX 64              /* datagrams one UDP_SEGMENT send carries (the kernel's
                                       UDP_MAX_SEGMENTS, at least) */
#define HUB_GSO_BYTES 60000         /* ... and their bytes, under an IP packet's 64 KiB */

union wire_hub_stamp { /* a datagram's control message: the kernel's receive stamp */
    struct cmsghdr align;
    uint8_t bytes[CLOCK_STAMP_CONTROL];
};

union wire_hub_segment { /* a send's control message: its UDP_SEGMENT size */
    struct cmsghdr align;
    uint8_t bytes[CMSG_SPACE(sizeof(uint16_t))];
};

struct wire_hub_io {
    struct mmsghdr rmsg[HUB_BATCH];
    struct iovec riov[HUB_BATCH];
    union netaddr rfrom[HUB_BATCH];
    union wire_hub_stamp rstamp[HUB_BATCH];
    union wire_hub_segment gctl[HUB_SEND_BATCH];
    struct mmsghdr gmsg[HUB_SEND_BATCH]; /* smsg's runs, one message each */
    uint8_t gsegs[HUB_SEND_BATCH];        /* ... and the datagrams each carries */
    uint8_t rbuf[HUB_BATCH][HUB_RECV_MAX];
    unsigned nsend;
    struct mmsghdr smsg[HUB_SEND_BATCH];
    struct iovec siov[HUB_SEND_BATCH];
    union netaddr sto[HUB_SEND_BATCH];
    uint8_t sbuf[HUB_SEND_BATCH][CLIENT_WIRE_MTU];
};

struct client_wire_hub *client_wire_hub_create(size_t max_clients, char *err, size_t err_cap)
{
    if (max_clients == 0 || max_clients > ENET_WIRE_PEERS_MAX) {
        snprintf(err, err_cap, "client: a wire hub holds 1 to %d clients", ENET_WIRE_PEERS_MAX);
        return NULL;
    }
    struct client_wire_hub *hub = calloc(1, sizeof *hub);
    if (!hub || !(hub->slot = calloc(max_clients, sizeof *hub->slot)) ||
        !(hub->dirty = calloc(max_clients, sizeof *hub->dirty)) ||
        !(hub->io = calloc(1, sizeof *hub->io))) {
        snprintf(err, err_cap, "client: out of memory");
        if (hub) {
            free(hub->slot);
            free(hub->dirty);
        }
        free(hub);
        return NULL;
    }
    hub->cap = max_clients;
    int size = HUB_SOCKET_BUFFER;
    struct sockaddr_in any = {.sin_family = AF_INET};
    hub->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (hub->fd < 0 || bind(hub->fd, (struct sockaddr *)&any, sizeof any) != 0) {
        snprintf(err, err_cap, "client: wire hub socket: %s", strerror(errno));
        client_wire_hub_destroy(hub);
        return NULL;
    }
    setsockopt(hub->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(hub->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    /* a datagram's arrival is when the kernel took it, however late it is read */
    clock_stamp_socket(hub->fd);
    int zero = 0; /* the kernel can segment: a run of datagrams leaves as one send */
    hub->gso = setsockopt(hub->fd, SOL_UDP, UDP_SEGMENT, &zero, sizeof zero) == 0;
    return hub;
}

void client_wire_hub_destroy(struct client_wire_hub *hub)
{
    if (!hub)
        return;
    if (hub->fd >= 0) {
        client_wire_hub_flush(hub); /* the goodbyes */
        close(hub->fd);
    }
    for (size_t i = 0; i < hub->n_parting; i++)
        free(hub->parting[i].bytes);
    free(hub->parting);
    free(hub->slot);
    free(hub->dirty);
    free(hub->io);
    free(hub);
}

/* How many datagrams queued from k on one UDP_SEGMENT send can carry:
 * to one address, each as long as the first but the last. */
static unsigned run_from(const struct wire_hub_io *io, unsigned k)
{
    size_t len = io->siov[k].iov_len, total = len;
    unsigned j = k + 1;
    while (j < io->nsend && j - k < HUB_GSO_MAX && io->siov[j].iov_len <= len &&
           total + io->siov[j].iov_len <= HUB_GSO_BYTES &&
           netaddr_equal(&io->sto[j], &io->sto[k])) {
        total += io->siov[j].iov_len;
        if (io->siov[j++].iov_len < len)
            break; /* a shorter one ends a run */
    }
    return j - k;
}

/* sendmmsg of what is queued: the clients of a hub send to one relay, so
 * their datagrams of one length go as one message the kernel segments
 * (UDP_SEGMENT), one trip through the stack for a run of them. */
static void send_queued(struct client_wire_hub *hub)
{
    struct wire_hub_io *io = hub->io;
    unsigned n = 0;
    for (unsigned k = 0; k < io->nsend; k += io->gsegs[n++]) {
        unsigned run = hub->gso ? run_from(io, k) : 1;
        io->gmsg[n] = io->smsg[k];
        io->gsegs[n] = (uint8_t)run;
        if (run == 1)
            continue;
        struct msghdr *h = &io->gmsg[n].msg_hdr;
        h->msg_iovlen = run; /* siov[k..k + run) */
        h->msg_control = io->gctl[n].bytes;
        h->msg_controllen = sizeof io->gctl[n].bytes;
        struct cmsghdr *c = CMSG_FIRSTHDR(h);
        *c = (struct cmsghdr){.cmsg_level = SOL_UDP, .cmsg_type = UDP_SEGMENT,
                              .cmsg_len = CMSG_LEN(sizeof(uint16_t))};
        uint16_t size = (uint16_t)io->siov[k].iov_len;
        memcpy(CMSG_DATA(c), &size, sizeof size);
    }
    /* a datagram lost is UDP's loss: ENet's resends repair it */
    client_hub_send(hub->fd, &hub->n, io->gmsg, n, io->gsegs, "wire");
    io->nsend = 0;
}

/* Queues one datagram (a header and its commands) to to. */
static void queue(void *ctx, const union netaddr *to, const uint8_t *h, size_t hn,
                  const uint8_t *body, size_t n)
{
    struct client_wire_hub *hub = ctx;
    struct wire_hub_io *io = hub->io;
    if (hn + n > sizeof io->sbuf[0])
        return; /* cannot happen: a client gathers at most an MTU */
    if (io->nsend == HUB_SEND_BATCH)
        send_queued(hub);
    unsigned k = io->nsend++;
    memcpy(io->sbuf[k], h, hn);
    if (n)
        memcpy(io->sbuf[k] + hn, body, n);
    io->siov[k] = (struct iovec){.iov_base = io->sbuf[k], .iov_len = hn + n};
    io->sto[k] = *to;
    io->smsg[k] = (struct mmsghdr){
        .msg_hdr = {.msg_name = &io->sto[k], .msg_namelen = netaddr_len(&io->sto[k]),
                    .msg_iov = &io->siov[k], .msg_iovlen = 1}};
}

void client_wire_hub_flush(struct client_wire_hub *hub)
{
    uint64_t now = hub->n_dirty ? clock_now_us() : 0; /* one reading for every header */
    for (size_t i = 0; i < hub->n_dirty; i++) {
        struct ricochet *c = hub->slot[hub->dirty[i]];
        if (c && c->tp)
            client_wire_take(c, now, queue, hub);
    }
    hub->n_dirty = 0;
    for (size_t i = 0; i < hub->n_parting; i++) {
        struct wire_parting *p = &hub->parting[i];
        queue(hub, &p->to, p->bytes, p->len, NULL, 0);
        free(p->bytes);
    }
    hub->n_parting = 0;
    send_queued(hub);
}

/* The client a datagram is for: the peer id in its header is the slot the
 * client asked the relay to use. */
static struct ricochet *client_of(struct client_wire_hub *hub, const uint8_t *d, size_t len)
{
    struct enet_wire_header h;
    if (enet_wire_header(d, len, 0, &h) != 0 || h.peer_id >= hub->cap)
        return NULL;
    return hub->slot[h.peer_id];
}

/* The hub's part in client_hub_read: its headers, its clients, its
 * sends; the handler of the service in hand (fn, ctx). */
struct wire_hub_read {
    struct client_wire_hub *hub;
    client_hub_fn fn;
    void *ctx;
};

static void arm(void *arg)
{
    struct wire_hub_io *io = ((struct wire_hub_read *)arg)->hub->io;
    for (unsigned k = 0; k < HUB_BATCH; k++) {
        io->riov[k] = (struct iovec){.iov_base = io->rbuf[k], .iov_len = HUB_RECV_MAX};
        io->rmsg[k].msg_hdr = (struct msghdr){
            .msg_name = &io->rfrom[k], .msg_namelen = sizeof io->rfrom[k],
            .msg_iov = &io->riov[k], .msg_iovlen = 1, .msg_control = io->rstamp[k].bytes,
            .msg_controllen = sizeof io->rstamp[k].bytes};
    }
}

/* Hands the n datagrams read to their clients, each with its arrival: the
 * kernel's stamp (never after now), or now if it has none. */
static void dispatch(void *arg, unsigned n)
{
    struct wire_hub_read *rd = arg;
    struct client_wire_hub *hub = rd->hub;
    struct wire_hub_io *io = hub->io;
    uint64_t now = clock_now_us();
    for (unsigned k = 0; k < n; k++) {
        size_t len = io->rmsg[k].msg_len;
        struct ricochet *c = client_of(hub, io->rbuf[k], len);
        if (!c || c->phase == PHASE_DEAD || (io->rmsg[k].msg_hdr.msg_flags & MSG_TRUNC) ||
            !netaddr_equal(&io->rfrom[k], &c->relay)) {
            hub->n.stray++;
            continue;
        }
        uint64_t at = clock_msg_received_us(&io->rmsg[k].msg_hdr);
        client_wire_datagram(c, io->rbuf[k], len, at && at < now ? at : now, rd->fn, rd->ctx);
    }
}

static void flush(void *arg)
{
    client_wire_hub_flush(((struct wire_hub_read *)arg)->hub); /* acknowledgements, answers */
}

static const struct client_hub_ops wire_hub_ops = {.arm = arm, .dispatch = dispatch,
                                                   .flush = flush};

int client_wire_hub_service(struct client_wire_hub *hub, client_hub_fn fn, void *ctx)
{
    struct wire_hub_read rd = {.hub = hub, .fn = fn, .ctx = ctx};
    return client_hub_read(hub->fd, &hub->n, hub->io->rmsg, HUB_BATCH, "wire", &wire_hub_ops,
                           &rd);
}

int client_wire_hub_fd(const struct client_wire_hub *hub)
{
    return hub->fd;
}

void client_wire_hub_netinfo(const struct client_wire_hub *hub, struct client_netinfo *info)
{
    client_wire_netinfo(&hub->n.wire, info);
}

uint64_t client_wire_hub_stray(const struct client_wire_hub *hub)
{
    return hub->n.stray;
}
