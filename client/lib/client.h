/* client.h: the client library's API for ricochet's own tools, not
 * installed: what the swarm, ricochet-bench, ricochet-lesson and the tests
 * use of it beyond its public header ricochet.h: the full configuration
 * (hubs, which statistics to keep), hubs of many ENet clients on one host,
 * padded states, and the library's own figures (histograms, receive
 * statistics, wire counters). A game uses ricochet.h only; the library's
 * insides are client_internal.h's, which no file outside client/lib/ includes
 * (test_e2e_layout).
 *
 * A session (struct ricochet) has its own socket (an ENetHost with one
 * peer, a plain UDP socket in PROTO_MODE_UDP, a TCP connection in
 * PROTO_MODE_TCP, a WebSocket in PROTO_MODE_WS; over WebRTC a UDP socket
 * and, while the offer is on its way, a TCP connection, both in an epoll
 * set that is the session's descriptor). A process may run many
 * (bots, the benchmark) and wait on all their sockets with poll(2); or, over
 * ENet, put many on one client_hub: one ENetHost (one socket, one local
 * port) whose peers they are, serviced once for all of them (see below).
 *
 * The library reads the clock (it is an edge): receive times and latencies
 * use clock_now_us().
 *
 * udp mode repairs what a lost notice would leave wrong (notices are best
 * effort there; the ENet modes have a connection and reliable notices):
 * - error not_joined while joined means the relay expired me (I was silent
 *   past its --timeout-ms) or restarted. The client reports it (ERROR), is
 *   not joined any more, empties the member table and joins again (join
 *   every 250 ms, for at most timeout_ms, else DISCONNECTED). The new
 *   welcome is another WELCOME event, usually with a new id.
 * - a member I had no state from for timeout_ms (counted from when it was
 *   listed, if it never sent one) gets a LEFT event with reason timeout
 *   (made by the library) as if the relay's left notice had come; if it
 *   was only quiet, its next state lists it again under its name. A later
 *   left notice from the relay about it gives no second event. */
#ifndef RICOCHET_CLIENT_H
#define RICOCHET_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/clocksync.h"
#include "proto/control.h"
#include "stats/histogram.h"
#include "stats/recvstats.h"
#include "proto/wire.h"
#include "ricochet.h"

/* What a join asks of its room (PROTOCOL.md, "Rooms with properties"). */
struct client_room_ask {
    struct proto_props props, match; /* a room it makes; a join of any room's filter */
    uint32_t size;                   /* a room it makes: its size (0: the relay's) */
    bool unlisted, closed, exists;   /* ... left out of listings, closed; must exist */
    bool lockstep;                   /* a room it makes is a lockstep room of ls */
    struct proto_lockstep_settings ls;
    bool spectator;                  /* joins a lockstep room without a slot */
};

