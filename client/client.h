/* client.h: the client library. Connect to a relay, join a room, send your
 * state in a chosen mode, receive the other members' states and notices.
 *
 * One struct client is one peer: its own socket (an ENetHost with one peer,
 * or a plain UDP socket in PROTO_MODE_UDP). A process may run many (bots,
 * the benchmark) and wait on all their sockets with poll(2); or, over ENet,
 * put many on one client_hub: one ENetHost (one socket, one local port)
 * whose peers they are, serviced once for all of them (see below).
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
 *   (control made by the library) as if the relay's left notice had come;
 *   if it was only quiet, its next state lists it again under its name.
 *   A later left notice from the relay about it gives no second event. */
#ifndef RICOCHET_CLIENT_H
#define RICOCHET_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../proto/clocksync.h"
#include "../proto/control.h"
#include "../stats/histogram.h"
#include "../stats/recvstats.h"
#include "../proto/wire.h"

struct client_config {
    const char *host;    /* relay address, "127.0.0.1" or a host name */
    uint16_t port;       /* relay port */
    const char *room;    /* room to join */
    const char *name;    /* player name, proto_name_valid() */
    enum proto_mode mode; /* PROTO_MODE_UDP selects the plain-UDP transport */
    bool reflect;        /* ask the relay to send my states back to me */
    uint32_t timeout_ms; /* connect + join deadline, peer timeout; udp: member expiry */
    struct client_hub *hub; /* ENet modes: be a peer of this shared host (NULL: my own
                               host and socket); ignored in udp mode */
    void *user;          /* handed back with my events by client_hub_service */
};

enum client_event_type {
    CLIENT_EV_WELCOME,      /* joined: client_id() and the roster are set; udp:
                             * again after a rejoin, usually with a new id, the
                             * roster replacing the member table */
    CLIENT_EV_STATE,        /* a member's state (or my reflected one) */
    CLIENT_EV_TOO_OLD,      /* a sequenced state NOT delivered: not after the newest
                             * one from that sender (state, id, arrived_as set;
                             * counted in the member's stats.too_old). Ignore it
                             * unless you count. */
    CLIENT_EV_JOINED,       /* a member joined */
    CLIENT_EV_LEFT,         /* a member left (reason in control->reason); udp:
                             * also a member silent for timeout_ms (timeout) */
    CLIENT_EV_CHAT,         /* control->text from control->id */
    CLIENT_EV_ERROR,        /* control->code, control->text from the relay; udp
                             * not_joined while joined: rejoining (see above) */
    CLIENT_EV_DISCONNECTED  /* connection lost, refused or timed out; final.
                             * control->code and ->text: the relay's error code
                             * and message when it refused the join or ended
                             * the session (server_full, room_full, kicked, ...;
                             * ENet: also from the disconnect data), else the
                             * library's: timeout, refused (no connection),
                             * disconnected, socket. client_end_reason() says
                             * it in one line. */
};

struct client_event {
    enum client_event_type type;
    uint32_t id;              /* the member the event is about */
    struct proto_state state; /* CLIENT_EV_STATE */
    enum proto_mode arrived_as; /* CLIENT_EV_STATE: mode it was delivered in */
    uint64_t recv_us;         /* when the library received it */
    int64_t latency_us;       /* CLIENT_EV_STATE: one-way latency, corrected by both
                                 clocks' offsets to the relay when they differ */
    bool latency_known;       /* ... both offsets are known; false: latency_us is
                                 recv_us - send_us, right only if sender and receiver
                                 share a clock, and the library recorded no latency
                                 (the member's stats.no_latency counts it) */
    uint64_t latency_bound_us; /* ... |error| <= this (0: offsets not known yet) */
    const struct proto_control *control; /* control events; valid until the next client_poll */
};

/* A member of my room as this client sees it. */
struct client_member {
    uint32_t id;
    char name[PROTO_NAME_MAX + 1];
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
    uint64_t bytes_sent, bytes_received;     /* UDP payload bytes on the wire */
    uint64_t datagrams_sent, datagrams_received;
    int enet_peer_out;          /* ENet header peer id of my datagrams (the relay's slot
                                   for me), -1 in udp mode or unconnected */
    int enet_peer_in;           /* ... of the relay's datagrams to me (my host's slot) */
};

/* Starts connecting and joining; does not block. Returns NULL with a
 * one-line message in err on bad config or socket failure (or a full hub). */
struct client *client_create(const struct client_config *cfg, char *err,
                             size_t err_cap);

