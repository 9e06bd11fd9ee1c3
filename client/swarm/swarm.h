/* swarm.h: the one driver of many clients in one process (ricochet-bot,
 * ricochet-bench, the integration tests). It creates N clients, spreads
 * them over rooms, waits until they are joined, sends each one's state at a
 * constant *intended* rate (send times start + offset + k / rate, so a
 * stalled loop shows as latency, not as fewer sends: no coordinated
 * omission) and hands every event to the caller, who keeps the statistics
 * it wants. It also keeps the counts every caller needs: sends, failures,
 * states received from others (their latency is the caller's to keep).
 *
 * The transport (ENet, plain UDP or a TCP stream; or WebRTC or QUIC, cfg.transport)
 * is chosen once, by cfg.mode and cfg.transport, when the clients are
 * created; nothing below looks at it again.
 * ENet clients share hosts (client.h, hubs): clients i / per_host alike are
 * peers of one host, one socket and one local port, so the relay sees
 * per_host ENet peers per client address:port, told apart by ENet's peer
 * ids. With wire_hubs they share a wire hub instead (client.h): the
 * same socket and peer ids, but the clients speak ENet's wire themselves,
 * a recvmmsg and a sendmmsg for all of them, with no ENetHost to walk: a
 * generator far lighter than the relay it measures. udp clients share sockets the same way if asked (udp_hubs, a relay
 * on loopback: each sends from an address of its own); otherwise udp and
 * tcp clients have a socket each (the wire has no peer id).
 *
 * A caller may also hand it clients it made itself (swarm_adopt: its own
 * rooms, names, modes, a rate each, 0 for one that only listens), after
 * the made ones; tests mix honest and abusive clients that way.
 *
 * An edge: it reads the clock and waits on the clients' sockets. */
#ifndef RICOCHET_SWARM_H
#define RICOCHET_SWARM_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/enet/enet_wire.h"
#include "client/lib/client.h"
#include "client/lib/ricochet.h"

/* ENet clients per shared host by default. A host's every service and
 * flush walks all its peer slots (ENet's send pass), so a few dozen peers
 * per host keep that walk short while cutting thousands of sockets (and a
 * service call each) to a few dozen. */
#define SWARM_PER_HOST 64
#define SWARM_PER_HOST_MAX ENET_WIRE_PEERS_MAX

/* swarm_config.send_grain_us: a tick only where every client's arrivals
 * carry the kernel's stamp (wire hubs), that long; none elsewhere. Half a
 * millisecond: the sends' lateness adds about half of it to a latency's
 * median, where a wake-up a send cost the generator twice the relay's CPU. */
#define SWARM_TICK_AUTO UINT32_MAX
#define SWARM_TICK_STAMPED_US 500