struct client_config {
    const char *host;    /* relay address, "127.0.0.1" or a host name */
    uint16_t port;       /* relay port */
    const char *room;    /* room to join (NULL with a ticket: the ticket's) */
    bool any;            /* room is a prefix: any room under it with space (the
                            relay picks; PROTOCOL.md, "Rooms to list") */
    const char *name;    /* player name, proto_name_valid() (NULL with a ticket) */
    bool lobby;          /* connect and join nothing: list rooms, then ricochet_join
                            (room unused; not over plain UDP, polling or a ticket) */
    enum proto_mode mode; /* PROTO_MODE_UDP selects the plain-UDP transport, PROTO_MODE_TCP
                             a TCP stream, PROTO_MODE_WS a WebSocket */
    bool reflect;        /* ask the relay to send my states back to me */
    const struct client_room_ask *room_ask; /* NULL: the defaults */
    float aoi;           /* the radius of interest of a room my join creates (0: none) */
    uint32_t timeout_ms; /* connect + join deadline, peer timeout; udp: member expiry */
    uint32_t connect_timeout_ms; /* the connection (ENet's handshake, a stream's) up within
                            this, else the session ends "timeout" as unanswered: a
                            caller may connect again within its own wait (0: timeout_ms) */
    struct client_hub *hub; /* ENet modes: be a peer of this shared host (NULL: my own
                               host and socket); ignored in udp mode */
    struct client_udp_hub *udp_hub; /* udp mode: send and receive through this shared
                               socket, from an address of my own (NULL: my own socket) */
    struct client_wire_hub *wire_hub; /* ENet modes: speak ENet's wire from this shared
                               socket, with no ENetHost (NULL: hub or my own host) */
    void *user;          /* handed back with my events by client_hub_service */
    bool no_histograms;  /* keep no latency or round-trip histogram (220 KB): a swarm
                            keeps its own; ricochet_latency and _rtt then say count 0 */
    bool no_member_stats; /* keep no receive statistics per member (loss, order,
                            latency: ricochet_members and ricochet_latency then say 0):
                            a caller that keeps its own, a generator, counts once */
    uint32_t rejoin_ms;  /* a fleet: a lost relay is rejoined through host:port for
                            this long (0: the session ends); ricochet_config_set_rejoin */
    const char *more_relays; /* ... then through these in turn, "HOST:PORT,..." (NULL:
                            none); ricochet_config_add_relay */
    uint32_t rejoin_after_ms; /* a fleet: the relay silent this long is lost (0:
                            RICOCHET_DEFAULT_REJOIN_AFTER_MS); _set_rejoin_after */
    const char *ticket;  /* a ticket (ricochet-ticket mint): its room and name are the
                            session's, its pass goes in the join, and a relay run with
                            --encrypt seals the session with its keys; NULL: none */
    enum ricochet_transport transport; /* RICOCHET_TRANSPORT_DEFAULT: the mode's (above);
                            _WEBRTC: data channels (an ENet mode), host:port the
                            relay's ws edge, where the offer goes */
    const char *keylog;  /* WebRTC, QUIC: append the DTLS or TLS secrets to this key
                            log (NULL: none); ricochet_config_set_keylog */
    const char *key;     /* an earlier session's player key, sent in my join: the
                            same player (NULL: a new one); ricochet_config_set_key */
    const char *pin;     /* QUIC: the relay certificate's SHA-256, 64 lowercase hex
                            digits (client_pin_parse's); NULL: any certificate */
    bool poll_short;     /* HTTP polling: a GET every poll_interval_ms, not long polls */
    uint32_t poll_wait_ms; /* ... a long poll's wait (0: RICOCHET_DEFAULT_POLL_WAIT_MS) */
    uint32_t poll_interval_ms; /* ... short polling's (0: RICOCHET_DEFAULT_POLL_INTERVAL_MS) */
    int (*make_socket)(void *ctx, int domain, int type, int protocol); /* a stream's
                            sockets, the ones dialled later too (HTTP polling's next
                            connection): made where this returns them, e.g. in the
                            network namespace client_create was called in, when the
                            session is driven from a thread in another (NULL: socket()) */
    void *make_socket_ctx;
};

#define CLIENT_PIN_HEX 64 /* a pin's hex digits: SHA-256's 32 bytes */

/* A certificate's SHA-256 as a user writes it (64 hex digits, either case,
 * with or without ':' between bytes) into out: 64 lowercase hex digits and
 * a NUL. Returns 0, or -1 if it is not that. */
int client_pin_parse(const char *text, char out[CLIENT_PIN_HEX + 1]);

/* A member of my room as this client sees it. */
struct client_member {
    uint32_t id;
    char name[PROTO_NAME_MAX + 1];
    char player[PROTO_PLAYER_LEN + 1]; /* its player id ("": a relay that gives none) */
    enum proto_mode mode;
    bool has_state;
    struct proto_state last;  /* last state received (highest seq) */
    uint64_t last_recv_us;    /* when its last state came; 0: none yet */
    struct recv_stats stats;  /* per-sender receive statistics (latency corrected; states
                               * before both clock offsets were known: no_latency) */
    struct clock_sync clock;  /* its clock offset to the relay, as it announced it */
    uint64_t lat_bound_us;    /* error bound of its latest state's latency (0: unknown) */
    uint64_t added_us;        /* when this client listed it (udp expiry counts from
                               * the later of this and last_recv_us) */
};

/* Wire-level figures for reports. ENet's figures are ENet's own view;
 * ricochet's loss comes from recv_stats. */
