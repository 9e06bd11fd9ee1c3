/* transport_udp.c: the relay over one bare UDP socket, no ENet
 * (ricochet-relay --transport udp). The baseline, and a lesson.
 *
 * A TCP server goes socket() -> bind() -> listen() -> accept(), and accept()
 * hands it a new socket per client: the kernel keeps track of who is
 * connected. A datagram (UDP) socket has no listen() and no accept(). We
 * socket() and bind() once, then recvfrom() datagrams from anyone; each
 * one comes with the sender's endpoint, an IP address plus a port (a client
 * gets an ephemeral port, like 127.0.0.1:50123, so two clients on one host
 * are still two endpoints). We answer with sendto() to that endpoint. The
 * same socket serves every client.
 *
 * So "who is connected" is ours to build: a table from endpoint (ip:port)
 * to a slot, filled when an endpoint sends a valid join and emptied when it
 * sends leave or falls silent for --timeout-ms. Nothing is retransmitted,
 * ordered or acknowledged: the client repeats its join until a welcome
 * comes back, and notices (joined, left, chat) may simply be lost. ENet
 * adds all of that (handshake, acks, resends, sequencing, channels,
 * fragmentation) on top of exactly this kind of socket.
 *
 * Batching: recvmmsg() reads up to UDP_BATCH datagrams in one system call;
 * what the core sends goes out batched too (transport_udp_send.c). The
 * table of endpoints and what strangers are answered have files of their
 * own (transport_udp.h lists them). */
#include "transport_udp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "proto/wire.h"
#include "relay/core/strangers.h"

#define UDP_MAX_BATCHES 16    /* recvmmsg calls per service; more waiting is a backlog,
                                 read after this turn's fan-out and sends */
#define SOCKET_BUFFER (4 << 20)

/* ---- lifecycle -------------------------------------------------------- */

/* socket(), bind(), and the address we got. Returns 0, or -1 with a
 * message in err. */
