/* transport.h: the relay's network edges, as the program sees them: one
 * table of operations each (struct relay_transport_ops), nothing else; a
 * relay runs one to RELAY_EDGES_MAX of them at once (relay/edges.h).
 * Each edge owns a socket, turns what arrives into calls on the pure core
 * (edge.h) and carries out the core's sends through the struct
 * relay_transport it hands the core (with what it can carry, as data):
 *
 *   relay/enet/  relay_enet_ops: an ENet host: connections, channels, acks,
 *                resends (its files: relay/enet/transport_enet.h).
 *   relay/udp/   relay_udp_ops: one bare UDP socket: socket(), bind(),
 *                recvfrom(), sendto(); "who is joined" is our own endpoint
 *                table (its files: relay/udp/transport_udp.h).
 *   relay/tcp/   relay_tcp_ops: a TCP listening socket, a connection per
 *                client, messages in length-prefixed frames
 *                (relay/tcp/transport_tcp.h); what it shares with the other
 *                stream edge, the connections' queues, conflation and slow
 *                readers: relay/stream/stream.h.
 *   relay/ws/    relay_ws_ops, relay_wss_ops: the same for browsers: HTTP/1.1
 *                first (what the relay's HTTP front routes: an upgrade,
 *                the play page, a WebRTC offer), then WebSocket messages
 *                framed by wslay; wss in TLS (its files:
 *                relay/ws/transport_ws.h).
 *   relay/webrtc/ relay_webrtc_ops: browsers' WebRTC data channels on one
 *                UDP socket (ICE-lite, DTLS, SCTP), sessions begun by an
 *                offer its POST /rtc route takes on the HTTP front (its files:
 *                relay/webrtc/transport_webrtc.h).
 *   relay/quic/  relay_quic_ops: QUIC connections on one UDP socket
 *                (ngtcp2, GnuTLS): datagrams and streams, ALPN "ricochet"
 *                (its files: relay/quic/transport_quic.h).
 *   relay/poll/  relay_poll_ops: HTTP polling, as engine.io's polling transport:
 *                a member is a session a POSTed join opens, its messages
 *                POSTed, what waits for it taken by GETs, answered at once
 *                or held until something comes (its files:
 *                relay/poll/transport_poll.h).
 *   (tests)      tests/support/fake_relay.c: the core's side only.
 *
 * These are edges: they read the clock
 * (sys/clock.h) and call the OS. What tests reach inside an edge is in the
 * edge's own header. */
#ifndef RICOCHET_TRANSPORT_H
#define RICOCHET_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/core/edge.h"
#include "sys/netaddr.h"

struct http_front;

struct relay_net_config {
    const char *bind;          /* local address to bind, "0.0.0.0" */
    uint16_t port;             /* 0 = let the kernel pick a free one */
    uint32_t peer_cap;         /* peer slots; the handles it gives the core are
                                  base + slot (core's base) */
    uint32_t max_per_address;  /* peers from one IP address, 0 = peer_cap */
    size_t max_packet_size;    /* ENet: largest packet in (and out is at least
                                  PROTO_CONTROL_MAX); udp: receive buffer; tcp: the
                                  longest frame taken; ws: the longest message */
    size_t max_waiting_data;   /* ENet: bytes a peer may have buffered for reassembly */
    uint32_t timeout_ms;       /* ENet peer timeout; udp, tcp, ws: silence before expiry */
    /* ENet (0 = no limit); what is held for a peer past which it is closed is
     * the core's (relay_config's max_queued_bytes, slow_reader_ms): */
    uint32_t max_queued_packets; /* packets queued to one peer (unsent or unacknowledged)
                                    past which its unreliable states are dropped */
    size_t max_queued_bytes;     /* the same in payload bytes (the core's bound) */
    uint32_t max_held_commands;  /* commands ENet may hold from one peer out of order */
    uint32_t max_half_open;      /* handshakes in progress (at most, and 0 = a
                                    quarter of the peer slots); tcp, ws: connections
                                    that have not joined; webrtc: sessions answered
                                    and not yet peers; quic: connections without their
                                    first message */
    uint32_t handshake_ms;       /* ws: a connection not upgraded this long is closed;
                                    quic: a handshake, or a connection without its
                                    first message, this long (--join-timeout-ms) */
    const char *tls_cert;        /* wss, quic: PEM certificate (chain) file (quic without
                                    it: a certificate drawn at start) */
    const char *tls_key;         /* wss, quic: its PEM private key file */
    const char *webrtc_advertise; /* webrtc: HOST:PORT written as the answers' host
                                    candidate (PORT 0: the port bound); NULL or "":
                                    the address bound */
    const char *allow_origin;  /* the HTTP front: the origins (space-separated; "*": any)
                                  whose pages may read GET /wt and POST /rtc from
                                  another site (CORS); NULL or "": none */
    struct http_front *http;   /* the relay's HTTP front (relay/http/http_front.h):
                                  ws, wss carry its requests; webrtc, quic register
                                  their routes in it (NULL: none; ws needs one) */
};