struct swarm_config {
    const char *host;      /* relay address */
    uint16_t port;
    size_t clients;        /* N (0: none made; a swarm of adopted clients) */
    size_t first;          /* number of the first client, for names and rooms when a
                              swarm is one slice of several (0: the whole) */
    size_t room_size;      /* members per room (client i is in room (first + i) /
                              room_size); 0 = every client in one room */
    const char *room;      /* the room, or with room_size the prefix: ROOM-1, ROOM-2... */
    const char *name;      /* client i is NAME-(first+i+1) */
    enum proto_mode mode;  /* every client's; see mixed */
    bool mixed;            /* client i gets the i-th of the mode table's in_mixed modes
                              (round-robin) instead */
    bool reflect;
    float aoi;             /* radius of interest of the rooms the clients create (0: none) */
    const struct client_room_ask *room_ask; /* what a room they make is (a lockstep room:
                              .lockstep); NULL: the defaults */
    uint32_t timeout_ms;   /* connect + join deadline, peer timeout */
    uint32_t connect_timeout_ms; /* a client's connection (ENet's handshake) up within
                              this, else it ends "timeout" (client_config's; 0:
                              timeout_ms): with retry_connects, shorter than the wait
                              leaves it time to make a new client */
    uint32_t create_gap_us; /* swarm_create makes a client this often, servicing the made
                               ones between: a setup as long as a slow machine's
                               (0: back to back) */
    double rate_hz;        /* states per second per made client */
    size_t payload;        /* datagram bytes (0 = the bare 40-byte state) */
    bool payload_check;    /* the bytes after the 40 are a pattern that checks itself
                              (stats/pattern.h, keyed by the state's seq), not zeros */
    size_t per_host;       /* ENet clients sharing one host and socket (0: SWARM_PER_HOST;
                              1: each its own, with its own byte counts) */
    bool udp_hubs;         /* udp clients share sockets too, per_host to a udp hub, each
                              sending from an address of its own in 127.0.0.0/8: only
                              to a relay on loopback, straight (no netsim between) */
    bool wire_hubs;        /* ENet clients on a hub speak ENet's wire from its socket
                              themselves (client_wire_hub: recvmmsg and sendmmsg, no
                              ENetHost), not through a shared ENet host; not in a fleet
                              (ports, rejoin_ms), where they share ENet hosts as before */
    uint32_t send_grain_us; /* a tick: swarm_step wakes on a grid of ticks this long from
                              the schedule's t0, and the sends due by a tick leave
                              together at it, up to a tick late, which their latency and
                              lateness count as any other (each still stamped with its
                              intended time); where every client's arrivals carry the
                              kernel's stamp (wire hubs), data waits for the tick too:
                              one wake-up a tick, a lighter generator (0: each send at
                              its time, data waking it; at most 5000; SWARM_TICK_AUTO:
                              SWARM_TICK_STAMPED_US where every arrival is stamped, else 0) */
    bool client_histograms; /* each made client keeps its latency and round-trip
                               histograms (ricochet_latency, _rtt): 220 KB a client,
                               and receive statistics per member (ricochet_members);
                               false: none, the caller keeps its own (hooks.event) */
    const char *const *tickets; /* client i joins with tickets[first + i], which says its
                                   room and name (NULL: no tickets; room and name above) */
    const uint16_t *ports; /* a fleet's relays on host: client i joins through
                              ports[(first + i) % n_ports] (NULL: port) */
    size_t n_ports;
    uint32_t rejoin_ms;    /* a fleet: a lost relay is rejoined through the entry
                              (ricochet_config_set_rejoin); 0: the client ends */
    enum ricochet_transport transport; /* WEBRTC: every client over data channels, host:port
                              the relay's ws edge (never on a hub); QUIC: every client
                              over QUIC, host:port the relay's quic edge; DEFAULT: the
                              mode's */
    uint32_t poll_interval_ms; /* POLL: 0, long polls (the library's wait); else a short
                              poll every this many ms (ricochet_config_set_poll) */
    const char *keylog;    /* WebRTC, QUIC: the clients' DTLS or TLS secrets appended here
                              (NULL: none) */
    const char *pin;       /* QUIC: the relay certificate's SHA-256 (client_pin_parse's
                              text; NULL: any) */
    bool retry_connects;   /* a made client that never got in, its connect refused or left
                              unanswered (the library's RICOCHET_END_REFUSED or _TIMEOUT,
                              not a relay's refusal by name: a full room, a bad ticket), is
                              made anew by swarm_wait_ready, as a game would connect again:
                              a new client in its place (hooks.created; if none can be
                              made, the wait ends saying why), the failed one's end
                              never handed to hooks.event (false: that end ends the wait);
                              but once every made client's connect failed twice and none
                              got in, nothing answers there: the wait ends, saying the
                              last reason (once is no proof: a burst a relay's half-open
                              cap or a loaded machine lost, a swarm of one client) */
};

struct swarm_hooks {
    void *ctx;
    /* Fills the content of client i's state intended for t_us (send_us is
     * already t_us; seq and sender are the library's). NULL: a circle. */
    void (*fill)(void *ctx, size_t i, uint64_t t_us, struct ricochet_state *s);
    /* Called after each send (ok false: the send failed). May be NULL. */
    void (*sent)(void *ctx, size_t i, uint64_t t_us, bool ok);
    /* Every event of every client, in order per client. May be NULL. */
    void (*event)(void *ctx, size_t i, const struct ricochet_event *ev);
    /* Client i was just created (swarm_create: before any of its events,
     * which may come before swarm_create returns). The swarm owns c. c is
     * NULL when client i was closed to be made anew (cfg.retry_connects):
     * the last c is freed, and if no new one can be made none follows. May
     * be NULL. */
    void (*created)(void *ctx, size_t i, struct ricochet *c);
};

struct swarm_stats {
    uint64_t sent, send_failed;   /* states, all clients */
    uint64_t received;            /* states from others, all clients */
    uint64_t wakes;               /* times swarm_step and swarm_service slept */
    uint64_t polls;               /* clients a pass polled for their timers (one whose
                                     timers have no work before the next pass is left) */
    uint64_t connect_retries;     /* made clients made anew after a failed connect
                                     (cfg.retry_connects) */
};

struct swarm;

