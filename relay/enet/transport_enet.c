/* transport_enet.c: the relay's ENet edge (see transport.h).
 *
 * ENet gives us connections over UDP: a handshake, per-peer channels,
 * sequencing, acknowledgements and retransmission of reliable packets,
 * fragmentation. This file maps its events onto the core:
 *
 *   CONNECT     -> relay_peer_connect (peer handle = index in host->peers)
 *   RECEIVE     -> relay_on_datagram (channel and packet flags as received)
 *   DISCONNECT  -> relay_peer_gone (quit, or timeout: see disconnect_reason)
 *
 * A service reads a bounded batch of what is waiting, without waiting;
 * the loop then lets the core fan out a finished tick (relay_tick) and
 * has every edge flush once, so ENet packs everything queued for a peer
 * into as few datagrams as it can. The core's handles are base + the
 * slot's index in host->peers. The other files of
 * the edge (transport_enet.h lists them) hold what the core sends, the
 * batch lanes, the guards and the acknowledgements held back. */
#include "transport_enet.h"

#include <arpa/inet.h>
#include <enet/enet.h>
#include <enet/time.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "relay/core/relay.h"
#include "sys/clock.h"
#include "sys/log.h"
#include "sys/netaddr.h"
#include "proto/enet/sniff.h"
#include "enet_internals.h"
#include "enet_socket.h"

_Static_assert(PROTO_FLAG_RELIABLE == ENET_PACKET_FLAG_RELIABLE, "flag values");
_Static_assert(PROTO_FLAG_UNSEQUENCED == ENET_PACKET_FLAG_UNSEQUENCED, "flag values");
_Static_assert(RELAY_CLIENTS_MAX + RELAY_SPARE_PEERS <= ENET_WIRE_PEERS_MAX, "one host's peers");

#define SOCKET_BUFFER (4 << 20) /* kernel buffers: bursts from many peers */
#define SWEEP_MS 100
#define DRAIN_ROUNDS 4          /* enet_host_service calls per service, at most: each
                                   reads up to 256 datagrams; more waiting is a
                                   backlog, read after this turn's fan-out and flush */
#define TIMERS_US 100000        /* ENet's own timers (resends, pings) are served at
                                   least this often without input, as the loop's
                                   periodic tick did when it serviced ENet */
static int ENET_CALLBACK intercept_heard(ENetHost *host, ENetEvent *event);

static uint32_t peer_index(const struct relay_enet *t, const ENetPeer *peer)
{
    return (uint32_t)(peer - t->host->peers);
}

static void format_addr(const ENetAddress *a, char *buf, size_t cap)
{
    char ip[48]; /* IPv4 text, with room to spare */
    if (enet_address_get_host_ip(a, ip, sizeof ip) != 0)
        snprintf(ip, sizeof ip, "?");
    snprintf(buf, cap, "%s:%u", ip, (unsigned)a->port);
}

/* ---- lifecycle -------------------------------------------------------- */

/* The ENet host for bind (a name or an IPv4 literal); ENet 1.3 has no
 * IPv6, so an IPv6 address gets a clear refusal, not "cannot resolve". */
static int bind_address(const char *bind, ENetAddress *addr, char *err, size_t err_cap)
{
    union netaddr a;
    if (netaddr_resolve_bind(bind, addr->port, &a, err, err_cap) != 0)
        return -1;
    if (a.sa.sa_family != AF_INET) {
        snprintf(err, err_cap, "bind address %s is IPv6: ENet 1.3 speaks IPv4 only; use "
                 "--transport udp for IPv6", bind);
        return -1;
    }
    addr->host = a.v4.sin_addr.s_addr;
    return 0;
}

/* Caps against abuse (DESIGN.md "ENet facts"): connections from one IP,
 * reassembly size and buffering per peer. The packet size cap applies to
 * what we send too, so it is at least the largest welcome; the core
 * enforces the smaller incoming limit itself (too_big). */
static void host_caps(struct relay_enet *t, const struct relay_net_config *cfg)
{
    t->host->duplicatePeers = cfg->max_per_address ? cfg->max_per_address
                                                   : ENET_PROTOCOL_MAXIMUM_PEER_ID;
    t->host->maximumPacketSize = cfg->max_packet_size > PROTO_CONTROL_MAX
                                     ? cfg->max_packet_size
                                     : PROTO_CONTROL_MAX;
    if (cfg->max_waiting_data)
        t->host->maximumWaitingData = cfg->max_waiting_data;
    t->host->intercept = intercept_heard;
    enet_socket_set_option(t->host->socket, ENET_SOCKOPT_RCVBUF, SOCKET_BUFFER);
    enet_socket_set_option(t->host->socket, ENET_SOCKOPT_SNDBUF, SOCKET_BUFFER);
}