struct client_netinfo {
    uint32_t enet_rtt_ms;       /* ENet's smoothed RTT (0 in udp mode) */
    uint32_t enet_rtt_var_ms;
    double enet_loss;           /* ENet's loss of reliable commands this peer sent, as a
                                   fraction (its packetLoss, or before ENet's first 10 s
                                   update, packetsLost / packetsSent so far) */
    uint64_t bytes_sent, bytes_received;     /* UDP payload bytes on the wire (tcp: TCP's
                                                payload, retransmissions included) */
    uint64_t datagrams_sent, datagrams_received; /* tcp: segments, acknowledgements included */
    uint32_t pings_sent, pongs_received; /* clock pings since the join, and their answers */
    int enet_peer_out;          /* ENet header peer id of my datagrams (the relay's slot
                                   for me), -1 in udp mode or unconnected */
    int enet_peer_in;           /* ... of the relay's datagrams to me (my host's slot) */
    uint32_t quic_rtt_ms;       /* QUIC: ngtcp2's smoothed RTT (0 on the others) */
    uint64_t quic_datagrams_acked;   /* QUIC: my DATAGRAM frames the relay acknowledged, */
    uint64_t quic_datagrams_lost;    /* ... ngtcp2 declared lost (what the sender knew), */
    uint64_t quic_datagrams_dropped; /* ... dropped before they left (congestion control
                                        held back more than 64) */
    uint64_t http_requests;     /* HTTP polling: requests sent (GETs, POSTs, the DELETE);
                                   WebSocket: its one, the upgrade */
    uint64_t http_head_bytes;   /* ... the bytes of their heads and of their answers' heads
                                   (in bytes_sent and bytes_received): what asking costs */
    uint64_t poll_asked_us;     /* ... when the GET left whose answer brought the messages
                                   ricochet_poll hands out now (0: none yet): a message
                                   sent before it waited that long for the question */
};

/* Starts connecting and joining; does not block. Returns NULL with a
 * one-line message in err on bad config or socket failure (or a full hub). */
struct ricochet *client_create(const struct client_config *cfg, char *err,
                               size_t err_cap);

/* ---- hubs: many ENet clients on one host ----
 *
 * A hub is one ENetHost with room for max_clients peers: one socket and
 * one local port for all its clients, which the relay and ENet tell apart
 * by the peer id in every datagram's header (and the connect id of the
 * handshake). One client_hub_service reads the socket and runs ENet's
 * timers for every client on it, where clients with their own hosts need
 * one service (and system calls) each; one flush sends what all of them
 * queued. A hub client's ricochet_poll reads nothing: it applies what the
 * last event left pending, runs the client's own timers (join deadline,
 * clock pings) and returns its DISCONNECTED event; it never waits. */
struct client_hub;

typedef void (*client_hub_fn)(void *ctx, struct ricochet *c, void *user,
                              const struct ricochet_event *ev);

/* An ENet host for up to max_clients (1..4095, ENet's peer ids) clients.
 * Returns NULL with a one-line message in err. */
struct client_hub *client_hub_create(size_t max_clients, char *err, size_t err_cap);

/* Frees the host; destroy its clients first (their goodbyes are sent,
 * waiting at most ~100 ms for the relay's acknowledgements). */
void client_hub_destroy(struct client_hub *hub);

/* Reads what the socket holds and runs ENet's timers, without waiting;
 * every event of every client on the hub goes to fn (with the client's
 * cfg.user), in order per client. Returns the number of ENet events
 * handled, or -1 if the socket failed. */
int client_hub_service(struct client_hub *hub, client_hub_fn fn, void *ctx);

/* Pushes every client's queued ENet commands out now, one pass for all. */
void client_hub_flush(struct client_hub *hub);

int client_hub_fd(const struct client_hub *hub);      /* for poll(2)/epoll */

/* The hub's wire figures (bytes and datagrams, all its clients); the
 * clients' own client_netinfo count none of them. */
void client_hub_netinfo(const struct client_hub *hub, struct client_netinfo *info);

