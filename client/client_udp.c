/* client_udp.c: the client library over one plain datagram socket, no
 * ENet (PROTO_MODE_UDP; see client_internal.h).
 *
 * sendto/recvfrom towards the relay's endpoint. The join is repeated every
 * 250 ms until a welcome or an error arrives; a ping keeps the relay (and
 * us) aware the other side is alive; leave on close. Notices are best
 * effort here, so the session (client_receive.c, client_members.c) repairs
 * what a lost one would leave wrong, as client_transport_caps.connection
 * says. The join asks for batches: a batch datagram's states are handed
 * to the session one per step, each as if it had come alone. */
#include "client_internal.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "../sys/clock.h"
#include "../sys/log.h"
#include "../sys/netaddr.h"
#include "../proto/enet/sniff.h"

#define UDP_JOIN_RETRY_US 250000   /* join resend interval, give or take a quarter */
#define UDP_PING_IDLE_US 1000000   /* ping after this long without traffic */
#define UDP_CTL_MIN 64             /* control datagrams padded to this (caps.control_min) */
#define UDP_RECV_MAX (PROTO_CONTROL_MAX + 1) /* above any UDP payload: never truncated */

struct client_udp {
    int fd;
    uint64_t last_send_us;      /* the relay's side: c->heard_us */
    struct client_batch batch;  /* a batch in rxbuf, being handed out */
    uint8_t rxbuf[UDP_RECV_MAX];
};

static void udp_send(struct ricochet *c, const void *buf, size_t len)
{
    struct client_udp *t = c->tp;
    ssize_t n = sendto(t->fd, buf, len, 0, &c->relay.sa, netaddr_len(&c->relay));
    if (n < 0) {
        log_debug("client: sendto: %s", strerror(errno));
        return;
    }
    c->bytes_sent += (uint64_t)n;
    c->dgrams_sent++;
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
    (void)cfg;
    t->fd = -1;
    c->tp = t;
    t->fd = netaddr_udp_socket(&c->relay, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (t->fd < 0) {
        snprintf(err, err_cap, "client: socket: %s", strerror(errno));
        return -1;
    }
    /* The first sendto binds an ephemeral port; join right away. */
    c->phase = PHASE_JOINING;
    c->heard_us = clock_now_us();
    c->next_join_us = c->created_us;
    client_send_join(c);
    c->next_join_us = c->created_us + join_retry_us(c);
    return 0;
}

/* No connection to close: a leave tells the relay at once (it would
 * expire us after its timeout anyway). */
static void udp_close(struct ricochet *c)
{
    struct client_udp *t = c->tp;
    if (!t)
        return;
    if (t->fd >= 0) {
        if (c->phase == PHASE_JOINED || c->phase == PHASE_JOINING)
            client_send_simple(c, PROTO_CTL_LEAVE, 0);
        close(t->fd);
    }
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
            c->next_join_us = now + join_retry_us(c);
        }
    } else {
        uint64_t idle = (uint64_t)client_ping_quiet_ms(c, UDP_PING_IDLE_US / 1000) * 1000u;
        if ((now - t->last_send_us < idle && now - c->heard_us < idle) ||
            now - c->last_ping_us < idle)
            return;
        client_send_simple(c, PROTO_CTL_PING, now);
        c->last_ping_us = now;
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
    if (wait_ms > 0) {
        /* Wake for the next join retry or ping at the latest. */
        int cap = c->phase == PHASE_JOINED ? 100 : 50;
        struct pollfd pfd = {.fd = t->fd, .events = POLLIN};
        poll(&pfd, 1, wait_ms < cap ? wait_ms : cap);
    }
    return 0;
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
    union netaddr from;
    socklen_t fromlen = sizeof from;
    ssize_t n = recvfrom(t->fd, t->rxbuf, UDP_RECV_MAX, 0, (struct sockaddr *)&from, &fromlen);
    if (n < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR || errno == ECONNREFUSED)
            return udp_idle(c, wait_ms, ev);
        char text[PROTO_TEXT_MAX + 1];
        snprintf(text, sizeof text, "recvfrom: %s", strerror(errno));
        client_go_dead(c, RICOCHET_END_SOCKET, text);
        return 0;
    }
    uint64_t now = clock_now_us();
    if (netaddr_from_sockaddr(&from, &from.sa, fromlen) != 0 ||
        !netaddr_equal(&from, &c->relay)) {
        client_bad_message(c, "datagram not from the relay", PROTO_E_VALUE);
        return 0;
    }
    if (c->phase != PHASE_JOINED && sniff_is_enet_reply(t->rxbuf, (size_t)n)) {
        /* An ENet relay's answer to our JSON join (PROTOCOL.md, "Transport
         * mismatch"); before a welcome nothing else is binary. */
        client_wrong_transport(c, "ENet", "use --mode unsequenced, sequenced or reliable");
        return 0;
    }
    c->bytes_received += (uint64_t)n;
    c->dgrams_received++;
    if (proto_is_batch(t->rxbuf, (size_t)n))
        return client_batch_start(c, &t->batch, t->rxbuf, (size_t)n, PROTO_CHANNEL_DATAGRAM, 0,
                                  now, ev);
    return client_receive_message(c, PROTO_CHANNEL_DATAGRAM, 0, t->rxbuf, (size_t)n, now, ev);
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
    (void)c; /* nothing queued, no link to drop */
}

static int udp_fd(const struct ricochet *c)
{
    const struct client_udp *t = c->tp;
    return t ? t->fd : -1;
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
    .flush = udp_nothing,
    .fd = udp_fd,
    .netinfo = udp_netinfo,
    .silent_us = udp_silent_us,
};