/* Has the peer ENet sends `to` shown it receives at its address? Only a
 * connection the core knows can have: a slot in its handshake is a new
 * connection, whatever the slot's last one showed. */
static bool address_proven(void *ctx, const ENetAddress *to)
{
    struct relay_enet *t = ctx;
    const ENetPeer *p = relay_enet_peer_of_address(t->host, to);
    if (!p)
        return false;
    switch (p->state) {
    case ENET_PEER_STATE_CONNECTED:
    case ENET_PEER_STATE_DISCONNECT_LATER:
    case ENET_PEER_STATE_DISCONNECTING:
    case ENET_PEER_STATE_ACKNOWLEDGING_DISCONNECT:
        return transport_enet_proven(t, peer_index(t, p));
    default:
        return false;
    }
}

/* ENet's host and its socket (ours: enet_socket_adopt), if made, and
 * ENet itself: an edge's first undoing, in its making's failure or its
 * end. */
static void close_host(struct relay_enet *t)
{
    if (t->host) {
        enet_socket_release(t->host->socket);
        enet_host_destroy(t->host);
    }
    enet_deinitialize();
}

/* The edge's own parts and the edge. */
static void free_edge(struct relay_enet *t)
{
    free(t->heard);
    transport_enet_guards_free(t);
    transport_enet_acks_free(t);
    transport_enet_batch_free(t);
    transport_enet_proof_free(t);
    free(t);
}

static void *edge_create(const struct relay_net_config *cfg, char *err, size_t err_cap)
{
    struct relay_enet *t = calloc(1, sizeof *t);
    ENetAddress addr = { .host = ENET_HOST_ANY, .port = cfg->port };
    if (!t) {
        snprintf(err, err_cap, "out of memory");
        return NULL;
    }
    t->cfg = *cfg;
    uint8_t strangers_key[16];
    if (getrandom(strangers_key, sizeof strangers_key, 0) != sizeof strangers_key) {
        snprintf(err, err_cap, "getrandom: %s", strerror(errno));
        goto fail;
    }
    strangers_init(&t->strangers, strangers_key, cfg->max_per_address, clock_now_us());
    if (relay_enet_internals_check(err, err_cap) != 0)
        goto fail;
    if (cfg->peer_cap < 1 || cfg->peer_cap > ENET_PROTOCOL_MAXIMUM_PEER_ID) {
        snprintf(err, err_cap, "ENet allows 1..%d peers, not %u",
                 ENET_PROTOCOL_MAXIMUM_PEER_ID, (unsigned)cfg->peer_cap);
        goto fail;
    }
    if (enet_initialize() != 0) {
        snprintf(err, err_cap, "enet_initialize failed");
        goto fail;
    }
    if (cfg->bind && *cfg->bind && bind_address(cfg->bind, &addr, err, err_cap) != 0)
        goto fail_deinit;
    t->heard = calloc(cfg->peer_cap, sizeof *t->heard);
    if (!t->heard || transport_enet_guards_init(t, cfg) != 0 ||
        transport_enet_acks_init(t) != 0 || transport_enet_batch_init(t) != 0 ||
        transport_enet_proof_init(t) != 0) {
        snprintf(err, err_cap, "out of memory");
        goto fail_deinit;
    }
    /* No bandwidth limits: ENet would otherwise throttle to them. */
    errno = 0;
    t->host = enet_host_create(&addr, cfg->peer_cap, PROTO_CHANNEL_COUNT, 0, 0);
    if (!t->host) {
        /* ENet does not report why; errno is left over from its bind(). */
        snprintf(err, err_cap, "cannot create ENet host on %s:%u: %s",
                 cfg->bind ? cfg->bind : "0.0.0.0", (unsigned)cfg->port,
                 errno ? strerror(errno) : "unknown error");
        goto fail_deinit;
    }
    host_caps(t, cfg);
    if (enet_socket_adopt(t->host->socket, address_proven, t) != 0) {
        snprintf(err, err_cap, "cannot take over ENet's socket: %s", strerror(errno));
        goto fail_deinit;
    }

    ENetAddress bound;
    if (enet_socket_get_address(t->host->socket, &bound) != 0)
        bound = addr;
    format_addr(&bound, t->addr, sizeof t->addr);
    return t;

fail_deinit:
    close_host(t);
fail:
    free_edge(t);
    return NULL;
}

