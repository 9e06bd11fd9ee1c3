/* quic_edge.h: the relay's quic edge in process, for its own tests
 * (test_quic_*): the real edge and core on 127.0.0.1 (E: the suite's, one
 * case at a time), turned by hand; libricochet's QUIC and WebTransport
 * clients as members of its room "q"; and bare connections (libricochet's
 * QUIC connection without its session: a handshake, then only what the
 * test writes on it). Every wait is bounded; failures fail the test
 * (cmocka). */
#ifndef RICOCHET_TEST_QUIC_EDGE_H
#define RICOCHET_TEST_QUIC_EDGE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client/lib/client_internal.h"
#include "client/lib/transports/client_quic_conn_internal.h"
#include "relay/quic/transport_quic.h"
#include "harness.h"

#define PEERS 16
#define JOIN_MS 400

struct env {
    struct relay_quic *t;
    struct relay *r;
    uint16_t port;
    uint64_t last_periodic_us;
};

extern struct env E; /* the edge a case opens and closes */
extern uint32_t env_timeout_ms; /* --timeout-ms of the next env_open (5000) */

/* The suite's group setup: the log off. */
int quic_edge_setup(void **state);

/* The edge on 127.0.0.1:0 (half_open: --max-half-open) and a core on it
 * holding states for a tick of tick_us (--tick-ms; 0: none). */
void env_open_ticked(struct env *e, uint32_t half_open, uint32_t tick_us);
void env_open(struct env *e, uint32_t half_open);
void env_close(struct env *e);

/* One turn of the edge (and its periodic work every 100 ms). */
void turn(struct env *e, int wait_ms);

/* Turns of the edge and polls of the clients for ms, their events to rec. */
void pump_for(struct env *e, struct harness_rec *rec, int ms);

/* The edge's own count k. */
uint64_t own(const struct env *e, enum quic_count k);

/* A member over transport: QUIC, or a WebTransport session (ALPN h3). */
struct ricochet *member_over(const struct env *e, const char *name, enum proto_mode mode,
                             enum ricochet_transport transport);
struct ricochet *member(const struct env *e, const char *name, enum proto_mode mode);

/* The QUIC connection of a libricochet QUIC client (its transport's state
 * begins with it). */
struct client_quic *link_of(struct ricochet *c);

/* Pumps until every recorded client sees every other (their welcomes). */
void welcome_all(struct env *e, struct harness_rec *r);

/* A QUIC connection made by hand (libricochet's, without its session):
 * its handshake only, nothing sent on it. */
struct bare {
    struct ricochet *c;       /* a session that never opened a transport */
    struct client_quic q;
};

void bare_open_alpn(struct env *e, struct bare *b, const char *name, const char *alpn);
void bare_open(struct env *e, struct bare *b, const char *name);
void bare_close(struct bare *b);

/* Turns, and the live bare connections' reads and writes (their
 * acknowledgements, as a client that never joins still sends), until
 * done(b) or ms pass. rv[i]: bare i's last ngtcp2 error (0: none; pumped
 * no more once it has one). Returns whether done came. */
bool bare_pump(struct env *e, struct bare *b, int n, int *rv, int ms,
               bool (*done)(const struct env *, const struct bare *, const int *));

/* len bytes on stream sid of c's connection q, written into packets and
 * sent (fin: the stream ends, len may be 0); while ngtcp2 holds them back
 * (pacing, congestion), the edge (E) and q turn. */
void stream_send(struct ricochet *c, struct client_quic *q, int64_t sid, const uint8_t *p,
                 size_t len, bool fin);

#endif
