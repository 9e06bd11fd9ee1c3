/* client_webrtc.c: the client library over WebRTC data channels (the ENet
 * modes; see client_internal.h), to a relay's webrtc edge: the way a
 * browser's play page reaches the relay, spoken by a program.
 *
 * One UDP socket, bound to any address and a port the kernel picks, and
 * the WebRTC client of rtc/rtc_peer.h on it: its offer (full ICE,
 * controlling, the DTLS client, the three channels of PROTOCOL.md's
 * "WebRTC data channels") is POSTed to the relay's ws edge, c->relay
 * (client_offer.c); the answer names the webrtc edge's UDP address, the
 * one address this socket then hears: checks nominate it, DTLS and SCTP
 * run, the channels open, and the join goes out on "control". From then
 * on a state goes on the channel its mode sends on (unsequenced,
 * sequenced, or reliable on control), so a mode switch is another channel,
 * and arrives with the channel and flags of ENet's row for its channel,
 * so the session reads it as it reads ENet's (sequenced's drop-old filter
 * included). DTLS encrypts every byte: the relay seals nothing
 * (caps.secure).
 *
 * rtc_peer's callbacks run inside usrsctp (within rtc_peer_input and
 * rtc_peer_timers): they only queue what came and note what happened;
 * the session hears of it afterwards, a message per step. usrsctp is one
 * stack per process (rtc/rtc_sctp.h): every session drives its timers,
 * which is idempotent within a millisecond, and a step waits at most
 * RTC_SCTP_TICK_US. The session's descriptor is an epoll set holding the
 * UDP socket and, while the offer is on its way, its TCP connection. */
#include "client_transports_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rtc/rtc_peer.h"
#include "rtc/rtc_sctp.h"
#include "rtc/rtc_sdp.h"
#include "sys/clock.h"
#include "sys/log.h"

#define RTC_READS_MAX 64         /* datagrams read per step, at most */
#define RTC_DATAGRAM_MAX 2048    /* the longest datagram read (DTLS's are 1200 at most) */
#define RTC_QUEUE_MAX (1 << 20)  /* bytes of messages waiting to be handed out, at most */
#define RTC_SILENT_MIN_US 15000000 /* the relay answers a consent check every 5 s: three
                                      unanswered (or the timeout, if longer) and it is gone */

enum rtc_stage {
    RTC_SIGNALLING,  /* the offer on its way, or its answer */
    RTC_CONNECTING,  /* checks, DTLS, SCTP, the channels' opens */
    RTC_OPEN,        /* the channels are open */
};

/* A message queued by rtc_peer's callback, its bytes after it. */
struct rtc_queued {
    uint64_t at;     /* when its datagram was read */
    uint32_t len;
    uint16_t sid;
    bool binary;
};

struct client_webrtc {
    int ep;                      /* epoll: fd, and the offer's connection while it lasts */
    int fd;                      /* the UDP socket */
    struct client_offer *offer;  /* NULL once answered */
    struct rtc_peer *peer;
    enum rtc_stage stage;
    bool opened;                 /* the channels opened during the last input */
    bool closed;                 /* DTLS or SCTP ended */
    bool draining;               /* closing: what comes is not queued */
    uint64_t heard_us;           /* the last datagram from the relay's candidate */
    uint64_t read_at;            /* the time of the datagram being input */
    uint8_t *in;                 /* queued messages, each a struct rtc_queued then bytes */
    size_t in_len, in_at, in_cap;
    struct client_batch batch;   /* a batch in in[], being handed out */
};

/* The channels by label, onto ENet's rows (PROTOCOL.md, "Channels by
 * label"): the stream rtc_peer opens each on, and the channel and flags
 * of the states it carries both ways. control carries control messages
 * too, told apart by their first byte. */
static const struct rtc_lane {
    uint16_t sid;
    uint8_t channel;
    uint32_t flags;
} lanes[] = {
    {RTC_PEER_STATE, PROTO_CHANNEL_STATE, PROTO_FLAG_UNSEQUENCED},        /* "unsequenced" */
    {RTC_PEER_SEQUENCED, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_UNSEQUENCED}, /* "sequenced" */
    {RTC_PEER_CONTROL, PROTO_CHANNEL_RELIABLE, PROTO_FLAG_RELIABLE},      /* "control" */
};
#define LANES (sizeof lanes / sizeof lanes[0])