static int edge_fd(const void *ctx)
{
    const struct relay_enet *t = ctx;
    return t->host->socket;
}

static const char *edge_address(const void *ctx)
{
    const struct relay_enet *t = ctx;
    return t->addr;
}

static void edge_destroy(void *ctx)
{
    struct relay_enet *t = ctx;
    if (!t)
        return;
    transport_enet_close_lanes(t);
    transport_enet_acks_return(t, UINT64_MAX, true); /* ENet frees what it has queued */
    close_host(t);
    free_edge(t);
}

/* ---- events ----------------------------------------------------------- */

static void on_connect(struct relay_enet *t, struct relay *r, ENetPeer *peer, enet_uint32 data)
{
    uint32_t idx = peer_index(t, peer);
    char addr[RELAY_ADDR_MAX];
    format_addr(&peer->address, addr, sizeof addr);
    if (peer->channelCount < PROTO_CHANNEL_COUNT) {
        /* No error message: the control protocol has no code for it, and
         * channel 0 may be all the peer has. */
        log_info("relay: refusing %s: %zu channels, need %d", addr,
                 peer->channelCount, PROTO_CHANNEL_COUNT);
        relay_count_drop(r, RELAY_DROP_BAD_CHANNELS);
        /* Its address is unproven: one DISCONNECT, never resent. */
        enet_peer_timeout(peer, 1, 1, 1);
        enet_peer_disconnect(peer, 0);
        return;
    }
    /* Throttle off: ENet would otherwise drop unreliable sends silently
     * when the RTT rises, hiding the loss we want to measure. */
    enet_peer_throttle_configure(peer, ENET_PEER_PACKET_THROTTLE_INTERVAL,
                                 ENET_PEER_PACKET_THROTTLE_SCALE, 0);
    /* A peer that acknowledges nothing for timeout_ms is disconnected, and
     * one we hear nothing from for timeout_ms is expired (sweep_silent). So
     * ENet's pings need not come every 500 ms, its default: one after
     * timeout_ms / 2 without an acknowledgement keeps a peer that only
     * listens talking (its acknowledgement), and saves two datagrams a
     * second per peer (ping and acknowledgement) while states flow, which
     * ENet never acknowledges. */
    enet_peer_timeout(peer, 0, t->cfg.timeout_ms, t->cfg.timeout_ms);
    enet_peer_ping_interval(peer, t->cfg.timeout_ms / 2);
    t->heard[idx] = enet_time_get();
    transport_enet_guards_reset(t, idx);
    transport_enet_proof_connect(t, idx, data);
    union netaddr from = transport_enet_address(&peer->address);
    relay_peer_connect(r, transport_enet_handle(t, idx), &from, clock_now_us());
}

/* ENet 1.3 reports a timeout as a plain DISCONNECT, just like a polite
 * disconnect. To tell them apart we note when each peer last sent us any
 * datagram at all (its pings and acknowledgements included): a polite
 * disconnect arrives in a datagram just now, a timed-out peer has been
 * silent for about timeout_ms. */
static enum proto_left_reason disconnect_reason(const struct relay_enet *t,
                                                uint32_t idx)
{
    enet_uint32 silent = enet_time_get() - t->heard[idx];
    return silent >= t->cfg.timeout_ms / 2 ? PROTO_LEFT_TIMEOUT : PROTO_LEFT_QUIT;
}

/* A JSON datagram is a plain-UDP client's join: answer with a 10-byte ENet
 * datagram (never longer than what came; within the budgets of replies to
 * strangers, strangers.h) so it can say "this relay speaks ENet" at once
 * (PROTOCOL.md, "Transport mismatch"). ENet itself would drop it unanswered. */
static void hint_plain_udp_client(struct relay_enet *t, ENetHost *host)
{
    union netaddr from = transport_enet_address(&host->receivedAddress);
    if (host->receivedDataLength < SNIFF_ENET_REPLY_LEN ||
        !strangers_may_reply(&t->strangers, &from, false, clock_now_us()))
        return;
    uint8_t reply[SNIFF_ENET_REPLY_LEN];
    sniff_enet_reply(reply);
    ENetBuffer b = {.data = reply, .dataLength = sizeof reply};
    enet_socket_send(host->socket, &host->receivedAddress, &b, 1);
}

