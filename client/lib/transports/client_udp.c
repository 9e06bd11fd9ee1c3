/* client_udp.c: the client library over one plain datagram socket, no
 * ENet (PROTO_MODE_UDP; see client_internal.h).
 *
 * sendto/recvfrom towards the relay's endpoint, the socket connected to it
 * so that an ICMP port unreachable ends a session that never had a relay at
 * once (ECONNREFUSED). The join is repeated every
 * 250 ms until a welcome or an error arrives; a ping keeps the relay (and
 * us) aware the other side is alive; leave on close. Notices are best
 * effort here, so the session (client_receive.c, client_members.c) repairs
 * what a lost one would leave wrong, as client_transport_caps.connection
 * says. The join asks for batches: a batch datagram's states are handed
 * to the session one per step, each as if it had come alone. */
#include "client/lib/client_internal.h"
#include "client_hub_io_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "proto/enet/sniff.h"

#define UDP_JOIN_RETRY_US 250000   /* join resend interval, give or take a quarter */
#define UDP_PING_IDLE_US 1000000   /* ping after this long without traffic */
#define UDP_CTL_MIN 64             /* control datagrams padded to this (caps.control_min) */
#define UDP_RECV_MAX (PROTO_CONTROL_MAX + 1) /* above any UDP payload: never truncated */

struct client_udp {
    int fd;                     /* -1 on a hub */
    struct client_udp_hub *hub; /* NULL: my own socket */
    size_t slot;                /* on a hub: my address's */
    uint64_t last_send_us;      /* the relay's side: c->heard_us */
    struct client_batch batch;  /* a batch in rxbuf (or the hub's buffer), being handed out */
    uint8_t rxbuf[UDP_RECV_MAX];
};

static void hub_queue(struct client_udp_hub *hub, size_t slot, const union netaddr *to,
                      const void *buf, size_t len);
static int hub_take(struct client_udp_hub *hub, struct ricochet *c, size_t *slot, char *err,
                    size_t err_cap);
static void hub_give_back(struct client_udp_hub *hub, size_t slot);

static void udp_send(struct ricochet *c, const void *buf, size_t len)
{
    struct client_udp *t = c->tp;
    if (t->hub) {
        hub_queue(t->hub, t->slot, &c->relay, buf, len); /* counted by the hub */
    } else {
        ssize_t n = sendto(t->fd, buf, len, 0, &c->relay.sa, netaddr_len(&c->relay));
        if (n < 0) {
            log_debug("client: sendto: %s", strerror(errno));
            return;
        }
        c->wire.bytes_sent += (uint64_t)n;
        c->wire.dgrams_sent++;
    }
    t->last_send_us = clock_now_us();
}

/* The wait before the next join: UDP_JOIN_RETRY_US give or take a quarter
 * at random, so that the joins of clients that started together, or that
 * a relay left unanswered together, do not keep arriving in step with each
 * other or with a relay's reply budget. */
static uint64_t join_retry_us(struct ricochet *c)
{
    return UDP_JOIN_RETRY_US - UDP_JOIN_RETRY_US / 4 +
           rng_below(&c->ping_rng, UDP_JOIN_RETRY_US / 2);
}

static int udp_open(struct ricochet *c, const struct client_config *cfg, char *err,
                    size_t err_cap)
{
    struct client_udp *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    t->fd = -1;
    c->tp = t;
    if (cfg->udp_hub) {
        if (hub_take(cfg->udp_hub, c, &t->slot, err, err_cap) != 0)
            return -1;
        t->hub = cfg->udp_hub;
        c->udp_hub = cfg->udp_hub;
    } else if ((t->fd = netaddr_udp_socket(&c->relay, SOCK_NONBLOCK | SOCK_CLOEXEC)) < 0 ||
               connect(t->fd, &c->relay.sa, netaddr_len(&c->relay)) != 0) {
        /* connected: an ICMP port unreachable comes back as ECONNREFUSED */
        snprintf(err, err_cap, "client: socket: %s", strerror(errno));
        return -1;
    }
    /* The first sendto binds an ephemeral port; join right away. */
    client_heard(c, clock_now_us());
    client_join_due(c, c->created_us);
    client_join_now(c);
    client_join_due(c, c->created_us + join_retry_us(c));
    return 0;
}

/* No connection to close: a leave tells the relay at once (it would
 * expire us after its timeout anyway). */