static const struct rtc_lane *lane_of_sid(uint16_t sid)
{
    for (size_t i = 0; i < LANES; i++)
        if (lanes[i].sid == sid)
            return &lanes[i];
    return NULL;
}

static const struct rtc_lane *lane_of_mode(const struct proto_mode_info *mi)
{
    for (size_t i = 0; i < LANES; i++)
        if (lanes[i].channel == mi->up_channel && lanes[i].flags == mi->up_flags)
            return &lanes[i];
    return NULL;
}

/* ---- rtc_peer's callbacks (inside usrsctp: nothing but notes) ------------ */

static void peer_send(void *ctx, const union netaddr *to, const uint8_t *data, size_t len)
{
    struct ricochet *c = ctx;
    struct client_webrtc *t = c->tp;
    if (sendto(t->fd, data, len, MSG_DONTWAIT, &to->sa, netaddr_len(to)) < 0) {
        log_debug("client %s: sendto: %s", c->name, strerror(errno));
        return;
    }
    c->wire.bytes_sent += len;
    c->wire.dgrams_sent++;
}

static void peer_open(void *ctx)
{
    struct ricochet *c = ctx;
    ((struct client_webrtc *)c->tp)->opened = true;
}

static void peer_closed(void *ctx)
{
    struct ricochet *c = ctx;
    ((struct client_webrtc *)c->tp)->closed = true;
}

static void peer_message(void *ctx, uint16_t sid, bool binary, const uint8_t *data, size_t len)
{
    struct ricochet *c = ctx;
    struct client_webrtc *t = c->tp;
    if (t->draining)
        return;
    size_t need = t->in_len + sizeof(struct rtc_queued) + len;
    if (need > RTC_QUEUE_MAX) {
        client_bad_message(c, "too many messages at once", PROTO_E_VALUE);
        return;
    }
    if (client_reserve(&t->in, &t->in_cap, need) != 0) {
        client_bad_message(c, "no memory for a message", PROTO_E_VALUE);
        return;
    }
    struct rtc_queued q = {.at = t->read_at, .len = (uint32_t)len, .sid = sid, .binary = binary};
    memcpy(t->in + t->in_len, &q, sizeof q);
    memcpy(t->in + t->in_len + sizeof q, data, len);
    t->in_len += sizeof q + len;
}

static const struct rtc_peer_ops peer_ops = {
    .send = peer_send,
    .open = peer_open,
    .message = peer_message,
    .closed = peer_closed,
};

/* ---- opening ---------------------------------------------------------------- */

/* The address this socket reaches the relay from, for the offer's
 * candidate (the relay learns the real one from the checks): the source
 * address of the route to the relay (a socket of a moment, connected to
 * it), and this socket's port. */
static void local_address(const struct ricochet *c, int fd, union netaddr *self)
{
    socklen_t len = sizeof *self;
    getsockname(fd, &self->sa, &len);
    int probe = netaddr_udp_socket(&c->relay, SOCK_CLOEXEC);
    union netaddr route;
    len = sizeof route;
    if (probe >= 0 && connect(probe, &c->relay.sa, netaddr_len(&c->relay)) == 0 &&
        getsockname(probe, &route.sa, &len) == 0) {
        netaddr_set_port(&route, netaddr_port(self));
        *self = route;
    }
    if (probe >= 0)
        close(probe);
}

static int watch(struct client_webrtc *t, int fd)
{
    struct epoll_event ev = {.events = EPOLLIN};
    return epoll_ctl(t->ep, EPOLL_CTL_ADD, fd, &ev);
}

/* The socket bound to any address of the relay's family, a port the
 * kernel picks. Returns 0, or -1 with err. */