/* Hands a packet ENet received from peer idx on channel to the core (once
 * the peer has shown it receives at its address: transport_enet_proof.c),
 * which may queue it to recipients as it is (t->current); freed unless
 * queued. */
static void deliver(struct relay_enet *t, struct relay *r, uint32_t idx, uint8_t channel,
                    ENetPacket *pk)
{
    if (!transport_enet_proof_pass(t, idx, channel, pk)) {
        enet_packet_destroy(pk);
        return;
    }
    t->current = pk;
    relay_on_datagram(r, transport_enet_handle(t, idx), channel, pk->flags, pk->data,
                      pk->dataLength, clock_now_us());
    t->current = NULL;
    /* Queued to recipients: ENet frees it after the last send. */
    if (pk->referenceCount == 0)
        enet_packet_destroy(pk);
}

/* A DISCONNECT makes ENet 1.3.17 discard the packets of its peer that it
 * has received but not handed over yet (enet_peer_reset_queues): read in
 * the same batch as the sender's last states, those would be lost without
 * a trace. So they go to the core first. */
static void deliver_undispatched(struct relay_enet *t, ENetPeer *p)
{
    enet_uint8 channel;
    ENetPacket *pk;
    while (t->relay && (pk = enet_peer_receive(p, &channel)) != NULL)
        deliver(t, t->relay, peer_index(t, p), channel, pk);
}

/* Sees every raw datagram before ENet parses it. We count what ENet would
 * silently ignore (garbage and strangers: stray; refused connects:
 * server_full, per_address), refuse what it mishandles (enet_guard,
 * held_commands, half_open: return 1, ENet never sees it), catch fragments
 * of packets over ENet's size limit (too_big; a reliable one closes the
 * peer), and note when each peer last sent anything; then let ENet go on
 * (return 0). */
static int ENET_CALLBACK intercept_heard(ENetHost *host, ENetEvent *event)
{
    struct relay_enet *t = relay_enet_intercept_ctx(event);
    unsigned id;
    if (!t)
        return 0;
    t->reads++;
    transport_enet_acks_hold(t);
    if (sniff_is_json(host->receivedData, host->receivedDataLength))
        hint_plain_udp_client(t, host);
    enum relay_drop why = relay_enet_would_ignore(host, &id);
    if (why != RELAY_DROP_COUNT) {
        transport_enet_count(t, why);
        return 0;
    }
    if (id == ENET_PROTOCOL_MAXIMUM_PEER_ID)
        return transport_enet_half_open_refuse(t); /* a CONNECT ENet would take */
    if (id >= host->peerCount)
        return 0;
    size_t extra = host->checksum ? sizeof(enet_uint32) : 0;
    struct relay_enet_scanned scanned;
    if (relay_enet_scan(host->receivedData, host->receivedDataLength, extra,
                        &scanned) != RELAY_DROP_COUNT) {
        transport_enet_count(t, RELAY_DROP_ENET_GUARD);
        return 1; /* ENet never sees it */
    }
    t->heard[id] = enet_time_get();
    if (transport_enet_held_refuse(t, id, scanned.data_commands))
        return 1;
    ENetPeer *p = &host->peers[id];
    if (scanned.disconnect)
        deliver_undispatched(t, p);
    else if (p->state == ENET_PEER_STATE_CONNECTED)
        transport_enet_acks_from(t, id); /* held when the next is read */
    struct relay_enet_oversize o;
    /* Once per packet: a reliable one closes the peer at its first
     * fragment seen (the core then ignores the rest and the resends); an
     * unreliable one counts at its fragment 0. */
    if (t->relay && p->state == ENET_PEER_STATE_CONNECTED &&
        relay_enet_find_oversize(host->receivedData, host->receivedDataLength,
                                 extra, p->channelCount,
                                 host->maximumPacketSize, &o) &&
        (o.reliable || o.first))
        relay_peer_too_big(t->relay, transport_enet_handle(t, id), o.total, host->maximumPacketSize, o.reliable,
                           clock_now_us());
    return 0;
}

