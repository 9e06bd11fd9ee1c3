/* edges.h: the relay's edges as ricochet-relay holds them, and the one
 * loop's turn over all of them (docs/design.md, "Edges" and "How the loop
 * waits on every edge").
 *
 * --listen SCHEME://HOST:PORT, repeatable (or the one-edge shorthand
 * --transport, --bind, --port) is parsed into specs; each spec's scheme is
 * a row of relay_transports (transport.h). The edges are created in order,
 * each takes the next range of the core's handles, and every one is
 * watched by one epoll set, with the directory thread's eventfd beside
 * them. The relay's HTTP front (relay/http/) is theirs together: the edges
 * register their web routes in it, and the ws edges carry its requests. */
#ifndef RICOCHET_EDGES_H
#define RICOCHET_EDGES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "relay/core/relay.h"
#include "transport.h"

#define RELAY_EDGE_HOST_MAX 64 /* the host of a --listen, NUL included */

/* One --listen: which edge, where. */
struct relay_edge_spec {
    const struct relay_transport_ops *ops;
    char host[RELAY_EDGE_HOST_MAX];
    uint16_t port;                 /* 0: a free one */
};

/* Parses listen (the --listen values, space-separated) into specs (at
 * most RELAY_EDGES_MAX). Refused: a value not SCHEME://HOST:PORT, a scheme
 * no edge has, two edges of one kind (stream or datagram) on one port but
 * 0, more than RELAY_EDGES_MAX. Returns how many (0 for ""), or -1 with a
 * one-line message in err. */
int relay_edges_parse(const char *listen, struct relay_edge_spec *specs, char *err,
                      size_t err_cap);

struct relay_edge {
    const struct relay_transport_ops *ops;
    void *t;
    char name[RELAY_EDGE_NAME_MAX]; /* its counters' label: the scheme, and its port
                                       when an edge of that scheme came before */
    char host[RELAY_EDGE_HOST_MAX]; /* the host it binds */
    bool ready;                     /* its descriptor was readable this turn */
};

struct relay_edges {
    size_t n;
    struct relay_edge e[RELAY_EDGES_MAX];
    int epfd;
    int watched;                    /* relay_edges_watch's descriptor, -1: none */
    unsigned start;                 /* the first edge serviced next turn (rotates) */
    uint64_t fanned_us;             /* the last turn that fanned states out (0: none) */
    struct http_front *http;        /* the relay's HTTP front, the pages on it: each
                                       edge registers its routes as it is created */
};

/* Creates the relay's HTTP front (net's allow_origin, the pages), then the
 * n edges of specs with net (each its host and port, the front), in
 * order, and the epoll set watching them. Returns 0, or -1 with a
 * one-line message in err (what was created is closed). */
int relay_edges_open(struct relay_edges *E, const struct relay_edge_spec *specs, size_t n,
                     const struct relay_net_config *net, char *err, size_t err_cap);

/* Each edge's side of the core, for relay_create: out[i] gets edge i's,
 * its handles after those of the edges before it, named by its label. */
void relay_edges_cores(struct relay_edges *E, struct relay_transport out[RELAY_EDGES_MAX]);

/* Says "listening on ADDR (NAME)" on stderr for every edge, the first
 * first (scripts read the port of the first line); at log level info and
 * below as log lines. */
void relay_edges_say(const struct relay_edges *E);

/* A stream edge holds a descriptor for each connection, up to its peer
 * slots (peer_cap): the soft limit of descriptors is raised to the hard
 * one, and a line says so when even that is below what the edges may
 * hold (past it a connection that has not joined gives way). */
void relay_edges_descriptors(const struct relay_edges *E, uint32_t peer_cap);

/* The host of the first edge bound beyond this machine (not loopback), or
 * NULL. */
const char *relay_edges_beyond(const struct relay_edges *E);

/* The fleet's registration of them: the first edge's scheme, then
 * ",SCHEME:PORT" for each other (the ports bound). Returns 0, or -1 if it
 * does not fit in cap. */
int relay_edges_kinds(const struct relay_edges *E, char *out, size_t cap);

/* Watches fd (readable: the loop turns) beside the edges; -1: nothing. */
int relay_edges_watch(struct relay_edges *E, int fd);

/* A turn's wait: in epoll until an edge has input, the watched fd is
 * readable, or the first deadline (wake_by_us, relay_tick_due, each edge's
 * due; none while an edge has a backlog; with states held, or none held
 * but some fanned out a tick ago, in slices of at most 5 ms rather than
 * per datagram); *woke_us gets when it ended.
 * Returns 0, or -1 (epoll failed: logged). */
int relay_edges_wait(struct relay_edges *E, struct relay *r, uint64_t wake_by_us,
                     uint64_t *woke_us);

/* The rest of the turn: services every edge that is ready, has a backlog
 * or is due, from a rotating start; relay_tick once; every edge flushes
 * (from relay_tick to the last flush: relay_fanout_took). Returns 0, or -1
 * (an edge failed: logged). */
int relay_edges_serve(struct relay_edges *E, struct relay *r);

/* Every edge sends what the core queued since its last flush (after the
 * fleet's results, the periodic work). */
void relay_edges_flush(struct relay_edges *E, struct relay *r);

/* The periodic work, every 100 ms: relay_sweep, then each edge's tick. */
void relay_edges_periodic(struct relay_edges *E, struct relay *r, uint64_t now_us);

/* After relay_shutdown(): services and flushes every edge until all are
 * settled or max_ms passed. */
void relay_edges_drain(struct relay_edges *E, struct relay *r, int max_ms);

/* Destroys every edge, the HTTP front and the epoll set. */
void relay_edges_close(struct relay_edges *E);

#endif
