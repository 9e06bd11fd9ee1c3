/* client_enet.c: the client library over ENet (see client_internal.h).
 *
 * One ENetHost with one peer, or one peer of a shared host (a hub, see
 * client.h). Control JSON on channel 0 (reliable), state on channel 1
 * (unsequenced or sequenced) or 2 (reliable), as the mode table says. The
 * join is sent as soon as the connection is up, and again echoing the
 * cookie the relay answers it with (the CONNECT's data says we do:
 * PROTOCOL.md, return routability); the relay's close (or ENet's timeout,
 * or, before the relay is first heard, an ICMP port unreachable on my own
 * host's socket: refused_unheard) ends the session. Both kinds hand ENet's
 * events to client_enet_handle; the hubs are client_enet_hub.c's. */
#include "client_enet_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <enet/enet.h>
#include <enet/time.h>

#include "sys/clock.h"
#include "sys/log.h"
#include "proto/errors.h"
#include "sys/netaddr.h"
#include "proto/enet/sniff.h"

#define HUB_SLOT_REST_US 2000000u   /* a slot a client left rests this long (hub_connect) */
#define HUB_RESTING_MAX 16          /* ... passed over at most this many at a time */

_Static_assert(PROTO_FLAG_RELIABLE == ENET_PACKET_FLAG_RELIABLE &&
                   PROTO_FLAG_UNSEQUENCED == ENET_PACKET_FLAG_UNSEQUENCED,
               "client_test.h flags are ENet's packet flags");

static once_flag enet_once = ONCE_FLAG_INIT;
static bool enet_ready;

static void enet_cleanup(void)
{
    enet_deinitialize();
}

static void enet_init(void)
{
    enet_ready = enet_initialize() == 0;
    if (enet_ready)
        atexit(enet_cleanup);
}

int client_enet_init_once(char *err, size_t err_cap)
{
    call_once(&enet_once, enet_init);
    if (!enet_ready) {
        snprintf(err, err_cap, "client: enet_initialize failed");
        return -1;
    }
    return 0;
}

void client_enet_harvest(ENetHost *h, struct client_wire_count *w)
{
    w->bytes_sent += h->totalSentData;
    w->bytes_received += h->totalReceivedData;
    w->dgrams_sent += h->totalSentPackets;
    w->dgrams_received += h->totalReceivedPackets;
    h->totalSentData = h->totalReceivedData = 0;
    h->totalSentPackets = h->totalReceivedPackets = 0;
}

/* My own host's counters into the session's (a hub harvests its own). */
static void harvest_counters(struct ricochet *c)
{
    struct client_enet *t = c->tp;
    if (t && t->own)
        client_enet_harvest(t->own, &c->wire);
}

/* Sees every datagram before ENet parses it. A JSON datagram from the relay
 * is a plain-UDP relay's answer to our connect: ENet would drop it unseen. */
static int ENET_CALLBACK enet_intercept(ENetHost *host, ENetEvent *event)
{
    (void)event;
    struct ricochet *c = host->peerCount > 0 ? host->peers[0].data : NULL;
    if (!c || host->receivedAddress.host != c->relay.v4.sin_addr.s_addr ||
        host->receivedAddress.port != netaddr_port(&c->relay) ||
        !sniff_is_json(host->receivedData, host->receivedDataLength))
        return 0;
    ((struct client_enet *)c->tp)->other_transport = true;
    return 1; /* consumed */
}

/* My slot leaves the hub: noted, so that the next connect passes it over. */
static void hub_slot_left(struct client_enet *t)
{
    if (t->hub && t->peer)
        t->hub->left_us[t->peer - t->hub->host->peers] = clock_now_us();
}

/* A new connect to addr from the hub. ENet hands out its first free slot,
 * and one a client left a moment ago may still get datagrams from that
 * client's relay, which ENet 1.3.17 hands to a connecting peer without
 * checking their session bits: a relay's late DISCONNECT to a member it
 * had moved (which hung up at once) ended the next client's connect to the
 * same relay in that slot, with the relay's code ("moved"). Slots left less
 * than HUB_SLOT_REST_US ago are taken, held, and given back once a rested
 * one is found; a hub with none uses one anyway. */