/* ---- udp hubs: many plain-UDP clients on one socket, on loopback ----
 *
 * A udp hub is one socket for up to max_clients udp clients of a relay on
 * 127.0.0.0/8, each sending from an address of its own in 127.0.0.0/8
 * (so the relay sees them apart, as clients with sockets of their own):
 * one client_udp_hub_service reads (recvmmsg) for all of them and one
 * flush sends (sendmmsg) what all of them queued, where clients with their
 * own sockets make a system call a datagram. As on a hub of ENet clients,
 * a client's ricochet_poll then reads nothing: it runs its own timers
 * (joins, pings, members' silence) and returns its DISCONNECTED event. */
struct client_udp_hub;

/* A socket for up to max_clients clients (their addresses this process's
 * next ones). Returns NULL with a one-line message in err. */
struct client_udp_hub *client_udp_hub_create(size_t max_clients, char *err, size_t err_cap);

/* Sends what is queued and frees the socket; close its clients first. */
void client_udp_hub_destroy(struct client_udp_hub *hub);

/* Reads what the socket holds, without waiting, and hands every event of
 * every client on the hub to fn (with the client's cfg.user), in order per
 * client; then sends what they queued. Returns the datagrams read, or -1
 * if the socket failed. */
int client_udp_hub_service(struct client_udp_hub *hub, client_hub_fn fn, void *ctx);

/* Sends every client's queued datagrams now, in one sendmmsg (or a few). */
void client_udp_hub_flush(struct client_udp_hub *hub);

int client_udp_hub_fd(const struct client_udp_hub *hub);

/* The hub's wire figures (all its clients'); theirs count none of them. */
void client_udp_hub_netinfo(const struct client_udp_hub *hub, struct client_netinfo *info);

/* ---- wire hubs: many ENet clients on one socket, with no ENetHost ----
 *
 * A wire hub is one socket for up to max_clients (1..4095) clients of ENet
 * modes, which speak ENet 1.3.17's wire themselves (client_wire.c): the
 * relay sees ordinary ENet peers from one address and port, told apart by
 * the peer id in each datagram's header, as on a hub; but one recvmmsg
 * reads and one sendmmsg sends for all of them, and nothing walks ENet's
 * peer slots. A client's ricochet_poll reads nothing: it runs its own
 * timers (ENet's resends, pings and timeout; the join deadline, clock
 * pings) and returns its DISCONNECTED event. Sends must fit one datagram
 * (no fragments on the way up); every relay's datagram to a client it
 * does not know, or not from its relay, is counted (stray) and dropped. */
struct client_wire_hub;

/* A socket for up to max_clients clients. Returns NULL with a one-line
 * message in err. */
struct client_wire_hub *client_wire_hub_create(size_t max_clients, char *err, size_t err_cap);

/* Sends what is queued (the goodbyes) and frees the socket; close its
 * clients first. */
void client_wire_hub_destroy(struct client_wire_hub *hub);

/* Reads what the socket holds (recvmmsg), without waiting, and hands every
 * event of every client on the hub to fn (with the client's cfg.user), in
 * order per client; then sends the acknowledgements and what they queued.
 * Returns the datagrams read, or -1 if the socket failed. */
int client_wire_hub_service(struct client_wire_hub *hub, client_hub_fn fn, void *ctx);

/* Sends every client's queued commands now, a datagram each, in one
 * sendmmsg (or a few). */
void client_wire_hub_flush(struct client_wire_hub *hub);

int client_wire_hub_fd(const struct client_wire_hub *hub);

/* The hub's wire figures (all its clients'); theirs count none of them. */
void client_wire_hub_netinfo(const struct client_wire_hub *hub, struct client_netinfo *info);

/* Datagrams the hub dropped: for no client of its own, or not from its
 * relay. */
uint64_t client_wire_hub_stray(const struct client_wire_hub *hub);

/* Sends my state in the current mode, as ricochet_send_state (send_us is
 * the caller's: the intended send time), padded: datagram_len pads the
 * datagram to that many bytes (0 or < PROTO_STATE_SIZE: no padding; max
 * PROTO_STATE_MAX). Returns an enum ricochet_status. */
int client_send_state(struct ricochet *c, const struct proto_state *s,
                      size_t datagram_len);