static void udp_close(struct ricochet *c)
{
    struct client_udp *t = c->tp;
    if (!t)
        return;
    if (t->fd >= 0 || t->hub) {
        if (c->phase == PHASE_JOINED || c->phase == PHASE_JOINING)
            client_send_simple(c, PROTO_CTL_LEAVE, 0);
    }
    if (t->fd >= 0)
        close(t->fd);
    if (t->hub)
        hub_give_back(t->hub, t->slot);
    free(t);
    c->tp = NULL;
}

/* Joins again while not joined (every join_retry_us); once joined,
 * pings when either way has been quiet: the relay expires silent members,
 * and we need to hear from it to know it is there. */
static void udp_timers(struct ricochet *c, uint64_t now)
{
    struct client_udp *t = c->tp;
    if (c->phase != PHASE_JOINED) {
        if (now >= c->next_join_us) {
            client_send_join(c);
            client_join_due(c, now + join_retry_us(c));
        }
    } else {
        uint64_t idle = (uint64_t)client_ping_quiet_ms(c, UDP_PING_IDLE_US / 1000) * 1000u;
        if ((now - t->last_send_us < idle && now - c->heard_us < idle) ||
            now - c->last_ping_us < idle)
            return;
        client_send_ping(c, now);
    }
}

/* Nothing to read. Silence is judged with nothing left to read: after a
 * stall, what waits in the socket is news from the relay and members.
 * Returns 1 with *ev (a member expired), or 0 after waiting at most
 * wait_ms for the next datagram. */
static int udp_idle(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    struct client_udp *t = c->tp;
    uint64_t now = clock_now_us();
    if (c->phase == PHASE_JOINED && now - c->heard_us > (uint64_t)c->timeout_ms * 1000u) {
        client_go_dead(c, RICOCHET_END_TIMEOUT, "the relay went silent");
        return 0;
    }
    if (!client_silence_check(c, now))
        return 0;
    if (client_member_expire(c, now, ev))
        return 1;
    if (wait_ms > 0 && !t->hub) {
        /* Wake for the next join retry or ping at the latest. */
        int cap = c->phase == PHASE_JOINED ? 100 : 50;
        struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
        poll(&pfd, 1, wait_ms < cap ? wait_ms : cap);
    }
    return 0;
}

/* A datagram of n bytes at buf from `from` (len fromlen) for me: the
 * relay's, handed to the session (a batch state by state, from t->batch).
 * Returns 1 with *ev, or 0. */
static int udp_datagram(struct ricochet *c, const uint8_t *buf, size_t n,
                        union netaddr *from, socklen_t fromlen, struct ricochet_event *ev)
{
    struct client_udp *t = c->tp;
    uint64_t now = clock_now_us();
    if (netaddr_from_sockaddr(from, &from->sa, fromlen) != 0 ||
        !netaddr_equal(from, &c->relay)) {
        client_bad_message(c, "datagram not from the relay", PROTO_E_VALUE);
        return 0;
    }
    if (c->phase != PHASE_JOINED && sniff_is_enet_reply(buf, n)) {
        /* An ENet relay's answer to our JSON join (PROTOCOL.md, "Transport
         * mismatch"); before a welcome nothing else is binary. */
        client_wrong_transport(c, "ENet", "connect with an ENet mode (unsequenced, sequenced "
                                          "or reliable), or to its plain-UDP edge");
        return 0;
    }
    c->wire.bytes_received += t->hub ? 0 : (uint64_t)n; /* a hub counts its own */
    c->wire.dgrams_received += !t->hub;
    return client_receive_arrived(c, &t->batch, buf, n, PROTO_CHANNEL_DATAGRAM, 0, now, ev);
}

static int udp_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    struct client_udp *t = c->tp;
    udp_timers(c, clock_now_us());
    if (t->batch.len > 0) {
        int rc = client_batch_step(c, &t->batch, ev);
        if (rc != 0)
            return rc;
    }
    if (t->hub) /* the hub reads for me (client_udp_hub_service) */
        return udp_idle(c, 0, ev);
    union netaddr from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(t->fd, t->rxbuf, UDP_RECV_MAX, 0, (struct sockaddr *)&from, &fromlen);
    if (n < 0) {
        if (errno == ECONNREFUSED && !c->move.was_joined) { /* nothing listens there */
            char text[PROTO_TEXT_MAX + 256];
            client_no_relay_text(c, "nothing listens", text, sizeof text);
            client_go_dead(c, RICOCHET_END_REFUSED, text);
            return 0;
        }
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED)
            return udp_idle(c, wait_ms, ev); /* a relay restarting: rejoined in time */
        char text[PROTO_TEXT_MAX + 1];
        snprintf(text, sizeof text, "recvfrom: %s", strerror(errno));
        client_go_dead(c, RICOCHET_END_SOCKET, text);
        return 0;
    }
    return udp_datagram(c, t->rxbuf, (size_t)n, &from, fromlen, ev);
}