/* ---- hubs: many ENet clients on one host ----
 *
 * A hub is one ENetHost with room for max_clients peers: one socket and
 * one local port for all its clients, which the relay and ENet tell apart
 * by the peer id in every datagram's header (and the connect id of the
 * handshake). One client_hub_service reads the socket and runs ENet's
 * timers for every client on it, where clients with their own hosts need
 * one service (and system calls) each; one flush sends what all of them
 * queued. A hub client's client_poll reads nothing: it applies what the
 * last event left pending, runs the client's own timers (join deadline,
 * clock pings) and returns its DISCONNECTED event; it never waits. */
struct client_hub;

typedef void (*client_hub_fn)(void *ctx, struct client *c, void *user,
                              const struct client_event *ev);

/* An ENet host for up to max_clients (1..4095, ENet's peer ids) clients.
 * Returns NULL with a one-line message in err. */
struct client_hub *client_hub_create(size_t max_clients, char *err, size_t err_cap);

/* Frees the host; destroy its clients first (their goodbyes are sent,
 * waiting at most ~100 ms for the relay's acknowledgements). */
void client_hub_destroy(struct client_hub *hub);

/* Reads what the socket holds and runs ENet's timers, without waiting;
 * every event of every client on the hub goes to fn (with the client's
 * cfg.user), in order per client; the control pointer of an event is
 * valid until that client's next event or client_poll. Returns the number
 * of ENet events handled, or -1 if the socket failed. */
int client_hub_service(struct client_hub *hub, client_hub_fn fn, void *ctx);

/* Pushes every client's queued ENet commands out now, one pass for all. */
void client_hub_flush(struct client_hub *hub);

int client_hub_fd(const struct client_hub *hub);      /* for poll(2)/epoll */

/* The hub's wire figures (bytes and datagrams, all its clients); the
 * clients' own client_netinfo count none of them. */
void client_hub_netinfo(const struct client_hub *hub, struct client_netinfo *info);

/* Sends leave/disconnects politely (bounded wait, at most ~100 ms) and frees. */
void client_destroy(struct client *c);

/* Services the connection for at most timeout_ms (0 = do not wait) and
 * returns the next event: 1 and *ev filled, 0 if none, -1 once the client is
 * disconnected and every event has been returned. */
int client_poll(struct client *c, int timeout_ms, struct client_event *ev);

/* Sends my state in the current mode. The library sets s->sender = 0 and
 * s->seq (its own counter, +1 per call); the caller sets send_us (the
 * intended send time) and the rest. datagram_len pads the datagram to that
 * many bytes (0 or < PROTO_STATE_SIZE: no padding; max PROTO_STATE_MAX).
 * Returns 0, or -1 if not joined yet or the send failed. */
int client_send_state(struct client *c, const struct proto_state *s,
                      size_t datagram_len);

/* Sends a chat line (proto_text_valid). Returns 0 or -1. */
int client_send_chat(struct client *c, const char *text);

/* Switches among the ENet modes live (not to or from udp). Returns 0 or -1. */
int client_set_mode(struct client *c, enum proto_mode mode);

/* Pushes queued ENet commands out now (client_poll does this too; on a
 * hub, every client's: client_hub_flush). */
void client_flush(struct client *c);

/* Why the session ended, one line for people; "" while it has not: e.g.
 * "relay refused the join: server_full (the relay is full: 1024 clients)",
 * "relay ended the session: kicked (kicked: ...)", or for the library's own
 * reasons "no answer from the relay (timeout)". */
const char *client_end_reason(const struct client *c);

bool client_joined(const struct client *c);           /* false while a udp rejoin runs */
uint32_t client_id(const struct client *c);           /* 0 before welcome; the old id
                                                       * until a rejoin's welcome */
enum proto_mode client_mode(const struct client *c);
uint32_t client_next_seq(const struct client *c);     /* seq the next send gets */
int client_socket_fd(const struct client *c);         /* for poll(2); on a hub, the hub's */

/* Members of my room (not me), valid until the next client_poll. A sender
 * whose state came before its joined notice is listed with an empty name
 * until the notice arrives; a member who left stays listed until the next
 * client_poll (so its stats can be read); at most PROTO_ROSTER_MAX. */
const struct client_member *client_members(const struct client *c, size_t *n);
const struct client_member *client_member(const struct client *c, uint32_t id);

/* Sequenced states dropped because a newer state from the same sender was
 * already delivered (each member's stats.too_old has its share). */
uint64_t client_too_old(const struct client *c);

/* One-way latency of every state received from others, corrected by the
 * clocks' offsets to the relay (states before both were known: none). */
const struct histogram *client_latency(const struct client *c);
/* Round trip of my own reflected states (needs reflect), and their stats. */
const struct histogram *client_rtt(const struct client *c);
const struct recv_stats *client_reflect_stats(const struct client *c);

/* On a hub: ENet's RTT and loss of my peer, no bytes or datagrams (the
 * hub's, client_hub_netinfo). */
void client_netinfo(const struct client *c, struct client_netinfo *info);

#endif