/* cfg as an edge takes it: at least one peer slot, and without a
 * --max-packet-size (0) its default, RELAY_PACKET_DEFAULT. */
#define RELAY_PACKET_DEFAULT 2048
static inline struct relay_net_config relay_net_config_settled(const struct relay_net_config *cfg)
{
    struct relay_net_config c = *cfg;
    if (c.peer_cap < 1)
        c.peer_cap = 1;
    if (c.max_packet_size == 0)
        c.max_packet_size = RELAY_PACKET_DEFAULT;
    return c;
}

/* An edge as the program sees it: one table of operations per protocol
 * (in the manner of Redis's ae backends), so ricochet-relay picks them by
 * scheme and never asks which it has. t is the edge's own state, from
 * create. The contract (docs/design.md, "Edges"), in short:
 *   - handles: the edge calls the core with base + its slot and is called
 *     back with those handles only (core(t, base); relay_edge_base);
 *   - the loop waits in one epoll on every edge's fd (one descriptor each:
 *     a socket, or an epoll set of an edge's own) and the directory's
 *     eventfd, at most until the earliest deadline (its periodic tick,
 *     relay_tick_due, each edge's due);
 *   - a turn: every edge that is ready, has a backlog or is due is
 *     serviced once, from a rotating start; service never waits and reads
 *     at most one bounded batch; then relay_tick once; then every edge
 *     flushes; every 100 ms relay_sweep and each edge's tick (then a flush);
 *   - at shutdown (after relay_shutdown) the loop services and flushes
 *     until every edge is settled or the drain time is up. */
struct relay_transport_ops {
    const char *name;         /* its scheme: --listen NAME://HOST:PORT, --transport NAME,
                                 the "listening on" line, the edge's counters */
    bool stream;              /* listens on a TCP port (else a UDP one): two edges of one
                                 kind may not name the same port */
    /* Creates and binds. Returns NULL with a one-line message in err. */
    void *(*create)(const struct relay_net_config *cfg, char *err, size_t err_cap);
    /* The capabilities and callbacks to give relay_create(), its handles
     * from base on (cfg.peer_cap of them). */
    struct relay_transport (*core)(void *t, uint32_t base);
    /* "ip:port" actually bound (the real port when 0 was asked). */
    const char *(*address)(const void *t);
    /* The one descriptor the loop waits on (epoll, EPOLLIN): readable when
     * the edge has input. */
    int (*fd)(const void *t);
    /* When it must be serviced even without input (monotonic µs: a resend,
     * a handshake's timeout); UINT64_MAX: never. */
    uint64_t (*due)(const void *t);
    /* Reads at most one bounded batch of what waits, without waiting, and
     * feeds it to r. Returns the inputs handled, or -1 on a socket or host
     * error. */
    int (*service)(void *t, struct relay *r);
    /* Did the last service stop reading with input still waiting? The loop
     * then services it again next turn without waiting. */
    bool (*backlog)(const void *t);
    /* Sends what the core queued to its peers, in as few datagrams,
     * sendmmsg calls or writes as it can. */
    void (*flush)(void *t, struct relay *r);
    /* Periodic work, every 100 ms: expiring silent peers, slow readers. */
    void (*tick)(void *t, struct relay *r);
    /* After relay_shutdown(): true once no goodbye is in flight (sent and,
     * where the edge acknowledges, acknowledged). */
    bool (*settled)(const void *t);
    void (*destroy)(void *t); /* NULL is fine */
};

/* Every edge, the table of schemes, in the order of RELAY_TRANSPORT_CHOICES
 * (an option's list; test_e2e_relay_main checks the two agree). Adding an
 * edge: a folder with its ops, a row here (transport.c), its name in
 * RELAY_TRANSPORT_CHOICES. */
#define RELAY_TRANSPORT_CHOICES "enet|udp|tcp|ws|wss|webrtc|quic|poll"
extern const struct relay_transport_ops *const relay_transports[];

/* ---- ENet: connections, channels, acks, resends ---- */

/* service: enet_host_service without waiting (a few rounds of up to 256
 * datagrams each), every event into the core, no flush; handshakes not
 * completed within 5 s are forgotten. flush: the batch lanes, the
 * acknowledgements held for the tick, enet_host_flush. due: ENet's own
 * timers (resends, pings) at least every 100 ms. settled: no peer has a
 * goodbye in flight (connected or disconnecting; half-open handshakes do
 * not count). */
extern const struct relay_transport_ops relay_enet_ops;

/* ---- plain UDP: one bare socket, our own endpoint table ---- */