static void on_event(struct relay_enet *t, struct relay *r, ENetEvent *ev)
{
    uint32_t idx = ev->peer ? peer_index(t, ev->peer) : 0;
    if (ev->type == ENET_EVENT_TYPE_CONNECT || ev->type == ENET_EVENT_TYPE_DISCONNECT)
        /* States queued to the slot's previous connection never reach it. */
        transport_enet_batch_drop_peer(t, idx, RELAY_DROP_SEND_CLOSING);
    switch (ev->type) {
    case ENET_EVENT_TYPE_CONNECT:
        on_connect(t, r, ev->peer, ev->data);
        break;
    case ENET_EVENT_TYPE_RECEIVE:
        t->heard[idx] = enet_time_get();
        deliver(t, r, idx, ev->channelID, ev->packet);
        break;
    case ENET_EVENT_TYPE_DISCONNECT:
        if (relay_peer_connected(r, transport_enet_handle(t, idx))) {
            enum proto_left_reason why = disconnect_reason(t, idx);
            char addr[RELAY_ADDR_MAX];
            format_addr(&ev->peer->address, addr, sizeof addr);
            log_debug("relay: %s disconnected (%s)", addr, proto_left_reason_name(why));
            relay_peer_gone(r, transport_enet_handle(t, idx), why, clock_now_us());
        }
        break;
    case ENET_EVENT_TYPE_NONE:
        break;
    }
}

/* A connected peer we heard nothing from for timeout_ms is expired
 * (timeout), since ENet times out only a peer that leaves something of
 * ours unacknowledged. Only after a read that emptied the socket: what
 * is still in it may be that peer's. */
static void sweep_silent(struct relay_enet *t, struct relay *r, uint32_t idx,
                         enet_uint32 now)
{
    ENetPeer *p = &t->host->peers[idx];
    if (p->state != ENET_PEER_STATE_CONNECTED || now - t->heard[idx] < t->cfg.timeout_ms ||
        !relay_peer_connected(r, transport_enet_handle(t, idx)))
        return;
    log_debug("relay: peer %u silent for %u ms: expired", (unsigned)idx,
              (unsigned)(now - t->heard[idx]));
    relay_peer_gone(r, transport_enet_handle(t, idx), PROTO_LEFT_TIMEOUT, clock_now_us());
    enet_peer_disconnect_now(p, PROTO_ERROR_NONE);
}

static void sweep(struct relay_enet *t, struct relay *r, bool read_all)
{
    enet_uint32 now = enet_time_get() | 1; /* 0 means "none" */
    if (now - t->swept < SWEEP_MS)
        return;
    t->swept = now;
    for (uint32_t i = 0; i < t->host->peerCount; i++) {
        transport_enet_sweep_half_open(t, r, i, now);
        transport_enet_proof_sweep(t, i, now);
        if (read_all)
            sweep_silent(t, r, i, now);
    }
}

#define SOCKET_WARN_EVERY_US 10000000ull /* at most one line about them per 10 s */

/* The edge's own counters (transport_enet_core names them) into the
 * stats: the socket's errors, what went unsent to sources owed nothing
 * (enet_ledger.h), datagrams too long for ENet's buffer, datagrams lost to
 * a full send buffer. */
static void report_counters(struct relay_enet *t, struct relay *r)
{
    struct enet_socket_counts c = enet_socket_counts(t->host->socket);
    uint64_t v[] = {t->socket_errors, c.withheld, c.withheld_bytes, c.truncated, c.send_full};
    relay_edge_counters(r, t->base, v, sizeof v / sizeof v[0]);
}

/* A datagram the kernel refuses to send (the bound address gone, a route
 * or a firewall saying no) is lost, as on the wire (enet_socket_flush goes
 * on past it), and a service ENet ends at a read the kernel fails (its
 * -1) is tried again next turn: neither may end the relay. n of them,
 * errno `why`: counted (edges.enet.socket_errors) and logged now and then. */
static void socket_refused(struct relay_enet *t, struct relay *r, uint64_t n, int why)
{
    t->socket_errors += n;
    report_counters(t, r);
    if (clock_once_every(&t->socket_warned_us, clock_now_us(), SOCKET_WARN_EVERY_US))
        log_warn("relay: enet: the socket refused a datagram (%s); dropped, %" PRIu64
                 " so far", strerror(why), t->socket_errors);
}

/* Every enet_host_service call walks all peer slots (twice) to send: with
 * thousands of peers that walk, not the datagrams, is the cost. So a
 * service reads what is waiting in up to DRAIN_ROUNDS calls without
 * waiting (another only when the last may have left datagrams unread),
 * and the flush after the turn's fan-out sends once. */
