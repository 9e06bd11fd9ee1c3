/* quic_relay.h: a ricochet-relay with a quic edge, for the end-to-end
 * tests of QUIC (test_e2e_quic_*): the relay started with its quic, ws,
 * webrtc and ENet edges on 127.0.0.1, and libricochet members over QUIC
 * or WebTransport of a room at a port (the relay's, or netsim's before
 * it). Failures fail the test (cmocka). */
#ifndef RICOCHET_TEST_QUIC_RELAY_H
#define RICOCHET_TEST_QUIC_RELAY_H

#include <stdint.h>

#include "client/lib/client.h"
#include "harness.h"

#define WAIT_MS 15000 /* a join or a room's states, at most */

/* A relay with quic, ws (the offers), webrtc and ENet edges. */
struct edges {
    struct spawn_proc relay;
    uint16_t quic, ws, webrtc, enet;
};

/* Starts it, with more arguments (NULL-ended; NULL: none). */
void edges_start(struct edges *e, const char *const *more);
void edges_stop(struct edges *e);

/* A QUIC member of room at port (the relay's quic edge, or netsim), over
 * QUIC or WebTransport (transport); pin: the certificate's SHA-256 it
 * takes (NULL: any). */
struct ricochet *quic_client_over(uint16_t port, const char *room, const char *name,
                                  enum proto_mode mode, const char *pin,
                                  enum ricochet_transport transport);
struct ricochet *quic_client(uint16_t port, const char *room, const char *name,
                             enum proto_mode mode, const char *pin);

#endif