static bool udp_ready(const struct ricochet *c)
{
    (void)c;
    return true; /* no connection to wait for */
}

static int udp_send_control(struct ricochet *c, const uint8_t *buf, size_t len)
{
    udp_send(c, buf, len);
    return 0;
}

static int udp_send_state(struct ricochet *c, const struct proto_mode_info *mi,
                          const uint8_t *buf, size_t len)
{
    (void)mi; /* a bare socket has no channels and no flags */
    udp_send(c, buf, len);
    return 0;
}

static void udp_nothing(struct ricochet *c)
{
    (void)c; /* no link to drop */
}

static void udp_flush(struct ricochet *c)
{
    struct client_udp *t = c->tp;
    if (t && t->hub)
        client_udp_hub_flush(t->hub); /* on my own socket every datagram went at once */
}

static int udp_fd(const struct ricochet *c)
{
    const struct client_udp *t = c->tp;
    return t ? t->hub ? client_udp_hub_fd(t->hub) : t->fd : -1;
}

static void udp_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    (void)c; /* every byte is counted as it goes; no RTT of our own */
    (void)info;
}

static uint64_t udp_silent_us(const struct ricochet *c, uint64_t now_us)
{
    return c->tp && now_us > c->heard_us ? now_us - c->heard_us : 0;
}

const struct client_transport_ops client_udp_ops = {
    .caps = {
        .modes = 1u << PROTO_MODE_UDP,
        .channels = false,
        /* The relay answers an endpoint it has not verified with no more
         * bytes than it sent (PROTOCOL.md, return routability): a short
         * ping after the relay forgot us would get no not_joined. */
        .control_min = UDP_CTL_MIN,
        .connection = false,
    },
    .open = udp_open,
    .close = udp_close,
    .service = client_service,
    .step = udp_step,
    .ready = udp_ready,
    .send_control = udp_send_control,
    .send_state = udp_send_state,
    .hang_up = udp_nothing,
    .flush = udp_flush,
    .fd = udp_fd,
    .netinfo = udp_netinfo,
    .silent_us = udp_silent_us,
};

/* ---- hubs: many clients on one socket, on loopback ----
 *
 * Each client of a hub sends from an address of its own in 127.0.0.0/8
 * (IP_PKTINFO's source on the way out; its destination on the way in says
 * whose a datagram is), so the relay sees as many endpoints as clients,
 * while one recvmmsg reads and one sendmmsg sends for all of them. Every
 * process numbers its hubs' addresses from 127.1.0.1 on: another process's
 * hubs have other ports. */

#define HUB_BATCH 64             /* datagrams per recvmmsg */
#define HUB_RECV_MAX 2048        /* a batch, a split welcome: at most RELAY_DATAGRAM_MAX */
#define HUB_SEND_BATCH 256       /* datagrams queued per sendmmsg */
#define HUB_SEND_BYTES (HUB_SEND_BATCH * 512) /* their bytes (a flush when full) */
#define HUB_SOCKET_BUFFER (4 << 20)
#define HUB_ADDRS (254u * 256u * 254u) /* 127.b.c.d with b, d in 1..254 */

struct hub_cmsg {                /* one datagram's control: its IP_PKTINFO */
    union {
        struct cmsghdr align;
        uint8_t bytes[CMSG_SPACE(sizeof(struct in_pktinfo))];
    } u;
};

struct client_udp_hub {
    int fd;
    uint32_t first;              /* the number of its first address */
    size_t cap;
    struct ricochet **slot;      /* cap: each address's client (NULL: free) */
    struct client_hub_counts n;  /* client_hub_io.c's */
    struct mmsghdr rmsg[HUB_BATCH];
    struct iovec riov[HUB_BATCH];
    union netaddr rfrom[HUB_BATCH];
    struct hub_cmsg rctl[HUB_BATCH];
    uint8_t rbuf[HUB_BATCH][HUB_RECV_MAX];
    unsigned nsend;
    size_t sent_bytes;           /* of sbuf */
    struct mmsghdr smsg[HUB_SEND_BATCH];
    struct iovec siov[HUB_SEND_BATCH];
    union netaddr sto[HUB_SEND_BATCH];
    struct hub_cmsg sctl[HUB_SEND_BATCH];
    uint8_t sbuf[HUB_SEND_BYTES];
};

static uint32_t hubs_numbered; /* addresses handed to this process's hubs */