static int edge_service(void *ctx, struct relay *r)
{
    struct relay_enet *t = ctx;
    /* The intercept callback finds t through the event (enet_internals.h). */
    struct relay_enet_service_event se = { .ctx = t };
    ENetEvent *ev = &se.event;
    int n = 0;
    t->relay = r;
    t->reads = 0;
    t->serviced_us = clock_now_us();
    int rc = enet_host_service(t->host, ev, 0);
    bool read_all = false, refused = false, served = false;
    for (int round = 1;; round++) {
        if (rc < 0) {
            /* It may have stopped before reading, or after (ENet sends
             * again after its reads): what it read waits in its queue,
             * and no later call of this service can tell the socket
             * was read empty. */
            socket_refused(t, r, 1, errno);
            refused = true;
        } else {
            served = true;
            read_all = !refused && relay_enet_read_all(rc, ev, t->reads);
            /* The events come from what this call read: after the previous
             * read ended, and by when the kernel received the last of it. */
            relay_arrived(r, t->read_end_us,
                          t->reads ? enet_socket_received_us(t->host->socket) : 0);
            while (rc > 0) {
                on_event(t, r, ev);
                n++;
                rc = enet_host_check_events(t->host, ev);
            }
        }
        if (read_all || round == DRAIN_ROUNDS)
            break;
        t->reads = 0;
        rc = enet_host_service(t->host, ev, 0);
    }
    /* What the next call reads arrived after the last moment the socket
     * was empty (see relay_arrived). A service whose every call failed
     * claims no backlog: the socket's readiness or the timers wake the
     * next one, and a socket that fails every time cannot spin the loop. */
    t->backlog = (!read_all && served) || enet_socket_pending(t->host->socket);
    if (!t->backlog)
        t->read_end_us = clock_now_us();
    sweep(t, r, read_all);
    report_counters(t, r);
    return n;
}

/* After the turn's fan-out: the batch lanes queued, the acknowledgements
 * held for the tick given back (those of a peer with something queued
 * ride with it), then one flush if anything was queued. */
static void edge_flush(void *ctx, struct relay *r)
{
    struct relay_enet *t = ctx;
    t->relay = r;
    transport_enet_close_lanes(t); /* before the acknowledgements look for a ride */
    if (transport_enet_acks_return(t, relay_tick_due(r), false))
        t->queued = true;
    if (t->queued)
        enet_host_flush(t->host);
    t->queued = false;
    /* What this turn's services and flush sent, in one sendmmsg. */
    enet_socket_flush(t->host->socket);
    struct enet_socket_counts c = enet_socket_counts(t->host->socket);
    if (c.refused > t->refused_seen) {
        socket_refused(t, r, c.refused - t->refused_seen, c.refused_errno);
        t->refused_seen = c.refused;
    }
}

static bool edge_backlog(const void *ctx)
{
    const struct relay_enet *t = ctx;
    return t->backlog;
}

static uint64_t edge_due(const void *ctx)
{
    const struct relay_enet *t = ctx;
    return t->serviced_us + TIMERS_US;
}

/* Is a goodbye to this peer still on its way (or could one be)? Peers
 * still in the handshake are not: the core never knew them and nothing was
 * said to them, and a stranger's half-open CONNECT would otherwise hold the
 * drain for its whole allowance. */
static bool peer_needs_drain(const ENetPeer *p)
{
    switch (p->state) {
    case ENET_PEER_STATE_CONNECTED:
    case ENET_PEER_STATE_DISCONNECT_LATER:
    case ENET_PEER_STATE_DISCONNECTING:
    case ENET_PEER_STATE_ACKNOWLEDGING_DISCONNECT:
    case ENET_PEER_STATE_ZOMBIE:
        return true;
    default:
        return false;
    }
}

/* What is left when the loop stops draining, destroy resets. */
static bool edge_settled(const void *ctx)
{
    const struct relay_enet *t = ctx;
    for (size_t i = 0; i < t->host->peerCount; i++)
        if (peer_needs_drain(&t->host->peers[i]))
            return false;
    return true;
}

/* ENet times peers out itself, and the sweep (half-open handshakes, slow
 * readers) runs with every service: what is left is the core's (peers that
 * never join: relay_sweep, which the loop calls). */
static void edge_tick(void *ctx, struct relay *r)
{
    struct relay_enet *t = ctx;
    t->relay = r;
}

const struct relay_transport_ops relay_enet_ops = {
    .name = "enet",
    .stream = false,
    .create = edge_create,
    .core = transport_enet_core,
    .address = edge_address,
    .fd = edge_fd,
    .due = edge_due,
    .service = edge_service,
    .backlog = edge_backlog,
    .flush = edge_flush,
    .tick = edge_tick,
    .settled = edge_settled,
    .destroy = edge_destroy,
};