static int udp_bind(struct relay_udp *t, const struct relay_net_config *cfg, char *err,
                    size_t err_cap)
{
    /* 0. Which address: IPv4 or IPv6, a literal or a name. */
    union netaddr local;
    if (netaddr_resolve_bind(cfg->bind, cfg->port, &local, err, err_cap) != 0)
        return -1;
    /* 1. socket(): an endpoint for datagrams (SOCK_DGRAM = UDP), of the
     * address's family; bound to :: it serves IPv4 clients too. */
    t->fd = netaddr_udp_socket(&local, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (t->fd < 0) {
        snprintf(err, err_cap, "socket: %s", strerror(errno));
        return -1;
    }
    int size = SOCKET_BUFFER;
    setsockopt(t->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(t->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    clock_stamp_socket(t->fd); /* relay_arrived's, with each read: no ioctl a batch */

    /* 2. bind(): give it our address and port, so clients know where to
     * send. Port 0 asks the kernel for any free port. */
    if (bind(t->fd, &local.sa, netaddr_len(&local)) != 0) {
        char at[NETADDR_STR_MAX];
        snprintf(err, err_cap, "bind %s: %s", netaddr_format(&local, at, sizeof at),
                 strerror(errno));
        return -1;
    }
    /* 3. No listen(), no accept(): from here on we just recvfrom(). */
    socklen_t len = sizeof local;
    if (getsockname(t->fd, &local.sa, &len) != 0) {
        snprintf(err, err_cap, "getsockname: %s", strerror(errno));
        return -1;
    }
    netaddr_format(&local, t->addr, sizeof t->addr);
    return 0;
}

static void udp_destroy(void *ctx);

static void *udp_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_udp *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->fd = -1;
    t->cfg = relay_net_config_settled(cfg);
    t->sbuf = malloc(UDP_SEND_BYTES);
    t->siov = malloc(UDP_SEND_QUEUE * UDP_MSG_IOVS * sizeof *t->siov);
    proto_batch_begin(t->batch_header);
    /* One byte more than the largest accepted datagram, so a longer one
     * shows as too long rather than silently cut (MSG_TRUNC). */
    if (transport_udp_endpoints_init(t) != 0 ||
        dgram_in_init(&t->in, UDP_BATCH, t->cfg.max_packet_size + 1) != 0 || !t->sbuf ||
        !t->siov) {
        snprintf(err, err_cap, "out of memory");
        goto fail;
    }
    uint8_t strangers_key[16];
    if (getrandom(t->cookie_key, sizeof t->cookie_key, 0) != sizeof t->cookie_key ||
        getrandom(strangers_key, sizeof strangers_key, 0) != sizeof strangers_key) {
        snprintf(err, err_cap, "getrandom: %s", strerror(errno));
        goto fail;
    }
    strangers_init(&t->strangers, strangers_key, cfg->max_per_address, clock_now_us());

    if (udp_bind(t, cfg, err, err_cap) != 0)
        goto fail;
    return t;

fail:
    udp_destroy(t);
    return NULL;
}

static int udp_fd_op(const void *ctx)
{
    return relay_udp_fd(ctx);
}

static const char *udp_address(const void *ctx)
{
    const struct relay_udp *t = ctx;
    return t->addr;
}

int relay_udp_fd(const struct relay_udp *t)
{
    return t->fd;
}

static void udp_destroy(void *ctx)
{
    struct relay_udp *t = ctx;
    if (!t)
        return;
    if (t->fd >= 0)
        close(t->fd);
    transport_udp_endpoints_free(t);
    dgram_in_free(&t->in);
    free(t->sbuf);
    free(t->siov);
    free(t);
}

/* ---- receiving -------------------------------------------------------- */

static void on_datagram(struct relay_udp *t, struct relay *r, unsigned k)
{
    const struct msghdr *h = &t->in.msg[k].msg_hdr;
    uint8_t *bytes = t->in.iov[k].iov_base;
    size_t len = t->in.msg[k].msg_len;
    union netaddr *from = &t->in.from[k];
    uint64_t now = clock_now_us();

    if (netaddr_from_sockaddr(from, &from->sa, h->msg_namelen) != 0)
        return;
    /* Longer than our buffer (max_packet_size + 1): the kernel cut it and
     * only says so in msg_flags. */
    bool truncated = (h->msg_flags & MSG_TRUNC) != 0;

    int32_t slot = transport_udp_slot_find(t, from);
    if (slot < 0 && len >= t->in.size) {
        /* A stranger's datagram over max_packet_size (a cut one is a
         * buffer long too): the first check, and no reply. */
        relay_count_drop(r, RELAY_DROP_TOO_BIG);
        return;
    }
    if (slot < 0 && !transport_udp_stranger_verified(t, r, from, bytes, len, now))
        return; /* no state, no notice, a reply no longer than the datagram */
    if (slot < 0) {
        /* An endpoint we do not know. It gets a slot for the length of this
         * datagram; the slot stays only if the datagram made it a member. */
        if (len > 0 && bytes[0] == '{' && t->cfg.max_per_address &&
            transport_udp_slots_from_ip(t, from) >= t->cfg.max_per_address) {
            relay_count_drop(r, RELAY_DROP_PER_ADDRESS);
            return;
        }
        slot = transport_udp_slot_alloc(t, from, now);
        if (slot < 0) {
            relay_count_drop(r, RELAY_DROP_SERVER_FULL);
            return;
        }
        if (relay_peer_connect(r, t->base + (uint32_t)slot, from, now) != 0) {
            transport_udp_slot_free(t, (uint32_t)slot);
            return;
        }
    }
    t->slots[slot].last_us = now;
    uint32_t handle = t->base + (uint32_t)slot;
    relay_on_datagram(r, handle, PROTO_CHANNEL_DATAGRAM, truncated ? RELAY_IN_TRUNCATED : 0,
                      bytes, len, now);
    /* Not (or no longer) a member: leave sent, join refused, or just noise.
     * A join parked for a fleet's directory keeps its endpoint: the
     * answer (welcome, moved or refusal) is sent there; so does a sealed
     * join awaiting its proof, within the join timeout. */
    if (t->slots[slot].used && !relay_peer_joined(r, handle) && !relay_peer_parked(r, handle) &&
        !relay_peer_proving(r, handle)) {
        relay_peer_gone(r, handle, PROTO_LEFT_QUIT, now);
        transport_udp_slot_free(t, (uint32_t)slot);
    }
}

static int receive_batches(struct relay_udp *t, struct relay *r);

/* Reads what waits, at most UDP_MAX_BATCHES recvmmsg batches, without
 * waiting. */
static int udp_service(void *ctx, struct relay *r)
{
    struct relay_udp *t = ctx;
    t->relay = r;
    t->backlog = false;
    int total = receive_batches(t, r);
    if (total < 0)
        return -1;
    if (!t->backlog) /* the next read's floor (relay_arrived) */
        t->read_end_us = clock_now_us();
    return total;
}

/* With --tick-ms: the tick's states, all in one sendmmsg. */
static void udp_flush(void *ctx, struct relay *r)
{
    struct relay_udp *t = ctx;
    t->relay = r;
    transport_udp_flush(t);
}

/* Reads and handles up to UDP_MAX_BATCHES recvmmsg batches. Returns
 * datagrams read, or -1 on a socket error. */
static int receive_batches(struct relay_udp *t, struct relay *r)
{
    int total = 0;
    for (int b = 0; b < UDP_MAX_BATCHES; b++) {
        /* recvmmsg(): up to UDP_BATCH datagrams in one call (sys/dgram.c),
         * each with its sender's endpoint and its arrival. */
        int n = dgram_in_read(&t->in, t->fd, "udp");
        if (n <= 0)
            return n < 0 ? -1 : total;
        /* They arrived after the socket was last empty, and by when the
         * kernel received the last of them. */
        relay_arrived(r, t->read_end_us, dgram_in_received_us(&t->in, n - 1));
        for (int i = 0; i < n; i++)
            on_datagram(t, r, (unsigned)i);
        transport_udp_flush(t); /* without ticks: this batch's states, at once */
        total += n;
        if (n < UDP_BATCH)
            return total;
    }
    t->backlog = true;
    return total;
}

static bool udp_backlog(const void *ctx)
{
    const struct relay_udp *t = ctx;
    return t->backlog;
}

static void udp_tick(void *ctx, struct relay *r)
{
    struct relay_udp *t = ctx;
    t->relay = r;
    uint64_t now = clock_now_us();
    uint64_t limit = (uint64_t)t->cfg.timeout_ms * 1000;
    for (uint32_t i = 0; i < t->cfg.peer_cap; i++) {
        if (!t->slots[i].used || now - t->slots[i].last_us < limit)
            continue;
        /* Silence is the only sign a UDP client is gone. */
        relay_peer_gone(r, t->base + i, PROTO_LEFT_TIMEOUT, now);
        transport_udp_slot_free(t, i);
    }
}

/* Nothing is timed but the tick's expiry. */
static uint64_t udp_due(const void *ctx)
{
    (void)ctx;
    return UINT64_MAX;
}

/* Nothing is acknowledged: sending what is queued (the loop's flush) is
 * all a goodbye takes. */
static bool udp_settled(const void *ctx)
{
    (void)ctx;
    return true;
}

const struct relay_transport_ops relay_udp_ops = {
    .name = "udp",
    .stream = false,
    .create = udp_create,
    .core = transport_udp_core,
    .address = udp_address,
    .fd = udp_fd_op,
    .due = udp_due,
    .service = udp_service,
    .backlog = udp_backlog,
    .flush = udp_flush,
    .tick = udp_tick,
    .settled = udp_settled,
    .destroy = udp_destroy,
};