/* Sends my state as client_send_state, with len bytes of payload (up to
 * PROTO_PAYLOAD_MAX: what a relay in clear takes; the public API's limit is
 * RICOCHET_PAYLOAD_MAX). Returns an enum ricochet_status. */
int client_send_state_payload(struct ricochet *c, const struct proto_state *s,
                              const uint8_t *payload, size_t len);

enum proto_mode client_mode(const struct ricochet *c);

/* Moves the session to a new socket of its own (another port): QUIC's
 * connection migration, the relay keeping the member. Returns 0, or -1
 * (another transport, not up yet, or no socket). */
int client_rebind(struct ricochet *c);
/* What my transport learned of the fate of my unreliable states: QUIC
 * calls fn when the relay acknowledged the datagram that carried the state
 * of this seq (CLIENT_FATE_ACKED), when ngtcp2 declared it lost
 * (CLIENT_FATE_LOST; it is never sent again), or when it never left:
 * congestion control held back CLIENT_QUIC_DGRAMS_MAX datagrams and this,
 * the oldest, was dropped for a newer one (CLIENT_FATE_DROPPED; no network
 * saw it). What the sender knew, beside what the network did. The other
 * transports never call it. fn runs inside ricochet_poll or a send, from
 * inside the transport: it must not call the library. NULL: none. */
enum client_fate { CLIENT_FATE_ACKED, CLIENT_FATE_LOST, CLIENT_FATE_DROPPED };
typedef void (*client_fate_fn)(void *ctx, struct ricochet *c, uint32_t seq,
                               enum client_fate fate);
void client_set_fate(struct ricochet *c, client_fate_fn fn, void *ctx);

/* The socket the session's datagrams or stream cross (ricochet_fd may be
 * an epoll set holding it): its local endpoint, its kernel counters. */
int client_socket(const struct ricochet *c);
/* The socket my messages leave on: client_socket's, but over HTTP polling
 * the POSTs' connection (client_socket's is the GETs', which the relay's
 * messages come down); -1 while it has none. Two flows to tell apart. */
int client_socket_up(const struct ricochet *c);
const char *client_name(const struct ricochet *c);      /* the config's, or the ticket's */
uint64_t client_created_us(const struct ricochet *c);  /* client_create's time, µs */
uint32_t client_next_seq(const struct ricochet *c);     /* seq the next send gets */
/* Its states' sequence numbers from seq on (1 unless set), before its first
 * send: senders whose states must not share a seq (netsim's paired loss
 * judges a state by it). */
void client_set_next_seq(struct ricochet *c, uint32_t seq);

/* Members of my room (not me), valid until the next ricochet_poll. A
 * sender whose state came before its joined notice is listed with an empty
 * name until the notice arrives; a member who left stays listed until the
 * next ricochet_poll (so its stats can be read); at most PROTO_ROSTER_MAX. */
const struct client_member *client_members(const struct ricochet *c, size_t *n);
const struct client_member *client_member(const struct ricochet *c, uint32_t id);

/* Sequenced states dropped because a newer state from the same sender was
 * already delivered (each member's stats.too_old has its share). */
uint64_t client_too_old(const struct ricochet *c);

/* One-way latency of every state received from others, corrected by the
 * clocks' offsets to the relay (states before both were known: none). */
const struct histogram *client_latency(const struct ricochet *c);
/* Round trip of my own reflected states (needs reflect), and their stats. */
const struct histogram *client_rtt(const struct ricochet *c);
const struct recv_stats *client_reflect_stats(const struct ricochet *c);

/* When a poll of c next has work without input (ENet's resends, pings and
 * timeout on a wire hub, the clock's pings): now, or later where c is
 * joined and its transport can tell. Something c then receives or sends
 * may bring it earlier (a pong's clock announcement; a reliable send's
 * resend, 50 ms on at the earliest): ask again after either. */
uint64_t client_timers_due_us(const struct ricochet *c, uint64_t now);

/* On a hub: ENet's RTT and loss of my peer, no bytes or datagrams (the
 * hub's, client_hub_netinfo). */
void client_netinfo(const struct ricochet *c, struct client_netinfo *info);

#endif