/* Address number k: 127.b.c.d. */
static struct in_addr hub_addr(uint32_t k)
{
    uint32_t b = 1 + k / (256u * 254u), c = k / 254u % 256u, d = 1 + k % 254u;
    return (struct in_addr){.s_addr = htonl(127u << 24 | b << 16 | c << 8 | d)};
}

/* The number of 127.b.c.d, or UINT32_MAX if it is none of ours. */
static uint32_t hub_number(struct in_addr a)
{
    uint32_t h = ntohl(a.s_addr), b = h >> 16 & 255, c = h >> 8 & 255, d = h & 255;
    if (h >> 24 != 127 || b < 1 || b > 254 || d < 1 || d > 254)
        return UINT32_MAX;
    return (b - 1) * 256u * 254u + c * 254u + (d - 1);
}

struct client_udp_hub *client_udp_hub_create(size_t max_clients, char *err, size_t err_cap)
{
    if (max_clients == 0 || max_clients > HUB_ADDRS - hubs_numbered) {
        snprintf(err, err_cap, "client: a udp hub for %zu clients: out of addresses",
                 max_clients);
        return NULL;
    }
    struct client_udp_hub *hub = calloc(1, sizeof *hub);
    if (!hub || !(hub->slot = calloc(max_clients, sizeof *hub->slot))) {
        snprintf(err, err_cap, "client: out of memory");
        free(hub);
        return NULL;
    }
    int on = 1, size = HUB_SOCKET_BUFFER;
    struct sockaddr_in any = {.sin_family = AF_INET};
    hub->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (hub->fd < 0 || setsockopt(hub->fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof on) != 0 ||
        bind(hub->fd, (struct sockaddr *)&any, sizeof any) != 0) {
        snprintf(err, err_cap, "client: udp hub socket: %s", strerror(errno));
        client_udp_hub_destroy(hub);
        return NULL;
    }
    setsockopt(hub->fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(hub->fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
    hub->first = hubs_numbered;
    hub->cap = max_clients;
    hubs_numbered += (uint32_t)max_clients;
    return hub;
}

void client_udp_hub_destroy(struct client_udp_hub *hub)
{
    if (!hub)
        return;
    client_udp_hub_flush(hub); /* the goodbyes */
    if (hub->fd >= 0)
        close(hub->fd);
    free(hub->slot);
    free(hub);
}

static int hub_take(struct client_udp_hub *hub, struct ricochet *c, size_t *slot, char *err,
                    size_t err_cap)
{
    if (c->relay.sa.sa_family != AF_INET || !netaddr_is_loopback(&c->relay)) {
        snprintf(err, err_cap, "client: a udp hub reaches a relay on 127.0.0.0/8 only");
        return -1;
    }
    for (size_t i = 0; i < hub->cap; i++) {
        if (!hub->slot[i]) {
            hub->slot[i] = c;
            *slot = i;
            return 0;
        }
    }
    snprintf(err, err_cap, "client: the udp hub is full (%zu clients)", hub->cap);
    return -1;
}

static void hub_give_back(struct client_udp_hub *hub, size_t slot)
{
    hub->slot[slot] = NULL;
}

static void hub_queue(struct client_udp_hub *hub, size_t slot, const union netaddr *to,
                      const void *buf, size_t len)
{
    if (len > HUB_SEND_BYTES)
        return; /* cannot happen: a client's datagram is far shorter */
    if (hub->nsend == HUB_SEND_BATCH || HUB_SEND_BYTES - hub->sent_bytes < len)
        client_udp_hub_flush(hub);
    unsigned k = hub->nsend++;
    memcpy(hub->sbuf + hub->sent_bytes, buf, len);
    hub->siov[k] = (struct iovec){.iov_base = hub->sbuf + hub->sent_bytes, .iov_len = len};
    hub->sent_bytes += len;
    hub->sto[k] = *to;
    struct cmsghdr *cm = (struct cmsghdr *)hub->sctl[k].u.bytes;
    cm->cmsg_level = IPPROTO_IP;
    cm->cmsg_type = IP_PKTINFO;
    cm->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
    struct in_pktinfo pi = {.ipi_spec_dst = hub_addr(hub->first + (uint32_t)slot)};
    memcpy(CMSG_DATA(cm), &pi, sizeof pi);
    hub->smsg[k] = (struct mmsghdr){
        .msg_hdr = {.msg_name = &hub->sto[k], .msg_namelen = netaddr_len(&hub->sto[k]),
                    .msg_iov = &hub->siov[k], .msg_iovlen = 1, .msg_control = cm,
                    .msg_controllen = sizeof hub->sctl[k].u.bytes}};
}

void client_udp_hub_flush(struct client_udp_hub *hub)
{
    client_hub_send(hub->fd, &hub->n, hub->smsg, hub->nsend, NULL, "udp");
    hub->nsend = 0;
    hub->sent_bytes = 0;
}

/* The client a received datagram was for (its destination), or NULL. */
static struct ricochet *hub_client_of(struct client_udp_hub *hub, struct msghdr *m)
{
    for (struct cmsghdr *cm = CMSG_FIRSTHDR(m); cm; cm = CMSG_NXTHDR(m, cm)) {
        if (cm->cmsg_level != IPPROTO_IP || cm->cmsg_type != IP_PKTINFO)
            continue;
        struct in_pktinfo pi;
        memcpy(&pi, CMSG_DATA(cm), sizeof pi);
        uint32_t k = hub_number(pi.ipi_addr);
        return k >= hub->first && k - hub->first < hub->cap ? hub->slot[k - hub->first] : NULL;
    }
    return NULL;
}

/* Hands datagram k to its client, every event of it to fn: its states one
 * by one, then what it left pending (the end). */
static void hub_dispatch(struct client_udp_hub *hub, unsigned k, client_hub_fn fn, void *ctx)
{
    struct msghdr *m = &hub->rmsg[k].msg_hdr;
    struct ricochet *c = hub_client_of(hub, m);
    if (!c || c->phase == PHASE_DEAD || (m->msg_flags & MSG_TRUNC)) {
        hub->n.stray++;
        return;
    }
    client_settle(c);
    struct ricochet_event ev;
    memset(&ev, 0, sizeof ev);
    struct client_udp *t = c->tp;
    client_input_counted(c);
    if (udp_datagram(c, hub->rbuf[k], hub->rmsg[k].msg_len, &hub->rfrom[k], m->msg_namelen,
                     &ev) == 1) {
        fn(ctx, c, c->user, &ev);
        while (c->phase != PHASE_DEAD && t->batch.len > 0 &&
               (client_settle(c), client_batch_step(c, &t->batch, &ev) == 1))
            fn(ctx, c, c->user, &ev);
    }
    t->batch.len = 0; /* the buffer is the hub's: nothing of it waits */
    while (c->phase == PHASE_DEAD && (client_settle(c), client_final_event(c, &ev) == 1))
        fn(ctx, c, c->user, &ev);
}

/* The hub's part in client_hub_read: its headers, its clients, its
 * sends; the handler of the service in hand (fn, ctx). */
struct udp_hub_read {
    struct client_udp_hub *hub;
    client_hub_fn fn;
    void *ctx;
};

static void udp_hub_arm(void *arg)
{
    struct client_udp_hub *hub = ((struct udp_hub_read *)arg)->hub;
    for (unsigned k = 0; k < HUB_BATCH; k++) {
        hub->riov[k] = (struct iovec){.iov_base = hub->rbuf[k], .iov_len = HUB_RECV_MAX};
        hub->rmsg[k].msg_hdr = (struct msghdr){
            .msg_name = &hub->rfrom[k], .msg_namelen = sizeof hub->rfrom[k],
            .msg_iov = &hub->riov[k], .msg_iovlen = 1, .msg_control = hub->rctl[k].u.bytes,
            .msg_controllen = sizeof hub->rctl[k].u.bytes};
    }
}

static void udp_hub_dispatch(void *arg, unsigned n)
{
    struct udp_hub_read *rd = arg;
    for (unsigned k = 0; k < n; k++)
        hub_dispatch(rd->hub, k, rd->fn, rd->ctx);
}

static void udp_hub_flush(void *arg)
{
    client_udp_hub_flush(((struct udp_hub_read *)arg)->hub);
}

static const struct client_hub_ops udp_hub_ops = {
    .arm = udp_hub_arm, .dispatch = udp_hub_dispatch, .flush = udp_hub_flush};

int client_udp_hub_service(struct client_udp_hub *hub, client_hub_fn fn, void *ctx)
{
    struct udp_hub_read rd = {.hub = hub, .fn = fn, .ctx = ctx};
    return client_hub_read(hub->fd, &hub->n, hub->rmsg, HUB_BATCH, "udp", &udp_hub_ops, &rd);
}

int client_udp_hub_fd(const struct client_udp_hub *hub)
{
    return hub->fd;
}

void client_udp_hub_netinfo(const struct client_udp_hub *hub, struct client_netinfo *info)
{
    client_wire_netinfo(&hub->n.wire, info);
}