/* Creates the clients 0..N-1 (connecting starts). Raises the soft limit of
 * open files to what N sockets need, or fails saying what the limit is.
 * Returns NULL with a one-line message in err. */
struct swarm *swarm_create(const struct swarm_config *cfg, const struct swarm_hooks *hooks,
                           char *err, size_t err_cap);

/* Disconnects every client politely (bounded) and frees. */
void swarm_destroy(struct swarm *sw);

/* Adds a client the caller created, with its own socket (not on a hub), as
 * client swarm_size() - 1; the swarm owns it from then on (serviced, its
 * events to the hooks, destroyed with the swarm). It sends rate_hz states
 * a second from the next swarm_schedule, its first at t0 (0: never sends),
 * padded to cfg.payload. name is for messages. Returns 0, or -1 with a
 * message in err (the client is still the caller's). */
int swarm_adopt(struct swarm *sw, struct ricochet *c, const char *name, double rate_hz,
                char *err, size_t err_cap);

/* Adopted client i's (i < swarm_size) first state's offset from the
 * schedule's t0 (0 until set), from the next swarm_schedule: senders of one
 * room spread over a period; adopted while a schedule runs, it sends from
 * its next turn on that one. A made client's phase is the swarm's: kept. */
void swarm_phase(struct swarm *sw, size_t i, uint64_t phase_us);

size_t swarm_size(const struct swarm *sw);
/* Client i; NULL for a made one that could not be made again (the wait
 * that tried said why; it is dead). */
struct ricochet *swarm_client(const struct swarm *sw, size_t i);
const char *swarm_name(const struct swarm *sw, size_t i);
enum proto_mode swarm_mode(const struct swarm *sw, size_t i);
/* A made client's room (0-based) and its members, i included; an adopted
 * client's are unknown: SIZE_MAX and 0. */
size_t swarm_room_of(const struct swarm *sw, size_t i);
size_t swarm_room_members(const struct swarm *sw, size_t i);
bool swarm_dead(const struct swarm *sw, size_t i);            /* disconnected */
size_t swarm_alive(const struct swarm *sw);
const struct swarm_stats *swarm_stats(const struct swarm *sw);

/* Wire bytes and datagrams of all clients and hubs so far (the byte and
 * datagram fields of client_netinfo, summed). */
void swarm_wire(const struct swarm *sw, struct client_netinfo *total);

/* Waits at most wait_us for a socket to become readable, then hands the
 * pending events to the hooks (a hub or client with data at once; every
 * one at least every 5 ms, or 20 µs per client with its own socket in
 * large swarms, for ENet's timers). */
void swarm_service(struct swarm *sw, uint64_t wait_us);

/* Services until every live client is joined and, if see_room, every made
 * one lists the other members of its room (ENet; udp notices are best
 * effort), or until
 * deadline_us or *stop. With cfg.retry_connects a client whose connect
 * failed is made anew meanwhile, half a second after, until the deadline,
 * unless every made client's connect failed twice and none got in. Returns 0, or
 * -1 with a message in err (a client disconnected: its name and why; no
 * client could connect: the last one's why; or the deadline: how many were
 * ready, and the last connect that failed). */
int swarm_wait_ready(struct swarm *sw, bool see_room, uint64_t deadline_us,
                     const volatile sig_atomic_t *stop, char *err, size_t err_cap);

/* Sets the schedule: made client i's k-th state is intended for
 * t0_us + period * i / N + k * period; an adopted one's for
 * t0_us + k * its own period. */
void swarm_schedule(struct swarm *sw, uint64_t t0_us);

/* One loop step: sends every state due by now and intended before end_us,
 * services the clients, and waits until the next send is due (at most
 * 5 ms, as ENet's timers need). Returns the earliest next intended send
 * before end_us, or UINT64_MAX when none is left. */
uint64_t swarm_step(struct swarm *sw, uint64_t end_us);

/* Services until until_us (draining what is still on its way). */
void swarm_drain(struct swarm *sw, uint64_t until_us);

/* Services the clients until fd (not one of theirs: a pipe from a process
 * that coordinates several swarms, a timer) is readable, deadline_us
 * passes or *stop is set (stop may be NULL): who waits for something else
 * keeps the clients alive meanwhile (ENet's acks and pings, udp's
 * keepalive), or the relay times them out. Reads nothing from fd. Returns
 * 0 once fd is readable (or closed at the other end), else -1. */
int swarm_wait_readable(struct swarm *sw, int fd, uint64_t deadline_us,
                        const volatile sig_atomic_t *stop);

#endif