static ENetPeer *hub_connect(struct client_hub *hub, const ENetAddress *addr)
{
    ENetPeer *resting[HUB_RESTING_MAX], *p;
    size_t n = 0;
    uint64_t now = clock_now_us();
    while ((p = enet_host_connect(hub->host, addr, PROTO_CHANNEL_COUNT,
                                     PROTO_ENET_ECHOES_COOKIES)) != NULL &&
           n < HUB_RESTING_MAX) {
        uint64_t left = hub->left_us[p - hub->host->peers];
        if (!left || now - left >= HUB_SLOT_REST_US)
            break;
        resting[n++] = p;
    }
    if (!p && n)
        p = resting[--n]; /* every free slot rests: the last one taken, all the same */
    for (size_t i = 0; i < n; i++)
        enet_peer_reset(resting[i]); /* free again, its connect unsent */
    return p;
}

/* My own host's socket queues ICMP errors (IP_RECVERR) until the relay is
 * first heard, then no more: the socket stays unconnected, and turning the
 * option off empties the queue, so once the relay has spoken no error can
 * stand before its datagrams (a drained relay's last moved, read after it
 * is gone). */
static int icmp_watch_set(struct client_enet *t, bool on)
{
    int v = on;
    if (setsockopt(t->own->socket, IPPROTO_IP, IP_RECVERR, &v, sizeof v) != 0)
        return -1;
    t->icmp_watch = on;
    if (!on) { /* an error noted already is dropped with the queue */
        socklen_t len = sizeof v;
        (void)getsockopt(t->own->socket, SOL_SOCKET, SO_ERROR, &v, &len);
    }
    return 0;
}

/* Empties fd's error queue; true if it held a port unreachable for a
 * datagram sent to relay (msg_name is where the datagram went). */