/* service reads in batches (recvmmsg), feeds the core; flush sends
 * (sendmmsg); tick expires members silent for timeout_ms (left reason
 * timeout); nothing is acknowledged, so it is always settled. */
extern const struct relay_transport_ops relay_udp_ops;

/* ---- TCP: a stream per client, frames ---- */

/* service reads one batch of ready sockets (its descriptor is an epoll set
 * of its own: the listening socket and every connection) and accepts; a
 * connection is a peer from accept() on, closing it is leaving; flush
 * writes each connection's queued frames; while the kernel's send buffer
 * is full, each sender's unreliable states are conflated to its newest
 * (counted); a queue over --max-queued-bytes or unwritten for
 * --slow-reader-ms closes the connection (slow_reader); tick expires
 * connections silent for timeout_ms; settled once every queue is written.
 * Connections that have not joined are at most max_half_open, a newcomer
 * past it closing the oldest of the address holding the most; they count
 * against --max-clients from their join (count_at_join). */
extern const struct relay_transport_ops relay_tcp_ops;

/* ---- WebSocket: HTTP first, then a stream of WebSocket messages ---- */

/* As the TCP edge, but a connection speaks HTTP/1.1 first, routed by the
 * relay's HTTP front (cfg.http): an upgrade (then a peer of the core,
 * every message a WebSocket message through wslay), the play page's
 * files, a WebRTC offer (POST /rtc), or an error; not upgraded within
 * handshake_ms it is closed (408); connections that have not joined,
 * upgraded or not, are at most max_half_open (a newcomer past it closes
 * the oldest of the address holding the most). wss: the same
 * in TLS (tls_cert, tls_key), its members secure. */
extern const struct relay_transport_ops relay_ws_ops;
extern const struct relay_transport_ops relay_wss_ops;

/* ---- WebRTC: browsers' data channels on one UDP socket ---- */

/* POST /rtc, its route on the HTTP front (cfg.http; relay_webrtc_answer):
 * an offer's ticket prechecked by the core (relay_ticket_precheck)
 * and claimed by its session (relay_ticket_claim: a newer offer with the
 * pass takes the place of a session of it not yet checked, else it is
 * refused); sessions not yet peers at most max_per_address from the
 * offer's address and max_half_open in all, the oldest not yet checked
 * giving way (of all of them: once 250 ms old); then the SDP answer with
 * one host candidate (webrtc_advertise, or the address bound: a wildcard
 * bind needs webrtc_advertise). A session is a peer once its "control"
 * channel opens; its channels by label (PROTOCOL.md, "WebRTC data
 * channels"). service reads in batches (recvmmsg) into the sessions and
 * turns their timers; flush sends the batches of the flush, then every
 * queued datagram (sendmmsg); a close waits for its last messages'
 * acknowledgement (2 s at most); settled once none waits. */
extern const struct relay_transport_ops relay_webrtc_ops;

/* ---- QUIC: datagrams and streams in one connection per client ---- */

/* One UDP socket; every new connection's address validated first (a Retry,
 * only to a datagram of 1200 bytes or more, or a NEW_TOKEN token),
 * strangers answered statelessly, never with more bytes than they sent,
 * within the budgets of strangers.h; ALPN "ricochet"; a connection a
 * peer of the core once its control stream's first message came, before
 * that half-open (max_half_open, handshake_ms). service reads in batches
 * (recvmmsg) and runs the connections' timers (ngtcp2's expiries, the
 * earliest first, due); flush writes what the core queued (datagrams,
 * then streams, in as few packets as they fit) and sends them
 * (sendmmsg); tick closes half-open connections past handshake_ms and
 * slow readers; a close waits for the control stream's last bytes
 * (QUIC_EDGE_CLOSE_US); settled once none waits. tls_cert and tls_key, or
 * a certificate drawn at start (its fingerprint logged); secure. */
extern const struct relay_transport_ops relay_quic_ops;

/* ---- HTTP polling: sessions asked for by GET, written to by POST ---- */

/* A TCP listening socket carrying HTTP/1.1 keep-alive connections (the
 * stream edges' accepting and output, relay/stream/stream.h), its
 * members sessions rather than connections (cfg.peer_cap of them; twice
 * as many connections, max_per_address twice over per host): a POSTed
 * join opens one, answered with its id (max_per_address sessions per
 * host), a DELETE ends it; each session's messages wait in its queue, framed as the TCP
 * edge frames them, until a GET takes them, at once or held up to its
 * wait (answered at the flush that queued something); unreliable states
 * conflated while more than one answer waits; what is queued and when a
 * GET last took some is its backlog (slow_reader); a session no request
 * named for timeout_ms is gone (timeout); a request not whole within
 * handshake_ms is answered 408; allow_origin's CORS lines on every
 * answer. */
extern const struct relay_transport_ops relay_poll_ops;

#endif