static int rtc_socket(struct ricochet *c, struct client_webrtc *t, char *err, size_t err_cap)
{
    union netaddr any;
    memset(&any, 0, sizeof any);
    any.sa.sa_family = c->relay.sa.sa_family;
    t->ep = epoll_create1(EPOLL_CLOEXEC);
    t->fd = netaddr_udp_socket(&c->relay, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (t->ep < 0 || t->fd < 0 || bind(t->fd, &any.sa, netaddr_len(&any)) != 0 ||
        watch(t, t->fd) != 0) {
        snprintf(err, err_cap, "client: UDP socket: %s", strerror(errno));
        return -1;
    }
    return 0;
}

static int rtc_open(struct ricochet *c, const struct client_config *cfg, char *err,
                    size_t err_cap)
{
    struct client_webrtc *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = t;
    t->ep = t->fd = -1;
    if (rtc_socket(c, t, err, err_cap) != 0)
        return -1;
    if (rtc_sctp_global_init(clock_now_us()) != 0) {
        snprintf(err, err_cap, "client: usrsctp would not start");
        return -1;
    }
    union netaddr self;
    local_address(c, t->fd, &self);
    char why[200];
    if (!(t->peer = rtc_peer_new(&self, &peer_ops, c, why, sizeof why)) ||
        (cfg->keylog && rtc_peer_keylog(t->peer, cfg->keylog, why, sizeof why) != 0)) {
        snprintf(err, err_cap, "client: %s", why);
        return -1;
    }
    t->offer = client_offer_new(&c->relay, rtc_peer_offer(t->peer),
                                c->ticket ? c->ticket->pass : NULL, err, err_cap);
    if (!t->offer)
        return -1;
    if (watch(t, client_offer_fd(t->offer)) != 0) {
        snprintf(err, err_cap, "client: epoll: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- closing ---------------------------------------------------------------- */

/* Reads what the socket holds into the peer, at most RTC_READS_MAX
 * datagrams; only the relay's candidate is heard (anything else is
 * counted and dropped). */
static void rtc_read(struct ricochet *c, uint64_t now)
{
    struct client_webrtc *t = c->tp;
    const union netaddr *relay = rtc_peer_remote(t->peer);
    uint8_t buf[RTC_DATAGRAM_MAX];
    for (int k = 0; k < RTC_READS_MAX; k++) {
        union netaddr from;
        socklen_t len = sizeof from;
        ssize_t n = recvfrom(t->fd, buf, sizeof buf, MSG_DONTWAIT, &from.sa, &len);
        if (n < 0)
            return;
        c->wire.bytes_received += (uint64_t)n;
        c->wire.dgrams_received++;
        if (!relay || !netaddr_equal(&from, relay)) {
            client_bad_message(c, "a datagram from another address than the relay's",
                               PROTO_E_VALUE);
            continue;
        }
        t->heard_us = now;
        t->read_at = now;
        rtc_peer_input(t->peer, &from, buf, (size_t)n, now);
    }
}

/* Leaving: what is unacknowledged gets DESTROY_WAIT_MS to arrive, then
 * SCTP's ABORT (rtc_peer_free), which the relay reads as a quit. */
static void rtc_close(struct ricochet *c)
{
    struct client_webrtc *t = c->tp;
    if (!t)
        return;
    if (t->peer && t->stage == RTC_OPEN && !t->closed) {
        t->draining = true;
        uint64_t until = clock_now_us() + DESTROY_WAIT_MS * 1000u;
        while (rtc_peer_unsent(t->peer) > 0 && !t->closed && clock_now_us() < until) {
            struct epoll_event ev;
            epoll_wait(t->ep, &ev, 1, RTC_SCTP_TICK_US / 1000);
            uint64_t now = clock_now_us();
            rtc_read(c, now);
            rtc_peer_timers(t->peer, now);
            rtc_sctp_timers(now);
        }
    }
    rtc_peer_free(t->peer);
    client_offer_free(t->offer);
    if (t->fd >= 0)
        close(t->fd);
    if (t->ep >= 0)
        close(t->ep);
    free(t->in);
    free(t);
    c->tp = NULL;
}

/* ---- the answer, and on from there ---------------------------------------- */

/* Signalling: the offer's progress; its answer starts the checks. */
static void rtc_signalling(struct ricochet *c, uint64_t now)
{
    struct client_webrtc *t = c->tp;
    char answer[RTC_SDP_ANSWER_MAX + 1], why[PROTO_TEXT_MAX + 1];
    enum client_offer_state st = client_offer_step(t->offer, answer, sizeof answer, why,
                                                   sizeof why);
    if (st == CLIENT_OFFER_WAITING)
        return;
    epoll_ctl(t->ep, EPOLL_CTL_DEL, client_offer_fd(t->offer), NULL);
    client_offer_free(t->offer);
    t->offer = NULL;
    if (st == CLIENT_OFFER_FAILED) {
        client_go_dead(c, RICOCHET_END_REFUSED, why);
        return;
    }
    char err[200];
    if (rtc_peer_answer(t->peer, answer, strlen(answer), now, err, sizeof err) != 0) {
        snprintf(why, sizeof why, "the relay's %.150s", err);
        client_go_dead(c, RICOCHET_END_REFUSED, why);
        return;
    }
    const union netaddr *to = rtc_peer_remote(t->peer);
    if (to->sa.sa_family != c->relay.sa.sa_family) {
        client_go_dead(c, RICOCHET_END_REFUSED, "the relay's WebRTC candidate is of another "
                                                "address family than its HTTP front");
        return;
    }
    t->heard_us = now;
    t->stage = RTC_CONNECTING;
}

/* What the session is told after the input: the channels open (the join
 * goes out), or the connection's end. */
static void rtc_news(struct ricochet *c, uint64_t now)
{
    struct client_webrtc *t = c->tp;
    if (t->opened) {
        t->opened = false;
        t->stage = RTC_OPEN;
        client_join_now(c);
    }
    if (t->in_at < t->in_len)
        return; /* what came before the end is handed out first */
    char text[PROTO_TEXT_MAX + 1];
    uint64_t silent = now - t->heard_us, bound = (uint64_t)c->timeout_ms * 1000u;
    if (t->closed)
        snprintf(text, sizeof text, "the relay closed the WebRTC session");
    else if (t->stage == RTC_OPEN && silent > (bound > RTC_SILENT_MIN_US ? bound
                                                                          : RTC_SILENT_MIN_US))
        snprintf(text, sizeof text, "the relay went silent for %llu ms",
                 (unsigned long long)(silent / 1000));
    else
        return;
    client_connection_lost(c, t->closed ? RICOCHET_END_DISCONNECTED : RICOCHET_END_TIMEOUT, text);
}

/* Everything the sockets and the timers have now. Returns 1 if messages
 * were queued, else 0. */
static int rtc_progress(struct ricochet *c)
{
    struct client_webrtc *t = c->tp;
    if (!t->peer)
        return 0; /* hung up (a moved, a rejoin): the hop comes at the next poll */
    uint64_t now = clock_now_us();
    t->in_len = t->in_at = 0;
    if (t->stage == RTC_SIGNALLING)
        rtc_signalling(c, now);
    if (c->phase == PHASE_DEAD)
        return 0;
    if (t->stage != RTC_SIGNALLING) {
        rtc_read(c, now);
        rtc_peer_timers(t->peer, now);
    }
    rtc_sctp_timers(now);
    rtc_news(c, now);
    return c->phase != PHASE_DEAD && t->in_at < t->in_len;
}

/* The next queued message handed to the session, with the channel and
 * flags of its lane. Returns 1 with *ev, 0 after one that made no event,
 * -1 if none is queued. */
static int rtc_next(struct ricochet *c, struct ricochet_event *ev)
{
    struct client_webrtc *t = c->tp;
    if (t->in_at >= t->in_len)
        return -1;
    struct rtc_queued q;
    memcpy(&q, t->in + t->in_at, sizeof q);
    const uint8_t *msg = t->in + t->in_at + sizeof q;
    t->in_at += sizeof q + q.len;
    if (q.sid == RTC_PEER_CONTROL &&
        (!q.binary || (q.len > 0 && msg[0] == '{') || proto_is_event(msg, q.len)))
        return client_receive_message(c, PROTO_CHANNEL_CONTROL, PROTO_FLAG_RELIABLE, msg,
                                      q.len, q.at, ev);
    const struct rtc_lane *l = lane_of_sid(q.sid);
    if (!l || !q.binary) {
        client_bad_message(c, l ? "a state in text" : "a message on no channel of ours",
                           PROTO_E_VALUE);
        return 0;
    }
    return client_receive_arrived(c, &t->batch, msg, q.len, l->channel, l->flags, q.at, ev);
}

/* Waits never more than usrsctp's tick. */
static void rtc_wait(struct ricochet *c, int wait_ms)
{
    struct client_webrtc *t = c->tp;
    struct epoll_event e;
    int ms = RTC_SCTP_TICK_US / 1000;
    epoll_wait(t->ep, &e, 1, wait_ms < ms ? wait_ms : ms);
}

static const struct client_reader rtc_reader = {.next = rtc_next, .more = rtc_progress,
                                                .wait = rtc_wait};

static int rtc_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    return client_read_step(c, &((struct client_webrtc *)c->tp)->batch, &rtc_reader, wait_ms, ev);
}

/* ---- sending ---------------------------------------------------------------- */

static bool rtc_ready(const struct ricochet *c)
{
    const struct client_webrtc *t = c->tp;
    return t && t->peer && t->stage == RTC_OPEN && !t->closed;
}

/* A control message on control: JSON as text, as a browser sends it; an
 * event binary. */
static int rtc_send_control(struct ricochet *c, const uint8_t *buf, size_t len)
{
    struct client_webrtc *t = c->tp;
    if (!rtc_ready(c))
        return -1;
    return rtc_peer_send(t->peer, RTC_PEER_CONTROL, !(len > 0 && buf[0] == '{'), buf, len);
}

/* A state on the channel of its mode's way up. */
static int rtc_send_state(struct ricochet *c, const struct proto_mode_info *mi,
                          const uint8_t *buf, size_t len)
{
    struct client_webrtc *t = c->tp;
    const struct rtc_lane *l = lane_of_mode(mi);
    if (!rtc_ready(c) || !l)
        return -1;
    return rtc_peer_send(t->peer, l->sid, true, buf, len);
}

/* The session is dead: the association goes (its ABORT out), nothing more
 * is read; the sockets close with rtc_close. */
static void rtc_hang_up(struct ricochet *c)
{
    struct client_webrtc *t = c->tp;
    if (t && t->peer) {
        rtc_peer_free(t->peer);
        t->peer = NULL;
        t->closed = true;
    }
}

/* usrsctp sends at once (SCTP_NODELAY); its timers are due now and then. */
static void rtc_flush(struct ricochet *c)
{
    (void)c;
    rtc_sctp_timers(clock_now_us());
}

static int rtc_fd(const struct ricochet *c)
{
    const struct client_webrtc *t = c->tp;
    return t ? t->ep : -1;
}

static int rtc_udp_socket(const struct ricochet *c)
{
    const struct client_webrtc *t = c->tp;
    return t ? t->fd : -1;
}

static void rtc_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    (void)c, (void)info; /* the datagrams are counted as they cross */
}

static uint64_t rtc_silent_us(const struct ricochet *c, uint64_t now_us)
{
    const struct client_webrtc *t = c->tp;
    return t && t->heard_us && now_us > t->heard_us ? now_us - t->heard_us : 0;
}

const struct client_transport_ops client_webrtc_ops = {
    .caps = {
        .modes = (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                 (1u << PROTO_MODE_RELIABLE),
        .channels = true,
        .control_min = 0,
        .secure = true,
        .connection = true,
    },
    .open = rtc_open,
    .close = rtc_close,
    .service = client_service,
    .step = rtc_step,
    .ready = rtc_ready,
    .send_control = rtc_send_control,
    .send_state = rtc_send_state,
    .hang_up = rtc_hang_up,
    .flush = rtc_flush,
    .fd = rtc_fd,
    .netinfo = rtc_netinfo,
    .silent_us = rtc_silent_us,
    .socket = rtc_udp_socket,
};