static bool relay_port_unreachable(int fd, const struct sockaddr_in *relay)
{
    bool refused = false;
    for (;;) {
        struct sockaddr_in to = {0};
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
        } ctl;
        struct msghdr m = {.msg_name = &to, .msg_namelen = sizeof to,
                           .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
        if (recvmsg(fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
            return refused;
        for (struct cmsghdr *h = CMSG_FIRSTHDR(&m); h; h = CMSG_NXTHDR(&m, h)) {
            struct sock_extended_err ee;
            if (h->cmsg_level != IPPROTO_IP || h->cmsg_type != IP_RECVERR)
                continue;
            memcpy(&ee, CMSG_DATA(h), sizeof ee);
            refused |= ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_errno == ECONNREFUSED &&
                       to.sin_addr.s_addr == relay->sin_addr.s_addr &&
                       to.sin_port == relay->sin_port;
        }
    }
}

/* While my connect is unanswered: ends the session, refused, if nothing
 * listens at the relay's address (true). Once the relay is heard (or the
 * peer is gone), stops watching. */
static bool refused_unheard(struct ricochet *c)
{
    struct client_enet *t = c->tp;
    if (!t->peer || t->peer->state != ENET_PEER_STATE_CONNECTING) {
        if (icmp_watch_set(t, false) != 0)
            log_debug("client: setsockopt IP_RECVERR off: %s", strerror(errno));
        t->icmp_watch = false;
        return false;
    }
    if (!relay_port_unreachable(t->own->socket, &c->relay.v4))
        return false;
    char text[PROTO_TEXT_MAX + 256];
    client_no_relay_text(c, "nothing listens", text, sizeof text);
    client_go_dead(c, RICOCHET_END_REFUSED, text);
    return true;
}

static int enet_open(struct ricochet *c, const struct client_config *cfg, char *err,
                     size_t err_cap)
{
    if (c->relay.sa.sa_family != AF_INET) {
        snprintf(err, err_cap, "client: %s is IPv6: ENet 1.3 speaks IPv4 only; connect with "
                 "the udp mode to a relay's plain-UDP edge for IPv6", cfg->host);
        return -1;
    }
    struct client_enet *t = calloc(1, sizeof *t);
    if (!t) {
        snprintf(err, err_cap, "client: out of memory");
        return -1;
    }
    c->tp = t;
    if (client_enet_init_once(err, err_cap) != 0)
        return -1;
    ENetAddress addr = {.host = c->relay.v4.sin_addr.s_addr, .port = cfg->port};
    t->hub = cfg->hub;
    t->user = cfg->user;
    if (!t->hub) {
        t->own = enet_host_create(NULL, 1, PROTO_CHANNEL_COUNT, 0, 0);
        if (!t->own) {
            snprintf(err, err_cap, "client: enet_host_create failed: %s", strerror(errno));
            return -1;
        }
        /* A first connect hears ICMP errors (refused_unheard); a rejoin
         * does not: a relay restarting is waited for. */
        if (!c->move.was_joined && icmp_watch_set(t, true) != 0) {
            snprintf(err, err_cap, "client: setsockopt IP_RECVERR: %s", strerror(errno));
            return -1;
        }
    }
    ENetHost *host = t->hub ? t->hub->host : t->own;
    /* The connect's data says we echo cookies (PROTOCOL.md, return routability). */
    t->peer = t->hub ? hub_connect(t->hub, &addr)
                     : enet_host_connect(host, &addr, PROTO_CHANNEL_COUNT,
                                         PROTO_ENET_ECHOES_COOKIES);
    if (!t->peer) {
        snprintf(err, err_cap, t->hub ? "client: the hub has no free peer slot"
                                      : "client: enet_host_connect failed");
        return -1;
    }
    t->peer->data = c; /* how a hub (and enet_intercept) finds me */
    if (!t->hub) /* hubs do not sniff: against a plain-UDP relay their clients time out */
        t->own->intercept = enet_intercept;
    enet_peer_timeout(t->peer, 0, c->timeout_ms, c->timeout_ms);
    /* ENet pings after 500 ms without an acknowledgement by default, and
     * states (unreliable) are never acknowledged: a ping and an
     * acknowledgement a second through the relay for nothing. Half the
     * timeout keeps a dead relay found within one and a half; in a fleet,
     * a third of rejoin_after keeps a live one heard from in time. */
    enet_peer_ping_interval(t->peer, client_ping_quiet_ms(c, c->timeout_ms / 2));
    enet_host_flush(host); /* send the connect request now */
    harvest_counters(c);
    return 0;
}

/* My own host: disconnects politely, waiting at most DESTROY_WAIT_MS for
 * ENet's acknowledgement. */
/* Services my own host until done(peer) or the deadline; false if the
 * peer is gone (disconnected) or the socket failed. */
static bool serve_own_until(struct client_enet *t, bool (*done)(ENetPeer *),
                            uint64_t deadline)
{
    ENetEvent e;
    while (!done(t->peer)) {
        uint64_t now = clock_now_us();
        if (now >= deadline)
            return true;
        int r = enet_host_service(t->own, &e, (enet_uint32)((deadline - now + 999) / 1000));
        if (r < 0)
            return false;
        if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
        if (r > 0 && e.type == ENET_EVENT_TYPE_DISCONNECT) {
            t->peer = NULL;
            return false;
        }
    }
    return true;
}

static bool reliable_acked(ENetPeer *peer)
{
    return enet_list_empty(&peer->sentReliableCommands) &&
           enet_list_empty(&peer->outgoingCommands);
}

static bool never(ENetPeer *peer)
{
    (void)peer;
    return false;
}

static void close_own(struct client_enet *t)
{
    if (t->peer && t->peer->state == ENET_PEER_STATE_CONNECTED) {
        uint64_t start = clock_now_us();
        /* What is queued goes out first, with a ping, and the ping's
         * acknowledgement is awaited (half the wait at most): a relay drops
         * the commands of a peer it has not handed on yet when the
         * disconnect arrives with them, such as the last state sent just
         * before closing. Then the disconnect, which drops only the ping
         * if no acknowledgement came. */
        enet_peer_ping(t->peer);
        enet_host_flush(t->own);
        if (serve_own_until(t, reliable_acked, start + DESTROY_WAIT_MS * 500u)) {
            enet_peer_disconnect(t->peer, 0);
            enet_host_flush(t->own);
            serve_own_until(t, never, start + DESTROY_WAIT_MS * 1000u);
        }
    }
    if (t->peer)
        enet_peer_reset(t->peer);
    enet_host_destroy(t->own);
}

static void enet_close(struct ricochet *c)
{
    struct client_enet *t = c->tp;
    if (!t)
        return;
    if (t->hub) {
        /* The hub sends the goodbye and waits for it (client_hub_destroy). */
        hub_slot_left(t);
        if (t->peer) {
            t->peer->data = NULL;
            if (t->peer->state == ENET_PEER_STATE_CONNECTED)
                enet_peer_disconnect_later(t->peer, 0);
            else
                enet_peer_reset(t->peer);
        }
    } else if (t->own) {
        close_own(t);
    }
    if (t->batch_pk)
        enet_packet_destroy(t->batch_pk);
    free(t);
    c->tp = NULL;
}

void client_enet_disconnected(struct ricochet *c, const struct proto_error_info *info)
{
    if (info)
        client_connection_lost(c, info->name, info->text);
    else if (c->phase == PHASE_CONNECTING)
        client_connection_lost(c, RICOCHET_END_REFUSED, "could not connect to the relay");
    else
        client_connection_lost(c, RICOCHET_END_DISCONNECTED,
                               "the relay closed the connection or timed out");
}

/* Has my relay gone silent for the timeout? ENet's own rule (no
 * acknowledgement since the earliest command that timed out, for
 * timeoutMaximum), checked at every step: ENet 1.3.17 checks it only when
 * its oldest unacknowledged command's retransmission timer runs out, and
 * that timer doubles at each resend, so after late and irregular
 * acknowledgements (a loaded host) it noticed a killed relay up to twice
 * the timeout late. If so, the session ends as on ENet's timeout. */
static bool enet_timed_out(struct ricochet *c)
{
    struct client_enet *t = c->tp;
    ENetPeer *p = t ? t->peer : NULL;
    if (!p || p->state != ENET_PEER_STATE_CONNECTED || p->earliestTimeout == 0 ||
        (enet_uint32)ENET_TIME_DIFFERENCE(p->host->serviceTime, p->earliestTimeout) <
            p->timeoutMaximum)
        return false;
    p->data = NULL;
    hub_slot_left(t);
    enet_peer_reset(p);
    t->peer = NULL;
    client_enet_disconnected(c, NULL);
    return true;
}

/* My own host's or, for a hub's session, client_enet_hub.c's. */
int client_enet_handle(struct ricochet *c, ENetEvent *e, struct ricochet_event *ev)
{
    struct client_enet *t = c->tp;
    switch (e->type) {
    case ENET_EVENT_TYPE_CONNECT:
        /* Throttle off: unreliable sends are never dropped by ENet itself. */
        enet_peer_throttle_configure(e->peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                     ENET_PEER_PACKET_THROTTLE_SCALE, 0);
        client_join_now(c);
        client_cookie_asked(c, clock_now_us());
        if (!t->hub) /* a hub flushes once for all its clients */
            enet_host_flush(t->own);
        return 0;
    case ENET_EVENT_TYPE_DISCONNECT:
        e->peer->data = NULL; /* ENet has reset it already; a hub may reuse the slot */
        hub_slot_left(t);
        t->peer = NULL;
        client_enet_disconnected(c, proto_error_info((enum proto_error_code)e->data));
        return 0;
    case ENET_EVENT_TYPE_RECEIVE: {
        ENetPacket *pk = e->packet;
        if (e->channelID != PROTO_CHANNEL_CONTROL && proto_is_batch(pk->data, pk->dataLength)) {
            t->batch_pk = pk; /* handed out by enet_batch_next, freed after its last state */
            int got = client_batch_start(c, &t->batch, pk->data, pk->dataLength, e->channelID,
                                         pk->flags, clock_now_us(), ev);
            if (t->batch.len == 0) {
                enet_packet_destroy(pk);
                t->batch_pk = NULL;
            }
            return got;
        }
        int got = client_receive_message(c, e->channelID, pk->flags, pk->data, pk->dataLength,
                                         clock_now_us(), ev);
        enet_packet_destroy(pk);
        return got;
    }
    default:
        return 0;
    }
}

/* No batch is left once it returns 0. */
int client_enet_batch_next(struct ricochet *c, struct ricochet_event *ev)
{
    struct client_enet *t = c->tp;
    if (!t || !t->batch_pk)
        return 0;
    int got = client_batch_step(c, &t->batch, ev);
    if (t->batch.len == 0) {
        enet_packet_destroy(t->batch_pk);
        t->batch_pk = NULL;
    }
    return got;
}

/* Connected and still without the relay's cookie: its request again, in
 * time (client_ask_cookie_again). */
static void ask_cookie_again(struct ricochet *c)
{
    const struct client_enet *t = c->tp;
    if (t->peer && t->peer->state == ENET_PEER_STATE_CONNECTED)
        client_ask_cookie_again(c, clock_now_us());
}

/* One event of my own host, waiting up to wait_ms for it (the rest of a
 * batch first). Returns 1 with *ev, or 0. */
static int enet_step(struct ricochet *c, int wait_ms, struct ricochet_event *ev)
{
    struct client_enet *t = c->tp;
    if (client_enet_batch_next(c, ev) == 1)
        return 1;
    ask_cookie_again(c);
    ENetEvent e;
    int r = enet_host_check_events(t->own, &e);
    if (r == 0)
        r = enet_host_service(t->own, &e, (enet_uint32)(wait_ms > 0 ? wait_ms : 0));
    if (r > 0)
        client_input_counted(c); /* a connect or disconnect handled is input too */
    harvest_counters(c);
    if (t->icmp_watch && refused_unheard(c)) {
        if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
        return 0;
    }
    if (r < 0) {
        /* ENet 1.3.17 ends a service at a datagram the kernel refuses to
         * send (no route for a moment, the address gone): it is lost, as
         * on the wire, and the next service goes on past it. A session cut
         * off for longer ends by ENet's timeout, not here. */
        log_debug("client: ENet could not send a datagram: %s", strerror(errno));
        r = 0;
    }
    if (r == 0 && enet_timed_out(c))
        return 0;
    if (t->other_transport) {
        client_wrong_transport(c, "plain-UDP", "connect with the udp mode, or to its ENet edge");
        if (r > 0 && e.type == ENET_EVENT_TYPE_RECEIVE)
            enet_packet_destroy(e.packet);
        return 0;
    }
    if (r == 0) /* nothing left to read: silence means something now */
        client_silence_check(c, clock_now_us());
    return r > 0 ? client_enet_handle(c, &e, ev) : 0;
}

/* On a hub the hub reads for me (client_hub_service): only my own timers
 * run here, and nothing waits. */
static int enet_service(struct ricochet *c, uint64_t deadline_us, struct ricochet_event *ev)
{
    struct client_enet *t = c->tp;
    if (!t->hub)
        return client_service(c, deadline_us, ev);
    ask_cookie_again(c);
    if (client_timers(c, clock_now_us()) && !enet_timed_out(c))
        client_silence_check(c, clock_now_us()); /* the hub has read what came */
    return 0;
}

static bool enet_ready_to_send(const struct ricochet *c)
{
    const struct client_enet *t = c->tp;
    return t && t->peer;
}

static int enet_send(struct ricochet *c, uint8_t channel, uint32_t flags, const void *buf,
                     size_t len)
{
    struct client_enet *t = c->tp;
    ENetPacket *p = enet_packet_create(buf, len, flags);
    if (!p)
        return -1;
    if (enet_peer_send(t->peer, channel, p) != 0) {
        enet_packet_destroy(p);
        return -1;
    }
    return 0;
}

static int enet_send_control(struct ricochet *c, const uint8_t *buf, size_t len)
{
    const struct client_enet *t = c->tp;
    if (!t || !t->peer || t->peer->state != ENET_PEER_STATE_CONNECTED)
        return -1;
    return enet_send(c, PROTO_CHANNEL_CONTROL, ENET_PACKET_FLAG_RELIABLE, buf, len);
}

static int enet_send_state(struct ricochet *c, const struct proto_mode_info *mi,
                           const uint8_t *buf, size_t len)
{
    return enet_send(c, mi->up_channel, mi->up_flags, buf, len);
}

/* Best-effort notice to the relay, then forget the peer (a hub must not
 * hand its slot's later events to me). */
static void enet_hang_up(struct ricochet *c)
{
    struct client_enet *t = c->tp;
    if (t && t->peer) {
        t->peer->data = NULL;
        hub_slot_left(t);
        enet_peer_disconnect_now(t->peer, 0);
        t->peer = NULL;
    }
}

static void enet_flush(struct ricochet *c)
{
    struct client_enet *t = c->tp;
    if (t && t->hub)
        client_hub_flush(t->hub);
    if (t && t->own) {
        enet_host_flush(t->own);
        harvest_counters(c);
    }
}

static int enet_fd(const struct ricochet *c)
{
    const struct client_enet *t = c->tp;
    if (t && t->hub)
        return client_hub_fd(t->hub);
    return t && t->own ? (int)t->own->socket : -1;
}

/* My own host's bytes not yet harvested; my peer's ENet figures (a hub
 * client's bytes are the hub's: client_hub_netinfo). */
/* As of the host's last service: what came since is not read yet. */
static uint64_t enet_silent_us(const struct ricochet *c, uint64_t now_us)
{
    const struct client_enet *t = c->tp;
    (void)now_us;
    if (!t || !t->peer || t->peer->state != ENET_PEER_STATE_CONNECTED)
        return 0;
    const ENetHost *host = t->hub ? t->hub->host : t->own;
    enet_uint32 quiet = host->serviceTime - t->peer->lastReceiveTime; /* wraps as ENet's */
    return quiet < 0x80000000u ? (uint64_t)quiet * 1000u : 0;
}

static void enet_netinfo(const struct ricochet *c, struct client_netinfo *info)
{
    const struct client_enet *t = c->tp;
    if (!t)
        return;
    if (t->own) {
        info->bytes_sent += t->own->totalSentData;
        info->bytes_received += t->own->totalReceivedData;
        info->datagrams_sent += t->own->totalSentPackets;
        info->datagrams_received += t->own->totalReceivedPackets;
    }
    const ENetPeer *p = t->peer;
    if (!p)
        return;
    info->enet_peer_out = p->outgoingPeerID;
    info->enet_peer_in = p->incomingPeerID;
    info->enet_rtt_ms = p->roundTripTime;
    info->enet_rtt_var_ms = p->roundTripTimeVariance;
    /* ENet publishes packetLoss only every 10 s
     * (ENET_PEER_PACKET_LOSS_INTERVAL); until it has, report the counts it
     * keeps for the current interval: reliable commands this peer sent, and
     * those it had to retransmit. */
    if (p->packetLoss == 0 && p->packetsSent > 0)
        info->enet_loss = (double)p->packetsLost / p->packetsSent;
    else
        info->enet_loss = (double)p->packetLoss / ENET_PEER_PACKET_LOSS_SCALE;
}

/* A hub's flush and descriptor: what its sessions' flush and fd use. */
void client_hub_flush(struct client_hub *hub)
{
    enet_host_flush(hub->host);
    client_enet_harvest(hub->host, &hub->wire);
}

int client_hub_fd(const struct client_hub *hub)
{
    return (int)hub->host->socket;
}

const struct client_transport_ops client_enet_ops = {
    .caps = {
        .modes = (1u << PROTO_MODE_UNSEQUENCED) | (1u << PROTO_MODE_SEQUENCED) |
                 (1u << PROTO_MODE_RELIABLE),
        .channels = true,
        .connection = true,
    },
    .open = enet_open,
    .close = enet_close,
    .service = enet_service,
    .step = enet_step,
    .ready = enet_ready_to_send,
    .send_control = enet_send_control,
    .send_state = enet_send_state,
    .hang_up = enet_hang_up,
    .flush = enet_flush,
    .fd = enet_fd,
    .netinfo = enet_netinfo,
    .silent_us = enet_silent_us,
};
